// SSH to worker nodes with libssh: a TCP connect we classify ourselves (refused, timeout,
// unreachable, private target), the host key compared with the pinned one (TOFU), public-key
// authentication, and commands given as argv vectors.
//
//   nodes::Target t{.host = "10.0.0.5", .port = 22, .username = "deploy", .private_key = key.Clone(),
//                   .pinned_host_key = row.host_key_fingerprint};
//   WHARF_ASSIGN_OR_RETURN(auto conn, nodes::Connection::Open(t, opts, &failure));
//   WHARF_ASSIGN_OR_RETURN(auto out, conn->Run({"dokku", "config:set", "--no-restart", app, kv}));
//
// No string a user controls is ever pasted into a shell line: `Quote` is the only function that
// turns an argument into shell text, and `Run` quotes every argument with it.
//
// Thread-safety: a Connection is used by one thread at a time; distinct Connections are independent.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/secret_bytes.h"

struct ssh_channel_struct;  // libssh's channel; only ssh.cc sees its definition

namespace wharf::nodes {

struct Target {
  std::string host;
  int port = 22;
  std::string username;
  SecretBytes private_key;      // OpenSSH PEM
  std::string pinned_host_key;  // "SHA256:…" or empty (trust on first use)
};

struct ConnectOptions {
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds command_timeout{15000};
  // false: every address the host resolves to must be outside the special-purpose table
  // (base/address.h) before anything connects.
  bool allow_private_targets = false;
};

// Why a connection could not be made; each maps to one named check result.
enum class ConnectFailure {
  kNone,
  kHostUnresolved,     // dns
  kPrivateTarget,      // tcp: SSRF guard
  kRefused,            // tcp
  kTimeout,            // tcp: dropped by a firewall or security group
  kUnreachable,        // tcp: no route
  kHandshake,          // tcp: something that is not an SSH server answered
  kHostKeyChanged,     // host_key
  kAuthFailed,         // ssh_auth
};

struct CommandResult {
  int exit_status = -1;
  std::string out, err;
};

// Quotes one argument for a POSIX shell: 'it'\''s' style, so nothing in it is ever evaluated.
std::string Quote(std::string_view arg);
// The shell line for an argv vector: each element quoted with Quote, joined by spaces.
std::string CommandLine(const std::vector<std::string>& argv);

// True for an address of the special-purpose table (base/address.h: loopback, private, CGNAT,
// link-local incl. 169.254.169.254, documentation, multicast, NAT64/6to4 of those, …) and for
// anything that is not a numeric address. `ip` is a numeric address.
bool IsPrivateAddress(std::string_view ip);
bool IsIpLiteral(std::string_view host);

// A blocking TCP socket to t.host:t.port (the caller closes it): the host is resolved once, every
// address it resolves to passes the private-target guard (unless o.allow_private_targets) before
// anything connects, and the first address that answers within o.connect_timeout is used. On
// failure `*failure` names why and the message names the address; `*address` is the one used.
Result<int> ConnectTcp(const Target& t, const ConnectOptions& o, ConnectFailure* failure, std::string* address);

class Connection;

// A command whose standard input and output are streamed (database dumps and restores): the
// caller pulls stdout with Read or pushes stdin with Write, a bounded buffer at a time, so a dump
// of any size never sits whole in memory. stderr is drained as it arrives and only its last
// 4 KiB are kept, for the error message. Owned by one thread; the Connection must outlive it.
class ExecStream {
 public:
  ~ExecStream();
  ExecStream(const ExecStream&) = delete;
  ExecStream& operator=(const ExecStream&) = delete;
  // Up to `cap` bytes of the command's stdout; 0 at its end. Fails when nothing arrives for the
  // idle timeout or the connection breaks.
  Result<size_t> Read(char* buf, size_t cap);
  // Writes all of `data` to the command's stdin, waiting while the node's window is full (its
  // stdout/stderr are drained meanwhile, keeping only a tail).
  Status Write(std::string_view data);
  // Closes stdin, waits for the command to end (up to the idle timeout) and answers its exit status.
  Result<int> Finish();
  // The last 4 KiB of stderr (and of stdout once Read is no longer called), for messages.
  std::string ErrorTail() const;

 private:
  friend class Connection;
  ExecStream() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

class Connection {
 public:
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Connects and authenticates. On failure `*failure` names the reason and the error message
  // explains it. `host_key_fingerprint` receives the server's key even when auth fails.
  static Result<std::unique_ptr<Connection>> Open(const Target& t, const ConnectOptions& o, ConnectFailure* failure,
                                                  std::string* host_key_fingerprint);

  // Runs argv on the node and waits for it (up to the command timeout). `stdin_data` is written
  // to the command's standard input when given.
  Result<CommandResult> Run(const std::vector<std::string>& argv, std::string_view stdin_data = {});
  // Runs argv and calls `on_output` with each chunk of stdout/stderr as it arrives.
  // `should_stop`, when given, is asked about every kStopPollMs while the command runs; once it
  // answers true the remote command's process group is sent SIGTERM (an SSH "signal" request;
  // sshd delivers it with killpg), the channel is closed, and Stream answers kConflict with
  // details {"stopped": true} without waiting for the command.
  // `stdin_data`, when given, is written to the command's standard input (then EOF) before the
  // output is pumped, so a step that reads a secret from stdin (registry:login) streams and can be
  // stopped like any other.
  static constexpr int kStopPollMs = 200;
  Result<int> Stream(const std::vector<std::string>& argv, const std::function<void(std::string_view)>& on_output,
                     std::chrono::milliseconds timeout, const std::function<bool()>& should_stop = nullptr,
                     std::string_view stdin_data = {});

  // Starts argv with streamed stdin/stdout (see ExecStream). `idle_timeout` bounds each wait for
  // the node (not the whole transfer, which may take long for a large dump).
  Result<std::unique_ptr<ExecStream>> Start(const std::vector<std::string>& argv, std::chrono::milliseconds idle_timeout);

  const std::string& address() const { return address_; }
  // The control plane's own address on this connection, as the server sees it (barring NAT).
  const std::string& local_address() const { return local_address_; }

 private:
  Connection() = default;
  // An exec channel running argv (quoted), closed and freed when the handle goes.
  using Channel = std::unique_ptr<::ssh_channel_struct, void (*)(::ssh_channel_struct*)>;
  Result<Channel> Exec(const std::vector<std::string>& argv);
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string address_;
  std::string local_address_;
  std::chrono::milliseconds command_timeout_{15000};
};

}  // namespace wharf::nodes
