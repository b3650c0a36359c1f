// Recovery codes: ten single-use codes a user keeps on paper for when every other factor is lost.
// Each is "xxxxx-xxxxx": 10 characters from Crockford's base32 alphabet in lower case
// (0-9 a-z without i, l, o, u), so 50 random bits. The store keeps only an argon2id hash of each
// code (secrets::HashPassword, the project's password hash): the plaintext is shown once, at
// generation, and never again.
//
// Verify-and-consume: MatchRecoveryCode returns the index of the stored hash that matched. The
// caller then deletes that one hash in the same transaction as the sign-in, conditionally on it
// still being there (DELETE ... WHERE id = ? with a row count of 1), so two concurrent sign-ins
// with one code cannot both succeed. Regenerating replaces all ten hashes at once.
//
//   WHARF_ASSIGN_OR_RETURN(RecoveryCodes set, GenerateRecoveryCodes());  // show set.codes once
//   store.ReplaceRecoveryCodes(user, set.hashes);
//   WHARF_ASSIGN_OR_RETURN(size_t i, MatchRecoveryCode(typed, store.RecoveryCodeHashes(user)));
//   store.ConsumeRecoveryCode(user, i);  // same transaction as the session it opens
//
// Thread-safety: pure functions; safe from any thread after secrets::Init(). Each argon2id hash
// costs ~19 MiB and tens of milliseconds, so callers rate-limit attempts per user.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/secret_bytes.h"

namespace wharf::identity {

inline constexpr size_t kRecoveryCodeCount = 10;
inline constexpr std::string_view kRecoveryCodeAlphabet = "0123456789abcdefghjkmnpqrstvwxyz";

struct RecoveryCodes {
  std::vector<SecretBytes> codes;   // "xxxxx-xxxxx", shown to the user once
  std::vector<std::string> hashes;  // "$argon2id$...", what the store keeps, same order
};

// Ten fresh codes and their hashes. Errors: kInternal when hashing fails (out of memory).
Result<RecoveryCodes> GenerateRecoveryCodes();

// The canonical "xxxxx-xxxxx" form of what a user typed: case-folded, spaces and dashes removed,
// and Crockford's look-alikes mapped (o -> 0, i and l -> 1). Errors: kValidationFailed (field
// "recovery_code") when 10 alphabet characters do not remain.
Result<SecretBytes> NormalizeRecoveryCode(std::string_view typed);

// The index in `hashes` of the hash `typed` matches (after normalisation). Errors:
// kValidationFailed (field "recovery_code") for a malformed code; kUnauthenticated with
// details.check = "recovery_code" when no stored hash matches (already used, or wrong).
Result<size_t> MatchRecoveryCode(std::string_view typed, const std::vector<std::string>& hashes);

}  // namespace wharf::identity
