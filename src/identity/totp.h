// TOTP second factor: HOTP (RFC 4226), TOTP (RFC 6238), base32 (RFC 4648 §6) and the otpauth://
// URI authenticator apps scan. Wharf's parameters are fixed: HMAC-SHA-1, 6 digits, 30-second
// steps, a 20-byte secret, and codes accepted for the current step and one step either side.
// A code is single-use: VerifyTotp refuses any step at or below the last step the caller stored,
// so the caller stores the returned step (in the same transaction as the sign-in) and passes it
// back next time.
//
//   SecretBytes secret = NewTotpSecret();
//   std::string uri = *TotpUri("Wharf", "ada@example.com", secret.view());  // QrSvg(uri)
//   WHARF_ASSIGN_OR_RETURN(int64_t step, VerifyTotp(secret.view(), code, now_s, user.totp_last_step));
//   user.totp_last_step = step;
//
// Thread-safety: pure functions; safe from any thread (NewTotpSecret needs secrets::Init()).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/error.h"
#include "base/secret_bytes.h"

namespace wharf::identity {

inline constexpr int kTotpDigits = 6;
inline constexpr int64_t kTotpPeriodSeconds = 30;
inline constexpr size_t kTotpSecretBytes = 20;
inline constexpr int64_t kTotpWindowSteps = 1;  // steps accepted either side of the current one
inline constexpr int64_t kTotpNoStepUsed = -1;  // `last_used_step` before the first accepted code

// HOTP value of `counter` under `key` (RFC 4226 §5.3), zero-padded to `digits` (6..8).
std::string Hotp(std::string_view key, uint64_t counter, int digits = kTotpDigits);

// The TOTP time step of a Unix time in seconds: floor(t / 30). Negative times give step 0.
int64_t TotpStep(int64_t unix_seconds);

// The TOTP code for `unix_seconds` (RFC 6238 with T0 = 0, X = 30).
std::string Totp(std::string_view key, int64_t unix_seconds, int digits = kTotpDigits);

// Checks a user's code against steps TotpStep(now)-1 .. +1 and returns the step it matched.
// Spaces in `code` are ignored ("123 456"). Errors:
//   kValidationFailed (field "code"): not exactly 6 digits.
//   kUnauthenticated, details.check = "totp_code": no step in the window matches.
//   kUnauthenticated, details.check = "totp_replay": the code matches, but only steps
//     <= last_used_step (the code, or a later one, was already used).
// Every candidate is compared in constant time, so timing does not reveal which step matched.
Result<int64_t> VerifyTotp(std::string_view key, std::string_view code, int64_t unix_seconds,
                           int64_t last_used_step);

// 20 random bytes (160 bits, RFC 4226 §4's recommended length).
SecretBytes NewTotpSecret();

// RFC 4648 base32 with the upper-case alphabet and no '=' padding ("GEZDGNBV...").
std::string Base32Encode(std::string_view bytes);
// Decodes base32: case-insensitive, spaces and '-' ignored, trailing '=' padding optional.
// False on a character outside the alphabet, an impossible length or non-zero trailing bits.
bool Base32Decode(std::string_view in, std::string* out);

// "otpauth://totp/<Issuer>:<account>?secret=<base32>&issuer=<Issuer>&algorithm=SHA1&digits=6
// &period=30", issuer and account percent-encoded (RFC 3986: everything but unreserved
// characters). Errors: kValidationFailed when issuer or account is empty or contains ':'.
Result<std::string> TotpUri(std::string_view issuer, std::string_view account, std::string_view key);

// Percent-encodes every byte except RFC 3986 unreserved characters (A-Z a-z 0-9 - . _ ~).
std::string PercentEncode(std::string_view s);

}  // namespace wharf::identity
