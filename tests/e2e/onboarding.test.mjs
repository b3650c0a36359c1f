// Onboarding installs the pinned Dokku and the standard plugins over SSH, streams its log (SSE),
// stores it, and is resumable; a replica killed in the middle leaves the job to the next one,
// which takes it over once the lease expired and resumes (doing only what is missing).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startWharf, api, signup } from './lib/harness.mjs';
import { startSshd, NODE_USER } from './lib/sshd.mjs';
import { readLog } from './lib/sse.mjs';

let node, web, script = '';
before(async () => {
  node = await startSshd();
  // Serves the stand-in of dokku.com's bootstrap.sh on 127.0.0.1.
  web = http.createServer((req, res) => { res.writeHead(200, { 'content-type': 'text/x-shellscript' }); res.end(script); });
  await new Promise((r) => web.listen(0, '127.0.0.1', r));
});
after(async () => { web?.close(); await node?.cleanup(); });

async function setup(s, name) {
  const u = await signup(s.url, name);
  const O = `/api/v1/orgs/${u.org.slug}`;
  const k = (await api(s.url, 'POST', `${O}/ssh-keys`, { token: u.token, body: { name: 'k', generate: { type: 'ed25519' } } })).json;
  node.authorize(NODE_USER, (await api(s.url, 'GET', `${O}/ssh-keys/${k.id}/public-key`, { token: u.token })).text);
  const srv = await api(s.url, 'POST', `${O}/servers`, { token: u.token, body: { name: 'fresh', host: '127.0.0.1', port: node.port, username: NODE_USER, ssh_key_id: k.id } });
  assert.equal(srv.status, 201, srv.text);
  return { u, O, srv: srv.json };
}

// Reads an SSE stream to its end: returns the log text and the end event's data.
async function follow(base, path, token) {
  const { log, end, events } = await readLog(base + path, token);
  return { log, end, events };
}

test('onboarding a bare server installs Dokku and the six plugins, streaming the log; a second run does only what is missing', async () => {
  const s = await startWharf({ args: ['--node-dns-probe', 'localhost', '--min-disk-free-mb', '100', '--dokku-bootstrap-url', `http://127.0.0.1:${web.address().port}/bootstrap.sh`] });
  try {
    node.removeStandIn('dokku');
    const { u, O, srv } = await setup(s, 'olga');
    assert.equal(srv.last_check.checks.find((c) => c.name === 'dokku').code, 'dokku_missing');
    script = node.bootstrapScript({ sleep: 1 });
    const r = await api(s.url, 'POST', `${O}/servers/${srv.id}/onboard`, { token: u.token });
    assert.equal(r.status, 202, r.text);
    const { log, end, events } = await follow(s.url, `${O}/jobs/${r.json.job_id}/log`, u.token);
    assert.equal(end.status, 'succeeded', log);
    assert.ok(events >= 2, 'the log arrives in several events while the job runs');
    assert.match(log, /Installing Dokku 0\.38\.27/);
    assert.match(log, /Installing dokku v0\.38\.27 \(stand-in\)/, 'the bootstrap output is streamed');
    for (const p of ['postgres', 'mysql', 'mariadb', 'mongo', 'redis', 'letsencrypt']) assert.match(log, new RegExp(`Installing plugin ${p}`));
    assert.match(log, /Done: every check passes/);
    const job = await api(s.url, 'GET', `${O}/jobs/${r.json.job_id}`, { token: u.token });
    assert.equal(job.json.status, 'succeeded');
    assert.deepEqual(job.json.log.split('\n').filter(Boolean), log.split('\n').filter(Boolean), 'the stored log is what was streamed');
    const installs = node.dokkuCalls().filter((c) => c[0] === 'plugin:install');
    assert.deepEqual(installs.map((c) => c[5]), ['postgres', 'mysql', 'mariadb', 'mongo', 'redis', 'letsencrypt']);
    // Each plugin is pinned to a release tag, as Dokku itself is.
    assert.deepEqual(installs[0], ['plugin:install', 'https://github.com/dokku/dokku-postgres.git', '--committish', '1.48.0', '--name', 'postgres']);
    assert.deepEqual(installs.map((c) => c[3]), ['1.48.0', '1.44.3', '1.45.2', '1.40.6', '1.43.0', '0.25.1']);
    const after1 = await api(s.url, 'GET', `${O}/servers/${srv.id}`, { token: u.token });
    assert.equal(after1.json.status, 'healthy');

    // Resumable: run again, nothing is reinstalled.
    const again = await api(s.url, 'POST', `${O}/servers/${srv.id}/onboard`, { token: u.token });
    const second = await follow(s.url, `${O}/jobs/${again.json.job_id}/log`, u.token);
    assert.equal(second.end.status, 'succeeded');
    assert.match(second.log, /Dokku 0\.38\.27 is installed .*skipping the install/);
    assert.match(second.log, /Plugin letsencrypt is installed: skipping/);
    assert.equal(node.dokkuCalls().filter((c) => c[0] === 'plugin:install').length, 6);
  } finally {
    await s.stop();
    s.cleanup();
  }
});

test('kill -9 while onboarding runs: the next start takes the job over after its lease and resumes, never "running" forever', async () => {
  const args = ['--node-dns-probe', 'localhost', '--min-disk-free-mb', '100', '--dokku-bootstrap-url',
    `http://127.0.0.1:${web.address().port}/bootstrap.sh`, '--job-lease-ms', '1500', '--job-poll-ms', '200'];
  const s = await startWharf({ args });
  let s2;
  try {
    const { u, O, srv } = await setup(s, 'rita');
    node.removeStandIn('dokku');
    script = node.bootstrapScript({ sleep: 20 });
    const r = await api(s.url, 'POST', `${O}/servers/${srv.id}/onboard`, { token: u.token });
    for (;;) {
      const j = await api(s.url, 'GET', `${O}/jobs/${r.json.job_id}`, { token: u.token });
      if (j.json.log.includes('Installing dokku')) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    await s.kill9();
    script = node.bootstrapScript({ sleep: 1 });
    s2 = await startWharf({ dataDir: s.dataDir, args });
    const t0 = Date.now();
    let j;
    for (;;) {
      j = await api(s2.url, 'GET', `${O}/jobs/${r.json.job_id}`, { token: u.token });
      if (j.json.status !== 'running' && j.json.status !== 'queued') break;
      assert.ok(Date.now() - t0 < 30000, `job still ${j.json.status}: ${j.json.log}`);
      await new Promise((res) => setTimeout(res, 100));
    }
    assert.equal(j.json.status, 'succeeded', j.json.log);
    assert.equal(j.json.attempts, 2);
    assert.match(j.json.log, /took this job over \(attempt 2\)/);
    assert.match(j.json.log, /Resuming: onboarding is idempotent/);
    assert.match(j.json.log, /Done: every check passes/);
  } finally {
    if (s2) await s2.stop();
    s.cleanup();
  }
});

test('a user without servers.update cannot onboard; a job of another org is not found', async () => {
  const s = await startWharf({ args: ['--node-dns-probe', 'localhost', '--min-disk-free-mb', '100'] });
  try {
    node.dokkuVersion('0.38.27');
    const { u, O, srv } = await setup(s, 'uma');
    const { memberWithRole } = await import('./lib/harness.mjs');
    const viewer = await memberWithRole(s.url, u, 'val', { servers: { read: true } });
    const denied = await api(s.url, 'POST', `${O}/servers/${srv.id}/onboard`, { token: viewer.token });
    assert.equal(denied.status, 403);
    assert.equal(denied.json.error.details.permission, 'servers.update');
    const ok = await api(s.url, 'POST', `${O}/servers/${srv.id}/onboard`, { token: u.token });
    const other = await signup(s.url, 'eve');
    const stolen = await api(s.url, 'GET', `/api/v1/orgs/${other.org.slug}/jobs/${ok.json.job_id}`, { token: other.token });
    assert.equal(stolen.status, 404);
    const log = await api(s.url, 'GET', `/api/v1/orgs/${other.org.slug}/jobs/${ok.json.job_id}/log`, { token: other.token });
    assert.equal(log.status, 404);
  } finally {
    await s.stop();
    s.cleanup();
  }
});
