// The notification events issue 20 added last (docs/notifications.md, "Events"), each caused for
// real and received by real parts: a local receiver that verifies Standard Webhooks signatures with
// npm's `standardwebhooks`, and maildev for email.
//   - server.disk_low from the health check's `df` on a real sshd node, once however many checks;
//   - integration.verify_failed from a Docker registry whose host refuses the connection;
//   - integration.expiring from an AWS cloud account's temporary credentials;
//   - security.new_sign_in from a sign-in at another loopback address (127.0.0.2), once;
//   - security.two_factor_disabled when the last factor goes (DELETE /me/totp, wharf admin reset-2fa);
// and every message sent is scanned for every secret the test knows.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { startWharf, startMaildev, api, apiFrom, signup, freePort, WHARF_BIN } from './lib/harness.mjs';
import { startSshd, NODE_USER } from './lib/sshd.mjs';
import { startReceiver } from './lib/webhook_receiver.mjs';
import { totpCodes } from './lib/totp.mjs';

let s, mail, rx, ada, O, hook, email;
const secrets = [];

before(async () => {
  mail = await startMaildev();
  rx = await startReceiver();
  s = await startWharf({
    smtpPort: mail.smtpPort,
    // Any real disk is "low" against this threshold; the disk check itself (100 MiB) passes.
    args: ['--health-interval-seconds', '1', '--health-max-backoff-seconds', '1', '--node-dns-probe', 'localhost',
      '--min-disk-free-mb', '100', '--disk-low-alert-mb', '1000000000', '--connect-timeout-ms', '2000'],
  });
  ada = await signup(s.url, 'ada');
  secrets.push(ada.password, ada.token);
  O = `/api/v1/orgs/${ada.org.slug}`;
  const h = await api(s.url, 'POST', `${O}/notification-channels`, { token: ada.token, body: { name: 'events', type: 'webhook', url: `${rx.url}/events` } });
  assert.equal(h.status, 201, h.text);
  rx.sign('/events', h.json.signing_secret);
  secrets.push(h.json.signing_secret, h.json.signing_secret.slice(6));
  hook = h.json;
  const m = await api(s.url, 'POST', `${O}/notification-channels`, { token: ada.token, body: { name: 'mail', type: 'email', addresses: ['events@example.test'] } });
  assert.equal(m.status, 201, m.text);
  email = m.json;
  for (const c of [hook, email]) {
    const t = await api(s.url, 'POST', `${O}/notification-channels/${c.id}/test`, { token: ada.token });
    assert.equal(t.json.ok, true, t.text);
  }
  const rule = await api(s.url, 'POST', `${O}/notification-rules`, {
    token: ada.token,
    body: {
      events: ['server.disk_low', 'server.unreachable', 'integration.verify_failed', 'integration.expiring',
        'security.new_sign_in', 'security.two_factor_disabled'],
      channel_ids: [hook.id, email.id],
    },
  });
  assert.equal(rule.status, 201, rule.text);
});
after(async () => { await s?.stop(); s?.cleanup(); mail?.stop(); await rx?.stop(); });

const wait = (ms) => new Promise((r) => setTimeout(r, ms));
const of = (type) => rx.got.filter((m) => m.path === '/events' && m.json?.type === type);
async function received(type, match = () => true, ms = 20000) {
  const m = await rx.waitFor((x) => x.path === '/events' && x.json?.type === type && match(x.json.data), ms, type);
  assert.equal(m.verified, true, m.verifyError);
  const d = m.json.data;
  assert.equal(d.org, ada.org.slug);
  assert.ok(d.message.length > 20, d.message);
  assert.ok(d.fix.length > 10, d.fix);
  assert.ok(d.url.startsWith(`${s.url}/o/${ada.org.slug}/`), d.url);
  return d;
}

test('server.disk_low: read from the node over SSH, sent once while the disk stays low, never "unreachable"', async () => {
  const node = await startSshd();
  try {
    const k = (await api(s.url, 'POST', `${O}/ssh-keys`, { token: ada.token, body: { name: 'node', generate: { type: 'ed25519' } } })).json;
    node.authorize(NODE_USER, (await api(s.url, 'GET', `${O}/ssh-keys/${k.id}/public-key`, { token: ada.token })).text);
    const srv = await api(s.url, 'POST', `${O}/servers`, { token: ada.token, body: { name: 'disk-1', host: '127.0.0.1', port: node.port, username: NODE_USER, ssh_key_id: k.id } });
    assert.equal(srv.status, 201, srv.text);
    const d = await received('server.disk_low', (x) => x.server === 'disk-1', 30000);
    assert.match(d.message, /MiB free on \/, below the 1000000000 MiB alert threshold/);
    assert.equal(d.layer, 'ssh');
    assert.ok(d.url.endsWith(`/servers/${srv.json.id}`));
    const checks = async () => (await api(s.url, 'GET', `${O}/servers/${srv.json.id}/checks?limit=100`, { token: ada.token })).json.items;
    const n = (await checks()).length;
    await (async () => { for (let t0 = Date.now(); (await checks()).length < n + 3;) { if (Date.now() - t0 > 30000) throw new Error('no more checks'); await wait(200); } })();
    assert.equal(of('server.disk_low').length, 1, 'one alert until the disk recovers');
    assert.equal(of('server.unreachable').length, 0);
    let mailed;
    for (let t0 = Date.now(); !(mailed = (await mail.messages()).find((m) => /Disk space low/.test(m.subject)));) {
      if (Date.now() - t0 > 15000) throw new Error('no disk_low email');
      await wait(200);
    }
    assert.match(mailed.text, /disk-1/);
    assert.match(mailed.text, /Fix: /);
  } finally {
    await node.cleanup();
  }
});

test('integration.verify_failed: a registry that refuses the connection, named with its layer and fix', async () => {
  const port = await freePort();
  const pass = `reg-${crypto.randomBytes(8).toString('hex')}`;
  secrets.push(pass);
  const r = await api(s.url, 'POST', `${O}/docker-registries`, { token: ada.token, body: { name: 'closed-registry', host: `127.0.0.1:${port}`, username: 'ci', password: pass } });
  assert.equal(r.status, 201, r.text);
  const v = await api(s.url, 'POST', `${O}/docker-registries/${r.json.id}/verify`, { token: ada.token, body: { image: `127.0.0.1:${port}/team/app:v1` } });
  assert.equal(v.status, 200, v.text);
  assert.equal(v.json.ok, false);
  const d = await received('integration.verify_failed', (x) => x.message.includes('closed-registry'));
  assert.ok(d.layer, 'the failing check\'s layer');
  assert.ok(d.url.endsWith('/integrations'), d.url);
});

test('integration.expiring: temporary AWS credentials two days before they expire, once', async () => {
  const sec = crypto.randomBytes(30).toString('base64');
  const tok = `IQoJb3JpZ2luX2VjE${crypto.randomBytes(60).toString('base64')}`;
  secrets.push(sec, tok);
  const expires = new Date(Date.now() + 2 * 86400000 + 3600000).toISOString().replace(/\.\d+Z$/, 'Z');
  const r = await api(s.url, 'POST', `${O}/cloud-accounts`, {
    token: ada.token,
    body: { name: 'sts-session', provider: 'aws', access_key_id: 'ASIAWHARFNOTIFY00001', secret_access_key: sec, session_token: tok, session_expires_at: expires, region: 'eu-west-1' },
  });
  assert.equal(r.status, 201, r.text);
  const d = await received('integration.expiring', (x) => x.message.includes('sts-session'));
  assert.match(d.message, /expire at .* \(in 2 days\)/);
  assert.equal(d.layer, 'aws_iam');
  await wait(2000);  // the sweep runs every second
  assert.equal(of('integration.expiring').length, 1);
});

test('security.new_sign_in: an address this account never signed in from, once', async () => {
  const login = (from) => apiFrom(from, s.url, 'POST', '/api/v1/auth/login', { body: { email: ada.email, password: ada.password } });
  const same = await login('127.0.0.1');
  assert.equal(same.status, 200);
  const other = await login('127.0.0.2');
  assert.equal(other.status, 200);
  const d = await received('security.new_sign_in');
  assert.match(d.message, new RegExp(`${ada.email} signed in from 127\\.0\\.0\\.2`));
  assert.equal(d.layer, 'permissions');
  assert.equal((await login('127.0.0.2')).status, 200);
  await wait(1000);
  assert.equal(of('security.new_sign_in').length, 1);
});

test('security.two_factor_disabled: the last factor removed by the member, then by wharf admin reset-2fa', async () => {
  const begin = await api(s.url, 'POST', '/api/v1/me/totp', { token: ada.token });
  assert.equal(begin.status, 201, begin.text);
  const codes = totpCodes(begin.json.secret);
  const confirm = await api(s.url, 'POST', '/api/v1/me/totp/confirm', { token: ada.token, body: { code: await codes.next() } });
  assert.equal(confirm.status, 200, confirm.text);
  secrets.push(begin.json.secret, ...confirm.json.recovery_codes);
  const off = await api(s.url, 'DELETE', '/api/v1/me/totp', { token: ada.token });
  assert.equal(off.status, 204, off.text);
  const d = await received('security.two_factor_disabled', (x) => /authenticator app/.test(x.message));
  assert.match(d.message, new RegExp(`${ada.email} has no second factor any more`));

  const again = await api(s.url, 'POST', '/api/v1/me/totp', { token: ada.token });
  const codes2 = totpCodes(again.json.secret);
  const confirm2 = await api(s.url, 'POST', '/api/v1/me/totp/confirm', { token: ada.token, body: { code: await codes2.next() } });
  assert.equal(confirm2.status, 200, confirm2.text);
  secrets.push(again.json.secret, ...confirm2.json.recovery_codes);
  const r = spawnSync(WHARF_BIN, ['admin', 'reset-2fa', '--data-dir', s.dataDir, ada.email], {
    encoding: 'utf8', env: { ...process.env, ...s.env, WHARF_PUBLIC_URL: s.url },  // links name the server's URL
  });
  assert.equal(r.status, 0, r.stderr + r.stdout);
  // The CLI wrote the delivery; the running server's workers send it.
  const reset = await received('security.two_factor_disabled', (x) => /reset-2fa/.test(x.message), 30000);
  assert.match(reset.message, /the instance operator removed every factor/);
});

test('no message of these events carries a secret', async () => {
  const emails = await mail.messages();
  assert.ok(rx.got.length >= 6 && emails.length >= 6, `${rx.got.length} webhook requests, ${emails.length} emails`);
  for (const m of rx.got) for (const x of secrets) assert.ok(!m.body.includes(x), `${m.json?.type} carries a secret`);
  for (const e of emails) for (const x of secrets) assert.ok(!`${e.subject}\n${e.text}`.includes(x), `email ${e.subject} carries a secret`);
  const log = await api(s.url, 'GET', `${O}/notification-deliveries?limit=200`, { token: ada.token });
  for (const x of secrets) assert.ok(!log.text.includes(x), 'the delivery log carries a secret');
  for (const x of secrets) assert.ok(!s.logs.includes(x), 'the server log carries a secret');
});
