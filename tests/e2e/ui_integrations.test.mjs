// Integrations → Docker registries in a real browser against a real wharf and Debian's real
// docker-registry (htpasswd auth) on 127.0.0.1: the nav entry and the tab shell; "Test before
// saving" with a wrong then a right token (nothing saved); add (the token is write-only and never
// in the page again); Verify showing the digest; an edit to a wrong token clearing "verified", the
// failed Verify with its layer and fix, and Diagnose leading with the failing item; a read-only
// member's disabled buttons with tooltips and "Why?"; a member without access; the page at 390 px.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { api, memberWithRole, signup, startWharf } from './lib/harness.mjs';
import { launchBrowser, newContext, shot, tooltipOf, uiLogin } from './lib/browser.mjs';
import { startRegistry } from './lib/registry.mjs';

const PASS = 'ui-registry-pass-4321';
const WRONG = 'ui-wrong-token-0000';
let s, reg, browser, ada, ctx, page, digest, image;
const O = () => `/o/${ada.org.slug}`;
const bodies = [];  // every API answer the browser received, checked for the tokens at the end

before(async () => {
  reg = await startRegistry({ mode: 'htpasswd', users: { alice: PASS } });
  digest = await reg.pushImage('team/app', 'v1');
  image = `${reg.host}/team/app:v1`;
  s = await startWharf();
  browser = await launchBrowser();
  ada = await signup(s.url, 'ada');
  ctx = await newContext(browser, s.url);
  page = await ctx.newPage();
  page.on('response', async (r) => { if (r.url().includes('/api/')) bodies.push(await r.text().catch(() => '')); });
  await uiLogin(page, ada);
});

after(async () => {
  await browser?.close();
  await s?.stop();
  s?.cleanup();
  await reg?.stop();
});

const listRegistries = async () => (await api(s.url, 'GET', `/api/v1/orgs/${ada.org.slug}/docker-registries`, { token: ada.token })).json.items;

test('the Integrations nav entry opens the Docker registries tab', async () => {
  await page.goto(O());
  await page.getByRole('navigation', { name: 'Organisation' }).getByRole('link', { name: 'Integrations' }).click();
  await page.waitForURL(/\/integrations\/docker-registries$/);
  const tab = page.getByRole('navigation', { name: 'Integrations' }).getByRole('link', { name: 'Docker registries' });
  assert.equal(await tab.getAttribute('aria-current'), 'page');
  await page.getByText('No registries yet').waitFor();
  // /integrations alone lands on the first tab too.
  await page.goto(`${O()}/integrations`);
  await page.waitForURL(/\/integrations\/docker-registries$/);
});

test('test before saving: a wrong token fails in layer registry with the fix, the right one passes, nothing is saved', async () => {
  await page.getByTestId('add-registry').click();
  const form = page.getByTestId('registry-form');
  await form.waitFor();
  await page.getByLabel('Name', { exact: true }).fill('local');
  await page.getByLabel('Registry host').fill(reg.host);
  await page.getByLabel('Username').fill('alice');
  const testBtn = page.getByTestId('test-registry');
  assert.equal(await testBtn.getAttribute('aria-disabled'), 'true');
  assert.match(await tooltipOf(page, testBtn), /Type the token first/);
  await page.getByLabel('Token or password').fill(WRONG);
  assert.equal(await page.getByLabel('Token or password').getAttribute('type'), 'password');
  assert.match(await tooltipOf(page, testBtn), /Type an image/);
  await page.getByLabel('Image to test').fill(image);
  await testBtn.click();
  const rep = form.getByTestId('verify-report');
  await rep.waitFor();
  assert.equal(await rep.getAttribute('data-ok'), 'false');
  const auth = rep.locator('li[data-check="auth"]');
  assert.equal(await auth.getAttribute('data-status'), 'failed');
  const t = await auth.textContent();
  assert.match(t, /unauthorized/);
  assert.match(t, /layer registry/);
  assert.match(t, /Fix:.*access token with pull/);
  assert.equal(await rep.locator('li[data-check="manifest"]').getAttribute('data-status'), 'skipped');
  await shot(page, 'registry-test-wrong-token');
  await page.getByLabel('Token or password').fill(PASS);
  await testBtn.click();
  await form.locator('[data-testid="verify-report"][data-ok="true"]').waitFor();
  assert.match(await form.getByTestId('verify-report').textContent(), /pull access works/);
  assert.equal(await form.getByTestId('digest').locator('code').textContent(), digest);
  assert.deepEqual(await listRegistries(), [], 'Test connection saved nothing');
});

test('add: the token is stored write-only and is never in the page again; Verify shows the digest and the verified state', async () => {
  const created = page.waitForResponse((r) => r.url().endsWith('/docker-registries') && r.request().method() === 'POST');
  await page.getByTestId('save-registry').click();
  const res = await created;
  assert.equal(res.status(), 201);
  const body = await res.json();
  assert.deepEqual(body.password, { set: true });
  await page.getByRole('status').filter({ hasText: 'Registry local added' }).waitFor();
  const card = page.locator('li[data-registry="local"]');
  await card.waitFor();
  assert.match(await card.textContent(), /token stored/);
  assert.equal(await card.getByTestId('verified-state').getAttribute('data-state'), 'unverified');
  assert.ok(!(await page.content()).includes(PASS), 'the token is not in the page');
  const verify = card.getByTestId('verify');
  assert.equal(await verify.getAttribute('aria-disabled'), 'true', 'Verify waits for an image');
  await card.getByLabel('Image to check (local)').fill(image);
  await verify.click();
  const rep = card.getByTestId('verify-report');
  await card.locator('[data-testid="verify-report"][data-ok="true"]').waitFor();
  assert.deepEqual(await rep.locator('li').evaluateAll((ls) => ls.map((l) => [l.dataset.check, l.dataset.status])),
    [['host_match', 'passed'], ['challenge', 'passed'], ['auth', 'passed'], ['manifest', 'passed']]);
  assert.equal(await card.getByTestId('digest').locator('code').textContent(), digest);
  await card.locator('[data-testid="verified-state"][data-state="verified"]').waitFor();
  assert.match(await card.getByTestId('verified-state').textContent(), /last verified/);
  await shot(page, 'registry-verified');
});

test('edit: the token field starts empty; a wrong token clears verified, Verify shows the failure with layer and fix, Diagnose leads with it', async () => {
  const card = page.locator('li[data-registry="local"]');
  await card.getByRole('button', { name: 'Edit local' }).click();
  const form = page.getByTestId('registry-form');
  await form.waitFor();
  const tok = page.getByLabel('New token (optional)');
  assert.equal(await tok.inputValue(), '', 'the stored token is never read back');
  assert.equal(await page.getByLabel('Registry host').inputValue(), reg.host);
  assert.match(await tooltipOf(page, page.getByTestId('test-registry')), /the stored one is never read back/);
  await tok.fill(WRONG);
  const patched = page.waitForResponse((r) => /\/docker-registries\/reg_/.test(r.url()) && r.request().method() === 'PATCH');
  await page.getByTestId('save-registry').click();
  const req = (await patched).request();
  assert.deepEqual(JSON.parse(req.postData()), { password: WRONG }, 'only the changed field is sent');
  await page.getByRole('status').filter({ hasText: 'Registry local saved' }).waitFor();
  await card.locator('[data-testid="verified-state"][data-state="unverified"]').waitFor();
  await card.getByLabel('Image to check (local)').fill(image);
  await card.getByTestId('verify').click();
  await card.locator('[data-testid="verify-report"][data-ok="false"]').waitFor();
  const st = card.locator('[data-testid="verified-state"][data-state="failed"]');
  await st.waitFor();
  const last = await st.getByTestId('last-error').textContent();
  assert.match(last, /auth/);
  assert.match(last, /layer registry/);
  assert.match(last, /Fix:.*access token with pull/);
  await card.getByTestId('diagnose').click();
  const d = card.getByTestId('diagnosis');
  await d.waitFor();
  assert.equal(await d.getAttribute('data-layer'), 'registry');
  const first = d.getByTestId('diagnose-checks').locator('li').first();
  assert.equal(await first.getAttribute('data-check'), 'auth');
  assert.equal(await first.getAttribute('data-status'), 'failed');
  await shot(page, 'registry-diagnose');
  // Put the right token back (the form sends it, and nothing else).
  await card.getByRole('button', { name: 'Edit local' }).click();
  await page.getByLabel('New token (optional)').fill(PASS);
  await page.getByTestId('save-registry').click();
  await page.getByRole('status').filter({ hasText: 'Registry local saved' }).waitFor();
  await card.locator('[data-testid="verified-state"][data-state="unverified"]').waitFor();
  await card.getByLabel('Image to check (local)').fill(image);
  await card.getByTestId('verify').click();
  await card.locator('[data-testid="verified-state"][data-state="verified"]').waitFor();
  for (const b of bodies) for (const secret of [PASS, WRONG]) assert.ok(!b.includes(secret), `an API answer contains ${secret}`);
  assert.ok(!(await page.content()).includes(WRONG));
});

test('a bad host is refused with the field problem under the input; delete removes a registry', async () => {
  await page.getByTestId('add-registry').click();
  await page.getByLabel('Name', { exact: true }).fill('bad');
  await page.getByLabel('Registry host').fill('https://ghcr.io');
  await page.getByLabel('Username').fill('u');
  await page.getByLabel('Token or password').fill('p');
  await page.getByTestId('save-registry').click();
  const err = page.locator('#reg-host-err');
  await err.waitFor();
  assert.match(await err.textContent(), /host/);
  await page.getByLabel('Registry host').fill('quay.io');
  await page.getByTestId('save-registry').click();
  const card = page.locator('li[data-registry="bad"]');
  await card.waitFor();
  page.once('dialog', (dlg) => dlg.accept());
  await card.getByRole('button', { name: 'Delete bad' }).click();
  await page.getByRole('status').filter({ hasText: 'Registry bad removed' }).waitFor();
  await card.waitFor({ state: 'detached' });
  assert.deepEqual((await listRegistries()).map((r) => r.name), ['local']);
  assert.deepEqual(ctx.problems, []);
});

test('read-only and no-access members: buttons disabled with the permission named, "Why?" explains, access-denied panel', async () => {
  const viewer = await memberWithRole(s.url, ada, 'rita', { dockerRegistries: { read: true } });
  const vctx = await newContext(browser, s.url);
  const p = await vctx.newPage();
  await uiLogin(p, viewer);
  await p.goto(`${O()}/integrations/docker-registries`);
  const card = p.locator('li[data-registry="local"]');
  await card.waitFor();
  const add = p.getByTestId('add-registry');
  assert.equal(await add.getAttribute('data-need'), 'dockerRegistries.create');
  await add.hover();
  await p.getByRole('tooltip').filter({ hasText: 'Needs the dockerRegistries.create permission' }).waitFor({ state: 'visible' });
  const verify = card.getByTestId('verify');
  assert.equal(await verify.getAttribute('aria-disabled'), 'true');
  assert.equal(await verify.getAttribute('data-need'), 'dockerRegistries.update');
  assert.equal(await card.getByRole('button', { name: 'Edit local' }).getAttribute('aria-disabled'), 'true');
  assert.equal(await card.getByRole('button', { name: 'Delete local' }).getAttribute('data-need'), 'dockerRegistries.delete');
  assert.equal(await card.getByTestId('verified-state').getAttribute('data-state'), 'verified', 'the list renders with read');
  await shot(p, 'registries-read-only');
  await card.getByRole('link', { name: 'Why? (dockerRegistries.update)' }).click();
  await p.waitForURL(/\/why\?collection=dockerRegistries&action=update$/);
  assert.match(await p.getByTestId('explain').textContent(), /does not grant dockerRegistries\.update/);
  assert.deepEqual(vctx.problems, []);
  await vctx.close();

  const none = await memberWithRole(s.url, ada, 'nils', { servers: { read: true } });
  const nctx = await newContext(browser, s.url);
  const q = await nctx.newPage();
  await uiLogin(q, none);
  await q.goto(`/o/${ada.org.slug}`);
  const nav = q.getByRole('navigation', { name: 'Organisation' }).getByRole('link', { name: /Integrations/ });
  assert.equal(await nav.getAttribute('class'), 'locked');
  assert.match(await nav.textContent(), /needs dockerRegistries\.read/);
  await nav.click();
  await q.getByRole('alert').filter({ hasText: 'dockerRegistries.read' }).waitFor();
  assert.equal(await q.locator('li[data-registry]').count(), 0);
  assert.deepEqual(nctx.problems, []);
  await nctx.close();
});

test('usable at 390 px: the registries tab and the add form without horizontal scroll', async () => {
  const pctx = await newContext(browser, s.url, { width: 390, height: 844 });
  const p = await pctx.newPage();
  await uiLogin(p, ada);
  await p.goto(`${O()}/integrations/docker-registries`);
  await p.locator('li[data-registry="local"]').waitFor();
  const overflow = () => p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(await overflow() <= 0, `the list overflows by ${await overflow()}px`);
  await shot(p, 'phone-registries');
  await p.getByTestId('add-registry').click();
  await p.getByTestId('registry-form').waitFor();
  assert.ok(await overflow() <= 0, `the form overflows by ${await overflow()}px`);
  await shot(p, 'phone-registry-form');
  assert.deepEqual(pctx.problems, []);
  await pctx.close();
});
