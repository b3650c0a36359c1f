import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWharf, api, apiFrom, signup, uniqueEmail } from './lib/harness.mjs';

let s;
before(async () => { s = await startWharf(); });
after(async () => { await s.stop(); s.cleanup(); });

test('the first account is the instance admin and owns a personal org as Admin', async () => {
  const ada = await signup(s.url, 'ada');
  const bob = await signup(s.url, 'bob');
  assert.equal(ada.user.instance_admin, true);
  assert.equal(bob.user.instance_admin, false);
  assert.equal(ada.org.owner_id, ada.user.id);
  assert.equal(ada.org.seats_used, 1);
  const me = await api(s.url, 'GET', '/api/v1/me', { token: ada.token });
  assert.equal(me.status, 200);
  assert.equal(me.json.orgs.length, 1);
  assert.equal(me.json.orgs[0].slug, ada.org.slug);
  assert.equal(me.json.orgs[0].owner, true);
  assert.deepEqual(me.json.orgs[0].role.name, 'Admin');
  assert.equal(me.json.orgs[0].role.builtin, true);
  assert.equal(me.json.orgs[0].permissions.servers.delete, true);
  assert.equal(me.json.user.password_hash, undefined);
});

test('signup validates every field and names it', async () => {
  const cases = [
    [{ email: 'x@example.test', password: 'short', name: 'X' }, 'password'],
    [{ email: 'not-an-email', password: 'long-enough-pw', name: 'X' }, 'email'],
    [{ email: 'x@example.test', password: 'long-enough-pw', name: '' }, 'name'],
    [{ email: 'x@example.test', password: 'long-enough-pw', name: 'X', admin: true }, 'admin'],
    [{ email: 42, password: 'long-enough-pw', name: 'X' }, 'email'],
    [{ password: 'long-enough-pw', name: 'X' }, 'email'],
  ];
  for (const [body, field] of cases) {
    const r = await api(s.url, 'POST', '/api/v1/auth/signup', { body });
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.equal(r.json.error.code, 'validation_failed');
    assert.ok(r.json.error.details.fields[field], `${field} named in ${r.text}`);
  }
  const malformed = await api(s.url, 'POST', '/api/v1/auth/signup', { raw: '{"email":', headers: { 'content-type': 'application/json' } });
  assert.equal(malformed.status, 400);
  const form = await api(s.url, 'POST', '/api/v1/auth/signup', { raw: 'email=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  assert.equal(form.status, 415);
  const big = await api(s.url, 'POST', '/api/v1/auth/signup', { raw: JSON.stringify({ name: 'x'.repeat(2 << 20) }), headers: { 'content-type': 'application/json' } });
  assert.equal(big.status, 413);
});

test('duplicate email is a conflict, ignoring case', async () => {
  const ada = await signup(s.url, 'dup');
  const r = await api(s.url, 'POST', '/api/v1/auth/signup', { body: { email: ada.email.toUpperCase(), password: 'long-enough-pw', name: 'Again' } });
  assert.equal(r.status, 409);
  assert.equal(r.json.error.code, 'conflict');
});

test('login sets an HttpOnly cookie; cookie writes need the CSRF header; logout revokes', async () => {
  const ada = await signup(s.url, 'cookie');
  const login = await api(s.url, 'POST', '/api/v1/auth/login', { body: { email: ada.email, password: ada.password } });
  assert.equal(login.status, 200);
  const cookie = login.headers.get('set-cookie');
  assert.match(cookie, /^wharf_session=whs_[^;]+; HttpOnly; SameSite=Lax; Path=\//);
  const session = cookie.split(';')[0];
  const me = await api(s.url, 'GET', '/api/v1/me', { headers: { cookie: session } });
  assert.equal(me.status, 200);
  const noCsrf = await api(s.url, 'POST', '/api/v1/orgs', { headers: { cookie: session }, body: { name: 'Via cookie' } });
  assert.equal(noCsrf.status, 403);
  assert.equal(noCsrf.json.error.details.reason, 'csrf');
  const withCsrf = await api(s.url, 'POST', '/api/v1/orgs', { headers: { cookie: session, 'x-csrf-token': login.json.csrf_token }, body: { name: 'Via cookie' } });
  assert.equal(withCsrf.status, 201, withCsrf.text);
  const out = await api(s.url, 'POST', '/api/v1/auth/logout', { token: login.json.token });
  assert.equal(out.status, 204);
  assert.equal((await api(s.url, 'GET', '/api/v1/me', { token: login.json.token })).status, 401);
  assert.equal((await api(s.url, 'GET', '/api/v1/me', { token: ada.token })).status, 200, 'other sessions stay');
});

test('wrong password is 401; logout-all revokes every session', async () => {
  const ada = await signup(s.url, 'everywhere');
  const bad = await api(s.url, 'POST', '/api/v1/auth/login', { body: { email: ada.email, password: 'wrong-password-1' } });
  assert.equal(bad.status, 401);
  const second = await api(s.url, 'POST', '/api/v1/auth/login', { body: { email: ada.email, password: ada.password } });
  const all = await api(s.url, 'POST', '/api/v1/auth/logout-all', { token: ada.token });
  assert.equal(all.status, 204);
  assert.equal((await api(s.url, 'GET', '/api/v1/me', { token: ada.token })).status, 401);
  assert.equal((await api(s.url, 'GET', '/api/v1/me', { token: second.json.token })).status, 401);
});

test('failed sign-ins are throttled per (account, address) with Retry-After; the owner still signs in from another address', async () => {
  const ada = await signup(s.url, 'limited');
  for (let i = 0; i < 5; i++) {
    const r = await apiFrom('127.0.0.2', s.url, 'POST', '/api/v1/auth/login', { body: { email: ada.email, password: `wrong-password-${i}` } });
    assert.equal(r.status, 401);
  }
  // The attacker's address is throttled, even with the right password…
  const locked = await apiFrom('127.0.0.2', s.url, 'POST', '/api/v1/auth/login', { body: { email: ada.email, password: ada.password } });
  assert.equal(locked.status, 429);
  assert.equal(locked.json.error.code, 'rate_limited');
  assert.ok(Number(locked.headers.get('retry-after')) > 0);
  // …but the owner, from an address without failures, signs in (before the fix: 429 for 15 minutes).
  const owner = await apiFrom('127.0.0.3', s.url, 'POST', '/api/v1/auth/login', { body: { email: ada.email, password: ada.password } });
  assert.equal(owner.status, 200, owner.text);
});

test('a burst of failed sign-ins from many addresses is reported in the audit log of the account\'s own org', async () => {
  const cy = await signup(s.url, 'burst');
  let n = 0;
  for (const from of ['127.0.0.4', '127.0.0.5']) {
    for (let i = 0; i < 5; i++, n++) {
      const r = await apiFrom(from, s.url, 'POST', '/api/v1/auth/login', { body: { email: cy.email, password: `wrong-${n}` } });
      assert.equal(r.status, 401);
    }
  }
  const audit = await api(s.url, 'GET', `/api/v1/orgs/${cy.org.slug}/audit`, { token: cy.token });
  assert.equal(audit.status, 200);
  const ev = audit.json.items.filter((e) => e.action === 'auth.login_failures');
  assert.equal(ev.length, 1, JSON.stringify(audit.json.items.map((e) => e.action)));
  assert.match(ev[0].detail, /10 failed sign-ins/);
  assert.match(ev[0].detail, /127\.0\.0\.5/);
  // Still no lock-out: the right password from a fresh address works.
  const ok = await apiFrom('127.0.0.6', s.url, 'POST', '/api/v1/auth/login', { body: { email: cy.email, password: cy.password } });
  assert.equal(ok.status, 200);
});

test('API tokens are scoped to one org, only narrow, and can be revoked', async () => {
  const ada = await signup(s.url, 'tokens');
  const other = await api(s.url, 'POST', '/api/v1/orgs', { token: ada.token, body: { name: 'Other' } });
  assert.equal(other.status, 201);
  const t = await api(s.url, 'POST', '/api/v1/me/tokens', { token: ada.token, body: { name: 'ci', org: ada.org.slug, permissions: { sshKeys: { read: true } }, expires_in_days: 30 } });
  assert.equal(t.status, 201, t.text);
  assert.match(t.json.token, /^wht_/);
  assert.ok(t.json.expires_at);
  const list = await api(s.url, 'GET', `/api/v1/orgs/${ada.org.slug}/ssh-keys`, { token: t.json.token });
  assert.equal(list.status, 200);
  const create = await api(s.url, 'POST', `/api/v1/orgs/${ada.org.slug}/ssh-keys`, { token: t.json.token, body: { name: 'x', public_key: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl' } });
  assert.equal(create.status, 403);
  assert.equal(create.json.error.details.permission, 'sshKeys.create');
  assert.equal((await api(s.url, 'GET', `/api/v1/orgs/${other.json.slug}`, { token: t.json.token })).status, 404);
  const mine = await api(s.url, 'GET', '/api/v1/me/tokens', { token: ada.token });
  assert.equal(mine.json.items.length, 1);
  assert.equal(mine.json.items[0].token, undefined);
  assert.equal((await api(s.url, 'DELETE', `/api/v1/me/tokens/${t.json.id}`, { token: ada.token })).status, 204);
  assert.equal((await api(s.url, 'GET', '/api/v1/me', { token: t.json.token })).status, 401);
  const bad = await api(s.url, 'POST', '/api/v1/me/tokens', { token: ada.token, body: { name: 'x', org: ada.org.slug, permissions: { nope: {} } } });
  assert.equal(bad.status, 400);
  assert.ok(bad.json.error.details.fields['permissions.nope']);
});

test('unauthenticated requests get 401 with the error shape', async () => {
  const r = await api(s.url, 'GET', '/api/v1/me');
  assert.equal(r.status, 401);
  assert.equal(r.json.error.code, 'unauthenticated');
  assert.ok(r.json.error.message);
  assert.equal((await api(s.url, 'GET', '/api/v1/me', { token: 'whs_forged' })).status, 401);
});

test('cookie_only sign-in and sign-up leave the session token out of the body; the cookie still works', async () => {
  const s2 = await startWharf();
  try {
    const email = uniqueEmail('cora');
    const password = 'correct-horse-battery-staple';
    const up = await api(s2.url, 'POST', '/api/v1/auth/signup', { body: { email, password, name: 'Cora', cookie_only: true } });
    assert.equal(up.status, 201);
    assert.equal(up.json.token, undefined);
    assert.match(up.headers.get('set-cookie'), /wharf_session=whs_/);
    const login = await api(s2.url, 'POST', '/api/v1/auth/login', { body: { email, password, cookie_only: true } });
    assert.equal(login.status, 200);
    assert.equal(login.json.token, undefined);
    const cookie = login.headers.get('set-cookie').split(';')[0];
    const me = await api(s2.url, 'GET', '/api/v1/me', { headers: { cookie } });
    assert.equal(me.json.user.email, email);
    const bad = await api(s2.url, 'POST', '/api/v1/auth/login', { body: { email, password, cookie_only: 'yes' } });
    assert.equal(bad.status, 400);
    assert.ok(bad.json.error.details.fields.cookie_only);
    // Without it, scripts and the CLI still get the token as before.
    assert.match((await api(s2.url, 'POST', '/api/v1/auth/login', { body: { email, password } })).json.token, /^whs_/);
  } finally {
    await s2.stop();
    s2.cleanup();
  }
});
