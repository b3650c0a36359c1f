// Consistent snapshots of a SQLite data directory's database, for `wharf admin backup|restore`.
//
//   WHARF_TRY(store::BackupSqliteDatabase("wharf-data/wharf.db", "/backups/wharf-2026-11-25.db"));
//   WHARF_TRY(store::RestoreSqliteDatabase("/backups/wharf-2026-11-25.db", "wharf-data/wharf.db"));
//
// Backup uses SQLite's online backup API, so it is consistent while `wharf serve` keeps writing
// (WAL mode); the snapshot is a single self-contained file (no -wal), written beside `out_path`
// and renamed into place, with mode 0600. Restore first checks that the snapshot passes
// `PRAGMA integrity_check` and holds Wharf's schema_migrations table, then copies it over the
// target with the same API; stop the server before restoring. Neither copies the master key:
// the data keys in the database are wrapped by it, so keep master.key with (but apart from) the
// snapshot. Errors: kValidationFailed naming the file for a missing or non-Wharf file,
// kUnavailable for I/O or a busy database.
#pragma once

#include <string>

#include "base/error.h"

namespace wharf::store {

Status BackupSqliteDatabase(const std::string& db_path, const std::string& out_path);
Status RestoreSqliteDatabase(const std::string& snapshot_path, const std::string& db_path);

}  // namespace wharf::store
