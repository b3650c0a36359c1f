// Releases of services and rollbacks to them (releases.h; docs/releases.md). The release rows
// are written by the deployment job (deployment_releases.cc) in the transaction that records
// the deployment's success; this file lists them, previews and queues rollbacks, and pins.
#include "services/releases.h"

#include <algorithm>
#include <map>
#include <set>

#include "base/json.h"
#include "secrets/crypto.h"
#include "services/app_model.h"

namespace wharf::services {

using domain::Action;
using domain::Collection;
using json = nlohmann::json;

namespace releases {

namespace {

std::string Hex(std::string_view raw) {
  static const char* d = "0123456789abcdef";
  std::string out;
  out.reserve(raw.size() * 2);
  for (unsigned char c : raw) {
    out += d[c >> 4];
    out += d[c & 15];
  }
  return out;
}

json AddedRemoved(const std::vector<std::string>& from, const std::vector<std::string>& to) {
  std::set<std::string> f(from.begin(), from.end()), t(to.begin(), to.end());
  json added = json::array(), removed = json::array();
  for (const auto& x : t)
    if (!f.count(x)) added.push_back(x);
  for (const auto& x : f)
    if (!t.count(x)) removed.push_back(x);
  return {{"added", added}, {"removed", removed}};
}

json SourceJson(const domain::Release& r) {
  json j = {{"kind", r.source_kind}};
  if (r.source_kind == "git") {
    j["repository"] = r.repository;
    j["commit"] = r.commit_sha.empty() ? json() : json(r.commit_sha);
  } else {
    j["image"] = r.image;
    j["image_digest"] = r.image_digest.empty() ? json() : json(r.image_digest);
  }
  return j;
}

}  // namespace

Result<std::string> SealSnapshot(const secrets::Envelope& env, const domain::Org& org, const std::string& release_id,
                                 const Vars& vars) {
  json arr = json::array();
  for (const auto& [k, v] : vars) arr.push_back(json::array({k, v}));
  SecretBytes plain = SecretBytes::FromString(arr.dump());
  return env.Seal(org.wrapped_data_key, {org.id, "releases", release_id, "variables"}, plain.view());
}

Result<Vars> OpenSnapshot(const secrets::Envelope& env, const domain::Org& org, const domain::Release& r) {
  Vars out;
  if (r.variables_sealed.empty()) return out;
  WHARF_ASSIGN_OR_RETURN(SecretBytes plain,
                         env.Open(org.wrapped_data_key, {org.id, "releases", r.id, "variables"}, r.variables_sealed));
  json j = json::parse(plain.view(), nullptr, false);
  if (!j.is_array()) return Internal("the variables snapshot of release " + r.id + " is corrupt");
  for (auto& kv : j)
    if (kv.is_array() && kv.size() == 2 && kv[0].is_string() && kv[1].is_string())
      out.emplace_back(kv[0].get<std::string>(), kv[1].get<std::string>());
  return out;
}

std::string SnapshotHash(const domain::Org& org, const Vars& vars) {
  std::map<std::string, std::string> sorted(vars.begin(), vars.end());
  std::string canon;
  for (const auto& [k, v] : sorted) {
    canon += std::to_string(k.size()) + ":" + k + std::to_string(v.size()) + ":" + v;
  }
  // The org's wrapped data key never leaves the store: a reader of the API cannot test guesses.
  return "hmac-sha256:" + Hex(secrets::HmacSha256Raw("wharf-release-variables:" + org.wrapped_data_key, canon));
}

std::string SourceRef(const domain::Release& r) {
  if (r.source_kind == "git") return r.commit_sha;
  return r.image_digest.empty() ? "" : r.repository + "@" + r.image_digest;
}

json Diff(const domain::Release& from, const Vars& from_vars, const domain::Release& to, const Vars& to_vars) {
  json changes;
  const bool same_source = from.source_kind == to.source_kind && from.repository == to.repository &&
                           from.commit_sha == to.commit_sha && from.image_digest == to.image_digest;
  changes["source"] = same_source ? json() : json{{"from", SourceJson(from)}, {"to", SourceJson(to)}};
  std::map<std::string, std::string> f(from_vars.begin(), from_vars.end()), t(to_vars.begin(), to_vars.end());
  json added = json::array(), removed = json::array(), changed = json::array();
  for (const auto& [k, v] : t) {
    auto it = f.find(k);
    if (it == f.end()) added.push_back(k);
    else if (it->second != v) changed.push_back(k);
  }
  for (const auto& [k, v] : f)
    if (!t.count(k)) removed.push_back(k);
  changes["variables"] = {{"added", added}, {"removed", removed}, {"changed", changed}};
  changes["domains"] = AddedRemoved(StoredStringArray(from.domains), StoredStringArray(to.domains));
  changes["ports"] = AddedRemoved(StoredStringArray(from.ports), StoredStringArray(to.ports));
  return changes;
}

}  // namespace releases

Releases::Releases(Core& core, AppServices& app_services, Deployments& deployments)
    : Feature(core), app_services_(app_services), deployments_(deployments) {}

Result<std::vector<ReleaseView>> Releases::ListReleases(const authz::Principal& p, std::string_view service_id,
                                                        const RequestContext& ctx) {
  WHARF_TRY(RequirePermission(p, Collection::kServices, Action::kRead, ctx, service_id));
  std::vector<ReleaseView> out;
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto svc, app_services_.ServiceFor(tx, p, Action::kRead, service_id, ctx));
    WHARF_ASSIGN_OR_RETURN(auto rows, tx.releases().List(p.org_id, svc.id));
    for (size_t i = 0; i < rows.size(); ++i) out.push_back({std::move(rows[i]), i == 0});
    return Ok();
  }));
  return out;
}

namespace {

tl::unexpected<Error> UnknownVersion(int64_t version, const std::vector<domain::Release>& kept) {
  std::string names;
  for (const auto& r : kept) names += (names.empty() ? "" : ", ") + ("v" + std::to_string(r.version));
  Error e = Err(ErrorCode::kNotFound, "Release v" + std::to_string(version) + " of this service is not kept" +
                                          (names.empty() ? ": the service has no release yet (deploy it first)."
                                                         : "; kept releases: " + names + "."))
                .value();
  e.details["field"] = "version";
  return tl::unexpected(std::move(e));
}

}  // namespace

Result<RollbackOutcome> Releases::Rollback(const authz::Principal& p, std::string_view service_id, int64_t version,
                                           bool dry_run, const RequestContext& ctx) {
  if (version < 1) return FieldError("version", "must be a release number (1 for v1), from GET …/releases");
  WHARF_TRY(RequirePermission(p, Collection::kServices, Action::kUpdate, ctx, service_id));
  RollbackOutcome out;
  auto body = [&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto svc, app_services_.ServiceFor(tx, p, Action::kUpdate, service_id, ctx));
    WHARF_ASSIGN_OR_RETURN(auto kept, tx.releases().List(p.org_id, svc.id));
    auto target = std::find_if(kept.begin(), kept.end(), [&](const auto& r) { return r.version == version; });
    if (target == kept.end()) return UnknownVersion(version, kept);
    if (releases::SourceRef(*target).empty())
      return Err(ErrorCode::kConflict,
                 "Release v" + std::to_string(version) + " has no " +
                     (target->source_kind == "git" ? "commit" : "image digest") +
                     " recorded (the registry did not answer when it was deployed), so it cannot be deployed exactly: "
                     "pick another release.");
    WHARF_ASSIGN_OR_RETURN(auto org, tx.orgs().FindById(p.org_id));
    if (!org) return Err(ErrorCode::kNotFound, "Organisation not found.");
    if (dry_run) {
      const domain::Release& current = kept.front();
      WHARF_ASSIGN_OR_RETURN(auto cur_vars, releases::OpenSnapshot(envelope_, *org, current));
      WHARF_ASSIGN_OR_RETURN(auto to_vars, releases::OpenSnapshot(envelope_, *org, *target));
      json c = releases::Diff(current, cur_vars, *target, to_vars);
      out.changes = json{{"from_version", current.version}, {"to_version", target->version}, {"changes", c}};
      return Ok();
    }
    WHARF_ASSIGN_OR_RETURN(auto app, tx.applications().Find(p.org_id, svc.application_id));
    if (!app) return Err(ErrorCode::kNotFound, "Application not found in this organisation.");
    if (app->server_id.empty())
      return Err(ErrorCode::kConflict, "The application has no server to deploy to: set its server_id first.");
    WHARF_ASSIGN_OR_RETURN(auto d, deployments_.EnqueueDeployment(tx, *app, svc, DeployAction::kRollback, "rollback",
                                                                  p.user_id, "", version));
    out.deployment = d;
    return AuditIn(tx, p, "services.rollback", "services", svc.id, ctx, "v" + std::to_string(version) + " " + d.id);
  };
  if (dry_run) {
    WHARF_TRY(store_.Read(body));
  } else {
    WHARF_TRY(WriteTx(body));
  }
  return out;
}

Result<domain::Release> Releases::PinRelease(const authz::Principal& p, std::string_view service_id, int64_t version,
                                             bool pinned, const RequestContext& ctx) {
  WHARF_TRY(RequirePermission(p, Collection::kServices, Action::kUpdate, ctx, service_id));
  domain::Release out;
  WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto svc, app_services_.ServiceFor(tx, p, Action::kUpdate, service_id, ctx));
    WHARF_ASSIGN_OR_RETURN(auto r, tx.releases().Find(p.org_id, svc.id, version));
    if (!r) {
      WHARF_ASSIGN_OR_RETURN(auto kept, tx.releases().List(p.org_id, svc.id));
      return UnknownVersion(version, kept);
    }
    WHARF_TRY(tx.releases().SetPinned(p.org_id, svc.id, version, pinned));
    r->pinned = pinned;
    out = *r;
    return AuditIn(tx, p, pinned ? "services.release_pin" : "services.release_unpin", "services", svc.id, ctx,
                   "v" + std::to_string(version));
  }));
  return out;
}

}  // namespace wharf::services
