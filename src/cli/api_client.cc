#include "cli/api_client.h"

#include <unistd.h>

#include "http_client/http.h"

namespace wharf::cli {

using nlohmann::json;

ApiClient::ApiClient(std::string base_url, std::string token) : base_url_(std::move(base_url)), token_(std::move(token)) {
  while (!base_url_.empty() && base_url_.back() == '/') base_url_.pop_back();
}

namespace {
// Support bundles and other downloads from the user's own server: larger than a JSON answer.
constexpr size_t kMaxDownloadBytes = size_t{1} << 30;

Result<http_client::HttpReply> FetchShowingProgress(const http_client::HttpCall& call, const std::string& label,
                                                    ProgressStyle style) {
  ProgressLine progress(STDERR_FILENO, label, style);  // erased when this returns
  return http_client::Fetch(call);
}
}  // namespace

Result<json> ApiClient::Get(const std::string& path) { return Call("GET", path, std::nullopt); }
Result<json> ApiClient::Post(const std::string& path, const json& body) { return Call("POST", path, body); }
Result<json> ApiClient::Patch(const std::string& path, const json& body) { return Call("PATCH", path, body); }
Result<json> ApiClient::Delete(const std::string& path) { return Call("DELETE", path, std::nullopt); }

Result<json> ApiClient::Call(const std::string& method, const std::string& path, const std::optional<json>& body) {
  http_client::HttpCall call;
  call.method = method;
  call.url = base_url_ + path;
  call.headers.emplace_back("Accept", "application/json");
  if (!token_.empty()) call.headers.emplace_back("Authorization", "Bearer " + token_);
  if (body) {
    call.headers.emplace_back("Content-Type", "application/json");
    call.body = body->dump();
  }
  WHARF_ASSIGN_OR_RETURN(http_client::HttpReply reply, FetchShowingProgress(call, progress_label_, progress_style_));
  if (reply.status >= 200 && reply.status < 300) {
    if (reply.body.empty()) return json(nullptr);
    json j = json::parse(reply.body, nullptr, false);
    if (j.is_discarded())
      return Err(ErrorCode::kInternal, "The server at " + base_url_ + " answered " + method + " " + path +
                                           " with something that is not JSON; is this a Wharf server?");
    return j;
  }
  return Err(ErrorFromResponse(reply.status, reply.body));
}

Result<std::string> ApiClient::GetText(const std::string& path) {
  http_client::HttpCall call;
  call.url = base_url_ + path;
  call.max_body_bytes = kMaxDownloadBytes;
  if (!token_.empty()) call.headers.emplace_back("Authorization", "Bearer " + token_);
  WHARF_ASSIGN_OR_RETURN(http_client::HttpReply reply, FetchShowingProgress(call, progress_label_, progress_style_));
  if (reply.status >= 200 && reply.status < 300) return std::move(reply.body);
  return Err(ErrorFromResponse(reply.status, reply.body));
}

Result<std::string> ApiClient::PostForBytes(const std::string& path, const json& body) {
  http_client::HttpCall call;
  call.method = "POST";
  call.url = base_url_ + path;
  call.timeout_ms = 300000;
  call.max_body_bytes = kMaxDownloadBytes;
  if (!token_.empty()) call.headers.emplace_back("Authorization", "Bearer " + token_);
  call.headers.emplace_back("Content-Type", "application/json");
  call.body = body.dump();
  WHARF_ASSIGN_OR_RETURN(http_client::HttpReply reply, FetchShowingProgress(call, progress_label_, progress_style_));
  if (reply.status >= 200 && reply.status < 300) return std::move(reply.body);
  return Err(ErrorFromResponse(reply.status, reply.body));
}

Status ApiClient::Stream(const std::string& path, const std::function<bool(std::string_view)>& on_chunk) {
  http_client::HttpCall call;
  call.url = base_url_ + path;
  call.timeout_ms = 0;  // a log stream lasts as long as the job
  call.headers.emplace_back("Accept", "text/event-stream");
  if (!token_.empty()) call.headers.emplace_back("Authorization", "Bearer " + token_);
  WHARF_ASSIGN_OR_RETURN(http_client::HttpReply reply, http_client::FetchStream(call, on_chunk));
  if (reply.status >= 200 && reply.status < 300) return Ok();
  return Err(ErrorFromResponse(reply.status, reply.body));
}

Result<std::vector<json>> ApiClient::ListAll(const std::string& path, size_t max_items) {
  std::vector<json> items;
  std::string cursor;
  const char sep = path.find('?') == std::string::npos ? '?' : '&';
  do {
    std::string p = path + sep + "limit=200";
    if (!cursor.empty()) p += "&cursor=" + EncodeComponent(cursor);
    WHARF_ASSIGN_OR_RETURN(json page, Get(p));
    if (!page.is_object() || !page.contains("items") || !page["items"].is_array())
      return Err(ErrorCode::kInternal, "The server's answer to GET " + path + " has no items list.");
    for (auto& it : page["items"]) {
      if (items.size() >= max_items) return items;
      items.push_back(std::move(it));
    }
    cursor = page.contains("next_cursor") && page["next_cursor"].is_string() ? page["next_cursor"].get<std::string>() : "";
  } while (!cursor.empty());
  return items;
}

Error ErrorFromResponse(int status, const std::string& body) {
  Error e;
  e.code = status == 400 ? ErrorCode::kValidationFailed
         : status == 401 ? ErrorCode::kUnauthenticated
         : status == 403 ? ErrorCode::kForbidden
         : status == 404 ? ErrorCode::kNotFound
         : status == 405 ? ErrorCode::kMethodNotAllowed
         : status == 409 ? ErrorCode::kConflict
         : status == 410 ? ErrorCode::kInvitationInvalid
         : status == 413 ? ErrorCode::kPayloadTooLarge
         : status == 415 ? ErrorCode::kUnsupportedMedia
         : status == 429 ? ErrorCode::kRateLimited
         : status == 503 ? ErrorCode::kUnavailable
                         : ErrorCode::kInternal;
  e.message = "The server answered HTTP " + std::to_string(status) + ".";
  json j = json::parse(body, nullptr, false);
  if (j.is_object() && j.contains("error") && j["error"].is_object()) {
    const json& err = j["error"];
    if (err.contains("code") && err["code"].is_string()) {
      std::string code = err["code"];
      for (int c = 0; c <= static_cast<int>(ErrorCode::kUnavailable); ++c)
        if (ErrorCodeName(static_cast<ErrorCode>(c)) == code) e.code = static_cast<ErrorCode>(c);
    }
    if (err.contains("message") && err["message"].is_string()) e.message = err["message"];
    if (err.contains("layer") && err["layer"].is_string()) {
      std::string layer = err["layer"];
      for (int l = 0; l <= static_cast<int>(Layer::kSeatLimit); ++l)
        if (LayerName(static_cast<Layer>(l)) == layer) e.layer = static_cast<Layer>(l);
    }
    if (err.contains("details") && err["details"].is_object()) e.details = err["details"];
  }
  return e;
}

std::string EncodeComponent(std::string_view s) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

}  // namespace wharf::cli
