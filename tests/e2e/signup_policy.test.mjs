// The sign-up policy (wharf serve --signup, env WHARF_SIGNUP; docs/access-control.md): by default
// only the first account signs up freely and later ones need an invitation; invite-only needs an
// invitation (or `wharf admin create-user`) even for the first; open lets anyone in. A change of
// policy is recorded at start (an instance audit event and a `signup_policy_changed` log line).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { startWharf, api, uniqueEmail, WHARF_BIN } from './lib/harness.mjs';
import { launchBrowser, newContext } from './lib/browser.mjs';

const pw = 'correct-horse-battery';
const signupBody = (name, extra = {}) => ({ email: uniqueEmail(name), password: pw, name, ...extra });

test('default policy (first-user): the first account signs up, later ones need an invitation', async () => {
  const s = await startWharf({ signup: null });
  try {
    let cfg = await api(s.url, 'GET', '/api/v1/auth/config');
    assert.deepEqual(cfg.json, { signup: 'first-user', signup_open: true, password_reset: 'operator' });
    const ada = await api(s.url, 'POST', '/api/v1/auth/signup', { body: signupBody('ada') });
    assert.equal(ada.status, 201, ada.text);
    cfg = await api(s.url, 'GET', '/api/v1/auth/config');
    assert.deepEqual(cfg.json, { signup: 'first-user', signup_open: false, password_reset: 'operator' });
    // Before the fix: 201, anyone could make an account (and 300 organisations with it).
    const bob = await api(s.url, 'POST', '/api/v1/auth/signup', { body: signupBody('bob') });
    assert.equal(bob.status, 403, bob.text);
    assert.equal(bob.json.error.code, 'forbidden');
    assert.equal(bob.json.error.details.reason, 'signup_closed');
    assert.match(bob.json.error.message, /Ask an admin for an invitation/);
    // A taken address gets the same 403, not a 409 that would tell it has an account.
    const taken = await api(s.url, 'POST', '/api/v1/auth/signup', { body: { ...signupBody('again'), email: ada.json.user.email } });
    assert.equal(taken.status, 403, taken.text);
    assert.equal(taken.json.error.details.reason, 'signup_closed');
    // With an invitation, the same request joins.
    const email = uniqueEmail('cy');
    const admin = await api(s.url, 'GET', `/api/v1/orgs/${ada.json.org.slug}/roles`, { token: ada.json.token });
    const inv = await api(s.url, 'POST', `/api/v1/orgs/${ada.json.org.slug}/invitations`, {
      token: ada.json.token, body: { email, role_id: admin.json.items[0].id, send_email: false },
    });
    assert.equal(inv.status, 201, inv.text);
    const token = inv.json.link.split('/invite/')[1];
    const cy = await api(s.url, 'POST', '/api/v1/auth/signup', { body: { email, password: pw, name: 'Cy', invitation_token: token } });
    assert.equal(cy.status, 201, cy.text);
  } finally { await s.stop(); s.cleanup(); }
});

test('invite-only: even the first account comes from wharf admin create-user', async () => {
  const s = await startWharf({ env: { WHARF_SIGNUP: 'invite-only' } });
  try {
    assert.deepEqual((await api(s.url, 'GET', '/api/v1/auth/config')).json, { signup: 'invite-only', signup_open: false, password_reset: 'operator' });
    const first = await api(s.url, 'POST', '/api/v1/auth/signup', { body: signupBody('first') });
    assert.equal(first.status, 403, first.text);
    assert.equal(first.json.error.code, 'forbidden');
    assert.equal(first.json.error.details.reason, 'signup_closed');
    assert.match(first.json.error.message, /invitation/);
    const made = spawnSync(WHARF_BIN, ['admin', 'create-user', '--data-dir', s.dataDir, '--email', 'root@example.test', '--name', 'Root'],
      { input: `${pw}\n`, encoding: 'utf8', env: { ...process.env, ...s.env } });
    assert.equal(made.status, 0, made.stderr);
    const login = await api(s.url, 'POST', '/api/v1/auth/login', { body: { email: 'root@example.test', password: pw } });
    assert.equal(login.status, 200, login.text);
  } finally { await s.stop(); s.cleanup(); }
});

test('open: anyone signs up; an unknown policy is refused at start naming the flag', async () => {
  const s = await startWharf({ signup: 'open' });
  try {
    assert.equal((await api(s.url, 'POST', '/api/v1/auth/signup', { body: signupBody('a') })).status, 201);
    assert.equal((await api(s.url, 'POST', '/api/v1/auth/signup', { body: signupBody('b') })).status, 201);
  } finally { await s.stop(); s.cleanup(); }
  await assert.rejects(startWharf({ env: { WHARF_SIGNUP: 'everyone' } }), /signup.*first-user, invite-only or open/);
});

test('a change of policy between starts is recorded once', async () => {
  let s = await startWharf({ signup: null });
  const dataDir = s.dataDir;
  assert.match(s.logs, /"event":"signup_policy_changed"[^\n]*"to":"first-user"|"to":"first-user"[^\n]*signup_policy_changed/);
  await s.stop();
  s = await startWharf({ dataDir, signup: 'open' });
  assert.match(s.logs, /signup_policy_changed[^\n]*"from":"first-user"[^\n]*|"from":"first-user"[^\n]*signup_policy_changed/);
  assert.match(s.logs, /"to":"open"/);
  await s.stop();
  s = await startWharf({ dataDir, signup: 'open' });
  try {
    assert.doesNotMatch(s.logs, /signup_policy_changed/);
  } finally { await s.stop(); s.cleanup(); }
});

test('the sign-up page says sign-up is closed when it is', async () => {
  const s = await startWharf({ signup: null });
  const browser = await launchBrowser();
  try {
    const page = await (await newContext(browser, s.url)).newPage();
    await page.goto(`${s.url}/signup`);
    await page.locator('#signup-name').waitFor();
    assert.equal(await page.getByTestId('signup-closed').count(), 0);
    await api(s.url, 'POST', '/api/v1/auth/signup', { body: signupBody('ada') });
    await page.reload();
    await page.getByTestId('signup-closed').waitFor();
    assert.match(await page.getByTestId('signup-closed').innerText(), /Ask an admin/);
    assert.equal(await page.getByRole('button', { name: 'Create account' }).isDisabled(), true);
  } finally { await browser.close(); await s.stop(); s.cleanup(); }
});
