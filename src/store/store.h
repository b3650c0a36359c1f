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

namespace wharf::store {

using domain::ApiToken;
using domain::AuditEvent;
using domain::Invitation;
using domain::Membership;
using domain::Org;
using domain::Role;
using domain::Session;
using domain::SshKey;
using domain::SecurityGroup;
using domain::Server;
using domain::ServerCheck;
using domain::Job;
using domain::Integration;
using domain::User;
using domain::Application;
using domain::AppService;
using domain::AppTemplate;
using domain::Deployment;

// Keyset pagination over (created_at, id) ascending.
struct PageQuery {
  int limit = 50;                   // the store returns at most limit + 1 rows (the +1 tells "more")
  Timestamp after_created_at = 0;   // with after_id: start after this key
  std::string after_id;             // empty = from the start
  std::string created_by;           // non-empty: only rows created by this user (read_scope own)
};

class UserRepository {
 public:
  virtual ~UserRepository() = default;
  virtual Status Insert(const User& u) = 0;  // kConflict on duplicate email
  virtual Result<std::optional<User>> FindById(std::string_view id) = 0;
  virtual Result<std::optional<User>> FindByEmail(std::string_view email_lower) = 0;
  virtual Result<int64_t> Count() = 0;
  virtual Status Update(const User& u) = 0;  // name, password_hash, instance_admin, updated_at
};

class OrgRepository {
 public:
  virtual ~OrgRepository() = default;
  virtual Status Insert(const Org& o) = 0;  // kConflict on duplicate slug
  virtual Result<std::optional<Org>> FindBySlug(std::string_view slug) = 0;
  virtual Result<std::optional<Org>> FindById(std::string_view id) = 0;
  virtual Status Update(const Org& o) = 0;  // name, owner_id, seat_limit, updated_at
  virtual Result<std::vector<Org>> ListAll() = 0;  // for master-key rotation
  virtual Status UpdateDataKey(std::string_view org_id, std::string_view wrapped_data_key) = 0;
};

class RoleRepository {
 public:
  virtual ~RoleRepository() = default;
  virtual Status Insert(const Role& r) = 0;  // kConflict on duplicate (org_id, name)
  virtual Result<std::optional<Role>> Find(std::string_view org_id, std::string_view id) = 0;
  virtual Result<std::optional<Role>> FindAdmin(std::string_view org_id) = 0;
  virtual Result<std::vector<Role>> List(std::string_view org_id) = 0;  // by created_at, id
  virtual Status Update(const Role& r) = 0;  // name, description, permissions, resource_scope, updated_at
  virtual Result<bool> Delete(std::string_view org_id, std::string_view id) = 0;  // false if absent
};

struct MemberRow {
  Membership membership;
  User user;  // password_hash is left empty
};

class MembershipRepository {
 public:
  virtual ~MembershipRepository() = default;
  virtual Status Insert(const Membership& m) = 0;  // kConflict if already a member
  virtual Result<std::optional<Membership>> Find(std::string_view org_id, std::string_view user_id) = 0;
  // Members of an org ordered by (joined_at, user_id); page.after_* refer to those columns.
  virtual Result<std::vector<MemberRow>> ListForOrg(std::string_view org_id, const PageQuery& page) = 0;
  virtual Result<std::vector<MemberRow>> ListByRole(std::string_view org_id, std::string_view role_id) = 0;
  virtual Result<std::vector<Membership>> ListForUser(std::string_view user_id) = 0;
  virtual Status UpdateRole(std::string_view org_id, std::string_view user_id, std::string_view role_id) = 0;
  virtual Result<bool> Delete(std::string_view org_id, std::string_view user_id) = 0;
  virtual Result<int64_t> CountForOrg(std::string_view org_id) = 0;
  virtual Result<int64_t> CountByRole(std::string_view org_id, std::string_view role_id) = 0;
  virtual Status ReassignRole(std::string_view org_id, std::string_view from_role_id, std::string_view to_role_id) = 0;
};

class SessionRepository {
 public:
  virtual ~SessionRepository() = default;
  virtual Status Insert(const Session& s) = 0;
  // The unrevoked, unexpired session with this token hash, or nullopt.
  virtual Result<std::optional<Session>> FindActive(std::string_view token_hash, Timestamp now) = 0;
  virtual Status Revoke(std::string_view id, Timestamp at) = 0;
  virtual Status RevokeAllForUser(std::string_view user_id, Timestamp at) = 0;
  // The user's unrevoked, unexpired sessions, oldest first (created_at, id).
  virtual Result<std::vector<Session>> ListActiveForUser(std::string_view user_id, Timestamp now) = 0;
};

class ApiTokenRepository {
 public:
  virtual ~ApiTokenRepository() = default;
  virtual Status Insert(const ApiToken& t) = 0;
  // The unrevoked token with this hash (expiry is checked by the caller, to answer precisely).
  virtual Result<std::optional<ApiToken>> FindByHash(std::string_view token_hash) = 0;
  virtual Result<std::vector<ApiToken>> ListForUser(std::string_view user_id) = 0;  // unrevoked
  virtual Result<bool> Revoke(std::string_view user_id, std::string_view id, Timestamp at) = 0;
};

class InvitationRepository {
 public:
  virtual ~InvitationRepository() = default;
  virtual Status Insert(const Invitation& i) = 0;
  virtual Result<std::optional<Invitation>> Find(std::string_view org_id, std::string_view id) = 0;
  // By token hash, whatever its org or status (the caller tells used/revoked/expired apart).
  virtual Result<std::optional<Invitation>> FindByTokenHash(std::string_view token_hash) = 0;
  // Pending and unexpired at `now`, ordered by (created_at, id).
  virtual Result<std::vector<Invitation>> ListPending(std::string_view org_id, Timestamp now, const PageQuery& page) = 0;
  virtual Result<int64_t> CountPending(std::string_view org_id, Timestamp now) = 0;
  virtual Result<std::optional<Invitation>> FindPendingByEmail(std::string_view org_id, std::string_view email,
                                                               Timestamp now) = 0;
  // token_hash, status, expires_at, email_status, email_error, updated_at, accepted_at, accepted_by.
  virtual Status Update(const Invitation& i) = 0;
};

class SshKeyRepository {
 public:
  virtual ~SshKeyRepository() = default;
  virtual Status Insert(const SshKey& k) = 0;  // kConflict on duplicate (org_id, name)
  virtual Result<std::optional<SshKey>> Find(std::string_view org_id, std::string_view id) = 0;
  virtual Result<std::vector<SshKey>> List(std::string_view org_id, const PageQuery& page) = 0;
  // Same rows as List, passed to `fn` as views into the database's memory (no copies).
  virtual Status Visit(std::string_view org_id, const PageQuery& page,
                       const std::function<void(const domain::SshKeyView&)>& fn) = 0;
  virtual Status Update(const SshKey& k) = 0;  // name, updated_at
  virtual Result<bool> Delete(std::string_view org_id, std::string_view id) = 0;
  virtual Result<int64_t> CountCreatedBy(std::string_view org_id, std::string_view user_id) = 0;
};

class SecurityGroupRepository {
 public:
  virtual ~SecurityGroupRepository() = default;
  virtual Status Insert(const SecurityGroup& g) = 0;  // kConflict on duplicate (org_id, name)
  virtual Result<std::optional<SecurityGroup>> Find(std::string_view org_id, std::string_view id) = 0;
  virtual Result<std::vector<SecurityGroup>> List(std::string_view org_id, const PageQuery& page) = 0;
  virtual Status Update(const SecurityGroup& g) = 0;  // name, description, rules, updated_at; kConflict on name
  virtual Result<bool> Delete(std::string_view org_id, std::string_view id) = 0;
  virtual Result<int64_t> CountCreatedBy(std::string_view org_id, std::string_view user_id) = 0;
};

class ServerRepository {
 public:
  virtual ~ServerRepository() = default;
  virtual Status Insert(const Server& s) = 0;  // kConflict on duplicate (org_id, name)
  virtual Result<std::optional<Server>> Find(std::string_view org_id, std::string_view id) = 0;
  virtual Result<std::vector<Server>> List(std::string_view org_id, const PageQuery& page) = 0;
  // Every column but id/org_id/created_*; kConflict on a duplicate name.
  virtual Status Update(const Server& s) = 0;
  virtual Result<bool> Delete(std::string_view org_id, std::string_view id) = 0;
  virtual Result<int64_t> CountCreatedBy(std::string_view org_id, std::string_view user_id) = 0;
  // Servers of the org that use this SSH key / security group (for 409s and the lock-out guard).
  virtual Result<std::vector<Server>> ListUsingKey(std::string_view org_id, std::string_view key_id) = 0;
  virtual Result<std::vector<Server>> ListUsingGroup(std::string_view org_id, std::string_view group_id) = 0;
  // Across all orgs: servers whose next_check_at <= now, oldest due first, at most `limit`.
  virtual Result<std::vector<Server>> ListDue(Timestamp now, int limit) = 0;
  // Records a check's outcome on the row (status, last_check*, last_error, failures, next_check_at,
  // host_key_fingerprint, source_address) and appends it to the history, keeping `keep` entries.
  virtual Status RecordCheck(const Server& s, const ServerCheck& c, int keep) = 0;
  virtual Result<std::vector<ServerCheck>> ListChecks(std::string_view org_id, std::string_view server_id, int limit) = 0;
};

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

// Integrations of every kind in one table; every method takes the kind as well as the org.
class IntegrationRepository {
 public:
  virtual ~IntegrationRepository() = default;
  // kConflict on a duplicate (org_id, kind, name) or (org_id, kind, dedupe_key).
  virtual Status Insert(const Integration& i) = 0;
  virtual Result<std::optional<Integration>> Find(std::string_view org_id, std::string_view kind, std::string_view id) = 0;
  virtual Result<std::optional<Integration>> FindByDedupeKey(std::string_view org_id, std::string_view kind,
                                                             std::string_view dedupe_key) = 0;
  virtual Result<std::vector<Integration>> List(std::string_view org_id, std::string_view kind, const PageQuery& page) = 0;
  // name, fields, sealed, dedupe_key, verified, last_verified_at, last_error, expires_at, updated_at.
  virtual Status Update(const Integration& i) = 0;
  // Only the outcome of a verify: verified, last_verified_at, last_error, expires_at.
  virtual Status RecordVerification(const Integration& i) = 0;
  virtual Result<bool> Delete(std::string_view org_id, std::string_view kind, std::string_view id) = 0;
  virtual Result<int64_t> CountCreatedBy(std::string_view org_id, std::string_view kind, std::string_view user_id) = 0;
  // The row `id` of `kind` in whichever org holds it: for unauthenticated entry points that carry
  // only the id (git webhooks, /api/v1/webhooks/git/{id}); the caller then works in row.org_id.
  virtual Result<std::optional<Integration>> FindAnyOrg(std::string_view kind, std::string_view id) = 0;
  // Every kind's rows of the org with 0 < expires_at <= before, soonest first (at most `limit`).
  virtual Result<std::vector<Integration>> ListExpiring(std::string_view org_id, Timestamp before, int limit) = 0;
  // Webhook replay protection (git providers): remembers `key`, a delivery id or a body digest,
  // for provider `provider_id` at `at`. True when it is new; false when it was already
  // remembered (a replay). Of two identical deliveries at once, exactly one gets true.
  virtual Result<bool> RememberWebhookDelivery(std::string_view provider_id, std::string_view key, Timestamp at) = 0;
  // Forgets the deliveries remembered before `before`; returns how many.
  virtual Result<int64_t> PruneWebhookDeliveries(Timestamp before) = 0;
};

// Applications (and the legacy "projects" view of the same rows).
class ApplicationRepository {
 public:
  virtual ~ApplicationRepository() = default;
  virtual Status Insert(const Application& a) = 0;  // kConflict on duplicate (org_id, name)
  virtual Result<std::optional<Application>> Find(std::string_view org_id, std::string_view id) = 0;
  virtual Result<std::vector<Application>> List(std::string_view org_id, const PageQuery& page) = 0;
  virtual Status Update(const Application& a) = 0;  // name, description, server_id, updated_at; kConflict on name
  virtual Result<bool> Delete(std::string_view org_id, std::string_view id) = 0;
  virtual Result<int64_t> CountCreatedBy(std::string_view org_id, std::string_view user_id) = 0;
};

// Services of applications. Names are unique per application.
class AppServiceRepository {
 public:
  virtual ~AppServiceRepository() = default;
  virtual Status Insert(const AppService& s) = 0;  // kConflict on duplicate (org_id, application_id, name)
  virtual Result<std::optional<AppService>> Find(std::string_view org_id, std::string_view id) = 0;
  // Every service of the application, by (created_at, id).
  virtual Result<std::vector<AppService>> ListForApplication(std::string_view org_id, std::string_view application_id) = 0;
  // name, config, variables_sealed, credentials_sealed, unset_keys, status, updated_at; kConflict on name.
  virtual Status Update(const AppService& s) = 0;
  virtual Result<bool> Delete(std::string_view org_id, std::string_view id) = 0;
  virtual Result<int64_t> CountCreatedBy(std::string_view org_id, std::string_view user_id) = 0;
};

class TemplateRepository {
 public:
  virtual ~TemplateRepository() = default;
  virtual Status Insert(const AppTemplate& t) = 0;  // kConflict on duplicate (org_id, name)
  virtual Result<std::optional<AppTemplate>> Find(std::string_view org_id, std::string_view id) = 0;
  virtual Result<std::vector<AppTemplate>> List(std::string_view org_id, const PageQuery& page) = 0;
  virtual Status Update(const AppTemplate& t) = 0;  // name, description, body, updated_at
  virtual Result<bool> Delete(std::string_view org_id, std::string_view id) = 0;
  virtual Result<int64_t> CountCreatedBy(std::string_view org_id, std::string_view user_id) = 0;
};

// Deployments (services/deployments.cc). Reads join the job row for status, error and times.
class DeploymentRepository {
 public:
  virtual ~DeploymentRepository() = default;
  virtual Status Insert(const Deployment& d) = 0;  // in the transaction that enqueued its job
  virtual Result<std::optional<Deployment>> Find(std::string_view org_id, std::string_view id) = 0;
  // Newest first (created_at, id descending); `service_id` or `application_id` empty = any.
  // `q.after_*` is the last row of the previous page (empty = from the newest). At most
  // q.limit + 1 rows (the +1 tells "more").
  virtual Result<std::vector<Deployment>> List(std::string_view org_id, std::string_view application_id,
                                               std::string_view service_id, const PageQuery& q) = 0;
  // commit_sha (when not empty), error_layer and error_fix.
  virtual Status SetOutcome(std::string_view org_id, std::string_view id, std::string_view commit_sha,
                            std::string_view error_layer, std::string_view error_fix) = 0;
};

class AuditRepository {
 public:
  virtual ~AuditRepository() = default;
  virtual Result<int64_t> Append(const AuditEvent& e) = 0;  // returns the new id
  // Newest first; `before_id` 0 = from the newest. At most limit + 1 rows.
  virtual Result<std::vector<AuditEvent>> List(std::string_view org_id, int64_t before_id, int limit) = 0;
};

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
                                             "applications", "app_services", "app_templates", "deployments"};
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

  // --- several processes on one database (PostgreSQL); the embedded store has no peers ---

  // Calls `fn(scope)` from a store thread whenever another (or this) process committed a write
  // that stale caches must drop: "org:<id>" after a role, membership or org write, "user:<id>"
  // after a session, API token or user write, "*" when changes may have been missed (drop all).
  // Delivered within a bounded delay of the commit (see docs/postgres.md). Passing nullptr
  // stops the calls; after it returns, `fn` is no longer running. No-op for a single-process store.
  virtual void WatchInvalidations(std::function<void(std::string_view scope)> fn) { (void)fn; }
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
