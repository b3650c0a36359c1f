#include <gtest/gtest.h>

#include <sstream>

#include "base/clock.h"
#include "base/error.h"
#include "base/secret_bytes.h"
#include "base/strings.h"

namespace wharf {
namespace {

Result<int> Half(int x) {
  if (x % 2) return FieldError("x", "must be even");
  return x / 2;
}
Result<int> Quarter(int x) {
  WHARF_ASSIGN_OR_RETURN(int h, Half(x));
  WHARF_ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

TEST(ResultTest, AssignOrReturnPropagatesFieldError) {
  EXPECT_EQ(*Quarter(8), 2);
  auto r = Quarter(6);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kValidationFailed);
  EXPECT_EQ(r.error().details["fields"]["x"], "must be even");
}

TEST(SecretBytesTest, NeverPrintsPlaintext) {
  auto s = SecretBytes::FromString("hunter2-very-secret");
  std::ostringstream os;
  os << s;
  EXPECT_EQ(os.str(), "[redacted]");
  EXPECT_EQ(fmt::format("{}", s), "[redacted]");
  EXPECT_EQ(s.Last4(), "cret");
  SecretBytes moved = std::move(s);
  EXPECT_TRUE(s.empty());  // NOLINT(bugprone-use-after-move): moved-from is wiped.
  EXPECT_EQ(moved.view(), "hunter2-very-secret");
}

TEST(StringsTest, PercentDecodeRejectsTruncatedEscape) {
  std::string out;
  EXPECT_TRUE(PercentDecode("a%20b", &out));
  EXPECT_EQ(out, "a b");
  EXPECT_FALSE(PercentDecode("a%2", &out));
  EXPECT_FALSE(PercentDecode("%", &out));
  EXPECT_FALSE(PercentDecode("%zz", &out));
}

TEST(StringsTest, Base64UrlRoundTrip) {
  std::string out;
  for (const std::string& s : std::vector<std::string>{"", "a", "ab", "abc", "abcd", std::string("\xff\x00\x10", 3)}) {
    ASSERT_TRUE(Base64UrlDecode(Base64UrlEncode(s), &out));
    EXPECT_EQ(out, s);
  }
}

TEST(ClockTest, Rfc3339) { EXPECT_EQ(FormatRfc3339(1'700'000'000'123), "2023-11-14T22:13:20.123Z"); }

TEST(IdTest, RandomIdsArePrefixedAndDistinct) {
  RandomIdGenerator ids;
  auto a = ids.New("usr"), b = ids.New("usr");
  EXPECT_EQ(a.size(), 24u);
  EXPECT_EQ(a.substr(0, 4), "usr_");
  EXPECT_NE(a, b);
}

}  // namespace
}  // namespace wharf
