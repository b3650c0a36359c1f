// Internal to http_client: the private-target guard's resolve-and-pin step shared by Fetch and
// the SMTP mailer.
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

}  // namespace wharf::http_client
