// Durable jobs and worker-node onboarding. A job row is written before any work starts; its log
// grows as output arrives, so GET …/jobs/{id}/log can stream it; a restart marks what was left
// running as failed with the reason, and onboarding run again does only what is missing.
#include <set>
#include <sstream>

#include "base/log.h"
#include "base/strings.h"
#include "nodes/checks.h"
#include "nodes/ssh.h"
#include "services/node_target.h"
#include "services/services.h"

namespace wharf::services {

using domain::Action;
using domain::Collection;

namespace {
tl::unexpected<Error> JobNotFound() { return Err(ErrorCode::kNotFound, "Job not found in this organisation."); }
}  // namespace

Services::~Services() {
  store_.WatchInvalidations(nullptr);  // other replicas' invalidations stop reaching this object
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

Status Services::RecoverInterruptedJobs() {
  return store_.Write([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto jobs, tx.jobs().ListUnfinished());
    for (auto& j : jobs) {
      j.status = "failed";
      j.error = "Interrupted by a control-plane restart before it finished. Run it again" +
                std::string(j.kind == "onboard" ? ": onboarding resumes and does only what is missing." : ".");
      j.finished_at = clock_.Now();
      WHARF_TRY(tx.jobs().AppendLog(j.id, "\n[wharf] " + j.error + "\n"));
      WHARF_TRY(tx.jobs().SetStatus(j));
      log::Warn("job_interrupted", {{"job_id", j.id}, {"kind", j.kind}});
    }
    return Ok();
  });
}

Result<domain::Job> Services::OnboardServer(const authz::Principal& p, std::string_view id, const RequestContext& ctx) {
  const authz::Resource pre{id, p.user_id, {}, id};
  WHARF_TRY(Authorize(p, Collection::kServers, Action::kUpdate, &pre, ctx, id));
  domain::Job job;
  domain::Server server;
  WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto s, tx.servers().Find(p.org_id, id));
    if (!s) return Err(ErrorCode::kNotFound, "Server not found in this organisation.");
    auto r = authz::Resource{s->id, s->created_by, {}, s->id};
    auto st = Authorize(p, Collection::kServers, Action::kUpdate, &r, ctx, id);
    if (!st) return st.error().code == ErrorCode::kNotFound ? Err(ErrorCode::kNotFound, "Server not found in this organisation.")
                                                            : tl::unexpected(st.error());
    server = *s;
    job.id = ids_.New("job");
    job.org_id = p.org_id;
    job.kind = "onboard";
    job.target_id = s->id;
    job.created_at = clock_.Now();
    job.created_by = p.user_id;
    WHARF_TRY(tx.jobs().Insert(job));
    return AuditIn(tx, p, "servers.onboard", "servers", s->id, ctx, job.id);
  }));
  std::lock_guard lock(jobs_mu_);
  job_threads_.emplace_back([this, job, server] { RunOnboarding(job, server); });
  return job;
}

void Services::RunOnboarding(domain::Job job, domain::Server server) {
  // One job per server at a time: wait for the server to be free.
  {
    std::unique_lock lock(jobs_mu_);
    jobs_cv_.wait(lock, [&] { return stopping_ || !busy_servers_[server.id]; });
    if (stopping_) return;  // left queued: the next start marks it interrupted
    busy_servers_[server.id] = true;
  }
  auto release = [&] {
    std::lock_guard lock(jobs_mu_);
    busy_servers_.erase(server.id);
    jobs_cv_.notify_all();
  };
  auto append = [&](std::string_view text) {
    auto st = store_.Write([&](store::Tx& tx) { return tx.jobs().AppendLog(job.id, text); });
    if (!st) log::Warn("job_log_append_failed", {{"job_id", job.id}, {"error", st.error().message}});
  };
  auto set_status = [&](std::string status, std::string error) {
    job.status = std::move(status);
    job.error = std::move(error);
    if (job.status == "running") job.started_at = clock_.Now();
    else job.finished_at = clock_.Now();
    auto st = store_.Write([&](store::Tx& tx) { return tx.jobs().SetStatus(job); });
    if (!st) log::Warn("job_status_failed", {{"job_id", job.id}, {"error", st.error().message}});
  };
  auto fail = [&](const std::string& why) {
    append("\n[wharf] FAILED: " + why + "\n");
    set_status("failed", why);
    log::Info("job_finished", {{"job_id", job.id}, {"kind", job.kind}, {"status", "failed"}});
    release();
  };
  set_status("running", "");
  log::Info("job_started", {{"job_id", job.id}, {"kind", job.kind}, {"server_id", server.id}});
  append("[wharf] Onboarding " + server.name + " (" + server.username + "@" + server.host + ":" + std::to_string(server.port) +
         "): Dokku " + config_.dokku_version + " and " + std::to_string(config_.dokku_plugins.size()) + " plugins\n");

  std::optional<NodeTarget> t;
  auto lt = store_.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(t, LoadNodeTarget(tx, server));
    return Ok();
  });
  if (!lt) return fail(lt.error().message);
  const nodes::ConnectOptions co = NodeConnectOptions();
  nodes::ConnectFailure failure;
  std::string fp;
  auto conn = nodes::Connection::Open(t->target, co, &failure, &fp);
  if (!conn) return fail("Cannot sign in to the server: " + conn.error().message + " Run the server check for the fix.");
  nodes::Connection& c = **conn;
  const auto step_timeout = std::chrono::milliseconds(config_.onboard_timeout_ms);
  auto stream = [&](const std::vector<std::string>& argv) -> Result<int> {
    append("$ " + nodes::CommandLine(argv) + "\n");
    return c.Stream(argv, [&](std::string_view chunk) { append(chunk); }, step_timeout);
  };

  if (server.username != "root") {
    auto sudo = c.Run({"sudo", "-n", "true"});
    if (!sudo || sudo->exit_status != 0)
      return fail("The user " + server.username + " has no passwordless sudo, which onboarding needs: echo '" + server.username +
                  " ALL=(ALL) NOPASSWD:ALL' | sudo tee /etc/sudoers.d/wharf");
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
    if (stopping_) return fail("Wharf is shutting down");
    // The URL is passed as an argument ($1), never pasted into the script text.
    auto rc = stream(with_sudo({"env", "DOKKU_TAG=v" + config_.dokku_version, "bash", "-c",
                                "set -e; curl -fsSL \"$1\" -o /tmp/wharf-dokku-bootstrap.sh; bash /tmp/wharf-dokku-bootstrap.sh",
                                "wharf-onboard", config_.dokku_bootstrap_url}));
    if (!rc) return fail(rc.error().message);
    if (*rc != 0) return fail("The Dokku installer exited with status " + std::to_string(*rc) + "; see the log above.");
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
  for (const auto& [name, url] : config_.dokku_plugins) {
    if (stopping_) return fail("Wharf is shutting down");
    if (have.count(name)) {
      append("[wharf] Plugin " + name + " is installed: skipping\n");
      continue;
    }
    append("[wharf] Installing plugin " + name + "\n");
    auto rc = stream(with_sudo({"dokku", "plugin:install", url, "--name", name}));
    if (!rc) return fail(rc.error().message);
    if (*rc != 0) return fail("Installing the " + name + " plugin failed with status " + std::to_string(*rc) + "; see the log above.");
  }

  // 3. Check the result, and record it on the server.
  auto out = RunNodeChecks(*t, &server);
  auto st = store_.Write([&](store::Tx& tx) {
    return tx.servers().RecordCheck(server, domain::ServerCheck{0, server.org_id, server.id, server.last_check_at, out.ok, 0,
                                                                out.report_json},
                                    config_.check_history);
  });
  if (!st) log::Warn("health_check_record_failed", {{"server_id", server.id}, {"error", st.error().message}});
  if (!out.ok) return fail("Onboarding finished but a check still fails: " + server.last_error);
  append("[wharf] Done: every check passes\n");
  set_status("succeeded", "");
  log::Info("job_finished", {{"job_id", job.id}, {"kind", job.kind}, {"status", "succeeded"}});
  release();
}

Result<domain::Job> Services::GetJobTail(const authz::Principal& p, std::string_view id, size_t offset, const RequestContext& ctx) {
  std::optional<domain::Job> job;
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(job, tx.jobs().FindTail(p.org_id, id, offset));
    return Ok();
  }));
  if (!job) return JobNotFound();
  // A job is read with its server: servers.read, with read_scope and resource_scope.
  std::optional<domain::Server> s;
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(s, tx.servers().Find(p.org_id, job->target_id));
    return Ok();
  }));
  authz::Resource r{job->target_id, s ? std::string_view(s->created_by) : std::string_view(job->created_by), {}, job->target_id};
  WHARF_TRY(AuthorizeRow(p, Collection::kServers, Action::kRead, r, ctx, id, JobNotFound));
  return *job;
}

Result<domain::Job> Services::GetJob(const authz::Principal& p, std::string_view id, const RequestContext& ctx) {
  return GetJobTail(p, id, 0, ctx);
}

}  // namespace wharf::services
