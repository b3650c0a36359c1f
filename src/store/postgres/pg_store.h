// PostgresStore: store::Store on PostgreSQL through libpq, for several `wharf serve` replicas
// sharing one database.
//
//   WHARF_ASSIGN_OR_RETURN(auto store, store::OpenPostgresStore("postgres://wharf@db/wharf"));
//   WHARF_TRY(store->Write([&](store::Tx& tx) { return tx.users().Insert(user); }));
//
// Semantics mirror the SQLite store:
// - Write() runs in READ COMMITTED after taking one transaction-scoped advisory lock, so writers
//   are serialized across every replica exactly like SQLite's single writer: check-then-insert
//   use cases (seat limits, create limits, last Admin) stay correct without retry loops.
// - Read() runs in REPEATABLE READ READ ONLY: one snapshot, concurrent with the writer.
// - Errors: unique or foreign-key violation → kConflict (same messages as SQLite), connection
//   loss, serialization failure or deadlock → kUnavailable, anything else → kInternal.
// - Migrations run at open under pg_advisory_lock: replicas starting together migrate once.
// - Cache invalidation: triggers NOTIFY `wharf_invalidate` and bump a per-scope sequence in
//   `cache_epochs` on every role, membership, org, user, session and API-token write; a listener
//   thread reacts to the notification and, as a backstop, polls the sequence every
//   `invalidation_poll_ms` (see WatchInvalidations in store.h).
//
// Round trips: a transaction's BEGIN (and the write lock) travel in one libpq pipeline with its
// first statement, and a read-only transaction's COMMIT is sent without waiting, so a one-query
// Read costs one round trip. A pooled connection the server dropped is reconnected once, before
// anything of the transaction committed.
//
// A small pool of connections, each caching its prepared statements. Thread-safety: see store.h.
#pragma once

#include <memory>
#include <string>

#include "store/store.h"

namespace wharf::store {

struct PostgresOptions {
  int connections = 8;              // pool size (readers and the writer share it)
  int connect_timeout_seconds = 10;
  int invalidation_poll_ms = 1000;  // backstop bound when a NOTIFY is lost
};

// `url` is a libpq connection URI (postgres://user:pass@host:port/db?sslmode=…).
// kUnavailable when the database cannot be reached; the message never contains the password.
Result<std::unique_ptr<Store>> OpenPostgresStore(const std::string& url, const PostgresOptions& opts = {});

}  // namespace wharf::store
