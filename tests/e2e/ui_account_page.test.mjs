// The Account page in a real browser against a real wharf and maildev: rename, change the
// password (the other browser is signed out; a bad current password is marked on its field), the
// sessions table (this session marked, end another), and the forgotten-password journey from the
// sign-in page through the mailed link (opening it uses nothing; the form does).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { api, signup, startMaildev, startWharf } from './lib/harness.mjs';
import { launchBrowser, newContext, shot, uiLogin } from './lib/browser.mjs';

let s, mail, browser, ada;
before(async () => {
  mail = await startMaildev();
  s = await startWharf({ smtpPort: mail.smtpPort });
  browser = await launchBrowser();
  ada = await signup(s.url, 'ada');
});
after(async () => { await browser?.close(); await s?.stop(); s?.cleanup(); mail?.stop(); });

test('Account page: rename, sessions with this one marked, end another, change the password', async () => {
  const ctx = await newContext(browser, s.url);
  const page = await ctx.newPage();
  await uiLogin(page, ada);
  const other = await newContext(browser, s.url);
  const p2 = await other.newPage();
  await uiLogin(p2, ada);

  await page.goto('/account');
  await page.getByLabel('Name').fill('Ada Lovelace');
  await page.getByRole('button', { name: 'Save name' }).click();
  await page.getByRole('status').filter({ hasText: 'Name saved.' }).waitFor();
  assert.equal((await api(s.url, 'GET', '/api/v1/me', { token: ada.token })).json.user.name, 'Ada Lovelace');

  const table = page.getByTestId('sessions');
  await table.getByText('this session').waitFor();
  assert.equal(await table.getByText('this session').count(), 1);
  assert.ok(await table.locator('tbody tr').count() >= 3, 'sign-up, this browser and the other one');
  await shot(page, 'account-page');

  // A wrong current password is marked on its own field.
  await page.getByLabel('Current password').fill('not-my-password');
  await page.getByLabel('New password').fill('a-brand-new-password-1');
  await page.getByRole('button', { name: 'Change password' }).click();
  await page.locator('.field-error').filter({ hasText: 'is not your current password' }).waitFor();
  await page.getByLabel('Current password').fill(ada.password);
  await page.getByRole('button', { name: 'Change password' }).click();
  await page.getByRole('status').filter({ hasText: 'Every other session was signed out' }).waitFor();
  await p2.goto('/account');
  await p2.waitForURL(/\/login/);
  assert.equal((await api(s.url, 'GET', '/api/v1/me', { token: ada.token })).status, 401);
  ada.password = 'a-brand-new-password-1';
  // Only this session is left in the table.
  await page.reload();
  await table.getByText('this session').waitFor();
  assert.equal(await table.locator('tbody tr').count(), 1);
  assert.deepEqual(ctx.problems, []);
  await other.close();
  await ctx.close();
});

test('Forgot password: the mailed link opens a form; opening it uses nothing; the new password signs in', async () => {
  const ctx = await newContext(browser, s.url);
  const page = await ctx.newPage();
  await page.goto('/login');
  await page.getByRole('link', { name: 'Forgot your password?' }).click();
  await page.getByLabel('Email').fill(ada.email);
  await page.getByRole('button', { name: 'Send a reset link' }).click();
  await page.getByTestId('reset-sent').waitFor();
  let url;
  for (let i = 0; i < 200 && !url; i++) {
    const m = (await mail.messages()).find((x) => /Reset your Wharf password/.test(x.subject) && x.to.some((t) => t.address === ada.email));
    url = m?.text.match(/(https?:\/\/\S+\/reset-password\/\S+)/)[1];
    if (!url) await new Promise((r) => setTimeout(r, 50));
  }
  assert.ok(url, 'a reset email');
  // Opened twice (a mail scanner, then the person): still usable.
  await page.goto(url);
  await page.getByText(`For ${ada.email}`).waitFor();
  await page.goto(url);
  await page.getByLabel('New password').fill('reset-from-the-browser-1');
  await page.getByRole('button', { name: 'Set password' }).click();
  await page.getByTestId('reset-done').waitFor();
  await shot(page, 'account-reset-done');
  await page.goto(url);
  await page.getByText(/already used|voided/).waitFor();
  ada.password = 'reset-from-the-browser-1';
  await uiLogin(page, ada);
  assert.deepEqual(ctx.problems, []);
  await ctx.close();
});

test('Users (instance): the instance administrator disables an account; its sessions end at once', async () => {
  const bob = await signup(s.url, 'bob');
  assert.equal((await api(s.url, 'GET', '/api/v1/me', { token: bob.token })).status, 200);
  const ctx = await newContext(browser, s.url);
  const page = await ctx.newPage();
  await uiLogin(page, ada);
  await page.getByRole('link', { name: 'Users (instance)' }).click();
  await page.getByTestId('admin-users').waitFor();
  page.once('dialog', (dlg) => dlg.accept());
  await page.getByRole('button', { name: `Disable ${bob.email}` }).click();
  await page.getByRole('status').filter({ hasText: 'every session and API token ended' }).waitFor();
  assert.equal((await api(s.url, 'GET', '/api/v1/me', { token: bob.token })).status, 401);
  await page.getByRole('button', { name: `Enable ${bob.email}` }).waitFor();
  await shot(page, 'admin-users');
  assert.deepEqual(ctx.problems, []);
  await ctx.close();
});
