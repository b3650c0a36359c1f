// Collections, actions and the permission model of a role (API.md, "Permission model on the wire").
//
//   WHARF_ASSIGN_OR_RETURN(Permissions p, ParsePermissions(body["permissions"], "permissions"));
//   bool can = p[Collection::kServers].Allows(Action::kUpdate);
//   std::string name = PermissionName(Collection::kServers, Action::kUpdate);  // "servers.update"
//
// Plain values; no I/O; thread-compatible.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.h"

namespace wharf::domain {

enum class Collection : uint8_t {
  kApplications,
  kProjects,
  kServices,
  kServers,
  kTemplates,
  kRoles,
  kBackups,
  kSecurityGroups,
  kSshKeys,
  kCloudProviderAccounts,
  kDockerRegistries,
  kGitProviders,
  kBackupStorage,
  kTeam,
  kNotifications,
};
inline constexpr size_t kCollectionCount = 15;

enum class Action : uint8_t { kCreate, kRead, kUpdate, kDelete };
inline constexpr size_t kActionCount = 4;

enum class ReadScope : uint8_t { kAll, kOwn };

std::string_view CollectionName(Collection c);  // "sshKeys"
std::optional<Collection> ParseCollection(std::string_view name);
std::string_view ActionName(Action a);  // "update"
std::optional<Action> ParseAction(std::string_view name);
std::string PermissionName(Collection c, Action a);  // "servers.update"
const std::array<Collection, kCollectionCount>& AllCollections();
inline constexpr std::array<Action, kActionCount> kAllActions = {Action::kCreate, Action::kRead,
                                                                  Action::kUpdate, Action::kDelete};

// What a role grants on one collection.
struct Grant {
  bool create = false, read = false, update = false, del = false;
  uint32_t create_limit = 0;  // 0 = unlimited; counts rows this user created in the org.
  ReadScope read_scope = ReadScope::kAll;

  bool Allows(Action a) const {
    switch (a) {
      case Action::kCreate: return create;
      case Action::kRead: return read;
      case Action::kUpdate: return update;
      case Action::kDelete: return del;
    }
    return false;
  }
  bool Any() const { return create || read || update || del; }
  bool operator==(const Grant&) const = default;
};

// A role's full permission set: one Grant per collection. Missing collection = no access.
class Permissions {
 public:
  const Grant& operator[](Collection c) const { return grants_[static_cast<size_t>(c)]; }
  Grant& operator[](Collection c) { return grants_[static_cast<size_t>(c)]; }
  static Permissions All();  // Every action on every collection, unlimited, read_scope all.
  bool operator==(const Permissions&) const = default;

  // First permission in `this` that `holder` does not have, or nullopt when `this` is a subset.
  // A grant is covered when each action is held, the holder's create_limit is 0 or not above
  // ours (with ours non-zero), and the holder's read_scope is `all` or ours is `own`.
  std::optional<std::string> FirstNotCoveredBy(const Permissions& holder) const;

 private:
  std::array<Grant, kCollectionCount> grants_{};
};

// Parses the wire form; field paths in errors are prefixed with `field` ("permissions.servers.read").
Result<Permissions> ParsePermissions(const nlohmann::json& j, std::string_view field);
nlohmann::json PermissionsToJson(const Permissions& p);

// Restricts a role's permissions on applications (and their children) and servers to named rows.
struct ResourceScope {
  std::vector<std::string> applications;  // sorted, unique
  std::vector<std::string> servers;       // sorted, unique
  bool empty() const { return applications.empty() && servers.empty(); }
  bool operator==(const ResourceScope&) const = default;
};
Result<ResourceScope> ParseResourceScope(const nlohmann::json& j, std::string_view field);
nlohmann::json ResourceScopeToJson(const ResourceScope& s);  // null when empty

}  // namespace wharf::domain
