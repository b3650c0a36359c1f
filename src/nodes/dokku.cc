#include "nodes/dokku.h"

#include <algorithm>
#include <array>

#include "base/strings.h"
#include "nodes/checks.h"

namespace wharf::nodes::dokku {

namespace {
std::string S(std::string_view v) { return std::string(v); }

std::string Join(const std::vector<std::string>& v, std::string_view sep) {
  std::string out;
  for (const auto& x : v) {
    if (!out.empty()) out += sep;
    out += x;
  }
  return out;
}

Step Plain(std::vector<std::string> argv) {
  Step s;
  s.display = Join(argv, " ");
  s.argv = std::move(argv);
  return s;
}

Step Since(Step s, std::string version, std::string feature) {
  s.since = std::move(version);
  s.feature = std::move(feature);
  return s;
}
}  // namespace

const std::vector<PluginPin>& PinnedPlugins() {
  // Release tags of the official plugins (dokku-letsencrypt's newest tag is 0.25.1).
  static const std::vector<PluginPin> p = {
      {"postgres", "https://github.com/dokku/dokku-postgres.git", "1.48.0"},
      {"mysql", "https://github.com/dokku/dokku-mysql.git", "1.44.3"},
      {"mariadb", "https://github.com/dokku/dokku-mariadb.git", "1.45.2"},
      {"mongo", "https://github.com/dokku/dokku-mongo.git", "1.40.6"},
      {"redis", "https://github.com/dokku/dokku-redis.git", "1.43.0"},
      {"letsencrypt", "https://github.com/dokku/dokku-letsencrypt.git", "0.25.1"},
  };
  return p;
}

std::string MinimumVersion() {
  const std::vector<Step> core = {
      AppsCreate("a"), AppsDestroy("a"), PsRestart("a"), PsStop("a"), PsStart("a"),
      GitSync("a", "https://h/r", "main"), GitFromImage("a", "i"), GitAuth("h", "u", "p"),
      ConfigSet("a", {{"K", "v"}}), ConfigUnset("a", {"K"}), DomainsSet("a", {"a.example.com"}),
      DomainsClear("a"), LetsencryptEnable("a"), PortsSet("a", {"http:80:5000"}),
      DbCreate("postgres", "d", ""), DbDsn("postgres", "d"), DbLink("postgres", "d", "a"),
      DbUnlink("postgres", "d", "a"), DbDestroy("postgres", "d"), DbExport("postgres", "d"),
      DbImport("postgres", "d")};
  std::string min = "0.0.0";
  for (const auto& s : core) {
    if (!s.since.empty() && CompareVersions(min, s.since) < 0) min = s.since;
  }
  return min;
}

Status ValidateName(std::string_view name, std::string_view field) {
  if (name.empty() || name.size() > 63)
    return FieldError(field, "must be 1 to 63 characters: lowercase letters, digits and dashes");
  auto lower_alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!lower_alnum(name.front()))
    return FieldError(field, "must start with a lowercase letter or a digit (Dokku's naming rule)");
  for (char c : name)
    if (!lower_alnum(c) && c != '-')
      return FieldError(field, "may hold only lowercase letters, digits and dashes (Dokku's naming rule); '" +
                                   std::string(1, c) + "' is not allowed");
  if (name.back() == '-') return FieldError(field, "must not end with a dash");
  return Ok();
}

Status ValidateConfigKey(std::string_view key) {
  auto head = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; };
  if (key.empty() || !head(key.front()))
    return FieldError("key", "'" + std::string(key) + "' must start with a letter or '_' (an environment variable name)");
  for (char c : key)
    if (!head(c) && !(c >= '0' && c <= '9'))
      return FieldError("key", "'" + std::string(key) + "' may hold only letters, digits and '_'");
  return Ok();
}

bool IsDatabaseKind(std::string_view kind) {
  static constexpr std::array<std::string_view, 5> kKinds = {"postgres", "mysql", "mariadb", "mongo", "redis"};
  return std::find(kKinds.begin(), kKinds.end(), kind) != kKinds.end();
}

Step AppsCreate(std::string_view app) { return Plain({"dokku", "apps:create", S(app)}); }
Step AppsDestroy(std::string_view app) { return Plain({"dokku", "--force", "apps:destroy", S(app)}); }
Step PsRestart(std::string_view app) { return Plain({"dokku", "ps:restart", S(app)}); }
Step PsStop(std::string_view app) { return Plain({"dokku", "ps:stop", S(app)}); }
Step PsStart(std::string_view app) { return Plain({"dokku", "ps:start", S(app)}); }
Step PsRebuild(std::string_view app) { return Plain({"dokku", "ps:rebuild", S(app)}); }

Step GitSync(std::string_view app, std::string_view repository_url, std::string_view ref) {
  std::vector<std::string> argv = {"dokku", "git:sync", "--build", S(app), S(repository_url)};
  if (!ref.empty()) argv.push_back(S(ref));
  return Plain(std::move(argv));
}

Step GitFromImage(std::string_view app, std::string_view image) {
  return Plain({"dokku", "git:from-image", S(app), S(image)});
}

Step GitAuth(std::string_view host, std::string_view username, std::string_view password) {
  Step s;
  s.argv = {"dokku", "git:auth", S(host), S(username), S(password)};
  s.display = "dokku git:auth " + S(host) + " " + S(username) + " [credential]";
  return s;
}

Step RegistryLogin(std::string_view app, std::string_view server, std::string_view username,
                   std::string_view password) {
  Step s;
  s.argv = {"dokku", "registry:login", "--password-stdin", S(app), S(server), S(username)};
  s.stdin_data = S(password);
  s.display = Join(s.argv, " ");
  return Since(std::move(s), "0.38.0", "private-registry images (per-app registry:login)");
}

Step ConfigSet(std::string_view app, const std::map<std::string, std::string>& values) {
  Step s;
  s.argv = {"dokku", "config:set", "--encoded", "--no-restart", S(app)};
  s.display = "dokku config:set --encoded --no-restart " + S(app);
  for (const auto& [k, v] : values) {
    s.argv.push_back(k + "=" + Base64Encode(v));
    s.display += " " + k + "=[" + std::to_string(v.size()) + " bytes]";
  }
  return s;
}

Step ConfigUnset(std::string_view app, const std::vector<std::string>& keys) {
  std::vector<std::string> argv = {"dokku", "config:unset", "--no-restart", S(app)};
  argv.insert(argv.end(), keys.begin(), keys.end());
  return Plain(std::move(argv));
}

Step DomainsSet(std::string_view app, const std::vector<std::string>& domains) {
  std::vector<std::string> argv = {"dokku", "domains:set", S(app)};
  argv.insert(argv.end(), domains.begin(), domains.end());
  return Plain(std::move(argv));
}
Step DomainsClear(std::string_view app) { return Plain({"dokku", "domains:clear", S(app)}); }
Step DomainsAdd(std::string_view app, std::string_view domain) { return Plain({"dokku", "domains:add", S(app), S(domain)}); }
Step DomainsRemove(std::string_view app, std::string_view domain) {
  return Plain({"dokku", "domains:remove", S(app), S(domain)});
}
Step LetsencryptEnable(std::string_view app) { return Plain({"dokku", "letsencrypt:enable", S(app)}); }

Step PortsSet(std::string_view app, const std::vector<std::string>& mappings) {
  std::vector<std::string> argv = {"dokku", "ports:set", S(app)};
  argv.insert(argv.end(), mappings.begin(), mappings.end());
  return Since(Plain(std::move(argv)), "0.31.0", "port mappings (ports:set)");
}

Step DbCreate(std::string_view kind, std::string_view service, std::string_view version) {
  std::vector<std::string> argv = {"dokku", S(kind) + ":create", S(service)};
  if (!version.empty()) {
    argv.push_back("--image-version");
    argv.push_back(S(version));
  }
  return Plain(std::move(argv));
}
std::string PluginDsn(std::string_view kind, std::string_view service, std::string_view password) {
  std::string host = "dokku-" + S(kind) + "-" + S(service);
  for (auto& c : host)
    if (c == '.' || c == '_') c = '-';
  if (kind == "redis") return "redis://:" + S(password) + "@" + host + ":6379";
  if (kind == "postgres") return "postgres://postgres:" + S(password) + "@" + host + ":5432/" + S(service);
  if (kind == "mongo")
    return "mongodb://" + S(service) + ":" + S(password) + "@" + host + ":27017/" + S(service);
  // mysql and mariadb: the mariadb plugin's scheme is mysql too.
  return "mysql://" + S(kind) + ":" + S(password) + "@" + host + ":3306/" + S(service);
}

Step DbDsn(std::string_view kind, std::string_view service) {
  return Plain({"dokku", S(kind) + ":info", S(service), "--dsn"});
}
Step DbLink(std::string_view kind, std::string_view service, std::string_view app) {
  return Plain({"dokku", S(kind) + ":link", S(service), S(app)});
}
Step DbUnlink(std::string_view kind, std::string_view service, std::string_view app) {
  return Plain({"dokku", S(kind) + ":unlink", S(service), S(app)});
}
Step DbDestroy(std::string_view kind, std::string_view service) {
  return Plain({"dokku", "--force", S(kind) + ":destroy", S(service)});
}
Step DbExport(std::string_view kind, std::string_view service) { return Plain({"dokku", S(kind) + ":export", S(service)}); }
Step DbImport(std::string_view kind, std::string_view service) { return Plain({"dokku", S(kind) + ":import", S(service)}); }

std::vector<std::string> Version() { return {"dokku", "version"}; }
std::vector<std::string> AppsExists(std::string_view app) { return {"dokku", "apps:exists", S(app)}; }
std::vector<std::string> DbExists(std::string_view kind, std::string_view service) {
  return {"dokku", S(kind) + ":exists", S(service)};
}
std::vector<std::string> DbLinks(std::string_view kind, std::string_view service) {
  return {"dokku", S(kind) + ":links", S(service)};
}
std::vector<std::string> PluginList() { return {"dokku", "plugin:list"}; }
std::vector<std::string> GitReport(std::string_view app, std::string_view flag) {
  return {"dokku", "git:report", S(app), S(flag)};
}
std::vector<std::string> PsReportJson(std::string_view app) {
  return {"dokku", "ps:report", S(app), "--format", "json"};
}
std::vector<std::string> Logs(std::string_view app, int num, bool tail, bool quiet) {
  std::vector<std::string> argv = {"dokku", "logs", S(app), "-n", std::to_string(num)};
  if (tail) argv.push_back("-t");
  if (quiet) argv.push_back("-q");
  return argv;
}
std::vector<std::string> PluginInstall(const PluginPin& pin) {
  return {"dokku", "plugin:install", pin.url, "--committish", pin.committish, "--name", pin.name};
}

}  // namespace wharf::nodes::dokku
