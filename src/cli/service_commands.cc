// wharf service list | show | create git|image|database | update | delete | domains … |
// reveal-credentials, and wharf env list | set | unset | regenerate (docs/applications.md).
// A service is named by its id (svc_…) or by its name with --app APP. Variable values are sent
// exactly as typed: `{{ secret(32) }}` and `{{ db.DATABASE_URL }}` are expanded by the server, never
// by the CLI, and what the server generated is shown only by an explicit, confirmed reveal.
#include <algorithm>
#include <cctype>

#include "cli/command.h"
#include "cli/prompt.h"

namespace wharf::cli {

using nlohmann::json;

namespace {

std::string Str(const json& j, const char* k) { return j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : ""; }

std::string Source(const json& s) {
  const std::string type = Str(s, "type");
  if (type == "database" && s.contains("database"))
    return Str(s["database"], "engine") + (Str(s["database"], "version").empty() ? "" : " " + Str(s["database"], "version"));
  if (type == "docker") return Str(s, "image");
  std::string ref = Str(s, "branch").empty() ? Str(s, "tag") : Str(s, "branch");
  return Str(s, "repository") + (ref.empty() ? "" : "@" + ref);
}

std::string DefaultDomain(const json& s) {
  if (s.contains("domains") && s["domains"].is_array())
    for (const json& d : s["domains"])
      if (d.value("default", false)) return Str(d, "hostname");
  return "";
}

Table ServiceTable(const std::vector<json>& items) {
  Table t{{"NAME", "TYPE", "STATUS", "SOURCE", "DOMAIN", "ID"}, {}};
  for (const json& s : items)
    t.rows.push_back({Str(s, "name"), Str(s, "type"), Str(s, "status"), Source(s), DefaultDomain(s), Str(s, "id")});
  return t;
}

// Variables as the API shows them: the template as written, what secret() generated only as its
// length, and the resolved value only in a revealed listing.
Table VariableTable(const json& items, bool revealed) {
  Table t{{"KEY", "VALUE", "SECRETS", "REFERENCES"}, {}};
  if (revealed) t.headers.push_back("RESOLVED");
  for (const json& v : items) {
    std::string secrets, refs;
    for (const json& s : v.value("secrets", json::array()))
      secrets += (secrets.empty() ? "" : ", ") + std::string("secret(") + Cell(s.value("length", json())) + ") set";
    for (const json& r : v.value("references", json::array())) refs += (refs.empty() ? "" : ", ") + Cell(r);
    std::string value = Str(v, "value");
    for (char& c : value)
      if (c == '\n') c = ' ';
    std::vector<std::string> row{Str(v, "key"), value, secrets, refs};
    if (revealed) row.push_back(Str(v, "resolved"));
    t.rows.push_back(std::move(row));
  }
  return t;
}

Table DomainTable(const json& items) {
  Table t{{"HOSTNAME", "DEFAULT", "LETSENCRYPT"}, {}};
  for (const json& d : items)
    t.rows.push_back({Str(d, "hostname"), d.value("default", false) ? "yes" : "", d.value("letsencrypt", false) ? "yes" : "no"});
  return t;
}

struct ServiceRef {
  std::string ref, app;
};

void AddRefArgs(CLI::App* c, ServiceRef& r) {
  c->add_option("service", r.ref, "Service id (svc_…), or its name with --app")->required();
  c->add_option("--app", r.app, "The application (name or id) when SERVICE is a name");
}

Result<std::string> ServicePath(Env& env, const json& svc, const std::string& suffix) {
  return env.OrgPath("/services/" + EncodeComponent(Str(svc, "id")) + suffix);
}

// ---- variables from arguments and .env files ----

bool ValidKey(std::string_view k) {
  if (k.empty() || k.size() > 128 || std::isdigit(static_cast<unsigned char>(k[0]))) return false;
  for (char c : k)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  return true;
}

// KEY=VALUE → {key, value}. The error never repeats the value (it may be a secret).
Result<std::pair<std::string, std::string>> ParseAssignment(const std::string& arg, const std::string& where) {
  size_t eq = arg.find('=');
  if (eq == std::string::npos)
    return UsageError(where + " is not KEY=VALUE (to remove a variable use `wharf env unset SERVICE KEY`).");
  std::string key = arg.substr(0, eq);
  if (!ValidKey(key))
    return UsageError(where + ": the key must be an environment variable name ([A-Za-z_][A-Za-z0-9_]*, at most 128).");
  return std::pair{key, arg.substr(eq + 1)};
}

// A .env file: KEY=VALUE lines, `export ` prefixes, # comments and blank lines skipped; a value in
// double quotes understands \n, \" and \\; one in single quotes is taken literally.
Result<std::vector<std::pair<std::string, std::string>>> ParseDotEnv(const std::string& text, const std::string& file) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t pos = 0;
  int line_no = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    std::string line = text.substr(pos, nl - pos);
    pos = nl + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    size_t b = line.find_first_not_of(" \t");
    if (b == std::string::npos || line[b] == '#') continue;
    line = line.substr(b);
    const std::string where = file + ":" + std::to_string(line_no);
    if (line.starts_with("export ")) {
      size_t k = line.find_first_not_of(' ', 7);
      if (k == std::string::npos) return UsageError(where + " is not KEY=VALUE.");
      line = line.substr(k);
    }
    WHARF_ASSIGN_OR_RETURN(auto kv, ParseAssignment(line, where));
    std::string& v = kv.second;
    if (v.size() >= 2 && v.front() == '\'' && v.back() == '\'') {
      v = v.substr(1, v.size() - 2);
    } else if (v.size() >= 2 && v.front() == '"' && v.back() == '"') {
      std::string d;
      for (size_t i = 1; i + 1 < v.size(); ++i) {
        if (v[i] == '\\' && i + 2 < v.size()) {
          char n = v[++i];
          d += n == 'n' ? '\n' : n == 't' ? '\t' : n;
        } else {
          d += v[i];
        }
      }
      v = std::move(d);
    } else if (v.size() == 1 && (v[0] == '"' || v[0] == '\'')) {
      return UsageError(where + ": an unterminated quote.");
    }
    out.push_back(std::move(kv));
  }
  return out;
}

Result<json> GetVariables(Env& env, const json& svc, bool reveal) {
  WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
  WHARF_ASSIGN_OR_RETURN(std::string path, ServicePath(env, svc, reveal ? "/variables?reveal=true" : "/variables"));
  WHARF_ASSIGN_OR_RETURN(json j, api->Get(path));
  return j.value("items", json::array());
}

Result<json> PutVariables(Env& env, const json& svc, const json& vars) {
  WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
  WHARF_ASSIGN_OR_RETURN(std::string path, ServicePath(env, svc, "/variables"));
  WHARF_ASSIGN_OR_RETURN(json j, api->Call("PUT", path, json{{"variables", vars}}));
  return j.value("items", json::array());
}

// The current variables as {key, value} templates, in their order.
json AsTemplates(const json& items) {
  json out = json::array();
  for (const json& v : items) out.push_back({{"key", Str(v, "key")}, {"value", Str(v, "value")}});
  return out;
}

std::string Join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

// ---- service create / update flags ----

struct SourceFlags {
  std::optional<std::string> name, repository, branch, tag, git_provider, build_path, image, registry, engine, version;
  std::optional<int64_t> port;
  std::vector<std::string> ports;
  CLI::Option* ports_opt = nullptr;
  std::vector<std::string> env;
  std::string env_file;
};

void AddGitFlags(CLI::App* c, SourceFlags& f, bool required) {
  auto* repo = c->add_option("--repository", f.repository, "owner/name with --git-provider, or a public https:// clone URL");
  if (required) repo->required();
  c->add_option("--branch", f.branch, "The branch to deploy");
  c->add_option("--tag", f.tag, "A tag to deploy instead of a branch");
  c->add_option("--git-provider", f.git_provider, "A git provider (name or id) whose credential clones it");
  c->add_option("--build-path", f.build_path, "The directory to build, relative to the repository root");
  c->add_option("--port", f.port, "The port the app listens on (1-65535)");
}

void AddImageFlags(CLI::App* c, SourceFlags& f, bool required) {
  auto* img = c->add_option("--image", f.image, "The image, as docker pull takes it (ghcr.io/acme/web:1.4)");
  if (required) img->required();
  c->add_option("--registry", f.registry, "A Docker registry credential (name or id) to pull it with");
  f.ports_opt = c->add_option("--port-map", f.ports, "A Dokku port mapping such as http:80:5000 (repeat for more)")
                    ->allow_extra_args(false);
}

void AddEnvFlags(CLI::App* c, SourceFlags& f) {
  c->add_option("-e,--env", f.env, "A variable KEY=VALUE, sent verbatim ({{ secret(32) }}, {{ db.DATABASE_URL }}); repeat")
      ->allow_extra_args(false);
  c->add_option("--env-file", f.env_file, "Variables from a .env file (- = stdin)");
}

// The API body for the flags that were given.
Result<json> SourceBody(Env& env, const SourceFlags& f) {
  json body = json::object();
  for (auto [v, field] : {std::pair{&f.name, "name"}, {&f.repository, "repository"}, {&f.branch, "branch"}, {&f.tag, "tag"},
                          {&f.build_path, "build_path"}, {&f.image, "image"}, {&f.version, "version"}})
    if (*v) body[field] = **v;
  if (f.engine) body["engine"] = *f.engine;
  if (f.port) body["port"] = *f.port;
  if (f.ports_opt && f.ports_opt->count() > 0) body["ports"] = f.ports;
  if (f.git_provider) {
    WHARF_ASSIGN_OR_RETURN(auto items, env.ListOrg("/git-providers"));
    WHARF_ASSIGN_OR_RETURN(json p, FindRow(items, *f.git_provider, "/id", "/name", "git provider", "wharf git-provider list"));
    body["git_provider_id"] = Str(p, "id");
  }
  if (f.registry) {
    WHARF_ASSIGN_OR_RETURN(auto items, env.ListOrg("/docker-registries"));
    WHARF_ASSIGN_OR_RETURN(json p, FindRow(items, *f.registry, "/id", "/name", "docker registry", "wharf registry list"));
    body["docker_registry_id"] = Str(p, "id");
  }
  json vars = json::array();
  if (!f.env_file.empty()) {
    WHARF_ASSIGN_OR_RETURN(std::string text, ReadFileArg(f.env_file, "--env-file"));
    WHARF_ASSIGN_OR_RETURN(auto kvs, ParseDotEnv(text, f.env_file));
    for (auto& [k, v] : kvs) vars.push_back({{"key", k}, {"value", v}});
  }
  for (size_t i = 0; i < f.env.size(); ++i) {
    WHARF_ASSIGN_OR_RETURN(auto kv, ParseAssignment(f.env[i], "--env #" + std::to_string(i + 1)));
    vars.push_back({{"key", kv.first}, {"value", kv.second}});
  }
  if (!vars.empty()) body["variables"] = vars;
  return body;
}

Status Confirmed(bool yes, const std::string& question) {
  if (yes) return Ok();
  WHARF_ASSIGN_OR_RETURN(bool ok, Confirm(question, "--yes"));
  if (!ok) return Err(ErrorCode::kValidationFailed, "Nothing was revealed.");
  return Ok();
}

void AddServiceGroup(Registry& r) {
  CLI::App* g = r.Group("service", "Services of an application: an app from git, a Docker image, a database",
                        "wharf service create git web --app shop --git-provider gitea --repository acme/shop --branch main --port 5000");

  auto lf = std::make_shared<std::string>();
  r.Command(g, "list", "List an application's services (services.read)", "wharf service list --app shop -o json", Scope::kOrg,
            [lf](Env& env) -> Status {
              WHARF_ASSIGN_OR_RETURN(json a, FindApplication(env, *lf, "/applications"));
              WHARF_ASSIGN_OR_RETURN(auto items, env.ListOrg("/applications/" + EncodeComponent(Str(a, "id")) + "/services"));
              env.Print(json(items), ServiceTable(items),
                        "No services in " + Str(a, "name") + ". Add one with `wharf service create git|image|database NAME --app " +
                            Str(a, "name") + " …`.");
              return Ok();
            })
      ->add_option("--app", *lf, "The application (name or id)")
      ->required();

  auto sf = std::make_shared<ServiceRef>();
  CLI::App* show = r.Command(g, "show", "Show a service, its domains and its variables (as templates)",
                             "wharf service show web --app shop", Scope::kOrg, [sf](Env& env) -> Status {
                               WHARF_ASSIGN_OR_RETURN(json s, FindService(env, sf->ref, sf->app));
                               env.Print(s, ServiceTable({s}));
                               if (env.format() != Format::kTable) return Ok();
                               if (s.contains("credentials"))
                                 env.out() << "Credentials: generated, never shown (wharf service reveal-credentials "
                                           << Str(s, "id") << ")\n";
                               if (s.contains("domains") && !s["domains"].empty()) {
                                 env.out() << "\n";
                                 env.Print(s["domains"], DomainTable(s["domains"]));
                               }
                               if (s.contains("variables") && !s["variables"].empty()) {
                                 env.out() << "\n";
                                 env.Print(s["variables"], VariableTable(s["variables"], false));
                               }
                               if (s.contains("unset_keys") && !s["unset_keys"].empty())
                                 env.out() << "\nUnset by the next deploy: "
                                           << Join(s["unset_keys"].get<std::vector<std::string>>()) << "\n";
                               return Ok();
                             });
  AddRefArgs(show, *sf);

  // create git | image | database
  CLI::App* create = r.Group("create", "Add a service: git, image or database",
                             "wharf service create database db --app shop --engine postgres --version 16", g);
  struct CreateFlags {
    std::string name, app;
    SourceFlags src;
  };
  auto add_create = [&r, create](const std::string& kind, const std::string& api_type, const std::string& desc,
                                 const std::string& example, auto add_flags) {
    auto cf = std::make_shared<CreateFlags>();
    CLI::App* c = r.Command(create, kind, desc, example, Scope::kOrg, [cf, api_type](Env& env) -> Status {
      WHARF_ASSIGN_OR_RETURN(json a, FindApplication(env, cf->app, "/applications"));
      WHARF_ASSIGN_OR_RETURN(json body, SourceBody(env, cf->src));
      body["name"] = cf->name;
      body["type"] = api_type;
      if (body.contains("engine")) {
        body["database"] = {{"engine", body["engine"]}};
        if (body.contains("version")) body["database"]["version"] = body["version"];
        body.erase("engine");
        body.erase("version");
      }
      WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
      WHARF_ASSIGN_OR_RETURN(std::string path, env.OrgPath("/applications/" + EncodeComponent(Str(a, "id")) + "/services"));
      WHARF_ASSIGN_OR_RETURN(json s, api->Post(path, body));
      env.Done(s, "Created " + Str(s, "type") + " service " + Str(s, "name") + " (" + Str(s, "id") + ") in " + Str(a, "name") +
                      ". Deploy it: wharf deploy " + Str(s, "name") + " --app " + Str(a, "name") + " --follow");
      return Ok();
    });
    c->add_option("name", cf->name, "Service name: 2-40 of a-z0-9- starting with a letter (the Dokku app's suffix)")->required();
    c->add_option("--app", cf->app, "The application (name or id)")->required();
    add_flags(c, cf->src);
    if (api_type != "database") AddEnvFlags(c, cf->src);
  };
  add_create("git", "app", "An app built from a git repository (services.create; gitProviders.read with --git-provider)",
             "wharf service create git web --app shop --git-provider gitea --repository acme/shop --branch main --port 5000 \\\n"
             "      --env 'DATABASE_URL={{ db.DATABASE_URL }}' --env 'SESSION_SECRET={{ secret(40) }}'",
             [](CLI::App* c, SourceFlags& f) { AddGitFlags(c, f, true); });
  add_create("image", "docker", "An app from a Docker image (services.create; dockerRegistries.read with --registry)",
             "wharf service create image api --app shop --image ghcr.io/acme/api:1.4 --registry ghcr --port-map http:80:5000",
             [](CLI::App* c, SourceFlags& f) { AddImageFlags(c, f, true); });
  add_create("database", "database", "A database with generated credentials: postgres, mysql, mariadb, mongo or redis",
             "wharf service create database db --app shop --engine postgres --version 16",
             [](CLI::App* c, SourceFlags& f) {
               c->add_option("--engine", f.engine, "postgres, mysql, mariadb, mongo or redis")->required();
               c->add_option("--version", f.version, "A supported major version (default: the current one)");
             });

  struct UpdateFlags {
    ServiceRef ref;
    SourceFlags src;
  };
  auto uf = std::make_shared<UpdateFlags>();
  CLI::App* u = r.Command(g, "update", "Change a service's settings; the next deploy applies them (services.update)",
                          "wharf service update web --app shop --branch release --port 8080", Scope::kOrg,
                          [uf](Env& env) -> Status {
                            WHARF_ASSIGN_OR_RETURN(json body, SourceBody(env, uf->src));
                            if (body.empty())
                              return UsageError("Nothing to change: give a flag such as --name, --branch or --image (see --help).");
                            WHARF_ASSIGN_OR_RETURN(json s, FindService(env, uf->ref.ref, uf->ref.app));
                            WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
                            WHARF_ASSIGN_OR_RETURN(std::string path, ServicePath(env, s, ""));
                            WHARF_ASSIGN_OR_RETURN(json out, api->Patch(path, body));
                            env.Print(out, ServiceTable({out}));
                            return Ok();
                          });
  AddRefArgs(u, uf->ref);
  u->add_option("--name", uf->src.name, "New name (refused while another service's variables refer to it)");
  AddGitFlags(u, uf->src, false);
  AddImageFlags(u, uf->src, false);
  u->add_option("--version", uf->src.version, "Database: another supported version");

  auto df = std::make_shared<ServiceRef>();
  CLI::App* del = r.Command(g, "delete", "Delete a service (destroy it on the node first: wharf deploy SERVICE --action destroy)",
                            "wharf service delete web --app shop", Scope::kOrg, [df](Env& env) -> Status {
                              WHARF_ASSIGN_OR_RETURN(json s, FindService(env, df->ref, df->app));
                              WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
                              WHARF_ASSIGN_OR_RETURN(std::string path, ServicePath(env, s, ""));
                              WHARF_TRY(api->Delete(path).map([](auto&&) {}));
                              env.Done(json{{"id", Str(s, "id")}, {"deleted", true}}, "Deleted service " + Str(s, "name") + ".");
                              return Ok();
                            });
  AddRefArgs(del, *df);

  struct RevealFlags {
    ServiceRef ref;
    bool yes = false;
  };
  auto rf = std::make_shared<RevealFlags>();
  CLI::App* rv = r.Command(g, "reveal-credentials",
                           "Show a database's generated user, password and URL (services.update; written to the audit log)",
                           "wharf service reveal-credentials db --app shop --yes -o json", Scope::kOrg,
                           [rf](Env& env) -> Status {
                             WHARF_ASSIGN_OR_RETURN(json s, FindService(env, rf->ref.ref, rf->ref.app));
                             WHARF_TRY(Confirmed(rf->yes, "Show the password of " + Str(s, "name") +
                                                              "? The reveal is recorded in the audit log."));
                             WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
                             WHARF_ASSIGN_OR_RETURN(std::string path, ServicePath(env, s, "/reveal-credentials"));
                             WHARF_ASSIGN_OR_RETURN(json c, api->Post(path));
                             Table t{{"FIELD", "VALUE"}, {}};
                             for (const char* k : {"engine", "host", "port", "name", "user", "password", "database_url"})
                               t.rows.push_back({k, Cell(c.value(k, json()))});
                             env.Print(c, t);
                             return Ok();
                           });
  AddRefArgs(rv, rf->ref);
  rv->add_flag("-y,--yes", rf->yes, "Do not ask for confirmation (needed when stdin is not a terminal)");

  // domains list | add | remove | default
  CLI::App* dg = r.Group("domains", "A service's domains (the next deploy applies them)",
                         "wharf service domains add web shop.example.com --app shop", g);
  auto dl = std::make_shared<ServiceRef>();
  CLI::App* dls = r.Command(dg, "list", "List the service's domains", "wharf service domains list web --app shop", Scope::kOrg,
                            [dl](Env& env) -> Status {
                              WHARF_ASSIGN_OR_RETURN(json s, FindService(env, dl->ref, dl->app));
                              WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
                              WHARF_ASSIGN_OR_RETURN(std::string path, ServicePath(env, s, "/domains"));
                              WHARF_ASSIGN_OR_RETURN(json d, api->Get(path));
                              json items = d.value("items", json::array());
                              env.Print(items, DomainTable(items), "No domains on " + Str(s, "name") + ".");
                              return Ok();
                            });
  AddRefArgs(dls, *dl);
  struct DomainFlags {
    ServiceRef ref;
    std::string host;
    bool no_letsencrypt = false, make_default = false;
  };
  auto domain_cmd = [&r, dg](const std::string& verb, const std::string& desc, const std::string& example, const std::string& method,
                             const std::string& suffix) {
    auto f = std::make_shared<DomainFlags>();
    CLI::App* c = r.Command(dg, verb, desc, example, Scope::kOrg, [f, method, suffix, verb](Env& env) -> Status {
      WHARF_ASSIGN_OR_RETURN(json s, FindService(env, f->ref.ref, f->ref.app));
      WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
      std::optional<json> body;
      std::string p = "/domains";
      if (verb == "add") {
        body = json{{"hostname", f->host}, {"letsencrypt", !f->no_letsencrypt}, {"default", f->make_default}};
      } else {
        p += "/" + EncodeComponent(f->host) + suffix;
      }
      WHARF_ASSIGN_OR_RETURN(std::string path, ServicePath(env, s, p));
      WHARF_ASSIGN_OR_RETURN(json d, api->Call(method, path, body));
      json items = d.value("items", json::array());
      env.Print(items, DomainTable(items), "No domains on " + Str(s, "name") + ".");
      return Ok();
    });
    AddRefArgs(c, f->ref);
    c->add_option("hostname", f->host, "The domain, e.g. shop.example.com")->required();
    if (verb == "add") {
      c->add_flag("--no-letsencrypt", f->no_letsencrypt, "Do not ask Let's Encrypt for a certificate");
      c->add_flag("--default", f->make_default, "Make it the default domain ({{ svc.DOMAIN }})");
    }
  };
  domain_cmd("add", "Add a domain (the first one is the default)", "wharf service domains add web shop.example.com --app shop",
             "POST", "");
  domain_cmd("remove", "Remove a domain", "wharf service domains remove web old.example.com --app shop", "DELETE", "");
  domain_cmd("default", "Make a domain the default ({{ svc.DOMAIN }})", "wharf service domains default web shop.example.com --app shop",
             "POST", "/default");
}

void AddEnvGroup(Registry& r) {
  CLI::App* g = r.Group("env", "A service's variables: set, unset, regenerate secrets (stored encrypted)",
                        "wharf env set web --app shop 'DATABASE_URL={{ db.DATABASE_URL }}' 'SESSION_SECRET={{ secret(40) }}' DEBUG=0");

  struct ListFlags {
    ServiceRef ref;
    bool reveal = false, yes = false;
  };
  auto lf = std::make_shared<ListFlags>();
  CLI::App* l = r.Command(g, "list", "List variables as written; generated secrets show only as their length",
                          "wharf env list web --app shop\n  wharf env list web --app shop --reveal --yes -o json", Scope::kOrg,
                          [lf](Env& env) -> Status {
                            WHARF_ASSIGN_OR_RETURN(json s, FindService(env, lf->ref.ref, lf->ref.app));
                            if (lf->reveal) {
                              WHARF_TRY(Confirmed(lf->yes, "Show the resolved values of " + Str(s, "name") +
                                                               "'s variables, secrets included? The reveal is recorded in the audit log."));
                            }
                            WHARF_ASSIGN_OR_RETURN(json items, GetVariables(env, s, lf->reveal));
                            env.Print(items, VariableTable(items, lf->reveal),
                                      "No variables on " + Str(s, "name") + ". Set some with `wharf env set " + Str(s, "name") +
                                          " --app APP KEY=VALUE …`.");
                            return Ok();
                          });
  AddRefArgs(l, lf->ref);
  l->add_flag("--reveal", lf->reveal, "Also show each resolved value (services.update; written to the audit log)");
  l->add_flag("-y,--yes", lf->yes, "With --reveal: do not ask for confirmation");

  struct SetFlags {
    ServiceRef ref;
    std::vector<std::string> pairs;
    std::string file;
  };
  auto sf = std::make_shared<SetFlags>();
  CLI::App* s = r.Command(
      g, "set", "Set variables in one change (values verbatim: {{ secret(N) }} and {{ svc.VAR }} are resolved by the server)",
      "wharf env set web --app shop 'SESSION_SECRET={{ secret(40) }}' 'DATABASE_URL={{ db.DATABASE_URL }}'\n"
      "  wharf env set web --app shop --from-file .env",
      Scope::kOrg, [sf](Env& env) -> Status {
        std::vector<std::pair<std::string, std::string>> kvs;
        if (!sf->file.empty()) {
          WHARF_ASSIGN_OR_RETURN(std::string text, ReadFileArg(sf->file, "--from-file"));
          WHARF_ASSIGN_OR_RETURN(kvs, ParseDotEnv(text, sf->file));
        }
        for (size_t i = 0; i < sf->pairs.size(); ++i) {
          WHARF_ASSIGN_OR_RETURN(auto kv, ParseAssignment(sf->pairs[i], "argument #" + std::to_string(i + 1)));
          kvs.push_back(std::move(kv));
        }
        if (kvs.empty()) return UsageError("Nothing to set: give KEY=VALUE arguments or --from-file FILE.");
        WHARF_ASSIGN_OR_RETURN(json svc, FindService(env, sf->ref.ref, sf->ref.app));
        WHARF_ASSIGN_OR_RETURN(json current, GetVariables(env, svc, false));
        json vars = AsTemplates(current);
        std::vector<std::string> keys;
        for (auto& [k, v] : kvs) {
          bool found = false;
          for (json& x : vars)
            if (x["key"] == k) {
              x["value"] = v;
              found = true;
            }
          if (!found) vars.push_back({{"key", k}, {"value", v}});
          if (std::find(keys.begin(), keys.end(), k) == keys.end()) keys.push_back(k);
        }
        WHARF_ASSIGN_OR_RETURN(json items, PutVariables(env, svc, vars));
        if (env.format() != Format::kTable) {
          env.Print(items, Table{});
        } else {
          env.out() << "Set " << Join(keys) << " on " << Str(svc, "name") << "; the next deploy applies them.\n";
        }
        return Ok();
      });
  AddRefArgs(s, sf->ref);
  s->add_option("pairs", sf->pairs, "KEY=VALUE … (quote values with spaces or {{ }})");
  s->add_option("--from-file", sf->file, "A .env file of KEY=VALUE lines (- = stdin)");

  struct UnsetFlags {
    ServiceRef ref;
    std::vector<std::string> keys;
  };
  auto uf = std::make_shared<UnsetFlags>();
  CLI::App* u = r.Command(g, "unset", "Remove variables; the next deploy unsets them on the node",
                          "wharf env unset web --app shop OLD_FLAG DEBUG", Scope::kOrg, [uf](Env& env) -> Status {
                            WHARF_ASSIGN_OR_RETURN(json svc, FindService(env, uf->ref.ref, uf->ref.app));
                            WHARF_ASSIGN_OR_RETURN(json current, GetVariables(env, svc, false));
                            json vars = json::array();
                            std::vector<std::string> have;
                            for (const json& v : current) have.push_back(Str(v, "key"));
                            for (const auto& k : uf->keys)
                              if (std::find(have.begin(), have.end(), k) == have.end())
                                return Err(ErrorCode::kNotFound, Str(svc, "name") + " has no variable " + k +
                                                                     (have.empty() ? "." : " (it has " + Join(have) + ")."));
                            for (const json& v : AsTemplates(current))
                              if (std::find(uf->keys.begin(), uf->keys.end(), v["key"].get<std::string>()) == uf->keys.end())
                                vars.push_back(v);
                            WHARF_ASSIGN_OR_RETURN(json items, PutVariables(env, svc, vars));
                            if (env.format() != Format::kTable) {
                              env.Print(items, Table{});
                            } else {
                              env.out() << "Removed " << Join(uf->keys) << " from " << Str(svc, "name")
                                        << "; the next deploy unsets them on the node.\n";
                            }
                            return Ok();
                          });
  AddRefArgs(u, uf->ref);
  u->add_option("keys", uf->keys, "Variable names")->required();

  struct RegenFlags {
    ServiceRef ref;
    std::vector<std::string> keys;
    bool all = false;
  };
  auto gf = std::make_shared<RegenFlags>();
  CLI::App* rg = r.Command(g, "regenerate", "New values for the {{ secret() }} of variables; the next deploy applies them",
                           "wharf env regenerate web --app shop SESSION_SECRET", Scope::kOrg, [gf](Env& env) -> Status {
                             if (gf->keys.empty() == !gf->all)
                               return UsageError("Give the KEYs whose secret() to regenerate, or --all (and not both).");
                             WHARF_ASSIGN_OR_RETURN(json svc, FindService(env, gf->ref.ref, gf->ref.app));
                             WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
                             WHARF_ASSIGN_OR_RETURN(std::string path, ServicePath(env, svc, "/variables/regenerate"));
                             json body = json::object();
                             if (!gf->all) body["keys"] = gf->keys;
                             WHARF_ASSIGN_OR_RETURN(json j, api->Post(path, body));
                             json items = j.value("items", json::array());
                             if (env.format() != Format::kTable) {
                               env.Print(items, Table{});
                             } else {
                               env.out() << "Regenerated the secrets of " << (gf->all ? std::string("every variable") : Join(gf->keys))
                                         << " on " << Str(svc, "name") << "; the next deploy applies them.\n";
                             }
                             return Ok();
                           });
  AddRefArgs(rg, gf->ref);
  rg->add_option("keys", gf->keys, "Variable names");
  rg->add_flag("--all", gf->all, "Every variable that has a secret()");
}

}  // namespace

Result<json> FindService(Env& env, const std::string& ref, const std::string& app) {
  if (!app.empty()) {
    WHARF_ASSIGN_OR_RETURN(json a, FindApplication(env, app, "/applications"));
    WHARF_ASSIGN_OR_RETURN(auto items, env.ListOrg("/applications/" + EncodeComponent(Str(a, "id")) + "/services"));
    return FindRow(items, ref, "/id", "/name", "service", "wharf service list --app " + Str(a, "name"));
  }
  if (!ref.starts_with("svc_"))
    return UsageError("'" + ref + "' is a service name: add --app APP, or give the service's id (svc_…).");
  WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
  WHARF_ASSIGN_OR_RETURN(std::string path, env.OrgPath("/services/" + EncodeComponent(ref)));
  return api->Get(path);
}

void AddServiceCommands(Registry& r) {
  AddServiceGroup(r);
  AddEnvGroup(r);
}

}  // namespace wharf::cli
