#include "domain/permissions.h"

#include <algorithm>

namespace wharf::domain {

namespace {
constexpr std::array<std::string_view, kCollectionCount> kNames = {
    "applications", "projects",  "services", "servers",    "templates",
    "roles",        "backups",   "securityGroups", "sshKeys", "cloudProviderAccounts",
    "dockerRegistries", "gitProviders", "backupStorage", "team", "notifications"};
constexpr std::array<std::string_view, kActionCount> kActionNames = {"create", "read", "update", "delete"};
}  // namespace

std::string_view CollectionName(Collection c) { return kNames[static_cast<size_t>(c)]; }

std::optional<Collection> ParseCollection(std::string_view name) {
  for (size_t i = 0; i < kCollectionCount; ++i)
    if (kNames[i] == name) return static_cast<Collection>(i);
  return std::nullopt;
}

std::string_view ActionName(Action a) { return kActionNames[static_cast<size_t>(a)]; }

std::optional<Action> ParseAction(std::string_view name) {
  for (size_t i = 0; i < kActionCount; ++i)
    if (kActionNames[i] == name) return static_cast<Action>(i);
  return std::nullopt;
}

std::string PermissionName(Collection c, Action a) {
  std::string out(CollectionName(c));
  out.push_back('.');
  out.append(ActionName(a));
  return out;
}

const std::array<Collection, kCollectionCount>& AllCollections() {
  static const auto all = [] {
    std::array<Collection, kCollectionCount> a{};
    for (size_t i = 0; i < kCollectionCount; ++i) a[i] = static_cast<Collection>(i);
    return a;
  }();
  return all;
}

Permissions Permissions::All() {
  Permissions p;
  for (auto& g : p.grants_) g = Grant{true, true, true, true, 0, ReadScope::kAll};
  return p;
}

std::optional<std::string> Permissions::FirstNotCoveredBy(const Permissions& holder) const {
  for (Collection c : AllCollections()) {
    const Grant& mine = (*this)[c];
    const Grant& theirs = holder[c];
    for (Action a : kAllActions)
      if (mine.Allows(a) && !theirs.Allows(a)) return PermissionName(c, a);
    if (mine.create && theirs.create_limit != 0 &&
        (mine.create_limit == 0 || mine.create_limit > theirs.create_limit))
      return PermissionName(c, Action::kCreate) + " (create_limit)";
    if (mine.Any() && theirs.read_scope == ReadScope::kOwn && mine.read_scope == ReadScope::kAll)
      return PermissionName(c, Action::kRead) + " (read_scope all)";
  }
  return std::nullopt;
}

Result<Permissions> ParsePermissions(const nlohmann::json& j, std::string_view field) {
  const std::string f(field);
  if (!j.is_object()) return FieldError(f, "must be an object keyed by collection name");
  Permissions p;
  for (auto& [key, value] : j.items()) {
    auto c = ParseCollection(key);
    const std::string kf = f + "." + key;
    if (!c) return FieldError(kf, "unknown collection; known collections are applications, projects, services, "
                                  "servers, templates, roles, backups, securityGroups, sshKeys, "
                                  "cloudProviderAccounts, dockerRegistries, gitProviders, backupStorage, team, notifications");
    if (!value.is_object()) return FieldError(kf, "must be an object like {\"read\": true}");
    Grant g;
    for (auto& [k, v] : value.items()) {
      const std::string vf = kf + "." + k;
      if (auto a = ParseAction(k)) {
        if (!v.is_boolean()) return FieldError(vf, "must be true or false");
        bool b = v.get<bool>();
        switch (*a) {
          case Action::kCreate: g.create = b; break;
          case Action::kRead: g.read = b; break;
          case Action::kUpdate: g.update = b; break;
          case Action::kDelete: g.del = b; break;
        }
      } else if (k == "create_limit") {
        if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<int64_t>() > 1'000'000)
          return FieldError(vf, "must be an integer from 0 (unlimited) to 1000000");
        g.create_limit = static_cast<uint32_t>(v.get<int64_t>());
      } else if (k == "read_scope") {
        if (v == "all") g.read_scope = ReadScope::kAll;
        else if (v == "own") g.read_scope = ReadScope::kOwn;
        else return FieldError(vf, "must be \"all\" or \"own\"");
      } else {
        return FieldError(vf, "unknown field; allowed: create, read, update, delete, create_limit, read_scope");
      }
    }
    p[*c] = g;
  }
  return p;
}

nlohmann::json PermissionsToJson(const Permissions& p) {
  nlohmann::json out = nlohmann::json::object();
  for (Collection c : AllCollections()) {
    const Grant& g = p[c];
    if (!g.Any() && g.create_limit == 0 && g.read_scope == ReadScope::kAll) continue;
    out[std::string(CollectionName(c))] = {{"create", g.create},
                                           {"read", g.read},
                                           {"update", g.update},
                                           {"delete", g.del},
                                           {"create_limit", g.create_limit},
                                           {"read_scope", g.read_scope == ReadScope::kOwn ? "own" : "all"}};
  }
  return out;
}

Result<ResourceScope> ParseResourceScope(const nlohmann::json& j, std::string_view field) {
  const std::string f(field);
  ResourceScope s;
  if (j.is_null()) return s;
  if (!j.is_object()) return FieldError(f, "must be an object like {\"applications\": [ids], \"servers\": [ids]}");
  for (auto& [k, v] : j.items()) {
    std::vector<std::string>* dst = nullptr;
    if (k == "applications") dst = &s.applications;
    else if (k == "servers") dst = &s.servers;
    else return FieldError(f + "." + k, "unknown key; allowed: applications, servers");
    if (!v.is_array()) return FieldError(f + "." + k, "must be an array of ids");
    if (v.size() > 1000) return FieldError(f + "." + k, "at most 1000 ids");
    for (auto& id : v) {
      if (!id.is_string() || id.get<std::string>().empty() || id.get<std::string>().size() > 64)
        return FieldError(f + "." + k, "each id must be a non-empty string of at most 64 characters");
      dst->push_back(id.get<std::string>());
    }
    std::sort(dst->begin(), dst->end());
    dst->erase(std::unique(dst->begin(), dst->end()), dst->end());
  }
  return s;
}

nlohmann::json ResourceScopeToJson(const ResourceScope& s) {
  if (s.empty()) return nullptr;
  return {{"applications", s.applications}, {"servers", s.servers}};
}

}  // namespace wharf::domain
