// Single sign-on against a real OpenID Connect provider: npm's oidc-provider (OpenID Certified),
// started here on 127.0.0.1, signed into through Chromium. Covered: the instance administrator's
// provider settings (the client secret write-only), the authorization code flow with PKCE and
// nonce, a new account at first sign-in, group → org role mapping re-evaluated at each sign-in
// (a user removed from the group loses the membership, audited), linking to an existing account
// only through a verified email, a disallowed domain, a replayed callback, and key rotation (the
// JWKS refetched on an unknown kid).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import Provider from 'oidc-provider';
import { startWharf, api, signup, freePort, uniqueEmail } from './lib/harness.mjs';
import { launchBrowser } from './lib/browser.mjs';

let s, browser, idpServer, idpPort, issuer, admin;
const CLIENT_SECRET = `idp-secret-${crypto.randomBytes(8).toString('hex')}`;
const accounts = {};  // login → claims; the tests change them between sign-ins

function rsaJwk(kid) {
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' };
}

async function startIdp(port, keys) {
  const provider = new Provider(issuer, {
    clients: [{
      client_id: 'wharf', client_secret: CLIENT_SECRET, redirect_uris: [`${s.url}/api/v1/auth/sso/corp/callback`],
      response_types: ['code'], grant_types: ['authorization_code'], token_endpoint_auth_method: 'client_secret_basic',
    }],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'], groups: ['groups'] },
    scopes: ['openid', 'email', 'profile', 'groups'],
    conformIdTokenClaims: false,  // the requested claims go into the ID token itself
    findAccount: async (ctx, id) => accounts[id] && ({ accountId: id, claims: async () => ({ sub: id, ...accounts[id] }) }),
    jwks: { keys },
    cookies: { keys: ['e2e-cookie-key'] },
    features: { devInteractions: { enabled: true } },
  });
  const server = await new Promise((resolve) => { const h = provider.listen(port, '127.0.0.1', () => resolve(h)); });
  return { provider, server };
}

before(async () => {
  s = await startWharf();
  browser = await launchBrowser();
  idpPort = await freePort();
  issuer = `http://127.0.0.1:${idpPort}`;
  ({ server: idpServer } = await startIdp(idpPort, [rsaJwk('k1')]));
  admin = await signup(s.url, 'root');  // the first account: instance administrator
  assert.equal(admin.user.instance_admin, true);
});
after(async () => { await browser?.close(); idpServer?.close(); await s.stop(); s.cleanup(); });

// Through the provider's own pages (its development login form, then consent) back to Wharf.
async function throughIdp(page, login) {
  for (let i = 0; i < 5 && !page.url().startsWith(s.url); i++) {
    const nav = page.waitForNavigation({ timeout: 15000 });
    if (await page.locator('input[name=login]').count()) {
      await page.locator('input[name=login]').fill(login);
      await page.locator('input[name=password]').fill('anything');
    }
    await page.locator('button[type=submit]').first().click();
    await nav;
  }
  await page.waitForURL((u) => u.href.startsWith(s.url) && !u.pathname.startsWith('/api/'), { timeout: 15000 });
}

// Signs in through the provider in a fresh browser; returns {page, ctx, url}.
async function ssoSignIn(login) {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await page.goto(`${s.url}/api/v1/auth/sso/corp/start`);
  await throughIdp(page, login);
  return { ctx, page, url: page.url() };
}

const me = (page) => page.evaluate(() => fetch('/api/v1/me').then(async (r) => ({ status: r.status, json: await r.json() })));

test('the instance administrator configures a provider; the secret is write-only and never shown', async () => {
  const org = admin.org.slug;
  const role = await api(s.url, 'POST', `/api/v1/orgs/${org}/roles`, { token: admin.token, body: { name: 'Platform', permissions: { servers: { read: true }, team: { read: true } } } });
  assert.equal(role.status, 201, role.text);
  const bob = await signup(s.url, 'bob');
  const denied = await api(s.url, 'POST', '/api/v1/admin/identity-providers', { token: bob.token, body: { name: 'x', issuer, client_id: 'wharf' } });
  assert.equal(denied.status, 403);
  const bad = await api(s.url, 'POST', '/api/v1/admin/identity-providers', { token: admin.token, body: { name: 'corp', issuer: `${issuer}/`, client_id: 'wharf' } });
  assert.equal(bad.status, 400);
  assert.ok(bad.json.error.details.fields.issuer);
  const r = await api(s.url, 'POST', '/api/v1/admin/identity-providers', {
    token: admin.token,
    body: { name: 'corp', display_name: 'Corp SSO', issuer, client_id: 'wharf', client_secret: CLIENT_SECRET,
      scopes: ['openid', 'email', 'profile', 'groups'], allowed_domains: ['corp.test'],
      mappings: [{ claim: 'groups', value: 'platform', org, role_id: role.json.id }] },
  });
  assert.equal(r.status, 201, r.text);
  assert.deepEqual(r.json.client_secret, { set: true });
  assert.equal(r.json.callback_url, `${s.url}/api/v1/auth/sso/corp/callback`);
  assert.equal(r.json.mappings[0].org, org);
  assert.ok(!r.text.includes(CLIENT_SECRET));
  const list = await api(s.url, 'GET', '/api/v1/admin/identity-providers', { token: admin.token });
  assert.ok(!list.text.includes(CLIENT_SECRET));
  const pub = await api(s.url, 'GET', '/api/v1/auth/sso/providers');
  assert.deepEqual(pub.json.items.map((p) => p.display_name), ['Corp SSO']);
});

test('first sign-in creates the account and maps the group to a role; losing the group removes it', async () => {
  const email = uniqueEmail('carol').replace('example.test', 'corp.test');
  accounts.carol = { email, email_verified: true, name: 'Carol', groups: ['platform'] };
  const first = await ssoSignIn('carol');
  const who = await me(first.page);
  assert.equal(who.status, 200, JSON.stringify(who.json));
  assert.equal(who.json.user.email, email);
  const inOrg = who.json.orgs.find((o) => o.slug === admin.org.slug);
  assert.ok(inOrg, JSON.stringify(who.json));
  assert.equal(inOrg.role.name, 'Platform');
  // The UI kept the CSRF token from the fragment: a state-changing request works.
  await first.page.waitForFunction(() => localStorage.getItem('wharf.csrf'));
  const created = await first.page.evaluate(() => fetch('/api/v1/orgs', { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': localStorage.getItem('wharf.csrf') }, body: JSON.stringify({ name: 'Carol Co' }) }).then((r) => r.status));
  assert.equal(created, 201);
  await first.ctx.close();
  // Removed from the group at the provider: the next sign-in removes the mapped membership.
  accounts.carol.groups = [];
  const second = await ssoSignIn('carol');
  const after = await me(second.page);
  assert.equal(after.status, 200);
  assert.ok(!after.json.orgs.some((o) => o.slug === admin.org.slug));
  await second.ctx.close();
  const audit = await api(s.url, 'GET', `/api/v1/orgs/${admin.org.slug}/audit?limit=50`, { token: admin.token });
  assert.ok(audit.json.items.some((e) => e.action === 'sso.membership_added'));
  assert.ok(audit.json.items.some((e) => e.action === 'sso.membership_removed'));
});

test('an existing account links only through a verified email; other domains are refused', async () => {
  const dave = await signup(s.url, 'dave', { email: uniqueEmail('dave').replace('example.test', 'corp.test') });
  accounts.dave = { email: dave.email, email_verified: false, groups: [] };
  const refused = await ssoSignIn('dave');
  assert.match(refused.url, /\/login\?sso_error=/);
  assert.match(decodeURIComponent(refused.url), /email_verified/);
  await refused.ctx.close();
  accounts.dave.email_verified = true;
  const linked = await ssoSignIn('dave');
  const who = await me(linked.page);
  assert.equal(who.json.user.id, dave.user.id);
  await linked.ctx.close();
  accounts.mallory = { email: 'mallory@elsewhere.test', email_verified: true };
  const other = await ssoSignIn('mallory');
  assert.match(decodeURIComponent(other.url), /allowed_domains/);
  await other.ctx.close();
});

test('a replayed callback is refused, and a rotated signing key is fetched on its unknown kid', async () => {
  accounts.erin = { email: uniqueEmail('erin').replace('example.test', 'corp.test'), email_verified: true };
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  let callback;
  page.on('request', (req) => { if (req.url().includes('/api/v1/auth/sso/corp/callback')) callback = req.url(); });
  await page.goto(`${s.url}/api/v1/auth/sso/corp/start`);
  await throughIdp(page, 'erin');
  assert.ok(callback);
  const replay = await page.goto(callback);
  assert.match(page.url(), /sso_error=/, `replay answered ${replay.status()}`);
  await ctx.close();
  // The provider rotates to a new key; Wharf's cached JWKS lacks it and fetches again.
  await new Promise((r) => { idpServer.close(r); idpServer.closeAllConnections(); });
  ({ server: idpServer } = await startIdp(idpPort, [rsaJwk('k2')]));
  const rotated = await ssoSignIn('erin');
  const who = await me(rotated.page);
  assert.equal(who.status, 200, rotated.url);
  await rotated.ctx.close();
  assert.ok(!s.logs.includes(CLIENT_SECRET), 'the client secret is never logged');
});
