// SqlTx<Q>: one transaction of a SQL backend, handing out the repositories of src/store/sql over
// its connection (see query.h for what Q provides). Internal to src/store: the SQLite and
// PostgreSQL stores construct one per Write/Read on the connection that runs it.
//
// Adding a repository: its interface in the store/*_repositories.h group it belongs to, its class
// template in the matching sql/*_repos.h, a member here, its table to store/migrations.cc, its
// columns (sql/columns.h) and row decoder (sql/rows.h), and its table to store::DataTables().
#pragma once

#include "store/sql/access_repos.h"
#include "store/sql/app_repos.h"
#include "store/sql/identity_repos.h"
#include "store/sql/job_repos.h"
#include "store/sql/notification_repos.h"
#include "store/sql/server_repos.h"

namespace wharf::store::sql {

template <class Q>
class SqlTx final : public Tx {
 public:
  using Connection = typename Q::Connection;
  explicit SqlTx(Connection& c)
      : conn_(c), users_(c), orgs_(c), roles_(c), memberships_(c), sessions_(c), api_tokens_(c), account_tokens_(c), invitations_(c),
        ssh_keys_(c), security_groups_(c), servers_(c), jobs_(c), integrations_(c), audit_(c), applications_(c),
        app_services_(c), templates_(c), deployments_(c), second_factors_(c), sso_(c), releases_(c), notifications_(c) {}
  UserRepository& users() override { return users_; }
  OrgRepository& orgs() override { return orgs_; }
  RoleRepository& roles() override { return roles_; }
  MembershipRepository& memberships() override { return memberships_; }
  SessionRepository& sessions() override { return sessions_; }
  ApiTokenRepository& api_tokens() override { return api_tokens_; }
  AccountTokenRepository& account_tokens() override { return account_tokens_; }
  InvitationRepository& invitations() override { return invitations_; }
  SshKeyRepository& ssh_keys() override { return ssh_keys_; }
  SecurityGroupRepository& security_groups() override { return security_groups_; }
  ServerRepository& servers() override { return servers_; }
  JobRepository& jobs() override { return jobs_; }
  IntegrationRepository& integrations() override { return integrations_; }
  AuditRepository& audit() override { return audit_; }
  ApplicationRepository& applications() override { return applications_; }
  AppServiceRepository& app_services() override { return app_services_; }
  TemplateRepository& templates() override { return templates_; }
  DeploymentRepository& deployments() override { return deployments_; }
  SecondFactorRepository& second_factors() override { return second_factors_; }
  SsoRepository& sso() override { return sso_; }
  ReleaseRepository& releases() override { return releases_; }
  NotificationRepository& notifications() override { return notifications_; }
  Connection& conn() { return conn_; }

 private:
  Connection& conn_;
  Users<Q> users_;
  Orgs<Q> orgs_;
  Roles<Q> roles_;
  Memberships<Q> memberships_;
  Sessions<Q> sessions_;
  ApiTokens<Q> api_tokens_;
  AccountTokens<Q> account_tokens_;
  Invitations<Q> invitations_;
  SshKeys<Q> ssh_keys_;
  SecurityGroups<Q> security_groups_;
  Servers<Q> servers_;
  Jobs<Q> jobs_;
  Integrations<Q> integrations_;
  Audit<Q> audit_;
  Applications<Q> applications_;
  AppServices<Q> app_services_;
  Templates<Q> templates_;
  Deployments<Q> deployments_;
  SecondFactors<Q> second_factors_;
  Sso<Q> sso_;
  Releases<Q> releases_;
  Notifications<Q> notifications_;
};

}  // namespace wharf::store::sql
