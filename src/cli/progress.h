// A one-line "still working" indicator on stderr while a request takes a while (server checks,
// verify, downloads …), for people at a terminal. Nothing is drawn for a request that answers
// within `delay`, and the line is erased before the request's result is printed:
//
//   {
//     ProgressLine p(STDERR_FILENO, "server check: waiting for 127.0.0.1:8080", ProgressStyleFor(STDERR_FILENO));
//     reply = Fetch(call);
//   }  // the line is gone here
//
// Off a terminal (pipes, CI logs) ProgressStyleFor answers kNone and nothing is ever written.
// With NO_COLOR the line is plain text redrawn once a second, with no escape sequence.
// Thread-safe with respect to its own drawing thread; one per request.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

namespace wharf::cli {

enum class ProgressStyle {
  kNone,   // not a terminal, or TERM=dumb: draw nothing
  kPlain,  // a terminal with NO_COLOR: text only, erased with spaces
  kFancy,  // a terminal: a spinner, erased with ESC[K
};

ProgressStyle ProgressStyleFor(int fd);

// One frame of the line (exposed for tests): "⠙ LABEL… 3s" (fancy) or "LABEL… 3s" (plain).
std::string ProgressFrame(const std::string& label, ProgressStyle style, int tick, int seconds);

class ProgressLine {
 public:
  ProgressLine(int fd, std::string label, ProgressStyle style,
               std::chrono::milliseconds delay = std::chrono::milliseconds(400));
  ~ProgressLine();
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

 private:
  void Loop();
  void Write(const std::string& s);

  int fd_;
  std::string label_;
  ProgressStyle style_;
  std::chrono::milliseconds delay_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace wharf::cli
