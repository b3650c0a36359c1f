#include <gtest/gtest.h>

#include "domain/permissions.h"
#include "domain/validate.h"

namespace wharf::domain {
namespace {

using nlohmann::json;

TEST(PermissionsTest, ParsesWireFormAndRoundTrips) {
  json j = json::parse(R"({"servers": {"create": true, "read": true, "create_limit": 3, "read_scope": "own"},
                            "team": {"read": true}})");
  auto p = ParsePermissions(j, "permissions");
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_TRUE((*p)[Collection::kServers].create);
  EXPECT_FALSE((*p)[Collection::kServers].update);
  EXPECT_EQ((*p)[Collection::kServers].create_limit, 3u);
  EXPECT_EQ((*p)[Collection::kServers].read_scope, ReadScope::kOwn);
  EXPECT_FALSE((*p)[Collection::kSshKeys].read);
  auto again = ParsePermissions(PermissionsToJson(*p), "permissions");
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, *p);
}

TEST(PermissionsTest, UnknownCollectionNamesTheField) {
  auto p = ParsePermissions(json::parse(R"({"serverz": {"read": true}})"), "permissions");
  ASSERT_FALSE(p);
  EXPECT_TRUE(p.error().details["fields"].contains("permissions.serverz"));
  auto q = ParsePermissions(json::parse(R"({"servers": {"read": "yes"}})"), "permissions");
  ASSERT_FALSE(q);
  EXPECT_TRUE(q.error().details["fields"].contains("permissions.servers.read"));
  auto r = ParsePermissions(json::parse(R"({"servers": {"execute": true}})"), "permissions");
  ASSERT_FALSE(r);
}

TEST(PermissionsTest, FirstNotCoveredByFindsEscalation) {
  Permissions holder;
  holder[Collection::kServers] = Grant{true, true, false, false, 0, ReadScope::kAll};
  Permissions wanted;
  wanted[Collection::kServers].read = true;
  EXPECT_FALSE(wanted.FirstNotCoveredBy(holder));
  wanted[Collection::kServers].del = true;
  EXPECT_EQ(wanted.FirstNotCoveredBy(holder), "servers.delete");
  EXPECT_FALSE(wanted.FirstNotCoveredBy(Permissions::All()));

  Permissions limited;  // holder may create only 2; granting unlimited create escalates.
  limited[Collection::kSshKeys] = Grant{true, true, false, false, 2, ReadScope::kOwn};
  Permissions grant;
  grant[Collection::kSshKeys] = Grant{true, true, false, false, 0, ReadScope::kOwn};
  EXPECT_TRUE(grant.FirstNotCoveredBy(limited));
  grant[Collection::kSshKeys].create_limit = 2;
  EXPECT_FALSE(grant.FirstNotCoveredBy(limited));
  grant[Collection::kSshKeys].read_scope = ReadScope::kAll;
  EXPECT_TRUE(grant.FirstNotCoveredBy(limited));
}

TEST(ValidateTest, Slugs) {
  EXPECT_TRUE(ValidateSlug("acme", "slug"));
  EXPECT_TRUE(ValidateSlug("a-1", "slug"));
  EXPECT_FALSE(ValidateSlug("ab", "slug"));
  EXPECT_FALSE(ValidateSlug("-abc", "slug"));
  EXPECT_FALSE(ValidateSlug("abc-", "slug"));
  EXPECT_FALSE(ValidateSlug("ABC", "slug"));
  EXPECT_FALSE(ValidateSlug(std::string(41, 'a'), "slug"));
  EXPECT_TRUE(ValidateSlug(SlugFromName("Ada's Team!"), "slug"));
  EXPECT_EQ(SlugFromName("Ada's Team!"), "ada-s-team");
  EXPECT_TRUE(ValidateSlug(SlugFromName("é"), "slug"));
}

TEST(ValidateTest, Emails) {
  EXPECT_EQ(*NormalizeEmail("  Ada@Example.COM ", "email"), "ada@example.com");
  for (auto bad : {"", "ada", "ada@", "@x.com", "a@b@c.com", "a b@c.com", "a@c", "a@.c.com", "a@c..com"})
    EXPECT_FALSE(NormalizeEmail(bad, "email")) << bad;
}

TEST(ValidateTest, SshPublicKey) {
  // ssh-keygen -t ed25519 output (public half only).
  const char* ed = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl ada@laptop";
  auto k = ParseSshPublicKey(ed, "public_key");
  ASSERT_TRUE(k) << k.error().message;
  EXPECT_EQ(k->type, "ssh-ed25519");
  EXPECT_EQ(k->blob.size(), 51u);
  EXPECT_FALSE(ParseSshPublicKey("ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl",
                                 "public_key"));
  EXPECT_FALSE(ParseSshPublicKey("ssh-ed25519 !!!!", "public_key"));
  EXPECT_FALSE(ParseSshPublicKey("ssh-dss AAAA", "public_key"));
  EXPECT_FALSE(ParseSshPublicKey("ssh-ed25519 AAAA\nssh-ed25519 AAAA", "public_key"));
}

}  // namespace
}  // namespace wharf::domain
