// Accounts, credentials and organisations: sign-up (per the sign-up policy), sign-in with its
// throttling, sign-out, API tokens, resolving a bearer token to a caller and a caller to a
// principal in an org, and creating, renaming and transferring organisations. It holds the
// per-process credential and org caches, invalidated by every write that changes them (and by
// other processes' writes: replicas, `wharf admin` commands; checked before every request).
//
//   WHARF_ASSIGN_OR_RETURN(auto grant, svc.auth().Login("ann@example.test", password, ctx));
//   WHARF_ASSIGN_OR_RETURN(auto who, svc.auth().Authenticate(grant.token.view(), ctx));
//   WHARF_ASSIGN_OR_RETURN(authz::Principal p, svc.auth().ResolvePrincipal(*who, "acme", ctx));
//
// Thread-safety: every method is safe to call concurrently; state lives in the store (and
// in members that synchronize themselves).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "services/core.h"
#include "services/rate_limiter.h"
#include "services/team.h"

namespace wharf::services {

struct SignupInput {
  std::string email, name;
  SecretBytes password;
  std::optional<std::string> invitation_token;
};

// A sign-in whose password was right, waiting for the second factor
// (POST /auth/login/second-factor with `challenge`).
struct PendingSecondFactor {
  SecretBytes challenge;             // shown once; the store keeps its hash
  std::vector<std::string> methods;  // "totp", "passkey", "recovery"
  nlohmann::json passkey_options;    // WebAuthn request options when a passkey is enrolled, else null
};

struct SessionGrant {
  domain::User user;
  // Set instead of a session when the account has a second factor; token and csrf_token are empty.
  std::optional<PendingSecondFactor> second_factor;
  SecretBytes token;       // shown once
  SecretBytes csrf_token;  // shown once
  std::optional<domain::Org> org;  // signup: the personal org, or the invited org
  std::vector<std::string> ended_sessions;  // older sessions ended by max_sessions_per_user
  // Sign-up only: the answer is "check your email" (open sign-up with SMTP); nothing else is set.
  bool check_email = false;
  int64_t org_seats_used = 0;
  domain::Session session;
};

struct OrgView {
  domain::Org org;
  int64_t seats_used = 0;
};

struct MeOrg {
  domain::Org org;
  bool owner = false;
  domain::Role role;
  domain::Permissions effective;
};

struct CreateTokenInput {
  std::string name, org_slug;
  std::optional<domain::Permissions> permissions;
  std::optional<int64_t> expires_in_days;
};

struct TokenGrant {
  domain::ApiToken token;
  std::string org_slug;
  SecretBytes secret;  // shown once
};

class Auth : public Feature {
 public:
  Auth(Core& core, Team& team);

  Result<SessionGrant> Signup(SignupInput in, const RequestContext& ctx);
  Result<SessionGrant> Login(std::string_view email, const SecretBytes& password, const RequestContext& ctx);
  // Decides, inside the sign-in's transaction, whether a right password opens a session or a
  // second-factor challenge (set once by SecondFactor; without it every sign-in opens a session).
  using LoginGate = std::function<Result<std::optional<PendingSecondFactor>>(store::Tx&, const domain::User&,
                                                                             const RequestContext&)>;
  void SetLoginGate(LoginGate gate) { login_gate_ = std::move(gate); }
  // Refuses a sign-in method ("password", "passkey") for `u` inside the sign-in's transaction:
  // SSO-only organisations (set once by SsoPolicy; without it every method is allowed).
  using SignInCheck = std::function<Status(store::Tx&, const domain::User&, std::string_view method)>;
  void SetSignInCheck(SignInCheck check) { sign_in_check_ = std::move(check); }
  Status CheckSignIn(store::Tx& tx, const domain::User& u, std::string_view method) {
    return sign_in_check_ ? sign_in_check_(tx, u, method) : Ok();
  }
  // A new session for `u` in the caller's transaction (second factor, passkey, SSO sign-ins);
  // call SessionOpened after the commit.
  Result<SessionGrant> NewSession(store::Tx& tx, const domain::User& u, const RequestContext& ctx);
  void SessionOpened(const SessionGrant& g) { ForgetEndedSessions(g); }
  Status Logout(const Authenticated& who, const RequestContext& ctx);
  Status LogoutAll(const Authenticated& who, const RequestContext& ctx);
  // Appends an instance-level audit event (org_id "") when the configured sign-up policy differs
  // from the last one recorded, and logs it. Called once at start.
  Status RecordSignupPolicy(const RequestContext& ctx);
  // Whether POST /auth/signup without an invitation would be accepted now (the sign-up page).
  Result<bool> SignupOpenWithoutInvitation();
  // For long streams (SSE): the principal `who` holds in `org_slug` now, re-reading the credential
  // and the membership. kUnauthenticated when the session or token ended, kNotFound when the
  // membership is gone.
  Result<authz::Principal> RecheckPrincipal(const Authenticated& who, std::string_view org_slug,
                                            const RequestContext& ctx);
  // Changes whenever a credential is forgotten or `org_id`'s roles or memberships change: a
  // stream compares it on every poll to re-check at once rather than at its next interval.
  uint64_t AccessGeneration(std::string_view org_id);
  // Resolves a bearer/cookie token. kUnauthenticated when absent, unknown, revoked or expired.
  // The result is an immutable snapshot shared with the credential cache.
  Result<std::shared_ptr<const Authenticated>> Authenticate(std::string_view token, const RequestContext& ctx);
  // True when `csrf_token` is the one issued with `who`'s session (constant-time comparison).
  bool CsrfMatches(const Authenticated& who, std::string_view csrf_token) const;
  // The principal for `org_slug`. kNotFound when the org is absent or the caller is no member;
  // also kNotFound when an API token scoped to another org is used.
  Result<authz::Principal> ResolvePrincipal(const Authenticated& who, std::string_view org_slug,
                                            const RequestContext& ctx);
  Result<std::vector<MeOrg>> MyOrgs(const Authenticated& who);
  Result<TokenGrant> CreateApiToken(const Authenticated& who, CreateTokenInput in, const RequestContext& ctx);
  Result<std::vector<std::pair<domain::ApiToken, std::string>>> ListApiTokens(const Authenticated& who);
  Status RevokeApiToken(const Authenticated& who, std::string_view id, const RequestContext& ctx);
  Result<OrgView> CreateOrg(const Authenticated& who, std::string_view name, std::optional<std::string> slug,
                            const RequestContext& ctx);
  Result<OrgView> GetOrg(const authz::Principal& p);
  Result<OrgView> RenameOrg(const authz::Principal& p, std::string_view name, const RequestContext& ctx);
  Result<OrgView> TransferOwnership(const authz::Principal& p, std::string_view user_id, const RequestContext& ctx);
  Result<OrgView> SetSeatLimit(const Authenticated& who, std::string_view org_slug, int64_t seat_limit,
                               const RequestContext& ctx);
  // Drops what a write made stale in this process's caches: "org:<id>", "user:<id>" or "*"
  // (other replicas learn it from the store's invalidations).
  void DropCached(std::string_view scope) { ApplyInvalidation(scope); }

 private:
  Result<domain::Org> CreateOrgIn(store::Tx& tx, const domain::User& owner, std::string_view name,
                                  std::optional<std::string> slug);
  RateLimiter account_failures_;  // per account, any address: detects a burst (never blocks)
  RateLimiter burst_notices_;     // one burst report per account per window
  RateLimiter ip_attempts_;
  RateLimiter ip_failures_;       // failed sign-ins per address, over all accounts
  // Failed sign-ins per (account, address), in tiers whose windows lengthen: the wait grows
  // from a minute to an hour as failures go on.
  std::vector<std::unique_ptr<RateLimiter>> pair_failures_;
  // Reports a burst of failed sign-ins to the account: an audit event in each organisation it
  // owns, and an email when SMTP is configured.
  Result<int64_t> OrgsOwnedBy(store::Tx& tx, std::string_view user_id);  // for max_orgs_per_user
  void NotifyLoginFailures(const domain::User& u, const RequestContext& ctx);
  // Drops the credential cache's entries of the sessions a sign-in ended (max_sessions_per_user).
  void ForgetEndedSessions(const SessionGrant& g);
  // Hot-path caches, so an authenticated org-scoped read needs no SQL before its own query.
  // Both are per process and invalidated by every write that changes what they hold (logout,
  // token revocation, org updates), and by other processes' writes (replicas, `wharf admin`)
  // before each Authenticate (Store::CatchUpInvalidations → ApplyInvalidation; docs/postgres.md).
  struct CredentialEntry {
    std::shared_ptr<const Authenticated> who;
    Timestamp cached_at = 0;
  };
  // Drops what a write (here or on another replica) made stale: "org:<id>", "user:<id>" or "*".
  void ApplyInvalidation(std::string_view scope);
  void ForgetCredentials(const std::function<bool(const Authenticated&)>& pred);
  void ForgetOrg(std::string_view slug);
  static constexpr int64_t kCredentialCacheMs = 60'000;
  std::mutex cred_mu_;
  std::unordered_map<std::string, CredentialEntry> cred_cache_;  // token hash → caller
  uint64_t cred_generation_ = 0;  // GUARDED_BY(cred_mu_); bumped by every ForgetCredentials
  std::mutex org_mu_;
  std::unordered_map<std::string, std::shared_ptr<const domain::Org>> org_cache_;  // slug → org
  uint64_t org_generation_ = 0;  // GUARDED_BY(org_mu_); bumped whenever org rows may have changed
  Team& team_;
  LoginGate login_gate_;
  SignInCheck sign_in_check_;
};

}  // namespace wharf::services
