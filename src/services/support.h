// Support bundles: an uncompressed tar of what an Admin may send for help (manifest, audit events,
// redacted log lines, servers, a diagnosis, the redacted configuration). No secret goes in.
//
//   WHARF_ASSIGN_OR_RETURN(std::string tar, svc.support().SupportBundle(p, {.since_minutes = 30}, ctx));
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
#include "services/diagnose.h"

namespace wharf::services {

struct BundleInput {
  int64_t since_minutes = 60;
  std::vector<std::string> request_ids;
  std::optional<std::string> error_text;
};

class Support : public Feature {
 public:
  Support(Core& core, Diagnostics& diagnose);

  // An uncompressed tar: manifest.json, audit.jsonl, logs.jsonl, servers.json, diagnose.json,
  // config.json. Admin only. No secret goes in (logs and config are redacted at the source).
  Result<std::string> SupportBundle(const authz::Principal& p, BundleInput in, const RequestContext& ctx);

 private:
  Diagnostics& diagnose_;
};

}  // namespace wharf::services
