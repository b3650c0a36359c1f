#include <gtest/gtest.h>

#include "base/strings.h"
#include "identity/jose.h"
#include "secrets/crypto.h"

namespace wharf::identity {
namespace {

// RFC 7515 Appendix A.2 (RS256) and A.3 (ES256): the payload both sign.
constexpr std::string_view kPayloadB64 =
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
constexpr std::string_view kA2Token =
    "eyJhbGciOiJSUzI1NiJ9."
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ."
    "cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr"
    "7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--x"
    "i12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_Ioyp"
    "GlUPQGe77Rw";
constexpr std::string_view kA2N =
    "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-p"
    "CgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapH"
    "g665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4F"
    "RWyuXpoQ";
constexpr std::string_view kA3Token =
    "eyJhbGciOiJFUzI1NiJ9."
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ."
    "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";
constexpr std::string_view kA3X = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
constexpr std::string_view kA3Y = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";

Jwk RsaKey() {
  auto k = ParseJwk({{"kty", "RSA"}, {"kid", "a2"}, {"n", kA2N}, {"e", "AQAB"}});
  EXPECT_TRUE(k) << k.error().message;
  return *k;
}
Jwk EcKey() {
  auto k = ParseJwk({{"kty", "EC"}, {"kid", "a3"}, {"crv", "P-256"}, {"x", kA3X}, {"y", kA3Y}});
  EXPECT_TRUE(k) << k.error().message;
  return *k;
}

template <typename T>
std::string CheckOf(const Result<T>& r) {
  return r ? "ok" : r.error().details.value("check", "?");
}

TEST(Base64UrlTest, StrictDecoding) {
  std::string out;
  EXPECT_TRUE(Base64UrlDecodeStrict("eyJhbGciOiJSUzI1NiJ9", &out));
  EXPECT_EQ(out, R"({"alg":"RS256"})");
  EXPECT_TRUE(Base64UrlDecodeStrict("", &out));
  EXPECT_FALSE(Base64UrlDecodeStrict("eyJh=", &out));     // padding
  EXPECT_FALSE(Base64UrlDecodeStrict("a+b/", &out));      // the standard alphabet
  EXPECT_FALSE(Base64UrlDecodeStrict("abcde", &out));     // length 1 mod 4
  EXPECT_FALSE(Base64UrlDecodeStrict("QR", &out));        // "A" is QQ: non-zero trailing bits
  EXPECT_TRUE(Base64UrlDecodeStrict("QQ", &out));
  EXPECT_EQ(out, "A");
}

TEST(JwsTest, Rfc7515AppendixA2Rs256Verifies) {
  auto jws = ParseJwsCompact(kA2Token);
  ASSERT_TRUE(jws) << jws.error().message;
  EXPECT_EQ(jws->alg, JwsAlg::kRs256);
  EXPECT_EQ(jws->payload, "{\"iss\":\"joe\",\r\n \"exp\":1300819380,\r\n \"http://example.com/is_root\":true}");
  EXPECT_TRUE(VerifyJwsSignature(*jws, RsaKey()));
  // One flipped bit in the payload part: the signature no longer covers it.
  std::string tampered(kA2Token);
  tampered[30] = tampered[30] == 'A' ? 'B' : 'A';
  auto t = ParseJwsCompact(tampered);
  ASSERT_TRUE(t);
  EXPECT_EQ(CheckOf(VerifyJwsSignature(*t, RsaKey())), "signature");
}

TEST(JwsTest, Rfc7515AppendixA3Es256VerifiesTheGivenSignature) {
  auto jws = ParseJwsCompact(kA3Token);
  ASSERT_TRUE(jws) << jws.error().message;
  EXPECT_EQ(jws->alg, JwsAlg::kEs256);
  EXPECT_EQ(jws->signature.size(), 64u);
  EXPECT_TRUE(VerifyJwsSignature(*jws, EcKey()));
  Jws bad = *jws;
  bad.signature[5] ^= 0x01;
  EXPECT_EQ(CheckOf(VerifyJwsSignature(bad, EcKey())), "signature");
  bad.signature = jws->signature.substr(0, 63);
  EXPECT_EQ(CheckOf(VerifyJwsSignature(bad, EcKey())), "signature");
}

TEST(JwsTest, AlgorithmAllowListAndKeyTypeMatch) {
  // alg "none" (RFC 7519 §6.1's unsecured JWT), HS256 (RFC 7515 A.1), PS256 and a missing alg.
  std::string p(kPayloadB64);
  EXPECT_EQ(CheckOf(ParseJwsCompact("eyJhbGciOiJub25lIn0." + p + ".")), "alg");
  EXPECT_EQ(CheckOf(ParseJwsCompact("eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9." + p +
                                    ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")),
            "alg");
  EXPECT_EQ(CheckOf(ParseJwsCompact(Base64UrlEncode(R"({"alg":"PS256"})") + "." + p + ".AAAA")), "alg");
  EXPECT_EQ(CheckOf(ParseJwsCompact(Base64UrlEncode(R"({"typ":"JWT"})") + "." + p + ".AAAA")), "alg");
  EXPECT_EQ(CheckOf(ParseJwsCompact(Base64UrlEncode(R"({"alg":"RS256","crit":["b64"],"b64":false})") + "." + p +
                                    ".AAAA")),
            "crit");
  // An RS256 token checked with the EC key, an ES256 token with the RSA key: refused before any
  // signature math, whatever the signature bytes.
  EXPECT_EQ(CheckOf(VerifyJwsSignature(*ParseJwsCompact(kA2Token), EcKey())), "alg");
  EXPECT_EQ(CheckOf(VerifyJwsSignature(*ParseJwsCompact(kA3Token), RsaKey())), "alg");
  // A JWK that names its alg only verifies that alg.
  Jwk restricted = RsaKey();
  restricted.alg = "RS512";
  EXPECT_EQ(CheckOf(VerifyJwsSignature(*ParseJwsCompact(kA2Token), restricted)), "alg");
}

TEST(JwsTest, MalformedCompactSerialisations) {
  for (std::string_view bad : {"", "a.b", "a.b.c.d", "eyJhbGciOiJSUzI1NiJ9..", "!!.e30.AAAA", "e30.e30.AAAA",
                               "W10.e30.AAAA"}) {
    auto r = ParseJwsCompact(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kValidationFailed) << bad;
  }
  EXPECT_FALSE(ParseJwsCompact(std::string(20000, 'a')));
}

TEST(JwksTest, ParsesUsableKeysAndSkipsTheRest) {
  nlohmann::json jwks = {
      {"keys",
       {{{"kty", "RSA"}, {"kid", "a2"}, {"use", "sig"}, {"alg", "RS256"}, {"n", kA2N}, {"e", "AQAB"}},
        {{"kty", "EC"}, {"kid", "a3"}, {"crv", "P-256"}, {"x", kA3X}, {"y", kA3Y}},
        {{"kty", "RSA"}, {"kid", "enc"}, {"use", "enc"}, {"n", kA2N}, {"e", "AQAB"}},
        {{"kty", "EC"}, {"kid", "p384"}, {"crv", "P-384"}, {"x", kA3X}, {"y", kA3Y}},
        {{"kty", "oct"}, {"kid", "hmac"}, {"k", "AAAA"}},
        {{"kty", "OKP"}, {"kid", "ed"}, {"crv", "Ed25519"}, {"x", kA3X}}}}};
  auto keys = ParseJwks(jwks.dump());
  ASSERT_TRUE(keys) << keys.error().message;
  ASSERT_EQ(keys->size(), 2u);
  EXPECT_EQ((*keys)[0].kid, "a2");
  EXPECT_EQ((*keys)[1].kid, "a3");
  EXPECT_EQ(CheckOf(ParseJwks(R"({"keys":[]})")), "jwks");
  EXPECT_EQ(CheckOf(ParseJwks("[]")), "jwks");
  // Private keys and points off the curve are refused.
  EXPECT_EQ(CheckOf(ParseJwk({{"kty", "EC"}, {"crv", "P-256"}, {"x", kA3X}, {"y", kA3X}})), "jwk");
  EXPECT_EQ(CheckOf(ParseJwk({{"kty", "RSA"}, {"n", kA2N}, {"e", "AQAB"}, {"d", "AQAB"}})), "jwk");
  EXPECT_EQ(CheckOf(ParseJwk({{"kty", "RSA"}, {"n", "AQAB"}, {"e", "AQAB"}})), "jwk");  // short modulus
}

TEST(JwksTest, KeySelectionByKid) {
  std::vector<Jwk> keys = {RsaKey(), EcKey()};
  Jws jws = *ParseJwsCompact(kA2Token);  // no kid: the only RSA key applies
  auto k = SelectJwk(jws, keys);
  ASSERT_TRUE(k);
  EXPECT_EQ((*k)->kid, "a2");
  jws.kid = "rotated";
  auto missing = SelectJwk(jws, keys);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);  // refetch the JWKS once
  EXPECT_EQ(missing.error().details["check"], "kid");
  jws.kid = "";
  std::vector<Jwk> two_rsa = {RsaKey(), RsaKey()};
  EXPECT_EQ(CheckOf(SelectJwk(jws, two_rsa)), "kid");
}

// ID token claims, checked on their own (the signing is covered above).
class IdTokenClaimsTest : public ::testing::Test {
 protected:
  nlohmann::json claims = {{"iss", "https://idp.example"}, {"sub", "u-1"}, {"aud", "wharf"},
                           {"exp", 1000 + 300},           {"iat", 1000},   {"nonce", "n-0S6_WzA2Mj"}};
  IdTokenExpectations want{"https://idp.example", "wharf", "n-0S6_WzA2Mj", 1000};
  std::string Check() { return CheckOf(ValidateIdTokenClaims(claims, want)); }
};

TEST_F(IdTokenClaimsTest, AValidTokenPasses) { EXPECT_EQ(Check(), "ok"); }

TEST_F(IdTokenClaimsTest, IssuerAudienceAndAzp) {
  claims["iss"] = "https://idp.example/";
  EXPECT_EQ(Check(), "iss");
  claims["iss"] = want.issuer;
  claims["aud"] = "other";
  EXPECT_EQ(Check(), "aud");
  claims["aud"] = {"other", "wharf"};
  EXPECT_EQ(Check(), "azp");  // several audiences: azp is required
  claims["azp"] = "other";
  EXPECT_EQ(Check(), "azp");
  claims["azp"] = "wharf";
  EXPECT_EQ(Check(), "ok");
  claims["aud"] = {"wharf"};
  claims.erase("azp");
  EXPECT_EQ(Check(), "ok");
  claims["aud"] = {"other"};
  EXPECT_EQ(Check(), "aud");
  claims.erase("aud");
  EXPECT_EQ(Check(), "aud");
}

TEST_F(IdTokenClaimsTest, TimesWithBoundedSkew) {
  want.now_seconds = 1300 + 59;  // expired 59 s ago: inside the 60 s skew
  EXPECT_EQ(Check(), "ok");
  want.now_seconds = 1300 + 60;
  EXPECT_EQ(Check(), "exp");
  want.now_seconds = 1000 - 61;  // issued 61 s in the future
  EXPECT_EQ(Check(), "iat");
  want.now_seconds = 1000;
  claims["exp"] = 100000;
  want.now_seconds = 1000 + 600 + 61;  // older than max_age + skew
  EXPECT_EQ(Check(), "iat");
  want.now_seconds = 1000;
  claims["nbf"] = 1000 + 61;
  EXPECT_EQ(Check(), "nbf");
  claims["nbf"] = 1000 + 60;
  EXPECT_EQ(Check(), "ok");
  claims["exp"] = "1300";
  EXPECT_EQ(Check(), "exp");
  claims.erase("exp");
  EXPECT_EQ(Check(), "exp");
}

TEST_F(IdTokenClaimsTest, NonceAndSubject) {
  claims["nonce"] = "n-0S6_WzA2Mk";
  EXPECT_EQ(Check(), "nonce");
  claims.erase("nonce");
  EXPECT_EQ(Check(), "nonce");
  claims["nonce"] = want.nonce;
  want.nonce = "";
  EXPECT_EQ(Check(), "nonce");  // a caller that lost its nonce accepts nothing
  want.nonce = "n-0S6_WzA2Mj";
  claims["sub"] = "";
  EXPECT_EQ(Check(), "sub");
}

TEST(IdTokenTest, VerifyIdTokenRunsEveryStep) {
  // The RFC 7515 A.2 token is a signed JWT whose claims are not an ID token's: the signature
  // passes and the claim check names the first missing claim.
  std::vector<Jwk> keys = {RsaKey()};
  IdTokenExpectations want{"joe", "wharf", "n", 1300819000};
  auto r = VerifyIdToken(kA2Token, keys, want);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().details["check"], "sub");
  std::vector<Jwk> only_ec = {EcKey()};
  EXPECT_EQ(CheckOf(VerifyIdToken(kA2Token, only_ec, want)), "kid");
}

TEST(PkceTest, Rfc7636AppendixB) {
  EXPECT_EQ(PkceChallengeS256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
}

TEST(PkceTest, RandomVerifierStateAndNonce) {
  ASSERT_TRUE(secrets::Init());
  SecretBytes v = NewPkceVerifier();
  EXPECT_EQ(v.size(), 43u);
  EXPECT_NE(NewPkceVerifier().view(), v.view());
  std::string s = NewOidcState(), n = NewOidcNonce();
  EXPECT_EQ(s.size(), 43u);
  EXPECT_EQ(n.size(), 43u);
  EXPECT_NE(s, n);
  std::string raw;
  EXPECT_TRUE(Base64UrlDecodeStrict(s, &raw));
  EXPECT_EQ(raw.size(), 32u);
}

}  // namespace
}  // namespace wharf::identity
