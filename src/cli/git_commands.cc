// wharf git-provider list | add | show | verify | remove: GitHub Apps and token hosts.
// Secrets (private key, token, webhook secret) are read from files (--…-file, "-" = stdin), never
// from argv, and are never printed.
#include "cli/command.h"

namespace wharf::cli {

using nlohmann::json;

namespace {

std::string Id(const json& j) { return j.value("id", ""); }

Table ProviderTable(const std::vector<json>& rows) {
  Table t{{"NAME", "TYPE", "HOST", "VERIFIED", "EXPIRES", "LAST WEBHOOK", "ID"}, {}};
  for (const json& p : rows) {
    std::string host = p.value("type", "") == "github_app" ? Cell(p.value("api_url", json())) : Cell(p.value("base_url", json()));
    std::string hook;
    if (p.contains("webhook") && p["webhook"].is_object() && !p["webhook"]["last_delivery_at"].is_null())
      hook = p["webhook"]["last_delivery_at"].get<std::string>() + " " + Cell(p["webhook"].value("last_outcome", json()));
    t.rows.push_back({p.value("name", ""), p.value("type", ""), host, p.value("verified", false) ? "yes" : "no",
                      Cell(p.value("expires_at", json())), hook, Id(p)});
  }
  return t;
}

Result<json> FindProvider(Env& env, const std::string& ref) {
  WHARF_ASSIGN_OR_RETURN(auto rows, env.ListOrg("/git-providers"));
  return FindRow(rows, ref, "/id", "/name", "git provider", "wharf git-provider list");
}

Status PrintReport(Env& env, const json& report, const std::string& what) {
  Table t{{"CHECK", "STATUS", "LAYER", "MESSAGE", "FIX"}, {}};
  for (const json& c : report["checks"])
    t.rows.push_back({c.value("name", ""), c.value("status", ""), c.value("layer", ""), c.value("message", ""), c.value("fix", "")});
  if (env.color())
    for (auto& row : t.rows) row[1] = Style(row[1], row[1] == "passed" ? "32" : row[1] == "failed" ? "31" : "2", true);
  env.Print(report, t);
  if (report.value("ok", false)) return Ok();
  int failed = 0;
  for (const json& c : report["checks"]) failed += c.value("status", "") == "failed";
  return Err(ErrorCode::kUnavailable, std::to_string(failed) + " check(s) failed for " + what + "; see FIX above.");
}

struct AddFlags {
  std::string name, type, base_url, username, app_id, installation_id, api_url, token_scope, repository;
  std::string token_file, private_key_file, webhook_secret_file;
};

void Wipe(json& body, const char* field) {
  if (body.contains(field)) {
    std::string& s = body[field].get_ref<std::string&>();
    std::fill(s.begin(), s.end(), '\0');
  }
}

Status Add(Env& env, const AddFlags& f) {
  json body = {{"name", f.name}, {"type", f.type}};
  for (auto [flag, field] : {std::pair{&f.base_url, "base_url"}, {&f.username, "username"}, {&f.app_id, "app_id"},
                             {&f.installation_id, "installation_id"}, {&f.api_url, "api_url"}, {&f.token_scope, "token_scope"},
                             {&f.repository, "repository"}})
    if (!flag->empty()) body[field] = *flag;
  for (auto [file, field, opt] : {std::tuple{&f.token_file, "token", "--token-file"},
                                  {&f.private_key_file, "private_key", "--private-key-file"},
                                  {&f.webhook_secret_file, "webhook_secret", "--webhook-secret-file"}}) {
    if (file->empty()) continue;
    WHARF_ASSIGN_OR_RETURN(std::string v, ReadFileArg(*file, opt));
    if (std::string_view(field) != "private_key")
      while (!v.empty() && (v.back() == '\n' || v.back() == '\r')) v.pop_back();
    body[field] = v;
    std::fill(v.begin(), v.end(), '\0');
  }
  WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
  WHARF_ASSIGN_OR_RETURN(std::string path, env.OrgPath("/git-providers"));
  auto p = api->Post(path, body);
  for (const char* s : {"token", "private_key", "webhook_secret"}) Wipe(body, s);
  if (!p) return Err(p.error());
  std::string hook = p->contains("webhook") ? (*p)["webhook"].value("url", "") : "";
  env.Done(*p, "Added git provider " + p->value("name", "") + " (" + Id(*p) + "). Webhook URL for the git host: " + hook +
                   "\nVerify it: wharf git-provider verify " + p->value("name", "") + " --repository REPO --branch BRANCH");
  return Ok();
}

}  // namespace

void AddGitCommands(Registry& r) {
  CLI::App* g = r.Group("git-provider", "Git hosts Wharf deploys from: GitHub Apps, GitLab, Bitbucket, Gitea, Azure DevOps",
                        "wharf git-provider add gitlab --type gitlab --token-file ~/.gitlab-token\n"
                        "  wharf git-provider verify gitlab --repository https://gitlab.com/acme/api.git --branch main");
  g->alias("git");  // `wharf git …`, the name for it
  r.Command(g, "list", "List git providers", "wharf git-provider list -o json", Scope::kOrg, [](Env& env) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto rows, env.ListOrg("/git-providers"));
    env.Print(rows, ProviderTable(rows), "No git providers. Add one with `wharf git-provider add NAME --type TYPE …`.");
    return Ok();
  });
  auto f = std::make_shared<AddFlags>();
  CLI::App* add = r.Command(g, "add", "Connect a git host (secrets are read from files and stored encrypted, never shown again)",
                            "wharf git-provider add acme --type github_app --app-id 12345 --installation-id 678 "
                            "--private-key-file app.pem --webhook-secret-file hook.txt\n"
                            "  wharf git-provider add gitlab --type gitlab --base-url https://gitlab.example.com --token-file token.txt",
                            Scope::kOrg, [f](Env& env) { return Add(env, *f); });
  add->add_option("--name", f->name, "A name for the provider")->required();
  add->add_option("--type", f->type, "github_app, gitlab, bitbucket, gitea or azure_devops")
      ->required()
      ->check(CLI::IsMember({"github_app", "gitlab", "bitbucket", "gitea", "azure_devops"}));
  add->add_option("--base-url", f->base_url, "Token hosts: the server's URL (default the host's cloud, e.g. https://gitlab.com)");
  add->add_option("--username", f->username, "Token hosts: the account the token belongs to (default per host)");
  add->add_option("--token-file", f->token_file, "Token hosts: file holding the access token (- = stdin)");
  add->add_option("--token-scope", f->token_scope, "Bitbucket: workspace or repository (a repository access token)");
  add->add_option("--repository", f->repository, "Bitbucket repository tokens: the repository's clone URL");
  add->add_option("--app-id", f->app_id, "GitHub App: the App ID");
  add->add_option("--installation-id", f->installation_id, "GitHub App: the installation id");
  add->add_option("--private-key-file", f->private_key_file, "GitHub App: the .pem private key file");
  add->add_option("--api-url", f->api_url, "GitHub App: the API URL (GitHub Enterprise: https://HOST/api/v3)");
  add->add_option("--webhook-secret-file", f->webhook_secret_file, "File holding the webhook secret set on the git host");
  auto show = std::make_shared<std::string>();
  r.Command(g, "show", "Show a git provider and its webhook's last deliveries", "wharf git-provider show acme", Scope::kOrg,
            [show](Env& env) -> Status {
              WHARF_ASSIGN_OR_RETURN(json p, FindProvider(env, *show));
              env.Print(p, ProviderTable({p}));
              if (env.format() == Format::kTable && p.contains("webhook"))
                env.out() << "\nWebhook URL: " << p["webhook"].value("url", "") << "\nDeliveries: "
                          << p["webhook"].value("deliveries", 0) << " (" << p["webhook"].value("rejected", 0) << " rejected)\n";
              return Ok();
            })
      ->add_option("provider", *show, "Provider name or id")
      ->required();
  struct VerifyFlags {
    std::string ref, repository, branch;
  };
  auto v = std::make_shared<VerifyFlags>();
  CLI::App* ver = r.Command(g, "verify", "Check the credential against a repository and branch (exit 1 if a check fails)",
                            "wharf git-provider verify acme --repository acme/api --branch main", Scope::kOrg,
                            [v](Env& env) -> Status {
                              WHARF_ASSIGN_OR_RETURN(json p, FindProvider(env, v->ref));
                              json body = json::object();
                              if (!v->repository.empty()) body["repository"] = v->repository;
                              if (!v->branch.empty()) body["branch"] = v->branch;
                              WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
                              WHARF_ASSIGN_OR_RETURN(std::string path, env.OrgPath("/git-providers/" + EncodeComponent(Id(p)) + "/verify"));
                              WHARF_ASSIGN_OR_RETURN(json report, api->Post(path, body));
                              return PrintReport(env, report, "git provider " + p.value("name", ""));
                            });
  ver->add_option("provider", v->ref, "Provider name or id")->required();
  ver->add_option("--repository", v->repository, "OWNER/REPO (GitHub App) or the HTTPS clone URL (token hosts)");
  ver->add_option("--branch", v->branch, "The branch a service deploys");
  auto rm = std::make_shared<std::string>();
  r.Command(g, "remove", "Remove a git provider", "wharf git-provider remove acme", Scope::kOrg, [rm](Env& env) -> Status {
     WHARF_ASSIGN_OR_RETURN(json p, FindProvider(env, *rm));
     WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
     WHARF_ASSIGN_OR_RETURN(std::string path, env.OrgPath("/git-providers/" + EncodeComponent(Id(p))));
     WHARF_TRY(api->Delete(path));
     env.Done(json{{"deleted", Id(p)}}, "Removed git provider " + p.value("name", "") + ".");
     return Ok();
   })->add_option("provider", *rm, "Provider name or id")->required();
}

}  // namespace wharf::cli
