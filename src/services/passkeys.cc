// Passkeys (second_factor.h): registration, listing and removal, passwordless sign-in, and the
// WebAuthn plumbing of second_factor_internal.h. The checks themselves are identity/webauthn.h.
#include "base/log.h"
#include "base/strings.h"
#include "identity/jose.h"
#include "secrets/crypto.h"
#include "services/notifications.h"
#include "services/second_factor.h"
#include "services/second_factor_internal.h"

namespace wharf::services {

using nlohmann::json;

namespace {
constexpr int64_t kCeremonyMs = 5LL * 60 * 1000;
constexpr size_t kMaxPasskeys = 20;

Result<std::string> B64Field(const json& obj, std::string_view key, std::string_view field, bool required = true) {
  const std::string k(key);
  if (!obj.is_object() || !obj.contains(k) || obj[k].is_null()) {
    if (!required) return std::string();
    return FieldError(field, "is missing " + k + " (send the credential as PublicKeyCredential.toJSON() gives it)");
  }
  std::string out;
  if (!obj[k].is_string() || !identity::Base64UrlDecodeStrict(obj[k].get<std::string>(), &out))
    return FieldError(field, k + " must be base64url without padding");
  return out;
}

json CredentialList(const std::vector<store::PasskeyRow>& rows) {
  json arr = json::array();
  for (auto& p : rows) arr.push_back({{"type", "public-key"}, {"id", Base64UrlEncode(p.credential_id)}});
  return arr;
}

PasskeyView View(const store::PasskeyRow& p) { return {p.id, p.name, p.created_at, p.last_used_at}; }
}  // namespace

identity::RelyingParty Rp(const Config& config, bool require_user_verification) {
  identity::RelyingParty rp;
  std::string_view url = config.public_url;
  rp.origins = {std::string(url)};
  if (auto at = url.find("://"); at != std::string_view::npos) url.remove_prefix(at + 3);
  url = url.substr(0, url.find('/'));
  if (!url.empty() && url.front() == '[') {
    url = url.substr(1, url.find(']') - 1);
  } else {
    url = url.substr(0, url.find(':'));
  }
  rp.id = std::string(url);
  rp.require_user_verification = require_user_verification;
  return rp;
}

std::string NewWebAuthnChallenge() {
  std::string c(32, '\0');
  secrets::RandomBytes(reinterpret_cast<unsigned char*>(c.data()), c.size());
  return c;
}

json RequestOptions(const identity::RelyingParty& rp, std::string_view challenge,
                    const std::vector<store::PasskeyRow>& allow, bool require_uv) {
  return {{"publicKey",
           {{"challenge", Base64UrlEncode(challenge)},
            {"rpId", rp.id},
            {"timeout", kCeremonyMs},
            {"userVerification", require_uv ? "required" : "preferred"},
            {"allowCredentials", CredentialList(allow)}}}};
}

Result<Assertion> ParseAssertion(const json& j, std::string_view field) {
  if (!j.is_object()) return FieldError(field, "must be a PublicKeyCredential object");
  Assertion a;
  WHARF_ASSIGN_OR_RETURN(a.credential_id, B64Field(j, "rawId", field));
  const json resp = j.contains("response") ? j["response"] : json();
  WHARF_ASSIGN_OR_RETURN(a.client_data, B64Field(resp, "clientDataJSON", field));
  WHARF_ASSIGN_OR_RETURN(a.authenticator_data, B64Field(resp, "authenticatorData", field));
  WHARF_ASSIGN_OR_RETURN(a.signature, B64Field(resp, "signature", field));
  WHARF_ASSIGN_OR_RETURN(a.user_handle, B64Field(resp, "userHandle", field, false));
  return a;
}

Result<std::string> ChallengeHashOf(const json& credential, std::string_view field) {
  const json resp = credential.is_object() && credential.contains("response") ? credential["response"] : json();
  WHARF_ASSIGN_OR_RETURN(std::string cd, B64Field(resp, "clientDataJSON", field));
  auto parsed = identity::ParseClientData(cd);
  if (!parsed) return FieldError(field, "clientDataJSON is not valid client data");
  return secrets::Sha256Hex(parsed->challenge);
}

Result<json> SecondFactor::PasskeyRegistrationOptions(const Authenticated& who, const RequestContext&) {
  if (who.api_token) return Forbidden("passkeys", "Register a passkey from a signed-in session, not with an API token.");
  const identity::RelyingParty rp = Rp(config_, false);
  store::ChallengeRow row;
  row.webauthn_challenge = NewWebAuthnChallenge();
  row.id_hash = secrets::Sha256Hex(row.webauthn_challenge);
  row.kind = "passkey_register";
  row.user_id = who.user.id;
  row.expires_at = clock_.Now() + kCeremonyMs;
  std::vector<store::PasskeyRow> existing;
  WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(existing, tx.second_factors().ListPasskeys(who.user.id));
    WHARF_TRY(tx.second_factors().PruneChallenges(clock_.Now()));
    return tx.second_factors().InsertChallenge(row);
  }));
  json params = json::array();
  for (int alg : {-7, -8, -257}) params.push_back({{"type", "public-key"}, {"alg", alg}});
  return json{{"publicKey",
               {{"rp", {{"id", rp.id}, {"name", "Wharf"}}},
                {"user", {{"id", Base64UrlEncode(who.user.id)}, {"name", who.user.email}, {"displayName", who.user.name}}},
                {"challenge", Base64UrlEncode(row.webauthn_challenge)},
                {"pubKeyCredParams", params},
                {"timeout", kCeremonyMs},
                {"attestation", "none"},
                {"authenticatorSelection", {{"residentKey", "preferred"}, {"requireResidentKey", false},
                                            {"userVerification", "preferred"}}},
                {"excludeCredentials", CredentialList(existing)}}}};
}

Result<PasskeyView> SecondFactor::RegisterPasskey(const Authenticated& who, std::string_view name_in,
                                                  const json& credential, const RequestContext& ctx) {
  if (who.api_token) return Forbidden("passkeys", "Register a passkey from a signed-in session, not with an API token.");
  WHARF_ASSIGN_OR_RETURN(std::string name, domain::ValidateName(name_in, "name"));
  WHARF_TRY(RequireStepUp(who, "passkeys.create", ctx));
  if (!credential.is_object()) return FieldError("credential", "must be a PublicKeyCredential object");
  WHARF_ASSIGN_OR_RETURN(std::string credential_id, B64Field(credential, "rawId", "credential"));
  const json resp = credential.contains("response") ? credential["response"] : json();
  WHARF_ASSIGN_OR_RETURN(std::string client_data, B64Field(resp, "clientDataJSON", "credential"));
  WHARF_ASSIGN_OR_RETURN(std::string att_obj, B64Field(resp, "attestationObject", "credential"));
  WHARF_ASSIGN_OR_RETURN(std::string hash, ChallengeHashOf(credential, "credential"));
  std::optional<store::ChallengeRow> row;
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(row, tx.second_factors().FindChallenge(hash, "passkey_register", clock_.Now()));
    return Ok();
  }));
  if (!row || row->user_id != who.user.id)
    return FieldError("credential", "answers no registration in progress (expired or already used): ask for new "
                                    "options (POST /api/v1/me/passkeys/options)");
  WHARF_ASSIGN_OR_RETURN(identity::NewCredential nc,
                         identity::VerifyRegistration(Rp(config_, false), row->webauthn_challenge, client_data, att_obj));
  if (nc.credential_id != credential_id) return FieldError("credential", "rawId differs from the attested credential id");
  store::PasskeyRow pk;
  pk.id = ids_.New("pky");
  pk.user_id = who.user.id;
  pk.name = name;
  pk.credential_id = nc.credential_id;
  pk.public_key = nc.public_key_cbor;
  pk.alg = static_cast<int64_t>(nc.alg);
  pk.sign_count = nc.sign_count;
  pk.created_at = clock_.Now();
  WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
    auto& sf = tx.second_factors();
    WHARF_ASSIGN_OR_RETURN(bool took, sf.DeleteChallenge(hash));
    if (!took) return FieldError("credential", "answers a registration that was already completed");
    WHARF_ASSIGN_OR_RETURN(auto existing, sf.ListPasskeys(who.user.id));
    if (existing.size() >= kMaxPasskeys)
      return Err(ErrorCode::kLimitReached, "An account holds at most 20 passkeys. Remove one you no longer use.");
    WHARF_TRY(sf.InsertPasskey(pk));
    if (!who.session_id.empty()) WHARF_TRY(sf.SetStepUp(who.session_id, who.user.id, clock_.Now() + kStepUpMs));
    return AuditUser(tx, who.user, "auth.passkey_added", "passkey '" + name + "' (" +
                     std::string(identity::CoseAlgName(nc.alg)) + ")", ctx);
  }));
  Email(who.user, "A passkey was added to your Wharf account",
        "The passkey '" + name + "' was added to your Wharf account (" + who.user.email + ") from " + ctx.ip + ".");
  return View(pk);
}

Result<std::vector<PasskeyView>> SecondFactor::ListPasskeys(const Authenticated& who) {
  std::vector<PasskeyView> out;
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto rows, tx.second_factors().ListPasskeys(who.user.id));
    for (auto& r : rows) out.push_back(View(r));
    return Ok();
  }));
  return out;
}

Status SecondFactor::DeletePasskey(const Authenticated& who, std::string_view id, const RequestContext& ctx) {
  WHARF_TRY(RequireStepUp(who, "passkeys.delete", ctx));
  std::string name;
  WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
    auto& sf = tx.second_factors();
    WHARF_ASSIGN_OR_RETURN(auto rows, sf.ListPasskeys(who.user.id));
    for (auto& r : rows)
      if (r.id == id) name = r.name;
    WHARF_ASSIGN_OR_RETURN(bool gone, sf.DeletePasskey(who.user.id, id));
    if (!gone) return Err(ErrorCode::kNotFound, "Passkey not found.");
    WHARF_ASSIGN_OR_RETURN(bool still, sf.HasSecondFactor(who.user.id));
    if (!still) {
      WHARF_TRY(sf.DeleteRecoveryCodes(who.user.id));
      WHARF_TRY(NotifyUserOrgs(tx, who.user.id,
                               TwoFactorDisabledEvent(who.user, "they removed their last passkey ('" + name + "') from " + ctx.ip,
                                                      clock_.Now())));
    }
    return AuditUser(tx, who.user, "auth.passkey_removed",
                     "passkey '" + name + "'" + (still ? "" : "; no second factor left"), ctx);
  }));
  Email(who.user, "A passkey was removed from your Wharf account",
        "The passkey '" + name + "' was removed from your Wharf account (" + who.user.email + ") from " + ctx.ip + ".");
  return Ok();
}

Result<json> SecondFactor::StepUpOptions(const Authenticated& who, const RequestContext&) {
  if (who.api_token || who.session_id.empty())
    return Forbidden("step_up", "Step-up is for signed-in sessions; API tokens do not need it.");
  store::ChallengeRow row;
  row.webauthn_challenge = NewWebAuthnChallenge();
  row.id_hash = secrets::Sha256Hex(row.webauthn_challenge);
  row.kind = "step_up";
  row.user_id = who.user.id;
  row.expires_at = clock_.Now() + kCeremonyMs;
  std::vector<store::PasskeyRow> pks;
  WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(pks, tx.second_factors().ListPasskeys(who.user.id));
    if (pks.empty()) return Err(ErrorCode::kConflict, "This account has no passkey; step up with a TOTP or recovery code.");
    WHARF_TRY(tx.second_factors().PruneChallenges(clock_.Now()));
    return tx.second_factors().InsertChallenge(row);
  }));
  return RequestOptions(Rp(config_, false), row.webauthn_challenge, pks, false);
}

Result<json> SecondFactor::PasskeyLoginOptions(const RequestContext& ctx) {
  const Timestamp now = clock_.Now();
  if (auto wait = ceremonies_per_ip_.Blocked(ctx.ip, now)) {
    auto e = Err(ErrorCode::kRateLimited, "Too many passkey sign-ins from this address. Try again in " +
                                              std::to_string(*wait) + " seconds.");
    e.value().details["retry_after"] = *wait;
    return e;
  }
  ceremonies_per_ip_.Record(ctx.ip, now);
  store::ChallengeRow row;
  row.webauthn_challenge = NewWebAuthnChallenge();
  row.id_hash = secrets::Sha256Hex(row.webauthn_challenge);
  row.kind = "passkey_login";
  row.expires_at = now + kCeremonyMs;
  WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
    WHARF_TRY(tx.second_factors().PruneChallenges(now));
    return tx.second_factors().InsertChallenge(row);
  }));
  return RequestOptions(Rp(config_, true), row.webauthn_challenge, {}, true);
}

Result<SessionGrant> SecondFactor::PasskeyLogin(const json& credential, const RequestContext& ctx) {
  WHARF_ASSIGN_OR_RETURN(Assertion a, ParseAssertion(credential, "credential"));
  WHARF_ASSIGN_OR_RETURN(std::string hash, ChallengeHashOf(credential, "credential"));
  const auto refused = [](std::string check, std::string msg) {
    auto e = Err(ErrorCode::kUnauthenticated, std::move(msg));
    e.value().details["check"] = std::move(check);
    return e;
  };
  std::optional<store::PasskeyRow> pk;
  std::optional<store::ChallengeRow> row;
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(row, tx.second_factors().FindChallenge(hash, "passkey_login", clock_.Now()));
    WHARF_ASSIGN_OR_RETURN(pk, tx.second_factors().FindPasskeyByCredential(a.credential_id));
    return Ok();
  }));
  if (!row) return refused("challenge", "This passkey sign-in expired or was already used. Start again.");
  if (!pk) return refused("credential", "This passkey is not registered on this Wharf instance.");
  if (!a.user_handle.empty() && a.user_handle != pk->user_id)
    return refused("user_handle", "The passkey's user handle does not match its account.");
  WHARF_TRY(CheckRate(pk->user_id));
  SessionGrant grant;
  auto st = WriteTx([&](store::Tx& tx) -> Status {
    auto& sf = tx.second_factors();
    WHARF_ASSIGN_OR_RETURN(bool took, sf.DeleteChallenge(hash));
    if (!took) return refused("challenge", "This passkey sign-in was already used. Start again.");
    WHARF_ASSIGN_OR_RETURN(auto out, identity::VerifyAssertion(Rp(config_, true), row->webauthn_challenge, a.client_data,
                                                               a.authenticator_data, a.signature,
                                                               {pk->public_key, static_cast<uint32_t>(pk->sign_count)}));
    WHARF_ASSIGN_OR_RETURN(bool recorded, sf.RecordPasskeyUse(pk->id, pk->sign_count, out.sign_count, clock_.Now()));
    if (!recorded) return refused("sign_count", "This passkey was used by another sign-in at the same moment.");
    WHARF_ASSIGN_OR_RETURN(auto u, tx.users().FindById(pk->user_id));
    if (!u) return refused("credential", "This passkey's account no longer exists.");
    WHARF_TRY(auth_.CheckSignIn(tx, *u, "passkey"));
    WHARF_ASSIGN_OR_RETURN(grant, auth_.NewSession(tx, *u, ctx));
    return sf.SetStepUp(grant.session.id, u->id, clock_.Now() + kStepUpMs);
  });
  if (!st) {
    if (st.error().code == ErrorCode::kUnauthenticated) failures_.Record(pk->user_id, clock_.Now());
    log::Info("passkey_login_refused", {{"request_id", ctx.request_id},
                                        {"check", st.error().details.value("check", std::string())}});
    return tl::unexpected(st.error());
  }
  auth_.SessionOpened(grant);
  log::Info("passkey_login", {{"request_id", ctx.request_id}, {"user_id", grant.user.id}});
  return grant;
}

}  // namespace wharf::services
