// Onboarding a server: the "onboard" job installs the pinned Dokku and its plugins, doing only
// what is missing, then runs the node checks (Servers, servers.h).
#include <set>
#include <sstream>

#include "base/log.h"
#include "base/strings.h"
#include "nodes/checks.h"
#include "services/node_access.h"
#include "services/servers.h"

namespace wharf::services {

using domain::Action;
using domain::Collection;
using jobs::JobFailed;

Result<domain::Job> Servers::OnboardServer(const authz::Principal& p, std::string_view id, const RequestContext& ctx) {
  const authz::Resource pre{id, p.user_id, {}, id};
  WHARF_TRY(Authorize(p, Collection::kServers, Action::kUpdate, &pre, ctx, id));
  domain::Job job;
  WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto s, tx.servers().Find(p.org_id, id));
    if (!s) return Err(ErrorCode::kNotFound, "Server not found in this organisation.");
    auto r = authz::Resource{s->id, s->created_by, {}, s->id};
    auto st = Authorize(p, Collection::kServers, Action::kUpdate, &r, ctx, id);
    if (!st) return st.error().code == ErrorCode::kNotFound ? Err(ErrorCode::kNotFound, "Server not found in this organisation.")
                                                            : tl::unexpected(st.error());
    WHARF_TRY(node_access_.RequirePinnedHostKey(*s));
    WHARF_ASSIGN_OR_RETURN(job, Enqueue(tx, "onboard", p.org_id, s->id, nlohmann::json::object(), p.user_id));
    return AuditIn(tx, p, "servers.onboard", "servers", s->id, ctx, job.id);
  }));
  WakeJobWorkers();
  return job;
}

Status Servers::RunOnboarding(JobContext& jc) {
  const domain::Job& job = jc.job();
  std::optional<domain::Server> found;
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(found, tx.servers().Find(job.org_id, job.target_id));
    return Ok();
  }));
  if (!found) return JobFailed("The server was deleted before onboarding ran.");
  domain::Server server = *found;
  auto append = [&](std::string_view text) { jc.AppendLog(text); };
  if (jc.takeover()) append("[wharf] Resuming: onboarding is idempotent and does only what is missing.\n");
  append("[wharf] Onboarding " + server.name + " (" + server.username + "@" + server.host + ":" + std::to_string(server.port) +
         "): Dokku " + config_.dokku_version + " and " + std::to_string(config_.dokku_plugins.size()) + " plugins\n");

  std::optional<NodeTarget> t;
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(t, node_access_.LoadNodeTarget(tx, server));
    return Ok();
  }));
  const nodes::ConnectOptions co = node_access_.NodeConnectOptions();
  nodes::ConnectFailure failure;
  std::string fp;
  auto conn = nodes_.Open(t->target, co, &failure, &fp);
  if (!conn) return JobFailed("Cannot sign in to the server: " + conn.error().message + " Run the server check for the fix.");
  nodes::Session& c = **conn;
  const auto step_timeout = std::chrono::milliseconds(config_.onboard_timeout_ms);
  auto stream = [&](const std::vector<std::string>& argv) -> Result<int> {
    append("$ " + nodes::CommandLine(argv) + "\n");
    return c.Stream(argv, [&](std::string_view chunk) { append(chunk); }, step_timeout);
  };

  if (server.username != "root") {
    auto sudo = c.Run({"sudo", "-n", "true"});
    if (!sudo || sudo->exit_status != 0)
      return JobFailed("The user " + server.username + " has no passwordless sudo, which onboarding needs: echo '" +
                       server.username + " ALL=(ALL) NOPASSWD:ALL' | sudo tee /etc/sudoers.d/wharf");
  }
  const std::vector<std::string> sudo = server.username == "root" ? std::vector<std::string>{} : std::vector<std::string>{"sudo", "-n"};
  auto with_sudo = [&](std::vector<std::string> argv) {
    std::vector<std::string> out = sudo;
    out.insert(out.end(), argv.begin(), argv.end());
    return out;
  };

  // 1. Dokku itself.
  auto version = c.Run(nodes::dokku::Version());
  std::string installed;
  if (version && version->exit_status == 0) {
    installed = std::string(Trim(version->out));
    if (StartsWith(installed, "dokku version ")) installed = installed.substr(14);
  }
  if (!installed.empty() && nodes::CompareVersions(installed, config_.dokku_version) >= 0) {
    append("[wharf] Dokku " + installed + " is installed (pinned " + config_.dokku_version + "): skipping the install\n");
  } else {
    append(installed.empty() ? "[wharf] Installing Dokku " + config_.dokku_version + "\n"
                             : "[wharf] Upgrading Dokku " + installed + " to " + config_.dokku_version + "\n");
    if (jc.IsCancelled()) return jc.Stopped();
    // The URL is passed as an argument ($1), never pasted into the script text. The installer is
    // saved to a fresh mktemp file: a fixed /tmp name could be pre-created as a symlink by any local
    // user (curl runs as root), and two onboardings of one node would overwrite each other's copy.
    auto rc = stream(with_sudo({"env", "DOKKU_TAG=v" + config_.dokku_version, "bash", "-c",
                                "set -e; f=$(mktemp /tmp/wharf-dokku-bootstrap.XXXXXXXX); trap 'rm -f \"$f\"' EXIT; "
                                "curl -fsSL \"$1\" -o \"$f\"; bash \"$f\"",
                                "wharf-onboard", config_.dokku_bootstrap_url}));
    if (!rc) return JobFailed(rc.error().message);
    if (*rc != 0) return JobFailed("The Dokku installer exited with status " + std::to_string(*rc) + "; see the log above.");
  }

  // 2. Plugins: install only the missing ones.
  std::set<std::string> have;
  auto list = c.Run(nodes::dokku::PluginList());
  if (list && list->exit_status == 0) {
    std::istringstream in(list->out);
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream words(line);
      std::string name;
      if (words >> name) have.insert(name);
    }
  }
  for (const auto& pin : config_.dokku_plugins) {
    const std::string& name = pin.name;
    if (jc.IsCancelled()) return jc.Stopped();
    if (have.count(name)) {
      append("[wharf] Plugin " + name + " is installed: skipping\n");
      continue;
    }
    append("[wharf] Installing plugin " + name + "\n");
    auto rc = stream(with_sudo(nodes::dokku::PluginInstall(pin)));
    if (!rc) return JobFailed(rc.error().message);
    if (*rc != 0) return JobFailed("Installing the " + name + " plugin failed with status " + std::to_string(*rc) + "; see the log above.");
  }

  // 3. Check the result, and record it on the server.
  auto out = node_access_.RunNodeChecks(*t, &server);
  auto st = store_.Write([&](store::Tx& tx) {
    return tx.servers().RecordCheck(server, domain::ServerCheck{0, server.org_id, server.id, server.last_check_at, out.ok, 0,
                                                                out.report.dump()},
                                    config_.check_history);
  });
  if (!st) log::Warn("health_check_record_failed", {{"server_id", server.id}, {"error", st.error().message}});
  if (!out.ok) return JobFailed("Onboarding finished but a check still fails: " + server.last_error);
  append("[wharf] Done: every check passes\n");
  return Ok();
}

void Servers::RegisterOnboardJobs() {
  RegisterJobHandler("onboard", [this](JobContext& jc) { return RunOnboarding(jc); });
}

}  // namespace wharf::services
