// Templates in a real browser against a real wharf and the sshd test host with the Dokku stand-in
// as the application's server: an application saved as a template from its page; the Templates
// page lists it with its services; deployed into the same application (the taken name becomes
// db-2, nothing deployed) and into a new application with "Deploy the services now" (deploy: true:
// one queued deployment per service, linked, its log reaching "succeeded" on the node); renamed;
// deleted with the keyboard. A member without templates.create / services.create / services.update
// sees the buttons disabled naming the permission; one without templates.read gets the
// access-denied panel. No database password reaches the browser; 390 px without horizontal scroll.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { api, memberWithRole, signup, startWharf } from './lib/harness.mjs';
import { launchBrowser, newContext, shot, tooltipOf, uiLogin } from './lib/browser.mjs';
import { startSshd, NODE_USER } from './lib/sshd.mjs';

let s, node, browser, ada, ctx, page, server, app, db, password;
const O = () => `/o/${ada.org.slug}`;
const A = () => `/api/v1/orgs/${ada.org.slug}`;
const bodies = [];
const call = async (method, p, body, token = ada.token) => api(s.url, method, p, { token, body });

before(async () => {
  node = await startSshd();
  s = await startWharf({ args: ['--node-dns-probe', 'localhost', '--min-disk-free-mb', '100', '--connect-timeout-ms', '1500'] });
  ada = await signup(s.url, 'ada');
  const k = (await call('POST', `${A()}/ssh-keys`, { name: 'deploy', generate: { type: 'ed25519' } })).json;
  node.authorize(NODE_USER, (await call('GET', `${A()}/ssh-keys/${k.id}/public-key`)).text);
  const srv = await call('POST', `${A()}/servers`, { name: 'node-1', host: '127.0.0.1', port: node.port, username: NODE_USER, ssh_key_id: k.id });
  assert.equal(srv.status, 201, srv.text);
  server = srv.json;
  app = (await call('POST', `${A()}/applications`, { name: 'shop', server_id: server.id })).json;
  const d = await call('POST', `${A()}/applications/${app.id}/services`, { name: 'db', type: 'database', database: { engine: 'postgres', version: '16' } });
  assert.equal(d.status, 201, d.text);
  db = d.json;
  password = (await call('POST', `${A()}/services/${db.id}/reveal-credentials`)).json.password;
  assert.ok(password);
  browser = await launchBrowser();
  ctx = await newContext(browser, s.url);
  page = await ctx.newPage();
  page.on('response', async (r) => { if (r.url().includes('/api/')) bodies.push({ url: r.url(), text: await r.text().catch(() => '') }); });
  page.on('dialog', (dl) => dl.accept());
  await uiLogin(page, ada);
});

after(async () => {
  await browser?.close();
  await s?.stop();
  s?.cleanup();
  await node?.cleanup();
});

const tplRow = (p, name) => p.locator(`tr[data-template="${name}"]`);

test('save an application as a template from its page; the Templates page lists it with its services', async () => {
  await page.goto(`${O()}/applications/${app.id}`);
  await page.getByTestId('save-as-template').click();
  const form = page.getByTestId('save-template-form');
  assert.equal(await form.getByLabel('Template name').inputValue(), 'shop');
  await form.getByLabel('Template name').fill('shop stack');
  await form.getByLabel('Template description (optional)').fill('the shop with its database');
  await page.getByTestId('save-template-submit').click();
  await page.getByTestId('template-saved').waitFor();
  await page.getByTestId('template-saved').getByRole('link', { name: 'deploy it from Templates' }).click();
  await page.waitForURL(/\/templates$/);
  const r = tplRow(page, 'shop stack');
  await r.waitFor();
  assert.equal((await r.getByTestId('template-services').textContent()).trim(), 'db (database)');
  assert.match(await r.textContent(), /the shop with its database/);
  // The nav offers it under Deploy.
  const nav = page.getByRole('navigation', { name: 'Organisation' });
  assert.equal(await nav.getByRole('link', { name: 'Templates' }).getAttribute('aria-current'), 'page');
  const list = (await call('GET', `${A()}/templates`)).json.items;
  assert.equal(list.length, 1);
  assert.equal(list[0].name, 'shop stack');
  await shot(page, 'templates');
});

test('deploy into the same application: the taken name becomes db-2 and nothing is deployed', async () => {
  await page.goto(`${O()}/templates`);
  await tplRow(page, 'shop stack').getByRole('button', { name: 'Deploy template shop stack' }).click();
  const form = page.getByTestId('deploy-template');
  await form.getByLabel('an existing application').check();
  // Nothing chosen: the server names the field.
  await page.getByTestId('deploy-template-submit').click();
  await page.locator('#tpl-app-err').waitFor();
  assert.match(await page.locator('#tpl-app-err').textContent(), /^application_id /);
  await form.getByLabel('Application', { exact: true }).selectOption(app.id);
  assert.equal((await page.getByTestId('deploy-template-submit').textContent()).trim(), 'Create services');
  await page.getByTestId('deploy-template-submit').click();
  const res = page.getByTestId('template-result');
  await res.waitFor();
  assert.match(await res.getByTestId('template-renamed').textContent(), /db → db-2/);
  assert.match(await res.textContent(), /Nothing deployed yet/);
  const names = (await call('GET', `${A()}/applications/${app.id}/services`)).json.items.map((x) => x.name).sort();
  assert.deepEqual(names, ['db', 'db-2']);
  assert.deepEqual((await call('GET', `${A()}/applications/${app.id}/deployments`)).json.items, []);
});

test('deploy into a new application with "Deploy the services now": the queued deployment is linked and succeeds on the node', async () => {
  await page.goto(`${O()}/templates`);
  await tplRow(page, 'shop stack').getByRole('button', { name: 'Deploy template shop stack' }).click();
  const form = page.getByTestId('deploy-template');
  await form.getByLabel('a new application').check();
  await form.getByLabel('New application name').fill('shop-preview');
  await form.getByLabel('Server', { exact: true }).selectOption(server.id);
  await form.getByLabel(/Deploy the services now/).check();
  assert.equal((await page.getByTestId('deploy-template-submit').textContent()).trim(), 'Create and deploy');
  const sent = page.waitForRequest((r) => r.method() === 'POST' && r.url().endsWith('/deploy'));
  await page.getByTestId('deploy-template-submit').click();
  assert.deepEqual(JSON.parse((await sent).postData()), { application: { name: 'shop-preview', server_id: server.id }, deploy: true });
  const res = page.getByTestId('template-result');
  await res.waitFor();
  assert.match(await res.textContent(), /A new application was created with 1 service: db/);
  const links = res.getByTestId('template-deployments').getByRole('link');
  assert.equal(await links.count(), 1);
  assert.match(await links.first().textContent(), /^db: deploy \(queued\)$/);
  await shot(page, 'templates-deployed');
  const preview = (await call('GET', `${A()}/applications`)).json.items.find((a) => a.name === 'shop-preview');
  assert.ok(preview, 'the new application exists');
  const deps = (await call('GET', `${A()}/applications/${preview.id}/deployments`)).json.items;
  assert.equal(deps.length, 1);
  assert.equal(deps[0].trigger, 'template');
  await links.first().click();
  await page.waitForURL(new RegExp(`/deployments/${deps[0].id}$`));
  await page.waitForFunction(() => document.querySelector('[data-testid="deployment-status"]')?.getAttribute('data-status') === 'succeeded', null, { timeout: 60000 });
  assert.match(await page.getByTestId('deployment-log').textContent(), /postgres:create shop-preview-db/);
  assert.ok(node.dokkuDatabase('postgres', 'shop-preview-db'), 'the database exists on the node');
});

test('rename a template; delete it with the keyboard (the confirmation is answered)', async () => {
  await page.goto(`${O()}/templates`);
  await tplRow(page, 'shop stack').getByRole('button', { name: 'Rename template shop stack' }).click();
  const f = page.getByTestId('rename-template');
  await f.getByLabel('Template name').fill('shop base');
  const sent = page.waitForRequest((r) => r.method() === 'PATCH');
  await f.getByRole('button', { name: 'Save' }).click();
  assert.deepEqual(JSON.parse((await sent).postData()), { name: 'shop base' }, 'only the changed field is sent');
  await tplRow(page, 'shop base').waitFor();
  const del = tplRow(page, 'shop base').getByRole('button', { name: 'Delete template shop base' });
  // Tab from Rename to Delete: keyboard focus, drawn with a visible outline.
  await tplRow(page, 'shop base').getByRole('button', { name: 'Rename template shop base' }).focus();
  await page.keyboard.press('Tab');
  assert.equal(await del.evaluate((el) => el === document.activeElement && el.matches(':focus-visible')), true, 'Delete has keyboard focus');
  const outline = await del.evaluate((el) => getComputedStyle(el).outlineStyle);
  assert.notEqual(outline, 'none', 'a visible focus outline');
  await page.keyboard.press('Enter');
  await page.getByText('No templates yet').waitFor();
  assert.deepEqual((await call('GET', `${A()}/templates`)).json.items, []);
});

test('permissions: buttons disabled naming the permission; the deploy option needs services.update; no templates.read, the panel', async () => {
  const t = (await call('POST', `${A()}/templates`, { name: 'kept', application_id: app.id })).json;
  assert.ok(t.id);
  const viewer = await memberWithRole(s.url, ada, 'tviewer', { applications: { read: true }, services: { read: true }, templates: { read: true } });
  const maker = await memberWithRole(s.url, ada, 'tmaker', { applications: { read: true }, services: { read: true, create: true }, templates: { read: true } });
  const outsider = await memberWithRole(s.url, ada, 'toutsider', { applications: { read: true } });
  const c2 = await newContext(browser, s.url);
  const p2 = await c2.newPage();
  const posts = [];
  p2.on('request', (r) => { if (r.method() !== 'GET') posts.push(r.url()); });
  await uiLogin(p2, viewer);
  await p2.goto(`${O()}/templates`);
  const r = tplRow(p2, 'kept');
  await r.waitFor();
  for (const [name, need] of [['Deploy template kept', 'services.create'], ['Rename template kept', 'templates.update'], ['Delete template kept', 'templates.delete']]) {
    const b = r.getByRole('button', { name });
    assert.equal(await b.getAttribute('aria-disabled'), 'true', name);
    assert.match(await tooltipOf(p2, b), new RegExp(`Needs the ${need.replace('.', '\\.')} permission`));
    await b.click({ force: true });
  }
  await p2.goto(`${O()}/applications/${app.id}`);
  const save = p2.getByTestId('save-as-template');
  assert.equal(await save.getAttribute('aria-disabled'), 'true');
  assert.match(await tooltipOf(p2, save), /templates\.create/);
  await save.click({ force: true });
  assert.equal(await p2.getByTestId('save-template-form').count(), 0);
  assert.deepEqual(posts.filter((u) => !u.endsWith('/auth/login')), [], 'no write was sent');
  await c2.close();

  // May create services but not deploy them: "Deploy now" disables the submit, naming services.update.
  const c3 = await newContext(browser, s.url);
  const p3 = await c3.newPage();
  await uiLogin(p3, maker);
  await p3.goto(`${O()}/templates`);
  await tplRow(p3, 'kept').getByRole('button', { name: 'Deploy template kept' }).click();
  const form = p3.getByTestId('deploy-template');
  await form.getByLabel('Application', { exact: true }).selectOption(app.id);
  const submit = p3.getByTestId('deploy-template-submit');
  assert.equal(await submit.getAttribute('aria-disabled'), null);
  await form.getByLabel('a new application').check();
  assert.equal(await submit.getAttribute('aria-disabled'), 'true', 'a new application needs applications.create');
  assert.match(await tooltipOf(p3, submit), /applications\.create/);
  await form.getByLabel('an existing application').check();
  await form.getByLabel(/Deploy the services now/).check();
  assert.equal(await submit.getAttribute('aria-disabled'), 'true');
  assert.match(await tooltipOf(p3, submit), /services\.update/);
  await c3.close();

  const c4 = await newContext(browser, s.url);
  const p4 = await c4.newPage();
  await uiLogin(p4, outsider);
  await p4.goto(`${O()}/templates`);
  const denied = p4.locator('.denied[role="alert"]');
  await denied.waitFor();
  assert.match(await denied.textContent(), /templates\.read/);
  assert.match(await denied.textContent(), /Ask an Admin/);
  assert.equal(await p4.getByText('No templates yet').count(), 0, 'not an empty state');
  assert.deepEqual([...c4.problems, ...ctx.problems], []);
  await c4.close();
});

test('390 px: the Templates page and the deploy form without horizontal scrolling; no password in any answer', async () => {
  const c = await newContext(browser, s.url, { width: 390, height: 844 });
  const p = await c.newPage();
  p.on('response', async (r) => { if (r.url().includes('/api/')) bodies.push({ url: r.url(), text: await r.text().catch(() => '') }); });
  await uiLogin(p, ada);
  await p.goto(`${O()}/templates`);
  await tplRow(p, 'kept').getByRole('button', { name: 'Deploy template kept' }).click();
  await p.getByTestId('deploy-template').getByLabel('a new application').check();
  await p.waitForLoadState('networkidle');
  const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `templates overflows by ${overflow}px at 390px`);
  await shot(p, 'phone-templates');
  await c.close();
  assert.ok(bodies.some((b) => b.url.includes('/templates')), 'the template answers were recorded');
  for (const b of bodies) assert.ok(!b.text.includes(password), `the database password reached the browser in ${b.url}`);
});
