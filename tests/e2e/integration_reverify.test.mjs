// The scheduled re-verification of integrations (docs/integrations.md "Scheduled
// re-verification", docs/notifications.md "Verification failures") with real parts: Debian's
// docker-registry with htpasswd auth, whose user's password is changed on the registry side (as an
// operator rotating it would), `wharf serve --integration-verify-interval-seconds 1`, and a local
// receiver that checks Standard Webhooks signatures with npm's `standardwebhooks`.
//   - a verified registry is verified again every second, silently while it passes;
//   - the first scheduled failure after a pass sends exactly one integration.verify_failed, however
//     many failing runs follow; the row's last_error names the failing check;
//   - restoring the password makes it pass again, silently; the audit log shows actor "system";
//   - no secret in any message, response or log line.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { startWharf, api, signup } from './lib/harness.mjs';
import { startRegistry } from './lib/registry.mjs';
import { startReceiver } from './lib/webhook_receiver.mjs';

const PASS = `reg-${crypto.randomBytes(8).toString('hex')}`;
const ROTATED = `rot-${crypto.randomBytes(8).toString('hex')}`;
let s, reg, rx, ada, O, row;
const secrets = [PASS, ROTATED];
const seen = [];  // every response body, checked for secrets at the end

async function call(method, p, body) {
  const r = await api(s.url, method, p, { token: ada.token, body });
  seen.push(r.text);
  return r;
}
const wait = (ms) => new Promise((r) => setTimeout(r, ms));
const failures = () => rx.got.filter((m) => m.path === '/events' && m.json?.type === 'integration.verify_failed');
const get = async () => (await call('GET', `${O}/docker-registries/${row.id}`)).json;
// Waits for `n` more verifications of the row (its last_verified_at moves on), then returns the row.
async function runs(n, ms = 30000) {
  let last = (await get()).last_verified_at;
  for (let seenRuns = 0, t0 = Date.now(); seenRuns < n;) {
    if (Date.now() - t0 > ms) throw new Error(`only ${seenRuns} of ${n} scheduled verifications in ${ms} ms`);
    await wait(200);
    const at = (await get()).last_verified_at;
    if (at !== last) { seenRuns++; last = at; }
  }
  return get();
}
async function until(pred, what, ms = 30000) {
  for (let t0 = Date.now(); ;) {
    const r = await get();
    if (pred(r)) return r;
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(r)}`);
    await wait(200);
  }
}

before(async () => {
  reg = await startRegistry({ mode: 'htpasswd', users: { alice: PASS } });
  await reg.pushImage('team/app', 'v1');
  rx = await startReceiver();
  s = await startWharf({ args: ['--integration-verify-interval-seconds', '1'] });
  ada = await signup(s.url, 'ada');
  secrets.push(ada.password, ada.token);
  O = `/api/v1/orgs/${ada.org.slug}`;
  const h = await call('POST', `${O}/notification-channels`, { name: 'events', type: 'webhook', url: `${rx.url}/events` });
  assert.equal(h.status, 201, h.text);
  rx.sign('/events', h.json.signing_secret);
  secrets.push(h.json.signing_secret, h.json.signing_secret.slice(6));
  assert.equal((await call('POST', `${O}/notification-channels/${h.json.id}/test`)).json.ok, true);
  const rule = await call('POST', `${O}/notification-rules`, { events: ['integration.verify_failed'], channel_ids: [h.json.id] });
  assert.equal(rule.status, 201, rule.text);
});
after(async () => { await s?.stop(); s?.cleanup(); await reg?.stop(); await rx?.stop(); });

test('a verified registry is verified again on the schedule, silently while it passes', async () => {
  const r = await call('POST', `${O}/docker-registries`, { name: 'local', host: reg.host, username: 'alice', password: PASS });
  assert.equal(r.status, 201, r.text);
  row = r.json;
  // Never verified: a draft the schedule leaves alone.
  await wait(2500);
  assert.equal((await get()).last_verified_at, null);
  const v = await call('POST', `${O}/docker-registries/${row.id}/verify`, { image: `${reg.host}/team/app:v1` });
  assert.equal(v.status, 200, v.text);
  assert.equal(v.json.ok, true, v.text);
  const after = await runs(2);
  assert.equal(after.verified, true);
  assert.equal(after.last_error, null);
  assert.equal(failures().length, 0);
});

test('the password changed on the registry: one integration.verify_failed over several scheduled runs', async () => {
  reg.setPassword('alice', ROTATED);
  const failed = await until((r) => r.verified === false, 'the scheduled verification to fail');
  assert.equal(failed.last_error.check, 'auth', JSON.stringify(failed.last_error));
  assert.equal(failed.last_error.layer, 'registry');
  assert.ok(failed.last_error.fix.length > 10, failed.last_error.fix);
  const m = await rx.waitFor((x) => x.path === '/events' && x.json?.type === 'integration.verify_failed', 20000, 'verify_failed');
  assert.equal(m.verified, true, m.verifyError);
  const d = m.json.data;
  assert.match(d.message, /scheduled re-verification of the Docker registry local failed its check \(auth\)/);
  assert.equal(d.layer, 'registry');
  assert.ok(d.fix.length > 10, d.fix);
  assert.ok(d.url.endsWith('/integrations'), d.url);
  // It keeps failing on later runs: nothing more is sent.
  const still = await runs(3);
  assert.equal(still.verified, false);
  await wait(1500);  // time for a (wrong) second delivery to arrive
  assert.equal(failures().length, 1, 'one message until a verification passes again');
});

test('the password restored: the next scheduled run passes, silently', async () => {
  reg.setPassword('alice', PASS);
  const ok = await until((r) => r.verified === true, 'the scheduled verification to pass again');
  assert.equal(ok.last_error, null);
  await runs(2);
  await wait(1000);
  assert.equal(failures().length, 1);
});

test('the scheduled runs are audited as the system', async () => {
  const audit = await call('GET', `${O}/audit?limit=200`);
  assert.equal(audit.status, 200, audit.text);
  const verifies = audit.json.items.filter((e) => e.action === 'dockerRegistries.verify' && e.resource_id === row.id);
  const scheduled = verifies.filter((e) => e.actor.id === 'system');
  assert.ok(scheduled.length >= 6, `${scheduled.length} scheduled verifications audited`);
  for (const e of scheduled) {
    assert.equal(e.actor.email, 'system');
    assert.match(e.detail, /^(ok|failed) \(scheduled\)$/);
  }
  assert.ok(scheduled.some((e) => e.detail === 'failed (scheduled)'));
  const manual = verifies.filter((e) => e.actor.id !== 'system');
  assert.equal(manual.length, 1, 'the one Verify pressed by hand');
  assert.equal(manual[0].actor.email, ada.email);
});

test('no secret in any message, response or log line', async () => {
  assert.ok(rx.got.length >= 2);
  for (const m of rx.got) for (const x of secrets) assert.ok(!m.body.includes(x), `${m.json?.type} carries a secret`);
  for (const t of seen) for (const x of secrets.slice(0, 2)) assert.ok(!t.includes(x), 'a response carries a registry password');
  const log = await call('GET', `${O}/notification-deliveries?limit=200`);
  for (const x of secrets) assert.ok(!log.text.includes(x), 'the delivery log carries a secret');
  for (const x of secrets) assert.ok(!s.logs.includes(x), 'the server log carries a secret');
  assert.match(s.logs, /"event":"integration_verified"/);
});
