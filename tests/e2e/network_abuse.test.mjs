// Network abuse resistance (docs/security.md, "Outbound checks and client addresses"):
// - a refused target answers the same whatever its port's state, and nothing connects to it;
// - one organisation's outbound checks against an address that never answers cannot starve the
//   others (per-org cap → 429, separate outbound pool);
// - behind a reverse proxy (--trusted-proxy) the client address comes from X-Forwarded-For, read
//   from the right, and is ignored from any other peer.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startWharf, api, signup, freePort } from './lib/harness.mjs';

const cleanups = [];
after(async () => { for (const c of cleanups.reverse()) await c(); });

// A TCP listener that counts connections; `silent` ones accept and never answer.
async function listener() {
  const sockets = new Set();
  let connections = 0;
  let reset = false;  // once set, every new connection is reset at once
  const server = net.createServer((sock) => {
    connections++;
    if (reset) { sock.destroy(); return; }
    sockets.add(sock);
    sock.on('error', () => {});
    sock.on('close', () => sockets.delete(sock));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const close = () => new Promise((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); });
  const resetAll = () => { reset = true; for (const s of sockets) s.destroy(); };
  return { port: server.address().port, connections: () => connections, resetAll, close };
}

const withoutRequestId = (text) => {
  const j = JSON.parse(text);
  if (j.error) delete j.error.request_id;
  return j;
};

test('without --allow-private-targets a refused target answers the same whatever the port state, and nothing connects', async () => {
  const s = await startWharf({ strictTargets: true });
  cleanups.push(async () => { await s.stop(); s.cleanup(); });
  const open = await listener();
  cleanups.push(open.close);
  const closed = await freePort();
  const u = await signup(s.url, 'scanner');
  const O = `/api/v1/orgs/${u.org.slug}`;
  const registryTest = (host) => api(s.url, 'POST', `${O}/docker-registries/test`, {
    token: u.token, body: { host, username: 'u', password: 'p-123456', image: `${host}/team/app:v1` } });

  // Numeric targets: refused on the field, before any lookup or connection.
  const literal = [];
  for (const host of [`127.0.0.1:${open.port}`, `127.0.0.1:${closed}`, `10.11.12.13:${open.port}`]) {
    const r = await registryTest(host);
    assert.equal(r.status, 400, r.text);
    literal.push(JSON.stringify(withoutRequestId(r.text)));
  }
  assert.equal(new Set(literal).size, 1, `the answers differ:\n${literal.join('\n')}`);

  // Names that resolve to loopback ("127.1" is not a literal inet_pton reads, yet resolves to
  // 127.0.0.1; localhost resolves to 127.0.0.1 and ::1): every resolved address is checked before
  // curl connects, so an open and a closed port give the same checks.
  for (const name of ['127.1', 'localhost']) {
    const answers = [];
    for (const port of [open.port, closed]) {
      const r = await registryTest(`${name}:${port}`);
      const j = withoutRequestId(r.text);
      // The hints echo the host as typed; everything else must not depend on the port.
      answers.push(JSON.stringify({ status: r.status, error: j.error, ok: j.ok, checks: j.checks })
        .replaceAll(`${name}:${port}`, 'HOST'));
    }
    assert.equal(answers[0], answers[1], `${name}: the answers differ by port state:\n${answers.join('\n')}`);
    assert.match(answers[0], /does not allow private targets/);
    assert.doesNotMatch(answers[0], new RegExp(`${open.port}|${closed}|127\\.0\\.0\\.1`), 'the refusal names the target');
  }

  // Backup storage endpoints and git provider base URLs go through the same guard.
  const answers = [];
  for (const port of [open.port, closed]) {
    const r = await api(s.url, 'POST', `${O}/backup-storage/test`, { token: u.token, body: {
      name: 'b', endpoint: `http://127.1:${port}`, bucket: 'bkt', region: 'us-east-1',
      access_key_id: 'AKIAEXAMPLE', secret_access_key: 'secret-key-123456' } });
    const j = withoutRequestId(r.text);
    answers.push(JSON.stringify({ status: r.status, error: j.error, ok: j.ok, checks: j.checks })
      .replaceAll(`127.1:${port}`, 'HOST'));
  }
  assert.equal(answers[0], answers[1], `backup storage answers differ by port state:\n${answers.join('\n')}`);
  assert.equal(open.connections(), 0, 'the open listener received a connection from a refused verify');
});

test('one org with 64 outbound checks stalled on a silent address: the 65th gets 429, another org still answers', async () => {
  const s = await startWharf({ args: ['--max-outbound-per-org', '64'] });
  cleanups.push(async () => { await s.stop(); s.cleanup(); });
  const hole = await listener();
  cleanups.push(hole.close);
  const noisy = await signup(s.url, 'noisy');
  const quiet = await signup(s.url, 'quiet');
  const host = `127.0.0.1:${hole.port}`;
  const verify = () => api(s.url, 'POST', `/api/v1/orgs/${noisy.org.slug}/docker-registries/test`, {
    token: noisy.token, body: { host, username: 'u', password: 'p-123456', image: `${host}/team/app:v1` } });
  const stalled = Array.from({ length: 64 }, verify);
  // All 64 are in flight: each has connected to the silent listener and waits for an answer.
  const deadline = Date.now() + 30000;
  while (hole.connections() < 64 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.ok(hole.connections() >= 64, `only ${hole.connections()} of the 64 checks reached the listener`);

  const extra = await verify();
  assert.equal(extra.status, 429, extra.text);
  assert.equal(extra.json.error.code, 'rate_limited');
  assert.ok(Number(extra.headers.get('retry-after')) > 0, 'Retry-After is missing');

  const other = await api(s.url, 'GET', `/api/v1/orgs/${quiet.org.slug}/servers`, { token: quiet.token });
  assert.equal(other.status, 200, other.text);
  const otherVerify = await api(s.url, 'POST', `/api/v1/orgs/${quiet.org.slug}/docker-registries/test`, {
    token: quiet.token, body: { host: 'x', username: 'u', password: 'p-123456' } });
  assert.notEqual(otherVerify.status, 429, 'the cap is per organisation');

  hole.resetAll();
  const done = await Promise.all(stalled);
  for (const r of done) assert.equal(r.status, 200, r.text);
  assert.equal((await verify()).status, 200, 'the slots were not given back');
});

async function auditIps(s, user) {
  const r = await api(s.url, 'GET', `/api/v1/orgs/${user.org.slug}/audit?limit=20`, { token: user.token });
  assert.equal(r.status, 200, r.text);
  return r.json.items;
}

// Exhausts the per-address sign-in budget of `forwarded` (malformed emails: no password hashing).
async function exhaustLogins(s, forwarded) {
  for (let i = 0; i < 200; i++) {
    const r = await api(s.url, 'POST', '/api/v1/auth/login', {
      body: { email: 'not-an-email', password: 'x' }, headers: { 'x-forwarded-for': forwarded } });
    if (r.status === 429) return;
  }
  assert.fail('sign-in was never rate limited');
}
const login = (s, forwarded) => api(s.url, 'POST', '/api/v1/auth/login', {
  body: { email: 'not-an-email', password: 'x' }, headers: { 'x-forwarded-for': forwarded } });

test('with --trusted-proxy the rightmost untrusted X-Forwarded-For hop is the client address', async () => {
  const s = await startWharf({ args: ['--trusted-proxy', '127.0.0.1/32'] });
  cleanups.push(async () => { await s.stop(); s.cleanup(); });
  const u = await signup(s.url, 'proxied');
  // The leftmost entry is whatever the client sent (spoofed); the proxy appended the real one.
  const r = await api(s.url, 'POST', `/api/v1/orgs/${u.org.slug}/roles`, {
    token: u.token, body: { name: 'Viewer', permissions: {} },
    headers: { 'x-forwarded-for': '198.51.100.66, 203.0.113.10' } });
  assert.equal(r.status, 201, r.text);
  const ev = (await auditIps(s, u)).find((e) => /role/.test(e.action));
  assert.ok(ev, 'no audit event for the role');
  assert.equal(ev.ip, '203.0.113.10');

  await exhaustLogins(s, '198.51.100.1, 203.0.113.20');
  assert.equal((await login(s, '203.0.113.20')).status, 429, 'the limit is keyed on the forwarded address');
  // Another client behind the same proxy has its own budget, whatever it puts on the left.
  assert.equal((await login(s, '203.0.113.20, 203.0.113.21')).status, 401);
});

test('without --trusted-proxy X-Forwarded-For is ignored', async () => {
  const s = await startWharf();
  cleanups.push(async () => { await s.stop(); s.cleanup(); });
  const u = await signup(s.url, 'direct');
  const r = await api(s.url, 'POST', `/api/v1/orgs/${u.org.slug}/roles`, {
    token: u.token, body: { name: 'Viewer', permissions: {} }, headers: { 'x-forwarded-for': '203.0.113.10' } });
  assert.equal(r.status, 201, r.text);
  const ev = (await auditIps(s, u)).find((e) => /role/.test(e.action));
  assert.equal(ev.ip, '127.0.0.1');

  await exhaustLogins(s, '203.0.113.20');
  assert.equal((await login(s, '203.0.113.21')).status, 429, 'a made-up X-Forwarded-For escaped the limit');
});

test('a malformed --trusted-proxy stops the start with a message naming the flag', async () => {
  await assert.rejects(startWharf({ args: ['--trusted-proxy', '10.0.0.0/99'] }), /trusted-proxy/);
});
