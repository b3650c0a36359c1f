// The {{ }} variable template parser: an accepted template prints back (FormatTemplate) to text
// that parses to the same segments.
#include <cstdint>

#include "domain/variables.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace wharf::domain;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto t = ParseTemplate(in, "variables.X");
  if (!t) return 0;
  std::string text = FormatTemplate(*t);
  auto again = ParseTemplate(text, "variables.X");
  WHARF_FUZZ_CHECK(again.has_value());
  WHARF_FUZZ_CHECK(FormatTemplate(*again) == text);
  WHARF_FUZZ_CHECK(again->secret_count == t->secret_count && again->ref_count == t->ref_count);
  return 0;
}
