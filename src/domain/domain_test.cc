#include <gtest/gtest.h>
#include <unistd.h>

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

// The nftables ruleset is checked by the real nft, in a network namespace of its own.
#include <cstdio>
#include <fstream>

#include "domain/firewall.h"

namespace wharf::domain {
namespace {
TEST(Firewall, RulesetLoadsIntoRealNftablesWithEveryProtocolAndFamily) {
  SecurityGroup g{"sg_1", "org", "web \"edge\"", "", {}, {}, 0, 0, "u"};
  g.inbound = {{"ssh", "tcp", 22, 22, "203.0.113.0/24", "admins"},
               {"dns", "udp", 53, 53, "0.0.0.0/0", ""},
               {"custom-tcp", "tcp", 8000, 8100, "2001:db8::/32", ""},
               {"icmp", "icmp", 0, 0, "0.0.0.0/0", ""},
               {"icmpv6", "icmpv6", 0, 0, "::/0", ""},
               {"all-traffic", "all", 0, 0, "10.0.0.0/8", "vpc"}};
  g.outbound = {{"all-traffic", "all", 0, 0, "0.0.0.0/0", ""}, {"all-traffic", "all", 0, 0, "::/0", ""}};
  std::string script = NftRuleset({g});
  char path[] = "/tmp/wharf-nft-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  std::ofstream(path) << script;
  std::string cmd = std::string("unshare --net sh -c 'nft -f ") + path + " && nft -f " + path + " && nft list table inet wharf' 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int st = pclose(p);
  unlink(path);
  ASSERT_EQ(st, 0) << out << "\n" << script;
  EXPECT_NE(out.find("ip saddr 203.0.113.0/24 tcp dport 22 accept comment \"web edge: admins\""), std::string::npos) << out;
  EXPECT_NE(out.find("udp dport 53 accept"), std::string::npos);
  EXPECT_NE(out.find("ip6 saddr 2001:db8::/32 tcp dport 8000-8100 accept"), std::string::npos);
  EXPECT_NE(out.find("ip saddr 10.0.0.0/8 accept"), std::string::npos);
  EXPECT_NE(out.find("policy drop"), std::string::npos);
}
}  // namespace
}  // namespace wharf::domain
