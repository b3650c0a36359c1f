// What the per-feature route files share: the response helpers, the JSON writers more than one
// feature uses, and one Add…Routes(Router&) per feature (api/<feature>_routes.cc).
//
// A feature file registers its routes, writes its own JSON and parses its own bodies:
//
//   void AddSshKeyRoutes(Router& rt) {
//     using A = AuthMode;
//     auto& s = rt.svc();
//     rt.Add("GET", "/api/v1/orgs/{org}/ssh-keys/{id}", A::kOrg, "sshKeys", "An SSH key (sshKeys.read)",
//            {200, 401, 403, 404}, [&s](Call& c) -> Result<HttpResponse> {
//              WHARF_ASSIGN_OR_RETURN(auto k, s.ssh_keys().GetSshKey(c.p(), c.params[1], c.ctx));
//              return Json(200, SshKeyJson(k));
//            }, Ref("SshKey"));
//   }
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "api/router.h"

namespace wharf::api {

using nlohmann::json;

// RFC 3339 text of a timestamp; TimeOrNull gives null for 0.
std::string Time(Timestamp t);
json TimeOrNull(Timestamp t);
// Text from nodes and git hosts may be invalid UTF-8: replaced, never thrown over.
std::string Dump(const json& j);

HttpResponse Json(int status, const json& body);
HttpResponse NoContent();

// {items, next_cursor} of a page, each item written by `f`.
template <typename T, typename F>
json ListJson(const services::Page<T>& page, F&& f) {
  json items = json::array();
  for (auto& x : page.items) items.push_back(f(x));
  return {{"items", items}, {"next_cursor", page.next_cursor.empty() ? json(nullptr) : json(page.next_cursor)}};
}

// ?limit= 1..200, default 50.
Result<int> LimitParam(const HttpRequest& req);

// Writers shared across features.
json UserJson(const domain::User& u);
json UserBrief(const domain::User& u);
json OrgJson(const services::OrgView& v);
json JobJson(const domain::Job& j, bool with_log);
json ApplicationJson(const domain::Application& a);
json VariablesJson(const std::vector<services::VariableView>& vars);
json ServiceJson(const services::ServiceView& v);

// The components more than one feature's routes use (User, Org, Job, Service, Permissions, ...),
// beside the writers above; registered first.
void AddSharedSchemas(Router& rt);

// One per feature file, called in this order by Api (the order decides only the Allow header's
// order and the metrics' route order).
void AddApplicationRoutes(Router& rt);   // app_routes.cc: applications, projects, services, variables, domains
void AddTemplateRoutes(Router& rt);      // app_routes.cc
void AddDeploymentRoutes(Router& rt);    // deployment_routes.cc
void AddOperationsRoutes(Router& rt);    // ops_routes.cc: web UI, health, metrics, openapi.json
void AddAuthRoutes(Router& rt);          // auth_routes.cc: sign-up, sign-in, me, tokens, orgs
void AddTeamRoutes(Router& rt);          // team_routes.cc: roles, members, invitations
void AddSshKeyRoutes(Router& rt);        // ssh_key_routes.cc
void AddSecurityGroupRoutes(Router& rt); // security_group_routes.cc
void AddIntegrationRoutes(Router& rt);   // integration_routes.cc: registries, git providers, backup storage, cloud accounts
void AddEc2SyncRoutes(Router& rt);       // security_group_routes.cc: a security group on EC2
void AddServerRoutes(Router& rt);        // server_routes.cc: servers and jobs
void AddDiagnoseRoutes(Router& rt);      // diagnose_routes.cc: access explain, diagnose, support bundle
void AddAuditRoutes(Router& rt);         // team_routes.cc
void AddBackupRoutes(Router& rt);        // backup_routes.cc

}  // namespace wharf::api
