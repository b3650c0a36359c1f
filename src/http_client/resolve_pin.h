// The private-target guard's resolve-and-pin step shared by Fetch and the SMTP mailer, and the
// SMTP mailer's guard setting.
#pragma once

#include <string>

#include "base/address.h"
#include "base/error.h"

namespace wharf::http_client {

// Resolves the host of `url` once, checks every address with `allowed` (ResolveChecked), and
// returns the CURLOPT_RESOLVE entry "host:port:addr,…" that makes curl connect only to those
// addresses; "" for a numeric host (curl does not resolve one). Errors as ResolveChecked, and
// kValidationFailed naming `url` when curl cannot parse it.
Result<std::string> CheckedResolveEntry(const std::string& url, const AddressFilter& allowed);

// Makes every later SmtpMailer::Send check the SMTP server's addresses with `allowed` before
// connecting, and pin curl to them (empty = no check). Call once at startup, before any mail is
// sent (not thread-safe), like UseExtraCaFile.
void UseSmtpAddressFilter(AddressFilter allowed);

}  // namespace wharf::http_client
