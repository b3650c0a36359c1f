#include "http_client/http.h"

#include <curl/curl.h>

#include <fstream>
#include <memory>
#include <sstream>

#include "base/address.h"
#include "http_client/resolve_pin.h"
#include "base/strings.h"

namespace wharf::http_client {

namespace {

struct CurlGlobal {
  CurlGlobal() { curl_global_init(CURL_GLOBAL_DEFAULT); }
};

struct EasyDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

struct StreamState {
  CURL* curl;
  HttpReply* reply;
  const ChunkFn* on_chunk;
  size_t max_body_bytes;
  bool stopped = false;
  bool too_long = false;    // the body passed max_body_bytes
  size_t header_bytes = 0;  // headers passed kMaxHeaderBytes when > it
};

// Keeps a body piece in reply.body; 0 (curl stops with CURLE_WRITE_ERROR) past the limit.
size_t KeepBody(StreamState* st, char* data, size_t len) {
  if (st->reply->body.size() + len > st->max_body_bytes) {
    st->too_long = true;
    return 0;
  }
  st->reply->body.append(data, len);
  return len;
}

size_t WriteCb(char* data, size_t size, size_t n, void* userp) {
  return KeepBody(static_cast<StreamState*>(userp), data, size * n);
}

size_t StreamWriteCb(char* data, size_t size, size_t n, void* userp) {
  auto* st = static_cast<StreamState*>(userp);
  long status = 0;
  curl_easy_getinfo(st->curl, CURLINFO_RESPONSE_CODE, &status);
  if (status < 200 || status >= 300) return KeepBody(st, data, size * n);
  if (!(*st->on_chunk)(std::string_view(data, size * n))) {
    st->stopped = true;
    return 0;  // makes curl stop with CURLE_WRITE_ERROR
  }
  return size * n;
}

size_t HeaderCb(char* data, size_t size, size_t n, void* userp) {
  auto* st = static_cast<StreamState*>(userp);
  auto* reply = st->reply;
  st->header_bytes += size * n;
  if (st->header_bytes > HttpCall::kMaxHeaderBytes) return 0;
  std::string_view line(data, size * n);
  if (StartsWith(line, "HTTP/")) {
    reply->headers.clear();  // a new response (after a 100 Continue or redirect)
  } else if (auto colon = line.find(':'); colon != std::string_view::npos) {
    reply->headers.emplace_back(ToLower(Trim(line.substr(0, colon))), std::string(Trim(line.substr(colon + 1))));
  }
  return size * n;
}

std::string HostOf(const std::string& url) {
  auto p = url.find("://");
  std::string rest = p == std::string::npos ? url : url.substr(p + 3);
  return rest.substr(0, rest.find('/'));
}

struct Guard {
  const HttpCall* call;
  std::string refused_ip;
};

int PrereqCb(void* userp, char* conn_primary_ip, char*, int, int) {
  auto* g = static_cast<Guard*>(userp);
  if (g->call->address_allowed(conn_primary_ip)) return CURL_PREREQFUNC_OK;
  g->refused_ip = conn_primary_ip;
  return CURL_PREREQFUNC_ABORT;
}

std::string& CaBundle() {
  static std::string path;  // set once at startup (UseExtraCaFile)
  return path;
}

}  // namespace

Result<std::string> CheckedResolveEntry(const std::string& url, const AddressFilter& allowed) {
  std::unique_ptr<CURLU, decltype(&curl_url_cleanup)> u(curl_url(), curl_url_cleanup);
  if (!u || curl_url_set(u.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK)
    return FieldError("url", "is not a valid URL: " + HostOf(url));
  char* host = nullptr;
  char* port = nullptr;
  curl_url_get(u.get(), CURLUPART_HOST, &host, 0);
  curl_url_get(u.get(), CURLUPART_PORT, &port, CURLU_DEFAULT_PORT);
  std::string h = host ? host : "", p = port ? port : "";
  curl_free(host);
  curl_free(port);
  if (h.size() > 2 && h.front() == '[') h = h.substr(1, h.size() - 2);
  if (auto zone = h.find('%'); zone != std::string::npos) h.resize(zone);
  WHARF_ASSIGN_OR_RETURN(auto ips, ResolveChecked(h, p, allowed));
  if (IsIpLiteral(h)) return std::string();
  std::string entry = h + ":" + p + ":";
  for (size_t i = 0; i < ips.size(); ++i)
    entry += (i ? "," : "") + (ips[i].find(':') != std::string::npos ? "[" + ips[i] + "]" : ips[i]);
  return entry;
}

Result<std::string> UseExtraCaFile(const std::string& extra_ca_file, const std::string& bundle_path) {
  static CurlGlobal global;
  std::ifstream extra(extra_ca_file, std::ios::binary);
  if (!extra) return FieldError("extra-ca-file", "cannot be read: " + extra_ca_file);
  std::stringstream pem;
  pem << extra.rdbuf();
  if (pem.str().find("-----BEGIN CERTIFICATE-----") == std::string::npos)
    return FieldError("extra-ca-file", "holds no PEM certificate (-----BEGIN CERTIFICATE-----): " + extra_ca_file);
  std::string system;
  const curl_version_info_data* v = curl_version_info(CURLVERSION_NOW);
  for (const char* p : {v && v->cainfo ? v->cainfo : "", "/etc/ssl/certs/ca-certificates.crt"}) {
    if (!*p) continue;
    std::ifstream in(p, std::ios::binary);
    if (!in) continue;
    std::stringstream ss;
    ss << in.rdbuf();
    system = ss.str();
    break;
  }
  std::ofstream out(bundle_path, std::ios::binary | std::ios::trunc);
  out << system << (system.empty() || system.back() == '\n' ? "" : "\n") << pem.str();
  out.close();
  if (!out) return Internal("cannot write the CA bundle " + bundle_path);
  CaBundle() = bundle_path;
  return bundle_path;
}

std::string HttpReply::Header(std::string_view name) const {
  std::string lower = ToLower(name);
  for (const auto& [k, v] : headers)
    if (k == lower) return v;
  return {};
}

Result<HttpReply> Fetch(const HttpCall& call) { return FetchStream(call, nullptr); }

Result<HttpReply> FetchStream(const HttpCall& call, const ChunkFn& on_chunk) {
  static CurlGlobal global;
  if (!StartsWith(call.url, "http://") && !StartsWith(call.url, "https://"))
    return FieldError("url", "must start with http:// or https://, e.g. http://127.0.0.1:8080");
  std::unique_ptr<CURL, EasyDeleter> curl(curl_easy_init());
  if (!curl) return Internal("curl_easy_init failed");
  std::unique_ptr<curl_slist, SlistDeleter> headers;
  for (const auto& [k, v] : call.headers) {
    std::string line = k + ": " + v;
    headers.reset(curl_slist_append(headers.release(), line.c_str()));
  }
  HttpReply reply;
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, call.url.c_str());
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, call.method.c_str());
  if (call.method == "HEAD") curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  if (!call.body.empty() || call.method == "POST" || call.method == "PATCH" || call.method == "PUT") {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, call.body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(call.body.size()));
  }
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  StreamState stream{c, &reply, &on_chunk, call.max_body_bytes};
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_chunk ? StreamWriteCb : WriteCb);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &stream);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, HeaderCb);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &stream);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(call.timeout_ms));
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(call.connect_timeout_ms));
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_USERAGENT, call.user_agent.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  if (!CaBundle().empty()) curl_easy_setopt(c, CURLOPT_CAINFO, CaBundle().c_str());
  Guard guard{&call, {}};
  std::unique_ptr<curl_slist, SlistDeleter> pinned;
  if (call.address_allowed) {
    // Resolve once and check every address before anything connects, then hand curl the checked
    // addresses (CURLOPT_RESOLVE) so it never looks the name up again: a refused target answers
    // the same whether its port is open, closed or filtered, and DNS rebinding has nothing to
    // change. Proxies are bypassed: they would connect on our behalf to an unchecked address.
    WHARF_ASSIGN_OR_RETURN(std::string entry, CheckedResolveEntry(call.url, call.address_allowed));
    if (!entry.empty()) pinned.reset(curl_slist_append(nullptr, entry.c_str()));
    curl_easy_setopt(c, CURLOPT_RESOLVE, pinned.get());
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    // Defence in depth: the address curl connected to must be one that passed.
    curl_easy_setopt(c, CURLOPT_PREREQFUNCTION, PrereqCb);
    curl_easy_setopt(c, CURLOPT_PREREQDATA, &guard);
  }
  CURLcode rc = curl_easy_perform(c);
  if (rc != CURLE_OK && !guard.refused_ip.empty())
    return Err(ErrorCode::kValidationFailed, std::string(kRefusedTargetMessage), Layer::kNetwork);
  if (rc == CURLE_WRITE_ERROR && (stream.too_long || stream.header_bytes > HttpCall::kMaxHeaderBytes)) {
    std::string what = stream.too_long ? "a response body larger than " + std::to_string(call.max_body_bytes >> 10) + " KiB"
                                       : "response headers larger than " +
                                             std::to_string(HttpCall::kMaxHeaderBytes >> 10) + " KiB";
    std::string layer(LayerName(call.layer));
    return Err(ErrorCode::kUnavailable,
               HostOf(call.url) + " sent " + what + ", more than Wharf reads from a " + layer +
                   " endpoint; it stopped reading. Check that the URL points at the real service.",
               call.layer);
  }
  if (rc == CURLE_WRITE_ERROR && stream.stopped) rc = CURLE_OK;
  if (rc != CURLE_OK) {
    return Err(ErrorCode::kUnavailable,
               "Cannot reach " + HostOf(call.url) + ": " + curl_easy_strerror(rc) +
                   ". Check the URL and that the server is running.",
               Layer::kNetwork);
  }
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  reply.status = static_cast<int>(status);
  return reply;
}

}  // namespace wharf::http_client
