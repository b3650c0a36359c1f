// The OpenAPI document matches what the server does: every documented route exists and answers
// one of its documented statuses, and every route the server answers is documented.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { startWharf, api, signup, sshKeygen, uniqueEmail, memberWithRole } from './lib/harness.mjs';
import { checkResponse } from './lib/openapi_check.mjs';

let s, ada, ids;
before(async () => {
  s = await startWharf();
  ada = await signup(s.url, 'ada');
  const O = `/api/v1/orgs/${ada.org.slug}`;
  const role = await api(s.url, 'POST', `${O}/roles`, { token: ada.token, body: { name: 'R', permissions: { team: { read: true } } } });
  const key = await api(s.url, 'POST', `${O}/ssh-keys`, { token: ada.token, body: { name: 'k', public_key: sshKeygen().pub } });
  const inv = await api(s.url, 'POST', `${O}/invitations`, { token: ada.token, body: { email: uniqueEmail('i'), role_id: role.json.id, send_email: false } });
  const m = await memberWithRole(s.url, ada, 'm', { team: { read: true } });
  const tok = await api(s.url, 'POST', '/api/v1/me/tokens', { token: ada.token, body: { name: 't', org: ada.org.slug } });
  ids = { role: role.json.id, key: key.json.id, inv: inv.json.id, user: m.user.id, token: tok.json.id, invToken: inv.json.link.split('/invite/')[1] };
});
after(async () => { await s.stop(); s.cleanup(); });

test('openapi.json is an OpenAPI 3 document whose every operation answers a documented status', async () => {
  const r = await api(s.url, 'GET', '/api/v1/openapi.json');
  assert.equal(r.status, 200);
  assert.match(r.json.openapi, /^3\./);
  let n = 0;
  for (const [pattern, ops] of Object.entries(r.json.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const path = pattern.replace('{org}', ada.org.slug).replace('/roles/{id}', `/roles/${ids.role}`)
        .replace('/ssh-keys/{id}', `/ssh-keys/${ids.key}`).replace('/invitations/{id}', `/invitations/${ids.inv}`)
        .replace('/me/tokens/{id}', `/me/tokens/${ids.token}`).replace('{user_id}', ids.user)
        .replace('/invitations/{token}', `/invitations/${ids.invToken}`).replace('{token}', ids.invToken);
      const body = ['post', 'patch', 'put'].includes(method) ? {} : undefined;
      // Destructive calls are sent last-safe: DELETE on our own session/token would break the run.
      if (pattern === '/api/v1/auth/logout' || pattern === '/api/v1/auth/logout-all') continue;
      const res = await api(s.url, method.toUpperCase(), path, { token: ada.token, body });
      const documented = Object.keys(op.responses).map(Number);
      assert.ok(documented.includes(res.status), `${method.toUpperCase()} ${pattern} answered ${res.status}, documented ${documented}: ${res.text.slice(0, 200)}`);
      if (res.status >= 400) assert.ok(res.json?.error?.code, `${method} ${pattern} error shape`);
      n++;
    }
  }
  assert.ok(n >= 30, `exercised ${n} operations`);
  // logout routes last
  for (const p of ['/api/v1/auth/logout', '/api/v1/auth/logout-all']) {
    const res = await api(s.url, 'POST', p, { token: ada.token });
    assert.ok(Object.keys(r.json.paths[p].post.responses).map(Number).includes(res.status), `${p} ${res.status}`);
  }
});

test('unknown paths are 404 and wrong methods 405 with Allow', async () => {
  const a = await api(s.url, 'GET', '/api/v1/nope');
  assert.equal(a.status, 404);
  assert.equal(a.json.error.code, 'not_found');
  const b = await api(s.url, 'PUT', '/api/v1/me');
  assert.equal(b.status, 405);
  assert.match(b.headers.get('allow'), /GET/);
});

test('operations endpoints: healthz, readyz, metrics, index page', async () => {
  assert.equal((await api(s.url, 'GET', '/healthz')).status, 200);
  assert.equal((await api(s.url, 'GET', '/readyz')).json.status, 'ready');
  const m = await api(s.url, 'GET', '/metrics');
  assert.match(m.text, /wharf_http_requests_total\{route="\/api\/v1\/orgs\/\{org\}\/ssh-keys",status="\d+"\} \d+/);
  assert.match(m.text, /wharf_http_request_duration_seconds_bucket/);
  const idx = await fetch(s.url + '/');
  const html = await idx.text();
  assert.match(html, /Wharf is running/);
  assert.match(html, /\/api\/v1\/openapi\.json/);
});

test('the document compiles with ajv in strict mode, and every operationId is unique camelCase', async () => {
  const { json: doc } = await api(s.url, 'GET', '/api/v1/openapi.json');
  assert.deepEqual(doc.servers.map((x) => x.url), ['/'], 'paths are written from the root (/api/v1/…, /healthz)');
  const ajv = new Ajv({ strict: true, allErrors: true });
  addFormats(ajv);
  ajv.addKeyword('components');  // the wrapper that holds the components; every schema under it is strict
  ajv.addSchema({ $id: 'wharf-openapi', components: doc.components });
  const rewrite = (x) => Array.isArray(x) ? x.map(rewrite) : x && typeof x === 'object'
    ? Object.fromEntries(Object.entries(x).map(([k, v]) => [k, k === '$ref' ? 'wharf-openapi' + v : rewrite(v)])) : x;
  for (const [name, schema] of Object.entries(doc.components.schemas)) ajv.compile(rewrite(schema), `schema ${name}`);
  const ids = new Map();
  let schemas = 0;
  for (const [pattern, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const where = `${method.toUpperCase()} ${pattern}`;
      assert.match(op.operationId || '', /^[a-z][a-zA-Z0-9]*$/, `${where}: operationId ${op.operationId}`);
      assert.ok(!ids.has(op.operationId), `${where} and ${ids.get(op.operationId)} share operationId ${op.operationId}`);
      ids.set(op.operationId, where);
      for (const [status, res] of Object.entries(op.responses)) {
        const schema = res.content?.['application/json']?.schema;
        if (!schema) continue;
        ajv.compile(rewrite(schema));
        schemas++;
      }
    }
  }
  assert.ok(ids.size >= 140, `${ids.size} operations`);
  assert.ok(schemas >= ids.size / 2, `${schemas} response schemas compiled`);
  const err = doc.components.schemas.Error;
  assert.deepEqual(err.required, ['error']);
  assert.deepEqual([...err.properties.error.required].sort(), ['code', 'message', 'request_id']);
});

test('the response checker rejects an error body without error.code (it cannot pass silently)', async () => {
  const headers = { get: (h) => (h.toLowerCase() === 'content-type' ? 'application/json' : null) };
  const good = { error: { code: 'not_found', message: 'No such key.', request_id: 'req_1' } };
  await checkResponse(s.url, 'GET', `/api/v1/orgs/${ada.org.slug}/ssh-keys/key_x`, 404, headers, good, JSON.stringify(good));
  const bad = { error: { message: 'No such key.', request_id: 'req_1' } };
  await assert.rejects(
    checkResponse(s.url, 'GET', `/api/v1/orgs/${ada.org.slug}/ssh-keys/key_x`, 404, headers, bad, JSON.stringify(bad)),
    /response does not match its schema.*code/);
  const noId = { error: { code: 'not_found', message: 'No such key.' } };
  await assert.rejects(
    checkResponse(s.url, 'GET', `/api/v1/orgs/${ada.org.slug}/ssh-keys/key_x`, 404, headers, noId, JSON.stringify(noId)),
    /request_id/);
  // A documented 2xx body is checked too: a Docker registry without its id is refused.
  const reg = { name: 'r' };
  await assert.rejects(
    checkResponse(s.url, 'GET', `/api/v1/orgs/${ada.org.slug}/docker-registries/reg_x`, 200, headers, reg, JSON.stringify(reg)),
    /does not match/);
});

test('errors the server answers before routing (body too large) have the documented shape', async () => {
  const big = 'x'.repeat(1024 * 1024 + 10);
  const r = await fetch(s.url + '/api/v1/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: big });
  assert.equal(r.status, 413);
  const body = await r.json();
  assert.equal(body.error.code, 'payload_too_large');
  assert.match(body.error.request_id, /^req_/);
  assert.equal(r.headers.get('x-request-id'), body.error.request_id);
});
