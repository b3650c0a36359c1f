#include "services/services.h"

namespace wharf::services {

Services::Services(Deps deps, Config config)
    : core_(deps, std::move(config)),
      integrations_(core_),
      notifications_(core_, integrations_),
      node_access_(core_),
      team_(core_),
      auth_(core_, team_),
      second_factor_(core_, auth_),
      sso_(core_, auth_),
      sso_only_(core_, auth_),
      cli_login_(core_, auth_),
      account_(core_, auth_),
      roles_(core_),
      ssh_keys_(core_),
      security_groups_(core_, integrations_, node_access_),
      servers_(core_, node_access_),
      jobs_(core_),
      registries_(core_, integrations_),
      git_providers_(core_, integrations_),
      backup_storage_(core_, integrations_),
      cloud_accounts_(core_, integrations_),
      reverification_(core_, registries_, git_providers_, cloud_accounts_, backup_storage_),
      applications_(core_),
      app_services_(core_, integrations_, registries_, git_providers_),
      deployments_(core_, app_services_, node_access_, integrations_),
      releases_(core_, app_services_, deployments_),
      runtime_logs_(core_, app_services_, node_access_),
      backups_(core_, node_access_, backup_storage_),
      templates_(core_, app_services_, deployments_),
      diagnose_(core_, integrations_, servers_, registries_, git_providers_, backup_storage_, cloud_accounts_),
      support_(core_, diagnose_) {
  // A verified push deploys the services that follow its branch.
  git_providers_.SetPushHandler([this](const GitPush& push) { return deployments_.DeployOnPush(push); });
}

Services::~Services() {
  Stop();
  core_.store.WatchInvalidations(nullptr);  // other replicas' invalidations stop reaching Auth
}

void Services::StartJobWorkers() {
  servers_.RegisterOnboardJobs();
  deployments_.RegisterDeploymentJobs();
  backups_.RegisterBackupJobs();
  notifications_.RegisterNotificationJobs();
  if (core_.config.enable_test_jobs) jobs_.RegisterTestJobs();
  core_.queue.Start();
}

void Services::StartScheduler() {
  scheduler_.AddTask("health_checks", [this] { servers_.RunDueHealthChecks(); });
  scheduler_.AddTask("backup_schedules", [this] { backups_.RunDueBackupSchedules(); });
  scheduler_.AddTask("notification_retries", [this] { notifications_.RunDueRetries(); });
  scheduler_.AddTask("credential_expiry", [this] { notifications_.RunExpiryWarnings(); });
  // Off the scheduler thread: a verification may wait seconds on a host that does not answer.
  scheduler_.AddTask("integration_verify", [this] { reverification_.StartDueVerifications(); });
  scheduler_.Start();
}

void Services::Stop() {
  scheduler_.Stop();
  reverification_.Stop();
  core_.queue.Stop();
}

}  // namespace wharf::services
