#include "nodes/node_executor.h"

namespace wharf::nodes {

namespace {

class SshCommandStream final : public CommandStream {
 public:
  explicit SshCommandStream(std::unique_ptr<ExecStream> s) : s_(std::move(s)) {}
  Result<size_t> Read(char* buf, size_t cap) override { return s_->Read(buf, cap); }
  Status Write(std::string_view data) override { return s_->Write(data); }
  Result<int> Finish() override { return s_->Finish(); }
  std::string ErrorTail() const override { return s_->ErrorTail(); }

 private:
  std::unique_ptr<ExecStream> s_;
};

class SshSession final : public Session {
 public:
  explicit SshSession(std::unique_ptr<Connection> c) : c_(std::move(c)) {}
  Result<CommandResult> Run(const std::vector<std::string>& argv, std::string_view stdin_data) override {
    return c_->Run(argv, stdin_data);
  }
  Result<int> Stream(const std::vector<std::string>& argv, const std::function<void(std::string_view)>& on_output,
                     std::chrono::milliseconds timeout, const std::function<bool()>& should_stop,
                     std::string_view stdin_data) override {
    return c_->Stream(argv, on_output, timeout, should_stop, stdin_data);
  }
  Result<std::unique_ptr<CommandStream>> Start(const std::vector<std::string>& argv,
                                               std::chrono::milliseconds idle_timeout) override {
    WHARF_ASSIGN_OR_RETURN(auto s, c_->Start(argv, idle_timeout));
    return std::unique_ptr<CommandStream>(std::make_unique<SshCommandStream>(std::move(s)));
  }
  const std::string& address() const override { return c_->address(); }
  const std::string& local_address() const override { return c_->local_address(); }

 private:
  std::unique_ptr<Connection> c_;
};

}  // namespace

Result<std::unique_ptr<Session>> SshNodeExecutor::Open(const Target& t, const ConnectOptions& o, ConnectFailure* failure,
                                                       std::string* host_key_fingerprint) {
  WHARF_ASSIGN_OR_RETURN(auto c, Connection::Open(t, o, failure, host_key_fingerprint));
  return std::unique_ptr<Session>(std::make_unique<SshSession>(std::move(c)));
}

CheckReport SshNodeExecutor::RunChecks(const Target& t, const CheckOptions& o) { return nodes::RunChecks(t, o); }

Result<ServedCertificate> SshNodeExecutor::ReadServedCertificate(std::string_view host, int port,
                                                                 std::string_view server_name,
                                                                 const ConnectOptions& o) {
  return nodes::ReadServedCertificate(host, port, server_name, o);
}

}  // namespace wharf::nodes
