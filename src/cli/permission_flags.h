// Turns the role flags of `wharf role create|edit` and `wharf token create` into the API's
// permission model (API.md, "Permission model on the wire").
//
//   PermissionFlags f{.allow = {"servers:cru", "team:r"}, .scope = {"servers=own"},
//                     .create_limit = {"servers=3"}};
//   WHARF_ASSIGN_OR_RETURN(nlohmann::json perms, BuildPermissions(f));
//   // {"servers": {"create": true, "read": true, "update": true, "delete": false,
//   //              "create_limit": 3, "read_scope": "own"}, "team": {...}}
//
// Collections are the API's names (`sshKeys`) or their URL paths (`ssh-keys`); `*` means every
// collection. Letters are any of c, r, u, d (or `crud`/`*`). Every error is a kValidationFailed
// naming the flag and the fix; the command line turns it into exit code 2. Pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.h"

namespace wharf::cli {

struct PermissionFlags {
  std::vector<std::string> allow;           // COLLECTION:LETTERS
  std::vector<std::string> scope;           // COLLECTION=own|all
  std::vector<std::string> create_limit;    // COLLECTION=N
  std::vector<std::string> resource_scope;  // applications|servers=ID[,ID...]
  bool any_permission() const { return !allow.empty() || !scope.empty() || !create_limit.empty(); }
};

// The API's collection name for a flag's spelling: "sshKeys", "ssh-keys" and "ssh_keys" all give
// "sshKeys". nullopt for an unknown name.
std::optional<std::string> CanonicalCollection(std::string_view name);

// The `permissions` object for --allow/--scope/--create-limit. A --scope or --create-limit for a
// collection that no --allow mentions is an error (it would grant nothing).
Result<nlohmann::json> BuildPermissions(const PermissionFlags& flags);

// The `resource_scope` object for --resource-scope, or null when none was given.
Result<nlohmann::json> BuildResourceScope(const std::vector<std::string>& specs);

// The role's permissions as letters per collection, for tables: {"servers", "cru", "3", "own"}.
struct PermissionRow {
  std::string collection, letters, create_limit, read_scope;
};
std::vector<PermissionRow> DescribePermissions(const nlohmann::json& permissions);

}  // namespace wharf::cli
