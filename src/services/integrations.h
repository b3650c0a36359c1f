// The machinery every integration kind shares (Docker registries, git providers, backup storage,
// cloud accounts): list, get, delete and the expiring-credential list as use cases, and for the
// kind features the create/update with sealed secret fields and the duplicate check, opening a
// sealed field, and the verify bookkeeping. It also holds the GitHub App installation-token cache.
//
//   auto page = svc.integrations().ListIntegrations(p, kDockerRegistries, 50, "", ctx);
//   WHARF_ASSIGN_OR_RETURN(auto row_and_secret,
//       integrations.LoadIntegrationSecret(p, kGitProviders, id, domain::Action::kUpdate, "token", ctx));
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
#include "integrations/github_app.h"

namespace wharf::services {

// Integrations: one descriptor per kind; the shared machinery (list, get, delete, create with
// sealed secret fields and the duplicate check, verify bookkeeping) takes it.
// Binds an integration's stored secrets to where they are sent (docs/security.md "Secrets bound
// to their destination"). Changing a `destination` field of a row that holds one of `secrets`
// needs every such secret again in the same request (SaveIntegration answers 400 naming each
// missing one); otherwise a member who may edit but cannot read the secret could point the row
// at their own server and have Wharf send it there. A changed destination leaves the row
// unverified.
struct SecretBinding {
  std::vector<const char*> destination;  // row.fields that say where requests go
  std::vector<const char*> secrets;      // sealed fields sent there
};

struct IntegrationKind {
  domain::Collection collection;
  const char* name;       // collection name, kind column and audit collection: "dockerRegistries"
  const char* id_prefix;  // "reg"
  const char* noun;       // "Docker registry"
  SecretBinding binding = {};
};

inline const IntegrationKind kDockerRegistries{domain::Collection::kDockerRegistries, "dockerRegistries", "reg",
                                               "Docker registry", {{"host"}, {"password"}}};

// A token host's token goes to base_url; a GitHub App's key signs JWTs for app_id sent to api_url.
inline const IntegrationKind kGitProviders{domain::Collection::kGitProviders, "gitProviders", "git", "git provider",
                                           {{"base_url", "api_url", "app_id"}, {"token", "private_key"}}};

// The endpoint, region and addressing say which host gets the signed requests; the bucket says
// where database dumps go.
inline const IntegrationKind kBackupStorage{domain::Collection::kBackupStorage, "backupStorage", "bst",
                                            "Backup storage",
                                            {{"endpoint", "region", "bucket", "path_style"}, {"secret_access_key"}}};

// AWS compute credentials (EC2 provisioning and security-group sync). Separate from backup storage's
// S3 keys (backupStorage), which never provision anything.
// The region picks the regional STS and EC2 endpoints the signed requests go to.
inline const IntegrationKind kCloudAccounts{domain::Collection::kCloudProviderAccounts, "cloudProviderAccounts", "aws",
                                            "cloud account", {{"region"}, {"secret_access_key", "session_token"}}};

// Which EC2 security group a Wharf security group became, per (group, cloud account, region).
// Rows of the integrations table with this kind; never listed as an integration.
inline const IntegrationKind kEc2GroupLinks{domain::Collection::kSecurityGroups, "ec2SecurityGroups", "ec2sg",
                                            "EC2 security group"};

class Integrations : public Feature {
 public:
  explicit Integrations(Core& core);

  // GitHub App installation tokens, per provider id, in memory only (thread-safe).
  integrations::GithubTokenCache& github_tokens() { return github_tokens_; }

  Result<Page<domain::Integration>> ListIntegrations(const authz::Principal& p, const IntegrationKind& k, int limit,
                                                     std::string_view cursor, const RequestContext& ctx);
  Result<domain::Integration> GetIntegration(const authz::Principal& p, const IntegrationKind& k, std::string_view id,
                                             const RequestContext& ctx);
  Status DeleteIntegration(const authz::Principal& p, const IntegrationKind& k, std::string_view id,
                           const RequestContext& ctx);
  // The rows whose credential expires (or expired) within `within_ms` from now, soonest first
  // (rows with an unknown expiry are left out).
  Result<std::vector<domain::Integration>> ListExpiringIntegrations(const authz::Principal& p, const IntegrationKind& k,
                                                                    int64_t within_ms, const RequestContext& ctx);
  // Integrations of every kind whose credential expires within `within_days` (or has expired),
  // soonest first; kinds the caller may not read are left out.
  Result<std::vector<domain::Integration>> ListExpiringIntegrations(const authz::Principal& p, int within_days,
                                                                    const RequestContext& ctx);
  // Integrations: the shared create/update/verify bookkeeping (integrations.cc).
  Result<domain::Integration> InsertIntegration(const authz::Principal& p, const IntegrationKind& k,
                                                domain::Integration row, std::vector<std::pair<std::string, SecretBytes>> secrets,
                                                std::string credential_label, const RequestContext& ctx);
  Result<domain::Integration> SaveIntegration(const authz::Principal& p, const IntegrationKind& k, std::string_view id,
                                              const std::function<Status(domain::Integration&)>& edit,
                                              std::vector<std::pair<std::string, SecretBytes>> secrets,
                                              std::string credential_label, const RequestContext& ctx);
  // Loads the row (authorized for `a`) and opens one sealed field.
  Result<std::pair<domain::Integration, SecretBytes>> LoadIntegrationSecret(const authz::Principal& p,
                                                                             const IntegrationKind& k, std::string_view id,
                                                                             domain::Action a, const std::string& field,
                                                                             const RequestContext& ctx);
  // With `fields_changed`, the row's fields (and expires_at) are saved too.
  Status RecordIntegrationVerify(const authz::Principal& p, const IntegrationKind& k, domain::Integration row,
                                 const CheckOutcome& out, const RequestContext& ctx, bool fields_changed = false);
  // Loads the row (authorized for `a`) and opens every sealed field.
  Result<std::pair<domain::Integration, std::map<std::string, SecretBytes>>> LoadIntegrationSecrets(
      const authz::Principal& p, const IntegrationKind& k, std::string_view id, domain::Action a,
      const RequestContext& ctx);
  Status CheckPrivateTarget(std::string_view host, std::string_view field) const;

 private:
  integrations::GithubTokenCache github_tokens_;  // installation tokens, per provider id, in memory only
};

}  // namespace wharf::services
