// Users, orgs, roles, memberships, sessions, API tokens and invitations, once for both
// databases (see query.h for what Q provides). Internal to src/store.
#pragma once

#include "store/sql/query.h"
#include "store/sql/repo_macro.h"
#include "store/sql/rows.h"

namespace wharf::store::sql {

WHARF_SQL_REPO(Users, UserRepository)
  Status Insert(const User& u) override {
    Q q(c_, "INSERT INTO users (" WHARF_USER_COLS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    q.Text(u.id).Text(u.email).Text(u.name).Text(u.password_hash).Bool(u.instance_admin).Int(u.created_at).Int(u.updated_at);
    q.Bool(u.email_verified).Int(u.disabled_at).Int(u.deleted_at);
    return q.Exec("An account with this email already exists.");
  }
  Result<std::optional<User>> FindById(std::string_view id) override {
    Q q(c_, "SELECT " WHARF_USER_COLS " FROM users WHERE id = ?");
    q.Text(id);
    return One<User>(q, [](Q& r) { return rows::ReadUser(r); });
  }
  Result<std::optional<User>> FindByEmail(std::string_view email) override {
    Q q(c_, "SELECT " WHARF_USER_COLS " FROM users WHERE email = ?");
    q.Text(email);
    return One<User>(q, [](Q& r) { return rows::ReadUser(r); });
  }
  Result<int64_t> Count() override {
    Q q(c_, "SELECT COUNT(*) FROM users");
    return Scalar(q);
  }
  Status Update(const User& u) override {
    Q q(c_, "UPDATE users SET email = ?, name = ?, password_hash = ?, instance_admin = ?, email_verified = ?, "
            "disabled_at = ?, deleted_at = ?, updated_at = ? WHERE id = ?");
    q.Text(u.email).Text(u.name).Text(u.password_hash).Bool(u.instance_admin).Bool(u.email_verified);
    q.Int(u.disabled_at).Int(u.deleted_at).Int(u.updated_at).Text(u.id);
    return q.Exec("An account with this email already exists.");
  }
  Result<std::vector<User>> List() override {
    Q q(c_, "SELECT " WHARF_USER_COLS " FROM users WHERE deleted_at = 0 ORDER BY created_at, id");
    return Collect<User>(q, [](Q& r) { return rows::ReadUser(r); });
  }
};

WHARF_SQL_REPO(Orgs, OrgRepository)
  Status Insert(const Org& o) override {
    Q q(c_, "INSERT INTO orgs (" WHARF_ORG_COLS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    q.Text(o.id).Text(o.slug).Text(o.name).Text(o.owner_id).Int(o.seat_limit).Blob(o.wrapped_data_key);
    q.Int(o.created_at).Int(o.updated_at).Text(o.created_by).Int(o.deleted_at);
    return q.Exec("The slug '" + o.slug + "' is already taken.");
  }
  Result<std::optional<Org>> FindBySlug(std::string_view slug) override {
    Q q(c_, "SELECT " WHARF_ORG_COLS " FROM orgs WHERE slug = ?");
    q.Text(slug);
    return One<Org>(q, rows::ReadOrg<Q>);
  }
  Result<std::optional<Org>> FindById(std::string_view id) override {
    Q q(c_, "SELECT " WHARF_ORG_COLS " FROM orgs WHERE id = ?");
    q.Text(id);
    return One<Org>(q, rows::ReadOrg<Q>);
  }
  Status Update(const Org& o) override {
    Q q(c_, "UPDATE orgs SET name = ?, owner_id = ?, seat_limit = ?, updated_at = ? WHERE id = ?");
    q.Text(o.name).Text(o.owner_id).Int(o.seat_limit).Int(o.updated_at).Text(o.id);
    return q.Exec();
  }
  Result<std::vector<Org>> ListAll() override {
    Q q(c_, "SELECT " WHARF_ORG_COLS " FROM orgs ORDER BY created_at, id");
    return Collect<Org>(q, rows::ReadOrg<Q>);
  }
  Status MarkDeleted(std::string_view org_id, std::string_view freed_slug, Timestamp at) override {
    Q q(c_, "UPDATE orgs SET slug = ?, deleted_at = ?, updated_at = ? WHERE id = ? AND deleted_at = 0");
    q.Text(freed_slug).Int(at).Int(at).Text(org_id);
    return q.Exec();
  }
  Status PurgeAccess(std::string_view org_id, Timestamp at) override {
    // Everything that lets anyone in, or holds a credential, goes; audit events, roles and jobs stay.
    for (const char* sql : {"DELETE FROM memberships WHERE org_id = ?", "DELETE FROM invitations WHERE org_id = ?",
                            "DELETE FROM ssh_keys WHERE org_id = ?", "DELETE FROM integrations WHERE org_id = ?"}) {
      Q q(c_, sql);
      q.Text(org_id);
      WHARF_TRY(q.Exec());
    }
    Q q(c_, "UPDATE api_tokens SET revoked_at = ? WHERE org_id = ? AND revoked_at = 0");
    q.Int(at).Text(org_id);
    return q.Exec();
  }
  Status UpdateDataKey(std::string_view org_id, std::string_view wrapped) override {
    Q q(c_, "UPDATE orgs SET wrapped_data_key = ? WHERE id = ?");
    q.Blob(wrapped).Text(org_id);
    return q.Exec();
  }
};

WHARF_SQL_REPO(Roles, RoleRepository)
  // A custom role's resource scope, or NULL when it has none.
  static void BindScope(Q& q, const Role& r) {
    if (r.resource_scope.empty()) q.Null();
    else q.Text(domain::ResourceScopeToJson(r.resource_scope).dump());
  }
  static std::string Conflict(const Role& r) { return "A role named '" + r.name + "' already exists in this organisation."; }
  Status Insert(const Role& r) override {
    Q q(c_, "INSERT INTO roles (" WHARF_ROLE_COLS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    q.Text(r.id).Text(r.org_id).Text(r.name).Text(r.description).Bool(r.builtin);
    q.Text(domain::PermissionsToJson(r.permissions).dump());
    BindScope(q, r);
    q.Int(r.created_at).Int(r.updated_at).Text(r.created_by);
    return q.Exec(Conflict(r));
  }
  Result<std::optional<Role>> Find(std::string_view org_id, std::string_view id) override {
    Q q(c_, "SELECT " WHARF_ROLE_COLS " FROM roles WHERE org_id = ? AND id = ?");
    q.Text(org_id).Text(id);
    return One<Role>(q, rows::ReadRole<Q>);
  }
  Result<std::optional<Role>> FindAdmin(std::string_view org_id) override {
    Q q(c_, "SELECT " WHARF_ROLE_COLS " FROM roles WHERE org_id = ? AND builtin");
    q.Text(org_id);
    return One<Role>(q, rows::ReadRole<Q>);
  }
  Result<std::vector<Role>> List(std::string_view org_id) override {
    Q q(c_, "SELECT " WHARF_ROLE_COLS " FROM roles WHERE org_id = ? ORDER BY builtin DESC, created_at, id");
    q.Text(org_id);
    return Collect<Role>(q, rows::ReadRole<Q>);
  }
  Status Update(const Role& r) override {
    Q q(c_, "UPDATE roles SET name = ?, description = ?, permissions = ?, resource_scope = ?, updated_at = ? "
            "WHERE org_id = ? AND id = ? AND NOT builtin");
    q.Text(r.name).Text(r.description).Text(domain::PermissionsToJson(r.permissions).dump());
    BindScope(q, r);
    q.Int(r.updated_at).Text(r.org_id).Text(r.id);
    return q.Exec(Conflict(r));
  }
  Result<bool> Delete(std::string_view org_id, std::string_view id) override {
    return DeleteWhere<Q>(c_, "DELETE FROM roles WHERE org_id = ? AND id = ? AND NOT builtin", org_id, id);
  }
};

WHARF_SQL_REPO(Memberships, MembershipRepository)
  static Result<Membership> Read(Q& r) { return Membership{r.Str(0), r.Str(1), r.Str(2), r.I64(3)}; }
  static Result<MemberRow> ReadMemberRow(Q& r) {
    MemberRow row;
    row.membership = Membership{r.Str(0), r.Str(1), r.Str(2), r.I64(3)};
    WHARF_ASSIGN_OR_RETURN(row.user, rows::ReadUser(r, 4));
    row.user.password_hash.clear();
    return row;
  }
  Status Insert(const Membership& m) override {
    Q q(c_, "INSERT INTO memberships (org_id, user_id, role_id, joined_at) VALUES (?, ?, ?, ?)");
    q.Text(m.org_id).Text(m.user_id).Text(m.role_id).Int(m.joined_at);
    return q.Exec("Already a member of this organisation.");
  }
  Result<std::optional<Membership>> Find(std::string_view org_id, std::string_view user_id) override {
    Q q(c_, "SELECT org_id, user_id, role_id, joined_at FROM memberships WHERE org_id = ? AND user_id = ?");
    q.Text(org_id).Text(user_id);
    return One<Membership>(q, Read);
  }
  Result<std::vector<MemberRow>> ListForOrg(std::string_view org_id, const PageQuery& page) override {
    Q q(c_, "SELECT " WHARF_MEMBER_ROW_COLS " FROM memberships m JOIN users u ON u.id = m.user_id "
            "WHERE m.org_id = ? AND (m.joined_at > ? OR (m.joined_at = ? AND m.user_id > ?)) "
            "ORDER BY m.joined_at, m.user_id LIMIT ?");
    Keyset(q.Text(org_id), page);
    return Collect<MemberRow>(q, ReadMemberRow);
  }
  Result<std::vector<MemberRow>> ListByRole(std::string_view org_id, std::string_view role_id) override {
    Q q(c_, "SELECT " WHARF_MEMBER_ROW_COLS " FROM memberships m JOIN users u ON u.id = m.user_id "
            "WHERE m.org_id = ? AND m.role_id = ? ORDER BY m.joined_at, m.user_id");
    q.Text(org_id).Text(role_id);
    return Collect<MemberRow>(q, ReadMemberRow);
  }
  Result<std::vector<Membership>> ListForUser(std::string_view user_id) override {
    Q q(c_, "SELECT org_id, user_id, role_id, joined_at FROM memberships WHERE user_id = ? ORDER BY joined_at, org_id");
    q.Text(user_id);
    return Collect<Membership>(q, Read);
  }
  Status UpdateRole(std::string_view org_id, std::string_view user_id, std::string_view role_id) override {
    Q q(c_, "UPDATE memberships SET role_id = ? WHERE org_id = ? AND user_id = ?");
    q.Text(role_id).Text(org_id).Text(user_id);
    return q.Exec();
  }
  Result<bool> Delete(std::string_view org_id, std::string_view user_id) override {
    return DeleteWhere<Q>(c_, "DELETE FROM memberships WHERE org_id = ? AND user_id = ?", org_id, user_id);
  }
  Result<int64_t> CountForOrg(std::string_view org_id) override {
    Q q(c_, "SELECT COUNT(*) FROM memberships WHERE org_id = ?");
    q.Text(org_id);
    return Scalar(q);
  }
  Result<int64_t> CountByRole(std::string_view org_id, std::string_view role_id) override {
    return CountWhere<Q>(c_, "SELECT COUNT(*) FROM memberships WHERE org_id = ? AND role_id = ?", org_id, role_id);
  }
  Status ReassignRole(std::string_view org_id, std::string_view from, std::string_view to) override {
    Q q(c_, "UPDATE memberships SET role_id = ? WHERE org_id = ? AND role_id = ?");
    q.Text(to).Text(org_id).Text(from);
    return q.Exec();
  }
};

WHARF_SQL_REPO(Sessions, SessionRepository)
  Status Insert(const Session& s) override {
    Q q(c_, "INSERT INTO sessions (" WHARF_SESSION_COLS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    q.Text(s.id).Text(s.user_id).Text(s.token_hash).Text(s.csrf_hash).Int(s.created_at).Int(s.expires_at);
    q.Int(s.revoked_at).Text(s.ip).Text(s.user_agent).Int(s.last_used_at);
    return q.Exec();
  }
  Result<std::optional<Session>> FindActive(std::string_view token_hash, Timestamp now) override {
    Q q(c_, "SELECT " WHARF_SESSION_COLS " FROM sessions WHERE token_hash = ? AND revoked_at = 0 AND expires_at > ?");
    q.Text(token_hash).Int(now);
    return One<Session>(q, rows::ReadSession<Q>);
  }
  Status Revoke(std::string_view id, Timestamp at) override {
    Q q(c_, "UPDATE sessions SET revoked_at = ? WHERE id = ? AND revoked_at = 0");
    q.Int(at).Text(id);
    return q.Exec();
  }
  Status RevokeAllForUser(std::string_view user_id, Timestamp at) override {
    Q q(c_, "UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at = 0");
    q.Int(at).Text(user_id);
    return q.Exec();
  }
  Result<int64_t> RevokeOthersForUser(std::string_view user_id, std::string_view keep_id, Timestamp at) override {
    Q q(c_, "UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND id <> ? AND revoked_at = 0");
    q.Int(at).Text(user_id).Text(keep_id);
    WHARF_TRY(q.Exec());
    return q.Changes();
  }
  Result<bool> RevokeForUser(std::string_view user_id, std::string_view id, Timestamp at) override {
    Q q(c_, "UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND id = ? AND revoked_at = 0");
    q.Int(at).Text(user_id).Text(id);
    return Changed(q);
  }
  Status Touch(std::string_view id, Timestamp at) override {
    Q q(c_, "UPDATE sessions SET last_used_at = ? WHERE id = ?");
    q.Int(at).Text(id);
    return q.Exec();
  }
  Result<std::vector<Session>> ListActiveForUser(std::string_view user_id, Timestamp now) override {
    Q q(c_, "SELECT " WHARF_SESSION_COLS " FROM sessions WHERE user_id = ? AND revoked_at = 0 AND expires_at > ? "
            "ORDER BY created_at, id");
    q.Text(user_id).Int(now);
    return Collect<Session>(q, rows::ReadSession<Q>);
  }
};

WHARF_SQL_REPO(ApiTokens, ApiTokenRepository)
  Status Insert(const ApiToken& t) override {
    Q q(c_, "INSERT INTO api_tokens (" WHARF_TOKEN_COLS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    q.Text(t.id).Text(t.user_id).Text(t.org_id).Text(t.name).Text(t.token_hash);
    if (t.permissions) q.Text(domain::PermissionsToJson(*t.permissions).dump());
    else q.Null();
    q.Int(t.created_at).Int(t.expires_at).Int(t.revoked_at).Int(t.last_used_at);
    return q.Exec();
  }
  Result<std::optional<ApiToken>> FindByHash(std::string_view token_hash) override {
    Q q(c_, "SELECT " WHARF_TOKEN_COLS " FROM api_tokens WHERE token_hash = ? AND revoked_at = 0");
    q.Text(token_hash);
    return One<ApiToken>(q, rows::ReadToken<Q>);
  }
  Result<std::vector<ApiToken>> ListForUser(std::string_view user_id) override {
    Q q(c_, "SELECT " WHARF_TOKEN_COLS " FROM api_tokens WHERE user_id = ? AND revoked_at = 0 ORDER BY created_at, id");
    q.Text(user_id);
    return Collect<ApiToken>(q, rows::ReadToken<Q>);
  }
  Result<bool> Revoke(std::string_view user_id, std::string_view id, Timestamp at) override {
    Q q(c_, "UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND id = ? AND revoked_at = 0");
    q.Int(at).Text(user_id).Text(id);
    return Changed(q);
  }
  Status RevokeAllForUser(std::string_view user_id, Timestamp at) override {
    Q q(c_, "UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at = 0");
    q.Int(at).Text(user_id);
    return q.Exec();
  }
  Status Touch(std::string_view id, Timestamp at) override {
    Q q(c_, "UPDATE api_tokens SET last_used_at = ? WHERE id = ?");
    q.Int(at).Text(id);
    return q.Exec();
  }
};

WHARF_SQL_REPO(AccountTokens, AccountTokenRepository)
  Status Insert(const AccountToken& t) override {
    Q q(c_, "INSERT INTO account_tokens (" WHARF_ACCOUNT_TOKEN_COLS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    q.Text(t.id).Text(t.user_id).Text(domain::AccountTokenKindName(t.kind)).Text(t.token_hash).Text(t.bound_to);
    q.Int(t.created_at).Int(t.expires_at).Int(t.used_at);
    return q.Exec();
  }
  Result<std::optional<AccountToken>> FindByHash(std::string_view token_hash) override {
    Q q(c_, "SELECT " WHARF_ACCOUNT_TOKEN_COLS " FROM account_tokens WHERE token_hash = ?");
    q.Text(token_hash);
    return One<AccountToken>(q, rows::ReadAccountToken<Q>);
  }
  Result<bool> MarkUsed(std::string_view id, Timestamp at) override {
    Q q(c_, "UPDATE account_tokens SET used_at = ? WHERE id = ? AND used_at = 0");
    q.Int(at).Text(id);
    return Changed(q);
  }
  Status VoidForUser(std::string_view user_id, domain::AccountTokenKind kind, Timestamp at) override {
    Q q(c_, "UPDATE account_tokens SET used_at = ? WHERE user_id = ? AND kind = ? AND used_at = 0");
    q.Int(at).Text(user_id).Text(domain::AccountTokenKindName(kind));
    return q.Exec();
  }
};

WHARF_SQL_REPO(Invitations, InvitationRepository)
  Status Insert(const Invitation& i) override {
    Q q(c_, "INSERT INTO invitations (" WHARF_INV_COLS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    q.Text(i.id).Text(i.org_id).Text(i.email).Text(i.role_id).Text(i.token_hash);
    q.Text(domain::InvitationStatusName(i.status)).Int(i.expires_at).Text(i.email_status).Text(i.email_error);
    q.Int(i.created_at).Int(i.updated_at).Text(i.created_by).Int(i.accepted_at).Text(i.accepted_by);
    return q.Exec();
  }
  Result<std::optional<Invitation>> Find(std::string_view org_id, std::string_view id) override {
    Q q(c_, "SELECT " WHARF_INV_COLS " FROM invitations WHERE org_id = ? AND id = ?");
    q.Text(org_id).Text(id);
    return One<Invitation>(q, rows::ReadInvitation<Q>);
  }
  Result<std::optional<Invitation>> FindByTokenHash(std::string_view token_hash) override {
    Q q(c_, "SELECT " WHARF_INV_COLS " FROM invitations WHERE token_hash = ?");
    q.Text(token_hash);
    return One<Invitation>(q, rows::ReadInvitation<Q>);
  }
  Result<std::vector<Invitation>> ListPending(std::string_view org_id, Timestamp now, const PageQuery& page) override {
    Q q(c_, "SELECT " WHARF_INV_COLS " FROM invitations WHERE org_id = ? AND status = 'pending' AND expires_at > ? "
            "AND (created_at > ? OR (created_at = ? AND id > ?)) ORDER BY created_at, id LIMIT ?");
    Keyset(q.Text(org_id).Int(now), page);
    return Collect<Invitation>(q, rows::ReadInvitation<Q>);
  }
  Result<int64_t> CountPending(std::string_view org_id, Timestamp now) override {
    Q q(c_, "SELECT COUNT(*) FROM invitations WHERE org_id = ? AND status = 'pending' AND expires_at > ?");
    q.Text(org_id).Int(now);
    return Scalar(q);
  }
  Result<std::optional<Invitation>> FindPendingByEmail(std::string_view org_id, std::string_view email,
                                                       Timestamp now) override {
    Q q(c_, "SELECT " WHARF_INV_COLS " FROM invitations WHERE org_id = ? AND email = ? AND status = 'pending' "
            "AND expires_at > ?");
    q.Text(org_id).Text(email).Int(now);
    return One<Invitation>(q, rows::ReadInvitation<Q>);
  }
  Status Update(const Invitation& i) override {
    // role_id too: a deleted role's pending invitations move with reassign_to.
    Q q(c_, "UPDATE invitations SET token_hash = ?, status = ?, expires_at = ?, email_status = ?, email_error = ?, "
            "updated_at = ?, accepted_at = ?, accepted_by = ?, role_id = ? WHERE org_id = ? AND id = ?");
    q.Text(i.token_hash).Text(domain::InvitationStatusName(i.status)).Int(i.expires_at).Text(i.email_status);
    q.Text(i.email_error).Int(i.updated_at).Int(i.accepted_at).Text(i.accepted_by).Text(i.role_id);
    q.Text(i.org_id).Text(i.id);
    return q.Exec();
  }
};

}  // namespace wharf::store::sql
