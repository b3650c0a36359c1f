// The SSE writer, checked against a reader that follows the HTML standard's event-stream parsing:
// whatever the data holds, the stream carries exactly one event, of the given type, whose data
// is the input with CR and CRLF turned into LF.
#include <cstdint>
#include <string>

#include "api/sse.h"
#include "fuzz_util.h"

namespace {

struct Event {
  std::string type, data;
  int count = 0;
  int other_fields = 0;
};

Event Read(std::string_view s) {
  Event e;
  std::string type, data;
  bool has_data = false;
  size_t i = 0;
  while (i < s.size()) {
    size_t end = i;
    while (end < s.size() && s[end] != '\r' && s[end] != '\n') ++end;
    std::string_view line = s.substr(i, end - i);
    if (end < s.size() && s[end] == '\r' && end + 1 < s.size() && s[end + 1] == '\n') ++end;
    i = end + 1;
    if (line.empty()) {
      if (has_data) {
        ++e.count;
        e.type = type;
        e.data = data.substr(0, data.size() - 1);
      }
      type.clear();
      data.clear();
      has_data = false;
      continue;
    }
    size_t colon = line.find(':');
    std::string_view name = line.substr(0, colon);
    std::string_view value = colon == std::string_view::npos ? std::string_view() : line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    if (name == "event") {
      type = value;
    } else if (name == "data") {
      data += std::string(value) + "\n";
      has_data = true;
    } else {
      ++e.other_fields;
    }
  }
  return e;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  wharf::fuzz::Fields f(data, size);
  std::string_view type = f.Field(0), body = f.Field(1);
  std::string out = wharf::api::SseEvent(type, body);
  Event e = Read(out);
  std::string want;
  for (size_t i = 0; i < body.size(); ++i) {
    if (body[i] == '\r') {
      if (i + 1 < body.size() && body[i + 1] == '\n') ++i;
      want.push_back('\n');
    } else {
      want.push_back(body[i]);
    }
  }
  std::string want_type;
  for (char c : type)
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-')
      want_type.push_back(c);
  WHARF_FUZZ_CHECK(e.count == 1);
  WHARF_FUZZ_CHECK(e.other_fields == 0);
  WHARF_FUZZ_CHECK(e.type == want_type);
  WHARF_FUZZ_CHECK(e.data == want);
  return 0;
}
