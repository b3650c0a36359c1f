// The database schema, described once for SQLite and PostgreSQL (internal to src/store).
//
// Migrations are numbered from 1, run at start inside one transaction each, and are forward-only:
// a shipped entry is never edited, a change is a new entry at the end. Both stores record the
// number they reached in schema_migrations and run the rest:
//   const auto& m = store::Migrations(store::Dialect::kSqlite);
//   for (size_t v = current; v < m.size(); ++v) ExecScript(m[v]);
// The text of an entry is shared; the few types that differ are tokens (see migrations.cc).
#pragma once

#include <string>
#include <vector>

namespace wharf::store {

enum class Dialect { kSqlite, kPostgres };

// Every migration's SQL for `d`, index 0 being migration 1. Thread-safe; rendered once.
const std::vector<std::string>& Migrations(Dialect d);

}  // namespace wharf::store
