// Jobs as a user sees them (Jobs, services/jobs.h).
#include <chrono>
#include <thread>

#include "services/jobs.h"

namespace wharf::services {

using domain::Action;
using domain::Collection;
using jobs::JobFailed;

namespace {
tl::unexpected<Error> JobNotFound() { return Err(ErrorCode::kNotFound, "Job not found in this organisation."); }
}  // namespace

// The test-only "sleep" kind: payload {"ms": N, "log_lines": M}; runs again from the start on takeover.
void Jobs::RegisterTestJobs() {
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

Status Jobs::AuthorizeJob(store::Tx& tx, const authz::Principal& p, const domain::Job& job,
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

Result<domain::Job> Jobs::GetJobTail(const authz::Principal& p, std::string_view id, size_t offset, const RequestContext& ctx) {
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

Result<domain::Job> Jobs::GetJob(const authz::Principal& p, std::string_view id, const RequestContext& ctx) {
  return GetJobTail(p, id, 0, ctx);
}

Result<domain::Job> Jobs::CancelJob(const authz::Principal& p, std::string_view id, const RequestContext& ctx) {
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

Result<std::vector<domain::Job>> Jobs::EnqueueTestJobs(const authz::Principal& p, std::string_view target_id,
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

Jobs::Jobs(Core& core) : Feature(core) {}

}  // namespace wharf::services
