// Applications (and the legacy /projects view of the same rows): a named group of services on one
// server, scoped by the role's resource_scope.
//
//   auto app = svc.applications().CreateApplication(p, domain::Collection::kApplications,
//                                                    {.name = "shop", .server_id = srv}, ctx);
//
// Thread-safety: every method is safe to call concurrently; state lives in the store (and
// in members that synchronize themselves).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "services/core.h"

namespace wharf::services {

// Applications (and the legacy /projects view of the same rows). docs/applications.md.
struct ApplicationInput {
  std::optional<std::string> name, description, server_id;
};

class Applications : public Feature {
 public:
  explicit Applications(Core& core);

  Result<Page<domain::Application>> ListApplications(const authz::Principal& p, domain::Collection c, int limit,
                                                     std::string_view cursor, const RequestContext& ctx);
  Result<domain::Application> GetApplication(const authz::Principal& p, domain::Collection c, std::string_view id,
                                             const RequestContext& ctx);
  Result<domain::Application> CreateApplication(const authz::Principal& p, domain::Collection c, ApplicationInput in,
                                                const RequestContext& ctx);
  Result<domain::Application> UpdateApplication(const authz::Principal& p, domain::Collection c, std::string_view id,
                                                ApplicationInput in, const RequestContext& ctx);
  // 409 while the application still has services.
  Status DeleteApplication(const authz::Principal& p, domain::Collection c, std::string_view id,
                           const RequestContext& ctx);
};

}  // namespace wharf::services
