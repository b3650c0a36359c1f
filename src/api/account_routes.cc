// The account itself (API.md, "The account itself"): profile, password, forgotten password,
// email verification and change, sessions, deleting the account or an org, and the instance
// administrator's user management. Reset and verification tokens travel in the path; the request
// log names the route pattern, never the path, so they stay out of the logs.
#include "api/routes.h"

#include "api/body.h"
#include "api/schema.h"

namespace wharf::api {

namespace {

// A required secret field (a password): 400 naming it when absent.
Result<SecretBytes> RequiredSecret(const Body& b, const char* name) {
  WHARF_ASSIGN_OR_RETURN(auto v, b.OptSecret(name));
  if (!v) return FieldError(name, "is required");
  return std::move(*v);
}

json SessionJson(const services::SessionView& v) {
  const auto& s = v.session;
  return {{"id", s.id}, {"created_at", Time(s.created_at)}, {"last_used_at", TimeOrNull(s.last_used_at)},
          {"expires_at", Time(s.expires_at)}, {"ip", s.ip}, {"user_agent", s.user_agent}, {"current", v.current}};
}

json AdminUserJson(const domain::User& u) {
  json j = UserJson(u);
  j["disabled"] = u.disabled_at != 0;
  j["disabled_at"] = TimeOrNull(u.disabled_at);
  return j;
}

Status RequireInstanceAdmin(const Call& c) {
  if (!c.who->user.instance_admin || c.who->api_token) {
    auto e = Err(ErrorCode::kForbidden, "Only the instance administrator, signed in with a session, manages users.");
    e.value().details = {{"permission", "instance_admin"}};
    return e;
  }
  return Ok();
}

// A password field: domain::ValidatePassword's rule, documented.
Field Password(std::string name) {
  return Secret(std::move(name), 1024).Req().Desc("10 to 1024 characters").Example("correct horse battery staple");
}

}  // namespace

void AddAccountRoutes(Router& rt) {
  using A = AuthMode;
  auto& s = rt.svc();
  {
    using namespace oas;
    // The 202 of a request whose next step is a mailed link.
    rt.AddSchema("CheckEmail", Object({{"status", Enum({"check_email"})}, {"message", String()}}));
    // SessionJson writes this shape.
    rt.AddSchema("AccountSession", Object({{"id", String()}, {"created_at", Time()}, {"last_used_at", Nullable(Time())},
                                           {"expires_at", Time()}, {"ip", String()}, {"user_agent", String()},
                                           {"current", Boolean("The session of this request")}}));
    // AdminUserJson: UserJson and the disabled state.
    rt.AddSchema("AdminUser", Object({{"id", String()}, {"email", String()}, {"name", String()},
                                      {"instance_admin", Boolean()}, {"email_verified", Boolean()},
                                      {"created_at", Time()}, {"updated_at", Time()}, {"disabled", Boolean()},
                                      {"disabled_at", Nullable(Time())}}));
  }
  const Fields profile_fields = {Str("name", 200).Req().Example("Ada Lovelace")};
  const Fields password_fields = {Secret("current_password", 1024).Req().Example("correct horse battery staple"),
                                  Password("new_password")};
  const Fields email_fields = {Str("email", 254).Req().Format("email").Example("ada@example.org"),
                               Secret("password", 1024).Req().Desc("The current password").Example("correct horse battery staple")};
  const Fields reset_request_fields = {Str("email", 254).Req().Format("email").Example("ada@example.com")};
  const Fields reset_fields = {Password("new_password")};
  const Fields delete_me_fields = {Secret("password", 1024).Req().Example("correct horse battery staple")};
  const Fields delete_org_fields = {Str("confirm", 64).Req().Desc("The org's slug, typed again").Example("acme")};

  rt.Add("PATCH", "/api/v1/me", A::kUser, "me", "Change my name", {200, 400, 401, 403},
      [&s, profile_fields](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::ParseAll(c.req, profile_fields));
        std::string name = b.Keep(b.String("name"));
        if (b.Has("name")) b.KeepStatus(domain::ValidateName(name, "name").map([](auto&&) {}));
        WHARF_TRY(b.Check());
        WHARF_ASSIGN_OR_RETURN(auto u, s.account().UpdateProfile(*c.who, name, c.ctx));
        return Json(200, UserJson(u));
      },
      Ref("User"))
      .Request(profile_fields);
  rt.Add("POST", "/api/v1/me/password",  A::kUser, "me",
      "Change my password (needs a session, the current password, and step-up when a second factor is enrolled); every other session ends", {204, 400, 401, 403, 429},
      [&s, password_fields](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::ParseAll(c.req, password_fields));
        SecretBytes current = b.Keep(RequiredSecret(b, "current_password"));
        SecretBytes next = b.Keep(RequiredSecret(b, "new_password"));
        if (b.Has("new_password")) b.KeepStatus(domain::ValidatePassword(next.view(), "new_password"));
        WHARF_TRY(b.Check());
        // With a second factor, a stolen session alone cannot take the account over.
        WHARF_TRY(s.second_factor().RequireStepUp(*c.who, "account.password", c.ctx));
        WHARF_TRY(s.account().ChangePassword(*c.who, current, next, c.ctx));
        return NoContent();
      })
      .Request(password_fields);
  rt.Add("POST", "/api/v1/me/email", A::kUser, "me",
      "Change my email: a confirmation link goes to the new address (SMTP), a notice to the current one",
      {202, 400, 401, 403, 409, 429}, [&s, email_fields](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::ParseAll(c.req, email_fields));
        std::string email = b.Keep(b.String("email"));
        SecretBytes password = b.Keep(RequiredSecret(b, "password"));
        if (b.Has("email")) b.KeepStatus(domain::NormalizeEmail(email, "email").map([](auto&&) {}));
        WHARF_TRY(b.Check());
        WHARF_TRY(s.account().RequestEmailChange(*c.who, email, password, c.ctx));
        return Json(202, {{"status", "check_email"},
                          {"message", "Open the link sent to the new address to finish the change."}});
      }, Ref("CheckEmail"))
      .Request(email_fields);
  rt.Add("POST", "/api/v1/me/email/verification", A::kUser, "me",
      "Send a new verification link to my (unverified) address", {202, 401, 409},
      [&s](Call& c) -> Result<HttpResponse> {
        WHARF_TRY(s.account().ResendVerification(*c.who, c.ctx));
        return Json(202, {{"status", "check_email"}, {"message", "A new verification link is on its way."}});
      }, Ref("CheckEmail"));
  rt.Add("POST", "/api/v1/auth/verify-email/{token}", A::kNone, "auth",
      "Verify an address, or finish an email change, with the emailed link", {204, 409, 410},
      [&s](Call& c) -> Result<HttpResponse> {
        WHARF_TRY(s.account().VerifyEmail(c.params[0], c.ctx));
        return NoContent();
      });
  rt.Add("POST", "/api/v1/auth/password-reset", A::kNone, "auth",
      "Forgotten password: mails a one-hour reset link. The same answer, in the same time, whether or not the "
      "account exists; 409 (layer email) when this instance sends no email", {202, 400, 409, 413, 415, 429},
      [&s, reset_request_fields](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::ParseAll(c.req, reset_request_fields));
        std::string email = b.Keep(b.String("email"));
        if (b.Has("email")) b.KeepStatus(domain::NormalizeEmail(email, "email").map([](auto&&) {}));
        WHARF_TRY(b.Check());
        WHARF_TRY(s.account().RequestPasswordReset(email, c.ctx));
        return Json(202, {{"status", "check_email"},
                          {"message", "If an account uses this address, a reset link is on its way. It works once, "
                                      "for one hour."}});
      }, Ref("CheckEmail"))
      .Request(reset_request_fields);
  rt.Add("GET", "/api/v1/auth/password-reset/{token}", A::kNone, "auth",
      "Whether a reset link still works, and for which address (opening it uses nothing)", {200, 410},
      [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto v, s.account().InspectPasswordReset(c.params[0]));
        return Json(200, {{"email", v.email}, {"expires_at", Time(v.expires_at)}});
      },
      oas::Object({{"email", oas::String()}, {"expires_at", oas::Time()}}));
  rt.Add("POST", "/api/v1/auth/password-reset/{token}", A::kNone, "auth",
      "Set a new password with a reset link (single use); every session of the account ends", {204, 400, 410},
      [&s, reset_fields](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::ParseAll(c.req, reset_fields));
        SecretBytes next = b.Keep(RequiredSecret(b, "new_password"));
        if (b.Has("new_password")) b.KeepStatus(domain::ValidatePassword(next.view(), "new_password"));
        WHARF_TRY(b.Check());
        WHARF_TRY(s.account().CompletePasswordReset(c.params[0], next, c.ctx));
        return NoContent();
      })
      .Request(reset_fields);

  rt.Add("GET", "/api/v1/me/sessions", A::kUser, "me",
      "My active sessions, newest first (created, last used, address, browser; the current one marked)", {200, 401},
      [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto ss, s.account().ListSessions(*c.who));
        json items = json::array();
        for (auto& v : ss) items.push_back(SessionJson(v));
        return Json(200, {{"items", items}, {"next_cursor", nullptr}});
      },
      WholeListOf("AccountSession"));
  rt.Add("DELETE", "/api/v1/me/sessions/{id}", A::kUser, "me", "End one of my sessions", {204, 401, 404},
      [&s](Call& c) -> Result<HttpResponse> {
        WHARF_TRY(s.account().EndSession(*c.who, c.params[0], c.ctx));
        return NoContent();
      });
  rt.Add("DELETE", "/api/v1/me/sessions", A::kUser, "me", "End every session of mine but this one",
      {200, 401}, [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(int64_t ended, s.account().EndOtherSessions(*c.who, c.ctx));
        return Json(200, {{"ended", ended}});
      },
      oas::Object({{"ended", oas::Integer()}}));
  rt.Add("DELETE", "/api/v1/me", A::kUser, "me",
      "Delete my account (needs the password); 409 naming the orgs I own or am the last Admin of",
      {204, 400, 401, 403, 409, 429}, [&rt, &s, delete_me_fields](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::ParseAll(c.req, delete_me_fields));
        SecretBytes password = b.Keep(RequiredSecret(b, "password"));
        WHARF_TRY(b.Check());
        WHARF_TRY(s.account().DeleteMe(*c.who, password, c.ctx));
        auto r = NoContent();
        r.headers.emplace_back("Set-Cookie", std::string(kCookieName) + "=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0" +
                                                 (rt.options().secure_cookies ? "; Secure" : ""));
        return r;
      })
      .Request(delete_me_fields);
  rt.Add("DELETE", "/api/v1/orgs/{org}", A::kOrg, "orgs",
      "Delete an org (owner; confirm: the slug; step-up); 409 naming the servers and applications that remain",
      {204, 400, 401, 403, 404, 409}, [&s, delete_org_fields](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::ParseAll(c.req, delete_org_fields));
        std::string confirm = b.Keep(b.String("confirm"));
        WHARF_TRY(b.Check());
        WHARF_TRY(s.second_factor().RequireStepUp(*c.who, "orgs.delete", c.ctx));
        WHARF_TRY(s.account().DeleteOrg(c.p(), confirm, c.ctx));
        return NoContent();
      })
      .Request(delete_org_fields);

  // --- the instance administrator's user management (the same as `wharf admin users …`) ---
  rt.Add("GET", "/api/v1/admin/users", A::kUser, "admin", "Every account (instance administrator)", {200, 401, 403},
      [&s](Call& c) -> Result<HttpResponse> {
        WHARF_TRY(RequireInstanceAdmin(c));
        WHARF_ASSIGN_OR_RETURN(auto us, s.account().ListUsers());
        json items = json::array();
        for (auto& u : us) items.push_back(AdminUserJson(u));
        return Json(200, {{"items", items}, {"next_cursor", nullptr}});
      },
      WholeListOf("AdminUser"));
  for (bool disable : {true, false}) {
    rt.Add("POST", disable ? "/api/v1/admin/users/{id}/disable" : "/api/v1/admin/users/{id}/enable", A::kUser, "admin",
        disable ? "Disable an account: every session and API token ends at once (instance administrator)"
                : "Enable a disabled account (instance administrator)",
        {200, 401, 403, 404, 409}, [&s, disable](Call& c) -> Result<HttpResponse> {
          WHARF_TRY(RequireInstanceAdmin(c));
          if (disable && c.params[0] == c.who->user.id)
            return Err(ErrorCode::kConflict, "You cannot disable your own account.");
          WHARF_ASSIGN_OR_RETURN(auto u, s.account().SetDisabled(c.params[0], disable, c.who->user.email, c.ctx));
          return Json(200, AdminUserJson(u));
        },
        Ref("AdminUser"));
  }
  rt.Add("DELETE", "/api/v1/admin/users/{id}", A::kUser, "admin",
      "Delete an account (instance administrator); 409 naming the orgs it owns or is the last Admin of",
      {204, 401, 403, 404, 409}, [&s](Call& c) -> Result<HttpResponse> {
        WHARF_TRY(RequireInstanceAdmin(c));
        if (c.params[0] == c.who->user.id)
          return Err(ErrorCode::kConflict, "Delete your own account from the Account page (DELETE /api/v1/me).");
        WHARF_TRY(s.account().DeleteUser(c.params[0], c.who->user.email, c.ctx));
        return NoContent();
      });
}

}  // namespace wharf::api
