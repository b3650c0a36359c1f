#include "identity/webauthn.h"

#include <algorithm>

#include "base/json.h"
#include "base/strings.h"
#include "identity/cbor_item.h"
#include "identity/jose.h"
#include "identity/packed_attestation.h"

namespace wharf::identity {
namespace {

constexpr size_t kAuthDataFixed = 37;  // rpIdHash(32) flags(1) signCount(4)
constexpr size_t kMaxCredentialId = 1023;

tl::unexpected<Error> Fail(ErrorCode code, std::string_view check, std::string message) {
  Error e{code, std::move(message), {}, Layer::kNone, nlohmann::json::object()};
  e.details["check"] = std::string(check);
  return tl::unexpected<Error>(std::move(e));
}

uint32_t ReadU32(std::string_view b) {
  return (static_cast<uint32_t>(static_cast<uint8_t>(b[0])) << 24) |
         (static_cast<uint32_t>(static_cast<uint8_t>(b[1])) << 16) |
         (static_cast<uint32_t>(static_cast<uint8_t>(b[2])) << 8) | static_cast<uint32_t>(static_cast<uint8_t>(b[3]));
}

// The checks §7.1 and §7.2 share on clientDataJSON: type, challenge, origin, crossOrigin.
Status CheckClientData(const RelyingParty& rp, const CollectedClientData& cd, std::string_view want_type,
                       std::string_view expected_challenge, ErrorCode code) {
  if (cd.type != want_type) {
    return Fail(code, "type", "the client data type is \"" + cd.type + "\", expected \"" + std::string(want_type) + "\"");
  }
  if (expected_challenge.empty() || cd.challenge.size() != expected_challenge.size() ||
      !ConstantTimeEquals(cd.challenge, expected_challenge)) {
    return Fail(code, "challenge", "the challenge does not match the one this ceremony issued");
  }
  if (std::find(rp.origins.begin(), rp.origins.end(), cd.origin) == rp.origins.end()) {
    return Fail(code, "origin", "the origin " + cd.origin + " is not an origin of this Wharf");
  }
  if (cd.cross_origin && !rp.allow_cross_origin) {
    return Fail(code, "cross_origin", "the ceremony ran in a cross-origin frame");
  }
  return Ok();
}

// The checks §7.1 and §7.2 share on authenticator data: rpIdHash, UP, UV, BE/BS consistency.
Status CheckAuthenticatorData(const RelyingParty& rp, const AuthenticatorData& ad, ErrorCode code) {
  if (ad.rp_id_hash != Sha256(rp.id)) {
    return Fail(code, "rp_id", "the authenticator data is for another relying party than " + rp.id);
  }
  if (!ad.has(kFlagUserPresent)) return Fail(code, "user_present", "the authenticator did not confirm user presence");
  if (rp.require_user_verification && !ad.has(kFlagUserVerified)) {
    return Fail(code, "user_verified", "user verification (PIN or biometric) is required but was not performed");
  }
  if (ad.has(kFlagBackedUp) && !ad.has(kFlagBackupEligible)) {
    return Fail(code, "authenticator_data", "the authenticator data says backed up but not backup-eligible");
  }
  return Ok();
}

}  // namespace

std::string_view CoseAlgName(CoseAlg alg) {
  switch (alg) {
    case CoseAlg::kEs256: return "ES256";
    case CoseAlg::kEdDsa: return "EdDSA";
    case CoseAlg::kRs256: return "RS256";
  }
  return "?";
}

Result<CoseKey> ParseCoseKey(std::string_view cbor) {
  auto bad = [](std::string msg) { return Fail(ErrorCode::kValidationFailed, "public_key", std::move(msg)); };
  WHARF_ASSIGN_OR_RETURN(CborItem item, CborItem::Load(cbor, nullptr, "public_key"));
  if (!item.IsMapWithUniqueKeys()) return bad("the credential public key is not a COSE_Key map");
  auto kty = CborInt(item.MapGet(1));
  auto alg = CborInt(item.MapGet(3));
  if (!kty || !alg) return bad("the COSE key has no kty or alg");
  CoseKey out;
  if (*kty == 2 && *alg == static_cast<int64_t>(CoseAlg::kEs256)) {
    auto crv = CborInt(item.MapGet(-1));
    auto x = CborBytes(item.MapGet(-2));
    auto y = CborBytes(item.MapGet(-3));
    if (!crv || *crv != 1 || !x || !y) return bad("an ES256 COSE key must be EC2 on P-256 with x and y");
    auto key = PublicKey::FromP256(*x, *y);
    if (!key) return bad(key.error().message);
    out.alg = CoseAlg::kEs256;
    out.key = std::move(*key);
  } else if (*kty == 1 && *alg == static_cast<int64_t>(CoseAlg::kEdDsa)) {
    auto crv = CborInt(item.MapGet(-1));
    auto x = CborBytes(item.MapGet(-2));
    if (!crv || *crv != 6 || !x) return bad("an EdDSA COSE key must be OKP on Ed25519 with x");
    auto key = PublicKey::FromEd25519(*x);
    if (!key) return bad(key.error().message);
    out.alg = CoseAlg::kEdDsa;
    out.key = std::move(*key);
  } else if (*kty == 3 && *alg == static_cast<int64_t>(CoseAlg::kRs256)) {
    auto n = CborBytes(item.MapGet(-1));
    auto e = CborBytes(item.MapGet(-2));
    if (!n || !e) return bad("an RS256 COSE key must have n and e");
    auto key = PublicKey::FromRsa(*n, *e);
    if (!key) return bad(key.error().message);
    out.alg = CoseAlg::kRs256;
    out.key = std::move(*key);
  } else {
    return bad("the credential algorithm is not supported (ES256, EdDSA and RS256 are)");
  }
  return out;
}

Result<AuthenticatorData> ParseAuthenticatorData(std::string_view bytes) {
  auto bad = [](std::string msg) { return Fail(ErrorCode::kValidationFailed, "authenticator_data", std::move(msg)); };
  if (bytes.size() < kAuthDataFixed) return bad("the authenticator data is shorter than 37 bytes");
  AuthenticatorData ad;
  ad.rp_id_hash = std::string(bytes.substr(0, 32));
  ad.flags = static_cast<uint8_t>(bytes[32]);
  ad.sign_count = ReadU32(bytes.substr(33, 4));
  std::string_view rest = bytes.substr(kAuthDataFixed);
  if (ad.has(kFlagAttestedData)) {
    if (rest.size() < 18) return bad("the attested credential data is truncated");
    AttestedCredentialData cred;
    cred.aaguid = std::string(rest.substr(0, 16));
    size_t id_len = (static_cast<size_t>(static_cast<uint8_t>(rest[16])) << 8) | static_cast<uint8_t>(rest[17]);
    rest.remove_prefix(18);
    if (id_len == 0 || id_len > kMaxCredentialId) return bad("the credential id length is out of range");
    if (rest.size() < id_len) return bad("the credential id is truncated");
    cred.credential_id = std::string(rest.substr(0, id_len));
    rest.remove_prefix(id_len);
    size_t used = 0;
    WHARF_ASSIGN_OR_RETURN(CborItem key_item, CborItem::Load(rest, &used, "public_key"));
    (void)key_item;
    cred.public_key_cbor = std::string(rest.substr(0, used));
    rest.remove_prefix(used);
    WHARF_ASSIGN_OR_RETURN(cred.key, ParseCoseKey(cred.public_key_cbor));
    ad.credential = std::move(cred);
  }
  if (ad.has(kFlagExtensions)) {
    size_t used = 0;
    WHARF_ASSIGN_OR_RETURN(CborItem ext, CborItem::Load(rest, &used, "authenticator_data"));
    if (!cbor_isa_map(ext.get())) return bad("the authenticator extensions are not a CBOR map");
    ad.extensions_cbor = std::string(rest.substr(0, used));
    rest.remove_prefix(used);
  }
  if (!rest.empty()) return bad("the authenticator data has trailing bytes");
  return ad;
}

Result<CollectedClientData> ParseClientData(std::string_view json) {
  auto bad = [](std::string msg) { return Fail(ErrorCode::kValidationFailed, "client_data", std::move(msg)); };
  JsonLimits limits;
  limits.max_bytes = 16 * 1024;
  limits.max_depth = 8;
  auto doc = ParseUntrustedJson(json, "clientDataJSON", limits);
  if (!doc || !doc->is_object()) return bad("clientDataJSON is not a JSON object");
  CollectedClientData cd;
  auto str = [&](const char* name, std::string* out) {
    auto it = doc->find(name);
    if (it == doc->end() || !it->is_string()) return false;
    *out = it->get<std::string>();
    return true;
  };
  std::string challenge_b64;
  if (!str("type", &cd.type) || !str("challenge", &challenge_b64) || !str("origin", &cd.origin)) {
    return bad("clientDataJSON needs string type, challenge and origin");
  }
  if (!Base64UrlDecodeStrict(challenge_b64, &cd.challenge)) return bad("the client data challenge is not base64url");
  auto co = doc->find("crossOrigin");
  if (co != doc->end()) {
    if (!co->is_boolean()) return bad("crossOrigin is not a boolean");
    cd.cross_origin = co->get<bool>();
  }
  return cd;
}

Result<AttestationObject> ParseAttestationObject(std::string_view cbor) {
  auto bad = [](std::string msg) { return Fail(ErrorCode::kValidationFailed, "attestation_object", std::move(msg)); };
  WHARF_ASSIGN_OR_RETURN(CborItem item, CborItem::Load(cbor, nullptr, "attestation_object"));
  if (!item.IsMapWithUniqueKeys()) return bad("the attestation object is not a CBOR map");
  auto fmt = CborText(item.MapGet("fmt"));
  auto auth_data = CborBytes(item.MapGet("authData"));
  const cbor_item_t* stmt = item.MapGet("attStmt");
  if (!fmt || !auth_data || !stmt || !cbor_isa_map(stmt)) {
    return bad("the attestation object needs fmt, attStmt and authData");
  }
  AttestationObject out;
  out.fmt = std::move(*fmt);
  out.auth_data = std::move(*auth_data);
  WHARF_ASSIGN_OR_RETURN(out.parsed, ParseAuthenticatorData(out.auth_data));
  size_t n = cbor_map_size(stmt);
  out.att_stmt_empty = n == 0;
  struct cbor_pair* pairs = cbor_map_handle(stmt);
  for (size_t i = 0; i < n; ++i) {
    auto key = CborText(pairs[i].key);
    if (!key) return bad("an attestation statement key is not text");
    if (*key == "alg") {
      out.alg = CborInt(pairs[i].value);
      if (!out.alg) return bad("the attestation statement alg is not an integer");
    } else if (*key == "sig") {
      auto sig = CborBytes(pairs[i].value);
      if (!sig) return bad("the attestation statement sig is not a byte string");
      out.sig = std::move(*sig);
    } else if (*key == "x5c") {
      const cbor_item_t* arr = pairs[i].value;
      if (!cbor_isa_array(arr) || !cbor_array_is_definite(arr) || cbor_array_size(arr) == 0 ||
          cbor_array_size(arr) > 8) {
        return bad("the attestation statement x5c is not an array of 1 to 8 certificates");
      }
      cbor_item_t** certs = cbor_array_handle(arr);
      for (size_t c = 0; c < cbor_array_size(arr); ++c) {
        auto der = CborBytes(certs[c]);
        if (!der || der->empty()) return bad("an x5c certificate is not a byte string");
        out.x5c.push_back(std::move(*der));
      }
    }
  }
  return out;
}

Result<NewCredential> VerifyRegistration(const RelyingParty& rp, std::string_view expected_challenge,
                                         std::string_view client_data_json, std::string_view attestation_object) {
  constexpr ErrorCode kCode = ErrorCode::kValidationFailed;
  WHARF_ASSIGN_OR_RETURN(CollectedClientData cd, ParseClientData(client_data_json));
  WHARF_TRY(CheckClientData(rp, cd, "webauthn.create", expected_challenge, kCode));
  WHARF_ASSIGN_OR_RETURN(AttestationObject att, ParseAttestationObject(attestation_object));
  const AuthenticatorData& ad = att.parsed;
  WHARF_TRY(CheckAuthenticatorData(rp, ad, kCode));
  if (!ad.credential) return Fail(kCode, "authenticator_data", "the registration carries no attested credential data");
  const AttestedCredentialData& cred = *ad.credential;
  std::string client_data_hash = Sha256(client_data_json);
  NewCredential out;
  out.fmt = att.fmt;
  if (att.fmt == "none") {
    if (!att.att_stmt_empty) return Fail(kCode, "attestation", "a \"none\" attestation must have an empty statement");
    out.attestation = AttestationType::kNone;
  } else if (att.fmt == "packed") {
    WHARF_ASSIGN_OR_RETURN(out.attestation, VerifyPackedStatement(att, client_data_hash));
    out.x5c = att.x5c;
  } else {
    return Fail(kCode, "attestation", "the attestation format \"" + att.fmt + "\" is not supported (none, packed)");
  }
  out.credential_id = cred.credential_id;
  out.public_key_cbor = cred.public_key_cbor;
  out.alg = cred.key.alg;
  out.sign_count = ad.sign_count;
  out.aaguid = cred.aaguid;
  out.user_verified = ad.has(kFlagUserVerified);
  out.backup_eligible = ad.has(kFlagBackupEligible);
  out.backed_up = ad.has(kFlagBackedUp);
  return out;
}

Result<AssertionOutcome> VerifyAssertion(const RelyingParty& rp, std::string_view expected_challenge,
                                         std::string_view client_data_json, std::string_view authenticator_data,
                                         std::string_view signature, const StoredCredential& stored) {
  constexpr ErrorCode kCode = ErrorCode::kUnauthenticated;
  WHARF_ASSIGN_OR_RETURN(CollectedClientData cd, ParseClientData(client_data_json));
  WHARF_TRY(CheckClientData(rp, cd, "webauthn.get", expected_challenge, kCode));
  WHARF_ASSIGN_OR_RETURN(AuthenticatorData ad, ParseAuthenticatorData(authenticator_data));
  WHARF_TRY(CheckAuthenticatorData(rp, ad, kCode));
  auto key = ParseCoseKey(stored.public_key_cbor);
  if (!key) return Internal("stored passkey public key does not parse: " + key.error().message);
  std::string signed_bytes = std::string(authenticator_data) + Sha256(client_data_json);
  PublicKey::Digest digest = key->alg == CoseAlg::kEdDsa ? PublicKey::Digest::kNone : PublicKey::Digest::kSha256;
  if (!key->key.Verify(digest, signed_bytes, signature)) {
    return Fail(kCode, "signature", "the passkey's signature is not valid");
  }
  // §7.2 step 21: a counter that does not move forward means two authenticators share the key.
  if ((ad.sign_count != 0 || stored.sign_count != 0) && ad.sign_count <= stored.sign_count) {
    return Fail(kCode, "sign_count", "the passkey's signature counter went backwards; the authenticator may be cloned");
  }
  AssertionOutcome out;
  out.sign_count = ad.sign_count;
  out.user_verified = ad.has(kFlagUserVerified);
  out.backed_up = ad.has(kFlagBackedUp);
  return out;
}

}  // namespace wharf::identity
