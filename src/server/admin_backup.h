// `wharf admin backup` and `wharf admin restore`: consistent SQLite snapshots of a data directory.
// Like the other admin commands they work on the data directory itself, not over the API.
//
//   auto backup = server::AddAdminBackupCommands(*admin);  // before parsing
//   if (auto code = backup->Run()) return *code;           // after parsing
#pragma once

#include <memory>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

namespace wharf::server {

class AdminBackupCommands {
 public:
  // The exit code when `admin backup` or `admin restore` was parsed, else nullopt.
  std::optional<int> Run();

 private:
  friend std::unique_ptr<AdminBackupCommands> AddAdminBackupCommands(CLI::App& admin);
  CLI::App* backup_ = nullptr;
  CLI::App* restore_ = nullptr;
  std::string data_dir_ = "./wharf-data", database_, out_, from_;
  bool force_ = false, create_ = false;
};

std::unique_ptr<AdminBackupCommands> AddAdminBackupCommands(CLI::App& admin);

}  // namespace wharf::server
