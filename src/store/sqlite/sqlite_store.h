// SqliteStore: the embedded default implementation of store::Store.
//
//   WHARF_ASSIGN_OR_RETURN(auto store, store::OpenSqliteStore(data_dir / "wharf.db"));
//   WHARF_TRY(store->Write([&](store::Tx& tx) { return tx.users().Insert(user); }));
//
// WAL mode, foreign keys on, synchronous=FULL: a commit that Write() reported survives kill -9 and
// power loss. One writer connection (BEGIN IMMEDIATE, serialized by a mutex) and a pool of reader
// connections, so reads run concurrently with each other and with the writer. Each connection
// caches its prepared statements. Migrations run at open, numbered and forward-only.
//
// Thread-safety: the Store is safe from any thread; see store.h.
#pragma once

#include <memory>
#include <string>

#include "store/store.h"

namespace wharf::store {

struct SqliteOptions {
  int reader_connections = 4;
  int busy_timeout_ms = 5000;
};

Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path, const SqliteOptions& opts = {});

}  // namespace wharf::store
