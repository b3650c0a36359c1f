// The web UI's pages in a real browser: serving (SPA fallback, CSP, cache headers), the org in the
// URL (switcher, two tabs on two orgs), the access-denied panel, the role editor refusing grants
// beyond your own, SSH keys (add, fingerprint, copy), keyboard-only forms and a 390 px phone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { api, memberWithRole, signup, sshKeygen, startWharf } from './lib/harness.mjs';
import { launchBrowser, newContext, shot, uiLogin } from './lib/browser.mjs';

let s, browser, ada;

before(async () => {
  s = await startWharf();
  browser = await launchBrowser();
  ada = await signup(s.url, 'ada');
});

after(async () => {
  await browser?.close();
  await s?.stop();
  s?.cleanup();
});

test('the UI is served from the binary: SPA fallback, strict CSP, hashed assets cached, API paths untouched', async () => {
  const page = await fetch(`${s.url}/o/${ada.org.slug}/team`);
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type'), /^text\/html/);
  const csp = page.headers.get('content-security-policy');
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'self'/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
  assert.equal(page.headers.get('x-frame-options'), 'DENY');
  assert.equal(page.headers.get('cache-control'), 'no-cache');
  const html = await page.text();
  assert.doesNotMatch(html, /<script>|<style>| style=/, 'no inline script or style');
  const js = html.match(/src="(\/assets\/[^"]+\.js)"/)[1];
  const css = html.match(/href="(\/assets\/[^"]+\.css)"/)[1];
  const jsr = await fetch(s.url + js);
  assert.equal(jsr.status, 200);
  assert.match(jsr.headers.get('content-type'), /^text\/javascript/);
  assert.equal(jsr.headers.get('cache-control'), 'public, max-age=31536000, immutable');
  assert.match((await fetch(s.url + css)).headers.get('content-type'), /^text\/css/);
  assert.equal((await fetch(`${s.url}/assets/nope-123.js`)).status, 404);
  // /invite/{token} is the SPA's landing page; an unknown API path is still a JSON 404.
  const inv = await fetch(`${s.url}/invite/whi_whatever`);
  assert.equal(inv.status, 200);
  assert.equal(inv.headers.get('referrer-policy'), 'no-referrer');
  const ctx = await newContext(browser, s.url);
  const landing = await ctx.newPage();
  await landing.goto('/invite/whi_not_a_real_token');
  await landing.getByRole('alert').filter({ hasText: /no longer valid|expired/ }).waitFor();
  assert.match(await landing.textContent('main'), /Ask the person who invited you for a fresh link/);
  await ctx.close();
  const a = await api(s.url, 'GET', '/api/v1/nope');
  assert.equal(a.status, 404);
  assert.equal(a.json.error.code, 'not_found');
  assert.equal((await api(s.url, 'POST', '/o/x/team')).status, 404);
});

test('org switcher, and two tabs on two orgs do not interfere', async () => {
  const ctx = await newContext(browser, s.url);
  const page = await ctx.newPage();
  await uiLogin(page, ada);
  // A second org, created in the UI.
  await page.getByTestId('org-switcher').selectOption('__new');
  await page.waitForURL(/\/orgs\/new$/);
  await page.getByLabel('Name', { exact: true }).fill('Blue Harbour');
  await page.getByLabel('Slug (optional)').fill('blue-harbour');
  await page.getByRole('button', { name: 'Create organisation' }).click();
  await page.waitForURL(/\/o\/blue-harbour$/);
  // The switcher keeps the page: Team in one org → Team in the other.
  await page.getByRole('link', { name: 'Team' }).first().click();
  await page.getByTestId('org-switcher').selectOption(ada.org.slug);
  await page.waitForURL(new RegExp(`/o/${ada.org.slug}/team$`));

  const tab2 = await ctx.newPage();
  await tab2.goto('/o/blue-harbour/team');
  await tab2.getByLabel('Email', { exact: true }).fill('sam@example.test');
  await tab2.getByLabel('Send the invitation by email').uncheck();
  await tab2.getByTestId('invite-submit').click();
  await tab2.locator('tr[data-invitation="sam@example.test"]').waitFor();
  // Tab 1 is still on Ada's personal org, and its lists do not show tab 2's invitation.
  await page.reload();
  await page.getByRole('heading', { name: 'Pending invitations' }).waitFor();
  await page.getByText('No pending invitations.').waitFor();
  assert.match(await page.locator('.crumb').textContent(), new RegExp(ada.org.name));
  assert.match(await tab2.locator('.crumb').textContent(), /Blue Harbour/);
  assert.equal(await page.getByTestId('org-switcher').inputValue(), ada.org.slug);
  assert.equal(await tab2.getByTestId('org-switcher').inputValue(), 'blue-harbour');
  // Renaming (Admin) keeps the slug, so both tabs' URLs stay valid.
  await tab2.goto('/o/blue-harbour');
  await tab2.getByLabel('Organisation name').fill('Blue Harbour Ltd');
  await tab2.getByRole('button', { name: 'Rename' }).click();
  await tab2.getByRole('status').filter({ hasText: 'Organisation renamed.' }).waitFor();
  assert.match(await tab2.getByTestId('org-switcher').locator('option:checked').textContent(), /Blue Harbour Ltd \(blue-harbour\)/);
  // An org the user is not in is a clear panel, not a blank page.
  await tab2.goto('/o/not-mine-at-all/team');
  await tab2.getByRole('heading', { name: 'Organisation not found' }).waitFor();
  assert.deepEqual(ctx.problems, []);
  await ctx.close();
});

test('a page the user cannot read shows an access-denied panel naming the permission', async () => {
  const kim = await memberWithRole(s.url, ada, 'kim', { sshKeys: { read: true } });
  const ctx = await newContext(browser, s.url);
  const page = await ctx.newPage();
  await uiLogin(page, kim);
  await page.goto(`/o/${ada.org.slug}/team`);
  const denied = page.getByRole('alert').filter({ hasText: 'You cannot see the team' });
  await denied.waitFor();
  assert.match(await denied.textContent(), /team\.read.*Ask an Admin/s);
  assert.equal(await page.getByRole('table').count(), 0, 'no empty list behind the panel');
  // The navigation marks the pages the role cannot read.
  assert.match(await page.getByRole('link', { name: /Roles/ }).first().textContent(), /needs roles\.read/);
  await page.goto(`/o/${ada.org.slug}/roles`);
  await page.getByRole('alert').filter({ hasText: 'roles.read' }).waitFor();
  assert.deepEqual(ctx.problems, []);
  await ctx.close();
});

test('the role editor shows grants beyond your own as not allowed before saving', async () => {
  const rae = await memberWithRole(s.url, ada, 'rae', {
    roles: { create: true, read: true }, team: { read: true }, sshKeys: { read: true, create: true, create_limit: 2 },
  });
  const ctx = await newContext(browser, s.url);
  const page = await ctx.newPage();
  await uiLogin(page, rae);
  await page.goto(`/o/${ada.org.slug}/roles/new`);
  await page.getByLabel('Name', { exact: true }).fill('Deployer');
  assert.equal(await page.getByTestId('beyond-own').count(), 0);
  await page.getByLabel('servers.update', { exact: true }).check();
  const beyond = page.getByTestId('beyond-own');
  await beyond.waitFor();
  assert.match(await beyond.textContent(), /Not allowed.*servers\.update/s);
  assert.equal(await page.getByLabel('servers.update', { exact: true }).getAttribute('aria-invalid'), 'true');
  const save = page.getByTestId('save-role');
  assert.equal(await save.getAttribute('aria-disabled'), 'true');
  await save.hover();
  await page.getByRole('tooltip').filter({ hasText: 'servers.update' }).waitFor({ state: 'visible' });
  await shot(page, 'role-editor-not-allowed');
  // An unlimited create where Rae is capped at 2 is beyond her too.
  await page.getByLabel('servers.update', { exact: true }).uncheck();
  await page.getByLabel('sshKeys.create', { exact: true }).check();
  await page.getByTestId('beyond-own').filter({ hasText: 'sshKeys.create (create_limit)' }).waitFor();
  await page.getByLabel('Create limit for SSH keys (0 = unlimited)').fill('2');
  await page.getByTestId('beyond-own').waitFor({ state: 'detached' });
  await shot(page, 'role-editor-member');
  await page.getByTestId('save-role').click();
  await page.waitForURL(/\/roles$/);
  await page.getByRole('row', { name: /Deployer/ }).waitFor();
  assert.deepEqual(ctx.problems, []);
  await ctx.close();
});

test('SSH keys: add with the keyboard only, fingerprint as ssh-keygen prints it, copy the public key; the private key never comes back', async () => {
  const k = sshKeygen('ui@wharf');
  const ctx = await newContext(browser, s.url);
  const page = await ctx.newPage();
  // Sign in with the keyboard only: Tab to the fields, type, Enter submits.
  await page.goto('/login');
  await page.getByRole('heading', { name: 'Sign in to Wharf' }).waitFor();
  await tabTo(page, 'login-email');
  await page.keyboard.type(ada.email);
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'login-password');
  await page.keyboard.type(ada.password);
  const answer = page.waitForResponse((r) => r.url().endsWith('/api/v1/auth/login'));
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/o\//);
  assert.equal((await (await answer).json()).token, undefined, 'no session token in the login answer');

  await page.goto(`/o/${ada.org.slug}/ssh-keys`);
  await page.getByRole('heading', { name: 'Add a key' }).waitFor();
  await tabTo(page, 'key-name');
  await page.keyboard.type('deploy key');
  await page.keyboard.press('Tab');
  await page.keyboard.type(k.pub);
  await page.keyboard.press('Tab');
  await page.keyboard.insertText(k.priv);
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.dataset.testid), 'add-key');
  await page.keyboard.press('Enter');
  const card = page.locator('li[data-key="deploy key"]');
  await card.waitFor();
  assert.equal((await card.getByTestId('fingerprint').textContent()).trim(), k.fingerprint);
  assert.match(await card.textContent(), /private key stored/);
  // Copy with the keyboard too.
  await card.getByRole('button', { name: 'Copy public key of deploy key' }).focus();
  await page.keyboard.press('Enter');
  await page.getByRole('status').filter({ hasText: 'Public key of deploy key copied' }).waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), k.pub);
  // No secret reaches the browser: the private key is neither on the page nor in storage.
  await page.reload();
  await card.waitFor();
  const body = await page.content();
  for (const line of k.priv.split('\n').slice(1, 3)) assert.ok(!body.includes(line), 'private key material in the page');
  assert.ok(!(await page.evaluate(() => JSON.stringify(localStorage))).includes('PRIVATE'));
  await shot(page, 'ssh-keys');
  assert.deepEqual(ctx.problems, []);
  await ctx.close();
});

test('usable at 390 px: no horizontal page scroll, navigation reachable, tables scroll inside their panel', async () => {
  const ctx = await newContext(browser, s.url, { width: 390, height: 844 });
  const page = await ctx.newPage();
  await uiLogin(page, ada);
  for (const p of ['', '/team', '/roles', '/roles/new', '/ssh-keys', '/audit']) {
    await page.goto(`/o/${ada.org.slug}${p}`);
    await page.locator('h1').first().waitFor();
    await page.waitForLoadState('networkidle');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `${p || '/'} overflows by ${overflow}px at 390px`);
    await shot(page, `phone${p.replaceAll('/', '-') || '-overview'}`);
  }
  await page.goto(`/o/${ada.org.slug}`);
  const nav = page.getByRole('navigation', { name: 'Organisation' });
  await nav.getByRole('link', { name: 'SSH keys' }).scrollIntoViewIfNeeded();
  await nav.getByRole('link', { name: 'SSH keys' }).click();
  await page.waitForURL(/\/ssh-keys$/);
  assert.deepEqual(ctx.problems, []);
  await ctx.close();
});

test('audit log and API tokens pages render for the Admin', async () => {
  const ctx = await newContext(browser, s.url);
  const page = await ctx.newPage();
  await uiLogin(page, ada);
  await page.goto(`/o/${ada.org.slug}/audit`);
  await page.getByRole('cell', { name: 'auth.signup' }).first().waitFor();
  await shot(page, 'audit');
  await page.getByRole('link', { name: 'API tokens' }).first().click();
  await page.getByLabel('Name', { exact: true }).fill('ci');
  await page.getByRole('button', { name: 'Create token' }).click();
  const shown = page.getByLabel('New API token');
  await shown.waitFor();
  assert.match(await shown.inputValue(), /^wh/);
  await page.getByRole('button', { name: 'Done, hide it' }).click();
  await page.getByRole('cell', { name: 'ci', exact: true }).waitFor();
  assert.equal(await page.getByLabel('New API token').count(), 0);
  await shot(page, 'api-tokens');
  assert.deepEqual(ctx.problems, []);
  await ctx.close();
});

// Presses Tab from the top of the page until the element with `id` has focus (at most 30 times).
async function tabTo(page, id) {
  await page.evaluate(() => document.activeElement?.blur());
  for (let i = 0; i < 30; i++) {
    await page.keyboard.press('Tab');
    if ((await page.evaluate(() => document.activeElement?.id)) === id) return;
  }
  throw new Error(`Tab never reached #${id}`);
}
