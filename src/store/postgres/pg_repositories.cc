#include "store/postgres/pg_repositories.h"

#include <climits>
#include <map>

#include "base/strings.h"
#include "store/rows.h"

namespace wharf::store::pg {

namespace {

using nlohmann::json;

template <typename T, typename F>
Result<std::vector<T>> Collect(Query& q, F&& f) {
  std::vector<T> out;
  out.reserve(static_cast<size_t>(q.rows()));
  while (q.Next()) {
    WHARF_ASSIGN_OR_RETURN(T v, f(q));
    out.push_back(std::move(v));
  }
  return out;
}

template <typename T, typename F>
Result<std::optional<T>> One(Query& q, F&& f) {
  if (!q.Next()) return std::optional<T>();
  WHARF_ASSIGN_OR_RETURN(T v, f(q));
  return std::optional<T>(std::move(v));
}

Result<int64_t> Scalar(Query& q) {
  WHARF_TRY(q.Run());
  if (!q.Next()) return Internal("postgres: scalar query returned no row");
  return q.I64(0);
}

int64_t AfterTime(const PageQuery& p) { return p.after_id.empty() ? INT64_MIN : p.after_created_at; }

Result<Membership> ReadMembership(Query& q) { return Membership{q.Str(0), q.Str(1), q.Str(2), q.I64(3)}; }

Result<MemberRow> ReadMemberRow(Query& q) {
  MemberRow row;
  row.membership = Membership{q.Str(0), q.Str(1), q.Str(2), q.I64(3)};
  WHARF_ASSIGN_OR_RETURN(row.user, rows::ReadUser(q, 4));
  row.user.password_hash.clear();
  return row;
}

}  // namespace

// ---------------------------------------------------------------- users

Status PgUsers::Insert(const User& u) {
  Query q(c_, "INSERT INTO users (" WHARF_USER_COLS ") VALUES ($1, $2, $3, $4, $5, $6, $7)");
  q.Text(u.id).Text(u.email).Text(u.name).Text(u.password_hash).Bool(u.instance_admin).Int(u.created_at).Int(u.updated_at);
  return q.Run("An account with this email already exists.");
}
Result<std::optional<User>> PgUsers::FindById(std::string_view id) {
  Query q(c_, "SELECT " WHARF_USER_COLS " FROM users WHERE id = $1");
  WHARF_TRY(q.Text(id).Run());
  return One<User>(q, [](Query& r) { return rows::ReadUser(r); });
}
Result<std::optional<User>> PgUsers::FindByEmail(std::string_view email) {
  Query q(c_, "SELECT " WHARF_USER_COLS " FROM users WHERE email = $1");
  WHARF_TRY(q.Text(email).Run());
  return One<User>(q, [](Query& r) { return rows::ReadUser(r); });
}
Result<int64_t> PgUsers::Count() {
  Query q(c_, "SELECT COUNT(*) FROM users");
  return Scalar(q);
}
Status PgUsers::Update(const User& u) {
  Query q(c_, "UPDATE users SET name = $1, password_hash = $2, instance_admin = $3, updated_at = $4 WHERE id = $5");
  q.Text(u.name).Text(u.password_hash).Bool(u.instance_admin).Int(u.updated_at).Text(u.id);
  return q.Run();
}

// ---------------------------------------------------------------- orgs

Status PgOrgs::Insert(const Org& o) {
  Query q(c_, "INSERT INTO orgs (" WHARF_ORG_COLS ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)");
  q.Text(o.id).Text(o.slug).Text(o.name).Text(o.owner_id).Int(o.seat_limit).Blob(o.wrapped_data_key);
  q.Int(o.created_at).Int(o.updated_at).Text(o.created_by);
  return q.Run("The slug '" + o.slug + "' is already taken.");
}
Result<std::optional<Org>> PgOrgs::FindBySlug(std::string_view slug) {
  Query q(c_, "SELECT " WHARF_ORG_COLS " FROM orgs WHERE slug = $1");
  WHARF_TRY(q.Text(slug).Run());
  return One<Org>(q, rows::ReadOrg<Query>);
}
Result<std::optional<Org>> PgOrgs::FindById(std::string_view id) {
  Query q(c_, "SELECT " WHARF_ORG_COLS " FROM orgs WHERE id = $1");
  WHARF_TRY(q.Text(id).Run());
  return One<Org>(q, rows::ReadOrg<Query>);
}
Status PgOrgs::Update(const Org& o) {
  Query q(c_, "UPDATE orgs SET name = $1, owner_id = $2, seat_limit = $3, updated_at = $4 WHERE id = $5");
  q.Text(o.name).Text(o.owner_id).Int(o.seat_limit).Int(o.updated_at).Text(o.id);
  return q.Run();
}
Result<std::vector<Org>> PgOrgs::ListAll() {
  Query q(c_, "SELECT " WHARF_ORG_COLS " FROM orgs ORDER BY created_at, id");
  WHARF_TRY(q.Run());
  return Collect<Org>(q, rows::ReadOrg<Query>);
}
Status PgOrgs::UpdateDataKey(std::string_view org_id, std::string_view wrapped) {
  Query q(c_, "UPDATE orgs SET wrapped_data_key = $1 WHERE id = $2");
  q.Blob(wrapped).Text(org_id);
  return q.Run();
}

// ---------------------------------------------------------------- roles

Status PgRoles::Insert(const Role& r) {
  Query q(c_, "INSERT INTO roles (" WHARF_ROLE_COLS ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)");
  q.Text(r.id).Text(r.org_id).Text(r.name).Text(r.description).Bool(r.builtin);
  q.Text(domain::PermissionsToJson(r.permissions).dump());
  if (r.resource_scope.empty()) q.Null();
  else q.Text(domain::ResourceScopeToJson(r.resource_scope).dump());
  q.Int(r.created_at).Int(r.updated_at).Text(r.created_by);
  return q.Run("A role named '" + r.name + "' already exists in this organisation.");
}
Result<std::optional<Role>> PgRoles::Find(std::string_view org_id, std::string_view id) {
  Query q(c_, "SELECT " WHARF_ROLE_COLS " FROM roles WHERE org_id = $1 AND id = $2");
  WHARF_TRY(q.Text(org_id).Text(id).Run());
  return One<Role>(q, rows::ReadRole<Query>);
}
Result<std::optional<Role>> PgRoles::FindAdmin(std::string_view org_id) {
  Query q(c_, "SELECT " WHARF_ROLE_COLS " FROM roles WHERE org_id = $1 AND builtin");
  WHARF_TRY(q.Text(org_id).Run());
  return One<Role>(q, rows::ReadRole<Query>);
}
Result<std::vector<Role>> PgRoles::List(std::string_view org_id) {
  Query q(c_, "SELECT " WHARF_ROLE_COLS " FROM roles WHERE org_id = $1 ORDER BY builtin DESC, created_at, id");
  WHARF_TRY(q.Text(org_id).Run());
  return Collect<Role>(q, rows::ReadRole<Query>);
}
Status PgRoles::Update(const Role& r) {
  Query q(c_, "UPDATE roles SET name = $1, description = $2, permissions = $3, resource_scope = $4, updated_at = $5 "
              "WHERE org_id = $6 AND id = $7 AND NOT builtin");
  q.Text(r.name).Text(r.description).Text(domain::PermissionsToJson(r.permissions).dump());
  if (r.resource_scope.empty()) q.Null();
  else q.Text(domain::ResourceScopeToJson(r.resource_scope).dump());
  q.Int(r.updated_at).Text(r.org_id).Text(r.id);
  return q.Run("A role named '" + r.name + "' already exists in this organisation.");
}
Result<bool> PgRoles::Delete(std::string_view org_id, std::string_view id) {
  Query q(c_, "DELETE FROM roles WHERE org_id = $1 AND id = $2 AND NOT builtin");
  WHARF_TRY(q.Text(org_id).Text(id).Run());
  return q.Affected() > 0;
}

// ---------------------------------------------------------------- memberships

Status PgMemberships::Insert(const Membership& m) {
  Query q(c_, "INSERT INTO memberships (org_id, user_id, role_id, joined_at) VALUES ($1, $2, $3, $4)");
  q.Text(m.org_id).Text(m.user_id).Text(m.role_id).Int(m.joined_at);
  return q.Run("Already a member of this organisation.");
}
Result<std::optional<Membership>> PgMemberships::Find(std::string_view org_id, std::string_view user_id) {
  Query q(c_, "SELECT org_id, user_id, role_id, joined_at FROM memberships WHERE org_id = $1 AND user_id = $2");
  WHARF_TRY(q.Text(org_id).Text(user_id).Run());
  return One<Membership>(q, ReadMembership);
}
Result<std::vector<MemberRow>> PgMemberships::ListForOrg(std::string_view org_id, const PageQuery& page) {
  Query q(c_, "SELECT " WHARF_MEMBER_ROW_COLS " FROM memberships m JOIN users u ON u.id = m.user_id "
              "WHERE m.org_id = $1 AND (m.joined_at > $2 OR (m.joined_at = $2 AND m.user_id > $3)) "
              "ORDER BY m.joined_at, m.user_id LIMIT $4");
  WHARF_TRY(q.Text(org_id).Int(AfterTime(page)).Text(page.after_id).Int(page.limit + 1).Run());
  return Collect<MemberRow>(q, ReadMemberRow);
}
Result<std::vector<MemberRow>> PgMemberships::ListByRole(std::string_view org_id, std::string_view role_id) {
  Query q(c_, "SELECT " WHARF_MEMBER_ROW_COLS " FROM memberships m JOIN users u ON u.id = m.user_id "
              "WHERE m.org_id = $1 AND m.role_id = $2 ORDER BY m.joined_at, m.user_id");
  WHARF_TRY(q.Text(org_id).Text(role_id).Run());
  return Collect<MemberRow>(q, ReadMemberRow);
}
Result<std::vector<Membership>> PgMemberships::ListForUser(std::string_view user_id) {
  Query q(c_, "SELECT org_id, user_id, role_id, joined_at FROM memberships WHERE user_id = $1 ORDER BY joined_at, org_id");
  WHARF_TRY(q.Text(user_id).Run());
  return Collect<Membership>(q, ReadMembership);
}
Status PgMemberships::UpdateRole(std::string_view org_id, std::string_view user_id, std::string_view role_id) {
  Query q(c_, "UPDATE memberships SET role_id = $1 WHERE org_id = $2 AND user_id = $3");
  return q.Text(role_id).Text(org_id).Text(user_id).Run();
}
Result<bool> PgMemberships::Delete(std::string_view org_id, std::string_view user_id) {
  Query q(c_, "DELETE FROM memberships WHERE org_id = $1 AND user_id = $2");
  WHARF_TRY(q.Text(org_id).Text(user_id).Run());
  return q.Affected() > 0;
}
Result<int64_t> PgMemberships::CountForOrg(std::string_view org_id) {
  Query q(c_, "SELECT COUNT(*) FROM memberships WHERE org_id = $1");
  q.Text(org_id);
  return Scalar(q);
}
Result<int64_t> PgMemberships::CountByRole(std::string_view org_id, std::string_view role_id) {
  Query q(c_, "SELECT COUNT(*) FROM memberships WHERE org_id = $1 AND role_id = $2");
  q.Text(org_id).Text(role_id);
  return Scalar(q);
}
Status PgMemberships::ReassignRole(std::string_view org_id, std::string_view from, std::string_view to) {
  Query q(c_, "UPDATE memberships SET role_id = $1 WHERE org_id = $2 AND role_id = $3");
  return q.Text(to).Text(org_id).Text(from).Run();
}

// ---------------------------------------------------------------- sessions

Status PgSessions::Insert(const Session& s) {
  Query q(c_, "INSERT INTO sessions (" WHARF_SESSION_COLS ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)");
  q.Text(s.id).Text(s.user_id).Text(s.token_hash).Text(s.csrf_hash).Int(s.created_at).Int(s.expires_at);
  q.Int(s.revoked_at).Text(s.ip).Text(s.user_agent);
  return q.Run();
}
Result<std::optional<Session>> PgSessions::FindActive(std::string_view token_hash, Timestamp now) {
  Query q(c_, "SELECT " WHARF_SESSION_COLS " FROM sessions WHERE token_hash = $1 AND revoked_at = 0 AND expires_at > $2");
  WHARF_TRY(q.Text(token_hash).Int(now).Run());
  return One<Session>(q, rows::ReadSession<Query>);
}
Status PgSessions::Revoke(std::string_view id, Timestamp at) {
  Query q(c_, "UPDATE sessions SET revoked_at = $1 WHERE id = $2 AND revoked_at = 0");
  return q.Int(at).Text(id).Run();
}
Status PgSessions::RevokeAllForUser(std::string_view user_id, Timestamp at) {
  Query q(c_, "UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 AND revoked_at = 0");
  return q.Int(at).Text(user_id).Run();
}
Result<std::vector<Session>> PgSessions::ListActiveForUser(std::string_view user_id, Timestamp now) {
  Query q(c_, "SELECT " WHARF_SESSION_COLS " FROM sessions WHERE user_id = $1 AND revoked_at = 0 AND expires_at > $2 "
              "ORDER BY created_at, id");
  WHARF_TRY(q.Text(user_id).Int(now).Run());
  return Collect<Session>(q, rows::ReadSession<Query>);
}

// ---------------------------------------------------------------- api tokens

Status PgApiTokens::Insert(const ApiToken& t) {
  Query q(c_, "INSERT INTO api_tokens (" WHARF_TOKEN_COLS ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)");
  q.Text(t.id).Text(t.user_id).Text(t.org_id).Text(t.name).Text(t.token_hash);
  if (t.permissions) q.Text(domain::PermissionsToJson(*t.permissions).dump());
  else q.Null();
  q.Int(t.created_at).Int(t.expires_at).Int(t.revoked_at).Int(t.last_used_at);
  return q.Run();
}
Result<std::optional<ApiToken>> PgApiTokens::FindByHash(std::string_view token_hash) {
  Query q(c_, "SELECT " WHARF_TOKEN_COLS " FROM api_tokens WHERE token_hash = $1 AND revoked_at = 0");
  WHARF_TRY(q.Text(token_hash).Run());
  return One<ApiToken>(q, rows::ReadToken<Query>);
}
Result<std::vector<ApiToken>> PgApiTokens::ListForUser(std::string_view user_id) {
  Query q(c_, "SELECT " WHARF_TOKEN_COLS " FROM api_tokens WHERE user_id = $1 AND revoked_at = 0 ORDER BY created_at, id");
  WHARF_TRY(q.Text(user_id).Run());
  return Collect<ApiToken>(q, rows::ReadToken<Query>);
}
Result<bool> PgApiTokens::Revoke(std::string_view user_id, std::string_view id, Timestamp at) {
  Query q(c_, "UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND id = $3 AND revoked_at = 0");
  WHARF_TRY(q.Int(at).Text(user_id).Text(id).Run());
  return q.Affected() > 0;
}

// ---------------------------------------------------------------- invitations

Status PgInvitations::Insert(const Invitation& i) {
  Query q(c_, "INSERT INTO invitations (" WHARF_INV_COLS
              ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)");
  q.Text(i.id).Text(i.org_id).Text(i.email).Text(i.role_id).Text(i.token_hash);
  q.Text(domain::InvitationStatusName(i.status)).Int(i.expires_at).Text(i.email_status).Text(i.email_error);
  q.Int(i.created_at).Int(i.updated_at).Text(i.created_by).Int(i.accepted_at).Text(i.accepted_by);
  return q.Run();
}
Result<std::optional<Invitation>> PgInvitations::Find(std::string_view org_id, std::string_view id) {
  Query q(c_, "SELECT " WHARF_INV_COLS " FROM invitations WHERE org_id = $1 AND id = $2");
  WHARF_TRY(q.Text(org_id).Text(id).Run());
  return One<Invitation>(q, rows::ReadInvitation<Query>);
}
Result<std::optional<Invitation>> PgInvitations::FindByTokenHash(std::string_view token_hash) {
  Query q(c_, "SELECT " WHARF_INV_COLS " FROM invitations WHERE token_hash = $1");
  WHARF_TRY(q.Text(token_hash).Run());
  return One<Invitation>(q, rows::ReadInvitation<Query>);
}
Result<std::vector<Invitation>> PgInvitations::ListPending(std::string_view org_id, Timestamp now,
                                                           const PageQuery& page) {
  Query q(c_, "SELECT " WHARF_INV_COLS " FROM invitations WHERE org_id = $1 AND status = 'pending' AND expires_at > $2 "
              "AND (created_at > $3 OR (created_at = $3 AND id > $4)) ORDER BY created_at, id LIMIT $5");
  WHARF_TRY(q.Text(org_id).Int(now).Int(AfterTime(page)).Text(page.after_id).Int(page.limit + 1).Run());
  return Collect<Invitation>(q, rows::ReadInvitation<Query>);
}
Result<int64_t> PgInvitations::CountPending(std::string_view org_id, Timestamp now) {
  Query q(c_, "SELECT COUNT(*) FROM invitations WHERE org_id = $1 AND status = 'pending' AND expires_at > $2");
  q.Text(org_id).Int(now);
  return Scalar(q);
}
Result<std::optional<Invitation>> PgInvitations::FindPendingByEmail(std::string_view org_id, std::string_view email,
                                                                    Timestamp now) {
  Query q(c_, "SELECT " WHARF_INV_COLS " FROM invitations WHERE org_id = $1 AND email = $2 AND status = 'pending' "
              "AND expires_at > $3");
  WHARF_TRY(q.Text(org_id).Text(email).Int(now).Run());
  return One<Invitation>(q, rows::ReadInvitation<Query>);
}
Status PgInvitations::Update(const Invitation& i) {
  Query q(c_, "UPDATE invitations SET token_hash = $1, status = $2, expires_at = $3, email_status = $4, "
              "email_error = $5, updated_at = $6, accepted_at = $7, accepted_by = $8, role_id = $9 "
              "WHERE org_id = $10 AND id = $11");
  q.Text(i.token_hash).Text(domain::InvitationStatusName(i.status)).Int(i.expires_at).Text(i.email_status);
  q.Text(i.email_error).Int(i.updated_at).Int(i.accepted_at).Text(i.accepted_by).Text(i.role_id);
  q.Text(i.org_id).Text(i.id);
  return q.Run();
}

// ---------------------------------------------------------------- ssh keys

Status PgSshKeys::Insert(const SshKey& k) {
  Query q(c_, "INSERT INTO ssh_keys (id, org_id, name, type, public_key, fingerprint, private_key_sealed, created_at, "
              "updated_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)");
  q.Text(k.id).Text(k.org_id).Text(k.name).Text(k.type).Text(k.public_key).Text(k.fingerprint);
  q.Blob(k.private_key_sealed).Int(k.created_at).Int(k.updated_at).Text(k.created_by);
  return q.Run("An SSH key named '" + k.name + "' already exists in this organisation.");
}
Result<std::optional<SshKey>> PgSshKeys::Find(std::string_view org_id, std::string_view id) {
  Query q(c_, "SELECT id, org_id, name, type, public_key, fingerprint, private_key_sealed, created_at, updated_at, "
              "created_by FROM ssh_keys WHERE org_id = $1 AND id = $2");
  WHARF_TRY(q.Text(org_id).Text(id).Run());
  return One<SshKey>(q, rows::ReadSshKey<Query>);
}
Status PgSshKeys::RunList(Query& q, std::string_view org_id, const PageQuery& page) {
  q.Text(org_id);
  if (!page.created_by.empty()) q.Text(page.created_by);
  return q.Int(AfterTime(page)).Text(page.after_id).Int(page.limit + 1).Run();
}
Result<std::vector<SshKey>> PgSshKeys::List(std::string_view org_id, const PageQuery& page) {
  if (!page.created_by.empty()) {
    Query q(c_, "SELECT " WHARF_KEY_LIST_COLS " FROM ssh_keys WHERE org_id = $1 AND created_by = $2 AND "
                "(created_at > $3 OR (created_at = $3 AND id > $4)) ORDER BY created_at, id LIMIT $5");
    WHARF_TRY(RunList(q, org_id, page));
    return Collect<SshKey>(q, rows::ReadSshKey<Query>);
  }
  Query q(c_, "SELECT " WHARF_KEY_LIST_COLS " FROM ssh_keys WHERE org_id = $1 AND "
              "(created_at > $2 OR (created_at = $2 AND id > $3)) ORDER BY created_at, id LIMIT $4");
  WHARF_TRY(RunList(q, org_id, page));
  return Collect<SshKey>(q, rows::ReadSshKey<Query>);
}
Status PgSshKeys::Visit(std::string_view org_id, const PageQuery& page,
                        const std::function<void(const domain::SshKeyView&)>& fn) {
  auto visit = [&](Query& q) {
    while (q.Next()) {
      fn(rows::ReadSshKeyView(q));
    }
  };
  if (!page.created_by.empty()) {
    Query q(c_, "SELECT " WHARF_KEY_LIST_COLS " FROM ssh_keys WHERE org_id = $1 AND created_by = $2 AND "
                "(created_at > $3 OR (created_at = $3 AND id > $4)) ORDER BY created_at, id LIMIT $5");
    WHARF_TRY(RunList(q, org_id, page));
    visit(q);
    return Ok();
  }
  Query q(c_, "SELECT " WHARF_KEY_LIST_COLS " FROM ssh_keys WHERE org_id = $1 AND "
              "(created_at > $2 OR (created_at = $2 AND id > $3)) ORDER BY created_at, id LIMIT $4");
  WHARF_TRY(RunList(q, org_id, page));
  visit(q);
  return Ok();
}
Status PgSshKeys::Update(const SshKey& k) {
  Query q(c_, "UPDATE ssh_keys SET name = $1, updated_at = $2 WHERE org_id = $3 AND id = $4");
  q.Text(k.name).Int(k.updated_at).Text(k.org_id).Text(k.id);
  return q.Run("An SSH key named '" + k.name + "' already exists in this organisation.");
}
Result<bool> PgSshKeys::Delete(std::string_view org_id, std::string_view id) {
  Query q(c_, "DELETE FROM ssh_keys WHERE org_id = $1 AND id = $2");
  WHARF_TRY(q.Text(org_id).Text(id).Run());
  return q.Affected() > 0;
}
Result<int64_t> PgSshKeys::CountCreatedBy(std::string_view org_id, std::string_view user_id) {
  Query q(c_, "SELECT COUNT(*) FROM ssh_keys WHERE org_id = $1 AND created_by = $2");
  q.Text(org_id).Text(user_id);
  return Scalar(q);
}

// ---------------------------------------------------------------- security groups

Status PgSecurityGroups::Insert(const SecurityGroup& g) {
  Query q(c_, "INSERT INTO security_groups (" WHARF_GROUP_COLS ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)");
  q.Text(g.id).Text(g.org_id).Text(g.name).Text(g.description).Text(rows::RulesJson(g.inbound).dump());
  q.Text(rows::RulesJson(g.outbound).dump()).Int(g.created_at).Int(g.updated_at).Text(g.created_by);
  return q.Run("A security group named '" + g.name + "' already exists in this organisation.");
}
Result<std::optional<SecurityGroup>> PgSecurityGroups::Find(std::string_view org_id, std::string_view id) {
  Query q(c_, "SELECT " WHARF_GROUP_COLS " FROM security_groups WHERE org_id = $1 AND id = $2");
  WHARF_TRY(q.Text(org_id).Text(id).Run());
  return One<SecurityGroup>(q, rows::ReadGroup<Query>);
}
Result<std::vector<SecurityGroup>> PgSecurityGroups::List(std::string_view org_id, const PageQuery& page) {
  Query q(c_, "SELECT " WHARF_GROUP_COLS " FROM security_groups WHERE org_id = $1 AND ($2 = '' OR created_by = $2) "
              "AND (created_at > $3 OR (created_at = $3 AND id > $4)) ORDER BY created_at, id LIMIT $5");
  WHARF_TRY(q.Text(org_id).Text(page.created_by).Int(AfterTime(page)).Text(page.after_id).Int(page.limit + 1).Run());
  return Collect<SecurityGroup>(q, rows::ReadGroup<Query>);
}
Status PgSecurityGroups::Update(const SecurityGroup& g) {
  Query q(c_, "UPDATE security_groups SET name = $1, description = $2, inbound = $3, outbound = $4, updated_at = $5 "
              "WHERE org_id = $6 AND id = $7");
  q.Text(g.name).Text(g.description).Text(rows::RulesJson(g.inbound).dump()).Text(rows::RulesJson(g.outbound).dump());
  q.Int(g.updated_at).Text(g.org_id).Text(g.id);
  return q.Run("A security group named '" + g.name + "' already exists in this organisation.");
}
Result<bool> PgSecurityGroups::Delete(std::string_view org_id, std::string_view id) {
  Query q(c_, "DELETE FROM security_groups WHERE org_id = $1 AND id = $2");
  WHARF_TRY(q.Text(org_id).Text(id).Run());
  return q.Affected() > 0;
}
Result<int64_t> PgSecurityGroups::CountCreatedBy(std::string_view org_id, std::string_view user_id) {
  Query q(c_, "SELECT COUNT(*) FROM security_groups WHERE org_id = $1 AND created_by = $2");
  q.Text(org_id).Text(user_id);
  return Scalar(q);
}

// ---------------------------------------------------------------- servers

namespace {
std::string IdsJson(const std::vector<std::string>& ids) { return json(ids).dump(); }
}  // namespace

Status PgServers::Insert(const Server& s) {
  Query q(c_, "INSERT INTO servers (" WHARF_SERVER_COLS ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, "
              "$13, $14, $15, $16, $17, $18, $19)");
  q.Text(s.id).Text(s.org_id).Text(s.name).Text(s.host).Int(s.port).Text(s.username).Text(s.ssh_key_id);
  q.Text(IdsJson(s.security_group_ids)).Text(s.host_key_fingerprint).Text(s.status).Text(s.last_check).Int(s.last_check_at);
  q.Text(s.last_error).Int(s.consecutive_failures).Int(s.next_check_at).Text(s.source_address).Int(s.created_at);
  q.Int(s.updated_at).Text(s.created_by);
  return q.Run("A server named '" + s.name + "' already exists in this organisation.");
}
Result<std::optional<Server>> PgServers::Find(std::string_view org_id, std::string_view id) {
  Query q(c_, "SELECT " WHARF_SERVER_COLS " FROM servers WHERE org_id = $1 AND id = $2");
  WHARF_TRY(q.Text(org_id).Text(id).Run());
  return One<Server>(q, rows::ReadServer<Query>);
}
Result<std::vector<Server>> PgServers::List(std::string_view org_id, const PageQuery& page) {
  Query q(c_, "SELECT " WHARF_SERVER_COLS " FROM servers WHERE org_id = $1 AND ($2 = '' OR created_by = $2) "
              "AND (created_at > $3 OR (created_at = $3 AND id > $4)) ORDER BY created_at, id LIMIT $5");
  WHARF_TRY(q.Text(org_id).Text(page.created_by).Int(AfterTime(page)).Text(page.after_id).Int(page.limit + 1).Run());
  return Collect<Server>(q, rows::ReadServer<Query>);
}
Status PgServers::Update(const Server& s) {
  Query q(c_, "UPDATE servers SET name = $1, host = $2, port = $3, username = $4, ssh_key_id = $5, "
              "security_group_ids = $6, host_key_fingerprint = $7, status = $8, last_check = $9, last_check_at = $10, "
              "last_error = $11, consecutive_failures = $12, next_check_at = $13, source_address = $14, "
              "updated_at = $15 WHERE org_id = $16 AND id = $17");
  q.Text(s.name).Text(s.host).Int(s.port).Text(s.username).Text(s.ssh_key_id).Text(IdsJson(s.security_group_ids));
  q.Text(s.host_key_fingerprint).Text(s.status).Text(s.last_check).Int(s.last_check_at).Text(s.last_error);
  q.Int(s.consecutive_failures).Int(s.next_check_at).Text(s.source_address).Int(s.updated_at).Text(s.org_id).Text(s.id);
  return q.Run("A server named '" + s.name + "' already exists in this organisation.");
}
Result<bool> PgServers::Delete(std::string_view org_id, std::string_view id) {
  Query q(c_, "DELETE FROM servers WHERE org_id = $1 AND id = $2");
  WHARF_TRY(q.Text(org_id).Text(id).Run());
  return q.Affected() > 0;
}
Result<int64_t> PgServers::CountCreatedBy(std::string_view org_id, std::string_view user_id) {
  Query q(c_, "SELECT COUNT(*) FROM servers WHERE org_id = $1 AND created_by = $2");
  q.Text(org_id).Text(user_id);
  return Scalar(q);
}
Result<std::vector<Server>> PgServers::ListUsingKey(std::string_view org_id, std::string_view key_id) {
  Query q(c_, "SELECT " WHARF_SERVER_COLS " FROM servers WHERE org_id = $1 AND ssh_key_id = $2 ORDER BY name");
  WHARF_TRY(q.Text(org_id).Text(key_id).Run());
  return Collect<Server>(q, rows::ReadServer<Query>);
}
Result<std::vector<Server>> PgServers::ListUsingGroup(std::string_view org_id, std::string_view group_id) {
  Query q(c_, "SELECT " WHARF_SERVER_COLS " FROM servers WHERE org_id = $1 AND EXISTS "
              "(SELECT 1 FROM jsonb_array_elements_text(servers.security_group_ids::jsonb) g WHERE g = $2) ORDER BY name");
  WHARF_TRY(q.Text(org_id).Text(group_id).Run());
  return Collect<Server>(q, rows::ReadServer<Query>);
}
Result<std::vector<Server>> PgServers::ListDue(Timestamp now, int limit) {
  Query q(c_, "SELECT " WHARF_SERVER_COLS " FROM servers WHERE next_check_at <= $1 ORDER BY next_check_at, id LIMIT $2");
  WHARF_TRY(q.Int(now).Int(limit).Run());
  return Collect<Server>(q, rows::ReadServer<Query>);
}
Status PgServers::RecordCheck(const Server& s, const ServerCheck& c, int keep) {
  Query u(c_, "UPDATE servers SET host_key_fingerprint = $1, status = $2, last_check = $3, last_check_at = $4, "
              "last_error = $5, consecutive_failures = $6, next_check_at = $7, source_address = $8 "
              "WHERE org_id = $9 AND id = $10");
  u.Text(s.host_key_fingerprint).Text(s.status).Text(s.last_check).Int(s.last_check_at).Text(s.last_error);
  u.Int(s.consecutive_failures).Int(s.next_check_at).Text(s.source_address).Text(s.org_id).Text(s.id);
  WHARF_TRY(u.Run());
  if (u.Affected() == 0) return Ok();  // deleted meanwhile
  Query i(c_, "INSERT INTO server_checks (org_id, server_id, at, ok, duration_ms, report) VALUES ($1, $2, $3, $4, $5, $6)");
  WHARF_TRY(i.Text(c.org_id).Text(c.server_id).Int(c.at).Bool(c.ok).Int(c.duration_ms).Text(c.report).Run());
  Query d(c_, "DELETE FROM server_checks WHERE server_id = $1 AND id <= (SELECT id FROM server_checks WHERE "
              "server_id = $1 ORDER BY id DESC LIMIT 1 OFFSET $2)");
  return d.Text(c.server_id).Int(keep).Run();
}
Result<std::vector<ServerCheck>> PgServers::ListChecks(std::string_view org_id, std::string_view server_id, int limit) {
  Query q(c_, "SELECT id, org_id, server_id, at, ok, duration_ms, report FROM server_checks WHERE org_id = $1 AND "
              "server_id = $2 ORDER BY id DESC LIMIT $3");
  WHARF_TRY(q.Text(org_id).Text(server_id).Int(limit).Run());
  return Collect<ServerCheck>(q, [](Query& r) -> Result<ServerCheck> {
    return ServerCheck{r.I64(0), r.Str(1), r.Str(2), r.I64(3), r.I64(4) != 0, r.I64(5), r.Str(6)};
  });
}

// ---------------------------------------------------------------- jobs

Status PgJobs::Insert(const Job& j) {
  Query q(c_, "INSERT INTO jobs (" WHARF_JOB_COLS ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, "
              "$15, $16, $17)");
  q.Text(j.id).Text(j.org_id).Text(j.kind).Text(j.target_id).Text(j.status).Text(j.error).Text(j.log);
  q.Int(j.created_at).Int(j.started_at).Int(j.finished_at).Text(j.created_by);
  q.Text(j.payload).Text(j.claimed_by).Int(j.lease_until).Int(j.attempts).Bool(j.cancel_requested).Int(j.log_offset);
  return q.Run("A job with this id already exists, or its target already runs one.");
}
Result<std::optional<Job>> PgJobs::Find(std::string_view org_id, std::string_view id) {
  Query q(c_, "SELECT " WHARF_JOB_COLS " FROM jobs WHERE org_id = $1 AND id = $2");
  WHARF_TRY(q.Text(org_id).Text(id).Run());
  return One<Job>(q, rows::ReadJob<Query>);
}
Result<std::optional<Job>> PgJobs::FindTail(std::string_view org_id, std::string_view id, size_t offset) {
  // substr counts characters, as SQLite's does on text; log_offset counts characters too.
  Query q(c_, "SELECT id, org_id, kind, target_id, status, error, substr(log, GREATEST($1::bigint - log_offset, 0)::int + 1), "
              "created_at, started_at, finished_at, created_by, payload, claimed_by, lease_until, attempts, cancel_requested, "
              "log_offset + GREATEST($1::bigint - log_offset, 0) FROM jobs WHERE org_id = $2 AND id = $3");
  WHARF_TRY(q.Int(static_cast<int64_t>(offset)).Text(org_id).Text(id).Run());
  return One<Job>(q, rows::ReadJob<Query>);
}
Status PgJobs::AppendLog(std::string_view id, std::string_view text) {
  Query q(c_, "UPDATE jobs SET log = log || $1 WHERE id = $2");
  return q.Text(text).Text(id).Run();
}
Status PgJobs::TrimLog(std::string_view id, size_t max_bytes) {
  std::string log;
  {
    Query q(c_, "SELECT log FROM jobs WHERE id = $1");
    WHARF_TRY(q.Text(id).Run());
    if (!q.Next()) return Ok();
    log = q.Str(0);
  }
  int64_t dropped = 0;
  const size_t cut = JobLogCut(log, max_bytes, &dropped);
  if (cut == 0) return Ok();
  Query u(c_, "UPDATE jobs SET log = $1, log_offset = log_offset + $2 WHERE id = $3");
  return u.Text(std::string_view(log).substr(cut)).Int(dropped).Text(id).Run();
}
Result<std::vector<Job>> PgJobs::ListForTarget(std::string_view org_id, std::string_view target_id, int limit) {
  Query q(c_, "SELECT " WHARF_JOB_NOLOG_COLS " FROM jobs WHERE org_id = $1 AND target_id = $2 ORDER BY created_at DESC LIMIT $3");
  WHARF_TRY(q.Text(org_id).Text(target_id).Int(limit).Run());
  return Collect<Job>(q, rows::ReadJob<Query>);
}
// Claims run under row locks, not the writer lock: SKIP LOCKED lets concurrent claimers (other
// workers, other replicas) pass rows another claim holds; the partial unique index
// jobs_one_running refuses a second running job of one target (kConflict; the caller retries).
Result<std::optional<Job>> PgJobs::Claim(const JobClaim& c) {
  std::optional<Job> job;
  {
    Query q(c_, "SELECT " WHARF_JOB_NOLOG_COLS " FROM jobs WHERE status = 'running' AND lease_until < $1 AND "
                "strpos(',' || $2 || ',', ',' || kind || ',') > 0 ORDER BY lease_until, id LIMIT 1 FOR UPDATE SKIP LOCKED");
    WHARF_TRY(q.Int(c.now).Text(c.kinds).Run());
    WHARF_ASSIGN_OR_RETURN(job, One<Job>(q, rows::ReadJob<Query>));
  }
  if (!job) {
    Query q(c_, "SELECT " WHARF_JOB_NOLOG_COLS " FROM jobs j WHERE status = 'queued' AND "
                "strpos(',' || $1 || ',', ',' || kind || ',') > 0 AND NOT EXISTS (SELECT 1 FROM jobs r WHERE "
                "r.target_id = j.target_id AND r.status = 'running') AND NOT EXISTS (SELECT 1 FROM jobs o WHERE "
                "o.target_id = j.target_id AND o.status = 'queued' AND (o.created_at, o.id) < (j.created_at, j.id) AND "
                "strpos(',' || $1 || ',', ',' || o.kind || ',') > 0) "
                "ORDER BY created_at, id LIMIT 1 FOR UPDATE SKIP LOCKED");
    WHARF_TRY(q.Text(c.kinds).Run());
    WHARF_ASSIGN_OR_RETURN(job, One<Job>(q, rows::ReadJob<Query>));
  }
  if (!job) return job;
  Query u(c_, "UPDATE jobs SET status = 'running', claimed_by = $1, lease_until = $2, attempts = attempts + 1, "
              "started_at = CASE WHEN started_at = 0 THEN $3 ELSE started_at END WHERE id = $4");
  WHARF_TRY(u.Text(c.replica_id).Int(c.lease_until).Int(c.now).Text(job->id).Run("Another job of this target is running."));
  job->status = "running";
  job->claimed_by = c.replica_id;
  job->lease_until = c.lease_until;
  job->attempts += 1;
  if (job->started_at == 0) job->started_at = c.now;
  return job;
}
Result<std::optional<bool>> PgJobs::Heartbeat(std::string_view id, std::string_view replica_id, int64_t attempts,
                                              Timestamp lease_until) {
  Query q(c_, "UPDATE jobs SET lease_until = $1 WHERE id = $2 AND claimed_by = $3 AND attempts = $4 AND status = 'running' "
              "RETURNING cancel_requested");
  WHARF_TRY(q.Int(lease_until).Text(id).Text(replica_id).Int(attempts).Run());
  if (!q.Next()) return std::optional<bool>();
  return std::optional<bool>(q.I64(0) != 0);
}
Result<bool> PgJobs::Finish(const Job& j, std::string_view replica_id, int64_t attempts) {
  Query q(c_, "UPDATE jobs SET status = $1, error = $2, finished_at = $3, lease_until = 0, "
              "claimed_by = CASE WHEN $1 = 'queued' THEN '' ELSE claimed_by END "
              "WHERE id = $4 AND claimed_by = $5 AND attempts = $6 AND status = 'running'");
  WHARF_TRY(q.Text(j.status).Text(j.error).Int(j.finished_at).Text(j.id).Text(replica_id).Int(attempts).Run());
  return q.Affected() > 0;
}
Result<std::optional<Job>> PgJobs::RequestCancel(std::string_view org_id, std::string_view id, Timestamp now) {
  Query q(c_, "UPDATE jobs SET cancel_requested = (status IN ('queued', 'running') OR cancel_requested), "
              "finished_at = CASE WHEN status = 'queued' THEN $1 ELSE finished_at END, "
              "status = CASE WHEN status = 'queued' THEN 'cancelled' ELSE status END WHERE org_id = $2 AND id = $3 "
              "RETURNING " WHARF_JOB_NOLOG_COLS);
  WHARF_TRY(q.Int(now).Text(org_id).Text(id).Run());
  return One<Job>(q, rows::ReadJob<Query>);
}

// ---------------------------------------------------------------- integrations

namespace {
std::string SealedJson(const std::map<std::string, std::string>& m) {
  json j = json::object();
  for (auto& [k, v] : m) j[k] = Base64UrlEncode(v);
  return j.dump();
}
constexpr const char* kIntegrationConflict = "' or with the same credential already exists in this organisation.";
}  // namespace

Status PgIntegrations::Insert(const domain::Integration& i) {
  Query q(c_, "INSERT INTO integrations (" WHARF_INTEGRATION_COLS ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, "
              "$12, $13, $14)");
  q.Text(i.id).Text(i.org_id).Text(i.kind).Text(i.name).Text(json(i.fields).dump()).Text(SealedJson(i.sealed));
  q.Text(i.dedupe_key).Bool(i.verified).Int(i.last_verified_at).Text(i.last_error).Int(i.expires_at);
  q.Int(i.created_at).Int(i.updated_at).Text(i.created_by);
  return q.Run("An integration named '" + i.name + kIntegrationConflict);
}
Result<std::optional<domain::Integration>> PgIntegrations::Find(std::string_view org_id, std::string_view kind,
                                                                std::string_view id) {
  Query q(c_, "SELECT " WHARF_INTEGRATION_COLS " FROM integrations WHERE org_id = $1 AND kind = $2 AND id = $3");
  WHARF_TRY(q.Text(org_id).Text(kind).Text(id).Run());
  return One<domain::Integration>(q, rows::ReadIntegration<Query>);
}
Result<std::optional<domain::Integration>> PgIntegrations::FindByDedupeKey(std::string_view org_id, std::string_view kind,
                                                                           std::string_view key) {
  Query q(c_, "SELECT " WHARF_INTEGRATION_COLS " FROM integrations WHERE org_id = $1 AND kind = $2 AND dedupe_key = $3");
  WHARF_TRY(q.Text(org_id).Text(kind).Text(key).Run());
  return One<domain::Integration>(q, rows::ReadIntegration<Query>);
}
Result<std::vector<domain::Integration>> PgIntegrations::List(std::string_view org_id, std::string_view kind,
                                                              const PageQuery& page) {
  Query q(c_, "SELECT " WHARF_INTEGRATION_COLS " FROM integrations WHERE org_id = $1 AND kind = $2 AND ($3 = '' OR "
              "created_by = $3) AND (created_at > $4 OR (created_at = $4 AND id > $5)) ORDER BY created_at, id LIMIT $6");
  WHARF_TRY(q.Text(org_id).Text(kind).Text(page.created_by).Int(AfterTime(page)).Text(page.after_id).Int(page.limit + 1).Run());
  return Collect<domain::Integration>(q, rows::ReadIntegration<Query>);
}
Status PgIntegrations::Update(const domain::Integration& i) {
  Query q(c_, "UPDATE integrations SET name = $1, fields = $2, sealed = $3, dedupe_key = $4, verified = $5, "
              "last_verified_at = $6, last_error = $7, expires_at = $8, updated_at = $9 WHERE org_id = $10 AND kind = $11 "
              "AND id = $12");
  q.Text(i.name).Text(json(i.fields).dump()).Text(SealedJson(i.sealed)).Text(i.dedupe_key).Bool(i.verified);
  q.Int(i.last_verified_at).Text(i.last_error).Int(i.expires_at).Int(i.updated_at).Text(i.org_id).Text(i.kind).Text(i.id);
  return q.Run("An integration named '" + i.name + kIntegrationConflict);
}
Status PgIntegrations::RecordVerification(const domain::Integration& i) {
  Query q(c_, "UPDATE integrations SET verified = $1, last_verified_at = $2, last_error = $3, expires_at = $4 "
              "WHERE org_id = $5 AND kind = $6 AND id = $7");
  return q.Bool(i.verified).Int(i.last_verified_at).Text(i.last_error).Int(i.expires_at).Text(i.org_id).Text(i.kind).Text(i.id).Run();
}
Result<bool> PgIntegrations::Delete(std::string_view org_id, std::string_view kind, std::string_view id) {
  Query q(c_, "DELETE FROM integrations WHERE org_id = $1 AND kind = $2 AND id = $3");
  WHARF_TRY(q.Text(org_id).Text(kind).Text(id).Run());
  return q.Affected() > 0;
}
Result<int64_t> PgIntegrations::CountCreatedBy(std::string_view org_id, std::string_view kind, std::string_view user_id) {
  Query q(c_, "SELECT COUNT(*) FROM integrations WHERE org_id = $1 AND kind = $2 AND created_by = $3");
  q.Text(org_id).Text(kind).Text(user_id);
  return Scalar(q);
}

Result<std::optional<domain::Integration>> PgIntegrations::FindAnyOrg(std::string_view kind, std::string_view id) {
  Query q(c_, "SELECT " WHARF_INTEGRATION_COLS " FROM integrations WHERE kind = $1 AND id = $2");
  WHARF_TRY(q.Text(kind).Text(id).Run());
  return One<domain::Integration>(q, rows::ReadIntegration<Query>);
}
Result<std::vector<domain::Integration>> PgIntegrations::ListExpiring(std::string_view org_id, Timestamp before, int limit) {
  Query q(c_, "SELECT " WHARF_INTEGRATION_COLS " FROM integrations WHERE org_id = $1 AND expires_at > 0 AND "
              "expires_at <= $2 ORDER BY expires_at, id LIMIT $3");
  WHARF_TRY(q.Text(org_id).Int(before).Int(limit).Run());
  return Collect<domain::Integration>(q, rows::ReadIntegration<Query>);
}
Result<bool> PgIntegrations::RememberWebhookDelivery(std::string_view provider_id, std::string_view key, Timestamp at) {
  Query q(c_, "INSERT INTO webhook_deliveries (provider_id, delivery_key, received_at) VALUES ($1, $2, $3) "
              "ON CONFLICT (provider_id, delivery_key) DO NOTHING");
  WHARF_TRY(q.Text(provider_id).Text(key).Int(at).Run());
  return q.Affected() > 0;
}
Result<int64_t> PgIntegrations::PruneWebhookDeliveries(Timestamp before) {
  Query q(c_, "DELETE FROM webhook_deliveries WHERE received_at < $1");
  WHARF_TRY(q.Int(before).Run());
  return static_cast<int64_t>(q.Affected());
}

// ---------------------------------------------------------------- audit

Result<int64_t> PgAudit::Append(const AuditEvent& e) {
  Query q(c_, "INSERT INTO audit_events (org_id, at, actor_id, actor_email, action, collection, resource_id, outcome, "
              "request_id, ip, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id");
  q.Text(e.org_id).Int(e.at).Text(e.actor_id).Text(e.actor_email).Text(e.action).Text(e.collection);
  q.Text(e.resource_id).Text(e.outcome).Text(e.request_id).Text(e.ip).Text(e.detail);
  return Scalar(q);
}
Result<std::vector<AuditEvent>> PgAudit::List(std::string_view org_id, int64_t before_id, int limit) {
  Query q(c_, "SELECT id, org_id, at, actor_id, actor_email, action, collection, resource_id, outcome, request_id, ip, "
              "detail FROM audit_events WHERE org_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3");
  WHARF_TRY(q.Text(org_id).Int(before_id > 0 ? before_id : INT64_MAX).Int(limit + 1).Run());
  return Collect<AuditEvent>(q, rows::ReadAudit<Query>);
}

// ---------------------------------------------------------------- applications, services, templates

namespace {
}  // namespace

Status PgApplications::Insert(const domain::Application& a) {
  Query q(c_, "INSERT INTO applications (" WHARF_APP_COLS ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)");
  q.Text(a.id).Text(a.org_id).Text(a.name).Text(a.description).Text(a.server_id).Int(a.created_at).Int(a.updated_at);
  q.Text(a.created_by);
  return q.Run("An application named '" + a.name + "' already exists in this organisation.");
}
Result<std::optional<domain::Application>> PgApplications::Find(std::string_view org_id, std::string_view id) {
  Query q(c_, "SELECT " WHARF_APP_COLS " FROM applications WHERE org_id = $1 AND id = $2");
  WHARF_TRY(q.Text(org_id).Text(id).Run());
  return One<domain::Application>(q, rows::ReadApplication<Query>);
}
Result<std::vector<domain::Application>> PgApplications::List(std::string_view org_id, const PageQuery& page) {
  Query q(c_, "SELECT " WHARF_APP_COLS " FROM applications WHERE org_id = $1 AND ($2 = '' OR created_by = $2) AND "
              "(created_at > $3 OR (created_at = $3 AND id > $4)) ORDER BY created_at, id LIMIT $5");
  WHARF_TRY(q.Text(org_id).Text(page.created_by).Int(AfterTime(page)).Text(page.after_id).Int(page.limit + 1).Run());
  return Collect<domain::Application>(q, rows::ReadApplication<Query>);
}
Status PgApplications::Update(const domain::Application& a) {
  Query q(c_, "UPDATE applications SET name = $1, description = $2, server_id = $3, updated_at = $4 WHERE org_id = $5 AND id = $6");
  q.Text(a.name).Text(a.description).Text(a.server_id).Int(a.updated_at).Text(a.org_id).Text(a.id);
  return q.Run("An application named '" + a.name + "' already exists in this organisation.");
}
Result<bool> PgApplications::Delete(std::string_view org_id, std::string_view id) {
  Query q(c_, "DELETE FROM applications WHERE org_id = $1 AND id = $2");
  WHARF_TRY(q.Text(org_id).Text(id).Run());
  return q.Affected() > 0;
}
Result<int64_t> PgApplications::CountCreatedBy(std::string_view org_id, std::string_view user_id) {
  Query q(c_, "SELECT COUNT(*) FROM applications WHERE org_id = $1 AND created_by = $2");
  q.Text(org_id).Text(user_id);
  return Scalar(q);
}

namespace {
}  // namespace

Status PgAppServices::Insert(const domain::AppService& s) {
  Query q(c_, "INSERT INTO app_services (" WHARF_APP_SERVICE_COLS ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, "
              "$11, $12, $13)");
  q.Text(s.id).Text(s.org_id).Text(s.application_id).Text(s.name).Text(s.type).Text(s.config).Blob(s.variables_sealed);
  q.Blob(s.credentials_sealed).Text(s.unset_keys).Text(s.status).Int(s.created_at).Int(s.updated_at).Text(s.created_by);
  return q.Run("A service named '" + s.name + "' already exists in this application.");
}
Result<std::optional<domain::AppService>> PgAppServices::Find(std::string_view org_id, std::string_view id) {
  Query q(c_, "SELECT " WHARF_APP_SERVICE_COLS " FROM app_services WHERE org_id = $1 AND id = $2");
  WHARF_TRY(q.Text(org_id).Text(id).Run());
  return One<domain::AppService>(q, rows::ReadAppService<Query>);
}
Result<std::vector<domain::AppService>> PgAppServices::ListForApplication(std::string_view org_id,
                                                                          std::string_view app_id) {
  Query q(c_, "SELECT " WHARF_APP_SERVICE_COLS " FROM app_services WHERE org_id = $1 AND application_id = $2 "
              "ORDER BY created_at, id");
  WHARF_TRY(q.Text(org_id).Text(app_id).Run());
  return Collect<domain::AppService>(q, rows::ReadAppService<Query>);
}
Status PgAppServices::Update(const domain::AppService& s) {
  Query q(c_, "UPDATE app_services SET name = $1, config = $2, variables_sealed = $3, credentials_sealed = $4, "
              "unset_keys = $5, status = $6, updated_at = $7 WHERE org_id = $8 AND id = $9");
  q.Text(s.name).Text(s.config).Blob(s.variables_sealed).Blob(s.credentials_sealed).Text(s.unset_keys).Text(s.status);
  q.Int(s.updated_at).Text(s.org_id).Text(s.id);
  return q.Run("A service named '" + s.name + "' already exists in this application.");
}
Result<bool> PgAppServices::Delete(std::string_view org_id, std::string_view id) {
  Query q(c_, "DELETE FROM app_services WHERE org_id = $1 AND id = $2");
  WHARF_TRY(q.Text(org_id).Text(id).Run());
  return q.Affected() > 0;
}
Result<int64_t> PgAppServices::CountCreatedBy(std::string_view org_id, std::string_view user_id) {
  Query q(c_, "SELECT COUNT(*) FROM app_services WHERE org_id = $1 AND created_by = $2");
  q.Text(org_id).Text(user_id);
  return Scalar(q);
}

namespace {
}  // namespace

Status PgTemplates::Insert(const domain::AppTemplate& t) {
  Query q(c_, "INSERT INTO app_templates (" WHARF_TEMPLATE_COLS ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)");
  q.Text(t.id).Text(t.org_id).Text(t.name).Text(t.description).Text(t.body).Int(t.created_at).Int(t.updated_at);
  q.Text(t.created_by);
  return q.Run("A template named '" + t.name + "' already exists in this organisation.");
}
Result<std::optional<domain::AppTemplate>> PgTemplates::Find(std::string_view org_id, std::string_view id) {
  Query q(c_, "SELECT " WHARF_TEMPLATE_COLS " FROM app_templates WHERE org_id = $1 AND id = $2");
  WHARF_TRY(q.Text(org_id).Text(id).Run());
  return One<domain::AppTemplate>(q, rows::ReadTemplate<Query>);
}
Result<std::vector<domain::AppTemplate>> PgTemplates::List(std::string_view org_id, const PageQuery& page) {
  Query q(c_, "SELECT " WHARF_TEMPLATE_COLS " FROM app_templates WHERE org_id = $1 AND ($2 = '' OR created_by = $2) AND "
              "(created_at > $3 OR (created_at = $3 AND id > $4)) ORDER BY created_at, id LIMIT $5");
  WHARF_TRY(q.Text(org_id).Text(page.created_by).Int(AfterTime(page)).Text(page.after_id).Int(page.limit + 1).Run());
  return Collect<domain::AppTemplate>(q, rows::ReadTemplate<Query>);
}
Status PgTemplates::Update(const domain::AppTemplate& t) {
  Query q(c_, "UPDATE app_templates SET name = $1, description = $2, body = $3, updated_at = $4 WHERE org_id = $5 AND id = $6");
  q.Text(t.name).Text(t.description).Text(t.body).Int(t.updated_at).Text(t.org_id).Text(t.id);
  return q.Run("A template named '" + t.name + "' already exists in this organisation.");
}
Result<bool> PgTemplates::Delete(std::string_view org_id, std::string_view id) {
  Query q(c_, "DELETE FROM app_templates WHERE org_id = $1 AND id = $2");
  WHARF_TRY(q.Text(org_id).Text(id).Run());
  return q.Affected() > 0;
}
Result<int64_t> PgTemplates::CountCreatedBy(std::string_view org_id, std::string_view user_id) {
  Query q(c_, "SELECT COUNT(*) FROM app_templates WHERE org_id = $1 AND created_by = $2");
  q.Text(org_id).Text(user_id);
  return Scalar(q);
}

namespace {
}  // namespace

Status PgDeployments::Insert(const domain::Deployment& d) {
  Query q(c_, "INSERT INTO deployments (id, org_id, application_id, service_id, action, trigger_kind, ref, commit_sha, "
              "error_layer, error_fix, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)");
  q.Text(d.id).Text(d.org_id).Text(d.application_id).Text(d.service_id).Text(d.action).Text(d.trigger).Text(d.ref);
  q.Text(d.commit_sha).Text(d.error_layer).Text(d.error_fix).Int(d.created_at).Text(d.created_by);
  return q.Run();
}
Result<std::optional<domain::Deployment>> PgDeployments::Find(std::string_view org_id, std::string_view id) {
  Query q(c_, WHARF_DEPLOYMENT_SELECT "WHERE d.org_id = $1 AND d.id = $2");
  WHARF_TRY(q.Text(org_id).Text(id).Run());
  return One<domain::Deployment>(q, rows::ReadDeployment<Query>);
}
Result<std::vector<domain::Deployment>> PgDeployments::List(std::string_view org_id, std::string_view application_id,
                                                            std::string_view service_id, const PageQuery& page) {
  Query q(c_, WHARF_DEPLOYMENT_SELECT "WHERE d.org_id = $1 AND ($2 = '' OR d.application_id = $2) AND "
              "($3 = '' OR d.service_id = $3) AND ($5 = '' OR d.created_at < $6 OR (d.created_at = $6 AND d.id < $5)) "
              "ORDER BY d.created_at DESC, d.id DESC LIMIT $4");
  WHARF_TRY(q.Text(org_id).Text(application_id).Text(service_id).Int(page.limit + 1).Text(page.after_id)
                .Int(page.after_created_at).Run());
  return Collect<domain::Deployment>(q, rows::ReadDeployment<Query>);
}
Status PgDeployments::SetOutcome(std::string_view org_id, std::string_view id, std::string_view commit_sha,
                                 std::string_view error_layer, std::string_view error_fix) {
  Query q(c_, "UPDATE deployments SET commit_sha = CASE WHEN $1 = '' THEN commit_sha ELSE $1 END, error_layer = $2, "
              "error_fix = $3 WHERE org_id = $4 AND id = $5");
  q.Text(commit_sha).Text(error_layer).Text(error_fix).Text(org_id).Text(id);
  return q.Run();
}

}  // namespace wharf::store::pg
