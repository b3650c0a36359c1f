// Repositories of worker nodes and what they connect with: SSH keys, security groups, servers
// (with their health-check history) and integrations of every kind (part of store.h, which
// includes it; see there for tenancy and error rules).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "store/repository_types.h"

namespace wharf::store {

class SshKeyRepository {
 public:
  virtual ~SshKeyRepository() = default;
  virtual Status Insert(const SshKey& k) = 0;  // kConflict on duplicate (org_id, name)
  virtual Result<std::optional<SshKey>> Find(std::string_view org_id, std::string_view id) = 0;
  virtual Result<std::vector<SshKey>> List(std::string_view org_id, const PageQuery& page) = 0;
  // Same rows as List, passed to `fn` as views into the database's memory (no copies).
  virtual Status Visit(std::string_view org_id, const PageQuery& page,
                       const std::function<void(const domain::SshKeyView&)>& fn) = 0;
  virtual Status Update(const SshKey& k) = 0;  // name, updated_at
  virtual Result<bool> Delete(std::string_view org_id, std::string_view id) = 0;
  virtual Result<int64_t> CountCreatedBy(std::string_view org_id, std::string_view user_id) = 0;
};

class SecurityGroupRepository {
 public:
  virtual ~SecurityGroupRepository() = default;
  virtual Status Insert(const SecurityGroup& g) = 0;  // kConflict on duplicate (org_id, name)
  virtual Result<std::optional<SecurityGroup>> Find(std::string_view org_id, std::string_view id) = 0;
  virtual Result<std::vector<SecurityGroup>> List(std::string_view org_id, const PageQuery& page) = 0;
  virtual Status Update(const SecurityGroup& g) = 0;  // name, description, rules, updated_at; kConflict on name
  virtual Result<bool> Delete(std::string_view org_id, std::string_view id) = 0;
  virtual Result<int64_t> CountCreatedBy(std::string_view org_id, std::string_view user_id) = 0;
};

class ServerRepository {
 public:
  virtual ~ServerRepository() = default;
  virtual Status Insert(const Server& s) = 0;  // kConflict on duplicate (org_id, name)
  virtual Result<std::optional<Server>> Find(std::string_view org_id, std::string_view id) = 0;
  virtual Result<std::vector<Server>> List(std::string_view org_id, const PageQuery& page) = 0;
  // Every column but id/org_id/created_*; kConflict on a duplicate name.
  virtual Status Update(const Server& s) = 0;
  virtual Result<bool> Delete(std::string_view org_id, std::string_view id) = 0;
  virtual Result<int64_t> CountCreatedBy(std::string_view org_id, std::string_view user_id) = 0;
  // Servers of the org that use this SSH key / security group (for 409s and the lock-out guard).
  virtual Result<std::vector<Server>> ListUsingKey(std::string_view org_id, std::string_view key_id) = 0;
  virtual Result<std::vector<Server>> ListUsingGroup(std::string_view org_id, std::string_view group_id) = 0;
  // Across all orgs: servers whose next_check_at <= now, oldest due first, at most `limit`.
  virtual Result<std::vector<Server>> ListDue(Timestamp now, int limit) = 0;
  // Records a check's outcome on the row (status, last_check*, last_error, failures, next_check_at,
  // host_key_fingerprint, source_address) and appends it to the history, keeping `keep` entries.
  virtual Status RecordCheck(const Server& s, const ServerCheck& c, int keep) = 0;
  virtual Result<std::vector<ServerCheck>> ListChecks(std::string_view org_id, std::string_view server_id, int limit) = 0;
};

// Integrations of every kind in one table; every method takes the kind as well as the org.
class IntegrationRepository {
 public:
  virtual ~IntegrationRepository() = default;
  // kConflict on a duplicate (org_id, kind, name) or (org_id, kind, dedupe_key).
  virtual Status Insert(const Integration& i) = 0;
  virtual Result<std::optional<Integration>> Find(std::string_view org_id, std::string_view kind, std::string_view id) = 0;
  virtual Result<std::optional<Integration>> FindByDedupeKey(std::string_view org_id, std::string_view kind,
                                                             std::string_view dedupe_key) = 0;
  virtual Result<std::vector<Integration>> List(std::string_view org_id, std::string_view kind, const PageQuery& page) = 0;
  // name, fields, sealed, dedupe_key, verified, last_verified_at, last_error, expires_at, updated_at.
  virtual Status Update(const Integration& i) = 0;
  // Only the outcome of a verify: verified, last_verified_at, last_error, expires_at.
  virtual Status RecordVerification(const Integration& i) = 0;
  virtual Result<bool> Delete(std::string_view org_id, std::string_view kind, std::string_view id) = 0;
  virtual Result<int64_t> CountCreatedBy(std::string_view org_id, std::string_view kind, std::string_view user_id) = 0;
  // The row `id` of `kind` in whichever org holds it: for unauthenticated entry points that carry
  // only the id (git webhooks, /api/v1/webhooks/git/{id}); the caller then works in row.org_id.
  virtual Result<std::optional<Integration>> FindAnyOrg(std::string_view kind, std::string_view id) = 0;
  // Every kind's rows of the org (of every org when org_id is empty: the expiry sweep) with
  // 0 < expires_at <= before, soonest first (at most `limit`).
  virtual Result<std::vector<Integration>> ListExpiring(std::string_view org_id, Timestamp before, int limit) = 0;
  // Rows of every org of the given kinds whose last verification ran at or before `before`,
  // oldest first (at most `limit`): those verified at least once (last_verified_at > 0) whose
  // last verification still stands (verified, or failed with a last_error), not the rows whose
  // credential or destination changed since (unverified and without an error).
  virtual Result<std::vector<Integration>> ListVerifyDue(const std::vector<std::string>& kinds, Timestamp before,
                                                         int limit) = 0;
  // Webhook replay protection (git providers): remembers `key`, a delivery id or a body digest,
  // for provider `provider_id` at `at`. True when it is new; false when it was already
  // remembered (a replay). Of two identical deliveries at once, exactly one gets true.
  virtual Result<bool> RememberWebhookDelivery(std::string_view provider_id, std::string_view key, Timestamp at) = 0;
  // Forgets the deliveries remembered before `before`; returns how many.
  virtual Result<int64_t> PruneWebhookDeliveries(Timestamp before) = 0;
};

}  // namespace wharf::store
