// AWS for compute: a SigV4-signed Query API client for STS and EC2, the map from AWS's error
// codes to Wharf's troubleshooting layers, the account verify (STS GetCallerIdentity plus EC2
// DryRun calls) and the pieces of security-group sync (EC2 rules, their diff, the XML reader).
//
//   integrations::AwsTarget t{.access_key_id = "AKIA…", .secret = &secret, .region = "eu-west-1"};
//   integrations::AwsVerifyResult r = integrations::VerifyAwsAccount(t);
//   r.report.ok();          // every check passed
//   r.identity.account;     // "123456789012"
//
//   WHARF_ASSIGN_OR_RETURN(AwsReply reply, AwsCall(t, "ec2", {{"Action", "DescribeSecurityGroups"}}));
//   if (!reply.error.code.empty()) { AwsFailure f = MapAwsError(reply.error, "ec2", "DescribeSecurityGroups", t.region); }
//
// Endpoints are AWS's own regional ones (https://sts.<region>.amazonaws.com,
// https://ec2.<region>.amazonaws.com; .amazonaws.com.cn in China) unless `endpoint_override` is
// set (the server's --aws-endpoint-override, for tests): a base URL, where "{service}" and
// "{region}" are replaced. The secret and the session token go only into the signature and the
// X-Amz-Security-Token header: no message, log or report contains them. Throttling
// (RequestLimitExceeded, Throttling) is retried with exponential backoff before it is reported.
// Thread-safe: every call is independent.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/clock.h"
#include "base/error.h"
#include "base/secret_bytes.h"
#include "integrations/check.h"
#include "integrations/xml.h"

namespace wharf::integrations {


// ---- the client ----
struct AwsTarget {
  std::string access_key_id;
  const SecretBytes* secret = nullptr;
  const SecretBytes* session_token = nullptr;  // null or empty when the key is long-term
  std::string region;
  std::string endpoint_override;  // "" = AWS's own endpoints
  int connect_timeout_ms = 5000;
  int timeout_ms = 15000;
  std::function<bool(std::string_view ip)> address_allowed;  // the private-target guard; empty = all
  std::function<Timestamp()> now;                            // default: the system clock
  std::vector<int> backoff_ms = {100, 300, 900};             // waits before each retry of a throttled call
};

struct AwsError {
  std::string code;  // "UnauthorizedOperation", "SignatureDoesNotMatch", …; "" = success
  std::string message;
  std::string request_id;
};

struct AwsReply {
  int status = 0;
  std::string body;
  AwsError error;  // parsed from STS's <ErrorResponse> or EC2's <Response><Errors>
  XmlNode root;    // the parsed body (success or error)
  int attempts = 1;
  std::string host;  // the endpoint's host, for messages
};

// "https://ec2.eu-west-1.amazonaws.com" (or the override with {service}/{region} replaced).
std::string AwsEndpoint(std::string_view service, std::string_view region, std::string_view override_url);
// True for the regions AWS has announced (a well-formed name outside it is probably a typo).
bool IsKnownAwsRegion(std::string_view region);
// Checks the shape of a region name ("eu-west-1", "us-gov-west-1", "cn-north-1").
bool IsAwsRegionName(std::string_view region);

// POSTs the form-encoded Query request `params` (Action first; Version is added per service) to the
// service's regional endpoint, signed with SigV4. A reply is returned for every HTTP answer; the
// error is an Error with Layer::kNetwork when no answer came (DNS, refused, timeout, TLS).
Result<AwsReply> AwsCall(const AwsTarget& t, std::string_view service,
                         std::vector<std::pair<std::string, std::string>> params);

// ---- error mapping ----
// The error of a non-2xx answer: STS's <ErrorResponse><Error><Code/><Message/></Error><RequestId/>
// or EC2's <Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/>; a body that is
// neither gives code "HTTP<status>".
AwsError ParseAwsError(const XmlNode& root, int http_status);
struct AwsFailure {
  std::string layer;    // "aws_iam" or "network"
  std::string message;  // what happened, with AWS's code
  std::string fix;      // what to do about it
  bool credential_level = false;  // the credential itself failed: later calls cannot succeed either
};
// Maps an AWS error answer of `service`:`action` to a layer and a hint. UnauthorizedOperation and
// AccessDenied name the IAM action ("ec2:RunInstances"); ExpiredToken says the session token
// expired; AuthFailure and OptInRequired point at the region; RequestLimitExceeded at the quota.
AwsFailure MapAwsError(const AwsError& e, int http_status, std::string_view service, std::string_view action,
                       std::string_view region);
// Maps "no answer" (Fetch's kUnavailable/kValidationFailed error) to layer network, telling DNS
// failures (and a region name that does not exist), refused connections and timeouts apart.
AwsFailure MapAwsNetworkFailure(const Error& e, std::string_view service, std::string_view region,
                                std::string_view host);

// ---- verify ----
struct AwsIdentity {
  std::string account, arn, user_id;
};
struct AwsVerifyResult {
  Report report;
  AwsIdentity identity;
  bool token_expired = false;  // ExpiredToken: the session token's time ran out
};
// The IAM actions Wharf needs, in verify order (the documented policy lists the same).
const std::vector<std::string>& AwsRequiredActions();
// STS GetCallerIdentity, then ec2:DescribeSecurityGroups (read for real: drift needs it, and it
// finds the VPC's default group), then an EC2 DryRun of each action Wharf needs
// (DryRunOperation = allowed). One check per call, named "sts:GetCallerIdentity", "ec2:RunInstances",
// …. A credential-level failure skips the rest; an UnauthorizedOperation fails only its own check.
AwsVerifyResult VerifyAwsAccount(const AwsTarget& t);

// ---- security groups on EC2 ----
// One EC2 permission as Wharf compares them: a single protocol/port range/CIDR.
struct Ec2Rule {
  std::string protocol;  // "tcp", "udp", "icmp", "icmpv6", "-1" (all)
  int from_port = -1, to_port = -1;
  std::string cidr;      // "0.0.0.0/0" or "::/0" (IPv6 goes to Ipv6Ranges)
  std::string description;
  bool Ipv6() const { return cidr.find(':') != std::string::npos; }
  std::string Key() const;     // "tcp 22-22 0.0.0.0/0": what the diff compares
  std::string Label() const;   // the same, for people ("tcp 22 from 0.0.0.0/0")
};
// The rules of one direction of an EC2 group as described by DescribeSecurityGroups
// (<ipPermissions> or <ipPermissionsEgress>), one Ec2Rule per CIDR.
std::vector<Ec2Rule> Ec2RulesFromXml(const XmlNode& permissions);
// Adds "IpPermissions.N.…" parameters for `rules` (IpRanges for IPv4, Ipv6Ranges for IPv6).
void AddIpPermissions(const std::vector<Ec2Rule>& rules, std::vector<std::pair<std::string, std::string>>& params);
struct RuleDiff {
  std::vector<Ec2Rule> missing;  // in Wharf, not on EC2: authorize
  std::vector<Ec2Rule> extra;    // on EC2, not in Wharf: revoke
};
RuleDiff DiffRules(const std::vector<Ec2Rule>& wanted, const std::vector<Ec2Rule>& actual);

}  // namespace wharf::integrations
