#include "base/address.h"

#include <gtest/gtest.h>

#include <set>

namespace wharf {
namespace {

// One address inside every row of the special-purpose table, and the row it must be refused by.
struct RowCase {
  const char* ip;
  const char* cidr;
};
constexpr RowCase kRowCases[] = {
    {"0.1.2.3", "0.0.0.0/8"},
    {"10.20.30.40", "10.0.0.0/8"},
    {"100.127.255.254", "100.64.0.0/10"},
    {"127.0.0.1", "127.0.0.0/8"},
    {"169.254.169.254", "169.254.0.0/16"},  // cloud metadata
    {"172.31.0.1", "172.16.0.0/12"},
    {"192.0.0.170", "192.0.0.0/24"},
    {"192.0.2.1", "192.0.2.0/24"},
    {"192.88.99.1", "192.88.99.0/24"},
    {"192.168.1.1", "192.168.0.0/16"},
    {"198.19.255.1", "198.18.0.0/15"},
    {"198.51.100.7", "198.51.100.0/24"},
    {"203.0.113.9", "203.0.113.0/24"},
    {"239.255.255.250", "224.0.0.0/4"},
    {"255.255.255.255", "255.255.255.255/32"},
    {"250.1.1.1", "240.0.0.0/4"},
    {"::", "::/128"},
    {"::1", "::1/128"},
    {"::ffff:10.0.0.1", "::ffff:0:0/96"},  // checked as the embedded IPv4 address
    {"::7f00:1", "::/96"},                 // ::127.0.0.1, IPv4-compatible
    {"64:ff9b::a9fe:a9fe", "64:ff9b::/96"},  // NAT64 of 169.254.169.254
    {"64:ff9b:1::8.8.8.8", "64:ff9b:1::/48"},
    {"100::1", "100::/64"},
    {"2001:db8::1", "2001:db8::/32"},
    {"2001:0:4136:e378::1", "2001::/23"},  // Teredo
    {"2002:c0a8:0101::1", "2002::/16"},   // 6to4 of 192.168.1.1
    {"3fff::1", "3fff::/20"},
    {"5f00::1", "5f00::/16"},
    {"fd12:3456::1", "fc00::/7"},
    {"fe80::1", "fe80::/10"},
    {"fec0::1", "fec0::/10"},
    {"ff02::1", "ff00::/8"},
};

TEST(SpecialPurposeAddressTest, EveryRowOfTheTableRefusesAnAddressInside) {
  std::set<std::string_view> covered;
  for (const auto& c : kRowCases) {
    EXPECT_TRUE(IsSpecialPurposeAddress(c.ip)) << c.ip << " (" << c.cidr << ") was allowed";
    covered.insert(c.cidr);
  }
  for (const auto& row : SpecialPurposeBlocks())
    EXPECT_TRUE(covered.count(row.cidr)) << "no test case for the row " << row.cidr;
  EXPECT_EQ(covered.size(), SpecialPurposeBlocks().size());
}

TEST(SpecialPurposeAddressTest, RowBoundariesAreExact) {
  EXPECT_FALSE(IsSpecialPurposeAddress("100.63.255.255"));
  EXPECT_FALSE(IsSpecialPurposeAddress("100.128.0.0"));
  EXPECT_FALSE(IsSpecialPurposeAddress("172.15.255.255"));
  EXPECT_FALSE(IsSpecialPurposeAddress("172.32.0.0"));
  EXPECT_FALSE(IsSpecialPurposeAddress("198.17.255.255"));
  EXPECT_FALSE(IsSpecialPurposeAddress("198.20.0.0"));
  EXPECT_FALSE(IsSpecialPurposeAddress("223.255.255.255"));
  EXPECT_FALSE(IsSpecialPurposeAddress("2001:200::1"));   // just past 2001::/23
  EXPECT_FALSE(IsSpecialPurposeAddress("2001:db9::1"));
  EXPECT_FALSE(IsSpecialPurposeAddress("fbff::1"));
}

TEST(SpecialPurposeAddressTest, GlobalAddressesPass) {
  for (const char* ip : {"8.8.8.8", "1.1.1.1", "140.82.112.3", "2606:4700::1111", "2a00:1450::1"})
    EXPECT_FALSE(IsSpecialPurposeAddress(ip)) << ip;
}

TEST(SpecialPurposeAddressTest, EmbeddedIpv4IsJudgedByTheEmbeddedAddress) {
  EXPECT_FALSE(IsSpecialPurposeAddress("::ffff:8.8.8.8"));
  EXPECT_TRUE(IsSpecialPurposeAddress("::ffff:127.0.0.1"));
  EXPECT_FALSE(IsSpecialPurposeAddress("64:ff9b::8.8.8.8"));
  EXPECT_TRUE(IsSpecialPurposeAddress("64:ff9b::127.0.0.1"));
  EXPECT_FALSE(IsSpecialPurposeAddress("2002:0808:0808::1"));  // 6to4 of 8.8.8.8
  EXPECT_TRUE(IsSpecialPurposeAddress("2002:0a00:0001::1"));   // 6to4 of 10.0.0.1
  EXPECT_TRUE(IsSpecialPurposeAddress("::8.8.8.8"));           // IPv4-compatible: always refused
}

TEST(SpecialPurposeAddressTest, WhatIsNotANumericAddressIsRefused) {
  EXPECT_TRUE(IsSpecialPurposeAddress("localhost"));
  EXPECT_TRUE(IsSpecialPurposeAddress("127.1"));
  EXPECT_TRUE(IsSpecialPurposeAddress(""));
}

TEST(ResolveCheckedTest, EveryResolvedAddressIsCheckedBeforeAnyConnection) {
  // "127.1" is not a literal inet_pton accepts, yet the resolver turns it into 127.0.0.1.
  for (const char* host : {"127.1", "localhost", "127.0.0.1", "::1", "2130706433"}) {
    auto r = ResolveChecked(host, "80", PublicOnly());
    ASSERT_FALSE(r) << host;
    EXPECT_EQ(r.error().code, ErrorCode::kValidationFailed);
    EXPECT_EQ(r.error().message, kRefusedTargetMessage) << "the message must not vary with the target";
    EXPECT_NE(r.error().detail.find(host), std::string::npos);
  }
  auto open = ResolveChecked("127.0.0.1", "80", nullptr);
  ASSERT_TRUE(open);
  EXPECT_EQ(*open, std::vector<std::string>{"127.0.0.1"});
}

}  // namespace
}  // namespace wharf
