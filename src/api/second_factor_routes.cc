// Second factors: TOTP enrolment, recovery codes, passkeys, the sign-in's second step,
// passwordless sign-in, step-up, and the org policy "require two-factor" (API.md, "Second
// factors, step-up and single sign-on").
#include "api/body.h"
#include "api/routes.h"
#include "api/schema.h"

namespace wharf::api {

namespace {

json PasskeyJson(const services::PasskeyView& p) {
  return {{"id", p.id}, {"name", p.name}, {"created_at", Time(p.created_at)}, {"last_used_at", TimeOrNull(p.last_used_at)}};
}

json CodesJson(const std::vector<SecretBytes>& codes) {
  json arr = json::array();
  for (auto& c : codes) arr.push_back(c.view());
  return arr;
}

// The proof fields of a second-factor or step-up body.
Result<services::FactorProof> ParseProof(Body& b, bool allow_password) {
  services::FactorProof p;
  p.totp_code = b.Keep(b.OptString("totp_code"));
  p.recovery_code = b.Keep(b.OptSecret("recovery_code"));
  if (b.Has("passkey")) {
    if (!b.Raw("passkey").is_object()) b.KeepStatus(FieldError("passkey", "must be a PublicKeyCredential object"));
    else p.passkey = b.Raw("passkey");
  }
  if (allow_password) p.password = b.Keep(b.OptSecret("password"));
  WHARF_TRY(b.Check());
  return p;
}

// The proof fields (ParseProof reads them): one of them.
Fields ProofFields() {
  return {Str("totp_code", 32).Desc("The six digits of the authenticator app").Example("123456"),
          Secret("recovery_code", 64).Desc("One of the recovery codes (used up)"),
          Any("passkey", Ref("PublicKeyCredential")).Desc("An assertion from navigator.credentials.get, as JSON")};
}

void AddSecondFactorSchemas(Router& rt) {
  using namespace oas;
  // PasskeyJson writes this shape.
  rt.AddSchema("Passkey", Object({{"id", String()}, {"name", String()}, {"created_at", Time()},
                                  {"last_used_at", Nullable(Time())}}));
  rt.AddSchema("RecoveryCodes", Object({{"recovery_codes", Array(String("Shown once"))}}));
  // What services/passkeys.cc answers, as PublicKeyCredential.parse{Request,Creation}OptionsFromJSON
  // take it (binary fields base64url).
  rt.AddSchema("PublicKeyCredentialDescriptor", Object({{"type", Enum({"public-key"})}, {"id", String("base64url")}}));
  rt.AddSchema("WebAuthnRequestOptions",
               Object({{"publicKey", Object({{"challenge", String("base64url")}, {"rpId", String()},
                                             {"timeout", Integer()},
                                             {"userVerification", Enum({"required", "preferred", "discouraged"})},
                                             {"allowCredentials", Array(Ref("PublicKeyCredentialDescriptor"))}})}}));
  rt.AddSchema("WebAuthnCreationOptions",
               Object({{"publicKey",
                        Object({{"rp", Object({{"id", String()}, {"name", String()}})},
                                {"user", Object({{"id", String("base64url")}, {"name", String()}, {"displayName", String()}})},
                                {"challenge", String("base64url")},
                                {"pubKeyCredParams", Array(Object({{"type", Enum({"public-key"})}, {"alg", Integer()}}))},
                                {"timeout", Integer()}, {"attestation", Enum({"none"})},
                                {"authenticatorSelection",
                                 Object({{"residentKey", String()}, {"requireResidentKey", Boolean()},
                                         {"userVerification", String()}})},
                                {"excludeCredentials", Array(Ref("PublicKeyCredentialDescriptor"))}})}}));
  // A PublicKeyCredential as its toJSON() writes it; the server reads rawId and the response's
  // base64url fields, and ignores what else the browser adds.
  rt.AddSchema("PublicKeyCredential",
               OpenObject({{"id", String()}, {"rawId", String("base64url")}, {"type", Enum({"public-key"})},
                           {"response", OpenObject({{"clientDataJSON", String("base64url")},
                                                    {"authenticatorData", String("base64url; an assertion")},
                                                    {"signature", String("base64url; an assertion")},
                                                    {"userHandle", Nullable(String("base64url; an assertion"))},
                                                    {"attestationObject", String("base64url; a registration")}},
                                                   {"authenticatorData", "signature", "userHandle", "attestationObject"})}},
                          {"id", "type"}));
  // The org policy's answer: the policy and every member's state, answered whole.
  json org = WholeListOf("OrgTwoFactorMember");
  org["properties"]["require_two_factor"] = Boolean();
  org["required"].push_back("require_two_factor");
  org["additionalProperties"] = false;
  rt.AddSchema("OrgTwoFactor", org);
  rt.AddSchema("OrgTwoFactorMember", Object({{"user", Ref("UserBrief")}, {"two_factor", Boolean()}}));
  rt.AddSchema("SecondFactorChallenge",
               Object({{"second_factor_required", json{{"type", "boolean"}, {"enum", json::array({true})}}}, {"challenge", String("Send to /auth/login/second-factor")},
                       {"methods", Array(Enum({"totp", "passkey", "recovery"}))},
                       {"passkey_options", Nullable(Ref("WebAuthnRequestOptions"))}}));
}

}  // namespace

HttpResponse SessionAnswer(const Router& rt, const services::SessionGrant& g, bool cookie_only) {
  json out = {{"user", UserJson(g.user)}, {"csrf_token", g.csrf_token.view()}};
  if (!cookie_only) out["token"] = g.token.view();  // the web UI keeps it in the cookie only
  auto res = Json(200, out);
  res.headers.emplace_back("Set-Cookie", rt.SessionCookie(g.token));
  return res;
}

HttpResponse SecondFactorAnswer(const services::PendingSecondFactor& p) {
  return Json(200, {{"second_factor_required", true},
                    {"challenge", p.challenge.view()},
                    {"methods", p.methods},
                    {"passkey_options", p.passkey_options}});
}

void AddSecondFactorRoutes(Router& rt) {
  using A = AuthMode;
  auto& s = rt.svc();
  AddSecondFactorSchemas(rt);
  const Fields second_step_fields =
      ProofFields().With({Str("challenge", 200).Req().Desc("The challenge /auth/login answered"),
                          Bool("cookie_only").Desc("Leave the session token out of the body (web UI)")});
  const Fields passkey_login_fields = {
      Any("credential", Ref("PublicKeyCredential")).Req().Desc("From navigator.credentials.get, as JSON"),
      Bool("cookie_only").Desc("Leave the session token out of the body (web UI)")};
  const Fields step_up_fields =
      ProofFields().With({Secret("password", 1024).Desc("Only when the account has no second factor")});
  const Fields confirm_totp_fields = {Str("code", 32).Req().Desc("The six digits the app shows").Example("123456")};
  const Fields passkey_fields = {Str("name", 200).Req().Example("YubiKey 5"),
                                 Any("credential", Ref("PublicKeyCredential")).Req().Desc("From navigator.credentials.create, as JSON")};
  rt.Add("POST", "/api/v1/auth/login/second-factor", A::kNone, "auth",
      "The sign-in's second step: {challenge} from /auth/login and one of totp_code, recovery_code or passkey "
      "(a PublicKeyCredential as JSON); answers as /auth/login (403 sso_required as there)", {200, 400, 401, 403, 413, 415, 429},
      [&rt, &s, second_step_fields](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::ParseAll(c.req, second_step_fields));
        auto cookie_only = b.Keep(b.OptBool("cookie_only"));
        std::string challenge = b.Keep(b.String("challenge"));
        WHARF_ASSIGN_OR_RETURN(auto proof, ParseProof(b, false));
        WHARF_ASSIGN_OR_RETURN(auto g, s.second_factor().CompleteLogin(challenge, std::move(proof), c.ctx));
        return SessionAnswer(rt, g, cookie_only.value_or(false));
      },
      Ref("Session"))
      .Request(second_step_fields);
  rt.Add("POST", "/api/v1/auth/passkey/options", A::kNone, "auth",
      "WebAuthn request options for a passwordless sign-in with a passkey", {200, 429},
      [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto opts, s.second_factor().PasskeyLoginOptions(c.ctx));
        return Json(200, opts);
      },
      Ref("WebAuthnRequestOptions"));
  rt.Add("POST", "/api/v1/auth/passkey", A::kNone, "auth",
      "Passwordless sign-in: {credential} from navigator.credentials.get; answers as /auth/login (403 sso_required "
      "for a member of an SSO-only org)",
      {200, 400, 401, 403, 413, 415, 429}, [&rt, &s, passkey_login_fields](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req, passkey_login_fields));
        WHARF_ASSIGN_OR_RETURN(auto cookie_only, b.OptBool("cookie_only"));
        WHARF_ASSIGN_OR_RETURN(auto g, s.second_factor().PasskeyLogin(b.Raw("credential"), c.ctx));
        return SessionAnswer(rt, g, cookie_only.value_or(false));
      },
      Ref("Session"))
      .Request(passkey_login_fields);
  rt.Add("POST", "/api/v1/auth/step-up/options", A::kUser, "auth",
      "WebAuthn request options for a step-up with one of this account's passkeys", {200, 401, 403, 409},
      [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto opts, s.second_factor().StepUpOptions(*c.who, c.ctx));
        return Json(200, opts);
      },
      Ref("WebAuthnRequestOptions"));
  rt.Add("POST", "/api/v1/auth/step-up", A::kUser, "auth",
      "Prove a factor again for this session (totp_code, recovery_code or passkey; password when no factor is "
      "enrolled); sensitive actions then work for 10 minutes", {200, 400, 401, 403, 429},
      [&s, step_up_fields](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::ParseAll(c.req, step_up_fields));
        WHARF_ASSIGN_OR_RETURN(auto proof, ParseProof(b, true));
        WHARF_ASSIGN_OR_RETURN(Timestamp until, s.second_factor().StepUp(*c.who, std::move(proof), c.ctx));
        return Json(200, {{"step_up_until", Time(until)}});
      },
      oas::Object({{"step_up_until", oas::Time()}}))
      .Request(step_up_fields);

  // --- the account's factors ---
  rt.Add("GET", "/api/v1/me/two-factor", A::kUser, "me",
      "This account's second factors: {totp, recovery_codes_left, passkeys, step_up_until}", {200, 401},
      [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto st, s.second_factor().State(*c.who));
        json pks = json::array();
        for (auto& p : st.passkeys) pks.push_back(PasskeyJson(p));
        return Json(200, {{"totp", st.totp}, {"recovery_codes_left", st.recovery_codes_left}, {"passkeys", pks},
                          {"step_up_until", TimeOrNull(st.step_up_until)}});
      },
      oas::Object({{"totp", oas::Boolean()}, {"recovery_codes_left", oas::Integer()}, {"passkeys", oas::Array(Ref("Passkey"))},
                   {"step_up_until", oas::Nullable(oas::Time())}}));
  rt.Add("POST", "/api/v1/me/totp", A::kUser, "me",
      "Start TOTP enrolment: {secret, otpauth_uri, qr_svg}, shown once; not active until confirmed",
      {201, 401, 403, 409}, [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto e, s.second_factor().BeginTotp(*c.who, c.ctx));
        return Json(201, {{"secret", e.secret.view()}, {"otpauth_uri", e.otpauth_uri.view()}, {"qr_svg", e.qr_svg}});
      },
      oas::Object({{"secret", oas::String("base32, shown once")}, {"otpauth_uri", oas::String("otpauth://totp/…")},
                   {"qr_svg", oas::String("The otpauth URI as an SVG QR code")}}));
  rt.Add("POST", "/api/v1/me/totp/confirm", A::kUser, "me",
      "Activate TOTP with a first {code}; answers ten recovery codes, shown once", {200, 400, 401, 403, 409, 429},
      [&s, confirm_totp_fields](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req, confirm_totp_fields));
        WHARF_ASSIGN_OR_RETURN(std::string code, b.String("code"));
        WHARF_ASSIGN_OR_RETURN(auto codes, s.second_factor().ConfirmTotp(*c.who, code, c.ctx));
        return Json(200, {{"recovery_codes", CodesJson(codes)}});
      },
      Ref("RecoveryCodes"))
      .Request(confirm_totp_fields);
  rt.Add("DELETE", "/api/v1/me/totp", A::kUser, "me", "Turn TOTP off (step-up)", {204, 401, 403, 404},
      [&s](Call& c) -> Result<HttpResponse> {
        WHARF_TRY(s.second_factor().DisableTotp(*c.who, c.ctx));
        return NoContent();
      });
  rt.Add("POST", "/api/v1/me/recovery-codes", A::kUser, "me",
      "Replace the recovery codes with ten new ones, shown once (step-up)", {200, 401, 403, 409},
      [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto codes, s.second_factor().RegenerateRecoveryCodes(*c.who, c.ctx));
        return Json(200, {{"recovery_codes", CodesJson(codes)}});
      },
      Ref("RecoveryCodes"));
  rt.Add("POST", "/api/v1/me/passkeys/options", A::kUser, "me",
      "WebAuthn creation options to register a passkey", {200, 401, 403},
      [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto opts, s.second_factor().PasskeyRegistrationOptions(*c.who, c.ctx));
        return Json(200, opts);
      },
      Ref("WebAuthnCreationOptions"));
  rt.Add("POST", "/api/v1/me/passkeys", A::kUser, "me",
      "Register a passkey: {name, credential} from navigator.credentials.create (step-up when a factor exists)",
      {201, 400, 401, 403, 409}, [&s, passkey_fields](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req, passkey_fields));
        WHARF_ASSIGN_OR_RETURN(std::string name, b.String("name"));
        WHARF_ASSIGN_OR_RETURN(auto p, s.second_factor().RegisterPasskey(*c.who, name, b.Raw("credential"), c.ctx));
        return Json(201, PasskeyJson(p));
      },
      Ref("Passkey"))
      .Request(passkey_fields);
  rt.Add("GET", "/api/v1/me/passkeys", A::kUser, "me", "This account's passkeys", {200, 401},
      [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto ps, s.second_factor().ListPasskeys(*c.who));
        json items = json::array();
        for (auto& p : ps) items.push_back(PasskeyJson(p));
        return Json(200, {{"items", items}, {"next_cursor", nullptr}});
      },
      WholeListOf("Passkey"));
  rt.Add("DELETE", "/api/v1/me/passkeys/{id}", A::kUser, "me", "Remove a passkey (step-up)", {204, 401, 403, 404},
      [&s](Call& c) -> Result<HttpResponse> {
        WHARF_TRY(s.second_factor().DeletePasskey(*c.who, c.params[0], c.ctx));
        return NoContent();
      });

  // --- the org policy ---
  rt.Add("GET", "/api/v1/orgs/{org}/two-factor", A::kOrg, "orgs",
      "The org's two-factor policy and which members have a second factor (team.read)", {200, 401, 403, 404},
      [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto v, s.second_factor().OrgStatus(c.p(), c.ctx));
        json items = json::array();
        for (auto& m : v.members) items.push_back({{"user", UserBrief(m.user)}, {"two_factor", m.two_factor}});
        return Json(200, {{"require_two_factor", v.require_two_factor}, {"items", items}, {"next_cursor", nullptr}});
      },
      Ref("OrgTwoFactor"));
}

}  // namespace wharf::api
