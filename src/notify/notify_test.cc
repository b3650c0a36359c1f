#include "notify/notify.h"

#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "secrets/crypto.h"

namespace wharf::notify {
namespace {

// The Standard Webhooks specification's published test vector (standard-webhooks/standard-webhooks,
// the reference libraries' tests): secret, id, timestamp, payload and the expected signature.
constexpr const char* kVectorSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
constexpr const char* kVectorId = "msg_p5jXN8AQM9LWM0D4loKWxJek";
constexpr int64_t kVectorTs = 1614265330;
constexpr const char* kVectorBody = "{\"test\": 2432232314}";
constexpr const char* kVectorSig = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

Event Sample() {
  Event e;
  e.kind = EventKind::kDeploymentFailed;
  e.org_slug = "acme";
  e.org_name = "Acme <Ops> & Co";
  e.subject = "shop/web";
  e.what = "Deploy of web failed: the registry refused the pull (401). <!channel> @everyone";
  e.layer = "registry";
  e.fix = "Verify the registry's credentials under Integrations > Registries.";
  e.link = "https://wharf.example/orgs/acme/apps/shop";
  e.occurred_at_ms = 1'700'000'000'123;
  return e;
}

TEST(StandardWebhooks, MatchesTheSpecificationVector) {
  auto sig = SignStandardWebhook(SecretBytes::FromString(kVectorSecret), kVectorId, kVectorTs, kVectorBody);
  ASSERT_TRUE(sig) << sig.error().message;
  EXPECT_EQ(*sig, kVectorSig);
}

TEST(StandardWebhooks, VerifyAcceptsOneOfSeveralAndRefusesTamperingAndOldTimestamps) {
  auto secret = SecretBytes::FromString(kVectorSecret);
  std::string header = std::string("v1,AAAA ") + kVectorSig;
  EXPECT_TRUE(VerifyStandardWebhook(secret, kVectorId, "1614265330", header, kVectorBody, kVectorTs + 10));
  EXPECT_FALSE(VerifyStandardWebhook(secret, kVectorId, "1614265330", header, "{\"test\": 2432232315}", kVectorTs));
  EXPECT_FALSE(VerifyStandardWebhook(secret, "msg_other", "1614265330", header, kVectorBody, kVectorTs));
  EXPECT_FALSE(VerifyStandardWebhook(secret, kVectorId, "1614265330", header, kVectorBody, kVectorTs + 301));
  EXPECT_FALSE(VerifyStandardWebhook(secret, kVectorId, "1614265330", header, kVectorBody, kVectorTs - 301));
  EXPECT_FALSE(VerifyStandardWebhook(secret, kVectorId, "16142x5330", header, kVectorBody, kVectorTs));
  EXPECT_FALSE(VerifyStandardWebhook(SecretBytes::FromString("whsec_c2VjcmV0LW9mLWEtcm90YXRlZC1lbmRwb2ludA=="),
                                     kVectorId, "1614265330", header, kVectorBody, kVectorTs));
}

TEST(StandardWebhooks, NewSecretsAreWhsecBase64Of32BytesAndDistinct) {
  SecretBytes a = NewWebhookSecret(), b = NewWebhookSecret();
  EXPECT_EQ(a.view().substr(0, 6), "whsec_");
  EXPECT_EQ(a.view().size(), 6u + 44u);
  EXPECT_NE(a.view(), b.view());
  auto sig = SignStandardWebhook(a, "msg_1", 1, "{}");
  ASSERT_TRUE(sig);
  EXPECT_TRUE(VerifyStandardWebhook(a, "msg_1", "1", *sig, "{}", 1));
}

TEST(StandardWebhooks, MalformedSecretNamesTheField) {
  auto sig = SignStandardWebhook(SecretBytes::FromString("whsec_***"), "m", 1, "{}");
  ASSERT_FALSE(sig);
  EXPECT_TRUE(sig.error().details["fields"].contains("secret"));
}

TEST(Render, EmailNamesOrgSubjectLayerFixAndLink) {
  Message m = Render(Sample(), ChannelKind::kEmail);
  EXPECT_EQ(m.subject, "[Wharf] Acme <Ops> & Co: Deployment failed: shop/web");
  for (const char* want : {"Organisation: Acme <Ops> & Co (acme)", "Affected:     shop/web", "Layer:        registry",
                           "Fix: Verify the registry's credentials", "Open in Wharf: https://wharf.example/orgs/acme/apps/shop",
                           "Severity:     critical"})
    EXPECT_NE(m.body.find(want), std::string::npos) << want << "\n" << m.body;
}

TEST(Render, SlackIsIncomingWebhookShapeAndEscapesControlCharacters) {
  Message m = Render(Sample(), ChannelKind::kSlack);
  auto j = nlohmann::json::parse(m.body);
  ASSERT_TRUE(j["text"].is_string());
  ASSERT_TRUE(j["blocks"].is_array());
  for (const auto& b : j["blocks"]) {
    ASSERT_TRUE(b["type"] == "section" || b["type"] == "context");
    if (b["type"] == "section") {
      EXPECT_EQ(b["text"]["type"], "mrkdwn");
    }
  }
  std::string all = m.body;
  EXPECT_EQ(all.find("<!channel>"), std::string::npos) << "a name must not become a Slack mention";
  EXPECT_NE(all.find("&lt;!channel&gt;"), std::string::npos);
  EXPECT_NE(all.find("Acme &lt;Ops&gt; &amp; Co"), std::string::npos);
  EXPECT_NE(all.find("<https://wharf.example/orgs/acme/apps/shop|Open in Wharf>"), std::string::npos);
}

TEST(Render, DiscordIsExecuteWebhookShapeWithLimitsAndNoMentions) {
  Event e = Sample();
  e.what = std::string(5000, 'x');
  Message m = Render(e, ChannelKind::kDiscord);
  auto j = nlohmann::json::parse(m.body);
  EXPECT_EQ(j["allowed_mentions"]["parse"], nlohmann::json::array());
  ASSERT_EQ(j["embeds"].size(), 1u);
  const auto& em = j["embeds"][0];
  EXPECT_LE(em["description"].get<std::string>().size(), 4096u);
  EXPECT_LE(em["title"].get<std::string>().size(), 256u);
  EXPECT_LE(j["content"].get<std::string>().size(), 2000u);
  EXPECT_EQ(em["color"], 0xC62828);
  EXPECT_EQ(em["url"], "https://wharf.example/orgs/acme/apps/shop");
  EXPECT_EQ(em["timestamp"], "2023-11-14T22:13:20.123Z");
}

TEST(Render, ClipKeepsUtf8Whole) {
  Event e = Sample();
  e.what = std::string(4094, 'a') + "\xC3\xA9\xC3\xA9";  // "éé" across the 4096 cut
  auto j = nlohmann::json::parse(Render(e, ChannelKind::kDiscord).body);  // throws on broken UTF-8
  EXPECT_LE(j["embeds"][0]["description"].get<std::string>().size(), 4096u);
}

TEST(Render, WebhookEnvelopeIsTypeTimestampData) {
  Message m = Render(Sample(), ChannelKind::kWebhook, "msg_42");
  auto j = nlohmann::json::parse(m.body);
  EXPECT_EQ(j["type"], "deployment.failed");
  EXPECT_EQ(j["timestamp"], "2023-11-14T22:13:20.123Z");
  EXPECT_EQ(j["data"]["id"], "msg_42");
  EXPECT_EQ(j["data"]["org"], "acme");
  EXPECT_EQ(j["data"]["message"], Sample().what);
  EXPECT_EQ(j["data"]["url"], "https://wharf.example/orgs/acme/apps/shop");
  EXPECT_EQ(j["data"]["layer"], "registry");
  EXPECT_EQ(m.content_type, "application/json");
}

TEST(Events, NamesRoundTripAndAreUnique) {
  std::set<std::string_view> seen;
  for (const EventInfo& i : AllEvents()) {
    EXPECT_TRUE(seen.insert(i.name).second) << i.name;
    EXPECT_EQ(ParseEventKind(i.name), i.kind);
  }
  EXPECT_FALSE(ParseEventKind("deployment.exploded"));
  EXPECT_EQ(ParseChannelKind("slack"), ChannelKind::kSlack);
  EXPECT_FALSE(ParseChannelKind("sms"));
  EXPECT_EQ(ParseSeverity("critical"), Severity::kCritical);
}

TEST(Delivery, RetriesTransportErrorsTimeoutsAnd5xxButNot4xx) {
  EXPECT_TRUE(ShouldRetry(0));
  EXPECT_TRUE(ShouldRetry(500));
  EXPECT_TRUE(ShouldRetry(503));
  EXPECT_TRUE(ShouldRetry(429));
  EXPECT_TRUE(ShouldRetry(408));
  EXPECT_FALSE(ShouldRetry(400));
  EXPECT_FALSE(ShouldRetry(401));
  EXPECT_FALSE(ShouldRetry(404));
  EXPECT_FALSE(ShouldRetry(410));
  EXPECT_EQ(RetryDelayMs(2), 10'000);
  EXPECT_EQ(RetryDelayMs(kMaxAttempts), 1'800'000);
  EXPECT_FALSE(RetryDelayMs(kMaxAttempts + 1));
  EXPECT_EQ(RetryDelayMs(2, 120), 120'000);  // Retry-After wins when longer
  EXPECT_EQ(RetryDelayMs(2, 999999), 3'600'000);  // but is capped at an hour
}

TEST(FlapDamper, AlertsOnceAfterThresholdAndRecoversOnce) {
  FlapDamper d(3);
  using S = FlapDamper::Say;
  EXPECT_EQ(d.Observe(false), S::kNothing);
  EXPECT_EQ(d.Observe(false), S::kNothing);
  EXPECT_EQ(d.Observe(true), S::kNothing);  // a blip: no message either way
  EXPECT_EQ(d.Observe(false), S::kNothing);
  EXPECT_EQ(d.Observe(false), S::kNothing);
  EXPECT_EQ(d.Observe(false), S::kUnreachable);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(d.Observe(false), S::kNothing);
  EXPECT_EQ(d.Observe(true), S::kRecovered);
  EXPECT_EQ(d.Observe(true), S::kNothing);
}

TEST(CertificateStage, WarnsAheadThenAtThreeDaysThenOnceExpired) {
  constexpr int64_t kDay = 86'400'000;
  using C = CertificateStage;
  EXPECT_EQ(CertificateStageOf(30 * kDay, 14), C::kNone);
  EXPECT_EQ(CertificateStageOf(14 * kDay + 1, 14), C::kNone);
  EXPECT_EQ(CertificateStageOf(14 * kDay, 14), C::kAhead);
  EXPECT_EQ(CertificateStageOf(3 * kDay + 1, 14), C::kAhead);
  EXPECT_EQ(CertificateStageOf(3 * kDay, 14), C::kFinal);
  EXPECT_EQ(CertificateStageOf(1, 14), C::kFinal);
  EXPECT_EQ(CertificateStageOf(0, 14), C::kExpired);
  EXPECT_EQ(CertificateStageOf(-5 * kDay, 14), C::kExpired);
  // The three-day warning does not depend on the threshold.
  EXPECT_EQ(CertificateStageOf(2 * kDay + kDay / 2, 2), C::kFinal);
  EXPECT_EQ(CertificateStageName(C::kAhead), "ahead");
  EXPECT_EQ(CertificateStageName(C::kNone), "");
}

}  // namespace
}  // namespace wharf::notify
