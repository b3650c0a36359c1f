// The durable job queue and worker-node onboarding. A job is a row written by Enqueue inside the
// use case's transaction; workers of every replica claim it (store JobRepository::Claim: one
// running job per target, FOR UPDATE SKIP LOCKED on PostgreSQL), hold it with a lease they renew,
// and end it. A replica that dies leaves its lease to expire; another then takes the job over and
// its handler decides to resume or fail. Nothing is marked failed at start-up.
#include <set>
#include <sstream>

#include "base/log.h"
#include "base/strings.h"
#include "nodes/checks.h"
#include "nodes/ssh.h"
#include "secrets/redact.h"
#include "services/node_target.h"
#include "services/services.h"

namespace wharf::services {

using domain::Action;
using domain::Collection;

namespace {
tl::unexpected<Error> JobNotFound() { return Err(ErrorCode::kNotFound, "Job not found in this organisation."); }
// A handler's failure: the message is what the job shows as its error.
tl::unexpected<Error> JobFailed(std::string why) { return Err(ErrorCode::kConflict, std::move(why)); }
constexpr int64_t kCancelCheckMs = 500;
}  // namespace

// Shared by the worker running the job and the heartbeat thread.
struct JobContext::Active {
  std::string id;
  int64_t attempts = 0;
  std::atomic<bool> lost{false};
  std::atomic<bool> cancel{false};
  // AppendLog's text, redacted as one stream of the AddSecret and AddOutputSecret values.
  secrets::StreamRedactor output;
};

JobContext::JobContext(Services& s, domain::Job job, std::shared_ptr<Active> active)
    : s_(s), job_(std::move(job)), active_(std::move(active)) {}

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
  const size_t max = s_.config_.job_log_max_bytes;
  // A takeover does not know the stored size: trim once before its first append.
  const bool trim = max > 0 && (log_bytes_ > max + max / 4 || (takeover() && log_bytes_ == clean.size()));
  auto st = s_.store_.WriteConcurrent([&](store::Tx& tx) -> Status {
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
  auto st = s_.store_.WriteConcurrent([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(held, tx.jobs().Heartbeat(job_.id, s_.config_.replica_id, job_.attempts,
                                                     s_.clock_.Now() + s_.config_.job_lease_ms));
    return Ok();
  });
  last_check_ms_ = s_.clock_.Now();
  if (!st) {  // the store is unreachable: keep going; the lease says whether the job stays ours
    log::Warn("job_heartbeat_failed", {{"job_id", job_.id}, {"error", st.error().message}});
    return true;
  }
  if (!held) {
    active_->lost = true;
    log::Warn("job_lease_lost", {{"job_id", job_.id}, {"replica", s_.config_.replica_id}});
    return false;
  }
  if (*held) active_->cancel = true;
  return true;
}

tl::unexpected<Error> JobContext::Stopped() const { return JobFailed("Stopped before finishing."); }

bool JobContext::IsCancelled() {
  if (s_.stopping_ || active_->lost || active_->cancel) return true;
  if (s_.clock_.Now() - last_check_ms_ >= kCancelCheckMs) Heartbeat();
  return s_.stopping_ || active_->lost || active_->cancel;
}

Services::~Services() {
  store_.WatchInvalidations(nullptr);  // other replicas' invalidations stop reaching this object
  store_.WatchJobs(nullptr);
  stopping_ = true;
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(jobs_mu_);
    threads.swap(job_threads_);
  }
  jobs_cv_.notify_all();
  for (auto& t : threads)
    if (t.joinable()) t.join();
}

// ---------------------------------------------------------------- the queue

Result<domain::Job> Services::Enqueue(store::Tx& tx, std::string kind, std::string org_id, std::string target_server_id,
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

void Services::RegisterJobHandler(std::string kind, JobHandler fn) {
  {
    std::lock_guard lock(jobs_mu_);
    job_handlers_[std::move(kind)] = std::move(fn);
  }
  WakeJobWorkers();
}

void Services::WakeJobWorkers() {
  {
    std::lock_guard lock(jobs_mu_);
    ++job_wakes_;
  }
  jobs_cv_.notify_all();
}

std::string Services::JobKinds() {
  std::lock_guard lock(jobs_mu_);
  std::string kinds;
  for (const auto& [k, fn] : job_handlers_) kinds += (kinds.empty() ? "" : ",") + k;
  return kinds;
}

void Services::StartJobWorkers() {
  RegisterJobHandler("onboard", [this](JobContext& jc) { return RunOnboarding(jc); });
  if (config_.enable_test_jobs) {
    RegisterJobHandler("sleep", [this](JobContext& jc) -> Status {
      auto in = nlohmann::json::parse(jc.job().payload, nullptr, false);
      const int64_t ms = in.is_object() ? in.value("ms", int64_t{0}) : 0;
      const int64_t lines = in.is_object() ? in.value("log_lines", int64_t{0}) : 0;
      jc.AppendLog("[sleep] start " + std::to_string(clock_.Now()) + " on " + config_.replica_id + " attempt " +
                   std::to_string(jc.job().attempts) + "\n");
      for (int64_t i = 0; i < lines; ++i) jc.AppendLog("[sleep] line " + std::to_string(i) + " " + std::string(90, '.') + "\n");
      const int64_t until = clock_.Now() + ms;
      while (clock_.Now() < until) {
        if (jc.IsCancelled()) return jc.Stopped();
        std::this_thread::sleep_for(std::chrono::milliseconds(std::min<int64_t>(20, until - clock_.Now())));
      }
      jc.AppendLog("[sleep] end " + std::to_string(clock_.Now()) + "\n");
      return Ok();
    });
  }
  store_.WatchJobs([this] { WakeJobWorkers(); });
  std::lock_guard lock(jobs_mu_);
  if (!job_threads_.empty()) return;
  for (int i = 0; i < std::max(1, config_.job_workers); ++i) job_threads_.emplace_back([this] { JobWorkerLoop(); });
  job_threads_.emplace_back([this] { JobHeartbeatLoop(); });
  log::Info("job_workers_started", {{"replica", config_.replica_id}, {"workers", config_.job_workers},
                                    {"lease_ms", config_.job_lease_ms}});
}

Result<std::optional<domain::Job>> Services::ClaimNextJob() {
  store::JobClaim c;
  c.replica_id = config_.replica_id;
  c.kinds = JobKinds();
  if (c.kinds.empty()) return std::optional<domain::Job>();
  // Two claimers may race for the last free slot of one server: the loser's update hits the
  // unique index (kConflict) and simply tries again with what is left.
  for (int attempt = 0;; ++attempt) {
    std::optional<domain::Job> job;
    c.now = clock_.Now();
    c.lease_until = c.now + config_.job_lease_ms;
    auto st = store_.WriteConcurrent([&](store::Tx& tx) -> Status {
      WHARF_ASSIGN_OR_RETURN(job, tx.jobs().Claim(c));
      return Ok();
    });
    if (st) return job;
    if (st.error().code != ErrorCode::kConflict || attempt >= 8) return tl::unexpected(st.error());
  }
}

void Services::JobWorkerLoop() {
  uint64_t seen = 0;
  while (!stopping_) {
    {
      std::lock_guard lock(jobs_mu_);
      seen = job_wakes_;
    }
    auto job = ClaimNextJob();
    if (!job) log::Warn("job_claim_failed", {{"error", job.error().message}, {"detail", job.error().detail}});
    if (job && *job) {
      RunClaimedJob(std::move(**job));
      continue;
    }
    std::unique_lock lock(jobs_mu_);
    jobs_cv_.wait_for(lock, std::chrono::milliseconds(config_.job_poll_ms),
                      [&] { return stopping_ || job_wakes_ != seen; });
  }
}

void Services::JobHeartbeatLoop() {
  const auto every = std::chrono::milliseconds(std::max<int64_t>(50, config_.job_lease_ms / 3));
  while (!stopping_) {
    {
      std::unique_lock lock(jobs_mu_);
      jobs_cv_.wait_for(lock, every, [&] { return stopping_.load(); });
    }
    if (stopping_) return;
    std::vector<std::shared_ptr<JobContext::Active>> active;
    {
      std::lock_guard lock(jobs_mu_);
      active = active_jobs_;
    }
    for (auto& a : active) {
      if (a->lost) continue;
      std::optional<bool> held;
      auto st = store_.WriteConcurrent([&](store::Tx& tx) -> Status {
        WHARF_ASSIGN_OR_RETURN(held, tx.jobs().Heartbeat(a->id, config_.replica_id, a->attempts,
                                                         clock_.Now() + config_.job_lease_ms));
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

void Services::RunClaimedJob(domain::Job job) {
  auto active = std::make_shared<JobContext::Active>();
  active->id = job.id;
  active->attempts = job.attempts;
  JobHandler handler;
  {
    std::lock_guard lock(jobs_mu_);
    active_jobs_.push_back(active);
    if (auto it = job_handlers_.find(job.kind); it != job_handlers_.end()) handler = it->second;
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
    std::lock_guard lock(jobs_mu_);
    std::erase(active_jobs_, active);
  }
  WakeJobWorkers();  // a job of the same server may be claimable now
}

// ---------------------------------------------------------------- use cases

Result<domain::Job> Services::OnboardServer(const authz::Principal& p, std::string_view id, const RequestContext& ctx) {
  const authz::Resource pre{id, p.user_id, {}, id};
  WHARF_TRY(Authorize(p, Collection::kServers, Action::kUpdate, &pre, ctx, id));
  domain::Job job;
  WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto s, tx.servers().Find(p.org_id, id));
    if (!s) return Err(ErrorCode::kNotFound, "Server not found in this organisation.");
    auto r = authz::Resource{s->id, s->created_by, {}, s->id};
    auto st = Authorize(p, Collection::kServers, Action::kUpdate, &r, ctx, id);
    if (!st) return st.error().code == ErrorCode::kNotFound ? Err(ErrorCode::kNotFound, "Server not found in this organisation.")
                                                            : tl::unexpected(st.error());
    WHARF_TRY(RequirePinnedHostKey(*s));
    WHARF_ASSIGN_OR_RETURN(job, Enqueue(tx, "onboard", p.org_id, s->id, nlohmann::json::object(), p.user_id));
    return AuditIn(tx, p, "servers.onboard", "servers", s->id, ctx, job.id);
  }));
  WakeJobWorkers();
  return job;
}

Status Services::RunOnboarding(JobContext& jc) {
  const domain::Job& job = jc.job();
  std::optional<domain::Server> found;
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(found, tx.servers().Find(job.org_id, job.target_id));
    return Ok();
  }));
  if (!found) return JobFailed("The server was deleted before onboarding ran.");
  domain::Server server = *found;
  auto append = [&](std::string_view text) { jc.AppendLog(text); };
  if (jc.takeover()) append("[wharf] Resuming: onboarding is idempotent and does only what is missing.\n");
  append("[wharf] Onboarding " + server.name + " (" + server.username + "@" + server.host + ":" + std::to_string(server.port) +
         "): Dokku " + config_.dokku_version + " and " + std::to_string(config_.dokku_plugins.size()) + " plugins\n");

  std::optional<NodeTarget> t;
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(t, LoadNodeTarget(tx, server));
    return Ok();
  }));
  const nodes::ConnectOptions co = NodeConnectOptions();
  nodes::ConnectFailure failure;
  std::string fp;
  auto conn = nodes::Connection::Open(t->target, co, &failure, &fp);
  if (!conn) return JobFailed("Cannot sign in to the server: " + conn.error().message + " Run the server check for the fix.");
  nodes::Connection& c = **conn;
  const auto step_timeout = std::chrono::milliseconds(config_.onboard_timeout_ms);
  auto stream = [&](const std::vector<std::string>& argv) -> Result<int> {
    append("$ " + nodes::CommandLine(argv) + "\n");
    return c.Stream(argv, [&](std::string_view chunk) { append(chunk); }, step_timeout);
  };

  if (server.username != "root") {
    auto sudo = c.Run({"sudo", "-n", "true"});
    if (!sudo || sudo->exit_status != 0)
      return JobFailed("The user " + server.username + " has no passwordless sudo, which onboarding needs: echo '" +
                       server.username + " ALL=(ALL) NOPASSWD:ALL' | sudo tee /etc/sudoers.d/wharf");
  }
  const std::vector<std::string> sudo = server.username == "root" ? std::vector<std::string>{} : std::vector<std::string>{"sudo", "-n"};
  auto with_sudo = [&](std::vector<std::string> argv) {
    std::vector<std::string> out = sudo;
    out.insert(out.end(), argv.begin(), argv.end());
    return out;
  };

  // 1. Dokku itself.
  auto version = c.Run({"dokku", "version"});
  std::string installed;
  if (version && version->exit_status == 0) {
    installed = std::string(Trim(version->out));
    if (StartsWith(installed, "dokku version ")) installed = installed.substr(14);
  }
  if (!installed.empty() && nodes::CompareVersions(installed, config_.dokku_version) >= 0) {
    append("[wharf] Dokku " + installed + " is installed (pinned " + config_.dokku_version + "): skipping the install\n");
  } else {
    append(installed.empty() ? "[wharf] Installing Dokku " + config_.dokku_version + "\n"
                             : "[wharf] Upgrading Dokku " + installed + " to " + config_.dokku_version + "\n");
    if (jc.IsCancelled()) return jc.Stopped();
    // The URL is passed as an argument ($1), never pasted into the script text. The installer is
    // saved to a fresh mktemp file: a fixed /tmp name could be pre-created as a symlink by any local
    // user (curl runs as root), and two onboardings of one node would overwrite each other's copy.
    auto rc = stream(with_sudo({"env", "DOKKU_TAG=v" + config_.dokku_version, "bash", "-c",
                                "set -e; f=$(mktemp /tmp/wharf-dokku-bootstrap.XXXXXXXX); trap 'rm -f \"$f\"' EXIT; "
                                "curl -fsSL \"$1\" -o \"$f\"; bash \"$f\"",
                                "wharf-onboard", config_.dokku_bootstrap_url}));
    if (!rc) return JobFailed(rc.error().message);
    if (*rc != 0) return JobFailed("The Dokku installer exited with status " + std::to_string(*rc) + "; see the log above.");
  }

  // 2. Plugins: install only the missing ones.
  std::set<std::string> have;
  auto list = c.Run({"dokku", "plugin:list"});
  if (list && list->exit_status == 0) {
    std::istringstream in(list->out);
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream words(line);
      std::string name;
      if (words >> name) have.insert(name);
    }
  }
  for (const auto& [name, url, committish] : config_.dokku_plugins) {
    if (jc.IsCancelled()) return jc.Stopped();
    if (have.count(name)) {
      append("[wharf] Plugin " + name + " is installed: skipping\n");
      continue;
    }
    append("[wharf] Installing plugin " + name + "\n");
    auto rc = stream(with_sudo({"dokku", "plugin:install", url, "--committish", committish, "--name", name}));
    if (!rc) return JobFailed(rc.error().message);
    if (*rc != 0) return JobFailed("Installing the " + name + " plugin failed with status " + std::to_string(*rc) + "; see the log above.");
  }

  // 3. Check the result, and record it on the server.
  auto out = RunNodeChecks(*t, &server);
  auto st = store_.Write([&](store::Tx& tx) {
    return tx.servers().RecordCheck(server, domain::ServerCheck{0, server.org_id, server.id, server.last_check_at, out.ok, 0,
                                                                out.report_json},
                                    config_.check_history);
  });
  if (!st) log::Warn("health_check_record_failed", {{"server_id", server.id}, {"error", st.error().message}});
  if (!out.ok) return JobFailed("Onboarding finished but a check still fails: " + server.last_error);
  append("[wharf] Done: every check passes\n");
  return Ok();
}

Status Services::AuthorizeJob(store::Tx& tx, const authz::Principal& p, const domain::Job& job,
                              Action a, const RequestContext& ctx) {
  // Copies of the subject's fields: authz::Resource holds views into them.
  std::string id, created_by, application_id, server_id;
  Collection c = Collection::kServers;
  if (job.kind == "deploy") {
    // A deployment shares its job's id; it is read (and cancelled) as its service.
    WHARF_ASSIGN_OR_RETURN(auto d, tx.deployments().Find(p.org_id, job.id));
    if (!d) return JobNotFound();
    WHARF_ASSIGN_OR_RETURN(auto svc, tx.app_services().Find(p.org_id, d->service_id));
    c = Collection::kServices;
    id = d->service_id;
    created_by = svc ? svc->created_by : d->created_by;
    application_id = d->application_id;
  } else if (job.kind == "backup" || job.kind == "backup_restore") {
    const auto payload = nlohmann::json::parse(job.payload, nullptr, false);
    const std::string backup_id = payload.is_object() ? payload.value("backup_id", "") : "";
    WHARF_ASSIGN_OR_RETURN(auto b, tx.integrations().Find(p.org_id, "backups", backup_id));
    if (!b) return JobNotFound();
    c = Collection::kBackups;
    id = b->id;
    created_by = b->created_by;
    application_id = b->Field("application_id");
    server_id = b->Field("server_id");
  } else {
    // Onboarding and the other node jobs are the server's.
    WHARF_ASSIGN_OR_RETURN(auto s, tx.servers().Find(p.org_id, job.target_id));
    id = server_id = job.target_id;
    created_by = s ? s->created_by : job.created_by;
  }
  const authz::Resource r{id, created_by, application_id, server_id};
  return AuthorizeRow(p, c, a, r, ctx, job.id, JobNotFound);
}

Result<domain::Job> Services::GetJobTail(const authz::Principal& p, std::string_view id, size_t offset, const RequestContext& ctx) {
  std::optional<domain::Job> job;
  // A job is read through its subject (AuthorizeJob): whoever may not read the deployment, backup
  // or server may not read its job, payload or log either.
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(job, tx.jobs().FindTail(p.org_id, id, offset));
    if (!job) return JobNotFound();
    return AuthorizeJob(tx, p, *job, Action::kRead, ctx);
  }));
  return *job;
}

Result<domain::Job> Services::GetJob(const authz::Principal& p, std::string_view id, const RequestContext& ctx) {
  return GetJobTail(p, id, 0, ctx);
}

Result<domain::Job> Services::CancelJob(const authz::Principal& p, std::string_view id, const RequestContext& ctx) {
  domain::Job out;
  WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto job, tx.jobs().Find(p.org_id, id));
    if (!job) return JobNotFound();
    // Cancelling changes what the subject does: its update permission (AuthorizeJob).
    WHARF_TRY(AuthorizeJob(tx, p, *job, Action::kUpdate, ctx));
    if (job->status != "queued" && job->status != "running")
      return Err(ErrorCode::kConflict, "Job " + job->id + " already ended (" + job->status + "); there is nothing to cancel.");
    WHARF_ASSIGN_OR_RETURN(auto after, tx.jobs().RequestCancel(p.org_id, id, clock_.Now()));
    if (!after) return JobNotFound();
    out = *after;
    if (out.status == "cancelled") WHARF_TRY(tx.jobs().AppendLog(out.id, "[wharf] Cancelled before it started.\n"));
    return AuditIn(tx, p, "jobs.cancel", "servers", job->target_id, ctx, job->id);
  }));
  return out;
}

Result<std::vector<domain::Job>> Services::EnqueueTestJobs(const authz::Principal& p, std::string_view target_id,
                                                           int64_t sleep_ms, int count, int64_t log_lines,
                                                           const RequestContext& ctx) {
  if (!config_.enable_test_jobs) return Err(ErrorCode::kNotFound, "Test jobs are off (wharf serve --enable-test-jobs).");
  if (target_id.empty() || target_id.size() > 100) return FieldError("target_id", "must be 1 to 100 characters");
  if (sleep_ms < 0 || sleep_ms > 600'000) return FieldError("sleep_ms", "must be between 0 and 600000");
  if (count < 1 || count > 1000) return FieldError("count", "must be between 1 and 1000");
  if (log_lines < 0 || log_lines > 100'000) return FieldError("log_lines", "must be between 0 and 100000");
  const authz::Resource pre{target_id, p.user_id, {}, target_id};
  WHARF_TRY(Authorize(p, Collection::kServers, Action::kUpdate, &pre, ctx, target_id));
  std::vector<domain::Job> jobs;
  WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
    for (int i = 0; i < count; ++i) {
      WHARF_ASSIGN_OR_RETURN(auto j, Enqueue(tx, "sleep", p.org_id, std::string(target_id),
                                                 log_lines ? nlohmann::json{{"ms", sleep_ms}, {"log_lines", log_lines}}
                                                           : nlohmann::json{{"ms", sleep_ms}},
                                                 p.user_id));
      jobs.push_back(std::move(j));
    }
    return AuditIn(tx, p, "jobs.test", "servers", std::string(target_id), ctx, std::to_string(count) + " sleep jobs");
  }));
  WakeJobWorkers();
  return jobs;
}

}  // namespace wharf::services
