// Per-organisation slots for outbound checks (verify, test, check): at most `limit` in flight
// per org (--max-outbound-per-org). One object is shared by the HTTP server (a request beyond
// the limit answers 429) and the scheduled re-verification of integrations (a row whose org has
// no free slot waits for the next tick), so both count against the same limit.
//
//   OutboundSlots slots(4);
//   if (!slots.TryAcquire(org)) return;  // busy: try later
//   ... the check ...
//   slots.Release(org);
//
// Thread-safety: every method is safe to call concurrently.
#pragma once

#include <mutex>
#include <string>
#include <unordered_map>

namespace wharf {

class OutboundSlots {
 public:
  explicit OutboundSlots(int limit) : limit_(limit) {}
  OutboundSlots(const OutboundSlots&) = delete;
  OutboundSlots& operator=(const OutboundSlots&) = delete;

  int limit() const { return limit_; }
  // Takes one of `org`'s slots; false when it already holds `limit` of them.
  bool TryAcquire(const std::string& org) {
    std::lock_guard lock(mu_);
    int& n = in_flight_[org];
    if (n >= limit_) return false;
    ++n;
    return true;
  }
  void Release(const std::string& org) {
    std::lock_guard lock(mu_);
    auto it = in_flight_.find(org);
    if (it != in_flight_.end() && --it->second <= 0) in_flight_.erase(it);
  }

 private:
  const int limit_;
  std::mutex mu_;
  std::unordered_map<std::string, int> in_flight_;  // GUARDED_BY(mu_): org id → checks running
};

}  // namespace wharf
