// The HTTP API: routing, JSON ⇄ services, the one error → status mapping, auth and CSRF.
//
//   api::Api api(services, metrics, options);
//   HttpResponse res = api.Handle(req);   // called by the Beast server for every request
//
// The api layer never touches the store: it calls services. It resolves the Principal exactly
// once per org-scoped request, from the org slug in that request's URL.
//
// Thread-safety: Handle() is safe to call from any number of threads at once.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "api/http.h"
#include "api/metrics.h"
#include "services/services.h"

namespace wharf::api {

struct ApiOptions {
  bool secure_cookies = false;  // set Secure on cookies (public URL is https)
  std::string version = "0.1.0";
};

class Api {
 public:
  Api(services::Services& services, Metrics& metrics, ApiOptions options);
  ~Api();
  HttpResponse Handle(const HttpRequest& req);
  // True for requests that may wait on a worker node over SSH (test-connection, check, re-pin,
  // firewall, adding a server): the server runs them off its I/O threads. A cheap prefilter on
  // the path, so the hot read paths pay nothing.
  static bool MayBlock(const HttpRequest& req);
  // True for an org's outbound check, a POST that reaches a host the org names and may wait on
  // it (…/verify, …/test, …/test-connection, …/check, …/diagnose, …/sync, …/repin-host-key).
  static bool IsOutboundCheck(const HttpRequest& req);
  // For an outbound check: the id of the org when the caller is signed in as one of its members
  // (the key of the per-org cap); nullopt otherwise (the request then fails its own auth).
  // Reads the credential and org caches only; never writes.
  std::optional<std::string> OutboundOrg(const HttpRequest& req);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Maps an error to its HTTP status (the only place that does).
int HttpStatus(ErrorCode code);
// {"error": {...}} for `e`; internal errors carry only the request id.
std::string ErrorBody(const Error& e, std::string_view request_id);


}  // namespace wharf::api
