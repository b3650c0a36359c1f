#include "authz/snapshot_cache.h"

namespace wharf::authz {

namespace {
std::string Key(std::string_view user_id, std::string_view org_id) {
  std::string k;
  k.reserve(org_id.size() + 1 + user_id.size());
  k.append(org_id).push_back('\0');
  k.append(user_id);
  return k;
}
}  // namespace

SnapshotCache::Shard& SnapshotCache::ShardFor(std::string_view org_id) const {
  return shards_[std::hash<std::string_view>{}(org_id) % kShards];
}

uint64_t SnapshotCache::CurrentLocked(const Shard& s, std::string_view org_id) const {
  auto vit = s.versions.find(org_id);
  return (vit == s.versions.end() ? 0 : vit->second) + epoch_.load(std::memory_order_acquire);
}

std::optional<SnapshotCache::Entry> SnapshotCache::Get(std::string_view user_id, std::string_view org_id) const {
  Shard& s = ShardFor(org_id);
  std::lock_guard lock(s.mu);
  auto it = s.entries.find(Key(user_id, org_id));
  if (it == s.entries.end()) return std::nullopt;
  if (it->second.version != CurrentLocked(s, org_id)) {
    s.entries.erase(it);
    return std::nullopt;
  }
  return it->second;
}

void SnapshotCache::Put(std::string_view user_id, std::string_view org_id, Entry e) {
  Shard& s = ShardFor(org_id);
  std::lock_guard lock(s.mu);
  if (e.version != CurrentLocked(s, org_id)) return;
  s.entries[Key(user_id, org_id)] = std::move(e);
}

uint64_t SnapshotCache::Version(std::string_view org_id) const {
  Shard& s = ShardFor(org_id);
  std::lock_guard lock(s.mu);
  return CurrentLocked(s, org_id);
}

void SnapshotCache::BumpAll() {
  epoch_.fetch_add(1, std::memory_order_acq_rel);
  for (auto& s : shards_) {
    std::lock_guard lock(s.mu);
    s.entries.clear();
  }
}

void SnapshotCache::Bump(std::string_view org_id) {
  Shard& s = ShardFor(org_id);
  std::lock_guard lock(s.mu);
  auto vit = s.versions.find(org_id);
  if (vit == s.versions.end()) s.versions.emplace(std::string(org_id), 1);
  else ++vit->second;
}

size_t SnapshotCache::size() const {
  size_t n = 0;
  for (auto& s : shards_) {
    std::lock_guard lock(s.mu);
    n += s.entries.size();
  }
  return n;
}

}  // namespace wharf::authz
