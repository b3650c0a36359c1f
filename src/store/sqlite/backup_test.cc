// admin backup/restore: a snapshot taken while the store is open holds every committed write, is
// 0600 and self-contained; restore refuses files that are not Wharf databases.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "store/sqlite/sqlite_backup.h"
#include "store/sqlite/sqlite_store.h"

namespace wharf::store {
namespace {

namespace fs = std::filesystem;

class SqliteBackup : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("wharf-backup-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(SqliteBackup, SnapshotOfAnOpenStoreRestoresEveryCommittedRow) {
  const std::string db = (dir_ / "wharf.db").string(), snap = (dir_ / "snap.db").string();
  auto store = std::move(*OpenSqliteStore(db));
  ASSERT_TRUE(store->Write([](Tx& tx) -> Status {
    WHARF_TRY(tx.users().Insert({"usr_a", "a@x.test", "a", "h", false, 1, 1}));
    return tx.orgs().Insert({"org_a", "alpha", "a", "usr_a", 0, "k", 1, 1, "usr_a"});
  }));
  ASSERT_TRUE(BackupSqliteDatabase(db, snap));  // the store stays open (WAL holds the rows)
  struct stat st{};
  ASSERT_EQ(::stat(snap.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_FALSE(fs::exists(snap + "-wal"));
  EXPECT_FALSE(fs::exists(snap + ".partial"));

  const std::string restored = (dir_ / "restored" / "wharf.db").string();
  ASSERT_TRUE(RestoreSqliteDatabase(snap, restored));
  auto back = std::move(*OpenSqliteStore(restored));
  bool found = false;
  ASSERT_TRUE(back->Read([&found](Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(auto org, tx.orgs().FindBySlug("alpha"));
    found = org.has_value();
    return Ok();
  }));
  EXPECT_TRUE(found);
}

TEST_F(SqliteBackup, RefusesMissingAndForeignFiles) {
  auto missing = BackupSqliteDatabase((dir_ / "nope.db").string(), (dir_ / "out.db").string());
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kValidationFailed);
  std::ofstream((dir_ / "text.db").string()) << "not a database";
  EXPECT_FALSE(RestoreSqliteDatabase((dir_ / "text.db").string(), (dir_ / "t.db").string()));
  EXPECT_FALSE(RestoreSqliteDatabase((dir_ / "absent.db").string(), (dir_ / "t.db").string()));
}

}  // namespace
}  // namespace wharf::store
