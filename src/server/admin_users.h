// `wharf admin users list|disable|enable|verify|delete` and `wharf admin reset-password EMAIL`:
// the operator's user management, on the data directory (or database) itself like the other admin
// commands, through the same use cases as the instance administrator's API (services::Account).
// Each change is audited under the actor "operator". Disabling ends the account's sessions and API
// tokens at once, in running servers too: each checks the store's invalidations before every
// request (Store::CatchUpInvalidations). With SMTP in the environment, reset-password emails the link.
//
//   auto users = server::AddAdminUsersCommands(*admin, add_common);  // before parsing
//   if (auto code = users->Run(with_services)) return *code;        // after parsing
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "services/services.h"

namespace wharf::server {

class AdminUsersCommands {
 public:
  // Opens the store of the data directory `cmd` names, builds the services and runs `fn`; returns
  // its exit code (or 1/2 when the store cannot be opened).
  using WithServices = std::function<int(CLI::App* cmd, const std::function<int(services::Services&)>& fn)>;
  // The exit code when one of these commands was parsed, else nullopt.
  std::optional<int> Run(const WithServices& with);

 private:
  friend std::unique_ptr<AdminUsersCommands> AddAdminUsersCommands(
      CLI::App& admin, const std::function<void(CLI::App*)>& add_common);
  CLI::App* list_ = nullptr;
  CLI::App* disable_ = nullptr;
  CLI::App* enable_ = nullptr;
  CLI::App* verify_ = nullptr;
  CLI::App* delete_ = nullptr;
  CLI::App* reset_ = nullptr;
  std::string who_, public_url_;
  bool json_ = false, yes_ = false, print_ = false;
};

// `add_common` adds --data-dir and --database to a command.
std::unique_ptr<AdminUsersCommands> AddAdminUsersCommands(CLI::App& admin,
                                                          const std::function<void(CLI::App*)>& add_common);

}  // namespace wharf::server
