// `wharf login --web`: signs in through the browser (any method the server offers: password and
// second factor, passkey, single sign-on) and returns a new session token for the CLI.
//
// The CLI listens on 127.0.0.1 (an ephemeral port), prints the sign-in URL and opens it with
// $BROWSER (else xdg-open); the server redirects the browser back to the loopback with a
// single-use code, whose state the CLI checks before exchanging it with its PKCE S256 verifier.
#pragma once

#include <ostream>
#include <string>

#include "base/error.h"

namespace wharf::cli {

struct WebLoginOptions {
  int timeout_seconds = 300;  // how long to wait for the browser
};

// `url` is the server's base URL (normalised). Messages for the user go to `err`.
Result<std::string> WebLogin(const std::string& url, std::ostream& err, const WebLoginOptions& opts = {});

}  // namespace wharf::cli
