// Access explain, diagnose, and the support bundle.
#include "api/routes.h"

#include "api/body.h"
#include "api/schema.h"

namespace wharf::api {

void AddDiagnoseRoutes(Router& rt) {
  using A = AuthMode;
  auto& s = rt.svc();
  {
    using namespace oas;
    json decision = {{"collection", String()}, {"action", Enum({"create", "read", "update", "delete"})},
                     {"permission", String()}, {"allowed", Boolean()}, {"reason", String()}, {"message", String()},
                     {"hint", String()}};
    rt.AddSchema("AccessDecision", Object(decision, {"hint"}));
    // One decision is answered inline; the whole matrix (no collection/action) under `matrix`.
    json explain = decision;
    explain["user"] = Ref("UserBrief");
    explain["role"] = Object({{"id", String()}, {"name", String()}});
    explain["owner"] = Boolean();
    explain["matrix"] = Array(Ref("AccessDecision"));
    rt.AddSchema("AccessExplanation", Object(explain, {"collection", "action", "permission", "allowed", "reason",
                                                       "message", "hint", "matrix"}));
    rt.AddSchema("Diagnosis", Object({{"layer", Nullable(String())}, {"subject", String()}, {"title", String()},
                                      {"likely_causes", Array(String())},
                                      {"checklist", Array(Object({{"name", String()}, {"status", String()},
                                                                  {"evidence", String()}, {"fix", String()},
                                                                  {"layer", String()}},
                                                                 {"layer"}))},
                                      {"page", String()}, {"not_this", AnyValue()}, {"matched", AnyValue()}},
                                     {"not_this", "matched"}));
  }
  const Fields diagnose_fields = {
      Str("server_id", 100), Str("invitation_id", 100), Str("error_text", 20000).Example("pull access denied for acme/web"),
      Str("docker_registry_id", 100), Str("image", 1000), Str("git_provider_id", 100), Str("repository", 2000),
      Str("branch", 300), Str("backup_storage_id", 100), Str("cloud_account_id", 100), Str("region", 40)};
  const Fields bundle_fields = {Int("since_minutes"),
                                Any("request_ids", oas::Array({{"type", "string"}, {"maxLength", 100}})).Desc("req_… ids"),
                                Str("error_text", 20000)};
  rt.Add("GET", "/api/v1/orgs/{org}/access/explain", A::kOrg, "access",
      "Why a member may or may not do something: ?user_id=&collection=&action=&resource_id= (Admin, or yourself); "
      "without collection/action, the whole matrix", {200, 400, 401, 403, 404}, [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto v, s.roles().ExplainAccess(c.p(), c.req.Query("user_id"), c.req.Query("collection"),
                                                       c.req.Query("action"), c.req.Query("resource_id"), c.ctx));
        json items = json::array();
        for (auto& e : v.items) {
          json j = {{"collection", e.collection}, {"action", e.action}, {"permission", e.permission}, {"allowed", e.allowed},
                    {"reason", e.reason}, {"message", e.message}};
          if (!e.hint.empty()) j["hint"] = e.hint;
          items.push_back(std::move(j));
        }
        json out = {{"user", {{"id", v.user.id}, {"email", v.user.email}, {"name", v.user.name}}},
                    {"role", {{"id", v.role_id}, {"name", v.role_name}}}, {"owner", v.owner}};
        if (items.size() == 1) {
          out.update(items[0]);
        } else {
          out["matrix"] = items;
        }
        return Json(200, out);
      },
      Ref("AccessExplanation"))
      .Query("user_id", oas::String(), "The member (default: yourself)")
      .Query("collection", oas::String(), "A collection such as servers (with action: one decision)")
      .Query("action", oas::Enum({"create", "read", "update", "delete"}), "The action")
      .Query("resource_id", oas::String(), "One object, for scoped roles and read_scope own");

  rt.Add("POST", "/api/v1/orgs/{org}/diagnose", A::kOrg, "diagnose",
      "Run the checklist of a layer for a resource ({server_id}, {invitation_id}, {docker_registry_id, image}, or one of: git_provider_id, repository, branch, backup_storage_id, cloud_account_id, region), or classify {error_text}",
      {200, 400, 401, 403, 404}, [&s, diagnose_fields](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req, diagnose_fields));
        services::DiagnoseInput in;
        WHARF_ASSIGN_OR_RETURN(in.git_provider_id, b.OptString("git_provider_id"));
        WHARF_ASSIGN_OR_RETURN(in.repository, b.OptString("repository"));
        WHARF_ASSIGN_OR_RETURN(in.branch, b.OptString("branch"));
        WHARF_ASSIGN_OR_RETURN(in.backup_storage_id, b.OptString("backup_storage_id"));
        WHARF_ASSIGN_OR_RETURN(in.cloud_account_id, b.OptString("cloud_account_id"));
        WHARF_ASSIGN_OR_RETURN(in.region, b.OptString("region"));
        WHARF_ASSIGN_OR_RETURN(in.docker_registry_id, b.OptString("docker_registry_id"));
        WHARF_ASSIGN_OR_RETURN(in.image, b.OptString("image"));
        WHARF_ASSIGN_OR_RETURN(in.server_id, b.OptString("server_id"));
        WHARF_ASSIGN_OR_RETURN(in.invitation_id, b.OptString("invitation_id"));
        WHARF_ASSIGN_OR_RETURN(in.error_text, b.OptString("error_text"));
        WHARF_ASSIGN_OR_RETURN(auto d, s.diagnose().Diagnose(c.p(), std::move(in), c.ctx));
        json items = json::array();
        for (auto& i : d.checklist) {
          json item = {{"name", i.name}, {"status", i.status}, {"evidence", i.evidence}, {"fix", i.fix}};
          if (!i.layer.empty()) item["layer"] = i.layer;
          items.push_back(std::move(item));
        }
        json out = {{"layer", d.layer.empty() ? json() : json(d.layer)}, {"subject", d.subject}, {"title", d.title},
                    {"likely_causes", d.causes}, {"checklist", items}, {"page", d.page}};
        if (!d.not_this.empty()) out["not_this"] = d.not_this;
        if (!d.matched.empty()) out["matched"] = d.matched;
        return Json(200, out);
      },
      Ref("Diagnosis"))
      .Request(diagnose_fields);

  rt.Add("POST", "/api/v1/orgs/{org}/support-bundle", A::kOrg, "org",
      "A tar of the org's recent audit events, matching log lines, server checks and redacted config: "
      "{since_minutes?, request_ids?, error_text?} (Admin)", {200, 400, 401, 403, 404},
      [&s, bundle_fields](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req, bundle_fields));
        services::BundleInput in;
        WHARF_ASSIGN_OR_RETURN(auto since, b.OptInt("since_minutes"));
        if (since) in.since_minutes = *since;
        WHARF_ASSIGN_OR_RETURN(in.error_text, b.OptString("error_text"));
        if (b.Has("request_ids")) {
          const json& a = b.Raw("request_ids");
          if (!a.is_array()) return FieldError("request_ids", "must be a list of request ids (req_…)");
          for (auto& v : a) {
            if (!v.is_string() || v.get_ref<const std::string&>().size() > 100)
              return FieldError("request_ids", "must be a list of request ids (req_…)");
            in.request_ids.push_back(v);
          }
        }
        WHARF_ASSIGN_OR_RETURN(auto tar, s.support().SupportBundle(c.p(), std::move(in), c.ctx));
        HttpResponse r;
        r.content_type = "application/x-tar";
        r.headers.emplace_back("Content-Disposition", "attachment; filename=\"wharf-support-" + c.p().org_slug + ".tar\"");
        r.body = std::move(tar);
        return r;
      })
      .Request(bundle_fields, true)
      .Media("application/x-tar");

}

}  // namespace wharf::api
