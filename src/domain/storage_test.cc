#include "domain/storage.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace wharf::domain {
namespace {

TEST(Storage, EndpointIsBlankForAwsOrABaseUrl) {
  EXPECT_EQ(*ValidateS3Endpoint("", "endpoint"), "");
  EXPECT_EQ(*ValidateS3Endpoint("  https://ACCT.r2.cloudflarestorage.com/ ", "endpoint"), "https://acct.r2.cloudflarestorage.com");
  EXPECT_EQ(*ValidateS3Endpoint("http://127.0.0.1:9000", "endpoint"), "http://127.0.0.1:9000");
  EXPECT_EQ(*ValidateS3Endpoint("https://[::1]:9000", "endpoint"), "https://[::1]:9000");
  EXPECT_EQ(S3EndpointHost("http://127.0.0.1:9000"), "127.0.0.1:9000");
  for (const char* bad : {"s3.amazonaws.com", "ftp://x", "https://", "https://host/bucket", "https://h?x=1",
                          "https://user:pw@host", "https://host:0", "https://host:70000", "https://bad_host", "https://h:"}) {
    auto r = ValidateS3Endpoint(bad, "endpoint");
    ASSERT_FALSE(r) << bad;
    EXPECT_TRUE(r.error().details["fields"].contains("endpoint")) << bad;
  }
}

TEST(Storage, BucketNamesFollowS3Rules) {
  const std::vector<std::string> good = {"abc", "acme-backups", "my.bucket.2", std::string(63, 'a')};
  for (const auto& ok : good) EXPECT_TRUE(ValidateBucketName(ok, "bucket")) << ok;
  const std::vector<std::string> bad = {"", "ab", "Acme", "acme_backups", "-acme", "acme-", "a..b", "192.168.5.4",
                                        "xn--abc", "sthree-x", "my-s3alias", "x--ol-s3", std::string(64, 'a'), "acme backups"};
  for (const auto& b : bad) EXPECT_FALSE(ValidateBucketName(b, "bucket")) << b;
}

TEST(Storage, PrefixIsAFolderPath) {
  EXPECT_EQ(*NormalizeStoragePrefix("", "prefix"), "");
  EXPECT_EQ(*NormalizeStoragePrefix("/wharf/db", "prefix"), "wharf/db/");
  EXPECT_EQ(*NormalizeStoragePrefix("wharf/", "prefix"), "wharf/");
  EXPECT_EQ(*NormalizeStoragePrefix("équipe/sauvegardes", "prefix"), "équipe/sauvegardes/");
  for (const char* bad : {"a//b", "a/../b", "./a", "a?b", "a#b", "a\\b", "a\nb"}) EXPECT_FALSE(NormalizeStoragePrefix(bad, "prefix")) << bad;
  EXPECT_FALSE(NormalizeStoragePrefix(std::string(600, 'a'), "prefix"));
}

TEST(Storage, RegionAndKeyId) {
  EXPECT_TRUE(ValidateStorageRegion("eu-central-1", "region"));
  EXPECT_TRUE(ValidateStorageRegion("auto", "region"));
  EXPECT_FALSE(ValidateStorageRegion("", "region"));
  EXPECT_FALSE(ValidateStorageRegion("EU West", "region"));
  EXPECT_TRUE(ValidateAccessKeyId("AKIAIOSFODNN7EXAMPLE", "access_key_id"));
  EXPECT_FALSE(ValidateAccessKeyId("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "access_key_id")) << "a secret pasted in the wrong field";
  EXPECT_FALSE(ValidateAccessKeyId("ab", "access_key_id"));
}

}  // namespace
}  // namespace wharf::domain
