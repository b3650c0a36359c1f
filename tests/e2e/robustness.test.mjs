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

// A body nested 100,000 levels deep used to crash the process: POST …/services re-serialised it
// (json::dump recursed once per level) before any check ran. Every body is now parsed with limits.
test('a 100,000-deep JSON body gets a 400 naming the depth limit on every route, and the server stays up', async () => {
  const s = await startWharf();
  try {
    const ada = await signup(s.url, 'ada');
    const O = `/api/v1/orgs/${ada.org.slug}`;
    const deep = '['.repeat(100000) + ']'.repeat(100000);
    const routes = [
      ['POST', `${O}/services`, `{"application_id":"app_x","name":"web","variables":${deep}}`],
      ['POST', `${O}/services`, deep],
      ['POST', `${O}/roles`, `{"name":"r","permissions":${deep}}`],
      ['POST', `${O}/ssh-keys`, `{"name":${deep}}`],
      ['POST', '/api/v1/auth/login', `{"email":${deep}}`],
      ['POST', '/api/v1/auth/signup', deep],
    ];
    for (const [method, p, raw] of routes) {
      const r = await api(s.url, method, p, { token: ada.token, raw, headers: { 'content-type': 'application/json' } });
      assert.equal(r.status, 400, `${method} ${p}: ${r.text.slice(0, 200)}`);
      assert.equal(r.json.error.code, 'validation_failed');
      assert.match(r.json.error.message, /deeper than 32 levels/);
      assert.equal((await api(s.url, 'GET', '/healthz')).status, 200);
    }
    // Too many values: 413 naming the limit; the body itself is under the 1 MiB limit.
    const many = `{"name":"x","variables":[${Array(30000).fill('0').join(',')}]}`;
    const r = await api(s.url, 'POST', `${O}/services`, { token: ada.token, raw: many, headers: { 'content-type': 'application/json' } });
    assert.equal(r.status, 413, r.text.slice(0, 200));
    assert.equal(r.json.error.code, 'payload_too_large');
    assert.match(r.json.error.message, /more than 20000 JSON values/);
    // A string longer than any field allows is refused while parsing.
    const long = await api(s.url, 'POST', `${O}/roles`, { token: ada.token, raw: `{"name":"${'x'.repeat(70000)}"}`,
      headers: { 'content-type': 'application/json' } });
    assert.equal(long.status, 400);
    assert.match(long.json.error.message, /longer than 65536 bytes/);
    // POST …/services still takes application_id out of the body it parsed once.
    const bad = await api(s.url, 'POST', `${O}/services`, { token: ada.token, body: { name: 'web', type: 'docker' } });
    assert.equal(bad.status, 400);
    assert.ok(bad.json.error.details.fields.application_id, bad.text);
    const unknown = await api(s.url, 'POST', `${O}/services`, { token: ada.token, body: { application_id: 'app_x', nope: 1 } });
    assert.equal(unknown.status, 400);
    assert.ok(unknown.json.error.details.fields.nope, unknown.text);
    assert.equal(s.exited, null, 'server still running');
  } finally { await s.stop(); s.cleanup(); }
});

// The check was a substring match, so `text/plain; charset=application/json` (a type a browser
// form may send cross-site without a CORS preflight) passed as JSON.
test('Content-Type must be exactly application/json: a CORS-simple type naming JSON in a parameter gets 415', async () => {
  const s = await startWharf();
  try {
    const ada = await signup(s.url, 'ada');
    const body = JSON.stringify({ email: ada.email, password: ada.password });
    for (const ct of ['text/plain; charset=application/json', 'text/plain;application/json', 'application/jsonx',
      'application/json-seq', 'multipart/form-data; boundary=application/json', 'application/x-www-form-urlencoded']) {
      const r = await api(s.url, 'POST', '/api/v1/auth/login', { raw: body, headers: { 'content-type': ct } });
      assert.equal(r.status, 415, `${ct}: ${r.status} ${r.text.slice(0, 120)}`);
      assert.equal(r.json.error.code, 'unsupported_media_type');
    }
    for (const ct of ['application/json', 'Application/JSON; charset=UTF-8', 'application/json ; charset="utf-8"']) {
      const r = await api(s.url, 'POST', '/api/v1/auth/login', { raw: body, headers: { 'content-type': ct } });
      assert.equal(r.status, 200, `${ct}: ${r.status} ${r.text.slice(0, 120)}`);
    }
  } finally { await s.stop(); s.cleanup(); }
});
