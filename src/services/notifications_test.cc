// Notifications' use cases on the real store: SQLite here, PostgreSQL in services_pg_test (one
// fresh database per test). Sending to real receivers (maildev, an HTTP receiver that checks
// Standard Webhooks signatures) is tests/e2e/notifications.test.mjs; here the receiver is a
// closed port on 127.0.0.1, so a delivery's retry bookkeeping runs end to end.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

#include "base/testing/loopback.h"
#include "services/testing/services_fixture.h"

namespace wharf::services {
namespace {

namespace fs = std::filesystem;
using domain::Collection;

// No SMTP server: sign-up answers with a session at once (email channels are tested in e2e).
class NullMailer : public http_client::Mailer {
 public:
  Status Send(const http_client::MailMessage&) override {
    return Err(ErrorCode::kUnavailable, "email is disabled", Layer::kEmail);
  }
  bool enabled() const override { return false; }
};

// A real HTTP receiver on 127.0.0.1 that records each request's headers (lower-cased) and body
// and answers 200: enough to read the signatures Wharf sends.
class CaptureServer {
 public:
  struct Request {
    std::map<std::string, std::string> headers;
    std::string body;
  };
  CaptureServer() {
    fd_ = testutil::ListenLoopback(&port_, 16);
    EXPECT_GE(fd_, 0);
    thread_ = std::thread([this] { Serve(); });
  }
  ~CaptureServer() {
    ::shutdown(fd_, SHUT_RDWR);  // wakes accept()
    thread_.join();
    ::close(fd_);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hook"; }
  std::vector<Request> requests() {
    std::lock_guard lock(mu_);
    return got_;
  }

 private:
  void Serve() {
    for (;;) {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      Handle(c);
      ::close(c);
    }
  }
  void Handle(int c) {
    std::string in;
    char buf[4096];
    auto more = [&] {
      ssize_t n = ::recv(c, buf, sizeof buf, 0);
      if (n <= 0) return false;
      in.append(buf, static_cast<size_t>(n));
      return true;
    };
    size_t end;
    while ((end = in.find("\r\n\r\n")) == std::string::npos)
      if (!more()) return;
    Request r;
    size_t pos = in.find("\r\n") + 2;
    while (pos < end) {
      size_t eol = in.find("\r\n", pos);
      std::string line = in.substr(pos, eol - pos);
      pos = eol + 2;
      size_t colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string k = line.substr(0, colon), v = line.substr(colon + 1);
      for (auto& ch : k) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      v.erase(0, v.find_first_not_of(' '));
      r.headers[k] = v;
    }
    if (r.headers["expect"] == "100-continue") {
      const std::string cont = "HTTP/1.1 100 Continue\r\n\r\n";
      ::send(c, cont.data(), cont.size(), MSG_NOSIGNAL);
    }
    const size_t want = r.headers.count("content-length") ? std::stoul(r.headers["content-length"]) : 0;
    while (in.size() - (end + 4) < want)
      if (!more()) return;
    r.body = in.substr(end + 4, want);
    {
      std::lock_guard lock(mu_);
      got_.push_back(std::move(r));
    }
    const std::string ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
    ::send(c, ok.data(), ok.size(), MSG_NOSIGNAL);
  }

  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::vector<Request> got_;
};

// The space-separated "v1,<sig>" entries of a webhook-signature header.
std::vector<std::string> SignatureEntries(const std::string& header) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < header.size()) {
    size_t j = header.find(' ', i);
    if (j == std::string::npos) j = header.size();
    if (j > i) out.push_back(header.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

class NotificationsTest : public testing::ServicesFixture<NullMailer> {
 protected:
  void SetUp() override {
    Config c;
    c.signup_policy = Config::SignupPolicy::kOpen;
    c.allow_private_targets = private_targets_;
    c.health_failures_before_alert = 3;
    c.job_poll_ms = 50;
    ASSERT_NO_FATAL_FAILURE(StartServices("notify", c));
    p_ = SignUp("ada");
  }

  authz::Principal SignUp(const std::string& name) {
    auto g = svc_->auth().Signup({name + "@example.test", name, SecretBytes::FromString("correct-horse-battery"), {}}, ctx_);
    EXPECT_TRUE(g) << g.error().message;
    auto who = svc_->auth().Authenticate(g->token.view(), ctx_);
    EXPECT_TRUE(who);
    auto p = svc_->auth().ResolvePrincipal(**who, g->org->slug, ctx_);
    EXPECT_TRUE(p);
    return *p;
  }

  // A webhook channel marked verified in the store (as a passed test would).
  domain::Integration VerifiedWebhook(const std::string& name, const std::string& url = "http://127.0.0.1:1/hook") {
    auto ch = svc_->notifications().CreateChannel(p_, {.name = name, .type = "webhook", .url = SecretBytes::FromString(url)}, ctx_);
    EXPECT_TRUE(ch) << ch.error().message;
    ch->channel.verified = true;
    EXPECT_TRUE(store_->Write([&](store::Tx& tx) { return tx.integrations().RecordVerification(ch->channel); }));
    return ch->channel;
  }

  // An application of `p`'s org on a saved server (the fake nodes answer for 127.0.0.1).
  domain::Application AppIn(const authz::Principal& p, const std::string& name) {
    auto key = svc_->ssh_keys().AddSshKey(p, {.name = name + "-key", .generate = "ed25519"}, ctx_);
    EXPECT_TRUE(key) << key.error().message;
    ServerInput in;
    in.name = name + "-node";
    in.host = "127.0.0.1";
    in.username = "root";
    in.ssh_key_id = key->id;
    auto s = svc_->servers().CreateServer(p, in, ctx_);
    EXPECT_TRUE(s) << s.error().message;
    auto app = svc_->applications().CreateApplication(p, Collection::kApplications, {.name = name, .server_id = s->id}, ctx_);
    EXPECT_TRUE(app) << app.error().message;
    return *app;
  }

  // A git service "web" of `app` (nothing reaches the repository's host: no Git provider).
  Result<ServiceView> WebService(const domain::Application& app) {
    ServiceInput web;
    web.name = "web";
    web.type = "app";
    web.repository = "https://git.example.com/acme/web.git";
    web.branch = "main";
    return svc_->app_services().CreateService(p_, app.id, web, ctx_);
  }

  std::vector<domain::NotificationDelivery> Deliveries(const authz::Principal& p) {
    auto page = svc_->notifications().ListDeliveries(p, "", 200, "", ctx_);
    EXPECT_TRUE(page) << page.error().message;
    return page ? page->items : std::vector<domain::NotificationDelivery>{};
  }

  Status EmitIn(const std::string& org_id, notify::Event e) {
    return store_->Write([&](store::Tx& tx) { return svc_->notifications().Emit(tx, org_id, std::move(e)); });
  }

  static notify::Event Failed(const std::string& deployment_id, const std::string& app_id = "") {
    notify::Event e;
    e.kind = notify::EventKind::kDeploymentFailed;
    e.subject = "shop/web";
    e.application_id = app_id;
    e.what = "The deploy failed: the registry refused the pull.";
    e.layer = "registry";
    e.fix = "Verify the registry's credentials.";
    e.link = "/deployments/" + deployment_id;
    e.dedup_key = "deployment:" + deployment_id + ":failed";
    return e;
  }

  // A member of p_'s org whose role holds only `perms`.
  authz::Principal Member(const std::string& name, std::function<void(domain::Permissions&)> perms) {
    domain::Permissions pm;
    perms(pm);
    auto role = svc_->roles().CreateRole(p_, {name + "-role", std::nullopt, pm, std::nullopt}, ctx_);
    EXPECT_TRUE(role) << role.error().message;
    auto inv = svc_->team().Invite(p_, name + "@example.test", role->role.id, false, ctx_);
    EXPECT_TRUE(inv) << inv.error().message;
    auto g = svc_->auth().Signup({name + "@example.test", name, SecretBytes::FromString("correct-horse-battery"),
                                  inv->link.substr(inv->link.rfind('/') + 1)}, ctx_);
    EXPECT_TRUE(g) << g.error().message;
    auto who = svc_->auth().Authenticate(g->token.view(), ctx_);
    EXPECT_TRUE(who);
    auto p = svc_->auth().ResolvePrincipal(**who, p_.org_slug, ctx_);
    EXPECT_TRUE(p) << p.error().message;
    return *p;
  }

  // Whether one signature entry (or a whole header) of `r` verifies with `secret`, at the fake clock.
  bool Verifies(const CaptureServer::Request& r, const SecretBytes& secret, const std::string& signature) {
    auto h = r.headers;
    return notify::VerifyStandardWebhook(secret, h["webhook-id"], h["webhook-timestamp"], signature, r.body,
                                         clock_.Now() / 1000);
  }

  bool private_targets_ = true;
  authz::Principal p_;
};

TEST_F(NotificationsTest, ChannelBodiesAreValidatedAndNameTheField) {
  auto& n = svc_->notifications();
  auto no_url = n.CreateChannel(p_, {.name = "s", .type = "slack"}, ctx_);
  ASSERT_FALSE(no_url);
  EXPECT_TRUE(no_url.error().details["fields"].contains("url"));
  auto ftp = n.CreateChannel(p_, {.name = "s", .type = "slack", .url = SecretBytes::FromString("ftp://x/y")}, ctx_);
  ASSERT_FALSE(ftp);
  EXPECT_TRUE(ftp.error().details["fields"].contains("url"));
  auto sms = n.CreateChannel(p_, {.name = "s", .type = "sms"}, ctx_);
  ASSERT_FALSE(sms);
  EXPECT_TRUE(sms.error().details["fields"].contains("type"));
  auto bad_mail = n.CreateChannel(p_, {.name = "m", .type = "email", .addresses = {{"ops@example.test", "nope"}}}, ctx_);
  ASSERT_FALSE(bad_mail);
  EXPECT_TRUE(bad_mail.error().details["fields"].contains("addresses[1]"));
  auto mail = n.CreateChannel(p_, {.name = "m", .type = "email", .addresses = {{"Ops@Example.test"}}}, ctx_);
  ASSERT_TRUE(mail) << mail.error().message;
  EXPECT_FALSE(mail->channel.verified);
  EXPECT_EQ(mail->signing_secret.size(), 0u);
  auto dup = n.CreateChannel(p_, {.name = "m", .type = "email", .addresses = {{"x@example.test"}}}, ctx_);
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, ErrorCode::kConflict);
}

TEST_F(NotificationsTest, WebhookGetsAWhsecSecretOnceAndSlackUrlIsSealed) {
  auto& n = svc_->notifications();
  auto hook = n.CreateChannel(p_, {.name = "h", .type = "webhook", .url = SecretBytes::FromString("https://hooks.example.test/x")}, ctx_);
  ASSERT_TRUE(hook) << hook.error().message;
  EXPECT_EQ(hook->signing_secret.view().substr(0, 6), "whsec_");
  EXPECT_EQ(hook->channel.Field("url"), "https://hooks.example.test/x");
  EXPECT_TRUE(hook->channel.sealed.count("signing_secret"));
  const std::string slack_url = "https://hooks.slack.example.test/services/T000/B000/SECRETPART";
  auto slack = n.CreateChannel(p_, {.name = "s", .type = "slack", .url = SecretBytes::FromString(slack_url)}, ctx_);
  ASSERT_TRUE(slack) << slack.error().message;
  EXPECT_TRUE(slack->channel.Field("url").empty());
  EXPECT_TRUE(slack->channel.sealed.count("url"));
  for (const auto& [k, v] : slack->channel.fields) EXPECT_EQ(v.find("SECRETPART"), std::string::npos) << k;
  auto t = n.UpdateChannel(p_, slack->channel.id, {.type = "webhook"}, ctx_);
  ASSERT_FALSE(t);
  EXPECT_TRUE(t.error().details["fields"].contains("type"));
}

class NotificationsPublicOnlyTest : public NotificationsTest {
 protected:
  void SetUp() override {
    private_targets_ = false;
    NotificationsTest::SetUp();
  }
};

TEST_F(NotificationsPublicOnlyTest, PrivateAndPlainHttpTargetsAreRefusedWithoutTheFlag) {
  auto& n = svc_->notifications();
  for (const char* url : {"https://127.0.0.1/x", "https://10.1.2.3:8443/x", "https://localhost/x", "https://[::1]/x",
                          "http://hooks.example.test/x"}) {
    auto r = n.CreateChannel(p_, {.name = "h", .type = "webhook", .url = SecretBytes::FromString(url)}, ctx_);
    ASSERT_FALSE(r) << url;
    EXPECT_TRUE(r.error().details["fields"].contains("url")) << url;
  }
  auto ok = n.CreateChannel(p_, {.name = "d", .type = "discord", .url = SecretBytes::FromString("https://discord.example.test/api/webhooks/1/x")}, ctx_);
  ASSERT_TRUE(ok) << ok.error().message;
  auto moved = n.UpdateChannel(p_, ok->channel.id, {.url = SecretBytes::FromString("https://192.168.1.1/x")}, ctx_);
  ASSERT_FALSE(moved);
  EXPECT_TRUE(moved.error().details["fields"].contains("url"));
}

TEST_F(NotificationsTest, RulesNeedKnownEventsVerifiedChannelsAndReachableRows) {
  auto& n = svc_->notifications();
  auto unverified = n.CreateChannel(p_, {.name = "u", .type = "webhook", .url = SecretBytes::FromString("http://127.0.0.1:1/")}, ctx_);
  ASSERT_TRUE(unverified);
  auto r1 = n.CreateRule(p_, {.events = {{"deployment.failed"}}, .channel_ids = {{unverified->channel.id}}}, ctx_);
  ASSERT_FALSE(r1);
  EXPECT_TRUE(r1.error().details["fields"].contains("channel_ids[0]"));
  auto ch = VerifiedWebhook("v");
  auto r2 = n.CreateRule(p_, {.events = {{"deployment.exploded"}}, .channel_ids = {{ch.id}}}, ctx_);
  ASSERT_FALSE(r2);
  EXPECT_TRUE(r2.error().details["fields"].contains("events[0]"));
  auto r3 = n.CreateRule(p_, {.events = {{"deployment.failed"}}, .channel_ids = {{ch.id}}, .min_severity = "loud"}, ctx_);
  ASSERT_FALSE(r3);
  EXPECT_TRUE(r3.error().details["fields"].contains("min_severity"));
  // Another org's application is not a row this caller may name.
  auto bob = SignUp("bob");
  auto app = AppIn(bob, "theirs");
  auto r4 = n.CreateRule(p_, {.events = {{"deployment.failed"}}, .channel_ids = {{ch.id}}, .application_ids = {{app.id}}}, ctx_);
  ASSERT_FALSE(r4);
  EXPECT_TRUE(r4.error().details["fields"].contains("application_ids[0]"));
  // And bob sees none of ada's channels or rules.
  auto ok = n.CreateRule(p_, {.events = {{"deployment.failed"}}, .channel_ids = {{ch.id}}}, ctx_);
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_FALSE(n.GetRule(bob, ok->id, ctx_));
  EXPECT_FALSE(n.GetChannel(bob, ch.id, ctx_));
  auto bob_rule = n.CreateRule(bob, {.events = {{"deployment.failed"}}, .channel_ids = {{ch.id}}}, ctx_);
  ASSERT_FALSE(bob_rule);
  EXPECT_TRUE(bob_rule.error().details["fields"].contains("channel_ids[0]"));
}

TEST_F(NotificationsTest, OneEventSendsAtMostOneMessagePerChannel) {
  auto& n = svc_->notifications();
  auto a = VerifiedWebhook("a");
  auto b = VerifiedWebhook("b");
  ASSERT_TRUE(n.CreateRule(p_, {.events = {{"deployment.failed"}}, .channel_ids = {{a.id, b.id}}}, ctx_));
  ASSERT_TRUE(n.CreateRule(p_, {.events = {{"deployment.failed", "backup.failed"}}, .channel_ids = {{a.id}}}, ctx_));
  ASSERT_TRUE(EmitIn(p_.org_id, Failed("dep_1")));
  ASSERT_TRUE(EmitIn(p_.org_id, Failed("dep_1")));  // seen again (another replica, a retry): no new message
  auto ds = Deliveries(p_);
  ASSERT_EQ(ds.size(), 2u);
  EXPECT_NE(ds[0].channel_id, ds[1].channel_id);
  for (auto& d : ds) {
    EXPECT_EQ(d.event, "deployment.failed");
    EXPECT_EQ(d.status, "queued");
    auto ev = nlohmann::json::parse(d.event_json);
    EXPECT_EQ(ev["org_slug"], p_.org_slug);
    EXPECT_EQ(ev["link"], "http://127.0.0.1:8080/o/" + p_.org_slug + "/deployments/dep_1");
  }
  ASSERT_TRUE(EmitIn(p_.org_id, Failed("dep_2")));
  EXPECT_EQ(Deliveries(p_).size(), 4u);
}

TEST_F(NotificationsTest, RulesFilterBySeverityAndApplication) {
  auto& n = svc_->notifications();
  auto ch = VerifiedWebhook("a");
  auto app = AppIn(p_, "shop");
  ASSERT_TRUE(n.CreateRule(p_, {.events = {{"deployment.failed", "deployment.succeeded"}}, .channel_ids = {{ch.id}},
                                .application_ids = {{app.id}}, .min_severity = "warning"}, ctx_));
  notify::Event ok = Failed("dep_ok", app.id);
  ok.kind = notify::EventKind::kDeploymentSucceeded;  // info < warning: filtered out
  ok.dedup_key = "deployment:dep_ok:succeeded";
  ASSERT_TRUE(EmitIn(p_.org_id, ok));
  ASSERT_TRUE(EmitIn(p_.org_id, Failed("dep_other", "app_other")));  // another application
  ASSERT_TRUE(EmitIn(p_.org_id, Failed("dep_none")));                // no application at all
  EXPECT_EQ(Deliveries(p_).size(), 0u);
  ASSERT_TRUE(EmitIn(p_.org_id, Failed("dep_shop", app.id)));
  EXPECT_EQ(Deliveries(p_).size(), 1u);
}

TEST_F(NotificationsTest, FlapDampingAlertsAfterThreeFailuresAndRecoversOnce) {
  auto& n = svc_->notifications();
  auto ch = VerifiedWebhook("a");
  ASSERT_TRUE(n.CreateRule(p_, {.events = {{"server.unreachable", "server.recovered"}}, .channel_ids = {{ch.id}}}, ctx_));
  domain::Server s;
  s.id = "srv_1";
  s.org_id = p_.org_id;
  s.name = "node-1";
  s.host = "203.0.113.7";
  auto observe = [&](bool healthy) {
    clock_.Advance(1000);
    ASSERT_TRUE(store_->Write([&](store::Tx& tx) { return n.ObserveServerHealth(tx, s, healthy, "tcp: refused", -1); }));
  };
  observe(false);
  observe(false);
  observe(true);  // a blip: nothing
  EXPECT_EQ(Deliveries(p_).size(), 0u);
  for (int i = 0; i < 6; ++i) observe(false);
  auto ds = Deliveries(p_);
  ASSERT_EQ(ds.size(), 1u);
  EXPECT_EQ(ds[0].event, "server.unreachable");
  EXPECT_NE(nlohmann::json::parse(ds[0].event_json)["what"].get<std::string>().find("node-1"), std::string::npos);
  observe(true);
  observe(true);
  ds = Deliveries(p_);
  ASSERT_EQ(ds.size(), 2u);
  EXPECT_EQ(ds[0].event, "server.recovered");
}

TEST_F(NotificationsTest, AFailedDeliveryRetriesWithBackoffAndCanBeRedelivered) {
  auto& n = svc_->notifications();
  auto ch = VerifiedWebhook("closed-port");  // 127.0.0.1:1: connection refused, a retryable failure
  ASSERT_TRUE(n.CreateRule(p_, {.events = {{"deployment.failed"}}, .channel_ids = {{ch.id}}}, ctx_));
  ASSERT_TRUE(EmitIn(p_.org_id, Failed("dep_1")));
  svc_->StartJobWorkers();
  auto wait_for = [&](const std::string& status, int64_t attempts) {
    for (int i = 0; i < 400; ++i) {
      auto ds = Deliveries(p_);
      if (ds.size() == 1 && ds[0].status == status && ds[0].attempts == attempts) return ds[0];
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    ADD_FAILURE() << "delivery never reached " << status << " after " << attempts << " attempt(s)";
    return domain::NotificationDelivery{};
  };
  auto d = wait_for("retrying", 1);
  EXPECT_EQ(d.response_code, 0);
  EXPECT_EQ(d.next_attempt_at, clock_.Now() + 10'000);
  EXPECT_NE(d.last_error.find("Cannot reach 127.0.0.1"), std::string::npos) << d.last_error;
  EXPECT_EQ(svc_->notifications().RunDueRetries(), 0);  // not due yet
  clock_.Advance(10'000);
  EXPECT_EQ(svc_->notifications().RunDueRetries(), 1);
  d = wait_for("retrying", 2);
  EXPECT_EQ(d.next_attempt_at, clock_.Now() + 30'000);
  // A manual redelivery is refused while one is queued, and otherwise restarts the budget.
  auto again = n.Redeliver(p_, d.id, ctx_);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->status, "queued");
  d = wait_for("retrying", 3);
  EXPECT_EQ(d.next_attempt_at, clock_.Now() + 10'000);  // the first retry's wait again
}

TEST_F(NotificationsTest, DeletingAChannelTakesItOutOfRulesAndDropsItsLog) {
  auto& n = svc_->notifications();
  auto ch = VerifiedWebhook("a");
  auto rule = n.CreateRule(p_, {.events = {{"deployment.failed"}}, .channel_ids = {{ch.id}}}, ctx_);
  ASSERT_TRUE(rule);
  ASSERT_TRUE(EmitIn(p_.org_id, Failed("dep_1")));
  ASSERT_TRUE(n.DeleteChannel(p_, ch.id, ctx_));
  auto after = n.GetRule(p_, rule->id, ctx_);
  ASSERT_TRUE(after);
  EXPECT_TRUE(after->channel_ids.empty());
  EXPECT_EQ(Deliveries(p_).size(), 0u);
}

// server.disk_low: read from the health check's `df` on the node (the NodeExecutor's report), one
// alert below the threshold, nothing more until a check finds enough space, and a check that
// fails only for disk is not "unreachable".
TEST_F(NotificationsTest, DiskLowAlertsOnceUntilTheDiskRecovers) {
  auto& n = svc_->notifications();
  auto ch = VerifiedWebhook("a");
  ASSERT_TRUE(n.CreateRule(p_, {.events = {{"server.disk_low", "server.unreachable"}}, .channel_ids = {{ch.id}}}, ctx_));
  AppIn(p_, "shop");
  auto check = [&](int64_t free_mb, bool disk_check_fails) {
    nodes_.report = testing::FakeNodes::Healthy("SHA256:fake");
    nodes_.report.disk_free_mb = free_mb;
    if (disk_check_fails) {
      nodes_.report.ok = false;
      for (auto& c : nodes_.report.checks)
        if (c.name == "disk") c = {"disk", "failed", "disk_low", "low", "ssh", "Free space."};
    }
    clock_.Advance(7'200'000);
    EXPECT_EQ(svc_->servers().RunDueHealthChecks(), 1);
  };
  auto events = [&] {
    std::vector<std::string> out;
    for (auto& d : Deliveries(p_)) out.push_back(d.event);
    return out;
  };
  check(50'000, false);
  EXPECT_TRUE(events().empty());
  check(900, false);
  auto ds = Deliveries(p_);
  ASSERT_EQ(ds.size(), 1u);
  EXPECT_EQ(ds[0].event, "server.disk_low");
  auto ev = nlohmann::json::parse(ds[0].event_json);
  EXPECT_NE(ev["what"].get<std::string>().find("900 MiB free"), std::string::npos) << ev.dump();
  EXPECT_EQ(ev["server"], "shop-node");
  EXPECT_EQ(ev["layer"], "ssh");
  EXPECT_FALSE(ev["fix"].get<std::string>().empty());
  for (int i = 0; i < 4; ++i) check(800, true);  // still low, and the disk check fails: no more, no "unreachable"
  EXPECT_EQ(events(), std::vector<std::string>{"server.disk_low"});
  check(20'000, false);  // recovered: re-armed, silently
  EXPECT_EQ(events().size(), 1u);
  check(700, false);
  EXPECT_EQ(events(), (std::vector<std::string>{"server.disk_low", "server.disk_low"}));
}

TEST_F(NotificationsTest, CertificateExpiringWarnsOncePerStageOfEachServedCertificate) {
  constexpr int64_t kDay = 86'400'000;
  auto& n = svc_->notifications();
  auto ch = VerifiedWebhook("a");
  ASSERT_TRUE(n.CreateRule(p_, {.events = {{"certificate.expiring"}}, .channel_ids = {{ch.id}}}, ctx_));
  auto app = AppIn(p_, "shop");
  auto ws = WebService(app);
  ASSERT_TRUE(ws) << ws.error().message;
  ASSERT_TRUE(svc_->app_services().AddDomain(p_, ws->service.id, "shop.example.test", true, false, ctx_));
  ASSERT_TRUE(svc_->app_services().AddDomain(p_, ws->service.id, "new.example.test", true, false, ctx_));
  ASSERT_TRUE(svc_->app_services().AddDomain(p_, ws->service.id, "own.example.test", false, false, ctx_));
  auto served = [&](int64_t not_after, bool matches = true) {
    nodes::ServedCertificate c;
    c.not_before_ms = not_after - 90 * kDay;
    c.not_after_ms = not_after;
    c.subject = matches ? "shop.example.test" : "default.invalid";
    c.issuer = "R11";
    c.matches_name = matches;
    return Result<nodes::ServedCertificate>(c);
  };
  const int64_t expiry = clock_.Now() + 20 * kDay;
  nodes_.certificates["shop.example.test"] = served(expiry);
  nodes_.certificates["new.example.test"] = served(clock_.Now() + kDay, false);  // the proxy's default
  auto check = [&](int64_t advance) {
    clock_.Advance(advance);
    EXPECT_EQ(svc_->servers().RunDueHealthChecks(), 1);
  };
  auto events = [&] { return Deliveries(p_); };

  check(7 * 3'600'000);  // 20 days left: read and reported, nothing sent
  EXPECT_TRUE(events().empty());
  auto srv = svc_->servers().GetServer(p_, app.server_id, ctx_);
  ASSERT_TRUE(srv);
  auto report = nlohmann::json::parse(srv->last_check);
  ASSERT_EQ(report["certificates"].size(), 2u) << report.dump();  // own.example.test has no Let's Encrypt
  EXPECT_EQ(report["certificates"][0]["hostname"], "shop.example.test");
  EXPECT_EQ(report["certificates"][0]["issuer"], "R11");
  EXPECT_EQ(report["certificates"][0]["matches_hostname"], true);
  EXPECT_NE(report["certificates"][1]["error"].get<std::string>().find("default.invalid"), std::string::npos);
  for (const auto& name : nodes_.probed_names()) EXPECT_NE(name, "own.example.test");

  clock_.Advance(10 * kDay);  // 10 days left: one warning, then silence
  check(7 * 3'600'000);
  auto ds = events();
  ASSERT_EQ(ds.size(), 1u);
  EXPECT_EQ(ds[0].event, "certificate.expiring");
  auto ev = nlohmann::json::parse(ds[0].event_json);
  EXPECT_EQ(ev["severity"], "warning");
  EXPECT_EQ(ev["application"], "shop");
  EXPECT_EQ(ev["service"], "web");
  EXPECT_EQ(ev["server"], "shop-node");
  EXPECT_NE(ev["what"].get<std::string>().find("shop.example.test"), std::string::npos) << ev.dump();
  EXPECT_NE(ev["what"].get<std::string>().find("R11"), std::string::npos) << ev.dump();
  EXPECT_NE(ev["fix"].get<std::string>().find("dokku letsencrypt:enable web --force"), std::string::npos) << ev.dump();
  check(7 * 3'600'000);
  const size_t probes = nodes_.probed_names().size();
  check(3'600'000);  // within the certificate interval: the health check does not read them again
  EXPECT_EQ(nodes_.probed_names().size(), probes);
  EXPECT_EQ(events().size(), 1u);

  clock_.Advance(7 * kDay);  // 2 days left: the final warning, critical
  check(7 * 3'600'000);
  ds = events();
  ASSERT_EQ(ds.size(), 2u);
  EXPECT_EQ(nlohmann::json::parse(ds[0].event_json)["severity"], "critical");

  nodes_.certificates["shop.example.test"] = served(clock_.Now() + 90 * kDay);  // renewed: quiet again
  check(7 * 3'600'000);
  EXPECT_EQ(events().size(), 2u);
}

TEST_F(NotificationsTest, AServerWithoutHttpsIsTriedOnceForAllItsDomainsAndAnnouncesNothing) {
  auto ch = VerifiedWebhook("a");
  ASSERT_TRUE(svc_->notifications().CreateRule(p_, {.events = {{"certificate.expiring"}}, .channel_ids = {{ch.id}}}, ctx_));
  auto app = AppIn(p_, "shop");
  auto ws = WebService(app);
  ASSERT_TRUE(ws) << ws.error().message;
  for (const char* h : {"a.example.test", "b.example.test", "c.example.test"})
    ASSERT_TRUE(svc_->app_services().AddDomain(p_, ws->service.id, h, true, false, ctx_));
  auto out = svc_->servers().CheckServer(p_, app.server_id, ctx_);  // an on-demand check reads them too
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(nodes_.probed_names().size(), 1u);  // refused once: the other two are not tried
  ASSERT_EQ(out->report["certificates"].size(), 3u) << out->report.dump();
  for (const auto& c : out->report["certificates"])
    EXPECT_NE(c["error"].get<std::string>().find("Connection refused"), std::string::npos) << c.dump();
  EXPECT_TRUE(Deliveries(p_).empty());
}

TEST_F(NotificationsTest, AFailedIntegrationVerificationIsAnnounced) {
  auto& n = svc_->notifications();
  auto ch = VerifiedWebhook("a");
  ASSERT_TRUE(n.CreateRule(p_, {.events = {{"integration.verify_failed"}}, .channel_ids = {{ch.id}}}, ctx_));
  auto reg = svc_->registries().CreateDockerRegistry(
      p_, {.name = "closed", .host = "127.0.0.1:1", .username = "ci", .password = SecretBytes::FromString("reg-pass-77")}, ctx_);
  ASSERT_TRUE(reg) << reg.error().message;
  auto out = svc_->registries().VerifyDockerRegistry(p_, reg->id, "127.0.0.1:1/team/app:v1", ctx_);
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_FALSE(out->ok);
  auto ds = Deliveries(p_);
  ASSERT_EQ(ds.size(), 1u);
  EXPECT_EQ(ds[0].event, "integration.verify_failed");
  auto ev = nlohmann::json::parse(ds[0].event_json);
  EXPECT_NE(ev["what"].get<std::string>().find("closed"), std::string::npos) << ev.dump();
  EXPECT_FALSE(ev["fix"].get<std::string>().empty());
  EXPECT_EQ(ds[0].event_json.find("reg-pass-77"), std::string::npos);
  EXPECT_NE(ev["link"].get<std::string>().find("/integrations"), std::string::npos);
  // A channel's own failing test is answered at once, not announced.
  auto bad = n.CreateChannel(p_, {.name = "b", .type = "webhook", .url = SecretBytes::FromString("http://127.0.0.1:1/x")}, ctx_);
  ASSERT_TRUE(bad);
  ASSERT_TRUE(n.TestChannel(p_, bad->channel.id, ctx_));
  EXPECT_EQ(Deliveries(p_).size(), 1u);
}

// "2026-01-31T18:00:00Z": the form session_expires_at takes (whole seconds).
std::string Rfc3339Seconds(Timestamp t) { return FormatRfc3339(t).substr(0, 19) + "Z"; }

TEST_F(NotificationsTest, TemporaryAwsCredentialsAreAnnouncedOnceBeforeTheyExpire) {
  auto& n = svc_->notifications();
  auto ch = VerifiedWebhook("a");
  ASSERT_TRUE(n.CreateRule(p_, {.events = {{"integration.expiring"}}, .channel_ids = {{ch.id}}}, ctx_));
  auto later = svc_->cloud_accounts().CreateCloudAccount(
      p_, {.name = "far", .provider = "aws", .access_key_id = "ASIAEXAMPLEFAR000001", .region = "eu-west-1",
           .secret_access_key = SecretBytes::FromString("farSecretfarSecretfarSecretfarSecret0001"),
           .session_token = SecretBytes::FromString("far-session-token"),
           .session_expires_at = Rfc3339Seconds(clock_.Now() + 30LL * 86'400'000)}, ctx_);
  ASSERT_TRUE(later) << later.error().message;
  auto soon = svc_->cloud_accounts().CreateCloudAccount(
      p_, {.name = "soon", .provider = "aws", .access_key_id = "ASIAEXAMPLESOON00001", .region = "eu-west-1",
           .secret_access_key = SecretBytes::FromString("soonSecretsoonSecretsoonSecretsoonSecret"),
           .session_token = SecretBytes::FromString("soon-session-token"),
           .session_expires_at = Rfc3339Seconds(clock_.Now() + 2LL * 86'400'000)}, ctx_);
  ASSERT_TRUE(soon) << soon.error().message;
  EXPECT_EQ(n.RunExpiryWarnings(), 1);
  EXPECT_EQ(n.RunExpiryWarnings(), 0);
  auto ds = Deliveries(p_);
  ASSERT_EQ(ds.size(), 1u);
  EXPECT_EQ(ds[0].event, "integration.expiring");
  auto ev = nlohmann::json::parse(ds[0].event_json);
  EXPECT_EQ(ev["subject"], "soon");
  EXPECT_EQ(ev["layer"], "aws_iam");
  EXPECT_NE(ev["what"].get<std::string>().find("in 2 days"), std::string::npos) << ev.dump();
  EXPECT_EQ(ds[0].event_json.find("soonSecret"), std::string::npos);
  EXPECT_EQ(ds[0].event_json.find("soon-session-token"), std::string::npos);
  clock_.Advance(25LL * 86'400'000);  // now the other one is within the week
  EXPECT_EQ(n.RunExpiryWarnings(), 1);
  EXPECT_EQ(Deliveries(p_).size(), 2u);
}

TEST_F(NotificationsTest, ASignInFromANewAddressIsAnnouncedToEveryOrgOfTheUser) {
  auto& n = svc_->notifications();
  auto ch = VerifiedWebhook("a");
  ASSERT_TRUE(n.CreateRule(p_, {.events = {{"security.new_sign_in"}}, .channel_ids = {{ch.id}}}, ctx_));
  const auto pw = SecretBytes::FromString("correct-horse-battery");
  auto login = [&](const std::string& ip) {
    RequestContext c{"req_login", ip, "Firefox/140"};
    auto g = svc_->auth().Login("ada@example.test", pw, c);
    EXPECT_TRUE(g) << (g ? "" : g.error().message);
    clock_.Advance(1000);
  };
  login("127.0.0.1");  // the address of the sign-up: known
  EXPECT_EQ(Deliveries(p_).size(), 0u);
  login("198.51.100.7");
  auto ds = Deliveries(p_);
  ASSERT_EQ(ds.size(), 1u);
  EXPECT_EQ(ds[0].event, "security.new_sign_in");
  auto ev = nlohmann::json::parse(ds[0].event_json);
  EXPECT_NE(ev["what"].get<std::string>().find("198.51.100.7"), std::string::npos) << ev.dump();
  EXPECT_EQ(ev["subject"], "ada@example.test");
  login("198.51.100.7");  // seen now
  login("2001:db8:1:2:aaaa::1");
  login("2001:db8:1:2:bbbb::9");  // the same /64
  EXPECT_EQ(Deliveries(p_).size(), 2u);
  // Bounded: after 25 more addresses only the most recent 20 are remembered, so the first new
  // one is new again.
  for (int i = 0; i < 25; ++i) login("203.0.113." + std::to_string(i + 1));
  EXPECT_EQ(Deliveries(p_).size(), 27u);
  login("198.51.100.7");
  EXPECT_EQ(Deliveries(p_).size(), 28u);
  login("203.0.113.25");
  EXPECT_EQ(Deliveries(p_).size(), 28u);
  EXPECT_EQ(SignInAddressKey("::ffff:192.0.2.1"), "192.0.2.1");
  EXPECT_EQ(SignInAddressKey("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
}

TEST_F(NotificationsTest, TheOperatorsTwoFactorResetIsAnnouncedOnlyWhenAFactorWasRemoved) {
  auto& n = svc_->notifications();
  auto ch = VerifiedWebhook("a");
  ASSERT_TRUE(n.CreateRule(p_, {.events = {{"security.two_factor_disabled"}}, .channel_ids = {{ch.id}}}, ctx_));
  ASSERT_TRUE(svc_->second_factor().AdminReset("ada@example.test", ctx_));  // nothing to remove: no event
  EXPECT_EQ(Deliveries(p_).size(), 0u);
  store::PasskeyRow pk;
  pk.id = "pk_1";
  pk.user_id = p_.user_id;
  pk.name = "laptop";
  pk.credential_id = "cred-1";
  pk.public_key = "key";
  pk.created_at = clock_.Now();
  ASSERT_TRUE(store_->Write([&](store::Tx& tx) { return tx.second_factors().InsertPasskey(pk); }));
  ASSERT_TRUE(svc_->second_factor().AdminReset("ada@example.test", ctx_));
  auto ds = Deliveries(p_);
  ASSERT_EQ(ds.size(), 1u);
  EXPECT_EQ(ds[0].event, "security.two_factor_disabled");
  auto ev = nlohmann::json::parse(ds[0].event_json);
  EXPECT_NE(ev["what"].get<std::string>().find("reset-2fa"), std::string::npos) << ev.dump();
  EXPECT_EQ(ev["layer"], "permissions");
}

// Rotation (docs/notifications.md, "Rotating the signing secret"): during the overlap every
// message carries "v1,<new> v1,<old>", each entry verifying with exactly one secret; after it,
// only the new one. A message queued before the rotation is signed when it is sent.
TEST_F(NotificationsTest, ARotatedSecretSignsBesideTheOldOneUntilTheOverlapEnds) {
  auto& n = svc_->notifications();
  CaptureServer rx;
  auto created = n.CreateChannel(p_, {.name = "h", .type = "webhook", .url = SecretBytes::FromString(rx.url())}, ctx_);
  ASSERT_TRUE(created) << created.error().message;
  const SecretBytes old_secret = SecretBytes::FromString(created->signing_secret.view());
  const std::string id = created->channel.id;
  auto t1 = n.TestChannel(p_, id, ctx_);
  ASSERT_TRUE(t1 && t1->ok) << (t1 ? t1->report.dump() : t1.error().message);
  ASSERT_EQ(rx.requests().size(), 1u);
  EXPECT_EQ(SignatureEntries(rx.requests()[0].headers["webhook-signature"]).size(), 1u);
  ASSERT_TRUE(n.CreateRule(p_, {.events = {{"deployment.failed"}}, .channel_ids = {{id}}}, ctx_));
  ASSERT_TRUE(EmitIn(p_.org_id, Failed("dep_1")));  // queued before the rotation

  const Timestamp rotated_at = clock_.Now();
  auto rot = n.RotateSigningSecret(p_, id, std::nullopt, ctx_);
  ASSERT_TRUE(rot) << rot.error().message;
  const SecretBytes new_secret = SecretBytes::FromString(rot->signing_secret.view());
  EXPECT_EQ(new_secret.view().substr(0, 6), "whsec_");
  EXPECT_NE(new_secret.view(), old_secret.view());
  EXPECT_EQ(rot->previous_expires_at, rotated_at + 24LL * 3'600'000);
  EXPECT_TRUE(rot->channel.verified);  // receivers with the old secret still verify: nothing to re-test
  auto got = n.GetChannel(p_, id, ctx_);
  ASSERT_TRUE(got);
  EXPECT_EQ(SigningSecretRotatedAt(*got), rotated_at);
  EXPECT_EQ(PreviousSecretExpiresAt(*got, clock_.Now()), rot->previous_expires_at);
  for (const auto& [k, v] : got->fields) {
    EXPECT_EQ(v.find(std::string(old_secret.view().substr(6))), std::string::npos) << k;
    EXPECT_EQ(v.find(std::string(new_secret.view().substr(6))), std::string::npos) << k;
  }

  // "Send test" during the overlap: two entries, new first.
  clock_.Advance(3'600'000);
  auto t2 = n.TestChannel(p_, id, ctx_);
  ASSERT_TRUE(t2 && t2->ok);
  auto r2 = rx.requests().back();
  auto e2 = SignatureEntries(r2.headers["webhook-signature"]);
  ASSERT_EQ(e2.size(), 2u) << r2.headers["webhook-signature"];
  EXPECT_TRUE(Verifies(r2, new_secret, e2[0]));
  EXPECT_FALSE(Verifies(r2, old_secret, e2[0]));
  EXPECT_TRUE(Verifies(r2, old_secret, e2[1]));
  EXPECT_FALSE(Verifies(r2, new_secret, e2[1]));

  // The delivery queued before the rotation, sent now: both signatures too.
  svc_->StartJobWorkers();
  auto wait_succeeded = [&](int64_t attempts) {
    for (int i = 0; i < 400; ++i) {
      auto ds = Deliveries(p_);
      if (ds.size() == 1 && ds[0].status == "succeeded" && ds[0].attempts == attempts) return ds[0];
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    ADD_FAILURE() << "the delivery did not succeed with " << attempts << " attempt(s)";
    return domain::NotificationDelivery{};
  };
  auto d = wait_succeeded(1);
  auto delivered = [&](const std::string& msg_id) {
    std::vector<CaptureServer::Request> out;
    for (auto& r : rx.requests())
      if (r.headers["webhook-id"] == msg_id) out.push_back(r);
    return out;
  };
  auto sent = delivered(d.id);
  ASSERT_EQ(sent.size(), 1u);
  auto e3 = SignatureEntries(sent[0].headers["webhook-signature"]);
  ASSERT_EQ(e3.size(), 2u);
  EXPECT_TRUE(Verifies(sent[0], new_secret, e3[0]));
  EXPECT_TRUE(Verifies(sent[0], old_secret, e3[1]));

  // After the overlap: a redelivery of the same message carries the new signature alone.
  clock_.Advance(23LL * 3'600'000 + 1);
  ASSERT_TRUE(n.Redeliver(p_, d.id, ctx_));
  wait_succeeded(2);
  sent = delivered(d.id);
  ASSERT_EQ(sent.size(), 2u);
  const std::string h4 = sent[1].headers["webhook-signature"];
  ASSERT_EQ(SignatureEntries(h4).size(), 1u) << h4;
  EXPECT_TRUE(Verifies(sent[1], new_secret, h4));
  EXPECT_FALSE(Verifies(sent[1], old_secret, h4));
  got = n.GetChannel(p_, id, ctx_);
  ASSERT_TRUE(got);
  EXPECT_EQ(PreviousSecretExpiresAt(*got, 0), 0);  // no longer shown
}

TEST_F(NotificationsTest, RotatingWithoutOverlapDropsTheOldSecretAndASecondRotationKeepsOnlyTwo) {
  auto& n = svc_->notifications();
  CaptureServer rx;
  auto created = n.CreateChannel(p_, {.name = "h", .type = "webhook", .url = SecretBytes::FromString(rx.url())}, ctx_);
  ASSERT_TRUE(created) << created.error().message;
  const std::string id = created->channel.id;
  const SecretBytes first = SecretBytes::FromString(created->signing_secret.view());
  auto last_header = [&] {
    auto t = n.TestChannel(p_, id, ctx_);
    EXPECT_TRUE(t && t->ok);
    return rx.requests().back();
  };

  // Two rotations inside one overlap: the previous secret is the one the first rotation made.
  auto a = n.RotateSigningSecret(p_, id, 24, ctx_);
  ASSERT_TRUE(a) << a.error().message;
  const SecretBytes second = SecretBytes::FromString(a->signing_secret.view());
  clock_.Advance(60'000);
  auto b = n.RotateSigningSecret(p_, id, 2, ctx_);
  ASSERT_TRUE(b) << b.error().message;
  const SecretBytes third = SecretBytes::FromString(b->signing_secret.view());
  EXPECT_EQ(b->previous_expires_at, clock_.Now() + 2 * 3'600'000);
  auto r = last_header();
  auto e = SignatureEntries(r.headers["webhook-signature"]);
  ASSERT_EQ(e.size(), 2u);
  EXPECT_TRUE(Verifies(r, third, e[0]));
  EXPECT_TRUE(Verifies(r, second, e[1]));
  EXPECT_FALSE(Verifies(r, first, r.headers["webhook-signature"]));

  // overlap_hours 0: the old secret is gone at once.
  auto c = n.RotateSigningSecret(p_, id, 0, ctx_);
  ASSERT_TRUE(c) << c.error().message;
  const SecretBytes fourth = SecretBytes::FromString(c->signing_secret.view());
  EXPECT_EQ(c->previous_expires_at, clock_.Now());
  EXPECT_FALSE(c->channel.sealed.count(kPreviousSigningSecret));
  r = last_header();
  const std::string h = r.headers["webhook-signature"];
  ASSERT_EQ(SignatureEntries(h).size(), 1u) << h;
  EXPECT_TRUE(Verifies(r, fourth, h));
  EXPECT_FALSE(Verifies(r, third, h));
}

TEST_F(NotificationsTest, RotationIsRefusedForBadOverlapOtherChannelTypesOtherOrgsAndNarrowRoles) {
  auto& n = svc_->notifications();
  auto hook = VerifiedWebhook("h");
  for (int64_t bad : {-1, 169}) {
    auto r = n.RotateSigningSecret(p_, hook.id, bad, ctx_);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kValidationFailed);
    EXPECT_TRUE(r.error().details["fields"].contains("overlap_hours")) << bad;
  }
  auto mail = n.CreateChannel(p_, {.name = "m", .type = "email", .addresses = {{"ops@example.test"}}}, ctx_);
  ASSERT_TRUE(mail);
  auto not_hook = n.RotateSigningSecret(p_, mail->channel.id, std::nullopt, ctx_);
  ASSERT_FALSE(not_hook);
  EXPECT_EQ(not_hook.error().code, ErrorCode::kValidationFailed);
  EXPECT_TRUE(not_hook.error().details["fields"].contains("type"));

  auto bob = SignUp("bob");  // another org
  auto theirs = n.RotateSigningSecret(bob, hook.id, std::nullopt, ctx_);
  ASSERT_FALSE(theirs);
  EXPECT_EQ(theirs.error().code, ErrorCode::kNotFound);

  auto reader = Member("cy", [](domain::Permissions& pm) { pm[Collection::kNotifications].read = true; });
  auto narrow = n.RotateSigningSecret(reader, hook.id, std::nullopt, ctx_);
  ASSERT_FALSE(narrow);
  EXPECT_EQ(narrow.error().code, ErrorCode::kForbidden);
  // None of the refusals changed the channel.
  auto after = n.GetChannel(p_, hook.id, ctx_);
  ASSERT_TRUE(after);
  EXPECT_EQ(SigningSecretRotatedAt(*after), 0);
  EXPECT_FALSE(after->sealed.count(kPreviousSigningSecret));
}

}  // namespace
}  // namespace wharf::services
