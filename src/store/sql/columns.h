// Each table's column lists, in the order the row decoders of sql/rows.h read them (internal to
// src/store). Macros, so that every statement stays one string literal: SQLite's statement cache
// and PostgreSQL's prepared statements key on the literal.
//   Q q(c_, "SELECT " WHARF_ROLE_COLS " FROM roles WHERE org_id = ? AND id = ?");
#pragma once

#define WHARF_USER_COLS \
  "id, email, name, password_hash, instance_admin, created_at, updated_at, email_verified, disabled_at, deleted_at"
#define WHARF_ORG_COLS \
  "id, slug, name, owner_id, seat_limit, wrapped_data_key, created_at, updated_at, created_by, deleted_at"
#define WHARF_ROLE_COLS \
  "id, org_id, name, description, builtin, permissions, resource_scope, created_at, updated_at, created_by"
#define WHARF_SESSION_COLS \
  "id, user_id, token_hash, csrf_hash, created_at, expires_at, revoked_at, ip, user_agent, last_used_at"
#define WHARF_ACCOUNT_TOKEN_COLS "id, user_id, kind, token_hash, bound_to, created_at, expires_at, used_at"
#define WHARF_TOKEN_COLS \
  "id, user_id, org_id, name, token_hash, permissions, created_at, expires_at, revoked_at, last_used_at"
#define WHARF_INV_COLS                                                                                     \
  "id, org_id, email, role_id, token_hash, status, expires_at, email_status, email_error, created_at, " \
  "updated_at, created_by, accepted_at, accepted_by"
#define WHARF_MEMBER_ROW_COLS                                                                           \
  "m.org_id, m.user_id, m.role_id, m.joined_at, u.id, u.email, u.name, '', u.instance_admin, u.created_at, " \
  "u.updated_at, u.email_verified, u.disabled_at, u.deleted_at"
#define WHARF_KEY_LIST_COLS \
  "id, org_id, name, type, public_key, fingerprint, private_key_sealed IS NOT NULL, created_at, updated_at, created_by"
#define WHARF_GROUP_COLS "id, org_id, name, description, inbound, outbound, created_at, updated_at, created_by"
#define WHARF_SERVER_COLS                                                                                          \
  "id, org_id, name, host, port, username, ssh_key_id, security_group_ids, host_key_fingerprint, status, last_check, " \
  "last_check_at, last_error, consecutive_failures, next_check_at, source_address, created_at, updated_at, created_by"
#define WHARF_JOB_TAIL_COLS "payload, claimed_by, lease_until, attempts, cancel_requested, log_offset"
#define WHARF_JOB_COLS \
  "id, org_id, kind, target_id, status, error, log, created_at, started_at, finished_at, created_by, " WHARF_JOB_TAIL_COLS
#define WHARF_JOB_NOLOG_COLS \
  "id, org_id, kind, target_id, status, error, '', created_at, started_at, finished_at, created_by, " WHARF_JOB_TAIL_COLS
#define WHARF_INTEGRATION_COLS \
  "id, org_id, kind, name, fields, sealed, dedupe_key, verified, last_verified_at, last_error, expires_at, " \
  "created_at, updated_at, created_by"
#define WHARF_APP_COLS "id, org_id, name, description, server_id, created_at, updated_at, created_by"
#define WHARF_APP_SERVICE_COLS \
  "id, org_id, application_id, name, type, config, variables_sealed, credentials_sealed, unset_keys, status, " \
  "created_at, updated_at, created_by"
#define WHARF_TEMPLATE_COLS "id, org_id, name, description, body, created_at, updated_at, created_by"
#define WHARF_DEPLOYMENT_COLS \
  "id, org_id, application_id, service_id, action, trigger_kind, ref, commit_sha, error_layer, error_fix, created_at, " \
  "created_by"
// Reads join the job row for status, error and times; a failed watch after start is the status.
#define WHARF_DEPLOYMENT_SELECT                                                                               \
  "SELECT d.id, d.org_id, d.application_id, d.service_id, d.action, d.trigger_kind, d.ref, d.commit_sha, "  \
  "d.error_layer, d.error_fix, d.created_at, d.created_by, "                                                  \
  "CASE WHEN d.after_start = 'failed' THEN 'failed_after_start' ELSE COALESCE(j.status, 'failed') END, COALESCE(j.error, ''), " \
  "COALESCE(j.started_at, 0), COALESCE(j.finished_at, 0) FROM deployments d LEFT JOIN jobs j ON j.id = d.id "
#define WHARF_RELEASE_COLS                                                                                       \
  "id, org_id, application_id, service_id, version, deployment_id, source_kind, repository, commit_sha, "        \
  "image_digest, image, variables_sealed, variables_hash, domains, ports, plan, trigger_kind, rollback_of, pinned, " \
  "created_at, created_by"
#define WHARF_NOTIFY_RULE_COLS \
  "id, org_id, events, channel_ids, application_ids, server_ids, min_severity, created_at, updated_at, created_by"
#define WHARF_NOTIFY_DELIVERY_COLS                                                                              \
  "id, org_id, channel_id, event, dedup_key, event_json, status, attempts, retry_from, response_code, last_error, " \
  "duration_ms, next_attempt_at, created_at, updated_at"
