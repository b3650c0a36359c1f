#include "base/clock.h"

#include <ctime>
#include <random>

#include <fmt/format.h>

namespace wharf {

namespace {
constexpr char kBase32[] = "abcdefghijklmnopqrstuvwxyz234567";
}

std::string RandomIdGenerator::New(std::string_view prefix) {
  thread_local std::random_device rd;
  thread_local std::mt19937_64 rng(((uint64_t)rd() << 32) ^ rd());
  std::string out(prefix);
  out.push_back('_');
  uint64_t a = rng(), b = rng();
  for (int i = 0; i < 20; ++i) {
    uint64_t& src = i < 12 ? a : b;
    out.push_back(kBase32[src & 31]);
    src >>= 5;
  }
  return out;
}

std::string SequentialIdGenerator::New(std::string_view prefix) {
  return fmt::format("{}_{:06d}", prefix, next_.fetch_add(1));
}

std::string FormatRfc3339(Timestamp t) {
  std::time_t secs = static_cast<std::time_t>(t / 1000);
  int ms = static_cast<int>(t % 1000);
  if (ms < 0) { ms += 1000; --secs; }
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return fmt::format("{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}.{:03d}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
}

}  // namespace wharf
