// wharf registry list | add | show | edit | verify | test | remove: Docker registry credentials.
// The token (the registry password or access token) is never taken from argv, where `ps` and the
// shell history would see it: it is prompted for without echo, or read from the first line of
// stdin with --password-stdin (as `docker login --password-stdin` does). It is sent once, in the
// request body, and that copy is overwritten before it is freed; no answer ever carries it back.
#include "cli/command.h"
#include "cli/prompt.h"

namespace wharf::cli {

using nlohmann::json;

namespace {

constexpr const char* kHint = "wharf registry list";

Result<json> FindRegistry(Env& env, const std::string& ref) {
  WHARF_ASSIGN_OR_RETURN(auto items, env.ListOrg("/docker-registries"));
  return FindRow(items, ref, "/id", "/name", "docker registry", kHint);
}

std::string Id(const json& row) { return EncodeComponent(row["id"].get<std::string>()); }

// "verified", "failed" (a last error is stored) or "never".
std::string VerifiedWord(const json& r) {
  if (r.value("verified", false)) return "verified";
  return r.contains("last_error") && r["last_error"].is_object() ? "failed" : "never";
}

std::string LastError(const json& r) {
  if (!r.contains("last_error") || !r["last_error"].is_object()) return "";
  const json& e = r["last_error"];
  std::string s = e.value("check", "") + ": " + e.value("message", "");
  if (e.contains("layer") && e["layer"].is_string()) s += " (layer " + e["layer"].get<std::string>() + ")";
  return s;
}

Table RegistryTable(const std::vector<json>& items) {
  Table t{{"NAME", "HOST", "USERNAME", "NAMESPACE", "VERIFIED", "LAST ERROR", "ID"}, {}};
  for (const json& r : items)
    t.rows.push_back({r.value("name", ""), r.value("host", ""), r.value("username", ""), Cell(r.value("namespace", json())),
                      VerifiedWord(r), LastError(r), r.value("id", "")});
  return t;
}

// A verify or test report as a table; exit 1 (naming the first failed check) when it failed.
Status PrintReport(Env& env, const json& report, const std::string& what) {
  Table t{{"CHECK", "STATUS", "MESSAGE", "LAYER", "FIX"}, {}};
  std::string first;
  int failed = 0;
  for (const json& c : report.value("checks", json::array())) {
    std::string status = c.value("status", "");
    if (status == "failed" && !failed++) first = c.value("name", "");
    if (env.color()) status = Style(status, status == "passed" ? "32" : status == "failed" ? "31" : "2", true);
    t.rows.push_back({c.value("name", ""), status, c.value("message", ""), c.value("layer", ""), c.value("fix", "")});
  }
  env.Print(report, t);
  if (env.format() == Format::kTable) {
    if (report.contains("image")) env.out() << "Image: " << Cell(report["image"]) << "\n";
    if (report.contains("digest")) env.out() << "Digest: " << Cell(report["digest"]) << "\n";
  }
  if (report.value("ok", false)) return Ok();
  return Err(ErrorCode::kUnavailable, std::to_string(failed) + " check(s) failed for " + what +
                                          (first.empty() ? "" : " (first: " + first + ")") + "; see FIX above.");
}

// The token: the first line of stdin with --password-stdin, else a prompt without echo.
Result<SecretBytes> ReadToken(bool from_stdin, const std::string& prompt) {
  SecretBytes token;
  if (from_stdin) {
    WHARF_ASSIGN_OR_RETURN(token, ReadSecretLine(stdin));
  } else {
    WHARF_ASSIGN_OR_RETURN(token, PromptPassword(prompt));
  }
  if (token.empty()) return UsageError("The token is empty: give the registry password or an access token that can pull.");
  return token;
}

// Sends `body` (which may hold "password"), then overwrites the JSON copy of the token.
Result<json> SendWithToken(Env& env, const std::string& method, const std::string& suffix, json body) {
  WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
  WHARF_ASSIGN_OR_RETURN(std::string path, env.OrgPath(suffix));
  auto r = api->Call(method, path, body);
  if (body.contains("password")) {
    std::string& pw = body["password"].get_ref<std::string&>();
    std::fill(pw.begin(), pw.end(), '\0');
  }
  return r;
}

struct RegistryFlags {
  std::string ref, name, host, username, namespace_, image;
  std::string argv_token;  // a token wrongly given as --password/--token VALUE: refused, never echoed
  bool namespace_set = false, password_stdin = false, password_prompt = false;
};

// `--password VALUE` and `--token VALUE` are accepted by the parser only to refuse them with the
// fix, instead of CLI11's "arguments were not expected: VALUE", which would print the token.
void AddArgvTokenTrap(CLI::App* c, RegistryFlags& f) {
  c->add_option("--password,--token", f.argv_token)->group("");  // hidden (and left out of completion)
}
Status RefuseArgvToken(RegistryFlags& f) {
  if (f.argv_token.empty()) return Ok();
  std::fill(f.argv_token.begin(), f.argv_token.end(), '\0');
  f.argv_token.clear();
  return UsageError("The token is never taken from the command line (ps and your shell history would keep it): "
                    "leave it out to be asked for it, or pipe it in with --password-stdin.");
}

void AddFieldFlags(CLI::App* c, RegistryFlags& f, bool required) {
  AddArgvTokenTrap(c, f);
  auto* host = c->add_option("--host", f.host, "docker.io, ghcr.io, quay.io, registry.digitalocean.com or host[:port] (no https://)");
  auto* user = c->add_option("--username,--user", f.username, "The registry account, robot account or token name");
  if (required) {
    host->required();
    user->required();
  }
  c->add_option("--namespace", f.namespace_, "The repository prefix the credential covers (acme or acme/team)")
      ->each([&f](const std::string&) { f.namespace_set = true; });
}

json FieldsBody(const RegistryFlags& f) {
  json body = json::object();
  if (!f.name.empty()) body["name"] = f.name;
  if (!f.host.empty()) body["host"] = f.host;
  if (!f.username.empty()) body["username"] = f.username;
  if (f.namespace_set) body["namespace"] = f.namespace_;
  return body;
}

Status Add(Env& env, RegistryFlags& f) {
  WHARF_TRY(RefuseArgvToken(f));
  json body = FieldsBody(f);
  WHARF_ASSIGN_OR_RETURN(SecretBytes token, ReadToken(f.password_stdin, "Token for " + f.username + "@" + f.host + ": "));
  body["password"] = std::string(token.view());
  WHARF_ASSIGN_OR_RETURN(json r, SendWithToken(env, "POST", "/docker-registries", std::move(body)));
  env.Done(r, "Added registry " + r.value("name", "") + " (" + r.value("id", "") + ") for " + r.value("username", "") + "@" +
                  r.value("host", "") + "; check it with `wharf registry verify " + r.value("name", "") + " --image IMAGE`.");
  return Ok();
}

Status Show(Env& env, const std::string& ref) {
  WHARF_ASSIGN_OR_RETURN(json r, FindRegistry(env, ref));
  if (env.format() != Format::kTable) {
    env.Print(r, {});
    return Ok();
  }
  Table t{{"FIELD", "VALUE"},
          {{"name", r.value("name", "")},
           {"id", r.value("id", "")},
           {"host", r.value("host", "")},
           {"username", r.value("username", "")},
           {"namespace", Cell(r.value("namespace", json()))},
           {"token", r.contains("password") && r["password"].value("set", false) ? "stored (never shown)" : "not set"},
           {"verified", VerifiedWord(r)},
           {"last verified", Cell(r.value("last_verified_at", json()))},
           {"expires", Cell(r.value("expires_at", json()))}}};
  env.Print(r, t);
  if (r.contains("last_error") && r["last_error"].is_object()) {
    env.out() << "\nLast error: " << LastError(r) << "\n";
    if (r["last_error"].contains("fix")) env.out() << "  fix: " << Cell(r["last_error"]["fix"]) << "\n";
  }
  return Ok();
}

Status Edit(Env& env, RegistryFlags& f) {
  WHARF_TRY(RefuseArgvToken(f));
  if (f.password_stdin && f.password_prompt) return UsageError("Give --password-stdin or --password-prompt, not both.");
  json body = FieldsBody(f);
  if (body.empty() && !f.password_stdin && !f.password_prompt)
    return UsageError("Nothing to change: give --name, --host, --username, --namespace, --password-stdin or --password-prompt.");
  WHARF_ASSIGN_OR_RETURN(json r, FindRegistry(env, f.ref));
  if (f.password_stdin || f.password_prompt) {
    WHARF_ASSIGN_OR_RETURN(SecretBytes token, ReadToken(f.password_stdin, "New token for " + r.value("name", "") + ": "));
    body["password"] = std::string(token.view());
  }
  WHARF_ASSIGN_OR_RETURN(json updated, SendWithToken(env, "PATCH", "/docker-registries/" + Id(r), std::move(body)));
  env.Done(updated, "Updated registry " + updated.value("name", "") + "." +
                        (updated.value("verified", false) ? "" : " Verify it again: `wharf registry verify " + updated.value("name", "") + " --image IMAGE`."));
  return Ok();
}

Status Verify(Env& env, const RegistryFlags& f) {
  WHARF_ASSIGN_OR_RETURN(json r, FindRegistry(env, f.ref));
  WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
  WHARF_ASSIGN_OR_RETURN(std::string path, env.OrgPath("/docker-registries/" + Id(r) + "/verify"));
  WHARF_ASSIGN_OR_RETURN(json report, api->Post(path, {{"image", f.image}}));
  return PrintReport(env, report, r.value("name", ""));
}

Status Test(Env& env, RegistryFlags& f) {
  WHARF_TRY(RefuseArgvToken(f));
  json body = FieldsBody(f);
  body["image"] = f.image;
  WHARF_ASSIGN_OR_RETURN(SecretBytes token, ReadToken(f.password_stdin, "Token for " + f.username + "@" + f.host + ": "));
  body["password"] = std::string(token.view());
  WHARF_ASSIGN_OR_RETURN(json report, SendWithToken(env, "POST", "/docker-registries/test", std::move(body)));
  return PrintReport(env, report, f.username + "@" + f.host);
}

Status Remove(Env& env, const std::string& ref) {
  WHARF_ASSIGN_OR_RETURN(json r, FindRegistry(env, ref));
  WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
  WHARF_ASSIGN_OR_RETURN(std::string path, env.OrgPath("/docker-registries/" + Id(r)));
  WHARF_TRY(api->Delete(path));
  env.Done(json{{"deleted", r["id"]}}, "Removed registry " + r.value("name", "") + ".");
  return Ok();
}

constexpr const char* kStdinHelp = "Read the token from the first line of stdin (else you are asked for it, without echo)";

}  // namespace

void AddRegistryCommands(Registry& r) {
  CLI::App* g = r.Group("registry", "Docker registry credentials Wharf pulls images with: add, verify, edit, remove",
                        "wharf registry add ghcr --host ghcr.io --username octocat   # asks for the token\n"
                        "  printf '%s\\n' \"$GHCR_TOKEN\" | wharf registry add ghcr --host ghcr.io --username octocat --password-stdin");
  r.Command(g, "list", "List Docker registries with their verified state", "wharf registry list -o json", Scope::kOrg,
            [](Env& env) -> Status {
              WHARF_ASSIGN_OR_RETURN(auto items, env.ListOrg("/docker-registries"));
              env.Print(items, RegistryTable(items),
                        "No Docker registries. Add one with `wharf registry add NAME --host H --username U`.");
              return Ok();
            });
  auto add = std::make_shared<RegistryFlags>();
  CLI::App* a = r.Command(g, "add", "Add a registry credential; the token is asked for (or read with --password-stdin), never an argument",
                          "wharf registry add ghcr --host ghcr.io --username octocat --namespace acme   # prompts for the token",
                          Scope::kOrg, [add](Env& env) { return Add(env, *add); });
  a->add_option("name", add->name, "A name for the credential")->required();
  AddFieldFlags(a, *add, true);
  a->add_flag("--password-stdin,--token-stdin", add->password_stdin, kStdinHelp);
  auto show = std::make_shared<std::string>();
  r.Command(g, "show", "Show a registry, its verified state and last error (the token is never shown)",
            "wharf registry show ghcr", Scope::kOrg, [show](Env& env) { return Show(env, *show); })
      ->add_option("registry", *show, "Registry name or id")
      ->required();
  auto edit = std::make_shared<RegistryFlags>();
  CLI::App* e = r.Command(g, "edit", "Change a registry; a new host, username or token clears 'verified'",
                          "wharf registry edit ghcr --password-prompt   # replace the token", Scope::kOrg,
                          [edit](Env& env) { return Edit(env, *edit); });
  e->add_option("registry", edit->ref, "Registry name or id")->required();
  e->add_option("--name", edit->name, "New name");
  AddFieldFlags(e, *edit, false);
  e->add_flag("--password-stdin,--token-stdin", edit->password_stdin, "Replace the token with the first line of stdin");
  e->add_flag("--password-prompt,--token-prompt", edit->password_prompt, "Replace the token: ask for it without echo");
  auto verify = std::make_shared<RegistryFlags>();
  CLI::App* v = r.Command(g, "verify", "Check pull access to an image over the Registry v2 API and record the outcome (exit 1 if a check fails)",
                          "wharf registry verify ghcr --image ghcr.io/acme/api:1.4", Scope::kOrg,
                          [verify](Env& env) { return Verify(env, *verify); });
  v->add_option("registry", verify->ref, "Registry name or id")->required();
  v->add_option("--image", verify->image, "The image to check, e.g. ghcr.io/acme/api:1.4 or nginx")->required();
  auto test = std::make_shared<RegistryFlags>();
  CLI::App* t = r.Command(g, "test", "Run the verify checks on unsaved settings (nothing is saved; exit 1 if a check fails)",
                          "wharf registry test --host ghcr.io --username octocat --image ghcr.io/acme/api:1.4", Scope::kOrg,
                          [test](Env& env) { return Test(env, *test); });
  AddFieldFlags(t, *test, true);
  t->add_option("--image", test->image, "The image to check pull access to")->required();
  t->add_flag("--password-stdin,--token-stdin", test->password_stdin, kStdinHelp);
  auto rm = std::make_shared<std::string>();
  r.Command(g, "remove", "Remove a registry credential", "wharf registry remove ghcr", Scope::kOrg,
            [rm](Env& env) { return Remove(env, *rm); })
      ->alias("delete")
      ->add_option("registry", *rm, "Registry name or id")
      ->required();
}

}  // namespace wharf::cli
