#include "domain/firewall.h"

namespace wharf::domain {
namespace {

std::string Comment(const SecurityGroup& g, const SecurityRule& r) {
  std::string c = g.name + (r.description.empty() ? "" : ": " + r.description);
  std::string out;
  for (char ch : c)
    if (ch != '"' && ch != '\\' && ch != '\n' && ch != '\r' && static_cast<unsigned char>(ch) >= 0x20) out.push_back(ch);
  if (out.size() > 120) out.resize(120);
  return out;
}

// One nft rule line for `r`; `dir` is "saddr" (inbound) or "daddr" (outbound).
std::string RuleLine(const SecurityGroup& g, const SecurityRule& r, const char* dir) {
  const bool v6 = r.source.find(':') != std::string::npos;
  std::string line = std::string(v6 ? "ip6 " : "ip ") + dir + " " + r.source + " ";
  if (r.protocol == "tcp" || r.protocol == "udp") {
    line += r.protocol + " dport ";
    line += r.from_port == r.to_port ? std::to_string(r.from_port) : std::to_string(r.from_port) + "-" + std::to_string(r.to_port);
  } else if (r.protocol == "icmp") {
    line += "meta l4proto icmp";
  } else if (r.protocol == "icmpv6") {
    line += "meta l4proto ipv6-icmp";
  }
  // "all": the address match alone.
  return "    " + line + " accept comment \"" + Comment(g, r) + "\"\n";
}

}  // namespace

std::string NftRuleset(const std::vector<SecurityGroup>& groups) {
  std::string in, out;
  for (const auto& g : groups) {
    for (const auto& r : g.inbound) in += RuleLine(g, r, "saddr");
    for (const auto& r : g.outbound) out += RuleLine(g, r, "daddr");
  }
  const std::string always =
      "    iif \"lo\" accept\n"
      "    ct state established,related accept\n"
      "    ct state invalid drop\n"
      "    icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, nd-router-solicit, nd-router-advert } accept\n";
  const std::string always_out =
      "    oif \"lo\" accept\n"
      "    ct state established,related accept\n"
      "    icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, nd-router-solicit, nd-router-advert } accept\n";
  return "# Managed by Wharf: security groups of this server. Replaced as a whole on every apply.\n"
         "table inet wharf\n"
         "delete table inet wharf\n"
         "table inet wharf {\n"
         "  chain input {\n"
         "    type filter hook input priority 0; policy drop;\n" +
         always + in +
         "  }\n"
         "  chain output {\n"
         "    type filter hook output priority 0; policy drop;\n" +
         always_out + out +
         "  }\n"
         "}\n";
}

std::vector<std::vector<std::string>> UfwCommands(const std::vector<SecurityGroup>& groups,
                                                  std::vector<std::string>* skipped) {
  std::vector<std::vector<std::string>> cmds = {{"ufw", "--force", "reset"}, {"ufw", "default", "deny", "incoming"}};
  bool all_out_v4 = false, all_out_v6 = false;
  for (const auto& g : groups)
    for (const auto& r : g.outbound) {
      if (r.protocol == "all" && r.source == "0.0.0.0/0") all_out_v4 = true;
      if (r.protocol == "all" && r.source == "::/0") all_out_v6 = true;
    }
  const bool allow_out = all_out_v4 && all_out_v6;
  cmds.push_back({"ufw", "default", allow_out ? "allow" : "deny", "outgoing"});
  auto ports = [](const SecurityRule& r) {
    return r.from_port == r.to_port ? std::to_string(r.from_port) : std::to_string(r.from_port) + ":" + std::to_string(r.to_port);
  };
  for (const auto& g : groups) {
    for (const auto& r : g.inbound) {
      if (r.protocol == "tcp" || r.protocol == "udp")
        cmds.push_back({"ufw", "allow", "proto", r.protocol, "from", r.source, "to", "any", "port", ports(r), "comment", Comment(g, r)});
      else if (r.protocol == "all")
        cmds.push_back({"ufw", "allow", "from", r.source, "comment", Comment(g, r)});
      else if (skipped)
        skipped->push_back(g.name + ": " + r.type + " from " + r.source + " (ICMP is governed by ufw's before.rules)");
    }
    if (allow_out) continue;
    for (const auto& r : g.outbound) {
      if (r.protocol == "tcp" || r.protocol == "udp")
        cmds.push_back({"ufw", "allow", "out", "proto", r.protocol, "to", r.source, "port", ports(r), "comment", Comment(g, r)});
      else if (r.protocol == "all")
        cmds.push_back({"ufw", "allow", "out", "to", r.source, "comment", Comment(g, r)});
      else if (skipped)
        skipped->push_back(g.name + ": outbound " + r.type + " to " + r.source + " (ICMP is governed by ufw's before.rules)");
    }
  }
  cmds.push_back({"ufw", "--force", "enable"});
  return cmds;
}

}  // namespace wharf::domain
