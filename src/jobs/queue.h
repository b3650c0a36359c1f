// The durable job queue: jobs are rows (store JobRepository) written by Enqueue inside the use
// case's own transaction; worker threads of every replica claim them (one running job per target
// server, FOR UPDATE SKIP LOCKED on PostgreSQL), hold them with a lease they renew, and end them.
// A replica that dies leaves its lease to expire and another takes the job over; its handler
// decides whether to resume or fail. Nothing is marked failed at start-up. This module knows no
// feature: services registers the handler of each job kind (deploy, backup, onboard, …).
//
//   jobs::Queue queue(store, clock, ids, {.replica_id = "host:1:ab", .workers = 4});
//   queue.RegisterHandler("sleep", [](jobs::JobContext& jc) { jc.AppendLog("hi\n"); return Ok(); });
//   WHARF_TRY(store.Write([&](store::Tx& tx) { return queue.Enqueue(tx, "sleep", org, srv, {}, uid).map([](auto&&) {}); }));
//   queue.Start();  // workers + lease heartbeat; queue.Stop() (or the destructor) joins them
//
// Thread-safety: every Queue method is safe to call concurrently. A JobContext is used by the one
// worker thread running its job.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "base/error.h"
#include "domain/types.h"
#include "store/store.h"

namespace wharf::jobs {

struct Config {
  // Names this process in claimed_by (main: "<host>:<pid>:<random>", so a restart is a new replica).
  std::string replica_id = "local";
  int workers = 4;
  // A running job's lease lasts lease_ms and is renewed every third of it; a job whose lease ran
  // out (its replica died) is taken over by any replica. Idle workers wake on an enqueue (same
  // process at once; other replicas through NOTIFY on PostgreSQL) and poll every poll_ms.
  int64_t lease_ms = 30'000;
  int64_t poll_ms = 2'000;
  size_t log_max_bytes = 512 * 1024;  // a job keeps the last 512 KiB of its log
};

class Queue;

// What a job handler gets (Queue::RegisterHandler). Used by one worker thread at a time.
//
//   queue.RegisterHandler("deploy", [&](jobs::JobContext& jc) -> Status {
//     if (jc.takeover()) jc.AppendLog("[wharf] resuming after a replica stopped\n");
//     jc.AddSecret(token);                  // never reaches the log
//     for (auto& step : steps) {
//       if (jc.IsCancelled()) return jc.Stopped();  // ends `cancelled` (released to the queue on shutdown)
//       jc.AppendLog("$ " + step + "\n");
//       WHARF_TRY(Run(step));               // an error ends the job `failed` with its message
//     }
//     return Ok();                          // `succeeded`
//   });
class JobContext {
 public:
  // The job as claimed: kind, org_id, target_id (the server), payload (JSON text), attempts.
  const domain::Job& job() const { return job_; }
  // True when an earlier claim ran this job and stopped without finishing (its replica died or
  // shut down): the handler decides whether to resume (idempotent steps) or fail.
  bool takeover() const { return job_.attempts > 1; }
  // Appends to the job's log (stored at once; the SSE stream shows it), with every AddSecret and
  // AddOutputSecret value replaced by [redacted]. A no-op once the lease was lost. Use it for
  // anything a node or another program said.
  void AppendLog(std::string_view text);
  // Appends a line Wharf wrote itself from secret-free parts (a command's display form, a status
  // line): only AddSecret values are redacted, so a short variable value such as "image" does not
  // mangle `git:from-image` in the log.
  void AppendOwnLog(std::string_view text);
  void AddSecret(std::string value);
  // A value redacted from output (AppendLog) only: variable values, which may be as plain as "1"
  // and never appear in Wharf's own lines (config:set shows sizes).
  void AddOutputSecret(std::string value);
  // True once a cancel was requested, the lease was lost or this replica is stopping: stop at the
  // next step and return. Checks the store at most every 500 ms (renewing the lease as it does).
  bool IsCancelled();
  // What a handler returns when it stops early because IsCancelled() said so.
  tl::unexpected<Error> Stopped() const;
  // Renews the lease now (the pool also does every lease_ms / 3). False when it was lost.
  bool Heartbeat();

 private:
  void Append(std::string_view text, bool output);
  friend class Queue;
  struct Active;
  JobContext(Queue& q, domain::Job job, std::shared_ptr<Active> active);
  Queue& q_;
  domain::Job job_;
  std::shared_ptr<Active> active_;
  std::vector<std::string> secrets_;
  std::vector<std::string> output_secrets_;
  size_t log_bytes_ = 0;       // appended since the last trim (approximate size of the stored log)
  int64_t last_check_ms_ = 0;  // last IsCancelled look at the store
};

// Runs one job. Ok ends it `succeeded`; an error ends it `cancelled` when a cancel was requested,
// back in the queue when this replica is stopping, else `failed` with the error's message (never
// put a secret in it).
using JobHandler = std::function<Status(JobContext&)>;

// A handler's failure: the message is what the job shows as its error.
tl::unexpected<Error> JobFailed(std::string why);

class Queue {
 public:
  // `store`, `clock` and `ids` outlive the queue.
  Queue(store::Store& store, Clock& clock, IdGenerator& ids, Config config);
  ~Queue();  // Stop()
  Queue(const Queue&) = delete;
  Queue& operator=(const Queue&) = delete;

  const Config& config() const { return config_; }

  // Enqueue inside the caller's write transaction (so the job exists exactly when the use case
  // committed); workers of every replica are woken after the commit. `target_server_id` is the
  // serialization key: jobs of one server run one at a time, across replicas. `payload` is the
  // handler's input and must hold no secret (it is stored and shown as is): handlers load
  // secrets themselves from the sealed rows the payload names.
  Result<domain::Job> Enqueue(store::Tx& tx, std::string kind, std::string org_id, std::string target_server_id,
                              const nlohmann::json& payload, std::string created_by);
  // Registers the handler of a kind (before Start, or any time after: a replica only claims kinds
  // it has a handler for). Replaces an earlier handler of the same kind.
  void RegisterHandler(std::string kind, JobHandler fn);
  // Starts config.workers worker threads and the lease heartbeat (once; later calls do nothing).
  // Jobs left running by a replica that died, this one's previous run included, are taken over
  // only once their lease has expired.
  void Start();
  // Wakes idle workers of this process (the store does it after a commit that enqueued a job).
  void Wake();
  // Stops claiming, asks running handlers to stop at their next step (IsCancelled answers true;
  // their jobs go back to the queue) and joins the threads. Idempotent.
  void Stop();
  bool stopping() const { return stopping_; }

 private:
  friend class JobContext;
  void WorkerLoop();
  void HeartbeatLoop();
  Result<std::optional<domain::Job>> ClaimNext();
  void RunClaimed(domain::Job job);
  std::string Kinds();

  store::Store& store_;
  Clock& clock_;
  IdGenerator& ids_;
  const Config config_;
  std::mutex mu_;
  std::condition_variable cv_;
  uint64_t wakes_ = 0;                                      // GUARDED_BY(mu_)
  std::map<std::string, JobHandler> handlers_;              // GUARDED_BY(mu_)
  std::vector<std::shared_ptr<JobContext::Active>> active_;  // GUARDED_BY(mu_)
  std::vector<std::thread> threads_;                        // GUARDED_BY(mu_)
  std::atomic<bool> stopping_{false};
};

}  // namespace wharf::jobs
