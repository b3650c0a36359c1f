// The repositories in src/store/sql are written once for both databases, as templates over the
// database's Query class (internal to src/store). A backend provides:
//
//   class Query {
//    public:
//     using Connection = ...;               // what a repository holds (one per transaction)
//     static constexpr bool kPostgres = ...; // picks the few statements the dialects spell apart
//     Query(Connection&, const char* sql);  // sql: a string literal; its address keys the
//                                           // connection's prepared-statement cache
//     Query& Text(std::string_view) / Int(int64_t) / Bool(bool) / Blob(std::string_view) / Null();
//     Status Exec(std::string_view conflict_message = {});  // runs it; kConflict on UNIQUE/FK
//     Result<bool> Step();                  // runs it on first call; true while a row is current
//     int64_t Changes();                    // rows the statement changed
//     size_t RowsHint();                    // rows the result holds, when known (else 0)
//     // the current row, as rows.h's decoders read it:
//     std::string Str(int); std::string_view View(int); std::string Bytes(int); int64_t I64(int);
//     bool IsNull(int); bool IsFlag(int);
//   };
//
// SQL is written with SQLite's parameters: `?` (the next number) and `?N` (number N, reusable).
// The PostgreSQL connection rewrites them to `$N` once, when it prepares the statement. Where
// the dialects differ in more than parameters (JSON arrays, row locks, string functions) the
// repository picks one of two literals with WHARF_SQL(sqlite, postgres):
//
//   Q q(c_, WHARF_SQL("SELECT ... instr(?1, kind) ...", "SELECT ... strpos($1, kind) ... FOR UPDATE SKIP LOCKED"));
#pragma once

#include <climits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "base/strings.h"
#include "store/store.h"

// One of two literals by dialect; `Q` is the repository's Query type. The choice is a constant,
// so each backend always passes the same literal (its statement cache key stays stable).
#define WHARF_SQL(sqlite, postgres) (Q::kPostgres ? (postgres) : (sqlite))

namespace wharf::store::sql {

// Runs q and maps each row with f into a vector.
template <typename T, typename Q, typename F>
Result<std::vector<T>> Collect(Q& q, F&& f, size_t expected = 0) {
  std::vector<T> out;
  WHARF_ASSIGN_OR_RETURN(bool row, q.Step());
  out.reserve(std::max(expected, q.RowsHint()));
  for (; row;) {
    WHARF_ASSIGN_OR_RETURN(T v, f(q));
    out.push_back(std::move(v));
    WHARF_ASSIGN_OR_RETURN(row, q.Step());
  }
  return out;
}

// Runs q and maps its first row with f; nullopt when there is none.
template <typename T, typename Q, typename F>
Result<std::optional<T>> One(Q& q, F&& f) {
  WHARF_ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row) return std::optional<T>();
  WHARF_ASSIGN_OR_RETURN(T v, f(q));
  return std::optional<T>(std::move(v));
}

// The first column of the first row (COUNT(*), RETURNING id).
template <typename Q>
Result<int64_t> Scalar(Q& q) {
  WHARF_ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row) return Internal("scalar query returned no row");
  return q.I64(0);
}

// Runs q; true when it changed a row (Delete, Revoke, an idempotent insert).
template <typename Q>
Result<bool> Changed(Q& q) {
  WHARF_TRY(q.Exec());
  return q.Changes() > 0;
}

// Binds the keyset tail every paged list ends with,
// "(created_at > ? OR (created_at = ? AND id > ?)) ORDER BY created_at, id LIMIT ?", asking one
// row more than the page so the caller knows whether there is a next one. An empty after_id
// starts from the beginning.
template <typename Q>
Q& Keyset(Q& q, const PageQuery& p) {
  const int64_t after = p.after_id.empty() ? INT64_MIN : p.after_created_at;
  return q.Int(after).Int(after).Text(p.after_id).Int(p.limit + 1);
}

// Both org-scoped "DELETE ... WHERE org_id = ? AND id = ?" and "COUNT(*) ... WHERE org_id = ?
// AND created_by = ?" take two strings; these run either shape.
template <typename Q>
Result<bool> DeleteWhere(typename Q::Connection& c, const char* sql, std::string_view org_id, std::string_view id) {
  Q q(c, sql);
  q.Text(org_id).Text(id);
  return Changed(q);
}
template <typename Q>
Result<int64_t> CountWhere(typename Q::Connection& c, const char* sql, std::string_view org_id, std::string_view v) {
  Q q(c, sql);
  q.Text(org_id).Text(v);
  return Scalar(q);
}

inline std::string FieldsJson(const std::map<std::string, std::string>& m) { return nlohmann::json(m).dump(); }
// Sealed integration fields as stored: a JSON object of base64url ciphertexts.
inline std::string SealedJson(const std::map<std::string, std::string>& m) {
  nlohmann::json j = nlohmann::json::object();
  for (auto& [k, v] : m) j[k] = Base64UrlEncode(v);
  return j.dump();
}
inline std::string IdsJson(const std::vector<std::string>& ids) { return nlohmann::json(ids).dump(); }

}  // namespace wharf::store::sql
