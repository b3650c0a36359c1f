#include "cli/prompt.h"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cctype>
#include <cstring>

#include "cli/command.h"

namespace wharf::cli {

namespace {

// The terminal state to restore if a signal arrives while echo is off.
int g_tty_fd = -1;
struct termios g_saved;
volatile sig_atomic_t g_echo_off = 0;

void RestoreOnSignal(int sig) {
  if (g_echo_off) tcsetattr(g_tty_fd, TCSANOW, &g_saved);
  signal(sig, SIG_DFL);
  raise(sig);
}

// Reads one line (without the newline) from `f`, byte by byte into `out`. False at end of input.
bool ReadLine(std::FILE* f, std::string& out) {
  int c;
  bool any = false;
  while ((c = std::fgetc(f)) != EOF) {
    any = true;
    if (c == '\n') break;
    out.push_back(static_cast<char>(c));
  }
  if (!out.empty() && out.back() == '\r') out.pop_back();
  return any;
}

struct Tty {
  std::FILE* f = nullptr;
  ~Tty() {
    if (f) std::fclose(f);
  }
};

void OpenTty(Tty& t) {
  int fd = ::open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (fd >= 0) t.f = fdopen(fd, "r+");
}

}  // namespace

Result<std::string> PromptLine(const std::string& prompt) {
  Tty tty;
  OpenTty(tty);
  std::FILE* in = tty.f ? tty.f : stdin;
  std::FILE* out = tty.f ? tty.f : stderr;
  std::fputs(prompt.c_str(), out);
  std::fflush(out);
  std::string line;
  if (!ReadLine(in, line) || line.empty()) return FieldError("email", "is required; nothing was entered");
  return line;
}

Result<bool> Confirm(const std::string& question, const std::string& yes_flag) {
  if (!isatty(STDIN_FILENO))
    return UsageError("This asks for confirmation and stdin is not a terminal; pass " + yes_flag + " to go ahead.");
  Tty tty;
  OpenTty(tty);
  std::FILE* in = tty.f ? tty.f : stdin;
  std::FILE* out = tty.f ? tty.f : stderr;
  std::fputs((question + " [y/N] ").c_str(), out);
  std::fflush(out);
  std::string line;
  ReadLine(in, line);
  for (char& c : line) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return line == "y" || line == "yes";
}

Result<SecretBytes> PromptPassword(const std::string& prompt) {
  Tty tty;
  OpenTty(tty);
  if (!tty.f) {
    std::fputs(prompt.c_str(), stderr);
    std::fflush(stderr);
    return ReadSecretLine(stdin);
  }
  int fd = fileno(tty.f);
  struct termios old{};
  bool have_termios = tcgetattr(fd, &old) == 0;
  if (have_termios) {
    struct termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO | ECHOE | ECHOK | ECHONL);
    quiet.c_lflag |= ICANON;
    g_tty_fd = fd;
    g_saved = old;
    struct sigaction sa{}, old_int{}, old_term{};
    sa.sa_handler = RestoreOnSignal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    // Echo goes off before the prompt appears: whatever is typed after the prompt is never shown,
    // and the flush (of input typed before the prompt) cannot swallow the answer.
    tcsetattr(fd, TCSAFLUSH, &quiet);
    g_echo_off = 1;
    std::fputs(prompt.c_str(), tty.f);
    std::fflush(tty.f);
    auto pw = ReadSecretLine(tty.f);
    tcsetattr(fd, TCSANOW, &old);
    g_echo_off = 0;
    sigaction(SIGINT, &old_int, nullptr);
    sigaction(SIGTERM, &old_term, nullptr);
    std::fputs("\n", tty.f);  // the user's Enter was not echoed
    std::fflush(tty.f);
    return pw;
  }
  std::fputs(prompt.c_str(), tty.f);
  std::fflush(tty.f);
  return ReadSecretLine(tty.f);
}

Result<SecretBytes> ReadSecretLine(std::FILE* in) {
  std::string line;
  line.reserve(1024);  // no reallocation leaves copies of the password behind
  bool got = ReadLine(in, line);
  SecretBytes pw = SecretBytes::FromString(line);
  std::fill(line.begin(), line.end(), '\0');
  if (!got || pw.empty()) return FieldError("password", "is required; nothing was entered");
  return pw;
}

}  // namespace wharf::cli
