// Another process writing the same SQLite file (a `wharf admin` command) is seen by the server's
// next CatchUpInvalidations: the scopes its commit invalidated, nothing for writes that change no
// access (a session's last-used time), and nothing at all when no one committed.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "store/sqlite/sqlite_store.h"

namespace wharf::store {
namespace {

namespace fs = std::filesystem;

class SqliteInvalidation : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("wharf-invalidation-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    const std::string db = (dir_ / "wharf.db").string();
    server_ = std::move(*OpenSqliteStore(db));
    admin_ = std::move(*OpenSqliteStore(db));  // as `wharf admin` opens it: another connection set
    ASSERT_TRUE(server_->Write([](Tx& tx) -> Status {
      WHARF_TRY(tx.users().Insert({"usr_a", "a@x.test", "a", "h", false, 1, 1}));
      WHARF_TRY(tx.orgs().Insert({"org_a", "alpha", "a", "usr_a", 0, "k", 1, 1, "usr_a"}));
      WHARF_TRY(tx.roles().Insert({"rol_admin", "org_a", "Admin", "", true, domain::Permissions::All(), {}, 1, 1, "usr_a"}));
      WHARF_TRY(tx.roles().Insert({"rol_view", "org_a", "Viewer", "", false, {}, {}, 1, 1, "usr_a"}));
      WHARF_TRY(tx.memberships().Insert({"org_a", "usr_a", "rol_admin", 1}));
      return tx.sessions().Insert({"ses_1", "usr_a", "t1", "c1", 1, 1'000'000, 0, "", ""});
    }));
    server_->WatchInvalidations([this](std::string_view s) { seen_.emplace_back(s); });
  }
  void TearDown() override {
    server_->WatchInvalidations(nullptr);
    server_.reset();
    admin_.reset();
    fs::remove_all(dir_);
  }
  std::vector<std::string> CatchUp() {
    seen_.clear();
    server_->CatchUpInvalidations();
    return seen_;
  }
  fs::path dir_;
  std::unique_ptr<Store> server_, admin_;
  std::vector<std::string> seen_;
};

TEST_F(SqliteInvalidation, NothingCommittedDeliversNothing) {
  EXPECT_TRUE(CatchUp().empty());  // writes before WatchInvalidations are the baseline
  EXPECT_TRUE(CatchUp().empty());
}

TEST_F(SqliteInvalidation, AnotherProcessDisablingAUserIsSeenByTheNextCatchUp) {
  ASSERT_TRUE(admin_->Write([](Tx& tx) -> Status {
    auto u = tx.users().FindById("usr_a");
    if (!u || !*u) return Internal("no user");
    (*u)->disabled_at = 5;
    return tx.users().Update(**u);
  }));
  EXPECT_EQ(CatchUp(), std::vector<std::string>{"user:usr_a"});
  EXPECT_TRUE(CatchUp().empty());  // delivered once
}

TEST_F(SqliteInvalidation, RevocationsAndRoleChangesAreSeenInCommitOrder) {
  ASSERT_TRUE(admin_->Write([](Tx& tx) { return tx.sessions().Revoke("ses_1", 5); }));
  ASSERT_TRUE(admin_->Write([](Tx& tx) { return tx.memberships().UpdateRole("org_a", "usr_a", "rol_view"); }));
  EXPECT_EQ(CatchUp(), (std::vector<std::string>{"user:usr_a", "org:org_a"}));
}

TEST_F(SqliteInvalidation, ThisProcessesWritesAndLastUsedTouchesChangeNoAccess) {
  ASSERT_TRUE(server_->Write([](Tx& tx) { return tx.sessions().Touch("ses_1", 7); }));
  ASSERT_TRUE(admin_->Write([](Tx& tx) { return tx.sessions().Touch("ses_1", 8); }));
  EXPECT_TRUE(CatchUp().empty());
}

}  // namespace
}  // namespace wharf::store
