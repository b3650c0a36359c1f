// Web UI for API routes that had no page yet, in a real browser against a real wharf: rename an
// SSH key (and the Rename button disabled without sshKeys.update), Diagnose a pending invitation,
// transfer ownership to another Admin, and "Sign out everywhere" (every session revoked, not only
// this browser's).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { api, memberWithRole, signup, startWharf, uniqueEmail } from './lib/harness.mjs';
import { launchBrowser, newContext, shot, uiLogin } from './lib/browser.mjs';

let s, browser, ada, ctx, page;
const O = () => `/o/${ada.org.slug}`;
const A = (p) => `/api/v1/orgs/${ada.org.slug}${p}`;

before(async () => {
  s = await startWharf();
  browser = await launchBrowser();
  ada = await signup(s.url, 'ada');
  ctx = await newContext(browser, s.url);
  page = await ctx.newPage();
  await uiLogin(page, ada);
});
after(async () => { await browser?.close(); await s?.stop(); s?.cleanup(); });

test('rename an SSH key; without sshKeys.update the Rename button is disabled with the permission named', async () => {
  const k = await api(s.url, 'POST', A('/ssh-keys'), { token: ada.token, body: { name: 'deploy', generate: { type: 'ed25519' } } });
  assert.equal(k.status, 201);
  await page.goto(`${O()}/ssh-keys`);
  await page.getByRole('button', { name: 'Rename SSH key deploy' }).click();
  await page.getByLabel('New name for deploy').fill('deploy-2026');
  await page.getByRole('button', { name: 'Save name' }).click();
  await page.getByRole('status').filter({ hasText: 'SSH key renamed to deploy-2026' }).waitFor();
  await page.locator('li[data-key="deploy-2026"]').waitFor();
  assert.equal((await api(s.url, 'GET', A(`/ssh-keys/${k.json.id}`), { token: ada.token })).json.name, 'deploy-2026');
  const viewer = await memberWithRole(s.url, ada, 'kim', { sshKeys: { read: true } });
  const vctx = await newContext(browser, s.url);
  const p = await vctx.newPage();
  await uiLogin(p, viewer);
  await p.goto(`${O()}/ssh-keys`);
  const btn = p.getByRole('button', { name: 'Rename SSH key deploy-2026' });
  await btn.waitFor();
  assert.equal(await btn.getAttribute('data-need'), 'sshKeys.update');
  assert.deepEqual(vctx.problems, []);
  await vctx.close();
});

test('Diagnose a pending invitation: the email layer checklist, on the Team page', async () => {
  const role = (await api(s.url, 'GET', A('/roles'), { token: ada.token })).json.items.find((r) => r.name === 'Admin');
  const email = uniqueEmail('pending');
  const inv = await api(s.url, 'POST', A('/invitations'), { token: ada.token, body: { email, role_id: role.id, send_email: false } });
  assert.equal(inv.status, 201, inv.text);
  await page.goto(`${O()}/team`);
  await page.getByRole('button', { name: `Diagnose invitation for ${email}` }).click();
  const d = page.getByTestId('invitation-diagnosis');
  await d.waitFor();
  assert.equal(await d.getByTestId('diagnosis').getAttribute('data-layer'), 'email');
  assert.ok(await d.getByTestId('diagnose-checks').locator('li').count() > 0);
  await shot(page, 'team-invitation-diagnose');
});

test('transfer ownership to another Admin; the form is only for the owner', async () => {
  const bea = await memberWithRole(s.url, ada, 'bea', { team: { read: true } });
  const role = (await api(s.url, 'GET', A('/roles'), { token: ada.token })).json.items.find((r) => r.name === 'Admin');
  assert.equal((await api(s.url, 'PATCH', A(`/members/${bea.user.id}`), { token: ada.token, body: { role_id: role.id } })).status, 200);
  await page.goto(O());
  const form = page.getByTestId('transfer');
  await form.waitFor();
  await page.getByLabel('New owner (an Admin member)').selectOption(bea.user.id);
  page.once('dialog', (dlg) => dlg.accept());
  await form.getByRole('button', { name: 'Transfer' }).click();
  await page.getByRole('status').filter({ hasText: `${bea.email} now owns` }).waitFor();
  assert.equal((await api(s.url, 'GET', A(''), { token: ada.token })).json.owner_id, bea.user.id);
  await form.waitFor({ state: 'detached' });  // ada is no longer the owner
  assert.deepEqual(ctx.problems, []);
});

test('Sign out everywhere revokes every session of the account, not only this browser\'s', async () => {
  const other = await newContext(browser, s.url);
  const p2 = await other.newPage();
  await uiLogin(p2, ada);
  await page.goto('/account/tokens');
  page.once('dialog', (dlg) => dlg.accept());
  await page.getByTestId('logout-all').click();
  await page.waitForURL(/\/login/);
  assert.equal((await api(s.url, 'GET', '/api/v1/me', { token: ada.token })).status, 401, 'the API session from sign-up is revoked too');
  await p2.goto(`${O()}/team`);
  await p2.waitForURL(/\/login/);
  assert.deepEqual(other.problems, []);
  await other.close();
});
