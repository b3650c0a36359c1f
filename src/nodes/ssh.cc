#include "nodes/ssh.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libssh/libssh.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <mutex>

#include "base/address.h"
#include "base/strings.h"

namespace wharf::nodes {

std::string Quote(std::string_view arg) {
  std::string out = "'";
  for (char c : arg) {
    if (c == '\'') out += "'\\''";
    else out.push_back(c);
  }
  out.push_back('\'');
  return out;
}

std::string CommandLine(const std::vector<std::string>& argv) {
  std::string line;
  for (const auto& a : argv) {
    if (!line.empty()) line.push_back(' ');
    line += Quote(a);
  }
  return line;
}

bool IsIpLiteral(std::string_view host) { return wharf::IsIpLiteral(host); }

bool IsPrivateAddress(std::string_view ip) { return IsSpecialPurposeAddress(ip); }

namespace {

std::once_flag g_init;

tl::unexpected<Error> Fail(ConnectFailure* f, ConnectFailure why, std::string msg) {
  *f = why;
  return Err(ErrorCode::kValidationFailed, std::move(msg), why == ConnectFailure::kAuthFailed ||
                                                               why == ConnectFailure::kHostKeyChanged
                                                           ? Layer::kSsh
                                                           : Layer::kNetwork);
}

// Resolves the host once, checks every address it resolves to (the private-target guard) before
// any connection, then connects a TCP socket to the first checked address that answers, within
// the timeout. The socket goes to libssh as is: no second lookup that DNS could answer differently.
Result<int> TcpConnect(const Target& t, const ConnectOptions& o, ConnectFailure* failure, std::string* address) {
  std::string port = std::to_string(t.port);
  auto checked = ResolveChecked(t.host, port, o.allow_private_targets ? AddressFilter() : PublicOnly());
  if (!checked) {
    if (checked.error().code == ErrorCode::kValidationFailed)
      return Fail(failure, ConnectFailure::kPrivateTarget, checked.error().message);
    return Fail(failure, ConnectFailure::kHostUnresolved,
                "The host name '" + t.host + "' does not resolve from the control plane.");
  }
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
  ConnectFailure last = ConnectFailure::kRefused;
  std::string last_msg;
  for (const std::string& ip : *checked) {
    addrinfo* res = nullptr;
    if (getaddrinfo(ip.c_str(), port.c_str(), &hints, &res) != 0 || !res) continue;
    std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> guard(res, freeaddrinfo);
    addrinfo* ai = res;
    const char* buf = ip.c_str();
    *address = ip;
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) continue;
    int r = connect(fd, ai->ai_addr, ai->ai_addrlen);
    if (r != 0 && errno != EINPROGRESS) {
      int e = errno;
      close(fd);
      last = e == ECONNREFUSED ? ConnectFailure::kRefused : ConnectFailure::kUnreachable;
      last_msg = std::string(buf) + ":" + port + ": " + strerror(e);
      continue;
    }
    if (r != 0) {
      pollfd p{fd, POLLOUT, 0};
      int pr = poll(&p, 1, static_cast<int>(o.connect_timeout.count()));
      if (pr <= 0) {
        close(fd);
        last = ConnectFailure::kTimeout;
        last_msg = std::string(buf) + ":" + port + ": no answer within " + std::to_string(o.connect_timeout.count()) + " ms";
        continue;
      }
      int err = 0;
      socklen_t len = sizeof err;
      getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err != 0) {
        close(fd);
        last = err == ECONNREFUSED ? ConnectFailure::kRefused
               : err == ETIMEDOUT  ? ConnectFailure::kTimeout
                                   : ConnectFailure::kUnreachable;
        last_msg = std::string(buf) + ":" + port + ": " + strerror(err);
        continue;
      }
    }
    int flags = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    // SSH sends small packets (channel open, exec, EOF); without NODELAY each waits for the peer's
    // delayed ACK (~40 ms per command).
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
  }
  return Fail(failure, last, last_msg);
}

std::string HostKeyFingerprint(ssh_session s) {
  ssh_key key = nullptr;
  if (ssh_get_server_publickey(s, &key) != SSH_OK) return {};
  unsigned char* hash = nullptr;
  size_t len = 0;
  std::string out;
  if (ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &len) == SSH_OK) {
    std::string b64 = Base64Encode(std::string_view(reinterpret_cast<const char*>(hash), len));
    while (!b64.empty() && b64.back() == '=') b64.pop_back();
    out = "SHA256:" + b64;
    ssh_clean_pubkey_hash(&hash);
  }
  ssh_key_free(key);
  return out;
}

// Reads a channel's stdout and stderr until EOF, passing each chunk to `sink(is_stderr, data)`.
// Waits on stdout with poll (woken by data or EOF, not by a fixed tick), and drains stderr as it
// arrives.
// With `should_stop`, asks it every Connection::kStopPollMs and answers Stopped() once it says so.
tl::unexpected<Error> Stopped() {
  Error e;
  e.code = ErrorCode::kConflict;
  e.message = "the command was stopped on request";
  e.details["stopped"] = true;
  return tl::unexpected(std::move(e));
}

Status Pump(ssh_channel ch, std::chrono::milliseconds timeout, const std::function<void(int, std::string_view)>& sink,
            const std::function<bool()>& should_stop = nullptr) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  auto next_stop_check = std::chrono::steady_clock::now() + std::chrono::milliseconds(Connection::kStopPollMs);
  char buf[16384];
  auto drain = [&](int is_err) -> Status {
    while (true) {
      int avail = ssh_channel_poll(ch, is_err);
      if (avail == SSH_ERROR) return Err(ErrorCode::kUnavailable, "the SSH connection broke while the command ran", Layer::kSsh);
      if (avail <= 0) return Ok();
      int n = ssh_channel_read_nonblocking(ch, buf, sizeof buf, is_err);
      if (n == SSH_ERROR) return Err(ErrorCode::kUnavailable, "the SSH connection broke while the command ran", Layer::kSsh);
      if (n <= 0) return Ok();
      sink(is_err, std::string_view(buf, static_cast<size_t>(n)));
    }
  };
  while (true) {
    int n = ssh_channel_poll_timeout(ch, 25, 0);
    if (n == SSH_ERROR) return Err(ErrorCode::kUnavailable, "the SSH connection broke while the command ran", Layer::kSsh);
    if (n > 0) WHARF_TRY(drain(0));
    WHARF_TRY(drain(1));
    if (n == SSH_EOF || ssh_channel_is_closed(ch)) {
      WHARF_TRY(drain(0));
      return drain(1);
    }
    if (should_stop && std::chrono::steady_clock::now() >= next_stop_check) {
      next_stop_check = std::chrono::steady_clock::now() + std::chrono::milliseconds(Connection::kStopPollMs);
      if (should_stop()) {
        // sshd sends the signal to the command's process group (it is a session leader), so the
        // children it started stop too; closing the channel hangs up whatever ignores TERM.
        ssh_channel_request_send_signal(ch, "TERM");
        return Stopped();  // the caller's channel handle closes the channel
      }
    }
    if (std::chrono::steady_clock::now() > deadline)
      return Err(ErrorCode::kUnavailable,
                 "the command did not finish within " + std::to_string(timeout.count() / 1000) + " s", Layer::kSsh);
  }
}

}  // namespace

Result<int> ConnectTcp(const Target& t, const ConnectOptions& o, ConnectFailure* failure, std::string* address) {
  return TcpConnect(t, o, failure, address);
}

struct Connection::Impl {
  ssh_session session = nullptr;
  ~Impl() {
    if (session) {
      ssh_disconnect(session);
      ssh_free(session);
    }
  }
};

Connection::~Connection() = default;

Result<std::unique_ptr<Connection>> Connection::Open(const Target& t, const ConnectOptions& o, ConnectFailure* failure,
                                                     std::string* host_key_fingerprint) {
  std::call_once(g_init, [] { ssh_init(); });
  *failure = ConnectFailure::kNone;
  std::unique_ptr<Connection> c(new Connection());
  c->impl_ = std::make_unique<Impl>();
  c->command_timeout_ = o.command_timeout;
  WHARF_ASSIGN_OR_RETURN(int fd, TcpConnect(t, o, failure, &c->address_));
  {
    sockaddr_storage local{};
    socklen_t len = sizeof local;
    char buf[INET6_ADDRSTRLEN] = {};
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len) == 0) {
      if (local.ss_family == AF_INET) inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&local)->sin_addr, buf, sizeof buf);
      else inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(&local)->sin6_addr, buf, sizeof buf);
      c->local_address_ = buf;
    }
  }
  ssh_session s = ssh_new();
  if (!s) {
    close(fd);
    return Err(ErrorCode::kInternal, "out of memory");
  }
  c->impl_->session = s;
  long timeout_s = std::max<long>(1, static_cast<long>(o.connect_timeout.count() / 1000));
  int port = t.port;
  int no = 0;
  // The checked address the socket is connected to, not the name: libssh never looks it up again.
  ssh_options_set(s, SSH_OPTIONS_HOST, c->address_.c_str());
  ssh_options_set(s, SSH_OPTIONS_PORT, &port);
  ssh_options_set(s, SSH_OPTIONS_USER, t.username.c_str());
  ssh_options_set(s, SSH_OPTIONS_FD, &fd);
  ssh_options_set(s, SSH_OPTIONS_TIMEOUT, &timeout_s);
  ssh_options_set(s, SSH_OPTIONS_PROCESS_CONFIG, &no);
  ssh_options_set(s, SSH_OPTIONS_KNOWNHOSTS, "/dev/null");
  ssh_options_set(s, SSH_OPTIONS_GLOBAL_KNOWNHOSTS, "/dev/null");
  ssh_options_set(s, SSH_OPTIONS_STRICTHOSTKEYCHECK, &no);
  if (ssh_connect(s) != SSH_OK)
    return Fail(failure, ConnectFailure::kHandshake,
                c->address_ + ":" + std::to_string(t.port) + " accepted the connection but the SSH handshake failed (" +
                    ssh_get_error(s) + ").");
  std::string fp = HostKeyFingerprint(s);
  if (host_key_fingerprint) *host_key_fingerprint = fp;
  if (!t.pinned_host_key.empty() && fp != t.pinned_host_key)
    return Fail(failure, ConnectFailure::kHostKeyChanged,
                "The server's host key is " + fp + " but Wharf pinned " + t.pinned_host_key + ".");
  ssh_key key = nullptr;
  std::string pem(t.private_key.view());
  int rc = ssh_pki_import_privkey_base64(pem.c_str(), nullptr, nullptr, nullptr, &key);
  std::fill(pem.begin(), pem.end(), '\0');
  if (rc != SSH_OK) return Fail(failure, ConnectFailure::kAuthFailed, "The attached SSH key's private half cannot be read.");
  rc = ssh_userauth_publickey(s, nullptr, key);
  ssh_key_free(key);
  if (rc != SSH_AUTH_SUCCESS)
    return Fail(failure, ConnectFailure::kAuthFailed,
                "The server refused the key for user '" + t.username + "' (publickey authentication failed).");
  return c;
}

Result<Connection::Channel> Connection::Exec(const std::vector<std::string>& argv) {
  ssh_session s = impl_->session;
  ssh_channel ch = ssh_channel_new(s);
  if (!ch) return Err(ErrorCode::kUnavailable, "cannot open an SSH channel", Layer::kSsh);
  Channel guard(ch, [](ssh_channel c) {
    ssh_channel_close(c);
    ssh_channel_free(c);
  });
  if (ssh_channel_open_session(ch) != SSH_OK)
    return Err(ErrorCode::kUnavailable, std::string("cannot open an SSH session channel: ") + ssh_get_error(s), Layer::kSsh);
  std::string line = CommandLine(argv);
  if (ssh_channel_request_exec(ch, line.c_str()) != SSH_OK)
    return Err(ErrorCode::kUnavailable, std::string("the server refused to run the command: ") + ssh_get_error(s), Layer::kSsh);
  return guard;
}

Result<int> Connection::Stream(const std::vector<std::string>& argv,
                               const std::function<void(std::string_view)>& on_output, std::chrono::milliseconds timeout,
                               const std::function<bool()>& should_stop, std::string_view stdin_data) {
  WHARF_ASSIGN_OR_RETURN(Channel guard, Exec(argv));
  ssh_channel ch = guard.get();
  if (!stdin_data.empty()) {
    if (ssh_channel_write(ch, stdin_data.data(), static_cast<uint32_t>(stdin_data.size())) == SSH_ERROR)
      return Err(ErrorCode::kUnavailable, "the SSH connection broke while sending the command its input", Layer::kSsh);
    ssh_channel_send_eof(ch);
  }
  WHARF_TRY(Pump(ch, timeout, [&](int, std::string_view data) { on_output(data); }, should_stop));
  return ssh_channel_get_exit_status(ch);
}

Result<CommandResult> Connection::Run(const std::vector<std::string>& argv, std::string_view stdin_data) {
  WHARF_ASSIGN_OR_RETURN(Channel guard, Exec(argv));
  ssh_channel ch = guard.get();
  if (!stdin_data.empty()) ssh_channel_write(ch, stdin_data.data(), static_cast<uint32_t>(stdin_data.size()));
  ssh_channel_send_eof(ch);
  CommandResult r;
  WHARF_TRY(Pump(ch, command_timeout_, [&](int is_err, std::string_view data) { (is_err ? r.err : r.out).append(data); }));
  r.exit_status = ssh_channel_get_exit_status(ch);
  return r;
}

// --- streamed commands ---

namespace {
constexpr size_t kTailBytes = 4096;
void KeepTail(std::string& tail, std::string_view data) {
  if (data.size() >= kTailBytes) {
    tail.assign(data.substr(data.size() - kTailBytes));
    return;
  }
  tail.append(data);
  if (tail.size() > kTailBytes) tail.erase(0, tail.size() - kTailBytes);
}
tl::unexpected<Error> Broken() {
  return Err(ErrorCode::kUnavailable, "the SSH connection broke while the command ran", Layer::kSsh);
}
}  // namespace

struct ExecStream::Impl {
  ssh_channel ch = nullptr;
  std::chrono::milliseconds idle{60000};
  std::string err_tail, out_tail;
  bool stdin_closed = false;
  ~Impl() {
    if (ch) {
      ssh_channel_close(ch);
      ssh_channel_free(ch);
    }
  }
  // Reads whatever is pending on stream `is_err` without waiting, keeping only a tail.
  Status Drain(int is_err) {
    char buf[16384];
    while (true) {
      int avail = ssh_channel_poll(ch, is_err);
      if (avail == SSH_ERROR) return Broken();
      if (avail <= 0) return Ok();
      int n = ssh_channel_read_nonblocking(ch, buf, sizeof buf, is_err);
      if (n == SSH_ERROR) return Broken();
      if (n <= 0) return Ok();
      KeepTail(is_err ? err_tail : out_tail, std::string_view(buf, static_cast<size_t>(n)));
    }
  }
  tl::unexpected<Error> Idle() const {
    return Err(ErrorCode::kUnavailable,
               "the node sent nothing for " + std::to_string(idle.count() / 1000) + " s while the command ran", Layer::kSsh);
  }
};

ExecStream::~ExecStream() = default;

Result<size_t> ExecStream::Read(char* buf, size_t cap) {
  auto deadline = std::chrono::steady_clock::now() + impl_->idle;
  uint32_t want = static_cast<uint32_t>(std::min<size_t>(cap, 1 << 20));
  while (true) {
    WHARF_TRY(impl_->Drain(1));
    int n = ssh_channel_read_timeout(impl_->ch, buf, want, 0, 200);
    if (n == SSH_ERROR) return Broken();
    if (n > 0) return static_cast<size_t>(n);
    if (ssh_channel_is_eof(impl_->ch) || ssh_channel_is_closed(impl_->ch)) {
      WHARF_TRY(impl_->Drain(1));
      return size_t{0};
    }
    if (std::chrono::steady_clock::now() > deadline) return impl_->Idle();
  }
}

Status ExecStream::Write(std::string_view data) {
  auto deadline = std::chrono::steady_clock::now() + impl_->idle;
  while (!data.empty()) {
    WHARF_TRY(impl_->Drain(0));
    WHARF_TRY(impl_->Drain(1));
    if (ssh_channel_is_closed(impl_->ch) || ssh_channel_is_eof(impl_->ch))
      return Err(ErrorCode::kUnavailable, "the command on the node stopped reading its input", Layer::kSsh);
    uint32_t window = ssh_channel_window_size(impl_->ch);
    if (window == 0) {
      // The node has not consumed what it got yet: wait for it (reading its output meanwhile).
      int r = ssh_channel_poll_timeout(impl_->ch, 50, 0);
      if (r == SSH_ERROR) return Broken();
      if (std::chrono::steady_clock::now() > deadline) return impl_->Idle();
      continue;
    }
    uint32_t n = static_cast<uint32_t>(std::min<size_t>({data.size(), window, 32768}));
    int w = ssh_channel_write(impl_->ch, data.data(), n);
    if (w == SSH_ERROR) return Broken();
    if (w > 0) {
      data.remove_prefix(static_cast<size_t>(w));
      deadline = std::chrono::steady_clock::now() + impl_->idle;
    }
  }
  return Ok();
}

Result<int> ExecStream::Finish() {
  if (!impl_->stdin_closed) {
    ssh_channel_send_eof(impl_->ch);
    impl_->stdin_closed = true;
  }
  WHARF_TRY(Pump(impl_->ch, impl_->idle,
                 [&](int is_err, std::string_view d) { KeepTail(is_err ? impl_->err_tail : impl_->out_tail, d); }));
  return ssh_channel_get_exit_status(impl_->ch);
}

std::string ExecStream::ErrorTail() const {
  std::string t = impl_->err_tail;
  if (t.empty()) t = impl_->out_tail;
  while (!t.empty() && (t.back() == '\n' || t.back() == ' ')) t.pop_back();
  return t;
}

Result<std::unique_ptr<ExecStream>> Connection::Start(const std::vector<std::string>& argv,
                                                      std::chrono::milliseconds idle_timeout) {
  WHARF_ASSIGN_OR_RETURN(Channel guard, Exec(argv));
  std::unique_ptr<ExecStream> s(new ExecStream());
  s->impl_ = std::make_unique<ExecStream::Impl>();
  s->impl_->ch = guard.release();
  s->impl_->idle = idle_timeout;
  return s;
}

}  // namespace wharf::nodes
