// The WebAuthn parsers of untrusted browser input: authenticator data (with its COSE key and
// extensions CBOR), the CBOR attestation object, COSE keys and clientDataJSON. Whatever they
// accept obeys the layout they promise.
#include <cstdint>
#include <string>

#include "fuzz_util.h"
#include "identity/webauthn.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  if (auto ad = wharf::identity::ParseAuthenticatorData(in)) {
    WHARF_FUZZ_CHECK(ad->rp_id_hash.size() == 32);
    WHARF_FUZZ_CHECK(ad->credential.has_value() == ad->has(wharf::identity::kFlagAttestedData));
    if (ad->credential) {
      WHARF_FUZZ_CHECK(ad->credential->aaguid.size() == 16);
      WHARF_FUZZ_CHECK(!ad->credential->credential_id.empty() && ad->credential->credential_id.size() <= 1023);
      WHARF_FUZZ_CHECK(in.find(ad->credential->public_key_cbor) != std::string_view::npos);
      WHARF_FUZZ_CHECK(ad->credential->key.key.valid());
    }
    WHARF_FUZZ_CHECK(ad->extensions_cbor.empty() != ad->has(wharf::identity::kFlagExtensions));
  }
  if (auto att = wharf::identity::ParseAttestationObject(in)) {
    WHARF_FUZZ_CHECK(att->parsed.rp_id_hash.size() == 32);
    WHARF_FUZZ_CHECK(att->x5c.size() <= 8);
  }
  if (auto key = wharf::identity::ParseCoseKey(in)) WHARF_FUZZ_CHECK(key->key.valid());
  (void)wharf::identity::ParseClientData(in);
  return 0;
}
