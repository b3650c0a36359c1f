// Job claims per second across two `wharf serve` replicas on one PostgreSQL (issue 9). Starts a
// throwaway PostgreSQL (the e2e harness's: 127.0.0.1, fsync off), two replicas with the test-only
// `sleep` kind, enqueues JOBS zero-length jobs over TARGETS servers through both replicas at once,
// and reports jobs / (last finished_at - first started_at), read from the jobs table: each job is
// one claim (FOR UPDATE SKIP LOCKED), two log appends and its end, by 2 × WORKERS workers.
// Usage: WHARF_BIN=build/src/server/wharf node bench/jobs/claims_pg_replicas.mjs [JOBS=2000] [TARGETS=200] [WORKERS=4]
import { mkdtempSync, writeFileSync } from 'node:fs';
import crypto from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { startPostgres, startWharf, signup, api } from '../../tests/e2e/lib/harness.mjs';

const JOBS = Number(process.argv[2] || 2000);
const TARGETS = Number(process.argv[3] || 200);
const WORKERS = Number(process.argv[4] || 4);
const pg = await startPostgres();
const servers = [];
try {
  const url = pg.createDatabase('jobs_bench');
  const keyDir = mkdtempSync(path.join(os.tmpdir(), 'wharf-key-'));
  writeFileSync(path.join(keyDir, 'master.key'), crypto.randomBytes(32).toString('base64url') + '\n', { mode: 0o600 });
  const env = { WHARF_MASTER_KEY_FILE: path.join(keyDir, 'master.key') };
  const args = (n) => ['--database', url, '--enable-test-jobs', '--job-workers', String(WORKERS), '--job-poll-ms', '1000', '--replica-id', n];
  servers.push(...await Promise.all(['a', 'b'].map((n) => startWharf({ args: args(n), env }))));
  const ada = await signup(servers[0].url, 'ada');
  const per = Math.ceil(JOBS / TARGETS);
  await Promise.all(Array.from({ length: TARGETS }, (_, t) => api(servers[t % 2].url, 'POST', `/api/v1/orgs/${ada.org.slug}/test-jobs`,
    { token: ada.token, body: { target_id: `srv_${t}`, sleep_ms: 0, count: per } })));
  const total = per * TARGETS;
  for (;;) {
    const done = Number(pg.psql('jobs_bench', "SELECT COUNT(*) FROM jobs WHERE status IN ('succeeded', 'failed')"));
    if (done >= total) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const [first, last] = pg.psql('jobs_bench', 'SELECT MIN(started_at), MAX(finished_at) FROM jobs').split('|').map(Number);
  const failed = pg.psql('jobs_bench', "SELECT COUNT(*) FROM jobs WHERE status <> 'succeeded' OR attempts <> 1");
  const split = pg.psql('jobs_bench', 'SELECT claimed_by || \'=\' || COUNT(*) FROM jobs GROUP BY claimed_by ORDER BY 1').split('\n').join(' ');
  const secs = (last - first) / 1000;
  console.log(`${total} jobs over ${TARGETS} servers, 2 replicas x ${WORKERS} workers: ${secs.toFixed(2)} s, ` +
    `${(total / secs).toFixed(0)} claims/s (each claim run and ended); per replica ${split}; not succeeded once: ${failed}`);
} finally {
  for (const s of servers) { await s.stop(); s.cleanup(); }
  pg.stop();
}
