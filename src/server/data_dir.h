// The data directory of `wharf serve` and `wharf admin …`: choosing it, its file modes, its lock,
// and whether the master key in it opens a database's data keys (docs/operations.md).
//
//   WHARF_ASSIGN_OR_RETURN(fs::path dir, server::ChooseAdminDataDir(flag, given, create, std::cerr));
//   WHARF_TRY(server::LockDataDir(dir));          // fails naming the pid of a running serve
//   for (auto& fix : server::TightenDataDirModes(dir)) log::Warn("data_dir_mode_fixed", fix);
//
// Not thread-safe: call these at start, before threads exist.
#pragma once

#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "secrets/envelope.h"
#include "store/store.h"

namespace wharf::server {

// Creates `dir` (mode 0700) when missing. kValidationFailed naming --data-dir when it cannot.
Status PrepareDataDir(const std::filesystem::path& dir);

// The data directory an admin command works on: --data-dir when `given`, else $WHARF_DATA_DIR,
// else ./wharf-data. Writes the absolute path used (and where it came from) to `note`. A missing
// directory is created only when `create`; otherwise kValidationFailed naming --data-dir and
// --create, so a typo never starts an empty instance.
Result<std::filesystem::path> ChooseAdminDataDir(const std::string& flag_value, bool given, bool create,
                                                 std::ostream& note);

// Takes an exclusive lock (flock) on DIR/wharf.lock and writes this process's pid into it; the
// lock lasts until the process exits. kConflict naming the holder's pid when another process (a
// running `wharf serve`, or an admin command that must not run beside one) holds it. `purpose`
// ends the message, e.g. "stop it first".
Status LockDataDir(const std::filesystem::path& dir, const std::string& purpose);

// Makes `dir` 0700 and each regular file directly in it 0600 where group or other had any
// access. Returns one {"path","was","now"} object per change, for the caller to log.
std::vector<nlohmann::json> TightenDataDirModes(const std::filesystem::path& dir);

// Ok when the store holds no organisation or `envelope` unwraps one of their data keys;
// kUnavailable saying which master key is needed otherwise.
Status CheckMasterKeyOpensDataKeys(store::Store& store, const secrets::Envelope& envelope);

}  // namespace wharf::server
