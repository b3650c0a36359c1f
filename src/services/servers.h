// Worker nodes: saved only once Wharf can sign in (the host key pinned on first use), checked on
// demand and by the health scheduler, onboarded (Dokku and its plugins, as a job) and given
// their security groups as a host firewall. Every node operation goes through NodeAccess and
// the injected nodes::NodeExecutor.
//
//   auto out = svc.servers().TestServerConnection(p, in, ctx);   // nothing saved
//   auto server = svc.servers().CreateServer(p, in, ctx);         // pins the host key
//   auto job = svc.servers().OnboardServer(p, server->id, ctx);   // a queued "onboard" job
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
#include "services/node_access.h"

namespace wharf::services {

struct ServerInput {
  std::optional<std::string> name;
  std::optional<std::string> host;
  std::optional<int> port;
  std::optional<std::string> username;
  std::optional<std::string> ssh_key_id;
  std::optional<std::vector<std::string>> security_group_ids;
};

// The server's security groups as its host firewall (nftables, table `inet wharf`), applied over
// SSH with sudo; answers what the kernel now has in force.
struct FirewallState {
  std::string backend;   // "nftables" or "ufw"
  std::string in_force;  // `nft list table inet wharf` or `ufw status verbose`
  std::vector<std::string> skipped;  // rules the backend cannot express (ufw: ICMP by source)
};

class Servers : public Feature {
 public:
  Servers(Core& core, NodeAccess& node_access);

  Result<Page<domain::Server>> ListServers(const authz::Principal& p, int limit, std::string_view cursor,
                                           const RequestContext& ctx);
  Result<domain::Server> GetServer(const authz::Principal& p, std::string_view id, const RequestContext& ctx);
  // Runs every check on an unsaved body (servers.create); nothing is written.
  Result<CheckOutcome> TestServerConnection(const authz::Principal& p, ServerInput in, const RequestContext& ctx);
  // Tests the connection first; refuses to save when Wharf cannot sign in, pins the host key.
  Result<domain::Server> CreateServer(const authz::Principal& p, ServerInput in, const RequestContext& ctx);
  Result<domain::Server> UpdateServer(const authz::Principal& p, std::string_view id, ServerInput in,
                                      const RequestContext& ctx);
  Status DeleteServer(const authz::Principal& p, std::string_view id, const RequestContext& ctx);
  Result<CheckOutcome> CheckServer(const authz::Principal& p, std::string_view id, const RequestContext& ctx);
  Result<domain::Server> RepinHostKey(const authz::Principal& p, std::string_view id, const RequestContext& ctx);
  Result<std::vector<domain::ServerCheck>> ServerCheckHistory(const authz::Principal& p, std::string_view id, int limit,
                                                              const RequestContext& ctx);
  // The scheduler's tick: checks every due server of every org, `health_concurrency` at a time,
  // and schedules the next check (interval when healthy, exponential backoff when not).
  // Returns how many servers were checked. With several replicas on PostgreSQL only the one that
  // holds the scheduler lock (store::Store::IsScheduler) runs it; the others return 0 at once.
  int RunDueHealthChecks();
  // Installs the pinned Dokku and the standard plugins, doing only what is missing (resumable).
  // Answers at once with the queued job (kind "onboard"); a worker of any replica runs it.
  Result<domain::Job> OnboardServer(const authz::Principal& p, std::string_view id, const RequestContext& ctx);
  // Registers the "onboard" job handler (resumes on takeover: every step is idempotent).
  void RegisterOnboardJobs();
  Result<FirewallState> ApplyFirewall(const authz::Principal& p, std::string_view id, const RequestContext& ctx);
  Result<FirewallState> ReadFirewall(const authz::Principal& p, std::string_view id, const RequestContext& ctx);

 private:
  // The server `id` of p's org, authorized for servers.update (row scopes included), with the
  // decrypted SSH target to reach it.
  Result<std::pair<domain::Server, NodeTarget>> ServerToUpdate(const authz::Principal& p, std::string_view id,
                                                               const RequestContext& ctx, bool repinning = false);
  // The SSH key and security groups a server body names, each authorised as a row
  // (AuthorizeReference), before anything reaches a node.
  Status AuthorizeServerReferences(store::Tx& tx, const authz::Principal& p, const ServerInput& in,
                                   const RequestContext& ctx);
  Status RunOnboarding(JobContext& jc);
  // certificate.expiring (server_certificates.cc): whether this server's certificates are due a
  // read (at most every certificate_check_interval_ms per replica; marks them read), and the
  // read itself: one report entry per Let's Encrypt domain of the server's applications, and
  // the events to emit.
  struct CertificateSweep {
    nlohmann::json report;
    std::vector<notify::Event> events;
  };
  bool CertificatesDue(const std::string& server_id);
  // Whether a check reached the server: it passed, or failed only for low disk.
  static bool Reached(const CheckOutcome& out);
  CertificateSweep SweepCertificates(const domain::Server& s);

  NodeAccess& node_access_;
  std::mutex cert_mu_;
  std::unordered_map<std::string, Timestamp> cert_checked_at_;  // GUARDED_BY(cert_mu_)
};

}  // namespace wharf::services
