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

// Redaction over a stream that arrives in chunks (a command's output as SSH reads it): a secret
// split across two chunks is still replaced. Push returns what is safe to write now and holds
// back the tail that could be the start of a secret (at most the longest secret's length - 1
// bytes); Flush returns what is held. Secrets shorter than 4 bytes are ignored, as by Redact.
// Where two secrets match at one place, the longer wins. Not thread-safe (one per stream).
//
//   StreamRedactor r({token});
//   for (auto chunk : reads) Write(r.Push(chunk));
//   Write(r.Flush());
class StreamRedactor {
 public:
  StreamRedactor() = default;
  explicit StreamRedactor(std::vector<std::string> secrets);
  // Adds a secret for the text pushed from now on (and the held tail).
  void Add(std::string secret);
  std::string Push(std::string_view chunk);
  std::string Flush();

 private:
  // Redacts held_ up to where its rest could still grow into a secret (all of it when `final`).
  std::string Drain(bool final);
  std::vector<std::string> secrets_;
  std::string held_;
};

// Hides the password in a URL's userinfo.
std::string RedactUrlPassword(std::string_view url);

}  // namespace wharf::secrets
