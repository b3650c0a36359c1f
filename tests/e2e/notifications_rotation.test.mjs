// Rotating a webhook channel's signing secret end to end (docs/notifications.md, "Rotating the
// signing secret"), checked by a real receiver with npm's `standardwebhooks` (the specification's
// reference library), never with Wharf's own code: during the overlap a receiver that knows only
// the old secret and one that knows only the new one both verify every message (events, "Send
// test", a redelivery of a message from before the rotation); after a rotation with
// overlap_hours 0 the old secret fails. Also the refusals, the CLI, the audit line and a secret
// scan of the API answers, the server log and the delivery log.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import standardwebhooks from 'standardwebhooks';
import { startWharf, api, signup, memberWithRole } from './lib/harness.mjs';
import { startReceiver } from './lib/webhook_receiver.mjs';
import { cliUser } from './lib/cli.mjs';

const { Webhook } = standardwebhooks;
let s, rx, ada, O, hook;
const secrets = [];  // every signing secret handed out: only the answers that hand them out may carry them
const answers = [];  // every other API answer of this file

before(async () => {
  rx = await startReceiver();
  s = await startWharf({ args: ['--notify-retry-base-ms', '500'] });
  ada = await signup(s.url, 'ada');
  O = `/api/v1/orgs/${ada.org.slug}`;
});
after(async () => { await s?.stop(); s?.cleanup(); await rx?.stop(); });

async function call(method, path, body, token = ada.token) {
  const r = await api(s.url, method, path, { token, body });
  answers.push(r.text);
  return r;
}
async function rotate(id, body) {
  const r = await api(s.url, 'POST', `${O}/notification-channels/${id}/rotate-secret`, { token: ada.token, body });
  if (r.status === 200) secrets.push(r.json.signing_secret);
  else answers.push(r.text);
  return r;
}
// Whether the message verifies for a receiver that knows only `secret`.
function verifiesWith(m, secret) {
  try {
    new Webhook(secret).verify(m.body, m.headers);
    return true;
  } catch {
    return false;
  }
}
const entries = (m) => m.headers['webhook-signature'].split(' ').filter(Boolean);
let tokens = 0;
async function tokenEvent() {
  const name = `rot-${++tokens}`;
  const t = await call('POST', '/api/v1/me/tokens', { name, org: ada.org.slug });
  assert.equal(t.status, 201, t.text);
  return rx.waitFor((m) => m.path === '/rot' && m.json?.type === 'security.token_created' && m.json.data.message.includes(`'${name}'`),
    15000, `the ${name} event`);
}

test('during the overlap a receiver with only the old or only the new secret verifies every message', async () => {
  const c = await api(s.url, 'POST', `${O}/notification-channels`, { token: ada.token, body: { name: 'rot', type: 'webhook', url: `${rx.url}/rot` } });
  assert.equal(c.status, 201, c.text);
  hook = c.json;
  const old = c.json.signing_secret;
  secrets.push(old);
  rx.sign('/rot', old);  // this receiver keeps only the old secret throughout
  assert.equal((await call('POST', `${O}/notification-channels/${hook.id}/test`)).json.ok, true);
  assert.equal((await call('POST', `${O}/notification-rules`, { events: ['security.token_created'], channel_ids: [hook.id] })).status, 201);
  const before = await tokenEvent();
  assert.equal(before.verified, true, before.verifyError);
  assert.equal(entries(before).length, 1);

  const t0 = Date.now();
  const r = await rotate(hook.id);
  assert.equal(r.status, 200, r.text);
  const fresh = r.json.signing_secret;
  assert.match(fresh, /^whsec_[A-Za-z0-9+/]+=*$/);
  assert.notEqual(fresh, old);
  const until = Date.parse(r.json.previous_secret_expires_at);
  assert.ok(Math.abs(until - (t0 + 24 * 3600e3)) < 60e3, r.json.previous_secret_expires_at);
  assert.equal(r.json.verified, true, 'receivers with the old secret still verify: the channel stays verified');
  const got = await call('GET', `${O}/notification-channels/${hook.id}`);
  assert.equal(got.json.signing_secret.set, true);
  assert.equal(Date.parse(got.json.signing_secret.previous_expires_at), until);
  assert.ok(Date.parse(got.json.signing_secret.rotated_at) >= t0 - 1000);

  const during = await tokenEvent();
  assert.equal(during.verified, true, `the old-secret receiver: ${during.verifyError}`);
  assert.ok(verifiesWith(during, fresh), 'a receiver with only the new secret verifies');
  assert.equal(entries(during).length, 2);
  assert.match(during.headers['webhook-signature'], /^v1,\S+ v1,\S+$/);

  // "Send test" and a redelivery of the message sent before the rotation: both signatures too.
  const n = rx.got.length;
  assert.equal((await call('POST', `${O}/notification-channels/${hook.id}/test`)).json.ok, true);
  const test = rx.got.slice(n).find((m) => m.path === '/rot' && m.json?.type === 'test');
  assert.ok(test && test.verified && verifiesWith(test, fresh) && entries(test).length === 2);
  const id = before.headers['webhook-id'];
  assert.equal((await call('POST', `${O}/notification-deliveries/${id}/redeliver`)).status, 202);
  const again = await rx.waitFor((m) => m.path === '/rot' && m.headers['webhook-id'] === id && m !== before, 15000, 'the redelivery');
  assert.equal(again.verified, true, again.verifyError);
  assert.ok(verifiesWith(again, fresh));
  assert.equal(entries(again).length, 2);

  // A second rotation inside the overlap: the previous secret is now the first rotation's, so the
  // very first secret stops verifying (never more than two).
  const r2 = await rotate(hook.id, { overlap_hours: 2 });
  assert.equal(r2.status, 200, r2.text);
  const third = r2.json.signing_secret;
  const m2 = await tokenEvent();
  assert.equal(m2.verified, false, 'the first secret is gone after a second rotation');
  assert.ok(verifiesWith(m2, fresh) && verifiesWith(m2, third));
  assert.equal(entries(m2).length, 2);
});

test('with overlap_hours 0 the old secret stops at once: its receiver fails verification', async () => {
  const prev = secrets.at(-1);
  const r = await rotate(hook.id, { overlap_hours: 0 });
  assert.equal(r.status, 200, r.text);
  const now = r.json.signing_secret;
  assert.ok(Math.abs(Date.parse(r.json.previous_secret_expires_at) - Date.now()) < 60e3);
  const got = await call('GET', `${O}/notification-channels/${hook.id}`);
  assert.equal(got.json.signing_secret.previous_expires_at, undefined);
  rx.sign('/rot', prev);  // the receiver still has the secret before this rotation
  const m = await tokenEvent();
  assert.equal(m.verified, false, 'the old-secret receiver must fail');
  assert.match(m.verifyError, /signature/i);
  assert.ok(verifiesWith(m, now));
  assert.equal(entries(m).length, 1);
  rx.sign('/rot', now);
});

test('refusals: overlap out of range, not a webhook, another org, a narrow role', async () => {
  for (const bad of [-1, 169, 'soon']) {
    const r = await rotate(hook.id, { overlap_hours: bad });
    assert.equal(r.status, 400, r.text);
    assert.ok(r.json.error.details.fields.overlap_hours, r.text);
  }
  const mail = await call('POST', `${O}/notification-channels`, { name: 'rot-mail', type: 'email', addresses: ['ops@example.test'] });
  assert.equal(mail.status, 201, mail.text);
  const notHook = await rotate(mail.json.id);
  assert.equal(notHook.status, 400, notHook.text);
  assert.ok(notHook.json.error.details.fields.type, notHook.text);
  const bob = await signup(s.url, 'bob');
  const theirs = await api(s.url, 'POST', `${O}/notification-channels/${hook.id}/rotate-secret`, { token: bob.token });
  answers.push(theirs.text);
  assert.equal(theirs.status, 404, theirs.text);
  const own = await api(s.url, 'POST', `/api/v1/orgs/${bob.org.slug}/notification-channels/${hook.id}/rotate-secret`, { token: bob.token });
  answers.push(own.text);
  assert.equal(own.status, 404, own.text);
  const reader = await memberWithRole(s.url, ada, 'reader', { notifications: { read: true } });
  const narrow = await api(s.url, 'POST', `${O}/notification-channels/${hook.id}/rotate-secret`, { token: reader.token });
  answers.push(narrow.text);
  assert.equal(narrow.status, 403, narrow.text);
  assert.match(narrow.text, /notifications\.update/);
  // Every rotation is audited, without the secret.
  const audit = await call('GET', `${O}/audit?limit=200`);
  const rows = audit.json.items.filter((e) => e.action === 'notifications.rotate-secret');
  assert.ok(rows.length >= 3, audit.text);
});

test('wharf notify channel rotate-secret prints the new secret once', async () => {
  const cli = cliUser('ada-rotate');
  const env = { WHARF_URL: s.url, WHARF_TOKEN: ada.token, WHARF_ORG: ada.org.slug };
  try {
    const out = await cli.run(['notify', 'channel', 'rotate-secret', 'rot', '--overlap-hours', '48'], { env });
    assert.equal(out.code, 0, out.stderr);
    const fresh = out.stdout.match(/whsec_[A-Za-z0-9+/=]+/g);
    assert.equal(fresh.length, 1, out.stdout);
    secrets.push(fresh[0]);
    assert.match(out.stdout, /old secret keeps signing beside it until/);
    const m = await tokenEvent();
    assert.equal(m.verified, true, 'the previous secret still verifies');
    assert.ok(verifiesWith(m, fresh[0]));
    const j = await cli.json(['notify', 'channel', 'rotate-secret', 'rot', '--overlap-hours', '0'], { env });
    assert.match(j.signing_secret, /^whsec_/);
    assert.ok(j.previous_secret_expires_at);
    secrets.push(j.signing_secret);
    rx.sign('/rot', j.signing_secret);
    const bad = await cli.run(['notify', 'channel', 'rotate-secret', 'rot', '--overlap-hours', '500'], { env });
    assert.notEqual(bad.code, 0);
    const mail = await cli.run(['notify', 'channel', 'rotate-secret', 'rot-mail'], { env });
    assert.notEqual(mail.code, 0);
    assert.match(mail.stderr, /only webhook channels/);
    const table = await cli.run(['notify', 'channel', 'list'], { env });
    for (const sec of secrets) assert.ok(!table.stdout.includes(sec.slice(6)), 'channel list carries a secret');
  } finally {
    cli.cleanup();
  }
});

test('no API answer other than the one handing it out, no log line and no delivery row carries a signing secret', async () => {
  answers.push((await api(s.url, 'GET', `${O}/notification-channels`, { token: ada.token })).text);
  answers.push((await api(s.url, 'GET', `${O}/notification-deliveries?limit=200`, { token: ada.token })).text);
  assert.ok(secrets.length >= 6 && answers.length > 20);
  for (const sec of secrets) {
    const key = sec.slice(6);
    for (const a of answers) assert.ok(!a.includes(key), 'an API answer carries a signing secret');
    assert.ok(!s.logs.includes(key), 'the server log carries a signing secret');
    for (const m of rx.got) assert.ok(!m.body.includes(key), 'a message body carries a signing secret');
  }
});
