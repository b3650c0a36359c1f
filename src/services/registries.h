// Docker registry credentials: create and edit (the password sealed, bound to its host), and the
// pull check of an image with the stored credential, which application services reuse.
//
//   auto reg = svc.registries().CreateDockerRegistry(p, in, ctx);
//   auto out = svc.registries().VerifyDockerRegistry(p, reg->id, "ghcr.io/acme/api:1", ctx);
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
#include "services/integrations.h"

namespace wharf::services {

struct RegistryInput {
  std::optional<std::string> name, host, username, namespace_;
  std::optional<SecretBytes> password;
};

class Registries : public Feature {
 public:
  Registries(Core& core, Integrations& integrations);

  Result<domain::Integration> CreateDockerRegistry(const authz::Principal& p, RegistryInput in, const RequestContext& ctx);
  Result<domain::Integration> UpdateDockerRegistry(const authz::Principal& p, std::string_view id, RegistryInput in,
                                                   const RequestContext& ctx);
  // Verifies pull access to `image` with the stored credential and records the outcome on the row
  // (dockerRegistries.update). A host mismatch is flagged before any network call.
  Result<CheckOutcome> VerifyDockerRegistry(const authz::Principal& p, std::string_view id,
                                            std::optional<std::string> image, const RequestContext& ctx);
  // The same checks on an unsaved body (dockerRegistries.create); nothing is written.
  Result<CheckOutcome> TestDockerRegistry(const authz::Principal& p, RegistryInput in, std::optional<std::string> image,
                                          const RequestContext& ctx);
  // Pull access to `img` with a registry credential: the host (and namespace) match first, with
  // no network call when they differ, then the Registry v2 probe (registries.cc).
  CheckOutcome ProbeRegistryPull(const domain::Integration& row, const SecretBytes& password,
                                 const domain::ImageRef& img);

 private:
  Integrations& integrations_;
};

}  // namespace wharf::services
