// How a use case reaches a server's node: the decrypted SSH target of a saved server (refused
// while its host key is not pinned), the connect options from the configuration, and the named
// node checks with their outcome recorded on the row. Everything goes through the injected
// nodes::NodeExecutor (Deps::nodes); nothing here opens a socket itself.
//
//   WHARF_ASSIGN_OR_RETURN(NodeTarget t, node_access.LoadNodeTarget(tx, server));
//   WHARF_ASSIGN_OR_RETURN(auto session, nodes_.Open(t.target, node_access.NodeConnectOptions(), &why, &fp));
//   CheckOutcome out = node_access.RunNodeChecks(t, &server);  // also updates server's health fields
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

// Worker nodes: the decrypted key of a server, the checks, and recording their outcome.

// A server's SSH target with its decrypted key.
struct NodeTarget {
  nodes::Target target;   // holds the decrypted private key: never log, never copy into a job
  std::string key_label;  // "'deploy' (SHA256:…)" for messages
};

class NodeAccess : public Feature {
 public:
  explicit NodeAccess(Core& core);

  // The SSH target of `s` with its decrypted key. A saved server without a pinned host key (its
  // address changed) is refused with kConflict, layer ssh, details {check: "host_key", code:
  // "host_key_not_pinned", fix}: nothing connects there until RepinHostKey (`repinning`).
  Result<NodeTarget> LoadNodeTarget(store::Tx& tx, const domain::Server& s, bool repinning = false);
  // That refusal alone (Ok for an unsaved server or a pinned one).
  static Status RequirePinnedHostKey(const domain::Server& s);
  CheckOutcome RunNodeChecks(const NodeTarget& t, domain::Server* record);
  nodes::ConnectOptions NodeConnectOptions() const;
  Status CheckSshStaysOpen(store::Tx& tx, const domain::Server& s, const std::vector<std::string>& group_ids,
                           const std::string& changed_group_id, const domain::SecurityGroup* changed);
};

}  // namespace wharf::services
