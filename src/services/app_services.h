// The services of an application (app from git, docker image, database): their settings and
// source checks, variables as templates with secret() values generated and sealed, database
// credentials, domains, and the environment a deployment resolves.
//
//   auto web = svc.app_services().CreateService(p, app_id, {.name = "web", .type = "docker", .image = "nginx"}, ctx);
//   auto vars = svc.app_services().SetVariable(p, web->service.id, {"GREETING", "hi"}, ctx);
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
#include "domain/image_ref.h"
#include "domain/variables.h"
#include "services/integrations.h"
#include "services/registries.h"
#include "services/git_providers.h"

namespace wharf::services {

struct VariableInput {
  std::string key;
  std::string value;  // the template as written
};

// A service's settings as sent; which fields apply depends on `type` (app, docker, database).
struct ServiceInput {
  std::optional<std::string> name, type;
  std::optional<std::string> git_provider_id, repository, branch, tag, build_path;  // app
  std::optional<int64_t> port;                                                       // app
  std::optional<std::string> image, docker_registry_id;                              // docker
  std::optional<std::vector<std::string>> ports;                                     // docker
  std::optional<std::string> engine, version;                                        // database
  std::optional<std::vector<VariableInput>> variables;
};

// One variable as the API shows it: the template as written, what secret() generated only as
// {length, set}, the references it makes, and the resolved value only when revealed.
struct VariableView {
  std::string key;
  std::string value;
  std::vector<int> secret_lengths;
  std::vector<std::string> references;  // "db.DATABASE_URL"
  std::optional<std::string> resolved;  // reveal only
};

struct ServiceView {
  domain::AppService service;
  nlohmann::json config = nlohmann::json::object();  // type fields and domains; never a secret
  std::vector<VariableView> variables;
  std::vector<std::string> unset_keys;
  bool credentials_set = false;
  nlohmann::json checks = nlohmann::json::array();  // the source checks run on save
};

// A service's environment resolved by the control plane, and the keys removed since the last
// deploy (to unset on the node). Values are secrets: never log them; pass them to Dokku's
// config:set base64-encoded. kNotFound when the service is not in the org; kValidationFailed
// (naming the variable) when a reference cannot be resolved yet.
struct DeployEnvironment {
  std::vector<std::pair<std::string, SecretBytes>> set;
  std::vector<std::string> unset;
};

struct PreparedService;

class AppServices : public Feature {
 public:
  AppServices(Core& core, Integrations& integrations, Registries& registries, GitProviders& git_providers);

  Result<std::vector<ServiceView>> ListServices(const authz::Principal& p, std::string_view application_id,
                                                const RequestContext& ctx);
  Result<ServiceView> GetService(const authz::Principal& p, std::string_view id, const RequestContext& ctx);
  // Validates, checks the source (registry host match and pull access; the git seam), generates
  // database credentials and secret() values, seals them, and saves.
  Result<ServiceView> CreateService(const authz::Principal& p, std::string_view application_id, ServiceInput in,
                                    const RequestContext& ctx);
  Result<ServiceView> UpdateService(const authz::Principal& p, std::string_view id, ServiceInput in,
                                    const RequestContext& ctx);
  Status DeleteService(const authz::Principal& p, std::string_view id, const RequestContext& ctx);
  // The variables as templates; with `reveal` (services.update, audited) their resolved values.
  Result<std::vector<VariableView>> ListVariables(const authz::Principal& p, std::string_view id, bool reveal,
                                                  const RequestContext& ctx);
  // Replaces every variable; keys no longer present are recorded to be unset on the node.
  Result<std::vector<VariableView>> PutVariables(const authz::Principal& p, std::string_view id,
                                                 std::vector<VariableInput> vars, const RequestContext& ctx);
  Result<std::vector<VariableView>> SetVariable(const authz::Principal& p, std::string_view id, VariableInput var,
                                                const RequestContext& ctx);
  Result<std::vector<VariableView>> DeleteVariable(const authz::Principal& p, std::string_view id, std::string_view key,
                                                   const RequestContext& ctx);
  // New values for the secret() of `keys` (every key when empty).
  Result<std::vector<VariableView>> RegenerateSecrets(const authz::Principal& p, std::string_view id,
                                                      std::vector<std::string> keys, const RequestContext& ctx);
  // A database's generated credentials (services.update, audited): {engine, user, password, host,
  // port, name, database_url}.
  Result<nlohmann::json> RevealCredentials(const authz::Principal& p, std::string_view id, const RequestContext& ctx);
  // Domains (services.update to change, services.read to list): validated hostnames, unique in the
  // application; the first one is the default ({{ svc.DOMAIN }}).
  Result<nlohmann::json> ListDomains(const authz::Principal& p, std::string_view id, const RequestContext& ctx);
  Result<nlohmann::json> AddDomain(const authz::Principal& p, std::string_view id, std::string_view hostname,
                                   bool letsencrypt, bool make_default, const RequestContext& ctx);
  Result<nlohmann::json> RemoveDomain(const authz::Principal& p, std::string_view id, std::string_view hostname,
                                      const RequestContext& ctx);
  Result<nlohmann::json> SetDefaultDomain(const authz::Principal& p, std::string_view id, std::string_view hostname,
                                          const RequestContext& ctx);
  Result<DeployEnvironment> ResolveEnvironment(std::string_view org_id, std::string_view service_id);
  // After a deploy unset `keys` on the node: drop them from the service's unset_keys.
  Status ClearUnsetKeys(std::string_view org_id, std::string_view service_id, const std::vector<std::string>& keys);
  // Reads what a service's source needs (the registry credential, the git provider) and runs the
  // checks that may touch the network, outside any transaction. Appends to `checks`.
  Status CheckServiceSource(const authz::Principal& p, const PreparedService& s, nlohmann::json& checks,
                            const RequestContext& ctx);
  // Inserts prepared services into `app` inside `tx`: credentials and secret() values generated
  // and sealed, variables validated against the whole application.
  Result<std::vector<domain::AppService>> InsertServices(store::Tx& tx, const authz::Principal& p,
                                                         const domain::Application& app,
                                                         std::vector<PreparedService>& prepared, const RequestContext& ctx);
  // Loads a service of p's org authorized for `a` with its application as the scope resource.
  Result<domain::AppService> ServiceFor(store::Tx& tx, const authz::Principal& p, domain::Action a, std::string_view id,
                                        const RequestContext& ctx);
  Result<ServiceView> ViewService(store::Tx& tx, const authz::Principal& p, const domain::AppService& s, bool reveal);

 private:
  // Edits a service's variables with `edit` and saves them (validated, sealed, audited as `action`).
  Result<std::vector<VariableView>> EditVariables(
      const authz::Principal& p, std::string_view id, std::string action, const RequestContext& ctx,
      const std::function<Status(std::vector<domain::Variable>&, std::vector<std::string>& removed)>& edit);
  Result<nlohmann::json> EditDomains(const authz::Principal& p, std::string_view id, std::string action,
                                     const RequestContext& ctx, const std::function<Status(nlohmann::json&)>& edit,
                                     std::string_view hostname);
  Integrations& integrations_;
  Registries& registries_;
  GitProviders& git_providers_;
};

}  // namespace wharf::services
