// Applications and services in a real browser against a real wharf, the sshd test host with the
// dokku stand-in as the application's server, and the real HTTPS git server (lighttpd + git
// http-backend) behind a token git provider: create an application on the node; add a Git service
// (a missing branch is refused naming the field and layer git_token, then main passes the save
// check) and a Postgres service; variables with a secret() and a reference written with the insert
// helper; a reference cycle shown inline on the variable; Regenerate; domains; Deploy opening the
// deployment; reveal the database credentials once. Neither the database password nor the
// generated secret is in any API answer the browser received except the reveal answer. A
// read-only member sees the lists with disabled buttons naming the permission; a legacy
// projects-only member is told why; the pages are usable at 390 px.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { api, memberWithRole, signup, startWharf } from './lib/harness.mjs';
import { launchBrowser, newContext, shot, tooltipOf, uiLogin } from './lib/browser.mjs';
import { startSshd, NODE_USER } from './lib/sshd.mjs';
import { makeTestCa, startGitServer } from './lib/git_server.mjs';

const TOKEN = 'ui-apps-git-token-7788';
let s, node, ca, git, browser, ada, ctx, page, server, provider, appId, webId, dbId;
const secrets = [];  // values the browser must never have received (learned through the API or the reveal)
const O = () => `/o/${ada.org.slug}`;
const A = () => `/api/v1/orgs/${ada.org.slug}`;
const bodies = [];  // every API answer the browser received: {url, text}
const call = async (method, p, body) => api(s.url, method, p, { token: ada.token, body });

before(async () => {
  node = await startSshd();
  ca = makeTestCa();
  git = await startGitServer({ ca, users: { alice: TOKEN } });
  git.addRepo('acme/shop', ['main']);
  node.trustCa(ca.caPem);
  s = await startWharf({ env: { WHARF_EXTRA_CA_FILE: ca.caFile }, args: ['--node-dns-probe', 'localhost', '--min-disk-free-mb', '100', '--connect-timeout-ms', '1500'] });
  ada = await signup(s.url, 'ada');
  const k = (await call('POST', `${A()}/ssh-keys`, { name: 'deploy', generate: { type: 'ed25519' } })).json;
  node.authorize(NODE_USER, (await call('GET', `${A()}/ssh-keys/${k.id}/public-key`)).text);
  const srv = await call('POST', `${A()}/servers`, { name: 'node-1', host: '127.0.0.1', port: node.port, username: NODE_USER, ssh_key_id: k.id });
  assert.equal(srv.status, 201, srv.text);
  server = srv.json;
  const gp = await call('POST', `${A()}/git-providers`, { name: 'gitea', type: 'gitea', base_url: `${git.base}/git`, username: 'alice', token: TOKEN });
  assert.equal(gp.status, 201, gp.text);
  provider = gp.json;
  browser = await launchBrowser();
  ctx = await newContext(browser, s.url);
  page = await ctx.newPage();
  page.on('response', async (r) => { if (r.url().includes('/api/')) bodies.push({ url: r.url(), text: await r.text().catch(() => '') }); });
  page.on('dialog', (d) => d.accept());
  await uiLogin(page, ada);
});

after(async () => {
  await browser?.close();
  await s?.stop();
  s?.cleanup();
  await git?.stop();
  ca?.cleanup();
  await node?.cleanup();
});

const row = (key) => page.locator(`[data-testid="variables"] tr[data-var="${key}"]`);

test('create an application on the node from the Applications page; the list shows its server', async () => {
  await page.goto(O());
  await page.getByRole('navigation', { name: 'Organisation' }).getByRole('link', { name: 'Applications' }).click();
  await page.waitForURL(/\/applications$/);
  await page.getByText('No applications yet').waitFor();
  await page.getByTestId('new-application').click();
  await page.waitForURL(/\/applications\/new$/);
  await page.getByLabel('Name', { exact: true }).fill('shop');
  await page.getByLabel('Description (optional)').fill('the shop');
  // No server picked: the server names the field.
  await page.getByTestId('create-application').click();
  await page.locator('#app-server-err').waitFor();
  assert.match(await page.locator('#app-server-err').textContent(), /^server_id /);
  await page.getByLabel('Server', { exact: true }).selectOption(server.id);
  await page.getByTestId('create-application').click();
  await page.waitForURL(/\/applications\/(?!new$)[^/]+$/);
  appId = page.url().split('/').pop();
  await page.getByRole('heading', { name: 'shop', exact: true }).waitFor();
  // The server's name links to it once the servers list has loaded (its id shows until then).
  await page.getByTestId('app-server').getByRole('link', { name: 'node-1', exact: true }).waitFor();
  await page.getByText('No services yet').waitFor();
  await page.goto(`${O()}/applications`);
  const r = page.locator('tr[data-app="shop"]');
  await r.waitFor();
  await r.getByTestId('app-server').getByRole('link', { name: 'node-1', exact: true }).waitFor();
  assert.match(await r.textContent(), /the shop/);
});

test('add a Git service: a missing branch is refused on the branch field in layer git_token; main passes the save check', async () => {
  await page.goto(`${O()}/applications/${appId}`);
  await page.getByTestId('add-app').click();
  await page.waitForURL(/\/services\/new\?kind=app$/);
  await page.getByLabel('Service name').fill('web');
  await page.getByLabel('Git provider').selectOption(provider.id);
  await page.getByLabel('Repository').fill('acme/shop');
  await page.getByLabel('Branch', { exact: true }).fill('nope');
  await page.getByLabel('Port').fill('5000');
  await page.getByTestId('create-service').click();
  const err = page.locator('p.field-error[data-field="branch"]');
  await err.waitFor();
  assert.match(await err.textContent(), /^branch /);
  const box = page.locator('.alert.error').first();
  assert.match(await box.textContent(), /Layer: git_token/);
  await page.getByTestId('save-report').waitFor();
  assert.equal(await page.getByTestId('save-report-checks').locator('li[data-check="branch"]').getAttribute('data-status'), 'failed');
  await shot(page, 'apps-git-branch-refused');
  await page.getByLabel('Branch', { exact: true }).fill('main');
  await page.getByTestId('create-service').click();
  await page.waitForURL(/\/services\/svc_[^/?]+\?created=1$/);
  webId = new URL(page.url()).pathname.split('/').pop();
  const checks = page.getByTestId('service-checks');
  await checks.waitFor();
  assert.equal(await checks.locator('li[data-check="git_access"]').getAttribute('data-status'), 'passed');
  // The provider's name replaces its id once the git providers list has loaded (a second request).
  await page.getByTestId('service-settings').getByText('gitea (gitea)').waitFor();
  const settings = await page.getByTestId('service-settings').textContent();
  assert.match(settings, /acme\/shop/);
  assert.match(settings, /gitea \(gitea\)/);
});

test('add a Postgres service: credentials are generated and not shown', async () => {
  await page.goto(`${O()}/applications/${appId}`);
  await page.getByTestId('add-database').click();
  await page.getByLabel('Service name').fill('db');
  await page.getByLabel('Engine').selectOption('postgres');
  await page.getByLabel('Version').selectOption('16');
  await page.getByTestId('create-service').click();
  await page.waitForURL(/\/services\/svc_[^/?]+\?created=1$/);
  dbId = new URL(page.url()).pathname.split('/').pop();
  assert.match(await page.getByTestId('service-settings').textContent(), /generated, stored encrypted/);
  await page.getByTestId('reveal-credentials').waitFor();
  assert.equal(await page.getByTestId('revealed').count(), 0);
  await page.goto(`${O()}/applications/${appId}`);
  await page.locator('tr[data-service="db"]').waitFor();
  assert.match(await page.locator('tr[data-service="web"]').textContent(), /acme\/shop @ main/);
  assert.match(await page.locator('tr[data-service="db"]').textContent(), /postgres 16/);
  await shot(page, 'apps-application');
});

test('variables: a reference and a secret() written with the insert helper, saved in bulk; the secret shows masked', async () => {
  await page.goto(`${O()}/applications/${appId}/services/${webId}`);
  const ed = page.getByTestId('variables');
  await ed.waitFor();
  // Row 1: DATABASE_URL = {{ db.DATABASE_URL }} picked from the services and their variables.
  await ed.getByLabel('Key of row 1').fill('DATABASE_URL');
  await ed.getByRole('button', { name: 'Insert into DATABASE_URL' }).click();
  const h = ed.getByTestId('insert-helper');
  await h.getByLabel('Service').selectOption('db');
  const vars = await h.getByLabel('Variable').locator('option').allTextContents();
  for (const v of ['DATABASE_URL', 'HOST', 'PORT', 'USER', 'PASSWORD', 'NAME']) assert.ok(vars.includes(v), v);
  await h.getByLabel('Variable').selectOption('DATABASE_URL');
  await h.getByTestId('insert-reference').click();
  assert.equal(await ed.getByLabel('Value of DATABASE_URL').inputValue(), '{{ db.DATABASE_URL }}');
  await h.getByRole('button', { name: 'Close' }).click();
  // Row 2: SESSION_SECRET = s-{{ secret(40, "0123456789abcdef") }}, typed prefix then the helper at the caret.
  await ed.getByTestId('add-variable').click();
  await ed.getByLabel('Key of row 2').fill('SESSION_SECRET');
  await ed.getByLabel('Value of SESSION_SECRET').fill('s-');
  await ed.getByRole('button', { name: 'Insert into SESSION_SECRET' }).click();
  await h.getByLabel('Secret length').fill('40');
  await h.getByLabel('Charset').selectOption('hex');
  await h.getByTestId('insert-secret').click();
  assert.equal(await ed.getByLabel('Value of SESSION_SECRET').inputValue(), 's-{{ secret(40, "0123456789abcdef") }}');
  // Row 3: a plain value.
  await ed.getByTestId('add-variable').click();
  await ed.getByLabel('Key of row 3').fill('NODE_ENV');
  await ed.getByLabel('Value of NODE_ENV').fill('production');
  const put = page.waitForResponse((r) => r.url().endsWith(`/services/${webId}/variables`) && r.request().method() === 'PUT');
  await ed.getByTestId('save-variables').click();
  assert.equal((await put).status(), 200);
  await page.getByRole('status').filter({ hasText: 'Variables of web saved' }).waitFor();
  const chip = row('SESSION_SECRET').getByTestId('secret-chip');
  assert.match(await chip.textContent(), /••••••••.*40 characters.*generated, hidden/);
  assert.match(await row('DATABASE_URL').getByTestId('ref-chip').textContent(), /db\.DATABASE_URL/);
  // What the server holds: the templates as written.
  const got = (await call('GET', `${A()}/services/${webId}/variables`)).json.items;
  assert.deepEqual(got.map((v) => [v.key, v.value]), [['DATABASE_URL', '{{ db.DATABASE_URL }}'], ['SESSION_SECRET', 's-{{ secret(40, "0123456789abcdef") }}'], ['NODE_ENV', 'production']]);
  await shot(page, 'apps-variables');
});

test('a reference cycle and an unknown service are shown inline on the variables they name; nothing is saved', async () => {
  const ed = page.getByTestId('variables');
  await ed.getByTestId('add-variable').click();
  await ed.getByLabel('Key of row 4').fill('A');
  await ed.getByLabel('Value of A').fill('{{ web.B }}');
  await ed.getByTestId('add-variable').click();
  await ed.getByLabel('Key of row 5').fill('B');
  await ed.getByLabel('Value of B').fill('x{{ web.A }}');
  await ed.getByTestId('save-variables').click();
  const e = row('A').getByTestId('var-error');
  await e.waitFor();
  assert.match(await e.textContent(), /reference cycle: web\.A → web\.B → web\.A/);
  assert.equal(await ed.getByLabel('Value of A').getAttribute('aria-invalid'), 'true');
  assert.match(await ed.locator('.alert.error').textContent(), /nothing was saved/);
  await shot(page, 'apps-variables-cycle');
  // An unknown service, named on its own row.
  await ed.getByLabel('Value of B').fill('{{ cache.URL }}');
  await ed.getByLabel('Value of A').fill('a');
  await ed.getByTestId('save-variables').click();
  await row('B').getByTestId('var-error').filter({ hasText: /service 'cache'/ }).waitFor();
  // A bad key: the row's index in the body.
  await ed.getByLabel('Value of B').fill('b');
  await ed.getByLabel('Key of B').fill('1BAD');
  await ed.getByTestId('save-variables').click();
  await row('1BAD').getByTestId('var-error').filter({ hasText: /^key / }).waitFor();
  assert.equal((await call('GET', `${A()}/services/${webId}/variables`)).json.items.length, 3, 'nothing was saved');
  await ed.getByRole('button', { name: 'Discard changes' }).click();
  assert.equal(await row('A').count(), 0);
});

test('Regenerate asks first and gives the secret a new value; the text around it is kept', async () => {
  const before = (await call('GET', `${A()}/services/${webId}/variables?reveal=true`)).json.items.find((v) => v.key === 'SESSION_SECRET').resolved;
  const regen = page.waitForResponse((r) => r.url().endsWith('/variables/regenerate'));
  await row('SESSION_SECRET').getByTestId('regenerate').click();
  assert.equal((await regen).status(), 200);
  await page.getByRole('status').filter({ hasText: 'New secret generated for SESSION_SECRET' }).waitFor();
  const afterV = (await call('GET', `${A()}/services/${webId}/variables?reveal=true`)).json.items.find((v) => v.key === 'SESSION_SECRET').resolved;
  assert.match(afterV, /^s-[0-9a-f]{40}$/);
  assert.notEqual(afterV, before);
  secrets.push(before.slice(2), afterV.slice(2));
});

test('domains: add two, move the default, remove one', async () => {
  const d = page.getByTestId('domains');
  await d.getByLabel('Add a domain').fill('Shop.Example.com');
  await d.getByTestId('add-domain').click();
  await d.locator('tr[data-domain="shop.example.com"]').waitFor();
  assert.match(await d.locator('tr[data-domain="shop.example.com"]').textContent(), /default/);
  // A bad hostname names the field.
  await d.getByLabel('Add a domain').fill('localhost');
  await d.getByTestId('add-domain').click();
  await d.locator('#dom-host-err').waitFor();
  await d.getByLabel('Add a domain').fill('www.example.com');
  await d.getByTestId('add-domain').click();
  await d.locator('tr[data-domain="www.example.com"]').waitFor();
  await d.getByRole('button', { name: 'Make www.example.com the default' }).click();
  await d.locator('tr[data-domain="www.example.com"]').filter({ hasText: 'default' }).waitFor();
  await d.getByRole('button', { name: 'Remove shop.example.com' }).click();
  await d.locator('tr[data-domain="shop.example.com"]').waitFor({ state: 'detached' });
  const dom = (await call('GET', `${A()}/services/${webId}/domains`)).json.items;
  assert.deepEqual(dom, [{ hostname: 'www.example.com', letsencrypt: true, default: true }]);
});

test('reveal credentials is explicit and confirmed, shown once, and gone after Hide', async () => {
  await page.goto(`${O()}/applications/${appId}/services/${dbId}`);
  assert.equal(await page.getByTestId('backups-link').getAttribute('href'), `${O()}/applications/${appId}/services/${dbId}/backups`);
  assert.equal(await page.getByTestId('deployments-link').getAttribute('href'), `${O()}/applications/${appId}/services/${dbId}/deployments`);
  let asked = '';
  page.once('dialog', (d) => { asked = d.message(); });
  const res = page.waitForResponse((r) => r.url().endsWith(`/services/${dbId}/reveal-credentials`));
  await page.getByTestId('reveal-credentials').click();
  const creds = await (await res).json();
  assert.match(asked, /Reveal the credentials of db/);
  assert.match(creds.password, /^[A-Za-z0-9]{32}$/);
  assert.equal((await page.getByTestId('db-password').textContent()).trim(), creds.password);
  await shot(page, 'apps-credentials');
  await page.getByTestId('hide-credentials').click();
  assert.ok(!(await page.content()).includes(creds.password), 'hidden: no longer in the page');
  secrets.push(creds.password);
  const audit = (await call('GET', `${A()}/audit?limit=200`)).json.items.map((e) => e.action);
  assert.ok(audit.includes('services.reveal_credentials'));
});

test('Deploy starts a deployment and opens its page', async () => {
  const posted = page.waitForResponse((r) => r.url().endsWith(`/applications/${appId}/services/${dbId}/deployments`) && r.request().method() === 'POST');
  await page.getByTestId('deploy').click();
  const dep = await (await posted).json();
  await page.waitForURL(new RegExp(`/o/${ada.org.slug}/deployments/${dep.id}$`));
  const r = await call('GET', `${A()}/deployments/${dep.id}`);
  assert.equal(r.status, 200);
  assert.equal(r.json.service_id ?? dbId, dbId);
});

test('no API answer the browser received holds the database password or a generated secret, except the reveal answer', async () => {
  assert.ok(secrets.length >= 3);
  const others = bodies.filter((b) => !b.url.endsWith('/reveal-credentials'));
  assert.ok(others.length > 20);
  for (const sec of secrets) {
    const hit = others.find((b) => b.text.includes(sec));
    assert.ok(!hit, `a secret reached the browser in ${hit?.url}`);
  }
  assert.equal(bodies.filter((b) => b.url.endsWith('/reveal-credentials')).length, 1, 'revealed exactly once');
  assert.ok(!bodies.some((b) => b.text.includes(TOKEN)), 'the git token never reached the browser');
});

test('a read-only member sees the lists and pages with every change disabled, naming the permission', async () => {
  const read = { create: false, read: true, update: false, delete: false };
  const bob = await memberWithRole(s.url, ada, 'bob', { applications: read, services: read, servers: read, gitProviders: read });
  const bctx = await newContext(browser, s.url);
  const bp = await bctx.newPage();
  let sent = 0;
  bp.on('request', (r) => { if (r.url().includes('/api/') && r.method() !== 'GET') sent++; });
  await uiLogin(bp, bob);
  sent = 0;
  await bp.goto(`${O()}/applications`);
  await bp.locator('tr[data-app="shop"]').waitFor();
  const create = bp.getByTestId('new-application');
  assert.equal(await create.getAttribute('aria-disabled'), 'true');
  assert.match(await tooltipOf(bp, create), /applications\.create/);
  await bp.goto(`${O()}/applications/${appId}`);
  await bp.locator('tr[data-service="web"]').waitFor();
  assert.match(await tooltipOf(bp, bp.getByTestId('edit-application')), /applications\.update/);
  assert.match(await tooltipOf(bp, bp.getByTestId('delete-application')), /applications\.delete/);
  assert.match(await tooltipOf(bp, bp.getByTestId('add-app')), /services\.create/);
  await bp.goto(`${O()}/applications/${appId}/services/${webId}`);
  await bp.getByTestId('variables').waitFor();
  for (const id of ['deploy', 'edit-service', 'save-variables', 'add-variable', 'add-domain']) {
    const b = bp.getByTestId(id).first();
    assert.equal(await b.getAttribute('aria-disabled'), 'true', id);
  }
  assert.match(await tooltipOf(bp, bp.getByTestId('deploy')), /services\.update/);
  assert.match(await tooltipOf(bp, bp.getByTestId('delete-service')), /services\.delete/);
  assert.match(await tooltipOf(bp, bp.locator('tr[data-var="SESSION_SECRET"]').getByTestId('regenerate')), /services\.update/);
  assert.equal(await bp.getByLabel('Value of DATABASE_URL').getAttribute('readonly'), '');
  // Clicking a disabled button sends nothing.
  await bp.getByTestId('deploy').click({ force: true });
  await bp.goto(`${O()}/applications/${appId}/services/${dbId}`);
  const reveal = bp.getByTestId('reveal-credentials');
  await reveal.waitFor();
  assert.equal(await reveal.getAttribute('aria-disabled'), 'true');
  assert.match(await tooltipOf(bp, reveal), /services\.update/);
  await reveal.click({ force: true });
  assert.equal(await bp.getByTestId('revealed').count(), 0);
  assert.equal(sent, 0, 'a disabled button sent a request');
  await shot(bp, 'apps-readonly-service');
  assert.deepEqual(bctx.problems, []);
  await bctx.close();
});

test('a member with only the legacy projects permission is told why the Applications page is closed', async () => {
  const carol = await memberWithRole(s.url, ada, 'carol', { projects: { create: false, read: true, update: false, delete: false } });
  const cctx = await newContext(browser, s.url);
  const cp = await cctx.newPage();
  await uiLogin(cp, carol);
  await cp.goto(`${O()}/applications`);
  const denied = cp.getByRole('alert').filter({ hasText: 'You cannot see the applications' });
  await denied.waitFor();
  assert.match(await denied.textContent(), /applications\.read/);
  assert.match(await cp.getByTestId('legacy-note').textContent(), /legacy projects permission/);
  assert.deepEqual(cctx.problems, []);
  await cctx.close();
});

test('390 px: the application and the service with its variable editor fit the screen', async () => {
  const pctx = await newContext(browser, s.url, { width: 390, height: 844 });
  const pp = await pctx.newPage();
  await uiLogin(pp, ada);
  for (const [url, wait, name] of [
    [`${O()}/applications`, 'tr[data-app="shop"]', 'apps-list-phone'],
    [`${O()}/applications/${appId}`, 'tr[data-service="db"]', 'apps-application-phone'],
    [`${O()}/applications/${appId}/services/${webId}`, 'tr[data-var="NODE_ENV"]', 'apps-service-phone'],
  ]) {
    await pp.goto(url);
    await pp.locator(wait).waitFor();
    const w = await pp.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(w <= 390, `${url} is ${w}px wide at 390px`);
    await shot(pp, name);
  }
  // The editor works there too: the Save button and a value field are on screen and usable.
  await pp.getByLabel('Value of NODE_ENV').fill('staging');
  const save = pp.getByTestId('save-variables');
  await save.scrollIntoViewIfNeeded();
  const box = await save.boundingBox();
  assert.ok(box && box.x >= 0 && box.x + box.width <= 390, JSON.stringify(box));
  await save.click();
  await pp.getByRole('status').filter({ hasText: 'Variables of web saved' }).waitFor();
  assert.deepEqual(pctx.problems, []);
  await pctx.close();
});

test('the browser saw no page error and no CSP violation', () => {
  assert.deepEqual(ctx.problems, []);
});
