// Passkeys against a real browser authenticator: Chromium's virtual authenticator (the DevTools
// WebAuthn domain through playwright-core) registers and signs on pages served by Wharf at its
// public URL, http://localhost:PORT (an IP address is no valid RP ID). Covered: named passkeys,
// passwordless sign-in, passkey as the second step of a password sign-in, a wrong origin refused,
// a cloned authenticator caught by its signature counter, and removing one passkey of two.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startWharf, api, signup, freePort } from './lib/harness.mjs';
import { launchBrowser } from './lib/browser.mjs';

let s, browser, base, other, otherBase;
before(async () => {
  const port = await freePort();
  base = `http://localhost:${port}`;
  s = await startWharf({ listen: `127.0.0.1:${port}`, args: ['--public-url', base] });
  browser = await launchBrowser();
  // Another origin on the same host (another port): a valid RP ID for the browser, a wrong
  // origin for Wharf.
  other = http.createServer((req, res) => { res.setHeader('content-type', 'text/html'); res.end('<!doctype html><title>other</title>'); });
  await new Promise((r) => other.listen(0, '127.0.0.1', r));
  otherBase = `http://localhost:${other.address().port}`;
});
after(async () => { await browser?.close(); other?.close(); await s.stop(); s.cleanup(); });

// A page at `origin` with its own virtual authenticator (CTAP2, user verification, resident keys).
async function authenticatorPage(origin = base) {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await page.goto(`${origin}/login`);
  const cdp = await ctx.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true,
      isUserVerified: true, automaticPresenceSimulation: true },
  });
  return { ctx, page, cdp, authenticatorId };
}

// Runs navigator.credentials.create/get in the page with the server's JSON options and returns
// the credential as JSON (base64url fields), as the web UI sends it.
function ceremony(page, mode, options) {
  return page.evaluate(async ({ mode, options }) => {
    const dec = (s) => Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((s.length + 3) % 4)), (c) => c.charCodeAt(0));
    const enc = (b) => btoa(String.fromCharCode(...new Uint8Array(b))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
    const pk = options.publicKey;
    if (mode === 'create') {
      const cred = await navigator.credentials.create({ publicKey: { ...pk, challenge: dec(pk.challenge),
        user: { ...pk.user, id: dec(pk.user.id) }, excludeCredentials: pk.excludeCredentials.map((c) => ({ ...c, id: dec(c.id) })) } });
      return { id: cred.id, rawId: enc(cred.rawId), type: cred.type,
        response: { clientDataJSON: enc(cred.response.clientDataJSON), attestationObject: enc(cred.response.attestationObject) } };
    }
    const cred = await navigator.credentials.get({ publicKey: { ...pk, challenge: dec(pk.challenge),
      allowCredentials: pk.allowCredentials.map((c) => ({ ...c, id: dec(c.id) })) } });
    return { id: cred.id, rawId: enc(cred.rawId), type: cred.type,
      response: { clientDataJSON: enc(cred.response.clientDataJSON), authenticatorData: enc(cred.response.authenticatorData),
        signature: enc(cred.response.signature), userHandle: cred.response.userHandle ? enc(cred.response.userHandle) : null } };
  }, { mode, options });
}

async function register(user, page, name) {
  const opts = await api(s.url, 'POST', '/api/v1/me/passkeys/options', { token: user.token });
  assert.equal(opts.status, 200, opts.text);
  assert.equal(opts.json.publicKey.rp.id, 'localhost');
  const credential = await ceremony(page, 'create', opts.json);
  return api(s.url, 'POST', '/api/v1/me/passkeys', { token: user.token, body: { name, credential } });
}

async function passwordless(page) {
  const opts = await api(s.url, 'POST', '/api/v1/auth/passkey/options');
  assert.equal(opts.status, 200, opts.text);
  assert.equal(opts.json.publicKey.userVerification, 'required');
  const credential = await ceremony(page, 'get', opts.json);
  return api(s.url, 'POST', '/api/v1/auth/passkey', { body: { credential } });
}

test('register named passkeys, sign in without a password, and with a password plus a passkey', async () => {
  const ada = await signup(s.url, 'ada');
  const a = await authenticatorPage();
  const r = await register(ada, a.page, 'Laptop');
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.name, 'Laptop');
  assert.match(r.json.id, /^pky_/);
  const b = await authenticatorPage();
  const r2 = await register(ada, b.page, 'Phone');
  assert.equal(r2.status, 201, r2.text);
  const list = await api(s.url, 'GET', '/api/v1/me/passkeys', { token: ada.token });
  assert.deepEqual(list.json.items.map((p) => p.name), ['Laptop', 'Phone']);
  // Passwordless: the browser picks the resident credential; the server learns who from it.
  const pl = await passwordless(a.page);
  assert.equal(pl.status, 200, pl.text);
  assert.equal(pl.json.user.email, ada.email);
  assert.equal((await api(s.url, 'GET', '/api/v1/me', { token: pl.json.token })).status, 200);
  // The password now asks for a second factor, and a passkey answers it.
  const first = await api(s.url, 'POST', '/api/v1/auth/login', { body: { email: ada.email, password: ada.password } });
  assert.equal(first.json.second_factor_required, true);
  assert.deepEqual(first.json.methods, ['passkey']);
  assert.equal(first.json.passkey_options.publicKey.allowCredentials.length, 2);
  const credential = await ceremony(b.page, 'get', first.json.passkey_options);
  const second = await api(s.url, 'POST', '/api/v1/auth/login/second-factor', { body: { challenge: first.json.challenge, passkey: credential } });
  assert.equal(second.status, 200, second.text);
  // The same assertion cannot be replayed (its challenge is gone, and its counter is used).
  const again = await api(s.url, 'POST', '/api/v1/auth/passkey', { body: { credential } });
  assert.equal(again.status, 401);
  // The audit log has both additions.
  const audit = await api(s.url, 'GET', `/api/v1/orgs/${ada.org.slug}/audit?limit=50`, { token: pl.json.token });
  assert.equal(audit.json.items.filter((e) => e.action === 'auth.passkey_added').length, 2);
  // Losing one passkey never locks out: removing it leaves the other, and sign-in still needs a factor.
  const del = await api(s.url, 'DELETE', `/api/v1/me/passkeys/${r.json.id}`, { token: pl.json.token });
  assert.equal(del.status, 204, del.text);
  const after = await api(s.url, 'POST', '/api/v1/auth/login', { body: { email: ada.email, password: ada.password } });
  assert.equal(after.json.second_factor_required, true);
  const pl2 = await passwordless(b.page);
  assert.equal(pl2.status, 200, pl2.text);
  await a.ctx.close();
  await b.ctx.close();
});

test('a credential made on another origin is refused, at registration and at sign-in', async () => {
  const bob = await signup(s.url, 'bob');
  const elsewhere = await authenticatorPage(otherBase);
  const opts = await api(s.url, 'POST', '/api/v1/me/passkeys/options', { token: bob.token });
  const credential = await ceremony(elsewhere.page, 'create', opts.json);
  const r = await api(s.url, 'POST', '/api/v1/me/passkeys', { token: bob.token, body: { name: 'Phish', credential } });
  assert.equal(r.status, 400, r.text);
  assert.equal(r.json.error.details.check, 'origin');
  // A passkey registered properly, then used on the other origin: refused too.
  const home = await authenticatorPage();
  assert.equal((await register(bob, home.page, 'Key')).status, 201);
  // A page on the other origin holding (only) a copy of that passkey signs for it.
  const thief = await authenticatorPage(otherBase);
  const creds = await home.cdp.send('WebAuthn.getCredentials', { authenticatorId: home.authenticatorId });
  for (const c of creds.credentials) await thief.cdp.send('WebAuthn.addCredential', { authenticatorId: thief.authenticatorId, credential: c });
  const sopts = await api(s.url, 'POST', '/api/v1/auth/passkey/options');
  const assertion = await ceremony(thief.page, 'get', sopts.json);
  const refused = await api(s.url, 'POST', '/api/v1/auth/passkey', { body: { credential: assertion } });
  assert.equal(refused.status, 401, refused.text);
  assert.equal(refused.json.error.details.check, 'origin');
  await elsewhere.ctx.close();
  await thief.ctx.close();
  await home.ctx.close();
});

test('a cloned authenticator is caught by its signature counter', async () => {
  const eve = await signup(s.url, 'eve');
  const original = await authenticatorPage();
  assert.equal((await register(eve, original.page, 'Token')).status, 201);
  // Copy the key, counter and all, into a second authenticator.
  const { credentials } = await original.cdp.send('WebAuthn.getCredentials', { authenticatorId: original.authenticatorId });
  const clone = await authenticatorPage();
  for (const c of credentials) await clone.cdp.send('WebAuthn.addCredential', { authenticatorId: clone.authenticatorId, credential: c });
  // The original signs in twice, moving the stored counter past the clone's.
  assert.equal((await passwordless(original.page)).status, 200);
  assert.equal((await passwordless(original.page)).status, 200);
  const cloned = await passwordless(clone.page);
  assert.equal(cloned.status, 401, cloned.text);
  assert.equal(cloned.json.error.details.check, 'sign_count');
  await original.ctx.close();
  await clone.ctx.close();
});
