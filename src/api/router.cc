// Dispatch, authentication modes and the OpenAPI document (router.h).
#include "api/router.h"

#include <algorithm>
#include <chrono>

#include "api/body.h"
#include "api/static_assets.h"
#include "base/log.h"
#include "base/strings.h"

namespace wharf::api {

using nlohmann::json;

Router::Router(services::Services& svc, Metrics& metrics, ApiOptions options)
    : svc_(svc), metrics_(metrics), options_(std::move(options)) {}

Op Router::Add(std::string method, std::string pattern, AuthMode auth, std::string tag, std::string summary,
               std::vector<int> statuses, Handler fn, json schema) {
  // Every org route may answer 403 two_factor_required (the org's two-factor policy).
  if (auth == AuthMode::kOrg && std::find(statuses.begin(), statuses.end(), 403) == statuses.end()) {
    statuses.push_back(403);
    std::sort(statuses.begin(), statuses.end());
  }
  Route r{std::move(method), pattern, {}, auth, std::move(fn), std::move(summary), std::move(statuses), std::move(tag),
          std::move(schema), {}};
  for (auto s : Split(std::string_view(pattern).substr(1), '/')) r.segs.emplace_back(s);
  r.operation_id = OperationId(r.method, r.pattern);
  r.metrics_index = metrics_.RegisterRoute(r.pattern);
  // What every route of a kind can answer besides its own list: a JSON body that cannot be read
  // (400, 413, 415), and the per-org limit on checks that reach outside (429, Api::IsOutboundCheck).
  auto add_status = [&r](int st) {
    if (std::find(r.statuses.begin(), r.statuses.end(), st) == r.statuses.end()) r.statuses.push_back(st);
  };
  if (r.method == "POST" || r.method == "PATCH" || r.method == "PUT")
    for (int st : {400, 413, 415}) add_status(st);
  if (r.method == "POST" && !r.segs.empty() && r.segs[0] == "api" && r.segs.size() > 4 && r.segs[2] == "orgs") {
    const std::string& last = r.segs.back();
    for (std::string_view v : {"verify", "test", "test-connection", "check", "diagnose", "sync", "repin-host-key"})
      if (last == v) add_status(429);
  }
  std::sort(r.statuses.begin(), r.statuses.end());
  // A list envelope whose next_cursor may be a string is paged (WholeListOf's is only ever null).
  r.paged = r.schema.is_object() && r.schema.contains("properties") && r.schema["properties"].contains("next_cursor") &&
            !r.schema["properties"]["next_cursor"].contains("enum");
  routes_.push_back(std::move(r));
  return Op(routes_, routes_.size() - 1);
}

Op& Op::Request(const Fields& fields, bool optional) {
  r().request = FieldsSchema(fields);
  json ex = FieldsExample(fields);
  if (!ex.empty()) r().request_example = std::move(ex);
  r().request_optional = optional;
  return *this;
}

Op& Op::RequestSchema(json schema, bool optional) {
  r().request = std::move(schema);
  r().request_optional = optional;
  return *this;
}

Op& Op::Query(std::string name, json schema, std::string description, bool required) {
  r().query.push_back({{"name", std::move(name)}, {"in", "query"}, {"required", required},
                       {"description", std::move(description)}, {"schema", std::move(schema)}});
  return *this;
}

Op& Op::Paged() {
  r().paged = true;
  return *this;
}

Op& Op::Media(std::string media_type, json schema) {
  r().media = std::move(media_type);
  if (!schema.is_null()) r().schema = std::move(schema);
  return *this;
}

Op& Op::Returns(int status, json schema) {
  r().status_schemas[status] = std::move(schema);
  return *this;
}

Op& Op::Example(json example) {
  r().example = std::move(example);
  return *this;
}

Op& Op::Description(std::string text) {
  r().description = std::move(text);
  return *this;
}

void Router::AddSchema(const std::string& name, json schema) { schemas_[name] = std::move(schema); }

void Router::Finish() { openapi_ = BuildOpenApi(); }

std::string Router::SessionCookie(const SecretBytes& token) const {
  std::string c = std::string(kCookieName) + "=" + std::string(token.view()) +
                  "; HttpOnly; SameSite=Lax; Path=/; Max-Age=" + std::to_string(svc_.config().session_ttl_ms / 1000);
  if (options_.secure_cookies) c += "; Secure";
  return c;
}

HttpResponse Router::Handle(const HttpRequest& req) {
  log::ThreadOrgScope org_scope;  // the lines of an org-scoped request carry its org_id
  auto start = std::chrono::steady_clock::now();
  HttpResponse res = Dispatch(req);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  metrics_.ObserveRequest(res.metrics_index, res.status, secs);
  if (res.route.empty()) res.route = "unmatched";
  res.headers.emplace_back("X-Request-Id", req.request_id);
  if (res.status >= 500)
    log::Error("request", {{"request_id", req.request_id}, {"method", req.method}, {"route", res.route},
                           {"status", res.status}, {"ms", secs * 1000}});
  else if (req.method != "GET" || res.status >= 400)  // every change and every refusal
    log::Info("request", {{"request_id", req.request_id}, {"method", req.method}, {"route", res.route},
                          {"status", res.status}, {"ms", secs * 1000}, {"ip", req.remote_ip}});
  else if (log::Enabled(log::Level::kDebug))
    log::Debug("request", {{"request_id", req.request_id}, {"method", req.method}, {"route", res.route},
                           {"status", res.status}, {"ms", secs * 1000}});
  return res;
}

HttpResponse Router::ErrorResponse(const Error& e, const HttpRequest& req) {
  if (e.code == ErrorCode::kInternal || e.code == ErrorCode::kUnavailable)
    log::Error("error", {{"request_id", req.request_id}, {"code", ErrorCodeName(e.code)}, {"detail", e.detail},
                         {"message", e.message}});
  HttpResponse r;
  r.status = HttpStatus(e.code);
  r.body = ErrorBody(e, req.request_id);
  if (e.code == ErrorCode::kRateLimited && e.details.contains("retry_after"))
    r.headers.emplace_back("Retry-After", std::to_string(e.details["retry_after"].get<int64_t>()));
  return r;
}

HttpResponse Router::Dispatch(const HttpRequest& req) {
  std::vector<std::string_view> segs;
  if (req.path.size() > 1) {
    for (auto s : Split(std::string_view(req.path).substr(1), '/')) segs.push_back(s);
    if (!segs.empty() && segs.back().empty() && segs.size() > 1) segs.pop_back();
  } else {
    segs.push_back("");
  }
  const Route* match = nullptr;
  std::string allow;
  std::vector<std::string> params;
  for (const Route& r : routes_) {
    if (r.segs.size() != segs.size()) continue;
    // Literal segments first: most routes fail there, before any parameter is decoded or copied.
    bool ok = true;
    for (size_t i = 0; i < segs.size() && ok; ++i) {
      const bool param = !r.segs[i].empty() && r.segs[i].front() == '{';
      ok = param ? !segs[i].empty() : r.segs[i] == segs[i];
    }
    if (!ok) continue;
    std::vector<std::string> ps;
    for (size_t i = 0; i < segs.size() && ok; ++i) {
      if (r.segs[i].empty() || r.segs[i].front() != '{') continue;
      std::string decoded;
      ok = PercentDecode(segs[i], &decoded);
      ps.push_back(std::move(decoded));
    }
    if (!ok) continue;
    if (r.method == req.method || (req.method == "HEAD" && r.method == "GET")) {
      match = &r;
      params = std::move(ps);
      break;
    }
    allow += (allow.empty() ? "" : ", ") + r.method;
  }
  if (!match) {
    if (allow.empty()) {
      if (auto ui = WebAppResponse(req)) return std::move(*ui);  // web UI: client-side routes and assets
    }
    HttpResponse res;
    if (!allow.empty()) {
      res = ErrorResponse(Error{ErrorCode::kMethodNotAllowed, "This path does not accept " + req.method +
                                ". Allowed: " + allow + ".", {}, Layer::kNone, json::object()}, req);
      res.headers.emplace_back("Allow", allow);
    } else {
      res = ErrorResponse(Error{ErrorCode::kNotFound, "No such endpoint. See /api/v1/openapi.json.", {},
                                Layer::kNone, json::object()}, req);
    }
    return res;
  }
  Call call{req, std::move(params), {req.request_id, req.remote_ip, std::string(req.Header("user-agent").substr(0, 200))},
            nullptr, std::nullopt};
  auto result = Run(*match, call);
  HttpResponse res = result ? std::move(*result) : ErrorResponse(result.error(), req);
  res.route = match->pattern;
  res.metrics_index = match->metrics_index;
  return res;
}

Result<HttpResponse> Router::Run(const Route& r, Call& call) {
  if (r.auth != AuthMode::kNone) {
    const HttpRequest& req = call.req;
    std::string token;
    bool via_cookie = false;
    std::string_view authz_header = req.Header("authorization");
    if (!authz_header.empty()) {
      if (authz_header.size() < 7 || ToLower(authz_header.substr(0, 7)) != "bearer ")
        return Err(ErrorCode::kUnauthenticated, "Use 'Authorization: Bearer <token>'.");
      token = std::string(Trim(authz_header.substr(7)));
    } else {
      token = CookieValue(req.Header("cookie"), kCookieName);
      via_cookie = !token.empty();
    }
    if (token.empty()) return Err(ErrorCode::kUnauthenticated, "Sign in first: send a Bearer token or the session cookie.");
    WHARF_ASSIGN_OR_RETURN(call.who, svc_.auth().Authenticate(token, call.ctx));
    if (via_cookie && req.method != "GET" && req.method != "HEAD") {
      std::string_view csrf = req.Header("x-csrf-token");
      if (!svc_.auth().CsrfMatches(*call.who, csrf)) {
        auto e = Forbidden("csrf", "This request is authenticated by cookie and needs the X-CSRF-Token header "
                                   "returned at sign-in.");
        e.value().details["reason"] = "csrf";
        e.value().layer = Layer::kNone;
        return e;
      }
    }
    if (r.auth == AuthMode::kOrg) {
      WHARF_ASSIGN_OR_RETURN(call.principal, svc_.auth().ResolvePrincipal(*call.who, call.params[0], call.ctx));
      log::SetThreadOrg(call.principal->org_id);  // only once the caller is a member of it
      // An org that requires two-factor sign-in: members without a factor may only enrol (/me/*).
      WHARF_TRY(svc_.second_factor().CheckOrgPolicy(*call.who, *call.principal));
    }
  }
  return r.fn(call);
}


json Ref(const std::string& name) { return {{"$ref", "#/components/schemas/" + name}}; }

json ListOf(const std::string& name) {
  return {{"type", "object"},
          {"required", {"items", "next_cursor"}},
          {"properties", {{"items", {{"type", "array"}, {"items", Ref(name)}}},
                          {"next_cursor", {{"type", "string"}, {"nullable", true}}}}}};
}

json WholeListOf(const std::string& name) {
  json s = ListOf(name);
  s["properties"]["next_cursor"] = {{"type", "string"}, {"nullable", true}, {"enum", json::array({nullptr})},
                                    {"description", "Always null: the whole list is answered"}};
  return s;
}

namespace {

// kebab-case to PascalCase: "ssh-keys" → "SshKeys", "openapi.json" → "OpenapiJson".
std::string Pascal(std::string_view s) {
  std::string out;
  bool up = true;
  for (char ch : s) {
    if (ch == '-' || ch == '.' || ch == '_') {
      up = true;
      continue;
    }
    out += up ? static_cast<char>(std::toupper(static_cast<unsigned char>(ch))) : ch;
    up = false;
  }
  return out;
}

std::string Singular(std::string w) {
  if (w.ends_with("ies")) return w.substr(0, w.size() - 3) + "y";
  if (w.ends_with("ss") || !w.ends_with("s")) return w;
  return w.substr(0, w.size() - 1);
}

// Names that the rule in OperationId would make clumsy or ambiguous.
const std::map<std::string, std::string, std::less<>>& OperationIdOverrides() {
  static const std::map<std::string, std::string, std::less<>> m = {
      {"GET /", "getWebApp"},
      {"GET /metrics", "getMetrics"},
      {"GET /api/v1/openapi.json", "getOpenApiDocument"},
      {"GET /api/docs", "getApiReference"},
      {"POST /api/v1/auth/signup", "signup"},
      {"POST /api/v1/auth/login", "login"},
      {"POST /api/v1/auth/logout", "logout"},
      {"POST /api/v1/auth/logout-all", "logoutAll"},
      {"GET /api/v1/me/tokens", "listMyApiTokens"},
      {"POST /api/v1/me/tokens", "createMyApiToken"},
      {"DELETE /api/v1/me/tokens/{id}", "revokeMyApiToken"},
      {"POST /api/v1/orgs/{org}/leave", "leaveOrg"},
      {"POST /api/v1/me/password", "changeMyPassword"},
      {"POST /api/v1/me/email", "requestEmailChange"},
      {"POST /api/v1/me/email/verification", "resendEmailVerification"},
      {"GET /api/v1/me/sessions", "listMySessions"},
      {"DELETE /api/v1/me/sessions", "endMyOtherSessions"},
      {"DELETE /api/v1/me/sessions/{id}", "endMySession"},
      {"POST /api/v1/auth/verify-email/{token}", "verifyEmail"},
      {"POST /api/v1/auth/password-reset", "requestPasswordReset"},
      {"GET /api/v1/auth/password-reset/{token}", "getPasswordResetLink"},
      {"POST /api/v1/auth/password-reset/{token}", "resetPassword"},
      {"POST /api/v1/admin/users/{id}/disable", "disableUser"},
      {"POST /api/v1/admin/users/{id}/enable", "enableUser"},
      {"DELETE /api/v1/admin/users/{id}", "deleteUser"},
      {"GET /api/v1/admin/users", "listUsers"},
      {"POST /api/v1/orgs/{org}/transfer-ownership", "transferOrgOwnership"},
      {"GET /api/v1/orgs/{org}/audit", "listAuditEvents"},
      {"POST /api/v1/orgs/{org}/test-jobs", "enqueueTestJobs"},
      {"GET /api/v1/orgs/{org}/integrations/expiring", "listExpiringIntegrations"},
      {"GET /api/v1/orgs/{org}/backup-storage", "listBackupStorage"},
      {"POST /api/v1/webhooks/git/{provider_id}", "receiveGitWebhook"},
      {"POST /api/v1/orgs/{org}/services/{id}/domains/{hostname}/default", "setDefaultServiceDomain"},
      {"POST /api/v1/orgs/{org}/services/{id}/rollback", "rollbackService"},
      {"GET /api/v1/orgs/{org}/services/{id}/logs", "streamServiceLogs"},
      {"POST /api/v1/orgs/{org}/notification-deliveries/{id}/redeliver", "redeliverNotification"},
      {"POST /api/v1/auth/login/second-factor", "loginSecondFactor"},
      {"POST /api/v1/auth/passkey/options", "getPasskeyLoginOptions"},
      {"POST /api/v1/auth/passkey", "loginWithPasskey"},
      {"POST /api/v1/auth/step-up/options", "getStepUpOptions"},
      {"POST /api/v1/auth/step-up", "stepUp"},
      {"GET /api/v1/auth/sso/providers", "listSignInProviders"},
      {"GET /api/v1/auth/sso/{provider}/start", "startSso"},
      {"GET /api/v1/auth/sso/{provider}/callback", "finishSso"},
      {"GET /api/v1/me/two-factor", "getMyTwoFactor"},
      {"POST /api/v1/me/totp", "beginTotpEnrolment"},
      {"POST /api/v1/me/totp/confirm", "confirmTotp"},
      {"DELETE /api/v1/me/totp", "disableTotp"},
      {"POST /api/v1/me/recovery-codes", "regenerateRecoveryCodes"},
      {"POST /api/v1/me/passkeys/options", "getPasskeyRegistrationOptions"},
      {"POST /api/v1/me/passkeys", "registerPasskey"},
      {"GET /api/v1/me/passkeys", "listMyPasskeys"},
      {"DELETE /api/v1/me/passkeys/{id}", "deleteMyPasskey"},
      {"GET /api/v1/orgs/{org}/two-factor", "getOrgTwoFactor"},
  };
  return m;
}

bool IsActionVerb(std::string_view w) {
  for (std::string_view v : {"verify", "test", "check", "cancel", "restore", "download", "accept", "resend", "sync",
                             "onboard", "repin", "apply", "regenerate", "deploy", "redeploy", "restart", "stop",
                             "destroy", "run", "explain", "diagnose", "reveal"})
    if (w == v) return true;
  return false;
}

}  // namespace

std::string OperationId(const std::string& method, const std::string& pattern) {
  auto& overrides = OperationIdOverrides();
  if (auto it = overrides.find(method + " " + pattern); it != overrides.end()) return it->second;
  std::vector<std::string> segs;
  for (auto s : Split(std::string_view(pattern).substr(1), '/')) segs.emplace_back(s);
  size_t i = 0;
  if (segs.size() >= 2 && segs[0] == "api" && segs[1] == "v1") i = 2;
  if (segs.size() >= i + 2 && segs[i] == "orgs" && segs[i + 1] == "{org}") {
    i += 2;
    if (i == segs.size()) return method == "GET" ? "getOrg" : method == "PATCH" ? "updateOrg" : ToLower(method) + "Org";
  }
  auto is_param = [&](size_t k) { return !segs[k].empty() && segs[k].front() == '{'; };
  const bool ends_param = is_param(segs.size() - 1);
  // The verb: a trailing action segment ("verify", "apply-firewall"), else from the method.
  std::string verb, tail;
  size_t end = segs.size();
  if (!ends_param) {
    const std::string& last = segs.back();
    std::string first = last.substr(0, last.find('-'));
    if (IsActionVerb(first)) {
      verb = first;
      if (first.size() < last.size()) tail = Pascal(std::string_view(last).substr(first.size() + 1));
      end = segs.size() - 1;
    }
  }
  std::vector<std::string> nouns;
  for (size_t k = i; k < end; ++k) {
    if (is_param(k)) continue;
    std::string w = Pascal(segs[k]);
    nouns.push_back(k + 1 < segs.size() && is_param(k + 1) ? Singular(w) : w);
  }
  if (verb.empty()) {
    if (method == "GET") verb = !ends_param && !nouns.empty() && nouns.back().ends_with("s") ? "list" : "get";
    else if (method == "POST") verb = "create";
    else if (method == "PATCH") verb = "update";
    else if (method == "PUT") verb = "set";
    else verb = ToLower(method);
  }
  // One thing is created or acted on: "createServer", "testDockerRegistry".
  if (!nouns.empty() && (verb == "create" || end != segs.size())) nouns.back() = Singular(nouns.back());
  std::string id = verb;
  for (auto& n : nouns) id += n;
  return id + tail;
}

namespace {

std::string StatusDescription(int st) {
  switch (st) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No content";
    case 400: return "validation_failed: the body or a parameter is invalid (details.fields names each)";
    case 401: return "unauthenticated: no valid token or session";
    case 403: return "forbidden (a permission is missing), limit_reached, or csrf";
    case 404: return "not_found: no such object in this org, or not visible to the caller";
    case 409: return "conflict: the name is taken, or the object is in use";
    case 410: return "invitation_expired or invitation_invalid";
    case 413: return "payload_too_large";
    case 415: return "unsupported_media_type: send application/json";
    case 429: return "rate_limited: retry after the Retry-After header's seconds";
    case 502: return "upstream_error: a node, registry, git host or cloud answered with an error";
    case 503: return "unavailable";
    default: return st < 400 ? "Success" : "error";
  }
}

json PathParam(const std::string& name) {
  std::string desc = name == "org" ? "The org's slug" : name == "id" ? "The object's id" : "The " + name;
  return {{"name", name}, {"in", "path"}, {"required", true}, {"description", desc}, {"schema", {{"type", "string"}}}};
}

}  // namespace

std::string Router::BuildOpenApi() const {
  json paths = json::object();
  for (const Route& r : routes_) {
    json responses = json::object();
    for (int st : r.statuses) {
      json resp = {{"description", StatusDescription(st)}};
      if (st >= 400) {
        resp["content"] = {{"application/json", {{"schema", Ref("Error")}}}};
        if (st == 429) resp["headers"] = {{"Retry-After", {{"description", "Seconds to wait"}, {"schema", {{"type", "integer"}}}}}};
      } else if (auto it = r.status_schemas.find(st); it != r.status_schemas.end()) {
        resp["content"] = {{"application/json", {{"schema", it->second}}}};
      } else if (st != 204 && st < 300) {
        const std::string media = r.media.empty() ? "application/json" : r.media;
        json m = json::object();
        if (media == "text/event-stream")
          m["schema"] = {{"type", "string"}, {"description", "Server-Sent Events: `event:` and `data:` lines; each data line is "
                                                              "JSON" + std::string(r.schema.is_null() ? "" : " (x-event-data)")}};
        else if (!r.schema.is_null()) m["schema"] = r.schema;
        else if (media != "application/json") m["schema"] = {{"type", "string"}, {"format", media.starts_with("text/") ? "" : "binary"}};
        if (media == "text/event-stream" && !r.schema.is_null()) m["x-event-data"] = r.schema;
        if (m.contains("schema") && m["schema"].contains("format") && m["schema"]["format"] == "") m["schema"].erase("format");
        if (!r.example.is_null() && media == "application/json") m["example"] = r.example;
        if (!m.empty()) resp["content"] = {{media, m}};
      }
      responses[std::to_string(st)] = resp;
    }
    json params = json::array();
    for (auto& seg : r.segs)
      if (!seg.empty() && seg.front() == '{') params.push_back(PathParam(seg.substr(1, seg.size() - 2)));
    if (r.paged) {
      params.push_back({{"name", "limit"}, {"in", "query"}, {"required", false}, {"description", "Page size"},
                        {"schema", {{"type", "integer"}, {"minimum", 1}, {"maximum", 200}, {"default", 50}}}});
      params.push_back({{"name", "cursor"}, {"in", "query"}, {"required", false},
                        {"description", "The next_cursor of the previous page"}, {"schema", {{"type", "string"}}}});
    }
    for (auto& q : r.query) params.push_back(q);
    json op = {{"operationId", r.operation_id}, {"summary", r.summary}, {"tags", {r.tag}}, {"responses", responses}};
    if (!r.description.empty()) op["description"] = r.description;
    if (!params.empty()) op["parameters"] = params;
    if (!r.request.is_null()) {
      json media = {{"schema", r.request}};
      if (!r.request_example.is_null()) media["example"] = r.request_example;
      op["requestBody"] = {{"required", !r.request_optional}, {"content", {{"application/json", media}}}};
    }
    if (r.auth == AuthMode::kNone) {
      op["security"] = json::array();
    } else if (r.method == "GET" || r.method == "HEAD") {
      op["security"] = json::array({{{"bearer", json::array()}}, {{"cookie", json::array()}}});
    } else {
      // A change authenticated by the session cookie also needs the X-CSRF-Token header.
      op["security"] = json::array({{{"bearer", json::array()}}, {{"cookie", json::array()}, {"csrf", json::array()}}});
    }
    paths[r.pattern][ToLower(r.method)] = op;
  }
  // The error body every error status answers (errors.cc ErrorBody; server.cc for requests that
  // could not be read): code, message and request_id always; layer and details when known.
  json schemas = {
      {"Error",
       {{"type", "object"},
        {"required", {"error"}},
        {"properties",
         {{"error",
           {{"type", "object"},
            {"required", {"code", "message", "request_id"}},
            {"properties",
             {{"code", {{"type", "string"}}},
              {"message", {{"type", "string"}}},
              {"request_id", {{"type", "string"}}},
              {"layer", {{"type", "string"}}},
              {"details", {{"type", "object"}}},
              {"field", {{"type", "string"}}},
              {"fix", {{"type", "string"}}}}}}}}}}}};
  for (auto& [name, schema] : schemas_) schemas[name] = schema;
  json doc = {
      {"openapi", "3.0.3"},
      {"info", {{"title", "Wharf API"}, {"version", options_.version},
                {"description", "Self-hosted PaaS control plane. Errors: {error: {code, message, request_id, layer?, "
                                "details?}}. Lists: {items, next_cursor}; ?limit= 1..200 (default 50), ?cursor=."}}},
      // Paths are written from the server's root (/api/v1/…, and /healthz, /metrics beside them).
      {"servers", json::array({{{"url", "/"}, {"description", "This Wharf server; API paths start with /api/v1"}}})},
      {"paths", paths},
      {"components",
       {{"securitySchemes",
         {{"bearer", {{"type", "http"}, {"scheme", "bearer"}}},
          {"cookie", {{"type", "apiKey"}, {"in", "cookie"}, {"name", "wharf_session"},
                      {"description", "The web UI's session; state-changing requests also need the X-CSRF-Token header from sign-in."}}},
          {"csrf", {{"type", "apiKey"}, {"in", "header"}, {"name", "X-CSRF-Token"},
                    {"description", "The csrf_token answered at sign-in; required with the session cookie on every change."}}}}},
        {"schemas", schemas}}},
      {"security", json::array({{{"bearer", json::array()}}, {{"cookie", json::array()}}})}};
  return doc.dump(2);
}

}  // namespace wharf::api
