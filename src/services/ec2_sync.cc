// An org's security groups on EC2: sync (create, tag, authorize, revoke), drift and delete.
// Which EC2 group a Wharf group became is kept per (group, cloud account, region) as an
// `ec2SecurityGroups` row of the integrations table: fields {security_group_id, cloud_account_id,
// region, vpc_id, ec2_group_id, last_synced_at}; the dedupe key is "<group>|<account>|<region>".
#include <algorithm>
#include <regex>

#include <nlohmann/json.hpp>

#include "base/strings.h"
#include "integrations/aws.h"
#include "services/aws_target.h"
#include "services/security_groups.h"

namespace wharf::services {

using domain::Action;
using domain::Collection;
using integrations::AwsCall;
using integrations::Ec2Rule;
using nlohmann::json;
using Params = std::vector<std::pair<std::string, std::string>>;

namespace {

tl::unexpected<Error> GroupNotFound() { return Err(ErrorCode::kNotFound, "Security group not found in this organisation."); }

// EC2 allows a-z, A-Z, 0-9, spaces and ._-:/()#,@[]+=&;{}!$* in names and descriptions.
std::string Ec2Text(std::string_view s, size_t max) {
  static const std::string extra = " ._-:/()#,@[]+=&;{}!$*";
  std::string out;
  for (char c : s) {
    if (std::isalnum(static_cast<unsigned char>(c)) || extra.find(c) != std::string::npos) out.push_back(c);
    else out.push_back('-');
  }
  if (out.size() > max) out.resize(max);
  return out;
}

std::vector<Ec2Rule> ToEc2(const std::vector<domain::SecurityRule>& rules) {
  std::vector<Ec2Rule> out;
  for (const auto& r : rules) {
    Ec2Rule e;
    e.cidr = r.source;
    e.description = Ec2Text(r.description, 255);
    if (r.protocol == "all") {
      e.protocol = "-1";
    } else if (r.protocol == "icmp" || r.protocol == "icmpv6") {
      e.protocol = r.protocol;  // every type and code
    } else {
      e.protocol = r.protocol;
      e.from_port = r.from_port;
      e.to_port = r.to_port;
    }
    out.push_back(std::move(e));
  }
  return out;
}

json Labels(const std::vector<Ec2Rule>& rules) {
  json a = json::array();
  for (const auto& r : rules) a.push_back(r.Label());
  return a;
}

json Steps(const integrations::Report& r) {
  json checks = json::array();
  for (auto& c : r.checks) {
    json j = {{"name", c.name}, {"status", c.status}, {"message", c.message}};
    if (!c.layer.empty()) j["layer"] = c.layer;
    if (!c.fix.empty()) j["fix"] = c.fix;
    checks.push_back(std::move(j));
  }
  return checks;
}

std::string LinkKey(std::string_view group, std::string_view account, std::string_view region) {
  return std::string(group) + "|" + std::string(account) + "|" + std::string(region);
}

// Records the failure of one AWS call as a step. False (always) so callers can `return Fail(...)`.
bool FailStep(integrations::Report& r, const std::string& step, const Result<integrations::AwsReply>& reply,
              std::string_view action, const integrations::AwsTarget& t) {
  if (!reply) {
    auto f = integrations::MapAwsNetworkFailure(reply.error(), "ec2", t.region,
                                                integrations::AwsEndpoint("ec2", t.region, t.endpoint_override));
    r.Fail(step, f.layer, f.message, f.fix);
  } else {
    auto f = integrations::MapAwsError(reply->error, reply->status, "ec2", action, t.region);
    r.Fail(step, f.layer, f.message, f.fix);
  }
  return false;
}

bool Failed(const Result<integrations::AwsReply>& r) { return !r || !r->error.code.empty(); }

}  // namespace

// Everything a sync, drift or delete needs: the group, the account's secrets, the target, the link.
struct Ec2Context {
  domain::SecurityGroup group;
  domain::Integration account;
  std::map<std::string, SecretBytes> secrets;
  std::string region;
  std::optional<domain::Integration> link;
  integrations::AwsTarget target;
};

namespace {

Result<Ec2Context> LoadEc2Context(store::Store& store, const authz::Principal& p, const Ec2SyncInput& in,
                                  const Config& config, const std::function<Result<domain::SecurityGroup>()>& load_group,
                                  const std::function<Result<std::pair<domain::Integration, std::map<std::string, SecretBytes>>>(
                                      std::string_view)>& load_account) {
  if (!in.cloud_account_id || in.cloud_account_id->empty())
    return FieldError("cloud_account_id", "is required: the cloud account (AWS) to use, e.g. aws_…");
  Ec2Context c;
  WHARF_ASSIGN_OR_RETURN(c.group, load_group());
  WHARF_ASSIGN_OR_RETURN(auto acc, load_account(*in.cloud_account_id));
  c.account = std::move(acc.first);
  c.secrets = std::move(acc.second);
  c.region = in.region && !in.region->empty() ? *in.region : c.account.Field("region");
  if (!integrations::IsAwsRegionName(c.region))
    return FieldError("region", "must be an AWS region name such as eu-west-1");
  WHARF_TRY(store.Read([&](store::Tx& tx) -> Status {
    WHARF_ASSIGN_OR_RETURN(c.link, tx.integrations().FindByDedupeKey(p.org_id, kEc2GroupLinks.name,
                                                                     LinkKey(c.group.id, c.account.id, c.region)));
    return Ok();
  }));
  const SecretBytes* token = c.secrets.count("session_token") ? &c.secrets["session_token"] : nullptr;
  c.target = AwsTargetFor(config, c.account.Field("access_key_id"), &c.secrets["secret_access_key"], token, c.region);
  return c;
}

}  // namespace

Result<std::vector<domain::Integration>> SecurityGroups::ListEc2Groups(const authz::Principal& p, std::string_view group_id,
                                                                 const RequestContext& ctx) {
  WHARF_TRY(GetSecurityGroup(p, group_id, ctx));
  std::vector<domain::Integration> out;
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    store::PageQuery q;
    q.limit = 1000;
    WHARF_ASSIGN_OR_RETURN(auto all, tx.integrations().List(p.org_id, kEc2GroupLinks.name, q));
    for (auto& l : all)
      if (l.Field("security_group_id") == group_id) out.push_back(std::move(l));
    return Ok();
  }));
  return out;
}

Result<Ec2Outcome> SecurityGroups::SyncSecurityGroupToEc2(const authz::Principal& p, std::string_view group_id,
                                                    Ec2SyncInput in, const RequestContext& ctx) {
  WHARF_TRY(Authorize(p, Collection::kSecurityGroups, Action::kUpdate, nullptr, ctx, group_id));
  auto load_group = [&]() -> Result<domain::SecurityGroup> {
    WHARF_ASSIGN_OR_RETURN(auto v, GetSecurityGroup(p, group_id, ctx));
    auto r = authz::Resource{v.group.id, v.group.created_by, {}, {}};
    WHARF_TRY(AuthorizeRow(p, Collection::kSecurityGroups, Action::kUpdate, r, ctx, group_id, GroupNotFound));
    return v.group;
  };
  auto load_account = [&](std::string_view id) { return integrations_.LoadIntegrationSecrets(p, kCloudAccounts, id, Action::kUpdate, ctx); };
  WHARF_ASSIGN_OR_RETURN(Ec2Context c, LoadEc2Context(store_, p, in, config_, load_group, load_account));
  const auto& t = c.target;
  integrations::Report r;
  json out = {{"security_group_id", c.group.id}, {"cloud_account_id", c.account.id}, {"region", c.region},
              {"created", false}};
  auto finish = [&](bool ok) -> Result<Ec2Outcome> {
    out["ok"] = ok && r.ok();
    out["steps"] = Steps(r);
    return Ec2Outcome{ok && r.ok(), out};
  };

  std::string ec2_id = c.link ? c.link->Field("ec2_group_id") : "";
  std::string vpc_id = c.link ? c.link->Field("vpc_id") : "";
  if (in.vpc_id && !in.vpc_id->empty()) {
    static const std::regex re("^vpc-[0-9a-f]{8}([0-9a-f]{9})?$");
    if (!std::regex_match(*in.vpc_id, re))
      return FieldError("vpc_id", "must be a VPC id such as vpc-0a1b2c3d4e5f67890 (VPC console → Your VPCs)");
    if (!vpc_id.empty() && vpc_id != *in.vpc_id)
      return FieldError("vpc_id", "differs from the VPC this group was created in (" + vpc_id +
                                  "); a group cannot move between VPCs: delete it on EC2 first");
    vpc_id = *in.vpc_id;
  }

  // 1. Does the recorded EC2 group still exist?
  json described;
  std::optional<integrations::XmlNode> desc_root;
  const integrations::XmlNode* found = nullptr;
  if (!ec2_id.empty()) {
    auto d = AwsCall(t, "ec2", {{"Action", "DescribeSecurityGroups"}, {"GroupId.1", ec2_id}});
    if (d && d->error.code == "InvalidGroup.NotFound") {
      r.Add("describe", "passed", "The recorded EC2 group " + ec2_id + " no longer exists (deleted outside Wharf); it is created again.");
      ec2_id.clear();
    } else if (Failed(d)) {
      FailStep(r, "describe", d, "DescribeSecurityGroups", t);
      return finish(false);
    } else {
      desc_root = std::move(d->root);
      auto items = desc_root->Items("securityGroupInfo");
      if (!items.empty()) found = items.front();
      r.Add("describe", "passed", "Found " + ec2_id + " in " + c.region + ".");
    }
  }

  // 2. Create it.
  if (ec2_id.empty()) {
    if (vpc_id.empty())
      return FieldError("vpc_id", "is required for the first sync to this account and region: the VPC to create the "
                                  "group in, e.g. vpc-0a1b2c3d4e5f67890");
    const std::string name = Ec2Text("wharf-" + p.org_slug + "-" + c.group.name, 255);
    const std::string descr = Ec2Text(c.group.description.empty() ? "Managed by Wharf: " + c.group.name : c.group.description, 255);
    auto cr = AwsCall(t, "ec2", {{"Action", "CreateSecurityGroup"}, {"GroupName", name}, {"GroupDescription", descr},
                                 {"VpcId", vpc_id}});
    if (cr && cr->error.code == "InvalidGroup.Duplicate") {
      // Made by this Wharf group through another cloud account of the same AWS account? Adopt it.
      auto dd = AwsCall(t, "ec2", {{"Action", "DescribeSecurityGroups"}, {"Filter.1.Name", "group-name"},
                                   {"Filter.1.Value.1", name}, {"Filter.2.Name", "vpc-id"}, {"Filter.2.Value.1", vpc_id}});
      if (Failed(dd)) {
        FailStep(r, "create", dd, "DescribeSecurityGroups", t);
        return finish(false);
      }
      auto items = dd->root.Items("securityGroupInfo");
      std::string owner_tag;
      if (!items.empty())
        for (const auto* tag : items.front()->Items("tagSet"))
          if (tag->ChildText("key") == "wharf:security-group") owner_tag = tag->ChildText("value");
      if (items.empty() || owner_tag != c.group.id) {
        r.Fail("create", "aws_iam",
               "EC2 already has a group named '" + name + "' in " + vpc_id + " that Wharf did not make for this group (" +
                   cr->error.code + ").",
               "Rename or delete that EC2 group, or rename the Wharf security group.");
        return finish(false);
      }
      ec2_id = items.front()->ChildText("groupId");
      r.Add("create", "passed", "Adopted " + ec2_id + " ('" + name + "'): it carries wharf:security-group=" + c.group.id + ".");
    } else if (Failed(cr)) {
      FailStep(r, "create", cr, "CreateSecurityGroup", t);
      return finish(false);
    } else {
      ec2_id = cr->root.ChildText("groupId");
      if (ec2_id.empty()) {
        r.Fail("create", "network", "CreateSecurityGroup answered without a groupId.", "Retry the sync.");
        return finish(false);
      }
      out["created"] = true;
      r.Add("create", "passed", "Created " + ec2_id + " ('" + name + "') in " + vpc_id + ", " + c.region + ".");
    }
    // Record it at once, so a later failure cannot orphan the EC2 group.
    domain::Integration link;
    if (c.link) link = *c.link;
    link.fields["security_group_id"] = c.group.id;
    link.fields["cloud_account_id"] = c.account.id;
    link.fields["region"] = c.region;
    link.fields["vpc_id"] = vpc_id;
    link.fields["ec2_group_id"] = ec2_id;
    WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
      if (c.link) {
        link.updated_at = clock_.Now();
        WHARF_TRY(tx.integrations().Update(link));
      } else {
        link.id = ids_.New(kEc2GroupLinks.id_prefix);
        link.org_id = p.org_id;
        link.kind = kEc2GroupLinks.name;
        link.name = link.dedupe_key = LinkKey(c.group.id, c.account.id, c.region);
        link.created_at = link.updated_at = clock_.Now();
        link.created_by = p.user_id;
        WHARF_TRY(tx.integrations().Insert(link));
      }
      return AuditIn(tx, p, "securityGroups.ec2_create", "securityGroups", c.group.id, ctx, ec2_id + " " + c.region);
    }));
    c.link = link;
    auto d = AwsCall(t, "ec2", {{"Action", "DescribeSecurityGroups"}, {"GroupId.1", ec2_id}});
    if (Failed(d)) {
      FailStep(r, "describe", d, "DescribeSecurityGroups", t);
      return finish(false);
    }
    desc_root = std::move(d->root);
    auto items = desc_root->Items("securityGroupInfo");
    if (!items.empty()) found = items.front();
  }
  out["ec2_group_id"] = ec2_id;
  out["vpc_id"] = vpc_id;

  // 3. Tags: who owns it.
  auto tg = AwsCall(t, "ec2", {{"Action", "CreateTags"}, {"ResourceId.1", ec2_id}, {"Tag.1.Key", "wharf:org"},
                               {"Tag.1.Value", p.org_slug}, {"Tag.2.Key", "wharf:security-group"},
                               {"Tag.2.Value", c.group.id}, {"Tag.3.Key", "Name"}, {"Tag.3.Value", c.group.name}});
  if (Failed(tg)) {
    FailStep(r, "tag", tg, "CreateTags", t);
    return finish(false);
  }
  out["tags"] = {{"wharf:org", p.org_slug}, {"wharf:security-group", c.group.id}, {"Name", c.group.name}};
  r.Add("tag", "passed", "Tagged wharf:org=" + p.org_slug + ", wharf:security-group=" + c.group.id + ".");

  // 4. The rule diff, each direction: authorize what is missing first, then revoke what is extra.
  json authorized = {{"inbound", json::array()}, {"outbound", json::array()}};
  json revoked = {{"inbound", json::array()}, {"outbound", json::array()}};
  for (const bool egress : {false, true}) {
    const char* dir = egress ? "outbound" : "inbound";
    std::vector<Ec2Rule> actual;
    if (found)
      if (const auto* perms = found->Child(egress ? "ipPermissionsEgress" : "ipPermissions"))
        actual = integrations::Ec2RulesFromXml(*perms);
    auto diff = integrations::DiffRules(ToEc2(egress ? c.group.outbound : c.group.inbound), actual);
    const std::string suffix = egress ? "Egress" : "Ingress";
    if (!diff.missing.empty()) {
      Params params = {{"Action", "AuthorizeSecurityGroup" + suffix}, {"GroupId", ec2_id}};
      integrations::AddIpPermissions(diff.missing, params);
      auto a = AwsCall(t, "ec2", params);
      if (Failed(a) && !(a && a->error.code == "InvalidPermission.Duplicate")) {
        FailStep(r, std::string("authorize_") + dir, a, "AuthorizeSecurityGroup" + suffix, t);
        return finish(false);
      }
      authorized[dir] = Labels(diff.missing);
      r.Add(std::string("authorize_") + dir, "passed", "Authorized " + std::to_string(diff.missing.size()) + " " + dir + " rule(s).");
    }
    if (!diff.extra.empty()) {
      Params params = {{"Action", "RevokeSecurityGroup" + suffix}, {"GroupId", ec2_id}};
      integrations::AddIpPermissions(diff.extra, params);
      auto v = AwsCall(t, "ec2", params);
      if (Failed(v) && !(v && v->error.code == "InvalidPermission.NotFound")) {
        FailStep(r, std::string("revoke_") + dir, v, "RevokeSecurityGroup" + suffix, t);
        return finish(false);
      }
      revoked[dir] = Labels(diff.extra);
      r.Add(std::string("revoke_") + dir, "passed", "Revoked " + std::to_string(diff.extra.size()) + " " + dir + " rule(s) that Wharf does not have.");
    }
  }
  out["authorized"] = authorized;
  out["revoked"] = revoked;

  domain::Integration link = *c.link;
  link.fields["last_synced_at"] = FormatRfc3339(clock_.Now());
  link.updated_at = clock_.Now();
  WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
    WHARF_TRY(tx.integrations().Update(link));
    return AuditIn(tx, p, "securityGroups.sync", "securityGroups", c.group.id, ctx, ec2_id + " " + c.region);
  }));
  out["last_synced_at"] = link.fields["last_synced_at"];
  return finish(true);
}

Result<Ec2Outcome> SecurityGroups::SecurityGroupDrift(const authz::Principal& p, std::string_view group_id, Ec2SyncInput in,
                                                const RequestContext& ctx) {
  auto load_group = [&]() -> Result<domain::SecurityGroup> {
    WHARF_ASSIGN_OR_RETURN(auto v, GetSecurityGroup(p, group_id, ctx));
    return v.group;
  };
  auto load_account = [&](std::string_view id) { return integrations_.LoadIntegrationSecrets(p, kCloudAccounts, id, Action::kRead, ctx); };
  WHARF_ASSIGN_OR_RETURN(Ec2Context c, LoadEc2Context(store_, p, in, config_, load_group, load_account));
  if (!c.link)
    return Err(ErrorCode::kNotFound, "Security group '" + c.group.name + "' has not been synced to this cloud account in " +
                                         c.region + " yet: POST …/security-groups/" + c.group.id + "/sync first.");
  const auto& t = c.target;
  const std::string ec2_id = c.link->Field("ec2_group_id");
  integrations::Report r;
  json out = {{"security_group_id", c.group.id}, {"cloud_account_id", c.account.id}, {"region", c.region},
              {"ec2_group_id", ec2_id}, {"vpc_id", c.link->Field("vpc_id")}};
  auto d = AwsCall(t, "ec2", {{"Action", "DescribeSecurityGroups"}, {"GroupId.1", ec2_id}});
  if (d && d->error.code == "InvalidGroup.NotFound") {
    r.Fail("describe", "aws_iam", "The EC2 group " + ec2_id + " no longer exists: it was deleted outside Wharf.",
           "Sync again to create it, or delete the link (DELETE …/security-groups/" + c.group.id + "/ec2).");
    out["exists"] = false;
    out["in_sync"] = false;
    out["ok"] = true;
    out["steps"] = Steps(r);
    return Ec2Outcome{true, out};
  }
  if (Failed(d)) {
    FailStep(r, "describe", d, "DescribeSecurityGroups", t);
    out["ok"] = false;
    out["steps"] = Steps(r);
    return Ec2Outcome{false, out};
  }
  r.Add("describe", "passed", "Read " + ec2_id + " in " + c.region + ".");
  auto items = d->root.Items("securityGroupInfo");
  json missing = json::object(), extra = json::object();
  bool in_sync = true;
  for (const bool egress : {false, true}) {
    const char* dir = egress ? "outbound" : "inbound";
    std::vector<Ec2Rule> actual;
    if (!items.empty())
      if (const auto* perms = items.front()->Child(egress ? "ipPermissionsEgress" : "ipPermissions"))
        actual = integrations::Ec2RulesFromXml(*perms);
    auto diff = integrations::DiffRules(ToEc2(egress ? c.group.outbound : c.group.inbound), actual);
    missing[dir] = Labels(diff.missing);
    extra[dir] = Labels(diff.extra);
    in_sync = in_sync && diff.missing.empty() && diff.extra.empty();
  }
  out["exists"] = true;
  out["in_sync"] = in_sync;
  out["missing"] = missing;
  out["extra"] = extra;
  out["ok"] = true;
  out["steps"] = Steps(r);
  return Ec2Outcome{true, out};
}

Result<Ec2Outcome> SecurityGroups::DeleteSecurityGroupOnEc2(const authz::Principal& p, std::string_view group_id,
                                                      Ec2SyncInput in, const RequestContext& ctx) {
  WHARF_TRY(Authorize(p, Collection::kSecurityGroups, Action::kUpdate, nullptr, ctx, group_id));
  auto load_group = [&]() -> Result<domain::SecurityGroup> {
    WHARF_ASSIGN_OR_RETURN(auto v, GetSecurityGroup(p, group_id, ctx));
    auto r = authz::Resource{v.group.id, v.group.created_by, {}, {}};
    WHARF_TRY(AuthorizeRow(p, Collection::kSecurityGroups, Action::kUpdate, r, ctx, group_id, GroupNotFound));
    return v.group;
  };
  auto load_account = [&](std::string_view id) { return integrations_.LoadIntegrationSecrets(p, kCloudAccounts, id, Action::kUpdate, ctx); };
  WHARF_ASSIGN_OR_RETURN(Ec2Context c, LoadEc2Context(store_, p, in, config_, load_group, load_account));
  if (!c.link)
    return Err(ErrorCode::kNotFound, "Security group '" + c.group.name + "' has no EC2 group for this cloud account in " +
                                         c.region + ".");
  const std::string ec2_id = c.link->Field("ec2_group_id");
  integrations::Report r;
  json out = {{"security_group_id", c.group.id}, {"cloud_account_id", c.account.id}, {"region", c.region},
              {"ec2_group_id", ec2_id}};
  auto d = AwsCall(c.target, "ec2", {{"Action", "DeleteSecurityGroup"}, {"GroupId", ec2_id}});
  if (d && d->error.code == "InvalidGroup.NotFound") {
    r.Add("delete", "passed", ec2_id + " was already gone from EC2.");
  } else if (Failed(d)) {
    FailStep(r, "delete", d, "DeleteSecurityGroup", c.target);
    out["ok"] = false;
    out["steps"] = Steps(r);
    return Ec2Outcome{false, out};
  } else {
    r.Add("delete", "passed", "Deleted " + ec2_id + " on EC2 in " + c.region + ".");
  }
  WHARF_TRY(WriteTx([&](store::Tx& tx) -> Status {
    WHARF_TRY(tx.integrations().Delete(p.org_id, kEc2GroupLinks.name, c.link->id));
    return AuditIn(tx, p, "securityGroups.ec2_delete", "securityGroups", c.group.id, ctx, ec2_id + " " + c.region);
  }));
  out["ok"] = true;
  out["steps"] = Steps(r);
  return Ec2Outcome{true, out};
}

Status SecurityGroups::DeleteEc2GroupsOf(const authz::Principal& p, const domain::SecurityGroup& g, const RequestContext& ctx) {
  std::vector<domain::Integration> links;
  WHARF_TRY(store_.Read([&](store::Tx& tx) -> Status {
    store::PageQuery q;
    q.limit = 1000;
    WHARF_ASSIGN_OR_RETURN(auto all, tx.integrations().List(p.org_id, kEc2GroupLinks.name, q));
    for (auto& l : all)
      if (l.Field("security_group_id") == g.id) links.push_back(std::move(l));
    return Ok();
  }));
  for (const auto& l : links) {
    Ec2SyncInput in{l.Field("cloud_account_id"), l.Field("region"), {}};
    WHARF_ASSIGN_OR_RETURN(auto res, DeleteSecurityGroupOnEc2(p, g.id, in, ctx));
    if (!res.ok) {
      json j = res.report;
      std::string msg, layer;
      for (auto& s : j["steps"])
        if (s.value("status", "") == "failed") {
          msg = s.value("message", "");
          layer = s.value("layer", "");
        }
      auto e = Err(ErrorCode::kConflict, "Security group '" + g.name + "' was not deleted: deleting its EC2 group " +
                                             l.Field("ec2_group_id") + " in " + l.Field("region") + " failed: " + msg,
                   layer == "network" ? Layer::kNetwork : Layer::kAwsIam);
      e.value().details = {{"ec2_group_id", l.Field("ec2_group_id")}, {"region", l.Field("region")}, {"steps", j["steps"]}};
      return e;
    }
  }
  return Ok();
}

}  // namespace wharf::services
