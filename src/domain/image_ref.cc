#include "domain/image_ref.h"

#include <regex>

#include "base/strings.h"

namespace wharf::domain {

namespace {

// The grammar of distribution/reference (regexp.go), verbatim.
const std::string kAlnum = "[a-z0-9]+";
const std::string kSeparator = "(?:[._]|__|[-]+)";
const std::string kPathComponent = kAlnum + "(?:" + kSeparator + kAlnum + ")*";
const std::string kDomainComponent = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const std::string kDomainName = kDomainComponent + "(?:\\." + kDomainComponent + ")*";
const std::string kIpv6 = "\\[(?:[a-fA-F0-9:]+)\\]";
const std::string kHost = "(?:" + kDomainName + "|" + kIpv6 + ")";
const std::string kDomainAndPort = kHost + "(?::[0-9]+)?";
const std::string kTag = "[\\w][\\w.-]{0,127}";
const std::string kDigest = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9a-fA-F]{32,}";
const std::string kRemoteName = kPathComponent + "(?:/" + kPathComponent + ")*";

const std::regex& ReferenceRe() {
  static const std::regex re("^((?:" + kDomainAndPort + "/)?" + kRemoteName + ")(?::(" + kTag + "))?(?:@(" + kDigest +
                             "))?$");
  return re;
}
const std::regex& NameRe() {
  static const std::regex re("^(?:(" + kDomainAndPort + ")/)?(" + kRemoteName + ")$");
  return re;
}
bool Matches(const std::string& pattern, std::string_view s) {
  return std::regex_match(s.begin(), s.end(), std::regex("^(?:" + pattern + ")$"));
}

constexpr size_t kNameTotalLengthMax = 255;

tl::unexpected<Error> Bad(std::string_view field, const std::string& what) {
  return FieldError(field, "is not a valid image reference: " + what +
                               ". Write it as [registry[:port]/]repository[:tag][@sha256:digest], e.g. nginx:1.27 or "
                               "ghcr.io/owner/app:v1");
}

// Explains why `s` (already known not to match) is malformed: the first wrong part, named.
tl::unexpected<Error> Explain(std::string_view field, std::string_view s) {
  if (s.find("://") != std::string_view::npos)
    return Bad(field, "it must not start with a scheme such as https:// (Docker: invalid reference format)");
  for (char c : s)
    if (c == ' ' || c == '\t' || c == '\n')
      return Bad(field, "it contains whitespace (Docker: invalid reference format)");
  std::string_view rest = s, digest, tag;
  if (auto at = rest.find('@'); at != std::string_view::npos) {
    digest = rest.substr(at + 1);
    rest = rest.substr(0, at);
    if (!Matches(kDigest, digest))
      return Bad(field, "the digest '" + std::string(digest) +
                            "' must be algorithm:hex such as sha256:<64 hex digits> (Docker: invalid digest format)");
  }
  auto slash = rest.rfind('/');
  if (auto colon = rest.rfind(':'); colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    tag = rest.substr(colon + 1);
    rest = rest.substr(0, colon);
    if (tag.empty()) return Bad(field, "it ends with ':' but gives no tag (Docker: invalid reference format)");
    if (tag.size() > 128) return Bad(field, "the tag is longer than 128 characters (Docker: invalid tag format)");
    if (!Matches(kTag, tag))
      return Bad(field, "the tag '" + std::string(tag) +
                            "' may hold only letters, digits, '_', '.' and '-', and must not start with '.' or '-' "
                            "(Docker: invalid tag format)");
  }
  if (rest.empty()) return Bad(field, "the repository name is empty (Docker: repository name must have at least one component)");
  std::vector<std::string_view> parts = Split(rest, '/');
  size_t first = 0;
  if (parts.size() > 1 && (parts[0] == "localhost" || parts[0].find_first_of(".:") != std::string_view::npos ||
                           ToLower(parts[0]) != parts[0])) {
    if (!Matches(kDomainAndPort, parts[0]))
      return Bad(field, "the registry host '" + std::string(parts[0]) +
                            "' is not a valid host[:port] (Docker: invalid reference format)");
    first = 1;
  }
  for (size_t i = first; i < parts.size(); ++i) {
    if (parts[i].empty())
      return Bad(field, "the repository has an empty path component (a doubled or trailing '/') (Docker: invalid "
                        "reference format)");
    if (!Matches(kPathComponent, parts[i])) {
      if (Matches(kPathComponent, ToLower(parts[i])))
        return Bad(field, "the repository name '" + std::string(parts[i]) +
                              "' must be lowercase (Docker: repository name must be lowercase)");
      return Bad(field, "the path component '" + std::string(parts[i]) +
                            "' may hold only lowercase letters and digits, separated by '.', '_', '__' or '-' (Docker: "
                            "invalid reference format)");
    }
  }
  return Bad(field, "Docker: invalid reference format");
}

}  // namespace

std::string ImageRef::String() const {
  std::string s = Name();
  if (!tag.empty()) s += ":" + tag;
  if (!digest.empty()) s += "@" + digest;
  return s;
}

Result<ImageRef> ParseImageRef(std::string_view s, std::string_view field) {
  if (s.empty()) return FieldError(field, "is required: an image such as nginx:1.27 or ghcr.io/owner/app:v1");
  if (s.size() > 4096) return Bad(field, "it is longer than 4096 characters");
  static const std::regex hex64("^[a-f0-9]{64}$");
  if (std::regex_match(s.begin(), s.end(), hex64))
    return Bad(field, "a 64-character hexadecimal string is an image id, not a name (Docker: invalid repository "
                      "name, cannot specify 64-byte hexadecimal strings)");
  // splitDockerDomain (normalize.go).
  std::string domain, remainder;
  auto slash = s.find('/');
  if (slash == std::string_view::npos) {
    domain = "docker.io";
    remainder = "library/" + std::string(s);
  } else {
    std::string_view maybe = s.substr(0, slash), after = s.substr(slash + 1);
    if (maybe == "localhost" || maybe == "index.docker.io" || maybe.find_first_of(".:") != std::string_view::npos ||
        ToLower(maybe) != maybe) {
      domain = maybe == "index.docker.io" ? "docker.io" : std::string(maybe);
      remainder = std::string(after);
    } else {
      domain = "docker.io";
      remainder = std::string(s);
    }
    if (domain == "docker.io" && remainder.find('/') == std::string::npos) remainder = "library/" + remainder;
  }
  std::string remote_name = remainder.substr(0, remainder.find(':'));
  if (ToLower(remote_name) != remote_name)
    return Bad(field, "the repository name '" + remote_name +
                          "' must be lowercase (Docker: invalid reference format: repository name must be lowercase)");
  // Parse (reference.go).
  std::string full = domain + "/" + remainder;
  std::smatch m;
  if (!std::regex_match(full, m, ReferenceRe())) return Explain(field, s);
  ImageRef r;
  std::string name = m[1].str();
  std::smatch nm;
  if (std::regex_match(name, nm, NameRe()) && nm[1].matched) {
    r.domain = nm[1].str();
    r.path = nm[2].str();
  } else {
    r.domain = "";
    r.path = name;
  }
  if (r.path.size() > kNameTotalLengthMax)
    return Bad(field, "the repository name is longer than 255 characters (Docker: repository name must not be more than "
                      "255 characters)");
  r.tag = m[2].matched ? m[2].str() : "";
  if (m[3].matched) {
    // digest.Parse: a known algorithm, the exact length, lowercase hex.
    std::string d = m[3].str();
    auto colon = d.find(':');
    std::string alg = d.substr(0, colon), hex = d.substr(colon + 1);
    size_t want = alg == "sha256" ? 64 : alg == "sha384" ? 96 : alg == "sha512" ? 128 : 0;
    if (want == 0)
      return Bad(field, "the digest algorithm '" + alg + "' is not supported; use sha256 (Docker: unsupported digest algorithm)");
    if (hex.size() != want)
      return Bad(field, "a " + alg + " digest has " + std::to_string(want) + " hex digits, this one has " +
                            std::to_string(hex.size()) + " (Docker: invalid checksum digest length)");
    for (char c : hex)
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
        return Bad(field, "the digest must be lowercase hex (Docker: invalid checksum digest format)");
    r.digest = d;
  }
  if (r.tag.empty() && r.digest.empty()) r.tag = "latest";  // TagNameOnly
  return r;
}

std::string NormalizeRegistryHost(std::string_view host) {
  std::string h = ToLower(host);
  if (h == "index.docker.io" || h == "registry-1.docker.io" || h == "registry.hub.docker.com" || h == "hub.docker.com")
    return "docker.io";
  return h;
}

std::string RegistryApiHost(std::string_view domain) {
  std::string d = NormalizeRegistryHost(domain);
  return d == "docker.io" ? "registry-1.docker.io" : d;
}

Result<std::string> ValidateRegistryHost(std::string_view host, std::string_view field) {
  std::string_view h = Trim(host);
  if (h.empty())
    return FieldError(field, "is required: docker.io, ghcr.io, quay.io, registry.digitalocean.com, or your registry's "
                             "host[:port]");
  if (h.find("://") != std::string_view::npos)
    return FieldError(field, "must be a host without a scheme, e.g. ghcr.io or registry.example.com:5000 (not https://…)");
  if (h.find('/') != std::string_view::npos)
    return FieldError(field, "must be a host without a path, e.g. ghcr.io; put an organisation in 'namespace'");
  if (h.size() > 253 || !Matches(kDomainAndPort, h))
    return FieldError(field, "'" + std::string(h) + "' is not a valid host[:port]; e.g. docker.io, ghcr.io, quay.io, "
                             "registry.digitalocean.com or registry.example.com:5000");
  if (auto colon = h.rfind(':'); colon != std::string_view::npos && h.back() != ']' && h.substr(colon).find(']') == std::string_view::npos) {
    std::string_view port = h.substr(colon + 1);
    if (port.size() > 5 || std::stoi(std::string(port)) < 1 || std::stoi(std::string(port)) > 65535)
      return FieldError(field, "has a port outside 1–65535");
  }
  return NormalizeRegistryHost(h);
}

}  // namespace wharf::domain
