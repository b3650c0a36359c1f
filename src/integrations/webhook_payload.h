// What a git host's push delivery says, read from its raw body (after the signature was checked
// by VerifyWebhookSignature). The body is parsed with base/json.h's limits; a field the body lacks
// or holds with another type stays empty, and nothing here throws, whatever the sender wrote.
//
//   WHARF_ASSIGN_OR_RETURN(integrations::WebhookPush p, integrations::ParseWebhookPush("gitlab", body));
//   if (StartsWith(p.ref, "refs/heads/")) Deploy(p.repository, p.ref.substr(11), p.sha);
//
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "base/error.h"

namespace wharf::integrations {

struct WebhookPush {
  std::string azure_event;  // azure_devops only: "push" for eventType git.push, else its eventType
  std::string ref;          // "refs/heads/main"
  std::string sha;          // the commit pushed
  std::string repository;   // "owner/repo" (GitLab's path_with_namespace; Azure's repository name)
};

// `scheme` is the provider kind (github_app, gitlab, gitea, bitbucket, azure_devops). Errors
// (field "body"): kValidationFailed when the body is not a JSON object or breaks a parse limit,
// kPayloadTooLarge over the size or value-count limit.
Result<WebhookPush> ParseWebhookPush(std::string_view scheme, std::string_view raw_body);

}  // namespace wharf::integrations
