// Notifications: what Wharf tells people when something happens, and how it says it. This module
// is pure: it names the events, renders one event into each channel's message (email, Slack,
// Discord, a Standard Webhooks JSON body), signs webhook bodies, and decides retries and flap
// damping. Sending (HTTP, SMTP), storage of channels and rules, and the durable delivery jobs
// live above it in services.
//
//   notify::Event e{.kind = notify::EventKind::kDeploymentFailed, .org_slug = "acme",
//                   .org_name = "Acme", .subject = "shop/web", .what = "Deploy v4 failed: ...",
//                   .layer = "registry", .fix = "Verify the registry's credentials", .link = url};
//   notify::Message m = notify::Render(e, notify::ChannelKind::kSlack);  // m.body is JSON
//   std::string sig = notify::SignStandardWebhook(secret, msg_id, unix_seconds, m.body);
//
// Every message names the organisation, the application or server, what happened, the layer,
// the one-line fix and a link (docs/notifications.md). An event's text is built by Wharf from
// stored names and classified errors; it never carries a secret, and Render redacts nothing on
// its own: callers pass already-safe text (services build it from Error::message, which is
// client-safe by contract).
//
// Thread-safety: plain functions and values, except FlapDamper, which the caller serialises.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/secret_bytes.h"

namespace wharf::notify {

enum class Severity { kInfo, kWarning, kCritical };
std::string_view SeverityName(Severity s);                    // "info", "warning", "critical"
std::optional<Severity> ParseSeverity(std::string_view name);

// The events a rule can route. Names are stable API strings ("deployment.failed", ...).
enum class EventKind {
  kDeploymentFailed,
  kDeploymentSucceeded,
  kDeploymentFailedAfterStart,
  kDeploymentCancelled,
  kBackupFailed,
  kBackupSucceeded,
  kBackupMissed,
  kServerUnreachable,
  kServerRecovered,
  kServerDiskLow,
  kIntegrationVerifyFailed,
  kCredentialExpiring,
  kCertificateExpiring,
  kRoleChanged,
  kMemberJoined,
  kMemberRemoved,
  kTwoFactorDisabled,
  kApiTokenCreated,
  kSignInNewAddress,
  kTest,  // "Send test" on a channel
};
struct EventInfo {
  EventKind kind;
  std::string_view name;      // "deployment.failed"
  std::string_view title;     // "Deployment failed"
  Severity severity;          // the default severity of this kind
};
const std::vector<EventInfo>& AllEvents();
const EventInfo& Info(EventKind kind);
std::optional<EventKind> ParseEventKind(std::string_view name);

struct Event {
  EventKind kind = EventKind::kTest;
  std::optional<Severity> severity;  // overrides Info(kind).severity
  std::string org_slug, org_name;
  std::string subject;      // "shop/web" (application/service), "node-1" (server), an email, ...
  std::string application_id, server_id;  // for rule filters; may be empty
  // Names for the webhook payload's data (API.md): application, service and server names, the
  // deployment id; each may be empty.
  std::string application, service, server, deployment_id;
  std::string what;         // one sentence: what happened
  std::string layer;        // troubleshooting layer name, "" when none
  std::string fix;          // one line: what to do, "" when nothing
  std::string link;         // absolute URL of the page in Wharf
  int64_t occurred_at_ms = 0;
  // Identifies "the same event" for deduplication: one event sends at most one message per
  // channel, however many rules match or replicas see it. Callers set it from the row that
  // caused the event ("deployment:<id>:failed"); DedupKey() fills a default from the fields.
  std::string dedup_key;

  Severity EffectiveSeverity() const { return severity ? *severity : Info(kind).severity; }
};
std::string DedupKey(const Event& e);

enum class ChannelKind { kEmail, kSlack, kDiscord, kWebhook };
std::string_view ChannelKindName(ChannelKind k);              // "email", "slack", "discord", "webhook"
std::optional<ChannelKind> ParseChannelKind(std::string_view name);

struct Message {
  std::string subject;       // email subject; the title line elsewhere
  std::string body;          // email: plain text; slack/discord/webhook: a JSON document
  std::string content_type;  // "text/plain; charset=utf-8" or "application/json"
};
// `message_id` is the webhook envelope's id (also the webhook-id header); other kinds ignore it.
Message Render(const Event& e, ChannelKind kind, std::string_view message_id = {});

// --- Standard Webhooks (https://www.standardwebhooks.com/, spec v1) ---
// A new signing secret: "whsec_" + base64(32 random bytes). Shown once, stored sealed.
SecretBytes NewWebhookSecret();
// "v1,<base64(HMAC-SHA256(key, id "." timestamp "." body))>", key = base64-decoded secret after
// "whsec_" (a secret without the prefix is used as raw bytes). Errors name `secret` when the
// base64 is malformed.
Result<std::string> SignStandardWebhook(const SecretBytes& secret, std::string_view id, int64_t unix_seconds,
                                        std::string_view body);
// The receiver's check (used by tests and by "Send test" self-checks): one of the space-separated
// "v1,<sig>" entries matches, in constant time, and the timestamp is within `tolerance_s` of now.
bool VerifyStandardWebhook(const SecretBytes& secret, std::string_view id, std::string_view timestamp,
                           std::string_view signature_header, std::string_view body, int64_t now_unix_seconds,
                           int64_t tolerance_s = 300);

// --- Delivery policy ---
// Whether a failed attempt is worth retrying: transport errors/timeouts (status 0), 408, 429 and
// 5xx are; other 4xx are not (the channel is misconfigured: retrying cannot help).
bool ShouldRetry(int http_status);
// Delay before attempt `attempt` (2, 3, ...): 10 s, 30 s, 2 min, 10 min, 30 min; nullopt after
// the last (kMaxAttempts in all). A Retry-After the receiver sent (seconds) wins when longer.
inline constexpr int kMaxAttempts = 6;
std::optional<int64_t> RetryDelayMs(int attempt, std::optional<int64_t> retry_after_s = std::nullopt);

// certificate.expiring: the warning a served certificate calls for with `ms_left` until its
// notAfter: kAhead at `alert_days` days or fewer, kFinal at 3 days or fewer, kExpired once past
// (kNone before). Each stage is sent once per certificate, so a certificate that is never renewed
// warns at most three times and a renewed one starts over.
enum class CertificateStage { kNone, kAhead, kFinal, kExpired };
CertificateStage CertificateStageOf(int64_t ms_left, int alert_days);
std::string_view CertificateStageName(CertificateStage s);  // "", "ahead", "final", "expired"

// Flap damping for server health: `threshold` consecutive failures before one "unreachable",
// then silence until a success, which sends one "recovered". A success before the threshold
// resets the count without any message.
class FlapDamper {
 public:
  enum class Say { kNothing, kUnreachable, kRecovered };
  explicit FlapDamper(int threshold = 3) : threshold_(threshold < 1 ? 1 : threshold) {}
  Say Observe(bool healthy);
  bool alerting() const { return alerting_; }
  int failures() const { return failures_; }
  // For persistence between checks: restore what was saved.
  void Restore(int failures, bool alerting) { failures_ = failures; alerting_ = alerting; }

 private:
  int threshold_;
  int failures_ = 0;
  bool alerting_ = false;
};

}  // namespace wharf::notify
