// The worker-node checks of docs/troubleshooting/servers.md, as code. Each failure is a distinct,
// named result with its layer and a one-line fix; checks after a failed prerequisite are skipped.
//
//   nodes::CheckReport r = nodes::RunChecks(target, opts);
//   if (!r.ok) for (auto& c : r.checks) if (c.status == "failed") show(c.name, c.code, c.fix);
//
// Thread-safety: RunChecks has no shared state; run many at once on different targets.
#pragma once

#include <string>
#include <vector>

#include "nodes/dokku.h"
#include "nodes/ssh.h"

namespace wharf::nodes {

struct Check {
  std::string name;     // dns, tcp, host_key, ssh_auth, sudo, os, disk, docker, dokku
  std::string status;   // passed, failed, skipped
  std::string code;     // a stable reason for failures, e.g. "connection_refused", "dokku_too_old"
  std::string message;  // what was seen
  std::string layer;    // "ssh" or "network" (API.md layers); empty when passed
  std::string fix;      // one line; empty when passed
};

struct CheckOptions {
  ConnectOptions connect;
  int64_t min_disk_free_mb = 10240;
  std::string dns_probe = "packagecloud.io";  // a name the node must resolve (Dokku's package host)
  std::string min_dokku_version = dokku::MinimumVersion();
  std::string key_label;                      // "'deploy' (SHA256:…)", for the ssh_auth fix
  bool require_dokku = true;                  // false before onboarding (then dokku is informational)
};

struct CheckReport {
  bool ok = false;
  std::vector<Check> checks;
  std::string host_key_fingerprint;  // what the server presented (empty when not reached)
  std::string os;                    // "debian 12"
  std::string dokku_version;         // "0.34.4"
  int64_t disk_free_mb = -1;
  std::string source_address;        // Wharf's address as the node sees it (when connected)
  int64_t duration_ms = 0;
};

CheckReport RunChecks(const Target& t, const CheckOptions& o);

// Compares dotted versions numerically ("0.9.10" < "0.10.0"); non-numeric suffixes are ignored.
int CompareVersions(std::string_view a, std::string_view b);

// The OS releases Dokku supports, e.g. {"debian", "12"}.
bool SupportedOs(std::string_view id, std::string_view version_id);

}  // namespace wharf::nodes
