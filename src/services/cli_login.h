// `wharf login --web`: the CLI signs in through the browser, as `gh auth login` does. The CLI
// listens on a loopback port and opens /cli-login in the browser with its redirect URI, a state
// and a PKCE S256 challenge; the user, signed in there by any method, authorises it; the server
// redirects the browser to the loopback with a single-use code (2 minutes, bound to the redirect
// URI and the challenge); the CLI exchanges the code and its PKCE verifier for a new session.
//
//   WHARF_ASSIGN_OR_RETURN(std::string to, svc.cli_login().Authorize(who, in, ctx));   // 302 target
//   WHARF_ASSIGN_OR_RETURN(auto grant, svc.cli_login().Exchange(code, verifier, redirect_uri, ctx));
//
// Thread-safety: every method is safe to call concurrently; state lives in the store.
#pragma once

#include <string>

#include "services/auth.h"
#include "services/core.h"

namespace wharf::services {

inline constexpr int64_t kCliCodeMs = 2LL * 60 * 1000;
// Unexchanged codes one user may hold at once: a CLI sign-in takes one; a script or a page that
// authorises in a loop gets 429 instead of filling the table.
inline constexpr int64_t kMaxLiveCliCodesPerUser = 10;

struct CliAuthorizeInput {
  std::string redirect_uri;  // http://127.0.0.1:PORT/… or http://[::1]:PORT/… only
  std::string state;         // echoed back to the loopback
  std::string code_challenge, code_challenge_method;  // S256 only
};

class CliLogin : public Feature {
 public:
  CliLogin(Core& core, Auth& auth);
  // A browser session (not an API token) authorises the CLI: the loopback URL with ?code&state.
  Result<std::string> Authorize(const Authenticated& who, const CliAuthorizeInput& in, const RequestContext& ctx);
  // The code for a new session of its user. The code is consumed by the first attempt, right or
  // wrong, so a stolen code without the verifier is worthless.
  Result<SessionGrant> Exchange(std::string_view code, const SecretBytes& verifier, std::string_view redirect_uri,
                                const RequestContext& ctx);

  // Whether `uri` is a loopback redirect the CLI may receive a code on (no user info, query or
  // fragment; host exactly 127.0.0.1 or [::1]; a port).
  static bool IsLoopbackRedirect(std::string_view uri);

 private:
  Auth& auth_;
};

}  // namespace wharf::services
