// Image references: an accepted reference prints to a string that parses back to itself.
#include <cstdint>

#include "domain/image_ref.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace wharf::domain;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto r = ParseImageRef(in, "image");
  if (r) {
    auto again = ParseImageRef(r->String(), "image");
    WHARF_FUZZ_CHECK(again && again->String() == r->String());
    WHARF_FUZZ_CHECK(again->domain == r->domain && again->path == r->path && again->tag == r->tag &&
                     again->digest == r->digest);
  }
  (void)NormalizeRegistryHost(in);
  (void)ValidateRegistryHost(in, "host");
  return 0;
}
