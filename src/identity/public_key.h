// PublicKey: an immutable OpenSSL public key (P-256, Ed25519 or RSA) that verifies signatures.
// Internal to src/identity: webauthn.cc builds it from a COSE key, jose.cc from a JWK, and the
// packed attestation check from an X.509 certificate. It never holds a private key.
//
//   WHARF_ASSIGN_OR_RETURN(PublicKey key, PublicKey::FromP256(x, y));
//   if (!key.Verify(PublicKey::Digest::kSha256, signed_bytes, der_signature)) return Fail(...);
//
// Thread-safety: a PublicKey is immutable after construction; copies share one EVP_PKEY, and
// Verify may run on several threads at once (each call uses its own EVP_MD_CTX).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "base/error.h"

typedef struct evp_pkey_st EVP_PKEY;

namespace wharf::identity {

class PublicKey {
 public:
  enum class Type { kNone, kP256, kEd25519, kRsa };
  enum class Digest { kNone, kSha256 };  // kNone for Ed25519 (the message is signed whole).

  PublicKey() = default;
  // x and y: 32-byte big-endian coordinates; a point off the curve is refused.
  static Result<PublicKey> FromP256(std::string_view x, std::string_view y);
  // x: the 32-byte Ed25519 public key.
  static Result<PublicKey> FromEd25519(std::string_view x);
  // n and e: big-endian unsigned integers; the modulus must be at least 2048 bits.
  static Result<PublicKey> FromRsa(std::string_view n, std::string_view e);
  // Takes ownership of `pkey` (from X509_get_pubkey); refuses key types other than the three.
  static Result<PublicKey> FromEvp(EVP_PKEY* pkey);

  Type type() const { return type_; }
  bool valid() const { return pkey_ != nullptr; }
  // True when `signature` (DER for ECDSA, raw for Ed25519 and RSA PKCS#1 v1.5) signs `message`.
  bool Verify(Digest digest, std::string_view message, std::string_view signature) const;

 private:
  std::shared_ptr<EVP_PKEY> pkey_;
  Type type_ = Type::kNone;
};

// An ECDSA P-256 signature as JOSE carries it (r || s, 32 bytes each) re-encoded as DER; "" when
// `raw` is not 64 bytes.
std::string EcdsaRawToDer(std::string_view raw);

// SHA-256 of `data` (32 raw bytes).
std::string Sha256(std::string_view data);

}  // namespace wharf::identity
