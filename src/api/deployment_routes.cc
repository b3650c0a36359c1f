// Deployments of services (services/deployments.cc; docs/applications.md "Deployments").
#include "api/routes.h"

#include "api/body.h"
#include "api/schema.h"
#include "api/sse.h"
#include "api/stream_access.h"

namespace wharf::api {

void AddDeploymentRoutes(Router& rt) {
  using A = AuthMode;
  auto& s = rt.svc();

  // ---- deployments (services.update to start or cancel, services.read to read) ----
  auto deployment_json = [](const domain::Deployment& d) {
    return json{{"id", d.id}, {"job_id", d.id}, {"application_id", d.application_id}, {"service_id", d.service_id},
                {"action", d.action}, {"trigger", d.trigger}, {"ref", d.ref},
                {"commit_sha", d.commit_sha.empty() ? json() : json(d.commit_sha)}, {"status", d.status},
                {"error", d.error.empty() ? json() : json(d.error)},
                {"error_layer", d.error_layer.empty() ? json() : json(d.error_layer)},
                {"error_fix", d.error_fix.empty() ? json() : json(d.error_fix)}, {"created_at", Time(d.created_at)},
                {"started_at", d.started_at ? json(Time(d.started_at)) : json()},
                {"finished_at", d.finished_at ? json(Time(d.finished_at)) : json()},
                {"created_by", d.created_by.empty() ? json() : json(d.created_by)}};
  };
  {
    using namespace oas;
    rt.AddSchema("Deployment", Object({{"id", String()}, {"job_id", String("The same id: the deployment is a job")},
                                       {"application_id", String()}, {"service_id", String()},
                                       {"action", Enum({"deploy", "redeploy", "restart", "stop", "destroy", "rollback"})},
                                       {"trigger", String("manual, push, ...")}, {"ref", String()},
                                       {"commit_sha", Nullable(String())}, {"status", String()},
                                       {"error", Nullable(String())}, {"error_layer", Nullable(String())},
                                       {"error_fix", Nullable(String())}, {"created_at", Time()},
                                       {"started_at", Nullable(Time())}, {"finished_at", Nullable(Time())},
                                       {"created_by", Nullable(String())}, {"log", String("With GET only")}},
                                      {"log"}));
  }
  const Fields deploy_fields = {Enum("action", {"deploy", "redeploy", "restart", "stop", "destroy"}).Desc("Default deploy")};
  auto start_deployment = [&s, deployment_json, deploy_fields](Call& c, std::string app, std::string svc,
                                                               std::string action) -> Result<HttpResponse> {
    if (action.empty()) {
      WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req, deploy_fields));
      WHARF_ASSIGN_OR_RETURN(auto a, b.OptString("action"));
      action = a.value_or("deploy");
    }
    // The one place the action's name is parsed; services take the enum.
    WHARF_ASSIGN_OR_RETURN(auto parsed, services::ParseDeployAction(action));
    WHARF_ASSIGN_OR_RETURN(auto d, s.deployments().StartDeployment(c.p(), app, svc, parsed, c.ctx));
    return Json(202, deployment_json(d));
  };
  rt.Add("POST", "/api/v1/orgs/{org}/applications/{app}/services/{svc}/deployments", A::kOrg, "deployments",
      "Queue a deployment of the service: {action?: deploy|redeploy|restart|stop|destroy}; answers 202 with the "
      "deployment (services.update)", {202, 400, 401, 403, 404, 409},
      [start_deployment](Call& c) { return start_deployment(c, c.params[1], c.params[2], ""); }, Ref("Deployment"))
      .Request(deploy_fields, true);
  for (const char* action : {"deploy", "redeploy", "restart", "stop", "destroy"}) {
    rt.Add("POST", std::string("/api/v1/orgs/{org}/services/{id}/") + action, A::kOrg, "deployments",
        std::string("Queue a ") + action + " of the service; answers 202 {job_id, ...} (services.update)",
        {202, 400, 401, 403, 404, 409},
        [start_deployment, action](Call& c) { return start_deployment(c, "", c.params[1], action); }, Ref("Deployment"));
  }
  rt.Add("GET", "/api/v1/orgs/{org}/applications/{app}/services/{svc}/deployments", A::kOrg, "deployments",
      "The service's deployments, newest first; ?limit= 1..200 (default 50), ?cursor= (services.read)", {200, 400, 401, 403, 404},
      [&s, deployment_json](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(int limit, LimitParam(c.req));
        WHARF_ASSIGN_OR_RETURN(auto rows, s.deployments().ListDeployments(c.p(), c.params[1], c.params[2], limit, c.req.Query("cursor"), c.ctx));
        json items = json::array();
        for (auto& d : rows.items) items.push_back(deployment_json(d));
        return Json(200, {{"items", items}, {"next_cursor", rows.next_cursor.empty() ? json() : json(rows.next_cursor)}});
      },
      ListOf("Deployment"));
  rt.Add("GET", "/api/v1/orgs/{org}/applications/{app}/deployments", A::kOrg, "deployments",
      "The application's deployments, newest first; ?limit= 1..200 (default 50), ?cursor= (services.read)", {200, 400, 401, 403, 404},
      [&s, deployment_json](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(int limit, LimitParam(c.req));
        WHARF_ASSIGN_OR_RETURN(auto rows, s.deployments().ListDeployments(c.p(), c.params[1], "", limit, c.req.Query("cursor"), c.ctx));
        json items = json::array();
        for (auto& d : rows.items) items.push_back(deployment_json(d));
        return Json(200, {{"items", items}, {"next_cursor", rows.next_cursor.empty() ? json() : json(rows.next_cursor)}});
      },
      ListOf("Deployment"));
  rt.Add("GET", "/api/v1/orgs/{org}/deployments/{id}", A::kOrg, "deployments",
      "A deployment with its status, error (layer and fix) and full log (services.read)", {200, 401, 403, 404},
      [&s, deployment_json](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto v, s.deployments().GetDeploymentTail(c.p(), c.params[1], 0, c.ctx));
        json j = deployment_json(v.first);
        j["log"] = v.second.log;
        return Json(200, j);
      },
      Ref("Deployment"));
  rt.Add("POST", "/api/v1/orgs/{org}/deployments/{id}/cancel", A::kOrg, "deployments",
      "Cancel a queued or running deployment (services.update); 409 when it already finished", {200, 401, 403, 404, 409},
      [&s, deployment_json](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto d, s.deployments().CancelDeployment(c.p(), c.params[1], c.ctx));
        return Json(200, deployment_json(d));
      },
      Ref("Deployment"));
  rt.Add("GET", "/api/v1/orgs/{org}/deployments/{id}/log", A::kOrg, "deployments",
      "The deployment's log as Server-Sent Events: 'log' events, then one 'end' event with the status, error, "
      "layer and fix (services.read)", {200, 401, 403, 404},
      [&s](Call& c) -> Result<HttpResponse> {
        WHARF_TRY(s.deployments().GetDeploymentTail(c.p(), c.params[1], 0, c.ctx));
        return LogStream(s, c, [&s, id = c.params[1]](const authz::Principal& p, size_t offset,
                                                       const services::RequestContext& ctx) -> Result<LogPoll> {
          WHARF_ASSIGN_OR_RETURN(auto v, s.deployments().GetDeploymentTail(p, id, offset, ctx));
          auto& [d, j] = v;
          LogPoll out{j.log_offset, std::move(j.log), std::nullopt};
          if (d.status != "queued" && d.status != "running")
            out.end = json{{"status", d.status}, {"error", d.error}, {"layer", d.error_layer}, {"fix", d.error_fix}};
          return out;
        });
      })
      .Media("text/event-stream")
      .Description("Events: `log` (data: the new output) and finally `end` (data: JSON {status, error, layer, fix}); "
                   "`revoked` when the caller's access ends mid-stream.");
}

}  // namespace wharf::api
