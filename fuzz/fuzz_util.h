// Helpers shared by the fuzz targets: split one input into several fields, and a check that
// aborts (so libFuzzer records the input) when a property the code promises does not hold.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace wharf::fuzz {

// Splits the input at '\x01' bytes: Field(0), Field(1), … ("" past the end).
class Fields {
 public:
  Fields(const uint8_t* data, size_t size) : all_(reinterpret_cast<const char*>(data), size) {}
  std::string_view Field(size_t i) const {
    std::string_view s = all_;
    for (; i > 0; --i) {
      size_t p = s.find('\x01');
      if (p == std::string_view::npos) return {};
      s.remove_prefix(p + 1);
    }
    return s.substr(0, s.find('\x01'));
  }
  std::string_view all() const { return all_; }

 private:
  std::string_view all_;
};

#define WHARF_FUZZ_CHECK(cond)                                                    \
  do {                                                                            \
    if (!(cond)) {                                                                \
      std::fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                               \
    }                                                                             \
  } while (0)

}  // namespace wharf::fuzz
