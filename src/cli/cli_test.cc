#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "cli/api_client.h"
#include "cli/cli.h"
#include "cli/command.h"
#include "cli/config.h"
#include "cli/output.h"
#include "cli/permission_flags.h"
#include "cli/progress.h"
#include "cli/ops_flags.h"
#include "cli/rule_flags.h"
#include "cli/sse.h"

namespace wharf::cli {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

// ---- permission flags ----

TEST(PermissionFlags, AllowScopeAndLimitBuildTheWireForm) {
  PermissionFlags f{.allow = {"servers:cru", "team:r"}, .scope = {"servers=own"}, .create_limit = {"servers=3"}};
  auto p = BuildPermissions(f);
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ((*p)["servers"], (json{{"create", true}, {"read", true}, {"update", true}, {"delete", false},
                                   {"read_scope", "own"}, {"create_limit", 3}}));
  EXPECT_EQ((*p)["team"], (json{{"create", false}, {"read", true}, {"update", false}, {"delete", false}}));
  EXPECT_EQ(p->size(), 2u);
}

TEST(PermissionFlags, PathSpellingsAndRepeatsMerge) {
  auto p = BuildPermissions({.allow = {"ssh-keys:r", "sshKeys:d", "security_groups:CRUD", "docker-registries:*"}});
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_TRUE((*p)["sshKeys"]["read"]);
  EXPECT_TRUE((*p)["sshKeys"]["delete"]);
  EXPECT_FALSE((*p)["sshKeys"]["create"]);
  EXPECT_TRUE((*p)["securityGroups"]["update"]);
  EXPECT_TRUE((*p)["dockerRegistries"]["create"]);
}

TEST(PermissionFlags, StarMeansEveryCollection) {
  auto p = BuildPermissions({.allow = {"*:r"}});
  ASSERT_TRUE(p);
  EXPECT_EQ(p->size(), 15u);  // every collection, notifications included
  EXPECT_TRUE((*p)["backupStorage"]["read"]);
  EXPECT_FALSE((*p)["backupStorage"]["update"]);
}

TEST(PermissionFlags, ErrorsNameTheFlagAndTheFix) {
  auto unknown = BuildPermissions({.allow = {"servrs:r"}});
  ASSERT_FALSE(unknown);
  EXPECT_TRUE(unknown.error().details["fields"].contains("allow"));
  EXPECT_NE(unknown.error().details["fields"]["allow"].get<std::string>().find("servrs"), std::string::npos);
  EXPECT_NE(unknown.error().details["fields"]["allow"].get<std::string>().find("sshKeys"), std::string::npos);

  auto letter = BuildPermissions({.allow = {"servers:rx"}});
  ASSERT_FALSE(letter);
  EXPECT_NE(letter.error().details["fields"]["allow"].get<std::string>().find("'x'"), std::string::npos);

  EXPECT_FALSE(BuildPermissions({.allow = {"servers"}}));
  EXPECT_FALSE(BuildPermissions({.allow = {":r"}}));
  EXPECT_FALSE(BuildPermissions({.allow = {"servers:r"}, .scope = {"servers=mine"}}));
  auto orphan = BuildPermissions({.allow = {"team:r"}, .scope = {"servers=own"}});
  ASSERT_FALSE(orphan);
  EXPECT_TRUE(orphan.error().details["fields"].contains("scope"));
  EXPECT_FALSE(BuildPermissions({.allow = {"servers:r"}, .create_limit = {"servers=3"}}));  // no c
  EXPECT_FALSE(BuildPermissions({.allow = {"servers:c"}, .create_limit = {"servers=-1"}}));
  EXPECT_FALSE(BuildPermissions({.allow = {"servers:c"}, .create_limit = {"servers=two"}}));
}

TEST(PermissionFlags, ResourceScope) {
  auto s = BuildResourceScope({"servers=s1,s2", "applications=a1"});
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ((*s)["servers"], (json{"s1", "s2"}));
  EXPECT_EQ((*s)["applications"], (json{"a1"}));
  EXPECT_TRUE(BuildResourceScope({})->is_null());
  EXPECT_FALSE(BuildResourceScope({"services=x"}));
  EXPECT_FALSE(BuildResourceScope({"servers=a,,b"}));
}

TEST(PermissionFlags, DescribeListsGrantedCollectionsInOrder) {
  json p = {{"team", {{"read", true}}}, {"servers", {{"create", true}, {"read", true}, {"create_limit", 3}, {"read_scope", "own"}}},
            {"roles", {{"read", false}}}};
  auto rows = DescribePermissions(p);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].collection, "servers");
  EXPECT_EQ(rows[0].letters, "cr");
  EXPECT_EQ(rows[0].create_limit, "3");
  EXPECT_EQ(rows[0].read_scope, "own");
  EXPECT_EQ(rows[1].collection, "team");
  EXPECT_EQ(rows[1].read_scope, "all");
}

// ---- security group rule flags ----

TEST(RuleFlags, TypePortsAndSource) {
  EXPECT_EQ(*ParseRuleSpec("ssh=203.0.113.0/24", "inbound"), (json{{"type", "ssh"}, {"source", "203.0.113.0/24"}}));
  EXPECT_EQ(*ParseRuleSpec("custom-tcp:8000-8100=10.0.0.0/8", "inbound"),
            (json{{"type", "custom-tcp"}, {"from_port", 8000}, {"to_port", 8100}, {"source", "10.0.0.0/8"}}));
  EXPECT_EQ(*ParseRuleSpec("custom-udp:53=::/0", "outbound"),
            (json{{"type", "custom-udp"}, {"from_port", 53}, {"to_port", 53}, {"source", "::/0"}}));
  for (const char* bad : {"ssh", "=1.2.3.4/32", "ssh=", "custom-tcp:80-x=0.0.0.0/0", "custom-tcp:=0.0.0.0/0", ":22=0.0.0.0/0"}) {
    auto r = ParseRuleSpec(bad, "inbound");
    EXPECT_FALSE(r) << bad;
    if (!r) {
      EXPECT_TRUE(r.error().details["fields"].contains("inbound")) << bad;
    }
  }
  EXPECT_EQ(DescribeRule({{"type", "custom-tcp"}, {"protocol", "tcp"}, {"from_port", 80}, {"to_port", 90}, {"source", "0.0.0.0/0"}}),
            "custom-tcp 80-90/tcp from 0.0.0.0/0");
}

// ---- output ----

TEST(Output, TableAlignsColumnsByCodePoints) {
  Table t{{"NAME", "OK", "ID"}, {{"Admin", "✔", "r_1"}, {"Developer", "·", "r_22"}, {"x"}}};
  EXPECT_EQ(RenderTable(t, false),
            "NAME       OK  ID\n"
            "Admin      ✔   r_1\n"
            "Developer  ·   r_22\n"
            "x\n");
}

TEST(Output, TableBoldHeadersOnlyWithColourAndNoRawControlCharacters) {
  Table t{{"A"}, {{"evil\x1b[31mred"}}};
  std::string plain = RenderTable(t, false);
  EXPECT_EQ(plain.find('\x1b'), std::string::npos);
  EXPECT_NE(RenderTable(t, true).find("\x1b[1mA\x1b[0m"), std::string::npos);
}

TEST(Output, UseColorFollowsNoColor) {
  setenv("NO_COLOR", "1", 1);
  EXPECT_FALSE(UseColor(1));
  unsetenv("NO_COLOR");
}

TEST(Output, YamlQuotesWhatWouldChangeType) {
  json v = {{"name", "Acme"}, {"flag", "yes"}, {"num", "007"}, {"n", 3}, {"none", nullptr}, {"empty", json::array()},
            {"items", {{{"id", "a"}, {"tags", {"x", "y"}}}}}, {"colon", "a: b"}};
  EXPECT_EQ(ToYaml(v),
            "colon: \"a: b\"\n"
            "empty: []\n"
            "flag: \"yes\"\n"
            "items:\n"
            "  - id: a\n"
            "    tags:\n"
            "      - x\n"
            "      - \"y\"\n"  // YAML 1.1 reads a bare y or n as a boolean
            "\"n\": 3\n"
            "name: Acme\n"
            "none: null\n"
            "num: \"007\"\n");
}

TEST(Output, FormatParsing) {
  EXPECT_EQ(*ParseFormat("json"), Format::kJson);
  EXPECT_EQ(*ParseFormat("yaml"), Format::kYaml);
  EXPECT_EQ(*ParseFormat("table"), Format::kTable);
  EXPECT_FALSE(ParseFormat("xml"));
}

// ---- errors and exit codes ----

TEST(Errors, ApiErrorBodyBecomesErrorAndExitCode) {
  Error e = ErrorFromResponse(403, R"({"error":{"code":"forbidden","message":"No.","layer":"permissions",
                                        "details":{"permission":"team.update"}}})");
  EXPECT_EQ(e.code, ErrorCode::kForbidden);
  EXPECT_EQ(e.layer, Layer::kPermissions);
  EXPECT_EQ(ExitCodeFor(e), kExitForbidden);
  EXPECT_NE(FormatError(e, false).find("missing permission: team.update"), std::string::npos);

  EXPECT_EQ(ExitCodeFor(ErrorFromResponse(401, R"({"error":{"code":"unauthenticated","message":"x"}})")), kExitUnauthenticated);
  EXPECT_EQ(ExitCodeFor(ErrorFromResponse(403, R"({"error":{"code":"limit_reached","message":"x"}})")), kExitForbidden);
  Error bad = ErrorFromResponse(400, R"({"error":{"code":"validation_failed","message":"Bad.","details":{"fields":{"slug":"too short"}}}})");
  EXPECT_EQ(ExitCodeFor(bad), kExitFailure);  // the server refused the input: a failure, not a usage error
  EXPECT_NE(FormatError(bad, false).find("slug: too short"), std::string::npos);
  Error html = ErrorFromResponse(502, "<html>bad gateway</html>");
  EXPECT_EQ(ExitCodeFor(html), kExitFailure);
  EXPECT_NE(html.message.find("502"), std::string::npos);
  EXPECT_EQ(ExitCodeFor(UsageError("x").value()), kExitUsage);
}

TEST(FindRow, ByIdThenByNameIgnoringCase) {
  std::vector<json> rows = {{{"id", "r1"}, {"name", "Admin"}}, {{"id", "r2"}, {"name", "Dev"}}, {{"id", "r3"}, {"name", "dev"}}};
  EXPECT_EQ((*FindRow(rows, "r2", "/id", "/name", "role", "wharf role list"))["name"], "Dev");
  EXPECT_EQ((*FindRow(rows, "admin", "/id", "/name", "role", "wharf role list"))["id"], "r1");
  auto ambiguous = FindRow(rows, "DEV", "/id", "/name", "role", "wharf role list");
  ASSERT_FALSE(ambiguous);
  EXPECT_EQ(ExitCodeFor(ambiguous.error()), kExitUsage);
  auto missing = FindRow(rows, "Ops", "/id", "/name", "role", "wharf role list");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  std::vector<json> members = {{{"user", {{"id", "u1"}, {"email", "Ada@Example.com"}}}}};
  EXPECT_TRUE(FindRow(members, "ada@example.com", "/user/id", "/user/email", "member", "wharf member list"));
}

TEST(ApiClient, EncodeComponent) {
  EXPECT_EQ(EncodeComponent("acme-1_x.y~"), "acme-1_x.y~");
  EXPECT_EQ(EncodeComponent("a/b c?"), "a%2Fb%20c%3F");
}

// ---- config ----

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("wharf-cli-test-" + std::to_string(getpid()));
    fs::remove_all(dir_);
    setenv("XDG_CONFIG_HOME", dir_.c_str(), 1);
  }
  void TearDown() override {
    fs::remove_all(dir_);
    unsetenv("XDG_CONFIG_HOME");
  }
  fs::path dir_;
};

TEST_F(ConfigTest, RoundTripsWithMode0600InXdgConfigHome) {
  EXPECT_EQ(ConfigPath(), dir_ / "wharf" / "config.toml");
  auto empty = LoadConfig(ConfigPath());
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->contexts.empty());
  Config c;
  c.Upsert({"prod", "https://wharf.example.com", "tok\"en=1", "acme", "ada@example.com"});
  c.Upsert({"127.0.0.1:8080", "http://127.0.0.1:8080", "", "", ""});
  c.current = "prod";
  ::umask(022);
  ASSERT_TRUE(SaveConfig(ConfigPath(), c));
  struct stat st{};
  ASSERT_EQ(stat(ConfigPath().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(stat((dir_ / "wharf").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  auto back = LoadConfig(ConfigPath());
  ASSERT_TRUE(back);
  EXPECT_EQ(back->current, "prod");
  ASSERT_EQ(back->contexts.size(), 2u);
  EXPECT_EQ(back->Find("prod")->token, "tok\"en=1");
  EXPECT_EQ(back->Find("prod")->org, "acme");
  EXPECT_EQ(back->Find("127.0.0.1:8080")->url, "http://127.0.0.1:8080");
  EXPECT_TRUE(back->Remove("prod"));
  EXPECT_TRUE(back->current.empty());
}

TEST_F(ConfigTest, InvalidTomlNamesTheFile) {
  fs::create_directories(dir_ / "wharf");
  std::ofstream(ConfigPath()) << "current = \n[[[";
  auto r = LoadConfig(ConfigPath());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("config.toml"), std::string::npos);
}

// ---- Server-Sent Events ----

std::vector<SseEvent> ParseAll(const std::vector<std::string>& chunks) {
  SseParser p;
  std::vector<SseEvent> out;
  for (const auto& c : chunks) p.Feed(c, [&](const SseEvent& e) { out.push_back(e); });
  return out;
}

TEST(Sse, EventsWithSeveralDataLinesAreJoinedWithNewlines) {
  auto ev = ParseAll({"event: log\ndata: Installing plugin postgres\ndata: done\ndata: \n\nevent: end\n"
                      "data: {\"status\":\"succeeded\",\"error\":\"\"}\n\n"});
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].event, "log");
  EXPECT_EQ(ev[0].data, "Installing plugin postgres\ndone\n");  // exactly the chunk the job wrote
  EXPECT_EQ(ev[1].event, "end");
  EXPECT_EQ(json::parse(ev[1].data)["status"], "succeeded");
}

TEST(Sse, ChunksMaySplitAnywhereEvenInsideACrlf) {
  const std::string stream = "event: log\r\ndata: hello\r\n\r\nevent: end\r\ndata: {}\r\n\r\n";
  // Every way of cutting the stream in two, and one byte at a time, gives the same events.
  for (size_t cut = 0; cut <= stream.size(); ++cut) {
    auto ev = ParseAll({stream.substr(0, cut), stream.substr(cut)});
    ASSERT_EQ(ev.size(), 2u) << cut;
    EXPECT_EQ(ev[0].data, "hello") << cut;
    EXPECT_EQ(ev[1].event, "end") << cut;
  }
  std::vector<std::string> bytes;
  for (char c : stream) bytes.emplace_back(1, c);
  auto ev = ParseAll(bytes);
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].data, "hello");
}

TEST(Sse, CommentsFieldsWithoutSpaceAndEmptyBlocks) {
  auto ev = ParseAll({": keep-alive\n\n", "data:no-space\nid: 7\nretry: 100\nbogus: x\n\n", "event: end\n\n",
                      "data: a\rdata: b\r\r", "data: unfinished"});
  ASSERT_EQ(ev.size(), 2u);  // the comment-only and data-less blocks dispatch nothing; the last is incomplete
  EXPECT_EQ(ev[0].event, "message");
  EXPECT_EQ(ev[0].data, "no-space");
  EXPECT_EQ(ev[0].id, "7");
  EXPECT_EQ(ev[1].data, "a\nb");  // CR line endings
}

TEST(Sse, AnEventNameDoesNotLeakIntoTheNextEvent) {
  auto ev = ParseAll({"event: log\ndata: 1\n\ndata: 2\n\n"});
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[1].event, "message");
}

// ---- explain / support-bundle / doctor arguments ----

TEST(OpsFlags, PermissionRefsTakeAnySpellingOfCollectionAndAction) {
  auto a = ParsePermissionRef("servers:update");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->collection, "servers");
  EXPECT_EQ(a->action, "update");
  auto b = ParsePermissionRef("ssh-keys.c");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->collection, "sshKeys");
  EXPECT_EQ(b->action, "create");
  for (const char* bad : {"servers", "servers:", ":read", "servrs:read", "servers:write"}) {
    auto r = ParsePermissionRef(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(ExitCodeFor(r.error()), kExitUsage) << bad;
  }
}

TEST(OpsFlags, SinceIsMinutesHoursOrDaysUpToAWeek) {
  EXPECT_EQ(ParseSinceMinutes("60m").value(), 60);
  EXPECT_EQ(ParseSinceMinutes("90").value(), 90);
  EXPECT_EQ(ParseSinceMinutes("2h").value(), 120);
  EXPECT_EQ(ParseSinceMinutes("7d").value(), 7 * 1440);
  for (const char* bad : {"", "0m", "8d", "10s", "h", "1.5h", "-5m", "2hh"}) {
    auto r = ParseSinceMinutes(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(ExitCodeFor(r.error()), kExitUsage) << bad;
  }
}

TEST(OpsFlags, ChecklistGlyphs) {
  EXPECT_EQ(ChecklistGlyph("passed"), "✔");
  EXPECT_EQ(ChecklistGlyph("failed"), "✘");
  EXPECT_EQ(ChecklistGlyph("not_applicable"), "–");
}

// ---- progress ----

// What a ProgressLine wrote to a pipe while `work_ms` passed.
std::string ProgressOutput(ProgressStyle style, int delay_ms, int work_ms) {
  int fds[2];
  EXPECT_EQ(pipe(fds), 0);
  fcntl(fds[0], F_SETFL, O_NONBLOCK);
  {
    ProgressLine p(fds[1], "server check: waiting for 127.0.0.1:1", style, std::chrono::milliseconds(delay_ms));
    std::this_thread::sleep_for(std::chrono::milliseconds(work_ms));
  }
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  close(fds[1]);
  return out;
}

TEST(Progress, DrawnOnlyForSlowWorkAndErasedAfter) {
  EXPECT_EQ(ProgressOutput(ProgressStyle::kFancy, 400, 20), "");  // answered quickly: nothing
  EXPECT_EQ(ProgressOutput(ProgressStyle::kNone, 0, 300), "");    // not a terminal: nothing, ever
  const std::string fancy = ProgressOutput(ProgressStyle::kFancy, 0, 300);
  EXPECT_NE(fancy.find("server check: waiting for 127.0.0.1:1… 0s"), std::string::npos) << fancy;
  EXPECT_NE(fancy.find("⠋"), std::string::npos);
  EXPECT_TRUE(fancy.ends_with("\r\x1b[K")) << fancy;  // the line is erased
  const std::string plain = ProgressOutput(ProgressStyle::kPlain, 0, 300);
  EXPECT_NE(plain.find("server check: waiting for 127.0.0.1:1… 0s"), std::string::npos) << plain;
  EXPECT_EQ(plain.find('\x1b'), std::string::npos) << plain;  // NO_COLOR: no escape sequence at all
  EXPECT_EQ(plain.find("⠋"), std::string::npos);
  EXPECT_EQ(plain.back(), '\r');
  EXPECT_EQ(ProgressFrame("x", ProgressStyle::kFancy, 1, 7), "⠙ x… 7s");
  EXPECT_EQ(ProgressFrame("x", ProgressStyle::kPlain, 1, 7), "x… 7s");
}

TEST(Progress, NeverOffATerminal) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  EXPECT_EQ(ProgressStyleFor(fds[1]), ProgressStyle::kNone);
  close(fds[0]);
  close(fds[1]);
}

// ---- argument parsing through the real command tree ----

struct Parsed {
  int code;
  std::string out, err;
};

class CommandTreeTest : public ConfigTest {
 protected:
  Parsed Run(std::vector<std::string> args) {
    CLI::App app{"wharf"};
    app.require_subcommand(1);
    Registry r(app);
    AddSessionCommands(r);
    AddOrgCommands(r);
    AddTeamCommands(r);
    AddTokenCommands(r);
    AddSshKeyCommands(r);
    AddAuditCommands(r);
    AddServerCommands(r);
    AddCloudCommands(r);
    AddGitCommands(r);
    AddBackupStorageCommands(r);
    AddRegistryCommands(r);
    AddJobCommands(r);
    AddDiagnoseCommands(r);
    AddDeploymentCommands(r);
    AddBackupCommands(r);
    AddAppCommands(r);
    AddServiceCommands(r);
    AddCompletionCommand(r);
    args.insert(args.begin(), "wharf");
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    std::ostringstream out, err;
    try {
      app.parse(static_cast<int>(argv.size()), argv.data());
    } catch (const CLI::ParseError& e) {
      return {e.get_exit_code() == 0 ? 0 : kExitUsage, "", e.what()};
    }
    auto code = r.Run(out, err);
    return {code.value_or(-1), out.str(), err.str()};
  }
  void SetUp() override {
    ConfigTest::SetUp();
    unsetenv("WHARF_URL");
    unsetenv("WHARF_TOKEN");
    unsetenv("WHARF_ORG");
    unsetenv("WHARF_CONTEXT");
  }
};

TEST_F(CommandTreeTest, BadPermissionFlagIsAUsageErrorBeforeAnyRequest) {
  auto p = Run({"role", "create", "Dev", "--allow", "servrs:r", "--org", "acme"});
  EXPECT_EQ(p.code, kExitUsage);
  EXPECT_NE(p.err.find("servrs"), std::string::npos);
  EXPECT_EQ(Run({"role", "create", "Dev", "--allow", "servers:r", "--from-file", "x.json"}).code, kExitUsage);
}

TEST_F(CommandTreeTest, UnknownCommandsFlagsAndFormatsAreUsageErrors) {
  EXPECT_EQ(Run({"role"}).code, kExitUsage);
  EXPECT_EQ(Run({"role", "frobnicate"}).code, kExitUsage);
  EXPECT_EQ(Run({"role", "list", "--bogus"}).code, kExitUsage);
  EXPECT_EQ(Run({"role", "list", "-o", "xml"}).code, kExitUsage);
  EXPECT_EQ(Run({"member", "set-role", "only-one-arg"}).code, kExitUsage);
  EXPECT_EQ(Run({"completion", "fish"}).code, kExitUsage);
}

TEST_F(CommandTreeTest, NotSignedInIsExit3AndNoOrgIsUsage) {
  auto p = Run({"role", "list", "--org", "acme"});
  EXPECT_EQ(p.code, kExitUnauthenticated);
  EXPECT_NE(p.err.find("wharf login"), std::string::npos);
  EXPECT_EQ(Run({"whoami"}).code, kExitUnauthenticated);
  setenv("WHARF_URL", "http://127.0.0.1:9", 1);
  setenv("WHARF_TOKEN", "t", 1);
  // No --org, WHARF_ORG or default, and the server cannot be asked for the account's only org.
  auto none = Run({"role", "list"});
  EXPECT_EQ(none.code, kExitUsage);
  EXPECT_NE(none.err.find("No organisation chosen"), std::string::npos) << none.err;
}

TEST_F(CommandTreeTest, InviteTakesAnEmailOrASubcommand) {
  // Both parse; without a sign-in each stops at exit 3, which shows which command ran.
  EXPECT_EQ(Run({"invite", "list", "--org", "acme"}).code, kExitUnauthenticated);
  EXPECT_EQ(Run({"invite", "grace@example.com", "--role", "Dev", "--org", "acme"}).code, kExitUnauthenticated);
  EXPECT_EQ(Run({"invite", "--org", "acme"}).code, kExitUsage);  // neither an email nor a subcommand
}

TEST_F(CommandTreeTest, InviteAcceptNewAccountChecksItsArgumentsFirst) {
  // --name / --password-stdin belong to --new-account.
  EXPECT_EQ(Run({"invite", "accept", "whi_x", "--name", "Grace"}).code, kExitUsage);
  EXPECT_EQ(Run({"invite", "accept", "whi_x", "--password-stdin"}).code, kExitUsage);
  // A bare token with no server known: the whole link is needed to know where to sign up.
  auto bare = Run({"invite", "accept", "whi_x", "--new-account", "--name", "Grace", "--password-stdin"});
  EXPECT_EQ(bare.code, kExitUsage);
  EXPECT_NE(bare.err.find("whole invitation link"), std::string::npos) << bare.err;
  // Not signed in and no --new-account: exit 3, pointing at --new-account.
  auto anon = Run({"invite", "accept", "http://127.0.0.1:9/invite/whi_x"});
  EXPECT_EQ(anon.code, kExitUnauthenticated);
  EXPECT_NE(anon.err.find("--new-account"), std::string::npos) << anon.err;
}

TEST_F(CommandTreeTest, CompletionCoversEveryGroup) {
  auto p = Run({"completion", "bash"});
  EXPECT_EQ(p.code, 0);
  EXPECT_NE(p.out.find("[\"wharf/role\"]=\"list show get create edit delete"), std::string::npos) << p.out;
  EXPECT_NE(p.out.find("--allow"), std::string::npos);
  EXPECT_NE(p.out.find("complete -o default -F _wharf wharf"), std::string::npos);
  auto z = Run({"completion", "zsh"});
  EXPECT_NE(z.out.find("#compdef wharf"), std::string::npos);
}

TEST_F(CommandTreeTest, DiagnoseCommandsCheckTheirArgumentsBeforeAnyRequest) {
  setenv("WHARF_URL", "http://127.0.0.1:9", 1);
  setenv("WHARF_TOKEN", "t", 1);
  EXPECT_EQ(Run({"doctor", "--org", "acme"}).code, kExitUsage);  // nothing to diagnose
  EXPECT_EQ(Run({"doctor", "--server", "a", "--invitation", "b", "--org", "acme"}).code, kExitUsage);
  auto e = Run({"explain", "servers:write", "--org", "acme"});
  EXPECT_EQ(e.code, kExitUsage);
  EXPECT_NE(e.err.find("create, read, update or delete"), std::string::npos) << e.err;
  EXPECT_EQ(Run({"support-bundle", "--org", "acme"}).code, kExitUsage);  // -O is required
  EXPECT_EQ(Run({"support-bundle", "--since", "3w", "-O", "x.tar", "--org", "acme"}).code, kExitUsage);
  EXPECT_EQ(Run({"job", "log", "--org", "acme"}).code, kExitUsage);
  EXPECT_EQ(Run({"server", "firewall", "--org", "acme"}).code, kExitUsage);
  // With good arguments they reach for the (closed) server: exit 1, a network error.
  EXPECT_EQ(Run({"job", "log", "job_1", "--follow", "--org", "acme"}).code, kExitFailure);
  auto c = Run({"completion", "bash"});
  EXPECT_NE(c.out.find("[\"wharf/server/firewall\"]=\"show apply"), std::string::npos) << c.out;
  EXPECT_NE(c.out.find("[\"wharf/job\"]=\"show log"), std::string::npos);
  EXPECT_NE(c.out.find("--follow"), std::string::npos);
}

TEST_F(CommandTreeTest, RegistryTokensNeverComeFromArgv) {
  // There is no flag that takes the token as a value: it is prompted for or read from stdin.
  auto argv = Run({"registry", "add", "ghcr", "--host", "ghcr.io", "--username", "u", "--password", "s3cret", "--org", "acme"});
  EXPECT_EQ(argv.code, kExitUsage);
  EXPECT_NE(argv.err.find("--password-stdin"), std::string::npos) << argv.err;
  EXPECT_EQ(argv.err.find("s3cret"), std::string::npos) << argv.err;  // never echoed back
  EXPECT_EQ(Run({"registry", "add", "ghcr", "--host", "ghcr.io", "--username", "u", "--token", "s3cret", "--org", "acme"}).code,
            kExitUsage);
  EXPECT_EQ(Run({"registry", "edit", "ghcr", "--password", "s3cret", "--org", "acme"}).code, kExitUsage);
  EXPECT_EQ(Run({"registry", "add", "ghcr", "--username", "u", "--org", "acme"}).code, kExitUsage);  // --host is required
  EXPECT_EQ(Run({"registry", "verify", "ghcr", "--org", "acme"}).code, kExitUsage);                 // --image is required
  setenv("WHARF_URL", "http://127.0.0.1:9", 1);
  setenv("WHARF_TOKEN", "t", 1);
  auto e = Run({"registry", "edit", "ghcr", "--org", "acme"});
  EXPECT_EQ(e.code, kExitUsage);
  EXPECT_NE(e.err.find("Nothing to change"), std::string::npos) << e.err;
  EXPECT_EQ(Run({"registry", "edit", "ghcr", "--password-stdin", "--password-prompt", "--org", "acme"}).code, kExitUsage);
  EXPECT_EQ(Run({"registry", "list", "--org", "acme"}).code, kExitFailure);  // parsed; the (closed) server is unreachable
  EXPECT_EQ(Run({"registry", "delete", "ghcr", "--org", "acme"}).code, kExitFailure);  // `delete` is `remove`
  auto c = Run({"completion", "bash"});
  EXPECT_NE(c.out.find("[\"wharf/registry\"]=\"list add show edit verify test remove"), std::string::npos) << c.out;
  EXPECT_NE(c.out.find("--password-stdin"), std::string::npos);
  EXPECT_EQ(c.out.find("--password "), std::string::npos);  // the hidden trap is not offered
  EXPECT_EQ(c.out.find("--password\""), std::string::npos);
  EXPECT_NE(c.out.find("[\"wharf/invite\"]=\"list link resend revoke show accept"), std::string::npos);
  EXPECT_NE(c.out.find("set-seat-limit"), std::string::npos);
}

TEST_F(CommandTreeTest, AppServiceAndEnvCommandsCheckTheirArgumentsBeforeAnyRequest) {
  // Not signed in: argument mistakes are still exit 2 (found before the sign-in is needed).
  EXPECT_EQ(Run({"service", "create", "git", "web", "--org", "acme"}).code, kExitUsage);  // --app, --repository
  EXPECT_EQ(Run({"service", "create", "database", "db", "--app", "shop", "--org", "acme"}).code, kExitUsage);  // --engine
  EXPECT_EQ(Run({"service", "list", "--org", "acme"}).code, kExitUsage);
  auto noKey = Run({"env", "set", "svc_1", "hunter2", "--org", "acme"});
  EXPECT_EQ(noKey.code, kExitUsage);
  EXPECT_EQ(noKey.err.find("hunter2"), std::string::npos) << noKey.err;  // a value is never echoed
  EXPECT_EQ(Run({"env", "set", "svc_1", "9X=1", "--org", "acme"}).code, kExitUsage);
  EXPECT_EQ(Run({"env", "set", "web", "A=1", "--org", "acme"}).code, kExitUsage);  // a name needs --app
  EXPECT_EQ(Run({"env", "regenerate", "svc_1", "--org", "acme"}).code, kExitUsage);
  EXPECT_EQ(Run({"env", "regenerate", "svc_1", "K", "--all", "--org", "acme"}).code, kExitUsage);
  EXPECT_EQ(Run({"app", "update", "shop", "--org", "acme"}).code, kExitUsage);
  EXPECT_EQ(Run({"app", "create", "a", "--name", "b", "--server", "s", "--org", "acme"}).code, kExitUsage);
  EXPECT_EQ(Run({"template", "deploy", "t", "--app", "a", "--new-app", "b", "--org", "acme"}).code, kExitUsage);
  EXPECT_EQ(Run({"template", "deploy", "t", "--new-app", "b", "--org", "acme"}).code, kExitUsage);  // --server
  // Well-formed: they reach for the sign-in (exit 3).
  EXPECT_EQ(Run({"env", "set", "svc_1", "A={{ secret(32) }}", "B=x=y", "--org", "acme"}).code, kExitUnauthenticated);
  EXPECT_EQ(Run({"app", "list", "--org", "acme"}).code, kExitUnauthenticated);
  EXPECT_EQ(Run({"project", "list", "--org", "acme"}).code, kExitUnauthenticated);
  EXPECT_EQ(Run({"deploy", "web", "--app", "shop", "--follow", "--org", "acme"}).code, kExitUnauthenticated);
  // --env takes one value per occurrence: the service name after it is still the name.
  EXPECT_EQ(Run({"service", "create", "git", "--env", "A=1", "web", "--app", "shop", "--repository", "acme/shop", "--org", "acme"}).code,
            kExitUnauthenticated);
}

TEST_F(CommandTreeTest, EnvFromFileParsesDotEnv) {
  fs::create_directories(dir_);
  fs::path f = dir_ / "x.env";
  std::ofstream(f) << "# c\n\nexport A=\"two words\\nline\"\nB='{{ secret(8) }}'\nC=a=b\n";
  // Parsed, then it stops at the sign-in: exit 3 means the file was accepted.
  EXPECT_EQ(Run({"env", "set", "svc_1", "--from-file", f.string(), "--org", "acme"}).code, kExitUnauthenticated);
  std::ofstream(f) << "A=1\nnot an assignment\n";
  auto bad = Run({"env", "set", "svc_1", "--from-file", f.string(), "--org", "acme"});
  EXPECT_EQ(bad.code, kExitUsage);
  EXPECT_NE(bad.err.find("x.env:2"), std::string::npos) << bad.err;
}

TEST_F(CommandTreeTest, CompletionIncludesAppsServicesAndEnv) {
  for (std::string shell : {"bash", "zsh"}) {
    auto c = Run({"completion", shell});
    ASSERT_EQ(c.code, 0);
    // bash: ["wharf/app"]="list …"; zsh: 'wharf/app' 'list …'.
    auto entry = [&](const std::string& path, const std::string& words) {
      return shell == "bash" ? "[\"" + path + "\"]=\"" + words : "'" + path + "' '" + words;
    };
    for (auto [path, words] : {std::pair{"wharf/app", "list show create update delete"},
                               {"wharf/project", "list show create update delete"},
                               {"wharf/service", "list show create update delete reveal-credentials domains"},
                               {"wharf/service/create", "git image database"},
                               {"wharf/service/domains", "list add remove default"},
                               {"wharf/env", "list set unset regenerate"},
                               {"wharf/template", "list show save deploy delete"}})
      EXPECT_NE(c.out.find(entry(path, words)), std::string::npos) << shell << " " << path;
    EXPECT_NE(c.out.find("--from-file"), std::string::npos) << shell;
    EXPECT_NE(c.out.find("--git-provider"), std::string::npos) << shell;
    EXPECT_NE(c.out.find("--port-map"), std::string::npos) << shell;
  }
}

TEST_F(CommandTreeTest, ContextCommandsWorkOffline) {
  Config c;
  c.Upsert({"a", "http://127.0.0.1:1", "t1", "acme", "ada@example.com"});
  c.Upsert({"b", "http://127.0.0.1:2", "", "", ""});
  c.current = "a";
  ASSERT_TRUE(SaveConfig(ConfigPath(), c));
  auto list = Run({"context", "list", "-o", "json"});
  ASSERT_EQ(list.code, 0) << list.err;
  json j = json::parse(list.out);
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[0], (json{{"name", "a"}, {"url", "http://127.0.0.1:1"}, {"email", "ada@example.com"}, {"org", "acme"},
                        {"current", true}, {"signed_in", true}}));
  EXPECT_EQ(list.out.find("t1"), std::string::npos);  // never the token
  EXPECT_EQ(Run({"context", "use", "b"}).code, 0);
  EXPECT_EQ(Run({"context", "current"}).out, "b\n");
  EXPECT_EQ(Run({"context", "use", "nope"}).code, kExitUsage);
  EXPECT_EQ(Run({"whoami"}).code, kExitUnauthenticated);  // b has no token
}

// Every command and group of the real tree (the one main registers), with its path.
void Walk(CLI::App* app, const std::string& path, std::vector<std::pair<std::string, CLI::App*>>& out) {
  for (CLI::App* sub : app->get_subcommands({})) {
    if (sub->get_name().empty()) continue;
    out.emplace_back(path + " " + sub->get_name(), sub);
    Walk(sub, path + " " + sub->get_name(), out);
  }
}

TEST(HelpTree, EveryCommandAndGroupShowsAnExampleUnderHelp) {
  CLI::App app{"wharf"};
  auto client = RegisterClientCommands(app);
  std::vector<std::pair<std::string, CLI::App*>> all;
  Walk(&app, "wharf", all);
  ASSERT_GT(all.size(), 150u);  // the walk reaches the leaves, not just the groups
  std::vector<std::string> missing;
  for (auto& [path, cmd] : all) {
    const std::string help = cmd->help();
    const auto at = help.find("Example:\n  ");
    // The example names the command itself (`wharf role create …` under `wharf role create`).
    if (at == std::string::npos || help.find("wharf ", at) == std::string::npos) missing.push_back(path);
  }
  EXPECT_TRUE(missing.empty()) << "commands whose --help has no example:\n" << [&] {
    std::string s;
    for (auto& m : missing) s += "  " + m + "\n";
    return s;
  }();
}

TEST_F(CommandTreeTest, GitAwsAndStorageAreAliasesOfTheirGroups) {
  // Each alias parses to the same command: not signed in, so exit 3 (an unknown word would be 2).
  for (auto [alias, name] : {std::pair{"git", "git-provider"}, {"aws", "cloud-account"}, {"storage", "backup-storage"}}) {
    EXPECT_EQ(Run({alias, "list", "--org", "acme"}).code, kExitUnauthenticated) << alias;
    EXPECT_EQ(Run({name, "list", "--org", "acme"}).code, kExitUnauthenticated) << name;
    EXPECT_EQ(Run({alias, "frobnicate"}).code, kExitUsage) << alias;
  }
  EXPECT_EQ(Run({"storage", "verify", "offsite", "--org", "acme"}).code, kExitUnauthenticated);
  EXPECT_EQ(Run({"aws", "verify", "prod", "--org", "acme"}).code, kExitUnauthenticated);
  // --help lists them beside the name.
  CLI::App app{"wharf"};
  auto client = RegisterClientCommands(app);
  const std::string help = app.help();
  EXPECT_NE(help.find("git-provider, git "), std::string::npos) << help;
  EXPECT_NE(help.find("cloud-account, aws "), std::string::npos) << help;
  EXPECT_NE(help.find("backup-storage, storage "), std::string::npos) << help;
  // Both completion scripts offer the alias and complete its verbs.
  auto bash = Run({"completion", "bash"}).out;
  auto zsh = Run({"completion", "zsh"}).out;
  for (const char* alias : {"git", "aws", "storage"}) {
    EXPECT_NE(bash.find(std::string("[\"wharf/") + alias + "\"]=\"list"), std::string::npos) << alias;
    EXPECT_NE(zsh.find(std::string("'wharf/") + alias + "' 'list"), std::string::npos) << alias;
  }
  EXPECT_NE(bash.find(" git-provider git "), std::string::npos);
  EXPECT_NE(bash.find("[\"wharf/storage/verify\"]"), std::string::npos);
  EXPECT_EQ(zsh.find("local path="), std::string::npos);  // zsh ties $path to $PATH
}

}  // namespace
}  // namespace wharf::cli
