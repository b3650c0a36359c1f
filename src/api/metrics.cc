#include "api/metrics.h"

#include <fmt/format.h>

namespace wharf::api {

void Metrics::ObserveRequest(const std::string& route, int status, double seconds) {
  std::lock_guard lock(mu_);
  ++requests_[{route, status}];
  size_t i = 0;
  while (i < kBuckets.size() && seconds > kBuckets[i]) ++i;
  ++latency_[i];
  latency_sum_ += seconds;
  ++latency_count_;
  if (status == 403) denied_.fetch_add(1, std::memory_order_relaxed);
}

void Metrics::ObserveDenied() { denied_.fetch_add(1, std::memory_order_relaxed); }

std::string Metrics::Render() const {
  std::lock_guard lock(mu_);
  std::string out;
  out += "# HELP wharf_http_requests_total HTTP requests by route pattern and status.\n";
  out += "# TYPE wharf_http_requests_total counter\n";
  for (auto& [k, v] : requests_)
    out += fmt::format("wharf_http_requests_total{{route=\"{}\",status=\"{}\"}} {}\n", k.first, k.second, v);
  out += "# HELP wharf_http_request_duration_seconds Request latency.\n";
  out += "# TYPE wharf_http_request_duration_seconds histogram\n";
  uint64_t cum = 0;
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    cum += latency_[i];
    out += fmt::format("wharf_http_request_duration_seconds_bucket{{le=\"{}\"}} {}\n", kBuckets[i], cum);
  }
  cum += latency_[kBuckets.size()];
  out += fmt::format("wharf_http_request_duration_seconds_bucket{{le=\"+Inf\"}} {}\n", cum);
  out += fmt::format("wharf_http_request_duration_seconds_sum {}\n", latency_sum_);
  out += fmt::format("wharf_http_request_duration_seconds_count {}\n", latency_count_);
  out += "# HELP wharf_authz_denied_total Requests answered 403 by the authorizer.\n";
  out += "# TYPE wharf_authz_denied_total counter\n";
  out += fmt::format("wharf_authz_denied_total {}\n", denied_.load());
  return out;
}

}  // namespace wharf::api
