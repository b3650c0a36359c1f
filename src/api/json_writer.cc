#include "api/json_writer.h"

#include <cstdio>
#include <cstring>
#include <ctime>

namespace wharf::api {

namespace {
// True when any of the 8 bytes is < 0x20, '"' or '\\' (SWAR; see "Bit Twiddling Hacks").
inline bool NeedsEscape8(uint64_t v) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL, kHigh = 0x8080808080808080ULL;
  auto has_zero = [](uint64_t x) { return (x - kOnes) & ~x & kHigh; };
  const uint64_t below20 = (v - kOnes * 0x20) & ~v & kHigh;
  return below20 | has_zero(v ^ (kOnes * '"')) | has_zero(v ^ (kOnes * '\\'));
}
}  // namespace

void JsonWriter::Quoted(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out_.push_back('"');
  size_t run = 0;
  size_t i = 0;
  while (i < s.size()) {
    if (i + 8 <= s.size()) {
      uint64_t v;
      std::memcpy(&v, s.data() + i, 8);
      if (!NeedsEscape8(v)) {
        i += 8;
        continue;
      }
    }
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') {
      ++i;
      continue;
    }
    out_.append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"': out_ += "\\\""; break;
      case '\\': out_ += "\\\\"; break;
      case '\n': out_ += "\\n"; break;
      case '\r': out_ += "\\r"; break;
      case '\t': out_ += "\\t"; break;
      default:
        out_ += "\\u00";
        out_.push_back(kHex[c >> 4]);
        out_.push_back(kHex[c & 15]);
    }
    ++i;
  }
  out_.append(s.data() + run, s.size() - run);
  out_.push_back('"');
}

void JsonWriter::Time(Timestamp t) {
  Sep();
  // "YYYY-MM-DDTHH:MM:SS" is cached per second per thread; only milliseconds change.
  thread_local int64_t cached_secs = -1;
  thread_local char cached[64];
  const int64_t secs = t / 1000;
  const int ms = static_cast<int>(t % 1000);
  if (secs != cached_secs) {
    std::time_t tt = static_cast<std::time_t>(secs);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    std::snprintf(cached, sizeof cached, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    cached_secs = secs;
  }
  char buf[27] = {'"'};
  std::memcpy(buf + 1, cached, 19);
  buf[20] = '.';
  buf[21] = static_cast<char>('0' + ms / 100);
  buf[22] = static_cast<char>('0' + ms / 10 % 10);
  buf[23] = static_cast<char>('0' + ms % 10);
  buf[24] = 'Z';
  buf[25] = '"';
  out_.append(buf, 26);
}

}  // namespace wharf::api
