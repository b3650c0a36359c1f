// Deployments: a deploy, redeploy, restart, stop or destroy of a service queued as a job on its
// application's server (the action parsed once at the API boundary, into DeployAction), listed, tailed and
// cancelled; push-to-deploy; and the "deploy" job handler that runs the plan on the node.
//
//   auto d = svc.deployments().StartDeployment(p, app_id, svc_id, DeployAction::kDeploy, ctx);
//   auto [dep, job] = *svc.deployments().GetDeploymentTail(p, d->id, 0, ctx);
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

#include "nodes/deploy_plan.h"
#include "services/core.h"
#include "services/app_services.h"
#include "services/node_access.h"
#include "services/integrations.h"

namespace wharf::services {

// What a deployment does, as the API names it. Parsed once where the request arrives
// (ParseDeployAction), passed as this enum, stored once as its name (the deployment row's
// `action`, which the job reads back) and mapped to the node plan's action when the job runs.
// A rollback (Releases::Rollback) redeploys a kept release: a deploy of that release's exact source
// and variables; it is started only through POST …/rollback, which names the version.
enum class DeployAction { kDeploy, kRedeploy, kRestart, kStop, kDestroy, kRollback };
// "deploy" (also ""), "redeploy", "restart", "stop", "destroy", "rollback"; otherwise 400 on field `action`.
Result<DeployAction> ParseDeployAction(std::string_view s);
std::string_view DeployActionName(DeployAction a);
// A redeploy and a rollback are deploys on the node (they differ in their trigger and source).
nodes::deploy::Action PlanAction(DeployAction a);

// Deployments (deployments.cc).

struct DeploymentWork;

class Deployments : public Feature {
 public:
  Deployments(Core& core, AppServices& app_services, NodeAccess& node_access, Integrations& integrations);

  // Queues a deploy, redeploy, restart, stop or destroy of a service as a job on its
  // application's server (services.update, with the application as the scope resource). 400 for
  // an unknown action, 404 outside the org or the role's scope.
  Result<domain::Deployment> StartDeployment(const authz::Principal& p, std::string_view application_id,
                                             std::string_view service_id, DeployAction action, const RequestContext& ctx);
  // Newest first (services.read); by service, by application, or the org's when both are empty.
  // `cursor` is the next_cursor of the previous page ("" = the newest); a cursor this server did
  // not issue is kValidationFailed (field `cursor`).
  Result<Page<domain::Deployment>> ListDeployments(const authz::Principal& p, std::string_view application_id,
                                                   std::string_view service_id, int limit, std::string_view cursor,
                                                   const RequestContext& ctx);
  // A deployment and its job's log from character `offset` on (services.read).
  Result<std::pair<domain::Deployment, domain::Job>> GetDeploymentTail(const authz::Principal& p, std::string_view id,
                                                                       size_t offset, const RequestContext& ctx);
  // A queued deployment ends `cancelled` at once; a running one is interrupted within about
  // half a second, in the step it runs (the node's command gets SIGTERM), and ends `cancelled`
  // (services.update). 409 when it already finished.
  Result<domain::Deployment> CancelDeployment(const authz::Principal& p, std::string_view id, const RequestContext& ctx);
  // Push-to-deploy: queues a deploy (trigger "push", the commit recorded) of every app service of
  // the push's org that follows (provider, repository, branch). Returns how many were queued.
  int DeployOnPush(const GitPush& push);
  // Registers the "deploy" job handler (wharf serve calls it before StartJobWorkers).
  void RegisterDeploymentJobs();
  // `release_version` (a rollback) names the release to redeploy.
  Result<domain::Deployment> EnqueueDeployment(store::Tx& tx, const domain::Application& app, const domain::AppService& svc,
                                               DeployAction action, std::string trigger, std::string created_by,
                                               std::string sha, int64_t release_version = 0);

 private:
  Result<DeploymentWork> LoadDeploymentWork(const domain::Job& job);
  // The installation token of the work's GitHub App provider (cached or minted; see
  // integrations::GithubInstallationToken) into its git:auth. Errors carry layer github_app or
  // network and details.fix.
  Status MintGithubDeployToken(DeploymentWork& w);
  Status RunDeployment(JobContext& jc);
  // deployment_releases.cc: a rollback's source, variables, domains and ports from its release
  // (in LoadDeploymentWork's transaction); the image's digest from its registry; the release a
  // successful deploy records (in the transaction that records the success, pruning beyond the
  // retention); the watch after start (ps:report) with its failure block.
  Status LoadRollback(store::Tx& tx, const domain::Org& org, int64_t version, DeploymentWork& w);
  void ResolveImageDigest(JobContext& jc, DeploymentWork& w);
  Result<int64_t> RecordRelease(store::Tx& tx, const DeploymentWork& w, const std::vector<std::string>& plan);
  // Empty when the app stayed up (or nothing was watched); else the failure message, with `fix`.
  std::optional<std::string> WatchAfterStart(JobContext& jc, nodes::Session& c, const DeploymentWork& w, std::string& fix,
                                             std::string& log_tail);
  AppServices& app_services_;
  NodeAccess& node_access_;
  Integrations& integrations_;
};

}  // namespace wharf::services
