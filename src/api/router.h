// The router: route table, dispatch, authentication modes, and the OpenAPI document built from
// the routes as they are registered. Each feature registers its routes in its own
// `api/<feature>_routes.cc` (see routes.h); the router knows nothing of any one feature.
//
//   Router rt(services, metrics, options);
//   rt.Add("GET", "/api/v1/orgs/{org}/ssh-keys", AuthMode::kOrg, "sshKeys", "List SSH keys (sshKeys.read)",
//          {200, 400, 401, 403, 404},
//          [&s](Call& c) -> Result<HttpResponse> { ... c.p() ... c.params[0] ... },
//          ListOf("SshKey"))    // the 2xx body's schema (optional)
//       .Request(kFields)       // the body, from the same Fields Body::Parse enforces (fields.h)
//       .Query("image", oas::String(), "...");
//   rt.Finish();                // builds the OpenAPI document once every route is in
//   HttpResponse res = rt.Handle(req);
//
// Auth modes: kNone (public), kUser (a signed-in user: bearer token or session cookie, plus
// X-CSRF-Token on a cookie-authenticated change), kOrg (kUser, then the Principal of the org whose
// slug is the first path parameter, resolved exactly once per request).
//
// Errors: a handler returns Result<HttpResponse>; an Error becomes its status through HttpStatus()
// (errors.cc, the only error → status table) and the body through ErrorBody().
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/api.h"
#include "api/fields.h"
#include "api/http.h"
#include "api/metrics.h"
#include "api/schema.h"
#include "services/services.h"

namespace wharf::api {

enum class AuthMode { kNone, kUser, kOrg };

// One request as a handler sees it: the path parameters in order, the caller (kUser/kOrg), and
// for kOrg the Principal.
struct Call {
  const HttpRequest& req;
  std::vector<std::string> params;
  services::RequestContext ctx;
  std::shared_ptr<const services::Authenticated> who;
  std::optional<authz::Principal> principal;
  const authz::Principal& p() const { return *principal; }
};

using Handler = std::function<Result<HttpResponse>(Call&)>;

struct Route {
  std::string method;
  std::string pattern;
  std::vector<std::string> segs;
  AuthMode auth;
  Handler fn;
  std::string summary;
  std::vector<int> statuses;
  std::string tag;
  nlohmann::json schema;  // the 2xx JSON body's schema; null when undocumented
  std::string operation_id;
  int metrics_index = -1;
  // Documentation only (Op): the request body, query parameters, the 2xx media type when not
  // JSON, bodies of other statuses, an example of the 2xx body, pagination.
  nlohmann::json request;          // a JSON schema, or null for no body
  nlohmann::json request_example;  // null: none
  bool request_optional = false;   // the body may be empty
  nlohmann::json query = nlohmann::json::array();
  std::string media;               // "" = application/json
  std::map<int, nlohmann::json> status_schemas;
  nlohmann::json example;
  bool paged = false;              // ?limit and ?cursor, {items, next_cursor}
  std::string description;
};

class Router;

// What rt.Add returns: documents the route just added (the request body, query parameters, other
// media types). Use it at once; it does not change dispatch.
class Op {
 public:
  Op(std::vector<Route>& routes, size_t index) : routes_(routes), index_(index) {}
  // The JSON body declared by `fields` (the value Body::Parse is given); `optional`: may be empty.
  Op& Request(const Fields& fields, bool optional = false);
  // A body documented by a schema (for bodies not parsed by Fields).
  Op& RequestSchema(nlohmann::json schema, bool optional = false);
  Op& Query(std::string name, nlohmann::json schema, std::string description, bool required = false);
  // ?limit= 1..200 and ?cursor= (added by itself when the 2xx schema is ListOf(...)).
  Op& Paged();
  // The 2xx body is not JSON: "text/plain", "text/html", "application/gzip", "text/event-stream"
  // (a Server-Sent Events stream; `schema` documents its events' data).
  Op& Media(std::string media_type, nlohmann::json schema = nullptr);
  // The body of another status (202, a second 2xx shape).
  Op& Returns(int status, nlohmann::json schema);
  Op& Example(nlohmann::json example);
  Op& Description(std::string text);

 private:
  Route& r() { return routes_[index_]; }
  std::vector<Route>& routes_;
  size_t index_;
};

// The session cookie's name (auth routes set it; the router and Api::OutboundOrg read it).
inline constexpr std::string_view kCookieName = "wharf_session";

class Router {
 public:
  Router(services::Services& svc, Metrics& metrics, ApiOptions options);

  // Registers a route. `schema` documents the JSON body of its 2xx answers (a $ref such as
  // Ref("Server"), or an inline schema); statuses ≥ 400 always document the Error schema.
  Op Add(std::string method, std::string pattern, AuthMode auth, std::string tag, std::string summary,
         std::vector<int> statuses, Handler fn, nlohmann::json schema = nullptr);
  // A named schema under #/components/schemas (registered once, by the feature that owns it).
  void AddSchema(const std::string& name, nlohmann::json schema);
  // Builds the OpenAPI document; called once after every route is registered.
  void Finish();

  HttpResponse Handle(const HttpRequest& req);

  services::Services& svc() const { return svc_; }
  Metrics& metrics() const { return metrics_; }
  const ApiOptions& options() const { return options_; }
  const std::string& openapi() const { return openapi_; }
  // Set-Cookie value for a new session.
  std::string SessionCookie(const SecretBytes& token) const;

 private:
  HttpResponse Dispatch(const HttpRequest& req);
  Result<HttpResponse> Run(const Route& r, Call& call);
  HttpResponse ErrorResponse(const Error& e, const HttpRequest& req);
  std::string BuildOpenApi() const;

  services::Services& svc_;
  Metrics& metrics_;
  ApiOptions options_;
  std::vector<Route> routes_;
  std::map<std::string, nlohmann::json> schemas_;
  std::string openapi_;
};

// {"$ref": "#/components/schemas/<name>"}.
nlohmann::json Ref(const std::string& name);
// The list envelope {items: [<name>], next_cursor}.
nlohmann::json ListOf(const std::string& name);
// The same envelope for a list answered whole: next_cursor is always null, and the operation takes
// no ?limit or ?cursor.
nlohmann::json WholeListOf(const std::string& name);

// operationId for a route: camelCase from the method and the path's literal segments
// (listSshKeys, getSshKey, verifyDockerRegistry, ...). Exposed for the unit test.
std::string OperationId(const std::string& method, const std::string& pattern);

}  // namespace wharf::api
