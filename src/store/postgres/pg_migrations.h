// PostgreSQL's advisory-lock keys (internal to store/postgres). The schema itself, shared with
// SQLite, is store/migrations.h.
#pragma once

#include <cstdint>

namespace wharf::store::pg {

// Advisory-lock keys. Every write transaction takes kWriteLockKey (transaction scope), so writers
// are serialized across replicas; migrations run under kMigrateLockKey (session scope).
inline constexpr int64_t kWriteLockKey = 2003068786;  // also spelled out in wharf_invalidate()
inline constexpr int64_t kMigrateLockKey = 2003068787;
// Held (session scope) by the one replica that runs scheduled work.
inline constexpr int64_t kSchedulerLockKey = 2003068788;

}  // namespace wharf::store::pg
