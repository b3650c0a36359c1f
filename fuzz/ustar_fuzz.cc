// The ustar writer: every header it writes has a valid checksum, the name and size read back as
// given, and the archive stays 512-byte aligned.
#include <cstdint>
#include <cstring>
#include <string>

#include "base/ustar.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  wharf::fuzz::Fields f(data, size);
  std::string_view name = f.Field(0), body = f.Field(1), when = f.Field(2);
  int64_t mtime = 0;
  if (!when.empty()) std::memcpy(&mtime, when.data(), std::min(when.size(), sizeof mtime));
  std::string tar;
  auto st = wharf::TarAdd(tar, name, body, mtime);
  if (!st) {
    WHARF_FUZZ_CHECK(tar.empty());
    return 0;
  }
  WHARF_FUZZ_CHECK(tar.size() % 512 == 0 && tar.size() >= 512 + body.size());
  const char* h = tar.data();
  unsigned sum = 0;
  for (int i = 0; i < 512; ++i) sum += (i >= 148 && i < 156) ? ' ' : static_cast<unsigned char>(h[i]);
  WHARF_FUZZ_CHECK(std::strtoul(std::string(h + 148, 7).c_str(), nullptr, 8) == sum);
  WHARF_FUZZ_CHECK(std::string(h, strnlen(h, 100)) == name);
  WHARF_FUZZ_CHECK(std::strtoull(std::string(h + 124, 11).c_str(), nullptr, 8) == body.size());
  WHARF_FUZZ_CHECK(std::string_view(tar).substr(512, body.size()) == body);
  return 0;
}
