#include "base/address.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cstring>
#include <memory>

namespace wharf {

namespace {

// Sources: the IANA IPv4 Special-Purpose Address Registry
// (https://www.iana.org/assignments/iana-ipv4-special-registry) and the IANA IPv6
// Special-Purpose Address Registry (https://www.iana.org/assignments/iana-ipv6-special-registry,
// updated 2024-10-22), both under RFC 6890; plus IPv4 multicast (RFC 5771) and the IPv6 blocks
// RFC 4291 and RFC 3879 set aside (multicast, IPv4-compatible, site-local). Left out on purpose:
// the globally reachable anycast rows of the IPv4 registry (192.31.196.0/24 AS112,
// 192.52.193.0/24 AMT, 192.175.48.0/24 direct delegation AS112), which are public services.
// Every IPv4 row also matches its IPv4-mapped form (::ffff:a.b.c.d).
constexpr SpecialBlock kBlocks[] = {
    {"0.0.0.0/8", "This network (RFC 791)"},
    {"10.0.0.0/8", "Private-Use (RFC 1918)"},
    {"100.64.0.0/10", "Shared Address Space (RFC 6598)"},
    {"127.0.0.0/8", "Loopback (RFC 1122)"},
    {"169.254.0.0/16", "Link Local (RFC 3927)"},
    {"172.16.0.0/12", "Private-Use (RFC 1918)"},
    {"192.0.0.0/24", "IETF Protocol Assignments (RFC 6890)"},
    {"192.0.2.0/24", "Documentation TEST-NET-1 (RFC 5737)"},
    {"192.88.99.0/24", "Deprecated 6to4 Relay Anycast (RFC 7526)"},
    {"192.168.0.0/16", "Private-Use (RFC 1918)"},
    {"198.18.0.0/15", "Benchmarking (RFC 2544)"},
    {"198.51.100.0/24", "Documentation TEST-NET-2 (RFC 5737)"},
    {"203.0.113.0/24", "Documentation TEST-NET-3 (RFC 5737)"},
    {"224.0.0.0/4", "Multicast (RFC 5771)"},
    {"255.255.255.255/32", "Limited Broadcast (RFC 919)"},
    {"240.0.0.0/4", "Reserved (RFC 1112)"},
    {"::/128", "Unspecified Address (RFC 4291)"},
    {"::1/128", "Loopback Address (RFC 4291)"},
    {"::ffff:0:0/96", "IPv4-mapped Address (RFC 4291)", 12},
    {"::/96", "IPv4-compatible Address, deprecated (RFC 4291)"},
    {"64:ff9b::/96", "IPv4-IPv6 Translation (RFC 6052)", 12},
    {"64:ff9b:1::/48", "Local-use IPv4/IPv6 Translation (RFC 8215)"},
    {"100::/64", "Discard-Only Address Block (RFC 6666)"},
    {"2001:db8::/32", "Documentation (RFC 3849)"},
    {"2001::/23", "IETF Protocol Assignments incl. Teredo, ORCHIDv2 (RFC 2928)"},
    {"2002::/16", "6to4 (RFC 3056)", 2},
    {"3fff::/20", "Documentation (RFC 9637)"},
    {"5f00::/16", "Segment Routing SIDs (RFC 9602)"},
    {"fc00::/7", "Unique-Local (RFC 4193)"},
    {"fe80::/10", "Link-Local Unicast (RFC 4291)"},
    {"fec0::/10", "Site-Local, deprecated (RFC 3879)"},
    {"ff00::/8", "Multicast (RFC 4291)"},
};

using Bytes = std::array<unsigned char, 16>;

// A numeric address as 16 bytes; IPv4 becomes its IPv4-mapped IPv6 form.
bool ParseAddress(std::string_view ip, Bytes* out) {
  std::string s(ip);
  in_addr a4;
  if (inet_pton(AF_INET, s.c_str(), &a4) == 1) {
    *out = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    std::memcpy(out->data() + 12, &a4, 4);
    return true;
  }
  in6_addr a6;
  if (inet_pton(AF_INET6, s.c_str(), &a6) == 1) {
    std::memcpy(out->data(), a6.s6_addr, 16);
    return true;
  }
  return false;
}

struct CompiledBlock {
  Bytes prefix{};
  int bits = 0;
};

const std::array<CompiledBlock, std::size(kBlocks)>& Compiled() {
  static const auto table = [] {
    std::array<CompiledBlock, std::size(kBlocks)> out{};
    for (size_t i = 0; i < std::size(kBlocks); ++i) {
      std::string_view cidr = kBlocks[i].cidr;
      auto slash = cidr.find('/');
      bool v4 = cidr.find(':') == std::string_view::npos;
      ParseAddress(cidr.substr(0, slash), &out[i].prefix);
      out[i].bits = std::stoi(std::string(cidr.substr(slash + 1))) + (v4 ? 96 : 0);
    }
    return out;
  }();
  return table;
}

bool InBlock(const Bytes& a, const CompiledBlock& b) {
  int full = b.bits / 8, rest = b.bits % 8;
  if (std::memcmp(a.data(), b.prefix.data(), full) != 0) return false;
  if (rest == 0) return true;
  unsigned char mask = static_cast<unsigned char>(0xff << (8 - rest));
  return (a[full] & mask) == (b.prefix[full] & mask);
}

std::string Classify(const Bytes& a) {
  const auto& table = Compiled();
  for (size_t i = 0; i < table.size(); ++i) {
    if (!InBlock(a, table[i])) continue;
    if (kBlocks[i].embedded_v4 < 0) return std::string(kBlocks[i].name);
    Bytes v4 = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    std::memcpy(v4.data() + 12, a.data() + kBlocks[i].embedded_v4, 4);
    if (v4 == a) return "";  // an IPv4-mapped address no IPv4 row matched: a global IPv4 address
    std::string inner = Classify(v4);
    return inner.empty() ? "" : std::string(kBlocks[i].name) + " of " + inner;
  }
  return "";
}

}  // namespace

std::span<const SpecialBlock> SpecialPurposeBlocks() { return kBlocks; }

std::string SpecialPurposeBlock(std::string_view ip) {
  Bytes a;
  if (!ParseAddress(ip, &a)) return "not an IP address";
  return Classify(a);
}

bool IsIpLiteral(std::string_view host) {
  Bytes a;
  return ParseAddress(host, &a);
}

Result<Cidr> Cidr::Parse(std::string_view text, std::string_view field) {
  auto slash = text.find('/');
  std::string_view addr = text.substr(0, slash);
  Bytes b;
  const bool v4 = addr.find(':') == std::string_view::npos;
  auto bad = [&] {
    return FieldError(field, "'" + std::string(text) +
                                 "' is not an address block; use e.g. 10.0.0.0/8, 127.0.0.1/32 or fd00::/8");
  };
  if (!ParseAddress(addr, &b)) return bad();
  int bits = v4 ? 32 : 128;
  if (slash != std::string_view::npos) {
    std::string n(text.substr(slash + 1));
    if (n.empty() || n.size() > 3 || n.find_first_not_of("0123456789") != std::string::npos) return bad();
    bits = std::stoi(n);
    if (bits > (v4 ? 32 : 128)) return bad();
  }
  Cidr c;
  std::memcpy(c.prefix_, b.data(), 16);
  c.bits_ = bits + (v4 ? 96 : 0);
  return c;
}

bool Cidr::Contains(std::string_view ip) const {
  Bytes a;
  if (!ParseAddress(ip, &a)) return false;
  CompiledBlock b;
  std::memcpy(b.prefix.data(), prefix_, 16);
  b.bits = bits_;
  return InBlock(a, b);
}

AddressFilter PublicOnly() {
  return [](std::string_view ip) { return !IsSpecialPurposeAddress(ip); };
}

Result<std::vector<std::string>> ResolveChecked(std::string_view host, std::string_view port,
                                                const AddressFilter& allowed) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_family = AF_UNSPEC;
  addrinfo* res = nullptr;
  const std::string h(host), p(port);
  int rc = getaddrinfo(h.c_str(), p.empty() ? nullptr : p.c_str(), &hints, &res);
  if (rc != 0 || !res) {
    return Err(ErrorCode::kUnavailable,
               "Cannot resolve " + h + ": the host name does not resolve from the Wharf server (" +
                   gai_strerror(rc) + ").",
               Layer::kNetwork);
  }
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> guard(res, freeaddrinfo);
  std::vector<std::string> out;
  for (addrinfo* ai = res; ai; ai = ai->ai_next) {
    char buf[INET6_ADDRSTRLEN] = {};
    if (ai->ai_family == AF_INET)
      inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(ai->ai_addr)->sin_addr, buf, sizeof buf);
    else if (ai->ai_family == AF_INET6)
      inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(ai->ai_addr)->sin6_addr, buf, sizeof buf);
    else
      continue;
    if (allowed && !allowed(buf)) {
      Error e{ErrorCode::kValidationFailed, std::string(kRefusedTargetMessage), {}, Layer::kNetwork, {}};
      e.detail = h + " resolves to " + buf + " (" + SpecialPurposeBlock(buf) + ")";
      return tl::unexpected(std::move(e));
    }
    bool seen = false;
    for (const auto& o : out) seen = seen || o == buf;
    if (!seen) out.emplace_back(buf);
  }
  if (out.empty())
    return Err(ErrorCode::kUnavailable, "Cannot resolve " + h + ": no IPv4 or IPv6 address.", Layer::kNetwork);
  return out;
}

}  // namespace wharf
