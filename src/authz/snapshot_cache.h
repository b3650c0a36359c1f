// SnapshotCache: (user, org) → the member's compiled role, valid while the org's version holds.
//
// Every role or membership write bumps the org's version (Bump), which makes every cached entry
// of that org stale at once; the next request reloads it from the store. A role change therefore
// applies to the member's very next request.
//
//   uint64_t v = cache.Version(org_id);            // read BEFORE loading from the store
//   if (auto e = cache.Get(user_id, org_id)) use(*e);
//   else cache.Put(user_id, org_id, {v, Compile(role), owner});
//
// Thread-safety: all methods are safe from any thread (sharded mutexes).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "authz/authz.h"

namespace wharf::authz {

class SnapshotCache {
 public:
  struct Entry {
    uint64_t version = 0;
    std::shared_ptr<const CompiledRole> role;
    bool owner = false;
  };

  std::optional<Entry> Get(std::string_view user_id, std::string_view org_id) const;
  // Stores `e` unless the org's version moved past e.version meanwhile.
  void Put(std::string_view user_id, std::string_view org_id, Entry e);
  uint64_t Version(std::string_view org_id) const;
  void Bump(std::string_view org_id);
  // Makes every entry of every org stale (another replica's changes may have been missed).
  void BumpAll();
  size_t size() const;

 private:
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  struct Shard {
    mutable std::mutex mu;
    std::unordered_map<std::string, Entry, StringHash, std::equal_to<>> entries;  // key: org_id + '\0' + user_id
    std::unordered_map<std::string, uint64_t, StringHash, std::equal_to<>> versions;  // org_id → version
  };
  static constexpr size_t kShards = 16;
  Shard& ShardFor(std::string_view org_id) const;
  uint64_t CurrentLocked(const Shard& s, std::string_view org_id) const;
  mutable std::array<Shard, kShards> shards_;
  std::atomic<uint64_t> epoch_{0};  // added to every org's version; BumpAll increments it
};

}  // namespace wharf::authz
