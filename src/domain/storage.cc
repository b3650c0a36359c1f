#include "domain/storage.h"

#include <cctype>

#include "base/strings.h"
#include "domain/validate.h"

namespace wharf::domain {

namespace {
bool IsIpv4Literal(std::string_view s) {
  int dots = 0, digits = 0;
  for (char c : s) {
    if (c == '.') {
      if (digits == 0) return false;
      ++dots;
      digits = 0;
    } else if (std::isdigit(static_cast<unsigned char>(c))) {
      if (++digits > 3) return false;
    } else {
      return false;
    }
  }
  return dots == 3 && digits > 0;
}
}  // namespace

Result<std::string> ValidateS3Endpoint(std::string_view endpoint, std::string_view field) {
  std::string_view e = Trim(endpoint);
  if (e.empty()) return std::string();
  const char* example =
      " e.g. https://<account>.r2.cloudflarestorage.com, https://s3.us-west-004.backblazeb2.com or "
      "https://minio.example.com:9000; leave it blank for AWS S3";
  std::string scheme;
  if (StartsWith(ToLower(e.substr(0, 8)), "https://")) scheme = "https";
  else if (StartsWith(ToLower(e.substr(0, 7)), "http://")) scheme = "http";
  else return FieldError(field, "must be an https:// (or http://) URL of the S3 API," + std::string(example));
  std::string_view rest = e.substr(scheme.size() + 3);
  while (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.find_first_of("/?#") != std::string_view::npos)
    return FieldError(field, "must be the S3 API's base URL without a path, query or bucket name (put the bucket in "
                             "'bucket' and a folder in 'prefix');" + std::string(example));
  if (rest.find('@') != std::string_view::npos)
    return FieldError(field, "must not contain user info (user:password@): the key goes in access_key_id and "
                             "secret_access_key");
  std::string_view host = rest, port;
  if (StartsWith(rest, "[")) {
    auto close = rest.find(']');
    if (close == std::string_view::npos) return FieldError(field, "has an unclosed '[' in its IPv6 address");
    host = rest.substr(0, close + 1);
    if (close + 1 < rest.size()) {
      if (rest[close + 1] != ':') return FieldError(field, "has text after its IPv6 address");
      port = rest.substr(close + 2);
    }
  } else if (auto colon = rest.rfind(':'); colon != std::string_view::npos) {
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
  }
  std::string h;
  if (StartsWith(host, "[")) {
    h = ToLower(host);
  } else {
    auto v = ValidateHost(host, field);
    if (!v) return FieldError(field, "has no valid host name;" + std::string(example));
    h = *v;
  }
  std::string out = scheme + "://" + h;
  if (!port.empty() || rest.back() == ':') {
    bool ok = !port.empty() && port.size() <= 5;
    for (char c : port) ok = ok && std::isdigit(static_cast<unsigned char>(c));
    if (!ok || std::stoi(std::string(port)) < 1 || std::stoi(std::string(port)) > 65535)
      return FieldError(field, "has a port outside 1–65535");
    out += ":" + std::string(port);
  }
  return out;
}

std::string S3EndpointHost(std::string_view endpoint) {
  auto p = endpoint.find("://");
  if (p == std::string_view::npos) return {};
  std::string_view rest = endpoint.substr(p + 3);
  return std::string(rest.substr(0, rest.find('/')));
}

Result<std::string> ValidateBucketName(std::string_view bucket, std::string_view field) {
  std::string b(Trim(bucket));
  if (b.empty()) return FieldError(field, "is required: the bucket's name, e.g. acme-backups");
  if (b.size() < 3 || b.size() > 63) return FieldError(field, "must be 3 to 63 characters long (S3 bucket naming rules)");
  for (char c : b)
    if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '.' ||
          c == '-'))
      return FieldError(field, "may hold only lower-case letters, digits, '.' and '-' (S3 bucket naming rules; got '" +
                                   b + "')");
  auto alnum = [](char c) { return std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)); };
  if (!alnum(b.front()) || !alnum(b.back())) return FieldError(field, "must start and end with a letter or digit");
  if (b.find("..") != std::string::npos) return FieldError(field, "must not contain two adjacent periods");
  if (IsIpv4Literal(b)) return FieldError(field, "must not be formatted as an IP address");
  for (const char* pre : {"xn--", "sthree-", "amzn-s3-demo-"})
    if (StartsWith(b, pre)) return FieldError(field, std::string("must not start with '") + pre + "' (reserved by S3)");
  for (const char* suf : {"-s3alias", "--ol-s3", ".mrap", "--x-s3"})
    if (b.size() > std::string_view(suf).size() && b.ends_with(suf))
      return FieldError(field, std::string("must not end with '") + suf + "' (reserved by S3)");
  return b;
}

Result<std::string> NormalizeStoragePrefix(std::string_view prefix, std::string_view field) {
  std::string_view v = Trim(prefix);
  while (StartsWith(v, "/")) v.remove_prefix(1);
  if (v.empty()) return std::string();
  std::string p(v);
  if (p.back() != '/') p += '/';
  if (p.size() > 512) return FieldError(field, "is longer than 512 bytes");
  for (unsigned char c : p)
    if (c < 0x20 || c == 0x7f || c == '\\' || c == '?' || c == '#')
      return FieldError(field, "must not contain control characters, '\\', '?' or '#'; use a folder path such as "
                               "'wharf/backups/'");
  std::string_view body(p.data(), p.size() - 1);
  for (auto seg : Split(body, '/')) {
    if (seg.empty()) return FieldError(field, "must not contain '//' (an empty folder name)");
    if (seg == "." || seg == "..") return FieldError(field, "must not contain '.' or '..' folders");
  }
  return p;
}

Result<std::string> ValidateStorageRegion(std::string_view region, std::string_view field) {
  std::string r(Trim(region));
  if (r.empty())
    return FieldError(field, "is required: the bucket's region, e.g. us-east-1 (AWS), auto (Cloudflare R2), "
                             "us-west-004 (Backblaze B2), us-east-1 (MinIO's default)");
  bool ok = r.size() >= 2 && r.size() <= 40;
  for (char c : r) ok = ok && (std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '-');
  if (!ok) return FieldError(field, "must be a region name of lower-case letters, digits and '-', e.g. eu-west-1 or auto");
  return r;
}

Result<std::string> ValidateAccessKeyId(std::string_view id, std::string_view field) {
  std::string k(Trim(id));
  if (k.empty()) return FieldError(field, "is required: the access key id of a key with read, write, list and delete on the bucket");
  bool ok = k.size() >= 3 && k.size() <= 128;
  for (char c : k)
    ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '+' || c == '=' || c == '-');
  if (!ok)
    return FieldError(field, "must be 3 to 128 letters, digits or '._+=-' (the key id, not the secret: e.g. AKIA… on AWS)");
  return k;
}

}  // namespace wharf::domain
