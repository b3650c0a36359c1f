// The release side of a deployment job (deployments.h; docs/releases.md): a rollback's source
// and variables from its release, the image digest resolved from the registry before the deploy,
// the release a successful deploy records, and the watch after start through `ps:report`.
#include <chrono>
#include <map>
#include <set>
#include <thread>

#include "base/json.h"
#include "base/log.h"
#include "base/strings.h"
#include "domain/image_ref.h"
#include "integrations/registry.h"
#include "nodes/dokku.h"
#include "nodes/ssh.h"
#include "services/deployment_work.h"
#include "services/deployments.h"
#include "services/releases.h"

namespace wharf::services {

using json = nlohmann::json;
namespace deploy = nodes::deploy;

namespace {

std::string Seconds(int64_t ms) {
  return ms % 1000 == 0 ? std::to_string(ms / 1000) : std::to_string(ms / 1000) + "." + std::to_string(ms % 1000 / 100);
}

}  // namespace

Status Deployments::LoadRollback(store::Tx& tx, const domain::Org& org, int64_t version, DeploymentWork& w) {
  WHARF_ASSIGN_OR_RETURN(auto kept, tx.releases().List(org.id, w.service.id));
  const domain::Release* target = nullptr;
  for (const auto& r : kept)
    if (r.version == version) target = &r;
  if (!target)
    return Err(ErrorCode::kNotFound, "Release v" + std::to_string(version) +
                                         " is no longer kept (pruned since the rollback was queued): pick a kept one.");
  const std::string ref = releases::SourceRef(*target);
  if (ref.empty())
    return Err(ErrorCode::kConflict, "Release v" + std::to_string(version) + " has no exact source recorded.");
  WHARF_ASSIGN_OR_RETURN(auto vars, releases::OpenSnapshot(envelope_, org, *target));
  auto& s = w.plan_input;
  // Every key the node may hold now that the release did not have is unset: the current release's,
  // the service's current ones, and the ones the service still owes an unset.
  std::set<std::string> keep;
  for (const auto& [k, v] : vars) keep.insert(k);
  std::set<std::string> gone;
  if (!kept.empty()) {
    WHARF_ASSIGN_OR_RETURN(auto cur, releases::OpenSnapshot(envelope_, org, kept.front()));
    for (const auto& [k, v] : cur) gone.insert(k);
  }
  for (const auto& [k, v] : s.variables) gone.insert(k);
  for (const auto& k : w.unset_keys) gone.insert(k);
  s.removed_keys.clear();
  for (const auto& k : gone)
    if (!keep.count(k)) s.removed_keys.push_back(k);
  s.variables = std::move(vars);
  s.domains = StoredStringArray(target->domains);
  s.clear_domains = s.domains.empty();
  s.ports = StoredStringArray(target->ports);
  if (target->source_kind == "git") {
    s.git.url = target->repository;
    s.git.ref = target->commit_sha;
  } else {
    s.image.image = ref;
    w.image_configured = target->image;
    w.image_digest = target->image_digest;
  }
  w.rollback_release = *target;
  return Ok();
}

void Deployments::ResolveImageDigest(JobContext& jc, DeploymentWork& w) {
  auto img = domain::ParseImageRef(w.plan_input.image.image, "image");
  if (!img) return;  // the planner names the field
  if (!img->digest.empty()) {
    w.image_digest = img->digest;
    return;
  }
  const auto& src = w.plan_input.image;
  SecretBytes password = SecretBytes::FromString(src.registry_password);
  integrations::RegistryProbe probe{.host = domain::RegistryApiHost(img->domain), .repository = img->path,
                                    .reference = img->tag, .username = src.registry_username,
                                    .password = src.registry_username.empty() ? nullptr : &password};
  probe.connect_timeout_ms = static_cast<int>(config_.connect_timeout_ms);
  probe.timeout_ms = static_cast<int>(config_.command_timeout_ms);
  if (!config_.allow_private_targets) probe.address_allowed = [](std::string_view ip) { return !nodes::IsPrivateAddress(ip); };
  auto res = integrations::VerifyPull(probe);
  if (res.digest.empty()) {
    std::string why;
    for (const auto& c : res.report.checks)
      if (c.status == "failed") {
        why = c.message;
        break;
      }
    jc.AppendOwnLog("[wharf] Could not resolve the digest of " + img->String() + " from its registry" +
                    (why.empty() ? "" : " (" + why + ")") +
                    "; deploying the tag as given: this release cannot be rolled back to exactly.\n");
    return;
  }
  w.image_digest = res.digest;
  w.plan_input.image.image = img->Name() + "@" + res.digest;
  jc.AppendOwnLog("[wharf] " + img->String() + " is " + res.digest + " in its registry: deploying it by digest\n");
}

Result<int64_t> Deployments::RecordRelease(store::Tx& tx, const DeploymentWork& w, const std::vector<std::string>& plan) {
  const auto& s = w.plan_input;
  const auto& d = w.deployment;
  WHARF_ASSIGN_OR_RETURN(auto org, tx.orgs().FindById(d.org_id));
  if (!org) return Internal("org of deployment " + d.id + " is missing");
  WHARF_ASSIGN_OR_RETURN(int64_t max, tx.releases().MaxVersion(d.org_id, w.service.id));
  domain::Release r;
  r.id = ids_.New("rel");
  r.org_id = d.org_id;
  r.application_id = w.service.application_id;
  r.service_id = w.service.id;
  r.version = max + 1;
  r.deployment_id = d.id;
  if (s.kind == deploy::Kind::kGit) {
    r.source_kind = "git";
    r.repository = s.git.url;
    r.commit_sha = w.built_sha.empty() ? w.commit_sha : w.built_sha;
  } else {
    r.source_kind = "image";
    r.image = w.image_configured;
    r.image_digest = w.image_digest;
    if (w.rollback_release) {
      r.repository = w.rollback_release->repository;
    } else if (auto img = domain::ParseImageRef(w.image_configured, "image")) {
      r.repository = img->Name();
    }
  }
  WHARF_ASSIGN_OR_RETURN(r.variables_sealed, releases::SealSnapshot(envelope_, *org, r.id, s.variables));
  r.variables_hash = releases::SnapshotHash(*org, s.variables);
  r.domains = json(s.domains).dump();
  r.ports = json(s.ports).dump();
  r.plan = json(plan).dump();
  r.trigger = d.trigger;
  r.rollback_of = w.rollback_release ? w.rollback_release->version : 0;
  r.created_at = clock_.Now();
  r.created_by = d.created_by;
  WHARF_TRY(tx.releases().Insert(r));
  WHARF_TRY(tx.releases().Prune(d.org_id, w.service.id, config_.release_retention));
  return r.version;
}

std::optional<std::string> Deployments::WatchAfterStart(JobContext& jc, nodes::Session& c, const DeploymentWork& w,
                                                        std::string& fix, std::string& log_tail) {
  const std::string& app = w.plan_input.app;
  const int64_t window = config_.watch_after_start_ms;
  jc.AppendOwnLog("[wharf] Watching " + w.service.name + " for " + Seconds(window) +
                  " s after start (dokku ps:report): a process that exits or restarts fails the deployment\n");
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + std::chrono::milliseconds(window);
  std::map<std::string, std::string> first_cid;  // process -> the container it started in
  std::optional<std::string> failed;
  int reports = 0;
  while (!failed) {
    if (jc.IsCancelled()) return std::nullopt;
    auto r = c.Run(nodes::dokku::PsReportJson(app));
    json j = r && r->exit_status == 0 ? json::parse(std::string(Trim(r->out)), nullptr, false) : json();
    if (j.is_object()) {
      ++reports;
      int procs = 0;
      for (auto& [key, val] : j.items()) {
        if (!StartsWith(key, "status-") || !val.is_string()) continue;
        ++procs;
        const std::string proc = key.substr(7);
        const std::string v = val.get<std::string>();  // "running (CID: 0123456789a)"
        const std::string state = v.substr(0, v.find(' '));
        std::string cid;
        if (auto p = v.find("CID: "); p != std::string::npos) cid = v.substr(p + 5, v.find(')', p) - p - 5);
        const auto secs = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
        if (state != "running") {
          failed = "Process " + proc + " of " + w.service.name + " is " + state + " " + Seconds(secs.count()) +
                   " s after start: the app did not stay up.";
          break;
        }
        auto [it, fresh] = first_cid.emplace(proc, cid);
        if (!fresh && it->second != cid) {
          failed = "Process " + proc + " of " + w.service.name + " was restarted in a new container " +
                   Seconds(secs.count()) + " s after start: the app did not stay up.";
          break;
        }
      }
      if (!failed && procs == 0 && reports == 1) {
        jc.AppendOwnLog("[wharf] No process of " + w.service.name + " runs on the node: nothing to watch\n");
        return std::nullopt;
      }
    }
    if (failed) break;
    if (std::chrono::steady_clock::now() >= deadline) break;
    // Sleep in slices so a cancel is seen at once.
    const auto next = std::min(deadline, std::chrono::steady_clock::now() + std::chrono::milliseconds(config_.watch_poll_ms));
    while (std::chrono::steady_clock::now() < next) {
      if (jc.IsCancelled()) return std::nullopt;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  if (!failed) {
    if (reports == 0) jc.AppendOwnLog("[wharf] ps:report did not answer during the watch: the app was not checked\n");
    else jc.AppendOwnLog("[wharf] " + w.service.name + " stayed up for " + Seconds(window) + " s\n");
    return std::nullopt;
  }
  // The app's own last lines (raw, -q), shown in the deployment's log with its secrets redacted.
  if (auto l = c.Run(nodes::dokku::Logs(app, 50, false, true)); l && l->exit_status == 0) log_tail = l->out;
  // The fix names the newest release before this one.
  int64_t previous = 0;
  auto st = store_.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto kept, tx.releases().List(w.deployment.org_id, w.service.id));
    for (const auto& r : kept)
      if (r.version < w.recorded_version && r.version > previous) previous = r.version;
    return Ok();
  });
  if (!st) log::Warn("release_lookup_failed", {{"deployment_id", w.deployment.id}, {"error", st.error().message}});
  if (previous > 0)
    fix = "Roll back to v" + std::to_string(previous) + ": POST /api/v1/orgs/{org}/services/" + w.service.id +
          "/rollback {\"version\": " + std::to_string(previous) + "} (wharf rollback " + w.service.name + " --app " +
          w.application.name + " --to v" + std::to_string(previous) +
          "); then read the app's log lines in this deployment's log and fix the app before deploying again.";
  else
    fix = "Read the app's log lines in this deployment's log, fix the app or its variables, then deploy again.";
  return failed;
}

}  // namespace wharf::services
