// Repositories of access control: users, orgs, roles, memberships, sessions, API tokens and
// invitations (part of store.h, which includes it; see there for tenancy and error rules).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "store/repository_types.h"

namespace wharf::store {

class UserRepository {
 public:
  virtual ~UserRepository() = default;
  virtual Status Insert(const User& u) = 0;  // kConflict on duplicate email
  virtual Result<std::optional<User>> FindById(std::string_view id) = 0;
  virtual Result<std::optional<User>> FindByEmail(std::string_view email_lower) = 0;
  virtual Result<int64_t> Count() = 0;
  // email, name, password_hash, instance_admin, email_verified, disabled_at, deleted_at,
  // updated_at. kConflict when the email belongs to another account.
  virtual Status Update(const User& u) = 0;
  virtual Result<std::vector<User>> List() = 0;  // accounts not deleted, by (created_at, id)
};

class OrgRepository {
 public:
  virtual ~OrgRepository() = default;
  virtual Status Insert(const Org& o) = 0;  // kConflict on duplicate slug
  virtual Result<std::optional<Org>> FindBySlug(std::string_view slug) = 0;
  virtual Result<std::optional<Org>> FindById(std::string_view id) = 0;
  virtual Status Update(const Org& o) = 0;  // name, owner_id, seat_limit, updated_at
  virtual Result<std::vector<Org>> ListAll() = 0;  // for master-key rotation
  virtual Status UpdateDataKey(std::string_view org_id, std::string_view wrapped_data_key) = 0;
  // Deletes the org as its members see it: sets deleted_at and moves the slug to `freed_slug`
  // (never a valid slug, so the old one is free again). The row stays for the ids that name it.
  virtual Status MarkDeleted(std::string_view org_id, std::string_view freed_slug, Timestamp at) = 0;
  // Removes every way into the org and every credential it holds: memberships, invitations, SSH
  // keys and integrations are deleted, its API tokens revoked. Call with no servers or
  // applications left (they reference those rows).
  virtual Status PurgeAccess(std::string_view org_id, Timestamp at) = 0;
};

class RoleRepository {
 public:
  virtual ~RoleRepository() = default;
  virtual Status Insert(const Role& r) = 0;  // kConflict on duplicate (org_id, name)
  virtual Result<std::optional<Role>> Find(std::string_view org_id, std::string_view id) = 0;
  virtual Result<std::optional<Role>> FindAdmin(std::string_view org_id) = 0;
  virtual Result<std::vector<Role>> List(std::string_view org_id) = 0;  // by created_at, id
  virtual Status Update(const Role& r) = 0;  // name, description, permissions, resource_scope, updated_at
  virtual Result<bool> Delete(std::string_view org_id, std::string_view id) = 0;  // false if absent
};

struct MemberRow {
  Membership membership;
  User user;  // password_hash is left empty
};

class MembershipRepository {
 public:
  virtual ~MembershipRepository() = default;
  virtual Status Insert(const Membership& m) = 0;  // kConflict if already a member
  virtual Result<std::optional<Membership>> Find(std::string_view org_id, std::string_view user_id) = 0;
  // Members of an org ordered by (joined_at, user_id); page.after_* refer to those columns.
  virtual Result<std::vector<MemberRow>> ListForOrg(std::string_view org_id, const PageQuery& page) = 0;
  virtual Result<std::vector<MemberRow>> ListByRole(std::string_view org_id, std::string_view role_id) = 0;
  virtual Result<std::vector<Membership>> ListForUser(std::string_view user_id) = 0;
  virtual Status UpdateRole(std::string_view org_id, std::string_view user_id, std::string_view role_id) = 0;
  virtual Result<bool> Delete(std::string_view org_id, std::string_view user_id) = 0;
  virtual Result<int64_t> CountForOrg(std::string_view org_id) = 0;
  virtual Result<int64_t> CountByRole(std::string_view org_id, std::string_view role_id) = 0;
  virtual Status ReassignRole(std::string_view org_id, std::string_view from_role_id, std::string_view to_role_id) = 0;
};

class SessionRepository {
 public:
  virtual ~SessionRepository() = default;
  virtual Status Insert(const Session& s) = 0;
  // The unrevoked, unexpired session with this token hash, or nullopt.
  virtual Result<std::optional<Session>> FindActive(std::string_view token_hash, Timestamp now) = 0;
  virtual Status Revoke(std::string_view id, Timestamp at) = 0;
  virtual Status RevokeAllForUser(std::string_view user_id, Timestamp at) = 0;
  // The user's unrevoked, unexpired sessions, oldest first (created_at, id).
  virtual Result<std::vector<Session>> ListActiveForUser(std::string_view user_id, Timestamp now) = 0;
  // Revokes every session of the user but `keep_id`; returns how many ended.
  virtual Result<int64_t> RevokeOthersForUser(std::string_view user_id, std::string_view keep_id, Timestamp at) = 0;
  // Revokes one of the user's sessions; false when it is not theirs or already ended.
  virtual Result<bool> RevokeForUser(std::string_view user_id, std::string_view id, Timestamp at) = 0;
  virtual Status Touch(std::string_view id, Timestamp at) = 0;  // last_used_at only
};

class ApiTokenRepository {
 public:
  virtual ~ApiTokenRepository() = default;
  virtual Status Insert(const ApiToken& t) = 0;
  // The unrevoked token with this hash (expiry is checked by the caller, to answer precisely).
  virtual Result<std::optional<ApiToken>> FindByHash(std::string_view token_hash) = 0;
  virtual Result<std::vector<ApiToken>> ListForUser(std::string_view user_id) = 0;  // unrevoked
  virtual Result<bool> Revoke(std::string_view user_id, std::string_view id, Timestamp at) = 0;
  virtual Status RevokeAllForUser(std::string_view user_id, Timestamp at) = 0;
  virtual Status Touch(std::string_view id, Timestamp at) = 0;  // last_used_at only
};

// Single-use account links (password reset, email verification and change), by token hash.
class AccountTokenRepository {
 public:
  virtual ~AccountTokenRepository() = default;
  virtual Status Insert(const AccountToken& t) = 0;
  // Whatever its state: the caller tells used, expired and voided apart.
  virtual Result<std::optional<AccountToken>> FindByHash(std::string_view token_hash) = 0;
  // Uses the link; false when it was used already (a racing second use loses).
  virtual Result<bool> MarkUsed(std::string_view id, Timestamp at) = 0;
  // Uses up every unused link of this kind for the user (a newer one replaces them).
  virtual Status VoidForUser(std::string_view user_id, domain::AccountTokenKind kind, Timestamp at) = 0;
};

class InvitationRepository {
 public:
  virtual ~InvitationRepository() = default;
  virtual Status Insert(const Invitation& i) = 0;
  virtual Result<std::optional<Invitation>> Find(std::string_view org_id, std::string_view id) = 0;
  // By token hash, whatever its org or status (the caller tells used/revoked/expired apart).
  virtual Result<std::optional<Invitation>> FindByTokenHash(std::string_view token_hash) = 0;
  // Pending and unexpired at `now`, ordered by (created_at, id).
  virtual Result<std::vector<Invitation>> ListPending(std::string_view org_id, Timestamp now, const PageQuery& page) = 0;
  virtual Result<int64_t> CountPending(std::string_view org_id, Timestamp now) = 0;
  virtual Result<std::optional<Invitation>> FindPendingByEmail(std::string_view org_id, std::string_view email,
                                                               Timestamp now) = 0;
  // token_hash, status, expires_at, email_status, email_error, updated_at, accepted_at, accepted_by.
  virtual Status Update(const Invitation& i) = 0;
};

}  // namespace wharf::store
