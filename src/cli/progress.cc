#include "cli/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <string_view>

namespace wharf::cli {

ProgressStyle ProgressStyleFor(int fd) {
  if (isatty(fd) != 1) return ProgressStyle::kNone;
  const char* term = std::getenv("TERM");
  if (term && std::string_view(term) == "dumb") return ProgressStyle::kNone;
  const char* no_color = std::getenv("NO_COLOR");
  if (no_color && *no_color) return ProgressStyle::kPlain;
  return ProgressStyle::kFancy;
}

std::string ProgressFrame(const std::string& label, ProgressStyle style, int tick, int seconds) {
  static const char* kSpinner[] = {"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"};
  std::string text = label + "… " + std::to_string(seconds) + "s";
  if (style == ProgressStyle::kFancy) return std::string(kSpinner[tick % 10]) + " " + text;
  return text;
}

ProgressLine::ProgressLine(int fd, std::string label, ProgressStyle style, std::chrono::milliseconds delay)
    : fd_(fd), label_(std::move(label)), style_(style), delay_(delay) {
  if (style_ != ProgressStyle::kNone) thread_ = std::thread([this] { Loop(); });
}

ProgressLine::~ProgressLine() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void ProgressLine::Write(const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = ::write(fd_, s.data() + off, s.size() - off);
    if (n <= 0) return;  // a closed or full terminal: the indicator is not worth an error
    off += static_cast<size_t>(n);
  }
}

void ProgressLine::Loop() {
  const auto start = std::chrono::steady_clock::now();
  std::unique_lock<std::mutex> l(mu_);
  if (cv_.wait_for(l, delay_, [this] { return stop_; })) return;  // answered quickly: nothing drawn
  const bool fancy = style_ == ProgressStyle::kFancy;
  const auto period = std::chrono::milliseconds(fancy ? 120 : 1000);
  size_t drawn = 0;
  for (int tick = 0;; ++tick) {
    const int secs = static_cast<int>(
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - start).count());
    std::string frame = ProgressFrame(label_, style_, tick, secs);
    if (fancy) {
      Write("\r\x1b[K" + frame);
    } else {
      // Plain: overwrite the previous frame with spaces where it was longer; no escape sequences.
      std::string pad = drawn > frame.size() ? std::string(drawn - frame.size(), ' ') : "";
      Write("\r" + frame + pad);
    }
    drawn = std::max(drawn, frame.size());
    if (cv_.wait_for(l, period, [this] { return stop_; })) break;
  }
  Write(fancy ? std::string("\r\x1b[K") : "\r" + std::string(drawn, ' ') + "\r");
}

}  // namespace wharf::cli
