// Each table's row decoder, for both stores (its column list is in sql/columns.h).
//
// The SQLite and PostgreSQL repositories (src/store/sql) select the same columns in the same
// order and turn a row into the same domain struct. Decoders are templates over the backend's
// Query (sql/query.h), which offers:
//   std::string Str(int), std::string_view View(int), std::string Bytes(int), int64_t I64(int),
//   bool IsNull(int), bool IsFlag(int)  // IsFlag: a boolean/integer column, not a blob
// Internal to src/store (the stores include it; services never do). Example:
//   Q q(c_, "SELECT " WHARF_ROLE_COLS " FROM roles WHERE org_id = ? AND id = ?");
//   q.Text(org_id).Text(id);
//   return sql::One<Role>(q, rows::ReadRole<Q>);
// Decoders return kInternal only for stored text that no longer parses (a corrupt row).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "base/json.h"
#include "base/strings.h"
#include "domain/types.h"
#include "store/sql/columns.h"
#include "store/store.h"

namespace wharf::store::rows {

using nlohmann::json;

inline Result<json> ParseJson(std::string_view s) {
  json j = json::parse(s, nullptr, false);
  if (j.is_discarded()) return Internal("stored JSON is corrupt");
  return j;
}

// Security-group rules as stored (a JSON array); a corrupt entry reads as no rules.
inline std::vector<domain::SecurityRule> ParseRules(std::string_view text) {
  std::vector<domain::SecurityRule> out;
  json a = json::parse(text, nullptr, false);
  if (!a.is_array()) return out;
  for (auto& r : a)
    out.push_back({r.value("type", ""), r.value("protocol", ""), r.value("from_port", 0), r.value("to_port", 0),
                   r.value("source", ""), r.value("description", "")});
  return out;
}

inline json RulesJson(const std::vector<domain::SecurityRule>& rules) {
  json a = json::array();
  for (auto& r : rules)
    a.push_back({{"type", r.type}, {"protocol", r.protocol}, {"from_port", r.from_port}, {"to_port", r.to_port},
                 {"source", r.source}, {"description", r.description}});
  return a;
}

// An integration's `fields` (JSON object of strings) and `sealed` (JSON object of base64url
// ciphertexts) columns into `i`.
inline Status ParseIntegrationFields(std::string_view fields_text, std::string_view sealed_text,
                                     domain::Integration& i) {
  json fields = json::parse(fields_text, nullptr, false);
  json sealed = json::parse(sealed_text, nullptr, false);
  if (!fields.is_object() || !sealed.is_object()) return Internal("stored integration is corrupt");
  for (auto& [k, v] : fields.items())
    if (v.is_string()) i.fields[k] = v.get<std::string>();
  for (auto& [k, v] : sealed.items()) {
    std::string bytes;
    if (!v.is_string() || !Base64UrlDecode(v.get<std::string>(), &bytes))
      return Internal("stored sealed field is corrupt");
    i.sealed[k] = std::move(bytes);
  }
  return Ok();
}

template <class Row>
Result<User> ReadUser(Row& q, int o = 0) {
  User u;
  u.id = q.Str(o);
  u.email = q.Str(o + 1);
  u.name = q.Str(o + 2);
  u.password_hash = q.Str(o + 3);
  u.instance_admin = q.I64(o + 4) != 0;
  u.created_at = q.I64(o + 5);
  u.updated_at = q.I64(o + 6);
  u.email_verified = q.I64(o + 7) != 0;
  u.disabled_at = q.I64(o + 8);
  u.deleted_at = q.I64(o + 9);
  return u;
}

template <class Row>
Result<Org> ReadOrg(Row& q) {
  Org o;
  o.id = q.Str(0);
  o.slug = q.Str(1);
  o.name = q.Str(2);
  o.owner_id = q.Str(3);
  o.seat_limit = q.I64(4);
  o.wrapped_data_key = q.Bytes(5);
  o.created_at = q.I64(6);
  o.updated_at = q.I64(7);
  o.created_by = q.Str(8);
  o.deleted_at = q.I64(9);
  return o;
}

template <class Row>
Result<Role> ReadRole(Row& q) {
  Role r;
  r.id = q.Str(0);
  r.org_id = q.Str(1);
  r.name = q.Str(2);
  r.description = q.Str(3);
  r.builtin = q.I64(4) != 0;
  WHARF_ASSIGN_OR_RETURN(json perms, ParseJson(q.View(5)));
  WHARF_ASSIGN_OR_RETURN(r.permissions, domain::ParsePermissions(perms, "permissions"));
  if (!q.IsNull(6)) {
    WHARF_ASSIGN_OR_RETURN(json scope, ParseJson(q.View(6)));
    WHARF_ASSIGN_OR_RETURN(r.resource_scope, domain::ParseResourceScope(scope, "resource_scope"));
  }
  r.created_at = q.I64(7);
  r.updated_at = q.I64(8);
  r.created_by = q.Str(9);
  return r;
}

template <class Row>
Result<Session> ReadSession(Row& q) {
  Session s;
  s.id = q.Str(0);
  s.user_id = q.Str(1);
  s.token_hash = q.Str(2);
  s.csrf_hash = q.Str(3);
  s.created_at = q.I64(4);
  s.expires_at = q.I64(5);
  s.revoked_at = q.I64(6);
  s.ip = q.Str(7);
  s.user_agent = q.Str(8);
  s.last_used_at = q.I64(9);
  return s;
}

template <class Row>
Result<AccountToken> ReadAccountToken(Row& q) {
  AccountToken t;
  t.id = q.Str(0);
  t.user_id = q.Str(1);
  auto kind = domain::ParseAccountTokenKind(q.View(2));
  if (!kind) return Internal("account_tokens.kind holds an unknown kind");
  t.kind = *kind;
  t.token_hash = q.Str(3);
  t.bound_to = q.Str(4);
  t.created_at = q.I64(5);
  t.expires_at = q.I64(6);
  t.used_at = q.I64(7);
  return t;
}

template <class Row>
Result<ApiToken> ReadToken(Row& q) {
  ApiToken t;
  t.id = q.Str(0);
  t.user_id = q.Str(1);
  t.org_id = q.Str(2);
  t.name = q.Str(3);
  t.token_hash = q.Str(4);
  if (!q.IsNull(5)) {
    WHARF_ASSIGN_OR_RETURN(json p, ParseJson(q.View(5)));
    WHARF_ASSIGN_OR_RETURN(auto perms, domain::ParsePermissions(p, "permissions"));
    t.permissions = perms;
  }
  t.created_at = q.I64(6);
  t.expires_at = q.I64(7);
  t.revoked_at = q.I64(8);
  t.last_used_at = q.I64(9);
  return t;
}

template <class Row>
Result<Invitation> ReadInvitation(Row& q) {
  Invitation i;
  i.id = q.Str(0);
  i.org_id = q.Str(1);
  i.email = q.Str(2);
  i.role_id = q.Str(3);
  i.token_hash = q.Str(4);
  auto st = domain::ParseInvitationStatus(q.View(5));
  if (!st) return Internal("stored invitation status is corrupt");
  i.status = *st;
  i.expires_at = q.I64(6);
  i.email_status = q.Str(7);
  i.email_error = q.Str(8);
  i.created_at = q.I64(9);
  i.updated_at = q.I64(10);
  i.created_by = q.Str(11);
  i.accepted_at = q.I64(12);
  i.accepted_by = q.Str(13);
  return i;
}

template <class Row>
Result<SshKey> ReadSshKey(Row& q) {
  SshKey k;
  k.id = q.Str(0);
  k.org_id = q.Str(1);
  k.name = q.Str(2);
  k.type = q.Str(3);
  k.public_key = q.Str(4);
  k.fingerprint = q.Str(5);
  if (q.IsFlag(6)) {
    k.private_key_set = q.I64(6) != 0;  // list queries select only "is it set"
  } else if (!q.IsNull(6)) {
    k.private_key_sealed = q.Bytes(6);
    k.private_key_set = !k.private_key_sealed.empty();
  }
  k.created_at = q.I64(7);
  k.updated_at = q.I64(8);
  k.created_by = q.Str(9);
  return k;
}

// The list view of an SSH key (WHARF_KEY_LIST_COLS): views into the cursor's current row, valid
// until it moves (the list hot path copies nothing).
template <class Row>
domain::SshKeyView ReadSshKeyView(Row& q) {
  domain::SshKeyView v;
  v.id = q.View(0);
  v.name = q.View(2);
  v.type = q.View(3);
  v.public_key = q.View(4);
  v.fingerprint = q.View(5);
  v.private_key_set = q.I64(6) != 0;
  v.created_at = q.I64(7);
  v.updated_at = q.I64(8);
  v.created_by = q.View(9);
  return v;
}

template <class Row>
Result<AuditEvent> ReadAudit(Row& q) {
  AuditEvent e;
  e.id = q.I64(0);
  e.org_id = q.Str(1);
  e.at = q.I64(2);
  e.actor_id = q.Str(3);
  e.actor_email = q.Str(4);
  e.action = q.Str(5);
  e.collection = q.Str(6);
  e.resource_id = q.Str(7);
  e.outcome = q.Str(8);
  e.request_id = q.Str(9);
  e.ip = q.Str(10);
  e.detail = q.Str(11);
  return e;
}

template <class Row>
Result<SecurityGroup> ReadGroup(Row& q) {
  SecurityGroup g;
  g.id = q.Str(0);
  g.org_id = q.Str(1);
  g.name = q.Str(2);
  g.description = q.Str(3);
  g.inbound = ParseRules(q.View(4));
  g.outbound = ParseRules(q.View(5));
  g.created_at = q.I64(6);
  g.updated_at = q.I64(7);
  g.created_by = q.Str(8);
  return g;
}

template <class Row>
Result<Server> ReadServer(Row& q) {
  Server s;
  s.id = q.Str(0);
  s.org_id = q.Str(1);
  s.name = q.Str(2);
  s.host = q.Str(3);
  s.port = static_cast<int>(q.I64(4));
  s.username = q.Str(5);
  s.ssh_key_id = q.Str(6);
  json ids = json::parse(q.View(7), nullptr, false);
  if (ids.is_array())
    for (auto& i : ids)
      if (i.is_string()) s.security_group_ids.push_back(i.get<std::string>());
  s.host_key_fingerprint = q.Str(8);
  s.status = q.Str(9);
  s.last_check = q.Str(10);
  s.last_check_at = q.I64(11);
  s.last_error = q.Str(12);
  s.consecutive_failures = static_cast<int>(q.I64(13));
  s.next_check_at = q.I64(14);
  s.source_address = q.Str(15);
  s.created_at = q.I64(16);
  s.updated_at = q.I64(17);
  s.created_by = q.Str(18);
  return s;
}

template <class Row>
Result<Job> ReadJob(Row& q) {
  Job j;
  j.id = q.Str(0);
  j.org_id = q.Str(1);
  j.kind = q.Str(2);
  j.target_id = q.Str(3);
  j.status = q.Str(4);
  j.error = q.Str(5);
  j.log = q.Str(6);
  j.created_at = q.I64(7);
  j.started_at = q.I64(8);
  j.finished_at = q.I64(9);
  j.created_by = q.Str(10);
  j.payload = q.Str(11);
  j.claimed_by = q.Str(12);
  j.lease_until = q.I64(13);
  j.attempts = q.I64(14);
  j.cancel_requested = q.I64(15) != 0;
  j.log_offset = q.I64(16);
  return j;
}

template <class Row>
Result<domain::Integration> ReadIntegration(Row& q) {
  domain::Integration i;
  i.id = q.Str(0);
  i.org_id = q.Str(1);
  i.kind = q.Str(2);
  i.name = q.Str(3);
  WHARF_TRY(ParseIntegrationFields(q.View(4), q.View(5), i));
  i.dedupe_key = q.Str(6);
  i.verified = q.I64(7) != 0;
  i.last_verified_at = q.I64(8);
  i.last_error = q.Str(9);
  i.expires_at = q.I64(10);
  i.created_at = q.I64(11);
  i.updated_at = q.I64(12);
  i.created_by = q.Str(13);
  return i;
}

template <class Row>
Result<domain::Application> ReadApplication(Row& q) {
  domain::Application a;
  a.id = q.Str(0);
  a.org_id = q.Str(1);
  a.name = q.Str(2);
  a.description = q.Str(3);
  a.server_id = q.Str(4);
  a.created_at = q.I64(5);
  a.updated_at = q.I64(6);
  a.created_by = q.Str(7);
  return a;
}

template <class Row>
Result<domain::AppService> ReadAppService(Row& q) {
  domain::AppService s;
  s.id = q.Str(0);
  s.org_id = q.Str(1);
  s.application_id = q.Str(2);
  s.name = q.Str(3);
  s.type = q.Str(4);
  s.config = q.Str(5);
  s.variables_sealed = q.Bytes(6);
  s.credentials_sealed = q.Bytes(7);
  s.unset_keys = q.Str(8);
  s.status = q.Str(9);
  s.created_at = q.I64(10);
  s.updated_at = q.I64(11);
  s.created_by = q.Str(12);
  return s;
}

template <class Row>
Result<domain::AppTemplate> ReadTemplate(Row& q) {
  domain::AppTemplate t;
  t.id = q.Str(0);
  t.org_id = q.Str(1);
  t.name = q.Str(2);
  t.description = q.Str(3);
  t.body = q.Str(4);
  t.created_at = q.I64(5);
  t.updated_at = q.I64(6);
  t.created_by = q.Str(7);
  return t;
}

template <class Row>
Result<domain::Deployment> ReadDeployment(Row& q) {
  domain::Deployment d;
  d.id = q.Str(0);
  d.org_id = q.Str(1);
  d.application_id = q.Str(2);
  d.service_id = q.Str(3);
  d.action = q.Str(4);
  d.trigger = q.Str(5);
  d.ref = q.Str(6);
  d.commit_sha = q.Str(7);
  d.error_layer = q.Str(8);
  d.error_fix = q.Str(9);
  d.created_at = q.I64(10);
  d.created_by = q.Str(11);
  d.status = q.Str(12);
  d.error = q.Str(13);
  d.started_at = q.I64(14);
  d.finished_at = q.I64(15);
  return d;
}

template <class Row>
Result<domain::Release> ReadRelease(Row& q) {
  domain::Release r;
  r.id = q.Str(0);
  r.org_id = q.Str(1);
  r.application_id = q.Str(2);
  r.service_id = q.Str(3);
  r.version = q.I64(4);
  r.deployment_id = q.Str(5);
  r.source_kind = q.Str(6);
  r.repository = q.Str(7);
  r.commit_sha = q.Str(8);
  r.image_digest = q.Str(9);
  r.image = q.Str(10);
  r.variables_sealed = q.Bytes(11);
  r.variables_hash = q.Str(12);
  r.domains = q.Str(13);
  r.ports = q.Str(14);
  r.plan = q.Str(15);
  r.trigger = q.Str(16);
  r.rollback_of = q.I64(17);
  r.pinned = q.IsFlag(18);
  r.created_at = q.I64(19);
  r.created_by = q.Str(20);
  return r;
}

template <class Row>
Result<domain::NotificationRule> ReadNotificationRule(Row& q) {
  domain::NotificationRule r;
  r.id = q.Str(0);
  r.org_id = q.Str(1);
  r.events = StoredStringArray(q.View(2));
  r.channel_ids = StoredStringArray(q.View(3));
  r.application_ids = StoredStringArray(q.View(4));
  r.server_ids = StoredStringArray(q.View(5));
  r.min_severity = q.Str(6);
  r.created_at = q.I64(7);
  r.updated_at = q.I64(8);
  r.created_by = q.Str(9);
  return r;
}

template <class Row>
Result<domain::NotificationDelivery> ReadNotificationDelivery(Row& q) {
  domain::NotificationDelivery d;
  d.id = q.Str(0);
  d.org_id = q.Str(1);
  d.channel_id = q.Str(2);
  d.event = q.Str(3);
  d.dedup_key = q.Str(4);
  d.event_json = q.Str(5);
  d.status = q.Str(6);
  d.attempts = q.I64(7);
  d.retry_from = q.I64(8);
  d.response_code = q.I64(9);
  d.last_error = q.Str(10);
  d.duration_ms = q.I64(11);
  d.next_attempt_at = q.I64(12);
  d.created_at = q.I64(13);
  d.updated_at = q.I64(14);
  return d;
}

}  // namespace wharf::store::rows
