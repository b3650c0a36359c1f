// Organisations: create (within max_orgs_per_user), read, rename, transfer, seat limits (Auth, auth.h).
#include <algorithm>

#include "base/log.h"
#include "base/strings.h"
#include "domain/validate.h"
#include "secrets/crypto.h"
#include "services/auth.h"

namespace wharf::services {

using domain::Action;
using domain::Collection;


// --- orgs ---

Result<int64_t> Auth::OrgsOwnedBy(store::Tx& tx, std::string_view user_id) {
  WHARF_ASSIGN_OR_RETURN(auto ms, tx.memberships().ListForUser(user_id));
  int64_t owned = 0;
  for (auto& m : ms) {
    WHARF_ASSIGN_OR_RETURN(auto org, tx.orgs().FindById(m.org_id));
    owned += org && org->owner_id == user_id;
  }
  return owned;
}

Result<OrgView> Auth::CreateOrg(const Authenticated& who, std::string_view name_in, std::optional<std::string> slug,
                                    const RequestContext& ctx) {
  if (who.api_token) return Forbidden("orgs.create", "API tokens are scoped to one organisation and cannot create organisations.");
  if (!who.user.email_verified) {
    auto e = Err(ErrorCode::kForbidden, "Verify your email address first: open the link sent to " + who.user.email +
                                            " (or ask for a new one on the Account page).");
    e.value().details = {{"reason", "email_unverified"}};
    return e;
  }
  WHARF_ASSIGN_OR_RETURN(std::string name, domain::ValidateName(name_in, "name"));
  if (slug) WHARF_TRY(domain::ValidateSlug(*slug, "slug"));
  OrgView v;
  WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
    if (config_.max_orgs_per_user > 0) {
      WHARF_ASSIGN_OR_RETURN(int64_t used, OrgsOwnedBy(tx, who.user.id));
      if (used >= config_.max_orgs_per_user)
        return QuotaReached(config_.max_orgs_per_user, used,
                            "You already own " + std::to_string(used) + " organisations, the most this instance "
                            "allows. Transfer or delete one, or ask the instance administrator to raise "
                            "--max-orgs-per-user.");
    }
    if (slug) {
      WHARF_ASSIGN_OR_RETURN(auto existing, tx.orgs().FindBySlug(*slug));
      if (existing) return Err(ErrorCode::kConflict, "The slug '" + *slug + "' is already taken. Choose another.");
    }
    WHARF_ASSIGN_OR_RETURN(v.org, CreateOrgIn(tx, who.user, name, slug));
    v.seats_used = 1;
    authz::Principal p;
    p.user_id = who.user.id;
    p.user_email = who.user.email;
    p.org_id = v.org.id;
    return AuditIn(tx, p, "orgs.create", "orgs", v.org.id, ctx);
  }));
  return v;
}

Result<OrgView> Auth::GetOrg(const authz::Principal& p) {
  OrgView v;
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto org, tx.orgs().FindById(p.org_id));
    if (!org) return Err(ErrorCode::kNotFound, "Organisation not found.");
    v.org = *org;
    WHARF_ASSIGN_OR_RETURN(v.seats_used, SeatsUsed(tx, p.org_id));
    return Ok();
  }));
  return v;
}

Result<OrgView> Auth::RenameOrg(const authz::Principal& p, std::string_view name_in, const RequestContext& ctx) {
  WHARF_TRY(RequireAdmin(p, "orgs.update", ctx));
  WHARF_ASSIGN_OR_RETURN(std::string name, domain::ValidateName(name_in, "name"));
  OrgView v;
  WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto org, tx.orgs().FindById(p.org_id));
    if (!org) return Err(ErrorCode::kNotFound, "Organisation not found.");
    org->name = name;
    org->updated_at = clock_.Now();
    WHARF_TRY(tx.orgs().Update(*org));
    ForgetOrg(org->slug);
    v.org = *org;
    WHARF_ASSIGN_OR_RETURN(v.seats_used, SeatsUsed(tx, p.org_id));
    return AuditIn(tx, p, "orgs.update", "orgs", org->id, ctx);
  }));
  ForgetOrg(v.org.slug);  // again after commit: a reader may have cached the old row meanwhile
  return v;
}

Result<OrgView> Auth::TransferOwnership(const authz::Principal& p, std::string_view user_id,
                                            const RequestContext& ctx) {
  if (!p.owner || p.via_api_token) {
    AuditDenied(p, "orgs.transfer_ownership", "orgs", p.org_id, "only the owner may transfer ownership", ctx);
    return Forbidden("owner", "Only the owner of this organisation can transfer its ownership.");
  }
  OrgView v;
  WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto m, tx.memberships().Find(p.org_id, user_id));
    if (!m) return FieldError("user_id", "is not a member of this organisation");
    WHARF_ASSIGN_OR_RETURN(auto role, tx.roles().Find(p.org_id, m->role_id));
    if (!role || !role->builtin)
      return Err(ErrorCode::kConflict, "The new owner must hold the Admin role. Change their role to Admin first.");
    WHARF_ASSIGN_OR_RETURN(auto org, tx.orgs().FindById(p.org_id));
    if (!org) return Err(ErrorCode::kNotFound, "Organisation not found.");
    org->owner_id = std::string(user_id);
    org->updated_at = clock_.Now();
    WHARF_TRY(tx.orgs().Update(*org));
    ForgetOrg(org->slug);
    v.org = *org;
    WHARF_ASSIGN_OR_RETURN(v.seats_used, SeatsUsed(tx, p.org_id));
    return AuditIn(tx, p, "orgs.transfer_ownership", "orgs", org->id, ctx, "new owner " + std::string(user_id));
  }));
  cache_.Bump(p.org_id);
  ForgetOrg(v.org.slug);  // again after commit: a reader may have cached the old row meanwhile
  return v;
}

Result<OrgView> Auth::SetSeatLimit(const Authenticated& who, std::string_view org_slug, int64_t seat_limit,
                                       const RequestContext& ctx) {
  if (!who.user.instance_admin || who.api_token)
    return Forbidden("instance_admin", "Only the instance administrator can change seat limits.");
  if (seat_limit < 0 || seat_limit > 1'000'000) return FieldError("seat_limit", "must be from 0 (unlimited) to 1000000");
  OrgView v;
  WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto org, tx.orgs().FindBySlug(org_slug));
    if (!org) return Err(ErrorCode::kNotFound, "Organisation not found.");
    org->seat_limit = seat_limit;
    org->updated_at = clock_.Now();
    WHARF_TRY(tx.orgs().Update(*org));
    ForgetOrg(org->slug);
    v.org = *org;
    WHARF_ASSIGN_OR_RETURN(v.seats_used, SeatsUsed(tx, org->id));
    authz::Principal p;
    p.user_id = who.user.id;
    p.user_email = who.user.email;
    p.org_id = org->id;
    return AuditIn(tx, p, "orgs.seat_limit", "orgs", org->id, ctx, "seat_limit=" + std::to_string(seat_limit));
  }));
  ForgetOrg(v.org.slug);  // again after commit: a reader may have cached the old row meanwhile
  return v;
}


}  // namespace wharf::services
