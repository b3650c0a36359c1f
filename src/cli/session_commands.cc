// wharf login | logout | context | whoami: signing in and choosing where commands go.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "base/strings.h"
#include "cli/web_login.h"
#include "cli/command.h"
#include "cli/prompt.h"

namespace wharf::cli {

using nlohmann::json;

namespace {

std::string ContextNameFor(const std::string& url);
std::string PickOrg(const json& me, const std::string& wanted, const std::string& previous);

}  // namespace

Result<SignIn> SaveSignIn(Env& env, const std::string& url, const std::string& token, const std::string& org,
                          const std::string& context) {
  WHARF_ASSIGN_OR_RETURN(Config * cfg, env.config());
  ApiClient api(url, token);
  WHARF_ASSIGN_OR_RETURN(json me, api.Get("/api/v1/me"));
  std::string name = context;
  if (name.empty() && !env.flags().context.empty()) name = env.flags().context;
  if (name.empty()) {
    for (const auto& c : cfg->contexts)
      if (c.url == url) name = c.name;
  }
  if (name.empty()) name = ContextNameFor(url);
  Context* old = cfg->Find(name);
  Context ctx;
  ctx.name = name;
  ctx.url = url;
  ctx.token = token;
  ctx.email = me["user"].value("email", "");
  ctx.org = PickOrg(me, org, old ? old->org : "");
  cfg->Upsert(ctx);
  cfg->current = name;
  WHARF_TRY(env.SaveConfig());
  return SignIn{name, ctx.org, std::move(me)};
}

namespace {

struct LoginFlags {
  std::string url, token, email, org, name;
  bool password_stdin = false, token_stdin = false, web = false;
};

std::string NormalizeUrl(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

// "127.0.0.1:8080" for "http://127.0.0.1:8080/": the default name of a new context.
std::string ContextNameFor(const std::string& url) {
  auto p = url.find("://");
  std::string rest = p == std::string::npos ? url : url.substr(p + 3);
  return rest.substr(0, rest.find('/'));
}

// The org a fresh sign-in should default to: the wanted one, else the previous default if still a
// member, else the first org the user owns, else the first one.
std::string PickOrg(const json& me, const std::string& wanted, const std::string& previous) {
  if (!me.contains("orgs") || !me["orgs"].is_array()) return wanted;
  const json& orgs = me["orgs"];
  auto has = [&](const std::string& slug) {
    for (const json& o : orgs)
      if (o.value("slug", "") == slug) return true;
    return false;
  };
  if (!wanted.empty()) return wanted;
  if (!previous.empty() && has(previous)) return previous;
  for (const json& o : orgs)
    if (o.value("owner", false)) return o.value("slug", "");
  return orgs.empty() ? "" : orgs[0].value("slug", "");
}

Status Login(Env& env, const LoginFlags& f) {
  WHARF_ASSIGN_OR_RETURN(Config * cfg, env.config());
  // A --context that does not exist yet is the name of the context this login creates.
  WHARF_ASSIGN_OR_RETURN(std::string current_name, env.context_name());
  Context* current = cfg->Find(current_name);
  std::string url = f.url;
  if (url.empty()) {
    if (const char* v = std::getenv("WHARF_URL"); v && *v) url = v;
  }
  if (url.empty() && current) url = current->url;
  if (url.empty()) return UsageError("Give the server's URL: `wharf login https://wharf.example.com`.");
  url = NormalizeUrl(url);
  if (!StartsWith(url, "http://") && !StartsWith(url, "https://"))
    return UsageError("The URL must start with http:// or https://, e.g. https://wharf.example.com");

  if (f.token_stdin && (!f.token.empty() || !f.email.empty() || f.password_stdin))
    return UsageError("--token-stdin signs in with a token alone: drop --token, --email and --password-stdin.");
  if (f.web && (f.token_stdin || !f.token.empty() || !f.email.empty() || f.password_stdin))
    return UsageError("--web signs in through the browser: drop --token, --token-stdin, --email and --password-stdin.");
  std::string token = f.token;
  if (f.web) {
    WHARF_ASSIGN_OR_RETURN(token, WebLogin(url, env.err()));
  }
  if (!token.empty())
    env.err() << "wharf: warning: --token is visible to every user of this machine (ps) and stays in your shell "
                 "history; prefer --token-stdin or WHARF_TOKEN.\n";
  if (f.token_stdin) {
    // On a terminal: a prompt without echo. Otherwise: the first line of stdin (a pipe or file).
    auto t = ::isatty(STDIN_FILENO) ? PromptPassword("Token: ") : ReadSecretLine(stdin);
    if (!t || t->empty())
      return UsageError("--token-stdin read no token; pipe it in: `wharf login URL --token-stdin < token.txt`.");
    token.assign(t->view());
  }
  if (token.empty() && f.email.empty() && !f.password_stdin) {
    if (const char* v = std::getenv("WHARF_TOKEN"); v && *v) token = v;
  }
  if (token.empty()) {
    std::string email = f.email;
    if (email.empty()) {
      WHARF_ASSIGN_OR_RETURN(email, PromptLine("Email: "));
    }
    SecretBytes password;
    if (f.password_stdin) {
      WHARF_ASSIGN_OR_RETURN(password, ReadSecretLine(stdin));
    } else {
      WHARF_ASSIGN_OR_RETURN(password, PromptPassword("Password: "));
    }
    ApiClient anon(url, "");
    json body = {{"email", email}, {"password", std::string(password.view())}};
    auto r = anon.Post("/api/v1/auth/login", body);
    // The JSON copy of the password is overwritten before the body is freed.
    std::string& pw = body["password"].get_ref<std::string&>();
    std::fill(pw.begin(), pw.end(), '\0');
    if (!r) return Err(r.error());
    if (r->value("second_factor_required", false)) {
      // The account has a second factor: a code from the authenticator app, or a recovery code
      // (with --password-stdin, the line after the password).
      SecretBytes code;
      if (f.password_stdin) {
        WHARF_ASSIGN_OR_RETURN(code, ReadSecretLine(stdin));
      } else {
        WHARF_ASSIGN_OR_RETURN(code, PromptPassword("Authentication code (or a recovery code): "));
      }
      std::string typed(Trim(code.view()));
      const bool digits = !typed.empty() && typed.find_first_not_of("0123456789 ") == std::string::npos;
      json second = {{"challenge", r->value("challenge", "")}, {digits ? "totp_code" : "recovery_code", typed}};
      std::fill(typed.begin(), typed.end(), '\0');
      auto r2 = anon.Post("/api/v1/auth/login/second-factor", second);
      std::string& sent = second[digits ? "totp_code" : "recovery_code"].get_ref<std::string&>();
      std::fill(sent.begin(), sent.end(), '\0');
      if (!r2) return Err(r2.error());
      r = std::move(r2);
    }
    token = r->value("token", "");
    if (token.empty()) return Err(ErrorCode::kInternal, "The server's login answer has no token; is this a Wharf server?");
  }

  WHARF_ASSIGN_OR_RETURN(SignIn in, SaveSignIn(env, url, token, f.org, f.name));
  json out = {{"context", in.context}, {"url", url}, {"user", in.me["user"]}, {"org", in.org.empty() ? json(nullptr) : json(in.org)}};
  env.Done(out, "Signed in to " + url + " as " + in.me["user"].value("email", "") + " (context " + in.context +
                    (in.org.empty() ? "" : ", org " + in.org) + ").");
  return Ok();
}

Status Logout(Env& env, bool all) {
  WHARF_ASSIGN_OR_RETURN(Context * ctx, env.context());
  if (!ctx || ctx->token.empty()) {
    env.Done(json{{"signed_out", false}}, "Not signed in; nothing to do.");
    return Ok();
  }
  ApiClient api(ctx->url, ctx->token);
  // Revoke the session on the server. An API token is not a session: it stays valid until
  // `wharf token revoke`, and an already expired session answers 401; either way forget it here.
  // --all revokes every session of this user (other machines, browsers), not only this one.
  auto r = api.Post(all ? "/api/v1/auth/logout-all" : "/api/v1/auth/logout");
  if (!r && r.error().code == ErrorCode::kUnavailable)
    env.err() << "wharf: the server was not reachable (" << r.error().message
              << "); the token is forgotten here but may still be valid there.\n";
  std::string name = ctx->name;
  ctx->token.clear();
  WHARF_TRY(env.SaveConfig());
  if (all && !r && r.error().code != ErrorCode::kUnavailable) {
    WHARF_TRY(env.SaveConfig());
    return Err(r.error());  // e.g. an API token (not a session) cannot sign out everywhere
  }
  env.Done(json{{"signed_out", true}, {"context", name}, {"all_sessions", all}},
           all ? "Signed out of " + name + " and every other session of " + ctx->email + "." : "Signed out of " + name + ".");
  return Ok();
}

json ContextJson(const Context& c, const std::string& current) {
  return {{"name", c.name},     {"url", c.url},
          {"email", c.email},   {"org", c.org.empty() ? json(nullptr) : json(c.org)},
          {"current", c.name == current}, {"signed_in", !c.token.empty()}};
}

Status ContextList(Env& env) {
  WHARF_ASSIGN_OR_RETURN(Config * cfg, env.config());
  WHARF_ASSIGN_OR_RETURN(std::string current, env.context_name());
  json items = json::array();
  Table t{{"CURRENT", "NAME", "URL", "USER", "ORG", "SIGNED IN"}, {}};
  for (const auto& c : cfg->contexts) {
    items.push_back(ContextJson(c, current));
    t.rows.push_back({c.name == current ? "*" : "", c.name, c.url, c.email, c.org, c.token.empty() ? "no" : "yes"});
  }
  env.Print(items, t, "No contexts yet. Sign in with `wharf login URL`.");
  return Ok();
}

Status ContextUse(Env& env, const std::string& name) {
  WHARF_ASSIGN_OR_RETURN(Config * cfg, env.config());
  Context* c = cfg->Find(name);
  if (!c) return UsageError("There is no context named '" + name + "'; see `wharf context list`.");
  cfg->current = name;
  WHARF_TRY(env.SaveConfig());
  env.Done(ContextJson(*c, name), "Now using context " + name + " (" + c->url + ").");
  return Ok();
}

Status ContextCurrent(Env& env) {
  WHARF_ASSIGN_OR_RETURN(Context * c, env.context());
  if (!c) return Err(Error{ErrorCode::kUnauthenticated, "No context is selected. Run `wharf login URL`.", "local",
                           Layer::kNone, json::object()});
  env.Done(ContextJson(*c, c->name), c->name);
  return Ok();
}

Status ContextDelete(Env& env, const std::string& name) {
  WHARF_ASSIGN_OR_RETURN(Config * cfg, env.config());
  if (!cfg->Remove(name)) return UsageError("There is no context named '" + name + "'; see `wharf context list`.");
  WHARF_TRY(env.SaveConfig());
  env.Done(json{{"deleted", name}}, "Deleted context " + name + ". (Its token was not revoked; use `wharf logout` for that.)");
  return Ok();
}

Status Whoami(Env& env) {
  WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
  WHARF_ASSIGN_OR_RETURN(json me, api->Get("/api/v1/me"));
  if (env.format() != Format::kTable) {
    env.Print(me, {});
    return Ok();
  }
  const json& u = me["user"];
  env.out() << u.value("email", "") << " (" << u.value("name", "") << ", id " << u.value("id", "") << ")"
            << (u.value("instance_admin", false) ? ", instance administrator" : "") << "\n";
  env.out() << "Server: " << api->base_url() << "\n\n";
  Table t{{"ORG", "NAME", "ROLE", "OWNER"}, {}};
  for (const json& o : me["orgs"])
    t.rows.push_back({o.value("slug", ""), o.value("name", ""), o["role"].value("name", ""), o.value("owner", false) ? "yes" : ""});
  env.Print(me, t, "Not a member of any organisation.");
  return Ok();
}

}  // namespace

void AddSessionCommands(Registry& r) {
  {
    auto f = std::make_shared<LoginFlags>();
    CLI::App* c = r.Command(nullptr, "login", "Sign in to a Wharf server and save it as a context",
                            "wharf login https://wharf.example.com   # prompts for email and password\n"
                            "  wharf login https://wharf.example.com --web   # signs in through the browser\n"
                            "  wharf login https://wharf.example.com --token-stdin --context ci < token.txt",
                            Scope::kLocal, [f](Env& env) { return Login(env, *f); });
    c->add_option("url", f->url, "Server URL (default: WHARF_URL or the current context's)");
    c->add_option("--token", f->token,
                  "Use this session or API token instead of a password; visible in ps and shell history, so "
                  "prefer --token-stdin or WHARF_TOKEN");
    c->add_flag("--token-stdin", f->token_stdin,
                "Read the token from the first line of stdin (prompts without echo on a terminal)");
    c->add_option("--email", f->email, "Email to sign in with (default: prompt)");
    c->add_flag("--password-stdin", f->password_stdin, "Read the password from the first line of stdin");
    c->add_flag("--web", f->web,
                "Sign in through the browser (password and second factor, passkey or single sign-on); the CLI "
                "receives the result on a 127.0.0.1 port");
    c->add_option("--org", f->org, "Default organisation for this context (default: the one you own)");
    c->add_option("--name", f->name, "Name of the context to save (default: --context, or the server's host:port)");
  }
  {
    auto all = std::make_shared<bool>(false);
    r.Command(nullptr, "logout", "Sign out: revoke the session and forget the token",
              "wharf logout --context prod\n  wharf logout --all   # also every browser and machine signed in as you",
              Scope::kLocal, [all](Env& env) { return Logout(env, *all); })
        ->add_flag("--all", *all, "Revoke every session of your account, everywhere");
  }
  {
    CLI::App* g = r.Group("context", "Saved sign-ins (in ~/.config/wharf/config.toml)", "wharf context use prod");
    r.Command(g, "list", "List saved contexts", "wharf context list -o json", Scope::kLocal,
              [](Env& env) { return ContextList(env); });
    auto name = std::make_shared<std::string>();
    r.Command(g, "use", "Make a context the current one", "wharf context use prod", Scope::kLocal,
              [name](Env& env) { return ContextUse(env, *name); })
        ->add_option("name", *name, "Context name")
        ->required();
    r.Command(g, "current", "Print the current context", "wharf context current", Scope::kLocal,
              [](Env& env) { return ContextCurrent(env); });
    auto del = std::make_shared<std::string>();
    r.Command(g, "delete", "Forget a saved context", "wharf context delete old-staging", Scope::kLocal,
              [del](Env& env) { return ContextDelete(env, *del); })
        ->add_option("name", *del, "Context name")
        ->required();
  }
  r.Command(nullptr, "whoami", "Show the signed-in user and their organisations", "wharf whoami -o json",
            Scope::kUser, [](Env& env) { return Whoami(env); });
}

}  // namespace wharf::cli
