// What only PostgreSQL does: several store instances (replicas) on one database. Runs in
// store_pg_test next to the contract suite, on the PostgreSQL that binary starts.
#include "store/postgres/pg_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <set>
#include <thread>

#include "store/postgres/pg_conn.h"
#include "store/sqlite/sqlite_store.h"
#include "store/testing/pg_test_server.h"

namespace wharf::store {

testing::PgTestServer* SharedPostgres(std::string* error);

namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

// The repositories are written with SQLite's parameters once (store/sql); PostgreSQL gets `$N`.
TEST(PgPlaceholders, NumbersLikeSqliteAndLeavesQuotedTextAlone) {
  EXPECT_EQ(pg::PgPlaceholders("SELECT a FROM t WHERE b = ? AND c = ?"), "SELECT a FROM t WHERE b = $1 AND c = $2");
  EXPECT_EQ(pg::PgPlaceholders("UPDATE t SET s = ?1 WHERE x = CASE WHEN ?1 = 'a?' THEN ?2 END AND y = ?"),
            "UPDATE t SET s = $1 WHERE x = CASE WHEN $1 = 'a?' THEN $2 END AND y = $3");
  EXPECT_EQ(pg::PgPlaceholders("SELECT \"q?\", ',' || ?12 FROM t WHERE z = $1"), "SELECT \"q?\", ',' || $12 FROM t WHERE z = $1");
}

struct Db {
  std::string url;
  testing::PgTestServer* pg = nullptr;
};

Db FreshDb(const std::string& name) {
  std::string error;
  auto* pg = SharedPostgres(&error);
  if (!pg) {
    ADD_FAILURE() << "PostgreSQL: " << error;
    return {};
  }
  auto url = pg->CreateDatabase(name + "_" + std::to_string(::getpid()));
  if (!url) {
    ADD_FAILURE() << url.error().message;
    return {};
  }
  return {*url, pg};
}

Status Seed(Store& s) {
  return s.Write([](Tx& tx) -> Status {
    WHARF_TRY(tx.users().Insert({"usr_a", "a@example.test", "a", "hash", false, 1, 1}));
    WHARF_TRY(tx.orgs().Insert({"org_a", "alpha", "alpha", "usr_a", 0, std::string("k\0ey", 4), 1, 1, "usr_a"}));
    WHARF_TRY(tx.roles().Insert({"rol_admin", "org_a", "Admin", "", true, domain::Permissions::All(), {}, 1, 1, "usr_a"}));
    WHARF_TRY(tx.roles().Insert({"rol_view", "org_a", "Viewer", "", false, {}, {}, 1, 1, "usr_a"}));
    return tx.memberships().Insert({"org_a", "usr_a", "rol_admin", 1});
  });
}

TEST(PostgresReplicas, MigrationsRunOnceWhenReplicasStartTogether) {
  Db db = FreshDb("migrate_once");
  ASSERT_TRUE(db.pg);
  std::vector<std::thread> threads;
  std::atomic<int> opened{0}, version{0};
  std::mutex mu;
  std::vector<std::string> errors;
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&] {
      auto s = OpenPostgresStore(db.url);
      if (s && (*s)->SchemaVersion() >= 1) {
        ++opened;
        version = (*s)->SchemaVersion();
      }
      if (!s) {
        std::lock_guard lock(mu);
        errors.push_back(s.error().detail);
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(opened, 4) << (errors.empty() ? "" : errors[0]);
  // One row per migration: each was applied once, not once per replica.
  EXPECT_EQ(*db.pg->Psql(db.url.substr(db.url.rfind('/') + 1), "SELECT COUNT(*) FROM schema_migrations"),
            std::to_string(version.load()));
}

TEST(PostgresReplicas, WritersAreSerializedAcrossReplicas) {
  Db db = FreshDb("serialized");
  ASSERT_TRUE(db.pg);
  auto a = OpenPostgresStore(db.url);
  auto b = OpenPostgresStore(db.url);
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(Seed(**a));
  // Read-modify-write of one row from two replicas × two threads: no update may be lost.
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (Store* s : {a->get(), b->get(), a->get(), b->get()})
    threads.emplace_back([&, s] {
      for (int i = 0; i < 25; ++i) {
        auto st = s->Write([](Tx& tx) -> Status {
          WHARF_ASSIGN_OR_RETURN(auto org, tx.orgs().FindById("org_a"));
          if (!org) return Err(ErrorCode::kNotFound, "org_a");
          org->seat_limit += 1;
          return tx.orgs().Update(*org);
        });
        if (!st) ++failures;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures, 0);
  ASSERT_TRUE((*b)->Read([](Tx& tx) -> Status {
    EXPECT_EQ((*tx.orgs().FindById("org_a"))->seat_limit, 100);
    return Ok();
  }));
}

// Waits until `scopes` holds `want` or the deadline passes; returns the time it took.
milliseconds WaitForScope(std::mutex& mu, std::set<std::string>& scopes, const std::string& want, milliseconds limit) {
  auto t0 = steady_clock::now();
  while (steady_clock::now() - t0 < limit) {
    {
      std::lock_guard lock(mu);
      if (scopes.count(want)) return std::chrono::duration_cast<milliseconds>(steady_clock::now() - t0);
    }
    std::this_thread::sleep_for(milliseconds(5));
  }
  return milliseconds::max();
}

TEST(PostgresReplicas, AChangeOnOneReplicaReachesTheOtherByNotifyAndAtOnceByCatchUp) {
  Db db = FreshDb("notify");
  ASSERT_TRUE(db.pg);
  auto a = OpenPostgresStore(db.url);
  // B polls only once a minute: anything it sees sooner came through NOTIFY.
  auto b = OpenPostgresStore(db.url, {.invalidation_poll_ms = 60'000});
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(Seed(**a));
  std::mutex mu;
  std::set<std::string> scopes;
  (*b)->WatchInvalidations([&](std::string_view s) {
    std::lock_guard lock(mu);
    scopes.emplace(s);
  });
  std::this_thread::sleep_for(milliseconds(200));  // the listener connects and LISTENs
  ASSERT_TRUE((*a)->Write([](Tx& tx) { return tx.memberships().UpdateRole("org_a", "usr_a", "rol_view"); }));
  EXPECT_LT(WaitForScope(mu, scopes, "org:org_a", milliseconds(2000)), milliseconds(2000));
  ASSERT_TRUE((*a)->Write([](Tx& tx) -> Status {
    WHARF_TRY(tx.sessions().Insert({"ses_1", "usr_a", "t1", "c1", 1, 100, 0, "", ""}));
    return tx.sessions().Revoke("ses_1", 5);
  }));
  EXPECT_LT(WaitForScope(mu, scopes, "user:usr_a", milliseconds(2000)), milliseconds(2000));
  // Each change is seen when CatchUp returns, whether or not its NOTIFY reached B's listener yet.
  for (int i = 0; i < 20; ++i) {
    {
      std::lock_guard lock(mu);
      scopes.clear();
    }
    ASSERT_TRUE((*a)->Write([&](Tx& tx) { return tx.memberships().UpdateRole("org_a", "usr_a", i % 2 ? "rol_admin" : "rol_view"); }));
    (*b)->CatchUpInvalidations();
    std::lock_guard lock(mu);
    EXPECT_TRUE(scopes.count("org:org_a")) << "round " << i;
  }
  (*b)->WatchInvalidations(nullptr);
}

TEST(PostgresReplicas, TheVersionBackstopCatchesChangesWithoutANotify) {
  Db db = FreshDb("backstop");
  ASSERT_TRUE(db.pg);
  auto b = OpenPostgresStore(db.url, {.invalidation_poll_ms = 300});
  ASSERT_TRUE(b);
  ASSERT_TRUE(Seed(**b));
  std::mutex mu;
  std::set<std::string> scopes;
  (*b)->WatchInvalidations([&](std::string_view s) {
    std::lock_guard lock(mu);
    scopes.emplace(s);
  });
  std::this_thread::sleep_for(milliseconds(200));
  // A version bump with no NOTIFY (as if the notification were lost): only the poll can see it.
  const std::string dbname = db.url.substr(db.url.rfind('/') + 1);
  ASSERT_TRUE(db.pg->Psql(dbname, "INSERT INTO cache_epochs VALUES ('org:lost', nextval('cache_epoch_seq'))"));
  EXPECT_LT(WaitForScope(mu, scopes, "org:lost", milliseconds(1500)), milliseconds(1500));
  (*b)->WatchInvalidations(nullptr);
}

TEST(PostgresReplicas, DroppedConnectionsReconnectAndTheListenerDropsEveryCache) {
  Db db = FreshDb("dropped");
  ASSERT_TRUE(db.pg);
  auto b = OpenPostgresStore(db.url);
  ASSERT_TRUE(b);
  ASSERT_TRUE(Seed(**b));
  std::mutex mu;
  std::set<std::string> scopes;
  (*b)->WatchInvalidations([&](std::string_view s) {
    std::lock_guard lock(mu);
    scopes.emplace(s);
  });
  {
    std::lock_guard lock(mu);
    EXPECT_TRUE(scopes.count("*"));  // the first connection drops whatever was cached before it
    scopes.clear();
  }
  // As a PostgreSQL restart or failover would: every connection of this database is cut.
  const std::string dbname = db.url.substr(db.url.rfind('/') + 1);
  ASSERT_TRUE(db.pg->Psql(dbname, "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '" +
                                      dbname + "' AND pid <> pg_backend_pid()"));
  // The next transaction reconnects its pooled connection instead of failing.
  ASSERT_TRUE((*b)->Read([](Tx& tx) -> Status {
    auto u = tx.users().FindById("usr_a");
    EXPECT_TRUE(u && *u) << (u ? "absent" : u.error().detail);
    return Ok();
  }));
  // Notifications may have been missed meanwhile: the listener reconnects and says "drop all".
  EXPECT_LT(WaitForScope(mu, scopes, "*", milliseconds(3000)), milliseconds(3000));
  (*b)->WatchInvalidations(nullptr);
}

TEST(PostgresReplicas, ExactlyOneReplicaRunsScheduledWorkAndAnotherTakesOver) {
  Db db = FreshDb("scheduler");
  ASSERT_TRUE(db.pg);
  auto a = OpenPostgresStore(db.url, {.invalidation_poll_ms = 200});
  auto b = OpenPostgresStore(db.url, {.invalidation_poll_ms = 200});
  ASSERT_TRUE(a && b);
  (*a)->WatchInvalidations([](std::string_view) {});
  (*b)->WatchInvalidations([](std::string_view) {});
  std::this_thread::sleep_for(milliseconds(500));
  EXPECT_NE((*a)->IsScheduler(), (*b)->IsScheduler());  // one, not both, not none
  std::unique_ptr<Store>& leader = (*a)->IsScheduler() ? *a : *b;
  std::unique_ptr<Store>& other = (*a)->IsScheduler() ? *b : *a;
  leader.reset();  // the replica dies: its session, and the lock, go with it
  auto t0 = steady_clock::now();
  while (!other->IsScheduler() && steady_clock::now() - t0 < milliseconds(3000)) std::this_thread::sleep_for(milliseconds(10));
  EXPECT_TRUE(other->IsScheduler());
  EXPECT_LT(steady_clock::now() - t0, milliseconds(1000));
}

TEST(PostgresReplicas, RateCountersAreSharedAcrossReplicas) {
  Db db = FreshDb("counters");
  ASSERT_TRUE(db.pg);
  auto a = OpenPostgresStore(db.url);
  auto b = OpenPostgresStore(db.url);
  ASSERT_TRUE(a && b);
  SharedCounters* ca = (*a)->shared_counters();
  SharedCounters* cb = (*b)->shared_counters();
  ASSERT_TRUE(ca && cb);
  ASSERT_TRUE(ca->Add("login", "ada@example.test", 1000, 0));
  ASSERT_TRUE(cb->Add("login", "ada@example.test", 2000, 0));
  ASSERT_TRUE(cb->Add("ip", "ada@example.test", 2000, 0));  // another limiter
  auto w = cb->Count("login", "ada@example.test", 500);
  ASSERT_TRUE(w);
  EXPECT_EQ(w->count, 2);
  EXPECT_EQ(w->oldest, 1000);
  EXPECT_EQ(ca->Count("login", "ada@example.test", 1500)->count, 1);  // outside the window
  ASSERT_TRUE(ca->Add("login", "ada@example.test", 3000, 1500));      // forgets events at or before 1500
  EXPECT_EQ(cb->Count("login", "ada@example.test", 0)->count, 2);
  ASSERT_TRUE(cb->Clear("login", "ada@example.test"));
  EXPECT_EQ(ca->Count("login", "ada@example.test", 0)->count, 0);
  EXPECT_EQ(ca->Count("ip", "ada@example.test", 0)->count, 1);
}

TEST(PostgresReplicas, CopyFromSqliteKeepsEveryRowAndSealedBytes) {
  Db db = FreshDb("from_sqlite");
  ASSERT_TRUE(db.pg);
  auto dir = std::filesystem::temp_directory_path() / ("wharf-copy-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto src = OpenSqliteStore((dir / "wharf.db").string());
  ASSERT_TRUE(src);
  ASSERT_TRUE(Seed(**src));
  const std::string sealed("\x00\x01sealed\xff", 9);
  ASSERT_TRUE((*src)->Write([&](Tx& tx) -> Status {
    WHARF_TRY(tx.ssh_keys().Insert({"key_1", "org_a", "k", "ssh-ed25519", "ssh-ed25519 AAAA", "SHA256:x", sealed, true,
                                    1, 1, "usr_a"}));
    return tx.audit().Append({0, "org_a", 1, "usr_a", "a@x", "x", "c", "r", "allowed", "req", "ip", ""}).map([](int64_t) {});
  }));
  auto dest = OpenPostgresStore(db.url);
  ASSERT_TRUE(dest);
  ASSERT_TRUE((*dest)->CopyFrom(**src));
  for (const auto& t : DataTables()) EXPECT_EQ(*(*dest)->CountRows(t), *(*src)->CountRows(t)) << t;
  ASSERT_TRUE((*dest)->Read([&](Tx& tx) -> Status {
    EXPECT_EQ((*tx.ssh_keys().Find("org_a", "key_1"))->private_key_sealed, sealed);
    EXPECT_TRUE((*tx.roles().FindAdmin("org_a"))->builtin);
    EXPECT_FALSE((*tx.users().FindById("usr_a"))->instance_admin);
    return Ok();
  }));
  // And back: PostgreSQL into a fresh SQLite.
  auto back = OpenSqliteStore((dir / "back.db").string());
  ASSERT_TRUE(back);
  ASSERT_TRUE((*back)->CopyFrom(**dest));
  for (const auto& t : DataTables()) EXPECT_EQ(*(*back)->CountRows(t), *(*src)->CountRows(t)) << t;
  std::filesystem::remove_all(dir);
}

TEST(PostgresReplicas, AnUnreachableDatabaseIsUnavailableWithoutThePassword) {
  auto s = OpenPostgresStore("postgres://wharf:hunter2-secret@127.0.0.1:1/wharf", {.connect_timeout_seconds = 2});
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(s.error().message.find("hunter2"), std::string::npos);
  EXPECT_EQ(s.error().detail.find("hunter2"), std::string::npos);
}

}  // namespace
}  // namespace wharf::store
