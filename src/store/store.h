// The store: repository interfaces over Wharf's persistent state, and the transaction that
// groups them. store/sqlite (embedded default) and store/postgres (several replicas on one
// database) implement it and pass the same contract suite, store/store_contract_test.cc.
//
//   WHARF_TRY(store.Write([&](Tx& tx) -> Status {
//     WHARF_ASSIGN_OR_RETURN(auto role, tx.roles().Find(org_id, role_id));
//     if (!role) return Err(ErrorCode::kNotFound, "role not found");
//     return tx.memberships().UpdateRole(org_id, user_id, role->id);
//   }));
//
// Tenancy: every org-scoped method takes the org id and puts it in its WHERE clause; no method
// loads an org-scoped row by id alone. A row of another org is simply absent (nullopt / false).
//
// Errors: a UNIQUE violation returns ErrorCode::kConflict (message names the duplicate field);
// anything else the database reports returns kInternal (detail has the SQL error) or
// kUnavailable (busy/locked beyond the timeout). Find* return nullopt when absent.
//
// Layout: the repository interfaces sit by group in store/{access,server,job,app}_repositories.h,
// all included here (include this header, not those). Both databases share one implementation of
// every repository, store/sql (see store/sql/query.h).
//
// Thread-safety: Store is safe from any thread. A Tx and the repositories it hands out belong to
// the calling thread for the duration of the callback only.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "domain/types.h"
#include "store/access_repositories.h"
#include "store/app_repositories.h"
#include "store/identity_repositories.h"
#include "store/job_repositories.h"
#include "store/notification_repositories.h"
#include "store/repository_types.h"
#include "store/server_repositories.h"

namespace wharf::store {

// Raw rows for `wharf admin migrate-store`: every column of a table, typed as the database holds
// it. Secret columns stay sealed bytes (kBlob); nothing is decrypted on the way.
struct RawCell {
  enum class Kind { kNull, kInt, kText, kBlob } kind = Kind::kNull;
  int64_t i = 0;
  std::string s;  // text or blob bytes
};
struct RawRow {
  const std::vector<std::string>* columns = nullptr;  // column names, valid during the callback
  std::vector<RawCell> cells;
};

// Every table that holds data, parents before children (the copy order). A new repository's
// table must be appended here, with the same name in every implementation.
inline const std::vector<std::string>& DataTables() {
  static const std::vector<std::string> t = {"users",       "orgs",     "roles",           "memberships",
                                             "sessions",    "api_tokens", "invitations",   "ssh_keys",
                                             "security_groups", "servers", "server_checks", "jobs",
                                             "integrations", "audit_events",
                                             "applications", "app_services", "app_templates", "deployments",
                                             "user_totp", "user_recovery_codes", "user_passkeys", "org_policies",
                                             "identity_providers", "sso_identities", "sso_grants", "releases", "account_tokens",
                                             "notification_rules", "notification_deliveries",
                                             "notification_server_state", "org_sso_only", "sso_sessions",
                                             "user_sign_in_addresses"};
  return t;
}

// Sliding-window event counters shared by every process on one database: the login rate limits
// when several replicas serve one PostgreSQL. Thread-safe; each call is its own transaction.
class SharedCounters {
 public:
  virtual ~SharedCounters() = default;
  struct Window {
    int64_t count = 0;
    Timestamp oldest = 0;  // the oldest event inside the window (0 when count is 0)
  };
  // Events of (limiter, key) after `since`.
  virtual Result<Window> Count(std::string_view limiter, std::string_view key, Timestamp since) = 0;
  // Records one event at `now` and forgets this key's events at or before `forget_before`.
  virtual Status Add(std::string_view limiter, std::string_view key, Timestamp now, Timestamp forget_before) = 0;
  virtual Status Clear(std::string_view limiter, std::string_view key) = 0;
};

// One transaction. Repositories are valid only inside the callback that received the Tx.
class Tx {
 public:
  virtual ~Tx() = default;
  virtual UserRepository& users() = 0;
  virtual OrgRepository& orgs() = 0;
  virtual RoleRepository& roles() = 0;
  virtual MembershipRepository& memberships() = 0;
  virtual SessionRepository& sessions() = 0;
  virtual ApiTokenRepository& api_tokens() = 0;
  virtual AccountTokenRepository& account_tokens() = 0;
  virtual InvitationRepository& invitations() = 0;
  virtual SshKeyRepository& ssh_keys() = 0;
  virtual SecurityGroupRepository& security_groups() = 0;
  virtual ServerRepository& servers() = 0;
  virtual JobRepository& jobs() = 0;
  virtual IntegrationRepository& integrations() = 0;
  virtual AuditRepository& audit() = 0;
  virtual ApplicationRepository& applications() = 0;
  virtual AppServiceRepository& app_services() = 0;
  virtual TemplateRepository& templates() = 0;
  virtual DeploymentRepository& deployments() = 0;
  virtual SecondFactorRepository& second_factors() = 0;
  virtual SsoRepository& sso() = 0;
  virtual ReleaseRepository& releases() = 0;
  virtual NotificationRepository& notifications() = 0;
};

class Store {
 public:
  virtual ~Store() = default;
  // Runs `fn` in a write transaction. Commits when fn returns Ok, rolls back otherwise (and
  // returns fn's error). Writers are serialized; a commit is durable when Write returns.
  virtual Status Write(const std::function<Status(Tx&)>& fn) = 0;
  // Runs `fn` in a read-only snapshot. Readers run concurrently with each other and the writer.
  virtual Status Read(const std::function<Status(Tx&)>& fn) = 0;
  // A write transaction that does not wait for the cross-process writer lock (PostgreSQL: plain
  // READ COMMITTED; SQLite: the same as Write). Only for statements whose correctness rests on
  // row locks and constraints alone: job claims, heartbeats, job logs and finishing a job.
  virtual Status WriteConcurrent(const std::function<Status(Tx&)>& fn) { return Write(fn); }
  // True when the database answers and migrations are applied (for /readyz).
  virtual bool Ready() = 0;
  // The schema version after migrations.
  virtual int SchemaVersion() = 0;

  // --- several processes on one database (PostgreSQL replicas; `wharf admin` commands on either) ---

  // Calls `fn(scope)` from a store thread whenever another (or this) process committed a write
  // that stale caches must drop: "org:<id>" after a role, membership or org write, "user:<id>"
  // after a session, API token or user write, "*" when changes may have been missed (drop all).
  // Delivered within a bounded delay of the commit (see docs/postgres.md), and at once by
  // CatchUpInvalidations. Passing nullptr stops the calls; after it returns, `fn` is no longer
  // running. SQLite delivers only from CatchUpInvalidations (other processes on the same file).
  virtual void WatchInvalidations(std::function<void(std::string_view scope)> fn) { (void)fn; }
  // Delivers to the WatchInvalidations callback, before returning, every invalidation committed
  // (by any process) before the call and not yet delivered: the per-request check that makes a
  // write by another process (a `wharf admin` command, another replica) apply to the very next
  // request. Cheap when nothing changed (SQLite: PRAGMA data_version on a dedicated connection;
  // PostgreSQL: one indexed read of cache_epochs). A failed read is logged and left to the
  // listener (PostgreSQL) or the next call. No-op without a watcher.
  virtual void CatchUpInvalidations() {}
  // Calls `fn` (from a store thread, or the committing thread) after a commit, in this or another
  // process, that may have made a job claimable: one enqueued, or a running job ended or released.
  // Passing nullptr stops the calls; after it returns, `fn` is no longer running.
  virtual void WatchJobs(std::function<void()> fn) = 0;
  // Counters shared across processes, or nullptr when this store serves one process only.
  virtual SharedCounters* shared_counters() { return nullptr; }
  // True while this process should run instance-wide scheduled work (health checks; backups
  // later), so that it runs once, not once per replica. Always true for a single-process store.
  // On PostgreSQL one replica holds a session advisory lock on its invalidation listener's
  // connection; if that replica dies, another takes over within the poll interval. Needs
  // WatchInvalidations to have been called (false until the listener first connects).
  virtual bool IsScheduler() { return true; }

  // --- bulk copy (wharf admin migrate-store) ---

  // Rows in `table` (one of DataTables()).
  virtual Result<int64_t> CountRows(std::string_view table) = 0;
  // Passes every row of `table` to fn, in primary-key order, inside one read snapshot.
  virtual Status ScanRows(std::string_view table, const std::function<Status(const RawRow&)>& fn) = 0;
  // Copies every DataTables() table of `source` into this store in one transaction. kConflict
  // when this store already holds users; nothing is written unless every row copies.
  virtual Status CopyFrom(Store& source) = 0;
};

}  // namespace wharf::store
