// The support bundle: org slug, version, time window, matching request ids and log lines, audit
// events, diagnose results and redacted configuration, and no secret anywhere in it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
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
  assert.equal(config.email, 'enabled');
  // The notification thresholds an Admin sees the effects of.
  assert.equal(config.certificate_alert_days, 14);
  assert.equal(config.certificate_check_interval_seconds, 21600);
  assert.equal(config.disk_low_alert_mb, 10240);
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

async function bundle(base, who, body) {
  const r = await fetch(`${base}/api/v1/orgs/${who.org.slug}/support-bundle`, { method: 'POST',
    headers: { authorization: `Bearer ${who.token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  assert.equal(r.status, 200);
  return untar(Buffer.from(await r.arrayBuffer()));
}

// Regression (issue 15-5): request ids were a boot time plus a counter, and the bundle took any log
// line whose request_id was listed, so an Admin of org B pulled org A's lines (user ids, client IPs).
test('org B asking for org A\'s request ids gets none of A\'s lines, and no instance internals', async () => {
  const A = `/api/v1/orgs/${ada.org.slug}`;
  const bad = await api(s.url, 'POST', `${A}/servers`, { token: ada.token, body: { name: '' } });
  assert.equal(bad.status, 400);
  const made = await api(s.url, 'POST', `${A}/roles`, { token: ada.token, body: { name: 'ops-auditor', permissions: { servers: { read: true } } } });
  assert.equal(made.status, 201, made.text);
  const reqA = [bad.json.error.request_id, made.headers.get('x-request-id')];
  // Ids are random: consecutive ones share no prefix (they were boot time + counter).
  assert.match(reqA[1], /^req_[0-9a-f]{24}$/);
  assert.notEqual(reqA[0].slice(0, 12), reqA[1].slice(0, 12));

  const bea = await signup(s.url, 'bea');
  await api(s.url, 'POST', `/api/v1/orgs/${bea.org.slug}/roles`, { token: bea.token, body: { name: 'b-role', permissions: { servers: { read: true } } } });
  const b = await bundle(s.url, bea, { since_minutes: 60, request_ids: reqA });
  for (const id of reqA) assert.ok(!b['logs.jsonl'].includes(id), `org A's request ${id} is in org B's bundle`);
  assert.ok(!b['logs.jsonl'].includes(ada.org.id) && !b['logs.jsonl'].includes(ada.user.id));
  const linesB = b['logs.jsonl'].split('\n').filter(Boolean).map((l) => JSON.parse(l));
  assert.ok(linesB.length > 0, 'org B\'s own requests are in');
  for (const l of linesB) assert.equal(l.org_id, bea.org.id, JSON.stringify(l));

  // Org A's own bundle holds those lines, each tagged with A.
  const a = await bundle(s.url, ada, { since_minutes: 60, request_ids: reqA });
  for (const id of reqA) assert.ok(a['logs.jsonl'].includes(id), `org A's request ${id} is missing from A's bundle`);
  for (const l of a['logs.jsonl'].split('\n').filter(Boolean)) assert.equal(JSON.parse(l).org_id, ada.org.id);

  // What an org Admin sees of the instance: no paths, database, listen address, SMTP host or flags.
  const config = JSON.parse(b['config.json']);
  for (const k of ['data_dir', 'listen', 'smtp', 'extra_ca_file', 'replica_id', 'aws_endpoint_override', 'job_workers'])
    assert.ok(!(k in config), `config.json shows ${k}`);
  const all = Object.values(b).join('\n');
  assert.ok(!all.includes(s.dataDir) && !all.includes(os.tmpdir() + '/wharf-e2e'), 'a data directory path is in the bundle');
  assert.ok(!all.includes('mailer@') && !all.includes('postgres://'));
});

// Regression (issue 23-8): wharf.log was never rotated and the bundle parsed all of it.
test('wharf.log rotates at --log-max-mib and the bundle reads a bounded tail', async () => {
  const w = await startWharf({ args: ['--log-max-mib', '1', '--log-max-files', '2', '--log-level', 'debug'] });
  try {
    const u = await signup(w.url, 'rot');
    const O = `/api/v1/orgs/${u.org.slug}`;
    // ~250 bytes of debug log per org-scoped GET: about 4 MiB in all.
    for (let i = 0; i < 170; i++) {
      await Promise.all(Array.from({ length: 100 }, () => fetch(`${w.url}${O}/roles`, { headers: { authorization: `Bearer ${u.token}` } }).then((r) => r.arrayBuffer())));
    }
    const log = path.join(w.dataDir, 'wharf.log');
    assert.ok(statSync(log).size <= (1 << 20), `wharf.log is ${statSync(log).size} bytes`);
    for (const n of [1, 2]) assert.ok(existsSync(path.join(w.dataDir, `wharf.${n}.log`)), `wharf.${n}.log is missing`);
    assert.ok(!existsSync(path.join(w.dataDir, 'wharf.3.log')), 'only --log-max-files rotated files are kept');
    const t0 = Date.now();
    const b = await bundle(w.url, u, { since_minutes: 60 });
    const ms = Date.now() - t0;
    // The tail is twice --log-max-mib: the newest 2 MiB of the org's ~4 MiB of lines.
    assert.ok(b['logs.jsonl'].length <= (2 << 20), `logs.jsonl is ${b['logs.jsonl'].length} bytes`);
    assert.ok(b['logs.jsonl'].length > (1 << 20), 'the rotated file\'s tail is read too');
    console.log(`bundle over 3 rotated 1 MiB logs: ${b['logs.jsonl'].length} bytes of lines in ${ms} ms`);
  } finally { await w.stop(); w.cleanup(); }
});
