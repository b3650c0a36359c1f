#include "cli/sse.h"

namespace wharf::cli {

void SseParser::Feed(std::string_view chunk, const Sink& sink) {
  for (char c : chunk) {
    if (last_was_cr_) {
      last_was_cr_ = false;
      if (c == '\n') continue;  // the LF of a CRLF split across chunks (or not)
    }
    if (c == '\r' || c == '\n') {
      last_was_cr_ = c == '\r';
      std::string line = std::move(pending_);
      pending_.clear();
      Line(line, sink);
    } else {
      pending_.push_back(c);
    }
  }
}

void SseParser::Line(std::string_view line, const Sink& sink) {
  if (line.empty()) {
    if (has_data_) sink(current_);
    current_ = SseEvent{};
    has_data_ = false;
    return;
  }
  if (line.front() == ':') return;  // comment / keep-alive
  std::string_view field = line, value;
  if (auto colon = line.find(':'); colon != std::string_view::npos) {
    field = line.substr(0, colon);
    value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }
  if (field == "event") {
    current_.event = value.empty() ? "message" : std::string(value);
  } else if (field == "data") {
    if (has_data_) current_.data.push_back('\n');
    current_.data.append(value);
    has_data_ = true;
  } else if (field == "id") {
    current_.id = std::string(value);
  }  // "retry" and unknown fields are ignored
}

}  // namespace wharf::cli
