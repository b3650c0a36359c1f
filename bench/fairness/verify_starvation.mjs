// Benchmark: can one organisation's outbound checks starve everyone else's requests?
//
//   node bench/fairness/verify_starvation.mjs [wharf binary] [seconds per phase, default 10]
//
// One wharf (--allow-private-targets, so the checks may reach 127.0.0.1), two orgs. A "quiet" org
// reads GET /api/v1/orgs/{org}/servers from 4 concurrent clients; its latencies are measured
// (1) idle, then (2) while a "noisy" org keeps 64 docker-registry verifies in flight against a
// local TCP listener that accepts and never answers (each re-fired as soon as it ends; a 429 is
// re-fired after 100 ms), with the default per-org cap and with --max-outbound-per-org 64.
// Also measured in each loaded phase: the quiet org's own verify (a write, which used to share
// the 16 request threads with the noisy org's). Prints p50/p99 and the loaded/idle p99 ratio.
import net from 'node:net';
import { startWharf, api, signup } from '../../tests/e2e/lib/harness.mjs';

if (process.argv[2]) process.env.WHARF_BIN = process.argv[2];
const seconds = Number(process.argv[3] || 10);

const held = new Set();
const hole = net.createServer((sock) => { held.add(sock); sock.on('error', () => {}); sock.on('close', () => held.delete(sock)); });
await new Promise((r) => hole.listen(0, '127.0.0.1', r));
const holeHost = `127.0.0.1:${hole.address().port}`;

const pct = (xs, p) => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

async function measure(url, token, path, ms, clients = 4) {
  const lat = [];
  const end = Date.now() + ms;
  await Promise.all(Array.from({ length: clients }, async () => {
    while (Date.now() < end) {
      const t0 = performance.now();
      const r = await api(url, 'GET', path, { token });
      if (r.status !== 200) throw new Error(`${path}: ${r.status} ${r.text}`);
      lat.push(performance.now() - t0);
    }
  }));
  lat.sort((a, b) => a - b);
  return { n: lat.length, p50: pct(lat, 50), p99: pct(lat, 99) };
}

async function phase(label, args) {
  const w = await startWharf({ args });  // the harness waits for the info-level "ready" line
  try {
    const quiet = await signup(w.url, 'quiet');
    const noisy = await signup(w.url, 'noisy');
    const path = `/api/v1/orgs/${quiet.org.slug}/servers`;
    const verifyBody = { host: holeHost, username: 'u', password: 'p-123456', image: `${holeHost}/team/app:v1` };
    await measure(w.url, quiet.token, path, 1000);  // warm-up
    const idle = await measure(w.url, quiet.token, path, seconds * 1000);

    let stop = false;
    const counts = { fired: 0, limited: 0 };
    const attacker = Array.from({ length: 64 }, async () => {
      while (!stop) {
        counts.fired++;
        const r = await api(w.url, 'POST', `/api/v1/orgs/${noisy.org.slug}/docker-registries/test`,
          { token: noisy.token, body: verifyBody });
        if (r.status === 429) { counts.limited++; await new Promise((res) => setTimeout(res, 100)); }
      }
    });
    await new Promise((r) => setTimeout(r, 1000));  // let the 64 pile up
    const loaded = await measure(w.url, quiet.token, path, seconds * 1000);
    // The quiet org's own outbound check still runs (it answers 200 with a failed report: the
    // listener is silent to it too, so drop its connection at once by aiming at a closed port).
    const t0 = performance.now();
    const own = await api(w.url, 'POST', `/api/v1/orgs/${quiet.org.slug}/docker-registries/test`, {
      token: quiet.token, body: { host: '127.0.0.1:1', username: 'u', password: 'p-123456', image: '127.0.0.1:1/a/b:1' } });
    const ownMs = performance.now() - t0;
    stop = true;
    for (const s of held) s.destroy();
    const drain = setInterval(() => { for (const s of held) s.destroy(); }, 50);
    await Promise.all(attacker);
    clearInterval(drain);
    console.log(`${label}: idle p50 ${idle.p50.toFixed(2)} ms p99 ${idle.p99.toFixed(2)} ms (n=${idle.n}); ` +
      `loaded p50 ${loaded.p50.toFixed(2)} ms p99 ${loaded.p99.toFixed(2)} ms (n=${loaded.n}); ` +
      `p99 ratio ${(loaded.p99 / idle.p99).toFixed(2)}; noisy verifies fired ${counts.fired}, 429 ${counts.limited}; ` +
      `quiet org's own verify ${own.status} in ${ownMs.toFixed(0)} ms`);
  } finally {
    await w.stop();
    w.cleanup();
  }
}

try {
  await phase('default cap (4 per org)', []);
  await phase('--max-outbound-per-org 64', ['--max-outbound-per-org', '64']);
} finally {
  for (const s of held) s.destroy();
  hole.close();
}
