// The support bundle: org slug, version, time window, matching request ids and log lines, audit
// events, diagnose results and redacted configuration, and no secret anywhere in it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startWharf, api, signup, memberWithRole, freePort, sshKeygen, untar } from './lib/harness.mjs';

let s, ada;
const SMTP_PASSWORD = 'smtp-Pa55-do-not-leak';
before(async () => {
  const port = await freePort();
  s = await startWharf({ args: ['--smtp-url', `smtp://mailer:${SMTP_PASSWORD}@127.0.0.1:${port}`] });
  ada = await signup(s.url, 'ada');
});
after(async () => { await s.stop(); s.cleanup(); });


test('an Admin downloads a bundle with what support needs, and no secret is in it', async () => {
  const O = `/api/v1/orgs/${ada.org.slug}`;
  const k = sshKeygen();
  await api(s.url, 'POST', `${O}/ssh-keys`, { token: ada.token, body: { name: 'deploy', public_key: k.pub, private_key: k.priv } });
  const bob = await memberWithRole(s.url, ada, 'bob', { servers: { read: true } });
  const denied = await api(s.url, 'POST', `${O}/servers`, { token: bob.token, body: { name: 'x' } });
  assert.equal(denied.status, 403);
  const reqId = denied.json.error.request_id;
  const tok = await api(s.url, 'POST', '/api/v1/me/tokens', { token: ada.token, body: { name: 'ci', org: ada.org.slug } });
  assert.equal(tok.status, 201, tok.text);
  const r = await fetch(`${s.url}${O}/support-bundle`, { method: 'POST', headers: { authorization: `Bearer ${ada.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ since_minutes: 30, request_ids: [reqId], error_text: 'Permission denied (publickey)' }) });
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('content-type'), 'application/x-tar');
  const buf = Buffer.from(await r.arrayBuffer());
  const files = untar(buf);
  assert.deepEqual(Object.keys(files).sort(), ['audit.jsonl', 'config.json', 'diagnose.json', 'logs.jsonl', 'manifest.json', 'servers.json']);
  const manifest = JSON.parse(files['manifest.json']);
  assert.equal(manifest.org, ada.org.slug);
  assert.ok(manifest.wharf_version);
  assert.ok(manifest.request_ids.includes(reqId));
  assert.match(files['audit.jsonl'], /"outcome":"denied"/);
  assert.match(files['logs.jsonl'], new RegExp(reqId), 'the denied request\'s log line is in');
  assert.match(files['diagnose.json'], /"error_text_layer": "ssh"/);
  const config = JSON.parse(files['config.json']);
  assert.match(config.smtp, /^smtp:\/\/mailer:.*@127\.0\.0\.1/);
  const text = buf.toString('latin1');
  const masterKey = readFileSync(`${s.dataDir}/master.key`);
  for (const secret of [SMTP_PASSWORD, ada.token, bob.token, tok.json.token, 'PRIVATE KEY', k.priv.split('\n')[1], ada.password, masterKey.toString('base64'), masterKey.toString('hex')]) {
    assert.ok(secret && !text.includes(secret), `a secret leaked into the bundle: ${String(secret).slice(0, 12)}…`);
  }
  const notAdmin = await api(s.url, 'POST', `${O}/support-bundle`, { token: bob.token, body: {} });
  assert.equal(notAdmin.status, 403);
  const bad = await api(s.url, 'POST', `${O}/support-bundle`, { token: ada.token, body: { since_minutes: 0 } });
  assert.equal(bad.status, 400);
  assert.ok(bad.json.error.details.fields.since_minutes);
});
