// Issue 5's "Done means", tried over the HTTP API as a new user would, against real components: a
// real sshd worker node with the Dokku stand-in (tests/e2e/lib/sshd.mjs), a real HTTPS
// `git http-backend` behind a token git provider (lib/git_server.mjs), and s3rver behind the
// SigV4-verifying front as the verified backup storage (lib/s3.mjs).
//
//   sign up → add and onboard the node → application → git service + postgres service →
//   variables with {{ secret(32, "…") }} and {{ db.DATABASE_URL }} → deploy, following the SSE log
//   → back the database up to the bucket → restore it.
//
// Then the same steps as a Developer role scoped (resource_scope) to another application: each is
// refused with the missing permission named (403, reason resource_scope), and the same Developer
// does every step on its own application. Last, a template deployed with `deploy: true` queues a
// deployment per created service, renaming services and rewriting {{ svc.VAR }} on the way.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { startWharf, api, signup, memberWithRole } from './lib/harness.mjs';
import { startSshd, NODE_USER } from './lib/sshd.mjs';
import { makeTestCa, startGitServer } from './lib/git_server.mjs';
import { startS3 } from './lib/s3.mjs';
import { readLog } from './lib/sse.mjs';

const GIT_TOKEN = `gitea-journey-${crypto.randomBytes(6).toString('hex')}`;
const S3_KEY = 'AKIDWHARFJOURNEY';
const S3_SECRET = `journey-s3-secret-${crypto.randomBytes(8).toString('hex')}`;
const BUCKET = 'journey-backups';
const CHARSET = 'abcdefghjkmnpqrstuvwxyz23456789';
const WHARF_ARGS = ['--node-dns-probe', 'localhost', '--min-disk-free-mb', '100'];
const sha256 = (b) => crypto.createHash('sha256').update(b).digest('hex');

let node, ca, git, repo, s3, s, ada, O, server, provider, storage;
const shop = {};  // the admin's application: {app, web, db, resolved, creds, backup}
const everything = [];  // every response body and SSE stream, to grep for secrets at the end
const revealBodies = new Set();  // the explicit reveals, the only answers allowed to hold secrets

async function call(method, p, body, token = ada.token) {
  const r = await api(s.url, method, p, { token, body });
  everything.push(r.text);
  return r;
}

// Reads an SSE log (a deployment's or a job's) to its end: the log text and the end event.
async function follow(p, token = ada.token) {
  const { text, log, end } = await readLog(`${s.url}${p}`, token);
  everything.push(text);
  return { log, end };
}

async function waitJob(id, token = ada.token, ms = 60000) {
  const t0 = Date.now();
  for (;;) {
    const j = await call('GET', `${O}/jobs/${id}`, undefined, token);
    assert.equal(j.status, 200, j.text);
    if (!['queued', 'running'].includes(j.json.status)) return j.json;
    if (Date.now() - t0 > ms) assert.fail(`job ${id} still ${j.json.status}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function stored(key) {
  const r = await fetch(`http://127.0.0.1:${s3.backendPort}/${BUCKET}/${key.split('/').map(encodeURIComponent).join('/')}`);
  return r.status === 200 ? Buffer.from(await r.arrayBuffer()) : null;
}

// The arguments of the last `dokku config:set` for `app`, decoded: {KEY: value}.
function lastConfigSet(app) {
  const calls = node.dokkuCalls().filter((c) => c[0] === 'config:set' && c.includes(app));
  assert.ok(calls.length, `config:set ran for ${app}`);
  const argv = calls[calls.length - 1];
  assert.ok(argv.includes('--encoded'), 'values are sent base64-encoded');
  const out = {};
  for (const kv of argv.slice(argv.indexOf(app) + 1)) {
    const i = kv.indexOf('=');
    const b64 = kv.slice(i + 1);
    assert.match(b64, /^[A-Za-z0-9+/]*={0,2}$/, `${kv.slice(0, i)} is sent as base64`);
    out[kv.slice(0, i)] = Buffer.from(b64, 'base64').toString('utf8');
  }
  return { argv, env: out };
}

before(async () => {
  node = await startSshd();
  ca = makeTestCa();
  git = await startGitServer({ ca, users: { alice: GIT_TOKEN } });
  repo = git.addRepo('acme/shop', ['main']);
  git.addRepo('acme/blog', ['main']);
  node.trustCa(ca.caPem);
  s3 = await startS3({ region: 'us-east-1', buckets: [BUCKET], keys: { [S3_KEY]: { secret: S3_SECRET, deny: [] } } });
  s = await startWharf({ env: { WHARF_EXTRA_CA_FILE: ca.caFile }, args: WHARF_ARGS });
});
after(async () => {
  await s?.stop(); s?.cleanup(); await git?.stop(); ca?.cleanup(); await s3?.stop(); await node?.cleanup();
});

test('a new user: sign up, onboard the node, application, git + postgres, variables, deploy, back up, restore', async () => {
  // Sign up; add the local test node and onboard it.
  ada = await signup(s.url, 'ada');
  O = `/api/v1/orgs/${ada.org.slug}`;
  const k = await call('POST', `${O}/ssh-keys`, { name: 'deploy', generate: { type: 'ed25519' } });
  assert.equal(k.status, 201, k.text);
  node.authorize(NODE_USER, (await call('GET', `${O}/ssh-keys/${k.json.id}/public-key`)).text);
  const srv = await call('POST', `${O}/servers`, { name: 'node-1', host: '127.0.0.1', port: node.port, username: NODE_USER, ssh_key_id: k.json.id });
  assert.equal(srv.status, 201, srv.text);
  server = srv.json;
  const onboard = await call('POST', `${O}/servers/${server.id}/onboard`);
  assert.equal(onboard.status, 202, onboard.text);
  const ob = await follow(`${O}/jobs/${onboard.json.job_id}/log`);
  assert.equal(ob.end.status, 'succeeded', ob.log);
  assert.match(ob.log, /Installing plugin postgres/);
  assert.match(ob.log, /Done: every check passes/);
  assert.equal((await call('GET', `${O}/servers/${server.id}`)).json.status, 'healthy');

  // A token git provider and a verified backup storage, as Integrations → … would add them.
  const gp = await call('POST', `${O}/git-providers`, { name: 'gitea', type: 'gitea', base_url: `${git.base}/git`, username: 'alice', token: GIT_TOKEN });
  assert.equal(gp.status, 201, gp.text);
  provider = gp.json;
  const st = await call('POST', `${O}/backup-storage`, { name: 's3rver', endpoint: s3.endpoint, region: 'us-east-1', bucket: BUCKET,
    prefix: 'journey/', path_style: true, access_key_id: S3_KEY, secret_access_key: S3_SECRET });
  assert.equal(st.status, 201, st.text);
  const v = await call('POST', `${O}/backup-storage/${st.json.id}/verify`);
  assert.equal(v.json.ok, true, v.text);
  storage = st.json;

  // An application on the node; a git service and a postgres service.
  const a = await call('POST', `${O}/applications`, { name: 'shop', description: 'the shop', server_id: server.id });
  assert.equal(a.status, 201, a.text);
  shop.app = a.json;
  const w = await call('POST', `${O}/applications/${shop.app.id}/services`, {
    name: 'web', type: 'app', git_provider_id: provider.id, repository: 'acme/shop', branch: 'main', port: 5000 });
  assert.equal(w.status, 201, w.text);
  assert.equal(w.json.checks.find((c) => c.name === 'git_access').status, 'passed', w.text);
  shop.web = w.json;
  const d = await call('POST', `${O}/applications/${shop.app.id}/services`, { name: 'db', type: 'database', database: { engine: 'postgres', version: '16' } });
  assert.equal(d.status, 201, d.text);
  assert.deepEqual(d.json.credentials, { set: true });
  shop.db = d.json;

  // Variables: the database URI by reference, a generated secret, plain text.
  const vars = [
    { key: 'DATABASE_URL', value: '{{ db.DATABASE_URL }}' },
    { key: 'SESSION_SECRET', value: `{{ secret(32, "${CHARSET}") }}` },
    { key: 'DB_HOST_PORT', value: '{{ db.HOST }}:{{ db.PORT }}' },
    { key: 'GREETING', value: 'hello from the journey' },
  ];
  const put = await call('PUT', `${O}/services/${shop.web.id}/variables`, { variables: vars });
  assert.equal(put.status, 200, put.text);
  assert.deepEqual(put.json.items.map((x) => x.value), vars.map((x) => x.value), 'reads show the templates as written');
  const sec = put.json.items.find((x) => x.key === 'SESSION_SECRET');
  assert.deepEqual(sec.secrets, [{ length: 32, set: true }]);
  const reveal = await call('GET', `${O}/services/${shop.web.id}/variables?reveal=true`);
  assert.equal(reveal.status, 200, reveal.text);
  revealBodies.add(reveal.text);
  shop.resolved = Object.fromEntries(reveal.json.items.map((x) => [x.key, x.resolved]));
  assert.equal(shop.resolved.SESSION_SECRET.length, 32);
  assert.ok([...shop.resolved.SESSION_SECRET].every((ch) => CHARSET.includes(ch)), 'drawn from the charset');
  assert.match(shop.resolved.DATABASE_URL, /^postgres:\/\/postgres:[^@]+@dokku-postgres-shop-db:5432\/shop-db$/);
  assert.equal(shop.resolved.DB_HOST_PORT, 'dokku-postgres-shop-db:5432');
  const creds = await call('POST', `${O}/services/${shop.db.id}/reveal-credentials`);
  assert.equal(creds.status, 200, creds.text);
  revealBodies.add(creds.text);
  shop.creds = creds.json;
  assert.equal(shop.resolved.DATABASE_URL, shop.creds.database_url, 'the reference resolves to what reveal-credentials shows');

  // Deploy the database, then the app; watch each log live over SSE until it ends.
  const d1 = await call('POST', `${O}/applications/${shop.app.id}/services/${shop.db.id}/deployments`, {});
  assert.equal(d1.status, 202, d1.text);
  assert.equal(d1.json.status, 'queued');
  const f1 = await follow(`${O}/deployments/${d1.json.id}/log`);
  assert.equal(f1.end.status, 'succeeded', f1.log);
  assert.match(f1.log, /\$ dokku postgres:create shop-db --image-version 16 --password \[credential\]/);
  assert.equal(node.dokkuDatabase('postgres', 'shop-db').dsn, shop.creds.database_url, 'the node got the password Wharf generated');

  const d2 = await call('POST', `${O}/applications/${shop.app.id}/services/${shop.web.id}/deployments`, {});
  assert.equal(d2.status, 202, d2.text);
  const f2 = await follow(`${O}/deployments/${d2.json.id}/log`);
  assert.equal(f2.end.status, 'succeeded', f2.log);
  const lines = f2.log.split('\n');
  const at = (re) => lines.findIndex((l) => re.test(l));
  const order = [/^\[wharf\] deploy of web \(app\) as Dokku app 'shop-web' on node-1/, /^\$ dokku apps:create shop-web$/,
    /^\$ dokku postgres:link shop-db shop-web$/, /^\$ dokku config:set --encoded --no-restart shop-web /,
    /^\$ dokku ports:set shop-web http:80:5000$/, /^\$ dokku git:auth 127\.0\.0\.1 alice \[credential\]$/,
    /^\$ dokku git:sync --build shop-web https:\/\/127\.0\.0\.1:\d+\/git\/acme\/shop\.git main$/,
    /Building shop-web from/, /^\[wharf\] Done: web is running$/].map(at);
  assert.ok(order.every((i) => i >= 0), `every step is in the log:\n${f2.log}`);
  assert.deepEqual([...order].sort((x, y) => x - y), order, `in this order:\n${f2.log}`);
  assert.match(f2.log, /SESSION_SECRET=\[32 bytes\]/);
  // The stand-in got config:set with base64 values that decode to the resolved values.
  const cs = lastConfigSet('shop-web');
  assert.deepEqual(cs.env, shop.resolved);
  assert.deepEqual(node.dokkuApp('shop-web').env, shop.resolved);
  assert.equal(node.dokkuApp('shop-web').rev, repo.shas.main);
  // The secret never appears in the log, plain or encoded.
  for (const secret of [shop.resolved.SESSION_SECRET, Buffer.from(shop.resolved.SESSION_SECRET).toString('base64'), shop.creds.password, GIT_TOKEN]) {
    assert.ok(!f2.log.includes(secret), `a secret is in the log: ${secret.slice(0, 4)}…`);
    assert.ok(!f1.log.includes(secret));
  }
  const stored2 = await call('GET', `${O}/deployments/${d2.json.id}`);
  assert.equal(stored2.json.status, 'succeeded');
  assert.deepEqual(stored2.json.log.split('\n').filter(Boolean), f2.log.split('\n').filter(Boolean), 'the stored log is what was streamed');

  // Back the database up to the verified s3rver bucket, then restore it.
  const data = Buffer.concat([Buffer.from('-- journey dump\n'), crypto.randomBytes(256 << 10)]);
  const dataFile = node.setDokkuDatabase('postgres', 'shop-db', data);
  const B = `${O}/applications/${shop.app.id}/services/${shop.db.id}`;
  const b = await call('POST', `${B}/backups`, { storage: 'external', backup_storage_id: storage.id });
  assert.equal(b.status, 202, b.text);
  const bj = await follow(`${O}/jobs/${b.json.job.id}/log`);
  assert.equal(bj.end.status, 'succeeded', bj.log);
  assert.match(bj.log, /postgres:export shop-db/);
  const backup = (await call('GET', `${B}/backups/${b.json.id}`)).json;
  assert.equal(backup.status, 'succeeded');
  assert.equal(backup.storage, 'external');
  assert.equal(backup.sha256, sha256(data));
  assert.ok(backup.object_key.startsWith('journey/'), backup.object_key);
  const obj = await stored(backup.object_key);
  assert.ok(obj, 'the object exists in the bucket');
  assert.equal(sha256(obj), sha256(data), 'the object is the dump, byte for byte');
  assert.ok(s3.requests.some((r) => r.path?.includes(backup.object_key.split('/').pop())), 'it went through the verifying front');
  shop.backup = backup;

  node.setDokkuDatabase('postgres', 'shop-db', 'written after the backup\n');
  const importsBefore = node.dokkuCalls().filter((c) => c[0] === 'postgres:import').length;
  const r = await call('POST', `${B}/backups/${backup.id}/restore`);
  assert.equal(r.status, 202, r.text);
  const rj = await follow(`${O}/jobs/${r.json.job.id}/log`);
  assert.equal(rj.end.status, 'succeeded', rj.log);
  assert.match(rj.log, /postgres:import shop-db/);
  const imports = node.dokkuCalls().filter((c) => c[0] === 'postgres:import');
  assert.equal(imports.length, importsBefore + 1, 'the restore ran against the node');
  assert.deepEqual(imports[imports.length - 1], ['postgres:import', 'shop-db']);
  assert.equal(sha256(readFileSync(dataFile)), sha256(data), "the node's data is the backup's again");
  assert.equal((await call('GET', `${B}/backups/${backup.id}`)).json.restore.status, 'succeeded');
});

test('a Developer scoped to another application is refused at each step, the permission named; on its own application it does them all', async () => {
  const blog = await call('POST', `${O}/applications`, { name: 'blog', server_id: server.id });
  assert.equal(blog.status, 201, blog.text);
  const all = { create: true, read: true, update: true, delete: true };
  const dev = await memberWithRole(s.url, ada, 'dev', {
    applications: { read: true, update: true }, services: all, backups: all, servers: { read: true },
    gitProviders: { read: true }, backupStorage: { read: true },
  }, { roleName: 'Developer', resource_scope: { applications: [blog.json.id] } });
  const as = (method, p, body) => call(method, `${O}${p}`, body, dev.token);
  const refused = async (method, p, body, permission) => {
    const r = await as(method, p, body);
    assert.equal(r.status, 403, `${method} ${p}: ${r.text}`);
    assert.equal(r.json.error.code, 'forbidden', `${method} ${p}`);
    assert.equal(r.json.error.details.permission, permission, `${method} ${p}: ${r.text}`);
    assert.equal(r.json.error.details.reason, 'resource_scope', `${method} ${p}: ${r.text}`);
    assert.ok(r.json.error.message.includes(permission), `the message names ${permission}: ${r.json.error.message}`);
    assert.match(r.json.error.message, /Developer/);
    return r;
  };
  const A = `/applications/${shop.app.id}`;
  const B = `${A}/services/${shop.db.id}`;
  const deploysBefore = node.dokkuCalls().length;
  // read the application (and its services)
  await refused('GET', A, undefined, 'applications.read');
  await refused('GET', `${A}/services`, undefined, 'services.read');
  await refused('GET', `/services/${shop.web.id}`, undefined, 'services.read');
  // create a service
  await refused('POST', `${A}/services`, { name: 'cache', type: 'database', database: { engine: 'redis' } }, 'services.create');
  await refused('POST', `${A}/services`, { name: 'api', type: 'app', git_provider_id: provider.id, repository: 'acme/shop', branch: 'main' }, 'services.create');
  // set variables
  await refused('PUT', `/services/${shop.web.id}/variables`, { variables: [{ key: 'X', value: '{{ secret(16) }}' }] }, 'services.update');
  await refused('PUT', `/services/${shop.web.id}/variables/X`, { value: '{{ db.DATABASE_URL }}' }, 'services.update');
  await refused('GET', `/services/${shop.web.id}/variables?reveal=true`, undefined, 'services.update');
  // deploy (and follow a deployment)
  await refused('POST', `${A}/services/${shop.web.id}/deployments`, {}, 'services.update');
  await refused('POST', `/services/${shop.web.id}/deploy`, undefined, 'services.update');
  await refused('GET', `${A}/services/${shop.web.id}/deployments`, undefined, 'services.read');
  // back up, list, restore
  await refused('POST', `${B}/backups`, { storage: 'external', backup_storage_id: storage.id }, 'backups.create');
  await refused('GET', `${B}/backups`, undefined, 'backups.read');
  await refused('POST', `${B}/backups/${shop.backup.id}/restore`, undefined, 'backups.update');
  // reveal the database's credentials
  await refused('POST', `/services/${shop.db.id}/reveal-credentials`, undefined, 'services.update');
  // ... and nothing reached the node; the other application's list does not show it.
  assert.equal(node.dokkuCalls().length, deploysBefore, 'no refused step ran anything on the node');
  assert.deepEqual((await as('GET', '/applications')).json.items.map((x) => x.id), [blog.json.id]);
  // The server the applications share is not scoped by this role: readable, not a refusal.
  assert.equal((await as('GET', `/servers/${server.id}`)).status, 200);

  // The same Developer does every step on its own application.
  const bA = `/applications/${blog.json.id}`;
  assert.equal((await as('GET', bA)).status, 200);
  const bw = await as('POST', `${bA}/services`, { name: 'web', type: 'app', git_provider_id: provider.id, repository: 'acme/blog', branch: 'main', port: 8080 });
  assert.equal(bw.status, 201, bw.text);
  const bd = await as('POST', `${bA}/services`, { name: 'db', type: 'database', database: { engine: 'postgres', version: '16' } });
  assert.equal(bd.status, 201, bd.text);
  const bv = await as('PUT', `/services/${bw.json.id}/variables`, { variables: [
    { key: 'DATABASE_URL', value: '{{ db.DATABASE_URL }}' }, { key: 'TOKEN', value: `{{ secret(32, "${CHARSET}") }}` }] });
  assert.equal(bv.status, 200, bv.text);
  for (const svc of [bd.json, bw.json]) {
    const dep = await as('POST', `${bA}/services/${svc.id}/deployments`, {});
    assert.equal(dep.status, 202, dep.text);
    const f = await follow(`${O}/deployments/${dep.json.id}/log`, dev.token);
    assert.equal(f.end.status, 'succeeded', f.log);
  }
  const breveal = await as('GET', `/services/${bw.json.id}/variables?reveal=true`);
  assert.equal(breveal.status, 200, breveal.text);
  revealBodies.add(breveal.text);
  const bres = Object.fromEntries(breveal.json.items.map((x) => [x.key, x.resolved]));
  assert.deepEqual(lastConfigSet('blog-web').env, bres);
  const bc = await as('POST', `/services/${bd.json.id}/reveal-credentials`);
  assert.equal(bc.status, 200, bc.text);
  revealBodies.add(bc.text);
  assert.equal(bc.json.database_url, bres.DATABASE_URL);
  const BB = `${bA}/services/${bd.json.id}`;
  node.setDokkuDatabase('postgres', 'blog-db', 'blog data v1\n');
  const bb = await as('POST', `${BB}/backups`, { storage: 'external', backup_storage_id: storage.id });
  assert.equal(bb.status, 202, bb.text);
  assert.equal((await waitJob(bb.json.job.id, dev.token)).status, 'succeeded');
  const got = await as('GET', `${BB}/backups/${bb.json.id}`);
  assert.equal(got.status, 200, got.text);
  const brow = got.json;
  assert.equal((await stored(brow.object_key))?.toString(), 'blog data v1\n');
  node.setDokkuDatabase('postgres', 'blog-db', 'blog data v2\n');
  const br = await as('POST', `${BB}/backups/${bb.json.id}/restore`);
  assert.equal(br.status, 202, br.text);
  assert.equal((await waitJob(br.json.job.id, dev.token)).status, 'succeeded');
  assert.equal(node.dokkuDatabase('postgres', 'blog-db').data, 'blog data v1\n');
  // Still outside: the Developer cannot read the admin's backup even knowing its id.
  await refused('GET', `${B}/backups/${shop.backup.id}`, undefined, 'backups.read');
});

test('a template deployed with deploy: true queues a deployment per service, renamed and rewritten, databases first', async () => {
  const t = await call('POST', `${O}/templates`, { name: 'web + postgres', application_id: shop.app.id });
  assert.equal(t.status, 201, t.text);
  assert.ok(!t.text.includes(shop.resolved.SESSION_SECRET), 'no generated value in a template');

  // A role that may create services but not update them cannot ask for the deploy; nothing is created.
  const maker = await memberWithRole(s.url, ada, 'maker', { applications: { read: true }, services: { create: true, read: true }, templates: { read: true } });
  const count = async () => (await call('GET', `${O}/applications/${shop.app.id}/services`)).json.items.length;
  const n0 = await count();
  const no = await call('POST', `${O}/templates/${t.json.id}/deploy`, { application_id: shop.app.id, deploy: true }, maker.token);
  assert.equal(no.status, 403, no.text);
  assert.equal(no.json.error.details.permission, 'services.update');
  assert.equal(await count(), n0, 'a refused deploy creates nothing');
  const bad = await call('POST', `${O}/templates/${t.json.id}/deploy`, { application_id: shop.app.id, deploy: 'yes' });
  assert.equal(bad.status, 400, bad.text);
  assert.ok(bad.json.error.details.fields.deploy, bad.text);

  // Into the same application: the names are taken, so web-2 and db-2; the reference follows.
  const dep = await call('POST', `${O}/templates/${t.json.id}/deploy`, { application_id: shop.app.id, deploy: true });
  assert.equal(dep.status, 201, dep.text);
  assert.deepEqual(dep.json.renamed, { web: 'web-2', db: 'db-2' });
  const byName = Object.fromEntries(dep.json.services.map((x) => [x.name, x]));
  assert.equal(byName['web-2'].variables.find((x) => x.key === 'DATABASE_URL').value, '{{ db-2.DATABASE_URL }}');
  assert.equal(byName['web-2'].variables.find((x) => x.key === 'DB_HOST_PORT').value, '{{ db-2.HOST }}:{{ db-2.PORT }}');
  assert.equal(dep.json.deployments.length, 2);
  assert.deepEqual(dep.json.deployments.map((x) => x.service_id), [byName['db-2'].id, byName['web-2'].id], 'the database first');
  for (const x of dep.json.deployments) {
    assert.equal(x.status, 'queued');
    assert.equal(x.trigger, 'template');
    assert.equal(x.action, 'deploy');
  }
  const logs = [];
  for (const x of dep.json.deployments) {
    const f = await follow(`${O}/deployments/${x.id}/log`);
    assert.equal(f.end.status, 'succeeded', f.log);
    logs.push(f.log);
  }
  assert.match(logs[0], /\$ dokku postgres:create shop-db-2 --image-version 16 --password \[credential\]/);
  assert.match(logs[1], /\$ dokku postgres:link shop-db-2 shop-web-2/);
  const got = (await call('GET', `${O}/deployments/${dep.json.deployments[1].id}`)).json;
  assert.equal(got.trigger, 'template');
  assert.equal(got.created_by, ada.user.id);
  const rv = await call('GET', `${O}/services/${byName['web-2'].id}/variables?reveal=true`);
  revealBodies.add(rv.text);
  const resolved = Object.fromEntries(rv.json.items.map((x) => [x.key, x.resolved]));
  assert.notEqual(resolved.SESSION_SECRET, shop.resolved.SESSION_SECRET, 'a fresh secret');
  assert.equal(resolved.DATABASE_URL, node.dokkuDatabase('postgres', 'shop-db-2').dsn, 'the rewritten reference is the new database');
  assert.deepEqual(lastConfigSet('shop-web-2').env, resolved);
  for (const l of logs) assert.ok(!l.includes(resolved.SESSION_SECRET));

  // Without deploy: the services are created and nothing is queued (unchanged behaviour).
  const plain = await call('POST', `${O}/templates/${t.json.id}/deploy`, { application: { name: 'shop-staging', server_id: server.id } });
  assert.equal(plain.status, 201, plain.text);
  assert.deepEqual(plain.json.deployments, []);
  assert.deepEqual(plain.json.renamed, {});
  const q = await call('GET', `${O}/applications/${plain.json.application.id}/deployments`);
  assert.equal(q.status, 200, q.text);
  assert.deepEqual(q.json.items, []);
  // Into a new application with deploy: both created and queued in one go.
  const fresh = await call('POST', `${O}/templates/${t.json.id}/deploy`, { application: { name: 'shop-preview', server_id: server.id }, deploy: true });
  assert.equal(fresh.status, 201, fresh.text);
  assert.equal(fresh.json.created_application, true);
  for (const x of fresh.json.deployments) assert.equal((await follow(`${O}/deployments/${x.id}/log`)).end.status, 'succeeded');
  assert.ok(node.dokkuApp('shop-preview-web'), 'the preview app runs on the node');
});

test('no secret in any answer (except the explicit reveals), SSE stream or Wharf log', async () => {
  const f = path.join(s.dataDir, 'wharf.log');
  const seen = everything.filter((t) => !revealBodies.has(t)).join('\n') + s.logs + (existsSync(f) ? readFileSync(f, 'utf8') : '');
  for (const secret of [GIT_TOKEN, S3_SECRET, shop.resolved.SESSION_SECRET, shop.creds.password,
    Buffer.from(shop.resolved.SESSION_SECRET).toString('base64')]) {
    assert.ok(!seen.includes(secret), `a secret leaked: ${secret.slice(0, 4)}…`);
  }
});
