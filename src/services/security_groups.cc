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
#include "services/security_groups.h"

namespace wharf::services {

using domain::Action;
using domain::Collection;
using nlohmann::json;

namespace {
tl::unexpected<Error> GroupNotFound() { return Err(ErrorCode::kNotFound, "Security group not found in this organisation."); }

authz::Resource GroupResource(const domain::SecurityGroup& g) { return authz::Resource{g.id, g.created_by, {}, {}}; }

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


// ---------------------------------------------------------------- security groups

Result<Page<SecurityGroupView>> SecurityGroups::ListSecurityGroups(const authz::Principal& p, int limit, std::string_view cursor,
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

Result<SecurityGroupView> SecurityGroups::GetSecurityGroup(const authz::Principal& p, std::string_view id, const RequestContext& ctx) {
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

Result<SecurityGroupView> SecurityGroups::CreateSecurityGroup(const authz::Principal& p, SecurityGroupInput in,
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

Result<SecurityGroupView> SecurityGroups::UpdateSecurityGroup(const authz::Principal& p, std::string_view id,
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
      WHARF_TRY(node_access_.CheckSshStaysOpen(tx, s, s.security_group_ids, g->id, &*g));
      v.server_ids.push_back(s.id);
    }
    WHARF_TRY(tx.security_groups().Update(*g));
    v.group = *g;
    return AuditIn(tx, p, "securityGroups.update", "securityGroups", g->id, ctx, g->name);
  }));
  return v;
}

Status SecurityGroups::DeleteSecurityGroup(const authz::Principal& p, std::string_view id, const RequestContext& ctx) {
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


SecurityGroups::SecurityGroups(Core& core, Integrations& integrations, NodeAccess& node_access)
    : Feature(core), integrations_(integrations), node_access_(node_access) {}

}  // namespace wharf::services
