// The outcome of one integration verify, shared by every kind (registries now; git providers,
// cloud accounts and backup storage later): named checks in order, as API.md's check results.
//
//   integrations::Report r;
//   r.Add("challenge", "passed", "Registry v2 at ghcr.io asks for Bearer auth");
//   r.Fail("auth", "registry", "The registry refused the username or token", "Create a new token…");
//   r.ok();  // false
//
// Messages never contain a secret (callers pass only hosts, names and statuses). Plain values.
#pragma once

#include <string>
#include <vector>

namespace wharf::integrations {

struct Check {
  std::string name;
  std::string status;  // "passed" | "failed" | "skipped"
  std::string message;
  std::string layer;   // API.md layer when failed: "registry", "network", ...
  std::string fix;
};

struct Report {
  std::vector<Check> checks;
  void Add(std::string name, std::string status, std::string message) {
    checks.push_back({std::move(name), std::move(status), std::move(message), {}, {}});
  }
  void Fail(std::string name, std::string layer, std::string message, std::string fix) {
    checks.push_back({std::move(name), "failed", std::move(message), std::move(layer), std::move(fix)});
  }
  bool ok() const {
    if (checks.empty()) return false;
    for (const auto& c : checks)
      if (c.status == "failed") return false;
    return true;
  }
  const Check* FirstFailure() const {
    for (const auto& c : checks)
      if (c.status == "failed") return &c;
    return nullptr;
  }
};

}  // namespace wharf::integrations
