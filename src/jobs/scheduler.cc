#include "jobs/scheduler.h"

#include <chrono>

#include "base/log.h"

namespace wharf::jobs {

void Scheduler::AddTask(std::string name, std::function<void()> fn) { tasks_.push_back({std::move(name), std::move(fn)}); }

void Scheduler::Start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  thread_ = std::jthread([this](std::stop_token stop) {
    const int slices = static_cast<int>(std::max<int64_t>(1, period_ms_ / 100));
    while (!stop.stop_requested()) {
      for (auto& t : tasks_) {
        if (stop.stop_requested()) break;
        try {
          t.fn();
        } catch (const std::exception& e) {
          log::Error("scheduler_task_threw", {{"task", t.name}, {"what", e.what()}});
        }
      }
      for (int i = 0; i < slices && !stop.stop_requested(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
}

void Scheduler::Stop() {
  std::jthread t;
  {
    std::lock_guard lock(mu_);
    t = std::move(thread_);
  }
  if (t.joinable()) {
    t.request_stop();
    t.join();
  }
}

}  // namespace wharf::jobs
