#include "http_client/http.h"

#include <gtest/gtest.h>

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

TEST(HttpReply, HeaderLookupIgnoresCase) {
  HttpReply r;
  r.headers = {{"content-type", "application/json"}, {"retry-after", "3"}};
  EXPECT_EQ(r.Header("Retry-After"), "3");
  EXPECT_EQ(r.Header("x-missing"), "");
}

}  // namespace
}  // namespace wharf::http_client
