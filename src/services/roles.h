// An organisation's roles (built-in and custom: permissions, read scopes, resource scopes,
// create limits), with the no-escalation rule on every change, and the access explainer that
// says why a member may or may not do something.
//
//   auto role = svc.roles().CreateRole(p, {.name = "Deployer", .permissions = perms}, ctx);
//   auto why = svc.roles().ExplainAccess(p, user_id, "servers", "update", "", ctx);
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

namespace wharf::services {

struct RoleView {
  domain::Role role;
  std::vector<domain::User> members;
};

struct RoleInput {
  std::optional<std::string> name;
  std::optional<std::string> description;
  std::optional<domain::Permissions> permissions;
  std::optional<domain::ResourceScope> resource_scope;
};

struct Explanation {
  std::string collection, action, permission;  // "servers", "update", "servers.update"
  bool allowed = false;
  std::string reason;   // allowed, missing_permission, read_scope_own, resource_scope, create_limit, admin_only
  std::string message;  // one line: "Bob's role 'Viewer' does not grant servers.update."
  std::string hint;     // legacy projects/applications note, or who can change it
};

struct ExplainView {
  domain::User user;
  std::string role_id, role_name;
  bool owner = false;
  std::vector<Explanation> items;  // one, or the whole matrix
};

class Roles : public Feature {
 public:
  explicit Roles(Core& core);

  Result<std::vector<RoleView>> ListRoles(const authz::Principal& p, const RequestContext& ctx);
  Result<RoleView> GetRole(const authz::Principal& p, std::string_view id, const RequestContext& ctx);
  Result<RoleView> CreateRole(const authz::Principal& p, RoleInput in, const RequestContext& ctx);
  Result<RoleView> UpdateRole(const authz::Principal& p, std::string_view id, RoleInput in, const RequestContext& ctx);
  Status DeleteRole(const authz::Principal& p, std::string_view id, std::optional<std::string> reassign_to,
                    const RequestContext& ctx);
  // Admins may ask about anyone in the org; others only about themselves. With `collection` and
  // `action`, one answer (with `resource_id`, the row's own scope rules too); without them, the
  // member's whole matrix.
  Result<ExplainView> ExplainAccess(const authz::Principal& p, std::string_view user_id, std::string_view collection,
                                    std::string_view action, std::string_view resource_id, const RequestContext& ctx);

 private:
  Result<RoleView> LoadRoleView(store::Tx& tx, const domain::Role& r);
};

}  // namespace wharf::services
