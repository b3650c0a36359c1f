// Helpers for the job-queue tests: enqueue harmless `sleep` jobs (wharf serve --enable-test-jobs)
// and read back when and where each one ran, from the lines the sleep handler writes to its log:
//   [sleep] start <ms> on <replica> attempt <n>
//   [sleep] end <ms>
import assert from 'node:assert/strict';
import { api } from './harness.mjs';

export async function enqueueSleep(url, who, target, { ms = 100, count = 1, logLines = 0 } = {}) {
  const r = await api(url, 'POST', `/api/v1/orgs/${who.org.slug}/test-jobs`, { token: who.token, body: { target_id: target, sleep_ms: ms, count, log_lines: logLines } });
  assert.equal(r.status, 202, r.text);
  return r.json.job_ids;
}

export async function getJob(url, who, id) {
  const r = await api(url, 'GET', `/api/v1/orgs/${who.org.slug}/jobs/${id}`, { token: who.token });
  assert.equal(r.status, 200, r.text);
  return r.json;
}

// Every run of a job: [{replica, attempt, start, end?}] in log order.
export function runsOf(job) {
  const runs = [];
  for (const line of job.log.split('\n')) {
    let m = line.match(/^\[sleep\] start (\d+) on (\S+) attempt (\d+)$/);
    if (m) runs.push({ start: Number(m[1]), replica: m[2], attempt: Number(m[3]) });
    m = line.match(/^\[sleep\] end (\d+)$/);
    if (m && runs.length) runs[runs.length - 1].end = Number(m[1]);
  }
  return runs;
}

// Polls until every job ended (not queued or running); returns them.
export async function waitJobsEnded(url, who, ids, ms = 30000) {
  const t0 = Date.now();
  for (;;) {
    const jobs = await Promise.all(ids.map((id) => getJob(url, who, id)));
    if (jobs.every((j) => j.status !== 'queued' && j.status !== 'running')) return jobs;
    if (Date.now() - t0 > ms) {
      const left = jobs.filter((j) => j.status === 'queued' || j.status === 'running').map((j) => `${j.id}:${j.status}`);
      throw new Error(`jobs still not ended after ${ms} ms: ${left.join(', ')}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function waitFor(probe, ms, what) {
  const t0 = Date.now();
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// Asserts that no two runs on one target overlap in time (jobs: the ended job objects).
export function assertSerializedPerTarget(jobs) {
  const byTarget = new Map();
  for (const j of jobs) {
    for (const run of runsOf(j)) {
      assert.ok(run.end, `job ${j.id} has a run without an end: ${j.log}`);
      if (!byTarget.has(j.target_id)) byTarget.set(j.target_id, []);
      byTarget.get(j.target_id).push({ ...run, id: j.id });
    }
  }
  for (const [target, runs] of byTarget) {
    runs.sort((a, b) => a.start - b.start);
    for (let i = 1; i < runs.length; i++)
      assert.ok(runs[i].start >= runs[i - 1].end,
        `target ${target}: ${runs[i].id} started at ${runs[i].start} on ${runs[i].replica} while ${runs[i - 1].id} ran until ${runs[i - 1].end} on ${runs[i - 1].replica}`);
  }
}
