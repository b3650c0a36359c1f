#include "integrations/registry.h"

#include <gtest/gtest.h>

namespace wharf::integrations {
namespace {

TEST(Challenge, ParsesDockerHubStyleBearer) {
  auto c = ParseChallenge(
      R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull")");
  EXPECT_EQ(c.scheme, "bearer");
  EXPECT_EQ(c.Param("realm"), "https://auth.docker.io/token");
  EXPECT_EQ(c.Param("service"), "registry.docker.io");
  EXPECT_EQ(c.Param("scope"), "repository:library/nginx:pull");
}

TEST(Challenge, ParsesBasicAndInsufficientScope) {
  EXPECT_EQ(ParseChallenge(R"(Basic realm="Registry Realm")").Param("realm"), "Registry Realm");
  auto c = ParseChallenge(R"(Bearer realm="http://x/t", error="insufficient_scope", scope="repository:a:pull,push")");
  EXPECT_EQ(c.Param("error"), "insufficient_scope");
  EXPECT_EQ(c.Param("scope"), "repository:a:pull,push");
  EXPECT_EQ(ParseChallenge("").scheme, "");
}

TEST(VerifyPull, NoAnswerIsANetworkFailureAndTheRestIsSkipped) {
  SecretBytes pw = SecretBytes::FromString("s3cret-password");
  RegistryProbe p{.host = "127.0.0.1:1", .repository = "a/b", .reference = "latest", .username = "u", .password = &pw,
                  .connect_timeout_ms = 2000, .timeout_ms = 3000};
  auto r = VerifyPull(p);
  ASSERT_EQ(r.report.checks.size(), 3u);
  EXPECT_EQ(r.report.checks[0].layer, "network");
  EXPECT_EQ(r.report.checks[1].status, "skipped");
  EXPECT_FALSE(r.report.ok());
  for (auto& c : r.report.checks) EXPECT_EQ(c.message.find("s3cret"), std::string::npos);
}

}  // namespace
}  // namespace wharf::integrations
