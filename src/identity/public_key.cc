#include "identity/public_key.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/sha.h>

namespace wharf::identity {
namespace {

struct BnFree {
  void operator()(BIGNUM* b) const { BN_free(b); }
};
using Bn = std::unique_ptr<BIGNUM, BnFree>;

Bn ToBn(std::string_view bytes) {
  return Bn(BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()),
                      nullptr));
}

// Builds an EVP_PKEY of `type` ("EC", "RSA") from OSSL params; nullptr when OpenSSL refuses them.
EVP_PKEY* FromParams(const char* type, OSSL_PARAM_BLD* bld) {
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr);
  EVP_PKEY* pkey = nullptr;
  if (params && ctx && EVP_PKEY_fromdata_init(ctx) == 1) {
    if (EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1) pkey = nullptr;
  }
  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_free(params);
  return pkey;
}

std::shared_ptr<EVP_PKEY> Own(EVP_PKEY* p) { return std::shared_ptr<EVP_PKEY>(p, EVP_PKEY_free); }

}  // namespace

Result<PublicKey> PublicKey::FromP256(std::string_view x, std::string_view y) {
  if (x.size() != 32 || y.size() != 32) return Err(ErrorCode::kValidationFailed, "P-256 coordinates must be 32 bytes");
  std::string point = "\x04" + std::string(x) + std::string(y);
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  EVP_PKEY* pkey = nullptr;
  if (bld && OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) == 1 &&
      OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) == 1) {
    pkey = FromParams("EC", bld);  // decoding the point checks that it lies on the curve
  }
  OSSL_PARAM_BLD_free(bld);
  if (!pkey) return Err(ErrorCode::kValidationFailed, "the P-256 public key is not a point on the curve");
  PublicKey k;
  k.pkey_ = Own(pkey);
  k.type_ = Type::kP256;
  return k;
}

Result<PublicKey> PublicKey::FromEd25519(std::string_view x) {
  if (x.size() != 32) return Err(ErrorCode::kValidationFailed, "an Ed25519 public key must be 32 bytes");
  EVP_PKEY* pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                               reinterpret_cast<const unsigned char*>(x.data()), x.size());
  if (!pkey) return Err(ErrorCode::kValidationFailed, "the Ed25519 public key is not valid");
  PublicKey k;
  k.pkey_ = Own(pkey);
  k.type_ = Type::kEd25519;
  return k;
}

Result<PublicKey> PublicKey::FromRsa(std::string_view n, std::string_view e) {
  while (!n.empty() && n.front() == '\0') n.remove_prefix(1);
  while (!e.empty() && e.front() == '\0') e.remove_prefix(1);
  if (n.size() < 256) return Err(ErrorCode::kValidationFailed, "the RSA modulus must be at least 2048 bits");
  if (n.size() > 1024) return Err(ErrorCode::kValidationFailed, "the RSA modulus is longer than 8192 bits");
  if (e.empty() || e.size() > 8) return Err(ErrorCode::kValidationFailed, "the RSA exponent is not valid");
  Bn bn_n = ToBn(n), bn_e = ToBn(e);
  if (!bn_n || !bn_e || !BN_is_odd(bn_e.get()) || BN_is_one(bn_e.get())) {
    return Err(ErrorCode::kValidationFailed, "the RSA exponent is not valid");
  }
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  EVP_PKEY* pkey = nullptr;
  if (bld && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n.get()) == 1 &&
      OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e.get()) == 1) {
    pkey = FromParams("RSA", bld);
  }
  OSSL_PARAM_BLD_free(bld);
  if (!pkey) return Err(ErrorCode::kValidationFailed, "the RSA public key is not valid");
  PublicKey k;
  k.pkey_ = Own(pkey);
  k.type_ = Type::kRsa;
  return k;
}

Result<PublicKey> PublicKey::FromEvp(EVP_PKEY* pkey) {
  auto owned = Own(pkey);
  if (!pkey) return Err(ErrorCode::kValidationFailed, "the certificate has no readable public key");
  PublicKey k;
  if (EVP_PKEY_is_a(pkey, "ED25519")) {
    k.type_ = Type::kEd25519;
  } else if (EVP_PKEY_is_a(pkey, "RSA")) {
    if (EVP_PKEY_get_bits(pkey) < 2048) return Err(ErrorCode::kValidationFailed, "the RSA key is shorter than 2048 bits");
    k.type_ = Type::kRsa;
  } else if (EVP_PKEY_is_a(pkey, "EC")) {
    char group[64] = {0};
    size_t len = 0;
    if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &len) != 1 ||
        std::string_view(group, len) != "prime256v1") {
      return Err(ErrorCode::kValidationFailed, "the certificate's EC key is not on P-256");
    }
    k.type_ = Type::kP256;
  } else {
    return Err(ErrorCode::kValidationFailed, "the certificate's key type is not supported");
  }
  k.pkey_ = std::move(owned);
  return k;
}

bool PublicKey::Verify(Digest digest, std::string_view message, std::string_view signature) const {
  if (!pkey_) return false;
  // The digest must match the key type: Ed25519 signs the message itself, the others its SHA-256.
  if ((type_ == Type::kEd25519) != (digest == Digest::kNone)) return false;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (!ctx) return false;
  bool ok = EVP_DigestVerifyInit(ctx, nullptr, digest == Digest::kSha256 ? EVP_sha256() : nullptr, nullptr,
                                 pkey_.get()) == 1 &&
            EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                             reinterpret_cast<const unsigned char*>(message.data()), message.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return ok;
}

std::string EcdsaRawToDer(std::string_view raw) {
  if (raw.size() != 64) return {};
  const auto* p = reinterpret_cast<const unsigned char*>(raw.data());
  ECDSA_SIG* sig = ECDSA_SIG_new();
  BIGNUM* r = BN_bin2bn(p, 32, nullptr);
  BIGNUM* s = BN_bin2bn(p + 32, 32, nullptr);
  std::string out;
  if (sig && r && s && ECDSA_SIG_set0(sig, r, s) == 1) {
    r = s = nullptr;  // owned by sig now
    unsigned char* der = nullptr;
    int len = i2d_ECDSA_SIG(sig, &der);
    if (len > 0) out.assign(reinterpret_cast<char*>(der), static_cast<size_t>(len));
    OPENSSL_free(der);
  }
  BN_free(r);
  BN_free(s);
  ECDSA_SIG_free(sig);
  return out;
}

std::string Sha256(std::string_view data) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), md);
  return std::string(reinterpret_cast<char*>(md), sizeof md);
}

}  // namespace wharf::identity
