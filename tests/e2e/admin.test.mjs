// Operator commands on a data directory: create-user and rotate-master-key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
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
