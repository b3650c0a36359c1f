// e2e-database: postgres
// The job queue across three `wharf serve` replicas on one PostgreSQL: many jobs enqueued at once
// through every replica run once each, on several replicas, one at a time per server (claims with
// FOR UPDATE SKIP LOCKED and the unique index on running jobs' server); a replica killed with
// SIGKILL mid-job leaves the job to another, which takes it over after the lease expired; and a
// replica restarting does not touch jobs the others are running; scheduled health checks run on
// one replica, not on each. Uses the test-only `sleep` kind.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import crypto from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { startWharf, signup, api, sharedPostgres } from './lib/harness.mjs';
import { startSshd, NODE_USER } from './lib/sshd.mjs';
import { enqueueSleep, getJob, runsOf, waitJobsEnded, waitFor, assertSerializedPerTarget } from './lib/jobs.mjs';

const LEASE_MS = 1500;
let pg, url, env, replicas = [], ada, node;
const args = (name) => ['--database', url, '--enable-test-jobs', '--job-workers', '3', '--job-lease-ms', String(LEASE_MS),
  '--job-poll-ms', '500', '--replica-id', name, '--node-dns-probe', 'localhost', '--min-disk-free-mb', '100',
  '--health-interval-seconds', '1'];

before(async () => {
  pg = await sharedPostgres();
  url = pg.createDatabase('jobs_replicas');
  const keyDir = mkdtempSync(path.join(os.tmpdir(), 'wharf-key-'));
  const keyFile = path.join(keyDir, 'master.key');
  writeFileSync(keyFile, crypto.randomBytes(32).toString('base64url') + '\n', { mode: 0o600 });
  env = { WHARF_MASTER_KEY_FILE: keyFile };
  replicas = await Promise.all(['r1', 'r2', 'r3'].map((n) => startWharf({ args: args(n), env })));
  ada = await signup(replicas[0].url, 'ada');
});

after(async () => {
  for (const s of replicas) if (s) { await s.stop(); s.cleanup(); }
  await node?.cleanup();
});

test('scheduled health checks run once across replicas, not once per replica', async () => {
  node = await startSshd();
  const O = `/api/v1/orgs/${ada.org.slug}`;
  const k = (await api(replicas[0].url, 'POST', `${O}/ssh-keys`, { token: ada.token, body: { name: 'k', generate: { type: 'ed25519' } } })).json;
  node.authorize(NODE_USER, (await api(replicas[0].url, 'GET', `${O}/ssh-keys/${k.id}/public-key`, { token: ada.token })).text);
  const srv = await api(replicas[1].url, 'POST', `${O}/servers`, { token: ada.token, body: { name: 'n1', host: '127.0.0.1', port: node.port, username: NODE_USER, ssh_key_id: k.id } });
  assert.equal(srv.status, 201, srv.text);
  await new Promise((r) => setTimeout(r, 6000));
  const h = await api(replicas[2].url, 'GET', `${O}/servers/${srv.json.id}/checks?limit=100`, { token: ada.token });
  const at = h.json.items.map((c) => Date.parse(c.at)).sort((a, b) => a - b);
  assert.ok(at.length >= 3, `only ${at.length} checks in 6 s with a 1 s interval`);
  // Three replicas each sweeping would check the server three times per interval, within
  // milliseconds of each other; one scheduler leaves about an interval between checks.
  assert.ok(at.length <= 8, `${at.length} checks in 6 s: more than one replica ran the schedule`);
  for (let i = 1; i < at.length; i++) assert.ok(at[i] - at[i - 1] >= 500, `two checks ${at[i] - at[i - 1]} ms apart: ${h.text}`);
  const sweepers = replicas.filter((r) => /"event":"health_checks_ran"/.test(r.logs));
  assert.equal(sweepers.length, 1, 'one replica, and only one, ran the health-check sweep');
});

test('jobs enqueued concurrently through three replicas each run once, spread over replicas, one at a time per server', async () => {
  const targets = ['srv_a', 'srv_b', 'srv_c', 'srv_d'];
  // 4 servers × 3 replicas × 5 jobs = 60 jobs, all enqueued at the same time.
  const batches = await Promise.all(replicas.flatMap((r) => targets.map((t) => enqueueSleep(r.url, ada, t, { ms: 60, count: 5 }))));
  const ids = batches.flat();
  assert.equal(ids.length, 60);
  const jobs = await waitJobsEnded(replicas[1].url, ada, ids, 60000);
  const ranOn = new Set();
  for (const j of jobs) {
    assert.equal(j.status, 'succeeded', j.log);
    assert.equal(j.attempts, 1, `job ${j.id} was claimed ${j.attempts} times`);
    const runs = runsOf(j);
    assert.equal(runs.length, 1, `job ${j.id} ran ${runs.length} times: ${j.log}`);
    assert.equal(runs[0].replica, j.claimed_by);
    ranOn.add(runs[0].replica);
  }
  assertSerializedPerTarget(jobs);
  assert.ok(ranOn.size >= 2, `every job ran on ${[...ranOn]}: idle replicas did not wake up`);
});

test('kill -9 of a replica mid-job: another replica takes the job over after the lease expired', async () => {
  const [id] = await enqueueSleep(replicas[0].url, ada, 'srv_kill', { ms: 4000 });
  const running = await waitFor(async () => {
    const j = await getJob(replicas[0].url, ada, id);
    return j.status === 'running' && runsOf(j).length === 1 ? j : null;
  }, 10000, 'the job to start');
  const victim = ['r1', 'r2', 'r3'].indexOf(running.claimed_by);
  assert.ok(victim >= 0, `claimed by ${running.claimed_by}`);
  const killedAt = Date.now();
  await replicas[victim].kill9();
  replicas[victim].cleanup();
  replicas[victim] = null;
  const alive = replicas.find(Boolean);
  // Before the lease runs out nobody touches it; after it, another replica takes it over.
  const taken = await waitFor(async () => {
    const j = await getJob(alive.url, ada, id);
    return j.attempts === 2 ? j : null;
  }, LEASE_MS + 5000, 'the takeover');
  assert.notEqual(taken.claimed_by, running.claimed_by);
  const [j] = await waitJobsEnded(alive.url, ada, [id], 20000);
  assert.equal(j.status, 'succeeded', j.log);
  assert.match(j.log, /took this job over \(attempt 2\)/);
  const [first, second] = runsOf(j);
  assert.ok(!first.end, 'the killed run never ended');
  assert.ok(second.start - killedAt >= LEASE_MS - 1000, `taken over ${second.start - killedAt} ms after the kill, before the lease expired`);
  // Bring the replica back for the next test.
  const name = ['r1', 'r2', 'r3'][victim];
  replicas[victim] = await startWharf({ args: args(name), env });
});

test('restarting one replica leaves the jobs another replica is running alone', async () => {
  const ids = await Promise.all(['srv_x', 'srv_y', 'srv_z'].map((t) => enqueueSleep(replicas[0].url, ada, t, { ms: 3000 })));
  const flat = ids.flat();
  const jobs = await waitFor(async () => {
    const all = await Promise.all(flat.map((id) => getJob(replicas[0].url, ada, id)));
    return all.every((j) => j.status === 'running') ? all : null;
  }, 10000, 'the jobs to run');
  // Restart a replica that runs none of them if there is one, else any: what it ran is released
  // to the queue (SIGTERM), what the others run is untouched.
  const names = ['r1', 'r2', 'r3'];
  const busy = new Set(jobs.map((j) => j.claimed_by));
  const idx = names.findIndex((n) => !busy.has(n));
  const restart = idx >= 0 ? idx : 0;
  await replicas[restart].stop();
  replicas[restart].cleanup();
  replicas[restart] = await startWharf({ args: args(names[restart]), env });
  const ended = await waitJobsEnded(replicas[restart].url, ada, flat, 20000);
  for (const j of ended) {
    assert.equal(j.status, 'succeeded', j.log);
    assert.ok(!/FAILED|Interrupted/.test(j.log), j.log);
    const before = jobs.find((b) => b.id === j.id).claimed_by;
    if (before !== names[restart]) {
      assert.equal(j.attempts, 1, `job ${j.id} on ${before} was disturbed: ${j.log}`);
      assert.equal(j.claimed_by, before);
    }
  }
});
