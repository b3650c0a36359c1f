// wharf cloud-account list | add | show | verify | remove (AWS compute credentials), and
// wharf security-group sync | drift (a security group on EC2).
#include <cstdlib>

#include "cli/command.h"
#include "cli/prompt.h"

namespace wharf::cli {

using nlohmann::json;

namespace {

Result<json> FindAccount(Env& env, const std::string& ref) {
  WHARF_ASSIGN_OR_RETURN(auto items, env.ListOrg("/cloud-accounts"));
  return FindRow(items, ref, "/id", "/name", "cloud account", "wharf cloud-account list");
}

Result<json> FindSecurityGroup(Env& env, const std::string& ref) {
  WHARF_ASSIGN_OR_RETURN(auto items, env.ListOrg("/security-groups"));
  return FindRow(items, ref, "/id", "/name", "security group", "wharf security-group list");
}

std::string Id(const json& row) { return EncodeComponent(row["id"].get<std::string>()); }


// A check-shaped list (verify's checks, sync's steps) as a table; exit 1 when one failed.
Status PrintChecks(Env& env, const json& report, const char* key, const std::string& what) {
  Table t{{"CHECK", "STATUS", "LAYER", "MESSAGE", "FIX"}, {}};
  int failed = 0;
  for (const json& c : report.value(key, json::array())) {
    std::string status = c.value("status", "");
    failed += status == "failed";
    if (env.color()) status = Style(status, status == "passed" ? "32" : status == "failed" ? "31" : "2", true);
    t.rows.push_back({c.value("name", ""), status, c.value("layer", ""), c.value("message", ""), c.value("fix", "")});
  }
  env.Print(report, t);
  if (report.value("ok", false)) return Ok();
  return Err(ErrorCode::kUnavailable, std::to_string(failed) + " check(s) failed for " + what + "; see FIX above.");
}

// A secret from the environment (as the AWS CLI reads it), else a prompt that does not echo.
Result<std::string> SecretFromEnvOrPrompt(const char* env_name, const std::string& prompt) {
  if (const char* v = std::getenv(env_name); v && *v) return std::string(v);
  WHARF_ASSIGN_OR_RETURN(SecretBytes s, PromptPassword(prompt));
  return std::string(s.view());
}

struct AddFlags {
  std::string name, key_id, region, session_expires_at;
};

struct SyncFlags {
  std::string group, account, region, vpc;
};

}  // namespace

void AddCloudCommands(Registry& r) {
  CLI::App* g = r.Group("cloud-account",
                        "AWS accounts Wharf provisions EC2 with (compute keys; backup storage has its own S3 keys)",
                        "wharf cloud-account add prod --access-key-id AKIA… --region eu-west-1  # secret: $AWS_SECRET_ACCESS_KEY or a prompt");
  g->alias("aws");  // `wharf aws …`
  r.Command(g, "list", "List cloud accounts", "wharf cloud-account list -o json", Scope::kOrg, [](Env& env) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto items, env.ListOrg("/cloud-accounts"));
    Table t{{"NAME", "ACCESS KEY ID", "REGION", "ACCOUNT", "VERIFIED", "ID"}, {}};
    for (const json& a : items)
      t.rows.push_back({a.value("name", ""), Cell(a["access_key_id"]), Cell(a["region"]), Cell(a["account_id"]),
                        a.value("verified", false) ? "yes" : "no", a.value("id", "")});
    env.Print(items, t, "No cloud accounts.");
    return Ok();
  });
  auto af = std::make_shared<AddFlags>();
  CLI::App* add = r.Command(
      g, "add",
      "Connect an AWS account; the secret (and a session token for ASIA… keys) come from AWS_SECRET_ACCESS_KEY / "
      "AWS_SESSION_TOKEN or a prompt, never from a flag",
      "wharf cloud-account add prod --access-key-id AKIA… --region eu-west-1  # secret: $AWS_SECRET_ACCESS_KEY or a prompt", Scope::kOrg,
      [af](Env& env) -> Status {
        json body = {{"name", af->name}, {"provider", "aws"}, {"access_key_id", af->key_id}, {"region", af->region}};
        if (!af->session_expires_at.empty()) body["session_expires_at"] = af->session_expires_at;
        WHARF_ASSIGN_OR_RETURN(std::string secret, SecretFromEnvOrPrompt("AWS_SECRET_ACCESS_KEY", "Secret access key: "));
        body["secret_access_key"] = secret;
        std::fill(secret.begin(), secret.end(), '\0');
        if (af->key_id.rfind("ASIA", 0) == 0) {
          WHARF_ASSIGN_OR_RETURN(std::string token, SecretFromEnvOrPrompt("AWS_SESSION_TOKEN", "Session token: "));
          body["session_token"] = token;
          std::fill(token.begin(), token.end(), '\0');
        }
        WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
        WHARF_ASSIGN_OR_RETURN(std::string path, env.OrgPath("/cloud-accounts"));
        auto created = api->Post(path, body);
        for (const char* k : {"secret_access_key", "session_token"})
          if (body.contains(k)) {
            std::string& v = body[k].get_ref<std::string&>();
            std::fill(v.begin(), v.end(), '\0');
          }
        if (!created) return tl::unexpected(created.error());
        env.Done(*created, "Connected cloud account " + created->value("name", "") + " (" + created->value("id", "") +
                               "). Run `wharf cloud-account verify " + created->value("name", "") + "` to check it.");
        return Ok();
      });
  add->add_option("name", af->name, "A name for the account, e.g. prod")->required();
  add->add_option("--access-key-id", af->key_id, "The IAM access key id (AKIA… or ASIA…)")->required();
  add->add_option("--region", af->region, "The default region, e.g. eu-west-1")->required();
  add->add_option("--session-expires-at", af->session_expires_at, "For ASIA… keys: when the session ends (RFC 3339)");

  auto show = std::make_shared<std::string>();
  r.Command(g, "show", "Show a cloud account (secrets show only whether they are set)", "wharf cloud-account show prod",
            Scope::kOrg, [show](Env& env) -> Status {
              WHARF_ASSIGN_OR_RETURN(json a, FindAccount(env, *show));
              Table t{{"FIELD", "VALUE"}, {}};
              for (const char* k : {"name", "id", "access_key_id", "region", "account_id", "arn", "verified",
                                    "last_verified_at", "expires_at"})
                t.rows.push_back({k, Cell(a.value(k, json()))});
              t.rows.push_back({"secret_access_key", a["secret_access_key"].value("set", false) ? "set" : "not set"});
              t.rows.push_back({"session_token", a["session_token"].value("set", false) ? "set" : "not set"});
              if (a.contains("last_error") && a["last_error"].is_object())
                t.rows.push_back({"last_error", a["last_error"].value("layer", "") + ": " + a["last_error"].value("message", "")});
              env.Print(a, t);
              return Ok();
            })
      ->add_option("account", *show, "Cloud account name or id")
      ->required();

  auto vf = std::make_shared<SyncFlags>();
  CLI::App* verify = r.Command(g, "verify", "STS GetCallerIdentity and an EC2 DryRun of every action Wharf needs (exit 1 on a failure)",
                               "wharf cloud-account verify prod --region us-east-1", Scope::kOrg, [vf](Env& env) -> Status {
                                 WHARF_ASSIGN_OR_RETURN(json a, FindAccount(env, vf->account));
                                 json body = json::object();
                                 if (!vf->region.empty()) body["region"] = vf->region;
                                 WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
                                 WHARF_ASSIGN_OR_RETURN(std::string path, env.OrgPath("/cloud-accounts/" + Id(a) + "/verify"));
                                 WHARF_ASSIGN_OR_RETURN(json report, api->Post(path, body));
                                 return PrintChecks(env, report, "checks", "cloud account " + a.value("name", ""));
                               });
  verify->add_option("account", vf->account, "Cloud account name or id")->required();
  verify->add_option("--region", vf->region, "Verify in this region instead of the account's default");

  auto rm = std::make_shared<std::string>();
  r.Command(g, "remove", "Remove a cloud account (refused while it manages EC2 security groups)",
            "wharf cloud-account remove old", Scope::kOrg, [rm](Env& env) -> Status {
              WHARF_ASSIGN_OR_RETURN(json a, FindAccount(env, *rm));
              WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
              WHARF_ASSIGN_OR_RETURN(std::string path, env.OrgPath("/cloud-accounts/" + Id(a)));
              WHARF_TRY(api->Delete(path));
              env.Done(json{{"deleted", a["id"]}}, "Removed cloud account " + a.value("name", "") + ".");
              return Ok();
            })
      ->add_option("account", *rm, "Cloud account name or id")
      ->required();
}

void AddSecurityGroupEc2Commands(Registry& r, CLI::App* group) {
  auto sf = std::make_shared<SyncFlags>();
  CLI::App* sync = r.Command(
      group, "sync", "Create or update the group on EC2: tag, authorize what is missing, revoke what is extra",
      "wharf security-group sync web --cloud-account prod --vpc vpc-0a1b2c3d4e5f67890", Scope::kOrg,
      [sf](Env& env) -> Status {
        WHARF_ASSIGN_OR_RETURN(json sg, FindSecurityGroup(env, sf->group));
        WHARF_ASSIGN_OR_RETURN(json a, FindAccount(env, sf->account));
        json body = {{"cloud_account_id", a["id"]}};
        if (!sf->region.empty()) body["region"] = sf->region;
        if (!sf->vpc.empty()) body["vpc_id"] = sf->vpc;
        WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
        WHARF_ASSIGN_OR_RETURN(std::string path, env.OrgPath("/security-groups/" + Id(sg) + "/sync"));
        WHARF_ASSIGN_OR_RETURN(json out, api->Post(path, body));
        if (env.format() == Format::kTable && out.value("ok", false))
          env.out() << "EC2 group " << out.value("ec2_group_id", "") << " in " << out.value("region", "") << " ("
                    << out.value("vpc_id", "") << ")\n";
        return PrintChecks(env, out, "steps", "the sync of " + sg.value("name", ""));
      });
  sync->add_option("group", sf->group, "Security group name or id")->required();
  sync->add_option("--cloud-account", sf->account, "Cloud account name or id")->required();
  sync->add_option("--region", sf->region, "Region (default: the account's)");
  sync->add_option("--vpc", sf->vpc, "VPC id to create the group in (first sync)");

  auto df = std::make_shared<SyncFlags>();
  CLI::App* drift = r.Command(
      group, "drift", "Compare the EC2 group with Wharf's rules (exit 1 when they differ)",
      "wharf security-group drift web --cloud-account prod", Scope::kOrg, [df](Env& env) -> Status {
        WHARF_ASSIGN_OR_RETURN(json sg, FindSecurityGroup(env, df->group));
        WHARF_ASSIGN_OR_RETURN(json a, FindAccount(env, df->account));
        std::string q = "?cloud_account_id=" + EncodeComponent(a["id"].get<std::string>());
        if (!df->region.empty()) q += "&region=" + EncodeComponent(df->region);
        WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
        WHARF_ASSIGN_OR_RETURN(std::string path, env.OrgPath("/security-groups/" + Id(sg) + "/drift" + q));
        WHARF_ASSIGN_OR_RETURN(json out, api->Get(path));
        if (!out.value("ok", false)) return PrintChecks(env, out, "steps", "the drift check of " + sg.value("name", ""));
        Table t{{"DIFFERENCE", "DIRECTION", "RULE"}, {}};
        for (const char* kind : {"missing", "extra"})
          for (const char* dir : {"inbound", "outbound"})
            if (out.contains(kind))
              for (const json& rule : out[kind].value(dir, json::array()))
                t.rows.push_back({std::string(kind) + (std::string(kind) == "missing" ? " on EC2" : " on EC2 (not in Wharf)"),
                                  dir, rule.get<std::string>()});
        const bool in_sync = out.value("in_sync", false);
        std::string summary = !out.value("exists", true) ? "The EC2 group " + out.value("ec2_group_id", "") + " no longer exists."
                              : in_sync ? "In sync: " + out.value("ec2_group_id", "") + " has exactly Wharf's rules."
                                        : "Drifted: " + out.value("ec2_group_id", "") + " differs from Wharf's rules.";
        env.Print(out, t, summary);
        if (env.format() == Format::kTable && !t.rows.empty()) env.out() << summary << "\n";
        if (in_sync) return Ok();
        return Err(ErrorCode::kConflict, summary + " Run `wharf security-group sync` to put Wharf's rules back.");
      });
  drift->add_option("group", df->group, "Security group name or id")->required();
  drift->add_option("--cloud-account", df->account, "Cloud account name or id")->required();
  drift->add_option("--region", df->region, "Region (default: the account's)");
}

}  // namespace wharf::cli
