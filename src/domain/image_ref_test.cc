// Image references parse exactly as Docker's distribution/reference does (cases taken from its
// normalize_test.go and reference_test.go), and every malformed one names what is wrong.
#include "domain/image_ref.h"

#include <gtest/gtest.h>

namespace wharf::domain {
namespace {

const std::string kHex = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

struct Good {
  std::string in, domain, path, tag, digest, full;
};

TEST(ImageRef, ParsesLikeDocker) {
  const Good cases[] = {
      {"nginx", "docker.io", "library/nginx", "latest", "", "docker.io/library/nginx:latest"},
      {"nginx:1.27", "docker.io", "library/nginx", "1.27", "", "docker.io/library/nginx:1.27"},
      {"library/nginx", "docker.io", "library/nginx", "latest", "", "docker.io/library/nginx:latest"},
      {"docker.io/nginx", "docker.io", "library/nginx", "latest", "", "docker.io/library/nginx:latest"},
      {"index.docker.io/nginx", "docker.io", "library/nginx", "latest", "", "docker.io/library/nginx:latest"},
      {"bitnami/redis:7.2", "docker.io", "bitnami/redis", "7.2", "", "docker.io/bitnami/redis:7.2"},
      {"ghcr.io/owner/app:v1", "ghcr.io", "owner/app", "v1", "", "ghcr.io/owner/app:v1"},
      {"quay.io/a/b/c", "quay.io", "a/b/c", "latest", "", "quay.io/a/b/c:latest"},
      {"localhost/app", "localhost", "app", "latest", "", "localhost/app:latest"},
      {"localhost:5000/app:dev", "localhost:5000", "app", "dev", "", "localhost:5000/app:dev"},
      {"localhost:5000", "docker.io", "library/localhost", "5000", "", "docker.io/library/localhost:5000"},
      {"127.0.0.1:5000/a/b:Tag_1", "127.0.0.1:5000", "a/b", "Tag_1", "", "127.0.0.1:5000/a/b:Tag_1"},
      {"[::1]:5000/app", "[::1]:5000", "app", "latest", "", "[::1]:5000/app:latest"},
      {"Example.com/app", "Example.com", "app", "latest", "", "Example.com/app:latest"},
      {"Foo/bar", "Foo", "bar", "latest", "", "Foo/bar:latest"},  // an uppercase first part is a domain
      {"registry.digitalocean.com/team/api:2", "registry.digitalocean.com", "team/api", "2", "",
       "registry.digitalocean.com/team/api:2"},
      {"a__b/c--d/e.f_g", "docker.io", "a__b/c--d/e.f_g", "latest", "", "docker.io/a__b/c--d/e.f_g:latest"},
      {"nginx@sha256:" + kHex, "docker.io", "library/nginx", "", "sha256:" + kHex,
       "docker.io/library/nginx@sha256:" + kHex},
      {"ghcr.io/o/a:v1@sha256:" + kHex, "ghcr.io", "o/a", "v1", "sha256:" + kHex, "ghcr.io/o/a:v1@sha256:" + kHex},
  };
  for (const auto& c : cases) {
    auto r = ParseImageRef(c.in, "image");
    ASSERT_TRUE(r.has_value()) << c.in << ": " << r.error().message;
    EXPECT_EQ(r->domain, c.domain) << c.in;
    EXPECT_EQ(r->path, c.path) << c.in;
    EXPECT_EQ(r->tag, c.tag) << c.in;
    EXPECT_EQ(r->digest, c.digest) << c.in;
    EXPECT_EQ(r->String(), c.full) << c.in;
  }
}

struct Bad {
  std::string in, says;
};

TEST(ImageRef, MalformedReferencesNameWhatIsWrong) {
  const Bad cases[] = {
      {"", "is required"},
      {kHex, "64-character hexadecimal"},
      {"Nginx", "'library/Nginx' must be lowercase"},
      {"docker.io/Library/nginx", "must be lowercase"},
      {"localhost:5000/App", "'App' must be lowercase"},
      {"nginx:", "no tag"},
      {"nginx:-bad", "the tag '-bad'"},
      {"nginx:" + std::string(129, 'a'), "longer than 128"},
      {"nginx@sha256:abc", "must be algorithm:hex"},
      {"nginx@sha256:" + kHex.substr(0, 63) + "0a", "65"},
      {"nginx@md5:" + kHex, "'md5' is not supported"},
      {"nginx@sha256:" + std::string(64, 'A'), "lowercase hex"},
      {"https://ghcr.io/owner/app", "scheme"},
      {"ghcr.io//app", "empty path component"},
      {"ghcr.io/app/", "empty path component"},
      {"ghcr.io/a-/b", "'a-'"},
      {"my image", "whitespace"},
      {"-host.com/app", "'-host.com' is not a valid host"},
      {"ghcr.io/" + std::string(256, 'a'), "longer than 255"},
  };
  for (const auto& c : cases) {
    auto r = ParseImageRef(c.in, "image");
    ASSERT_FALSE(r.has_value()) << c.in << " parsed as " << r->String();
    EXPECT_EQ(r.error().code, ErrorCode::kValidationFailed) << c.in;
    std::string msg = r.error().details.dump();
    EXPECT_NE(msg.find(c.says), std::string::npos) << c.in << " → " << msg;
    EXPECT_NE(msg.find("\"image\""), std::string::npos) << c.in << " names the field";
  }
}

TEST(ImageRef, RegistryHosts) {
  EXPECT_EQ(NormalizeRegistryHost("Registry-1.Docker.io"), "docker.io");
  EXPECT_EQ(RegistryApiHost("docker.io"), "registry-1.docker.io");
  EXPECT_EQ(RegistryApiHost("ghcr.io"), "ghcr.io");
  for (std::string ok : {"docker.io", "ghcr.io", "quay.io", "registry.digitalocean.com", "127.0.0.1:5000",
                         "registry.example.com:443", "[::1]:5000", "localhost"}) {
    auto r = ValidateRegistryHost(ok, "host");
    EXPECT_TRUE(r.has_value()) << ok;
  }
  EXPECT_EQ(*ValidateRegistryHost("index.docker.io", "host"), "docker.io");
  for (std::string bad : {"", "https://ghcr.io", "ghcr.io/owner", "bad_host", "host:99999", "host:"}) {
    auto r = ValidateRegistryHost(bad, "host");
    EXPECT_FALSE(r.has_value()) << bad;
  }
}

}  // namespace
}  // namespace wharf::domain
