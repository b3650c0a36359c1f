// Benchmark: how long one scheduled health sweep takes for N servers against local sshd
// instances, at the default concurrency; and the latency of a warm on-demand check.
//
//   node bench/nodes/health_sweep.mjs [wharf binary] [counts, default 50,100,200] [domains per server, default 0]
//
// With domains > 0 each server also gets an application whose service has that many Let's Encrypt
// domains, and a local TLS server (node:tls, an openssl-made certificate) stands where the
// servers answer HTTPS (--certificate-check-port): the sweep then also reads every certificate.
//
// For each N: create N servers (spread over 4 sshd instances) with a long interval, stop wharf,
// mark every server due (sqlite3), start wharf again and read the first sweep's duration from its
// "health_checks_ran" log line. Needs root (the sshd helper creates the test users).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { startWharf, api, signup, freePort } from '../../tests/e2e/lib/harness.mjs';
import { startSshd, NODE_USER } from '../../tests/e2e/lib/sshd.mjs';

const counts = (process.argv[3] || '50,100,200').split(',').map(Number);
if (process.argv[2]) process.env.WHARF_BIN = process.argv[2];
const domains = Number(process.argv[4] || 0);
const common = ['--node-dns-probe', 'localhost', '--min-disk-free-mb', '100'];
let tlsServer, certDir;
if (domains > 0) {
  certDir = mkdtempSync(path.join(os.tmpdir(), 'wharf-bench-certs-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout',
    `${certDir}/k.pem`, '-out', `${certDir}/c.pem`, '-days', '60', '-subj', '/CN=bench.example.test',
    '-addext', 'subjectAltName=DNS:*.bench.example.test'], { stdio: 'pipe' });
  tlsServer = tls.createServer({ key: readFileSync(`${certDir}/k.pem`), cert: readFileSync(`${certDir}/c.pem`) }, (c) => c.end());
  const port = await freePort();
  await new Promise((r) => tlsServer.listen(port, '127.0.0.1', r));
  common.push('--certificate-check-port', String(port));
}
const nodes = [];
for (let i = 0; i < 4; ++i) nodes.push(await startSshd());
try {
  for (const n of counts) {
    let w = await startWharf({ args: [...common, '--health-interval-seconds', '86400'] });
    const dir = w.dataDir;
    const u = await signup(w.url, 'bench');
    const O = `/api/v1/orgs/${u.org.slug}`;
    const k = (await api(w.url, 'POST', `${O}/ssh-keys`, { token: u.token, body: { name: 'k', generate: { type: 'ed25519' } } })).json;
    const pub = (await api(w.url, 'GET', `${O}/ssh-keys/${k.id}/public-key`, { token: u.token })).text;
    for (const nd of nodes) nd.authorize(NODE_USER, pub);
    let first;
    for (let i = 0; i < n; ++i) {
      const r = await api(w.url, 'POST', `${O}/servers`, { token: u.token, body: { name: `n${i}`, host: '127.0.0.1', port: nodes[i % 4].port, username: NODE_USER, ssh_key_id: k.id } });
      if (r.status !== 201) throw new Error(r.text);
      first ??= r.json.id;
      if (domains > 0) {
        const app = (await api(w.url, 'POST', `${O}/applications`, { token: u.token, body: { name: `a${i}`, server_id: r.json.id } })).json;
        const svc = (await api(w.url, 'POST', `${O}/applications/${app.id}/services`, { token: u.token, body: { name: 'web', type: 'app', repository: 'https://git.example.com/acme/web.git', branch: 'main' } })).json;
        for (let d = 0; d < domains; ++d)
          await api(w.url, 'POST', `${O}/services/${svc.id}/domains`, { token: u.token, body: { hostname: `d${d}-s${i}.bench.example.test` } });
      }
    }
    // Warm on-demand checks (one connection each, full check list), 20 times.
    const lat = [];
    for (let i = 0; i < 20; ++i) {
      const t0 = performance.now();
      const r = await api(w.url, 'POST', `${O}/servers/${first}/check`, { token: u.token });
      lat.push(performance.now() - t0);
      if (!r.json.ok) throw new Error(r.text);
    }
    lat.sort((a, b) => a - b);
    await w.stop();
    execFileSync('sqlite3', [`${dir}/wharf.db`, 'UPDATE servers SET next_check_at = 0']);
    w = await startWharf({ dataDir: dir, args: [...common, '--health-interval-seconds', '86400'] });
    const deadline = Date.now() + 120000;
    let m;
    while (!(m = w.logs.split('\n').find((l) => l.includes('"health_checks_ran"'))) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const line = JSON.parse(m);
    if (domains > 0) {
      const got = (await api(w.url, 'GET', `${O}/servers/${first}`, { token: u.token })).json;
      if (got.last_check?.certificates?.length !== domains) throw new Error(`certificates not read: ${JSON.stringify(got.last_check)}`);
    }
    console.log(`servers=${n} domains_per_server=${domains} sweep_ms=${line.duration_ms} concurrency=${line.concurrency} warm_check_p50_ms=${lat[10].toFixed(1)} warm_check_max_ms=${lat[19].toFixed(1)}`);
    await w.stop();
    w.cleanup();
  }
} finally {
  for (const nd of nodes) await nd.cleanup();
  tlsServer?.close();
  if (certDir) rmSync(certDir, { recursive: true, force: true });
}
