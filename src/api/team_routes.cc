// Roles, members, invitations and the audit log of an org.
#include "api/routes.h"

#include "api/body.h"
#include "api/schema.h"
#include "base/strings.h"

namespace wharf::api {

namespace {

json RoleJson(const services::RoleView& v) {
  const auto& r = v.role;
  json members = json::array();
  for (auto& u : v.members) members.push_back(UserBrief(u));
  return {{"id", r.id}, {"name", r.name}, {"description", r.description}, {"builtin", r.builtin},
          {"permissions", domain::PermissionsToJson(r.builtin ? domain::Permissions::All() : r.permissions)},
          {"resource_scope", domain::ResourceScopeToJson(r.resource_scope)},
          {"member_count", v.members.size()}, {"members", members}, {"created_at", Time(r.created_at)},
          {"updated_at", Time(r.updated_at)}, {"created_by", r.created_by}};
}

json MemberJson(const services::MemberView& m) {
  return {{"user", UserBrief(m.user)}, {"role", {{"id", m.role.id}, {"name", m.role.name}, {"builtin", m.role.builtin}}},
          {"owner", m.owner}, {"joined_at", Time(m.joined_at)}};
}

json InvitationJson(const services::InvitationView& v) {
  const auto& i = v.invitation;
  json out = {{"id", i.id}, {"email", i.email}, {"role", {{"id", v.role.id}, {"name", v.role.name}}},
              {"status", domain::InvitationStatusName(i.status)}, {"expires_at", Time(i.expires_at)},
              {"email_status", i.email_status}, {"created_at", Time(i.created_at)},
              {"updated_at", Time(i.updated_at)}, {"created_by", i.created_by}};
  if (!i.email_error.empty()) out["email_error"] = i.email_error;
  if (!v.link.empty()) out["link"] = v.link;
  return out;
}

json AuditJson(const domain::AuditEvent& e) {
  return {{"id", std::to_string(e.id)}, {"at", Time(e.at)}, {"actor", {{"id", e.actor_id}, {"email", e.actor_email}}},
          {"action", e.action}, {"collection", e.collection}, {"resource_id", e.resource_id},
          {"outcome", e.outcome}, {"request_id", e.request_id}, {"ip", e.ip}, {"detail", e.detail}};
}

}  // namespace

void AddTeamRoutes(Router& rt) {
  using A = AuthMode;
  auto& s = rt.svc();
  {
    using namespace oas;
    rt.AddSchema("Role", Object({{"id", String()}, {"name", String()}, {"description", String()}, {"builtin", Boolean()},
                                 {"permissions", Ref("Permissions")}, {"resource_scope", Nullable(Ref("ResourceScope"))},
                                 {"member_count", Integer()}, {"members", Array(Ref("UserBrief"))}, {"created_at", Time()},
                                 {"updated_at", Time()}, {"created_by", String()}}));
    rt.AddSchema("Member", Object({{"user", Ref("UserBrief")}, {"role", Ref("RoleBrief")}, {"owner", Boolean()},
                                   {"joined_at", Time()}}));
    rt.AddSchema("Invitation", Object({{"id", String()}, {"email", String()},
                                       {"role", Object({{"id", String()}, {"name", String()}})},
                                       {"status", String()}, {"expires_at", Time()}, {"email_status", String()},
                                       {"created_at", Time()}, {"updated_at", Time()}, {"created_by", String()},
                                       {"email_error", String()}, {"link", String("Only when just minted")}},
                                      {"email_error", "link"}));
  }
  const Fields role_fields = {
      Str("name", 200).Example("Deployer"), Str("description", 1000),
      Any("permissions", Ref("PermissionsInput")).Desc("Required on create; no more than the caller holds"),
      Any("resource_scope", oas::Nullable(oas::Object({{"applications", oas::Array(oas::String())},
                                                       {"servers", oas::Array(oas::String())}},
                                                      {"applications", "servers"})))
          .Desc("Limit the role to these applications and servers")};
  const Fields member_fields = {Str("role_id", 64).Req()};
  const Fields invite_fields = {Str("email", 254).Req().Format("email").Example("grace@example.com"),
                                Str("role_id", 64).Req(), Bool("send_email").Desc("Default true")};
  // --- roles ---
  auto parse_role = [](const Body& b, bool creating) -> Result<services::RoleInput> {
    services::RoleInput in;
    in.name = b.Keep(b.OptString("name"));
    in.description = b.Keep(b.OptString("description"));
    if (in.name) b.KeepStatus(domain::ValidateName(*in.name, "name", 64).map([](auto&&) {}));
    if (in.description && !Trim(*in.description).empty())
      b.KeepStatus(domain::ValidateName(*in.description, "description", 500).map([](auto&&) {}));
    if (creating && !in.name) b.KeepStatus(FieldError("name", "is required"));
    if (creating && !b.Has("permissions"))
      b.KeepStatus(FieldError("permissions", "is required (an object keyed by collection name)"));
    if (b.Has("permissions")) in.permissions = b.Keep(domain::ParsePermissions(b.Raw("permissions"), "permissions"));
    if (b.Has("resource_scope"))
      in.resource_scope = b.Keep(domain::ParseResourceScope(b.Raw("resource_scope"), "resource_scope"));
    WHARF_TRY(b.Check());
    return in;
  };
  rt.Add("GET", "/api/v1/orgs/{org}/roles", A::kOrg, "roles", "List roles with members and member counts (roles.read)",
      {200, 401, 403, 404}, [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto roles, s.roles().ListRoles(c.p(), c.ctx));
        json items = json::array();
        for (auto& r : roles) items.push_back(RoleJson(r));
        return Json(200, {{"items", items}, {"next_cursor", nullptr}});
      },
      oas::Object({{"items", oas::Array(Ref("Role"))}, {"next_cursor", oas::Nullable(oas::String("Always null: one page"))}}));
  rt.Add("POST", "/api/v1/orgs/{org}/roles", A::kOrg, "roles", "Create a custom role (roles.create; no escalation)",
      {201, 400, 401, 403, 404, 409}, [&s, parse_role, role_fields](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::ParseAll(c.req, role_fields));
        WHARF_ASSIGN_OR_RETURN(auto in, parse_role(b, true));
        WHARF_ASSIGN_OR_RETURN(auto v, s.roles().CreateRole(c.p(), std::move(in), c.ctx));
        return Json(201, RoleJson(v));
      },
      Ref("Role"))
      .Request(role_fields);
  rt.Add("GET", "/api/v1/orgs/{org}/roles/{id}", A::kOrg, "roles", "A role (roles.read)", {200, 401, 403, 404},
      [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto v, s.roles().GetRole(c.p(), c.params[1], c.ctx));
        return Json(200, RoleJson(v));
      },
      Ref("Role"));
  rt.Add("PATCH", "/api/v1/orgs/{org}/roles/{id}", A::kOrg, "roles", "Change a custom role (roles.update; step-up)",
      {200, 400, 401, 403, 404, 409}, [&s, parse_role, role_fields](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::ParseAll(c.req, role_fields));
        WHARF_ASSIGN_OR_RETURN(auto in, parse_role(b, false));
        WHARF_TRY(s.second_factor().RequireStepUp(*c.who, "roles.update", c.ctx));
        WHARF_ASSIGN_OR_RETURN(auto v, s.roles().UpdateRole(c.p(), c.params[1], std::move(in), c.ctx));
        return Json(200, RoleJson(v));
      },
      Ref("Role"))
      .Request(role_fields);
  rt.Add("DELETE", "/api/v1/orgs/{org}/roles/{id}", A::kOrg, "roles",
      "Delete a custom role (roles.delete); ?reassign_to=<role id> moves its members", {204, 400, 401, 403, 404, 409},
      [&s](Call& c) -> Result<HttpResponse> {
        bool present = false;
        std::string to = c.req.Query("reassign_to", &present);
        WHARF_TRY(s.roles().DeleteRole(c.p(), c.params[1], present ? std::optional<std::string>(to) : std::nullopt, c.ctx));
        return NoContent();
      })
      .Query("reassign_to", oas::String(), "A role id to move the role's members to");

  // --- members ---
  rt.Add("GET", "/api/v1/orgs/{org}/members", A::kOrg, "members", "List members (team.read)", {200, 400, 401, 403, 404},
      [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(int limit, LimitParam(c.req));
        WHARF_ASSIGN_OR_RETURN(auto page, s.team().ListMembers(c.p(), limit, c.req.Query("cursor"), c.ctx));
        return Json(200, ListJson(page, MemberJson));
      },
      ListOf("Member"));
  rt.Add("PATCH", "/api/v1/orgs/{org}/members/{user_id}", A::kOrg, "members", "Change a member's role (team.update; step-up)",
      {200, 400, 401, 403, 404, 409}, [&s, member_fields](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req, member_fields));
        WHARF_ASSIGN_OR_RETURN(std::string role_id, b.String("role_id"));
        WHARF_TRY(s.second_factor().RequireStepUp(*c.who, "team.update", c.ctx));
        WHARF_ASSIGN_OR_RETURN(auto v, s.team().ChangeMemberRole(c.p(), c.params[1], role_id, c.ctx));
        return Json(200, MemberJson(v));
      },
      Ref("Member"))
      .Request(member_fields);
  rt.Add("DELETE", "/api/v1/orgs/{org}/members/{user_id}", A::kOrg, "members",
      "Remove a member (team.delete), or leave (your own id)", {204, 401, 403, 404, 409},
      [&s](Call& c) -> Result<HttpResponse> {
        WHARF_TRY(s.team().RemoveMember(c.p(), c.params[1], c.ctx));
        return NoContent();
      });
  rt.Add("POST", "/api/v1/orgs/{org}/leave", A::kOrg, "members",
      "Leave the org (409 for its owner or its last Admin)", {204, 401, 404, 409},
      [&s](Call& c) -> Result<HttpResponse> {
        WHARF_TRY(s.team().RemoveMember(c.p(), c.p().user_id, c.ctx));
        return NoContent();
      });

  // --- invitations ---
  rt.Add("POST", "/api/v1/orgs/{org}/invitations", A::kOrg, "invitations", "Invite by email (team.update)",
      {201, 400, 401, 403, 404, 409, 429}, [&s, invite_fields](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req, invite_fields));
        WHARF_ASSIGN_OR_RETURN(std::string email, b.String("email"));
        WHARF_ASSIGN_OR_RETURN(std::string role_id, b.String("role_id"));
        WHARF_ASSIGN_OR_RETURN(auto send, b.OptBool("send_email"));
        WHARF_ASSIGN_OR_RETURN(auto v, s.team().Invite(c.p(), email, role_id, send.value_or(true), c.ctx));
        return Json(201, InvitationJson(v));
      },
      Ref("Invitation"))
      .Request(invite_fields);
  rt.Add("GET", "/api/v1/orgs/{org}/invitations", A::kOrg, "invitations", "Pending invitations, never a token (team.read)",
      {200, 400, 401, 403, 404}, [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(int limit, LimitParam(c.req));
        WHARF_ASSIGN_OR_RETURN(auto page, s.team().ListInvitations(c.p(), limit, c.req.Query("cursor"), c.ctx));
        return Json(200, ListJson(page, InvitationJson));
      },
      ListOf("Invitation"));
  rt.Add("POST", "/api/v1/orgs/{org}/invitations/{id}/link", A::kOrg, "invitations",
      "Copy invitation link: mints a fresh link; earlier links stop working (team.update)",
      {200, 401, 403, 404, 409}, [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto v, s.team().CopyInvitationLink(c.p(), c.params[1], c.ctx));
        return Json(200, {{"link", v.link}, {"expires_at", Time(v.invitation.expires_at)}});
      },
      oas::Object({{"link", oas::String()}, {"expires_at", oas::Time()}}));
  rt.Add("POST", "/api/v1/orgs/{org}/invitations/{id}/resend", A::kOrg, "invitations",
      "Email the invitation again with a fresh link (team.update)", {200, 401, 403, 404, 409, 429},
      [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto v, s.team().ResendInvitation(c.p(), c.params[1], c.ctx));
        json out = {{"email_status", v.invitation.email_status}};
        if (!v.invitation.email_error.empty()) out["email_error"] = v.invitation.email_error;
        return Json(200, out);
      },
      oas::Object({{"email_status", oas::String()}, {"email_error", oas::String()}}, {"email_error"}));
  rt.Add("DELETE", "/api/v1/orgs/{org}/invitations/{id}", A::kOrg, "invitations", "Revoke an invitation (team.update)",
      {204, 401, 403, 404, 409}, [&s](Call& c) -> Result<HttpResponse> {
        WHARF_TRY(s.team().RevokeInvitation(c.p(), c.params[1], c.ctx));
        return NoContent();
      });
  rt.Add("GET", "/api/v1/invitations/{token}", A::kNone, "invitations", "What an invitation is for; does not consume it",
      {200, 410}, [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto v, s.team().PeekInvitation(c.params[0]));
        return Json(200, {{"org", {{"slug", v.org.slug}, {"name", v.org.name}}}, {"role", {{"name", v.role_name}}},
                          {"email", v.email}, {"expires_at", Time(v.expires_at)}});
      },
      oas::Object({{"org", oas::Object({{"slug", oas::String()}, {"name", oas::String()}})},
                   {"role", oas::Object({{"name", oas::String()}})}, {"email", oas::String()}, {"expires_at", oas::Time()}}));
  rt.Add("POST", "/api/v1/invitations/{token}/accept", A::kUser, "invitations",
      "Accept, signed in as the invited email", {200, 401, 403, 409, 410}, [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto v, s.team().AcceptInvitation(*c.who, c.params[0], c.ctx));
        return Json(200, {{"org", {{"slug", v.first.slug}, {"name", v.first.name}}},
                          {"role", {{"id", v.second.id}, {"name", v.second.name}}}});
      },
      oas::Object({{"org", oas::Object({{"slug", oas::String()}, {"name", oas::String()}})},
                   {"role", oas::Object({{"id", oas::String()}, {"name", oas::String()}})}}));

}

void AddAuditRoutes(Router& rt) {
  using A = AuthMode;
  auto& s = rt.svc();
  {
    using namespace oas;
    rt.AddSchema("AuditEvent", Object({{"id", String()}, {"at", Time()},
                                       {"actor", Object({{"id", String()}, {"email", String()}})},
                                       {"action", String()}, {"collection", String()}, {"resource_id", String()},
                                       {"outcome", String()}, {"request_id", String()}, {"ip", String()},
                                       {"detail", AnyValue()}}));
  }
  // --- audit ---
  rt.Add("GET", "/api/v1/orgs/{org}/audit", A::kOrg, "audit", "Audit events, newest first (Admin)",
      {200, 400, 401, 403, 404}, [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(int limit, LimitParam(c.req));
        WHARF_ASSIGN_OR_RETURN(auto page, s.team().ListAudit(c.p(), limit, c.req.Query("cursor"), c.ctx));
        return Json(200, ListJson(page, AuditJson));
      },
      ListOf("AuditEvent"));
}

}  // namespace wharf::api
