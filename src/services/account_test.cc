// The account use cases on the real SQLite store with a fake clock (expiry without waiting) and
// a recording mailer (the links the emails carry). tests/e2e/account.test.mjs drives the same
// through HTTP with a real mail server.
#include <gtest/gtest.h>

#include <filesystem>
#include <mutex>
#include <unistd.h>

#include "services/testing/services_fixture.h"

namespace wharf::services {
namespace {

namespace fs = std::filesystem;

class LinkMailer : public http_client::Mailer {
 public:
  Status Send(const http_client::MailMessage& m) override {
    std::lock_guard lock(mu);
    sent.push_back(m);
    return Ok();
  }
  bool enabled() const override { return true; }
  // The token of the last email to `to` that carries `path` ("/reset-password/").
  std::string LastToken(const std::string& to, const std::string& path) {
    std::lock_guard lock(mu);
    for (auto it = sent.rbegin(); it != sent.rend(); ++it) {
      if (it->to != to) continue;
      auto at = it->text_body.find(path);
      if (at == std::string::npos) continue;
      auto start = at + path.size();
      return it->text_body.substr(start, it->text_body.find_first_of("\r\n ", start) - start);
    }
    return {};
  }
  std::mutex mu;
  std::vector<http_client::MailMessage> sent;
};

class AccountTest : public testing::ServicesFixture<LinkMailer> {
 protected:
  void SetUp() override {
    Config c;
    c.signup_policy = Config::SignupPolicy::kOpen;
    ASSERT_NO_FATAL_FAILURE(StartServices("account", c));
    // The first account (verified, signed in at once), then one through open sign-up.
    ASSERT_TRUE(svc_->auth().Signup({"root@example.test", "Root", SecretBytes::FromString(kPassword), {}}, ctx_));
    auto g = svc_->auth().Signup({"ann@example.test", "Ann", SecretBytes::FromString(kPassword), {}}, ctx_);
    ASSERT_TRUE(g) << g.error().message;
    ASSERT_TRUE(g->check_email);
  }
  std::shared_ptr<const Authenticated> SignIn(const std::string& password = kPassword) {
    auto g = svc_->auth().Login("ann@example.test", SecretBytes::FromString(password), ctx_);
    EXPECT_TRUE(g) << g.error().message;
    auto who = svc_->auth().Authenticate(g->token.view(), ctx_);
    EXPECT_TRUE(who);
    return *who;
  }
  std::string RequestReset() {
    EXPECT_TRUE(svc_->account().RequestPasswordReset("ann@example.test", ctx_));
    svc_->account().Drain();
    return mailer_.LastToken("ann@example.test", "/reset-password/");
  }

  static constexpr const char* kPassword = "correct-horse-battery";
};

TEST_F(AccountTest, ResetLinkExpiresAfterOneHour) {
  const std::string token = RequestReset();
  ASSERT_EQ(token.rfind("whr_", 0), 0u) << token;
  clock_.Advance(kPasswordResetTtlMs - 1);
  EXPECT_TRUE(svc_->account().InspectPasswordReset(token));
  clock_.Advance(1);
  auto r = svc_->account().CompletePasswordReset(token, SecretBytes::FromString("a-new-password-2026"), ctx_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kLinkExpired);
}

TEST_F(AccountTest, ResetLinkIsSingleUseAndEndsEverySession) {
  auto who = SignIn();
  const std::string token = RequestReset();
  EXPECT_TRUE(svc_->account().InspectPasswordReset(token));  // looking uses nothing
  ASSERT_TRUE(svc_->account().CompletePasswordReset(token, SecretBytes::FromString("a-new-password-2026"), ctx_));
  auto again = svc_->account().CompletePasswordReset(token, SecretBytes::FromString("another-password-2026"), ctx_);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kLinkInvalid);
  auto r = svc_->account().ListSessions(*who);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->empty());
  EXPECT_TRUE(SignIn("a-new-password-2026"));
}

TEST_F(AccountTest, ResetLinkVoidedByAPasswordChange) {
  const std::string token = RequestReset();
  auto who = SignIn();
  ASSERT_TRUE(svc_->account().ChangePassword(*who, SecretBytes::FromString(kPassword),
                                             SecretBytes::FromString("changed-meanwhile-1"), ctx_));
  auto r = svc_->account().CompletePasswordReset(token, SecretBytes::FromString("would-take-over-1"), ctx_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kLinkInvalid);
}

TEST_F(AccountTest, ResetForAnUnknownAddressSendsNothingAndAnswersTheSame) {
  const size_t before = mailer_.sent.size();
  EXPECT_TRUE(svc_->account().RequestPasswordReset("nobody@example.test", ctx_));
  svc_->account().Drain();
  EXPECT_EQ(mailer_.sent.size(), before);
}

TEST_F(AccountTest, VerificationLinkExpiresAfterADayAndUnlocksCreatingOrgs) {
  const std::string token = mailer_.LastToken("ann@example.test", "/verify-email/");
  ASSERT_FALSE(token.empty());
  auto who = SignIn();
  EXPECT_FALSE(who->user.email_verified);
  auto refused = svc_->auth().CreateOrg(*who, "Second", std::nullopt, ctx_);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().details["reason"], "email_unverified");
  clock_.Advance(kEmailLinkTtlMs);
  EXPECT_EQ(svc_->account().VerifyEmail(token, ctx_).error().code, ErrorCode::kLinkExpired);
  ASSERT_TRUE(svc_->account().ResendVerification(*who, ctx_));
  svc_->account().Drain();
  const std::string fresh = mailer_.LastToken("ann@example.test", "/verify-email/");
  ASSERT_NE(fresh, token);
  ASSERT_TRUE(svc_->account().VerifyEmail(fresh, ctx_));
  EXPECT_TRUE(svc_->auth().CreateOrg(*SignIn(), "Second", std::nullopt, ctx_));
}

TEST_F(AccountTest, DeleteRefusedWhileOwningAnOrgNamesIt) {
  auto who = SignIn();
  auto orgs = svc_->auth().MyOrgs(*who);
  ASSERT_TRUE(orgs);
  ASSERT_EQ(orgs->size(), 1u);
  auto r = svc_->account().DeleteMe(*who, SecretBytes::FromString(kPassword), ctx_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kConflict);
  EXPECT_EQ(r.error().details["orgs"][0]["slug"], orgs->front().org.slug);
  EXPECT_EQ(r.error().details["orgs"][0]["reason"], "owner");
}

}  // namespace
}  // namespace wharf::services
