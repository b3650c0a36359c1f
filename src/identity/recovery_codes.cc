#include "identity/recovery_codes.h"

#include "secrets/crypto.h"

namespace wharf::identity {

Result<RecoveryCodes> GenerateRecoveryCodes() {
  RecoveryCodes out;
  for (size_t i = 0; i < kRecoveryCodeCount; ++i) {
    std::string raw = secrets::RandomString(10, kRecoveryCodeAlphabet);
    SecretBytes code = SecretBytes::FromString(raw.substr(0, 5) + "-" + raw.substr(5));
    std::fill(raw.begin(), raw.end(), '\0');
    WHARF_ASSIGN_OR_RETURN(std::string hash, secrets::HashPassword(code));
    out.codes.push_back(std::move(code));
    out.hashes.push_back(std::move(hash));
  }
  return out;
}

Result<SecretBytes> NormalizeRecoveryCode(std::string_view typed) {
  std::string chars;
  for (char c : typed) {
    if (c == ' ' || c == '-' || c == '\t') continue;
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c == 'o') c = '0';
    if (c == 'i' || c == 'l') c = '1';
    if (kRecoveryCodeAlphabet.find(c) == std::string_view::npos || chars.size() == 10) {
      std::fill(chars.begin(), chars.end(), '\0');
      return FieldError("recovery_code", "must be a recovery code like 7k2mq-x9d4t");
    }
    chars.push_back(c);
  }
  if (chars.size() != 10) {
    std::fill(chars.begin(), chars.end(), '\0');
    return FieldError("recovery_code", "must be a recovery code like 7k2mq-x9d4t");
  }
  SecretBytes out = SecretBytes::FromString(chars.substr(0, 5) + "-" + chars.substr(5));
  std::fill(chars.begin(), chars.end(), '\0');
  return out;
}

Result<size_t> MatchRecoveryCode(std::string_view typed, const std::vector<std::string>& hashes) {
  WHARF_ASSIGN_OR_RETURN(SecretBytes code, NormalizeRecoveryCode(typed));
  for (size_t i = 0; i < hashes.size(); ++i) {
    if (secrets::VerifyPassword(code, hashes[i])) return i;
  }
  Error e{ErrorCode::kUnauthenticated, "the recovery code is not valid or was already used", {}, Layer::kNone,
          nlohmann::json::object()};
  e.details["check"] = "recovery_code";
  return tl::unexpected<Error>(std::move(e));
}

}  // namespace wharf::identity
