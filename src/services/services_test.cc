// Use-case tests on the real SQLite store (temp file), with an injected clock and a recording
// mailer. The e2e suite (tests/e2e) covers the same flows over HTTP with a real SMTP server.
// Built twice: services_test on SQLite, services_pg_test (WHARF_SERVICES_POSTGRES) on a real
// PostgreSQL the binary starts itself, one fresh database per test.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <thread>
#include <fstream>
#include <unistd.h>

#include "secrets/crypto.h"
#include "services/services.h"
#include "services/testing/services_fixture.h"
#ifdef WHARF_SERVICES_POSTGRES
#include "store/postgres/pg_store.h"
#endif

namespace wharf::services {
namespace {

// These tests sign up several users without invitations (the sign-up policy has its own e2e).
Config OpenSignup() {
  Config c;
  c.signup_policy = Config::SignupPolicy::kOpen;
  return c;
}

using domain::Collection;
namespace fs = std::filesystem;

class RecordingMailer : public http_client::Mailer {
 public:
  Status Send(const http_client::MailMessage& m) override {
    if (fail) return Err(ErrorCode::kUnavailable, "could not connect to SMTP server 127.0.0.1:1", Layer::kEmail);
    sent.push_back(m);
    return Ok();
  }
  bool enabled() const override { return true; }
  std::vector<http_client::MailMessage> sent;
  bool fail = false;
};

class ServicesTest : public testing::ServicesFixture<RecordingMailer> {
 protected:
  void SetUp() override { ASSERT_NO_FATAL_FAILURE(StartServices("services", OpenSignup())); }

  struct Account {
    SessionGrant grant;
    Authenticated who;
    authz::Principal p;  // in their personal org
  };
  Account SignUp(const std::string& name, std::optional<std::string> invitation = std::nullopt) {
    SignupInput in{name + "@example.test", name, SecretBytes::FromString("correct-horse-battery"), invitation};
    auto g = svc_->auth().Signup(std::move(in), ctx_);
    EXPECT_TRUE(g) << g.error().message;
    if (g && g->check_email) {  // open sign-up with a mailer answers "check your email": sign in
      g = svc_->auth().Login(name + "@example.test", SecretBytes::FromString("correct-horse-battery"), ctx_);
      EXPECT_TRUE(g);
      auto signed_in = svc_->auth().Authenticate(g->token.view(), ctx_);
      EXPECT_TRUE(signed_in);
      auto orgs = svc_->auth().MyOrgs(**signed_in);
      EXPECT_TRUE(orgs && !orgs->empty());
      g->org = orgs->front().org;
    }
    auto who = svc_->auth().Authenticate(g->token.view(), ctx_);
    EXPECT_TRUE(who);
    auto p = svc_->auth().ResolvePrincipal(**who, g->org->slug, ctx_);
    EXPECT_TRUE(p);
    return {std::move(*g), **who, *p};
  }
  authz::Principal In(const Account& a, const std::string& slug) {
    auto p = svc_->auth().ResolvePrincipal(a.who, slug, ctx_);
    EXPECT_TRUE(p) << p.error().message;
    return *p;
  }
  RoleView MakeRole(const authz::Principal& admin, const std::string& name,
                    std::function<void(domain::Permissions&)> f, std::optional<domain::ResourceScope> scope = {}) {
    domain::Permissions perms;
    f(perms);
    auto r = svc_->roles().CreateRole(admin, {name, std::nullopt, perms, scope}, ctx_);
    EXPECT_TRUE(r) << r.error().message;
    return *r;
  }
  // Invites `name` into admin's org with role and returns the joined account's principal there.
  std::pair<Account, authz::Principal> Join(const Account& admin, const std::string& name, const std::string& role_id) {
    auto inv = svc_->team().Invite(admin.p, name + "@example.test", role_id, false, ctx_);
    EXPECT_TRUE(inv) << inv.error().message;
    std::string token = inv->link.substr(inv->link.rfind('/') + 1);
    Account a = SignUp(name, token);
    auto p = In(a, admin.p.org_slug);
    return {std::move(a), std::move(p)};
  }

  // Every byte the store holds at rest (the SQLite file and WAL, or a pg_dump). Closes the store.
  std::string BytesAtRest() {
    svc_.reset();  // Services holds the store by reference: it goes first
    store_.reset();
#ifdef WHARF_SERVICES_POSTGRES
    auto dump = pg_->Dump(db_name_);
    EXPECT_TRUE(dump) << dump.error().message;
    return dump ? *dump : std::string();
#else
    std::ifstream db(dir_ / "wharf.db", std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(db)), {});
    std::ifstream wal(dir_ / "wharf.db-wal", std::ios::binary);
    bytes.append((std::istreambuf_iterator<char>(wal)), {});
    return bytes;
#endif
  }

};

const char* kEd25519 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl t@x";

TEST_F(ServicesTest, FirstUserIsInstanceAdminAndOwnsAdminOfPersonalOrg) {
  auto ada = SignUp("ada");
  auto bob = SignUp("bob");
  EXPECT_TRUE(ada.grant.user.instance_admin);
  EXPECT_FALSE(bob.grant.user.instance_admin);
  EXPECT_TRUE(ada.p.owner);
  EXPECT_TRUE(ada.p.role->admin);
  EXPECT_NE(ada.grant.org->slug, bob.grant.org->slug);
}

TEST_F(ServicesTest, EmailInvitationIsSingleUseAndBoundToTheEmail) {
  auto ada = SignUp("ada");
  auto viewer = MakeRole(ada.p, "Viewer", [](auto& p) { p[Collection::kSshKeys].read = true; });
  auto inv = svc_->team().Invite(ada.p, "Bob@Example.test", viewer.role.id, true, ctx_);
  ASSERT_TRUE(inv) << inv.error().message;
  EXPECT_EQ(inv->invitation.email_status, "sent");
  ASSERT_EQ(mailer_.sent.size(), 1u);
  EXPECT_NE(mailer_.sent[0].text_body.find(inv->link), std::string::npos);
  std::string token = inv->link.substr(inv->link.rfind('/') + 1);

  EXPECT_TRUE(svc_->team().PeekInvitation(token));  // opening the link does not consume it
  EXPECT_TRUE(svc_->team().PeekInvitation(token));

  auto eve = SignUp("eve");
  auto wrong = svc_->team().AcceptInvitation(eve.who, token, ctx_);
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, ErrorCode::kForbidden);

  auto bob = SignUp("bob");
  auto ok = svc_->team().AcceptInvitation(bob.who, token, ctx_);
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->second.name, "Viewer");
  auto again = svc_->team().AcceptInvitation(bob.who, token, ctx_);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kInvitationInvalid);
}

TEST_F(ServicesTest, InvitationExpiresAfterSevenDays) {
  auto ada = SignUp("ada");
  auto viewer = MakeRole(ada.p, "Viewer", [](auto& p) { p[Collection::kTeam].read = true; });
  auto inv = svc_->team().Invite(ada.p, "bob@example.test", viewer.role.id, false, ctx_);
  ASSERT_TRUE(inv);
  std::string token = inv->link.substr(inv->link.rfind('/') + 1);
  clock_.Advance(7LL * 24 * 3600 * 1000 - 1);
  EXPECT_TRUE(svc_->team().PeekInvitation(token));
  clock_.Advance(2);
  auto r = svc_->team().PeekInvitation(token);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvitationExpired);
}

TEST_F(ServicesTest, CopyLinkRotatesTheToken) {
  auto ada = SignUp("ada");
  auto viewer = MakeRole(ada.p, "Viewer", [](auto& p) { p[Collection::kTeam].read = true; });
  auto inv = svc_->team().Invite(ada.p, "bob@example.test", viewer.role.id, false, ctx_);
  ASSERT_TRUE(inv);
  std::string first = inv->link.substr(inv->link.rfind('/') + 1);
  auto copied = svc_->team().CopyInvitationLink(ada.p, inv->invitation.id, ctx_);
  ASSERT_TRUE(copied);
  std::string second = copied->link.substr(copied->link.rfind('/') + 1);
  EXPECT_NE(first, second);
  EXPECT_EQ(svc_->team().PeekInvitation(first).error().code, ErrorCode::kInvitationInvalid);
  EXPECT_TRUE(svc_->team().PeekInvitation(second));
}

TEST_F(ServicesTest, SmtpFailureKeepsTheInvitation) {
  auto ada = SignUp("ada");
  auto viewer = MakeRole(ada.p, "Viewer", [](auto& p) { p[Collection::kTeam].read = true; });
  mailer_.fail = true;
  auto inv = svc_->team().Invite(ada.p, "bob@example.test", viewer.role.id, true, ctx_);
  ASSERT_TRUE(inv);
  EXPECT_EQ(inv->invitation.email_status, "failed");
  EXPECT_NE(inv->invitation.email_error.find("SMTP"), std::string::npos);
  auto list = svc_->team().ListInvitations(ada.p, 50, "", ctx_);
  ASSERT_TRUE(list);
  ASSERT_EQ(list->items.size(), 1u);
  EXPECT_EQ(list->items[0].invitation.email_status, "failed");
  EXPECT_TRUE(svc_->team().PeekInvitation(inv->link.substr(inv->link.rfind('/') + 1)));
}

TEST_F(ServicesTest, SeatLimitCountsPendingInvitationsAndWritesNothing) {
  auto ada = SignUp("ada");
  auto viewer = MakeRole(ada.p, "Viewer", [](auto& p) { p[Collection::kTeam].read = true; });
  ASSERT_TRUE(svc_->auth().SetSeatLimit(ada.who, ada.p.org_slug, 2, ctx_));
  ASSERT_TRUE(svc_->team().Invite(ada.p, "bob@example.test", viewer.role.id, false, ctx_));
  auto third = svc_->team().Invite(ada.p, "cy@example.test", viewer.role.id, false, ctx_);
  ASSERT_FALSE(third);
  EXPECT_EQ(third.error().code, ErrorCode::kLimitReached);
  EXPECT_EQ(third.error().layer, Layer::kSeatLimit);
  EXPECT_EQ(third.error().details["limit"], 2);
  EXPECT_EQ(third.error().details["used"], 2);
  EXPECT_EQ(svc_->team().ListInvitations(ada.p, 50, "", ctx_)->items.size(), 1u);
}

TEST_F(ServicesTest, NonAdminCannotEscalate) {
  auto ada = SignUp("ada");
  auto lead = MakeRole(ada.p, "Lead", [](auto& p) {
    p[Collection::kRoles] = {true, true, true, false};
    p[Collection::kTeam] = {false, true, true, false};
    p[Collection::kServers] = {false, true, false, false};
  });
  auto viewer = MakeRole(ada.p, "Viewer", [](auto& p) { p[Collection::kServers].read = true; });
  auto [bob, bp] = Join(ada, "bob", lead.role.id);

  domain::Permissions wider;
  wider[Collection::kServers].read = true;
  wider[Collection::kServers].del = true;
  auto r = svc_->roles().CreateRole(bp, {"Deleter", std::nullopt, wider, std::nullopt}, ctx_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kForbidden);
  EXPECT_EQ(r.error().details["permission"], "servers.delete");

  auto admin_role = svc_->roles().ListRoles(ada.p, ctx_)->front().role;
  ASSERT_TRUE(admin_role.builtin);
  auto inv = svc_->team().Invite(bp, "cy@example.test", admin_role.id, false, ctx_);
  ASSERT_FALSE(inv);
  EXPECT_EQ(inv.error().code, ErrorCode::kForbidden);
  // Within their own permissions it works.
  EXPECT_TRUE(svc_->team().Invite(bp, "cy@example.test", viewer.role.id, false, ctx_));
  // And they cannot demote the Admin.
  auto demote = svc_->team().ChangeMemberRole(bp, ada.p.user_id, viewer.role.id, ctx_);
  ASSERT_FALSE(demote);
}

TEST_F(ServicesTest, RoleChangeAppliesToTheNextRequest) {
  auto ada = SignUp("ada");
  auto viewer = MakeRole(ada.p, "Viewer", [](auto& p) { p[Collection::kSshKeys].read = true; });
  auto editor = MakeRole(ada.p, "Editor", [](auto& p) { p[Collection::kSshKeys] = {true, true, true, true}; });
  auto [bob, bp] = Join(ada, "bob", viewer.role.id);
  EXPECT_FALSE(svc_->ssh_keys().CreateSshKey(bp, {"k", kEd25519, std::nullopt}, ctx_));
  ASSERT_TRUE(svc_->team().ChangeMemberRole(ada.p, bob.grant.user.id, editor.role.id, ctx_));
  auto bp2 = In(bob, ada.p.org_slug);  // the next request resolves the principal again
  EXPECT_TRUE(svc_->ssh_keys().CreateSshKey(bp2, {"k", kEd25519, std::nullopt}, ctx_));
}

#ifdef WHARF_SERVICES_POSTGRES
// Replica B (its own store connection, caches and Services) enforces what replica A changed,
// within the documented bound (1 s), though B had the old role and the session cached.
TEST_F(ServicesTest, AnotherReplicaEnforcesARoleChangeAndASignOutWithinTheBound) {
  auto store_b = store::OpenPostgresStore(url_);
  ASSERT_TRUE(store_b);
  authz::SnapshotCache cache_b;
  Services b(Deps{**store_b, *envelope_, mailer_, clock_, ids_, cache_b, nodes_}, OpenSignup());
  auto ada = SignUp("ada");
  auto editor = MakeRole(ada.p, "Editor", [](auto& p) { p[Collection::kSshKeys] = {true, true, true, true}; });
  auto viewer = MakeRole(ada.p, "Viewer", [](auto& p) { p[Collection::kSshKeys].read = true; });
  auto [bob, bp] = Join(ada, "bob", editor.role.id);
  auto on_b = [&]() -> Result<authz::Principal> {
    WHARF_ASSIGN_OR_RETURN(auto who, b.auth().Authenticate(bob.grant.token.view(), ctx_));
    return b.auth().ResolvePrincipal(*who, ada.p.org_slug, ctx_);
  };
  ASSERT_TRUE(on_b());  // B caches bob's credential and Editor snapshot
  ASSERT_EQ(on_b()->role->role_name, "Editor");
  ASSERT_TRUE(svc_->team().ChangeMemberRole(ada.p, bob.grant.user.id, viewer.role.id, ctx_));
  auto t0 = std::chrono::steady_clock::now();
  auto elapsed = [&] { return std::chrono::steady_clock::now() - t0; };
  bool demoted = false;
  while (!demoted && elapsed() < std::chrono::milliseconds(1500)) {
    auto p = on_b();
    ASSERT_TRUE(p);
    demoted = p->role->role_name == "Viewer";
    if (!demoted) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_TRUE(demoted);
  EXPECT_LE(elapsed(), std::chrono::milliseconds(1000));
  ASSERT_TRUE(svc_->auth().LogoutAll(bob.who, ctx_));
  t0 = std::chrono::steady_clock::now();
  bool signed_out = false;
  while (!signed_out && elapsed() < std::chrono::milliseconds(1500)) {
    signed_out = !b.auth().Authenticate(bob.grant.token.view(), ctx_);
    if (!signed_out) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_TRUE(signed_out);
  EXPECT_LE(elapsed(), std::chrono::milliseconds(1000));
}
#endif

TEST_F(ServicesTest, OwnerAndLastAdminAreProtected) {
  auto ada = SignUp("ada");
  auto viewer = MakeRole(ada.p, "Viewer", [](auto& p) { p[Collection::kTeam].read = true; });
  auto rm = svc_->team().RemoveMember(ada.p, ada.p.user_id, ctx_);
  ASSERT_FALSE(rm);
  EXPECT_EQ(rm.error().code, ErrorCode::kConflict);
  auto demote = svc_->team().ChangeMemberRole(ada.p, ada.p.user_id, viewer.role.id, ctx_);
  ASSERT_FALSE(demote);
  EXPECT_EQ(demote.error().code, ErrorCode::kConflict);
}

TEST_F(ServicesTest, DeletingAHeldRoleNeedsReassignment) {
  auto ada = SignUp("ada");
  auto viewer = MakeRole(ada.p, "Viewer", [](auto& p) { p[Collection::kTeam].read = true; });
  auto other = MakeRole(ada.p, "Other", [](auto& p) { p[Collection::kTeam].read = true; });
  auto [bob, bp] = Join(ada, "bob", viewer.role.id);
  auto del = svc_->roles().DeleteRole(ada.p, viewer.role.id, std::nullopt, ctx_);
  ASSERT_FALSE(del);
  EXPECT_EQ(del.error().code, ErrorCode::kConflict);
  ASSERT_TRUE(svc_->roles().DeleteRole(ada.p, viewer.role.id, other.role.id, ctx_));
  EXPECT_EQ(In(bob, ada.p.org_slug).role->role_name, "Other");
}

TEST_F(ServicesTest, ReadScopeOwnAndCreateLimitOnSshKeys) {
  auto ada = SignUp("ada");
  auto own = MakeRole(ada.p, "Own", [](auto& p) {
    p[Collection::kSshKeys] = {true, true, true, true, 2, domain::ReadScope::kOwn};
  });
  auto admin_key = svc_->ssh_keys().CreateSshKey(ada.p, {"admin", kEd25519, std::nullopt}, ctx_);
  ASSERT_TRUE(admin_key);
  auto [bob, bp] = Join(ada, "bob", own.role.id);
  ASSERT_TRUE(svc_->ssh_keys().CreateSshKey(bp, {"b1", kEd25519, std::nullopt}, ctx_));
  ASSERT_TRUE(svc_->ssh_keys().CreateSshKey(bp, {"b2", kEd25519, std::nullopt}, ctx_));
  auto third = svc_->ssh_keys().CreateSshKey(bp, {"b3", kEd25519, std::nullopt}, ctx_);
  ASSERT_FALSE(third);
  EXPECT_EQ(third.error().code, ErrorCode::kLimitReached);
  EXPECT_EQ(third.error().details["limit"], 2);
  auto list = svc_->ssh_keys().ListSshKeys(bp, 50, "", ctx_);
  ASSERT_TRUE(list);
  EXPECT_EQ(list->items.size(), 2u);
  for (auto& k : list->items) EXPECT_EQ(k.created_by, bob.grant.user.id);
  for (auto st : {svc_->ssh_keys().GetSshKey(bp, admin_key->id, ctx_).map([](auto&&) {}),
                  svc_->ssh_keys().UpdateSshKey(bp, admin_key->id, {"x", std::nullopt, std::nullopt}, ctx_).map([](auto&&) {}),
                  svc_->ssh_keys().DeleteSshKey(bp, admin_key->id, ctx_)}) {
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().code, ErrorCode::kNotFound);
  }
  EXPECT_EQ(svc_->ssh_keys().ListSshKeys(ada.p, 50, "", ctx_)->items.size(), 3u);
}

TEST_F(ServicesTest, ApiTokenNarrowsAndIsScopedToOneOrg) {
  auto ada = SignUp("ada");
  domain::Permissions read_only;
  read_only[Collection::kSshKeys].read = true;
  auto tok = svc_->auth().CreateApiToken(ada.who, {"ci", ada.p.org_slug, read_only, 30}, ctx_);
  ASSERT_TRUE(tok) << tok.error().message;
  auto who = svc_->auth().Authenticate(tok->secret.view(), ctx_);
  ASSERT_TRUE(who);
  auto p = svc_->auth().ResolvePrincipal(**who, ada.p.org_slug, ctx_);
  ASSERT_TRUE(p);
  EXPECT_TRUE(svc_->ssh_keys().ListSshKeys(*p, 50, "", ctx_));
  auto denied = svc_->ssh_keys().CreateSshKey(*p, {"k", kEd25519, std::nullopt}, ctx_);
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().details["permission"], "sshKeys.create");
  auto other = svc_->auth().CreateOrg(ada.who, "Second", std::string("second-org"), ctx_);
  ASSERT_TRUE(other);
  EXPECT_EQ(svc_->auth().ResolvePrincipal(**who, "second-org", ctx_).error().code, ErrorCode::kNotFound);
  clock_.Advance(31LL * 24 * 3600 * 1000);
  EXPECT_EQ(svc_->auth().Authenticate(tok->secret.view(), ctx_).error().code, ErrorCode::kUnauthenticated);
}

TEST_F(ServicesTest, LoginIsRateLimitedPerAccountAndAddress) {
  SignUp("ada");
  auto wrong = SecretBytes::FromString("wrong-password-123");
  for (int i = 0; i < 5; ++i) {
    auto r = svc_->auth().Login("ada@example.test", wrong, ctx_);
    ASSERT_EQ(r.error().code, ErrorCode::kUnauthenticated);
  }
  auto right = SecretBytes::FromString("correct-horse-battery");
  auto locked = svc_->auth().Login("ada@example.test", right, ctx_);
  ASSERT_FALSE(locked);
  EXPECT_EQ(locked.error().code, ErrorCode::kRateLimited);
  RequestContext home = ctx_;
  home.ip = "192.0.2.7";  // the owner's own address has no failures
  EXPECT_TRUE(svc_->auth().Login("ada@example.test", right, home));
  clock_.Advance(60LL * 1000 + 1);
  EXPECT_TRUE(svc_->auth().Login("ada@example.test", right, ctx_));
}

TEST_F(ServicesTest, LogoutAllRevokesEverySession) {
  auto ada = SignUp("ada");
  auto second = svc_->auth().Login("ada@example.test", SecretBytes::FromString("correct-horse-battery"), ctx_);
  ASSERT_TRUE(second);
  ASSERT_TRUE(svc_->auth().LogoutAll(ada.who, ctx_));
  EXPECT_FALSE(svc_->auth().Authenticate(ada.grant.token.view(), ctx_));
  EXPECT_FALSE(svc_->auth().Authenticate(second->token.view(), ctx_));
}

TEST_F(ServicesTest, OtherOrgsRowsAreNotFound) {
  auto ada = SignUp("ada");
  auto eve = SignUp("eve");
  auto key = svc_->ssh_keys().CreateSshKey(ada.p, {"k", kEd25519, std::nullopt}, ctx_);
  ASSERT_TRUE(key);
  EXPECT_EQ(svc_->ssh_keys().GetSshKey(eve.p, key->id, ctx_).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(svc_->ssh_keys().DeleteSshKey(eve.p, key->id, ctx_).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(svc_->auth().ResolvePrincipal(eve.who, ada.p.org_slug, ctx_).error().code, ErrorCode::kNotFound);
  auto roles = svc_->roles().ListRoles(ada.p, ctx_);
  EXPECT_EQ(svc_->roles().GetRole(eve.p, roles->front().role.id, ctx_).error().code, ErrorCode::kNotFound);
}

TEST_F(ServicesTest, DeniedAttemptsAreAudited) {
  auto ada = SignUp("ada");
  auto viewer = MakeRole(ada.p, "Viewer", [](auto& p) { p[Collection::kSshKeys].read = true; });
  auto [bob, bp] = Join(ada, "bob", viewer.role.id);
  ASSERT_FALSE(svc_->ssh_keys().CreateSshKey(bp, {"k", kEd25519, std::nullopt}, ctx_));
  auto audit = svc_->team().ListAudit(ada.p, 200, "", ctx_);
  ASSERT_TRUE(audit);
  bool found = false;
  for (auto& e : audit->items) found = found || (e.outcome == "denied" && e.action == "sshKeys.create" && e.actor_id == bob.grant.user.id);
  EXPECT_TRUE(found);
  EXPECT_EQ(svc_->team().ListAudit(bp, 50, "", ctx_).error().code, ErrorCode::kForbidden);
}

TEST_F(ServicesTest, PrivateKeyIsEncryptedAtRest) {
  auto ada = SignUp("ada");
  const std::string pem = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA-unique-marker\n-----END OPENSSH PRIVATE KEY-----\n";
  auto key = svc_->ssh_keys().CreateSshKey(ada.p, {"k", kEd25519, SecretBytes::FromString(pem)}, ctx_);
  ASSERT_TRUE(key);
  EXPECT_FALSE(key->private_key_sealed.empty());
  EXPECT_EQ(key->private_key_sealed.find("unique-marker"), std::string::npos);
  const std::string bytes = BytesAtRest();
  EXPECT_EQ(bytes.find("unique-marker"), std::string::npos);
  EXPECT_NE(bytes.find("AAAAC3NzaC1lZDI1NTE5"), std::string::npos);  // the public key is plain
}

TEST_F(ServicesTest, OnlyVerifiedBackupStorageCanBeUsedForExternalBackups) {
  auto ada = SignUp("ada");
  BackupStorageInput in;
  in.name = "backups";
  in.endpoint = "http://127.0.0.1:1";  // nothing listens: the verify below fails at the write step
  in.region = "us-east-1";
  in.bucket = "acme-backups";
  in.prefix = "db";
  in.access_key_id = "AKIDEXAMPLE";
  in.secret_access_key = SecretBytes::FromString("unit-test-secret-value");
  Config cfg = OpenSignup();
  cfg.allow_private_targets = true;
  cfg.connect_timeout_ms = 1000;
  svc_ = std::make_unique<Services>(Deps{*store_, *envelope_, mailer_, clock_, ids_, cache_, nodes_}, cfg);
  auto row = svc_->backup_storage().CreateBackupStorage(ada.p, std::move(in), ctx_);
  ASSERT_TRUE(row) << row.error().message;
  EXPECT_EQ(row->Field("prefix"), "db/");

  // Never verified: refused with the product's wording, on the field issue 5's request names.
  auto never = svc_->backup_storage().RequireVerifiedBackupStorage(ada.p, row->id, ctx_);
  ASSERT_FALSE(never);
  EXPECT_EQ(never.error().code, ErrorCode::kValidationFailed);
  EXPECT_EQ(never.error().layer, Layer::kBackupStorage);
  EXPECT_NE(never.error().message.find("External backups on a database Service require a verified provider from "
                                       "Integrations → Backup Storage."),
            std::string::npos);
  EXPECT_NE(never.error().message.find("never been verified"), std::string::npos);
  EXPECT_TRUE(never.error().details["fields"].contains("backup_storage_id"));

  // A failed verify: the refusal carries the failing step.
  auto v = svc_->backup_storage().VerifyBackupStorage(ada.p, row->id, ctx_);
  ASSERT_TRUE(v);
  EXPECT_FALSE(v->ok);
  auto failed = svc_->backup_storage().RequireVerifiedBackupStorage(ada.p, row->id, ctx_);
  ASSERT_FALSE(failed);
  EXPECT_NE(failed.error().message.find("failed at the write step: The write step failed: no answer from"),
            std::string::npos) << failed.error().message;
  EXPECT_EQ(failed.error().message.find("unit-test-secret-value"), std::string::npos);

  // Verified (as a passing verify records it): the storage opens, with its secret and S3 settings.
  ASSERT_TRUE(store_->Write([&](store::Tx& tx) -> Status {
    auto r = tx.integrations().Find(ada.p.org_id, "backupStorage", row->id);
    if (!r || !*r) return Err(ErrorCode::kNotFound, "row");
    (*r)->verified = true;
    (*r)->last_error.clear();
    return tx.integrations().RecordVerification(**r);
  }));
  auto ok = svc_->backup_storage().RequireVerifiedBackupStorage(ada.p, row->id, ctx_);
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->secret_access_key.view(), "unit-test-secret-value");
  EXPECT_EQ(ok->prefix, "db/");
  integrations::S3Config c = ok->S3();
  EXPECT_EQ(c.bucket, "acme-backups");
  EXPECT_TRUE(c.path_style);
  EXPECT_EQ(c.secret_access_key, &ok->secret_access_key);

  // Another org's member cannot reach it, verified or not.
  auto eve = SignUp("eve");
  EXPECT_EQ(svc_->backup_storage().RequireVerifiedBackupStorage(eve.p, row->id, ctx_).error().code, ErrorCode::kNotFound);
}

// Applications: the control plane resolves a service's environment for a deploy (database URI,
// generated secret) and tracks the keys to unset; nothing secret is stored in plaintext.
TEST_F(ServicesTest, ServiceEnvironmentResolvesReferencesSecretsAndUnsetKeys) {
  Account ada = SignUp("ada");
  ASSERT_TRUE(store_->Write([&](store::Tx& tx) -> Status {
    WHARF_TRY(tx.ssh_keys().Insert({"key_x", ada.p.org_id, "k", "ssh-ed25519", "ssh-ed25519 AAAA", "SHA256:x", "", false,
                                    1, 1, ada.p.user_id}));
    domain::Server srv;
    srv.id = "srv_test";
    srv.org_id = ada.p.org_id;
    srv.name = "node";
    srv.host = "127.0.0.1";
    srv.username = "deploy";
    srv.ssh_key_id = "key_x";
    srv.created_by = ada.p.user_id;
    return tx.servers().Insert(srv);
  }));
  auto app = svc_->applications().CreateApplication(ada.p, Collection::kApplications, {"shop", std::nullopt, "srv_test"}, ctx_);
  ASSERT_TRUE(app) << app.error().message;
  ServiceInput db;
  db.name = "db";
  db.type = "database";
  db.engine = "postgres";
  auto dbs = svc_->app_services().CreateService(ada.p, app->id, db, ctx_);
  ASSERT_TRUE(dbs) << dbs.error().message;
  ServiceInput web;
  web.name = "web";
  web.type = "app";
  web.repository = "https://git.example.com/acme/web.git";
  web.branch = "main";
  web.variables = std::vector<VariableInput>{{"DATABASE_URL", "{{ db.DATABASE_URL }}"},
                                             {"SECRET", "{{ secret(40, \"abcdef0123456789\") }}"},
                                             {"OLD", "gone soon"}};
  auto ws = svc_->app_services().CreateService(ada.p, app->id, web, ctx_);
  ASSERT_TRUE(ws) << ws.error().message;
  ASSERT_TRUE(svc_->app_services().PutVariables(ada.p, ws->service.id, {{"DATABASE_URL", "{{ db.DATABASE_URL }}"},
                                                         {"SECRET", "{{ secret(40, \"abcdef0123456789\") }}"}}, ctx_));
  auto env = svc_->app_services().ResolveEnvironment(ada.p.org_id, ws->service.id);
  ASSERT_TRUE(env) << env.error().message;
  ASSERT_EQ(env->set.size(), 2u);
  auto creds = svc_->app_services().RevealCredentials(ada.p, dbs->service.id, ctx_);
  ASSERT_TRUE(creds);
  EXPECT_EQ(env->set[0].second.view(), (*creds)["database_url"].get<std::string>());
  const std::string secret(env->set[1].second.view());
  EXPECT_EQ(secret.size(), 40u);
  EXPECT_EQ(env->unset, std::vector<std::string>{"OLD"});
  ASSERT_TRUE(svc_->app_services().ClearUnsetKeys(ada.p.org_id, ws->service.id, env->unset));
  EXPECT_TRUE(svc_->app_services().ResolveEnvironment(ada.p.org_id, ws->service.id)->unset.empty());
  EXPECT_FALSE(svc_->app_services().ResolveEnvironment("org_other", ws->service.id));
  const std::string password = (*creds)["password"];
  const std::string bytes = BytesAtRest();
  EXPECT_EQ(bytes.find(secret), std::string::npos);
  EXPECT_EQ(bytes.find(password), std::string::npos);
}

// secret() drawn from the real CSPRNG over 62 characters (62 does not divide 256) is uniform.
TEST_F(ServicesTest, SecretFromTheCsprngIsUniform) {
  const std::string cs = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  domain::RandomFill random = [](unsigned char* out, size_t n) { secrets::RandomBytes(out, n); };
  std::vector<int64_t> counts(62);
  int64_t total = 0;
  for (int i = 0; i < 200; ++i) {
    for (char c : domain::GenerateSecret({4096, cs}, random)) ++counts[cs.find(c)];
    total += 4096;
  }
  double expected = static_cast<double>(total) / 62, chi = 0;
  for (auto c : counts) chi += (c - expected) * (c - expected) / expected;
  EXPECT_LT(chi, 130.0);  // 61 degrees of freedom: P(chi² > 130) < 1e-6; modulo bias scores ~5000
}

TEST_F(ServicesTest, SsoOnlyRefusesOtherSignInsExceptTheBreakGlassAdmin) {
  auto ada = SignUp("ada");  // the instance administrator, owner and Admin of her org
  auto dev = MakeRole(ada.p, "Dev", [](auto& p) { p[Collection::kTeam].read = true; });
  auto [bob, bob_p] = Join(ada, "bob", dev.role.id);
  IdentityProviderInput idp_in;
  idp_in.name = "corp";
  idp_in.issuer = "https://login.corp.test";
  idp_in.client_id = "wharf";
  auto idp = svc_->sso().CreateProvider(ada.who, std::move(idp_in), ctx_);
  ASSERT_TRUE(idp) << idp.error().message;
  const auto pw = SecretBytes::FromString("correct-horse-battery");
  auto bob_sso = svc_->auth().Login("bob@example.test", pw, ctx_);  // stands for a session opened through corp
  ASSERT_TRUE(bob_sso);
  ASSERT_TRUE(store_->Write([&](store::Tx& tx) -> Status {
    return tx.sso().MarkSsoSession(bob_sso->session.id, idp->id, clock_.Now());
  }));

  // Only an Admin turns it on, naming a provider and an Admin member as break-glass.
  auto by_bob = svc_->sso_only().Set(bob_p, {true, "corp", ada.who.user.id}, ctx_);
  ASSERT_FALSE(by_bob);
  EXPECT_EQ(by_bob.error().code, ErrorCode::kForbidden);
  auto no_provider = svc_->sso_only().Set(ada.p, {true, std::nullopt, ada.who.user.id}, ctx_);
  ASSERT_FALSE(no_provider);
  EXPECT_TRUE(no_provider.error().details["fields"].contains("provider"));
  auto not_admin = svc_->sso_only().Set(ada.p, {true, "corp", bob.who.user.id}, ctx_);
  ASSERT_FALSE(not_admin);
  EXPECT_TRUE(not_admin.error().details["fields"].contains("break_glass_user_id"));

  auto on = svc_->sso_only().Set(ada.p, {true, "corp", ada.who.user.id}, ctx_);
  ASSERT_TRUE(on) << on.error().message;
  EXPECT_TRUE(on->enabled);
  EXPECT_EQ(on->provider, "corp");
  EXPECT_EQ(on->sessions_ended, 1);  // bob's password session; his SSO session and ada's stay
  EXPECT_FALSE(svc_->auth().Authenticate(bob.grant.token.view(), ctx_));
  EXPECT_TRUE(svc_->auth().Authenticate(bob_sso->token.view(), ctx_));
  EXPECT_TRUE(svc_->auth().Authenticate(ada.grant.token.view(), ctx_));
  auto got = svc_->sso_only().Get(bob_p, ctx_);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->break_glass->email, "ada@example.test");

  auto refused = svc_->auth().Login("bob@example.test", pw, ctx_);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kSsoRequired);
  EXPECT_EQ(refused.error().details.value("org", ""), ada.p.org_slug);
  EXPECT_EQ(refused.error().details.value("provider", ""), "corp");
  EXPECT_NE(refused.error().message.find("corp"), std::string::npos);
  EXPECT_TRUE(svc_->auth().Login("ada@example.test", pw, ctx_));  // the break-glass Admin
  ASSERT_TRUE(store_->Write([&](store::Tx& tx) -> Status {
    EXPECT_TRUE(svc_->sso_only().CheckSignIn(tx, bob.who.user, "sso:" + idp->id));
    auto other = svc_->sso_only().CheckSignIn(tx, bob.who.user, "sso:idp_other");
    EXPECT_FALSE(other);
    auto passkey = svc_->sso_only().CheckSignIn(tx, bob.who.user, "passkey");
    EXPECT_FALSE(passkey);
    return Ok();
  }));
  // The provider cannot go while an org signs in only through it.
  auto del = svc_->sso().DeleteProvider(ada.who, idp->id, ctx_);
  ASSERT_FALSE(del);
  EXPECT_EQ(del.error().code, ErrorCode::kConflict);

  auto off = svc_->sso_only().Set(ada.p, {false, std::nullopt, std::nullopt}, ctx_);
  ASSERT_TRUE(off);
  EXPECT_FALSE(off->enabled);
  EXPECT_TRUE(svc_->auth().Login("bob@example.test", pw, ctx_));
  EXPECT_TRUE(svc_->sso().DeleteProvider(ada.who, idp->id, ctx_));
}

}  // namespace
}  // namespace wharf::services
