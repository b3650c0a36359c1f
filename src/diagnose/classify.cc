#include "diagnose/classify.h"

#include <algorithm>
#include <cctype>

namespace wharf::diagnose {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

struct Rule {
  std::vector<std::string> all;  // every phrase must appear (lower-case)
  Classification c;
};

const std::vector<Rule>& Rules() {
  static const std::vector<Rule> rules = {
      // Wharf's and dFlow's own denials ("Access denied: Missing permission(s) for servers.update",
      // the CLI's "missing permission: …"): nothing outside Wharf is wrong.
      {{"missing permission"},
       {"permissions", "", "A role permission is missing", {"the role lacks the permission named in the message"},
        "Other layers are fine: ask an Admin to grant the permission.", "docs/troubleshooting/security.md"}},
      // The Docker engine on the server (before any "permission denied" rule: the socket's own).
      {{"cannot connect to the docker daemon"},
       {"ssh", "", "The Docker engine on the server is not running",
        {"the engine is stopped or failed to start", "Docker was removed"},
        "Registry credentials are unrelated: nothing reached a registry.", "docs/troubleshooting/servers.md"}},
      {{"permission denied while trying to connect to the docker daemon"},
       {"ssh", "", "The server's user may not use Docker",
        {"the SSH user is not in the docker group", "the socket's permissions were changed"}, "",
        "docs/troubleshooting/servers.md"}},
      // Git over SSH with a deploy key prints both "Permission denied (publickey)" and this line:
      // it is the git layer, so it comes before the SSH rule.
      {{"could not read from remote repository"},
       {"git_token", "", "Git token, GitHub App installation, or repo allow-list",
        {"the deploy key or token has no access to the repository", "the repository is not in the app's allow-list",
         "the repository URL is wrong"},
        "Fixing the server's SSH key will not help: this is the git provider's credential.", "docs/troubleshooting/integrations.md"}},
      {{"authentication failed for 'http"},
       {"git_token", "", "Git token, GitHub App installation, or repo allow-list",
        {"the token expired", "the token lacks read_repository (GitLab) or repository read scope", "wrong username for the host"},
        "Fixing SSH will not help: the git host refused the HTTPS credential.", "docs/troubleshooting/integrations.md"}},
      {{"resource not accessible by integration"},
       {"github_app", "", "GitHub App installation or permissions",
        {"the app lacks a permission (contents: read)", "the repository is not selected in the installation"}, "",
        "docs/troubleshooting/integrations.md"}},
      {{"installation", "suspended"},
       {"github_app", "", "GitHub App installation", {"the installation was suspended by an org owner"}, "",
        "docs/troubleshooting/integrations.md"}},
      {{"repository not found"},
       {"git_token", "", "Git token, GitHub App installation, or repo allow-list",
        {"the token cannot see the repository (private repos answer 'not found')", "the URL has a typo"},
        "Fixing SSH will not help.", "docs/troubleshooting/integrations.md"}},
      {{"could not read username for 'http"},
       {"git_token", "", "Git token, GitHub App installation, or repo allow-list",
        {"no credential was given for an HTTPS clone of a private repository", "the token was removed"},
        "Fixing SSH will not help: git asked for an HTTPS credential.", "docs/troubleshooting/integrations.md"}},
      {{"fatal: repository '", "not found"},
       {"git_token", "", "Git token, GitHub App installation, or repo allow-list",
        {"the token cannot see the repository (private repos answer 'not found')", "the URL has a typo"},
        "Fixing SSH will not help.", "docs/troubleshooting/integrations.md"}},
      {{"the requested url returned error: 40"},
       {"git_token", "", "Git token, GitHub App installation, or repo allow-list",
        {"the token lacks write or read access to the repository", "the token expired"}, "Fixing SSH will not help.",
        "docs/troubleshooting/integrations.md"}},
      {{"permission denied", "clone"},
       {"git_token", "", "Git token, GitHub App installation, or repo allow-list",
        {"the token or deploy key has no access", "the repository is not in the allow-list"}, "Fixing SSH will not help.",
        "docs/troubleshooting/integrations.md"}},
      {{"pull access denied"},
       {"registry", "", "Registry token, wrong username, or expired credential",
        {"the image is private and no registry credential is attached", "the credential expired", "the image name is wrong"},
        "", "docs/troubleshooting/integrations.md"}},
      {{"unauthorized", "pull"},
       {"registry", "", "Registry token, wrong username, or expired credential",
        {"wrong username or token", "the credential expired", "the credential is for another registry host"}, "",
        "docs/troubleshooting/integrations.md"}},
      {{"unauthorized", "manifest"},
       {"registry", "", "Registry token, wrong username, or expired credential",
        {"wrong username or token", "no pull scope for this repository"}, "", "docs/troubleshooting/integrations.md"}},
      {{"no basic auth credentials"},
       {"registry", "", "Registry token, wrong username, or expired credential", {"no credential for this registry host"}, "",
        "docs/troubleshooting/integrations.md"}},
      {{"unauthorized: authentication required"},
       {"registry", "", "Registry token, wrong username, or expired credential",
        {"no credential or a wrong one for this registry", "the credential expired"}, "", "docs/troubleshooting/integrations.md"}},
      {{"incorrect username or password"},
       {"registry", "", "Registry token, wrong username, or expired credential", {"wrong username or token"}, "",
        "docs/troubleshooting/integrations.md"}},
      {{"login attempt to", "failed with status"},
       {"registry", "", "Registry token, wrong username, or expired credential",
        {"wrong username or token", "the credential is for another registry host"}, "", "docs/troubleshooting/integrations.md"}},
      {{"requested access to the resource is denied"},
       {"registry", "", "Registry token, wrong username, or expired credential",
        {"the account may not pull or push this repository", "the image name is wrong"}, "",
        "docs/troubleshooting/integrations.md"}},
      {{"manifest unknown"},
       {"registry", "", "Image or tag not found on the registry", {"the tag does not exist", "the image name is wrong"}, "",
        "docs/troubleshooting/integrations.md"}},
      {{"known to registry"},
       {"registry", "", "Image or tag not found on the registry", {"the repository or blob does not exist there"}, "",
        "docs/troubleshooting/integrations.md"}},
      {{"toomanyrequests"},
       {"registry", "", "Registry rate limit", {"anonymous pulls hit the registry's rate limit: attach a credential"}, "",
        "docs/troubleshooting/integrations.md"}},
      {{"server gave http response to https client"},
       {"registry", "", "Wrong registry host or scheme", {"the registry speaks plain HTTP; the engine expects HTTPS"}, "",
        "docs/troubleshooting/integrations.md"}},
      {{"upload denied"},
       {"backup_storage", "", "Backup storage keys, endpoint, region, or bucket policy; provider not verified",
        {"the keys may not write (s3:PutObject) under the prefix", "a bucket policy denies it", "the storage is not verified"},
        "These are the backup storage's own keys, separate from the AWS compute account.", "docs/troubleshooting/integrations.md"}},
      {{"external backup failed"},
       {"backup_storage", "", "Backup storage keys, endpoint, region, or bucket policy; provider not verified",
        {"wrong endpoint or region", "bucket policy", "the storage is not verified"}, "", "docs/troubleshooting/integrations.md"}},
      {{"nosuchbucket"},
       {"backup_storage", "", "Backup storage keys, endpoint, region, or bucket policy",
        {"the bucket name or region is wrong"}, "", "docs/troubleshooting/integrations.md"}},
      {{"check your key and signing method"},
       {"backup_storage", "", "Backup storage keys, endpoint, region, or bucket policy",
        {"the secret key does not belong to the access key", "the region or endpoint is wrong"}, "", "docs/troubleshooting/integrations.md"}},
      {{"access key id you provided does not exist"},
       {"backup_storage", "", "Backup storage keys, endpoint, region, or bucket policy",
        {"the access key was deleted or belongs to another provider"}, "", "docs/troubleshooting/integrations.md"}},
      {{"not able to validate the provided access credentials"},
       {"aws_iam", "", "AWS access key", {"the key pair is wrong or disabled", "the clock is skewed"}, "",
        "docs/troubleshooting/integrations.md"}},
      {{"unauthorizedoperation"},
       {"aws_iam", "", "IAM policy, SCP, or wrong account (EC2 integration, not backup bucket)",
        {"the IAM policy lacks the ec2 action", "an SCP denies it", "the keys belong to another account"},
        "The backup bucket's keys are separate: changing them will not help.", "docs/troubleshooting/integrations.md"}},
      {{"is not authorized to perform"},
       {"aws_iam", "", "IAM policy, SCP, or wrong account (EC2 integration, not backup bucket)",
        {"the IAM policy lacks the action named in the message", "an SCP denies it"}, "", "docs/troubleshooting/integrations.md"}},
      {{"accessdenied"},
       {"aws_iam", "", "IAM policy, SCP, or wrong account (EC2 integration, not backup bucket)",
        {"the IAM policy lacks the action", "an SCP denies it", "wrong account"}, "", "docs/troubleshooting/integrations.md"}},
      {{"invalidclienttokenid"},
       {"aws_iam", "", "AWS access key", {"the access key id does not exist or was deleted"}, "",
        "docs/troubleshooting/integrations.md"}},
      {{"expiredtoken"},
       {"aws_iam", "", "AWS session token", {"the session token expired: refresh it"}, "", "docs/troubleshooting/integrations.md"}},
      {{"webhook", "never"},
       {"webhook", "", "Git host app settings, org firewall, or branch filter",
        {"the webhook URL is not reachable from the git host", "the branch filter excludes the branch", "the app's webhook is inactive"},
        "", "docs/troubleshooting/integrations.md"}},
      {{"host key verification failed"},
       {"ssh", "", "The server's host key changed", {"the server was reinstalled", "a machine in between answers for it"},
        "Git credentials are unrelated: this is the SSH connection to the server.", "docs/troubleshooting/servers.md"}},
      {{"remote host identification has changed"},
       {"ssh", "", "The server's host key changed", {"the server was reinstalled", "a machine in between answers for it"}, "",
        "docs/troubleshooting/servers.md"}},
      {{"permission denied (publickey"},
       {"ssh", "", "SSH key not accepted by the server",
        {"the public half is not in ~user/.ssh/authorized_keys", "the wrong SSH key is attached to the server", "wrong username"},
        "Fixing the git token will not help: this is the SSH connection to the server.", "docs/troubleshooting/servers.md"}},
      {{"too many authentication failures"},
       {"ssh", "", "SSH key not accepted by the server", {"the agent offers many keys before the right one", "wrong key"}, "",
        "docs/troubleshooting/servers.md"}},
      {{"unable to negotiate with"},
       {"ssh", "", "SSH algorithms do not match", {"the server offers only old host key or key exchange types"}, "",
        "docs/troubleshooting/servers.md"}},
      {{"load key", "invalid format"},
       {"ssh", "", "The SSH private key is unreadable", {"the key file is damaged or not a private key"}, "",
        "docs/troubleshooting/servers.md"}},
      {{"sudo: a "},
       {"ssh", "", "The server's user has no passwordless sudo", {"give the SSH user NOPASSWD sudo"}, "",
        "docs/troubleshooting/servers.md"}},
      {{"kex_exchange_identification"},
       {"network", "", "The connection was cut before SSH started",
        {"a firewall or fail2ban drops the connection", "sshd's MaxStartups is full"}, "", "docs/troubleshooting/servers.md"}},
      {{"network is unreachable"},
       {"network", "", "No network path", {"wrong address", "routing or VPN"}, "", "docs/troubleshooting/servers.md"}},
      {{"connection refused"},
       {"network", "", "Nothing listens on the port", {"sshd is stopped", "the port is wrong"}, "", "docs/troubleshooting/servers.md"}},
      {{"timed out"},
       {"network", "", "Firewall or security group drops the traffic",
        {"the security group does not allow SSH from Wharf's address (or was accidentally closed)", "a host firewall drops it"}, "",
        "docs/troubleshooting/servers.md"}},
      {{"no route to host"},
       {"network", "", "No network path", {"wrong address", "routing or VPN"}, "", "docs/troubleshooting/servers.md"}},
      {{"could not resolve"},
       {"network", "", "DNS", {"the name has no DNS record", "the resolver on the machine is broken"}, "",
        "docs/troubleshooting/servers.md"}},
      // Dokku's own refusals (` !     …`) after the registry and git rules above have had their say.
      {{"!     "},
       {"ssh", "", "Dokku on the server refused the command",
        {"the app or service does not exist on the server (yet)", "the node's Dokku is too old for the command",
         "the node holds state Wharf did not expect (already linked, name taken)"},
        "", "docs/troubleshooting/servers.md"}},
      {{"seats"},
       {"seat_limit", "", "Seat limit or create limit",
        {"members plus pending invitations reached the seat limit (an instance admin can raise it)"}, "",
        "docs/troubleshooting/security.md"}},
      {{"limit_reached"},
       {"seat_limit", "", "Seat limit or create limit",
        {"members plus pending invitations reached the seat limit (an instance admin can raise it)", "a role's create_limit"}, "",
        "docs/troubleshooting/security.md"}},
      {{"smtp"},
       {"email", "", "Invitation email", {"the SMTP server refused or was unreachable"},
        "The invitation is kept: copy its link instead.", "docs/troubleshooting/security.md"}},
      {{"does not grant"},
       {"permissions", "", "A role permission is missing", {"the role lacks the permission named in the message"},
        "Other layers are fine: ask an Admin to grant the permission.", "docs/troubleshooting/security.md"}},
      {{"forbidden"},
       {"permissions", "", "A role permission is missing", {"the role lacks a permission"}, "", "docs/troubleshooting/security.md"}},
      {{"401"},
       {"git_token", "", "Git token, GitHub App installation, or repo allow-list", {"the token expired or is wrong"}, "",
        "docs/troubleshooting/integrations.md"}},
      {{"403"},
       {"git_token", "", "Git token, GitHub App installation, or repo allow-list", {"the token lacks a scope or access"}, "",
        "docs/troubleshooting/integrations.md"}},
  };
  return rules;
}

// The AWS operation an error names, lower-case: botocore / the AWS CLI print
// "An error occurred (Code) when calling the PutObject operation: …", the Go SDK v2
// "operation error S3: PutObject, https response error …". `service` is the Go SDK's ("s3") or "".
struct AwsOperation {
  std::string service, name;
};

std::string WordAt(const std::string& t, size_t pos) {
  size_t end = pos;
  while (end < t.size() && (std::isalnum(static_cast<unsigned char>(t[end])) || t[end] == '_')) ++end;
  return t.substr(pos, end - pos);
}

bool FindAwsOperation(const std::string& t, AwsOperation& op) {
  static const std::string kCli = "when calling the ", kSdk = "operation error ";
  if (auto p = t.find(kCli); p != std::string::npos) {
    op.name = WordAt(t, p + kCli.size());
    if (!op.name.empty() && t.compare(p + kCli.size() + op.name.size(), 10, " operation") == 0) return true;
  }
  if (auto p = t.find(kSdk); p != std::string::npos) {
    op.service = WordAt(t, p + kSdk.size());
    size_t q = p + kSdk.size() + op.service.size();
    if (!op.service.empty() && t.compare(q, 2, ": ") == 0) {
      op.name = WordAt(t, q + 2);
      return !op.name.empty();
    }
  }
  return false;
}

// S3 object and bucket operations are the backup storage's; everything else (EC2, STS, IAM) is the
// AWS compute account's. The operation decides, whatever the error code (AccessDenied,
// SignatureDoesNotMatch, AuthFailure, UnauthorizedOperation read the same on both sides).
Classification ClassifyAws(const AwsOperation& op) {
  const std::string& n = op.name;
  bool s3 = op.service == "s3" || n.find("object") != std::string::npos || n.find("bucket") != std::string::npos ||
            n.find("multipartupload") != std::string::npos || n == "uploadpart";
  if (s3)
    return {"backup_storage", "operation " + n, "Backup storage keys, endpoint, region, or bucket policy; provider not verified",
            {"the backup storage's keys may not do " + n + " (bucket policy or IAM)", "wrong endpoint, region or bucket",
             "the secret key does not match the access key"},
            "These are the backup storage's own keys, separate from the AWS compute account.",
            "docs/troubleshooting/integrations.md"};
  return {"aws_iam", "operation " + n, "IAM policy, SCP, or wrong account (EC2 integration, not backup bucket)",
          {"the IAM policy lacks the action for " + n, "an SCP denies it", "the keys are wrong, disabled or of another account"},
          "The backup bucket's keys are separate: changing them will not help.", "docs/troubleshooting/integrations.md"};
}

}  // namespace

Classification Classify(std::string_view text) {
  const std::string t = Lower(text);
  if (AwsOperation op; FindAwsOperation(t, op)) return ClassifyAws(op);
  for (const auto& r : Rules()) {
    bool ok = true;
    for (const auto& phrase : r.all) ok = ok && t.find(phrase) != std::string::npos;
    if (!ok) continue;
    Classification c = r.c;
    std::string matched;
    for (const auto& phrase : r.all) matched += (matched.empty() ? "" : " + ") + phrase;
    c.matched = matched;
    return c;
  }
  return Classification{"", "", "Not recognised", {}, "", "docs/troubleshooting/README.md"};
}

}  // namespace wharf::diagnose
