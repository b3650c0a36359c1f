// Worker nodes and security groups. Servers follow the SSH-key pattern (authorize with the row as
// Resource → validate → one transaction → audit); the SSH work happens outside transactions, and
// its outcome is written in one.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <thread>

#include <nlohmann/json.hpp>

#include "base/log.h"
#include "domain/firewall.h"
#include "base/strings.h"
#include "nodes/checks.h"
#include "nodes/keys.h"
#include "services/node_access.h"

namespace wharf::services {

using domain::Action;
using domain::Collection;
using nlohmann::json;

namespace {
json ReportJson(const nodes::CheckReport& r, Timestamp at) {
  json checks = json::array();
  for (auto& c : r.checks) {
    json j = {{"name", c.name}, {"status", c.status}, {"message", c.message}};
    if (!c.code.empty()) j["code"] = c.code;
    if (!c.layer.empty()) j["layer"] = c.layer;
    if (!c.fix.empty()) j["fix"] = c.fix;
    checks.push_back(std::move(j));
  }
  json j = {{"ok", r.ok}, {"checks", checks}, {"duration_ms", r.duration_ms}, {"at", at}};
  if (!r.host_key_fingerprint.empty()) j["host_key_fingerprint"] = r.host_key_fingerprint;
  if (!r.os.empty() && r.os != " ") j["os"] = r.os;
  if (!r.dokku_version.empty()) j["dokku_version"] = r.dokku_version;
  if (r.disk_free_mb >= 0) j["disk_free_mb"] = r.disk_free_mb;
  return j;
}

const nodes::Check* FirstFailure(const nodes::CheckReport& r) {
  for (auto& c : r.checks)
    if (c.status == "failed") return &c;
  return nullptr;
}

bool RuleKeepsSsh(const domain::SecurityRule& r, int port, const std::string& source) {
  if (r.protocol != "tcp" && r.protocol != "all") return false;
  if (r.protocol == "tcp" && (port < r.from_port || port > r.to_port)) return false;
  return source.empty() || domain::CidrContains(r.source, source);
}

}  // namespace


// ---------------------------------------------------------------- servers

Status NodeAccess::RequirePinnedHostKey(const domain::Server& s) {
  if (s.id.empty() || !s.host_key_fingerprint.empty()) return Ok();
  // Its address changed (UpdateServer): whoever answers there now is not trusted on first use,
  // or a changed host would receive the deploys, backups and variables meant for the old one.
  auto e = Err(ErrorCode::kConflict,
               "Server '" + s.name + "' now points at " + s.host + ":" + std::to_string(s.port) +
                   ", whose host key is not pinned: Wharf connects to it for nothing (check, deploy, backup, "
                   "onboarding) until someone with servers.update confirms the host and re-pins its key.",
               Layer::kSsh);
  e.value().details = {{"check", "host_key"}, {"code", "host_key_not_pinned"},
                       {"fix", "POST …/servers/" + s.id + "/repin-host-key (Re-pin host key on the server's page)."}};
  return e;
}

Result<NodeTarget> NodeAccess::LoadNodeTarget(store::Tx& tx, const domain::Server& s, bool repinning) {
  if (!repinning) WHARF_TRY(RequirePinnedHostKey(s));
  WHARF_ASSIGN_OR_RETURN(auto key, tx.ssh_keys().Find(s.org_id, s.ssh_key_id));
  if (!key) return FieldError("ssh_key_id", "names no SSH key of this organisation");
  if (key->private_key_sealed.empty())
    return FieldError("ssh_key_id", "SSH key '" + key->name + "' has no private key, and Wharf needs it to sign in: "
                                    "generate a key in Wharf or import the private half");
  WHARF_ASSIGN_OR_RETURN(auto org, tx.orgs().FindById(s.org_id));
  if (!org) return Err(ErrorCode::kNotFound, "Organisation not found.");
  WHARF_ASSIGN_OR_RETURN(auto pem, envelope_.Open(org->wrapped_data_key, {s.org_id, "sshKeys", key->id, "private_key"},
                                                  key->private_key_sealed));
  NodeTarget t;
  t.target.host = s.host;
  t.target.port = s.port;
  t.target.username = s.username;
  t.target.private_key = std::move(pem);
  t.target.pinned_host_key = s.host_key_fingerprint;
  t.key_label = "'" + key->name + "' (" + key->fingerprint + ")";
  return t;
}

nodes::ConnectOptions NodeAccess::NodeConnectOptions() const {
  nodes::ConnectOptions co;
  co.allow_private_targets = config_.allow_private_targets;
  co.connect_timeout = std::chrono::milliseconds(config_.connect_timeout_ms);
  co.command_timeout = std::chrono::milliseconds(config_.command_timeout_ms);
  return co;
}

CheckOutcome NodeAccess::RunNodeChecks(const NodeTarget& t, domain::Server* record) {
  nodes::CheckOptions o;
  o.connect = NodeConnectOptions();
  o.min_disk_free_mb = config_.min_disk_free_mb;
  o.dns_probe = config_.node_dns_probe;
  o.min_dokku_version = config_.min_dokku_version;
  o.key_label = t.key_label;
  nodes::CheckReport r = nodes_.RunChecks(t.target, o);
  Timestamp now = clock_.Now();
  CheckOutcome out{r.ok, ReportJson(r, now)};
  if (record) {
    record->last_check = out.report.dump();
    record->last_check_at = now;
    const nodes::Check* f = FirstFailure(r);
    record->last_error = f ? f->name + ": " + f->message : "";
    record->status = r.ok ? "healthy" : "unhealthy";
    record->consecutive_failures = r.ok ? 0 : record->consecutive_failures + 1;
    int64_t wait = config_.health_interval_ms;
    if (!r.ok) {
      // Backoff: 30 s, 1 min, 2 min, ... capped; a failing server is retried sooner than the interval at first.
      wait = std::min<int64_t>(config_.health_max_backoff_ms, 30'000LL << std::min(record->consecutive_failures - 1, 12));
    }
    record->next_check_at = now + wait;
    // TOFU: pin on the first connection that got as far as the host key and was not refused for it.
    bool key_ok = std::none_of(r.checks.begin(), r.checks.end(), [](auto& c) { return c.name == "host_key" && c.status != "passed"; });
    if (record->host_key_fingerprint.empty() && key_ok && !r.host_key_fingerprint.empty())
      record->host_key_fingerprint = r.host_key_fingerprint;
    if (!r.source_address.empty()) record->source_address = r.source_address;
  }
  return out;
}


Status NodeAccess::CheckSshStaysOpen(store::Tx& tx, const domain::Server& s, const std::vector<std::string>& group_ids,
                                   const std::string& changed_group_id, const domain::SecurityGroup* changed) {
  if (group_ids.empty()) return Ok();  // the firewall is not managed by Wharf
  for (const auto& gid : group_ids) {
    const domain::SecurityGroup* g = nullptr;
    std::optional<domain::SecurityGroup> loaded;
    if (gid == changed_group_id) {
      g = changed;
    } else {
      WHARF_ASSIGN_OR_RETURN(loaded, tx.security_groups().Find(s.org_id, gid));
      if (loaded) g = &*loaded;
    }
    if (!g) continue;
    for (auto& r : g->inbound)
      if (RuleKeepsSsh(r, s.port, s.source_address)) return Ok();
  }
  std::string from = s.source_address.empty() ? "any address" : s.source_address;
  auto e = Err(ErrorCode::kConflict,
               "This change would close SSH (TCP " + std::to_string(s.port) + ") from Wharf (" + from + ") on server '" +
                   s.name + "', and Wharf would lose access to it. Keep an inbound rule allowing TCP " +
                   std::to_string(s.port) + " from " + (s.source_address.empty() ? "Wharf's address" : s.source_address + "/32") +
                   " (or a CIDR containing it) in one of the server's security groups.",
               Layer::kNetwork);
  e.value().details = {{"reason", "ssh_lockout"}, {"server_id", s.id}, {"server", s.name}, {"port", s.port},
                       {"source", s.source_address}};
  return e;
}

NodeAccess::NodeAccess(Core& core) : Feature(core) {}

}  // namespace wharf::services
