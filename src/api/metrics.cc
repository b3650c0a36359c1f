#include "api/metrics.h"

#include <fmt/format.h>

namespace wharf::api {

size_t Metrics::StatusSlot(int status) {
  for (size_t i = 0; i + 1 < kStatuses.size(); ++i)
    if (kStatuses[i] == status) return i;
  return kStatuses.size() - 1;
}

int Metrics::RegisterRoute(const std::string& route) {
  std::lock_guard lock(mu_);
  for (size_t i = 0; i < routes_.size(); ++i)
    if (routes_[i] == route) return static_cast<int>(i);
  if (static_cast<int>(routes_.size()) >= kMaxRoutes) return -1;
  routes_.push_back(route);
  return static_cast<int>(routes_.size()) - 1;
}

void Metrics::ObserveRequest(int route_index, int status, double seconds) {
  const size_t row = route_index >= 0 && route_index < kMaxRoutes ? static_cast<size_t>(route_index) : kMaxRoutes;
  counts_[row * kStatuses.size() + StatusSlot(status)].fetch_add(1, std::memory_order_relaxed);
  size_t i = 0;
  while (i < kBuckets.size() && seconds > kBuckets[i]) ++i;
  latency_[i].fetch_add(1, std::memory_order_relaxed);
  latency_sum_us_.fetch_add(static_cast<uint64_t>(seconds * 1e6), std::memory_order_relaxed);
  latency_count_.fetch_add(1, std::memory_order_relaxed);
  if (status == 403) denied_.fetch_add(1, std::memory_order_relaxed);
}

void Metrics::ObserveRequest(const std::string& route, int status, double seconds) {
  ObserveRequest(RegisterRoute(route), status, seconds);
}

void Metrics::ObserveDenied() { denied_.fetch_add(1, std::memory_order_relaxed); }

std::string Metrics::Render() const {
  std::lock_guard lock(mu_);
  std::string out;
  out += "# HELP wharf_http_requests_total HTTP requests by route pattern and status.\n";
  out += "# TYPE wharf_http_requests_total counter\n";
  for (size_t r = 0; r <= static_cast<size_t>(kMaxRoutes); ++r) {
    const std::string name = r < routes_.size() ? routes_[r] : (r == static_cast<size_t>(kMaxRoutes) ? "unmatched" : "");
    if (name.empty()) continue;
    for (size_t s = 0; s < kStatuses.size(); ++s) {
      uint64_t v = counts_[r * kStatuses.size() + s].load(std::memory_order_relaxed);
      if (v == 0) continue;
      out += fmt::format("wharf_http_requests_total{{route=\"{}\",status=\"{}\"}} {}\n", name,
                         kStatuses[s] ? std::to_string(kStatuses[s]) : std::string("other"), v);
    }
  }
  out += "# HELP wharf_http_request_duration_seconds Request latency.\n";
  out += "# TYPE wharf_http_request_duration_seconds histogram\n";
  uint64_t cum = 0;
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    cum += latency_[i].load(std::memory_order_relaxed);
    out += fmt::format("wharf_http_request_duration_seconds_bucket{{le=\"{}\"}} {}\n", kBuckets[i], cum);
  }
  cum += latency_[kBuckets.size()].load(std::memory_order_relaxed);
  out += fmt::format("wharf_http_request_duration_seconds_bucket{{le=\"+Inf\"}} {}\n", cum);
  out += fmt::format("wharf_http_request_duration_seconds_sum {}\n", latency_sum_us_.load() / 1e6);
  out += fmt::format("wharf_http_request_duration_seconds_count {}\n", latency_count_.load());
  out += "# HELP wharf_authz_denied_total Requests answered 403 by the authorizer.\n";
  out += "# TYPE wharf_authz_denied_total counter\n";
  out += fmt::format("wharf_authz_denied_total {}\n", denied_.load());
  return out;
}

}  // namespace wharf::api
