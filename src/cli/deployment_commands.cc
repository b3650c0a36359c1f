// wharf deploy SERVICE [--app APP] [--action …] [--follow], and wharf deployment list | show | log [--follow] |
// cancel: deployments of services (docs/applications.md, "Deployments"). A followed deployment
// streams its log (Server-Sent Events) and exits 1 when it did not succeed, printing the layer and
// the fix.
#include "cli/command.h"

namespace wharf::cli {

using nlohmann::json;

namespace {

std::string Str(const json& j, const char* k) { return j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : ""; }

Table DeploymentTable(const std::vector<json>& items) {
  Table t{{"ID", "SERVICE", "ACTION", "TRIGGER", "STATUS", "COMMIT", "CREATED", "ERROR"}, {}};
  for (const auto& j : items)
    t.rows.push_back({Str(j, "id"), Str(j, "service_id"), Str(j, "action"), Str(j, "trigger"), Str(j, "status"),
                      Str(j, "commit_sha").substr(0, 12), Cell(j.value("created_at", json())), Cell(j.value("error", json()))});
  return t;
}

Result<json> GetDeployment(Env& env, const std::string& id) {
  WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
  WHARF_ASSIGN_OR_RETURN(std::string path, env.OrgPath("/deployments/" + EncodeComponent(id)));
  return api->Get(path);
}

Status Outcome(const json& d) {
  const std::string status = Str(d, "status");
  if (status == "succeeded") return Ok();
  std::string msg = "Deployment " + Str(d, "id") + " " + (status.empty() ? "ended" : status);
  if (!Str(d, "error").empty()) msg += ": " + Str(d, "error");
  const std::string layer = Str(d, "layer").empty() ? Str(d, "error_layer") : Str(d, "layer");
  const std::string fix = Str(d, "fix").empty() ? Str(d, "error_fix") : Str(d, "fix");
  if (!layer.empty()) msg += " [layer " + layer + "]";
  if (!fix.empty() && msg.find(fix) == std::string::npos) msg += "\nFix: " + fix;
  return Err(ErrorCode::kUnavailable, msg);
}

}  // namespace

Status FollowDeployment(Env& env, const std::string& id) {
  WHARF_ASSIGN_OR_RETURN(std::string path, env.OrgPath("/deployments/" + EncodeComponent(id) + "/log"));
  std::optional<json> end;
  WHARF_TRY(StreamLog(env, path, end));
  WHARF_ASSIGN_OR_RETURN(json d, GetDeployment(env, id));
  if (env.format() != Format::kTable) {
    d.erase("log");
    env.Print(d, Table{});
  }
  if (Str(d, "status") == "queued" || Str(d, "status") == "running")
    return Err(ErrorCode::kUnavailable, "The log stream ended before deployment " + id +
                                            " did; follow it again with `wharf deployment log " + id + " --follow`.");
  if (Str(d, "status") == "succeeded") env.err() << "Deployment " << id << " succeeded.\n";
  return Outcome(d);
}

void AddDeploymentCommands(Registry& r) {
  struct DeployFlags {
    std::string service, app, action = "deploy";
    bool follow = false;
  };
  auto df = std::make_shared<DeployFlags>();
  CLI::App* dep = r.Command(nullptr, "deploy",
                            "Deploy a service (or --action redeploy|restart|stop|destroy) on its application's server",
                            "wharf deploy web --app shop --follow", Scope::kOrg, [df](Env& env) -> Status {
                              std::string id = df->service;
                              if (!df->app.empty() || !id.starts_with("svc_")) {
                                WHARF_ASSIGN_OR_RETURN(json svc, FindService(env, df->service, df->app));
                                id = Str(svc, "id");
                              }
                              WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
                              WHARF_ASSIGN_OR_RETURN(std::string path, env.OrgPath("/services/" + EncodeComponent(id) +
                                                                                   "/" + EncodeComponent(df->action)));
                              WHARF_ASSIGN_OR_RETURN(json d, api->Post(path));
                              if (df->follow) {
                                if (env.format() == Format::kTable)
                                  env.err() << "Deployment " << Str(d, "id") << " queued; following its log.\n";
                                return FollowDeployment(env, Str(d, "id"));
                              }
                              env.Print(d, DeploymentTable({d}));
                              return Ok();
                            });
  dep->add_option("service", df->service, "Service id (svc_…), or its name with --app")->required();
  dep->add_option("--app", df->app, "The application (name or id) when SERVICE is a name");
  dep->add_option("--action", df->action, "deploy (default), redeploy, restart, stop or destroy")
      ->check(CLI::IsMember({"deploy", "redeploy", "restart", "stop", "destroy"}));
  dep->add_flag("-f,--follow", df->follow, "Stream the log until the deployment ends (exit 1 unless it succeeded)");

  CLI::App* g = r.Group("deployment", "Deployments of services: list, status, log, cancel",
                        "wharf deployment log dep_123 --follow");
  struct ListFlags {
    std::string application, service;
  };
  auto lf = std::make_shared<ListFlags>();
  CLI::App* list = r.Command(g, "list", "A service's (or an application's) deployments, newest first",
                             "wharf deployment list --app shop --service web", Scope::kOrg,
                             [lf](Env& env) -> Status {
                               if (lf->application.empty())
                                 return UsageError("--application is required (and --service to narrow)");
                               std::string app = lf->application;
                               if (!app.starts_with("app_")) {
                                 WHARF_ASSIGN_OR_RETURN(json a, FindApplication(env, app));
                                 app = Str(a, "id");
                               }
                               std::string suffix = "/applications/" + EncodeComponent(app);
                               if (!lf->service.empty()) {
                                 std::string svc = lf->service;
                                 if (!svc.starts_with("svc_")) {
                                   WHARF_ASSIGN_OR_RETURN(json sv, FindService(env, svc, app));
                                   svc = Str(sv, "id");
                                 }
                                 suffix += "/services/" + EncodeComponent(svc);
                               }
                               WHARF_ASSIGN_OR_RETURN(auto items, env.ListOrg(suffix + "/deployments"));
                               env.Print(json(items), DeploymentTable(items), "No deployments yet.");
                               return Ok();
                             });
  list->add_option("--application,--app", lf->application, "Application name or id");
  list->add_option("--service", lf->service, "Service name or id");

  auto show = std::make_shared<std::string>();
  r.Command(g, "show", "A deployment's status, error (layer and fix) and log", "wharf deployment show dep_123",
            Scope::kOrg, [show](Env& env) -> Status {
              WHARF_ASSIGN_OR_RETURN(json d, GetDeployment(env, *show));
              env.Print(d, DeploymentTable({d}));
              if (env.format() == Format::kTable) {
                if (!Str(d, "error_layer").empty()) env.out() << "Layer: " << Str(d, "error_layer") << "\n";
                if (!Str(d, "error_fix").empty()) env.out() << "Fix: " << Str(d, "error_fix") << "\n";
                std::string log = Str(d, "log");
                if (!log.empty()) env.out() << "\n" << log << (log.back() == '\n' ? "" : "\n");
              }
              return Ok();
            })
      ->add_option("deployment", *show, "Deployment id")
      ->required();

  struct LogFlags {
    std::string id;
    bool follow = false;
  };
  auto lg = std::make_shared<LogFlags>();
  CLI::App* log = r.Command(g, "log", "Print a deployment's log; --follow streams it until it ends",
                            "wharf deployment log dep_123 --follow", Scope::kOrg, [lg](Env& env) -> Status {
                              if (lg->follow) return FollowDeployment(env, lg->id);
                              WHARF_ASSIGN_OR_RETURN(json d, GetDeployment(env, lg->id));
                              std::string text = Str(d, "log");
                              env.out() << text << (text.empty() || text.back() == '\n' ? "" : "\n");
                              return Ok();
                            });
  log->add_option("deployment", lg->id, "Deployment id")->required();
  log->add_flag("-f,--follow", lg->follow, "Stream the log as it is written, until the deployment ends");

  auto cancel = std::make_shared<std::string>();
  r.Command(g, "cancel", "Cancel a queued or running deployment (a running one stops before its next step)",
            "wharf deployment cancel dep_123", Scope::kOrg, [cancel](Env& env) -> Status {
              WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
              WHARF_ASSIGN_OR_RETURN(std::string path, env.OrgPath("/deployments/" + EncodeComponent(*cancel) + "/cancel"));
              WHARF_ASSIGN_OR_RETURN(json d, api->Post(path));
              env.Print(d, DeploymentTable({d}));
              return Ok();
            })
      ->add_option("deployment", *cancel, "Deployment id")
      ->required();
}

}  // namespace wharf::cli
