// Permission-aware everywhere, keyboard and widths, in a real browser against a real wharf (the
// sshd test host as the application's server):
// - a member whose role grants nothing opens every page the navigation offers: each locked entry
//   shows the access-denied panel naming the permission the lock names (or the Admin role) and
//   saying to ask an Admin, never an empty list; the open ones (Overview, Troubleshooting,
//   Guides) show no panel;
// - every main page at 1280 px and 390 px, as the Admin with data on them and as that member,
//   without horizontal page scrolling;
// - keyboard: the first Tab reaches a visible "Skip to content" link that moves focus to the
//   page; nav links show a focus outline;
// - the role editor's resource_scope pickers list the org's applications and servers by name and
//   save their ids; a role editor who cannot list them gets id fields.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { api, memberWithRole, signup, startWharf } from './lib/harness.mjs';
import { launchBrowser, newContext, shot, uiLogin } from './lib/browser.mjs';
import { startSshd, NODE_USER } from './lib/sshd.mjs';

let s, node, browser, ada, nobody, server, app, svc;
const O = () => `/o/${ada.org.slug}`;
const A = () => `/api/v1/orgs/${ada.org.slug}`;
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
  svc = (await call('POST', `${A()}/applications/${app.id}/services`, { name: 'db', type: 'database', database: { engine: 'postgres', version: '16' } })).json;
  assert.ok(svc.id);
  assert.equal((await call('POST', `${A()}/templates`, { name: 'stack', application_id: app.id })).status, 201);
  nobody = await memberWithRole(s.url, ada, 'nobody', {});
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await s?.stop();
  s?.cleanup();
  await node?.cleanup();
});

const overflowOf = (page) => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);

// The entries of the sidebar: {label, href, needs} where needs is the lock's text ("" when open).
async function navEntries(page) {
  return page.getByRole('navigation', { name: 'Organisation' }).locator('a').evaluateAll((as) => as.map((a) => ({
    label: a.childNodes[0]?.textContent?.trim() ?? a.textContent.trim(),
    href: a.getAttribute('href'),
    needs: (a.querySelector('.lock .sr-only')?.textContent ?? '').replace(/^\s*\(needs /, '').replace(/\)\s*$/, ''),
  })));
}

test('a member whose role grants nothing: every locked nav page shows the access-denied panel naming its permission', async () => {
  for (const width of [1280, 390]) {
    const ctx = await newContext(browser, s.url, { width, height: 860 });
    const page = await ctx.newPage();
    await uiLogin(page, nobody);
    await page.goto(O());
    await page.locator('h1').first().waitFor();
    const entries = await navEntries(page);
    const locked = entries.filter((e) => e.needs);
    const labels = locked.map((e) => e.label);
    for (const l of ['Team', 'Roles', 'Audit log', 'Applications', 'Templates', 'Servers', 'Integrations', 'SSH keys', 'Security groups'])
      assert.ok(labels.includes(l), `${l} is locked in the nav (locked: ${labels.join(', ')})`);
    for (const e of entries) {
      await page.goto(e.href);
      await page.locator('h1').first().waitFor();
      await page.waitForLoadState('networkidle');
      const denied = page.locator('.denied[role="alert"]');
      if (!e.needs) {
        assert.equal(await denied.count(), 0, `${e.label} is open to every member`);
        continue;
      }
      await denied.waitFor();
      const text = await denied.textContent();
      const named = e.needs === 'the Admin role' ? ['Admin role'] : e.needs.split(' or ');
      assert.ok(named.some((n) => text.includes(n)), `${e.label}: the panel names ${e.needs}: ${text}`);
      assert.match(text, /Ask an Admin/, `${e.label} says to ask an Admin`);
      assert.doesNotMatch(await page.locator('main').textContent(), /\bNo [a-z ]+ yet\b/, `${e.label} shows no empty state`);
      const overflow = await overflowOf(page);
      assert.ok(overflow <= 0, `${e.label} overflows by ${overflow}px at ${width}px`);
      if (width === 1280 && e.label === 'Templates') await shot(page, 'denied-templates');
    }
    assert.deepEqual(ctx.problems, []);
    await ctx.close();
  }
});

test('the same member on the pages under them (a row, a form): the panel names what is missing, never an empty page', async () => {
  const dep = await call('POST', `${A()}/applications/${app.id}/services/${svc.id}/deployments`, {});
  assert.equal(dep.status, 202, dep.text);
  const roles = (await call('GET', `${A()}/roles`)).json.items;
  const deep = [
    ['/roles/new', 'roles.create'], [`/roles/${roles[0].id}`, 'roles.read'],
    ['/applications/new', 'applications.create'], [`/applications/${app.id}`, 'applications.read'],
    [`/applications/${app.id}/services/new?kind=database`, 'services.create'],
    [`/applications/${app.id}/services/${svc.id}`, 'services.read'],
    [`/applications/${app.id}/services/${svc.id}/deployments`, 'services.read'],
    [`/applications/${app.id}/services/${svc.id}/backups`, 'backups.read'],
    [`/deployments/${dep.json.id}`, 'services.read'],
    ['/servers/new', 'servers.create'], [`/servers/${server.id}`, 'servers.read'], [`/servers/${server.id}/edit`, 'servers.update'],
  ];
  const ctx = await newContext(browser, s.url);
  const page = await ctx.newPage();
  await uiLogin(page, nobody);
  const bad = [];
  for (const [p, need] of deep) {
    await page.goto(O() + p);
    await page.waitForLoadState('networkidle');
    const denied = page.locator('.denied[role="alert"]');
    const text = (await denied.count()) ? await denied.first().textContent() : '';
    if (!text.includes(need) || !/Ask an Admin/.test(text)) bad.push(`${p}: expected a panel naming ${need}, got "${text.slice(0, 120)}" / ${(await page.locator('main').textContent()).slice(0, 160)}`);
  }
  assert.deepEqual(bad, []);
  assert.deepEqual(ctx.problems, []);
  await ctx.close();
});

test('every main page at 1280 px and 390 px without horizontal page scrolling (the Admin, with data)', async () => {
  const pages = ['', '/team', '/roles', '/roles/new', '/audit', '/applications', `/applications/${app.id}`,
    `/applications/${app.id}/services/${svc.id}`, `/applications/${app.id}/services/${svc.id}/deployments`,
    `/applications/${app.id}/services/${svc.id}/backups`, '/templates', '/servers', '/servers/new', `/servers/${server.id}`,
    `/servers/${server.id}/edit`, '/integrations/docker-registries', '/integrations/git-providers',
    '/integrations/cloud-accounts', '/integrations/backup-storage', '/ssh-keys', '/security-groups', '/troubleshoot'];
  for (const width of [1280, 390]) {
    const ctx = await newContext(browser, s.url, { width, height: 860 });
    const page = await ctx.newPage();
    await uiLogin(page, ada);
    for (const p of [...pages.map((x) => O() + x), '/help/troubleshooting', '/account/tokens']) {
      await page.goto(p);
      await page.locator('h1').first().waitFor();
      await page.waitForLoadState('networkidle');
      assert.equal(await page.locator('.denied').count(), 0, `${p}: the Admin is not denied`);
      const overflow = await overflowOf(page);
      assert.ok(overflow <= 0, `${p} overflows by ${overflow}px at ${width}px`);
    }
    assert.deepEqual(ctx.problems, []);
    await ctx.close();
  }
});

test('keyboard: the first Tab shows "Skip to content", which moves focus into the page; nav links show focus', async () => {
  const ctx = await newContext(browser, s.url);
  const page = await ctx.newPage();
  await uiLogin(page, ada);
  await page.goto(`${O()}/templates`);
  await page.locator('h1').first().waitFor();
  // A page opens with focus on its heading, so reading starts at the content.
  assert.equal(await page.evaluate(() => document.activeElement?.tagName), 'H1');
  // From the top of the document, the first Tab stop is the skip link.
  await page.evaluate(() => { document.body.tabIndex = -1; document.body.focus(); document.body.removeAttribute('tabindex'); });
  await page.keyboard.press('Tab');
  const skip = await page.evaluate(() => {
    const el = document.activeElement;
    const r = el.getBoundingClientRect();
    return { text: el.textContent.trim(), visible: r.left >= 0 && r.top >= 0 && r.width > 0, outline: getComputedStyle(el).outlineStyle };
  });
  assert.equal(skip.text, 'Skip to content');
  assert.ok(skip.visible, 'the skip link is on screen while focused');
  assert.notEqual(skip.outline, 'none');
  await page.keyboard.press('Enter');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => !!document.activeElement.closest('main')), true, 'focus moved into the page');
  const link = page.getByRole('navigation', { name: 'Organisation' }).getByRole('link', { name: 'Servers' });
  await page.getByRole('navigation', { name: 'Organisation' }).getByRole('link', { name: 'Templates' }).focus();
  for (let i = 0; i < 5 && !(await link.evaluate((el) => el === document.activeElement)); i++) await page.keyboard.press('Tab');
  assert.equal(await link.evaluate((el) => el.matches(':focus-visible') && getComputedStyle(el).outlineStyle !== 'none'), true);
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/servers$/);
  assert.deepEqual(ctx.problems, []);
  await ctx.close();
});

test('role editor: resource_scope pickers list applications and servers by name and save their ids', async () => {
  const ctx = await newContext(browser, s.url);
  const page = await ctx.newPage();
  await uiLogin(page, ada);
  await page.goto(`${O()}/roles/new`);
  await page.getByLabel('Name', { exact: true }).fill('shop-dev');
  await page.getByLabel('applications.read').check();
  await page.getByLabel('services.read').check();
  const apps = page.getByTestId('scope-apps');
  const servers = page.getByTestId('scope-servers');
  await apps.getByLabel('shop').check();
  await servers.getByLabel('node-1').check();
  assert.match(await apps.textContent(), /Only the 1 chosen/);
  const sent = page.waitForRequest((r) => r.method() === 'POST' && r.url().endsWith('/roles'));
  await page.getByTestId('save-role').click();
  const body = JSON.parse((await sent).postData());
  assert.deepEqual(body.resource_scope, { applications: [app.id], servers: [server.id] });
  await page.waitForURL(/\/roles$/);
  const role = (await call('GET', `${A()}/roles`)).json.items.find((r) => r.name === 'shop-dev');
  assert.deepEqual(role.resource_scope, { applications: [app.id], servers: [server.id] });
  await page.goto(`${O()}/roles/${role.id}`);
  await page.getByTestId('scope-apps').getByLabel('shop').waitFor();
  assert.equal(await page.getByTestId('scope-apps').getByLabel('shop').isChecked(), true);
  assert.equal(await page.getByTestId('scope-servers').getByLabel('node-1').isChecked(), true);
  await shot(page, 'role-scope');
  await ctx.close();

  // A role editor who cannot list applications or servers pastes ids instead.
  const editor = await memberWithRole(s.url, ada, 'editor', { roles: { read: true, create: true } });
  const c2 = await newContext(browser, s.url);
  const p2 = await c2.newPage();
  await uiLogin(p2, editor);
  await p2.goto(`${O()}/roles/new`);
  await p2.getByLabel('Applications (ids)').waitFor();
  assert.match(await p2.locator('main').textContent(), /You cannot list applications \(applications\.read\)/);
  assert.deepEqual([...ctx.problems, ...c2.problems], []);
  await c2.close();

  // An editor whose own role reaches only "shop": a role for every application is not allowed
  // before saving (as the server's escalation check says); limited to shop, it saves.
  const other = (await call('POST', `${A()}/applications`, { name: 'blog', server_id: server.id })).json;
  const scoped = await memberWithRole(s.url, ada, 'scoped', { roles: { read: true, create: true }, applications: { read: true } },
    { resource_scope: { applications: [app.id] } });
  const c3 = await newContext(browser, s.url);
  const p3 = await c3.newPage();
  await uiLogin(p3, scoped);
  await p3.goto(`${O()}/roles/new`);
  await p3.getByTestId('own-scope').waitFor();
  await p3.getByLabel('Name', { exact: true }).fill('shop-reader');
  await p3.getByLabel('team.read').uncheck();  // a new role starts with team.read, which this editor lacks
  await p3.getByLabel('applications.read').check();
  const beyond = p3.getByTestId('beyond-scope');
  await beyond.waitFor();
  assert.match(await beyond.textContent(), /resource_scope\.applications/);
  const save = p3.getByTestId('save-role');
  assert.equal(await save.getAttribute('aria-disabled'), 'true');
  assert.match(await p3.locator(`#${await save.getAttribute('aria-describedby')}`).textContent(), /Not allowed: grants resource_scope\.applications/);
  // The API agrees: the same body without a scope is refused as an escalation.
  const refused = await call('POST', `${A()}/roles`, { name: 'x', permissions: { applications: { read: true } } }, scoped.token);
  assert.equal(refused.status, 403, refused.text);
  assert.equal(refused.json.error.details.reason, 'escalation');
  await p3.getByTestId('scope-apps').getByLabel('shop').check();
  assert.equal(await beyond.count(), 0);
  assert.equal(await p3.getByTestId('scope-apps').getByLabel('blog').count(), 0, 'blog is outside the editor\'s reach, so not listed');
  assert.ok(other.id);
  await p3.getByTestId('save-role').click();
  await p3.waitForURL(/\/roles$/);
  const made = (await call('GET', `${A()}/roles`)).json.items.find((r) => r.name === 'shop-reader');
  assert.deepEqual(made.resource_scope.applications, [app.id]);
  assert.deepEqual(c3.problems, []);
  await c3.close();
});
