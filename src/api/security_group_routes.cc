// Security groups and their sync to EC2.
#include "api/routes.h"

#include "api/body.h"
#include "api/schema.h"

namespace wharf::api {

namespace {

json RuleJson(const domain::SecurityRule& r) {
  json j = {{"type", r.type}, {"protocol", r.protocol}, {"source", r.source}, {"description", r.description}};
  if (r.protocol == "tcp" || r.protocol == "udp") {
    j["from_port"] = r.from_port;
    j["to_port"] = r.to_port;
  }
  return j;
}

json SecurityGroupJson(const services::SecurityGroupView& v) {
  const auto& g = v.group;
  json in = json::array(), out = json::array();
  for (auto& r : g.inbound) in.push_back(RuleJson(r));
  for (auto& r : g.outbound) out.push_back(RuleJson(r));
  json j = {{"id", g.id}, {"name", g.name}, {"description", g.description}, {"inbound", in}, {"outbound", out},
            {"server_ids", v.server_ids}, {"created_at", Time(g.created_at)}, {"updated_at", Time(g.updated_at)},
            {"created_by", g.created_by}};
  if (!v.warnings.empty()) j["warnings"] = v.warnings;
  return j;
}

json Ec2LinkJson(const domain::Integration& l) {
  return {{"security_group_id", l.Field("security_group_id")}, {"cloud_account_id", l.Field("cloud_account_id")},
          {"region", l.Field("region")}, {"vpc_id", l.Field("vpc_id")}, {"ec2_group_id", l.Field("ec2_group_id")},
          {"last_synced_at", l.Field("last_synced_at").empty() ? json() : json(l.Field("last_synced_at"))},
          {"created_at", Time(l.created_at)}};
}

}  // namespace

void AddSecurityGroupRoutes(Router& rt) {
  using A = AuthMode;
  auto& s = rt.svc();
  // --- security groups ---
  {
    using namespace oas;
    json rule = Object({{"type", String("ssh, https, custom-tcp, all-traffic, ...")},
                        {"protocol", Enum({"tcp", "udp", "icmp", "all"})}, {"from_port", Integer()},
                        {"to_port", Integer()}, {"source", String("A CIDR")}, {"description", String()}},
                       {"from_port", "to_port"});
    rt.AddSchema("SecurityRule", rule);
    rt.AddSchema("SecurityGroup", Object({{"id", String()}, {"name", String()}, {"description", String()},
                                          {"inbound", Array(Ref("SecurityRule"))}, {"outbound", Array(Ref("SecurityRule"))},
                                          {"server_ids", Array(String())}, {"created_at", Time()}, {"updated_at", Time()},
                                          {"created_by", String()}, {"warnings", Array(String())}},
                                         {"warnings"}));
  }
  const json rule_in = oas::Object({{"type", oas::String("ssh, https, custom-tcp, custom-udp, all-traffic, ...")},
                                    {"protocol", oas::String()}, {"from_port", oas::Integer()}, {"to_port", oas::Integer()},
                                    {"source", oas::String("A CIDR such as 203.0.113.0/24")}, {"description", oas::String()}},
                                   {"protocol", "from_port", "to_port", "source", "description"});
  const Fields group_fields = {Str("name", 200).Example("web"), Str("description", 1000),
                               Any("inbound", oas::Array(rule_in)), Any("outbound", oas::Array(rule_in))};
  auto parse_rules = [](const Body& b, const char* field) -> Result<std::optional<std::vector<domain::RuleInput>>> {
    if (!b.Has(field)) return std::optional<std::vector<domain::RuleInput>>();
    const json& a = b.Raw(field);
    if (!a.is_array()) return FieldError(field, "must be a list of rules");
    std::vector<domain::RuleInput> out;
    for (size_t i = 0; i < a.size(); ++i) {
      std::string f = std::string(field) + "[" + std::to_string(i) + "]";
      const json& r = a[i];
      if (!r.is_object()) return FieldError(f, "must be an object {type, source, ...}");
      domain::RuleInput in;
      for (auto& [k, v] : r.items()) {
        if (k == "type" || k == "source" || k == "description" || k == "protocol") {
          if (!v.is_string()) return FieldError(f + "." + k, "must be a string");
        } else if (k == "from_port" || k == "to_port") {
          if (!v.is_number_integer()) return FieldError(f + "." + k, "must be an integer port (1–65535)");
        } else {
          return FieldError(f + "." + k, "is not a known field; allowed: type, protocol, from_port, to_port, source, description");
        }
      }
      if (!r.contains("type")) return FieldError(f + ".type", "is required, e.g. \"ssh\", \"https\" or \"custom-tcp\"");
      in.type = r["type"];
      if (r.contains("protocol")) in.protocol = r["protocol"].get<std::string>();
      if (r.contains("from_port")) in.from_port = r["from_port"].get<int>();
      if (r.contains("to_port")) in.to_port = r["to_port"].get<int>();
      in.source = r.value("source", "");
      in.description = r.value("description", "");
      out.push_back(std::move(in));
    }
    return std::optional<std::vector<domain::RuleInput>>(std::move(out));
  };
  auto parse_group = [parse_rules](const Body& b) -> Result<services::SecurityGroupInput> {
    services::SecurityGroupInput in;
    WHARF_ASSIGN_OR_RETURN(in.name, b.OptString("name"));
    WHARF_ASSIGN_OR_RETURN(in.description, b.OptString("description"));
    WHARF_ASSIGN_OR_RETURN(in.inbound, parse_rules(b, "inbound"));
    WHARF_ASSIGN_OR_RETURN(in.outbound, parse_rules(b, "outbound"));
    return in;
  };
  rt.Add("GET", "/api/v1/orgs/{org}/security-groups", A::kOrg, "securityGroups", "List security groups (securityGroups.read)",
      {200, 400, 401, 403, 404}, [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(int limit, LimitParam(c.req));
        WHARF_ASSIGN_OR_RETURN(auto page, s.security_groups().ListSecurityGroups(c.p(), limit, c.req.Query("cursor"), c.ctx));
        json items = json::array();
        for (auto& g : page.items) items.push_back(SecurityGroupJson(g));
        return Json(200, {{"items", items}, {"next_cursor", page.next_cursor.empty() ? json() : json(page.next_cursor)}});
      },
      ListOf("SecurityGroup"));
  rt.Add("POST", "/api/v1/orgs/{org}/security-groups", A::kOrg, "securityGroups",
      "Create a security group (securityGroups.create)", {201, 400, 401, 403, 404, 409},
      [&s, parse_group, group_fields](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req, group_fields));
        WHARF_ASSIGN_OR_RETURN(auto in, parse_group(b));
        WHARF_ASSIGN_OR_RETURN(auto g, s.security_groups().CreateSecurityGroup(c.p(), std::move(in), c.ctx));
        return Json(201, SecurityGroupJson(g));
      },
      Ref("SecurityGroup"))
      .Request(group_fields);
  rt.Add("GET", "/api/v1/orgs/{org}/security-groups/{id}", A::kOrg, "securityGroups",
      "A security group (securityGroups.read)", {200, 401, 403, 404}, [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto g, s.security_groups().GetSecurityGroup(c.p(), c.params[1], c.ctx));
        return Json(200, SecurityGroupJson(g));
      },
      Ref("SecurityGroup"));
  rt.Add("PATCH", "/api/v1/orgs/{org}/security-groups/{id}", A::kOrg, "securityGroups",
      "Edit a security group; refused when it would close Wharf's SSH access (securityGroups.update)",
      {200, 400, 401, 403, 404, 409}, [&s, parse_group, group_fields](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req, group_fields));
        WHARF_ASSIGN_OR_RETURN(auto in, parse_group(b));
        WHARF_ASSIGN_OR_RETURN(auto g, s.security_groups().UpdateSecurityGroup(c.p(), c.params[1], std::move(in), c.ctx));
        return Json(200, SecurityGroupJson(g));
      },
      Ref("SecurityGroup"))
      .Request(group_fields);
  rt.Add("DELETE", "/api/v1/orgs/{org}/security-groups/{id}", A::kOrg, "securityGroups",
      "Delete a security group that no server uses (securityGroups.delete)", {204, 401, 403, 404, 409},
      [&s](Call& c) -> Result<HttpResponse> {
        WHARF_TRY(s.security_groups().DeleteSecurityGroup(c.p(), c.params[1], c.ctx));
        return NoContent();
      });

}

void AddEc2SyncRoutes(Router& rt) {
  using A = AuthMode;
  auto& s = rt.svc();
  // --- security groups on EC2 ---
  const Fields sync_fields = {Str("cloud_account_id", 100), Str("region", 40).Example("eu-west-1"),
                              Str("vpc_id", 40).Desc("Required on the first sync").Example("vpc-0a1b2c3d4e5f67890")};
  auto parse_sync = [](const Body& b) -> Result<services::Ec2SyncInput> {
    services::Ec2SyncInput in;
    WHARF_ASSIGN_OR_RETURN(in.cloud_account_id, b.OptString("cloud_account_id"));
    WHARF_ASSIGN_OR_RETURN(in.region, b.OptString("region"));
    WHARF_ASSIGN_OR_RETURN(in.vpc_id, b.OptString("vpc_id"));
    return in;
  };
  const json ec2_report = oas::OpenObject({{"ok", oas::Boolean()}, {"security_group_id", oas::String()},
                                           {"cloud_account_id", oas::String()}, {"region", oas::String()},
                                           {"ec2_group_id", oas::String()}, {"steps", oas::Array(Ref("Check"))}},
                                          {"security_group_id", "cloud_account_id", "region", "ec2_group_id"});
  auto query_sync = [](const HttpRequest& req) {
    services::Ec2SyncInput in;
    bool present = false;
    std::string v = req.Query("cloud_account_id", &present);
    if (present) in.cloud_account_id = v;
    v = req.Query("region", &present);
    if (present) in.region = v;
    return in;
  };
  rt.Add("POST", "/api/v1/orgs/{org}/security-groups/{id}/sync", A::kOrg, "securityGroups",
      "Sync the group to EC2 {cloud_account_id, region?, vpc_id (first sync)}: create, tag, authorize what is missing, "
      "revoke what is extra, inbound and outbound (securityGroups.update + cloudProviderAccounts.update)",
      {200, 400, 401, 403, 404}, [&s, parse_sync, sync_fields](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(Body b, Body::Parse(c.req, sync_fields));
        WHARF_ASSIGN_OR_RETURN(auto in, parse_sync(b));
        WHARF_ASSIGN_OR_RETURN(auto out, s.security_groups().SyncSecurityGroupToEc2(c.p(), c.params[1], std::move(in), c.ctx));
        return Json(200, out.report);
      },
      ec2_report)
      .Request(sync_fields, true);
  rt.Add("GET", "/api/v1/orgs/{org}/security-groups/{id}/drift", A::kOrg, "securityGroups",
      "Compare the EC2 group (DescribeSecurityGroups) with Wharf's rules: ?cloud_account_id=&region= "
      "(securityGroups.read + cloudProviderAccounts.read)",
      {200, 400, 401, 403, 404}, [&s, query_sync](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto out, s.security_groups().SecurityGroupDrift(c.p(), c.params[1], query_sync(c.req), c.ctx));
        return Json(200, out.report);
      },
      ec2_report)
      .Query("cloud_account_id", oas::String(), "The cloud account of the EC2 group")
      .Query("region", oas::String(), "The EC2 region");
  rt.Add("GET", "/api/v1/orgs/{org}/security-groups/{id}/ec2", A::kOrg, "securityGroups",
      "The EC2 groups this group was synced to, per cloud account and region (securityGroups.read)",
      {200, 401, 403, 404}, [&s](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto links, s.security_groups().ListEc2Groups(c.p(), c.params[1], c.ctx));
        json items = json::array();
        for (auto& l : links) items.push_back(Ec2LinkJson(l));
        return Json(200, {{"items", items}});
      },
      oas::Object({{"items", oas::Array(oas::Object({{"security_group_id", oas::String()}, {"cloud_account_id", oas::String()},
                                                     {"region", oas::String()}, {"vpc_id", oas::String()},
                                                     {"ec2_group_id", oas::String()}, {"last_synced_at", oas::Nullable(oas::String())},
                                                     {"created_at", oas::Time()}}))}}));
  rt.Add("DELETE", "/api/v1/orgs/{org}/security-groups/{id}/ec2", A::kOrg, "securityGroups",
      "Delete the EC2 group on AWS (DeleteSecurityGroup) for ?cloud_account_id=&region= and forget it "
      "(securityGroups.update + cloudProviderAccounts.update)",
      {200, 400, 401, 403, 404}, [&s, query_sync](Call& c) -> Result<HttpResponse> {
        WHARF_ASSIGN_OR_RETURN(auto out, s.security_groups().DeleteSecurityGroupOnEc2(c.p(), c.params[1], query_sync(c.req), c.ctx));
        return Json(200, out.report);
      },
      ec2_report)
      .Query("cloud_account_id", oas::String(), "The cloud account of the EC2 group")
      .Query("region", oas::String(), "The EC2 region");

}

}  // namespace wharf::api
