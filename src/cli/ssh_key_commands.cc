// wharf ssh-key list | add | show | rename | delete, and wharf audit.
#include "cli/command.h"

namespace wharf::cli {

using nlohmann::json;

namespace {

Table KeyTable(const std::vector<json>& keys) {
  Table t{{"NAME", "TYPE", "FINGERPRINT", "PRIVATE KEY", "ID"}, {}};
  for (const json& k : keys)
    t.rows.push_back({k.value("name", ""), k.value("type", ""), k.value("fingerprint", ""),
                      k.contains("private_key") && k["private_key"].value("set", false) ? "stored" : "",
                      k.value("id", "")});
  return t;
}

Result<json> FindKey(Env& env, const std::string& ref) {
  WHARF_ASSIGN_OR_RETURN(auto keys, env.ListOrg("/ssh-keys"));
  return FindRow(keys, ref, "/id", "/name", "SSH key", "wharf ssh-key list");
}

std::string TrimNewlines(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

struct AddFlags {
  std::string name, public_key, public_key_file, private_key_file, generate;
};

Status KeyAdd(Env& env, const AddFlags& f) {
  std::string pub = f.public_key;
  if (!f.public_key_file.empty()) {
    if (!pub.empty()) return UsageError("Give --public-key or --public-key-file, not both.");
    WHARF_ASSIGN_OR_RETURN(pub, ReadFileArg(f.public_key_file, "--public-key-file"));
  }
  pub = TrimNewlines(pub);
  json body = {{"name", f.name}};
  if (!f.generate.empty()) {
    if (!pub.empty() || !f.private_key_file.empty())
      return UsageError("--generate makes a new key pair; do not also give --public-key or --private-key-file.");
    body["generate"] = {{"type", f.generate}};
  } else if (pub.empty() && f.private_key_file.empty()) {
    return UsageError("Give the key: --public-key-file ~/.ssh/id_ed25519.pub, --private-key-file FILE, or --generate ed25519.");
  }
  if (!pub.empty()) body["public_key"] = pub;
  if (!f.private_key_file.empty()) {
    WHARF_ASSIGN_OR_RETURN(std::string priv, ReadFileArg(f.private_key_file, "--private-key-file"));
    body["private_key"] = priv;
    std::fill(priv.begin(), priv.end(), '\0');
  }
  WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
  WHARF_ASSIGN_OR_RETURN(std::string path, env.OrgPath("/ssh-keys"));
  auto k = api->Post(path, body);
  if (body.contains("private_key")) {
    std::string& p = body["private_key"].get_ref<std::string&>();
    std::fill(p.begin(), p.end(), '\0');
  }
  if (!k) return Err(k.error());
  env.Done(*k, "Added SSH key " + k->value("name", "") + " (" + k->value("fingerprint", "") + ").");
  return Ok();
}

Status KeyShow(Env& env, const std::string& ref) {
  WHARF_ASSIGN_OR_RETURN(json k, FindKey(env, ref));
  env.Print(k, KeyTable({k}));
  if (env.format() == Format::kTable) env.out() << "\n" << k.value("public_key", "") << "\n";
  return Ok();
}

Status KeyRename(Env& env, const std::string& ref, const std::string& name) {
  WHARF_ASSIGN_OR_RETURN(json k, FindKey(env, ref));
  WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
  WHARF_ASSIGN_OR_RETURN(std::string path, env.OrgPath("/ssh-keys/" + EncodeComponent(k["id"].get<std::string>())));
  WHARF_ASSIGN_OR_RETURN(json updated, api->Patch(path, {{"name", name}}));
  env.Done(updated, "Renamed SSH key to " + updated.value("name", "") + ".");
  return Ok();
}

Status KeyDelete(Env& env, const std::string& ref) {
  WHARF_ASSIGN_OR_RETURN(json k, FindKey(env, ref));
  WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
  WHARF_ASSIGN_OR_RETURN(std::string path, env.OrgPath("/ssh-keys/" + EncodeComponent(k["id"].get<std::string>())));
  WHARF_TRY(api->Delete(path));
  env.Done(json{{"deleted", k["id"]}}, "Deleted SSH key " + k.value("name", "") + ".");
  return Ok();
}

struct AuditFlags {
  int limit = 50;
  bool all = false;
};

Status Audit(Env& env, const AuditFlags& f) {
  WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
  std::vector<json> events;
  if (f.all) {
    WHARF_ASSIGN_OR_RETURN(events, env.ListOrg("/audit"));
  } else {
    WHARF_ASSIGN_OR_RETURN(std::string path, env.OrgPath("/audit?limit=" + std::to_string(f.limit)));
    WHARF_ASSIGN_OR_RETURN(json page, api->Get(path));
    for (auto& e : page["items"]) events.push_back(e);
  }
  Table t{{"AT", "ACTOR", "ACTION", "COLLECTION", "RESOURCE", "OUTCOME"}, {}};
  for (const json& e : events) {
    std::string outcome = e.value("outcome", "");
    t.rows.push_back({e.value("at", ""), e.contains("actor") ? Cell(e["actor"].value("email", json())) : "",
                      e.value("action", ""), e.value("collection", ""), Cell(e.value("resource_id", json())), outcome});
  }
  env.Print(events, t, "No audit events.");
  return Ok();
}

}  // namespace

void AddSshKeyCommands(Registry& r) {
  CLI::App* g = r.Group("ssh-key", "SSH keys Wharf uses to reach worker nodes",
                        "wharf ssh-key add deploy --public-key-file ~/.ssh/id_ed25519.pub --private-key-file ~/.ssh/id_ed25519");
  r.Command(g, "list", "List SSH keys", "wharf ssh-key list -o json", Scope::kOrg,
            [](Env& env) -> Status {
              WHARF_ASSIGN_OR_RETURN(auto keys, env.ListOrg("/ssh-keys"));
              env.Print(keys, KeyTable(keys), "No SSH keys. Add one with `wharf ssh-key add NAME --public-key-file FILE`.");
              return Ok();
            });
  auto f = std::make_shared<AddFlags>();
  CLI::App* add = r.Command(g, "add", "Add or generate an SSH key (a private key is stored encrypted and never shown again)",
                            "wharf ssh-key add deploy --public-key-file ~/.ssh/id_ed25519.pub --private-key-file ~/.ssh/id_ed25519",
                            Scope::kOrg, [f](Env& env) { return KeyAdd(env, *f); });
  add->add_option("name", f->name, "A name for the key")->required();
  add->add_option("--public-key-file", f->public_key_file, "File holding the OpenSSH public key (- = stdin)");
  add->add_option("--public-key", f->public_key, "The public key itself ('ssh-ed25519 AAAA… comment')");
  add->add_option("--private-key-file", f->private_key_file, "File holding the private key, for Wharf to connect with");
  add->add_option("--generate", f->generate, "Let Wharf generate the pair (ed25519 or rsa); get the public half with `wharf ssh-key public-key`")
      ->check(CLI::IsMember({"ed25519", "rsa"}));
  auto pubref = std::make_shared<std::string>();
  r.Command(g, "public-key", "Print the public key as an authorized_keys line",
            "wharf ssh-key public-key deploy >> ~/.ssh/authorized_keys   # on the worker node", Scope::kOrg,
            [pubref](Env& env) -> Status {
              WHARF_ASSIGN_OR_RETURN(json k, FindKey(env, *pubref));
              WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
              WHARF_ASSIGN_OR_RETURN(std::string path,
                                     env.OrgPath("/ssh-keys/" + EncodeComponent(k["id"].get<std::string>()) + "/public-key"));
              WHARF_ASSIGN_OR_RETURN(std::string line, api->GetText(path));
              env.Done(json{{"id", k["id"]}, {"public_key", TrimNewlines(line)}}, TrimNewlines(line));
              return Ok();
            })
      ->add_option("key", *pubref, "Key name or id")
      ->required();
  auto show = std::make_shared<std::string>();
  r.Command(g, "show", "Show an SSH key and its fingerprint", "wharf ssh-key show deploy", Scope::kOrg,
            [show](Env& env) { return KeyShow(env, *show); })
      ->add_option("key", *show, "Key name or id")
      ->required();
  auto ref = std::make_shared<std::string>(), name = std::make_shared<std::string>();
  CLI::App* ren = r.Command(g, "rename", "Rename an SSH key", "wharf ssh-key rename deploy deploy-2025", Scope::kOrg,
                            [ref, name](Env& env) { return KeyRename(env, *ref, *name); });
  ren->add_option("key", *ref, "Key name or id")->required();
  ren->add_option("name", *name, "New name")->required();
  auto del = std::make_shared<std::string>();
  r.Command(g, "delete", "Delete an SSH key", "wharf ssh-key delete deploy", Scope::kOrg,
            [del](Env& env) { return KeyDelete(env, *del); })
      ->add_option("key", *del, "Key name or id")
      ->required();
}

void AddAuditCommands(Registry& r) {
  auto f = std::make_shared<AuditFlags>();
  CLI::App* c = r.Command(nullptr, "audit", "The org's audit log, newest first: every change and every denied attempt (Admin)",
                          "wharf audit --limit 20\n  wharf audit --all -o json | jq '.[] | select(.outcome == \"denied\")'",
                          Scope::kOrg, [f](Env& env) { return Audit(env, *f); });
  c->add_option("--limit", f->limit, "How many events (1-200, default 50)")->check(CLI::Range(1, 200));
  c->add_flag("--all", f->all, "Every event (follows pages)");
}

}  // namespace wharf::cli
