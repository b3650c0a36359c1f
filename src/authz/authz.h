// The authorization decision engine: principal × collection × action × resource → Decision.
//
// A role compiles once into a CompiledRole (a bitset of collections × actions plus limits and
// scopes). A Principal is resolved once per request by the api layer and passed to every use case.
// Check() does no I/O, takes no lock and allocates nothing: a few loads and compares.
//
//   auto role = authz::Compile(domain_role);                  // once per role version
//   authz::Principal p{.user_id = u, .org_id = o, .role = role};
//   authz::Resource r{.id = key.id, .created_by = key.created_by};
//   if (auto d = authz::Check(p, Collection::kSshKeys, Action::kDelete, &r); !d.allowed()) …
//
// Thread-safety: CompiledRole and Principal are immutable after construction and may be shared.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "domain/permissions.h"
#include "domain/types.h"

namespace wharf::authz {

using domain::Action;
using domain::Collection;

// One bit per (collection, action): bit = collection * 4 + action.
using PermissionBits = uint64_t;
static_assert(domain::kCollectionCount * domain::kActionCount <= 64);

constexpr PermissionBits Bit(Collection c, Action a) {
  return PermissionBits{1} << (static_cast<unsigned>(c) * 4 + static_cast<unsigned>(a));
}
PermissionBits ToBits(const domain::Permissions& p);

struct CompiledRole {
  // Hot fields first: Check() reads only these (one cache line).
  bool admin = false;
  bool scoped = false;  // resource_scope is not empty
  uint32_t own_mask = 0;  // collections with read_scope "own" (bit = collection index)
  PermissionBits bits = 0;
  std::string role_id;
  std::string role_name;
  std::array<uint32_t, domain::kCollectionCount> create_limit{};
  domain::Permissions permissions;  // the source form, for explanations and escalation checks
  domain::ResourceScope resource_scope;
};

// Compiles a role. The Admin role (builtin) passes every check.
std::shared_ptr<const CompiledRole> Compile(const domain::Role& role);

// Who is asking, resolved once per request.
struct Principal {
  // Hot fields, derived by Bind() from role and token: Check() reads only these on the allow path
  // (one cache line), plus user_id for "own" scopes.
  PermissionBits effective_bits = 0;  // role ∩ token (all bits for Admin unless the token narrows)
  uint32_t effective_own_mask = 0;    // role's own scopes ∪ token's
  bool scoped = false;                // the role has a resource_scope
  std::shared_ptr<const CompiledRole> role;
  // API token restriction: the token's own permissions (all bits when the token is unrestricted or
  // the request uses a session). A check needs the bit in both the role and the token.
  PermissionBits token_bits = ~PermissionBits{0};
  uint32_t token_own_mask = 0;
  bool via_api_token = false;
  bool owner = false;
  bool instance_admin = false;
  std::string user_id;
  std::string user_email;
  std::string org_id;
  std::string org_slug;
  std::string token_id;  // the API token's id when via_api_token
};

// The row a check is about. Empty fields are "not applicable".
struct Resource {
  std::string_view id;              // the row's own id
  std::string_view created_by;      // for read_scope "own"
  std::string_view application_id;  // parent application (services, backups, deployments)
  std::string_view server_id;       // the row's server
};

enum class Outcome : uint8_t {
  kAllowed,
  kMissingPermission,     // → 403 forbidden, details.permission
  kTokenRestricted,       // → 403 forbidden: the API token does not carry the permission
  kOutsideOwnScope,       // → 404: read_scope "own" and the row was created by someone else
  kOutsideResourceScope,  // → 403 reason resource_scope: the role is restricted to other applications/servers
};

struct Decision {
  Outcome outcome = Outcome::kMissingPermission;
  Collection collection = Collection::kApplications;
  Action action = Action::kRead;
  bool allowed() const { return outcome == Outcome::kAllowed; }
};

// Derives the hot fields of `p` from p.role, p.token_bits and p.token_own_mask. Call after
// setting them and before Check().
void Bind(Principal& p);

// Decides one action. `resource` is null for collection-level actions (list, create without a
// parent). Never allocates.
Decision Check(const Principal& p, Collection c, Action a, const Resource* resource = nullptr) noexcept;

// The create limit that applies to the principal on `c` (0 = unlimited).
uint32_t CreateLimit(const Principal& p, Collection c) noexcept;
// True when lists of `c` must be filtered to rows the principal created.
bool ReadsOwnOnly(const Principal& p, Collection c) noexcept;
// The effective permissions (role ∩ token), for GET /me and explanations.
domain::Permissions EffectivePermissions(const Principal& p);
// A one-line human explanation of a decision ("role Viewer lacks servers.update").
std::string Explain(const Principal& p, const Decision& d);

}  // namespace wharf::authz
