// Sign-up, sign-in and sign-out, the signed-in user and their API tokens, orgs.
#include "api/routes.h"

#include "api/body.h"
#include "api/schema.h"

namespace wharf::api {

namespace {

json TokenJson(const domain::ApiToken& t, const std::string& org_slug) {
  return {{"id", t.id}, {"name", t.name}, {"org", org_slug},
          {"permissions", t.permissions ? domain::PermissionsToJson(*t.permissions) : json(nullptr)},
          {"expires_at", TimeOrNull(t.expires_at)}, {"created_at", Time(t.created_at)},
          {"last_used_at", TimeOrNull(t.last_used_at)}};
}

}  // namespace

void AddAuthRoutes(Router& rt) {
  using A = AuthMode;
  auto& s = rt.svc();
  {
    using namespace oas;
    rt.AddSchema("ApiToken", Object({{"id", String()}, {"name", String()}, {"org", String("The org's slug")},
                                     {"permissions", Nullable(Ref("Permissions"))}, {"expires_at", Nullable(Time())},
                                     {"created_at", Time()}, {"last_used_at", Nullable(Time())},
                                     {"token", String("Only when created: the secret, shown once")}},
                                    {"token"}));
    rt.AddSchema("Session", Object({{"user", Ref("User")}, {"csrf_token", String("Send as X-CSRF-Token with the cookie")},
                                    {"token", String("The session token (absent with cookie_only)")},
                                    {"org", Ref("Org")}},
                                   {"token", "org"}));
  }
  const Fields signup_fields = {
      Str("email", 254).Req().Format("email").Example("ada@example.com"), Secret("password", 1024).Req().Example("correct horse battery staple"),
      Str("name", 200).Req().Example("Ada"), Str("invitation_token", 200),
      Bool("cookie_only").Desc("Leave the session token out of the body (web UI)")};
  const Fields login_fields = {Str("email", 254).Req().Example("ada@example.com"), Secret("password", 1024).Req().Example("correct horse battery staple"),
                               Bool("cookie_only").Desc("Leave the session token out of the body (web UI)")};
  const Fields token_fields = {
      Str("name", 200).Req().Example("ci"), Str("org", 64).Req().Desc("The org's slug").Example("acme"),
      Any("permissions", Ref("PermissionsInput")).Desc("At most the caller's own; default: the caller's"),
      Int("expires_in_days")};
  const Fields org_fields = {Str("name", 200).Req().Example("Acme"), Str("slug", 64).Example("acme")};
  const Fields rename_org_fields = {Str("name", 200).Example("Acme Inc"), Bool("require_two_factor").Desc("Members without a second factor may only enrol one")};
  const Fields transfer_fields = {Str("user_id", 64).Req()};
  const Fields seat_fields = {Int("seat_limit").Req().Desc("0 = unlimited").Example(10)};
  // --- auth ---
  rt.Add("GET", "/api/v1/auth/config", A::kNone, "auth",
      "The sign-up policy for the sign-up page: {signup: first-user|invite-only|open, signup_open: whether an "
      "account can be created now without an invitation, password_reset: email (a link is mailed) or operator "
      "(no SMTP: ask the operator)}", {200},
      [&s](Call&) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(bool open, s.auth().SignupOpenWithoutInvitation());
        return Json(200, {{"signup", services::SignupPolicyName(s.config().signup_policy)}, {"signup_open", open},
                          {"password_reset", s.email_enabled() ? "email" : "operator"}});
      },
      oas::Object({{"signup", oas::Enum({"first-user", "invite-only", "open"})}, {"signup_open", oas::Boolean()}, {"password_reset", oas::Enum({"email", "operator"})}}));
  rt.Add("POST", "/api/v1/auth/signup", A::kNone, "auth", "Create an account (and join an org with invitation_token); cookie_only: true leaves the session token out of the body. "
      "403 signup_closed when the sign-up policy wants an invitation; open sign-up with SMTP answers 202 "
      "{status: check_email} whether or not the address has an account",
      {201, 202, 400, 403, 409, 410, 413, 415, 429}, [&rt, &s, signup_fields](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::ParseAll(c.req, signup_fields));
        auto cookie_only = b.Keep(b.OptBool("cookie_only"));
        services::SignupInput in;
        in.email = b.Keep(b.String("email"));
        std::string pw = b.Keep(b.String("password"));
        in.password = SecretBytes::FromString(pw);
        std::fill(pw.begin(), pw.end(), '\0');
        in.name = b.Keep(b.String("name"));
        in.invitation_token = b.Keep(b.OptString("invitation_token"));
        // Each field's own rules too, so that one answer names every bad field.
        if (b.Has("email")) b.KeepStatus(domain::NormalizeEmail(in.email, "email").map([](auto&&) {}));
        if (b.Has("name")) b.KeepStatus(domain::ValidateName(in.name, "name").map([](auto&&) {}));
        if (b.Has("password")) b.KeepStatus(domain::ValidatePassword(in.password.view(), "password"));
        WHARF_TRY(b.Check());
        WHARF_ASSIGN_OR_RETURN(auto g, s.auth().Signup(std::move(in), c.ctx));
        if (g.check_email)  // the same answer whether or not the address had an account
          return Json(202, {{"status", "check_email"},
                            {"message", "Check your email: the next step was sent to the address you gave."}});
        services::OrgView ov{*g.org, g.org_seats_used};
        json out = {{"user", UserJson(g.user)}, {"csrf_token", g.csrf_token.view()}, {"org", OrgJson(ov)}};
        if (!cookie_only.value_or(false)) out["token"] = g.token.view();  // the web UI keeps it in the cookie only
        auto res = Json(201, out);
        res.headers.emplace_back("Set-Cookie", rt.SessionCookie(g.token));
        return res;
      },
      Ref("Session"))
      .Request(signup_fields)
      .Returns(202, Ref("CheckEmail"));
  rt.Add("POST", "/api/v1/auth/login", A::kNone, "auth", "Sign in; cookie_only: true leaves the session token out of the body (web UI). An account with a second factor "
      "answers {second_factor_required, challenge, methods, passkey_options} and no session (see /auth/login/second-factor); 403 account_disabled for an account the operator disabled, 403 sso_required for a member of an SSO-only org (details: org, provider, start_url)", {200, 400, 401, 403, 413, 415, 429},
      [&rt, &s, login_fields](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req, login_fields));
        WHARF_ASSIGN_OR_RETURN(auto cookie_only, b.OptBool("cookie_only"));
        WHARF_ASSIGN_OR_RETURN(std::string email, b.String("email"));
        WHARF_ASSIGN_OR_RETURN(std::string pw, b.String("password"));
        auto password = SecretBytes::FromString(pw);
        std::fill(pw.begin(), pw.end(), '\0');
        WHARF_ASSIGN_OR_RETURN(auto g, s.auth().Login(email, password, c.ctx));
        if (g.second_factor) return SecondFactorAnswer(*g.second_factor);  // no session yet
        return SessionAnswer(rt, g, cookie_only.value_or(false));
      },
      json{{"oneOf", json::array({Ref("Session"), Ref("SecondFactorChallenge")})}})
      .Request(login_fields);
  rt.Add("POST", "/api/v1/auth/logout", A::kUser, "auth", "Sign out (revoke this session)", {204, 400, 401, 403},
      [&rt, &s](Call& c) -> Result<HttpResponse> {
        WHARF_TRY(s.auth().Logout(*c.who, c.ctx));
        auto r = NoContent();
        r.headers.emplace_back("Set-Cookie", std::string(kCookieName) + "=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0" +
                                                 (rt.options().secure_cookies ? "; Secure" : ""));
        return r;
      });
  rt.Add("POST", "/api/v1/auth/logout-all", A::kUser, "auth", "Sign out everywhere (revoke every session)", {204, 401, 403},
      [&rt, &s](Call& c) -> Result<HttpResponse> {
        WHARF_TRY(s.auth().LogoutAll(*c.who, c.ctx));
        auto r = NoContent();
        r.headers.emplace_back("Set-Cookie", std::string(kCookieName) + "=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0" +
                                                 (rt.options().secure_cookies ? "; Secure" : ""));
        return r;
      });

  // --- me ---
  rt.Add("GET", "/api/v1/me", A::kUser, "me", "The signed-in user and their orgs with role and effective permissions",
      {200, 401}, [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto orgs, s.auth().MyOrgs(*c.who));
        json arr = json::array();
        for (auto& o : orgs)
          arr.push_back({{"slug", o.org.slug}, {"name", o.org.name}, {"owner", o.owner},
                         {"role", {{"id", o.role.id}, {"name", o.role.name}, {"builtin", o.role.builtin}}},
                         {"permissions", domain::PermissionsToJson(o.effective)}});
        return Json(200, {{"user", UserJson(c.who->user)}, {"orgs", arr}});
      },
      oas::Object({{"user", Ref("User")},
                   {"orgs", oas::Array(oas::Object({{"slug", oas::String()}, {"name", oas::String()}, {"owner", oas::Boolean()},
                                                    {"role", Ref("RoleBrief")}, {"permissions", Ref("Permissions")}}))}}));
  rt.Add("POST", "/api/v1/me/tokens", A::kUser, "me", "Create a personal API token scoped to one org (shown once; step-up)",
      {201, 400, 401, 403, 404}, [&s, token_fields](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req, token_fields));
        services::CreateTokenInput in;
        WHARF_ASSIGN_OR_RETURN(in.name, b.String("name"));
        WHARF_ASSIGN_OR_RETURN(in.org_slug, b.String("org"));
        if (b.Has("permissions")) {
          WHARF_ASSIGN_OR_RETURN(in.permissions, domain::ParsePermissions(b.Raw("permissions"), "permissions"));
        }
        WHARF_ASSIGN_OR_RETURN(in.expires_in_days, b.OptInt("expires_in_days"));
        WHARF_TRY(s.second_factor().RequireStepUp(*c.who, "tokens.create", c.ctx));
        WHARF_ASSIGN_OR_RETURN(auto g, s.auth().CreateApiToken(*c.who, std::move(in), c.ctx));
        json out = TokenJson(g.token, g.org_slug);
        out["token"] = g.secret.view();
        return Json(201, out);
      },
      Ref("ApiToken"))
      .Request(token_fields);
  rt.Add("GET", "/api/v1/me/tokens", A::kUser, "me", "List my API tokens (never their values)", {200, 401},
      [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto ts, s.auth().ListApiTokens(*c.who));
        json items = json::array();
        for (auto& [t, slug] : ts) items.push_back(TokenJson(t, slug));
        return Json(200, {{"items", items}, {"next_cursor", nullptr}});
      },
      oas::Object({{"items", oas::Array(Ref("ApiToken"))}, {"next_cursor", oas::Nullable(oas::String("Always null: one page"))}}))
      .Description("Every token in one page; next_cursor is always null.");
  rt.Add("DELETE", "/api/v1/me/tokens/{id}", A::kUser, "me", "Revoke an API token", {204, 401, 404},
      [&s](Call& c) -> Result<HttpResponse> {
        WHARF_TRY(s.auth().RevokeApiToken(*c.who, c.params[0], c.ctx));
        return NoContent();
      });

  // --- orgs ---
  rt.Add("POST", "/api/v1/orgs", A::kUser, "orgs", "Create an org; the caller becomes owner and Admin",
      {201, 400, 401, 403, 409}, [&s, org_fields](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req, org_fields));
        WHARF_ASSIGN_OR_RETURN(std::string name, b.String("name"));
        WHARF_ASSIGN_OR_RETURN(auto slug, b.OptString("slug"));
        WHARF_ASSIGN_OR_RETURN(auto v, s.auth().CreateOrg(*c.who, name, slug, c.ctx));
        return Json(201, OrgJson(v));
      },
      Ref("Org"))
      .Request(org_fields);
  rt.Add("GET", "/api/v1/orgs/{org}", A::kOrg, "orgs", "An org (members only)", {200, 401, 404},
      [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto v, s.auth().GetOrg(c.p()));
        return Json(200, OrgJson(v));
      },
      Ref("Org"));
  rt.Add("PATCH", "/api/v1/orgs/{org}", A::kOrg, "orgs", "Rename an org {name} and/or set {require_two_factor} (Admin; turning it on needs your own second factor)",
      {200, 400, 401, 403, 404, 409},
      [&s, rename_org_fields](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req, rename_org_fields));
        WHARF_ASSIGN_OR_RETURN(auto name, b.OptString("name"));
        WHARF_ASSIGN_OR_RETURN(auto require_2fa, b.OptBool("require_two_factor"));
        if (!name && !require_2fa) return FieldError("name", "give name and/or require_two_factor");
        if (require_2fa) WHARF_TRY(s.second_factor().SetRequireTwoFactor(c.p(), *require_2fa, c.ctx));
        if (name) {
          WHARF_ASSIGN_OR_RETURN(auto v, s.auth().RenameOrg(c.p(), *name, c.ctx));
          return Json(200, OrgJson(v));
        }
        WHARF_ASSIGN_OR_RETURN(auto v, s.auth().GetOrg(c.p()));
        return Json(200, OrgJson(v));
      },
      Ref("Org"))
      .Request(rename_org_fields);
  rt.Add("POST", "/api/v1/orgs/{org}/transfer-ownership", A::kOrg, "orgs", "Transfer ownership to an Admin member (owner; step-up)",
      {200, 400, 401, 403, 404, 409}, [&s, transfer_fields](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req, transfer_fields));
        WHARF_ASSIGN_OR_RETURN(std::string uid, b.String("user_id"));
        WHARF_TRY(s.second_factor().RequireStepUp(*c.who, "orgs.transfer_ownership", c.ctx));
        WHARF_ASSIGN_OR_RETURN(auto v, s.auth().TransferOwnership(c.p(), uid, c.ctx));
        return Json(200, OrgJson(v));
      },
      Ref("Org"))
      .Request(transfer_fields);
  rt.Add("PATCH", "/api/v1/admin/orgs/{org}", A::kUser, "orgs", "Set an org's seat limit (instance administrator)",
      {200, 400, 401, 403, 404}, [&s, seat_fields](Call& c) -> Result<HttpResponse> {
        if (!c.who->user.instance_admin || c.who->api_token)
          return Forbidden("instance_admin", "Only the instance administrator can change seat limits.");
        WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req, seat_fields));
        WHARF_ASSIGN_OR_RETURN(auto limit, b.OptInt("seat_limit"));
        WHARF_ASSIGN_OR_RETURN(auto v, s.auth().SetSeatLimit(*c.who, c.params[0], *limit, c.ctx));
        return Json(200, OrgJson(v));
      },
      Ref("Org"))
      .Request(seat_fields);

}

}  // namespace wharf::api
