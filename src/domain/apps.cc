#include "domain/apps.h"

#include <algorithm>
#include <cctype>

#include "base/strings.h"
#include "domain/validate.h"
#include "domain/variables.h"

namespace wharf::domain {

namespace {
bool Lower(char c) { return c >= 'a' && c <= 'z'; }
bool Digit(char c) { return c >= '0' && c <= '9'; }
bool Alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

}  // namespace

Result<std::string> ValidateServiceName(std::string_view name, std::string_view field) {
  std::string n(Trim(name));
  const char* rule = "must be 2 to 40 lowercase letters, digits and '-', starting with a letter and not ending with "
                     "'-' (it becomes the app name on the node and the name in {{ name.VAR }}), e.g. 'web' or 'db'";
  if (n.size() < 2 || n.size() > 40 || !Lower(n.front()) || n.back() == '-') return FieldError(field, rule);
  for (char c : n)
    if (!Lower(c) && !Digit(c) && c != '-') return FieldError(field, rule);
  if (n.find("--") != std::string::npos) return FieldError(field, "must not contain '--'");
  return n;
}

Result<std::string> ParseServiceType(std::string_view type, std::string_view field) {
  if (type == "app" || type == "git") return std::string("app");
  if (type == "docker" || type == "image") return std::string("docker");
  if (type == "database") return std::string("database");
  return FieldError(field, "must be \"app\" (built from a git repository), \"docker\" (an image) or \"database\"");
}

Result<std::string> ValidateGitRepository(std::string_view repo, std::string_view field) {
  std::string r(Trim(repo));
  if (r.empty()) return FieldError(field, "is required: 'owner/name' of a connected provider, or an https:// clone URL");
  if (r.size() > 500) return FieldError(field, "is longer than 500 characters");
  if (StartsWith(r, "https://")) {
    std::string_view rest = std::string_view(r).substr(8);
    size_t slash = rest.find('/');
    std::string_view host = rest.substr(0, slash);
    if (host.find('@') != std::string_view::npos)
      return FieldError(field, "must not carry credentials (user:token@) in the URL; connect a git provider and pass "
                               "its git_provider_id instead");
    if (slash == std::string_view::npos || slash + 1 >= rest.size())
      return FieldError(field, "must name a repository path after the host, e.g. https://git.example.com/owner/app.git");
    auto h = ValidateHost(host.substr(0, host.rfind(':') == std::string_view::npos || host.front() == '['
                                             ? host.size() : host.rfind(':')), field);
    if (!h) return FieldError(field, "has a bad host: use https://host[:port]/owner/name(.git)");
    for (char c : rest.substr(slash))
      if (!(Alnum(c) || c == '/' || c == '.' || c == '_' || c == '-' || c == '~'))
        return FieldError(field, "has a character a clone URL path cannot hold; use letters, digits, '/', '.', '_', '-'");
    if (rest.find("..") != std::string_view::npos) return FieldError(field, "must not contain '..'");
    return r;
  }
  if (r.find("://") != std::string::npos || StartsWith(r, "git@"))
    return FieldError(field, "must be 'owner/name' or an https:// clone URL (ssh and other schemes are not supported)");
  auto parts = Split(r, '/');
  if (parts.size() < 2) return FieldError(field, "must be 'owner/name' (e.g. 'acme/web'), or an https:// clone URL");
  for (auto p : parts) {
    bool ok = !p.empty() && p != "." && p != ".." && p.front() != '-';
    for (char c : p) ok = ok && (Alnum(c) || c == '.' || c == '_' || c == '-');
    if (!ok) return FieldError(field, "must be 'owner/name' made of letters, digits, '.', '_' and '-' (got '" + r + "')");
  }
  return r;
}

Result<std::string> ValidateGitRef(std::string_view ref, std::string_view field) {
  std::string r(Trim(ref));
  auto bad = [&](std::string why) { return FieldError(field, "is not a valid branch or tag name: " + why); };
  if (r.empty()) return FieldError(field, "is required: the branch or tag to build, e.g. 'main' or 'v1.2.0'");
  if (r.size() > 255) return bad("longer than 255 characters");
  if (r.front() == '-') return bad("it cannot start with '-'");
  if (r.front() == '/' || r.back() == '/') return bad("it cannot start or end with '/'");
  if (r.back() == '.') return bad("it cannot end with '.'");
  if (r.ends_with(".lock")) return bad("it cannot end with '.lock'");
  if (r == "@") return bad("'@' alone is not a name");
  if (r.find("..") != std::string::npos) return bad("it cannot contain '..'");
  if (r.find("//") != std::string::npos) return bad("it cannot contain '//'");
  if (r.find("@{") != std::string::npos) return bad("it cannot contain '@{'");
  for (char c : r) {
    if (static_cast<unsigned char>(c) < 0x21 || c == 0x7f) return bad("it cannot contain spaces or control characters");
    if (std::string_view("~^:?*[\\").find(c) != std::string_view::npos)
      return bad(std::string("it cannot contain '") + c + "'");
  }
  for (auto comp : Split(r, '/'))
    if (!comp.empty() && comp.front() == '.') return bad("no part of it can start with '.'");
  return r;
}

Result<std::string> ValidateBuildPath(std::string_view path, std::string_view field) {
  std::string p(Trim(path));
  while (StartsWith(p, "/")) p.erase(0, 1);
  while (p.ends_with("/")) p.pop_back();
  if (p.size() > 255) return FieldError(field, "is longer than 255 characters");
  for (char c : p)
    if (!(Alnum(c) || c == '/' || c == '.' || c == '_' || c == '-'))
      return FieldError(field, "must be a path inside the repository made of letters, digits, '/', '.', '_' and '-', e.g. 'apps/web'");
  for (auto comp : Split(p, '/'))
    if (!p.empty() && (comp.empty() || comp == "." || comp == ".."))
      return FieldError(field, "must not contain empty, '.' or '..' parts; it is relative to the repository's root");
  return p;
}

Result<std::string> ValidatePortMapping(std::string_view mapping, std::string_view field) {
  std::string m(Trim(mapping));
  auto parts = Split(m, ':');
  const char* rule = "must be 'scheme:host-port:container-port' with scheme http, https, tcp or udp, e.g. 'http:80:5000'";
  if (parts.size() != 3) return FieldError(field, rule);
  std::string scheme(parts[0]);
  if (scheme != "http" && scheme != "https" && scheme != "tcp" && scheme != "udp") return FieldError(field, rule);
  for (int i = 1; i < 3; ++i) {
    auto p = parts[i];
    if (p.empty() || p.size() > 5 || (p.size() > 1 && p.front() == '0')) return FieldError(field, rule);
    int v = 0;
    for (char c : p) {
      if (!Digit(c)) return FieldError(field, rule);
      v = v * 10 + (c - '0');
    }
    if (v < 1 || v > 65535) return FieldError(field, "has a port outside 1–65535");
  }
  return m;
}

Result<std::string> ValidateHostname(std::string_view host, std::string_view field) {
  std::string h = ToLower(Trim(host));
  if (h.ends_with(".")) h.pop_back();
  const std::string rule = "must be a DNS name such as app.example.com (letters, digits, '-' and '.', at least one dot, "
                           "no scheme, port, path or wildcard)";
  if (h.empty()) return FieldError(field, "is required: " + rule);
  if (h.size() > 253) return FieldError(field, "is longer than 253 characters");
  if (h.find('.') == std::string::npos) return FieldError(field, rule);
  auto labels = Split(h, '.');
  for (auto label : labels) {
    bool ok = !label.empty() && label.size() <= 63 && label.front() != '-' && label.back() != '-';
    for (char c : label) ok = ok && (Lower(c) || Digit(c) || c == '-');
    if (!ok) return FieldError(field, rule + " (got '" + std::string(Trim(host)) + "')");
  }
  bool all_digits = true;
  for (char c : labels.back()) all_digits = all_digits && Digit(c);
  if (all_digits) return FieldError(field, "must be a DNS name, not an IP address: point a name at the server instead");
  return h;
}

const std::vector<DatabaseEngine>& DatabaseEngines() {
  static const std::vector<DatabaseEngine> e = {
      // The default is the major of the image each pinned plugin ships (its Dockerfile: postgres
      // 18.4, mysql 9.7.0, mariadb 12.2.2, mongo 8.2.9, redis 8.8.0).
      {"postgres", "postgres", 5432, "18", {"12", "13", "14", "15", "16", "17", "18"}, true},
      {"mysql", "mysql", 3306, "9.7", {"5.7", "8.0", "8.4", "9.0", "9.1", "9.2", "9.3", "9.4", "9.5", "9.6", "9.7"}, true},
      {"mariadb", "mysql", 3306, "12.2",
       {"10.5", "10.6", "10.11", "11.0", "11.1", "11.2", "11.3", "11.4", "11.5", "11.6", "11.7", "11.8", "12.0", "12.1",
        "12.2"},
       true},
      {"mongo", "mongodb", 27017, "8.2", {"4.4", "5.0", "6.0", "7.0", "8.0", "8.1", "8.2"}, true},
      {"redis", "redis", 6379, "8.8", {"6.0", "6.2", "7.0", "7.2", "7.4", "8.0", "8.2", "8.4", "8.6", "8.8"}, false},
  };
  return e;
}

Result<DatabaseEngine> FindDatabaseEngine(std::string_view name, std::string_view field) {
  for (const auto& e : DatabaseEngines())
    if (e.name == name) return e;
  return FieldError(field, "must be one of postgres, mysql, mariadb, mongo or redis");
}

Result<std::string> ValidateDatabaseVersion(const DatabaseEngine& e, std::string_view version, std::string_view field) {
  std::string v(Trim(version));
  std::string supported;
  for (auto& m : e.majors) supported += (supported.empty() ? "" : ", ") + m;
  if (v.empty()) return e.default_version;
  auto parts = Split(v, '.');
  bool ok = parts.size() <= 3;
  for (auto p : parts) {
    ok = ok && !p.empty() && p.size() <= 4;
    for (char c : p) ok = ok && Digit(c);
  }
  if (!ok) return FieldError(field, "must be a version such as " + e.default_version + " (digits and dots)");
  for (auto& m : e.majors)
    if (v == m || StartsWith(v, m + ".")) return v;
  return FieldError(field, "is not a supported " + e.name + " version; supported: " + supported);
}

const std::vector<std::string>& DatabaseBuiltinNames() {
  static const std::vector<std::string> n = {"DATABASE_URL", "HOST", "PORT", "USER", "PASSWORD", "NAME"};
  return n;
}

Result<DatabaseCredentials> ParseDsn(std::string_view dsn) {
  std::string d(Trim(dsn));
  const std::string bad = "is not a DSN of the form scheme://user:password@host:port/database";
  auto scheme_end = d.find("://");
  auto at = d.rfind('@');
  if (scheme_end == std::string::npos || at == std::string::npos || at < scheme_end) return FieldError("dsn", bad);
  DatabaseCredentials c;
  c.url = d;
  std::string userinfo = d.substr(scheme_end + 3, at - scheme_end - 3);
  std::string rest = d.substr(at + 1);
  auto colon = userinfo.find(':');
  std::string user = userinfo.substr(0, colon);
  std::string pass = colon == std::string::npos ? "" : userinfo.substr(colon + 1);
  if (!PercentDecode(user, &c.user) || !PercentDecode(pass, &c.password)) return FieldError("dsn", bad);
  auto slash = rest.find('/');
  std::string hostport = rest.substr(0, slash);
  if (slash != std::string::npos) c.database = rest.substr(slash + 1, rest.find('?', slash) - slash - 1);
  auto pc = hostport.rfind(':');
  if (pc == std::string::npos || pc == 0) return FieldError("dsn", bad);
  c.host = hostport.substr(0, pc);
  const std::string port = hostport.substr(pc + 1);
  if (port.empty() || port.size() > 5) return FieldError("dsn", bad);
  for (char ch : port)
    if (!Digit(ch)) return FieldError("dsn", bad);
  c.port = std::stoi(port);
  return c;
}

std::map<std::string, std::string> DatabaseBuiltins(const DatabaseEngine& e, const DatabaseCredentials& c) {
  std::map<std::string, std::string> b;
  b["DATABASE_URL"] = c.url;
  b["HOST"] = c.host;
  b["PORT"] = std::to_string(c.port);
  b["USER"] = c.user;
  b["PASSWORD"] = c.password;
  b["NAME"] = c.database;
  std::string kind = e.name;
  for (auto& ch : kind) ch = static_cast<char>(ch - 'a' + 'A');
  b[kind + "_URI"] = c.url;
  b[kind + "_HOST"] = c.host;
  b[kind + "_PORT"] = b["PORT"];
  b[kind + "_USERNAME"] = c.user;
  b[kind + "_PASSWORD"] = c.password;
  b[kind + "_NAME"] = c.database;
  return b;
}

Result<std::string> RenameReferences(std::string_view value, const std::map<std::string, std::string>& renamed) {
  WHARF_ASSIGN_OR_RETURN(Template t, ParseTemplate(value, "value"));
  bool changed = false;
  for (auto& s : t.segments) {
    if (s.kind != Segment::Kind::kRef) continue;
    if (auto it = renamed.find(s.service); it != renamed.end() && it->second != s.service) {
      s.service = it->second;
      changed = true;
    }
  }
  if (!changed) return std::string(value);
  return FormatTemplate(t);
}

std::string UniqueServiceName(std::string_view name, const std::vector<std::string>& taken) {
  auto free = [&](const std::string& n) { return std::find(taken.begin(), taken.end(), n) == taken.end(); };
  std::string base(name);
  if (free(base)) return base;
  for (int i = 2;; ++i) {
    std::string suffix = "-" + std::to_string(i);
    std::string b = base.substr(0, std::min(base.size(), 40 - suffix.size()));
    while (!b.empty() && b.back() == '-') b.pop_back();
    if (free(b + suffix)) return b + suffix;
  }
}

}  // namespace wharf::domain
