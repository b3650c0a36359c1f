// Applications, their services, templates and deployments, once for both databases (see
// query.h for what Q provides). Internal to src/store.
#pragma once

#include "store/sql/query.h"
#include "store/sql/repo_macro.h"
#include "store/sql/rows.h"

namespace wharf::store::sql {

WHARF_SQL_REPO(Applications, ApplicationRepository)
  static std::string Conflict(const Application& a) {
    return "An application named '" + a.name + "' already exists in this organisation.";
  }
  Status Insert(const Application& a) override {
    Q q(c_, "INSERT INTO applications (" WHARF_APP_COLS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    q.Text(a.id).Text(a.org_id).Text(a.name).Text(a.description).Text(a.server_id).Int(a.created_at).Int(a.updated_at);
    q.Text(a.created_by);
    return q.Exec(Conflict(a));
  }
  Result<std::optional<Application>> Find(std::string_view org_id, std::string_view id) override {
    Q q(c_, "SELECT " WHARF_APP_COLS " FROM applications WHERE org_id = ? AND id = ?");
    q.Text(org_id).Text(id);
    return One<Application>(q, rows::ReadApplication<Q>);
  }
  Result<std::vector<Application>> List(std::string_view org_id, const PageQuery& page) override {
    Q q(c_, "SELECT " WHARF_APP_COLS " FROM applications WHERE org_id = ? AND (? = '' OR created_by = ?) AND "
            "(created_at > ? OR (created_at = ? AND id > ?)) ORDER BY created_at, id LIMIT ?");
    Keyset(q.Text(org_id).Text(page.created_by).Text(page.created_by), page);
    return Collect<Application>(q, rows::ReadApplication<Q>);
  }
  Result<std::vector<Application>> ListOnServer(std::string_view org_id, std::string_view server_id) override {
    Q q(c_, "SELECT " WHARF_APP_COLS " FROM applications WHERE org_id = ? AND server_id = ? ORDER BY created_at, id");
    q.Text(org_id).Text(server_id);
    return Collect<Application>(q, rows::ReadApplication<Q>);
  }
  Status Update(const Application& a) override {
    Q q(c_, "UPDATE applications SET name = ?, description = ?, server_id = ?, updated_at = ? WHERE org_id = ? AND id = ?");
    q.Text(a.name).Text(a.description).Text(a.server_id).Int(a.updated_at).Text(a.org_id).Text(a.id);
    return q.Exec(Conflict(a));
  }
  Result<bool> Delete(std::string_view org_id, std::string_view id) override {
    return DeleteWhere<Q>(c_, "DELETE FROM applications WHERE org_id = ? AND id = ?", org_id, id);
  }
  Result<int64_t> CountCreatedBy(std::string_view org_id, std::string_view user_id) override {
    return CountWhere<Q>(c_, "SELECT COUNT(*) FROM applications WHERE org_id = ? AND created_by = ?", org_id, user_id);
  }
};

WHARF_SQL_REPO(AppServices, AppServiceRepository)
  static std::string Conflict(const AppService& s) {
    return "A service named '" + s.name + "' already exists in this application.";
  }
  Status Insert(const AppService& s) override {
    Q q(c_, "INSERT INTO app_services (" WHARF_APP_SERVICE_COLS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    q.Text(s.id).Text(s.org_id).Text(s.application_id).Text(s.name).Text(s.type).Text(s.config).Blob(s.variables_sealed);
    q.Blob(s.credentials_sealed).Text(s.unset_keys).Text(s.status).Int(s.created_at).Int(s.updated_at).Text(s.created_by);
    return q.Exec(Conflict(s));
  }
  Result<std::optional<AppService>> Find(std::string_view org_id, std::string_view id) override {
    Q q(c_, "SELECT " WHARF_APP_SERVICE_COLS " FROM app_services WHERE org_id = ? AND id = ?");
    q.Text(org_id).Text(id);
    return One<AppService>(q, rows::ReadAppService<Q>);
  }
  Result<std::vector<AppService>> ListForApplication(std::string_view org_id, std::string_view app_id) override {
    Q q(c_, "SELECT " WHARF_APP_SERVICE_COLS " FROM app_services WHERE org_id = ? AND application_id = ? "
            "ORDER BY created_at, id");
    q.Text(org_id).Text(app_id);
    return Collect<AppService>(q, rows::ReadAppService<Q>);
  }
  Status Update(const AppService& s) override {
    Q q(c_, "UPDATE app_services SET name = ?, config = ?, variables_sealed = ?, credentials_sealed = ?, unset_keys = ?, "
            "status = ?, updated_at = ? WHERE org_id = ? AND id = ?");
    q.Text(s.name).Text(s.config).Blob(s.variables_sealed).Blob(s.credentials_sealed).Text(s.unset_keys).Text(s.status);
    q.Int(s.updated_at).Text(s.org_id).Text(s.id);
    return q.Exec(Conflict(s));
  }
  Result<bool> Delete(std::string_view org_id, std::string_view id) override {
    return DeleteWhere<Q>(c_, "DELETE FROM app_services WHERE org_id = ? AND id = ?", org_id, id);
  }
  Result<int64_t> CountCreatedBy(std::string_view org_id, std::string_view user_id) override {
    return CountWhere<Q>(c_, "SELECT COUNT(*) FROM app_services WHERE org_id = ? AND created_by = ?", org_id, user_id);
  }
};

WHARF_SQL_REPO(Templates, TemplateRepository)
  static std::string Conflict(const AppTemplate& t) {
    return "A template named '" + t.name + "' already exists in this organisation.";
  }
  Status Insert(const AppTemplate& t) override {
    Q q(c_, "INSERT INTO app_templates (" WHARF_TEMPLATE_COLS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    q.Text(t.id).Text(t.org_id).Text(t.name).Text(t.description).Text(t.body).Int(t.created_at).Int(t.updated_at);
    q.Text(t.created_by);
    return q.Exec(Conflict(t));
  }
  Result<std::optional<AppTemplate>> Find(std::string_view org_id, std::string_view id) override {
    Q q(c_, "SELECT " WHARF_TEMPLATE_COLS " FROM app_templates WHERE org_id = ? AND id = ?");
    q.Text(org_id).Text(id);
    return One<AppTemplate>(q, rows::ReadTemplate<Q>);
  }
  Result<std::vector<AppTemplate>> List(std::string_view org_id, const PageQuery& page) override {
    Q q(c_, "SELECT " WHARF_TEMPLATE_COLS " FROM app_templates WHERE org_id = ? AND (? = '' OR created_by = ?) AND "
            "(created_at > ? OR (created_at = ? AND id > ?)) ORDER BY created_at, id LIMIT ?");
    Keyset(q.Text(org_id).Text(page.created_by).Text(page.created_by), page);
    return Collect<AppTemplate>(q, rows::ReadTemplate<Q>);
  }
  Status Update(const AppTemplate& t) override {
    Q q(c_, "UPDATE app_templates SET name = ?, description = ?, body = ?, updated_at = ? WHERE org_id = ? AND id = ?");
    q.Text(t.name).Text(t.description).Text(t.body).Int(t.updated_at).Text(t.org_id).Text(t.id);
    return q.Exec(Conflict(t));
  }
  Result<bool> Delete(std::string_view org_id, std::string_view id) override {
    return DeleteWhere<Q>(c_, "DELETE FROM app_templates WHERE org_id = ? AND id = ?", org_id, id);
  }
  Result<int64_t> CountCreatedBy(std::string_view org_id, std::string_view user_id) override {
    return CountWhere<Q>(c_, "SELECT COUNT(*) FROM app_templates WHERE org_id = ? AND created_by = ?", org_id, user_id);
  }
};

WHARF_SQL_REPO(Deployments, DeploymentRepository)
  Status Insert(const Deployment& d) override {
    Q q(c_, "INSERT INTO deployments (" WHARF_DEPLOYMENT_COLS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    q.Text(d.id).Text(d.org_id).Text(d.application_id).Text(d.service_id).Text(d.action).Text(d.trigger).Text(d.ref);
    q.Text(d.commit_sha).Text(d.error_layer).Text(d.error_fix).Int(d.created_at).Text(d.created_by);
    return q.Exec();
  }
  Result<std::optional<Deployment>> Find(std::string_view org_id, std::string_view id) override {
    Q q(c_, WHARF_DEPLOYMENT_SELECT "WHERE d.org_id = ? AND d.id = ?");
    q.Text(org_id).Text(id);
    return One<Deployment>(q, rows::ReadDeployment<Q>);
  }
  Result<std::vector<Deployment>> List(std::string_view org_id, std::string_view application_id,
                                       std::string_view service_id, const PageQuery& page) override {
    Q q(c_, WHARF_DEPLOYMENT_SELECT "WHERE d.org_id = ?1 AND (?2 = '' OR d.application_id = ?2) AND "
            "(?3 = '' OR d.service_id = ?3) AND (?4 = '' OR d.created_at < ?5 OR (d.created_at = ?5 AND d.id < ?4)) "
            "ORDER BY d.created_at DESC, d.id DESC LIMIT ?6");
    q.Text(org_id).Text(application_id).Text(service_id).Text(page.after_id).Int(page.after_created_at).Int(page.limit + 1);
    return Collect<Deployment>(q, rows::ReadDeployment<Q>);
  }
  Status SetOutcome(std::string_view org_id, std::string_view id, std::string_view commit_sha,
                    std::string_view error_layer, std::string_view error_fix) override {
    Q q(c_, "UPDATE deployments SET commit_sha = CASE WHEN ?1 = '' THEN commit_sha ELSE ?1 END, error_layer = ?2, "
            "error_fix = ?3 WHERE org_id = ?4 AND id = ?5");
    q.Text(commit_sha).Text(error_layer).Text(error_fix).Text(org_id).Text(id);
    return q.Exec();
  }
  Status SetAfterStart(std::string_view org_id, std::string_view id, std::string_view after_start) override {
    Q q(c_, "UPDATE deployments SET after_start = ? WHERE org_id = ? AND id = ?");
    q.Text(after_start).Text(org_id).Text(id);
    return q.Exec();
  }
};

WHARF_SQL_REPO(Releases, ReleaseRepository)
  Status Insert(const Release& r) override {
    Q q(c_, "INSERT INTO releases (" WHARF_RELEASE_COLS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    q.Text(r.id).Text(r.org_id).Text(r.application_id).Text(r.service_id).Int(r.version).Text(r.deployment_id);
    q.Text(r.source_kind).Text(r.repository).Text(r.commit_sha).Text(r.image_digest).Text(r.image);
    q.Blob(r.variables_sealed).Text(r.variables_hash).Text(r.domains).Text(r.ports).Text(r.plan).Text(r.trigger);
    q.Int(r.rollback_of).Bool(r.pinned).Int(r.created_at).Text(r.created_by);
    return q.Exec("Release v" + std::to_string(r.version) + " of this service already exists.");
  }
  Result<std::vector<Release>> List(std::string_view org_id, std::string_view service_id) override {
    Q q(c_, "SELECT " WHARF_RELEASE_COLS " FROM releases WHERE org_id = ? AND service_id = ? ORDER BY version DESC");
    q.Text(org_id).Text(service_id);
    return Collect<Release>(q, rows::ReadRelease<Q>);
  }
  Result<std::optional<Release>> Find(std::string_view org_id, std::string_view service_id, int64_t version) override {
    Q q(c_, "SELECT " WHARF_RELEASE_COLS " FROM releases WHERE org_id = ? AND service_id = ? AND version = ?");
    q.Text(org_id).Text(service_id).Int(version);
    return One<Release>(q, rows::ReadRelease<Q>);
  }
  Result<std::optional<Release>> FindByDeployment(std::string_view org_id, std::string_view deployment_id) override {
    Q q(c_, "SELECT " WHARF_RELEASE_COLS " FROM releases WHERE org_id = ? AND deployment_id = ?");
    q.Text(org_id).Text(deployment_id);
    return One<Release>(q, rows::ReadRelease<Q>);
  }
  Result<int64_t> MaxVersion(std::string_view org_id, std::string_view service_id) override {
    return CountWhere<Q>(c_, "SELECT COALESCE(MAX(version), 0) FROM releases WHERE org_id = ? AND service_id = ?",
                         org_id, service_id);
  }
  Status SetPinned(std::string_view org_id, std::string_view service_id, int64_t version, bool pinned) override {
    Q q(c_, "UPDATE releases SET pinned = ? WHERE org_id = ? AND service_id = ? AND version = ?");
    q.Bool(pinned).Text(org_id).Text(service_id).Int(version);
    return q.Exec();
  }
  Result<int64_t> Prune(std::string_view org_id, std::string_view service_id, int64_t keep) override {
    // The newest `keep` stay (the current release is the newest, so it always stays); pinned ones too.
    Q q(c_, "DELETE FROM releases WHERE org_id = ?1 AND service_id = ?2 AND pinned = ?3 AND version <= "
            "(SELECT COALESCE(MAX(version), 0) FROM releases WHERE org_id = ?1 AND service_id = ?2) - ?4");
    q.Text(org_id).Text(service_id).Bool(false).Int(keep);
    WHARF_TRY(q.Exec());
    return q.Changes();
  }
  Status DeleteForService(std::string_view org_id, std::string_view service_id) override {
    Q q(c_, "DELETE FROM releases WHERE org_id = ? AND service_id = ?");
    q.Text(org_id).Text(service_id);
    return q.Exec();
  }
};

}  // namespace wharf::store::sql
