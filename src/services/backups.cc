// Backups of database services (collection `backups`, scoped by the service's application):
// on demand or on a schedule, kept on the node (`internal`) or in a verified backup storage
// (`external`, S3-compatible). docs/backups.md is the user's page.
//
// Rows: a backup and a schedule are rows of the generic `integrations` table (kinds "backups" and
// "backupSchedules"), their settings and outcome in `fields`; neither has a secret. The storage's
// secret stays sealed in its own row and is opened only inside the job that uses it.
//
// Work: taking and restoring a backup are durable jobs (kinds "backup", "backup_restore") on the
// service's server, so they are serialized per server with deployments and survive a restart.
// The dump streams: `dokku <kind>:export` stdout is pulled over SSH a bounded buffer at a time
// into a multipart upload (one part, 8 MiB, in memory), hashed as it passes; a restore streams
// the object from S3 into `dokku <kind>:import` stdin. A download streams the object to the client
// through a bounded queue. Nothing holds a whole dump.
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "base/log.h"
#include "integrations/s3.h"
#include "nodes/deploy_plan.h"
#include "nodes/dokku.h"
#include "secrets/crypto.h"
#include "services/backup_common.h"
#include "services/backups.h"
#include "services/notifications.h"

namespace wharf::services {

using domain::Action;
using domain::Collection;
using json = nlohmann::json;
using namespace backup_internal;  // NOLINT: the shared backup helpers

namespace {

tl::unexpected<Error> ServiceNotFound() {
  return Err(ErrorCode::kNotFound, "Service not found in this application.");
}
tl::unexpected<Error> ScheduleNotFound() {
  return Err(ErrorCode::kNotFound, "This service has no backup schedule.");
}


int64_t PeriodMs(std::string_view f) {
  if (f == "hourly") return kHourMs;
  if (f == "daily") return 24 * kHourMs;
  if (f == "weekly") return 7 * 24 * kHourMs;
  if (f == "monthly") return 30 * 24 * kHourMs;
  return 0;
}

std::string Engine(const domain::AppService& s) {
  json c = json::parse(s.config, nullptr, false);
  if (!c.is_object()) return {};
  if (c.contains("engine") && c["engine"].is_string()) return c["engine"].get<std::string>();
  if (c.contains("database") && c["database"].is_object()) return c["database"].value("engine", "");
  return {};
}



}  // namespace

// ---- loading and authorizing ----

// The application and its database service, with the caller authorized for `a` on backups with
// the application as the scope resource. Out of scope is the service's own 404.
Result<BackupParent> Backups::LoadBackupParent(store::Tx& tx, const authz::Principal& p,
                                                          std::string_view app_id, std::string_view svc_id, Action a,
                                                          const RequestContext& ctx) {
  WHARF_ASSIGN_OR_RETURN(auto app, tx.applications().Find(p.org_id, app_id));
  if (!app) return ServiceNotFound();
  WHARF_ASSIGN_OR_RETURN(auto svc, tx.app_services().Find(p.org_id, svc_id));
  if (!svc || svc->application_id != app->id) return ServiceNotFound();
  authz::Resource r{{}, {}, app->id, app->server_id};
  WHARF_TRY(AuthorizeScoped(p, Collection::kBackups, a, r, ctx, svc_id, ServiceNotFound));
  if (svc->type != "database")
    return FieldError("service", "'" + svc->name + "' is a " + svc->type +
                                     " service; only database services (postgres, mysql, mariadb, mongo, redis) are backed up");
  std::string engine = Engine(*svc);
  if (!nodes::dokku::IsDatabaseKind(engine))
    return FieldError("service", "'" + svc->name + "' has no known database engine");
  return BackupParent{std::move(*app), std::move(*svc), engine};
}

Result<domain::Integration> Backups::LoadBackupRow(store::Tx& tx, const authz::Principal& p, const BackupParent& parent,
                                                    std::string_view id, Action a, const RequestContext& ctx) {
  WHARF_ASSIGN_OR_RETURN(auto row, tx.integrations().Find(p.org_id, kBackupRows, id));
  if (!row || row->Field("service_id") != parent.service.id) return BackupNotFound();
  const BackupResource res(*row);
  WHARF_TRY(AuthorizeScoped(p, Collection::kBackups, a, res.r, ctx, id, BackupNotFound));
  return std::move(*row);
}

// A backup storage of `org_id` opened without a principal (jobs and scheduled work); the caller
// authorized the use when the backup or schedule was made. Never log the result.
Result<VerifiedBackupStorage> Backups::OpenBackupStorage(store::Tx& tx, std::string_view org_id, std::string_view id) {
  WHARF_ASSIGN_OR_RETURN(auto row, tx.integrations().Find(org_id, kStorageRows, id));
  if (!row)
    return Err(ErrorCode::kValidationFailed,
               "External backup failed: the backup storage " + std::string(id) + " no longer exists.", Layer::kBackupStorage);
  SecretBytes secret;
  if (auto it = row->sealed.find("secret_access_key"); it != row->sealed.end()) {
    WHARF_ASSIGN_OR_RETURN(auto org, tx.orgs().FindById(org_id));
    if (!org) return Err(ErrorCode::kNotFound, "Organisation not found.");
    WHARF_ASSIGN_OR_RETURN(secret, envelope_.Open(org->wrapped_data_key,
                                                  {std::string(org_id), kStorageRows, row->id, "secret_access_key"},
                                                  it->second));
  }
  VerifiedBackupStorage out{std::move(*row), std::move(secret), {}, {}, static_cast<int>(config_.connect_timeout_ms)};
  out.prefix = out.row.Field("prefix");
  if (!config_.allow_private_targets)
    out.address_allowed = [](std::string_view ip) { return !nodes::IsPrivateAddress(ip); };
  return out;
}

// ---- rows ----

domain::Integration Backups::NewBackupRow(const BackupParent& parent, const std::string& storage,
                                           const VerifiedBackupStorage* vs, const std::string& trigger,
                                           const std::string& schedule_id, const std::string& created_by) {
  domain::Integration b;
  b.id = ids_.New("bkp");
  b.org_id = parent.app.org_id;
  b.kind = kBackupRows;
  b.name = b.id;
  b.dedupe_key = b.id;
  b.created_at = b.updated_at = clock_.Now();
  b.created_by = created_by;
  b.fields = {{"application_id", parent.app.id}, {"service_id", parent.service.id},
              {"service_name", parent.service.name}, {"engine", parent.engine},
              {"server_id", parent.app.server_id},  {"storage", storage},
              {"status", "queued"},                 {"trigger", trigger}};
  if (!schedule_id.empty()) b.fields["schedule_id"] = schedule_id;
  // The database service on the node is the one a deployment created: `<application>-<service>`.
  auto dokku_name = nodes::deploy::DokkuName(parent.app.name, parent.service.name);
  b.fields["dokku_name"] = dokku_name ? *dokku_name : parent.service.name;
  // Where the dump goes: chosen now, so a job taken over by another replica writes the same place.
  const std::string name = parent.app.id + "/" + parent.service.name + "/" + b.id + ".dump";
  if (vs) {
    b.fields["backup_storage_id"] = vs->row.id;
    b.fields["object_key"] = vs->prefix + "wharf-backups/" + name;
  } else {
    b.fields["path"] = "wharf-backups/" + name;  // relative to the SSH user's home on the node
  }
  return b;
}

Result<BackupStarted> Backups::CreateBackup(const authz::Principal& p, std::string_view app_id, std::string_view svc_id,
                                             BackupInput in, const RequestContext& ctx) {
  std::string storage = in.storage.value_or(in.backup_storage_id ? "external" : "internal");
  if (storage != "internal" && storage != "external")
    return FieldError("storage", "must be internal (kept on the node) or external (a verified backup storage)");
  if (storage == "internal" && in.backup_storage_id)
    return FieldError("backup_storage_id", "applies to external backups only; set storage to external");
  if (storage == "external" && !in.backup_storage_id)
    return FieldError("backup_storage_id", "is required for an external backup: the id of a verified backup storage");
  // backups.create first, so a caller without it hears about that permission, not the storage.
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    return LoadBackupParent(tx, p, app_id, svc_id, Action::kCreate, ctx).map([](auto&&) {});
  }));
  std::optional<VerifiedBackupStorage> vs;
  if (storage == "external") {
    WHARF_ASSIGN_OR_RETURN(auto v, backup_storage_.RequireVerifiedBackupStorage(p, *in.backup_storage_id, ctx));
    vs.emplace(std::move(v));
  }
  BackupStarted out;
  WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto parent, LoadBackupParent(tx, p, app_id, svc_id, Action::kCreate, ctx));
    domain::Integration b = NewBackupRow(parent, storage, vs ? &*vs : nullptr, "manual", {}, p.user_id);
    WHARF_ASSIGN_OR_RETURN(out.job, Enqueue(tx, "backup", p.org_id, parent.app.server_id, json{{"backup_id", b.id}}, p.user_id));
    b.fields["job_id"] = out.job.id;
    WHARF_TRY(tx.integrations().Insert(b));
    out.backup = b;
    return AuditIn(tx, p, "backups.create", "backups", b.id, ctx, parent.service.name + " (" + storage + ")");
  }));
  return out;
}

Result<std::vector<domain::Integration>> Backups::ListBackups(const authz::Principal& p, std::string_view app_id,
                                                               std::string_view svc_id, const RequestContext& ctx) {
  std::vector<domain::Integration> out;
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto parent, LoadBackupParent(tx, p, app_id, svc_id, Action::kRead, ctx));
    WHARF_ASSIGN_OR_RETURN(auto rows, ListServiceBackups(tx, p.org_id, parent.service.id));
    for (auto& r : rows) {
      const BackupResource res(r);
      if (authz::Check(p, Collection::kBackups, Action::kRead, &res.r).outcome == authz::Outcome::kAllowed)
        out.push_back(std::move(r));
    }
    return Ok();
  }));
  return out;
}

// Every backup row of a service, newest first. Backups share the integrations table, so this
// reads the org's backup rows page by page and keeps the service's.
Result<std::vector<domain::Integration>> Backups::ListServiceBackups(store::Tx& tx, std::string_view org_id,
                                                                      std::string_view service_id) {
  std::vector<domain::Integration> out;
  store::PageQuery q;
  q.limit = 500;
  while (true) {
    WHARF_ASSIGN_OR_RETURN(auto page, tx.integrations().List(org_id, kBackupRows, q));
    bool more = static_cast<int>(page.size()) > q.limit;
    if (more) page.resize(static_cast<size_t>(q.limit));
    for (auto& r : page)
      if (r.Field("service_id") == service_id) out.push_back(r);
    if (!more || page.empty()) break;
    q.after_created_at = page.back().created_at;
    q.after_id = page.back().id;
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.created_at != b.created_at ? a.created_at > b.created_at : a.id > b.id;
  });
  return out;
}

Result<domain::Integration> Backups::GetBackup(const authz::Principal& p, std::string_view app_id, std::string_view svc_id,
                                                std::string_view id, const RequestContext& ctx) {
  std::optional<domain::Integration> out;
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto parent, LoadBackupParent(tx, p, app_id, svc_id, Action::kRead, ctx));
    WHARF_ASSIGN_OR_RETURN(out, LoadBackupRow(tx, p, parent, id, Action::kRead, ctx));
    return Ok();
  }));
  return std::move(*out);
}

Result<BackupStarted> Backups::RestoreBackup(const authz::Principal& p, std::string_view app_id, std::string_view svc_id,
                                              std::string_view id, const RequestContext& ctx) {
  BackupStarted out;
  WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto parent, LoadBackupParent(tx, p, app_id, svc_id, Action::kUpdate, ctx));
    WHARF_ASSIGN_OR_RETURN(auto b, LoadBackupRow(tx, p, parent, id, Action::kUpdate, ctx));
    if (b.Field("status") != "succeeded")
      return Err(ErrorCode::kConflict, "Only a backup that succeeded can be restored; this one is " + b.Field("status") + ".");
    WHARF_ASSIGN_OR_RETURN(out.job, Enqueue(tx, "backup_restore", p.org_id, parent.app.server_id,
                                            json{{"backup_id", b.id}}, p.user_id));
    b.fields["restore_job_id"] = out.job.id;
    b.fields["restore_status"] = "queued";
    b.fields.erase("restore_error");
    b.updated_at = clock_.Now();
    WHARF_TRY(tx.integrations().Update(b));
    out.backup = b;
    return AuditIn(tx, p, "backups.restore", "backups", b.id, ctx, parent.service.name);
  }));
  return out;
}

// Removes the dump (object or node file), then the row. A storage that refuses the delete keeps
// the row and answers the storage's error (layer backup_storage), so nothing is forgotten while
// it still costs storage.
Status Backups::RemoveBackupData(const domain::Integration& b) {
  if (b.Field("storage") == "external") {
    std::optional<VerifiedBackupStorage> vs;
    WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
      WHARF_ASSIGN_OR_RETURN(auto v, OpenBackupStorage(tx, b.org_id, b.Field("backup_storage_id")));
      vs.emplace(std::move(v));
      return Ok();
    }));
    integrations::S3Client s3(vs->S3());
    auto del = s3.DeleteObject(b.Field("object_key"));
    if (!del) return tl::unexpected(S3Failure(del.error(), "deleting " + b.Field("object_key")));
    return Ok();
  }
  if (b.Field("status") != "succeeded" && b.Field("status") != "failed") return Ok();
  std::optional<NodeTarget> t;
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto s, tx.servers().Find(b.org_id, b.Field("server_id")));
    if (!s) return Err(ErrorCode::kNotFound, "The backup's server no longer exists.");
    WHARF_ASSIGN_OR_RETURN(t, node_access_.LoadNodeTarget(tx, *s));
    return Ok();
  }));
  nodes::ConnectFailure failure;
  std::string fp;
  WHARF_ASSIGN_OR_RETURN(auto conn, nodes_.Open(t->target, node_access_.NodeConnectOptions(), &failure, &fp));
  WHARF_ASSIGN_OR_RETURN(auto r, conn->Run({"rm", "-f", "--", b.Field("path")}));
  if (r.exit_status != 0)
    return Err(ErrorCode::kValidationFailed, "Could not remove " + b.Field("path") + " on the node: " + r.err, Layer::kSsh);
  return Ok();
}

Status Backups::DeleteBackup(const authz::Principal& p, std::string_view app_id, std::string_view svc_id,
                              std::string_view id, const RequestContext& ctx) {
  std::optional<domain::Integration> b;
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto parent, LoadBackupParent(tx, p, app_id, svc_id, Action::kDelete, ctx));
    WHARF_ASSIGN_OR_RETURN(b, LoadBackupRow(tx, p, parent, id, Action::kDelete, ctx));
    return Ok();
  }));
  const std::string st = b->Field("status");
  if (st == "queued" || st == "running" || b->Field("restore_status") == "queued" || b->Field("restore_status") == "running")
    return Err(ErrorCode::kConflict, "The backup is in use by a running job; delete it once the job has finished.");
  WHARF_TRY(RemoveBackupData(*b));
  return WriteTx([&](store::Tx& tx) -> Status {
    WHARF_TRY(tx.integrations().Delete(p.org_id, kBackupRows, b->id).map([](bool) {}));
    return AuditIn(tx, p, "backups.delete", "backups", b->id, ctx, b->Field("service_name"));
  });
}

// ---- download: the object streamed to the client through a bounded queue ----

namespace {
struct DownloadPipe {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::string> chunks;
  size_t bytes = 0;
  bool done = false, cancelled = false, started = false;
  std::optional<Error> error;
  static constexpr size_t kMaxBytes = 2 << 20;  // at most 2 MiB waits for the client
};
// Marks the pipe cancelled when the response's stream function goes (client gone or finished).
struct PipeHolder {
  std::shared_ptr<DownloadPipe> pipe;
  ~PipeHolder() {
    std::lock_guard lock(pipe->mu);
    pipe->cancelled = true;
    pipe->cv.notify_all();
  }
};
// Holds one running download of an org; the slot is free again when the last copy goes.
struct DownloadSlot {
  std::shared_ptr<BackupDownloadSlots> slots;
  std::string org_id;
  ~DownloadSlot() {
    std::lock_guard lock(slots->mu);
    if (--slots->running[org_id] <= 0) slots->running.erase(org_id);
  }
};
// A slot of `org_id`, or nullptr when the org already runs `cap` downloads.
std::shared_ptr<DownloadSlot> TakeDownloadSlot(const std::shared_ptr<BackupDownloadSlots>& slots,
                                               const std::string& org_id, int cap) {
  std::lock_guard lock(slots->mu);
  int& running = slots->running[org_id];
  if (running >= cap) return nullptr;
  ++running;
  return std::shared_ptr<DownloadSlot>(new DownloadSlot{slots, org_id});  // no temporary to destroy
}
}  // namespace

Result<BackupDownload> Backups::DownloadBackup(const authz::Principal& p, std::string_view app_id,
                                                std::string_view svc_id, std::string_view id, const RequestContext& ctx) {
  std::optional<domain::Integration> b;
  std::optional<VerifiedBackupStorage> vs;
  std::optional<NodeTarget> t;
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto parent, LoadBackupParent(tx, p, app_id, svc_id, Action::kRead, ctx));
    WHARF_ASSIGN_OR_RETURN(b, LoadBackupRow(tx, p, parent, id, Action::kRead, ctx));
    if (b->Field("status") != "succeeded") return Err(ErrorCode::kConflict, "Only a backup that succeeded can be downloaded.");
    if (b->Field("storage") == "external") {
      WHARF_ASSIGN_OR_RETURN(auto v, OpenBackupStorage(tx, p.org_id, b->Field("backup_storage_id")));
      vs.emplace(std::move(v));
    } else {
      WHARF_ASSIGN_OR_RETURN(auto s, tx.servers().Find(p.org_id, b->Field("server_id")));
      if (!s) return Err(ErrorCode::kNotFound, "The backup's server no longer exists.");
      WHARF_ASSIGN_OR_RETURN(t, node_access_.LoadNodeTarget(tx, *s));
    }
    return Ok();
  }));
  // One thread streams each download: hold one of the org's slots until that thread ends.
  auto slot = TakeDownloadSlot(download_slots_, p.org_id, config_.backup_downloads_per_org);
  if (!slot) {
    auto e = Err(ErrorCode::kRateLimited, "This organisation already has " +
                                              std::to_string(config_.backup_downloads_per_org) +
                                              " backup downloads running. Retry when one has finished.");
    e.value().details["retry_after"] = 5;
    return e;
  }
  WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
    return AuditIn(tx, p, "backups.download", "backups", b->id, ctx, b->Field("service_name"));
  }));
  auto pipe = std::make_shared<DownloadPipe>();
  auto push = [pipe](std::string_view chunk) -> bool {
    std::unique_lock lock(pipe->mu);
    pipe->cv.wait(lock, [&] { return pipe->cancelled || pipe->bytes < DownloadPipe::kMaxBytes; });
    if (pipe->cancelled) return false;
    pipe->chunks.emplace_back(chunk);
    pipe->bytes += chunk.size();
    pipe->started = true;
    pipe->cv.notify_all();
    return true;
  };
  auto finish = [pipe](std::optional<Error> e) {
    std::lock_guard lock(pipe->mu);
    pipe->done = true;
    pipe->error = std::move(e);
    pipe->cv.notify_all();
  };
  if (vs) {
    auto storage = std::make_shared<VerifiedBackupStorage>(std::move(*vs));
    std::string key = b->Field("object_key");
    std::thread([storage, key, push, finish, slot] {
      auto cfg = storage->S3();
      cfg.timeout_ms = 6 * 3600 * 1000;  // a large object to a slow client
      integrations::S3Client s3(cfg);
      auto got = s3.GetObject(key, push);
      finish(got ? std::nullopt : std::optional<Error>(S3Failure(got.error(), "downloading " + key)));
    }).detach();
  } else {
    auto target = std::make_shared<NodeTarget>(std::move(*t));
    auto co = node_access_.NodeConnectOptions();
    std::string path = b->Field("path");
    // The executor outlives the Services object (Deps), and so this thread.
    std::thread([target, co, path, push, finish, slot, &executor = nodes_] {
      nodes::ConnectFailure failure;
      std::string fp;
      auto conn = executor.Open(target->target, co, &failure, &fp);
      if (!conn) return finish(conn.error());
      auto ex = (*conn)->Start({"cat", "--", path}, kNodeIdle);
      if (!ex) return finish(ex.error());
      std::string buf(256 << 10, '\0');
      while (true) {
        auto n = (*ex)->Read(buf.data(), buf.size());
        if (!n) return finish(n.error());
        if (*n == 0) break;
        if (!push(std::string_view(buf.data(), *n))) return finish(std::nullopt);
      }
      auto rc = (*ex)->Finish();
      if (!rc) return finish(rc.error());
      if (*rc != 0) return finish(Err(ErrorCode::kValidationFailed, "reading " + path + " on the node failed: " + (*ex)->ErrorTail(), Layer::kSsh).value());
      finish(std::nullopt);
    }).detach();
  }
  // Answer an error status when the source fails before the first byte.
  {
    std::unique_lock lock(pipe->mu);
    pipe->cv.wait_for(lock, std::chrono::seconds(30), [&] { return pipe->started || pipe->done; });
    if (pipe->done && !pipe->started && pipe->error) {
      Error e = *pipe->error;
      return tl::unexpected(std::move(e));
    }
  }
  BackupDownload out;
  out.backup = *b;
  auto holder = std::make_shared<PipeHolder>();  // in place: a moved-from temporary would cancel the pipe
  holder->pipe = pipe;
  out.next = [holder]() -> std::optional<std::string> {
    auto& pp = *holder->pipe;
    // Called on an I/O thread: never wait here ("" makes the server ask again shortly).
    std::unique_lock lock(pp.mu);
    if (pp.chunks.empty()) {
      if (pp.done) return std::nullopt;  // a failure after the first byte ends the body early
      return std::string();
    }
    std::string out;
    while (!pp.chunks.empty() && out.size() < (1u << 20)) {
      out += pp.chunks.front();
      pp.bytes -= pp.chunks.front().size();
      pp.chunks.pop_front();
    }
    pp.cv.notify_all();
    return out;
  };
  return out;
}

// ---- schedules ----

Result<domain::Integration> Backups::GetBackupSchedule(const authz::Principal& p, std::string_view app_id,
                                                        std::string_view svc_id, const RequestContext& ctx) {
  std::optional<domain::Integration> row;
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto parent, LoadBackupParent(tx, p, app_id, svc_id, Action::kRead, ctx));
    WHARF_ASSIGN_OR_RETURN(row, tx.integrations().FindByDedupeKey(p.org_id, kScheduleRows, parent.service.id));
    return Ok();
  }));
  if (!row) return ScheduleNotFound();
  return std::move(*row);
}

Result<domain::Integration> Backups::PutBackupSchedule(const authz::Principal& p, std::string_view app_id,
                                                        std::string_view svc_id, BackupScheduleInput in,
                                                        const RequestContext& ctx) {
  if (!in.frequency) return FieldError("frequency", "is required: hourly, daily, weekly or monthly");
  if (PeriodMs(*in.frequency) == 0) return FieldError("frequency", "must be hourly, daily, weekly or monthly");
  const int64_t retention = in.retention.value_or(7);
  if (retention < 1 || retention > 1000)
    return FieldError("retention", "must be from 1 to 1000: how many scheduled backups to keep");
  std::string storage = in.storage.value_or(in.backup_storage_id ? "external" : "internal");
  if (storage != "internal" && storage != "external")
    return FieldError("storage", "must be internal (kept on the node) or external (a verified backup storage)");
  if (storage == "external" && !in.backup_storage_id)
    return FieldError("backup_storage_id", "is required for external backups: the id of a verified backup storage");
  if (storage == "internal" && in.backup_storage_id)
    return FieldError("backup_storage_id", "applies to external backups only; set storage to external");
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    return LoadBackupParent(tx, p, app_id, svc_id, Action::kUpdate, ctx).map([](auto&&) {});
  }));
  if (storage == "external") WHARF_TRY(backup_storage_.RequireVerifiedBackupStorage(p, *in.backup_storage_id, ctx).map([](auto&&) {}));
  domain::Integration out;
  WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto parent, LoadBackupParent(tx, p, app_id, svc_id, Action::kUpdate, ctx));
    WHARF_ASSIGN_OR_RETURN(auto existing, tx.integrations().FindByDedupeKey(p.org_id, kScheduleRows, parent.service.id));
    domain::Integration s;
    const Timestamp now = clock_.Now();
    if (existing) {
      s = *existing;
    } else {
      s.id = ids_.New("bsc");
      s.org_id = p.org_id;
      s.kind = kScheduleRows;
      s.name = parent.service.id;
      s.dedupe_key = parent.service.id;
      s.created_at = now;
      s.created_by = p.user_id;
      s.fields["next_run_at"] = std::to_string(now);  // the first backup runs at once
    }
    const bool changed_period = s.Field("frequency") != *in.frequency;
    s.fields["application_id"] = parent.app.id;
    s.fields["service_id"] = parent.service.id;
    s.fields["server_id"] = parent.app.server_id;
    s.fields["frequency"] = *in.frequency;
    s.fields["retention"] = std::to_string(retention);
    s.fields["storage"] = storage;
    if (storage == "external") s.fields["backup_storage_id"] = *in.backup_storage_id;
    else s.fields.erase("backup_storage_id");
    if (existing && changed_period) {
      int64_t last = NumField(s, "last_run_at");
      s.fields["next_run_at"] = std::to_string(last ? last + PeriodMs(*in.frequency) : now);
    }
    s.updated_at = now;
    if (existing) {
      WHARF_TRY(tx.integrations().Update(s));
    } else {
      WHARF_TRY(tx.integrations().Insert(s));
    }
    out = s;
    return AuditIn(tx, p, "backups.schedule", "backups", s.id, ctx,
                   parent.service.name + ": " + *in.frequency + ", keep " + std::to_string(retention));
  }));
  return out;
}

Status Backups::DeleteBackupSchedule(const authz::Principal& p, std::string_view app_id, std::string_view svc_id,
                                      const RequestContext& ctx) {
  return WriteTx([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto parent, LoadBackupParent(tx, p, app_id, svc_id, Action::kUpdate, ctx));
    WHARF_ASSIGN_OR_RETURN(auto s, tx.integrations().FindByDedupeKey(p.org_id, kScheduleRows, parent.service.id));
    if (!s) return ScheduleNotFound();
    WHARF_TRY(tx.integrations().Delete(p.org_id, kScheduleRows, s->id).map([](bool) {}));
    return AuditIn(tx, p, "backups.schedule-delete", "backups", s->id, ctx, parent.service.name);
  });
}

// Enqueues the schedule's backup now, inside `tx` (the caller holds the write transaction).
Result<BackupStarted> Backups::EnqueueScheduledBackup(store::Tx& tx, domain::Integration& sched, std::string created_by) {
  WHARF_ASSIGN_OR_RETURN(auto app, tx.applications().Find(sched.org_id, sched.Field("application_id")));
  WHARF_ASSIGN_OR_RETURN(auto svc, tx.app_services().Find(sched.org_id, sched.Field("service_id")));
  if (!app || !svc) return ServiceNotFound();
  BackupParent parent{std::move(*app), std::move(*svc), {}};
  parent.engine = Engine(parent.service);
  std::optional<VerifiedBackupStorage> vs;
  if (sched.Field("storage") == "external") {
    WHARF_ASSIGN_OR_RETURN(auto v, OpenBackupStorage(tx, sched.org_id, sched.Field("backup_storage_id")));
    vs.emplace(std::move(v));
  }
  BackupStarted out;
  domain::Integration b = NewBackupRow(parent, sched.Field("storage"), vs ? &*vs : nullptr, "schedule", sched.id, created_by);
  WHARF_ASSIGN_OR_RETURN(out.job, Enqueue(tx, "backup", sched.org_id, parent.app.server_id, json{{"backup_id", b.id}}, created_by));
  b.fields["job_id"] = out.job.id;
  WHARF_TRY(tx.integrations().Insert(b));
  out.backup = b;
  sched.fields["last_run_at"] = std::to_string(clock_.Now());
  sched.fields["last_backup_id"] = b.id;
  sched.updated_at = clock_.Now();
  WHARF_TRY(tx.integrations().Update(sched));
  return out;
}

Result<BackupStarted> Backups::RunBackupScheduleNow(const authz::Principal& p, std::string_view app_id,
                                                     std::string_view svc_id, const RequestContext& ctx) {
  BackupStarted out;
  WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto parent, LoadBackupParent(tx, p, app_id, svc_id, Action::kCreate, ctx));
    WHARF_ASSIGN_OR_RETURN(auto s, tx.integrations().FindByDedupeKey(p.org_id, kScheduleRows, parent.service.id));
    if (!s) return ScheduleNotFound();
    WHARF_ASSIGN_OR_RETURN(out, EnqueueScheduledBackup(tx, *s, p.user_id));
    return AuditIn(tx, p, "backups.create", "backups", out.backup.id, ctx, parent.service.name + " (schedule, run now)");
  }));
  return out;
}

int Backups::RunDueBackupSchedules() {
  if (!store_.IsScheduler()) return 0;
  const Timestamp now = clock_.Now();
  std::vector<domain::Integration> due;
  auto st = store_.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto orgs, tx.orgs().ListAll());
    for (const auto& org : orgs) {
      store::PageQuery q;
      q.limit = 1000;
      WHARF_ASSIGN_OR_RETURN(auto rows, tx.integrations().List(org.id, kScheduleRows, q));
      for (auto& r : rows)
        if (NumField(r, "next_run_at") <= now) due.push_back(std::move(r));
    }
    return Ok();
  });
  if (!st) return 0;
  int n = 0;
  for (auto& d : due) {
    auto w = WriteTx([&](store::Tx& tx) -> Status {
      WHARF_ASSIGN_OR_RETURN(auto s, tx.integrations().Find(d.org_id, kScheduleRows, d.id));
      if (!s || NumField(*s, "next_run_at") > now) return Ok();  // changed or taken meanwhile
      // The next run keeps the cadence; after downtime it runs once, not once per missed period.
      const int64_t due_at = NumField(*s, "next_run_at");
      int64_t next = due_at + PeriodMs(s->Field("frequency"));
      if (next <= now) {
        // A whole period passed without this schedule running (Wharf was down): that run was missed.
        next = now + PeriodMs(s->Field("frequency"));
        WHARF_ASSIGN_OR_RETURN(auto missed, BackupMissedEvent(tx, *s, "Wharf was not running then", due_at));
        WHARF_TRY(Notify(tx, s->org_id, std::move(missed)));
      }
      s->fields["next_run_at"] = std::to_string(next);
      auto started = EnqueueScheduledBackup(tx, *s, s->created_by);
      if (!started) {
        s->fields["last_error"] = LastError(started.error()).dump();
        WHARF_ASSIGN_OR_RETURN(auto missed, BackupMissedEvent(tx, *s, started.error().message, now));
        WHARF_TRY(Notify(tx, s->org_id, std::move(missed)));
        return tx.integrations().Update(*s);
      }
      ++n;
      return Ok();
    });
    if (!w) log::Warn("backup_schedule_failed", {{"schedule_id", d.id}, {"error", w.error().message}});
  }
  if (n > 0) log::Info("backup_schedules_ran", {{"backups", n}});
  return n;
}

// Deletes the schedule's oldest scheduled backups beyond its retention. A storage that refuses a
// delete is recorded on the schedule (last_error, layer backup_storage) and in the job log.
Backups::Backups(Core& core, NodeAccess& node_access, BackupStorage& backup_storage) : Feature(core), node_access_(node_access), backup_storage_(backup_storage) {}

}  // namespace wharf::services
