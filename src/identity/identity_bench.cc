// Benchmarks of the per-sign-in cost of each factor check: TOTP verification, a WebAuthn ES256
// assertion (a real recorded vector), and an RS256 ID token signature (RFC 7515 A.2).
#include <benchmark/benchmark.h>

#include "identity/jose.h"
#include "identity/totp.h"
#include "identity/webauthn.h"
#include "identity/webauthn_test_vectors.h"

namespace wharf::identity {
namespace {

std::string B64(std::string_view s) {
  std::string out;
  Base64UrlDecodeStrict(s, &out);
  return out;
}

void BM_TotpVerify(benchmark::State& state) {
  const std::string key = "12345678901234567890";
  const int64_t now = 1234567890;
  std::string code = Totp(key, now);
  for (auto _ : state) benchmark::DoNotOptimize(VerifyTotp(key, code, now, kTotpNoStepUsed));
}
BENCHMARK(BM_TotpVerify);

void BM_WebAuthnAssertionEs256(benchmark::State& state) {
  const auto& v = testdata::kAuthEs256;
  RelyingParty rp{"localhost", {"http://localhost:5000"}};
  std::string ch = B64(v.challenge), cd = B64(v.client_data_json), ad = B64(v.authenticator_data),
              sig = B64(v.signature), key = B64(v.credential_public_key);
  if (!VerifyAssertion(rp, ch, cd, ad, sig, {key, v.stored_sign_count})) state.SkipWithError("vector did not verify");
  for (auto _ : state) benchmark::DoNotOptimize(VerifyAssertion(rp, ch, cd, ad, sig, {key, v.stored_sign_count}));
}
BENCHMARK(BM_WebAuthnAssertionEs256);

void BM_JwsRs256Verify(benchmark::State& state) {
  const std::string token =
      "eyJhbGciOiJSUzI1NiJ9."
      "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ."
      "cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr"
      "7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--x"
      "i12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_Ioyp"
      "GlUPQGe77Rw";
  auto key = ParseJwk({{"kty", "RSA"},
                       {"n",
                        "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4"
                        "QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbB"
                        "YUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWN"
                        "moudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ"},
                       {"e", "AQAB"}});
  if (!key) {
    state.SkipWithError("RFC 7515 A.2 key did not parse");
    return;
  }
  for (auto _ : state) {
    auto jws = ParseJwsCompact(token);
    benchmark::DoNotOptimize(jws && VerifyJwsSignature(*jws, *key));
  }
}
BENCHMARK(BM_JwsRs256Verify);

}  // namespace
}  // namespace wharf::identity

BENCHMARK_MAIN();
