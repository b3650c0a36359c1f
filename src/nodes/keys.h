// SSH key pairs: generate on the server, import and validate an OpenSSH/PEM private key, check that
// a private key matches a public key. libssh does the cryptography; the fingerprint is computed the
// way `ssh-keygen -lf` prints it ("SHA256:" + unpadded base64 of sha256(public key blob)).
//
//   WHARF_ASSIGN_OR_RETURN(nodes::KeyPair kp, nodes::GenerateKeyPair("ed25519"));
//   store(kp.public_key);            // "ssh-ed25519 AAAA…"
//   seal(kp.private_key.view());     // OpenSSH PEM, never logged
//
// Thread-safety: free functions without shared state.
#pragma once

#include <string>
#include <string_view>

#include "base/error.h"
#include "base/secret_bytes.h"

namespace wharf::nodes {

struct KeyPair {
  std::string type;         // "ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", ...
  std::string public_key;   // "<type> <base64>" (no comment)
  std::string fingerprint;  // "SHA256:…"
  SecretBytes private_key;  // OpenSSH PEM
};

// `type` is "ed25519" (default when empty) or "rsa" (3072 bits).
Result<KeyPair> GenerateKeyPair(std::string_view type);

// Parses a private key (OpenSSH or PEM, unencrypted) and derives its public half. `field` names the
// input in errors. An encrypted key is refused with a hint to remove the passphrase.
Result<KeyPair> ImportPrivateKey(const SecretBytes& pem, std::string_view field);

// The fingerprint of an OpenSSH public key line ("ssh-ed25519 AAAA… comment").
Result<std::string> FingerprintOf(std::string_view public_key_line);

}  // namespace wharf::nodes
