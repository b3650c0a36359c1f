// SSO-only organisations: an Admin names an identity provider and a break-glass Admin; from then
// on members sign in only through that provider. Password sign-in (with or without a second
// factor), passwordless passkeys and sign-up through an invitation are refused with 403
// sso_required naming the org and the provider's start URL; the break-glass Admin keeps every
// method. Turning it on ends members' sessions that were not opened through the provider; API
// tokens keep working (docs/authentication.md, "SSO-only organisations").
//
//   WHARF_TRY(svc.second_factor().RequireStepUp(who, "orgs.sso_only", ctx));
//   WHARF_ASSIGN_OR_RETURN(auto v, svc.sso_only().Set(p, {.enabled = true, .provider = "corp",
//                                                         .break_glass_user_id = "usr_…"}, ctx));
//
// Thread-safety: every method is safe to call concurrently; state lives in the store.
#pragma once

#include <optional>
#include <string>

#include "services/auth.h"
#include "services/core.h"

namespace wharf::services {

struct SsoOnlyInput {
  bool enabled = false;
  std::optional<std::string> provider;             // the provider's name; required to turn it on
  std::optional<std::string> break_glass_user_id;  // an Admin member; required to turn it on
};

struct SsoOnlyView {
  bool enabled = false;
  std::string provider, provider_display_name, start_url;  // empty when off
  std::optional<domain::User> break_glass;
  Timestamp updated_at = 0;
  int64_t sessions_ended = 0;  // Set only: sessions ended by turning it on
};

class SsoOnly : public Feature {
 public:
  // Installs itself as `auth`'s sign-in check.
  SsoOnly(Core& core, Auth& auth);

  Result<SsoOnlyView> Get(const authz::Principal& p, const RequestContext& ctx);  // team.read
  // Admin with a session (the route asks for step-up first); audited as orgs.sso_only.
  Result<SsoOnlyView> Set(const authz::Principal& p, const SsoOnlyInput& in, const RequestContext& ctx);

  // kSsoRequired when `method` is not allowed for `u`: a member of an SSO-only org who is not its
  // break-glass Admin may only use "sso:<that org's provider id>".
  Status CheckSignIn(store::Tx& tx, const domain::User& u, std::string_view method);

 private:
  Result<SsoOnlyView> View(store::Tx& tx, std::string_view org_id);
  std::string StartUrl(std::string_view provider_name) const;
  Auth& auth_;
};

}  // namespace wharf::services
