// Git providers (GitHub Apps and token hosts: GitLab, Bitbucket, Gitea, Azure DevOps): create,
// edit, verify against the host, and the signed webhook endpoint, which hands each verified push
// to the push handler Services wires to Deployments::DeployOnPush.
//
//   auto git = svc.git_providers().CreateGitProvider(p, in, ctx);
//   auto out = svc.git_providers().VerifyGitProvider(p, git->id, "acme/api", "main", ctx);
//
// Thread-safety: every method is safe to call concurrently; state lives in the store (and
// in members that synchronize themselves).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "services/core.h"
#include "services/integrations.h"

namespace wharf::services {

// A git provider body (services/git_providers.cc). `type` picks which fields apply:
// github_app {app_id, installation_id, private_key, webhook_secret, api_url?};
// gitlab | bitbucket | gitea | azure_devops {base_url?, username?, token, webhook_secret?,
// token_scope? (bitbucket: "workspace" | "repository"), repository? (the repository a Bitbucket
// repository access token belongs to)}.
struct GitProviderInput {
  std::optional<std::string> name, type, base_url, username, app_id, installation_id, api_url, token_scope, repository;
  std::optional<SecretBytes> token, private_key, webhook_secret;
};

// One webhook delivery as it arrived: the provider id from the URL, the headers, the raw body.
struct WebhookRequest {
  std::function<std::string(std::string_view lower_name)> header;
  std::string_view body;
};

struct WebhookOutcome {
  bool accepted = false;
  // accepted | missing_signature | bad_signature | no_secret | bad_payload; with `accepted` true
  // but no effect: replay (seen before) | stale (dated more than 3 days ago).
  std::string outcome;
  std::string event;    // push, ping, …
  std::string message;  // for the sender, on a rejection
};

// A push the git host told Wharf about (after the signature was verified).
struct GitPush {
  std::string org_id, provider_id, repository, branch, sha;
  Timestamp at = 0;
};

class GitProviders : public Feature {
 public:
  GitProviders(Core& core, Integrations& integrations);
  // Where verified pushes go (Services wires Deployments::DeployOnPush); answers how many
  // deployments were queued. Set once, before requests are served.
  void SetPushHandler(std::function<int(const GitPush&)> fn) { push_handler_ = std::move(fn); }

  Result<domain::Integration> CreateGitProvider(const authz::Principal& p, GitProviderInput in, const RequestContext& ctx);
  Result<domain::Integration> UpdateGitProvider(const authz::Principal& p, std::string_view id, GitProviderInput in,
                                                const RequestContext& ctx);
  // Verify {repository?, branch?}: token hosts run the host's token API (GitLab) and `git
  // ls-remote`; GitHub Apps mint a JWT and an installation token and read the allow-list.
  // Records verified/last_error (and expires_at where the host tells it).
  Result<CheckOutcome> VerifyGitProvider(const authz::Principal& p, std::string_view id, std::optional<std::string> repository,
                                         std::optional<std::string> branch, const RequestContext& ctx);
  // The same checks on an unsaved body (gitProviders.create); nothing is written.
  Result<CheckOutcome> TestGitProvider(const authz::Principal& p, GitProviderInput in, std::optional<std::string> repository,
                                       std::optional<std::string> branch, const RequestContext& ctx);
  // POST /api/v1/webhooks/git/{provider_id} (unauthenticated: the signature is the credential).
  // Verifies the signature over the raw body, records the delivery (time, event, outcome, and
  // the rejected count) on the provider, and hands a push to OnGitPush. kNotFound for an unknown id.
  Result<WebhookOutcome> ReceiveGitWebhook(std::string_view provider_id, const WebhookRequest& req, const RequestContext& ctx);
  // The push-to-deploy entry point: called once per verified push delivery (a branch, not a tag).
  // Today it records the push on the provider (`last_push`) and logs it; services that follow
  // the branch will be deployed from here (issue 5).
  void OnGitPush(const GitPush& push);
  // 400 for a malformed repository/branch; otherwise the report (expires_at set where the host says).
  Result<CheckOutcome> RunGitProviderChecks(const domain::Integration& row, const SecretBytes& credential,
                                            const std::optional<std::string>& repository,
                                            const std::optional<std::string>& branch,
                                            integrations::GithubTokenCache& cache, Timestamp* expires_at);

 private:
  // Git providers: validate a body into a row (+ the secrets to seal), and run the checks.
  // Validates `in` onto `row` (the secrets too, which the caller seals); sets the dedupe key and
  // the credential's label.
  Status ApplyGitProviderInput(const GitProviderInput& in, domain::Integration& row, bool creating, std::string& label);
  void RecordGitDelivery(const domain::Integration& row, const WebhookOutcome& out, const std::string& delivery_id);
  // "accepted" for a first delivery (its keys are now remembered), "replay" when its delivery id
  // or body was accepted before, "stale" when `sent` (0 = undated) is older than the window.
  // Prunes the deliveries past the retention in the same transaction.
  Result<std::string> CheckDeliveryReplay(const std::string& provider_id, const std::string& delivery_id,
                                          std::string_view raw_body, Timestamp sent);
  Integrations& integrations_;
  std::function<int(const GitPush&)> push_handler_;
};

}  // namespace wharf::services
