// Single sign-on against a real OpenID Connect provider: npm's oidc-provider (OpenID Certified),
// started here on 127.0.0.1, signed into through Chromium. Covered: the instance administrator's
// provider settings (the client secret write-only), the authorization code flow with PKCE and
// nonce, a new account at first sign-in, group → org role mapping re-evaluated at each sign-in
// (a user removed from the group loses the membership, audited), linking to an existing account
// only through a verified email, a disallowed domain, a replayed callback, and key rotation (the
// JWKS refetched on an unknown kid).
// The provider's issuer is a 127.0.0.1 proxy in front of it that passes everything through, and
// for the live negative tests alters the token endpoint's answer: an ID token with a wrong
// audience, expired, with a bad signature, alg none, or one replayed from an earlier sign-in
// (its nonce already used). Also: `wharf admin idp`, the identity providers page, SSO-only
// organisations with a break-glass Admin, and `wharf login --web` with Chromium as the browser.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import http from 'node:http';
import { spawn, spawnSync } from 'node:child_process';
import Provider from 'oidc-provider';
import { startWharf, api, signup, freePort, uniqueEmail, memberWithRole, WHARF_BIN } from './lib/harness.mjs';
import { launchBrowser, newContext, uiLogin } from './lib/browser.mjs';
import { totpCodes } from './lib/totp.mjs';
import { cliUser } from './lib/cli.mjs';

let s, browser, idpServer, idpPort, issuer, admin, proxy;
let signingKey;       // the provider's current private JWK (the proxy re-signs altered tokens with it)
let tamper = null;    // (id_token) => id_token: how the proxy alters the next token answers
const seenIdTokens = [];  // every ID token the provider issued, in order
const CLIENT_SECRET = `idp-secret-${crypto.randomBytes(8).toString('hex')}`;
const accounts = {};  // login → claims; the tests change them between sign-ins

function rsaJwk(kid) {
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' };
}

// A compact JWS taken apart, changed by `edit(header, payload)`, and signed again with `key`.
function resign(token, edit, key = signingKey) {
  const [h, p] = token.split('.');
  const header = JSON.parse(Buffer.from(h, 'base64url'));
  const payload = JSON.parse(Buffer.from(p, 'base64url'));
  edit(header, payload);
  const input = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  if (header.alg === 'none') return `${input}.`;
  const sig = crypto.sign('sha256', Buffer.from(input), crypto.createPrivateKey({ key, format: 'jwk' }));
  return `${input}.${sig.toString('base64url')}`;
}

// Passes every request to the provider; the token endpoint's answer goes through `tamper`.
function startProxy(port) {
  const server = http.createServer((req, res) => {
    const body = [];
    req.on('data', (c) => body.push(c));
    req.on('end', () => {
      const headers = { ...req.headers };
      delete headers['accept-encoding'];  // plain answers, so the proxy can read them
      const up = http.request({ host: '127.0.0.1', port: idpPort, path: req.url, method: req.method, headers }, (ur) => {
        const out = [];
        ur.on('data', (c) => out.push(c));
        ur.on('end', () => {
          let buf = Buffer.concat(out);
          const h = { ...ur.headers };
          if (req.method === 'POST' && req.url.startsWith('/token') && ur.statusCode === 200) {
            const j = JSON.parse(buf);
            seenIdTokens.push(j.id_token);
            if (tamper) j.id_token = tamper(j.id_token);
            buf = Buffer.from(JSON.stringify(j));
            delete h['transfer-encoding'];
            h['content-length'] = String(buf.length);
          }
          res.writeHead(ur.statusCode, h);
          res.end(buf);
        });
      });
      up.on('error', (e) => { res.writeHead(502); res.end(String(e)); });
      up.end(Buffer.concat(body));
    });
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
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
  signingKey = keys[0];
  const server = await new Promise((resolve) => { const h = provider.listen(port, '127.0.0.1', () => resolve(h)); });
  return { provider, server };
}

before(async () => {
  s = await startWharf();
  browser = await launchBrowser();
  idpPort = await freePort();
  const proxyPort = await freePort();
  issuer = `http://127.0.0.1:${proxyPort}`;
  proxy = await startProxy(proxyPort);
  ({ server: idpServer } = await startIdp(idpPort, [rsaJwk('k1')]));
  admin = await signup(s.url, 'root');  // the first account: instance administrator
  assert.equal(admin.user.instance_admin, true);
});
after(async () => { await browser?.close(); idpServer?.close(); proxy?.close(); proxy?.closeAllConnections(); await s.stop(); s.cleanup(); });

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

// Signs in through the provider while the proxy alters the token answer; returns the refusal.
async function refusedWith(login, alter) {
  tamper = alter;
  try {
    const r = await ssoSignIn(login);
    await r.ctx.close();
    return decodeURIComponent(r.url);
  } finally {
    tamper = null;
  }
}

test('live provider, altered answers: wrong audience, expired, bad signature, alg none and a replayed token are refused', async () => {
  accounts.ivan = { email: uniqueEmail('ivan').replace('example.test', 'corp.test'), email_verified: true };
  const good = await ssoSignIn('ivan');  // a token of an earlier sign-in, for the replay below
  assert.equal((await me(good.page)).status, 200, good.url);
  await good.ctx.close();
  const earlier = seenIdTokens.at(-1);
  const now = Math.floor(Date.now() / 1000);
  const cases = [
    ['aud', (t) => resign(t, (h, p) => { p.aud = 'another-client'; })],
    ['exp', (t) => resign(t, (h, p) => { p.iat = now - 3000; p.exp = now - 2400; })],
    ['signature', (t) => resign(t, () => {}, rsaJwk(JSON.parse(Buffer.from(t.split('.')[0], 'base64url')).kid))],
    ['alg', (t) => resign(t, (h) => { h.alg = 'none'; })],
    ['nonce', () => earlier],  // validly signed, but for the nonce of a sign-in already done
  ];
  for (const [check, alter] of cases) {
    const url = await refusedWith('ivan', alter);
    assert.match(url, /\/login\?sso_error=/, `${check}: ${url}`);
    assert.ok(url.includes(`check: ${check}`), `${check}: ${url}`);
  }
  // Nothing of it opened a session: the provider's own answer still signs in.
  const again = await ssoSignIn('ivan');
  assert.equal((await me(again.page)).status, 200);
  await again.ctx.close();
});

test('wharf admin idp adds, lists, updates and removes providers; the secret comes from stdin and is never printed', async () => {
  const env = { ...process.env, ...s.env };
  const run = (args, input) => spawnSync(WHARF_BIN, ['admin', 'idp', ...args, '--data-dir', s.dataDir], { encoding: 'utf8', env, input });
  const secret = `cli-secret-${crypto.randomBytes(6).toString('hex')}`;
  const add = run(['add', 'other', '--display-name', 'Other SSO', '--issuer', 'https://login.other.test', '--client-id', 'wharf-o',
    '--client-secret-stdin', '--domain', 'other.test', '--map', `groups=ops:${admin.org.slug}:nope`], `${secret}\n`);
  assert.equal(add.status, 2, add.stderr);  // the role is not one of the org's
  assert.match(add.stderr, /role_id/);
  const roles = await api(s.url, 'GET', `/api/v1/orgs/${admin.org.slug}/roles`, { token: admin.token });
  const platform = roles.json.items.find((r) => r.name === 'Platform');
  const ok = run(['add', 'other', '--display-name', 'Other SSO', '--issuer', 'https://login.other.test', '--client-id', 'wharf-o',
    '--client-secret-stdin', '--domain', 'other.test', '--map', `groups=ops:${admin.org.slug}:${platform.id}`,
    '--public-url', s.url], `${secret}\n`);
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /secret: +set/);
  assert.ok(ok.stdout.includes(`${s.url}/api/v1/auth/sso/other/callback`), ok.stdout);
  const list = run(['list', '--json']);
  assert.equal(list.status, 0, list.stderr);
  const rows = list.stdout.trim().split('\n').map((l) => JSON.parse(l));
  const other = rows.find((r) => r.name === 'other');
  assert.deepEqual(other.client_secret, { set: true });
  assert.deepEqual(other.mappings, [{ claim: 'groups', value: 'ops', org: admin.org.slug, role_id: platform.id }]);
  const upd = run(['update', 'other', '--clear-client-secret', '--clear-mappings', '--display-name', 'Other']);
  assert.equal(upd.status, 0, upd.stderr);
  const viaApi = await api(s.url, 'GET', '/api/v1/admin/identity-providers', { token: admin.token });
  const o = viaApi.json.items.find((r) => r.name === 'other');
  assert.equal(o.display_name, 'Other');
  assert.deepEqual(o.client_secret, { set: false });
  assert.deepEqual(o.mappings, []);
  const rm = run(['remove', 'other']);
  assert.equal(rm.status, 0, rm.stderr);
  assert.equal(run(['remove', 'other']).status, 3);
  for (const r of [add, ok, list, upd, rm]) assert.ok(!(r.stdout + r.stderr).includes(secret));
  const audit = await api(s.url, 'GET', '/api/v1/admin/identity-providers', { token: admin.token });
  assert.ok(!audit.json.items.some((r) => r.name === 'other'));
});

test('the identity providers page adds, edits (mapping rules) and removes a provider; the secret is never shown', async () => {
  const ctx = await newContext(browser, s.url);
  const page = await ctx.newPage();
  await uiLogin(page, { email: admin.email, password: admin.password });
  await page.getByRole('link', { name: 'Identity providers' }).click();
  await page.waitForURL(/\/admin\/identity-providers$/);
  await page.getByTestId('identity-providers').getByText('Corp SSO').waitFor();
  const secret = `ui-secret-${crypto.randomBytes(6).toString('hex')}`;
  await page.getByRole('button', { name: 'Add a provider' }).click();
  const form = page.getByTestId('idp-form');
  await form.getByLabel('Name (in the callback URL)').fill('uiidp');
  await form.getByLabel('Button text').fill('UI SSO');
  await form.getByLabel('Issuer').fill('https://login.ui.test/');
  await form.getByLabel('Client id').fill('wharf-ui');
  await form.getByLabel('Client secret').fill(secret);
  await form.getByRole('button', { name: 'Save' }).click();
  await form.locator('.field-error').first().waitFor();  // the trailing slash, named by the server
  await form.getByLabel('Issuer').fill('https://login.ui.test');
  await form.getByRole('button', { name: 'Add a rule' }).click();
  await form.getByLabel('Rule 1 value').fill('devs');
  await form.getByLabel('Rule 1 organisation').fill(admin.org.slug);
  const roles = await api(s.url, 'GET', `/api/v1/orgs/${admin.org.slug}/roles`, { token: admin.token });
  await form.getByLabel('Rule 1 role id').fill(roles.json.items.find((r) => r.name === 'Platform').id);
  await form.getByRole('button', { name: 'Save' }).click();
  const row = page.getByTestId('identity-providers').locator('tr', { hasText: 'uiidp' });
  await row.waitFor();
  assert.match(await row.textContent(), /secret set/);
  assert.match(await row.textContent(), /groups = devs/);
  await row.getByRole('button', { name: 'Edit uiidp' }).click();
  assert.equal(await form.getByLabel('Client secret').inputValue(), '', 'the stored secret is not sent back');
  await form.getByLabel('Button text').fill('UI SSO 2');
  await form.getByRole('button', { name: 'Remove' }).click();  // the one rule
  await form.getByRole('button', { name: 'Save' }).click();
  await page.getByTestId('identity-providers').getByText('UI SSO 2').waitFor();
  const viaApi = await api(s.url, 'GET', '/api/v1/admin/identity-providers', { token: admin.token });
  const p = viaApi.json.items.find((r) => r.name === 'uiidp');
  assert.deepEqual(p.client_secret, { set: true }, 'an empty secret field kept the stored secret');
  assert.deepEqual(p.mappings, []);
  assert.ok(!(await page.content()).includes(secret));
  page.once('dialog', (d) => d.accept());
  await page.getByTestId('identity-providers').locator('tr', { hasText: 'uiidp' }).getByRole('button', { name: 'Remove uiidp' }).click();
  await page.getByTestId('identity-providers').locator('tr', { hasText: 'uiidp' }).waitFor({ state: 'detached' });
  assert.deepEqual(ctx.problems, []);
  await ctx.close();
});

const O = () => `/api/v1/orgs/${admin.org.slug}`;
const login = (email, password) => api(s.url, 'POST', '/api/v1/auth/login', { body: { email, password } });
let frank, gina, ginaToken;

test('SSO-only: password sign-in refused for members but the break-glass Admin; other sessions end, API tokens keep working', async () => {
  accounts.frank = { email: uniqueEmail('frank').replace('example.test', 'corp.test'), email_verified: true, name: 'Frank', groups: ['platform'] };
  frank = await ssoSignIn('frank');  // joins the org through the mapping rule
  gina = await memberWithRole(s.url, admin, 'gina', { team: { read: true }, servers: { read: true } });
  const tok = await api(s.url, 'POST', '/api/v1/me/tokens', { token: gina.token, body: { name: 'ci', org: admin.org.slug } });
  assert.equal(tok.status, 201, tok.text);
  ginaToken = tok.json.token;
  const off = await api(s.url, 'GET', `${O()}/sso-only`, { token: gina.token });
  assert.equal(off.status, 200, off.text);
  assert.equal(off.json.enabled, false);

  const byMember = await api(s.url, 'PUT', `${O()}/sso-only`, { token: gina.token, body: { enabled: true, provider: 'corp', break_glass_user_id: gina.user.id } });
  assert.equal(byMember.status, 403);
  const noBreakGlass = await api(s.url, 'PUT', `${O()}/sso-only`, { token: admin.token, body: { enabled: true, provider: 'corp' } });
  assert.equal(noBreakGlass.status, 400);
  assert.ok(noBreakGlass.json.error.details.fields.break_glass_user_id);
  const notAdmin = await api(s.url, 'PUT', `${O()}/sso-only`, { token: admin.token, body: { enabled: true, provider: 'corp', break_glass_user_id: gina.user.id } });
  assert.equal(notAdmin.status, 400);
  assert.match(notAdmin.json.error.details.fields.break_glass_user_id, /Admin/);
  const noSuchIdp = await api(s.url, 'PUT', `${O()}/sso-only`, { token: admin.token, body: { enabled: true, provider: 'nope', break_glass_user_id: admin.user.id } });
  assert.equal(noSuchIdp.status, 400);

  const on = await api(s.url, 'PUT', `${O()}/sso-only`, { token: admin.token, body: { enabled: true, provider: 'corp', break_glass_user_id: admin.user.id } });
  assert.equal(on.status, 200, on.text);
  assert.equal(on.json.enabled, true);
  assert.equal(on.json.provider, 'corp');
  assert.equal(on.json.break_glass.id, admin.user.id);
  assert.equal(on.json.start_url, `${s.url}/api/v1/auth/sso/corp/start`);
  assert.ok(on.json.sessions_ended >= 1, on.text);
  // gina's password session ended; her API token keeps working; frank's SSO session stays.
  assert.equal((await api(s.url, 'GET', '/api/v1/me', { token: gina.token })).status, 401);
  assert.equal((await api(s.url, 'GET', O(), { token: ginaToken })).status, 200);
  assert.equal((await me(frank.page)).status, 200);
  // A password sign-in is refused with the org and the way in; the break-glass Admin still signs in.
  const refused = await login(gina.email, gina.password);
  assert.equal(refused.status, 403, refused.text);
  assert.equal(refused.json.error.code, 'sso_required');
  assert.ok(refused.json.error.message.includes(admin.org.slug), refused.text);
  assert.ok(refused.json.error.message.includes('Corp SSO'), refused.text);
  assert.equal(refused.json.error.details.start_url, `${s.url}/api/v1/auth/sso/corp/start`);
  assert.equal((await login(admin.email, admin.password)).status, 200);
  // Signing in through the provider still works for members.
  const again = await ssoSignIn('frank');
  assert.equal((await me(again.page)).status, 200);
  await again.ctx.close();
  // The provider cannot be removed while the org depends on it.
  const list = await api(s.url, 'GET', '/api/v1/admin/identity-providers', { token: admin.token });
  const corp = list.json.items.find((p) => p.name === 'corp');
  const del = await api(s.url, 'DELETE', `/api/v1/admin/identity-providers/${corp.id}`, { token: admin.token });
  assert.equal(del.status, 409);
  assert.ok(del.json.error.message.includes(admin.org.slug));
  const audit = await api(s.url, 'GET', `${O()}/audit?limit=100`, { token: admin.token });
  assert.ok(audit.json.items.some((e) => e.action === 'orgs.sso_only' && /turned on/.test(e.detail ?? JSON.stringify(e))), audit.text);
  const offAgain = await api(s.url, 'PUT', `${O()}/sso-only`, { token: admin.token, body: { enabled: false } });
  assert.equal(offAgain.status, 200);
  assert.equal(offAgain.json.enabled, false);
  assert.equal((await login(gina.email, gina.password)).status, 200);
});

test('SSO-only in the UI: the Team page turns it on naming the break-glass Admin, and off', async () => {
  const ctx = await newContext(browser, s.url);
  const page = await ctx.newPage();
  await uiLogin(page, { email: admin.email, password: admin.password });
  await page.goto(`/o/${admin.org.slug}/team`);
  const panel = page.getByTestId('sso-only-policy');
  await panel.waitFor();
  await panel.locator('select[name=break_glass_user_id]').selectOption(admin.user.id);
  await panel.getByRole('button', { name: 'Require single sign-on' }).click();
  await panel.getByTestId('sso-only-state').waitFor();
  assert.match(await panel.getByTestId('sso-only-state').textContent(), /Corp SSO/);
  assert.match(await panel.getByTestId('sso-only-note').textContent(), /session/);
  assert.equal((await api(s.url, 'GET', `${O()}/sso-only`, { token: admin.token })).json.enabled, true);
  // A member sees why the login page refuses the password.
  const other = await newContext(browser, s.url);
  const p2 = await other.newPage();
  await p2.goto('/login');
  await p2.getByLabel('Email', { exact: true }).fill(gina.email);
  await p2.getByLabel('Password', { exact: true }).fill(gina.password);
  await p2.getByRole('button', { name: 'Sign in' }).click();
  await p2.getByRole('alert').filter({ hasText: 'Corp SSO' }).waitFor();
  await other.close();
  await panel.getByRole('button', { name: 'Allow other sign-in methods' }).click();
  await panel.getByRole('button', { name: 'Require single sign-on' }).waitFor();
  assert.equal((await api(s.url, 'GET', `${O()}/sso-only`, { token: admin.token })).json.enabled, false);
  assert.deepEqual(ctx.problems, []);
  await ctx.close();
});

test('SSO-only needs step-up from an Admin with a second factor; the break-glass Admin keeps password + code', async () => {
  const older = await login(admin.email, admin.password);  // a session from before the factor: no step-up
  assert.equal(older.status, 200, older.text);
  const begin = await api(s.url, 'POST', '/api/v1/me/totp', { token: admin.token });
  assert.equal(begin.status, 201, begin.text);
  const codes = totpCodes(begin.json.secret);
  assert.equal((await api(s.url, 'POST', '/api/v1/me/totp/confirm', { token: admin.token, body: { code: await codes.next() } })).status, 200);
  const body = { enabled: true, provider: 'corp', break_glass_user_id: admin.user.id };
  const needs = await api(s.url, 'PUT', `${O()}/sso-only`, { token: older.json.token, body });
  assert.equal(needs.status, 403, needs.text);
  assert.equal(needs.json.error.code, 'step_up_required');
  const up = await api(s.url, 'POST', '/api/v1/auth/step-up', { token: older.json.token, body: { totp_code: await codes.next() } });
  assert.equal(up.status, 200, up.text);
  const on = await api(s.url, 'PUT', `${O()}/sso-only`, { token: older.json.token, body });
  assert.equal(on.status, 200, on.text);
  // The break-glass Admin signs in with password and code; a member is refused.
  const first = await login(admin.email, admin.password);
  assert.equal(first.status, 200, first.text);
  assert.equal(first.json.second_factor_required, true);
  assert.equal((await login(gina.email, gina.password)).status, 403);
});

// Runs `wharf login URL --web` with BROWSER=true (nothing opens); resolves the sign-in URL it
// prints and a promise of its exit.
function startWebLogin(user) {
  const p = spawn(WHARF_BIN, ['login', s.url, '--web', '-o', 'json'], { env: { ...user.env, BROWSER: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  p.stdout.on('data', (d) => { stdout += d; });
  const done = new Promise((resolve) => p.on('close', (code) => resolve({ code, stdout, stderr })));
  const url = new Promise((resolve, reject) => {
    p.stderr.on('data', (d) => {
      stderr += d;
      const m = /(http:\/\/\S+\/cli-login\?\S+)/.exec(stderr);
      if (m) resolve(m[1]);
    });
    p.on('close', () => reject(new Error(`wharf login --web exited before printing the URL: ${stderr}`)));
  });
  return { url, done, proc: p };
}

const pkce = () => {
  const verifier = crypto.randomBytes(32).toString('base64url');
  return { verifier, challenge: crypto.createHash('sha256').update(verifier).digest('base64url') };
};

test('wharf login --web: the browser signs in through the provider and the CLI gets its own session', async () => {
  const user = cliUser('web');
  try {
    const run = startWebLogin(user);
    const url = await run.url;
    assert.match(url, /redirect_uri=http%3A%2F%2F127\.0\.0\.1%3A\d+%2Fcallback/);
    assert.match(url, /code_challenge_method=S256/);
    const ctx = await newContext(browser, s.url);
    const page = await ctx.newPage();
    let loopback;
    page.on('request', (req) => { if (req.url().startsWith('http://127.0.0.1:') && req.url().includes('/callback?code=')) loopback = req.url(); });
    await page.goto(url);  // not signed in: the login page keeps where to come back to
    await page.waitForURL(/\/login\?next=/);
    await page.getByRole('link', { name: 'Continue with Corp SSO' }).click();
    await throughIdp(page, 'frank');
    await page.getByTestId('cli-authorise').click();
    const r = await run.done;
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.user.email, accounts.frank.email);
    await page.getByText('you can close this tab').waitFor();
    // The CLI's session works (SSO-only is on: it counts as opened through the provider).
    const who = await user.json(['whoami']);
    assert.equal(who.user.email, accounts.frank.email);
    // The code was single-use.
    const code = new URL(loopback).searchParams.get('code');
    const again = await api(s.url, 'POST', '/api/v1/auth/cli/token', { body: { code, code_verifier: 'x'.repeat(43), redirect_uri: loopback.split('?')[0] } });
    assert.equal(again.status, 401, again.text);
    assert.deepEqual(ctx.problems, []);
    await ctx.close();
  } finally {
    user.cleanup();
  }
});

test('the loopback code: only loopback redirects, S256 only, bound to its verifier and redirect, used once', async () => {
  const { verifier, challenge } = pkce();
  const authorize = (body) => api(s.url, 'POST', '/api/v1/auth/cli/authorize', { token: admin.token, body: { state: 'st4te', code_challenge: challenge, code_challenge_method: 'S256', ...body } });
  for (const bad of ['http://evil.test:8080/cb', 'https://127.0.0.1:9/cb', 'http://127.0.0.1.evil.test:9/cb', 'http://127.0.0.1:9@evil.test/cb', 'http://localhost:9/cb']) {
    const r = await authorize({ redirect_uri: bad });
    assert.equal(r.status, 400, `${bad}: ${r.text}`);
    assert.ok(r.json.error.details.fields.redirect_uri, bad);
  }
  const plain = await authorize({ redirect_uri: 'http://127.0.0.1:9/cb', code_challenge_method: 'plain' });
  assert.equal(plain.status, 400);
  const tokenOnly = await api(s.url, 'POST', '/api/v1/auth/cli/authorize', { token: ginaToken, body: { redirect_uri: 'http://127.0.0.1:9/cb', state: 's', code_challenge: challenge, code_challenge_method: 'S256' } });
  assert.equal(tokenOnly.status, 403, 'an API token cannot authorise a CLI sign-in');
  const exchange = (to, v, redirect = 'http://127.0.0.1:9/cb') =>
    api(s.url, 'POST', '/api/v1/auth/cli/token', { body: { code: new URL(to).searchParams.get('code'), code_verifier: v, redirect_uri: redirect } });
  const a = await authorize({ redirect_uri: 'http://127.0.0.1:9/cb' });
  assert.equal(a.status, 200, a.text);
  assert.match(a.json.redirect_to, /^http:\/\/127\.0\.0\.1:9\/cb\?code=wlc_[^&]+&state=st4te$/);
  assert.equal((await exchange(a.json.redirect_to, pkce().verifier)).status, 401, 'another verifier');
  assert.equal((await exchange(a.json.redirect_to, verifier)).status, 401, 'a wrong attempt used the code up');
  const b = await authorize({ redirect_uri: 'http://[::1]:9/cb' });
  assert.equal(b.status, 200, b.text);
  assert.equal((await exchange(b.json.redirect_to, verifier, 'http://[::1]:10/cb')).status, 401, 'another redirect');
  const c = await authorize({ redirect_uri: 'http://127.0.0.1:9/cb' });
  const ok = await exchange(c.json.redirect_to, verifier);
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.json.user.id, admin.user.id);
  assert.equal((await api(s.url, 'GET', '/api/v1/me', { token: ok.json.token })).status, 200);
  assert.equal((await exchange(c.json.redirect_to, verifier)).status, 401, 'used once');
  assert.ok(!s.logs.includes(new URL(c.json.redirect_to).searchParams.get('code')), 'codes are not logged');
});

test('one account holds at most 10 unexchanged CLI sign-in codes; finishing one frees a place', async () => {
  const { verifier, challenge } = pkce();
  const authorize = () => api(s.url, 'POST', '/api/v1/auth/cli/authorize', { token: admin.token, body: { redirect_uri: 'http://127.0.0.1:9/cb', state: 'cap', code_challenge: challenge, code_challenge_method: 'S256' } });
  const codes = [];
  for (let i = 0; i < 10; ++i) {
    const r = await authorize();
    assert.equal(r.status, 200, `code ${i + 1}: ${r.text}`);
    codes.push(r.json.redirect_to);
  }
  const over = await authorize();
  assert.equal(over.status, 429, over.text);
  assert.equal(over.json.error.code, 'rate_limited');
  assert.equal(over.json.error.details.retry_after, 120);
  assert.match(over.json.error.message, /10 command-line sign-ins waiting/);
  const done = await api(s.url, 'POST', '/api/v1/auth/cli/token', { body: { code: new URL(codes[0]).searchParams.get('code'), code_verifier: verifier, redirect_uri: 'http://127.0.0.1:9/cb' } });
  assert.equal(done.status, 200, done.text);
  assert.equal((await authorize()).status, 200, 'a finished sign-in frees its place');
});
