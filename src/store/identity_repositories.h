// Repositories of second factors and sign-in ceremonies: a user's TOTP secret (sealed), recovery
// code hashes, passkeys, the short-lived challenges of a sign-in or passkey ceremony, per-session
// step-up times and the org policy "require two-factor" (part of store.h, which includes it).
//
// Races are settled by the conditional writes: AdvanceTotpStep and ConsumeRecoveryCode change a
// row only while it is still as the caller read it, and TakeChallenge deletes the challenge it
// returns, so one code, one recovery code and one challenge each open at most one session.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/clock.h"
#include "base/error.h"

namespace wharf::store {

struct TotpRow {
  std::string user_id;
  std::string wrapped_key;    // the row's own data key, wrapped by the master key
  std::string secret_sealed;  // the 20-byte secret, sealed (secrets::Envelope)
  bool confirmed = false;     // false until a first code confirmed the enrolment
  int64_t last_step = -1;     // the last TOTP step accepted (identity::kTotpNoStepUsed)
  Timestamp created_at = 0;
};

struct PasskeyRow {
  std::string id;
  std::string user_id;
  std::string name;
  std::string credential_id;  // raw bytes
  std::string public_key;     // the COSE key as the authenticator encoded it
  int64_t alg = 0;            // COSE algorithm
  int64_t sign_count = 0;
  Timestamp created_at = 0, last_used_at = 0;
};

// A ceremony in progress: "login" (password checked, second factor awaited), "passkey_register",
// "passkey_login" (passwordless), "step_up". Found by the SHA-256 of the token the client holds.
struct ChallengeRow {
  std::string id_hash;
  std::string kind;
  std::string user_id;             // "" for a passwordless sign-in (the passkey names the user)
  std::string webauthn_challenge;  // raw bytes; "" when no passkey ceremony was begun
  Timestamp expires_at = 0;
};

class SecondFactorRepository {
 public:
  virtual ~SecondFactorRepository() = default;
  // --- TOTP ---
  virtual Result<std::optional<TotpRow>> FindTotp(std::string_view user_id) = 0;
  virtual Status PutTotp(const TotpRow& t) = 0;  // insert or replace the user's row
  virtual Result<std::vector<TotpRow>> ListAllTotp() = 0;  // for master-key rotation
  virtual Status ConfirmTotp(std::string_view user_id, int64_t step) = 0;
  // Sets last_step = step where it is still below `step`; false when another sign-in took it.
  virtual Result<bool> AdvanceTotpStep(std::string_view user_id, int64_t step) = 0;
  virtual Result<bool> DeleteTotp(std::string_view user_id) = 0;
  // --- recovery codes ---
  virtual Status ReplaceRecoveryCodes(std::string_view user_id, const std::vector<std::string>& hashes) = 0;
  // (index, hash) of the unused codes, by index.
  virtual Result<std::vector<std::pair<int64_t, std::string>>> ListRecoveryCodes(std::string_view user_id) = 0;
  virtual Result<bool> ConsumeRecoveryCode(std::string_view user_id, int64_t index) = 0;
  virtual Status DeleteRecoveryCodes(std::string_view user_id) = 0;
  // --- passkeys ---
  virtual Status InsertPasskey(const PasskeyRow& p) = 0;  // kConflict on a credential id already stored
  virtual Result<std::vector<PasskeyRow>> ListPasskeys(std::string_view user_id) = 0;  // by created_at, id
  virtual Result<std::optional<PasskeyRow>> FindPasskeyByCredential(std::string_view credential_id) = 0;
  // Stores a use where sign_count is still `old_count`; false when another sign-in raced it.
  virtual Result<bool> RecordPasskeyUse(std::string_view id, int64_t old_count, int64_t new_count, Timestamp at) = 0;
  virtual Result<bool> DeletePasskey(std::string_view user_id, std::string_view id) = 0;
  // --- ceremonies ---
  virtual Status InsertChallenge(const ChallengeRow& c) = 0;
  // The unexpired challenge with this hash and kind, or nullopt.
  virtual Result<std::optional<ChallengeRow>> FindChallenge(std::string_view id_hash, std::string_view kind,
                                                            Timestamp now) = 0;
  virtual Result<bool> DeleteChallenge(std::string_view id_hash) = 0;
  virtual Status PruneChallenges(Timestamp now) = 0;
  // --- step-up ---
  virtual Status SetStepUp(std::string_view session_id, std::string_view user_id, Timestamp until) = 0;
  virtual Result<Timestamp> StepUpUntil(std::string_view session_id) = 0;  // 0 when never
  // --- org policy ---
  virtual Result<bool> RequireTwoFactor(std::string_view org_id) = 0;
  virtual Status SetRequireTwoFactor(std::string_view org_id, bool on) = 0;
  // --- the user as a whole ---
  // A confirmed TOTP or at least one passkey.
  virtual Result<bool> HasSecondFactor(std::string_view user_id) = 0;
  // Of `user_ids`, those with a second factor.
  virtual Result<std::vector<std::string>> WithSecondFactor(const std::vector<std::string>& user_ids) = 0;
  // Every factor, code, ceremony and step-up of the user (wharf admin reset-2fa; account deletion).
  virtual Status DeleteAllForUser(std::string_view user_id) = 0;
};

// An OpenID Connect identity provider the instance administrator configured.
struct IdentityProviderRow {
  std::string id;
  std::string name;  // the slug in /auth/sso/{name}/start
  std::string display_name;
  std::string issuer, client_id;
  std::string wrapped_key;           // the row's own data key, wrapped by the master key
  std::string client_secret_sealed;  // "" when the provider needs none (PKCE public client)
  std::string scopes;                // space-separated
  std::string allowed_domains;       // JSON array of lower-case domains; [] = any
  std::string mappings;              // JSON array of {claim, value, org_id, role_id}
  Timestamp created_at = 0, updated_at = 0;
};

// One sign-in in flight between /start and /callback, found by the SHA-256 of its state.
struct SsoStateRow {
  std::string state_hash;
  std::string provider_id;
  std::string nonce;
  std::string pkce_verifier;
  Timestamp expires_at = 0;
};

struct SsoIdentityRow {
  std::string provider_id, subject, user_id, email;
  Timestamp created_at = 0;
};

// A membership a mapping rule granted (so that losing the group removes exactly it).
struct SsoGrantRow {
  std::string provider_id, user_id, org_id, role_id;
};

// An organisation whose members sign in only through `provider_id` (password and passwordless
// sign-in refused), except `break_glass_user_id`. No row: the org allows every method.
struct SsoOnlyRow {
  std::string org_id, provider_id, break_glass_user_id;
  Timestamp updated_at = 0;
  std::string updated_by;
};

// A single-use code for `wharf login --web`, found by its SHA-256: issued to a signed-in browser
// session, bound to the CLI's loopback redirect and PKCE challenge, exchanged once for a session.
struct CliLoginCodeRow {
  std::string code_hash, user_id, redirect_uri, code_challenge;
  std::string sso_provider_id;  // the browser session's provider when it signed in through SSO
  Timestamp expires_at = 0;
};

class SsoRepository {
 public:
  virtual ~SsoRepository() = default;
  virtual Status InsertProvider(const IdentityProviderRow& p) = 0;  // kConflict on a duplicate name
  virtual Status UpdateProvider(const IdentityProviderRow& p) = 0;
  virtual Result<std::optional<IdentityProviderRow>> FindProvider(std::string_view id) = 0;
  virtual Result<std::optional<IdentityProviderRow>> FindProviderByName(std::string_view name) = 0;
  virtual Result<std::vector<IdentityProviderRow>> ListProviders() = 0;
  virtual Result<bool> DeleteProvider(std::string_view id) = 0;
  virtual Status InsertState(const SsoStateRow& s) = 0;
  // The unexpired state with this hash, deleted as it is read (one callback per start).
  virtual Result<std::optional<SsoStateRow>> TakeState(std::string_view state_hash, Timestamp now) = 0;
  virtual Result<std::optional<SsoIdentityRow>> FindIdentity(std::string_view provider_id, std::string_view subject) = 0;
  virtual Status InsertIdentity(const SsoIdentityRow& i) = 0;
  virtual Result<std::vector<SsoGrantRow>> ListGrants(std::string_view provider_id, std::string_view user_id) = 0;
  virtual Status PutGrant(const SsoGrantRow& g) = 0;
  virtual Status DeleteGrant(std::string_view provider_id, std::string_view user_id, std::string_view org_id) = 0;

  // --- SSO-only organisations ---
  virtual Result<std::optional<SsoOnlyRow>> FindSsoOnly(std::string_view org_id) = 0;
  virtual Status PutSsoOnly(const SsoOnlyRow& r) = 0;
  virtual Result<bool> DeleteSsoOnly(std::string_view org_id) = 0;
  // The SSO-only orgs (not deleted) `user_id` is a member of, oldest org first.
  virtual Result<std::vector<SsoOnlyRow>> SsoOnlyForMember(std::string_view user_id) = 0;
  // The org ids whose SSO-only policy names `provider_id`.
  virtual Result<std::vector<std::string>> SsoOnlyOrgsOfProvider(std::string_view provider_id) = 0;
  // Sessions opened through a provider (so turning SSO-only on can end the others).
  virtual Status MarkSsoSession(std::string_view session_id, std::string_view provider_id, Timestamp at) = 0;
  virtual Result<std::optional<std::string>> SsoSessionProvider(std::string_view session_id) = 0;

  // --- wharf login --web ---
  virtual Status InsertCliCode(const CliLoginCodeRow& r) = 0;
  // How many of the user's codes are still unexpired at `now` (taken codes are gone).
  virtual Result<int64_t> CountLiveCliCodes(std::string_view user_id, Timestamp now) = 0;
  // The unexpired code with this hash, deleted as it is read (one exchange per code).
  virtual Result<std::optional<CliLoginCodeRow>> TakeCliCode(std::string_view code_hash, Timestamp now) = 0;
};

}  // namespace wharf::store
