// Secrets bound to their destination (docs/security.md): a member who may update an integration
// but never read its write-only secret points it at their own listener. Without the secret in the
// same request the change is refused (400 naming the secret field) and the listener receives
// nothing, not even through a later verify; with it, the change is saved and the row is
// unverified. The audit event names the fields changed, never a value. Also: an integration
// endpoint that answers with an endless body is cut off with an error naming its layer.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { startWharf, api, signup, memberWithRole } from './lib/harness.mjs';

const SECRETS = {
  password: 'registry-Pass-77aa10',
  token: 'gitea-Token-1e2d3c4b5a',
  s3: 'S3secretKEYforTHEbackupSTORAGE0123456789',
  aws: 'AWSsecretKEY0123456789abcdefghijABCDEFGH',
};
let s, ada, mallory, origin, attacker, endless;
const O = () => `/api/v1/orgs/${ada.org.slug}`;
const seen = [];

// The original destination: an HTTP server that records each request's URL and answers 500.
function startRecorder() {
  const urls = [];
  const srv = http.createServer((req, res) => {
    urls.push(req.url);
    req.resume();
    res.writeHead(500, { 'content-type': 'text/plain' }).end('no');
  });
  return new Promise((resolve) => srv.listen(0, '127.0.0.1', () => resolve({
    port: srv.address().port, urls, stop: () => new Promise((r) => { srv.closeAllConnections(); srv.close(r); }),
  })));
}

// The attacker's listener: counts every TCP connection and the bytes it receives.
function startCounter() {
  const st = { connections: 0, bytes: 0 };
  const sockets = new Set();
  const srv = net.createServer((sock) => {
    st.connections++;
    sockets.add(sock);
    sock.on('data', (d) => { st.bytes += d.length; });
    sock.on('error', () => {});
    sock.on('close', () => sockets.delete(sock));
  });
  return new Promise((resolve) => srv.listen(0, '127.0.0.1', () => resolve({
    port: srv.address().port, st,
    stop: () => new Promise((r) => { for (const x of sockets) x.destroy(); srv.close(r); }),
  })));
}

// Answers every request with 200 and a body that never ends (64 KiB chunks while the peer reads).
function startEndless() {
  const st = { sent: 0 };
  const srv = http.createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json' });
    const chunk = Buffer.alloc(65536, 'a');
    const pump = () => {
      while (!res.destroyed && res.write(chunk)) st.sent += chunk.length;
      if (!res.destroyed) res.once('drain', pump);
    };
    res.on('error', () => {});
    pump();
  });
  return new Promise((resolve) => srv.listen(0, '127.0.0.1', () => resolve({
    port: srv.address().port, st, stop: () => new Promise((r) => { srv.closeAllConnections(); srv.close(r); }),
  })));
}

async function call(method, p, body, token = ada.token) {
  const r = await api(s.url, method, p, { token, body });
  seen.push(r.text);
  return r;
}

// The newest audit event with `action` on `id`.
async function auditOf(action, id) {
  const r = await call('GET', `${O()}/audit?limit=200`);
  assert.equal(r.status, 200, r.text);
  return r.json.items.find((e) => e.action === action && e.resource_id === id);
}

before(async () => {
  origin = await startRecorder();
  attacker = await startCounter();
  endless = await startEndless();
  s = await startWharf({ args: ['--aws-endpoint-override', `http://127.0.0.1:${origin.port}/{service}/{region}`] });
  ada = await signup(s.url, 'ada');
  const ru = { read: true, update: true };
  mallory = await memberWithRole(s.url, ada, 'mallory', { dockerRegistries: ru, gitProviders: ru, backupStorage: ru,
    cloudProviderAccounts: ru });
});
after(async () => {
  await s?.stop(); s?.cleanup();
  await origin?.stop(); await attacker?.stop(); await endless?.stop();
});

const ORIGIN = () => `127.0.0.1:${origin.port}`;
const EVIL = () => `127.0.0.1:${attacker.port}`;

// Refused without the secret: 400 naming it, nothing saved, nothing sent to the attacker.
async function refused(path, body, secretField, changed) {
  const r = await call('PATCH', path, body, mallory.token);
  assert.equal(r.status, 400, r.text);
  assert.equal(r.json.error.code, 'validation_failed');
  assert.equal(r.json.error.details.fields[secretField], `required when ${changed} changes`, r.text);
  assert.match(r.json.error.message, /only to the destination it was given for/);
}

test('docker registry: a new host needs the password again; the attacker\'s listener gets nothing', async () => {
  const reg = await call('POST', `${O()}/docker-registries`, { name: 'r', host: ORIGIN(), username: 'alice', password: SECRETS.password });
  assert.equal(reg.status, 201, reg.text);
  const path = `${O()}/docker-registries/${reg.json.id}`;
  await refused(path, { host: EVIL() }, 'password', 'host');
  assert.equal((await call('GET', path)).json.host, ORIGIN());
  // Verify by the same member still goes only to the original host.
  const v = await call('POST', `${path}/verify`, { image: `${ORIGIN()}/team/app:v1` }, mallory.token);
  assert.equal(v.status, 200, v.text);
  assert.ok(origin.urls.some((u) => u.startsWith('/v2/')), 'the original registry was asked');
  const elsewhere = await call('POST', `${path}/verify`, { image: `${EVIL()}/team/app:v1` }, mallory.token);
  assert.equal(elsewhere.json.checks[0].name, 'host_match');
  assert.equal(elsewhere.json.checks[0].status, 'failed');
  assert.deepEqual(attacker.st, { connections: 0, bytes: 0 }, 'nothing reached the new host');
  // With the password given again the change is saved, unverified, and audited by field name.
  const ok = await call('PATCH', path, { host: EVIL(), password: 'mallorys-own-password' }, mallory.token);
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.json.host, EVIL());
  assert.equal(ok.json.verified, false);
  const ev = await auditOf('dockerRegistries.update', reg.json.id);
  assert.match(ev.detail, /changed: .*host/);
  assert.match(ev.detail, /secrets given again: password/);
  assert.ok(!ev.detail.includes(EVIL()) && !ev.detail.includes('mallorys-own-password'), ev.detail);
  // A rename alone needs no secret.
  const rename = await call('PATCH', path, { name: 'renamed' }, mallory.token);
  assert.equal(rename.status, 200, rename.text);
});

test('git provider (token host): a new base_url needs the token again; nothing reaches the new host', async () => {
  const g = await call('POST', `${O()}/git-providers`, { name: 'gitea', type: 'gitea', base_url: `https://${ORIGIN()}`,
    username: 'alice', token: SECRETS.token, webhook_secret: 'hook-secret-1' });
  assert.equal(g.status, 201, g.text);
  const path = `${O()}/git-providers/${g.json.id}`;
  await refused(path, { base_url: `https://${EVIL()}` }, 'token', 'base_url');
  // A new webhook secret is not the token: still refused.
  await refused(path, { base_url: `https://${EVIL()}`, webhook_secret: 'x-1' }, 'token', 'base_url');
  const v = await call('POST', `${path}/verify`, { repository: 'acme/shop', branch: 'main' }, mallory.token);
  assert.equal(v.status, 200, v.text);
  assert.equal(attacker.st.connections, 0, 'nothing reached the new base_url');
  const ok = await call('PATCH', path, { base_url: `https://${EVIL()}`, token: 'mallorys-token-123' }, mallory.token);
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.json.verified, false);
  assert.match((await auditOf('gitProviders.update', g.json.id)).detail, /changed: base_url.*secrets given again: token/);
});

test('git provider (GitHub App): a new api_url or app_id needs the private key again', async () => {
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs1', format: 'pem' });
  const g = await call('POST', `${O()}/git-providers`, { name: 'app', type: 'github_app', api_url: `https://${ORIGIN()}/api/v3`,
    app_id: '1234', installation_id: '99', private_key: pem, webhook_secret: 'hook-secret-2' });
  assert.equal(g.status, 201, g.text);
  const path = `${O()}/git-providers/${g.json.id}`;
  await refused(path, { api_url: `https://${EVIL()}/api/v3` }, 'private_key', 'api_url');
  await refused(path, { app_id: '4321' }, 'private_key', 'app_id');
  assert.equal(attacker.st.connections, 0);
  const ok = await call('PATCH', path, { app_id: '4321', private_key: pem }, mallory.token);
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.json.app_id, '4321');
  assert.equal(ok.json.verified, false);
});

test('backup storage: a new endpoint, bucket or region needs the secret key again; dumps cannot be redirected', async () => {
  const b = await call('POST', `${O()}/backup-storage`, { name: 'b', endpoint: `http://${ORIGIN()}`, region: 'us-east-1',
    bucket: 'acme-backups', access_key_id: 'AKIAORIGINAL000000001', secret_access_key: SECRETS.s3 });
  assert.equal(b.status, 201, b.text);
  const path = `${O()}/backup-storage/${b.json.id}`;
  await refused(path, { endpoint: `http://${EVIL()}` }, 'secret_access_key', 'endpoint');
  await refused(path, { bucket: 'mallory-bucket' }, 'secret_access_key', 'bucket');
  await refused(path, { region: 'eu-west-1' }, 'secret_access_key', 'region');
  const before = origin.urls.length;
  const v = await call('POST', `${path}/verify`, undefined, mallory.token);
  assert.equal(v.status, 200, v.text);
  assert.ok(origin.urls.length > before, 'verify went to the original endpoint');
  assert.ok(origin.urls.slice(before).every((u) => u.startsWith('/acme-backups')), origin.urls.join(' '));
  assert.equal(attacker.st.connections, 0, 'nothing reached the new endpoint');
  const ok = await call('PATCH', path, { endpoint: `http://${EVIL()}`, secret_access_key: 'mallorysOwnSecretKey' }, mallory.token);
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.json.verified, false);
  assert.match((await auditOf('backupStorage.update', b.json.id)).detail, /changed: endpoint.*secrets given again: secret_access_key/);
});

test('cloud account: a new region needs the secret access key again; verify still signs for the old region', async () => {
  const c = await call('POST', `${O()}/cloud-accounts`, { name: 'aws', provider: 'aws', access_key_id: 'AKIAABCDEFGHIJKLMNOP',
    secret_access_key: SECRETS.aws, region: 'us-east-1' });
  assert.equal(c.status, 201, c.text);
  const path = `${O()}/cloud-accounts/${c.json.id}`;
  await refused(path, { region: 'eu-west-1' }, 'secret_access_key', 'region');
  const before = origin.urls.length;
  const v = await call('POST', `${path}/verify`, undefined, mallory.token);
  assert.equal(v.status, 200, v.text);
  const asked = origin.urls.slice(before);
  assert.ok(asked.length > 0);
  assert.ok(asked.every((u) => u.includes('/us-east-1')), asked.join(' '));
  const ok = await call('PATCH', path, { region: 'eu-west-1', secret_access_key: SECRETS.aws }, mallory.token);
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.json.region, 'eu-west-1');
  assert.equal(ok.json.verified, false);
});

test('an endpoint that sends an endless body is cut off with an error naming its layer; the server stays up', async () => {
  const reg = await call('POST', `${O()}/docker-registries`, { name: 'endless', host: `127.0.0.1:${endless.port}`,
    username: 'u', password: 'p' });
  assert.equal(reg.status, 201, reg.text);
  const v = await call('POST', `${O()}/docker-registries/${reg.json.id}/verify`, { image: `127.0.0.1:${endless.port}/a/b:1` });
  assert.equal(v.status, 200, v.text);
  const failed = v.json.checks.find((c) => c.status === 'failed');
  assert.match(failed.message, /larger than 4096 KiB, more than Wharf reads from a registry endpoint/);
  assert.ok(endless.st.sent < 64 << 20, `Wharf stopped reading early (${endless.st.sent} bytes sent)`);
  const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${s.proc.pid}/status`, 'utf8'))[1]);
  assert.ok(rss < 512 * 1024, `resident memory ${rss} KiB`);
  assert.equal((await api(s.url, 'GET', '/healthz')).status, 200);
});

test('no secret appears in any answer', () => {
  const all = seen.join('\n');
  for (const v of [...Object.values(SECRETS), 'mallorys-own-password', 'mallorys-token-123', 'mallorysOwnSecretKey'])
    assert.ok(!all.includes(v), `${v} leaked`);
});
