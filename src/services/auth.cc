// Sign-up, sign-in, sessions, API tokens and organisations.
#include <algorithm>

#include "base/log.h"
#include "base/strings.h"
#include "domain/validate.h"
#include "secrets/crypto.h"
#include "services/account.h"
#include "services/auth.h"
#include "services/notifications.h"

namespace wharf::services {

using domain::Action;
using domain::Collection;

namespace {
constexpr std::string_view kSessionPrefix = "whs_";
constexpr std::string_view kApiTokenPrefix = "wht_";
constexpr std::string_view kCsrfPrefix = "whc_";

tl::unexpected<Error> Unauthenticated(std::string msg = "Sign in first: the credentials are missing, expired or revoked.") {
  return Err(ErrorCode::kUnauthenticated, std::move(msg));
}

tl::unexpected<Error> RateLimited(int64_t seconds, std::string msg) {
  auto e = Err(ErrorCode::kRateLimited, std::move(msg));
  e.value().details["retry_after"] = seconds;
  return e;
}

// 403 forbidden with details.reason "signup_closed" (docs/access-control.md, "Sign-up policy").
tl::unexpected<Error> SignupClosed(std::string msg) {
  auto e = Err(ErrorCode::kForbidden, std::move(msg));
  e.value().details = {{"reason", "signup_closed"},
                       {"fix", "Ask an admin of the organisation you want to join for an invitation."}};
  return e;
}
}  // namespace

std::string_view SignupPolicyName(Config::SignupPolicy p) {
  switch (p) {
    case Config::SignupPolicy::kFirstUser: return "first-user";
    case Config::SignupPolicy::kInviteOnly: return "invite-only";
    case Config::SignupPolicy::kOpen: return "open";
  }
  return "first-user";
}

std::optional<Config::SignupPolicy> ParseSignupPolicy(std::string_view s) {
  if (s == "first-user") return Config::SignupPolicy::kFirstUser;
  if (s == "invite-only") return Config::SignupPolicy::kInviteOnly;
  if (s == "open") return Config::SignupPolicy::kOpen;
  return std::nullopt;
}

tl::unexpected<Error> QuotaReached(int64_t limit, int64_t used, std::string msg) {
  auto e = Err(ErrorCode::kLimitReached, std::move(msg));
  e.value().details = {{"limit", limit}, {"used", used}};
  return e;
}

Status Auth::RecordSignupPolicy(const RequestContext& ctx) {
  const std::string now_policy(SignupPolicyName(config_.signup_policy));
  return WriteTx([&](store::Tx& tx) -> Status {
    // Instance-level events live in the audit table under org_id "" (no org reads them).
    WHARF_ASSIGN_OR_RETURN(auto events, tx.audit().List("", 0, 1000));
    std::string last;
    for (auto& e : events)
      if (e.action == "instance.signup_policy") {
        last = e.resource_id;
        break;
      }
    if (last == now_policy) return Ok();
    authz::Principal instance;
    instance.user_id = "operator";
    instance.user_email = "operator";
    WHARF_TRY(AuditIn(tx, instance, "instance.signup_policy", "instance", now_policy, ctx,
                      last.empty() ? "sign-up policy set to " + now_policy
                                   : "sign-up policy changed from " + last + " to " + now_policy));
    log::Warn("signup_policy_changed", {{"from", last.empty() ? std::string("(none recorded)") : last},
                                        {"to", now_policy}});
    return Ok();
  });
}

Result<SessionGrant> Auth::NewSession(store::Tx& tx, const domain::User& u, const RequestContext& ctx) {
  SessionGrant g;
  g.user = u;
  g.token = secrets::NewToken(kSessionPrefix);
  g.csrf_token = secrets::NewToken(kCsrfPrefix);
  domain::Session& s = g.session;
  s.id = ids_.New("ses");
  s.user_id = u.id;
  s.token_hash = secrets::TokenHash(g.token.view());
  s.csrf_hash = secrets::TokenHash(g.csrf_token.view());
  s.created_at = clock_.Now();
  s.expires_at = s.created_at + config_.session_ttl_ms;
  s.ip = ctx.ip.substr(0, 64);
  s.user_agent = ctx.user_agent.substr(0, 200);
  s.last_used_at = s.created_at;
  WHARF_TRY(tx.sessions().Insert(s));
  WHARF_ASSIGN_OR_RETURN(auto new_address, NewSignInEvent(tx, u, ctx.ip, ctx.user_agent, s.created_at));
  if (new_address) WHARF_TRY(NotifyUserOrgs(tx, u.id, *new_address));
  if (config_.max_sessions_per_user > 0) {
    // Beyond the cap the oldest sessions end, so a sign-in never fails for having too many.
    WHARF_ASSIGN_OR_RETURN(auto active, tx.sessions().ListActiveForUser(u.id, s.created_at));
    const int64_t excess = static_cast<int64_t>(active.size()) - config_.max_sessions_per_user;
    for (int64_t i = 0; i < excess; ++i) {
      if (active[i].id == s.id) continue;
      WHARF_TRY(tx.sessions().Revoke(active[i].id, s.created_at));
      g.ended_sessions.push_back(active[i].id);
    }
  }
  return g;
}

Result<domain::Org> Auth::CreateOrgIn(store::Tx& tx, const domain::User& owner, std::string_view name,
                                          std::optional<std::string> slug) {
  domain::Org org;
  org.id = ids_.New("org");
  org.name = std::string(name);
  org.owner_id = owner.id;
  org.created_at = org.updated_at = clock_.Now();
  org.created_by = owner.id;
  WHARF_ASSIGN_OR_RETURN(org.wrapped_data_key, envelope_.NewWrappedDataKey(org.id));
  if (slug) {
    org.slug = *slug;
    WHARF_TRY(tx.orgs().Insert(org));
  } else {
    // A personal org: derive the slug from the name, adding a suffix until it is free.
    std::string base = domain::SlugFromName(name);
    if (base.size() > 30) base.resize(30);
    for (int attempt = 0;; ++attempt) {
      org.slug = attempt == 0 ? base : base + "-" + secrets::RandomString(5, "abcdefghijklmnopqrstuvwxyz0123456789");
      WHARF_ASSIGN_OR_RETURN(auto existing, tx.orgs().FindBySlug(org.slug));
      if (!existing) break;
      if (attempt > 8) return Internal("could not find a free org slug");
    }
    WHARF_TRY(tx.orgs().Insert(org));
  }
  domain::Role admin;
  admin.id = ids_.New("rol");
  admin.org_id = org.id;
  admin.name = "Admin";
  admin.description = "Built-in full-access role. Immutable.";
  admin.builtin = true;
  admin.permissions = domain::Permissions::All();
  admin.created_at = admin.updated_at = org.created_at;
  admin.created_by = owner.id;
  WHARF_TRY(tx.roles().Insert(admin));
  WHARF_TRY(tx.memberships().Insert({org.id, owner.id, admin.id, org.created_at}));
  return org;
}

Result<bool> Auth::SignupOpenWithoutInvitation() {
  switch (config_.signup_policy) {
    case Config::SignupPolicy::kOpen: return true;
    case Config::SignupPolicy::kInviteOnly: return false;
    case Config::SignupPolicy::kFirstUser: break;
  }
  int64_t users = 0;
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(users, tx.users().Count());
    return Ok();
  }));
  return users == 0;
}

Result<SessionGrant> Auth::Signup(SignupInput in, const RequestContext& ctx) {
  WHARF_ASSIGN_OR_RETURN(std::string email, domain::NormalizeEmail(in.email, "email"));
  WHARF_ASSIGN_OR_RETURN(std::string name, domain::ValidateName(in.name, "name"));
  WHARF_TRY(domain::ValidatePassword(in.password.view(), "password"));
  if (!in.invitation_token && config_.signup_policy == Config::SignupPolicy::kInviteOnly)
    return SignupClosed("Sign-up on this instance is by invitation only. Ask an admin for an invitation.");
  const std::string closed_msg =
      "Sign-up on this instance is closed: new accounts join through an invitation. Ask an admin for an invitation.";
  if (!in.invitation_token) {  // before hashing: a closed sign-up costs no argon2id
    WHARF_ASSIGN_OR_RETURN(bool open, SignupOpenWithoutInvitation());
    if (!open) return SignupClosed(closed_msg);
  }
  if (auto wait = ip_attempts_.Blocked(ctx.ip, clock_.Now()))
    return RateLimited(*wait, "Too many sign-in attempts from this address. Try again later.");
  ip_attempts_.Record(ctx.ip, clock_.Now());
  // Hash outside the transaction: argon2id takes tens of milliseconds by design.
  WHARF_ASSIGN_OR_RETURN(std::string hash, secrets::HashPassword(in.password));

  // Open sign-up with SMTP answers "check your email" whether or not the address has an account,
  // and tells its owner by email instead: the answer must not reveal who has an account. Without
  // SMTP there is no other channel, so a taken address stays a 409 (docs/security.md).
  const bool same_answer = !in.invitation_token && config_.signup_policy == Config::SignupPolicy::kOpen &&
                           mailer_.enabled();
  SessionGrant grant;
  std::string joined_org_id;
  std::optional<domain::User> taken;
  SecretBytes verify_token;
  WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(int64_t users, tx.users().Count());
    // Again inside the transaction, so two racing first sign-ups cannot both pass; and before the
    // address is looked up, so a closed sign-up never tells whether an address has an account.
    if (!in.invitation_token && users > 0 && config_.signup_policy != Config::SignupPolicy::kOpen)
      return SignupClosed(closed_msg);
    WHARF_ASSIGN_OR_RETURN(auto existing, tx.users().FindByEmail(email));
    if (existing && same_answer) {
      taken = std::move(existing);
      return Ok();
    }
    if (existing) return Err(ErrorCode::kConflict, "An account with this email already exists. Sign in instead.");
    std::optional<domain::Invitation> inv;
    if (in.invitation_token) {
      WHARF_ASSIGN_OR_RETURN(inv, team_.ValidateInvitationToken(tx, *in.invitation_token));
      if (inv->email != email)
        return Forbidden("invitation", "This invitation was sent to a different email address. Sign up with the "
                                       "address the invitation was sent to.");
    }
    domain::User u;
    u.id = ids_.New("usr");
    u.email = email;
    u.name = name;
    u.password_hash = hash;
    u.instance_admin = users == 0;
    u.created_at = u.updated_at = clock_.Now();
    // An invitation link went to this address, and the first account is the operator's; an open
    // sign-up proves its address through a link (without SMTP there is none: see docs/account.md).
    u.email_verified = inv.has_value() || users == 0 || !same_answer;
    WHARF_TRY(tx.users().Insert(u));
    if (!u.email_verified) {
      WHARF_ASSIGN_OR_RETURN(verify_token, IssueAccountToken(tx, ids_, clock_, u, domain::AccountTokenKind::kVerifyEmail,
                                                             u.email, kEmailLinkTtlMs));
    }
    authz::Principal self;
    self.user_id = u.id;
    self.user_email = u.email;
    // An invited sign-up joins the inviting org only: a personal org nobody asked for could never
    // be deleted and would hold a seat of its own.
    std::optional<domain::Org> personal;
    if (!inv) {
      WHARF_ASSIGN_OR_RETURN(personal, CreateOrgIn(tx, u, name, std::nullopt));
      self.org_id = personal->id;
      WHARF_TRY(AuditIn(tx, self, "auth.signup", "users", u.id, ctx));
    }
    if (same_answer && users > 0) {
      // The first account has nobody to be told apart from: it is signed in at once.
      grant.user = u;
      grant.check_email = true;
      return Ok();
    }
    WHARF_ASSIGN_OR_RETURN(grant, NewSession(tx, u, ctx));
    grant.org = personal;
    grant.org_seats_used = personal ? 1 : 0;
    if (inv) {
      WHARF_ASSIGN_OR_RETURN(auto org, tx.orgs().FindById(inv->org_id));
      WHARF_ASSIGN_OR_RETURN(auto role, tx.roles().Find(inv->org_id, inv->role_id));
      if (!org || !role)
        return Err(ErrorCode::kInvitationInvalid, "The role or organisation of this invitation no longer exists.");
      if (org->seat_limit > 0) {
        WHARF_ASSIGN_OR_RETURN(int64_t used, SeatsUsed(tx, org->id));
        // The pending invitation already holds a seat; accepting converts it.
        if (used > org->seat_limit) {
          auto e = Err(ErrorCode::kLimitReached, "This organisation has no free seat. An Admin or the owner can "
                                                 "free a seat, or the instance administrator can raise the limit.",
                       Layer::kSeatLimit);
          e.value().details = {{"limit", org->seat_limit}, {"used", used}};
          return e;
        }
      }
      WHARF_TRY(tx.memberships().Insert({org->id, u.id, role->id, clock_.Now()}));
      WHARF_TRY(CheckSignIn(tx, u, "password"));  // an SSO-only org: join after signing in through it
      inv->status = domain::InvitationStatus::kAccepted;
      inv->accepted_at = clock_.Now();
      inv->accepted_by = u.id;
      inv->updated_at = inv->accepted_at;
      WHARF_TRY(tx.invitations().Update(*inv));
      authz::Principal in_org = self;
      in_org.org_id = org->id;
      WHARF_TRY(AuditIn(tx, in_org, "auth.signup", "users", u.id, ctx));
      WHARF_TRY(AuditIn(tx, in_org, "invitations.accept", "team", inv->id, ctx, "joined with role " + role->name));
      WHARF_TRY(Notify(tx, org->id,
                       SecurityEvent(notify::EventKind::kMemberJoined, u.email,
                                     u.email + " signed up with an invitation and joined with the role " + role->name + ".",
                                     "If you do not know this person, remove them under Team.", "/team")));
      grant.org = *org;
      WHARF_ASSIGN_OR_RETURN(grant.org_seats_used, SeatsUsed(tx, org->id));
      joined_org_id = org->id;
    }
    return Ok();
  }));
  if (!joined_org_id.empty()) cache_.Bump(joined_org_id);
  if (taken || grant.check_email) {
    http_client::MailMessage msg;
    msg.to = email;
    if (taken) {
      msg.subject = "Someone tried to sign up to Wharf with your address";
      msg.text_body = "Someone (perhaps you) tried to create a Wharf account with " + email + " from " + ctx.ip +
                      ", but this address already has an account. Nothing was changed.\r\n\r\nSign in at " +
                      config_.public_url + "/login\r\n\r\nIf it was not you, you can ignore this email.\r\n";
    } else {
      msg.subject = "Your Wharf account is ready: verify your address";
      msg.text_body = "Your Wharf account " + email + " was created. Sign in with the password you chose at " +
                      config_.public_url + "/login\r\n\r\nThen open this link to verify your address (it works "
                      "once, for 24 hours); until then the account cannot create organisations:\r\n\r\n" +
                      config_.public_url +
                      AccountLinkPath(domain::AccountTokenKind::kVerifyEmail, verify_token.view()) + "\r\n";
      log::Info("verify_email_link", {{"request_id", ctx.request_id}, {"token_hash", TokenHashPrefix(verify_token.view())}});
    }
    if (auto sent = mailer_.Send(msg); !sent)
      log::Warn("signup_email_failed", {{"request_id", ctx.request_id}, {"error", sent.error().message}});
    log::Info("signup_check_email", {{"request_id", ctx.request_id}, {"existing", taken.has_value()}});
    SessionGrant same;
    same.check_email = true;
    return same;
  }
  log::Info("signup", {{"request_id", ctx.request_id}, {"user_id", grant.user.id}});
  return grant;
}

Result<SessionGrant> Auth::Login(std::string_view email_in, const SecretBytes& password, const RequestContext& ctx) {
  const Timestamp now = clock_.Now();
  if (auto wait = ip_attempts_.Blocked(ctx.ip, now)) {
    auto e = RateLimited(*wait, "Too many sign-in attempts from this address. Try again in " +
                                    std::to_string(*wait) + " seconds.");
    return e;
  }
  ip_attempts_.Record(ctx.ip, now);
  auto email_r = domain::NormalizeEmail(email_in, "email");
  if (!email_r) return Unauthenticated("The email or password is wrong.");
  const std::string email = *email_r;
  // Throttled per (account, address) and per address, never per account alone: failures from
  // one address must not lock the owner out from another (docs/security.md).
  const std::string pair = email + "|" + ctx.ip;
  std::optional<int64_t> wait;
  for (auto& tier : pair_failures_)
    if (auto w = tier->Blocked(pair, now)) wait = std::max(wait.value_or(0), *w);
  if (wait)
    return RateLimited(*wait, "Too many failed sign-ins for this account from this address. Try again in " +
                                  std::to_string(*wait) + " seconds.");
  if (auto w = ip_failures_.Blocked(ctx.ip, now))
    return RateLimited(*w, "Too many failed sign-ins from this address. Try again in " + std::to_string(*w) +
                               " seconds.");
  std::optional<domain::User> user;
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(user, tx.users().FindByEmail(email));
    return Ok();
  }));
  // Verify against a dummy hash when the user is unknown, so timing does not reveal accounts.
  static const std::string dummy = *secrets::HashPassword(SecretBytes::FromString("wharf-dummy-password"));
  bool ok = secrets::VerifyPassword(password, user ? user->password_hash : dummy) && user.has_value();
  if (!ok) {
    for (auto& tier : pair_failures_) tier->Record(pair, now);
    ip_failures_.Record(ctx.ip, now);
    account_failures_.Record(email, now);
    log::Info("login_failed", {{"request_id", ctx.request_id}, {"ip", ctx.ip}});
    if (user && account_failures_.Blocked(email, now) && !burst_notices_.Blocked(email, now)) {
      burst_notices_.Record(email, now);
      NotifyLoginFailures(*user, ctx);
    }
    return Unauthenticated("The email or password is wrong.");
  }
  for (auto& tier : pair_failures_) tier->Reset(pair);
  // Only after the password matched: a wrong one answers the same for a disabled account.
  if (user->disabled_at != 0) {
    auto e = Err(ErrorCode::kForbidden, "This account is disabled. Ask the operator of this Wharf.");
    e.value().details = {{"reason", "account_disabled"}};
    return e;
  }
  SessionGrant grant;
  WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
    WHARF_TRY(CheckSignIn(tx, *user, "password"));
    if (login_gate_) {
      WHARF_ASSIGN_OR_RETURN(auto pending, login_gate_(tx, *user, ctx));
      if (pending) {  // the password was right; the session waits for the second factor
        grant.user = *user;
        grant.user.password_hash.clear();
        grant.second_factor = std::move(pending);
        return Ok();
      }
    }
    WHARF_ASSIGN_OR_RETURN(grant, NewSession(tx, *user, ctx));
    return Ok();
  }));
  ForgetEndedSessions(grant);
  return grant;
}

void Auth::ForgetEndedSessions(const SessionGrant& g) {
  if (g.ended_sessions.empty()) return;
  ForgetCredentials([&](const Authenticated& a) {
    return std::find(g.ended_sessions.begin(), g.ended_sessions.end(), a.session_id) != g.ended_sessions.end();
  });
}

void Auth::NotifyLoginFailures(const domain::User& u, const RequestContext& ctx) {
  const std::string what = std::to_string(config_.login_failures_per_account) + " failed sign-ins within " +
                           std::to_string(config_.login_failure_window_ms / 60000) + " minutes, the last from " +
                           ctx.ip;
  log::Warn("login_failure_burst", {{"user_id", u.id}, {"ip", ctx.ip}});
  // Into the audit log of every organisation the account owns: that is where its owner looks.
  auto st = WriteTx([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto ms, tx.memberships().ListForUser(u.id));
    for (auto& m : ms) {
      WHARF_ASSIGN_OR_RETURN(auto org, tx.orgs().FindById(m.org_id));
      if (!org || org->owner_id != u.id) continue;
      authz::Principal p;
      p.user_id = u.id;
      p.user_email = u.email;
      p.org_id = org->id;
      domain::AuditEvent e = MakeAuditEvent(p, "auth.login_failures", "users", u.id, "denied", ctx, what);
      WHARF_TRY(tx.audit().Append(e).map([](int64_t) {}));
    }
    return Ok();
  });
  if (!st) log::Error("audit_write_failed", {{"request_id", ctx.request_id}, {"detail", st.error().detail}});
  if (!mailer_.enabled()) return;
  http_client::MailMessage msg;
  msg.to = u.email;
  msg.subject = "Failed sign-ins to your Wharf account";
  msg.text_body = "Someone tried to sign in to your Wharf account (" + u.email + ") with a wrong password: " + what +
                  ".\r\n\r\nYour account is not locked: you can still sign in from your own address. If this was "
                  "not you, nothing is needed unless your password is weak or used elsewhere; then change it.\r\n";
  if (auto sent = mailer_.Send(msg); !sent)
    log::Warn("login_failure_email_failed", {{"user_id", u.id}, {"error", sent.error().message}});
}

Status Auth::Logout(const Authenticated& who, const RequestContext&) {
  ForgetCredentials([&](const Authenticated& a) { return !who.session_id.empty() && a.session_id == who.session_id; });
  if (who.session_id.empty()) return Err(ErrorCode::kValidationFailed, "Only a session can sign out; revoke API tokens with DELETE /api/v1/me/tokens/{id}.");
  return WriteTx([&](store::Tx& tx) { return tx.sessions().Revoke(who.session_id, clock_.Now()); });
}

Status Auth::LogoutAll(const Authenticated& who, const RequestContext&) {
  ForgetCredentials([&](const Authenticated& a) { return a.user.id == who.user.id && !a.session_id.empty(); });
  return WriteTx([&](store::Tx& tx) { return tx.sessions().RevokeAllForUser(who.user.id, clock_.Now()); });
}

bool Auth::CsrfMatches(const Authenticated& who, std::string_view csrf_token) const {
  if (csrf_token.empty() || csrf_token.size() > 200 || who.csrf_hash.empty()) return false;
  return ConstantTimeEquals(secrets::TokenHash(csrf_token), who.csrf_hash);
}

void Auth::ForgetCredentials(const std::function<bool(const Authenticated&)>& pred) {
  std::lock_guard lock(cred_mu_);
  ++cred_generation_;
  for (auto it = cred_cache_.begin(); it != cred_cache_.end();) it = pred(*it->second.who) ? cred_cache_.erase(it) : std::next(it);
}

void Auth::ForgetOrg(std::string_view slug) {
  std::lock_guard lock(org_mu_);
  ++org_generation_;
  org_cache_.erase(std::string(slug));
}

Result<std::shared_ptr<const Authenticated>> Auth::Authenticate(std::string_view token, const RequestContext&) {
  if (token.empty() || token.size() > 200) return Unauthenticated();
  // Writes by another process (a `wharf admin` command, another replica) drop what they made
  // stale before this request looks at the caches: disabling an account ends its credentials at once.
  store_.CatchUpInvalidations();
  const std::string hash = secrets::TokenHash(token);
  const Timestamp now = clock_.Now();
  uint64_t generation = 0;  // read before the store: a revocation meanwhile keeps the result out of the cache
  {
    std::lock_guard lock(cred_mu_);
    generation = cred_generation_;
    auto it = cred_cache_.find(hash);
    if (it != cred_cache_.end()) {
      if (now - it->second.cached_at < kCredentialCacheMs &&
          (it->second.who->expires_at == 0 || it->second.who->expires_at > now))
        return it->second.who;
      cred_cache_.erase(it);
    }
  }
  Authenticated who;
  who.token_hash = hash;
  bool found = false;
  std::string failure;
  Timestamp last_used = 0;
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    std::string user_id;
    if (StartsWith(token, kApiTokenPrefix)) {
      WHARF_ASSIGN_OR_RETURN(auto t, tx.api_tokens().FindByHash(hash));
      if (!t) return Ok();
      if (t->expires_at != 0 && t->expires_at <= now) {
        failure = "This API token expired. Create a new one with POST /api/v1/me/tokens.";
        return Ok();
      }
      user_id = t->user_id;
      who.expires_at = t->expires_at;
      last_used = t->last_used_at;
      who.api_token = std::move(*t);
    } else {
      WHARF_ASSIGN_OR_RETURN(auto s, tx.sessions().FindActive(hash, now));
      if (!s) return Ok();
      user_id = s->user_id;
      who.session_id = s->id;
      who.csrf_hash = s->csrf_hash;
      who.expires_at = s->expires_at;
      last_used = s->last_used_at;
    }
    WHARF_ASSIGN_OR_RETURN(auto u, tx.users().FindById(user_id));
    if (!u) return Ok();
    if (u->disabled_at != 0 || u->deleted_at != 0) {
      failure = "This account is disabled. Ask the operator of this Wharf.";
      return Ok();
    }
    who.user = std::move(*u);
    who.user.password_hash.clear();
    found = true;
    return Ok();
  }));
  if (!found) return failure.empty() ? Unauthenticated() : Unauthenticated(failure);
  // "Last used", at most once a minute per credential (the cache answers in between). It changes
  // no access, so it takes no writer lock and fires no invalidation (migration 9's triggers).
  if (now - last_used >= kCredentialCacheMs) {
    const std::string id = who.api_token ? who.api_token->id : who.session_id;
    const bool token = who.api_token.has_value();
    auto st = store_.WriteConcurrent([&](store::Tx& tx) -> Status {
      return token ? tx.api_tokens().Touch(id, now) : tx.sessions().Touch(id, now);
    });
    if (!st) log::Warn("last_used_write_failed", {{"detail", st.error().detail}});
    if (who.api_token) who.api_token->last_used_at = now;
  }
  auto shared = std::make_shared<const Authenticated>(std::move(who));
  {
    std::lock_guard lock(cred_mu_);
    if (cred_cache_.size() > 100'000) cred_cache_.clear();
    if (generation == cred_generation_) cred_cache_[hash] = CredentialEntry{shared, now};
  }
  return shared;
}

Result<authz::Principal> Auth::ResolvePrincipal(const Authenticated& who, std::string_view org_slug,
                                                    const RequestContext&) {
  auto not_found = [] {
    return Err(ErrorCode::kNotFound, "Organisation not found, or you are not a member of it.");
  };
  if (!domain::ValidateSlug(org_slug, "org")) return not_found();
  std::shared_ptr<const domain::Org> org;
  std::optional<authz::SnapshotCache::Entry> entry;
  {
    std::lock_guard lock(org_mu_);
    if (auto it = org_cache_.find(std::string(org_slug)); it != org_cache_.end()) org = it->second;
  }
  if (org) {
    if (who.api_token && who.api_token->org_id != org->id) return not_found();
    entry = cache_.Get(who.user.id, org->id);
  }
  if (!org) {
    uint64_t generation = 0;  // as for credentials: an org write meanwhile keeps this read out of the cache
    {
      std::lock_guard lock(org_mu_);
      generation = org_generation_;
    }
    WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
      WHARF_ASSIGN_OR_RETURN(auto found, tx.orgs().FindBySlug(org_slug));
      if (!found) return Ok();
      org = std::make_shared<const domain::Org>(std::move(*found));
      std::lock_guard lock(org_mu_);
      if (org_cache_.size() > 100'000) org_cache_.clear();
      if (generation == org_generation_) org_cache_[org->slug] = org;
      return Ok();
    }));
    if (!org) return not_found();
    if (who.api_token && who.api_token->org_id != org->id) return not_found();
    entry = cache_.Get(who.user.id, org->id);
  }
  if (!entry) {
    // The version is read BEFORE the snapshot that loads the role begins: a role or membership
    // write (here or, through the store's invalidations, on another replica) committed after
    // that snapshot bumps it, and Put then refuses the stale entry.
    const uint64_t version = cache_.Version(org->id);
    WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
      WHARF_ASSIGN_OR_RETURN(auto m, tx.memberships().Find(org->id, who.user.id));
      if (!m) return Ok();
      WHARF_ASSIGN_OR_RETURN(auto role, tx.roles().Find(org->id, m->role_id));
      if (!role) return Internal("membership references a missing role");
      entry = authz::SnapshotCache::Entry{version, authz::Compile(*role), org->owner_id == who.user.id};
      return Ok();
    }));
    if (entry) cache_.Put(who.user.id, org->id, *entry);
  }
  if (!org || !entry) return not_found();
  authz::Principal p;
  p.role = entry->role;
  p.owner = org->owner_id == who.user.id;
  p.instance_admin = who.user.instance_admin;
  p.user_id = who.user.id;
  p.user_email = who.user.email;
  p.org_id = org->id;
  p.org_slug = org->slug;
  if (who.api_token) {
    p.via_api_token = true;
    p.token_id = who.api_token->id;
    if (who.api_token->permissions) {
      p.token_bits = authz::ToBits(*who.api_token->permissions);
      for (Collection c : domain::AllCollections())
        if ((*who.api_token->permissions)[c].read_scope == domain::ReadScope::kOwn)
          p.token_own_mask |= uint32_t{1} << static_cast<unsigned>(c);
    }
  }
  authz::Bind(p);
  return p;
}

Result<authz::Principal> Auth::RecheckPrincipal(const Authenticated& who, std::string_view org_slug,
                                                    const RequestContext& ctx) {
  const Timestamp now = clock_.Now();
  bool active = false;
  // From the store, not the credential cache: another replica's sign-out reaches this one late.
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    if (who.api_token) {
      WHARF_ASSIGN_OR_RETURN(auto t, tx.api_tokens().FindByHash(who.token_hash));
      active = t && (t->expires_at == 0 || t->expires_at > now);
    } else {
      WHARF_ASSIGN_OR_RETURN(auto s, tx.sessions().FindActive(who.token_hash, now));
      active = s.has_value();
    }
    return Ok();
  }));
  if (!active) return Unauthenticated("The session or API token of this stream ended (signed out, revoked or expired).");
  return ResolvePrincipal(who, org_slug, ctx);
}

uint64_t Auth::AccessGeneration(std::string_view org_id) {
  uint64_t creds = 0;
  {
    std::lock_guard lock(cred_mu_);
    creds = cred_generation_;
  }
  return creds + cache_.Version(std::string(org_id));
}

Result<std::vector<MeOrg>> Auth::MyOrgs(const Authenticated& who) {
  std::vector<MeOrg> out;
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto ms, tx.memberships().ListForUser(who.user.id));
    for (auto& m : ms) {
      if (who.api_token && who.api_token->org_id != m.org_id) continue;
      WHARF_ASSIGN_OR_RETURN(auto org, tx.orgs().FindById(m.org_id));
      WHARF_ASSIGN_OR_RETURN(auto role, tx.roles().Find(m.org_id, m.role_id));
      if (!org || !role) continue;
      authz::Principal p;
      p.role = authz::Compile(*role);
      if (who.api_token && who.api_token->permissions) p.token_bits = authz::ToBits(*who.api_token->permissions);
      authz::Bind(p);
      out.push_back({*org, org->owner_id == who.user.id, *role, authz::EffectivePermissions(p)});
    }
    return Ok();
  }));
  return out;
}

Result<TokenGrant> Auth::CreateApiToken(const Authenticated& who, CreateTokenInput in, const RequestContext& ctx) {
  if (who.api_token) return Forbidden("tokens", "API tokens cannot create other API tokens. Sign in with a password.");
  WHARF_ASSIGN_OR_RETURN(std::string name, domain::ValidateName(in.name, "name"));
  if (in.expires_in_days && (*in.expires_in_days < 1 || *in.expires_in_days > 3650))
    return FieldError("expires_in_days", "must be between 1 and 3650");
  WHARF_ASSIGN_OR_RETURN(authz::Principal p, ResolvePrincipal(who, in.org_slug, ctx));
  TokenGrant g;
  g.secret = secrets::NewToken(kApiTokenPrefix);
  g.org_slug = p.org_slug;
  domain::ApiToken& t = g.token;
  t.id = ids_.New("tok");
  t.user_id = who.user.id;
  t.org_id = p.org_id;
  t.name = name;
  t.token_hash = secrets::TokenHash(g.secret.view());
  t.permissions = in.permissions;
  t.created_at = clock_.Now();
  if (in.expires_in_days) t.expires_at = t.created_at + *in.expires_in_days * 24 * 3600 * 1000;
  WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
    if (config_.max_api_tokens_per_user > 0) {
      WHARF_ASSIGN_OR_RETURN(auto existing, tx.api_tokens().ListForUser(who.user.id));
      int64_t used = 0;
      for (auto& e : existing) used += e.expires_at == 0 || e.expires_at > t.created_at;
      if (used >= config_.max_api_tokens_per_user)
        return QuotaReached(config_.max_api_tokens_per_user, used,
                            "You already have " + std::to_string(used) + " active API tokens, the most this instance "
                            "allows. Revoke one you no longer use (DELETE /api/v1/me/tokens/{id}).");
    }
    WHARF_TRY(tx.api_tokens().Insert(t));
    WHARF_TRY(AuditIn(tx, p, "tokens.create", "tokens", t.id, ctx));
    return Notify(tx, p.org_id,
                  SecurityEvent(notify::EventKind::kApiTokenCreated, who.user.email,
                                who.user.email + " created the API token '" + t.name + "' for this organisation" +
                                    (t.expires_at ? "." : ", without an expiry date."),
                                "If this was not expected, ask the member to revoke it (API tokens page).", "/team"));
  }));
  return g;
}

Result<std::vector<std::pair<domain::ApiToken, std::string>>> Auth::ListApiTokens(const Authenticated& who) {
  std::vector<std::pair<domain::ApiToken, std::string>> out;
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto ts, tx.api_tokens().ListForUser(who.user.id));
    for (auto& t : ts) {
      WHARF_ASSIGN_OR_RETURN(auto org, tx.orgs().FindById(t.org_id));
      out.emplace_back(std::move(t), org ? org->slug : std::string());
    }
    return Ok();
  }));
  return out;
}

Status Auth::RevokeApiToken(const Authenticated& who, std::string_view id, const RequestContext&) {
  bool found = false;
  WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(found, tx.api_tokens().Revoke(who.user.id, id, clock_.Now()));
    return Ok();
  }));
  if (!found) return Err(ErrorCode::kNotFound, "API token not found.");
  ForgetCredentials([&](const Authenticated& a) { return a.api_token && a.api_token->id == id; });
  return Ok();
}

Auth::Auth(Core& core, Team& team)
    : Feature(core),
      account_failures_(config_.login_failures_per_account, config_.login_failure_window_ms,
                        store_.shared_counters(), "login_failures"),
      burst_notices_(1, config_.login_failure_window_ms, store_.shared_counters(), "login_failure_notices"),
      ip_attempts_(config_.login_attempts_per_ip, 60'000, store_.shared_counters(), "login_attempts_ip"),
      ip_failures_(config_.login_failures_per_ip, 15LL * 60 * 1000, store_.shared_counters(), "login_failures_ip"),
      team_(team) {
  // 5 failures a minute, 10 per 15 minutes, 20 an hour, per (account, address).
  pair_failures_.push_back(std::make_unique<RateLimiter>(5, 60'000, store_.shared_counters(), "login_failures_pair_1m"));
  pair_failures_.push_back(
      std::make_unique<RateLimiter>(10, 15LL * 60'000, store_.shared_counters(), "login_failures_pair_15m"));
  pair_failures_.push_back(
      std::make_unique<RateLimiter>(20, 60LL * 60'000, store_.shared_counters(), "login_failures_pair_1h"));
  // Other replicas' writes (PostgreSQL): drop what they made stale. A no-op on SQLite.
  store_.WatchInvalidations([this](std::string_view scope) { ApplyInvalidation(scope); });
}

void Auth::ApplyInvalidation(std::string_view scope) {
  if (scope == "*") {
    cache_.BumpAll();
    ForgetCredentials([](const Authenticated&) { return true; });
    std::lock_guard lock(org_mu_);
    ++org_generation_;
    org_cache_.clear();
    return;
  }
  if (StartsWith(scope, "org:")) {
    const std::string_view org_id = scope.substr(4);
    cache_.Bump(org_id);
    std::lock_guard lock(org_mu_);
    ++org_generation_;
    for (auto it = org_cache_.begin(); it != org_cache_.end();) it = it->second->id == org_id ? org_cache_.erase(it) : std::next(it);
  } else if (StartsWith(scope, "user:")) {
    const std::string_view user_id = scope.substr(5);
    ForgetCredentials([&](const Authenticated& a) { return a.user.id == user_id; });
  }
}

}  // namespace wharf::services
