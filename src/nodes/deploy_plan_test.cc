// The deploy plan: which Dokku steps, in which order, what is skipped when the node already has
// it, and that no display line carries a secret.
#include "nodes/deploy_plan.h"

#include <gtest/gtest.h>

namespace wharf::nodes::deploy {
namespace {

using V = std::vector<std::string>;

std::vector<std::string> Commands(const std::vector<PlannedStep>& steps) {
  std::vector<std::string> out;
  for (const auto& s : steps) {
    size_t i = s.step.argv.size() > 1 && s.step.argv[1] == "--force" ? 2 : 1;
    out.push_back(s.step.argv[i]);
  }
  return out;
}

Service GitApp() {
  Service s;
  s.app = "shop-web";
  s.kind = Kind::kGit;
  s.git = {.url = "https://git.example.com:8443/acme/web.git", .ref = "main", .auth_host = "git.example.com",
           .auth_username = "deploy", .auth_token = "glpat-SECRET-token"};
  s.variables = {{"DATABASE_URL", "postgres://postgres:pw-SECRET@dokku-postgres-shop-db:5432/shop_db"},
                 {"API_KEY", "k3y-SECRET"}};
  s.removed_keys = {"OLD_KEY", "API_KEY"};
  s.domains = {"shop.example.com"};
  s.letsencrypt = true;
  s.ports = {"http:80:5000"};
  s.databases = {{"postgres", "shop-db"}};
  return s;
}

TEST(DeployPlan, DokkuNameIsApplicationDashServiceAndValid) {
  EXPECT_EQ(*DokkuName("shop", "web"), "shop-web");
  EXPECT_EQ(*DokkuName("My Shop!", "web"), "my-shop-web");
  EXPECT_EQ(*DokkuName("--A__b--", "db"), "a-b-db");
  EXPECT_FALSE(DokkuName("", "web"));
  EXPECT_FALSE(DokkuName("shop", "---"));
  auto long_name = DokkuName(std::string(40, 'a'), std::string(40, 'b'));
  ASSERT_FALSE(long_name);
  EXPECT_NE(long_name.error().message.find("Shorten"), std::string::npos);
}

TEST(DeployPlan, GitDeployOnAFreshNodeRunsEveryStepInOrder) {
  NodeState node;
  node.databases = {{"postgres", "shop-db"}};
  auto steps = Plan(GitApp(), Action::kDeploy, node);
  ASSERT_TRUE(steps) << steps.error().message;
  EXPECT_EQ(Commands(*steps), (V{"apps:create", "postgres:link", "config:unset", "config:set", "domains:set", "ports:set",
                                 "git:auth", "git:sync", "letsencrypt:enable"}));
  // A removed key that is set again is not unset.
  EXPECT_EQ((*steps)[2].step.argv, (V{"dokku", "config:unset", "--no-restart", "shop-web", "OLD_KEY"}));
  EXPECT_EQ((*steps)[7].step.argv,
            (V{"dokku", "git:sync", "--build", "shop-web", "https://git.example.com:8443/acme/web.git", "main"}));
  EXPECT_EQ((*steps)[7].layer, Layer::kGitToken);
  EXPECT_NE((*steps)[7].fix.find("token"), std::string::npos);
  EXPECT_EQ((*steps)[1].step.argv, (V{"dokku", "postgres:link", "shop-db", "shop-web"}));
}

TEST(DeployPlan, NoDisplayLineCarriesASecret) {
  NodeState node;
  node.databases = {{"postgres", "shop-db"}};
  auto s = GitApp();
  auto steps = Plan(s, Action::kDeploy, node);
  ASSERT_TRUE(steps);
  for (const auto& st : *steps)
    for (const auto& secret : s.Secrets()) EXPECT_EQ(st.step.display.find(secret), std::string::npos) << st.step.display;
  EXPECT_EQ(s.Secrets().size(), 3u);
}

TEST(DeployPlan, RedeployOnANodeThatHasItSkipsCreateAndLink) {
  NodeState node;
  node.app_exists = true;
  node.databases = {{"postgres", "shop-db"}};
  node.links = {{"shop-db", "shop-web"}};
  auto s = GitApp();
  s.removed_keys.clear();
  s.git.auth_host.clear();
  auto steps = Plan(s, Action::kDeploy, node);
  ASSERT_TRUE(steps);
  EXPECT_EQ(Commands(*steps), (V{"config:set", "domains:set", "ports:set", "git:sync", "letsencrypt:enable"}));
}

TEST(DeployPlan, TheLastDomainRemovedIsClearedOnTheNode) {
  NodeState node;
  node.app_exists = true;
  node.databases = {{"postgres", "shop-db"}};
  node.links = {{"shop-db", "shop-web"}};
  auto s = GitApp();
  s.removed_keys.clear();
  s.git.auth_host.clear();
  s.domains.clear();
  s.clear_domains = true;
  auto steps = Plan(s, Action::kDeploy, node);
  ASSERT_TRUE(steps);
  EXPECT_EQ(Commands(*steps), (V{"config:set", "domains:clear", "ports:set", "git:sync"}));
  s.clear_domains = false;  // never had domains: nothing to clear
  steps = Plan(s, Action::kDeploy, node);
  ASSERT_TRUE(steps);
  EXPECT_EQ(Commands(*steps), (V{"config:set", "ports:set", "git:sync"}));
}

TEST(DeployPlan, AReferencedDatabaseMustBeOnTheNodeFirst) {
  auto steps = Plan(GitApp(), Action::kDeploy, NodeState{});
  ASSERT_FALSE(steps);
  EXPECT_EQ(steps.error().code, ErrorCode::kConflict);
  EXPECT_NE(steps.error().message.find("deploy the database service first"), std::string::npos);
}

TEST(DeployPlan, BadKeysAndSourcesAreRefusedBeforeAnyStep) {
  NodeState node;
  node.databases = {{"postgres", "shop-db"}};
  auto s = GitApp();
  s.variables.push_back({"BAD-KEY", "x"});
  auto r = Plan(s, Action::kDeploy, node);
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().details["fields"].contains("variables.BAD-KEY"));
  s = GitApp();
  s.git.url = "ssh://git@example.com/a.git";
  EXPECT_FALSE(Plan(s, Action::kDeploy, node));
  s = GitApp();
  s.git.auth_host = "other.example.com";
  r = Plan(s, Action::kDeploy, node);
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().details["fields"].contains("git_provider_id"));
}

TEST(DeployPlan, ImageWithRegistryCredentialLogsInThroughStdin) {
  Service s;
  s.app = "shop-api";
  s.kind = Kind::kImage;
  s.image = {.image = "registry.example.com/acme/api:1.2", .registry_server = "registry.example.com",
             .registry_username = "bot", .registry_password = "reg-SECRET"};
  auto steps = Plan(s, Action::kDeploy, NodeState{.app_exists = true});
  ASSERT_TRUE(steps);
  EXPECT_EQ(Commands(*steps), (V{"registry:login", "git:from-image"}));
  EXPECT_EQ((*steps)[0].step.stdin_data, "reg-SECRET");
  EXPECT_EQ((*steps)[0].layer, Layer::kRegistry);
  for (const auto& st : *steps)
    for (const auto& a : st.step.argv) EXPECT_EQ(a.find("reg-SECRET"), std::string::npos);
}

// Dokku's git:from-image of the image the app already runs aborts ("No changes detected"), so a
// deploy that changes only variables rebuilds; another digest deploys from the image.
TEST(DeployPlan, TheImageTheAppAlreadyRunsIsRebuiltNotDeployedAgain) {
  Service s;
  s.app = "shop-api";
  s.kind = Kind::kImage;
  s.image = {.image = "registry.example.com/acme/api@sha256:" + std::string(64, 'a')};
  s.variables = {{"MODE", "two"}};
  NodeState node{.app_exists = true};
  node.source_image = s.image.image;
  auto steps = Plan(s, Action::kDeploy, node);
  ASSERT_TRUE(steps);
  EXPECT_EQ(Commands(*steps), (V{"config:set", "ps:rebuild"}));
  EXPECT_EQ(steps->back().step.display, "dokku ps:rebuild shop-api");
  node.source_image = "registry.example.com/acme/api@sha256:" + std::string(64, 'b');
  steps = Plan(s, Action::kDeploy, node);
  ASSERT_TRUE(steps);
  EXPECT_EQ(Commands(*steps), (V{"config:set", "git:from-image"}));
  // A fresh app has no source yet: always from the image.
  node = NodeState{};
  node.source_image = s.image.image;
  steps = Plan(s, Action::kDeploy, node);
  ASSERT_TRUE(steps);
  EXPECT_EQ(Commands(*steps), (V{"apps:create", "config:set", "git:from-image"}));
}

TEST(DeployPlan, ANodeTooOldForAStepIsRefusedBeforeAnyStepRuns) {
  Service s;
  s.app = "shop-api";
  s.kind = Kind::kImage;
  s.image = {.image = "registry.example.com/acme/api:1.2", .registry_server = "registry.example.com",
             .registry_username = "bot", .registry_password = "reg-SECRET"};
  NodeState node{.app_exists = true};
  node.dokku_version = "0.35.12";
  node.server_name = "node-1";
  auto r = Plan(s, Action::kDeploy, node);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kConflict);
  EXPECT_EQ(r.error().message.rfind("node-1 runs Dokku 0.35.12; private-registry images", 0), 0u) << r.error().message;
  EXPECT_NE(r.error().message.find("need 0.38.0 or later: onboard the server again to upgrade"), std::string::npos);
  EXPECT_TRUE(r.error().details.contains("fix"));
  node.dokku_version = "0.38.0";
  EXPECT_TRUE(Plan(s, Action::kDeploy, node));
  // Without a registry login, 0.35.12 deploys the same image.
  s.image.registry_server.clear();
  node.dokku_version = "0.35.12";
  EXPECT_TRUE(Plan(s, Action::kDeploy, node));
  // ports:set needs 0.31.0.
  s.ports = {"http:80:5000"};
  node.dokku_version = "0.30.9";
  r = Plan(s, Action::kDeploy, node);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("need 0.31.0"), std::string::npos);
}

TEST(DeployPlan, DatabaseCreatesWithThePasswordAndLinksIntoExistingApps) {
  Service s;
  s.app = "shop-db";
  s.kind = Kind::kDatabase;
  s.database = {.kind = "postgres", .version = "16", .password = "pw-SECRET", .link_apps = {"shop-web", "shop-worker"}};
  NodeState node;
  node.apps = {"shop-web"};
  auto steps = Plan(s, Action::kDeploy, node);
  ASSERT_TRUE(steps);
  ASSERT_EQ(Commands(*steps), (V{"postgres:create", "postgres:link"}));
  EXPECT_EQ((*steps)[0].step.argv,
            (V{"dokku", "postgres:create", "shop-db", "--image-version", "16", "--password", "pw-SECRET"}));
  EXPECT_EQ((*steps)[0].step.display.find("pw-SECRET"), std::string::npos);
  node.app_exists = true;
  node.links = {{"shop-db", "shop-web"}};
  steps = Plan(s, Action::kDeploy, node);
  ASSERT_TRUE(steps);
  EXPECT_TRUE(steps->empty());
  steps = Plan(s, Action::kDestroy, node);
  ASSERT_TRUE(steps);
  EXPECT_EQ(Commands(*steps), (V{"postgres:unlink", "postgres:destroy"}));
}

TEST(DeployPlan, RestartStopDestroy) {
  auto s = GitApp();
  EXPECT_EQ(Commands(*Plan(s, Action::kRestart, {})), V{"ps:restart"});
  EXPECT_EQ(Commands(*Plan(s, Action::kStop, {})), V{"ps:stop"});
  EXPECT_EQ(Commands(*Plan(s, Action::kDestroy, {.app_exists = true})), V{"apps:destroy"});
  EXPECT_TRUE(Plan(s, Action::kDestroy, {})->empty());
  EXPECT_EQ(*ParseAction("redeploy"), Action::kDeploy);
  EXPECT_FALSE(ParseAction("explode"));
}

}  // namespace
}  // namespace wharf::nodes::deploy
