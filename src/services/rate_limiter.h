// RateLimiter: a sliding-window counter per key, in memory.
//
//   RateLimiter failures(10, 15 * 60 * 1000);
//   if (auto wait = failures.Blocked("ada@example.com", now)) return RateLimited(*wait);
//   failures.Record("ada@example.com", now);
//
// Counters live in this process, or, given store::SharedCounters (PostgreSQL), in the database
// so that every replica counts the same attempts. If the shared counters fail, the limiter logs
// and falls back to its in-process counters rather than refusing every sign-in.
// Thread-safety: all methods are safe from any thread.
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/clock.h"
#include "store/store.h"

namespace wharf::services {

class RateLimiter {
 public:
  RateLimiter(int max_events, int64_t window_ms, store::SharedCounters* shared = nullptr, std::string name = {})
      : max_(max_events), window_ms_(window_ms), shared_(shared), name_(std::move(name)) {}
  // Seconds to wait when `key` already has max events in the window; nullopt when allowed.
  std::optional<int64_t> Blocked(std::string_view key, Timestamp now);
  void Record(std::string_view key, Timestamp now);
  void Reset(std::string_view key);

 private:
  void Prune(std::deque<Timestamp>& q, Timestamp now) const;
  const int max_;
  const int64_t window_ms_;
  store::SharedCounters* const shared_;  // nullptr: in-process only
  const std::string name_;               // the limiter's name in the shared table
  std::mutex mu_;
  std::unordered_map<std::string, std::deque<Timestamp>> events_;
};

}  // namespace wharf::services
