// Private key import (OpenSSH or PEM, through libssh): anything may be pasted into the key form.
#include <cstdint>

#include "nodes/keys.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace wharf;
  SecretBytes pem = SecretBytes::FromString(std::string_view(reinterpret_cast<const char*>(data), size));
  auto kp = nodes::ImportPrivateKey(pem, "private_key");
  if (kp) {
    auto fp = nodes::FingerprintOf(kp->public_key);
    WHARF_FUZZ_CHECK(fp && *fp == kp->fingerprint);
  }
  return 0;
}
