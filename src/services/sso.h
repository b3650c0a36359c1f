// Single sign-on with OpenID Connect: identity providers the instance administrator configures
// (client secret sealed and write-only), the authorization code flow with PKCE S256, state and
// nonce, the id_token validated in full (identity/jose.h: iss, aud, azp, exp, iat, nonce, the
// RS256/ES256 allow-list, JWKS cached and refetched once on an unknown kid), accounts linked only
// through a verified email, and mapping rules that turn claims and groups into org memberships
// with a role, re-evaluated at every sign-in.
//
//   WHARF_ASSIGN_OR_RETURN(auto start, svc.sso().Start("corp", ctx));      // 302 to start.location
//   WHARF_ASSIGN_OR_RETURN(auto grant, svc.sso().Callback("corp", code, state, cookie_state, ctx));
//
// A sign-in through the provider does not ask for Wharf's own second factor: the provider's
// sign-in stands in for it (configure MFA there).
//
// Thread-safety: every method is safe to call concurrently (the discovery and JWKS caches lock).
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "identity/jose.h"
#include "services/auth.h"
#include "services/core.h"

namespace wharf::services {

struct SsoMapping {
  std::string claim, value;  // e.g. "groups" contains "platform-admins", or "email_domain" = "corp.test"
  std::string org;           // the org slug (input and view); stored as its id
  std::string role_id;
};

struct IdentityProviderInput {
  std::optional<std::string> name, display_name, issuer, client_id;
  std::optional<SecretBytes> client_secret;
  std::optional<std::vector<std::string>> scopes, allowed_domains;
  std::optional<std::vector<SsoMapping>> mappings;
};

struct IdentityProviderView {
  std::string id, name, display_name, issuer, client_id;
  bool client_secret_set = false;
  std::vector<std::string> scopes, allowed_domains;
  std::vector<SsoMapping> mappings;
  std::string callback_url;
  Timestamp created_at = 0, updated_at = 0;
};

struct SsoStart {
  std::string location;  // the provider's authorization URL
  std::string state;     // also set as a cookie: the callback must come back to this browser
};

class Sso : public Feature {
 public:
  Sso(Core& core, Auth& auth);

  // The operator at the server's console (`wharf admin idp`): the instance administrator's rights,
  // audited with the actor "operator".
  static Authenticated Operator();

  // Instance administrator only (a session, not an API token).
  Result<std::vector<IdentityProviderView>> ListProviders(const Authenticated& who);
  Result<IdentityProviderView> GetProvider(const Authenticated& who, std::string_view id);
  Result<IdentityProviderView> CreateProvider(const Authenticated& who, IdentityProviderInput in,
                                              const RequestContext& ctx);
  Result<IdentityProviderView> UpdateProvider(const Authenticated& who, std::string_view id, IdentityProviderInput in,
                                              const RequestContext& ctx);
  Status DeleteProvider(const Authenticated& who, std::string_view id, const RequestContext& ctx);
  // For the sign-in page: {name, display_name} of each provider.
  Result<std::vector<std::pair<std::string, std::string>>> PublicProviders();

  Result<SsoStart> Start(std::string_view provider, const RequestContext& ctx);
  Result<SessionGrant> Callback(std::string_view provider, std::string_view code, std::string_view state,
                                std::string_view cookie_state, const RequestContext& ctx);

 private:
  Status RequireInstanceAdmin(const Authenticated& who);
  Result<IdentityProviderView> View(store::Tx& tx, const store::IdentityProviderRow& row);
  Status Apply(store::Tx& tx, store::IdentityProviderRow& row, IdentityProviderInput& in, bool creating);
  Result<nlohmann::json> Discover(const store::IdentityProviderRow& row);
  Result<std::vector<identity::Jwk>> Jwks(const std::string& uri, bool refresh);
  Result<std::string> HttpGet(const std::string& url);
  // Memberships granted by mapping rules: added, changed and removed to match `claims`.
  Status SyncMappings(store::Tx& tx, const store::IdentityProviderRow& idp, const domain::User& u,
                      const nlohmann::json& claims, const RequestContext& ctx, std::vector<std::string>* changed_orgs);
  std::string CallbackUrl(std::string_view name) const;

  Auth& auth_;
  struct Cached {
    nlohmann::json doc;
    std::vector<identity::Jwk> keys;
    Timestamp at = 0;
  };
  std::mutex mu_;
  std::unordered_map<std::string, Cached> discovery_;  // provider id → discovery document
  std::unordered_map<std::string, Cached> jwks_;       // jwks_uri → keys
};

}  // namespace wharf::services
