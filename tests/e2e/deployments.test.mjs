// Deployments end to end, as a new user does it: an application on the local test node (a real
// sshd with the Dokku stand-in), a git service whose repository lives on a REAL `git http-backend`
// (HTTPS, test CA, token host credential) and a postgres service, the database URI referenced from
// the app's variables next to a generated secret; deploy, follow the log over SSE, and check on the
// node what Dokku ended up with. Then: a removed variable is unset, cancel, a failed step with its
// layer and fix, push-to-deploy from a signed webhook, a kill -9 in the middle of a deploy, and a
// Developer role scoped to another application refused at each step with the permission named.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startWharf, api, signup, memberWithRole } from './lib/harness.mjs';
import { startSshd, NODE_USER } from './lib/sshd.mjs';
import { makeTestCa, startGitServer } from './lib/git_server.mjs';
import { readLog } from './lib/sse.mjs';
import { startReceiver } from './lib/webhook_receiver.mjs';

const TOKEN = 'gitea-Deploy-Token-5c1d9e77';
const HOOK_SECRET = 'gitea-hook-secret-19be';
// Short leases so a deploy interrupted by kill -9 is taken over within seconds.
const WHARF_ARGS = ['--node-dns-probe', 'localhost', '--min-disk-free-mb', '100', '--job-lease-ms', '3000'];
let node, ca, git, repo, s, ada, O, server, provider, app, web, db, rx;
const everything = [];  // every response body and SSE stream seen, to grep for secrets

async function call(method, p, body, token = ada.token) {
  const r = await api(s.url, method, p, { token, body });
  everything.push(r.text);
  return r;
}

// Reads a deployment's SSE log to its end: the log text and the end event's data.
async function follow(id, token = ada.token) {
  const { text, log, end } = await readLog(`${s.url}${O}/deployments/${id}/log`, token);
  everything.push(text);
  return { log, end };
}

async function deploy(svc, action) {
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

// Adds a commit to a branch of the test git server's bare repository; returns its sha.
function pushCommit(name, branch, file) {
  const bare = path.join(git.dir, 'repos', `${name}.git`);
  const work = mkdtempSync(path.join(os.tmpdir(), 'wharf-push-'));
  const g = (args) => execFileSync('git', args, { encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@e.test', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@e.test' } }).trim();
  g(['clone', '-q', '-b', branch, bare, work]);
  writeFileSync(path.join(work, file), `${file} ${Date.now()}\n`);
  g(['-C', work, 'add', file]);
  g(['-C', work, 'commit', '-q', '-m', `add ${file}`]);
  g(['-C', work, 'push', '-q', 'origin', branch]);
  const sha = g(['-C', work, 'rev-parse', 'HEAD']);
  rmSync(work, { recursive: true, force: true });
  return sha;
}

function wharfLogText() {
  const f = path.join(s.dataDir, 'wharf.log');
  return s.logs + (existsSync(f) ? readFileSync(f, 'utf8') : '');
}

before(async () => {
  node = await startSshd();
  ca = makeTestCa();
  git = await startGitServer({ ca, users: { alice: TOKEN } });
  repo = git.addRepo('acme/shop', ['main']);
  node.trustCa(ca.caPem);  // the node trusts the git server's CA as a node trusts a public CA
  s = await startWharf({ env: { WHARF_EXTRA_CA_FILE: ca.caFile }, args: WHARF_ARGS });
  ada = await signup(s.url, 'ada');
  O = `/api/v1/orgs/${ada.org.slug}`;
  const k = (await call('POST', `${O}/ssh-keys`, { name: 'deploy', generate: { type: 'ed25519' } })).json;
  node.authorize(NODE_USER, (await call('GET', `${O}/ssh-keys/${k.id}/public-key`)).text);
  const srv = await call('POST', `${O}/servers`, { name: 'node-1', host: '127.0.0.1', port: node.port, username: NODE_USER, ssh_key_id: k.id });
  assert.equal(srv.status, 201, srv.text);
  server = srv.json;
  const gp = await call('POST', `${O}/git-providers`, { name: 'gitea', type: 'gitea', base_url: `${git.base}/git`, username: 'alice', token: TOKEN, webhook_secret: HOOK_SECRET });
  assert.equal(gp.status, 201, gp.text);
  provider = gp.json;
  // Every deployment outcome is also a notification (docs/notifications.md), to a signed webhook.
  rx = await startReceiver();
  const ch = await call('POST', `${O}/notification-channels`, { name: 'deploys', type: 'webhook', url: `${rx.url}/deploys` });
  assert.equal(ch.status, 201, ch.text);
  rx.sign('/deploys', ch.json.signing_secret);
  assert.equal((await call('POST', `${O}/notification-channels/${ch.json.id}/test`)).json.ok, true);
  const rule = await call('POST', `${O}/notification-rules`, { events: ['deployment.succeeded', 'deployment.failed', 'deployment.cancelled'], channel_ids: [ch.json.id] });
  assert.equal(rule.status, 201, rule.text);
});
after(async () => {
  await s?.stop(); s?.cleanup(); await git?.stop(); ca?.cleanup(); await node?.cleanup(); await rx?.stop();
});

test('a new user deploys a git app and its postgres; the node ends up with exactly the resolved variables', async () => {
  const a = await call('POST', `${O}/applications`, { name: 'shop', server_id: server.id });
  assert.equal(a.status, 201, a.text);
  app = a.json;
  const d = await call('POST', `${O}/applications/${app.id}/services`, { name: 'db', type: 'database', database: { engine: 'postgres', version: '16' } });
  assert.equal(d.status, 201, d.text);
  db = d.json;
  const w = await call('POST', `${O}/applications/${app.id}/services`, {
    name: 'web', type: 'app', git_provider_id: provider.id, repository: 'acme/shop', branch: 'main', port: 5000,
    variables: [
      { key: 'DATABASE_URL', value: '{{ db.DATABASE_URL }}' },
      { key: 'SESSION_SECRET', value: '{{ secret(40, "abcdefghijklmnopqrstuvwxyz0123456789") }}' },
      { key: 'GREETING', value: "hello $(touch /tmp/wharf-pwned) `id` 'quoted'\nsecond line" },
      { key: 'OLD_FLAG', value: 'on' },
    ],
  });
  assert.equal(w.status, 201, w.text);
  web = w.json;
  const dom = await call('POST', `${O}/services/${web.id}/domains`, { hostname: 'shop.example.com', letsencrypt: true });
  assert.equal(dom.status, 201, dom.text);

  // The app cannot go first: its database is not on the node yet.
  const early = await deploy(web);
  const e = await follow(early.id);
  assert.equal(e.end.status, 'failed', e.log);
  assert.match(e.end.error, /deploy the database service first/);

  const first = await deploy(db);
  assert.equal(first.status, 'queued');
  assert.equal(first.trigger, 'manual');
  assert.equal(first.created_by, ada.user.id);
  const f1 = await follow(first.id);
  assert.equal(f1.end.status, 'succeeded', f1.log);
  assert.match(f1.log, /\$ dokku postgres:create shop-db --image-version 16 --password \[credential\]/);
  const pg = node.dokkuDatabase('postgres', 'shop-db');
  assert.equal(pg.version, '16');

  const second = await deploy(web);
  const f2 = await follow(second.id);
  assert.equal(f2.end.status, 'succeeded', f2.log);
  // The order Dokku saw.
  const cmds = node.dokkuCalls().map((c) => c[0] === '--force' ? c[1] : c[0])
    .filter((c) => !/:(exists|links|report)$/.test(c) && c !== 'version');  // read-only probes
  const tail = cmds.slice(cmds.lastIndexOf('apps:create'));
  assert.deepEqual(tail, ['apps:create', 'postgres:link', 'config:set', 'domains:set', 'ports:set', 'git:auth', 'git:sync', 'letsencrypt:enable']);

  // What the node has: the decoded config equals the resolved variables, the link, domains, the branch head.
  const reveal = await call('GET', `${O}/services/${web.id}/variables?reveal=true`);
  assert.equal(reveal.status, 200, reveal.text);
  const resolved = Object.fromEntries(reveal.json.items.map((v) => [v.key, v.resolved]));
  const onNode = node.dokkuApp('shop-web');
  assert.deepEqual(onNode.env, resolved);
  assert.equal(onNode.env.GREETING, "hello $(touch /tmp/wharf-pwned) `id` 'quoted'\nsecond line");
  assert.ok(!existsSync('/tmp/wharf-pwned'), 'no value was ever evaluated by a shell');
  assert.equal(onNode.env.DATABASE_URL, pg.dsn, "Wharf's DATABASE_URL is the one the linked database has");
  assert.deepEqual(node.dokkuDatabase('postgres', 'shop-db').links, ['shop-web']);
  assert.deepEqual(onNode.domains, ['shop.example.com']);
  assert.deepEqual(onNode.ports, ['http:80:5000']);
  assert.equal(onNode.letsencrypt, true);
  assert.equal(onNode.rev, repo.shas.main, 'the deployed git rev is the branch head');

  const got = await call('GET', `${O}/deployments/${second.id}`);
  assert.equal(got.json.status, 'succeeded');
  assert.ok(got.json.started_at && got.json.finished_at);
  assert.deepEqual(got.json.log.split('\n').filter(Boolean), f2.log.split('\n').filter(Boolean), 'the stored log is what was streamed');
  const list = await call('GET', `${O}/applications/${app.id}/services/${web.id}/deployments`);
  assert.deepEqual(list.json.items.map((x) => x.id), [second.id, early.id]);
  const svc = await call('GET', `${O}/services/${web.id}`);
  assert.equal(svc.json.status, 'running');

  // No secret anywhere: stored log, SSE, API answers, wharf's own log.
  const creds = await call('POST', `${O}/services/${db.id}/reveal-credentials`);
  assert.equal(creds.status, 200, creds.text);
  const secrets = [TOKEN, resolved.SESSION_SECRET, creds.json.password, Buffer.from(resolved.SESSION_SECRET).toString('base64')];
  const revealBodies = new Set([reveal.text, creds.text]);
  const seen = everything.filter((t) => !revealBodies.has(t)).join('\n') + wharfLogText();
  for (const secret of secrets) assert.ok(!seen.includes(secret), `a secret leaked: ${secret.slice(0, 4)}…`);
  assert.match(f2.log, /dokku git:auth 127\.0\.0\.1 alice \[credential\]/);
  assert.match(f2.log, /SESSION_SECRET=\[40 bytes\]/);
});

test('saving a git service checks through the provider that the repository is reachable and the branch exists', async () => {
  const save = (body) => call('POST', `${O}/applications/${app.id}/services`, { type: 'app', git_provider_id: provider.id, port: 5000, ...body });
  const noBranch = await save({ name: 'nobranch', repository: 'acme/shop', branch: 'no-such-branch' });
  assert.equal(noBranch.status, 400, noBranch.text);
  assert.ok(noBranch.json.error.details.fields.branch, noBranch.text);
  assert.equal(noBranch.json.error.layer, 'git_token');
  const noRepo = await save({ name: 'norepo', repository: 'acme/missing', branch: 'main' });
  assert.equal(noRepo.status, 400, noRepo.text);
  assert.ok(noRepo.json.error.details.fields.repository, noRepo.text);
  assert.equal(noRepo.json.error.layer, 'git_token');
  const names = (await call('GET', `${O}/applications/${app.id}/services`)).json.items.map((x) => x.name);
  assert.ok(!names.includes('nobranch') && !names.includes('norepo'), 'nothing was saved');
  // A service saved with a reachable branch reports the passed check.
  const ok = await save({ name: 'again', repository: 'acme/shop', branch: 'main' });
  assert.equal(ok.status, 201, ok.text);
  assert.ok(ok.json.checks.some((c) => c.name === 'git_access' && c.status === 'passed'), ok.text);
  assert.equal((await call('DELETE', `${O}/services/${ok.json.id}`)).status, 204);
});

test('a removed variable is unset on the next deploy; redeploy and restart', async () => {
  const vars = (await call('GET', `${O}/services/${web.id}/variables`)).json.items;
  const keep = vars.filter((v) => v.key !== 'OLD_FLAG').map((v) => ({ key: v.key, value: v.value }));
  const put = await call('PUT', `${O}/services/${web.id}/variables`, { variables: keep });
  assert.equal(put.status, 200, put.text);
  assert.deepEqual((await call('GET', `${O}/services/${web.id}`)).json.unset_keys, ['OLD_FLAG']);
  const d = await deploy(web, 'redeploy');
  assert.equal(d.trigger, 'redeploy');
  const f = await follow(d.id);
  assert.equal(f.end.status, 'succeeded', f.log);
  assert.match(f.log, /\$ dokku config:unset --no-restart shop-web OLD_FLAG/);
  assert.equal(node.dokkuApp('shop-web').env.OLD_FLAG, undefined);
  assert.ok(node.dokkuApp('shop-web').env.SESSION_SECRET, 'the generated secret is kept across edits');
  assert.deepEqual((await call('GET', `${O}/services/${web.id}`)).json.unset_keys, []);
  assert.doesNotMatch(f.log, /apps:create|postgres:link/, 'a redeploy skips what the node already has');

  const r = await call('POST', `${O}/services/${web.id}/restart`);
  assert.equal(r.status, 202, r.text);
  assert.equal((await follow(r.json.id)).end.status, 'succeeded');
  assert.equal(node.dokkuApp('shop-web').state, 'running');
  const st = await call('POST', `${O}/services/${web.id}/stop`);
  assert.equal((await follow(st.json.id)).end.status, 'succeeded');
  assert.equal(node.dokkuApp('shop-web').state, 'stopped');
  assert.equal((await call('GET', `${O}/services/${web.id}`)).json.status, 'stopped');
  const bad = await call('POST', `${O}/applications/${app.id}/services/${web.id}/deployments`, { action: 'explode' });
  assert.equal(bad.status, 400);
  assert.ok(bad.json.error.details.fields.action);
});

// The stand-in's processes still running a given dokku command on the node (pgrep only looks).
function nodeProcesses(pattern) {
  try {
    return execFileSync('pgrep', ['-u', NODE_USER, '-f', pattern], { encoding: 'utf8' }).split('\n').filter(Boolean);
  } catch { return []; }
}

test('cancel: a queued deployment ends at once, a running step is interrupted on the node', async (t) => {
  node.dokkuSleep('config:set', 47);  // an odd number: pgrep below looks for this very sleep
  try {
    const running = await deploy(web);
    await waitStatus(running.id, ['running']);
    const queued = await deploy(web);
    assert.equal((await call('GET', `${O}/deployments/${queued.id}`)).json.status, 'queued', 'one deployment per server at a time');
    const c1 = await call('POST', `${O}/deployments/${queued.id}/cancel`);
    assert.equal(c1.status, 200, c1.text);
    assert.equal(c1.json.status, 'cancelled');
    // Wait until config:set (the slow step, 47 s) runs on the node, then cancel.
    const deadline = Date.now() + 10000;
    while (!(await call('GET', `${O}/deployments/${running.id}`)).json.log.includes('slow stand-in step')) {
      assert.ok(Date.now() < deadline);
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(nodeProcesses('^sleep 47$').length > 0, 'the slow step runs on the node');
    const before = node.dokkuCalls().length;
    const t0 = Date.now();
    const c2 = await call('POST', `${O}/deployments/${running.id}/cancel`);
    assert.equal(c2.status, 200, c2.text);
    assert.ok(Date.now() - t0 < 1000, 'cancel answers at once');
    const done = await waitStatus(running.id, ['cancelled', 'failed', 'succeeded'], 5000);
    const took = Date.now() - t0;
    assert.equal(done.status, 'cancelled', done.log);
    assert.ok(took < 3000, `the running step was interrupted, not waited for (${took} ms)`);
    t.diagnostic(`cancel of a running 47 s step: ${took} ms to cancelled (API poll every 100 ms)`);
    assert.match(done.log, /Cancelled: interrupted the running step 'dokku config:set --encoded --no-restart shop-web/);
    const f = await follow(running.id);
    assert.equal(f.end.status, 'cancelled');
    const after = node.dokkuCalls().slice(before).map((c) => c[0]);
    assert.ok(!after.includes('git:sync') && !after.includes('domains:set'), `nothing ran after the cancel: ${after}`);
    // The command on the node is gone (its process group got SIGTERM), sleep included.
    const gone = Date.now() + 3000;
    while (nodeProcesses('^sleep 47$').length > 0 && Date.now() < gone) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(nodeProcesses('^sleep 47$'), [], 'the interrupted command no longer runs on the node');
    assert.equal((await call('POST', `${O}/deployments/${running.id}/cancel`)).status, 409);
  } finally {
    node.dokkuSleep('config:set', null);
  }
  // The server is free again: the next deployment runs at once and succeeds.
  const next = await deploy(web);
  const f = await follow(next.id);
  assert.equal(f.end.status, 'succeeded', f.log);
});

test('deployment lists page newest first with limit and cursor; bad values are refused naming the field', async () => {
  for (const base of [`${O}/applications/${app.id}/deployments`, `${O}/applications/${app.id}/services/${web.id}/deployments`]) {
    const all = (await call('GET', `${base}?limit=200`)).json;
    assert.equal(all.next_cursor, null);
    assert.ok(all.items.length >= 5, `enough deployments to page (${all.items.length})`);
    for (let i = 1; i < all.items.length; i++)
      assert.ok(all.items[i - 1].created_at >= all.items[i].created_at, 'newest first');
    const seenIds = [];
    let cursor = null, pages = 0;
    do {
      const r = await call('GET', `${base}?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      assert.equal(r.status, 200, r.text);
      assert.ok(r.json.items.length <= 2);
      seenIds.push(...r.json.items.map((d) => d.id));
      cursor = r.json.next_cursor;
      pages++;
    } while (cursor && pages < 200);
    assert.deepEqual(seenIds, all.items.map((d) => d.id), 'the pages together are the whole list, in order, once each');
    assert.equal(pages, Math.ceil(all.items.length / 2));
    for (const [q, field] of [['limit=0', 'limit'], ['limit=201', 'limit'], ['limit=x', 'limit'], ['cursor=not-a-cursor', 'cursor'], ['cursor=%21%21', 'cursor']]) {
      const bad = await call('GET', `${base}?${q}`);
      assert.equal(bad.status, 400, `${q}: ${bad.text}`);
      assert.equal(bad.json.error.code, 'validation_failed');
      assert.ok(bad.json.error.details.fields[field], `${q} names ${field}: ${bad.text}`);
    }
  }
});

test('a failed git:sync fails the deployment with the layer and the fix', async () => {
  node.dokkuFail('git:sync', "remote: HTTP Basic: Access denied\nfatal: Authentication failed for 'https://127.0.0.1/git/acme/shop.git/'");
  try {
    const d = await deploy(web);
    const f = await follow(d.id);
    assert.equal(f.end.status, 'failed');
    assert.equal(f.end.layer, 'git_token');
    assert.match(f.end.error, /git:sync/);
    assert.match(f.end.error, /Authentication failed/);
    assert.match(f.end.fix, /token/);
    const got = (await call('GET', `${O}/deployments/${d.id}`)).json;
    assert.equal(got.error_layer, 'git_token');
    assert.match(got.error_fix, /verify/);
    assert.equal(got.log.match(/\[wharf\] FAILED/g)?.length, 1, `one FAILED block in the log:\n${got.log}`);
    // The notification names the application and service, the step, the layer and the fix.
    const n = await rx.waitFor((m) => m.json?.type === 'deployment.failed' && m.json.data.deployment_id === d.id);
    assert.equal(n.verified, true, n.verifyError);
    assert.equal(n.json.data.layer, 'git_token');
    assert.equal(n.json.data.application, app.name);
    assert.equal(n.json.data.service, web.name);
    assert.match(n.json.data.message, /git:sync/);
    assert.match(n.json.data.fix, /verify/);
    assert.ok(n.json.data.url.endsWith(`/deployments/${d.id}`));
  } finally {
    node.dokkuFail('git:sync', null);
  }
  // SSH is its own layer: a node Wharf cannot sign in to.
  node.authorize(NODE_USER, 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGk4m3z2dZbC8+Xq2h0l7L0x2m3m4n5o6p7q8r9s0t1u other@key');
  try {
    const d = await deploy(web);
    const f = await follow(d.id);
    assert.equal(f.end.status, 'failed');
    assert.equal(f.end.layer, 'ssh');
    assert.match(f.end.fix, /server check/);
  } finally {
    const k = (await call('GET', `${O}/servers/${server.id}`)).json.ssh_key_id;
    node.authorize(NODE_USER, (await call('GET', `${O}/ssh-keys/${k}/public-key`)).text);
  }
});

test('push-to-deploy: a signed push deploys the services on that branch with the commit; a bad signature deploys nothing', async () => {
  const sha = pushCommit('acme/shop', 'main', 'pushed.txt');
  const hook = (body, secret = HOOK_SECRET, delivery = crypto.randomUUID()) => fetch(`${s.url}/api/v1/webhooks/git/${provider.id}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-gitea-event': 'push', 'x-gitea-delivery': delivery,
      'x-gitea-signature': crypto.createHmac('sha256', secret).update(body).digest('hex') },
    body,
  });
  const count = async () => (await call('GET', `${O}/applications/${app.id}/services/${web.id}/deployments?limit=200`)).json.items.length;
  const n0 = await count();
  const body = JSON.stringify({ ref: 'refs/heads/main', after: sha, repository: { full_name: 'acme/shop' } });
  const forged = await hook(body, 'not-the-secret');
  assert.ok(forged.status >= 400, `a bad signature is refused (${forged.status})`);
  const other = await hook(JSON.stringify({ ref: 'refs/heads/develop', after: sha, repository: { full_name: 'acme/shop' } }));
  assert.ok(other.status < 300);
  assert.equal(await count(), n0, 'a forged delivery or another branch deploys nothing');
  const ok = await hook(body, HOOK_SECRET, 'delivery-1');
  assert.ok(ok.status < 300, await ok.text());
  const items = (await call('GET', `${O}/applications/${app.id}/services/${web.id}/deployments`)).json.items;
  assert.equal(items.length, n0 + 1);
  const d = items[0];
  assert.equal(d.trigger, 'push');
  assert.equal(d.commit_sha, sha);
  assert.equal(d.created_by, null);
  const f = await follow(d.id);
  assert.equal(f.end.status, 'succeeded', f.log);
  assert.equal(node.dokkuApp('shop-web').rev, sha, 'the pushed commit is what runs');
  // Replays: the same signed delivery again, and again under a fresh delivery id (the id header
  // is not signed), is answered 202 without effect and recorded as a replay.
  for (const delivery of ['delivery-1', 'a-fresh-delivery-id']) {
    const again = await hook(body, HOOK_SECRET, delivery);
    assert.equal(again.status, 202);
    assert.equal((await again.json()).outcome, 'replay');
  }
  assert.equal(await count(), n0 + 1, 'a replayed delivery deploys nothing');
  const prov = (await call('GET', `${O}/git-providers/${provider.id}`)).json;
  assert.equal(prov.webhook.last_outcome, 'replay', JSON.stringify(prov.webhook));
  assert.equal(prov.webhook.replays, 2);
});

test('restart safety: kill -9 in the middle of a deploy, start again, the deployment is taken over and finishes', async () => {
  node.dokkuSleep('git:sync', 4);
  try {
    const d = await deploy(web);
    const deadline = Date.now() + 15000;
    while (!(await call('GET', `${O}/deployments/${d.id}`)).json.log.includes('git:sync')) {
      assert.ok(Date.now() < deadline, 'the deploy reached git:sync');
      await new Promise((r) => setTimeout(r, 100));
    }
    const dataDir = s.dataDir;
    const env = s.env;
    await s.kill9();
    s = await startWharf({ dataDir, env, args: WHARF_ARGS });
    const done = await waitStatus(d.id, ['succeeded', 'failed'], 60000);
    assert.equal(done.status, 'succeeded', done.log);
    assert.match(done.log, /Resuming/);
    assert.equal(node.dokkuApp('shop-web').state !== undefined, true);
  } finally {
    node.dokkuSleep('git:sync', null);
  }
});

test('a Developer scoped to another application is refused at each step, the permission named', async () => {
  const other = await call('POST', `${O}/applications`, { name: 'blog', server_id: server.id });
  assert.equal(other.status, 201, other.text);
  const all = { create: true, read: true, update: true, delete: true };
  const dev = await memberWithRole(s.url, ada, 'dev', { applications: all, services: all, servers: { read: true } },
    { roleName: 'Developer', resource_scope: { applications: [other.json.id] } });
  const last = (await call('GET', `${O}/applications/${app.id}/services/${web.id}/deployments`)).json.items[0];
  const refused = async (method, p, body, permission) => {
    const r = await api(s.url, method, p, { token: dev.token, body });
    assert.equal(r.status, 403, `${method} ${p}: ${r.text}`);
    assert.equal(r.json.error.details.permission, permission, `${method} ${p}`);
    assert.match(r.json.error.message, new RegExp(permission.replace('.', '\\.')));
  };
  await refused('POST', `${O}/applications/${app.id}/services/${web.id}/deployments`, {}, 'services.update');
  await refused('POST', `${O}/services/${web.id}/deploy`, undefined, 'services.update');
  await refused('GET', `${O}/applications/${app.id}/services/${web.id}/deployments`, undefined, 'services.read');
  await refused('GET', `${O}/deployments/${last.id}`, undefined, 'services.read');
  await refused('GET', `${O}/deployments/${last.id}/log`, undefined, 'services.read');
  await refused('POST', `${O}/deployments/${last.id}/cancel`, undefined, 'services.update');
  // A viewer of the application may read deployments but not start one.
  const viewer = await memberWithRole(s.url, ada, 'viewer', { applications: { read: true }, services: { read: true } });
  const r = await api(s.url, 'GET', `${O}/deployments/${last.id}`, { token: viewer.token });
  assert.equal(r.status, 200, r.text);
  await (async () => {
    const x = await api(s.url, 'POST', `${O}/applications/${app.id}/services/${web.id}/deployments`, { token: viewer.token, body: {} });
    assert.equal(x.status, 403);
    assert.equal(x.json.error.details.permission, 'services.update');
  })();
  // The Developer deploys its own application's services.
  const svc = await api(s.url, 'POST', `${O}/applications/${other.json.id}/services`, { token: dev.token,
    body: { name: 'cache', type: 'database', database: { engine: 'redis' } } });
  assert.equal(svc.status, 201, svc.text);
  const ok = await api(s.url, 'POST', `${O}/applications/${other.json.id}/services/${svc.json.id}/deployments`, { token: dev.token, body: {} });
  assert.equal(ok.status, 202, ok.text);
  assert.equal((await follow(ok.json.id, dev.token)).end.status, 'succeeded');
  assert.ok(node.dokkuDatabase('redis', 'blog-cache'));
});

test('every deployment outcome was notified once, signed, and no message carries a secret', async () => {
  await new Promise((r) => setTimeout(r, 1000));
  const msgs = rx.got.filter((m) => m.path === '/deploys' && m.json?.type?.startsWith('deployment.'));
  const types = new Set(msgs.map((m) => m.json.type));
  for (const t of ['deployment.succeeded', 'deployment.failed', 'deployment.cancelled']) assert.ok(types.has(t), `a ${t} message`);
  const keys = msgs.map((m) => `${m.json.type}:${m.json.data.deployment_id}`);
  assert.equal(new Set(keys).size, keys.length, 'one message per deployment outcome');
  assert.ok(msgs.every((m) => m.verified));
  for (const m of msgs) for (const secret of [TOKEN, HOOK_SECRET]) assert.ok(!m.body.includes(secret), `${m.json.type} carries a secret`);
});
