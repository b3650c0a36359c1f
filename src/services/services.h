// The use cases, one small class per feature (services/<feature>.h), owned here and reached
// through accessors. Each use case authorizes (authz::Check), validates, writes in one store
// transaction and appends an audit event, for denied attempts too (services/core.h).
//
//   services::Services svc(deps, config);
//   WHARF_ASSIGN_OR_RETURN(auto who, svc.auth().Authenticate(bearer, ctx));
//   WHARF_ASSIGN_OR_RETURN(authz::Principal p, svc.auth().ResolvePrincipal(*who, "acme", ctx));
//   WHARF_ASSIGN_OR_RETURN(auto key, svc.ssh_keys().CreateSshKey(p, {.name = "ci", .public_key = pk}, ctx));
//
// Inputs arrive already shape-checked (JSON types, unknown fields) by the api layer; the semantic
// validation (lengths, formats, references) happens in the features and names the field on
// failure. The job queue (jobs::Queue) and the periodic scheduler (jobs::Scheduler) live in
// src/jobs; this class registers the features' job handlers and scheduler tasks with them.
//
// Thread-safety: every accessor and use case is safe to call concurrently. SetPublicUrl,
// StartJobWorkers and StartScheduler are called once by `wharf serve` before serving requests.
#pragma once

#include "jobs/scheduler.h"
#include "services/account.h"
#include "services/app_services.h"
#include "services/applications.h"
#include "services/auth.h"
#include "services/backup_storage.h"
#include "services/backups.h"
#include "services/cloud_accounts.h"
#include "services/core.h"
#include "services/deployments.h"
#include "services/diagnose.h"
#include "services/git_providers.h"
#include "services/integrations.h"
#include "services/jobs.h"
#include "services/node_access.h"
#include "services/notifications.h"
#include "services/registries.h"
#include "services/releases.h"
#include "services/reverification.h"
#include "services/roles.h"
#include "services/second_factor.h"
#include "services/runtime_logs.h"
#include "services/security_groups.h"
#include "services/servers.h"
#include "services/ssh_keys.h"
#include "services/sso.h"
#include "services/sso_only.h"
#include "services/cli_login.h"
#include "services/support.h"
#include "services/team.h"
#include "services/templates.h"

namespace wharf::services {

class Services {
 public:
  // Subscribes to the store's cross-process invalidations (Auth); the destructor stops the job
  // workers and the scheduler first (Stop), then unsubscribes.
  Services(Deps deps, Config config);
  ~Services();
  Services(const Services&) = delete;
  Services& operator=(const Services&) = delete;

  const Config& config() const { return core_.config; }
  // Sets the public URL used in invitation links. Call before serving requests (not thread-safe).
  void SetPublicUrl(std::string url) { core_.config.public_url = std::move(url); }
  // For operator commands that check targets as `serve` would (not thread-safe either).
  void SetAllowPrivateTargets(bool on) { core_.config.allow_private_targets = on; }
  bool Ready() { return core_.store.Ready(); }
  bool email_enabled() const { return core_.mailer.enabled(); }

  // Registers every job kind (onboard, deploy, backup, backup_restore; with
  // config.enable_test_jobs, sleep) and starts config.job_workers workers and the lease
  // heartbeat. Jobs left running by a replica that died are taken over once their lease expired.
  void StartJobWorkers();
  // Registers a handler of another kind (tests); see jobs::Queue::RegisterHandler.
  void RegisterJobHandler(std::string kind, JobHandler fn) { core_.queue.RegisterHandler(std::move(kind), std::move(fn)); }
  void WakeJobWorkers() { core_.queue.Wake(); }
  // Starts the scheduler thread: due health checks, scheduled backups, notification retries,
  // credential expiry warnings and integration re-verifications, about once a second.
  void StartScheduler();
  // Stops the scheduler and the job workers (running jobs go back to the queue). Idempotent.
  void Stop();

  Auth& auth() { return auth_; }
  SecondFactor& second_factor() { return second_factor_; }
  Sso& sso() { return sso_; }
  SsoOnly& sso_only() { return sso_only_; }
  CliLogin& cli_login() { return cli_login_; }
  Account& account() { return account_; }
  Team& team() { return team_; }
  Roles& roles() { return roles_; }
  SshKeys& ssh_keys() { return ssh_keys_; }
  SecurityGroups& security_groups() { return security_groups_; }
  Servers& servers() { return servers_; }
  Jobs& jobs() { return jobs_; }
  Integrations& integrations() { return integrations_; }
  Notifications& notifications() { return notifications_; }
  Registries& registries() { return registries_; }
  GitProviders& git_providers() { return git_providers_; }
  BackupStorage& backup_storage() { return backup_storage_; }
  CloudAccounts& cloud_accounts() { return cloud_accounts_; }
  Reverification& reverification() { return reverification_; }
  // Outbound checks in flight per org, shared with the HTTP server (api::ServerOptions::outbound_slots).
  OutboundSlots& outbound_slots() { return core_.outbound; }
  Applications& applications() { return applications_; }
  AppServices& app_services() { return app_services_; }
  Deployments& deployments() { return deployments_; }
  Releases& releases() { return releases_; }
  RuntimeLogs& runtime_logs() { return runtime_logs_; }
  Backups& backups() { return backups_; }
  Templates& templates() { return templates_; }
  Diagnostics& diagnose() { return diagnose_; }
  Support& support() { return support_; }

 private:
  // Declaration order is construction order: each feature after the ones it builds on.
  Core core_;
  Integrations integrations_;
  Notifications notifications_;
  NodeAccess node_access_;
  Team team_;
  Auth auth_;
  SecondFactor second_factor_;
  Sso sso_;
  SsoOnly sso_only_;
  CliLogin cli_login_;
  Account account_;
  Roles roles_;
  SshKeys ssh_keys_;
  SecurityGroups security_groups_;
  Servers servers_;
  Jobs jobs_;
  Registries registries_;
  GitProviders git_providers_;
  BackupStorage backup_storage_;
  CloudAccounts cloud_accounts_;
  Reverification reverification_;
  Applications applications_;
  AppServices app_services_;
  Deployments deployments_;
  Releases releases_;
  RuntimeLogs runtime_logs_;
  Backups backups_;
  Templates templates_;
  Diagnostics diagnose_;
  Support support_;
  jobs::Scheduler scheduler_;
};

}  // namespace wharf::services
