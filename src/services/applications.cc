// Applications and the legacy /projects view of the same rows: {name, description, server_id}.
// The collection the caller came through (applications or projects) is the one authorized, so a
// role with only `projects` reaches the rows through /projects only (docs/applications.md).
// Pattern as SSH keys: authorize (with the row as Resource) → validate → one transaction → audit.
#include <algorithm>

#include "base/strings.h"
#include "services/app_model.h"
#include "services/applications.h"

namespace wharf::services {

using domain::Action;
using domain::Collection;

namespace {
tl::unexpected<Error> AppNotFound() { return Err(ErrorCode::kNotFound, "Application not found in this organisation."); }
authz::Resource AsResource(const domain::Application& a) { return authz::Resource{a.id, a.created_by, {}, a.server_id}; }
std::string Noun(Collection c) { return c == Collection::kProjects ? "projects" : "applications"; }
}  // namespace

Result<Page<domain::Application>> Applications::ListApplications(const authz::Principal& p, Collection c, int limit,
                                                             std::string_view cursor, const RequestContext& ctx) {
  WHARF_TRY(Authorize(p, c, Action::kRead, nullptr, ctx));
  WHARF_ASSIGN_OR_RETURN(store::PageQuery q, DecodeCursor(cursor, limit));
  if (authz::ReadsOwnOnly(p, c)) q.created_by = p.user_id;
  Page<domain::Application> page;
  // resource_scope filters rows after the query, so keep reading pages until this one is full.
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    for (;;) {
      WHARF_ASSIGN_OR_RETURN(auto rows, tx.applications().List(p.org_id, q));
      const bool more = static_cast<int>(rows.size()) > limit;
      if (more) rows.resize(limit);
      for (auto& a : rows) {
        auto r = AsResource(a);
        if (authz::Check(p, c, Action::kRead, &r).allowed()) page.items.push_back(std::move(a));
        if (static_cast<int>(page.items.size()) > limit) break;
      }
      if (!more || static_cast<int>(page.items.size()) > limit) break;
      q.after_created_at = rows.back().created_at;
      q.after_id = rows.back().id;
    }
    return Ok();
  }));
  if (static_cast<int>(page.items.size()) > limit) {
    page.items.resize(limit);
    page.next_cursor = EncodeCursor(page.items.back().created_at, page.items.back().id);
  }
  return page;
}

Result<domain::Application> Applications::GetApplication(const authz::Principal& p, Collection c, std::string_view id,
                                                     const RequestContext& ctx) {
  WHARF_TRY(RequirePermission(p, c, Action::kRead, ctx, id));
  std::optional<domain::Application> app;
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(app, tx.applications().Find(p.org_id, id));
    return Ok();
  }));
  if (!app) return AppNotFound();
  WHARF_TRY(AuthorizeScoped(p, c, Action::kRead, AsResource(*app), ctx, id, AppNotFound));
  return *app;
}

namespace apps {
Result<domain::Application> NewApplication(const ApplicationInput& in) {
  if (!in.name) return FieldError("name", "is required: a name for the application, e.g. 'shop'");
  if (!in.server_id) return FieldError("server_id", "is required: the id of the worker node (server) it runs on");
  domain::Application a;
  WHARF_ASSIGN_OR_RETURN(a.name, domain::ValidateName(*in.name, "name", 100));
  if (in.description) {
    if (in.description->size() > 2000) return FieldError("description", "is longer than 2000 characters");
    a.description = std::string(Trim(*in.description));
  }
  a.server_id = *in.server_id;
  return a;
}
}  // namespace apps

Result<domain::Application> Applications::CreateApplication(const authz::Principal& p, Collection c, ApplicationInput in,
                                                        const RequestContext& ctx) {
  // A role limited to named applications cannot make new ones (they could not be in its list):
  // 403 naming the permission and the scope.
  WHARF_TRY(AuthorizeScoped(p, c, Action::kCreate, authz::Resource{}, ctx, {}, AppNotFound));
  WHARF_ASSIGN_OR_RETURN(domain::Application a, apps::NewApplication(in));
  a.id = ids_.New("app");
  a.org_id = p.org_id;
  a.created_at = a.updated_at = clock_.Now();
  a.created_by = p.user_id;
  WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
    WHARF_TRY(AuthorizeReference(tx, p, Collection::kServers, a.server_id, "server_id", ctx));
    WHARF_TRY(EnforceCreateLimit(p, c, [&] { return tx.applications().CountCreatedBy(p.org_id, p.user_id); },
                                 Noun(c)));
    WHARF_TRY(tx.applications().Insert(a));
    return AuditIn(tx, p, Noun(c) + ".create", Noun(c), a.id, ctx, a.name);
  }));
  return a;
}

Result<domain::Application> Applications::UpdateApplication(const authz::Principal& p, Collection c, std::string_view id,
                                                        ApplicationInput in, const RequestContext& ctx) {
  WHARF_TRY(RequirePermission(p, c, Action::kUpdate, ctx, id));
  std::optional<std::string> name, description;
  if (in.name) {
    WHARF_ASSIGN_OR_RETURN(name, domain::ValidateName(*in.name, "name", 100));
  }
  if (in.description) {
    if (in.description->size() > 2000) return FieldError("description", "is longer than 2000 characters");
    description = std::string(Trim(*in.description));
  }
  domain::Application out;
  WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto a, tx.applications().Find(p.org_id, id));
    if (!a) return AppNotFound();
    WHARF_TRY(AuthorizeScoped(p, c, Action::kUpdate, AsResource(*a), ctx, id, AppNotFound));
    if (in.server_id && *in.server_id != a->server_id) {
      WHARF_ASSIGN_OR_RETURN(auto services, tx.app_services().ListForApplication(p.org_id, a->id));
      if (!services.empty())
        return FieldError("server_id", "cannot change while the application has services (they live on its current "
                                       "server); remove them first, or create a new application on the other server");
      WHARF_TRY(AuthorizeReference(tx, p, Collection::kServers, *in.server_id, "server_id", ctx));
      a->server_id = *in.server_id;
    }
    if (name) a->name = *name;
    if (description) a->description = *description;
    a->updated_at = clock_.Now();
    WHARF_TRY(tx.applications().Update(*a));
    out = *a;
    return AuditIn(tx, p, Noun(c) + ".update", Noun(c), a->id, ctx, a->name);
  }));
  return out;
}

Status Applications::DeleteApplication(const authz::Principal& p, Collection c, std::string_view id,
                                   const RequestContext& ctx) {
  WHARF_TRY(RequirePermission(p, c, Action::kDelete, ctx, id));
  return WriteTx([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto a, tx.applications().Find(p.org_id, id));
    if (!a) return AppNotFound();
    WHARF_TRY(AuthorizeScoped(p, c, Action::kDelete, AsResource(*a), ctx, id, AppNotFound));
    WHARF_ASSIGN_OR_RETURN(auto services, tx.app_services().ListForApplication(p.org_id, a->id));
    if (!services.empty()) {
      nlohmann::json list = nlohmann::json::array();
      std::string names;
      for (auto& s : services) {
        list.push_back({{"id", s.id}, {"name", s.name}});
        names += (names.empty() ? "" : ", ") + s.name;
      }
      auto e = Err(ErrorCode::kConflict, "Application '" + a->name + "' still has " + std::to_string(services.size()) +
                                             " service(s): " + names + ". Delete them first.");
      e.value().details = {{"services", list}};
      return e;
    }
    WHARF_ASSIGN_OR_RETURN(bool deleted, tx.applications().Delete(p.org_id, id));
    if (!deleted) return AppNotFound();
    return AuditIn(tx, p, Noun(c) + ".delete", Noun(c), a->id, ctx, a->name);
  });
}

Applications::Applications(Core& core) : Feature(core) {}

}  // namespace wharf::services
