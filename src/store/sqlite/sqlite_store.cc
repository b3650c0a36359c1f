#include "store/sqlite/sqlite_store.h"

#include <sqlite3.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "base/log.h"
#include "base/strings.h"
#include "store/migrations.h"
#include "store/sql/sql_tx.h"

namespace wharf::store {

namespace {

using nlohmann::json;

// ---------------------------------------------------------------- connection and statements

class Conn {
 public:
  explicit Conn(sqlite3* db) : db_(db) {}
  ~Conn() {
    for (auto& [sql, st] : stmts_) sqlite3_finalize(st);
    sqlite3_close_v2(db_);
  }
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;
  sqlite3* db() { return db_; }
  bool jobs_changed = false;  // this transaction enqueued or ended a job (for WatchJobs)
  sqlite3_stmt* Prepare(const char* sql) {
    auto it = stmts_.find(sql);
    if (it != stmts_.end()) return it->second;
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, nullptr) != SQLITE_OK) return nullptr;
    stmts_.emplace(sql, st);
    return st;
  }
  Result<int64_t> ExecScalar(const std::string& sql) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) return Internal(std::string("sqlite: ") + sqlite3_errmsg(db_));
    int64_t v = 0;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW) return Internal(std::string("sqlite: ") + sqlite3_errmsg(db_));
    return v;
  }
  Status ExecScript(const std::string& sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err ? err : "unknown";
      sqlite3_free(err);
      return Internal("sqlite: " + msg);
    }
    return Ok();
  }

 private:
  sqlite3* db_;
  std::unordered_map<const char*, sqlite3_stmt*> stmts_;  // keyed by the literal's address
};

Error SqlError(sqlite3* db, int rc, std::string_view conflict_message) {
  const int primary = rc & 0xff;
  if (primary == SQLITE_CONSTRAINT) {
    const int ext = sqlite3_extended_errcode(db);
    if (ext == SQLITE_CONSTRAINT_FOREIGNKEY)
      return Error{ErrorCode::kConflict, "This is still in use by other records.", sqlite3_errmsg(db), Layer::kNone, json::object()};
    return Error{ErrorCode::kConflict, conflict_message.empty() ? std::string("That already exists.") : std::string(conflict_message),
                 sqlite3_errmsg(db), Layer::kNone, json::object()};
  }
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED)
    return Error{ErrorCode::kUnavailable, "The database is busy; retry shortly.", sqlite3_errmsg(db), Layer::kNone, json::object()};
  return Error{ErrorCode::kInternal, "internal error", std::string("sqlite: ") + sqlite3_errmsg(db), Layer::kNone, json::object()};
}

// One use of a cached prepared statement; resets it when done.
class Query {
 public:
  using Connection = Conn;
  static constexpr bool kPostgres = false;
  Query(Conn& c, const char* sql) : conn_(c), st_(c.Prepare(sql)) {
    if (!st_) prepare_error_ = std::string("sqlite prepare: ") + sqlite3_errmsg(c.db());
  }
  ~Query() {
    if (st_) {
      sqlite3_reset(st_);
      sqlite3_clear_bindings(st_);
    }
  }
  Query& Text(std::string_view v) {
    if (st_) sqlite3_bind_text(st_, ++idx_, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Query& Int(int64_t v) {
    if (st_) sqlite3_bind_int64(st_, ++idx_, v);
    return *this;
  }
  Query& Bool(bool v) { return Int(v ? 1 : 0); }
  Query& Blob(std::string_view v) {
    if (!st_) return *this;
    if (v.empty()) sqlite3_bind_null(st_, ++idx_);
    else sqlite3_bind_blob(st_, ++idx_, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Query& Null() {
    if (st_) sqlite3_bind_null(st_, ++idx_);
    return *this;
  }
  // True when a row is available; false when done.
  Result<bool> Step() {
    if (!st_) return Internal(prepare_error_);
    int rc = sqlite3_step(st_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return tl::unexpected(SqlError(conn_.db(), rc, conflict_));
  }
  Status Exec(std::string_view conflict_message = {}) {
    conflict_ = conflict_message;
    WHARF_ASSIGN_OR_RETURN(bool row, Step());
    (void)row;
    return Ok();
  }
  int64_t Changes() { return sqlite3_changes64(conn_.db()); }
  size_t RowsHint() { return 0; }  // SQLite steps row by row
  std::string Str(int col) {
    auto* p = reinterpret_cast<const char*>(sqlite3_column_text(st_, col));
    return p ? std::string(p, sqlite3_column_bytes(st_, col)) : std::string();
  }
  std::string_view View(int col) {
    auto* p = reinterpret_cast<const char*>(sqlite3_column_text(st_, col));
    return p ? std::string_view(p, static_cast<size_t>(sqlite3_column_bytes(st_, col))) : std::string_view();
  }
  std::string Bytes(int col) {
    auto* p = static_cast<const char*>(sqlite3_column_blob(st_, col));
    return p ? std::string(p, sqlite3_column_bytes(st_, col)) : std::string();
  }
  int64_t I64(int col) { return sqlite3_column_int64(st_, col); }
  bool IsNull(int col) { return sqlite3_column_type(st_, col) == SQLITE_NULL; }
  bool IsFlag(int col) { return sqlite3_column_type(st_, col) == SQLITE_INTEGER; }

 private:
  Conn& conn_;
  sqlite3_stmt* st_;
  int idx_ = 0;
  std::string prepare_error_;
  std::string conflict_;
};

using SqliteTx = sql::SqlTx<Query>;

Result<std::unique_ptr<Conn>> OpenConn(const std::string& path, const SqliteOptions& opts, bool reader) {
  sqlite3* db = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  auto conn = std::make_unique<Conn>(db);
  if (rc != SQLITE_OK)
    return Err(Error{ErrorCode::kUnavailable, "cannot open the database at " + path,
                     db ? sqlite3_errmsg(db) : "out of memory", Layer::kNone, json::object()});
  sqlite3_busy_timeout(db, opts.busy_timeout_ms);
  sqlite3_extended_result_codes(db, 1);
  std::string pragmas = "PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL; PRAGMA temp_store = MEMORY;";
  if (!reader) pragmas = "PRAGMA journal_mode = WAL; " + pragmas;
  else pragmas += " PRAGMA query_only = ON;";
  WHARF_TRY(conn->ExecScript(pragmas));
  return conn;
}

class SqliteStore final : public Store {
 public:
  SqliteStore(std::unique_ptr<Conn> writer, std::vector<std::unique_ptr<Conn>> readers, std::unique_ptr<Conn> watch)
      : writer_(std::move(writer)), readers_(std::move(readers)), watch_(std::move(watch)) {
    for (auto& r : readers_) free_.push_back(r.get());
  }

  Status Migrate() {
    std::lock_guard lock(write_mu_);
    WHARF_TRY(writer_->ExecScript("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
                                  "applied_at INTEGER NOT NULL DEFAULT (strftime('%s','now')))"));
    int current = 0;
    {
      Query q(*writer_, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
      WHARF_TRY(q.Step());
      current = static_cast<int>(q.I64(0));
    }
    const auto& m = Migrations(Dialect::kSqlite);
    if (current > static_cast<int>(m.size()))
      return Err(ErrorCode::kUnavailable, "The database was written by a newer Wharf (schema " + std::to_string(current) +
                                              "); upgrade Wharf.");
    for (int v = current + 1; v <= static_cast<int>(m.size()); ++v) {
      WHARF_TRY(writer_->ExecScript("BEGIN IMMEDIATE"));
      auto st = writer_->ExecScript(m[v - 1]);
      if (st) st = writer_->ExecScript("INSERT INTO schema_migrations (version) VALUES (" + std::to_string(v) + ")");
      if (!st) {
        (void)writer_->ExecScript("ROLLBACK");
        return st;
      }
      WHARF_TRY(writer_->ExecScript("COMMIT"));
      log::Info("migration_applied", {{"version", v}});
    }
    version_ = static_cast<int>(m.size());
    return Ok();
  }

  Status Write(const std::function<Status(Tx&)>& fn) override { return WriteNotifying(fn, true); }

  // Job claims, heartbeats, log appends and job ends commit without waiting for fsync
  // (synchronous=NORMAL under WAL): they survive a crash of the process like every write, and
  // the next durable commit flushes them. A power loss can only take back the last few: a lost
  // claim leaves the job queued, a lost end leaves it to be taken over after its lease
  // (handlers resume), so the queue stays correct and claims are not bound by the disk's fsync.
  Status WriteConcurrent(const std::function<Status(Tx&)>& fn) override { return WriteNotifying(fn, false); }

  Status WriteNotifying(const std::function<Status(Tx&)>& fn, bool durable) {
    bool jobs_changed = false;
    Status st = WriteLocked(fn, &jobs_changed, durable);
    if (jobs_changed) {
      std::lock_guard lock(jobs_watch_mu_);
      if (jobs_watcher_) jobs_watcher_();
    }
    return st;
  }

  void WatchJobs(std::function<void()> fn) override {
    std::lock_guard lock(jobs_watch_mu_);
    jobs_watcher_ = std::move(fn);
  }

  // Another process on this file (a `wharf admin` command) records what it invalidated in
  // cache_epochs (migration 13's triggers). The watch connection's data_version changes when any
  // other connection commits, this process's writer included; only then is cache_epochs read.
  void WatchInvalidations(std::function<void(std::string_view)> fn) override {
    std::lock_guard lock(watch_mu_);
    watcher_ = std::move(fn);
    if (!watcher_) return;
    // Baseline: what was committed before now is already in the store the caller will read.
    auto v = DataVersion();
    auto seq = watch_->ExecScalar("SELECT COALESCE(MAX(seq), 0) FROM cache_epochs");
    if (v && seq) {
      data_version_ = *v;
      last_seq_ = *seq;
    } else {
      log::Warn("invalidation_baseline_failed", {{"detail", !v ? v.error().detail : seq.error().detail}});
    }
  }

  void CatchUpInvalidations() override {
    std::lock_guard lock(watch_mu_);
    if (!watcher_) return;
    auto v = DataVersion();
    if (!v) {
      log::Warn("invalidation_check_failed", {{"detail", v.error().detail}});
      return;
    }
    if (*v == data_version_) return;
    Query q(*watch_, "SELECT scope, seq FROM cache_epochs WHERE seq > ? ORDER BY seq");
    q.Int(last_seq_);
    int64_t seq = last_seq_;
    std::vector<std::string> scopes;
    for (;;) {
      auto row = q.Step();
      if (!row) {
        log::Warn("invalidation_check_failed", {{"detail", row.error().detail}});
        return;  // data_version_ unchanged: the next call reads again
      }
      if (!*row) break;
      scopes.push_back(q.Str(0));
      seq = std::max(seq, q.I64(1));
    }
    data_version_ = *v;
    last_seq_ = seq;
    for (const auto& scope : scopes) watcher_(scope);
  }

  Status Read(const std::function<Status(Tx&)>& fn) override {
    Conn* c = Acquire();
    Status st = [&]() -> Status {
      {
        Query begin(*c, "BEGIN");
        WHARF_TRY(begin.Exec());
      }
      SqliteTx tx(*c);
      Status inner = fn(tx);
      Query end(*c, "COMMIT");
      Status ended = end.Exec();
      if (!inner) return inner;
      return ended;
    }();
    Release(c);
    return st;
  }

  bool Ready() override {
    Conn* c = Acquire();
    bool ok = false;
    {
      Query q(*c, "SELECT COUNT(*) FROM schema_migrations");
      auto r = q.Step();
      ok = r && *r;
    }
    Release(c);
    return ok && version_ > 0;
  }

  int SchemaVersion() override { return version_; }

  Result<int64_t> CountRows(std::string_view table) override {
    if (!IsDataTable(table)) return Internal("unknown table " + std::string(table));
    Conn* c = Acquire();
    auto n = CountIn(*c, table);
    Release(c);
    return n;
  }

  Status ScanRows(std::string_view table, const std::function<Status(const RawRow&)>& fn) override {
    if (!IsDataTable(table)) return Internal("unknown table " + std::string(table));
    return Read([&](Tx& tx) -> Status {
      sqlite3* db = static_cast<SqliteTx&>(tx).conn().db();
      const std::string sql = "SELECT * FROM " + std::string(table) + " ORDER BY 1, 2";
      sqlite3_stmt* st = nullptr;
      if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) return Internal(std::string("sqlite: ") + sqlite3_errmsg(db));
      std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> guard(st, sqlite3_finalize);
      std::vector<std::string> cols;
      for (int i = 0; i < sqlite3_column_count(st); ++i) cols.emplace_back(sqlite3_column_name(st, i));
      RawRow row;
      row.columns = &cols;
      int rc;
      while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        row.cells.assign(cols.size(), RawCell{});
        for (int i = 0; i < static_cast<int>(cols.size()); ++i) {
          RawCell& cell = row.cells[i];
          switch (sqlite3_column_type(st, i)) {
            case SQLITE_NULL: break;
            case SQLITE_INTEGER: cell.kind = RawCell::Kind::kInt; cell.i = sqlite3_column_int64(st, i); break;
            case SQLITE_BLOB: {
              cell.kind = RawCell::Kind::kBlob;
              auto* p = static_cast<const char*>(sqlite3_column_blob(st, i));
              cell.s.assign(p ? p : "", static_cast<size_t>(sqlite3_column_bytes(st, i)));
              break;
            }
            default: {
              cell.kind = RawCell::Kind::kText;
              auto* p = reinterpret_cast<const char*>(sqlite3_column_text(st, i));
              cell.s.assign(p ? p : "", static_cast<size_t>(sqlite3_column_bytes(st, i)));
            }
          }
        }
        WHARF_TRY(fn(row));
      }
      if (rc != SQLITE_DONE) return tl::unexpected(SqlError(db, rc, {}));
      return Ok();
    });
  }

  Status CopyFrom(Store& source) override {
    return Write([&](Tx& tx) -> Status {
      WHARF_ASSIGN_OR_RETURN(int64_t users, tx.users().Count());
      if (users > 0) return Err(ErrorCode::kConflict, "The destination database already holds data; copy into an empty one.");
      sqlite3* db = static_cast<SqliteTx&>(tx).conn().db();
      for (const auto& table : DataTables()) {
        sqlite3_stmt* st = nullptr;
        std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> guard(nullptr, sqlite3_finalize);
        WHARF_TRY(source.ScanRows(table, [&](const RawRow& row) -> Status {
          if (!st) {
            std::string cols, params;
            for (size_t i = 0; i < row.columns->size(); ++i) {
              cols += (i ? ", " : "") + (*row.columns)[i];
              params += i ? ", ?" : "?";
            }
            const std::string sql = "INSERT INTO " + table + " (" + cols + ") VALUES (" + params + ")";
            if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) != SQLITE_OK)
              return Internal(std::string("sqlite: ") + sqlite3_errmsg(db));
            guard.reset(st);
          }
          sqlite3_reset(st);
          for (int i = 0; i < static_cast<int>(row.cells.size()); ++i) {
            const RawCell& cell = row.cells[i];
            switch (cell.kind) {
              case RawCell::Kind::kNull: sqlite3_bind_null(st, i + 1); break;
              case RawCell::Kind::kInt: sqlite3_bind_int64(st, i + 1, cell.i); break;
              case RawCell::Kind::kText:
                sqlite3_bind_text(st, i + 1, cell.s.data(), static_cast<int>(cell.s.size()), SQLITE_TRANSIENT);
                break;
              case RawCell::Kind::kBlob:
                sqlite3_bind_blob(st, i + 1, cell.s.data(), static_cast<int>(cell.s.size()), SQLITE_TRANSIENT);
                break;
            }
          }
          int rc = sqlite3_step(st);
          if (rc != SQLITE_DONE) return tl::unexpected(SqlError(db, rc, {}));
          return Ok();
        }));
        WHARF_ASSIGN_OR_RETURN(int64_t want, source.CountRows(table));
        WHARF_ASSIGN_OR_RETURN(int64_t got, CountIn(*writer_, table));
        if (want != got)
          return Internal("migrate-store: " + table + " has " + std::to_string(got) + " rows after the copy, the source " +
                          std::to_string(want));
      }
      return Ok();
    });
  }

 private:
  static bool IsDataTable(std::string_view t) {
    const auto& all = DataTables();
    return std::find(all.begin(), all.end(), t) != all.end();
  }
  static Result<int64_t> CountIn(Conn& c, std::string_view table) {
    return c.ExecScalar("SELECT COUNT(*) FROM " + std::string(table));
  }

  Status WriteLocked(const std::function<Status(Tx&)>& fn, bool* jobs_changed, bool durable) {
    std::lock_guard lock(write_mu_);
    if (!durable) {
      Query relaxed(*writer_, "PRAGMA synchronous = NORMAL");
      WHARF_TRY(relaxed.Exec());
    }
    struct Restore {
      Conn& c;
      bool on;
      ~Restore() {
        if (!on) return;
        Query full(c, "PRAGMA synchronous = FULL");
        (void)full.Exec();
      }
    } restore{*writer_, !durable};
    {
      Query begin(*writer_, "BEGIN IMMEDIATE");
      WHARF_TRY(begin.Exec());
    }
    writer_->jobs_changed = false;
    SqliteTx tx(*writer_);
    Status st = fn(tx);
    if (st) {
      Query commit(*writer_, "COMMIT");
      st = commit.Exec();
      if (st) {
        *jobs_changed = writer_->jobs_changed;
        return st;
      }
    }
    Query rollback(*writer_, "ROLLBACK");
    (void)rollback.Exec();
    return st;
  }

  Conn* Acquire() {
    std::unique_lock lock(pool_mu_);
    pool_cv_.wait(lock, [&] { return !free_.empty(); });
    Conn* c = free_.back();
    free_.pop_back();
    return c;
  }
  void Release(Conn* c) {
    {
      std::lock_guard lock(pool_mu_);
      free_.push_back(c);
    }
    pool_cv_.notify_one();
  }

  std::mutex write_mu_;
  std::unique_ptr<Conn> writer_;
  std::vector<std::unique_ptr<Conn>> readers_;
  std::mutex pool_mu_;
  std::condition_variable pool_cv_;
  std::vector<Conn*> free_;
  int version_ = 0;
  std::mutex jobs_watch_mu_;
  std::function<void()> jobs_watcher_;  // GUARDED_BY(jobs_watch_mu_)

  Result<int64_t> DataVersion() {
    Query q(*watch_, "PRAGMA data_version");
    WHARF_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) return Internal("sqlite: PRAGMA data_version returned no row");
    return q.I64(0);
  }
  std::mutex watch_mu_;
  std::unique_ptr<Conn> watch_;                            // only for data_version and cache_epochs
  std::function<void(std::string_view)> watcher_;         // GUARDED_BY(watch_mu_)
  int64_t data_version_ = -1;                              // GUARDED_BY(watch_mu_)
  int64_t last_seq_ = 0;                                   // GUARDED_BY(watch_mu_)
};

}  // namespace

Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path, const SqliteOptions& opts) {
  WHARF_ASSIGN_OR_RETURN(auto writer, OpenConn(path, opts, false));
  std::vector<std::unique_ptr<Conn>> readers;
  for (int i = 0; i < std::max(1, opts.reader_connections); ++i) {
    WHARF_ASSIGN_OR_RETURN(auto r, OpenConn(path, opts, true));
    readers.push_back(std::move(r));
  }
  WHARF_ASSIGN_OR_RETURN(auto watch, OpenConn(path, opts, true));
  auto store = std::make_unique<SqliteStore>(std::move(writer), std::move(readers), std::move(watch));
  WHARF_TRY(store->Migrate());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace wharf::store
