// Application templates: an application's services saved as settings and variable templates
// (never a secret), and deployed into an existing or a new application, optionally queueing a
// deployment of each created service.
//
//   auto t = svc.templates().CreateTemplate(p, {.name = "shop", .application_id = app_id}, ctx);
//   auto out = svc.templates().DeployTemplate(p, t->id, {.application_id = other, .deploy = true}, ctx);
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
#include "services/app_services.h"
#include "services/deployments.h"

namespace wharf::services {

struct TemplateInput {
  std::optional<std::string> name, description, application_id;
};

// Where a template is deployed: an existing application, or a new one.
struct TemplateDeployInput {
  std::optional<std::string> application_id;
  std::optional<ApplicationInput> application;
  // Also queue a deployment of every created service (databases first), in the same transaction;
  // needs services.update on the application as well.
  bool deploy = false;
};

struct TemplateDeployment {
  domain::Application application;
  bool created_application = false;
  std::vector<ServiceView> services;
  std::map<std::string, std::string> renamed;  // template name → service name, when they differ
  std::vector<domain::Deployment> deployments;  // with deploy: one queued deployment per service
};

class Templates : public Feature {
 public:
  Templates(Core& core, AppServices& app_services, Deployments& deployments);

  Result<Page<domain::AppTemplate>> ListTemplates(const authz::Principal& p, int limit, std::string_view cursor,
                                                  const RequestContext& ctx);
  Result<domain::AppTemplate> GetTemplate(const authz::Principal& p, std::string_view id, const RequestContext& ctx);
  // Saves an application's services (templates.create + services.read on them): settings and
  // variable templates, never a secret, a credential or a generated value.
  Result<domain::AppTemplate> CreateTemplate(const authz::Principal& p, TemplateInput in, const RequestContext& ctx);
  Result<domain::AppTemplate> UpdateTemplate(const authz::Principal& p, std::string_view id, TemplateInput in,
                                             const RequestContext& ctx);
  Status DeleteTemplate(const authz::Principal& p, std::string_view id, const RequestContext& ctx);
  // Creates the template's services in an existing or a new application (templates.read,
  // services.create, and applications.create for a new one), renaming services to stay unique
  // and rewriting {{ svc.VAR }} references to match. With `deploy`, also queues a deployment
  // (trigger "template") of each created service, databases first (services.update). One transaction.
  Result<TemplateDeployment> DeployTemplate(const authz::Principal& p, std::string_view id, TemplateDeployInput in,
                                            const RequestContext& ctx);

 private:
  AppServices& app_services_;
  Deployments& deployments_;
};

}  // namespace wharf::services
