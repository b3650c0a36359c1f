// Roles and members.
#include "base/strings.h"
#include "domain/validate.h"
#include "services/roles.h"

namespace wharf::services {

using domain::Action;
using domain::Collection;

namespace {
tl::unexpected<Error> RoleNotFound() { return Err(ErrorCode::kNotFound, "Role not found in this organisation."); }
// A role's description is optional: empty (what `role get -o json` prints for a role without
// one) is accepted back as "none"; otherwise it follows the name rules, up to 500 characters.
Result<std::string> RoleDescription(std::string_view description) {
  if (Trim(description).empty()) return std::string();
  return domain::ValidateName(description, "description", 500);
}

// Every pending invitation of the org that offers the role `role_id` (pages through them all).
Result<std::vector<domain::Invitation>> PendingInvitationsWithRole(store::Tx& tx, std::string_view org_id,
                                                                    std::string_view role_id, Timestamp now) {
  std::vector<domain::Invitation> out;
  store::PageQuery q;
  q.limit = 200;
  for (;;) {
    WHARF_ASSIGN_OR_RETURN(auto rows, tx.invitations().ListPending(org_id, now, q));
    const bool more = static_cast<int>(rows.size()) > q.limit;
    if (more) rows.resize(q.limit);
    for (auto& inv : rows)
      if (inv.role_id == role_id) out.push_back(inv);
    if (!more || rows.empty()) return out;
    q.after_created_at = rows.back().created_at;
    q.after_id = rows.back().id;
  }
}

}  // namespace


Result<RoleView> Roles::LoadRoleView(store::Tx& tx, const domain::Role& r) {
  RoleView v{r, {}};
  WHARF_ASSIGN_OR_RETURN(auto rows, tx.memberships().ListByRole(r.org_id, r.id));
  for (auto& row : rows) v.members.push_back(std::move(row.user));
  return v;
}

Result<std::vector<RoleView>> Roles::ListRoles(const authz::Principal& p, const RequestContext& ctx) {
  WHARF_TRY(Authorize(p, Collection::kRoles, Action::kRead, nullptr, ctx));
  std::vector<RoleView> out;
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto roles, tx.roles().List(p.org_id));
    for (auto& r : roles) {
      WHARF_ASSIGN_OR_RETURN(auto v, LoadRoleView(tx, r));
      out.push_back(std::move(v));
    }
    return Ok();
  }));
  return out;
}

Result<RoleView> Roles::GetRole(const authz::Principal& p, std::string_view id, const RequestContext& ctx) {
  WHARF_TRY(Authorize(p, Collection::kRoles, Action::kRead, nullptr, ctx, id));
  RoleView v;
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto r, tx.roles().Find(p.org_id, id));
    if (!r) return RoleNotFound();
    WHARF_ASSIGN_OR_RETURN(v, LoadRoleView(tx, *r));
    return Ok();
  }));
  return v;
}

Result<RoleView> Roles::CreateRole(const authz::Principal& p, RoleInput in, const RequestContext& ctx) {
  WHARF_TRY(Authorize(p, Collection::kRoles, Action::kCreate, nullptr, ctx));
  if (!in.name) return FieldError("name", "is required");
  if (!in.permissions) return FieldError("permissions", "is required (an object keyed by collection name)");
  domain::Role r;
  WHARF_ASSIGN_OR_RETURN(r.name, domain::ValidateName(*in.name, "name", 64));
  if (in.description) {
    WHARF_ASSIGN_OR_RETURN(r.description, RoleDescription(*in.description));
  }
  if (ToLower(r.name) == "admin")
    return Err(ErrorCode::kConflict, "'Admin' is the built-in role's name. Choose another name.");
  r.id = ids_.New("rol");
  r.org_id = p.org_id;
  r.permissions = *in.permissions;
  if (in.resource_scope) r.resource_scope = *in.resource_scope;
  r.created_at = r.updated_at = clock_.Now();
  r.created_by = p.user_id;
  WHARF_TRY(CheckNoEscalation(p, r, "roles.create", ctx));
  RoleView v;
  WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
    if (uint32_t limit = authz::CreateLimit(p, Collection::kRoles)) {
      WHARF_ASSIGN_OR_RETURN(auto roles, tx.roles().List(p.org_id));
      int64_t used = 0;
      for (auto& x : roles) used += x.created_by == p.user_id;
      if (used >= limit) {
        auto e = Err(ErrorCode::kLimitReached, "Your role may create at most " + std::to_string(limit) + " roles.",
                     Layer::kPermissions);
        e.value().details = {{"limit", limit}, {"used", used}, {"permission", "roles.create"}};
        return e;
      }
    }
    WHARF_TRY(tx.roles().Insert(r));
    WHARF_TRY(AuditIn(tx, p, "roles.create", "roles", r.id, ctx, r.name));
    v = RoleView{r, {}};
    return Ok();
  }));
  return v;
}

Result<RoleView> Roles::UpdateRole(const authz::Principal& p, std::string_view id, RoleInput in,
                                      const RequestContext& ctx) {
  WHARF_TRY(Authorize(p, Collection::kRoles, Action::kUpdate, nullptr, ctx, id));
  std::optional<domain::Role> current;
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(current, tx.roles().Find(p.org_id, id));
    return Ok();
  }));
  if (!current) return RoleNotFound();
  if (current->builtin) return Err(ErrorCode::kConflict, "The built-in Admin role cannot be changed.");
  domain::Role r = *current;
  if (in.name) {
    WHARF_ASSIGN_OR_RETURN(r.name, domain::ValidateName(*in.name, "name", 64));
    if (ToLower(r.name) == "admin")
      return Err(ErrorCode::kConflict, "'Admin' is the built-in role's name. Choose another name.");
  }
  if (in.description) {
    WHARF_ASSIGN_OR_RETURN(r.description, RoleDescription(*in.description));
  }
  if (in.permissions) r.permissions = *in.permissions;
  if (in.resource_scope) r.resource_scope = *in.resource_scope;
  r.updated_at = clock_.Now();
  // Both the role as it is (so a non-Admin cannot edit a role above them) and as it will be.
  WHARF_TRY(CheckNoEscalation(p, *current, "roles.update", ctx));
  WHARF_TRY(CheckNoEscalation(p, r, "roles.update", ctx));
  RoleView v;
  WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto again, tx.roles().Find(p.org_id, id));
    if (!again) return RoleNotFound();
    WHARF_TRY(tx.roles().Update(r));
    WHARF_TRY(AuditIn(tx, p, "roles.update", "roles", r.id, ctx, r.name));
    WHARF_ASSIGN_OR_RETURN(v, LoadRoleView(tx, r));
    return Ok();
  }));
  cache_.Bump(p.org_id);
  return v;
}

Status Roles::DeleteRole(const authz::Principal& p, std::string_view id, std::optional<std::string> reassign_to,
                            const RequestContext& ctx) {
  WHARF_TRY(Authorize(p, Collection::kRoles, Action::kDelete, nullptr, ctx, id));
  WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto r, tx.roles().Find(p.org_id, id));
    if (!r) return RoleNotFound();
    if (r->builtin) return Err(ErrorCode::kConflict, "The built-in Admin role cannot be deleted.");
    WHARF_TRY(CheckNoEscalation(p, *r, "roles.delete", ctx));
    WHARF_ASSIGN_OR_RETURN(int64_t held, tx.memberships().CountByRole(p.org_id, id));
    WHARF_ASSIGN_OR_RETURN(auto invited, PendingInvitationsWithRole(tx, p.org_id, id, clock_.Now()));
    if (held > 0 || !invited.empty()) {
      if (!reassign_to) {
        const int64_t pending = static_cast<int64_t>(invited.size());
        auto e = Err(ErrorCode::kConflict,
                     std::to_string(held) + " member(s) hold this role and " + std::to_string(pending) +
                         " pending invitation(s) offer it. Pass ?reassign_to=<role id> to move them to "
                         "another role, or revoke the invitations, then delete it.");
        e.value().details = {{"member_count", held}, {"invitation_count", pending}};
        return e;
      }
      if (*reassign_to == id) return FieldError("reassign_to", "must be a different role than the one being deleted");
      WHARF_ASSIGN_OR_RETURN(auto target, tx.roles().Find(p.org_id, *reassign_to));
      if (!target) return FieldError("reassign_to", "is not a role of this organisation");
      WHARF_TRY(CheckNoEscalation(p, *target, "roles.delete", ctx));
      WHARF_TRY(tx.memberships().ReassignRole(p.org_id, id, target->id));
      for (auto& inv : invited) {
        inv.role_id = target->id;
        inv.updated_at = clock_.Now();
        WHARF_TRY(tx.invitations().Update(inv));
      }
    }
    WHARF_ASSIGN_OR_RETURN(bool deleted, tx.roles().Delete(p.org_id, id));
    if (!deleted) return RoleNotFound();
    return AuditIn(tx, p, "roles.delete", "roles", std::string(id), ctx, r->name);
  }));
  cache_.Bump(p.org_id);
  return Ok();
}


Roles::Roles(Core& core) : Feature(core) {}

}  // namespace wharf::services
