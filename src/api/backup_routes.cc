// Backups of database services and their schedules (docs/backups.md).
#include "api/routes.h"

#include "api/body.h"
#include "api/schema.h"

namespace wharf::api {

namespace {

// A backup row (integrations table, kind "backups") as the API shows it. No secret is in it.
json BackupJson(const domain::Integration& b) {
  auto num = [&](const char* k) -> json {
    std::string v = b.Field(k);
    if (v.empty()) return nullptr;
    try {
      return std::stoll(v);
    } catch (...) {
      return nullptr;
    }
  };
  auto str = [&](const char* k) -> json {
    std::string v = b.Field(k);
    return v.empty() ? json(nullptr) : json(v);
  };
  auto err = [&](const char* k) -> json {
    std::string v = b.Field(k);
    if (v.empty()) return nullptr;
    json e = json::parse(v, nullptr, false);
    return e.is_discarded() ? json(nullptr) : e;
  };
  json j{{"id", b.id},
         {"application_id", b.Field("application_id")},
         {"service_id", b.Field("service_id")},
         {"service_name", b.Field("service_name")},
         {"engine", b.Field("engine")},
         {"storage", b.Field("storage")},
         {"backup_storage_id", str("backup_storage_id")},
         {"object_key", str("object_key")},
         {"path", str("path")},
         {"status", b.Field("status")},
         {"size", num("size")},
         {"sha256", str("sha256")},
         {"trigger", b.Field("trigger")},
         {"schedule_id", str("schedule_id")},
         {"job_id", str("job_id")},
         {"error", err("error")},
         {"started_at", num("started_at")},
         {"finished_at", num("finished_at")},
         {"created_at", b.created_at},
         {"created_by", b.created_by.empty() ? json(nullptr) : json(b.created_by)}};
  if (!b.Field("restore_job_id").empty())
    j["restore"] = {{"status", b.Field("restore_status")}, {"job_id", b.Field("restore_job_id")},
                    {"error", err("restore_error")},        {"started_at", num("restore_started_at")},
                    {"finished_at", num("restore_finished_at")}};
  else
    j["restore"] = nullptr;
  return j;
}

json BackupScheduleJson(const domain::Integration& s) {
  auto num = [&](const char* k) -> json {
    std::string v = s.Field(k);
    if (v.empty()) return nullptr;
    try {
      return std::stoll(v);
    } catch (...) {
      return nullptr;
    }
  };
  json last = nullptr;
  if (!s.Field("last_error").empty()) {
    last = json::parse(s.Field("last_error"), nullptr, false);
    if (last.is_discarded()) last = nullptr;
  }
  return json{{"id", s.id},
              {"application_id", s.Field("application_id")},
              {"service_id", s.Field("service_id")},
              {"frequency", s.Field("frequency")},
              {"retention", num("retention")},
              {"storage", s.Field("storage")},
              {"backup_storage_id", s.Field("backup_storage_id").empty() ? json(nullptr) : json(s.Field("backup_storage_id"))},
              {"next_run_at", num("next_run_at")},
              {"last_run_at", num("last_run_at")},
              {"last_backup_id", s.Field("last_backup_id").empty() ? json(nullptr) : json(s.Field("last_backup_id"))},
              {"last_pruned", num("last_pruned")},
              {"last_error", last},
              {"created_at", s.created_at},
              {"updated_at", s.updated_at}};
}

json BackupStartedJson(const services::BackupStarted& b) {
  json j = BackupJson(b.backup);
  j["job"] = JobJson(b.job, false);
  return j;
}

}  // namespace

void AddBackupRoutes(Router& rt) {
  using A = AuthMode;
  auto& s = rt.svc();
  // ---- backups of database services (docs/backups.md) ----
  {
    using namespace oas;
    // Times here are epoch milliseconds (integers), as BackupJson writes them.
    const json ms = Integer(), ms_or_null = Nullable(Integer()), str_or_null = Nullable(String());
    json error = Nullable(OpenObject({{"message", String()}, {"layer", String()}}, {"layer"}));
    json backup = {{"id", String()}, {"application_id", String()}, {"service_id", String()}, {"service_name", String()},
                   {"engine", String()}, {"storage", Enum({"internal", "external"})}, {"backup_storage_id", str_or_null},
                   {"object_key", str_or_null}, {"path", str_or_null}, {"status", String()}, {"size", ms_or_null},
                   {"sha256", str_or_null}, {"trigger", String("manual or schedule")}, {"schedule_id", str_or_null},
                   {"job_id", str_or_null}, {"error", error}, {"started_at", ms_or_null}, {"finished_at", ms_or_null},
                   {"created_at", ms}, {"created_by", str_or_null},
                   {"restore", Nullable(Object({{"status", String()}, {"job_id", String()}, {"error", error},
                                                {"started_at", ms_or_null}, {"finished_at", ms_or_null}}))}};
    rt.AddSchema("Backup", Object(backup));
    json started = backup;
    started["job"] = Ref("Job");
    rt.AddSchema("BackupStarted", Object(started));
    rt.AddSchema("BackupSchedule", Object({{"id", String()}, {"application_id", String()}, {"service_id", String()},
                                           {"frequency", Enum({"hourly", "daily", "weekly", "monthly"})},
                                           {"retention", ms_or_null}, {"storage", String()},
                                           {"backup_storage_id", str_or_null}, {"next_run_at", ms_or_null},
                                           {"last_run_at", ms_or_null}, {"last_backup_id", str_or_null},
                                           {"last_pruned", ms_or_null}, {"last_error", Nullable(Map())},
                                           {"created_at", ms}, {"updated_at", ms}}));
  }
  const Fields backup_fields = {Enum("storage", {"internal", "external"}).Desc("Default internal (on the node)"),
                                Str("backup_storage_id", 100).Desc("With storage external")};
  const Fields schedule_fields = {Enum("frequency", {"hourly", "daily", "weekly", "monthly"}).Example("daily"),
                                  Int("retention").Example(7), Enum("storage", {"internal", "external"}),
                                  Str("backup_storage_id", 100)};
  const std::string bk = "/api/v1/orgs/{org}/applications/{app}/services/{svc}";
  rt.Add("GET", bk + "/backups", A::kOrg, "backups", "The service's backups, newest first (backups.read)",
      {200, 400, 401, 403, 404}, [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto rows, s.backups().ListBackups(c.p(), c.params[1], c.params[2], c.ctx));
        json items = json::array();
        for (auto& r : rows) items.push_back(BackupJson(r));
        return Json(200, json{{"items", items}});
      },
      oas::Object({{"items", oas::Array(Ref("Backup"))}}));
  rt.Add("POST", bk + "/backups", A::kOrg, "backups",
      "Back the database up now: internal (on the node) or external to a verified backup storage (backups.create); "
      "answers the backup with its queued job",
      {202, 400, 401, 403, 404, 409}, [&s, backup_fields](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req, backup_fields));
        services::BackupInput in;
        WHARF_ASSIGN_OR_RETURN(in.storage, b.OptString("storage"));
        WHARF_ASSIGN_OR_RETURN(in.backup_storage_id, b.OptString("backup_storage_id"));
        WHARF_ASSIGN_OR_RETURN(auto v, s.backups().CreateBackup(c.p(), c.params[1], c.params[2], std::move(in), c.ctx));
        return Json(202, BackupStartedJson(v));
      },
      Ref("BackupStarted"))
      .Request(backup_fields, true);
  rt.Add("GET", bk + "/backups/{id}", A::kOrg, "backups", "A backup (backups.read)", {200, 401, 403, 404},
      [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto v, s.backups().GetBackup(c.p(), c.params[1], c.params[2], c.params[3], c.ctx));
        return Json(200, BackupJson(v));
      },
      Ref("Backup"));
  rt.Add("DELETE", bk + "/backups/{id}", A::kOrg, "backups", "Delete a backup: its object or node file, then the row (backups.delete)",
      {204, 400, 401, 403, 404, 409}, [&s](Call& c) -> Result<HttpResponse> {
        WHARF_TRY(s.backups().DeleteBackup(c.p(), c.params[1], c.params[2], c.params[3], c.ctx));
        return NoContent();
      });
  rt.Add("POST", bk + "/backups/{id}/restore", A::kOrg, "backups",
      "Restore the backup into the service's database (backups.update); answers the backup with its queued job",
      {202, 401, 403, 404, 409}, [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto v, s.backups().RestoreBackup(c.p(), c.params[1], c.params[2], c.params[3], c.ctx));
        return Json(202, BackupStartedJson(v));
      },
      Ref("BackupStarted"));
  rt.Add("GET", bk + "/backups/{id}/download", A::kOrg, "backups",
      "The backup's dump, streamed through Wharf (backups.read, audited)", {200, 400, 401, 403, 404, 409, 429},
      [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto dl, s.backups().DownloadBackup(c.p(), c.params[1], c.params[2], c.params[3], c.ctx));
        HttpResponse r;
        r.content_type = "application/octet-stream";
        r.headers.push_back({"Content-Disposition",
                             "attachment; filename=\"" + dl.backup.Field("service_name") + "-" + dl.backup.id + ".dump\""});
        if (!dl.backup.Field("sha256").empty()) r.headers.push_back({"X-Wharf-Backup-SHA256", dl.backup.Field("sha256")});
        if (!dl.backup.Field("size").empty()) r.headers.push_back({"X-Wharf-Backup-Size", dl.backup.Field("size")});
        r.stream = std::move(dl.next);
        return r;
      })
      .Media("application/octet-stream");
  rt.Add("GET", bk + "/backup-schedule", A::kOrg, "backups", "The service's backup schedule (backups.read)",
      {200, 401, 403, 404}, [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto v, s.backups().GetBackupSchedule(c.p(), c.params[1], c.params[2], c.ctx));
        return Json(200, BackupScheduleJson(v));
      },
      Ref("BackupSchedule"));
  rt.Add("PUT", bk + "/backup-schedule", A::kOrg, "backups",
      "Set the backup schedule: hourly, daily, weekly or monthly, keeping `retention` scheduled backups (backups.update)",
      {200, 400, 401, 403, 404}, [&s, schedule_fields](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req, schedule_fields));
        services::BackupScheduleInput in;
        WHARF_ASSIGN_OR_RETURN(in.frequency, b.OptString("frequency"));
        WHARF_ASSIGN_OR_RETURN(in.retention, b.OptInt("retention"));
        WHARF_ASSIGN_OR_RETURN(in.storage, b.OptString("storage"));
        WHARF_ASSIGN_OR_RETURN(in.backup_storage_id, b.OptString("backup_storage_id"));
        WHARF_ASSIGN_OR_RETURN(auto v, s.backups().PutBackupSchedule(c.p(), c.params[1], c.params[2], std::move(in), c.ctx));
        return Json(200, BackupScheduleJson(v));
      },
      Ref("BackupSchedule"))
      .Request(schedule_fields);
  rt.Add("DELETE", bk + "/backup-schedule", A::kOrg, "backups", "Stop scheduled backups (backups.update); backups stay",
      {204, 401, 403, 404}, [&s](Call& c) -> Result<HttpResponse> {
        WHARF_TRY(s.backups().DeleteBackupSchedule(c.p(), c.params[1], c.params[2], c.ctx));
        return NoContent();
      });
  rt.Add("POST", bk + "/backup-schedule/run", A::kOrg, "backups",
      "Take the schedule's backup now; retention applies after it (backups.create)", {202, 401, 403, 404},
      [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto v, s.backups().RunBackupScheduleNow(c.p(), c.params[1], c.params[2], c.ctx));
        return Json(202, BackupStartedJson(v));
      },
      Ref("BackupStarted"));
}

}  // namespace wharf::api
