#include "secrets/crypto.h"

#include <mutex>

#include <sodium.h>

#include "base/strings.h"

namespace wharf::secrets {

namespace {
constexpr unsigned long long kOpsLimit = 2;
constexpr size_t kMemLimit = 19 * 1024 * 1024;
}  // namespace

bool Init() {
  static const bool ok = sodium_init() >= 0;
  return ok;
}

void RandomBytes(unsigned char* out, size_t n) { randombytes_buf(out, n); }

SecretBytes NewToken(std::string_view prefix) {
  unsigned char raw[32];
  randombytes_buf(raw, sizeof raw);
  std::string enc = Base64UrlEncode(std::string_view(reinterpret_cast<char*>(raw), sizeof raw));
  sodium_memzero(raw, sizeof raw);
  std::string s(prefix);
  s += enc;
  SecretBytes out = SecretBytes::FromString(s);
  sodium_memzero(s.data(), s.size());
  sodium_memzero(enc.data(), enc.size());
  return out;
}

std::string Sha256Raw(std::string_view data) {
  unsigned char out[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(out, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  return std::string(reinterpret_cast<char*>(out), sizeof out);
}

std::string Sha256Hex(std::string_view data) { return HexEncode(Sha256Raw(data)); }

static_assert(sizeof(crypto_hash_sha256_state) <= 128, "Sha256Stream::state_ is too small");
Sha256Stream::Sha256Stream() { crypto_hash_sha256_init(reinterpret_cast<crypto_hash_sha256_state*>(state_)); }
Sha256Stream::~Sha256Stream() { sodium_memzero(state_, sizeof state_); }
void Sha256Stream::Update(std::string_view data) {
  crypto_hash_sha256_update(reinterpret_cast<crypto_hash_sha256_state*>(state_),
                            reinterpret_cast<const unsigned char*>(data.data()), data.size());
}
std::string Sha256Stream::HexFinal() {
  unsigned char out[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_final(reinterpret_cast<crypto_hash_sha256_state*>(state_), out);
  return HexEncode(std::string_view(reinterpret_cast<char*>(out), sizeof out));
}

std::string HmacSha256Raw(std::string_view key, std::string_view data) {
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, reinterpret_cast<const unsigned char*>(key.data()), key.size());
  crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  unsigned char out[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_final(&st, out);
  return std::string(reinterpret_cast<char*>(out), sizeof out);
}

Result<std::string> HashPassword(const SecretBytes& password) {
  return HashPasswordWithCost(password, kOpsLimit, kMemLimit);
}

Result<std::string> HashPasswordWithCost(const SecretBytes& password, uint64_t ops, size_t mem_bytes) {
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, reinterpret_cast<const char*>(password.data()), password.size(), ops, mem_bytes,
                            crypto_pwhash_ALG_ARGON2ID13) != 0)
    return Internal("argon2id hashing ran out of memory");
  return std::string(out);
}

bool VerifyPassword(const SecretBytes& password, std::string_view hash) {
  if (hash.empty() || hash.size() >= crypto_pwhash_STRBYTES) return false;
  std::string h(hash);
  return crypto_pwhash_str_verify(h.c_str(), reinterpret_cast<const char*>(password.data()), password.size()) == 0;
}

bool PasswordNeedsRehash(std::string_view hash) {
  std::string h(hash);
  return crypto_pwhash_str_needs_rehash(h.c_str(), kOpsLimit, kMemLimit) != 0;
}

std::string RandomString(size_t len, std::string_view charset) {
  std::string out;
  if (charset.empty() || charset.size() > 256) return out;
  out.reserve(len);
  // randombytes_uniform is rejection-sampled by libsodium: uniform for any upper bound.
  for (size_t i = 0; i < len; ++i) out.push_back(charset[randombytes_uniform(static_cast<uint32_t>(charset.size()))]);
  return out;
}

}  // namespace wharf::secrets
