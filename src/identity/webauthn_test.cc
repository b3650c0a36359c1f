#include <gtest/gtest.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

#include "base/strings.h"
#include "identity/jose.h"
#include "identity/public_key.h"
#include "identity/webauthn.h"
#include "identity/webauthn_test_vectors.h"

namespace wharf::identity {
namespace {

const RelyingParty kLocalhost{"localhost", {"http://localhost:5000"}};

std::string B64(std::string_view s) {
  std::string out;
  EXPECT_TRUE(Base64UrlDecodeStrict(s, &out)) << s;
  return out;
}

// A minimal CBOR encoder (RFC 8949 §3), independent of the libcbor parser under test.
struct Cbor {
  static std::string Head(int major, uint64_t v) {
    std::string out;
    uint8_t m = static_cast<uint8_t>(major << 5);
    if (v < 24) return std::string(1, static_cast<char>(m | v));
    int n = v < 0x100 ? 1 : v < 0x10000 ? 2 : v < 0x100000000ull ? 4 : 8;
    out.push_back(static_cast<char>(m | (n == 1 ? 24 : n == 2 ? 25 : n == 4 ? 26 : 27)));
    for (int i = n - 1; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
    return out;
  }
  static std::string Int(int64_t v) { return v >= 0 ? Head(0, static_cast<uint64_t>(v)) : Head(1, static_cast<uint64_t>(-1 - v)); }
  static std::string Bytes(std::string_view b) { return Head(2, b.size()) + std::string(b); }
  static std::string Text(std::string_view t) { return Head(3, t.size()) + std::string(t); }
  static std::string Array(size_t n) { return Head(4, n); }
  static std::string Map(size_t n) { return Head(5, n); }
};

std::string U32(uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v)};
}

// A software authenticator with a real key pair: it builds the COSE key, authenticator data,
// attestation objects and signatures a browser would return, so every check can be broken on
// purpose one at a time.
class SoftAuthenticator {
 public:
  explicit SoftAuthenticator(CoseAlg alg) : alg_(alg) {
    EVP_PKEY* k = alg == CoseAlg::kEs256   ? EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")
                  : alg == CoseAlg::kEdDsa ? EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519")
                                           : EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048});
    key_.reset(k);
  }

  std::string CoseKey() const {
    if (alg_ == CoseAlg::kEdDsa) {
      unsigned char raw[32];
      size_t len = sizeof raw;
      EVP_PKEY_get_raw_public_key(key_.get(), raw, &len);
      return Cbor::Map(4) + Cbor::Int(1) + Cbor::Int(1) + Cbor::Int(3) + Cbor::Int(-8) + Cbor::Int(-1) + Cbor::Int(6) +
             Cbor::Int(-2) + Cbor::Bytes(std::string_view(reinterpret_cast<char*>(raw), len));
    }
    if (alg_ == CoseAlg::kEs256) {
      return Cbor::Map(5) + Cbor::Int(1) + Cbor::Int(2) + Cbor::Int(3) + Cbor::Int(-7) + Cbor::Int(-1) + Cbor::Int(1) +
             Cbor::Int(-2) + Cbor::Bytes(Bn(OSSL_PKEY_PARAM_EC_PUB_X, 32)) + Cbor::Int(-3) +
             Cbor::Bytes(Bn(OSSL_PKEY_PARAM_EC_PUB_Y, 32));
    }
    return Cbor::Map(4) + Cbor::Int(1) + Cbor::Int(3) + Cbor::Int(3) + Cbor::Int(-257) + Cbor::Int(-1) +
           Cbor::Bytes(Bn(OSSL_PKEY_PARAM_RSA_N, 0)) + Cbor::Int(-2) + Cbor::Bytes(Bn(OSSL_PKEY_PARAM_RSA_E, 0));
  }

  std::string Sign(std::string_view msg) const {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    EVP_DigestSignInit(ctx, nullptr, alg_ == CoseAlg::kEdDsa ? nullptr : EVP_sha256(), nullptr, key_.get());
    size_t len = 0;
    EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(msg.data()), msg.size());
    std::string sig(len, '\0');
    EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                   reinterpret_cast<const unsigned char*>(msg.data()), msg.size());
    EVP_MD_CTX_free(ctx);
    sig.resize(len);
    return sig;
  }

  std::string AuthData(std::string_view rp_id, uint8_t flags, uint32_t count, bool attested) const {
    std::string ad = Sha256(rp_id) + std::string(1, static_cast<char>(flags | (attested ? kFlagAttestedData : 0))) +
                     U32(count);
    if (attested) ad += std::string(16, '\x11') + std::string("\x00\x04", 2) + credential_id_ + CoseKey();
    return ad;
  }

  // "packed" self attestation over authData || SHA-256(clientDataJSON).
  std::string PackedSelf(const std::string& auth_data, std::string_view client_data_json, int64_t alg) const {
    std::string sig = Sign(auth_data + Sha256(client_data_json));
    return Cbor::Map(3) + Cbor::Text("fmt") + Cbor::Text("packed") + Cbor::Text("attStmt") + Cbor::Map(2) +
           Cbor::Text("alg") + Cbor::Int(alg) + Cbor::Text("sig") + Cbor::Bytes(sig) + Cbor::Text("authData") +
           Cbor::Bytes(auth_data);
  }

  const std::string& credential_id() const { return credential_id_; }
  EVP_PKEY* pkey() const { return key_.get(); }

 private:
  std::string Bn(const char* name, size_t pad) const {
    BIGNUM* bn = nullptr;
    EVP_PKEY_get_bn_param(key_.get(), name, &bn);
    std::string out(pad ? pad : static_cast<size_t>(BN_num_bytes(bn)), '\0');
    BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(out.size()));
    BN_free(bn);
    return out;
  }
  struct Free {
    void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
  };
  CoseAlg alg_;
  std::unique_ptr<EVP_PKEY, Free> key_;
  std::string credential_id_ = "cred";
};

std::string ClientData(std::string_view type, std::string_view challenge, std::string_view origin,
                       bool cross_origin = false) {
  return R"({"type":")" + std::string(type) + R"(","challenge":")" + Base64UrlEncode(challenge) + R"(","origin":")" +
         std::string(origin) + R"(","crossOrigin":)" + (cross_origin ? "true" : "false") + "}";
}

std::string Check(const Result<AssertionOutcome>& r) {
  return r ? "ok" : r.error().details.value("check", "?");
}
template <typename T>
std::string CheckOf(const Result<T>& r) {
  return r ? "ok" : r.error().details.value("check", "?");
}

struct CertSpec {
  std::string ou = "Authenticator Attestation";
  bool ca = false;
  std::string aaguid = std::string(16, '\x11');  // "" leaves the extension out
  bool aaguid_critical = false;
};

// A self-signed attestation certificate for `key` with the subject and extensions of `spec`.
std::string MakeAttestationCert(EVP_PKEY* key, const CertSpec& spec) {
  X509* x = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
  X509_gmtime_adj(X509_getm_notBefore(x), 0);
  X509_gmtime_adj(X509_getm_notAfter(x), 3600);
  X509_NAME* name = X509_get_subject_name(x);
  auto add = [&](const char* field, const std::string& v) {
    X509_NAME_add_entry_by_txt(name, field, MBSTRING_ASC, reinterpret_cast<const unsigned char*>(v.c_str()), -1, -1,
                               0);
  };
  add("C", "SE");
  add("O", "Wharf Test");
  add("OU", spec.ou);
  add("CN", "Wharf Test Authenticator");
  X509_set_issuer_name(x, name);
  X509_set_pubkey(x, key);
  X509_EXTENSION* bc = X509V3_EXT_conf_nid(nullptr, nullptr, NID_basic_constraints, spec.ca ? "CA:TRUE" : "CA:FALSE");
  X509_add_ext(x, bc, -1);
  X509_EXTENSION_free(bc);
  if (!spec.aaguid.empty()) {
    ASN1_OCTET_STRING* inner = ASN1_OCTET_STRING_new();
    ASN1_OCTET_STRING_set(inner, reinterpret_cast<const unsigned char*>(spec.aaguid.data()), 16);
    unsigned char* der = nullptr;
    int len = i2d_ASN1_OCTET_STRING(inner, &der);
    ASN1_OCTET_STRING* outer = ASN1_OCTET_STRING_new();
    ASN1_OCTET_STRING_set(outer, der, len);
    ASN1_OBJECT* oid = OBJ_txt2obj("1.3.6.1.4.1.45724.1.1.4", 1);
    X509_EXTENSION* ext = X509_EXTENSION_create_by_OBJ(nullptr, oid, spec.aaguid_critical ? 1 : 0, outer);
    X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    ASN1_OBJECT_free(oid);
    ASN1_OCTET_STRING_free(outer);
    ASN1_OCTET_STRING_free(inner);
    OPENSSL_free(der);
  }
  X509_sign(x, key, EVP_sha256());
  unsigned char* der = nullptr;
  int len = i2d_X509(x, &der);
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  X509_free(x);
  return out;
}

// ---- Real vectors (py_webauthn's recorded browser output) ----

TEST(WebAuthnRegistrationTest, NoneAttestationEs256) {
  const auto& v = testdata::kRegNone;
  auto r = VerifyRegistration(kLocalhost, B64(v.challenge), B64(v.client_data_json), B64(v.attestation_object));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->fmt, "none");
  EXPECT_EQ(r->attestation, AttestationType::kNone);
  EXPECT_EQ(r->alg, CoseAlg::kEs256);
  EXPECT_EQ(r->credential_id, B64(v.credential_id));
  EXPECT_EQ(r->aaguid, std::string(16, '\0'));
  EXPECT_EQ(r->sign_count, 23u);
  // py_webauthn's expected credential_public_key for this vector.
  EXPECT_EQ(Base64UrlEncode(r->public_key_cbor),
            "pQECAyYgASFYIEhW1CRfuNlIN6XTPKw0RbvzeaIlRMrDwwep-uq_-3WQIlgg1FZwd_RZRsqS_qgKCDvcVh7ScoKNo3w5h5fv3ihUSww");
}

TEST(WebAuthnRegistrationTest, PackedWithX5cFromAYubiKey) {
  const auto& v = testdata::kRegPackedYubikey;
  auto r = VerifyRegistration(kLocalhost, B64(v.challenge), B64(v.client_data_json), B64(v.attestation_object));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->fmt, "packed");
  EXPECT_EQ(r->attestation, AttestationType::kBasic);
  EXPECT_EQ(r->x5c.size(), 1u);
  EXPECT_EQ(r->credential_id, B64(v.credential_id));
  EXPECT_EQ(HexEncode(r->aaguid), "6d44ba9bf6ec2e49b9300c8fe920cb73");
}

TEST(WebAuthnRegistrationTest, PackedWithX5cAndAnEdDsaCredentialKey) {
  const auto& v = testdata::kRegPackedOkp;
  auto r = VerifyRegistration(kLocalhost, B64(v.challenge), B64(v.client_data_json), B64(v.attestation_object));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->alg, CoseAlg::kEdDsa);
  EXPECT_EQ(r->attestation, AttestationType::kBasic);
  EXPECT_EQ(r->credential_id, B64(v.credential_id));
}

TEST(WebAuthnRegistrationTest, WrongOriginRpIdAndChallengeAreNamed) {
  const auto& v = testdata::kRegNone;
  std::string cd = B64(v.client_data_json), att = B64(v.attestation_object), ch = B64(v.challenge);
  EXPECT_EQ(CheckOf(VerifyRegistration({"localhost", {"https://localhost:5000"}}, ch, cd, att)), "origin");
  EXPECT_EQ(CheckOf(VerifyRegistration({"example.com", {"http://localhost:5000"}}, ch, cd, att)), "rp_id");
  EXPECT_EQ(CheckOf(VerifyRegistration(kLocalhost, ch.substr(1), cd, att)), "challenge");
  RelyingParty uv = kLocalhost;
  uv.require_user_verification = true;
  EXPECT_EQ(CheckOf(VerifyRegistration(uv, ch, cd, att)), "ok");  // this authenticator did verify (flags 0x45)
}

TEST(WebAuthnRegistrationTest, TamperedPackedSignatureIsRefused) {
  const auto& v = testdata::kRegPackedYubikey;
  auto att = ParseAttestationObject(B64(v.attestation_object));
  ASSERT_TRUE(att);
  std::string sig = att->sig;
  sig[sig.size() - 3] ^= 0x01;
  std::string rebuilt = Cbor::Map(3) + Cbor::Text("fmt") + Cbor::Text("packed") + Cbor::Text("attStmt") +
                        Cbor::Map(3) + Cbor::Text("alg") + Cbor::Int(-7) + Cbor::Text("sig") + Cbor::Bytes(sig) +
                        Cbor::Text("x5c") + Cbor::Array(1) + Cbor::Bytes(att->x5c[0]) + Cbor::Text("authData") +
                        Cbor::Bytes(att->auth_data);
  auto r = VerifyRegistration(kLocalhost, B64(v.challenge), B64(v.client_data_json), rebuilt);
  EXPECT_EQ(CheckOf(r), "attestation");
  // The same statement untampered, re-encoded by this test's encoder, still verifies.
  std::string same = Cbor::Map(3) + Cbor::Text("fmt") + Cbor::Text("packed") + Cbor::Text("attStmt") + Cbor::Map(3) +
                     Cbor::Text("alg") + Cbor::Int(-7) + Cbor::Text("sig") + Cbor::Bytes(att->sig) +
                     Cbor::Text("x5c") + Cbor::Array(1) + Cbor::Bytes(att->x5c[0]) + Cbor::Text("authData") +
                     Cbor::Bytes(att->auth_data);
  EXPECT_EQ(CheckOf(VerifyRegistration(kLocalhost, B64(v.challenge), B64(v.client_data_json), same)), "ok");
}

TEST(WebAuthnAssertionTest, Es256Rs256AndEdDsaVectorsVerify) {
  struct Case {
    const testdata::Assertion* v;
    bool require_uv;
    uint32_t want_count;
  } cases[] = {{&testdata::kAuthEs256, false, 78}, {&testdata::kAuthRs256, true, 1}, {&testdata::kAuthEdDsa, false, 7}};
  for (const auto& c : cases) {
    RelyingParty rp = kLocalhost;
    rp.require_user_verification = c.require_uv;
    std::string key = B64(c.v->credential_public_key);
    auto r = VerifyAssertion(rp, B64(c.v->challenge), B64(c.v->client_data_json), B64(c.v->authenticator_data),
                             B64(c.v->signature), {key, c.v->stored_sign_count});
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->sign_count, c.want_count);
  }
}

TEST(WebAuthnAssertionTest, NegativeVectors) {
  const auto& v = testdata::kAuthEs256;
  std::string key = B64(v.credential_public_key), ch = B64(v.challenge), cd = B64(v.client_data_json),
              ad = B64(v.authenticator_data), sig = B64(v.signature);
  EXPECT_EQ(Check(VerifyAssertion({"localhost", {"http://localhost:5001"}}, ch, cd, ad, sig, {key, 77})), "origin");
  EXPECT_EQ(Check(VerifyAssertion({"localhost.evil", {"http://localhost:5000"}}, ch, cd, ad, sig, {key, 77})),
            "rp_id");
  std::string other_ch = ch;
  other_ch[0] ^= 1;
  EXPECT_EQ(Check(VerifyAssertion(kLocalhost, other_ch, cd, ad, sig, {key, 77})), "challenge");
  std::string bad_sig = sig;
  bad_sig[10] ^= 0x40;
  EXPECT_EQ(Check(VerifyAssertion(kLocalhost, ch, cd, ad, bad_sig, {key, 77})), "signature");
  std::string bad_ad = ad;
  bad_ad[36] ^= 0x01;  // the signed counter: the signature no longer covers it
  EXPECT_EQ(Check(VerifyAssertion(kLocalhost, ch, cd, bad_ad, sig, {key, 77})), "signature");
  // Counter regression: the vector's counter is 78; a stored 78 or more means a clone.
  EXPECT_EQ(Check(VerifyAssertion(kLocalhost, ch, cd, ad, sig, {key, 78})), "sign_count");
  EXPECT_EQ(Check(VerifyAssertion(kLocalhost, ch, cd, ad, sig, {key, 500})), "sign_count");
  EXPECT_EQ(Check(VerifyAssertion(kLocalhost, ch, cd, ad, sig, {key, 77})), "ok");
  // py_webauthn's negative vectors: a signature by another key, and UV required but absent.
  const auto& w = testdata::kAuthWrongKey;
  EXPECT_EQ(Check(VerifyAssertion(kLocalhost, B64(w.challenge), B64(w.client_data_json), B64(w.authenticator_data),
                                  B64(w.signature), {B64(w.credential_public_key), w.stored_sign_count})),
            "signature");
  const auto& u = testdata::kAuthNoUv;
  RelyingParty uv = kLocalhost;
  uv.require_user_verification = true;
  auto nouv = VerifyAssertion(uv, B64(u.challenge), B64(u.client_data_json), B64(u.authenticator_data),
                              B64(u.signature), {B64(u.credential_public_key), u.stored_sign_count});
  EXPECT_EQ(Check(nouv), "user_verified");
  EXPECT_EQ(nouv.error().code, ErrorCode::kUnauthenticated);
  // A registration's client data cannot stand in for an assertion's.
  const auto& reg = testdata::kRegNone;
  EXPECT_EQ(Check(VerifyAssertion(kLocalhost, B64(reg.challenge), B64(reg.client_data_json), ad, sig, {key, 77})),
            "type");
}

// ---- The software authenticator: the checks real vectors cannot reach ----

TEST(WebAuthnSoftTest, PackedSelfAttestationForEachAlgorithmThenAssertions) {
  for (CoseAlg alg : {CoseAlg::kEs256, CoseAlg::kEdDsa, CoseAlg::kRs256}) {
    SCOPED_TRACE(std::string(CoseAlgName(alg)));
    SoftAuthenticator a(alg);
    std::string challenge(32, '\x42');
    std::string cd = ClientData("webauthn.create", challenge, "http://localhost:5000");
    std::string ad = a.AuthData("localhost", kFlagUserPresent | kFlagUserVerified, 0, true);
    auto reg = VerifyRegistration(kLocalhost, challenge, cd, a.PackedSelf(ad, cd, static_cast<int>(alg)));
    ASSERT_TRUE(reg) << reg.error().message;
    EXPECT_EQ(reg->attestation, AttestationType::kSelf);
    EXPECT_EQ(reg->alg, alg);
    EXPECT_EQ(reg->credential_id, a.credential_id());
    // A self attestation whose alg differs from the credential key is refused.
    int64_t other = alg == CoseAlg::kEs256 ? -257 : -7;
    EXPECT_EQ(CheckOf(VerifyRegistration(kLocalhost, challenge, cd, a.PackedSelf(ad, cd, other))), "attestation");

    // Sign in twice; the counter moves forward.
    std::string get_ch(32, '\x07');
    std::string get_cd = ClientData("webauthn.get", get_ch, "http://localhost:5000");
    std::string get_ad = a.AuthData("localhost", kFlagUserPresent, 5, false);
    auto ok = VerifyAssertion(kLocalhost, get_ch, get_cd, get_ad, a.Sign(get_ad + Sha256(get_cd)),
                              {reg->public_key_cbor, reg->sign_count});
    ASSERT_TRUE(ok) << ok.error().message;
    EXPECT_EQ(ok->sign_count, 5u);
  }
}

TEST(WebAuthnSoftTest, EachAssertionCheckFailsOnItsOwn) {
  SoftAuthenticator a(CoseAlg::kEs256);
  std::string key = a.CoseKey();
  std::string ch(32, '\x09');
  auto run = [&](const RelyingParty& rp, std::string_view cd, uint8_t flags, uint32_t count, uint32_t stored) {
    std::string ad = a.AuthData("localhost", flags, count, false);
    return Check(VerifyAssertion(rp, ch, cd, ad, a.Sign(ad + Sha256(cd)), {key, stored}));
  };
  std::string good = ClientData("webauthn.get", ch, "http://localhost:5000");
  EXPECT_EQ(run(kLocalhost, good, kFlagUserPresent, 10, 9), "ok");
  EXPECT_EQ(run(kLocalhost, good, 0, 10, 9), "user_present");
  EXPECT_EQ(run(kLocalhost, good, kFlagUserVerified, 10, 9), "user_present");
  RelyingParty uv = kLocalhost;
  uv.require_user_verification = true;
  EXPECT_EQ(run(uv, good, kFlagUserPresent, 10, 9), "user_verified");
  EXPECT_EQ(run(uv, good, kFlagUserPresent | kFlagUserVerified, 10, 9), "ok");
  EXPECT_EQ(run(kLocalhost, good, kFlagUserPresent | kFlagBackedUp, 10, 9), "authenticator_data");
  EXPECT_EQ(run(kLocalhost, good, kFlagUserPresent | kFlagBackedUp | kFlagBackupEligible, 10, 9), "ok");
  // Counter: equal or lower is a clone; both zero means the authenticator has no counter.
  EXPECT_EQ(run(kLocalhost, good, kFlagUserPresent, 9, 9), "sign_count");
  EXPECT_EQ(run(kLocalhost, good, kFlagUserPresent, 3, 9), "sign_count");
  EXPECT_EQ(run(kLocalhost, good, kFlagUserPresent, 0, 9), "sign_count");
  EXPECT_EQ(run(kLocalhost, good, kFlagUserPresent, 0, 0), "ok");
  EXPECT_EQ(run(kLocalhost, good, kFlagUserPresent, 1, 0), "ok");
  EXPECT_EQ(run(kLocalhost, ClientData("webauthn.get", ch, "https://evil.example"), kFlagUserPresent, 10, 9), "origin");
  EXPECT_EQ(run(kLocalhost, ClientData("webauthn.get", ch, "http://localhost:5000", true), kFlagUserPresent, 10, 9),
            "cross_origin");
  RelyingParty framed = kLocalhost;
  framed.allow_cross_origin = true;
  EXPECT_EQ(run(framed, ClientData("webauthn.get", ch, "http://localhost:5000", true), kFlagUserPresent, 10, 9), "ok");
  EXPECT_EQ(run(kLocalhost, ClientData("webauthn.create", ch, "http://localhost:5000"), kFlagUserPresent, 10, 9),
            "type");
}

TEST(WebAuthnSoftTest, RegistrationRequiresUserPresenceAndASupportedFormat) {
  SoftAuthenticator a(CoseAlg::kEs256);
  std::string ch(16, '\x01');
  std::string cd = ClientData("webauthn.create", ch, "http://localhost:5000");
  std::string no_up = a.AuthData("localhost", 0, 0, true);
  EXPECT_EQ(CheckOf(VerifyRegistration(kLocalhost, ch, cd, a.PackedSelf(no_up, cd, -7))), "user_present");
  std::string ad = a.AuthData("localhost", kFlagUserPresent, 0, true);
  std::string none_with_stmt = Cbor::Map(3) + Cbor::Text("fmt") + Cbor::Text("none") + Cbor::Text("attStmt") +
                               Cbor::Map(1) + Cbor::Text("alg") + Cbor::Int(-7) + Cbor::Text("authData") +
                               Cbor::Bytes(ad);
  EXPECT_EQ(CheckOf(VerifyRegistration(kLocalhost, ch, cd, none_with_stmt)), "attestation");
  std::string tpm = Cbor::Map(3) + Cbor::Text("fmt") + Cbor::Text("tpm") + Cbor::Text("attStmt") + Cbor::Map(0) +
                    Cbor::Text("authData") + Cbor::Bytes(ad);
  EXPECT_EQ(CheckOf(VerifyRegistration(kLocalhost, ch, cd, tpm)), "attestation");
  std::string no_cred = a.AuthData("localhost", kFlagUserPresent, 0, false);
  std::string none = Cbor::Map(3) + Cbor::Text("fmt") + Cbor::Text("none") + Cbor::Text("attStmt") + Cbor::Map(0) +
                     Cbor::Text("authData") + Cbor::Bytes(no_cred);
  EXPECT_EQ(CheckOf(VerifyRegistration(kLocalhost, ch, cd, none)), "authenticator_data");
}

TEST(WebAuthnSoftTest, PackedX5cCertificateRequirements) {
  SoftAuthenticator cred(CoseAlg::kEdDsa), attester(CoseAlg::kEs256);
  std::string ch(16, '\x05');
  std::string cd = ClientData("webauthn.create", ch, "http://localhost:5000");
  std::string ad = cred.AuthData("localhost", kFlagUserPresent, 0, true);  // AAGUID 0x11 x 16
  auto attest = [&](const CertSpec& spec, int64_t alg) {
    std::string sig = attester.Sign(ad + Sha256(cd));
    std::string att = Cbor::Map(3) + Cbor::Text("fmt") + Cbor::Text("packed") + Cbor::Text("attStmt") +
                      Cbor::Map(3) + Cbor::Text("alg") + Cbor::Int(alg) + Cbor::Text("sig") + Cbor::Bytes(sig) +
                      Cbor::Text("x5c") + Cbor::Array(1) + Cbor::Bytes(MakeAttestationCert(attester.pkey(), spec)) +
                      Cbor::Text("authData") + Cbor::Bytes(ad);
    return VerifyRegistration(kLocalhost, ch, cd, att);
  };
  auto ok = attest({}, -7);
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->attestation, AttestationType::kBasic);
  EXPECT_EQ(ok->alg, CoseAlg::kEdDsa);
  CertSpec no_aaguid;
  no_aaguid.aaguid = "";
  EXPECT_EQ(CheckOf(attest(no_aaguid, -7)), "ok");
  CertSpec wrong_ou;
  wrong_ou.ou = "Engineering";
  EXPECT_EQ(CheckOf(attest(wrong_ou, -7)), "attestation");
  CertSpec other_aaguid;
  other_aaguid.aaguid = std::string(16, '\x22');
  EXPECT_EQ(CheckOf(attest(other_aaguid, -7)), "attestation");
  CertSpec critical;
  critical.aaguid_critical = true;
  EXPECT_EQ(CheckOf(attest(critical, -7)), "attestation");
  CertSpec ca;
  ca.ca = true;
  EXPECT_EQ(CheckOf(attest(ca, -7)), "attestation");
  EXPECT_EQ(CheckOf(attest({}, -257)), "attestation");  // alg RS256 with an EC certificate key
}

TEST(WebAuthnParseTest, MalformedInputIsAValidationErrorNamingThePart) {
  EXPECT_EQ(CheckOf(ParseAuthenticatorData(std::string(36, '\0'))), "authenticator_data");
  // AT set but nothing follows; trailing bytes without ED.
  EXPECT_EQ(CheckOf(ParseAuthenticatorData(std::string(32, '\0') + "\x41" + U32(0))), "authenticator_data");
  EXPECT_EQ(CheckOf(ParseAuthenticatorData(std::string(32, '\0') + "\x01" + U32(0) + "x")), "authenticator_data");
  EXPECT_EQ(CheckOf(ParseClientData("not json")), "client_data");
  EXPECT_EQ(CheckOf(ParseClientData(R"({"type":"webauthn.get","challenge":"a+b","origin":"x"})")), "client_data");
  EXPECT_EQ(CheckOf(ParseClientData(R"({"type":"webauthn.get","challenge":"AA","origin":"x","crossOrigin":1})")),
            "client_data");
  EXPECT_EQ(CheckOf(ParseAttestationObject("\xa0")), "attestation_object");
  EXPECT_EQ(CheckOf(ParseAttestationObject("\xff\xff")), "attestation_object");
  // Regression (fuzz_webauthn): a map header declaring 2^62 pairs made libcbor allocate them.
  EXPECT_EQ(CheckOf(ParseAttestationObject(std::string("\xbb\x40\x00\x00\x00\x00\x00\x00\x00", 9))),
            "attestation_object");
  EXPECT_EQ(CheckOf(ParseCoseKey(std::string("\x5b\x7f\xff\xff\xff\xff\xff\xff\xff", 9))), "public_key");
  EXPECT_EQ(CheckOf(ParseCoseKey(std::string(40, '\x81') + "\x01")), "public_key");  // 40 levels deep
  EXPECT_EQ(CheckOf(ParseCoseKey("\xbf\xff")), "public_key");                         // indefinite map
  // COSE keys: an unsupported algorithm (ES384), a point off the curve, a short RSA modulus.
  std::string es384 = Cbor::Map(5) + Cbor::Int(1) + Cbor::Int(2) + Cbor::Int(3) + Cbor::Int(-35) + Cbor::Int(-1) +
                      Cbor::Int(2) + Cbor::Int(-2) + Cbor::Bytes(std::string(48, '\1')) + Cbor::Int(-3) +
                      Cbor::Bytes(std::string(48, '\1'));
  EXPECT_EQ(CheckOf(ParseCoseKey(es384)), "public_key");
  std::string off_curve = Cbor::Map(5) + Cbor::Int(1) + Cbor::Int(2) + Cbor::Int(3) + Cbor::Int(-7) + Cbor::Int(-1) +
                          Cbor::Int(1) + Cbor::Int(-2) + Cbor::Bytes(std::string(32, '\1')) + Cbor::Int(-3) +
                          Cbor::Bytes(std::string(32, '\1'));
  EXPECT_EQ(CheckOf(ParseCoseKey(off_curve)), "public_key");
  std::string short_rsa = Cbor::Map(4) + Cbor::Int(1) + Cbor::Int(3) + Cbor::Int(3) + Cbor::Int(-257) +
                          Cbor::Int(-1) + Cbor::Bytes(std::string(128, '\xff')) + Cbor::Int(-2) +
                          Cbor::Bytes(std::string("\x01\x00\x01", 3));
  EXPECT_EQ(CheckOf(ParseCoseKey(short_rsa)), "public_key");
  std::string dup = Cbor::Map(2) + Cbor::Int(1) + Cbor::Int(2) + Cbor::Int(1) + Cbor::Int(2);
  EXPECT_EQ(CheckOf(ParseCoseKey(dup)), "public_key");
}

}  // namespace
}  // namespace wharf::identity
