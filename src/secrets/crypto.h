// Cryptographic primitives for Wharf: randomness, tokens, hashes, argon2id passwords.
// The only module that includes sodium.h (with envelope.h).
//
//   secrets::Init();
//   SecretBytes token = secrets::NewToken("whs_");          // shown once to the client
//   std::string stored = secrets::TokenHash(token.view());  // what the store keeps
//   auto hash = secrets::HashPassword(SecretBytes::FromString(pw));
//
// Thread-safety: every function is safe from any thread after Init().
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "base/error.h"
#include "base/secret_bytes.h"

namespace wharf::secrets {

// Initialises libsodium once; false if the platform has no usable randomness.
bool Init();
void RandomBytes(unsigned char* out, size_t n);
// prefix + base64url(32 random bytes) (43 chars): session "whs_", API "wht_", invitation "whi_".
SecretBytes NewToken(std::string_view prefix);
std::string Sha256Raw(std::string_view data);
std::string Sha256Hex(std::string_view data);
// What the store keeps for session, API and invitation tokens.
inline std::string TokenHash(std::string_view token) { return Sha256Hex(token); }
std::string HmacSha256Raw(std::string_view key, std::string_view data);
// SHA-256 over a stream fed piece by piece (a backup's dump as it passes through), so the digest of
// a large body never needs the body whole. One thread at a time.
class Sha256Stream {
 public:
  Sha256Stream();
  ~Sha256Stream();
  void Update(std::string_view data);
  std::string HexFinal();  // call once
 private:
  alignas(16) unsigned char state_[128];  // crypto_hash_sha256_state (104 bytes)
};
// argon2id, t=2, m=19 MiB (OWASP's minimum), as a "$argon2id$…" string.
Result<std::string> HashPassword(const SecretBytes& password);
// The same with other costs, for benchmarks that measure everything around the hash (signin_bench).
Result<std::string> HashPasswordWithCost(const SecretBytes& password, uint64_t ops, size_t mem_bytes);
bool VerifyPassword(const SecretBytes& password, std::string_view hash);
bool PasswordNeedsRehash(std::string_view hash);
// `len` characters drawn uniformly from `charset` by rejection sampling (no modulo bias).
std::string RandomString(size_t len, std::string_view charset);

}  // namespace wharf::secrets
