// The use cases: one method per user action. Each one authorizes (authz::Check), validates,
// writes in one store transaction, and appends an audit event — for denied attempts too.
//
//   services::Services svc(deps, config);
//   WHARF_ASSIGN_OR_RETURN(auto who, svc.Authenticate(bearer, ctx));
//   WHARF_ASSIGN_OR_RETURN(authz::Principal p, svc.ResolvePrincipal(who, "acme", ctx));
//   WHARF_ASSIGN_OR_RETURN(auto key, svc.CreateSshKey(p, {.name = "ci", .public_key = pk}, ctx));
//
// Inputs arrive already shape-checked (JSON types, unknown fields) by the api layer; the semantic
// validation (lengths, formats, references) happens here and names the field on failure.
//
// Thread-safety: every method is safe to call concurrently; state lives in the store, the
// snapshot cache and the rate limiter, all of which synchronize themselves.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <thread>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "authz/authz.h"
#include "authz/snapshot_cache.h"
#include "base/clock.h"
#include "base/error.h"
#include "base/secret_bytes.h"
#include "domain/image_ref.h"
#include "domain/variables.h"
#include "domain/types.h"
#include "domain/validate.h"
#include "http_client/smtp.h"
#include "integrations/github_app.h"
#include "integrations/s3.h"
#include "nodes/dokku.h"
#include "nodes/ssh.h"
#include "secrets/envelope.h"
#include "services/rate_limiter.h"
#include "store/store.h"

namespace wharf::services {

struct Config {
  std::string public_url = "http://127.0.0.1:8080";  // no trailing slash
  int64_t invitation_ttl_ms = 7LL * 24 * 3600 * 1000;
  int64_t session_ttl_ms = 30LL * 24 * 3600 * 1000;
  int login_attempts_per_ip = 60;        // per minute
  // Who may create an account (docs/access-control.md, "Sign-up policy"): kFirstUser lets only
  // the first account sign up freely (later ones need an invitation), kInviteOnly needs an
  // invitation even for the first (bootstrap with `wharf admin`), kOpen lets anyone sign up.
  enum class SignupPolicy { kFirstUser, kInviteOnly, kOpen };
  SignupPolicy signup_policy = SignupPolicy::kFirstUser;
  // Sign-in throttling (docs/security.md): failures per (account, client address) in tiers that
  // lengthen the wait; failures per address over all accounts; and a burst of failures on one
  // account (any address) that is reported to its owner, never a lock-out by itself.
  int login_failures_per_account = 10;   // a burst: reported once per window, not blocking
  int64_t login_failure_window_ms = 15LL * 60 * 1000;
  int login_failures_per_ip = 30;        // over all accounts, per 15 minutes
  // Invitations and resends (emails sent on someone's behalf), per organisation and per inviter.
  int invitations_per_org_per_hour = 50;
  int invitations_per_user_per_hour = 30;
  // Quotas (docs/access-control.md, "Quotas"); 0 = unlimited. Beyond max_sessions_per_user a
  // new sign-in ends the user's oldest session.
  int max_orgs_per_user = 20;            // organisations the user owns
  int max_api_tokens_per_user = 50;      // unrevoked tokens
  int max_pending_invitations_per_org = 100;
  int max_sessions_per_user = 50;        // active sessions
  int max_ssh_keys_per_org = 200;
  // How often a live log stream (SSE) re-checks its reader's access when nothing else changed.
  int64_t stream_recheck_ms = 2000;
  // Worker nodes.
  bool allow_private_targets = false;    // --allow-private-targets: loopback/private hosts allowed
  int64_t connect_timeout_ms = 5000;
  int64_t command_timeout_ms = 15000;
  int64_t min_disk_free_mb = 10240;
  std::string node_dns_probe = "packagecloud.io";
  std::string min_dokku_version = nodes::dokku::MinimumVersion();  // derived from the builders
  int64_t health_interval_ms = 5LL * 60 * 1000;  // between checks of a healthy server
  int64_t health_max_backoff_ms = 60LL * 60 * 1000;
  int health_concurrency = 16;
  int check_history = 100;               // kept per server
  // Onboarding: the pinned Dokku and its standard plugins.
  std::string dokku_version = std::string(nodes::dokku::kPinnedVersion);
  std::string dokku_bootstrap_url =
      "https://dokku.com/install/v" + std::string(nodes::dokku::kPinnedVersion) + "/bootstrap.sh";
  std::vector<nodes::dokku::PluginPin> dokku_plugins = nodes::dokku::PinnedPlugins();
  int64_t onboard_timeout_ms = 30LL * 60 * 1000;
  // The durable job queue (jobs.cc, docs/architecture.md "Jobs"). `replica_id` names this process
  // in claimed_by (main: "<host>:<pid>:<random>", so a restart is a new replica). A running job's
  // lease lasts job_lease_ms and is renewed every third of it; a job whose lease ran out (its
  // replica died) is taken over by any replica. Idle workers wake on an enqueue (same process at
  // once; other replicas through NOTIFY on PostgreSQL) and poll every job_poll_ms as a backstop.
  std::string replica_id = "local";
  int job_workers = 4;
  int64_t job_lease_ms = 30'000;
  int64_t job_poll_ms = 2'000;
  size_t job_log_max_bytes = 512 * 1024;  // a job keeps the last 512 KiB of its log
  bool enable_test_jobs = false;          // --enable-test-jobs: the `sleep` kind and POST …/test-jobs
  // Support bundles: where the JSON log lines are (rotated: the bundle reads the newest
  // log_tail_bytes of log_path and its rotated predecessors), and the configuration an org Admin
  // may see (built by main: no paths, database URL or instance flags).
  std::string log_path;
  size_t log_tail_bytes = 8u << 20;
  std::string redacted_config_json = "{}";
  // Backup downloads one organisation may run at once (each streams on its own thread);
  // beyond it a download answers 429 rate_limited with Retry-After.
  int backup_downloads_per_org = 4;
  std::string version;
  // --extra-ca-file: the CA bundle (system CAs + the extra ones) git is told to trust
  // (GIT_SSL_CAINFO); empty = git's default. Wharf's own HTTPS client uses it too (http_client).
  std::string ca_bundle;
  // AWS (cloud accounts, security-group sync). Empty = AWS's own regional endpoints
  // (https://{sts,ec2}.<region>.amazonaws.com); tests point it at a recorded-response server:
  // --aws-endpoint-override URL, where "{service}" and "{region}" are replaced.
  std::string aws_endpoint_override;
  int64_t aws_timeout_ms = 15000;
  std::vector<int> aws_backoff_ms = {100, 300, 900};  // before each retry of a throttled AWS call
};

std::string_view SignupPolicyName(Config::SignupPolicy p);  // "first-user", "invite-only", "open"
std::optional<Config::SignupPolicy> ParseSignupPolicy(std::string_view s);
// 403 limit_reached with details {limit, used}.
tl::unexpected<Error> QuotaReached(int64_t limit, int64_t used, std::string msg);

// Where a request came from; goes into audit events and logs.
struct RequestContext {
  std::string request_id;
  std::string ip;
  std::string user_agent;
};

struct Deps {
  store::Store& store;
  secrets::Envelope& envelope;
  http_client::Mailer& mailer;
  Clock& clock;
  IdGenerator& ids;
  authz::SnapshotCache& cache;
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

struct SignupInput {
  std::string email, name;
  SecretBytes password;
  std::optional<std::string> invitation_token;
};
struct SessionGrant {
  domain::User user;
  SecretBytes token;       // shown once
  SecretBytes csrf_token;  // shown once
  std::optional<domain::Org> org;  // signup: the personal org, or the invited org
  std::vector<std::string> ended_sessions;  // older sessions ended by max_sessions_per_user
  // Sign-up only: the answer is "check your email" (open sign-up with SMTP); nothing else is set.
  bool check_email = false;
  int64_t org_seats_used = 0;
  domain::Session session;
};

struct OrgView {
  domain::Org org;
  int64_t seats_used = 0;
};

struct MeOrg {
  domain::Org org;
  bool owner = false;
  domain::Role role;
  domain::Permissions effective;
};

struct RoleView {
  domain::Role role;
  std::vector<domain::User> members;
};

struct CreateTokenInput {
  std::string name, org_slug;
  std::optional<domain::Permissions> permissions;
  std::optional<int64_t> expires_in_days;
};
struct TokenGrant {
  domain::ApiToken token;
  std::string org_slug;
  SecretBytes secret;  // shown once
};

struct RoleInput {
  std::optional<std::string> name;
  std::optional<std::string> description;
  std::optional<domain::Permissions> permissions;
  std::optional<domain::ResourceScope> resource_scope;
};

struct MemberView {
  domain::User user;
  domain::Role role;
  bool owner = false;
  Timestamp joined_at = 0;
};

struct InvitationView {
  domain::Invitation invitation;
  domain::Role role;
  std::string link;  // only when freshly minted (create / copy link / resend)
};

struct PublicInvitation {
  domain::Org org;
  std::string role_name;
  std::string email;
  Timestamp expires_at = 0;
};

struct SshKeyInput {
  std::optional<std::string> name;
  std::optional<std::string> public_key;
  std::optional<SecretBytes> private_key;
};

struct SshKeyCreate {
  std::optional<std::string> name;
  std::optional<std::string> public_key;
  std::optional<SecretBytes> private_key;
  std::optional<std::string> generate;  // "ed25519" | "rsa"
};

struct SecurityGroupInput {
  std::optional<std::string> name;
  std::optional<std::string> description;
  std::optional<std::vector<domain::RuleInput>> inbound, outbound;
};
struct SecurityGroupView {
  domain::SecurityGroup group;
  std::vector<std::string> warnings;  // normalised CIDRs, named by field
  std::vector<std::string> server_ids;
};

struct ServerInput {
  std::optional<std::string> name;
  std::optional<std::string> host;
  std::optional<int> port;
  std::optional<std::string> username;
  std::optional<std::string> ssh_key_id;
  std::optional<std::vector<std::string>> security_group_ids;
};
// A check report as the API shows it: {"ok", "checks": [...], "host_key_fingerprint", ...}.
struct CheckOutcome {
  bool ok = false;
  std::string report_json;
};

// Integrations: one descriptor per kind; the shared machinery (list, get, delete, create with
// sealed secret fields and the duplicate check, verify bookkeeping) takes it.
// Binds an integration's stored secrets to where they are sent (docs/security.md "Secrets bound
// to their destination"). Changing a `destination` field of a row that holds one of `secrets`
// needs every such secret again in the same request (SaveIntegration answers 400 naming each
// missing one); otherwise a member who may edit but cannot read the secret could point the row
// at their own server and have Wharf send it there. A changed destination leaves the row
// unverified.
struct SecretBinding {
  std::vector<const char*> destination;  // row.fields that say where requests go
  std::vector<const char*> secrets;      // sealed fields sent there
};

struct IntegrationKind {
  domain::Collection collection;
  const char* name;       // collection name, kind column and audit collection: "dockerRegistries"
  const char* id_prefix;  // "reg"
  const char* noun;       // "Docker registry"
  SecretBinding binding = {};
};
inline const IntegrationKind kDockerRegistries{domain::Collection::kDockerRegistries, "dockerRegistries", "reg",
                                               "Docker registry", {{"host"}, {"password"}}};

// A token host's token goes to base_url; a GitHub App's key signs JWTs for app_id sent to api_url.
inline const IntegrationKind kGitProviders{domain::Collection::kGitProviders, "gitProviders", "git", "git provider",
                                           {{"base_url", "api_url", "app_id"}, {"token", "private_key"}}};

// A git provider body (services/git_providers.cc). `type` picks which fields apply:
// github_app {app_id, installation_id, private_key, webhook_secret, api_url?};
// gitlab | bitbucket | gitea | azure_devops {base_url?, username?, token, webhook_secret?,
// token_scope? (bitbucket: "workspace" | "repository"), repository? (the repository a Bitbucket
// repository access token belongs to)}.
struct GitProviderInput {
  std::optional<std::string> name, type, base_url, username, app_id, installation_id, api_url, token_scope, repository;
  std::optional<SecretBytes> token, private_key, webhook_secret;
};

// One webhook delivery as it arrived: the provider id from the URL, the headers, the raw body.
struct WebhookRequest {
  std::function<std::string(std::string_view lower_name)> header;
  std::string_view body;
};
struct WebhookOutcome {
  bool accepted = false;
  // accepted | missing_signature | bad_signature | no_secret | bad_payload; with `accepted` true
  // but no effect: replay (seen before) | stale (dated more than 3 days ago).
  std::string outcome;
  std::string event;    // push, ping, …
  std::string message;  // for the sender, on a rejection
};
// A push the git host told Wharf about (after the signature was verified).
struct GitPush {
  std::string org_id, provider_id, repository, branch, sha;
  Timestamp at = 0;
};

// The endpoint, region and addressing say which host gets the signed requests; the bucket says
// where database dumps go.
inline const IntegrationKind kBackupStorage{domain::Collection::kBackupStorage, "backupStorage", "bst",
                                            "Backup storage",
                                            {{"endpoint", "region", "bucket", "path_style"}, {"secret_access_key"}}};

// Backup storage (S3-compatible). These keys are for backups only: they are not the AWS compute
// keys of cloudProviderAccounts, and neither is ever used for the other.
struct BackupStorageInput {
  std::optional<std::string> name, endpoint, region, bucket, prefix, access_key_id;
  std::optional<bool> path_style;
  std::optional<SecretBytes> secret_access_key;
};

// A verified backup storage, opened for use (external backups, issue 5): the row, its decrypted
// secret, and the client settings. S3() points into this object: keep it alive while the
// client is used. Never log or serialize it.
struct VerifiedBackupStorage {
  domain::Integration row;
  SecretBytes secret_access_key;
  std::string prefix;  // "" or ending in '/': every backup key goes under it
  std::function<bool(std::string_view ip)> address_allowed;
  int connect_timeout_ms = 5000;
  integrations::S3Config S3() const;
};

// AWS compute credentials (EC2 provisioning and security-group sync). Separate from backup storage's
// S3 keys (backupStorage), which never provision anything.
// The region picks the regional STS and EC2 endpoints the signed requests go to.
inline const IntegrationKind kCloudAccounts{domain::Collection::kCloudProviderAccounts, "cloudProviderAccounts", "aws",
                                            "cloud account", {{"region"}, {"secret_access_key", "session_token"}}};
// Which EC2 security group a Wharf security group became, per (group, cloud account, region).
// Rows of the integrations table with this kind; never listed as an integration.
inline const IntegrationKind kEc2GroupLinks{domain::Collection::kSecurityGroups, "ec2SecurityGroups", "ec2sg",
                                            "EC2 security group"};

struct CloudAccountInput {
  std::optional<std::string> name, provider, access_key_id, region;
  std::optional<SecretBytes> secret_access_key;
  std::optional<SecretBytes> session_token;        // an empty value clears it
  std::optional<std::string> session_expires_at;   // RFC 3339 "…Z"; "" clears it
};

// Where an org security group goes on EC2.
struct Ec2SyncInput {
  std::optional<std::string> cloud_account_id, region, vpc_id;
};
// A sync, drift or delete answer: a JSON document with `ok` and `steps` (check-shaped items).
struct Ec2Outcome {
  bool ok = false;
  std::string json;
};

struct RegistryInput {
  std::optional<std::string> name, host, username, namespace_;
  std::optional<SecretBytes> password;
};

// Backup downloads running per org id (Services::DownloadBackup caps them).
struct BackupDownloadSlots {
  std::mutex mu;
  std::unordered_map<std::string, int> running;  // GUARDED_BY(mu)
};

class Services;

// What a job handler gets (RegisterJobHandler). Used by one worker thread at a time.
//
//   svc.RegisterJobHandler("deploy", [&](services::JobContext& jc) -> Status {
//     auto in = nlohmann::json::parse(jc.job().payload);
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
  // Renews the lease now (the pool also does every job_lease_ms / 3). False when it was lost.
  bool Heartbeat();

 private:
  void Append(std::string_view text, bool output);
  friend class Services;
  struct Active;
  JobContext(Services& s, domain::Job job, std::shared_ptr<Active> active);
  Services& s_;
  domain::Job job_;
  std::shared_ptr<Active> active_;
  std::vector<std::string> secrets_;
  std::vector<std::string> output_secrets_;
  size_t log_bytes_ = 0;         // appended since the last trim (approximate size of the stored log)
  int64_t last_check_ms_ = 0;    // last IsCancelled look at the store
};
// Runs one job. Ok ends it `succeeded`; an error ends it `cancelled` when a cancel was requested,
// back in the queue when this replica is stopping, else `failed` with the error's message (never
// put a secret in it).
using JobHandler = std::function<Status(JobContext&)>;
// Applications (and the legacy /projects view of the same rows). docs/applications.md.
struct ApplicationInput {
  std::optional<std::string> name, description, server_id;
};

struct VariableInput {
  std::string key;
  std::string value;  // the template as written
};

// A service's settings as sent; which fields apply depends on `type` (app, docker, database).
struct ServiceInput {
  std::optional<std::string> name, type;
  std::optional<std::string> git_provider_id, repository, branch, tag, build_path;  // app
  std::optional<int64_t> port;                                                       // app
  std::optional<std::string> image, docker_registry_id;                              // docker
  std::optional<std::vector<std::string>> ports;                                     // docker
  std::optional<std::string> engine, version;                                        // database
  std::optional<std::vector<VariableInput>> variables;
};

// One variable as the API shows it: the template as written, what secret() generated only as
// {length, set}, the references it makes, and the resolved value only when revealed.
struct VariableView {
  std::string key;
  std::string value;
  std::vector<int> secret_lengths;
  std::vector<std::string> references;  // "db.DATABASE_URL"
  std::optional<std::string> resolved;  // reveal only
};

struct ServiceView {
  domain::AppService service;
  nlohmann::json config = nlohmann::json::object();  // type fields and domains; never a secret
  std::vector<VariableView> variables;
  std::vector<std::string> unset_keys;
  bool credentials_set = false;
  nlohmann::json checks = nlohmann::json::array();  // the source checks run on save
};

struct TemplateInput {
  std::optional<std::string> name, description, application_id;
};
// Where a template is deployed: an existing application, or a new one.
struct TemplateDeployInput {
  std::optional<std::string> application_id;
  std::optional<ApplicationInput> application;
  // Also queue a deployment of every created service (databases first), in the same transaction;
  // needs services.update on the application as well.
  bool deploy = false;
};
struct TemplateDeployment {
  domain::Application application;
  bool created_application = false;
  std::vector<ServiceView> services;
  std::map<std::string, std::string> renamed;  // template name → service name, when they differ
  std::vector<domain::Deployment> deployments;  // with deploy: one queued deployment per service
};

// Backups of database services (backups.cc, docs/backups.md). A backup and a schedule are rows of
// the integrations table (kinds "backups", "backupSchedules"); `fields` holds their settings and
// outcome (status, size, sha256, object_key or path, started_at, finished_at, trigger, job_id, …).
struct BackupInput {
  std::optional<std::string> storage;            // "internal" (on the node) or "external"
  std::optional<std::string> backup_storage_id;  // external: a verified backup storage
};
struct BackupScheduleInput {
  std::optional<std::string> frequency;  // hourly, daily, weekly, monthly
  std::optional<int64_t> retention;      // scheduled backups to keep (default 7)
  std::optional<std::string> storage, backup_storage_id;
};
// A backup (or restore) queued as a job.
struct BackupStarted {
  domain::Integration backup;
  domain::Job job;
};
// A backup's bytes for the client: `next` returns the next chunk, "" for "nothing yet", nullopt at
// the end (an early end means the source failed after the first byte). Bounded memory.
struct BackupDownload {
  domain::Integration backup;
  std::function<std::optional<std::string>()> next;
};

template <typename T>
struct Page {
  std::vector<T> items;
  std::string next_cursor;  // empty = no more
};

class Services {
 public:
  // Subscribes to the store's cross-process invalidations; the destructor unsubscribes.
  Services(Deps deps, Config config);
  ~Services();  // waits for running jobs, which stop at their next step; unsubscribes from the store
  Services(const Services&) = delete;
  Services& operator=(const Services&) = delete;

  const Config& config() const { return config_; }
  // Sets the public URL used in invitation links. Call before serving requests (not thread-safe).
  void SetPublicUrl(std::string url) { config_.public_url = std::move(url); }

  // --- auth ---
  Result<SessionGrant> Signup(SignupInput in, const RequestContext& ctx);
  Result<SessionGrant> Login(std::string_view email, const SecretBytes& password, const RequestContext& ctx);
  Status Logout(const Authenticated& who, const RequestContext& ctx);
  Status LogoutAll(const Authenticated& who, const RequestContext& ctx);
  // Appends an instance-level audit event (org_id "") when the configured sign-up policy differs
  // from the last one recorded, and logs it. Called once at start.
  Status RecordSignupPolicy(const RequestContext& ctx);
  // Whether POST /auth/signup without an invitation would be accepted now (the sign-up page).
  Result<bool> SignupOpenWithoutInvitation();
  // For long streams (SSE): the principal `who` holds in `org_slug` now, re-reading the credential
  // and the membership. kUnauthenticated when the session or token ended, kNotFound when the
  // membership is gone.
  Result<authz::Principal> RecheckPrincipal(const Authenticated& who, std::string_view org_slug,
                                            const RequestContext& ctx);
  // Changes whenever a credential is forgotten or `org_id`'s roles or memberships change: a
  // stream compares it on every poll to re-check at once rather than at its next interval.
  uint64_t AccessGeneration(std::string_view org_id);
  // Resolves a bearer/cookie token. kUnauthenticated when absent, unknown, revoked or expired.
  // The result is an immutable snapshot shared with the credential cache.
  Result<std::shared_ptr<const Authenticated>> Authenticate(std::string_view token, const RequestContext& ctx);
  // True when `csrf_token` is the one issued with `who`'s session (constant-time comparison).
  bool CsrfMatches(const Authenticated& who, std::string_view csrf_token) const;
  // The principal for `org_slug`. kNotFound when the org is absent or the caller is no member;
  // also kNotFound when an API token scoped to another org is used.
  Result<authz::Principal> ResolvePrincipal(const Authenticated& who, std::string_view org_slug,
                                            const RequestContext& ctx);

  // --- me and tokens ---
  Result<std::vector<MeOrg>> MyOrgs(const Authenticated& who);
  Result<TokenGrant> CreateApiToken(const Authenticated& who, CreateTokenInput in, const RequestContext& ctx);
  Result<std::vector<std::pair<domain::ApiToken, std::string>>> ListApiTokens(const Authenticated& who);
  Status RevokeApiToken(const Authenticated& who, std::string_view id, const RequestContext& ctx);

  // --- orgs ---
  Result<OrgView> CreateOrg(const Authenticated& who, std::string_view name, std::optional<std::string> slug,
                            const RequestContext& ctx);
  Result<OrgView> GetOrg(const authz::Principal& p);
  Result<OrgView> RenameOrg(const authz::Principal& p, std::string_view name, const RequestContext& ctx);
  Result<OrgView> TransferOwnership(const authz::Principal& p, std::string_view user_id, const RequestContext& ctx);
  Result<OrgView> SetSeatLimit(const Authenticated& who, std::string_view org_slug, int64_t seat_limit,
                               const RequestContext& ctx);

  // --- roles ---
  Result<std::vector<RoleView>> ListRoles(const authz::Principal& p, const RequestContext& ctx);
  Result<RoleView> GetRole(const authz::Principal& p, std::string_view id, const RequestContext& ctx);
  Result<RoleView> CreateRole(const authz::Principal& p, RoleInput in, const RequestContext& ctx);
  Result<RoleView> UpdateRole(const authz::Principal& p, std::string_view id, RoleInput in, const RequestContext& ctx);
  Status DeleteRole(const authz::Principal& p, std::string_view id, std::optional<std::string> reassign_to,
                    const RequestContext& ctx);

  // --- members ---
  Result<Page<MemberView>> ListMembers(const authz::Principal& p, int limit, std::string_view cursor,
                                       const RequestContext& ctx);
  Result<MemberView> ChangeMemberRole(const authz::Principal& p, std::string_view user_id, std::string_view role_id,
                                      const RequestContext& ctx);
  Status RemoveMember(const authz::Principal& p, std::string_view user_id, const RequestContext& ctx);

  // --- invitations ---
  Result<InvitationView> Invite(const authz::Principal& p, std::string_view email, std::string_view role_id,
                                bool send_email, const RequestContext& ctx);
  Result<Page<InvitationView>> ListInvitations(const authz::Principal& p, int limit, std::string_view cursor,
                                               const RequestContext& ctx);
  Result<InvitationView> CopyInvitationLink(const authz::Principal& p, std::string_view id, const RequestContext& ctx);
  Result<InvitationView> ResendInvitation(const authz::Principal& p, std::string_view id, const RequestContext& ctx);
  Status RevokeInvitation(const authz::Principal& p, std::string_view id, const RequestContext& ctx);
  Result<PublicInvitation> PeekInvitation(std::string_view token);
  Result<std::pair<domain::Org, domain::Role>> AcceptInvitation(const Authenticated& who, std::string_view token,
                                                                const RequestContext& ctx);

  // --- ssh keys (the first org-scoped resource collection) ---
  Result<Page<domain::SshKey>> ListSshKeys(const authz::Principal& p, int limit, std::string_view cursor,
                                           const RequestContext& ctx);
  // The hot list path: passes up to `limit` rows to `fn` as views (valid during the call) and
  // returns the next cursor ("" when there are no more rows).
  Result<std::string> VisitSshKeys(const authz::Principal& p, int limit, std::string_view cursor,
                                   const RequestContext& ctx, const std::function<void(const domain::SshKeyView&)>& fn);
  Result<domain::SshKey> GetSshKey(const authz::Principal& p, std::string_view id, const RequestContext& ctx);
  Result<domain::SshKey> CreateSshKey(const authz::Principal& p, SshKeyInput in, const RequestContext& ctx);
  Result<domain::SshKey> UpdateSshKey(const authz::Principal& p, std::string_view id, SshKeyInput in,
                                      const RequestContext& ctx);
  Status DeleteSshKey(const authz::Principal& p, std::string_view id, const RequestContext& ctx);

  Result<std::string> SshPublicKey(const authz::Principal& p, std::string_view id, const RequestContext& ctx);
  // Create with an explicit public key (and optional private key), or generate a pair.
  Result<domain::SshKey> AddSshKey(const authz::Principal& p, SshKeyCreate in, const RequestContext& ctx);

  // --- security groups ---
  Result<Page<SecurityGroupView>> ListSecurityGroups(const authz::Principal& p, int limit, std::string_view cursor,
                                                     const RequestContext& ctx);
  Result<SecurityGroupView> GetSecurityGroup(const authz::Principal& p, std::string_view id, const RequestContext& ctx);
  Result<SecurityGroupView> CreateSecurityGroup(const authz::Principal& p, SecurityGroupInput in, const RequestContext& ctx);
  Result<SecurityGroupView> UpdateSecurityGroup(const authz::Principal& p, std::string_view id, SecurityGroupInput in,
                                                const RequestContext& ctx);
  Status DeleteSecurityGroup(const authz::Principal& p, std::string_view id, const RequestContext& ctx);

  // --- servers (worker nodes) ---
  Result<Page<domain::Server>> ListServers(const authz::Principal& p, int limit, std::string_view cursor,
                                           const RequestContext& ctx);
  Result<domain::Server> GetServer(const authz::Principal& p, std::string_view id, const RequestContext& ctx);
  // Runs every check on an unsaved body (servers.create); nothing is written.
  Result<CheckOutcome> TestServerConnection(const authz::Principal& p, ServerInput in, const RequestContext& ctx);
  // Tests the connection first; refuses to save when Wharf cannot sign in, pins the host key.
  Result<domain::Server> CreateServer(const authz::Principal& p, ServerInput in, const RequestContext& ctx);
  Result<domain::Server> UpdateServer(const authz::Principal& p, std::string_view id, ServerInput in,
                                      const RequestContext& ctx);
  Status DeleteServer(const authz::Principal& p, std::string_view id, const RequestContext& ctx);
  Result<CheckOutcome> CheckServer(const authz::Principal& p, std::string_view id, const RequestContext& ctx);
  Result<domain::Server> RepinHostKey(const authz::Principal& p, std::string_view id, const RequestContext& ctx);
  Result<std::vector<domain::ServerCheck>> ServerCheckHistory(const authz::Principal& p, std::string_view id, int limit,
                                                              const RequestContext& ctx);
  // The scheduler's tick: checks every due server of every org, `health_concurrency` at a time,
  // and schedules the next check (interval when healthy, exponential backoff when not).
  // Returns how many servers were checked. With several replicas on PostgreSQL only the one that
  // holds the scheduler lock (store::Store::IsScheduler) runs it; the others return 0 at once.
  int RunDueHealthChecks();
  // Installs the pinned Dokku and the standard plugins, doing only what is missing (resumable).
  // Answers at once with the queued job (kind "onboard"); a worker of any replica runs it.
  Result<domain::Job> OnboardServer(const authz::Principal& p, std::string_view id, const RequestContext& ctx);
  // A job of the org; the caller needs read access to the job's server.
  Result<domain::Job> GetJob(const authz::Principal& p, std::string_view id, const RequestContext& ctx);
  // The job's status and its log from character `offset` on (for streaming); the answer's
  // log_offset says where its log starts (later than `offset` when retention dropped output).
  Result<domain::Job> GetJobTail(const authz::Principal& p, std::string_view id, size_t offset, const RequestContext& ctx);
  // Cancel (servers.update on the job's server): a queued job ends `cancelled` at once; a running
  // one gets cancel_requested and ends `cancelled` when its handler stops at its next step.
  // 409 when it already finished.
  Result<domain::Job> CancelJob(const authz::Principal& p, std::string_view id, const RequestContext& ctx);

  // --- the durable job queue (jobs.cc): the interface deployments and backups build on ---
  //
  // Enqueue inside the caller's write transaction (so the job exists exactly when the use case
  // committed); workers of every replica are woken after the commit. `target_server_id` is the
  // serialization key: jobs of one server run one at a time, across replicas. `payload` is the
  // handler's input and must hold no secret (it is stored and shown as is): handlers load
  // secrets themselves from the sealed rows the payload names.
  Result<domain::Job> Enqueue(store::Tx& tx, std::string kind, std::string org_id, std::string target_server_id,
                              const nlohmann::json& payload, std::string created_by);
  // Registers the handler of a kind (call before StartJobWorkers, or any time after: a replica
  // only claims kinds it has a handler for). Replaces an earlier handler of the same kind.
  // Built in: "onboard" (resumes on takeover: every step is idempotent); with
  // config.enable_test_jobs, "sleep" (payload {"ms": N}; runs again from the start on takeover).
  void RegisterJobHandler(std::string kind, JobHandler fn);
  // Starts config.job_workers worker threads and the lease heartbeat (wharf serve calls it once).
  // Jobs left running by a replica that died, this one's previous run included, are taken over
  // only once their lease has expired; nothing is marked failed at start.
  void StartJobWorkers();
  // Wakes idle workers of this process (the store does it after a commit that enqueued a job).
  void WakeJobWorkers();
  // Test only (config.enable_test_jobs; servers.update on `target_id`, which need not exist):
  // enqueues `count` jobs of kind "sleep" on that target, in one transaction; each writes
  // `log_lines` lines of 100 characters first (to exercise log retention).
  Result<std::vector<domain::Job>> EnqueueTestJobs(const authz::Principal& p, std::string_view target_id, int64_t sleep_ms,
                                                   int count, int64_t log_lines, const RequestContext& ctx);

  // The server's security groups as its host firewall (nftables, table `inet wharf`), applied over
  // SSH with sudo; answers what the kernel now has in force.
  struct FirewallState {
    std::string backend;   // "nftables" or "ufw"
    std::string in_force;  // `nft list table inet wharf` or `ufw status verbose`
    std::vector<std::string> skipped;  // rules the backend cannot express (ufw: ICMP by source)
  };
  Result<FirewallState> ApplyFirewall(const authz::Principal& p, std::string_view id, const RequestContext& ctx);
  Result<FirewallState> ReadFirewall(const authz::Principal& p, std::string_view id, const RequestContext& ctx);

  // --- integrations (shared by every kind) ---
  Result<Page<domain::Integration>> ListIntegrations(const authz::Principal& p, const IntegrationKind& k, int limit,
                                                     std::string_view cursor, const RequestContext& ctx);
  Result<domain::Integration> GetIntegration(const authz::Principal& p, const IntegrationKind& k, std::string_view id,
                                             const RequestContext& ctx);
  Status DeleteIntegration(const authz::Principal& p, const IntegrationKind& k, std::string_view id,
                           const RequestContext& ctx);
  // The rows whose credential expires (or expired) within `within_ms` from now, soonest first
  // (rows with an unknown expiry are left out).
  Result<std::vector<domain::Integration>> ListExpiringIntegrations(const authz::Principal& p, const IntegrationKind& k,
                                                                    int64_t within_ms, const RequestContext& ctx);

  // --- docker registries ---
  Result<domain::Integration> CreateDockerRegistry(const authz::Principal& p, RegistryInput in, const RequestContext& ctx);
  Result<domain::Integration> UpdateDockerRegistry(const authz::Principal& p, std::string_view id, RegistryInput in,
                                                   const RequestContext& ctx);
  // Verifies pull access to `image` with the stored credential and records the outcome on the row
  // (dockerRegistries.update). A host mismatch is flagged before any network call.
  Result<CheckOutcome> VerifyDockerRegistry(const authz::Principal& p, std::string_view id,
                                            std::optional<std::string> image, const RequestContext& ctx);
  // The same checks on an unsaved body (dockerRegistries.create); nothing is written.
  Result<CheckOutcome> TestDockerRegistry(const authz::Principal& p, RegistryInput in, std::optional<std::string> image,
                                          const RequestContext& ctx);

  // --- backup storage (S3-compatible) ---
  Result<domain::Integration> CreateBackupStorage(const authz::Principal& p, BackupStorageInput in, const RequestContext& ctx);
  Result<domain::Integration> UpdateBackupStorage(const authz::Principal& p, std::string_view id, BackupStorageInput in,
                                                  const RequestContext& ctx);
  // Writes, reads, lists and deletes a probe object under the prefix with the stored key, and
  // records the outcome on the row (backupStorage.update). Checks: write, read, list, delete.
  Result<CheckOutcome> VerifyBackupStorage(const authz::Principal& p, std::string_view id, const RequestContext& ctx);
  // The same probe on an unsaved body (backupStorage.create); nothing is stored in Wharf.
  Result<CheckOutcome> TestBackupStorage(const authz::Principal& p, BackupStorageInput in, const RequestContext& ctx);
  // For external backups: the storage `id` of p's org (backupStorage.read), opened, only if its
  // last verify passed. Otherwise 400 validation_failed on `backup_storage_id`, layer
  // backup_storage, with the seed's wording: "External backups on a database Service require a
  // verified provider from Integrations → Backup Storage." plus the last verify error, if any.
  Result<VerifiedBackupStorage> RequireVerifiedBackupStorage(const authz::Principal& p, std::string_view id,
                                                             const RequestContext& ctx);
  // --- cloud accounts (AWS) ---
  Result<domain::Integration> CreateCloudAccount(const authz::Principal& p, CloudAccountInput in, const RequestContext& ctx);
  Result<domain::Integration> UpdateCloudAccount(const authz::Principal& p, std::string_view id, CloudAccountInput in,
                                                 const RequestContext& ctx);
  // Refused (409) while EC2 security groups made with it are still recorded.
  Status DeleteCloudAccount(const authz::Principal& p, std::string_view id, const RequestContext& ctx);
  // STS GetCallerIdentity + EC2 DryRuns of every action Wharf needs, in `region` (default: the
  // account's); records verified/last_error and the account id and ARN (cloudProviderAccounts.update).
  Result<CheckOutcome> VerifyCloudAccount(const authz::Principal& p, std::string_view id,
                                          std::optional<std::string> region, const RequestContext& ctx);
  // The same on an unsaved body (cloudProviderAccounts.create); nothing is written.
  Result<CheckOutcome> TestCloudAccount(const authz::Principal& p, CloudAccountInput in, const RequestContext& ctx);

  // --- security groups on EC2 (securityGroups.update + cloudProviderAccounts.update; drift: .read) ---
  // Creates the EC2 group on first sync (in in.vpc_id), tags it, authorizes what is missing and
  // revokes what is extra, inbound and outbound (IPv6 through Ipv6Ranges).
  Result<Ec2Outcome> SyncSecurityGroupToEc2(const authz::Principal& p, std::string_view group_id, Ec2SyncInput in,
                                            const RequestContext& ctx);
  // Compares DescribeSecurityGroups with the Wharf rules: the rules missing on EC2 and the extra ones.
  Result<Ec2Outcome> SecurityGroupDrift(const authz::Principal& p, std::string_view group_id, Ec2SyncInput in,
                                        const RequestContext& ctx);
  // DeleteSecurityGroup on EC2 and forgets the link.
  Result<Ec2Outcome> DeleteSecurityGroupOnEc2(const authz::Principal& p, std::string_view group_id, Ec2SyncInput in,
                                              const RequestContext& ctx);
  // The EC2 groups recorded for a Wharf group (securityGroups.read).
  Result<std::vector<domain::Integration>> ListEc2Groups(const authz::Principal& p, std::string_view group_id,
                                                         const RequestContext& ctx);
  // --- applications (c is kApplications, or kProjects for the legacy /projects view) ---
  Result<Page<domain::Application>> ListApplications(const authz::Principal& p, domain::Collection c, int limit,
                                                     std::string_view cursor, const RequestContext& ctx);
  Result<domain::Application> GetApplication(const authz::Principal& p, domain::Collection c, std::string_view id,
                                             const RequestContext& ctx);
  Result<domain::Application> CreateApplication(const authz::Principal& p, domain::Collection c, ApplicationInput in,
                                                const RequestContext& ctx);
  Result<domain::Application> UpdateApplication(const authz::Principal& p, domain::Collection c, std::string_view id,
                                                ApplicationInput in, const RequestContext& ctx);
  // 409 while the application still has services.
  Status DeleteApplication(const authz::Principal& p, domain::Collection c, std::string_view id,
                           const RequestContext& ctx);

  // --- services of applications (collection services, scoped by their application) ---
  Result<std::vector<ServiceView>> ListServices(const authz::Principal& p, std::string_view application_id,
                                                const RequestContext& ctx);
  Result<ServiceView> GetService(const authz::Principal& p, std::string_view id, const RequestContext& ctx);
  // Validates, checks the source (registry host match and pull access; the git seam), generates
  // database credentials and secret() values, seals them, and saves.
  Result<ServiceView> CreateService(const authz::Principal& p, std::string_view application_id, ServiceInput in,
                                    const RequestContext& ctx);
  Result<ServiceView> UpdateService(const authz::Principal& p, std::string_view id, ServiceInput in,
                                    const RequestContext& ctx);
  Status DeleteService(const authz::Principal& p, std::string_view id, const RequestContext& ctx);
  // The variables as templates; with `reveal` (services.update, audited) their resolved values.
  Result<std::vector<VariableView>> ListVariables(const authz::Principal& p, std::string_view id, bool reveal,
                                                  const RequestContext& ctx);
  // Replaces every variable; keys no longer present are recorded to be unset on the node.
  Result<std::vector<VariableView>> PutVariables(const authz::Principal& p, std::string_view id,
                                                 std::vector<VariableInput> vars, const RequestContext& ctx);
  Result<std::vector<VariableView>> SetVariable(const authz::Principal& p, std::string_view id, VariableInput var,
                                                const RequestContext& ctx);
  Result<std::vector<VariableView>> DeleteVariable(const authz::Principal& p, std::string_view id, std::string_view key,
                                                   const RequestContext& ctx);
  // New values for the secret() of `keys` (every key when empty).
  Result<std::vector<VariableView>> RegenerateSecrets(const authz::Principal& p, std::string_view id,
                                                      std::vector<std::string> keys, const RequestContext& ctx);
  // A database's generated credentials (services.update, audited): {engine, user, password, host,
  // port, name, database_url}.
  Result<nlohmann::json> RevealCredentials(const authz::Principal& p, std::string_view id, const RequestContext& ctx);
  // Domains (services.update to change, services.read to list): validated hostnames, unique in the
  // application; the first one is the default ({{ svc.DOMAIN }}).
  Result<nlohmann::json> ListDomains(const authz::Principal& p, std::string_view id, const RequestContext& ctx);
  Result<nlohmann::json> AddDomain(const authz::Principal& p, std::string_view id, std::string_view hostname,
                                   bool letsencrypt, bool make_default, const RequestContext& ctx);
  Result<nlohmann::json> RemoveDomain(const authz::Principal& p, std::string_view id, std::string_view hostname,
                                      const RequestContext& ctx);
  Result<nlohmann::json> SetDefaultDomain(const authz::Principal& p, std::string_view id, std::string_view hostname,
                                          const RequestContext& ctx);

  // --- for deployments (no principal: a deploy job is authorized when it is queued) ---
  // A service's environment resolved by the control plane, and the keys removed since the last
  // deploy (to unset on the node). Values are secrets: never log them; pass them to Dokku's
  // config:set base64-encoded. kNotFound when the service is not in the org; kValidationFailed
  // (naming the variable) when a reference cannot be resolved yet.
  struct DeployEnvironment {
    std::vector<std::pair<std::string, SecretBytes>> set;
    std::vector<std::string> unset;
  };
  Result<DeployEnvironment> ResolveEnvironment(std::string_view org_id, std::string_view service_id);
  // After a deploy unset `keys` on the node: drop them from the service's unset_keys.
  Status ClearUnsetKeys(std::string_view org_id, std::string_view service_id, const std::vector<std::string>& keys);

  // --- templates ---
  Result<Page<domain::AppTemplate>> ListTemplates(const authz::Principal& p, int limit, std::string_view cursor,
                                                  const RequestContext& ctx);
  Result<domain::AppTemplate> GetTemplate(const authz::Principal& p, std::string_view id, const RequestContext& ctx);
  // Saves an application's services (templates.create + services.read on them): settings and
  // variable templates, never a secret, a credential or a generated value.
  Result<domain::AppTemplate> CreateTemplate(const authz::Principal& p, TemplateInput in, const RequestContext& ctx);
  Result<domain::AppTemplate> UpdateTemplate(const authz::Principal& p, std::string_view id, TemplateInput in,
                                             const RequestContext& ctx);
  Status DeleteTemplate(const authz::Principal& p, std::string_view id, const RequestContext& ctx);
  // Creates the template's services in an existing or a new application (templates.read,
  // services.create, and applications.create for a new one), renaming services to stay unique
  // and rewriting {{ svc.VAR }} references to match. With `deploy`, also queues a deployment
  // (trigger "template") of each created service, databases first (services.update). One transaction.
  Result<TemplateDeployment> DeployTemplate(const authz::Principal& p, std::string_view id, TemplateDeployInput in,
                                            const RequestContext& ctx);
  // --- backups of database services (backups.cc; collection backups, scoped by the application) ---
  // backups.create; external needs a verified storage (RequireVerifiedBackupStorage). Queues a job.
  Result<BackupStarted> CreateBackup(const authz::Principal& p, std::string_view app_id, std::string_view svc_id,
                                     BackupInput in, const RequestContext& ctx);
  Result<std::vector<domain::Integration>> ListBackups(const authz::Principal& p, std::string_view app_id,
                                                       std::string_view svc_id, const RequestContext& ctx);
  Result<domain::Integration> GetBackup(const authz::Principal& p, std::string_view app_id, std::string_view svc_id,
                                        std::string_view id, const RequestContext& ctx);
  // backups.update: streams the backup into `dokku <kind>:import` (a job).
  Result<BackupStarted> RestoreBackup(const authz::Principal& p, std::string_view app_id, std::string_view svc_id,
                                      std::string_view id, const RequestContext& ctx);
  // backups.read, audited: the dump streamed from the storage (or the node).
  Result<BackupDownload> DownloadBackup(const authz::Principal& p, std::string_view app_id, std::string_view svc_id,
                                        std::string_view id, const RequestContext& ctx);
  // backups.delete: the object (or node file), then the row.
  Status DeleteBackup(const authz::Principal& p, std::string_view app_id, std::string_view svc_id, std::string_view id,
                      const RequestContext& ctx);
  Result<domain::Integration> GetBackupSchedule(const authz::Principal& p, std::string_view app_id,
                                                std::string_view svc_id, const RequestContext& ctx);
  // backups.update. A new schedule takes its first backup at once, then one every period.
  Result<domain::Integration> PutBackupSchedule(const authz::Principal& p, std::string_view app_id,
                                                std::string_view svc_id, BackupScheduleInput in, const RequestContext& ctx);
  Status DeleteBackupSchedule(const authz::Principal& p, std::string_view app_id, std::string_view svc_id,
                              const RequestContext& ctx);
  // backups.create: the schedule's backup now (retention applies after it).
  Result<BackupStarted> RunBackupScheduleNow(const authz::Principal& p, std::string_view app_id,
                                             std::string_view svc_id, const RequestContext& ctx);
  // The scheduler tick (main's scheduler thread): queues due scheduled backups. Only the replica
  // holding the scheduler lock runs it; the others return 0 at once.
  int RunDueBackupSchedules();
  // Registers the "backup" and "backup_restore" job handlers (wharf serve, before the workers start).
  void RegisterBackupJobs();

  // --- explain (why is this allowed or denied?) ---
  struct Explanation {
    std::string collection, action, permission;  // "servers", "update", "servers.update"
    bool allowed = false;
    std::string reason;   // allowed, missing_permission, read_scope_own, resource_scope, create_limit, admin_only
    std::string message;  // one line: "Bob's role 'Viewer' does not grant servers.update."
    std::string hint;     // legacy projects/applications note, or who can change it
  };
  struct ExplainView {
    domain::User user;
    std::string role_id, role_name;
    bool owner = false;
    std::vector<Explanation> items;  // one, or the whole matrix
  };
  // Admins may ask about anyone in the org; others only about themselves. With `collection` and
  // `action`, one answer (with `resource_id`, the row's own scope rules too); without them, the
  // member's whole matrix.
  Result<ExplainView> ExplainAccess(const authz::Principal& p, std::string_view user_id, std::string_view collection,
                                    std::string_view action, std::string_view resource_id, const RequestContext& ctx);

  // --- git providers (git_providers.cc) ---
  Result<domain::Integration> CreateGitProvider(const authz::Principal& p, GitProviderInput in, const RequestContext& ctx);
  Result<domain::Integration> UpdateGitProvider(const authz::Principal& p, std::string_view id, GitProviderInput in,
                                                const RequestContext& ctx);
  // Verify {repository?, branch?}: token hosts run the host's token API (GitLab) and `git
  // ls-remote`; GitHub Apps mint a JWT and an installation token and read the allow-list.
  // Records verified/last_error (and expires_at where the host tells it).
  Result<CheckOutcome> VerifyGitProvider(const authz::Principal& p, std::string_view id, std::optional<std::string> repository,
                                         std::optional<std::string> branch, const RequestContext& ctx);
  // The same checks on an unsaved body (gitProviders.create); nothing is written.
  Result<CheckOutcome> TestGitProvider(const authz::Principal& p, GitProviderInput in, std::optional<std::string> repository,
                                       std::optional<std::string> branch, const RequestContext& ctx);
  // POST /api/v1/webhooks/git/{provider_id} (unauthenticated: the signature is the credential).
  // Verifies the signature over the raw body, records the delivery (time, event, outcome, and
  // the rejected count) on the provider, and hands a push to OnGitPush. kNotFound for an unknown id.
  Result<WebhookOutcome> ReceiveGitWebhook(std::string_view provider_id, const WebhookRequest& req, const RequestContext& ctx);
  // The push-to-deploy entry point: called once per verified push delivery (a branch, not a tag).
  // Today it records the push on the provider (`last_push`) and logs it; services that follow
  // the branch will be deployed from here (issue 5).
  void OnGitPush(const GitPush& push);
  // Integrations of every kind whose credential expires within `within_days` (or has expired),
  // soonest first; kinds the caller may not read are left out.
  Result<std::vector<domain::Integration>> ListExpiringIntegrations(const authz::Principal& p, int within_days,
                                                                    const RequestContext& ctx);
  // --- deployments (deployments.cc; docs/applications.md "Deployments") ---
  // Queues a deploy, redeploy, restart, stop or destroy of a service as a job on its
  // application's server (services.update, with the application as the scope resource). 400 for
  // an unknown action, 404 outside the org or the role's scope.
  Result<domain::Deployment> StartDeployment(const authz::Principal& p, std::string_view application_id,
                                             std::string_view service_id, std::string action, const RequestContext& ctx);
  // Newest first (services.read); by service, by application, or the org's when both are empty.
  // `cursor` is the next_cursor of the previous page ("" = the newest); a cursor this server did
  // not issue is kValidationFailed (field `cursor`).
  Result<Page<domain::Deployment>> ListDeployments(const authz::Principal& p, std::string_view application_id,
                                                   std::string_view service_id, int limit, std::string_view cursor,
                                                   const RequestContext& ctx);
  // A deployment and its job's log from character `offset` on (services.read).
  Result<std::pair<domain::Deployment, domain::Job>> GetDeploymentTail(const authz::Principal& p, std::string_view id,
                                                                       size_t offset, const RequestContext& ctx);
  // A queued deployment ends `cancelled` at once; a running one is interrupted within about
  // half a second, in the step it runs (the node's command gets SIGTERM), and ends `cancelled`
  // (services.update). 409 when it already finished.
  Result<domain::Deployment> CancelDeployment(const authz::Principal& p, std::string_view id, const RequestContext& ctx);
  // Push-to-deploy: queues a deploy (trigger "push", the commit recorded) of every app service of
  // the push's org that follows (provider, repository, branch). Returns how many were queued.
  int DeployOnPush(const GitPush& push);
  // Registers the "deploy" job handler (wharf serve calls it before StartJobWorkers).
  void RegisterDeploymentJobs();

  // --- diagnose ---
  struct DiagnoseInput {
    std::optional<std::string> server_id, invitation_id, error_text;
    std::optional<std::string> git_provider_id, repository, branch;  // webhook checklist; with repository: reach checks
    std::optional<std::string> docker_registry_id, image;  // a registry's pull check for `image`
    std::optional<std::string> backup_storage_id;          // a backup storage's verify checklist
    std::optional<std::string> cloud_account_id, region;   // a cloud account's verify (in `region`)
  };
  struct ChecklistItem {
    std::string name, status;  // passed, failed, not_applicable
    std::string evidence, fix;
    std::string layer;  // a failed item's own layer, when it has one (cloud accounts)
  };
  struct Diagnosis {
    std::string layer, title, subject, page, not_this, matched;
    std::vector<std::string> causes;
    std::vector<ChecklistItem> checklist;
  };
  // Runs the matching layer's checks for a resource, or classifies pasted error text (and then
  // runs the checks of the resource given with it). Needs read access to what it looks at.
  Result<Diagnosis> Diagnose(const authz::Principal& p, DiagnoseInput in, const RequestContext& ctx);
  Status DiagnoseGitProvider(const authz::Principal& p, const DiagnoseInput& in, Diagnosis& d, const RequestContext& ctx);

  // --- support bundle ---
  struct BundleInput {
    int64_t since_minutes = 60;
    std::vector<std::string> request_ids;
    std::optional<std::string> error_text;
  };
  // An uncompressed tar: manifest.json, audit.jsonl, logs.jsonl, servers.json, diagnose.json,
  // config.json. Admin only. No secret goes in (logs and config are redacted at the source).
  Result<std::string> SupportBundle(const authz::Principal& p, BundleInput in, const RequestContext& ctx);

  // --- audit ---
  Result<Page<domain::AuditEvent>> ListAudit(const authz::Principal& p, int limit, std::string_view cursor,
                                             const RequestContext& ctx);

  // --- operations ---
  bool Ready() { return store_.Ready(); }

 private:
  // Checks and, when denied, audits the attempt and returns the matching error (403 or 404).
  Status Authorize(const authz::Principal& p, domain::Collection c, domain::Action a,
                   const authz::Resource* r, const RequestContext& ctx, std::string_view resource_id = {});
  Status RequireAdmin(const authz::Principal& p, std::string_view action, const RequestContext& ctx);
  // Authorize with a loaded row; outside the caller's scope answers `not_found()` (the row's own
  // 404), so rows out of reach look exactly like rows that do not exist.
  Status AuthorizeRow(const authz::Principal& p, domain::Collection c, domain::Action a, const authz::Resource& r,
                      const RequestContext& ctx, std::string_view id, tl::unexpected<Error> (*not_found)());
  // A row that a request body names by id (ssh_key_id, security_group_ids[i], server_id, an
  // integration id, application_id, …), authorised as that row: the caller needs `c`.read on it
  // with read_scope and resource_scope applied, exactly as if it read the row itself.
  // Errors: kValidationFailed on `field` when the row is absent, in another org or outside an
  // `own` read scope (one message for all three, so a hidden row looks like a missing one);
  // 403 naming the permission (audited) when the role lacks it or the row is outside its
  // resource_scope. Call it inside the transaction that uses the row.
  Status AuthorizeReference(store::Tx& tx, const authz::Principal& p, domain::Collection c,
                            std::string_view id, std::string_view field, const RequestContext& ctx);
  // The role's create_limit on `c`, if any: `count` says how many rows the caller created (run
  // inside the write transaction); `noun` names them in the message ("SSH keys").
  Status EnforceCreateLimit(const authz::Principal& p, domain::Collection c, const std::function<Result<int64_t>()>& count,
                            std::string_view noun);
  // Non-Admins may only grant permissions they hold themselves (and within their resource scope).
  Status CheckNoEscalation(const authz::Principal& p, const domain::Role& role, std::string_view action,
                           const RequestContext& ctx);
  // Runs `fn` in a store write transaction. Denied attempts audited inside it are recorded after
  // it ends (the writer is not reentrant), whether it committed or not.
  Status WriteTx(const std::function<Status(store::Tx&)>& fn);
  domain::AuditEvent MakeAuditEvent(const authz::Principal& p, std::string action, std::string collection,
                                    std::string resource_id, std::string outcome, const RequestContext& ctx,
                                    std::string detail) const;
  // A pending, unexpired invitation of p's org; 404 when absent, 409 when used, revoked or expired.
  Result<domain::Invitation> FindPendingInvitation(store::Tx& tx, const authz::Principal& p, std::string_view id);
  void AuditDenied(const authz::Principal& p, std::string action, std::string collection, std::string resource_id,
                   std::string detail, const RequestContext& ctx);
  Status AuditIn(store::Tx& tx, const authz::Principal& p, std::string action, std::string collection,
                 std::string resource_id, const RequestContext& ctx, std::string detail = {});
  Result<SessionGrant> NewSession(store::Tx& tx, const domain::User& u, const RequestContext& ctx);
  Result<domain::Org> CreateOrgIn(store::Tx& tx, const domain::User& owner, std::string_view name,
                                  std::optional<std::string> slug);
  Result<int64_t> SeatsUsed(store::Tx& tx, std::string_view org_id);
  Result<RoleView> LoadRoleView(store::Tx& tx, const domain::Role& r);
  std::string InvitationLink(const SecretBytes& token) const;
  // "Name <email>" of the inviter for the invitation email, the name made mail-safe.
  Result<std::string> InviterLine(store::Tx& tx, const authz::Principal& p);
  // Mints a fresh token for `inv` (rotating any earlier one) and stores its hash.
  Result<SecretBytes> RotateInvitationToken(store::Tx& tx, domain::Invitation& inv);
  void SendInvitationEmail(domain::Invitation& inv, const domain::Org& org, const domain::Role& role,
                           const std::string& link, const std::string& inviter);
  Result<domain::Invitation> ValidateInvitationToken(store::Tx& tx, std::string_view token);
  // Worker nodes: the decrypted key of a server, the checks, and recording their outcome.
  struct NodeTarget;
  // Backups (backups.cc).
  struct BackupParent {
    domain::Application app;
    domain::AppService service;
    std::string engine;
  };
  Result<BackupParent> LoadBackupParent(store::Tx& tx, const authz::Principal& p, std::string_view app_id,
                                        std::string_view svc_id, domain::Action a, const RequestContext& ctx);
  Result<domain::Integration> LoadBackupRow(store::Tx& tx, const authz::Principal& p, const BackupParent& parent,
                                            std::string_view id, domain::Action a, const RequestContext& ctx);
  Result<VerifiedBackupStorage> OpenBackupStorage(store::Tx& tx, std::string_view org_id, std::string_view id);
  domain::Integration NewBackupRow(const BackupParent& parent, const std::string& storage, const VerifiedBackupStorage* vs,
                                   const std::string& trigger, const std::string& schedule_id, const std::string& created_by);
  Result<std::vector<domain::Integration>> ListServiceBackups(store::Tx& tx, std::string_view org_id,
                                                              std::string_view service_id);
  Status RemoveBackupData(const domain::Integration& b);
  Result<BackupStarted> EnqueueScheduledBackup(store::Tx& tx, domain::Integration& sched, std::string created_by);
  void PruneBackups(JobContext& jc, const std::string& org_id, const std::string& schedule_id);
  Status UpdateBackupRow(const std::string& org_id, const std::string& id,
                         const std::function<void(domain::Integration&)>& edit);
  Status RunBackupJob(JobContext& jc, bool restore);
  Result<std::pair<int64_t, std::string>> TakeDump(JobContext& jc, const domain::Integration& b, const NodeTarget& node,
                                                   const VerifiedBackupStorage* storage);
  Result<std::pair<int64_t, std::string>> RestoreDump(JobContext& jc, const domain::Integration& b, const NodeTarget& node,
                                                      const VerifiedBackupStorage* storage);
  // The SSH target of `s` with its decrypted key. A saved server without a pinned host key (its
  // address changed) is refused with kConflict, layer ssh, details {check: "host_key", code:
  // "host_key_not_pinned", fix}: nothing connects there until RepinHostKey (`repinning`).
  Result<NodeTarget> LoadNodeTarget(store::Tx& tx, const domain::Server& s, bool repinning = false);
  // That refusal alone (Ok for an unsaved server or a pinned one).
  static Status RequirePinnedHostKey(const domain::Server& s);
  CheckOutcome RunNodeChecks(const NodeTarget& t, domain::Server* record);
  // The server `id` of p's org, authorized for servers.update (row scopes included), with the
  // decrypted SSH target to reach it.
  Result<std::pair<domain::Server, NodeTarget>> ServerToUpdate(const authz::Principal& p, std::string_view id,
                                                               const RequestContext& ctx, bool repinning = false);
  // The SSH key and security groups a server body names, each authorised as a row
  // (AuthorizeReference), before anything reaches a node.
  Status AuthorizeServerReferences(store::Tx& tx, const authz::Principal& p, const ServerInput& in,
                                   const RequestContext& ctx);
  nodes::ConnectOptions NodeConnectOptions() const;
  // A job is authorised through its subject for `a` (kRead to read it and its log, kUpdate to
  // cancel): a deployment as its service (services.*), a backup or restore as its backup
  // (backups.*), any other job as its server (servers.*), scopes applied. Out of reach, or a
  // subject that is gone: 404 (the job's own).
  Status AuthorizeJob(store::Tx& tx, const authz::Principal& p, const domain::Job& job,
                      domain::Action a, const RequestContext& ctx);
  // The job queue's machinery (jobs.cc).
  friend class JobContext;
  Status RunOnboarding(JobContext& jc);
  void JobWorkerLoop();
  void JobHeartbeatLoop();
  Result<std::optional<domain::Job>> ClaimNextJob();
  void RunClaimedJob(domain::Job job);
  std::string JobKinds();
  // Integrations: the shared create/update/verify bookkeeping (integrations.cc).
  Result<domain::Integration> InsertIntegration(const authz::Principal& p, const IntegrationKind& k,
                                                domain::Integration row, std::vector<std::pair<std::string, SecretBytes>> secrets,
                                                std::string credential_label, const RequestContext& ctx);
  Result<domain::Integration> SaveIntegration(const authz::Principal& p, const IntegrationKind& k, std::string_view id,
                                              const std::function<Status(domain::Integration&)>& edit,
                                              std::vector<std::pair<std::string, SecretBytes>> secrets,
                                              std::string credential_label, const RequestContext& ctx);
  // Loads the row (authorized for `a`) and opens one sealed field.
  Result<std::pair<domain::Integration, SecretBytes>> LoadIntegrationSecret(const authz::Principal& p,
                                                                             const IntegrationKind& k, std::string_view id,
                                                                             domain::Action a, const std::string& field,
                                                                             const RequestContext& ctx);
  // With `fields_changed`, the row's fields (and expires_at) are saved too.
  Status RecordIntegrationVerify(const authz::Principal& p, const IntegrationKind& k, domain::Integration row,
                                 const CheckOutcome& out, const RequestContext& ctx, bool fields_changed = false);
  // Loads the row (authorized for `a`) and opens every sealed field.
  Result<std::pair<domain::Integration, std::map<std::string, SecretBytes>>> LoadIntegrationSecrets(
      const authz::Principal& p, const IntegrationKind& k, std::string_view id, domain::Action a,
      const RequestContext& ctx);
  // The EC2 side of deleting a Wharf group: DeleteSecurityGroup for each recorded EC2 group.
  Status DeleteEc2GroupsOf(const authz::Principal& p, const domain::SecurityGroup& g, const RequestContext& ctx);
  Status CheckPrivateTarget(std::string_view host, std::string_view field) const;
  // Git providers: validate a body into a row (+ the secrets to seal), and run the checks.
  // Validates `in` onto `row` (the secrets too, which the caller seals); sets the dedupe key and
  // the credential's label.
  Status ApplyGitProviderInput(const GitProviderInput& in, domain::Integration& row, bool creating, std::string& label);
  // 400 for a malformed repository/branch; otherwise the report (expires_at set where the host says).
  Result<CheckOutcome> RunGitProviderChecks(const domain::Integration& row, const SecretBytes& credential,
                                            const std::optional<std::string>& repository,
                                            const std::optional<std::string>& branch,
                                            integrations::GithubTokenCache& cache, Timestamp* expires_at);
  void RecordGitDelivery(const domain::Integration& row, const WebhookOutcome& out, const std::string& delivery_id);
  // "accepted" for a first delivery (its keys are now remembered), "replay" when its delivery id
  // or body was accepted before, "stale" when `sent` (0 = undated) is older than the window.
  // Prunes the deliveries past the retention in the same transaction.
  Result<std::string> CheckDeliveryReplay(const std::string& provider_id, const std::string& delivery_id,
                                          std::string_view raw_body, Timestamp sent);
  integrations::GithubTokenCache github_tokens_;  // installation tokens, per provider id, in memory only
  // Applications and services (applications.cc, app_services.cc, templates.cc).
  // AuthorizeRow under the name the application code uses: a row outside the role's
  // resource_scope answers 403 naming the permission (reason "resource_scope", as Authorize does
  // for every scoped collection, servers included), so a scoped member learns what is missing
  // (docs/access-control.md); read_scope "own" stays 404.
  Status AuthorizeScoped(const authz::Principal& p, domain::Collection c, domain::Action a, const authz::Resource& r,
                         const RequestContext& ctx, std::string_view id, tl::unexpected<Error> (*not_found)());
  // The permission bit alone (403 naming it, audited, when missing); the row's scopes are checked
  // once it is loaded (AuthorizeScoped).
  Status RequirePermission(const authz::Principal& p, domain::Collection c, domain::Action a, const RequestContext& ctx,
                           std::string_view id = {});
  struct PreparedService;
  // Pull access to `img` with a registry credential: the host (and namespace) match first, with
  // no network call when they differ, then the Registry v2 probe (registries.cc).
  CheckOutcome ProbeRegistryPull(const domain::Integration& row, const SecretBytes& password,
                                 const domain::ImageRef& img);
  // Reads what a service's source needs (the registry credential, the git provider) and runs the
  // checks that may touch the network, outside any transaction. Appends to `checks`.
  Status CheckServiceSource(const authz::Principal& p, const PreparedService& s, nlohmann::json& checks,
                            const RequestContext& ctx);
  // Inserts prepared services into `app` inside `tx`: credentials and secret() values generated
  // and sealed, variables validated against the whole application.
  Result<std::vector<domain::AppService>> InsertServices(store::Tx& tx, const authz::Principal& p,
                                                         const domain::Application& app,
                                                         std::vector<PreparedService>& prepared, const RequestContext& ctx);
  // Loads a service of p's org authorized for `a` with its application as the scope resource.
  Result<domain::AppService> ServiceFor(store::Tx& tx, const authz::Principal& p, domain::Action a, std::string_view id,
                                        const RequestContext& ctx);
  Result<ServiceView> ViewService(store::Tx& tx, const authz::Principal& p, const domain::AppService& s, bool reveal);
  // Edits a service's variables with `edit` and saves them (validated, sealed, audited as `action`).
  Result<std::vector<VariableView>> EditVariables(
      const authz::Principal& p, std::string_view id, std::string action, const RequestContext& ctx,
      const std::function<Status(std::vector<domain::Variable>&, std::vector<std::string>& removed)>& edit);
  Result<nlohmann::json> EditDomains(const authz::Principal& p, std::string_view id, std::string action,
                                     const RequestContext& ctx, const std::function<Status(nlohmann::json&)>& edit,
                                     std::string_view hostname);
  // Deployments (deployments.cc).
  struct DeploymentWork;
  Result<domain::Deployment> EnqueueDeployment(store::Tx& tx, const domain::Application& app, const domain::AppService& svc,
                                               std::string action, std::string trigger, std::string created_by,
                                               std::string sha);
  Result<DeploymentWork> LoadDeploymentWork(const domain::Job& job);
  // The installation token of the work's GitHub App provider (cached or minted; see
  // integrations::GithubInstallationToken) into its git:auth. Errors carry layer github_app or
  // network and details.fix.
  Status MintGithubDeployToken(DeploymentWork& w);
  Status RunDeployment(JobContext& jc);
  std::mutex jobs_mu_;
  std::condition_variable jobs_cv_;
  uint64_t job_wakes_ = 0;                                     // GUARDED_BY(jobs_mu_)
  std::map<std::string, JobHandler> job_handlers_;             // GUARDED_BY(jobs_mu_)
  std::vector<std::shared_ptr<JobContext::Active>> active_jobs_;  // GUARDED_BY(jobs_mu_)
  std::vector<std::thread> job_threads_;
  std::atomic<bool> stopping_{false};
  Status CheckSshStaysOpen(store::Tx& tx, const domain::Server& s, const std::vector<std::string>& group_ids,
                           const std::string& changed_group_id, const domain::SecurityGroup* changed);

  store::Store& store_;
  secrets::Envelope& envelope_;
  http_client::Mailer& mailer_;
  Clock& clock_;
  IdGenerator& ids_;
  authz::SnapshotCache& cache_;
  Config config_;
  RateLimiter account_failures_;  // per account, any address: detects a burst (never blocks)
  RateLimiter burst_notices_;     // one burst report per account per window
  RateLimiter ip_attempts_;
  RateLimiter ip_failures_;       // failed sign-ins per address, over all accounts
  // Failed sign-ins per (account, address), in tiers whose windows lengthen: the wait grows
  // from a minute to an hour as failures go on.
  std::vector<std::unique_ptr<RateLimiter>> pair_failures_;
  RateLimiter invitations_per_org_;   // invitations and resends, per organisation
  RateLimiter invitations_per_user_;  // invitations and resends, per inviter
  // Reports a burst of failed sign-ins to the account: an audit event in each organisation it
  // owns, and an email when SMTP is configured.
  Result<int64_t> OrgsOwnedBy(store::Tx& tx, std::string_view user_id);  // for max_orgs_per_user
  void NotifyLoginFailures(const domain::User& u, const RequestContext& ctx);
  // Drops the credential cache's entries of the sessions a sign-in ended (max_sessions_per_user).
  void ForgetEndedSessions(const SessionGrant& g);
  // 429 when `p`'s organisation or `p` itself sent too many invitations in the last hour;
  // otherwise counts one more.
  Status ThrottleInvitations(const authz::Principal& p);
  // Running backup downloads per org. Shared with the download threads, which may outlive a
  // request (and release their slot when they end).
  std::shared_ptr<BackupDownloadSlots> download_slots_ = std::make_shared<BackupDownloadSlots>();

  // Hot-path caches, so an authenticated org-scoped read needs no SQL before its own query.
  // Both are per process and invalidated by every write that changes what they hold (logout,
  // token revocation, org updates), and on PostgreSQL by other replicas' writes too
  // (ApplyInvalidation); see docs/postgres.md for the delay bound.
  struct CredentialEntry {
    std::shared_ptr<const Authenticated> who;
    Timestamp cached_at = 0;
  };
  // Drops what a write (here or on another replica) made stale: "org:<id>", "user:<id>" or "*".
  void ApplyInvalidation(std::string_view scope);
  void ForgetCredentials(const std::function<bool(const Authenticated&)>& pred);
  void ForgetOrg(std::string_view slug);
  static constexpr int64_t kCredentialCacheMs = 60'000;
  std::mutex cred_mu_;
  std::unordered_map<std::string, CredentialEntry> cred_cache_;  // token hash → caller
  uint64_t cred_generation_ = 0;  // GUARDED_BY(cred_mu_); bumped by every ForgetCredentials
  std::mutex org_mu_;
  std::unordered_map<std::string, std::shared_ptr<const domain::Org>> org_cache_;  // slug → org
  uint64_t org_generation_ = 0;  // GUARDED_BY(org_mu_); bumped whenever org rows may have changed
};

// Cursor helpers: opaque base64url of "<created_at>:<id>".
std::string EncodeCursor(Timestamp t, std::string_view id);
Result<store::PageQuery> DecodeCursor(std::string_view cursor, int limit);

}  // namespace wharf::services
