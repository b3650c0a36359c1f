// Envelope encryption of secret fields (XChaCha20-Poly1305-IETF, libsodium).
//
// Each org has a 32-byte data key, stored wrapped (encrypted) by the instance master key. A field
// is sealed with its org's data key and associated data binding it to (org, collection, row,
// field), so a ciphertext moved to another row, field or org fails to open.
//
//   secrets::Envelope env(*secrets::LoadOrCreateMasterKey(data_dir));
//   std::string wrapped = *env.NewWrappedDataKey(org.id);                  // once per org
//   std::string sealed = *env.Seal(wrapped, {org.id, "sshKeys", key.id, "private_key"}, pem);
//   SecretBytes pem2 = *env.Open(wrapped, {org.id, "sshKeys", key.id, "private_key"}, sealed);
//
// Framing of wrapped keys and sealed fields: 0x01 | 24-byte nonce | ciphertext+16-byte tag.
// Thread-safety: Envelope is safe to share across threads (the unwrapped-key cache is locked).
#pragma once

#include <filesystem>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/error.h"
#include "base/secret_bytes.h"

namespace wharf::secrets {

struct FieldRef {
  std::string_view org_id, collection, row_id, field;
};

// Reads the master key from $WHARF_MASTER_KEY_FILE if set, else DATA_DIR/master.key, creating
// the latter (mode 0600, atomically) on first start. Refuses a key file readable by group/other.
Result<SecretBytes> LoadOrCreateMasterKey(const std::filesystem::path& data_dir);

class Envelope {
 public:
  explicit Envelope(SecretBytes master_key);
  ~Envelope();
  Envelope(const Envelope&) = delete;
  Envelope& operator=(const Envelope&) = delete;

  Result<std::string> NewWrappedDataKey(std::string_view org_id) const;
  Result<std::string> Seal(std::string_view wrapped_data_key, const FieldRef& ref, std::string_view plaintext) const;
  // kInternal "secret could not be decrypted" when the tag does not verify.
  Result<SecretBytes> Open(std::string_view wrapped_data_key, const FieldRef& ref, std::string_view sealed) const;
  // Re-encrypts an org's data key under `to`'s master key (master-key rotation).
  Result<std::string> Rewrap(std::string_view wrapped_data_key, std::string_view org_id, const Envelope& to) const;

  static SecretBytes NewMasterKey();
  // Writes a key file atomically with mode 0600 (temp file, fsync, rename).
  static Status WriteMasterKeyFile(const std::filesystem::path& path, const SecretBytes& key);

 private:
  Result<SecretBytes> Unwrap(std::string_view wrapped, std::string_view org_id) const;
  SecretBytes master_;
  mutable std::mutex mu_;
  mutable std::unordered_map<std::string, SecretBytes> cache_;  // wrapped bytes → data key
};

}  // namespace wharf::secrets
