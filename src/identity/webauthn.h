// Passkeys: server-side WebAuthn Level 2 verification of registrations (navigator.credentials
// .create) and assertions (navigator.credentials.get), with OpenSSL for signatures and X.509 and
// libcbor for CBOR. Credential keys: ES256 (-7, P-256), EdDSA (-8, Ed25519), RS256 (-257, RSA
// >= 2048 bits). Attestation formats: "none", and "packed" both as self attestation and with an
// x5c certificate chain (the certificate requirements of §8.2.1 are checked; whether to trust
// the vendor's root is a policy the caller applies to NewCredential::x5c).
//
// Every check that fails is named in the error's details.check ("type", "challenge", "origin",
// "cross_origin", "rp_id", "user_present", "user_verified", "algorithm", "attestation",
// "signature", "sign_count", or a parse step), so the caller can log it and the user learns
// which rule the authenticator broke. Parse faults are kValidationFailed; a failed assertion
// check is kUnauthenticated; a failed registration check is kValidationFailed.
//
//   RelyingParty rp{"wharf.example.com", {"https://wharf.example.com"}};
//   WHARF_ASSIGN_OR_RETURN(NewCredential c, VerifyRegistration(rp, challenge, client_data, att_obj));
//   // store c.credential_id, c.public_key_cbor, c.sign_count ...
//   auto ok = VerifyAssertion(rp, challenge, client_data, auth_data, sig, {stored.key, stored.count});
//
// The caller owns the ceremony state: it issues the random challenge (>= 16 bytes), keeps it
// server-side for one attempt only, finds the stored credential by its id, checks that the
// credential belongs to the user (userHandle), and stores the returned sign count.
// Thread-safety: pure functions over values; safe from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "identity/public_key.h"

namespace wharf::identity {

// COSE algorithm identifiers (IANA COSE Algorithms registry) Wharf accepts.
enum class CoseAlg : int { kEs256 = -7, kEdDsa = -8, kRs256 = -257 };
std::string_view CoseAlgName(CoseAlg alg);  // "ES256", "EdDSA", "RS256"

struct CoseKey {
  CoseAlg alg = CoseAlg::kEs256;
  PublicKey key;
};
// Parses a COSE_Key (RFC 8152 §7; EC2 P-256, OKP Ed25519, RSA) that is exactly `cbor`.
// Errors: kValidationFailed, details.check = "public_key".
Result<CoseKey> ParseCoseKey(std::string_view cbor);

// Authenticator data flag bits (WebAuthn §6.1).
inline constexpr uint8_t kFlagUserPresent = 0x01;
inline constexpr uint8_t kFlagUserVerified = 0x04;
inline constexpr uint8_t kFlagBackupEligible = 0x08;
inline constexpr uint8_t kFlagBackedUp = 0x10;
inline constexpr uint8_t kFlagAttestedData = 0x40;
inline constexpr uint8_t kFlagExtensions = 0x80;

struct AttestedCredentialData {
  std::string aaguid;           // 16 bytes
  std::string credential_id;    // 1..1023 bytes
  std::string public_key_cbor;  // the COSE_Key exactly as the authenticator encoded it
  CoseKey key;
};

struct AuthenticatorData {
  std::string rp_id_hash;  // 32 bytes: SHA-256 of the RP ID the authenticator scoped it to
  uint8_t flags = 0;
  uint32_t sign_count = 0;
  std::optional<AttestedCredentialData> credential;  // present iff kFlagAttestedData
  std::string extensions_cbor;                       // the extensions map, iff kFlagExtensions
  bool has(uint8_t flag) const { return (flags & flag) != 0; }
};
// Parses authenticator data (§6.1): 37 fixed bytes, then attested credential data when AT is
// set, then a CBOR extensions map when ED is set, and nothing after. Errors: kValidationFailed,
// details.check = "authenticator_data" (or "public_key" for a bad credential key).
Result<AuthenticatorData> ParseAuthenticatorData(std::string_view bytes);

struct CollectedClientData {
  std::string type;       // "webauthn.create" or "webauthn.get"
  std::string challenge;  // decoded bytes
  std::string origin;
  bool cross_origin = false;
};
// Parses clientDataJSON (§5.8.1). Errors: kValidationFailed, details.check = "client_data".
Result<CollectedClientData> ParseClientData(std::string_view json);

struct AttestationObject {
  std::string fmt;        // "none", "packed", or another format (refused by VerifyRegistration)
  std::string auth_data;  // raw bytes, as signed
  AuthenticatorData parsed;
  // packed attStmt: alg, sig and the optional x5c chain (leaf first, DER).
  std::optional<int64_t> alg;
  std::string sig;
  std::vector<std::string> x5c;
  bool att_stmt_empty = true;
};
// Parses the CBOR attestation object {fmt, attStmt, authData} (§6.5). Errors: kValidationFailed,
// details.check = "attestation_object" (or the authenticator data's checks).
Result<AttestationObject> ParseAttestationObject(std::string_view cbor);

// The relying party: its RP ID and the exact origins its pages are served from.
struct RelyingParty {
  std::string id;                    // "wharf.example.com"
  std::vector<std::string> origins;  // {"https://wharf.example.com"}
  bool require_user_verification = false;  // true for passwordless sign-in
  bool allow_cross_origin = false;         // clientData.crossOrigin = true is refused otherwise
};

enum class AttestationType { kNone, kSelf, kBasic };

struct NewCredential {
  std::string credential_id;
  std::string public_key_cbor;  // store this; VerifyAssertion takes it back
  CoseAlg alg = CoseAlg::kEs256;
  uint32_t sign_count = 0;
  std::string aaguid;  // 16 bytes
  bool user_verified = false;
  bool backup_eligible = false;  // a synced passkey
  bool backed_up = false;
  std::string fmt;  // "none" or "packed"
  AttestationType attestation = AttestationType::kNone;
  std::vector<std::string> x5c;  // kBasic: the chain as sent (leaf first), trust not evaluated
};

// Verifies a registration (§7.1): client data type "webauthn.create", challenge, origin,
// crossOrigin, rpIdHash, UP (always), UV (when required), BS without BE, attested credential
// data with an allowed algorithm, and the attestation statement. Errors: kValidationFailed
// with details.check naming the failed step.
Result<NewCredential> VerifyRegistration(const RelyingParty& rp, std::string_view expected_challenge,
                                         std::string_view client_data_json, std::string_view attestation_object);

struct StoredCredential {
  std::string_view public_key_cbor;  // NewCredential::public_key_cbor
  uint32_t sign_count = 0;           // the last count stored
};

struct AssertionOutcome {
  uint32_t sign_count = 0;  // store it in place of the old one
  bool user_verified = false;
  bool backed_up = false;
};

// Verifies an assertion (§7.2): client data type "webauthn.get", challenge, origin, crossOrigin,
// rpIdHash, UP (always), UV (when required), the signature over authenticatorData ||
// SHA-256(clientDataJSON) with the stored key, and the signature counter: when either the new
// or the stored count is non-zero, the new one must be greater, or the authenticator may have
// been cloned (check "sign_count"). Errors: kValidationFailed for unparsable input,
// kUnauthenticated with details.check for a failed check.
Result<AssertionOutcome> VerifyAssertion(const RelyingParty& rp, std::string_view expected_challenge,
                                         std::string_view client_data_json, std::string_view authenticator_data,
                                         std::string_view signature, const StoredCredential& stored);

}  // namespace wharf::identity
