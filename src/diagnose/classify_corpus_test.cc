// The classifier against error text as the real tools print it: a table of strings taken from the
// tools' own sources and documentation, each with where it comes from and the layer it belongs to.
// Host names, account ids, request ids and repository names are placeholders; the wording is the
// tool's. Two AWS rows (marked "constructed") use botocore's real template with an error code S3
// does not send, to pin down that the operation, not the code, decides the layer.
//
// The test prints the accuracy (`ctest --test-dir build -R ClassifyCorpus -V` shows it) and
// requires every row to pass.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "diagnose/classify.h"

namespace wharf::diagnose {
namespace {

struct Row {
  const char* text;
  const char* layer;
};

// Sources, cited per group and per row:
//   [botocore]  boto/botocore botocore/exceptions.py, ClientError.MSG_TEMPLATE:
//               "An error occurred ({error_code}) when calling the {operation_name} operation{retry_info}: {error_message}"
//   [s3-errors] AWS S3 API Reference, "Error responses" (ErrorResponses.html): codes and messages
//   [ec2-errors] AWS EC2 API Reference, "Error codes for the Amazon EC2 API" (errors-overview.html)
//   [sts-errors] AWS STS API Reference, "Common Errors" (CommonErrors.html)
//   [awscli-s3] aws/aws-cli awscli/customizations/s3/results.py: "upload failed: {src} to {dest} {error}",
//               "fatal error: {error}" (awscli/customizations/s3/subcommands.py)
//   [smithy-go] aws/smithy-go errors.go OperationError: "operation error %s: %s, %v"; GenericAPIError "api error %s: %s";
//               aws/aws-sdk-go-v2 aws/transport/http/response_error.go: "https response error StatusCode: %d, RequestID: %s, %v"
//   [moby]      moby/moby distribution/errors.go ("pull access denied for %s, repository does not exist or may require
//               'docker login'"), distribution/pull_v2.go ("manifest for %s not found"), registry/auth.go
//               ("login attempt to %s failed with status: %d %s")
//   [distribution] distribution/distribution registry/api/errcode/register.go and registry/api/v2/errors.go
//               (UNAUTHORIZED "authentication required", DENIED "requested access to the resource is denied",
//               MANIFEST_UNKNOWN "manifest unknown", NAME_UNKNOWN "repository name not known to registry",
//               BLOB_UNKNOWN "blob unknown to registry", TOOMANYREQUESTS "too many requests")
//   [docker-cli] docker/cli client: "Cannot connect to the Docker daemon at %s. Is the docker daemon running?",
//               "permission denied while trying to connect to the Docker daemon socket at %v: %v"
//   [dockerhub] Docker docs, "Docker Hub usage and limits" (pull rate limit message)
//   [go-http]   golang/go src/net/http/client.go: "http: server gave HTTP response to HTTPS client"
//   [git]       git/git http.c ("Authentication failed for '%s'", "unable to access '%s': %s"),
//               remote-curl.c ("repository '%s' not found"), connect.c (die_initial_contact: "Could not read from
//               remote repository.\n\nPlease make sure you have the correct access rights\nand the repository exists."),
//               credential.c/prompt.c ("could not read %s: %s" → "could not read Username for '%s': terminal prompts disabled")
//   [curl]      curl/curl lib/strerror.c, lib/http.c ("The requested URL returned error: %d"), lib/connect.c
//               ("Failed to connect to %s port %u after %ld ms: %s"), "Could not resolve host: %s"
//   [github]    GitHub docs, "Troubleshooting cloning errors" / "Error: Repository not found" / "Error: Permission denied
//               (publickey)"; REST API docs ("Resource not accessible by integration", "This installation has been suspended")
//   [gitlab]    GitLab docs, "Troubleshooting Git" / personal access tokens (HTTP Basic: Access denied …)
//   [openssh]   openssh/openssh-portable sshconnect.c ("ssh: connect to host %s port %s: %s", "Could not resolve hostname
//               %s: %s", "REMOTE HOST IDENTIFICATION HAS CHANGED", "No %s host key is known for %.200s and you have
//               requested strict checking.", "Host key verification failed."), sshconnect2.c ("%s@%s: Permission denied
//               (%s)."), kex.c ("Unable to negotiate with %s: no matching %s found. Their offer: %s",
//               "kex_exchange_identification: read: %s"), authfile.c/ssh.c ('Load key "%s": %s'),
//               auth.c/packet.c ("Too many authentication failures")
//   [sudo]      sudo-project/sudo plugins/sudoers: "a password is required", "a terminal is required to read the password; ..."
//   [dokku]     dokku/dokku v0.38.27: plugins/common/functions dokku_log_fail (" !     " prefix), verify_app_name
//               ("App %s does not exist"), plugins/apps ("Name is already taken"), dokku main script ("`%s` is not a dokku
//               command."), Go flag package ("flag provided but not defined: -%s")
//   [dokku-postgres] dokku/dokku-postgres 1.48.0 common-functions ("%s service %s does not exist", "Already linked as %s",
//               "Cannot delete linked service")
//   [wharf]     this repository: src/services/services.cc Forbidden ("Your role '%s' does not grant %s"), src/base/error.cc
//               ("Your role does not grant %s. Ask an Admin …"), src/authz/authz.cc ("denied: role %s does not grant %s"),
//               src/cli/command.cc ("missing permission: %s"), src/services/invitations.cc (seats)
//   [dflow]     dFlow's permission guard: "Access denied: Missing permission(s) for <permission>" (issue 17)
const std::vector<Row>& Corpus() {
  static const std::vector<Row> rows = {
      // --- AWS, S3 side (backup storage): the operation is an S3 object/bucket operation.
      // [botocore] + [s3-errors] AccessDenied
      {"An error occurred (AccessDenied) when calling the PutObject operation: Access Denied", "backup_storage"},
      // [awscli-s3] + [s3-errors]
      {"upload failed: ./db.dump to s3://wharf-backups/shop/db.dump An error occurred (AccessDenied) when calling the "
       "PutObject operation: Access Denied",
       "backup_storage"},
      // [botocore] + [s3-errors] SignatureDoesNotMatch
      {"An error occurred (SignatureDoesNotMatch) when calling the ListObjectsV2 operation: The request signature we "
       "calculated does not match the signature you provided. Check your key and signing method.",
       "backup_storage"},
      // [botocore] + [s3-errors] InvalidAccessKeyId
      {"An error occurred (InvalidAccessKeyId) when calling the GetObject operation: The AWS Access Key Id you provided "
       "does not exist in our records.",
       "backup_storage"},
      // [botocore] + [s3-errors] NoSuchBucket
      {"An error occurred (NoSuchBucket) when calling the ListObjectsV2 operation: The specified bucket does not exist",
       "backup_storage"},
      // [awscli-s3]: a HEAD has no body, so botocore's code is the HTTP status
      {"fatal error: An error occurred (403) when calling the HeadObject operation: Forbidden", "backup_storage"},
      // [botocore] constructed: EC2's AuthFailure on an S3 operation, to show the operation decides
      {"An error occurred (AuthFailure) when calling the PutObject operation: AWS was not able to validate the provided "
       "access credentials",
       "backup_storage"},
      // [botocore] constructed: EC2's UnauthorizedOperation on an S3 operation
      {"An error occurred (UnauthorizedOperation) when calling the DeleteObject operation: You are not authorized to "
       "perform this operation.",
       "backup_storage"},
      // [smithy-go] + [s3-errors]
      {"operation error S3: PutObject, https response error StatusCode: 403, RequestID: 4KJ0ZQ7X1A2B3C4D, HostID: "
       "aGVsbG8=, api error AccessDenied: Access Denied",
       "backup_storage"},
      // [smithy-go] + [s3-errors]
      {"operation error S3: GetObject, https response error StatusCode: 403, RequestID: 9F2C1E, HostID: d29ybGQ=, api "
       "error SignatureDoesNotMatch: The request signature we calculated does not match the signature you provided. "
       "Check your key and signing method.",
       "backup_storage"},
      // [s3-errors] SignatureDoesNotMatch message, as an S3-compatible provider's SDK prints it without an operation
      {"SignatureDoesNotMatch: The request signature we calculated does not match the signature you provided. Check "
       "your key and signing method.",
       "backup_storage"},
      // [botocore] + [s3-errors] CreateMultipartUpload (large dumps)
      {"An error occurred (AccessDenied) when calling the CreateMultipartUpload operation: Access Denied", "backup_storage"},

      // --- AWS, EC2 / STS / IAM side (aws_iam).
      // [botocore] + [ec2-errors] UnauthorizedOperation
      {"An error occurred (UnauthorizedOperation) when calling the DescribeInstances operation: You are not authorized "
       "to perform this operation.",
       "aws_iam"},
      // [botocore] + [ec2-errors] UnauthorizedOperation with the encoded message
      {"An error occurred (UnauthorizedOperation) when calling the RunInstances operation: You are not authorized to "
       "perform this operation. Encoded authorization failure message: 4x2Gt0Yw",
       "aws_iam"},
      // [botocore] + [ec2-errors] AuthFailure
      {"An error occurred (AuthFailure) when calling the DescribeRegions operation: AWS was not able to validate the "
       "provided access credentials",
       "aws_iam"},
      // [botocore] + [sts-errors] SignatureDoesNotMatch (STS's wording)
      {"An error occurred (SignatureDoesNotMatch) when calling the GetCallerIdentity operation: The request signature "
       "we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. "
       "Consult the service documentation for details.",
       "aws_iam"},
      // [botocore] + [sts-errors] AccessDenied on AssumeRole
      {"An error occurred (AccessDenied) when calling the AssumeRole operation: User: "
       "arn:aws:iam::123456789012:user/wharf is not authorized to perform: sts:AssumeRole on resource: "
       "arn:aws:iam::123456789012:role/deploy",
       "aws_iam"},
      // [botocore] IAM AccessDenied
      {"An error occurred (AccessDenied) when calling the ListRoles operation: User: arn:aws:iam::123456789012:user/wharf "
       "is not authorized to perform: iam:ListRoles on resource: arn:aws:iam::123456789012:role/",
       "aws_iam"},
      // [botocore] + [sts-errors] InvalidClientTokenId
      {"An error occurred (InvalidClientTokenId) when calling the GetCallerIdentity operation: The security token "
       "included in the request is invalid.",
       "aws_iam"},
      // [botocore] + [sts-errors] ExpiredToken
      {"An error occurred (ExpiredToken) when calling the GetCallerIdentity operation: The security token included in "
       "the request is expired",
       "aws_iam"},
      // [smithy-go] + [ec2-errors]
      {"operation error EC2: DescribeInstances, https response error StatusCode: 401, RequestID: "
       "7e1b2f0c-1111-2222-3333-444455556666, api error AuthFailure: AWS was not able to validate the provided access "
       "credentials",
       "aws_iam"},
      // [smithy-go] + [sts-errors]
      {"operation error STS: GetCallerIdentity, https response error StatusCode: 403, RequestID: "
       "0a1b2c3d-0000-1111-2222-333344445555, api error SignatureDoesNotMatch: The request signature we calculated does "
       "not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service "
       "documentation for details.",
       "aws_iam"},
      // [botocore] + [ec2-errors] (security groups)
      {"An error occurred (UnauthorizedOperation) when calling the AuthorizeSecurityGroupIngress operation: You are not "
       "authorized to perform this operation.",
       "aws_iam"},
      // [smithy-go] IAM AccessDenied
      {"operation error IAM: GetUser, https response error StatusCode: 403, RequestID: 5d6e, api error AccessDenied: "
       "User: arn:aws:iam::123456789012:user/wharf is not authorized to perform: iam:GetUser on resource: user wharf",
       "aws_iam"},

      // --- Docker daemon and registries.
      // [moby] + [distribution] DENIED
      {"Error response from daemon: pull access denied for team/app, repository does not exist or may require 'docker "
       "login': denied: requested access to the resource is denied",
       "registry"},
      // [moby] (errcode translated to "unauthorized")
      {"Error response from daemon: Head \"https://ghcr.io/v2/team/app/manifests/v1\": unauthorized", "registry"},
      // [distribution] UNAUTHORIZED
      {"Error response from daemon: Get \"https://registry.example.com/v2/\": unauthorized: authentication required",
       "registry"},
      // [moby] + [distribution] MANIFEST_UNKNOWN
      {"Error response from daemon: manifest for ghcr.io/team/app:v9 not found: manifest unknown: manifest unknown",
       "registry"},
      // [distribution] DENIED (docker push)
      {"denied: requested access to the resource is denied", "registry"},
      // [moby] registry/auth.go
      {"Error response from daemon: login attempt to http://127.0.0.1:5000/v2/ failed with status: 401 Unauthorized",
       "registry"},
      // [dockerhub] Docker Hub's answer to a wrong password
      {"Error response from daemon: Get \"https://registry-1.docker.io/v2/\": unauthorized: incorrect username or "
       "password",
       "registry"},
      // [moby] distribution: no credential for the host
      {"Error response from daemon: Head \"https://127.0.0.1:5000/v2/team/app/manifests/v1\": no basic auth credentials",
       "registry"},
      // [distribution] NAME_UNKNOWN
      {"name unknown: repository name not known to registry", "registry"},
      // [distribution] BLOB_UNKNOWN
      {"blob unknown: blob unknown to registry", "registry"},
      // [dockerhub] pull rate limit
      {"toomanyrequests: You have reached your pull rate limit. You may increase the limit by authenticating and "
       "upgrading: https://www.docker.com/increase-rate-limit",
       "registry"},
      // [go-http] via [moby]
      {"Error response from daemon: Get \"https://127.0.0.1:5000/v2/\": http: server gave HTTP response to HTTPS client",
       "registry"},
      // [docker-cli]: the engine on the server, not a registry
      {"Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?", "ssh"},
      // [docker-cli]
      {"permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock: Get "
       "\"http://%2Fvar%2Frun%2Fdocker.sock/v1.24/version\": dial unix /var/run/docker.sock: connect: permission denied",
       "ssh"},

      // --- git over HTTPS and SSH.
      // [git] http.c + [github]
      {"remote: Invalid username or password.\nfatal: Authentication failed for 'https://github.com/team/app.git/'",
       "git_token"},
      // [git] credential.c/prompt.c (GIT_TERMINAL_PROMPT=0)
      {"fatal: could not read Username for 'https://github.com': terminal prompts disabled", "git_token"},
      // [git] remote-curl.c + [github]
      {"remote: Repository not found.\nfatal: repository 'https://github.com/team/app.git/' not found", "git_token"},
      // [git] connect.c + [openssh] sshconnect2.c + [github]
      {"git@github.com: Permission denied (publickey).\nfatal: Could not read from remote repository.\n\nPlease make sure "
       "you have the correct access rights\nand the repository exists.",
       "git_token"},
      // [github] over SSH + [git] connect.c
      {"ERROR: Repository not found.\nfatal: Could not read from remote repository.", "git_token"},
      // [gitlab] + [git] http.c
      {"remote: HTTP Basic: Access denied. The provided password or token is incorrect or your account has 2FA enabled "
       "and you must use a personal access token instead of a password.\nfatal: Authentication failed for "
       "'https://gitlab.com/team/app.git/'",
       "git_token"},
      // [git] http.c + [curl] http.c
      {"fatal: unable to access 'https://gitlab.com/team/app.git/': The requested URL returned error: 403", "git_token"},
      // [github] + [git] + [curl]
      {"remote: Write access to repository not granted.\nfatal: unable to access 'https://github.com/team/app.git/': The "
       "requested URL returned error: 403",
       "git_token"},
      // [github] password authentication removed + [git]
      {"remote: Support for password authentication was removed on August 13, 2021.\nfatal: Authentication failed for "
       "'https://github.com/team/app.git/'",
       "git_token"},
      // [gitlab] + [git] remote-curl.c
      {"remote: The project you were looking for could not be found or you don't have permission to view it.\nfatal: "
       "repository 'https://gitlab.com/team/app.git/' not found",
       "git_token"},
      // [git] http.c + [curl] "Could not resolve host": the network, not the token
      {"fatal: unable to access 'https://git.example.com/team/app.git/': Could not resolve host: git.example.com",
       "network"},
      // [git] http.c + [curl] connect.c
      {"fatal: unable to access 'https://git.example.com/team/app.git/': Failed to connect to git.example.com port 443 "
       "after 3 ms: Connection refused",
       "network"},
      // [github] REST API, GitHub App token
      {"Resource not accessible by integration", "github_app"},
      // [github] REST API, suspended installation
      {"This installation has been suspended", "github_app"},

      // --- The OpenSSH client.
      // [openssh] sshconnect.c
      {"ssh: connect to host 203.0.113.5 port 22: Connection refused", "network"},
      {"ssh: connect to host 203.0.113.5 port 22: Connection timed out", "network"},
      {"ssh: connect to host 203.0.113.5 port 22: No route to host", "network"},
      {"ssh: connect to host 203.0.113.5 port 22: Network is unreachable", "network"},
      {"ssh: Could not resolve hostname node-1.example.invalid: Name or service not known", "network"},
      // [openssh] kex.c
      {"kex_exchange_identification: read: Connection reset by peer\nConnection reset by 203.0.113.5 port 22", "network"},
      // [openssh] sshconnect2.c
      {"dokku@203.0.113.5: Permission denied (publickey).", "ssh"},
      {"root@203.0.113.5: Permission denied (publickey,password).", "ssh"},
      // [openssh] sshconnect.c
      {"@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!"
       "     @\n@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\nIT IS POSSIBLE THAT SOMEONE IS DOING "
       "SOMETHING NASTY!",
       "ssh"},
      {"No ED25519 host key is known for 203.0.113.5 and you have requested strict checking.\nHost key verification "
       "failed.",
       "ssh"},
      // [openssh] packet.c / auth.c
      {"Received disconnect from 203.0.113.5 port 22:2: Too many authentication failures\nDisconnected from "
       "203.0.113.5 port 22",
       "ssh"},
      // [openssh] kex.c
      {"Unable to negotiate with 203.0.113.5 port 22: no matching host key type found. Their offer: ssh-rsa", "ssh"},
      // [openssh] ssh.c / authfile.c
      {"Load key \"/home/ci/.ssh/id_ed25519\": invalid format", "ssh"},
      // [sudo] (Wharf's sudo check on the node)
      {"sudo: a password is required", "ssh"},
      {"sudo: a terminal is required to read the password; either use the -S option to read from standard input or "
       "configure an askpass helper",
       "ssh"},

      // --- Dokku's own ` !     ` lines (the worker node).
      // [dokku] verify_app_name
      {" !     App media does not exist", "ssh"},
      // [dokku] apps:create
      {" !     Name is already taken", "ssh"},
      // [dokku] main script, an older node without the command
      {" !     `registry:auth-status` is not a dokku command.\n !     See `dokku help` for a list of available commands.",
       "ssh"},
      // [dokku] Go flag package
      {" !     flag provided but not defined: -build-if-changes", "ssh"},
      // [dokku-postgres]
      {" !     Postgres service shop-db does not exist", "ssh"},
      {" !     Already linked as DATABASE_URL", "ssh"},
      {" !     Cannot delete linked service", "ssh"},
      // [dokku] git:from-image passing the daemon's answer on: the registry rule wins over the Dokku prefix
      {" !     Error response from daemon: manifest for ghcr.io/team/app:v2 not found: manifest unknown: manifest "
       "unknown",
       "registry"},

      // --- Wharf's and dFlow's permission denials.
      // [dflow]
      {"Access denied: Missing permission(s) for servers.update", "permissions"},
      // [wharf] src/services/services.cc
      {"Your role 'Viewer' does not grant servers.update. Ask an Admin of this organisation to grant it.", "permissions"},
      // [wharf] src/base/error.cc, in the API's error body
      {"{\"error\":{\"code\":\"forbidden\",\"message\":\"Your role does not grant backupStorage.read. Ask an Admin of "
       "this organisation to grant it.\",\"layer\":\"permissions\"}}",
       "permissions"},
      // [wharf] src/cli/command.cc
      {"error: forbidden\n  missing permission: dockerRegistries.update", "permissions"},
      // [wharf] src/authz/authz.cc
      {"denied: role viewer does not grant servers.update", "permissions"},
      // [wharf] src/services/invitations.cc
      {"This organisation has used all 5 of its seats (members plus pending invitations).", "seat_limit"},
  };
  return rows;
}

TEST(ClassifyCorpus, RealToolOutputLandsInItsLayer) {
  const auto& rows = Corpus();
  ASSERT_GE(rows.size(), 60u);
  size_t right = 0;
  for (const auto& r : rows) {
    auto c = Classify(r.text);
    if (c.layer == r.layer) ++right;
    EXPECT_EQ(c.layer, r.layer) << "text: " << r.text << "\nmatched: " << c.matched;
  }
  std::printf("classifier corpus: %zu of %zu strings in their layer (%.1f%% accuracy)\n", right, rows.size(),
              100.0 * static_cast<double>(right) / static_cast<double>(rows.size()));
}

TEST(ClassifyCorpus, TheAwsOperationDecidesNotTheCode) {
  for (const char* code : {"AuthFailure", "UnauthorizedOperation", "SignatureDoesNotMatch", "AccessDenied"}) {
    for (const char* op : {"PutObject", "GetObject", "ListObjectsV2", "HeadBucket", "DeleteObjects"})
      EXPECT_EQ(Classify(std::string("An error occurred (") + code + ") when calling the " + op + " operation: x").layer,
                "backup_storage")
          << code << " " << op;
    for (const char* op : {"DescribeInstances", "RunInstances", "GetCallerIdentity", "AssumeRole", "ListRoles"})
      EXPECT_EQ(Classify(std::string("An error occurred (") + code + ") when calling the " + op + " operation: x").layer,
                "aws_iam")
          << code << " " << op;
  }
  auto c = Classify("operation error S3: HeadObject, https response error StatusCode: 403, api error Forbidden: Forbidden");
  EXPECT_EQ(c.layer, "backup_storage");
  EXPECT_EQ(c.matched, "operation headobject");
}

}  // namespace
}  // namespace wharf::diagnose
