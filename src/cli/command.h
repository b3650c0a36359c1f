// The machinery every `wharf <noun> <verb>` command shares: the Registry that adds commands to
// the CLI11 tree with the common flags, the Env a command runs in (resolved context, API client,
// org, output format), and the exit codes.
//
//   void AddWidgetCommands(Registry& r) {
//     CLI::App* g = r.Group("widget", "Manage widgets", "wharf widget list");
//     r.Command(g, "list", "List widgets", "wharf widget list -o json", Scope::kOrg,
//               [](Env& env) -> Status {
//                 WHARF_ASSIGN_OR_RETURN(auto items, env.ListOrg("/widgets"));
//                 env.Print(items, WidgetTable(items));
//                 return Ok();
//               });
//   }
//
// A later capability (server, git, registry, …) adds one Add*Commands function in its own file and
// one line in cli.cc. Not thread-safe: one command runs per process.
#pragma once

#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "base/error.h"
#include "cli/api_client.h"
#include "cli/config.h"
#include "cli/output.h"

namespace wharf::cli {

// Process exit codes (docs/cli.md).
enum ExitCode : int {
  kExitOk = 0,
  kExitFailure = 1,
  kExitUsage = 2,            // bad flags or arguments
  kExitUnauthenticated = 3,  // not signed in, or the server answered 401
  kExitForbidden = 4,        // the server answered 403 (forbidden or limit_reached)
};

// An error in how the command was called, found after parsing (exit 2).
tl::unexpected<Error> UsageError(std::string message);
int ExitCodeFor(const Error& e);
// "wharf: <message>" plus the missing permission, field problems or limits from details.
std::string FormatError(const Error& e, bool color);

// Whether a command needs an org (adds --org) and/or a signed-in context.
enum class Scope { kLocal, kUser, kOrg };

// Flags every command takes.
struct CommonFlags {
  std::string output = "table";
  std::string org;
  std::string context;
};

class Env {
 public:
  Env(CommonFlags flags, std::ostream& out, std::ostream& err, bool out_color, bool err_color);

  std::ostream& out() { return out_; }
  std::ostream& err() { return err_; }
  Format format() const { return format_; }
  bool color() const { return out_color_; }
  bool err_color() const { return err_color_; }
  const CommonFlags& flags() const { return flags_; }
  Status Init();  // parses -o; called before the command runs
  // What a slow request shows on stderr (`server check: waiting for HOST`); set by Registry::Run.
  void set_progress(std::string command, ProgressStyle style) {
    progress_command_ = std::move(command);
    progress_style_ = style;
  }

  // The config file, loaded on first use.
  Result<Config*> config();
  Status SaveConfig();
  // The chosen context name: --context, WHARF_CONTEXT, then the config's current one ("" if none).
  Result<std::string> context_name();
  // The chosen context, or nullptr when there is none.
  Result<Context*> context();

  // A client for the signed-in server: WHARF_URL/WHARF_TOKEN override the context's.
  // kUnauthenticated (exit 3) when there is no URL or no token.
  Result<ApiClient*> api();
  // The org slug: --org, WHARF_ORG, then the context's default org. Usage error when none.
  Result<std::string> org();
  // "/api/v1/orgs/<org>" + suffix.
  Result<std::string> OrgPath(const std::string& suffix);
  // Every item of an org-scoped list (follows cursors).
  Result<std::vector<nlohmann::json>> ListOrg(const std::string& suffix);

  // Prints `value` as JSON/YAML, or `table` in table mode.
  void Print(const nlohmann::json& value, const Table& table, const std::string& empty_message = {});
  // Prints `value` as JSON/YAML, or the human `message` (one line) in table mode.
  void Done(const nlohmann::json& value, const std::string& message);

 private:
  CommonFlags flags_;
  std::ostream& out_;
  std::ostream& err_;
  bool out_color_, err_color_;
  Format format_ = Format::kTable;
  std::optional<Config> config_;
  std::unique_ptr<ApiClient> api_;
  std::string progress_command_;
  ProgressStyle progress_style_ = ProgressStyle::kNone;
};

using Handler = std::function<Status(Env&)>;

class Registry {
 public:
  explicit Registry(CLI::App& root) : root_(root) {}

  CLI::App& root() { return root_; }
  // A noun: `wharf <name> <verb>`. With `parent`, a group inside another group.
  CLI::App* Group(const std::string& name, const std::string& description, const std::string& example,
                  CLI::App* parent = nullptr);
  // A leaf (or a noun that also runs by itself, like `wharf invite EMAIL`). Adds -o, --context and,
  // for Scope::kOrg, --org. `example` is shown under --help.
  CLI::App* Command(CLI::App* parent, const std::string& name, const std::string& description,
                    const std::string& example, Scope scope, Handler run);

  // After parsing: runs the deepest parsed command and returns its exit code, or nullopt when the
  // parsed command is not a client command (serve, admin …).
  std::optional<int> Run(std::ostream& out, std::ostream& err);

 private:
  struct Entry {
    CLI::App* app;
    Handler run;
    std::shared_ptr<CommonFlags> flags;
  };
  CLI::App& root_;
  std::vector<Entry> entries_;
};

// Finds a row of `items` whose id equals `ref`, else whose `key` (a JSON pointer like "/name" or
// "/user/email") equals `ref` ignoring case. kNotFound naming `what` and `hint` when none; a usage
// error when several match by name.
Result<nlohmann::json> FindRow(const std::vector<nlohmann::json>& items, const std::string& ref,
                               const std::string& id_pointer, const std::string& key_pointer,
                               const std::string& what, const std::string& hint);

// An application by id (app_…, one GET) or by name (a list), under `base`: "/applications", or
// "/projects" for the legacy view. Usage error when `ref` is empty.
Result<nlohmann::json> FindApplication(Env& env, const std::string& ref, const std::string& base = "/applications");
// A service by id (svc_…), or by name within the application `app` (name or id). A name without an
// application is a usage error saying to add --app.
Result<nlohmann::json> FindService(Env& env, const std::string& ref, const std::string& app);

// A sign-in saved as a context (login; invite accept --new-account).
struct SignIn {
  std::string context;  // its name
  std::string org;      // its default org ("" when the user has none)
  nlohmann::json me;    // GET /me
};
// Saves `token` for `url` as a context and makes it current. The name is `context`, else
// --context, else the existing context for `url`, else host:port; the default org is `org`, else
// the previous default if still a member, else the first org the user owns.
Result<SignIn> SaveSignIn(Env& env, const std::string& url, const std::string& token, const std::string& org,
                          const std::string& context);

// Reads a whole file ("-" = stdin). Usage error naming `flag` when it cannot be read.
Result<std::string> ReadFileArg(const std::string& path, const std::string& flag);

// The groups. Each lives in its own *_commands.cc.
void AddSessionCommands(Registry& r);   // login, logout, context, whoami
void AddOrgCommands(Registry& r);       // org
void AddTeamCommands(Registry& r);      // role, member, invite
void AddTokenCommands(Registry& r);     // token
void AddAccountCommands(Registry& r);   // account (account_commands.cc)
void AddSshKeyCommands(Registry& r);    // ssh-key
void AddAuditCommands(Registry& r);     // audit
void AddServerCommands(Registry& r);    // server, security-group
void AddCloudCommands(Registry& r);     // cloud-account
// security-group sync | drift (EC2), added to the security-group group.
void AddSecurityGroupEc2Commands(Registry& r, CLI::App* group);
void AddRegistryCommands(Registry& r);  // registry (Docker registries)
void AddNotifyCommands(Registry& r);    // notify channel|rule|log|redeliver
void AddJobCommands(Registry& r);       // job
void AddBackupCommands(Registry& r);    // backup, backup schedule
void AddDiagnoseCommands(Registry& r);  // doctor, explain, support-bundle
void AddDeploymentCommands(Registry& r);  // deploy, deployment
void AddReleaseCommands(Registry& r);     // releases, rollback, logs
void AddGitCommands(Registry& r);       // git-provider
void AddBackupStorageCommands(Registry& r);  // backup-storage
void AddAppCommands(Registry& r);       // app, project (legacy /projects), template
void AddServiceCommands(Registry& r);   // service (domains, reveal-credentials), env
void AddCompletionCommand(Registry& r); // completion (walks the whole tree, so added last)

// Streams job `id`'s log (its Server-Sent Events) to stdout as it is written, or to stderr with
// -o json (which then prints the finished job). Ok when the job succeeded; an error (exit 1) when
// it failed, naming its error.
Status FollowJob(Env& env, const std::string& id);
// Streams the Server-Sent Events log at API `path` (a job's or a deployment's) the same way, and
// sets `end` to the `end` event's JSON when the stream carried one.
Status StreamLog(Env& env, const std::string& path, std::optional<nlohmann::json>& end);
// Streams a deployment's log until it ends; exit 1 (with the layer and fix) unless it succeeded.
Status FollowDeployment(Env& env, const std::string& id);

// The completion scripts for the tree under `root` (exposed for tests).
std::string BashCompletion(CLI::App& root);
std::string ZshCompletion(CLI::App& root);

}  // namespace wharf::cli
