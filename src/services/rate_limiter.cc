#include "services/rate_limiter.h"

#include "base/log.h"

namespace wharf::services {

void RateLimiter::Prune(std::deque<Timestamp>& q, Timestamp now) const {
  while (!q.empty() && q.front() <= now - window_ms_) q.pop_front();
}

std::optional<int64_t> RateLimiter::Blocked(std::string_view key, Timestamp now) {
  if (shared_) {
    auto w = shared_->Count(name_, key, now - window_ms_);
    if (w) {
      if (w->count < max_) return std::nullopt;
      return (w->oldest + window_ms_ - now) / 1000 + 1;
    }
    log::Warn("rate_limit_store_failed", {{"limiter", name_}, {"detail", w.error().detail}});
  }
  std::lock_guard lock(mu_);
  auto it = events_.find(std::string(key));
  if (it == events_.end()) return std::nullopt;
  Prune(it->second, now);
  if (static_cast<int>(it->second.size()) < max_) return std::nullopt;
  int64_t wait_ms = it->second.front() + window_ms_ - now;
  return wait_ms / 1000 + 1;
}

void RateLimiter::Record(std::string_view key, Timestamp now) {
  if (shared_) {
    auto st = shared_->Add(name_, key, now, now - window_ms_);
    if (st) return;
    log::Warn("rate_limit_store_failed", {{"limiter", name_}, {"detail", st.error().detail}});
  }
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
  if (shared_) {
    if (auto st = shared_->Clear(name_, key); !st)
      log::Warn("rate_limit_store_failed", {{"limiter", name_}, {"detail", st.error().detail}});
  }
  std::lock_guard lock(mu_);
  events_.erase(std::string(key));
}

}  // namespace wharf::services
