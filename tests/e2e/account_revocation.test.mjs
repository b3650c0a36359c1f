// Disabling an account with `wharf admin users disable` (another process writing the database the
// running server reads) ends its sessions and API tokens at once: the very next request with the
// old session cookie or the old API token gets 401, although the server had both cached. The same
// for the operator's delete. On both stores (Store::CatchUpInvalidations: PRAGMA data_version on
// SQLite, cache_epochs on PostgreSQL); account_replicas.test.mjs has two replicas.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { api, signup, startWharf, WHARF_BIN } from './lib/harness.mjs';

let s;
before(async () => { s = await startWharf(); });
after(async () => { await s?.stop(); s?.cleanup(); });

const adminRun = (args) => spawnSync(WHARF_BIN, ['admin', ...args, '--data-dir', s.dataDir],
  { encoding: 'utf8', env: { ...process.env, ...s.env } });

// A signed-in account with a session cookie and an API token, both used (so cached) by the server.
async function cachedCredentials(name, probe = (u) => `/api/v1/orgs/${u.org.slug}/ssh-keys`) {
  const u = await signup(s.url, name);
  const login = await api(s.url, 'POST', '/api/v1/auth/login', { body: { email: u.email, password: u.password } });
  assert.equal(login.status, 200, login.text);
  const cookie = login.headers.get('set-cookie').split(';')[0];
  assert.match(cookie, /^wharf_session=whs_/);
  const tok = await api(s.url, 'POST', '/api/v1/me/tokens', { token: u.token, body: { name: 'ci', org: u.org.slug } });
  assert.equal(tok.status, 201, tok.text);
  const path = probe(u);
  const viaCookie = () => api(s.url, 'GET', path, { headers: { cookie } });
  const viaToken = () => api(s.url, 'GET', path, { token: tok.json.token });
  for (let i = 0; i < 3; i++) {
    assert.equal((await viaCookie()).status, 200);
    assert.equal((await viaToken()).status, 200);
  }
  return { u, viaCookie, viaToken };
}

test('admin users disable: the next request with the cached session cookie or API token is refused', async () => {
  for (let round = 0; round < 3; round++) {
    const { u, viaCookie, viaToken } = await cachedCredentials(`dis${round}`);
    const dis = adminRun(['users', 'disable', u.email]);
    assert.equal(dis.status, 0, dis.stderr);
    const c = await viaCookie();
    assert.equal(c.status, 401, `round ${round}: the session cookie still worked: ${c.text}`);
    const t = await viaToken();
    assert.equal(t.status, 401, `round ${round}: the API token still worked: ${t.text}`);
    // Enabling does not bring them back.
    assert.equal(adminRun(['users', 'enable', u.email]).status, 0);
    assert.equal((await viaCookie()).status, 401);
    assert.equal((await viaToken()).status, 401);
  }
});

test('admin users delete ends the cached credentials at once too', async () => {
  const { u, viaCookie, viaToken } = await cachedCredentials('del', () => '/api/v1/me');
  // The account owns its personal org: delete that first through the API (owner, session, slug).
  const gone = await api(s.url, 'DELETE', `/api/v1/orgs/${u.org.slug}`, { token: u.token, body: { confirm: u.org.slug } });
  assert.equal(gone.status, 204, gone.text);
  const del = adminRun(['users', 'delete', u.email, '--yes']);
  assert.equal(del.status, 0, del.stderr);
  assert.equal((await api(s.url, 'GET', '/api/v1/me', { token: u.token })).status, 401);
  assert.equal((await viaCookie()).status, 401);
  assert.equal((await viaToken()).status, 401);
});
