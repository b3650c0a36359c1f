// The scheduled re-verification of integrations (services/reverification.h) on the real store:
// SQLite here, PostgreSQL in services_pg_test. The registries point at a closed port on
// 127.0.0.1, so a verification fails for real (the connect check); a passing verification is
// written to the row as the Verify button records one. Passing verifications against a real
// registry, and the webhook that receives the message, are tests/e2e/integration_reverify.test.mjs.
#include <gtest/gtest.h>

#include <algorithm>

#include "services/testing/services_fixture.h"

namespace wharf::services {
namespace {

class NullMailer : public http_client::Mailer {
 public:
  Status Send(const http_client::MailMessage&) override {
    return Err(ErrorCode::kUnavailable, "email is disabled", Layer::kEmail);
  }
  bool enabled() const override { return false; }
};

constexpr int64_t kHour = 3'600'000;
constexpr const char* kImage = "127.0.0.1:1/team/app:v1";

class ReverificationTest : public testing::ServicesFixture<NullMailer> {
 protected:
  void SetUp() override {
    Config c;
    c.signup_policy = Config::SignupPolicy::kOpen;
    c.allow_private_targets = true;
    c.integration_verify_interval_ms = interval_ms_;
    c.integration_verify_batch = batch_;
    ASSERT_NO_FATAL_FAILURE(StartServices("reverify", c));
    auto g = svc_->auth().Signup({"ada@example.test", "ada", SecretBytes::FromString("correct-horse-battery"), {}}, ctx_);
    ASSERT_TRUE(g) << g.error().message;
    auto who = svc_->auth().Authenticate(g->token.view(), ctx_);
    ASSERT_TRUE(who);
    auto p = svc_->auth().ResolvePrincipal(**who, g->org->slug, ctx_);
    ASSERT_TRUE(p);
    p_ = *p;
    // A verified webhook channel (as a passed test leaves it) and a rule for the event.
    auto ch = svc_->notifications().CreateChannel(
        p_, {.name = "hook", .type = "webhook", .url = SecretBytes::FromString("http://127.0.0.1:1/hook")}, ctx_);
    ASSERT_TRUE(ch) << ch.error().message;
    channel_ = ch->channel;
    channel_.verified = true;
    channel_.last_verified_at = clock_.Now();
    ASSERT_TRUE(store_->Write([&](store::Tx& tx) { return tx.integrations().RecordVerification(channel_); }));
    ASSERT_TRUE(svc_->notifications().CreateRule(
        p_, {.events = {{"integration.verify_failed"}}, .channel_ids = {{channel_.id}}}, ctx_));
  }

  // A registry on a closed port, never verified.
  domain::Integration Registry(const std::string& name) {
    auto reg = svc_->registries().CreateDockerRegistry(
        p_, {.name = name, .host = "127.0.0.1:1", .username = "ci-" + name, .password = SecretBytes::FromString("reg-pass-77")},
        ctx_);
    EXPECT_TRUE(reg) << reg.error().message;
    return *reg;
  }
  domain::Integration Row(const std::string& kind, const std::string& id) {
    std::optional<domain::Integration> row;
    EXPECT_TRUE(store_->Read([&](store::Tx& tx) -> Status {
      WHARF_ASSIGN_OR_RETURN(row, tx.integrations().Find(p_.org_id, kind, id));
      return Ok();
    }));
    return row.value_or(domain::Integration{});
  }
  // What a passing Verify records on the row (the real pass is in the e2e test).
  void RecordPass(const std::string& id) {
    auto row = Row(kDockerRegistries.name, id);
    row.verified = true;
    row.last_error.clear();
    row.last_verified_at = clock_.Now();
    ASSERT_TRUE(store_->Write([&](store::Tx& tx) { return tx.integrations().RecordVerification(row); }));
  }
  // A registry verified once by hand with kImage (which fails: the port is closed), then
  // recorded as passing: a healthy row whose next verification is due in interval_ms_.
  domain::Integration PassingRegistry(const std::string& name) {
    auto reg = Registry(name);
    auto out = svc_->registries().VerifyDockerRegistry(p_, reg.id, std::string(kImage), ctx_);
    EXPECT_TRUE(out) << out.error().message;
    RecordPass(reg.id);
    return Row(kDockerRegistries.name, reg.id);
  }
  std::vector<domain::NotificationDelivery> VerifyFailedDeliveries() {
    auto page = svc_->notifications().ListDeliveries(p_, "", 200, "", ctx_);
    EXPECT_TRUE(page) << page.error().message;
    std::vector<domain::NotificationDelivery> out;
    if (page)
      for (auto& d : page->items)
        if (d.event == "integration.verify_failed") out.push_back(d);
    return out;
  }
  std::vector<domain::AuditEvent> Audit() {
    std::vector<domain::AuditEvent> out;
    EXPECT_TRUE(store_->Read([&](store::Tx& tx) -> Status {
      WHARF_ASSIGN_OR_RETURN(out, tx.audit().List(p_.org_id, 0, 200));
      return Ok();
    }));
    return out;
  }

  int64_t interval_ms_ = kHour;
  int batch_ = 20;
  authz::Principal p_;
  domain::Integration channel_;
};

TEST_F(ReverificationTest, OnlyRowsWhoseLastVerificationIsOlderThanTheIntervalAreDue) {
  auto reg = PassingRegistry("old");
  EXPECT_EQ(svc_->reverification().RunDueVerifications(), 0) << "verified just now: not due";
  clock_.Advance(kHour - 1);
  EXPECT_EQ(svc_->reverification().RunDueVerifications(), 0) << "one millisecond short of the interval";
  clock_.Advance(1);
  EXPECT_EQ(svc_->reverification().RunDueVerifications(), 1);
  auto row = Row(kDockerRegistries.name, reg.id);
  EXPECT_EQ(row.last_verified_at, clock_.Now());
  EXPECT_EQ(svc_->reverification().RunDueVerifications(), 0) << "verified again just now";
}

TEST_F(ReverificationTest, AFailureAfterAPassIsAnnouncedOnceUntilAVerificationPassesAgain) {
  auto reg = PassingRegistry("ghcr");
  const auto manual = VerifyFailedDeliveries().size();  // the hand verification failed: announced, as today
  ASSERT_EQ(manual, 1u);

  // pass → fail: one message, saying it was the schedule.
  clock_.Advance(kHour);
  ASSERT_EQ(svc_->reverification().RunDueVerifications(), 1);
  auto ds = VerifyFailedDeliveries();
  ASSERT_EQ(ds.size(), manual + 1);
  auto ev = nlohmann::json::parse(ds.front().event_json);  // newest first
  EXPECT_NE(ev["what"].get<std::string>().find("scheduled re-verification"), std::string::npos) << ev.dump();
  EXPECT_NE(ev["what"].get<std::string>().find("ghcr"), std::string::npos) << ev.dump();
  EXPECT_FALSE(ev["layer"].get<std::string>().empty()) << ev.dump();
  EXPECT_FALSE(ev["fix"].get<std::string>().empty()) << ev.dump();
  EXPECT_EQ(ds.front().event_json.find("reg-pass-77"), std::string::npos);
  auto row = Row(kDockerRegistries.name, reg.id);
  EXPECT_FALSE(row.verified);
  auto err = nlohmann::json::parse(row.last_error);
  EXPECT_FALSE(err["check"].get<std::string>().empty()) << row.last_error;
  EXPECT_EQ(row.last_verified_at, clock_.Now());

  // Audited as the system, like a Verify.
  auto audit = Audit();
  auto it = std::find_if(audit.begin(), audit.end(), [](const auto& e) { return e.action == "dockerRegistries.verify"; });
  ASSERT_NE(it, audit.end());
  EXPECT_EQ(it->actor_id, "system");
  EXPECT_EQ(it->actor_email, "system");
  EXPECT_EQ(it->detail, "failed (scheduled)");
  EXPECT_EQ(it->resource_id, reg.id);
  for (const auto& e : audit) EXPECT_EQ(e.detail.find("reg-pass-77"), std::string::npos);

  // fail → fail on later schedules: nothing more.
  for (int i = 0; i < 3; ++i) {
    clock_.Advance(kHour);
    ASSERT_EQ(svc_->reverification().RunDueVerifications(), 1);
  }
  EXPECT_EQ(VerifyFailedDeliveries().size(), manual + 1);

  // fail → pass → fail: announced again.
  RecordPass(reg.id);
  clock_.Advance(kHour);
  ASSERT_EQ(svc_->reverification().RunDueVerifications(), 1);
  EXPECT_EQ(VerifyFailedDeliveries().size(), manual + 2);

  // A Verify by hand keeps announcing every failure.
  ASSERT_TRUE(svc_->registries().VerifyDockerRegistry(p_, reg.id, std::string(kImage), ctx_));
  EXPECT_EQ(VerifyFailedDeliveries().size(), manual + 3);
}

TEST_F(ReverificationTest, TwoReplicasRecordingTheSameFailureSendOneMessage) {
  auto reg = PassingRegistry("twice");
  const auto before = VerifyFailedDeliveries().size();
  clock_.Advance(kHour);
  // Both replicas loaded the passing row and found the same failure.
  const RequestContext sched{.request_id = "sched_test", .ip = "", .user_agent = "gtest", .scheduled = true};
  CheckOutcome out{false, {{"ok", false},
                           {"checks", {{{"name", "auth"}, {"status", "failed"}, {"message", "401"}, {"layer", "registry"},
                                        {"fix", "Check the password."}}}}}};
  auto& integrations = svc_->integrations();
  ASSERT_TRUE(integrations.RecordIntegrationVerify(SystemActor(p_.org_id), kDockerRegistries, reg, out, sched));
  clock_.Advance(5);
  ASSERT_TRUE(integrations.RecordIntegrationVerify(SystemActor(p_.org_id), kDockerRegistries, reg, out, sched));
  EXPECT_EQ(VerifyFailedDeliveries().size(), before + 1);
  EXPECT_EQ(Row(kDockerRegistries.name, reg.id).last_verified_at, clock_.Now() - 5) << "the later copy was dropped";
}

TEST_F(ReverificationTest, NeverVerifiedChangedAndChannelRowsAreNotReverified) {
  auto draft = Registry("draft");  // never verified
  auto changed = PassingRegistry("changed");
  // A new password leaves the row unverified until someone verifies it.
  ASSERT_TRUE(svc_->registries().UpdateDockerRegistry(p_, changed.id, {.password = SecretBytes::FromString("new-pass-88")},
                                                      ctx_));
  auto due = PassingRegistry("due");
  clock_.Advance(2 * kHour);
  EXPECT_EQ(svc_->reverification().RunDueVerifications(), 1) << "only 'due'; not the channel, the draft or 'changed'";
  EXPECT_EQ(Row(kDockerRegistries.name, due.id).last_verified_at, clock_.Now());
  EXPECT_EQ(Row(kDockerRegistries.name, draft.id).last_verified_at, 0);
  EXPECT_LT(Row(kDockerRegistries.name, changed.id).last_verified_at, clock_.Now());
  EXPECT_LT(Row("notificationChannels", channel_.id).last_verified_at, clock_.Now());
}

TEST_F(ReverificationTest, ABusyOrgsRowsWaitForItsOutboundSlots) {
  PassingRegistry("a");
  clock_.Advance(kHour);
  auto& slots = svc_->outbound_slots();
  int held = 0;
  while (slots.TryAcquire(p_.org_id)) ++held;  // every slot taken by the org's Verify requests
  EXPECT_EQ(held, svc_->config().max_outbound_per_org);
  EXPECT_EQ(svc_->reverification().RunDueVerifications(), 0);
  slots.Release(p_.org_id);
  EXPECT_EQ(svc_->reverification().RunDueVerifications(), 1);
  for (int i = 1; i < held; ++i) slots.Release(p_.org_id);
}

class ReverificationBatchTest : public ReverificationTest {
 protected:
  void SetUp() override {
    batch_ = 2;
    ReverificationTest::SetUp();
  }
};

TEST_F(ReverificationBatchTest, ARunVerifiesAtMostABatchOldestFirst) {
  auto a = PassingRegistry("a");
  clock_.Advance(1);
  auto b = PassingRegistry("b");
  clock_.Advance(1);
  auto c = PassingRegistry("c");
  clock_.Advance(kHour);
  EXPECT_EQ(svc_->reverification().RunDueVerifications(), 2);
  EXPECT_EQ(Row(kDockerRegistries.name, a.id).last_verified_at, clock_.Now());
  EXPECT_EQ(Row(kDockerRegistries.name, b.id).last_verified_at, clock_.Now());
  EXPECT_EQ(Row(kDockerRegistries.name, c.id).last_verified_at, c.last_verified_at);
  EXPECT_EQ(svc_->reverification().RunDueVerifications(), 1);
}

class ReverificationOffTest : public ReverificationTest {
 protected:
  void SetUp() override {
    interval_ms_ = 0;
    ReverificationTest::SetUp();
  }
};

TEST_F(ReverificationOffTest, ZeroTurnsTheScheduleOff) {
  auto reg = PassingRegistry("a");
  clock_.Advance(365LL * 24 * kHour);
  EXPECT_EQ(svc_->reverification().RunDueVerifications(), 0);
  EXPECT_LT(Row(kDockerRegistries.name, reg.id).last_verified_at, clock_.Now());
}

}  // namespace
}  // namespace wharf::services
