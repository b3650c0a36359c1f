#include "store/sqlite/sqlite_store.h"

#include <sqlite3.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "base/log.h"
#include "base/strings.h"
#include "store/migrations.h"
#include "store/rows.h"

namespace wharf::store {

namespace {

using nlohmann::json;

// ---------------------------------------------------------------- connection and statements

class Conn {
 public:
  explicit Conn(sqlite3* db) : db_(db) {}
  ~Conn() {
    for (auto& [sql, st] : stmts_) sqlite3_finalize(st);
    sqlite3_close_v2(db_);
  }
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;
  sqlite3* db() { return db_; }
  bool jobs_changed = false;  // this transaction enqueued or ended a job (for WatchJobs)
  sqlite3_stmt* Prepare(const char* sql) {
    auto it = stmts_.find(sql);
    if (it != stmts_.end()) return it->second;
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, nullptr) != SQLITE_OK) return nullptr;
    stmts_.emplace(sql, st);
    return st;
  }
  Result<int64_t> ExecScalar(const std::string& sql) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) return Internal(std::string("sqlite: ") + sqlite3_errmsg(db_));
    int64_t v = 0;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW) return Internal(std::string("sqlite: ") + sqlite3_errmsg(db_));
    return v;
  }
  Status ExecScript(const std::string& sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err ? err : "unknown";
      sqlite3_free(err);
      return Internal("sqlite: " + msg);
    }
    return Ok();
  }

 private:
  sqlite3* db_;
  std::unordered_map<const char*, sqlite3_stmt*> stmts_;  // keyed by the literal's address
};

Error SqlError(sqlite3* db, int rc, std::string_view conflict_message) {
  const int primary = rc & 0xff;
  if (primary == SQLITE_CONSTRAINT) {
    const int ext = sqlite3_extended_errcode(db);
    if (ext == SQLITE_CONSTRAINT_FOREIGNKEY)
      return Error{ErrorCode::kConflict, "This is still in use by other records.", sqlite3_errmsg(db), Layer::kNone, json::object()};
    return Error{ErrorCode::kConflict, conflict_message.empty() ? std::string("That already exists.") : std::string(conflict_message),
                 sqlite3_errmsg(db), Layer::kNone, json::object()};
  }
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED)
    return Error{ErrorCode::kUnavailable, "The database is busy; retry shortly.", sqlite3_errmsg(db), Layer::kNone, json::object()};
  return Error{ErrorCode::kInternal, "internal error", std::string("sqlite: ") + sqlite3_errmsg(db), Layer::kNone, json::object()};
}

// One use of a cached prepared statement; resets it when done.
class Query {
 public:
  Query(Conn& c, const char* sql) : conn_(c), st_(c.Prepare(sql)) {
    if (!st_) prepare_error_ = std::string("sqlite prepare: ") + sqlite3_errmsg(c.db());
  }
  ~Query() {
    if (st_) {
      sqlite3_reset(st_);
      sqlite3_clear_bindings(st_);
    }
  }
  Query& Text(std::string_view v) {
    if (st_) sqlite3_bind_text(st_, ++idx_, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Query& Int(int64_t v) {
    if (st_) sqlite3_bind_int64(st_, ++idx_, v);
    return *this;
  }
  // Binds the keyset tail every paged list ends with,
  // "(created_at > ? OR (created_at = ? AND id > ?)) ORDER BY created_at, id LIMIT ?", asking one
  // row more than the page so the caller knows whether there is a next one. An empty after_id
  // starts from the beginning.
  Query& Keyset(const PageQuery& p) {
    const int64_t after = p.after_id.empty() ? INT64_MIN : p.after_created_at;
    return Int(after).Int(after).Text(p.after_id).Int(p.limit + 1);
  }
  Query& Blob(std::string_view v) {
    if (!st_) return *this;
    if (v.empty()) sqlite3_bind_null(st_, ++idx_);
    else sqlite3_bind_blob(st_, ++idx_, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Query& Null() {
    if (st_) sqlite3_bind_null(st_, ++idx_);
    return *this;
  }
  // True when a row is available; false when done.
  Result<bool> Step() {
    if (!st_) return Internal(prepare_error_);
    int rc = sqlite3_step(st_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return tl::unexpected(SqlError(conn_.db(), rc, conflict_));
  }
  Status Exec(std::string_view conflict_message = {}) {
    conflict_ = conflict_message;
    WHARF_ASSIGN_OR_RETURN(bool row, Step());
    (void)row;
    return Ok();
  }
  int Changes() { return sqlite3_changes(conn_.db()); }
  std::string Str(int col) {
    auto* p = reinterpret_cast<const char*>(sqlite3_column_text(st_, col));
    return p ? std::string(p, sqlite3_column_bytes(st_, col)) : std::string();
  }
  std::string_view View(int col) {
    auto* p = reinterpret_cast<const char*>(sqlite3_column_text(st_, col));
    return p ? std::string_view(p, static_cast<size_t>(sqlite3_column_bytes(st_, col))) : std::string_view();
  }
  std::string Bytes(int col) {
    auto* p = static_cast<const char*>(sqlite3_column_blob(st_, col));
    return p ? std::string(p, sqlite3_column_bytes(st_, col)) : std::string();
  }
  int64_t I64(int col) { return sqlite3_column_int64(st_, col); }
  bool IsNull(int col) { return sqlite3_column_type(st_, col) == SQLITE_NULL; }
  bool IsFlag(int col) { return sqlite3_column_type(st_, col) == SQLITE_INTEGER; }

 private:
  Conn& conn_;
  sqlite3_stmt* st_;
  int idx_ = 0;
  std::string prepare_error_;
  std::string conflict_;
};

// Runs a query and maps each row with f; collects into a vector.
template <typename T, typename F>
Result<std::vector<T>> Collect(Query& q, F&& f, size_t expected = 0) {
  std::vector<T> out;
  out.reserve(expected);
  while (true) {
    WHARF_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    WHARF_ASSIGN_OR_RETURN(T v, f(q));
    out.push_back(std::move(v));
  }
  return out;
}

template <typename T, typename F>
Result<std::optional<T>> One(Query& q, F&& f) {
  WHARF_ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row) return std::optional<T>();
  WHARF_ASSIGN_OR_RETURN(T v, f(q));
  return std::optional<T>(std::move(v));
}

// ---------------------------------------------------------------- row mappers

std::string FieldsJson(const std::map<std::string, std::string>& m) { return json(m).dump(); }
std::string SealedJson(const std::map<std::string, std::string>& m) {
  json j = json::object();
  for (auto& [k, v] : m) j[k] = Base64UrlEncode(v);
  return j.dump();
}

// ---------------------------------------------------------------- repositories

#define WHARF_REPO(Name, Iface) \
  class Name final : public Iface { \
   public: \
    explicit Name(Conn& c) : c_(c) {} \
   private: \
    Conn& c_; \
   public:

WHARF_REPO(SqliteUsers, UserRepository)
  Status Insert(const User& u) override {
    Query q(c_, "INSERT INTO users (" WHARF_USER_COLS ") "
                "VALUES (?, ?, ?, ?, ?, ?, ?)");
    q.Text(u.id).Text(u.email).Text(u.name).Text(u.password_hash).Int(u.instance_admin).Int(u.created_at).Int(u.updated_at);
    return q.Exec("An account with this email already exists.");
  }
  Result<std::optional<User>> FindById(std::string_view id) override {
    Query q(c_, "SELECT " WHARF_USER_COLS " FROM users WHERE id = ?");
    q.Text(id);
    return One<User>(q, [](Query& r) { return rows::ReadUser(r); });
  }
  Result<std::optional<User>> FindByEmail(std::string_view email) override {
    Query q(c_, "SELECT " WHARF_USER_COLS " FROM users WHERE email = ?");
    q.Text(email);
    return One<User>(q, [](Query& r) { return rows::ReadUser(r); });
  }
  Result<int64_t> Count() override {
    Query q(c_, "SELECT COUNT(*) FROM users");
    WHARF_TRY(q.Step());
    return q.I64(0);
  }
  Status Update(const User& u) override {
    Query q(c_, "UPDATE users SET name = ?, password_hash = ?, instance_admin = ?, updated_at = ? WHERE id = ?");
    q.Text(u.name).Text(u.password_hash).Int(u.instance_admin).Int(u.updated_at).Text(u.id);
    return q.Exec();
  }

};

WHARF_REPO(SqliteOrgs, OrgRepository)
  Status Insert(const Org& o) override {
    Query q(c_, "INSERT INTO orgs (" WHARF_ORG_COLS ") "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
    q.Text(o.id).Text(o.slug).Text(o.name).Text(o.owner_id).Int(o.seat_limit).Blob(o.wrapped_data_key);
    q.Int(o.created_at).Int(o.updated_at).Text(o.created_by);
    return q.Exec("The slug '" + o.slug + "' is already taken.");
  }
  Result<std::optional<Org>> FindBySlug(std::string_view slug) override {
    Query q(c_, "SELECT " WHARF_ORG_COLS
                " FROM orgs WHERE slug = ?");
    q.Text(slug);
    return One<Org>(q, rows::ReadOrg<Query>);
  }
  Result<std::optional<Org>> FindById(std::string_view id) override {
    Query q(c_, "SELECT " WHARF_ORG_COLS
                " FROM orgs WHERE id = ?");
    q.Text(id);
    return One<Org>(q, rows::ReadOrg<Query>);
  }
  Status Update(const Org& o) override {
    Query q(c_, "UPDATE orgs SET name = ?, owner_id = ?, seat_limit = ?, updated_at = ? WHERE id = ?");
    q.Text(o.name).Text(o.owner_id).Int(o.seat_limit).Int(o.updated_at).Text(o.id);
    return q.Exec();
  }
  Result<std::vector<Org>> ListAll() override {
    Query q(c_, "SELECT " WHARF_ORG_COLS
                " FROM orgs ORDER BY created_at, id");
    return Collect<Org>(q, rows::ReadOrg<Query>);
  }
  Status UpdateDataKey(std::string_view org_id, std::string_view wrapped) override {
    Query q(c_, "UPDATE orgs SET wrapped_data_key = ? WHERE id = ?");
    q.Blob(wrapped).Text(org_id);
    return q.Exec();
  }

};

WHARF_REPO(SqliteRoles, RoleRepository)
  Status Insert(const Role& r) override {
    Query q(c_, "INSERT INTO roles (" WHARF_ROLE_COLS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    q.Text(r.id).Text(r.org_id).Text(r.name).Text(r.description).Int(r.builtin);
    q.Text(domain::PermissionsToJson(r.permissions).dump());
    if (r.resource_scope.empty()) q.Null();
    else q.Text(domain::ResourceScopeToJson(r.resource_scope).dump());
    q.Int(r.created_at).Int(r.updated_at).Text(r.created_by);
    return q.Exec("A role named '" + r.name + "' already exists in this organisation.");
  }
  Result<std::optional<Role>> Find(std::string_view org_id, std::string_view id) override {
    Query q(c_, "SELECT " WHARF_ROLE_COLS " FROM roles WHERE org_id = ? AND id = ?");
    q.Text(org_id).Text(id);
    return One<Role>(q, rows::ReadRole<Query>);
  }
  Result<std::optional<Role>> FindAdmin(std::string_view org_id) override {
    Query q(c_, "SELECT " WHARF_ROLE_COLS " FROM roles WHERE org_id = ? AND builtin = 1");
    q.Text(org_id);
    return One<Role>(q, rows::ReadRole<Query>);
  }
  Result<std::vector<Role>> List(std::string_view org_id) override {
    Query q(c_, "SELECT " WHARF_ROLE_COLS " FROM roles WHERE org_id = ? ORDER BY builtin DESC, created_at, id");
    q.Text(org_id);
    return Collect<Role>(q, rows::ReadRole<Query>);
  }
  Status Update(const Role& r) override {
    Query q(c_, "UPDATE roles SET name = ?, description = ?, permissions = ?, resource_scope = ?, updated_at = ? "
                "WHERE org_id = ? AND id = ? AND builtin = 0");
    q.Text(r.name).Text(r.description).Text(domain::PermissionsToJson(r.permissions).dump());
    if (r.resource_scope.empty()) q.Null();
    else q.Text(domain::ResourceScopeToJson(r.resource_scope).dump());
    q.Int(r.updated_at).Text(r.org_id).Text(r.id);
    return q.Exec("A role named '" + r.name + "' already exists in this organisation.");
  }
  Result<bool> Delete(std::string_view org_id, std::string_view id) override {
    Query q(c_, "DELETE FROM roles WHERE org_id = ? AND id = ? AND builtin = 0");
    q.Text(org_id).Text(id);
    WHARF_TRY(q.Exec());
    return q.Changes() > 0;
  }

};

WHARF_REPO(SqliteMemberships, MembershipRepository)
  Status Insert(const Membership& m) override {
    Query q(c_, "INSERT INTO memberships (org_id, user_id, role_id, joined_at) VALUES (?, ?, ?, ?)");
    q.Text(m.org_id).Text(m.user_id).Text(m.role_id).Int(m.joined_at);
    return q.Exec("Already a member of this organisation.");
  }
  Result<std::optional<Membership>> Find(std::string_view org_id, std::string_view user_id) override {
    Query q(c_, "SELECT org_id, user_id, role_id, joined_at FROM memberships WHERE org_id = ? AND user_id = ?");
    q.Text(org_id).Text(user_id);
    return One<Membership>(q, [](Query& r) -> Result<Membership> {
      return Membership{r.Str(0), r.Str(1), r.Str(2), r.I64(3)};
    });
  }
  static Result<MemberRow> ReadMemberRow(Query& r) {
    MemberRow row;
    row.membership = Membership{r.Str(0), r.Str(1), r.Str(2), r.I64(3)};
    WHARF_ASSIGN_OR_RETURN(row.user, rows::ReadUser(r, 4));
    row.user.password_hash.clear();
    return row;
  }
  Result<std::vector<MemberRow>> ListForOrg(std::string_view org_id, const PageQuery& page) override {
    Query q(c_, "SELECT " WHARF_MEMBER_ROW_COLS " FROM memberships m JOIN users u ON u.id = m.user_id "
                "WHERE m.org_id = ? AND (m.joined_at > ? OR (m.joined_at = ? AND m.user_id > ?)) "
                "ORDER BY m.joined_at, m.user_id LIMIT ?");
    q.Text(org_id).Keyset(page);
    return Collect<MemberRow>(q, ReadMemberRow);
  }
  Result<std::vector<MemberRow>> ListByRole(std::string_view org_id, std::string_view role_id) override {
    Query q(c_, "SELECT " WHARF_MEMBER_ROW_COLS " FROM memberships m JOIN users u ON u.id = m.user_id "
                "WHERE m.org_id = ? AND m.role_id = ? ORDER BY m.joined_at, m.user_id");
    q.Text(org_id).Text(role_id);
    return Collect<MemberRow>(q, ReadMemberRow);
  }
  Result<std::vector<Membership>> ListForUser(std::string_view user_id) override {
    Query q(c_, "SELECT org_id, user_id, role_id, joined_at FROM memberships WHERE user_id = ? ORDER BY joined_at, org_id");
    q.Text(user_id);
    return Collect<Membership>(q, [](Query& r) -> Result<Membership> {
      return Membership{r.Str(0), r.Str(1), r.Str(2), r.I64(3)};
    });
  }
  Status UpdateRole(std::string_view org_id, std::string_view user_id, std::string_view role_id) override {
    Query q(c_, "UPDATE memberships SET role_id = ? WHERE org_id = ? AND user_id = ?");
    q.Text(role_id).Text(org_id).Text(user_id);
    return q.Exec();
  }
  Result<bool> Delete(std::string_view org_id, std::string_view user_id) override {
    Query q(c_, "DELETE FROM memberships WHERE org_id = ? AND user_id = ?");
    q.Text(org_id).Text(user_id);
    WHARF_TRY(q.Exec());
    return q.Changes() > 0;
  }
  Result<int64_t> CountForOrg(std::string_view org_id) override {
    Query q(c_, "SELECT COUNT(*) FROM memberships WHERE org_id = ?");
    q.Text(org_id);
    WHARF_TRY(q.Step());
    return q.I64(0);
  }
  Result<int64_t> CountByRole(std::string_view org_id, std::string_view role_id) override {
    Query q(c_, "SELECT COUNT(*) FROM memberships WHERE org_id = ? AND role_id = ?");
    q.Text(org_id).Text(role_id);
    WHARF_TRY(q.Step());
    return q.I64(0);
  }
  Status ReassignRole(std::string_view org_id, std::string_view from, std::string_view to) override {
    Query q(c_, "UPDATE memberships SET role_id = ? WHERE org_id = ? AND role_id = ?");
    q.Text(to).Text(org_id).Text(from);
    return q.Exec();
  }

};

WHARF_REPO(SqliteSessions, SessionRepository)
  Status Insert(const Session& s) override {
    Query q(c_, "INSERT INTO sessions (" WHARF_SESSION_COLS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
    q.Text(s.id).Text(s.user_id).Text(s.token_hash).Text(s.csrf_hash).Int(s.created_at).Int(s.expires_at);
    q.Int(s.revoked_at).Text(s.ip).Text(s.user_agent);
    return q.Exec();
  }
  Result<std::optional<Session>> FindActive(std::string_view token_hash, Timestamp now) override {
    Query q(c_, "SELECT " WHARF_SESSION_COLS
                " FROM sessions WHERE token_hash = ? AND revoked_at = 0 AND expires_at > ?");
    q.Text(token_hash).Int(now);
    return One<Session>(q, rows::ReadSession<Query>);
  }
  Status Revoke(std::string_view id, Timestamp at) override {
    Query q(c_, "UPDATE sessions SET revoked_at = ? WHERE id = ? AND revoked_at = 0");
    q.Int(at).Text(id);
    return q.Exec();
  }
  Status RevokeAllForUser(std::string_view user_id, Timestamp at) override {
    Query q(c_, "UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at = 0");
    q.Int(at).Text(user_id);
    return q.Exec();
  }
  Result<std::vector<Session>> ListActiveForUser(std::string_view user_id, Timestamp now) override {
    Query q(c_, "SELECT id, user_id, token_hash, csrf_hash, created_at, expires_at, revoked_at, ip, user_agent "
                "FROM sessions WHERE user_id = ? AND revoked_at = 0 AND expires_at > ? ORDER BY created_at, id");
    q.Text(user_id).Int(now);
    return Collect<Session>(q, rows::ReadSession<Query>);
  }

};

WHARF_REPO(SqliteApiTokens, ApiTokenRepository)
  Status Insert(const ApiToken& t) override {
    Query q(c_, "INSERT INTO api_tokens (" WHARF_TOKEN_COLS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    q.Text(t.id).Text(t.user_id).Text(t.org_id).Text(t.name).Text(t.token_hash);
    if (t.permissions) q.Text(domain::PermissionsToJson(*t.permissions).dump());
    else q.Null();
    q.Int(t.created_at).Int(t.expires_at).Int(t.revoked_at).Int(t.last_used_at);
    return q.Exec();
  }
  Result<std::optional<ApiToken>> FindByHash(std::string_view token_hash) override {
    Query q(c_, "SELECT " WHARF_TOKEN_COLS " FROM api_tokens WHERE token_hash = ? AND revoked_at = 0");
    q.Text(token_hash);
    return One<ApiToken>(q, rows::ReadToken<Query>);
  }
  Result<std::vector<ApiToken>> ListForUser(std::string_view user_id) override {
    Query q(c_, "SELECT " WHARF_TOKEN_COLS " FROM api_tokens WHERE user_id = ? AND revoked_at = 0 ORDER BY created_at, id");
    q.Text(user_id);
    return Collect<ApiToken>(q, rows::ReadToken<Query>);
  }
  Result<bool> Revoke(std::string_view user_id, std::string_view id, Timestamp at) override {
    Query q(c_, "UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND id = ? AND revoked_at = 0");
    q.Int(at).Text(user_id).Text(id);
    WHARF_TRY(q.Exec());
    return q.Changes() > 0;
  }

};

WHARF_REPO(SqliteInvitations, InvitationRepository)
  Status Insert(const Invitation& i) override {
    Query q(c_, "INSERT INTO invitations (" WHARF_INV_COLS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    q.Text(i.id).Text(i.org_id).Text(i.email).Text(i.role_id).Text(i.token_hash);
    q.Text(domain::InvitationStatusName(i.status)).Int(i.expires_at).Text(i.email_status).Text(i.email_error);
    q.Int(i.created_at).Int(i.updated_at).Text(i.created_by).Int(i.accepted_at).Text(i.accepted_by);
    return q.Exec();
  }
  Result<std::optional<Invitation>> Find(std::string_view org_id, std::string_view id) override {
    Query q(c_, "SELECT " WHARF_INV_COLS " FROM invitations WHERE org_id = ? AND id = ?");
    q.Text(org_id).Text(id);
    return One<Invitation>(q, rows::ReadInvitation<Query>);
  }
  Result<std::optional<Invitation>> FindByTokenHash(std::string_view token_hash) override {
    Query q(c_, "SELECT " WHARF_INV_COLS " FROM invitations WHERE token_hash = ?");
    q.Text(token_hash);
    return One<Invitation>(q, rows::ReadInvitation<Query>);
  }
  Result<std::vector<Invitation>> ListPending(std::string_view org_id, Timestamp now, const PageQuery& page) override {
    Query q(c_, "SELECT " WHARF_INV_COLS " FROM invitations WHERE org_id = ? AND status = 'pending' AND expires_at > ? "
                "AND (created_at > ? OR (created_at = ? AND id > ?)) ORDER BY created_at, id LIMIT ?");
    q.Text(org_id).Int(now).Keyset(page);
    return Collect<Invitation>(q, rows::ReadInvitation<Query>);
  }
  Result<int64_t> CountPending(std::string_view org_id, Timestamp now) override {
    Query q(c_, "SELECT COUNT(*) FROM invitations WHERE org_id = ? AND status = 'pending' AND expires_at > ?");
    q.Text(org_id).Int(now);
    WHARF_TRY(q.Step());
    return q.I64(0);
  }
  Result<std::optional<Invitation>> FindPendingByEmail(std::string_view org_id, std::string_view email,
                                                       Timestamp now) override {
    Query q(c_, "SELECT " WHARF_INV_COLS " FROM invitations WHERE org_id = ? AND email = ? AND status = 'pending' "
                "AND expires_at > ?");
    q.Text(org_id).Text(email).Int(now);
    return One<Invitation>(q, rows::ReadInvitation<Query>);
  }
  Status Update(const Invitation& i) override {
    Query q(c_, "UPDATE invitations SET token_hash = ?, status = ?, expires_at = ?, email_status = ?, email_error = ?, "
                "updated_at = ?, accepted_at = ?, accepted_by = ?, role_id = ? WHERE org_id = ? AND id = ?");
    // role_id too: a deleted role's pending invitations move with reassign_to.
    q.Text(i.token_hash).Text(domain::InvitationStatusName(i.status)).Int(i.expires_at).Text(i.email_status);
    q.Text(i.email_error).Int(i.updated_at).Int(i.accepted_at).Text(i.accepted_by).Text(i.role_id);
    q.Text(i.org_id).Text(i.id);
    return q.Exec();
  }

};

WHARF_REPO(SqliteSshKeys, SshKeyRepository)
  Status Insert(const SshKey& k) override {
    Query q(c_, "INSERT INTO ssh_keys (id, org_id, name, type, public_key, fingerprint, private_key_sealed, created_at, "
                "updated_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    q.Text(k.id).Text(k.org_id).Text(k.name).Text(k.type).Text(k.public_key).Text(k.fingerprint);
    q.Blob(k.private_key_sealed).Int(k.created_at).Int(k.updated_at).Text(k.created_by);
    return q.Exec("An SSH key named '" + k.name + "' already exists in this organisation.");
  }
  Result<std::optional<SshKey>> Find(std::string_view org_id, std::string_view id) override {
    Query q(c_, "SELECT id, org_id, name, type, public_key, fingerprint, private_key_sealed, created_at, updated_at, "
                "created_by FROM ssh_keys WHERE org_id = ? AND id = ?");
    q.Text(org_id).Text(id);
    return One<SshKey>(q, rows::ReadSshKey<Query>);
  }
  Result<std::vector<SshKey>> List(std::string_view org_id, const PageQuery& page) override {
    if (!page.created_by.empty()) {
      Query q(c_, "SELECT " WHARF_KEY_LIST_COLS " FROM ssh_keys WHERE org_id = ? AND created_by = ? AND (created_at > ? OR "
                  "(created_at = ? AND id > ?)) ORDER BY created_at, id LIMIT ?");
      q.Text(org_id).Text(page.created_by).Keyset(page);
      return Collect<SshKey>(q, rows::ReadSshKey<Query>, static_cast<size_t>(page.limit) + 1);
    }
    Query q(c_, "SELECT " WHARF_KEY_LIST_COLS " FROM ssh_keys WHERE org_id = ? AND (created_at > ? OR (created_at = ? AND id > ?)) "
                "ORDER BY created_at, id LIMIT ?");
    q.Text(org_id).Keyset(page);
    return Collect<SshKey>(q, rows::ReadSshKey<Query>, static_cast<size_t>(page.limit) + 1);
  }
  Status Visit(std::string_view org_id, const PageQuery& page,
               const std::function<void(const domain::SshKeyView&)>& fn) override {
    auto visit = [&](Query& q) -> Status {
      while (true) {
        WHARF_ASSIGN_OR_RETURN(bool row, q.Step());
        if (!row) return Ok();
        fn(rows::ReadSshKeyView(q));
      }
    };
    if (!page.created_by.empty()) {
      Query q(c_, "SELECT " WHARF_KEY_LIST_COLS " FROM ssh_keys WHERE org_id = ? AND created_by = ? AND (created_at > ? OR "
                  "(created_at = ? AND id > ?)) ORDER BY created_at, id LIMIT ?");
      q.Text(org_id).Text(page.created_by).Keyset(page);
      return visit(q);
    }
    Query q(c_, "SELECT " WHARF_KEY_LIST_COLS " FROM ssh_keys WHERE org_id = ? AND (created_at > ? OR (created_at = ? AND id > ?)) "
                "ORDER BY created_at, id LIMIT ?");
    q.Text(org_id).Keyset(page);
    return visit(q);
  }
  Status Update(const SshKey& k) override {
    Query q(c_, "UPDATE ssh_keys SET name = ?, updated_at = ? WHERE org_id = ? AND id = ?");
    q.Text(k.name).Int(k.updated_at).Text(k.org_id).Text(k.id);
    return q.Exec("An SSH key named '" + k.name + "' already exists in this organisation.");
  }
  Result<bool> Delete(std::string_view org_id, std::string_view id) override {
    Query q(c_, "DELETE FROM ssh_keys WHERE org_id = ? AND id = ?");
    q.Text(org_id).Text(id);
    WHARF_TRY(q.Exec());
    return q.Changes() > 0;
  }
  Result<int64_t> CountCreatedBy(std::string_view org_id, std::string_view user_id) override {
    Query q(c_, "SELECT COUNT(*) FROM ssh_keys WHERE org_id = ? AND created_by = ?");
    q.Text(org_id).Text(user_id);
    WHARF_TRY(q.Step());
    return q.I64(0);
  }

};

WHARF_REPO(SqliteSecurityGroups, SecurityGroupRepository)
  Status Insert(const domain::SecurityGroup& g) override {
    Query q(c_, "INSERT INTO security_groups (" WHARF_GROUP_COLS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
    q.Text(g.id).Text(g.org_id).Text(g.name).Text(g.description).Text(rows::RulesJson(g.inbound).dump());
    q.Text(rows::RulesJson(g.outbound).dump()).Int(g.created_at).Int(g.updated_at).Text(g.created_by);
    return q.Exec("A security group named '" + g.name + "' already exists in this organisation.");
  }
  Result<std::optional<domain::SecurityGroup>> Find(std::string_view org_id, std::string_view id) override {
    Query q(c_, "SELECT " WHARF_GROUP_COLS " FROM security_groups WHERE org_id = ? AND id = ?");
    q.Text(org_id).Text(id);
    return One<domain::SecurityGroup>(q, rows::ReadGroup<Query>);
  }
  Result<std::vector<domain::SecurityGroup>> List(std::string_view org_id, const PageQuery& page) override {
    Query q(c_, "SELECT " WHARF_GROUP_COLS " FROM security_groups WHERE org_id = ? AND (? = '' OR created_by = ?) "
                "AND (created_at > ? OR (created_at = ? AND id > ?)) ORDER BY created_at, id LIMIT ?");
    q.Text(org_id).Text(page.created_by).Text(page.created_by).Keyset(page);
    return Collect<domain::SecurityGroup>(q, rows::ReadGroup<Query>);
  }
  Status Update(const domain::SecurityGroup& g) override {
    Query q(c_, "UPDATE security_groups SET name = ?, description = ?, inbound = ?, outbound = ?, updated_at = ? "
                "WHERE org_id = ? AND id = ?");
    q.Text(g.name).Text(g.description).Text(rows::RulesJson(g.inbound).dump()).Text(rows::RulesJson(g.outbound).dump());
    q.Int(g.updated_at).Text(g.org_id).Text(g.id);
    return q.Exec("A security group named '" + g.name + "' already exists in this organisation.");
  }
  Result<bool> Delete(std::string_view org_id, std::string_view id) override {
    Query q(c_, "DELETE FROM security_groups WHERE org_id = ? AND id = ?");
    q.Text(org_id).Text(id);
    WHARF_TRY(q.Exec());
    return q.Changes() > 0;
  }
  Result<int64_t> CountCreatedBy(std::string_view org_id, std::string_view user_id) override {
    Query q(c_, "SELECT COUNT(*) FROM security_groups WHERE org_id = ? AND created_by = ?");
    q.Text(org_id).Text(user_id);
    WHARF_TRY(q.Step());
    return q.I64(0);
  }
};

WHARF_REPO(SqliteServers, ServerRepository)
  static std::string Ids(const std::vector<std::string>& ids) { return json(ids).dump(); }
  Status Insert(const domain::Server& s) override {
    Query q(c_, "INSERT INTO servers (" WHARF_SERVER_COLS
                    ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    q.Text(s.id).Text(s.org_id).Text(s.name).Text(s.host).Int(s.port).Text(s.username).Text(s.ssh_key_id);
    q.Text(Ids(s.security_group_ids)).Text(s.host_key_fingerprint).Text(s.status).Text(s.last_check).Int(s.last_check_at);
    q.Text(s.last_error).Int(s.consecutive_failures).Int(s.next_check_at).Text(s.source_address).Int(s.created_at);
    q.Int(s.updated_at).Text(s.created_by);
    return q.Exec("A server named '" + s.name + "' already exists in this organisation.");
  }
  Result<std::optional<domain::Server>> Find(std::string_view org_id, std::string_view id) override {
    Query q(c_, "SELECT " WHARF_SERVER_COLS " FROM servers WHERE org_id = ? AND id = ?");
    q.Text(org_id).Text(id);
    return One<domain::Server>(q, rows::ReadServer<Query>);
  }
  Result<std::vector<domain::Server>> List(std::string_view org_id, const PageQuery& page) override {
    Query q(c_, "SELECT " WHARF_SERVER_COLS " FROM servers WHERE org_id = ? AND (? = '' OR created_by = ?) "
                "AND (created_at > ? OR (created_at = ? AND id > ?)) ORDER BY created_at, id LIMIT ?");
    q.Text(org_id).Text(page.created_by).Text(page.created_by).Keyset(page);
    return Collect<domain::Server>(q, rows::ReadServer<Query>);
  }
  Status Update(const domain::Server& s) override {
    Query q(c_, "UPDATE servers SET name = ?, host = ?, port = ?, username = ?, ssh_key_id = ?, security_group_ids = ?, "
                "host_key_fingerprint = ?, status = ?, last_check = ?, last_check_at = ?, last_error = ?, "
                "consecutive_failures = ?, next_check_at = ?, source_address = ?, updated_at = ? WHERE org_id = ? AND id = ?");
    q.Text(s.name).Text(s.host).Int(s.port).Text(s.username).Text(s.ssh_key_id).Text(Ids(s.security_group_ids));
    q.Text(s.host_key_fingerprint).Text(s.status).Text(s.last_check).Int(s.last_check_at).Text(s.last_error);
    q.Int(s.consecutive_failures).Int(s.next_check_at).Text(s.source_address).Int(s.updated_at).Text(s.org_id).Text(s.id);
    return q.Exec("A server named '" + s.name + "' already exists in this organisation.");
  }
  Result<bool> Delete(std::string_view org_id, std::string_view id) override {
    Query q(c_, "DELETE FROM servers WHERE org_id = ? AND id = ?");
    q.Text(org_id).Text(id);
    WHARF_TRY(q.Exec());
    return q.Changes() > 0;
  }
  Result<int64_t> CountCreatedBy(std::string_view org_id, std::string_view user_id) override {
    Query q(c_, "SELECT COUNT(*) FROM servers WHERE org_id = ? AND created_by = ?");
    q.Text(org_id).Text(user_id);
    WHARF_TRY(q.Step());
    return q.I64(0);
  }
  Result<std::vector<domain::Server>> ListUsingKey(std::string_view org_id, std::string_view key_id) override {
    Query q(c_, "SELECT " WHARF_SERVER_COLS " FROM servers WHERE org_id = ? AND ssh_key_id = ? ORDER BY name");
    q.Text(org_id).Text(key_id);
    return Collect<domain::Server>(q, rows::ReadServer<Query>);
  }
  Result<std::vector<domain::Server>> ListUsingGroup(std::string_view org_id, std::string_view group_id) override {
    Query q(c_, "SELECT " WHARF_SERVER_COLS " FROM servers WHERE org_id = ? AND EXISTS "
                "(SELECT 1 FROM json_each(servers.security_group_ids) WHERE value = ?) ORDER BY name");
    q.Text(org_id).Text(group_id);
    return Collect<domain::Server>(q, rows::ReadServer<Query>);
  }
  Result<std::vector<domain::Server>> ListDue(Timestamp now, int limit) override {
    Query q(c_, "SELECT " WHARF_SERVER_COLS " FROM servers WHERE next_check_at <= ? ORDER BY next_check_at, id LIMIT ?");
    q.Int(now).Int(limit);
    return Collect<domain::Server>(q, rows::ReadServer<Query>);
  }
  Status RecordCheck(const domain::Server& s, const domain::ServerCheck& c, int keep) override {
    Query u(c_, "UPDATE servers SET host_key_fingerprint = ?, status = ?, last_check = ?, last_check_at = ?, last_error = ?, "
                "consecutive_failures = ?, next_check_at = ?, source_address = ? WHERE org_id = ? AND id = ?");
    u.Text(s.host_key_fingerprint).Text(s.status).Text(s.last_check).Int(s.last_check_at).Text(s.last_error);
    u.Int(s.consecutive_failures).Int(s.next_check_at).Text(s.source_address).Text(s.org_id).Text(s.id);
    WHARF_TRY(u.Exec());
    if (u.Changes() == 0) return Ok();  // deleted meanwhile
    Query i(c_, "INSERT INTO server_checks (org_id, server_id, at, ok, duration_ms, report) VALUES (?, ?, ?, ?, ?, ?)");
    i.Text(c.org_id).Text(c.server_id).Int(c.at).Int(c.ok ? 1 : 0).Int(c.duration_ms).Text(c.report);
    WHARF_TRY(i.Exec());
    Query d(c_, "DELETE FROM server_checks WHERE server_id = ? AND id <= (SELECT id FROM server_checks WHERE server_id = ? "
                "ORDER BY id DESC LIMIT 1 OFFSET ?)");
    d.Text(c.server_id).Text(c.server_id).Int(keep);
    return d.Exec();
  }
  Result<std::vector<domain::ServerCheck>> ListChecks(std::string_view org_id, std::string_view server_id, int limit) override {
    Query q(c_, "SELECT id, org_id, server_id, at, ok, duration_ms, report FROM server_checks WHERE org_id = ? AND "
                "server_id = ? ORDER BY id DESC LIMIT ?");
    q.Text(org_id).Text(server_id).Int(limit);
    return Collect<domain::ServerCheck>(q, [](Query& r) -> Result<domain::ServerCheck> {
      return domain::ServerCheck{r.I64(0), r.Str(1), r.Str(2), r.I64(3), r.I64(4) != 0, r.I64(5), r.Str(6)};
    });
  }
};

WHARF_REPO(SqliteIntegrations, IntegrationRepository)
  Status Insert(const domain::Integration& i) override {
    Query q(c_, "INSERT INTO integrations (" WHARF_INTEGRATION_COLS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    q.Text(i.id).Text(i.org_id).Text(i.kind).Text(i.name).Text(FieldsJson(i.fields)).Text(SealedJson(i.sealed));
    q.Text(i.dedupe_key).Int(i.verified ? 1 : 0).Int(i.last_verified_at).Text(i.last_error).Int(i.expires_at);
    q.Int(i.created_at).Int(i.updated_at).Text(i.created_by);
    return q.Exec("An integration named '" + i.name + "' or with the same credential already exists in this organisation.");
  }
  Result<std::optional<domain::Integration>> Find(std::string_view org_id, std::string_view kind,
                                                  std::string_view id) override {
    Query q(c_, "SELECT " WHARF_INTEGRATION_COLS " FROM integrations WHERE org_id = ? AND kind = ? AND id = ?");
    q.Text(org_id).Text(kind).Text(id);
    return One<domain::Integration>(q, rows::ReadIntegration<Query>);
  }
  Result<std::optional<domain::Integration>> FindByDedupeKey(std::string_view org_id, std::string_view kind,
                                                             std::string_view key) override {
    Query q(c_, "SELECT " WHARF_INTEGRATION_COLS " FROM integrations WHERE org_id = ? AND kind = ? AND dedupe_key = ?");
    q.Text(org_id).Text(kind).Text(key);
    return One<domain::Integration>(q, rows::ReadIntegration<Query>);
  }
  Result<std::vector<domain::Integration>> List(std::string_view org_id, std::string_view kind,
                                                const PageQuery& page) override {
    Query q(c_, "SELECT " WHARF_INTEGRATION_COLS " FROM integrations WHERE org_id = ? AND kind = ? AND (? = '' OR "
                "created_by = ?) AND (created_at > ? OR (created_at = ? AND id > ?)) ORDER BY created_at, id LIMIT ?");
    q.Text(org_id).Text(kind).Text(page.created_by).Text(page.created_by).Keyset(page);
    return Collect<domain::Integration>(q, rows::ReadIntegration<Query>);
  }
  Status Update(const domain::Integration& i) override {
    Query q(c_, "UPDATE integrations SET name = ?, fields = ?, sealed = ?, dedupe_key = ?, verified = ?, "
                "last_verified_at = ?, last_error = ?, expires_at = ?, updated_at = ? WHERE org_id = ? AND kind = ? AND id = ?");
    q.Text(i.name).Text(FieldsJson(i.fields)).Text(SealedJson(i.sealed)).Text(i.dedupe_key).Int(i.verified ? 1 : 0);
    q.Int(i.last_verified_at).Text(i.last_error).Int(i.expires_at).Int(i.updated_at).Text(i.org_id).Text(i.kind).Text(i.id);
    return q.Exec("An integration named '" + i.name + "' or with the same credential already exists in this organisation.");
  }
  Status RecordVerification(const domain::Integration& i) override {
    Query q(c_, "UPDATE integrations SET verified = ?, last_verified_at = ?, last_error = ?, expires_at = ? "
                "WHERE org_id = ? AND kind = ? AND id = ?");
    q.Int(i.verified ? 1 : 0).Int(i.last_verified_at).Text(i.last_error).Int(i.expires_at).Text(i.org_id).Text(i.kind);
    q.Text(i.id);
    return q.Exec();
  }
  Result<bool> Delete(std::string_view org_id, std::string_view kind, std::string_view id) override {
    Query q(c_, "DELETE FROM integrations WHERE org_id = ? AND kind = ? AND id = ?");
    q.Text(org_id).Text(kind).Text(id);
    WHARF_TRY(q.Exec());
    return q.Changes() > 0;
  }
  Result<int64_t> CountCreatedBy(std::string_view org_id, std::string_view kind, std::string_view user_id) override {
    Query q(c_, "SELECT COUNT(*) FROM integrations WHERE org_id = ? AND kind = ? AND created_by = ?");
    q.Text(org_id).Text(kind).Text(user_id);
    WHARF_TRY(q.Step());
    return q.I64(0);
  }
  Result<std::optional<domain::Integration>> FindAnyOrg(std::string_view kind, std::string_view id) override {
    Query q(c_, "SELECT " WHARF_INTEGRATION_COLS " FROM integrations WHERE kind = ? AND id = ?");
    q.Text(kind).Text(id);
    return One<domain::Integration>(q, rows::ReadIntegration<Query>);
  }
  Result<std::vector<domain::Integration>> ListExpiring(std::string_view org_id, Timestamp before, int limit) override {
    Query q(c_, "SELECT " WHARF_INTEGRATION_COLS " FROM integrations WHERE org_id = ? AND expires_at > 0 AND "
                "expires_at <= ? ORDER BY expires_at, id LIMIT ?");
    q.Text(org_id).Int(before).Int(limit);
    return Collect<domain::Integration>(q, rows::ReadIntegration<Query>);
  }
  Result<bool> RememberWebhookDelivery(std::string_view provider_id, std::string_view key, Timestamp at) override {
    Query q(c_, "INSERT INTO webhook_deliveries (provider_id, delivery_key, received_at) VALUES (?, ?, ?) "
                "ON CONFLICT (provider_id, delivery_key) DO NOTHING");
    q.Text(provider_id).Text(key).Int(at);
    WHARF_TRY(q.Exec());
    return q.Changes() > 0;
  }
  Result<int64_t> PruneWebhookDeliveries(Timestamp before) override {
    Query q(c_, "DELETE FROM webhook_deliveries WHERE received_at < ?");
    q.Int(before);
    WHARF_TRY(q.Exec());
    return static_cast<int64_t>(q.Changes());
  }
};

WHARF_REPO(SqliteJobs, JobRepository)
  Status Insert(const Job& j) override {
    Query q(c_, "INSERT INTO jobs (" WHARF_JOB_COLS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    q.Text(j.id).Text(j.org_id).Text(j.kind).Text(j.target_id).Text(j.status).Text(j.error).Text(j.log);
    q.Int(j.created_at).Int(j.started_at).Int(j.finished_at).Text(j.created_by);
    q.Text(j.payload).Text(j.claimed_by).Int(j.lease_until).Int(j.attempts).Int(j.cancel_requested ? 1 : 0).Int(j.log_offset);
    WHARF_TRY(q.Exec("A job with this id already exists, or its target already runs one."));
    if (j.status == "queued") c_.jobs_changed = true;
    return Ok();
  }
  Result<std::optional<Job>> Find(std::string_view org_id, std::string_view id) override {
    Query q(c_, "SELECT " WHARF_JOB_COLS " FROM jobs WHERE org_id = ? AND id = ?");
    q.Text(org_id).Text(id);
    return One<Job>(q, rows::ReadJob<Query>);
  }
  Result<std::optional<Job>> FindTail(std::string_view org_id, std::string_view id, size_t offset) override {
    Query q(c_, "SELECT id, org_id, kind, target_id, status, error, substr(log, max(?1 - log_offset, 0) + 1), created_at, "
                "started_at, finished_at, created_by, " "payload, claimed_by, lease_until, attempts, cancel_requested, "
                "log_offset + max(?1 - log_offset, 0) FROM jobs WHERE org_id = ?2 AND id = ?3");
    q.Int(static_cast<int64_t>(offset)).Text(org_id).Text(id);
    return One<Job>(q, rows::ReadJob<Query>);
  }
  Status AppendLog(std::string_view id, std::string_view text) override {
    Query q(c_, "UPDATE jobs SET log = log || ? WHERE id = ?");
    q.Text(text).Text(id);
    return q.Exec();
  }
  Status TrimLog(std::string_view id, size_t max_bytes) override {
    std::string log;
    {
      Query q(c_, "SELECT log FROM jobs WHERE id = ?");
      q.Text(id);
      WHARF_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) return Ok();
      log = q.Str(0);
    }
    int64_t dropped = 0;
    const size_t cut = JobLogCut(log, max_bytes, &dropped);
    if (cut == 0) return Ok();
    Query u(c_, "UPDATE jobs SET log = ?, log_offset = log_offset + ? WHERE id = ?");
    u.Text(std::string_view(log).substr(cut)).Int(dropped).Text(id);
    return u.Exec();
  }
  Result<std::vector<Job>> ListForTarget(std::string_view org_id, std::string_view target_id, int limit) override {
    Query q(c_, "SELECT " WHARF_JOB_NOLOG_COLS " FROM jobs WHERE org_id = ? AND target_id = ? ORDER BY created_at DESC LIMIT ?");
    q.Text(org_id).Text(target_id).Int(limit);
    return Collect<Job>(q, rows::ReadJob<Query>);
  }
  Result<std::optional<Job>> Claim(const JobClaim& c) override {
    std::optional<Job> job;
    {
      Query q(c_, "SELECT " WHARF_JOB_NOLOG_COLS " FROM jobs WHERE status = 'running' AND lease_until < ? AND "
                  "instr(',' || ? || ',', ',' || kind || ',') > 0 ORDER BY lease_until, id LIMIT 1");
      q.Int(c.now).Text(c.kinds);
      WHARF_ASSIGN_OR_RETURN(job, One<Job>(q, rows::ReadJob<Query>));
    }
    if (!job) {
      Query q(c_, "SELECT " WHARF_JOB_NOLOG_COLS " FROM jobs j WHERE status = 'queued' AND "
                  "instr(',' || ?1 || ',', ',' || kind || ',') > 0 AND NOT EXISTS (SELECT 1 FROM jobs r WHERE "
                  "r.target_id = j.target_id AND r.status = 'running') AND NOT EXISTS (SELECT 1 FROM jobs o WHERE "
                  "o.target_id = j.target_id AND o.status = 'queued' AND (o.created_at, o.id) < (j.created_at, j.id) AND "
                  "instr(',' || ?1 || ',', ',' || o.kind || ',') > 0) ORDER BY created_at, id LIMIT 1");
      q.Text(c.kinds);
      WHARF_ASSIGN_OR_RETURN(job, One<Job>(q, rows::ReadJob<Query>));
    }
    if (!job) return job;
    Query u(c_, "UPDATE jobs SET status = 'running', claimed_by = ?, lease_until = ?, attempts = attempts + 1, "
                "started_at = CASE WHEN started_at = 0 THEN ? ELSE started_at END WHERE id = ?");
    u.Text(c.replica_id).Int(c.lease_until).Int(c.now).Text(job->id);
    WHARF_TRY(u.Exec("Another job of this target is running."));
    job->status = "running";
    job->claimed_by = c.replica_id;
    job->lease_until = c.lease_until;
    job->attempts += 1;
    if (job->started_at == 0) job->started_at = c.now;
    return job;
  }
  Result<std::optional<bool>> Heartbeat(std::string_view id, std::string_view replica_id, int64_t attempts,
                                        Timestamp lease_until) override {
    Query q(c_, "UPDATE jobs SET lease_until = ? WHERE id = ? AND claimed_by = ? AND attempts = ? AND status = 'running' "
                "RETURNING cancel_requested");
    q.Int(lease_until).Text(id).Text(replica_id).Int(attempts);
    WHARF_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) return std::optional<bool>();
    return std::optional<bool>(q.I64(0) != 0);
  }
  Result<bool> Finish(const Job& j, std::string_view replica_id, int64_t attempts) override {
    Query q(c_, "UPDATE jobs SET status = ?1, error = ?2, finished_at = ?3, lease_until = 0, "
                "claimed_by = CASE WHEN ?1 = 'queued' THEN '' ELSE claimed_by END "
                "WHERE id = ?4 AND claimed_by = ?5 AND attempts = ?6 AND status = 'running'");
    q.Text(j.status).Text(j.error).Int(j.finished_at).Text(j.id).Text(replica_id).Int(attempts);
    WHARF_TRY(q.Exec());
    const bool held = q.Changes() > 0;
    if (held) c_.jobs_changed = true;
    return held;
  }
  Result<std::optional<Job>> RequestCancel(std::string_view org_id, std::string_view id, Timestamp now) override {
    {
      Query q(c_, "UPDATE jobs SET cancel_requested = CASE WHEN status IN ('queued', 'running') THEN 1 ELSE "
                  "cancel_requested END, finished_at = CASE WHEN status = 'queued' THEN ? ELSE finished_at END, "
                  "status = CASE WHEN status = 'queued' THEN 'cancelled' ELSE status END WHERE org_id = ? AND id = ?");
      q.Int(now).Text(org_id).Text(id);
      WHARF_TRY(q.Exec());
    }
    Query q(c_, "SELECT " WHARF_JOB_NOLOG_COLS " FROM jobs WHERE org_id = ? AND id = ?");
    q.Text(org_id).Text(id);
    return One<Job>(q, rows::ReadJob<Query>);
  }
};

WHARF_REPO(SqliteAudit, AuditRepository)
  Result<int64_t> Append(const AuditEvent& e) override {
    Query q(c_, "INSERT INTO audit_events (org_id, at, actor_id, actor_email, action, collection, resource_id, outcome, "
                "request_id, ip, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    q.Text(e.org_id).Int(e.at).Text(e.actor_id).Text(e.actor_email).Text(e.action).Text(e.collection);
    q.Text(e.resource_id).Text(e.outcome).Text(e.request_id).Text(e.ip).Text(e.detail);
    WHARF_TRY(q.Exec());
    return static_cast<int64_t>(sqlite3_last_insert_rowid(c_.db()));
  }
  Result<std::vector<AuditEvent>> List(std::string_view org_id, int64_t before_id, int limit) override {
    Query q(c_, "SELECT id, org_id, at, actor_id, actor_email, action, collection, resource_id, outcome, request_id, ip, "
                "detail FROM audit_events WHERE org_id = ? AND id < ? ORDER BY id DESC LIMIT ?");
    q.Text(org_id).Int(before_id > 0 ? before_id : INT64_MAX).Int(limit + 1);
    return Collect<AuditEvent>(q, rows::ReadAudit<Query>);
  }
};

WHARF_REPO(SqliteApplications, ApplicationRepository)
  Status Insert(const domain::Application& a) override {
    Query q(c_, "INSERT INTO applications (" WHARF_APP_COLS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    q.Text(a.id).Text(a.org_id).Text(a.name).Text(a.description).Text(a.server_id).Int(a.created_at).Int(a.updated_at);
    q.Text(a.created_by);
    return q.Exec("An application named '" + a.name + "' already exists in this organisation.");
  }
  Result<std::optional<domain::Application>> Find(std::string_view org_id, std::string_view id) override {
    Query q(c_, "SELECT " WHARF_APP_COLS " FROM applications WHERE org_id = ? AND id = ?");
    q.Text(org_id).Text(id);
    return One<domain::Application>(q, rows::ReadApplication<Query>);
  }
  Result<std::vector<domain::Application>> List(std::string_view org_id, const PageQuery& page) override {
    Query q(c_, "SELECT " WHARF_APP_COLS " FROM applications WHERE org_id = ? AND (? = '' OR created_by = ?) AND "
                "(created_at > ? OR (created_at = ? AND id > ?)) ORDER BY created_at, id LIMIT ?");
    q.Text(org_id).Text(page.created_by).Text(page.created_by).Keyset(page);
    return Collect<domain::Application>(q, rows::ReadApplication<Query>);
  }
  Status Update(const domain::Application& a) override {
    Query q(c_, "UPDATE applications SET name = ?, description = ?, server_id = ?, updated_at = ? WHERE org_id = ? AND id = ?");
    q.Text(a.name).Text(a.description).Text(a.server_id).Int(a.updated_at).Text(a.org_id).Text(a.id);
    return q.Exec("An application named '" + a.name + "' already exists in this organisation.");
  }
  Result<bool> Delete(std::string_view org_id, std::string_view id) override {
    Query q(c_, "DELETE FROM applications WHERE org_id = ? AND id = ?");
    q.Text(org_id).Text(id);
    WHARF_TRY(q.Exec());
    return q.Changes() > 0;
  }
  Result<int64_t> CountCreatedBy(std::string_view org_id, std::string_view user_id) override {
    Query q(c_, "SELECT COUNT(*) FROM applications WHERE org_id = ? AND created_by = ?");
    q.Text(org_id).Text(user_id);
    WHARF_TRY(q.Step());
    return q.I64(0);
  }
};

WHARF_REPO(SqliteAppServices, AppServiceRepository)
  Status Insert(const domain::AppService& s) override {
    Query q(c_, "INSERT INTO app_services (" WHARF_APP_SERVICE_COLS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    q.Text(s.id).Text(s.org_id).Text(s.application_id).Text(s.name).Text(s.type).Text(s.config).Blob(s.variables_sealed);
    q.Blob(s.credentials_sealed).Text(s.unset_keys).Text(s.status).Int(s.created_at).Int(s.updated_at).Text(s.created_by);
    return q.Exec("A service named '" + s.name + "' already exists in this application.");
  }
  Result<std::optional<domain::AppService>> Find(std::string_view org_id, std::string_view id) override {
    Query q(c_, "SELECT " WHARF_APP_SERVICE_COLS " FROM app_services WHERE org_id = ? AND id = ?");
    q.Text(org_id).Text(id);
    return One<domain::AppService>(q, rows::ReadAppService<Query>);
  }
  Result<std::vector<domain::AppService>> ListForApplication(std::string_view org_id, std::string_view app_id) override {
    Query q(c_, "SELECT " WHARF_APP_SERVICE_COLS " FROM app_services WHERE org_id = ? AND application_id = ? "
                "ORDER BY created_at, id");
    q.Text(org_id).Text(app_id);
    return Collect<domain::AppService>(q, rows::ReadAppService<Query>);
  }
  Status Update(const domain::AppService& s) override {
    Query q(c_, "UPDATE app_services SET name = ?, config = ?, variables_sealed = ?, credentials_sealed = ?, unset_keys = ?, "
                "status = ?, updated_at = ? WHERE org_id = ? AND id = ?");
    q.Text(s.name).Text(s.config).Blob(s.variables_sealed).Blob(s.credentials_sealed).Text(s.unset_keys).Text(s.status);
    q.Int(s.updated_at).Text(s.org_id).Text(s.id);
    return q.Exec("A service named '" + s.name + "' already exists in this application.");
  }
  Result<bool> Delete(std::string_view org_id, std::string_view id) override {
    Query q(c_, "DELETE FROM app_services WHERE org_id = ? AND id = ?");
    q.Text(org_id).Text(id);
    WHARF_TRY(q.Exec());
    return q.Changes() > 0;
  }
  Result<int64_t> CountCreatedBy(std::string_view org_id, std::string_view user_id) override {
    Query q(c_, "SELECT COUNT(*) FROM app_services WHERE org_id = ? AND created_by = ?");
    q.Text(org_id).Text(user_id);
    WHARF_TRY(q.Step());
    return q.I64(0);
  }
};

WHARF_REPO(SqliteTemplates, TemplateRepository)
  Status Insert(const domain::AppTemplate& t) override {
    Query q(c_, "INSERT INTO app_templates (" WHARF_TEMPLATE_COLS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    q.Text(t.id).Text(t.org_id).Text(t.name).Text(t.description).Text(t.body).Int(t.created_at).Int(t.updated_at);
    q.Text(t.created_by);
    return q.Exec("A template named '" + t.name + "' already exists in this organisation.");
  }
  Result<std::optional<domain::AppTemplate>> Find(std::string_view org_id, std::string_view id) override {
    Query q(c_, "SELECT " WHARF_TEMPLATE_COLS " FROM app_templates WHERE org_id = ? AND id = ?");
    q.Text(org_id).Text(id);
    return One<domain::AppTemplate>(q, rows::ReadTemplate<Query>);
  }
  Result<std::vector<domain::AppTemplate>> List(std::string_view org_id, const PageQuery& page) override {
    Query q(c_, "SELECT " WHARF_TEMPLATE_COLS " FROM app_templates WHERE org_id = ? AND (? = '' OR created_by = ?) AND "
                "(created_at > ? OR (created_at = ? AND id > ?)) ORDER BY created_at, id LIMIT ?");
    q.Text(org_id).Text(page.created_by).Text(page.created_by).Keyset(page);
    return Collect<domain::AppTemplate>(q, rows::ReadTemplate<Query>);
  }
  Status Update(const domain::AppTemplate& t) override {
    Query q(c_, "UPDATE app_templates SET name = ?, description = ?, body = ?, updated_at = ? WHERE org_id = ? AND id = ?");
    q.Text(t.name).Text(t.description).Text(t.body).Int(t.updated_at).Text(t.org_id).Text(t.id);
    return q.Exec("A template named '" + t.name + "' already exists in this organisation.");
  }
  Result<bool> Delete(std::string_view org_id, std::string_view id) override {
    Query q(c_, "DELETE FROM app_templates WHERE org_id = ? AND id = ?");
    q.Text(org_id).Text(id);
    WHARF_TRY(q.Exec());
    return q.Changes() > 0;
  }
  Result<int64_t> CountCreatedBy(std::string_view org_id, std::string_view user_id) override {
    Query q(c_, "SELECT COUNT(*) FROM app_templates WHERE org_id = ? AND created_by = ?");
    q.Text(org_id).Text(user_id);
    WHARF_TRY(q.Step());
    return q.I64(0);
  }
};

WHARF_REPO(SqliteDeployments, DeploymentRepository)
  Status Insert(const domain::Deployment& d) override {
    Query q(c_, "INSERT INTO deployments (id, org_id, application_id, service_id, action, trigger_kind, ref, commit_sha, "
                "error_layer, error_fix, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    q.Text(d.id).Text(d.org_id).Text(d.application_id).Text(d.service_id).Text(d.action).Text(d.trigger).Text(d.ref);
    q.Text(d.commit_sha).Text(d.error_layer).Text(d.error_fix).Int(d.created_at).Text(d.created_by);
    return q.Exec();
  }
  Result<std::optional<domain::Deployment>> Find(std::string_view org_id, std::string_view id) override {
    Query q(c_, WHARF_DEPLOYMENT_SELECT "WHERE d.org_id = ? AND d.id = ?");
    q.Text(org_id).Text(id);
    return One<domain::Deployment>(q, rows::ReadDeployment<Query>);
  }
  Result<std::vector<domain::Deployment>> List(std::string_view org_id, std::string_view application_id,
                                               std::string_view service_id, const PageQuery& page) override {
    Query q(c_, WHARF_DEPLOYMENT_SELECT "WHERE d.org_id = ? AND (? = '' OR d.application_id = ?) AND "
                "(? = '' OR d.service_id = ?) AND (? = '' OR d.created_at < ? OR (d.created_at = ? AND d.id < ?)) "
                "ORDER BY d.created_at DESC, d.id DESC LIMIT ?");
    q.Text(org_id).Text(application_id).Text(application_id).Text(service_id).Text(service_id);
    q.Text(page.after_id).Int(page.after_created_at).Int(page.after_created_at).Text(page.after_id).Int(page.limit + 1);
    return Collect<domain::Deployment>(q, rows::ReadDeployment<Query>);
  }
  Status SetOutcome(std::string_view org_id, std::string_view id, std::string_view commit_sha,
                    std::string_view error_layer, std::string_view error_fix) override {
    Query q(c_, "UPDATE deployments SET commit_sha = CASE WHEN ? = '' THEN commit_sha ELSE ? END, error_layer = ?, "
                "error_fix = ? WHERE org_id = ? AND id = ?");
    q.Text(commit_sha).Text(commit_sha).Text(error_layer).Text(error_fix).Text(org_id).Text(id);
    return q.Exec();
  }
};

#undef WHARF_REPO

class SqliteTx final : public Tx {
 public:
  explicit SqliteTx(Conn& c)
      : conn_(c), users_(c), orgs_(c), roles_(c), memberships_(c), sessions_(c), api_tokens_(c), invitations_(c),
        ssh_keys_(c), security_groups_(c), servers_(c), jobs_(c), integrations_(c), audit_(c),
        applications_(c), app_services_(c), templates_(c), deployments_(c) {}
  ApplicationRepository& applications() override { return applications_; }
  AppServiceRepository& app_services() override { return app_services_; }
  TemplateRepository& templates() override { return templates_; }
  DeploymentRepository& deployments() override { return deployments_; }
  UserRepository& users() override { return users_; }
  OrgRepository& orgs() override { return orgs_; }
  RoleRepository& roles() override { return roles_; }
  MembershipRepository& memberships() override { return memberships_; }
  SessionRepository& sessions() override { return sessions_; }
  ApiTokenRepository& api_tokens() override { return api_tokens_; }
  InvitationRepository& invitations() override { return invitations_; }
  SshKeyRepository& ssh_keys() override { return ssh_keys_; }
  SecurityGroupRepository& security_groups() override { return security_groups_; }
  ServerRepository& servers() override { return servers_; }
  JobRepository& jobs() override { return jobs_; }
  IntegrationRepository& integrations() override { return integrations_; }
  AuditRepository& audit() override { return audit_; }
  sqlite3* db() { return conn_.db(); }

 private:
  Conn& conn_;
  SqliteUsers users_;
  SqliteOrgs orgs_;
  SqliteRoles roles_;
  SqliteMemberships memberships_;
  SqliteSessions sessions_;
  SqliteApiTokens api_tokens_;
  SqliteInvitations invitations_;
  SqliteSshKeys ssh_keys_;
  SqliteSecurityGroups security_groups_;
  SqliteServers servers_;
  SqliteJobs jobs_;
  SqliteIntegrations integrations_;
  SqliteAudit audit_;
  SqliteApplications applications_;
  SqliteAppServices app_services_;
  SqliteTemplates templates_;
  SqliteDeployments deployments_;
};

Result<std::unique_ptr<Conn>> OpenConn(const std::string& path, const SqliteOptions& opts, bool reader) {
  sqlite3* db = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  auto conn = std::make_unique<Conn>(db);
  if (rc != SQLITE_OK)
    return Err(Error{ErrorCode::kUnavailable, "cannot open the database at " + path,
                     db ? sqlite3_errmsg(db) : "out of memory", Layer::kNone, json::object()});
  sqlite3_busy_timeout(db, opts.busy_timeout_ms);
  sqlite3_extended_result_codes(db, 1);
  std::string pragmas = "PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL; PRAGMA temp_store = MEMORY;";
  if (!reader) pragmas = "PRAGMA journal_mode = WAL; " + pragmas;
  else pragmas += " PRAGMA query_only = ON;";
  WHARF_TRY(conn->ExecScript(pragmas));
  return conn;
}

class SqliteStore final : public Store {
 public:
  SqliteStore(std::unique_ptr<Conn> writer, std::vector<std::unique_ptr<Conn>> readers)
      : writer_(std::move(writer)), readers_(std::move(readers)) {
    for (auto& r : readers_) free_.push_back(r.get());
  }

  Status Migrate() {
    std::lock_guard lock(write_mu_);
    WHARF_TRY(writer_->ExecScript("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
                                  "applied_at INTEGER NOT NULL DEFAULT (strftime('%s','now')))"));
    int current = 0;
    {
      Query q(*writer_, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
      WHARF_TRY(q.Step());
      current = static_cast<int>(q.I64(0));
    }
    const auto& m = Migrations(Dialect::kSqlite);
    if (current > static_cast<int>(m.size()))
      return Err(ErrorCode::kUnavailable, "The database was written by a newer Wharf (schema " + std::to_string(current) +
                                              "); upgrade Wharf.");
    for (int v = current + 1; v <= static_cast<int>(m.size()); ++v) {
      WHARF_TRY(writer_->ExecScript("BEGIN IMMEDIATE"));
      auto st = writer_->ExecScript(m[v - 1]);
      if (st) st = writer_->ExecScript("INSERT INTO schema_migrations (version) VALUES (" + std::to_string(v) + ")");
      if (!st) {
        (void)writer_->ExecScript("ROLLBACK");
        return st;
      }
      WHARF_TRY(writer_->ExecScript("COMMIT"));
      log::Info("migration_applied", {{"version", v}});
    }
    version_ = static_cast<int>(m.size());
    return Ok();
  }

  Status Write(const std::function<Status(Tx&)>& fn) override { return WriteNotifying(fn, true); }

  // Job claims, heartbeats, log appends and job ends commit without waiting for fsync
  // (synchronous=NORMAL under WAL): they survive a crash of the process like every write, and
  // the next durable commit flushes them. A power loss can only take back the last few: a lost
  // claim leaves the job queued, a lost end leaves it to be taken over after its lease
  // (handlers resume), so the queue stays correct and claims are not bound by the disk's fsync.
  Status WriteConcurrent(const std::function<Status(Tx&)>& fn) override { return WriteNotifying(fn, false); }

  Status WriteNotifying(const std::function<Status(Tx&)>& fn, bool durable) {
    bool jobs_changed = false;
    Status st = WriteLocked(fn, &jobs_changed, durable);
    if (jobs_changed) {
      std::lock_guard lock(jobs_watch_mu_);
      if (jobs_watcher_) jobs_watcher_();
    }
    return st;
  }

  void WatchJobs(std::function<void()> fn) override {
    std::lock_guard lock(jobs_watch_mu_);
    jobs_watcher_ = std::move(fn);
  }

  Status Read(const std::function<Status(Tx&)>& fn) override {
    Conn* c = Acquire();
    Status st = [&]() -> Status {
      {
        Query begin(*c, "BEGIN");
        WHARF_TRY(begin.Exec());
      }
      SqliteTx tx(*c);
      Status inner = fn(tx);
      Query end(*c, "COMMIT");
      Status ended = end.Exec();
      if (!inner) return inner;
      return ended;
    }();
    Release(c);
    return st;
  }

  bool Ready() override {
    Conn* c = Acquire();
    bool ok = false;
    {
      Query q(*c, "SELECT COUNT(*) FROM schema_migrations");
      auto r = q.Step();
      ok = r && *r;
    }
    Release(c);
    return ok && version_ > 0;
  }

  int SchemaVersion() override { return version_; }

  Result<int64_t> CountRows(std::string_view table) override {
    if (!IsDataTable(table)) return Internal("unknown table " + std::string(table));
    Conn* c = Acquire();
    auto n = CountIn(*c, table);
    Release(c);
    return n;
  }

  Status ScanRows(std::string_view table, const std::function<Status(const RawRow&)>& fn) override {
    if (!IsDataTable(table)) return Internal("unknown table " + std::string(table));
    return Read([&](Tx& tx) -> Status {
      sqlite3* db = static_cast<SqliteTx&>(tx).db();
      const std::string sql = "SELECT * FROM " + std::string(table) + " ORDER BY 1, 2";
      sqlite3_stmt* st = nullptr;
      if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) return Internal(std::string("sqlite: ") + sqlite3_errmsg(db));
      std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> guard(st, sqlite3_finalize);
      std::vector<std::string> cols;
      for (int i = 0; i < sqlite3_column_count(st); ++i) cols.emplace_back(sqlite3_column_name(st, i));
      RawRow row;
      row.columns = &cols;
      int rc;
      while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        row.cells.assign(cols.size(), RawCell{});
        for (int i = 0; i < static_cast<int>(cols.size()); ++i) {
          RawCell& cell = row.cells[i];
          switch (sqlite3_column_type(st, i)) {
            case SQLITE_NULL: break;
            case SQLITE_INTEGER: cell.kind = RawCell::Kind::kInt; cell.i = sqlite3_column_int64(st, i); break;
            case SQLITE_BLOB: {
              cell.kind = RawCell::Kind::kBlob;
              auto* p = static_cast<const char*>(sqlite3_column_blob(st, i));
              cell.s.assign(p ? p : "", static_cast<size_t>(sqlite3_column_bytes(st, i)));
              break;
            }
            default: {
              cell.kind = RawCell::Kind::kText;
              auto* p = reinterpret_cast<const char*>(sqlite3_column_text(st, i));
              cell.s.assign(p ? p : "", static_cast<size_t>(sqlite3_column_bytes(st, i)));
            }
          }
        }
        WHARF_TRY(fn(row));
      }
      if (rc != SQLITE_DONE) return tl::unexpected(SqlError(db, rc, {}));
      return Ok();
    });
  }

  Status CopyFrom(Store& source) override {
    return Write([&](Tx& tx) -> Status {
      WHARF_ASSIGN_OR_RETURN(int64_t users, tx.users().Count());
      if (users > 0) return Err(ErrorCode::kConflict, "The destination database already holds data; copy into an empty one.");
      sqlite3* db = static_cast<SqliteTx&>(tx).db();
      for (const auto& table : DataTables()) {
        sqlite3_stmt* st = nullptr;
        std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> guard(nullptr, sqlite3_finalize);
        WHARF_TRY(source.ScanRows(table, [&](const RawRow& row) -> Status {
          if (!st) {
            std::string cols, params;
            for (size_t i = 0; i < row.columns->size(); ++i) {
              cols += (i ? ", " : "") + (*row.columns)[i];
              params += i ? ", ?" : "?";
            }
            const std::string sql = "INSERT INTO " + table + " (" + cols + ") VALUES (" + params + ")";
            if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) != SQLITE_OK)
              return Internal(std::string("sqlite: ") + sqlite3_errmsg(db));
            guard.reset(st);
          }
          sqlite3_reset(st);
          for (int i = 0; i < static_cast<int>(row.cells.size()); ++i) {
            const RawCell& cell = row.cells[i];
            switch (cell.kind) {
              case RawCell::Kind::kNull: sqlite3_bind_null(st, i + 1); break;
              case RawCell::Kind::kInt: sqlite3_bind_int64(st, i + 1, cell.i); break;
              case RawCell::Kind::kText:
                sqlite3_bind_text(st, i + 1, cell.s.data(), static_cast<int>(cell.s.size()), SQLITE_TRANSIENT);
                break;
              case RawCell::Kind::kBlob:
                sqlite3_bind_blob(st, i + 1, cell.s.data(), static_cast<int>(cell.s.size()), SQLITE_TRANSIENT);
                break;
            }
          }
          int rc = sqlite3_step(st);
          if (rc != SQLITE_DONE) return tl::unexpected(SqlError(db, rc, {}));
          return Ok();
        }));
        WHARF_ASSIGN_OR_RETURN(int64_t want, source.CountRows(table));
        WHARF_ASSIGN_OR_RETURN(int64_t got, CountIn(*writer_, table));
        if (want != got)
          return Internal("migrate-store: " + table + " has " + std::to_string(got) + " rows after the copy, the source " +
                          std::to_string(want));
      }
      return Ok();
    });
  }

 private:
  static bool IsDataTable(std::string_view t) {
    const auto& all = DataTables();
    return std::find(all.begin(), all.end(), t) != all.end();
  }
  static Result<int64_t> CountIn(Conn& c, std::string_view table) {
    return c.ExecScalar("SELECT COUNT(*) FROM " + std::string(table));
  }

  Status WriteLocked(const std::function<Status(Tx&)>& fn, bool* jobs_changed, bool durable) {
    std::lock_guard lock(write_mu_);
    if (!durable) {
      Query relaxed(*writer_, "PRAGMA synchronous = NORMAL");
      WHARF_TRY(relaxed.Exec());
    }
    struct Restore {
      Conn& c;
      bool on;
      ~Restore() {
        if (!on) return;
        Query full(c, "PRAGMA synchronous = FULL");
        (void)full.Exec();
      }
    } restore{*writer_, !durable};
    {
      Query begin(*writer_, "BEGIN IMMEDIATE");
      WHARF_TRY(begin.Exec());
    }
    writer_->jobs_changed = false;
    SqliteTx tx(*writer_);
    Status st = fn(tx);
    if (st) {
      Query commit(*writer_, "COMMIT");
      st = commit.Exec();
      if (st) {
        *jobs_changed = writer_->jobs_changed;
        return st;
      }
    }
    Query rollback(*writer_, "ROLLBACK");
    (void)rollback.Exec();
    return st;
  }

  Conn* Acquire() {
    std::unique_lock lock(pool_mu_);
    pool_cv_.wait(lock, [&] { return !free_.empty(); });
    Conn* c = free_.back();
    free_.pop_back();
    return c;
  }
  void Release(Conn* c) {
    {
      std::lock_guard lock(pool_mu_);
      free_.push_back(c);
    }
    pool_cv_.notify_one();
  }

  std::mutex write_mu_;
  std::unique_ptr<Conn> writer_;
  std::vector<std::unique_ptr<Conn>> readers_;
  std::mutex pool_mu_;
  std::condition_variable pool_cv_;
  std::vector<Conn*> free_;
  int version_ = 0;
  std::mutex jobs_watch_mu_;
  std::function<void()> jobs_watcher_;  // GUARDED_BY(jobs_watch_mu_)
};

}  // namespace

Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path, const SqliteOptions& opts) {
  WHARF_ASSIGN_OR_RETURN(auto writer, OpenConn(path, opts, false));
  std::vector<std::unique_ptr<Conn>> readers;
  for (int i = 0; i < std::max(1, opts.reader_connections); ++i) {
    WHARF_ASSIGN_OR_RETURN(auto r, OpenConn(path, opts, true));
    readers.push_back(std::move(r));
  }
  auto store = std::make_unique<SqliteStore>(std::move(writer), std::move(readers));
  WHARF_TRY(store->Migrate());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace wharf::store
