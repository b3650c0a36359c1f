// e2e-database: postgres
// Two `wharf serve` replicas on one PostgreSQL, and `wharf admin users disable` as a third process:
// the very next request to either replica with the disabled account's cached session or API token
// is refused, without waiting for the listener's NOTIFY or poll (docs/postgres.md). And a sign-out
// through replica A is refused by replica B on the very next request.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import crypto from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { startWharf, api, signup, sharedPostgres, WHARF_BIN } from './lib/harness.mjs';

let a, b, url, env;

before(async () => {
  const pg = await sharedPostgres();
  url = pg.createDatabase('account_replicas');
  const keyDir = mkdtempSync(path.join(os.tmpdir(), 'wharf-key-'));
  const keyFile = path.join(keyDir, 'master.key');
  writeFileSync(keyFile, crypto.randomBytes(32).toString('base64url') + '\n', { mode: 0o600 });
  env = { WHARF_MASTER_KEY_FILE: keyFile };
  [a, b] = await Promise.all([startWharf({ args: ['--database', url], env }), startWharf({ args: ['--database', url], env })]);
});

after(async () => {
  for (const s of [a, b]) if (s) { await s.stop(); s.cleanup(); }
});

test('admin users disable: the next request to either replica with a cached credential is refused', async () => {
  for (let round = 0; round < 3; round++) {
    const u = await signup(a.url, `rep${round}`);
    const tok = await api(a.url, 'POST', '/api/v1/me/tokens', { token: u.token, body: { name: 'ci', org: u.org.slug } });
    assert.equal(tok.status, 201, tok.text);
    const creds = { session: u.token, token: tok.json.token };
    const p = `/api/v1/orgs/${u.org.slug}/ssh-keys`;
    for (const s of [a, b]) for (const c of Object.values(creds)) assert.equal((await api(s.url, 'GET', p, { token: c })).status, 200);
    const dis = spawnSync(WHARF_BIN, ['admin', 'users', 'disable', u.email, '--data-dir', a.dataDir, '--database', url],
      { encoding: 'utf8', env: { ...process.env, ...env } });
    assert.equal(dis.status, 0, dis.stderr);
    for (const [name, s] of [['A', a], ['B', b]])
      for (const [kind, c] of Object.entries(creds)) {
        const r = await api(s.url, 'GET', p, { token: c });
        assert.equal(r.status, 401, `round ${round}: replica ${name} still took the ${kind}: ${r.text}`);
      }
  }
});

test('a sign-out through replica A is refused by replica B on the very next request', async () => {
  for (let round = 0; round < 5; round++) {
    const u = await signup(a.url, `out${round}`);
    assert.equal((await api(b.url, 'GET', '/api/v1/me', { token: u.token })).status, 200);  // B caches it
    assert.equal((await api(a.url, 'POST', '/api/v1/auth/logout', { token: u.token })).status, 204);
    const r = await api(b.url, 'GET', '/api/v1/me', { token: u.token });
    assert.equal(r.status, 401, `round ${round}: B still took the ended session`);
  }
});
