// Sending email over SMTP with libcurl (invitations).
//
//   http_client::SmtpMailer mailer({.url = "smtp://127.0.0.1:1025", .from = "wharf@example.com"});
//   WHARF_TRY(mailer.Send({.to = "ada@example.com", .subject = "Hi", .text_body = "…"}));
//
// A failure returns ErrorCode::kUnavailable with Layer::kEmail and a message naming the server and
// what happened; the SMTP password never appears in it. Thread-safety: Send may be called from
// any thread (one curl easy handle per call).
#pragma once

#include <string>

#include "base/error.h"
#include "base/secret_bytes.h"

namespace wharf::http_client {

struct SmtpConfig {
  std::string url;  // smtp://host:port or smtps://host:port (no credentials in it)
  std::string from;
  std::string username;
  SecretBytes password;
  int timeout_ms = 10000;
  bool allow_plain = false;  // --smtp-allow-plain: a non-loopback smtp:// host may skip STARTTLS
};

// How mail to a server is protected. smtps:// is TLS from the first byte; smtp:// to any host
// but loopback must upgrade with STARTTLS (a server, or a man in the middle, that does not offer
// it fails the send) unless `allow_plain`; smtp:// to loopback (localhost, 127.0.0.0/8, ::1)
// uses STARTTLS when offered and may stay plain text.
enum class SmtpTls { kImplicit, kRequired, kOpportunistic };
SmtpTls SmtpTlsPolicy(std::string_view url, bool allow_plain);
// True for localhost, 127.0.0.0/8 and ::1 (the host part of a URL, brackets allowed).
bool IsLoopbackHost(std::string_view host);

struct MailMessage {
  std::string to, subject, text_body;
};

class Mailer {
 public:
  virtual ~Mailer() = default;
  virtual Status Send(const MailMessage& m) = 0;
  virtual bool enabled() const = 0;
};

class SmtpMailer final : public Mailer {
 public:
  explicit SmtpMailer(SmtpConfig config);
  Status Send(const MailMessage& m) override;
  bool enabled() const override { return true; }

 private:
  SmtpConfig config_;
};

// Used when no SMTP server is configured: invitations still work by copied link.
class DisabledMailer final : public Mailer {
 public:
  Status Send(const MailMessage&) override {
    return Err(ErrorCode::kUnavailable, "email is disabled: no SMTP server is configured (--smtp-url)", Layer::kEmail);
  }
  bool enabled() const override { return false; }
};

}  // namespace wharf::http_client
