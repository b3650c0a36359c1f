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
#include "services/node_target.h"
#include "services/services.h"

namespace wharf::services {

using domain::Action;
using domain::Collection;
using nlohmann::json;

namespace {
tl::unexpected<Error> ServerNotFound() { return Err(ErrorCode::kNotFound, "Server not found in this organisation."); }
tl::unexpected<Error> GroupNotFound() { return Err(ErrorCode::kNotFound, "Security group not found in this organisation."); }

authz::Resource ServerResource(const domain::Server& s) { return authz::Resource{s.id, s.created_by, {}, s.id}; }
authz::Resource GroupResource(const domain::SecurityGroup& g) { return authz::Resource{g.id, g.created_by, {}, {}}; }

std::string ReportJson(const nodes::CheckReport& r, Timestamp at) {
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
  return j.dump();
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

Result<std::vector<domain::SecurityRule>> ValidateRules(const std::vector<domain::RuleInput>& in, const char* field,
                                                        const std::string& ip, std::vector<std::string>* warnings) {
  if (in.size() > 60) return FieldError(field, "has more than 60 rules; split them over several groups");
  std::vector<domain::SecurityRule> out;
  for (size_t i = 0; i < in.size(); ++i) {
    WHARF_ASSIGN_OR_RETURN(auto r, domain::ValidateRule(in[i], std::string(field) + "[" + std::to_string(i) + "]", ip, warnings));
    out.push_back(std::move(r));
  }
  return out;
}
}  // namespace

// ---------------------------------------------------------------- SSH keys: generate, import, download

Result<domain::SshKey> Services::AddSshKey(const authz::Principal& p, SshKeyCreate in, const RequestContext& ctx) {
  WHARF_TRY(Authorize(p, Collection::kSshKeys, Action::kCreate, nullptr, ctx));
  SshKeyInput k{std::move(in.name), std::move(in.public_key), {}};
  if (in.generate) {
    if (k.public_key || in.private_key)
      return FieldError("generate", "cannot be combined with public_key or private_key: either generate a pair or import one");
    WHARF_ASSIGN_OR_RETURN(auto kp, nodes::GenerateKeyPair(*in.generate));
    k.public_key = kp.public_key + " wharf";
    k.private_key = std::move(kp.private_key);
  } else if (in.private_key) {
    WHARF_ASSIGN_OR_RETURN(auto kp, nodes::ImportPrivateKey(*in.private_key, "private_key"));
    if (k.public_key) {
      WHARF_ASSIGN_OR_RETURN(auto given, nodes::FingerprintOf(*k.public_key));
      if (given != kp.fingerprint)
        return FieldError("private_key", "does not match public_key (private key is " + kp.fingerprint +
                                             ", public key is " + given + "); paste the two halves of the same pair");
    } else {
      k.public_key = kp.public_key;
    }
    k.private_key = std::move(kp.private_key);
  }
  return CreateSshKey(p, std::move(k), ctx);
}

Result<std::string> Services::SshPublicKey(const authz::Principal& p, std::string_view id, const RequestContext& ctx) {
  WHARF_ASSIGN_OR_RETURN(auto k, GetSshKey(p, id, ctx));
  return k.public_key + "\n";
}

// ---------------------------------------------------------------- security groups

Status Services::CheckSshStaysOpen(store::Tx& tx, const domain::Server& s, const std::vector<std::string>& group_ids,
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

Result<Page<SecurityGroupView>> Services::ListSecurityGroups(const authz::Principal& p, int limit, std::string_view cursor,
                                                             const RequestContext& ctx) {
  WHARF_TRY(Authorize(p, Collection::kSecurityGroups, Action::kRead, nullptr, ctx));
  WHARF_ASSIGN_OR_RETURN(store::PageQuery q, DecodeCursor(cursor, limit));
  if (authz::ReadsOwnOnly(p, Collection::kSecurityGroups)) q.created_by = p.user_id;
  Page<SecurityGroupView> page;
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto rows, tx.security_groups().List(p.org_id, q));
    for (auto& g : rows) {
      SecurityGroupView v{std::move(g), {}, {}};
      WHARF_ASSIGN_OR_RETURN(auto servers, tx.servers().ListUsingGroup(p.org_id, v.group.id));
      for (auto& s : servers) v.server_ids.push_back(s.id);
      page.items.push_back(std::move(v));
    }
    return Ok();
  }));
  if (static_cast<int>(page.items.size()) > limit) {
    page.items.resize(limit);
    page.next_cursor = EncodeCursor(page.items.back().group.created_at, page.items.back().group.id);
  }
  return page;
}

Result<SecurityGroupView> Services::GetSecurityGroup(const authz::Principal& p, std::string_view id, const RequestContext& ctx) {
  WHARF_TRY(Authorize(p, Collection::kSecurityGroups, Action::kRead, nullptr, ctx, id));
  SecurityGroupView v;
  bool found = false;
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto g, tx.security_groups().Find(p.org_id, id));
    if (!g) return Ok();
    found = true;
    v.group = std::move(*g);
    WHARF_ASSIGN_OR_RETURN(auto servers, tx.servers().ListUsingGroup(p.org_id, id));
    for (auto& s : servers) v.server_ids.push_back(s.id);
    return Ok();
  }));
  if (!found) return GroupNotFound();
  auto r = GroupResource(v.group);
  WHARF_TRY(AuthorizeRow(p, Collection::kSecurityGroups, Action::kRead, r, ctx, id, GroupNotFound));
  return v;
}

Result<SecurityGroupView> Services::CreateSecurityGroup(const authz::Principal& p, SecurityGroupInput in,
                                                        const RequestContext& ctx) {
  WHARF_TRY(Authorize(p, Collection::kSecurityGroups, Action::kCreate, nullptr, ctx));
  if (!in.name) return FieldError("name", "is required");
  if (!in.inbound) return FieldError("inbound", "is required: a list of rules (it may be empty)");
  SecurityGroupView v;
  auto& g = v.group;
  WHARF_ASSIGN_OR_RETURN(g.name, domain::ValidateName(*in.name, "name", 100));
  g.description = in.description.value_or("");
  if (g.description.size() > 255) return FieldError("description", "is longer than 255 characters");
  WHARF_ASSIGN_OR_RETURN(g.inbound, ValidateRules(*in.inbound, "inbound", ctx.ip, &v.warnings));
  if (in.outbound) {
    WHARF_ASSIGN_OR_RETURN(g.outbound, ValidateRules(*in.outbound, "outbound", ctx.ip, &v.warnings));
  } else {
    g.outbound = {{"all-traffic", "all", 0, 0, "0.0.0.0/0", "default: all outbound"},
                  {"all-traffic", "all", 0, 0, "::/0", "default: all outbound"}};
  }
  g.id = ids_.New("sg");
  g.org_id = p.org_id;
  g.created_at = g.updated_at = clock_.Now();
  g.created_by = p.user_id;
  WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
    WHARF_TRY(EnforceCreateLimit(
        p, Collection::kSecurityGroups, [&] { return tx.security_groups().CountCreatedBy(p.org_id, p.user_id); },
        "security groups"));
    WHARF_TRY(tx.security_groups().Insert(g));
    return AuditIn(tx, p, "securityGroups.create", "securityGroups", g.id, ctx, g.name);
  }));
  return v;
}

Result<SecurityGroupView> Services::UpdateSecurityGroup(const authz::Principal& p, std::string_view id,
                                                        SecurityGroupInput in, const RequestContext& ctx) {
  WHARF_TRY(Authorize(p, Collection::kSecurityGroups, Action::kUpdate, nullptr, ctx, id));
  SecurityGroupView v;
  WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto g, tx.security_groups().Find(p.org_id, id));
    if (!g) return GroupNotFound();
    auto r = GroupResource(*g);
    WHARF_TRY(AuthorizeRow(p, Collection::kSecurityGroups, Action::kUpdate, r, ctx, id, GroupNotFound));
    if (in.name) {
      WHARF_ASSIGN_OR_RETURN(g->name, domain::ValidateName(*in.name, "name", 100));
    }
    if (in.description) {
      if (in.description->size() > 255) return FieldError("description", "is longer than 255 characters");
      g->description = *in.description;
    }
    if (in.inbound) {
      WHARF_ASSIGN_OR_RETURN(g->inbound, ValidateRules(*in.inbound, "inbound", ctx.ip, &v.warnings));
    }
    if (in.outbound) {
      WHARF_ASSIGN_OR_RETURN(g->outbound, ValidateRules(*in.outbound, "outbound", ctx.ip, &v.warnings));
    }
    g->updated_at = clock_.Now();
    WHARF_ASSIGN_OR_RETURN(auto servers, tx.servers().ListUsingGroup(p.org_id, id));
    for (auto& s : servers) {
      WHARF_TRY(CheckSshStaysOpen(tx, s, s.security_group_ids, g->id, &*g));
      v.server_ids.push_back(s.id);
    }
    WHARF_TRY(tx.security_groups().Update(*g));
    v.group = *g;
    return AuditIn(tx, p, "securityGroups.update", "securityGroups", g->id, ctx, g->name);
  }));
  return v;
}

Status Services::DeleteSecurityGroup(const authz::Principal& p, std::string_view id, const RequestContext& ctx) {
  WHARF_TRY(Authorize(p, Collection::kSecurityGroups, Action::kDelete, nullptr, ctx, id));
  {
    // The EC2 groups made from it go first (DeleteSecurityGroup on AWS); a failure there keeps the
    // Wharf group, so nothing is left on EC2 that Wharf no longer knows about.
    WHARF_ASSIGN_OR_RETURN(auto v, GetSecurityGroup(p, id, ctx));
    if (v.server_ids.empty()) WHARF_TRY(DeleteEc2GroupsOf(p, v.group, ctx));
  }
  return WriteTx([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto g, tx.security_groups().Find(p.org_id, id));
    if (!g) return GroupNotFound();
    auto r = GroupResource(*g);
    WHARF_TRY(AuthorizeRow(p, Collection::kSecurityGroups, Action::kDelete, r, ctx, id, GroupNotFound));
    WHARF_ASSIGN_OR_RETURN(auto servers, tx.servers().ListUsingGroup(p.org_id, id));
    if (!servers.empty()) {
      json names = json::array();
      for (auto& s : servers) names.push_back({{"id", s.id}, {"name", s.name}});
      auto e = Err(ErrorCode::kConflict, "Security group '" + g->name + "' is attached to " + std::to_string(servers.size()) +
                                             " server(s); detach it from them first.");
      e.value().details = {{"servers", names}};
      return e;
    }
    WHARF_TRY(tx.security_groups().Delete(p.org_id, id));
    return AuditIn(tx, p, "securityGroups.delete", "securityGroups", g->id, ctx, g->name);
  });
}

// ---------------------------------------------------------------- servers

Status Services::RequirePinnedHostKey(const domain::Server& s) {
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

Result<Services::NodeTarget> Services::LoadNodeTarget(store::Tx& tx, const domain::Server& s, bool repinning) {
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

Result<std::pair<domain::Server, Services::NodeTarget>> Services::ServerToUpdate(const authz::Principal& p,
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
    WHARF_ASSIGN_OR_RETURN(t, LoadNodeTarget(tx, *s, repinning));
    return Ok();
  }));
  return std::make_pair(std::move(*s), std::move(*t));
}

nodes::ConnectOptions Services::NodeConnectOptions() const {
  nodes::ConnectOptions co;
  co.allow_private_targets = config_.allow_private_targets;
  co.connect_timeout = std::chrono::milliseconds(config_.connect_timeout_ms);
  co.command_timeout = std::chrono::milliseconds(config_.command_timeout_ms);
  return co;
}

CheckOutcome Services::RunNodeChecks(const NodeTarget& t, domain::Server* record) {
  nodes::CheckOptions o;
  o.connect = NodeConnectOptions();
  o.min_disk_free_mb = config_.min_disk_free_mb;
  o.dns_probe = config_.node_dns_probe;
  o.min_dokku_version = config_.min_dokku_version;
  o.key_label = t.key_label;
  nodes::CheckReport r = nodes::RunChecks(t.target, o);
  Timestamp now = clock_.Now();
  CheckOutcome out{r.ok, ReportJson(r, now)};
  if (record) {
    record->last_check = out.report_json;
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

Result<Page<domain::Server>> Services::ListServers(const authz::Principal& p, int limit, std::string_view cursor,
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

Result<domain::Server> Services::GetServer(const authz::Principal& p, std::string_view id, const RequestContext& ctx) {
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

Status Services::AuthorizeServerReferences(store::Tx& tx, const authz::Principal& p,
                                           const ServerInput& in, const RequestContext& ctx) {
  if (in.ssh_key_id)
    WHARF_TRY(AuthorizeReference(tx, p, Collection::kSshKeys, *in.ssh_key_id, "ssh_key_id", ctx));
  if (in.security_group_ids)
    for (size_t i = 0; i < in.security_group_ids->size(); ++i)
      WHARF_TRY(AuthorizeReference(tx, p, Collection::kSecurityGroups, (*in.security_group_ids)[i],
                                   "security_group_ids[" + std::to_string(i) + "]", ctx));
  return Ok();
}

Result<CheckOutcome> Services::TestServerConnection(const authz::Principal& p, ServerInput in, const RequestContext& ctx) {
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
    WHARF_ASSIGN_OR_RETURN(t, LoadNodeTarget(tx, s));
    return Ok();
  }));
  return RunNodeChecks(*t, nullptr);
}

Result<domain::Server> Services::CreateServer(const authz::Principal& p, ServerInput in, const RequestContext& ctx) {
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
    WHARF_ASSIGN_OR_RETURN(t, LoadNodeTarget(tx, s));
    return Ok();
  }));
  // Test the connection before saving: a server Wharf cannot sign in to is not saved.
  CheckOutcome outcome = RunNodeChecks(*t, &s);
  json report = json::parse(outcome.report_json);
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
    WHARF_TRY(CheckSshStaysOpen(tx, s, s.security_group_ids, "", nullptr));
    WHARF_TRY(tx.servers().Insert(s));
    WHARF_TRY(tx.servers().RecordCheck(s, domain::ServerCheck{0, s.org_id, s.id, s.last_check_at, outcome.ok, 0, outcome.report_json},
                                       config_.check_history));
    return AuditIn(tx, p, "servers.create", "servers", s.id, ctx, s.name + " " + s.host_key_fingerprint);
  }));
  return s;
}

Result<domain::Server> Services::UpdateServer(const authz::Principal& p, std::string_view id, ServerInput in,
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
      WHARF_TRY(LoadNodeTarget(tx, *s, /*repinning=*/true));  // the key exists and has its private half
    }
    WHARF_TRY(RequireGroups(tx, *s));
    if (in.security_group_ids) {
      WHARF_TRY(CheckSshStaysOpen(tx, *s, s->security_group_ids, "", nullptr));
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

Status Services::DeleteServer(const authz::Principal& p, std::string_view id, const RequestContext& ctx) {
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
Result<std::string> DetectFirewall(nodes::Connection& c, const domain::Server& s);
Result<Services::FirewallState> ReadRules(nodes::Connection& c, const domain::Server& s, const std::string& backend);
}  // namespace

Result<CheckOutcome> Services::CheckServer(const authz::Principal& p, std::string_view id, const RequestContext& ctx) {
  WHARF_ASSIGN_OR_RETURN(auto found, ServerToUpdate(p, id, ctx));
  std::optional<domain::Server> s = std::move(found.first);
  std::optional<NodeTarget> t = std::move(found.second);
  CheckOutcome out = RunNodeChecks(*t, &*s);
  // With security groups attached, the check also shows the host firewall rules in force.
  if (!s->security_group_ids.empty() && out.ok) {
    json report = json::parse(out.report_json);
    const nodes::ConnectOptions co = NodeConnectOptions();
    t->target.pinned_host_key = s->host_key_fingerprint;
    nodes::ConnectFailure failure;
    std::string fp;
    if (auto conn = nodes::Connection::Open(t->target, co, &failure, &fp)) {
      auto backend = DetectFirewall(**conn, *s);
      auto rules = backend ? ReadRules(**conn, *s, *backend) : Result<FirewallState>(tl::unexpected(backend.error()));
      if (rules) report["firewall"] = {{"backend", rules->backend}, {"rules_in_force", rules->in_force}};
      else report["firewall"] = {{"error", rules.error().message}};
    }
    out.report_json = report.dump();
  }
  WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
    WHARF_TRY(tx.servers().RecordCheck(*s, domain::ServerCheck{0, s->org_id, s->id, s->last_check_at, out.ok, 0, out.report_json},
                                       config_.check_history));
    return AuditIn(tx, p, "servers.check", "servers", s->id, ctx, out.ok ? "ok" : s->last_error);
  }));
  return out;
}

Result<domain::Server> Services::RepinHostKey(const authz::Principal& p, std::string_view id, const RequestContext& ctx) {
  WHARF_ASSIGN_OR_RETURN(auto found, ServerToUpdate(p, id, ctx, /*repinning=*/true));
  std::optional<domain::Server> s = std::move(found.first);
  std::optional<NodeTarget> t = std::move(found.second);
  // Re-pinning trusts whatever key the server presents now, so it also proves Wharf can sign in
  // with it before it replaces the pin.
  std::string old = s->host_key_fingerprint;
  t->target.pinned_host_key.clear();
  s->host_key_fingerprint.clear();
  CheckOutcome out = RunNodeChecks(*t, &*s);
  if (s->host_key_fingerprint.empty()) {
    auto e = Err(ErrorCode::kValidationFailed, "Wharf could not reach the server to read its host key; nothing was changed. " +
                                                   s->last_error, Layer::kSsh);
    e.value().details = {{"report", json::parse(out.report_json)}};
    return e;
  }
  WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto cur, tx.servers().Find(p.org_id, id));
    if (!cur) return ServerNotFound();
    s->updated_at = clock_.Now();
    WHARF_TRY(tx.servers().RecordCheck(*s, domain::ServerCheck{0, s->org_id, s->id, s->last_check_at, out.ok, 0, out.report_json},
                                       config_.check_history));
    return AuditIn(tx, p, "servers.repin-host-key", "servers", s->id, ctx,
                   (old.empty() ? std::string("(none)") : old) + " -> " + s->host_key_fingerprint);
  }));
  return *s;
}

Result<std::vector<domain::ServerCheck>> Services::ServerCheckHistory(const authz::Principal& p, std::string_view id,
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
Result<nodes::CommandResult> Sudo(nodes::Connection& c, const domain::Server& s, std::vector<std::string> argv,
                                  std::string_view stdin_data = {}) {
  if (s.username != "root") argv.insert(argv.begin(), {"sudo", "-n"});
  return c.Run(argv, stdin_data);
}

// Which firewall the node has: an active ufw is used as it is (never fought); otherwise nftables
// when installed; otherwise an installed (inactive) ufw.
Result<std::string> DetectFirewall(nodes::Connection& c, const domain::Server& s) {
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

Result<Services::FirewallState> ReadRules(nodes::Connection& c, const domain::Server& s, const std::string& backend) {
  if (backend == "ufw") {
    WHARF_ASSIGN_OR_RETURN(auto r, Sudo(c, s, {"ufw", "status", "verbose"}));
    if (r.exit_status != 0)
      return Err(ErrorCode::kValidationFailed, "Reading ufw failed: " + std::string(Trim(r.err)), Layer::kSsh);
    return Services::FirewallState{"ufw", r.out, {}};
  }
  WHARF_ASSIGN_OR_RETURN(auto r, Sudo(c, s, {"nft", "list", "table", "inet", "wharf"}));
  if (r.exit_status != 0) {
    if (r.err.find("No such file") != std::string::npos) return Services::FirewallState{"nftables", "", {}};
    return Err(ErrorCode::kValidationFailed, "Reading the host firewall failed: " + std::string(Trim(r.err)), Layer::kSsh);
  }
  return Services::FirewallState{"nftables", r.out, {}};
}
}  // namespace

Result<Services::FirewallState> Services::ApplyFirewall(const authz::Principal& p, std::string_view id, const RequestContext& ctx) {
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
    WHARF_TRY(CheckSshStaysOpen(tx, *s, s->security_group_ids, "", nullptr));
    WHARF_ASSIGN_OR_RETURN(t, LoadNodeTarget(tx, *s));
    return Ok();
  }));
  if (groups.empty())
    return FieldError("security_group_ids", "is empty: attach a security group to the server before applying its firewall");
  const nodes::ConnectOptions co = NodeConnectOptions();
  t->target.pinned_host_key = s->host_key_fingerprint;
  nodes::ConnectFailure failure;
  std::string fp;
  auto conn = nodes::Connection::Open(t->target, co, &failure, &fp);
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

Result<Services::FirewallState> Services::ReadFirewall(const authz::Principal& p, std::string_view id, const RequestContext& ctx) {
  WHARF_ASSIGN_OR_RETURN(auto s, GetServer(p, id, ctx));
  std::optional<NodeTarget> t;
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(t, LoadNodeTarget(tx, s));
    return Ok();
  }));
  const nodes::ConnectOptions co = NodeConnectOptions();
  nodes::ConnectFailure failure;
  std::string fp;
  auto conn = nodes::Connection::Open(t->target, co, &failure, &fp);
  if (!conn) return Err(ErrorCode::kValidationFailed, "Cannot sign in to the server: " + conn.error().message, conn.error().layer);
  WHARF_ASSIGN_OR_RETURN(std::string backend, DetectFirewall(**conn, s));
  return ReadRules(**conn, s, backend);
}

int Services::RunDueHealthChecks() {
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
        WHARF_ASSIGN_OR_RETURN(t, LoadNodeTarget(tx, s));
        return Ok();
      });
      CheckOutcome out;
      if (!lt) {
        s.status = "unhealthy";
        s.last_error = lt.error().details.value("check", "ssh_auth") + ": " + lt.error().message;
        s.consecutive_failures++;
        s.last_check_at = clock_.Now();
        s.next_check_at = s.last_check_at + config_.health_max_backoff_ms;
        out.report_json = json{{"ok", false}, {"checks", json::array()}, {"error", lt.error().message}}.dump();
      } else {
        out = RunNodeChecks(*t, &s);
      }
      auto wst = store_.Write([&](store::Tx& tx) -> Status {
        return tx.servers().RecordCheck(s, domain::ServerCheck{0, s.org_id, s.id, s.last_check_at, out.ok, 0, out.report_json},
                                        config_.check_history);
      });
      if (!wst) log::Warn("health_check_record_failed", {{"server_id", s.id}, {"error", wst.error().message}});
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

}  // namespace wharf::services
