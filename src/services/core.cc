#include "services/core.h"

#include <algorithm>
#include <charconv>

#include "base/log.h"
#include "base/strings.h"

namespace wharf::services {

using domain::Action;
using domain::Collection;

Core::Core(Deps deps, Config config_in)
    : store(deps.store),
      envelope(deps.envelope),
      mailer(deps.mailer),
      clock(deps.clock),
      ids(deps.ids),
      cache(deps.cache),
      nodes(deps.nodes),
      config(std::move(config_in)),
      queue(deps.store, deps.clock, deps.ids,
            jobs::Config{.replica_id = config.replica_id,
                         .workers = config.job_workers,
                         .lease_ms = config.job_lease_ms,
                         .poll_ms = config.job_poll_ms,
                         .log_max_bytes = config.job_log_max_bytes}),
      outbound(config.max_outbound_per_org) {}

authz::Principal SystemActor(std::string org_id) {
  authz::Principal p;
  p.effective_bits = ~authz::PermissionBits{0};
  p.user_id = kSystemActor;
  p.user_email = kSystemActor;
  p.org_id = std::move(org_id);
  return p;
}

std::string EncodeCursor(Timestamp t, std::string_view id) {
  return Base64UrlEncode(std::to_string(t) + ":" + std::string(id));
}

Result<store::PageQuery> DecodeCursor(std::string_view cursor, int limit) {
  store::PageQuery q;
  q.limit = limit;
  if (cursor.empty()) return q;
  std::string raw;
  auto bad = [] { return FieldError("cursor", "is not a cursor this server issued; pass next_cursor from the previous page"); };
  if (cursor.size() > 200 || !Base64UrlDecode(cursor, &raw)) return bad();
  auto colon = raw.find(':');
  if (colon == std::string::npos) return bad();
  auto [ptr, ec] = std::from_chars(raw.data(), raw.data() + colon, q.after_created_at);
  if (ec != std::errc() || ptr != raw.data() + colon) return bad();
  q.after_id = raw.substr(colon + 1);
  if (q.after_id.empty() && q.after_created_at == 0) return bad();
  return q;
}

namespace {
thread_local bool t_in_write = false;
thread_local std::vector<domain::AuditEvent> t_pending_denied;
}  // namespace

Status Core::WriteTx(const std::function<Status(store::Tx&)>& fn) {
  t_in_write = true;
  Status st = store.Write(fn);
  t_in_write = false;
  if (!t_pending_denied.empty()) {
    std::vector<domain::AuditEvent> events;
    events.swap(t_pending_denied);
    auto wst = store.Write([&](store::Tx& tx) -> Status {
      for (auto& e : events) WHARF_TRY(tx.audit().Append(e));
      return Ok();
    });
    if (!wst) log::Error("audit_write_failed", {{"detail", wst.error().detail}});
  }
  return st;
}

void Core::NotifyNow(std::string_view org_id, notify::Event e) {
  if (!notifier) return;
  const std::string kind(notify::Info(e.kind).name);
  auto st = store.Write([&](store::Tx& tx) { return notifier->Emit(tx, org_id, std::move(e)); });
  if (!st) log::Warn("notification_emit_failed", {{"event", kind}, {"org_id", std::string(org_id)}, {"error", st.error().message}});
  else queue.Wake();
}

domain::AuditEvent Core::MakeAuditEvent(const authz::Principal& p, std::string action, std::string collection,
                                            std::string resource_id, std::string outcome, const RequestContext& ctx,
                                            std::string detail) const {
  domain::AuditEvent e;
  e.org_id = p.org_id;
  e.at = clock.Now();
  e.actor_id = p.user_id;
  e.actor_email = p.user_email;
  e.action = std::move(action);
  e.collection = std::move(collection);
  e.resource_id = std::move(resource_id);
  e.outcome = std::move(outcome);
  e.request_id = ctx.request_id;
  e.ip = ctx.ip;
  e.detail = std::move(detail);
  return e;
}

void Core::AuditDenied(const authz::Principal& p, std::string action, std::string collection,
                           std::string resource_id, std::string detail, const RequestContext& ctx) {
  domain::AuditEvent e = MakeAuditEvent(p, std::move(action), std::move(collection), std::move(resource_id), "denied",
                                        ctx, std::move(detail));
  if (t_in_write) {
    t_pending_denied.push_back(std::move(e));
    return;
  }
  auto st = store.Write([&](store::Tx& tx) -> Status { return tx.audit().Append(e).map([](int64_t) {}); });
  if (!st) log::Error("audit_write_failed", {{"request_id", ctx.request_id}, {"detail", st.error().detail}});
}

Status Core::AuditIn(store::Tx& tx, const authz::Principal& p, std::string action, std::string collection,
                         std::string resource_id, const RequestContext& ctx, std::string detail) {
  domain::AuditEvent e = MakeAuditEvent(p, std::move(action), std::move(collection), std::move(resource_id), "allowed",
                                        ctx, std::move(detail));
  return tx.audit().Append(e).map([](int64_t) {});
}

Status Core::Authorize(const authz::Principal& p, Collection c, Action a, const authz::Resource* r,
                           const RequestContext& ctx, std::string_view resource_id) {
  authz::Decision d = authz::Check(p, c, a, r);
  if (d.allowed()) return Ok();
  const std::string perm = domain::PermissionName(c, a);
  AuditDenied(p, perm, std::string(domain::CollectionName(c)), std::string(resource_id), authz::Explain(p, d), ctx);
  switch (d.outcome) {
    case authz::Outcome::kOutsideOwnScope:
      return Err(ErrorCode::kNotFound, "not found");
    case authz::Outcome::kOutsideResourceScope: {
      // The member holds the permission, but only for the applications (or servers) its role
      // lists: 403 naming it, for every scoped collection alike (docs/access-control.md).
      const std::string role = p.role ? p.role->role_name : "";
      const std::string what = c == Collection::kServers ? "servers" : "applications";
      const bool create = r == nullptr || (r->id.empty() && r->application_id.empty());
      auto e = Forbidden(perm, create ? "Your role '" + role + "' is restricted to named " + what +
                                            " (resource_scope), so it cannot " + std::string(domain::ActionName(a)) + " " +
                                            std::string(domain::CollectionName(c)) + " outside them. Ask an Admin."
                                      : "Your role '" + role + "' grants " + perm + " only for the " + what +
                                            " listed in its resource_scope, and this one is not among them. Ask an "
                                            "Admin to add it to the role.");
      e.value().details["reason"] = "resource_scope";
      e.value().details["role"] = role;
      return e;
    }
    case authz::Outcome::kTokenRestricted: {
      auto e = Forbidden(perm, "The API token used for this request does not carry " + perm +
                                   ". Use a token created with that permission, or sign in.");
      e.value().details["reason"] = "token_restricted";
      return e;
    }
    default: {
      const std::string role = p.role ? p.role->role_name : "";
      auto e = Forbidden(perm, "Your role '" + role + "' does not grant " + perm +
                                   ". Ask an Admin of this organisation to grant it.");
      e.value().details["role"] = role;
      e.value().details["explain"] = "/api/v1/orgs/" + p.org_slug + "/access/explain?collection=" +
                                     std::string(domain::CollectionName(c)) + "&action=" + std::string(domain::ActionName(a));
      return e;
    }
  }
}

Status Core::EnforceCreateLimit(const authz::Principal& p, Collection c, const std::function<Result<int64_t>()>& count,
                                    std::string_view noun) {
  const uint32_t limit = authz::CreateLimit(p, c);
  if (!limit) return Ok();
  WHARF_ASSIGN_OR_RETURN(int64_t used, count());
  if (used < limit) return Ok();
  auto e = Err(ErrorCode::kLimitReached,
               "Your role may create at most " + std::to_string(limit) + " " + std::string(noun) +
                   " in this organisation, and you have created " + std::to_string(used) +
                   ". Delete one, or ask an Admin to raise the limit.",
               Layer::kPermissions);
  e.value().details = {{"limit", limit}, {"used", used}, {"permission", domain::PermissionName(c, Action::kCreate)}};
  return e;
}

Status Core::AuthorizeRow(const authz::Principal& p, Collection c, Action a, const authz::Resource& r,
                              const RequestContext& ctx, std::string_view id, tl::unexpected<Error> (*not_found)()) {
  auto st = Authorize(p, c, a, &r, ctx, id);
  if (!st && st.error().code == ErrorCode::kNotFound) return not_found();
  return st;
}

Status Core::AuthorizeReference(store::Tx& tx, const authz::Principal& p, Collection c,
                                    std::string_view id, std::string_view field,
                                    const RequestContext& ctx) {
  // Copies of the row's fields: authz::Resource holds views into them.
  std::string created_by, application_id, server_id;
  bool found = false;
  std::string noun;
  switch (c) {
    case Collection::kSshKeys: {
      noun = "an SSH key";
      WHARF_ASSIGN_OR_RETURN(auto k, tx.ssh_keys().Find(p.org_id, id));
      if ((found = k.has_value())) created_by = k->created_by;
      break;
    }
    case Collection::kSecurityGroups: {
      noun = "a security group";
      WHARF_ASSIGN_OR_RETURN(auto g, tx.security_groups().Find(p.org_id, id));
      if ((found = g.has_value())) created_by = g->created_by;
      break;
    }
    case Collection::kServers: {
      noun = "a server";
      WHARF_ASSIGN_OR_RETURN(auto s, tx.servers().Find(p.org_id, id));
      if ((found = s.has_value())) created_by = s->created_by, server_id = s->id;
      break;
    }
    case Collection::kApplications: {
      noun = "an application";
      WHARF_ASSIGN_OR_RETURN(auto a, tx.applications().Find(p.org_id, id));
      if ((found = a.has_value())) created_by = a->created_by, server_id = a->server_id;
      break;
    }
    case Collection::kServices: {
      noun = "a service";
      WHARF_ASSIGN_OR_RETURN(auto s, tx.app_services().Find(p.org_id, id));
      if ((found = s.has_value())) created_by = s->created_by, application_id = s->application_id;
      break;
    }
    case Collection::kDockerRegistries:
    case Collection::kGitProviders:
    case Collection::kBackupStorage:
    case Collection::kCloudProviderAccounts: {
      noun = c == Collection::kDockerRegistries ? "a Docker registry"
             : c == Collection::kGitProviders   ? "a git provider"
             : c == Collection::kBackupStorage  ? "a backup storage"
                                                : "a cloud account";
      WHARF_ASSIGN_OR_RETURN(auto i,
                             tx.integrations().Find(p.org_id, domain::CollectionName(c), id));
      if ((found = i.has_value())) created_by = i->created_by;
      break;
    }
    default:
      return Internal("AuthorizeReference: no loader for " +
                      std::string(domain::CollectionName(c)));
  }
  auto hidden = [&] {
    const std::string perm = domain::PermissionName(c, Action::kRead);
    return FieldError(field, "is not " + noun + " of this organisation that you can use; pass the id "
                             "of one you can read (" + perm + ")");
  };
  if (!found) return hidden();
  const authz::Resource r{id, created_by, application_id, server_id};
  auto st = Authorize(p, c, Action::kRead, &r, ctx, id);
  if (!st && st.error().code == ErrorCode::kNotFound) return hidden();
  return st;
}

Status Core::RequireAdmin(const authz::Principal& p, std::string_view action, const RequestContext& ctx) {
  if (p.role && p.role->admin && !p.via_api_token) return Ok();
  if (p.role && p.role->admin && p.via_api_token && p.token_bits == ~authz::PermissionBits{0}) return Ok();
  AuditDenied(p, std::string(action), "org", p.org_id, "requires the Admin role", ctx);
  auto e = Forbidden("admin", "Only members with the Admin role can do this. Ask an Admin of this organisation.");
  return e;
}

Status Core::CheckNoEscalation(const authz::Principal& p, const domain::Role& role, std::string_view action,
                                   const RequestContext& ctx) {
  if (p.role && p.role->admin && !p.via_api_token) return Ok();
  if (role.builtin && !(p.role && p.role->admin)) {
    AuditDenied(p, std::string(action), "roles", role.id, "escalation: Admin role", ctx);
    auto e = Forbidden("admin", "Only an Admin can grant the Admin role.");
    e.value().details["reason"] = "escalation";
    return e;
  }
  domain::Permissions mine = authz::EffectivePermissions(p);
  if (auto missing = role.permissions.FirstNotCoveredBy(mine)) {
    std::string perm = *missing;
    auto paren = perm.find(' ');
    std::string bare = paren == std::string::npos ? perm : perm.substr(0, paren);
    AuditDenied(p, std::string(action), "roles", role.id, "escalation: " + perm, ctx);
    auto e = Forbidden(bare, "You cannot grant " + perm + " because your own role does not hold it. "
                             "Only permissions you hold yourself can be granted; ask an Admin.");
    e.value().details["reason"] = "escalation";
    return e;
  }
  // A role restricted to some applications/servers may not hand out wider reach.
  if (p.role && !p.role->resource_scope.empty()) {
    auto within = [](const std::vector<std::string>& mine, const std::vector<std::string>& theirs) {
      if (mine.empty()) return true;
      if (theirs.empty()) return false;
      for (auto& id : theirs)
        if (!std::binary_search(mine.begin(), mine.end(), id)) return false;
      return true;
    };
    const auto& ms = p.role->resource_scope;
    if (!within(ms.applications, role.resource_scope.applications) || !within(ms.servers, role.resource_scope.servers)) {
      AuditDenied(p, std::string(action), "roles", role.id, "escalation: resource_scope", ctx);
      auto e = Forbidden("roles.resource_scope",
                         "You cannot grant access beyond your own resource_scope. Ask an Admin.");
      e.value().details["reason"] = "escalation";
      return e;
    }
  }
  return Ok();
}

Result<int64_t> Core::SeatsUsed(store::Tx& tx, std::string_view org_id) {
  WHARF_ASSIGN_OR_RETURN(int64_t members, tx.memberships().CountForOrg(org_id));
  WHARF_ASSIGN_OR_RETURN(int64_t pending, tx.invitations().CountPending(org_id, clock.Now()));
  return members + pending;
}

Status Core::AuthorizeScoped(const authz::Principal& p, Collection c, Action a, const authz::Resource& r,
                                 const RequestContext& ctx, std::string_view id, tl::unexpected<Error> (*not_found)()) {
  // Authorize answers 403 reason resource_scope outside the role's scope for every scoped
  // collection (servers too); read_scope "own" stays the row's 404.
  return AuthorizeRow(p, c, a, r, ctx, id, not_found);
}

Status Core::RequirePermission(const authz::Principal& p, Collection c, Action a, const RequestContext& ctx,
                                   std::string_view id) {
  if (p.effective_bits & authz::Bit(c, a)) return Ok();
  return Authorize(p, c, a, nullptr, ctx, id);
}

}  // namespace wharf::services
