// Validators for user input. Each returns Ok or a FieldError naming `field` and the fix.
//
//   WHARF_TRY(ValidateSlug(body.slug, "slug"));
//   WHARF_ASSIGN_OR_RETURN(std::string email, NormalizeEmail(body.email, "email"));
//
// Pure functions; no I/O.
#pragma once

#include <string>
#include <string_view>

#include <optional>
#include <vector>

#include "base/error.h"
#include "domain/types.h"

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

// A host name (RFC 1123 labels) or an IPv4/IPv6 literal; the error names `field`.
Result<std::string> ValidateHost(std::string_view host, std::string_view field);
// A POSIX user name for SSH ("deploy", "ubuntu").
Result<std::string> ValidateUnixUser(std::string_view user, std::string_view field);

// Security-group rules. A named type fixes protocol and ports (ssh → tcp 22, dns → udp 53, icmp →
// icmp); a given protocol or port that contradicts the type is refused, never silently changed.
// `source` is a CIDR, "anywhere" (0.0.0.0/0), "anywhere-ipv6" (::/0) or "my-ip" (my_ip/32 or /128).
// A CIDR with host bits set is normalised and a warning names the field and the stored value.
struct RuleInput {
  std::string type;
  std::optional<std::string> protocol;
  std::optional<int> from_port, to_port;
  std::string source;
  std::string description;
};
Result<SecurityRule> ValidateRule(const RuleInput& in, std::string_view field, std::string_view my_ip,
                                  std::vector<std::string>* warnings);
// Parses and normalises a CIDR ("10.0.0.5/24" → "10.0.0.0/24", warning set when bits were cleared).
Result<std::string> NormalizeCidr(std::string_view cidr, std::string_view field, std::string* warning);
// True when `cidr` contains the address `ip` (same family).
bool CidrContains(std::string_view cidr, std::string_view ip);
// The named rule types, for the API document and the UI.
const std::vector<std::string>& RuleTypeNames();

}  // namespace wharf::domain
