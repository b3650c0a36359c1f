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

namespace wharf::services {

using domain::Action;
using domain::Collection;
using json = nlohmann::json;
using namespace backup_internal;  // NOLINT: the shared backup helpers

namespace {



// The Dokku name of the backed-up database service (rows made before dokku_name was recorded
// used the bare service name).
std::string DokkuService(const domain::Integration& b) {
  return b.Field("dokku_name").empty() ? b.Field("service_name") : b.Field("dokku_name");
}


}  // namespace


void Backups::PruneBackups(JobContext& jc, const std::string& org_id, const std::string& schedule_id) {
  std::optional<domain::Integration> sched;
  std::vector<domain::Integration> rows;
  auto st = store_.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(sched, tx.integrations().Find(org_id, kScheduleRows, schedule_id));
    if (!sched) return Ok();
    WHARF_ASSIGN_OR_RETURN(rows, ListServiceBackups(tx, org_id, sched->Field("service_id")));
    return Ok();
  });
  if (!st || !sched) return;
  const int64_t keep = std::max<int64_t>(1, NumField(*sched, "retention"));
  int64_t kept = 0;
  std::optional<Error> failure;
  int pruned = 0;
  for (const auto& b : rows) {
    if (b.Field("schedule_id") != schedule_id || b.Field("status") != "succeeded") continue;
    if (++kept <= keep) continue;
    jc.AppendLog("[retention] deleting " + b.id + " (keep " + std::to_string(keep) + ")\n");
    auto rm = RemoveBackupData(b);
    if (!rm) {
      jc.AppendLog("[retention] " + std::string(LayerName(rm.error().layer)) + ": " + rm.error().message + "\n");
      failure = rm.error();
      continue;
    }
    auto del = store_.Write([&](store::Tx& tx) -> Status {
      return tx.integrations().Delete(org_id, kBackupRows, b.id).map([](bool) {});
    });
    if (del) ++pruned;
  }
  (void)store_.Write([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto s, tx.integrations().Find(org_id, kScheduleRows, schedule_id));
    if (!s) return Ok();
    if (failure) {
      json e = LastError(*failure);
      e["at"] = clock_.Now();
      e["during"] = "retention";
      s->fields["last_error"] = e.dump();
    } else {
      s->fields.erase("last_error");
    }
    s->fields["last_pruned"] = std::to_string(pruned);
    return tx.integrations().Update(*s);
  });
}

// ---- the jobs ----

Status Backups::UpdateBackupRow(const std::string& org_id, const std::string& id,
                                 const std::function<void(domain::Integration&)>& edit) {
  return store_.Write([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto b, tx.integrations().Find(org_id, kBackupRows, id));
    if (!b) return BackupNotFound();
    edit(*b);
    b->updated_at = clock_.Now();
    return tx.integrations().Update(*b);
  });
}

Status Backups::RunBackupJob(JobContext& jc, bool restore) {
  json in = json::parse(jc.job().payload, nullptr, false);
  const std::string id = in.is_object() ? in.value("backup_id", "") : "";
  const std::string org_id = jc.job().org_id;
  domain::Integration b;
  std::optional<NodeTarget> node;
  std::optional<VerifiedBackupStorage> storage;
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto row, tx.integrations().Find(org_id, kBackupRows, id));
    if (!row) return BackupNotFound();
    b = std::move(*row);
    WHARF_ASSIGN_OR_RETURN(auto s, tx.servers().Find(org_id, b.Field("server_id")));
    if (!s) return Err(ErrorCode::kNotFound, "The service's server no longer exists.");
    WHARF_ASSIGN_OR_RETURN(node, node_access_.LoadNodeTarget(tx, *s));
    if (b.Field("storage") == "external") {
      WHARF_ASSIGN_OR_RETURN(auto v, OpenBackupStorage(tx, org_id, b.Field("backup_storage_id")));
      storage.emplace(std::move(v));
    }
    return Ok();
  }));
  if (storage) jc.AddSecret(std::string(storage->secret_access_key.view()));
  const std::string status_field = restore ? "restore_status" : "status";
  const std::string error_field = restore ? "restore_error" : "error";
  WHARF_TRY(UpdateBackupRow(org_id, id, [&](domain::Integration& r) {
    r.fields[status_field] = "running";
    r.fields[restore ? "restore_started_at" : "started_at"] = std::to_string(clock_.Now());
    r.fields.erase(error_field);
  }));
  const std::string engine = b.Field("engine"), svc = DokkuService(b);
  Result<std::pair<int64_t, std::string>> done =
      restore ? RestoreDump(jc, b, *node, storage ? &*storage : nullptr) : TakeDump(jc, b, *node, storage ? &*storage : nullptr);
  if (!done) {
    Error e = done.error();
    if (jc.IsCancelled()) e.message = "cancelled: " + e.message;
    jc.AppendLog("[error] " + std::string(LayerName(e.layer)) + ": " + e.message + "\n");
    (void)UpdateBackupRow(org_id, id, [&](domain::Integration& r) {
      r.fields[status_field] = jc.IsCancelled() ? "cancelled" : "failed";
      r.fields[error_field] = LastError(e).dump();
      r.fields[restore ? "restore_finished_at" : "finished_at"] = std::to_string(clock_.Now());
    });
    return tl::unexpected(std::move(e));
  }
  WHARF_TRY(UpdateBackupRow(org_id, id, [&](domain::Integration& r) {
    r.fields[status_field] = "succeeded";
    r.fields[restore ? "restore_finished_at" : "finished_at"] = std::to_string(clock_.Now());
    if (!restore) {
      r.fields["size"] = std::to_string(done->first);
      r.fields["sha256"] = done->second;
    }
  }));
  jc.AppendLog(std::string(restore ? "[restore] " : "[backup] ") + "done: " + std::to_string(done->first) +
               " bytes, sha256 " + done->second + "\n");
  if (!restore && !b.Field("schedule_id").empty()) PruneBackups(jc, org_id, b.Field("schedule_id"));
  return Ok();
}

// Streams `dokku <kind>:export <svc>` to the storage (multipart) or into a file on the node.
// Answers the size and SHA-256 of the dump.
Result<std::pair<int64_t, std::string>> Backups::TakeDump(JobContext& jc, const domain::Integration& b,
                                                           const NodeTarget& node, const VerifiedBackupStorage* storage) {
  const std::string engine = b.Field("engine"), svc = DokkuService(b);
  nodes::ConnectFailure failure;
  std::string fp;
  WHARF_ASSIGN_OR_RETURN(auto conn, nodes_.Open(node.target, node_access_.NodeConnectOptions(), &failure, &fp));
  auto step = nodes::dokku::DbExport(engine, svc);
  if (!storage) {
    const std::string path = b.Field("path");
    jc.AppendLog("$ " + step.display + " > ~/" + path + "\n");
    std::string out;
    WHARF_ASSIGN_OR_RETURN(int rc, conn->Stream({"sh", "-c", kInternalDump, "wharf-backup", engine + ":export", svc, path},
                                                [&](std::string_view d) {
                                                  if (out.size() < 65536) out.append(d);
                                                },
                                                std::chrono::hours(6)));
    if (rc != 0) return Err(ErrorCode::kValidationFailed, "the dump on the node failed (exit " + std::to_string(rc) + "): " + out, Layer::kSsh);
    // Output: "<size>\n<sha256>  <path>\n"
    auto lines = std::vector<std::string>();
    size_t start = 0;
    while (start < out.size()) {
      size_t nl = out.find('\n', start);
      if (nl == std::string::npos) nl = out.size();
      lines.push_back(out.substr(start, nl - start));
      start = nl + 1;
    }
    if (lines.size() < 2) return Err(ErrorCode::kValidationFailed, "the node did not report the dump's size and hash: " + out, Layer::kSsh);
    int64_t size = 0;
    try {
      size = std::stoll(lines[lines.size() - 2]);
    } catch (...) {
      return Err(ErrorCode::kValidationFailed, "the node reported a size that is not a number: " + out, Layer::kSsh);
    }
    std::string sha = lines.back().substr(0, lines.back().find(' '));
    return std::make_pair(size, sha);
  }
  jc.AppendLog("$ " + step.display + " | upload to " + storage->row.name + " as " + b.Field("object_key") + "\n");
  WHARF_ASSIGN_OR_RETURN(auto ex, conn->Start(step.argv, kNodeIdle));
  secrets::Sha256Stream hash;
  int64_t size = 0;
  int64_t next_log = 64LL << 20;
  integrations::PullReader reader = [&](char* buf, size_t cap) -> Result<size_t> {
    if (jc.IsCancelled()) return Err(ErrorCode::kConflict, "the backup was cancelled");
    WHARF_ASSIGN_OR_RETURN(size_t n, ex->Read(buf, cap));
    if (n == 0) {
      WHARF_ASSIGN_OR_RETURN(int rc, ex->Finish());
      if (rc != 0)
        return Err(ErrorCode::kValidationFailed,
                   "`" + step.display + "` exited " + std::to_string(rc) + ": " + ex->ErrorTail(), Layer::kSsh);
      return size_t{0};
    }
    hash.Update(std::string_view(buf, n));
    size += static_cast<int64_t>(n);
    if (size >= next_log) {
      jc.AppendLog("[backup] " + std::to_string(size >> 20) + " MiB sent\n");
      next_log += 64LL << 20;
    }
    return n;
  };
  auto cfg = storage->S3();
  cfg.timeout_ms = 15 * 60 * 1000;  // per part
  integrations::S3Client s3(cfg);
  auto up = s3.Upload(b.Field("object_key"), reader, integrations::UploadOptions{});
  if (!up) {
    const auto& e = up.error();
    if (e.kind == integrations::S3Error::Kind::kSource)
      return Err(ErrorCode::kValidationFailed, "the dump from the node failed: " + e.message, Layer::kSsh);
    return tl::unexpected(S3Failure(e, "uploading " + b.Field("object_key")));
  }
  jc.AppendLog("[backup] uploaded " + std::to_string(up->size) + " bytes in " +
               std::to_string(std::max(1, up->parts)) + " part(s)\n");
  return std::make_pair(size, hash.HexFinal());
}

// Streams the backup into `dokku <kind>:import <svc>`; the bytes are hashed on the way and must
// match the backup's SHA-256.
Result<std::pair<int64_t, std::string>> Backups::RestoreDump(JobContext& jc, const domain::Integration& b,
                                                              const NodeTarget& node, const VerifiedBackupStorage* storage) {
  const std::string engine = b.Field("engine"), svc = DokkuService(b);
  nodes::ConnectFailure failure;
  std::string fp;
  WHARF_ASSIGN_OR_RETURN(auto conn, nodes_.Open(node.target, node_access_.NodeConnectOptions(), &failure, &fp));
  auto step = nodes::dokku::DbImport(engine, svc);
  if (!storage) {
    const std::string path = b.Field("path");
    jc.AppendLog("$ " + step.display + " < ~/" + path + "\n");
    std::string out;
    WHARF_ASSIGN_OR_RETURN(int rc, conn->Stream({"sh", "-c", kInternalRestore, "wharf-restore", engine + ":import", svc, path},
                                                [&](std::string_view d) {
                                                  if (out.size() < 65536) out.append(d);
                                                },
                                                std::chrono::hours(6)));
    if (rc != 0) return Err(ErrorCode::kValidationFailed, "the restore on the node failed (exit " + std::to_string(rc) + "): " + out, Layer::kSsh);
    return std::make_pair(NumField(b, "size"), b.Field("sha256"));
  }
  jc.AppendLog("download " + b.Field("object_key") + " from " + storage->row.name + " | $ " + step.display + "\n");
  WHARF_ASSIGN_OR_RETURN(auto imp, conn->Start(step.argv, kNodeIdle));
  secrets::Sha256Stream hash;
  int64_t size = 0;
  std::optional<Error> write_error;
  auto cfg = storage->S3();
  cfg.timeout_ms = 6 * 3600 * 1000;
  integrations::S3Client s3(cfg);
  auto got = s3.GetObject(b.Field("object_key"), [&](std::string_view chunk) -> bool {
    if (jc.IsCancelled()) {
      write_error = Err(ErrorCode::kConflict, "the restore was cancelled").value();
      return false;
    }
    hash.Update(chunk);
    size += static_cast<int64_t>(chunk.size());
    auto st = imp->Write(chunk);
    if (!st) {
      write_error = st.error();
      return false;
    }
    return true;
  });
  if (write_error) return tl::unexpected(*write_error);
  if (!got) return tl::unexpected(S3Failure(got.error(), "downloading " + b.Field("object_key")));
  WHARF_ASSIGN_OR_RETURN(int rc, imp->Finish());
  if (rc != 0)
    return Err(ErrorCode::kValidationFailed, "`" + step.display + "` exited " + std::to_string(rc) + ": " + imp->ErrorTail(),
               Layer::kSsh);
  std::string sha = hash.HexFinal();
  if (!b.Field("sha256").empty() && sha != b.Field("sha256"))
    return Err(ErrorCode::kValidationFailed,
               "the object's SHA-256 (" + sha + ") differs from the backup's (" + b.Field("sha256") +
                   "): it changed in the storage after the backup",
               Layer::kBackupStorage);
  return std::make_pair(size, sha);
}

void Backups::RegisterBackupJobs() {
  RegisterJobHandler("backup", [this](JobContext& jc) { return RunBackupJob(jc, false); });
  RegisterJobHandler("backup_restore", [this](JobContext& jc) { return RunBackupJob(jc, true); });
}


}  // namespace wharf::services
