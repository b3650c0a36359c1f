#include "store/sqlite/sqlite_backup.h"

#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <memory>

namespace wharf::store {

namespace {

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using Db = std::unique_ptr<sqlite3, DbCloser>;

Result<Db> Open(const std::string& path, int flags, const char* field) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  Db db(raw);
  if (rc != SQLITE_OK)
    return FieldError(field, "cannot open " + path + ": " + (raw ? sqlite3_errmsg(raw) : "out of memory"));
  sqlite3_busy_timeout(raw, 10000);
  return db;
}

// Copies every page of `from` into `to` in one pass (the destination sees all or nothing).
Status Copy(sqlite3* from, sqlite3* to, const std::string& what) {
  sqlite3_backup* b = sqlite3_backup_init(to, "main", from, "main");
  if (!b) return Err(ErrorCode::kUnavailable, what + " failed: " + sqlite3_errmsg(to));
  int rc;
  do {
    rc = sqlite3_backup_step(b, -1);
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) sqlite3_sleep(50);
  } while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
  sqlite3_backup_finish(b);
  if (rc != SQLITE_DONE) return Err(ErrorCode::kUnavailable, what + " failed: " + sqlite3_errstr(rc));
  return Ok();
}

// One text answer of a single-row query, or "" on error.
std::string Scalar(sqlite3* db, const char* sql) {
  sqlite3_stmt* st = nullptr;
  std::string out;
  if (sqlite3_prepare_v2(db, sql, -1, &st, nullptr) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
    const unsigned char* t = sqlite3_column_text(st, 0);
    if (t) out = reinterpret_cast<const char*>(t);
  }
  sqlite3_finalize(st);
  return out;
}

}  // namespace

Status BackupSqliteDatabase(const std::string& db_path, const std::string& out_path) {
  std::error_code ec;
  if (!std::filesystem::exists(db_path, ec))
    return FieldError("data-dir", "has no database at " + db_path + "; pass the --data-dir of the server");
  WHARF_ASSIGN_OR_RETURN(Db src, Open(db_path, SQLITE_OPEN_READONLY, "data-dir"));
  const std::string tmp = out_path + ".partial";
  std::filesystem::remove(tmp, ec);
  mode_t old_mask = ::umask(077);  // the snapshot holds wrapped keys and password hashes: 0600
  auto dst_or = Open(tmp, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, "out");
  ::umask(old_mask);
  if (!dst_or) return Err(dst_or.error());
  Db dst = std::move(*dst_or);
  if (auto st = Copy(src.get(), dst.get(), "Backup of " + db_path); !st) {
    dst.reset();
    std::filesystem::remove(tmp, ec);
    return st;
  }
  // The copy keeps the source's WAL mode; a snapshot should be one self-contained file.
  sqlite3_exec(dst.get(), "PRAGMA journal_mode = DELETE", nullptr, nullptr, nullptr);
  dst.reset();
  ::chmod(tmp.c_str(), 0600);
  std::filesystem::rename(tmp, out_path, ec);
  if (ec) return Err(ErrorCode::kUnavailable, "Cannot move the snapshot to " + out_path + ": " + ec.message());
  return Ok();
}

Status RestoreSqliteDatabase(const std::string& snapshot_path, const std::string& db_path) {
  std::error_code ec;
  if (!std::filesystem::exists(snapshot_path, ec)) return FieldError("from", "no file at " + snapshot_path);
  WHARF_ASSIGN_OR_RETURN(Db src, Open(snapshot_path, SQLITE_OPEN_READONLY, "from"));
  std::string check = Scalar(src.get(), "PRAGMA integrity_check");
  if (check != "ok")
    return FieldError("from", snapshot_path + " is not an intact SQLite database (" +
                                  (check.empty() ? std::string(sqlite3_errmsg(src.get())) : check) + ")");
  if (Scalar(src.get(), "SELECT COUNT(*) FROM schema_migrations").empty())
    return FieldError("from", snapshot_path + " is not a Wharf database (it has no schema_migrations table)");
  std::filesystem::create_directories(std::filesystem::path(db_path).parent_path(), ec);
  mode_t old_mask = ::umask(077);
  auto dst_or = Open(db_path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, "data-dir");
  ::umask(old_mask);
  if (!dst_or) return Err(dst_or.error());
  Db dst = std::move(*dst_or);
  sqlite3_exec(dst.get(), "PRAGMA journal_mode = WAL", nullptr, nullptr, nullptr);
  return Copy(src.get(), dst.get(), "Restore into " + db_path);
}

}  // namespace wharf::store
