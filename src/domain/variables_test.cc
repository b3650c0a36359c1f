// Service variables (parser, secret(), resolver) and the application validators.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <random>

#include "domain/apps.h"
#include "domain/variables.h"

namespace wharf::domain {
namespace {

std::string FieldProblem(const Error& e, const std::string& field) {
  if (!e.details.contains("fields") || !e.details["fields"].contains(field)) return "<no field " + field + ">: " + e.message;
  return e.details["fields"][field].get<std::string>();
}

RandomFill Mt(uint64_t seed) {
  auto rng = std::make_shared<std::mt19937_64>(seed);
  return [rng](unsigned char* out, size_t n) {
    for (size_t i = 0; i < n; ++i) out[i] = static_cast<unsigned char>((*rng)() >> 56);
  };
}

TEST(Template, ParsesTextSecretsReferencesAndLiterals) {
  auto t = ParseTemplate("postgres://{{db.USER}}:{{ secret(16, \"ab\") }}@{{  db.HOST }}/x{{ \"{{\" }}y", "variables.X");
  ASSERT_TRUE(t) << t.error().message;
  ASSERT_EQ(t->segments.size(), 7u);
  EXPECT_EQ(t->segments[0].text, "postgres://");
  EXPECT_EQ(t->segments[1].kind, Segment::Kind::kRef);
  EXPECT_EQ(t->segments[1].service, "db");
  EXPECT_EQ(t->segments[1].var, "USER");
  EXPECT_EQ(t->segments[3].kind, Segment::Kind::kSecret);
  EXPECT_EQ(t->segments[3].secret.length, 16);
  EXPECT_EQ(t->segments[3].secret.charset, "ab");
  EXPECT_EQ(t->segments[6].text, "/x{{y");  // the quoted literal joins the text around it
  EXPECT_EQ(t->secret_count, 1u);
  EXPECT_EQ(t->ref_count, 2u);
  // Canonical text parses back to the same thing.
  auto again = ParseTemplate(FormatTemplate(*t), "v");
  ASSERT_TRUE(again);
  EXPECT_EQ(FormatTemplate(*again), FormatTemplate(*t));
  EXPECT_EQ(FormatTemplate(*t), "postgres://{{ db.USER }}:{{ secret(16, \"ab\") }}@{{ db.HOST }}/x{{ \"{{\" }}y");
}

TEST(Template, PlainTextAndDefaultCharset) {
  auto plain = ParseTemplate("just text with } and { braces }}", "variables.A");
  ASSERT_TRUE(plain);
  ASSERT_EQ(plain->segments.size(), 1u);
  auto def = ParseTemplate("{{secret(8)}}", "variables.A");
  ASSERT_TRUE(def);
  EXPECT_EQ(def->segments[0].secret.charset.size(), 62u);
  EXPECT_TRUE(ParseTemplate("", "variables.A"));
}

TEST(Template, BadSyntaxNamesTheVariableAndThePosition) {
  struct Case {
    const char* value;
    const char* expect;
  } cases[] = {
      {"{{ db.URL", "not closed"},
      {"x {{ }}", "empty expression"},
      {"{{ FOO }}", "not a reference"},
      {"{{ Db.URL }}", "not a service name"},
      {"{{ db. }}", "expected a variable name"},
      {"{{ db.1X }}", "expected a variable name"},
      {"{{ random(3) }}", "unknown function"},
      {"{{ secret() }}", "needs a length"},
      {"{{ secret(0) }}", "from 1 to 4096"},
      {"{{ secret(5000) }}", "from 1 to 4096"},
      {"{{ secret(8, \"aa\") }}", "repeats 'a'"},
      {"{{ secret(8, \"a b\") }}", "printable ASCII"},
      {"{{ secret(8, \"a\") }}", "at least 2"},
      {"{{ secret(8, \"ab) }}", "not closed"},
      {"{{ secret(8, \"ab\" }}", "expected )"},
      {"{{ db.URL x }}", "expected }}"},
  };
  for (auto& c : cases) {
    auto t = ParseTemplate(c.value, "variables.API_URL");
    ASSERT_FALSE(t) << c.value;
    EXPECT_EQ(t.error().code, ErrorCode::kValidationFailed);
    std::string p = FieldProblem(t.error(), "variables.API_URL");
    EXPECT_NE(p.find(c.expect), std::string::npos) << c.value << " → " << p;
    EXPECT_NE(p.find("at character"), std::string::npos) << p;
  }
  EXPECT_FALSE(ParseTemplate(std::string(kMaxValueBytes + 1, 'x'), "v"));
  EXPECT_FALSE(ParseTemplate(std::string("a\0b", 3), "v"));
}

TEST(EnvKey, FollowsPosixNames) {
  for (auto k : {"A", "_x", "DATABASE_URL", "a1_B2"}) EXPECT_TRUE(ValidateEnvKey(k, "key")) << k;
  for (auto k : {"", "1A", "A-B", "A B", "A.B", "Ä"}) EXPECT_FALSE(ValidateEnvKey(k, "key")) << k;
  EXPECT_FALSE(ValidateEnvKey(std::string(129, 'A'), "key"));
}

TEST(Secret, RejectsBytesAboveTheLastFullMultiple) {
  // 62 characters: 256 % 62 = 8, so bytes 248..255 must be rejected, never folded onto 0..7.
  SecretSpec spec{3, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"};
  std::vector<unsigned char> script = {248, 255, 5, 250, 61, 247};
  size_t pos = 0;
  RandomFill scripted = [&](unsigned char* out, size_t n) {
    for (size_t i = 0; i < n; ++i) out[i] = pos < script.size() ? script[pos++] : 0;
  };
  EXPECT_EQ(GenerateSecret(spec, scripted), "F9" + std::string(1, spec.charset[247 % 62]));
}

// Chi-squared over many draws: with rejection sampling every character of a 62-character charset
// (62 does not divide 256) is equally likely. The same test rejects plain `byte % 62`, which
// favours the first 8 characters 5:4, so it can fail.
double ChiSquared(const std::array<int64_t, 62>& counts, int64_t total) {
  double expected = static_cast<double>(total) / 62.0, chi = 0;
  for (auto c : counts) chi += (c - expected) * (c - expected) / expected;
  return chi;
}
TEST(Secret, IsUnbiasedOverACharsetThatDoesNotDivide256) {
  const std::string cs = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  SecretSpec spec{4096, cs};
  std::array<int64_t, 62> counts{};
  int64_t total = 0;
  auto random = Mt(42);
  for (int i = 0; i < 200; ++i) {
    for (char c : GenerateSecret(spec, random)) ++counts[cs.find(c)];
    total += 4096;
  }
  // 61 degrees of freedom: P(chi² > 130) < 1e-6 for a uniform source.
  EXPECT_LT(ChiSquared(counts, total), 130.0);

  std::array<int64_t, 62> naive{};
  auto bytes = Mt(42);
  std::vector<unsigned char> buf(total);
  bytes(buf.data(), buf.size());
  for (unsigned char b : buf) ++naive[b % 62];
  EXPECT_GT(ChiSquared(naive, total), 1000.0) << "the test must be able to see modulo bias";
}

TEST(Secret, CarriedAcrossEditsUntilRegenerated) {
  auto random = Mt(7);
  Variable v1{"PASS", "{{ secret(24, \"abcdef\") }}", {}};
  auto t1 = ParseTemplate(v1.value, "v");
  ASSERT_TRUE(t1);
  CarrySecrets(nullptr, *t1, false, random, v1);
  ASSERT_EQ(v1.generated.size(), 1u);
  EXPECT_EQ(v1.generated[0].value.size(), 24u);
  // The text around it changes; the secret stays.
  Variable v2{"PASS", "prefix-{{ secret(24, \"abcdef\") }}-{{ secret(8) }}", {}};
  auto t2 = ParseTemplate(v2.value, "v");
  CarrySecrets(&v1, *t2, false, random, v2);
  ASSERT_EQ(v2.generated.size(), 2u);
  EXPECT_EQ(v2.generated[0].value, v1.generated[0].value);
  // A changed spec or an explicit regenerate makes a new one.
  Variable v3{"PASS", "{{ secret(25, \"abcdef\") }}", {}};
  CarrySecrets(&v2, *ParseTemplate(v3.value, "v"), false, random, v3);
  EXPECT_NE(v3.generated[0].value.substr(0, 24), v1.generated[0].value);
  Variable v4{"PASS", v2.value, {}};
  CarrySecrets(&v2, *t2, true, random, v4);
  EXPECT_NE(v4.generated[0].value, v2.generated[0].value);
}

std::vector<ServiceVars> App() {
  auto random = Mt(1);
  DatabaseCredentials creds = *ParseDsn("postgres://app:s3cret@dokku-postgres-db:5432/db");
  auto engine = *FindDatabaseEngine("postgres", "e");
  ServiceVars db{"db", {}, DatabaseBuiltins(engine, creds), {{"DOMAIN", "service 'db' has no domain yet"}}};
  ServiceVars web{"web", {}, {{"DOMAIN", "app.example.com"}}, {}};
  web.variables = {{"DB", "{{ db.DATABASE_URL }}", {}},
                   {"TOKEN", "tok-{{ secret(12, \"xyz123\") }}", {}},
                   {"URL", "https://{{ web.DOMAIN }}/?t={{ web.TOKEN }}&h={{ db.HOST }}:{{ db.PORT }}", {}},
                   {"PLAIN", "hello", {}}};
  for (auto& v : web.variables) CarrySecrets(nullptr, *ParseTemplate(v.value, "v"), false, random, v);
  ServiceVars worker{"worker", {{"FROM_WEB", "{{ web.URL }}", {}}}, {}, {}};
  return {db, web, worker};
}

TEST(Resolver, ResolvesAnyCombination) {
  auto app = App();
  Resolver r(app);
  ASSERT_TRUE(r.Validate("web"));
  auto env = r.Resolve("web");
  ASSERT_TRUE(env) << env.error().message;
  ASSERT_EQ(env->size(), 4u);
  EXPECT_EQ((*env)[0], (std::pair<std::string, std::string>{"DB", "postgres://app:s3cret@dokku-postgres-db:5432/db"}));
  const std::string token = (*env)[1].second;
  EXPECT_EQ(token, "tok-" + app[1].variables[1].generated[0].value);
  EXPECT_EQ((*env)[2].second, "https://app.example.com/?t=" + token + "&h=dokku-postgres-db:5432");
  EXPECT_EQ((*env)[3].second, "hello");
  auto w = Resolver(app).Resolve("worker");
  ASSERT_TRUE(w);
  EXPECT_EQ((*w)[0].second, (*env)[2].second);
}

TEST(Resolver, NamesTheCycle) {
  auto app = App();
  app[1].variables.push_back({"A", "{{ worker.B }}", {}});
  app[2].variables.push_back({"B", "x{{ web.A }}", {}});
  Resolver r(app);
  auto st = r.Validate("web");
  ASSERT_FALSE(st);
  std::string p = FieldProblem(st.error(), "variables.A");
  EXPECT_NE(p.find("web.A → worker.B → web.A"), std::string::npos) << p;
  EXPECT_EQ(st.error().details["cycle"], "web.A → worker.B → web.A");
  // A self-reference is the shortest cycle.
  auto app2 = App();
  app2[1].variables.push_back({"S", "{{ web.S }}", {}});
  auto st2 = Resolver(app2).Resolve("web");
  ASSERT_FALSE(st2);
  EXPECT_NE(FieldProblem(st2.error(), "variables.S").find("web.S → web.S"), std::string::npos);
}

TEST(Resolver, UnknownServicesAndVariablesAreNamed) {
  auto app = App();
  app[1].variables.push_back({"X", "{{ cache.URL }}", {}});
  auto st = Resolver(app).Validate("web");
  ASSERT_FALSE(st);
  std::string p = FieldProblem(st.error(), "variables.X");
  EXPECT_NE(p.find("service 'cache', which is not in this application"), std::string::npos) << p;
  EXPECT_NE(p.find("db, web, worker"), std::string::npos) << p;

  auto app2 = App();
  app2[1].variables.push_back({"Y", "{{ db.DATABASE_URI }}", {}});
  auto st2 = Resolver(app2).Validate("web");
  ASSERT_FALSE(st2);
  std::string p2 = FieldProblem(st2.error(), "variables.Y");
  EXPECT_NE(p2.find("variable DATABASE_URI, which service 'db' does not have"), std::string::npos) << p2;
  EXPECT_NE(p2.find("DATABASE_URL"), std::string::npos) << p2;

  // An error found deeper says where.
  auto app3 = App();
  app3[2].variables.push_back({"Z", "{{ web.BROKEN }}", {}});
  app3[1].variables.push_back({"BROKEN", "{{ nope.X }}", {}});
  auto st3 = Resolver(app3).Validate("worker");
  ASSERT_FALSE(st3);
  EXPECT_NE(FieldProblem(st3.error(), "variables.Z").find("via web.BROKEN"), std::string::npos);
}

TEST(Resolver, PendingBuiltinsValidateButDoNotResolve) {
  auto app = App();
  app[1].variables.push_back({"DBD", "{{ db.DOMAIN }}", {}});
  Resolver r(app);
  EXPECT_TRUE(r.Validate("web"));
  auto env = r.Resolve("web");
  ASSERT_FALSE(env);
  EXPECT_NE(FieldProblem(env.error(), "variables.DBD").find("no domain yet"), std::string::npos);
}

TEST(Resolver, RefusesExponentialGrowth) {
  ServiceVars s{"s", {}, {}, {}};
  s.variables.push_back({"V0", std::string(1000, 'x'), {}});
  for (int i = 1; i < 20; ++i)
    s.variables.push_back({"V" + std::to_string(i), "{{ s.V" + std::to_string(i - 1) + " }}{{ s.V" + std::to_string(i - 1) + " }}", {}});
  auto env = Resolver({s}).Resolve("s");
  ASSERT_FALSE(env);
  EXPECT_NE(env.error().message.find("more than"), std::string::npos);
}

TEST(Resolver, SyntaxErrorsOfTheServiceItselfComeFirst) {
  ServiceVars s{"web", {{"OK", "fine", {}}, {"BAD", "{{ a.B", {}}}, {}, {}};
  auto st = Resolver({s}).Validate("web");
  ASSERT_FALSE(st);
  EXPECT_NE(FieldProblem(st.error(), "variables.BAD").find("not closed"), std::string::npos);
}

TEST(Apps, ServiceNamesGitRefsReposHostnamesPorts) {
  EXPECT_EQ(*ValidateServiceName(" web ", "name"), "web");
  for (auto n : {"w", "Web", "1web", "web-", "we_b", "a--b", std::string(41, 'a').c_str()}) EXPECT_FALSE(ValidateServiceName(n, "name")) << n;
  for (auto r : {"main", "feature/x-1", "v1.2.0", "release-2024.1"}) EXPECT_TRUE(ValidateGitRef(r, "branch")) << r;
  for (auto r : {"", "-x", "a..b", "a b", "x.lock", "a:b", "a~1", "/x", "x/", "a//b", "x.", "a@{1}", "a/.hidden", "a^", "a*"})
    EXPECT_FALSE(ValidateGitRef(r, "branch")) << r;
  for (auto r : {"acme/web", "group/sub/app", "https://git.example.com/acme/web.git", "https://127.0.0.1:8443/r/x"})
    EXPECT_TRUE(ValidateGitRepository(r, "repository")) << r;
  for (auto r : {"web", "git@github.com:a/b.git", "ssh://x/y", "https://user:tok@host/a/b", "https://host", "a/../b", "a/b c"})
    EXPECT_FALSE(ValidateGitRepository(r, "repository")) << r;
  auto creds = ValidateGitRepository("https://u:t@host/a/b", "repository");
  EXPECT_NE(FieldProblem(creds.error(), "repository").find("git_provider_id"), std::string::npos);
  EXPECT_EQ(*ValidateBuildPath("/apps/web/", "build_path"), "apps/web");
  EXPECT_EQ(*ValidateBuildPath("", "build_path"), "");
  EXPECT_FALSE(ValidateBuildPath("a/../b", "build_path"));
  EXPECT_EQ(*ValidateHostname("App.Example.com.", "hostname"), "app.example.com");
  for (auto h : {"localhost", "1.2.3.4", "*.example.com", "a_b.example.com", "-a.example.com", "http://x.com", "x.com:80"})
    EXPECT_FALSE(ValidateHostname(h, "hostname")) << h;
  EXPECT_TRUE(ValidatePortMapping("http:80:5000", "ports[0]"));
  for (auto m : {"http:80", "ftp:21:21", "http:0:80", "http:80:70000", "http:080:80"}) EXPECT_FALSE(ValidatePortMapping(m, "p")) << m;
}

TEST(Apps, DatabaseEnginesVersionsAndUris) {
  auto pg = *FindDatabaseEngine("postgres", "database.engine");
  EXPECT_EQ(*ValidateDatabaseVersion(pg, "", "v"), "18");  // the postgres plugin's own default image
  EXPECT_TRUE(ValidateDatabaseVersion(pg, "16.4", "v"));
  auto old = ValidateDatabaseVersion(pg, "9.6", "database.version");
  ASSERT_FALSE(old);
  EXPECT_NE(FieldProblem(old.error(), "database.version").find("supported: 12, 13"), std::string::npos);
  EXPECT_FALSE(ValidateDatabaseVersion(pg, "16;rm", "v"));
  EXPECT_FALSE(FindDatabaseEngine("oracle", "database.engine"));
  auto redis = *FindDatabaseEngine("redis", "e");
  // The parts come from the DSN the plugin printed, percent-decoded; the URL stays as printed.
  auto b = DatabaseBuiltins(redis, *ParseDsn("redis://:p%40ss%2Fword@dokku-redis-cache:6379\n"));
  EXPECT_EQ(b["DATABASE_URL"], "redis://:p%40ss%2Fword@dokku-redis-cache:6379");
  EXPECT_EQ(b["PASSWORD"], "p@ss/word");
  EXPECT_EQ(b["USER"], "");
  EXPECT_EQ(b["NAME"], "");
  EXPECT_EQ(b["REDIS_URI"], b["DATABASE_URL"]);
  auto my = DatabaseBuiltins(*FindDatabaseEngine("mariadb", "e"),
                             *ParseDsn("mysql://mariadb:p@dokku-mariadb-shop-db:3306/shop-db"));
  EXPECT_EQ(my["NAME"], "shop-db");
  EXPECT_EQ(my["USER"], "mariadb");
  EXPECT_EQ(my["HOST"], "dokku-mariadb-shop-db");
  EXPECT_EQ(my["PORT"], "3306");
  // dFlow's names for the same parts.
  EXPECT_EQ(my["MARIADB_URI"], "mysql://mariadb:p@dokku-mariadb-shop-db:3306/shop-db");
  EXPECT_EQ(my["MARIADB_USERNAME"], "mariadb");
  EXPECT_EQ(my["MARIADB_NAME"], "shop-db");
  EXPECT_EQ(my["MARIADB_HOST"], "dokku-mariadb-shop-db");
  EXPECT_EQ(my["MARIADB_PORT"], "3306");
  EXPECT_EQ(my["MARIADB_PASSWORD"], "p");
  for (auto& n : DatabaseBuiltinNames()) EXPECT_TRUE(b.count(n)) << n;
  EXPECT_FALSE(ParseDsn("not a url"));
  EXPECT_FALSE(ParseDsn("postgres://u:p@host/db"));  // no port
}

TEST(Apps, TemplatesRenameReferencesAndPickFreeNames) {
  auto out = RenameReferences("u={{ db.DATABASE_URL }}&s={{ secret(8) }}&w={{ web.DOMAIN }}", {{"db", "db-2"}});
  ASSERT_TRUE(out);
  EXPECT_EQ(*out, "u={{ db-2.DATABASE_URL }}&s={{ secret(8, \"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789\") }}&w={{ web.DOMAIN }}");
  EXPECT_EQ(*RenameReferences("plain", {{"db", "x"}}), "plain");
  EXPECT_EQ(UniqueServiceName("db", {"db", "db-2"}), "db-3");
  EXPECT_EQ(UniqueServiceName("web", {"db"}), "web");
  EXPECT_EQ(UniqueServiceName(std::string(40, 'a'), {std::string(40, 'a')}).size(), 40u);
}

}  // namespace
}  // namespace wharf::domain
