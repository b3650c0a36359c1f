// Roles and members.
#include "base/strings.h"
#include "domain/validate.h"
#include "services/team.h"
#include "services/notifications.h"

namespace wharf::services {

using domain::Action;
using domain::Collection;

namespace {
tl::unexpected<Error> MemberNotFound() { return Err(ErrorCode::kNotFound, "Member not found in this organisation."); }

}  // namespace

Result<Page<MemberView>> Team::ListMembers(const authz::Principal& p, int limit, std::string_view cursor,
                                               const RequestContext& ctx) {
  WHARF_TRY(Authorize(p, Collection::kTeam, Action::kRead, nullptr, ctx));
  WHARF_ASSIGN_OR_RETURN(store::PageQuery q, DecodeCursor(cursor, limit));
  Page<MemberView> page;
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto org, tx.orgs().FindById(p.org_id));
    WHARF_ASSIGN_OR_RETURN(auto roles, tx.roles().List(p.org_id));
    WHARF_ASSIGN_OR_RETURN(auto rows, tx.memberships().ListForOrg(p.org_id, q));
    for (auto& row : rows) {
      if (static_cast<int>(page.items.size()) == limit) {
        auto& last = page.items.back();
        page.next_cursor = EncodeCursor(last.joined_at, last.user.id);
        break;
      }
      MemberView v;
      v.user = row.user;
      v.joined_at = row.membership.joined_at;
      v.owner = org && org->owner_id == row.user.id;
      for (auto& r : roles)
        if (r.id == row.membership.role_id) v.role = r;
      page.items.push_back(std::move(v));
    }
    return Ok();
  }));
  return page;
}

Result<MemberView> Team::ChangeMemberRole(const authz::Principal& p, std::string_view user_id,
                                              std::string_view role_id, const RequestContext& ctx) {
  WHARF_TRY(Authorize(p, Collection::kTeam, Action::kUpdate, nullptr, ctx, user_id));
  MemberView v;
  WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto m, tx.memberships().Find(p.org_id, user_id));
    if (!m) return MemberNotFound();
    WHARF_ASSIGN_OR_RETURN(auto target, tx.roles().Find(p.org_id, role_id));
    if (!target) return FieldError("role_id", "is not a role of this organisation");
    WHARF_ASSIGN_OR_RETURN(auto current, tx.roles().Find(p.org_id, m->role_id));
    if (!current) return Internal("membership references a missing role");
    // Granting the new role and taking away the old one both need the caller to hold them.
    WHARF_TRY(CheckNoEscalation(p, *target, "team.update", ctx));
    WHARF_TRY(CheckNoEscalation(p, *current, "team.update", ctx));
    WHARF_ASSIGN_OR_RETURN(auto org, tx.orgs().FindById(p.org_id));
    if (current->builtin && !target->builtin) {
      if (org && org->owner_id == user_id)
        return Err(ErrorCode::kConflict, "The owner must keep the Admin role. Transfer ownership first.");
      WHARF_ASSIGN_OR_RETURN(int64_t admins, tx.memberships().CountByRole(p.org_id, current->id));
      if (admins <= 1) return Err(ErrorCode::kConflict, "This is the last Admin. Make someone else Admin first.");
    }
    WHARF_TRY(tx.memberships().UpdateRole(p.org_id, user_id, target->id));
    WHARF_ASSIGN_OR_RETURN(auto u, tx.users().FindById(user_id));
    if (!u) return MemberNotFound();
    v.user = *u;
    v.user.password_hash.clear();
    v.role = *target;
    v.owner = org && org->owner_id == user_id;
    v.joined_at = m->joined_at;
    WHARF_TRY(AuditIn(tx, p, "team.update", "team", std::string(user_id), ctx, "role " + current->name + " -> " + target->name));
    if (current->id == target->id) return Ok();
    return Notify(tx, p.org_id,
                  SecurityEvent(notify::EventKind::kRoleChanged, u->email,
                                p.user_email + " changed the role of " + u->email + " from " + current->name + " to " +
                                    target->name + ".",
                                "If this was not expected, open Team and set the role back, then review the audit log.",
                                "/team"));
  }));
  cache_.Bump(p.org_id);
  return v;
}

Status Team::RemoveMember(const authz::Principal& p, std::string_view user_id, const RequestContext& ctx) {
  const bool self = user_id == p.user_id;
  if (!self) WHARF_TRY(Authorize(p, Collection::kTeam, Action::kDelete, nullptr, ctx, user_id));
  WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto m, tx.memberships().Find(p.org_id, user_id));
    if (!m) return MemberNotFound();
    WHARF_ASSIGN_OR_RETURN(auto org, tx.orgs().FindById(p.org_id));
    if (org && org->owner_id == user_id)
      return Err(ErrorCode::kConflict, "The owner cannot be removed. Transfer ownership first.");
    WHARF_ASSIGN_OR_RETURN(auto role, tx.roles().Find(p.org_id, m->role_id));
    if (role && role->builtin) {
      WHARF_ASSIGN_OR_RETURN(int64_t admins, tx.memberships().CountByRole(p.org_id, role->id));
      if (admins <= 1) return Err(ErrorCode::kConflict, "This is the last Admin. Make someone else Admin first.");
    }
    if (!self && role) WHARF_TRY(CheckNoEscalation(p, *role, "team.delete", ctx));
    WHARF_ASSIGN_OR_RETURN(bool deleted, tx.memberships().Delete(p.org_id, user_id));
    if (!deleted) return MemberNotFound();
    WHARF_TRY(AuditIn(tx, p, self ? "team.leave" : "team.delete", "team", std::string(user_id), ctx));
    WHARF_ASSIGN_OR_RETURN(auto u, tx.users().FindById(user_id));
    const std::string who = u ? u->email : std::string(user_id);
    return Notify(tx, p.org_id,
                  SecurityEvent(notify::EventKind::kMemberRemoved, who,
                                self ? who + " left the organisation."
                                     : p.user_email + " removed " + who + " from the organisation.",
                                "If this was not expected, invite the member again and review the audit log.", "/team"));
  }));
  cache_.Bump(p.org_id);
  return Ok();
}

Result<Page<domain::AuditEvent>> Team::ListAudit(const authz::Principal& p, int limit, std::string_view cursor,
                                                     const RequestContext& ctx) {
  WHARF_TRY(RequireAdmin(p, "audit.read", ctx));
  int64_t before = 0;
  if (!cursor.empty()) {
    WHARF_ASSIGN_OR_RETURN(auto q, DecodeCursor(cursor, limit));
    before = q.after_created_at;
  }
  Page<domain::AuditEvent> page;
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(page.items, tx.audit().List(p.org_id, before, limit));
    return Ok();
  }));
  if (static_cast<int>(page.items.size()) > limit) {
    page.items.resize(limit);
    page.next_cursor = EncodeCursor(page.items.back().id, "a");
  }
  return page;
}


Team::Team(Core& core)
    : Feature(core),
      invitations_per_org_(config_.invitations_per_org_per_hour, 3600'000, store_.shared_counters(), "invitations_org"),
      invitations_per_user_(config_.invitations_per_user_per_hour, 3600'000, store_.shared_counters(),
                            "invitations_user") {}

}  // namespace wharf::services
