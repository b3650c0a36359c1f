// Content-Type and Cookie headers: the media-type parser and the cookie reader.
#include <cstdint>

#include "api/body.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace wharf::api;
  wharf::fuzz::Fields f(data, size);
  auto m = ParseMediaType(f.Field(0));
  if (IsJsonMediaType(f.Field(0))) {
    WHARF_FUZZ_CHECK(m && m->type == "application" && m->subtype == "json");
  }
  if (m) {
    WHARF_FUZZ_CHECK(!m->type.empty() && !m->subtype.empty());
    // Re-assembled from its parts, the value parses to the same parts.
    std::string again = m->type + "/" + m->subtype;
    for (auto& [k, v] : m->params) {
      again += "; " + k + "=\"";
      for (char c : v) {
        if (c == '"' || c == '\\') again.push_back('\\');
        again.push_back(c);
      }
      again += "\"";
    }
    auto m2 = ParseMediaType(again);
    WHARF_FUZZ_CHECK(m2 && m2->type == m->type && m2->subtype == m->subtype && m2->params == m->params);
  }
  (void)CookieValue(f.Field(1), f.Field(2));
  return 0;
}
