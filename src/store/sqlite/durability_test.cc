// kill -9 during a stream of writes loses no acknowledged write (WAL + synchronous=FULL).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <set>
#include <string>

#include "store/sqlite/sqlite_store.h"

namespace wharf::store {
namespace {

namespace fs = std::filesystem;

TEST(SqliteDurability, KillNineLosesNoAcknowledgedWrite) {
  fs::path dir = fs::temp_directory_path() / ("wharf-durability-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string db = (dir / "wharf.db").string();
  {
    auto store = std::move(*OpenSqliteStore(db));
    ASSERT_TRUE(store->Write([](Tx& tx) -> Status {
      WHARF_TRY(tx.users().Insert({"usr_a", "a@x.test", "a", "h", false, 1, 1}));
      return tx.orgs().Insert({"org_a", "alpha", "a", "usr_a", 0, "k", 1, 1, "usr_a"});
    }));
  }
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(fds[0]);
    auto store = std::move(*OpenSqliteStore(db));
    for (int i = 0;; ++i) {
      std::string id = "key_" + std::to_string(i);
      auto st = store->Write([&](Tx& tx) {
        return tx.ssh_keys().Insert({id, "org_a", id, "ssh-ed25519", "ssh-ed25519 AAAA", "SHA256:x", "", false, i, i, "usr_a"});
      });
      if (!st) ::_exit(3);
      std::string line = id + "\n";  // acknowledged only after Write returned
      if (::write(fds[1], line.data(), line.size()) < 0) ::_exit(4);
    }
  }
  ::close(fds[1]);
  std::set<std::string> acknowledged;
  std::string buf;
  char chunk[4096];
  while (acknowledged.size() < 300) {
    ssize_t n = ::read(fds[0], chunk, sizeof chunk);
    ASSERT_GT(n, 0) << "writer died early";
    buf.append(chunk, static_cast<size_t>(n));
    size_t pos;
    while ((pos = buf.find('\n')) != std::string::npos) {
      acknowledged.insert(buf.substr(0, pos));
      buf.erase(0, pos + 1);
    }
  }
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));
  // Drain ids acknowledged between our last read and the kill.
  ssize_t n;
  while ((n = ::read(fds[0], chunk, sizeof chunk)) > 0) buf.append(chunk, static_cast<size_t>(n));
  size_t pos;
  while ((pos = buf.find('\n')) != std::string::npos) {
    acknowledged.insert(buf.substr(0, pos));
    buf.erase(0, pos + 1);
  }
  ::close(fds[0]);

  auto store = std::move(*OpenSqliteStore(db));
  std::set<std::string> present;
  ASSERT_TRUE(store->Read([&](Tx& tx) -> Status {
    PageQuery q;
    q.limit = 1'000'000;
    auto keys = tx.ssh_keys().List("org_a", q);
    if (!keys) return tl::unexpected(keys.error());
    for (auto& k : *keys) present.insert(k.id);
    return Ok();
  }));
  for (auto& id : acknowledged) EXPECT_TRUE(present.count(id)) << id << " was acknowledged but is gone";
  EXPECT_TRUE(store->Ready());
  fs::remove_all(dir);
}

}  // namespace
}  // namespace wharf::store
