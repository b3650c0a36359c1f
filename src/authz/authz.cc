#include "authz/authz.h"

#include <algorithm>

namespace wharf::authz {

namespace {

constexpr uint32_t CBit(Collection c) { return uint32_t{1} << static_cast<unsigned>(c); }

bool InSorted(const std::vector<std::string>& v, std::string_view id) {
  auto it = std::lower_bound(v.begin(), v.end(), id, [](const std::string& a, std::string_view b) { return a < b; });
  return it != v.end() && *it == id;
}

// Resource scope: which list restricts which collection, and which resource field is matched.
bool ResourceScopeAllows(const CompiledRole& role, Collection c, const Resource* r) {
  const auto& scope = role.resource_scope;
  switch (c) {
    case Collection::kApplications:
    case Collection::kProjects:
      if (scope.applications.empty()) return true;
      return r && !r->id.empty() && InSorted(scope.applications, r->id);
    case Collection::kServices:
    case Collection::kBackups:
      if (scope.applications.empty()) return true;
      return r && !r->application_id.empty() && InSorted(scope.applications, r->application_id);
    case Collection::kServers:
      if (scope.servers.empty()) return true;
      return r && !r->id.empty() && InSorted(scope.servers, r->id);
    default:
      return true;
  }
}

}  // namespace

PermissionBits ToBits(const domain::Permissions& p) {
  PermissionBits bits = 0;
  for (Collection c : domain::AllCollections())
    for (Action a : domain::kAllActions)
      if (p[c].Allows(a)) bits |= Bit(c, a);
  return bits;
}

std::shared_ptr<const CompiledRole> Compile(const domain::Role& role) {
  auto out = std::make_shared<CompiledRole>();
  out->role_id = role.id;
  out->role_name = role.name;
  out->admin = role.builtin;
  out->permissions = role.builtin ? domain::Permissions::All() : role.permissions;
  out->resource_scope = role.builtin ? domain::ResourceScope{} : role.resource_scope;
  out->bits = ToBits(out->permissions);
  out->scoped = !out->resource_scope.empty();
  for (Collection c : domain::AllCollections()) {
    const auto& g = out->permissions[c];
    if (g.read_scope == domain::ReadScope::kOwn) out->own_mask |= CBit(c);
    out->create_limit[static_cast<size_t>(c)] = g.create_limit;
  }
  return out;
}

void Bind(Principal& p) {
  if (!p.role) {
    p.effective_bits = 0;
    p.effective_own_mask = 0;
    p.scoped = false;
    return;
  }
  const PermissionBits role_bits = p.role->admin ? ~PermissionBits{0} : p.role->bits;
  p.effective_bits = role_bits & p.token_bits;
  p.effective_own_mask = (p.role->admin ? 0 : p.role->own_mask) | p.token_own_mask;
  p.scoped = p.role->scoped;
}

Decision Check(const Principal& p, Collection c, Action a, const Resource* resource) noexcept {
  Decision d{Outcome::kAllowed, c, a};
  const PermissionBits bit = Bit(c, a);
  if ((p.effective_bits & bit) == 0) [[unlikely]] {
    const bool role_has = p.role && (p.role->admin || (p.role->bits & bit));
    d.outcome = role_has ? Outcome::kTokenRestricted : Outcome::kMissingPermission;
    return d;
  }
  if (resource != nullptr && (p.effective_own_mask & CBit(c)) && !resource->id.empty() &&
      resource->created_by != p.user_id) {
    d.outcome = Outcome::kOutsideOwnScope;
    return d;
  }
  if (p.scoped && !ResourceScopeAllows(*p.role, c, resource)) [[unlikely]] {
    // A list (read without a resource) is allowed; the rows are filtered one by one.
    if (!(resource == nullptr && a == Action::kRead)) d.outcome = Outcome::kOutsideResourceScope;
  }
  return d;
}

uint32_t CreateLimit(const Principal& p, Collection c) noexcept {
  if (!p.role || p.role->admin) return 0;
  return p.role->create_limit[static_cast<size_t>(c)];
}

bool ReadsOwnOnly(const Principal& p, Collection c) noexcept { return (p.effective_own_mask & CBit(c)) != 0; }

domain::Permissions EffectivePermissions(const Principal& p) {
  domain::Permissions out;
  if (!p.role) return out;
  for (Collection c : domain::AllCollections()) {
    domain::Grant g = p.role->permissions[c];
    g.create = g.create && (p.token_bits & Bit(c, Action::kCreate));
    g.read = g.read && (p.token_bits & Bit(c, Action::kRead));
    g.update = g.update && (p.token_bits & Bit(c, Action::kUpdate));
    g.del = g.del && (p.token_bits & Bit(c, Action::kDelete));
    if (p.token_own_mask & CBit(c)) g.read_scope = domain::ReadScope::kOwn;
    out[c] = g;
  }
  return out;
}

std::string Explain(const Principal& p, const Decision& d) {
  const std::string perm = domain::PermissionName(d.collection, d.action);
  const std::string role = p.role ? p.role->role_name : std::string("(none)");
  switch (d.outcome) {
    case Outcome::kAllowed:
      return "allowed: role " + role + " grants " + perm;
    case Outcome::kMissingPermission:
      return "denied: role " + role + " does not grant " + perm;
    case Outcome::kTokenRestricted:
      return "denied: the API token used does not carry " + perm + " (its owner's role " + role + " may)";
    case Outcome::kOutsideOwnScope:
      return "denied: role " + role + " has read_scope \"own\" on " + std::string(domain::CollectionName(d.collection)) +
             " and this row was created by someone else";
    case Outcome::kOutsideResourceScope:
      return "denied: role " + role + " is restricted by resource_scope to other applications or servers";
  }
  return "denied";
}

}  // namespace wharf::authz
