// Invitations: by email and by copied link; single use; bound to the invited email.
#include <cctype>

#include "base/log.h"
#include "base/strings.h"
#include "domain/validate.h"
#include "secrets/crypto.h"
#include "services/team.h"
#include "services/notifications.h"

namespace wharf::services {

using domain::Action;
using domain::Collection;
using domain::InvitationStatus;

namespace {
constexpr std::string_view kInvitationPrefix = "whi_";

tl::unexpected<Error> InvitationNotFound() {
  return Err(ErrorCode::kNotFound, "Invitation not found in this organisation.");
}
tl::unexpected<Error> SeatLimit(int64_t limit, int64_t used) {
  auto e = Err(ErrorCode::kLimitReached,
               "This organisation has used all " + std::to_string(limit) + " of its seats (members plus pending "
               "invitations). Revoke a pending invitation or remove a member, or ask the instance administrator "
               "to raise the seat limit.",
               Layer::kSeatLimit);
  e.value().details = {{"limit", limit}, {"used", used}};
  return e;
}

// Without SMTP a resend could only rotate the token: that kills the link already handed over
// and sends nothing. Refused with the email layer instead, leaving the invitation as it is.
Status RefuseResendWithoutEmail(const http_client::Mailer& mailer) {
  if (mailer.enabled()) return Ok();
  return Err(ErrorCode::kConflict,
             "This server sends no email (it runs without --smtp-url), so nothing was resent and the "
             "link you already have still works. Hand that link over yourself, or ask the operator to "
             "configure SMTP.",
             Layer::kEmail);
}

// Free text that someone else chose (an organisation, role or user name), made safe to quote in
// an email sent from the operator's domain: control characters (header and line injection) go,
// words that a mail client would turn into a link (URLs, domains, addresses) are replaced, and
// the result is cut to `max` characters so it cannot carry a message of its own.
std::string MailSafe(std::string_view in, size_t max = 60) {
  std::string clean;
  for (unsigned char ch : in) clean += ch < 0x20 || ch == 0x7f ? ' ' : static_cast<char>(ch);
  auto link_like = [](std::string_view w) {
    if (w.find("://") != std::string_view::npos || w.find('@') != std::string_view::npos) return true;
    if (StartsWith(ToLower(std::string(w)), "www.")) return true;
    // "evil.com", "a.b/c": a dot between two letters or digits.
    for (size_t i = 1; i + 1 < w.size(); ++i)
      if (w[i] == '.' && std::isalnum(static_cast<unsigned char>(w[i - 1])) &&
          std::isalnum(static_cast<unsigned char>(w[i + 1])))
        return true;
    return false;
  };
  std::string out;
  size_t i = 0;
  while (i < clean.size()) {
    while (i < clean.size() && clean[i] == ' ') ++i;
    size_t j = clean.find(' ', i);
    if (j == std::string::npos) j = clean.size();
    if (j > i) {
      std::string_view word(clean.data() + i, j - i);
      if (!out.empty()) out += ' ';
      out += link_like(word) ? "[link removed]" : std::string(word);
    }
    i = j;
  }
  // Count characters, not bytes, and never cut inside a UTF-8 sequence.
  size_t chars = 0, cut = out.size();
  for (size_t k = 0; k < out.size(); ++k) {
    if ((static_cast<unsigned char>(out[k]) & 0xC0) == 0x80) continue;
    if (chars == max) {
      cut = k;
      break;
    }
    ++chars;
  }
  if (cut < out.size()) out = out.substr(0, cut) + "…";
  return out;
}
}  // namespace

Status Team::ThrottleInvitations(const authz::Principal& p) {
  const Timestamp now = clock_.Now();
  auto limited = [](int64_t wait, int limit, std::string who) {
    auto e = Err(ErrorCode::kRateLimited, who + " sent " + std::to_string(limit) + " invitation emails in the last "
                                          "hour, the most this instance allows. Try again in " +
                                          std::to_string(wait) + " seconds, or copy the invitation link instead.");
    e.value().details = {{"retry_after", wait}, {"limit", limit}};
    return e;
  };
  if (config_.invitations_per_org_per_hour > 0)
    if (auto w = invitations_per_org_.Blocked(p.org_id, now))
      return limited(*w, config_.invitations_per_org_per_hour, "This organisation");
  if (config_.invitations_per_user_per_hour > 0)
    if (auto w = invitations_per_user_.Blocked(p.user_id, now))
      return limited(*w, config_.invitations_per_user_per_hour, "You");
  if (config_.invitations_per_org_per_hour > 0) invitations_per_org_.Record(p.org_id, now);
  if (config_.invitations_per_user_per_hour > 0) invitations_per_user_.Record(p.user_id, now);
  return Ok();
}

std::string Team::InvitationLink(const SecretBytes& token) const {
  return config_.public_url + "/invite/" + std::string(token.view());
}

Result<std::string> Team::InviterLine(store::Tx& tx, const authz::Principal& p) {
  WHARF_ASSIGN_OR_RETURN(auto u, tx.users().FindById(p.user_id));
  const std::string name = u ? MailSafe(u->name) : std::string();
  return name.empty() ? p.user_email : name + " <" + p.user_email + ">";
}

Result<SecretBytes> Team::RotateInvitationToken(store::Tx& tx, domain::Invitation& inv) {
  SecretBytes token = secrets::NewToken(kInvitationPrefix);
  inv.token_hash = secrets::TokenHash(token.view());
  inv.updated_at = clock_.Now();
  WHARF_TRY(tx.invitations().Update(inv));
  return token;
}

void Team::SendInvitationEmail(domain::Invitation& inv, const domain::Org& org, const domain::Role& role,
                                   const std::string& link, const std::string& inviter) {
  if (!mailer_.enabled()) {
    inv.email_status = "disabled";
    inv.email_error.clear();
    return;
  }
  // Names are someone else's free text: quoted through MailSafe (the body is plain text, so no
  // HTML escaping applies; nothing in it is markup).
  const std::string org_name = MailSafe(org.name);
  http_client::MailMessage msg;
  msg.to = inv.email;
  msg.subject = "You are invited to \"" + org_name + "\" on Wharf";
  msg.text_body = inviter + " invited you to join the organisation \"" + org_name + "\" on Wharf with the role \"" +
                  MailSafe(role.name) + "\".\r\n\r\nOpen this link to accept:\r\n\r\n" + link +
                  "\r\n\r\nThe link works once and expires on " + FormatRfc3339(inv.expires_at) +
                  ". If you did not expect it, ignore this email: nothing happens unless you open the link.\r\n";
  auto st = mailer_.Send(msg);
  if (st) {
    inv.email_status = "sent";
    inv.email_error.clear();
  } else {
    inv.email_status = "failed";
    inv.email_error = st.error().message.substr(0, 500);
    log::Warn("invitation_email_failed", {{"invitation_id", inv.id}, {"error", inv.email_error}});
  }
}

Result<InvitationView> Team::Invite(const authz::Principal& p, std::string_view email_in, std::string_view role_id,
                                        bool send_email, const RequestContext& ctx) {
  WHARF_TRY(Authorize(p, Collection::kTeam, Action::kUpdate, nullptr, ctx));
  WHARF_ASSIGN_OR_RETURN(std::string email, domain::NormalizeEmail(email_in, "email"));
  if (role_id.empty()) return FieldError("role_id", "is required");
  if (send_email) WHARF_TRY(ThrottleInvitations(p));
  InvitationView v;
  SecretBytes token;
  domain::Org org;
  std::string inviter;
  WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(inviter, InviterLine(tx, p));
    WHARF_ASSIGN_OR_RETURN(auto role, tx.roles().Find(p.org_id, role_id));
    if (!role) return FieldError("role_id", "is not a role of this organisation");
    WHARF_TRY(CheckNoEscalation(p, *role, "team.invite", ctx));
    WHARF_ASSIGN_OR_RETURN(auto o, tx.orgs().FindById(p.org_id));
    if (!o) return Err(ErrorCode::kNotFound, "Organisation not found.");
    org = *o;
    WHARF_ASSIGN_OR_RETURN(auto existing_user, tx.users().FindByEmail(email));
    if (existing_user) {
      WHARF_ASSIGN_OR_RETURN(auto m, tx.memberships().Find(p.org_id, existing_user->id));
      if (m) return Err(ErrorCode::kConflict, email + " is already a member of this organisation.");
    }
    WHARF_ASSIGN_OR_RETURN(auto pending, tx.invitations().FindPendingByEmail(p.org_id, email, clock_.Now()));
    if (pending)
      return Err(ErrorCode::kConflict, "A pending invitation for " + email +
                                           " already exists. Resend it or copy its link instead.");
    if (org.seat_limit > 0) {
      WHARF_ASSIGN_OR_RETURN(int64_t used, SeatsUsed(tx, p.org_id));
      if (used + 1 > org.seat_limit) return SeatLimit(org.seat_limit, used);
    }
    if (config_.max_pending_invitations_per_org > 0) {
      WHARF_ASSIGN_OR_RETURN(int64_t pending_n, tx.invitations().CountPending(p.org_id, clock_.Now()));
      if (pending_n >= config_.max_pending_invitations_per_org)
        return QuotaReached(config_.max_pending_invitations_per_org, pending_n,
                            "This organisation already has " + std::to_string(pending_n) + " pending invitations, "
                            "the most this instance allows. Revoke the ones nobody will accept, or ask the "
                            "instance administrator to raise --max-pending-invitations-per-org.");
    }
    domain::Invitation& inv = v.invitation;
    inv.id = ids_.New("inv");
    inv.org_id = p.org_id;
    inv.email = email;
    inv.role_id = role->id;
    inv.status = InvitationStatus::kPending;
    inv.created_at = inv.updated_at = clock_.Now();
    inv.expires_at = inv.created_at + config_.invitation_ttl_ms;
    inv.created_by = p.user_id;
    inv.email_status = send_email ? (mailer_.enabled() ? "pending" : "disabled") : "not_requested";
    token = secrets::NewToken(kInvitationPrefix);
    inv.token_hash = secrets::TokenHash(token.view());
    WHARF_TRY(tx.invitations().Insert(inv));
    v.role = *role;
    return AuditIn(tx, p, "team.invite", "team", inv.id, ctx, email + " as " + role->name);
  }));
  v.link = InvitationLink(token);
  // The invitation is committed before any mail is attempted: a failure to email never loses it.
  if (send_email) {
    SendInvitationEmail(v.invitation, org, v.role, v.link, inviter);
    auto st = WriteTx([&](store::Tx& tx) { return tx.invitations().Update(v.invitation); });
    if (!st) log::Error("invitation_status_write_failed", {{"detail", st.error().detail}});
  }
  return v;
}

Result<Page<InvitationView>> Team::ListInvitations(const authz::Principal& p, int limit, std::string_view cursor,
                                                       const RequestContext& ctx) {
  WHARF_TRY(Authorize(p, Collection::kTeam, Action::kRead, nullptr, ctx));
  WHARF_ASSIGN_OR_RETURN(store::PageQuery q, DecodeCursor(cursor, limit));
  Page<InvitationView> page;
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto roles, tx.roles().List(p.org_id));
    WHARF_ASSIGN_OR_RETURN(auto rows, tx.invitations().ListPending(p.org_id, clock_.Now(), q));
    for (auto& inv : rows) {
      if (static_cast<int>(page.items.size()) == limit) {
        auto& last = page.items.back().invitation;
        page.next_cursor = EncodeCursor(last.created_at, last.id);
        break;
      }
      InvitationView v;
      v.invitation = inv;
      for (auto& r : roles)
        if (r.id == inv.role_id) v.role = r;
      page.items.push_back(std::move(v));
    }
    return Ok();
  }));
  return page;
}

Result<domain::Invitation> Team::FindPendingInvitation(store::Tx& tx, const authz::Principal& p,
                                                          std::string_view id) {
  WHARF_ASSIGN_OR_RETURN(auto inv, tx.invitations().Find(p.org_id, id));
  if (!inv) return InvitationNotFound();
  if (inv->status != InvitationStatus::kPending)
    return Err(ErrorCode::kConflict,
               "This invitation was already " + std::string(domain::InvitationStatusName(inv->status)) + ".");
  if (inv->expires_at <= clock_.Now())
    return Err(ErrorCode::kConflict, "This invitation expired. Revoke it and invite again.");
  return *inv;
}

Result<InvitationView> Team::CopyInvitationLink(const authz::Principal& p, std::string_view id,
                                                    const RequestContext& ctx) {
  WHARF_TRY(Authorize(p, Collection::kTeam, Action::kUpdate, nullptr, ctx, id));
  InvitationView v;
  SecretBytes token;
  WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto found, FindPendingInvitation(tx, p, id));
    auto inv = &found;
    WHARF_ASSIGN_OR_RETURN(auto role, tx.roles().Find(p.org_id, inv->role_id));
    if (!role) return InvitationNotFound();
    // A fresh link hands out the invitation's role: the same no-escalation rule as Invite.
    WHARF_TRY(CheckNoEscalation(p, *role, "team.invite_link", ctx));
    v.role = *role;
    WHARF_ASSIGN_OR_RETURN(token, RotateInvitationToken(tx, *inv));
    v.invitation = *inv;
    return AuditIn(tx, p, "team.invite_link", "team", inv->id, ctx, "link copied; earlier links revoked");
  }));
  v.link = InvitationLink(token);
  return v;
}

Result<InvitationView> Team::ResendInvitation(const authz::Principal& p, std::string_view id,
                                                  const RequestContext& ctx) {
  WHARF_TRY(Authorize(p, Collection::kTeam, Action::kUpdate, nullptr, ctx, id));
  WHARF_TRY(ThrottleInvitations(p));
  InvitationView v;
  SecretBytes token;
  domain::Org org;
  std::string inviter;
  WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(inviter, InviterLine(tx, p));
    WHARF_ASSIGN_OR_RETURN(auto found, FindPendingInvitation(tx, p, id));
    auto inv = &found;
    WHARF_ASSIGN_OR_RETURN(auto role, tx.roles().Find(p.org_id, inv->role_id));
    WHARF_ASSIGN_OR_RETURN(auto o, tx.orgs().FindById(p.org_id));
    if (!role || !o) return InvitationNotFound();
    // Authorisation first: a caller who may not touch this invitation learns nothing about email.
    WHARF_TRY(CheckNoEscalation(p, *role, "team.invite_resend", ctx));
    WHARF_TRY(RefuseResendWithoutEmail(mailer_));
    v.role = *role;
    org = *o;
    // Only the hash is stored, so a resend mints a fresh link; earlier links stop working.
    WHARF_ASSIGN_OR_RETURN(token, RotateInvitationToken(tx, *inv));
    v.invitation = *inv;
    return AuditIn(tx, p, "team.invite_resend", "team", inv->id, ctx);
  }));
  v.link = InvitationLink(token);
  SendInvitationEmail(v.invitation, org, v.role, v.link, inviter);
  auto st = WriteTx([&](store::Tx& tx) { return tx.invitations().Update(v.invitation); });
  if (!st) log::Error("invitation_status_write_failed", {{"detail", st.error().detail}});
  v.link.clear();  // resend answers only the email status
  return v;
}

Status Team::RevokeInvitation(const authz::Principal& p, std::string_view id, const RequestContext& ctx) {
  WHARF_TRY(Authorize(p, Collection::kTeam, Action::kUpdate, nullptr, ctx, id));
  return WriteTx([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto inv, tx.invitations().Find(p.org_id, id));
    if (!inv) return InvitationNotFound();
    if (inv->status != InvitationStatus::kPending)
      return Err(ErrorCode::kConflict, "This invitation was already " + std::string(domain::InvitationStatusName(inv->status)) + ".");
    // Only someone who could have made the invitation may withdraw it (a member cannot cancel
    // an Admin's invitation of a wider role). A deleted role leaves nothing to protect.
    WHARF_ASSIGN_OR_RETURN(auto role, tx.roles().Find(p.org_id, inv->role_id));
    if (role) WHARF_TRY(CheckNoEscalation(p, *role, "team.invite_revoke", ctx));
    inv->status = InvitationStatus::kRevoked;
    inv->updated_at = clock_.Now();
    WHARF_TRY(tx.invitations().Update(*inv));
    return AuditIn(tx, p, "team.invite_revoke", "team", inv->id, ctx);
  });
}

Result<domain::Invitation> Team::ValidateInvitationToken(store::Tx& tx, std::string_view token) {
  auto invalid = [] {
    return Err(ErrorCode::kInvitationInvalid,
               "This invitation link is no longer valid: it was used, revoked or replaced by a newer link. "
               "Ask the person who invited you for a new link.");
  };
  if (token.empty() || token.size() > 200 || !StartsWith(token, kInvitationPrefix)) return invalid();
  WHARF_ASSIGN_OR_RETURN(auto inv, tx.invitations().FindByTokenHash(secrets::TokenHash(token)));
  if (!inv || inv->status != InvitationStatus::kPending) return invalid();
  if (inv->expires_at <= clock_.Now())
    return Err(ErrorCode::kInvitationExpired,
               "This invitation expired on " + FormatRfc3339(inv->expires_at) + ". Ask for a new invitation.");
  return *inv;
}

Result<PublicInvitation> Team::PeekInvitation(std::string_view token) {
  PublicInvitation out;
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto inv, ValidateInvitationToken(tx, token));
    WHARF_ASSIGN_OR_RETURN(auto org, tx.orgs().FindById(inv.org_id));
    WHARF_ASSIGN_OR_RETURN(auto role, tx.roles().Find(inv.org_id, inv.role_id));
    if (!org || !role) return Err(ErrorCode::kInvitationInvalid, "The role or organisation of this invitation no longer exists.");
    out.org = *org;
    out.role_name = role->name;
    out.email = inv.email;
    out.expires_at = inv.expires_at;
    return Ok();
  }));
  return out;
}

Result<std::pair<domain::Org, domain::Role>> Team::AcceptInvitation(const Authenticated& who, std::string_view token,
                                                                        const RequestContext& ctx) {
  std::pair<domain::Org, domain::Role> out;
  WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto inv, ValidateInvitationToken(tx, token));
    if (inv.email != ToLower(who.user.email))
      return Forbidden("invitation", "This invitation was sent to a different email address. Sign in as the "
                                     "invited account to accept it.");
    WHARF_ASSIGN_OR_RETURN(auto org, tx.orgs().FindById(inv.org_id));
    WHARF_ASSIGN_OR_RETURN(auto role, tx.roles().Find(inv.org_id, inv.role_id));
    if (!org || !role) return Err(ErrorCode::kInvitationInvalid, "The role or organisation of this invitation no longer exists.");
    WHARF_ASSIGN_OR_RETURN(auto m, tx.memberships().Find(org->id, who.user.id));
    if (m) return Err(ErrorCode::kConflict, "You are already a member of " + org->name + ".");
    if (org->seat_limit > 0) {
      WHARF_ASSIGN_OR_RETURN(int64_t used, SeatsUsed(tx, org->id));
      // `used` counts this pending invitation already; accepting converts it into a member.
      if (used > org->seat_limit) return SeatLimit(org->seat_limit, used);
    }
    WHARF_TRY(tx.memberships().Insert({org->id, who.user.id, role->id, clock_.Now()}));
    if (!who.user.email_verified) {
      // The invitation link went to this address: opening it proves the address.
      WHARF_ASSIGN_OR_RETURN(auto u, tx.users().FindById(who.user.id));
      if (u) {
        u->email_verified = true;
        u->updated_at = clock_.Now();
        WHARF_TRY(tx.users().Update(*u));
      }
    }
    inv.status = InvitationStatus::kAccepted;
    inv.accepted_at = clock_.Now();
    inv.accepted_by = who.user.id;
    inv.updated_at = inv.accepted_at;
    WHARF_TRY(tx.invitations().Update(inv));
    authz::Principal p;
    p.user_id = who.user.id;
    p.user_email = who.user.email;
    p.org_id = org->id;
    WHARF_TRY(AuditIn(tx, p, "invitations.accept", "team", inv.id, ctx, "joined with role " + role->name));
    WHARF_TRY(Notify(tx, org->id,
                     SecurityEvent(notify::EventKind::kMemberJoined, who.user.email,
                                   who.user.email + " accepted an invitation and joined with the role " + role->name + ".",
                                   "If you do not know this person, remove them under Team.", "/team")));
    out = {*org, *role};
    return Ok();
  }));
  cache_.Bump(out.first.id);
  return out;
}

}  // namespace wharf::services
