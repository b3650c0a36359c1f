// wharf account show | rename | password | email | sessions | sign-out | delete, and the
// signed-out forgot-password and reset-password: the account itself (docs/account.md).
#include <unistd.h>

#include "cli/command.h"
#include "cli/prompt.h"

namespace wharf::cli {

using nlohmann::json;

namespace {

// A password from the next line of stdin (--password-stdin) or a prompt that does not echo.
Result<SecretBytes> ReadPassword(bool from_stdin, const std::string& prompt) {
  if (from_stdin || !::isatty(STDIN_FILENO)) return ReadSecretLine(stdin);
  return PromptPassword(prompt);
}

// Sends `body` (holding passwords) and wipes the JSON copies of every string field afterwards.
Result<json> SendSecret(ApiClient& api, const std::string& method, const std::string& path, json body) {
  auto r = api.Call(method, path, body);
  for (auto& [k, v] : body.items())
    if (v.is_string()) {
      std::string& s = v.get_ref<std::string&>();
      std::fill(s.begin(), s.end(), '\0');
    }
  return r;
}

std::string View(const SecretBytes& s) { return std::string(s.view()); }

struct PasswordFlags {
  bool password_stdin = false;
  bool yes = false;
  bool others = false;
  std::string arg, url;
};

Status AccountShow(Env& env) {
  WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
  WHARF_ASSIGN_OR_RETURN(json me, api->Get("/api/v1/me"));
  const json& u = me["user"];
  Table t{{"EMAIL", "NAME", "VERIFIED", "ORGS", "ID"}, {}};
  std::string orgs;
  for (const json& o : me.value("orgs", json::array()))
    orgs += (orgs.empty() ? "" : " ") + o.value("slug", "") + (o.value("owner", false) ? "(owner)" : "");
  t.rows.push_back({u.value("email", ""), u.value("name", ""), u.value("email_verified", true) ? "yes" : "no", orgs,
                    u.value("id", "")});
  env.Print(me, t);
  return Ok();
}

Status AccountRename(Env& env, const std::string& name) {
  WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
  WHARF_ASSIGN_OR_RETURN(json u, api->Patch("/api/v1/me", {{"name", name}}));
  env.Done(u, "Your name is now " + u.value("name", "") + ".");
  return Ok();
}

Status AccountPassword(Env& env, const PasswordFlags& f) {
  WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
  // With --password-stdin: the current password on the first line, the new one on the second.
  WHARF_ASSIGN_OR_RETURN(SecretBytes current, ReadPassword(f.password_stdin, "Current password: "));
  WHARF_ASSIGN_OR_RETURN(SecretBytes next, ReadPassword(f.password_stdin, "New password: "));
  if (!f.password_stdin && ::isatty(STDIN_FILENO)) {
    WHARF_ASSIGN_OR_RETURN(SecretBytes again, PromptPassword("New password again: "));
    if (again.view() != next.view()) return UsageError("The two new passwords differ; nothing was changed.");
  }
  WHARF_TRY(SendSecret(*api, "POST", "/api/v1/me/password",
                       {{"current_password", View(current)}, {"new_password", View(next)}}));
  env.Done(json{{"changed", true}}, "Password changed. Every other session of your account was signed out.");
  return Ok();
}

Status AccountEmail(Env& env, const PasswordFlags& f) {
  WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
  WHARF_ASSIGN_OR_RETURN(SecretBytes pw, ReadPassword(f.password_stdin, "Password: "));
  WHARF_ASSIGN_OR_RETURN(json r, SendSecret(*api, "POST", "/api/v1/me/email", {{"email", f.arg}, {"password", View(pw)}}));
  env.Done(r, "Open the link sent to " + f.arg + " to finish the change; your current address was told.");
  return Ok();
}

Status AccountSessions(Env& env) {
  WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
  WHARF_ASSIGN_OR_RETURN(json r, api->Get("/api/v1/me/sessions"));
  Table t{{"", "CREATED", "LAST USED", "IP", "USER AGENT", "ID"}, {}};
  for (const json& s : r.value("items", json::array()))
    t.rows.push_back({s.value("current", false) ? "*" : "", Cell(s.value("created_at", json())),
                      Cell(s.value("last_used_at", json())), s.value("ip", ""), s.value("user_agent", ""),
                      s.value("id", "")});
  env.Print(r["items"], t, "No active sessions.");
  return Ok();
}

Status AccountSignOut(Env& env, const PasswordFlags& f) {
  if (f.others == !f.arg.empty()) return UsageError("Name one session id, or pass --others (not both).");
  WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
  if (f.others) {
    WHARF_ASSIGN_OR_RETURN(json r, api->Delete("/api/v1/me/sessions"));
    env.Done(r, "Signed out " + std::to_string(r.value("ended", 0)) + " other session(s).");
    return Ok();
  }
  WHARF_TRY(api->Delete("/api/v1/me/sessions/" + EncodeComponent(f.arg)));
  env.Done(json{{"ended", f.arg}}, "Signed out session " + f.arg + ".");
  return Ok();
}

Status AccountDelete(Env& env, const PasswordFlags& f) {
  if (!f.yes) return UsageError("Deleting your account cannot be undone: pass --yes to confirm.");
  WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
  WHARF_ASSIGN_OR_RETURN(SecretBytes pw, ReadPassword(f.password_stdin, "Password: "));
  WHARF_TRY(SendSecret(*api, "DELETE", "/api/v1/me", {{"password", View(pw)}}));
  env.Done(json{{"deleted", true}}, "Your account was deleted. Remove its context with `wharf logout`.");
  return Ok();
}

Status ForgotPassword(Env& env, const PasswordFlags& f) {
  std::string url = f.url;
  if (url.empty())
    if (auto ctx = env.context(); ctx && *ctx) url = (*ctx)->url;
  if (url.empty()) return UsageError("Pass --url URL: the address of your Wharf.");
  ApiClient anon(url, "");
  WHARF_ASSIGN_OR_RETURN(json r, anon.Post("/api/v1/auth/password-reset", {{"email", f.arg}}));
  env.Done(r, "If " + f.arg + " has an account, a reset link is on its way (it works once, for one hour).");
  return Ok();
}

Status ResetPassword(Env& env, const PasswordFlags& f) {
  // The link as mailed or printed by the operator: <url>/reset-password/<token>.
  const std::string marker = "/reset-password/";
  const size_t at = f.arg.find(marker);
  if (at == std::string::npos || at == 0) return UsageError("Pass the whole link: https://…/reset-password/whr_…");
  const std::string url = f.arg.substr(0, at), token = f.arg.substr(at + marker.size());
  WHARF_ASSIGN_OR_RETURN(SecretBytes next, ReadPassword(f.password_stdin, "New password: "));
  ApiClient anon(url, "");
  WHARF_TRY(SendSecret(anon, "POST", "/api/v1/auth/password-reset/" + EncodeComponent(token),
                       {{"new_password", View(next)}}));
  env.Done(json{{"reset", true}}, "Password set; every session of the account was signed out. Sign in with "
                                  "`wharf login " + url + "`.");
  return Ok();
}

}  // namespace

void AddAccountCommands(Registry& r) {
  CLI::App* g = r.Group("account", "Your own account: name, password, email, sessions, deleting it",
                        "wharf account password");
  r.Command(g, "show", "Your account: email, name, whether the address is verified, orgs", "wharf account show",
            Scope::kUser, [](Env& env) { return AccountShow(env); });
  auto name = std::make_shared<std::string>();
  r.Command(g, "rename", "Change your name", "wharf account rename 'Ada Lovelace'", Scope::kUser,
            [name](Env& env) { return AccountRename(env, *name); })
      ->add_option("name", *name, "The new name")
      ->required();
  auto f = std::make_shared<PasswordFlags>();
  auto stdin_flag = [&](CLI::App* c, const char* what) {
    c->add_flag("--password-stdin", f->password_stdin, what);
  };
  stdin_flag(r.Command(g, "password", "Change your password; every other session is signed out",
                       "printf '%s\\n%s\\n' \"$OLD\" \"$NEW\" | wharf account password --password-stdin", Scope::kUser,
                       [f](Env& env) { return AccountPassword(env, *f); }),
             "Read the current password, then the new one, from the first two lines of stdin");
  CLI::App* email = r.Command(g, "email", "Change your email: confirm through the link sent to the new address",
                              "wharf account email ada@new.example", Scope::kUser,
                              [f](Env& env) { return AccountEmail(env, *f); });
  email->add_option("email", f->arg, "The new address")->required();
  stdin_flag(email, "Read your password from the first line of stdin");
  r.Command(g, "sessions", "Your active sessions (* marks this one)", "wharf account sessions", Scope::kUser,
            [](Env& env) { return AccountSessions(env); });
  CLI::App* out = r.Command(g, "sign-out", "End one session, or every other one", "wharf account sign-out --others",
                            Scope::kUser, [f](Env& env) { return AccountSignOut(env, *f); });
  out->add_option("session", f->arg, "A session id from `wharf account sessions`");
  out->add_flag("--others", f->others, "Every session but this one");
  CLI::App* del = r.Command(g, "delete", "Delete your account (refused while you own an organisation)",
                            "wharf account delete --yes", Scope::kUser, [f](Env& env) { return AccountDelete(env, *f); });
  del->add_flag("--yes", f->yes, "Confirm: this cannot be undone");
  stdin_flag(del, "Read your password from the first line of stdin");
  CLI::App* forgot = r.Command(g, "forgot-password", "Ask for a password-reset link by email (signed out)",
                               "wharf account forgot-password ada@example.com --url https://wharf.example.com",
                               Scope::kLocal, [f](Env& env) { return ForgotPassword(env, *f); });
  forgot->add_option("email", f->arg, "Your account's address")->required();
  forgot->add_option("--url", f->url, "The address of your Wharf (default: the current context's)");
  CLI::App* reset = r.Command(g, "reset-password", "Set a new password with a reset link (signed out)",
                              "wharf account reset-password https://wharf.example.com/reset-password/whr_…",
                              Scope::kLocal, [f](Env& env) { return ResetPassword(env, *f); });
  reset->add_option("link", f->arg, "The link from the email, or from `wharf admin reset-password`")->required();
  stdin_flag(reset, "Read the new password from the first line of stdin");
}

}  // namespace wharf::cli
