// Releases: every successful deploy of an app or image service records a numbered release (v1,
// v2, …) with the exact source (the commit the node built, the image digest the registry
// resolved), a sealed snapshot of the resolved variables and its keyed hash, the domains, ports
// and plan, who and when; a rollback redeploys one of them exactly, as a deployment like any
// other. docs/releases.md.
//
//   auto list = svc.releases().ListReleases(p, service_id, ctx);
//   auto diff = svc.releases().Rollback(p, service_id, 3, /*dry_run=*/true, ctx);   // keys only
//   auto dep  = svc.releases().Rollback(p, service_id, 3, false, ctx);               // 202
//
// Thread-safety: every method is safe to call concurrently; state lives in the store.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "services/app_services.h"
#include "services/core.h"
#include "services/deployments.h"

namespace wharf::services {

struct ReleaseView {
  domain::Release release;
  bool current = false;  // the newest release: what the node was last given
};

struct RollbackOutcome {
  std::optional<nlohmann::json> changes;         // a dry run: {source, variables: {added, removed, changed}, domains, ports}
  std::optional<domain::Deployment> deployment;  // otherwise: the queued rollback
};

namespace releases {

using Vars = std::vector<std::pair<std::string, std::string>>;

// The variables snapshot, sealed with AD {org, "releases", release_id, "variables"}.
Result<std::string> SealSnapshot(const secrets::Envelope& env, const domain::Org& org, const std::string& release_id,
                                 const Vars& vars);
Result<Vars> OpenSnapshot(const secrets::Envelope& env, const domain::Org& org, const domain::Release& r);
// HMAC-SHA-256 of the sorted key=value pairs, keyed per org: equal snapshots hash equal, and the
// hash cannot be used to guess a value from outside ("hmac-sha256:<hex>").
std::string SnapshotHash(const domain::Org& org, const Vars& vars);
// What rolling back from `from` to `to` changes: source, variable keys (never values), domains, ports.
nlohmann::json Diff(const domain::Release& from, const Vars& from_vars, const domain::Release& to, const Vars& to_vars);
// The source a release deploys: the commit for git, "<image name>@<digest>" for an image.
std::string SourceRef(const domain::Release& r);

}  // namespace releases

class Releases : public Feature {
 public:
  Releases(Core& core, AppServices& app_services, Deployments& deployments);

  // The service's kept releases, newest first (services.read on the service).
  Result<std::vector<ReleaseView>> ListReleases(const authz::Principal& p, std::string_view service_id,
                                                const RequestContext& ctx);
  // Rolls the service back to release `version` (services.update): a dry run answers what would
  // change against the current release (keys only); otherwise a deployment (action "rollback",
  // trigger "rollback") is queued, audited as services.rollback. 404 for an unknown version
  // (naming the kept ones), 409 when an image release has no digest to deploy by.
  Result<RollbackOutcome> Rollback(const authz::Principal& p, std::string_view service_id, int64_t version, bool dry_run,
                                   const RequestContext& ctx);
  // Pins or unpins a release (services.update); a pinned release is never pruned.
  Result<domain::Release> PinRelease(const authz::Principal& p, std::string_view service_id, int64_t version, bool pinned,
                                     const RequestContext& ctx);

 private:
  AppServices& app_services_;
  Deployments& deployments_;
};

}  // namespace wharf::services
