#include "http_client/http.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace wharf::http_client {
namespace {

TEST(Fetch, RefusesUrlsThatAreNotHttp) {
  auto r = Fetch({.url = "file:///etc/passwd"});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kValidationFailed);
}

TEST(Fetch, UnreachableServerIsANetworkErrorNamingTheHostNotTheHeaders) {
  HttpCall call{.url = "http://127.0.0.1:1/api/v1/me", .connect_timeout_ms = 2000};
  call.headers.emplace_back("Authorization", "Bearer very-secret-token");
  auto r = Fetch(call);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(r.error().layer, Layer::kNetwork);
  EXPECT_NE(r.error().message.find("127.0.0.1:1"), std::string::npos);
  EXPECT_EQ(r.error().message.find("very-secret-token"), std::string::npos);
}

TEST(Fetch, AGuardRefusesTheResolvedAddressBeforeAnythingIsSent) {
  // A listening socket that never answers: the kernel completes the connect, so the guard runs.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(fd, 4), 0);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  std::string seen;
  HttpCall call{.url = "http://localhost:" + std::to_string(ntohs(a.sin_port)) + "/v2/", .timeout_ms = 3000};
  call.address_allowed = [&](std::string_view ip) {
    seen = ip;
    return false;
  };
  auto r = Fetch(call);
  ::close(fd);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kValidationFailed);
  EXPECT_EQ(r.error().layer, Layer::kNetwork);
  EXPECT_NE(r.error().message.find("--allow-private-targets"), std::string::npos);
  EXPECT_TRUE(seen == "127.0.0.1" || seen == "::1") << seen;
}

TEST(HttpReply, HeaderLookupIgnoresCase) {
  HttpReply r;
  r.headers = {{"content-type", "application/json"}, {"retry-after", "3"}};
  EXPECT_EQ(r.Header("Retry-After"), "3");
  EXPECT_EQ(r.Header("x-missing"), "");
}

}  // namespace
}  // namespace wharf::http_client
