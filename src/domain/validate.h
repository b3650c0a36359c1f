// Validators for user input. Each returns Ok or a FieldError naming `field` and the fix.
//
//   WHARF_TRY(ValidateSlug(body.slug, "slug"));
//   WHARF_ASSIGN_OR_RETURN(std::string email, NormalizeEmail(body.email, "email"));
//
// Pure functions; no I/O.
#pragma once

#include <string>
#include <string_view>

#include "base/error.h"

namespace wharf::domain {

// ^[a-z0-9][a-z0-9-]{1,38}[a-z0-9]$
Status ValidateSlug(std::string_view slug, std::string_view field);
// Makes a valid slug from a name ("Ada's Team" -> "ada-s-team"), padding short ones.
std::string SlugFromName(std::string_view name);
// Trims, lower-cases and checks an email address (one '@', dot in domain, no spaces, ≤254).
Result<std::string> NormalizeEmail(std::string_view email, std::string_view field);
// A display name: 1..max_len bytes after trimming, valid UTF-8, no control characters.
Result<std::string> ValidateName(std::string_view name, std::string_view field, size_t max_len = 100);
// Password policy: 10..1024 bytes.
Status ValidatePassword(std::string_view password, std::string_view field);

struct SshPublicKey {
  std::string type;         // "ssh-ed25519"
  std::string blob;         // decoded key blob (binary)
  std::string normalized;   // "type base64 [comment]" re-assembled from the parts
};
// Parses an OpenSSH public key line. Checks the type is supported (ssh-ed25519, ssh-rsa,
// ecdsa-sha2-nistp256/384/521), the base64 decodes, and the blob's inner type matches.
Result<SshPublicKey> ParseSshPublicKey(std::string_view line, std::string_view field);

bool IsValidUtf8(std::string_view s);

}  // namespace wharf::domain
