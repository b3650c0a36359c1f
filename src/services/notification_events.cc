// The events other features cause, built from stored names and client-safe error messages (never
// a secret): deployments and backups when their job ends (Notifier::JobEnded), a scheduled backup
// that was missed, and security events. Each names the org (filled in by Emit), the application,
// service or server, what happened, the layer, a one-line fix and the page in Wharf.
#include <nlohmann/json.hpp>

#include "base/log.h"
#include "base/strings.h"
#include "services/notifications.h"

namespace wharf::services {

using nlohmann::json;

namespace {

// A job error's message without the " Fix: …" a deployment appends (the event carries the fix).
std::string WithoutFix(std::string message, const std::string& fix) {
  const std::string tail = " Fix: " + fix;
  if (!fix.empty() && message.size() >= tail.size() && message.compare(message.size() - tail.size(), tail.size(), tail) == 0)
    message.resize(message.size() - tail.size());
  return message;
}

}  // namespace

notify::Event SecurityEvent(notify::EventKind kind, std::string subject, std::string what, std::string fix,
                            std::string link) {
  notify::Event e;
  e.kind = kind;
  e.subject = std::move(subject);
  e.what = std::move(what);
  e.layer = "permissions";
  e.fix = std::move(fix);
  e.link = std::move(link);
  return e;
}

Result<notify::Event> BackupMissedEvent(store::Tx& tx, const domain::Integration& schedule, const std::string& why,
                                        Timestamp due_at) {
  notify::Event e;
  e.kind = notify::EventKind::kBackupMissed;
  e.application_id = schedule.Field("application_id");
  e.server_id = schedule.Field("server_id");
  WHARF_ASSIGN_OR_RETURN(auto app, tx.applications().Find(schedule.org_id, e.application_id));
  WHARF_ASSIGN_OR_RETURN(auto svc, tx.app_services().Find(schedule.org_id, schedule.Field("service_id")));
  WHARF_ASSIGN_OR_RETURN(auto server, tx.servers().Find(schedule.org_id, e.server_id));
  e.application = app ? app->name : e.application_id;
  e.service = svc ? svc->name : schedule.Field("service_id");
  if (server) e.server = server->name;
  e.subject = e.application + "/" + e.service;
  e.what = "The scheduled " + schedule.Field("frequency") + " backup of " + e.subject + " did not run when it was due" +
           (why.empty() ? "." : ": " + why);
  e.layer = "backup_storage";
  e.fix = "Open the service's backups, check the schedule's last error, then run the backup now.";
  e.link = "/applications/" + e.application_id + "/services/" + schedule.Field("service_id") + "/backups";
  e.dedup_key = "backup-schedule:" + schedule.id + ":missed:" + std::to_string(due_at);
  return e;
}

void Notifications::JobEnded(JobContext& jc, const Status& result) {
  const domain::Job& job = jc.job();
  if (job.kind != "deploy" && job.kind != "backup") return;
  const bool cancelled = !result && jc.IsCancelled();
  notify::Event e;
  e.occurred_at_ms = clock_.Now();
  auto st = store_.Read([&](store::Tx& tx) -> Status {
    if (job.kind == "deploy") {
      WHARF_ASSIGN_OR_RETURN(auto d, tx.deployments().Find(job.org_id, job.id));
      if (!d) return Ok();
      WHARF_ASSIGN_OR_RETURN(auto app, tx.applications().Find(job.org_id, d->application_id));
      WHARF_ASSIGN_OR_RETURN(auto svc, tx.app_services().Find(job.org_id, d->service_id));
      e.application = app ? app->name : d->application_id;
      e.service = svc ? svc->name : d->service_id;
      e.application_id = d->application_id;
      e.deployment_id = d->id;
      if (app) {
        e.server_id = app->server_id;
        WHARF_ASSIGN_OR_RETURN(auto server, tx.servers().Find(job.org_id, app->server_id));
        if (server) e.server = server->name;
      }
      e.subject = e.application + "/" + e.service;
      e.link = "/deployments/" + d->id;
      const std::string what = d->action + " of " + e.subject + (e.server.empty() ? "" : " on " + e.server);
      if (result) {
        e.kind = notify::EventKind::kDeploymentSucceeded;
        e.what = "The " + what + " succeeded" + (d->commit_sha.empty() ? "." : " (commit " + d->commit_sha + ").");
        e.fix = "Nothing to do.";
      } else if (cancelled) {
        e.kind = notify::EventKind::kDeploymentCancelled;
        e.what = "The " + what + " was cancelled before it finished.";
        e.fix = "Deploy again when you are ready.";
      } else {
        e.kind = notify::EventKind::kDeploymentFailed;
        e.layer = d->error_layer;
        e.fix = d->error_fix.empty() ? "Open the deployment's log: its last lines name the failing step." : d->error_fix;
        e.what = "The " + what + " failed: " + WithoutFix(result.error().message, d->error_fix);
      }
      e.dedup_key = "deployment:" + d->id + ":" + std::string(notify::Info(e.kind).name);
      return Ok();
    }
    json in = json::parse(job.payload, nullptr, false);
    const std::string id = in.is_object() ? in.value("backup_id", "") : "";
    WHARF_ASSIGN_OR_RETURN(auto b, tx.integrations().Find(job.org_id, "backups", id));
    if (!b) return Ok();
    WHARF_ASSIGN_OR_RETURN(auto app, tx.applications().Find(job.org_id, b->Field("application_id")));
    e.application = app ? app->name : b->Field("application_id");
    e.service = b->Field("service_name");
    e.application_id = b->Field("application_id");
    e.server_id = b->Field("server_id");
    WHARF_ASSIGN_OR_RETURN(auto server, tx.servers().Find(job.org_id, e.server_id));
    if (server) e.server = server->name;
    e.subject = e.application + "/" + e.service;
    e.link = "/applications/" + e.application_id + "/services/" + b->Field("service_id") + "/backups";
    const std::string what = std::string(b->Field("trigger") == "schedule" ? "scheduled " : "") + "backup " + b->id +
                             " of " + e.subject;
    if (result) {
      e.kind = notify::EventKind::kBackupSucceeded;
      e.what = "The " + what + " succeeded (" + b->Field("size") + " bytes, stored " +
               (b->Field("storage") == "external" ? "in backup storage" : "on the server") + ").";
      e.fix = "Nothing to do.";
    } else {
      e.kind = notify::EventKind::kBackupFailed;
      e.layer = std::string(LayerName(result.error().layer));
      e.what = "The " + what + (cancelled ? " was cancelled: " : " failed: ") + result.error().message;
      e.fix = e.layer == "backup_storage" ? "Verify the backup storage (Integrations > Backup storage), then run the backup again."
              : e.layer == "ssh"          ? "Run the server's check: Wharf must sign in over SSH to take the dump."
                                          : "Open the backup job's log, fix the step it names, then run the backup again.";
    }
    e.dedup_key = "backup:" + b->id + ":" + std::string(notify::Info(e.kind).name);
    return Ok();
  });
  if (!st) {
    log::Warn("notification_event_failed", {{"job_id", job.id}, {"error", st.error().message}});
    return;
  }
  if (e.dedup_key.empty()) return;
  NotifyNow(job.org_id, std::move(e));
}

}  // namespace wharf::services
