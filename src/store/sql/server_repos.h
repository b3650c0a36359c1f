// SSH keys, security groups, servers (with their check history) and integrations, once for both
// databases (see query.h for what Q provides). Internal to src/store.
#pragma once

#include "store/sql/query.h"
#include "store/sql/repo_macro.h"
#include "store/sql/rows.h"

namespace wharf::store::sql {

WHARF_SQL_REPO(SshKeys, SshKeyRepository)
  static std::string Conflict(const SshKey& k) { return "An SSH key named '" + k.name + "' already exists in this organisation."; }
  Status Insert(const SshKey& k) override {
    Q q(c_, "INSERT INTO ssh_keys (id, org_id, name, type, public_key, fingerprint, private_key_sealed, created_at, "
            "updated_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    q.Text(k.id).Text(k.org_id).Text(k.name).Text(k.type).Text(k.public_key).Text(k.fingerprint);
    q.Blob(k.private_key_sealed).Int(k.created_at).Int(k.updated_at).Text(k.created_by);
    return q.Exec(Conflict(k));
  }
  Result<std::optional<SshKey>> Find(std::string_view org_id, std::string_view id) override {
    Q q(c_, "SELECT id, org_id, name, type, public_key, fingerprint, private_key_sealed, created_at, updated_at, "
            "created_by FROM ssh_keys WHERE org_id = ? AND id = ?");
    q.Text(org_id).Text(id);
    return One<SshKey>(q, rows::ReadSshKey<Q>);
  }
  // The list page, with or without the created_by filter (two statements: each keeps its index).
  template <typename F>
  auto WithPage(std::string_view org_id, const PageQuery& page, F&& run) {
    if (!page.created_by.empty()) {
      Q q(c_, "SELECT " WHARF_KEY_LIST_COLS " FROM ssh_keys WHERE org_id = ? AND created_by = ? AND (created_at > ? OR "
              "(created_at = ? AND id > ?)) ORDER BY created_at, id LIMIT ?");
      Keyset(q.Text(org_id).Text(page.created_by), page);
      return run(q);
    }
    Q q(c_, "SELECT " WHARF_KEY_LIST_COLS " FROM ssh_keys WHERE org_id = ? AND (created_at > ? OR (created_at = ? AND id > ?)) "
            "ORDER BY created_at, id LIMIT ?");
    Keyset(q.Text(org_id), page);
    return run(q);
  }
  Result<std::vector<SshKey>> List(std::string_view org_id, const PageQuery& page) override {
    return WithPage(org_id, page, [&](Q& q) {
      return Collect<SshKey>(q, rows::ReadSshKey<Q>, static_cast<size_t>(page.limit) + 1);
    });
  }
  Status Visit(std::string_view org_id, const PageQuery& page,
               const std::function<void(const domain::SshKeyView&)>& fn) override {
    return WithPage(org_id, page, [&](Q& q) -> Status {
      while (true) {
        WHARF_ASSIGN_OR_RETURN(bool row, q.Step());
        if (!row) return Ok();
        fn(rows::ReadSshKeyView(q));
      }
    });
  }
  Status Update(const SshKey& k) override {
    Q q(c_, "UPDATE ssh_keys SET name = ?, updated_at = ? WHERE org_id = ? AND id = ?");
    q.Text(k.name).Int(k.updated_at).Text(k.org_id).Text(k.id);
    return q.Exec(Conflict(k));
  }
  Result<bool> Delete(std::string_view org_id, std::string_view id) override {
    return DeleteWhere<Q>(c_, "DELETE FROM ssh_keys WHERE org_id = ? AND id = ?", org_id, id);
  }
  Result<int64_t> CountCreatedBy(std::string_view org_id, std::string_view user_id) override {
    return CountWhere<Q>(c_, "SELECT COUNT(*) FROM ssh_keys WHERE org_id = ? AND created_by = ?", org_id, user_id);
  }
};

WHARF_SQL_REPO(SecurityGroups, SecurityGroupRepository)
  static std::string Conflict(const SecurityGroup& g) {
    return "A security group named '" + g.name + "' already exists in this organisation.";
  }
  Status Insert(const SecurityGroup& g) override {
    Q q(c_, "INSERT INTO security_groups (" WHARF_GROUP_COLS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
    q.Text(g.id).Text(g.org_id).Text(g.name).Text(g.description).Text(rows::RulesJson(g.inbound).dump());
    q.Text(rows::RulesJson(g.outbound).dump()).Int(g.created_at).Int(g.updated_at).Text(g.created_by);
    return q.Exec(Conflict(g));
  }
  Result<std::optional<SecurityGroup>> Find(std::string_view org_id, std::string_view id) override {
    Q q(c_, "SELECT " WHARF_GROUP_COLS " FROM security_groups WHERE org_id = ? AND id = ?");
    q.Text(org_id).Text(id);
    return One<SecurityGroup>(q, rows::ReadGroup<Q>);
  }
  Result<std::vector<SecurityGroup>> List(std::string_view org_id, const PageQuery& page) override {
    Q q(c_, "SELECT " WHARF_GROUP_COLS " FROM security_groups WHERE org_id = ? AND (? = '' OR created_by = ?) "
            "AND (created_at > ? OR (created_at = ? AND id > ?)) ORDER BY created_at, id LIMIT ?");
    Keyset(q.Text(org_id).Text(page.created_by).Text(page.created_by), page);
    return Collect<SecurityGroup>(q, rows::ReadGroup<Q>);
  }
  Status Update(const SecurityGroup& g) override {
    Q q(c_, "UPDATE security_groups SET name = ?, description = ?, inbound = ?, outbound = ?, updated_at = ? "
            "WHERE org_id = ? AND id = ?");
    q.Text(g.name).Text(g.description).Text(rows::RulesJson(g.inbound).dump()).Text(rows::RulesJson(g.outbound).dump());
    q.Int(g.updated_at).Text(g.org_id).Text(g.id);
    return q.Exec(Conflict(g));
  }
  Result<bool> Delete(std::string_view org_id, std::string_view id) override {
    return DeleteWhere<Q>(c_, "DELETE FROM security_groups WHERE org_id = ? AND id = ?", org_id, id);
  }
  Result<int64_t> CountCreatedBy(std::string_view org_id, std::string_view user_id) override {
    return CountWhere<Q>(c_, "SELECT COUNT(*) FROM security_groups WHERE org_id = ? AND created_by = ?", org_id, user_id);
  }
};

WHARF_SQL_REPO(Servers, ServerRepository)
  static std::string Conflict(const Server& s) { return "A server named '" + s.name + "' already exists in this organisation."; }
  Status Insert(const Server& s) override {
    Q q(c_, "INSERT INTO servers (" WHARF_SERVER_COLS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    q.Text(s.id).Text(s.org_id).Text(s.name).Text(s.host).Int(s.port).Text(s.username).Text(s.ssh_key_id);
    q.Text(IdsJson(s.security_group_ids)).Text(s.host_key_fingerprint).Text(s.status).Text(s.last_check).Int(s.last_check_at);
    q.Text(s.last_error).Int(s.consecutive_failures).Int(s.next_check_at).Text(s.source_address).Int(s.created_at);
    q.Int(s.updated_at).Text(s.created_by);
    return q.Exec(Conflict(s));
  }
  Result<std::optional<Server>> Find(std::string_view org_id, std::string_view id) override {
    Q q(c_, "SELECT " WHARF_SERVER_COLS " FROM servers WHERE org_id = ? AND id = ?");
    q.Text(org_id).Text(id);
    return One<Server>(q, rows::ReadServer<Q>);
  }
  Result<std::vector<Server>> List(std::string_view org_id, const PageQuery& page) override {
    Q q(c_, "SELECT " WHARF_SERVER_COLS " FROM servers WHERE org_id = ? AND (? = '' OR created_by = ?) "
            "AND (created_at > ? OR (created_at = ? AND id > ?)) ORDER BY created_at, id LIMIT ?");
    Keyset(q.Text(org_id).Text(page.created_by).Text(page.created_by), page);
    return Collect<Server>(q, rows::ReadServer<Q>);
  }
  Status Update(const Server& s) override {
    Q q(c_, "UPDATE servers SET name = ?, host = ?, port = ?, username = ?, ssh_key_id = ?, security_group_ids = ?, "
            "host_key_fingerprint = ?, status = ?, last_check = ?, last_check_at = ?, last_error = ?, "
            "consecutive_failures = ?, next_check_at = ?, source_address = ?, updated_at = ? WHERE org_id = ? AND id = ?");
    q.Text(s.name).Text(s.host).Int(s.port).Text(s.username).Text(s.ssh_key_id).Text(IdsJson(s.security_group_ids));
    q.Text(s.host_key_fingerprint).Text(s.status).Text(s.last_check).Int(s.last_check_at).Text(s.last_error);
    q.Int(s.consecutive_failures).Int(s.next_check_at).Text(s.source_address).Int(s.updated_at).Text(s.org_id).Text(s.id);
    return q.Exec(Conflict(s));
  }
  Result<bool> Delete(std::string_view org_id, std::string_view id) override {
    return DeleteWhere<Q>(c_, "DELETE FROM servers WHERE org_id = ? AND id = ?", org_id, id);
  }
  Result<int64_t> CountCreatedBy(std::string_view org_id, std::string_view user_id) override {
    return CountWhere<Q>(c_, "SELECT COUNT(*) FROM servers WHERE org_id = ? AND created_by = ?", org_id, user_id);
  }
  Result<std::vector<Server>> ListUsingKey(std::string_view org_id, std::string_view key_id) override {
    Q q(c_, "SELECT " WHARF_SERVER_COLS " FROM servers WHERE org_id = ? AND ssh_key_id = ? ORDER BY name");
    q.Text(org_id).Text(key_id);
    return Collect<Server>(q, rows::ReadServer<Q>);
  }
  Result<std::vector<Server>> ListUsingGroup(std::string_view org_id, std::string_view group_id) override {
    Q q(c_, WHARF_SQL("SELECT " WHARF_SERVER_COLS " FROM servers WHERE org_id = ? AND EXISTS "
                      "(SELECT 1 FROM json_each(servers.security_group_ids) WHERE value = ?) ORDER BY name",
                      "SELECT " WHARF_SERVER_COLS " FROM servers WHERE org_id = ? AND EXISTS "
                      "(SELECT 1 FROM jsonb_array_elements_text(servers.security_group_ids::jsonb) g WHERE g = ?) ORDER BY name"));
    q.Text(org_id).Text(group_id);
    return Collect<Server>(q, rows::ReadServer<Q>);
  }
  Result<std::vector<Server>> ListDue(Timestamp now, int limit) override {
    Q q(c_, "SELECT " WHARF_SERVER_COLS " FROM servers WHERE next_check_at <= ? ORDER BY next_check_at, id LIMIT ?");
    q.Int(now).Int(limit);
    return Collect<Server>(q, rows::ReadServer<Q>);
  }
  Status RecordCheck(const Server& s, const ServerCheck& c, int keep) override {
    Q u(c_, "UPDATE servers SET host_key_fingerprint = ?, status = ?, last_check = ?, last_check_at = ?, last_error = ?, "
            "consecutive_failures = ?, next_check_at = ?, source_address = ? WHERE org_id = ? AND id = ?");
    u.Text(s.host_key_fingerprint).Text(s.status).Text(s.last_check).Int(s.last_check_at).Text(s.last_error);
    u.Int(s.consecutive_failures).Int(s.next_check_at).Text(s.source_address).Text(s.org_id).Text(s.id);
    WHARF_TRY(u.Exec());
    if (u.Changes() == 0) return Ok();  // deleted meanwhile
    Q i(c_, "INSERT INTO server_checks (org_id, server_id, at, ok, duration_ms, report) VALUES (?, ?, ?, ?, ?, ?)");
    i.Text(c.org_id).Text(c.server_id).Int(c.at).Bool(c.ok).Int(c.duration_ms).Text(c.report);
    WHARF_TRY(i.Exec());
    Q d(c_, "DELETE FROM server_checks WHERE server_id = ?1 AND id <= (SELECT id FROM server_checks WHERE server_id = ?1 "
            "ORDER BY id DESC LIMIT 1 OFFSET ?2)");
    d.Text(c.server_id).Int(keep);
    return d.Exec();
  }
  Result<std::vector<ServerCheck>> ListChecks(std::string_view org_id, std::string_view server_id, int limit) override {
    Q q(c_, "SELECT id, org_id, server_id, at, ok, duration_ms, report FROM server_checks WHERE org_id = ? AND "
            "server_id = ? ORDER BY id DESC LIMIT ?");
    q.Text(org_id).Text(server_id).Int(limit);
    return Collect<ServerCheck>(q, [](Q& r) -> Result<ServerCheck> {
      return ServerCheck{r.I64(0), r.Str(1), r.Str(2), r.I64(3), r.I64(4) != 0, r.I64(5), r.Str(6)};
    });
  }
};

WHARF_SQL_REPO(Integrations, IntegrationRepository)
  static std::string Conflict(const Integration& i) {
    return "An integration named '" + i.name + "' or with the same credential already exists in this organisation.";
  }
  Status Insert(const Integration& i) override {
    Q q(c_, "INSERT INTO integrations (" WHARF_INTEGRATION_COLS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    q.Text(i.id).Text(i.org_id).Text(i.kind).Text(i.name).Text(FieldsJson(i.fields)).Text(SealedJson(i.sealed));
    q.Text(i.dedupe_key).Bool(i.verified).Int(i.last_verified_at).Text(i.last_error).Int(i.expires_at);
    q.Int(i.created_at).Int(i.updated_at).Text(i.created_by);
    return q.Exec(Conflict(i));
  }
  Result<std::optional<Integration>> Find(std::string_view org_id, std::string_view kind, std::string_view id) override {
    Q q(c_, "SELECT " WHARF_INTEGRATION_COLS " FROM integrations WHERE org_id = ? AND kind = ? AND id = ?");
    q.Text(org_id).Text(kind).Text(id);
    return One<Integration>(q, rows::ReadIntegration<Q>);
  }
  Result<std::optional<Integration>> FindByDedupeKey(std::string_view org_id, std::string_view kind,
                                                     std::string_view key) override {
    Q q(c_, "SELECT " WHARF_INTEGRATION_COLS " FROM integrations WHERE org_id = ? AND kind = ? AND dedupe_key = ?");
    q.Text(org_id).Text(kind).Text(key);
    return One<Integration>(q, rows::ReadIntegration<Q>);
  }
  Result<std::vector<Integration>> List(std::string_view org_id, std::string_view kind, const PageQuery& page) override {
    Q q(c_, "SELECT " WHARF_INTEGRATION_COLS " FROM integrations WHERE org_id = ? AND kind = ? AND (? = '' OR "
            "created_by = ?) AND (created_at > ? OR (created_at = ? AND id > ?)) ORDER BY created_at, id LIMIT ?");
    Keyset(q.Text(org_id).Text(kind).Text(page.created_by).Text(page.created_by), page);
    return Collect<Integration>(q, rows::ReadIntegration<Q>);
  }
  Status Update(const Integration& i) override {
    Q q(c_, "UPDATE integrations SET name = ?, fields = ?, sealed = ?, dedupe_key = ?, verified = ?, "
            "last_verified_at = ?, last_error = ?, expires_at = ?, updated_at = ? WHERE org_id = ? AND kind = ? AND id = ?");
    q.Text(i.name).Text(FieldsJson(i.fields)).Text(SealedJson(i.sealed)).Text(i.dedupe_key).Bool(i.verified);
    q.Int(i.last_verified_at).Text(i.last_error).Int(i.expires_at).Int(i.updated_at).Text(i.org_id).Text(i.kind).Text(i.id);
    return q.Exec(Conflict(i));
  }
  Status RecordVerification(const Integration& i) override {
    Q q(c_, "UPDATE integrations SET verified = ?, last_verified_at = ?, last_error = ?, expires_at = ? "
            "WHERE org_id = ? AND kind = ? AND id = ?");
    q.Bool(i.verified).Int(i.last_verified_at).Text(i.last_error).Int(i.expires_at).Text(i.org_id).Text(i.kind).Text(i.id);
    return q.Exec();
  }
  Result<bool> Delete(std::string_view org_id, std::string_view kind, std::string_view id) override {
    Q q(c_, "DELETE FROM integrations WHERE org_id = ? AND kind = ? AND id = ?");
    q.Text(org_id).Text(kind).Text(id);
    return Changed(q);
  }
  Result<int64_t> CountCreatedBy(std::string_view org_id, std::string_view kind, std::string_view user_id) override {
    Q q(c_, "SELECT COUNT(*) FROM integrations WHERE org_id = ? AND kind = ? AND created_by = ?");
    q.Text(org_id).Text(kind).Text(user_id);
    return Scalar(q);
  }
  Result<std::optional<Integration>> FindAnyOrg(std::string_view kind, std::string_view id) override {
    Q q(c_, "SELECT " WHARF_INTEGRATION_COLS " FROM integrations WHERE kind = ? AND id = ?");
    q.Text(kind).Text(id);
    return One<Integration>(q, rows::ReadIntegration<Q>);
  }
  Result<std::vector<Integration>> ListExpiring(std::string_view org_id, Timestamp before, int limit) override {
    // The every-org form is a flag: an empty text may bind as NULL.
    Q q(c_, "SELECT " WHARF_INTEGRATION_COLS " FROM integrations WHERE (? = 1 OR org_id = ?) AND expires_at > 0 AND "
            "expires_at <= ? ORDER BY expires_at, id LIMIT ?");
    q.Int(org_id.empty() ? 1 : 0).Text(org_id).Int(before).Int(limit);
    return Collect<Integration>(q, rows::ReadIntegration<Q>);
  }
  Result<std::vector<Integration>> ListVerifyDue(const std::vector<std::string>& kinds, Timestamp before,
                                                 int limit) override {
    std::string set = ",";  // ",gitProviders,dockerRegistries,": one parameter for any number of kinds
    for (const auto& k : kinds) set += k + ",";
    Q q(c_, WHARF_SQL("SELECT " WHARF_INTEGRATION_COLS " FROM integrations WHERE last_verified_at > 0 AND "
                      "last_verified_at <= ?1 AND instr(?2, ',' || kind || ',') > 0 AND (verified = ?3 OR "
                      "last_error <> '') ORDER BY last_verified_at, id LIMIT ?4",
                      "SELECT " WHARF_INTEGRATION_COLS " FROM integrations WHERE last_verified_at > 0 AND "
                      "last_verified_at <= ?1 AND strpos(?2, ',' || kind || ',') > 0 AND (verified = ?3 OR "
                      "last_error <> '') ORDER BY last_verified_at, id LIMIT ?4"));
    q.Int(before).Text(set).Bool(true).Int(limit);
    return Collect<Integration>(q, rows::ReadIntegration<Q>);
  }
  Result<bool> RememberWebhookDelivery(std::string_view provider_id, std::string_view key, Timestamp at) override {
    Q q(c_, "INSERT INTO webhook_deliveries (provider_id, delivery_key, received_at) VALUES (?, ?, ?) "
            "ON CONFLICT (provider_id, delivery_key) DO NOTHING");
    q.Text(provider_id).Text(key).Int(at);
    return Changed(q);
  }
  Result<int64_t> PruneWebhookDeliveries(Timestamp before) override {
    Q q(c_, "DELETE FROM webhook_deliveries WHERE received_at < ?");
    q.Int(before);
    WHARF_TRY(q.Exec());
    return q.Changes();
  }
};

}  // namespace wharf::store::sql
