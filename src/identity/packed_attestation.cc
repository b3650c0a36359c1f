#include "identity/packed_attestation.h"

#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cctype>
#include <memory>
#include <vector>

namespace wharf::identity {
namespace {

tl::unexpected<Error> Bad(std::string message) {
  Error e{ErrorCode::kValidationFailed, std::move(message), {}, Layer::kNone, nlohmann::json::object()};
  e.details["check"] = "attestation";
  return tl::unexpected<Error>(std::move(e));
}

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
using Cert = std::unique_ptr<X509, X509Free>;

Cert ParseDer(const std::string& der) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  X509* x = d2i_X509(nullptr, &p, static_cast<long>(der.size()));
  if (x && p != reinterpret_cast<const unsigned char*>(der.data()) + der.size()) {  // trailing bytes
    X509_free(x);
    x = nullptr;
  }
  return Cert(x);
}

// The text of the first subject attribute `nid`, "" when absent.
std::string SubjectText(X509* cert, int nid) {
  X509_NAME* name = X509_get_subject_name(cert);
  int idx = X509_NAME_get_index_by_NID(name, nid, -1);
  if (idx < 0) return {};
  ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx));
  unsigned char* utf8 = nullptr;
  int len = ASN1_STRING_to_UTF8(&utf8, data);
  if (len < 0) return {};
  std::string out(reinterpret_cast<char*>(utf8), static_cast<size_t>(len));
  OPENSSL_free(utf8);
  return out;
}

// The expected key type and digest for an attestation `alg`.
bool AlgFits(int64_t alg, PublicKey::Type type, PublicKey::Digest* digest) {
  *digest = PublicKey::Digest::kSha256;
  if (alg == static_cast<int64_t>(CoseAlg::kEs256)) return type == PublicKey::Type::kP256;
  if (alg == static_cast<int64_t>(CoseAlg::kRs256)) return type == PublicKey::Type::kRsa;
  if (alg == static_cast<int64_t>(CoseAlg::kEdDsa)) {
    *digest = PublicKey::Digest::kNone;
    return type == PublicKey::Type::kEd25519;
  }
  return false;
}

// §8.2.1 requirements on the attestation (leaf) certificate.
Status CheckLeaf(X509* leaf, const std::string& aaguid) {
  if (X509_get_version(leaf) != 2) return Bad("the attestation certificate is not X.509 version 3");
  std::string c = SubjectText(leaf, NID_countryName);
  if (c.size() != 2 || !std::isupper(static_cast<unsigned char>(c[0])) ||
      !std::isupper(static_cast<unsigned char>(c[1]))) {
    return Bad("the attestation certificate's subject C is not a two-letter country code");
  }
  if (SubjectText(leaf, NID_organizationName).empty()) return Bad("the attestation certificate's subject has no O");
  if (SubjectText(leaf, NID_organizationalUnitName) != "Authenticator Attestation") {
    return Bad("the attestation certificate's subject OU is not \"Authenticator Attestation\"");
  }
  if (SubjectText(leaf, NID_commonName).empty()) return Bad("the attestation certificate's subject has no CN");
  // id-fido-gen-ce-aaguid: an OCTET STRING wrapping the 16-byte AAGUID.
  ASN1_OBJECT* oid = OBJ_txt2obj("1.3.6.1.4.1.45724.1.1.4", 1);
  int idx = oid ? X509_get_ext_by_OBJ(leaf, oid, -1) : -1;
  ASN1_OBJECT_free(oid);
  if (idx >= 0) {
    X509_EXTENSION* ext = X509_get_ext(leaf, idx);
    if (X509_EXTENSION_get_critical(ext)) return Bad("the attestation certificate's AAGUID extension is critical");
    ASN1_OCTET_STRING* outer = X509_EXTENSION_get_data(ext);
    const unsigned char* p = ASN1_STRING_get0_data(outer);
    ASN1_OCTET_STRING* inner = d2i_ASN1_OCTET_STRING(nullptr, &p, ASN1_STRING_length(outer));
    bool same = inner && ASN1_STRING_length(inner) == 16 &&
                std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(inner)), 16) == aaguid;
    ASN1_OCTET_STRING_free(inner);
    if (!same) return Bad("the attestation certificate's AAGUID differs from the authenticator's");
  }
  // Basic constraints must be present with CA false (X509_check_ca is 0 only for a non-CA).
  int crit = 0;
  BASIC_CONSTRAINTS* bc = static_cast<BASIC_CONSTRAINTS*>(X509_get_ext_d2i(leaf, NID_basic_constraints, &crit, nullptr));
  bool ca = bc && bc->ca;
  BASIC_CONSTRAINTS_free(bc);
  if (!bc && crit != -1) return Bad("the attestation certificate's basic constraints are malformed");
  if (ca || X509_check_ca(leaf) != 0) return Bad("the attestation certificate is a CA certificate");
  return Ok();
}

}  // namespace

Result<AttestationType> VerifyPackedStatement(const AttestationObject& att, std::string_view client_data_hash) {
  if (!att.alg || att.sig.empty()) return Bad("a packed attestation statement needs alg and sig");
  const AttestedCredentialData& cred = *att.parsed.credential;
  std::string signed_bytes = att.auth_data + std::string(client_data_hash);
  PublicKey::Digest digest;
  if (att.x5c.empty()) {
    if (*att.alg != static_cast<int64_t>(cred.key.alg)) {
      return Bad("the self attestation's alg differs from the credential key's algorithm");
    }
    AlgFits(*att.alg, cred.key.key.type(), &digest);
    if (!cred.key.key.Verify(digest, signed_bytes, att.sig)) return Bad("the self attestation signature is not valid");
    return AttestationType::kSelf;
  }
  std::vector<Cert> chain;
  for (const std::string& der : att.x5c) {
    Cert c = ParseDer(der);
    if (!c) return Bad("an x5c certificate is not DER X.509");
    chain.push_back(std::move(c));
  }
  auto leaf_key = PublicKey::FromEvp(X509_get_pubkey(chain[0].get()));
  if (!leaf_key) return Bad(leaf_key.error().message);
  if (!AlgFits(*att.alg, leaf_key->type(), &digest)) {
    return Bad("the attestation alg does not match the attestation certificate's key");
  }
  if (!leaf_key->Verify(digest, signed_bytes, att.sig)) return Bad("the attestation signature is not valid");
  WHARF_TRY(CheckLeaf(chain[0].get(), cred.aaguid));
  for (size_t i = 0; i + 1 < chain.size(); ++i) {
    EVP_PKEY* issuer_key = X509_get0_pubkey(chain[i + 1].get());
    if (!issuer_key || X509_verify(chain[i].get(), issuer_key) != 1) {
      return Bad("the x5c chain is broken: a certificate is not signed by the next one");
    }
  }
  return AttestationType::kBasic;
}

}  // namespace wharf::identity
