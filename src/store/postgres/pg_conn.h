// libpq plumbing for the PostgreSQL store: a move-only connection that caches its prepared
// statements, and Query, one execution of a statement with typed parameters and binary results.
//
//   Query q(conn, "SELECT id, email FROM users WHERE id = $1");
//   q.Text(id);
//   WHARF_TRY(q.Run());
//   while (q.Next()) use(q.Str(0), q.View(1));
//
// Internal to store/postgres. Thread-compatible: one thread uses a connection at a time.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/error.h"

namespace wharf::store::pg {

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

// Maps a failed result (or a broken connection when r is null) to a Wharf error. Unique and
// foreign-key violations become kConflict with `conflict_message` (or a generic one).
Error PgError(PGconn* c, const PGresult* r, std::string_view conflict_message = {});

class Conn {
 public:
  explicit Conn(PGconn* c) : c_(c) {}
  ~Conn() { PQfinish(c_); }
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  PGconn* get() { return c_; }
  // Unused here: PostgreSQL's triggers tell WatchJobs (the repositories set it on both stores).
  bool jobs_changed = false;
  bool ok() const { return PQstatus(c_) == CONNECTION_OK; }
  // Re-establishes a broken connection; forgets the prepared statements.
  void Reset();
  // The server-side name of `sql`'s prepared statement, preparing it on first use. SQLite-style
  // parameters in `sql` (`?`, `?N`; see store/sql/query.h) are rewritten to `$N` then.
  Result<const std::string*> Prepared(const char* sql);
  // Runs one or several statements with the simple protocol (no parameters).
  Status Exec(const std::string& sql);
  // Like Exec, returning the last result (for BEGIN/COMMIT command tags).
  Result<ResultPtr> ExecResult(const std::string& sql);

  // Round trips are the cost of a short transaction, so a transaction's opening statements
  // (BEGIN, the write lock) are not sent at once: the first Query::Run sends them in one libpq
  // pipeline with its own statement. A transaction that runs no statement sends nothing.
  void DeferBegin(std::vector<std::string> statements) { deferred_begin_ = std::move(statements); }
  bool begin_deferred() const { return !deferred_begin_.empty(); }
  std::vector<std::string> TakeDeferredBegin() { return std::exchange(deferred_begin_, {}); }
  // Sends `sql` without waiting for its result (a read-only COMMIT); the result is read before
  // the connection's next command.
  void SendAsync(const std::string& sql);
  bool busy() const { return async_pending_; }
  // Reads the result of a SendAsync, if any.
  void Drain();

 private:
  PGconn* c_;
  std::unordered_map<const char*, std::string> prepared_;  // keyed by the literal's address
  std::vector<std::string> deferred_begin_;
  bool async_pending_ = false;
};

// Opens a connection; kUnavailable with a password-free message when it fails.
Result<std::unique_ptr<Conn>> Connect(const std::string& url, int connect_timeout_seconds);

// The Query of store/sql/query.h for PostgreSQL.
class Query {
 public:
  using Connection = Conn;
  static constexpr bool kPostgres = true;
  // `sql` must be a string literal (its address keys the prepared-statement cache).
  Query(Conn& c, const char* sql) : conn_(c), sql_(sql) {}
  // An ad-hoc statement that is not prepared (bulk copy).
  static Query Unprepared(Conn& c, std::string sql) {
    Query q(c, nullptr);
    q.dynamic_sql_ = std::move(sql);
    return q;
  }

  Query& Text(std::string_view v) { return Param(std::string(v), 0); }
  Query& Int(int64_t v) { return Param(std::to_string(v), 0); }
  Query& Bool(bool v) { return Param(v ? "t" : "f", 0); }
  // Bytes as bytea; empty binds NULL (like the SQLite store).
  Query& Blob(std::string_view v) {
    if (v.empty()) return Null();
    return Param(std::string(v), 1);
  }
  Query& Null() {
    vals_.emplace_back();
    fmts_.push_back(0);
    nulls_.push_back(true);
    return *this;
  }

  // Executes; kConflict (with `conflict_message`) on unique/foreign-key violations.
  Status Run(std::string_view conflict_message = {});
  Status Exec(std::string_view conflict_message = {}) { return Run(conflict_message); }
  // Advances to the next row; false when there are no more.
  bool Next() { return ++row_ < rows(); }
  // Runs the statement on the first call, then advances like Next.
  Result<bool> Step() {
    if (!ran_) WHARF_TRY(Run());
    return Next();
  }
  int64_t Changes() const { return Affected(); }
  size_t RowsHint() const { return static_cast<size_t>(rows()); }
  int rows() const { return res_ ? PQntuples(res_.get()) : 0; }
  int64_t Affected() const;
  // Runs the connection's deferred BEGIN statements and this one in one pipeline.
  Status RunPipelined(const std::vector<std::string>* begin, const std::string* prepared_name, int n, const char* const* values, const int* lengths,
                      std::string_view conflict_message);

  std::string Str(int col) const { return std::string(View(col)); }
  std::string_view View(int col) const {
    return {PQgetvalue(res_.get(), row_, col), static_cast<size_t>(PQgetlength(res_.get(), row_, col))};
  }
  std::string Bytes(int col) const { return Str(col); }
  int64_t I64(int col) const;  // int2/int4/int8/bool columns
  bool IsNull(int col) const { return PQgetisnull(res_.get(), row_, col) != 0; }
  bool IsFlag(int col) const { return PQftype(res_.get(), col) == 16; }  // boolean
  const PGresult* result() const { return res_.get(); }

 private:
  Query& Param(std::string v, int fmt) {
    vals_.push_back(std::move(v));
    fmts_.push_back(fmt);
    nulls_.push_back(false);
    return *this;
  }
  Conn& conn_;
  const char* sql_;
  std::string dynamic_sql_;
  std::vector<std::string> vals_;
  std::vector<int> fmts_;
  std::vector<bool> nulls_;
  ResultPtr res_;
  int row_ = -1;
  bool ran_ = false;
};

// `sql` with SQLite-style parameters rewritten for PostgreSQL: `?N` becomes `$N`, a bare `?` the
// number after the largest so far (SQLite's rule). Quoted text is left alone.
std::string PgPlaceholders(std::string_view sql);

}  // namespace wharf::store::pg
