// Incremental parser for Server-Sent Events (the WHATWG event-stream format), as the job log
// endpoint sends them: bytes arrive in chunks that may split a line, a field or even a CRLF.
//
//   SseParser p;
//   p.Feed(chunk, [](const SseEvent& e) { if (e.event == "log") std::cout << e.data << "\n"; });
//
// An event is dispatched at a blank line. `data:` lines are joined with "\n"; a line starting with
// ':' is a comment (keep-alive); an event with no `event:` field is "message"; a block with no
// data line dispatches nothing. A single space after the colon is dropped. Lines end in LF, CRLF
// or CR. Not thread-safe; one per stream.
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace wharf::cli {

struct SseEvent {
  std::string event = "message";
  std::string data;
  std::string id;
};

class SseParser {
 public:
  using Sink = std::function<void(const SseEvent&)>;
  // Parses what can be parsed of `chunk` (plus what was left from earlier), calling `sink` once per
  // complete event, in order.
  void Feed(std::string_view chunk, const Sink& sink);

 private:
  void Line(std::string_view line, const Sink& sink);

  std::string pending_;        // an unfinished line
  bool last_was_cr_ = false;   // a CR ended the last chunk: a following LF belongs to it
  SseEvent current_;
  bool has_data_ = false;
};

}  // namespace wharf::cli
