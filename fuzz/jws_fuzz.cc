// The OIDC token parsers: a compact JWS as an identity provider (or an attacker posing as one)
// sends it, and a JWKS document. A parsed JWS only ever carries RS256 or ES256, its signing
// input is the token's first two parts, and signature checks on garbage never succeed.
#include <cstdint>
#include <string>

#include "fuzz_util.h"
#include "identity/jose.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  wharf::fuzz::Fields f(data, size);
  std::string_view token = f.Field(0);
  if (auto jws = wharf::identity::ParseJwsCompact(token)) {
    WHARF_FUZZ_CHECK(jws->header.is_object());
    WHARF_FUZZ_CHECK(token.substr(0, jws->signing_input.size()) == jws->signing_input);
    WHARF_FUZZ_CHECK(token[jws->signing_input.size()] == '.');
    std::string alg = jws->header.value("alg", "");
    WHARF_FUZZ_CHECK(alg == "RS256" || alg == "ES256");
    if (auto keys = wharf::identity::ParseJwks(f.Field(1))) {
      WHARF_FUZZ_CHECK(!keys->empty());
      if (auto key = wharf::identity::SelectJwk(*jws, *keys)) (void)wharf::identity::VerifyJwsSignature(*jws, **key);
    }
    wharf::identity::IdTokenExpectations want{"iss", "aud", "nonce", 1700000000};
    auto claims = nlohmann::json::parse(jws->payload, nullptr, false);
    if (!claims.is_discarded()) (void)wharf::identity::ValidateIdTokenClaims(claims, want);
  } else {
    (void)wharf::identity::ParseJwks(token);
  }
  return 0;
}
