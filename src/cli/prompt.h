// Interactive prompts for `wharf login`: a visible line (the email) and a password read with the
// terminal's echo turned off.
//
//   WHARF_ASSIGN_OR_RETURN(std::string email, PromptLine("Email: "));
//   WHARF_ASSIGN_OR_RETURN(SecretBytes pw, PromptPassword("Password: "));
//
// Both read from the controlling terminal (/dev/tty) when there is one and write the prompt there;
// otherwise they read one line from stdin (so `--password-stdin` and pipes work) and write the
// prompt to stderr. PromptPassword restores the terminal's settings before returning, and also
// when interrupted by SIGINT/SIGTERM. An empty answer or end of input is kValidationFailed.
// Not thread-safe (terminal state is process-wide).
#pragma once

#include <string>

#include "base/error.h"
#include "base/secret_bytes.h"

namespace wharf::cli {

Result<std::string> PromptLine(const std::string& prompt);
Result<SecretBytes> PromptPassword(const std::string& prompt);

// Asks a yes/no question on the terminal; true only for "y" or "yes". When stdin is not a terminal
// nothing is asked and the answer is a usage error telling the caller to pass `yes_flag`
// (scripts must say --yes explicitly, never hang on a prompt).
Result<bool> Confirm(const std::string& question, const std::string& yes_flag);

// One line from stdin without prompting (for --password-stdin); trailing CR/LF removed.
Result<SecretBytes> ReadSecretLine(std::FILE* in);

}  // namespace wharf::cli
