// e2e-database: postgres
// Two `wharf serve` replicas on one PostgreSQL, both running job workers and the retry sweep:
// every event is delivered exactly once per channel, whichever replica caused it, including a
// delivery that needed retries.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import crypto from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { startWharf, api, signup, sharedPostgres } from './lib/harness.mjs';
import { startReceiver } from './lib/webhook_receiver.mjs';

let pg, a, b, rx;

before(async () => {
  pg = await sharedPostgres();
  const url = pg.createDatabase('notify_replicas');
  const keyDir = mkdtempSync(path.join(os.tmpdir(), 'wharf-key-'));
  const keyFile = path.join(keyDir, 'master.key');
  writeFileSync(keyFile, crypto.randomBytes(32).toString('base64url') + '\n', { mode: 0o600 });
  const env = { WHARF_MASTER_KEY_FILE: keyFile };
  const args = ['--database', url, '--notify-retry-base-ms', '200', '--job-poll-ms', '100'];
  [a, b] = await Promise.all([startWharf({ args, env }), startWharf({ args, env })]);
  rx = await startReceiver();
});

after(async () => {
  for (const s of [a, b]) if (s) { await s.stop(); s.cleanup(); }
  await rx?.stop();
});

test('each event is delivered once on two replicas sharing PostgreSQL', async () => {
  const ada = await signup(a.url, 'ada');
  const O = `/api/v1/orgs/${ada.org.slug}`;
  const c = await api(a.url, 'POST', `${O}/notification-channels`, { token: ada.token, body: { name: 'hook', type: 'webhook', url: `${rx.url}/hook` } });
  assert.equal(c.status, 201, c.text);
  rx.sign('/hook', c.json.signing_secret);
  assert.equal((await api(b.url, 'POST', `${O}/notification-channels/${c.json.id}/test`, { token: ada.token })).json.ok, true);
  const rule = await api(b.url, 'POST', `${O}/notification-rules`, { token: ada.token, body: { events: ['security.token_created'], channel_ids: [c.json.id] } });
  assert.equal(rule.status, 201, rule.text);
  rx.plan('/hook', [503]);  // the first event's first attempt fails: its retry must run once too

  const n = 12;
  await Promise.all(Array.from({ length: n }, (_, i) =>
    api(i % 2 ? a.url : b.url, 'POST', '/api/v1/me/tokens', { token: ada.token, body: { name: `t${i}`, org: ada.org.slug } })
      .then((r) => assert.equal(r.status, 201, r.text))));

  const events = () => rx.got.filter((m) => m.json?.type === 'security.token_created' && m.status === 200);
  const t0 = Date.now();
  while (events().length < n && Date.now() - t0 < 20000) await new Promise((r) => setTimeout(r, 100));
  await new Promise((r) => setTimeout(r, 1500));  // duplicates, if any, would arrive by now
  const ok = events();
  assert.equal(ok.length, n, `${ok.length} of ${n} delivered`);
  const ids = ok.map((m) => m.headers['webhook-id']);
  assert.equal(new Set(ids).size, n, 'no message id delivered twice');
  assert.equal(new Set(ok.map((m) => m.json.data.message)).size, n, 'one message per token');
  assert.ok(ok.every((m) => m.verified));
  const log = await api(b.url, 'GET', `${O}/notification-deliveries?limit=200`, { token: ada.token });
  const rows = log.json.items.filter((x) => x.event === 'security.token_created');
  assert.equal(rows.length, n);
  assert.ok(rows.every((x) => x.status === 'succeeded'));
  assert.equal(rows.reduce((sum, x) => sum + x.attempts, 0), n + 1, 'one retry in all');
});
