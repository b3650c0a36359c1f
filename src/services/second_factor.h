// Second factors and what rests on them: TOTP enrolment (QR code rendered here), recovery codes,
// passkeys (WebAuthn registration, second-factor and passwordless assertions), the sign-in's
// second step, step-up (a factor proved within the last 10 minutes, per session), the org policy
// "require two-factor" and the operator's reset. The pure checks live in src/identity; this class
// keeps their state in the store, in the same transaction as the session it opens.
//
//   // the sign-in's second step (Auth::Login answered second_factor with a challenge):
//   WHARF_ASSIGN_OR_RETURN(auto grant, svc.second_factor().CompleteLogin(challenge, {.totp_code = "287082"}, ctx));
//   // before a sensitive action (a reveal, a role change, an API token, an ownership transfer):
//   WHARF_TRY(svc.second_factor().RequireStepUp(*who, "tokens.create", ctx));
//
// Secrets: the TOTP secret is sealed with a data key of its own row; recovery codes are stored as
// argon2id hashes; neither appears in a log line, an audit detail or an error. Code attempts are
// rate-limited per user (5 failures per 5 minutes, every factor together).
//
// Thread-safety: every method is safe to call concurrently.
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "services/auth.h"
#include "services/core.h"
#include "services/rate_limiter.h"

namespace wharf::services {

inline constexpr int64_t kStepUpMs = 10LL * 60 * 1000;

struct TotpEnrolment {
  SecretBytes secret;       // base32, shown once at enrolment
  SecretBytes otpauth_uri;  // holds the secret too
  std::string qr_svg;       // the URI as a QR code
};

// One proof of a factor: exactly one of the members is set (password only for step-up without
// any factor enrolled).
struct FactorProof {
  std::optional<std::string> totp_code;
  std::optional<SecretBytes> recovery_code;
  std::optional<nlohmann::json> passkey;  // a PublicKeyCredential as JSON (base64url fields)
  std::optional<SecretBytes> password;
};

struct PasskeyView {
  std::string id, name;
  Timestamp created_at = 0, last_used_at = 0;
};

struct TwoFactorState {
  bool totp = false;
  int64_t recovery_codes_left = 0;
  std::vector<PasskeyView> passkeys;
  Timestamp step_up_until = 0;  // this session's
};

struct OrgTwoFactorMember {
  domain::User user;
  bool two_factor = false;
};

struct OrgTwoFactorView {
  bool require_two_factor = false;
  std::vector<OrgTwoFactorMember> members;
};

class SecondFactor : public Feature {
 public:
  // Installs itself as `auth`'s login gate.
  SecondFactor(Core& core, Auth& auth);

  Result<TwoFactorState> State(const Authenticated& who);
  // A new, unconfirmed secret (replacing an unconfirmed one). kConflict when TOTP is active.
  Result<TotpEnrolment> BeginTotp(const Authenticated& who, const RequestContext& ctx);
  // Activates TOTP with a first code; returns ten fresh recovery codes (shown once).
  Result<std::vector<SecretBytes>> ConfirmTotp(const Authenticated& who, std::string_view code,
                                               const RequestContext& ctx);
  Status DisableTotp(const Authenticated& who, const RequestContext& ctx);  // step-up
  Result<std::vector<SecretBytes>> RegenerateRecoveryCodes(const Authenticated& who,
                                                           const RequestContext& ctx);  // step-up

  // WebAuthn request options for a passkey step-up (the session's user's passkeys).
  Result<nlohmann::json> StepUpOptions(const Authenticated& who, const RequestContext& ctx);
  // Proves a factor for this session; returns the new step-up deadline.
  Result<Timestamp> StepUp(const Authenticated& who, FactorProof proof, const RequestContext& ctx);
  // Ok for API tokens, for users without a second factor and within the session's step-up
  // window; else 403 step_up_required naming `action`.
  Status RequireStepUp(const Authenticated& who, std::string_view action, const RequestContext& ctx);

  // The sign-in's second step: the challenge from Auth::Login and one proof.
  Result<SessionGrant> CompleteLogin(std::string_view challenge, FactorProof proof, const RequestContext& ctx);

  // --- passkeys ---
  Result<nlohmann::json> PasskeyRegistrationOptions(const Authenticated& who, const RequestContext& ctx);
  Result<PasskeyView> RegisterPasskey(const Authenticated& who, std::string_view name, const nlohmann::json& credential,
                                      const RequestContext& ctx);
  Result<std::vector<PasskeyView>> ListPasskeys(const Authenticated& who);
  Status DeletePasskey(const Authenticated& who, std::string_view id, const RequestContext& ctx);  // step-up
  Result<nlohmann::json> PasskeyLoginOptions(const RequestContext& ctx);
  Result<SessionGrant> PasskeyLogin(const nlohmann::json& credential, const RequestContext& ctx);

  // --- org policy ---
  // kTwoFactorRequired when `p`'s org requires a second factor and the session's user has none
  // (API tokens keep working). Cached per org for a few seconds.
  Status CheckOrgPolicy(const Authenticated& who, const authz::Principal& p);
  Result<OrgTwoFactorView> OrgStatus(const authz::Principal& p, const RequestContext& ctx);  // team.read
  // Admin only; turning it on needs the caller's own second factor.
  Status SetRequireTwoFactor(const authz::Principal& p, bool on, const RequestContext& ctx);

  // wharf admin reset-2fa: removes every factor of the account, audited and emailed.
  Status AdminReset(std::string_view email, const RequestContext& ctx);

 private:
  Result<std::optional<PendingSecondFactor>> LoginGate(store::Tx& tx, const domain::User& u, const RequestContext& ctx);
  // Checks `proof` for `user_id` inside `tx` and consumes what it used (the TOTP step, the
  // recovery code, the passkey's counter). `webauthn_challenge`: the ceremony's, for a passkey.
  Status VerifyProof(store::Tx& tx, const domain::User& user, const FactorProof& proof,
                     std::string_view webauthn_challenge, std::string* used);
  Status CheckRate(std::string_view user_id);
  // Audits `action` in every org the user belongs to (and at instance level) and emails the user.
  Status AuditUser(store::Tx& tx, const domain::User& u, const std::string& action, const std::string& detail,
                   const RequestContext& ctx, std::string actor_id = {}, std::string actor_email = {});
  void Email(const domain::User& u, const std::string& subject, const std::string& body);
  Result<std::string> OpenTotpSecret(const store::TotpRow& row);
  Result<domain::User> LoadUser(store::Tx& tx, std::string_view user_id);

  Auth& auth_;
  RateLimiter failures_;
  RateLimiter ceremonies_per_ip_;
  std::mutex policy_mu_;
  struct PolicyEntry {
    bool on = false;
    Timestamp at = 0;
  };
  std::unordered_map<std::string, PolicyEntry> policy_cache_;  // org id → require_two_factor
};

}  // namespace wharf::services
