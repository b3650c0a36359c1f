// JOSE for OpenID Connect sign-in: strict base64url, JWS compact parsing (RFC 7515), JWK/JWKS
// parsing (RFC 7517: RSA n/e, EC P-256 x/y), signature verification for RS256 and ES256 only,
// ID token claim validation (OIDC Core §3.1.3.7), PKCE S256 (RFC 7636) and random state/nonce.
// The algorithm allow-list is closed: "none", every HS* (an HMAC keyed with a public key) and
// any alg that does not match the key's kty are refused before any signature is checked.
//
//   WHARF_ASSIGN_OR_RETURN(std::vector<Jwk> keys, ParseJwks(jwks_body));   // cached per issuer
//   IdTokenExpectations want{issuer, client_id, session.nonce, now_seconds};
//   auto claims = VerifyIdToken(id_token, keys, want);
//   if (!claims && claims.error().details.value("check", "") == "kid") { /* refetch JWKS once */ }
//
// Thread-safety: pure functions over values; a Jwk may be shared and used from many threads.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "base/secret_bytes.h"
#include "identity/public_key.h"

namespace wharf::identity {

// Strict base64url decoding (encoding is wharf::Base64UrlEncode in base/strings.h): only A-Z a-z 0-9 '-' '_', no '=' padding, no length of 1 mod 4, and the unused
// low bits of the last character must be zero (so one byte string has one encoding).
bool Base64UrlDecodeStrict(std::string_view in, std::string* out);

enum class JwsAlg { kRs256, kEs256 };

// A parsed JWS in compact serialisation. The header and payload are decoded, not yet trusted.
struct Jws {
  nlohmann::json header;      // the protected header, a JSON object
  JwsAlg alg = JwsAlg::kRs256;
  std::string kid;            // "" when the header has none
  std::string payload;        // decoded payload bytes
  std::string signing_input;  // ASCII(BASE64URL(header) '.' BASE64URL(payload))
  std::string signature;      // decoded signature bytes
};

// Parses "header.payload.signature". Errors: kValidationFailed with details.check = "jws" for a
// shape or encoding fault, "alg" for an algorithm outside RS256/ES256 (none, HS256, PS256, ...),
// "crit" for a header with critical extensions (none are understood). At most 16 KiB.
Result<Jws> ParseJwsCompact(std::string_view token);

// One verification key from a JWKS.
struct Jwk {
  std::string kid;
  std::string kty;  // "RSA" or "EC"
  std::string alg;  // "" when the JWK does not restrict it
  PublicKey key;
};

// Parses one JWK object. Errors: kValidationFailed (details.check = "jwk") for an unsupported kty
// or curve, a private key ("d" present), use other than "sig", or bad key material.
Result<Jwk> ParseJwk(const nlohmann::json& jwk);
// Parses {"keys": [...]}, skipping keys it cannot use (encryption keys, other curves, short RSA).
// Errors: kValidationFailed (check "jwks") when the body is not a JWKS or no key is usable.
Result<std::vector<Jwk>> ParseJwks(std::string_view body);

// The key for `jws`: the one whose kid matches, or, when the JWS has no kid, the only key of the
// right type. Errors: kNotFound with details.check = "kid" when no key matches (the caller
// refetches the JWKS once: the IdP may have rotated keys); kValidationFailed ("kid") when the
// JWS has no kid and several keys could apply.
Result<const Jwk*> SelectJwk(const Jws& jws, const std::vector<Jwk>& keys);

// Verifies the signature of `jws` with `key`. Errors: kUnauthenticated with details.check =
// "alg" when the alg does not fit the key (RS256 needs kty RSA, ES256 an EC P-256 key, and a
// JWK's own "alg" must agree), "signature" when the signature does not verify.
Status VerifyJwsSignature(const Jws& jws, const Jwk& key);

// What an ID token must say (OIDC Core §3.1.3.7 and §3.1.2.1 nonce).
struct IdTokenExpectations {
  std::string issuer;                // exact match with "iss"
  std::string client_id;             // must be in "aud"; "azp", when present, must equal it
  std::string nonce;                 // exact match with "nonce" (required)
  int64_t now_seconds = 0;           // Unix time
  int64_t max_skew_seconds = 60;     // clock skew allowed on exp, iat and nbf
  int64_t max_age_seconds = 600;     // "iat" may be at most this old (plus skew)
};

// Checks the claims of a verified token. Errors: kUnauthenticated with details.check naming the
// claim that failed: "iss", "aud", "azp", "exp", "iat", "nbf", "nonce", "sub".
Status ValidateIdTokenClaims(const nlohmann::json& claims, const IdTokenExpectations& want);

// ParseJwsCompact + SelectJwk + VerifyJwsSignature + ValidateIdTokenClaims; returns the claims.
// Errors: those of the four steps; kValidationFailed (check "payload") when the payload is not a
// JSON object.
Result<nlohmann::json> VerifyIdToken(std::string_view token, const std::vector<Jwk>& keys,
                                     const IdTokenExpectations& want);

// PKCE (RFC 7636 §4): a 43-character verifier from 32 random bytes, and its S256 challenge
// BASE64URL(SHA256(ASCII(verifier))).
SecretBytes NewPkceVerifier();
std::string PkceChallengeS256(std::string_view verifier);

// 32 random bytes, base64url (43 characters): the OAuth "state" and the OIDC "nonce".
std::string NewOidcState();
std::string NewOidcNonce();

}  // namespace wharf::identity
