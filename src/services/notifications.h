// Notifications (docs/notifications.md): channels (email, Slack, Discord, Standard Webhooks),
// rules that route events to them, and durable deliveries with retries. Channels are integration
// rows of kind notificationChannels (their Slack/Discord URL or webhook signing secret sealed,
// write-only); "Send test" verifies one, and only verified channels receive events. Other features
// emit events through Core::Notify (inside their transaction) or Core::NotifyNow; this class is
// the Notifier that fans them out.
//
//   auto ch = svc.notifications().CreateChannel(p, {.name = "ops", .type = "webhook", .url = url}, ctx);
//   // ch->signing_secret: "whsec_…", shown once
//   auto report = svc.notifications().TestChannel(p, ch->channel.id, ctx);  // verifies it
//   svc.notifications().CreateRule(p, {.events = {{"deployment.failed"}}, .channel_ids = {{ch->channel.id}}}, ctx);
//
// Delivery: each (event, channel) is one notification_deliveries row, unique by (channel,
// dedup key), so one event sends at most one message per channel on any number of replicas. A
// `notify` job sends it; a 5xx, 408, 429 or transport failure waits (notify::RetryDelayMs, scaled
// by Config::notify_retry_base_ms) and the scheduler's sweep enqueues the next attempt; a 4xx
// fails at once. Thread-safety: every method is safe to call concurrently.
#pragma once

#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "services/core.h"
#include "services/integrations.h"

namespace wharf::services {

inline const IntegrationKind kNotificationChannels{domain::Collection::kNotifications, "notificationChannels", "nch",
                                                   "Notification channel"};

// A channel body: {name, type: email|slack|discord|webhook, addresses (email), url (the rest)}.
// The Slack and Discord URLs are secrets (sealed, write-only); a webhook's URL is shown.
struct ChannelInput {
  std::optional<std::string> name, type;
  std::optional<std::vector<std::string>> addresses;
  std::optional<SecretBytes> url;
};
struct ChannelCreated {
  domain::Integration channel;
  SecretBytes signing_secret;  // webhook channels: "whsec_…", for this answer only; else empty
};

// Rotating a webhook channel's signing secret (docs/notifications.md, "Rotating the signing
// secret"). The old secret stays sealed on the row (sealed field kPreviousSigningSecret, plain
// field kPreviousSecretExpiresAt in ms) and every message sent before it expires carries both
// signatures ("v1,<new> v1,<old>"), so a receiver that still has only the old one keeps verifying.
inline constexpr const char* kPreviousSigningSecret = "previous_signing_secret";
inline constexpr const char* kPreviousSecretExpiresAt = "previous_signing_secret_expires_at";
inline constexpr const char* kSigningSecretRotatedAt = "signing_secret_rotated_at";
inline constexpr int kDefaultRotationOverlapHours = 24, kMaxRotationOverlapHours = 168;
struct SecretRotated {
  domain::Integration channel;
  SecretBytes signing_secret;         // the new "whsec_…", for this answer only
  Timestamp previous_expires_at = 0;  // when the old secret stops signing (the rotation's time with overlap 0)
};
// The rotation's time and, while the overlap lasts, when the old secret stops signing (0: none).
Timestamp SigningSecretRotatedAt(const domain::Integration& c);
Timestamp PreviousSecretExpiresAt(const domain::Integration& c, Timestamp now);

struct RuleInput {
  std::optional<std::vector<std::string>> events, channel_ids, application_ids, server_ids;
  std::optional<std::string> min_severity;
};

class Notifications : public Feature, public Notifier {
 public:
  // Registers itself as core.notifier.
  Notifications(Core& core, Integrations& integrations);

  // --- channels (notifications.*) ---
  Result<Page<domain::Integration>> ListChannels(const authz::Principal& p, int limit, std::string_view cursor,
                                                 const RequestContext& ctx);
  Result<domain::Integration> GetChannel(const authz::Principal& p, std::string_view id, const RequestContext& ctx);
  // Errors: 400 naming name, type, addresses or url (missing, malformed, a private target without
  // --allow-private-targets); 409 for a duplicate name.
  Result<ChannelCreated> CreateChannel(const authz::Principal& p, ChannelInput in, const RequestContext& ctx);
  // type cannot change; a new url or addresses leaves the channel unverified.
  Result<domain::Integration> UpdateChannel(const authz::Principal& p, std::string_view id, ChannelInput in,
                                            const RequestContext& ctx);
  // Also takes the channel out of every rule and drops its delivery log.
  Status DeleteChannel(const authz::Principal& p, std::string_view id, const RequestContext& ctx);
  // Sends a test message now (notifications.update) and records the outcome: verified, or
  // last_error with its layer and fix. The report is {ok, checks: [{name: "delivery", ...}]}.
  Result<CheckOutcome> TestChannel(const authz::Principal& p, std::string_view id, const RequestContext& ctx);
  // A new signing secret for a webhook channel (notifications.update); the old one keeps signing
  // alongside it for `overlap_hours` (0 to 168, default 24; 0 drops it now). A second rotation
  // during an overlap replaces the previous secret with the current one: never more than two.
  // Errors: 400 naming overlap_hours, or type for a channel that is not a webhook; 404.
  Result<SecretRotated> RotateSigningSecret(const authz::Principal& p, std::string_view id,
                                            std::optional<int64_t> overlap_hours, const RequestContext& ctx);

  // --- rules ---
  Result<std::vector<domain::NotificationRule>> ListRules(const authz::Principal& p, const RequestContext& ctx);
  Result<domain::NotificationRule> GetRule(const authz::Principal& p, std::string_view id, const RequestContext& ctx);
  // Errors: 400 naming events[i] (unknown), channel_ids[i] (absent or not verified),
  // application_ids[i] / server_ids[i] (authorised as those rows), min_severity.
  Result<domain::NotificationRule> CreateRule(const authz::Principal& p, RuleInput in, const RequestContext& ctx);
  Result<domain::NotificationRule> UpdateRule(const authz::Principal& p, std::string_view id, RuleInput in,
                                              const RequestContext& ctx);
  Status DeleteRule(const authz::Principal& p, std::string_view id, const RequestContext& ctx);

  // --- the delivery log ---
  Result<Page<domain::NotificationDelivery>> ListDeliveries(const authz::Principal& p, std::string_view channel_id,
                                                            int limit, std::string_view cursor,
                                                            const RequestContext& ctx);
  // Sends a delivery again (notifications.update): queued now, with a fresh retry budget and the
  // same message id. 409 while it is queued or running.
  Result<domain::NotificationDelivery> Redeliver(const authz::Principal& p, std::string_view id,
                                                 const RequestContext& ctx);

  // --- Notifier ---
  Status Emit(store::Tx& tx, std::string_view org_id, notify::Event e) override;
  Status ObserveServerHealth(store::Tx& tx, const domain::Server& s, bool reachable, std::string_view error,
                             int64_t disk_free_mb) override;
  void JobEnded(JobContext& jc, const Status& result) override;  // notification_events.cc

  // The scheduler's sweep (scheduler replica only): enqueues the attempts whose wait is over.
  int RunDueRetries();
  // The scheduler's expiry sweep (scheduler replica only): one integration.expiring per
  // integration and known expiry (expires_at: an AWS cloud account's temporary credentials)
  // within Config::credential_expiry_warning_ms. Returns how many were announced.
  int RunExpiryWarnings();
  void RegisterNotificationJobs();

 private:
  struct Sent {
    bool ok = false;
    int status = 0;  // HTTP status; 0 = no answer (transport error, timeout) or email
    std::optional<int64_t> retry_after_s;
    bool retryable = false;  // a transport failure, timeout, 408, 429 or 5xx
    std::string error;  // client-safe, no secret
    std::string layer, fix;
    int64_t duration_ms = 0;
  };
  // A channel's opened credential: the Slack/Discord URL or the webhook signing secret, and
  // during a rotation's overlap the previous signing secret (else empty).
  struct ChannelKeys {
    SecretBytes secret, previous;
  };
  // Renders `e` for the channel and sends it now (the keys opened from the row).
  Sent Send(const domain::Integration& channel, const ChannelKeys& keys, const notify::Event& e,
            const std::string& message_id);
  Result<ChannelKeys> OpenChannelKeys(store::Tx& tx, const domain::Integration& channel);
  // The row as clients see it: an expired previous secret (and its expiry) left out.
  domain::Integration Current(domain::Integration c) const;
  Status ValidateRule(store::Tx& tx, const authz::Principal& p, domain::NotificationRule& r, const RuleInput& in,
                      const RequestContext& ctx);
  Status RunDelivery(JobContext& jc);
  Status EnqueueDelivery(store::Tx& tx, const domain::NotificationDelivery& d);
  std::string Link(const std::string& org_slug, const std::string& path) const;

  Integrations& integrations_;
  std::mutex expiry_mu_;
  std::set<std::string> expiry_announced_;  // "<id>:<expires_at>" this process emitted (the store dedups across replicas)
};

// The events features emit from inside their use cases (notification_events.cc): a security
// event about `subject` (an email, a role or token name) with `link` a path under /o/<org>.
notify::Event SecurityEvent(notify::EventKind kind, std::string subject, std::string what, std::string fix,
                            std::string link);
// security.new_sign_in: notes the sign-in address of `u` (SignInAddressKey, stored hashed with
// the user id; the kSignInAddressesKept most recently seen are kept) and answers the event when
// the account has signed in before but never from this address; nullopt otherwise (the first
// sign-in sets the baseline). Written in the transaction that creates the session.
inline constexpr int kSignInAddressesKept = 20;
std::string SignInAddressKey(std::string_view ip);  // IPv4 whole; IPv6 its /64
Result<std::optional<notify::Event>> NewSignInEvent(store::Tx& tx, const domain::User& u, std::string_view ip,
                                                    std::string_view user_agent, Timestamp now);
// security.two_factor_disabled about `u`, whose last second factor went (`how`: "the operator
// reset it with wharf admin reset-2fa", ...); sent to every org of the user (NotifyUserOrgs).
notify::Event TwoFactorDisabledEvent(const domain::User& u, const std::string& how, Timestamp at);
// deployment.failed_after_start for a deployment whose watch after start just failed (`why`, with
// `fix`), built in the transaction that records it; nullopt when the deployment is gone.
Result<std::optional<notify::Event>> FailedAfterStartEvent(store::Tx& tx, std::string_view org_id,
                                                           std::string_view deployment_id, const std::string& why,
                                                           const std::string& fix);
// backup.missed for a schedule that did not start a backup when it was due.
Result<notify::Event> BackupMissedEvent(store::Tx& tx, const domain::Integration& schedule, const std::string& why,
                                        Timestamp due_at);

// The event as stored on a delivery (no secret by construction) and back.
nlohmann::json EventToJson(const notify::Event& e);
notify::Event EventFromJson(const nlohmann::json& j);

}  // namespace wharf::services
