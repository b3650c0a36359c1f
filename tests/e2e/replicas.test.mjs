// e2e-database: postgres
// Several `wharf serve` replicas on one PostgreSQL: they start together (one migration), share
// the master key, and each enforces what the other changed: a role change, a sign-out and the
// login rate limit. The documented bound for a change to reach another replica is 1 s (the
// invalidation poll); NOTIFY usually delivers it within milliseconds.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import crypto from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { startWharf, api, signup, memberWithRole, sshKeygen, sharedPostgres } from './lib/harness.mjs';

const BOUND_MS = 1000;  // docs/postgres.md: invalidation_poll_ms
let pg;
let a;
let b;

before(async () => {
  pg = await sharedPostgres();
  const url = pg.createDatabase('replicas');
  const keyDir = mkdtempSync(path.join(os.tmpdir(), 'wharf-key-'));
  const keyFile = path.join(keyDir, 'master.key');
  writeFileSync(keyFile, crypto.randomBytes(32).toString('base64url') + '\n', { mode: 0o600 });
  const env = { WHARF_MASTER_KEY_FILE: keyFile };
  // Started together on an empty database: the migration runs once, under the advisory lock.
  [a, b] = await Promise.all([startWharf({ args: ['--database', url], env }), startWharf({ args: ['--database', url], env })]);
  // One row per migration: each applied once, not once per replica.
  assert.equal(pg.psql('replicas', 'SELECT COUNT(*) = MAX(version) AND COUNT(*) = COUNT(DISTINCT version) FROM schema_migrations'), 't');
});

after(async () => {
  for (const s of [a, b]) if (s) { await s.stop(); s.cleanup(); }
});

// Retries `probe` until it returns true; returns the milliseconds it took (Infinity if never).
async function within(ms, probe) {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    if (await probe()) return Date.now() - t0;
    await new Promise((r) => setTimeout(r, 10));
  }
  return Infinity;
}

test('a role change made through replica A is enforced by replica B within the bound', async () => {
  const ada = await signup(a.url, 'ada');
  const O = `/api/v1/orgs/${ada.org.slug}`;
  const bob = await memberWithRole(a.url, ada, 'bob', { sshKeys: { read: true, create: true } });
  const viewer = await api(a.url, 'POST', `${O}/roles`, { token: ada.token, body: { name: 'Viewer', permissions: { sshKeys: { read: true } } } });
  assert.equal(viewer.status, 201);
  // B has bob's role snapshot (and credential) cached.
  const k1 = sshKeygen();
  assert.equal((await api(b.url, 'POST', `${O}/ssh-keys`, { token: bob.token, body: { name: 'one', public_key: k1.pub } })).status, 201);
  assert.equal((await api(b.url, 'GET', `${O}/ssh-keys`, { token: bob.token })).status, 200);

  const changed = await api(a.url, 'PATCH', `${O}/members/${bob.user.id}`, { token: ada.token, body: { role_id: viewer.json.id } });
  assert.equal(changed.status, 200, changed.text);
  let n = 0;
  const took = await within(BOUND_MS + 500, async () => {
    const k = sshKeygen();
    const r = await api(b.url, 'POST', `${O}/ssh-keys`, { token: bob.token, body: { name: `after-${n++}`, public_key: k.pub } });
    return r.status === 403;
  });
  assert.ok(took <= BOUND_MS, `replica B still allowed the old role after ${took} ms`);
  // Reads keep working under the new role, on both replicas.
  assert.equal((await api(b.url, 'GET', `${O}/ssh-keys`, { token: bob.token })).status, 200);
  assert.equal((await api(a.url, 'GET', `${O}/ssh-keys`, { token: bob.token })).status, 200);

  // Removing bob on B: A stops answering him for this org.
  assert.equal((await api(a.url, 'GET', `${O}/ssh-keys`, { token: bob.token })).status, 200);
  assert.equal((await api(b.url, 'DELETE', `${O}/members/${bob.user.id}`, { token: ada.token })).status, 204);
  const gone = await within(BOUND_MS + 500, async () => (await api(a.url, 'GET', `${O}/ssh-keys`, { token: bob.token })).status === 404);
  assert.ok(gone <= BOUND_MS, `replica A still served a removed member after ${gone} ms`);
});

test('signing out on one replica revokes the session on the other', async () => {
  const cy = await signup(a.url, 'cy');
  assert.equal((await api(b.url, 'GET', '/api/v1/me', { token: cy.token })).status, 200);  // cached on B
  assert.equal((await api(a.url, 'POST', '/api/v1/auth/logout', { token: cy.token })).status, 204);
  const took = await within(BOUND_MS + 500, async () => (await api(b.url, 'GET', '/api/v1/me', { token: cy.token })).status === 401);
  assert.ok(took <= BOUND_MS, `replica B still accepted a signed-out session after ${took} ms`);
});

test('the per-(account, address) login limit counts failures on every replica', async () => {
  const dee = await signup(a.url, 'dee');
  for (let i = 0; i < 5; i++) {
    const r = await api(i % 2 ? a.url : b.url, 'POST', '/api/v1/auth/login', { body: { email: dee.email, password: `wrong-password-${i}` } });
    assert.equal(r.status, 401);
  }
  for (const s of [a, b]) {
    const locked = await api(s.url, 'POST', '/api/v1/auth/login', { body: { email: dee.email, password: dee.password } });
    assert.equal(locked.status, 429, `${s === a ? 'A' : 'B'} did not count the other replica's failures`);
  }
});

test('a replica with another master key refuses to start on the shared database', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-e2e-'));
  await assert.rejects(startWharf({ dataDir: dir, args: ['--database', pg.url('replicas')] }), /same master key/);
});
