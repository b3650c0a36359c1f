#include "nodes/keys.h"

#include <libssh/libssh.h>

#include <memory>

#include "base/strings.h"

namespace wharf::nodes {
namespace {

struct KeyFree {
  void operator()(ssh_key k) const { ssh_key_free(k); }
};
using KeyPtr = std::unique_ptr<std::remove_pointer_t<ssh_key>, KeyFree>;

std::string FingerprintFromKey(ssh_key key) {
  unsigned char* hash = nullptr;
  size_t len = 0;
  if (ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &len) != SSH_OK) return {};
  std::string b64 = Base64Encode(std::string_view(reinterpret_cast<const char*>(hash), len));
  ssh_clean_pubkey_hash(&hash);
  while (!b64.empty() && b64.back() == '=') b64.pop_back();
  return "SHA256:" + b64;
}

Result<KeyPair> Describe(ssh_key priv, bool export_private) {
  KeyPair kp;
  ssh_key pub_raw = nullptr;
  if (ssh_pki_export_privkey_to_pubkey(priv, &pub_raw) != SSH_OK) return Err(ErrorCode::kInternal, "cannot derive public key");
  KeyPtr pub(pub_raw);
  char* b64 = nullptr;
  if (ssh_pki_export_pubkey_base64(pub.get(), &b64) != SSH_OK) return Err(ErrorCode::kInternal, "cannot export public key");
  kp.type = ssh_key_type_to_char(ssh_key_type(pub.get()));
  kp.public_key = kp.type + " " + b64;
  ssh_string_free_char(b64);
  kp.fingerprint = FingerprintFromKey(pub.get());
  if (export_private) {
    char* pem = nullptr;
    if (ssh_pki_export_privkey_base64(priv, nullptr, nullptr, nullptr, &pem) != SSH_OK)
      return Err(ErrorCode::kInternal, "cannot export private key");
    kp.private_key = SecretBytes::FromString(pem);
    std::fill(pem, pem + strlen(pem), '\0');
    ssh_string_free_char(pem);
  }
  return kp;
}

// PEM keys say "ENCRYPTED" in a header; OpenSSH keys name their cipher inside the base64 body.
bool LooksEncrypted(std::string_view pem) {
  if (pem.find("ENCRYPTED") != std::string_view::npos) return true;
  static const std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string bytes;
  uint32_t acc = 0;
  int bits = 0;
  size_t begin = pem.find('\n');
  for (size_t i = begin == std::string_view::npos ? 0 : begin; i < pem.size() && bytes.size() < 64; ++i) {
    size_t v = kAlphabet.find(pem[i]);
    if (v == std::string_view::npos) continue;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  // "openssh-key-v1\0" then a length-prefixed cipher name: "none" for unencrypted keys.
  return bytes.rfind("openssh-key-v1", 0) == 0 && bytes.find("none") == std::string::npos;
}

}  // namespace

Result<KeyPair> GenerateKeyPair(std::string_view type) {
  ssh_key raw = nullptr;
  int rc;
  if (type.empty() || type == "ed25519") rc = ssh_pki_generate(SSH_KEYTYPE_ED25519, 0, &raw);
  else if (type == "rsa") rc = ssh_pki_generate(SSH_KEYTYPE_RSA, 3072, &raw);
  else return FieldError("generate.type", "must be \"ed25519\" (recommended) or \"rsa\" (3072 bits)");
  if (rc != SSH_OK) return Err(ErrorCode::kInternal, "key generation failed");
  KeyPtr key(raw);
  return Describe(key.get(), true);
}

Result<KeyPair> ImportPrivateKey(const SecretBytes& pem, std::string_view field) {
  std::string text(Trim(pem.view()));
  text.push_back('\n');
  // libssh reads a C string: the terminator must be inside the buffer (SecretBytes has none of its
  // own; without it libssh's strstr read past the end of the heap block, found by fuzz_ssh_private_key).
  text.push_back('\0');
  SecretBytes owned = SecretBytes::FromString(text);
  std::fill(text.begin(), text.end(), '\0');
  ssh_key raw = nullptr;
  // A passphrase callback that always fails, so an encrypted key is refused instead of prompting.
  auto no_pass = [](const char*, char*, size_t, int, int, void*) -> int { return -1; };
  int rc = ssh_pki_import_privkey_base64(reinterpret_cast<const char*>(owned.data()), nullptr, no_pass, nullptr, &raw);
  if (rc != SSH_OK) {
    if (LooksEncrypted(owned.view().substr(0, owned.size() - 1)))
      return FieldError(field, "is encrypted with a passphrase; remove it first (ssh-keygen -p -N '' -f KEYFILE) "
                               "so Wharf can use the key unattended, it is encrypted at rest by Wharf");
    return FieldError(field, "is not a valid private key: paste the whole file ssh-keygen wrote (without .pub), "
                             "from '-----BEGIN OPENSSH PRIVATE KEY-----' to the END line");
  }
  KeyPtr key(raw);
  if (!ssh_key_is_private(key.get())) return FieldError(field, "holds no private key");
  WHARF_ASSIGN_OR_RETURN(KeyPair kp, Describe(key.get(), false));
  kp.private_key = SecretBytes::FromString(owned.view().substr(0, owned.size() - 1));  // as given (trimmed), no terminator
  return kp;
}

Result<std::string> FingerprintOf(std::string_view line) {
  auto parts = Split(Trim(line), ' ');
  if (parts.size() < 2) return FieldError("public_key", "is not an OpenSSH public key line");
  std::string b64(parts[1]);
  ssh_key raw = nullptr;
  if (ssh_pki_import_pubkey_base64(b64.c_str(), ssh_key_type_from_name(std::string(parts[0]).c_str()), &raw) != SSH_OK)
    return FieldError("public_key", "is not an OpenSSH public key line");
  KeyPtr key(raw);
  return FingerprintFromKey(key.get());
}

}  // namespace wharf::nodes
