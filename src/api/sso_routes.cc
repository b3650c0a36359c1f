// Single sign-on: identity providers (instance administrator; the client secret is write-only),
// the public list for the sign-in page, and the browser flow /start → provider → /callback.
#include "api/body.h"
#include "api/routes.h"
#include "api/schema.h"

#include <cctype>

namespace wharf::api {

namespace {
constexpr std::string_view kSsoCookie = "wharf_sso";

// Percent-encodes all but RFC 3986's unreserved characters (a query parameter's value).
std::string QueryEscape(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char ch : s) {
    if (std::isalnum(ch) || ch == '-' || ch == '.' || ch == '_' || ch == '~') {
      out += static_cast<char>(ch);
    } else {
      out += '%';
      out += kHex[ch >> 4];
      out += kHex[ch & 15];
    }
  }
  return out;
}

json ProviderJson(const services::IdentityProviderView& v) {
  json maps = json::array();
  for (auto& m : v.mappings) maps.push_back({{"claim", m.claim}, {"value", m.value}, {"org", m.org}, {"role_id", m.role_id}});
  return {{"id", v.id}, {"name", v.name}, {"display_name", v.display_name}, {"issuer", v.issuer},
          {"client_id", v.client_id}, {"client_secret", {{"set", v.client_secret_set}}}, {"scopes", v.scopes},
          {"allowed_domains", v.allowed_domains}, {"mappings", maps}, {"callback_url", v.callback_url},
          {"created_at", Time(v.created_at)}, {"updated_at", Time(v.updated_at)}};
}

Result<std::vector<std::string>> StringList(const Body& b, const char* field) {
  const json& j = b.Raw(field);
  if (!j.is_array()) return FieldError(field, "must be a list of strings");
  std::vector<std::string> out;
  for (size_t i = 0; i < j.size(); ++i) {
    if (!j[i].is_string()) return FieldError(std::string(field) + "[" + std::to_string(i) + "]", "must be a string");
    out.push_back(j[i]);
  }
  return out;
}

// A provider's body: on create name, issuer and client_id are required, on PATCH every field is
// optional (only those present change).
Fields ProviderFields(bool creating) {
  using namespace oas;
  auto req = [creating](Field f) { return creating ? f.Req() : f; };
  const json words = Array(json{{"type", "string"}, {"maxLength", 200}});
  return Fields({req(Str("name", 40).Pattern("^[a-z0-9][a-z0-9-]{1,38}[a-z0-9]$").Desc("The slug in the sign-in URL").Example("okta")),
                 Str("display_name", 200).Desc("The sign-in button's label; default: name").Example("Okta"),
                 req(Str("issuer", 500).Format("uri").Desc("The issuer exactly as its tokens say it: https://…, no trailing slash")
                         .Example("https://acme.okta.com")),
                 req(Str("client_id", 300).Example("0oa1b2c3d4")),
                 Secret("client_secret", 1000).Desc("Write-only; an empty string removes it (a public client with PKCE)"),
                 Any("scopes", words).Desc("Default: openid email profile"),
                 Any("allowed_domains", words).Desc("Only verified emails of these domains may sign in; empty: any"),
                 Any("mappings", Array(Object({{"claim", String("A claim of the ID token, or email_domain")},
                                               {"value", String()}, {"org", String("The org's slug")},
                                               {"role_id", String()}})))
                     .Desc("Which org and role a matching user joins on first sign-in")});
}

Result<services::IdentityProviderInput> ParseProvider(const HttpRequest& req, const Fields& fields) {
  WHARF_ASSIGN_OR_RETURN(Body b, Body::ParseAll(req, fields));
  services::IdentityProviderInput in;
  in.name = b.Keep(b.OptString("name"));
  in.display_name = b.Keep(b.OptString("display_name"));
  in.issuer = b.Keep(b.OptString("issuer"));
  in.client_id = b.Keep(b.OptString("client_id"));
  in.client_secret = b.Keep(b.OptSecret("client_secret"));
  if (b.Has("scopes")) in.scopes = b.Keep(StringList(b, "scopes"));
  if (b.Has("allowed_domains")) in.allowed_domains = b.Keep(StringList(b, "allowed_domains"));
  if (b.Has("mappings")) {
    const json& j = b.Raw("mappings");
    std::vector<services::SsoMapping> maps;
    if (!j.is_array()) {
      b.KeepStatus(FieldError("mappings", "must be a list of {claim, value, org, role_id}"));
    } else {
      for (size_t i = 0; i < j.size(); ++i) {
        const json& m = j[i];
        auto str = [&](const char* k) { return m.is_object() && m.contains(k) && m[k].is_string() ? m[k].get<std::string>() : std::string(); };
        if (!m.is_object() || str("claim").empty() || str("value").empty() || str("org").empty() || str("role_id").empty())
          b.KeepStatus(FieldError("mappings[" + std::to_string(i) + "]", "needs string claim, value, org and role_id"));
        else
          maps.push_back({str("claim"), str("value"), str("org"), str("role_id")});
      }
    }
    in.mappings = std::move(maps);
  }
  WHARF_TRY(b.Check());
  return in;
}

HttpResponse Redirect(std::string location) {
  HttpResponse r;
  r.status = 302;
  r.content_type = "text/plain";
  r.headers.emplace_back("Location", std::move(location));
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

json SsoOnlyJson(const services::SsoOnlyView& v) {
  json out = {{"enabled", v.enabled},
              {"provider", v.enabled ? json(v.provider) : json(nullptr)},
              {"provider_display_name", v.enabled ? json(v.provider_display_name) : json(nullptr)},
              {"start_url", v.enabled ? json(v.start_url) : json(nullptr)},
              {"break_glass", v.break_glass ? UserBrief(*v.break_glass) : json(nullptr)},
              {"updated_at", TimeOrNull(v.updated_at)}};
  return out;
}

std::string SsoCookie(const Router& rt, std::string_view value, int max_age) {
  return std::string(kSsoCookie) + "=" + std::string(value) + "; HttpOnly; SameSite=Lax; Path=/api/v1/auth/sso; Max-Age=" +
         std::to_string(max_age) + (rt.options().secure_cookies ? "; Secure" : "");
}
}  // namespace

void AddSsoRoutes(Router& rt) {
  using A = AuthMode;
  auto& s = rt.svc();
  {
    using namespace oas;
    // ProviderJson writes this shape.
    rt.AddSchema("IdentityProvider",
                 Object({{"id", String()}, {"name", String()}, {"display_name", String()}, {"issuer", String()},
                         {"client_id", String()}, {"client_secret", IsSet()}, {"scopes", Array(String())},
                         {"allowed_domains", Array(String())},
                         {"mappings", Array(Object({{"claim", String()}, {"value", String()}, {"org", String()},
                                                    {"role_id", String()}}))},
                         {"callback_url", String("The redirect URI to register with the provider")},
                         {"created_at", Time()}, {"updated_at", Time()}}));
    rt.AddSchema("SsoProviderLink", Object({{"name", String()}, {"display_name", String()},
                                            {"start_url", String("GET it in the browser to sign in")}}));
  }
  const Fields create_fields = ProviderFields(true), update_fields = ProviderFields(false);
  using namespace oas;
  rt.AddSchema("SsoOnly", Object({{"enabled", Boolean()},
                                  {"provider", Nullable(String("the identity provider's name"))},
                                  {"provider_display_name", Nullable(String())},
                                  {"start_url", Nullable(String("where members start signing in"))},
                                  {"break_glass", Nullable(Ref("UserBrief"))},
                                  {"updated_at", Nullable(Time())}}));
  const Fields sso_only_fields = {
      Bool("enabled").Req().Desc("true: members sign in only through the provider"),
      Str("provider", 64).Desc("the identity provider's name (required to turn it on)").Example("corp"),
      Str("break_glass_user_id", 64).Desc("an Admin member who keeps password sign-in (required to turn it on)")};
  rt.Add("GET", "/api/v1/orgs/{org}/sso-only", A::kOrg, "orgs",
      "Whether members sign in only through an identity provider, and the break-glass Admin (team.read)",
      {200, 401, 403, 404}, [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto v, s.sso_only().Get(c.p(), c.ctx));
        return Json(200, SsoOnlyJson(v));
      },
      Ref("SsoOnly"));
  rt.Add("PUT", "/api/v1/orgs/{org}/sso-only", A::kOrg, "orgs",
      "Turn SSO-only sign-in on {enabled: true, provider, break_glass_user_id} or off {enabled: false} (Admin with a "
      "session; step-up). Turning it on ends members' sessions not opened through the provider; API tokens keep "
      "working", {200, 400, 401, 403, 404}, [&s, sso_only_fields](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req, sso_only_fields));
        services::SsoOnlyInput in;
        WHARF_ASSIGN_OR_RETURN(auto enabled, b.OptBool("enabled"));
        in.enabled = enabled.value_or(false);
        WHARF_ASSIGN_OR_RETURN(in.provider, b.OptString("provider"));
        WHARF_ASSIGN_OR_RETURN(in.break_glass_user_id, b.OptString("break_glass_user_id"));
        WHARF_TRY(s.second_factor().RequireStepUp(*c.who, "orgs.sso_only", c.ctx));
        WHARF_ASSIGN_OR_RETURN(auto v, s.sso_only().Set(c.p(), in, c.ctx));
        json out = SsoOnlyJson(v);
        out["sessions_ended"] = v.sessions_ended;
        return Json(200, out);
      })
      .Request(sso_only_fields)
      .Returns(200, Object({{"enabled", Boolean()},
                            {"provider", Nullable(String())},
                            {"provider_display_name", Nullable(String())},
                            {"start_url", Nullable(String())},
                            {"break_glass", Nullable(Ref("UserBrief"))},
                            {"updated_at", Nullable(Time())},
                            {"sessions_ended", Integer()}}));
  rt.Add("GET", "/api/v1/admin/identity-providers", A::kUser, "identityProviders",
      "OpenID Connect identity providers (instance administrator)", {200, 401, 403},
      [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto ps, s.sso().ListProviders(*c.who));
        json items = json::array();
        for (auto& p : ps) items.push_back(ProviderJson(p));
        return Json(200, {{"items", items}, {"next_cursor", nullptr}});
      },
      WholeListOf("IdentityProvider"));
  rt.Add("POST", "/api/v1/admin/identity-providers", A::kUser, "identityProviders",
      "Add an identity provider {name, issuer, client_id, client_secret?, scopes?, allowed_domains?, mappings?: "
      "[{claim, value, org, role_id}]} (instance administrator; the secret is write-only)",
      {201, 400, 401, 403, 409}, [&s, create_fields](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto in, ParseProvider(c.req, create_fields));
        WHARF_ASSIGN_OR_RETURN(auto v, s.sso().CreateProvider(*c.who, std::move(in), c.ctx));
        return Json(201, ProviderJson(v));
      },
      Ref("IdentityProvider"))
      .Request(create_fields);
  rt.Add("GET", "/api/v1/admin/identity-providers/{id}", A::kUser, "identityProviders",
      "An identity provider (instance administrator)", {200, 401, 403, 404}, [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto v, s.sso().GetProvider(*c.who, c.params[0]));
        return Json(200, ProviderJson(v));
      },
      Ref("IdentityProvider"));
  rt.Add("PATCH", "/api/v1/admin/identity-providers/{id}", A::kUser, "identityProviders",
      "Change an identity provider (instance administrator)", {200, 400, 401, 403, 404, 409},
      [&s, update_fields](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto in, ParseProvider(c.req, update_fields));
        WHARF_ASSIGN_OR_RETURN(auto v, s.sso().UpdateProvider(*c.who, c.params[0], std::move(in), c.ctx));
        return Json(200, ProviderJson(v));
      },
      Ref("IdentityProvider"))
      .Request(update_fields);
  rt.Add("DELETE", "/api/v1/admin/identity-providers/{id}", A::kUser, "identityProviders",
      "Remove an identity provider (instance administrator; 409 while an SSO-only org names it)",
      {204, 401, 403, 404, 409},
      [&s](Call& c) -> Result<HttpResponse> {
        WHARF_TRY(s.sso().DeleteProvider(*c.who, c.params[0], c.ctx));
        return NoContent();
      });
  // --- wharf login --web ---
  const Fields cli_authorize_fields = {
      Str("redirect_uri", 200).Req().Desc("the CLI's loopback listener: http://127.0.0.1:PORT/… or http://[::1]:PORT/…")
          .Example("http://127.0.0.1:53682/callback"),
      Str("state", 128).Req().Desc("the CLI's state, echoed to the loopback"),
      Str("code_challenge", 43).Req().Desc("BASE64URL(SHA-256(code_verifier))"),
      Enum("code_challenge_method", {"S256"}).Req()};
  rt.Add("POST", "/api/v1/auth/cli/authorize", A::kUser, "auth",
      "Authorise `wharf login --web` from the browser (a session, not an API token): answers the loopback URL "
      "with a single-use code (2 minutes) to send the browser to; 429 when the account already has 10 codes "
      "waiting", {200, 400, 401, 403, 413, 415, 429},
      [&s, cli_authorize_fields](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req, cli_authorize_fields));
        services::CliAuthorizeInput in;
        WHARF_ASSIGN_OR_RETURN(in.redirect_uri, b.String("redirect_uri"));
        WHARF_ASSIGN_OR_RETURN(in.state, b.String("state"));
        WHARF_ASSIGN_OR_RETURN(in.code_challenge, b.String("code_challenge"));
        WHARF_ASSIGN_OR_RETURN(in.code_challenge_method, b.String("code_challenge_method"));
        WHARF_ASSIGN_OR_RETURN(std::string to, s.cli_login().Authorize(*c.who, in, c.ctx));
        return Json(200, {{"redirect_to", to}});
      })
      .Request(cli_authorize_fields)
      .Returns(200, Object({{"redirect_to", String("the loopback URL with ?code=…&state=…")}}));
  const Fields cli_token_fields = {Secret("code", 200).Req(), Secret("code_verifier", 128).Req(),
                                   Str("redirect_uri", 200).Req()};
  rt.Add("POST", "/api/v1/auth/cli/token", A::kNone, "auth",
      "Exchange the loopback's single-use code and the PKCE verifier for a session {user, token, csrf_token}",
      {200, 400, 401, 403, 413, 415}, [&rt, &s, cli_token_fields](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req, cli_token_fields));
        WHARF_ASSIGN_OR_RETURN(auto code, b.OptSecret("code"));
        WHARF_ASSIGN_OR_RETURN(auto verifier, b.OptSecret("code_verifier"));
        WHARF_ASSIGN_OR_RETURN(std::string redirect_uri, b.String("redirect_uri"));
        if (!code || !verifier) return FieldError("code", "give code and code_verifier");
        WHARF_ASSIGN_OR_RETURN(auto g, s.cli_login().Exchange(code->view(), *verifier, redirect_uri, c.ctx));
        return SessionAnswer(rt, g, false);
      })
      .Request(cli_token_fields)
      .Returns(200, Object({{"user", Ref("User")}, {"token", String()}, {"csrf_token", String()}}));
  rt.Add("GET", "/api/v1/auth/sso/providers", A::kNone, "auth",
      "The identity providers the sign-in page offers: {items: [{name, display_name, start_url}]}", {200},
      [&s](Call&) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto ps, s.sso().PublicProviders());
        json items = json::array();
        for (auto& [name, display] : ps)
          items.push_back({{"name", name}, {"display_name", display}, {"start_url", "/api/v1/auth/sso/" + name + "/start"}});
        return Json(200, {{"items", items}, {"next_cursor", nullptr}});
      },
      WholeListOf("SsoProviderLink"));
  rt.Add("GET", "/api/v1/auth/sso/{provider}/start", A::kNone, "auth",
      "Start single sign-on: 302 to the identity provider (authorization code with PKCE S256, state and nonce)",
      {302, 404, 503}, [&rt, &s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto st, s.sso().Start(c.params[0], c.ctx));
        auto r = Redirect(st.location);
        r.headers.emplace_back("Set-Cookie", SsoCookie(rt, st.state, 600));
        return r;
      });
  rt.Add("GET", "/api/v1/auth/sso/{provider}/callback", A::kNone, "auth",
      "The identity provider's redirect: sets the session and 302s to the UI (/login/sso#csrf=…); a refusal 302s "
      "to /login?sso_error=…", {302}, [&rt, &s](Call& c) -> Result<HttpResponse> {
        const std::string cookie = CookieValue(c.req.Header("cookie"), kSsoCookie);
        const std::string base = s.config().public_url;
        auto fail = [&](const std::string& msg) {
          auto r = Redirect(base + "/login?sso_error=" + QueryEscape(msg));
          r.headers.emplace_back("Set-Cookie", SsoCookie(rt, "", 0));
          return r;
        };
        if (!c.req.Query("error").empty())
          return fail("The identity provider refused the sign-in (" + c.req.Query("error").substr(0, 100) + ").");
        auto g = s.sso().Callback(c.params[0], c.req.Query("code"), c.req.Query("state"), cookie, c.ctx);
        if (!g) {
          const std::string check = g.error().details.value("check", std::string());
          return fail(g.error().message + (check.empty() ? "" : " (check: " + check + ")"));
        }
        auto r = Redirect(base + "/login/sso#csrf=" + std::string(g->csrf_token.view()));
        r.headers.emplace_back("Set-Cookie", rt.SessionCookie(g->token));
        r.headers.emplace_back("Set-Cookie", SsoCookie(rt, "", 0));
        return r;
      });
}

}  // namespace wharf::api
