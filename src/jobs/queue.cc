// The queue's workers, lease heartbeat and job log (see queue.h).
#include "jobs/queue.h"

#include "base/log.h"
#include "secrets/redact.h"

namespace wharf::jobs {

namespace {
constexpr int64_t kCancelCheckMs = 500;
}  // namespace

tl::unexpected<Error> JobFailed(std::string why) { return Err(ErrorCode::kConflict, std::move(why)); }

// Shared by the worker running the job and the heartbeat thread.
struct JobContext::Active {
  std::string id;
  int64_t attempts = 0;
  std::atomic<bool> lost{false};
  std::atomic<bool> cancel{false};
  // AppendLog's text, redacted as one stream of the AddSecret and AddOutputSecret values.
  secrets::StreamRedactor output;
};

JobContext::JobContext(Queue& q, domain::Job job, std::shared_ptr<Active> active)
    : q_(q), job_(std::move(job)), active_(std::move(active)) {}

void JobContext::AddSecret(std::string value) {
  if (value.empty()) return;
  active_->output.Add(value);
  secrets_.push_back(std::move(value));
}

void JobContext::AddOutputSecret(std::string value) {
  if (value.empty()) return;
  active_->output.Add(value);
  output_secrets_.push_back(std::move(value));
}

void JobContext::AppendLog(std::string_view text) { Append(text, true); }
void JobContext::AppendOwnLog(std::string_view text) { Append(text, false); }

// Output (AppendLog) is redacted as one stream: a secret split across two reads is still caught,
// and the tail that may be its start waits for the next append. Wharf's own lines (and an empty
// one, which RunClaimedJob appends at the end) first write what the output held back, so the log
// keeps its order.
void JobContext::Append(std::string_view text, bool output) {
  if (active_->lost || (output && text.empty())) return;
  std::string clean;
  if (output) {
    clean = active_->output.Push(text);
  } else {
    std::vector<std::string_view> views(secrets_.begin(), secrets_.end());
    clean = active_->output.Flush() + (views.empty() ? std::string(text) : secrets::Redact(text, views));
  }
  if (clean.empty()) return;
  log_bytes_ += clean.size();
  const size_t max = q_.config_.log_max_bytes;
  // A takeover does not know the stored size: trim once before its first append.
  const bool trim = max > 0 && (log_bytes_ > max + max / 4 || (takeover() && log_bytes_ == clean.size()));
  auto st = q_.store_.WriteConcurrent([&](store::Tx& tx) -> Status {
    WHARF_TRY(tx.jobs().AppendLog(job_.id, clean));
    if (trim) WHARF_TRY(tx.jobs().TrimLog(job_.id, max));
    return Ok();
  });
  if (trim && st) log_bytes_ = std::min(log_bytes_, max);
  if (!st) log::Warn("job_log_append_failed", {{"job_id", job_.id}, {"error", st.error().message}});
}

bool JobContext::Heartbeat() {
  if (active_->lost) return false;
  std::optional<bool> held;
  auto st = q_.store_.WriteConcurrent([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(held, tx.jobs().Heartbeat(job_.id, q_.config_.replica_id, job_.attempts,
                                                     q_.clock_.Now() + q_.config_.lease_ms));
    return Ok();
  });
  last_check_ms_ = q_.clock_.Now();
  if (!st) {  // the store is unreachable: keep going; the lease says whether the job stays ours
    log::Warn("job_heartbeat_failed", {{"job_id", job_.id}, {"error", st.error().message}});
    return true;
  }
  if (!held) {
    active_->lost = true;
    log::Warn("job_lease_lost", {{"job_id", job_.id}, {"replica", q_.config_.replica_id}});
    return false;
  }
  if (*held) active_->cancel = true;
  return true;
}

tl::unexpected<Error> JobContext::Stopped() const { return JobFailed("Stopped before finishing."); }

bool JobContext::IsCancelled() {
  if (q_.stopping_ || active_->lost || active_->cancel) return true;
  if (q_.clock_.Now() - last_check_ms_ >= kCancelCheckMs) Heartbeat();
  return q_.stopping_ || active_->lost || active_->cancel;
}

Queue::Queue(store::Store& store, Clock& clock, IdGenerator& ids, Config config)
    : store_(store), clock_(clock), ids_(ids), config_(std::move(config)) {}

Queue::~Queue() { Stop(); }

void Queue::Stop() {
  store_.WatchJobs(nullptr);
  stopping_ = true;
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mu_);
    threads.swap(threads_);
  }
  cv_.notify_all();
  for (auto& t : threads)
    if (t.joinable()) t.join();
}

// ---------------------------------------------------------------- the queue

Result<domain::Job> Queue::Enqueue(store::Tx& tx, std::string kind, std::string org_id, std::string target_server_id,
                                      const nlohmann::json& payload, std::string created_by) {
  domain::Job job;
  job.id = ids_.New("job");
  job.org_id = std::move(org_id);
  job.kind = std::move(kind);
  job.target_id = std::move(target_server_id);
  job.status = "queued";
  job.payload = payload.is_null() ? "{}" : payload.dump();
  job.created_at = clock_.Now();
  // A target runs its queued jobs in (created_at, id) order. Jobs queued in the same millisecond
  // (e.g. a template's deployments, databases first) must keep the order they were queued in,
  // not the random order of their ids: each comes at least 1 ms after the target's newest job.
  if (!job.target_id.empty()) {
    WHARF_ASSIGN_OR_RETURN(auto newest, tx.jobs().ListForTarget(job.org_id, job.target_id, 1));
    if (!newest.empty() && newest.front().created_at >= job.created_at) job.created_at = newest.front().created_at + 1;
  }
  job.created_by = std::move(created_by);
  WHARF_TRY(tx.jobs().Insert(job));
  return job;
}

void Queue::RegisterHandler(std::string kind, JobHandler fn) {
  {
    std::lock_guard lock(mu_);
    handlers_[std::move(kind)] = std::move(fn);
  }
  Wake();
}

void Queue::Wake() {
  {
    std::lock_guard lock(mu_);
    ++wakes_;
  }
  cv_.notify_all();
}

std::string Queue::Kinds() {
  std::lock_guard lock(mu_);
  std::string kinds;
  for (const auto& [k, fn] : handlers_) kinds += (kinds.empty() ? "" : ",") + k;
  return kinds;
}

void Queue::Start() {
  store_.WatchJobs([this] { Wake(); });
  std::lock_guard lock(mu_);
  if (!threads_.empty()) return;
  for (int i = 0; i < std::max(1, config_.workers); ++i) threads_.emplace_back([this] { WorkerLoop(); });
  threads_.emplace_back([this] { HeartbeatLoop(); });
  log::Info("job_workers_started", {{"replica", config_.replica_id}, {"workers", config_.workers},
                                    {"lease_ms", config_.lease_ms}});
}

Result<std::optional<domain::Job>> Queue::ClaimNext() {
  store::JobClaim c;
  c.replica_id = config_.replica_id;
  c.kinds = Kinds();
  if (c.kinds.empty()) return std::optional<domain::Job>();
  // Two claimers may race for the last free slot of one server: the loser's update hits the
  // unique index (kConflict) and simply tries again with what is left.
  for (int attempt = 0;; ++attempt) {
    std::optional<domain::Job> job;
    c.now = clock_.Now();
    c.lease_until = c.now + config_.lease_ms;
    auto st = store_.WriteConcurrent([&](store::Tx& tx) -> Status {
      WHARF_ASSIGN_OR_RETURN(job, tx.jobs().Claim(c));
      return Ok();
    });
    if (st) return job;
    if (st.error().code != ErrorCode::kConflict || attempt >= 8) return tl::unexpected(st.error());
  }
}

void Queue::WorkerLoop() {
  uint64_t seen = 0;
  while (!stopping_) {
    {
      std::lock_guard lock(mu_);
      seen = wakes_;
    }
    auto job = ClaimNext();
    if (!job) log::Warn("job_claim_failed", {{"error", job.error().message}, {"detail", job.error().detail}});
    if (job && *job) {
      RunClaimed(std::move(**job));
      continue;
    }
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, std::chrono::milliseconds(config_.poll_ms),
                      [&] { return stopping_ || wakes_ != seen; });
  }
}

void Queue::HeartbeatLoop() {
  const auto every = std::chrono::milliseconds(std::max<int64_t>(50, config_.lease_ms / 3));
  while (!stopping_) {
    {
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, every, [&] { return stopping_.load(); });
    }
    if (stopping_) return;
    std::vector<std::shared_ptr<JobContext::Active>> active;
    {
      std::lock_guard lock(mu_);
      active = active_;
    }
    for (auto& a : active) {
      if (a->lost) continue;
      std::optional<bool> held;
      auto st = store_.WriteConcurrent([&](store::Tx& tx) -> Status {
        WHARF_ASSIGN_OR_RETURN(held, tx.jobs().Heartbeat(a->id, config_.replica_id, a->attempts,
                                                         clock_.Now() + config_.lease_ms));
        return Ok();
      });
      if (!st) {
        log::Warn("job_heartbeat_failed", {{"job_id", a->id}, {"error", st.error().message}});
        continue;
      }
      if (!held) {
        a->lost = true;
        log::Warn("job_lease_lost", {{"job_id", a->id}, {"replica", config_.replica_id}});
      } else if (*held) {
        a->cancel = true;
      }
    }
  }
}

void Queue::RunClaimed(domain::Job job) {
  auto active = std::make_shared<JobContext::Active>();
  active->id = job.id;
  active->attempts = job.attempts;
  JobHandler handler;
  {
    std::lock_guard lock(mu_);
    active_.push_back(active);
    if (auto it = handlers_.find(job.kind); it != handlers_.end()) handler = it->second;
  }
  log::Info("job_started", {{"job_id", job.id}, {"kind", job.kind}, {"target_id", job.target_id},
                            {"attempt", job.attempts}, {"replica", config_.replica_id}});
  JobContext jc(*this, job, active);
  jc.last_check_ms_ = clock_.Now();
  if (jc.takeover())
    jc.AppendLog("\n[wharf] Replica " + config_.replica_id + " took this job over (attempt " + std::to_string(job.attempts) +
                 "): the replica that ran it stopped before finishing and its lease expired.\n");
  Status st = Ok();
  if (!handler) {
    st = JobFailed("No handler for job kind '" + job.kind + "' on this replica.");
  } else {
    try {
      st = handler(jc);
    } catch (const std::exception& e) {
      log::Error("job_handler_threw", {{"job_id", job.id}, {"kind", job.kind}, {"what", e.what()}});
      st = JobFailed("The job stopped on an internal error (see the server log).");
    }
  }
  jc.AppendOwnLog({});  // the output's held-back tail (it ended without a secret after all)
  // The end: cancelled wins over the handler's outcome; a handler stopped by this replica's
  // shutdown releases the job to the queue (any replica resumes it at once).
  if (!active->lost) (void)jc.Heartbeat();  // picks up a cancel requested since the last look
  domain::Job end = job;
  end.finished_at = clock_.Now();
  if (active->lost) {
    end.status = "";
  } else if (active->cancel && !st) {
    end.status = "cancelled";
    end.error = "Cancelled on request.";
    jc.AppendLog("\n[wharf] Cancelled on request.\n");
  } else if (st) {
    end.status = "succeeded";
  } else if (stopping_) {
    end.status = "queued";
    end.finished_at = 0;
    jc.AppendLog("\n[wharf] Replica " + config_.replica_id + " is stopping: the job goes back to the queue and resumes on "
                 "the next free worker.\n");
  } else {
    end.status = "failed";
    end.error = st.error().message;
    // A handler that wrote its own FAILED block (with the fix) says so; printing it twice read as two failures.
    const auto& d = st.error().details;
    if (!(d.is_object() && d.value("logged", false))) jc.AppendLog("\n[wharf] FAILED: " + end.error + "\n");
  }
  bool held = false;
  if (!end.status.empty()) {
    auto fin = store_.WriteConcurrent([&](store::Tx& tx) -> Status {
      WHARF_ASSIGN_OR_RETURN(held, tx.jobs().Finish(end, config_.replica_id, job.attempts));
      return Ok();
    });
    if (!fin) log::Warn("job_finish_failed", {{"job_id", job.id}, {"error", fin.error().message}});
  }
  if (!held) end.status = "lost";
  log::Info("job_finished", {{"job_id", job.id}, {"kind", job.kind}, {"status", end.status}, {"attempt", job.attempts}});
  {
    std::lock_guard lock(mu_);
    std::erase(active_, active);
  }
  Wake();  // a job of the same server may be claimable now
}

}  // namespace wharf::jobs
