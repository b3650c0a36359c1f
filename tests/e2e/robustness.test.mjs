// Bad input and failure: malformed HTTP, slow clients, oversized bodies, and kill -9 during writes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startWharf, api, signup, sshKeygen } from './lib/harness.mjs';

function rawRequest(url, payload, { waitMs = 2000 } = {}) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const sock = net.connect(Number(port), hostname);
    let data = '';
    sock.on('data', (d) => { data += d; });
    sock.on('close', () => resolve({ data, closed: true }));
    sock.on('error', () => resolve({ data, closed: true }));
    sock.on('connect', () => sock.write(payload));
    setTimeout(() => { sock.destroy(); resolve({ data, closed: false }); }, waitMs);
  });
}

test('malformed HTTP gets a 4xx or a closed connection, and the server stays up', async () => {
  const s = await startWharf();
  try {
    for (const junk of ['GARBAGE\r\n\r\n', 'GET / HTTP/9.9\r\n\r\n', 'GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n',
      'POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
      `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20000)}\r\n\r\n`, '\x00\x01\x02\x03\r\n\r\n']) {
      const r = await rawRequest(s.url, junk);
      assert.ok(r.closed || /^HTTP\/1\.1 4\d\d/.test(r.data), `junk ${JSON.stringify(junk.slice(0, 30))} → ${r.data.slice(0, 80)}`);
      if (r.data) assert.match(r.data, /^HTTP\/1\.1 4\d\d/);
    }
    assert.equal((await api(s.url, 'GET', '/healthz')).status, 200);
    assert.equal(s.exited, null, 'server still running');
  } finally { await s.stop(); s.cleanup(); }
});

test('slow clients neither block others nor stay forever', async () => {
  const s = await startWharf({ args: ['--request-timeout-seconds', '1'] });
  try {
    const { port } = new URL(s.url);
    const slow = [];
    for (let i = 0; i < 50; i++) {
      const sock = net.connect(Number(port), '127.0.0.1');
      sock.on('error', () => {});
      sock.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');  // never finishes the header
      slow.push(new Promise((resolve) => sock.on('close', () => resolve(Date.now()))));
    }
    const t0 = Date.now();
    for (let i = 0; i < 20; i++) assert.equal((await api(s.url, 'GET', '/healthz')).status, 200);
    assert.ok(Date.now() - t0 < 1000, 'healthy clients are served while slow ones hang');
    const closedAt = await Promise.all(slow);
    assert.ok(Math.max(...closedAt) - t0 < 5000, 'slow clients were dropped by the read timeout');
  } finally { await s.stop(); s.cleanup(); }
});

test('kill -9 during a stream of writes loses no acknowledged write', async () => {
  let s = await startWharf();
  const ada = await signup(s.url, 'ada');
  const O = `/api/v1/orgs/${ada.org.slug}`;
  const keys = Array.from({ length: 8 }, () => sshKeygen().pub);
  const acknowledged = [];
  let stop = false;
  const writers = Array.from({ length: 4 }, (_, w) => (async () => {
    for (let i = 0; !stop && i < 500; i++) {
      try {
        const r = await api(s.url, 'POST', `${O}/ssh-keys`, { token: ada.token, body: { name: `w${w}-${i}`, public_key: keys[i % keys.length] } });
        if (r.status === 201) acknowledged.push(r.json.id);
      } catch { return; }  // connection refused after the kill
    }
  })());
  while (acknowledged.length < 150) await new Promise((r) => setTimeout(r, 5));
  const killed = await s.kill9();
  stop = true;
  await Promise.all(writers);
  assert.equal(killed.sig, 'SIGKILL');
  const dataDir = s.dataDir;
  s = await startWharf({ dataDir });
  try {
    const login = await api(s.url, 'POST', '/api/v1/auth/login', { body: { email: ada.email, password: ada.password } });
    const seen = new Set();
    let cursor = null;
    do {
      const r = await api(s.url, 'GET', `${O}/ssh-keys?limit=200${cursor ? `&cursor=${cursor}` : ''}`, { token: login.json.token });
      assert.equal(r.status, 200);
      r.json.items.forEach((k) => seen.add(k.id));
      cursor = r.json.next_cursor;
    } while (cursor);
    const lost = acknowledged.filter((id) => !seen.has(id));
    assert.deepEqual(lost, [], `${lost.length} of ${acknowledged.length} acknowledged writes lost`);
  } finally { await s.stop(); s.cleanup(); }
});
