#include "api/sse.h"

namespace wharf::api {

std::string SseEvent(std::string_view event, std::string_view data) {
  std::string out;
  out.reserve(event.size() + data.size() + 16);
  out += "event: ";
  for (char c : event)
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
        c == '-')
      out.push_back(c);
  out += "\ndata: ";
  for (size_t i = 0; i < data.size(); ++i) {
    const char c = data[i];
    if (c == '\r' || c == '\n') {
      if (c == '\r' && i + 1 < data.size() && data[i + 1] == '\n') ++i;  // CRLF is one line end
      out += "\ndata: ";
    } else {
      out.push_back(c);
    }
  }
  out += "\n\n";
  return out;
}

}  // namespace wharf::api
