// The durable job queue on one replica (SQLite, then PostgreSQL): jobs of one target run one at a
// time while other targets run in parallel, cancel (queued and running), the SSE log, retention,
// and restarts: SIGTERM puts a running job back in the queue, kill -9 leaves it to the next start,
// which takes it over once the lease expired; nothing is marked failed for a restart.
// Uses the test-only `sleep` kind (wharf serve --enable-test-jobs).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWharf, api, signup, memberWithRole } from './lib/harness.mjs';
import { enqueueSleep, getJob, runsOf, waitJobsEnded, waitFor, assertSerializedPerTarget } from './lib/jobs.mjs';

const ARGS = ['--enable-test-jobs', '--job-workers', '4', '--job-lease-ms', '1500', '--job-poll-ms', '200'];
let s, ada;
before(async () => {
  s = await startWharf({ args: ARGS });
  ada = await signup(s.url, 'ada');
});
after(async () => { if (s) { await s.stop(); s.cleanup(); } });

test('jobs of one server run one at a time, each once; other servers run in parallel', async () => {
  const ids = (await Promise.all(['t1', 't2', 't3'].map((t) => enqueueSleep(s.url, ada, `srv_${t}`, { ms: 150, count: 4 })))).flat();
  const jobs = await waitJobsEnded(s.url, ada, ids);
  for (const j of jobs) {
    assert.equal(j.status, 'succeeded', j.log);
    assert.equal(j.attempts, 1);
    assert.equal(runsOf(j).length, 1, `job ${j.id} ran more than once: ${j.log}`);
    assert.deepEqual(j.payload, { ms: 150 });
  }
  assertSerializedPerTarget(jobs);
  // A server runs its jobs in the order they were queued, even the 4 queued in one millisecond
  // (not in the random order of their ids).
  for (const t of ['t1', 't2', 't3']) {
    const mine = jobs.filter((j) => j.target_id === `srv_${t}`);
    const byStart = [...mine].sort((a, b) => runsOf(a)[0].start - runsOf(b)[0].start).map((j) => j.id);
    assert.deepEqual(byStart, ids.filter((id) => mine.some((j) => j.id === id)), `srv_${t} ran its jobs out of order`);
  }
  // Parallel across servers: some runs of different servers overlapped.
  const runs = jobs.flatMap((j) => runsOf(j).map((r) => ({ ...r, target: j.target_id })));
  const overlapped = runs.some((a) => runs.some((b) => a.target !== b.target && a.start < b.end && b.start < a.end));
  assert.ok(overlapped, 'no two servers ever ran jobs at the same time with 4 workers');
});

test('cancel: a queued job ends cancelled at once, a running one at its next step; an ended one answers 409', async () => {
  const O = `/api/v1/orgs/${ada.org.slug}`;
  const both = await enqueueSleep(s.url, ada, 'srv_cancel', { ms: 30000, count: 2 });
  // Enqueued together: the first queued runs first; the other waits.
  const first = await waitFor(async () => {
    const jobs = await Promise.all(both.map((id) => getJob(s.url, ada, id)));
    return jobs.find((j) => j.status === 'running');
  }, 5000, 'one of the jobs to run');
  const running = first.id;
  const queued = both.find((id) => id !== running);
  assert.equal((await getJob(s.url, ada, queued)).status, 'queued', 'the second job of the server waits');
  const viewer = await memberWithRole(s.url, ada, 'vic', { servers: { read: true } });
  const denied = await api(s.url, 'POST', `${O}/jobs/${running}/cancel`, { token: viewer.token });
  assert.equal(denied.status, 403);
  assert.equal(denied.json.error.details.permission, 'servers.update');
  const other = await signup(s.url, 'eve');
  assert.equal((await api(s.url, 'POST', `/api/v1/orgs/${other.org.slug}/jobs/${running}/cancel`, { token: other.token })).status, 404);

  const q = await api(s.url, 'POST', `${O}/jobs/${queued}/cancel`, { token: ada.token });
  assert.equal(q.status, 200, q.text);
  assert.equal(q.json.status, 'cancelled');
  const r = await api(s.url, 'POST', `${O}/jobs/${running}/cancel`, { token: ada.token });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.status, 'running');
  assert.equal(r.json.cancel_requested, true);
  const t0 = Date.now();
  const [ended] = await waitJobsEnded(s.url, ada, [running], 5000);
  assert.equal(ended.status, 'cancelled', ended.log);
  assert.ok(Date.now() - t0 < 3000, 'the running job stopped at its next step, not at its end');
  assert.match(ended.log, /Cancelled on request/);
  const again = await api(s.url, 'POST', `${O}/jobs/${running}/cancel`, { token: ada.token });
  assert.equal(again.status, 409);
  assert.equal((await getJob(s.url, ada, queued)).attempts, 0, 'the cancelled queued job never ran');
});

test('the SSE log streams a job to its end event', async () => {
  const [id] = await enqueueSleep(s.url, ada, 'srv_sse', { ms: 300 });
  const r = await fetch(`${s.url}/api/v1/orgs/${ada.org.slug}/jobs/${id}/log`, { headers: { authorization: `Bearer ${ada.token}` } });
  assert.equal(r.status, 200);
  const text = await r.text();
  assert.match(text, /event: log\ndata: \[sleep\] start \d+ on \S+ attempt 1/);
  assert.match(text, /data: \[sleep\] end \d+/);
  assert.match(text, /event: end\ndata: \{"error":"","status":"succeeded"\}/);
});

test('SIGTERM puts a running job back in the queue and the next start runs it; kill -9 leaves it to the next start after the lease', async () => {
  const dir = s.dataDir;
  const [soft] = await enqueueSleep(s.url, ada, 'srv_restart', { ms: 2500 });
  await waitFor(async () => (await getJob(s.url, ada, soft)).status === 'running', 5000, 'the job to run');
  await s.stop();
  s = await startWharf({ dataDir: dir, args: ARGS });
  const [a] = await waitJobsEnded(s.url, ada, [soft]);
  assert.equal(a.status, 'succeeded', a.log);
  assert.match(a.log, /is stopping: the job goes back to the queue/);
  assert.equal(a.attempts, 2);
  assert.equal(runsOf(a).length, 2);

  const [hard] = await enqueueSleep(s.url, ada, 'srv_restart', { ms: 2500 });
  await waitFor(async () => (await getJob(s.url, ada, hard)).status === 'running', 5000, 'the job to run');
  await s.kill9();
  const killedAt = Date.now();
  s = await startWharf({ dataDir: dir, args: ARGS });
  const seen = await getJob(s.url, ada, hard);
  assert.equal(seen.status, 'running', 'a restart does not mark the job failed');
  const [b] = await waitJobsEnded(s.url, ada, [hard]);
  assert.equal(b.status, 'succeeded', b.log);
  assert.equal(b.attempts, 2);
  assert.match(b.log, /took this job over \(attempt 2\)/);
  const [first, second] = runsOf(b);
  assert.ok(!first.end, 'the killed run never ended');
  assert.ok(second.start >= killedAt, 'taken over only after the kill');
});

test('a job log keeps its newest part (--job-log-max-kib) and the SSE stream says what it dropped', async () => {
  const dir = s.dataDir;
  await s.stop();
  s = await startWharf({ dataDir: dir, args: [...ARGS, '--job-log-max-kib', '4'] });
  const [id] = await enqueueSleep(s.url, ada, 'srv_log', { ms: 10, logLines: 300 });  // 300 lines of 100 characters
  const [j] = await waitJobsEnded(s.url, ada, [id]);
  assert.equal(j.status, 'succeeded', j.log.slice(0, 500));
  assert.ok(j.log.length <= 4096 + 1024, `kept ${j.log.length} characters`);
  assert.ok(j.log_offset >= 300 * 100 - 5120, `log_offset ${j.log_offset}`);
  assert.match(j.log, /^\[sleep\] line \d+ /, 'the kept part starts at a line');
  assert.match(j.log, /\[sleep\] line 299 \.+\n\[sleep\] end \d+\n$/);
  const r = await fetch(`${s.url}/api/v1/orgs/${ada.org.slug}/jobs/${id}/log`, { headers: { authorization: `Bearer ${ada.token}` } });
  const text = await r.text();
  assert.match(text, /data: \[wharf\] … \d+ earlier characters dropped/);
  assert.match(text, /data: \[sleep\] line 299/);
});
