// Cloud accounts (AWS compute credentials): {name, provider: "aws", access_key_id,
// secret_access_key (sealed), session_token? (sealed), region, session_expires_at?}, verified with
// STS GetCallerIdentity and EC2 DryRuns (integrations/aws.h). These are the keys Wharf provisions
// EC2 with; backup storage has its own S3 keys (backupStorage), never these.
#include <regex>

#include <nlohmann/json.hpp>

#include "base/strings.h"
#include "http_client/sigv4.h"
#include "integrations/aws.h"
#include "nodes/ssh.h"
#include "services/aws_target.h"
#include "services/cloud_accounts.h"

namespace wharf::services {

using domain::Action;
using nlohmann::json;

namespace {

std::string Label(const std::string& key_id) { return "access key " + key_id; }

Status ValidateKeyId(std::string_view v) {
  static const std::regex re("^(AKIA|ASIA)[A-Z0-9]{16}$");
  if (Trim(v).empty()) return FieldError("access_key_id", "is required: the IAM access key id (AKIA… or ASIA…)");
  if (!std::regex_match(v.begin(), v.end(), re))
    return FieldError("access_key_id",
                      "must be an AWS access key id: 20 characters, AKIA… for an IAM user's long-term key or ASIA… for "
                      "temporary credentials, upper-case letters and digits");
  return Ok();
}

Status ValidateSecret(const SecretBytes& s) {
  static const std::regex re("^[A-Za-z0-9/+]{40}$");
  std::string v(s.view());
  bool ok = std::regex_match(v, re);
  std::fill(v.begin(), v.end(), '\0');
  if (s.size() == 0) return FieldError("secret_access_key", "is required: the 40-character secret shown once when the key was created");
  if (!ok)
    return FieldError("secret_access_key",
                      "must be the 40-character secret access key (letters, digits, '/' and '+') shown once when the "
                      "key was created; it was " + std::to_string(s.size()) + " characters");
  return Ok();
}

Status ValidateRegion(std::string_view r) {
  if (Trim(r).empty()) return FieldError("region", "is required: the default AWS region, e.g. eu-west-1 or us-east-1");
  if (!integrations::IsAwsRegionName(r))
    return FieldError("region", "must be an AWS region name such as eu-west-1, us-east-1 or us-gov-west-1 (lower case, "
                                "not the display name like 'Europe (Ireland)')");
  return Ok();
}

Status ApplyInput(const CloudAccountInput& in, domain::Integration& row, Timestamp* expires_at) {
  if (in.name) {
    WHARF_ASSIGN_OR_RETURN(row.name, domain::ValidateName(*in.name, "name", 100));
  }
  if (in.provider && *in.provider != "aws")
    return FieldError("provider", "must be \"aws\" (the only cloud provider Wharf provisions on)");
  row.fields["provider"] = "aws";
  if (in.access_key_id) {
    WHARF_TRY(ValidateKeyId(*in.access_key_id));
    if (row.Field("access_key_id") != *in.access_key_id) {
      // Another key: the identity found by the last verify is no longer known.
      row.fields.erase("account_id");
      row.fields.erase("arn");
      row.fields.erase("user_id");
    }
    row.fields["access_key_id"] = *in.access_key_id;
  }
  if (in.region) {
    WHARF_TRY(ValidateRegion(*in.region));
    row.fields["region"] = *in.region;
  }
  if (in.session_expires_at) {
    if (in.session_expires_at->empty()) {
      *expires_at = 0;
    } else {
      auto t = http_client::sigv4::ParseIso8601(*in.session_expires_at);
      if (!t) return FieldError("session_expires_at", "must be an RFC 3339 UTC time such as 2026-01-31T18:00:00Z (the Expiration of the STS credentials)");
      *expires_at = *t;
    }
  }
  if (in.session_token && in.session_token->size() > 4096) return FieldError("session_token", "is longer than 4096 bytes");
  row.dedupe_key = row.Field("access_key_id");
  return Ok();
}

// A temporary key needs its session token; a long-term key has none.
Status CheckTokenPairing(const std::string& key_id, bool has_token) {
  if (StartsWith(key_id, "ASIA") && !has_token)
    return FieldError("session_token", "is required with a temporary (ASIA…) access key: paste the SessionToken that "
                                       "came with it, or use a long-term AKIA… key");
  if (StartsWith(key_id, "AKIA") && has_token)
    return FieldError("session_token", "is only used with temporary (ASIA…) access keys; a long-term AKIA… key has "
                                       "none: leave it empty");
  return Ok();
}

json ReportJson(const integrations::Report& r) {
  json checks = json::array();
  for (auto& c : r.checks) {
    json j = {{"name", c.name}, {"status", c.status}, {"message", c.message}};
    if (!c.layer.empty()) j["layer"] = c.layer;
    if (!c.fix.empty()) j["fix"] = c.fix;
    checks.push_back(std::move(j));
  }
  return {{"ok", r.ok()}, {"checks", checks}};
}

}  // namespace

integrations::AwsTarget AwsTargetFor(const Config& config, const std::string& key_id, const SecretBytes* secret,
                                     const SecretBytes* token, const std::string& region) {
  integrations::AwsTarget t;
  t.access_key_id = key_id;
  t.secret = secret;
  t.session_token = token && token->size() ? token : nullptr;
  t.region = region;
  t.endpoint_override = config.aws_endpoint_override;
  t.connect_timeout_ms = static_cast<int>(config.connect_timeout_ms);
  t.timeout_ms = static_cast<int>(config.aws_timeout_ms);
  t.backoff_ms = config.aws_backoff_ms;
  if (!config.allow_private_targets) t.address_allowed = [](std::string_view ip) { return !nodes::IsPrivateAddress(ip); };
  return t;
}

namespace {

// Runs the verify and shapes its answer (identity, region, endpoints) as the API shows it.
json RunVerify(const integrations::AwsTarget& t, integrations::AwsVerifyResult* res) {
  *res = integrations::VerifyAwsAccount(t);
  json j = ReportJson(res->report);
  j["region"] = t.region;
  j["endpoints"] = {{"sts", integrations::AwsEndpoint("sts", t.region, t.endpoint_override)},
                    {"ec2", integrations::AwsEndpoint("ec2", t.region, t.endpoint_override)}};
  if (!res->identity.account.empty()) {
    j["account_id"] = res->identity.account;
    j["arn"] = res->identity.arn;
  }
  j["credentials"] = "compute (EC2); backup storage uses its own S3 keys";
  return j;
}

}  // namespace

Result<domain::Integration> CloudAccounts::CreateCloudAccount(const authz::Principal& p, CloudAccountInput in,
                                                         const RequestContext& ctx) {
  WHARF_TRY(Authorize(p, kCloudAccounts.collection, Action::kCreate, nullptr, ctx));
  if (!in.name) return FieldError("name", "is required");
  if (!in.access_key_id) return FieldError("access_key_id", "is required: the IAM access key id (AKIA… or ASIA…)");
  if (!in.secret_access_key) return FieldError("secret_access_key", "is required: the secret shown once when the key was created");
  if (!in.region) return FieldError("region", "is required: the default AWS region, e.g. eu-west-1");
  domain::Integration row;
  WHARF_TRY(ApplyInput(in, row, &row.expires_at));
  WHARF_TRY(ValidateSecret(*in.secret_access_key));
  const bool has_token = in.session_token && in.session_token->size() > 0;
  WHARF_TRY(CheckTokenPairing(row.Field("access_key_id"), has_token));
  std::vector<std::pair<std::string, SecretBytes>> secrets;
  secrets.emplace_back("secret_access_key", std::move(*in.secret_access_key));
  if (has_token) secrets.emplace_back("session_token", std::move(*in.session_token));
  std::string label = Label(row.Field("access_key_id"));
  return integrations_.InsertIntegration(p, kCloudAccounts, std::move(row), std::move(secrets), std::move(label), ctx);
}

Result<domain::Integration> CloudAccounts::UpdateCloudAccount(const authz::Principal& p, std::string_view id,
                                                         CloudAccountInput in, const RequestContext& ctx) {
  if (in.secret_access_key) WHARF_TRY(ValidateSecret(*in.secret_access_key));
  std::vector<std::pair<std::string, SecretBytes>> secrets;
  std::string label;
  const bool token_given = in.session_token.has_value();
  const bool token_set = token_given && in.session_token->size() > 0;
  auto edit = [&](domain::Integration& row) -> Status {
    WHARF_TRY(ApplyInput(in, row, &row.expires_at));
    if (token_given && !token_set) row.sealed.erase("session_token");
    const bool has_token = token_given ? token_set : row.sealed.count("session_token") > 0;
    WHARF_TRY(CheckTokenPairing(row.Field("access_key_id"), has_token));
    if (token_given) {
      // A new (or cleared) token: the identity and verification start over.
      row.verified = false;
      row.last_error.clear();
    }
    label = Label(row.Field("access_key_id"));
    return Ok();
  };
  if (in.secret_access_key) secrets.emplace_back("secret_access_key", std::move(*in.secret_access_key));
  if (token_set) secrets.emplace_back("session_token", std::move(*in.session_token));
  in.secret_access_key.reset();
  in.session_token.reset();
  return integrations_.SaveIntegration(p, kCloudAccounts, id, edit, std::move(secrets), label, ctx);
}

Status CloudAccounts::DeleteCloudAccount(const authz::Principal& p, std::string_view id, const RequestContext& ctx) {
  WHARF_TRY(Authorize(p, kCloudAccounts.collection, Action::kDelete, nullptr, ctx, id));
  std::vector<domain::Integration> links;
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    store::PageQuery q;
    q.limit = 1000;
    WHARF_ASSIGN_OR_RETURN(auto all, tx.integrations().List(p.org_id, kEc2GroupLinks.name, q));
    for (auto& l : all)
      if (l.Field("cloud_account_id") == id) links.push_back(std::move(l));
    return Ok();
  }));
  if (!links.empty()) {
    json groups = json::array();
    for (auto& l : links)
      groups.push_back({{"security_group_id", l.Field("security_group_id")}, {"ec2_group_id", l.Field("ec2_group_id")},
                        {"region", l.Field("region")}});
    auto e = Err(ErrorCode::kConflict, "This cloud account still manages " + std::to_string(links.size()) +
                                           " EC2 security group(s) (" + links.front().Field("ec2_group_id") +
                                           "…). Delete them on EC2 first (DELETE …/security-groups/{id}/ec2), or "
                                           "delete the Wharf security groups.");
    e.value().details = {{"ec2_groups", groups}};
    return e;
  }
  return integrations_.DeleteIntegration(p, kCloudAccounts, id, ctx);
}

Result<CheckOutcome> CloudAccounts::TestCloudAccount(const authz::Principal& p, CloudAccountInput in,
                                                const RequestContext& ctx) {
  WHARF_TRY(Authorize(p, kCloudAccounts.collection, Action::kCreate, nullptr, ctx));
  if (!in.access_key_id) return FieldError("access_key_id", "is required: the IAM access key id (AKIA… or ASIA…)");
  if (!in.secret_access_key) return FieldError("secret_access_key", "is required: the secret shown once when the key was created");
  if (!in.region) return FieldError("region", "is required: the default AWS region, e.g. eu-west-1");
  if (!in.name) in.name = "test";
  domain::Integration row;
  WHARF_TRY(ApplyInput(in, row, &row.expires_at));
  WHARF_TRY(ValidateSecret(*in.secret_access_key));
  const bool has_token = in.session_token && in.session_token->size() > 0;
  WHARF_TRY(CheckTokenPairing(row.Field("access_key_id"), has_token));
  auto t = AwsTargetFor(config_, row.Field("access_key_id"), &*in.secret_access_key,
                        has_token ? &*in.session_token : nullptr, row.Field("region"));
  integrations::AwsVerifyResult res;
  json j = RunVerify(t, &res);
  return CheckOutcome{res.report.ok(), j};
}

Result<CheckOutcome> CloudAccounts::VerifyCloudAccount(const authz::Principal& p, std::string_view id,
                                                  std::optional<std::string> region, const RequestContext& ctx) {
  if (region) WHARF_TRY(ValidateRegion(*region));
  WHARF_ASSIGN_OR_RETURN(auto loaded, integrations_.LoadIntegrationSecrets(p, kCloudAccounts, id, Action::kUpdate, ctx));
  auto& [row, secrets] = loaded;
  const SecretBytes* token = secrets.count("session_token") ? &secrets["session_token"] : nullptr;
  auto t = AwsTargetFor(config_, row.Field("access_key_id"), &secrets["secret_access_key"], token,
                        region.value_or(row.Field("region")));
  integrations::AwsVerifyResult res;
  json j = RunVerify(t, &res);
  bool fields_changed = false;
  if (!res.identity.account.empty() &&
      (row.Field("account_id") != res.identity.account || row.Field("arn") != res.identity.arn)) {
    row.fields["account_id"] = res.identity.account;
    row.fields["arn"] = res.identity.arn;
    row.fields["user_id"] = res.identity.user_id;
    fields_changed = true;
  }
  if (res.token_expired) {
    // The session's end is known only as "before now" unless the user told us when.
    if (row.expires_at == 0 || row.expires_at > clock_.Now()) row.expires_at = clock_.Now();
    j["session_expired_at"] = FormatRfc3339(row.expires_at);
    fields_changed = true;
  }
  CheckOutcome out{res.report.ok(), j};
  WHARF_TRY(integrations_.RecordIntegrationVerify(p, kCloudAccounts, row, out, ctx, fields_changed));
  return out;
}

CloudAccounts::CloudAccounts(Core& core, Integrations& integrations) : Feature(core), integrations_(integrations) {}

}  // namespace wharf::services
