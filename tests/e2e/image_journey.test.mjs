// The image journey against a REAL Docker engine and a REAL registry, nothing modelled:
//   1. a tiny image is built offline (busybox-static in a rootfs, `docker import`; busybox httpd
//      serving a CGI that prints its environment) and
//   2. `docker push`ed to docker-registry with htpasswd auth (tests/e2e/lib/registry.mjs);
//   3. Wharf deploys it through its API: the node's Dokku (the 0.38.27 stand-in) logs in per app
//      (`registry:login --password-stdin <app> <server> <user>` runs `docker login`), and
//      `git:from-image` really pulls with that login and really runs the image with the app's
//      config and port mapping (ports:set) on 127.0.0.1;
//   4. the test reads the app's environment over HTTP: every variable byte for byte, and the
//      database URL equal to what `postgres:info <service> --dsn` prints on the node;
//   5. stop, restart and destroy through Wharf's API change the real container (`docker ps -a`).
// Everything stays on 127.0.0.0/8: the engine has no bridge and the image never leaves the machine.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startWharf, api, signup, freePort } from './lib/harness.mjs';
import { startSshd, NODE_USER } from './lib/sshd.mjs';
import { startRegistry } from './lib/registry.mjs';
import { importImage, parseEnv, ENV_PATH } from './lib/image.mjs';
import { DOCKER } from './lib/dockerd.mjs';
import { readLog } from './lib/sse.mjs';

const REG_PASS = 'journey-Reg-Pass-5d1f0a';
let node, reg, s, ada, O, app, db, web, image, hostPort, containerPort;

// Values a shell, a quoting layer or an encoding would change: each must arrive byte for byte.
const VARS = {
  PLAIN: 'hello',
  CMD_SUBST: '$(id -u) `whoami` ${HOME} $PATH',
  QUOTES: `it's "double" and 'single' \\ back\\slash`,
  NEWLINES: 'line one\nline two\n\ttabbed\n',
  NON_ASCII: 'Grüße, 世界, ñandú 🚢',
  EQUALS: 'a=b==c',
  SHELLISH: '; echo pwned # && | > /tmp/x',
  PADDED: '  leading and trailing  ',
  EMPTYISH: ' ',
};

async function call(method, p, body) {
  return api(s.url, method, p, { token: ada.token, body });
}

async function deploy(svc, action) {
  const r = await call('POST', `${O}/applications/${app.id}/services/${svc.id}/deployments`, action ? { action } : undefined);
  assert.equal(r.status, 202, r.text);
  const { log, end } = await readLog(`${s.url}${O}/deployments/${r.json.id}/log`, ada.token);
  return { id: r.json.id, log, end };
}

async function waitStatus(id, ms = 60000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const r = await call('GET', `${O}/deployments/${id}`);
    if (['succeeded', 'failed', 'cancelled', 'failed_after_start'].includes(r.json.status)) return r.json;
    if (Date.now() > deadline) throw new Error(`deployment ${id} is ${r.json.status}: ${r.json.log}`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

// GET the app's environment through Dokku's port mapping (host port -> container port).
async function appEnv(port = hostPort, ms = 10000) {
  const deadline = Date.now() + ms;
  let last;
  for (;;) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}${ENV_PATH}`);
      if (r.status === 200) return parseEnv(Buffer.from(await r.arrayBuffer()));
      last = `HTTP ${r.status}`;
    } catch (e) { last = e.message; }
    if (Date.now() > deadline) throw new Error(`the app does not answer on 127.0.0.1:${port}: ${last}`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

// What the node's Dokku prints, run as the node's user exactly as Wharf's SSH session runs it.
function runOnNode(...argv) {
  return spawnSync('runuser', ['-u', NODE_USER, '--', 'env', `PATH=${node.dir}/bin:/usr/bin:/bin`,
    `WHARF_STANDIN_DIR=${node.dir}/standin`, 'dokku', ...argv], { encoding: 'utf8' });
}
function onNode(...argv) {
  const r = runOnNode(...argv);
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

const webContainers = () => node.containers().filter((c) => c.name === 'journey-web.web.1');

before(async () => {
  node = await startSshd();
  reg = await startRegistry({ mode: 'htpasswd', users: { alice: REG_PASS } });
  // 1 + 2: built offline, pushed with the real CLI (its own login config).
  image = `${reg.host}/journey/env:v1`;
  importImage(node.engine, image);
  const cfg = mkdtempSync(path.join(os.tmpdir(), 'wharf-docker-config-'));
  try {
    const env = { ...process.env, DOCKER_CONFIG: cfg, DOCKER_HOST: node.engine.host };
    execFileSync(DOCKER, ['login', '--password-stdin', '-u', 'alice', reg.host], { input: REG_PASS, env, stdio: ['pipe', 'pipe', 'pipe'] });
    execFileSync(DOCKER, ['push', image], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  } finally {
    rmSync(cfg, { recursive: true, force: true });
  }
  // The pull must come from the registry, not from the engine's cache.
  node.engine.docker(['rmi', image]);
  hostPort = await freePort();
  containerPort = await freePort();

  s = await startWharf({ args: ['--node-dns-probe', 'localhost', '--min-disk-free-mb', '100'] });
  ada = await signup(s.url, 'ada');
  O = `/api/v1/orgs/${ada.org.slug}`;
  const k = (await call('POST', `${O}/ssh-keys`, { name: 'deploy', generate: { type: 'ed25519' } })).json;
  node.authorize(NODE_USER, (await call('GET', `${O}/ssh-keys/${k.id}/public-key`)).text);
  const srv = await call('POST', `${O}/servers`, { name: 'node-1', host: '127.0.0.1', port: node.port, username: NODE_USER, ssh_key_id: k.id });
  assert.equal(srv.status, 201, srv.text);
  const cred = await call('POST', `${O}/docker-registries`, { name: 'local', host: reg.host, username: 'alice', password: REG_PASS });
  assert.equal(cred.status, 201, cred.text);
  const a = await call('POST', `${O}/applications`, { name: 'journey', server_id: srv.json.id });
  assert.equal(a.status, 201, a.text);
  app = a.json;
  const d = await call('POST', `${O}/applications/${app.id}/services`, { name: 'db', type: 'database', database: { engine: 'postgres', version: '16' } });
  assert.equal(d.status, 201, d.text);
  db = d.json;
  const w = await call('POST', `${O}/applications/${app.id}/services`, {
    name: 'web', type: 'docker', image, docker_registry_id: cred.json.id, ports: [`http:${hostPort}:${containerPort}`],
    variables: [...Object.entries(VARS).map(([key, value]) => ({ key, value })),
      { key: 'DATABASE_URL', value: '{{ db.DATABASE_URL }}' }, { key: 'PG_URI', value: '{{ db.POSTGRES_URI }}' }],
  });
  assert.equal(w.status, 201, w.text);
  web = w.json;
});

after(async () => { await s?.stop(); s?.cleanup(); await node?.cleanup(); await reg?.stop(); });

test('the node runs a real engine: the docker check reports its version', async () => {
  const t = await call('POST', `${O}/servers/test-connection`, { host: '127.0.0.1', port: node.port, username: NODE_USER,
    ssh_key_id: (await call('GET', `${O}/ssh-keys`)).json.items[0].id });
  const docker = t.json.checks.find((c) => c.name === 'docker');
  assert.equal(docker.status, 'passed', JSON.stringify(docker));
  assert.equal(docker.message, `Docker engine ${node.engine.version()}`);
  assert.match(docker.message, /^Docker engine 20\.10\./, "Debian's docker.io");
});

test('deploy: the image is pulled with the app\'s own login and runs with its config; every value arrives byte for byte', async () => {
  const fdb = await deploy(db);
  assert.equal(fdb.end.status, 'succeeded', fdb.log);
  const f = await deploy(web);
  assert.equal(f.end.status, 'succeeded', f.log);
  assert.match(f.log, /\$ dokku registry:login --password-stdin journey-web 127\.0\.0\.1:\d+ alice\n/);
  assert.ok(!f.log.includes(REG_PASS));

  // The login is the app's own (Dokku 0.38's per-app registry login), in its own docker config.
  assert.equal(node.dokkuApp('journey-web').registryLogin, `${reg.host} alice`);
  const engineLog = node.dockerCalls();
  assert.ok(engineLog.some((c) => c[0] === 'login' && c.includes(reg.host)), 'docker login ran on the node');
  // The tag is deployed by the digest its registry answered (docs/releases.md).
  const byDigest = f.log.match(/\$ dokku git:from-image journey-web (\S+@sha256:[0-9a-f]{64})\n/);
  assert.ok(byDigest, f.log);
  assert.equal(byDigest[1], `${image.replace(/:v1$/, '')}@${byDigest[1].split('@')[1]}`);
  assert.ok(engineLog.some((c) => c[0] === 'image' && c[1] === 'pull' && c[2] === byDigest[1]), 'docker pull ran on the node');

  const [c] = webContainers();
  assert.ok(c, JSON.stringify(node.containers()));
  assert.equal(c.state, 'running');
  assert.equal(c.image, byDigest[1]);

  const env = await appEnv();
  for (const [k, v] of Object.entries(VARS)) assert.equal(env[k], v, `${k} arrives byte for byte`);
  assert.equal(env.PORT, String(containerPort), 'the container port of the mapping');
  // The database URL is the node's: what `postgres:info journey-db --dsn` prints there.
  const dsn = onNode('postgres:info', 'journey-db', '--dsn').trim();
  assert.match(dsn, /^postgres:\/\/postgres:[^@]+@dokku-postgres-journey-db:5432\/journey-db$/);
  assert.equal(env.DATABASE_URL, dsn);
  assert.equal(env.PG_URI, dsn, "dFlow's name resolves to the same URL");
});

test("the pull really needs the app's own login: an app without one is refused by the registry, and Wharf names the layer", async () => {
  onNode('apps:create', 'nologin');
  const r = runOnNode('git:from-image', 'nologin', image);
  assert.equal(r.status, 1, r.stdout);
  // As Dokku's git-from-image trigger prints it: docker's own error, then its dokku_log_fail line.
  assert.match(r.stderr, /^Error response from daemon: .*(no basic auth credentials|unauthorized)/m);
  assert.match(r.stderr, new RegExp(`^ !     Failed to pull image: ${image.replace(/\./g, '\\.')}$`, 'm'));
  assert.deepEqual(node.containers().filter((c) => c.name === 'nologin.web.1'), []);
  const d = await call('POST', `${O}/diagnose`, { error_text: r.stderr });
  assert.equal(d.status, 200, d.text);
  assert.equal(d.json.layer, 'registry', d.text);
  onNode('--force', 'apps:destroy', 'nologin');
});

test('stop, restart and destroy through Wharf change the real container', async () => {
  const before = webContainers()[0];
  const stop = await deploy(web, 'stop');
  assert.equal(stop.end.status, 'succeeded', stop.log);
  let [c] = webContainers();
  assert.equal(c.id, before.id);
  assert.equal(c.state, 'exited', 'ps:stop stopped the container');
  await assert.rejects(fetch(`http://127.0.0.1:${containerPort}${ENV_PATH}`), 'nothing answers on the container port');

  const r = await call('POST', `${O}/services/${web.id}/restart`);
  assert.equal(r.status, 202, r.text);
  const done = await waitStatus(r.json.id);
  assert.equal(done.status, 'succeeded', done.log);
  [c] = webContainers();
  assert.equal(c.state, 'running', 'ps:restart runs it again');
  assert.notEqual(c.id, before.id, 'ps:restart replaced the container');
  assert.equal((await appEnv()).NON_ASCII, VARS.NON_ASCII);

  const destroy = await deploy(web, 'destroy');
  assert.equal(destroy.end.status, 'succeeded', destroy.log);
  assert.deepEqual(webContainers(), [], 'apps:destroy removed the container');
  assert.equal(node.dokkuApp('journey-web'), null);
  await assert.rejects(fetch(`http://127.0.0.1:${hostPort}${ENV_PATH}`), 'the port mapping is gone');
});

test('an engine that is down fails the deploy with the docker error, as on a real node', async () => {
  // The node's dockerd really stopped (node.dockerDown), then started again.
  const w = await call('POST', `${O}/applications/${app.id}/services`, { name: 'again', type: 'docker', image,
    docker_registry_id: web.docker_registry_id, ports: [`http:${await freePort()}:${await freePort()}`] });
  assert.equal(w.status, 201, w.text);
  await node.dockerDown(true);
  try {
    const f = await deploy(w.json);
    assert.equal(f.end.status, 'failed', f.log);
    assert.match(f.log, /Cannot connect to the Docker daemon at unix:\/\/.*docker\.sock/);
  } finally {
    await node.dockerDown(false);
  }
});
