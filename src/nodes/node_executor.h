// How the control plane reaches a worker node: an open session runs argv vectors (waited for,
// streamed, or with piped stdin/stdout), and the node checks run against a target. Services only
// see these interfaces (injected through services::Deps), so a use case can be unit-tested with
// a fake (services/testing/fake_nodes.h); SshNodeExecutor is the real one over libssh, wired in
// src/server/main.cc.
//
//   nodes::SshNodeExecutor ssh;
//   nodes::ConnectFailure why;
//   WHARF_ASSIGN_OR_RETURN(auto session, ssh.Open(target, opts, &why, &fingerprint));
//   WHARF_ASSIGN_OR_RETURN(auto out, session->Run({"dokku", "apps:list"}));
//
// Thread-safety: an executor is shared by every thread; a Session (and its CommandStream) is
// used by one thread at a time.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "nodes/checks.h"
#include "nodes/ssh.h"
#include "nodes/tls_probe.h"

namespace wharf::nodes {

// A command with streamed stdin/stdout (see nodes::ExecStream).
class CommandStream {
 public:
  virtual ~CommandStream() = default;
  virtual Result<size_t> Read(char* buf, size_t cap) = 0;
  virtual Status Write(std::string_view data) = 0;
  virtual Result<int> Finish() = 0;
  virtual std::string ErrorTail() const = 0;
};

// One signed-in connection to a node (see nodes::Connection for each call's contract).
class Session {
 public:
  virtual ~Session() = default;
  virtual Result<CommandResult> Run(const std::vector<std::string>& argv, std::string_view stdin_data = {}) = 0;
  virtual Result<int> Stream(const std::vector<std::string>& argv, const std::function<void(std::string_view)>& on_output,
                             std::chrono::milliseconds timeout, const std::function<bool()>& should_stop = nullptr,
                             std::string_view stdin_data = {}) = 0;
  virtual Result<std::unique_ptr<CommandStream>> Start(const std::vector<std::string>& argv,
                                                       std::chrono::milliseconds idle_timeout) = 0;
  virtual const std::string& address() const = 0;
  virtual const std::string& local_address() const = 0;
};

class NodeExecutor {
 public:
  virtual ~NodeExecutor() = default;
  // Connects and signs in (nodes::Connection::Open): on failure `*failure` names the reason;
  // `host_key_fingerprint` receives the node's key even when authentication fails.
  virtual Result<std::unique_ptr<Session>> Open(const Target& t, const ConnectOptions& o, ConnectFailure* failure,
                                                std::string* host_key_fingerprint) = 0;
  // The named checks of nodes::RunChecks.
  virtual CheckReport RunChecks(const Target& t, const CheckOptions& o) = 0;
  // The certificate the node serves on host:port for `server_name` (nodes::ReadServedCertificate).
  virtual Result<ServedCertificate> ReadServedCertificate(std::string_view host, int port, std::string_view server_name,
                                                          const ConnectOptions& o) = 0;
};

// The real executor: libssh connections (nodes::Connection) and nodes::RunChecks.
class SshNodeExecutor final : public NodeExecutor {
 public:
  Result<std::unique_ptr<Session>> Open(const Target& t, const ConnectOptions& o, ConnectFailure* failure,
                                        std::string* host_key_fingerprint) override;
  CheckReport RunChecks(const Target& t, const CheckOptions& o) override;
  Result<ServedCertificate> ReadServedCertificate(std::string_view host, int port, std::string_view server_name,
                                                  const ConnectOptions& o) override;
};

}  // namespace wharf::nodes
