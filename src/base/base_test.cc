#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <set>
#include <sstream>

#include "base/clock.h"
#include "base/error.h"
#include "base/json.h"
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

// Ids came from a thread_local mt19937_64: predictable from earlier ids, and a fork() copied its
// state, so parent and child went on to make the same ids.
TEST(IdTest, RandomIdsDifferAcrossFork) {
  RandomIdGenerator ids;
  (void)ids.New("x");  // the generator is in use before the fork
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    std::string id = ids.New("job");
    (void)!write(fds[1], id.data(), id.size());
    _exit(0);
  }
  close(fds[1]);
  std::string parent = ids.New("job");
  char buf[64] = {};
  ssize_t n = read(fds[0], buf, sizeof buf);
  close(fds[0]);
  waitpid(pid, nullptr, 0);
  ASSERT_EQ(n, static_cast<ssize_t>(parent.size()));
  EXPECT_NE(std::string(buf, n), parent);
}

TEST(IdTest, RandomIdCharactersAreUniform) {
  RandomIdGenerator ids;
  std::map<char, int> seen;
  std::set<std::string> unique;
  const int kIds = 20000;
  for (int i = 0; i < kIds; ++i) {
    std::string id = ids.New("t");
    unique.insert(id);
    for (char c : id.substr(2)) ++seen[c];
  }
  EXPECT_EQ(unique.size(), static_cast<size_t>(kIds));
  EXPECT_EQ(seen.size(), 32u);
  const double expected = kIds * 20 / 32.0;  // 12,500 per character
  for (auto& [c, n] : seen) EXPECT_NEAR(n, expected, expected * 0.06) << c;
}

TEST(JsonLimitsTest, DeepNestingIsRefusedWithoutRecursion) {
  std::string deep(100000, '[');
  deep += std::string(100000, ']');
  auto r = ParseUntrustedJson(deep, "body");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kValidationFailed);
  EXPECT_NE(r.error().message.find("deeper than 32 levels"), std::string::npos) << r.error().message;
  std::string ok32 = std::string(32, '[') + std::string(32, ']');
  EXPECT_TRUE(ParseUntrustedJson(ok32, "body"));
  std::string deep33 = std::string(33, '[') + std::string(33, ']');
  EXPECT_FALSE(ParseUntrustedJson(deep33, "body"));
  std::string objects;
  for (int i = 0; i < 40; ++i) objects += "{\"a\":";
  objects += "1" + std::string(40, '}');
  EXPECT_FALSE(ParseUntrustedJson(objects, "body"));
}

TEST(JsonLimitsTest, SizeCountAndStringLimitsNameTheLimit) {
  auto big = ParseUntrustedJson(std::string(2 << 20, ' '), "body");
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error().code, ErrorCode::kPayloadTooLarge);
  std::string many = "[";
  for (int i = 0; i < 30000; ++i) many += "0,";
  many += "0]";
  auto count = ParseUntrustedJson(many, "body");
  ASSERT_FALSE(count);
  EXPECT_EQ(count.error().code, ErrorCode::kPayloadTooLarge);
  EXPECT_NE(count.error().message.find("20000"), std::string::npos);
  auto str = ParseUntrustedJson("{\"k\":\"" + std::string(70000, 'x') + "\"}", "body");
  ASSERT_FALSE(str);
  EXPECT_NE(str.error().message.find("65536 bytes"), std::string::npos) << str.error().message;
  auto bad = ParseUntrustedJson("{\"a\": tru}", "body");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().details["fields"]["body"].get<std::string>().substr(0, 18), "is not valid JSON ");
  auto good = ParseUntrustedJson(R"({"a": [1, {"b": "c"}], "d": null})", "body");
  ASSERT_TRUE(good);
  EXPECT_EQ((*good)["a"][1]["b"], "c");
}

}  // namespace
}  // namespace wharf
