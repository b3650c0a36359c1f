#include "secrets/envelope.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include <sodium.h>

#include "base/strings.h"
#include "secrets/crypto.h"

namespace wharf::secrets {

namespace fs = std::filesystem;

namespace {

constexpr unsigned char kVersion = 0x01;
constexpr size_t kNonce = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr size_t kTag = crypto_aead_xchacha20poly1305_ietf_ABYTES;
constexpr size_t kKey = crypto_aead_xchacha20poly1305_ietf_KEYBYTES;

void AppendLenPrefixed(std::string& out, std::string_view s) {
  uint32_t n = static_cast<uint32_t>(s.size());
  out.push_back(static_cast<char>(n >> 24));
  out.push_back(static_cast<char>(n >> 16));
  out.push_back(static_cast<char>(n >> 8));
  out.push_back(static_cast<char>(n));
  out.append(s);
}

std::string FieldAd(const FieldRef& r) {
  std::string ad = "wharf:field:v1";
  AppendLenPrefixed(ad, r.org_id);
  AppendLenPrefixed(ad, r.collection);
  AppendLenPrefixed(ad, r.row_id);
  AppendLenPrefixed(ad, r.field);
  return ad;
}

std::string KeyAd(std::string_view org_id) { return "wharf:data-key:v1:" + std::string(org_id); }

std::string SealWith(const unsigned char* key, std::string_view ad, std::string_view plaintext) {
  std::string out(1 + kNonce + plaintext.size() + kTag, '\0');
  auto* p = reinterpret_cast<unsigned char*>(out.data());
  p[0] = kVersion;
  randombytes_buf(p + 1, kNonce);
  unsigned long long clen = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(p + 1 + kNonce, &clen,
                                             reinterpret_cast<const unsigned char*>(plaintext.data()), plaintext.size(),
                                             reinterpret_cast<const unsigned char*>(ad.data()), ad.size(), nullptr,
                                             p + 1, key);
  out.resize(1 + kNonce + clen);
  return out;
}

Result<SecretBytes> OpenWith(const unsigned char* key, std::string_view ad, std::string_view sealed) {
  if (sealed.size() < 1 + kNonce + kTag || static_cast<unsigned char>(sealed[0]) != kVersion)
    return Internal("secret could not be decrypted: unknown format");
  const auto* p = reinterpret_cast<const unsigned char*>(sealed.data());
  SecretBytes out(sealed.size() - 1 - kNonce - kTag);
  unsigned long long mlen = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(out.data(), &mlen, nullptr, p + 1 + kNonce, sealed.size() - 1 - kNonce,
                                                 reinterpret_cast<const unsigned char*>(ad.data()), ad.size(), p + 1,
                                                 key) != 0)
    return Internal("secret could not be decrypted: wrong key, or the ciphertext belongs to another row or field");
  return out;
}

Result<SecretBytes> ReadKeyFile(const fs::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    return Err(ErrorCode::kUnavailable, "master key file " + path.string() + " does not exist");
  if (st.st_mode & (S_IRWXG | S_IRWXO))
    return Err(ErrorCode::kUnavailable, "master key file " + path.string() +
                                            " is accessible by group or others; run: chmod 600 " + path.string());
  std::ifstream in(path);
  std::string text;
  std::getline(in, text);
  std::string raw;
  bool ok = Base64UrlDecode(Trim(text), &raw) && raw.size() == kKey;
  sodium_memzero(text.data(), text.size());
  if (!ok) {
    sodium_memzero(raw.data(), raw.size());
    return Err(ErrorCode::kUnavailable, "master key file " + path.string() + " does not hold a 32-byte base64url key");
  }
  SecretBytes key = SecretBytes::FromString(raw);
  sodium_memzero(raw.data(), raw.size());
  return key;
}

}  // namespace

Result<SecretBytes> LoadOrCreateMasterKey(const fs::path& data_dir) {
  Init();
  if (const char* f = std::getenv("WHARF_MASTER_KEY_FILE"); f && *f) return ReadKeyFile(f);
  const fs::path path = data_dir / "master.key";
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    SecretBytes fresh = Envelope::NewMasterKey();
    WHARF_TRY(Envelope::WriteMasterKeyFile(path, fresh));
  }
  return ReadKeyFile(path);
}

SecretBytes Envelope::NewMasterKey() {
  Init();
  SecretBytes k(kKey);
  randombytes_buf(k.data(), k.size());
  return k;
}

Status Envelope::WriteMasterKeyFile(const fs::path& path, const SecretBytes& key) {
  std::string text = Base64UrlEncode(key.view()) + "\n";
  const fs::path tmp = path.string() + ".tmp";
  ::unlink(tmp.c_str());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Err(ErrorCode::kUnavailable, "cannot create " + tmp.string());
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  ::close(fd);
  sodium_memzero(text.data(), text.size());
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return Err(ErrorCode::kUnavailable, "cannot write master key file " + path.string());
  }
  return Ok();
}

Envelope::Envelope(SecretBytes master_key) : master_(std::move(master_key)) { Init(); }
Envelope::~Envelope() = default;  // SecretBytes values wipe themselves.

Result<std::string> Envelope::NewWrappedDataKey(std::string_view org_id) const {
  if (master_.size() != kKey) return Internal("master key has the wrong length");
  unsigned char dk[kKey];
  crypto_aead_xchacha20poly1305_ietf_keygen(dk);
  std::string out = SealWith(master_.data(), KeyAd(org_id), std::string_view(reinterpret_cast<char*>(dk), kKey));
  sodium_memzero(dk, sizeof dk);
  return out;
}

Result<SecretBytes> Envelope::Unwrap(std::string_view wrapped, std::string_view org_id) const {
  std::string cache_key = std::string(org_id) + '\0' + std::string(wrapped);
  {
    std::lock_guard lock(mu_);
    if (auto it = cache_.find(cache_key); it != cache_.end()) return it->second.Clone();
  }
  WHARF_ASSIGN_OR_RETURN(SecretBytes dk, OpenWith(master_.data(), KeyAd(org_id), wrapped));
  if (dk.size() != kKey) return Internal("data key has the wrong length");
  std::lock_guard lock(mu_);
  if (cache_.size() > 10'000) cache_.clear();
  cache_.emplace(std::move(cache_key), dk.Clone());
  return dk;
}

Result<std::string> Envelope::Seal(std::string_view wrapped, const FieldRef& ref, std::string_view plaintext) const {
  WHARF_ASSIGN_OR_RETURN(SecretBytes dk, Unwrap(wrapped, ref.org_id));
  return SealWith(dk.data(), FieldAd(ref), plaintext);
}

Result<SecretBytes> Envelope::Open(std::string_view wrapped, const FieldRef& ref, std::string_view sealed) const {
  WHARF_ASSIGN_OR_RETURN(SecretBytes dk, Unwrap(wrapped, ref.org_id));
  return OpenWith(dk.data(), FieldAd(ref), sealed);
}

Result<std::string> Envelope::Rewrap(std::string_view wrapped, std::string_view org_id, const Envelope& to) const {
  WHARF_ASSIGN_OR_RETURN(SecretBytes dk, Unwrap(wrapped, org_id));
  return SealWith(to.master_.data(), KeyAd(org_id), dk.view());
}

}  // namespace wharf::secrets
