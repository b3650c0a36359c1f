// Per-instance quotas (docs/access-control.md, "Quotas"), here set small with their serve flags:
// organisations owned per user, active API tokens per user, pending invitations and SSH keys per
// organisation answer 403 limit_reached with details {limit, used}; sessions per user end the
// oldest session instead. Before the fix one account made 300 organisations in 2.3 s.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWharf, api, signup, sshKeygen, uniqueEmail } from './lib/harness.mjs';

let s;
before(async () => {
  s = await startWharf({ args: ['--max-orgs-per-user', '2', '--max-api-tokens-per-user', '2',
    '--max-pending-invitations-per-org', '2', '--max-sessions-per-user', '2', '--max-ssh-keys-per-org', '2'] });
});
after(async () => { await s.stop(); s.cleanup(); });

function assertLimit(r, limit, used) {
  assert.equal(r.status, 403, r.text);
  assert.equal(r.json.error.code, 'limit_reached');
  assert.deepEqual(r.json.error.details, { limit, used });
}

test('organisations per user: the personal org counts; the third is refused', async () => {
  const ada = await signup(s.url, 'ada');
  assert.equal((await api(s.url, 'POST', '/api/v1/orgs', { token: ada.token, body: { name: 'Second' } })).status, 201);
  const third = await api(s.url, 'POST', '/api/v1/orgs', { token: ada.token, body: { name: 'Third' } });
  assertLimit(third, 2, 2);
  assert.match(third.json.error.message, /--max-orgs-per-user/);
  // Another user has their own count.
  const bob = await signup(s.url, 'bob');
  assert.equal((await api(s.url, 'POST', '/api/v1/orgs', { token: bob.token, body: { name: 'Bob 2' } })).status, 201);
});

test('API tokens per user: a third active token is refused until one is revoked', async () => {
  const cy = await signup(s.url, 'cy');
  const ids = [];
  for (const name of ['t1', 't2']) {
    const r = await api(s.url, 'POST', '/api/v1/me/tokens', { token: cy.token, body: { name, org: cy.org.slug } });
    assert.equal(r.status, 201, r.text);
    ids.push(r.json.id);
  }
  assertLimit(await api(s.url, 'POST', '/api/v1/me/tokens', { token: cy.token, body: { name: 't3', org: cy.org.slug } }), 2, 2);
  assert.equal((await api(s.url, 'DELETE', `/api/v1/me/tokens/${ids[0]}`, { token: cy.token })).status, 204);
  assert.equal((await api(s.url, 'POST', '/api/v1/me/tokens', { token: cy.token, body: { name: 't3', org: cy.org.slug } })).status, 201);
});

test('pending invitations per organisation', async () => {
  const dee = await signup(s.url, 'dee');
  const roles = await api(s.url, 'GET', `/api/v1/orgs/${dee.org.slug}/roles`, { token: dee.token });
  const invite = () => api(s.url, 'POST', `/api/v1/orgs/${dee.org.slug}/invitations`, {
    token: dee.token, body: { email: uniqueEmail('inv'), role_id: roles.json.items[0].id, send_email: false },
  });
  assert.equal((await invite()).status, 201);
  const second = await invite();
  assert.equal(second.status, 201);
  assertLimit(await invite(), 2, 2);
  // Revoking one frees its place.
  assert.equal((await api(s.url, 'DELETE', `/api/v1/orgs/${dee.org.slug}/invitations/${second.json.id}`, { token: dee.token })).status, 204);
  assert.equal((await invite()).status, 201);
});

test('SSH keys per organisation', async () => {
  const eve = await signup(s.url, 'eve');
  const add = (name) => api(s.url, 'POST', `/api/v1/orgs/${eve.org.slug}/ssh-keys`, { token: eve.token, body: { name, public_key: sshKeygen().pub } });
  assert.equal((await add('k1')).status, 201);
  assert.equal((await add('k2')).status, 201);
  const third = await add('k3');
  assertLimit(third, 2, 2);
  assert.match(third.json.error.message, /--max-ssh-keys-per-org/);
});

test('sessions per user: a sign-in beyond the cap ends the oldest session', async () => {
  const fay = await signup(s.url, 'fay');  // session 1
  const login = async () => {
    const r = await api(s.url, 'POST', '/api/v1/auth/login', { body: { email: fay.email, password: fay.password } });
    assert.equal(r.status, 200, r.text);
    return r.json.token;
  };
  const second = await login();
  assert.equal((await api(s.url, 'GET', '/api/v1/me', { token: fay.token })).status, 200);
  const third = await login();
  assert.equal((await api(s.url, 'GET', '/api/v1/me', { token: fay.token })).status, 401, 'the oldest session still works');
  assert.equal((await api(s.url, 'GET', '/api/v1/me', { token: second })).status, 200);
  assert.equal((await api(s.url, 'GET', '/api/v1/me', { token: third })).status, 200);
});
