// A live log stream's reader (job and deployment logs), re-checked while it streams.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "services/services.h"

namespace wharf::api {

// A live log stream's reader, re-checked while it streams (docs/security.md, "Long streams"):
// every Config::stream_recheck_ms, and at once when a credential was forgotten (sign-out) or the
// org's roles or memberships changed (the access generation moved).
class StreamAccess {
 public:
  StreamAccess(services::Services& s, std::shared_ptr<const services::Authenticated> who, std::string org_slug,
               authz::Principal p)
      : s_(s), who_(std::move(who)), org_slug_(std::move(org_slug)), p_(std::move(p)),
        generation_(s_.auth().AccessGeneration(p_.org_id)), last_(std::chrono::steady_clock::now()) {}

  const authz::Principal& principal() const { return p_; }

  // nullopt while the reader may still read; else the closing SSE event that says why not.
  std::optional<std::string> Recheck(const services::RequestContext& ctx) {
    const auto now = std::chrono::steady_clock::now();
    const uint64_t generation = s_.auth().AccessGeneration(p_.org_id);
    if (generation == generation_ &&
        now - last_ < std::chrono::milliseconds(s_.config().stream_recheck_ms))
      return std::nullopt;
    generation_ = generation;
    last_ = now;
    auto p = s_.auth().RecheckPrincipal(*who_, org_slug_, ctx);
    if (!p) return Revoked(p.error());
    p_ = std::move(*p);
    return std::nullopt;
  }

  // The closing event for an error the re-checked reader got (see Reason), or nullopt when
  // `e` is not about access.
  static std::optional<std::string> Revoked(const Error& e) {
    std::string reason;
    switch (e.code) {
      case ErrorCode::kUnauthenticated: reason = "signed_out"; break;
      case ErrorCode::kNotFound: reason = "access_removed"; break;
      case ErrorCode::kForbidden: reason = "permission_removed"; break;
      default: return std::nullopt;
    }
    nlohmann::json data = {{"reason", reason}, {"message", e.message}};
    if (e.details.is_object() && e.details.contains("permission")) data["permission"] = e.details["permission"];
    return "event: revoked\ndata: " + data.dump() + "\n\n";
  }

 private:
  services::Services& s_;
  std::shared_ptr<const services::Authenticated> who_;
  std::string org_slug_;
  authz::Principal p_;
  uint64_t generation_;
  std::chrono::steady_clock::time_point last_;
};

}  // namespace wharf::api
