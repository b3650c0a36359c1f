// `wharf login --web` (cli_login.h).
#include "services/cli_login.h"

#include <cctype>

#include "base/log.h"
#include "base/strings.h"
#include "identity/jose.h"
#include "identity/totp.h"
#include "secrets/crypto.h"

namespace wharf::services {

namespace {
bool Base64UrlChars(std::string_view s) {
  for (unsigned char c : s)
    if (!std::isalnum(c) && c != '-' && c != '_') return false;
  return true;
}

tl::unexpected<Error> Refused(std::string check, std::string msg) {
  auto e = Err(ErrorCode::kUnauthenticated, std::move(msg));
  e.value().details["check"] = std::move(check);
  return e;
}
}  // namespace

CliLogin::CliLogin(Core& core, Auth& auth) : Feature(core), auth_(auth) {}

bool CliLogin::IsLoopbackRedirect(std::string_view uri) {
  std::string_view rest;
  if (StartsWith(uri, "http://127.0.0.1:")) rest = uri.substr(17);
  else if (StartsWith(uri, "http://[::1]:")) rest = uri.substr(13);
  else return false;
  size_t digits = 0;
  while (digits < rest.size() && std::isdigit(static_cast<unsigned char>(rest[digits]))) ++digits;
  if (digits == 0 || digits > 5) return false;
  const int port = std::stoi(std::string(rest.substr(0, digits)));
  if (port < 1 || port > 65535) return false;
  std::string_view path = rest.substr(digits);
  if (!path.empty() && path[0] != '/') return false;
  for (unsigned char c : path)
    if (c <= ' ' || c >= 0x7f || c == '?' || c == '#' || c == '\\' || c == '@') return false;
  return uri.size() <= 200;
}

Result<std::string> CliLogin::Authorize(const Authenticated& who, const CliAuthorizeInput& in,
                                        const RequestContext& ctx) {
  if (who.api_token)
    return Forbidden("session", "Authorise the command-line client from a browser session, not with an API token.");
  if (!IsLoopbackRedirect(in.redirect_uri))
    return FieldError("redirect_uri", "must be a loopback address of this computer: http://127.0.0.1:PORT/… or "
                                      "http://[::1]:PORT/… (start again with `wharf login --web`)");
  if (in.code_challenge_method != "S256") return FieldError("code_challenge_method", "must be S256");
  if (in.code_challenge.size() != 43 || !Base64UrlChars(in.code_challenge))
    return FieldError("code_challenge", "must be BASE64URL(SHA-256(verifier)): 43 base64url characters");
  if (in.state.empty() || in.state.size() > 128 || !Base64UrlChars(in.state))
    return FieldError("state", "must be 1-128 base64url characters");
  SecretBytes code = secrets::NewToken("wlc_");
  WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(int64_t live, tx.sso().CountLiveCliCodes(who.user.id, clock_.Now()));
    if (live >= kMaxLiveCliCodesPerUser) {
      auto e = Err(ErrorCode::kRateLimited, "This account already has " + std::to_string(live) +
                                                " command-line sign-ins waiting to be completed. Finish one with "
                                                "`wharf login --web`, or try again in 2 minutes.");
      e.value().details["retry_after"] = kCliCodeMs / 1000;
      return e;
    }
    store::CliLoginCodeRow row;
    row.code_hash = secrets::TokenHash(code.view());
    row.user_id = who.user.id;
    row.redirect_uri = in.redirect_uri;
    row.code_challenge = in.code_challenge;
    if (!who.session_id.empty()) {
      WHARF_ASSIGN_OR_RETURN(auto via, tx.sso().SsoSessionProvider(who.session_id));
      if (via) row.sso_provider_id = *via;
    }
    row.expires_at = clock_.Now() + kCliCodeMs;
    return tx.sso().InsertCliCode(row);
  }));
  log::Info("cli_login_authorized", {{"request_id", ctx.request_id}, {"user_id", who.user.id}});
  return in.redirect_uri + "?code=" + identity::PercentEncode(code.view()) + "&state=" + in.state;
}

Result<SessionGrant> CliLogin::Exchange(std::string_view code, const SecretBytes& verifier,
                                        std::string_view redirect_uri, const RequestContext& ctx) {
  if (code.empty() || code.size() > 200) return FieldError("code", "is the code the loopback redirect received");
  if (verifier.view().size() < 43 || verifier.view().size() > 128 || !Base64UrlChars(verifier.view()))
    return FieldError("code_verifier", "must be the PKCE verifier (43-128 base64url characters)");
  std::optional<store::CliLoginCodeRow> row;
  // Taken in a transaction of its own: a wrong verifier still uses the code up.
  WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(row, tx.sso().TakeCliCode(secrets::TokenHash(code), clock_.Now()));
    return Ok();
  }));
  if (!row) return Refused("code", "This sign-in code expired or was already used. Run `wharf login --web` again.");
  if (!ConstantTimeEquals(row->redirect_uri, redirect_uri))
    return Refused("redirect_uri", "The code was issued for another redirect URI.");
  if (!ConstantTimeEquals(identity::PkceChallengeS256(verifier.view()), row->code_challenge))
    return Refused("code_verifier", "The PKCE verifier does not match the code's challenge.");
  SessionGrant grant;
  WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto u, tx.users().FindById(row->user_id));
    if (!u || u->disabled_at != 0) return Refused("account", "The account that authorised this sign-in is gone or disabled.");
    WHARF_TRY(auth_.CheckSignIn(tx, *u, row->sso_provider_id.empty() ? "password" : "sso:" + row->sso_provider_id));
    WHARF_ASSIGN_OR_RETURN(grant, auth_.NewSession(tx, *u, ctx));
    if (!row->sso_provider_id.empty())
      WHARF_TRY(tx.sso().MarkSsoSession(grant.session.id, row->sso_provider_id, clock_.Now()));
    return Ok();
  }));
  auth_.SessionOpened(grant);
  log::Info("cli_login", {{"request_id", ctx.request_id}, {"user_id", grant.user.id}});
  return grant;
}

}  // namespace wharf::services
