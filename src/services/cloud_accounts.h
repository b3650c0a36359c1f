// AWS cloud accounts (EC2 provisioning and security-group sync): create, edit, delete (refused
// while EC2 groups made with them remain) and verify with STS and EC2 dry runs.
//
//   auto acc = svc.cloud_accounts().CreateCloudAccount(p, in, ctx);
//   auto out = svc.cloud_accounts().VerifyCloudAccount(p, acc->id, "eu-west-1", ctx);
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
#include "services/integrations.h"

namespace wharf::services {

struct CloudAccountInput {
  std::optional<std::string> name, provider, access_key_id, region;
  std::optional<SecretBytes> secret_access_key;
  std::optional<SecretBytes> session_token;        // an empty value clears it
  std::optional<std::string> session_expires_at;   // RFC 3339 "…Z"; "" clears it
};

class CloudAccounts : public Feature {
 public:
  CloudAccounts(Core& core, Integrations& integrations);

  Result<domain::Integration> CreateCloudAccount(const authz::Principal& p, CloudAccountInput in, const RequestContext& ctx);
  Result<domain::Integration> UpdateCloudAccount(const authz::Principal& p, std::string_view id, CloudAccountInput in,
                                                 const RequestContext& ctx);
  // Refused (409) while EC2 security groups made with it are still recorded.
  Status DeleteCloudAccount(const authz::Principal& p, std::string_view id, const RequestContext& ctx);
  // STS GetCallerIdentity + EC2 DryRuns of every action Wharf needs, in `region` (default: the
  // account's); records verified/last_error and the account id and ARN (cloudProviderAccounts.update).
  Result<CheckOutcome> VerifyCloudAccount(const authz::Principal& p, std::string_view id,
                                          std::optional<std::string> region, const RequestContext& ctx);
  // The same on an unsaved body (cloudProviderAccounts.create); nothing is written.
  Result<CheckOutcome> TestCloudAccount(const authz::Principal& p, CloudAccountInput in, const RequestContext& ctx);

 private:
  Integrations& integrations_;
};

}  // namespace wharf::services
