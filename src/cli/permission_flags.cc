#include "cli/permission_flags.h"

#include <charconv>

#include "base/strings.h"
#include "domain/permissions.h"

namespace wharf::cli {

using nlohmann::json;

namespace {

// URL path spellings (API.md collection table) for each collection name.
struct Alias {
  const char* path;
  const char* name;
};
constexpr Alias kAliases[] = {
    {"security-groups", "securityGroups"}, {"ssh-keys", "sshKeys"},
    {"cloud-accounts", "cloudProviderAccounts"}, {"docker-registries", "dockerRegistries"},
    {"git-providers", "gitProviders"}, {"backup-storage", "backupStorage"},
    {"members", "team"}, {"invitations", "team"},
};

std::string CollectionList() {
  std::string s;
  for (auto c : domain::AllCollections()) s += (s.empty() ? "" : ", ") + std::string(domain::CollectionName(c));
  return s;
}

Result<std::vector<std::string>> Collections(std::string_view spelled, std::string_view flag) {
  if (spelled == "*" || spelled == "all") {
    std::vector<std::string> all;
    for (auto c : domain::AllCollections()) all.emplace_back(domain::CollectionName(c));
    return all;
  }
  auto c = CanonicalCollection(spelled);
  if (!c)
    return FieldError(flag, "names an unknown collection '" + std::string(spelled) + "'; use one of " +
                                CollectionList() + " (or * for all)");
  return std::vector<std::string>{*c};
}

// Splits "key<sep>value", both non-empty.
Result<std::pair<std::string, std::string>> SplitSpec(std::string_view spec, char sep, std::string_view flag,
                                                      std::string_view example) {
  auto p = spec.find(sep);
  if (p == std::string_view::npos || p == 0 || p + 1 == spec.size())
    return FieldError(flag, "'" + std::string(spec) + "' is not of the form " + std::string(example));
  return std::make_pair(std::string(Trim(spec.substr(0, p))), std::string(Trim(spec.substr(p + 1))));
}

}  // namespace

std::optional<std::string> CanonicalCollection(std::string_view name) {
  if (auto c = domain::ParseCollection(name)) return std::string(domain::CollectionName(*c));
  std::string dashed(name);
  for (char& ch : dashed)
    if (ch == '_') ch = '-';
  dashed = ToLower(dashed);
  for (const auto& a : kAliases)
    if (dashed == a.path) return std::string(a.name);
  for (auto c : domain::AllCollections())
    if (ToLower(domain::CollectionName(c)) == dashed) return std::string(domain::CollectionName(c));
  return std::nullopt;
}

Result<json> BuildPermissions(const PermissionFlags& flags) {
  json perms = json::object();
  for (const auto& spec : flags.allow) {
    WHARF_ASSIGN_OR_RETURN(auto kv, SplitSpec(spec, ':', "allow", "COLLECTION:LETTERS, e.g. servers:cru"));
    WHARF_ASSIGN_OR_RETURN(auto cols, Collections(kv.first, "allow"));
    bool c = false, r = false, u = false, d = false;
    std::string letters = ToLower(kv.second);
    if (letters == "*" || letters == "all") letters = "crud";
    for (char ch : letters) {
      switch (ch) {
        case 'c': c = true; break;
        case 'r': r = true; break;
        case 'u': u = true; break;
        case 'd': d = true; break;
        default:
          return FieldError("allow", "'" + spec + "' has the letter '" + std::string(1, ch) +
                                         "'; use c (create), r (read), u (update) and d (delete)");
      }
    }
    for (const auto& col : cols) {
      json& g = perms[col];
      if (!g.is_object()) g = {{"create", false}, {"read", false}, {"update", false}, {"delete", false}};
      g["create"] = g["create"].get<bool>() || c;
      g["read"] = g["read"].get<bool>() || r;
      g["update"] = g["update"].get<bool>() || u;
      g["delete"] = g["delete"].get<bool>() || d;
    }
  }
  for (const auto& spec : flags.scope) {
    WHARF_ASSIGN_OR_RETURN(auto kv, SplitSpec(spec, '=', "scope", "COLLECTION=own|all, e.g. servers=own"));
    WHARF_ASSIGN_OR_RETURN(auto cols, Collections(kv.first, "scope"));
    std::string v = ToLower(kv.second);
    if (v != "own" && v != "all") return FieldError("scope", "'" + spec + "' must end in =own or =all");
    for (const auto& col : cols) {
      if (!perms.contains(col)) {
        if (kv.first == "*" || kv.first == "all") continue;
        return FieldError("scope", "'" + spec + "' scopes " + col + ", which no --allow grants; add --allow " +
                                       col + ":r");
      }
      perms[col]["read_scope"] = v;
    }
  }
  for (const auto& spec : flags.create_limit) {
    WHARF_ASSIGN_OR_RETURN(auto kv, SplitSpec(spec, '=', "create-limit", "COLLECTION=N, e.g. servers=3"));
    WHARF_ASSIGN_OR_RETURN(auto cols, Collections(kv.first, "create-limit"));
    uint32_t n = 0;
    auto [p, ec] = std::from_chars(kv.second.data(), kv.second.data() + kv.second.size(), n);
    if (ec != std::errc() || p != kv.second.data() + kv.second.size())
      return FieldError("create-limit", "'" + spec + "' must end in a whole number (0 = unlimited)");
    for (const auto& col : cols) {
      if (!perms.contains(col) || !perms[col]["create"].get<bool>()) {
        if (kv.first == "*" || kv.first == "all") continue;
        return FieldError("create-limit", "'" + spec + "' limits creating " + col +
                                              ", which no --allow grants; add c to --allow " + col + ":…");
      }
      perms[col]["create_limit"] = n;
    }
  }
  // The domain parser is the authority on the wire form; run it so a bad combination fails here.
  if (auto parsed = domain::ParsePermissions(perms, "permissions"); !parsed) return Err(parsed.error());
  return perms;
}

Result<json> BuildResourceScope(const std::vector<std::string>& specs) {
  if (specs.empty()) return json(nullptr);
  json scope = json::object();
  for (const auto& spec : specs) {
    WHARF_ASSIGN_OR_RETURN(auto kv, SplitSpec(spec, '=', "resource-scope", "applications=ID[,ID] or servers=ID[,ID]"));
    std::string col = ToLower(kv.first);
    if (col != "applications" && col != "servers")
      return FieldError("resource-scope", "'" + spec + "' must start with applications= or servers=");
    if (!scope.contains(col)) scope[col] = json::array();
    for (auto id : Split(kv.second, ',')) {
      id = Trim(id);
      if (id.empty()) return FieldError("resource-scope", "'" + spec + "' has an empty id");
      scope[col].push_back(std::string(id));
    }
  }
  if (auto parsed = domain::ParseResourceScope(scope, "resource_scope"); !parsed) return Err(parsed.error());
  return scope;
}

std::vector<PermissionRow> DescribePermissions(const json& permissions) {
  std::vector<PermissionRow> rows;
  if (!permissions.is_object()) return rows;
  for (auto c : domain::AllCollections()) {
    std::string name(domain::CollectionName(c));
    if (!permissions.contains(name)) continue;
    const json& g = permissions[name];
    auto on = [&](const char* k) { return g.contains(k) && g[k].is_boolean() && g[k].get<bool>(); };
    std::string letters;
    if (on("create")) letters += 'c';
    if (on("read")) letters += 'r';
    if (on("update")) letters += 'u';
    if (on("delete")) letters += 'd';
    if (letters.empty()) continue;
    std::string limit = g.contains("create_limit") && g["create_limit"].is_number() && g["create_limit"].get<int64_t>() > 0
                            ? std::to_string(g["create_limit"].get<int64_t>())
                            : "";
    std::string scope = g.contains("read_scope") && g["read_scope"].is_string() ? g["read_scope"].get<std::string>() : "all";
    rows.push_back({name, letters, limit, scope});
  }
  return rows;
}

}  // namespace wharf::cli
