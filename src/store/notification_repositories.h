// The notification repository: rules, deliveries and the servers' flap-damping state (part of
// store.h, which includes it; see there for tenancy and error rules). Channels are integration
// rows of kind "notificationChannels" (IntegrationRepository).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "store/repository_types.h"

namespace wharf::store {

using domain::NotificationDelivery;
using domain::NotificationRule;

// What the health sweep remembers per server between checks (notify::FlapDamper's state).
struct ServerAlertState {
  int64_t failures = 0;
  bool alerting = false;
  bool disk_low = false;  // a server.disk_low was sent and the disk has not recovered since
};

// What NoteSignInAddress knew before: the user's first recorded address (nothing to report), one
// seen before, or a new one (security.new_sign_in).
enum class SignInAddress { kFirst, kSeen, kNew };

class NotificationRepository {
 public:
  virtual ~NotificationRepository() = default;

  // --- rules ---
  virtual Status InsertRule(const NotificationRule& r) = 0;
  virtual Result<std::optional<NotificationRule>> FindRule(std::string_view org_id, std::string_view id) = 0;
  // Oldest first (at most `limit`).
  virtual Result<std::vector<NotificationRule>> ListRules(std::string_view org_id, int limit) = 0;
  // events, channel_ids, application_ids, server_ids, min_severity, updated_at.
  virtual Status UpdateRule(const NotificationRule& r) = 0;
  virtual Result<bool> DeleteRule(std::string_view org_id, std::string_view id) = 0;

  // --- deliveries ---
  // Inserts the row unless one of (channel_id, dedup_key) exists: true when inserted. Of two
  // transactions inserting the same key at once (two replicas), exactly one gets true.
  virtual Result<bool> InsertDeliveryIfNew(const NotificationDelivery& d) = 0;
  virtual Result<std::optional<NotificationDelivery>> FindDelivery(std::string_view org_id, std::string_view id) = 0;
  // Newest first; `channel_id` empty = every channel; `before` = (created_at, id) of the last row
  // of the previous page, or 0/"" for the first. At most limit + 1 rows.
  virtual Result<std::vector<NotificationDelivery>> ListDeliveries(std::string_view org_id,
                                                                   std::string_view channel_id,
                                                                   Timestamp before_created_at,
                                                                   std::string_view before_id, int limit) = 0;
  // status, attempts, retry_from, response_code, last_error, duration_ms, next_attempt_at, updated_at.
  virtual Status UpdateDelivery(const NotificationDelivery& d) = 0;
  // Rows of every org waiting to be retried whose next_attempt_at <= now, soonest first.
  virtual Result<std::vector<NotificationDelivery>> ListDueRetries(Timestamp now, int limit) = 0;
  // Drops a channel's deliveries (the channel was deleted); returns how many.
  virtual Result<int64_t> DeleteChannelDeliveries(std::string_view org_id, std::string_view channel_id) = 0;

  // --- server alert state (flap damping) ---
  virtual Result<ServerAlertState> GetServerAlertState(std::string_view org_id, std::string_view server_id) = 0;
  virtual Status SaveServerAlertState(std::string_view org_id, std::string_view server_id,
                                      const ServerAlertState& s) = 0;

  // --- sign-in addresses (security.new_sign_in) ---
  // Remembers `address_hash` for the user (last seen `now`) and says whether it is new. At most
  // `keep` addresses per user are kept: the least recently seen go first.
  virtual Result<SignInAddress> NoteSignInAddress(std::string_view user_id, std::string_view address_hash,
                                                  Timestamp now, int keep) = 0;
};

}  // namespace wharf::store
