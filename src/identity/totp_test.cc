#include <gtest/gtest.h>

#include "base/strings.h"
#include "identity/totp.h"
#include "secrets/crypto.h"

namespace wharf::identity {
namespace {

// The RFC 4226 Appendix D and RFC 6238 Appendix B (SHA-1) secret: ASCII "12345678901234567890".
constexpr std::string_view kRfcKey = "12345678901234567890";

TEST(HotpTest, Rfc4226AppendixD) {
  const char* want[] = {"755224", "287082", "359152", "969429", "338314",
                        "254676", "287922", "162583", "399871", "520489"};
  for (uint64_t c = 0; c < 10; ++c) EXPECT_EQ(Hotp(kRfcKey, c), want[c]) << "counter " << c;
}

TEST(TotpTest, Rfc6238AppendixBSha1) {
  struct {
    int64_t t;
    const char* code;
  } vectors[] = {{59, "94287082"},         {1111111109, "07081804"}, {1111111111, "14050471"},
                 {1234567890, "89005924"}, {2000000000, "69279037"}, {20000000000, "65353130"}};
  for (const auto& v : vectors) {
    EXPECT_EQ(Totp(kRfcKey, v.t, 8), v.code) << "T=" << v.t;
    // Wharf's 6 digits are the low 6 of the same truncated value.
    EXPECT_EQ(Totp(kRfcKey, v.t), std::string(v.code).substr(2)) << "T=" << v.t;
  }
}

TEST(TotpTest, VerifyAcceptsOneStepEitherSideAndReturnsTheStep) {
  const int64_t now = 1111111111;  // step 37037037
  const int64_t step = TotpStep(now);
  for (int64_t d : {-1, 0, 1}) {
    auto r = VerifyTotp(kRfcKey, Totp(kRfcKey, now + d * 30), now, kTotpNoStepUsed);
    ASSERT_TRUE(r) << d << ": " << r.error().message;
    EXPECT_EQ(*r, step + d);
  }
  for (int64_t d : {-2, 2}) {
    auto r = VerifyTotp(kRfcKey, Totp(kRfcKey, now + d * 30), now, kTotpNoStepUsed);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kUnauthenticated);
    EXPECT_EQ(r.error().details["check"], "totp_code");
  }
}

TEST(TotpTest, ACodeIsAcceptedOnceAndEarlierStepsAreRefusedAfterALaterOne) {
  const int64_t now = 1234567890;
  std::string code = Totp(kRfcKey, now);
  auto first = VerifyTotp(kRfcKey, code, now, kTotpNoStepUsed);
  ASSERT_TRUE(first);
  auto replay = VerifyTotp(kRfcKey, code, now + 5, *first);
  ASSERT_FALSE(replay);
  EXPECT_EQ(replay.error().details["check"], "totp_replay");
  // The previous step's code is still inside the window but older than the one used: refused.
  auto older = VerifyTotp(kRfcKey, Totp(kRfcKey, now - 30), now, *first);
  ASSERT_FALSE(older);
  EXPECT_EQ(older.error().details["check"], "totp_replay");
  // The next step's code is fresh.
  auto next = VerifyTotp(kRfcKey, Totp(kRfcKey, now + 30), now + 30, *first);
  ASSERT_TRUE(next);
  EXPECT_EQ(*next, *first + 1);
}

TEST(TotpTest, MalformedCodesAreValidationErrors) {
  for (std::string_view bad : {"", "12345", "1234567", "12a456", "12-456", "١٢٣٤٥٦"}) {
    auto r = VerifyTotp(kRfcKey, bad, 59, kTotpNoStepUsed);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kValidationFailed) << bad;
    EXPECT_TRUE(r.error().details["fields"].contains("code"));
  }
  // Spaces, as apps show "287 082", are ignored.
  EXPECT_TRUE(VerifyTotp(kRfcKey, "287 082", 59, kTotpNoStepUsed));
}

TEST(TotpTest, ConstantTimeCompareIsEqualityOnEqualLengths) {
  EXPECT_TRUE(ConstantTimeEquals("287082", "287082"));
  EXPECT_FALSE(ConstantTimeEquals("287082", "287083"));
  EXPECT_FALSE(ConstantTimeEquals("287082", "187082"));
  EXPECT_FALSE(ConstantTimeEquals("287082", "28708"));
}

TEST(Base32Test, Rfc4648Section10VectorsWithoutPadding) {
  struct {
    const char* in;
    const char* out;
  } v[] = {{"", ""},          {"f", "MY"},         {"fo", "MZXQ"},          {"foo", "MZXW6"},
           {"foob", "MZXW6YQ"}, {"fooba", "MZXW6YTB"}, {"foobar", "MZXW6YTBOI"}};
  for (const auto& t : v) {
    EXPECT_EQ(Base32Encode(t.in), t.out);
    std::string back;
    ASSERT_TRUE(Base32Decode(t.out, &back)) << t.out;
    EXPECT_EQ(back, t.in);
  }
  EXPECT_EQ(Base32Encode(kRfcKey), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
}

TEST(Base32Test, DecodeIsLenientOnPresentationAndStrictOnContent) {
  std::string out;
  EXPECT_TRUE(Base32Decode("mzxw6ytboi", &out));
  EXPECT_EQ(out, "foobar");
  EXPECT_TRUE(Base32Decode("MZXW 6YTB OI", &out));
  EXPECT_EQ(out, "foobar");
  EXPECT_TRUE(Base32Decode("MZXW6YTBOI======", &out));  // padding accepted, never produced
  EXPECT_EQ(out, "foobar");
  EXPECT_FALSE(Base32Decode("MZXW1", &out));    // '1' is not in the alphabet
  EXPECT_FALSE(Base32Decode("M", &out));        // 5 bits cannot end a byte
  EXPECT_FALSE(Base32Decode("MZX", &out));      // 15 bits: an impossible length
  EXPECT_FALSE(Base32Decode("MZ", &out));       // "f" is MY: Z leaves non-zero trailing bits
}

TEST(TotpUriTest, FormatAndPercentEncoding) {
  auto uri = TotpUri("Wharf", "ada@example.com", kRfcKey);
  ASSERT_TRUE(uri);
  EXPECT_EQ(*uri,
            "otpauth://totp/Wharf:ada%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Wharf"
            "&algorithm=SHA1&digits=6&period=30");
  auto spaced = TotpUri("Wharf Prod & Co", "a b+c/é", kRfcKey);
  ASSERT_TRUE(spaced);
  EXPECT_NE(spaced->find("totp/Wharf%20Prod%20%26%20Co:a%20b%2Bc%2F%C3%A9?"), std::string::npos) << *spaced;
  EXPECT_NE(spaced->find("&issuer=Wharf%20Prod%20%26%20Co&"), std::string::npos);
  EXPECT_FALSE(TotpUri("Wh:arf", "ada", kRfcKey));
  EXPECT_FALSE(TotpUri("Wharf", "", kRfcKey));
}

TEST(TotpTest, NewSecretIs20RandomBytes) {
  ASSERT_TRUE(secrets::Init());
  SecretBytes a = NewTotpSecret(), b = NewTotpSecret();
  EXPECT_EQ(a.size(), 20u);
  EXPECT_NE(a.view(), b.view());
  EXPECT_EQ(Base32Encode(a.view()).size(), 32u);
}

}  // namespace
}  // namespace wharf::identity
