#include "store/postgres/pg_store.h"

#include <sys/select.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "base/log.h"
#include "store/postgres/pg_conn.h"
#include "store/migrations.h"
#include "store/postgres/pg_migrations.h"
#include "store/sql/sql_tx.h"

namespace wharf::store {

namespace {

using pg::Conn;
using pg::Query;
using PgTx = sql::SqlTx<pg::Query>;

// A bounded pool: connections are opened on demand up to `size`, broken ones are reset on the
// way out. Lease returns the connection when it goes out of scope.
class Pool {
 public:
  Pool(std::string url, const PostgresOptions& opts) : url_(std::move(url)), opts_(opts) {}

  class Lease {
   public:
    Lease(Pool* p, Conn* c) : p_(p), c_(c) {}
    Lease(Lease&& o) noexcept : p_(o.p_), c_(o.c_) { o.c_ = nullptr; }
    ~Lease() {
      if (c_) p_->Release(c_);
    }
    Conn& operator*() { return *c_; }
    Conn* operator->() { return c_; }

   private:
    Pool* p_;
    Conn* c_;
  };

  Result<Lease> Acquire() {
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return !free_.empty() || static_cast<int>(all_.size()) + opening_ < opts_.connections; });
      if (!free_.empty()) {
        Conn* c = free_.back();
        free_.pop_back();
        return Lease(this, c);
      }
      ++opening_;
    }
    auto conn = pg::Connect(url_, opts_.connect_timeout_seconds);
    std::lock_guard lock(mu_);
    --opening_;
    if (!conn) {
      cv_.notify_one();
      return Err(conn.error());
    }
    all_.push_back(std::move(*conn));
    return Lease(this, all_.back().get());
  }

 private:
  void Release(Conn* c) {
    (void)c->TakeDeferredBegin();
    if (!c->busy() && (!c->ok() || PQtransactionStatus(c->get()) != PQTRANS_IDLE)) {
      if (PQtransactionStatus(c->get()) == PQTRANS_INTRANS || PQtransactionStatus(c->get()) == PQTRANS_INERROR)
        (void)c->Exec("ROLLBACK");
      if (!c->ok()) c->Reset();
    }
    {
      std::lock_guard lock(mu_);
      free_.push_back(c);
    }
    cv_.notify_one();
  }

  const std::string url_;
  const PostgresOptions opts_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Conn>> all_;  // GUARDED_BY(mu_)
  std::vector<Conn*> free_;                 // GUARDED_BY(mu_)
  int opening_ = 0;                         // GUARDED_BY(mu_)
};

// Login rate-limit events in the shared database; each call is one autocommit statement.
class PgCounters final : public SharedCounters {
 public:
  explicit PgCounters(Pool& pool) : pool_(pool) {}
  Result<Window> Count(std::string_view limiter, std::string_view key, Timestamp since) override {
    WHARF_ASSIGN_OR_RETURN(auto c, pool_.Acquire());
    Query q(*c, "SELECT COUNT(*), COALESCE(MIN(at), 0) FROM rate_events WHERE limiter = $1 AND key = $2 AND at > $3");
    WHARF_TRY(q.Text(limiter).Text(key).Int(since).Run());
    if (!q.Next()) return Window{};
    return Window{q.I64(0), q.I64(1)};
  }
  Status Add(std::string_view limiter, std::string_view key, Timestamp now, Timestamp forget_before) override {
    WHARF_ASSIGN_OR_RETURN(auto c, pool_.Acquire());
    // Every 256th event also sweeps keys nobody hit again (another IP, a typo'd email).
    if ((++adds_ & 0xff) == 0) {
      Query sweep(*c, "DELETE FROM rate_events WHERE limiter = $1 AND at <= $2");
      WHARF_TRY(sweep.Text(limiter).Int(forget_before).Run());
    }
    Query q(*c, "WITH gone AS (DELETE FROM rate_events WHERE limiter = $1 AND key = $2 AND at <= $4) "
                "INSERT INTO rate_events (limiter, key, at) VALUES ($1, $2, $3)");
    return q.Text(limiter).Text(key).Int(now).Int(forget_before).Run();
  }
  Status Clear(std::string_view limiter, std::string_view key) override {
    WHARF_ASSIGN_OR_RETURN(auto c, pool_.Acquire());
    Query q(*c, "DELETE FROM rate_events WHERE limiter = $1 AND key = $2");
    return q.Text(limiter).Text(key).Run();
  }

 private:
  Pool& pool_;
  std::atomic<uint64_t> adds_{0};
};

bool IsDataTable(std::string_view t) {
  const auto& all = DataTables();
  return std::find(all.begin(), all.end(), t) != all.end();
}

class PostgresStore final : public Store {
 public:
  PostgresStore(std::string url, const PostgresOptions& opts)
      : url_(std::move(url)), opts_(opts), pool_(url_, opts), counters_(pool_) {}
  ~PostgresStore() override { StopListener(); }

  Status Migrate() {
    WHARF_ASSIGN_OR_RETURN(auto c, pool_.Acquire());
    // Session-scoped: replicas starting together wait here, and all but the first find nothing to do.
    WHARF_TRY(c->Exec("SELECT pg_advisory_lock(" + std::to_string(pg::kMigrateLockKey) + ")"));
    Status st = MigrateLocked(*c);
    (void)c->Exec("SELECT pg_advisory_unlock(" + std::to_string(pg::kMigrateLockKey) + ")");
    return st;
  }

  Status Write(const std::function<Status(Tx&)>& fn) override {
    std::lock_guard lock(write_mu_);  // one writer per process: no pool connections parked on the lock
    return WriteWith({"BEGIN", "SELECT pg_advisory_xact_lock(" + std::to_string(pg::kWriteLockKey) + ")"}, fn);
  }

  // READ COMMITTED without the writer lock: job claims (FOR UPDATE SKIP LOCKED and the unique
  // index on running jobs' target), heartbeats, job logs.
  Status WriteConcurrent(const std::function<Status(Tx&)>& fn) override { return WriteWith({"BEGIN"}, fn); }

  void WatchJobs(std::function<void()> fn) override {
    const bool watching = static_cast<bool>(fn);
    {
      std::lock_guard lock(watch_mu_);
      jobs_watcher_ = std::move(fn);
    }
    if (watching) EnsureListener();
  }

  Status WriteWith(std::vector<std::string> begin, const std::function<Status(Tx&)>& fn) {
    WHARF_ASSIGN_OR_RETURN(auto c, pool_.Acquire());
    c->DeferBegin(std::move(begin));
    PgTx tx(*c);
    Status st = fn(tx);
    if (c->begin_deferred()) {  // fn ran no statement: there is no transaction to end
      c->TakeDeferredBegin();
      return st;
    }
    if (st) {
      auto r = c->ExecResult("COMMIT");
      if (!r) return Err(r.error());
      // COMMIT of a transaction that hit an error (whose caller ignored it) reports ROLLBACK.
      if (std::string_view(PQcmdStatus(r->get())) != "COMMIT")
        return Internal("postgres: the transaction was rolled back after an earlier error");
      return st;
    }
    (void)c->Exec("ROLLBACK");
    return st;
  }

  Status Read(const std::function<Status(Tx&)>& fn) override {
    WHARF_ASSIGN_OR_RETURN(auto c, pool_.Acquire());
    c->DeferBegin({"BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"});
    PgTx tx(*c);
    Status inner = fn(tx);
    if (c->begin_deferred()) {  // fn ran no statement: there is no transaction to end
      c->TakeDeferredBegin();
      return inner;
    }
    if (!inner) {
      (void)c->Exec("ROLLBACK");
      return inner;
    }
    // A read-only COMMIT cannot lose anything: send it and read its answer before the
    // connection's next command instead of waiting now.
    c->SendAsync("COMMIT");
    return Ok();
  }

  bool Ready() override {
    auto c = pool_.Acquire();
    if (!c) return false;
    Query q(**c, "SELECT COUNT(*) FROM schema_migrations");
    return q.Run() && q.Next() && version_ > 0;
  }

  int SchemaVersion() override { return version_; }

  // The first call starts the listener and waits (up to the connect timeout) until it listens,
  // so the bound holds from the first request on.
  void WatchInvalidations(std::function<void(std::string_view)> fn) override {
    const bool watching = static_cast<bool>(fn);
    {
      std::lock_guard lock(watch_mu_);
      watcher_ = std::move(fn);
    }
    if (watching) EnsureListener();
  }

  // One indexed read of cache_epochs past the last delivered seq; empty unless something changed.
  void CatchUpInvalidations() override {
    {
      std::lock_guard lock(watch_mu_);
      if (!watcher_) return;
    }
    const int64_t from = last_seq_.load(std::memory_order_acquire);
    if (from < 0) return;  // the listener has no baseline yet; it drops every cache when it gets one
    auto c = pool_.Acquire();
    if (!c) {
      log::Warn("invalidation_check_failed", {{"detail", c.error().detail}});
      return;
    }
    Query q(**c, "SELECT scope, seq FROM cache_epochs WHERE seq > $1 ORDER BY seq");
    if (!q.Int(from).Run()) {
      log::Warn("invalidation_check_failed", {{"detail", "reading cache_epochs failed"}});
      return;
    }
    while (q.Next()) Deliver(q.View(0), q.I64(1));
  }

  void EnsureListener() {
    std::lock_guard lock(listener_mu_);
    if (!listener_.joinable()) {
      stop_ = false;
      listener_ = std::thread([this] { ListenLoop(); });
      std::unique_lock ready(ready_mu_);
      ready_cv_.wait_for(ready, std::chrono::seconds(opts_.connect_timeout_seconds), [&] { return listening_; });
    }
  }

  SharedCounters* shared_counters() override { return &counters_; }
  bool IsScheduler() override { return scheduler_.load(std::memory_order_acquire); }

  Result<int64_t> CountRows(std::string_view table) override {
    if (!IsDataTable(table)) return Internal("unknown table " + std::string(table));
    WHARF_ASSIGN_OR_RETURN(auto c, pool_.Acquire());
    return CountIn(*c, table);
  }

  Status ScanRows(std::string_view table, const std::function<Status(const RawRow&)>& fn) override {
    if (!IsDataTable(table)) return Internal("unknown table " + std::string(table));
    WHARF_ASSIGN_OR_RETURN(auto c, pool_.Acquire());
    WHARF_TRY(c->Exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"));
    auto q = Query::Unprepared(*c, "SELECT * FROM " + std::string(table) + " ORDER BY 1, 2");
    WHARF_TRY(q.Run());
    const PGresult* r = q.result();
    std::vector<std::string> cols;
    for (int i = 0; i < PQnfields(r); ++i) cols.emplace_back(PQfname(r, i));
    RawRow row;
    row.columns = &cols;
    while (q.Next()) {
      row.cells.assign(cols.size(), RawCell{});
      for (int i = 0; i < static_cast<int>(cols.size()); ++i) {
        RawCell& cell = row.cells[i];
        if (q.IsNull(i)) continue;
        const Oid t = PQftype(r, i);
        if (t == 16 || t == 20 || t == 21 || t == 23) {  // bool, int8, int2, int4
          cell.kind = RawCell::Kind::kInt;
          cell.i = q.I64(i);
        } else {
          cell.kind = t == 17 ? RawCell::Kind::kBlob : RawCell::Kind::kText;  // bytea
          cell.s = q.Str(i);
        }
      }
      WHARF_TRY(fn(row));
    }
    return c->Exec("COMMIT");
  }

  Status CopyFrom(Store& source) override {
    return Write([&](Tx& tx) -> Status {
      WHARF_ASSIGN_OR_RETURN(int64_t users, tx.users().Count());
      if (users > 0) return Err(ErrorCode::kConflict, "The destination database already holds data; copy into an empty one.");
      Conn& c = static_cast<PgTx&>(tx).conn();
      for (const auto& table : DataTables()) {
        std::string sql;
        WHARF_TRY(source.ScanRows(table, [&](const RawRow& row) -> Status {
          if (sql.empty()) {
            std::string cols, params;
            for (size_t i = 0; i < row.columns->size(); ++i) {
              cols += (i ? ", " : "") + (*row.columns)[i];
              params += (i ? ", $" : "$") + std::to_string(i + 1);
            }
            sql = "INSERT INTO " + table + " (" + cols + ") VALUES (" + params + ")";
          }
          auto q = Query::Unprepared(c, sql);
          for (const auto& cell : row.cells) {
            switch (cell.kind) {
              case RawCell::Kind::kNull: q.Null(); break;
              case RawCell::Kind::kInt: q.Int(cell.i); break;
              case RawCell::Kind::kText: q.Text(cell.s); break;
              case RawCell::Kind::kBlob: q.Blob(cell.s); break;
            }
          }
          return q.Run();
        }));
        WHARF_ASSIGN_OR_RETURN(int64_t want, source.CountRows(table));
        WHARF_ASSIGN_OR_RETURN(int64_t got, CountIn(c, table));
        if (want != got)
          return Internal("migrate-store: " + table + " has " + std::to_string(got) + " rows after the copy, the source " +
                          std::to_string(want));
      }
      // Serial ids continue after the copied ones.
      for (const char* t : {"audit_events", "server_checks"})
        WHARF_TRY(c.Exec(std::string("SELECT setval(pg_get_serial_sequence('") + t + "', 'id'), COALESCE((SELECT MAX(id) FROM " +
                         t + "), 0) + 1, false)"));
      return Ok();
    });
  }

 private:
  static Result<int64_t> CountIn(Conn& c, std::string_view table) {
    auto q = Query::Unprepared(c, "SELECT COUNT(*) FROM " + std::string(table));
    WHARF_TRY(q.Run());
    if (!q.Next()) return Internal("count returned no row");
    return q.I64(0);
  }

  Status MigrateLocked(Conn& c) {
    WHARF_TRY(c.Exec("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
                     "applied_at BIGINT NOT NULL DEFAULT (EXTRACT(EPOCH FROM now())::BIGINT))"));
    Query q(c, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
    WHARF_TRY(q.Run());
    int current = q.Next() ? static_cast<int>(q.I64(0)) : 0;
    const auto& m = Migrations(Dialect::kPostgres);
    if (current > static_cast<int>(m.size()))
      return Err(ErrorCode::kUnavailable, "The database was written by a newer Wharf (schema " + std::to_string(current) +
                                              "); upgrade Wharf.");
    for (int v = current + 1; v <= static_cast<int>(m.size()); ++v) {
      Status st = c.Exec("BEGIN;\n" + m[v - 1] + "\nINSERT INTO schema_migrations (version) VALUES (" +
                         std::to_string(v) + ");\nCOMMIT;");
      if (!st) {
        (void)c.Exec("ROLLBACK");
        return st;
      }
      log::Info("migration_applied", {{"version", v}, {"database", "postgres"}});
    }
    version_ = static_cast<int>(m.size());
    return Ok();
  }

  void EmitJobs() {
    std::lock_guard lock(watch_mu_);
    if (jobs_watcher_) jobs_watcher_();
  }

  void Emit(std::string_view scope) {
    std::lock_guard lock(watch_mu_);
    if (watcher_) watcher_(scope);
  }

  // Takes the scheduler lock if no live replica holds it (a no-op once held: it stays with this
  // session until the connection closes).
  void TryTakeScheduler(Conn& c) {
    if (scheduler_) return;
    Query q(c, "SELECT pg_try_advisory_lock(2003068788)");  // kSchedulerLockKey
    if (q.Run() && q.Next() && q.I64(0) != 0) {
      scheduler_ = true;
      log::Info("scheduler_taken", {{"detail", "this replica runs scheduled work"}});
    }
  }

  void StopListener() {
    std::lock_guard lock(listener_mu_);
    stop_ = true;
    if (listener_.joinable()) listener_.join();
  }

  // LISTEN for wake-ups and read cache_epochs past the last seen seq: on a notification at once,
  // and every invalidation_poll_ms regardless (a lost notification costs at most that long).
  // While the connection is down every cache is dropped on reconnect ("*").
  void ListenLoop() {
    using Clock = std::chrono::steady_clock;
    std::unique_ptr<Conn> conn;
    bool was_connected = false;
    auto next_poll = Clock::now();
    while (!stop_) {
      if (!conn || !conn->ok()) {
        scheduler_ = false;  // the lock went with the old session
        auto c = pg::Connect(url_, opts_.connect_timeout_seconds);
        if (!c || !(*c)->Exec("LISTEN wharf_invalidate; LISTEN wharf_jobs")) {
          if (was_connected) log::Warn("invalidation_listener_down", {{"detail", c ? "LISTEN failed" : c.error().detail}});
          was_connected = false;
          conn.reset();
          for (int i = 0; i < 10 && !stop_; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
          continue;
        }
        conn = std::move(*c);
        was_connected = true;
        // Listening now: every change after this baseline is notified or polled. Changes before
        // it (while disconnected, or before the first connection, when something may already
        // have been cached) are covered by dropping every cache, after the baseline is read.
        Query q(*conn, "SELECT COALESCE(MAX(seq), 0) FROM cache_epochs");
        const int64_t baseline = q.Run() && q.Next() ? q.I64(0) : -1;
        Emit("*");
        if (baseline >= 0) AdvanceSeq(baseline);
        EmitJobs();  // a job may have become claimable while this listener was away
        TryTakeScheduler(*conn);
        {
          std::lock_guard ready(ready_mu_);
          listening_ = true;
        }
        ready_cv_.notify_all();
        next_poll = Clock::now() + std::chrono::milliseconds(opts_.invalidation_poll_ms);
      }
      const int fd = PQsocket(conn->get());
      fd_set fds;
      FD_ZERO(&fds);
      FD_SET(fd, &fds);
      auto wait = std::min<Clock::duration>(std::chrono::milliseconds(100), std::max<Clock::duration>(next_poll - Clock::now(), Clock::duration::zero()));
      timeval tv{0, static_cast<suseconds_t>(std::chrono::duration_cast<std::chrono::microseconds>(wait).count())};
      bool notified = false;
      if (select(fd + 1, &fds, nullptr, nullptr, &tv) > 0) {
        if (!PQconsumeInput(conn->get())) {  // connection lost: reconnect above
          conn.reset();
          continue;
        }
        bool jobs = false;
        while (PGnotify* n = PQnotifies(conn->get())) {
          if (std::string_view(n->relname) == "wharf_jobs") jobs = true;
          else notified = true;
          PQfreemem(n);
        }
        if (jobs) EmitJobs();
      }
      if (!notified && Clock::now() < next_poll) continue;
      next_poll = Clock::now() + std::chrono::milliseconds(opts_.invalidation_poll_ms);
      TryTakeScheduler(*conn);
      Query q(*conn, "SELECT scope, seq FROM cache_epochs WHERE seq > $1 ORDER BY seq");
      if (!q.Int(std::max<int64_t>(0, last_seq_.load(std::memory_order_acquire))).Run()) {
        if (!conn->ok()) conn.reset();
        continue;
      }
      while (q.Next()) Deliver(q.View(0), q.I64(1));
    }
  }

  const std::string url_;
  const PostgresOptions opts_;
  Pool pool_;
  PgCounters counters_;
  std::mutex write_mu_;
  int version_ = 0;

  std::mutex watch_mu_;
  std::function<void(std::string_view)> watcher_;  // GUARDED_BY(watch_mu_)
  std::function<void()> jobs_watcher_;              // GUARDED_BY(watch_mu_)
  std::mutex listener_mu_;
  std::thread listener_;
  std::mutex ready_mu_;
  std::condition_variable ready_cv_;
  bool listening_ = false;  // GUARDED_BY(ready_mu_): the listener connected at least once
  std::atomic<bool> scheduler_{false};
  std::atomic<bool> stop_{false};
  // Every epoch up to last_seq_ has been delivered (-1: no baseline yet). Advanced only after the
  // delivery, so a request that reads N may trust its caches for every change up to N; the
  // listener and requests may both deliver a scope (dropping twice is harmless).
  std::atomic<int64_t> last_seq_{-1};

  void Deliver(std::string_view scope, int64_t seq) {
    Emit(scope);
    AdvanceSeq(seq);
  }
  void AdvanceSeq(int64_t seq) {
    int64_t cur = last_seq_.load(std::memory_order_acquire);
    while (cur < seq && !last_seq_.compare_exchange_weak(cur, seq, std::memory_order_acq_rel)) {
    }
  }
};

}  // namespace

Result<std::unique_ptr<Store>> OpenPostgresStore(const std::string& url, const PostgresOptions& opts) {
  auto store = std::make_unique<PostgresStore>(url, opts);
  WHARF_TRY(store->Migrate());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace wharf::store
