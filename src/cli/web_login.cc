// wharf login --web (web_login.h).
#include "cli/web_login.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "base/strings.h"
#include "cli/api_client.h"

extern char** environ;

namespace wharf::cli {

namespace {

std::string RandomUrlToken() {
  unsigned char b[32];
  if (RAND_bytes(b, sizeof b) != 1) return {};
  return Base64UrlEncode(std::string_view(reinterpret_cast<const char*>(b), sizeof b));
}

std::string S256(const std::string& verifier) {
  unsigned char d[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(verifier.data()), verifier.size(), d);
  return Base64UrlEncode(std::string_view(reinterpret_cast<const char*>(d), sizeof d));
}

std::string QueryEscape(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string QueryUnescape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += s[i] == '+' ? ' ' : s[i];
    }
  }
  return out;
}

std::string QueryParam(std::string_view query, std::string_view name) {
  for (auto kv : Split(query, '&')) {
    auto eq = kv.find('=');
    if (eq != std::string_view::npos && kv.substr(0, eq) == name) return QueryUnescape(kv.substr(eq + 1));
  }
  return {};
}

// Opens `url` with $BROWSER (a shell command; the URL is its last argument) or xdg-open, without
// waiting for it. Failing to open is not an error: the URL is printed too.
void OpenBrowser(const std::string& url) {
  const char* b = std::getenv("BROWSER");
  std::string cmd = b && *b ? std::string(b) + " \"$1\"" : std::string("xdg-open \"$1\"");
  cmd += " >/dev/null 2>&1 &";
  const char* argv[] = {"sh", "-c", cmd.c_str(), "sh", url.c_str(), nullptr};
  pid_t pid = 0;
  if (posix_spawn(&pid, "/bin/sh", nullptr, nullptr, const_cast<char**>(argv), environ) == 0) waitpid(pid, nullptr, 0);
}

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

void Answer(int fd, int status, const std::string& text) {
  const std::string body = "<!doctype html><meta charset=utf-8><title>Wharf</title><p>" + text + "</p>\n";
  const std::string head = "HTTP/1.1 " + std::to_string(status) + (status == 200 ? " OK" : " Bad Request") +
                           "\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: " +
                           std::to_string(body.size()) + "\r\nConnection: close\r\nCache-Control: no-store\r\n\r\n";
  const std::string all = head + body;
  (void)!::send(fd, all.data(), all.size(), MSG_NOSIGNAL);
}

}  // namespace

Result<std::string> WebLogin(const std::string& url, std::ostream& err, const WebLoginOptions& opts) {
  Fd listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (listener.get() < 0) return Err(ErrorCode::kInternal, "Could not open a loopback socket for the browser's answer.");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (::bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listener.get(), 8) != 0 ||
      ::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    return Err(ErrorCode::kInternal, "Could not listen on 127.0.0.1 for the browser's answer.");
  const std::string redirect = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/callback";
  const std::string state = RandomUrlToken(), verifier = RandomUrlToken();
  if (state.empty() || verifier.empty()) return Err(ErrorCode::kInternal, "No randomness for the sign-in.");
  const std::string open = url + "/cli-login?redirect_uri=" + QueryEscape(redirect) + "&state=" + state +
                           "&code_challenge=" + S256(verifier) + "&code_challenge_method=S256";
  err << "Open this page to sign in (it should open by itself):\n  " << open << "\nWaiting for the browser…\n";
  err.flush();
  OpenBrowser(open);

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(opts.timeout_seconds);
  std::string code;
  while (code.empty()) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      return Err(ErrorCode::kUnauthenticated, "No answer from the browser within " +
                                                  std::to_string(opts.timeout_seconds) + " seconds; run `wharf login --web` again.");
    pollfd p{listener.get(), POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(std::min<int64_t>(left.count(), 1000))) <= 0) continue;
    Fd conn(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (conn.get() < 0) continue;
    timeval tv{5, 0};
    ::setsockopt(conn.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    std::string req;
    char buf[2048];
    while (req.find("\r\n") == std::string::npos && req.size() < 8192) {
      ssize_t n = ::recv(conn.get(), buf, sizeof buf, 0);
      if (n <= 0) break;
      req.append(buf, static_cast<size_t>(n));
    }
    // "GET /callback?code=…&state=… HTTP/1.1"
    const std::string line = req.substr(0, req.find("\r\n"));
    const auto sp1 = line.find(' '), sp2 = line.rfind(' ');
    if (line.rfind("GET ", 0) != 0 || sp1 == sp2) {
      Answer(conn.get(), 400, "Not a sign-in answer.");
      continue;
    }
    const std::string target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    const auto q = target.find('?');
    if (target.substr(0, q) != "/callback") {
      Answer(conn.get(), 400, "Not a sign-in answer.");
      continue;
    }
    const std::string query = q == std::string::npos ? "" : target.substr(q + 1);
    if (!ConstantTimeEquals(QueryParam(query, "state"), state)) {
      // Another page (or a stale tab) cannot complete this sign-in.
      Answer(conn.get(), 400, "This answer does not belong to the sign-in the command is waiting for.");
      continue;
    }
    code = QueryParam(query, "code");
    if (code.empty()) {
      Answer(conn.get(), 400, "The sign-in was not authorised. You can close this tab.");
      return Err(ErrorCode::kUnauthenticated, "The browser came back without a sign-in code.");
    }
    Answer(conn.get(), 200, "Signed in: you can close this tab and go back to the terminal.");
  }
  ApiClient anon(url, "");
  nlohmann::json body = {{"code", code}, {"code_verifier", verifier}, {"redirect_uri", redirect}};
  auto r = anon.Post("/api/v1/auth/cli/token", body);
  if (!r) return Err(r.error());
  std::string token = r->value("token", "");
  if (token.empty()) return Err(ErrorCode::kInternal, "The server's answer has no token; is this a Wharf server?");
  return token;
}

}  // namespace wharf::cli
