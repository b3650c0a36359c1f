#include "api/client_address.h"

#include <gtest/gtest.h>

namespace wharf::api {
namespace {

std::vector<Cidr> Proxies(std::initializer_list<const char*> cidrs) {
  std::vector<Cidr> out;
  for (const char* c : cidrs) out.push_back(*Cidr::Parse(c, "trusted-proxy"));
  return out;
}

TEST(ClientAddressTest, ForwardedForIsIgnoredFromAnUntrustedPeer) {
  EXPECT_EQ(ClientAddress("198.51.100.9", {"203.0.113.7"}, Proxies({"127.0.0.1/32"})), "198.51.100.9");
  EXPECT_EQ(ClientAddress("127.0.0.1", {"203.0.113.7"}, {}), "127.0.0.1");
}

TEST(ClientAddressTest, TheRightmostUntrustedHopIsTheClient) {
  auto trusted = Proxies({"127.0.0.1/32", "10.0.0.0/8"});
  EXPECT_EQ(ClientAddress("127.0.0.1", {"203.0.113.7"}, trusted), "203.0.113.7");
  EXPECT_EQ(ClientAddress("127.0.0.1", {"203.0.113.7, 10.1.2.3"}, trusted), "203.0.113.7");
  // A spoofed leftmost entry (the client sent its own X-Forwarded-For) is never used.
  EXPECT_EQ(ClientAddress("127.0.0.1", {"1.2.3.4, 203.0.113.7"}, trusted), "203.0.113.7");
  EXPECT_EQ(ClientAddress("127.0.0.1", {"1.2.3.4", "203.0.113.7, 10.9.9.9"}, trusted), "203.0.113.7");
}

TEST(ClientAddressTest, MalformedHopsStopAtTheNearestTrustedProxy) {
  auto trusted = Proxies({"127.0.0.1/32", "10.0.0.0/8"});
  EXPECT_EQ(ClientAddress("127.0.0.1", {"203.0.113.7, bogus"}, trusted), "127.0.0.1");
  EXPECT_EQ(ClientAddress("127.0.0.1", {"bogus, 10.0.0.5"}, trusted), "10.0.0.5");
  EXPECT_EQ(ClientAddress("127.0.0.1", {""}, trusted), "127.0.0.1");
  // Every hop trusted: the leftmost one is as far as we can see.
  EXPECT_EQ(ClientAddress("127.0.0.1", {"10.0.0.1, 10.0.0.2"}, trusted), "10.0.0.1");
}

TEST(ClientAddressTest, Ipv6Proxies) {
  EXPECT_EQ(ClientAddress("::1", {"2001:db8::5"}, Proxies({"::1"})), "2001:db8::5");
  EXPECT_EQ(ClientAddress("fd00::1", {"2001:db8::5"}, Proxies({"::1"})), "fd00::1");
}

}  // namespace
}  // namespace wharf::api
