// Job claims per second on the embedded SQLite store (issue 5: at least 1,000 claims/s), with the
// store's real settings (WAL, synchronous=FULL: every claim is a durable commit). The database is
// created in the current directory (a real disk, not tmpfs) and removed afterwards.
// Run: build/src/store/job_queue_bench --benchmark_min_time=2s
//   BM_Claim:          one claim (a write transaction picking the oldest claimable job)
//   BM_ClaimAndFinish: what a worker writes per job: the claim, then the end of the job
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "store/sqlite/sqlite_store.h"
#include "store/store.h"

namespace wharf::store {
namespace {

namespace fs = std::filesystem;
constexpr int kTargets = 200;

struct Queue {
  fs::path path;
  std::unique_ptr<Store> store;
  int next = 0;
  Queue() {
    path = fs::current_path() / ("job_queue_bench_" + std::to_string(::getpid()) + ".db");
    fs::remove(path);
    store = std::move(*OpenSqliteStore(path.string()));
    (void)store->Write([&](Tx& tx) -> Status {
      WHARF_TRY(tx.users().Insert({"usr_b", "b@example.test", "b", "hash", false, 1, 1}));
      return tx.orgs().Insert({"org_b", "bench", "bench", "usr_b", 0, "key", 1, 1, "usr_b"});
    });
  }
  ~Queue() {
    store.reset();
    for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path.string() + suffix);
  }
  // Enqueues n jobs over kTargets servers, in one transaction.
  void Fill(int n) {
    (void)store->Write([&](Tx& tx) -> Status {
      for (int i = 0; i < n; ++i, ++next) {
        domain::Job j;
        j.id = "job_" + std::to_string(next);
        j.org_id = "org_b";
        j.kind = "sleep";
        j.target_id = "srv_" + std::to_string(next % kTargets);
        j.created_at = next;
        j.created_by = "usr_b";
        WHARF_TRY(tx.jobs().Insert(j));
      }
      return Ok();
    });
  }
};

void Run(benchmark::State& state, bool finish) {
  Queue q;
  int64_t now = 1'000'000;
  int claimed_since_fill = kTargets;
  for (auto _ : state) {
    if (!finish && claimed_since_fill == kTargets) {  // every server runs a job: refill untimed
      state.PauseTiming();
      (void)q.store->Write([&](Tx& tx) -> Status {  // end the running ones so their servers are free
        domain::Job end;
        end.status = "succeeded";
        for (int i = q.next - kTargets; i < q.next; ++i) {
          end.id = "job_" + std::to_string(i);
          WHARF_TRY(tx.jobs().Finish(end, "bench", 1).map([](bool) {}));
        }
        return Ok();
      });
      q.Fill(kTargets);
      claimed_since_fill = 0;
      state.ResumeTiming();
    } else if (finish && claimed_since_fill == kTargets) {
      state.PauseTiming();
      q.Fill(kTargets);
      claimed_since_fill = 0;
      state.ResumeTiming();
    }
    std::optional<domain::Job> job;
    auto st = q.store->WriteConcurrent([&](Tx& tx) -> Status {
      JobClaim c{"bench", ++now, now + 30'000, "onboard,sleep"};
      WHARF_ASSIGN_OR_RETURN(job, tx.jobs().Claim(c));
      return Ok();
    });
    if (!st || !job) {
      state.SkipWithError("no job claimed");
      break;
    }
    ++claimed_since_fill;
    if (finish) {
      job->status = "succeeded";
      job->finished_at = now;
      (void)q.store->WriteConcurrent([&](Tx& tx) -> Status { return tx.jobs().Finish(*job, "bench", job->attempts).map([](bool) {}); });
    }
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_Claim(benchmark::State& state) { Run(state, false); }
void BM_ClaimAndFinish(benchmark::State& state) { Run(state, true); }
BENCHMARK(BM_Claim)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_ClaimAndFinish)->Unit(benchmark::kMicrosecond)->UseRealTime();

}  // namespace
}  // namespace wharf::store

BENCHMARK_MAIN();
