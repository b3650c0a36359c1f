// The command-line client's saved sign-ins: named contexts in $XDG_CONFIG_HOME/wharf/config.toml
// (default ~/.config/wharf/config.toml), written with mode 0600 in a 0700 directory.
//
//   WHARF_ASSIGN_OR_RETURN(Config cfg, LoadConfig(ConfigPath()));
//   cfg.Upsert({.name = "prod", .url = "https://wharf.example.com", .token = t, .org = "acme"});
//   cfg.current = "prod";
//   WHARF_TRY(SaveConfig(ConfigPath(), cfg));
//
// The file holds bearer tokens: SaveConfig writes a temporary file created 0600 and renames it
// over the old one, so the file is never readable by others, even briefly. Not thread-safe; one
// process edits the file at a time (last writer wins).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "base/error.h"

namespace wharf::cli {

struct Context {
  std::string name;
  std::string url;    // server base URL without a trailing slash
  std::string token;  // session or API token; empty after `wharf logout`
  std::string org;    // default org slug for org-scoped commands
  std::string email;  // who signed in, for `wharf context list`
};

struct Config {
  std::string current;
  std::vector<Context> contexts;

  Context* Find(std::string_view name);
  // Replaces the context with the same name, or appends it.
  void Upsert(Context c);
  bool Remove(std::string_view name);
};

// $XDG_CONFIG_HOME/wharf/config.toml when XDG_CONFIG_HOME is an absolute path, else
// $HOME/.config/wharf/config.toml.
std::filesystem::path ConfigPath();

// A missing file is an empty config. A file that is not valid TOML is kValidationFailed naming
// the file and line.
Result<Config> LoadConfig(const std::filesystem::path& path);

// Creates the directory (0700) if needed and replaces the file atomically with mode 0600.
Status SaveConfig(const std::filesystem::path& path, const Config& config);

}  // namespace wharf::cli
