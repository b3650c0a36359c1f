// What backups.cc (the use cases) and backup_jobs.cc (the job bodies) share: row kinds, the
// internal dump/restore snippets, and the row and S3-error helpers. Internal to src/services.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "authz/authz.h"
#include "base/error.h"
#include "domain/types.h"
#include "integrations/s3.h"

namespace wharf::services::backup_internal {

constexpr const char* kBackupRows = "backups";
constexpr const char* kScheduleRows = "backupSchedules";
constexpr const char* kStorageRows = "backupStorage";
constexpr int64_t kHourMs = 3600LL * 1000;
constexpr auto kNodeIdle = std::chrono::milliseconds(120'000);
// The shell snippets of internal backups: fixed text, every value a positional parameter ($1…),
// so nothing a user typed is ever shell text (nodes::CommandLine quotes each argv element).
constexpr const char* kInternalDump =
    "set -e; mkdir -p \"$(dirname \"$3\")\"; dokku \"$1\" \"$2\" > \"$3.partial\"; mv \"$3.partial\" \"$3\"; "
    "wc -c < \"$3\"; sha256sum \"$3\"";
constexpr const char* kInternalRestore = "set -e; [ -f \"$3\" ] || { echo \"no backup file $3\" >&2; exit 3; }; dokku \"$1\" \"$2\" < \"$3\"";

inline tl::unexpected<Error> BackupNotFound() { return Err(ErrorCode::kNotFound, "Backup not found for this service."); }

inline int64_t NumField(const domain::Integration& r, const std::string& k) {
  std::string v = r.Field(k);
  if (v.empty()) return 0;
  try {
    return std::stoll(v);
  } catch (...) {
    return 0;
  }
}

// authz::Resource holds string_views and Field() returns a copy: keep the copies alive as long as
// the resource (a Resource built from Field() temporaries read freed memory, so a role scoped to
// the application was refused its own backups).
struct BackupResource {
  std::string application_id, server_id;
  authz::Resource r;
  explicit BackupResource(const domain::Integration& b)
      : application_id(b.Field("application_id")),
        server_id(b.Field("server_id")),
        r{b.id, b.created_by, application_id, server_id} {}
  BackupResource(const BackupResource&) = delete;
  BackupResource& operator=(const BackupResource&) = delete;
};

// An S3 failure as a Wharf error: no answer is the network's, anything the service said is the
// storage's (keys, bucket policy, region, endpoint). Never holds the secret (S3Error does not).
inline Error S3Failure(const integrations::S3Error& e, std::string_view what) {
  Error err;
  err.code = ErrorCode::kValidationFailed;
  err.layer = e.kind == integrations::S3Error::Kind::kNetwork ? Layer::kNetwork : Layer::kBackupStorage;
  if (e.kind == integrations::S3Error::Kind::kSource) {
    err.message = std::string(what) + ": " + e.message;
    err.layer = Layer::kSsh;
    return err;
  }
  std::string fix;
  if (e.code == "AccessDenied")
    fix = " The storage's key may not do this: its policy needs s3:PutObject, s3:GetObject, s3:ListBucket and "
          "s3:DeleteObject on the bucket and prefix (docs/troubleshooting/integrations.md).";
  else if (e.code == "SignatureDoesNotMatch" || e.code == "InvalidAccessKeyId")
    fix = " Check the storage's access key and secret, then verify it again.";
  else if (e.kind == integrations::S3Error::Kind::kNetwork)
    fix = " Check the storage's endpoint and that this Wharf can reach it.";
  err.message = "External backup failed: " + std::string(what) + ": " + integrations::DescribeS3Error(e) + "." + fix;
  err.details["s3"] = {{"operation", e.operation}, {"status", e.status}, {"code", e.code}};
  return err;
}

inline nlohmann::json LastError(const Error& e) {
  return nlohmann::json{{"message", e.message}, {"layer", std::string(LayerName(e.layer))}};
}

}  // namespace wharf::services::backup_internal
