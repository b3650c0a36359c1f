#include "server/admin_backup.h"

#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "base/strings.h"
#include "secrets/envelope.h"
#include "server/data_dir.h"
#include "store/sqlite/sqlite_backup.h"
#include "store/sqlite/sqlite_store.h"

namespace wharf::server {

namespace fs = std::filesystem;

namespace {

int Fail(const Error& e) {
  std::cerr << "wharf: " << e.message;
  if (e.details.contains("fields"))
    for (auto& [k, v] : e.details["fields"].items()) std::cerr << " (" << k << ": " << v.get<std::string>() << ")";
  std::cerr << "\n";
  return e.code == ErrorCode::kValidationFailed ? 2 : 1;
}

// The SQLite file of --database sqlite:PATH (or WHARF_DATABASE_URL), or DATA_DIR/wharf.db.
Result<std::string> DatabasePath(const std::string& data_dir, std::string database) {
  if (database.empty())
    if (const char* v = std::getenv("WHARF_DATABASE_URL"); v && *v) database = v;
  if (database.empty()) return (fs::path(data_dir) / "wharf.db").string();
  if (StartsWith(database, "sqlite:")) return database.substr(7);
  return FieldError("database", "backup and restore handle SQLite only (sqlite:PATH); for PostgreSQL use pg_dump");
}

void RemoveSqliteFiles(const std::string& path) {
  std::error_code ec;
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) fs::remove(path + suffix, ec);
}

// Fails, changing nothing, unless the data directory's master key opens the snapshot's org data
// keys: a snapshot restored under another instance's key leaves a server that refuses to start.
// The snapshot is checked in a scratch copy at `scratch` (migrated there, then removed).
Status CheckSnapshotKey(const fs::path& data_dir, const std::string& snapshot, const std::string& scratch) {
  RemoveSqliteFiles(scratch);
  struct Cleanup {
    std::string path;
    ~Cleanup() { RemoveSqliteFiles(path); }
  } cleanup{scratch};
  WHARF_TRY(store::RestoreSqliteDatabase(snapshot, scratch));
  WHARF_ASSIGN_OR_RETURN(auto copy, store::OpenSqliteStore(scratch));
  int64_t orgs = 0;
  WHARF_TRY(copy->Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto all, tx.orgs().ListAll());
    orgs = static_cast<int64_t>(all.size());
    return Ok();
  }));
  if (orgs == 0) return Ok();  // nothing sealed yet: any key will do
  const char* env_file = std::getenv("WHARF_MASTER_KEY_FILE");
  const fs::path key_path = env_file && *env_file ? fs::path(env_file) : data_dir / "master.key";
  std::error_code ec;
  if (!fs::exists(key_path, ec))
    return Err(ErrorCode::kValidationFailed,
               "no master key at " + key_path.string() + ": the snapshot's secrets need the master.key of the "
               "instance it was taken on. Copy that file there (or set WHARF_MASTER_KEY_FILE); nothing was changed.");
  WHARF_ASSIGN_OR_RETURN(SecretBytes key, secrets::LoadOrCreateMasterKey(data_dir));
  secrets::Envelope envelope(std::move(key));
  if (!CheckMasterKeyOpensDataKeys(*copy, envelope))
    return Err(ErrorCode::kValidationFailed,
               "the master key at " + key_path.string() + " does not open this snapshot's secrets (it was taken on "
               "another instance, or before a rotate-master-key). Put the master.key that was in use when the "
               "snapshot was taken there (or set WHARF_MASTER_KEY_FILE); nothing was changed.");
  return Ok();
}

}  // namespace

std::unique_ptr<AdminBackupCommands> AddAdminBackupCommands(CLI::App& admin) {
  auto c = std::make_unique<AdminBackupCommands>();
  c->backup_ = admin.add_subcommand("backup", "Write a consistent snapshot of the database (safe while serving)");
  c->backup_->add_option("--data-dir", c->data_dir_, "Data directory (default: WHARF_DATA_DIR, else ./wharf-data)");
  c->backup_->add_option("--database", c->database_, "sqlite:PATH (default: DATA_DIR/wharf.db)");
  c->backup_->add_option("--out", c->out_, "Snapshot file to write (mode 0600)")->required();
  c->backup_->footer("Example:\n  wharf admin backup --data-dir /var/lib/wharf --out /backups/wharf-$(date +%F).db\n"
                     "The master key (DATA_DIR/master.key) is not in the snapshot: back it up separately.");
  c->restore_ = admin.add_subcommand("restore", "Replace the database with a snapshot (stop the server first)");
  c->restore_->add_option("--data-dir", c->data_dir_, "Data directory (default: WHARF_DATA_DIR, else ./wharf-data)");
  c->restore_->add_option("--database", c->database_, "sqlite:PATH (default: DATA_DIR/wharf.db)");
  c->restore_->add_option("--from", c->from_, "Snapshot file written by `wharf admin backup`")->required();
  c->restore_->add_flag("--force", c->force_, "Overwrite an existing database");
  c->restore_->add_flag("--create", c->create_, "Create the data directory when it does not exist");
  c->restore_->footer("Example:\n  wharf admin restore --data-dir /var/lib/wharf --from /backups/wharf-2026-11-25.db --force\n"
                      "The data directory must hold the master.key that was in use when the snapshot was taken.");
  return c;
}

std::optional<int> AdminBackupCommands::Run() {
  if (backup_->parsed()) {
    auto dir = ChooseAdminDataDir(data_dir_, backup_->count("--data-dir") > 0, false, std::cerr);
    if (!dir) return Fail(dir.error());
    data_dir_ = dir->string();
    auto db = DatabasePath(data_dir_, database_);
    if (!db) return Fail(db.error());
    if (auto st = store::BackupSqliteDatabase(*db, out_); !st) return Fail(st.error());
    std::cout << "Wrote a snapshot of " << *db << " to " << out_ << ".\n"
              << "Keep " << (fs::path(data_dir_) / "master.key").string()
              << " safe too: the snapshot's secrets can only be read with it.\n";
    return 0;
  }
  if (restore_->parsed()) {
    auto dir = ChooseAdminDataDir(data_dir_, restore_->count("--data-dir") > 0, create_, std::cerr);
    if (!dir) return Fail(dir.error());
    data_dir_ = dir->string();
    auto db = DatabasePath(data_dir_, database_);
    if (!db) return Fail(db.error());
    std::error_code ec;
    if (fs::exists(*db, ec) && !force_) {
      std::cerr << "wharf: " << *db << " exists; stop the server and add --force to replace it with the snapshot.\n";
      return 2;
    }
    if (auto st = LockDataDir(*dir, "stop the server before restoring its database"); !st) return Fail(st.error());
    if (auto st = CheckSnapshotKey(*dir, from_, *db + ".restore-check"); !st) return Fail(st.error());
    if (auto st = store::RestoreSqliteDatabase(from_, *db); !st) return Fail(st.error());
    // Opening the store applies any migrations newer than the snapshot.
    auto s = store::OpenSqliteStore(*db);
    if (!s) return Fail(s.error());
    std::cout << "Restored " << *db << " from " << from_ << " (schema version " << (*s)->SchemaVersion() << ").\n";
    return 0;
  }
  return std::nullopt;
}

}  // namespace wharf::server
