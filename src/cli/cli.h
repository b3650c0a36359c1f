// The command-line client: `wharf login`, `wharf org …`, `wharf role …` and every other noun that
// talks to a Wharf server over its public HTTP API (docs/cli.md). main registers the commands on
// its CLI11 app beside `serve` and `admin`, parses once, then lets the client run what was chosen:
//
//   CLI::App app{"Wharf"};
//   auto client = cli::RegisterClientCommands(app);
//   app.parse(argc, argv);
//   if (auto code = client->Run()) return *code;
//
// The client never includes the store or services: everything goes through the API.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace wharf::cli {

class Registry;

class Client {
 public:
  explicit Client(std::unique_ptr<Registry> registry);
  ~Client();
  // The exit code of the client command that was parsed, or nullopt when another one (serve,
  // admin) was chosen.
  std::optional<int> Run();

 private:
  std::unique_ptr<Registry> registry_;
};

std::unique_ptr<Client> RegisterClientCommands(CLI::App& app);

// When `args` (argv without the program name) stop at a word that names no subcommand where
// `app`'s tree expects one, the message that names that word and suggests the nearest command
// ("Unknown command 'lst' for `wharf role`. Did you mean `wharf role list`?"); else nullopt.
std::optional<std::string> UnknownCommandMessage(const CLI::App& app, const std::vector<std::string>& args);

}  // namespace wharf::cli
