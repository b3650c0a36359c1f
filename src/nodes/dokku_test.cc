// The Dokku argv builders: shapes Dokku documents, values that survive a real /bin/sh untouched,
// and display lines that never carry a secret.
#include "nodes/dokku.h"

#include <gtest/gtest.h>

#include <cstdio>

#include "base/strings.h"
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

TEST(Dokku, ArgumentsReachDokkuUnchangedThroughAShell) {
  auto s = GitSync("web", "https://h/x.git; rm -rf /", "$(id)");
  EXPECT_EQ(ThroughShell(s), (V{"git:sync", "--build", "web", "https://h/x.git; rm -rf /", "$(id)"}));
}

}  // namespace
}  // namespace wharf::nodes::dokku
