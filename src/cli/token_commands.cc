// wharf token list | create | revoke: personal API tokens for scripts and CI.
#include "cli/command.h"
#include "cli/permission_flags.h"

namespace wharf::cli {

using nlohmann::json;

namespace {

struct TokenFlags {
  std::string name, ref;
  int expires_in_days = 0;
  PermissionFlags perms;
};

Status TokenList(Env& env) {
  WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
  WHARF_ASSIGN_OR_RETURN(auto items, api->ListAll("/api/v1/me/tokens"));
  Table t{{"NAME", "ORG", "PERMISSIONS", "EXPIRES", "LAST USED", "ID"}, {}};
  for (const json& k : items) {
    std::string perms = "as my role";
    if (k.contains("permissions") && k["permissions"].is_object()) {
      perms.clear();
      for (const auto& row : DescribePermissions(k["permissions"]))
        perms += (perms.empty() ? "" : " ") + row.collection + ":" + row.letters;
      if (perms.empty()) perms = "none";
    }
    t.rows.push_back({k.value("name", ""), k.value("org", ""), perms, Cell(k.value("expires_at", json())),
                      Cell(k.value("last_used_at", json())), k.value("id", "")});
  }
  env.Print(items, t, "No API tokens. Create one with `wharf token create NAME`.");
  return Ok();
}

Status TokenCreate(Env& env, const TokenFlags& f) {
  WHARF_ASSIGN_OR_RETURN(std::string org, env.org());
  json body = {{"name", f.name}, {"org", org}};
  if (f.perms.any_permission()) {
    auto perms = BuildPermissions(f.perms);
    if (!perms) return UsageError("--" + perms.error().details["fields"].begin().key() + ": " +
                                  perms.error().details["fields"].begin().value().get<std::string>());
    body["permissions"] = *perms;
  }
  if (f.expires_in_days > 0) body["expires_in_days"] = f.expires_in_days;
  WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
  WHARF_ASSIGN_OR_RETURN(json t, api->Post("/api/v1/me/tokens", body));
  if (env.format() != Format::kTable) {
    env.Print(t, {});
    return Ok();
  }
  // The token alone goes to stdout, so TOKEN=$(wharf token create ci) captures just it.
  env.err() << "Created API token " << t.value("name", "") << " (" << t.value("id", "") << ") for org " << org
            << ". It is shown only now; store it somewhere safe.\n";
  env.out() << t.value("token", "") << "\n";
  return Ok();
}

Status TokenRevoke(Env& env, const std::string& ref) {
  WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
  WHARF_ASSIGN_OR_RETURN(auto items, api->ListAll("/api/v1/me/tokens"));
  WHARF_ASSIGN_OR_RETURN(json t, FindRow(items, ref, "/id", "/name", "API token", "wharf token list"));
  WHARF_TRY(api->Delete("/api/v1/me/tokens/" + EncodeComponent(t["id"].get<std::string>())));
  env.Done(json{{"revoked", t["id"]}}, "Revoked API token " + t.value("name", "") + ".");
  return Ok();
}

}  // namespace

void AddTokenCommands(Registry& r) {
  CLI::App* g = r.Group("token", "Personal API tokens (for scripts and CI), each scoped to one org",
                        "TOKEN=$(wharf token create ci --org acme --allow services:ru)");
  r.Command(g, "list", "List your API tokens (never their values)", "wharf token list -o json", Scope::kUser,
            [](Env& env) { return TokenList(env); });
  auto f = std::make_shared<TokenFlags>();
  CLI::App* c = r.Command(g, "create", "Create an API token; it is printed once",
                          "wharf token create deploy-bot --org acme --allow services:ru --expires-in-days 90",
                          Scope::kOrg, [f](Env& env) { return TokenCreate(env, *f); });
  c->add_option("name", f->name, "A name to recognise it by")->required();
  c->add_option("--allow", f->perms.allow, "Narrow it: COLLECTION:LETTERS (c r u d), repeatable; default: your role")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  c->add_option("--scope", f->perms.scope, "COLLECTION=own|all")->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  c->add_option("--create-limit", f->perms.create_limit, "COLLECTION=N")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  c->add_option("--expires-in-days", f->expires_in_days, "Expire after this many days (default: never)")
      ->check(CLI::Range(1, 3650));
  auto ref = std::make_shared<std::string>();
  r.Command(g, "revoke", "Revoke an API token", "wharf token revoke deploy-bot", Scope::kUser,
            [ref](Env& env) { return TokenRevoke(env, *ref); })
      ->add_option("token", *ref, "Token name or id")
      ->required();
}

}  // namespace wharf::cli
