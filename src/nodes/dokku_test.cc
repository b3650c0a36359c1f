// The Dokku argv builders: shapes Dokku documents, values that survive a real /bin/sh untouched,
// and display lines that never carry a secret.
#include "nodes/dokku.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <map>
#include <optional>

#include "base/strings.h"
#include "nodes/checks.h"
#include "nodes/ssh.h"

namespace wharf::nodes::dokku {
namespace {

using V = std::vector<std::string>;

// Runs the quoted command line through /bin/sh with `dokku` replaced by printf, so the test sees
// exactly the argv a node's shell would hand to Dokku.
V ThroughShell(const Step& s) {
  V argv = s.argv;
  argv[0] = "printf";
  argv.insert(argv.begin() + 1, "%s\\0");
  std::string line = CommandLine(argv);
  FILE* f = popen(("/bin/sh -c " + Quote(line)).c_str(), "r");
  std::string out;
  char buf[4096];
  for (size_t n; (n = fread(buf, 1, sizeof buf, f)) > 0;) out.append(buf, n);
  pclose(f);
  V args;
  std::string cur;
  for (char c : out) {
    if (c == '\0') {
      args.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  return args;
}

TEST(Dokku, NamesFollowDokkusRule) {
  EXPECT_TRUE(ValidateName("web-1", "name"));
  EXPECT_TRUE(ValidateName("0db", "name"));
  for (const char* bad : {"", "Web", "-web", "web-", "web_1", "web.1", "a b", "$(id)"}) {
    auto st = ValidateName(bad, "name");
    ASSERT_FALSE(st) << bad;
    EXPECT_NE(st.error().message.find("name"), std::string::npos);
  }
  EXPECT_FALSE(ValidateName(std::string(64, 'a'), "name"));
}

TEST(Dokku, ConfigKeys) {
  EXPECT_TRUE(ValidateConfigKey("DATABASE_URL"));
  EXPECT_TRUE(ValidateConfigKey("_x1"));
  EXPECT_FALSE(ValidateConfigKey("1X"));
  EXPECT_FALSE(ValidateConfigKey("A-B"));
  EXPECT_FALSE(ValidateConfigKey(""));
}

TEST(Dokku, ConfigSetEncodesValuesAndNeverDisplaysThem) {
  const std::string nasty = "p@ss $(touch /tmp/pwned) `id` 'q' \"d\"\nline2";
  auto s = ConfigSet("web", {{"A", nasty}, {"B", ""}});
  EXPECT_EQ(s.argv, (V{"dokku", "config:set", "--encoded", "--no-restart", "web", "A=" + Base64Encode(nasty), "B="}));
  EXPECT_EQ(s.display.find("touch"), std::string::npos);
  EXPECT_EQ(s.display.find(Base64Encode(nasty)), std::string::npos);
  EXPECT_NE(s.display.find("A=["), std::string::npos);
  auto seen = ThroughShell(s);
  ASSERT_EQ(seen.size(), 6u);
  EXPECT_EQ(seen[4], "A=" + Base64Encode(nasty));
}

TEST(Dokku, SecretsGoThroughStdinOrStayOutOfTheDisplay) {
  auto r = RegistryLogin("web", "ghcr.io", "bot", "tok3n");
  EXPECT_EQ(r.argv, (V{"dokku", "registry:login", "--password-stdin", "web", "ghcr.io", "bot"}));
  EXPECT_EQ(r.stdin_data, "tok3n");
  EXPECT_EQ(r.display.find("tok3n"), std::string::npos);
  auto g = GitAuth("gitlab.example.com", "deploy", "glpat-secret");
  EXPECT_EQ(g.argv.back(), "glpat-secret");
  EXPECT_EQ(g.display.find("glpat-secret"), std::string::npos);
}

TEST(Dokku, DeployAndDatabaseCommands) {
  EXPECT_EQ(GitSync("web", "https://git.example.com/a/b.git", "main").argv,
            (V{"dokku", "git:sync", "--build", "web", "https://git.example.com/a/b.git", "main"}));
  EXPECT_EQ(GitFromImage("web", "ghcr.io/acme/web:1.2").argv, (V{"dokku", "git:from-image", "web", "ghcr.io/acme/web:1.2"}));
  EXPECT_EQ(DbCreate("postgres", "db", "16").argv, (V{"dokku", "postgres:create", "db", "--image-version", "16"}));
  EXPECT_EQ(DbDsn("postgres", "db").argv, (V{"dokku", "postgres:info", "db", "--dsn"}));
  // The plugins' own DSNs: their user, the service name as the database, unchanged.
  EXPECT_EQ(PluginDsn("postgres", "shop-db", "pw"), "postgres://postgres:pw@dokku-postgres-shop-db:5432/shop-db");
  EXPECT_EQ(PluginDsn("mariadb", "shop-db", "pw"), "mysql://mariadb:pw@dokku-mariadb-shop-db:3306/shop-db");
  EXPECT_EQ(PluginDsn("mysql", "a", "pw"), "mysql://mysql:pw@dokku-mysql-a:3306/a");
  EXPECT_EQ(PluginDsn("mongo", "m", "pw"), "mongodb://m:pw@dokku-mongo-m:27017/m");
  EXPECT_EQ(PluginDsn("redis", "c", "pw"), "redis://:pw@dokku-redis-c:6379");
  EXPECT_EQ(DbCreate("redis", "cache", "").argv, (V{"dokku", "redis:create", "cache"}));
  EXPECT_EQ(DbLink("postgres", "db", "web").argv, (V{"dokku", "postgres:link", "db", "web"}));
  EXPECT_EQ(DbExport("postgres", "db").argv, (V{"dokku", "postgres:export", "db"}));
  EXPECT_EQ(PortsSet("web", {"http:80:5000"}).argv, (V{"dokku", "ports:set", "web", "http:80:5000"}));
  EXPECT_EQ(DomainsSet("web", {"a.example.com", "b.example.com"}).argv,
            (V{"dokku", "domains:set", "web", "a.example.com", "b.example.com"}));
  EXPECT_EQ(ConfigUnset("web", {"OLD"}).argv, (V{"dokku", "config:unset", "--no-restart", "web", "OLD"}));
  EXPECT_EQ(AppsDestroy("web").argv, (V{"dokku", "--force", "apps:destroy", "web"}));
  EXPECT_TRUE(IsDatabaseKind("mariadb"));
  EXPECT_FALSE(IsDatabaseKind("sqlite"));
}

// Dokku's usage lines for one version, from ../shared/testdata/dokku/README.md (Dokku's own
// sources at v0.35.12 and v0.38.27). Core (Go) subcommands take flags only before the first
// argument; the datastore plugins (bash) take them anywhere.
struct Usage {
  std::map<std::string, bool> flags;  // flag -> takes a value
  size_t min = 0, max = 0;            // positionals; max SIZE_MAX = any
  bool go = true;
};

std::map<std::string, Usage> UsageOf(std::string_view version) {
  const size_t kAny = SIZE_MAX;
  const bool v38 = CompareVersions(version, "0.38.0") >= 0;
  std::map<std::string, Usage> u = {
      {"apps:create", {{}, 1, 1}},
      {"apps:destroy", {{}, 1, 1}},
      {"ps:restart", {{{"--parallel", true}, {"--all", false}}, 0, 2}},
      {"ps:stop", {{{"--parallel", true}, {"--all", false}}, 0, 1}},
      {"ps:start", {{{"--parallel", true}, {"--all", false}}, 0, 1}},
      {"git:sync", {{{"--build", false}}, 2, 3}},
      {"git:from-image", {{}, 2, 4}},
      {"git:auth", {{}, 1, 3}},
      {"registry:login", {{{"--password-stdin", false}}, 2, 3}},
      {"config:set", {{{"--encoded", false}, {"--no-restart", false}}, 2, kAny}},
      {"config:unset", {{{"--no-restart", false}}, 2, kAny}},
      {"domains:set", {{}, 2, kAny}},
      {"domains:add", {{}, 2, kAny}},
      {"domains:remove", {{}, 2, kAny}},
      {"domains:clear", {{}, 1, 1}},
      {"letsencrypt:enable", {{{"--force", false}}, 1, 1, false}},
  };
  if (CompareVersions(version, "0.31.0") >= 0) u["ports:set"] = {{}, 1, kAny};
  if (v38) {
    u["git:sync"].flags = {{"--build", false}, {"--build-if-changes", false}, {"--skip-deploy-branch", false}};
    u["registry:login"] = {{{"--global", false}, {"--password-stdin", false}}, 2, 4};
  }
  std::map<std::string, bool> create;
  for (const char* f : {"-c", "--config-options", "-C", "--custom-env", "-i", "--image", "-I", "--image-version",
                        "-m", "--memory", "-N", "--initial-network", "-p", "--password", "-P",
                        "--post-create-network", "-r", "--root-password", "-S", "--post-start-network", "-s",
                        "--shm-size"})
    create[f] = true;
  for (const char* kind : {"postgres", "mysql", "mariadb", "mongo", "redis"}) {
    const std::string k = kind;
    u[k + ":create"] = {create, 1, 1, false};
    u[k + ":link"] = {{{"--alias", true}, {"--querystring", true}}, 2, 2, false};
    u[k + ":unlink"] = {{}, 2, 2, false};
    u[k + ":info"] = {{{"--dsn", false}, {"--status", false}, {"--version", false}}, 1, 1, false};
    for (const char* one : {":destroy", ":exists", ":links", ":export", ":import", ":restart", ":stop", ":start"})
      u[k + one] = {{}, 1, 1, false};
  }
  return u;
}

// Why `argv` is not accepted by Dokku `version`, or nullopt when it is.
std::optional<std::string> Refusal(const std::vector<std::string>& argv, std::string_view version,
                                   bool password_on_stdin) {
  auto table = UsageOf(version);
  size_t i = 1;
  while (i < argv.size() && (argv[i] == "--force" || argv[i] == "--no-restart")) ++i;
  if (i >= argv.size()) return "no command";
  auto it = table.find(argv[i]);
  if (it == table.end()) return "`" + argv[i] + "` is not a dokku command";
  const Usage& u = it->second;
  std::map<std::string, bool> seen;
  size_t positionals = 0;
  for (++i; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a.size() > 1 && a[0] == '-' && !(u.go && positionals > 0)) {
      auto f = u.flags.find(a);
      if (f == u.flags.end()) return "flag provided but not defined: " + a;
      if (f->second && ++i >= argv.size()) return "flag needs an argument: " + a;
      seen[a] = true;
    } else {
      ++positionals;
    }
  }
  size_t max = u.max;
  // A password on stdin takes the place of the trailing <password> argument.
  if (argv[1] == "registry:login" && seen.count("--password-stdin") && password_on_stdin) --max;
  if (positionals < u.min || positionals > max)
    return "wrong number of arguments: " + std::to_string(positionals);
  return std::nullopt;
}

std::vector<Step> EveryBuilder() {
  return {AppsCreate("web"), AppsDestroy("web"), PsRestart("web"), PsStop("web"), PsStart("web"),
          GitSync("web", "https://h/r.git", "main"), GitSync("web", "https://h/r.git", ""),
          GitFromImage("web", "ghcr.io/a/b:1"), GitAuth("h", "u", "p"), RegistryLogin("web", "ghcr.io", "u", "p"),
          ConfigSet("web", {{"A", "1"}, {"B", "2"}}), ConfigUnset("web", {"A"}), DomainsSet("web", {"a.example.com"}),
          DomainsClear("web"), DomainsAdd("web", "a.example.com"), DomainsRemove("web", "a.example.com"),
          LetsencryptEnable("web"), PortsSet("web", {"http:80:5000"}), DbCreate("postgres", "db", "18"),
          DbCreate("redis", "c", ""), DbDsn("mongo", "db"), DbLink("mysql", "db", "web"), DbUnlink("mariadb", "db", "web"),
          DbDestroy("postgres", "db"), DbExport("postgres", "db"), DbImport("postgres", "db")};
}

TEST(Dokku, EveryBuilderParsesAgainstTheUsageOfThePinnedAndTheMinimumVersion) {
  EXPECT_EQ(MinimumVersion(), "0.31.0");  // ports:set first appears in 0.31.0
  // The facts give usage at 0.35.12 and 0.38.27; between 0.31.0 and 0.35.12 these forms did not
  // change, so the minimum version is checked against 0.35.12's usage minus what is newer.
  for (const std::string& version : {std::string(kPinnedVersion), MinimumVersion(), std::string("0.35.12")}) {
    for (const auto& s : EveryBuilder()) {
      const bool accepted = s.since.empty() || CompareVersions(version, s.since) >= 0;
      auto why = Refusal(s.argv, version, !s.stdin_data.empty());
      if (accepted) EXPECT_FALSE(why) << version << ": " << s.display << ": " << *why;
      else EXPECT_TRUE(why) << version << " accepts " << s.display << " although the builder says " << s.since;
    }
  }
}

TEST(Dokku, PerAppRegistryLoginIsRefusedByDokkuBefore038) {
  auto r = RegistryLogin("web", "ghcr.io", "bot", "tok3n");
  EXPECT_EQ(r.since, "0.38.0");
  // 0.35.12 would read the app as the server: three arguments with --password-stdin.
  ASSERT_TRUE(Refusal(r.argv, "0.35.12", true));
  EXPECT_FALSE(Refusal(r.argv, "0.38.0", true));
  EXPECT_TRUE(Refusal(PortsSet("web", {"http:80:5000"}).argv, "0.30.0", false));
  // The minimum version is the newest `since` of the core builders, not a constant.
  EXPECT_GE(CompareVersions(MinimumVersion(), PortsSet("w", {}).since), 0);
}

TEST(Dokku, PluginsArePinnedToReleaseTags) {
  EXPECT_EQ(kPinnedVersion, "0.38.27");
  ASSERT_EQ(PinnedPlugins().size(), 6u);
  for (const auto& p : PinnedPlugins()) {
    EXPECT_FALSE(p.committish.empty()) << p.name;
    EXPECT_EQ(p.url, "https://github.com/dokku/dokku-" + p.name + ".git");
  }
}

TEST(Dokku, ArgumentsReachDokkuUnchangedThroughAShell) {
  auto s = GitSync("web", "https://h/x.git; rm -rf /", "$(id)");
  EXPECT_EQ(ThroughShell(s), (V{"git:sync", "--build", "web", "https://h/x.git; rm -rf /", "$(id)"}));
}

}  // namespace
}  // namespace wharf::nodes::dokku
