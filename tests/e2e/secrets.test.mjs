// No secret reaches a response, a log line or an error message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startWharf, startMaildev, api, signup, sshKeygen, uniqueEmail, databaseBytes } from './lib/harness.mjs';

test('passwords, session/API/invitation tokens and private keys never appear in logs or other responses', async () => {
  const mail = await startMaildev();
  const s = await startWharf({ smtpPort: mail.smtpPort, args: ['--log-level', 'debug'] });
  const responses = [];
  const call = async (...args) => { const r = await api(s.url, ...args); responses.push(r.text); return r; };
  try {
    const ada = await signup(s.url, 'ada');
    const O = `/api/v1/orgs/${ada.org.slug}`;
    const secrets = [ada.password, ada.token, ada.csrf_token];
    const login = await api(s.url, 'POST', '/api/v1/auth/login', { body: { email: ada.email, password: ada.password } });
    secrets.push(login.json.token, login.json.csrf_token);
    await call('POST', '/api/v1/auth/login', { body: { email: ada.email, password: 'wrong-but-secret-pw' } });
    secrets.push('wrong-but-secret-pw');
    const tok = await api(s.url, 'POST', '/api/v1/me/tokens', { token: ada.token, body: { name: 'ci', org: ada.org.slug } });
    secrets.push(tok.json.token);
    await call('GET', `${O}/ssh-keys`, { token: tok.json.token });
    const k = sshKeygen();
    const key = await call('POST', `${O}/ssh-keys`, { token: ada.token, body: { name: 'k', public_key: k.pub, private_key: k.priv } });
    assert.equal(key.status, 201);
    secrets.push(k.priv.split('\n')[1], k.priv.split('\n')[2]);
    const role = await call('POST', `${O}/roles`, { token: ada.token, body: { name: 'V', permissions: { team: { read: true } } } });
    const email = uniqueEmail('bob');
    const inv = await api(s.url, 'POST', `${O}/invitations`, { token: ada.token, body: { email, role_id: role.json.id } });
    const invToken = inv.json.link.split('/invite/')[1];
    secrets.push(invToken);
    await call('GET', `/api/v1/invitations/${invToken}`);
    await fetch(`${s.url}/invite/${invToken}`);
    const bob = await signup(s.url, 'bob', { email, body: { invitation_token: invToken } });
    secrets.push(bob.password, bob.token);
    await call('GET', `${O}/members`, { token: ada.token });
    await call('GET', `${O}/invitations`, { token: ada.token });
    await call('GET', `${O}/audit?limit=200`, { token: ada.token });
    await call('GET', '/api/v1/me/tokens', { token: ada.token });
    await call('GET', '/metrics');
    await call('GET', '/api/v1/me', { token: ada.token });
    await call('POST', `${O}/ssh-keys`, { token: ada.token, raw: `{"name":"${ada.password}"`, headers: { 'content-type': 'application/json' } });
    await new Promise((r) => setTimeout(r, 200));
    const logFile = readFileSync(path.join(s.dataDir, 'wharf.log'), 'utf8');
    assert.ok(logFile.includes('"event":"ready"'), 'log file written');
    for (const secret of secrets) {
      assert.ok(secret && secret.length >= 8);
      assert.ok(!s.logs.includes(secret), `stderr leaked a secret (${secret.slice(0, 6)}…)`);
      assert.ok(!logFile.includes(secret), `wharf.log leaked a secret (${secret.slice(0, 6)}…)`);
      for (const body of responses) assert.ok(!body.includes(secret), `a response leaked a secret (${secret.slice(0, 6)}…): ${body.slice(0, 120)}`);
    }
    // The database (SQLite file or PostgreSQL dump) keeps only hashes of tokens and the sealed private key.
    const all = await databaseBytes(s);
    for (const secret of secrets) assert.ok(!all.includes(secret), `database holds a plaintext secret (${secret.slice(0, 6)}…)`);
  } finally { await s.stop(); s.cleanup(); mail.stop(); }
});
