// WebAuthn plumbing shared by second_factor.cc and passkeys.cc (internal to src/services): the
// relying party from the public URL, ceremony challenges, the request options a browser passes to
// navigator.credentials.get, and a PublicKeyCredential's JSON (base64url fields) decoded.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "identity/webauthn.h"
#include "services/config.h"
#include "store/store.h"

namespace wharf::services {

// The TOTP secret's key scope (its own data key, wrapped under the master key).
std::string TotpKeyScope(std::string_view user_id);

// RP ID = the public URL's host; the one allowed origin = the public URL itself.
identity::RelyingParty Rp(const Config& config, bool require_user_verification);

// 32 random bytes.
std::string NewWebAuthnChallenge();

// {publicKey: {challenge, rpId, timeout, userVerification, allowCredentials}} with base64url
// binary fields, as PublicKeyCredential.parseRequestOptionsFromJSON takes them.
nlohmann::json RequestOptions(const identity::RelyingParty& rp, std::string_view challenge,
                              const std::vector<store::PasskeyRow>& allow, bool require_uv);

struct Assertion {
  std::string credential_id, client_data, authenticator_data, signature, user_handle;
};

// A PublicKeyCredential from navigator.credentials.get, as JSON: {rawId, response: {clientDataJSON,
// authenticatorData, signature, userHandle?}}. kValidationFailed on `field` when malformed.
Result<Assertion> ParseAssertion(const nlohmann::json& j, std::string_view field);

// The SHA-256 (hex) of the challenge a credential's clientDataJSON carries: how a ceremony row
// is found without another token.
Result<std::string> ChallengeHashOf(const nlohmann::json& credential, std::string_view field);

}  // namespace wharf::services
