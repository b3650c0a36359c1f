// Backup storage verification: can this key write, read, list and delete under the prefix?
//
//   integrations::StorageProbe probe{.s3 = {.endpoint = "", .region = "eu-west-1", .bucket = "acme",
//                                            .access_key_id = "AKIA…", .secret_access_key = &secret},
//                                    .prefix = "wharf/", .probe_id = ids.New("probe")};
//   integrations::StorageResult r = integrations::VerifyStorage(probe);
//   r.report.ok();  // all four steps passed
//
// The steps, each a check of the report: `write` (PutObject of a small probe object at
// `<prefix>.wharf-verify-<probe_id>`), `read` (GetObject, content compared), `list`
// (ListObjectsV2 on the probe's key finds it) and `delete` (DeleteObject). A failure that
// makes every later step fail the same way (no answer, wrong region, missing bucket, unknown
// key, wrong secret, clock skew) ends the probe and skips the rest; a denial of one action
// (AccessDenied) fails that step only, so the report shows every permission the key lacks.
// The probe object is deleted whenever the key may delete.
//
// Layers (API.md): no answer from the endpoint → `network`; everything the service answered →
// `backup_storage`. Messages name the step, the S3 error code and the fix; never the secret.
// Thread-safe (each call is independent).
#pragma once

#include <string>
#include <string_view>

#include "integrations/check.h"
#include "integrations/s3.h"

namespace wharf::integrations {

struct StorageProbe {
  S3Config s3;
  std::string prefix;    // "" or ending in '/'
  std::string probe_id;  // unique per run: names the probe object
};

struct StorageResult {
  Report report;
  std::string endpoint_url;  // where the requests went
  std::string probe_key;
};

StorageResult VerifyStorage(const StorageProbe& probe);

// How one failed step reads in a report. `fatal`: later steps would fail the same way.
struct StorageFailure {
  std::string layer;  // "network" or "backup_storage"
  std::string message;
  std::string fix;
  bool fatal = true;
};
// `step` is "write", "read", "list" or "delete".
StorageFailure ClassifyStorageError(std::string_view step, const S3Error& e, const S3Config& config,
                                    std::string_view endpoint_url);

}  // namespace wharf::integrations
