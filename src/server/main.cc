// wharf: the control plane (`wharf serve`) and operator tasks (`wharf admin …`).
// This is the only place that constructs concrete classes and wires them together.
#include <algorithm>
#include <malloc.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <thread>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

#include <CLI/CLI.hpp>

#include "api/api.h"
#include "api/server.h"
#include "authz/snapshot_cache.h"
#include "base/address.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/strings.h"
#include "cli/cli.h"
#include "http_client/http.h"
#include "http_client/resolve_pin.h"
#include "http_client/smtp.h"
#include "http_client/smtp_url.h"
#include <nlohmann/json.hpp>
#include "secrets/crypto.h"
#include "secrets/envelope.h"
#include "secrets/redact.h"
#include "server/admin_backup.h"
#include "server/admin_users.h"
#include "server/admin_idp.h"
#include "server/data_dir.h"
#include "nodes/node_executor.h"
#include "services/services.h"
#include "store/postgres/pg_store.h"
#include "store/sqlite/sqlite_store.h"

namespace fs = std::filesystem;
using namespace wharf;

namespace {

constexpr const char* kVersion = "0.1.0";

struct ServeFlags {
  std::string listen = "127.0.0.1:8080";
  std::string data_dir = "./wharf-data";
  std::string public_url;
  std::string database;
  std::string smtp_url;
  std::string smtp_from = "wharf@localhost";
  bool smtp_allow_plain = false;
  std::string extra_ca_file;
  bool allow_private_targets = false;
  int64_t invitation_ttl_seconds = 7 * 24 * 3600;
  std::string log_level = "info";
  int threads = 0;
  int request_timeout_seconds = 30;
  int64_t min_disk_free_mb = 10240;
  std::string node_dns_probe = "packagecloud.io";
  int64_t health_interval_seconds = 300;
  int64_t notify_retry_base_ms = 10000;
  int notify_timeout_ms = 10000;
  int health_failures_before_alert = 3;
  int64_t disk_low_alert_mb = 10240;
  int certificate_alert_days = 14;
  int64_t certificate_check_interval_seconds = 21600;
  int certificate_check_port = 443;
  int64_t health_max_backoff_seconds = 3600;
  int health_concurrency = 16;
  int64_t connect_timeout_ms = 5000;
  std::string dokku_bootstrap_url;
  std::string aws_endpoint_override;  // tests only: where STS and EC2 calls go instead of AWS
  int64_t aws_timeout_ms = 15000;
  std::string replica_id;
  int job_workers = 4;
  int64_t job_lease_ms = 30000;
  int64_t job_poll_ms = 2000;
  int64_t job_log_max_kib = 512;
  int64_t release_retention = 10;
  double watch_after_start_seconds = 60;
  int log_streams_per_server = 8;
  bool enable_test_jobs = false;
  std::vector<std::string> trusted_proxies;  // --trusted-proxy CIDR, repeatable
  int max_outbound_per_org = 4;
  int64_t integration_verify_interval_seconds = 86400;
  std::string signup = "first-user";
  int max_orgs_per_user = 20;
  int max_api_tokens_per_user = 50;
  int max_pending_invitations_per_org = 100;
  int max_sessions_per_user = 50;
  int max_ssh_keys_per_org = 200;
  int invitations_per_org_per_hour = 50;
  int invitations_per_user_per_hour = 30;
  int64_t log_max_mib = 16;
  int log_max_files = 4;
  int backup_downloads_per_org = 4;
};

// Fills unset flags from their WHARF_* environment twins (a flag wins over its variable).
void FromEnv(CLI::App& cmd, const char* flag, const char* env, std::string& target) {
  if (cmd.count(flag) == 0)
    if (const char* v = std::getenv(env); v && *v) target = v;
}

int Fail(const Error& e) {
  std::cerr << "wharf: " << e.message;
  if (!e.detail.empty()) std::cerr << " (" << e.detail << ")";
  std::cerr << "\n";
  return 1;
}

Result<std::unique_ptr<store::Store>> OpenStore(const std::string& database, const fs::path& data_dir) {
  std::string path;
  if (database.empty()) {
    path = (data_dir / "wharf.db").string();
  } else if (StartsWith(database, "sqlite:")) {
    path = database.substr(7);
  } else if (StartsWith(database, "postgres://") || StartsWith(database, "postgresql://")) {
    return store::OpenPostgresStore(database);
  } else {
    return FieldError("database", "must be sqlite:PATH or postgres://… ");
  }
  return store::OpenSqliteStore(path);
}

// smtp://user:pass@host:port → config with the password kept apart as SecretBytes.
Result<http_client::SmtpConfig> ParseSmtpUrl(const std::string& url, const std::string& from) {
  WHARF_ASSIGN_OR_RETURN(http_client::SmtpConfig c, http_client::ParseSmtpUrl(url));
  c.from = from;
  if (const char* f = std::getenv("WHARF_SMTP_PASSWORD_FILE"); f && *f) {
    std::ifstream in(f);
    std::string pass;
    std::getline(in, pass);
    c.password = SecretBytes::FromString(pass);
    std::fill(pass.begin(), pass.end(), '\0');
  }
  return c;
}

long RssKiB() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (StartsWith(line, "VmRSS:")) return std::strtol(line.c_str() + 6, nullptr, 10);
  return 0;
}

int Serve(CLI::App& cmd, ServeFlags f) {
  auto t0 = std::chrono::steady_clock::now();
  FromEnv(cmd, "--listen", "WHARF_LISTEN", f.listen);
  FromEnv(cmd, "--data-dir", "WHARF_DATA_DIR", f.data_dir);
  FromEnv(cmd, "--public-url", "WHARF_PUBLIC_URL", f.public_url);
  FromEnv(cmd, "--database", "WHARF_DATABASE_URL", f.database);
  FromEnv(cmd, "--smtp-url", "WHARF_SMTP_URL", f.smtp_url);
  FromEnv(cmd, "--smtp-from", "WHARF_SMTP_FROM", f.smtp_from);
  FromEnv(cmd, "--extra-ca-file", "WHARF_EXTRA_CA_FILE", f.extra_ca_file);
  FromEnv(cmd, "--aws-endpoint-override", "WHARF_AWS_ENDPOINT_OVERRIDE", f.aws_endpoint_override);
  FromEnv(cmd, "--signup", "WHARF_SIGNUP", f.signup);
  if (cmd.count("--allow-private-targets") == 0)
    if (const char* v = std::getenv("WHARF_ALLOW_PRIVATE_TARGETS"); v && (std::string(v) == "1" || std::string(v) == "true"))
      f.allow_private_targets = true;
  if (cmd.count("--smtp-allow-plain") == 0)
    if (const char* v = std::getenv("WHARF_SMTP_ALLOW_PLAIN"); v && (std::string(v) == "1" || std::string(v) == "true"))
      f.smtp_allow_plain = true;

  // Everything serve creates in the data directory (database, WAL, logs, keys) is owner-only.
  ::umask(077);
  const fs::path data_dir(f.data_dir);
  if (auto st = server::PrepareDataDir(data_dir); !st) return Fail(st.error());
  // One serve per data directory: a second one would share the SQLite file, the log and the key.
  if (auto st = server::LockDataDir(data_dir, "stop it first, or give this server its own --data-dir"); !st)
    return Fail(st.error());
  auto mode_fixes = server::TightenDataDirModes(data_dir);
  log::Init(f.log_level == "debug" ? log::Level::kDebug : f.log_level == "warn" ? log::Level::kWarn : log::Level::kInfo,
            (data_dir / "wharf.log").string(), static_cast<size_t>(f.log_max_mib) << 20,
            static_cast<size_t>(f.log_max_files));
  for (auto& fix : mode_fixes) {
    fix["note"] = "the data directory is owner-only (0700, files 0600)";
    log::Warn("data_dir_mode_fixed", std::move(fix));
  }
  if (!secrets::Init()) return Fail(Error{ErrorCode::kInternal, "libsodium failed to initialise", {}, Layer::kNone, {}});

  auto colon = f.listen.rfind(':');
  if (colon == std::string::npos) return Fail(FieldError("listen", "must be HOST:PORT, e.g. 127.0.0.1:8080").value());
  api::ServerOptions so;
  so.listen_host = f.listen.substr(0, colon);
  so.listen_port = std::atoi(f.listen.c_str() + colon + 1);
  so.threads = f.threads;
  so.read_timeout_ms = f.request_timeout_seconds * 1000;
  so.max_outbound_per_org = f.max_outbound_per_org;
  if (cmd.count("--trusted-proxy") == 0)
    if (const char* v = std::getenv("WHARF_TRUSTED_PROXIES"); v && *v)
      for (auto part : Split(v, ',')) f.trusted_proxies.emplace_back(Trim(part));
  for (const auto& cidr : f.trusted_proxies) {
    auto c = Cidr::Parse(cidr, "trusted-proxy");
    if (!c) return Fail(c.error());
    so.trusted_proxies.push_back(*c);
  }

  auto master = secrets::LoadOrCreateMasterKey(data_dir);
  if (!master) return Fail(master.error());
  secrets::Envelope envelope(std::move(*master));
  auto store = OpenStore(f.database, data_dir);
  if (!store) return Fail(store.error());
  if (auto st = server::CheckMasterKeyOpensDataKeys(**store, envelope); !st) return Fail(st.error());

  std::unique_ptr<http_client::Mailer> mailer;
  if (!f.smtp_url.empty()) {
    auto cfg = ParseSmtpUrl(f.smtp_url, f.smtp_from);
    if (!cfg) return Fail(cfg.error());
    if (!f.allow_private_targets) http_client::UseSmtpAddressFilter(PublicOnly());
    cfg->allow_plain = f.smtp_allow_plain;
    if (f.smtp_allow_plain)
      log::Warn("smtp_allow_plain", {{"smtp", secrets::RedactUrlPassword(f.smtp_url)},
                                     {"note", "--smtp-allow-plain: mail (invitation links, SMTP password) may cross the "
                                              "network unencrypted when the server offers no STARTTLS"}});
    mailer = std::make_unique<http_client::SmtpMailer>(std::move(*cfg));
  } else {
    mailer = std::make_unique<http_client::DisabledMailer>();
  }

  SystemClock clock;
  RandomIdGenerator ids;
  authz::SnapshotCache cache;
  services::Config config;
  config.invitation_ttl_ms = f.invitation_ttl_seconds * 1000;
  config.allow_private_targets = f.allow_private_targets;
  config.min_disk_free_mb = f.min_disk_free_mb;
  config.node_dns_probe = f.node_dns_probe;
  config.health_interval_ms = f.health_interval_seconds * 1000;
  config.notify_retry_base_ms = f.notify_retry_base_ms;
  config.notify_timeout_ms = f.notify_timeout_ms;
  config.health_failures_before_alert = f.health_failures_before_alert;
  config.disk_low_alert_mb = f.disk_low_alert_mb;
  config.certificate_alert_days = f.certificate_alert_days;
  config.integration_verify_interval_ms = f.integration_verify_interval_seconds * 1000;
  config.max_outbound_per_org = f.max_outbound_per_org;
  config.certificate_check_interval_ms = f.certificate_check_interval_seconds * 1000;
  config.certificate_check_port = f.certificate_check_port;
  config.health_max_backoff_ms = f.health_max_backoff_seconds * 1000;
  config.health_concurrency = f.health_concurrency;
  config.connect_timeout_ms = f.connect_timeout_ms;
  if (!f.dokku_bootstrap_url.empty()) config.dokku_bootstrap_url = f.dokku_bootstrap_url;
  config.aws_endpoint_override = f.aws_endpoint_override;
  config.aws_timeout_ms = f.aws_timeout_ms;
  if (!f.aws_endpoint_override.empty())
    log::Warn("aws_endpoint_override", {{"url", f.aws_endpoint_override},
                                        {"note", "STS and EC2 calls go here instead of AWS's regional endpoints (tests only)"}});
  if (f.replica_id.empty()) {
    char host[256] = {};
    (void)gethostname(host, sizeof(host) - 1);
    unsigned char rnd[4];
    secrets::RandomBytes(rnd, sizeof(rnd));
    f.replica_id = std::string(host) + ":" + std::to_string(getpid()) + ":" +
                   Base64UrlEncode(std::string_view(reinterpret_cast<const char*>(rnd), sizeof(rnd)));
  }
  config.replica_id = f.replica_id;
  config.job_workers = f.job_workers;
  config.job_lease_ms = f.job_lease_ms;
  config.job_poll_ms = f.job_poll_ms;
  config.job_log_max_bytes = static_cast<size_t>(f.job_log_max_kib) * 1024;
  config.release_retention = f.release_retention;
  config.watch_after_start_ms = static_cast<int64_t>(f.watch_after_start_seconds * 1000);
  config.watch_poll_ms = std::clamp<int64_t>(config.watch_after_start_ms / 10, 200, 1000);
  config.log_streams_per_server = f.log_streams_per_server;
  config.enable_test_jobs = f.enable_test_jobs;
  auto signup_policy = services::ParseSignupPolicy(f.signup);
  if (!signup_policy)
    return Fail(FieldError("signup", "must be first-user, invite-only or open (--signup or WHARF_SIGNUP)").value());
  config.signup_policy = *signup_policy;
  config.max_orgs_per_user = f.max_orgs_per_user;
  config.max_api_tokens_per_user = f.max_api_tokens_per_user;
  config.max_pending_invitations_per_org = f.max_pending_invitations_per_org;
  config.max_sessions_per_user = f.max_sessions_per_user;
  config.max_ssh_keys_per_org = f.max_ssh_keys_per_org;
  config.invitations_per_org_per_hour = f.invitations_per_org_per_hour;
  config.invitations_per_user_per_hour = f.invitations_per_user_per_hour;
  config.log_path = (data_dir / "wharf.log").string();
  config.log_tail_bytes = static_cast<size_t>(f.log_max_mib) << 21;  // the current file and the last rotated one
  if (!f.extra_ca_file.empty()) {
    // One bundle (system CAs + the extra ones) for Wharf's HTTPS client and for git.
    auto bundle = http_client::UseExtraCaFile(f.extra_ca_file, (data_dir / "ca-bundle.pem").string());
    if (!bundle) return Fail(bundle.error());
    config.ca_bundle = *bundle;
  }
  config.version = kVersion;
  config.backup_downloads_per_org = f.backup_downloads_per_org;
  // What an org Admin's support bundle shows: settings that explain behaviour they see, never the
  // instance's internals (listen address, paths, database URL, SMTP host, test overrides).
  config.redacted_config_json =
      nlohmann::json{{"version", kVersion}, {"public_url", f.public_url},
                     {"email", f.smtp_url.empty() ? "disabled" : "enabled"}, {"smtp_from", f.smtp_from},
                     {"database", StartsWith(f.database, "postgres") ? "postgres" : "sqlite"},
                     {"allow_private_targets", f.allow_private_targets},
                     {"invitation_ttl_seconds", f.invitation_ttl_seconds},
                     {"health_interval_seconds", f.health_interval_seconds},
                     {"integration_verify_interval_seconds", f.integration_verify_interval_seconds},
                     {"disk_low_alert_mb", f.disk_low_alert_mb}, {"certificate_alert_days", f.certificate_alert_days},
                     {"certificate_check_interval_seconds", f.certificate_check_interval_seconds},
                     {"min_disk_free_mb", f.min_disk_free_mb}, {"node_dns_probe", f.node_dns_probe},
                     {"job_log_max_kib", f.job_log_max_kib},
                     {"backup_downloads_per_org", f.backup_downloads_per_org}, {"signup", f.signup},
                     {"max_orgs_per_user", f.max_orgs_per_user}, {"max_api_tokens_per_user", f.max_api_tokens_per_user},
                     {"max_pending_invitations_per_org", f.max_pending_invitations_per_org},
                     {"max_sessions_per_user", f.max_sessions_per_user}, {"max_ssh_keys_per_org", f.max_ssh_keys_per_org},
                     {"invitations_per_org_per_hour", f.invitations_per_org_per_hour},
                     {"invitations_per_user_per_hour", f.invitations_per_user_per_hour}}
          .dump(2);
  nodes::SshNodeExecutor node_executor;  // the real worker-node executor (libssh)
  services::Services svc({**store, envelope, *mailer, clock, ids, cache, node_executor}, config);
  if (auto st = svc.auth().RecordSignupPolicy({.request_id = "startup", .ip = "", .user_agent = "wharf serve"}); !st)
    return Fail(st.error());
  api::Metrics metrics;
  api::Api api(svc, metrics, {.secure_cookies = StartsWith(f.public_url, "https://"), .version = kVersion});
  so.outbound_slots = &svc.outbound_slots();  // one per-org count for requests and the scheduled re-verification
  api::HttpServer server(api, so);
  if (auto st = server.Start(); !st) return Fail(st.error());
  std::string public_url = f.public_url.empty() ? server.url() : f.public_url;
  while (!public_url.empty() && public_url.back() == '/') public_url.pop_back();
  svc.SetPublicUrl(public_url);
  // Workers claim jobs of any replica, including those this replica's previous run left running
  // (once their lease expired); nothing is marked failed at start.
  // StartJobWorkers registers every job kind (onboard, deploy, backup, backup_restore; sleep with
  // --enable-test-jobs) before the workers start.
  svc.StartJobWorkers();
  server.OnSignal([](int sig) { log::Info("stopping", {{"signal", sig}}); });
  auto ready_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  log::Info("ready", {{"url", server.url()},
                      {"public_url", public_url},
                      {"version", kVersion},
                      {"data_dir", fs::absolute(data_dir).string()},
                      {"database", f.database.empty() ? "sqlite:" + (data_dir / "wharf.db").string()
                                                      : secrets::RedactUrlPassword(f.database)},
                      {"smtp", f.smtp_url.empty() ? std::string("disabled") : secrets::RedactUrlPassword(f.smtp_url)},
                      {"allow_private_targets", f.allow_private_targets},
                      {"replica_id", f.replica_id},
                      {"startup_ms", ready_ms},
                      {"rss_kib", RssKiB()}});
  std::cout << "Wharf is running at " << server.url() << std::endl;
  // The scheduler (jobs::Scheduler): every second, the servers whose health check is due and
  // the due scheduled database backups (docs/backups.md).
  svc.StartScheduler();
  server.Run();
  svc.Stop();
  log::Info("stopped");
  return 0;
}

int AdminRotateMasterKey(const std::string& data_dir_s, const std::string& database) {
  const fs::path data_dir(data_dir_s);
  if (!secrets::Init()) return 1;
  // A running serve keeps the old key in memory and would wrap new org keys with it.
  if (auto st = server::LockDataDir(data_dir, "stop the server before rotating its master key"); !st)
    return Fail(st.error());
  auto old_key = secrets::LoadOrCreateMasterKey(data_dir);
  if (!old_key) return Fail(old_key.error());
  secrets::Envelope old_env(std::move(*old_key));
  SecretBytes fresh = secrets::Envelope::NewMasterKey();
  secrets::Envelope new_env(fresh.Clone());
  auto store = OpenStore(database, data_dir);
  if (!store) return Fail(store.error());
  const char* env_file = std::getenv("WHARF_MASTER_KEY_FILE");
  const fs::path key_path = env_file && *env_file ? fs::path(env_file) : data_dir / "master.key";
  const fs::path next_path = key_path.string() + ".next";
  // 1. Write the new key beside the old one; 2. rewrap every data key in one transaction;
  // 3. move the new key into place. A crash between 2 and 3 leaves master.key.next, which
  // `rotate-master-key --resume` would pick up; until then the old key still opens nothing new.
  if (auto st = secrets::Envelope::WriteMasterKeyFile(next_path, fresh); !st) return Fail(st.error());
  int count = 0, others = 0;
  auto st = (*store)->Write([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto orgs, tx.orgs().ListAll());
    for (auto& o : orgs) {
      WHARF_ASSIGN_OR_RETURN(std::string rewrapped, old_env.Rewrap(o.wrapped_data_key, o.id, new_env));
      WHARF_TRY(tx.orgs().UpdateDataKey(o.id, rewrapped));
      ++count;
    }
    // The per-row keys of TOTP secrets (scope user:<id>) and identity providers' client secrets.
    WHARF_ASSIGN_OR_RETURN(auto totps, tx.second_factors().ListAllTotp());
    for (auto& t : totps) {
      WHARF_ASSIGN_OR_RETURN(t.wrapped_key, old_env.Rewrap(t.wrapped_key, "user:" + t.user_id, new_env));
      WHARF_TRY(tx.second_factors().PutTotp(t));
      ++others;
    }
    WHARF_ASSIGN_OR_RETURN(auto idps, tx.sso().ListProviders());
    for (auto& p : idps) {
      WHARF_ASSIGN_OR_RETURN(p.wrapped_key, old_env.Rewrap(p.wrapped_key, "instance:sso", new_env));
      WHARF_TRY(tx.sso().UpdateProvider(p));
      ++others;
    }
    return Ok();
  });
  if (!st) {
    std::error_code ec;
    fs::remove(next_path, ec);
    return Fail(st.error());
  }
  std::error_code ec;
  fs::rename(next_path, key_path, ec);
  if (ec) {
    std::cerr << "wharf: data keys were rewrapped but " << next_path << " could not replace " << key_path << ": "
              << ec.message() << ". Move it into place by hand before starting the server.\n";
    return 1;
  }
  std::cout << "Rotated the master key; rewrapped " << count << " organisation data key(s) and " << others
            << " other key(s) (TOTP secrets, identity providers).\n";
  return 0;
}

int AdminMigrate(const std::string& data_dir, const std::string& database) {
  auto store = OpenStore(database, data_dir);
  if (!store) return Fail(store.error());
  std::cout << "Schema is at version " << (*store)->SchemaVersion() << ".\n";
  return 0;
}

// Copies every table of one store into another, empty one, in one transaction, and verifies the
// row counts. Sealed secrets are copied as bytes: the destination needs the same master key.
int AdminMigrateStore(const std::string& from, const std::string& to) {
  if (from.empty() || to.empty()) return Fail(FieldError("from", "and --to are both required").value());
  if (from == to) return Fail(FieldError("to", "must differ from --from").value());
  if (!StartsWith(from, "sqlite:") && !StartsWith(from, "postgres://") && !StartsWith(from, "postgresql://"))
    return Fail(FieldError("from", "must be sqlite:PATH or postgres://…").value());
  if (StartsWith(from, "sqlite:") && !fs::exists(from.substr(7)))
    return Fail(FieldError("from", "no SQLite database at " + from.substr(7)).value());
  auto src = OpenStore(from, ".");
  if (!src) return Fail(src.error());
  auto dest = OpenStore(to, ".");
  if (!dest) return Fail(dest.error());
  if (auto st = (*dest)->CopyFrom(**src); !st) return Fail(st.error());
  int64_t total = 0;
  for (const auto& t : store::DataTables()) {
    auto want = (*src)->CountRows(t);
    auto got = (*dest)->CountRows(t);
    if (!want || !got || *want != *got) {
      std::cerr << "wharf: row counts differ for " << t << "\n";
      return 1;
    }
    std::cout << "  " << t << ": " << *got << " rows\n";
    total += *got;
  }
  std::cout << "Copied " << total << " rows from " << secrets::RedactUrlPassword(from) << " to "
            << secrets::RedactUrlPassword(to) << "; every table's row count matches.\n"
            << "Secrets are still sealed by the same master key: give every server on the new database that key "
               "(copy master.key into its data dir, or set WHARF_MASTER_KEY_FILE).\n";
  return 0;
}

// The mailer of an admin command: the server's SMTP setting from the environment (WHARF_SMTP_URL,
// WHARF_SMTP_FROM, WHARF_SMTP_PASSWORD_FILE, WHARF_SMTP_ALLOW_PLAIN), else none. The operator's
// own setting, on the server's host: no address filter, as before (reset-2fa).
Result<std::unique_ptr<http_client::Mailer>> AdminMailer() {
  const char* url = std::getenv("WHARF_SMTP_URL");
  if (!url || !*url) return std::unique_ptr<http_client::Mailer>(std::make_unique<http_client::DisabledMailer>());
  const char* from = std::getenv("WHARF_SMTP_FROM");
  WHARF_ASSIGN_OR_RETURN(auto cfg, ParseSmtpUrl(url, from && *from ? from : "wharf@localhost"));
  if (const char* v = std::getenv("WHARF_SMTP_ALLOW_PLAIN"); v && (std::string(v) == "1" || std::string(v) == "true"))
    cfg.allow_plain = true;
  return std::unique_ptr<http_client::Mailer>(std::make_unique<http_client::SmtpMailer>(std::move(cfg)));
}

// Every admin command that runs use cases: the data directory's master key and store (or
// --database), the mailer above and WHARF_PUBLIC_URL for links in emails; `fn` gets the services
// (and the store, for checks no use case makes). Emails the use cases queued are sent before it
// returns. Returns fn's exit code, or 1 when the key, store or mailer cannot be set up.
using AdminFn = std::function<int(services::Services&, store::Store&)>;
int WithAdminServices(const fs::path& data_dir, const std::string& database, const AdminFn& fn) {
  if (!secrets::Init()) return 1;
  auto master = secrets::LoadOrCreateMasterKey(data_dir);
  if (!master) return Fail(master.error());
  secrets::Envelope envelope(std::move(*master));
  auto store = OpenStore(database, data_dir);
  if (!store) return Fail(store.error());
  auto mailer = AdminMailer();
  if (!mailer) return Fail(mailer.error());
  SystemClock clock;
  RandomIdGenerator ids;
  authz::SnapshotCache cache;
  nodes::SshNodeExecutor node_executor;
  services::Config config;
  if (const char* v = std::getenv("WHARF_PUBLIC_URL"); v && *v) config.public_url = v;
  while (!config.public_url.empty() && config.public_url.back() == '/') config.public_url.pop_back();
  services::Services svc({**store, envelope, **mailer, clock, ids, cache, node_executor}, config);
  const int code = fn(svc, **store);
  svc.account().Drain();  // the background sender's emails, before the process exits
  return code;
}

int AdminCreateUser(const std::string& data_dir_s, const std::string& database, const std::string& email,
                    const std::string& name, const std::string& password_file, bool first_only) {
  const fs::path data_dir(data_dir_s);
  std::string pw;
  if (password_file.empty() || password_file == "-") {
    std::getline(std::cin, pw);
  } else {
    std::ifstream in(password_file);
    if (!in) return Fail(FieldError("password-file", "cannot be read").value());
    std::getline(in, pw);
  }
  return WithAdminServices(data_dir, database, [&](services::Services& svc, store::Store& store) {
    if (first_only) {
      // bootstrap makes the FIRST account; on an instance that has one it changes nothing.
      int64_t users = 0;
      if (auto st = store.Read([&](store::Tx& tx) -> Status {
            WHARF_ASSIGN_OR_RETURN(users, tx.users().Count());
            return Ok();
          });
          !st)
        return Fail(st.error());
      if (users > 0) {
        std::cerr << "wharf: this instance already has " << users << (users == 1 ? " user" : " users")
                  << "; bootstrap creates only the first one and changed nothing. Add someone with `wharf admin "
                     "create-user` or an invitation (`wharf invite EMAIL --role ROLE`).\n";
        return 1;
      }
    }
    services::SignupInput in{email, name, SecretBytes::FromString(pw), std::nullopt};
    std::fill(pw.begin(), pw.end(), '\0');
    auto g = svc.auth().Signup(std::move(in), {"admin-cli", "local", "wharf admin"});
    if (!g) return Fail(g.error());
    std::cout << "Created user " << g->user.email << (g->user.instance_admin ? " (instance administrator)" : "")
              << " with organisation '" << g->org->slug << "'.\n";
    return 0;
  });
}

// wharf admin reset-2fa EMAIL: every second factor of the account removed, audited in each of its
// orgs, and the user emailed when WHARF_SMTP_URL (the server's SMTP setting) is in the environment.
int AdminResetTwoFactor(const std::string& data_dir, const std::string& database, const std::string& email) {
  return WithAdminServices(data_dir, database, [&](services::Services& svc, store::Store&) {
    if (auto st = svc.second_factor().AdminReset(email, {"admin-cli", "local", "wharf admin reset-2fa"}); !st)
      return Fail(st.error());
    std::cout << "Removed every second factor and recovery code of " << email
              << ". They sign in with their password alone until they enrol again.\n";
    return 0;
  });
}

// `wharf openapi`: the API's OpenAPI document on stdout, without serving (the web UI's generated
// types and client generators read it). The routes are registered against a throwaway SQLite file
// in a temporary directory, which no route is asked to read; it is removed before returning.
int PrintOpenApi() {
  log::Init(log::Level::kWarn);  // stdout is the document; the throwaway store's migrations are noise
  if (!secrets::Init()) return 1;
  std::error_code ec;
  const fs::path dir = fs::temp_directory_path() / ("wharf-openapi-" + std::to_string(::getpid()));
  fs::create_directories(dir, ec);
  if (ec) return Fail(Error{ErrorCode::kInternal, "cannot create " + dir.string() + ": " + ec.message(), {}, Layer::kNone, {}});
  int code = 0;
  {
    auto master = secrets::LoadOrCreateMasterKey(dir);
    if (!master) return Fail(master.error());
    secrets::Envelope envelope(std::move(*master));
    auto store = store::OpenSqliteStore((dir / "wharf.db").string());
    if (!store) return Fail(store.error());
    http_client::DisabledMailer mailer;
    SystemClock clock;
    RandomIdGenerator ids;
    authz::SnapshotCache cache;
    nodes::SshNodeExecutor node_executor;
    services::Services svc({**store, envelope, mailer, clock, ids, cache, node_executor}, {});
    api::Metrics metrics;
    api::Api api(svc, metrics, {.version = kVersion});
    api::HttpRequest req;
    req.method = "GET";
    req.path = "/api/v1/openapi.json";
    req.request_id = "openapi";
    api::HttpResponse res = api.Handle(req);
    if (res.status != 200) code = 1;
    std::cout << res.body << "\n";
  }
  fs::remove_all(dir, ec);
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  // Response buffers come and go at tens of thousands per second: keep freed memory instead of
  // returning it to the kernel after every burst (each return costs madvise/brk and page faults).
  mallopt(M_TRIM_THRESHOLD, 32 << 20);
  mallopt(M_MMAP_THRESHOLD, 4 << 20);
  // No fastbins: every large response buffer otherwise triggers malloc_consolidate of them all.
  mallopt(M_MXFAST, 0);
  CLI::App app{"Wharf: a self-hosted PaaS control plane"};
  app.require_subcommand(1);
  app.set_version_flag("--version", kVersion);

  ServeFlags f;
  auto* serve = app.add_subcommand("serve", "Run the control plane (HTTP API, web UI)");
  auto* openapi = app.add_subcommand("openapi", "Print the API's OpenAPI document (JSON) without serving");
  openapi->footer("Example:\n  wharf openapi > wharf-openapi.json   # then generate a client (docs/api.md)");
  serve->footer("Example:\n  wharf serve --listen 0.0.0.0:8080 --data-dir /var/lib/wharf --public-url https://wharf.example.com");
  serve->add_option("--listen", f.listen, "HOST:PORT to listen on (env WHARF_LISTEN); port 0 picks a free port");
  serve->add_option("--data-dir", f.data_dir, "Data directory: SQLite database, master key, logs (env WHARF_DATA_DIR)");
  serve->add_option("--public-url", f.public_url, "URL users reach Wharf at, for links (env WHARF_PUBLIC_URL)");
  serve->add_option("--database", f.database, "sqlite:PATH or postgres://… (env WHARF_DATABASE_URL)");
  serve->add_option("--smtp-url", f.smtp_url, "smtp://[user:pass@]host:port for invitation emails (env WHARF_SMTP_URL)");
  serve->add_option("--smtp-from", f.smtp_from, "From address for emails (env WHARF_SMTP_FROM)");
  serve->add_flag("--smtp-allow-plain", f.smtp_allow_plain,
                  "Let a non-loopback smtp:// server skip STARTTLS (plain text; logged at start; env "
                  "WHARF_SMTP_ALLOW_PLAIN). Without it such a server must offer STARTTLS");
  serve->add_option("--extra-ca-file", f.extra_ca_file,
                    "PEM file of CA certificates to trust besides the system's, for git hosts, registries and APIs "
                    "with a private CA (env WHARF_EXTRA_CA_FILE)");
  serve->add_flag("--allow-private-targets", f.allow_private_targets,
                  "Let servers and integrations point at loopback/private addresses (env WHARF_ALLOW_PRIVATE_TARGETS)");
  serve->add_option("--invitation-ttl-seconds", f.invitation_ttl_seconds, "Invitation lifetime (default 7 days)")
      ->check(CLI::Range(int64_t{1}, int64_t{365} * 24 * 3600));
  serve->add_option("--min-disk-free-mb", f.min_disk_free_mb, "Servers with less free disk on / fail the disk check (default 10240)")
      ->check(CLI::Range(int64_t{0}, int64_t{1} << 40));
  serve->add_option("--node-dns-probe", f.node_dns_probe, "A name every server must resolve (default packagecloud.io)");
  serve->add_option("--health-interval-seconds", f.health_interval_seconds, "Between checks of a healthy server (default 300)")
      ->check(CLI::Range(int64_t{1}, int64_t{86400}));
  serve->add_option("--health-failures-before-alert", f.health_failures_before_alert,
                    "Failed health checks in a row before a server.unreachable notification (default 3)")
      ->check(CLI::Range(1, 100));
  serve->add_option("--disk-low-alert-mb", f.disk_low_alert_mb,
                    "Free MiB on a server's / below which one server.disk_low notification is sent (default 10240)")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 40));
  serve->add_option("--certificate-alert-days", f.certificate_alert_days,
                    "Days before a served Let's Encrypt certificate expires that certificate.expiring is sent "
                    "(default 14; again at 3 days and once expired)")
      ->check(CLI::Range(1, 60));
  serve->add_option("--certificate-check-interval-seconds", f.certificate_check_interval_seconds,
                    "How often a healthy server's served certificates are read (default 21600)")
      ->check(CLI::Range(int64_t{1}, int64_t{604800}));
  serve->add_option("--certificate-check-port", f.certificate_check_port,
                    "The port servers answer HTTPS on, where their certificates are read (default 443)")
      ->check(CLI::Range(1, 65535));
  serve->add_option("--integration-verify-interval-seconds", f.integration_verify_interval_seconds,
                    "Verify git providers, Docker registries, cloud accounts and backup storage again once their last "
                    "verification is this old; a failure after a pass sends integration.verify_failed (default 86400; "
                    "0 = never)")
      ->check(CLI::Range(int64_t{0}, int64_t{365} * 86400));
  serve->add_option("--health-max-backoff-seconds", f.health_max_backoff_seconds,
                    "The longest wait between checks of a failing server (default 3600)")
      ->check(CLI::Range(int64_t{1}, int64_t{86400}));
  serve->add_option("--notify-retry-base-ms", f.notify_retry_base_ms,
                    "Wait before a failed notification's first retry; later waits scale with it (default 10000)")
      ->check(CLI::Range(int64_t{10}, int64_t{3600000}));
  serve->add_option("--notify-timeout-ms", f.notify_timeout_ms, "Time limit of one webhook delivery (default 10000)")
      ->check(CLI::Range(100, 120000));
  serve->add_option("--health-concurrency", f.health_concurrency, "Servers checked at once (default 16)")->check(CLI::Range(1, 256));
  serve->add_option("--connect-timeout-ms", f.connect_timeout_ms, "SSH connect timeout (default 5000)")
      ->check(CLI::Range(int64_t{100}, int64_t{60000}));
  serve->add_option("--aws-endpoint-override", f.aws_endpoint_override,
                    "Send STS and EC2 calls to this URL instead of https://{sts,ec2}.<region>.amazonaws.com; {service} "
                    "and {region} are replaced. For tests against recorded responses only (env WHARF_AWS_ENDPOINT_OVERRIDE)");
  serve->add_option("--aws-timeout-ms", f.aws_timeout_ms, "Timeout of one AWS API call (default 15000)")
      ->check(CLI::Range(int64_t{100}, int64_t{300000}));
  serve->add_option("--dokku-bootstrap-url", f.dokku_bootstrap_url,
                    "Where onboarding fetches Dokku's bootstrap.sh (default: dokku.com, the pinned version)");
  serve->add_option("--replica-id", f.replica_id,
                    "This process's name in job claims (default HOST:PID:RANDOM, new at every start)");
  serve->add_option("--job-workers", f.job_workers, "Jobs this replica runs at once (default 4)")->check(CLI::Range(1, 64));
  serve->add_option("--job-lease-ms", f.job_lease_ms,
                    "A running job's lease; another replica takes a job over this long after its replica died (default 30000)")
      ->check(CLI::Range(int64_t{300}, int64_t{3600000}));
  serve->add_option("--job-poll-ms", f.job_poll_ms, "Idle workers look for jobs at least this often (default 2000)")
      ->check(CLI::Range(int64_t{50}, int64_t{60000}));
  serve->add_option("--release-retention", f.release_retention,
                    "Releases kept per service; the current and pinned ones are never pruned (default 10)")
      ->check(CLI::Range(1, 1000));
  serve->add_option("--watch-after-start-seconds", f.watch_after_start_seconds,
                    "How long a deploy or rollback is watched after start for exits and restarts (default 60; 0 = off)")
      ->check(CLI::Range(0.0, 3600.0));
  serve->add_option("--log-streams-per-server", f.log_streams_per_server,
                    "Live runtime log streams (logs?follow=true) open at once per server (default 8)")
      ->check(CLI::Range(1, 256));
  serve->add_option("--job-log-max-kib", f.job_log_max_kib, "Each job keeps the newest this many KiB of its log (default 512)")
      ->check(CLI::Range(int64_t{4}, int64_t{1} << 20));
  serve->add_flag("--enable-test-jobs", f.enable_test_jobs,
                  "Tests only: the harmless `sleep` job kind and POST /api/v1/orgs/{org}/test-jobs");
  serve->add_option("--trusted-proxy", f.trusted_proxies,
                    "A reverse proxy's address or CIDR (repeatable): from these peers X-Forwarded-For names the "
                    "client, read from the right (env WHARF_TRUSTED_PROXIES, comma-separated)");
  serve->add_option("--max-outbound-per-org", f.max_outbound_per_org,
                    "Outbound checks (verify, test, check) one organisation may run at once; more get 429 "
                    "(default 4)")
      ->check(CLI::Range(1, 1024));
  serve->add_option("--signup", f.signup,
                    "Who may create an account: first-user (default: only the first, then by invitation), "
                    "invite-only (even the first comes from 'wharf admin'), open (anyone) (env WHARF_SIGNUP)")
      ->check(CLI::IsMember({"first-user", "invite-only", "open"}));
  serve->add_option("--max-orgs-per-user", f.max_orgs_per_user, "Organisations one user may own (default 20; 0 = no limit)")
      ->check(CLI::Range(0, 1000000));
  serve->add_option("--max-api-tokens-per-user", f.max_api_tokens_per_user,
                    "Active API tokens per user (default 50; 0 = no limit)")->check(CLI::Range(0, 1000000));
  serve->add_option("--max-pending-invitations-per-org", f.max_pending_invitations_per_org,
                    "Pending invitations per organisation (default 100; 0 = no limit)")->check(CLI::Range(0, 1000000));
  serve->add_option("--max-sessions-per-user", f.max_sessions_per_user,
                    "Active sessions per user; a new sign-in beyond it ends the oldest (default 50; 0 = no limit)")
      ->check(CLI::Range(0, 1000000));
  serve->add_option("--max-ssh-keys-per-org", f.max_ssh_keys_per_org, "SSH keys per organisation (default 200; 0 = no limit)")
      ->check(CLI::Range(0, 1000000));
  serve->add_option("--invitations-per-org-per-hour", f.invitations_per_org_per_hour,
                    "Invitation emails (invites and resends) one organisation may send per hour (default 50; 0 = no limit)")
      ->check(CLI::Range(0, 1000000));
  serve->add_option("--invitations-per-user-per-hour", f.invitations_per_user_per_hour,
                    "Invitation emails one user may send per hour (default 30; 0 = no limit)")->check(CLI::Range(0, 1000000));
  serve->add_option("--log-level", f.log_level, "debug, info or warn")->check(CLI::IsMember({"debug", "info", "warn"}));
  serve->add_option("--threads", f.threads, "I/O threads (default: one per core)");
  serve->add_option("--log-max-mib", f.log_max_mib, "DATA_DIR/wharf.log rotates at this size (default 16)")
      ->check(CLI::Range(int64_t{1}, int64_t{4096}));
  serve->add_option("--log-max-files", f.log_max_files, "Rotated logs kept: wharf.1.log … (default 4)")
      ->check(CLI::Range(1, 100));
  serve->add_option("--backup-downloads-per-org", f.backup_downloads_per_org,
                    "Backup downloads one organisation may run at once; more answer 429 (default 4)")
      ->check(CLI::Range(1, 1000));
  serve->add_option("--request-timeout-seconds", f.request_timeout_seconds,
                    "Close connections whose request has not fully arrived in this time (default 30)")
      ->check(CLI::Range(1, 3600));

  auto* admin = app.add_subcommand("admin", "Operator tasks on a data directory");
  admin->require_subcommand(1);
  admin->footer("Example:\n  wharf admin bootstrap --data-dir /var/lib/wharf --email ada@example.com --name Ada --password-file pw.txt");
  std::string a_data_dir = "./wharf-data", a_database, a_email, a_name, a_password_file;
  bool a_create = false;
  auto add_common = [&](CLI::App* c) {
    c->add_option("--data-dir", a_data_dir, "Data directory (default: WHARF_DATA_DIR, else ./wharf-data)");
    c->add_option("--database", a_database, "sqlite:PATH or postgres://… (default: DATA_DIR/wharf.db; env WHARF_DATABASE_URL)");
  };
  auto* migrate = admin->add_subcommand("migrate", "Apply database migrations");
  add_common(migrate);
  migrate->add_flag("--create", a_create, "Create the data directory when it does not exist");
  migrate->footer("Example:\n  wharf admin migrate --data-dir /var/lib/wharf");
  auto* rotate = admin->add_subcommand("rotate-master-key", "Generate a new master key and rewrap every org's data key");
  add_common(rotate);
  rotate->footer("Example:\n  wharf admin rotate-master-key --data-dir /var/lib/wharf");
  auto* create_user = admin->add_subcommand("create-user", "Create a user (the first becomes instance administrator)");
  add_common(create_user);
  create_user->add_flag("--create", a_create, "Create the data directory when it does not exist");
  create_user->add_option("--email", a_email, "Email")->required();
  create_user->add_option("--name", a_name, "Display name")->required();
  create_user->add_option("--password-file", a_password_file, "File holding the password (default: read stdin)");
  create_user->footer("Example:\n  printf '%s\\n' \"$PASSWORD\" | wharf admin create-user --data-dir /var/lib/wharf --email grace@example.com --name Grace");
  std::string ms_from, ms_to;
  auto* migrate_store = admin->add_subcommand(
      "migrate-store", "Copy every table into another, empty database (secrets stay sealed) and verify row counts");
  migrate_store->add_option("--from", ms_from, "sqlite:PATH or postgres://… (stop the server using it first)")->required();
  migrate_store->add_option("--to", ms_to, "postgres://… or sqlite:PATH; must be empty")->required();
  migrate_store->footer("Example:\n  wharf admin migrate-store --from sqlite:/var/lib/wharf/wharf.db --to postgres://wharf@db/wharf");
  auto* reset_2fa = admin->add_subcommand(
      "reset-2fa", "Remove every second factor of an account that lost them (audited; the user is emailed)");
  add_common(reset_2fa);
  reset_2fa->add_option("email", a_email, "The account's email")->required();
  reset_2fa->footer("Example:\n  wharf admin reset-2fa --data-dir /var/lib/wharf grace@example.com");
  auto* bootstrap = admin->add_subcommand("bootstrap", "Create the first user and their organisation non-interactively");
  add_common(bootstrap);
  bootstrap->add_option("--email", a_email, "Email")->required();
  bootstrap->add_option("--name", a_name, "Display name")->required();
  bootstrap->add_option("--password-file", a_password_file, "File holding the password (default: read stdin)");
  bootstrap->footer("Example:\n  wharf admin bootstrap --data-dir /var/lib/wharf --email ada@example.com --name Ada --password-file pw.txt");

  // Client commands (login, org, role, …; src/cli) and admin backup|restore (admin_backup.cc).
  auto backup = server::AddAdminBackupCommands(*admin);
  auto users = server::AddAdminUsersCommands(*admin, add_common);
  auto idps = server::AddAdminIdpCommands(*admin, add_common);
  auto client = cli::RegisterClientCommands(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (auto unknown = cli::UnknownCommandMessage(app, std::vector<std::string>(argv + 1, argv + argc))) {
      std::cerr << "Error: " << *unknown << "\n";
      return 2;
    }
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (auto code = client->Run()) return *code;
  ::umask(077);  // what serve and admin create in a data directory is owner-only
  if (auto code = backup->Run()) return *code;
  if (serve->parsed()) return Serve(*serve, f);
  if (openapi->parsed()) return PrintOpenApi();
  if (migrate_store->parsed()) return AdminMigrateStore(ms_from, ms_to);
  if (a_database.empty())
    if (const char* v = std::getenv("WHARF_DATABASE_URL"); v && *v) a_database = v;
  // Each admin command says which data directory it works on; only bootstrap (a new instance)
  // and --create make a missing one.
  auto dir_of = [&](CLI::App* c, bool create) {
    return server::ChooseAdminDataDir(a_data_dir, c->count("--data-dir") > 0, create, std::cerr);
  };
  // admin users … and reset-password (admin_users.cc): the use cases on this data directory's store.
  auto with_services = [&](CLI::App* c, const std::function<int(services::Services&)>& fn) -> int {
    auto dir = dir_of(c, false);
    if (!dir) return Fail(dir.error()) + 1;
    return WithAdminServices(*dir, a_database, [&](services::Services& svc, store::Store&) { return fn(svc); });
  };
  if (auto code = users->Run(with_services)) return *code;
  if (auto code = idps->Run(with_services)) return *code;
  for (auto [c, create] : {std::pair{migrate, a_create}, std::pair{rotate, false},
                           std::pair{create_user, a_create}, std::pair{bootstrap, true}, std::pair{reset_2fa, false}}) {
    if (!c->parsed()) continue;
    auto dir = dir_of(c, create);
    if (!dir) return Fail(dir.error()) + 1;  // exit 2: a usage error
    if (c == migrate) return AdminMigrate(dir->string(), a_database);
    if (c == rotate) return AdminRotateMasterKey(dir->string(), a_database);
    if (c == reset_2fa) return AdminResetTwoFactor(dir->string(), a_database, a_email);
    return AdminCreateUser(dir->string(), a_database, a_email, a_name, a_password_file, c == bootstrap);
  }
  return 2;
}
