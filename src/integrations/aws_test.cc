#include "integrations/aws.h"

#include <gtest/gtest.h>

namespace wharf::integrations {
namespace {

// Error documents in the shapes AWS sends them (STS: <ErrorResponse>, EC2: <Response><Errors>).
constexpr const char* kStsInvalidKey = R"(<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <Error>
    <Type>Sender</Type>
    <Code>InvalidClientTokenId</Code>
    <Message>The security token included in the request is invalid.</Message>
  </Error>
  <RequestId>4e7e1e4a-1a2b-4c3d-8e9f-0a1b2c3d4e5f</RequestId>
</ErrorResponse>)";

constexpr const char* kEc2Unauthorized = R"(<?xml version="1.0" encoding="UTF-8"?>
<Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>You are not authorized to perform this operation. User: arn:aws:iam::123456789012:user/wharf is not authorized to perform: ec2:RunInstances because no identity-based policy allows the ec2:RunInstances action</Message></Error></Errors><RequestID>a1b2c3d4-e5f6-7a8b-9c0d-ef1234567890</RequestID></Response>)";

AwsError Parse(const char* xml, int status) {
  auto root = ParseXml(xml);
  EXPECT_TRUE(root.has_value());
  return ParseAwsError(*root, status);
}

TEST(AwsXml, ParsesStsAndEc2ErrorDocuments) {
  AwsError sts = Parse(kStsInvalidKey, 403);
  EXPECT_EQ(sts.code, "InvalidClientTokenId");
  EXPECT_EQ(sts.message, "The security token included in the request is invalid.");
  EXPECT_EQ(sts.request_id, "4e7e1e4a-1a2b-4c3d-8e9f-0a1b2c3d4e5f");
  AwsError ec2 = Parse(kEc2Unauthorized, 403);
  EXPECT_EQ(ec2.code, "UnauthorizedOperation");
  EXPECT_EQ(ec2.request_id, "a1b2c3d4-e5f6-7a8b-9c0d-ef1234567890");
  auto html = ParseXml("<html><body>Bad gateway</body></html>");
  ASSERT_TRUE(html.has_value());
  EXPECT_EQ(ParseAwsError(*html, 502).code, "HTTP502");
}

TEST(AwsXml, DecodesEntitiesAndRejectsBrokenDocuments) {
  auto x = ParseXml("<a><b>x &amp; y &lt;z&gt; &#65;</b><c/></a>");
  ASSERT_TRUE(x.has_value());
  EXPECT_EQ(x->ChildText("b"), "x & y <z> A");
  EXPECT_NE(x->Child("c"), nullptr);
  EXPECT_FALSE(ParseXml("<a><b></a>").has_value());
  EXPECT_FALSE(ParseXml("<a>").has_value());
  EXPECT_FALSE(ParseXml("").has_value());
}

TEST(AwsMapping, EachCodeGetsItsLayerAndHint) {
  struct Case {
    const char* code;
    int status;
    const char* layer;
    const char* says;
    bool credential_level;
  };
  const Case cases[] = {
      {"InvalidClientTokenId", 403, "aws_iam", "does not know this access key id", true},
      {"SignatureDoesNotMatch", 403, "aws_iam", "refused the request signature", true},
      {"ExpiredToken", 403, "aws_iam", "session token expired", true},
      {"UnauthorizedOperation", 403, "aws_iam", "may not call ec2:RunInstances", false},
      {"AccessDenied", 403, "aws_iam", "may not call ec2:RunInstances", false},
      {"AuthFailure", 401, "aws_iam", "could not validate the credentials in eu-west-1", true},
      {"OptInRequired", 401, "aws_iam", "not subscribed", true},
      {"RequestLimitExceeded", 503, "aws_iam", "throttled ec2:RunInstances after Wharf retried with backoff", true},
      {"InternalError", 500, "network", "HTTP 500", false},
  };
  for (const auto& c : cases) {
    AwsFailure f = MapAwsError({c.code, "m", "req-1"}, c.status, "ec2", "RunInstances", "eu-west-1");
    EXPECT_EQ(f.layer, c.layer) << c.code;
    EXPECT_NE(f.message.find(c.says), std::string::npos) << c.code << ": " << f.message;
    EXPECT_NE(f.message.find(c.code), std::string::npos) << "AWS's code is quoted: " << f.message;
    EXPECT_FALSE(f.fix.empty()) << c.code;
    EXPECT_EQ(f.credential_level, c.credential_level) << c.code;
  }
  // The missing IAM action is named in the fix too.
  EXPECT_NE(MapAwsError({"UnauthorizedOperation", "", ""}, 403, "ec2", "CreateTags", "us-east-1").fix.find("ec2:CreateTags"),
            std::string::npos);
}

TEST(AwsMapping, NetworkFailuresAreToldApart) {
  Error dns{ErrorCode::kUnavailable, "Cannot reach ec2.us-east-7.amazonaws.com: Couldn't resolve host name. Check", {}, Layer::kNetwork};
  AwsFailure wrong_region = MapAwsNetworkFailure(dns, "ec2", "us-east-7", "ec2.us-east-7.amazonaws.com");
  EXPECT_EQ(wrong_region.layer, "network");
  EXPECT_NE(wrong_region.message.find("Wrong region?"), std::string::npos);
  AwsFailure dns_down = MapAwsNetworkFailure(dns, "ec2", "us-east-1", "ec2.us-east-1.amazonaws.com");
  EXPECT_NE(dns_down.message.find("DNS failure"), std::string::npos);
  Error refused{ErrorCode::kUnavailable, "Cannot reach h: Couldn't connect to server. Check", {}, Layer::kNetwork};
  EXPECT_NE(MapAwsNetworkFailure(refused, "ec2", "us-east-1", "h").message.find("Connection refused"), std::string::npos);
  Error timeout{ErrorCode::kUnavailable, "Cannot reach h: Timeout was reached. Check", {}, Layer::kNetwork};
  EXPECT_NE(MapAwsNetworkFailure(timeout, "ec2", "us-east-1", "h").message.find("Timed out"), std::string::npos);
}

TEST(AwsEndpoints, ProductionUsesTheRegionalEndpoints) {
  EXPECT_EQ(AwsEndpoint("sts", "eu-west-1", ""), "https://sts.eu-west-1.amazonaws.com");
  EXPECT_EQ(AwsEndpoint("ec2", "us-east-2", ""), "https://ec2.us-east-2.amazonaws.com");
  EXPECT_EQ(AwsEndpoint("ec2", "cn-north-1", ""), "https://ec2.cn-north-1.amazonaws.com.cn");
  EXPECT_EQ(AwsEndpoint("ec2", "eu-west-1", "http://127.0.0.1:9000/"), "http://127.0.0.1:9000");
  EXPECT_EQ(AwsEndpoint("ec2", "eu-west-1", "http://{service}.{region}.test:9"), "http://ec2.eu-west-1.test:9");
  EXPECT_TRUE(IsAwsRegionName("us-gov-west-1"));
  EXPECT_TRUE(IsAwsRegionName("eu-west-9"));
  EXPECT_FALSE(IsKnownAwsRegion("eu-west-9"));
  EXPECT_FALSE(IsAwsRegionName("EU-WEST-1"));
  EXPECT_FALSE(IsAwsRegionName("europe"));
}

TEST(AwsRules, DescribedPermissionsDiffAgainstWharfsRules) {
  auto x = ParseXml(R"(<DescribeSecurityGroupsResponse><securityGroupInfo><item><groupId>sg-1</groupId>
    <ipPermissions><item><ipProtocol>tcp</ipProtocol><fromPort>22</fromPort><toPort>22</toPort>
      <ipRanges><item><cidrIp>0.0.0.0/0</cidrIp><description>ssh</description></item></ipRanges>
      <ipv6Ranges><item><cidrIpv6>::/0</cidrIpv6></item></ipv6Ranges></item></ipPermissions>
    <ipPermissionsEgress><item><ipProtocol>-1</ipProtocol><ipRanges><item><cidrIp>0.0.0.0/0</cidrIp></item></ipRanges></item></ipPermissionsEgress>
  </item></securityGroupInfo></DescribeSecurityGroupsResponse>)");
  ASSERT_TRUE(x.has_value());
  const XmlNode* g = x->Items("securityGroupInfo").at(0);
  auto in = Ec2RulesFromXml(*g->Child("ipPermissions"));
  ASSERT_EQ(in.size(), 2u);
  EXPECT_EQ(in[0].Key(), "tcp 22-22 0.0.0.0/0");
  EXPECT_EQ(in[1].Key(), "tcp 22-22 ::/0");
  EXPECT_TRUE(in[1].Ipv6());
  auto eg = Ec2RulesFromXml(*g->Child("ipPermissionsEgress"));
  ASSERT_EQ(eg.size(), 1u);
  EXPECT_EQ(eg[0].Key(), "-1 -1--1 0.0.0.0/0");

  std::vector<Ec2Rule> wanted = {{"tcp", 22, 22, "0.0.0.0/0", ""}, {"tcp", 443, 443, "2001:db8::/32", "web"}};
  RuleDiff d = DiffRules(wanted, in);
  ASSERT_EQ(d.missing.size(), 1u);
  EXPECT_EQ(d.missing[0].Label(), "tcp 443 2001:db8::/32");
  ASSERT_EQ(d.extra.size(), 1u);
  EXPECT_EQ(d.extra[0].cidr, "::/0");

  std::vector<std::pair<std::string, std::string>> params;
  AddIpPermissions(d.missing, params);
  std::vector<std::pair<std::string, std::string>> want = {{"IpPermissions.1.IpProtocol", "tcp"},
                                                           {"IpPermissions.1.FromPort", "443"},
                                                           {"IpPermissions.1.ToPort", "443"},
                                                           {"IpPermissions.1.Ipv6Ranges.1.CidrIpv6", "2001:db8::/32"},
                                                           {"IpPermissions.1.Ipv6Ranges.1.Description", "web"}};
  EXPECT_EQ(params, want);
}

}  // namespace
}  // namespace wharf::integrations
