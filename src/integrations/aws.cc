#include "integrations/aws.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <regex>
#include <thread>

#include "base/strings.h"
#include "http_client/http.h"
#include "http_client/sigv4.h"

namespace wharf::integrations {

namespace sigv4 = http_client::sigv4;


// ---------------------------------------------------------------- endpoints and regions

namespace {

const std::vector<std::string>& KnownRegions() {
  static const std::vector<std::string> r = {
      "us-east-1",      "us-east-2",      "us-west-1",      "us-west-2",      "af-south-1",     "ap-east-1",
      "ap-east-2",      "ap-south-1",     "ap-south-2",     "ap-southeast-1", "ap-southeast-2", "ap-southeast-3",
      "ap-southeast-4", "ap-southeast-5", "ap-southeast-7", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
      "ca-central-1",   "ca-west-1",      "eu-central-1",   "eu-central-2",   "eu-west-1",      "eu-west-2",
      "eu-west-3",      "eu-south-1",     "eu-south-2",     "eu-north-1",     "il-central-1",   "me-south-1",
      "me-central-1",   "mx-central-1",   "sa-east-1",      "us-gov-east-1",  "us-gov-west-1",  "cn-north-1",
      "cn-northwest-1"};
  return r;
}

std::string Replace(std::string s, std::string_view from, std::string_view to) {
  for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size())) s.replace(p, from.size(), to);
  return s;
}

std::string FormEncode(const std::vector<std::pair<std::string, std::string>>& params) {
  std::string out;
  for (const auto& [k, v] : params) {
    if (!out.empty()) out += '&';
    out += sigv4::UriEncode(k, false) + "=" + sigv4::UriEncode(v, false);
  }
  return out;
}

std::string HostOfUrl(std::string_view url) {
  auto p = url.find("://");
  std::string_view rest = p == std::string_view::npos ? url : url.substr(p + 3);
  return std::string(rest.substr(0, rest.find('/')));
}

void Wipe(std::string& s) {
  volatile char* p = s.data();
  for (size_t i = 0; i < s.size(); ++i) p[i] = 0;
}

Timestamp SystemNow() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool IsOptInRegion(std::string_view r) {
  static const std::vector<std::string> opt_in = {"af-south-1",   "ap-east-1",    "ap-east-2",      "ap-south-2",
                                                   "ap-southeast-3", "ap-southeast-4", "ap-southeast-5", "ap-southeast-7",
                                                   "ca-west-1",    "eu-central-2", "eu-south-1",     "eu-south-2",
                                                   "il-central-1", "me-central-1", "me-south-1",     "mx-central-1"};
  return std::find(opt_in.begin(), opt_in.end(), r) != opt_in.end();
}

bool EndsWithNotFound(std::string_view code) {
  return code.ends_with(".NotFound") || code.ends_with(".Malformed");
}

bool IsThrottle(std::string_view code) {
  return code == "RequestLimitExceeded" || code == "Throttling" || code == "ThrottlingException" ||
         code == "TooManyRequestsException";
}

}  // namespace

bool IsKnownAwsRegion(std::string_view region) {
  const auto& r = KnownRegions();
  return std::find(r.begin(), r.end(), region) != r.end();
}

bool IsAwsRegionName(std::string_view region) {
  static const std::regex re("^[a-z]{2}(-gov|-iso[a-z]?)?-(north|south|east|west|central|northeast|southeast|"
                             "northwest|southwest)-[0-9]{1,2}$");
  return region.size() <= 30 && std::regex_match(region.begin(), region.end(), re);
}

std::string AwsEndpoint(std::string_view service, std::string_view region, std::string_view override_url) {
  if (!override_url.empty()) {
    std::string u = Replace(Replace(std::string(override_url), "{service}", service), "{region}", region);
    while (!u.empty() && u.back() == '/') u.pop_back();
    return u;
  }
  const bool china = StartsWith(region, "cn-");
  return "https://" + std::string(service) + "." + std::string(region) + (china ? ".amazonaws.com.cn" : ".amazonaws.com");
}

Result<AwsReply> AwsCall(const AwsTarget& t, std::string_view service,
                         std::vector<std::pair<std::string, std::string>> params) {
  params.emplace_back("Version", service == "sts" ? "2011-06-15" : "2016-11-15");
  const std::string base = AwsEndpoint(service, t.region, t.endpoint_override);
  const std::string host = HostOfUrl(base);
  std::string path = "/";
  if (auto slash = base.find('/', base.find("://") + 3); slash != std::string::npos) path = base.substr(slash) + "/";
  const std::string body = FormEncode(params);
  AwsReply reply;
  reply.host = host;
  for (size_t attempt = 0;; ++attempt) {
    sigv4::Request req{"POST", path,
                       {{"Host", host}, {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}},
                       body};
    sigv4::Credentials creds{t.access_key_id, t.secret ? t.secret->Clone() : SecretBytes(),
                             t.session_token ? std::string(t.session_token->view()) : std::string()};
    sigv4::Params sp{.region = t.region, .service = std::string(service), .time = t.now ? t.now() : SystemNow()};
    sigv4::Signed s = sigv4::SignHeaders(req, creds, sp);
    Wipe(creds.session_token);
    http_client::HttpCall call{.method = "POST", .url = base + "/"};
    call.headers = s.request.headers;
    call.body = body;
    call.timeout_ms = t.timeout_ms;
    call.connect_timeout_ms = t.connect_timeout_ms;
    call.user_agent = "wharf/0.1 (aws)";
    call.address_allowed = t.address_allowed;
    call.layer = Layer::kAwsIam;
    auto r = http_client::Fetch(call);
    for (auto& [k, v] : call.headers) Wipe(v);
    for (auto& [k, v] : s.request.headers) Wipe(v);
    if (!r) return tl::unexpected(r.error());
    reply.status = r->status;
    reply.body = std::move(r->body);
    reply.attempts = static_cast<int>(attempt) + 1;
    reply.error = {};
    reply.root = {};
    if (auto x = ParseXml(reply.body)) reply.root = std::move(*x);
    if (reply.status < 200 || reply.status >= 300) {
      reply.error = ParseAwsError(reply.root, reply.status);
      if (IsThrottle(reply.error.code) && attempt < t.backoff_ms.size()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(t.backoff_ms[attempt]));
        continue;
      }
    }
    return reply;
  }
}

// ---------------------------------------------------------------- error mapping

AwsError ParseAwsError(const XmlNode& root, int http_status) {
  AwsError e;
  if (const XmlNode* code = root.Find("Code")) {
    e.code = code->text;
    const XmlNode* err = root.Find("Error");
    e.message = err ? err->ChildText("Message") : std::string();
  } else {
    e.code = "HTTP" + std::to_string(http_status);
    e.message = "HTTP " + std::to_string(http_status) + " without an AWS error document";
  }
  if (const XmlNode* id = root.Find("RequestID")) e.request_id = id->text;
  else if (const XmlNode* id2 = root.Find("RequestId")) e.request_id = id2->text;
  return e;
}

AwsFailure MapAwsError(const AwsError& e, int http_status, std::string_view service, std::string_view action,
                       std::string_view region) {
  const std::string op = std::string(service) + ":" + std::string(action);
  const std::string said = e.code + ": " + e.message + (e.request_id.empty() ? "" : " (request id " + e.request_id + ")");
  const std::string& c = e.code;
  AwsFailure f{"aws_iam", {}, {}, true};
  if (c == "InvalidClientTokenId" || c == "InvalidAccessKeyId") {
    f.message = "AWS does not know this access key id in " + std::string(region) + ": " + said;
    f.fix = "The key was deleted, deactivated or mistyped, or belongs to another partition (China, GovCloud). "
            "Create a new access key for the IAM user in the IAM console (Security credentials), then update this "
            "cloud account's access key id and secret." +
            (IsOptInRegion(region) ? " Or the region " + std::string(region) +
                                         " is an opt-in region not enabled for the account: enable it under Account → "
                                         "AWS Regions, or use another region."
                                   : std::string());
  } else if (c == "SignatureDoesNotMatch") {
    f.message = "AWS refused the request signature: " + said;
    f.fix = "The secret access key does not belong to this access key id (pasted wrong or rotated), or the server's "
            "clock is off by more than 5 minutes. Paste the secret again; check the clock (timedatectl).";
  } else if (c == "ExpiredToken" || c == "ExpiredTokenException" || c == "RequestExpired") {
    f.message = c == "RequestExpired" ? "AWS says the request's time stamp is too old: " + said
                                      : "The session token expired: " + said;
    f.fix = c == "RequestExpired"
                ? "Temporary (ASIA…) credentials whose session ended get this from EC2: refresh the session token. "
                  "Otherwise check the Wharf server's clock (timedatectl); AWS allows 5 minutes of skew."
                : "Temporary (ASIA…) credentials last from 15 minutes to 36 hours. Get fresh ones (aws sts "
                  "get-session-token or assume-role) and update the access key id, secret and session token — or use a "
                  "long-term (AKIA…) key of an IAM user for Wharf.";
  } else if (c == "UnauthorizedOperation" || c == "AccessDenied" || c == "AccessDeniedException" ||
             c == "UnauthorizedAccess") {
    f.credential_level = false;
    f.message = "The IAM principal may not call " + op + ": " + said;
    f.fix = "Allow the IAM action " + op + " in a policy attached to this user or role (docs/integrations.md lists "
            "the policy Wharf needs). If the policy already allows it, a Service Control Policy or permissions "
            "boundary denies it, or the keys belong to another account than you think (verify shows the account).";
  } else if (c == "AuthFailure") {
    f.message = "AWS could not validate the credentials in " + std::string(region) + ": " + said;
    f.fix = "If " + std::string(region) + " is an opt-in region, enable it for the account (Account → AWS Regions) or "
            "choose another region; otherwise the key is inactive or the secret is wrong: create a new access key.";
  } else if (c == "OptInRequired") {
    f.message = "The account is not subscribed to " + std::string(service) + " in " + std::string(region) + ": " + said;
    f.fix = "Finish the account's sign-up (payment method, verification), or enable the region " + std::string(region) +
            " under Account → AWS Regions; then verify again.";
  } else if (c == "RequestLimitExceeded" || c == "Throttling" || c == "ThrottlingException" ||
             c == "TooManyRequestsException") {
    f.message = "AWS throttled " + op + " after Wharf retried with backoff: " + said;
    f.fix = "Another tool is using up the account's EC2 API request quota in " + std::string(region) +
            ". Wait a minute and verify again (Wharf retries with exponential backoff); ask AWS Support for a higher "
            "API rate if it persists.";
  } else if (c == "DependencyViolation") {
    f.credential_level = false;
    f.message = "EC2 refused " + op + ": the group is still in use: " + said;
    f.fix = "Detach the security group from every instance and network interface that uses it (EC2 console → Network "
            "interfaces, filter by the group id), then try again.";
  } else if (c == "InvalidRegion" || c == "UnknownEndpoint" || c == "RegionDisabledException") {
    f.message = "The region " + std::string(region) + " is not usable for this account: " + said;
    f.fix = "Use a region enabled for the account, such as us-east-1, or enable " + std::string(region) +
            " under Account → AWS Regions.";
  } else if (http_status >= 500) {
    f.layer = "network";
    f.credential_level = false;
    f.message = "AWS answered " + op + " with HTTP " + std::to_string(http_status) + ": " + said;
    f.fix = "A temporary AWS fault: check the AWS Health Dashboard for " + std::string(region) + ", then retry.";
  } else {
    f.credential_level = false;
    f.message = "AWS refused " + op + ": " + said;
    f.fix = "See AWS's message; docs/troubleshooting/integrations.md lists the common codes.";
  }
  return f;
}

AwsFailure MapAwsNetworkFailure(const Error& e, std::string_view service, std::string_view region,
                                std::string_view host) {
  AwsFailure f{"network", {}, {}, true};
  const std::string& m = e.message;
  const std::string h(host);
  if (e.code == ErrorCode::kValidationFailed) {
    f.message = m;
    f.fix = "Start wharf with --allow-private-targets only if AWS really is reached through a private address.";
    return f;
  }
  if (m.find("resolve host") != std::string::npos || m.find("resolve") != std::string::npos) {
    if (!IsKnownAwsRegion(region)) {
      f.message = "Wrong region? " + h + " does not resolve, and '" + std::string(region) +
                  "' is not a region AWS has announced (" + m + ")";
      f.fix = "Check the region name (e.g. eu-west-1, us-east-1) and update the cloud account's region.";
    } else {
      f.message = "DNS failure: " + h + " (the " + std::string(service) + " endpoint for " + std::string(region) +
                  ") does not resolve from the Wharf server (" + m + ")";
      f.fix = "Check the Wharf server's DNS resolver (/etc/resolv.conf) and outbound network.";
    }
  } else if (m.find("Couldn't connect") != std::string::npos || m.find("connect") != std::string::npos) {
    f.message = "Connection refused or unreachable: " + h + " (" + m + ")";
    f.fix = "Allow outbound HTTPS (TCP 443) from the Wharf server to *.amazonaws.com (firewall, proxy, security "
            "group egress), then verify again.";
  } else if (m.find("Timeout") != std::string::npos || m.find("timed out") != std::string::npos) {
    f.message = "Timed out talking to " + h + " (" + m + ")";
    f.fix = "Outbound HTTPS to *.amazonaws.com is filtered or very slow: check the firewall, proxy and routes.";
  } else {
    f.message = "No answer from " + h + ": " + m;
    f.fix = "Check that the Wharf server can reach " + h + " over HTTPS.";
  }
  return f;
}

// ---------------------------------------------------------------- verify

const std::vector<std::string>& AwsRequiredActions() {
  static const std::vector<std::string> a = {
      "sts:GetCallerIdentity",         "ec2:DescribeSecurityGroups",       "ec2:DescribeInstances",
      "ec2:RunInstances",              "ec2:CreateSecurityGroup",          "ec2:AuthorizeSecurityGroupIngress",
      "ec2:RevokeSecurityGroupIngress", "ec2:AuthorizeSecurityGroupEgress", "ec2:RevokeSecurityGroupEgress",
      "ec2:DeleteSecurityGroup",       "ec2:CreateTags"};
  return a;
}

AwsVerifyResult VerifyAwsAccount(const AwsTarget& t) {
  AwsVerifyResult out;
  Report& r = out.report;
  const auto& actions = AwsRequiredActions();
  size_t done = 0;
  auto skip_rest = [&] {
    for (size_t i = done; i < actions.size(); ++i) r.Add(actions[i], "skipped", "Not run: an earlier check failed.");
  };
  auto fail = [&](const std::string& name, const AwsFailure& f) {
    r.Fail(name, f.layer, f.message, f.fix);
    ++done;
  };

  // 1. Who is this?
  auto id = AwsCall(t, "sts", {{"Action", "GetCallerIdentity"}});
  if (!id) {
    fail("sts:GetCallerIdentity", MapAwsNetworkFailure(id.error(), "sts", t.region, HostOfUrl(AwsEndpoint("sts", t.region, t.endpoint_override))));
    skip_rest();
    return out;
  }
  if (!id->error.code.empty()) {
    auto f = MapAwsError(id->error, id->status, "sts", "GetCallerIdentity", t.region);
    out.token_expired = id->error.code == "ExpiredToken";
    fail("sts:GetCallerIdentity", f);
    skip_rest();
    return out;
  }
  const XmlNode* res = id->root.Find("GetCallerIdentityResult");
  if (res) out.identity = {res->ChildText("Account"), res->ChildText("Arn"), res->ChildText("UserId")};
  r.Add("sts:GetCallerIdentity", "passed",
        "Signed in as " + out.identity.arn + " (account " + out.identity.account + ") through " + id->host + ".");
  ++done;

  // 2. A real read: the security groups (drift needs it), and the VPC's default group for the dry runs.
  auto d = AwsCall(t, "ec2", {{"Action", "DescribeSecurityGroups"}, {"Filter.1.Name", "group-name"},
                              {"Filter.1.Value.1", "default"}});
  std::string default_group;
  if (!d) {
    fail("ec2:DescribeSecurityGroups", MapAwsNetworkFailure(d.error(), "ec2", t.region, HostOfUrl(AwsEndpoint("ec2", t.region, t.endpoint_override))));
    skip_rest();
    return out;
  }
  if (!d->error.code.empty()) {
    auto f = MapAwsError(d->error, d->status, "ec2", "DescribeSecurityGroups", t.region);
    fail("ec2:DescribeSecurityGroups", f);
    if (f.credential_level) {
      skip_rest();
      return out;
    }
  } else {
    auto groups = d->root.Items("securityGroupInfo");
    if (!groups.empty()) default_group = groups.front()->ChildText("groupId");
    r.Add("ec2:DescribeSecurityGroups", "passed",
          "Read the security groups in " + t.region + (d->attempts > 1 ? " (after " + std::to_string(d->attempts - 1) + " throttled retries)" : "") +
              (default_group.empty() ? "; no default VPC group was found." : "; the default VPC group is " + default_group + "."));
    ++done;
  }

  // 3. Dry runs: DryRunOperation means the call would have been allowed; nothing changes.
  const std::string group = default_group.empty() ? "sg-00000000000000000" : default_group;
  using P = std::vector<std::pair<std::string, std::string>>;
  const std::vector<std::pair<std::string, P>> runs = {
      {"DescribeInstances", {{"MaxResults", "5"}}},
      {"RunInstances", {{"ImageId", "ami-00000000000000000"}, {"InstanceType", "t3.micro"}, {"MinCount", "1"}, {"MaxCount", "1"}}},
      {"CreateSecurityGroup", {{"GroupName", "wharf-verify-dry-run"}, {"GroupDescription", "Wharf verify (dry run)"}}},
      {"AuthorizeSecurityGroupIngress", {{"GroupId", group}, {"IpPermissions.1.IpProtocol", "tcp"}, {"IpPermissions.1.FromPort", "22"},
                                         {"IpPermissions.1.ToPort", "22"}, {"IpPermissions.1.IpRanges.1.CidrIp", "192.0.2.1/32"}}},
      {"RevokeSecurityGroupIngress", {{"GroupId", group}, {"IpPermissions.1.IpProtocol", "tcp"}, {"IpPermissions.1.FromPort", "22"},
                                      {"IpPermissions.1.ToPort", "22"}, {"IpPermissions.1.IpRanges.1.CidrIp", "192.0.2.1/32"}}},
      {"AuthorizeSecurityGroupEgress", {{"GroupId", group}, {"IpPermissions.1.IpProtocol", "tcp"}, {"IpPermissions.1.FromPort", "443"},
                                        {"IpPermissions.1.ToPort", "443"}, {"IpPermissions.1.IpRanges.1.CidrIp", "192.0.2.1/32"}}},
      {"RevokeSecurityGroupEgress", {{"GroupId", group}, {"IpPermissions.1.IpProtocol", "tcp"}, {"IpPermissions.1.FromPort", "443"},
                                     {"IpPermissions.1.ToPort", "443"}, {"IpPermissions.1.IpRanges.1.CidrIp", "192.0.2.1/32"}}},
      {"DeleteSecurityGroup", {{"GroupId", group}}},
      {"CreateTags", {{"ResourceId.1", group}, {"Tag.1.Key", "wharf:verify"}, {"Tag.1.Value", "dry-run"}}},
  };
  for (const auto& [action, extra] : runs) {
    P params = {{"Action", action}, {"DryRun", "true"}};
    params.insert(params.end(), extra.begin(), extra.end());
    const std::string name = "ec2:" + action;
    auto reply = AwsCall(t, "ec2", params);
    if (!reply) {
      fail(name, MapAwsNetworkFailure(reply.error(), "ec2", t.region, HostOfUrl(AwsEndpoint("ec2", t.region, t.endpoint_override))));
      skip_rest();
      return out;
    }
    const std::string& code = reply->error.code;
    if (code == "DryRunOperation") {
      r.Add(name, "passed", "Allowed (EC2 DryRun answered DryRunOperation)" +
                                (reply->attempts > 1 ? " after " + std::to_string(reply->attempts - 1) + " throttled retries." : std::string(".")));
      ++done;
      continue;
    }
    if (code.empty()) {
      r.Add(name, "passed", "Allowed (EC2 accepted the call).");
      ++done;
      continue;
    }
    if (EndsWithNotFound(code)) {
      r.Add(name, "skipped",
            "Not decided: EC2 checked the placeholder parameters before the permission (" + code + ": " +
                reply->error.message + "). Sync a security group to exercise it for real.");
      ++done;
      continue;
    }
    auto f = MapAwsError(reply->error, reply->status, "ec2", action, t.region);
    fail(name, f);
    if (f.credential_level) {
      skip_rest();
      return out;
    }
  }
  return out;
}

// ---------------------------------------------------------------- security groups

std::string Ec2Rule::Key() const {
  return protocol + " " + std::to_string(from_port) + "-" + std::to_string(to_port) + " " + cidr;
}

std::string Ec2Rule::Label() const {
  std::string ports;
  if (protocol == "tcp" || protocol == "udp")
    ports = from_port == to_port ? " " + std::to_string(from_port)
                                 : " " + std::to_string(from_port) + "-" + std::to_string(to_port);
  return (protocol == "-1" ? std::string("all") : protocol) + ports + " " + cidr;
}

std::vector<Ec2Rule> Ec2RulesFromXml(const XmlNode& perms) {
  std::vector<Ec2Rule> out;
  for (const XmlNode& item : perms.children) {
    if (item.name != "item") continue;
    Ec2Rule base;
    base.protocol = item.ChildText("ipProtocol");
    const std::string from = item.ChildText("fromPort"), to = item.ChildText("toPort");
    base.from_port = from.empty() ? -1 : std::atoi(from.c_str());
    base.to_port = to.empty() ? -1 : std::atoi(to.c_str());
    if (base.protocol == "-1") base.from_port = base.to_port = -1;
    for (const XmlNode* r : item.Items("ipRanges")) {
      Ec2Rule x = base;
      x.cidr = r->ChildText("cidrIp");
      x.description = r->ChildText("description");
      out.push_back(std::move(x));
    }
    for (const XmlNode* r : item.Items("ipv6Ranges")) {
      Ec2Rule x = base;
      x.cidr = r->ChildText("cidrIpv6");
      x.description = r->ChildText("description");
      out.push_back(std::move(x));
    }
  }
  return out;
}

void AddIpPermissions(const std::vector<Ec2Rule>& rules, std::vector<std::pair<std::string, std::string>>& params) {
  int n = 0;
  for (const Ec2Rule& r : rules) {
    const std::string p = "IpPermissions." + std::to_string(++n) + ".";
    params.emplace_back(p + "IpProtocol", r.protocol);
    if (r.protocol != "-1") {
      params.emplace_back(p + "FromPort", std::to_string(r.from_port));
      params.emplace_back(p + "ToPort", std::to_string(r.to_port));
    }
    const std::string range = r.Ipv6() ? p + "Ipv6Ranges.1." : p + "IpRanges.1.";
    params.emplace_back(range + (r.Ipv6() ? "CidrIpv6" : "CidrIp"), r.cidr);
    if (!r.description.empty()) params.emplace_back(range + "Description", r.description);
  }
}

RuleDiff DiffRules(const std::vector<Ec2Rule>& wanted, const std::vector<Ec2Rule>& actual) {
  RuleDiff d;
  auto has = [](const std::vector<Ec2Rule>& v, const Ec2Rule& r) {
    return std::any_of(v.begin(), v.end(), [&](const Ec2Rule& x) { return x.Key() == r.Key(); });
  };
  for (const auto& w : wanted)
    if (!has(actual, w) && !has(d.missing, w)) d.missing.push_back(w);
  for (const auto& a : actual)
    if (!has(wanted, a) && !has(d.extra, a)) d.extra.push_back(a);
  return d;
}

}  // namespace wharf::integrations
