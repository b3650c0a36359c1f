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
#include "services/servers.h"

namespace wharf::services {

using domain::Action;
using domain::Collection;
using nlohmann::json;

namespace {
tl::unexpected<Error> ServerNotFound() { return Err(ErrorCode::kNotFound, "Server not found in this organisation."); }
authz::Resource ServerResource(const domain::Server& s) { return authz::Resource{s.id, s.created_by, {}, s.id}; }
}  // namespace

namespace {
Status ValidateServerFields(const ServerInput& in, domain::Server& s, bool allow_private) {
  if (in.name) {
    WHARF_ASSIGN_OR_RETURN(s.name, domain::ValidateName(*in.name, "name", 100));
  }
  if (in.host) {
    WHARF_ASSIGN_OR_RETURN(s.host, domain::ValidateHost(*in.host, "host"));
    if (!allow_private && nodes::IsIpLiteral(s.host) && nodes::IsPrivateAddress(s.host))
      return FieldError("host", "is a loopback, private or link-local address, and this Wharf instance does not allow "
                                "private targets (start wharf with --allow-private-targets to allow them)");
  }
  if (in.port) {
    if (*in.port < 1 || *in.port > 65535) return FieldError("port", "must be 1–65535 (SSH is usually 22)");
    s.port = *in.port;
  }
  if (in.username) {
    WHARF_ASSIGN_OR_RETURN(s.username, domain::ValidateUnixUser(*in.username, "username"));
  }
  if (in.ssh_key_id) s.ssh_key_id = *in.ssh_key_id;
  if (in.security_group_ids) {
    auto ids = *in.security_group_ids;
    std::sort(ids.begin(), ids.end());
    if (std::adjacent_find(ids.begin(), ids.end()) != ids.end()) return FieldError("security_group_ids", "lists a group twice");
    if (ids.size() > 5) return FieldError("security_group_ids", "lists more than 5 groups");
    s.security_group_ids = *in.security_group_ids;
  }
  return Ok();
}

Status RequireGroups(store::Tx& tx, const domain::Server& s) {
  for (size_t i = 0; i < s.security_group_ids.size(); ++i) {
    WHARF_ASSIGN_OR_RETURN(auto g, tx.security_groups().Find(s.org_id, s.security_group_ids[i]));
    if (!g) return FieldError("security_group_ids[" + std::to_string(i) + "]", "names no security group of this organisation");
  }
  return Ok();
}
}  // namespace

Result<std::pair<domain::Server, NodeTarget>> Servers::ServerToUpdate(const authz::Principal& p,
                                                                                 std::string_view id,
                                                                                 const RequestContext& ctx,
                                                                                 bool repinning) {
  const authz::Resource pre{id, p.user_id, {}, id};  // the id decides resource_scope before the row is read
  WHARF_TRY(Authorize(p, Collection::kServers, Action::kUpdate, &pre, ctx, id));
  std::optional<domain::Server> s;
  std::optional<NodeTarget> t;
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(s, tx.servers().Find(p.org_id, id));
    if (!s) return ServerNotFound();
    auto r = ServerResource(*s);
    WHARF_TRY(AuthorizeRow(p, Collection::kServers, Action::kUpdate, r, ctx, id, ServerNotFound));
    WHARF_ASSIGN_OR_RETURN(t, node_access_.LoadNodeTarget(tx, *s, repinning));
    return Ok();
  }));
  return std::make_pair(std::move(*s), std::move(*t));
}

Result<Page<domain::Server>> Servers::ListServers(const authz::Principal& p, int limit, std::string_view cursor,
                                                   const RequestContext& ctx) {
  WHARF_TRY(Authorize(p, Collection::kServers, Action::kRead, nullptr, ctx));
  WHARF_ASSIGN_OR_RETURN(store::PageQuery q, DecodeCursor(cursor, limit));
  if (authz::ReadsOwnOnly(p, Collection::kServers)) q.created_by = p.user_id;
  Page<domain::Server> page;
  bool more = false;
  // resource_scope filters rows after the query, so keep reading pages until this one is full.
  while (true) {
    std::vector<domain::Server> rows;
    WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
      WHARF_ASSIGN_OR_RETURN(rows, tx.servers().List(p.org_id, q));
      return Ok();
    }));
    more = static_cast<int>(rows.size()) > limit;
    if (more) rows.resize(limit);
    for (auto& s : rows) {
      auto r = ServerResource(s);
      if (authz::Check(p, Collection::kServers, Action::kRead, &r).allowed() &&
          static_cast<int>(page.items.size()) < limit)
        page.items.push_back(s);
    }
    if (!more || static_cast<int>(page.items.size()) >= limit || rows.empty()) break;
    q.after_created_at = rows.back().created_at;
    q.after_id = rows.back().id;
  }
  if (more && !page.items.empty()) page.next_cursor = EncodeCursor(page.items.back().created_at, page.items.back().id);
  return page;
}

Result<domain::Server> Servers::GetServer(const authz::Principal& p, std::string_view id, const RequestContext& ctx) {
  const authz::Resource pre{id, p.user_id, {}, id};
  WHARF_TRY(Authorize(p, Collection::kServers, Action::kRead, &pre, ctx, id));
  std::optional<domain::Server> s;
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(s, tx.servers().Find(p.org_id, id));
    return Ok();
  }));
  if (!s) return ServerNotFound();
  auto r = ServerResource(*s);
  WHARF_TRY(AuthorizeRow(p, Collection::kServers, Action::kRead, r, ctx, id, ServerNotFound));
  return *s;
}

Status Servers::AuthorizeServerReferences(store::Tx& tx, const authz::Principal& p,
                                           const ServerInput& in, const RequestContext& ctx) {
  if (in.ssh_key_id)
    WHARF_TRY(AuthorizeReference(tx, p, Collection::kSshKeys, *in.ssh_key_id, "ssh_key_id", ctx));
  if (in.security_group_ids)
    for (size_t i = 0; i < in.security_group_ids->size(); ++i)
      WHARF_TRY(AuthorizeReference(tx, p, Collection::kSecurityGroups, (*in.security_group_ids)[i],
                                   "security_group_ids[" + std::to_string(i) + "]", ctx));
  return Ok();
}

Result<CheckOutcome> Servers::TestServerConnection(const authz::Principal& p, ServerInput in, const RequestContext& ctx) {
  WHARF_TRY(Authorize(p, Collection::kServers, Action::kCreate, nullptr, ctx));
  domain::Server s;
  s.org_id = p.org_id;
  if (!in.host) return FieldError("host", "is required: the server's IP address or DNS name");
  if (!in.username) return FieldError("username", "is required, e.g. 'root' or a user with passwordless sudo");
  if (!in.ssh_key_id) return FieldError("ssh_key_id", "is required: the SSH key Wharf signs in with");
  WHARF_TRY(ValidateServerFields(in, s, config_.allow_private_targets));
  std::optional<NodeTarget> t;
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    WHARF_TRY(AuthorizeServerReferences(tx, p, in, ctx));
    WHARF_ASSIGN_OR_RETURN(t, node_access_.LoadNodeTarget(tx, s));
    return Ok();
  }));
  return node_access_.RunNodeChecks(*t, nullptr);
}

Result<domain::Server> Servers::CreateServer(const authz::Principal& p, ServerInput in, const RequestContext& ctx) {
  WHARF_TRY(Authorize(p, Collection::kServers, Action::kCreate, nullptr, ctx));
  if (!in.name) return FieldError("name", "is required");
  if (!in.host) return FieldError("host", "is required: the server's IP address or DNS name");
  if (!in.username) return FieldError("username", "is required, e.g. 'root' or a user with passwordless sudo");
  if (!in.ssh_key_id) return FieldError("ssh_key_id", "is required: the SSH key Wharf signs in with");
  domain::Server s;
  s.org_id = p.org_id;
  WHARF_TRY(ValidateServerFields(in, s, config_.allow_private_targets));
  std::optional<NodeTarget> t;
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    WHARF_TRY(AuthorizeServerReferences(tx, p, in, ctx));
    WHARF_TRY(RequireGroups(tx, s));
    WHARF_ASSIGN_OR_RETURN(t, node_access_.LoadNodeTarget(tx, s));
    return Ok();
  }));
  // Test the connection before saving: a server Wharf cannot sign in to is not saved.
  CheckOutcome outcome = node_access_.RunNodeChecks(*t, &s);
  json report = outcome.report;
  for (auto& c : report["checks"]) {
    std::string name = c["name"];
    if ((name == "dns" || name == "tcp" || name == "host_key" || name == "ssh_auth") && c["status"] == "failed") {
      auto e = Err(ErrorCode::kValidationFailed,
                   "Wharf cannot sign in to " + s.host + ":" + std::to_string(s.port) + " (" + name + ": " +
                       c["message"].get<std::string>() + "). " + c.value("fix", ""),
                   name == "dns" || name == "tcp" ? Layer::kNetwork : Layer::kSsh);
      e.value().details = {{"check", name}, {"code", c.value("code", "")}, {"report", report}};
      return e;
    }
  }
  s.id = ids_.New("srv");
  s.created_at = s.updated_at = clock_.Now();
  s.created_by = p.user_id;
  WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
    WHARF_TRY(EnforceCreateLimit(p, Collection::kServers, [&] { return tx.servers().CountCreatedBy(p.org_id, p.user_id); },
                                 "servers"));
    WHARF_TRY(AuthorizeServerReferences(tx, p, in, ctx));
    WHARF_TRY(RequireGroups(tx, s));
    WHARF_TRY(node_access_.CheckSshStaysOpen(tx, s, s.security_group_ids, "", nullptr));
    WHARF_TRY(tx.servers().Insert(s));
    WHARF_TRY(tx.servers().RecordCheck(s, domain::ServerCheck{0, s.org_id, s.id, s.last_check_at, outcome.ok, 0, outcome.report.dump()},
                                       config_.check_history));
    return AuditIn(tx, p, "servers.create", "servers", s.id, ctx, s.name + " " + s.host_key_fingerprint);
  }));
  return s;
}

Result<domain::Server> Servers::UpdateServer(const authz::Principal& p, std::string_view id, ServerInput in,
                                              const RequestContext& ctx) {
  const authz::Resource pre{id, p.user_id, {}, id};  // the id decides resource_scope before the row is read
  WHARF_TRY(Authorize(p, Collection::kServers, Action::kUpdate, &pre, ctx, id));
  domain::Server out;
  WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto s, tx.servers().Find(p.org_id, id));
    if (!s) return ServerNotFound();
    auto r = ServerResource(*s);
    WHARF_TRY(AuthorizeRow(p, Collection::kServers, Action::kUpdate, r, ctx, id, ServerNotFound));
    std::string old_host = s->host;
    int old_port = s->port;
    WHARF_TRY(AuthorizeServerReferences(tx, p, in, ctx));
    WHARF_TRY(ValidateServerFields(in, *s, config_.allow_private_targets));
    if (in.ssh_key_id) {
      WHARF_TRY(node_access_.LoadNodeTarget(tx, *s, /*repinning=*/true));  // the key exists and has its private half
    }
    WHARF_TRY(RequireGroups(tx, *s));
    if (in.security_group_ids) {
      WHARF_TRY(node_access_.CheckSshStaysOpen(tx, *s, s->security_group_ids, "", nullptr));
    }
    std::string moved;
    if (s->host != old_host) moved = "host";
    if (s->port != old_port) moved += std::string(moved.empty() ? "" : ", ") + "port";
    if (!moved.empty()) {
      // A new address is a new host: its key is pinned only by an explicit re-pin, and until then
      // nothing connects there (LoadNodeTarget).
      s->host_key_fingerprint.clear();
      s->status = "unknown";
      s->last_error = "host_key: the address changed; re-pin the host key (servers.update) before Wharf connects";
    }
    s->updated_at = clock_.Now();
    WHARF_TRY(tx.servers().Update(*s));
    out = *s;
    return AuditIn(tx, p, "servers.update", "servers", s->id, ctx,
                   moved.empty() ? s->name : s->name + " (changed: " + moved + "; host key unpinned, re-pin required)");
  }));
  return out;
}

Status Servers::DeleteServer(const authz::Principal& p, std::string_view id, const RequestContext& ctx) {
  const authz::Resource pre{id, p.user_id, {}, id};  // the id decides resource_scope before the row is read
  WHARF_TRY(Authorize(p, Collection::kServers, Action::kDelete, &pre, ctx, id));
  return WriteTx([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto s, tx.servers().Find(p.org_id, id));
    if (!s) return ServerNotFound();
    auto r = ServerResource(*s);
    WHARF_TRY(AuthorizeRow(p, Collection::kServers, Action::kDelete, r, ctx, id, ServerNotFound));
    WHARF_TRY(tx.servers().Delete(p.org_id, id));
    return AuditIn(tx, p, "servers.delete", "servers", s->id, ctx, s->name);
  });
}

namespace {
Result<std::string> DetectFirewall(nodes::Session& c, const domain::Server& s);
Result<FirewallState> ReadRules(nodes::Session& c, const domain::Server& s, const std::string& backend);
}  // namespace

Result<CheckOutcome> Servers::CheckServer(const authz::Principal& p, std::string_view id, const RequestContext& ctx) {
  WHARF_ASSIGN_OR_RETURN(auto found, ServerToUpdate(p, id, ctx));
  std::optional<domain::Server> s = std::move(found.first);
  std::optional<NodeTarget> t = std::move(found.second);
  CheckOutcome out = node_access_.RunNodeChecks(*t, &*s);
  // The certificates its applications' domains serve (not throttled: someone asked).
  CertificateSweep certs;
  if (Reached(out)) {
    certs = SweepCertificates(*s);
    if (!certs.report.empty()) out.report["certificates"] = certs.report;
  }
  // With security groups attached, the check also shows the host firewall rules in force.
  if (!s->security_group_ids.empty() && out.ok) {
    json report = out.report;
    const nodes::ConnectOptions co = node_access_.NodeConnectOptions();
    t->target.pinned_host_key = s->host_key_fingerprint;
    nodes::ConnectFailure failure;
    std::string fp;
    if (auto conn = nodes_.Open(t->target, co, &failure, &fp)) {
      auto backend = DetectFirewall(**conn, *s);
      auto rules = backend ? ReadRules(**conn, *s, *backend) : Result<FirewallState>(tl::unexpected(backend.error()));
      if (rules) report["firewall"] = {{"backend", rules->backend}, {"rules_in_force", rules->in_force}};
      else report["firewall"] = {{"error", rules.error().message}};
    }
    out.report = report;
  }
  s->last_check = out.report.dump();
  WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
    WHARF_TRY(tx.servers().RecordCheck(*s, domain::ServerCheck{0, s->org_id, s->id, s->last_check_at, out.ok, 0, out.report.dump()},
                                       config_.check_history));
    for (auto& e : certs.events) WHARF_TRY(core_.Notify(tx, s->org_id, std::move(e)));
    return AuditIn(tx, p, "servers.check", "servers", s->id, ctx, out.ok ? "ok" : s->last_error);
  }));
  if (!certs.events.empty()) WakeJobWorkers();
  return out;
}

Result<domain::Server> Servers::RepinHostKey(const authz::Principal& p, std::string_view id, const RequestContext& ctx) {
  WHARF_ASSIGN_OR_RETURN(auto found, ServerToUpdate(p, id, ctx, /*repinning=*/true));
  std::optional<domain::Server> s = std::move(found.first);
  std::optional<NodeTarget> t = std::move(found.second);
  // Re-pinning trusts whatever key the server presents now, so it also proves Wharf can sign in
  // with it before it replaces the pin.
  std::string old = s->host_key_fingerprint;
  t->target.pinned_host_key.clear();
  s->host_key_fingerprint.clear();
  CheckOutcome out = node_access_.RunNodeChecks(*t, &*s);
  if (s->host_key_fingerprint.empty()) {
    auto e = Err(ErrorCode::kValidationFailed, "Wharf could not reach the server to read its host key; nothing was changed. " +
                                                   s->last_error, Layer::kSsh);
    e.value().details = {{"report", out.report}};
    return e;
  }
  WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto cur, tx.servers().Find(p.org_id, id));
    if (!cur) return ServerNotFound();
    s->updated_at = clock_.Now();
    WHARF_TRY(tx.servers().RecordCheck(*s, domain::ServerCheck{0, s->org_id, s->id, s->last_check_at, out.ok, 0, out.report.dump()},
                                       config_.check_history));
    return AuditIn(tx, p, "servers.repin-host-key", "servers", s->id, ctx,
                   (old.empty() ? std::string("(none)") : old) + " -> " + s->host_key_fingerprint);
  }));
  return *s;
}

Result<std::vector<domain::ServerCheck>> Servers::ServerCheckHistory(const authz::Principal& p, std::string_view id,
                                                                      int limit, const RequestContext& ctx) {
  WHARF_TRY(GetServer(p, id, ctx));
  std::vector<domain::ServerCheck> out;
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(out, tx.servers().ListChecks(p.org_id, id, limit));
    return Ok();
  }));
  return out;
}

namespace {
// Runs `argv` (with sudo unless root) and maps a missing nft to a precise error.
Result<nodes::CommandResult> Sudo(nodes::Session& c, const domain::Server& s, std::vector<std::string> argv,
                                  std::string_view stdin_data = {}) {
  if (s.username != "root") argv.insert(argv.begin(), {"sudo", "-n"});
  return c.Run(argv, stdin_data);
}

// Which firewall the node has: an active ufw is used as it is (never fought); otherwise nftables
// when installed; otherwise an installed (inactive) ufw.
Result<std::string> DetectFirewall(nodes::Session& c, const domain::Server& s) {
  WHARF_ASSIGN_OR_RETURN(auto ufw, Sudo(c, s, {"ufw", "status"}));
  const bool ufw_present = ufw.exit_status == 0;
  if (ufw_present && ufw.out.find("Status: active") != std::string::npos) return std::string("ufw");
  WHARF_ASSIGN_OR_RETURN(auto nft, Sudo(c, s, {"nft", "--version"}));
  if (nft.exit_status == 0) return std::string("nftables");
  if (ufw_present) return std::string("ufw");
  if (ufw.exit_status == 1 && ufw.err.find("sudo") != std::string::npos)
    return Err(ErrorCode::kValidationFailed, "Changing the firewall needs passwordless sudo for " + s.username + ".", Layer::kSsh);
  return Err(ErrorCode::kValidationFailed,
             "Neither nftables nor ufw is installed on the server; install one (apt-get install nftables).", Layer::kSsh);
}

Result<FirewallState> ReadRules(nodes::Session& c, const domain::Server& s, const std::string& backend) {
  if (backend == "ufw") {
    WHARF_ASSIGN_OR_RETURN(auto r, Sudo(c, s, {"ufw", "status", "verbose"}));
    if (r.exit_status != 0)
      return Err(ErrorCode::kValidationFailed, "Reading ufw failed: " + std::string(Trim(r.err)), Layer::kSsh);
    return FirewallState{"ufw", r.out, {}};
  }
  WHARF_ASSIGN_OR_RETURN(auto r, Sudo(c, s, {"nft", "list", "table", "inet", "wharf"}));
  if (r.exit_status != 0) {
    if (r.err.find("No such file") != std::string::npos) return FirewallState{"nftables", "", {}};
    return Err(ErrorCode::kValidationFailed, "Reading the host firewall failed: " + std::string(Trim(r.err)), Layer::kSsh);
  }
  return FirewallState{"nftables", r.out, {}};
}
}  // namespace

Result<FirewallState> Servers::ApplyFirewall(const authz::Principal& p, std::string_view id, const RequestContext& ctx) {
  const authz::Resource pre{id, p.user_id, {}, id};
  WHARF_TRY(Authorize(p, Collection::kServers, Action::kUpdate, &pre, ctx, id));
  std::optional<domain::Server> s;
  std::optional<NodeTarget> t;
  std::vector<domain::SecurityGroup> groups;
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(s, tx.servers().Find(p.org_id, id));
    if (!s) return ServerNotFound();
    auto r = ServerResource(*s);
    WHARF_TRY(AuthorizeRow(p, Collection::kServers, Action::kUpdate, r, ctx, id, ServerNotFound));
    for (auto& gid : s->security_group_ids) {
      WHARF_ASSIGN_OR_RETURN(auto g, tx.security_groups().Find(p.org_id, gid));
      if (g) groups.push_back(std::move(*g));
    }
    WHARF_TRY(node_access_.CheckSshStaysOpen(tx, *s, s->security_group_ids, "", nullptr));
    WHARF_ASSIGN_OR_RETURN(t, node_access_.LoadNodeTarget(tx, *s));
    return Ok();
  }));
  if (groups.empty())
    return FieldError("security_group_ids", "is empty: attach a security group to the server before applying its firewall");
  const nodes::ConnectOptions co = node_access_.NodeConnectOptions();
  t->target.pinned_host_key = s->host_key_fingerprint;
  nodes::ConnectFailure failure;
  std::string fp;
  auto conn = nodes_.Open(t->target, co, &failure, &fp);
  if (!conn) return Err(ErrorCode::kValidationFailed, "Cannot sign in to the server: " + conn.error().message, conn.error().layer);
  WHARF_ASSIGN_OR_RETURN(std::string backend, DetectFirewall(**conn, *s));
  std::vector<std::string> skipped;
  if (backend == "nftables") {
    const std::string script = domain::NftRuleset(groups);
    WHARF_ASSIGN_OR_RETURN(auto applied, Sudo(**conn, *s, {"nft", "-f", "-"}, script));
    if (applied.exit_status != 0)
      return Err(ErrorCode::kValidationFailed, "nftables refused the ruleset: " + std::string(Trim(applied.err)), Layer::kSsh);
  } else {
    // ufw has no atomic replace: reset, then add every rule (SSH first: the lock-out guard holds).
    for (auto& argv : domain::UfwCommands(groups, &skipped)) {
      WHARF_ASSIGN_OR_RETURN(auto r, Sudo(**conn, *s, argv));
      if (r.exit_status != 0)
        return Err(ErrorCode::kValidationFailed, "ufw refused `" + nodes::CommandLine(argv) + "`: " + std::string(Trim(r.err)),
                   Layer::kSsh);
    }
  }
  WHARF_ASSIGN_OR_RETURN(auto state, ReadRules(**conn, *s, backend));
  state.skipped = skipped;
  WHARF_TRY(WriteTx([&](store::Tx& tx) {
    return AuditIn(tx, p, "servers.apply-firewall", "servers", s->id, ctx, std::to_string(groups.size()) + " group(s)");
  }));
  return state;
}

Result<FirewallState> Servers::ReadFirewall(const authz::Principal& p, std::string_view id, const RequestContext& ctx) {
  WHARF_ASSIGN_OR_RETURN(auto s, GetServer(p, id, ctx));
  std::optional<NodeTarget> t;
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(t, node_access_.LoadNodeTarget(tx, s));
    return Ok();
  }));
  const nodes::ConnectOptions co = node_access_.NodeConnectOptions();
  nodes::ConnectFailure failure;
  std::string fp;
  auto conn = nodes_.Open(t->target, co, &failure, &fp);
  if (!conn) return Err(ErrorCode::kValidationFailed, "Cannot sign in to the server: " + conn.error().message, conn.error().layer);
  WHARF_ASSIGN_OR_RETURN(std::string backend, DetectFirewall(**conn, s));
  return ReadRules(**conn, s, backend);
}

bool Servers::Reached(const CheckOutcome& out) {
  // A check that fails only for low disk still reached the server: that is server.disk_low,
  // not server.unreachable.
  if (out.ok) return true;
  if (!out.report.contains("checks")) return false;
  int failed = 0, disk = 0;
  for (const auto& c : out.report["checks"]) {
    if (c.value("status", "") != "failed") continue;
    ++failed;
    disk += c.value("code", "") == "disk_low";
  }
  return failed > 0 && failed == disk;
}

int Servers::RunDueHealthChecks() {
  // With several replicas on PostgreSQL only one runs the sweep (the others return at once).
  if (!store_.IsScheduler()) return 0;
  std::vector<domain::Server> due;
  auto st = store_.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(due, tx.servers().ListDue(clock_.Now(), 10'000));
    return Ok();
  });
  if (!st || due.empty()) return 0;
  auto started = std::chrono::steady_clock::now();
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i; (i = next.fetch_add(1)) < due.size();) {
      domain::Server& s = due[i];
      std::optional<NodeTarget> t;
      auto lt = store_.Read([&](store::Tx& tx) -> Status {
        WHARF_ASSIGN_OR_RETURN(t, node_access_.LoadNodeTarget(tx, s));
        return Ok();
      });
      CheckOutcome out;
      CertificateSweep certs;
      if (!lt) {
        s.status = "unhealthy";
        s.last_error = lt.error().details.value("check", "ssh_auth") + ": " + lt.error().message;
        s.consecutive_failures++;
        s.last_check_at = clock_.Now();
        s.next_check_at = s.last_check_at + config_.health_max_backoff_ms;
        out.report = json{{"ok", false}, {"checks", json::array()}, {"error", lt.error().message}};
      } else {
        out = node_access_.RunNodeChecks(*t, &s);
      }
      const bool reachable = Reached(out);
      // The certificates its applications' domains serve, read from a server that answers.
      if (reachable && CertificatesDue(s.id)) {
        certs = SweepCertificates(s);
        if (!certs.report.empty()) {
          out.report["certificates"] = certs.report;
          s.last_check = out.report.dump();
        }
      }
      auto wst = store_.Write([&](store::Tx& tx) -> Status {
        WHARF_TRY(tx.servers().RecordCheck(s, domain::ServerCheck{0, s.org_id, s.id, s.last_check_at, out.ok, 0, out.report.dump()},
                                           config_.check_history));
        for (auto& e : certs.events) WHARF_TRY(core_.Notify(tx, s.org_id, std::move(e)));
        if (!core_.notifier) return Ok();
        return core_.notifier->ObserveServerHealth(tx, s, reachable, s.last_error,
                                                   out.report.value("disk_free_mb", int64_t{-1}));
      });
      if (!wst) log::Warn("health_check_record_failed", {{"server_id", s.id}, {"error", wst.error().message}});
      if (wst && !certs.events.empty()) WakeJobWorkers();
    }
  };
  int n = std::max(1, std::min<int>(config_.health_concurrency, static_cast<int>(due.size())));
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i) threads.emplace_back(worker);
  for (auto& th : threads) th.join();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
  log::Info("health_checks_ran", {{"servers", due.size()}, {"concurrency", n}, {"duration_ms", ms}});
  return static_cast<int>(due.size());
}

Servers::Servers(Core& core, NodeAccess& node_access) : Feature(core), node_access_(node_access) {}

}  // namespace wharf::services
