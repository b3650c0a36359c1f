// A service's variables (templates, secret() values, reveal), database credentials, domains, and
// the environment a deployment resolves (AppServices, app_services.h).
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

namespace {
tl::unexpected<Error> ServiceNotFound() { return Err(ErrorCode::kNotFound, "Service not found in this organisation."); }
Result<domain::Org> OrgOf(store::Tx& tx, const authz::Principal& p) {
  WHARF_ASSIGN_OR_RETURN(auto org, tx.orgs().FindById(p.org_id));
  if (!org) return Err(ErrorCode::kNotFound, "Organisation not found.");
  return *org;
}

// Domains hold the hostnames of every service of the application but `except_id`.
Status CheckDomainFree(const std::vector<domain::AppService>& services, const std::string& except_id,
                       const std::string& hostname) {
  for (auto& s : services) {
    if (s.id == except_id) continue;
    json c = apps::Config(s);
    if (c.contains("domains"))
      for (auto& d : c["domains"])
        if (d.value("hostname", "") == hostname)
          return Err(ErrorCode::kConflict, "The domain " + hostname + " is already used by service '" + s.name +
                                               "' of this application. Remove it there first.");
  }
  return Ok();
}
}  // namespace

// ------------------------------------------------------------------------------------ variables

Result<std::vector<VariableView>> AppServices::ListVariables(const authz::Principal& p, std::string_view id, bool reveal,
                                                          const RequestContext& ctx) {
  const Action a = reveal ? Action::kUpdate : Action::kRead;
  WHARF_TRY(RequirePermission(p, Collection::kServices, a, ctx, id));
  std::vector<VariableView> out;
  auto body = [&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto s, ServiceFor(tx, p, a, id, ctx));
    WHARF_ASSIGN_OR_RETURN(auto v, ViewService(tx, p, s, reveal));
    out = std::move(v.variables);
    if (reveal) return AuditIn(tx, p, "services.reveal_variables", "services", s.id, ctx, s.name);
    return Ok();
  };
  if (reveal) WHARF_TRY(WriteTx(body));
  else WHARF_TRY(store_.Read(body));
  return out;
}

Result<std::vector<VariableView>> AppServices::EditVariables(
    const authz::Principal& p, std::string_view id, std::string action, const RequestContext& ctx,
    const std::function<Status(std::vector<domain::Variable>&, std::vector<std::string>& removed)>& edit) {
  WHARF_TRY(RequirePermission(p, Collection::kServices, Action::kUpdate, ctx, id));
  std::vector<VariableView> out;
  WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto s, ServiceFor(tx, p, Action::kUpdate, id, ctx));
    WHARF_ASSIGN_OR_RETURN(auto org, OrgOf(tx, p));
    WHARF_ASSIGN_OR_RETURN(auto vars, apps::OpenVariables(envelope_, org, s));
    std::vector<std::string> removed;
    WHARF_TRY(edit(vars, removed));
    if (vars.size() > domain::kMaxVariables)
      return FieldError("variables", "at most " + std::to_string(domain::kMaxVariables) + " variables per service");
    WHARF_TRY(apps::CarryAll(vars));
    WHARF_ASSIGN_OR_RETURN(auto listed,
                           tx.app_services().ListForApplication(p.org_id, s.application_id));
    // References may name only services the caller may read (apps::ReadableServices).
    auto all = apps::ReadableServices(p, std::move(listed), s.id);
    WHARF_ASSIGN_OR_RETURN(auto app_vars, apps::ApplicationVars(envelope_, org, all, s.id, &vars));
    WHARF_TRY(domain::Resolver(app_vars).Validate(s.name));
    // Removed keys are unset on the node by the next deploy; a key set again is no longer removed.
    std::set<std::string> unset;
    for (auto& k : apps::UnsetKeys(s)) unset.insert(k);
    for (auto& k : removed) unset.insert(k);
    for (auto& v : vars) unset.erase(v.key);
    s.unset_keys = json(std::vector<std::string>(unset.begin(), unset.end())).dump();
    WHARF_ASSIGN_OR_RETURN(s.variables_sealed, apps::SealVariables(envelope_, org, s.id, vars));
    s.updated_at = clock_.Now();
    WHARF_TRY(tx.app_services().Update(s));
    std::string keys;
    for (auto& v : vars) keys += (keys.empty() ? "" : ",") + v.key;
    WHARF_TRY(AuditIn(tx, p, action, "services", s.id, ctx, s.name + ": " + keys.substr(0, 300)));
    out = apps::Views(vars);
    return Ok();
  }));
  return out;
}

Result<std::vector<VariableView>> AppServices::PutVariables(const authz::Principal& p, std::string_view id,
                                                         std::vector<VariableInput> in, const RequestContext& ctx) {
  WHARF_ASSIGN_OR_RETURN(auto next, apps::MaterializeInput(in, "variables"));
  return EditVariables(p, id, "services.variables.put", ctx, [&](std::vector<domain::Variable>& vars,
                                                                 std::vector<std::string>& removed) -> Status {
    for (auto& n : next) {
      auto it = std::find_if(vars.begin(), vars.end(), [&](const domain::Variable& v) { return v.key == n.key; });
      if (it != vars.end()) n.generated = it->generated;  // kept until regenerated
    }
    for (auto& v : vars)
      if (std::none_of(next.begin(), next.end(), [&](const domain::Variable& n) { return n.key == v.key; }))
        removed.push_back(v.key);
    vars = std::move(next);
    return Ok();
  });
}

Result<std::vector<VariableView>> AppServices::SetVariable(const authz::Principal& p, std::string_view id, VariableInput in,
                                                        const RequestContext& ctx) {
  WHARF_TRY(domain::ValidateEnvKey(in.key, "key"));
  return EditVariables(p, id, "services.variables.set", ctx,
                       [&](std::vector<domain::Variable>& vars, std::vector<std::string>&) -> Status {
                         auto it = std::find_if(vars.begin(), vars.end(),
                                                [&](const domain::Variable& v) { return v.key == in.key; });
                         if (it != vars.end()) it->value = in.value;
                         else vars.push_back({in.key, in.value, {}});
                         return Ok();
                       });
}

Result<std::vector<VariableView>> AppServices::DeleteVariable(const authz::Principal& p, std::string_view id,
                                                           std::string_view key, const RequestContext& ctx) {
  return EditVariables(p, id, "services.variables.delete", ctx,
                       [&](std::vector<domain::Variable>& vars, std::vector<std::string>& removed) -> Status {
                         auto it = std::find_if(vars.begin(), vars.end(),
                                                [&](const domain::Variable& v) { return v.key == key; });
                         if (it == vars.end())
                           return Err(ErrorCode::kNotFound, "This service has no variable " + std::string(key) + ".");
                         removed.push_back(it->key);
                         vars.erase(it);
                         return Ok();
                       });
}

Result<std::vector<VariableView>> AppServices::RegenerateSecrets(const authz::Principal& p, std::string_view id,
                                                              std::vector<std::string> keys, const RequestContext& ctx) {
  return EditVariables(p, id, "services.variables.regenerate", ctx,
                       [&](std::vector<domain::Variable>& vars, std::vector<std::string>&) -> Status {
                         for (size_t i = 0; i < keys.size(); ++i)
                           if (std::none_of(vars.begin(), vars.end(),
                                            [&](const domain::Variable& v) { return v.key == keys[i]; }))
                             return FieldError("keys[" + std::to_string(i) + "]",
                                               "this service has no variable " + keys[i]);
                         for (auto& v : vars)
                           if (keys.empty() || std::find(keys.begin(), keys.end(), v.key) != keys.end())
                             v.generated.clear();
                         return Ok();
                       });
}

Result<json> AppServices::RevealCredentials(const authz::Principal& p, std::string_view id, const RequestContext& ctx) {
  WHARF_TRY(RequirePermission(p, Collection::kServices, Action::kUpdate, ctx, id));
  json out;
  WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto s, ServiceFor(tx, p, Action::kUpdate, id, ctx));
    if (s.type != "database")
      return FieldError("service", "is a " + s.type + " service; only database services have generated credentials");
    WHARF_ASSIGN_OR_RETURN(auto org, OrgOf(tx, p));
    WHARF_ASSIGN_OR_RETURN(auto creds, apps::OpenCredentials(envelope_, org, s));
    json c = apps::Config(s);
    WHARF_ASSIGN_OR_RETURN(auto engine, domain::FindDatabaseEngine(c.value("engine", ""), "engine"));
    WHARF_ASSIGN_OR_RETURN(auto app, tx.applications().Find(p.org_id, s.application_id));
    if (creds.url.empty() && app) {
      WHARF_ASSIGN_OR_RETURN(auto dn, nodes::deploy::DokkuName(app->name, s.name));
      WHARF_ASSIGN_OR_RETURN(creds, domain::ParseDsn(nodes::dokku::PluginDsn(engine.name, dn, creds.password)));
    }
    if (creds.url.empty())
      return Err(ErrorCode::kConflict, "Database '" + s.name + "' is not deployed yet: deploy it first.");
    auto b = domain::DatabaseBuiltins(engine, creds);
    out = {{"engine", engine.name}, {"user", b["USER"]}, {"password", b["PASSWORD"]}, {"host", b["HOST"]},
           {"port", creds.port}, {"name", b["NAME"]}, {"database_url", b["DATABASE_URL"]}};
    return AuditIn(tx, p, "services.reveal_credentials", "services", s.id, ctx, s.name);
  }));
  return out;
}

// ------------------------------------------------------------------------------------ domains

Result<json> AppServices::ListDomains(const authz::Principal& p, std::string_view id, const RequestContext& ctx) {
  WHARF_TRY(RequirePermission(p, Collection::kServices, Action::kRead, ctx, id));
  json out = json::array();
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto s, ServiceFor(tx, p, Action::kRead, id, ctx));
    json c = apps::Config(s);
    if (c.contains("domains")) out = c["domains"];
    return Ok();
  }));
  return out;
}

Result<json> AppServices::EditDomains(const authz::Principal& p, std::string_view id, std::string action,
                                   const RequestContext& ctx, const std::function<Status(json&)>& edit,
                                   std::string_view hostname) {
  WHARF_TRY(RequirePermission(p, Collection::kServices, Action::kUpdate, ctx, id));
  json out;
  WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto s, ServiceFor(tx, p, Action::kUpdate, id, ctx));
    if (s.type == "database")
      return FieldError("hostname", "cannot be set on a database service: databases are reached from the apps linked "
                                    "to them, not from a public domain");
    json c = apps::Config(s);
    json domains = c.contains("domains") && c["domains"].is_array() ? c["domains"] : json::array();
    const bool had_domains = !domains.empty();
    WHARF_TRY(edit(domains));
    // Removing the last domain: the next deploy clears the app's domains on the node (there is no
    // list left for domains:set to replace them with). Cleared again by that deploy.
    if (domains.empty() && had_domains) c["domains_to_clear"] = true;
    else if (!domains.empty()) c.erase("domains_to_clear");
    if (action == "services.domains.add") {
      WHARF_ASSIGN_OR_RETURN(auto all, tx.app_services().ListForApplication(p.org_id, s.application_id));
      WHARF_TRY(CheckDomainFree(all, s.id, std::string(hostname)));
    }
    // Exactly one default while there are domains: the first one when none is marked.
    bool has_default = false;
    for (auto& d : domains) has_default = has_default || d.value("default", false);
    if (!has_default && !domains.empty()) domains[0]["default"] = true;
    c["domains"] = domains;
    s.config = c.dump();
    s.updated_at = clock_.Now();
    WHARF_TRY(tx.app_services().Update(s));
    out = domains;
    return AuditIn(tx, p, action, "services", s.id, ctx, s.name + " " + std::string(hostname));
  }));
  return out;
}

Result<json> AppServices::AddDomain(const authz::Principal& p, std::string_view id, std::string_view hostname,
                                 bool letsencrypt, bool make_default, const RequestContext& ctx) {
  WHARF_ASSIGN_OR_RETURN(std::string h, domain::ValidateHostname(hostname, "hostname"));
  return EditDomains(p, id, "services.domains.add", ctx, [&](json& domains) -> Status {
    for (auto& d : domains)
      if (d.value("hostname", "") == h) return Err(ErrorCode::kConflict, "This service already has the domain " + h + ".");
    if (domains.size() >= 50) return FieldError("hostname", "a service can have at most 50 domains");
    if (make_default)
      for (auto& d : domains) d["default"] = false;
    domains.push_back({{"hostname", h}, {"letsencrypt", letsencrypt}, {"default", make_default}});
    return Ok();
  }, h);
}

Result<json> AppServices::RemoveDomain(const authz::Principal& p, std::string_view id, std::string_view hostname,
                                    const RequestContext& ctx) {
  std::string h = ToLower(hostname);
  return EditDomains(p, id, "services.domains.remove", ctx, [&](json& domains) -> Status {
    for (size_t i = 0; i < domains.size(); ++i)
      if (domains[i].value("hostname", "") == h) {
        domains.erase(i);
        return Ok();
      }
    return Err(ErrorCode::kNotFound, "This service has no domain " + h + ".");
  }, h);
}

Result<json> AppServices::SetDefaultDomain(const authz::Principal& p, std::string_view id, std::string_view hostname,
                                        const RequestContext& ctx) {
  std::string h = ToLower(hostname);
  return EditDomains(p, id, "services.domains.default", ctx, [&](json& domains) -> Status {
    bool found = false;
    for (auto& d : domains) {
      const bool is = d.value("hostname", "") == h;
      found = found || is;
      d["default"] = is;
    }
    if (!found) return Err(ErrorCode::kNotFound, "This service has no domain " + h + ". Add it first.");
    return Ok();
  }, h);
}

// ------------------------------------------------------------------------------------ deployments

Result<DeployEnvironment> AppServices::ResolveEnvironment(std::string_view org_id, std::string_view service_id) {
  DeployEnvironment out;
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto s, tx.app_services().Find(org_id, service_id));
    if (!s) return ServiceNotFound();
    WHARF_ASSIGN_OR_RETURN(auto org, tx.orgs().FindById(org_id));
    if (!org) return Err(ErrorCode::kNotFound, "Organisation not found.");
    WHARF_ASSIGN_OR_RETURN(auto app, tx.applications().Find(org_id, s->application_id));
    if (!app) return ServiceNotFound();
    WHARF_ASSIGN_OR_RETURN(auto all, tx.app_services().ListForApplication(org_id, s->application_id));
    // The same values a deploy sets: database built-ins as the app reaches them on the node.
    WHARF_ASSIGN_OR_RETURN(auto app_vars, apps::ApplicationVars(envelope_, *org, all, {}, nullptr, app->name));
    WHARF_ASSIGN_OR_RETURN(auto resolved, domain::Resolver(app_vars).Resolve(s->name));
    for (auto& [k, v] : resolved) {
      out.set.emplace_back(k, SecretBytes::FromString(v));
      std::fill(v.begin(), v.end(), '\0');
    }
    out.unset = apps::UnsetKeys(*s);
    return Ok();
  }));
  return out;
}

Status AppServices::ClearUnsetKeys(std::string_view org_id, std::string_view service_id, const std::vector<std::string>& keys) {
  return store_.Write([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto s, tx.app_services().Find(org_id, service_id));
    if (!s) return ServiceNotFound();
    std::vector<std::string> left;
    for (auto& k : apps::UnsetKeys(*s))
      if (std::find(keys.begin(), keys.end(), k) == keys.end()) left.push_back(k);
    s->unset_keys = json(left).dump();
    return tx.app_services().Update(*s);
  });
}


}  // namespace wharf::services
