// Git token hosts (GitLab, Bitbucket, Gitea, Azure DevOps): clone URL formats, and the verify
// that runs the real `git ls-remote` over HTTPS with the credential.
//
//   auto url = integrations::ParseCloneUrl("gitlab", "https://gitlab.com", "https://gitlab.com/acme/api.git", "repository");
//   integrations::GitProbe probe{.url = url->url, .branch = "main", .username = "oauth2", .token = &token};
//   integrations::Report r = integrations::VerifyClone(probe).report;   // checks: ls_remote, branch
//
// The credential never reaches argv, a URL, the environment of any other process, or a message:
// git gets it as an `Authorization: Basic` http.extraHeader through GIT_CONFIG_COUNT/KEY/VALUE in
// the environment of the one git process (spawned with posix_spawn, no shell, fresh environment,
// no system/global config, no credential helpers, no prompts, no redirects, HTTPS only), which is
// killed at the timeout. git's own messages are reduced to their `fatal:` line with the token
// scrubbed. Failures map to layer `git_token` (401 → wrong, revoked or expired token; 403 → the
// token lacks the host's read scope; 404 → wrong URL format/path or no access) or `network`.
// Thread-safe (each call spawns its own process).
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/secret_bytes.h"
#include "integrations/check.h"

namespace wharf::integrations {

// The token-host kinds and what their tokens and URLs look like.
struct TokenHostInfo {
  const char* kind;              // "gitlab"
  const char* title;             // "GitLab"
  const char* default_base_url;  // "https://gitlab.com" ("" = must be given)
  const char* default_username;  // used when no username is given ("" = required)
  const char* read_scope;        // what the token needs to clone: "read_repository"
  const char* url_format;        // the HTTPS clone URL shape, for messages
};
const TokenHostInfo* FindTokenHost(std::string_view kind);  // nullptr for other kinds (github_app)

// Validates and normalises a base URL: https://host[:port][/path], no credentials, query or
// fragment; the trailing '/' dropped.
Result<std::string> ValidateBaseUrl(std::string_view url, std::string_view field);

struct CloneUrl {
  std::string url;         // normalised HTTPS clone URL
  std::string host;        // host[:port]
  std::string repository;  // the repository's path on the host, without ".git": "group/sub/api"
};
// `repository` is a full HTTPS clone URL, or a path ("group/sub/api") joined to base_url. The
// error names `field` and the host's format; web-page URLs (GitLab "/-/tree/…", Bitbucket
// "/src/…"), SSH URLs, "user@" and tokens in the URL are refused with the fix.
Result<CloneUrl> ParseCloneUrl(const TokenHostInfo& host, std::string_view base_url, std::string_view repository,
                               std::string_view field);

struct GitProbe {
  const TokenHostInfo* host = nullptr;
  std::string url;  // normalised clone URL
  std::string branch;  // empty = only reach the repository
  std::string username;
  const SecretBytes* token = nullptr;
  std::string ca_file;  // GIT_SSL_CAINFO when non-empty (the --extra-ca-file bundle)
  int timeout_ms = 20000;
  // The private-target guard: every address the host resolves to must pass; git is then pinned
  // to the checked address (http.curloptResolve) so DNS cannot change it in between.
  std::function<bool(std::string_view ip)> address_allowed;
};

struct GitResult {
  Report report;
  std::vector<std::string> branches;  // refs/heads/* names the host listed
  std::string head_sha;               // the branch's commit, when found
};

GitResult VerifyClone(const GitProbe& probe);

// GitLab's token self-inspection: GET {base}/api/v4/personal_access_tokens/self.
struct TokenInfo {
  bool reached = false;      // the API answered (200 or 401); false = not available here
  bool valid = false;
  std::vector<std::string> scopes;
  int64_t expires_at_ms = 0; // 0 = no expiry given
  std::string name;
  std::string message;       // why not valid / not reached
};
TokenInfo ReadGitlabToken(std::string_view base_url, const SecretBytes& token, int timeout_ms,
                          const std::function<bool(std::string_view ip)>& address_allowed);

}  // namespace wharf::integrations
