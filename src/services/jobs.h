// Jobs as a user sees them: read (with the log tail), cancel, and the test-only sleep jobs. A job
// is authorised through its subject: a deployment as its service, a backup as its backup, any
// other job as its server. The queue itself is jobs::Queue (src/jobs).
//
//   auto job = svc.jobs().GetJobTail(p, id, /*offset=*/0, ctx);
//   auto cancelled = svc.jobs().CancelJob(p, id, ctx);
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

namespace wharf::services {

class Jobs : public Feature {
 public:
  explicit Jobs(Core& core);

  // Registers the test-only "sleep" kind (config.enable_test_jobs): payload {"ms": N,
  // "log_lines": M}; runs again from the start on takeover.
  void RegisterTestJobs();

  // A job of the org; the caller needs read access to the job's server.
  Result<domain::Job> GetJob(const authz::Principal& p, std::string_view id, const RequestContext& ctx);
  // The job's status and its log from character `offset` on (for streaming); the answer's
  // log_offset says where its log starts (later than `offset` when retention dropped output).
  Result<domain::Job> GetJobTail(const authz::Principal& p, std::string_view id, size_t offset, const RequestContext& ctx);
  // Cancel (servers.update on the job's server): a queued job ends `cancelled` at once; a running
  // one gets cancel_requested and ends `cancelled` when its handler stops at its next step.
  // 409 when it already finished.
  Result<domain::Job> CancelJob(const authz::Principal& p, std::string_view id, const RequestContext& ctx);
  // Test only (config.enable_test_jobs; servers.update on `target_id`, which need not exist):
  // enqueues `count` jobs of kind "sleep" on that target, in one transaction; each writes
  // `log_lines` lines of 100 characters first (to exercise log retention).
  Result<std::vector<domain::Job>> EnqueueTestJobs(const authz::Principal& p, std::string_view target_id, int64_t sleep_ms,
                                                   int count, int64_t log_lines, const RequestContext& ctx);

 private:
  // A job is authorised through its subject for `a` (kRead to read it and its log, kUpdate to
  // cancel): a deployment as its service (services.*), a backup or restore as its backup
  // (backups.*), any other job as its server (servers.*), scopes applied. Out of reach, or a
  // subject that is gone: 404 (the job's own).
  Status AuthorizeJob(store::Tx& tx, const authz::Principal& p, const domain::Job& job,
                      domain::Action a, const RequestContext& ctx);
};

}  // namespace wharf::services
