#include <gtest/gtest.h>

#include "authz/authz.h"
#include "authz/snapshot_cache.h"

namespace wharf::authz {
namespace {

using domain::Collection;
using domain::ReadScope;

domain::Role MakeRole(std::function<void(domain::Role&)> f) {
  domain::Role r;
  r.id = "rol_1";
  r.name = "Developer";
  f(r);
  return r;
}

Principal As(std::shared_ptr<const CompiledRole> role, std::string user = "usr_me") {
  Principal p;
  p.user_id = std::move(user);
  p.org_id = "org_1";
  p.role = std::move(role);
  Bind(p);
  return p;
}

TEST(AuthzTest, AdminPassesEveryCheck) {
  auto admin = Compile(MakeRole([](auto& r) { r.builtin = true; r.name = "Admin"; }));
  auto p = As(admin);
  Resource other{.id = "key_1", .created_by = "usr_other"};
  for (Collection c : domain::AllCollections())
    for (Action a : domain::kAllActions) {
      EXPECT_TRUE(Check(p, c, a).allowed());
      EXPECT_TRUE(Check(p, c, a, &other).allowed());
    }
}

TEST(AuthzTest, CustomRoleGrantsExactlyItsBits) {
  auto viewer = Compile(MakeRole([](auto& r) { r.permissions[Collection::kServers].read = true; }));
  auto p = As(viewer);
  EXPECT_TRUE(Check(p, Collection::kServers, Action::kRead).allowed());
  auto d = Check(p, Collection::kServers, Action::kUpdate);
  EXPECT_EQ(d.outcome, Outcome::kMissingPermission);
  EXPECT_EQ(domain::PermissionName(d.collection, d.action), "servers.update");
  EXPECT_FALSE(Check(p, Collection::kSshKeys, Action::kRead).allowed());
  EXPECT_NE(Explain(p, d).find("servers.update"), std::string::npos);
}

TEST(AuthzTest, ReadScopeOwnAppliesToEveryActionOnExistingRows) {
  auto own = Compile(MakeRole([](auto& r) {
    r.permissions[Collection::kSshKeys] = domain::Grant{true, true, true, true, 0, ReadScope::kOwn};
  }));
  auto p = As(own);
  Resource mine{.id = "key_1", .created_by = "usr_me"};
  Resource theirs{.id = "key_2", .created_by = "usr_other"};
  for (Action a : {Action::kRead, Action::kUpdate, Action::kDelete}) {
    EXPECT_TRUE(Check(p, Collection::kSshKeys, a, &mine).allowed());
    EXPECT_EQ(Check(p, Collection::kSshKeys, a, &theirs).outcome, Outcome::kOutsideOwnScope);
  }
  EXPECT_TRUE(Check(p, Collection::kSshKeys, Action::kRead).allowed());  // the list itself
  EXPECT_TRUE(ReadsOwnOnly(p, Collection::kSshKeys));
}

TEST(AuthzTest, ResourceScopeRestrictsApplicationsChildrenAndServers) {
  auto contractor = Compile(MakeRole([](auto& r) {
    for (auto c : {Collection::kApplications, Collection::kServices, Collection::kServers})
      r.permissions[c] = domain::Grant{true, true, true, true, 0, ReadScope::kAll};
    r.resource_scope.applications = {"app_a"};
    r.resource_scope.servers = {"srv_a"};
  }));
  auto p = As(contractor);
  Resource app_a{.id = "app_a"}, app_b{.id = "app_b"};
  Resource svc_a{.id = "svc_1", .application_id = "app_a"}, svc_b{.id = "svc_2", .application_id = "app_b"};
  Resource srv_b{.id = "srv_b"};
  EXPECT_TRUE(Check(p, Collection::kApplications, Action::kUpdate, &app_a).allowed());
  EXPECT_EQ(Check(p, Collection::kApplications, Action::kRead, &app_b).outcome, Outcome::kOutsideResourceScope);
  EXPECT_TRUE(Check(p, Collection::kServices, Action::kDelete, &svc_a).allowed());
  EXPECT_EQ(Check(p, Collection::kServices, Action::kRead, &svc_b).outcome, Outcome::kOutsideResourceScope);
  EXPECT_EQ(Check(p, Collection::kServers, Action::kRead, &srv_b).outcome, Outcome::kOutsideResourceScope);
  EXPECT_TRUE(Check(p, Collection::kServers, Action::kRead).allowed());  // list, filtered per row
  EXPECT_EQ(Check(p, Collection::kApplications, Action::kCreate).outcome, Outcome::kOutsideResourceScope);
}

TEST(AuthzTest, ApiTokenCanOnlyNarrow) {
  auto dev = Compile(MakeRole([](auto& r) { r.permissions[Collection::kServers] = {true, true, true, false}; }));
  auto p = As(dev);
  domain::Permissions token;
  token[Collection::kServers].read = true;
  token[Collection::kServers].del = true;  // not in the role: must not be granted
  p.token_bits = ToBits(token);
  p.via_api_token = true;
  Bind(p);
  EXPECT_TRUE(Check(p, Collection::kServers, Action::kRead).allowed());
  EXPECT_EQ(Check(p, Collection::kServers, Action::kUpdate).outcome, Outcome::kTokenRestricted);
  EXPECT_EQ(Check(p, Collection::kServers, Action::kDelete).outcome, Outcome::kMissingPermission);
  auto eff = EffectivePermissions(p);
  EXPECT_TRUE(eff[Collection::kServers].read);
  EXPECT_FALSE(eff[Collection::kServers].update);
  EXPECT_FALSE(eff[Collection::kServers].del);
}

TEST(AuthzTest, NoRoleDeniesEverything) {
  Principal p;
  Bind(p);
  EXPECT_FALSE(Check(p, Collection::kTeam, Action::kRead).allowed());
}

TEST(SnapshotCacheTest, BumpInvalidatesEveryEntryOfThatOrgOnly) {
  SnapshotCache cache;
  auto role = Compile(MakeRole([](auto&) {}));
  cache.Put("u1", "o1", {cache.Version("o1"), role, false});
  cache.Put("u1", "o2", {cache.Version("o2"), role, false});
  EXPECT_TRUE(cache.Get("u1", "o1"));
  cache.Bump("o1");
  EXPECT_FALSE(cache.Get("u1", "o1"));
  EXPECT_TRUE(cache.Get("u1", "o2"));
}

TEST(SnapshotCacheTest, StalePutIsDropped) {
  SnapshotCache cache;
  uint64_t v = cache.Version("o1");  // read before the load...
  cache.Bump("o1");                  // ...a concurrent role change lands...
  cache.Put("u1", "o1", {v, Compile(MakeRole([](auto&) {})), false});
  EXPECT_FALSE(cache.Get("u1", "o1"));  // ...so the stale snapshot is never served.
}

TEST(SnapshotCacheTest, BumpAllDropsEveryOrgAndRefusesPutsLoadedBefore) {
  SnapshotCache cache;
  auto role = Compile(MakeRole([](auto&) {}));
  cache.Put("u1", "o1", {cache.Version("o1"), role, false});
  uint64_t never_bumped = cache.Version("o2");  // an org with no version of its own yet
  cache.BumpAll();                              // another replica's changes may have been missed
  EXPECT_FALSE(cache.Get("u1", "o1"));
  cache.Put("u1", "o2", {never_bumped, role, false});
  EXPECT_FALSE(cache.Get("u1", "o2"));
  cache.Put("u1", "o2", {cache.Version("o2"), role, false});
  EXPECT_TRUE(cache.Get("u1", "o2"));
}

}  // namespace
}  // namespace wharf::authz
