// The web UI in a real browser (Debian chromium via playwright-core) against a real wharf and a
// real maildev: an Admin builds a Viewer role in the matrix, invites by email, the invitee joins
// from the mailed link and finds the write buttons disabled; a copied link works in a second
// browser; the seat limit stops further invitations with a message naming who can raise it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { api, startMaildev, startWharf, uniqueEmail } from './lib/harness.mjs';
import { launchBrowser, newContext, shot, uiLogin, uiSignup } from './lib/browser.mjs';

let mail, s, browser, adminCtx, admin, slug;
const PASSWORD = 'correct-horse-battery-staple';

before(async () => {
  mail = await startMaildev();
  s = await startWharf({ smtpPort: mail.smtpPort });
  browser = await launchBrowser();
  adminCtx = await newContext(browser, s.url);
  admin = await adminCtx.newPage();
});

after(async () => {
  await browser?.close();
  await s?.stop();
  s?.cleanup();
  mail?.stop();
});

test('sign up in the browser lands in the personal org', async () => {
  const answer = admin.waitForResponse((r) => r.url().endsWith('/api/v1/auth/signup'));
  await uiSignup(admin, { name: 'Ada Admin', email: uniqueEmail('ada'), password: PASSWORD });
  // The UI asks for cookie_only: the session token never appears in a body that scripts can read.
  const body = await (await answer).json();
  assert.equal(body.token, undefined);
  assert.match(body.csrf_token, /^whc_/);
  slug = new URL(admin.url()).pathname.split('/')[2];
  await admin.getByRole('heading', { level: 1, name: 'Ada Admin' }).waitFor();
  assert.match(await admin.getByTestId('seats').textContent(), /1 seats used/);
  // The session is the HttpOnly cookie: no script can read it, and no token sits in storage.
  assert.equal(await admin.evaluate(() => document.cookie), '');
  const stored = await admin.evaluate(() => JSON.stringify(localStorage));
  assert.doesNotMatch(stored, /whs_/);
  await shot(admin, 'overview');
});

test('an Admin creates a Viewer role with the matrix column toggle', async () => {
  await admin.getByRole('link', { name: 'Roles' }).first().click();
  await admin.getByTestId('new-role').click();
  await admin.waitForURL(/\/roles\/new$/);
  await admin.getByLabel('Name', { exact: true }).fill('Viewer');
  await admin.getByLabel('Description', { exact: true }).fill('Sees everything, changes nothing');
  // The default has team.read; the Read column toggle turns Read on for every collection.
  await admin.getByRole('button', { name: 'Toggle Read for every collection' }).click();
  for (const c of ['servers', 'sshKeys', 'roles', 'team']) assert.equal(await admin.getByLabel(`${c}.read`, { exact: true }).isChecked(), true, c);
  assert.equal(await admin.getByLabel('servers.update', { exact: true }).isChecked(), false);
  // Row toggle on, then off again, leaves the row as it was.
  await admin.getByRole('button', { name: 'Toggle every action on Backups' }).click();
  assert.equal(await admin.getByLabel('backups.delete', { exact: true }).isChecked(), true);
  await admin.getByRole('button', { name: 'Toggle every action on Backups' }).click();
  assert.equal(await admin.getByLabel('backups.read', { exact: true }).isChecked(), false);
  await admin.getByLabel('backups.read', { exact: true }).check();
  await shot(admin, 'role-editor');
  await admin.getByTestId('save-role').click();
  await admin.waitForURL(/\/roles$/);
  const row = admin.getByRole('row', { name: /Viewer/ });
  await row.waitFor();
  assert.match(await row.textContent(), /Sees everything, changes nothing\s*0/);
  const roles = await api(s.url, 'GET', `/api/v1/orgs/${slug}/roles`, { headers: { cookie: await cookieOf(adminCtx) } });
  const viewer = roles.json.items.find((r) => r.name === 'Viewer');
  assert.deepEqual(Object.keys(viewer.permissions).sort(), ['applications', 'backupStorage', 'backups', 'cloudProviderAccounts',
    'dockerRegistries', 'gitProviders', 'notifications', 'projects', 'roles', 'securityGroups', 'servers', 'services', 'sshKeys', 'team', 'templates']);
  assert.ok(Object.values(viewer.permissions).every((g) => g.read && !g.create && !g.update && !g.delete));
  await shot(admin, 'roles');
});

test('the built-in Admin role is shown locked', async () => {
  await admin.getByRole('link', { name: 'Admin', exact: true }).click();
  await admin.getByTestId('admin-locked').waitFor();
  assert.equal(await admin.getByLabel('servers.delete', { exact: true }).isDisabled(), true);
  assert.equal(await admin.getByTestId('save-role').count(), 0);
  await admin.goBack();
});

let viewerEmail;
test('invite by email; the invitee opens the mailed link, signs up with the email prefilled, and joins', async () => {
  await admin.getByRole('link', { name: 'Team' }).first().click();
  viewerEmail = uniqueEmail('vera');
  await admin.getByLabel('Email', { exact: true }).fill(viewerEmail);
  await admin.getByLabel('Role', { exact: true }).selectOption({ label: 'Viewer' });
  await admin.getByTestId('invite-submit').click();
  await admin.getByText(`Invitation emailed to ${viewerEmail}.`).waitFor();
  await admin.locator(`tr[data-invitation="${viewerEmail}"]`).waitFor();
  await shot(admin, 'team');

  const msg = await mail.waitForMessageTo(viewerEmail);
  const link = msg.text.match(/https?:\/\/\S+\/invite\/whi_[A-Za-z0-9_-]+/)[0];
  const ctx = await newContext(browser, s.url);
  const page = await ctx.newPage();
  // Opening the landing page (twice) shows the invitation and never consumes it.
  for (let i = 0; i < 2; i++) {
    await page.goto(link);
    await page.getByTestId('invite-role').waitFor();
  }
  assert.match(await page.getByTestId('invite-org').textContent(), /Ada Admin/);
  assert.equal(await page.getByTestId('invite-role').textContent(), 'Viewer');
  assert.match(await page.getByTestId('invite-expiry').textContent(), /\d/);
  await shot(page, 'invitation-landing');
  const token = link.split('/invite/')[1];
  assert.equal((await api(s.url, 'GET', `/api/v1/invitations/${token}`)).status, 200, 'still valid after opening');

  await page.getByRole('link', { name: /create an account/ }).click();
  await page.waitForURL(/\/signup\?invitation=/);
  const email = page.getByLabel('Email', { exact: true });
  await page.waitForFunction((e) => document.querySelector('#signup-email')?.value === e, viewerEmail);
  assert.equal(await email.getAttribute('readonly'), '');
  await page.getByLabel('Name', { exact: true }).fill('Vera Viewer');
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: /Create account and join/ }).click();
  await page.waitForURL(new RegExp(`/o/${slug}$`));
  await page.getByText('your role:').waitFor();
  assert.match(await page.locator('.crumb').textContent(), /Viewer/);

  // Lists render with Read; every write button is disabled with a tooltip naming its permission.
  await page.getByRole('link', { name: 'Team' }).first().click();
  await page.getByRole('row', { name: /Ada Admin/ }).waitFor();
  const invite = page.getByTestId('invite-submit');
  assert.equal(await invite.getAttribute('aria-disabled'), 'true');
  await invite.hover();
  const tip = page.getByRole('tooltip').filter({ hasText: 'team.update' }).first();
  await tip.waitFor({ state: 'visible' });
  assert.match(await tip.textContent(), /Needs the team\.update permission\. Ask an Admin/);
  const remove = page.getByRole('button', { name: /^Remove / });
  assert.equal(await remove.getAttribute('aria-disabled'), 'true');
  assert.equal(await remove.getAttribute('data-need'), 'team.delete');
  // A click on a disabled button sends nothing.
  await invite.click({ force: true });
  await shot(page, 'team-as-viewer');

  await page.getByRole('link', { name: 'Roles' }).first().click();
  const newRole = page.getByTestId('new-role');
  await newRole.waitFor();
  assert.equal(await newRole.getAttribute('data-need'), 'roles.create');
  await page.getByRole('link', { name: /SSH keys/ }).first().click();
  const add = page.getByTestId('add-key');
  await add.waitFor();
  assert.equal(await add.getAttribute('data-need'), 'sshKeys.create');
  await add.focus();  // keyboard users get the same explanation
  await page.getByRole('tooltip').filter({ hasText: 'sshKeys.create' }).waitFor({ state: 'visible' });

  // The audit log is for Admins: an access-denied panel, not an empty list.
  await page.getByRole('link', { name: /Audit log/ }).click();
  const denied = page.getByRole('alert').filter({ hasText: 'You cannot see the audit log' });
  await denied.waitFor();
  assert.match(await denied.textContent(), /Admin role.*Ask an Admin/s);
  await shot(page, 'access-denied');
  assert.deepEqual(ctx.problems, []);
  await ctx.close();
});

test('Copy invitation link copies a working link (with a visible confirmation); a second browser joins with it', async () => {
  const email = uniqueEmail('carl');
  // Carl already has an account: he signs in from the landing page, then clicks Join.
  // Open sign-up with SMTP answers 202 "check your email" for every address after the first.
  const carl = await api(s.url, 'POST', '/api/v1/auth/signup', { body: { email, password: PASSWORD, name: 'Carl' } });
  assert.equal(carl.status, 202);
  await admin.reload();
  await admin.getByLabel('Email', { exact: true }).fill(email);
  await admin.getByLabel('Role', { exact: true }).selectOption({ label: 'Viewer' });
  await admin.getByLabel('Send the invitation by email').uncheck();
  await admin.getByTestId('invite-submit').click();
  await admin.locator(`tr[data-invitation="${email}"]`).waitFor();
  await admin.getByRole('button', { name: `Copy invitation link for ${email}` }).click();
  await admin.getByRole('status').filter({ hasText: `Invitation link for ${email} copied to the clipboard` }).waitFor();
  const link = await admin.evaluate(() => navigator.clipboard.readText());
  assert.match(link, /\/invite\/whi_[A-Za-z0-9_-]+$/);

  const ctx = await newContext(browser, s.url);
  const page = await ctx.newPage();
  await page.goto(link);
  await page.getByRole('link', { name: /sign in/ }).click();
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/invite\//);
  await page.getByRole('button', { name: 'Join' }).click();
  await page.waitForURL(new RegExp(`/o/${slug}$`));
  assert.match(await page.locator('.crumb').textContent(), /Viewer/);
  // The switcher now lists both of Carl's orgs.
  assert.equal(await page.getByTestId('org-switcher').locator('option').filter({ hasText: '(' }).count(), 2);
  assert.deepEqual(ctx.problems, []);
  await ctx.close();
});

test('change a member\'s role; resend and revoke a pending invitation', async () => {
  await admin.getByRole('link', { name: 'Team' }).first().click();
  await admin.getByLabel(`Role of ${viewerEmail}`).selectOption({ label: 'Admin' });
  await admin.getByRole('status').filter({ hasText: 'Role of Vera Viewer changed.' }).waitFor();
  let members = await api(s.url, 'GET', `/api/v1/orgs/${slug}/members`, { headers: { cookie: await cookieOf(adminCtx) } });
  assert.equal(members.json.items.find((m) => m.user.email === viewerEmail).role.name, 'Admin');
  await admin.getByLabel(`Role of ${viewerEmail}`).selectOption({ label: 'Viewer' });
  await admin.getByRole('status').filter({ hasText: 'Role of Vera Viewer changed.' }).waitFor();

  const email = uniqueEmail('pat');
  await admin.getByLabel('Email', { exact: true }).fill(email);
  await admin.getByLabel('Role', { exact: true }).selectOption({ label: 'Viewer' });
  await admin.getByLabel('Send the invitation by email').check();
  await admin.getByTestId('invite-submit').click();
  await admin.locator(`tr[data-invitation="${email}"]`).waitFor();
  await mail.waitForMessageTo(email);
  await mail.clear();
  await admin.getByRole('button', { name: `Resend invitation to ${email}` }).click();
  await admin.getByRole('status').filter({ hasText: `Invitation re-sent to ${email}.` }).waitFor();
  await mail.waitForMessageTo(email);
  admin.once('dialog', (d) => d.accept());
  await admin.getByRole('button', { name: `Revoke invitation for ${email}` }).click();
  await admin.getByRole('status').filter({ hasText: `Invitation for ${email} revoked.` }).waitFor();
  await admin.locator(`tr[data-invitation="${email}"]`).waitFor({ state: 'detached' });
});

test('the seat limit stops a third invitation and says who can raise it', async () => {
  // Ada is the instance administrator (first user): she sets the limit to the seats in use.
  await admin.getByRole('link', { name: 'Overview' }).click();
  const used = Number((await admin.getByTestId('seats').textContent()).match(/(\d+) seats used/)[1]);
  assert.equal(used, 3);
  await admin.getByLabel(/Seat limit/).fill(String(used));
  await admin.getByRole('button', { name: 'Save limit' }).click();
  await admin.getByText('Seat limit saved.').waitFor();
  await admin.getByRole('link', { name: 'Team' }).first().click();
  const reached = admin.getByTestId('seat-limit-reached');
  await reached.waitFor();
  assert.match(await reached.textContent(), /Seat limit reached.*instance administrator/s);
  assert.match(await admin.getByTestId('seat-counter').textContent(), /3 of 3 seats used/);
  const invite = admin.getByTestId('invite-submit');
  assert.equal(await invite.getAttribute('aria-disabled'), 'true');
  await invite.hover();
  await admin.getByRole('tooltip').filter({ hasText: 'Seat limit reached' }).waitFor({ state: 'visible' });
  await shot(admin, 'team-seat-limit');
  // The server agrees: the third invitation is refused with the seat_limit layer.
  const r = await api(s.url, 'POST', `/api/v1/orgs/${slug}/invitations`, {
    headers: { cookie: await cookieOf(adminCtx), 'x-csrf-token': await admin.evaluate(() => localStorage.getItem('wharf.csrf')) },
    body: { email: uniqueEmail('third'), role_id: (await roleId('Viewer')), send_email: false },
  });
  assert.equal(r.status, 403);
  assert.equal(r.json.error.layer, 'seat_limit');
  // Removing a member frees a seat: the limit state goes away and Invite works again.
  admin.once('dialog', (d) => d.accept());
  await admin.getByRole('button', { name: /^Remove carl-/ }).click();
  await admin.getByRole('status').filter({ hasText: /carl-.* removed\./ }).waitFor();
  await admin.getByTestId('seat-limit-reached').waitFor({ state: 'detached' });
  assert.match(await admin.getByTestId('seat-counter').textContent(), /2 of 3 seats used/);
  assert.equal(await admin.getByTestId('invite-submit').getAttribute('aria-disabled'), null);
  assert.deepEqual(adminCtx.problems, []);
});

async function cookieOf(ctx) {
  return (await ctx.cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
}
async function roleId(name) {
  const roles = await api(s.url, 'GET', `/api/v1/orgs/${slug}/roles`, { headers: { cookie: await cookieOf(adminCtx) } });
  return roles.json.items.find((r) => r.name === name).id;
}
