#include "store/migrations.h"

#include <array>
#include <string_view>

namespace wharf::store {

namespace {

// The schema as one list for both databases. Each entry is SQL with a few dialect tokens:
//   {INT} 64-bit integer      INTEGER | BIGINT
//   {BOOL} boolean            INTEGER | BOOLEAN      ({FALSE}: 0 | FALSE, {TRUE}: 1 | TRUE)
//   {BLOB} bytes              BLOB    | BYTEA
//   {SERIAL_PK}               INTEGER PRIMARY KEY AUTOINCREMENT | BIGSERIAL PRIMARY KEY
//   {NOW_MS} now in ms        CAST(strftime('%s', 'now') AS INTEGER) * 1000 | (EXTRACT(EPOCH FROM now()) * 1000)::BIGINT
// and lines between `@sqlite` / `@postgres` and `@end` that only one database runs (PostgreSQL's
// replica coordination: rate_events, cache_epochs, NOTIFY triggers). Numbered from 1 and
// forward-only: never edit a shipped entry, append a new one.
const char* const kMigrations[] = {
    // 1: the access-control foundation.
    R"sql(
CREATE TABLE users (
  id TEXT PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  instance_admin {BOOL} NOT NULL DEFAULT {FALSE},
  created_at {INT} NOT NULL,
  updated_at {INT} NOT NULL
);
CREATE TABLE orgs (
  id TEXT PRIMARY KEY,
  slug TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  owner_id TEXT NOT NULL REFERENCES users(id),
  seat_limit {INT} NOT NULL DEFAULT 0,
  wrapped_data_key {BLOB} NOT NULL,
  created_at {INT} NOT NULL,
  updated_at {INT} NOT NULL,
  created_by TEXT NOT NULL
);
CREATE TABLE roles (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES orgs(id),
  name TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  builtin {BOOL} NOT NULL DEFAULT {FALSE},
  permissions TEXT NOT NULL,
  resource_scope TEXT,
  created_at {INT} NOT NULL,
  updated_at {INT} NOT NULL,
  created_by TEXT NOT NULL,
  UNIQUE (org_id, name),
  UNIQUE (org_id, id)
);
CREATE INDEX roles_org ON roles (org_id, created_at, id);
CREATE TABLE memberships (
  org_id TEXT NOT NULL REFERENCES orgs(id),
  user_id TEXT NOT NULL REFERENCES users(id),
  role_id TEXT NOT NULL,
  joined_at {INT} NOT NULL,
  PRIMARY KEY (org_id, user_id),
  FOREIGN KEY (org_id, role_id) REFERENCES roles (org_id, id) ON DELETE RESTRICT
);
CREATE INDEX memberships_role ON memberships (org_id, role_id);
CREATE INDEX memberships_user ON memberships (user_id);
CREATE INDEX memberships_joined ON memberships (org_id, joined_at, user_id);
CREATE TABLE sessions (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users(id),
  token_hash TEXT NOT NULL UNIQUE,
  csrf_hash TEXT NOT NULL,
  created_at {INT} NOT NULL,
  expires_at {INT} NOT NULL,
  revoked_at {INT} NOT NULL DEFAULT 0,
  ip TEXT NOT NULL DEFAULT '',
  user_agent TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE TABLE api_tokens (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users(id),
  org_id TEXT NOT NULL REFERENCES orgs(id),
  name TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  permissions TEXT,
  created_at {INT} NOT NULL,
  expires_at {INT} NOT NULL DEFAULT 0,
  revoked_at {INT} NOT NULL DEFAULT 0,
  last_used_at {INT} NOT NULL DEFAULT 0
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);
CREATE TABLE invitations (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES orgs(id),
  email TEXT NOT NULL,
  role_id TEXT NOT NULL,
  token_hash TEXT NOT NULL,
  status TEXT NOT NULL,
  expires_at {INT} NOT NULL,
  email_status TEXT NOT NULL DEFAULT '',
  email_error TEXT NOT NULL DEFAULT '',
  created_at {INT} NOT NULL,
  updated_at {INT} NOT NULL,
  created_by TEXT NOT NULL,
  accepted_at {INT} NOT NULL DEFAULT 0,
  accepted_by TEXT NOT NULL DEFAULT ''
);
CREATE INDEX invitations_token ON invitations (token_hash);
CREATE INDEX invitations_org ON invitations (org_id, status, created_at, id);
CREATE TABLE ssh_keys (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES orgs(id),
  name TEXT NOT NULL,
  type TEXT NOT NULL,
  public_key TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  private_key_sealed {BLOB},
  created_at {INT} NOT NULL,
  updated_at {INT} NOT NULL,
  created_by TEXT NOT NULL,
  UNIQUE (org_id, name)
);
CREATE INDEX ssh_keys_org ON ssh_keys (org_id, created_at, id);
CREATE INDEX ssh_keys_creator ON ssh_keys (org_id, created_by, created_at, id);
CREATE TABLE audit_events (
@sqlite
  id INTEGER PRIMARY KEY AUTOINCREMENT,
@end
@postgres
  id BIGSERIAL PRIMARY KEY,
@end
  org_id TEXT NOT NULL,
  at {INT} NOT NULL,
  actor_id TEXT NOT NULL,
  actor_email TEXT NOT NULL,
  action TEXT NOT NULL,
  collection TEXT NOT NULL,
  resource_id TEXT NOT NULL,
  outcome TEXT NOT NULL,
  request_id TEXT NOT NULL,
  ip TEXT NOT NULL,
  detail TEXT NOT NULL
);
CREATE INDEX audit_org ON audit_events (org_id, id);

@postgres
-- Replica coordination (PostgreSQL only).
CREATE TABLE rate_events (
  limiter TEXT NOT NULL,
  key TEXT NOT NULL,
  at BIGINT NOT NULL
);
CREATE INDEX rate_events_key ON rate_events (limiter, key, at);
CREATE INDEX rate_events_at ON rate_events (limiter, at);

-- One row per cache scope ("org:<id>", "user:<id>"); seq grows with every write to the scope.
-- Writers hold the global write lock, so seq order is commit order and a reader that has seen
-- seq N has seen every change up to N.
CREATE SEQUENCE cache_epoch_seq;
CREATE TABLE cache_epochs (
  scope TEXT PRIMARY KEY,
  seq BIGINT NOT NULL
);
CREATE INDEX cache_epochs_seq ON cache_epochs (seq);
CREATE FUNCTION wharf_invalidate(p_scope TEXT) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(2003068786);  -- the write lock (kWriteLockKey)
  INSERT INTO cache_epochs (scope, seq) VALUES (p_scope, nextval('cache_epoch_seq'))
    ON CONFLICT (scope) DO UPDATE SET seq = EXCLUDED.seq;
  PERFORM pg_notify('wharf_invalidate', p_scope);
END $$;
CREATE FUNCTION wharf_invalidate_org() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN PERFORM wharf_invalidate('org:' || OLD.org_id);
  ELSE PERFORM wharf_invalidate('org:' || NEW.org_id); END IF;
  RETURN NULL;
END $$;
CREATE FUNCTION wharf_invalidate_org_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM wharf_invalidate('org:' || OLD.id);
  RETURN NULL;
END $$;
CREATE FUNCTION wharf_invalidate_user() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM wharf_invalidate('user:' || OLD.user_id);
  RETURN NULL;
END $$;
CREATE FUNCTION wharf_invalidate_user_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM wharf_invalidate('user:' || OLD.id);
  RETURN NULL;
END $$;
CREATE TRIGGER roles_invalidate AFTER INSERT OR UPDATE OR DELETE ON roles
  FOR EACH ROW EXECUTE FUNCTION wharf_invalidate_org();
CREATE TRIGGER memberships_invalidate AFTER INSERT OR UPDATE OR DELETE ON memberships
  FOR EACH ROW EXECUTE FUNCTION wharf_invalidate_org();
CREATE TRIGGER orgs_invalidate AFTER UPDATE OR DELETE ON orgs
  FOR EACH ROW EXECUTE FUNCTION wharf_invalidate_org_row();
CREATE TRIGGER sessions_invalidate AFTER UPDATE OR DELETE ON sessions
  FOR EACH ROW EXECUTE FUNCTION wharf_invalidate_user();
CREATE TRIGGER api_tokens_invalidate AFTER UPDATE OR DELETE ON api_tokens
  FOR EACH ROW EXECUTE FUNCTION wharf_invalidate_user();
CREATE TRIGGER users_invalidate AFTER UPDATE OR DELETE ON users
  FOR EACH ROW EXECUTE FUNCTION wharf_invalidate_user_row();

@end)sql",
    // 2: worker nodes and security groups. Rules and group ids are JSON arrays (read whole).
    R"sql(
CREATE TABLE security_groups (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES orgs(id),
  name TEXT NOT NULL,
  description TEXT NOT NULL,
  inbound TEXT NOT NULL,
  outbound TEXT NOT NULL,
  created_at {INT} NOT NULL,
  updated_at {INT} NOT NULL,
  created_by TEXT NOT NULL,
  UNIQUE (org_id, name)
);
CREATE INDEX security_groups_org ON security_groups (org_id, created_at, id);
CREATE TABLE servers (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES orgs(id),
  name TEXT NOT NULL,
  host TEXT NOT NULL,
  port INTEGER NOT NULL,
  username TEXT NOT NULL,
  ssh_key_id TEXT NOT NULL REFERENCES ssh_keys(id),
  security_group_ids TEXT NOT NULL,
  host_key_fingerprint TEXT NOT NULL,
  status TEXT NOT NULL,
  last_check TEXT NOT NULL,
  last_check_at {INT} NOT NULL,
  last_error TEXT NOT NULL,
  consecutive_failures INTEGER NOT NULL,
  next_check_at {INT} NOT NULL,
  source_address TEXT NOT NULL,
  created_at {INT} NOT NULL,
  updated_at {INT} NOT NULL,
  created_by TEXT NOT NULL,
  UNIQUE (org_id, name)
);
CREATE INDEX servers_org ON servers (org_id, created_at, id);
CREATE INDEX servers_key ON servers (org_id, ssh_key_id);
CREATE INDEX servers_due ON servers (next_check_at);
CREATE TABLE server_checks (
@sqlite
  id INTEGER PRIMARY KEY AUTOINCREMENT,
@end
@postgres
  id BIGSERIAL PRIMARY KEY,
@end
  org_id TEXT NOT NULL,
  server_id TEXT NOT NULL REFERENCES servers(id) ON DELETE CASCADE,
  at {INT} NOT NULL,
  ok {BOOL} NOT NULL,
  duration_ms {INT} NOT NULL,
  report TEXT NOT NULL
);
CREATE INDEX server_checks_server ON server_checks (server_id, id);
)sql",
    // 3: durable jobs (onboarding; deploys and backups later).
    R"sql(
CREATE TABLE jobs (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES orgs(id),
  kind TEXT NOT NULL,
  target_id TEXT NOT NULL,
  status TEXT NOT NULL,
  error TEXT NOT NULL,
  log TEXT NOT NULL,
  created_at {INT} NOT NULL,
  started_at {INT} NOT NULL,
  finished_at {INT} NOT NULL,
  created_by TEXT NOT NULL
);
CREATE INDEX jobs_target ON jobs (org_id, target_id, created_at);
CREATE INDEX jobs_status ON jobs (status);
)sql",
    // 4: integrations of every kind (Docker registries first; git providers, cloud accounts and
    // backup storage reuse it). fields/sealed are JSON objects; sealed values are base64url.
    R"sql(
CREATE TABLE integrations (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES orgs(id),
  kind TEXT NOT NULL,
  name TEXT NOT NULL,
  fields TEXT NOT NULL,
  sealed TEXT NOT NULL,
  dedupe_key TEXT NOT NULL,
  verified {BOOL} NOT NULL,
  last_verified_at {INT} NOT NULL,
  last_error TEXT NOT NULL,
  expires_at {INT} NOT NULL,
  created_at {INT} NOT NULL,
  updated_at {INT} NOT NULL,
  created_by TEXT NOT NULL,
  UNIQUE (org_id, kind, name),
  UNIQUE (org_id, kind, dedupe_key)
);
CREATE INDEX integrations_org ON integrations (org_id, kind, created_at, id);
)sql",
    // 5: the durable job queue: claims with a lease, takeover, one running job per target,
    // cancel requests, a handler payload and log retention (docs/architecture.md, "Jobs").
    R"sql(
ALTER TABLE jobs ADD COLUMN payload TEXT NOT NULL DEFAULT '{}';
ALTER TABLE jobs ADD COLUMN claimed_by TEXT NOT NULL DEFAULT '';
@sqlite
ALTER TABLE jobs ADD COLUMN lease_until INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN cancel_requested INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN log_offset INTEGER NOT NULL DEFAULT 0;
UPDATE jobs SET status = 'failed', finished_at = CAST(strftime('%s', 'now') AS INTEGER) * 1000,
@end
@postgres
ALTER TABLE jobs ADD COLUMN lease_until BIGINT NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN attempts BIGINT NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN cancel_requested BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE jobs ADD COLUMN log_offset BIGINT NOT NULL DEFAULT 0;
UPDATE jobs SET status = 'failed', finished_at = (EXTRACT(EPOCH FROM now()) * 1000)::BIGINT,
@end
  error = 'Interrupted by a control-plane upgrade while another job of this server ran. Run it again.'
  WHERE status = 'running' AND id NOT IN (SELECT MIN(id) FROM jobs WHERE status = 'running' GROUP BY target_id);
CREATE UNIQUE INDEX jobs_one_running ON jobs (target_id) WHERE status = 'running';
CREATE INDEX jobs_queued ON jobs (created_at, id) WHERE status = 'queued';
CREATE INDEX jobs_queued_target ON jobs (target_id, created_at, id) WHERE status = 'queued';
CREATE INDEX jobs_leases ON jobs (lease_until, id) WHERE status = 'running';
DROP INDEX jobs_status;
@postgres
CREATE FUNCTION wharf_jobs_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('wharf_jobs', '');
  RETURN NULL;
END $$;
CREATE TRIGGER jobs_enqueued AFTER INSERT ON jobs FOR EACH ROW WHEN (NEW.status = 'queued')
  EXECUTE FUNCTION wharf_jobs_notify();
CREATE TRIGGER jobs_ended AFTER UPDATE OF status ON jobs FOR EACH ROW
  WHEN (OLD.status = 'running' AND NEW.status <> 'running') EXECUTE FUNCTION wharf_jobs_notify();
@end
)sql",
    // 6: applications (and the legacy projects view), their services, and templates.
    // Sealed columns hold envelope-encrypted bytes; config/body/unset_keys are JSON.
    R"sql(
CREATE TABLE applications (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES orgs(id),
  name TEXT NOT NULL,
  description TEXT NOT NULL,
  server_id TEXT NOT NULL,
  created_at {INT} NOT NULL,
  updated_at {INT} NOT NULL,
  created_by TEXT NOT NULL,
  UNIQUE (org_id, name)
);
CREATE INDEX applications_org ON applications (org_id, created_at, id);
CREATE TABLE app_services (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES orgs(id),
  application_id TEXT NOT NULL REFERENCES applications(id),
  name TEXT NOT NULL,
  type TEXT NOT NULL,
  config TEXT NOT NULL,
  variables_sealed {BLOB},
  credentials_sealed {BLOB},
  unset_keys TEXT NOT NULL,
  status TEXT NOT NULL,
  created_at {INT} NOT NULL,
  updated_at {INT} NOT NULL,
  created_by TEXT NOT NULL,
  UNIQUE (org_id, application_id, name)
);
CREATE INDEX app_services_app ON app_services (org_id, application_id, created_at, id);
CREATE TABLE app_templates (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES orgs(id),
  name TEXT NOT NULL,
  description TEXT NOT NULL,
  body TEXT NOT NULL,
  created_at {INT} NOT NULL,
  updated_at {INT} NOT NULL,
  created_by TEXT NOT NULL,
  UNIQUE (org_id, name)
);
CREATE INDEX app_templates_org ON app_templates (org_id, created_at, id);
)sql",
    // 7: deployments of services; status, log and times live on the job with the same id.
    R"sql(
CREATE TABLE deployments (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES orgs(id),
  application_id TEXT NOT NULL,
  service_id TEXT NOT NULL,
  action TEXT NOT NULL,
  trigger_kind TEXT NOT NULL,
  ref TEXT NOT NULL,
  commit_sha TEXT NOT NULL,
  error_layer TEXT NOT NULL,
  error_fix TEXT NOT NULL,
  created_at {INT} NOT NULL,
  created_by TEXT NOT NULL
);
CREATE INDEX deployments_service ON deployments (org_id, service_id, created_at);
CREATE INDEX deployments_app ON deployments (org_id, application_id, created_at);
)sql",
    // 8: git webhook deliveries already accepted, per provider (replay protection); a row is
    // a delivery id ("id:…") or a body digest ("sha256:…"), pruned after the retention.
    R"sql(
CREATE TABLE webhook_deliveries (
  provider_id TEXT NOT NULL,
  delivery_key TEXT NOT NULL,
  received_at {INT} NOT NULL,
  PRIMARY KEY (provider_id, delivery_key)
);
CREATE INDEX webhook_deliveries_received ON webhook_deliveries (received_at);
)sql",
    // 9: second factors (TOTP, recovery codes, passkeys), sign-in ceremonies, step-up, the org
    // policy "require two-factor", and OpenID Connect identity providers with their identities.
    R"sql(
CREATE TABLE user_totp (
  user_id TEXT PRIMARY KEY,
  wrapped_key {BLOB} NOT NULL,
  secret_sealed {BLOB} NOT NULL,
  confirmed {BOOL} NOT NULL DEFAULT {FALSE},
  last_step {INT} NOT NULL,
  created_at {INT} NOT NULL
);
CREATE TABLE user_recovery_codes (
  user_id TEXT NOT NULL,
  idx {INT} NOT NULL,
  code_hash TEXT NOT NULL,
  PRIMARY KEY (user_id, idx)
);
CREATE TABLE user_passkeys (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  name TEXT NOT NULL,
  credential_id {BLOB} NOT NULL UNIQUE,
  public_key {BLOB} NOT NULL,
  alg {INT} NOT NULL,
  sign_count {INT} NOT NULL,
  created_at {INT} NOT NULL,
  last_used_at {INT} NOT NULL
);
CREATE INDEX user_passkeys_user ON user_passkeys (user_id, created_at);
CREATE TABLE auth_challenges (
  id_hash TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  user_id TEXT NOT NULL,
  webauthn_challenge {BLOB},
  expires_at {INT} NOT NULL
);
CREATE INDEX auth_challenges_expiry ON auth_challenges (expires_at);
CREATE TABLE session_step_ups (
  session_id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  until_at {INT} NOT NULL
);
CREATE TABLE org_policies (
  org_id TEXT PRIMARY KEY,
  require_two_factor {BOOL} NOT NULL DEFAULT {FALSE}
);
CREATE TABLE identity_providers (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  display_name TEXT NOT NULL,
  issuer TEXT NOT NULL,
  client_id TEXT NOT NULL,
  wrapped_key {BLOB} NOT NULL,
  client_secret_sealed {BLOB},
  scopes TEXT NOT NULL,
  allowed_domains TEXT NOT NULL,
  mappings TEXT NOT NULL,
  created_at {INT} NOT NULL,
  updated_at {INT} NOT NULL
);
CREATE TABLE sso_states (
  state_hash TEXT PRIMARY KEY,
  provider_id TEXT NOT NULL,
  nonce TEXT NOT NULL,
  pkce_verifier TEXT NOT NULL,
  expires_at {INT} NOT NULL
);
CREATE TABLE sso_identities (
  provider_id TEXT NOT NULL,
  subject TEXT NOT NULL,
  user_id TEXT NOT NULL,
  email TEXT NOT NULL,
  created_at {INT} NOT NULL,
  PRIMARY KEY (provider_id, subject)
);
CREATE TABLE sso_grants (
  provider_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  org_id TEXT NOT NULL,
  role_id TEXT NOT NULL,
  PRIMARY KEY (provider_id, user_id, org_id)
);
)sql",
    // 10: releases: what each successful deploy of a service put on its node (rollback targets);
    // a deployment's watch after start ("" | "passed" | "failed", the last "failed_after_start").
    R"sql(
CREATE TABLE releases (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES orgs(id),
  application_id TEXT NOT NULL,
  service_id TEXT NOT NULL,
  version {INT} NOT NULL,
  deployment_id TEXT NOT NULL,
  source_kind TEXT NOT NULL,
  repository TEXT NOT NULL,
  commit_sha TEXT NOT NULL,
  image_digest TEXT NOT NULL,
  image TEXT NOT NULL,
  variables_sealed {BLOB} NOT NULL,
  variables_hash TEXT NOT NULL,
  domains TEXT NOT NULL,
  ports TEXT NOT NULL,
  plan TEXT NOT NULL,
  trigger_kind TEXT NOT NULL,
  rollback_of {INT} NOT NULL,
  pinned {BOOL} NOT NULL DEFAULT {FALSE},
  created_at {INT} NOT NULL,
  created_by TEXT NOT NULL,
  UNIQUE (org_id, service_id, version)
);
ALTER TABLE deployments ADD COLUMN after_start TEXT NOT NULL DEFAULT '';
)sql",
    // 11: the account itself (issue 24): verified email, disabled and deleted accounts, deleted
    // orgs, when a session was last used, and single-use account links (password reset, email
    // verification and change) kept as hashes. A session's or token's last-used time changing
    // must not make every replica drop its cached credentials: the PostgreSQL triggers now fire
    // only on the columns that end a credential.
    R"sql(
ALTER TABLE users ADD COLUMN email_verified {BOOL} NOT NULL DEFAULT {TRUE};
ALTER TABLE users ADD COLUMN disabled_at {INT} NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN deleted_at {INT} NOT NULL DEFAULT 0;
ALTER TABLE orgs ADD COLUMN deleted_at {INT} NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN last_used_at {INT} NOT NULL DEFAULT 0;
CREATE TABLE account_tokens (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users(id),
  kind TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  bound_to TEXT NOT NULL,
  created_at {INT} NOT NULL,
  expires_at {INT} NOT NULL,
  used_at {INT} NOT NULL DEFAULT 0
);
CREATE INDEX account_tokens_user ON account_tokens (user_id, kind);
@postgres
DROP TRIGGER sessions_invalidate ON sessions;
CREATE TRIGGER sessions_invalidate AFTER UPDATE OF revoked_at, expires_at OR DELETE ON sessions
  FOR EACH ROW EXECUTE FUNCTION wharf_invalidate_user();
DROP TRIGGER api_tokens_invalidate ON api_tokens;
CREATE TRIGGER api_tokens_invalidate AFTER UPDATE OF revoked_at, expires_at, permissions OR DELETE ON api_tokens
  FOR EACH ROW EXECUTE FUNCTION wharf_invalidate_user();
@end
)sql",
    // 12: notifications (docs/notifications.md). Channels are integrations rows of kind
    // notificationChannels; rules route events to them; each (channel, event) gets at most one
    // delivery (the dedup key), whose attempts the delivery jobs record; the health sweep keeps
    // each server's flap-damping state.
    R"sql(
CREATE TABLE notification_rules (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES orgs(id),
  events TEXT NOT NULL,
  channel_ids TEXT NOT NULL,
  application_ids TEXT NOT NULL,
  server_ids TEXT NOT NULL,
  min_severity TEXT NOT NULL,
  created_at {INT} NOT NULL,
  updated_at {INT} NOT NULL,
  created_by TEXT NOT NULL
);
CREATE INDEX notification_rules_org ON notification_rules (org_id, created_at);
CREATE TABLE notification_deliveries (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES orgs(id),
  channel_id TEXT NOT NULL,
  event TEXT NOT NULL,
  dedup_key TEXT NOT NULL,
  event_json TEXT NOT NULL,
  status TEXT NOT NULL,
  attempts {INT} NOT NULL,
  retry_from {INT} NOT NULL,
  response_code {INT} NOT NULL,
  last_error TEXT NOT NULL,
  duration_ms {INT} NOT NULL,
  next_attempt_at {INT} NOT NULL,
  created_at {INT} NOT NULL,
  updated_at {INT} NOT NULL
);
CREATE UNIQUE INDEX notification_deliveries_dedup ON notification_deliveries (channel_id, dedup_key);
CREATE INDEX notification_deliveries_org ON notification_deliveries (org_id, created_at);
CREATE INDEX notification_deliveries_due ON notification_deliveries (status, next_attempt_at);
CREATE TABLE notification_server_state (
  server_id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES orgs(id),
  failures {INT} NOT NULL,
  alerting {BOOL} NOT NULL
);
)sql",
    // 13: cache invalidations on SQLite too. A `wharf admin` command is another process writing
    // the same file (disabling an account, ending its sessions): the server must drop what it
    // cached before its next request. The same scopes as PostgreSQL's cache_epochs (migration 1);
    // seq is taken inside the single SQLite writer's transaction, so seq order is commit order.
    // The server reads rows past the last seq it saw whenever PRAGMA data_version says another
    // connection committed (Store::CatchUpInvalidations). Inserting into the view
    // cache_invalidate records a scope, as wharf_invalidate() does on PostgreSQL.
    R"sql(
@sqlite
CREATE TABLE cache_epochs (
  scope TEXT PRIMARY KEY,
  seq INTEGER NOT NULL
);
CREATE INDEX cache_epochs_seq ON cache_epochs (seq);
CREATE VIEW cache_invalidate (scope) AS SELECT scope FROM cache_epochs WHERE 0;
CREATE TRIGGER cache_invalidate_insert INSTEAD OF INSERT ON cache_invalidate BEGIN
  INSERT OR REPLACE INTO cache_epochs (scope, seq)
    VALUES (NEW.scope, (SELECT COALESCE(MAX(seq), 0) + 1 FROM cache_epochs));
END;
CREATE TRIGGER roles_invalidate_insert AFTER INSERT ON roles
  BEGIN INSERT INTO cache_invalidate VALUES ('org:' || NEW.org_id); END;
CREATE TRIGGER roles_invalidate_update AFTER UPDATE ON roles
  BEGIN INSERT INTO cache_invalidate VALUES ('org:' || NEW.org_id); END;
CREATE TRIGGER roles_invalidate_delete AFTER DELETE ON roles
  BEGIN INSERT INTO cache_invalidate VALUES ('org:' || OLD.org_id); END;
CREATE TRIGGER memberships_invalidate_insert AFTER INSERT ON memberships
  BEGIN INSERT INTO cache_invalidate VALUES ('org:' || NEW.org_id); END;
CREATE TRIGGER memberships_invalidate_update AFTER UPDATE ON memberships
  BEGIN INSERT INTO cache_invalidate VALUES ('org:' || NEW.org_id); END;
CREATE TRIGGER memberships_invalidate_delete AFTER DELETE ON memberships
  BEGIN INSERT INTO cache_invalidate VALUES ('org:' || OLD.org_id); END;
CREATE TRIGGER orgs_invalidate_update AFTER UPDATE ON orgs
  BEGIN INSERT INTO cache_invalidate VALUES ('org:' || OLD.id); END;
CREATE TRIGGER orgs_invalidate_delete AFTER DELETE ON orgs
  BEGIN INSERT INTO cache_invalidate VALUES ('org:' || OLD.id); END;
CREATE TRIGGER sessions_invalidate_update AFTER UPDATE OF revoked_at, expires_at ON sessions
  BEGIN INSERT INTO cache_invalidate VALUES ('user:' || OLD.user_id); END;
CREATE TRIGGER sessions_invalidate_delete AFTER DELETE ON sessions
  BEGIN INSERT INTO cache_invalidate VALUES ('user:' || OLD.user_id); END;
CREATE TRIGGER api_tokens_invalidate_update AFTER UPDATE OF revoked_at, expires_at, permissions ON api_tokens
  BEGIN INSERT INTO cache_invalidate VALUES ('user:' || OLD.user_id); END;
CREATE TRIGGER api_tokens_invalidate_delete AFTER DELETE ON api_tokens
  BEGIN INSERT INTO cache_invalidate VALUES ('user:' || OLD.user_id); END;
CREATE TRIGGER users_invalidate_update AFTER UPDATE ON users
  BEGIN INSERT INTO cache_invalidate VALUES ('user:' || OLD.id); END;
CREATE TRIGGER users_invalidate_delete AFTER DELETE ON users
  BEGIN INSERT INTO cache_invalidate VALUES ('user:' || OLD.id); END;
@end
)sql",
    // 14: SSO-only organisations (one row per org that turned it on), the sessions opened through
    // a provider (kept so that turning SSO-only on ends the others), and the single-use codes of
    // `wharf login --web` (hashes; docs/authentication.md).
    R"sql(
CREATE TABLE org_sso_only (
  org_id TEXT PRIMARY KEY,
  provider_id TEXT NOT NULL,
  break_glass_user_id TEXT NOT NULL,
  updated_at {INT} NOT NULL,
  updated_by TEXT NOT NULL
);
CREATE INDEX org_sso_only_provider ON org_sso_only (provider_id);
CREATE TABLE sso_sessions (
  session_id TEXT PRIMARY KEY,
  provider_id TEXT NOT NULL,
  created_at {INT} NOT NULL
);
CREATE TABLE cli_login_codes (
  code_hash TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  redirect_uri TEXT NOT NULL,
  code_challenge TEXT NOT NULL,
  sso_provider_id TEXT NOT NULL,
  expires_at {INT} NOT NULL
);
)sql",
    // 15: server.disk_low's damping (one alert until the disk recovers) and the sign-in addresses
    // security.new_sign_in compares with (SHA-256 of user id and address; a bounded few per user).
    R"sql(
ALTER TABLE notification_server_state ADD COLUMN disk_low {BOOL} NOT NULL DEFAULT {FALSE};
CREATE TABLE user_sign_in_addresses (
  user_id TEXT NOT NULL,
  address_hash TEXT NOT NULL,
  first_seen_at {INT} NOT NULL,
  last_seen_at {INT} NOT NULL,
  PRIMARY KEY (user_id, address_hash)
);
)sql",
    // 16: the scheduled re-verification of integrations (--integration-verify-interval-seconds)
    // finds the rows whose last verification is oldest.
    R"sql(
CREATE INDEX integrations_verify_due ON integrations (last_verified_at);
)sql",
};

std::string Render(std::string_view tpl, Dialect d) {
  struct Token {
    std::string_view name, sqlite, postgres;
  };
  static constexpr Token kTokens[] = {
      {"{INT}", "INTEGER", "BIGINT"},
      {"{BOOL}", "INTEGER", "BOOLEAN"},
      {"{FALSE}", "0", "FALSE"},
      {"{TRUE}", "1", "TRUE"},
      {"{BLOB}", "BLOB", "BYTEA"},
      {"{SERIAL_PK}", "INTEGER PRIMARY KEY AUTOINCREMENT", "BIGSERIAL PRIMARY KEY"},
      {"{NOW_MS}", "CAST(strftime('%s', 'now') AS INTEGER) * 1000", "(EXTRACT(EPOCH FROM now()) * 1000)::BIGINT"},
  };
  const std::string_view mine = d == Dialect::kSqlite ? "@sqlite" : "@postgres";
  std::string out;
  std::string_view only;  // inside an @sqlite/@postgres block: which one
  size_t pos = 0;
  while (pos <= tpl.size()) {
    size_t nl = tpl.find('\n', pos);
    if (nl == std::string_view::npos) nl = tpl.size();
    std::string_view line = tpl.substr(pos, nl - pos);
    pos = nl + 1;
    if (line == "@sqlite" || line == "@postgres") {
      only = line;
      continue;
    }
    if (line == "@end") {
      only = {};
      continue;
    }
    if (!only.empty() && only != mine) continue;
    std::string l(line);
    for (const Token& t : kTokens)
      for (size_t at = l.find(t.name); at != std::string::npos; at = l.find(t.name, at))
        l.replace(at, t.name.size(), d == Dialect::kSqlite ? t.sqlite : t.postgres);
    out += l;
    if (nl < tpl.size()) out += '\n';
  }
  return out;
}

std::vector<std::string> RenderAll(Dialect d) {
  std::vector<std::string> out;
  for (const char* m : kMigrations) out.push_back(Render(m, d));
  return out;
}

}  // namespace

const std::vector<std::string>& Migrations(Dialect d) {
  static const std::vector<std::string> sqlite = RenderAll(Dialect::kSqlite);
  static const std::vector<std::string> postgres = RenderAll(Dialect::kPostgres);
  return d == Dialect::kSqlite ? sqlite : postgres;
}

}  // namespace wharf::store
