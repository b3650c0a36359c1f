// Internal to services: what one deployment job carries between deployments.cc (loading, planning,
// running the steps) and deployment_releases.cc (image digests, rollback sources, the release it
// records and the watch after start).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/secret_bytes.h"
#include "domain/types.h"
#include "nodes/deploy_plan.h"

namespace wharf::services {

// Everything a deployment job needs, loaded in one read transaction.
struct DeploymentWork {
  domain::Deployment deployment;
  domain::AppService service;
  domain::Application application;
  domain::Server server;
  nodes::deploy::Service plan_input;
  std::vector<std::string> extra_secrets;
  std::vector<std::string> unset_keys;  // the removed keys this deploy unsets
  std::string commit_sha;
  // A GitHub App provider: its row, private key and "owner/repo"; the installation token is
  // minted outside the read transaction (MintGithubDeployToken) into plan_input.git.auth_token.
  std::optional<domain::Integration> github_provider;
  SecretBytes github_key;
  std::string github_repository;
  // Releases: the image as configured (a tag) and the digest the registry resolved for it; the
  // release a rollback redeploys; the commit the node reports it built (git).
  std::string image_configured;
  std::string image_digest;
  std::optional<domain::Release> rollback_release;
  std::string built_sha;
  int64_t recorded_version = 0;  // the release this deploy recorded
};


}  // namespace wharf::services
