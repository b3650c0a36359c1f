// Applications (and the legacy projects view), their services, variables and domains (docs/applications.md).
#include "api/routes.h"

#include <tuple>

#include "api/body.h"
#include "api/schema.h"

namespace wharf::api {

namespace {

Result<std::vector<services::VariableInput>> ParseVariables(const json& v, const std::string& field) {
  std::vector<services::VariableInput> out;
  auto value_of = [&](const json& x, const std::string& f) -> Result<std::string> {
    if (!x.is_string()) return FieldError(f, "must be a string (write numbers and booleans in quotes)");
    return x.get<std::string>();
  };
  if (v.is_object()) {
    for (auto& [k, x] : v.items()) {
      WHARF_ASSIGN_OR_RETURN(auto val, value_of(x, field + "." + k));
      out.push_back({k, std::move(val)});
    }
    return out;
  }
  if (!v.is_array()) return FieldError(field, "must be a list of {\"key\": \"…\", \"value\": \"…\"} (or an object of key: value)");
  for (size_t i = 0; i < v.size(); ++i) {
    const std::string f = field + "[" + std::to_string(i) + "]";
    const json& x = v[i];
    if (!x.is_object() || !x.contains("key") || !x["key"].is_string())
      return FieldError(f, "must be {\"key\": \"NAME\", \"value\": \"…\"}");
    for (auto& [k, unused] : x.items())
      if (k != "key" && k != "value") return FieldError(f + "." + k, "is not a known field; allowed: key, value");
    WHARF_ASSIGN_OR_RETURN(auto val, value_of(x.contains("value") ? x["value"] : json(""), f + ".value"));
    out.push_back({x["key"].get<std::string>(), std::move(val)});
  }
  return out;
}


// The variables of a body: [{key, value}] or {KEY: value}.
json VariablesInSchema() {
  using namespace oas;
  return {{"oneOf", json::array({Array(Object({{"key", String()}, {"value", String()}}, {"value"})), Map(String())})}};
}

const Fields kServiceFields = {
    Str("name", 200).Example("web"), Str("type", 50).Desc("app, docker or database").Example("app"),
    Str("git_provider_id", 100), Str("repository", 600).Example("acme/web"), Str("branch", 300).Example("main"),
    Str("tag", 300), Str("build_path", 300), Int("port").Example(5000), Str("image", 4096), Str("docker_registry_id", 100),
    Any("ports", oas::Array(oas::String("scheme:host-port:container-port, e.g. http:80:5000"))),
    Any("database", oas::Object({{"engine", oas::String()}, {"version", oas::String()}}, {"engine", "version"})),
    Str("engine", 50), Str("version", 50), Any("variables", VariablesInSchema())};
const Fields kApplicationFields = {Str("name", 200).Example("shop"), Str("description", 4000), Str("server_id", 100)};

Result<services::ServiceInput> ParseService(const Body& b) {
  services::ServiceInput in;
  WHARF_ASSIGN_OR_RETURN(in.name, b.OptString("name"));
  WHARF_ASSIGN_OR_RETURN(in.type, b.OptString("type"));
  WHARF_ASSIGN_OR_RETURN(in.git_provider_id, b.OptString("git_provider_id"));
  WHARF_ASSIGN_OR_RETURN(in.repository, b.OptString("repository"));
  WHARF_ASSIGN_OR_RETURN(in.branch, b.OptString("branch"));
  WHARF_ASSIGN_OR_RETURN(in.tag, b.OptString("tag"));
  WHARF_ASSIGN_OR_RETURN(in.build_path, b.OptString("build_path"));
  WHARF_ASSIGN_OR_RETURN(in.port, b.OptInt("port"));
  WHARF_ASSIGN_OR_RETURN(in.image, b.OptString("image"));
  WHARF_ASSIGN_OR_RETURN(in.docker_registry_id, b.OptString("docker_registry_id"));
  if (b.Has("ports")) {
    const json& a = b.Raw("ports");
    if (!a.is_array()) return FieldError("ports", "must be a list like [\"http:80:5000\"]");
    std::vector<std::string> ports;
    for (size_t i = 0; i < a.size(); ++i) {
      if (!a[i].is_string()) return FieldError("ports[" + std::to_string(i) + "]", "must be a string like \"http:80:5000\"");
      ports.push_back(a[i]);
    }
    in.ports = std::move(ports);
  }
  WHARF_ASSIGN_OR_RETURN(in.engine, b.OptString("engine"));
  WHARF_ASSIGN_OR_RETURN(in.version, b.OptString("version"));
  if (b.Has("database")) {
    const json& d = b.Raw("database");
    if (!d.is_object()) return FieldError("database", "must be {\"engine\": \"postgres\", \"version\": \"16\"}");
    for (auto& [k, v] : d.items()) {
      if (k != "engine" && k != "version") return FieldError("database." + k, "is not a known field; allowed: engine, version");
      if (!v.is_string()) return FieldError("database." + k, "must be a string");
    }
    if (d.contains("engine")) in.engine = d["engine"].get<std::string>();
    if (d.contains("version")) in.version = d["version"].get<std::string>();
  }
  if (b.Has("variables")) {
    WHARF_ASSIGN_OR_RETURN(in.variables, ParseVariables(b.Raw("variables"), "variables"));
  }
  return in;
}

Result<services::ApplicationInput> ParseApplication(const Body& b) {
  services::ApplicationInput in;
  WHARF_ASSIGN_OR_RETURN(in.name, b.OptString("name"));
  WHARF_ASSIGN_OR_RETURN(in.description, b.OptString("description"));
  WHARF_ASSIGN_OR_RETURN(in.server_id, b.OptString("server_id"));
  return in;
}

json TemplateJson(const domain::AppTemplate& t) {
  json body = json::parse(t.body, nullptr, false);
  json services = body.is_object() && body.contains("services") ? body["services"] : json::array();
  return {{"id", t.id}, {"name", t.name}, {"description", t.description}, {"services", services},
          {"source_application", body.is_object() ? body.value("source_application", "") : ""},
          {"created_at", Time(t.created_at)}, {"updated_at", Time(t.updated_at)}, {"created_by", t.created_by}};
}

}  // namespace

void AddApplicationRoutes(Router& rt) {
  using A = AuthMode;
  using domain::Collection;
  auto& s = rt.svc();
  const std::vector<int> kRow = {200, 400, 401, 403, 404, 409};

  // Applications and the legacy projects view: the same rows, each path authorized by its own
  // collection (applications.* or projects.*).
  for (auto [path, coll, tag] : {std::tuple{"applications", Collection::kApplications, "applications"},
                                 std::tuple{"projects", Collection::kProjects, "projects"}}) {
    const std::string base = std::string("/api/v1/orgs/{org}/") + path;
    const std::string perm = std::string(domain::CollectionName(coll));
    const Collection c = coll;
    rt.Add("GET", base, A::kOrg, tag, "List " + std::string(path) + " (" + perm + ".read)", {200, 400, 401, 403, 404},
        [&s, c](Call& call) -> Result<HttpResponse> {
          WHARF_ASSIGN_OR_RETURN(int limit, LimitParam(call.req));
          WHARF_ASSIGN_OR_RETURN(auto page, s.applications().ListApplications(call.p(), c, limit, call.req.Query("cursor"), call.ctx));
          return Json(200, ListJson(page, ApplicationJson));
        },
        ListOf("Application"));
    rt.Add("POST", base, A::kOrg, tag, "Create {name, description?, server_id} (" + perm + ".create)",
        {201, 400, 401, 403, 404, 409}, [&s, c](Call& call) -> Result<HttpResponse> {
          WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(call.req, kApplicationFields));
          WHARF_ASSIGN_OR_RETURN(auto in, ParseApplication(b));
          WHARF_ASSIGN_OR_RETURN(auto a, s.applications().CreateApplication(call.p(), c, std::move(in), call.ctx));
          return Json(201, ApplicationJson(a));
        },
        Ref("Application"))
        .Request(kApplicationFields);
    rt.Add("GET", base + "/{id}", A::kOrg, tag, "One (" + perm + ".read)", {200, 401, 403, 404},
        [&s, c](Call& call) -> Result<HttpResponse> {
          WHARF_ASSIGN_OR_RETURN(auto a, s.applications().GetApplication(call.p(), c, call.params[1], call.ctx));
          return Json(200, ApplicationJson(a));
        },
        Ref("Application"));
    rt.Add("PATCH", base + "/{id}", A::kOrg, tag, "Edit name, description or server_id (" + perm + ".update)", kRow,
        [&s, c](Call& call) -> Result<HttpResponse> {
          WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(call.req, kApplicationFields));
          WHARF_ASSIGN_OR_RETURN(auto in, ParseApplication(b));
          WHARF_ASSIGN_OR_RETURN(auto a, s.applications().UpdateApplication(call.p(), c, call.params[1], std::move(in), call.ctx));
          return Json(200, ApplicationJson(a));
        },
        Ref("Application"))
        .Request(kApplicationFields);
    rt.Add("DELETE", base + "/{id}", A::kOrg, tag, "Delete; 409 while it has services (" + perm + ".delete)",
        {204, 401, 403, 404, 409}, [&s, c](Call& call) -> Result<HttpResponse> {
          WHARF_TRY(s.applications().DeleteApplication(call.p(), c, call.params[1], call.ctx));
          return NoContent();
        });
  }

  // Services.
  auto create_service = [&s](Call& c, const std::string& app_id, const Body& b) -> Result<HttpResponse> {
    WHARF_ASSIGN_OR_RETURN(auto in, ParseService(b));
    WHARF_ASSIGN_OR_RETURN(auto v, s.app_services().CreateService(c.p(), app_id, std::move(in), c.ctx));
    return Json(201, ServiceJson(v));
  };
  rt.Add("GET", "/api/v1/orgs/{org}/applications/{id}/services", A::kOrg, "services",
      "The application's services, variables as templates (services.read)", {200, 401, 403, 404},
      [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto list, s.app_services().ListServices(c.p(), c.params[1], c.ctx));
        json items = json::array();
        for (auto& v : list) items.push_back(ServiceJson(v));
        return Json(200, {{"items", items}, {"next_cursor", nullptr}});
      },
      oas::Object({{"items", oas::Array(Ref("Service"))}, {"next_cursor", oas::Nullable(oas::String("Always null: one page"))}}));
  rt.Add("POST", "/api/v1/orgs/{org}/applications/{id}/services", A::kOrg, "services",
      "Add a service: {name, type: app|docker|database, …, variables?} (services.create)", {201, 400, 401, 403, 404, 409},
      [create_service](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto b, Body::Parse(c.req, kServiceFields));
        return create_service(c, c.params[1], b);
      },
      Ref("Service"))
      .Request(kServiceFields);
  const Fields service_in_app_fields = kServiceFields.With({Str("application_id", 100).Req()});
  rt.Add("POST", "/api/v1/orgs/{org}/services", A::kOrg, "services",
      "Add a service to {application_id} (services.create)", {201, 400, 401, 403, 404, 409},
      [create_service, service_in_app_fields](Call& c) -> Result<HttpResponse> {
        // The body is parsed once, with its limits, and never re-serialised: application_id is
        // taken out and the rest goes on as the same parsed value.
        WHARF_ASSIGN_OR_RETURN(auto b, Body::Parse(c.req, service_in_app_fields));
        json app = b.Take("application_id");
        if (!app.is_string()) return FieldError("application_id", "is required: the application to add the service to");
        return create_service(c, app.get<std::string>(), b);
      },
      Ref("Service"))
      .Request(service_in_app_fields);
  rt.Add("GET", "/api/v1/orgs/{org}/services/{id}", A::kOrg, "services", "A service (services.read)", {200, 401, 403, 404},
      [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto v, s.app_services().GetService(c.p(), c.params[1], c.ctx));
        return Json(200, ServiceJson(v));
      },
      Ref("Service"));
  rt.Add("PATCH", "/api/v1/orgs/{org}/services/{id}", A::kOrg, "services",
      "Edit a service's settings; a new image or registry is checked again (services.update)", kRow,
      [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto b, Body::Parse(c.req, kServiceFields));
        WHARF_ASSIGN_OR_RETURN(auto in, ParseService(b));
        WHARF_ASSIGN_OR_RETURN(auto v, s.app_services().UpdateService(c.p(), c.params[1], std::move(in), c.ctx));
        return Json(200, ServiceJson(v));
      },
      Ref("Service"))
      .Request(kServiceFields);
  rt.Add("DELETE", "/api/v1/orgs/{org}/services/{id}", A::kOrg, "services",
      "Delete a service; 409 while another variable refers to it (services.delete)", {204, 401, 403, 404, 409},
      [&s](Call& c) -> Result<HttpResponse> {
        WHARF_TRY(s.app_services().DeleteService(c.p(), c.params[1], c.ctx));
        return NoContent();
      });

  // Variables.
  auto vars_json = [](const std::vector<services::VariableView>& v) { return json{{"items", VariablesJson(v)}}; };
  rt.Add("GET", "/api/v1/orgs/{org}/services/{id}/variables", A::kOrg, "services",
      "Variables as templates (services.read); ?reveal=true adds each resolved value (services.update, audited)",
      {200, 400, 401, 403, 404}, [&s, vars_json](Call& c) -> Result<HttpResponse> {
        const std::string reveal = c.req.Query("reveal");
        if (!reveal.empty() && reveal != "true" && reveal != "false") return FieldError("reveal", "must be true or false");
        if (reveal == "true") WHARF_TRY(s.second_factor().RequireStepUp(*c.who, "services.reveal", c.ctx));
        WHARF_ASSIGN_OR_RETURN(auto v, s.app_services().ListVariables(c.p(), c.params[1], reveal == "true", c.ctx));
        return Json(200, vars_json(v));
      },
      Ref("Variables"))
      .Query("reveal", oas::Enum({"true", "false"}), "true: add each resolved value (services.update, audited)");
  const Fields put_vars_fields = {
      Any("variables", VariablesInSchema()).Req().Example(json::array({{{"key", "NODE_ENV"}, {"value", "production"}}}))};
  const Fields set_var_fields = {Str("value", domain::kMaxValueBytes).Req().Example("{{ db.DATABASE_URL }}")};
  const Fields regenerate_fields = {Any("keys", oas::Array(oas::String())).Desc("Variable names; all when absent")};
  const Fields domain_fields = {Str("hostname", 300).Req().Example("shop.example.com"), Bool("letsencrypt").Desc("Default true"),
                                Bool("default").Desc("Default false; the first domain is the default")};
  rt.Add("PUT", "/api/v1/orgs/{org}/services/{id}/variables", A::kOrg, "services",
      "Replace every variable {variables: [{key, value}]}; removed keys are unset by the next deploy (services.update)",
      kRow, [&s, vars_json, put_vars_fields](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto b, Body::Parse(c.req, put_vars_fields));
        WHARF_ASSIGN_OR_RETURN(auto in, ParseVariables(b.Raw("variables"), "variables"));
        WHARF_ASSIGN_OR_RETURN(auto v, s.app_services().PutVariables(c.p(), c.params[1], std::move(in), c.ctx));
        return Json(200, vars_json(v));
      },
      Ref("Variables"))
      .Request(put_vars_fields);
  rt.Add("PUT", "/api/v1/orgs/{org}/services/{id}/variables/{key}", A::kOrg, "services",
      "Set one variable {value} (services.update)", kRow, [&s, vars_json, set_var_fields](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto b, Body::Parse(c.req, set_var_fields));
        WHARF_ASSIGN_OR_RETURN(auto value, b.String("value"));
        WHARF_ASSIGN_OR_RETURN(auto v, s.app_services().SetVariable(c.p(), c.params[1], {c.params[2], std::move(value)}, c.ctx));
        return Json(200, vars_json(v));
      },
      Ref("Variables"))
      .Request(set_var_fields);
  rt.Add("DELETE", "/api/v1/orgs/{org}/services/{id}/variables/{key}", A::kOrg, "services",
      "Remove one variable; it is unset by the next deploy (services.update)", kRow,
      [&s, vars_json](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto v, s.app_services().DeleteVariable(c.p(), c.params[1], c.params[2], c.ctx));
        return Json(200, vars_json(v));
      },
      Ref("Variables"));
  rt.Add("POST", "/api/v1/orgs/{org}/services/{id}/variables/regenerate", A::kOrg, "services",
      "New values for the secret() of {keys?} (all when absent) (services.update)", kRow,
      [&s, vars_json, regenerate_fields](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto b, Body::Parse(c.req, regenerate_fields));
        std::vector<std::string> keys;
        if (b.Has("keys")) {
          const json& k = b.Raw("keys");
          if (!k.is_array()) return FieldError("keys", "must be a list of variable names");
          for (size_t i = 0; i < k.size(); ++i) {
            if (!k[i].is_string()) return FieldError("keys[" + std::to_string(i) + "]", "must be a string");
            keys.push_back(k[i]);
          }
        }
        WHARF_ASSIGN_OR_RETURN(auto v, s.app_services().RegenerateSecrets(c.p(), c.params[1], std::move(keys), c.ctx));
        return Json(200, vars_json(v));
      },
      Ref("Variables"))
      .Request(regenerate_fields, true);
  rt.Add("POST", "/api/v1/orgs/{org}/services/{id}/reveal-credentials", A::kOrg, "services",
      "A database's generated credentials and URL (services.update, audited)", {200, 400, 401, 403, 404},
      [&s](Call& c) -> Result<HttpResponse> {
        WHARF_TRY(s.second_factor().RequireStepUp(*c.who, "services.reveal", c.ctx));
        WHARF_ASSIGN_OR_RETURN(auto v, s.app_services().RevealCredentials(c.p(), c.params[1], c.ctx));
        return Json(200, v);
      },
      oas::OpenObject({{"engine", oas::String()}, {"host", oas::String()}, {"port", oas::Integer()}, {"name", oas::String()},
                       {"user", oas::String()}, {"password", oas::String()}, {"database_url", oas::String()}}));

  // Domains (the model; the node applies them with deployments).
  auto domains_json = [](const json& d) { return json{{"items", d}}; };
  rt.Add("GET", "/api/v1/orgs/{org}/services/{id}/domains", A::kOrg, "services", "The service's domains (services.read)",
      {200, 401, 403, 404}, [&s, domains_json](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto d, s.app_services().ListDomains(c.p(), c.params[1], c.ctx));
        return Json(200, domains_json(d));
      },
      Ref("Domains"));
  rt.Add("POST", "/api/v1/orgs/{org}/services/{id}/domains", A::kOrg, "services",
      "Add {hostname, letsencrypt?: true, default?: false}; the first is the default (services.update)",
      {201, 400, 401, 403, 404, 409}, [&s, domains_json, domain_fields](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto b, Body::Parse(c.req, domain_fields));
        WHARF_ASSIGN_OR_RETURN(auto host, b.String("hostname"));
        WHARF_ASSIGN_OR_RETURN(auto le, b.OptBool("letsencrypt"));
        WHARF_ASSIGN_OR_RETURN(auto def, b.OptBool("default"));
        WHARF_ASSIGN_OR_RETURN(auto d, s.app_services().AddDomain(c.p(), c.params[1], host, le.value_or(true), def.value_or(false), c.ctx));
        return Json(201, domains_json(d));
      },
      Ref("Domains"))
      .Request(domain_fields);
  rt.Add("DELETE", "/api/v1/orgs/{org}/services/{id}/domains/{hostname}", A::kOrg, "services",
      "Remove a domain (services.update)", {200, 400, 401, 403, 404}, [&s, domains_json](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto d, s.app_services().RemoveDomain(c.p(), c.params[1], c.params[2], c.ctx));
        return Json(200, domains_json(d));
      },
      Ref("Domains"));
  rt.Add("POST", "/api/v1/orgs/{org}/services/{id}/domains/{hostname}/default", A::kOrg, "services",
      "Make a domain the default ({{ svc.DOMAIN }}) (services.update)", {200, 400, 401, 403, 404},
      [&s, domains_json](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto d, s.app_services().SetDefaultDomain(c.p(), c.params[1], c.params[2], c.ctx));
        return Json(200, domains_json(d));
      },
      Ref("Domains"));

}

void AddTemplateRoutes(Router& rt) {
  using A = AuthMode;
  auto& s = rt.svc();
  const std::vector<int> kRow = {200, 400, 401, 403, 404, 409};
  rt.AddSchema("Template", oas::Object({{"id", oas::String()}, {"name", oas::String()}, {"description", oas::String()},
                                        {"services", oas::Array(oas::Map())}, {"source_application", oas::String()},
                                        {"created_at", oas::Time()}, {"updated_at", oas::Time()}, {"created_by", oas::String()}}));
  const Fields template_fields = {Str("name", 200).Example("shop stack"), Str("description", 4000), Str("application_id", 100)};
  const Fields template_edit_fields = {Str("name", 200), Str("description", 4000)};
  const Fields template_deploy_fields = {
      Str("application_id", 100),
      Any("application", oas::Object({{"name", oas::String()}, {"description", oas::String()}, {"server_id", oas::String()}},
                                     {"name", "description", "server_id"}))
          .Desc("A new application to create instead of application_id"),
      Bool("deploy").Desc("Also queue a deployment of each created service")};
  // Templates.
  auto parse_template = [](const Body& b) -> Result<services::TemplateInput> {
    services::TemplateInput in;
    WHARF_ASSIGN_OR_RETURN(in.name, b.OptString("name"));
    WHARF_ASSIGN_OR_RETURN(in.description, b.OptString("description"));
    WHARF_ASSIGN_OR_RETURN(in.application_id, b.OptString("application_id"));
    return in;
  };
  rt.Add("GET", "/api/v1/orgs/{org}/templates", A::kOrg, "templates", "List templates (templates.read)",
      {200, 400, 401, 403, 404}, [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(int limit, LimitParam(c.req));
        WHARF_ASSIGN_OR_RETURN(auto page, s.templates().ListTemplates(c.p(), limit, c.req.Query("cursor"), c.ctx));
        return Json(200, ListJson(page, TemplateJson));
      },
      ListOf("Template"));
  rt.Add("POST", "/api/v1/orgs/{org}/templates", A::kOrg, "templates",
      "Save {application_id}'s services as a template {name, description?} with no secret in it (templates.create, "
      "services.read)", {201, 400, 401, 403, 404, 409}, [&s, parse_template, template_fields](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto b, Body::Parse(c.req, template_fields));
        WHARF_ASSIGN_OR_RETURN(auto in, parse_template(b));
        WHARF_ASSIGN_OR_RETURN(auto t, s.templates().CreateTemplate(c.p(), std::move(in), c.ctx));
        return Json(201, TemplateJson(t));
      },
      Ref("Template"))
      .Request(template_fields);
  rt.Add("GET", "/api/v1/orgs/{org}/templates/{id}", A::kOrg, "templates", "A template (templates.read)",
      {200, 401, 403, 404}, [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto t, s.templates().GetTemplate(c.p(), c.params[1], c.ctx));
        return Json(200, TemplateJson(t));
      },
      Ref("Template"));
  rt.Add("PATCH", "/api/v1/orgs/{org}/templates/{id}", A::kOrg, "templates", "Rename or describe (templates.update)", kRow,
      [&s, parse_template, template_edit_fields](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto b, Body::Parse(c.req, template_edit_fields));
        WHARF_ASSIGN_OR_RETURN(auto in, parse_template(b));
        WHARF_ASSIGN_OR_RETURN(auto t, s.templates().UpdateTemplate(c.p(), c.params[1], std::move(in), c.ctx));
        return Json(200, TemplateJson(t));
      },
      Ref("Template"))
      .Request(template_edit_fields);
  rt.Add("DELETE", "/api/v1/orgs/{org}/templates/{id}", A::kOrg, "templates", "Delete a template (templates.delete)",
      {204, 401, 403, 404}, [&s](Call& c) -> Result<HttpResponse> {
        WHARF_TRY(s.templates().DeleteTemplate(c.p(), c.params[1], c.ctx));
        return NoContent();
      });
  rt.Add("POST", "/api/v1/orgs/{org}/templates/{id}/deploy", A::kOrg, "templates",
      "Create the template's services in {application_id} or a new {application: {name, server_id}}, renaming "
      "services to stay unique and rewriting {{ svc.VAR }} (templates.read, services.create, applications.create); "
      "deploy: true also queues a deployment of each created service (services.update)",
      {201, 400, 401, 403, 404, 409}, [&s, template_deploy_fields](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto b, Body::Parse(c.req, template_deploy_fields));
        services::TemplateDeployInput in;
        WHARF_ASSIGN_OR_RETURN(in.application_id, b.OptString("application_id"));
        WHARF_ASSIGN_OR_RETURN(auto deploy, b.OptBool("deploy"));
        in.deploy = deploy.value_or(false);
        if (b.Has("application")) {
          const json& a = b.Raw("application");
          if (!a.is_object()) return FieldError("application", "must be {\"name\": \"…\", \"server_id\": \"…\"}");
          services::ApplicationInput ai;
          for (auto& [k, v] : a.items()) {
            if (k != "name" && k != "description" && k != "server_id")
              return FieldError("application." + k, "is not a known field; allowed: name, description, server_id");
            if (!v.is_string()) return FieldError("application." + k, "must be a string");
          }
          if (a.contains("name")) ai.name = a["name"].get<std::string>();
          if (a.contains("description")) ai.description = a["description"].get<std::string>();
          if (a.contains("server_id")) ai.server_id = a["server_id"].get<std::string>();
          in.application = std::move(ai);
        }
        WHARF_ASSIGN_OR_RETURN(auto d, s.templates().DeployTemplate(c.p(), c.params[1], std::move(in), c.ctx));
        json services = json::array();
        for (auto& v : d.services) services.push_back(ServiceJson(v));
        json deployments = json::array();
        for (auto& x : d.deployments)
          deployments.push_back({{"id", x.id}, {"service_id", x.service_id}, {"action", x.action}, {"trigger", x.trigger},
                                 {"status", x.status}, {"ref", x.ref}});
        return Json(201, {{"application", ApplicationJson(d.application)}, {"created_application", d.created_application},
                          {"services", services}, {"renamed", d.renamed}, {"deployments", deployments}});
      },
      oas::Object({{"application", Ref("Application")}, {"created_application", oas::Boolean()},
                   {"services", oas::Array(Ref("Service"))}, {"renamed", oas::AnyValue()},
                   {"deployments", oas::Array(oas::Object({{"id", oas::String()}, {"service_id", oas::String()},
                                                           {"action", oas::String()}, {"trigger", oas::String()},
                                                           {"status", oas::String()}, {"ref", oas::String()}}))}}))
      .Request(template_deploy_fields);
}

}  // namespace wharf::api
