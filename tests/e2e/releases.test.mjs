// Releases, rollbacks, the watch after start and live runtime logs against the REAL Docker engine
// of the faithful test node (the 0.38.27 stand-in, tests/e2e/lib/dokku_standin.py) and a REAL
// registry (tests/e2e/lib/registry.mjs): nothing modelled.
//   - deploy v1, v2 (a changed variable: the same image, so Dokku's ps:rebuild), roll back to v1
//     and read v1's value from the running container over HTTP;
//   - move the tag to another image, deploy, roll back by digest: the old image runs again;
//   - an image that crashes on start: the deployment ends failed_after_start with its log lines
//     and the fix naming the previous release;
//   - `GET …/logs?follow=true` streams lines the app printed after the stream opened, redacted.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startWharf, api, signup, freePort } from './lib/harness.mjs';
import { startSshd, NODE_USER } from './lib/sshd.mjs';
import { startRegistry } from './lib/registry.mjs';
import { importImage, parseEnv, ENV_PATH, CRASH_CMD } from './lib/image.mjs';
import { DOCKER } from './lib/dockerd.mjs';
import { readLog } from './lib/sse.mjs';
import { cliUser } from './lib/cli.mjs';
import { launchBrowser, newContext, shot, uiLogin } from './lib/browser.mjs';
import { startReceiver } from './lib/webhook_receiver.mjs';

const REG_PASS = 'releases-Reg-Pass-77c1';
const SECRET = 'tok-Very-Secret-4e8a91';
let node, reg, s, ada, O, app, web, repo, hostPort, containerPort, rx;

async function call(method, p, body, token = ada.token) {
  return api(s.url, method, p, { token, body });
}

// Builds an image offline on the node's engine and pushes it to `tag` of the test repository;
// returns the digest the registry answers for the tag.
async function pushImage(tag, opts) {
  const ref = `${repo}:${tag}`;
  importImage(node.engine, ref, opts);
  const cfg = mkdtempSync(path.join(os.tmpdir(), 'wharf-docker-config-'));
  try {
    const env = { ...process.env, DOCKER_CONFIG: cfg, DOCKER_HOST: node.engine.host };
    execFileSync(DOCKER, ['login', '--password-stdin', '-u', 'alice', reg.host], { input: REG_PASS, env, stdio: ['pipe', 'pipe', 'pipe'] });
    execFileSync(DOCKER, ['push', ref], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  } finally {
    rmSync(cfg, { recursive: true, force: true });
  }
  node.engine.docker(['rmi', ref]);  // the node pulls it from the registry
  const r = await fetch(`http://${reg.host}/v2/rel/app/manifests/${tag}`, {
    method: 'HEAD',
    headers: { authorization: `Basic ${Buffer.from(`alice:${REG_PASS}`).toString('base64')}`,
      accept: 'application/vnd.docker.distribution.manifest.v2+json' },
  });
  assert.equal(r.status, 200);
  return r.headers.get('docker-content-digest');
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

async function deploy() {
  const r = await call('POST', `${O}/services/${web.id}/deploy`);
  assert.equal(r.status, 202, r.text);
  const { log, end } = await readLog(`${s.url}${O}/deployments/${r.json.id}/log`, ada.token);
  return { id: r.json.id, log, end };
}

async function rollback(version) {
  const r = await call('POST', `${O}/services/${web.id}/rollback`, { version });
  assert.equal(r.status, 202, r.text);
  assert.equal(r.json.job_id, r.json.deployment_id);
  const { log, end } = await readLog(`${s.url}${O}/deployments/${r.json.deployment_id}/log`, ada.token);
  return { id: r.json.deployment_id, log, end };
}

async function get(p, ms = 10000) {
  const deadline = Date.now() + ms;
  let last;
  for (;;) {
    try {
      const r = await fetch(`http://127.0.0.1:${hostPort}${p}`);
      if (r.status === 200) return Buffer.from(await r.arrayBuffer());
      last = `HTTP ${r.status}`;
    } catch (e) { last = e.message; }
    if (Date.now() > deadline) throw new Error(`the app does not answer ${p} on 127.0.0.1:${hostPort}: ${last}`);
    await new Promise((res) => setTimeout(res, 100));
  }
}
const appEnv = async () => parseEnv(await get(ENV_PATH));
const version = async () => (await get('/version.txt')).toString().trim();
const releases = async () => {
  const r = await call('GET', `${O}/services/${web.id}/releases`);
  assert.equal(r.status, 200, r.text);
  return r.json.items;
};

let digestOne;

before(async () => {
  node = await startSshd();
  reg = await startRegistry({ mode: 'htpasswd', users: { alice: REG_PASS } });
  repo = `${reg.host}/rel/app`;
  digestOne = await pushImage('stable', { marker: 'image-one' });
  hostPort = await freePort();
  containerPort = await freePort();

  s = await startWharf({ args: ['--node-dns-probe', 'localhost', '--min-disk-free-mb', '100',
    '--watch-after-start-seconds', '3', '--log-streams-per-server', '2'] });
  ada = await signup(s.url, 'ada');
  O = `/api/v1/orgs/${ada.org.slug}`;
  const k = (await call('POST', `${O}/ssh-keys`, { name: 'deploy', generate: { type: 'ed25519' } })).json;
  node.authorize(NODE_USER, (await call('GET', `${O}/ssh-keys/${k.id}/public-key`)).text);
  const srv = await call('POST', `${O}/servers`, { name: 'node-1', host: '127.0.0.1', port: node.port, username: NODE_USER, ssh_key_id: k.id });
  assert.equal(srv.status, 201, srv.text);
  const cred = await call('POST', `${O}/docker-registries`, { name: 'local', host: reg.host, username: 'alice', password: REG_PASS });
  assert.equal(cred.status, 201, cred.text);
  const a = await call('POST', `${O}/applications`, { name: 'rel', server_id: srv.json.id });
  assert.equal(a.status, 201, a.text);
  app = a.json;
  const w = await call('POST', `${O}/applications/${app.id}/services`, {
    name: 'web', type: 'docker', image: `${repo}:stable`, docker_registry_id: cred.json.id,
    ports: [`http:${hostPort}:${containerPort}`],
    variables: [{ key: 'GREETING', value: 'hello-one' }, { key: 'API_TOKEN', value: SECRET }],
  });
  assert.equal(w.status, 201, w.text);
  web = w.json;
  // deployment.failed_after_start and deployment.failed go to a webhook verified by npm's
  // `standardwebhooks` (docs/notifications.md).
  rx = await startReceiver();
  const hook = await call('POST', `${O}/notification-channels`, { name: 'deploys', type: 'webhook', url: `${rx.url}/deploys` });
  assert.equal(hook.status, 201, hook.text);
  rx.sign('/deploys', hook.json.signing_secret);
  assert.equal((await call('POST', `${O}/notification-channels/${hook.json.id}/test`)).json.ok, true);
  const rule = await call('POST', `${O}/notification-rules`, { events: ['deployment.failed_after_start', 'deployment.failed'], channel_ids: [hook.json.id] });
  assert.equal(rule.status, 201, rule.text);
});

after(async () => {
  if (s?.exited) console.error(`wharf exited ${JSON.stringify(s.exited)}:\n${s.logs.slice(-4000)}`);
  await s?.stop(); s?.cleanup(); await node?.cleanup(); await reg?.stop(); await rx?.stop();
});

test('deploy v1, v2 with a changed variable, roll back to v1: the running container has v1\'s value again', async () => {
  const v1 = await deploy();
  assert.equal(v1.end.status, 'succeeded', v1.log);
  assert.match(v1.log, new RegExp(`is ${digestOne} in its registry: deploying it by digest`));
  assert.ok(v1.log.includes(`$ dokku git:from-image rel-web ${repo}@${digestOne}\n`), v1.log);
  assert.match(v1.log, /Watching web for 3 s after start[^\n]*\n[\s\S]*web stayed up for 3 s/);
  assert.match(v1.log, /Recorded release v1/);
  assert.equal((await appEnv()).GREETING, 'hello-one');

  let items = await releases();
  assert.equal(items.length, 1);
  assert.equal(items[0].version, 1);
  assert.equal(items[0].current, true);
  assert.equal(items[0].deployment_id, v1.id);
  assert.deepEqual(items[0].source, { kind: 'image', image: `${repo}:stable`, image_digest: digestOne });
  assert.match(items[0].variables_hash, /^hmac-sha256:[0-9a-f]{64}$/);
  assert.deepEqual(items[0].ports, [`http:${hostPort}:${containerPort}`]);
  assert.deepEqual(items[0].domains, []);
  assert.ok(items[0].plan.some((l) => l.startsWith('dokku git:from-image')), JSON.stringify(items[0].plan));
  assert.equal(items[0].created_by, ada.user.id);

  const put = await call('PUT', `${O}/services/${web.id}/variables/GREETING`, { value: 'hello-two' });
  assert.equal(put.status, 200, put.text);
  const v2 = await deploy();
  assert.equal(v2.end.status, 'succeeded', v2.log);
  // The same digest again: Dokku's git:from-image would stop at "No changes detected", so Wharf rebuilds.
  assert.ok(v2.log.includes('$ dokku ps:rebuild rel-web\n'), v2.log);
  assert.ok(!v2.log.includes('$ dokku git:from-image'), v2.log);
  assert.equal((await appEnv()).GREETING, 'hello-two');

  items = await releases();
  assert.deepEqual(items.map((r) => [r.version, r.current]), [[2, true], [1, false]]);
  assert.notEqual(items[0].variables_hash, items[1].variables_hash);
  const hashOne = items[1].variables_hash;

  // The preview names keys only.
  const dry = await call('POST', `${O}/services/${web.id}/rollback`, { version: 1, dry_run: true });
  assert.equal(dry.status, 200, dry.text);
  assert.deepEqual(dry.json.changes.variables, { added: [], removed: [], changed: ['GREETING'] });
  assert.equal(dry.json.changes.source, null);
  assert.deepEqual(dry.json.changes.domains, { added: [], removed: [] });
  for (const v of ['hello-one', 'hello-two', SECRET]) assert.ok(!dry.text.includes(v), `${v} is not in the preview`);
  assert.equal((await releases()).length, 2, 'a dry run records nothing');

  const rb = await rollback('v1');
  assert.equal(rb.end.status, 'succeeded', rb.log);
  assert.equal((await appEnv()).GREETING, 'hello-one', "v1's value runs again");
  assert.equal((await appEnv()).API_TOKEN, SECRET);
  assert.ok(!rb.log.includes(SECRET) && !rb.log.includes('hello-one'), rb.log);
  const dep = await call('GET', `${O}/deployments/${rb.id}`);
  assert.equal(dep.json.action, 'rollback');
  assert.equal(dep.json.trigger, 'rollback');
  items = await releases();
  assert.deepEqual(items.map((r) => [r.version, r.rollback_of, r.trigger]), [[3, 1, 'rollback'], [2, null, 'manual'], [1, null, 'manual']]);
  assert.equal(items[0].variables_hash, hashOne, 'the same variables as v1');

  const audit = await call('GET', `${O}/audit?limit=50`);
  assert.equal(audit.status, 200, audit.text);
  assert.ok(audit.json.items.some((e) => e.action === 'services.rollback' && e.resource_id === web.id), audit.text);
});

test('an image rollback deploys by digest after the tag moved to another image', async () => {
  const digestTwo = await pushImage('stable', { marker: 'image-two' });
  assert.notEqual(digestTwo, digestOne);
  const v4 = await deploy();
  assert.equal(v4.end.status, 'succeeded', v4.log);
  assert.ok(v4.log.includes(`$ dokku git:from-image rel-web ${repo}@${digestTwo}\n`), v4.log);
  assert.equal(await version(), 'image-two');
  const items = await releases();
  assert.equal(items[0].version, 4);
  assert.equal(items[0].source.image_digest, digestTwo);

  const rb = await rollback(1);
  assert.equal(rb.end.status, 'succeeded', rb.log);
  assert.ok(rb.log.includes(`$ dokku git:from-image rel-web ${repo}@${digestOne}\n`), rb.log);
  assert.equal(await version(), 'image-one', 'the old image runs again although the tag moved');
  const [c] = node.containers().filter((x) => x.name === 'rel-web.web.1');
  assert.equal(c.image, `${repo}@${digestOne}`);
});

test('rollback refusals: an unknown release names the kept ones; a bad version names the field', async () => {
  const r = await call('POST', `${O}/services/${web.id}/rollback`, { version: 99 });
  assert.equal(r.status, 404, r.text);
  assert.match(r.json.error.message, /v99 .*kept releases: v5, v4, v3, v2, v1/);
  const bad = await call('POST', `${O}/services/${web.id}/rollback`, { version: 'latest' });
  assert.equal(bad.status, 400, bad.text);
  assert.match(bad.text, /version/);
  // Another organisation's user sees nothing.
  const eve = await signup(s.url, 'eve');
  const other = await api(s.url, 'POST', `${O}/services/${web.id}/rollback`, { token: eve.token, body: { version: 1 } });
  assert.ok([403, 404].includes(other.status), other.text);
  const list = await api(s.url, 'GET', `${O}/services/${web.id}/releases`, { token: eve.token });
  assert.ok([403, 404].includes(list.status), list.text);
});

test('a release that crashes on start ends failed_after_start with its log lines and the fix naming the previous release', async () => {
  await pushImage('stable', { marker: 'image-crash', cmd: CRASH_CMD });
  const f = await deploy();
  assert.equal(f.end.status, 'failed_after_start', f.log);
  assert.match(f.log, /Process web\.1 of web is (restarting|exited)/);
  assert.match(f.log, /fatal: cannot open \/data\/app\.db/, 'the app\'s own last lines');
  assert.match(f.log, /booting with GREETING=\[redacted\]/, 'variable values redacted from the app\'s lines');
  assert.match(f.end.fix, /Roll back to v5/);
  const d = await call('GET', `${O}/deployments/${f.id}`);
  assert.equal(d.json.status, 'failed_after_start');
  assert.match(d.json.error_fix, /rollback \{"version": 5\}/);
  const items = await releases();
  assert.equal(items[0].version, 6, 'the release is recorded: it is what the node runs');
  // One deployment.failed_after_start names the app, the server, what stopped and the rollback;
  // no deployment.failed for the same deployment.
  const about = (m) => m.path === '/deploys' && m.json?.data?.deployment_id === f.id;
  const sent = await rx.waitFor((m) => about(m) && m.json.type === 'deployment.failed_after_start', 15000, 'deployment.failed_after_start');
  assert.equal(sent.verified, true, sent.verifyError);
  assert.equal(sent.json.data.application, 'rel');
  assert.equal(sent.json.data.server, 'node-1');
  assert.match(sent.json.data.message, /started, then failed its watch after start: Process web\.1 of web is/);
  assert.match(sent.json.data.fix, /Roll back to v5/);
  assert.ok(sent.json.data.url.endsWith(`/deployments/${f.id}`));
  assert.ok(!sent.body.includes(SECRET) && !sent.body.includes(REG_PASS));
  await new Promise((res) => setTimeout(res, 1000));
  assert.deepEqual(rx.got.filter(about).map((m) => m.json.type), ['deployment.failed_after_start']);

  const rb = await rollback(5);
  assert.equal(rb.end.status, 'succeeded', rb.log);
  assert.equal(await version(), 'image-one');
});

// A live log stream: its `line` events as they arrive.
async function openLogs(query, token = ada.token) {
  const ctl = new AbortController();
  const r = await fetch(`${s.url}${O}/services/${web.id}/logs?${query}`, { headers: { authorization: `Bearer ${token}` }, signal: ctl.signal });
  const st = { r, ctl, lines: [], end: null, buf: '' };
  if (r.status !== 200) return st;
  const reader = r.body.getReader();
  const dec = new TextDecoder();
  st.done = (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        st.buf += dec.decode(value, { stream: true });
        let i;
        while ((i = st.buf.indexOf('\n\n')) >= 0) {
          const block = st.buf.slice(0, i);
          st.buf = st.buf.slice(i + 2);
          const ev = (block.split('\n').find((l) => l.startsWith('event: ')) || '').slice(7);
          const data = block.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
          if (ev === 'line') st.lines.push(JSON.parse(data));
          if (ev === 'end') st.end = JSON.parse(data);
        }
      }
    } catch {}
  })();
  return st;
}

async function until(pred, ms = 15000, what = 'condition') {
  const deadline = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((res) => setTimeout(res, 200));
  }
}

test('runtime logs: a follow stream delivers lines the app printed after it opened, with the service\'s secrets redacted', async () => {
  const st = await openLogs('tail=0&follow=true');
  assert.equal(st.r.status, 200);
  assert.match(st.r.headers.get('content-type'), /text\/event-stream/);
  // The app prints each request's text on its own output; ask until the stream shows one.
  let n = 0;
  await until(async () => {
    n += 1;
    await get(`/cgi-bin/say?live-${n}`);
    return st.lines.some((l) => l.text.startsWith('said: live-'));
  }, 20000, 'a live line');
  const line = st.lines.find((l) => l.text.startsWith('said: live-'));
  assert.equal(line.process, 'web.1');
  assert.match(line.ts, /^\d{4}-\d\d-\d\dT[\d:.]+Z$/);
  await get(`/cgi-bin/say?${SECRET}`);
  await until(() => st.lines.some((l) => l.text === 'said: [redacted]'), 10000, 'the redacted line');
  assert.ok(!JSON.stringify(st.lines).includes(SECRET));

  // At most two follow streams per server here (--log-streams-per-server 2): a third is refused.
  const second = await openLogs('tail=1&follow=true');
  assert.equal(second.r.status, 200);
  const third = await openLogs('tail=1&follow=true');
  assert.equal(third.r.status, 429, await third.r.text());
  // The stream ends when its reader leaves: its slot frees up.
  st.ctl.abort();
  await until(async () => {
    const again = await openLogs('tail=1&follow=true');
    if (again.r.status === 200) { again.ctl.abort(); return true; }
    await again.r.text();
    return false;
  }, 20000, 'a freed slot');
  second.ctl.abort();

  // Without follow the last lines come, then the end.
  const last = await openLogs('tail=20');
  assert.equal(last.r.status, 200);
  await last.done;
  assert.deepEqual(last.end, { status: 'ended', error: null });
  assert.ok(last.lines.some((l) => l.text === 'said: [redacted]'), JSON.stringify(last.lines));
  assert.ok(!last.buf.includes(SECRET));

  const bad = await call('GET', `${O}/services/${web.id}/logs?tail=lots`);
  assert.equal(bad.status, 400);
  const eve = await signup(s.url, 'mallory');
  const other = await openLogs('tail=1', eve.token);
  assert.ok([403, 404].includes(other.r.status));
});

test('the CLI lists releases, previews and runs a rollback, and prints runtime logs', async () => {
  const cli = cliUser('ada');
  try {
    const login = await cli.run(['login', s.url, '--token', ada.token, '--org', ada.org.slug]);
    assert.equal(login.code, 0, login.stderr);
    const list = await cli.json(['releases', 'web', '--app', 'rel']);
    assert.equal(list[0].current, true);
    const top = list[0].version;
    const table = await cli.run(['releases', 'web', '--app', 'rel']);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, new RegExp(`v${top}\\s+\\*`));
    const dry = await cli.run(['rollback', 'web', '--app', 'rel', '--to', 'v2', '--dry-run']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, new RegExp(`Rolling back from v${top} to v2 changes:`));
    assert.ok(!dry.stdout.includes('hello-two') && !dry.stdout.includes(SECRET), dry.stdout);
    const run = await cli.run(['rollback', 'web', '--app', 'rel', '--to', 'v2', '--follow']);
    assert.equal(run.code, 0, run.stderr + run.stdout);
    assert.match(run.stderr, /succeeded/);
    assert.equal((await appEnv()).GREETING, 'hello-two');
    const bad = await cli.run(['rollback', 'web', '--app', 'rel', '--to', 'latest']);
    assert.equal(bad.code, 2, bad.stderr);
    await get('/cgi-bin/say?from-the-cli');
    const logs = await cli.run(['logs', 'web', '--app', 'rel', '-n', '50']);
    assert.equal(logs.code, 0, logs.stderr);
    assert.match(logs.stdout, /^web\.1 \| said: from-the-cli$/m);
  } finally {
    cli.cleanup();
  }
});

test('the web UI: the Releases tab previews a rollback by keys and runs it; the Logs tab streams, pauses, searches', async () => {
  const browser = await launchBrowser();
  try {
    const ctx = await newContext(browser, s.url);
    const page = await ctx.newPage();
    await uiLogin(page, ada);
    const base = `/o/${ada.org.slug}/applications/${app.id}/services/${web.id}`;
    await page.goto(`${base}/releases`);
    const rows = page.getByTestId('releases').locator('tbody tr');
    await rows.first().waitFor();
    const top = Number(await rows.first().getAttribute('data-version'));
    assert.equal(await rows.first().getAttribute('data-current'), 'true');
    assert.equal(await page.getByRole('link', { name: 'Logs' }).count(), 1, 'an image service has a Logs tab');
    await page.getByTestId('rollback-1').click();
    const preview = page.getByTestId('rollback-preview');
    await preview.waitFor();
    assert.match(await preview.textContent(), new RegExp(`Roll back from v${top} to v1`));
    assert.match(await page.getByTestId('rollback-changes').textContent(), /Variables changed: GREETING/);
    assert.ok(!(await page.content()).includes(SECRET));
    await shot(page, 'releases-rollback-preview');
    await page.getByTestId('rollback-confirm').click();
    await page.waitForURL(/\/deployments\/[^/]+$/);
    await page.locator('[data-testid="deployment-status"][data-status="succeeded"]').waitFor({ timeout: 60000 });
    assert.equal((await appEnv()).GREETING, 'hello-one');

    await page.goto(`${base}/logs`);
    const logs = page.getByTestId('logs');
    let n = 0;
    await until(async () => {
      n += 1;
      await get(`/cgi-bin/say?ui-${n}`);
      return /said: ui-\d+/.test(await logs.textContent());
    }, 20000, 'a live line in the UI');
    await page.getByTestId('logs-pause').click();
    assert.equal(await page.getByTestId('service-logs').getAttribute('data-paused'), 'true');
    await get('/cgi-bin/say?while-paused');
    await new Promise((res) => setTimeout(res, 1500));
    assert.ok(!(await logs.textContent()).includes('while-paused'), 'a paused view holds new lines');
    await page.getByTestId('logs-pause').click();
    await until(async () => (await logs.textContent()).includes('while-paused'), 10000, 'the held line after resuming');
    await page.getByTestId('logs-search').fill('while-paused');
    assert.equal((await logs.textContent()).trim(), 'web.1 | said: while-paused');
    await shot(page, 'service-logs');
    assert.deepEqual(ctx.problems, []);
  } finally {
    await browser.close();
  }
});
