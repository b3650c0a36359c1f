// Templates: an application's services saved as settings plus variable templates (never a secret,
// a credential or a generated value; domains stay with the application), deployed into a new or
// an existing application with services renamed to stay unique and {{ svc.VAR }} rewritten, and,
// when asked, a deployment of each created service queued in the same transaction.
#include <algorithm>

#include "base/strings.h"
#include "services/app_model.h"
#include "services/templates.h"

namespace wharf::services {

using domain::Action;
using domain::Collection;
using nlohmann::json;

namespace {
tl::unexpected<Error> TemplateNotFound() { return Err(ErrorCode::kNotFound, "Template not found in this organisation."); }
tl::unexpected<Error> AppNotFound() { return Err(ErrorCode::kNotFound, "Application not found in this organisation."); }
authz::Resource AsResource(const domain::AppTemplate& t) { return authz::Resource{t.id, t.created_by, {}, {}}; }

// The settings of a service as a ServiceInput (what a template stores per service).
ServiceInput InputFrom(const json& s) {
  ServiceInput in;
  in.name = s.value("name", "");
  in.type = s.value("type", "");
  const json& c = s.contains("config") ? s["config"] : json::object();
  auto str = [&](const char* k, std::optional<std::string>& dst) {
    if (c.contains(k) && c[k].is_string() && !c[k].get<std::string>().empty()) dst = c[k].get<std::string>();
  };
  str("git_provider_id", in.git_provider_id);
  str("repository", in.repository);
  str("branch", in.branch);
  str("tag", in.tag);
  str("build_path", in.build_path);
  if (c.contains("port") && c["port"].is_number_integer()) in.port = c["port"].get<int64_t>();
  str("image", in.image);
  str("docker_registry_id", in.docker_registry_id);
  if (c.contains("ports") && c["ports"].is_array()) in.ports = c["ports"].get<std::vector<std::string>>();
  str("engine", in.engine);
  str("version", in.version);
  std::vector<VariableInput> vars;
  if (s.contains("variables"))
    for (auto& v : s["variables"]) vars.push_back({v.value("key", ""), v.value("value", "")});
  in.variables = std::move(vars);
  return in;
}
}  // namespace

Result<Page<domain::AppTemplate>> Templates::ListTemplates(const authz::Principal& p, int limit, std::string_view cursor,
                                                          const RequestContext& ctx) {
  WHARF_TRY(Authorize(p, Collection::kTemplates, Action::kRead, nullptr, ctx));
  WHARF_ASSIGN_OR_RETURN(store::PageQuery q, DecodeCursor(cursor, limit));
  if (authz::ReadsOwnOnly(p, Collection::kTemplates)) q.created_by = p.user_id;
  Page<domain::AppTemplate> page;
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(page.items, tx.templates().List(p.org_id, q));
    return Ok();
  }));
  if (static_cast<int>(page.items.size()) > limit) {
    page.items.resize(limit);
    page.next_cursor = EncodeCursor(page.items.back().created_at, page.items.back().id);
  }
  return page;
}

Result<domain::AppTemplate> Templates::GetTemplate(const authz::Principal& p, std::string_view id, const RequestContext& ctx) {
  WHARF_TRY(Authorize(p, Collection::kTemplates, Action::kRead, nullptr, ctx, id));
  std::optional<domain::AppTemplate> t;
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(t, tx.templates().Find(p.org_id, id));
    return Ok();
  }));
  if (!t) return TemplateNotFound();
  WHARF_TRY(AuthorizeRow(p, Collection::kTemplates, Action::kRead, AsResource(*t), ctx, id, TemplateNotFound));
  return *t;
}

Result<domain::AppTemplate> Templates::CreateTemplate(const authz::Principal& p, TemplateInput in, const RequestContext& ctx) {
  WHARF_TRY(Authorize(p, Collection::kTemplates, Action::kCreate, nullptr, ctx));
  if (!in.name) return FieldError("name", "is required: a name for the template, e.g. 'web + postgres'");
  if (!in.application_id) return FieldError("application_id", "is required: the application whose services to save");
  domain::AppTemplate t;
  WHARF_ASSIGN_OR_RETURN(t.name, domain::ValidateName(*in.name, "name", 100));
  if (in.description) {
    if (in.description->size() > 2000) return FieldError("description", "is longer than 2000 characters");
    t.description = std::string(Trim(*in.description));
  }
  t.id = ids_.New("tpl");
  t.org_id = p.org_id;
  t.created_at = t.updated_at = clock_.Now();
  t.created_by = p.user_id;
  WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
    WHARF_TRY(AuthorizeReference(tx, p, Collection::kApplications, *in.application_id,
                                 "application_id", ctx));
    WHARF_ASSIGN_OR_RETURN(auto app, tx.applications().Find(p.org_id, *in.application_id));
    if (!app) return FieldError("application_id", "is not an application of this organisation");
    // Saving copies the services' settings: it needs read access to them.
    WHARF_TRY(RequirePermission(p, Collection::kServices, Action::kRead, ctx, app->id));
    WHARF_TRY(AuthorizeScoped(p, Collection::kServices, Action::kRead, authz::Resource{{}, {}, app->id, {}}, ctx, app->id,
                              AppNotFound));
    WHARF_ASSIGN_OR_RETURN(auto org, tx.orgs().FindById(p.org_id));
    if (!org) return Err(ErrorCode::kNotFound, "Organisation not found.");
    WHARF_ASSIGN_OR_RETURN(auto services, tx.app_services().ListForApplication(p.org_id, app->id));
    // The snapshot holds only what the caller may read (read_scope "own" hides the services of
    // others), exactly the services its list shows it.
    std::erase_if(services, [&](const domain::AppService& s) {
      const authz::Resource r{s.id, s.created_by, s.application_id, {}};
      return !authz::Check(p, Collection::kServices, Action::kRead, &r).allowed();
    });
    if (services.empty()) return FieldError("application_id", "names an application without services; add some first");
    json list = json::array();
    for (auto& s : services) {
      json c = apps::Config(s);
      c.erase("domains");  // hostnames belong to one deployment
      c.erase("domains_to_clear");
      WHARF_ASSIGN_OR_RETURN(auto vars, apps::OpenVariables(envelope_, *org, s));
      json vj = json::array();
      for (auto& v : vars) vj.push_back({{"key", v.key}, {"value", v.value}});  // templates only, no generated value
      list.push_back({{"name", s.name}, {"type", s.type}, {"config", c}, {"variables", vj}});
    }
    t.body = json{{"services", list}, {"source_application", app->name}}.dump();
    WHARF_TRY(EnforceCreateLimit(p, Collection::kTemplates, [&] { return tx.templates().CountCreatedBy(p.org_id, p.user_id); },
                                 "templates"));
    WHARF_TRY(tx.templates().Insert(t));
    return AuditIn(tx, p, "templates.create", "templates", t.id, ctx, t.name + " from " + app->name);
  }));
  return t;
}

Result<domain::AppTemplate> Templates::UpdateTemplate(const authz::Principal& p, std::string_view id, TemplateInput in,
                                                     const RequestContext& ctx) {
  WHARF_TRY(Authorize(p, Collection::kTemplates, Action::kUpdate, nullptr, ctx, id));
  if (in.application_id) return FieldError("application_id", "cannot change; save a new template from that application");
  std::optional<std::string> name, description;
  if (in.name) {
    WHARF_ASSIGN_OR_RETURN(name, domain::ValidateName(*in.name, "name", 100));
  }
  if (in.description) {
    if (in.description->size() > 2000) return FieldError("description", "is longer than 2000 characters");
    description = std::string(Trim(*in.description));
  }
  domain::AppTemplate out;
  WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto t, tx.templates().Find(p.org_id, id));
    if (!t) return TemplateNotFound();
    WHARF_TRY(AuthorizeRow(p, Collection::kTemplates, Action::kUpdate, AsResource(*t), ctx, id, TemplateNotFound));
    if (name) t->name = *name;
    if (description) t->description = *description;
    t->updated_at = clock_.Now();
    WHARF_TRY(tx.templates().Update(*t));
    out = *t;
    return AuditIn(tx, p, "templates.update", "templates", t->id, ctx, t->name);
  }));
  return out;
}

Status Templates::DeleteTemplate(const authz::Principal& p, std::string_view id, const RequestContext& ctx) {
  WHARF_TRY(Authorize(p, Collection::kTemplates, Action::kDelete, nullptr, ctx, id));
  return WriteTx([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto t, tx.templates().Find(p.org_id, id));
    if (!t) return TemplateNotFound();
    WHARF_TRY(AuthorizeRow(p, Collection::kTemplates, Action::kDelete, AsResource(*t), ctx, id, TemplateNotFound));
    WHARF_ASSIGN_OR_RETURN(bool deleted, tx.templates().Delete(p.org_id, id));
    if (!deleted) return TemplateNotFound();
    return AuditIn(tx, p, "templates.delete", "templates", t->id, ctx, t->name);
  });
}

Result<TemplateDeployment> Templates::DeployTemplate(const authz::Principal& p, std::string_view id, TemplateDeployInput in,
                                                    const RequestContext& ctx) {
  if (in.application_id && in.application)
    return FieldError("application", "give either application_id (an existing application) or application (a new one)");
  if (!in.application_id && !in.application)
    return FieldError("application_id", "is required: the application to deploy into, or give application: {name, "
                                        "server_id} to create one");
  WHARF_ASSIGN_OR_RETURN(auto tpl, GetTemplate(p, id, ctx));
  WHARF_TRY(RequirePermission(p, Collection::kServices, Action::kCreate, ctx));
  // Deploying what was created changes what runs: services.update, as a manual deploy.
  if (in.deploy) {
    WHARF_TRY(RequirePermission(p, Collection::kServices, Action::kUpdate, ctx));
  }
  json body = json::parse(tpl.body, nullptr, false);
  if (!body.is_object() || !body.contains("services") || !body["services"].is_array())
    return Internal("template " + tpl.id + " has a corrupt body");

  TemplateDeployment out;
  if (in.application) {
    // A new application is created in the same transaction as its services.
    WHARF_TRY(AuthorizeScoped(p, Collection::kApplications, Action::kCreate, authz::Resource{}, ctx, {}, AppNotFound));
    auto a = apps::NewApplication(*in.application);
    if (!a) {
      auto e = a.error();
      json fields = json::object();
      for (auto& [k, v] : e.details["fields"].items()) fields["application." + k] = v;
      e.details["fields"] = fields;
      e.message = "application." + e.message;
      return tl::unexpected(e);
    }
    out.application = std::move(*a);
    out.application.id = ids_.New("app");
    out.application.org_id = p.org_id;
    out.application.created_at = out.application.updated_at = clock_.Now();
    out.application.created_by = p.user_id;
    out.created_application = true;
  } else {
    WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
      WHARF_ASSIGN_OR_RETURN(auto app, tx.applications().Find(p.org_id, *in.application_id));
      if (!app) return FieldError("application_id", "is not an application of this organisation");
      WHARF_TRY(AuthorizeScoped(p, Collection::kServices, Action::kCreate, authz::Resource{{}, {}, app->id, {}}, ctx,
                                app->id, AppNotFound));
      if (in.deploy) {
        WHARF_TRY(AuthorizeScoped(p, Collection::kServices, Action::kUpdate, authz::Resource{{}, {}, app->id, {}}, ctx,
                                  app->id, AppNotFound));
        if (app->server_id.empty())
          return Err(ErrorCode::kConflict,
                     "The application has no server to deploy to: set its server_id first, or deploy without \"deploy\".");
      }
      out.application = *app;
      return Ok();
    }));
  }

  // Names: keep each template name unless the application already has it (or an earlier
  // service of this deployment took it); then rewrite every reference to a renamed service.
  std::vector<std::string> taken;
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto existing, tx.app_services().ListForApplication(p.org_id, out.application.id));
    for (auto& s : existing) taken.push_back(s.name);
    return Ok();
  }));
  std::vector<ServiceInput> inputs;
  std::map<std::string, std::string> renamed;
  for (auto& s : body["services"]) {
    ServiceInput si = InputFrom(s);
    std::string name = domain::UniqueServiceName(*si.name, taken);
    taken.push_back(name);
    renamed[*si.name] = name;
    si.name = name;
    inputs.push_back(std::move(si));
  }
  for (auto& si : inputs)
    for (auto& v : *si.variables) {
      WHARF_ASSIGN_OR_RETURN(v.value, domain::RenameReferences(v.value, renamed));
    }
  std::vector<PreparedService> batch;
  json checks = json::array();
  for (size_t i = 0; i < inputs.size(); ++i) {
    auto prepared = apps::Prepare(inputs[i], nullptr);
    if (!prepared) {
      auto e = prepared.error();
      e.message = "template service '" + *inputs[i].name + "': " + e.message;
      return tl::unexpected(e);
    }
    batch.push_back(PreparedService{std::move(*prepared)});
    WHARF_TRY(app_services_.CheckServiceSource(p, batch.back(), checks, ctx));
  }
  WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
    if (out.created_application) {
      WHARF_TRY(AuthorizeReference(tx, p, Collection::kServers, out.application.server_id,
                                   "application.server_id", ctx));
      WHARF_TRY(EnforceCreateLimit(p, Collection::kApplications,
                                   [&] { return tx.applications().CountCreatedBy(p.org_id, p.user_id); }, "applications"));
      WHARF_TRY(tx.applications().Insert(out.application));
      WHARF_TRY(AuditIn(tx, p, "applications.create", "applications", out.application.id, ctx, out.application.name));
    }
    WHARF_ASSIGN_OR_RETURN(auto rows, app_services_.InsertServices(tx, p, out.application, batch, ctx));
    for (auto& r : rows) {
      WHARF_ASSIGN_OR_RETURN(auto v, app_services_.ViewService(tx, p, r, false));
      out.services.push_back(std::move(v));
    }
    if (in.deploy) {
      // Databases first: an app whose variables reference a database needs it on the node, and
      // the server runs its jobs in the order they were queued.
      std::stable_partition(rows.begin(), rows.end(), [](const domain::AppService& r) { return r.type == "database"; });
      for (auto& r : rows) {
        WHARF_ASSIGN_OR_RETURN(auto d, deployments_.EnqueueDeployment(tx, out.application, r, DeployAction::kDeploy, "template", p.user_id, ""));
        WHARF_TRY(AuditIn(tx, p, "services.deploy", "services", r.id, ctx, d.id));
        out.deployments.push_back(std::move(d));
      }
    }
    return AuditIn(tx, p, "templates.deploy", "templates", tpl.id, ctx,
                   tpl.name + " into " + out.application.name + (in.deploy ? " (deploying)" : ""));
  }));
  for (auto& [from, to] : renamed)
    if (from != to) out.renamed[from] = to;
  return out;
}

Templates::Templates(Core& core, AppServices& app_services, Deployments& deployments) : Feature(core), app_services_(app_services), deployments_(deployments) {}

}  // namespace wharf::services
