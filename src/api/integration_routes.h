// The routes every integration kind shares, written once. A kind (Docker registries, git
// providers, backup storage, cloud accounts) describes what differs — its path, writer, body
// parser, the service calls that create, edit, test and verify — and AddIntegration registers,
// in this order:
//
//   GET    /api/v1/orgs/{org}/<path>              list (ListIntegrations), {items, next_cursor}
//   POST   /api/v1/orgs/{org}/<path>/test         check an unsaved body, nothing saved → report
//   POST   /api/v1/orgs/{org}/<path>              create → 201
//   GET    /api/v1/orgs/{org}/<path>/{id}         one (GetIntegration)
//   PATCH  /api/v1/orgs/{org}/<path>/{id}         edit
//   DELETE /api/v1/orgs/{org}/<path>/{id}         delete (DeleteIntegration unless `remove`) → 204
//   POST   /api/v1/orgs/{org}/<path>/{id}/verify  verify the saved row → report
//
// Example (integration_routes.cc has the four real ones):
//
//   IntegrationRoutes<services::RegistryInput> reg{.path = "docker-registries", .tag = "dockerRegistries",
//       .kind = services::kDockerRegistries, .schema = "DockerRegistry", .write = RegistryJson, ...};
//   AddIntegration(rt, std::move(reg));
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/body.h"
#include "api/routes.h"

namespace wharf::api {

template <typename In>
struct IntegrationRoutes {
  std::string path;  // under /api/v1/orgs/{org}/: "docker-registries"
  std::string tag;   // the OpenAPI tag and collection name: "dockerRegistries"
  const services::IntegrationKind* kind = nullptr;
  std::string schema;  // the component schema of one row (registered by the caller)
  std::function<json(const domain::Integration&)> write;
  std::function<Result<In>(const Body&)> parse;
  Fields fields;  // the create and edit body
  struct {
    std::string list, test, create, get, patch, remove, verify;
  } summary;
  // POST …/test: the body's fields, then the check of the parsed unsaved body (it may read more
  // of the body, such as a registry's image); answers the report's JSON text.
  Fields test_fields;
  std::function<Result<nlohmann::json>(Call&, const Body&, In)> test;
  std::function<Result<domain::Integration>(Call&, In)> create;
  std::function<Result<domain::Integration>(Call&, const std::string& id, In)> update;
  // POST …/{id}/verify: the body's fields and the verification; answers the report's JSON text.
  Fields verify_fields;
  std::function<Result<nlohmann::json>(Call&, const Body&)> verify;
  // Optional: a list answered otherwise, when it returns one (cloud accounts' ?expiring_within_days).
  std::function<std::optional<Result<HttpResponse>>(Call&)> list_filter;
  // The list's extra query parameters {name, schema, description} (documentation).
  struct QueryParam {
    std::string name;
    nlohmann::json schema;
    std::string description;
  };
  std::vector<QueryParam> list_query;
  // Optional: a kind-specific delete (cloud accounts refuse while EC2 groups are recorded).
  std::function<Status(Call&)> remove;
  std::vector<int> remove_statuses = {204, 401, 403, 404};
};

template <typename In>
void AddIntegration(Router& rt, IntegrationRoutes<In> spec_in) {
  using A = AuthMode;
  auto& s = rt.svc();
  auto spec = std::make_shared<const IntegrationRoutes<In>>(std::move(spec_in));
  const std::string base = "/api/v1/orgs/{org}/" + spec->path;
  Op list = rt.Add("GET", base, A::kOrg, spec->tag, spec->summary.list, {200, 400, 401, 403, 404},
         [&s, spec](Call& c) -> Result<HttpResponse> {
           if (spec->list_filter)
             if (auto answered = spec->list_filter(c)) return std::move(*answered);
           WHARF_ASSIGN_OR_RETURN(int limit, LimitParam(c.req));
           WHARF_ASSIGN_OR_RETURN(auto page, s.integrations().ListIntegrations(c.p(), *spec->kind, limit, c.req.Query("cursor"), c.ctx));
           return Json(200, ListJson(page, spec->write));
         },
         ListOf(spec->schema));
  for (auto& q : spec->list_query) list.Query(q.name, q.schema, q.description);
  rt.Add("POST", base + "/test", A::kOrg, spec->tag, spec->summary.test, {200, 400, 401, 403, 404},
         [spec](Call& c) -> Result<HttpResponse> {
           WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req, spec->test_fields));
           WHARF_ASSIGN_OR_RETURN(auto in, spec->parse(b));
           WHARF_ASSIGN_OR_RETURN(nlohmann::json report, spec->test(c, b, std::move(in)));
           return Json(200, std::move(report));
         },
         Ref("CheckReport"))
      .Request(spec->test_fields, true);
  rt.Add("POST", base, A::kOrg, spec->tag, spec->summary.create, {201, 400, 401, 403, 404, 409},
         [spec](Call& c) -> Result<HttpResponse> {
           WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req, spec->fields));
           WHARF_ASSIGN_OR_RETURN(auto in, spec->parse(b));
           WHARF_ASSIGN_OR_RETURN(auto v, spec->create(c, std::move(in)));
           return Json(201, spec->write(v));
         },
         Ref(spec->schema))
      .Request(spec->fields);
  rt.Add("GET", base + "/{id}", A::kOrg, spec->tag, spec->summary.get, {200, 401, 403, 404},
         [&s, spec](Call& c) -> Result<HttpResponse> {
           WHARF_ASSIGN_OR_RETURN(auto v, s.integrations().GetIntegration(c.p(), *spec->kind, c.params[1], c.ctx));
           return Json(200, spec->write(v));
         },
         Ref(spec->schema));
  rt.Add("PATCH", base + "/{id}", A::kOrg, spec->tag, spec->summary.patch, {200, 400, 401, 403, 404, 409},
         [spec](Call& c) -> Result<HttpResponse> {
           WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req, spec->fields));
           WHARF_ASSIGN_OR_RETURN(auto in, spec->parse(b));
           WHARF_ASSIGN_OR_RETURN(auto v, spec->update(c, c.params[1], std::move(in)));
           return Json(200, spec->write(v));
         },
         Ref(spec->schema))
      .Request(spec->fields);
  rt.Add("DELETE", base + "/{id}", A::kOrg, spec->tag, spec->summary.remove, spec->remove_statuses,
         [&s, spec](Call& c) -> Result<HttpResponse> {
           if (spec->remove) {
             WHARF_TRY(spec->remove(c));
           } else {
             WHARF_TRY(s.integrations().DeleteIntegration(c.p(), *spec->kind, c.params[1], c.ctx));
           }
           return NoContent();
         });
  rt.Add("POST", base + "/{id}/verify", A::kOrg, spec->tag, spec->summary.verify, {200, 400, 401, 403, 404},
         [spec](Call& c) -> Result<HttpResponse> {
           WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req, spec->verify_fields));
           WHARF_ASSIGN_OR_RETURN(nlohmann::json report, spec->verify(c, b));
           return Json(200, std::move(report));
         },
         Ref("CheckReport"))
      .Request(spec->verify_fields, true);
}

// The component schema of an integration row as IntegrationJson writes it: `fields` are strings
// (null when unset), `secrets` are {set}, then the verify fields; `extra` adds kind-specific ones.
json IntegrationSchema(std::initializer_list<const char*> fields, std::initializer_list<const char*> secrets,
                       const json& extra = json::object());

}  // namespace wharf::api
