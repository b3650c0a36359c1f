// Security groups: validated inbound/outbound rules that become a server's host firewall, never
// closing SSH from Wharf, and their copies on EC2 (sync, drift, delete) through a cloud account.
//
//   auto g = svc.security_groups().CreateSecurityGroup(p, {.name = "web", .inbound = rules}, ctx);
//   auto out = svc.security_groups().SyncSecurityGroupToEc2(p, g->group.id, {.cloud_account_id = acc}, ctx);
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
#include "services/node_access.h"

namespace wharf::services {

struct SecurityGroupInput {
  std::optional<std::string> name;
  std::optional<std::string> description;
  std::optional<std::vector<domain::RuleInput>> inbound, outbound;
};

struct SecurityGroupView {
  domain::SecurityGroup group;
  std::vector<std::string> warnings;  // normalised CIDRs, named by field
  std::vector<std::string> server_ids;
};

// Where an org security group goes on EC2.
struct Ec2SyncInput {
  std::optional<std::string> cloud_account_id, region, vpc_id;
};

// A sync, drift or delete answer: a JSON document with `ok` and `steps` (check-shaped items).
struct Ec2Outcome {
  bool ok = false;
  nlohmann::json report = nlohmann::json::object();
};

class SecurityGroups : public Feature {
 public:
  SecurityGroups(Core& core, Integrations& integrations, NodeAccess& node_access);

  Result<Page<SecurityGroupView>> ListSecurityGroups(const authz::Principal& p, int limit, std::string_view cursor,
                                                     const RequestContext& ctx);
  Result<SecurityGroupView> GetSecurityGroup(const authz::Principal& p, std::string_view id, const RequestContext& ctx);
  Result<SecurityGroupView> CreateSecurityGroup(const authz::Principal& p, SecurityGroupInput in, const RequestContext& ctx);
  Result<SecurityGroupView> UpdateSecurityGroup(const authz::Principal& p, std::string_view id, SecurityGroupInput in,
                                                const RequestContext& ctx);
  Status DeleteSecurityGroup(const authz::Principal& p, std::string_view id, const RequestContext& ctx);
  // Creates the EC2 group on first sync (in in.vpc_id), tags it, authorizes what is missing and
  // revokes what is extra, inbound and outbound (IPv6 through Ipv6Ranges).
  Result<Ec2Outcome> SyncSecurityGroupToEc2(const authz::Principal& p, std::string_view group_id, Ec2SyncInput in,
                                            const RequestContext& ctx);
  // Compares DescribeSecurityGroups with the Wharf rules: the rules missing on EC2 and the extra ones.
  Result<Ec2Outcome> SecurityGroupDrift(const authz::Principal& p, std::string_view group_id, Ec2SyncInput in,
                                        const RequestContext& ctx);
  // DeleteSecurityGroup on EC2 and forgets the link.
  Result<Ec2Outcome> DeleteSecurityGroupOnEc2(const authz::Principal& p, std::string_view group_id, Ec2SyncInput in,
                                              const RequestContext& ctx);
  // The EC2 groups recorded for a Wharf group (securityGroups.read).
  Result<std::vector<domain::Integration>> ListEc2Groups(const authz::Principal& p, std::string_view group_id,
                                                         const RequestContext& ctx);

 private:
  // The EC2 side of deleting a Wharf group: DeleteSecurityGroup for each recorded EC2 group.
  Status DeleteEc2GroupsOf(const authz::Principal& p, const domain::SecurityGroup& g, const RequestContext& ctx);
  Integrations& integrations_;
  NodeAccess& node_access_;
};

}  // namespace wharf::services
