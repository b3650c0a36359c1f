// Notification rules, deliveries and servers' alert state, once for both databases (see query.h
// for what Q provides). Internal to src/store.
#pragma once

#include <algorithm>

#include "store/sql/query.h"
#include "store/sql/repo_macro.h"
#include "store/sql/rows.h"

namespace wharf::store::sql {

WHARF_SQL_REPO(Notifications, NotificationRepository)
  Status InsertRule(const NotificationRule& r) override {
    Q q(c_, "INSERT INTO notification_rules (" WHARF_NOTIFY_RULE_COLS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    q.Text(r.id).Text(r.org_id).Text(IdsJson(r.events)).Text(IdsJson(r.channel_ids)).Text(IdsJson(r.application_ids));
    q.Text(IdsJson(r.server_ids)).Text(r.min_severity).Int(r.created_at).Int(r.updated_at).Text(r.created_by);
    return q.Exec("A notification rule with this id already exists.");
  }
  Result<std::optional<NotificationRule>> FindRule(std::string_view org_id, std::string_view id) override {
    Q q(c_, "SELECT " WHARF_NOTIFY_RULE_COLS " FROM notification_rules WHERE org_id = ? AND id = ?");
    q.Text(org_id).Text(id);
    return One<NotificationRule>(q, rows::ReadNotificationRule<Q>);
  }
  Result<std::vector<NotificationRule>> ListRules(std::string_view org_id, int limit) override {
    Q q(c_, "SELECT " WHARF_NOTIFY_RULE_COLS " FROM notification_rules WHERE org_id = ? ORDER BY created_at, id LIMIT ?");
    q.Text(org_id).Int(limit);
    return Collect<NotificationRule>(q, rows::ReadNotificationRule<Q>);
  }
  Status UpdateRule(const NotificationRule& r) override {
    Q q(c_, "UPDATE notification_rules SET events = ?, channel_ids = ?, application_ids = ?, server_ids = ?, "
            "min_severity = ?, updated_at = ? WHERE org_id = ? AND id = ?");
    q.Text(IdsJson(r.events)).Text(IdsJson(r.channel_ids)).Text(IdsJson(r.application_ids)).Text(IdsJson(r.server_ids));
    q.Text(r.min_severity).Int(r.updated_at).Text(r.org_id).Text(r.id);
    return q.Exec();
  }
  Result<bool> DeleteRule(std::string_view org_id, std::string_view id) override {
    return DeleteWhere<Q>(c_, "DELETE FROM notification_rules WHERE org_id = ? AND id = ?", org_id, id);
  }

  Result<bool> InsertDeliveryIfNew(const NotificationDelivery& d) override {
    Q q(c_, "INSERT INTO notification_deliveries (" WHARF_NOTIFY_DELIVERY_COLS ") VALUES "
            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (channel_id, dedup_key) DO NOTHING");
    q.Text(d.id).Text(d.org_id).Text(d.channel_id).Text(d.event).Text(d.dedup_key).Text(d.event_json).Text(d.status);
    q.Int(d.attempts).Int(d.retry_from).Int(d.response_code).Text(d.last_error).Int(d.duration_ms);
    q.Int(d.next_attempt_at).Int(d.created_at).Int(d.updated_at);
    return Changed(q);
  }
  Result<std::optional<NotificationDelivery>> FindDelivery(std::string_view org_id, std::string_view id) override {
    Q q(c_, "SELECT " WHARF_NOTIFY_DELIVERY_COLS " FROM notification_deliveries WHERE org_id = ? AND id = ?");
    q.Text(org_id).Text(id);
    return One<NotificationDelivery>(q, rows::ReadNotificationDelivery<Q>);
  }
  Result<std::vector<NotificationDelivery>> ListDeliveries(std::string_view org_id, std::string_view channel_id,
                                                           Timestamp before_created_at, std::string_view before_id,
                                                           int limit) override {
    const int64_t before = before_id.empty() ? INT64_MAX : before_created_at;
    Q q(c_, "SELECT " WHARF_NOTIFY_DELIVERY_COLS " FROM notification_deliveries WHERE org_id = ?1 AND "
            "(?2 = '' OR channel_id = ?2) AND (created_at < ?3 OR (created_at = ?3 AND id < ?4)) "
            "ORDER BY created_at DESC, id DESC LIMIT ?5");
    q.Text(org_id).Text(channel_id).Int(before).Text(before_id.empty() ? std::string_view("\x7f") : before_id);
    q.Int(limit + 1);
    return Collect<NotificationDelivery>(q, rows::ReadNotificationDelivery<Q>);
  }
  Status UpdateDelivery(const NotificationDelivery& d) override {
    Q q(c_, "UPDATE notification_deliveries SET status = ?, attempts = ?, retry_from = ?, response_code = ?, "
            "last_error = ?, duration_ms = ?, next_attempt_at = ?, updated_at = ? WHERE org_id = ? AND id = ?");
    q.Text(d.status).Int(d.attempts).Int(d.retry_from).Int(d.response_code).Text(d.last_error).Int(d.duration_ms);
    q.Int(d.next_attempt_at).Int(d.updated_at).Text(d.org_id).Text(d.id);
    return q.Exec();
  }
  Result<std::vector<NotificationDelivery>> ListDueRetries(Timestamp now, int limit) override {
    Q q(c_, "SELECT " WHARF_NOTIFY_DELIVERY_COLS " FROM notification_deliveries WHERE status = 'retrying' AND "
            "next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?");
    q.Int(now).Int(limit);
    return Collect<NotificationDelivery>(q, rows::ReadNotificationDelivery<Q>);
  }
  Result<int64_t> DeleteChannelDeliveries(std::string_view org_id, std::string_view channel_id) override {
    Q q(c_, "DELETE FROM notification_deliveries WHERE org_id = ? AND channel_id = ?");
    q.Text(org_id).Text(channel_id);
    WHARF_TRY(q.Exec());
    return q.Changes();
  }

  Result<ServerAlertState> GetServerAlertState(std::string_view org_id, std::string_view server_id) override {
    Q q(c_, "SELECT failures, alerting, disk_low FROM notification_server_state WHERE org_id = ? AND server_id = ?");
    q.Text(org_id).Text(server_id);
    WHARF_ASSIGN_OR_RETURN(bool row, q.Step());
    ServerAlertState s;
    if (row) {
      s.failures = q.I64(0);
      s.alerting = q.I64(1) != 0;
      s.disk_low = q.I64(2) != 0;
    }
    return s;
  }
  Status SaveServerAlertState(std::string_view org_id, std::string_view server_id, const ServerAlertState& s) override {
    Q q(c_, "INSERT INTO notification_server_state (server_id, org_id, failures, alerting, disk_low) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (server_id) DO UPDATE SET failures = excluded.failures, alerting = excluded.alerting, "
            "disk_low = excluded.disk_low");
    q.Text(server_id).Text(org_id).Int(s.failures).Bool(s.alerting).Bool(s.disk_low);
    return q.Exec();
  }

  Result<SignInAddress> NoteSignInAddress(std::string_view user_id, std::string_view address_hash, Timestamp now,
                                          int keep) override {
    Q known(c_, "SELECT address_hash FROM user_sign_in_addresses WHERE user_id = ? ORDER BY last_seen_at DESC, address_hash");
    known.Text(user_id);
    std::vector<std::string> hashes;
    for (;;) {
      WHARF_ASSIGN_OR_RETURN(bool row, known.Step());
      if (!row) break;
      hashes.push_back(known.Str(0));
    }
    const bool seen = std::find(hashes.begin(), hashes.end(), address_hash) != hashes.end();
    // Two sign-ins at once from one new address: both insert, one wins, neither fails.
    Q up(c_, "INSERT INTO user_sign_in_addresses (user_id, address_hash, first_seen_at, last_seen_at) VALUES (?, ?, ?, ?) "
             "ON CONFLICT (user_id, address_hash) DO UPDATE SET last_seen_at = excluded.last_seen_at");
    up.Text(user_id).Text(address_hash).Int(now).Int(now);
    WHARF_TRY(up.Exec());
    if (!seen && keep > 0 && static_cast<int>(hashes.size()) >= keep) {
      for (size_t i = static_cast<size_t>(keep) - 1; i < hashes.size(); ++i) {
        Q del(c_, "DELETE FROM user_sign_in_addresses WHERE user_id = ? AND address_hash = ?");
        del.Text(user_id).Text(hashes[i]);
        WHARF_TRY(del.Exec());
      }
    }
    if (seen) return SignInAddress::kSeen;
    return hashes.empty() ? SignInAddress::kFirst : SignInAddress::kNew;
  }
};

}  // namespace wharf::store::sql
