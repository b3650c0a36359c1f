#include "store/postgres/pg_conn.h"

#include <algorithm>
#include <cstring>
#include <optional>

namespace wharf::store::pg {

namespace {
std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}
}  // namespace

Error PgError(PGconn* c, const PGresult* r, std::string_view conflict_message) {
  const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  std::string msg = Trim(r ? PQresultErrorMessage(r) : (c ? PQerrorMessage(c) : "no connection"));
  if (msg.empty() && c) msg = Trim(PQerrorMessage(c));
  const std::string detail = "postgres: " + msg;
  const std::string_view sqlstate = state ? state : "";
  if (sqlstate == "23503")
    return Error{ErrorCode::kConflict, "This is still in use by other records.", detail, Layer::kNone, nlohmann::json::object()};
  if (sqlstate.substr(0, 2) == "23")
    return Error{ErrorCode::kConflict, conflict_message.empty() ? std::string("That already exists.") : std::string(conflict_message),
                 detail, Layer::kNone, nlohmann::json::object()};
  if (sqlstate == "40001" || sqlstate == "40P01" || sqlstate == "55P03" || sqlstate.substr(0, 2) == "08" ||
      sqlstate.substr(0, 2) == "57" || (c && PQstatus(c) != CONNECTION_OK))
    return Error{ErrorCode::kUnavailable, "The database is busy or unreachable; retry shortly.", detail, Layer::kNone,
                 nlohmann::json::object()};
  return Error{ErrorCode::kInternal, "internal error", detail, Layer::kNone, nlohmann::json::object()};
}

Result<std::unique_ptr<Conn>> Connect(const std::string& url, int connect_timeout_seconds) {
  const char* keys[] = {"dbname", "connect_timeout", "application_name", nullptr};
  const std::string timeout = std::to_string(connect_timeout_seconds);
  const char* vals[] = {url.c_str(), timeout.c_str(), "wharf", nullptr};
  PGconn* raw = PQconnectdbParams(keys, vals, /*expand_dbname=*/1);
  auto c = std::make_unique<Conn>(raw);
  if (!raw || PQstatus(raw) != CONNECTION_OK) {
    // libpq's message names host and port, never the password.
    std::string why = raw ? Trim(PQerrorMessage(raw)) : "out of memory";
    return Err(Error{ErrorCode::kUnavailable, "cannot connect to PostgreSQL: " + why, "postgres: " + why, Layer::kNone,
                     nlohmann::json::object()});
  }
  PQsetNoticeProcessor(raw, [](void*, const char*) {}, nullptr);  // NOTICEs (IF NOT EXISTS ...) are noise
  return c;
}

void Conn::Reset() {
  PQreset(c_);
  prepared_.clear();
  async_pending_ = false;
}

void Conn::SendAsync(const std::string& sql) {
  Drain();
  async_pending_ = PQsendQuery(c_, sql.c_str()) == 1;
}

void Conn::Drain() {
  if (!async_pending_) return;
  async_pending_ = false;
  while (PGresult* r = PQgetResult(c_)) PQclear(r);
}

Result<const std::string*> Conn::Prepared(const char* sql) {
  Drain();
  auto it = prepared_.find(sql);
  if (it != prepared_.end()) return &it->second;
  std::string name = "w" + std::to_string(prepared_.size() + 1);
  ResultPtr r(PQprepare(c_, name.c_str(), PgPlaceholders(sql).c_str(), 0, nullptr));
  if (!r || PQresultStatus(r.get()) != PGRES_COMMAND_OK) return Err(PgError(c_, r.get()));
  return &prepared_.emplace(sql, std::move(name)).first->second;
}

Result<ResultPtr> Conn::ExecResult(const std::string& sql) {
  Drain();
  for (const auto& b : TakeDeferredBegin()) {  // the transaction begins before this statement
    ResultPtr r(PQexec(c_, b.c_str()));
    if (!r || (PQresultStatus(r.get()) != PGRES_COMMAND_OK && PQresultStatus(r.get()) != PGRES_TUPLES_OK))
      return Err(PgError(c_, r.get()));
  }
  ResultPtr r(PQexec(c_, sql.c_str()));
  if (!r) return Err(PgError(c_, nullptr));
  auto st = PQresultStatus(r.get());
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return Err(PgError(c_, r.get()));
  return r;
}

Status Conn::Exec(const std::string& sql) {
  WHARF_ASSIGN_OR_RETURN(auto r, ExecResult(sql));
  (void)r;
  return Ok();
}

std::string PgPlaceholders(std::string_view sql) {
  std::string out;
  out.reserve(sql.size() + 16);
  int highest = 0;
  char quote = 0;  // inside '...' or "..."
  for (size_t i = 0; i < sql.size(); ++i) {
    const char ch = sql[i];
    if (quote) {
      if (ch == quote) quote = 0;
      out += ch;
      continue;
    }
    if (ch == '\'' || ch == '"') {
      quote = ch;
      out += ch;
      continue;
    }
    if (ch != '?') {
      out += ch;
      continue;
    }
    size_t j = i + 1;
    int n = 0;
    while (j < sql.size() && sql[j] >= '0' && sql[j] <= '9') n = n * 10 + (sql[j++] - '0');
    if (j == i + 1) n = highest + 1;
    highest = std::max(highest, n);
    out += '$';
    out += std::to_string(n);
    i = j - 1;
  }
  return out;
}

Status Query::Run(std::string_view conflict_message) {
  ran_ = true;
  const int n = static_cast<int>(vals_.size());
  std::vector<const char*> values(n);
  std::vector<int> lengths(n);
  for (int i = 0; i < n; ++i) {
    values[i] = nulls_[i] ? nullptr : vals_[i].c_str();
    lengths[i] = static_cast<int>(vals_[i].size());
  }
  PGresult* raw = nullptr;
  const std::string* name = nullptr;
  conn_.Drain();
  if (conn_.begin_deferred()) {
    auto begin = conn_.TakeDeferredBegin();
    Status st = [&]() -> Status {
      if (sql_) {
        WHARF_ASSIGN_OR_RETURN(name, conn_.Prepared(sql_));
      }
      return RunPipelined(&begin, name, n, values.data(), lengths.data(), conflict_message);
    }();
    const bool broken = !conn_.ok() || PQpipelineStatus(conn_.get()) != PQ_PIPELINE_OFF;
    if (st || !broken) return st;
    // The server dropped this pooled connection before the transaction began (restart,
    // failover, idle timeout): nothing committed, so reconnect once and run it again.
    conn_.Reset();
    if (!conn_.ok()) return st;
    for (const auto& b : begin) WHARF_TRY(conn_.Exec(b));
  }
  if (sql_) {
    WHARF_ASSIGN_OR_RETURN(name, conn_.Prepared(sql_));
  }
  if (sql_) {
    raw = PQexecPrepared(conn_.get(), name->c_str(), n, values.data(), lengths.data(), fmts_.data(), 1);
  } else {
    raw = PQexecParams(conn_.get(), dynamic_sql_.c_str(), n, nullptr, values.data(), lengths.data(), fmts_.data(), 1);
  }
  res_.reset(raw);
  row_ = -1;
  if (!raw) return Err(PgError(conn_.get(), nullptr, conflict_message));
  auto st = PQresultStatus(raw);
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return Err(PgError(conn_.get(), raw, conflict_message));
  return Ok();
}

Status Query::RunPipelined(const std::vector<std::string>* begin, const std::string* name, int n,
                           const char* const* values, const int* lengths, std::string_view conflict_message) {
  PGconn* c = conn_.get();
  res_.reset();
  row_ = -1;
  if (!PQenterPipelineMode(c)) return Err(PgError(c, nullptr, conflict_message));
  bool sent = true;
  for (const auto& b : *begin) sent = sent && PQsendQueryParams(c, b.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0);
  if (name) sent = sent && PQsendQueryPrepared(c, name->c_str(), n, values, lengths, fmts_.data(), 1);
  else sent = sent && PQsendQueryParams(c, dynamic_sql_.c_str(), n, nullptr, values, lengths, fmts_.data(), 1);
  sent = sent && PQpipelineSync(c);
  if (!sent) {
    Error e = PgError(c, nullptr, conflict_message);
    (void)PQexitPipelineMode(c);
    return Err(std::move(e));
  }
  // One result (then a NULL) per statement, then the sync. After a failure the rest are
  // PGRES_PIPELINE_ABORTED; the first error wins.
  std::optional<Error> error;
  const size_t statements = begin->size() + 1;
  for (size_t i = 0; i < statements; ++i) {
    ResultPtr r(PQgetResult(c));
    if (!r) {  // the connection broke
      if (!error) error = PgError(c, nullptr, conflict_message);
      break;
    }
    auto st = PQresultStatus(r.get());
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && !error)
      error = PgError(c, st == PGRES_PIPELINE_ABORTED ? nullptr : r.get(), conflict_message);
    if (i + 1 == statements) res_ = std::move(r);
    while (PGresult* extra = PQgetResult(c)) PQclear(extra);  // the NULL that ends this statement
  }
  // Read up to the sync and leave pipeline mode (Run reconnects a connection that cannot).
  for (int i = 0; i < 8 && PQstatus(c) == CONNECTION_OK && PQpipelineStatus(c) != PQ_PIPELINE_OFF &&
                  !PQexitPipelineMode(c);
       ++i) {
    PGresult* r = PQgetResult(c);  // PGRES_PIPELINE_SYNC, or leftovers after an error
    if (r) PQclear(r);
  }
  if (error) {
    res_.reset();
    return Err(std::move(*error));
  }
  return Ok();
}

int64_t Query::Affected() const {
  const char* t = res_ ? PQcmdTuples(res_.get()) : "";
  return t && *t ? std::strtoll(t, nullptr, 10) : 0;
}

int64_t Query::I64(int col) const {
  const auto* p = reinterpret_cast<const unsigned char*>(PQgetvalue(res_.get(), row_, col));
  const int len = PQgetlength(res_.get(), row_, col);
  uint64_t v = 0;
  for (int i = 0; i < len; ++i) v = (v << 8) | p[i];
  switch (len) {
    case 1: return static_cast<int8_t>(v);
    case 2: return static_cast<int16_t>(v);
    case 4: return static_cast<int32_t>(v);
    case 8: return static_cast<int64_t>(v);
    default: return 0;  // NULL
  }
}

}  // namespace wharf::store::pg
