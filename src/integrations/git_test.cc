#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "base/strings.h"
#include "integrations/git.h"
#include "integrations/github_app.h"

namespace wharf::integrations {
namespace {

std::string FieldMsg(const Error& e, const char* field) { return e.details["fields"].value(field, std::string("<none>")); }

TEST(CloneUrl, EachHostsFormatIsNormalised) {
  auto gl = ParseCloneUrl(*FindTokenHost("gitlab"), "https://gitlab.com", "https://gitlab.com/acme/platform/api.git", "repository");
  ASSERT_TRUE(gl) << gl.error().message;
  EXPECT_EQ(gl->url, "https://gitlab.com/acme/platform/api.git");
  EXPECT_EQ(gl->repository, "acme/platform/api");
  auto rel = ParseCloneUrl(*FindTokenHost("gitlab"), "https://git.example.com/gitlab", "acme/api", "repository");
  ASSERT_TRUE(rel);
  EXPECT_EQ(rel->url, "https://git.example.com/gitlab/acme/api.git");
  auto bb = ParseCloneUrl(*FindTokenHost("bitbucket"), "https://bitbucket.org", "https://bitbucket.org/ws/repo.git", "repository");
  ASSERT_TRUE(bb);
  EXPECT_EQ(bb->repository, "ws/repo");
  auto dc = ParseCloneUrl(*FindTokenHost("bitbucket"), "https://bb.example.com", "https://bb.example.com/scm/PRJ/repo.git", "repository");
  ASSERT_TRUE(dc);
  auto az = ParseCloneUrl(*FindTokenHost("azure_devops"), "https://dev.azure.com", "https://dev.azure.com/org/proj/_git/repo", "repository");
  ASSERT_TRUE(az);
  EXPECT_EQ(az->url, "https://dev.azure.com/org/proj/_git/repo");
  auto gt = ParseCloneUrl(*FindTokenHost("gitea"), "https://gitea.example.com:3000", "https://gitea.example.com:3000/o/r", "repository");
  ASSERT_TRUE(gt);
  EXPECT_EQ(gt->url, "https://gitea.example.com:3000/o/r.git");
}

TEST(CloneUrl, WrongFormatsNameTheFieldAndTheFix) {
  struct Case {
    const char* kind;
    const char* base;
    const char* url;
    const char* says;
  };
  for (const Case& c : std::initializer_list<Case>{
           {"gitlab", "https://gitlab.com", "https://gitlab.com/acme/api/-/tree/main", "web page URL"},
           {"gitlab", "https://gitlab.com", "git@gitlab.com:acme/api.git", "SSH URL"},
           {"gitlab", "https://gitlab.com", "http://gitlab.com/acme/api.git", "https://"},
           {"gitlab", "https://gitlab.com", "https://oauth2:glpat-SECRET@gitlab.com/acme/api.git", "before '@'"},
           {"gitlab", "https://gitlab.com", "https://github.com/acme/api.git", "is on host github.com"},
           {"gitlab", "https://gitlab.com", "https://gitlab.com/api.git", "group and a project"},
           {"bitbucket", "https://bitbucket.org", "https://bitbucket.org/ws/repo/src/main/", "web page URL"},
           {"bitbucket", "https://bitbucket.org", "https://bitbucket.org/ws/team/repo.git", "workspace and a repository"},
           {"gitea", "https://g.example.com", "https://g.example.com/a/b/c.git", "owner and a repository"},
           {"azure_devops", "https://dev.azure.com", "https://dev.azure.com/org/proj/repo", "'/_git/'"},
           {"azure_devops", "https://dev.azure.com", "https://dev.azure.com/proj/_git/repo", "organisation"},
       }) {
    auto r = ParseCloneUrl(*FindTokenHost(c.kind), c.base, c.url, "repository");
    ASSERT_FALSE(r) << c.url;
    std::string m = FieldMsg(r.error(), "repository");
    EXPECT_NE(m.find(c.says), std::string::npos) << c.url << " → " << m;
    EXPECT_EQ(m.find("SECRET"), std::string::npos) << "a token in the URL is never echoed";
  }
}

SecretBytes NewRsaPem(int bits = 2048) {
  EVP_PKEY* key = EVP_RSA_gen(bits);
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  SecretBytes out = SecretBytes::FromString(std::string(data, static_cast<size_t>(len)));
  BIO_free(bio);
  EVP_PKEY_free(key);
  return out;
}

TEST(GithubApp, JwtIsRs256WithBackdatedIatAndShortExp) {
  SecretBytes pem = NewRsaPem();
  ASSERT_TRUE(ValidateGithubPrivateKey(pem, "private_key"));
  auto jwt = MintGithubAppJwt("12345", pem, 1'700'000'000);
  ASSERT_TRUE(jwt);
  auto parts = Split(jwt->view(), '.');
  ASSERT_EQ(parts.size(), 3u);
  std::string header, payload;
  ASSERT_TRUE(Base64UrlDecode(parts[0], &header));
  ASSERT_TRUE(Base64UrlDecode(parts[1], &payload));
  EXPECT_EQ(nlohmann::json::parse(header)["alg"], "RS256");
  auto p = nlohmann::json::parse(payload);
  EXPECT_EQ(p["iss"], 12345);
  EXPECT_EQ(p["iat"], 1'700'000'000 - 60);
  EXPECT_LE(p["exp"].get<int64_t>() - 1'700'000'000, 600);
  EXPECT_FALSE(ValidateGithubPrivateKey(SecretBytes::FromString("not a key"), "private_key"));
  EXPECT_FALSE(ValidateGithubPrivateKey(SecretBytes::FromString("-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n"),
                                        "private_key"));
}

TEST(GithubApp, RepositoryNames) {
  EXPECT_EQ(*ParseGithubRepository("https://github.com/acme/api.git", "repository"), "acme/api");
  EXPECT_EQ(*ParseGithubRepository("acme/api", "repository"), "acme/api");
  EXPECT_FALSE(ParseGithubRepository("acme", "repository"));
  EXPECT_FALSE(ParseGithubRepository("acme/api/extra", "repository"));
}

TEST(GithubApp, GitHostComesFromTheApiUrl) {
  EXPECT_EQ(GithubGitHost("https://api.github.com"), "github.com");
  EXPECT_EQ(GithubGitHost("https://API.GitHub.com/"), "github.com");
  EXPECT_EQ(GithubGitHost("https://ghe.example.com/api/v3"), "ghe.example.com");
  EXPECT_EQ(GithubGitHost("https://127.0.0.1:8443/api/v3"), "127.0.0.1:8443");
  EXPECT_EQ(GithubCloneUrl("https://api.github.com", "acme/api"), "https://github.com/acme/api.git");
  EXPECT_EQ(GithubCloneUrl("https://ghe.example.com/api/v3", "acme/api"), "https://ghe.example.com/acme/api.git");
}

TEST(GithubApp, InstallationTokenFailureNamesTheLayerAndTheFix) {
  SecretBytes pem = NewRsaPem();
  GithubApp app{.api_url = "http://127.0.0.1:1", .app_id = "1", .installation_id = "2", .private_key = &pem};
  app.timeout_ms = 2000;
  app.connect_timeout_ms = 1000;
  GithubTokenCache cache;
  auto t = GithubInstallationToken(app, cache, "git_1", 1'700'000'000'000, "acme/api");
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().layer, Layer::kNetwork);  // nothing listens on port 1: the control plane cannot reach the API
  EXPECT_EQ(t.error().details["check"], "installation");
  EXPECT_FALSE(t.error().details["fix"].get<std::string>().empty());
  SecretBytes bad = SecretBytes::FromString("not a key");
  app.private_key = &bad;
  t = GithubInstallationToken(app, cache, "git_1", 1'700'000'000'000, "acme/api");
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().layer, Layer::kGithubApp);
  EXPECT_EQ(t.error().details["check"], "private_key");
}

TEST(Webhook, GithubSignatureOverTheRawBody) {
  // The example from GitHub's docs ("Validating webhook deliveries"): secret "It's a Secret to
  // Everybody", payload "Hello, World!".
  SecretBytes secret = SecretBytes::FromString("It's a Secret to Everybody");
  std::string sig = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
  WebhookHeaders h{[&](std::string_view n) { return n == "x-hub-signature-256" ? sig : std::string(); }};
  EXPECT_EQ(VerifyWebhookSignature("github_app", h, "Hello, World!", secret).outcome, "accepted");
  EXPECT_EQ(VerifyWebhookSignature("github_app", h, "Hello, World! ", secret).outcome, "bad_signature");
  WebhookHeaders none{[](std::string_view) { return std::string(); }};
  EXPECT_EQ(VerifyWebhookSignature("github_app", none, "Hello, World!", secret).outcome, "missing_signature");
  WebhookHeaders gitea{[&](std::string_view n) { return n == "x-gitea-signature" ? sig.substr(7) : std::string(); }};
  EXPECT_EQ(VerifyWebhookSignature("gitea", gitea, "Hello, World!", secret).outcome, "accepted");
  WebhookHeaders gl{[](std::string_view n) { return n == "x-gitlab-token" ? std::string("It's a Secret to Everybody") : std::string(); }};
  EXPECT_EQ(VerifyWebhookSignature("gitlab", gl, "{}", secret).outcome, "accepted");
}

}  // namespace
}  // namespace wharf::integrations
