#include "domain/validate.h"

#include <arpa/inet.h>

#include <algorithm>
#include <map>

#include <cctype>

#include "base/strings.h"

namespace wharf::domain {

namespace {
bool SlugChar(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
}  // namespace

Status ValidateSlug(std::string_view slug, std::string_view field) {
  bool ok = slug.size() >= 3 && slug.size() <= 40 && SlugChar(slug.front()) && SlugChar(slug.back());
  for (char c : slug) ok = ok && (SlugChar(c) || c == '-');
  if (!ok)
    return FieldError(field, "must be 3-40 characters of a-z, 0-9 and '-', starting and ending with a letter or digit");
  return Ok();
}

std::string SlugFromName(std::string_view name) {
  std::string out;
  for (unsigned char c : name) {
    if (std::isalnum(c)) out.push_back(static_cast<char>(std::tolower(c)));
    else if (!out.empty() && out.back() != '-') out.push_back('-');
    if (out.size() >= 30) break;
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  while (out.size() < 3) out += out.empty() ? "org" : "0";
  return out;
}

bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = s[i];
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 2) return false;
    i += n;
  }
  return true;
}

Result<std::string> NormalizeEmail(std::string_view email, std::string_view field) {
  std::string e = ToLower(Trim(email));
  auto at = e.find('@');
  bool ok = !e.empty() && e.size() <= 254 && at != std::string::npos && at > 0 && at == e.rfind('@') &&
            at < e.size() - 1;
  if (ok) {
    std::string_view domain = std::string_view(e).substr(at + 1);
    ok = domain.find('.') != std::string_view::npos && domain.front() != '.' && domain.back() != '.' &&
         domain.find("..") == std::string_view::npos;
    for (unsigned char c : e) ok = ok && c > 0x20 && c != 0x7f && c != ',' && c != '<' && c != '>' && c != '"';
  }
  if (!ok) return FieldError(field, "must be an email address like ada@example.com");
  return e;
}

Result<std::string> ValidateName(std::string_view name, std::string_view field, size_t max_len) {
  std::string_view t = Trim(name);
  if (t.empty()) return FieldError(field, "must not be empty");
  if (t.size() > max_len) return FieldError(field, "must be at most " + std::to_string(max_len) + " characters");
  if (!IsValidUtf8(t)) return FieldError(field, "must be valid UTF-8");
  for (unsigned char c : t)
    if (c < 0x20 || c == 0x7f) return FieldError(field, "must not contain control characters");
  return std::string(t);
}

Status ValidatePassword(std::string_view password, std::string_view field) {
  if (password.size() < 10) return FieldError(field, "must be at least 10 characters");
  if (password.size() > 1024) return FieldError(field, "must be at most 1024 characters");
  return Ok();
}

Result<SshPublicKey> ParseSshPublicKey(std::string_view line, std::string_view field) {
  std::string_view t = Trim(line);
  if (t.size() > 16384) return FieldError(field, "is too long to be an SSH public key");
  if (t.find('\n') != std::string_view::npos || t.find('\r') != std::string_view::npos)
    return FieldError(field, "must be a single line like 'ssh-ed25519 AAAA... comment'");
  auto sp = t.find(' ');
  if (sp == std::string_view::npos)
    return FieldError(field, "must look like 'ssh-ed25519 AAAA... comment' (type, base64 key, optional comment)");
  std::string type(t.substr(0, sp));
  std::string_view rest = Trim(t.substr(sp + 1));
  auto sp2 = rest.find(' ');
  std::string_view b64 = rest.substr(0, sp2);
  std::string_view comment = sp2 == std::string_view::npos ? std::string_view() : Trim(rest.substr(sp2 + 1));
  if (type != "ssh-ed25519" && type != "ssh-rsa" && type != "ecdsa-sha2-nistp256" &&
      type != "ecdsa-sha2-nistp384" && type != "ecdsa-sha2-nistp521")
    return FieldError(field, "key type '" + type.substr(0, 40) +
                                 "' is not supported; use ssh-ed25519, ssh-rsa or ecdsa-sha2-nistp256/384/521");
  std::string blob;
  for (char c : b64)
    if (c == '-' || c == '_') return FieldError(field, "the key part is not valid base64");
  if (b64.empty() || !Base64UrlDecode(b64, &blob) || blob.size() < 4 + type.size())
    return FieldError(field, "the key part is not valid base64");
  uint32_t len = (uint8_t)blob[0] << 24 | (uint8_t)blob[1] << 16 | (uint8_t)blob[2] << 8 | (uint8_t)blob[3];
  if (len != type.size() || blob.compare(4, len, type) != 0)
    return FieldError(field, "the key data does not match its type '" + type + "'");
  if (type == "ssh-ed25519" && blob.size() != 4 + 11 + 4 + 32)
    return FieldError(field, "an ssh-ed25519 key must hold exactly 32 bytes of key data");
  if (!IsValidUtf8(comment)) return FieldError(field, "the comment must be valid UTF-8");
  SshPublicKey k;
  k.type = type;
  k.blob = std::move(blob);
  k.normalized = type + " " + std::string(b64);
  if (!comment.empty()) k.normalized += " " + std::string(comment);
  return k;
}


}  // namespace wharf::domain

// ---------------------------------------------------------------- hosts, users, firewall rules

namespace wharf::domain {
namespace {
bool IsIpv4(const std::string& s) {
  in_addr a;
  return inet_pton(AF_INET, s.c_str(), &a) == 1;
}
bool IsIpv6(const std::string& s) {
  in6_addr a;
  return inet_pton(AF_INET6, s.c_str(), &a) == 1;
}

struct RuleType {
  const char* protocol;  // fixed protocol, or nullptr when the user chooses (custom-*)
  int from, to;          // fixed ports; -1 = the user gives them
};

const std::map<std::string, RuleType, std::less<>>& Types() {
  static const std::map<std::string, RuleType, std::less<>> t = {
      {"ssh", {"tcp", 22, 22}},          {"http", {"tcp", 80, 80}},          {"https", {"tcp", 443, 443}},
      {"postgresql", {"tcp", 5432, 5432}}, {"mysql", {"tcp", 3306, 3306}},  {"mariadb", {"tcp", 3306, 3306}},
      {"redis", {"tcp", 6379, 6379}},    {"mongodb", {"tcp", 27017, 27017}}, {"dns", {"udp", 53, 53}},
      {"dns-udp", {"udp", 53, 53}},      {"dns-tcp", {"tcp", 53, 53}},       {"smtp", {"tcp", 25, 25}},
      {"smtps", {"tcp", 465, 465}},      {"smtp-submission", {"tcp", 587, 587}}, {"imap", {"tcp", 143, 143}},
      {"imaps", {"tcp", 993, 993}},      {"pop3", {"tcp", 110, 110}},        {"pop3s", {"tcp", 995, 995}},
      {"ldap", {"tcp", 389, 389}},       {"ldaps", {"tcp", 636, 636}},       {"rdp", {"tcp", 3389, 3389}},
      {"nfs", {"tcp", 2049, 2049}},      {"mssql", {"tcp", 1433, 1433}},     {"elasticsearch", {"tcp", 9200, 9200}},
      {"icmp", {"icmp", 0, 0}},          {"icmpv6", {"icmpv6", 0, 0}},       {"all-traffic", {"all", 0, 0}},
      {"all-tcp", {"tcp", 1, 65535}},    {"all-udp", {"udp", 1, 65535}},     {"custom-tcp", {"tcp", -1, -1}},
      {"custom-udp", {"udp", -1, -1}},
  };
  return t;
}
}  // namespace

const std::vector<std::string>& RuleTypeNames() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (auto& [k, _] : Types()) v.push_back(k);
    return v;
  }();
  return names;
}

Result<std::string> ValidateHost(std::string_view host, std::string_view field) {
  std::string h(Trim(host));
  if (h.empty()) return FieldError(field, "is required: the server's IP address or DNS name");
  if (h.size() > 253) return FieldError(field, "is longer than 253 characters");
  if (IsIpv4(h) || IsIpv6(h)) return h;
  std::string lower = ToLower(h);
  for (auto label : Split(lower, '.')) {
    bool ok = !label.empty() && label.size() <= 63 && label.front() != '-' && label.back() != '-';
    for (char c : label) ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '-');
    if (!ok)
      return FieldError(field, "must be an IP address or a DNS name made of letters, digits, '-' and '.' (got '" + h + "')");
  }
  return lower;
}

Result<std::string> ValidateUnixUser(std::string_view user, std::string_view field) {
  std::string u(Trim(user));
  bool ok = !u.empty() && u.size() <= 32 && (std::islower(static_cast<unsigned char>(u[0])) || u[0] == '_');
  for (char c : u) ok = ok && (std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) ||
                               c == '_' || c == '-' || c == '.');
  if (!ok) return FieldError(field, "must be a Unix user name such as 'root', 'ubuntu' or 'deploy' (lower-case letters, digits, '_', '-')");
  return u;
}

Result<std::string> NormalizeCidr(std::string_view cidr, std::string_view field, std::string* warning) {
  std::string c(Trim(cidr));
  size_t slash = c.find('/');
  if (slash == std::string::npos)
    return FieldError(field, "must be a CIDR such as 203.0.113.7/32 or 2001:db8::/64, or \"anywhere\" or \"my-ip\" (got '" + c + "')");
  std::string addr = c.substr(0, slash), len = c.substr(slash + 1);
  bool digits = !len.empty() && len.size() <= 3 && (len.size() == 1 || len[0] != '0');
  for (char ch : len) digits = digits && std::isdigit(static_cast<unsigned char>(ch));
  int prefix = digits ? std::stoi(len) : -1;
  unsigned char bytes[16] = {};
  int family = 0, bits = 0;
  if (IsIpv4(addr)) {
    // inet_pton accepts only dotted quads without leading zeros ("010.0.0.1" is refused).
    family = AF_INET;
    bits = 32;
    inet_pton(AF_INET, addr.c_str(), bytes);
  } else if (IsIpv6(addr)) {
    family = AF_INET6;
    bits = 128;
    inet_pton(AF_INET6, addr.c_str(), bytes);
  } else {
    return FieldError(field, "has an invalid address '" + addr + "': use a dotted IPv4 address or an IPv6 address");
  }
  if (prefix < 0 || prefix > bits)
    return FieldError(field, "has an invalid prefix length '/" + len + "': use 0–" + std::to_string(bits));
  bool changed = false;
  for (int i = 0; i < bits / 8; ++i) {
    int keep = std::clamp(prefix - i * 8, 0, 8);
    unsigned char mask = keep == 0 ? 0 : static_cast<unsigned char>(0xFF << (8 - keep));
    if ((bytes[i] & ~mask) != 0) changed = true;
    bytes[i] &= mask;
  }
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(family, bytes, buf, sizeof buf);
  std::string out = std::string(buf) + "/" + std::to_string(prefix);
  if (changed && warning) *warning = std::string(field) + ": " + c + " has host bits set; stored as " + out;
  return out;
}

bool CidrContains(std::string_view cidr, std::string_view ip) {
  std::string c(cidr), a(ip);
  size_t slash = c.find('/');
  if (slash == std::string::npos) return false;
  std::string net = c.substr(0, slash);
  int prefix = std::atoi(c.c_str() + slash + 1);
  unsigned char n[16] = {}, x[16] = {};
  int bits;
  if (IsIpv4(net) && IsIpv4(a)) {
    inet_pton(AF_INET, net.c_str(), n);
    inet_pton(AF_INET, a.c_str(), x);
    bits = 32;
  } else if (IsIpv6(net) && IsIpv6(a)) {
    inet_pton(AF_INET6, net.c_str(), n);
    inet_pton(AF_INET6, a.c_str(), x);
    bits = 128;
  } else {
    return false;
  }
  for (int i = 0; i < bits / 8 && prefix > 0; ++i, prefix -= 8) {
    unsigned char mask = prefix >= 8 ? 0xFF : static_cast<unsigned char>(0xFF << (8 - prefix));
    if ((n[i] & mask) != (x[i] & mask)) return false;
  }
  return true;
}

Result<SecurityRule> ValidateRule(const RuleInput& in, std::string_view field, std::string_view my_ip,
                                  std::vector<std::string>* warnings) {
  const std::string f(field);
  auto it = Types().find(in.type);
  if (it == Types().end()) {
    std::string names;
    for (auto& n : RuleTypeNames()) names += (names.empty() ? "" : ", ") + n;
    return FieldError(f + ".type", "must be one of: " + names + " (got '" + in.type + "')");
  }
  const RuleType& t = it->second;
  SecurityRule r;
  r.type = in.type;
  if (t.protocol) {
    if (in.protocol && *in.protocol != t.protocol)
      return FieldError(f + ".protocol", "contradicts type '" + in.type + "', which is always " + t.protocol +
                                             "; use custom-tcp or custom-udp for another protocol");
    r.protocol = t.protocol;
  }
  if (t.from >= 0) {
    if ((in.from_port && *in.from_port != t.from) || (in.to_port && *in.to_port != t.to))
      return FieldError(f + ".from_port", "contradicts type '" + in.type + "', which is always port " +
                                              (t.from == t.to ? std::to_string(t.from) : std::to_string(t.from) + "-" + std::to_string(t.to)) +
                                              "; use custom-tcp or custom-udp for other ports");
    r.from_port = t.from;
    r.to_port = t.to;
  } else {
    if (!in.from_port) return FieldError(f + ".from_port", "is required for type '" + in.type + "' (1–65535)");
    int from = *in.from_port, to = in.to_port.value_or(from);
    if (from < 1 || from > 65535) return FieldError(f + ".from_port", "must be 1–65535");
    if (to < 1 || to > 65535) return FieldError(f + ".to_port", "must be 1–65535");
    if (from > to) return FieldError(f + ".to_port", "must be at least from_port (" + std::to_string(from) + ")");
    r.from_port = from;
    r.to_port = to;
  }
  std::string src(Trim(in.source));
  if (src.empty()) return FieldError(f + ".source", "is required: a CIDR, \"anywhere\", \"anywhere-ipv6\" or \"my-ip\"");
  if (src == "anywhere") src = "0.0.0.0/0";
  else if (src == "anywhere-ipv6") src = "::/0";
  else if (src == "my-ip" || src == "my ip" || src == "My IP") {
    std::string ip(my_ip);
    if (IsIpv4(ip)) src = ip + "/32";
    else if (IsIpv6(ip)) src = ip + "/128";
    else return FieldError(f + ".source", "\"my-ip\" needs the request's address, which is not known; give a CIDR");
  }
  std::string warning;
  WHARF_ASSIGN_OR_RETURN(r.source, NormalizeCidr(src, f + ".source", &warning));
  if (!warning.empty() && warnings) warnings->push_back(warning);
  if ((r.protocol == "icmp" && r.source.find(':') != std::string::npos) ||
      (r.protocol == "icmpv6" && r.source.find(':') == std::string::npos))
    return FieldError(f + ".source", "type '" + in.type + "' needs an " + (r.protocol == "icmp" ? "IPv4" : "IPv6") + " source");
  if (in.description.size() > 255) return FieldError(f + ".description", "is longer than 255 characters");
  r.description = in.description;
  return r;
}

}  // namespace wharf::domain
