#include "services/rate_limiter.h"

namespace wharf::services {

void RateLimiter::Prune(std::deque<Timestamp>& q, Timestamp now) const {
  while (!q.empty() && q.front() <= now - window_ms_) q.pop_front();
}

std::optional<int64_t> RateLimiter::Blocked(std::string_view key, Timestamp now) {
  std::lock_guard lock(mu_);
  auto it = events_.find(std::string(key));
  if (it == events_.end()) return std::nullopt;
  Prune(it->second, now);
  if (static_cast<int>(it->second.size()) < max_) return std::nullopt;
  int64_t wait_ms = it->second.front() + window_ms_ - now;
  return wait_ms / 1000 + 1;
}

void RateLimiter::Record(std::string_view key, Timestamp now) {
  std::lock_guard lock(mu_);
  auto& q = events_[std::string(key)];
  Prune(q, now);
  q.push_back(now);
  if (events_.size() > 100'000) {  // bound memory: drop keys whose windows have passed
    for (auto it = events_.begin(); it != events_.end();) {
      Prune(it->second, now);
      it = it->second.empty() ? events_.erase(it) : std::next(it);
    }
  }
}

void RateLimiter::Reset(std::string_view key) {
  std::lock_guard lock(mu_);
  events_.erase(std::string(key));
}

}  // namespace wharf::services
