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

void Router::Add(std::string method, std::string pattern, AuthMode auth, std::string tag, std::string summary,
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
  routes_.push_back(std::move(r));
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

std::string Router::BuildOpenApi() const {
  json paths = json::object();
  for (const Route& r : routes_) {
    json responses = json::object();
    for (int st : r.statuses) {
      std::string desc = st < 300 ? "Success" : st == 400 ? "validation_failed" : st == 401 ? "unauthenticated"
                       : st == 403 ? "forbidden or limit_reached" : st == 404 ? "not_found" : st == 409 ? "conflict"
                       : st == 410 ? "invitation_expired or invitation_invalid" : st == 413 ? "payload_too_large"
                       : st == 415 ? "unsupported_media_type" : st == 429 ? "rate_limited" : "error";
      json resp = {{"description", desc}};
      if (st >= 400) resp["content"] = {{"application/json", {{"schema", Ref("Error")}}}};
      else if (st != 204 && !r.schema.is_null()) resp["content"] = {{"application/json", {{"schema", r.schema}}}};
      responses[std::to_string(st)] = resp;
    }
    json params = json::array();
    for (auto& seg : r.segs)
      if (!seg.empty() && seg.front() == '{')
        params.push_back({{"name", seg.substr(1, seg.size() - 2)}, {"in", "path"}, {"required", true},
                          {"schema", {{"type", "string"}}}});
    json op = {{"operationId", r.operation_id}, {"summary", r.summary}, {"tags", {r.tag}}, {"responses", responses}};
    if (!params.empty()) op["parameters"] = params;
    if (r.auth == AuthMode::kNone) op["security"] = json::array();
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
                      {"description", "State-changing requests also need the X-CSRF-Token header from sign-in."}}}}},
        {"schemas", schemas}}},
      {"security", json::array({{{"bearer", json::array()}}, {{"cookie", json::array()}}})}};
  return doc.dump(2);
}

}  // namespace wharf::api
