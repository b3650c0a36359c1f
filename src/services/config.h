// The services' configuration: limits, quotas, timeouts and the pinned Dokku, filled by
// `wharf serve` from its flags (src/server/main.cc) and fixed after start (but public_url,
// which Services::SetPublicUrl sets once before requests are served).
//
//   services::Config c;
//   c.signup_policy = services::Config::SignupPolicy::kOpen;
//   c.job_workers = 2;
//   services::Services svc(deps, c);
//
// Thread-safety: a plain value; read concurrently, never written after start.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "nodes/dokku.h"

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
  // The durable job queue (jobs/queue.h, docs/architecture.md "Jobs"). `replica_id` names this process
  // in claimed_by (main: "<host>:<pid>:<random>", so a restart is a new replica). A running job's
  // lease lasts job_lease_ms and is renewed every third of it; a job whose lease ran out (its
  // replica died) is taken over by any replica. Idle workers wake on an enqueue (same process at
  // once; other replicas through NOTIFY on PostgreSQL) and poll every job_poll_ms as a backstop.
  std::string replica_id = "local";
  int job_workers = 4;
  int64_t job_lease_ms = 30'000;
  int64_t job_poll_ms = 2'000;
  size_t job_log_max_bytes = 512 * 1024;  // a job keeps the last 512 KiB of its log
  // Releases (docs/releases.md): kept per service (the current and pinned ones are never pruned);
  // the window a deploy or rollback is watched after start (ps:report; 0 = not watched); live
  // runtime log streams (`dokku logs -t`) open at once per server.
  int64_t release_retention = 10;
  int64_t watch_after_start_ms = 60'000;
  int64_t watch_poll_ms = 1'000;
  int log_streams_per_server = 8;
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
  // Notifications (docs/notifications.md): the first retry's wait (later ones scale with it:
  // 1x, 3x, 12x, 60x, 180x; --notify-retry-base-ms), one HTTP send's time limit, and how many
  // failed health checks in a row make a server "unreachable" (--health-failures-before-alert).
  int64_t notify_retry_base_ms = 10'000;
  int notify_timeout_ms = 10'000;
  int health_failures_before_alert = 3;
  // server.disk_low: a health check that finds less free space on / than this (MiB) sends one
  // alert; the next is sent only after a check finds at least this much again (--disk-low-alert-mb).
  int64_t disk_low_alert_mb = 10240;
  // integration.expiring: how far ahead a known credential expiry is announced.
  int64_t credential_expiry_warning_ms = 7LL * 86'400'000;
  // certificate.expiring (docs/notifications.md "TLS certificates"): a healthy server's health
  // check reads, at most every certificate_check_interval_ms, the certificate its proxy serves on
  // certificate_check_port for each Let's Encrypt domain of its applications, and warns when one
  // has certificate_alert_days or fewer left (again at 3 days and once expired).
  int64_t certificate_check_interval_ms = 6LL * 3600 * 1000;
  int certificate_check_port = 443;
  int certificate_alert_days = 14;
  // Scheduled re-verification (docs/integrations.md "Scheduled re-verification"): git providers,
  // Docker registries, cloud accounts and backup storage verified at least once are verified again
  // (as the system, the Verify button's code path) once their last verification is older than
  // this (--integration-verify-interval-seconds; 0 = never). A tick verifies at most
  // integration_verify_batch rows, integration_verify_concurrency at a time.
  int64_t integration_verify_interval_ms = 86'400'000;
  int integration_verify_batch = 20;
  int integration_verify_concurrency = 4;
  // Outbound checks (verify, test, check) one organisation may run at once, requests and the
  // scheduled re-verification together (--max-outbound-per-org).
  int max_outbound_per_org = 4;
};

std::string_view SignupPolicyName(Config::SignupPolicy p);  // "first-user", "invite-only", "open"
std::optional<Config::SignupPolicy> ParseSignupPolicy(std::string_view s);
// 403 limit_reached with details {limit, used}.
tl::unexpected<Error> QuotaReached(int64_t limit, int64_t used, std::string msg);

}  // namespace wharf::services
