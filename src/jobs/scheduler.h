// The periodic scheduler: one thread that runs each registered task in turn, about once a
// second (health checks of due servers, due scheduled backups). A task decides itself whether
// this replica should act (store::Store::IsScheduler), so the scheduler knows no feature.
//
//   jobs::Scheduler sched;
//   sched.AddTask("health", [&] { servers.RunDueHealthChecks(); });
//   sched.Start();  // ... sched.Stop() (or the destructor) joins the thread
//
// Thread-safety: AddTask before Start; Start and Stop may be called from any thread.
#pragma once

#include <functional>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

namespace wharf::jobs {

class Scheduler {
 public:
  explicit Scheduler(int64_t period_ms = 1000) : period_ms_(period_ms) {}
  ~Scheduler() { Stop(); }
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Adds a task run on every tick, in the order added. Call before Start.
  void AddTask(std::string name, std::function<void()> fn);
  // Starts the thread (once; later calls do nothing).
  void Start();
  // Stops after the running tick and joins the thread. Idempotent.
  void Stop();

 private:
  struct Task {
    std::string name;
    std::function<void()> fn;
  };
  const int64_t period_ms_;
  std::vector<Task> tasks_;
  std::mutex mu_;
  std::jthread thread_;  // GUARDED_BY(mu_)
};

}  // namespace wharf::jobs
