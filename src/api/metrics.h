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
#include <memory>
#include <vector>
#include <mutex>
#include <string>
#include <utility>

namespace wharf::api {

class Metrics {
 public:
  // Registers a route pattern once, at start-up; the returned index is used on the hot path.
  int RegisterRoute(const std::string& route);
  // Lock-free for registered routes (index >= 0); index -1 counts as "unmatched".
  void ObserveRequest(int route_index, int status, double seconds);
  void ObserveRequest(const std::string& route, int status, double seconds);
  void ObserveDenied();
  std::string Render() const;

 private:
  static constexpr std::array<double, 12> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                      0.05,   0.1,   0.25,   0.5,   1.0,  2.5};
  static constexpr int kMaxRoutes = 128;
  static constexpr std::array<int, 17> kStatuses = {200, 201, 202, 204, 400, 401, 403, 404, 405,
                                                    409, 410, 413, 415, 429, 500, 503, 0 /* other */};
  static size_t StatusSlot(int status);
  std::vector<std::string> routes_;  // index → pattern; written only before serving
  std::unique_ptr<std::atomic<uint64_t>[]> counts_ =
      std::make_unique<std::atomic<uint64_t>[]>((kMaxRoutes + 1) * kStatuses.size());
  std::array<std::atomic<uint64_t>, kBuckets.size() + 1> latency_{};
  std::atomic<uint64_t> latency_sum_us_{0};
  std::atomic<uint64_t> latency_count_{0};
  mutable std::mutex mu_;
  std::atomic<uint64_t> denied_{0};
};

}  // namespace wharf::api
