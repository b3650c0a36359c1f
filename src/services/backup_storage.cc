// Backup storage (S3-compatible): {name, endpoint ("" = AWS S3), region, bucket, prefix?,
// path_style?, access_key_id, secret_access_key (sealed, write-only)}, verified by writing,
// reading, listing and deleting a probe object under the prefix (integrations/backup_storage.h).
// Only verified storage can be used for external backups (RequireVerifiedBackupStorage).
// These keys are separate from the AWS compute keys of cloudProviderAccounts.
#include <nlohmann/json.hpp>

#include "base/strings.h"
#include "domain/storage.h"
#include "integrations/backup_storage.h"
#include "nodes/ssh.h"
#include "services/backup_storage.h"

namespace wharf::services {

using domain::Action;
using nlohmann::json;

namespace {

constexpr const char* kSeparateNote =
    "Backup storage keys are used only for backups; they are separate from the AWS compute keys of cloud accounts "
    "(cloud-accounts), and neither is ever used for the other.";

std::string EndpointLabel(const domain::Integration& row) {
  std::string ep = row.Field("endpoint");
  return ep.empty() ? "AWS S3 (" + row.Field("region") + ")" : ep;
}

std::string DedupeKey(const domain::Integration& row) {
  std::string ep = row.Field("endpoint");
  return (ep.empty() ? std::string("aws") : ep) + "|" + row.Field("bucket") + "|" + row.Field("prefix") + "|" +
         row.Field("access_key_id");
}

std::string Label(const domain::Integration& row) {
  return "access key " + row.Field("access_key_id") + " on s3://" + row.Field("bucket") + "/" + row.Field("prefix") +
         " at " + EndpointLabel(row);
}

Status ValidateSecret(const BackupStorageInput& in) {
  if (!in.secret_access_key) return Ok();
  auto v = in.secret_access_key->view();
  if (v.empty()) return FieldError("secret_access_key", "is empty: paste the secret access key shown when the key was created");
  if (v.size() > 256) return FieldError("secret_access_key", "is longer than 256 bytes");
  for (unsigned char c : v)
    if (c <= 0x20 || c == 0x7f)
      return FieldError("secret_access_key", "must not contain spaces or control characters (copy it again without "
                                             "surrounding whitespace)");
  return Ok();
}

Status ApplyInput(const BackupStorageInput& in, domain::Integration& row) {
  if (in.name) {
    WHARF_ASSIGN_OR_RETURN(row.name, domain::ValidateName(*in.name, "name", 100));
  }
  const std::string old_endpoint = row.Field("endpoint");
  const bool had_style = row.fields.count("path_style") > 0;
  if (in.endpoint) {
    WHARF_ASSIGN_OR_RETURN(row.fields["endpoint"], domain::ValidateS3Endpoint(*in.endpoint, "endpoint"));
  }
  if (in.region) {
    WHARF_ASSIGN_OR_RETURN(row.fields["region"], domain::ValidateStorageRegion(*in.region, "region"));
  }
  if (in.bucket) {
    WHARF_ASSIGN_OR_RETURN(row.fields["bucket"], domain::ValidateBucketName(*in.bucket, "bucket"));
  }
  if (in.prefix) {
    WHARF_ASSIGN_OR_RETURN(row.fields["prefix"], domain::NormalizeStoragePrefix(*in.prefix, "prefix"));
  }
  if (in.access_key_id) {
    WHARF_ASSIGN_OR_RETURN(row.fields["access_key_id"], domain::ValidateAccessKeyId(*in.access_key_id, "access_key_id"));
  }
  if (!row.fields.count("endpoint")) row.fields["endpoint"] = "";
  if (!row.fields.count("prefix")) row.fields["prefix"] = "";
  if (in.path_style) {
    row.fields["path_style"] = *in.path_style ? "true" : "false";
  } else if (!had_style || row.Field("endpoint") != old_endpoint) {
    // Custom endpoints: path style, which every S3-compatible host accepts. AWS: virtual-host
    // style, except for bucket names with dots (their TLS certificate would not match).
    const bool aws = row.Field("endpoint").empty();
    row.fields["path_style"] = (!aws || row.Field("bucket").find('.') != std::string::npos) ? "true" : "false";
  }
  if (row.Field("endpoint").empty() && row.Field("path_style") == "false" &&
      row.Field("bucket").find('.') != std::string::npos)
    return FieldError("path_style", "must be true for an AWS bucket whose name contains '.' (virtual-host addresses "
                                    "would not match S3's TLS certificate)");
  row.dedupe_key = DedupeKey(row);
  return Ok();
}

json ReportJson(const integrations::StorageResult& r, const domain::Integration& row) {
  json checks = json::array();
  for (auto& c : r.report.checks) {
    json j = {{"name", c.name}, {"status", c.status}, {"message", c.message}};
    if (!c.layer.empty()) j["layer"] = c.layer;
    if (!c.fix.empty()) j["fix"] = c.fix;
    checks.push_back(std::move(j));
  }
  return {{"ok", r.report.ok()}, {"checks", checks}, {"endpoint_url", r.endpoint_url},
          {"bucket", row.Field("bucket")}, {"prefix", row.Field("prefix")}, {"probe_key", r.probe_key},
          {"note", kSeparateNote}};
}

}  // namespace

integrations::S3Config VerifiedBackupStorage::S3() const {
  integrations::S3Config c{.endpoint = row.Field("endpoint"), .region = row.Field("region"),
                           .bucket = row.Field("bucket"), .path_style = row.Field("path_style") == "true",
                           .access_key_id = row.Field("access_key_id"), .secret_access_key = &secret_access_key};
  c.connect_timeout_ms = connect_timeout_ms;
  c.address_allowed = address_allowed;
  return c;
}

Result<domain::Integration> BackupStorage::CreateBackupStorage(const authz::Principal& p, BackupStorageInput in,
                                                          const RequestContext& ctx) {
  WHARF_TRY(Authorize(p, kBackupStorage.collection, Action::kCreate, nullptr, ctx));
  if (!in.name) return FieldError("name", "is required");
  if (!in.endpoint) in.endpoint = "";
  if (!in.region) return FieldError("region", "is required: the bucket's region, e.g. us-east-1 (AWS) or auto (R2)");
  if (!in.bucket) return FieldError("bucket", "is required: the bucket's name, e.g. acme-backups");
  if (!in.access_key_id) return FieldError("access_key_id", "is required: the key id of a key with read, write, list and delete on the bucket");
  if (!in.secret_access_key)
    return FieldError("secret_access_key", "is required: the secret of that key (these are not your AWS compute keys)");
  WHARF_TRY(ValidateSecret(in));
  domain::Integration row;
  WHARF_TRY(ApplyInput(in, row));
  WHARF_TRY(integrations_.CheckPrivateTarget(domain::S3EndpointHost(row.Field("endpoint")), "endpoint"));
  std::vector<std::pair<std::string, SecretBytes>> secrets;
  secrets.emplace_back("secret_access_key", std::move(*in.secret_access_key));
  std::string label = Label(row);
  return integrations_.InsertIntegration(p, kBackupStorage, std::move(row), std::move(secrets), std::move(label), ctx);
}

Result<domain::Integration> BackupStorage::UpdateBackupStorage(const authz::Principal& p, std::string_view id,
                                                          BackupStorageInput in, const RequestContext& ctx) {
  WHARF_TRY(ValidateSecret(in));
  std::vector<std::pair<std::string, SecretBytes>> secrets;
  if (in.secret_access_key) secrets.emplace_back("secret_access_key", std::move(*in.secret_access_key));
  in.secret_access_key.reset();
  std::string label;
  // A new endpoint, region, bucket or addressing needs the secret again and leaves the row
  // unverified (kBackupStorage.binding, applied by SaveIntegration).
  auto edit = [&](domain::Integration& row) -> Status {
    WHARF_TRY(ApplyInput(in, row));
    WHARF_TRY(integrations_.CheckPrivateTarget(domain::S3EndpointHost(row.Field("endpoint")), "endpoint"));
    label = Label(row);
    return Ok();
  };
  return integrations_.SaveIntegration(p, kBackupStorage, id, edit, std::move(secrets), label, ctx);
}

Result<CheckOutcome> BackupStorage::VerifyBackupStorage(const authz::Principal& p, std::string_view id,
                                                   const RequestContext& ctx) {
  WHARF_ASSIGN_OR_RETURN(auto loaded,
                         integrations_.LoadIntegrationSecret(p, kBackupStorage, id, Action::kUpdate, "secret_access_key", ctx));
  auto& [row, secret] = loaded;
  VerifiedBackupStorage target{row, std::move(secret), row.Field("prefix"), {}, static_cast<int>(config_.connect_timeout_ms)};
  if (!config_.allow_private_targets)
    target.address_allowed = [](std::string_view ip) { return !nodes::IsPrivateAddress(ip); };
  integrations::StorageProbe probe{.s3 = target.S3(), .prefix = target.prefix, .probe_id = ids_.New("probe")};
  probe.s3.timeout_ms = static_cast<int>(config_.command_timeout_ms);
  auto res = integrations::VerifyStorage(probe);
  CheckOutcome out{res.report.ok(), ReportJson(res, row)};
  WHARF_TRY(integrations_.RecordIntegrationVerify(p, kBackupStorage, row, out, ctx));
  return out;
}

Result<CheckOutcome> BackupStorage::TestBackupStorage(const authz::Principal& p, BackupStorageInput in,
                                                 const RequestContext& ctx) {
  WHARF_TRY(Authorize(p, kBackupStorage.collection, Action::kCreate, nullptr, ctx));
  if (!in.name) in.name = "test";
  if (!in.endpoint) in.endpoint = "";
  if (!in.region) return FieldError("region", "is required: the bucket's region, e.g. us-east-1 (AWS) or auto (R2)");
  if (!in.bucket) return FieldError("bucket", "is required: the bucket's name, e.g. acme-backups");
  if (!in.access_key_id) return FieldError("access_key_id", "is required");
  if (!in.secret_access_key) return FieldError("secret_access_key", "is required");
  WHARF_TRY(ValidateSecret(in));
  domain::Integration row;
  WHARF_TRY(ApplyInput(in, row));
  WHARF_TRY(integrations_.CheckPrivateTarget(domain::S3EndpointHost(row.Field("endpoint")), "endpoint"));
  VerifiedBackupStorage target{row, std::move(*in.secret_access_key), row.Field("prefix"), {},
                               static_cast<int>(config_.connect_timeout_ms)};
  if (!config_.allow_private_targets)
    target.address_allowed = [](std::string_view ip) { return !nodes::IsPrivateAddress(ip); };
  integrations::StorageProbe probe{.s3 = target.S3(), .prefix = target.prefix, .probe_id = ids_.New("probe")};
  probe.s3.timeout_ms = static_cast<int>(config_.command_timeout_ms);
  auto res = integrations::VerifyStorage(probe);
  return CheckOutcome{res.report.ok(), ReportJson(res, row)};
}

Result<VerifiedBackupStorage> BackupStorage::RequireVerifiedBackupStorage(const authz::Principal& p, std::string_view id,
                                                                     const RequestContext& ctx) {
  WHARF_ASSIGN_OR_RETURN(auto loaded,
                         integrations_.LoadIntegrationSecret(p, kBackupStorage, id, Action::kRead, "secret_access_key", ctx));
  auto& [row, secret] = loaded;
  if (!row.verified) {
    std::string why = row.last_verified_at == 0 ? " It has never been verified." : "";
    json last = row.last_error.empty() ? json() : json::parse(row.last_error, nullptr, false);
    if (last.is_object() && !last.value("message", "").empty())
      why = " Its last verify failed at the " + last.value("check", "") + " step: " + last.value("message", "");
    auto e = FieldError("backup_storage_id",
                        "Backup storage '" + row.name + "' (" + row.id +
                            ") is not verified. External backups on a database Service require a verified provider "
                            "from Integrations → Backup Storage." +
                            why + " Verify it (POST …/backup-storage/" + row.id + "/verify) and fix what it reports.");
    e.value().layer = Layer::kBackupStorage;
    e.value().details["backup_storage"] = {{"id", row.id}, {"name", row.name}, {"verified", false},
                                           {"last_error", last.is_object() ? last : json()}};
    return e;
  }
  VerifiedBackupStorage out{std::move(row), std::move(secret), {}, {}, static_cast<int>(config_.connect_timeout_ms)};
  out.prefix = out.row.Field("prefix");
  if (!config_.allow_private_targets)
    out.address_allowed = [](std::string_view ip) { return !nodes::IsPrivateAddress(ip); };
  return out;
}

BackupStorage::BackupStorage(Core& core, Integrations& integrations) : Feature(core), integrations_(integrations) {}

}  // namespace wharf::services
