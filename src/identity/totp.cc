#include "identity/totp.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "base/strings.h"
#include "secrets/crypto.h"

namespace wharf::identity {
namespace {

constexpr char kBase32Alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

tl::unexpected<Error> Refused(std::string check, std::string message) {
  Error e{ErrorCode::kUnauthenticated, std::move(message), {}, Layer::kNone, nlohmann::json::object()};
  e.details["check"] = std::move(check);
  return tl::unexpected<Error>(std::move(e));
}

}  // namespace

std::string Hotp(std::string_view key, uint64_t counter, int digits) {
  if (digits < 6) digits = 6;
  if (digits > 8) digits = 8;
  unsigned char msg[8];
  for (int i = 7; i >= 0; --i) {
    msg[i] = static_cast<unsigned char>(counter & 0xff);
    counter >>= 8;
  }
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha1(), key.data(), static_cast<int>(key.size()), msg, sizeof msg, mac, &mac_len);
  // Dynamic truncation (RFC 4226 §5.3): 31 bits at the offset named by the last nibble.
  int offset = mac[mac_len - 1] & 0x0f;
  uint32_t bin = (static_cast<uint32_t>(mac[offset] & 0x7f) << 24) | (static_cast<uint32_t>(mac[offset + 1]) << 16) |
                 (static_cast<uint32_t>(mac[offset + 2]) << 8) | static_cast<uint32_t>(mac[offset + 3]);
  uint32_t mod = 1;
  for (int i = 0; i < digits; ++i) mod *= 10;
  std::string out = std::to_string(bin % mod);
  return std::string(static_cast<size_t>(digits) - out.size(), '0') + out;
}

int64_t TotpStep(int64_t unix_seconds) { return unix_seconds < 0 ? 0 : unix_seconds / kTotpPeriodSeconds; }

std::string Totp(std::string_view key, int64_t unix_seconds, int digits) {
  return Hotp(key, static_cast<uint64_t>(TotpStep(unix_seconds)), digits);
}

Result<int64_t> VerifyTotp(std::string_view key, std::string_view code, int64_t unix_seconds,
                           int64_t last_used_step) {
  std::string digits;
  for (char c : code) {
    if (c == ' ') continue;
    if (c < '0' || c > '9' || digits.size() == kTotpDigits) {
      return FieldError("code", "must be the 6 digits your authenticator app shows");
    }
    digits.push_back(c);
  }
  if (digits.size() != kTotpDigits) return FieldError("code", "must be the 6 digits your authenticator app shows");
  int64_t now = TotpStep(unix_seconds);
  int64_t fresh = -1, replayed = -1;
  for (int64_t step = now - kTotpWindowSteps; step <= now + kTotpWindowSteps; ++step) {
    if (step < 0) continue;
    bool match = ConstantTimeEquals(Hotp(key, static_cast<uint64_t>(step)), digits);
    if (!match) continue;
    if (step > last_used_step) {
      if (fresh < 0) fresh = step;  // the earliest unused matching step
    } else {
      replayed = step;
    }
  }
  if (fresh >= 0) return fresh;
  if (replayed >= 0) return Refused("totp_replay", "this code was already used; wait for the next one");
  return Refused("totp_code", "the code is not valid");
}

SecretBytes NewTotpSecret() {
  SecretBytes s(kTotpSecretBytes);
  secrets::RandomBytes(s.data(), s.size());
  return s;
}

std::string Base32Encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() * 8 + 4) / 5);
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : bytes) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out.push_back(kBase32Alphabet[(acc >> bits) & 0x1f]);
    }
  }
  if (bits > 0) out.push_back(kBase32Alphabet[(acc << (5 - bits)) & 0x1f]);
  return out;
}

bool Base32Decode(std::string_view in, std::string* out) {
  out->clear();
  while (!in.empty() && (in.back() == '=' || in.back() == ' ')) in.remove_suffix(1);
  uint32_t acc = 0;
  int bits = 0;
  size_t chars = 0;
  for (char c : in) {
    if (c == ' ' || c == '-') continue;
    int v;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    else if (c >= 'a' && c <= 'z') v = c - 'a';
    else if (c >= '2' && c <= '7') v = c - '2' + 26;
    else return false;
    ++chars;
    acc = ((acc << 5) | static_cast<uint32_t>(v)) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out->push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  // A final group of 1, 3 or 6 characters cannot come from whole bytes; leftover bits must be 0.
  size_t rem = chars % 8;
  if (rem == 1 || rem == 3 || rem == 6) return false;
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) return false;
  return true;
}

std::string PercentEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                      c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0x0f]);
    }
  }
  return out;
}

Result<std::string> TotpUri(std::string_view issuer, std::string_view account, std::string_view key) {
  if (issuer.empty() || issuer.find(':') != std::string_view::npos) {
    return FieldError("issuer", "must be non-empty and contain no ':'");
  }
  if (account.empty() || account.find(':') != std::string_view::npos) {
    return FieldError("account", "must be non-empty and contain no ':'");
  }
  std::string enc_issuer = PercentEncode(issuer);
  return "otpauth://totp/" + enc_issuer + ":" + PercentEncode(account) + "?secret=" + Base32Encode(key) +
         "&issuer=" + enc_issuer + "&algorithm=SHA1&digits=" + std::to_string(kTotpDigits) +
         "&period=" + std::to_string(kTotpPeriodSeconds);
}

}  // namespace wharf::identity
