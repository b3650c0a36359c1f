// GitHub App: the app JWT, installation tokens (cached), the installation's repository allow-list,
// branch checks, and webhook signatures.
//
//   integrations::GithubApp app{.api_url = "https://api.github.com", .app_id = "12345",
//                               .installation_id = "678", .private_key = &pem};
//   integrations::GithubResult r = integrations::VerifyGithubApp(app, cache, "git_abc", now_ms, "acme/api", "main");
//   // checks: private_key, installation, installation_token, repositories, repository, branch
//
// The JWT is RS256 (OpenSSL), iss = app id, iat backdated 60 s, exp 9 minutes ahead (GitHub allows
// at most 10). It is exchanged at POST {api_url}/app/installations/{id}/access_tokens; the token
// is cached per integration (keyed by a hash of the credential, so an edited key mints anew) until
// 5 minutes before it expires, and minted again when GitHub answers 401 for it. Tokens, JWTs
// and the key never appear in a message. Failures map to layer `github_app` (wrong key or app id,
// installation missing or suspended, repository outside the allow-list, missing branch) or
// `network`. Thread-safe: the cache locks itself; the functions are independent.
#pragma once

#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/clock.h"
#include "base/error.h"
#include "base/secret_bytes.h"
#include "integrations/check.h"

namespace wharf::integrations {

// Parses the PEM (PKCS#1 "RSA PRIVATE KEY" or PKCS#8 "PRIVATE KEY", unencrypted RSA). The error
// names `field` and says what is wrong, never the key.
Status ValidateGithubPrivateKey(const SecretBytes& pem, std::string_view field);
// header.payload.signature (base64url), as GitHub expects for "Authorization: Bearer".
Result<SecretBytes> MintGithubAppJwt(std::string_view app_id, const SecretBytes& pem, int64_t now_seconds);

// "owner/repo", or a github URL of it ("https://github.com/owner/repo(.git)"), → "owner/repo".
Result<std::string> ParseGithubRepository(std::string_view in, std::string_view field);

struct InstallationToken {
  SecretBytes token;
  Timestamp expires_at = 0;  // ms
};

class GithubTokenCache {
 public:
  static constexpr int64_t kMarginMs = 5 * 60 * 1000;  // re-mint this long before expiry
  // The cached token of integration `id` if it was minted for `credential_key` and is valid for
  // more than kMarginMs after `now`.
  std::optional<InstallationToken> Get(const std::string& id, const std::string& credential_key, Timestamp now);
  void Put(const std::string& id, const std::string& credential_key, const InstallationToken& t);
  void Drop(const std::string& id);

 private:
  struct Entry {
    std::string key;
    InstallationToken token;
  };
  std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;
};

struct GithubApp {
  std::string api_url = "https://api.github.com";
  std::string app_id;
  std::string installation_id;
  const SecretBytes* private_key = nullptr;
  int timeout_ms = 15000;
  int connect_timeout_ms = 5000;
  std::function<bool(std::string_view ip)> address_allowed;
};

struct GithubResult {
  Report report;
  std::string account;            // the installation's account login
  std::string selection;          // "all" | "selected"
  std::vector<std::string> repositories;  // full names of the allow-list
  std::string branch_sha;
  int token_exchanges = 0;        // how many installation tokens were minted by this call
  bool cached_token = false;
};

// `repository` ("owner/repo") and `branch` may be empty (then those checks are left out).
GithubResult VerifyGithubApp(const GithubApp& app, GithubTokenCache& cache, const std::string& cache_id, Timestamp now_ms,
                             std::string_view repository, std::string_view branch);

// The installation token a deployment hands to git (`git:auth HOST x-access-token TOKEN`) for
// `repository` ("owner/repo"): the cached one while it is valid for more than kMarginMs, else a
// new one. It runs VerifyGithubApp without the branch check (a deploy may build a tag), so the
// token is proven against GitHub (GET /installation/repositories; a 401 for a cached token mints
// a new one) and the repository is on the installation's allow-list. Errors: kConflict with the
// failed check's message, layer `github_app` (installation missing or suspended, wrong key,
// repository outside the allow-list) or `network`, and details {"check", "fix"}. The token is
// never part of an error.
Result<InstallationToken> GithubInstallationToken(const GithubApp& app, GithubTokenCache& cache, const std::string& cache_id,
                                                  Timestamp now_ms, std::string_view repository);

// Where git reaches the App's repositories: "github.com" for https://api.github.com, else the
// GitHub Enterprise host of api_url (https://HOST[:PORT]/api/v3 → HOST[:PORT]).
std::string GithubGitHost(std::string_view api_url);
// https://{GithubGitHost}/{owner/repo}.git
std::string GithubCloneUrl(std::string_view api_url, std::string_view owner_repo);

// Webhook signatures. `scheme` is the provider kind: github_app (X-Hub-Signature-256:
// sha256=<hex HMAC-SHA256 of the raw body>), bitbucket (X-Hub-Signature: the same), gitea
// (X-Gitea-Signature: <hex>), gitlab (X-Gitlab-Token: the secret itself), azure_devops (Basic
// auth whose password is the secret). Comparisons are constant-time.
struct WebhookHeaders {
  std::function<std::string(std::string_view lower_name)> get;
};
struct WebhookVerdict {
  std::string outcome;  // "accepted" | "missing_signature" | "bad_signature"
  std::string header;   // the header that was checked
  std::string message;  // for the sender (no secret, no expected value)
};
WebhookVerdict VerifyWebhookSignature(std::string_view scheme, const WebhookHeaders& h, std::string_view raw_body,
                                      const SecretBytes& secret);
std::string WebhookEventName(std::string_view scheme, const WebhookHeaders& h);  // "push", "ping", …

}  // namespace wharf::integrations
