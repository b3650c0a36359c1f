// Redaction of secrets from text that leaves the process (logs, error messages, job logs).
//
//   log::Warn("git_failed", {{"stderr", Redact(stderr_text, {token.view()})}});
//   RedactUrlPassword("smtp://u:pw@host:25") == "smtp://u:[redacted]@host:25"
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace wharf::secrets {

// Replaces each occurrence of each secret of length >= 4 with "[redacted]".
std::string Redact(std::string_view text, const std::vector<std::string_view>& secrets);
// Hides the password in a URL's userinfo.
std::string RedactUrlPassword(std::string_view url);

}  // namespace wharf::secrets
