// Backups of database services (docs/backups.md): on the node or in a verified backup storage,
// taken and restored as jobs, downloaded as a bounded stream, on a schedule with retention.
//
//   auto started = svc.backups().CreateBackup(p, app_id, db_id, {.storage = "internal"}, ctx);
//   auto dl = svc.backups().DownloadBackup(p, app_id, db_id, started->backup.id, ctx);
//
// Thread-safety: every method is safe to call concurrently; state lives in the store (and
// in members that synchronize themselves).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "services/core.h"
#include "services/node_access.h"
#include "services/backup_storage.h"

namespace wharf::services {

// Backup downloads running per org id (Services::DownloadBackup caps them).
struct BackupDownloadSlots {
  std::mutex mu;
  std::unordered_map<std::string, int> running;  // GUARDED_BY(mu)
};

// Backups of database services (backups.cc, docs/backups.md). A backup and a schedule are rows of
// the integrations table (kinds "backups", "backupSchedules"); `fields` holds their settings and
// outcome (status, size, sha256, object_key or path, started_at, finished_at, trigger, job_id, …).
struct BackupInput {
  std::optional<std::string> storage;            // "internal" (on the node) or "external"
  std::optional<std::string> backup_storage_id;  // external: a verified backup storage
};

struct BackupScheduleInput {
  std::optional<std::string> frequency;  // hourly, daily, weekly, monthly
  std::optional<int64_t> retention;      // scheduled backups to keep (default 7)
  std::optional<std::string> storage, backup_storage_id;
};

// A backup (or restore) queued as a job.
struct BackupStarted {
  domain::Integration backup;
  domain::Job job;
};

// A backup's bytes for the client: `next` returns the next chunk, "" for "nothing yet", nullopt at
// the end (an early end means the source failed after the first byte). Bounded memory.
struct BackupDownload {
  domain::Integration backup;
  std::function<std::optional<std::string>()> next;
};

// Backups (backups.cc).
struct BackupParent {
  domain::Application app;
  domain::AppService service;
  std::string engine;
};

class Backups : public Feature {
 public:
  Backups(Core& core, NodeAccess& node_access, BackupStorage& backup_storage);

  // backups.create; external needs a verified storage (RequireVerifiedBackupStorage). Queues a job.
  Result<BackupStarted> CreateBackup(const authz::Principal& p, std::string_view app_id, std::string_view svc_id,
                                     BackupInput in, const RequestContext& ctx);
  Result<std::vector<domain::Integration>> ListBackups(const authz::Principal& p, std::string_view app_id,
                                                       std::string_view svc_id, const RequestContext& ctx);
  Result<domain::Integration> GetBackup(const authz::Principal& p, std::string_view app_id, std::string_view svc_id,
                                        std::string_view id, const RequestContext& ctx);
  // backups.update: streams the backup into `dokku <kind>:import` (a job).
  Result<BackupStarted> RestoreBackup(const authz::Principal& p, std::string_view app_id, std::string_view svc_id,
                                      std::string_view id, const RequestContext& ctx);
  // backups.read, audited: the dump streamed from the storage (or the node).
  Result<BackupDownload> DownloadBackup(const authz::Principal& p, std::string_view app_id, std::string_view svc_id,
                                        std::string_view id, const RequestContext& ctx);
  // backups.delete: the object (or node file), then the row.
  Status DeleteBackup(const authz::Principal& p, std::string_view app_id, std::string_view svc_id, std::string_view id,
                      const RequestContext& ctx);
  Result<domain::Integration> GetBackupSchedule(const authz::Principal& p, std::string_view app_id,
                                                std::string_view svc_id, const RequestContext& ctx);
  // backups.update. A new schedule takes its first backup at once, then one every period.
  Result<domain::Integration> PutBackupSchedule(const authz::Principal& p, std::string_view app_id,
                                                std::string_view svc_id, BackupScheduleInput in, const RequestContext& ctx);
  Status DeleteBackupSchedule(const authz::Principal& p, std::string_view app_id, std::string_view svc_id,
                              const RequestContext& ctx);
  // backups.create: the schedule's backup now (retention applies after it).
  Result<BackupStarted> RunBackupScheduleNow(const authz::Principal& p, std::string_view app_id,
                                             std::string_view svc_id, const RequestContext& ctx);
  // The scheduler tick (main's scheduler thread): queues due scheduled backups. Only the replica
  // holding the scheduler lock runs it; the others return 0 at once.
  int RunDueBackupSchedules();
  // Registers the "backup" and "backup_restore" job handlers (wharf serve, before the workers start).
  void RegisterBackupJobs();

 private:
  Result<BackupParent> LoadBackupParent(store::Tx& tx, const authz::Principal& p, std::string_view app_id,
                                        std::string_view svc_id, domain::Action a, const RequestContext& ctx);
  Result<domain::Integration> LoadBackupRow(store::Tx& tx, const authz::Principal& p, const BackupParent& parent,
                                            std::string_view id, domain::Action a, const RequestContext& ctx);
  Result<VerifiedBackupStorage> OpenBackupStorage(store::Tx& tx, std::string_view org_id, std::string_view id);
  domain::Integration NewBackupRow(const BackupParent& parent, const std::string& storage, const VerifiedBackupStorage* vs,
                                   const std::string& trigger, const std::string& schedule_id, const std::string& created_by);
  Result<std::vector<domain::Integration>> ListServiceBackups(store::Tx& tx, std::string_view org_id,
                                                              std::string_view service_id);
  Status RemoveBackupData(const domain::Integration& b);
  Result<BackupStarted> EnqueueScheduledBackup(store::Tx& tx, domain::Integration& sched, std::string created_by);
  void PruneBackups(JobContext& jc, const std::string& org_id, const std::string& schedule_id);
  Status UpdateBackupRow(const std::string& org_id, const std::string& id,
                         const std::function<void(domain::Integration&)>& edit);
  Status RunBackupJob(JobContext& jc, bool restore);
  Result<std::pair<int64_t, std::string>> TakeDump(JobContext& jc, const domain::Integration& b, const NodeTarget& node,
                                                   const VerifiedBackupStorage* storage);
  Result<std::pair<int64_t, std::string>> RestoreDump(JobContext& jc, const domain::Integration& b, const NodeTarget& node,
                                                      const VerifiedBackupStorage* storage);
  // Running backup downloads per org. Shared with the download threads, which may outlive a
  // request (and release their slot when they end).
  std::shared_ptr<BackupDownloadSlots> download_slots_ = std::make_shared<BackupDownloadSlots>();
  NodeAccess& node_access_;
  BackupStorage& backup_storage_;
};

}  // namespace wharf::services
