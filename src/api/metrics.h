// Prometheus metrics: requests by route and status, a latency histogram, authz decisions.
//
//   metrics.ObserveRequest("/api/v1/orgs/{org}/roles", 200, 0.0012);
//   std::string text = metrics.Render();   // GET /metrics
//
// Thread-safety: all methods are safe from any thread (a mutex guards the route map; counters
// on the hot path are atomics).
#pragma once

#include <array>
#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <utility>

namespace wharf::api {

class Metrics {
 public:
  void ObserveRequest(const std::string& route, int status, double seconds);
  void ObserveDenied();
  std::string Render() const;

 private:
  static constexpr std::array<double, 12> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                      0.05,   0.1,   0.25,   0.5,   1.0,  2.5};
  mutable std::mutex mu_;
  std::map<std::pair<std::string, int>, uint64_t> requests_;
  std::array<uint64_t, kBuckets.size() + 1> latency_{};
  double latency_sum_ = 0;
  uint64_t latency_count_ = 0;
  std::atomic<uint64_t> denied_{0};
};

}  // namespace wharf::api
