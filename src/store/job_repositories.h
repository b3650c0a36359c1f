// Repositories of the durable job queue and the audit log (part of store.h, which includes it;
// see there for tenancy and error rules).
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "store/repository_types.h"

namespace wharf::store {

// Jobs and the durable queue (docs/architecture.md, "Jobs"). Claims, heartbeats, log appends and
// finishing are meant for Store::WriteConcurrent (row locks, no cross-process writer lock);
// Insert (enqueue) and RequestCancel run inside the caller's Write.
struct JobClaim {
  std::string replica_id;  // who claims (claimed_by)
  Timestamp now = 0;       // a running job whose lease_until < now is abandoned (taken over)
  Timestamp lease_until = 0;
  std::string kinds;       // comma-separated kinds this replica has handlers for ("onboard,sleep")
};
class JobRepository {
 public:
  virtual ~JobRepository() = default;
  virtual Status Insert(const Job& j) = 0;  // every column, as given (status "queued" to enqueue)
  virtual Result<std::optional<Job>> Find(std::string_view org_id, std::string_view id) = 0;
  // The log from character `offset` on (for streaming), with the status, without copying the
  // rest. `log_offset` of the answer says where its `log` starts (> offset when output between
  // was dropped by retention).
  virtual Result<std::optional<Job>> FindTail(std::string_view org_id, std::string_view id, size_t offset) = 0;
  virtual Status AppendLog(std::string_view id, std::string_view text) = 0;
  // Retention: when the log is longer than `max_bytes`, drops its head at a line (or character)
  // boundary so at most `max_bytes` remain, and adds the dropped characters to log_offset.
  virtual Status TrimLog(std::string_view id, size_t max_bytes) = 0;
  virtual Result<std::vector<Job>> ListForTarget(std::string_view org_id, std::string_view target_id, int limit) = 0;

  // Claims one job for c.replica_id, or nullopt when none is claimable. First an abandoned job
  // (running, lease_until < now; the oldest lease first), else the oldest queued job (created_at,
  // id) whose target has no running job and no older queued job of a kind in c.kinds (a server's
  // jobs run in created_at, id order; claimers racing for one server do not pick two). The
  // claimed row becomes running with the lease, claimed_by, attempts + 1 (started_at set on
  // the first claim). A unique index on running jobs' target_id makes "one running job per target" hold under any concurrency: a claim that
  // would break it fails with kConflict (retry). Only kinds listed in c.kinds are claimed.
  virtual Result<std::optional<Job>> Claim(const JobClaim& c) = 0;
  // Renews the lease of a job this claim (replica_id, attempts) still holds. nullopt: the lease
  // was lost (taken over after it expired, or the job ended); else whether a cancel is requested.
  virtual Result<std::optional<bool>> Heartbeat(std::string_view id, std::string_view replica_id, int64_t attempts,
                                                Timestamp lease_until) = 0;
  // Ends a job this claim still holds: j.status (succeeded, failed, cancelled, or queued to
  // release it to any replica), j.error, j.finished_at. False when the claim no longer holds it.
  virtual Result<bool> Finish(const Job& j, std::string_view replica_id, int64_t attempts) = 0;
  // Cancel: a queued job becomes cancelled (finished_at = now) at once; a running one gets
  // cancel_requested. Returns the row afterwards (nullopt when absent from the org).
  virtual Result<std::optional<Job>> RequestCancel(std::string_view org_id, std::string_view id, Timestamp now) = 0;
};

// Where TrimLog cuts a log longer than `max_bytes`: the first line start (else character start)
// that leaves at most max_bytes; `dropped_chars` gets the UTF-8 characters before it. Shared by
// both stores so their offsets agree.
inline size_t JobLogCut(std::string_view log, size_t max_bytes, int64_t* dropped_chars) {
  if (log.size() <= max_bytes) {
    *dropped_chars = 0;
    return 0;
  }
  size_t cut = log.size() - max_bytes;
  size_t nl = log.find('\n', cut == 0 ? 0 : cut - 1);
  if (nl != std::string_view::npos && nl + 1 < log.size() && nl + 1 - cut <= 4096) cut = nl + 1;
  else
    while (cut < log.size() && (static_cast<unsigned char>(log[cut]) & 0xC0) == 0x80) ++cut;
  int64_t n = 0;
  for (size_t i = 0; i < cut; ++i) n += (static_cast<unsigned char>(log[i]) & 0xC0) != 0x80;
  *dropped_chars = n;
  return cut;
}

class AuditRepository {
 public:
  virtual ~AuditRepository() = default;
  virtual Result<int64_t> Append(const AuditEvent& e) = 0;  // returns the new id
  // Newest first; `before_id` 0 = from the newest. At most limit + 1 rows.
  virtual Result<std::vector<AuditEvent>> List(std::string_view org_id, int64_t before_id, int limit) = 0;
};

}  // namespace wharf::store
