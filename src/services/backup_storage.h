// S3-compatible backup storage: create, edit, verify (a probe object written, read, listed and
// deleted) and, for external backups, the verified storage opened with its secret.
//
//   auto bst = svc.backup_storage().CreateBackupStorage(p, in, ctx);
//   auto out = svc.backup_storage().VerifyBackupStorage(p, bst->id, ctx);
//
// Thread-safety: every method is safe to call concurrently; state lives in the store (and
// in members that synchronize themselves).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "services/core.h"
#include "integrations/s3.h"
#include "services/integrations.h"

namespace wharf::services {

// Backup storage (S3-compatible). These keys are for backups only: they are not the AWS compute
// keys of cloudProviderAccounts, and neither is ever used for the other.
struct BackupStorageInput {
  std::optional<std::string> name, endpoint, region, bucket, prefix, access_key_id;
  std::optional<bool> path_style;
  std::optional<SecretBytes> secret_access_key;
};

// A verified backup storage, opened for use (external backups, issue 5): the row, its decrypted
// secret, and the client settings. S3() points into this object: keep it alive while the
// client is used. Never log or serialize it.
struct VerifiedBackupStorage {
  domain::Integration row;
  SecretBytes secret_access_key;
  std::string prefix;  // "" or ending in '/': every backup key goes under it
  std::function<bool(std::string_view ip)> address_allowed;
  int connect_timeout_ms = 5000;
  integrations::S3Config S3() const;
};

class BackupStorage : public Feature {
 public:
  BackupStorage(Core& core, Integrations& integrations);

  Result<domain::Integration> CreateBackupStorage(const authz::Principal& p, BackupStorageInput in, const RequestContext& ctx);
  Result<domain::Integration> UpdateBackupStorage(const authz::Principal& p, std::string_view id, BackupStorageInput in,
                                                  const RequestContext& ctx);
  // Writes, reads, lists and deletes a probe object under the prefix with the stored key, and
  // records the outcome on the row (backupStorage.update). Checks: write, read, list, delete.
  Result<CheckOutcome> VerifyBackupStorage(const authz::Principal& p, std::string_view id, const RequestContext& ctx);
  // The same probe on an unsaved body (backupStorage.create); nothing is stored in Wharf.
  Result<CheckOutcome> TestBackupStorage(const authz::Principal& p, BackupStorageInput in, const RequestContext& ctx);
  // For external backups: the storage `id` of p's org (backupStorage.read), opened, only if its
  // last verify passed. Otherwise 400 validation_failed on `backup_storage_id`, layer
  // backup_storage, with the seed's wording: "External backups on a database Service require a
  // verified provider from Integrations → Backup Storage." plus the last verify error, if any.
  Result<VerifiedBackupStorage> RequireVerifiedBackupStorage(const authz::Principal& p, std::string_view id,
                                                             const RequestContext& ctx);

 private:
  Integrations& integrations_;
};

}  // namespace wharf::services
