// A deployment's plan: the ordered Dokku steps that bring one service on a worker node to what
// Wharf holds for it. Pure: the caller gathers what the plan needs (the service as resolved by
// the control plane, its credentials, and what the node already has), the plan decides what to
// run, and the deployment job runs the steps in order over SSH.
//
//   nodes::deploy::Service s{.app = *DokkuName("shop", "web"), .kind = Kind::kGit, ...};
//   WHARF_ASSIGN_OR_RETURN(auto steps, nodes::deploy::Plan(s, Action::kDeploy, node_state));
//   for (auto& st : steps) conn.Stream(st.step.argv, …);   // st.step.display goes to the log
//
// Order of a deploy (each step only when it has something to do):
//   app:      apps:create (if missing) → <db>:link for each referenced database not yet linked →
//             config:unset removed keys → config:set resolved variables (base64) → domains:set →
//             ports:set → git:auth / registry:login → git:sync --build / git:from-image →
//             letsencrypt:enable
//   database: <kind>:create (if missing; the plugin makes the password, Wharf reads the DSN back
//             with <kind>:info --dsn after the plan) → <kind>:link into each
//             app of the application that references it and exists on the node
// Restart is ps:restart, stop is ps:stop; destroy unlinks a database first, then destroys.
//
// Every secret (variable values, tokens, registry and database passwords) is in `Secrets()` of
// the service, so the job can redact them from anything it logs; `Step::display` never holds one.
// Thread-safe (no state).
#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "base/error.h"
#include "nodes/dokku.h"

namespace wharf::nodes::deploy {

// The Dokku app (or database service) name of a service: "<application>-<service>", lower-cased,
// every run of characters Dokku does not allow turned into one '-'. Deterministic, so every
// deploy of a service reaches the same app and two applications on one server never share one.
// kValidationFailed (field `name`) when the result is not a valid Dokku name (empty, > 63).
Result<std::string> DokkuName(std::string_view application, std::string_view service);

enum class Kind { kGit, kImage, kDatabase };
enum class Action { kDeploy, kRestart, kStop, kDestroy };
// "deploy" (also "redeploy"), "restart", "stop", "destroy".
Result<Action> ParseAction(std::string_view action);
std::string_view ActionName(Action a);

struct GitSource {
  std::string url;  // HTTPS clone URL, without credentials
  std::string ref;  // branch, tag or commit
  // For a token host or a GitHub App installation token: `git:auth host username token`.
  std::string auth_host;  // host of url, without the port (netrc); empty = public repository, no git:auth
  std::string auth_username;
  std::string auth_token;
  bool github_app = false;  // the token is an installation token (failures are layer github_app)
};

struct ImageSource {
  std::string image;
  // A registry credential attached to the service: `registry:login --password-stdin`.
  std::string registry_server;  // empty = no login
  std::string registry_username;
  std::string registry_password;
};

struct DatabaseSource {
  std::string kind;     // postgres, mysql, mariadb, mongo, redis
  std::string version;  // image version, may be empty
  std::string password; // what the node's DSN holds (redacted from output); never on argv
  std::vector<std::string> link_apps;  // Dokku apps of the application that reference this database
};

// A database an app references, to link into it.
struct DatabaseRef {
  std::string kind;
  std::string name;  // its Dokku service name
  bool operator<(const DatabaseRef& o) const { return std::tie(kind, name) < std::tie(o.kind, o.name); }
};

struct Service {
  std::string app;  // DokkuName(...)
  Kind kind = Kind::kGit;
  GitSource git;
  ImageSource image;
  DatabaseSource database;
  std::vector<std::pair<std::string, std::string>> variables;  // resolved; key order as stored
  std::vector<std::string> removed_keys;                       // unset on the node
  bool clear_domains = false;  // the last domain was removed: domains:clear when `domains` is empty
  std::vector<std::string> domains;
  bool letsencrypt = false;
  std::vector<std::string> ports;  // "http:80:5000"
  std::vector<DatabaseRef> databases;  // databases this app's variables reference (linked)

  // Every secret value the steps may carry (for redaction), non-empty ones only.
  std::vector<std::string> Secrets() const;
  // The credentials among them (git token, registry and database passwords): the values that are
  // redacted even from Wharf's own lines. Variable values are redacted from the node's output only.
  std::vector<std::string> CredentialSecrets() const;
};

// What the node already has, found by the job before planning (apps:exists, <kind>:exists,
// <kind>:links). The plan skips what is already there, so running a deploy again is safe.
struct NodeState {
  bool app_exists = false;        // the service's app (or database service) exists
  std::set<std::string> apps;     // other Dokku apps known to exist (link targets)
  std::set<std::pair<std::string, std::string>> links;  // (database name, app) already linked
  std::set<DatabaseRef> databases;  // databases known to exist
  std::string dokku_version;        // what `dokku version` reported ("" = not asked: no gating)
  std::string server_name;          // for the refusal message
};

struct PlannedStep {
  dokku::Step step;
  // The troubleshooting layer a failure of this step belongs to ("" when none fits), and what to
  // do about it; the deployment's error carries both.
  Layer layer = Layer::kNone;
  std::string fix;
};

// The steps for `action` on `s`. kValidationFailed when a name, key, reference or source is not
// something Dokku accepts (the field is named); kConflict when a referenced database does not
// exist on the node yet (deploy it first), and before any step when a step's form is newer than
// the node's Dokku ("node-1 runs Dokku 0.35.12; private-registry images need 0.38.0 or later:
// onboard the server again to upgrade"; details.fix holds the fix).
Result<std::vector<PlannedStep>> Plan(const Service& s, Action action, const NodeState& node);

}  // namespace wharf::nodes::deploy
