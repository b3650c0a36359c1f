// "Why can't Bob deploy?": the authorizer's decision for one member, explained in one line, or the
// member's whole permission matrix. Uses the same authz::Check every request uses, so the answer
// cannot drift from what the server enforces.
#include "services/roles.h"

namespace wharf::services {

using domain::Action;
using domain::Collection;

namespace {
// Where the troubleshooting page warns: new flows need `applications`, older ones `projects`.
std::string LegacyHint(const authz::Principal& who, Collection c, Action a) {
  auto other = c == Collection::kApplications ? Collection::kProjects
               : c == Collection::kProjects   ? Collection::kApplications
                                              : c;
  if (other == c) return {};
  if (!authz::Check(who, other, a, nullptr).allowed()) return {};
  return "The role grants " + domain::PermissionName(other, a) + " but not " + domain::PermissionName(c, a) + ": " +
         (c == Collection::kApplications ? "new flows use the applications permission; grant applications." +
                                               std::string(domain::ActionName(a)) + " as well."
                                         : "the legacy /projects pages use the projects permission; grant projects." +
                                               std::string(domain::ActionName(a)) + " as well.");
}
}  // namespace

Result<ExplainView> Roles::ExplainAccess(const authz::Principal& p, std::string_view user_id,
                                                     std::string_view collection, std::string_view action,
                                                     std::string_view resource_id, const RequestContext& ctx) {
  std::string target_id = user_id.empty() ? p.user_id : std::string(user_id);
  if (target_id != p.user_id) WHARF_TRY(RequireAdmin(p, "access.explain", ctx));
  std::optional<Collection> col;
  std::optional<Action> act;
  if (!collection.empty() || !action.empty()) {
    col = domain::ParseCollection(collection);
    if (!col) return FieldError("collection", "is not a collection; use one of the names in API.md, e.g. servers or sshKeys");
    act = domain::ParseAction(action);
    if (!act) return FieldError("action", "must be create, read, update or delete");
  }
  ExplainView v;
  authz::Principal who;
  std::optional<domain::Server> row;
  std::optional<domain::SecurityGroup> group;
  std::optional<domain::SshKey> key;
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto m, tx.memberships().Find(p.org_id, target_id));
    if (!m) return Err(ErrorCode::kNotFound, "That user is not a member of this organisation.");
    WHARF_ASSIGN_OR_RETURN(auto u, tx.users().FindById(target_id));
    if (!u) return Err(ErrorCode::kNotFound, "That user is not a member of this organisation.");
    WHARF_ASSIGN_OR_RETURN(auto role, tx.roles().Find(p.org_id, m->role_id));
    if (!role) return Internal("membership references a missing role");
    WHARF_ASSIGN_OR_RETURN(auto org, tx.orgs().FindById(p.org_id));
    v.user = *u;
    v.user.password_hash.clear();
    v.role_id = role->id;
    v.role_name = role->name;
    v.owner = org && org->owner_id == target_id;
    who.role = authz::Compile(*role);
    who.user_id = target_id;
    who.org_id = p.org_id;
    who.owner = v.owner;
    // Asking about yourself through an API token explains that token's view.
    if (target_id == p.user_id && p.via_api_token) {
      who.via_api_token = true;
      who.token_bits = p.token_bits;
      who.token_own_mask = p.token_own_mask;
    }
    authz::Bind(who);
    if (col && !resource_id.empty()) {
      if (*col == Collection::kServers) {
        WHARF_ASSIGN_OR_RETURN(row, tx.servers().Find(p.org_id, resource_id));
      } else if (*col == Collection::kSecurityGroups) {
        WHARF_ASSIGN_OR_RETURN(group, tx.security_groups().Find(p.org_id, resource_id));
      } else if (*col == Collection::kSshKeys) {
        WHARF_ASSIGN_OR_RETURN(key, tx.ssh_keys().Find(p.org_id, resource_id));
      }
    }
    return Ok();
  }));
  auto explain = [&](Collection c, Action a, const authz::Resource* r, int64_t used_for_limit) {
    Explanation e;
    e.collection = std::string(domain::CollectionName(c));
    e.action = std::string(domain::ActionName(a));
    e.permission = domain::PermissionName(c, a);
    const std::string name = v.user.name.empty() ? v.user.email : v.user.name;
    auto d = authz::Check(who, c, a, r);
    e.allowed = d.allowed();
    switch (d.outcome) {
      case authz::Outcome::kAllowed:
        e.reason = "allowed";
        e.message = name + "'s role '" + v.role_name + "' grants " + e.permission + ".";
        if (a == Action::kRead && authz::ReadsOwnOnly(who, c)) e.message += " Only rows they created are visible (read_scope: own).";
        if (uint32_t limit = authz::CreateLimit(who, c); a == Action::kCreate && limit) {
          e.message += " At most " + std::to_string(limit) + " (create_limit).";
          if (used_for_limit >= limit) {
            e.allowed = false;
            e.reason = "create_limit";
            e.message = name + " has created " + std::to_string(used_for_limit) + " of the " + std::to_string(limit) +
                        " " + e.collection + " their role '" + v.role_name + "' allows (create_limit).";
            e.hint = "Delete one, or ask an Admin to raise the role's create_limit.";
          }
        }
        break;
      case authz::Outcome::kMissingPermission:
        e.reason = "missing_permission";
        e.message = name + "'s role '" + v.role_name + "' does not grant " + e.permission + ".";
        e.hint = LegacyHint(who, c, a);
        if (e.hint.empty()) e.hint = "An Admin can grant it in Team → Roles → " + v.role_name + ".";
        break;
      case authz::Outcome::kTokenRestricted:
        e.reason = "token_restricted";
        e.message = "The role grants " + e.permission + ", but the API token in use does not carry it.";
        e.hint = "Create a token with " + e.permission + ", or sign in.";
        break;
      case authz::Outcome::kOutsideOwnScope:
        e.reason = "read_scope_own";
        e.message = "The role '" + v.role_name + "' reaches only " + e.collection +
                    " that " + name + " created (read_scope: own), and someone else created this one.";
        e.hint = "An Admin can set read_scope to all on the role.";
        break;
      case authz::Outcome::kOutsideResourceScope:
        e.reason = "resource_scope";
        e.message = "The role '" + v.role_name + "' is restricted to named " +
                    (c == Collection::kServers ? std::string("servers") : std::string("applications")) +
                    " (resource_scope), and this one is not among them.";
        e.hint = "An Admin can add it to the role's resource_scope.";
        break;
    }
    return e;
  };
  if (col) {
    authz::Resource r{};
    const authz::Resource* rp = nullptr;
    if (!resource_id.empty()) {
      if (row) r = authz::Resource{row->id, row->created_by, {}, row->id};
      else if (group) r = authz::Resource{group->id, group->created_by, {}, {}};
      else if (key) r = authz::Resource{key->id, key->created_by, {}, {}};
      else return FieldError("resource_id", "names no row of " + std::string(collection) + " in this organisation");
      rp = &r;
    }
    int64_t used = 0;
    if (*act == Action::kCreate && authz::CreateLimit(who, *col)) {
      WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
        if (*col == Collection::kServers) {
          WHARF_ASSIGN_OR_RETURN(used, tx.servers().CountCreatedBy(p.org_id, target_id));
        } else if (*col == Collection::kSshKeys) {
          WHARF_ASSIGN_OR_RETURN(used, tx.ssh_keys().CountCreatedBy(p.org_id, target_id));
        } else if (*col == Collection::kSecurityGroups) {
          WHARF_ASSIGN_OR_RETURN(used, tx.security_groups().CountCreatedBy(p.org_id, target_id));
        }
        return Ok();
      }));
    }
    v.items.push_back(explain(*col, *act, rp, used));
  } else {
    for (Collection c : domain::AllCollections())
      for (Action a : domain::kAllActions) v.items.push_back(explain(c, a, nullptr, 0));
  }
  return v;
}

}  // namespace wharf::services
