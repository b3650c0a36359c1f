#include "identity/jose.h"

#include "base/json.h"
#include "base/strings.h"
#include "secrets/crypto.h"

namespace wharf::identity {
namespace {

constexpr size_t kMaxTokenBytes = 16 * 1024;

tl::unexpected<Error> Fail(ErrorCode code, std::string_view check, std::string message) {
  Error e{code, std::move(message), {}, Layer::kNone, nlohmann::json::object()};
  e.details["check"] = std::string(check);
  return tl::unexpected<Error>(std::move(e));
}

int Base64UrlValue(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

// A JWK member that must be a base64url string; "" when absent or malformed.
bool KeyBytes(const nlohmann::json& jwk, const char* name, std::string* out) {
  auto it = jwk.find(name);
  return it != jwk.end() && it->is_string() && Base64UrlDecodeStrict(it->get_ref<const std::string&>(), out) &&
         !out->empty();
}

std::string StringOr(const nlohmann::json& obj, const char* name) {
  auto it = obj.find(name);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// A NumericDate claim (RFC 7519 §2): a JSON number of seconds; fractions are truncated.
bool NumericDate(const nlohmann::json& claims, const char* name, int64_t* out) {
  auto it = claims.find(name);
  if (it == claims.end()) return false;
  if (it->is_number_integer()) {
    *out = it->get<int64_t>();
    return true;
  }
  if (it->is_number_float()) {
    double d = it->get<double>();
    if (!(d > -1e15 && d < 1e15)) return false;
    *out = static_cast<int64_t>(d);
    return true;
  }
  return false;
}

std::string Random32Base64Url() {
  unsigned char b[32];
  secrets::RandomBytes(b, sizeof b);
  return Base64UrlEncode(std::string_view(reinterpret_cast<char*>(b), sizeof b));
}

}  // namespace

bool Base64UrlDecodeStrict(std::string_view in, std::string* out) {
  out->clear();
  if (in.size() % 4 == 1) return false;
  uint32_t acc = 0;
  int bits = 0;
  out->reserve(in.size() * 3 / 4);
  for (char c : in) {
    int v = Base64UrlValue(c);
    if (v < 0) return false;
    acc = ((acc << 6) | static_cast<uint32_t>(v)) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out->push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return bits == 0 || (acc & ((1u << bits) - 1)) == 0;
}

Result<Jws> ParseJwsCompact(std::string_view token) {
  if (token.size() > kMaxTokenBytes) return Fail(ErrorCode::kValidationFailed, "jws", "the token is too long");
  size_t d1 = token.find('.');
  size_t d2 = d1 == std::string_view::npos ? d1 : token.find('.', d1 + 1);
  if (d2 == std::string_view::npos || token.find('.', d2 + 1) != std::string_view::npos) {
    return Fail(ErrorCode::kValidationFailed, "jws", "the token is not a compact JWS (three dot-separated parts)");
  }
  Jws jws;
  std::string header_json;
  if (!Base64UrlDecodeStrict(token.substr(0, d1), &header_json) ||
      !Base64UrlDecodeStrict(token.substr(d1 + 1, d2 - d1 - 1), &jws.payload) ||
      !Base64UrlDecodeStrict(token.substr(d2 + 1), &jws.signature)) {
    return Fail(ErrorCode::kValidationFailed, "jws", "a part of the token is not base64url");
  }
  JsonLimits limits;
  limits.max_depth = 8;
  auto header = ParseUntrustedJson(header_json, "jws header", limits);
  if (!header || !header->is_object()) return Fail(ErrorCode::kValidationFailed, "jws", "the JWS header is not a JSON object");
  jws.header = std::move(*header);
  std::string alg = StringOr(jws.header, "alg");
  if (alg == "RS256") {
    jws.alg = JwsAlg::kRs256;
  } else if (alg == "ES256") {
    jws.alg = JwsAlg::kEs256;
  } else {
    return Fail(ErrorCode::kValidationFailed, "alg",
                alg.empty() ? "the JWS header has no alg" : "the JWS algorithm is not allowed (only RS256 and ES256)");
  }
  if (jws.header.contains("crit")) {
    return Fail(ErrorCode::kValidationFailed, "crit", "the JWS has critical header parameters Wharf does not support");
  }
  if (jws.header.contains("kid") && !jws.header["kid"].is_string()) {
    return Fail(ErrorCode::kValidationFailed, "jws", "the JWS kid is not a string");
  }
  jws.kid = StringOr(jws.header, "kid");
  if (jws.signature.empty()) return Fail(ErrorCode::kValidationFailed, "jws", "the token is not signed");
  jws.signing_input = std::string(token.substr(0, d2));
  return jws;
}

Result<Jwk> ParseJwk(const nlohmann::json& jwk) {
  if (!jwk.is_object()) return Fail(ErrorCode::kValidationFailed, "jwk", "a JWK must be a JSON object");
  Jwk out;
  out.kty = StringOr(jwk, "kty");
  out.kid = StringOr(jwk, "kid");
  out.alg = StringOr(jwk, "alg");
  if (jwk.contains("d")) return Fail(ErrorCode::kValidationFailed, "jwk", "the JWK is a private key");
  if (jwk.contains("use") && StringOr(jwk, "use") != "sig") {
    return Fail(ErrorCode::kValidationFailed, "jwk", "the JWK is not a signing key (use is not \"sig\")");
  }
  if (out.kty == "RSA") {
    std::string n, e;
    if (!KeyBytes(jwk, "n", &n) || !KeyBytes(jwk, "e", &e)) {
      return Fail(ErrorCode::kValidationFailed, "jwk", "the RSA JWK needs base64url n and e");
    }
    auto key = PublicKey::FromRsa(n, e);
    if (!key) return Fail(ErrorCode::kValidationFailed, "jwk", key.error().message);
    out.key = std::move(*key);
  } else if (out.kty == "EC") {
    if (StringOr(jwk, "crv") != "P-256") return Fail(ErrorCode::kValidationFailed, "jwk", "only the EC curve P-256 is supported");
    std::string x, y;
    if (!KeyBytes(jwk, "x", &x) || !KeyBytes(jwk, "y", &y)) {
      return Fail(ErrorCode::kValidationFailed, "jwk", "the EC JWK needs base64url x and y");
    }
    auto key = PublicKey::FromP256(x, y);
    if (!key) return Fail(ErrorCode::kValidationFailed, "jwk", key.error().message);
    out.key = std::move(*key);
  } else {
    return Fail(ErrorCode::kValidationFailed, "jwk", "only RSA and EC JWKs are supported");
  }
  return out;
}

Result<std::vector<Jwk>> ParseJwks(std::string_view body) {
  JsonLimits limits;
  limits.max_bytes = 256 * 1024;
  limits.max_depth = 8;
  auto doc = ParseUntrustedJson(body, "jwks", limits);
  if (!doc || !doc->is_object() || !doc->contains("keys") || !(*doc)["keys"].is_array()) {
    return Fail(ErrorCode::kValidationFailed, "jwks", "the JWKS is not a JSON object with a \"keys\" array");
  }
  std::vector<Jwk> keys;
  for (const auto& k : (*doc)["keys"]) {
    auto jwk = ParseJwk(k);
    if (jwk) keys.push_back(std::move(*jwk));
  }
  if (keys.empty()) return Fail(ErrorCode::kValidationFailed, "jwks", "the JWKS has no RSA or P-256 signing key");
  return keys;
}

Result<const Jwk*> SelectJwk(const Jws& jws, const std::vector<Jwk>& keys) {
  const char* kty = jws.alg == JwsAlg::kRs256 ? "RSA" : "EC";
  if (!jws.kid.empty()) {
    for (const Jwk& k : keys) {
      if (k.kid == jws.kid) return &k;
    }
    return Fail(ErrorCode::kNotFound, "kid", "no key of the identity provider has the token's kid");
  }
  const Jwk* only = nullptr;
  for (const Jwk& k : keys) {
    if (k.kty != kty) continue;
    if (only) return Fail(ErrorCode::kValidationFailed, "kid", "the token has no kid and several keys could apply");
    only = &k;
  }
  if (!only) return Fail(ErrorCode::kNotFound, "kid", "the identity provider has no key for the token's algorithm");
  return only;
}

Status VerifyJwsSignature(const Jws& jws, const Jwk& key) {
  std::string_view alg = jws.alg == JwsAlg::kRs256 ? "RS256" : "ES256";
  bool fits = jws.alg == JwsAlg::kRs256 ? key.key.type() == PublicKey::Type::kRsa
                                         : key.key.type() == PublicKey::Type::kP256;
  if (!fits || (!key.alg.empty() && key.alg != alg)) {
    return Fail(ErrorCode::kUnauthenticated, "alg", "the token's algorithm does not match its key");
  }
  bool ok = false;
  if (jws.alg == JwsAlg::kRs256) {
    ok = key.key.Verify(PublicKey::Digest::kSha256, jws.signing_input, jws.signature);
  } else {
    std::string der = EcdsaRawToDer(jws.signature);  // "" unless exactly 64 bytes (r || s)
    ok = !der.empty() && key.key.Verify(PublicKey::Digest::kSha256, jws.signing_input, der);
  }
  if (!ok) return Fail(ErrorCode::kUnauthenticated, "signature", "the token's signature is not valid");
  return Ok();
}

Status ValidateIdTokenClaims(const nlohmann::json& claims, const IdTokenExpectations& want) {
  auto refuse = [](std::string_view check, std::string msg) { return Fail(ErrorCode::kUnauthenticated, check, std::move(msg)); };
  if (!claims.is_object()) return refuse("payload", "the ID token's payload is not a JSON object");
  auto iss = claims.find("iss");
  if (iss == claims.end() || !iss->is_string() || iss->get_ref<const std::string&>() != want.issuer) {
    return refuse("iss", "the ID token was not issued by the configured identity provider");
  }
  auto sub = claims.find("sub");
  if (sub == claims.end() || !sub->is_string() || sub->get_ref<const std::string&>().empty()) {
    return refuse("sub", "the ID token has no subject");
  }
  auto aud = claims.find("aud");
  size_t aud_count = 0;
  bool aud_ok = false;
  if (aud != claims.end() && aud->is_string()) {
    aud_count = 1;
    aud_ok = aud->get_ref<const std::string&>() == want.client_id;
  } else if (aud != claims.end() && aud->is_array()) {
    for (const auto& a : *aud) {
      if (!a.is_string()) return refuse("aud", "the ID token's audience is malformed");
      ++aud_count;
      if (a.get_ref<const std::string&>() == want.client_id) aud_ok = true;
    }
  }
  if (!aud_ok) return refuse("aud", "the ID token is not meant for this client");
  auto azp = claims.find("azp");
  if (azp != claims.end() && (!azp->is_string() || azp->get_ref<const std::string&>() != want.client_id)) {
    return refuse("azp", "the ID token was issued to another client (azp)");
  }
  if (aud_count > 1 && azp == claims.end()) {
    return refuse("azp", "the ID token has several audiences and no azp");
  }
  int64_t exp = 0, iat = 0, nbf = 0;
  if (!NumericDate(claims, "exp", &exp)) return refuse("exp", "the ID token has no expiry");
  if (want.now_seconds >= exp + want.max_skew_seconds) return refuse("exp", "the ID token has expired");
  if (!NumericDate(claims, "iat", &iat)) return refuse("iat", "the ID token has no issue time");
  if (iat > want.now_seconds + want.max_skew_seconds) return refuse("iat", "the ID token was issued in the future");
  if (want.now_seconds - iat > want.max_age_seconds + want.max_skew_seconds) {
    return refuse("iat", "the ID token was issued too long ago");
  }
  if (claims.contains("nbf")) {
    if (!NumericDate(claims, "nbf", &nbf)) return refuse("nbf", "the ID token's nbf is malformed");
    if (nbf > want.now_seconds + want.max_skew_seconds) return refuse("nbf", "the ID token is not valid yet");
  }
  auto nonce = claims.find("nonce");
  if (want.nonce.empty() || nonce == claims.end() || !nonce->is_string() ||
      nonce->get_ref<const std::string&>().size() != want.nonce.size() ||
      !ConstantTimeEquals(nonce->get_ref<const std::string&>(), want.nonce)) {
    return refuse("nonce", "the ID token's nonce does not match this sign-in");
  }
  return Ok();
}

Result<nlohmann::json> VerifyIdToken(std::string_view token, const std::vector<Jwk>& keys,
                                     const IdTokenExpectations& want) {
  WHARF_ASSIGN_OR_RETURN(Jws jws, ParseJwsCompact(token));
  WHARF_ASSIGN_OR_RETURN(const Jwk* key, SelectJwk(jws, keys));
  WHARF_TRY(VerifyJwsSignature(jws, *key));
  JsonLimits limits;
  limits.max_depth = 16;
  auto claims = ParseUntrustedJson(jws.payload, "id_token", limits);
  if (!claims || !claims->is_object()) {
    return Fail(ErrorCode::kValidationFailed, "payload", "the ID token's payload is not a JSON object");
  }
  WHARF_TRY(ValidateIdTokenClaims(*claims, want));
  return std::move(*claims);
}

SecretBytes NewPkceVerifier() { return SecretBytes::FromString(Random32Base64Url()); }

std::string PkceChallengeS256(std::string_view verifier) { return Base64UrlEncode(Sha256(verifier)); }

std::string NewOidcState() { return Random32Base64Url(); }
std::string NewOidcNonce() { return Random32Base64Url(); }

}  // namespace wharf::identity
