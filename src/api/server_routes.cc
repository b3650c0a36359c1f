// Servers (worker nodes), their checks and firewall, and jobs.
#include "api/routes.h"

#include "api/body.h"
#include "api/schema.h"
#include "api/sse.h"
#include "api/stream_access.h"

namespace wharf::api {

namespace {

json ServerJson(const domain::Server& s) {
  json j = {{"id", s.id}, {"name", s.name}, {"host", s.host}, {"port", s.port}, {"username", s.username},
            {"ssh_key_id", s.ssh_key_id}, {"security_group_ids", s.security_group_ids},
            {"host_key_fingerprint", s.host_key_fingerprint.empty() ? json() : json(s.host_key_fingerprint)},
            {"status", s.status}, {"last_check_at", s.last_check_at ? json(Time(s.last_check_at)) : json()},
            {"last_error", s.last_error.empty() ? json() : json(s.last_error)},
            {"next_check_at", s.next_check_at ? json(Time(s.next_check_at)) : json()},
            {"created_at", Time(s.created_at)}, {"updated_at", Time(s.updated_at)}, {"created_by", s.created_by}};
  j["last_check"] = s.last_check.empty() ? json() : json::parse(s.last_check, nullptr, false);
  return j;
}

}  // namespace

void AddServerRoutes(Router& rt) {
  using A = AuthMode;
  auto& s = rt.svc();
  // --- servers ---
  {
    using namespace oas;
    // A check run's report (services/servers.cc): each check, and what it learned of the node.
    // A certificate the server served for one Let's Encrypt domain (services/server_certificates.cc);
    // `error` when none could be read or it is for another name.
    rt.AddSchema("ServedCertificate",
                 Object({{"application", String()}, {"service", String()}, {"hostname", String()},
                         {"not_after", Time()}, {"days_left", Integer()}, {"issuer", String()}, {"subject", String()},
                         {"matches_hostname", Boolean()}, {"error", String()}},
                        {"not_after", "days_left", "issuer", "subject", "matches_hostname", "error"}));
    rt.AddSchema("ServerReport", OpenObject({{"ok", Boolean()}, {"at", Integer()}, {"duration_ms", Integer()},
                                             {"checks", Array(Ref("Check"))}, {"os", String()},
                                             {"dokku_version", String()}, {"disk_free_mb", Integer()},
                                             {"host_key_fingerprint", String()},
                                             {"certificates", Array(Ref("ServedCertificate"))}},
                                            {"at", "duration_ms", "os", "dokku_version", "disk_free_mb", "host_key_fingerprint",
                                             "certificates"}));
    rt.AddSchema("Server", Object({{"id", String()}, {"name", String()}, {"host", String()}, {"port", Integer()},
                                   {"username", String()}, {"ssh_key_id", String()}, {"security_group_ids", Array(String())},
                                   {"host_key_fingerprint", Nullable(String())}, {"status", String()},
                                   {"last_check_at", Nullable(Time())}, {"last_error", Nullable(String())},
                                   {"next_check_at", Nullable(Time())}, {"created_at", Time()}, {"updated_at", Time()},
                                   {"created_by", String()}, {"last_check", Nullable(Ref("ServerReport"))}}));
  }
  const Fields server_fields = {
      Str("name", 200).Example("node-1"), Str("host", 300).Example("203.0.113.10"),
      Int("port").Range(1, 65535).Example(22), Str("username", 64).Example("wharf"), Str("ssh_key_id", 100),
      Any("security_group_ids", oas::Array(oas::String())).Desc("Security group ids")};
  const Fields test_job_fields = {Str("target_id", 100).Req(), Int("sleep_ms"), Int("count").Range(1, 1000),
                                  Int("log_lines")};
  auto parse_server = [](const Body& b) -> Result<services::ServerInput> {
    services::ServerInput in;
    WHARF_ASSIGN_OR_RETURN(in.name, b.OptString("name"));
    WHARF_ASSIGN_OR_RETURN(in.host, b.OptString("host"));
    WHARF_ASSIGN_OR_RETURN(auto port, b.OptInt("port"));
    if (port) {
      if (*port < 1 || *port > 65535) return FieldError("port", "must be 1–65535 (SSH is usually 22)");
      in.port = static_cast<int>(*port);
    }
    WHARF_ASSIGN_OR_RETURN(in.username, b.OptString("username"));
    WHARF_ASSIGN_OR_RETURN(in.ssh_key_id, b.OptString("ssh_key_id"));
    if (b.Has("security_group_ids")) {
      const json& a = b.Raw("security_group_ids");
      if (!a.is_array()) return FieldError("security_group_ids", "must be a list of security group ids");
      std::vector<std::string> ids;
      for (auto& v : a) {
        if (!v.is_string()) return FieldError("security_group_ids", "must be a list of strings");
        ids.push_back(v);
      }
      in.security_group_ids = std::move(ids);
    }
    return in;
  };
  rt.Add("GET", "/api/v1/orgs/{org}/servers", A::kOrg, "servers", "List servers with their last status (servers.read)",
      {200, 400, 401, 403, 404}, [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(int limit, LimitParam(c.req));
        WHARF_ASSIGN_OR_RETURN(auto page, s.servers().ListServers(c.p(), limit, c.req.Query("cursor"), c.ctx));
        json items = json::array();
        for (auto& v : page.items) items.push_back(ServerJson(v));
        return Json(200, {{"items", items}, {"next_cursor", page.next_cursor.empty() ? json() : json(page.next_cursor)}});
      },
      ListOf("Server"));
  rt.Add("POST", "/api/v1/orgs/{org}/servers/test-connection", A::kOrg, "servers",
      "Run every check on an unsaved server body (servers.create)", {200, 400, 401, 403, 404},
      [&s, parse_server, server_fields](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req, server_fields));
        WHARF_ASSIGN_OR_RETURN(auto in, parse_server(b));
        WHARF_ASSIGN_OR_RETURN(auto out, s.servers().TestServerConnection(c.p(), std::move(in), c.ctx));
        return Json(200, out.report);
      },
      Ref("ServerReport"))
      .Request(server_fields);
  rt.Add("POST", "/api/v1/orgs/{org}/servers", A::kOrg, "servers",
      "Add a server: tests the connection first and pins the host key (servers.create)", {201, 400, 401, 403, 404, 409},
      [&s, parse_server, server_fields](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req, server_fields));
        WHARF_ASSIGN_OR_RETURN(auto in, parse_server(b));
        WHARF_ASSIGN_OR_RETURN(auto v, s.servers().CreateServer(c.p(), std::move(in), c.ctx));
        return Json(201, ServerJson(v));
      },
      Ref("Server"))
      .Request(server_fields);
  rt.Add("GET", "/api/v1/orgs/{org}/servers/{id}", A::kOrg, "servers", "A server (servers.read)", {200, 401, 403, 404},
      [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto v, s.servers().GetServer(c.p(), c.params[1], c.ctx));
        return Json(200, ServerJson(v));
      },
      Ref("Server"));
  rt.Add("PATCH", "/api/v1/orgs/{org}/servers/{id}", A::kOrg, "servers", "Edit a server (servers.update)",
      {200, 400, 401, 403, 404, 409}, [&s, parse_server, server_fields](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req, server_fields));
        WHARF_ASSIGN_OR_RETURN(auto in, parse_server(b));
        WHARF_ASSIGN_OR_RETURN(auto v, s.servers().UpdateServer(c.p(), c.params[1], std::move(in), c.ctx));
        return Json(200, ServerJson(v));
      },
      Ref("Server"))
      .Request(server_fields);
  rt.Add("DELETE", "/api/v1/orgs/{org}/servers/{id}", A::kOrg, "servers", "Remove a server from Wharf (servers.delete)",
      {204, 401, 403, 404}, [&s](Call& c) -> Result<HttpResponse> {
        WHARF_TRY(s.servers().DeleteServer(c.p(), c.params[1], c.ctx));
        return NoContent();
      });
  rt.Add("POST", "/api/v1/orgs/{org}/servers/{id}/check", A::kOrg, "servers",
      "Run every check now and record it (servers.update)", {200, 400, 401, 403, 404, 409},
      [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto out, s.servers().CheckServer(c.p(), c.params[1], c.ctx));
        return Json(200, out.report);
      },
      Ref("ServerReport"));
  rt.Add("POST", "/api/v1/orgs/{org}/servers/{id}/repin-host-key", A::kOrg, "servers",
      "Trust the host key the server presents now (servers.update)", {200, 400, 401, 403, 404},
      [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto v, s.servers().RepinHostKey(c.p(), c.params[1], c.ctx));
        return Json(200, ServerJson(v));
      },
      Ref("Server"));
  rt.Add("GET", "/api/v1/orgs/{org}/servers/{id}/checks", A::kOrg, "servers", "Check history, newest first (servers.read)",
      {200, 400, 401, 403, 404}, [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(int limit, LimitParam(c.req));
        WHARF_ASSIGN_OR_RETURN(auto rows, s.servers().ServerCheckHistory(c.p(), c.params[1], limit, c.ctx));
        json items = json::array();
        for (auto& r : rows)
          items.push_back({{"at", Time(r.at)}, {"ok", r.ok}, {"report", json::parse(r.report, nullptr, false)}});
        return Json(200, {{"items", items}});
      },
      oas::Object({{"items", oas::Array(oas::Object({{"at", oas::Time()}, {"ok", oas::Boolean()}, {"report", Ref("ServerReport")}}))}}))
      .Query("limit", {{"type", "integer"}, {"minimum", 1}, {"maximum", 200}, {"default", 50}}, "How many, newest first");

  rt.Add("POST", "/api/v1/orgs/{org}/servers/{id}/apply-firewall", A::kOrg, "servers",
      "Apply the server's security groups to its host firewall (nftables) and return the rules in force (servers.update)",
      {200, 400, 401, 403, 404, 409}, [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto fw, s.servers().ApplyFirewall(c.p(), c.params[1], c.ctx));
        return Json(200, {{"backend", fw.backend}, {"rules_in_force", fw.in_force}, {"skipped", fw.skipped}});
      },
      oas::Object({{"backend", oas::String("nftables or ufw")}, {"rules_in_force", oas::String()}, {"skipped", oas::Array(oas::String())}}));
  rt.Add("GET", "/api/v1/orgs/{org}/servers/{id}/firewall", A::kOrg, "servers",
      "The host firewall rules in force on the server, read over SSH (servers.read)", {200, 400, 401, 403, 404},
      [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto fw, s.servers().ReadFirewall(c.p(), c.params[1], c.ctx));
        return Json(200, {{"backend", fw.backend}, {"rules_in_force", fw.in_force}});
      },
      oas::Object({{"backend", oas::String("nftables or ufw")}, {"rules_in_force", oas::String()}}));
  rt.Add("POST", "/api/v1/orgs/{org}/servers/{id}/onboard", A::kOrg, "servers",
      "Install the pinned Dokku and plugins, doing only what is missing; answers 202 {job_id} (servers.update)",
      {202, 401, 403, 404, 409}, [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto job, s.servers().OnboardServer(c.p(), c.params[1], c.ctx));
        return Json(202, {{"job_id", job.id}, {"status", job.status}});
      },
      oas::Object({{"job_id", oas::String()}, {"status", oas::String()}}));
  rt.Add("GET", "/api/v1/orgs/{org}/jobs/{id}", A::kOrg, "servers",
      "A job's status and log, read through its subject: a deployment's service (services.read), "
      "a backup (backups.read), else its server (servers.read)",
      {200, 401, 403, 404}, [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto j, s.jobs().GetJob(c.p(), c.params[1], c.ctx));
        return Json(200, JobJson(j, true));
      },
      Ref("Job"));
  rt.Add("POST", "/api/v1/orgs/{org}/jobs/{id}/cancel", A::kOrg, "servers",
      "Cancel a job: queued ends cancelled at once, running stops at its next step (the update "
      "permission of its subject: services, backups or servers)",
      {200, 401, 403, 404, 409}, [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto j, s.jobs().CancelJob(c.p(), c.params[1], c.ctx));
        return Json(200, JobJson(j, false));
      },
      Ref("Job"));
  rt.Add("POST", "/api/v1/orgs/{org}/test-jobs", A::kOrg, "servers",
      "Tests only (wharf serve --enable-test-jobs, else 404): enqueue {target_id, sleep_ms, count, log_lines} sleep jobs "
      "(servers.update)", {202, 400, 401, 403, 404}, [&s, test_job_fields](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req, test_job_fields));
        WHARF_ASSIGN_OR_RETURN(auto lines, b.OptInt("log_lines"));
        WHARF_ASSIGN_OR_RETURN(std::string target, b.String("target_id"));
        WHARF_ASSIGN_OR_RETURN(auto ms, b.OptInt("sleep_ms"));
        WHARF_ASSIGN_OR_RETURN(auto count, b.OptInt("count"));
        WHARF_ASSIGN_OR_RETURN(auto jobs, s.jobs().EnqueueTestJobs(c.p(), target, ms.value_or(0), static_cast<int>(count.value_or(1)),
                                                                   lines.value_or(0), c.ctx));
        json ids = json::array();
        for (auto& j : jobs) ids.push_back(j.id);
        return Json(202, {{"job_ids", ids}});
      },
      oas::Object({{"job_ids", oas::Array(oas::String())}}))
      .Request(test_job_fields);
  rt.Add("GET", "/api/v1/orgs/{org}/jobs/{id}/log", A::kOrg, "servers",
      "The job's log as Server-Sent Events: 'log' events, then one 'end' event with the status", {200, 401, 403, 404},
      [&s](Call& c) -> Result<HttpResponse> {
        WHARF_TRY(s.jobs().GetJob(c.p(), c.params[1], c.ctx));
        return LogStream(s, c, [&s, id = c.params[1]](const authz::Principal& p, size_t offset,
                                                       const services::RequestContext& ctx) -> Result<LogPoll> {
          WHARF_ASSIGN_OR_RETURN(auto j, s.jobs().GetJobTail(p, id, offset, ctx));
          LogPoll out{j.log_offset, std::move(j.log), std::nullopt};
          if (j.status != "queued" && j.status != "running") out.end = json{{"status", j.status}, {"error", j.error}};
          return out;
        });
      })
      .Media("text/event-stream")
      .Description("Events: `log` (data: the new output, one data line per line) and finally `end` (data: JSON "
                   "{status, error}); `revoked` when the caller's access ends mid-stream.");

}

}  // namespace wharf::api
