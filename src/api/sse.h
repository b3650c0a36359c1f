// Server-Sent Events framing (the HTML standard's text/event-stream).
//
//   out += SseEvent("log", chunk);   // "event: log\ndata: line 1\ndata: line 2\n\n"
//
// The stream's reader ends a line at CR, LF or CRLF, so every one of them in `data` starts a new
// `data:` line here: nothing a build prints (a bare '\r' from a progress bar included) can begin
// a line of its own and so set another event, id or retry field, or end the event early. The
// reader joins the data lines with '\n', so a CR or CRLF arrives as '\n'. Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace wharf::api {

// One event. `event` is the event type; any character outside [A-Za-z0-9_.-] in it is dropped.
std::string SseEvent(std::string_view event, std::string_view data);

}  // namespace wharf::api
