// The account itself (API.md, "The account itself"): profile, password, forgotten password,
// email verification and change, sessions, deleting the account or an org, and the instance
// administrator's user management. Reset and verification tokens travel in the path; the request
// log names the route pattern, never the path, so they stay out of the logs.
#include "api/routes.h"

#include "api/body.h"

namespace wharf::api {

namespace {

// A required secret field (a password): 400 naming it when absent.
Result<SecretBytes> RequiredSecret(const Body& b, const char* name) {
  WHARF_ASSIGN_OR_RETURN(auto v, b.OptSecret(name, 1024));
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

const json kAcceptedSchema = {{"type", "object"},
                              {"properties", {{"status", {{"type", "string"}}}, {"message", {{"type", "string"}}}}}};

}  // namespace

void AddAccountRoutes(Router& rt) {
  using A = AuthMode;
  auto& s = rt.svc();

  rt.Add("PATCH", "/api/v1/me", A::kUser, "me", "Change my name", {200, 400, 401, 403},
      [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::ParseAll(c.req, {"name"}));
        std::string name = b.Keep(b.String("name", 200));
        if (b.Has("name")) b.KeepStatus(domain::ValidateName(name, "name").map([](auto&&) {}));
        WHARF_TRY(b.Check());
        WHARF_ASSIGN_OR_RETURN(auto u, s.account().UpdateProfile(*c.who, name, c.ctx));
        return Json(200, UserJson(u));
      });
  rt.Add("POST", "/api/v1/me/password",  A::kUser, "me",
      "Change my password (needs a session, the current password, and step-up when a second factor is enrolled); every other session ends", {204, 400, 401, 403, 429},
      [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::ParseAll(c.req, {"current_password", "new_password"}));
        SecretBytes current = b.Keep(RequiredSecret(b, "current_password"));
        SecretBytes next = b.Keep(RequiredSecret(b, "new_password"));
        if (b.Has("new_password")) b.KeepStatus(domain::ValidatePassword(next.view(), "new_password"));
        WHARF_TRY(b.Check());
        // With a second factor, a stolen session alone cannot take the account over.
        WHARF_TRY(s.second_factor().RequireStepUp(*c.who, "account.password", c.ctx));
        WHARF_TRY(s.account().ChangePassword(*c.who, current, next, c.ctx));
        return NoContent();
      });
  rt.Add("POST", "/api/v1/me/email", A::kUser, "me",
      "Change my email: a confirmation link goes to the new address (SMTP), a notice to the current one",
      {202, 400, 401, 403, 409, 429}, [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::ParseAll(c.req, {"email", "password"}));
        std::string email = b.Keep(b.String("email", 254));
        SecretBytes password = b.Keep(RequiredSecret(b, "password"));
        if (b.Has("email")) b.KeepStatus(domain::NormalizeEmail(email, "email").map([](auto&&) {}));
        WHARF_TRY(b.Check());
        WHARF_TRY(s.account().RequestEmailChange(*c.who, email, password, c.ctx));
        return Json(202, {{"status", "check_email"},
                          {"message", "Open the link sent to the new address to finish the change."}});
      }, kAcceptedSchema);
  rt.Add("POST", "/api/v1/me/email/verification", A::kUser, "me",
      "Send a new verification link to my (unverified) address", {202, 401, 409},
      [&s](Call& c) -> Result<HttpResponse> {
        WHARF_TRY(s.account().ResendVerification(*c.who, c.ctx));
        return Json(202, {{"status", "check_email"}, {"message", "A new verification link is on its way."}});
      }, kAcceptedSchema);
  rt.Add("POST", "/api/v1/auth/verify-email/{token}", A::kNone, "auth",
      "Verify an address, or finish an email change, with the emailed link", {204, 409, 410},
      [&s](Call& c) -> Result<HttpResponse> {
        WHARF_TRY(s.account().VerifyEmail(c.params[0], c.ctx));
        return NoContent();
      });
  rt.Add("POST", "/api/v1/auth/password-reset", A::kNone, "auth",
      "Forgotten password: mails a one-hour reset link. The same answer, in the same time, whether or not the "
      "account exists; 409 (layer email) when this instance sends no email", {202, 400, 409, 413, 415, 429},
      [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::ParseAll(c.req, {"email"}));
        std::string email = b.Keep(b.String("email", 254));
        if (b.Has("email")) b.KeepStatus(domain::NormalizeEmail(email, "email").map([](auto&&) {}));
        WHARF_TRY(b.Check());
        WHARF_TRY(s.account().RequestPasswordReset(email, c.ctx));
        return Json(202, {{"status", "check_email"},
                          {"message", "If an account uses this address, a reset link is on its way. It works once, "
                                      "for one hour."}});
      }, kAcceptedSchema);
  rt.Add("GET", "/api/v1/auth/password-reset/{token}", A::kNone, "auth",
      "Whether a reset link still works, and for which address (opening it uses nothing)", {200, 410},
      [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto v, s.account().InspectPasswordReset(c.params[0]));
        return Json(200, {{"email", v.email}, {"expires_at", Time(v.expires_at)}});
      });
  rt.Add("POST", "/api/v1/auth/password-reset/{token}", A::kNone, "auth",
      "Set a new password with a reset link (single use); every session of the account ends", {204, 400, 410},
      [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::ParseAll(c.req, {"new_password"}));
        SecretBytes next = b.Keep(RequiredSecret(b, "new_password"));
        if (b.Has("new_password")) b.KeepStatus(domain::ValidatePassword(next.view(), "new_password"));
        WHARF_TRY(b.Check());
        WHARF_TRY(s.account().CompletePasswordReset(c.params[0], next, c.ctx));
        return NoContent();
      });

  rt.Add("GET", "/api/v1/me/sessions", A::kUser, "me",
      "My active sessions, newest first (created, last used, address, browser; the current one marked)", {200, 401},
      [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto ss, s.account().ListSessions(*c.who));
        json items = json::array();
        for (auto& v : ss) items.push_back(SessionJson(v));
        return Json(200, {{"items", items}, {"next_cursor", nullptr}});
      });
  rt.Add("DELETE", "/api/v1/me/sessions/{id}", A::kUser, "me", "End one of my sessions", {204, 401, 404},
      [&s](Call& c) -> Result<HttpResponse> {
        WHARF_TRY(s.account().EndSession(*c.who, c.params[0], c.ctx));
        return NoContent();
      });
  rt.Add("DELETE", "/api/v1/me/sessions", A::kUser, "me", "End every session of mine but this one",
      {200, 401}, [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(int64_t ended, s.account().EndOtherSessions(*c.who, c.ctx));
        return Json(200, {{"ended", ended}});
      });
  rt.Add("DELETE", "/api/v1/me", A::kUser, "me",
      "Delete my account (needs the password); 409 naming the orgs I own or am the last Admin of",
      {204, 400, 401, 403, 409, 429}, [&rt, &s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::ParseAll(c.req, {"password"}));
        SecretBytes password = b.Keep(RequiredSecret(b, "password"));
        WHARF_TRY(b.Check());
        WHARF_TRY(s.account().DeleteMe(*c.who, password, c.ctx));
        auto r = NoContent();
        r.headers.emplace_back("Set-Cookie", std::string(kCookieName) + "=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0" +
                                                 (rt.options().secure_cookies ? "; Secure" : ""));
        return r;
      });
  rt.Add("DELETE", "/api/v1/orgs/{org}", A::kOrg, "orgs",
      "Delete an org (owner; confirm: the slug; step-up); 409 naming the servers and applications that remain",
      {204, 400, 401, 403, 404, 409}, [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::ParseAll(c.req, {"confirm"}));
        std::string confirm = b.Keep(b.String("confirm", 64));
        WHARF_TRY(b.Check());
        WHARF_TRY(s.second_factor().RequireStepUp(*c.who, "orgs.delete", c.ctx));
        WHARF_TRY(s.account().DeleteOrg(c.p(), confirm, c.ctx));
        return NoContent();
      });

  // --- the instance administrator's user management (the same as `wharf admin users …`) ---
  rt.Add("GET", "/api/v1/admin/users", A::kUser, "admin", "Every account (instance administrator)", {200, 401, 403},
      [&s](Call& c) -> Result<HttpResponse> {
        WHARF_TRY(RequireInstanceAdmin(c));
        WHARF_ASSIGN_OR_RETURN(auto us, s.account().ListUsers());
        json items = json::array();
        for (auto& u : us) items.push_back(AdminUserJson(u));
        return Json(200, {{"items", items}, {"next_cursor", nullptr}});
      });
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
        });
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
