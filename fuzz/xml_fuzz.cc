// The XML reader that reads S3 and AWS answers (a hostile endpoint can send anything).
#include <cstdint>

#include "integrations/xml.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace wharf::integrations;
  auto doc = ParseXml(std::string_view(reinterpret_cast<const char*>(data), size));
  if (doc) {
    (void)doc->Find("Code");
    (void)doc->Items("groupSet");
    (void)doc->ChildText("Key");
  }
  (void)XmlEscape(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
