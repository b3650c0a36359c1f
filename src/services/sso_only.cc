// SSO-only organisations (sso_only.h).
#include "services/sso_only.h"

#include <algorithm>
#include <set>

#include "base/log.h"
#include "base/strings.h"

namespace wharf::services {

SsoOnly::SsoOnly(Core& core, Auth& auth) : Feature(core), auth_(auth) {
  auth_.SetSignInCheck([this](store::Tx& tx, const domain::User& u, std::string_view method) {
    return CheckSignIn(tx, u, method);
  });
}

std::string SsoOnly::StartUrl(std::string_view provider_name) const {
  return config_.public_url + "/api/v1/auth/sso/" + std::string(provider_name) + "/start";
}

Result<SsoOnlyView> SsoOnly::View(store::Tx& tx, std::string_view org_id) {
  SsoOnlyView v;
  WHARF_ASSIGN_OR_RETURN(auto row, tx.sso().FindSsoOnly(org_id));
  if (!row) return v;
  v.enabled = true;
  v.updated_at = row->updated_at;
  WHARF_ASSIGN_OR_RETURN(auto idp, tx.sso().FindProvider(row->provider_id));
  if (idp) {
    v.provider = idp->name;
    v.provider_display_name = idp->display_name;
    v.start_url = StartUrl(idp->name);
  }
  WHARF_ASSIGN_OR_RETURN(auto bg, tx.users().FindById(row->break_glass_user_id));
  if (bg) {
    bg->password_hash.clear();
    v.break_glass = std::move(*bg);
  }
  return v;
}

Result<SsoOnlyView> SsoOnly::Get(const authz::Principal& p, const RequestContext& ctx) {
  WHARF_TRY(RequirePermission(p, domain::Collection::kTeam, domain::Action::kRead, ctx));
  SsoOnlyView v;
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(v, View(tx, p.org_id));
    return Ok();
  }));
  return v;
}

Result<SsoOnlyView> SsoOnly::Set(const authz::Principal& p, const SsoOnlyInput& in, const RequestContext& ctx) {
  if (p.via_api_token) {
    AuditDenied(p, "orgs.sso_only", "orgs", p.org_id, "API token", ctx);
    return Forbidden("admin", "Only an Admin signed in with a session (not an API token) changes how members sign in.");
  }
  WHARF_TRY(RequireAdmin(p, "orgs.sso_only", ctx));
  SsoOnlyView v;
  std::set<std::string> signed_out;  // users whose sessions ended
  WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
    if (!in.enabled) {
      WHARF_ASSIGN_OR_RETURN(bool was, tx.sso().DeleteSsoOnly(p.org_id));
      if (was) WHARF_TRY(AuditIn(tx, p, "orgs.sso_only", "orgs", p.org_id, ctx, "turned off"));
      WHARF_ASSIGN_OR_RETURN(v, View(tx, p.org_id));
      return Ok();
    }
    if (!in.provider || in.provider->empty())
      return FieldError("provider", "name the identity provider members must sign in with");
    if (!in.break_glass_user_id || in.break_glass_user_id->empty())
      return FieldError("break_glass_user_id", "name an Admin member who may still sign in with a password when "
                                               "the provider is down");
    WHARF_ASSIGN_OR_RETURN(auto idp, tx.sso().FindProviderByName(*in.provider));
    if (!idp) return FieldError("provider", "names no identity provider of this instance");
    WHARF_ASSIGN_OR_RETURN(auto m, tx.memberships().Find(p.org_id, *in.break_glass_user_id));
    std::optional<domain::Role> role;
    if (m) {
      WHARF_ASSIGN_OR_RETURN(role, tx.roles().Find(p.org_id, m->role_id));
    }
    if (!role || !role->builtin)
      return FieldError("break_glass_user_id", "must be a member of this organisation with the Admin role");
    WHARF_ASSIGN_OR_RETURN(auto bg, tx.users().FindById(*in.break_glass_user_id));
    if (!bg) return FieldError("break_glass_user_id", "names no account");
    WHARF_TRY(tx.sso().PutSsoOnly({p.org_id, idp->id, bg->id, clock_.Now(), p.user_id}));
    // Members' sessions not opened through the provider end now: they sign in again through it.
    store::PageQuery page;
    page.limit = 10'000;
    WHARF_ASSIGN_OR_RETURN(auto members, tx.memberships().ListForOrg(p.org_id, page));
    for (auto& mem : members) {
      if (mem.user.id == bg->id) continue;
      WHARF_ASSIGN_OR_RETURN(auto sessions, tx.sessions().ListActiveForUser(mem.user.id, clock_.Now()));
      for (auto& s : sessions) {
        WHARF_ASSIGN_OR_RETURN(auto via, tx.sso().SsoSessionProvider(s.id));
        if (via && *via == idp->id) continue;
        WHARF_TRY(tx.sessions().Revoke(s.id, clock_.Now()));
        signed_out.insert(mem.user.id);
        ++v.sessions_ended;
      }
    }
    const int64_t ended = v.sessions_ended;
    WHARF_TRY(AuditIn(tx, p, "orgs.sso_only", "orgs", p.org_id, ctx,
                      "turned on: sign-in through " + idp->name + " only, break-glass Admin " + bg->email + "; " +
                          std::to_string(ended) + " other sessions ended"));
    WHARF_ASSIGN_OR_RETURN(v, View(tx, p.org_id));
    v.sessions_ended = ended;
    return Ok();
  }));
  for (auto& uid : signed_out) auth_.DropCached("user:" + uid);
  log::Info("org_sso_only", {{"request_id", ctx.request_id}, {"org_id", p.org_id}, {"enabled", v.enabled},
                             {"sessions_ended", v.sessions_ended}});
  return v;
}

Status SsoOnly::CheckSignIn(store::Tx& tx, const domain::User& u, std::string_view method) {
  WHARF_ASSIGN_OR_RETURN(auto rows, tx.sso().SsoOnlyForMember(u.id));
  for (auto& row : rows) {
    if (row.break_glass_user_id == u.id || method == "sso:" + row.provider_id) continue;
    WHARF_ASSIGN_OR_RETURN(auto org, tx.orgs().FindById(row.org_id));
    WHARF_ASSIGN_OR_RETURN(auto idp, tx.sso().FindProvider(row.provider_id));
    const std::string org_name = org ? org->name + " (" + org->slug + ")" : row.org_id;
    const std::string idp_name = idp ? idp->display_name : std::string("its identity provider");
    const std::string start = idp ? StartUrl(idp->name) : std::string();
    const std::string instead = method == "passkey"           ? "a passkey"
                                : StartsWith(method, "sso:") ? "another identity provider"
                                                             : "a password";
    auto e = Err(ErrorCode::kSsoRequired, "The organisation " + org_name + " allows sign-in only through " + idp_name +
                                              ", not with " + instead + ". Sign in with " + idp_name +
                                              (start.empty() ? "" : " (" + start + ")") + ".");
    e.value().details = {{"org", org ? org->slug : row.org_id}, {"provider", idp ? idp->name : std::string()},
                         {"start_url", start}};
    return e;
  }
  return Ok();
}

}  // namespace wharf::services
