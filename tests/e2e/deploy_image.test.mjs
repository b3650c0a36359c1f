// Deploying Docker image services through Dokku, end to end: the image lives on a REAL
// docker-registry (htpasswd auth, tests/e2e/lib/registry.mjs), the node is a real sshd with the
// Dokku stand-in. Covers what the git deployments file does not: `registry:login` with the
// password on stdin only, `git:from-image`, a registry password the node echoes being redacted,
// a cancel in the middle of `registry:login`, two services of one server deploying one at a time,
// and stop / destroy driving `ps:stop`, `apps:destroy --force` and a database's unlink + destroy.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { startWharf, api, signup } from './lib/harness.mjs';
import { startSshd, NODE_USER } from './lib/sshd.mjs';
import { startRegistry } from './lib/registry.mjs';
import { readLog } from './lib/sse.mjs';

const REG_PASS = 'registry-Pass-deploy-8e41c2';
const WHARF_ARGS = ['--node-dns-probe', 'localhost', '--min-disk-free-mb', '100', '--job-lease-ms', '3000'];
let node, reg, s, ada, O, server, app, db, apiSvc, worker, image;
const everything = [];

async function call(method, p, body) {
  const r = await api(s.url, method, p, { token: ada.token, body });
  everything.push(r.text);
  return r;
}

async function follow(id) {
  const { text, log, end } = await readLog(`${s.url}${O}/deployments/${id}/log`, ada.token);
  everything.push(text);
  return { log, end };
}

async function start(svc, action) {
  const r = await call('POST', `${O}/applications/${app.id}/services/${svc.id}/deployments`, action ? { action } : undefined);
  assert.equal(r.status, 202, r.text);
  return r.json;
}

async function waitStatus(id, want, ms = 30000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const r = await call('GET', `${O}/deployments/${id}`);
    if (want.includes(r.json.status)) return r.json;
    if (Date.now() > deadline) throw new Error(`deployment ${id} is ${r.json.status}, wanted ${want}: ${r.json.log}`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

function nodeProcesses(pattern) {
  try {
    return execFileSync('pgrep', ['-u', NODE_USER, '-f', pattern], { encoding: 'utf8' }).split('\n').filter(Boolean);
  } catch { return []; }
}

// The dokku commands recorded since `from`, without the read-only probes Wharf plans with.
function commandsSince(from) {
  return node.dokkuCalls().slice(from).filter((c) => !/:(exists|links|report)$/.test(c[0] === '--force' ? c[1] : c[0]) &&
    c[0] !== 'version' && c[0] !== 'logs');
}

before(async () => {
  node = await startSshd();
  reg = await startRegistry({ mode: 'htpasswd', users: { alice: REG_PASS } });
  await reg.pushImage('team/media', 'v1');
  image = `${reg.host}/team/media:v1`;
  s = await startWharf({ args: WHARF_ARGS });
  ada = await signup(s.url, 'ada');
  O = `/api/v1/orgs/${ada.org.slug}`;
  const k = (await call('POST', `${O}/ssh-keys`, { name: 'deploy', generate: { type: 'ed25519' } })).json;
  node.authorize(NODE_USER, (await call('GET', `${O}/ssh-keys/${k.id}/public-key`)).text);
  const srv = await call('POST', `${O}/servers`, { name: 'node-1', host: '127.0.0.1', port: node.port, username: NODE_USER, ssh_key_id: k.id });
  assert.equal(srv.status, 201, srv.text);
  server = srv.json;
  const cred = await call('POST', `${O}/docker-registries`, { name: 'local', host: reg.host, username: 'alice', password: REG_PASS });
  assert.equal(cred.status, 201, cred.text);
  const a = await call('POST', `${O}/applications`, { name: 'media', server_id: server.id });
  assert.equal(a.status, 201, a.text);
  app = a.json;
  const d = await call('POST', `${O}/applications/${app.id}/services`, { name: 'db', type: 'database', database: { engine: 'postgres', version: '16' } });
  assert.equal(d.status, 201, d.text);
  db = d.json;
  const w = await call('POST', `${O}/applications/${app.id}/services`, {
    name: 'api', type: 'docker', image, docker_registry_id: cred.json.id, ports: ['http:80:8080'],
    variables: [{ key: 'DATABASE_URL', value: '{{ db.DATABASE_URL }}' }, { key: 'MODE', value: 'image' },
      { key: 'PG_URI', value: '{{ db.POSTGRES_URI }}' }, { key: 'PG_USER', value: '{{ db.POSTGRES_USERNAME }}' }],
  });
  assert.equal(w.status, 201, w.text);
  apiSvc = w.json;
  const wk = await call('POST', `${O}/applications/${app.id}/services`, { name: 'worker', type: 'docker', image, docker_registry_id: cred.json.id, ports: ['http:80:9000'] });
  assert.equal(wk.status, 201, wk.text);
  worker = wk.json;
});
after(async () => { await s?.stop(); s?.cleanup(); await node?.cleanup(); await reg?.stop(); });

test('an image service deploys: registry:login gets the password on stdin only, then git:from-image runs the image', async () => {
  const fdb = await follow((await start(db)).id);
  assert.equal(fdb.end.status, 'succeeded', fdb.log);
  const from = node.dokkuCalls().length;
  const d = await start(apiSvc);
  const f = await follow(d.id);
  assert.equal(f.end.status, 'succeeded', f.log);
  assert.equal(d.ref, image, 'an image deployment records the image');
  const cmds = commandsSince(from);
  assert.deepEqual(cmds.map((c) => c[0] === '--force' ? c[1] : c[0]),
    ['apps:create', 'postgres:link', 'config:set', 'ports:set', 'registry:login', 'git:from-image']);
  assert.deepEqual(cmds.find((c) => c[0] === 'registry:login'), ['registry:login', '--password-stdin', 'media-api', reg.host, 'alice']);
  // Deployed by the digest the registry answered for the tag (docs/releases.md).
  const fromImage = cmds.find((c) => c[0] === 'git:from-image');
  assert.equal(fromImage.length, 3);
  assert.equal(fromImage[1], 'media-api');
  assert.match(fromImage[2], new RegExp(`^${reg.host.replace(/\./g, '\\.')}/team/media@sha256:[0-9a-f]{64}$`));
  for (const c of node.dokkuCalls()) assert.ok(!c.some((x) => x.includes(REG_PASS)), `the password is on no command line: ${c[0]}`);
  const onNode = node.dokkuApp('media-api');
  assert.equal(onNode.registryPassword, REG_PASS, 'registry:login read exactly the password from stdin');
  assert.equal(onNode.registryLogin, `${reg.host} alice`);
  assert.equal(onNode.image, fromImage[2]);
  assert.deepEqual(onNode.ports, ['http:80:8080']);
  // The database URL is the one the plugin made and prints (`postgres:info media-db --dsn`):
  // user postgres, database named as the service, unchanged; dFlow's names resolve to the same.
  const dsn = node.dokkuDatabase('postgres', 'media-db').dsn;
  assert.match(dsn, /^postgres:\/\/postgres:[A-Za-z0-9]{32}@dokku-postgres-media-db:5432\/media-db$/);
  assert.equal(onNode.env.DATABASE_URL, dsn);
  assert.equal(onNode.env.PG_URI, dsn);
  assert.equal(onNode.env.PG_USER, 'postgres');
  assert.equal(onNode.env.MODE, 'image');
  const creds = await call('POST', `${O}/services/${db.id}/reveal-credentials`);
  assert.equal(creds.status, 200, creds.text);
  assert.equal(creds.json.database_url, dsn);
  assert.equal(creds.json.user, 'postgres');
  assert.equal(creds.json.name, 'media-db');
  assert.ok(node.dokkuCalls().some((c) => c[0] === 'postgres:info' && c[1] === 'media-db' && c[2] === '--dsn'),
    'the URL was read from the node');
  assert.match(f.log, /\$ dokku registry:login --password-stdin media-api 127\.0\.0\.1:\d+ alice\n/);
  assert.match(f.log, /\$ dokku git:from-image media-api 127\.0\.0\.1:\d+\/team\/media@sha256:[0-9a-f]{64}\n/);
  assert.equal((await call('GET', `${O}/services/${apiSvc.id}`)).json.status, 'running');
});

test('on a node reporting Dokku 0.35.12 the per-app registry:login is refused: by the node, and by Wharf before any step', async () => {
  // The node itself: 0.35.12 takes `registry:login [--password-stdin] <server> <username>`.
  node.dokkuVersion('0.35.12');
  try {
    const standin = path.join(node.dir, 'standin', 'dokku.standin');
    const r = spawnSync(standin, ['registry:login', '--password-stdin', 'media-api', reg.host, 'alice'],
      { input: REG_PASS, env: { ...process.env, WHARF_STANDIN_DIR: path.join(node.dir, 'standin') }, encoding: 'utf8' });
    assert.equal(r.status, 1, r.stdout);
    assert.match(r.stderr, /Invalid number of arguments for registry:login: 3\n.*Usage: dokku registry:login \[--password-stdin\] <server> <username>/);
    // Wharf: the planner knows the form needs 0.38.0 and refuses before anything runs.
    const from = node.dokkuCalls().length;
    const d = await start(apiSvc);
    const f = await follow(d.id);
    assert.equal(f.end.status, 'failed', f.log);
    const got = (await call('GET', `${O}/deployments/${d.id}`)).json;
    assert.match(got.error, /^node-1 runs Dokku 0\.35\.12; private-registry images .*need 0\.38\.0 or later: onboard the server again to upgrade/);
    assert.match(got.error_fix, /Onboard the server again/);
    assert.deepEqual(commandsSince(from), [], 'no step ran');
  } finally {
    node.dokkuVersion('0.38.27');
  }
});

test('a registry password the node echoes is redacted from the failure, the log and the SSE stream', async () => {
  // The app already runs this digest, so this deploy rebuilds (ps:rebuild) and the registry step
  // that talks to the registry is the login: make it echo the password back.
  node.dokkuFail('registry:login', `Error response from daemon: login denied (tried alice:${REG_PASS})`);
  try {
    const d = await start(apiSvc);
    const f = await follow(d.id);
    assert.equal(f.end.status, 'failed', f.log);
    const got = (await call('GET', `${O}/deployments/${d.id}`)).json;
    assert.equal(got.error_layer, 'registry', JSON.stringify(got));
    assert.match(got.error, /registry:login --password-stdin media-api .*login denied \(tried alice:\[redacted\]\)/);
    assert.ok(got.error_fix, 'the failure says what to do');
  } finally {
    node.dokkuFail('registry:login', null);
  }
  const logs = s.logs + (existsSync(path.join(s.dataDir, 'wharf.log')) ? readFileSync(path.join(s.dataDir, 'wharf.log'), 'utf8') : '');
  for (const t of everything) assert.ok(!t.includes(REG_PASS), 'the registry password is in an answer or stream');
  assert.ok(!logs.includes(REG_PASS), "the registry password is in Wharf's log");
});

test('cancel during registry:login: the step is interrupted on the node, nothing after it runs, the next deploy succeeds', async (t) => {
  node.dokkuSleep('registry:login', 43);  // odd: pgrep looks for this very sleep
  let running;
  try {
    running = await start(worker);
    const deadline = Date.now() + 15000;
    while (!(await call('GET', `${O}/deployments/${running.id}`)).json.log.includes('slow stand-in step')) {
      assert.ok(Date.now() < deadline, 'registry:login started on the node');
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(nodeProcesses('^sleep 43$').length > 0, 'registry:login runs on the node');
    const before = node.dokkuCalls().length;
    const t0 = Date.now();
    const c = await call('POST', `${O}/deployments/${running.id}/cancel`);
    assert.equal(c.status, 200, c.text);
    const done = await waitStatus(running.id, ['cancelled', 'failed', 'succeeded'], 5000);
    const took = Date.now() - t0;
    assert.equal(done.status, 'cancelled', done.log);
    assert.ok(took < 3000, `registry:login was interrupted, not waited for (${took} ms)`);
    t.diagnostic(`cancel during registry:login: ${took} ms to cancelled`);
    assert.match(done.log, /Cancelled: interrupted the running step 'dokku registry:login --password-stdin media-worker /);
    assert.ok(!commandsSince(before).some((x) => x[0] === 'git:from-image'), 'git:from-image did not run after the cancel');
    const gone = Date.now() + 3000;
    while (nodeProcesses('^sleep 43$').length > 0 && Date.now() < gone) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(nodeProcesses('^sleep 43$'), [], 'the interrupted registry:login no longer runs on the node');
    assert.equal(node.dokkuApp('media-worker').registryLogin, '', 'the login never completed');
    assert.ok(!done.log.includes(REG_PASS));
  } finally {
    node.dokkuSleep('registry:login', null);
  }
  const next = await follow((await start(worker)).id);
  assert.equal(next.end.status, 'succeeded', next.log);
  assert.equal(node.dokkuApp('media-worker').registryPassword, REG_PASS);
  assert.match(node.dokkuApp('media-worker').image, /\/team\/media@sha256:[0-9a-f]{64}$/, 'deployed by digest');
});

test('deployments of two services on one server run one at a time', async () => {
  node.dokkuSleep('ps:restart', 2);
  try {
    const a = await call('POST', `${O}/services/${apiSvc.id}/restart`);
    const b = await call('POST', `${O}/services/${worker.id}/restart`);
    assert.equal(a.status, 202, a.text);
    assert.equal(b.status, 202, b.text);
    assert.equal(a.json.action, 'restart');
    const [da, dbb] = [await waitStatus(a.json.id, ['succeeded', 'failed']), await waitStatus(b.json.id, ['succeeded', 'failed'])];
    assert.equal(da.status, 'succeeded', da.log);
    assert.equal(dbb.status, 'succeeded', dbb.log);
    const [first, second] = da.started_at <= dbb.started_at ? [da, dbb] : [dbb, da];
    assert.ok(second.started_at >= first.finished_at,
      `the second started (${second.started_at}) after the first finished (${first.finished_at})`);
    assert.match(da.log, /\$ dokku ps:restart media-api/);
    assert.match(dbb.log, /\$ dokku ps:restart media-worker/);
  } finally {
    node.dokkuSleep('ps:restart', null);
  }
});

test('domains: added, made default and removed on the node; removing the last one clears them at the next deploy', async () => {
  assert.equal((await call('POST', `${O}/services/${worker.id}/domains`, { hostname: 'jobs.example.com', letsencrypt: true })).status, 201);
  assert.equal((await call('POST', `${O}/services/${worker.id}/domains`, { hostname: 'work.example.com', letsencrypt: false })).status, 201);
  assert.equal((await call('POST', `${O}/services/${worker.id}/domains/work.example.com/default`)).status, 200);
  let f = await follow((await start(worker)).id);
  assert.equal(f.end.status, 'succeeded', f.log);
  assert.deepEqual(node.dokkuApp('media-worker').domains, ['work.example.com', 'jobs.example.com'], 'the default first');
  assert.equal(node.dokkuApp('media-worker').letsencrypt, true, "Let's Encrypt through the plugin");
  assert.match(f.log, /\$ dokku letsencrypt:enable media-worker/);

  assert.equal((await call('DELETE', `${O}/services/${worker.id}/domains/work.example.com`)).status, 200);
  f = await follow((await start(worker)).id);
  assert.equal(f.end.status, 'succeeded', f.log);
  assert.deepEqual(node.dokkuApp('media-worker').domains, ['jobs.example.com']);

  const last = await call('DELETE', `${O}/services/${worker.id}/domains/jobs.example.com`);
  assert.deepEqual(last.json.items, []);
  const svc = (await call('GET', `${O}/services/${worker.id}`)).json;
  assert.deepEqual(svc.domains, []);
  assert.ok(!('domains_to_clear' in svc), 'bookkeeping stays internal');
  const from = node.dokkuCalls().length;
  f = await follow((await start(worker)).id);
  assert.equal(f.end.status, 'succeeded', f.log);
  assert.ok(commandsSince(from).some((c) => c[0] === 'domains:clear' && c[1] === 'media-worker'), f.log);
  assert.deepEqual(node.dokkuApp('media-worker').domains, [], 'the removed domain no longer routes to the app');
  // Cleared once: the next deploy has nothing to clear.
  const from2 = node.dokkuCalls().length;
  f = await follow((await start(worker)).id);
  assert.equal(f.end.status, 'succeeded', f.log);
  assert.ok(!commandsSince(from2).some((c) => c[0].startsWith('domains:')), f.log);
});

test('stop and destroy: ps:stop, the database unlinked then destroyed, apps:destroy --force; a second destroy has nothing to do', async () => {
  let from = node.dokkuCalls().length;
  const stop = await follow((await start(apiSvc, 'stop')).id);
  assert.equal(stop.end.status, 'succeeded', stop.log);
  assert.deepEqual(commandsSince(from), [['ps:stop', 'media-api']]);
  assert.equal(node.dokkuApp('media-api').state, 'stopped');
  assert.equal((await call('GET', `${O}/services/${apiSvc.id}`)).json.status, 'stopped');

  from = node.dokkuCalls().length;
  const ddb = await follow((await start(db, 'destroy')).id);
  assert.equal(ddb.end.status, 'succeeded', ddb.log);
  assert.deepEqual(commandsSince(from), [['postgres:unlink', 'media-db', 'media-api'], ['--force', 'postgres:destroy', 'media-db']]);
  assert.equal(node.dokkuDatabase('postgres', 'media-db'), null);
  assert.equal(node.dokkuApp('media-api').env.DATABASE_URL, undefined, 'unlinked from the app');
  assert.equal((await call('GET', `${O}/services/${db.id}`)).json.status, 'destroyed');

  from = node.dokkuCalls().length;
  const dapi = await follow((await start(apiSvc, 'destroy')).id);
  assert.equal(dapi.end.status, 'succeeded', dapi.log);
  assert.deepEqual(commandsSince(from), [['--force', 'apps:destroy', 'media-api']]);
  assert.equal(node.dokkuApp('media-api'), null, 'the Dokku app is gone');
  assert.equal((await call('GET', `${O}/services/${apiSvc.id}`)).json.status, 'destroyed');
  assert.ok(node.dokkuApp('media-worker'), 'the other service of the server is untouched');

  from = node.dokkuCalls().length;
  const again = await follow((await start(apiSvc, 'destroy')).id);
  assert.equal(again.end.status, 'succeeded', again.log);
  assert.deepEqual(commandsSince(from), [], 'nothing to destroy: no command changes the node');
});
