// The members of an organisation and its invitations: list, change a member's role, remove; invite
// (with an email when SMTP is configured), copy the link, resend, revoke, peek at and accept an
// invitation; and the org's audit log.
//
//   auto inv = svc.team().Invite(p, "bob@example.test", role_id, /*send_email=*/true, ctx);
//   auto members = svc.team().ListMembers(p, 50, "", ctx);
//
// Thread-safety: every method is safe to call concurrently; state lives in the store (and
// in members that synchronize themselves).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "services/core.h"
#include "services/rate_limiter.h"

namespace wharf::services {

struct MemberView {
  domain::User user;
  domain::Role role;
  bool owner = false;
  Timestamp joined_at = 0;
};

struct InvitationView {
  domain::Invitation invitation;
  domain::Role role;
  std::string link;  // only when freshly minted (create / copy link / resend)
};

struct PublicInvitation {
  domain::Org org;
  std::string role_name;
  std::string email;
  Timestamp expires_at = 0;
};

class Team : public Feature {
 public:
  explicit Team(Core& core);

  Result<Page<MemberView>> ListMembers(const authz::Principal& p, int limit, std::string_view cursor,
                                       const RequestContext& ctx);
  Result<MemberView> ChangeMemberRole(const authz::Principal& p, std::string_view user_id, std::string_view role_id,
                                      const RequestContext& ctx);
  Status RemoveMember(const authz::Principal& p, std::string_view user_id, const RequestContext& ctx);
  Result<InvitationView> Invite(const authz::Principal& p, std::string_view email, std::string_view role_id,
                                bool send_email, const RequestContext& ctx);
  Result<Page<InvitationView>> ListInvitations(const authz::Principal& p, int limit, std::string_view cursor,
                                               const RequestContext& ctx);
  Result<InvitationView> CopyInvitationLink(const authz::Principal& p, std::string_view id, const RequestContext& ctx);
  Result<InvitationView> ResendInvitation(const authz::Principal& p, std::string_view id, const RequestContext& ctx);
  Status RevokeInvitation(const authz::Principal& p, std::string_view id, const RequestContext& ctx);
  Result<PublicInvitation> PeekInvitation(std::string_view token);
  Result<std::pair<domain::Org, domain::Role>> AcceptInvitation(const Authenticated& who, std::string_view token,
                                                                const RequestContext& ctx);
  Result<Page<domain::AuditEvent>> ListAudit(const authz::Principal& p, int limit, std::string_view cursor,
                                             const RequestContext& ctx);
  Result<domain::Invitation> ValidateInvitationToken(store::Tx& tx, std::string_view token);

 private:
  // A pending, unexpired invitation of p's org; 404 when absent, 409 when used, revoked or expired.
  Result<domain::Invitation> FindPendingInvitation(store::Tx& tx, const authz::Principal& p, std::string_view id);
  std::string InvitationLink(const SecretBytes& token) const;
  // "Name <email>" of the inviter for the invitation email, the name made mail-safe.
  Result<std::string> InviterLine(store::Tx& tx, const authz::Principal& p);
  // Mints a fresh token for `inv` (rotating any earlier one) and stores its hash.
  Result<SecretBytes> RotateInvitationToken(store::Tx& tx, domain::Invitation& inv);
  void SendInvitationEmail(domain::Invitation& inv, const domain::Org& org, const domain::Role& role,
                           const std::string& link, const std::string& inviter);
  // 429 when `p`'s organisation or `p` itself sent too many invitations in the last hour;
  // otherwise counts one more.
  Status ThrottleInvitations(const authz::Principal& p);
  RateLimiter invitations_per_org_;   // invitations and resends, per organisation
  RateLimiter invitations_per_user_;  // invitations and resends, per inviter
};

}  // namespace wharf::services
