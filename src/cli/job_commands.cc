// wharf job show | log [--follow] | cancel, and FollowJob, which `server onboard --follow` shares: the job's
// log streamed (Server-Sent Events) to the terminal as it is written.
#include "cli/command.h"
#include "cli/sse.h"

namespace wharf::cli {

using nlohmann::json;

namespace {

Result<json> GetJob(Env& env, const std::string& id) {
  WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
  WHARF_ASSIGN_OR_RETURN(std::string path, env.OrgPath("/jobs/" + EncodeComponent(id)));
  return api->Get(path);
}

Table JobTable(const json& j) {
  Table t{{"ID", "KIND", "STATUS", "CREATED", "FINISHED", "ERROR"}, {}};
  t.rows.push_back({j.value("id", ""), j.value("kind", ""), j.value("status", ""), Cell(j.value("created_at", json())),
                    Cell(j.value("finished_at", json())), Cell(j.value("error", json()))});
  return t;
}

Status JobOutcome(const std::string& id, const std::string& status, const std::string& error) {
  if (status == "succeeded") return Ok();
  return Err(ErrorCode::kUnavailable, "Job " + id + " " + (status.empty() ? "ended" : status) +
                                          (error.empty() ? "." : ": " + error));
}

}  // namespace

Status StreamLog(Env& env, const std::string& path, std::optional<json>& end) {
  WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
  // People read the log on stdout; scripts (-o json) get it on stderr and the job object on stdout.
  std::ostream& log = env.format() == Format::kTable ? env.out() : env.err();
  SseParser parser;
  bool at_line_start = true;
  Status streamed = api->Stream(path, [&](std::string_view chunk) {
    parser.Feed(chunk, [&](const SseEvent& e) {
      if (e.event == "log" && !e.data.empty()) {
        log << e.data;  // a log event's data is exactly the chunk the job wrote
        log.flush();
        at_line_start = e.data.back() == '\n';
      } else if (e.event == "end") {
        json j = json::parse(e.data, nullptr, false);
        end = j.is_object() ? j : json::object();
      }
    });
    return !end.has_value();
  });
  if (!at_line_start) log << "\n";
  log.flush();
  WHARF_TRY(streamed);
  return Ok();
}

Status FollowJob(Env& env, const std::string& id) {
  WHARF_ASSIGN_OR_RETURN(std::string path, env.OrgPath("/jobs/" + EncodeComponent(id) + "/log"));
  std::optional<json> end;
  WHARF_TRY(StreamLog(env, path, end));
  std::string status, error;
  if (end) {
    status = end->value("status", "");
    if (end->contains("error") && (*end)["error"].is_string()) error = (*end)["error"];
  }
  if (!end || env.format() != Format::kTable) {
    WHARF_ASSIGN_OR_RETURN(json job, GetJob(env, id));
    status = job.value("status", "");
    error = job.contains("error") && job["error"].is_string() ? job["error"].get<std::string>() : "";
    if (env.format() != Format::kTable) {
      json shown = job;
      shown.erase("log");  // it went to stderr as it came
      env.Print(shown, Table{});
    }
    if (!end && (status == "queued" || status == "running"))
      return Err(ErrorCode::kUnavailable, "The log stream ended before job " + id +
                                              " did; follow it again with `wharf job log " + id + " --follow`.");
  }
  if (status == "succeeded") env.err() << "Job " << id << " succeeded.\n";
  return JobOutcome(id, status, error);
}

void AddJobCommands(Registry& r) {
  CLI::App* g = r.Group("job", "Background jobs (onboarding, …): status and log", "wharf job log job_123 --follow");
  auto show = std::make_shared<std::string>();
  r.Command(g, "show", "Show a job's status, then its log", "wharf job show job_123 -o json", Scope::kOrg,
            [show](Env& env) -> Status {
              WHARF_ASSIGN_OR_RETURN(json j, GetJob(env, *show));
              env.Print(j, JobTable(j));
              if (env.format() == Format::kTable) {
                std::string log = j.value("log", "");
                if (!log.empty()) env.out() << "\n" << log << (log.back() == '\n' ? "" : "\n");
              }
              return Ok();
            })
      ->add_option("job", *show, "Job id (job_…)")
      ->required();
  struct LogFlags {
    std::string id;
    bool follow = false;
  };
  auto lf = std::make_shared<LogFlags>();
  CLI::App* log = r.Command(g, "log", "Print a job's log; --follow streams it until the job ends (exit 1 if it failed)",
                            "wharf job log job_123 --follow", Scope::kOrg, [lf](Env& env) -> Status {
                              if (lf->follow) return FollowJob(env, lf->id);
                              WHARF_ASSIGN_OR_RETURN(json j, GetJob(env, lf->id));
                              if (env.format() != Format::kTable) {
                                env.Print(json{{"id", j["id"]}, {"status", j["status"]}, {"log", j.value("log", "")}}, Table{});
                                return Ok();
                              }
                              std::string text = j.value("log", "");
                              env.out() << text << (text.empty() || text.back() == '\n' ? "" : "\n");
                              env.out().flush();
                              return Ok();
                            });
  log->add_option("job", lf->id, "Job id (job_…)")->required();
  log->add_flag("-f,--follow", lf->follow, "Stream the log as it is written, until the job ends");
  auto cancel = std::make_shared<std::string>();
  r.Command(g, "cancel", "Cancel a job: a queued one at once, a running one at its next step (servers.update)",
            "wharf job cancel job_123", Scope::kOrg,
            [cancel](Env& env) -> Status {
              WHARF_ASSIGN_OR_RETURN(ApiClient * api, env.api());
              WHARF_ASSIGN_OR_RETURN(std::string path, env.OrgPath("/jobs/" + EncodeComponent(*cancel) + "/cancel"));
              WHARF_ASSIGN_OR_RETURN(json j, api->Post(path));
              env.Print(j, JobTable(j));
              return Ok();
            })
      ->add_option("job", *cancel, "Job id (job_…)")
      ->required();
}

}  // namespace wharf::cli
