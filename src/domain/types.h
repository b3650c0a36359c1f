// Wharf's plain domain types: what the store keeps and the services pass around.
//
//   domain::Role r{.id = ids.New("rol"), .org_id = org.id, .name = "Viewer"};
//   r.permissions[Collection::kServers].read = true;
//
// Every org-scoped row carries org_id, created_at, updated_at and created_by (a user id).
// Times are Timestamp (ms since the epoch, UTC); 0 means "never"/"not set".
// Plain values; no I/O; thread-compatible.
#pragma once

#include <map>
#include <optional>
#include <string_view>
#include <string>
#include <vector>

#include "base/clock.h"
#include "domain/permissions.h"

namespace wharf::domain {

struct User {
  std::string id;
  std::string email;  // stored lower-cased
  std::string name;
  std::string password_hash;  // argon2id string; never serialized to a client
  bool instance_admin = false;
  Timestamp created_at = 0, updated_at = 0;
  // False only for an open sign-up until its link is opened (invited and operator-made accounts
  // are verified): such an account cannot create an org or accept another address's invitation.
  bool email_verified = true;
  Timestamp disabled_at = 0;  // set by the operator: no sign-in, no session, no token works
  Timestamp deleted_at = 0;   // the account was deleted; the row stays for the ids that name it
};

struct Org {
  std::string id;
  std::string slug;
  std::string name;
  std::string owner_id;
  int64_t seat_limit = 0;  // 0 = unlimited
  std::string wrapped_data_key;  // bytes: the org's data key wrapped by the master key
  Timestamp created_at = 0, updated_at = 0;
  std::string created_by;
  Timestamp deleted_at = 0;  // deleted by its owner; the slug is freed and nobody is a member
};

struct Role {
  std::string id;
  std::string org_id;
  std::string name;
  std::string description;
  bool builtin = false;  // the Admin role
  Permissions permissions;
  ResourceScope resource_scope;
  Timestamp created_at = 0, updated_at = 0;
  std::string created_by;
};

struct Membership {
  std::string org_id;
  std::string user_id;
  std::string role_id;
  Timestamp joined_at = 0;
};

struct Session {
  std::string id;
  std::string user_id;
  std::string token_hash;  // SHA-256 hex of the bearer token
  std::string csrf_hash;   // SHA-256 hex of the CSRF token
  Timestamp created_at = 0, expires_at = 0, revoked_at = 0;
  std::string ip;
  std::string user_agent;
  Timestamp last_used_at = 0;  // written at most once a minute (see services::Auth::Authenticate)
};

// A single-use link mailed to the account (or printed by the operator): the store keeps only the
// token's hash. `bound_to` ties it to what must not have changed: for a password reset, a digest
// of the password hash at the time it was made (a changed password voids it); for an email
// verification or change, the address it confirms.
enum class AccountTokenKind { kPasswordReset, kVerifyEmail, kChangeEmail };
std::string_view AccountTokenKindName(AccountTokenKind k);
std::optional<AccountTokenKind> ParseAccountTokenKind(std::string_view s);

struct AccountToken {
  std::string id;
  std::string user_id;
  AccountTokenKind kind = AccountTokenKind::kPasswordReset;
  std::string token_hash;
  std::string bound_to;
  Timestamp created_at = 0, expires_at = 0, used_at = 0;
};

struct ApiToken {
  std::string id;
  std::string user_id;
  std::string org_id;
  std::string name;
  std::string token_hash;
  std::optional<Permissions> permissions;  // nullopt = the role's permissions, unnarrowed
  Timestamp created_at = 0, expires_at = 0 /* 0 = never */, revoked_at = 0, last_used_at = 0;
};

enum class InvitationStatus { kPending, kAccepted, kRevoked };
std::string_view InvitationStatusName(InvitationStatus s);
std::optional<InvitationStatus> ParseInvitationStatus(std::string_view s);

struct Invitation {
  std::string id;
  std::string org_id;
  std::string email;  // lower-cased
  std::string role_id;
  std::string token_hash;
  InvitationStatus status = InvitationStatus::kPending;
  Timestamp expires_at = 0;
  std::string email_status;  // "sent" | "failed" | "disabled"
  std::string email_error;   // SMTP error text (no secrets) when failed
  Timestamp created_at = 0, updated_at = 0;
  std::string created_by;
  Timestamp accepted_at = 0;
  std::string accepted_by;
};

struct SshKey {
  std::string id;
  std::string org_id;
  std::string name;
  std::string type;         // "ssh-ed25519", "ssh-rsa", ...
  std::string public_key;   // "type base64 [comment]"
  std::string fingerprint;  // "SHA256:..." as ssh-keygen -l prints it
  std::string private_key_sealed;  // envelope-encrypted bytes; not loaded by List()
  bool private_key_set = false;
  Timestamp created_at = 0, updated_at = 0;
  std::string created_by;
};

// A read-only view of an SSH key row, valid only inside the visitor it is passed to (hot lists).
struct SshKeyView {
  std::string_view id, name, type, public_key, fingerprint, created_by;
  bool private_key_set = false;
  Timestamp created_at = 0, updated_at = 0;
};

// One firewall rule. `protocol` is "tcp", "udp", "icmp", "icmpv6" or "all"; ports are inclusive
// (0..0 for icmp/all). `source` is a normalised CIDR ("0.0.0.0/0", "2001:db8::/32").
struct SecurityRule {
  std::string type;  // "ssh", "https", "custom-tcp", ... (domain::RuleTypes)
  std::string protocol;
  int from_port = 0, to_port = 0;
  std::string source;
  std::string description;
};

struct SecurityGroup {
  std::string id;
  std::string org_id;
  std::string name;
  std::string description;
  std::vector<SecurityRule> inbound, outbound;
  Timestamp created_at = 0, updated_at = 0;
  std::string created_by;
};

struct Server {
  std::string id;
  std::string org_id;
  std::string name;
  std::string host;
  int port = 22;
  std::string username;
  std::string ssh_key_id;
  std::vector<std::string> security_group_ids;
  std::string host_key_fingerprint;  // pinned on the first successful connection (TOFU)
  std::string status = "unknown";    // unknown, healthy, unhealthy
  std::string last_check;           // JSON of the last check report ({ok, checks, at, ...}); "" = never
  Timestamp last_check_at = 0;
  std::string last_error;            // the first failed check's message, "" when healthy
  int consecutive_failures = 0;
  Timestamp next_check_at = 0;       // when the scheduler checks it next
  std::string source_address;        // the control plane's address as the server sees it (lock-out guard)
  Timestamp created_at = 0, updated_at = 0;
  std::string created_by;
};

struct ServerCheck {
  int64_t id = 0;
  std::string org_id, server_id;
  Timestamp at = 0;
  bool ok = false;
  int64_t duration_ms = 0;
  std::string report;  // JSON
};

// A durable background job (onboarding now; deploys, backups and the like through the same queue).
// `log` is the output, secrets already redacted; it grows while the job runs and keeps its last
// `Services::Config::job_log_max_bytes` (earlier output is dropped, counted in `log_offset`).
struct Job {
  std::string id;
  std::string org_id;
  std::string kind;       // "onboard", ... (a handler registered under that kind runs it)
  // The serialization key, the worker node it runs on (`target_server_id`): jobs of one target
  // never run at the same time, on any replica.
  std::string target_id;
  std::string status = "queued";  // queued, running, succeeded, failed, cancelled
  std::string error;
  std::string log;
  Timestamp created_at = 0, started_at = 0, finished_at = 0;
  std::string created_by;
  // The queue: non-secret JSON input of the handler, the replica holding the lease and until when
  // (ms since the epoch), claims so far (a takeover adds one), and a pending cancel request.
  std::string payload = "{}";
  std::string claimed_by;
  Timestamp lease_until = 0;
  int64_t attempts = 0;
  bool cancel_requested = false;
  // Characters of output dropped before `log` (retention); for a tail read, where `log` starts.
  int64_t log_offset = 0;
};

// One connected integration (a Docker registry now; git providers, cloud accounts and backup
// storage use the same row). `kind` names the collection ("dockerRegistries"); `fields` holds the
// non-secret settings by API field name ("host", "username", ...); `sealed` holds each secret field
// envelope-encrypted with AD {org_id, kind, id, field}. `dedupe_key` identifies the credential
// (e.g. "docker.io|alice"): one per org and kind. `last_error` is JSON {message, layer, check} or "".
struct Integration {
  std::string id;
  std::string org_id;
  std::string kind;
  std::string name;
  std::map<std::string, std::string> fields;
  std::map<std::string, std::string> sealed;  // field -> sealed bytes; never serialized to a client
  std::string dedupe_key;
  bool verified = false;
  Timestamp last_verified_at = 0;
  std::string last_error;
  Timestamp expires_at = 0;  // where the provider says; 0 = unknown/never
  Timestamp created_at = 0, updated_at = 0;
  std::string created_by;
  std::string Field(const std::string& k) const {
    auto it = fields.find(k);
    return it == fields.end() ? std::string() : it->second;
  }
};

// An application groups services on one worker node (its environment). `/projects` is the legacy
// view of the same rows (docs/applications.md).
struct Application {
  std::string id;
  std::string org_id;
  std::string name;         // unique per org
  std::string description;
  std::string server_id;    // the worker node of the org that runs its services
  Timestamp created_at = 0, updated_at = 0;
  std::string created_by;
};

// A service of an application: type "app" (built from git), "docker" (an image) or "database".
// `config` is the JSON of its non-secret settings (git/image/database fields, ports, domains).
// `variables_sealed` is the envelope-sealed JSON of its variables (templates as written plus the
// values secret() generated), AD {org, "services", id, "variables"}; `credentials_sealed` holds a
// database's generated credentials, AD {org, "services", id, "credentials"}. `unset_keys` is the
// JSON array of keys removed since the last deploy (a deploy unsets them on the node).
struct AppService {
  std::string id;
  std::string org_id;
  std::string application_id;
  std::string name;  // unique per application; also the Dokku app name on the node
  std::string type;  // "app" | "docker" | "database"
  std::string config = "{}";
  std::string variables_sealed;
  std::string credentials_sealed;
  std::string unset_keys = "[]";
  std::string status = "created";  // created; deployments set the rest
  Timestamp created_at = 0, updated_at = 0;
  std::string created_by;
};

// A saved set of services (no secret, no credential, no generated value): `body` is JSON
// {"services": [{name, type, config, variables: [{key, value}]}]}.
struct AppTemplate {
  std::string id;
  std::string org_id;
  std::string name;  // unique per org
  std::string description;
  std::string body = "{}";
  Timestamp created_at = 0, updated_at = 0;
  std::string created_by;
};

// A deployment: one deploy, redeploy, restart, stop or destroy of a service, run as a job on the
// service's server (its id is the job's id). Status, error, start and end come from the job.
struct Deployment {
  std::string id;  // = the job's id
  std::string org_id;
  std::string application_id;
  std::string service_id;
  std::string action;   // deploy | redeploy | restart | stop | destroy
  std::string trigger;  // manual | push | template | redeploy
  std::string ref;         // the branch/tag (git) or image deployed
  std::string commit_sha;  // the pushed commit (push) or the deployed rev, once known
  std::string error_layer; // a failure's troubleshooting layer ("" = none)
  std::string error_fix;   // what to do about the failure
  Timestamp created_at = 0;
  std::string created_by;  // a user id; empty for a push
  // From the job (read only through DeploymentRepository):
  std::string status = "queued";
  std::string error;
  Timestamp started_at = 0, finished_at = 0;
};

// A release: what one successful deploy (or rollback) of a service put on its node, numbered per
// service (v1, v2, …), kept so the service can be rolled back to it exactly (services/releases.cc).
struct Release {
  std::string id;
  std::string org_id;
  std::string application_id;
  std::string service_id;
  int64_t version = 0;         // 1, 2, … per service
  std::string deployment_id;   // the deployment that made it
  std::string source_kind;     // "git" | "image"
  std::string repository;      // git: the clone URL; image: the image name without tag or digest
  std::string commit_sha;      // git: the commit the node built
  std::string image_digest;    // image: "sha256:…" resolved from the registry ("" when unknown)
  std::string image;           // image: the reference as configured (tag), for display
  std::string variables_sealed;  // JSON [[key, value], …] sealed with AD {org, "releases", id, "variables"}
  std::string variables_hash;    // keyed hash of the snapshot: equal hashes mean equal variables
  std::string domains = "[]";    // JSON array of hostnames
  std::string ports = "[]";      // JSON array of "scheme:host:container"
  std::string plan = "[]";       // JSON array of the steps' display lines
  std::string trigger;           // manual | push | template | redeploy | rollback
  int64_t rollback_of = 0;       // the version a rollback redeployed (0 = none)
  bool pinned = false;           // never pruned
  Timestamp created_at = 0;
  std::string created_by;
};

struct AuditEvent {
  int64_t id = 0;  // assigned by the store, increasing
  std::string org_id;  // empty for instance-level events
  Timestamp at = 0;
  std::string actor_id;
  std::string actor_email;
  std::string action;  // "roles.create", "auth.login", ...
  std::string collection;
  std::string resource_id;
  std::string outcome;  // "allowed" | "denied"
  std::string request_id;
  std::string ip;
  std::string detail;  // short, human, never a secret
};

// A notification rule (docs/notifications.md): which events go to which channels (integration
// rows of kind "notificationChannels"), optionally only for some applications or servers, at or
// above a severity. Lists are stored as JSON arrays.
struct NotificationRule {
  std::string id;
  std::string org_id;
  std::vector<std::string> events;  // "deployment.failed", ...
  std::vector<std::string> channel_ids;
  std::vector<std::string> application_ids;  // empty = every application (and events without one)
  std::vector<std::string> server_ids;       // empty = every server
  std::string min_severity = "info";
  Timestamp created_at = 0, updated_at = 0;
  std::string created_by;
};

// One event's message to one channel, and how its sending went. `event_json` is the rendered-safe
// event (names, what, layer, fix, link; never a secret); `dedup_key` makes an event deliver at
// most once per channel. status: queued, retrying (waits for next_attempt_at), succeeded, failed.
// `retry_from` is the attempt count when a manual redelivery restarted the retry budget.
struct NotificationDelivery {
  std::string id;  // also the Standard Webhooks message id (webhook-id), stable over retries
  std::string org_id;
  std::string channel_id;
  std::string event;  // "deployment.failed"
  std::string dedup_key;
  std::string event_json = "{}";
  std::string status = "queued";
  int64_t attempts = 0, retry_from = 0;
  int64_t response_code = 0;
  std::string last_error;
  int64_t duration_ms = 0;
  Timestamp next_attempt_at = 0;
  Timestamp created_at = 0, updated_at = 0;
};

}  // namespace wharf::domain
