// The narrow core every feature class stands on: the injected dependencies (Deps), the
// configuration, and the four things a use case does besides its own logic: Authorize (with the
// denied attempt audited), Audit (AuditIn, inside the transaction), WriteTx (one store write
// transaction per use case) and Enqueue (a job written in that same transaction). Feature is
// the base class of services/<feature>.h: it forwards those helpers under their usual names.
//
//   class SshKeys : public Feature {
//     Result<domain::SshKey> GetSshKey(const authz::Principal& p, std::string_view id, const RequestContext& ctx) {
//       WHARF_TRY(Authorize(p, domain::Collection::kSshKeys, domain::Action::kRead, nullptr, ctx, id));
//       return store_.Read(...);
//     }
//   };
//
// Thread-safety: every Core method is safe to call concurrently (state lives in the store, the
// snapshot cache and the job queue, which synchronize themselves). Denied attempts audited inside
// WriteTx are kept per thread and written after the transaction ends.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "authz/authz.h"
#include "authz/snapshot_cache.h"
#include "base/clock.h"
#include "base/error.h"
#include "base/outbound_slots.h"
#include "base/secret_bytes.h"
#include "domain/image_ref.h"
#include "domain/types.h"
#include "domain/validate.h"
#include "domain/variables.h"
#include "http_client/smtp.h"
#include "jobs/queue.h"
#include "nodes/node_executor.h"
#include "notify/notify.h"
#include "secrets/envelope.h"
#include "services/config.h"
#include "store/store.h"

namespace wharf::services {

// Where a request came from; goes into audit events and logs.
struct RequestContext {
  std::string request_id;
  std::string ip;
  std::string user_agent;
  // Set by a scheduler task acting for the system (SystemActor), never by a request: e.g. the
  // scheduled re-verification of integrations, whose failures notify only on a pass → fail change.
  bool scheduled = false;
};

// The actor of what Wharf does by itself in org `org_id` (scheduled re-verification): every
// permission, audited with actor id and email "system". Never reaches the api layer.
inline constexpr const char* kSystemActor = "system";
authz::Principal SystemActor(std::string org_id);

// What the services are built from; each outlives the Services object. The node executor is
// the only way a use case reaches a worker node (real: nodes::SshNodeExecutor, wired in
// src/server/main.cc; tests: services/testing/fake_nodes.h).
struct Deps {
  store::Store& store;
  secrets::Envelope& envelope;
  http_client::Mailer& mailer;
  Clock& clock;
  IdGenerator& ids;
  authz::SnapshotCache& cache;
  nodes::NodeExecutor& nodes;
};

// The caller behind a credential, before an org is chosen.
struct Authenticated {
  domain::User user;
  std::string token_hash;   // SHA-256 of the credential used
  Timestamp expires_at = 0; // when the credential expires (0 = never)
  std::string session_id;   // set for sessions
  std::string csrf_hash;    // set for sessions
  std::optional<domain::ApiToken> api_token;  // set for API tokens
};

template <typename T>
struct Page {
  std::vector<T> items;
  std::string next_cursor;  // empty = no more
};

// A check report as the API shows it: {"ok", "checks": [...], "host_key_fingerprint", ...}.
struct CheckOutcome {
  bool ok = false;
  nlohmann::json report = nlohmann::json::object();
};

// Cursor helpers: opaque base64url of "<created_at>:<id>".
std::string EncodeCursor(Timestamp t, std::string_view id);
Result<store::PageQuery> DecodeCursor(std::string_view cursor, int limit);

using jobs::JobContext;
using jobs::JobHandler;

// What features tell the notifications feature (services/notifications.h), which registers
// itself on the Core when it is built; before that (and in a Core without it) nothing is sent.
class Notifier {
 public:
  virtual ~Notifier() = default;
  // Routes `e` of org `org_id` by the org's rules: one delivery (and its job) per matched,
  // verified channel, written in `tx`, deduplicated by the event's dedup key.
  virtual Status Emit(store::Tx& tx, std::string_view org_id, notify::Event e) = 0;
  // A health check's result for flap damping: after N failures in a row one server.unreachable,
  // then one server.recovered at the next success; `reachable` is false when the check failed
  // for anything but low disk. `disk_free_mb` (-1 = not measured) below the threshold sends one
  // server.disk_low until a check finds enough space again. Written in `tx`.
  virtual Status ObserveServerHealth(store::Tx& tx, const domain::Server& s, bool reachable, std::string_view error,
                                     int64_t disk_free_mb) = 0;
  // Every job handler's end (Feature::RegisterJobHandler wraps them), on the worker thread:
  // deployments and backups become events. Not called when the replica is stopping (the job
  // goes back to the queue). Never fails: a problem is logged.
  virtual void JobEnded(JobContext& jc, const Status& result) = 0;
};

class Core {
 public:
  Core(Deps deps, Config config);
  Core(const Core&) = delete;
  Core& operator=(const Core&) = delete;

  store::Store& store;
  secrets::Envelope& envelope;
  http_client::Mailer& mailer;
  Clock& clock;
  IdGenerator& ids;
  authz::SnapshotCache& cache;
  nodes::NodeExecutor& nodes;
  Config config;  // public_url is set once before serving (Services::SetPublicUrl)
  jobs::Queue queue;
  // Outbound checks in flight per org (config.max_outbound_per_org), shared with the HTTP server.
  OutboundSlots outbound;

  // Checks and, when denied, audits the attempt and returns the matching error (403 or 404).
  Status Authorize(const authz::Principal& p, domain::Collection c, domain::Action a, const authz::Resource* r,
                   const RequestContext& ctx, std::string_view resource_id = {});
  Status RequireAdmin(const authz::Principal& p, std::string_view action, const RequestContext& ctx);
  // Authorize with a loaded row; outside the caller's scope answers `not_found()` (the row's own
  // 404), so rows out of reach look exactly like rows that do not exist.
  Status AuthorizeRow(const authz::Principal& p, domain::Collection c, domain::Action a, const authz::Resource& r,
                      const RequestContext& ctx, std::string_view id, tl::unexpected<Error> (*not_found)());
  // AuthorizeRow under the name the application code uses: a row outside the role's
  // resource_scope answers 403 naming the permission (reason "resource_scope"), so a scoped
  // member learns what is missing (docs/access-control.md); read_scope "own" stays 404.
  Status AuthorizeScoped(const authz::Principal& p, domain::Collection c, domain::Action a, const authz::Resource& r,
                         const RequestContext& ctx, std::string_view id, tl::unexpected<Error> (*not_found)());
  // The permission bit alone (403 naming it, audited, when missing); the row's scopes are checked
  // once it is loaded (AuthorizeScoped).
  Status RequirePermission(const authz::Principal& p, domain::Collection c, domain::Action a, const RequestContext& ctx,
                           std::string_view id = {});
  // A row that a request body names by id (ssh_key_id, security_group_ids[i], server_id, an
  // integration id, application_id, …), authorised as that row: the caller needs `c`.read on it
  // with read_scope and resource_scope applied, exactly as if it read the row itself.
  // Errors: kValidationFailed on `field` when the row is absent, in another org or outside an
  // `own` read scope (one message for all three, so a hidden row looks like a missing one);
  // 403 naming the permission (audited) when the role lacks it or the row is outside its
  // resource_scope. Call it inside the transaction that uses the row.
  Status AuthorizeReference(store::Tx& tx, const authz::Principal& p, domain::Collection c, std::string_view id,
                            std::string_view field, const RequestContext& ctx);
  // The role's create_limit on `c`, if any: `count` says how many rows the caller created (run
  // inside the write transaction); `noun` names them in the message ("SSH keys").
  Status EnforceCreateLimit(const authz::Principal& p, domain::Collection c,
                            const std::function<Result<int64_t>()>& count, std::string_view noun);
  // Non-Admins may only grant permissions they hold themselves (and within their resource scope).
  Status CheckNoEscalation(const authz::Principal& p, const domain::Role& role, std::string_view action,
                           const RequestContext& ctx);
  // Runs `fn` in a store write transaction. Denied attempts audited inside it are recorded after
  // it ends (the writer is not reentrant), whether it committed or not.
  Status WriteTx(const std::function<Status(store::Tx&)>& fn);
  domain::AuditEvent MakeAuditEvent(const authz::Principal& p, std::string action, std::string collection,
                                    std::string resource_id, std::string outcome, const RequestContext& ctx,
                                    std::string detail) const;
  void AuditDenied(const authz::Principal& p, std::string action, std::string collection, std::string resource_id,
                   std::string detail, const RequestContext& ctx);
  Status AuditIn(store::Tx& tx, const authz::Principal& p, std::string action, std::string collection,
                 std::string resource_id, const RequestContext& ctx, std::string detail = {});
  // Members plus pending invitations (the seat count).
  Result<int64_t> SeatsUsed(store::Tx& tx, std::string_view org_id);
  // A job written in the caller's transaction (jobs::Queue::Enqueue); WakeJobWorkers after commit.
  Result<domain::Job> Enqueue(store::Tx& tx, std::string kind, std::string org_id, std::string target_server_id,
                              const nlohmann::json& payload, std::string created_by) {
    return queue.Enqueue(tx, std::move(kind), std::move(org_id), std::move(target_server_id), payload,
                         std::move(created_by));
  }
  void WakeJobWorkers() { queue.Wake(); }

  Notifier* notifier = nullptr;  // set once, by Notifications' constructor
  // Notifier::Emit when a notifier is registered, else nothing.
  Status Notify(store::Tx& tx, std::string_view org_id, notify::Event e) {
    return notifier ? notifier->Emit(tx, org_id, std::move(e)) : Ok();
  }
  // Emit in a write transaction of its own, for code that runs outside one (job handlers after
  // they finished); a failure is logged, never returned (the event's cause already happened).
  void NotifyNow(std::string_view org_id, notify::Event e);
};

// The base of every feature class: the Core's collaborators and helpers under the names the
// use cases use. A feature holds references to the features it builds on, passed to its
// constructor by Services (which owns them all, in dependency order).
class Feature {
 public:
  Feature(const Feature&) = delete;
  Feature& operator=(const Feature&) = delete;

 protected:
  explicit Feature(Core& core)
      : core_(core),
        store_(core.store),
        envelope_(core.envelope),
        mailer_(core.mailer),
        clock_(core.clock),
        ids_(core.ids),
        cache_(core.cache),
        nodes_(core.nodes),
        config_(core.config) {}
  ~Feature() = default;

  Status Authorize(const authz::Principal& p, domain::Collection c, domain::Action a, const authz::Resource* r,
                   const RequestContext& ctx, std::string_view resource_id = {}) {
    return core_.Authorize(p, c, a, r, ctx, resource_id);
  }
  Status RequireAdmin(const authz::Principal& p, std::string_view action, const RequestContext& ctx) {
    return core_.RequireAdmin(p, action, ctx);
  }
  Status AuthorizeRow(const authz::Principal& p, domain::Collection c, domain::Action a, const authz::Resource& r,
                      const RequestContext& ctx, std::string_view id, tl::unexpected<Error> (*not_found)()) {
    return core_.AuthorizeRow(p, c, a, r, ctx, id, not_found);
  }
  Status AuthorizeScoped(const authz::Principal& p, domain::Collection c, domain::Action a, const authz::Resource& r,
                         const RequestContext& ctx, std::string_view id, tl::unexpected<Error> (*not_found)()) {
    return core_.AuthorizeScoped(p, c, a, r, ctx, id, not_found);
  }
  Status RequirePermission(const authz::Principal& p, domain::Collection c, domain::Action a, const RequestContext& ctx,
                           std::string_view id = {}) {
    return core_.RequirePermission(p, c, a, ctx, id);
  }
  Status AuthorizeReference(store::Tx& tx, const authz::Principal& p, domain::Collection c, std::string_view id,
                            std::string_view field, const RequestContext& ctx) {
    return core_.AuthorizeReference(tx, p, c, id, field, ctx);
  }
  Status EnforceCreateLimit(const authz::Principal& p, domain::Collection c,
                            const std::function<Result<int64_t>()>& count, std::string_view noun) {
    return core_.EnforceCreateLimit(p, c, count, noun);
  }
  Status CheckNoEscalation(const authz::Principal& p, const domain::Role& role, std::string_view action,
                           const RequestContext& ctx) {
    return core_.CheckNoEscalation(p, role, action, ctx);
  }
  Status WriteTx(const std::function<Status(store::Tx&)>& fn) { return core_.WriteTx(fn); }
  domain::AuditEvent MakeAuditEvent(const authz::Principal& p, std::string action, std::string collection,
                                    std::string resource_id, std::string outcome, const RequestContext& ctx,
                                    std::string detail) const {
    return core_.MakeAuditEvent(p, std::move(action), std::move(collection), std::move(resource_id),
                                std::move(outcome), ctx, std::move(detail));
  }
  void AuditDenied(const authz::Principal& p, std::string action, std::string collection, std::string resource_id,
                   std::string detail, const RequestContext& ctx) {
    core_.AuditDenied(p, std::move(action), std::move(collection), std::move(resource_id), std::move(detail), ctx);
  }
  Status AuditIn(store::Tx& tx, const authz::Principal& p, std::string action, std::string collection,
                 std::string resource_id, const RequestContext& ctx, std::string detail = {}) {
    return core_.AuditIn(tx, p, std::move(action), std::move(collection), std::move(resource_id), ctx,
                         std::move(detail));
  }
  Result<int64_t> SeatsUsed(store::Tx& tx, std::string_view org_id) { return core_.SeatsUsed(tx, org_id); }
  Result<domain::Job> Enqueue(store::Tx& tx, std::string kind, std::string org_id, std::string target_server_id,
                              const nlohmann::json& payload, std::string created_by) {
    return core_.Enqueue(tx, std::move(kind), std::move(org_id), std::move(target_server_id), payload,
                         std::move(created_by));
  }
  void WakeJobWorkers() { core_.WakeJobWorkers(); }
  Status Notify(store::Tx& tx, std::string_view org_id, notify::Event e) {
    return core_.Notify(tx, org_id, std::move(e));
  }
  void NotifyNow(std::string_view org_id, notify::Event e) { core_.NotifyNow(org_id, std::move(e)); }
  // An event about an account, sent to every organisation the user belongs to (in `tx`).
  Status NotifyUserOrgs(store::Tx& tx, std::string_view user_id, const notify::Event& e) {
    if (!core_.notifier) return Ok();
    WHARF_ASSIGN_OR_RETURN(auto memberships, tx.memberships().ListForUser(user_id));
    for (const auto& m : memberships) WHARF_TRY(core_.Notify(tx, m.org_id, e));
    return Ok();
  }
  // Registers the handler of a job kind; its end is reported to the notifier (Notifier::JobEnded).
  void RegisterJobHandler(std::string kind, JobHandler fn) {
    core_.queue.RegisterHandler(std::move(kind), [this, fn = std::move(fn)](JobContext& jc) -> Status {
      Status st = fn(jc);
      if (core_.notifier && !core_.queue.stopping()) core_.notifier->JobEnded(jc, st);
      return st;
    });
  }

  Core& core_;
  store::Store& store_;
  secrets::Envelope& envelope_;
  http_client::Mailer& mailer_;
  Clock& clock_;
  IdGenerator& ids_;
  authz::SnapshotCache& cache_;
  nodes::NodeExecutor& nodes_;
  const Config& config_;
};

}  // namespace wharf::services
