// A small blocking HTTP(S) client on libcurl, for the command-line client and integrations.
//
//   http_client::HttpCall call{.method = "GET", .url = "http://127.0.0.1:8080/api/v1/me"};
//   call.headers.emplace_back("Authorization", "Bearer " + token);
//   WHARF_ASSIGN_OR_RETURN(http_client::HttpReply r, http_client::Fetch(call));
//   if (r.status == 200) Use(r.body);
//
// Fetch returns any HTTP status as a reply; it fails only when no answer arrived: kValidationFailed
// for a URL that is not http(s), kUnavailable with Layer::kNetwork for DNS, connect, TLS or timeout
// failures. Error messages name the host, never header values (tokens stay out of them).
// Thread-safety: Fetch may be called from any thread (one curl easy handle per call).
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.h"

namespace wharf::http_client {

struct HttpCall {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // sent when non-empty (or when method is POST/PATCH/PUT)
  int timeout_ms = 30000;
  int connect_timeout_ms = 10000;
  std::string user_agent = "wharf-cli/0.1";
  // The private-target guard. When set, the URL's host is resolved once and every address is
  // passed to it BEFORE any connection; one false refuses the request with kValidationFailed /
  // Layer::kNetwork and kRefusedTargetMessage (base/address.h), the same answer whatever the
  // port's state. curl then connects only to the checked addresses (no second lookup, so DNS
  // rebinding fails) and bypasses any proxy.
  std::function<bool(std::string_view ip)> address_allowed;
  // The most response body bytes kept in reply.body. A longer body stops the transfer with
  // kUnavailable naming the host, the limit and `layer` (the service the endpoint stands for),
  // so a hostile or broken endpoint cannot exhaust memory. FetchStream's 2xx chunks go to the
  // caller and are not counted. Response headers are capped at kMaxHeaderBytes the same way.
  size_t max_body_bytes = kDefaultMaxBodyBytes;
  Layer layer = Layer::kNetwork;
  static constexpr size_t kDefaultMaxBodyBytes = 4 << 20;
  static constexpr size_t kMaxHeaderBytes = 256 << 10;
};

struct HttpReply {
  int status = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string Header(std::string_view name) const;           // "" when absent
};

Result<HttpReply> Fetch(const HttpCall& call);

// Like Fetch, but a 2xx body is handed to `on_chunk` piece by piece as it arrives (for Server-Sent
// Events and long downloads) instead of being kept in reply.body; a non-2xx body is still kept in
// reply.body, for its error. `on_chunk` returning false stops the transfer (the reply is returned
// as it stands). `call.timeout_ms` = 0 means no overall limit, as a log stream needs.
//
//   HttpCall call{.url = base + "/jobs/job_1/log"};
//   call.timeout_ms = 0;
//   WHARF_ASSIGN_OR_RETURN(HttpReply r, FetchStream(call, [&](std::string_view c) { Feed(c); return true; }));
using ChunkFn = std::function<bool(std::string_view chunk)>;
Result<HttpReply> FetchStream(const HttpCall& call, const ChunkFn& on_chunk);

// --extra-ca-file: writes `bundle_path` = the system CA bundle + the PEM certificates in
// `extra_ca_file`, and makes every later Fetch trust it (CURLOPT_CAINFO). Returns the bundle's
// path, for git (GIT_SSL_CAINFO). kValidationFailed naming `extra-ca-file` when the file holds no
// PEM certificate. Call once at startup, before any request (not thread-safe).
Result<std::string> UseExtraCaFile(const std::string& extra_ca_file, const std::string& bundle_path);

}  // namespace wharf::http_client
