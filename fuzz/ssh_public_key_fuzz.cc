// OpenSSH public key lines: an accepted key's normalised form parses to the same key, and the
// fingerprint code accepts what the parser accepted.
#include <cstdint>

#include "domain/validate.h"
#include "fuzz_util.h"
#include "nodes/keys.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto k = wharf::domain::ParseSshPublicKey(in, "public_key");
  if (k) {
    auto again = wharf::domain::ParseSshPublicKey(k->normalized, "public_key");
    WHARF_FUZZ_CHECK(again && again->type == k->type && again->blob == k->blob);
  }
  (void)wharf::nodes::FingerprintOf(in);
  return 0;
}
