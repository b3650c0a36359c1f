// Benchmark (issue 5): stream a large database dump from the Dokku stand-in on the sshd test host
// into s3rver (behind the SigV4-verifying front) and measure how much the control plane's resident
// memory grows. Target: < 32 MiB growth for a 200 MiB dump.
//
//   WHARF_BIN=$PWD/build/src/server/wharf node bench/backups/stream_rss.mjs [MiB=200]
//
// Runs as root (the sshd test host needs it). Reads /proc/<wharf pid>/status: VmRSS just before
// the backup starts, then VmRSS every 20 ms and VmHWM at the end. Growth = peak - before.
import crypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import { startWharf, api, signup } from '../../tests/e2e/lib/harness.mjs';
import { startSshd, NODE_USER } from '../../tests/e2e/lib/sshd.mjs';
import { startS3 } from '../../tests/e2e/lib/s3.mjs';

const MIB = Number(process.argv[2] || 200);
const kib = (pid, field) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
const must = (r, status) => { if (r.status !== status) throw new Error(`${r.status} ${r.text}`); return r.json; };

const node = await startSshd();
const secret = crypto.randomBytes(16).toString('hex');
const s3 = await startS3({ region: 'us-east-1', buckets: ['backups'], keys: { AKIDBENCH: { secret } } });
const s = await startWharf({ args: ['--node-dns-probe', 'localhost', '--min-disk-free-mb', '100'] });
try {
  const u = await signup(s.url, 'bench');
  const t = u.token;
  const O = `/api/v1/orgs/${u.org.slug}`;
  const k = must(await api(s.url, 'POST', `${O}/ssh-keys`, { token: t, body: { name: 'k', generate: { type: 'ed25519' } } }), 201);
  node.authorize(NODE_USER, (await api(s.url, 'GET', `${O}/ssh-keys/${k.id}/public-key`, { token: t })).text);
  const srv = must(await api(s.url, 'POST', `${O}/servers`, { token: t, body: { name: 'n', host: '127.0.0.1', port: node.port, username: NODE_USER, ssh_key_id: k.id } }), 201);
  const app = must(await api(s.url, 'POST', `${O}/applications`, { token: t, body: { name: 'bench', server_id: srv.id } }), 201);
  const db = must(await api(s.url, 'POST', `${O}/applications/${app.id}/services`, { token: t, body: { name: 'bigdb', type: 'database', database: { engine: 'postgres', version: '16' } } }), 201);
  const st = must(await api(s.url, 'POST', `${O}/backup-storage`, { token: t, body: { name: 's3rver', endpoint: s3.endpoint, region: 'us-east-1', bucket: 'backups', path_style: true, access_key_id: 'AKIDBENCH', secret_access_key: secret } }), 201);
  must(await api(s.url, 'POST', `${O}/backup-storage/${st.id}/verify`, { token: t }), 200);
  const t0 = Date.now();
  node.setDokkuDatabase('postgres', 'bench-bigdb', { mib: MIB });  // the Dokku name: <application>-<service>
  console.error(`wrote a ${MIB} MiB dump on the node in ${Date.now() - t0} ms`);

  const pid = s.proc.pid;
  await new Promise((r) => setTimeout(r, 500));
  const before = kib(pid, 'VmRSS');
  const hwmBefore = kib(pid, 'VmHWM');
  let peak = before;
  const sampler = setInterval(() => { try { peak = Math.max(peak, kib(pid, 'VmRSS')); } catch {} }, 20);
  const started = Date.now();
  const b = must(await api(s.url, 'POST', `${O}/applications/${app.id}/services/${db.id}/backups`, { token: t, body: { storage: 'external', backup_storage_id: st.id } }), 202);
  let job;
  for (;;) {
    job = (await api(s.url, 'GET', `${O}/jobs/${b.job.id}`, { token: t })).json;
    if (!['queued', 'running'].includes(job.status)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const ms = Date.now() - started;
  clearInterval(sampler);
  const hwm = kib(pid, 'VmHWM');
  peak = Math.max(peak, hwm);
  const row = (await api(s.url, 'GET', `${O}/applications/${app.id}/services/${db.id}/backups/${b.id}`, { token: t })).json;
  if (job.status !== 'succeeded') throw new Error(`backup ${job.status}: ${job.error}\n${job.log}`);
  const growthMiB = (peak - before) / 1024;
  console.log(JSON.stringify({
    dump_mib: MIB, size: row.size, status: job.status, seconds: ms / 1000, mib_per_s: +(MIB / (ms / 1000)).toFixed(1),
    rss_before_mib: +(before / 1024).toFixed(1), hwm_before_mib: +(hwmBefore / 1024).toFixed(1),
    peak_rss_mib: +(peak / 1024).toFixed(1), growth_mib: +growthMiB.toFixed(1), target_mib: 32, pass: growthMiB < 32,
  }));
} finally {
  await s.stop();
  s.cleanup();
  await s3.stop();
  await node.cleanup();
}
