// The --smtp-url value: the credentials come out of the URL, and the URL logged (redacted) never
// shows the password.
#include <cstdint>
#include <string>

#include "fuzz_util.h"
#include "http_client/smtp_url.h"
#include "secrets/redact.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace wharf;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto c = http_client::ParseSmtpUrl(in);
  if (c) {
    WHARF_FUZZ_CHECK(c->url.rfind("smtp://", 0) == 0 || c->url.rfind("smtps://", 0) == 0);
    WHARF_FUZZ_CHECK(c->url.find('@') == std::string::npos);
    WHARF_FUZZ_CHECK(c->url.find_first_of("\r\n ") == std::string::npos);
  }
  (void)secrets::RedactUrlPassword(in);
  return 0;
}
