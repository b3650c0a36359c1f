// The Dokku commands a deployment runs on a worker node, as argv vectors for Connection::Run /
// Stream (each element quoted by CommandLine, so nothing a user typed is ever evaluated by a
// shell). Pure functions: no I/O here, so every command Wharf can send is unit-tested.
//
// Rules every builder keeps:
// - a value that is a secret never goes on argv when Dokku can read it from stdin
//   (`registry:login --password-stdin`); `Step::stdin_data` carries it instead;
// - `config:set` values are base64-encoded and sent with `--encoded`, so a value holding
//   `$(...)`, quotes or newlines reaches the app byte for byte;
// - `Step::display` is what a deployment log shows: keys and names, never values.
//
// Each builder knows the first Dokku version that accepts the form it builds (`Step::since`, from
// Dokku's own usage lines; docs/applications.md "Supported versions"). The planner refuses a step
// the node's Dokku is too old for, and the minimum version a server check asks for is the newest
// `since` among the builders every deployment may use (MinimumVersion()).
//
// Names are validated before a command is built: Dokku app and service names are lowercase
// letters, digits and dashes, starting with a letter or digit.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace wharf::nodes::dokku {

struct Step {
  std::vector<std::string> argv;
  std::string stdin_data;  // a secret Dokku reads from stdin; never logged
  std::string display;     // the secret-free line a deployment log shows
  std::string since;       // the first Dokku version that accepts this form ("" = every supported)
  std::string feature;     // what needs `since`, for a refusal: "private-registry images"
};

// The Dokku version onboarding installs: the newest stable 0.38.x release.
inline constexpr std::string_view kPinnedVersion = "0.38.27";

// An official plugin onboarding installs, pinned to a release tag (`plugin:install --committish`).
struct PluginPin {
  std::string name;        // postgres, ..., letsencrypt
  std::string url;         // its git repository
  std::string committish;  // the release tag
};
const std::vector<PluginPin>& PinnedPlugins();

// The oldest Dokku every deploy, restart, stop and destroy works with: the newest `since` of the
// builders that need no optional feature (ports:set, 0.31.0). Optional features (per-app
// registry login) are checked by the planner when a service uses them.
std::string MinimumVersion();

// "name" must be a valid Dokku app or service name; `field` names it in the error.
Status ValidateName(std::string_view name, std::string_view field);
// An environment variable key Dokku accepts: [A-Za-z_][A-Za-z0-9_]*.
Status ValidateConfigKey(std::string_view key);

// Database services Dokku's official plugins provide: postgres, mysql, mariadb, mongo, redis.
bool IsDatabaseKind(std::string_view kind);

Step AppsCreate(std::string_view app);
Step AppsDestroy(std::string_view app);
Step PsRestart(std::string_view app);
Step PsStop(std::string_view app);
Step PsStart(std::string_view app);
// Rebuilds the app from the source it already has. `git:from-image` of the image the app already
// runs aborts on Dokku ("No changes detected, skipping git commit" / "Call 'ps:rebuild' …", exit
// 1), so a deploy that changes no source (only variables) rebuilds instead.
Step PsRebuild(std::string_view app);

// Builds the app from a remote repository at `ref` (branch, tag or commit).
Step GitSync(std::string_view app, std::string_view repository_url, std::string_view ref);
// Deploys a prebuilt image.
Step GitFromImage(std::string_view app, std::string_view image);
// netrc credentials for a git host. Dokku takes them only as arguments: they are visible on the
// node to root for the command's lifetime, never in Wharf's logs (display drops them).
Step GitAuth(std::string_view host, std::string_view username, std::string_view password);
// Registry credentials for one app; the password goes through stdin. The per-app form
// (`registry:login --password-stdin <app> <server> <username>`) first appears in Dokku 0.38.0;
// older releases log in globally, for every app on the node, so Wharf needs 0.38.0 for it.
Step RegistryLogin(std::string_view app, std::string_view server, std::string_view username,
                   std::string_view password);

// Sets variables without restarting (the deploy that follows restarts once). Values base64.
Step ConfigSet(std::string_view app, const std::map<std::string, std::string>& values);
Step ConfigUnset(std::string_view app, const std::vector<std::string>& keys);

Step DomainsSet(std::string_view app, const std::vector<std::string>& domains);
Step DomainsClear(std::string_view app);
Step DomainsAdd(std::string_view app, std::string_view domain);
Step DomainsRemove(std::string_view app, std::string_view domain);
Step LetsencryptEnable(std::string_view app);
// `mappings` like "http:80:5000".
Step PortsSet(std::string_view app, const std::vector<std::string>& mappings);

// `<kind>:create <service> [--image-version V]`, `<kind>:link`, `<kind>:export`, `<kind>:import`.
// Wharf passes the password it generated (`--password`, appended by the planner); the node's DSN
// is read back with DbDsn after the create and is what references resolve to from then on.
Step DbCreate(std::string_view kind, std::string_view service, std::string_view version);
// The DSN the official plugin prints for `service` created with `password` (the facts in
// docs/applications.md "Supported Dokku and plugin versions"): user postgres/mysql/mariadb, the
// service name for mongo, none for redis; database = the service name; host dokku-<kind>-<service>.
std::string PluginDsn(std::string_view kind, std::string_view service, std::string_view password);
// `<kind>:info <service> --dsn`: the URL the plugin links into apps (stdout, one line).
Step DbDsn(std::string_view kind, std::string_view service);
Step DbLink(std::string_view kind, std::string_view service, std::string_view app);
Step DbUnlink(std::string_view kind, std::string_view service, std::string_view app);
Step DbDestroy(std::string_view kind, std::string_view service);
Step DbExport(std::string_view kind, std::string_view service);
Step DbImport(std::string_view kind, std::string_view service);

// Read-only probes of what a node has (a deployment's NodeState, onboarding): plain argv, exit 0
// meaning "yes" for the *Exists ones, one name per output line for the lists.
std::vector<std::string> Version();                                                  // "dokku version X"
std::vector<std::string> AppsExists(std::string_view app);
std::vector<std::string> DbExists(std::string_view kind, std::string_view service);
std::vector<std::string> DbLinks(std::string_view kind, std::string_view service);  // linked apps
std::vector<std::string> PluginList();
// `git:report <app> --git-sha` (the commit the app was built from) or `--git-source-image` (the
// image `git:from-image` last deployed): one line, empty when there is none.
std::vector<std::string> GitReport(std::string_view app, std::string_view flag);
// `ps:report <app> --format json`: one JSON object of strings, among them "deployed", "running"
// ("true", "false" or "mixed"), "processes" and "status-<process>.<n>" ("running (CID: 0123456789a)",
// "restarting (CID: …)", "exited (CID: …)", "missing (CID: …)").
std::vector<std::string> PsReportJson(std::string_view app);
// `logs <app> -n N [-t] [-q]`: the app's containers' output (Docker's `logs --tail N`, `--follow`
// with -t); without -q each line is "<RFC 3339 ts> app[<process>.<n>]: <text>" with colour codes.
std::vector<std::string> Logs(std::string_view app, int num, bool tail, bool quiet);
// Installs a pinned plugin (onboarding; run with sudo by a non-root user).
std::vector<std::string> PluginInstall(const PluginPin& pin);

}  // namespace wharf::nodes::dokku
