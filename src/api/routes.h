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

#include <functional>
#include <optional>
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

// A job-backed log as Server-Sent Events (a job's and a deployment's log): 'log' events with what
// the stream has not sent yet, a note when retention dropped unsent output, then one 'end' event.
// The reader is re-checked while it streams (StreamAccess). `poll` reads the log from a character
// offset as the re-checked principal.
struct LogPoll {
  int64_t log_offset = 0;  // characters the stored log dropped before `log`
  std::string log;
  std::optional<json> end;  // the 'end' event's data, once the job has finished
};
using LogPoller =
    std::function<Result<LogPoll>(const authz::Principal&, size_t offset, const services::RequestContext&)>;
HttpResponse LogStream(services::Services& s, Call& c, LogPoller poll);

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
void AddReleaseRoutes(Router& rt);       // release_routes.cc: releases, rollback, runtime logs
void AddOperationsRoutes(Router& rt);    // ops_routes.cc: web UI, health, metrics, openapi.json
void AddAuthRoutes(Router& rt);          // auth_routes.cc: sign-up, sign-in, me, tokens, orgs
void AddAccountRoutes(Router& rt);       // account_routes.cc: password, email, sessions, deleting; admin users
void AddTeamRoutes(Router& rt);          // team_routes.cc: roles, members, invitations
void AddSshKeyRoutes(Router& rt);        // ssh_key_routes.cc
void AddSecurityGroupRoutes(Router& rt); // security_group_routes.cc
void AddIntegrationRoutes(Router& rt);   // integration_routes.cc: registries, git providers, backup storage, cloud accounts
void AddEc2SyncRoutes(Router& rt);       // security_group_routes.cc: a security group on EC2
void AddServerRoutes(Router& rt);        // server_routes.cc: servers and jobs
void AddDiagnoseRoutes(Router& rt);      // diagnose_routes.cc: access explain, diagnose, support bundle
void AddAuditRoutes(Router& rt);         // team_routes.cc
void AddBackupRoutes(Router& rt);        // backup_routes.cc
void AddNotificationRoutes(Router& rt);  // notification_routes.cc: channels, rules, deliveries
void AddSsoRoutes(Router& rt);          // sso_routes.cc: identity providers, OpenID Connect sign-in
void AddSecondFactorRoutes(Router& rt);  // second_factor_routes.cc: TOTP, recovery codes, passkeys, step-up, 2FA policy

// second_factor_routes.cc: a sign-in's answer (session cookie, csrf_token, token unless
// cookie_only), and the answer of a sign-in that waits for its second factor.
HttpResponse SessionAnswer(const Router& rt, const services::SessionGrant& g, bool cookie_only);
HttpResponse SecondFactorAnswer(const services::PendingSecondFactor& p);

}  // namespace wharf::api
