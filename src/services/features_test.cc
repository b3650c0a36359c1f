// One use case per feature class, on the real SQLite store (temp file) with a fake node
// executor (services/testing/fake_nodes.h): nothing here opens a socket, and whatever would have
// reached a worker node is asserted through the fake. services_test.cc covers the flows in depth.
#include <gtest/gtest.h>

#include <filesystem>
#include <unistd.h>

#include "services/testing/services_fixture.h"

namespace wharf::services {
namespace {

using domain::Collection;
namespace fs = std::filesystem;

class FeaturesTest : public testing::ServicesFixture<http_client::DisabledMailer> {
 protected:
  void SetUp() override {
    Config c;
    c.signup_policy = Config::SignupPolicy::kOpen;
    c.allow_private_targets = true;  // the fake node's host is 127.0.0.1
    ASSERT_NO_FATAL_FAILURE(StartServices("features", c));
    auto g = svc_->auth().Signup({"ada@example.test", "Ada", SecretBytes::FromString("correct-horse-battery"), {}}, ctx_);
    ASSERT_TRUE(g) << g.error().message;
    auto who = svc_->auth().Authenticate(g->token.view(), ctx_);
    ASSERT_TRUE(who);
    who_ = **who;
    auto p = svc_->auth().ResolvePrincipal(who_, g->org->slug, ctx_);
    ASSERT_TRUE(p);
    p_ = *p;
  }

  // A saved server (its checks answered by the fake) with a generated key.
  domain::Server Server() {
    auto key = svc_->ssh_keys().AddSshKey(p_, {.name = "deploy", .generate = "ed25519"}, ctx_);
    EXPECT_TRUE(key) << key.error().message;
    ServerInput in;
    in.name = "node-1";
    in.host = "127.0.0.1";
    in.username = "root";
    in.ssh_key_id = key->id;
    auto s = svc_->servers().CreateServer(p_, in, ctx_);
    EXPECT_TRUE(s) << s.error().message;
    return *s;
  }
  // An application on Server() with a postgres service.
  std::pair<domain::Application, ServiceView> Database() {
    auto srv = Server();
    auto app = svc_->applications().CreateApplication(p_, Collection::kApplications, {"shop", std::nullopt, srv.id}, ctx_);
    EXPECT_TRUE(app) << app.error().message;
    ServiceInput db;
    db.name = "db";
    db.type = "database";
    db.engine = "postgres";
    auto s = svc_->app_services().CreateService(p_, app->id, db, ctx_);
    EXPECT_TRUE(s) << s.error().message;
    return {*app, *s};
  }

  Authenticated who_;
  authz::Principal p_;
};

TEST_F(FeaturesTest, AuthSignsInAndOutWithTheSameCredentialCache) {
  auto g = svc_->auth().Login("ada@example.test", SecretBytes::FromString("correct-horse-battery"), ctx_);
  ASSERT_TRUE(g) << g.error().message;
  auto who = svc_->auth().Authenticate(g->token.view(), ctx_);
  ASSERT_TRUE(who);
  ASSERT_TRUE(svc_->auth().Logout(**who, ctx_));
  auto after = svc_->auth().Authenticate(g->token.view(), ctx_);
  ASSERT_FALSE(after);
  EXPECT_EQ(after.error().code, ErrorCode::kUnauthenticated);
}

TEST_F(FeaturesTest, RolesListTheBuiltInsAndTeamInvitesWithOne) {
  auto roles = svc_->roles().ListRoles(p_, ctx_);
  ASSERT_TRUE(roles) << roles.error().message;
  ASSERT_FALSE(roles->empty());
  EXPECT_TRUE(roles->front().role.builtin);  // the Admin role comes first
  RoleInput reader;
  reader.name = "Reader";
  reader.permissions = domain::Permissions{};
  auto role = svc_->roles().CreateRole(p_, reader, ctx_);
  ASSERT_TRUE(role) << role.error().message;
  auto inv = svc_->team().Invite(p_, "bob@example.test", role->role.id, /*send_email=*/false, ctx_);
  ASSERT_TRUE(inv) << inv.error().message;
  EXPECT_FALSE(inv->link.empty());
  auto peek = svc_->team().PeekInvitation(inv->link.substr(inv->link.rfind('/') + 1));
  ASSERT_TRUE(peek) << peek.error().message;
  EXPECT_EQ(peek->email, "bob@example.test");
}

TEST_F(FeaturesTest, SshKeysGenerateAPairWhosePublicHalfIsDownloadable) {
  auto key = svc_->ssh_keys().AddSshKey(p_, {.name = "ci", .generate = "ed25519"}, ctx_);
  ASSERT_TRUE(key) << key.error().message;
  auto pub = svc_->ssh_keys().SshPublicKey(p_, key->id, ctx_);
  ASSERT_TRUE(pub);
  EXPECT_EQ(pub->rfind("ssh-ed25519 ", 0), 0u) << *pub;
}

TEST_F(FeaturesTest, SecurityGroupsRefuseAChangeThatWouldCloseSshFromWharf) {
  SecurityGroupInput in;
  in.name = "web";
  in.inbound = std::vector<domain::RuleInput>{{"ssh", std::nullopt, std::nullopt, std::nullopt, "0.0.0.0/0", ""}};
  auto g = svc_->security_groups().CreateSecurityGroup(p_, in, ctx_);
  ASSERT_TRUE(g) << g.error().message;
  auto key = svc_->ssh_keys().AddSshKey(p_, {.name = "deploy", .generate = "ed25519"}, ctx_);
  ASSERT_TRUE(key);
  ServerInput s;
  s.name = "node-1";
  s.host = "127.0.0.1";
  s.username = "root";
  s.ssh_key_id = key->id;
  s.security_group_ids = std::vector<std::string>{g->group.id};
  ASSERT_TRUE(svc_->servers().CreateServer(p_, s, ctx_));
  SecurityGroupInput closed;
  closed.inbound = std::vector<domain::RuleInput>{};
  auto st = svc_->security_groups().UpdateSecurityGroup(p_, g->group.id, closed, ctx_);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ErrorCode::kConflict);
  EXPECT_EQ(st.error().details.value("reason", ""), "ssh_lockout");
}

TEST_F(FeaturesTest, ServersAreCheckedThroughTheNodeExecutorAndPinTheHostKey) {
  nodes_.report = testing::FakeNodes::Healthy("SHA256:pinned");
  auto srv = Server();
  EXPECT_EQ(srv.host_key_fingerprint, "SHA256:pinned");
  EXPECT_EQ(srv.status, "healthy");
  nodes_.report = testing::FakeNodes::Refused();
  auto out = svc_->servers().CheckServer(p_, srv.id, ctx_);
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_FALSE(out->ok);
  EXPECT_EQ(out->report["checks"][1]["code"], "connection_refused");
  EXPECT_EQ(nodes_.checked_hosts().size(), 2u);
}

TEST_F(FeaturesTest, JobsOfAServerAreReadAndCancelledThroughIt) {
  auto srv = Server();
  auto job = svc_->servers().OnboardServer(p_, srv.id, ctx_);
  ASSERT_TRUE(job) << job.error().message;
  auto read = svc_->jobs().GetJob(p_, job->id, ctx_);
  ASSERT_TRUE(read);
  EXPECT_EQ(read->kind, "onboard");
  auto cancelled = svc_->jobs().CancelJob(p_, job->id, ctx_);
  ASSERT_TRUE(cancelled) << cancelled.error().message;
  EXPECT_EQ(cancelled->status, "cancelled");  // never started: no worker runs in this test
}

TEST_F(FeaturesTest, RegistriesSealThePasswordAndIntegrationsNeverShowIt) {
  RegistryInput in;
  in.name = "ghcr";
  in.host = "ghcr.io";
  in.username = "acme";
  in.password = SecretBytes::FromString("registry-password-1");
  auto row = svc_->registries().CreateDockerRegistry(p_, std::move(in), ctx_);
  ASSERT_TRUE(row) << row.error().message;
  auto got = svc_->integrations().GetIntegration(p_, kDockerRegistries, row->id, ctx_);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->Field("host"), "ghcr.io");
  for (auto& [k, v] : got->sealed) EXPECT_EQ(v.find("registry-password-1"), std::string::npos) << k;
}

TEST_F(FeaturesTest, GitProvidersAnswerNotFoundForAnUnknownWebhook) {
  WebhookRequest req{[](std::string_view) { return std::string(); }, "{}"};
  auto out = svc_->git_providers().ReceiveGitWebhook("git_missing", req, ctx_);
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().code, ErrorCode::kNotFound);
}

TEST_F(FeaturesTest, BackupStorageIsRefusedForBackupsUntilVerified) {
  BackupStorageInput in;
  in.name = "backups";
  in.endpoint = "http://127.0.0.1:1";
  in.region = "us-east-1";
  in.bucket = "acme-backups";
  in.access_key_id = "AKIDEXAMPLE";
  in.secret_access_key = SecretBytes::FromString("unit-test-secret-value");
  auto row = svc_->backup_storage().CreateBackupStorage(p_, std::move(in), ctx_);
  ASSERT_TRUE(row) << row.error().message;
  auto v = svc_->backup_storage().RequireVerifiedBackupStorage(p_, row->id, ctx_);
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().layer, Layer::kBackupStorage);
}

TEST_F(FeaturesTest, CloudAccountsAreCreatedAndDeleted) {
  CloudAccountInput in;
  in.name = "prod";
  in.provider = "aws";
  in.access_key_id = "AKIAIOSFODNN7EXAMPLE";
  in.region = "eu-west-1";
  in.secret_access_key = SecretBytes::FromString("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
  auto row = svc_->cloud_accounts().CreateCloudAccount(p_, std::move(in), ctx_);
  ASSERT_TRUE(row) << row.error().message;
  EXPECT_EQ(row->Field("region"), "eu-west-1");
  ASSERT_TRUE(svc_->cloud_accounts().DeleteCloudAccount(p_, row->id, ctx_));
}

TEST_F(FeaturesTest, ApplicationsAndAppServicesHoldADatabaseWithSealedCredentials) {
  auto [app, db] = Database();
  EXPECT_EQ(db.service.type, "database");
  EXPECT_TRUE(db.credentials_set);
  auto del = svc_->applications().DeleteApplication(p_, Collection::kApplications, app.id, ctx_);
  ASSERT_FALSE(del);  // it still has a service
  EXPECT_EQ(del.error().code, ErrorCode::kConflict);
}

TEST_F(FeaturesTest, DeploymentsStoreTheActionOnceAndQueueAJobOnTheServer) {
  auto [app, db] = Database();
  auto d = svc_->deployments().StartDeployment(p_, app.id, db.service.id, DeployAction::kRedeploy, ctx_);
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(d->action, "redeploy");
  EXPECT_EQ(d->trigger, "redeploy");
  auto job = svc_->jobs().GetJob(p_, d->id, ctx_);
  ASSERT_TRUE(job);
  EXPECT_EQ(job->kind, "deploy");
  EXPECT_EQ(job->target_id, app.server_id);
  EXPECT_FALSE(nlohmann::json::parse(job->payload).contains("action"));
  EXPECT_TRUE(nodes_.commands().empty());  // nothing ran: the job waits for a worker
  auto bad = ParseDeployAction("reboot");
  ASSERT_FALSE(bad);
  EXPECT_TRUE(bad.error().details["fields"].contains("action"));
}

TEST_F(FeaturesTest, BackupsOfADatabaseAreQueuedAsJobs) {
  auto [app, db] = Database();
  auto b = svc_->backups().CreateBackup(p_, app.id, db.service.id, {.storage = "internal"}, ctx_);
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ(b->job.kind, "backup");
  auto list = svc_->backups().ListBackups(p_, app.id, db.service.id, ctx_);
  ASSERT_TRUE(list);
  EXPECT_EQ(list->size(), 1u);
}

TEST_F(FeaturesTest, TemplatesSaveAnApplicationsServicesWithoutSecrets) {
  auto [app, db] = Database();
  auto t = svc_->templates().CreateTemplate(p_, {"shop", std::nullopt, app.id}, ctx_);
  ASSERT_TRUE(t) << t.error().message;
  auto got = svc_->templates().GetTemplate(p_, t->id, ctx_);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->name, "shop");
}

TEST_F(FeaturesTest, DiagnoseRunsTheServerChecksThroughTheExecutor) {
  auto srv = Server();
  nodes_.report = testing::FakeNodes::Refused();
  DiagnoseInput in;
  in.server_id = srv.id;
  auto d = svc_->diagnose().Diagnose(p_, in, ctx_);
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_FALSE(d->checklist.empty());
  bool tcp_failed = false;
  for (auto& c : d->checklist) tcp_failed |= c.name == "tcp" && c.status == "failed";
  EXPECT_TRUE(tcp_failed);
}

TEST_F(FeaturesTest, SupportBundleIsATarForAdmins) {
  auto tar = svc_->support().SupportBundle(p_, {}, ctx_);
  ASSERT_TRUE(tar) << tar.error().message;
  EXPECT_EQ(tar->rfind("manifest.json", 0), 0u);
}

TEST_F(FeaturesTest, DeleteOrgRefusedWhileAServerRemainsNamesIt) {
  auto srv = Server();
  auto refused = svc_->account().DeleteOrg(p_, p_.org_slug, ctx_);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kConflict);
  EXPECT_EQ(refused.error().details["servers"], nlohmann::json::array({"node-1"}));
  EXPECT_NE(refused.error().message.find("node-1"), std::string::npos);
  auto wrong = svc_->account().DeleteOrg(p_, "not-the-slug", ctx_);
  ASSERT_FALSE(wrong);
  EXPECT_TRUE(wrong.error().details["fields"].contains("confirm"));
  ASSERT_TRUE(svc_->servers().DeleteServer(p_, srv.id, ctx_));
  ASSERT_TRUE(svc_->account().DeleteOrg(p_, p_.org_slug, ctx_));
  EXPECT_FALSE(svc_->auth().ResolvePrincipal(who_, p_.org_slug, ctx_));
}

}  // namespace
}  // namespace wharf::services

namespace wharf::services {
namespace {

// `dokku logs` lines: Dokku's colour codes removed, time and process split off; a secret split
// across two reads is still redacted, and a line ends only at its newline.
TEST(RuntimeLogsTest, LinesAreParsedAndSecretsRedactedAcrossReads) {
  LogStream st({"tok-Very-Secret-42"});
  st.Push("\x1b[36m2026-12-06T20:03:17.123456789Z app[web.1]:\x1b[0m said: tok-Very-Se");
  bool ended = false;
  std::string error;
  EXPECT_TRUE(st.Take(&ended, &error).empty());
  st.Push("cret-42 ok\nplain line without prefix\npartial");
  auto lines = st.Take(&ended, &error);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].ts, "2026-12-06T20:03:17.123456789Z");
  EXPECT_EQ(lines[0].process, "web.1");
  EXPECT_EQ(lines[0].text, "said: [redacted] ok");
  EXPECT_EQ(lines[1].process, "");
  EXPECT_EQ(lines[1].text, "plain line without prefix");
  EXPECT_FALSE(ended);
  st.Finish("");
  lines = st.Take(&ended, &error);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].text, "partial");
  EXPECT_TRUE(ended);
  EXPECT_EQ(error, "");
}

// The rollback preview names keys, never values.
TEST(ReleasesTest, DiffNamesKeysOnly) {
  domain::Release a, b;
  a.source_kind = b.source_kind = "image";
  a.repository = b.repository = "r.example/app";
  a.image_digest = "sha256:aa";
  b.image_digest = "sha256:bb";
  a.domains = R"(["a.example.com"])";
  b.domains = R"(["b.example.com"])";
  auto d = releases::Diff(a, {{"KEEP", "same"}, {"GONE", "x-secret-1"}, {"MOVED", "old-secret"}}, b,
                          {{"KEEP", "same"}, {"MOVED", "new-secret"}, {"NEW", "y-secret-2"}});
  EXPECT_EQ(d["variables"]["added"], nlohmann::json({"NEW"}));
  EXPECT_EQ(d["variables"]["removed"], nlohmann::json({"GONE"}));
  EXPECT_EQ(d["variables"]["changed"], nlohmann::json({"MOVED"}));
  EXPECT_EQ(d["domains"]["added"], nlohmann::json({"b.example.com"}));
  EXPECT_EQ(d["source"]["to"]["image_digest"], "sha256:bb");
  const std::string text = d.dump();
  for (const char* v : {"x-secret-1", "old-secret", "new-secret", "y-secret-2"}) EXPECT_EQ(text.find(v), std::string::npos);
}

}  // namespace
}  // namespace wharf::services
