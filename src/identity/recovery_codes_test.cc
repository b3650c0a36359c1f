#include <gtest/gtest.h>

#include <regex>
#include <set>

#include "identity/recovery_codes.h"
#include "secrets/crypto.h"

namespace wharf::identity {
namespace {

TEST(RecoveryCodesTest, TenDistinctCodesInTheDocumentedFormatStoredAsArgon2idHashes) {
  ASSERT_TRUE(secrets::Init());
  auto set = GenerateRecoveryCodes();
  ASSERT_TRUE(set) << set.error().message;
  ASSERT_EQ(set->codes.size(), kRecoveryCodeCount);
  ASSERT_EQ(set->hashes.size(), kRecoveryCodeCount);
  std::regex format("^[0-9a-hjkmnp-tv-z]{5}-[0-9a-hjkmnp-tv-z]{5}$");
  std::set<std::string> seen;
  for (size_t i = 0; i < kRecoveryCodeCount; ++i) {
    std::string code(set->codes[i].view());
    EXPECT_TRUE(std::regex_match(code, format)) << code;
    EXPECT_EQ(set->hashes[i].rfind("$argon2id$", 0), 0u);
    EXPECT_EQ(set->hashes[i].find(code), std::string::npos);
    seen.insert(code);
  }
  EXPECT_EQ(seen.size(), kRecoveryCodeCount);
  // Each code matches its own hash, typed in any case, with or without the dash.
  std::string third(set->codes[2].view());
  auto m = MatchRecoveryCode(third, set->hashes);
  ASSERT_TRUE(m);
  EXPECT_EQ(*m, 2u);
  std::string shouted;
  for (char c : third) shouted += c == '-' ? ' ' : static_cast<char>(std::toupper(c));
  EXPECT_EQ(*MatchRecoveryCode(shouted, set->hashes), 2u);
  // Consumed (the caller deleted that hash): the same code no longer matches.
  std::vector<std::string> remaining = set->hashes;
  remaining.erase(remaining.begin() + 2);
  auto again = MatchRecoveryCode(third, remaining);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kUnauthenticated);
  EXPECT_EQ(again.error().details["check"], "recovery_code");
}

TEST(RecoveryCodesTest, NormalisationFoldsCaseDashesSpacesAndLookAlikes) {
  EXPECT_EQ(NormalizeRecoveryCode("7K2MQ-X9D4T")->view(), "7k2mq-x9d4t");
  EXPECT_EQ(NormalizeRecoveryCode(" 7k2mq x9d4t ")->view(), "7k2mq-x9d4t");
  EXPECT_EQ(NormalizeRecoveryCode("7k2mqx9d4t")->view(), "7k2mq-x9d4t");
  EXPECT_EQ(NormalizeRecoveryCode("7k2-mq-x9d-4t")->view(), "7k2mq-x9d4t");
  EXPECT_EQ(NormalizeRecoveryCode("oOiIlL0000")->view(), "00111-10000");
  for (std::string_view bad : {"", "7k2mq-x9d4", "7k2mq-x9d4tt", "7k2mq-x9d4u", "7k2mq_x9d4t"}) {
    auto r = NormalizeRecoveryCode(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kValidationFailed);
    EXPECT_TRUE(r.error().details["fields"].contains("recovery_code"));
  }
}

}  // namespace
}  // namespace wharf::identity
