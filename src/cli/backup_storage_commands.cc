// wharf backup-storage list | add | show | verify | remove: S3-compatible storage for external
// backups. Its keys are separate from AWS compute accounts. The secret is read from stdin
// (--secret-stdin) or a no-echo prompt, never from a flag (flags show in `ps`).
#include "cli/command.h"
#include "cli/prompt.h"

namespace wharf::cli {

using nlohmann::json;

namespace {

Table StorageTable(const std::vector<json>& rows) {
  Table t{{"NAME", "ENDPOINT", "BUCKET", "PREFIX", "KEY ID", "VERIFIED", "ID"}, {}};
  for (const json& r : rows) {
    std::string ep = r.value("endpoint", "");
    t.rows.push_back({r.value("name", ""), ep.empty() ? "AWS S3 (" + r.value("region", "") + ")" : ep,
                      r.value("bucket", ""), r.value("prefix", ""), r.value("access_key_id", ""),
                      r.value("verified", false) ? "yes" : "no", r.value("id", "")});
  }
  return t;
}

Result<json> FindStorage(Env& env, const std::string& ref) {
  WHARF_ASSIGN_OR_RETURN(auto rows, env.ListOrg("/backup-storage"));
  return FindRow(rows, ref, "/id", "/name", "backup storage", "wharf backup-storage list");
}

std::string Id(const json& row) { return EncodeComponent(row["id"].get<std::string>()); }

struct AddFlags {
  std::string name, endpoint, region, bucket, prefix, access_key_id;
  bool path_style = false, virtual_host = false, secret_stdin = false;
};

Status StorageAdd(Env& env, const AddFlags& f) {
  if (f.path_style && f.virtual_host) return UsageError("Give --path-style or --virtual-host, not both.");
  json body = {{"name", f.name}, {"endpoint", f.endpoint}, {"region", f.region}, {"bucket", f.bucket},
               {"access_key_id", f.access_key_id}};
  if (!f.prefix.empty()) body["prefix"] = f.prefix;
  if (f.path_style) body["path_style"] = true;
  if (f.virtual_host) body["path_style"] = false;
  WHARF_ASSIGN_OR_RETURN(SecretBytes secret, f.secret_stdin ? ReadSecretLine(stdin)
                                                            : PromptPassword("Secret access key for " + f.access_key_id + ": "));
  body["secret_access_key"] = std::string(secret.view());
  WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
  WHARF_ASSIGN_OR_RETURN(std::string path, env.OrgPath("/backup-storage"));
  auto r = api->Post(path, body);
  std::string& s = body["secret_access_key"].get_ref<std::string&>();
  std::fill(s.begin(), s.end(), '\0');
  if (!r) return Err(r.error());
  env.Done(*r, "Added backup storage " + r->value("name", "") + " (" + r->value("id", "") +
                   "). Verify it before using it for backups: wharf backup-storage verify " + r->value("name", ""));
  return Ok();
}

Status StorageVerify(Env& env, const std::string& ref) {
  WHARF_ASSIGN_OR_RETURN(json row, FindStorage(env, ref));
  WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
  WHARF_ASSIGN_OR_RETURN(std::string path, env.OrgPath("/backup-storage/" + Id(row) + "/verify"));
  WHARF_ASSIGN_OR_RETURN(json report, api->Post(path, json::object()));
  Table t{{"STEP", "STATUS", "LAYER", "MESSAGE", "FIX"}, {}};
  for (const json& c : report["checks"])
    t.rows.push_back({c.value("name", ""), c.value("status", ""), c.value("layer", ""), c.value("message", ""),
                      c.value("fix", "")});
  if (env.color())
    for (auto& r : t.rows) r[1] = Style(r[1], r[1] == "passed" ? "32" : r[1] == "failed" ? "31" : "2", true);
  env.Print(report, t);
  if (report.value("ok", false)) return Ok();
  int failed = 0;
  for (const json& c : report["checks"]) failed += c.value("status", "") == "failed";
  return Err(ErrorCode::kUnavailable, std::to_string(failed) + " step(s) failed for backup storage " +
                                          row.value("name", "") + "; see FIX above.");
}

}  // namespace

void AddBackupStorageCommands(Registry& r) {
  CLI::App* g = r.Group("backup-storage",
                        "S3-compatible storage for external backups (AWS S3, R2, B2, MinIO); its keys are separate "
                        "from AWS compute accounts",
                        "wharf backup-storage add offsite --region eu-central-1 --bucket acme-backups --prefix wharf "
                        "--access-key-id AKIA… --secret-stdin < secret.txt");
  g->alias("storage");  // `wharf storage …`
  r.Command(g, "list", "List backup storage", "wharf backup-storage list -o json", Scope::kOrg, [](Env& env) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto rows, env.ListOrg("/backup-storage"));
    env.Print(rows, StorageTable(rows), "No backup storage. Add one with `wharf backup-storage add NAME …`.");
    return Ok();
  });
  auto f = std::make_shared<AddFlags>();
  CLI::App* add = r.Command(
      g, "add", "Connect a bucket (the secret is read from stdin or a prompt, stored encrypted, never shown again)",
      "wharf backup-storage add minio --endpoint https://minio.example.com:9000 --region us-east-1 --bucket backups "
      "--access-key-id wharf --secret-stdin < secret.txt",
      Scope::kOrg, [f](Env& env) { return StorageAdd(env, *f); });
  add->add_option("name", f->name, "A name for this storage")->required();
  add->add_option("--endpoint", f->endpoint, "The S3 API URL; omit for AWS S3");
  add->add_option("--region", f->region, "The bucket's region (R2: auto)")->required();
  add->add_option("--bucket", f->bucket, "The bucket's name")->required();
  add->add_option("--prefix", f->prefix, "A folder inside the bucket for Wharf's objects");
  add->add_option("--access-key-id", f->access_key_id, "The key id (not an AWS compute account's)")->required();
  add->add_flag("--secret-stdin", f->secret_stdin, "Read the secret access key from stdin instead of prompting");
  add->add_flag("--path-style", f->path_style, "Address the bucket as ENDPOINT/BUCKET (default for custom endpoints)");
  add->add_flag("--virtual-host", f->virtual_host, "Address the bucket as BUCKET.ENDPOINT (default for AWS)");
  auto show = std::make_shared<std::string>();
  r.Command(g, "show", "Show one backup storage", "wharf backup-storage show offsite -o json", Scope::kOrg,
            [show](Env& env) -> Status {
              WHARF_ASSIGN_OR_RETURN(json row, FindStorage(env, *show));
              env.Print(row, StorageTable({row}));
              if (env.format() == Format::kTable && row.contains("last_error") && row["last_error"].is_object())
                env.out() << "\nLast verify failed at " << row["last_error"].value("check", "") << ": "
                          << row["last_error"].value("message", "") << "\nFix: " << row["last_error"].value("fix", "")
                          << "\n";
              return Ok();
            })
      ->add_option("storage", *show, "Name or id")
      ->required();
  auto ver = std::make_shared<std::string>();
  r.Command(g, "verify", "Write, read, list and delete a probe object under the prefix; exit 1 if a step fails",
            "wharf backup-storage verify offsite", Scope::kOrg, [ver](Env& env) { return StorageVerify(env, *ver); })
      ->add_option("storage", *ver, "Name or id")
      ->required();
  auto rm = std::make_shared<std::string>();
  r.Command(g, "remove", "Remove a backup storage (the bucket and its objects are not touched)",
            "wharf backup-storage remove offsite", Scope::kOrg, [rm](Env& env) -> Status {
              WHARF_ASSIGN_OR_RETURN(json row, FindStorage(env, *rm));
              WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
              WHARF_ASSIGN_OR_RETURN(std::string path, env.OrgPath("/backup-storage/" + Id(row)));
              WHARF_TRY(api->Delete(path));
              env.Done(json{{"deleted", row["id"]}}, "Removed backup storage " + row.value("name", "") + ".");
              return Ok();
            })
      ->add_option("storage", *rm, "Name or id")
      ->required();
}

}  // namespace wharf::cli
