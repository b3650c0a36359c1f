// The queue and scheduler on the real SQLite store (temp file): a job enqueued in a transaction
// is run by a worker, its log is redacted, and a job without a handler fails with a message.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>
#include <unistd.h>

#include "jobs/queue.h"
#include "jobs/scheduler.h"
#include "store/sqlite/sqlite_store.h"

namespace wharf::jobs {
namespace {

namespace fs = std::filesystem;

class JobsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("wharf-jobs-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    auto st = store::OpenSqliteStore((dir_ / "wharf.db").string());
    ASSERT_TRUE(st) << st.error().message;
    store_ = std::move(*st);
    // Jobs belong to an organisation (a foreign key): one user and its org.
    ASSERT_TRUE(store_->Write([](store::Tx& tx) -> Status {
      WHARF_TRY(tx.users().Insert(domain::User{"usr_1", "ann@example.test", "Ann", "x", false, 1, 1}));
      domain::Org o;
      o.id = "org_1";
      o.slug = "acme";
      o.name = "Acme";
      o.owner_id = "usr_1";
      o.wrapped_data_key = "k";
      o.created_at = o.updated_at = 1;
      o.created_by = "usr_1";
      return tx.orgs().Insert(o);
    }));
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }
  domain::Job Await(const std::string& id) {
    domain::Job out;
    for (int i = 0; i < 500; ++i) {
      std::optional<domain::Job> j;
      EXPECT_TRUE(store_->Read([&](store::Tx& tx) -> Status {
        WHARF_ASSIGN_OR_RETURN(j, tx.jobs().FindTail("org_1", id, 0));
        return Ok();
      }));
      if (j && j->status != "queued" && j->status != "running") return *j;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ADD_FAILURE() << "job " << id << " did not end";
    return out;
  }
  fs::path dir_;
  std::unique_ptr<store::Store> store_;
  SystemClock clock_;
  SequentialIdGenerator ids_;
};

TEST_F(JobsTest, AHandlerRunsAnEnqueuedJobAndItsSecretsNeverReachTheLog) {
  Queue q(*store_, clock_, ids_, {.replica_id = "test", .workers = 2, .poll_ms = 50});
  q.RegisterHandler("echo", [](JobContext& jc) -> Status {
    jc.AddSecret("hunter2");
    jc.AppendLog("token hunter2 used\n");
    return Ok();
  });
  domain::Job job;
  ASSERT_TRUE(store_->Write([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(job, q.Enqueue(tx, "echo", "org_1", "srv_1", nlohmann::json{{"n", 1}}, "usr_1"));
    return Ok();
  }));
  q.Start();
  auto end = Await(job.id);
  EXPECT_EQ(end.status, "succeeded");
  EXPECT_NE(end.log.find("token [redacted] used"), std::string::npos) << end.log;
  EXPECT_EQ(end.log.find("hunter2"), std::string::npos);
}

TEST_F(JobsTest, AJobWithoutAHandlerIsNotClaimedUntilOneIsRegistered) {
  Queue q(*store_, clock_, ids_, {.replica_id = "test", .workers = 1, .poll_ms = 20});
  q.Start();
  domain::Job job;
  ASSERT_TRUE(store_->Write([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(job, q.Enqueue(tx, "late", "org_1", "srv_1", {}, "usr_1"));
    return Ok();
  }));
  q.Wake();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  q.RegisterHandler("late", [](JobContext&) -> Status { return JobFailed("nope"); });
  auto end = Await(job.id);
  EXPECT_EQ(end.status, "failed");
  EXPECT_EQ(end.error, "nope");
}

TEST_F(JobsTest, TheSchedulerRunsItsTasksUntilStopped) {
  std::atomic<int> ticks{0};
  Scheduler s(100);
  s.AddTask("count", [&] { ++ticks; });
  s.Start();
  for (int i = 0; i < 200 && ticks < 2; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  s.Stop();
  const int seen = ticks;
  EXPECT_GE(seen, 2);
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  EXPECT_EQ(ticks, seen);
}

}  // namespace
}  // namespace wharf::jobs
