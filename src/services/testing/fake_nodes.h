// A NodeExecutor for use-case tests without a node: every Open answers a session whose commands
// are answered from a table (argv joined by spaces → result), and RunChecks answers a canned
// report. Calls are recorded so a test can assert what would have run on the node.
//
//   services::testing::FakeNodes nodes;
//   nodes.report = services::testing::FakeNodes::Healthy("SHA256:abc");
//   nodes.answers["dokku version"] = {0, "dokku version 0.35.20\n", ""};
//   services::Services svc({store, envelope, mailer, clock, ids, cache, nodes}, config);
//
// Thread-safety: safe to use from the job workers and the test thread at once (one mutex).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "nodes/node_executor.h"

namespace wharf::services::testing {

class FakeNodes final : public nodes::NodeExecutor {
 public:
  // A report where every check passed, presenting `fingerprint` as the host key.
  static nodes::CheckReport Healthy(std::string fingerprint) {
    nodes::CheckReport r;
    r.ok = true;
    for (const char* n : {"dns", "tcp", "host_key", "ssh_auth", "sudo", "os", "disk", "docker", "dokku"})
      r.checks.push_back({n, "passed", "", "ok", "", ""});
    r.host_key_fingerprint = std::move(fingerprint);
    r.os = "debian 12";
    r.dokku_version = "0.35.20";
    r.disk_free_mb = 50000;
    r.source_address = "127.0.0.1";
    return r;
  }
  // A report whose tcp check failed (connection refused) and the rest were skipped.
  static nodes::CheckReport Refused() {
    nodes::CheckReport r;
    r.checks.push_back({"dns", "passed", "", "ok", "", ""});
    r.checks.push_back({"tcp", "failed", "connection_refused", "Connection refused", "network",
                        "Start sshd on the node or open the port."});
    return r;
  }

  nodes::CheckReport report = Healthy("SHA256:fake");
  std::map<std::string, nodes::CommandResult> answers;  // "dokku version" → result; others: exit 0
  bool refuse = false;                                  // Open fails with kRefused
  // What ReadServedCertificate answers per SNI name; a name not listed: connection refused.
  std::map<std::string, Result<nodes::ServedCertificate>> certificates;

  // Each command run on any session (argv joined by spaces), and each target checked.
  std::vector<std::string> commands() {
    std::lock_guard lock(mu_);
    return commands_;
  }
  std::vector<std::string> checked_hosts() {
    std::lock_guard lock(mu_);
    return checked_;
  }

  Result<std::unique_ptr<nodes::Session>> Open(const nodes::Target& t, const nodes::ConnectOptions&,
                                               nodes::ConnectFailure* failure, std::string* fp) override {
    if (refuse) {
      if (failure) *failure = nodes::ConnectFailure::kRefused;
      return Err(ErrorCode::kUnavailable, "Connection refused by " + t.host + ".", Layer::kNetwork);
    }
    if (fp) *fp = report.host_key_fingerprint;
    return std::unique_ptr<nodes::Session>(std::make_unique<FakeSession>(*this, t.host));
  }
  nodes::CheckReport RunChecks(const nodes::Target& t, const nodes::CheckOptions&) override {
    std::lock_guard lock(mu_);
    checked_.push_back(t.host);
    return report;
  }
  Result<nodes::ServedCertificate> ReadServedCertificate(std::string_view host, int port, std::string_view name,
                                                         const nodes::ConnectOptions&) override {
    std::lock_guard lock(mu_);
    probed_.push_back(std::string(name));
    if (auto it = certificates.find(std::string(name)); it != certificates.end()) return it->second;
    auto e = Err(ErrorCode::kValidationFailed,
                 "HTTPS connection failed: " + std::string(host) + ":" + std::to_string(port) + ": Connection refused",
                 Layer::kNetwork);
    e.value().details["stage"] = "connect";
    return e;
  }
  // Each SNI name ReadServedCertificate was asked for.
  std::vector<std::string> probed_names() {
    std::lock_guard lock(mu_);
    return probed_;
  }

 private:
  class FakeSession final : public nodes::Session {
   public:
    FakeSession(FakeNodes& n, std::string host) : n_(n), address_(std::move(host)) {}
    Result<nodes::CommandResult> Run(const std::vector<std::string>& argv, std::string_view) override {
      return n_.Answer(argv);
    }
    Result<int> Stream(const std::vector<std::string>& argv, const std::function<void(std::string_view)>& on_output,
                       std::chrono::milliseconds, const std::function<bool()>&, std::string_view) override {
      auto r = n_.Answer(argv);
      if (on_output && !r.out.empty()) on_output(r.out);
      return r.exit_status;
    }
    Result<std::unique_ptr<nodes::CommandStream>> Start(const std::vector<std::string>&,
                                                        std::chrono::milliseconds) override {
      return Err(ErrorCode::kUnavailable, "The fake node does not stream commands.");
    }
    const std::string& address() const override { return address_; }
    const std::string& local_address() const override { return local_; }

   private:
    FakeNodes& n_;
    std::string address_;
    std::string local_ = "127.0.0.1";
  };

  nodes::CommandResult Answer(const std::vector<std::string>& argv) {
    std::string line;
    for (auto& a : argv) line += (line.empty() ? "" : " ") + a;
    std::lock_guard lock(mu_);
    commands_.push_back(line);
    if (auto it = answers.find(line); it != answers.end()) return it->second;
    return {0, "", ""};
  }

  std::mutex mu_;
  std::vector<std::string> commands_;  // GUARDED_BY(mu_)
  std::vector<std::string> checked_;   // GUARDED_BY(mu_)
  std::vector<std::string> probed_;    // GUARDED_BY(mu_)
};

}  // namespace wharf::services::testing
