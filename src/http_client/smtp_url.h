// The --smtp-url value as an SmtpConfig (http_client/smtp.h).
//
//   WHARF_ASSIGN_OR_RETURN(http_client::SmtpConfig c, http_client::ParseSmtpUrl(flags.smtp_url));
//
// Pure function; thread-safe.
#pragma once

#include <string_view>

#include "base/error.h"
#include "http_client/smtp.h"

namespace wharf::http_client {

// smtp://[user[:pass]@]host[:port] or smtps://…, with the percent-encoded credentials taken out
// of the URL (the password into SecretBytes). Errors name the field "smtp-url": another scheme, an
// empty host, a bad percent escape, a space, line break or control character anywhere.
Result<SmtpConfig> ParseSmtpUrl(std::string_view url);

}  // namespace wharf::http_client
