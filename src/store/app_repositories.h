// Repositories of applications: applications, their services, templates and deployments (part
// of store.h, which includes it; see there for tenancy and error rules).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "store/repository_types.h"

namespace wharf::store {

// Applications (and the legacy "projects" view of the same rows).
class ApplicationRepository {
 public:
  virtual ~ApplicationRepository() = default;
  virtual Status Insert(const Application& a) = 0;  // kConflict on duplicate (org_id, name)
  virtual Result<std::optional<Application>> Find(std::string_view org_id, std::string_view id) = 0;
  virtual Result<std::vector<Application>> List(std::string_view org_id, const PageQuery& page) = 0;
  // Every application of the org that runs on `server_id`, by (created_at, id).
  virtual Result<std::vector<Application>> ListOnServer(std::string_view org_id, std::string_view server_id) = 0;
  virtual Status Update(const Application& a) = 0;  // name, description, server_id, updated_at; kConflict on name
  virtual Result<bool> Delete(std::string_view org_id, std::string_view id) = 0;
  virtual Result<int64_t> CountCreatedBy(std::string_view org_id, std::string_view user_id) = 0;
};

// Services of applications. Names are unique per application.
class AppServiceRepository {
 public:
  virtual ~AppServiceRepository() = default;
  virtual Status Insert(const AppService& s) = 0;  // kConflict on duplicate (org_id, application_id, name)
  virtual Result<std::optional<AppService>> Find(std::string_view org_id, std::string_view id) = 0;
  // Every service of the application, by (created_at, id).
  virtual Result<std::vector<AppService>> ListForApplication(std::string_view org_id, std::string_view application_id) = 0;
  // name, config, variables_sealed, credentials_sealed, unset_keys, status, updated_at; kConflict on name.
  virtual Status Update(const AppService& s) = 0;
  virtual Result<bool> Delete(std::string_view org_id, std::string_view id) = 0;
  virtual Result<int64_t> CountCreatedBy(std::string_view org_id, std::string_view user_id) = 0;
};

class TemplateRepository {
 public:
  virtual ~TemplateRepository() = default;
  virtual Status Insert(const AppTemplate& t) = 0;  // kConflict on duplicate (org_id, name)
  virtual Result<std::optional<AppTemplate>> Find(std::string_view org_id, std::string_view id) = 0;
  virtual Result<std::vector<AppTemplate>> List(std::string_view org_id, const PageQuery& page) = 0;
  virtual Status Update(const AppTemplate& t) = 0;  // name, description, body, updated_at
  virtual Result<bool> Delete(std::string_view org_id, std::string_view id) = 0;
  virtual Result<int64_t> CountCreatedBy(std::string_view org_id, std::string_view user_id) = 0;
};

// Deployments (services/deployments.cc). Reads join the job row for status, error and times.
class DeploymentRepository {
 public:
  virtual ~DeploymentRepository() = default;
  virtual Status Insert(const Deployment& d) = 0;  // in the transaction that enqueued its job
  virtual Result<std::optional<Deployment>> Find(std::string_view org_id, std::string_view id) = 0;
  // Newest first (created_at, id descending); `service_id` or `application_id` empty = any.
  // `q.after_*` is the last row of the previous page (empty = from the newest). At most
  // q.limit + 1 rows (the +1 tells "more").
  virtual Result<std::vector<Deployment>> List(std::string_view org_id, std::string_view application_id,
                                               std::string_view service_id, const PageQuery& q) = 0;
  // commit_sha (when not empty), error_layer and error_fix.
  virtual Status SetOutcome(std::string_view org_id, std::string_view id, std::string_view commit_sha,
                            std::string_view error_layer, std::string_view error_fix) = 0;
  // The watch after start: "" (none yet), "watching", "passed" or "failed" (reads then answer
  // status "failed_after_start").
  virtual Status SetAfterStart(std::string_view org_id, std::string_view id, std::string_view after_start) = 0;
};

// Releases of services (services/releases.cc), numbered per service.
class ReleaseRepository {
 public:
  virtual ~ReleaseRepository() = default;
  virtual Status Insert(const Release& r) = 0;  // kConflict on a duplicate (service, version)
  // The service's releases, newest (highest version) first.
  virtual Result<std::vector<Release>> List(std::string_view org_id, std::string_view service_id) = 0;
  virtual Result<std::optional<Release>> Find(std::string_view org_id, std::string_view service_id, int64_t version) = 0;
  virtual Result<std::optional<Release>> FindByDeployment(std::string_view org_id, std::string_view deployment_id) = 0;
  virtual Result<int64_t> MaxVersion(std::string_view org_id, std::string_view service_id) = 0;  // 0 = none
  virtual Status SetPinned(std::string_view org_id, std::string_view service_id, int64_t version, bool pinned) = 0;
  // Deletes the service's unpinned releases older than its `keep` newest; returns how many.
  virtual Result<int64_t> Prune(std::string_view org_id, std::string_view service_id, int64_t keep) = 0;
  virtual Status DeleteForService(std::string_view org_id, std::string_view service_id) = 0;
};

}  // namespace wharf::store
