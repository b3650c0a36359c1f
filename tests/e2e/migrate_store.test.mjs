// e2e-database: postgres
// `wharf admin migrate-store` moves an embedded SQLite instance onto PostgreSQL: every table,
// secrets still sealed, row counts verified; the same data dir (master key) then serves from it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startWharf, api, signup, sshKeygen, uniqueEmail, sharedPostgres, WHARF_BIN } from './lib/harness.mjs';

const TABLES = ['users', 'orgs', 'roles', 'memberships', 'sessions', 'api_tokens', 'invitations', 'ssh_keys',
  'security_groups', 'servers', 'server_checks', 'jobs', 'audit_events'];

test('migrate-store copies a SQLite instance to PostgreSQL with sealed secrets and matching counts', async () => {
  const pg = await sharedPostgres();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-e2e-'));
  const sqlitePath = path.join(dir, 'wharf.db');
  let s = await startWharf({ dataDir: dir, args: ['--database', `sqlite:${sqlitePath}`] });
  const ada = await signup(s.url, 'ada');
  const O = `/api/v1/orgs/${ada.org.slug}`;
  const key = sshKeygen();
  assert.equal((await api(s.url, 'POST', `${O}/ssh-keys`, { token: ada.token, body: { name: 'deploy', public_key: key.pub, private_key: key.priv } })).status, 201);
  const role = await api(s.url, 'POST', `${O}/roles`, { token: ada.token, body: { name: 'Viewer', permissions: { sshKeys: { read: true } } } });
  assert.equal((await api(s.url, 'POST', `${O}/invitations`, { token: ada.token, body: { email: uniqueEmail('bob'), role_id: role.json.id, send_email: false } })).status, 201);
  const sg = await api(s.url, 'POST', `${O}/security-groups`, { token: ada.token, body: { name: 'web', inbound: [{ type: 'https', source: 'anywhere' }] } });
  assert.equal(sg.status, 201, sg.text);
  assert.equal((await api(s.url, 'POST', '/api/v1/me/tokens', { token: ada.token, body: { name: 'ci', org: ada.org.slug } })).status, 201);
  await s.stop();

  const url = pg.createDatabase('migrated');
  const out = execFileSync(WHARF_BIN, ['admin', 'migrate-store', '--from', `sqlite:${sqlitePath}`, '--to', url], { encoding: 'utf8' });
  assert.match(out, /every table's row count matches/);
  for (const t of TABLES) {
    const want = execFileSync('sqlite3', [sqlitePath, `SELECT COUNT(*) FROM ${t}`], { encoding: 'utf8' }).trim();
    assert.equal(pg.psql('migrated', `SELECT COUNT(*) FROM ${t}`), want, t);
    assert.match(out, new RegExp(`${t}: ${want} rows`));
  }
  assert.ok(Number(pg.psql('migrated', 'SELECT COUNT(*) FROM ssh_keys WHERE private_key_sealed IS NOT NULL')) === 1);
  const dump = pg.dump('migrated');
  for (const line of key.priv.split('\n').slice(1, 3)) assert.ok(!dump.includes(line), 'the private key is in plaintext');
  assert.ok(!dump.includes(ada.password));

  // A second copy into the same (now full) database is refused and changes nothing.
  const again = spawnSync(WHARF_BIN, ['admin', 'migrate-store', '--from', `sqlite:${sqlitePath}`, '--to', url], { encoding: 'utf8' });
  assert.equal(again.status, 1);
  assert.match(again.stderr, /already holds data/);
  const bad = spawnSync(WHARF_BIN, ['admin', 'migrate-store', '--from', path.join(dir, 'nope.db'), '--to', url], { encoding: 'utf8' });
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /from/);

  // The same data dir (master key) now serves from PostgreSQL: sessions, roles and sealed keys work.
  s = await startWharf({ dataDir: dir, args: ['--database', url] });
  try {
    assert.equal((await api(s.url, 'GET', '/api/v1/me', { token: ada.token })).status, 200);
    const keys = await api(s.url, 'GET', `${O}/ssh-keys`, { token: ada.token });
    assert.equal(keys.json.items.length, 1);
    assert.equal(keys.json.items[0].private_key.set, true);
    const k2 = sshKeygen();
    const r = await api(s.url, 'POST', `${O}/ssh-keys`, { token: ada.token, body: { name: 'new', public_key: k2.pub, private_key: k2.priv } });
    assert.equal(r.status, 201, r.text);
    const groups = await api(s.url, 'GET', `${O}/security-groups`, { token: ada.token });
    assert.deepEqual(groups.json.items.map((g) => [g.name, g.inbound.length]), [['web', 1]]);
    const audit = await api(s.url, 'GET', `${O}/audit?limit=200`, { token: ada.token });
    assert.equal(audit.status, 200);
    assert.ok(audit.json.items.some((e) => e.action === 'sshKeys.create'), JSON.stringify(audit.json.items.map((e) => e.action)));
  } finally { await s.stop(); s.cleanup(); }
});
