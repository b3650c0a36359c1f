// The repository contract: every Store implementation must pass this suite. Add a factory to
// kStores to run it against another implementation. This file builds twice: store_test runs it
// on SQLite, store_pg_test (WHARF_STORE_CONTRACT_POSTGRES) on a real PostgreSQL 15 that the
// binary starts itself (one server, one fresh database per test).
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <mutex>
#include <filesystem>
#include <thread>

#include "store/sqlite/sqlite_store.h"
#include "store/store.h"
#ifdef WHARF_STORE_CONTRACT_POSTGRES
#include "store/postgres/pg_store.h"
#include "store/testing/pg_test_server.h"
#endif

namespace wharf::store {
namespace {

namespace fs = std::filesystem;
using domain::Collection;

struct StoreFactory {
  const char* name;
  std::function<std::unique_ptr<Store>(const fs::path& dir)> open;
};

void PrintTo(const StoreFactory& f, std::ostream* os) { *os << f.name; }

#ifdef WHARF_STORE_CONTRACT_POSTGRES
}  // namespace
// One PostgreSQL for the whole binary, stopped at exit. A PostgreSQL that cannot start fails
// every test that needs it.
testing::PgTestServer* SharedPostgres(std::string* error) {
  static auto server = testing::PgTestServer::Start();
  if (!server) {
    *error = server.error().message;
    return nullptr;
  }
  return server->get();
}
// A fresh, migrated store on a fresh database (nullptr and a test failure when impossible).
std::unique_ptr<Store> FreshPostgresStore(const PostgresOptions& opts = {}) {
  static std::atomic<int> n{0};
  std::string error;
  auto* pg = SharedPostgres(&error);
  if (!pg) {
    ADD_FAILURE() << "PostgreSQL: " << error;
    return nullptr;
  }
  auto url = pg->CreateDatabase("contract_" + std::to_string(::getpid()) + "_" + std::to_string(++n));
  if (!url) {
    ADD_FAILURE() << url.error().message;
    return nullptr;
  }
  auto store = OpenPostgresStore(*url, opts);
  if (!store) {
    ADD_FAILURE() << store.error().message << " " << store.error().detail;
    return nullptr;
  }
  return std::move(*store);
}
namespace {
const StoreFactory kStores[] = {
    {"postgres", [](const fs::path&) { return FreshPostgresStore(); }},
};
#else
const StoreFactory kStores[] = {
    {"sqlite", [](const fs::path& dir) { return std::move(*OpenSqliteStore((dir / "wharf.db").string())); }},
};
#endif

class StoreContract : public ::testing::TestWithParam<StoreFactory> {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("wharf-store-" + std::to_string(::getpid()) + "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    store_ = GetParam().open(dir_);
    ASSERT_TRUE(store_);
    // Two orgs with an owner each.
    for (auto [uid, oid, slug] : {std::tuple{"usr_a", "org_a", "alpha"}, std::tuple{"usr_b", "org_b", "bravo"}}) {
      ASSERT_TRUE(store_->Write([&](Tx& tx) -> Status {
        WHARF_TRY(tx.users().Insert({uid, std::string(uid) + "@example.test", uid, "hash", false, 1, 1}));
        domain::Org o{oid, slug, slug, uid, 0, std::string("\x01\x00\x02key", 6), 1, 1, uid};
        WHARF_TRY(tx.orgs().Insert(o));
        domain::Role admin{std::string("rol_admin_") + oid, oid, "Admin", "", true, domain::Permissions::All(), {}, 1, 1, uid};
        WHARF_TRY(tx.roles().Insert(admin));
        return tx.memberships().Insert({oid, uid, admin.id, 1});
      }));
    }
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }
  Status W(const std::function<Status(Tx&)>& f) { return store_->Write(f); }
  Status R(const std::function<Status(Tx&)>& f) { return store_->Read(f); }

  domain::SshKey Key(const char* id, const char* org, const char* name, Timestamp at, const char* by = "usr_a") {
    return {id, org, name, "ssh-ed25519", "ssh-ed25519 AAAA", "SHA256:x", "", false, at, at, by};
  }

  fs::path dir_;
  std::unique_ptr<Store> store_;
};

TEST_P(StoreContract, UsersAndOrgsRoundTripAndConflict) {
  EXPECT_EQ(store_->SchemaVersion(), 16);  // one per migration (9: second factors and SSO, 10: releases, 11: the account, 12: notifications, 13: SQLite cache epochs, 14: SSO-only orgs and CLI sign-in codes, 15: disk alerts and sign-in addresses, 16: the re-verification index)
  EXPECT_TRUE(store_->Ready());
  ASSERT_TRUE(R([&](Tx& tx) -> Status {
    auto u = *tx.users().FindByEmail("usr_a@example.test");
    EXPECT_TRUE(u);
    EXPECT_EQ(u->id, "usr_a");
    auto o = *tx.orgs().FindBySlug("alpha");
    EXPECT_TRUE(o);
    EXPECT_EQ(o->wrapped_data_key, std::string("\x01\x00\x02key", 6));  // blobs keep NUL bytes
    EXPECT_EQ(*tx.users().Count(), 2);
    return Ok();
  }));
  auto dup = W([](Tx& tx) { return tx.users().Insert({"usr_c", "usr_a@example.test", "c", "h", false, 1, 1}); });
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, ErrorCode::kConflict);
  auto slug = W([](Tx& tx) { return tx.orgs().Insert({"org_c", "alpha", "x", "usr_a", 0, "k", 1, 1, "usr_a"}); });
  ASSERT_FALSE(slug);
  EXPECT_EQ(slug.error().code, ErrorCode::kConflict);
}

TEST_P(StoreContract, CliLoginCodesAreCountedWhileLiveAndTakenOnce) {
  ASSERT_TRUE(W([&](Tx& tx) -> Status {
    WHARF_TRY(tx.sso().InsertCliCode({"h1", "usr_a", "http://127.0.0.1:9/cb", "c", "", 1000}));
    WHARF_TRY(tx.sso().InsertCliCode({"h2", "usr_a", "http://127.0.0.1:9/cb", "c", "", 2000}));
    return tx.sso().InsertCliCode({"h3", "usr_b", "http://127.0.0.1:9/cb", "c", "", 2000});
  }));
  ASSERT_TRUE(W([&](Tx& tx) -> Status {
    EXPECT_EQ(*tx.sso().CountLiveCliCodes("usr_a", 500), 2);
    EXPECT_EQ(*tx.sso().CountLiveCliCodes("usr_a", 1000), 1);  // h1 expired at 1000
    EXPECT_EQ(*tx.sso().CountLiveCliCodes("usr_c", 500), 0);
    auto taken = *tx.sso().TakeCliCode("h2", 500);
    EXPECT_TRUE(taken);
    if (taken) { EXPECT_EQ(taken->user_id, "usr_a"); }
    EXPECT_FALSE(*tx.sso().TakeCliCode("h2", 500));  // once
    EXPECT_EQ(*tx.sso().CountLiveCliCodes("usr_a", 500), 1);
    return Ok();
  }));
}

TEST_P(StoreContract, RolesAreUniquePerOrgAndScopedByOrg) {
  domain::Role r{"rol_v", "org_a", "Viewer", "d", false, {}, {}, 2, 2, "usr_a"};
  r.permissions[Collection::kServers].read = true;
  r.resource_scope.servers = {"srv_1"};
  ASSERT_TRUE(W([&](Tx& tx) { return tx.roles().Insert(r); }));
  domain::Role same_name_other_org = r;
  same_name_other_org.id = "rol_v2";
  same_name_other_org.org_id = "org_b";
  ASSERT_TRUE(W([&](Tx& tx) { return tx.roles().Insert(same_name_other_org); }));
  domain::Role dup = r;
  dup.id = "rol_v3";
  EXPECT_EQ(W([&](Tx& tx) { return tx.roles().Insert(dup); }).error().code, ErrorCode::kConflict);
  ASSERT_TRUE(R([&](Tx& tx) -> Status {
    auto got = *tx.roles().Find("org_a", "rol_v");
    EXPECT_TRUE(got);
    EXPECT_EQ(got->permissions, r.permissions);
    EXPECT_EQ(got->resource_scope, r.resource_scope);
    EXPECT_FALSE(*tx.roles().Find("org_b", "rol_v"));  // another org's row is absent
    EXPECT_EQ(tx.roles().List("org_a")->size(), 2u);
    EXPECT_TRUE((*tx.roles().FindAdmin("org_a"))->builtin);
    return Ok();
  }));
  EXPECT_FALSE(*[&] { Result<bool> d = false; (void)W([&](Tx& tx) -> Status { d = tx.roles().Delete("org_b", "rol_v"); return Ok(); }); return d; }());
}

TEST_P(StoreContract, MembershipsCountReassignAndRestrictRoleDelete) {
  ASSERT_TRUE(W([&](Tx& tx) -> Status {
    WHARF_TRY(tx.users().Insert({"usr_m", "m@example.test", "m", "h", false, 1, 1}));
    WHARF_TRY(tx.roles().Insert({"rol_1", "org_a", "One", "", false, {}, {}, 1, 1, "usr_a"}));
    WHARF_TRY(tx.roles().Insert({"rol_2", "org_a", "Two", "", false, {}, {}, 1, 1, "usr_a"}));
    return tx.memberships().Insert({"org_a", "usr_m", "rol_1", 5});
  }));
  EXPECT_EQ(W([](Tx& tx) { return tx.memberships().Insert({"org_a", "usr_m", "rol_1", 6}); }).error().code, ErrorCode::kConflict);
  // A membership cannot point at another org's role.
  EXPECT_FALSE(W([](Tx& tx) { return tx.memberships().Insert({"org_b", "usr_m", "rol_1", 6}); }));
  auto del = W([](Tx& tx) -> Status { return tx.roles().Delete("org_a", "rol_1").map([](bool) {}); });
  ASSERT_FALSE(del);  // still held
  EXPECT_EQ(del.error().code, ErrorCode::kConflict);
  ASSERT_TRUE(W([](Tx& tx) { return tx.memberships().ReassignRole("org_a", "rol_1", "rol_2"); }));
  ASSERT_TRUE(R([&](Tx& tx) -> Status {
    EXPECT_EQ(*tx.memberships().CountByRole("org_a", "rol_2"), 1);
    EXPECT_EQ(*tx.memberships().CountForOrg("org_a"), 2);
    EXPECT_EQ(*tx.memberships().CountForOrg("org_b"), 1);
    EXPECT_FALSE(*tx.memberships().Find("org_b", "usr_m"));
    auto rows = *tx.memberships().ListForOrg("org_a", PageQuery{});
    EXPECT_EQ(rows.size(), 2u);
    EXPECT_TRUE(rows[0].user.password_hash.empty());
    return Ok();
  }));
}

TEST_P(StoreContract, SshKeysPaginateFilterAndStayInTheirOrg) {
  ASSERT_TRUE(W([&](Tx& tx) -> Status {
    for (int i = 0; i < 5; ++i)
      WHARF_TRY(tx.ssh_keys().Insert(Key(("key_" + std::to_string(i)).c_str(), "org_a", ("k" + std::to_string(i)).c_str(),
                                         100 + i, i % 2 ? "usr_b" : "usr_a")));
    return tx.ssh_keys().Insert(Key("key_b", "org_b", "k0", 100));  // same name, other org: fine
  }));
  EXPECT_EQ(W([&](Tx& tx) { return tx.ssh_keys().Insert(Key("key_x", "org_a", "k1", 1)); }).error().code, ErrorCode::kConflict);
  ASSERT_TRUE(R([&](Tx& tx) -> Status {
    PageQuery q;
    q.limit = 2;
    auto p1 = *tx.ssh_keys().List("org_a", q);
    EXPECT_EQ(p1.size(), 3u);  // limit + 1 tells "more"
    q.after_created_at = p1[1].created_at;
    q.after_id = p1[1].id;
    auto p2 = *tx.ssh_keys().List("org_a", q);
    EXPECT_EQ(p2.front().id, "key_2");
    PageQuery mine;
    mine.created_by = "usr_b";
    auto own = *tx.ssh_keys().List("org_a", mine);
    EXPECT_EQ(own.size(), 2u);
    EXPECT_EQ(*tx.ssh_keys().CountCreatedBy("org_a", "usr_a"), 3);
    EXPECT_FALSE(*tx.ssh_keys().Find("org_b", "key_1"));
    EXPECT_EQ(tx.ssh_keys().List("org_b", PageQuery{})->size(), 1u);
    // Visit yields exactly the rows List returns, in the same order, without copies.
    std::vector<std::string> visited;
    EXPECT_TRUE(tx.ssh_keys().Visit("org_a", mine, [&](const domain::SshKeyView& v) {
      EXPECT_EQ(v.created_by, "usr_b");
      visited.emplace_back(v.id);
    }));
    std::vector<std::string> listed;
    for (auto& k : own) listed.push_back(k.id);
    EXPECT_EQ(visited, listed);
    return Ok();
  }));
  bool deleted = true;
  ASSERT_TRUE(W([&](Tx& tx) -> Status { deleted = *tx.ssh_keys().Delete("org_b", "key_1"); return Ok(); }));
  EXPECT_FALSE(deleted);
}

TEST_P(StoreContract, ServersAndSecurityGroupsStayInTheirOrgAndKeepCheckHistory) {
  domain::SecurityGroup g{"sg_1", "org_a", "web", "d", {{"ssh", "tcp", 22, 22, "10.0.0.0/8", "admin"}},
                          {{"all-traffic", "all", 0, 0, "::/0", ""}}, 5, 5, "usr_a"};
  domain::Server srv;
  srv.id = "srv_1";
  srv.org_id = "org_a";
  srv.name = "node-1";
  srv.host = "10.0.0.5";
  srv.username = "deploy";
  srv.ssh_key_id = "key_0";
  srv.security_group_ids = {"sg_1"};
  srv.created_at = srv.updated_at = 7;
  srv.created_by = "usr_b";
  ASSERT_TRUE(W([&](Tx& tx) -> Status {
    WHARF_TRY(tx.ssh_keys().Insert(Key("key_0", "org_a", "k0", 1)));
    WHARF_TRY(tx.security_groups().Insert(g));
    return tx.servers().Insert(srv);
  }));
  EXPECT_EQ(W([&](Tx& tx) { return tx.security_groups().Insert(g); }).error().code, ErrorCode::kConflict);
  ASSERT_TRUE(R([&](Tx& tx) -> Status {
    auto got = *tx.security_groups().Find("org_a", "sg_1");
    EXPECT_TRUE(got);
    EXPECT_EQ(got->inbound.size(), 1u);
    EXPECT_EQ(got->inbound[0].source, "10.0.0.0/8");
    EXPECT_EQ(got->outbound[0].protocol, "all");
    EXPECT_FALSE(*tx.security_groups().Find("org_b", "sg_1"));
    EXPECT_FALSE(*tx.servers().Find("org_b", "srv_1"));
    auto s = *tx.servers().Find("org_a", "srv_1");
    EXPECT_TRUE(s);
    EXPECT_EQ(s->security_group_ids, std::vector<std::string>{"sg_1"});
    EXPECT_EQ(tx.servers().ListUsingKey("org_a", "key_0")->size(), 1u);
    EXPECT_EQ(tx.servers().ListUsingGroup("org_a", "sg_1")->size(), 1u);
    EXPECT_EQ(tx.servers().ListUsingGroup("org_b", "sg_1")->size(), 0u);
    EXPECT_EQ(*tx.servers().CountCreatedBy("org_a", "usr_b"), 1);
    EXPECT_EQ(tx.servers().ListDue(0, 10)->size(), 1u);
    return Ok();
  }));
  for (int i = 0; i < 5; ++i) {
    srv.status = i % 2 ? "healthy" : "unhealthy";
    srv.next_check_at = 1000 + i;
    ASSERT_TRUE(W([&](Tx& tx) {
      return tx.servers().RecordCheck(srv, domain::ServerCheck{0, "org_a", "srv_1", 100 + i, i % 2 == 1, 5, "{}"}, 3);
    }));
  }
  ASSERT_TRUE(R([&](Tx& tx) -> Status {
    auto checks = *tx.servers().ListChecks("org_a", "srv_1", 10);
    EXPECT_EQ(checks.size(), 3u);  // history keeps the newest `keep`
    EXPECT_EQ(checks.front().at, 104);
    EXPECT_EQ(tx.servers().ListChecks("org_b", "srv_1", 10)->size(), 0u);
    EXPECT_EQ(tx.servers().ListDue(999, 10)->size(), 0u);
    EXPECT_EQ((*tx.servers().Find("org_a", "srv_1"))->status, "unhealthy");
    return Ok();
  }));
}

domain::Job QueuedJob(const char* id, const char* target, Timestamp at, const char* kind = "sleep") {
  domain::Job j;
  j.id = id;
  j.org_id = "org_a";
  j.kind = kind;
  j.target_id = target;
  j.created_at = at;
  j.created_by = "usr_a";
  j.payload = R"({"ms":1})";
  return j;
}

TEST_P(StoreContract, JobsAppendTheirLogAndKeepItsNewestPart) {
  domain::Job j{"job_1", "org_a", "onboard", "srv_1", "queued", "", "", 10, 0, 0, "usr_a"};
  ASSERT_TRUE(W([&](Tx& tx) { return tx.jobs().Insert(j); }));
  ASSERT_TRUE(W([&](Tx& tx) -> Status {
    WHARF_TRY(tx.jobs().AppendLog("job_1", "hello "));
    return tx.jobs().AppendLog("job_1", "world\n");
  }));
  ASSERT_TRUE(R([&](Tx& tx) -> Status {
    auto got = *tx.jobs().Find("org_a", "job_1");
    EXPECT_EQ(got->log, "hello world\n");
    EXPECT_EQ(got->status, "queued");
    EXPECT_EQ(got->payload, "{}");
    EXPECT_EQ((*tx.jobs().FindTail("org_a", "job_1", 6))->log, "world\n");
    EXPECT_FALSE(*tx.jobs().Find("org_b", "job_1"));
    EXPECT_EQ(tx.jobs().ListForTarget("org_a", "srv_1", 5)->size(), 1u);
    return Ok();
  }));
  // Retention: cut at a line start, counted in characters (é is one character, two bytes).
  ASSERT_TRUE(W([&](Tx& tx) -> Status {
    WHARF_TRY(tx.jobs().AppendLog("job_1", "d\xc3\xa9j\xc3\xa0 vu\nline three\nline four\n"));
    return tx.jobs().TrimLog("job_1", 24);
  }));
  ASSERT_TRUE(R([&](Tx& tx) -> Status {
    auto got = *tx.jobs().Find("org_a", "job_1");
    EXPECT_EQ(got->log, "line three\nline four\n");
    EXPECT_EQ(got->log_offset, 12 + 8);  // "hello world\n" + "déjà vu\n"
    auto tail = *tx.jobs().FindTail("org_a", "job_1", 5);  // before the kept part: from its start
    EXPECT_EQ(tail->log_offset, 20);
    EXPECT_EQ(tail->log, "line three\nline four\n");
    tail = *tx.jobs().FindTail("org_a", "job_1", 31);
    EXPECT_EQ(tail->log_offset, 31);
    EXPECT_EQ(tail->log, "line four\n");
    return Ok();
  }));
}

// The queue's contract: claims, leases, takeover, cancel and per-target serialization.
TEST_P(StoreContract, JobClaimsSerializePerTargetAndTakeOverExpiredLeases) {
  ASSERT_TRUE(W([&](Tx& tx) -> Status {
    WHARF_TRY(tx.jobs().Insert(QueuedJob("job_q1", "srv_a", 1)));
    WHARF_TRY(tx.jobs().Insert(QueuedJob("job_q2", "srv_a", 2)));
    WHARF_TRY(tx.jobs().Insert(QueuedJob("job_q3", "srv_b", 3)));
    WHARF_TRY(tx.jobs().Insert(QueuedJob("job_other", "srv_c", 0, "deploy")));  // no handler on these replicas
    return tx.jobs().Insert(QueuedJob("job_q4", "srv_c", 4));
  }));
  auto claim = [&](const char* replica, Timestamp now, Timestamp lease_until) {
    std::optional<Job> got;
    EXPECT_TRUE(store_->WriteConcurrent([&](Tx& tx) -> Status {
      WHARF_ASSIGN_OR_RETURN(got, tx.jobs().Claim({replica, now, lease_until, "onboard,sleep"}));
      return Ok();
    }));
    return got;
  };
  auto beat = [&](const char* id, const char* replica, int64_t attempts, Timestamp lease_until) {
    std::optional<bool> got;
    EXPECT_TRUE(store_->WriteConcurrent([&](Tx& tx) -> Status {
      WHARF_ASSIGN_OR_RETURN(got, tx.jobs().Heartbeat(id, replica, attempts, lease_until));
      return Ok();
    }));
    return got;
  };
  auto finish = [&](const char* id, const char* status, const char* replica, int64_t attempts) {
    bool held = false;
    Job j;
    j.id = id;
    j.status = status;
    j.finished_at = 999;
    EXPECT_TRUE(store_->WriteConcurrent([&](Tx& tx) -> Status {
      WHARF_ASSIGN_OR_RETURN(held, tx.jobs().Finish(j, replica, attempts));
      return Ok();
    }));
    return held;
  };

  auto a = claim("r1", 100, 200);  // the oldest queued job of a kind this replica handles
  ASSERT_TRUE(a);
  EXPECT_EQ(a->id, "job_q1");
  EXPECT_EQ(a->status, "running");
  EXPECT_EQ(a->attempts, 1);
  EXPECT_EQ(a->claimed_by, "r1");
  EXPECT_EQ(a->started_at, 100);
  EXPECT_EQ(a->payload, R"({"ms":1})");
  auto b = claim("r2", 101, 201);  // job_q2 waits: srv_a runs job_q1
  ASSERT_TRUE(b);
  EXPECT_EQ(b->id, "job_q3");
  auto c = claim("r2", 102, 202);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->id, "job_q4");
  EXPECT_FALSE(claim("r3", 103, 203));  // nothing else is claimable

  EXPECT_FALSE(beat("job_q1", "r2", 1, 300));  // not the holder
  EXPECT_EQ(beat("job_q1", "r1", 1, 300), std::optional<bool>(false));

  // Cancel: queued ends at once; running is flagged and the holder sees it on its heartbeat.
  ASSERT_TRUE(W([&](Tx& tx) -> Status {
    auto q2 = *tx.jobs().RequestCancel("org_a", "job_q2", 150);
    EXPECT_EQ(q2->status, "cancelled");
    EXPECT_EQ(q2->finished_at, 150);
    auto q3 = *tx.jobs().RequestCancel("org_a", "job_q3", 150);
    EXPECT_EQ(q3->status, "running");
    EXPECT_TRUE(q3->cancel_requested);
    EXPECT_FALSE(*tx.jobs().RequestCancel("org_b", "job_q3", 150));  // another org's job is absent
    return Ok();
  }));
  EXPECT_EQ(beat("job_q3", "r2", 1, 260), std::optional<bool>(true));

  // r2 dies: at 250 job_q4's lease (202) has expired, job_q1's (300) and job_q3's (260) have not.
  auto t = claim("r3", 250, 400);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->id, "job_q4");
  EXPECT_EQ(t->attempts, 2);
  EXPECT_EQ(t->claimed_by, "r3");
  EXPECT_EQ(t->started_at, 102);  // kept from the first claim
  EXPECT_FALSE(claim("r3", 250, 400));
  EXPECT_FALSE(beat("job_q4", "r2", 1, 500));  // the old holder lost it
  EXPECT_FALSE(finish("job_q4", "succeeded", "r2", 1));
  EXPECT_TRUE(finish("job_q4", "succeeded", "r3", 2));

  // A holder whose lease ran out may still end the job as long as nobody took it over.
  EXPECT_TRUE(finish("job_q3", "cancelled", "r2", 1));
  // Ending job_q1 frees srv_a for a new job there; releasing puts a job back in the queue.
  EXPECT_TRUE(finish("job_q1", "succeeded", "r1", 1));
  ASSERT_TRUE(W([&](Tx& tx) { return tx.jobs().Insert(QueuedJob("job_q5", "srv_a", 5)); }));
  auto d = claim("r1", 300, 500);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->id, "job_q5");
  EXPECT_TRUE(finish("job_q5", "queued", "r1", 1));
  auto e = claim("r3", 301, 501);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->id, "job_q5");
  EXPECT_EQ(e->attempts, 2);
  ASSERT_TRUE(R([&](Tx& tx) -> Status {
    auto q1 = *tx.jobs().Find("org_a", "job_q1");
    EXPECT_EQ(q1->status, "succeeded");
    EXPECT_EQ(q1->finished_at, 999);
    EXPECT_EQ(q1->lease_until, 0);
    EXPECT_EQ((*tx.jobs().Find("org_a", "job_other"))->status, "queued");
    return Ok();
  }));
}

// Many claimers at once (separate connections on PostgreSQL): every job runs exactly once, and
// no two jobs of one target ever run at the same time.
TEST_P(StoreContract, ConcurrentClaimsRunEachJobOnceAndOneJobPerTargetAtATime) {
  constexpr int kJobs = 60, kTargets = 3, kThreads = 6;
  ASSERT_TRUE(W([&](Tx& tx) -> Status {
    for (int i = 0; i < kJobs; ++i) {
      std::string id = "job_" + std::to_string(100 + i), target = "srv_" + std::to_string(i % kTargets);
      WHARF_TRY(tx.jobs().Insert(QueuedJob(id.c_str(), target.c_str(), i)));
    }
    return Ok();
  }));
  std::atomic<int> running[kTargets] = {};
  std::atomic<int> overlaps{0}, done{0}, errors{0};
  std::mutex mu;
  std::map<std::string, int> runs;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      const std::string me = "r" + std::to_string(t);
      int idle = 0;
      while (done < kJobs && idle < 2000) {
        std::optional<Job> got;
        auto st = store_->WriteConcurrent([&](Tx& tx) -> Status {
          WHARF_ASSIGN_OR_RETURN(got, tx.jobs().Claim({me, 1000, 1'000'000, "sleep"}));
          return Ok();
        });
        if (!st) {
          if (st.error().code != ErrorCode::kConflict) ++errors;
          continue;
        }
        if (!got) {
          ++idle;
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
          continue;
        }
        const int target = got->target_id.back() - '0';
        if (++running[target] > 1) ++overlaps;
        {
          std::lock_guard lock(mu);
          ++runs[got->id];
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        --running[target];
        Job end = *got;
        end.status = "succeeded";
        end.finished_at = 2000;
        bool held = false;
        EXPECT_TRUE(store_->WriteConcurrent([&](Tx& tx) -> Status {
          WHARF_ASSIGN_OR_RETURN(held, tx.jobs().Finish(end, me, got->attempts));
          return Ok();
        }));
        EXPECT_TRUE(held);
        ++done;
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(done, kJobs);
  EXPECT_EQ(overlaps, 0);
  EXPECT_EQ(errors, 0);
  EXPECT_EQ(runs.size(), static_cast<size_t>(kJobs));
  for (auto& [id, n] : runs) EXPECT_EQ(n, 1) << id;
}

TEST_P(StoreContract, AWebhookDeliveryIsNewOnceThenAReplayUntilPruned) {
  auto remember = [&](std::string_view provider, std::string_view key, Timestamp at) {
    bool fresh = false;
    EXPECT_TRUE(W([&](Tx& tx) -> Status {
      WHARF_ASSIGN_OR_RETURN(fresh, tx.integrations().RememberWebhookDelivery(provider, key, at));
      return Ok();
    }));
    return fresh;
  };
  EXPECT_TRUE(remember("git_1", "id:abc", 100));
  EXPECT_FALSE(remember("git_1", "id:abc", 200)) << "the same key again is a replay";
  EXPECT_TRUE(remember("git_2", "id:abc", 200)) << "keys are per provider";
  EXPECT_TRUE(remember("git_1", "sha256:ff", 300));
  int64_t pruned = 0;
  ASSERT_TRUE(W([&](Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(pruned, tx.integrations().PruneWebhookDeliveries(250));
    return Ok();
  }));
  EXPECT_EQ(pruned, 2);
  EXPECT_TRUE(remember("git_1", "id:abc", 400)) << "a pruned key is forgotten";
  EXPECT_FALSE(remember("git_1", "sha256:ff", 400));
}

TEST_P(StoreContract, IntegrationsAreScopedByOrgAndKindAndRefuseADuplicateCredential) {
  domain::Integration reg;
  reg.id = "reg_1";
  reg.org_id = "org_a";
  reg.kind = "dockerRegistries";
  reg.name = "hub";
  reg.fields = {{"host", "docker.io"}, {"username", "alice"}};
  reg.sealed = {{"password", std::string("\x00sealed\xff", 8)}};
  reg.dedupe_key = "docker.io|alice";
  reg.created_at = reg.updated_at = 5;
  reg.created_by = "usr_a";
  ASSERT_TRUE(W([&](Tx& tx) { return tx.integrations().Insert(reg); }));
  auto same_credential = reg;
  same_credential.id = "reg_2";
  same_credential.name = "other name";
  EXPECT_EQ(W([&](Tx& tx) { return tx.integrations().Insert(same_credential); }).error().code, ErrorCode::kConflict);
  auto same_name = reg;
  same_name.id = "reg_3";
  same_name.dedupe_key = "docker.io|bob";
  EXPECT_EQ(W([&](Tx& tx) { return tx.integrations().Insert(same_name); }).error().code, ErrorCode::kConflict);
  auto other_org = reg;
  other_org.id = "reg_4";
  other_org.org_id = "org_b";
  ASSERT_TRUE(W([&](Tx& tx) { return tx.integrations().Insert(other_org); }));
  reg.verified = true;
  reg.last_verified_at = 9;
  reg.last_error = "";
  ASSERT_TRUE(W([&](Tx& tx) { return tx.integrations().RecordVerification(reg); }));
  ASSERT_TRUE(R([&](Tx& tx) -> Status {
    auto got = *tx.integrations().Find("org_a", "dockerRegistries", "reg_1");
    EXPECT_TRUE(got);
    EXPECT_EQ(got->fields.at("username"), "alice");
    EXPECT_EQ(got->sealed.at("password"), std::string("\x00sealed\xff", 8));
    EXPECT_TRUE(got->verified);
    EXPECT_EQ(got->last_verified_at, 9);
    EXPECT_FALSE(*tx.integrations().Find("org_b", "dockerRegistries", "reg_1"));
    EXPECT_FALSE(*tx.integrations().Find("org_a", "gitProviders", "reg_1"));
    EXPECT_EQ((*tx.integrations().FindByDedupeKey("org_a", "dockerRegistries", "docker.io|alice"))->id, "reg_1");
    EXPECT_EQ(tx.integrations().List("org_a", "dockerRegistries", PageQuery{})->size(), 1u);
    EXPECT_EQ(tx.integrations().List("org_a", "gitProviders", PageQuery{})->size(), 0u);
    EXPECT_EQ(*tx.integrations().CountCreatedBy("org_a", "dockerRegistries", "usr_a"), 1);
    EXPECT_EQ((*tx.integrations().FindAnyOrg("dockerRegistries", "reg_4"))->org_id, "org_b");
    EXPECT_FALSE(*tx.integrations().FindAnyOrg("gitProviders", "reg_4"));
    EXPECT_TRUE(tx.integrations().ListExpiring("org_a", 1000, 10)->empty()) << "expires_at 0 is 'never'";
    return Ok();
  }));
  // Expiring: every kind of the org, soonest first, bounded by `before`.
  auto git = reg;
  git.id = "git_1";
  git.kind = "gitProviders";
  git.expires_at = 500;
  auto reg_exp = reg;
  reg_exp.id = "reg_9";
  reg_exp.name = "expiring";
  reg_exp.dedupe_key = "docker.io|carol";
  reg_exp.expires_at = 300;
  auto later = git;
  later.id = "git_2";
  later.name = "later";
  later.dedupe_key = "later";
  later.expires_at = 5000;
  ASSERT_TRUE(W([&](Tx& tx) -> Status {
    WHARF_TRY(tx.integrations().Insert(git));
    WHARF_TRY(tx.integrations().Insert(reg_exp));
    return tx.integrations().Insert(later);
  }));
  ASSERT_TRUE(R([&](Tx& tx) -> Status {
    auto soon = *tx.integrations().ListExpiring("org_a", 1000, 10);
    EXPECT_EQ(soon.size(), 2u);
    if (soon.size() == 2) {
      EXPECT_EQ(soon[0].id, "reg_9");
      EXPECT_EQ(soon[1].id, "git_1");
    }
    EXPECT_TRUE(tx.integrations().ListExpiring("org_b", 1000, 10)->empty());
    return Ok();
  }));
  EXPECT_FALSE(*[&] {
    Result<bool> r = false;
    (void)W([&](Tx& tx) -> Status {
      r = tx.integrations().Delete("org_b", "gitProviders", "reg_4");
      return Ok();
    });
    return r;
  }());
  ASSERT_TRUE(W([&](Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(bool gone, tx.integrations().Delete("org_a", "dockerRegistries", "reg_1"));
    EXPECT_TRUE(gone);
    return Ok();
  }));
}

TEST_P(StoreContract, InvitationsPendingFilterAndTokenLookup) {
  auto inv = [](const char* id, const char* org, const char* hash, domain::InvitationStatus st, Timestamp exp) {
    domain::Invitation i;
    i.id = id; i.org_id = org; i.email = std::string(id) + "@x.test"; i.role_id = "rol_admin_org_a";
    i.token_hash = hash; i.status = st; i.expires_at = exp; i.created_at = i.updated_at = 1; i.created_by = "usr_a";
    return i;
  };
  ASSERT_TRUE(W([&](Tx& tx) -> Status {
    WHARF_TRY(tx.invitations().Insert(inv("inv_1", "org_a", "h1", domain::InvitationStatus::kPending, 1000)));
    WHARF_TRY(tx.invitations().Insert(inv("inv_2", "org_a", "h2", domain::InvitationStatus::kRevoked, 1000)));
    WHARF_TRY(tx.invitations().Insert(inv("inv_3", "org_a", "h3", domain::InvitationStatus::kPending, 10)));
    return tx.invitations().Insert(inv("inv_4", "org_b", "h4", domain::InvitationStatus::kPending, 1000));
  }));
  ASSERT_TRUE(R([&](Tx& tx) -> Status {
    EXPECT_EQ(*tx.invitations().CountPending("org_a", 500), 1);  // revoked and expired do not count
    EXPECT_EQ(tx.invitations().ListPending("org_a", 500, PageQuery{})->size(), 1u);
    EXPECT_EQ((*tx.invitations().FindByTokenHash("h4"))->org_id, "org_b");
    EXPECT_FALSE(*tx.invitations().Find("org_b", "inv_1"));
    EXPECT_TRUE(*tx.invitations().FindPendingByEmail("org_a", "inv_1@x.test", 500));
    return Ok();
  }));
}

TEST_P(StoreContract, SessionsRevokeAndExpire) {
  ASSERT_TRUE(W([](Tx& tx) -> Status {
    WHARF_TRY(tx.sessions().Insert({"ses_1", "usr_a", "t1", "c1", 1, 100, 0, "", ""}));
    return tx.sessions().Insert({"ses_2", "usr_a", "t2", "c2", 1, 100, 0, "", ""});
  }));
  ASSERT_TRUE(R([](Tx& tx) -> Status {
    EXPECT_TRUE(*tx.sessions().FindActive("t1", 50));
    EXPECT_FALSE(*tx.sessions().FindActive("t1", 100));  // expired
    return Ok();
  }));
  ASSERT_TRUE(W([](Tx& tx) { return tx.sessions().Revoke("ses_1", 60); }));
  ASSERT_TRUE(R([](Tx& tx) -> Status {
    EXPECT_FALSE(*tx.sessions().FindActive("t1", 61));
    EXPECT_TRUE(*tx.sessions().FindActive("t2", 61));
    return Ok();
  }));
  ASSERT_TRUE(W([](Tx& tx) { return tx.sessions().RevokeAllForUser("usr_a", 70); }));
  ASSERT_TRUE(R([](Tx& tx) -> Status { EXPECT_FALSE(*tx.sessions().FindActive("t2", 71)); return Ok(); }));
}

TEST_P(StoreContract, ApiTokensKeepOptionalPermissions) {
  domain::Permissions p;
  p[Collection::kSshKeys].read = true;
  ASSERT_TRUE(W([&](Tx& tx) -> Status {
    WHARF_TRY(tx.api_tokens().Insert({"tok_1", "usr_a", "org_a", "ci", "th1", p, 1, 0, 0, 0}));
    return tx.api_tokens().Insert({"tok_2", "usr_a", "org_a", "all", "th2", std::nullopt, 1, 0, 0, 0});
  }));
  ASSERT_TRUE(R([&](Tx& tx) -> Status {
    EXPECT_EQ((*tx.api_tokens().FindByHash("th1"))->permissions, p);
    EXPECT_FALSE((*tx.api_tokens().FindByHash("th2"))->permissions);
    EXPECT_EQ(tx.api_tokens().ListForUser("usr_a")->size(), 2u);
    return Ok();
  }));
  bool revoked = false;
  ASSERT_TRUE(W([&](Tx& tx) -> Status { revoked = *tx.api_tokens().Revoke("usr_b", "tok_1", 5); return Ok(); }));
  EXPECT_FALSE(revoked);  // not the owner's
  ASSERT_TRUE(W([&](Tx& tx) -> Status { revoked = *tx.api_tokens().Revoke("usr_a", "tok_1", 5); return Ok(); }));
  EXPECT_TRUE(revoked);
  ASSERT_TRUE(R([&](Tx& tx) -> Status { EXPECT_FALSE(*tx.api_tokens().FindByHash("th1")); return Ok(); }));
}

TEST_P(StoreContract, AFailedTransactionWritesNothing) {
  auto st = W([&](Tx& tx) -> Status {
    WHARF_TRY(tx.ssh_keys().Insert(Key("key_1", "org_a", "first", 1)));
    return tx.ssh_keys().Insert(Key("key_2", "org_a", "first", 2));  // duplicate name fails
  });
  ASSERT_FALSE(st);
  ASSERT_TRUE(R([&](Tx& tx) -> Status { EXPECT_FALSE(*tx.ssh_keys().Find("org_a", "key_1")); return Ok(); }));
  auto refused = W([&](Tx& tx) -> Status {
    WHARF_TRY(tx.ssh_keys().Insert(Key("key_3", "org_a", "third", 3)));
    return Err(ErrorCode::kForbidden, "changed my mind");
  });
  ASSERT_FALSE(refused);
  ASSERT_TRUE(R([&](Tx& tx) -> Status { EXPECT_FALSE(*tx.ssh_keys().Find("org_a", "key_3")); return Ok(); }));
}

TEST_P(StoreContract, AuditIsNewestFirstPerOrg) {
  ASSERT_TRUE(W([](Tx& tx) -> Status {
    for (int i = 0; i < 5; ++i) WHARF_TRY(tx.audit().Append({0, i % 2 ? "org_b" : "org_a", i, "usr_a", "a@x", "x", "c", "r", "allowed", "req", "ip", ""}));
    return Ok();
  }));
  ASSERT_TRUE(R([](Tx& tx) -> Status {
    auto a = *tx.audit().List("org_a", 0, 10);
    EXPECT_EQ(a.size(), 3u);
    EXPECT_GT(a[0].id, a[1].id);
    auto older = *tx.audit().List("org_a", a[0].id, 10);
    EXPECT_EQ(older.size(), 2u);
    return Ok();
  }));
}

TEST_P(StoreContract, ReadersRunConcurrentlyWithTheWriter) {
  std::atomic<bool> stop{false};
  std::atomic<int> reads{0}, failures{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 4; ++t)
    readers.emplace_back([&] {
      while (!stop) {
        auto st = R([](Tx& tx) -> Status { return tx.ssh_keys().List("org_a", PageQuery{}).map([](auto&&) {}); });
        st ? ++reads : ++failures;
      }
    });
  for (int i = 0; i < 100; ++i)
    ASSERT_TRUE(W([&](Tx& tx) { return tx.ssh_keys().Insert(Key(("key_" + std::to_string(i)).c_str(), "org_a", ("n" + std::to_string(i)).c_str(), i)); }));
  stop = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(failures, 0);
  EXPECT_GT(reads, 0);
}

TEST_P(StoreContract, ApplicationsServicesAndTemplatesStayInTheirOrg) {
  const std::string sealed("\x00vars\xff", 6);
  ASSERT_TRUE(W([&](Tx& tx) -> Status {
    WHARF_TRY(tx.applications().Insert({"app_1", "org_a", "shop", "the shop", "srv_1", 1, 1, "usr_a"}));
    WHARF_TRY(tx.applications().Insert({"app_2", "org_a", "blog", "", "srv_1", 2, 2, "usr_b"}));
    WHARF_TRY(tx.applications().Insert({"app_3", "org_b", "shop", "", "srv_9", 1, 1, "usr_b"}));  // same name, other org
    domain::AppService web{"svc_1", "org_a", "app_1", "web", "app", "{\"port\":5000}", sealed, "", "[]", "created", 1, 1, "usr_a"};
    WHARF_TRY(tx.app_services().Insert(web));
    domain::AppService db{"svc_2", "org_a", "app_1", "db", "database", "{}", "", std::string("\x01cred", 5), "[]", "created", 2, 2, "usr_a"};
    WHARF_TRY(tx.app_services().Insert(db));
    WHARF_TRY(tx.app_services().Insert({"svc_3", "org_a", "app_2", "web", "docker", "{}", "", "", "[]", "created", 3, 3, "usr_a"}));
    return tx.templates().Insert({"tpl_1", "org_a", "stack", "", "{\"services\":[]}", 1, 1, "usr_a"});
  }));
  // Duplicates: application per org, service per application, template per org.
  auto dup_app = W([](Tx& tx) { return tx.applications().Insert({"app_x", "org_a", "shop", "", "srv_1", 5, 5, "usr_a"}); });
  ASSERT_FALSE(dup_app);
  EXPECT_EQ(dup_app.error().code, ErrorCode::kConflict);
  auto dup_svc = W([](Tx& tx) {
    return tx.app_services().Insert({"svc_x", "org_a", "app_1", "db", "app", "{}", "", "", "[]", "created", 5, 5, "usr_a"});
  });
  ASSERT_FALSE(dup_svc);
  EXPECT_EQ(dup_svc.error().code, ErrorCode::kConflict);
  auto dup_tpl = W([](Tx& tx) { return tx.templates().Insert({"tpl_x", "org_a", "stack", "", "{}", 5, 5, "usr_a"}); });
  ASSERT_FALSE(dup_tpl);
  EXPECT_EQ(dup_tpl.error().code, ErrorCode::kConflict);
  ASSERT_TRUE(R([&](Tx& tx) -> Status {
    EXPECT_FALSE(*tx.applications().Find("org_b", "app_1"));  // another org's row is absent
    auto a = *tx.applications().Find("org_a", "app_1");
    EXPECT_TRUE(a);
    if (a) { EXPECT_EQ(a->description, "the shop"); }
    EXPECT_EQ(tx.applications().List("org_a", PageQuery{})->size(), 2u);
    PageQuery own;
    own.created_by = "usr_b";
    auto mine = *tx.applications().List("org_a", own);
    EXPECT_EQ(mine.size(), 1u);
    PageQuery after;
    after.limit = 1;
    after.after_created_at = 1;
    after.after_id = "app_1";
    EXPECT_EQ((*tx.applications().List("org_a", after))[0].id, "app_2");
    EXPECT_EQ(*tx.applications().CountCreatedBy("org_a", "usr_a"), 1);
    auto on_server = *tx.applications().ListOnServer("org_a", "srv_1");
    EXPECT_EQ(on_server.size(), 2u);
    if (on_server.size() == 2) { EXPECT_EQ(on_server[0].id, "app_1"); }
    EXPECT_TRUE(tx.applications().ListOnServer("org_b", "srv_1")->empty());  // another org's server
    EXPECT_TRUE(tx.applications().ListOnServer("org_a", "srv_9")->empty());
    auto svcs = *tx.app_services().ListForApplication("org_a", "app_1");
    EXPECT_EQ(svcs.size(), 2u);
    if (svcs.size() == 2) {
      EXPECT_EQ(svcs[0].variables_sealed, sealed);
      EXPECT_EQ(svcs[0].config, "{\"port\":5000}");
      EXPECT_EQ(svcs[1].credentials_sealed, std::string("\x01cred", 5));
    }
    EXPECT_FALSE(*tx.app_services().Find("org_b", "svc_1"));
    EXPECT_EQ(*tx.app_services().CountCreatedBy("org_a", "usr_a"), 3);
    EXPECT_TRUE(tx.app_services().ListForApplication("org_b", "app_1")->empty());
    EXPECT_EQ(tx.templates().List("org_a", PageQuery{})->size(), 1u);
    EXPECT_TRUE(tx.templates().List("org_b", PageQuery{})->empty());
    return Ok();
  }));
  ASSERT_TRUE(W([&](Tx& tx) -> Status {
    auto s = *tx.app_services().Find("org_a", "svc_1");
    s->name = "frontend";
    s->unset_keys = "[\"OLD\"]";
    s->variables_sealed = "";
    s->updated_at = 9;
    WHARF_TRY(tx.app_services().Update(*s));
    auto a = *tx.applications().Find("org_a", "app_2");
    a->name = "journal";
    WHARF_TRY(tx.applications().Update(*a));
    auto t = *tx.templates().Find("org_a", "tpl_1");
    t->body = "{\"services\":[1]}";
    WHARF_TRY(tx.templates().Update(*t));
    EXPECT_FALSE(*tx.app_services().Delete("org_b", "svc_3"));
    EXPECT_TRUE(*tx.app_services().Delete("org_a", "svc_3"));
    EXPECT_TRUE(*tx.applications().Delete("org_a", "app_2"));
    EXPECT_FALSE(*tx.templates().Delete("org_b", "tpl_1"));
    return Ok();
  }));
  auto rename_clash = W([](Tx& tx) -> Status {
    auto s = *tx.app_services().Find("org_a", "svc_2");
    s->name = "frontend";
    return tx.app_services().Update(*s);
  });
  ASSERT_FALSE(rename_clash);
  EXPECT_EQ(rename_clash.error().code, ErrorCode::kConflict);
  ASSERT_TRUE(R([&](Tx& tx) -> Status {
    auto s = *tx.app_services().Find("org_a", "svc_1");
    EXPECT_EQ(s->name, "frontend");
    EXPECT_EQ(s->unset_keys, "[\"OLD\"]");
    EXPECT_TRUE(s->variables_sealed.empty());
    EXPECT_EQ(s->updated_at, 9);
    EXPECT_EQ((*tx.templates().Find("org_a", "tpl_1"))->body, "{\"services\":[1]}");
    EXPECT_FALSE(*tx.applications().Find("org_a", "app_2"));
    return Ok();
  }));
}

TEST_P(StoreContract, CopyFromCopiesEveryTableWithSecretsStillSealed) {
  const std::string sealed("\x00sealed\xff" "bytes", 13);
  ASSERT_TRUE(W([&](Tx& tx) -> Status {
    auto k = Key("key_s", "org_a", "sealed", 5);
    k.private_key_sealed = sealed;
    WHARF_TRY(tx.ssh_keys().Insert(k));
    WHARF_TRY(tx.sessions().Insert({"ses_1", "usr_a", "t1", "c1", 1, 100, 0, "", ""}));
    WHARF_TRY(tx.api_tokens().Insert({"tok_1", "usr_a", "org_a", "ci", "th1", std::nullopt, 1, 0, 0, 0}));
    for (int i = 0; i < 3; ++i) WHARF_TRY(tx.audit().Append({0, "org_a", i, "usr_a", "a@x", "x", "c", "r", "allowed", "req", "ip", ""}));
    WHARF_TRY(tx.applications().Insert({"app_c", "org_a", "copied", "", "srv_1", 1, 1, "usr_a"}));
    WHARF_TRY(tx.app_services().Insert({"svc_c", "org_a", "app_c", "db", "database", "{}", sealed, sealed, "[]", "created", 1, 1, "usr_a"}));
    WHARF_TRY(tx.templates().Insert({"tpl_c", "org_a", "t", "", "{}", 1, 1, "usr_a"}));
    return Ok();
  }));
  fs::create_directories(dir_ / "copy");
  auto dest = GetParam().open(dir_ / "copy");
  ASSERT_TRUE(dest);
  ASSERT_TRUE(dest->CopyFrom(*store_));
  for (const auto& t : DataTables()) EXPECT_EQ(*dest->CountRows(t), *store_->CountRows(t)) << t;
  ASSERT_TRUE(dest->Read([&](Tx& tx) -> Status {
    EXPECT_EQ((*tx.ssh_keys().Find("org_a", "key_s"))->private_key_sealed, sealed);
    EXPECT_EQ((*tx.app_services().Find("org_a", "svc_c"))->credentials_sealed, sealed);
    EXPECT_EQ((*tx.orgs().FindBySlug("alpha"))->wrapped_data_key, std::string("\x01\x00\x02key", 6));
    EXPECT_TRUE((*tx.roles().FindAdmin("org_b"))->builtin);
    EXPECT_EQ(tx.audit().List("org_a", 0, 10)->size(), 3u);
    return Ok();
  }));
  // New audit ids continue after the copied ones.
  int64_t id = 0;
  ASSERT_TRUE(dest->Write([&](Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(id, tx.audit().Append({0, "org_a", 9, "usr_a", "a@x", "x", "c", "r", "allowed", "req", "ip", ""}));
    return Ok();
  }));
  EXPECT_GT(id, 3);
  auto again = dest->CopyFrom(*store_);  // the destination is no longer empty
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kConflict);
}

TEST_P(StoreContract, ReleasesNumberPerServicePruneOldUnpinnedOnesAndAFailedWatchIsTheStatus) {
  auto rel = [](std::string org, std::string svc, int64_t v) {
    domain::Release r;
    r.id = "rel_" + org + svc + std::to_string(v);
    r.org_id = org;
    r.application_id = "app_1";
    r.service_id = svc;
    r.version = v;
    r.deployment_id = "job_" + std::to_string(v);
    r.source_kind = "image";
    r.repository = "r.example/a";
    r.image = "r.example/a:v1";
    r.image_digest = "sha256:" + std::string(64, 'a');
    r.variables_sealed = std::string("\x00\x01sealed", 8);
    r.variables_hash = "hmac-sha256:00";
    r.trigger = "manual";
    r.created_at = 100 + v;
    return r;
  };
  ASSERT_TRUE(W([&](Tx& tx) -> Status {
    for (int64_t v = 1; v <= 5; ++v) WHARF_TRY(tx.releases().Insert(rel("org_a", "svc_1", v)));
    WHARF_TRY(tx.releases().Insert(rel("org_a", "svc_2", 1)));
    WHARF_TRY(tx.releases().Insert(rel("org_b", "svc_1", 1)));
    return tx.releases().SetPinned("org_a", "svc_1", 1, true);
  }));
  // A duplicate version is a conflict.
  auto dup = W([&](Tx& tx) { return tx.releases().Insert(rel("org_a", "svc_1", 5)); });
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, ErrorCode::kConflict);
  ASSERT_TRUE(W([&](Tx& tx) -> Status {
    auto pruned = tx.releases().Prune("org_a", "svc_1", 2);  // keeps v5, v4 and the pinned v1
    EXPECT_TRUE(pruned);
    if (pruned) {
      EXPECT_EQ(*pruned, 2);
    }
    return Ok();
  }));
  ASSERT_TRUE(R([&](Tx& tx) -> Status {
    auto list = *tx.releases().List("org_a", "svc_1");
    std::vector<int64_t> versions;
    for (auto& r : list) versions.push_back(r.version);
    EXPECT_EQ(versions, (std::vector<int64_t>{5, 4, 1}));
    if (!list.empty()) {
      EXPECT_EQ(list.back().variables_sealed, std::string("\x00\x01sealed", 8));
      EXPECT_TRUE(list.back().pinned);
      EXPECT_EQ(list.front().image_digest, "sha256:" + std::string(64, 'a'));
    }
    EXPECT_EQ(*tx.releases().MaxVersion("org_a", "svc_1"), 5);
    EXPECT_EQ(*tx.releases().MaxVersion("org_a", "svc_9"), 0);
    EXPECT_TRUE(tx.releases().Find("org_a", "svc_1", 4)->has_value());
    EXPECT_FALSE(tx.releases().Find("org_b", "svc_1", 4)->has_value());
    EXPECT_TRUE(tx.releases().FindByDeployment("org_a", "job_5")->has_value());
    EXPECT_EQ(tx.releases().List("org_b", "svc_1")->size(), 1u);
    return Ok();
  }));
  ASSERT_TRUE(W([&](Tx& tx) { return tx.releases().DeleteForService("org_a", "svc_1"); }));
  ASSERT_TRUE(R([&](Tx& tx) -> Status {
    EXPECT_TRUE(tx.releases().List("org_a", "svc_1")->empty());
    EXPECT_EQ(tx.releases().List("org_a", "svc_2")->size(), 1u);
    return Ok();
  }));
  // A deployment whose watch after start failed reads as failed_after_start.
  domain::Job job;
  job.id = "job_w1";
  job.org_id = "org_a";
  job.kind = "deploy";
  job.target_id = "srv_1";
  job.created_at = 10;
  domain::Deployment d;
  d.id = "job_w1";
  d.org_id = "org_a";
  d.application_id = "app_1";
  d.service_id = "svc_1";
  d.action = "deploy";
  d.trigger = "manual";
  d.created_at = 10;
  ASSERT_TRUE(W([&](Tx& tx) -> Status {
    WHARF_TRY(tx.jobs().Insert(job));
    WHARF_TRY(tx.deployments().Insert(d));
    return tx.deployments().SetAfterStart("org_a", "job_w1", "failed");
  }));
  ASSERT_TRUE(R([&](Tx& tx) -> Status {
    auto got = *tx.deployments().Find("org_a", "job_w1");
    EXPECT_TRUE(got.has_value());
    if (got) {
      EXPECT_EQ(got->status, "failed_after_start");
    }
    return Ok();
  }));
}

TEST_P(StoreContract, DeploymentsReadTheirJobsStatusAndStayInTheirOrg) {
  domain::Job job;
  job.id = "job_d1";
  job.org_id = "org_a";
  job.kind = "deploy";
  job.target_id = "srv_1";
  job.created_at = 10;
  job.created_by = "usr_a";
  domain::Deployment d;
  d.id = "job_d1";
  d.org_id = "org_a";
  d.application_id = "app_1";
  d.service_id = "svc_1";
  d.action = "deploy";
  d.trigger = "push";
  d.ref = "main";
  d.commit_sha = "abc123";
  d.created_at = 10;
  ASSERT_TRUE(W([&](Tx& tx) -> Status {
    WHARF_TRY(tx.jobs().Insert(job));
    WHARF_TRY(tx.deployments().Insert(d));
    domain::Deployment other = d;
    other.id = "job_d2";  // no job row: reads as failed
    other.service_id = "svc_2";
    other.created_at = 11;
    WHARF_TRY(tx.deployments().Insert(other));
    domain::Deployment foreign = d;
    foreign.id = "job_d3";
    foreign.org_id = "org_b";
    return tx.deployments().Insert(foreign);
  }));
  ASSERT_TRUE(W([&](Tx& tx) { return tx.deployments().SetOutcome("org_a", "job_d1", "", "git_token", "check the token"); }));
  ASSERT_TRUE(R([&](Tx& tx) -> Status {
    auto got = *tx.deployments().Find("org_a", "job_d1");
    EXPECT_TRUE(got.has_value());
    if (!got) return Ok();
    EXPECT_EQ(got->status, "queued");
    EXPECT_EQ(got->trigger, "push");
    EXPECT_EQ(got->commit_sha, "abc123");  // an empty sha keeps the recorded one
    EXPECT_EQ(got->error_layer, "git_token");
    EXPECT_FALSE(*tx.deployments().Find("org_b", "job_d1"));
    PageQuery ten;
    ten.limit = 10;
    auto all = *tx.deployments().List("org_a", "", "", ten);
    EXPECT_EQ(all.size(), 2u);
    if (all.size() == 2) {
      EXPECT_EQ(all[0].id, "job_d2");  // newest first
      EXPECT_EQ(all[0].status, "failed");
    }
    EXPECT_EQ(tx.deployments().List("org_a", "app_1", "svc_1", ten)->size(), 1u);
    EXPECT_EQ(tx.deployments().List("org_a", "app_9", "", ten)->size(), 0u);
    return Ok();
  }));
  // Paging: limit + 1 rows, then the rows after (older than) the last one, with equal created_at
  // ordered by id.
  ASSERT_TRUE(W([&](Tx& tx) -> Status {
    for (const char* id : {"job_d4", "job_d5"}) {
      domain::Deployment more = d;
      more.id = id;
      more.created_at = 11;
      WHARF_TRY(tx.deployments().Insert(more));
    }
    return Ok();
  }));
  ASSERT_TRUE(R([&](Tx& tx) -> Status {
    PageQuery q;
    q.limit = 2;
    auto first = *tx.deployments().List("org_a", "app_1", "", q);
    EXPECT_EQ(first.size(), 3u);  // limit + 1: there is more
    if (first.size() != 3) return Ok();
    EXPECT_EQ(first[0].id, "job_d5");
    EXPECT_EQ(first[1].id, "job_d4");
    q.after_created_at = first[1].created_at;
    q.after_id = first[1].id;
    auto second = *tx.deployments().List("org_a", "app_1", "", q);
    EXPECT_EQ(second.size(), 2u);
    if (second.size() == 2) {
      EXPECT_EQ(second[0].id, "job_d2");
      EXPECT_EQ(second[1].id, "job_d1");
    }
    return Ok();
  }));
}

// Second factors: each conditional write succeeds once, so one code, recovery code, challenge or
// passkey counter value opens at most one session.
TEST_P(StoreContract, SecondFactorsConsumeOnce) {
  ASSERT_TRUE(W([&](Tx& tx) -> Status {
    auto& sf = tx.second_factors();
    EXPECT_FALSE(*sf.HasSecondFactor("usr_1"));
    WHARF_TRY(sf.PutTotp({"usr_1", "wrapped", "sealed", false, -1, 1}));
    EXPECT_FALSE(*sf.HasSecondFactor("usr_1"));  // not confirmed yet
    WHARF_TRY(sf.ConfirmTotp("usr_1", 100));
    EXPECT_TRUE(*sf.HasSecondFactor("usr_1"));
    EXPECT_TRUE(*sf.AdvanceTotpStep("usr_1", 101));
    EXPECT_FALSE(*sf.AdvanceTotpStep("usr_1", 101));  // replay
    EXPECT_FALSE(*sf.AdvanceTotpStep("usr_1", 100));  // older than the last used
    EXPECT_EQ(sf.FindTotp("usr_1")->value().last_step, 101);
    WHARF_TRY(sf.ReplaceRecoveryCodes("usr_1", {"h0", "h1", "h2"}));
    EXPECT_TRUE(*sf.ConsumeRecoveryCode("usr_1", 1));
    EXPECT_FALSE(*sf.ConsumeRecoveryCode("usr_1", 1));
    EXPECT_EQ(sf.ListRecoveryCodes("usr_1")->size(), 2u);
    WHARF_TRY(sf.InsertPasskey({"pky_1", "usr_2", "Laptop", std::string("\x01\x00\x02", 3), "cose", -7, 5, 1, 0}));
    auto pk = *sf.FindPasskeyByCredential(std::string("\x01\x00\x02", 3));
    EXPECT_TRUE(pk && pk->user_id == "usr_2" && pk->sign_count == 5);
    EXPECT_TRUE(*sf.RecordPasskeyUse("pky_1", 5, 6, 9));
    EXPECT_FALSE(*sf.RecordPasskeyUse("pky_1", 5, 7, 9));  // raced by the first
    EXPECT_TRUE(*sf.HasSecondFactor("usr_2"));
    WHARF_TRY(sf.InsertChallenge({"hash_a", "login", "usr_1", "", 1000}));
    WHARF_TRY(sf.InsertChallenge({"hash_b", "passkey_login", "", std::string("\x00\xff", 2), 1000}));
    EXPECT_TRUE(sf.FindChallenge("hash_a", "login", 999)->has_value());
    EXPECT_FALSE(sf.FindChallenge("hash_a", "step_up", 999)->has_value());
    EXPECT_FALSE(sf.FindChallenge("hash_a", "login", 1000)->has_value());  // expired
    EXPECT_EQ(sf.FindChallenge("hash_b", "passkey_login", 1)->value().webauthn_challenge, std::string("\x00\xff", 2));
    EXPECT_TRUE(*sf.DeleteChallenge("hash_a"));
    EXPECT_FALSE(*sf.DeleteChallenge("hash_a"));
    WHARF_TRY(sf.PruneChallenges(1000));
    EXPECT_FALSE(sf.FindChallenge("hash_b", "passkey_login", 1)->has_value());
    EXPECT_EQ(*sf.StepUpUntil("ses_1"), 0);
    WHARF_TRY(sf.SetStepUp("ses_1", "usr_1", 500));
    WHARF_TRY(sf.SetStepUp("ses_1", "usr_1", 600));
    EXPECT_EQ(*sf.StepUpUntil("ses_1"), 600);
    EXPECT_FALSE(*sf.RequireTwoFactor("org_a"));
    WHARF_TRY(sf.SetRequireTwoFactor("org_a", true));
    EXPECT_TRUE(*sf.RequireTwoFactor("org_a"));
    EXPECT_EQ(*sf.WithSecondFactor({"usr_1", "usr_2", "usr_9"}), (std::vector<std::string>{"usr_1", "usr_2"}));
    WHARF_TRY(sf.DeleteAllForUser("usr_1"));
    EXPECT_FALSE(*sf.HasSecondFactor("usr_1"));
    EXPECT_TRUE(sf.ListRecoveryCodes("usr_1")->empty());
    EXPECT_EQ(*sf.StepUpUntil("ses_1"), 0);
    return Ok();
  }));
  // A second passkey with the same credential id is a conflict (its own transaction: on
  // PostgreSQL a failed statement ends the transaction it ran in).
  auto dup = W([&](Tx& tx) -> Status {
    return tx.second_factors().InsertPasskey({"pky_2", "usr_3", "Dup", std::string("\x01\x00\x02", 3), "cose", -7, 0, 1, 0});
  });
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, ErrorCode::kConflict);
}

// The scheduled re-verification's selection: the given kinds of every org, verified at least
// once and at or before `before`, whose last verification stands (passed, or failed with an
// error), oldest first, at most `limit`.
TEST_P(StoreContract, IntegrationsDueForVerificationAreTheOldestVerifiedOfTheGivenKinds) {
  auto row = [](const char* id, const char* org, const char* kind, Timestamp at, bool ok, const char* err) {
    domain::Integration i;
    i.id = id;
    i.org_id = org;
    i.kind = kind;
    i.name = id;
    i.dedupe_key = id;
    i.verified = ok;
    i.last_verified_at = at;
    i.last_error = err;
    i.created_at = i.updated_at = 1;
    i.created_by = "usr_a";
    return i;
  };
  ASSERT_TRUE(W([&](Tx& tx) -> Status {
    WHARF_TRY(tx.integrations().Insert(row("reg_old", "org_a", "dockerRegistries", 100, true, "")));
    WHARF_TRY(tx.integrations().Insert(row("git_fail", "org_b", "gitProviders", 200, false, R"({"check":"auth"})")));
    WHARF_TRY(tx.integrations().Insert(row("reg_draft", "org_a", "dockerRegistries", 0, false, "")));
    WHARF_TRY(tx.integrations().Insert(row("reg_changed", "org_a", "dockerRegistries", 50, false, "")));
    WHARF_TRY(tx.integrations().Insert(row("ntf_chan", "org_a", "notificationChannels", 10, true, "")));
    WHARF_TRY(tx.integrations().Insert(row("bst_new", "org_a", "backupStorage", 900, true, "")));
    return tx.integrations().Insert(row("aws_edge", "org_b", "cloudProviderAccounts", 500, true, ""));
  }));
  const std::vector<std::string> kinds = {"gitProviders", "dockerRegistries", "cloudProviderAccounts", "backupStorage"};
  ASSERT_TRUE(R([&](Tx& tx) -> Status {
    auto due = *tx.integrations().ListVerifyDue(kinds, 500, 10);
    std::vector<std::string> ids;
    for (auto& i : due) ids.push_back(i.id);
    EXPECT_EQ(ids, (std::vector<std::string>{"reg_old", "git_fail", "aws_edge"}));
    EXPECT_EQ(tx.integrations().ListVerifyDue(kinds, 500, 1)->size(), 1u);
    EXPECT_EQ(tx.integrations().ListVerifyDue({"notificationChannels"}, 500, 10)->size(), 1u);
    EXPECT_TRUE(tx.integrations().ListVerifyDue(kinds, 99, 10)->empty());
    return Ok();
  }));
}

INSTANTIATE_TEST_SUITE_P(Stores, StoreContract, ::testing::ValuesIn(kStores),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace wharf::store
