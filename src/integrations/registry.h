// Registry v2 verification: does this credential pull this image?
//
//   integrations::RegistryProbe probe{.host = "ghcr.io", .repository = "owner/app", .reference = "v1",
//                                     .username = "alice", .password = &token};
//   integrations::RegistryResult r = integrations::VerifyPull(probe);
//
// The flow, as `docker pull` does it: `GET /v2/` (the challenge) → with `Basic`, the same request
// with the credential; with `Bearer realm=…,service=…`, a token from the realm for scope
// `repository:<name>:pull` → `HEAD /v2/<name>/manifests/<reference>` with the manifest media types
// Docker accepts. Each step is a check; the first failure ends the probe, and the rest are skipped.
// 401 → layer `registry` (wrong username or token, or expired); 403 → `registry` (no pull access);
// 404 → `registry` (repository or tag not found); no answer → `network`.
//
// Loopback registries are tried over HTTPS, then plain HTTP (Docker treats 127.0.0.0/8 as an
// insecure registry); every other host is HTTPS only. Redirects are not followed. No message
// contains the password or a token. Thread-safe (each call is independent).
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "base/secret_bytes.h"
#include "integrations/check.h"

namespace wharf::integrations {

struct RegistryProbe {
  std::string host;        // where the v2 API answers: "registry-1.docker.io", "127.0.0.1:5000"
  std::string repository;  // "library/nginx"
  std::string reference;   // a tag or "sha256:…"
  std::string username;
  const SecretBytes* password = nullptr;
  int connect_timeout_ms = 5000;
  int timeout_ms = 15000;
  std::function<bool(std::string_view ip)> address_allowed;  // the private-target guard; empty = all
};

struct RegistryResult {
  Report report;
  std::string auth;    // "basic", "bearer" or "none" (what the registry asked for)
  std::string digest;  // Docker-Content-Digest of the manifest, when it was found
};

RegistryResult VerifyPull(const RegistryProbe& probe);

// Parses a WWW-Authenticate challenge: scheme ("bearer", lower-cased) and its parameters.
struct Challenge {
  std::string scheme;
  std::vector<std::pair<std::string, std::string>> params;  // keys lower-cased
  std::string Param(std::string_view key) const;
};
Challenge ParseChallenge(std::string_view header);

}  // namespace wharf::integrations
