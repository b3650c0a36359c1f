// Jobs (the durable queue) and the audit log, once for both databases (see query.h for what Q
// provides). Internal to src/store.
//
// Claims: on PostgreSQL they run under row locks, not the writer lock (Store::WriteConcurrent):
// FOR UPDATE SKIP LOCKED lets concurrent claimers (other workers, other replicas) pass rows
// another claim holds, and the partial unique index jobs_one_running refuses a second running
// job of one target (kConflict; the caller retries). SQLite has one writer, so its claim is the
// same statement without the lock clause.
#pragma once

#include "store/sql/query.h"
#include "store/sql/repo_macro.h"
#include "store/sql/rows.h"

namespace wharf::store::sql {

WHARF_SQL_REPO(Jobs, JobRepository)
  Status Insert(const Job& j) override {
    Q q(c_, "INSERT INTO jobs (" WHARF_JOB_COLS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    q.Text(j.id).Text(j.org_id).Text(j.kind).Text(j.target_id).Text(j.status).Text(j.error).Text(j.log);
    q.Int(j.created_at).Int(j.started_at).Int(j.finished_at).Text(j.created_by);
    q.Text(j.payload).Text(j.claimed_by).Int(j.lease_until).Int(j.attempts).Bool(j.cancel_requested).Int(j.log_offset);
    WHARF_TRY(q.Exec("A job with this id already exists, or its target already runs one."));
    if (j.status == "queued") c_.jobs_changed = true;
    return Ok();
  }
  Result<std::optional<Job>> Find(std::string_view org_id, std::string_view id) override {
    Q q(c_, "SELECT " WHARF_JOB_COLS " FROM jobs WHERE org_id = ? AND id = ?");
    q.Text(org_id).Text(id);
    return One<Job>(q, rows::ReadJob<Q>);
  }
  Result<std::optional<Job>> FindTail(std::string_view org_id, std::string_view id, size_t offset) override {
    // substr counts characters on text in both databases; log_offset counts characters too.
    Q q(c_, WHARF_SQL("SELECT id, org_id, kind, target_id, status, error, substr(log, max(?1 - log_offset, 0) + 1), "
                      "created_at, started_at, finished_at, created_by, payload, claimed_by, lease_until, attempts, "
                      "cancel_requested, log_offset + max(?1 - log_offset, 0) FROM jobs WHERE org_id = ?2 AND id = ?3",
                      "SELECT id, org_id, kind, target_id, status, error, substr(log, GREATEST(?1::bigint - log_offset, "
                      "0)::int + 1), created_at, started_at, finished_at, created_by, payload, claimed_by, lease_until, "
                      "attempts, cancel_requested, log_offset + GREATEST(?1::bigint - log_offset, 0) FROM jobs "
                      "WHERE org_id = ?2 AND id = ?3"));
    q.Int(static_cast<int64_t>(offset)).Text(org_id).Text(id);
    return One<Job>(q, rows::ReadJob<Q>);
  }
  Status AppendLog(std::string_view id, std::string_view text) override {
    Q q(c_, "UPDATE jobs SET log = log || ? WHERE id = ?");
    q.Text(text).Text(id);
    return q.Exec();
  }
  Status TrimLog(std::string_view id, size_t max_bytes) override {
    std::string log;
    {
      Q q(c_, "SELECT log FROM jobs WHERE id = ?");
      q.Text(id);
      WHARF_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) return Ok();
      log = q.Str(0);
    }
    int64_t dropped = 0;
    const size_t cut = JobLogCut(log, max_bytes, &dropped);
    if (cut == 0) return Ok();
    Q u(c_, "UPDATE jobs SET log = ?, log_offset = log_offset + ? WHERE id = ?");
    u.Text(std::string_view(log).substr(cut)).Int(dropped).Text(id);
    return u.Exec();
  }
  Result<std::vector<Job>> ListForTarget(std::string_view org_id, std::string_view target_id, int limit) override {
    Q q(c_, "SELECT " WHARF_JOB_NOLOG_COLS " FROM jobs WHERE org_id = ? AND target_id = ? ORDER BY created_at DESC LIMIT ?");
    q.Text(org_id).Text(target_id).Int(limit);
    return Collect<Job>(q, rows::ReadJob<Q>);
  }
  Result<std::optional<Job>> Claim(const JobClaim& c) override {
    std::optional<Job> job;
    {
      Q q(c_, WHARF_SQL("SELECT " WHARF_JOB_NOLOG_COLS " FROM jobs WHERE status = 'running' AND lease_until < ? AND "
                        "instr(',' || ? || ',', ',' || kind || ',') > 0 ORDER BY lease_until, id LIMIT 1",
                        "SELECT " WHARF_JOB_NOLOG_COLS " FROM jobs WHERE status = 'running' AND lease_until < ? AND "
                        "strpos(',' || ? || ',', ',' || kind || ',') > 0 ORDER BY lease_until, id LIMIT 1 "
                        "FOR UPDATE SKIP LOCKED"));
      q.Int(c.now).Text(c.kinds);
      WHARF_ASSIGN_OR_RETURN(job, One<Job>(q, rows::ReadJob<Q>));
    }
    if (!job) {
      Q q(c_, WHARF_SQL("SELECT " WHARF_JOB_NOLOG_COLS " FROM jobs j WHERE status = 'queued' AND "
                        "instr(',' || ?1 || ',', ',' || kind || ',') > 0 AND NOT EXISTS (SELECT 1 FROM jobs r WHERE "
                        "r.target_id = j.target_id AND r.status = 'running') AND NOT EXISTS (SELECT 1 FROM jobs o WHERE "
                        "o.target_id = j.target_id AND o.status = 'queued' AND (o.created_at, o.id) < (j.created_at, j.id) "
                        "AND instr(',' || ?1 || ',', ',' || o.kind || ',') > 0) ORDER BY created_at, id LIMIT 1",
                        "SELECT " WHARF_JOB_NOLOG_COLS " FROM jobs j WHERE status = 'queued' AND "
                        "strpos(',' || ?1 || ',', ',' || kind || ',') > 0 AND NOT EXISTS (SELECT 1 FROM jobs r WHERE "
                        "r.target_id = j.target_id AND r.status = 'running') AND NOT EXISTS (SELECT 1 FROM jobs o WHERE "
                        "o.target_id = j.target_id AND o.status = 'queued' AND (o.created_at, o.id) < (j.created_at, j.id) "
                        "AND strpos(',' || ?1 || ',', ',' || o.kind || ',') > 0) ORDER BY created_at, id LIMIT 1 "
                        "FOR UPDATE SKIP LOCKED"));
      q.Text(c.kinds);
      WHARF_ASSIGN_OR_RETURN(job, One<Job>(q, rows::ReadJob<Q>));
    }
    if (!job) return job;
    Q u(c_, "UPDATE jobs SET status = 'running', claimed_by = ?, lease_until = ?, attempts = attempts + 1, "
            "started_at = CASE WHEN started_at = 0 THEN ? ELSE started_at END WHERE id = ?");
    u.Text(c.replica_id).Int(c.lease_until).Int(c.now).Text(job->id);
    WHARF_TRY(u.Exec("Another job of this target is running."));
    job->status = "running";
    job->claimed_by = c.replica_id;
    job->lease_until = c.lease_until;
    job->attempts += 1;
    if (job->started_at == 0) job->started_at = c.now;
    return job;
  }
  Result<std::optional<bool>> Heartbeat(std::string_view id, std::string_view replica_id, int64_t attempts,
                                        Timestamp lease_until) override {
    Q q(c_, "UPDATE jobs SET lease_until = ? WHERE id = ? AND claimed_by = ? AND attempts = ? AND status = 'running' "
            "RETURNING cancel_requested");
    q.Int(lease_until).Text(id).Text(replica_id).Int(attempts);
    WHARF_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) return std::optional<bool>();
    return std::optional<bool>(q.I64(0) != 0);
  }
  Result<bool> Finish(const Job& j, std::string_view replica_id, int64_t attempts) override {
    Q q(c_, "UPDATE jobs SET status = ?1, error = ?2, finished_at = ?3, lease_until = 0, "
            "claimed_by = CASE WHEN ?1 = 'queued' THEN '' ELSE claimed_by END "
            "WHERE id = ?4 AND claimed_by = ?5 AND attempts = ?6 AND status = 'running'");
    q.Text(j.status).Text(j.error).Int(j.finished_at).Text(j.id).Text(replica_id).Int(attempts);
    WHARF_ASSIGN_OR_RETURN(bool held, Changed(q));
    if (held) c_.jobs_changed = true;
    return held;
  }
  Result<std::optional<Job>> RequestCancel(std::string_view org_id, std::string_view id, Timestamp now) override {
    Q q(c_, "UPDATE jobs SET cancel_requested = (status IN ('queued', 'running') OR cancel_requested), "
            "finished_at = CASE WHEN status = 'queued' THEN ? ELSE finished_at END, "
            "status = CASE WHEN status = 'queued' THEN 'cancelled' ELSE status END WHERE org_id = ? AND id = ? "
            "RETURNING " WHARF_JOB_NOLOG_COLS);
    q.Int(now).Text(org_id).Text(id);
    return One<Job>(q, rows::ReadJob<Q>);
  }
};

WHARF_SQL_REPO(Audit, AuditRepository)
  Result<int64_t> Append(const AuditEvent& e) override {
    Q q(c_, "INSERT INTO audit_events (org_id, at, actor_id, actor_email, action, collection, resource_id, outcome, "
            "request_id, ip, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id");
    q.Text(e.org_id).Int(e.at).Text(e.actor_id).Text(e.actor_email).Text(e.action).Text(e.collection);
    q.Text(e.resource_id).Text(e.outcome).Text(e.request_id).Text(e.ip).Text(e.detail);
    return Scalar(q);
  }
  Result<std::vector<AuditEvent>> List(std::string_view org_id, int64_t before_id, int limit) override {
    Q q(c_, "SELECT id, org_id, at, actor_id, actor_email, action, collection, resource_id, outcome, request_id, ip, "
            "detail FROM audit_events WHERE org_id = ? AND id < ? ORDER BY id DESC LIMIT ?");
    q.Text(org_id).Int(before_id > 0 ? before_id : INT64_MAX).Int(limit + 1);
    return Collect<AuditEvent>(q, rows::ReadAudit<Q>);
  }
};

}  // namespace wharf::store::sql
