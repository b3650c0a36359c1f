// The events other features cause, built from stored names and client-safe error messages (never
// a secret): deployments and backups when their job ends (Notifier::JobEnded), a scheduled backup
// that was missed, and security events. Each names the org (filled in by Emit), the application,
// service or server, what happened, the layer, a one-line fix and the page in Wharf.
#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "base/log.h"
#include "base/strings.h"
#include "secrets/crypto.h"
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

// The fields every deployment event shares: names of the application, service and server, the
// rule filters' ids, the subject, the link and "<action> of <app>/<service> on <server>".
Status FillDeployment(store::Tx& tx, const domain::Deployment& d, notify::Event& e, std::string* what) {
  WHARF_ASSIGN_OR_RETURN(auto app, tx.applications().Find(d.org_id, d.application_id));
  WHARF_ASSIGN_OR_RETURN(auto svc, tx.app_services().Find(d.org_id, d.service_id));
  e.application = app ? app->name : d.application_id;
  e.service = svc ? svc->name : d.service_id;
  e.application_id = d.application_id;
  e.deployment_id = d.id;
  if (app) {
    e.server_id = app->server_id;
    WHARF_ASSIGN_OR_RETURN(auto server, tx.servers().Find(d.org_id, app->server_id));
    if (server) e.server = server->name;
  }
  e.subject = e.application + "/" + e.service;
  e.link = "/deployments/" + d.id;
  *what = d.action + " of " + e.subject + (e.server.empty() ? "" : " on " + e.server);
  return Ok();
}

}  // namespace

std::string SignInAddressKey(std::string_view ip) {
  std::string addr(Trim(ip));
  if (StartsWith(addr, "::ffff:") && addr.find('.') != std::string::npos) addr = addr.substr(7);  // IPv4-mapped
  if (addr.find(':') == std::string::npos) return addr;  // IPv4: the whole address
  // IPv6: the /64 (its first four groups), since hosts rotate the rest (privacy extensions).
  std::string out;
  int groups = 0;
  for (size_t i = 0; i < addr.size() && groups < 4; ++i) {
    if (addr[i] == ':') {
      if (i + 1 < addr.size() && addr[i + 1] == ':') break;  // "::" elides zeros: the prefix ends here
      ++groups;
      if (groups == 4) break;
    }
    out += addr[i];
  }
  return out + "::/64";
}

Result<std::optional<notify::Event>> NewSignInEvent(store::Tx& tx, const domain::User& u, std::string_view ip,
                                                    std::string_view user_agent, Timestamp now) {
  if (Trim(ip).empty()) return std::optional<notify::Event>();
  const std::string key = SignInAddressKey(ip);
  WHARF_ASSIGN_OR_RETURN(auto seen, tx.notifications().NoteSignInAddress(
                                        u.id, secrets::Sha256Hex(u.id + "|" + key), now, kSignInAddressesKept));
  if (seen != store::SignInAddress::kNew) return std::optional<notify::Event>();
  std::string agent(user_agent.substr(0, 120));
  notify::Event e = SecurityEvent(
      notify::EventKind::kSignInNewAddress, u.email,
      u.email + " signed in from " + std::string(Trim(ip)) + (agent.empty() ? "" : " (" + agent + ")") +
          ", an address this account has not signed in from before.",
      "If this was not the member, have them change their password and sign out everywhere (Account), and check "
      "the audit log.",
      "/team");
  e.occurred_at_ms = now;
  e.dedup_key = "user:" + u.id + ":new_sign_in:" + std::to_string(now);
  return std::optional<notify::Event>(std::move(e));
}

notify::Event TwoFactorDisabledEvent(const domain::User& u, const std::string& how, Timestamp at) {
  notify::Event e = SecurityEvent(notify::EventKind::kTwoFactorDisabled, u.email,
                                  u.email + " has no second factor any more: " + how +
                                      ". The account now signs in with a password alone.",
                                  "If this was not expected, have the member enrol a passkey or authenticator app, and "
                                  "turn on Require two-factor under Team.",
                                  "/team");
  e.occurred_at_ms = at;
  e.dedup_key = "user:" + u.id + ":two_factor_disabled:" + std::to_string(at);
  return e;
}

Result<std::optional<notify::Event>> FailedAfterStartEvent(store::Tx& tx, std::string_view org_id,
                                                           std::string_view deployment_id, const std::string& why,
                                                           const std::string& fix) {
  WHARF_ASSIGN_OR_RETURN(auto d, tx.deployments().Find(org_id, deployment_id));
  if (!d) return std::optional<notify::Event>();
  notify::Event e;
  std::string what;
  WHARF_TRY(FillDeployment(tx, *d, e, &what));
  e.kind = notify::EventKind::kDeploymentFailedAfterStart;
  e.what = "The " + what + " started, then failed its watch after start: " + why;
  e.layer = "";  // the app's own process stopped: no Wharf layer failed (the deployment's error_layer is none)
  e.fix = fix.empty() ? "Open the deployment's log: the app's last lines say why it stopped." : fix;
  e.dedup_key = "deployment:" + d->id + ":" + std::string(notify::Info(e.kind).name);
  return std::optional<notify::Event>(std::move(e));
}

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

int Notifications::RunExpiryWarnings() {
  if (!store_.IsScheduler()) return 0;
  const Timestamp now = clock_.Now();
  std::vector<domain::Integration> rows;
  auto st = store_.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(rows, tx.integrations().ListExpiring("", now + config_.credential_expiry_warning_ms, 500));
    return Ok();
  });
  if (!st) {
    log::Warn("credential_expiry_sweep_failed", {{"error", st.error().message}});
    return 0;
  }
  int n = 0;
  for (const auto& r : rows) {
    const std::string key = r.id + ":" + std::to_string(r.expires_at);
    {
      std::lock_guard lock(expiry_mu_);
      if (expiry_announced_.count(key)) continue;
    }
    notify::Event e;
    e.kind = notify::EventKind::kCredentialExpiring;
    e.subject = r.name;
    const bool aws = r.kind == kCloudAccounts.name;
    const std::string what = aws ? "The temporary AWS credentials of the cloud account " + r.name
                                 : "The credential of the integration " + r.name;
    const int64_t hours = (r.expires_at - now) / 3'600'000;
    e.what = r.expires_at <= now ? what + " expired at " + FormatRfc3339(r.expires_at) + "."
                                 : what + " expire at " + FormatRfc3339(r.expires_at) + " (in " +
                                       (hours >= 48 ? std::to_string(hours / 24) + " days" : std::to_string(hours) + " hours") +
                                       "): after that every call with them fails.";
    e.layer = aws ? "aws_iam" : "";
    e.fix = aws ? "Edit the cloud account with fresh credentials (new keys, session token and session_expires_at), "
                  "or long-term IAM keys without an expiry."
                : "Renew the credential and save it on the integration.";
    e.link = "/integrations";
    e.occurred_at_ms = now;
    e.dedup_key = "integration:" + r.id + ":expiring:" + std::to_string(r.expires_at);
    auto w = store_.Write([&](store::Tx& tx) { return Emit(tx, r.org_id, e); });
    if (!w) {
      log::Warn("credential_expiry_event_failed", {{"integration_id", r.id}, {"error", w.error().message}});
      continue;
    }
    std::lock_guard lock(expiry_mu_);
    expiry_announced_.insert(key);
    ++n;
  }
  if (n > 0) WakeJobWorkers();
  return n;
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
      // A failed watch after start was announced (deployment.failed_after_start) where the
      // watch recorded it.
      if (!d || (!result && d->status == "failed_after_start")) return Ok();
      std::string what;
      WHARF_TRY(FillDeployment(tx, *d, e, &what));
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
