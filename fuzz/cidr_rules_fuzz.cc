// CIDRs and security-group rules, then the firewall scripts built from an accepted rule. A
// normalised CIDR normalises to itself and contains its own network address.
#include <cstdint>
#include <string>

#include "domain/firewall.h"
#include "domain/validate.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace wharf::domain;
  wharf::fuzz::Fields f(data, size);
  std::string warning;
  auto cidr = NormalizeCidr(f.Field(0), "source", &warning);
  if (cidr) {
    std::string w2;
    auto again = NormalizeCidr(*cidr, "source", &w2);
    WHARF_FUZZ_CHECK(again && *again == *cidr && w2.empty());
    WHARF_FUZZ_CHECK(CidrContains(*cidr, cidr->substr(0, cidr->find('/'))));
  }
  (void)CidrContains(f.Field(0), f.Field(1));
  RuleInput in;
  in.type = std::string(f.Field(2));
  if (!f.Field(3).empty()) in.protocol = std::string(f.Field(3));
  std::string_view ports = f.Field(4);
  if (ports.size() >= 2) in.from_port = static_cast<int8_t>(ports[0]) * 1000 + static_cast<uint8_t>(ports[1]);
  if (ports.size() >= 4) in.to_port = static_cast<int8_t>(ports[2]) * 1000 + static_cast<uint8_t>(ports[3]);
  in.source = std::string(f.Field(5));
  in.description = std::string(f.Field(6));
  std::vector<std::string> warnings;
  auto rule = ValidateRule(in, "inbound[0]", f.Field(7), &warnings);
  if (rule) {
    WHARF_FUZZ_CHECK(rule->from_port <= rule->to_port);
    SecurityGroup g;
    g.name = "fuzz";
    g.inbound.push_back(*rule);
    g.outbound.push_back(*rule);
    std::string nft = NftRuleset({g});
    // Nothing from the rule may end a line of the script and start a command of its own.
    WHARF_FUZZ_CHECK(nft.find("\nflush") == nft.rfind("\nflush"));
    std::vector<std::string> skipped;
    (void)UfwCommands({g}, &skipped);
  }
  return 0;
}
