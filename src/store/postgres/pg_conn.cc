#include "store/postgres/pg_conn.h"

#include <cstring>

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
}

Result<const std::string*> Conn::Prepared(const char* sql) {
  auto it = prepared_.find(sql);
  if (it != prepared_.end()) return &it->second;
  std::string name = "w" + std::to_string(prepared_.size() + 1);
  ResultPtr r(PQprepare(c_, name.c_str(), sql, 0, nullptr));
  if (!r || PQresultStatus(r.get()) != PGRES_COMMAND_OK) return Err(PgError(c_, r.get()));
  return &prepared_.emplace(sql, std::move(name)).first->second;
}

Result<ResultPtr> Conn::ExecResult(const std::string& sql) {
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

Status Query::Run(std::string_view conflict_message) {
  const int n = static_cast<int>(vals_.size());
  std::vector<const char*> values(n);
  std::vector<int> lengths(n);
  for (int i = 0; i < n; ++i) {
    values[i] = nulls_[i] ? nullptr : vals_[i].c_str();
    lengths[i] = static_cast<int>(vals_[i].size());
  }
  PGresult* raw = nullptr;
  if (sql_) {
    WHARF_ASSIGN_OR_RETURN(const std::string* name, conn_.Prepared(sql_));
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
