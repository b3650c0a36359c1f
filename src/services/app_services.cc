// Services of applications: app (git), docker (image) and database, their variables (sealed,
// with secret() and {{ svc.VAR }} resolved by the control plane), database credentials (sealed,
// revealed only by an audited call) and domains. Authorized on the `services` collection with the
// service's application as the scope resource, so a role scoped to application A reaches A's
// services and nothing of application B.
#include <algorithm>
#include <set>

#include "base/strings.h"
#include "secrets/crypto.h"
#include "nodes/deploy_plan.h"
#include "nodes/dokku.h"
#include "services/app_model.h"
#include "services/app_services.h"

namespace wharf::services {

using domain::Action;
using domain::Collection;
using nlohmann::json;

namespace apps {

namespace {
tl::unexpected<Error> NotFor(const std::string& field, const std::string& type) {
  return FieldError(field, "does not apply to a " + type + " service");
}
}  // namespace

json Config(const domain::AppService& s) {
  json j = json::parse(s.config, nullptr, false);
  return j.is_object() ? j : json::object();
}

std::vector<std::string> UnsetKeys(const domain::AppService& s) {
  std::vector<std::string> out;
  json j = json::parse(s.unset_keys, nullptr, false);
  if (j.is_array())
    for (auto& k : j)
      if (k.is_string()) out.push_back(k.get<std::string>());
  return out;
}

Result<Prepared> Prepare(const ServiceInput& in, const domain::AppService* existing) {
  Prepared out;
  ServiceInput m = in;  // merged
  if (existing) {
    out.type = existing->type;
    if (in.type) {
      WHARF_ASSIGN_OR_RETURN(std::string t, domain::ParseServiceType(*in.type, "type"));
      if (t != existing->type)
        return FieldError("type", "cannot change from \"" + existing->type + "\"; create a new service instead");
    }
    json c = Config(*existing);
    auto str = [&](const char* k, std::optional<std::string>& dst) {
      if (!dst && c.contains(k) && c[k].is_string() && !c[k].get<std::string>().empty()) dst = c[k].get<std::string>();
    };
    if (!m.name) m.name = existing->name;
    str("git_provider_id", m.git_provider_id);
    str("repository", m.repository);
    if (!m.branch && !m.tag) {
      str("branch", m.branch);
      str("tag", m.tag);
    }
    str("build_path", m.build_path);
    if (!m.port && c.contains("port") && c["port"].is_number_integer()) m.port = c["port"].get<int64_t>();
    str("image", m.image);
    str("docker_registry_id", m.docker_registry_id);
    if (!m.ports && c.contains("ports") && c["ports"].is_array()) m.ports = c["ports"].get<std::vector<std::string>>();
    if (in.engine && c.value("engine", "") != *in.engine)
      return FieldError("database.engine", "cannot change after creation; create a new database service instead");
    str("engine", m.engine);
    str("version", m.version);
  } else {
    if (!in.name) return FieldError("name", "is required: e.g. 'web' or 'db' (lowercase letters, digits and '-')");
    if (!in.type)
      return FieldError("type", "is required: \"app\" (built from a git repository), \"docker\" (an image) or \"database\"");
    WHARF_ASSIGN_OR_RETURN(out.type, domain::ParseServiceType(*in.type, "type"));
  }
  WHARF_ASSIGN_OR_RETURN(out.name, domain::ValidateServiceName(*m.name, "name"));
  json& c = out.config;
  const std::string& t = out.type;
  if (t != "app") {
    for (auto [f, v] : {std::pair{"git_provider_id", in.git_provider_id.has_value()}, {"repository", in.repository.has_value()},
                        {"branch", in.branch.has_value()}, {"tag", in.tag.has_value()}, {"build_path", in.build_path.has_value()}})
      if (v) return NotFor(f, t);
    if (in.port) return NotFor("port", t);
  }
  if (t != "docker") {
    if (in.image) return NotFor("image", t);
    if (in.docker_registry_id) return NotFor("docker_registry_id", t);
    if (in.ports) return NotFor("ports", t);
  }
  if (t != "database" && (in.engine || in.version)) return NotFor("database", t);
  if (t == "app") {
    if (!m.repository) return FieldError("repository", "is required: 'owner/name' of the git provider, or an https:// clone URL");
    WHARF_ASSIGN_OR_RETURN(out.repository, domain::ValidateGitRepository(*m.repository, "repository"));
    if (in.branch && in.tag) return FieldError("tag", "give either branch or tag, not both");
    if (!m.branch && !m.tag) return FieldError("branch", "is required: the branch (or give tag) to build, e.g. 'main'");
    if (m.branch && (!in.tag || in.branch)) {
      WHARF_ASSIGN_OR_RETURN(out.ref, domain::ValidateGitRef(*m.branch, "branch"));
      c["branch"] = out.ref;
    } else {
      WHARF_ASSIGN_OR_RETURN(out.ref, domain::ValidateGitRef(*m.tag, "tag"));
      c["tag"] = out.ref;
    }
    c["repository"] = out.repository;
    if (m.git_provider_id && !m.git_provider_id->empty()) {
      out.git_provider_id = *m.git_provider_id;
      c["git_provider_id"] = out.git_provider_id;
    } else if (StartsWith(out.repository, "https://") == false) {
      return FieldError("git_provider_id", "is required for 'owner/name' repositories (which provider hosts it?); or "
                                           "give an https:// clone URL of a public repository");
    }
    std::string bp;
    if (m.build_path) {
      WHARF_ASSIGN_OR_RETURN(bp, domain::ValidateBuildPath(*m.build_path, "build_path"));
    }
    c["build_path"] = bp;
    if (m.port) {
      if (*m.port < 1 || *m.port > 65535) return FieldError("port", "must be 1–65535: the port the app listens on");
      c["port"] = *m.port;
    }
  } else if (t == "docker") {
    if (!m.image) return FieldError("image", "is required: an image reference such as ghcr.io/acme/web:1.4");
    WHARF_ASSIGN_OR_RETURN(auto img, domain::ParseImageRef(*m.image, "image"));
    out.image = img;
    c["image"] = img.String();
    if (m.docker_registry_id && !m.docker_registry_id->empty()) {
      out.docker_registry_id = *m.docker_registry_id;
      c["docker_registry_id"] = out.docker_registry_id;
    }
    json ports = json::array();
    if (m.ports) {
      if (m.ports->size() > 20) return FieldError("ports", "at most 20 port mappings");
      for (size_t i = 0; i < m.ports->size(); ++i) {
        WHARF_ASSIGN_OR_RETURN(auto pm, domain::ValidatePortMapping((*m.ports)[i], "ports[" + std::to_string(i) + "]"));
        ports.push_back(pm);
      }
    }
    c["ports"] = ports;
  } else {
    if (!m.engine) return FieldError("database.engine", "is required: postgres, mysql, mariadb, mongo or redis");
    WHARF_ASSIGN_OR_RETURN(auto e, domain::FindDatabaseEngine(*m.engine, "database.engine"));
    WHARF_ASSIGN_OR_RETURN(std::string v, domain::ValidateDatabaseVersion(e, m.version.value_or(""), "database.version"));
    c["engine"] = e.name;
    c["version"] = v;
    out.engine = e;
  }
  if (existing) {
    json old = Config(*existing);
    if (old.contains("domains")) c["domains"] = old["domains"];
  }
  out.variables = in.variables;
  return out;
}

void RandomBytes(unsigned char* out, size_t n) { secrets::RandomBytes(out, n); }

Result<std::vector<domain::Variable>> OpenVariables(const secrets::Envelope& env, const domain::Org& org,
                                                    const domain::AppService& s) {
  std::vector<domain::Variable> out;
  if (s.variables_sealed.empty()) return out;
  WHARF_ASSIGN_OR_RETURN(SecretBytes plain,
                         env.Open(org.wrapped_data_key, {org.id, "services", s.id, "variables"}, s.variables_sealed));
  json j = json::parse(plain.view(), nullptr, false);
  if (!j.is_array()) return Internal("stored variables of " + s.id + " are corrupt");
  out.reserve(j.size());
  for (auto& v : j) {
    domain::Variable var{v.value("k", ""), v.value("v", ""), {}};
    if (v.contains("g"))
      for (auto& g : v["g"])
        var.generated.push_back({{g.value("n", 0), g.value("c", "")}, g.value("v", "")});
    out.push_back(std::move(var));
  }
  return out;
}

Result<std::string> SealVariables(const secrets::Envelope& env, const domain::Org& org, const std::string& service_id,
                                  const std::vector<domain::Variable>& vars) {
  if (vars.empty()) return std::string();
  json j = json::array();
  for (auto& v : vars) {
    json g = json::array();
    for (auto& x : v.generated) g.push_back({{"n", x.spec.length}, {"c", x.spec.charset}, {"v", x.value}});
    j.push_back({{"k", v.key}, {"v", v.value}, {"g", g}});
  }
  SecretBytes plain = SecretBytes::FromString(j.dump());
  return env.Seal(org.wrapped_data_key, {org.id, "services", service_id, "variables"}, plain.view());
}

Result<domain::DatabaseCredentials> OpenCredentials(const secrets::Envelope& env, const domain::Org& org,
                                                    const domain::AppService& s) {
  if (s.credentials_sealed.empty()) return Internal("database service " + s.id + " has no stored credentials");
  WHARF_ASSIGN_OR_RETURN(SecretBytes plain,
                         env.Open(org.wrapped_data_key, {org.id, "services", s.id, "credentials"}, s.credentials_sealed));
  json j = json::parse(plain.view(), nullptr, false);
  if (!j.is_object()) return Internal("stored credentials of " + s.id + " are corrupt");
  domain::DatabaseCredentials c{j.value("user", ""), j.value("password", ""), j.value("database", "")};
  c.url = j.value("url", "");
  c.host = j.value("host", "");
  c.port = j.value("port", 0);
  return c;
}

Result<std::string> SealCredentials(const secrets::Envelope& env, const domain::Org& org, const std::string& service_id,
                                    const domain::DatabaseCredentials& c) {
  SecretBytes plain = SecretBytes::FromString(json{{"user", c.user}, {"password", c.password}, {"database", c.database},
                                                   {"url", c.url}, {"host", c.host}, {"port", c.port}}
                                                  .dump());
  return env.Seal(org.wrapped_data_key, {org.id, "services", service_id, "credentials"}, plain.view());
}

domain::DatabaseCredentials NewCredentials(const domain::DatabaseEngine&, std::string_view) {
  domain::RandomFill random = RandomBytes;
  domain::DatabaseCredentials c;
  c.password = domain::GenerateSecret({32, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"}, random);
  return c;
}

Result<std::vector<domain::ServiceVars>> ApplicationVars(const secrets::Envelope& env, const domain::Org& org,
                                                         const std::vector<domain::AppService>& services,
                                                         const std::string& override_id,
                                                         const std::vector<domain::Variable>* override_vars,
                                                         std::string_view application_name) {
  std::vector<domain::ServiceVars> out;
  out.reserve(services.size());
  for (const auto& s : services) {
    domain::ServiceVars sv;
    sv.name = s.name;
    if (override_vars && s.id == override_id) {
      sv.variables = *override_vars;
    } else {
      WHARF_ASSIGN_OR_RETURN(sv.variables, OpenVariables(env, org, s));
    }
    json c = Config(s);
    if (s.type == "database") {
      auto e = domain::FindDatabaseEngine(c.value("engine", ""), "engine");
      domain::DatabaseCredentials creds;
      if (e && !s.credentials_sealed.empty()) {
        WHARF_ASSIGN_OR_RETURN(creds, OpenCredentials(env, org, s));
      }
      if (e && !creds.url.empty()) {
        sv.builtins = domain::DatabaseBuiltins(*e, creds);
      } else if (e && !application_name.empty() && !creds.password.empty()) {
        // Not read from the node yet: the DSN the plugin will print for the password Wharf passes
        // to <kind>:create (the node's own DSN replaces it after the first deploy).
        WHARF_ASSIGN_OR_RETURN(auto dn, nodes::deploy::DokkuName(application_name, s.name));
        WHARF_ASSIGN_OR_RETURN(auto planned, domain::ParseDsn(nodes::dokku::PluginDsn(e->name, dn, creds.password)));
        sv.builtins = domain::DatabaseBuiltins(*e, planned);
      } else if (e) {
        // Not on a node yet: the names validate, their values come from the node's DSN.
        domain::DatabaseCredentials names;
        names.url = "-";
        for (const auto& [k, v] : domain::DatabaseBuiltins(*e, names))
          sv.pending[k] = "database '" + s.name + "' is not deployed yet: its URL, user and password are the "
                          "plugin's, read from the server when it is deployed; deploy it first";
      }
    } else {
      std::string def;
      if (c.contains("domains"))
        for (auto& d : c["domains"])
          if (d.value("default", false)) def = d.value("hostname", "");
      if (!def.empty()) sv.builtins["DOMAIN"] = def;
      else sv.pending["DOMAIN"] = "service '" + s.name + "' has no domain yet; add one under its Domains";
    }
    out.push_back(std::move(sv));
  }
  return out;
}

Result<std::vector<domain::Variable>> MaterializeInput(const std::vector<VariableInput>& in, std::string_view field) {
  if (in.size() > domain::kMaxVariables)
    return FieldError(field, "at most " + std::to_string(domain::kMaxVariables) + " variables per service");
  std::vector<domain::Variable> out;
  std::set<std::string> seen;
  for (size_t i = 0; i < in.size(); ++i) {
    const std::string kf = std::string(field) + "[" + std::to_string(i) + "].key";
    WHARF_TRY(domain::ValidateEnvKey(in[i].key, kf));
    if (!seen.insert(in[i].key).second) return FieldError(kf, in[i].key + " appears twice; give each key once");
    out.push_back({in[i].key, in[i].value, {}});
  }
  return out;
}

Status CarryAll(std::vector<domain::Variable>& vars) {
  domain::RandomFill random = RandomBytes;
  for (auto& v : vars) {
    WHARF_ASSIGN_OR_RETURN(auto tpl, domain::ParseTemplate(v.value, "variables." + v.key));
    domain::Variable prev{v.key, v.value, v.generated};
    domain::CarrySecrets(&prev, tpl, false, random, v);
  }
  return Ok();
}

std::vector<VariableView> Views(const std::vector<domain::Variable>& vars) {
  std::vector<VariableView> out;
  out.reserve(vars.size());
  for (auto& v : vars) {
    VariableView view{v.key, v.value, {}, {}, std::nullopt};
    if (auto t = domain::ParseTemplate(v.value, "v")) {
      for (auto& s : t->segments) {
        if (s.kind == domain::Segment::Kind::kSecret) view.secret_lengths.push_back(s.secret.length);
        if (s.kind == domain::Segment::Kind::kRef) view.references.push_back(s.service + "." + s.var);
      }
    }
    out.push_back(std::move(view));
  }
  return out;
}

bool MayReadService(const authz::Principal& p, const domain::AppService& s) {
  const authz::Resource r{s.id, s.created_by, s.application_id, {}};
  return authz::Check(p, Collection::kServices, Action::kRead, &r).allowed();
}

std::vector<domain::AppService> ReadableServices(const authz::Principal& p,
                                                 std::vector<domain::AppService> all,
                                                 std::string_view keep_id) {
  std::erase_if(
      all, [&](const domain::AppService& s) { return s.id != keep_id && !MayReadService(p, s); });
  return all;
}

}  // namespace apps

namespace {
tl::unexpected<Error> ServiceNotFound() { return Err(ErrorCode::kNotFound, "Service not found in this organisation."); }
tl::unexpected<Error> AppNotFound() { return Err(ErrorCode::kNotFound, "Application not found in this organisation."); }
authz::Resource AsResource(const domain::AppService& s) { return authz::Resource{s.id, s.created_by, s.application_id, {}}; }

Result<domain::Org> OrgOf(store::Tx& tx, const authz::Principal& p) {
  WHARF_ASSIGN_OR_RETURN(auto org, tx.orgs().FindById(p.org_id));
  if (!org) return Err(ErrorCode::kNotFound, "Organisation not found.");
  return *org;
}

}  // namespace

Result<domain::AppService> AppServices::ServiceFor(store::Tx& tx, const authz::Principal& p, Action a, std::string_view id,
                                                const RequestContext& ctx) {
  WHARF_ASSIGN_OR_RETURN(auto s, tx.app_services().Find(p.org_id, id));
  if (!s) return ServiceNotFound();
  WHARF_TRY(AuthorizeScoped(p, Collection::kServices, a, AsResource(*s), ctx, id, ServiceNotFound));
  return *s;
}

Result<ServiceView> AppServices::ViewService(store::Tx& tx, const authz::Principal& p, const domain::AppService& s,
                                          bool reveal) {
  ServiceView v;
  v.service = s;
  v.config = apps::Config(s);
  v.unset_keys = apps::UnsetKeys(s);
  v.credentials_set = !s.credentials_sealed.empty();
  WHARF_ASSIGN_OR_RETURN(auto org, OrgOf(tx, p));
  WHARF_ASSIGN_OR_RETURN(auto vars, apps::OpenVariables(envelope_, org, s));
  v.variables = apps::Views(vars);
  if (reveal) {
    WHARF_ASSIGN_OR_RETURN(auto listed,
                           tx.app_services().ListForApplication(p.org_id, s.application_id));
    WHARF_ASSIGN_OR_RETURN(auto app, tx.applications().Find(p.org_id, s.application_id));
    // The values a deployment sets on the node (database URI parts as the node has them), from
    // the services the caller may read only.
    auto all = apps::ReadableServices(p, std::move(listed), s.id);
    WHARF_ASSIGN_OR_RETURN(auto app_vars, apps::ApplicationVars(envelope_, org, all, {}, nullptr, app ? app->name : ""));
    domain::Resolver r(app_vars);
    WHARF_ASSIGN_OR_RETURN(auto resolved, r.Resolve(s.name));
    for (size_t i = 0; i < resolved.size() && i < v.variables.size(); ++i) v.variables[i].resolved = std::move(resolved[i].second);
  }
  return v;
}

Status AppServices::CheckServiceSource(const authz::Principal& p, const PreparedService& s, json& checks,
                                    const RequestContext& ctx) {
  if (s.type == "docker" && !s.docker_registry_id.empty()) {
    std::optional<domain::Integration> row;
    SecretBytes password;
    WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
      // One answer for absent and unreadable rows (AuthorizeReference).
      WHARF_TRY(AuthorizeReference(tx, p, Collection::kDockerRegistries, s.docker_registry_id,
                                   "docker_registry_id", ctx));
      WHARF_ASSIGN_OR_RETURN(row, tx.integrations().Find(p.org_id, kDockerRegistries.name, s.docker_registry_id));
      if (!row)
        return FieldError("docker_registry_id", "is not a Docker registry of this organisation");
      if (auto it = row->sealed.find("password"); it != row->sealed.end()) {
        WHARF_ASSIGN_OR_RETURN(auto org, OrgOf(tx, p));
        WHARF_ASSIGN_OR_RETURN(password, envelope_.Open(org.wrapped_data_key,
                                                        {p.org_id, kDockerRegistries.name, row->id, "password"}, it->second));
      }
      return Ok();
    }));
    CheckOutcome out = registries_.ProbeRegistryPull(*row, password, *s.image);
    json report = out.report;
    for (auto& c : report["checks"]) checks.push_back(c);
    if (!out.ok) {
      std::string field = "image", msg = "the pull check failed";
      for (auto& c : report["checks"]) {
        if (c.value("status", "") != "failed") continue;
        if (c.value("name", "") == "host_match" || c.value("name", "") == "namespace") field = "docker_registry_id";
        msg = c.value("message", msg) + (c.contains("fix") ? " " + c.value("fix", "") : "");
        break;
      }
      auto e = FieldError(field, msg);
      e.value().layer = Layer::kRegistry;
      e.value().details["report"] = report;
      return e;
    }
  }
  if (s.type == "app") {
    if (!s.git_provider_id.empty()) {
      std::optional<domain::Integration> row;
      WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
        // One answer for absent and unreadable rows (AuthorizeReference).
        WHARF_TRY(AuthorizeReference(tx, p, Collection::kGitProviders, s.git_provider_id,
                                     "git_provider_id", ctx));
        WHARF_ASSIGN_OR_RETURN(row, tx.integrations().Find(p.org_id, apps::kGitProvidersKind, s.git_provider_id));
        return Ok();
      }));
      if (!row) return FieldError("git_provider_id", "is not a git provider of this organisation");
      // The provider's own verify path: `git ls-remote` over HTTPS (token hosts) or the GitHub App's
      // installation token and allow-list, with the repository and (for a branch) the branch. A
      // member who may read the provider may use it for a service; its secret never leaves here.
      const bool app = row->Field("type") == "github_app";
      WHARF_ASSIGN_OR_RETURN(auto loaded, integrations_.LoadIntegrationSecret(p, kGitProviders, row->id, Action::kRead,
                                                                app ? "private_key" : "token", ctx));
      std::optional<std::string> branch;
      if (s.config.contains("branch")) branch = s.ref;
      WHARF_ASSIGN_OR_RETURN(auto out, git_providers_.RunGitProviderChecks(loaded.first, loaded.second, s.repository, branch,
                                                            integrations_.github_tokens(), nullptr));
      json report = out.report;
      if (!out.ok) {
        std::string field = "repository", msg = "the git provider cannot reach this repository";
        Layer layer = app ? Layer::kGithubApp : Layer::kGitToken;
        for (auto& c : report["checks"]) {
          if (c.value("status", "") != "failed") continue;
          if (c.value("name", "") == "branch") field = "branch";
          if (c.value("layer", "") == "network") layer = Layer::kNetwork;
          msg = c.value("message", msg) + (c.contains("fix") ? " " + c.value("fix", "") : "");
          break;
        }
        auto e = FieldError(field, msg);
        e.value().layer = layer;
        e.value().details["report"] = report;
        return e;
      }
      checks.push_back({{"name", "git_access"}, {"status", "passed"},
                        {"message", "Provider '" + row->name + "' reaches " + s.repository +
                                        (branch ? " and branch '" + *branch + "' exists." : " (tags are checked at deploy).")}});
    } else {
      checks.push_back({{"name", "git_access"}, {"status", "skipped"},
                        {"message", "A public repository without a provider is not checked before the first deploy."}});
    }
  }
  return Ok();
}

Result<std::vector<domain::AppService>> AppServices::InsertServices(store::Tx& tx, const authz::Principal& p,
                                                                 const domain::Application& app,
                                                                 std::vector<PreparedService>& prepared,
                                                                 const RequestContext& ctx) {
  WHARF_ASSIGN_OR_RETURN(auto org, OrgOf(tx, p));
  WHARF_ASSIGN_OR_RETURN(auto all, tx.app_services().ListForApplication(p.org_id, app.id));
  std::vector<domain::AppService> rows;
  std::vector<std::vector<domain::Variable>> vars(prepared.size());
  for (size_t i = 0; i < prepared.size(); ++i) {
    auto& ps = prepared[i];
    for (auto& s : all)
      if (s.name == ps.name)
        return Err(ErrorCode::kConflict, "A service named '" + ps.name + "' already exists in application '" + app.name +
                                             "'. Pick another name.");
    domain::AppService row;
    row.id = ids_.New("svc");
    row.org_id = p.org_id;
    row.application_id = app.id;
    row.name = ps.name;
    row.type = ps.type;
    row.config = ps.config.dump();
    row.created_at = row.updated_at = clock_.Now();
    row.created_by = p.user_id;
    if (ps.engine) {
      auto creds = apps::NewCredentials(*ps.engine, row.name);
      WHARF_ASSIGN_OR_RETURN(row.credentials_sealed, apps::SealCredentials(envelope_, org, row.id, creds));
    }
    if (ps.variables) {
      WHARF_ASSIGN_OR_RETURN(vars[i], apps::MaterializeInput(*ps.variables, "variables"));
      WHARF_TRY(apps::CarryAll(vars[i]));
    }
    all.push_back(row);
    rows.push_back(row);
  }
  // Every new service's variables are checked against the whole application (new ones included).
  std::vector<domain::ServiceVars> app_vars;
  for (auto& s : all) {
    domain::ServiceVars sv;
    auto it = std::find_if(rows.begin(), rows.end(), [&](const domain::AppService& r) { return r.id == s.id; });
    if (it == rows.end() && !apps::MayReadService(p, s)) continue;  // a reference reads the service
    if (it != rows.end()) {
      auto one = apps::ApplicationVars(envelope_, org, {s}, s.id, &vars[it - rows.begin()]);
      if (!one) return tl::unexpected(one.error());
      app_vars.push_back(std::move((*one)[0]));
    } else {
      auto one = apps::ApplicationVars(envelope_, org, {s}, {}, nullptr);
      if (!one) return tl::unexpected(one.error());
      app_vars.push_back(std::move((*one)[0]));
    }
  }
  domain::Resolver resolver(app_vars);
  for (size_t i = 0; i < rows.size(); ++i) {
    WHARF_TRY(resolver.Validate(rows[i].name));
    WHARF_ASSIGN_OR_RETURN(rows[i].variables_sealed, apps::SealVariables(envelope_, org, rows[i].id, vars[i]));
    WHARF_TRY(EnforceCreateLimit(p, Collection::kServices,
                                 [&] { return tx.app_services().CountCreatedBy(p.org_id, p.user_id); }, "services"));
    WHARF_TRY(tx.app_services().Insert(rows[i]));
    WHARF_TRY(AuditIn(tx, p, "services.create", "services", rows[i].id, ctx,
                      rows[i].name + " (" + rows[i].type + ") in " + app.name));
  }
  return rows;
}

Result<std::vector<ServiceView>> AppServices::ListServices(const authz::Principal& p, std::string_view application_id,
                                                        const RequestContext& ctx) {
  WHARF_TRY(RequirePermission(p, Collection::kServices, Action::kRead, ctx));
  std::vector<ServiceView> out;
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto app, tx.applications().Find(p.org_id, application_id));
    if (!app) return AppNotFound();
    authz::Resource r{{}, {}, app->id, {}};
    WHARF_TRY(AuthorizeScoped(p, Collection::kServices, Action::kRead, r, ctx, app->id, AppNotFound));
    WHARF_ASSIGN_OR_RETURN(auto rows, tx.app_services().ListForApplication(p.org_id, app->id));
    for (auto& s : rows) {
      auto sr = AsResource(s);
      if (!authz::Check(p, Collection::kServices, Action::kRead, &sr).allowed()) continue;  // read_scope own
      WHARF_ASSIGN_OR_RETURN(auto v, ViewService(tx, p, s, false));
      out.push_back(std::move(v));
    }
    return Ok();
  }));
  return out;
}

Result<ServiceView> AppServices::GetService(const authz::Principal& p, std::string_view id, const RequestContext& ctx) {
  WHARF_TRY(RequirePermission(p, Collection::kServices, Action::kRead, ctx, id));
  ServiceView out;
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto s, ServiceFor(tx, p, Action::kRead, id, ctx));
    WHARF_ASSIGN_OR_RETURN(out, ViewService(tx, p, s, false));
    return Ok();
  }));
  return out;
}

Result<ServiceView> AppServices::CreateService(const authz::Principal& p, std::string_view application_id, ServiceInput in,
                                            const RequestContext& ctx) {
  WHARF_TRY(RequirePermission(p, Collection::kServices, Action::kCreate, ctx));
  // The application first: a scoped role learns it is out of reach before anything else.
  auto authorize_app = [&](store::Tx& tx) -> Result<domain::Application> {
    WHARF_ASSIGN_OR_RETURN(auto app, tx.applications().Find(p.org_id, application_id));
    if (!app) return AppNotFound();
    WHARF_TRY(AuthorizeScoped(p, Collection::kServices, Action::kCreate, authz::Resource{{}, {}, app->id, {}}, ctx,
                              app->id, AppNotFound));
    return *app;
  };
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status { return authorize_app(tx).map([](auto&&) {}); }));
  WHARF_ASSIGN_OR_RETURN(auto prepared, apps::Prepare(in, nullptr));
  std::vector<PreparedService> batch{PreparedService{std::move(prepared)}};
  json checks = json::array();
  WHARF_TRY(CheckServiceSource(p, batch[0], checks, ctx));
  ServiceView out;
  WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto app, authorize_app(tx));
    WHARF_ASSIGN_OR_RETURN(auto rows, InsertServices(tx, p, app, batch, ctx));
    WHARF_ASSIGN_OR_RETURN(out, ViewService(tx, p, rows[0], false));
    return Ok();
  }));
  out.checks = checks;
  return out;
}

Result<ServiceView> AppServices::UpdateService(const authz::Principal& p, std::string_view id, ServiceInput in,
                                            const RequestContext& ctx) {
  WHARF_TRY(RequirePermission(p, Collection::kServices, Action::kUpdate, ctx, id));
  if (in.variables) return FieldError("variables", "are edited under …/services/{id}/variables (PUT replaces them all)");
  std::optional<domain::AppService> current;
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(current, ServiceFor(tx, p, Action::kUpdate, id, ctx));
    return Ok();
  }));
  WHARF_ASSIGN_OR_RETURN(auto prepared, apps::Prepare(in, &*current));
  PreparedService ps{std::move(prepared)};
  json checks = json::array();
  const bool source_changed = in.image || in.docker_registry_id || in.git_provider_id || in.repository || in.branch || in.tag;
  if (source_changed) WHARF_TRY(CheckServiceSource(p, ps, checks, ctx));
  ServiceView out;
  WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto s, ServiceFor(tx, p, Action::kUpdate, id, ctx));
    if (ps.name != s.name) {
      // References to the old name would dangle: refuse while any variable of the app names it.
      WHARF_ASSIGN_OR_RETURN(auto org, OrgOf(tx, p));
      WHARF_ASSIGN_OR_RETURN(auto all, tx.app_services().ListForApplication(p.org_id, s.application_id));
      for (auto& other : all) {
        WHARF_ASSIGN_OR_RETURN(auto vars, apps::OpenVariables(envelope_, org, other));
        for (auto& v : apps::Views(vars))
          for (auto& r : v.references)
            if (StartsWith(r, s.name + "."))
              return FieldError("name", "cannot change while " + other.name + "." + v.key + " refers to {{ " + r +
                                            " }}; update that variable first");
      }
    }
    s.name = ps.name;
    s.config = ps.config.dump();
    s.updated_at = clock_.Now();
    WHARF_TRY(tx.app_services().Update(s));
    WHARF_TRY(AuditIn(tx, p, "services.update", "services", s.id, ctx, s.name));
    WHARF_ASSIGN_OR_RETURN(out, ViewService(tx, p, s, false));
    return Ok();
  }));
  out.checks = checks;
  return out;
}

Status AppServices::DeleteService(const authz::Principal& p, std::string_view id, const RequestContext& ctx) {
  WHARF_TRY(RequirePermission(p, Collection::kServices, Action::kDelete, ctx, id));
  return WriteTx([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto s, ServiceFor(tx, p, Action::kDelete, id, ctx));
    WHARF_ASSIGN_OR_RETURN(auto org, OrgOf(tx, p));
    WHARF_ASSIGN_OR_RETURN(auto all, tx.app_services().ListForApplication(p.org_id, s.application_id));
    for (auto& other : all) {
      if (other.id == s.id) continue;
      WHARF_ASSIGN_OR_RETURN(auto vars, apps::OpenVariables(envelope_, org, other));
      for (auto& v : apps::Views(vars))
        for (auto& r : v.references)
          if (StartsWith(r, s.name + "."))
            return Err(ErrorCode::kConflict, "Service '" + s.name + "' is referenced by " + other.name + "." + v.key +
                                                 " ({{ " + r + " }}). Change that variable first.");
    }
    WHARF_ASSIGN_OR_RETURN(bool deleted, tx.app_services().Delete(p.org_id, id));
    if (!deleted) return ServiceNotFound();
    WHARF_TRY(tx.releases().DeleteForService(p.org_id, s.id));  // their sealed snapshots go with the service
    return AuditIn(tx, p, "services.delete", "services", s.id, ctx, s.name);
  });
}

AppServices::AppServices(Core& core, Integrations& integrations, Registries& registries, GitProviders& git_providers) : Feature(core), integrations_(integrations), registries_(registries), git_providers_(git_providers) {}

}  // namespace wharf::services
