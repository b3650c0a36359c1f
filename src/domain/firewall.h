// Security groups as an nftables ruleset for a worker node's host firewall.
//
//   std::string script = domain::NftRuleset(groups);  // feed to `nft -f -` (atomic replace)
//
// The ruleset lives in its own table (`inet wharf`), replaced as a whole, so applying twice is the
// same as applying once and nothing else on the host is touched. Inbound and outbound default to
// drop, like a security group; loopback, established connections and IPv6 neighbour discovery
// are always allowed. Pure function; no I/O.
#pragma once

#include <string>
#include <vector>

#include "domain/types.h"

namespace wharf::domain {

std::string NftRuleset(const std::vector<SecurityGroup>& groups);

// The same groups as ufw commands (argv vectors, run in order): reset, defaults, one `allow` per
// rule, enable. ICMP rules are left to ufw's before.rules (which allow echo) and listed in
// `*skipped`, because ufw's command line cannot filter ICMP by source.
std::vector<std::vector<std::string>> UfwCommands(const std::vector<SecurityGroup>& groups,
                                                  std::vector<std::string>* skipped);

}  // namespace wharf::domain
