#include "nodes/deploy_plan.h"

#include <algorithm>

#include "nodes/checks.h"

namespace wharf::nodes::deploy {

namespace {

std::string HostOfUrl(std::string_view url) {
  auto p = url.find("://");
  if (p == std::string_view::npos) return {};
  auto rest = url.substr(p + 3);
  auto host = rest.substr(0, rest.find('/'));
  // netrc (which git:auth writes) matches a machine by host name alone, never host:port.
  if (!host.empty() && host.front() != '[') host = host.substr(0, host.find(':'));
  return std::string(host);
}

PlannedStep On(dokku::Step step, Layer layer = Layer::kNone, std::string fix = {}) {
  return PlannedStep{std::move(step), layer, std::move(fix)};
}

const char* kNodeFix = "Read the step's output above; run the server check (POST …/servers/{id}/check) if the node "
                       "itself misbehaves, then deploy again.";

}  // namespace

Result<std::string> DokkuName(std::string_view application, std::string_view service) {
  std::string out;
  auto add = [&](std::string_view part) {
    bool dash = !out.empty();
    for (char c : part) {
      char l = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
      if ((l >= 'a' && l <= 'z') || (l >= '0' && l <= '9')) {
        if (dash && !out.empty()) out += '-';
        dash = false;
        out += l;
      } else {
        dash = true;
      }
    }
  };
  add(application);
  const size_t app_len = out.size();
  add(service);
  if (out.size() == app_len || app_len == 0)
    return FieldError("name", "the application and the service each need a letter or digit to form the Dokku app name");
  WHARF_TRY(dokku::ValidateName(out, "name").map_error([&](Error e) {
    e.message = "The Dokku app name '" + out + "' (application-service) is not valid: " + e.message +
                ". Shorten the application or service name.";
    return e;
  }));
  return out;
}

Result<Action> ParseAction(std::string_view a) {
  if (a == "deploy" || a == "redeploy") return Action::kDeploy;
  if (a == "restart") return Action::kRestart;
  if (a == "stop") return Action::kStop;
  if (a == "destroy") return Action::kDestroy;
  return FieldError("action", "must be deploy, redeploy, restart, stop or destroy");
}

std::string_view ActionName(Action a) {
  switch (a) {
    case Action::kDeploy: return "deploy";
    case Action::kRestart: return "restart";
    case Action::kStop: return "stop";
    case Action::kDestroy: return "destroy";
  }
  return "deploy";
}

std::vector<std::string> Service::Secrets() const {
  std::vector<std::string> out;
  auto add = [&](const std::string& v) {
    if (!v.empty()) out.push_back(v);
  };
  for (const auto& [k, v] : variables) add(v);
  for (auto& c : CredentialSecrets()) out.push_back(std::move(c));
  return out;
}

std::vector<std::string> Service::CredentialSecrets() const {
  std::vector<std::string> out;
  for (const std::string* v : {&git.auth_token, &image.registry_password, &database.password})
    if (!v->empty()) out.push_back(*v);
  return out;
}

namespace {

Result<std::vector<PlannedStep>> Steps(const Service& s, Action action, const NodeState& node) {
  WHARF_TRY(dokku::ValidateName(s.app, "name"));
  std::vector<PlannedStep> out;

  if (s.kind == Kind::kDatabase) {
    const auto& db = s.database;
    if (!dokku::IsDatabaseKind(db.kind))
      return FieldError("database.engine", "must be postgres, mysql, mariadb, mongo or redis");
    const std::string db_fix = "Check that the dokku-" + db.kind + " plugin is installed (onboard the server again), "
                               "then deploy again.";
    switch (action) {
      case Action::kDeploy: {
        if (!node.app_exists) {
          auto st = dokku::DbCreate(db.kind, s.app, db.version);
          if (!db.password.empty()) {
            st.argv.push_back("--password");
            st.argv.push_back(db.password);
            st.display += " --password [credential]";
          }
          out.push_back(On(std::move(st), Layer::kNone, db_fix));
        }
        for (const auto& app : db.link_apps) {
          WHARF_TRY(dokku::ValidateName(app, "link_apps"));
          if (!node.apps.count(app) || node.links.count({s.app, app})) continue;
          out.push_back(On(dokku::DbLink(db.kind, s.app, app), Layer::kNone, db_fix));
        }
        return out;
      }
      case Action::kRestart: out.push_back(On(dokku::Step{{"dokku", db.kind + ":restart", s.app}, "", "dokku " + db.kind + ":restart " + s.app}, Layer::kNone, db_fix)); return out;
      case Action::kStop: out.push_back(On(dokku::Step{{"dokku", db.kind + ":stop", s.app}, "", "dokku " + db.kind + ":stop " + s.app}, Layer::kNone, db_fix)); return out;
      case Action::kDestroy: {
        if (!node.app_exists) return out;
        for (const auto& [name, app] : node.links)
          if (name == s.app) out.push_back(On(dokku::DbUnlink(db.kind, s.app, app), Layer::kNone, db_fix));
        out.push_back(On(dokku::DbDestroy(db.kind, s.app), Layer::kNone, db_fix));
        return out;
      }
    }
    return out;
  }

  switch (action) {
    case Action::kRestart: out.push_back(On(dokku::PsRestart(s.app), Layer::kNone, kNodeFix)); return out;
    case Action::kStop: out.push_back(On(dokku::PsStop(s.app), Layer::kNone, kNodeFix)); return out;
    case Action::kDestroy:
      if (node.app_exists) out.push_back(On(dokku::AppsDestroy(s.app), Layer::kNone, kNodeFix));
      return out;
    case Action::kDeploy: break;
  }

  // Validate everything before the first step, so a bad value never leaves a half-configured app.
  for (const auto& [k, v] : s.variables) {
    auto st = dokku::ValidateConfigKey(k);
    if (!st) return FieldError("variables." + k, st.error().message);
  }
  for (const auto& k : s.removed_keys) {
    auto st = dokku::ValidateConfigKey(k);
    if (!st) return FieldError("variables." + k, st.error().message);
  }
  for (const auto& d : s.databases) {
    if (!dokku::IsDatabaseKind(d.kind)) return FieldError("variables", "references a database of unknown kind '" + d.kind + "'");
    WHARF_TRY(dokku::ValidateName(d.name, "variables"));
    if (!node.databases.count(d))
      return Err(ErrorCode::kConflict, "The " + d.kind + " database '" + d.name + "' this service references is not on the "
                                       "server yet: deploy the database service first, then this one.");
  }
  if (s.kind == Kind::kGit) {
    if (s.git.url.rfind("https://", 0) != 0)
      return FieldError("repository", "must resolve to an https:// clone URL for git:sync");
    if (s.git.ref.empty()) return FieldError("branch", "is required: the branch or tag to deploy");
  } else if (s.image.image.empty()) {
    return FieldError("image", "is required for a Docker image service");
  }

  if (!node.app_exists) out.push_back(On(dokku::AppsCreate(s.app), Layer::kNone, kNodeFix));
  for (const auto& d : s.databases) {
    if (node.links.count({d.name, s.app})) continue;
    out.push_back(On(dokku::DbLink(d.kind, d.name, s.app), Layer::kNone,
                     "Check that the dokku-" + d.kind + " plugin is installed (onboard the server again), then deploy again."));
  }
  // Keys that are set again are not unset (a key removed and added back keeps its new value).
  std::vector<std::string> unset;
  for (const auto& k : s.removed_keys) {
    bool kept = std::any_of(s.variables.begin(), s.variables.end(), [&](const auto& kv) { return kv.first == k; });
    if (!kept && std::find(unset.begin(), unset.end(), k) == unset.end()) unset.push_back(k);
  }
  if (!unset.empty()) out.push_back(On(dokku::ConfigUnset(s.app, unset), Layer::kNone, kNodeFix));
  if (!s.variables.empty()) {
    std::map<std::string, std::string> values(s.variables.begin(), s.variables.end());
    out.push_back(On(dokku::ConfigSet(s.app, values), Layer::kNone, kNodeFix));
  }
  if (!s.domains.empty()) out.push_back(On(dokku::DomainsSet(s.app, s.domains), Layer::kNone, kNodeFix));
  else if (s.clear_domains && node.app_exists) out.push_back(On(dokku::DomainsClear(s.app), Layer::kNone, kNodeFix));
  if (!s.ports.empty()) out.push_back(On(dokku::PortsSet(s.app, s.ports), Layer::kNone, kNodeFix));

  if (s.kind == Kind::kGit) {
    const Layer git_layer = s.git.github_app ? Layer::kGithubApp : Layer::kGitToken;
    const std::string git_fix =
        s.git.github_app
            ? "Check the GitHub App installation: it must not be suspended and its repository allow-list must include "
              "this repository; run verify on the git provider with this repository and branch."
            : "Check the git provider's token: it must be valid, unexpired and allowed to read this repository (run "
              "verify on the git provider with this repository and branch), and that the branch exists.";
    if (!s.git.auth_host.empty()) {
      if (s.git.auth_host != HostOfUrl(s.git.url))
        return FieldError("git_provider_id", "the provider's host '" + s.git.auth_host + "' is not the repository's host '" +
                                                 HostOfUrl(s.git.url) + "'");
      out.push_back(On(dokku::GitAuth(s.git.auth_host, s.git.auth_username, s.git.auth_token), git_layer, git_fix));
    }
    out.push_back(On(dokku::GitSync(s.app, s.git.url, s.git.ref), git_layer, git_fix));
  } else {
    const std::string reg_fix =
        "Check the registry credential attached to the service (run verify on it with this image): the username and "
        "password or token must be able to pull this image, and the registry host must match the image's.";
    if (!s.image.registry_server.empty())
      out.push_back(On(dokku::RegistryLogin(s.app, s.image.registry_server, s.image.registry_username, s.image.registry_password),
                       Layer::kRegistry, reg_fix));
    if (node.app_exists && !node.source_image.empty() && node.source_image == s.image.image)
      out.push_back(On(dokku::PsRebuild(s.app), Layer::kNone, kNodeFix));
    else
      out.push_back(On(dokku::GitFromImage(s.app, s.image.image), Layer::kRegistry, reg_fix));
  }
  if (s.letsencrypt && !s.domains.empty())
    out.push_back(On(dokku::LetsencryptEnable(s.app), Layer::kNone,
                     "Let's Encrypt needs each domain's DNS to point at the server and port 80 open to the internet; "
                     "fix the DNS record or the security group, then deploy again."));
  return out;
}

}  // namespace

Result<std::vector<PlannedStep>> Plan(const Service& s, Action action, const NodeState& node) {
  WHARF_ASSIGN_OR_RETURN(auto steps, Steps(s, action, node));
  if (node.dokku_version.empty()) return steps;
  for (const auto& st : steps) {
    if (st.step.since.empty() || CompareVersions(node.dokku_version, st.step.since) >= 0) continue;
    const std::string who = node.server_name.empty() ? "The server" : node.server_name;
    Error e = Err(ErrorCode::kConflict, who + " runs Dokku " + node.dokku_version + "; " + st.step.feature +
                                            " need " + st.step.since +
                                            " or later: onboard the server again to upgrade").value();
    e.details["fix"] = "Onboard the server again (POST …/servers/{id}/onboard): it upgrades Dokku to the "
                       "pinned " + std::string(dokku::kPinnedVersion) + ".";
    e.details["dokku_version"] = node.dokku_version;
    e.details["needs"] = st.step.since;
    return tl::unexpected(std::move(e));
  }
  return steps;
}

}  // namespace wharf::nodes::deploy
