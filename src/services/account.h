// The account itself (issue 24): profile, password change, forgotten password, email
// verification and change, sessions, leaving and deleting, deleting an organisation, and the
// operator's user management. Links that prove something (a reset, an address) are single-use
// account tokens: 256 random bits, stored as a hash, expiring, and bound to what must not have
// changed (the password hash, the address). The emails these use cases send leave from a
// background sender, so an answer never waits on SMTP, and a password-reset request does all its
// work there: the answer is the same, in the same time, whether or not the address has an account.
//
//   WHARF_TRY(svc.account().ChangePassword(*who, current, next, ctx));           // others signed out
//   WHARF_TRY(svc.account().RequestPasswordReset("ann@example.test", ctx));      // 202 either way
//   WHARF_TRY(svc.account().CompletePasswordReset(token, new_password, ctx));     // every session ends
//
// Thread-safety: every method is safe to call concurrently. The background sender is one thread
// owned by this object; the destructor stops it (messages still queued are dropped, and logged).
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "services/auth.h"
#include "services/core.h"
#include "services/rate_limiter.h"

namespace wharf::services {

inline constexpr Timestamp kPasswordResetTtlMs = 60LL * 60 * 1000;       // 1 hour
inline constexpr Timestamp kEmailLinkTtlMs = 24LL * 60 * 60 * 1000;      // verification and change: 1 day

// Issues a single-use link for `user` inside the caller's transaction and returns the token (shown
// once: in an email or on the operator's terminal). Older unused links of the same kind are voided.
// Also used by Auth::Signup (verification of an open sign-up).
Result<SecretBytes> IssueAccountToken(store::Tx& tx, IdGenerator& ids, Clock& clock, const domain::User& user,
                                      domain::AccountTokenKind kind, std::string bound_to, Timestamp ttl_ms);
// What a password-reset link is bound to: a digest of the password hash, so that any password
// change voids every outstanding link.
std::string PasswordBinding(const domain::User& u);
// The path of a link in the web UI: "/reset-password/<token>" or "/verify-email/<token>".
std::string AccountLinkPath(domain::AccountTokenKind kind, std::string_view token);
// The first 8 hex digits of the token's hash: what logs may say about a link.
std::string TokenHashPrefix(std::string_view token);

struct SessionView {
  domain::Session session;
  bool current = false;
};

// A password-reset link as its form shows it before it is used (opening it consumes nothing).
struct ResetLinkView {
  std::string email;
  Timestamp expires_at = 0;
};

// Why an account cannot be deleted, or a user cannot leave: one entry per organisation.
struct OrgBlocker {
  std::string slug, name;
  std::string reason;  // "owner" or "last_admin"
};

class Account : public Feature {
 public:
  Account(Core& core, Auth& auth);
  ~Account();

  // PATCH /me: the display name. kValidationFailed on `name`.
  Result<domain::User> UpdateProfile(const Authenticated& who, std::string_view name, const RequestContext& ctx);
  // POST /me/password. Needs a session (403 for an API token) and the current password (400 on
  // `current_password`, rate-limited per account); the new one follows the password rules and
  // must not contain the account's email or name (400 on `new_password`). Every other session
  // ends, pending reset links are void, an audit event and an email record it.
  Status ChangePassword(const Authenticated& who, const SecretBytes& current, const SecretBytes& next,
                        const RequestContext& ctx);
  // POST /me/email: mails a confirmation link to `new_email` (the change happens when it is
  // opened) and a notice to the current address. Needs SMTP (409, layer email) and the password.
  Status RequestEmailChange(const Authenticated& who, std::string_view new_email, const SecretBytes& password,
                            const RequestContext& ctx);
  // POST /me/email/verification: a new verification link for an unverified account (SMTP).
  Status ResendVerification(const Authenticated& who, const RequestContext& ctx);
  // POST /auth/verify-email/{token}: verifies the address, or completes an email change (409 when
  // the new address got an account meanwhile). 410 link_invalid / link_expired.
  Status VerifyEmail(std::string_view token, const RequestContext& ctx);

  // POST /auth/password-reset: rate limits per address and per client address (429), then hands
  // the rest to the background sender; Ok whether or not the account exists. Without SMTP, 409
  // (layer email): the operator's `wharf admin reset-password` is the way.
  Status RequestPasswordReset(std::string_view email, const RequestContext& ctx);
  // GET /auth/password-reset/{token}: whether the link still works, without using it.
  Result<ResetLinkView> InspectPasswordReset(std::string_view token);
  // POST /auth/password-reset/{token}: sets the password (rules as above), uses the link up and
  // ends every session of the account (API tokens stay). 410 when the link
  // is used, expired, voided by a password change, or unknown.
  Status CompletePasswordReset(std::string_view token, const SecretBytes& new_password, const RequestContext& ctx);

  // GET /me/sessions: active sessions, newest first; the caller's own is marked current.
  Result<std::vector<SessionView>> ListSessions(const Authenticated& who);
  // DELETE /me/sessions/{id}: 404 when it is not one of the caller's active sessions.
  Status EndSession(const Authenticated& who, std::string_view id, const RequestContext& ctx);
  // DELETE /me/sessions: every session but the caller's own; returns how many ended.
  Result<int64_t> EndOtherSessions(const Authenticated& who, const RequestContext& ctx);

  // DELETE /me: needs a session and the password. 409 naming every org the account owns or is
  // the last Admin of (details.orgs). Otherwise the memberships go (audited in each org), sessions
  // and tokens end, and the account is anonymised: its address is free for a new account.
  Status DeleteMe(const Authenticated& who, const SecretBytes& password, const RequestContext& ctx);
  // DELETE /orgs/{org}: the owner only (403), `confirm` must be the slug (400), 409 naming the
  // servers and applications that remain. Members, invitations, keys, integrations and tokens go.
  Status DeleteOrg(const authz::Principal& p, std::string_view confirm, const RequestContext& ctx);

  // The operator (`wharf admin users …`, and the instance administrator's API). `who_email`
  // names the actor in audit events. Each looks the account up by email or id (404 when absent).
  Result<std::vector<domain::User>> ListUsers();
  // Disabling ends every session and API token of the account at once.
  Result<domain::User> SetDisabled(std::string_view email_or_id, bool disabled, std::string_view who_email,
                                   const RequestContext& ctx);
  Result<domain::User> MarkVerified(std::string_view email_or_id, std::string_view who_email, const RequestContext& ctx);
  // Deletes as DeleteMe does, without the password; the same 409 when it owns an org.
  Status DeleteUser(std::string_view email_or_id, std::string_view who_email, const RequestContext& ctx);
  // A one-time reset link (1 hour), audited. Returned for the operator to hand over (needs no
  // SMTP); with `mail`, emailed to the account's address instead (SMTP and a public URL; the
  // returned token is then empty).
  Result<SecretBytes> OperatorResetLink(std::string_view email, std::string_view who_email, const RequestContext& ctx,
                                        bool mail = false);

  // Waits until the background sender has nothing queued (tests and orderly shutdown).
  void Drain();

 private:
  Result<domain::User> FindUser(store::Tx& tx, std::string_view email_or_id);
  Status CheckPassword(const domain::User& u, const SecretBytes& password, std::string_view field,
                       const RequestContext& ctx);
  Status CheckNewPassword(const domain::User& u, const SecretBytes& password, std::string_view field);
  Result<std::vector<OrgBlocker>> Blockers(store::Tx& tx, std::string_view user_id);
  Status DeleteAccountIn(store::Tx& tx, domain::User u, const authz::Principal& actor, const RequestContext& ctx);
  Result<domain::AccountToken> UsableLink(store::Tx& tx, std::string_view token, domain::AccountTokenKind kind);
  // Queues `fn` for the background sender.
  void Later(std::function<void()> fn);
  void Mail(std::string to, std::string subject, std::string body);
  void SendLoop();

  Auth& auth_;
  RateLimiter reset_per_address_;
  RateLimiter reset_per_ip_;
  RateLimiter password_failures_;  // wrong current password, per account
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;  // GUARDED_BY(mu_)
  bool stopping_ = false;                    // GUARDED_BY(mu_)
  int running_ = 0;                          // GUARDED_BY(mu_): tasks taken, not yet finished
  std::thread sender_;
};

}  // namespace wharf::services
