// Special-purpose IP addresses and the private-target guard every outbound connection uses (HTTP
// to registries, git hosts, S3 and AWS; SSH to worker nodes; SMTP): one table, one resolver.
//
//   WHARF_ASSIGN_OR_RETURN(auto ips, ResolveChecked("git.example.com", "443", PublicOnly()));
//   // connect to ips[0] (never look the name up again: DNS rebinding then has nothing to change)
//
// The table follows the IANA IPv4 and IPv6 Special-Purpose Address Registries; an address in any
// of its blocks is refused unless the operator started wharf with --allow-private-targets.
// Thread-safety: every function is safe to call from any thread.
#pragma once

#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace wharf {

// One row of the special-purpose table. `embedded_v4` >= 0 means the block carries an IPv4
// address at that byte offset (NAT64, 6to4) and the verdict is the embedded address's.
struct SpecialBlock {
  std::string_view cidr;  // "10.0.0.0/8", "fc00::/7"
  std::string_view name;  // the registry's name, for logs
  int embedded_v4 = -1;
};

// The table, in match order (more specific rows first).
std::span<const SpecialBlock> SpecialPurposeBlocks();

// The name of the special-purpose block `ip` (a numeric IPv4 or IPv6 address) falls in, or ""
// for a globally reachable address. Something that is not a numeric address answers
// "not an IP address" (refused, never guessed at).
std::string SpecialPurposeBlock(std::string_view ip);
inline bool IsSpecialPurposeAddress(std::string_view ip) { return !SpecialPurposeBlock(ip).empty(); }

// True when `host` is a numeric IPv4 or IPv6 address (no brackets).
bool IsIpLiteral(std::string_view host);

// An address block such as "10.0.0.0/8" or "2001:db8::/32" (a bare address is a /32 or /128).
class Cidr {
 public:
  // kValidationFailed naming `field` when `text` is not an address or block.
  static Result<Cidr> Parse(std::string_view text, std::string_view field);
  bool Contains(std::string_view ip) const;

 private:
  unsigned char prefix_[16] = {};
  int bits_ = 0;
};

// Decides whether an outbound connection may go to one numeric address. Empty = any address.
using AddressFilter = std::function<bool(std::string_view ip)>;
// The guard used without --allow-private-targets: refuses every special-purpose address.
AddressFilter PublicOnly();

// The one answer a refused target gets, whatever the host, port or the port's state (it names
// no address, so it tells a caller nothing about the operator's network).
inline constexpr std::string_view kRefusedTargetMessage =
    "The target is a loopback, private, link-local or other special-purpose address, and this "
    "Wharf instance does not allow private targets (start wharf with --allow-private-targets to "
    "allow them).";

// Resolves `host` (a name or a numeric address, no brackets) once and checks EVERY address it
// resolves to with `allowed` before anything connects. Returns the numeric addresses, in
// resolver order, for the caller to connect to (pin) instead of resolving again.
// Errors: kValidationFailed / Layer::kNetwork with kRefusedTargetMessage when any address is
// refused (the real address goes to `detail` only); kUnavailable / Layer::kNetwork naming the
// host when it does not resolve.
Result<std::vector<std::string>> ResolveChecked(std::string_view host, std::string_view port,
                                                const AddressFilter& allowed);

}  // namespace wharf
