// Clock and IdGenerator: injected so tests are deterministic (no sleeps, no real time).
//
//   SystemClock clock;  Timestamp now = clock.Now();
//   RandomIdGenerator ids;  std::string id = ids.New("usr");   // "usr_5f2k…"
//
// Thread-safety: SystemClock and RandomIdGenerator are safe to share across threads.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace wharf {

// Milliseconds since the Unix epoch, UTC.
using Timestamp = int64_t;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual Timestamp Now() const = 0;
};

class SystemClock final : public Clock {
 public:
  Timestamp Now() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

// A clock that only moves when told to. For tests.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(Timestamp start = 1'700'000'000'000) : now_(start) {}
  Timestamp Now() const override { return now_.load(); }
  void Advance(int64_t ms) { now_ += ms; }
  void Set(Timestamp t) { now_ = t; }

 private:
  std::atomic<Timestamp> now_;
};

class IdGenerator {
 public:
  virtual ~IdGenerator() = default;
  // A new opaque id: "<prefix>_<20 lowercase base32 chars>" (100 random bits).
  virtual std::string New(std::string_view prefix) = 0;
};

class RandomIdGenerator final : public IdGenerator {
 public:
  std::string New(std::string_view prefix) override;
};

// Deterministic ids "<prefix>_000001", ... For tests.
class SequentialIdGenerator final : public IdGenerator {
 public:
  std::string New(std::string_view prefix) override;

 private:
  std::atomic<uint64_t> next_{1};
};

// RFC 3339 UTC with milliseconds: "2026-11-24T02:31:05.123Z".
std::string FormatRfc3339(Timestamp t);

}  // namespace wharf
