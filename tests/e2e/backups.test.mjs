// Backups of database services (issue 5, docs/backups.md), against real components: the sshd test
// host with the Dokku stand-in (its `<kind>:export` cats the service's data, `<kind>:import`
// stores stdin) and s3rver behind the SigV4-verifying front (tests/e2e/lib/s3.mjs). A backup
// streams the dump into the verified bucket (multipart above 8 MiB), a restore streams it back
// into the node, retention prunes, and a storage that refuses a delete is reported in layer
// backup_storage. The storage's secret never shows in a response, a job log or Wharf's log.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { readFileSync, existsSync } from 'node:fs';
import { startWharf, api, signup, memberWithRole } from './lib/harness.mjs';
import { startSshd, NODE_USER } from './lib/sshd.mjs';
import { startS3 } from './lib/s3.mjs';
import { startReceiver } from './lib/webhook_receiver.mjs';

const SEED = 'External backups on a database Service require a verified provider from Integrations → Backup Storage.';
const KEY_ID = 'AKIDWHARFBACKUPS';
const SECRET = `backup-secret-${crypto.randomBytes(12).toString('hex')}`;
const BUCKET = 'backups';
// The test host resolves only localhost; its disk may be small.
const WHARF_ARGS = ['--node-dns-probe', 'localhost', '--min-disk-free-mb', '100'];
const sha256 = (b) => crypto.createHash('sha256').update(b).digest('hex');

let node, s3;
const keys = { [KEY_ID]: { secret: SECRET, deny: [] } };
const seen = [];  // every response text, checked for the secret at the end
before(async () => {
  node = await startSshd();
  s3 = await startS3({ region: 'us-east-1', buckets: [BUCKET], keys });
});
after(async () => { await s3?.stop(); await node?.cleanup(); });

async function call(s, method, p, opts) {
  const r = await api(s.url, method, p, opts);
  seen.push(r.text);
  return r;
}

async function waitJob(s, O, token, id, timeoutMs = 60000) {
  const t0 = Date.now();
  for (;;) {
    const j = await call(s, 'GET', `${O}/jobs/${id}`, { token });
    assert.equal(j.status, 200, j.text);
    if (!['queued', 'running'].includes(j.json.status)) return j.json;
    if (Date.now() - t0 > timeoutMs) assert.fail(`job ${id} still ${j.json.status}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// An org with the test host as its server, an application on it with a postgres service named
// `dbName`, the stand-in's database holding `data`, and a verified backup storage. On the node the
// database is the Dokku service a deployment creates, `<application>-<service>` (ctx.dokku).
async function setup(s, name, dbName, data) {
  const u = await signup(s.url, name);
  const O = `/api/v1/orgs/${u.org.slug}`;
  const k = (await call(s, 'POST', `${O}/ssh-keys`, { token: u.token, body: { name: 'k', generate: { type: 'ed25519' } } })).json;
  node.authorize(NODE_USER, (await call(s, 'GET', `${O}/ssh-keys/${k.id}/public-key`, { token: u.token })).text);
  const srv = await call(s, 'POST', `${O}/servers`, { token: u.token, body: { name: 'node', host: '127.0.0.1', port: node.port, username: NODE_USER, ssh_key_id: k.id } });
  assert.equal(srv.status, 201, srv.text);
  const app = await call(s, 'POST', `${O}/applications`, { token: u.token, body: { name: `shop-${dbName}`, server_id: srv.json.id } });
  assert.equal(app.status, 201, app.text);
  const db = await call(s, 'POST', `${O}/applications/${app.json.id}/services`, { token: u.token, body: { name: dbName, type: 'database', database: { engine: 'postgres', version: '16' } } });
  assert.equal(db.status, 201, db.text);
  const dokku = `shop-${dbName}-${dbName}`;
  const file = node.setDokkuDatabase('postgres', dokku, data);
  const st = await call(s, 'POST', `${O}/backup-storage`, { token: u.token, body: {
    name: 's3rver', endpoint: s3.endpoint, region: 'us-east-1', bucket: BUCKET, prefix: `${name}/`, path_style: true,
    access_key_id: KEY_ID, secret_access_key: SECRET } });
  assert.equal(st.status, 201, st.text);
  const v = await call(s, 'POST', `${O}/backup-storage/${st.json.id}/verify`, { token: u.token });
  assert.equal(v.status, 200, v.text);
  assert.equal(v.json.ok, true, v.text);
  const B = `${O}/applications/${app.json.id}/services/${db.json.id}`;
  return { u, O, B, app: app.json, db: db.json, storage: st.json, file, server: srv.json, dokku };
}

async function backUp(s, ctx, body) {
  const r = await call(s, 'POST', `${ctx.B}/backups`, { token: ctx.u.token, body });
  assert.equal(r.status, 202, r.text);
  assert.equal(r.json.status, 'queued');
  const job = await waitJob(s, ctx.O, ctx.u.token, r.json.job.id);
  assert.equal(job.status, 'succeeded', JSON.stringify(job));
  const b = await call(s, 'GET', `${ctx.B}/backups/${r.json.id}`, { token: ctx.u.token });
  assert.equal(b.status, 200, b.text);
  return { backup: b.json, job };
}

async function restore(s, ctx, id) {
  const r = await call(s, 'POST', `${ctx.B}/backups/${id}/restore`, { token: ctx.u.token });
  assert.equal(r.status, 202, r.text);
  const job = await waitJob(s, ctx.O, ctx.u.token, r.json.job.id);
  assert.equal(job.status, 'succeeded', JSON.stringify(job));
  return job;
}

async function stored(key) {
  const r = await fetch(`http://127.0.0.1:${s3.backendPort}/${BUCKET}/${key.split('/').map(encodeURIComponent).join('/')}`);
  return r.status === 200 ? Buffer.from(await r.arrayBuffer()) : null;
}

test('external backup: the dump streams into the verified bucket (multipart), restores into the node, downloads, deletes', async () => {
  const s = await startWharf({ args: WHARF_ARGS });
  try {
    // 12 MiB and a bit: more than one 8 MiB part, so the upload is multipart.
    const data = Buffer.concat([crypto.randomBytes(12 << 20), Buffer.from('-- end of dump\n')]);
    const ctx = await setup(s, 'ext', 'orders', data);
    const { backup, job } = await backUp(s, ctx, { storage: 'external', backup_storage_id: ctx.storage.id });
    assert.equal(backup.status, 'succeeded');
    assert.equal(backup.storage, 'external');
    assert.equal(backup.trigger, 'manual');
    assert.equal(backup.size, data.length);
    assert.equal(backup.sha256, sha256(data));
    assert.ok(backup.started_at > 0 && backup.finished_at >= backup.started_at);
    assert.equal(backup.created_by, ctx.u.user.id);
    assert.ok(backup.object_key.startsWith('ext/'), backup.object_key);
    assert.match(job.log, /postgres:export shop-orders-orders/);
    assert.match(job.log, /in 2 part\(s\)/, job.log);
    const obj = await stored(backup.object_key);
    assert.ok(obj, 'the object is in s3rver');
    assert.equal(sha256(obj), sha256(data), 'the stored object is the dump, byte for byte');
    assert.ok(s3.requests.some((r) => /uploadId=/.test(r.path || '') || r.op === 's3:PutObject'), 'requests went through the verifying front');

    // The node's data changes; the restore puts the backup's back.
    node.setDokkuDatabase('postgres', ctx.dokku, 'changed after the backup\n');
    const rj = await restore(s, ctx, backup.id);
    assert.match(rj.log, /postgres:import shop-orders-orders/);
    assert.equal(sha256(readFileSync(ctx.file)), sha256(data), "the node's data is the backup's");
    const after1 = await call(s, 'GET', `${ctx.B}/backups/${backup.id}`, { token: ctx.u.token });
    assert.equal(after1.json.restore.status, 'succeeded');

    // Download streams the object through Wharf.
    const dl = await fetch(`${s.url}${ctx.B}/backups/${backup.id}/download`, { headers: { authorization: `Bearer ${ctx.u.token}` } });
    assert.equal(dl.status, 200);
    assert.equal(dl.headers.get('x-wharf-backup-sha256'), sha256(data));
    assert.equal(sha256(Buffer.from(await dl.arrayBuffer())), sha256(data));

    const list = await call(s, 'GET', `${ctx.B}/backups`, { token: ctx.u.token });
    assert.deepEqual(list.json.items.map((b) => b.id), [backup.id]);

    const del = await call(s, 'DELETE', `${ctx.B}/backups/${backup.id}`, { token: ctx.u.token });
    assert.equal(del.status, 204, del.text);
    assert.equal(await stored(backup.object_key), null, 'the object is gone');
    assert.equal((await call(s, 'GET', `${ctx.B}/backups/${backup.id}`, { token: ctx.u.token })).status, 404);

    // A failing export fails the job with the node's message; the multipart upload is not left behind.
    node.dokkuFail('postgres:export', 'dump failed: disk I/O error');
    const bad = await call(s, 'POST', `${ctx.B}/backups`, { token: ctx.u.token, body: { backup_storage_id: ctx.storage.id } });
    assert.equal(bad.status, 202, bad.text);
    const badJob = await waitJob(s, ctx.O, ctx.u.token, bad.json.job.id);
    node.dokkuFail('postgres:export', null);
    assert.equal(badJob.status, 'failed');
    assert.match(badJob.error, /disk I\/O error/);
    const badRow = await call(s, 'GET', `${ctx.B}/backups/${bad.json.id}`, { token: ctx.u.token });
    assert.equal(badRow.json.status, 'failed');
    assert.equal(badRow.json.error.layer, 'ssh');
    assert.equal(await stored(badRow.json.object_key), null);

    // The secret never leaves: not in responses, job logs or Wharf's log.
    for (const t of seen) assert.ok(!t.includes(SECRET), 'a response holds the storage secret');
    assert.ok(!s.logs.includes(SECRET), "Wharf's log holds the storage secret");
  } finally {
    await s.stop();
    s.cleanup();
  }
});

test('external backup refuses an unverified storage with the seed message; bad input names the field', async () => {
  const s = await startWharf({ args: WHARF_ARGS });
  try {
    const ctx = await setup(s, 'unv', 'ledger', 'ledger data\n');
    const st = await call(s, 'POST', `${ctx.O}/backup-storage`, { token: ctx.u.token, body: {
      name: 'not-verified', endpoint: s3.endpoint, region: 'us-east-1', bucket: BUCKET, path_style: true,
      access_key_id: KEY_ID, secret_access_key: 'not-the-secret' } });
    assert.equal(st.status, 201, st.text);
    await call(s, 'POST', `${ctx.O}/backup-storage/${st.json.id}/verify`, { token: ctx.u.token });
    const r = await call(s, 'POST', `${ctx.B}/backups`, { token: ctx.u.token, body: { storage: 'external', backup_storage_id: st.json.id } });
    assert.equal(r.status, 400, r.text);
    assert.ok(r.json.error.message.includes(SEED), r.json.error.message);
    assert.equal(r.json.error.layer, 'backup_storage');
    const sched = await call(s, 'PUT', `${ctx.B}/backup-schedule`, { token: ctx.u.token, body: { frequency: 'daily', retention: 3, backup_storage_id: st.json.id } });
    assert.equal(sched.status, 400);
    assert.ok(sched.json.error.message.includes(SEED));

    const noStorage = await call(s, 'POST', `${ctx.B}/backups`, { token: ctx.u.token, body: { storage: 'external' } });
    assert.equal(noStorage.status, 400);
    assert.ok('backup_storage_id' in noStorage.json.error.details.fields, noStorage.text);
    const badKind = await call(s, 'POST', `${ctx.B}/backups`, { token: ctx.u.token, body: { storage: 'tape' } });
    assert.ok('storage' in badKind.json.error.details.fields, badKind.text);
    const badFreq = await call(s, 'PUT', `${ctx.B}/backup-schedule`, { token: ctx.u.token, body: { frequency: 'yearly', retention: 3 } });
    assert.ok('frequency' in badFreq.json.error.details.fields, badFreq.text);
    const badRet = await call(s, 'PUT', `${ctx.B}/backup-schedule`, { token: ctx.u.token, body: { frequency: 'daily', retention: 0 } });
    assert.ok('retention' in badRet.json.error.details.fields, badRet.text);
    for (const t of seen) assert.ok(!t.includes(SECRET));
  } finally {
    await s.stop();
    s.cleanup();
  }
});

test('internal backup: kept on the node, restored from there, deleted from there', async () => {
  const s = await startWharf({ args: WHARF_ARGS });
  try {
    const data = crypto.randomBytes(300 << 10);
    const ctx = await setup(s, 'int', 'carts', data);
    const { backup } = await backUp(s, ctx, { storage: 'internal' });
    assert.equal(backup.storage, 'internal');
    assert.equal(backup.size, data.length);
    assert.equal(backup.sha256, sha256(data));
    const onNode = path.join('/home', NODE_USER, backup.path);
    assert.equal(sha256(readFileSync(onNode)), sha256(data), 'the dump is in the node user\'s home');
    node.setDokkuDatabase('postgres', ctx.dokku, 'changed\n');
    await restore(s, ctx, backup.id);
    assert.equal(sha256(readFileSync(ctx.file)), sha256(data));
    const dl = await fetch(`${s.url}${ctx.B}/backups/${backup.id}/download`, { headers: { authorization: `Bearer ${ctx.u.token}` } });
    assert.equal(dl.status, 200);
    assert.equal(sha256(Buffer.from(await dl.arrayBuffer())), sha256(data));
    assert.equal((await call(s, 'DELETE', `${ctx.B}/backups/${backup.id}`, { token: ctx.u.token })).status, 204);
    assert.ok(!existsSync(onNode), 'the node file is removed');
  } finally {
    await s.stop();
    s.cleanup();
  }
});

// Regression (issue 23-8): every download started a thread, without a cap. A download the client
// does not read holds its slot (its thread waits on the full pipe) until the client goes.
test('backup downloads are capped per organisation: beyond --backup-downloads-per-org, 429 with Retry-After', async () => {
  const s = await startWharf({ args: [...WHARF_ARGS, '--backup-downloads-per-org', '1'] });
  try {
    const data = crypto.randomBytes(48 << 20);
    const ctx = await setup(s, 'cap', 'bulk', data);
    const { backup } = await backUp(s, ctx, { storage: 'internal' });
    const url = `${s.url}${ctx.B}/backups/${backup.id}/download`;
    const headers = { authorization: `Bearer ${ctx.u.token}` };
    const first = await fetch(url, { headers });  // headers only: the body stays unread
    assert.equal(first.status, 200);
    const second = await fetch(url, { headers });
    assert.equal(second.status, 429, await second.clone().text());
    assert.equal(second.headers.get('retry-after'), '5');
    const body = await second.json();
    assert.equal(body.error.code, 'rate_limited');
    assert.match(body.error.message, /already has 1 backup downloads running/);
    // The client goes: its thread ends and the slot is free again.
    await first.body.cancel();
    const t0 = Date.now();
    for (;;) {
      const again = await fetch(url, { headers });
      if (again.status === 200) {
        assert.equal(sha256(Buffer.from(await again.arrayBuffer())), sha256(data));
        break;
      }
      assert.equal(again.status, 429);
      await again.arrayBuffer();
      if (Date.now() - t0 > 20000) assert.fail('the slot was never released');
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    await s.stop();
    s.cleanup();
  }
});

async function waitBackups(s, ctx, pred, timeoutMs = 30000) {
  const t0 = Date.now();
  for (;;) {
    const l = await call(s, 'GET', `${ctx.B}/backups`, { token: ctx.u.token });
    assert.equal(l.status, 200, l.text);
    if (pred(l.json.items)) return l.json.items;
    if (Date.now() - t0 > timeoutMs) assert.fail(`backups never matched: ${l.text}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test('schedule: the first backup runs at once, retention prunes object and row, a key that may not delete reports backup_storage', async () => {
  const s = await startWharf({ args: WHARF_ARGS });
  try {
    const ctx = await setup(s, 'sch', 'events', 'v1\n');
    const put = await call(s, 'PUT', `${ctx.B}/backup-schedule`, { token: ctx.u.token, body: { frequency: 'daily', retention: 1, storage: 'external', backup_storage_id: ctx.storage.id } });
    assert.equal(put.status, 200, put.text);
    assert.equal(put.json.frequency, 'daily');
    assert.equal(put.json.retention, 1);
    // The scheduler (once across replicas) takes the first backup within a few seconds.
    const first = (await waitBackups(s, ctx, (items) => items.length === 1 && items[0].status === 'succeeded'))[0];
    assert.equal(first.trigger, 'schedule');
    const sched = await call(s, 'GET', `${ctx.B}/backup-schedule`, { token: ctx.u.token });
    assert.ok(sched.json.next_run_at - sched.json.last_run_at >= 24 * 3600 * 1000 - 1000, sched.text);
    // Another frequency keeps the last run and moves the next one to last + its period.
    const H = 3600 * 1000;
    for (const [frequency, period] of [['hourly', H], ['weekly', 7 * 24 * H], ['monthly', 30 * 24 * H], ['daily', 24 * H]]) {
      const ch = await call(s, 'PUT', `${ctx.B}/backup-schedule`, { token: ctx.u.token, body: { frequency, retention: 1, storage: 'external', backup_storage_id: ctx.storage.id } });
      assert.equal(ch.status, 200, ch.text);
      assert.equal(ch.json.frequency, frequency);
      assert.equal(ch.json.last_run_at, sched.json.last_run_at, ch.text);
      assert.equal(ch.json.next_run_at - ch.json.last_run_at, period, `${frequency}: ${ch.text}`);
    }
    assert.equal((await call(s, 'GET', `${ctx.B}/backups`, { token: ctx.u.token })).json.items.length, 1, 'changing the frequency runs no backup');

    node.setDokkuDatabase('postgres', ctx.dokku, 'v2\n');
    const run = await call(s, 'POST', `${ctx.B}/backup-schedule/run`, { token: ctx.u.token });
    assert.equal(run.status, 202, run.text);
    const j2 = await waitJob(s, ctx.O, ctx.u.token, run.json.job.id);
    assert.equal(j2.status, 'succeeded', JSON.stringify(j2));
    assert.match(j2.log, /\[retention\] deleting/);
    const items = (await call(s, 'GET', `${ctx.B}/backups`, { token: ctx.u.token })).json.items;
    assert.deepEqual(items.map((b) => b.id), [run.json.id], 'the older scheduled backup is pruned');
    assert.equal(await stored(first.object_key), null, "the pruned backup's object is deleted");
    assert.equal((await stored(items[0].object_key)).toString(), 'v2\n');

    // The bucket policy changes: the key may no longer delete. Backups still work; pruning fails
    // and says so, in layer backup_storage, and keeps the row of what it could not delete.
    keys[KEY_ID].deny = ['s3:DeleteObject'];
    try {
      const run3 = await call(s, 'POST', `${ctx.B}/backup-schedule/run`, { token: ctx.u.token });
      const j3 = await waitJob(s, ctx.O, ctx.u.token, run3.json.job.id);
      assert.equal(j3.status, 'succeeded');
      assert.match(j3.log, /backup_storage: .*AccessDenied/);
      const sc = await call(s, 'GET', `${ctx.B}/backup-schedule`, { token: ctx.u.token });
      assert.equal(sc.json.last_error.layer, 'backup_storage', sc.text);
      assert.match(sc.json.last_error.message, /AccessDenied/);
      assert.match(sc.json.last_error.message, /s3:DeleteObject/, 'the fix names the missing permission');
      const left = (await call(s, 'GET', `${ctx.B}/backups`, { token: ctx.u.token })).json.items;
      assert.equal(left.length, 2, 'the backup it could not delete stays listed');
    } finally {
      keys[KEY_ID].deny = [];
    }
    assert.equal((await call(s, 'DELETE', `${ctx.B}/backup-schedule`, { token: ctx.u.token })).status, 204);
    for (const t of seen) assert.ok(!t.includes(SECRET));
    assert.ok(!s.logs.includes(SECRET));
  } finally {
    await s.stop();
    s.cleanup();
  }
});

test('permissions: backups.create is named when missing; a role scoped to another application reaches none of these backups', async () => {
  const s = await startWharf({ args: WHARF_ARGS });
  try {
    const ctx = await setup(s, 'perm', 'billing', 'billing data\n');
    const other = await call(s, 'POST', `${ctx.O}/applications`, { token: ctx.u.token, body: { name: 'other-app', server_id: ctx.server.id } });
    assert.equal(other.status, 201, other.text);
    const reader = await memberWithRole(s.url, ctx.u, 'reader', { applications: { read: true }, services: { read: true }, backups: { read: true }, backupStorage: { read: true } });
    const r = await call(s, 'POST', `${ctx.B}/backups`, { token: reader.token, body: { storage: 'internal' } });
    assert.equal(r.status, 403, r.text);
    assert.equal(r.json.error.details.permission, 'backups.create');
    assert.match(r.json.error.message, /backups\.create/);
    assert.equal((await call(s, 'GET', `${ctx.B}/backups`, { token: reader.token })).status, 200);
    const sch = await call(s, 'PUT', `${ctx.B}/backup-schedule`, { token: reader.token, body: { frequency: 'daily' } });
    assert.equal(sch.status, 403);
    assert.equal(sch.json.error.details.permission, 'backups.update');

    const scoped = await memberWithRole(s.url, ctx.u, 'scoped', {
      applications: { read: true }, services: { read: true, update: true },
      backups: { create: true, read: true, update: true, delete: true } }, { resource_scope: { applications: [other.json.id] } });
    const made = await call(s, 'POST', `${ctx.B}/backups`, { token: ctx.u.token, body: { storage: 'internal' } });
    assert.equal(made.status, 202, made.text);
    await waitJob(s, ctx.O, ctx.u.token, made.json.job.id);
    for (const [method, p] of [['GET', `${ctx.B}/backups`], ['POST', `${ctx.B}/backups`], ['GET', `${ctx.B}/backups/${made.json.id}`],
      ['POST', `${ctx.B}/backups/${made.json.id}/restore`], ['DELETE', `${ctx.B}/backups/${made.json.id}`],
      ['GET', `${ctx.B}/backups/${made.json.id}/download`], ['PUT', `${ctx.B}/backup-schedule`]]) {
      const x = await call(s, method, p, { token: scoped.token, body: method === 'PUT' ? { frequency: 'daily' } : (method === 'POST' ? {} : undefined) });
      assert.ok([403, 404].includes(x.status), `${method} ${p}: ${x.status} ${x.text}`);
    }
    assert.equal((await call(s, 'GET', `${ctx.B}/backups/${made.json.id}`, { token: ctx.u.token })).status, 200, 'still there');
    await call(s, 'DELETE', `${ctx.B}/backups/${made.json.id}`, { token: ctx.u.token });
  } finally {
    await s.stop();
    s.cleanup();
  }
});

test('a backup that succeeds or fails is one signed notification naming the service, the layer and a fix', async () => {
  const s = await startWharf({ args: WHARF_ARGS });
  const rx = await startReceiver();
  try {
    const ctx = await setup(s, 'ntf', 'ledger', crypto.randomBytes(64 << 10));
    const ch = await call(s, 'POST', `${ctx.O}/notification-channels`, { token: ctx.u.token, body: { name: 'backups', type: 'webhook', url: `${rx.url}/b` } });
    assert.equal(ch.status, 201, ch.text);
    rx.sign('/b', ch.json.signing_secret);
    assert.equal((await call(s, 'POST', `${ctx.O}/notification-channels/${ch.json.id}/test`, { token: ctx.u.token })).json.ok, true);
    const rule = await call(s, 'POST', `${ctx.O}/notification-rules`, { token: ctx.u.token, body: { events: ['backup.succeeded', 'backup.failed'], channel_ids: [ch.json.id], application_ids: [ctx.app.id] } });
    assert.equal(rule.status, 201, rule.text);
    const { backup } = await backUp(s, ctx, { backup_storage_id: ctx.storage.id });
    const ok = await rx.waitFor((m) => m.json?.type === 'backup.succeeded');
    assert.equal(ok.verified, true, ok.verifyError);
    assert.equal(ok.json.data.service, 'ledger');
    assert.match(ok.json.data.message, new RegExp(backup.id));
    node.dokkuFail('postgres:export', 'dump failed: disk I/O error');
    const bad = await call(s, 'POST', `${ctx.B}/backups`, { token: ctx.u.token, body: { backup_storage_id: ctx.storage.id } });
    assert.equal(bad.status, 202, bad.text);
    await waitJob(s, ctx.O, ctx.u.token, bad.json.job.id);
    node.dokkuFail('postgres:export', null);
    const failed = await rx.waitFor((m) => m.json?.type === 'backup.failed');
    assert.equal(failed.json.data.layer, 'ssh');
    assert.match(failed.json.data.message, /disk I\/O error/);
    assert.ok(failed.json.data.fix.length > 10);
    assert.ok(failed.json.data.url.endsWith(`/services/${ctx.db.id}/backups`));
    for (const m of rx.got) assert.ok(!m.body.includes(SECRET), 'a message holds the storage secret');
  } finally {
    await s.stop();
    s.cleanup();
    await rx.stop();
  }
});
