// The PostgreSQL repositories: one class per store.h interface, each over one connection that is
// inside a transaction (internal to store/postgres). Adding a repository: declare its class
// here, implement it in pg_repositories.cc, add it to PgTx, its table to store/migrations.cc,
// its columns and row decoder to store/rows.h, and its table to store::DataTables().
#pragma once

#include "store/postgres/pg_conn.h"
#include "store/store.h"

namespace wharf::store::pg {

#define WHARF_PG_REPO(Name, Iface)          \
  class Name final : public Iface {         \
   public:                                  \
    explicit Name(Conn& c) : c_(c) {}       \
                                            \
   private:                                 \
    Conn& c_;                               \
                                            \
   public:

WHARF_PG_REPO(PgUsers, UserRepository)
  Status Insert(const User& u) override;
  Result<std::optional<User>> FindById(std::string_view id) override;
  Result<std::optional<User>> FindByEmail(std::string_view email_lower) override;
  Result<int64_t> Count() override;
  Status Update(const User& u) override;
};

WHARF_PG_REPO(PgOrgs, OrgRepository)
  Status Insert(const Org& o) override;
  Result<std::optional<Org>> FindBySlug(std::string_view slug) override;
  Result<std::optional<Org>> FindById(std::string_view id) override;
  Status Update(const Org& o) override;
  Result<std::vector<Org>> ListAll() override;
  Status UpdateDataKey(std::string_view org_id, std::string_view wrapped_data_key) override;
};

WHARF_PG_REPO(PgRoles, RoleRepository)
  Status Insert(const Role& r) override;
  Result<std::optional<Role>> Find(std::string_view org_id, std::string_view id) override;
  Result<std::optional<Role>> FindAdmin(std::string_view org_id) override;
  Result<std::vector<Role>> List(std::string_view org_id) override;
  Status Update(const Role& r) override;
  Result<bool> Delete(std::string_view org_id, std::string_view id) override;
};

WHARF_PG_REPO(PgMemberships, MembershipRepository)
  Status Insert(const Membership& m) override;
  Result<std::optional<Membership>> Find(std::string_view org_id, std::string_view user_id) override;
  Result<std::vector<MemberRow>> ListForOrg(std::string_view org_id, const PageQuery& page) override;
  Result<std::vector<MemberRow>> ListByRole(std::string_view org_id, std::string_view role_id) override;
  Result<std::vector<Membership>> ListForUser(std::string_view user_id) override;
  Status UpdateRole(std::string_view org_id, std::string_view user_id, std::string_view role_id) override;
  Result<bool> Delete(std::string_view org_id, std::string_view user_id) override;
  Result<int64_t> CountForOrg(std::string_view org_id) override;
  Result<int64_t> CountByRole(std::string_view org_id, std::string_view role_id) override;
  Status ReassignRole(std::string_view org_id, std::string_view from_role_id, std::string_view to_role_id) override;
};

WHARF_PG_REPO(PgSessions, SessionRepository)
  Status Insert(const Session& s) override;
  Result<std::optional<Session>> FindActive(std::string_view token_hash, Timestamp now) override;
  Result<std::vector<Session>> ListActiveForUser(std::string_view user_id, Timestamp now) override;
  Status Revoke(std::string_view id, Timestamp at) override;
  Status RevokeAllForUser(std::string_view user_id, Timestamp at) override;
};

WHARF_PG_REPO(PgApiTokens, ApiTokenRepository)
  Status Insert(const ApiToken& t) override;
  Result<std::optional<ApiToken>> FindByHash(std::string_view token_hash) override;
  Result<std::vector<ApiToken>> ListForUser(std::string_view user_id) override;
  Result<bool> Revoke(std::string_view user_id, std::string_view id, Timestamp at) override;
};

WHARF_PG_REPO(PgInvitations, InvitationRepository)
  Status Insert(const Invitation& i) override;
  Result<std::optional<Invitation>> Find(std::string_view org_id, std::string_view id) override;
  Result<std::optional<Invitation>> FindByTokenHash(std::string_view token_hash) override;
  Result<std::vector<Invitation>> ListPending(std::string_view org_id, Timestamp now, const PageQuery& page) override;
  Result<int64_t> CountPending(std::string_view org_id, Timestamp now) override;
  Result<std::optional<Invitation>> FindPendingByEmail(std::string_view org_id, std::string_view email,
                                                       Timestamp now) override;
  Status Update(const Invitation& i) override;
};

WHARF_PG_REPO(PgSshKeys, SshKeyRepository)
  Status Insert(const SshKey& k) override;
  Result<std::optional<SshKey>> Find(std::string_view org_id, std::string_view id) override;
  Result<std::vector<SshKey>> List(std::string_view org_id, const PageQuery& page) override;
  Status Visit(std::string_view org_id, const PageQuery& page,
               const std::function<void(const domain::SshKeyView&)>& fn) override;
  Status Update(const SshKey& k) override;
  Result<bool> Delete(std::string_view org_id, std::string_view id) override;
  Result<int64_t> CountCreatedBy(std::string_view org_id, std::string_view user_id) override;

 private:
  Status RunList(Query& q, std::string_view org_id, const PageQuery& page);
};

WHARF_PG_REPO(PgSecurityGroups, SecurityGroupRepository)
  Status Insert(const SecurityGroup& g) override;
  Result<std::optional<SecurityGroup>> Find(std::string_view org_id, std::string_view id) override;
  Result<std::vector<SecurityGroup>> List(std::string_view org_id, const PageQuery& page) override;
  Status Update(const SecurityGroup& g) override;
  Result<bool> Delete(std::string_view org_id, std::string_view id) override;
  Result<int64_t> CountCreatedBy(std::string_view org_id, std::string_view user_id) override;
};

WHARF_PG_REPO(PgServers, ServerRepository)
  Status Insert(const Server& s) override;
  Result<std::optional<Server>> Find(std::string_view org_id, std::string_view id) override;
  Result<std::vector<Server>> List(std::string_view org_id, const PageQuery& page) override;
  Status Update(const Server& s) override;
  Result<bool> Delete(std::string_view org_id, std::string_view id) override;
  Result<int64_t> CountCreatedBy(std::string_view org_id, std::string_view user_id) override;
  Result<std::vector<Server>> ListUsingKey(std::string_view org_id, std::string_view key_id) override;
  Result<std::vector<Server>> ListUsingGroup(std::string_view org_id, std::string_view group_id) override;
  Result<std::vector<Server>> ListDue(Timestamp now, int limit) override;
  Status RecordCheck(const Server& s, const ServerCheck& c, int keep) override;
  Result<std::vector<ServerCheck>> ListChecks(std::string_view org_id, std::string_view server_id, int limit) override;
};

WHARF_PG_REPO(PgJobs, JobRepository)
  Status Insert(const Job& j) override;
  Result<std::optional<Job>> Find(std::string_view org_id, std::string_view id) override;
  Result<std::optional<Job>> FindTail(std::string_view org_id, std::string_view id, size_t offset) override;
  Status AppendLog(std::string_view id, std::string_view text) override;
  Status TrimLog(std::string_view id, size_t max_bytes) override;
  Result<std::vector<Job>> ListForTarget(std::string_view org_id, std::string_view target_id, int limit) override;
  Result<std::optional<Job>> Claim(const JobClaim& c) override;
  Result<std::optional<bool>> Heartbeat(std::string_view id, std::string_view replica_id, int64_t attempts,
                                        Timestamp lease_until) override;
  Result<bool> Finish(const Job& j, std::string_view replica_id, int64_t attempts) override;
  Result<std::optional<Job>> RequestCancel(std::string_view org_id, std::string_view id, Timestamp now) override;
};

WHARF_PG_REPO(PgIntegrations, IntegrationRepository)
  Status Insert(const domain::Integration& i) override;
  Result<std::optional<domain::Integration>> Find(std::string_view org_id, std::string_view kind, std::string_view id) override;
  Result<std::optional<domain::Integration>> FindByDedupeKey(std::string_view org_id, std::string_view kind,
                                                             std::string_view dedupe_key) override;
  Result<std::vector<domain::Integration>> List(std::string_view org_id, std::string_view kind, const PageQuery& page) override;
  Status Update(const domain::Integration& i) override;
  Status RecordVerification(const domain::Integration& i) override;
  Result<std::optional<domain::Integration>> FindAnyOrg(std::string_view kind, std::string_view id) override;
  Result<std::vector<domain::Integration>> ListExpiring(std::string_view org_id, Timestamp before, int limit) override;
  Result<bool> RememberWebhookDelivery(std::string_view provider_id, std::string_view key, Timestamp at) override;
  Result<int64_t> PruneWebhookDeliveries(Timestamp before) override;
  Result<bool> Delete(std::string_view org_id, std::string_view kind, std::string_view id) override;
  Result<int64_t> CountCreatedBy(std::string_view org_id, std::string_view kind, std::string_view user_id) override;
};

WHARF_PG_REPO(PgAudit, AuditRepository)
  Result<int64_t> Append(const AuditEvent& e) override;
  Result<std::vector<AuditEvent>> List(std::string_view org_id, int64_t before_id, int limit) override;
};

WHARF_PG_REPO(PgApplications, ApplicationRepository)
  Status Insert(const domain::Application& a) override;
  Result<std::optional<domain::Application>> Find(std::string_view org_id, std::string_view id) override;
  Result<std::vector<domain::Application>> List(std::string_view org_id, const PageQuery& page) override;
  Status Update(const domain::Application& a) override;
  Result<bool> Delete(std::string_view org_id, std::string_view id) override;
  Result<int64_t> CountCreatedBy(std::string_view org_id, std::string_view user_id) override;
};

WHARF_PG_REPO(PgAppServices, AppServiceRepository)
  Status Insert(const domain::AppService& s) override;
  Result<std::optional<domain::AppService>> Find(std::string_view org_id, std::string_view id) override;
  Result<std::vector<domain::AppService>> ListForApplication(std::string_view org_id, std::string_view application_id) override;
  Status Update(const domain::AppService& s) override;
  Result<bool> Delete(std::string_view org_id, std::string_view id) override;
  Result<int64_t> CountCreatedBy(std::string_view org_id, std::string_view user_id) override;
};

WHARF_PG_REPO(PgTemplates, TemplateRepository)
  Status Insert(const domain::AppTemplate& t) override;
  Result<std::optional<domain::AppTemplate>> Find(std::string_view org_id, std::string_view id) override;
  Result<std::vector<domain::AppTemplate>> List(std::string_view org_id, const PageQuery& page) override;
  Status Update(const domain::AppTemplate& t) override;
  Result<bool> Delete(std::string_view org_id, std::string_view id) override;
  Result<int64_t> CountCreatedBy(std::string_view org_id, std::string_view user_id) override;
};

WHARF_PG_REPO(PgDeployments, DeploymentRepository)
  Status Insert(const domain::Deployment& d) override;
  Result<std::optional<domain::Deployment>> Find(std::string_view org_id, std::string_view id) override;
  Result<std::vector<domain::Deployment>> List(std::string_view org_id, std::string_view application_id,
                                               std::string_view service_id, const PageQuery& page) override;
  Status SetOutcome(std::string_view org_id, std::string_view id, std::string_view commit_sha,
                    std::string_view error_layer, std::string_view error_fix) override;
};

#undef WHARF_PG_REPO

class PgTx final : public Tx {
 public:
  explicit PgTx(Conn& c)
      : conn_(c), users_(c), orgs_(c), roles_(c), memberships_(c), sessions_(c), api_tokens_(c), invitations_(c),
        ssh_keys_(c), security_groups_(c), servers_(c), jobs_(c), integrations_(c), audit_(c),
        applications_(c), app_services_(c), templates_(c), deployments_(c) {}
  ApplicationRepository& applications() override { return applications_; }
  AppServiceRepository& app_services() override { return app_services_; }
  TemplateRepository& templates() override { return templates_; }
  DeploymentRepository& deployments() override { return deployments_; }
  UserRepository& users() override { return users_; }
  OrgRepository& orgs() override { return orgs_; }
  RoleRepository& roles() override { return roles_; }
  MembershipRepository& memberships() override { return memberships_; }
  SessionRepository& sessions() override { return sessions_; }
  ApiTokenRepository& api_tokens() override { return api_tokens_; }
  InvitationRepository& invitations() override { return invitations_; }
  SshKeyRepository& ssh_keys() override { return ssh_keys_; }
  SecurityGroupRepository& security_groups() override { return security_groups_; }
  ServerRepository& servers() override { return servers_; }
  JobRepository& jobs() override { return jobs_; }
  IntegrationRepository& integrations() override { return integrations_; }
  AuditRepository& audit() override { return audit_; }
  Conn& conn() { return conn_; }

 private:
  Conn& conn_;
  PgUsers users_;
  PgOrgs orgs_;
  PgRoles roles_;
  PgMemberships memberships_;
  PgSessions sessions_;
  PgApiTokens api_tokens_;
  PgInvitations invitations_;
  PgSshKeys ssh_keys_;
  PgSecurityGroups security_groups_;
  PgServers servers_;
  PgJobs jobs_;
  PgIntegrations integrations_;
  PgAudit audit_;
  PgApplications applications_;
  PgAppServices app_services_;
  PgTemplates templates_;
  PgDeployments deployments_;
};

}  // namespace wharf::store::pg
