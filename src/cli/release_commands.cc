// wharf releases SERVICE --app APP, wharf rollback SERVICE --app APP --to v3 [--dry-run] [--follow],
// and wharf logs SERVICE --app APP [-n N] [-f]: releases, rollbacks and runtime logs of a service
// (docs/releases.md).

#include "cli/command.h"
#include "cli/sse.h"

namespace wharf::cli {

using nlohmann::json;

namespace {

std::string Str(const json& j, const char* k) { return j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : ""; }

Result<std::string> ServiceId(Env& env, const std::string& service, const std::string& app) {
  if (app.empty() && service.starts_with("svc_")) return service;
  WHARF_ASSIGN_OR_RETURN(json svc, FindService(env, service, app));
  return Str(svc, "id");
}

std::string Source(const json& r) {
  const json& s = r.value("source", json::object());
  if (Str(s, "kind") == "git") return Str(s, "commit").substr(0, 12);
  const std::string d = Str(s, "image_digest");
  return Str(s, "image") + (d.empty() ? "" : " (" + d.substr(0, 19) + ")");
}

Table ReleaseTable(const std::vector<json>& items) {
  Table t{{"VERSION", "CURRENT", "SOURCE", "TRIGGER", "VARIABLES", "CREATED", "PINNED"}, {}};
  for (const auto& r : items)
    t.rows.push_back({"v" + std::to_string(r.value("version", 0)), r.value("current", false) ? "*" : "", Source(r),
                      Str(r, "trigger") + (r.contains("rollback_of") && r["rollback_of"].is_number()
                                               ? " of v" + std::to_string(r["rollback_of"].get<int64_t>())
                                               : ""),
                      Str(r, "variables_hash").substr(12, 12), Cell(r.value("created_at", json())),
                      r.value("pinned", false) ? "yes" : ""});
  return t;
}

}  // namespace

void AddReleaseCommands(Registry& r) {
  struct Flags {
    std::string service, app, to;
    bool dry_run = false, follow = false;
    int lines = 100;
  };

  auto rf = std::make_shared<Flags>();
  CLI::App* rel = r.Command(nullptr, "releases", "A service's kept releases, newest first (* marks the current one)",
                            "wharf releases web --app shop", Scope::kOrg, [rf](Env& env) -> Status {
                              WHARF_ASSIGN_OR_RETURN(std::string id, ServiceId(env, rf->service, rf->app));
                              WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
                              WHARF_ASSIGN_OR_RETURN(std::string path,
                                                     env.OrgPath("/services/" + EncodeComponent(id) + "/releases"));
                              WHARF_ASSIGN_OR_RETURN(json page, api->Get(path));
                              std::vector<json> items;
                              for (auto& x : page.value("items", json::array())) items.push_back(x);
                              env.Print(json(items), ReleaseTable(items), "No releases yet: deploy the service first.");
                              return Ok();
                            });
  rel->add_option("service", rf->service, "Service id (svc_…), or its name with --app")->required();
  rel->add_option("--app", rf->app, "The application (name or id) when SERVICE is a name");

  auto bf = std::make_shared<Flags>();
  CLI::App* rb = r.Command(
      nullptr, "rollback",
      "Roll a service back to a kept release: its exact source and variables (--dry-run shows what changes, keys only)",
      "wharf rollback web --app shop --to v3", Scope::kOrg, [bf](Env& env) -> Status {
        WHARF_ASSIGN_OR_RETURN(std::string id, ServiceId(env, bf->service, bf->app));
        std::string v = bf->to;
        if (!v.empty() && (v[0] == 'v' || v[0] == 'V')) v = v.substr(1);
        if (v.empty() || v.size() > 11 || v.find_first_not_of("0123456789") != std::string::npos)
          return UsageError("--to must name a release like v3 (see `wharf releases`)");
        WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
        WHARF_ASSIGN_OR_RETURN(std::string path, env.OrgPath("/services/" + EncodeComponent(id) + "/rollback"));
        json body = {{"version", std::stoll(v)}};
        if (bf->dry_run) body["dry_run"] = true;
        WHARF_ASSIGN_OR_RETURN(json out, api->Post(path, body));
        if (bf->dry_run) {
          if (env.format() != Format::kTable) {
            env.Print(out, Table{});
            return Ok();
          }
          const json& c = out.value("changes", json::object());
          env.out() << "Rolling back from v" << out.value("from_version", 0) << " to v" << out.value("to_version", 0)
                    << " changes:\n";
          if (c.contains("source") && c["source"].is_object())
            env.out() << "  source: " << c["source"]["from"].dump() << " -> " << c["source"]["to"].dump() << "\n";
          else
            env.out() << "  source: unchanged\n";
          for (const char* what : {"added", "removed", "changed"}) {
            std::string keys;
            for (auto& k : c["variables"].value(what, json::array())) keys += (keys.empty() ? "" : ", ") + k.get<std::string>();
            env.out() << "  variables " << what << ": " << (keys.empty() ? "none" : keys) << "\n";
          }
          for (const char* list : {"domains", "ports"})
            env.out() << "  " << list << ": +" << c[list].value("added", json::array()).dump() << " -"
                      << c[list].value("removed", json::array()).dump() << "\n";
          return Ok();
        }
        const std::string dep = Str(out, "deployment_id");
        if (bf->follow) {
          if (env.format() == Format::kTable) env.err() << "Rollback " << dep << " queued; following its log.\n";
          return FollowDeployment(env, dep);
        }
        env.Print(out, Table{{"DEPLOYMENT", "VERSION", "STATUS"},
                             {{dep, "v" + std::to_string(out.value("version", 0)), Str(out, "status")}}});
        return Ok();
      });
  rb->add_option("service", bf->service, "Service id (svc_…), or its name with --app")->required();
  rb->add_option("--app", bf->app, "The application (name or id) when SERVICE is a name");
  rb->add_option("--to", bf->to, "The release to roll back to: v3 (see `wharf releases`)")->required();
  rb->add_flag("--dry-run", bf->dry_run, "Show what would change (source, variable keys, domains, ports); deploy nothing");
  rb->add_flag("-f,--follow", bf->follow, "Stream the rollback's log until it ends (exit 1 unless it succeeded)");

  auto lf = std::make_shared<Flags>();
  CLI::App* logs = r.Command(
      nullptr, "logs", "A service's runtime logs (its containers' output); -f keeps streaming new lines",
      "wharf logs web --app shop -f", Scope::kOrg, [lf](Env& env) -> Status {
        WHARF_ASSIGN_OR_RETURN(std::string id, ServiceId(env, lf->service, lf->app));
        WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
        WHARF_ASSIGN_OR_RETURN(std::string path,
                               env.OrgPath("/services/" + EncodeComponent(id) + "/logs?tail=" + std::to_string(lf->lines) +
                                           (lf->follow ? "&follow=true" : "")));
        SseParser parser;
        std::optional<json> end;
        Status streamed = api->Stream(path, [&](std::string_view chunk) {
          parser.Feed(chunk, [&](const SseEvent& e) {
            json j = json::parse(e.data, nullptr, false);
            if (e.event == "line" && j.is_object()) {
              if (env.format() == Format::kTable) {
                const std::string proc = Str(j, "process");
                env.out() << (proc.empty() ? "" : proc + " | ") << Str(j, "text") << "\n";
              } else {
                env.out() << j.dump() << "\n";
              }
              env.out().flush();
            } else if (e.event == "end") {
              end = j.is_object() ? j : json::object();
            }
          });
          return !end.has_value();
        });
        WHARF_TRY(streamed);
        if (end && !Str(*end, "error").empty()) return Err(ErrorCode::kUnavailable, Str(*end, "error"));
        return Ok();
      });
  logs->add_option("service", lf->service, "Service id (svc_…), or its name with --app")->required();
  logs->add_option("--app", lf->app, "The application (name or id) when SERVICE is a name");
  logs->add_option("-n,--lines", lf->lines, "How many of the last lines to print first (default 100)")
      ->check(CLI::Range(0, 10000));
  logs->add_flag("-f,--follow", lf->follow, "Keep streaming new lines until interrupted");
}

}  // namespace wharf::cli
