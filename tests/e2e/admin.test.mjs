// Operator commands on a data directory: create-user, rotate-master-key and restore.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startWharf, api, signup, sshKeygen, databaseEnv, WHARF_BIN } from './lib/harness.mjs';

test('rotate-master-key rewraps every org data key; sealed secrets keep working', async () => {
  let s = await startWharf();
  const ada = await signup(s.url, 'ada');
  const O = `/api/v1/orgs/${ada.org.slug}`;
  const k1 = sshKeygen();
  assert.equal((await api(s.url, 'POST', `${O}/ssh-keys`, { token: ada.token, body: { name: 'before', public_key: k1.pub, private_key: k1.priv } })).status, 201);
  const dataDir = s.dataDir;
  await s.stop();
  const keyFile = path.join(dataDir, 'master.key');
  const before = readFileSync(keyFile, 'utf8');
  const out = execFileSync(WHARF_BIN, ['admin', 'rotate-master-key', '--data-dir', dataDir], { encoding: 'utf8', env: { ...process.env, ...(await databaseEnv(dataDir)) } });
  assert.match(out, /rewrapped 1 organisation data key/);
  const after = readFileSync(keyFile, 'utf8');
  assert.notEqual(after, before);
  assert.equal(statSync(keyFile).mode & 0o777, 0o600);
  s = await startWharf({ dataDir });
  try {
    const login = await api(s.url, 'POST', '/api/v1/auth/login', { body: { email: ada.email, password: ada.password } });
    // Sealing a new secret in the same org needs the org's data key, unwrapped by the NEW master key.
    const k2 = sshKeygen();
    const r = await api(s.url, 'POST', `${O}/ssh-keys`, { token: login.json.token, body: { name: 'after', public_key: k2.pub, private_key: k2.priv } });
    assert.equal(r.status, 201, r.text);
    assert.equal((await api(s.url, 'GET', `${O}/ssh-keys`, { token: login.json.token })).json.items.length, 2);
  } finally { await s.stop(); s.cleanup(); }
});

test('create-user makes the first account the instance admin; bad flags exit 2', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-admin-'));
  const env = { ...process.env, ...(await databaseEnv(dir)) };
  const ok = spawnSync(WHARF_BIN, ['admin', 'create-user', '--data-dir', dir, '--email', 'root@example.test', '--name', 'Root'], { input: 'a-long-enough-password\n', encoding: 'utf8', env });
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /instance administrator/);
  const weak = spawnSync(WHARF_BIN, ['admin', 'create-user', '--data-dir', dir, '--email', 'b@example.test', '--name', 'B'], { input: 'short\n', encoding: 'utf8', env });
  assert.equal(weak.status, 1);
  assert.match(weak.stderr, /password/);
  assert.equal(spawnSync(WHARF_BIN, ['admin', 'create-user', '--nope'], { encoding: 'utf8' }).status, 2);
  const s = await startWharf({ dataDir: dir });
  try {
    const login = await api(s.url, 'POST', '/api/v1/auth/login', { body: { email: 'root@example.test', password: 'a-long-enough-password' } });
    assert.equal(login.status, 200);
    assert.equal(login.json.user.instance_admin, true);
  } finally { await s.stop(); s.cleanup(); }
});

// Regression (issue 23-15): restore --force with a snapshot sealed by another instance's master key
// exited 0, and then serve refused to start. Now it refuses and leaves the data directory as it was.
test('restore refuses a snapshot the data directory\'s master key cannot open, and changes nothing', async () => {
  const a = await startWharf();
  if (a.env.WHARF_DATABASE_URL) { await a.stop(); a.cleanup(); return; }  // restore is SQLite-only (pg_dump otherwise)
  const ada = await signup(a.url, 'ada');
  const snap = path.join(mkdtempSync(path.join(os.tmpdir(), 'wharf-snap-')), 'a.db');
  const b1 = spawnSync(WHARF_BIN, ['admin', 'backup', '--data-dir', a.dataDir, '--out', snap], { encoding: 'utf8' });
  assert.equal(b1.status, 0, b1.stderr);
  await a.stop();
  // Another instance, with its own key and its own user.
  let b = await startWharf();
  const bea = await signup(b.url, 'bea');
  const dir = b.dataDir;
  await b.stop();
  const sha = (f) => crypto.createHash('sha256').update(readFileSync(f)).digest('hex');
  const before = { db: sha(path.join(dir, 'wharf.db')), key: sha(path.join(dir, 'master.key')) };
  const r = spawnSync(WHARF_BIN, ['admin', 'restore', '--data-dir', dir, '--from', snap, '--force'], { encoding: 'utf8' });
  assert.notEqual(r.status, 0, r.stdout);
  assert.match(r.stderr, /does not open this snapshot's secrets .* nothing was changed/);
  assert.equal(sha(path.join(dir, 'wharf.db')), before.db, 'wharf.db was replaced');
  assert.equal(sha(path.join(dir, 'master.key')), before.key);
  assert.ok(!readdirSync(dir).some((f) => f.includes('restore-check')), 'the scratch copy is gone');
  // The instance still starts and its user still signs in.
  b = await startWharf({ dataDir: dir });
  try {
    assert.equal((await api(b.url, 'POST', '/api/v1/auth/login', { body: { email: bea.email, password: bea.password } })).status, 200);
    assert.equal((await api(b.url, 'POST', '/api/v1/auth/login', { body: { email: ada.email, password: ada.password } })).status, 401);
  } finally { await b.stop(); }
  // With the snapshot's own key in place the same restore works.
  copyFileSync(path.join(a.dataDir, 'master.key'), path.join(dir, 'master.key'));
  const ok = spawnSync(WHARF_BIN, ['admin', 'restore', '--data-dir', dir, '--from', snap, '--force'], { encoding: 'utf8' });
  assert.equal(ok.status, 0, ok.stderr);
  b = await startWharf({ dataDir: dir });
  try {
    assert.equal((await api(b.url, 'POST', '/api/v1/auth/login', { body: { email: ada.email, password: ada.password } })).status, 200);
  } finally { await b.stop(); b.cleanup(); a.cleanup(); }
});
