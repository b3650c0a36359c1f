// OpenID Connect single sign-on (sso.h).
#include "services/sso.h"

#include <algorithm>
#include <map>

#include "base/log.h"
#include "base/strings.h"
#include "http_client/http.h"
#include "identity/totp.h"
#include "nodes/ssh.h"
#include "secrets/crypto.h"

namespace wharf::services {

using nlohmann::json;

namespace {
constexpr int64_t kStateMs = 10LL * 60 * 1000;
constexpr int64_t kDiscoveryMs = 10LL * 60 * 1000;
constexpr int64_t kJwksMs = 60LL * 60 * 1000;
const std::string kInstanceScope = "instance:sso";

tl::unexpected<Error> SsoRefused(std::string check, std::string msg) {
  auto e = Err(ErrorCode::kUnauthenticated, std::move(msg));
  e.value().details["check"] = std::move(check);
  return e;
}

Result<std::vector<std::string>> LowerList(const std::vector<std::string>& in, std::string_view field) {
  std::vector<std::string> out;
  for (size_t i = 0; i < in.size(); ++i) {
    std::string v = ToLower(Trim(in[i]));
    if (v.empty() || v.size() > 200 || v.find(' ') != std::string::npos)
      return FieldError(std::string(field) + "[" + std::to_string(i) + "]", "must be a non-empty word without spaces");
    out.push_back(v);
  }
  return out;
}

// Whether claim `name` of `claims` matches `value`: equal, or contained in an array ("groups").
// "email_domain" is the part of the verified email after '@'.
bool ClaimMatches(const json& claims, const std::string& name, const std::string& value) {
  if (name == "email_domain") {
    const std::string email = claims.value("email", std::string());
    auto at = email.rfind('@');
    return at != std::string::npos && ToLower(email.substr(at + 1)) == ToLower(value);
  }
  if (!claims.contains(name)) return false;
  const json& v = claims[name];
  if (v.is_string()) return v.get<std::string>() == value;
  if (v.is_boolean()) return (v.get<bool>() ? "true" : "false") == value;
  if (v.is_array())
    for (auto& x : v)
      if (x.is_string() && x.get<std::string>() == value) return true;
  return false;
}

std::string FormEncode(const std::vector<std::pair<std::string, std::string>>& kv) {
  std::string out;
  for (auto& [k, v] : kv) out += (out.empty() ? "" : "&") + identity::PercentEncode(k) + "=" + identity::PercentEncode(v);
  return out;
}
}  // namespace

Sso::Sso(Core& core, Auth& auth) : Feature(core), auth_(auth) {}

std::string Sso::CallbackUrl(std::string_view name) const {
  return config_.public_url + "/api/v1/auth/sso/" + std::string(name) + "/callback";
}

Authenticated Sso::Operator() {
  Authenticated who;
  who.user.id = "operator";
  who.user.email = "operator";
  who.user.name = "operator";
  who.user.instance_admin = true;
  return who;
}

Status Sso::RequireInstanceAdmin(const Authenticated& who) {
  if (who.user.instance_admin && !who.api_token) return Ok();
  return Forbidden("instance_admin", "Only the instance administrator, signed in (not with an API token), manages "
                                     "identity providers.");
}

Result<IdentityProviderView> Sso::View(store::Tx& tx, const store::IdentityProviderRow& row) {
  IdentityProviderView v;
  v.id = row.id;
  v.name = row.name;
  v.display_name = row.display_name;
  v.issuer = row.issuer;
  v.client_id = row.client_id;
  v.client_secret_set = !row.client_secret_sealed.empty();
  for (auto sc : Split(row.scopes, ' '))
    if (!sc.empty()) v.scopes.emplace_back(sc);
  v.allowed_domains = json::parse(row.allowed_domains).get<std::vector<std::string>>();
  for (auto& m : json::parse(row.mappings)) {
    WHARF_ASSIGN_OR_RETURN(auto org, tx.orgs().FindById(m.value("org_id", "")));
    v.mappings.push_back({m.value("claim", ""), m.value("value", ""), org ? org->slug : std::string("(deleted)"),
                          m.value("role_id", "")});
  }
  v.callback_url = CallbackUrl(row.name);
  v.created_at = row.created_at;
  v.updated_at = row.updated_at;
  return v;
}

// Validates `in` and writes it into `row` (the secret sealed under the row's own data key).
Status Sso::Apply(store::Tx& tx, store::IdentityProviderRow& row, IdentityProviderInput& in, bool creating) {
  if (creating) {
    for (auto [have, field] : {std::pair{in.name.has_value(), "name"}, std::pair{in.issuer.has_value(), "issuer"},
                               std::pair{in.client_id.has_value(), "client_id"}})
      if (!have) return FieldError(field, "is required");
  }
  if (in.name) {
    WHARF_TRY(domain::ValidateSlug(*in.name, "name"));
    row.name = *in.name;
  }
  if (in.display_name) {
    WHARF_ASSIGN_OR_RETURN(row.display_name, domain::ValidateName(*in.display_name, "display_name"));
  } else if (creating) {
    row.display_name = row.name;
  }
  if (in.issuer) {
    const std::string& iss = *in.issuer;
    if (!(StartsWith(iss, "https://") || StartsWith(iss, "http://")) || iss.size() > 500 || iss.back() == '/')
      return FieldError("issuer", "must be the provider's issuer URL exactly as its tokens say it (https://…, no "
                                  "trailing slash)");
    if (StartsWith(iss, "http://") && !config_.allow_private_targets)
      return FieldError("issuer", "must use https://");
    row.issuer = iss;
  }
  if (in.client_id) {
    if (in.client_id->empty() || in.client_id->size() > 300) return FieldError("client_id", "must be 1-300 characters");
    row.client_id = *in.client_id;
  }
  if (in.client_secret) {
    if (in.client_secret->view().size() > 1000) return FieldError("client_secret", "is too long");
    if (row.wrapped_key.empty()) {
      WHARF_ASSIGN_OR_RETURN(row.wrapped_key, envelope_.NewWrappedDataKey(kInstanceScope));
    }
    if (in.client_secret->view().empty()) {
      row.client_secret_sealed.clear();
    } else {
      WHARF_ASSIGN_OR_RETURN(row.client_secret_sealed,
                             envelope_.Seal(row.wrapped_key, {kInstanceScope, "identityProviders", row.id, "client_secret"},
                                            in.client_secret->view()));
    }
  }
  if (row.wrapped_key.empty()) {
    WHARF_ASSIGN_OR_RETURN(row.wrapped_key, envelope_.NewWrappedDataKey(kInstanceScope));
  }
  if (in.scopes) {
    WHARF_ASSIGN_OR_RETURN(auto scopes, LowerList(*in.scopes, "scopes"));
    if (std::find(scopes.begin(), scopes.end(), "openid") == scopes.end()) scopes.insert(scopes.begin(), "openid");
    row.scopes.clear();
    for (auto& sc : scopes) row.scopes += (row.scopes.empty() ? "" : " ") + sc;
  } else if (creating) {
    row.scopes = "openid email profile";
  }
  if (in.allowed_domains) {
    WHARF_ASSIGN_OR_RETURN(auto domains, LowerList(*in.allowed_domains, "allowed_domains"));
    row.allowed_domains = json(domains).dump();
  } else if (creating) {
    row.allowed_domains = "[]";
  }
  if (in.mappings) {
    json arr = json::array();
    for (size_t i = 0; i < in.mappings->size(); ++i) {
      const SsoMapping& m = (*in.mappings)[i];
      const std::string f = "mappings[" + std::to_string(i) + "]";
      if (m.claim.empty() || m.value.empty()) return FieldError(f, "needs claim and value");
      WHARF_ASSIGN_OR_RETURN(auto org, tx.orgs().FindBySlug(m.org));
      if (!org) return FieldError(f + ".org", "names no organisation");
      WHARF_ASSIGN_OR_RETURN(auto role, tx.roles().Find(org->id, m.role_id));
      if (!role) return FieldError(f + ".role_id", "is not a role of " + m.org);
      arr.push_back({{"claim", m.claim}, {"value", m.value}, {"org_id", org->id}, {"role_id", role->id}});
    }
    row.mappings = arr.dump();
  } else if (creating) {
    row.mappings = "[]";
  }
  return Ok();
}

Result<std::vector<IdentityProviderView>> Sso::ListProviders(const Authenticated& who) {
  WHARF_TRY(RequireInstanceAdmin(who));
  std::vector<IdentityProviderView> out;
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto rows, tx.sso().ListProviders());
    for (auto& r : rows) {
      WHARF_ASSIGN_OR_RETURN(auto v, View(tx, r));
      out.push_back(std::move(v));
    }
    return Ok();
  }));
  return out;
}

Result<IdentityProviderView> Sso::GetProvider(const Authenticated& who, std::string_view id) {
  WHARF_TRY(RequireInstanceAdmin(who));
  IdentityProviderView v;
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto row, tx.sso().FindProvider(id));
    if (!row) return Err(ErrorCode::kNotFound, "Identity provider not found.");
    WHARF_ASSIGN_OR_RETURN(v, View(tx, *row));
    return Ok();
  }));
  return v;
}

namespace {
authz::Principal InstancePrincipal(const Authenticated& who) {
  authz::Principal p;
  p.user_id = who.user.id;
  p.user_email = who.user.email;
  return p;  // org_id "": the instance's own audit log
}
}  // namespace

Result<IdentityProviderView> Sso::CreateProvider(const Authenticated& who, IdentityProviderInput in,
                                                 const RequestContext& ctx) {
  WHARF_TRY(RequireInstanceAdmin(who));
  IdentityProviderView v;
  WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
    store::IdentityProviderRow row;
    row.id = ids_.New("idp");
    row.created_at = row.updated_at = clock_.Now();
    WHARF_TRY(Apply(tx, row, in, true));
    WHARF_TRY(tx.sso().InsertProvider(row));
    WHARF_TRY(AuditIn(tx, InstancePrincipal(who), "identity_providers.create", "identityProviders", row.id, ctx,
                      row.name + " (" + row.issuer + ")"));
    WHARF_ASSIGN_OR_RETURN(v, View(tx, row));
    return Ok();
  }));
  return v;
}

Result<IdentityProviderView> Sso::UpdateProvider(const Authenticated& who, std::string_view id,
                                                 IdentityProviderInput in, const RequestContext& ctx) {
  WHARF_TRY(RequireInstanceAdmin(who));
  IdentityProviderView v;
  WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto row, tx.sso().FindProvider(id));
    if (!row) return Err(ErrorCode::kNotFound, "Identity provider not found.");
    WHARF_TRY(Apply(tx, *row, in, false));
    row->updated_at = clock_.Now();
    WHARF_TRY(tx.sso().UpdateProvider(*row));
    WHARF_TRY(AuditIn(tx, InstancePrincipal(who), "identity_providers.update", "identityProviders", row->id, ctx,
                      row->name));
    WHARF_ASSIGN_OR_RETURN(v, View(tx, *row));
    return Ok();
  }));
  std::lock_guard lock(mu_);
  discovery_.erase(std::string(id));
  return v;
}

Status Sso::DeleteProvider(const Authenticated& who, std::string_view id, const RequestContext& ctx) {
  WHARF_TRY(RequireInstanceAdmin(who));
  return WriteTx([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto using_it, tx.sso().SsoOnlyOrgsOfProvider(id));
    if (!using_it.empty()) {
      std::string slugs;
      for (auto& org_id : using_it) {
        WHARF_ASSIGN_OR_RETURN(auto org, tx.orgs().FindById(org_id));
        slugs += (slugs.empty() ? "" : ", ") + (org ? org->slug : org_id);
      }
      return Err(ErrorCode::kConflict, "Organisations sign in only through this provider (" + slugs +
                                           "): turn SSO-only off there first, or their members could not sign in.");
    }
    WHARF_ASSIGN_OR_RETURN(bool gone, tx.sso().DeleteProvider(id));
    if (!gone) return Err(ErrorCode::kNotFound, "Identity provider not found.");
    return AuditIn(tx, InstancePrincipal(who), "identity_providers.delete", "identityProviders", std::string(id), ctx);
  });
}

Result<std::vector<std::pair<std::string, std::string>>> Sso::PublicProviders() {
  std::vector<std::pair<std::string, std::string>> out;
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto rows, tx.sso().ListProviders());
    for (auto& r : rows) out.emplace_back(r.name, r.display_name);
    return Ok();
  }));
  return out;
}

Result<std::string> Sso::HttpGet(const std::string& url) {
  http_client::HttpCall call{.method = "GET", .url = url};
  call.user_agent = "wharf";
  call.timeout_ms = 10'000;
  call.max_body_bytes = 512 << 10;
  if (!config_.allow_private_targets) call.address_allowed = [](std::string_view ip) { return !nodes::IsPrivateAddress(ip); };
  WHARF_ASSIGN_OR_RETURN(auto r, http_client::Fetch(call));
  if (r.status != 200)
    return Err(ErrorCode::kUnavailable, "The identity provider answered " + std::to_string(r.status) + " to GET " + url);
  return r.body;
}

Result<json> Sso::Discover(const store::IdentityProviderRow& row) {
  const Timestamp now = clock_.Now();
  {
    std::lock_guard lock(mu_);
    auto it = discovery_.find(row.id);
    if (it != discovery_.end() && now - it->second.at < kDiscoveryMs && it->second.doc.value("issuer", "") == row.issuer)
      return it->second.doc;
  }
  WHARF_ASSIGN_OR_RETURN(std::string body, HttpGet(row.issuer + "/.well-known/openid-configuration"));
  json doc = json::parse(body, nullptr, false);
  if (!doc.is_object()) return Err(ErrorCode::kUnavailable, "The identity provider's discovery document is not JSON.");
  if (doc.value("issuer", "") != row.issuer)
    return Err(ErrorCode::kUnavailable, "The identity provider's discovery document names another issuer (" +
                                            doc.value("issuer", std::string("none")) + "); fix the provider's issuer.");
  for (const char* k : {"authorization_endpoint", "token_endpoint", "jwks_uri"})
    if (!doc.contains(k) || !doc[k].is_string())
      return Err(ErrorCode::kUnavailable, std::string("The identity provider's discovery document has no ") + k + ".");
  std::lock_guard lock(mu_);
  discovery_[row.id] = {doc, {}, now};
  return doc;
}

Result<std::vector<identity::Jwk>> Sso::Jwks(const std::string& uri, bool refresh) {
  const Timestamp now = clock_.Now();
  if (!refresh) {
    std::lock_guard lock(mu_);
    auto it = jwks_.find(uri);
    if (it != jwks_.end() && now - it->second.at < kJwksMs) return it->second.keys;
  }
  WHARF_ASSIGN_OR_RETURN(std::string body, HttpGet(uri));
  WHARF_ASSIGN_OR_RETURN(auto keys, identity::ParseJwks(body));
  std::lock_guard lock(mu_);
  jwks_[uri] = {json(), keys, now};
  return keys;
}

Result<SsoStart> Sso::Start(std::string_view provider, const RequestContext&) {
  std::optional<store::IdentityProviderRow> row;
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(row, tx.sso().FindProviderByName(provider));
    return Ok();
  }));
  if (!row) return Err(ErrorCode::kNotFound, "No identity provider is called " + std::string(provider) + ".");
  WHARF_ASSIGN_OR_RETURN(json doc, Discover(*row));
  store::SsoStateRow st;
  SsoStart out;
  out.state = identity::NewOidcState();
  st.state_hash = secrets::Sha256Hex(out.state);
  st.provider_id = row->id;
  st.nonce = identity::NewOidcNonce();
  SecretBytes verifier = identity::NewPkceVerifier();
  st.pkce_verifier = std::string(verifier.view());
  st.expires_at = clock_.Now() + kStateMs;
  WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
    WHARF_TRY(tx.second_factors().PruneChallenges(clock_.Now()));
    return tx.sso().InsertState(st);
  }));
  std::string auth = doc["authorization_endpoint"].get<std::string>();
  out.location = auth + (auth.find('?') == std::string::npos ? "?" : "&") +
                 FormEncode({{"response_type", "code"}, {"client_id", row->client_id},
                             {"redirect_uri", CallbackUrl(row->name)}, {"scope", row->scopes},
                             {"state", out.state}, {"nonce", st.nonce},
                             {"code_challenge", identity::PkceChallengeS256(verifier.view())},
                             {"code_challenge_method", "S256"}});
  return out;
}

Result<SessionGrant> Sso::Callback(std::string_view provider, std::string_view code, std::string_view state,
                                   std::string_view cookie_state, const RequestContext& ctx) {
  if (state.empty() || cookie_state.empty() || !ConstantTimeEquals(state, cookie_state))
    return SsoRefused("state", "This sign-in did not start in this browser (state mismatch). Start it again.");
  if (code.empty()) return SsoRefused("code", "The identity provider sent no authorization code.");
  std::optional<store::IdentityProviderRow> row;
  std::optional<store::SsoStateRow> st;
  WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(row, tx.sso().FindProviderByName(provider));
    WHARF_ASSIGN_OR_RETURN(st, tx.sso().TakeState(secrets::Sha256Hex(state), clock_.Now()));
    return Ok();
  }));
  if (!row) return Err(ErrorCode::kNotFound, "No identity provider is called " + std::string(provider) + ".");
  if (!st || st->provider_id != row->id)
    return SsoRefused("state", "This sign-in expired or was already used. Start it again.");
  WHARF_ASSIGN_OR_RETURN(json doc, Discover(*row));
  // The code for tokens, authenticated with the client secret when there is one (client_secret_basic).
  http_client::HttpCall call{.method = "POST", .url = doc["token_endpoint"].get<std::string>()};
  call.user_agent = "wharf";
  call.timeout_ms = 10'000;
  if (!config_.allow_private_targets) call.address_allowed = [](std::string_view ip) { return !nodes::IsPrivateAddress(ip); };
  call.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  call.headers.emplace_back("Accept", "application/json");
  std::vector<std::pair<std::string, std::string>> form = {
      {"grant_type", "authorization_code"}, {"code", std::string(code)}, {"redirect_uri", CallbackUrl(row->name)},
      {"code_verifier", st->pkce_verifier}};
  if (!row->client_secret_sealed.empty()) {
    WHARF_ASSIGN_OR_RETURN(SecretBytes secret,
                           envelope_.Open(row->wrapped_key, {kInstanceScope, "identityProviders", row->id, "client_secret"},
                                          row->client_secret_sealed));
    std::string basic = identity::PercentEncode(row->client_id) + ":" + identity::PercentEncode(secret.view());
    call.headers.emplace_back("Authorization", "Basic " + Base64Encode(basic));
    std::fill(basic.begin(), basic.end(), '\0');
  } else {
    form.emplace_back("client_id", row->client_id);
  }
  call.body = FormEncode(form);
  WHARF_ASSIGN_OR_RETURN(auto reply, http_client::Fetch(call));
  json tokens = json::parse(reply.body, nullptr, false);
  if (reply.status != 200 || !tokens.is_object() || !tokens.contains("id_token") || !tokens["id_token"].is_string()) {
    log::Warn("sso_token_refused", {{"request_id", ctx.request_id}, {"provider", row->name}, {"status", reply.status},
                                    {"error", tokens.is_object() ? tokens.value("error", std::string()) : std::string()}});
    return SsoRefused("token", "The identity provider refused the authorization code (status " +
                                   std::to_string(reply.status) + "). Start the sign-in again.");
  }
  const std::string id_token = tokens["id_token"].get<std::string>();
  identity::IdTokenExpectations want{row->issuer, row->client_id, st->nonce, clock_.Now() / 1000};
  const std::string jwks_uri = doc["jwks_uri"].get<std::string>();
  WHARF_ASSIGN_OR_RETURN(auto keys, Jwks(jwks_uri, false));
  auto claims = identity::VerifyIdToken(id_token, keys, want);
  if (!claims && claims.error().details.value("check", "") == "kid") {  // the provider may have rotated its keys
    WHARF_ASSIGN_OR_RETURN(keys, Jwks(jwks_uri, true));
    claims = identity::VerifyIdToken(id_token, keys, want);
  }
  if (!claims) {
    log::Warn("sso_id_token_refused", {{"request_id", ctx.request_id}, {"provider", row->name},
                                       {"check", claims.error().details.value("check", std::string())}});
    return SsoRefused(claims.error().details.value("check", std::string("id_token")),
                      "The identity provider's ID token was refused: " + claims.error().message);
  }
  const json& c = *claims;
  const std::string sub = c.value("sub", "");
  auto email_r = domain::NormalizeEmail(c.value("email", ""), "email");
  if (!email_r) return SsoRefused("email", "The identity provider sent no usable email; add the email scope.");
  const std::string email = *email_r;
  const bool verified = c.contains("email_verified") && ((c["email_verified"].is_boolean() && c["email_verified"].get<bool>()) ||
                                                        (c["email_verified"].is_string() && c["email_verified"] == "true"));
  const auto domains = json::parse(row->allowed_domains).get<std::vector<std::string>>();
  const std::string domain = email.substr(email.rfind('@') + 1);
  if (!domains.empty() && std::find(domains.begin(), domains.end(), domain) == domains.end())
    return SsoRefused("allowed_domains", "Accounts of " + domain + " may not sign in with " + row->display_name + ".");
  // An unknown identity becomes an account (or links to one) only with a verified email.
  std::optional<store::SsoIdentityRow> identity_row;
  std::optional<domain::User> by_email;
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(identity_row, tx.sso().FindIdentity(row->id, sub));
    WHARF_ASSIGN_OR_RETURN(by_email, tx.users().FindByEmail(email));
    return Ok();
  }));
  if (!identity_row && !verified)
    return SsoRefused("email_verified", "The identity provider has not verified " + email +
                                            ", so it cannot be linked to a Wharf account.");
  std::string unusable_hash;
  if (!identity_row && !by_email) {  // a new account: no password works until one is set by reset
    SecretBytes random = secrets::NewToken("unusable_");
    WHARF_ASSIGN_OR_RETURN(unusable_hash, secrets::HashPassword(random));
  }
  SessionGrant grant;
  std::vector<std::string> changed;
  WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
    domain::User user;
    WHARF_ASSIGN_OR_RETURN(auto linked, tx.sso().FindIdentity(row->id, sub));
    if (linked) {
      WHARF_ASSIGN_OR_RETURN(auto u, tx.users().FindById(linked->user_id));
      if (!u) return SsoRefused("account", "The account linked to this identity no longer exists.");
      user = std::move(*u);
    } else {
      WHARF_ASSIGN_OR_RETURN(auto u, tx.users().FindByEmail(email));
      if (u) {
        user = std::move(*u);
      } else {
        if (unusable_hash.empty()) return SsoRefused("account", "The account changed meanwhile. Start again.");
        user.id = ids_.New("usr");
        user.email = email;
        auto name = domain::ValidateName(c.value("name", email.substr(0, email.find('@'))), "name");
        user.name = name ? *name : email.substr(0, email.find('@'));
        user.password_hash = unusable_hash;
        user.created_at = user.updated_at = clock_.Now();
        WHARF_TRY(tx.users().Insert(user));
      }
      WHARF_TRY(tx.sso().InsertIdentity({row->id, sub, user.id, email, clock_.Now()}));
    }
    WHARF_TRY(SyncMappings(tx, *row, user, c, ctx, &changed));
    WHARF_TRY(auth_.CheckSignIn(tx, user, "sso:" + row->id));  // an SSO-only org may name another provider
    WHARF_ASSIGN_OR_RETURN(grant, auth_.NewSession(tx, user, ctx));
    return tx.sso().MarkSsoSession(grant.session.id, row->id, clock_.Now());
  }));
  for (auto& org : changed) cache_.Bump(org);
  auth_.SessionOpened(grant);
  log::Info("sso_login", {{"request_id", ctx.request_id}, {"provider", row->name}, {"user_id", grant.user.id}});
  return grant;
}

Status Sso::SyncMappings(store::Tx& tx, const store::IdentityProviderRow& idp, const domain::User& u, const json& claims,
                         const RequestContext& ctx, std::vector<std::string>* changed) {
  std::map<std::string, std::string> want;  // org id → role id, the first matching rule per org
  for (auto& m : json::parse(idp.mappings))
    if (ClaimMatches(claims, m.value("claim", ""), m.value("value", "")) && !want.count(m.value("org_id", "")))
      want[m.value("org_id", "")] = m.value("role_id", "");
  WHARF_ASSIGN_OR_RETURN(auto grants, tx.sso().ListGrants(idp.id, u.id));
  std::map<std::string, std::string> granted;
  for (auto& g : grants) granted[g.org_id] = g.role_id;
  authz::Principal p;
  p.user_id = u.id;
  p.user_email = u.email;
  for (auto& [org_id, role_id] : want) {
    WHARF_ASSIGN_OR_RETURN(auto org, tx.orgs().FindById(org_id));
    WHARF_ASSIGN_OR_RETURN(auto role, tx.roles().Find(org_id, role_id));
    if (!org || !role) continue;  // a rule whose org or role was deleted grants nothing
    p.org_id = org_id;
    WHARF_ASSIGN_OR_RETURN(auto m, tx.memberships().Find(org_id, u.id));
    if (!m) {
      WHARF_TRY(tx.memberships().Insert({org_id, u.id, role_id, clock_.Now()}));
      WHARF_TRY(tx.sso().PutGrant({idp.id, u.id, org_id, role_id}));
      WHARF_TRY(AuditIn(tx, p, "sso.membership_added", "team", u.id, ctx, "role " + role->name + " from " + idp.name));
      changed->push_back(org_id);
    } else if (granted.count(org_id) && m->role_id != role_id && org->owner_id != u.id) {
      WHARF_TRY(tx.memberships().UpdateRole(org_id, u.id, role_id));
      WHARF_TRY(tx.sso().PutGrant({idp.id, u.id, org_id, role_id}));
      WHARF_TRY(AuditIn(tx, p, "sso.role_changed", "team", u.id, ctx, "role " + role->name + " from " + idp.name));
      changed->push_back(org_id);
    }
  }
  for (auto& [org_id, role_id] : granted) {
    if (want.count(org_id)) continue;
    WHARF_ASSIGN_OR_RETURN(auto org, tx.orgs().FindById(org_id));
    WHARF_TRY(tx.sso().DeleteGrant(idp.id, u.id, org_id));
    if (!org || org->owner_id == u.id) continue;  // the owner stays, whatever the provider says
    WHARF_TRY(tx.memberships().Delete(org_id, u.id).map([](bool) {}));
    p.org_id = org_id;
    WHARF_TRY(AuditIn(tx, p, "sso.membership_removed", "team", u.id, ctx, "no longer matched by " + idp.name));
    changed->push_back(org_id);
  }
  return Ok();
}

}  // namespace wharf::services
