// Deployments: deploy, redeploy, restart, stop and destroy of a service as durable jobs of kind
// "deploy" on the job queue, serialized per server (the application's worker node). The job
// gathers what the service needs (resolved variables, credentials, the node's current state),
// plans the Dokku steps (nodes/deploy_plan.h) and runs them over SSH, streaming the output into
// the job's log with every secret redacted. docs/applications.md, "Deployments".
#include <algorithm>
#include <set>
#include <sstream>

#include "base/log.h"
#include "base/strings.h"
#include "domain/apps.h"
#include "domain/variables.h"
#include "integrations/git.h"
#include "integrations/github_app.h"
#include "nodes/deploy_plan.h"
#include "nodes/dokku.h"
#include "nodes/ssh.h"
#include "secrets/redact.h"
#include "services/app_model.h"
#include "services/deployment_work.h"
#include "services/deployments.h"
#include "services/notifications.h"

namespace wharf::services {

using domain::Action;
using domain::Collection;
using json = nlohmann::json;
namespace deploy = nodes::deploy;

Result<DeployAction> ParseDeployAction(std::string_view s) {
  if (s.empty() || s == "deploy") return DeployAction::kDeploy;
  if (s == "redeploy") return DeployAction::kRedeploy;
  if (s == "restart") return DeployAction::kRestart;
  if (s == "stop") return DeployAction::kStop;
  if (s == "destroy") return DeployAction::kDestroy;
  if (s == "rollback") return DeployAction::kRollback;
  return FieldError("action", "must be deploy, redeploy, restart, stop or destroy");
}

std::string_view DeployActionName(DeployAction a) {
  switch (a) {
    case DeployAction::kDeploy: return "deploy";
    case DeployAction::kRedeploy: return "redeploy";
    case DeployAction::kRestart: return "restart";
    case DeployAction::kStop: return "stop";
    case DeployAction::kDestroy: return "destroy";
    case DeployAction::kRollback: return "rollback";
  }
  return "deploy";
}

deploy::Action PlanAction(DeployAction a) {
  switch (a) {
    case DeployAction::kDeploy:
    case DeployAction::kRedeploy:
    case DeployAction::kRollback: return deploy::Action::kDeploy;
    case DeployAction::kRestart: return deploy::Action::kRestart;
    case DeployAction::kStop: return deploy::Action::kStop;
    case DeployAction::kDestroy: return deploy::Action::kDestroy;
  }
  return deploy::Action::kDeploy;
}

namespace {

constexpr const char* kDeployKind = "deploy";

tl::unexpected<Error> DeploymentNotFound() {
  return Err(ErrorCode::kNotFound, "Deployment not found in this organisation.");
}

bool Finished(std::string_view status) { return status != "queued" && status != "running"; }

// The services of the application that `vars` references: {{ svc.VAR }} names.
std::set<std::string> ReferencedServices(const std::vector<domain::Variable>& vars) {
  std::set<std::string> out;
  for (const auto& v : vars) {
    auto t = domain::ParseTemplate(v.value, "value");
    if (!t) continue;
    for (const auto& s : t->segments)
      if (s.kind == domain::Segment::Kind::kRef) out.insert(s.service);
  }
  return out;
}

std::string LastLines(std::string_view text, size_t n) {
  std::string t(Trim(text));
  size_t pos = t.size();
  for (size_t i = 0; i < n && pos != std::string::npos && pos > 0; ++i) pos = t.rfind('\n', pos - 1);
  return pos == std::string::npos ? t : t.substr(pos + 1);
}

bool LooksLikeNetwork(std::string_view out) {
  for (const char* s : {"Could not resolve host", "Connection refused", "Connection timed out", "Failed to connect",
                        "Network is unreachable", "SSL certificate problem", "server certificate verification failed"})
    if (out.find(s) != std::string_view::npos) return true;
  return false;
}

}  // namespace


Result<domain::Deployment> Deployments::EnqueueDeployment(store::Tx& tx, const domain::Application& app,
                                                       const domain::AppService& svc, DeployAction action,
                                                       std::string trigger, std::string created_by, std::string sha,
                                                       int64_t release_version) {
  json cfg = apps::Config(svc);
  std::string ref;
  if (svc.type == "app") ref = cfg.value("branch", "").empty() ? cfg.value("tag", "") : cfg.value("branch", "");
  else if (svc.type == "docker") ref = cfg.value("image", "");
  else ref = cfg.value("engine", "") + ":" + cfg.value("version", "");
  // The action is stored once, on the deployment row (the job reads it from there).
  json payload = {{"service_id", svc.id}, {"application_id", app.id}, {"trigger", trigger}};
  if (!sha.empty()) payload["sha"] = sha;
  if (release_version > 0) {
    payload["release_version"] = release_version;
    ref = "v" + std::to_string(release_version);
  }
  WHARF_ASSIGN_OR_RETURN(auto job, Enqueue(tx, kDeployKind, app.org_id, app.server_id, payload, created_by));
  domain::Deployment d;
  d.id = job.id;
  d.org_id = app.org_id;
  d.application_id = app.id;
  d.service_id = svc.id;
  d.action = std::string(DeployActionName(action));
  d.trigger = std::move(trigger);
  d.ref = ref;
  d.commit_sha = std::move(sha);
  d.created_at = job.created_at;
  d.created_by = std::move(created_by);
  d.status = job.status;
  WHARF_TRY(tx.deployments().Insert(d));
  return d;
}

Result<domain::Deployment> Deployments::StartDeployment(const authz::Principal& p, std::string_view application_id,
                                                     std::string_view service_id, DeployAction action,
                                                     const RequestContext& ctx) {
  if (action == DeployAction::kRollback)
    return FieldError("action", "a rollback names its release: POST …/services/{id}/rollback {version}");
  // Deploying changes what runs: services.update, with the application as the scope resource.
  WHARF_TRY(RequirePermission(p, Collection::kServices, Action::kUpdate, ctx, service_id));
  domain::Deployment out;
  WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto svc, app_services_.ServiceFor(tx, p, Action::kUpdate, service_id, ctx));
    if (!application_id.empty() && svc.application_id != application_id)
      return Err(ErrorCode::kNotFound, "Service not found in this application.");
    WHARF_ASSIGN_OR_RETURN(auto app, tx.applications().Find(p.org_id, svc.application_id));
    if (!app) return Err(ErrorCode::kNotFound, "Application not found in this organisation.");
    if (app->server_id.empty())
      return Err(ErrorCode::kConflict, "The application has no server to deploy to: set its server_id first.");
    // The deployment resolves the service's {{ svc.VAR }} references for this user: each must
    // name a service the user may read (a value saved before that rule, or a service hidden
    // since, is refused here rather than copied onto the node).
    if (action == DeployAction::kDeploy || action == DeployAction::kRedeploy) {
      WHARF_ASSIGN_OR_RETURN(auto org, tx.orgs().FindById(p.org_id));
      if (!org) return Err(ErrorCode::kNotFound, "Organisation not found.");
      WHARF_ASSIGN_OR_RETURN(auto listed,
                             tx.app_services().ListForApplication(p.org_id, svc.application_id));
      WHARF_ASSIGN_OR_RETURN(
          auto vars,
          apps::ApplicationVars(envelope_, *org, apps::ReadableServices(p, listed, svc.id), {},
                                nullptr, app->name));
      WHARF_TRY(domain::Resolver(vars).Validate(svc.name));
    }
    const std::string trigger = action == DeployAction::kRedeploy ? "redeploy" : "manual";
    WHARF_ASSIGN_OR_RETURN(out, EnqueueDeployment(tx, *app, svc, action, trigger, p.user_id, ""));
    return AuditIn(tx, p, "services." + std::string(DeployActionName(action)), "services", svc.id, ctx, out.id);
  }));
  log::Info("deployment_queued", {{"deployment_id", out.id}, {"service_id", out.service_id}, {"action", out.action}});
  return out;
}

Result<Page<domain::Deployment>> Deployments::ListDeployments(const authz::Principal& p, std::string_view application_id,
                                                           std::string_view service_id, int limit, std::string_view cursor,
                                                           const RequestContext& ctx) {
  WHARF_TRY(RequirePermission(p, Collection::kServices, Action::kRead, ctx));
  WHARF_ASSIGN_OR_RETURN(store::PageQuery q, DecodeCursor(cursor, limit));
  Page<domain::Deployment> out;
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    if (!service_id.empty()) {
      WHARF_ASSIGN_OR_RETURN(auto svc, app_services_.ServiceFor(tx, p, Action::kRead, service_id, ctx));
      if (!application_id.empty() && svc.application_id != application_id)
        return Err(ErrorCode::kNotFound, "Service not found in this application.");
    } else if (!application_id.empty()) {
      WHARF_ASSIGN_OR_RETURN(auto app, tx.applications().Find(p.org_id, application_id));
      if (!app) return Err(ErrorCode::kNotFound, "Application not found in this organisation.");
      authz::Resource r{app->id, app->created_by, app->id, {}};
      WHARF_TRY(AuthorizeScoped(p, Collection::kServices, Action::kRead, r, ctx, application_id,
                                +[] { return Err(ErrorCode::kNotFound, "Application not found in this organisation."); }));
    }
    WHARF_ASSIGN_OR_RETURN(auto rows, tx.deployments().List(p.org_id, application_id, service_id, q));
    if (static_cast<int>(rows.size()) > limit) {
      rows.resize(limit);
      out.next_cursor = EncodeCursor(rows.back().created_at, rows.back().id);
    }
    for (auto& d : rows) {
      authz::Resource r{d.id, d.created_by, d.application_id, {}};
      if (authz::Check(p, Collection::kServices, Action::kRead, &r).allowed()) out.items.push_back(std::move(d));
    }
    return Ok();
  }));
  return out;
}

Result<std::pair<domain::Deployment, domain::Job>> Deployments::GetDeploymentTail(const authz::Principal& p, std::string_view id,
                                                                               size_t offset, const RequestContext& ctx) {
  WHARF_TRY(RequirePermission(p, Collection::kServices, Action::kRead, ctx, id));
  std::optional<std::pair<domain::Deployment, domain::Job>> out;
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto d, tx.deployments().Find(p.org_id, id));
    if (!d) return DeploymentNotFound();
    // The deployment is read with its service's application as the scope resource (the service
    // itself may be gone after a destroy).
    std::string created_by = d->created_by;
    WHARF_ASSIGN_OR_RETURN(auto svc, tx.app_services().Find(p.org_id, d->service_id));
    if (svc) created_by = svc->created_by;
    authz::Resource r{d->service_id, created_by, d->application_id, {}};
    WHARF_TRY(AuthorizeScoped(p, Collection::kServices, Action::kRead, r, ctx, id, DeploymentNotFound));
    WHARF_ASSIGN_OR_RETURN(auto job, tx.jobs().FindTail(p.org_id, id, offset));
    if (!job) return DeploymentNotFound();
    out.emplace(std::move(*d), std::move(*job));
    return Ok();
  }));
  return std::move(*out);
}

Result<domain::Deployment> Deployments::CancelDeployment(const authz::Principal& p, std::string_view id,
                                                      const RequestContext& ctx) {
  WHARF_TRY(RequirePermission(p, Collection::kServices, Action::kUpdate, ctx, id));
  domain::Deployment out;
  WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto d, tx.deployments().Find(p.org_id, id));
    if (!d) return DeploymentNotFound();
    std::string created_by = d->created_by;
    WHARF_ASSIGN_OR_RETURN(auto svc, tx.app_services().Find(p.org_id, d->service_id));
    if (svc) created_by = svc->created_by;
    authz::Resource r{d->service_id, created_by, d->application_id, {}};
    WHARF_TRY(AuthorizeScoped(p, Collection::kServices, Action::kUpdate, r, ctx, id, DeploymentNotFound));
    if (Finished(d->status))
      return Err(ErrorCode::kConflict, "The deployment already finished (" + d->status + "); nothing to cancel.");
    WHARF_ASSIGN_OR_RETURN(auto job, tx.jobs().RequestCancel(p.org_id, id, clock_.Now()));
    if (!job) return DeploymentNotFound();
    WHARF_TRY(AuditIn(tx, p, "services.cancel_deployment", "services", d->service_id, ctx, d->id));
    WHARF_ASSIGN_OR_RETURN(auto again, tx.deployments().Find(p.org_id, id));
    out = again ? *again : *d;
    return Ok();
  }));
  return out;
}

// ---- push-to-deploy ----

namespace {
// "owner/name" of a repository given as "owner/name" or an https URL ("https://h/owner/name.git").
std::string RepositoryPath(std::string r) {
  if (StartsWith(r, "https://")) {
    auto slash = r.find('/', 8);
    r = slash == std::string::npos ? "" : r.substr(slash + 1);
  }
  if (r.ends_with(".git")) r.resize(r.size() - 4);
  while (!r.empty() && r.back() == '/') r.pop_back();
  return ToLower(r);
}
}  // namespace

int Deployments::DeployOnPush(const GitPush& push) {
  int queued = 0;
  std::vector<std::string> ids;
  auto st = WriteTx([&](store::Tx& tx) -> Status {
    store::PageQuery q;
    q.limit = 200;
    for (;;) {
      WHARF_ASSIGN_OR_RETURN(auto apps_page, tx.applications().List(push.org_id, q));
      const bool more = static_cast<int>(apps_page.size()) > q.limit;
      if (more) apps_page.resize(q.limit);
      for (const auto& app : apps_page) {
        WHARF_ASSIGN_OR_RETURN(auto svcs, tx.app_services().ListForApplication(push.org_id, app.id));
        for (const auto& s : svcs) {
          if (s.type != "app") continue;
          json c = apps::Config(s);
          if (c.value("git_provider_id", "") != push.provider_id) continue;
          if (c.value("branch", "") != push.branch || c.value("branch", "").empty()) continue;
          if (RepositoryPath(c.value("repository", "")) != RepositoryPath(push.repository)) continue;
          WHARF_ASSIGN_OR_RETURN(auto d, EnqueueDeployment(tx, app, s, DeployAction::kDeploy, "push", "", push.sha));
          ids.push_back(d.id);
          ++queued;
        }
      }
      if (!more) break;
      q.after_created_at = apps_page.back().created_at;
      q.after_id = apps_page.back().id;
    }
    return Ok();
  });
  if (!st) {
    log::Warn("push_deploy_failed", {{"provider_id", push.provider_id}, {"error", st.error().message}});
    return 0;
  }
  log::Info("push_deploy", {{"provider_id", push.provider_id}, {"repository", push.repository}, {"branch", push.branch},
                            {"sha", push.sha}, {"deployments", ids}});
  return queued;
}

// ---- the job ----

Result<DeploymentWork> Deployments::LoadDeploymentWork(const domain::Job& job) {
  json in = json::parse(job.payload, nullptr, false);
  if (!in.is_object()) return Internal("deployment job " + job.id + " has no payload");
  DeploymentWork w;
  // A rollback replaces the source, variables, domains and ports with its release's.
  const int64_t release_version = in.value("release_version", int64_t{0});
  auto finish = [&](store::Tx& tx, const domain::Org& org) -> Status {
    w.image_configured = w.plan_input.image.image;
    if (release_version > 0) return LoadRollback(tx, org, release_version, w);
    return Ok();
  };
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto d, tx.deployments().Find(job.org_id, job.id));
    if (!d) return Internal("deployment row of job " + job.id + " is missing");
    w.deployment = *d;
    WHARF_ASSIGN_OR_RETURN(auto svc, tx.app_services().Find(job.org_id, d->service_id));
    if (!svc) return Err(ErrorCode::kNotFound, "The service was deleted before the deployment ran.");
    w.service = *svc;
    WHARF_ASSIGN_OR_RETURN(auto app, tx.applications().Find(job.org_id, svc->application_id));
    if (!app) return Err(ErrorCode::kNotFound, "The application was deleted before the deployment ran.");
    w.application = *app;
    WHARF_ASSIGN_OR_RETURN(auto server, tx.servers().Find(job.org_id, app->server_id));
    if (!server) return Err(ErrorCode::kNotFound, "The application's server was removed from Wharf: set another one.");
    w.server = *server;
    WHARF_ASSIGN_OR_RETURN(auto org, tx.orgs().FindById(job.org_id));
    if (!org) return Internal("org of job " + job.id + " is missing");
    WHARF_ASSIGN_OR_RETURN(auto all, tx.app_services().ListForApplication(job.org_id, app->id));

    auto& s = w.plan_input;
    WHARF_ASSIGN_OR_RETURN(s.app, deploy::DokkuName(app->name, svc->name));
    json cfg = apps::Config(*svc);
    // Variables, resolved by the control plane. A database's built-in values (DATABASE_URL, ...)
    // are what the app reaches on the node: Dokku's host, user and database for the service.
    WHARF_ASSIGN_OR_RETURN(auto vars, apps::ApplicationVars(envelope_, *org, all, {}, nullptr, app->name));
    std::map<std::string, const domain::AppService*> by_name;
    for (const auto& x : all) by_name[x.name] = &x;
    domain::Resolver resolver(vars);
    WHARF_ASSIGN_OR_RETURN(s.variables, resolver.Resolve(svc->name));
    w.unset_keys = apps::UnsetKeys(*svc);
    s.removed_keys = w.unset_keys;
    s.clear_domains = cfg.value("domains_to_clear", false);
    if (cfg.contains("domains") && cfg["domains"].is_array()) {
      for (auto& dj : cfg["domains"]) {
        std::string h = dj.value("hostname", "");
        if (h.empty()) continue;
        if (dj.value("default", false)) s.domains.insert(s.domains.begin(), h);
        else s.domains.push_back(h);
        s.letsencrypt = s.letsencrypt || dj.value("letsencrypt", false);
      }
    }
    // The databases this service's variables reference are linked into it.
    WHARF_ASSIGN_OR_RETURN(auto own_vars, apps::OpenVariables(envelope_, *org, *svc));
    for (const auto& name : ReferencedServices(own_vars)) {
      auto it = by_name.find(name);
      if (it == by_name.end() || it->second->type != "database" || it->second->id == svc->id) continue;
      WHARF_ASSIGN_OR_RETURN(auto dn, deploy::DokkuName(app->name, name));
      s.databases.push_back({apps::Config(*it->second).value("engine", ""), dn});
    }

    if (svc->type == "database") {
      s.kind = deploy::Kind::kDatabase;
      s.database.kind = cfg.value("engine", "");
      s.database.version = cfg.value("version", "");
      if (!svc->credentials_sealed.empty()) {
        WHARF_ASSIGN_OR_RETURN(auto creds, apps::OpenCredentials(envelope_, *org, *svc));
        s.database.password = creds.password;
      }
      for (const auto& x : all) {
        if (x.id == svc->id || x.type == "database") continue;
        WHARF_ASSIGN_OR_RETURN(auto xv, apps::OpenVariables(envelope_, *org, x));
        if (ReferencedServices(xv).count(svc->name)) {
          WHARF_ASSIGN_OR_RETURN(auto dn, deploy::DokkuName(app->name, x.name));
          s.database.link_apps.push_back(dn);
        }
      }
      s.variables.clear();  // a database's own variables are offered to references, not set on it
      s.removed_keys.clear();
      s.databases.clear();
    } else if (svc->type == "docker") {
      s.kind = deploy::Kind::kImage;
      s.image.image = cfg.value("image", "");
      if (cfg.contains("ports") && cfg["ports"].is_array())
        for (auto& pm : cfg["ports"])
          if (pm.is_string()) s.ports.push_back(pm.get<std::string>());
      const std::string reg_id = cfg.value("docker_registry_id", "");
      if (!reg_id.empty()) {
        WHARF_ASSIGN_OR_RETURN(auto reg, tx.integrations().Find(job.org_id, kDockerRegistries.name, reg_id));
        if (!reg) return Err(ErrorCode::kNotFound, "The service's registry credential was removed: attach another one.",
                             Layer::kRegistry);
        s.image.registry_server = reg->Field("host");
        s.image.registry_username = reg->Field("username");
        if (auto it = reg->sealed.find("password"); it != reg->sealed.end()) {
          WHARF_ASSIGN_OR_RETURN(auto pw, envelope_.Open(org->wrapped_data_key,
                                                         {job.org_id, kDockerRegistries.name, reg->id, "password"}, it->second));
          s.image.registry_password = std::string(pw.view());
        }
      }
    } else {
      s.kind = deploy::Kind::kGit;
      s.git.ref = cfg.value("branch", "").empty() ? cfg.value("tag", "") : cfg.value("branch", "");
      if (cfg.contains("port") && cfg["port"].is_number_integer())
        s.ports.push_back("http:80:" + std::to_string(cfg["port"].get<int64_t>()));
      const std::string repo = cfg.value("repository", "");
      const std::string prov_id = cfg.value("git_provider_id", "");
      if (prov_id.empty()) {
        s.git.url = repo;  // a public https:// repository
      } else {
        WHARF_ASSIGN_OR_RETURN(auto prov, tx.integrations().Find(job.org_id, kGitProviders.name, prov_id));
        if (!prov) return Err(ErrorCode::kNotFound, "The service's git provider was removed: connect it again.",
                              Layer::kGitToken);
        const std::string type = prov->Field("type");
        if (type == "github_app") {
          // git:sync clones over HTTPS from the App's git host with an installation token
          // (user x-access-token), minted after this transaction (MintGithubDeployToken).
          WHARF_ASSIGN_OR_RETURN(w.github_repository, integrations::ParseGithubRepository(repo, "repository"));
          auto it = prov->sealed.find("private_key");
          if (it == prov->sealed.end())
            return Err(ErrorCode::kConflict, "The GitHub App provider has no private key: paste the app's .pem again.",
                       Layer::kGithubApp);
          WHARF_ASSIGN_OR_RETURN(w.github_key, envelope_.Open(org->wrapped_data_key,
                                                              {job.org_id, kGitProviders.name, prov->id, "private_key"},
                                                              it->second));
          w.github_provider = *prov;
          s.git.url = integrations::GithubCloneUrl(prov->Field("api_url"), w.github_repository);
          const std::string host = integrations::GithubGitHost(prov->Field("api_url"));
          s.git.auth_host = host.front() == '[' ? host : host.substr(0, host.find(':'));
          s.git.auth_username = "x-access-token";
          s.git.github_app = true;
          w.commit_sha = in.value("sha", "");
          return finish(tx, *org);
        }
        const auto* info = integrations::FindTokenHost(type);
        if (!info) return Err(ErrorCode::kConflict, "The git provider's type '" + type + "' cannot deploy.", Layer::kGitToken);
        WHARF_ASSIGN_OR_RETURN(auto url, integrations::ParseCloneUrl(*info, prov->Field("base_url"), repo, "repository"));
        s.git.url = url.url;
        s.git.auth_host = url.host.front() == '[' ? url.host : url.host.substr(0, url.host.find(':'));
        s.git.auth_username = prov->Field("username").empty() ? info->default_username : prov->Field("username");
        if (auto it = prov->sealed.find("token"); it != prov->sealed.end()) {
          WHARF_ASSIGN_OR_RETURN(auto tok, envelope_.Open(org->wrapped_data_key,
                                                          {job.org_id, kGitProviders.name, prov->id, "token"}, it->second));
          s.git.auth_token = std::string(tok.view());
        }
      }
    }
    w.commit_sha = in.value("sha", "");  // a push: the pushed commit (its branch is what git:sync builds)
    return finish(tx, *org);
  }));
  if (w.github_provider) {
    WHARF_TRY(MintGithubDeployToken(w));
  }
  return w;
}

Status Deployments::MintGithubDeployToken(DeploymentWork& w) {
  const domain::Integration& prov = *w.github_provider;
  integrations::GithubApp app{.api_url = prov.Field("api_url"), .app_id = prov.Field("app_id"),
                              .installation_id = prov.Field("installation_id"), .private_key = &w.github_key};
  app.timeout_ms = static_cast<int>(config_.command_timeout_ms);
  app.connect_timeout_ms = static_cast<int>(config_.connect_timeout_ms);
  if (!config_.allow_private_targets) app.address_allowed = [](std::string_view ip) { return !nodes::IsPrivateAddress(ip); };
  auto tok = integrations::GithubInstallationToken(app, integrations_.github_tokens(), prov.id, clock_.Now(), w.github_repository);
  if (!tok) {
    Error e = tok.error();
    e.message = "GitHub App provider '" + prov.name + "' cannot give this deployment a token for " + w.github_repository +
                ": " + e.message;
    if (!e.details.contains("fix") || e.details["fix"].get<std::string>().empty())
      e.details["fix"] = "Run verify on the git provider with this repository and follow its failing check.";
    return tl::unexpected(std::move(e));
  }
  w.plan_input.git.auth_token = std::string(tok->token.view());
  return Ok();
}

Status Deployments::RunDeployment(JobContext& jc) {
  const domain::Job& job = jc.job();
  const auto fail_with = [&](const std::string& message, Layer layer, const std::string& fix) -> Status {
    auto st = store_.Write([&](store::Tx& tx) {
      return tx.deployments().SetOutcome(job.org_id, job.id, "", LayerName(layer), fix);
    });
    if (!st) log::Warn("deployment_outcome_failed", {{"deployment_id", job.id}, {"error", st.error().message}});
    jc.AppendOwnLog("\n[wharf] FAILED: " + message + (fix.empty() ? "" : "\n[wharf] Fix: " + fix) + "\n");
    Error e;
    e.code = ErrorCode::kConflict;
    e.message = message + (fix.empty() ? "" : " Fix: " + fix);
    e.layer = layer;
    e.details["logged"] = true;  // the FAILED block above is the log's; the job runner adds none
    return tl::unexpected(std::move(e));
  };

  auto loaded = LoadDeploymentWork(job);
  if (!loaded) {
    const auto& e = loaded.error();
    std::string fix = e.details.contains("fix") && e.details["fix"].is_string() ? e.details["fix"].get<std::string>() : "";
    if (fix.empty() && e.code == ErrorCode::kValidationFailed) fix = "Fix the service's settings or variables, then deploy again.";
    return fail_with(e.message, e.layer, fix);
  }
  DeploymentWork& w = *loaded;
  // Credentials are redacted everywhere; variable values from what the node prints (Wharf's own
  // lines never hold one, and a value as plain as "image" must not mangle `git:from-image`).
  for (const auto& secret : w.plan_input.CredentialSecrets()) jc.AddSecret(secret);
  for (const auto& [key, value] : w.plan_input.variables) jc.AddOutputSecret(value);
  // The row holds the action's name, written once by EnqueueDeployment.
  auto stored = ParseDeployAction(w.deployment.action);
  if (!stored) return fail_with(stored.error().message, Layer::kNone, "");
  const std::optional<deploy::Action> action = PlanAction(*stored);

  if (jc.takeover()) {
    if (job.attempts > 3) {
      return fail_with("The deployment was interrupted " + std::to_string(job.attempts - 1) +
                           " times by control-plane restarts; it is not retried again.",
                       Layer::kNone, "Deploy again once the control plane runs steadily.");
    }
    jc.AppendLog("\n[wharf] The control plane that ran this deployment stopped before it finished (restart or crash). "
                 "Resuming: every step is checked against the node, so what already happened is skipped or repeated "
                 "safely.\n");
  }
  jc.AppendOwnLog("[wharf] " + std::string(deploy::ActionName(*action)) + " of " + w.service.name + " (" + w.service.type +
               ") as Dokku app '" + w.plan_input.app + "' on " + w.server.name + " (" + w.server.host + "), trigger " +
               w.deployment.trigger + (w.commit_sha.empty() ? "" : ", commit " + w.commit_sha) + "\n");
  if (jc.IsCancelled()) return jc.Stopped();

  // SSH to the node.
  std::optional<NodeTarget> t;
  auto lt = store_.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(t, node_access_.LoadNodeTarget(tx, w.server));
    return Ok();
  });
  if (!lt) return fail_with(lt.error().message, Layer::kSsh, "Attach an SSH key with its private half to the server.");
  nodes::ConnectFailure failure = nodes::ConnectFailure::kNone;
  std::string fp;
  auto conn = nodes_.Open(t->target, node_access_.NodeConnectOptions(), &failure, &fp);
  if (!conn)
    return fail_with("Cannot sign in to the server " + w.server.name + ": " + conn.error().message, Layer::kSsh,
                     "Run the server check (POST …/servers/" + w.server.id +
                         "/check) and follow its failing item; git credentials do not help with SSH.");
  nodes::Session& c = **conn;

  // What the node already has.
  auto ok = [&](std::vector<std::string> argv) {
    auto r = c.Run(argv);
    return r && r->exit_status == 0;
  };
  auto lines = [&](std::vector<std::string> argv) {
    std::set<std::string> out;
    auto r = c.Run(argv);
    if (!r || r->exit_status != 0) return out;
    std::istringstream in(r->out);
    std::string line;
    while (std::getline(in, line)) {
      auto l = std::string(Trim(line));
      if (!l.empty()) out.insert(l);
    }
    return out;
  };
  deploy::NodeState node;
  node.server_name = w.server.name;
  if (auto v = c.Run(nodes::dokku::Version()); v && v->exit_status == 0) {
    std::string ver(Trim(v->out));
    if (StartsWith(ver, "dokku version ")) ver = ver.substr(14);
    node.dokku_version = ver;
  }
  const auto& s = w.plan_input;
  if (s.kind == deploy::Kind::kDatabase) {
    node.app_exists = ok(nodes::dokku::DbExists(s.database.kind, s.app));
    for (const auto& a : s.database.link_apps)
      if (ok(nodes::dokku::AppsExists(a))) node.apps.insert(a);
    if (node.app_exists)
      for (const auto& a : lines(nodes::dokku::DbLinks(s.database.kind, s.app))) node.links.insert({s.app, a});
  } else {
    node.app_exists = ok(nodes::dokku::AppsExists(s.app));
    for (const auto& d : s.databases) {
      if (!ok(nodes::dokku::DbExists(d.kind, d.name))) continue;
      node.databases.insert(d);
      for (const auto& a : lines(nodes::dokku::DbLinks(d.kind, d.name))) node.links.insert({d.name, a});
    }
  }

  if (*action == deploy::Action::kDeploy && s.kind == deploy::Kind::kImage) {
    // Deployed by digest, so a moved tag never reaches the node unnoticed and a release can be
    // redeployed exactly; the image the app runs decides between git:from-image and ps:rebuild.
    if (!w.rollback_release) ResolveImageDigest(jc, w);
    if (node.app_exists)
      if (auto r = c.Run(nodes::dokku::GitReport(s.app, "--git-source-image")); r && r->exit_status == 0)
        node.source_image = std::string(Trim(r->out));
  }
  auto plan = deploy::Plan(s, *action, node);
  if (!plan) {
    const auto& e = plan.error();
    std::string msg = e.message;
    if (e.details.contains("fields"))
      for (auto& [f, why] : e.details["fields"].items()) msg = f + " " + why.get<std::string>();
    if (e.details.contains("fix") && e.details["fix"].is_string())
      return fail_with(msg, Layer::kSsh, e.details["fix"].get<std::string>());
    return fail_with(msg, Layer::kNone, "Fix the service's settings, then deploy again.");
  }
  jc.AppendOwnLog("[wharf] " + std::to_string(plan->size()) + " step" + (plan->size() == 1 ? "" : "s") + " to run\n");

  const auto timeout = std::chrono::milliseconds(config_.onboard_timeout_ms);
  for (const auto& step : *plan) {
    if (jc.IsCancelled()) {
      jc.AppendOwnLog("[wharf] Cancelled before: " + step.step.display + "\n");
      return jc.Stopped();
    }
    jc.AppendOwnLog("$ " + step.step.display + "\n");
    std::string output;
    int rc = -1;
    {
      // A cancel (or this replica stopping) interrupts the running command: the job asks every
      // 200 ms, and the node's command gets SIGTERM and its channel closed.
      bool interrupted = false;
      auto r = c.Stream(step.step.argv, [&](std::string_view chunk) {
        output.append(chunk);
        jc.AppendLog(chunk);
      }, timeout, [&] { return interrupted = jc.IsCancelled(); }, step.step.stdin_data);
      if (!r && interrupted) {
        jc.AppendOwnLog("\n[wharf] " + std::string(core_.queue.stopping() ? "The control plane is shutting down" : "Cancelled") +
                     ": interrupted the running step '" + step.step.display +
                     "' (the command on the server was sent SIGTERM); the remaining steps did not run.\n");
        return jc.Stopped();
      }
      if (!r) return fail_with("Lost the connection to the server during '" + step.step.display + "': " + r.error().message,
                               Layer::kSsh, "Run the server check, then deploy again.");
      rc = *r;
    }
    if (rc != 0) {
      Layer layer = step.layer;
      std::string fix = step.fix;
      if ((layer == Layer::kGitToken || layer == Layer::kGithubApp || layer == Layer::kRegistry) && LooksLikeNetwork(output)) {
        const std::string what = layer == Layer::kRegistry ? "registry" : "git host";
        layer = Layer::kNetwork;
        fix = "The server could not reach the " + what +
              ": check its DNS, its outbound firewall (security groups) and the host's certificate; the credential "
              "is not the problem here.";
      }
      std::vector<std::string_view> sv;
      const auto all_secrets = s.Secrets();
      for (const auto& x : all_secrets) sv.push_back(x);
      const std::string said = secrets::Redact(LastLines(output, 2), sv);
      return fail_with("Step '" + step.step.display + "' failed with exit status " + std::to_string(rc) +
                           (said.empty() ? "." : ": " + said),
                       layer, fix);
    }
  }

  std::vector<std::string> plan_lines;
  for (const auto& step : *plan) plan_lines.push_back(step.step.display);
  if (*action == deploy::Action::kDeploy && s.kind == deploy::Kind::kGit) {
    if (auto r = c.Run(nodes::dokku::GitReport(s.app, "--git-sha")); r && r->exit_status == 0)
      w.built_sha = std::string(Trim(r->out));
    if (w.built_sha.empty() && w.rollback_release) w.built_sha = w.rollback_release->commit_sha;
  }
  const bool records_release = *action == deploy::Action::kDeploy && s.kind != deploy::Kind::kDatabase;

  // A database's user, password and name are the plugin's: read the DSN it links into apps and
  // keep it sealed, so references resolve to exactly what the node has.
  std::optional<domain::DatabaseCredentials> node_dsn;
  if (*action == deploy::Action::kDeploy && s.kind == deploy::Kind::kDatabase) {
    const auto step = nodes::dokku::DbDsn(s.database.kind, s.app);
    jc.AppendOwnLog("$ " + step.display + "\n");
    auto r = c.Run(step.argv);
    auto parsed = r && r->exit_status == 0 ? domain::ParseDsn(r->out) : tl::unexpected(Error{});
    if (!parsed)
      return fail_with("Step '" + step.display + "' did not print the database's URL" +
                           (r ? ": " + secrets::Redact(LastLines(r->err, 2), {}) : ": " + r.error().message),
                       Layer::kNone,
                       "Check that the dokku-" + s.database.kind + " plugin is installed (onboard the server again), "
                       "then deploy again.");
    jc.AddSecret(parsed->password);
    jc.AppendOwnLog("[wharf] Read the database's URL from the server (user " + parsed->user + ", database " +
                    parsed->database + ")\n");
    node_dsn = std::move(*parsed);
  }

  // Done: the removed keys are gone from the node, and the service shows what runs.
  std::string status = *action == deploy::Action::kStop      ? "stopped"
                       : *action == deploy::Action::kDestroy ? "destroyed"
                                                             : "running";
  auto st = store_.Write([&](store::Tx& tx) -> Status {
    WHARF_TRY(tx.deployments().SetOutcome(job.org_id, job.id, w.commit_sha.empty() ? w.built_sha : w.commit_sha, "", ""));
    WHARF_ASSIGN_OR_RETURN(auto svc, tx.app_services().Find(job.org_id, w.service.id));
    if (!svc) return Ok();
    if (records_release) {
      WHARF_ASSIGN_OR_RETURN(w.recorded_version, RecordRelease(tx, w, plan_lines));
    }
    if (*action == deploy::Action::kDeploy && s.kind != deploy::Kind::kDatabase) {
      std::vector<std::string> left;
      for (const auto& k : apps::UnsetKeys(*svc))
        if (std::find(w.unset_keys.begin(), w.unset_keys.end(), k) == w.unset_keys.end()) left.push_back(k);
      svc->unset_keys = json(left).dump();
      // The domains this deploy cleared (a domain added since keeps nothing to clear anyway).
      if (s.clear_domains) {
        json c = apps::Config(*svc);
        if (c.contains("domains_to_clear") && (!c.contains("domains") || c["domains"].empty())) {
          c.erase("domains_to_clear");
          svc->config = c.dump();
        }
      }
    }
    if (node_dsn) {
      WHARF_ASSIGN_OR_RETURN(auto org, tx.orgs().FindById(job.org_id));
      if (!org) return Internal("org of job " + job.id + " is missing");
      WHARF_ASSIGN_OR_RETURN(svc->credentials_sealed, apps::SealCredentials(envelope_, *org, svc->id, *node_dsn));
    }
    svc->status = status;
    svc->updated_at = clock_.Now();
    return tx.app_services().Update(*svc);
  });
  if (!st) log::Warn("deployment_record_failed", {{"deployment_id", job.id}, {"error", st.error().message}});
  if (w.recorded_version > 0) jc.AppendOwnLog("[wharf] Recorded release v" + std::to_string(w.recorded_version) + "\n");
  if (records_release && config_.watch_after_start_ms > 0) {
    std::string fix, tail;
    if (auto failed = WatchAfterStart(jc, c, w, fix, tail)) {
      if (jc.IsCancelled()) return jc.Stopped();
      auto wst = store_.Write([&](store::Tx& tx) -> Status {
        WHARF_TRY(tx.deployments().SetAfterStart(job.org_id, job.id, "failed"));
        WHARF_ASSIGN_OR_RETURN(auto event, FailedAfterStartEvent(tx, job.org_id, job.id, *failed, fix));
        if (event) WHARF_TRY(Notify(tx, job.org_id, std::move(*event)));
        WHARF_ASSIGN_OR_RETURN(auto svc, tx.app_services().Find(job.org_id, w.service.id));
        if (!svc) return Ok();
        svc->status = "failed";
        svc->updated_at = clock_.Now();
        return tx.app_services().Update(*svc);
      });
      if (!wst) log::Warn("deployment_record_failed", {{"deployment_id", job.id}, {"error", wst.error().message}});
      if (!tail.empty()) jc.AppendLog("[wharf] The app's last log lines:\n" + tail + (tail.back() == '\n' ? "" : "\n"));
      return fail_with(*failed, Layer::kNone, fix);
    }
    if (jc.IsCancelled()) return jc.Stopped();
  }
  jc.AppendOwnLog("[wharf] Done: " + w.service.name + " is " + status + "\n");
  return Ok();
}

void Deployments::RegisterDeploymentJobs() {
  RegisterJobHandler(kDeployKind, [this](JobContext& jc) { return RunDeployment(jc); });
}

Deployments::Deployments(Core& core, AppServices& app_services, NodeAccess& node_access, Integrations& integrations) : Feature(core), app_services_(app_services), node_access_(node_access), integrations_(integrations) {}

}  // namespace wharf::services
