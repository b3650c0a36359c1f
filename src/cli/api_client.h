// The command-line client's view of a Wharf server: JSON over HTTP with a Bearer token, and the
// API's error body turned back into a wharf::Error.
//
//   ApiClient api("http://127.0.0.1:8080", token);
//   WHARF_ASSIGN_OR_RETURN(nlohmann::json me, api.Get("/api/v1/me"));
//   WHARF_ASSIGN_OR_RETURN(auto roles, api.ListAll("/api/v1/orgs/acme/roles"));
//
// An answer of 2xx returns its JSON body (null for 204). Any other status returns an Error with
// the code, message, layer and details from the API's error body (API.md "Errors"); a body that is
// not Wharf's error shape gives a message with the status. Network failures are kUnavailable with
// Layer::kNetwork. The token is sent only in the Authorization header and never appears in an
// error. Not thread-safe; one per command.
#pragma once

#include <functional>
#include <optional>
#include <string_view>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "cli/progress.h"

namespace wharf::cli {

class ApiClient {
 public:
  ApiClient(std::string base_url, std::string token);

  Result<nlohmann::json> Get(const std::string& path);
  Result<nlohmann::json> Post(const std::string& path, const nlohmann::json& body = nlohmann::json::object());
  Result<nlohmann::json> Patch(const std::string& path, const nlohmann::json& body);
  Result<nlohmann::json> Delete(const std::string& path);
  Result<nlohmann::json> Call(const std::string& method, const std::string& path,
                              const std::optional<nlohmann::json>& body);
  // A GET whose answer is not JSON (a downloaded file); errors as above.
  Result<std::string> GetText(const std::string& path);
  // A POST with a JSON body whose answer is not JSON (a tar); errors as above.
  Result<std::string> PostForBytes(const std::string& path, const nlohmann::json& body);
  // A GET of a text/event-stream: `on_chunk` gets the body as it arrives, with no overall timeout.
  // A non-2xx answer is an error as above.
  Status Stream(const std::string& path, const std::function<bool(std::string_view)>& on_chunk);

  // Follows next_cursor until the list ends or `max_items` items were read.
  Result<std::vector<nlohmann::json>> ListAll(const std::string& path, size_t max_items = 100000);

  const std::string& base_url() const { return base_url_; }
  // While a request (not a Stream, whose log is its own progress) waits for its answer, a
  // ProgressLine with `label` is drawn on stderr in `style` (kNone, the default: never).
  void set_progress(std::string label, ProgressStyle style) {
    progress_label_ = std::move(label);
    progress_style_ = style;
  }

 private:
  std::string base_url_;
  std::string token_;
  std::string progress_label_;
  ProgressStyle progress_style_ = ProgressStyle::kNone;
};

// Turns a non-2xx answer into an Error (exposed for tests).
Error ErrorFromResponse(int status, const std::string& body);

// Percent-encodes one path segment or query value (RFC 3986 unreserved characters pass).
std::string EncodeComponent(std::string_view s);

}  // namespace wharf::cli
