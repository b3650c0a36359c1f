#include "cli/cli.h"

#include <algorithm>
#include <iostream>

#include "cli/command.h"

namespace wharf::cli {

Client::Client(std::unique_ptr<Registry> registry) : registry_(std::move(registry)) {}
Client::~Client() = default;

std::optional<int> Client::Run() { return registry_->Run(std::cout, std::cerr); }

std::unique_ptr<Client> RegisterClientCommands(CLI::App& app) {
  auto r = std::make_unique<Registry>(app);
  AddSessionCommands(*r);
  AddOrgCommands(*r);
  AddTeamCommands(*r);
  AddTokenCommands(*r);
  AddAccountCommands(*r);
  AddSshKeyCommands(*r);
  AddAuditCommands(*r);
  AddServerCommands(*r);
  AddCloudCommands(*r);
  AddJobCommands(*r);
  AddBackupCommands(*r);
  AddDiagnoseCommands(*r);
  AddDeploymentCommands(*r);
  AddReleaseCommands(*r);
  AddGitCommands(*r);
  AddBackupStorageCommands(*r);
  AddRegistryCommands(*r);
  AddNotifyCommands(*r);
  AddAppCommands(*r);
  AddServiceCommands(*r);
  // Later capabilities add their group here (one line each).
  AddCompletionCommand(*r);  // last: it walks the whole tree when it runs
  return std::make_unique<Client>(std::move(r));
}

namespace {

// Levenshtein distance, for "did you mean".
size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

// "wharf role list" for the `list` under `role`.
std::string PathOf(const CLI::App* a) {
  std::string path;
  for (; a && a->get_parent(); a = a->get_parent()) path = " " + a->get_name() + path;
  return "wharf" + path;
}

// The visible subcommand nearest to `word` under `app`, or its whole tree when none is close.
std::string Nearest(const CLI::App* app, const std::string& word) {
  std::string best;
  size_t best_d = std::string::npos;
  auto consider = [&](const CLI::App* c) {
    const std::string& n = c->get_name();
    size_t d = EditDistance(word, n);
    if (n.rfind(word, 0) == 0) d = std::min<size_t>(d, 1);  // a prefix ("dep" for "deploy") is close
    if (d < best_d) best_d = d, best = PathOf(c);
  };
  for (const CLI::App* c : app->get_subcommands([](const CLI::App* c) { return !c->get_group().empty(); }))
    consider(c);
  const size_t close = std::max<size_t>(2, word.size() / 3);
  if (best_d <= close) return best;
  // Not near anything here: the nearest command anywhere below (`wharf lst` → `wharf role list`?).
  std::vector<const CLI::App*> todo{app};
  std::string deep;
  size_t deep_d = std::string::npos;
  while (!todo.empty()) {
    const CLI::App* a = todo.back();
    todo.pop_back();
    for (const CLI::App* c : a->get_subcommands([](const CLI::App*) { return true; })) {
      if (c->get_group().empty()) continue;
      const size_t d = EditDistance(word, c->get_name());
      if (d < deep_d) deep_d = d, deep = PathOf(c);
      todo.push_back(c);
    }
  }
  return deep_d <= close ? deep : std::string();
}

}  // namespace

std::optional<std::string> UnknownCommandMessage(const CLI::App& app, const std::vector<std::string>& args) {
  const CLI::App* at = &app;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& w = args[i];
    if (w == "--") return std::nullopt;
    if (!w.empty() && w[0] == '-') {
      // Skip an option's value given as the next word.
      if (w.find('=') == std::string::npos) {
        const CLI::Option* o = at->get_option_no_throw(w.rfind("--", 0) == 0 ? w : w.substr(0, 2));
        if (o && o->get_expected_min() > 0) ++i;
      }
      continue;
    }
    const CLI::App* next = nullptr;
    for (const CLI::App* c : at->get_subcommands([](const CLI::App*) { return true; }))
      if (c->check_name(w)) next = c;
    if (next) {
      at = next;
      continue;
    }
    // A word where a subcommand was expected: unknown. (Commands with positionals take words.)
    if (at->get_subcommands([](const CLI::App*) { return true; }).empty() ||
        !at->get_options([](const CLI::Option* o) { return o->get_positional(); }).empty())
      return std::nullopt;
    std::string msg = "Unknown command '" + w + "' for `" + PathOf(at) + "`.";
    const std::string near = Nearest(at, w);
    if (!near.empty()) msg += " Did you mean `" + near + "`?";
    msg += " See `" + PathOf(at) + " --help`.";
    return msg;
  }
  return std::nullopt;
}

}  // namespace wharf::cli
