// Profile, password, forgotten password, email, sessions, deleting accounts and orgs, and the
// operator's user management.
#include "services/account.h"

#include <algorithm>

#include "base/log.h"
#include "base/strings.h"
#include "domain/validate.h"
#include "secrets/crypto.h"

namespace wharf::services {

using domain::AccountTokenKind;
using nlohmann::json;

namespace {

constexpr std::string_view kResetPrefix = "whr_";
constexpr std::string_view kEmailLinkPrefix = "whv_";

tl::unexpected<Error> NeedsSession() {
  auto e = Err(ErrorCode::kForbidden,
               "This needs a signed-in session, not an API token: sign in with your password (wharf login) first.");
  e.value().details = {{"reason", "session_required"}};
  return e;
}

tl::unexpected<Error> EmailOff(std::string what) {
  auto e = Err(ErrorCode::kConflict, "This instance sends no email, so " + what +
                                         ". Ask the operator of this Wharf: `wharf admin reset-password EMAIL` prints "
                                         "a one-time link.",
               Layer::kEmail);
  e.value().details = {{"fix", "The operator can configure SMTP (--smtp-url) to send links by email."}};
  return e;
}

tl::unexpected<Error> RateLimitedFor(int64_t seconds, std::string msg) {
  auto e = Err(ErrorCode::kRateLimited, std::move(msg));
  e.value().details["retry_after"] = seconds;
  return e;
}

tl::unexpected<Error> LinkInvalid() {
  return Err(ErrorCode::kLinkInvalid,
             "This link was already used, replaced by a newer one, or voided because the password changed. Ask for a "
             "new one.");
}

authz::Principal Actor(const domain::User& u, std::string org_id = {}) {
  authz::Principal p;
  p.user_id = u.id;
  p.user_email = u.email;
  p.org_id = std::move(org_id);
  return p;
}

authz::Principal OperatorActor(std::string_view who_email) {
  authz::Principal p;
  p.user_id = "operator";
  p.user_email = std::string(who_email.empty() ? "operator" : who_email);
  return p;
}

std::string Join(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& s : parts) out += (out.empty() ? "" : ", ") + s;
  return out;
}

}  // namespace

Result<SecretBytes> IssueAccountToken(store::Tx& tx, IdGenerator& ids, Clock& clock, const domain::User& user,
                                      AccountTokenKind kind, std::string bound_to, Timestamp ttl_ms) {
  const Timestamp now = clock.Now();
  WHARF_TRY(tx.account_tokens().VoidForUser(user.id, kind, now));
  SecretBytes token =
      secrets::NewToken(kind == AccountTokenKind::kPasswordReset ? kResetPrefix : kEmailLinkPrefix);
  domain::AccountToken t;
  t.id = ids.New("atk");
  t.user_id = user.id;
  t.kind = kind;
  t.token_hash = secrets::TokenHash(token.view());
  t.bound_to = std::move(bound_to);
  t.created_at = now;
  t.expires_at = now + ttl_ms;
  WHARF_TRY(tx.account_tokens().Insert(t));
  return token;
}

std::string PasswordBinding(const domain::User& u) { return secrets::Sha256Hex("wharf-reset|" + u.password_hash); }

std::string AccountLinkPath(AccountTokenKind kind, std::string_view token) {
  return std::string(kind == AccountTokenKind::kPasswordReset ? "/reset-password/" : "/verify-email/") +
         std::string(token);
}

std::string TokenHashPrefix(std::string_view token) { return secrets::TokenHash(token).substr(0, 8); }

Account::Account(Core& core, Auth& auth)
    : Feature(core),
      auth_(auth),
      reset_per_address_(3, 15LL * 60'000, store_.shared_counters(), "password_reset_address"),
      reset_per_ip_(30, 15LL * 60'000, store_.shared_counters(), "password_reset_ip"),
      password_failures_(5, 15LL * 60'000, store_.shared_counters(), "password_check_failures") {
  sender_ = std::thread([this] { SendLoop(); });
}

Account::~Account() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    if (!queue_.empty()) log::Warn("account_mail_dropped", {{"queued", static_cast<int64_t>(queue_.size())}});
    queue_.clear();
  }
  cv_.notify_all();
  if (sender_.joinable()) sender_.join();
}

void Account::Later(std::function<void()> fn) {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    queue_.push_back(std::move(fn));
  }
  cv_.notify_all();
}

void Account::SendLoop() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (stopping_) return;
    auto fn = std::move(queue_.front());
    queue_.pop_front();
    ++running_;
    lock.unlock();
    fn();
    lock.lock();
    --running_;
    cv_.notify_all();
  }
}

void Account::Drain() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return stopping_ || (queue_.empty() && running_ == 0); });
}

void Account::Mail(std::string to, std::string subject, std::string body) {
  if (!mailer_.enabled()) return;
  Later([this, to = std::move(to), subject = std::move(subject), body = std::move(body)] {
    http_client::MailMessage m;
    m.to = to;
    m.subject = subject;
    m.text_body = body;
    if (auto sent = mailer_.Send(m); !sent) log::Warn("account_email_failed", {{"error", sent.error().message}});
  });
}

Result<domain::User> Account::FindUser(store::Tx& tx, std::string_view email_or_id) {
  std::optional<domain::User> u;
  if (StartsWith(email_or_id, "usr_") || email_or_id.find('@') == std::string_view::npos) {
    WHARF_ASSIGN_OR_RETURN(u, tx.users().FindById(email_or_id));
  } else {
    WHARF_ASSIGN_OR_RETURN(u, tx.users().FindByEmail(ToLower(email_or_id)));
  }
  if (!u || u->deleted_at != 0) return Err(ErrorCode::kNotFound, "No account with this email or id.");
  return *u;
}

Status Account::CheckPassword(const domain::User& u, const SecretBytes& password, std::string_view field,
                              const RequestContext& ctx) {
  const Timestamp now = clock_.Now();
  if (auto wait = password_failures_.Blocked(u.id, now))
    return RateLimitedFor(*wait, "Too many wrong passwords. Try again in " + std::to_string(*wait) + " seconds.");
  if (secrets::VerifyPassword(password, u.password_hash)) return Ok();
  password_failures_.Record(u.id, now);
  log::Info("account_password_check_failed", {{"request_id", ctx.request_id}, {"user_id", u.id}});
  return FieldError(field, "is not your current password");
}

Status Account::CheckNewPassword(const domain::User& u, const SecretBytes& password, std::string_view field) {
  WHARF_TRY(domain::ValidatePassword(password.view(), field));
  const std::string pw = ToLower(password.view());
  const std::string email = ToLower(u.email);
  const std::string local = email.substr(0, email.find('@'));
  const std::string name = ToLower(u.name);
  auto contains = [&](const std::string& part) { return part.size() >= 4 && pw.find(part) != std::string::npos; };
  if (pw == email || contains(local) || contains(name))
    return FieldError(field, "must not contain your email address or your name; choose something others cannot guess");
  return Ok();
}

Result<domain::User> Account::UpdateProfile(const Authenticated& who, std::string_view name_in,
                                            const RequestContext& ctx) {
  WHARF_ASSIGN_OR_RETURN(std::string name, domain::ValidateName(name_in, "name"));
  domain::User out;
  WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(out, FindUser(tx, who.user.id));
    out.name = name;
    out.updated_at = clock_.Now();
    WHARF_TRY(tx.users().Update(out));
    return AuditIn(tx, Actor(out), "account.update", "users", out.id, ctx, "name changed");
  }));
  auth_.DropCached("user:" + out.id);
  out.password_hash.clear();
  return out;
}

Status Account::ChangePassword(const Authenticated& who, const SecretBytes& current, const SecretBytes& next,
                               const RequestContext& ctx) {
  if (who.session_id.empty()) return NeedsSession();
  domain::User u;
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(u, FindUser(tx, who.user.id));
    return Ok();
  }));
  WHARF_TRY(CheckPassword(u, current, "current_password", ctx));
  WHARF_TRY(CheckNewPassword(u, next, "new_password"));
  WHARF_ASSIGN_OR_RETURN(std::string hash, secrets::HashPassword(next));
  int64_t ended = 0;
  WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(u, FindUser(tx, who.user.id));
    u.password_hash = hash;
    u.updated_at = clock_.Now();
    WHARF_TRY(tx.users().Update(u));
    WHARF_ASSIGN_OR_RETURN(ended, tx.sessions().RevokeOthersForUser(u.id, who.session_id, u.updated_at));
    WHARF_TRY(tx.account_tokens().VoidForUser(u.id, AccountTokenKind::kPasswordReset, u.updated_at));
    return AuditIn(tx, Actor(u), "account.password_change", "users", u.id, ctx,
                   std::to_string(ended) + " other session(s) ended");
  }));
  auth_.DropCached("user:" + u.id);
  log::Info("password_changed", {{"request_id", ctx.request_id}, {"user_id", u.id}, {"sessions_ended", ended}});
  Mail(u.email, "Your Wharf password was changed",
       "The password of your Wharf account " + u.email + " was changed from " + ctx.ip +
           ". Every other session was signed out.\r\n\r\nIf this was not you, reset your password at " +
           config_.public_url + "/forgot-password and tell the operator of this Wharf.\r\n");
  return Ok();
}

Status Account::RequestEmailChange(const Authenticated& who, std::string_view new_email_in, const SecretBytes& password,
                                   const RequestContext& ctx) {
  if (who.session_id.empty()) return NeedsSession();
  WHARF_ASSIGN_OR_RETURN(std::string new_email, domain::NormalizeEmail(new_email_in, "email"));
  if (!mailer_.enabled()) return EmailOff("an address cannot be confirmed");
  domain::User u;
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(u, FindUser(tx, who.user.id));
    return Ok();
  }));
  if (new_email == u.email) return FieldError("email", "is already your address");
  WHARF_TRY(CheckPassword(u, password, "password", ctx));
  SecretBytes token;
  bool taken = false;
  WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto other, tx.users().FindByEmail(new_email));
    // Taken: the answer stays the same (no way to probe for accounts); the new address is told.
    taken = other.has_value();
    if (!taken) {
      WHARF_ASSIGN_OR_RETURN(token, IssueAccountToken(tx, ids_, clock_, u, AccountTokenKind::kChangeEmail, new_email,
                                                      kEmailLinkTtlMs));
    }
    return AuditIn(tx, Actor(u), "account.email_change_requested", "users", u.id, ctx);
  }));
  if (taken) {
    Mail(new_email, "Someone tried to move a Wharf account to this address",
         "Someone asked to move another Wharf account to " + new_email +
             ", but this address already has an account. Nothing was changed.\r\n");
  } else {
    log::Info("email_change_link", {{"request_id", ctx.request_id}, {"user_id", u.id},
                                    {"token_hash", TokenHashPrefix(token.view())}});
    Mail(new_email, "Confirm your new Wharf address",
         "Open this link to make " + new_email + " the address of your Wharf account (it works once, for 24 hours):\r\n\r\n" +
             config_.public_url + AccountLinkPath(AccountTokenKind::kChangeEmail, token.view()) +
             "\r\n\r\nIf you did not ask for this, ignore this email.\r\n");
  }
  Mail(u.email, "Your Wharf address is about to change",
       "Someone signed in to your Wharf account asked to change its address from " + u.email + ". The change happens "
       "only when the link sent to the new address is opened.\r\n\r\nIf this was not you, change your password now at " +
           config_.public_url + "/account.\r\n");
  return Ok();
}

Status Account::ResendVerification(const Authenticated& who, const RequestContext& ctx) {
  if (!mailer_.enabled()) return EmailOff("an address cannot be verified by link");
  SecretBytes token;
  domain::User u;
  WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(u, FindUser(tx, who.user.id));
    if (u.email_verified) return Err(ErrorCode::kConflict, "Your address is already verified.");
    WHARF_ASSIGN_OR_RETURN(token, IssueAccountToken(tx, ids_, clock_, u, AccountTokenKind::kVerifyEmail, u.email,
                                                    kEmailLinkTtlMs));
    return Ok();
  }));
  log::Info("verify_email_link", {{"request_id", ctx.request_id}, {"token_hash", TokenHashPrefix(token.view())}});
  Mail(u.email, "Verify your Wharf address",
       "Open this link to verify " + u.email + " (it works once, for 24 hours):\r\n\r\n" + config_.public_url +
           AccountLinkPath(AccountTokenKind::kVerifyEmail, token.view()) + "\r\n");
  return Ok();
}

Result<domain::AccountToken> Account::UsableLink(store::Tx& tx, std::string_view token, AccountTokenKind kind) {
  if (token.empty() || token.size() > 200) return LinkInvalid();
  WHARF_ASSIGN_OR_RETURN(auto t, tx.account_tokens().FindByHash(secrets::TokenHash(token)));
  const bool kind_ok = t && (kind == AccountTokenKind::kPasswordReset ? t->kind == kind
                                                                      : t->kind != AccountTokenKind::kPasswordReset);
  if (!kind_ok || t->used_at != 0) return LinkInvalid();
  if (t->expires_at <= clock_.Now())
    return Err(ErrorCode::kLinkExpired, "This link expired. Ask for a new one.");
  return *t;
}

Status Account::VerifyEmail(std::string_view token, const RequestContext& ctx) {
  domain::User u;
  std::string old_email;
  WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto t, UsableLink(tx, token, AccountTokenKind::kVerifyEmail));
    WHARF_ASSIGN_OR_RETURN(u, FindUser(tx, t.user_id));
    old_email = u.email;
    if (t.kind == AccountTokenKind::kVerifyEmail) {
      if (t.bound_to != u.email) return LinkInvalid();  // the address changed since
    } else {
      WHARF_ASSIGN_OR_RETURN(auto other, tx.users().FindByEmail(t.bound_to));
      if (other && other->id != u.id)
        return Err(ErrorCode::kConflict, "Another account uses " + t.bound_to + " now. Nothing was changed.");
      u.email = t.bound_to;
    }
    WHARF_ASSIGN_OR_RETURN(bool first, tx.account_tokens().MarkUsed(t.id, clock_.Now()));
    if (!first) return LinkInvalid();
    u.email_verified = true;
    u.updated_at = clock_.Now();
    WHARF_TRY(tx.users().Update(u));
    return AuditIn(tx, Actor(u), t.kind == AccountTokenKind::kVerifyEmail ? "account.email_verified"
                                                                          : "account.email_changed",
                   "users", u.id, ctx, old_email == u.email ? "" : "from " + old_email + " to " + u.email);
  }));
  auth_.DropCached("user:" + u.id);
  if (old_email != u.email)
    Mail(old_email, "Your Wharf address was changed",
         "The address of your Wharf account was changed from " + old_email + " to " + u.email +
             ".\r\n\r\nIf this was not you, tell the operator of this Wharf at once.\r\n");
  return Ok();
}

Status Account::RequestPasswordReset(std::string_view email_in, const RequestContext& ctx) {
  WHARF_ASSIGN_OR_RETURN(std::string email, domain::NormalizeEmail(email_in, "email"));
  if (!mailer_.enabled()) return EmailOff("a forgotten password cannot be reset by email");
  const Timestamp now = clock_.Now();
  if (auto wait = reset_per_ip_.Blocked(ctx.ip, now))
    return RateLimitedFor(*wait, "Too many password-reset requests from this address. Try again in " +
                                     std::to_string(*wait) + " seconds.");
  if (auto wait = reset_per_address_.Blocked(email, now))
    return RateLimitedFor(*wait, "Too many password-reset requests for this address. Try again in " +
                                     std::to_string(*wait) + " seconds.");
  reset_per_ip_.Record(ctx.ip, now);
  reset_per_address_.Record(email, now);
  // Whether the account exists is decided on the sender's thread: the answer does not wait for it.
  Later([this, email, ctx] {
    std::optional<domain::User> user;
    SecretBytes token;
    auto st = WriteTx([&](store::Tx& tx) -> Status {
      WHARF_ASSIGN_OR_RETURN(user, tx.users().FindByEmail(email));
      if (!user || user->deleted_at != 0 || user->disabled_at != 0) {
        user.reset();
        return Ok();
      }
      WHARF_ASSIGN_OR_RETURN(token, IssueAccountToken(tx, ids_, clock_, *user, AccountTokenKind::kPasswordReset,
                                                      PasswordBinding(*user), kPasswordResetTtlMs));
      return AuditIn(tx, Actor(*user), "account.password_reset_requested", "users", user->id, ctx);
    });
    if (!st) {
      log::Error("password_reset_failed", {{"request_id", ctx.request_id}, {"detail", st.error().detail}});
      return;
    }
    if (!user) return;  // nobody to tell; nothing in the answer or the log tells it apart
    log::Info("password_reset_link", {{"request_id", ctx.request_id}, {"token_hash", TokenHashPrefix(token.view())}});
    http_client::MailMessage m;
    m.to = user->email;
    m.subject = "Reset your Wharf password";
    m.text_body = "Someone (perhaps you) asked to reset the password of your Wharf account " + user->email + " from " +
                  ctx.ip + ".\r\n\r\nOpen this link to choose a new one (it works once, for one hour):\r\n\r\n" +
                  config_.public_url + AccountLinkPath(AccountTokenKind::kPasswordReset, token.view()) +
                  "\r\n\r\nIf you did not ask for this, ignore this email: your password stays as it is.\r\n";
    if (auto sent = mailer_.Send(m); !sent)
      log::Warn("password_reset_email_failed", {{"request_id", ctx.request_id}, {"error", sent.error().message}});
  });
  log::Info("password_reset_requested", {{"request_id", ctx.request_id}, {"ip", ctx.ip}});
  return Ok();
}

Result<ResetLinkView> Account::InspectPasswordReset(std::string_view token) {
  ResetLinkView v;
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto t, UsableLink(tx, token, AccountTokenKind::kPasswordReset));
    WHARF_ASSIGN_OR_RETURN(auto u, FindUser(tx, t.user_id));
    if (t.bound_to != PasswordBinding(u) || u.disabled_at != 0) return LinkInvalid();
    v.email = u.email;
    v.expires_at = t.expires_at;
    return Ok();
  }));
  return v;
}

Status Account::CompletePasswordReset(std::string_view token, const SecretBytes& new_password,
                                      const RequestContext& ctx) {
  domain::User u;
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto t, UsableLink(tx, token, AccountTokenKind::kPasswordReset));
    WHARF_ASSIGN_OR_RETURN(u, FindUser(tx, t.user_id));
    return Ok();
  }));
  WHARF_TRY(CheckNewPassword(u, new_password, "new_password"));
  WHARF_ASSIGN_OR_RETURN(std::string hash, secrets::HashPassword(new_password));
  WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
    // Again inside the transaction: the link may have been used or voided meanwhile.
    WHARF_ASSIGN_OR_RETURN(auto t, UsableLink(tx, token, AccountTokenKind::kPasswordReset));
    WHARF_ASSIGN_OR_RETURN(u, FindUser(tx, t.user_id));
    if (t.bound_to != PasswordBinding(u) || u.disabled_at != 0) return LinkInvalid();
    WHARF_ASSIGN_OR_RETURN(bool first, tx.account_tokens().MarkUsed(t.id, clock_.Now()));
    if (!first) return LinkInvalid();
    u.password_hash = hash;
    u.updated_at = clock_.Now();
    WHARF_TRY(tx.users().Update(u));
    WHARF_TRY(tx.sessions().RevokeAllForUser(u.id, u.updated_at));
    WHARF_TRY(tx.account_tokens().VoidForUser(u.id, AccountTokenKind::kPasswordReset, u.updated_at));
    return AuditIn(tx, Actor(u), "account.password_reset", "users", u.id, ctx, "every session ended");
  }));
  auth_.DropCached("user:" + u.id);
  log::Info("password_reset", {{"request_id", ctx.request_id}, {"user_id", u.id}});
  Mail(u.email, "Your Wharf password was reset",
       "The password of your Wharf account " + u.email + " was reset through an emailed link, from " + ctx.ip +
           ". Every session was signed out.\r\n\r\nIf this was not you, tell the operator of this Wharf at once.\r\n");
  return Ok();
}

Result<std::vector<SessionView>> Account::ListSessions(const Authenticated& who) {
  std::vector<SessionView> out;
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto ss, tx.sessions().ListActiveForUser(who.user.id, clock_.Now()));
    for (auto& s : ss) {
      s.token_hash.clear();
      s.csrf_hash.clear();
      const bool current = s.id == who.session_id;
      out.push_back({std::move(s), current});
    }
    return Ok();
  }));
  std::reverse(out.begin(), out.end());
  return out;
}

Status Account::EndSession(const Authenticated& who, std::string_view id, const RequestContext& ctx) {
  WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(bool ended, tx.sessions().RevokeForUser(who.user.id, id, clock_.Now()));
    if (!ended) return Err(ErrorCode::kNotFound, "No active session of yours has this id.");
    return AuditIn(tx, Actor(who.user), "account.session_end", "sessions", std::string(id), ctx);
  }));
  auth_.DropCached("user:" + who.user.id);
  return Ok();
}

Result<int64_t> Account::EndOtherSessions(const Authenticated& who, const RequestContext& ctx) {
  int64_t ended = 0;
  WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(ended, tx.sessions().RevokeOthersForUser(who.user.id, who.session_id, clock_.Now()));
    return AuditIn(tx, Actor(who.user), "account.sessions_end_others", "sessions", who.session_id, ctx,
                   std::to_string(ended) + " session(s) ended");
  }));
  auth_.DropCached("user:" + who.user.id);
  return ended;
}

Result<std::vector<OrgBlocker>> Account::Blockers(store::Tx& tx, std::string_view user_id) {
  std::vector<OrgBlocker> out;
  WHARF_ASSIGN_OR_RETURN(auto ms, tx.memberships().ListForUser(user_id));
  for (auto& m : ms) {
    WHARF_ASSIGN_OR_RETURN(auto org, tx.orgs().FindById(m.org_id));
    if (!org || org->deleted_at != 0) continue;
    if (org->owner_id == user_id) {
      out.push_back({org->slug, org->name, "owner"});
      continue;
    }
    WHARF_ASSIGN_OR_RETURN(auto role, tx.roles().Find(m.org_id, m.role_id));
    if (!role || !role->builtin) continue;
    WHARF_ASSIGN_OR_RETURN(int64_t admins, tx.memberships().CountByRole(m.org_id, role->id));
    if (admins <= 1) out.push_back({org->slug, org->name, "last_admin"});
  }
  return out;
}

Status Account::DeleteAccountIn(store::Tx& tx, domain::User u, const authz::Principal& actor,
                                const RequestContext& ctx) {
  WHARF_ASSIGN_OR_RETURN(auto blockers, Blockers(tx, u.id));
  if (!blockers.empty()) {
    std::vector<std::string> parts;
    json orgs = json::array();
    for (auto& b : blockers) {
      parts.push_back(b.slug + (b.reason == "owner" ? " (owner)" : " (last Admin)"));
      orgs.push_back({{"slug", b.slug}, {"name", b.name}, {"reason", b.reason}});
    }
    auto e = Err(ErrorCode::kConflict, "The account still owns or is the last Admin of: " + Join(parts) +
                                           ". Transfer ownership or make someone else Admin (or delete the "
                                           "organisation) first.");
    e.value().details = {{"orgs", orgs}};
    return e;
  }
  const Timestamp now = clock_.Now();
  WHARF_ASSIGN_OR_RETURN(auto ms, tx.memberships().ListForUser(u.id));
  for (auto& m : ms) {
    authz::Principal in_org = actor;
    in_org.org_id = m.org_id;
    WHARF_TRY(tx.memberships().Delete(m.org_id, u.id));
    WHARF_TRY(AuditIn(tx, in_org, "account.delete", "users", u.id, ctx, u.email + " deleted; membership removed"));
    cache_.Bump(m.org_id);
  }
  WHARF_TRY(tx.sessions().RevokeAllForUser(u.id, now));
  WHARF_TRY(tx.api_tokens().RevokeAllForUser(u.id, now));
  WHARF_TRY(tx.second_factors().DeleteAllForUser(u.id));  // a deleted account keeps no TOTP secret or passkey
  for (auto k : {AccountTokenKind::kPasswordReset, AccountTokenKind::kVerifyEmail, AccountTokenKind::kChangeEmail})
    WHARF_TRY(tx.account_tokens().VoidForUser(u.id, k, now));
  WHARF_TRY(AuditIn(tx, actor, "account.delete", "users", u.id, ctx, u.email + " deleted"));
  // The row stays (ids in audit events and created_by name it) but holds nothing personal, and
  // the address is free for a new account.
  u.email = "deleted+" + u.id + "@deleted.invalid";
  u.name = "Deleted account";
  u.password_hash.clear();
  u.instance_admin = false;
  u.deleted_at = u.disabled_at = u.updated_at = now;
  return tx.users().Update(u);
}

Status Account::DeleteMe(const Authenticated& who, const SecretBytes& password, const RequestContext& ctx) {
  if (who.session_id.empty()) return NeedsSession();
  domain::User u;
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(u, FindUser(tx, who.user.id));
    return Ok();
  }));
  WHARF_TRY(CheckPassword(u, password, "password", ctx));
  WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(u, FindUser(tx, who.user.id));
    return DeleteAccountIn(tx, u, Actor(u), ctx);
  }));
  auth_.DropCached("user:" + u.id);
  log::Info("account_deleted", {{"request_id", ctx.request_id}, {"user_id", u.id}});
  Mail(u.email, "Your Wharf account was deleted",
       "Your Wharf account " + u.email + " was deleted, with its sessions, API tokens and memberships.\r\n");
  return Ok();
}

Status Account::DeleteOrg(const authz::Principal& p, std::string_view confirm, const RequestContext& ctx) {
  if (!p.owner) {
    AuditDenied(p, "orgs.delete", "orgs", p.org_id, "not the owner", ctx);
    auto e = Err(ErrorCode::kForbidden, "Only the owner of an organisation can delete it.");
    e.value().details = {{"reason", "owner_only"}};
    return e;
  }
  if (p.via_api_token) return NeedsSession();
  if (confirm != p.org_slug)
    return FieldError("confirm", "must be the organisation's slug, '" + p.org_slug + "', typed to confirm");
  WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
    store::PageQuery page;
    page.limit = 20;
    WHARF_ASSIGN_OR_RETURN(auto servers, tx.servers().List(p.org_id, page));
    WHARF_ASSIGN_OR_RETURN(auto apps, tx.applications().List(p.org_id, page));
    if (!servers.empty() || !apps.empty()) {
      std::vector<std::string> names;
      json ss = json::array(), as = json::array();
      for (auto& s : servers) {
        names.push_back("server " + s.name);
        ss.push_back(s.name);
      }
      for (auto& a : apps) {
        names.push_back("application " + a.name);
        as.push_back(a.name);
      }
      auto e = Err(ErrorCode::kConflict, "The organisation still has " + Join(names) +
                                             ". Delete them first; then delete the organisation.");
      e.value().details = {{"servers", ss}, {"applications", as}};
      return e;
    }
    const Timestamp now = clock_.Now();
    WHARF_TRY(AuditIn(tx, p, "orgs.delete", "orgs", p.org_id, ctx, "organisation " + p.org_slug + " deleted"));
    authz::Principal instance = p;
    instance.org_id.clear();  // the instance's own log: the org's is out of reach once it is gone
    WHARF_TRY(AuditIn(tx, instance, "orgs.delete", "orgs", p.org_id, ctx, "organisation " + p.org_slug + " deleted"));
    WHARF_TRY(tx.orgs().PurgeAccess(p.org_id, now));
    return tx.orgs().MarkDeleted(p.org_id, "deleted~" + p.org_id, now);
  }));
  auth_.DropCached("org:" + p.org_id);
  auth_.DropCached("*");
  log::Info("org_deleted", {{"request_id", ctx.request_id}, {"org_id", p.org_id}});
  return Ok();
}

Result<std::vector<domain::User>> Account::ListUsers() {
  std::vector<domain::User> out;
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(out, tx.users().List());
    return Ok();
  }));
  for (auto& u : out) u.password_hash.clear();
  return out;
}

Result<domain::User> Account::SetDisabled(std::string_view email_or_id, bool disabled, std::string_view who_email,
                                          const RequestContext& ctx) {
  domain::User u;
  WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(u, FindUser(tx, email_or_id));
    const Timestamp now = clock_.Now();
    u.disabled_at = disabled ? (u.disabled_at ? u.disabled_at : now) : 0;
    u.updated_at = now;
    WHARF_TRY(tx.users().Update(u));
    if (disabled) {
      WHARF_TRY(tx.sessions().RevokeAllForUser(u.id, now));
      WHARF_TRY(tx.api_tokens().RevokeAllForUser(u.id, now));
    }
    return AuditIn(tx, OperatorActor(who_email), disabled ? "users.disable" : "users.enable", "users", u.id, ctx,
                   u.email + (disabled ? " disabled; every session and API token ended" : " enabled"));
  }));
  auth_.DropCached("user:" + u.id);
  log::Warn(disabled ? "user_disabled" : "user_enabled", {{"request_id", ctx.request_id}, {"user_id", u.id}});
  u.password_hash.clear();
  return u;
}

Result<domain::User> Account::MarkVerified(std::string_view email_or_id, std::string_view who_email,
                                           const RequestContext& ctx) {
  domain::User u;
  WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(u, FindUser(tx, email_or_id));
    u.email_verified = true;
    u.updated_at = clock_.Now();
    WHARF_TRY(tx.users().Update(u));
    return AuditIn(tx, OperatorActor(who_email), "users.verify_email", "users", u.id, ctx, u.email);
  }));
  auth_.DropCached("user:" + u.id);
  u.password_hash.clear();
  return u;
}

Status Account::DeleteUser(std::string_view email_or_id, std::string_view who_email, const RequestContext& ctx) {
  std::string id;
  WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto u, FindUser(tx, email_or_id));
    id = u.id;
    return DeleteAccountIn(tx, u, OperatorActor(who_email), ctx);
  }));
  auth_.DropCached("user:" + id);
  return Ok();
}

Result<SecretBytes> Account::OperatorResetLink(std::string_view email, std::string_view who_email,
                                               const RequestContext& ctx, bool mail) {
  if (mail && !mailer_.enabled()) return EmailOff("the link cannot be emailed");
  SecretBytes token;
  std::string to;
  WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto u, FindUser(tx, email));
    to = u.email;
    WHARF_ASSIGN_OR_RETURN(token, IssueAccountToken(tx, ids_, clock_, u, AccountTokenKind::kPasswordReset,
                                                    PasswordBinding(u), kPasswordResetTtlMs));
    return AuditIn(tx, OperatorActor(who_email), "users.reset_password_link", "users", u.id, ctx,
                   "one-time reset link for " + u.email + (mail ? " emailed to it" : " printed") + " by the operator");
  }));
  log::Info("operator_reset_link", {{"request_id", ctx.request_id}, {"token_hash", TokenHashPrefix(token.view())},
                                    {"emailed", mail}});
  if (!mail) return token;
  Mail(to, "Reset your Wharf password",
       "The operator of this Wharf sent you a link to choose a new password for your account " + to +
           ".\r\n\r\nOpen it to set one (it works once, for one hour):\r\n\r\n" + config_.public_url +
           AccountLinkPath(AccountTokenKind::kPasswordReset, token.view()) +
           "\r\n\r\nSetting the password signs out every session of the account. If you did not ask for this, "
           "tell the operator.\r\n");
  return SecretBytes();
}

}  // namespace wharf::services
