// Backup storage (S3-compatible) against a real s3rver on 127.0.0.1, behind the SigV4-verifying
// front of lib/s3.mjs (AWS's own @aws-sdk/signature-v4 recomputes every signature). Covers the
// failure matrix a verify must tell apart, the multipart client (through the s3_roundtrip test
// tool), diagnose, and that no secret ever comes back or reaches the log.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startWharf, api, signup, memberWithRole, databaseBytes, freePort, WHARF_BIN } from './lib/harness.mjs';
import { startS3 } from './lib/s3.mjs';
import { cliUser } from './lib/cli.mjs';

const REGION = 'eu-central-1';
const GOOD = 'good-secret-wJalrXUtnFEMI-K7MDENG';
const NODEL = 'nodelete-secret-bPxRfiCYEXAMPLEKEY';
const WRONG = 'wrong-secret-000000000000000000';
const ROUNDTRIP = path.resolve(path.dirname(WHARF_BIN), '../integrations/s3_roundtrip');
let s, s3, ada;
const seen = [];
const O = () => `/api/v1/orgs/${ada.org.slug}`;
async function call(method, p, body, token = ada.token) {
  const r = await api(s.url, method, p, { token, body });
  seen.push(r.text);
  return r;
}
const body = (extra = {}) => ({ name: 'backups', endpoint: s3.endpoint, region: REGION, bucket: 'backups',
  prefix: 'wharf/db', access_key_id: 'AKIDGOOD', secret_access_key: GOOD, ...extra });
const checks = (r) => r.json.checks.map((c) => [c.name, c.status]);
const check = (r, name) => r.json.checks.find((c) => c.name === name);

before(async () => {
  s3 = await startS3({ region: REGION, buckets: ['backups'], keys: {
    AKIDGOOD: { secret: GOOD },
    AKIDNODELETE: { secret: NODEL, deny: ['s3:DeleteObject'] },
  } });
  s = await startWharf();
  ada = await signup(s.url, 'ada');
});
after(async () => { await s?.stop(); s?.cleanup(); await s3?.stop(); });

let good;
test('create: secret write-only, separate from AWS compute keys, validated, duplicates name the existing record', async () => {
  const r = await call('POST', `${O()}/backup-storage`, body());
  assert.equal(r.status, 201, r.text);
  good = r.json;
  assert.deepEqual(good.secret_access_key, { set: true });
  assert.equal(good.endpoint, s3.endpoint);
  assert.equal(good.endpoint_url, s3.endpoint);
  assert.equal(good.prefix, 'wharf/db/', 'a prefix is a folder: the trailing / is added');
  assert.equal(good.path_style, true, 'custom endpoints default to path-style addressing');
  assert.equal(good.access_key_id, 'AKIDGOOD');
  assert.equal(good.verified, false);
  assert.match(good.note, /separate from the AWS compute keys of cloud accounts/);
  const aws = await call('POST', `${O()}/backup-storage`, body({ name: 'aws', endpoint: '', region: 'us-west-2', bucket: 'acme-backups' }));
  assert.equal(aws.status, 201, aws.text);
  assert.equal(aws.json.endpoint, '');
  assert.equal(aws.json.endpoint_url, 'https://s3.us-west-2.amazonaws.com', 'a blank endpoint means AWS S3');
  assert.equal(aws.json.path_style, false, 'AWS defaults to virtual-host addressing');
  const dotted = await call('POST', `${O()}/backup-storage`, body({ name: 'dotted', endpoint: '', bucket: 'acme.backups' }));
  assert.equal(dotted.json.path_style, true, 'dotted AWS bucket names need path style (TLS)');
  for (const id of [aws.json.id, dotted.json.id]) assert.equal((await call('DELETE', `${O()}/backup-storage/${id}`)).status, 204);

  const dup = await call('POST', `${O()}/backup-storage`, body({ name: 'again', prefix: '/wharf/db/', secret_access_key: 'other' }));
  assert.equal(dup.status, 409, dup.text);
  assert.match(dup.json.error.message, /already connected .*Backup storage 'backups' \(bst_/);
  assert.equal(dup.json.error.details.existing.id, good.id);
  const otherPrefix = await call('POST', `${O()}/backup-storage`, body({ name: 'other-prefix', prefix: 'elsewhere' }));
  assert.equal(otherPrefix.status, 201, 'the same key on another prefix is another record');
  await call('DELETE', `${O()}/backup-storage/${otherPrefix.json.id}`);

  for (const [b, field, says] of [
    [body({ bucket: 'Bad_Bucket' }), 'bucket', /lower-case letters, digits/],
    [body({ bucket: 'ab' }), 'bucket', /3 to 63/],
    [body({ bucket: '192.168.1.1' }), 'bucket', /IP address/],
    [body({ prefix: 'a//b' }), 'prefix', /\/\//],
    [body({ prefix: 'a/../b' }), 'prefix', /'\.\.'/],
    [body({ endpoint: 'ftp://x' }), 'endpoint', /https:\/\//],
    [body({ endpoint: `${s3.endpoint}/backups` }), 'endpoint', /without a path/],
    [body({ region: '' }), 'region', /required/],
    [body({ access_key_id: 'has/slash/secret-looking' }), 'access_key_id', /not the secret/],
    [body({ secret_access_key: undefined }), 'secret_access_key', /required/],
    [body({ secret_access_key: 'with space' }), 'secret_access_key', /spaces/],
    [body({ path_style: 'yes' }), 'path_style', /./],
    [body({ extra: 1 }), 'extra', /./],
  ]) {
    const bad = await call('POST', `${O()}/backup-storage`, b);
    assert.equal(bad.status, 400, `${field}: ${bad.text}`);
    assert.match(bad.json.error.details.fields[field] || '', says, `${field}: ${bad.text}`);
  }
  const list = await call('GET', `${O()}/backup-storage`);
  assert.deepEqual(list.json.items.map((x) => x.id), [good.id]);
});

test('a good key verifies: write, read (content compared), list (probe found), delete; all signed and checked', async () => {
  const before = s3.requests.length;
  const r = await call('POST', `${O()}/backup-storage/${good.id}/verify`);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.ok, true, r.text);
  assert.deepEqual(checks(r), [['write', 'passed'], ['read', 'passed'], ['list', 'passed'], ['delete', 'passed']]);
  assert.match(r.json.probe_key, /^wharf\/db\/\.wharf-verify-probe_/);
  const reqs = s3.requests.slice(before);
  assert.deepEqual(reqs.map((q) => [q.method, q.op, q.status]),
    [['PUT', 's3:PutObject', 200], ['GET', 's3:GetObject', 200], ['GET', 's3:ListBucket', 200], ['DELETE', 's3:DeleteObject', 204]]);
  assert.ok(reqs.every((q) => q.signature_ok && q.key_id === 'AKIDGOOD'), 'the front checked every signature');
  assert.match(reqs[2].query, /list-type=2/);
  assert.deepEqual(await s3.listStored('backups', 'wharf/'), [], 'the probe was deleted');
  const row = (await call('GET', `${O()}/backup-storage/${good.id}`)).json;
  assert.equal(row.verified, true);
  assert.ok(row.last_verified_at);
  assert.equal(row.last_error, null);
});

test('a wrong secret is SignatureDoesNotMatch on the write step, layer backup_storage; the rest is skipped', async () => {
  assert.equal((await call('PATCH', `${O()}/backup-storage/${good.id}`, { secret_access_key: WRONG })).status, 200);
  const r = await call('POST', `${O()}/backup-storage/${good.id}/verify`);
  assert.equal(r.json.ok, false);
  assert.deepEqual(checks(r), [['write', 'failed'], ['read', 'skipped'], ['list', 'skipped'], ['delete', 'skipped']]);
  const w = check(r, 'write');
  assert.equal(w.layer, 'backup_storage');
  assert.match(w.message, /secret access key does not match access key id 'AKIDGOOD' \(SignatureDoesNotMatch\)/);
  assert.match(w.fix, /Paste the secret access key again/);
  assert.equal(s3.requests.at(-1).code, 'SignatureDoesNotMatch', 'the front computed another signature');
  const row = (await call('GET', `${O()}/backup-storage/${good.id}`)).json;
  assert.equal(row.verified, false);
  assert.deepEqual([row.last_error.check, row.last_error.layer], ['write', 'backup_storage']);
  assert.equal((await call('PATCH', `${O()}/backup-storage/${good.id}`, { secret_access_key: GOOD })).status, 200);
  assert.equal((await call('POST', `${O()}/backup-storage/${good.id}/verify`)).json.ok, true);
});

async function verifyUnsaved(extra) {
  const r = await call('POST', `${O()}/backup-storage/test`, body(extra));
  assert.equal(r.status, 200, r.text);
  return r;
}

test('an unknown access key id is InvalidAccessKeyId', async () => {
  const r = await verifyUnsaved({ access_key_id: 'AKIDUNKNOWN' });
  assert.equal(r.json.ok, false);
  const w = check(r, 'write');
  assert.equal(w.layer, 'backup_storage');
  assert.match(w.message, /does not know access key id 'AKIDUNKNOWN' \(InvalidAccessKeyId\)/);
  assert.match(w.fix, /AWS compute \(cloud-accounts\) keys are separate/);
});

test('a missing bucket is NoSuchBucket', async () => {
  const r = await verifyUnsaved({ bucket: 'no-such-bucket' });
  const w = check(r, 'write');
  assert.equal(w.status, 'failed');
  assert.equal(w.layer, 'backup_storage');
  assert.match(w.message, /the bucket 'no-such-bucket' does not exist at http:\/\/127\.0\.0\.1:\d+ .*NoSuchBucket/);
  assert.deepEqual(checks(r).slice(1).map((c) => c[1]), ['skipped', 'skipped', 'skipped']);
});

test('a key that may not delete: write, read and list pass, delete fails AccessDenied naming s3:DeleteObject', async () => {
  const created = await call('POST', `${O()}/backup-storage`, body({ name: 'nodelete', access_key_id: 'AKIDNODELETE', secret_access_key: NODEL }));
  assert.equal(created.status, 201, created.text);
  const r = await call('POST', `${O()}/backup-storage/${created.json.id}/verify`);
  assert.equal(r.json.ok, false);
  assert.deepEqual(checks(r), [['write', 'passed'], ['read', 'passed'], ['list', 'passed'], ['delete', 'failed']]);
  const d = check(r, 'delete');
  assert.equal(d.layer, 'backup_storage');
  assert.match(d.message, /may not delete in bucket 'backups' \(DeleteObject: HTTP 403 AccessDenied/);
  assert.match(d.message, /was left in the bucket; delete it by hand/);
  assert.match(d.fix, /Allow s3:DeleteObject on arn:aws:s3:::backups\/<prefix>\*/);
  assert.deepEqual(await s3.listStored('backups', 'wharf/'), [r.json.probe_key], 'the probe really is still there');
  const row = (await call('GET', `${O()}/backup-storage/${created.json.id}`)).json;
  assert.equal(row.last_error.check, 'delete');
  // Only verified storage may be used for external backups: this one is refused with the seed's wording.
  // (RequireVerifiedBackupStorage is also unit-tested in services_test.)
  // diagnose leads with the failing item and names the layer.
  const dg = await call('POST', `${O()}/diagnose`, { backup_storage_id: created.json.id });
  assert.equal(dg.status, 200, dg.text);
  assert.equal(dg.json.layer, 'backup_storage');
  assert.equal(dg.json.subject, 'backup_storage');
  assert.deepEqual([dg.json.checklist[0].name, dg.json.checklist[0].status], ['delete', 'failed']);
  assert.match(dg.json.checklist[0].fix, /s3:DeleteObject/);
  assert.ok(dg.json.checklist.some((c) => c.name === 'separate_from_aws_compute'));
  assert.equal(dg.json.page, 'docs/troubleshooting/integrations.md');
  await call('DELETE', `${O()}/backup-storage/${created.json.id}`);
});

test('a wrong endpoint (nothing listening) is layer network, with the endpoint fix', async () => {
  const port = await freePort();
  const r = await verifyUnsaved({ endpoint: `http://127.0.0.1:${port}` });
  const w = check(r, 'write');
  assert.equal(w.status, 'failed');
  assert.equal(w.layer, 'network');
  assert.match(w.message, new RegExp(`no answer from http://127\\.0\\.0\\.1:${port}`));
  assert.match(w.fix, /Check the endpoint URL/);
  assert.deepEqual(checks(r).slice(1).map((c) => c[1]), ['skipped', 'skipped', 'skipped']);
});

test('a wrong region is told apart: AuthorizationHeaderMalformed names the bucket region', async () => {
  const r = await verifyUnsaved({ region: 'us-east-1' });
  const w = check(r, 'write');
  assert.equal(w.layer, 'backup_storage');
  assert.match(w.message, /wrong region: requests are signed for 'us-east-1'/);
  assert.match(w.message, /AuthorizationHeaderMalformed/);
  assert.equal(w.fix, `Set the region to '${REGION}'.`);
  // diagnose on a saved row whose region is wrong: the failing item first.
  const row = await call('POST', `${O()}/backup-storage`, body({ name: 'wrong-region', region: 'us-east-1', prefix: 'wr' }));
  const dg = await call('POST', `${O()}/diagnose`, { backup_storage_id: row.json.id });
  assert.equal(dg.json.layer, 'backup_storage');
  assert.deepEqual([dg.json.checklist[0].name, dg.json.checklist[0].status], ['write', 'failed']);
  assert.match(dg.json.checklist[0].evidence, /wrong region/);
  await call('DELETE', `${O()}/backup-storage/${row.json.id}`);
});

test('test on an unsaved body saves nothing', async () => {
  const r = await verifyUnsaved({ name: undefined, prefix: 'unsaved' });
  assert.equal(r.json.ok, true, r.text);
  assert.deepEqual((await call('GET', `${O()}/backup-storage`)).json.items.map((x) => x.id), [good.id]);
});

function roundtrip(args, secret = GOOD) {
  return new Promise((resolve) => execFile(ROUNDTRIP, args, { env: { S3_SECRET_ACCESS_KEY: secret } }, (e, stdout, stderr) =>
    resolve({ code: e ? e.code : 0, out: stdout ? JSON.parse(stdout) : null, stderr })));
}

test('multipart: a 12 MiB stream goes up in 5 MiB parts through the verifying front and comes back identical', async () => {
  const before = s3.requests.length;
  const r = await roundtrip([s3.endpoint, REGION, 'backups', 'AKIDGOOD', 'wharf/db/multipart.bin', '12', '5']);
  assert.equal(r.code, 0, r.stderr + JSON.stringify(r.out));
  assert.equal(r.out.size, 12 * 1024 * 1024);
  assert.equal(r.out.parts, 3);
  assert.equal(r.out.sha256_down, r.out.sha256_up, 'the same content hash after the round trip');
  assert.ok(r.out.etag, 'CompleteMultipartUpload answered an ETag');
  const reqs = s3.requests.slice(before);
  assert.deepEqual(reqs.map((q) => `${q.method} ${q.query.replace(/uploadId=[0-9a-f]+/, 'uploadId=U')}`),
    ['POST uploads', 'PUT partNumber=1&uploadId=U', 'PUT partNumber=2&uploadId=U', 'PUT partNumber=3&uploadId=U',
      'POST uploadId=U', 'GET ']);
  assert.ok(reqs.every((q) => q.signature_ok), 'every part was signed, with its payload hash checked');
  assert.deepEqual(reqs.slice(1, 4).map((q) => q.bytes), [5 << 20, 5 << 20, 2 << 20]);
  // The wrong secret fails on the first request and uploads nothing.
  const bad = await roundtrip([s3.endpoint, REGION, 'backups', 'AKIDGOOD', 'wharf/db/bad.bin', '12', '5'], WRONG);
  assert.equal(bad.code, 1);
  assert.match(bad.out.error, /CreateMultipartUpload: HTTP 403 SignatureDoesNotMatch/);
  assert.ok(!JSON.stringify(bad.out).includes(WRONG));
});

test('multipart: memory stays bounded by one part (64 MiB stream), and a failing source aborts the upload', async () => {
  const r = await roundtrip([s3.endpoint, REGION, 'backups', 'AKIDGOOD', 'wharf/db/big.bin', '64', '5']);
  assert.equal(r.code, 0, r.stderr + JSON.stringify(r.out));
  assert.equal(r.out.parts, 13);
  assert.equal(r.out.sha256_down, r.out.sha256_up);
  const grew = r.out.max_rss_kb_upload - r.out.max_rss_kb_before;
  assert.ok(grew < 24 * 1024, `uploading 64 MiB grew the peak resident memory by ${grew} KiB (one 5 MiB part plus buffers expected)`);
  const before = s3.requests.length;
  const f = await roundtrip([s3.endpoint, REGION, 'backups', 'AKIDGOOD', 'wharf/db/broken.bin', '20', '5', '7']);
  assert.equal(f.code, 1);
  assert.match(f.out.error, /the source stream failed on purpose/);
  const ops = s3.requests.slice(before).map((q) => `${q.method} ${q.op}`);
  assert.deepEqual(ops, ['POST s3:PutObject', 'PUT s3:PutObject', 'DELETE s3:AbortMultipartUpload']);
  assert.ok(!(await s3.listStored('backups', 'wharf/db/')).includes('wharf/db/broken.bin'));
});

test('a member who may only read backup storage sees the secret as {set} and cannot verify', async () => {
  const viewer = await memberWithRole(s.url, ada, 'viewer', { backupStorage: { read: true } });
  const got = await call('GET', `${O()}/backup-storage/${good.id}`, undefined, viewer.token);
  assert.equal(got.status, 200);
  assert.deepEqual(got.json.secret_access_key, { set: true });
  const v = await call('POST', `${O()}/backup-storage/${good.id}/verify`, undefined, viewer.token);
  assert.equal(v.status, 403);
  assert.equal(v.json.error.details.permission, 'backupStorage.update');
  const t = await call('POST', `${O()}/backup-storage/test`, body(), viewer.token);
  assert.equal(t.status, 403);
  assert.equal(t.json.error.details.permission, 'backupStorage.create');
});

test('without --allow-private-targets a loopback endpoint is refused', async () => {
  const strict = await startWharf({ strictTargets: true });
  try {
    const u = await signup(strict.url, 'strict');
    const r = await api(strict.url, 'POST', `/api/v1/orgs/${u.org.slug}/backup-storage`, { token: u.token, body: body() });
    assert.equal(r.status, 400);
    assert.match(r.json.error.details.fields.endpoint, /--allow-private-targets/);
  } finally { await strict.stop(); strict.cleanup(); }
});

test('CLI: wharf backup-storage add (secret on stdin) / list / show / verify / remove', async () => {
  const cli = cliUser('ada-cli');
  const env = { WHARF_URL: s.url, WHARF_TOKEN: ada.token, WHARF_ORG: ada.org.slug };
  const outputs = [];
  const run = async (args, input) => { const r = await cli.run(args, { env, input }); outputs.push(r.stdout + r.stderr); return r; };
  const add = await run(['backup-storage', 'add', 'cli-store', '--endpoint', s3.endpoint, '--region', REGION, '--bucket', 'backups',
    '--prefix', 'cli', '--access-key-id', 'AKIDNODELETE', '--secret-stdin', '-o', 'json'], `${NODEL}\n`);
  assert.equal(add.code, 0, add.stderr);
  const row = JSON.parse(add.stdout);
  assert.deepEqual(row.secret_access_key, { set: true });
  assert.equal(row.prefix, 'cli/');
  const list = await run(['backup-storage', 'list']);
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, /cli-store .*backups .*cli\/ .*AKIDNODELETE .*no/);
  const v = await run(['backup-storage', 'verify', 'cli-store']);
  assert.equal(v.code, 1, 'a failing step exits 1');
  assert.match(v.stdout, /delete +failed +backup_storage/);
  assert.match(v.stdout, /s3:DeleteObject/);
  assert.match(v.stderr, /1 step\(s\) failed for backup storage cli-store/);
  const show = await run(['backup-storage', 'show', 'cli-store']);
  assert.match(show.stdout, /Last verify failed at delete/);
  const vj = await run(['backup-storage', 'verify', row.id, '-o', 'json']);
  assert.deepEqual(JSON.parse(vj.stdout).checks.map((c) => c.status), ['passed', 'passed', 'passed', 'failed']);
  const ok = await run(['backup-storage', 'verify', good.name]);
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  // wharf doctor: the pasted seed symptom is classified, and the storage's checklist leads with the failing step.
  const doc = await run(['doctor', '--backup-storage', 'cli-store', '--error', 'External backup failed or upload denied']);
  assert.equal(doc.code, 1, doc.stdout + doc.stderr);
  assert.match(doc.stdout, /backup_storage/);
  assert.match(doc.stdout, /delete/);
  assert.match(doc.stdout, /s3:DeleteObject/);
  const docJson = await run(['doctor', '--backup-storage', 'cli-store', '--error', 'External backup failed or upload denied', '-o', 'json']);
  const dj = JSON.parse(docJson.stdout);
  assert.equal(dj.layer, 'backup_storage');
  assert.equal(dj.subject, 'backup_storage');
  assert.deepEqual([dj.checklist[0].name, dj.checklist[0].status], ['delete', 'failed']);
  const rm = await run(['backup-storage', 'remove', 'cli-store']);
  assert.equal(rm.code, 0, rm.stderr);
  assert.equal((await call('GET', `${O()}/backup-storage/${row.id}`)).status, 404);
  for (const o of outputs) assert.ok(!o.includes(NODEL) && !o.includes(GOOD), 'the CLI never prints a secret');
});

test('the secrets never appear in any response, the wharf log or the database', async () => {
  const logFile = readFileSync(path.join(s.dataDir, 'wharf.log'), 'utf8');
  const db = Buffer.from(await databaseBytes(s), 'latin1');
  assert.ok(logFile.includes('backup-storage'), 'the log file is the one in use');
  for (const secret of [GOOD, NODEL, WRONG]) {
    for (const b of seen) assert.ok(!b.includes(secret), `a response contains ${secret}`);
    assert.ok(!s.logs.includes(secret), `the wharf output contains ${secret}`);
    assert.ok(!logFile.includes(secret), `wharf.log contains ${secret}`);
    assert.ok(!db.includes(secret), `the database holds ${secret} in plain text`);
  }
  assert.ok(seen.length > 30);
});
