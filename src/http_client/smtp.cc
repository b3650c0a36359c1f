#include "http_client/smtp.h"
#include "http_client/smtp_url.h"

#include <curl/curl.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <ctime>
#include <memory>

#include "base/clock.h"
#include "base/strings.h"
#include "http_client/resolve_pin.h"

namespace wharf::http_client {

namespace {

struct CurlGlobal {
  CurlGlobal() { curl_global_init(CURL_GLOBAL_DEFAULT); }
};

bool HasCrLf(std::string_view s) { return s.find('\r') != std::string_view::npos || s.find('\n') != std::string_view::npos; }

std::string RfcDate() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return buf;
}

std::string HostOf(const std::string& url) {
  auto p = url.find("://");
  return p == std::string::npos ? url : url.substr(p + 3);
}

struct Upload {
  std::string data;
  size_t pos = 0;
};

size_t ReadCb(char* buf, size_t size, size_t n, void* userp) {
  auto* u = static_cast<Upload*>(userp);
  size_t room = size * n;
  size_t left = u->data.size() - u->pos;
  size_t k = left < room ? left : room;
  std::memcpy(buf, u->data.data() + u->pos, k);
  u->pos += k;
  return k;
}

AddressFilter& SmtpAddressFilter() {
  static AddressFilter filter;  // set once at startup (UseSmtpAddressFilter)
  return filter;
}

}  // namespace

void UseSmtpAddressFilter(AddressFilter allowed) { SmtpAddressFilter() = std::move(allowed); }

Result<SmtpConfig> ParseSmtpUrl(std::string_view url) {
  SmtpConfig c;
  if (!StartsWith(url, "smtp://") && !StartsWith(url, "smtps://"))
    return FieldError("smtp-url", "must start with smtp:// or smtps://");
  for (char ch : url)
    if (static_cast<unsigned char>(ch) <= ' ' || ch == 0x7f)
      return FieldError("smtp-url", "must not contain spaces, line breaks or control characters");
  const size_t scheme_end = url.find("://") + 3;
  std::string_view rest = url.substr(scheme_end);
  const size_t at = rest.rfind('@');
  if (at != std::string_view::npos) {
    std::string_view userinfo = rest.substr(0, at);
    const size_t colon = userinfo.find(':');
    std::string user, pass;
    bool ok = PercentDecode(userinfo.substr(0, colon), &user);
    if (colon != std::string_view::npos) ok = PercentDecode(userinfo.substr(colon + 1), &pass) && ok;
    if (!ok) return FieldError("smtp-url", "has a bad percent escape in its user name or password");
    c.username = std::move(user);
    c.password = SecretBytes::FromString(pass);
    std::fill(pass.begin(), pass.end(), '\0');
    rest = rest.substr(at + 1);
  }
  const std::string_view host = rest.substr(0, rest.find_first_of("/?#"));
  if (host.empty() || host.front() == ':')
    return FieldError("smtp-url", "needs a host: smtp://[user:pass@]host:port");
  c.url = std::string(url.substr(0, scheme_end)) + std::string(rest);
  return c;
}

bool IsLoopbackHost(std::string_view host) {
  if (host.size() > 1 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host == "localhost" || host == "::1") return true;
  // 127.a.b.c with four decimal parts: a name like 127.0.0.1.example.com is not loopback.
  if (!StartsWith(host, "127.")) return false;
  int parts = 1;
  for (char c : host) {
    if (c == '.') ++parts;
    else if (c < '0' || c > '9') return false;
  }
  return parts == 4;
}

SmtpTls SmtpTlsPolicy(std::string_view url, bool allow_plain) {
  if (StartsWith(url, "smtps://")) return SmtpTls::kImplicit;
  std::string_view rest = url.substr(url.find("://") == std::string_view::npos ? 0 : url.find("://") + 3);
  rest = rest.substr(rest.rfind('@') == std::string_view::npos ? 0 : rest.rfind('@') + 1);
  rest = rest.substr(0, rest.find('/'));
  std::string_view host = rest;
  if (!rest.empty() && rest.front() == '[') {
    host = rest.substr(0, rest.find(']') == std::string_view::npos ? rest.size() : rest.find(']') + 1);
  } else if (auto colon = rest.rfind(':'); colon != std::string_view::npos) {
    host = rest.substr(0, colon);
  }
  return IsLoopbackHost(host) || allow_plain ? SmtpTls::kOpportunistic : SmtpTls::kRequired;
}

SmtpMailer::SmtpMailer(SmtpConfig config) : config_(std::move(config)) {
  static CurlGlobal global;
}

Status SmtpMailer::Send(const MailMessage& m) {
  if (HasCrLf(m.to) || HasCrLf(m.subject) || HasCrLf(config_.from))
    return FieldError("email", "must not contain line breaks");
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) return Internal("curl_easy_init failed");
  std::string body = m.text_body;
  // Normalise to CRLF line endings.
  std::string crlf;
  for (size_t i = 0; i < body.size(); ++i) {
    if (body[i] == '\n' && (i == 0 || body[i - 1] != '\r')) crlf += "\r\n";
    else crlf.push_back(body[i]);
  }
  static std::atomic<uint64_t> seq{0};
  Upload up;
  up.data = "Date: " + RfcDate() + "\r\nFrom: Wharf <" + config_.from + ">\r\nTo: <" + m.to + ">\r\nSubject: " +
            m.subject + "\r\nMessage-ID: <" + std::to_string(SystemClock().Now()) + "." + std::to_string(seq++) +
            "@wharf>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
            "Content-Transfer-Encoding: 8bit\r\n\r\n" + crlf + "\r\n";
  struct curl_slist* rcpt = curl_slist_append(nullptr, ("<" + m.to + ">").c_str());
  std::string from = "<" + config_.from + ">";
  char errbuf[CURL_ERROR_SIZE] = {0};
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, config_.url.c_str());
  curl_easy_setopt(c, CURLOPT_MAIL_FROM, from.c_str());
  curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
  curl_easy_setopt(c, CURLOPT_READFUNCTION, ReadCb);
  curl_easy_setopt(c, CURLOPT_READDATA, &up);
  curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(config_.timeout_ms));
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(config_.timeout_ms));
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  switch (SmtpTlsPolicy(config_.url, config_.allow_plain)) {
    case SmtpTls::kImplicit: break;  // smtps://: TLS from the first byte
    case SmtpTls::kRequired: curl_easy_setopt(c, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL)); break;
    case SmtpTls::kOpportunistic: curl_easy_setopt(c, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_TRY)); break;
  }
  std::string pass(config_.password.view());
  if (!config_.username.empty()) {
    curl_easy_setopt(c, CURLOPT_USERNAME, config_.username.c_str());
    curl_easy_setopt(c, CURLOPT_PASSWORD, pass.c_str());
  }
  // The private-target guard, as for HTTP (resolve_pin.h): every address checked before the
  // connection, and curl pinned to them.
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> pinned(nullptr, curl_slist_free_all);
  if (SmtpAddressFilter()) {
    auto entry = CheckedResolveEntry(config_.url, SmtpAddressFilter());
    if (!entry) {
      std::fill(pass.begin(), pass.end(), '\0');
      curl_slist_free_all(rcpt);
      Error e = entry.error();
      e.message = "SMTP server " + HostOf(config_.url) + ": " + e.message;
      e.layer = Layer::kEmail;
      return tl::unexpected(std::move(e));
    }
    if (!entry->empty()) pinned.reset(curl_slist_append(nullptr, entry->c_str()));
    curl_easy_setopt(c, CURLOPT_RESOLVE, pinned.get());
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
  }
  CURLcode rc = curl_easy_perform(c);
  std::fill(pass.begin(), pass.end(), '\0');
  curl_slist_free_all(rcpt);
  if (rc == CURLE_OK) return Ok();
  long smtp_code = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &smtp_code);
  std::string host = HostOf(config_.url);
  std::string what;
  if (rc == CURLE_COULDNT_CONNECT) what = "could not connect to SMTP server " + host + " (connection refused)";
  else if (rc == CURLE_OPERATION_TIMEDOUT) what = "SMTP server " + host + " did not answer in time";
  else if (rc == CURLE_COULDNT_RESOLVE_HOST) what = "SMTP server host " + host + " does not resolve";
  else if (rc == CURLE_USE_SSL_FAILED)
    what = "SMTP server " + host + " does not offer STARTTLS, and Wharf sends mail to a non-loopback server only "
           "over TLS (use smtps://, enable STARTTLS on the server, or accept plain text with --smtp-allow-plain)";
  else if (rc == CURLE_LOGIN_DENIED) what = "SMTP server " + host + " refused the username or password";
  else if (smtp_code >= 400) what = "SMTP server " + host + " refused the message with code " + std::to_string(smtp_code);
  else what = "sending mail through " + host + " failed: " + (errbuf[0] ? std::string(errbuf) : curl_easy_strerror(rc));
  if (!config_.password.empty()) {
    auto pos = what.find(config_.password.view());
    if (pos != std::string::npos) what.replace(pos, config_.password.size(), "[redacted]");
  }
  return Err(ErrorCode::kUnavailable, what, Layer::kEmail);
}

}  // namespace wharf::http_client
