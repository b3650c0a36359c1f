#include "base/clock.h"

#include <sys/random.h>

#include <cerrno>
#include <cstdlib>
#include <ctime>

#include <fmt/format.h>

namespace wharf {

namespace {
constexpr char kBase32[] = "abcdefghijklmnopqrstuvwxyz234567";
}

// Ids come from the kernel's CSPRNG (getrandom(2)), not a seeded PRNG: unpredictable from earlier
// ids, and distinct in the two processes of a fork().
std::string RandomIdGenerator::New(std::string_view prefix) {
  // The kernel's CSPRNG, read afresh for every id: nothing to predict from earlier ids, no state
  // a fork() would copy into two processes. getrandom(2) on a 16-byte request never returns short
  // once the pool is initialised, and only EINTR can interrupt it.
  unsigned char raw[16];
  size_t got = 0;
  while (got < sizeof raw) {
    ssize_t n = getrandom(raw + got, sizeof raw - got, 0);
    if (n > 0) got += static_cast<size_t>(n);
    else if (errno != EINTR) std::abort();  // no kernel randomness: refuse to make guessable ids
  }
  std::string out(prefix);
  out.push_back('_');
  // 20 base32 characters = 100 bits: 60 from the first eight bytes, 40 from the last eight.
  uint64_t a = 0, b = 0;
  for (int i = 0; i < 8; ++i) {
    a = (a << 8) | raw[i];
    b = (b << 8) | raw[8 + i];
  }
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
