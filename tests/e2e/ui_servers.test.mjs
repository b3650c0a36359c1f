// The web UI for worker nodes, in a real browser against a real wharf and a real sshd: generate an
// SSH key and copy its public half; a security group with a bad CIDR (inline error) then good
// ones; add a server through the Test connection step; a wrong key named with its fix; onboarding
// with the live log; the lock-out guard; Diagnose; a read-only member's disabled buttons with
// tooltips and the "Why?" explanation; the servers list at 390 px.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { api, memberWithRole, signup, startWharf } from './lib/harness.mjs';
import { launchBrowser, newContext, shot, uiLogin } from './lib/browser.mjs';
import { startSshd, NODE_USER } from './lib/sshd.mjs';

let s, node, browser, ada, ctx, page, keyPub;
const O = () => `/o/${ada.org.slug}`;

before(async () => {
  node = await startSshd();
  s = await startWharf({ args: ['--node-dns-probe', 'localhost', '--min-disk-free-mb', '100'] });
  browser = await launchBrowser();
  ada = await signup(s.url, 'ada');
  ctx = await newContext(browser, s.url);
  page = await ctx.newPage();
  await uiLogin(page, ada);
});

after(async () => {
  await browser?.close();
  await s?.stop();
  s?.cleanup();
  await node?.cleanup();
});

const tooltipOf = async (btn) => (await page.locator(`#${await btn.getAttribute('aria-describedby')}`).textContent()).trim();

test('generate an SSH key in the browser and copy its public key; the private key never reaches the page', async () => {
  await page.goto(`${O()}/ssh-keys`);
  await page.getByRole('heading', { name: 'Generate a key' }).waitFor();
  await page.getByLabel('Key name').fill('deploy');
  await page.getByLabel('Key type').selectOption('ed25519');
  const created = page.waitForResponse((r) => r.url().endsWith('/ssh-keys') && r.request().method() === 'POST');
  await page.getByTestId('generate-key').click();
  const body = await (await created).json();
  assert.ok(!JSON.stringify(body).includes('PRIVATE'));
  const card = page.locator('li[data-key="deploy"]');
  await card.waitFor();
  assert.match(await card.textContent(), /private key stored/);
  await card.getByRole('button', { name: 'Copy public key of deploy' }).click();
  await page.getByRole('status').filter({ hasText: 'Public key of deploy copied' }).waitFor();
  keyPub = await page.evaluate(() => navigator.clipboard.readText());
  const served = await api(s.url, 'GET', `/api/v1/orgs/${ada.org.slug}/ssh-keys/${body.id}/public-key`, { token: ada.token });
  assert.equal(keyPub.trim(), served.text.trim());
  assert.match(keyPub, /^ssh-ed25519 /);
  // "Download .pub" is the public-key endpoint, read with the session cookie alone.
  const href = await card.getByRole('link', { name: 'Download public key of deploy' }).getAttribute('href');
  assert.equal(await page.evaluate(async (h) => (await fetch(h)).text(), href), served.text);
  assert.ok(!(await page.content()).includes('PRIVATE KEY'));
  node.authorize(NODE_USER, keyPub);
  await shot(page, 'ssh-keys-generated');
});

test('a security group: a bad CIDR is refused inline before any request; good ones are saved with the normalisation warning', async () => {
  await page.goto(`${O()}/security-groups`);
  await page.getByTestId('new-group').click();
  await page.getByLabel('Group name').fill('web');
  await page.getByLabel('Rule 1 type').selectOption('ssh');
  await page.getByLabel('Rule 1 source').fill('10.0.0.256/8');
  await page.getByLabel('Rule 1 description').focus();
  const err = page.getByTestId('group-editor').getByTestId('source-error');
  await err.waitFor();
  assert.match(await err.textContent(), /not a valid IPv4 address/);
  let posted = 0;
  page.on('request', (r) => { if (r.url().endsWith('/security-groups') && r.method() === 'POST') posted++; });
  const saveBtn = page.getByTestId('save-group');
  assert.equal(await saveBtn.getAttribute('aria-disabled'), 'true');
  assert.match(await tooltipOf(saveBtn), /Fix the highlighted sources first/);
  await saveBtn.click({ force: true });
  await page.getByLabel('Group name').press('Enter');
  assert.equal(await page.getByLabel('Rule 1 source').getAttribute('aria-invalid'), 'true');
  assert.equal(posted, 0, 'nothing is sent while a source is invalid');
  await page.getByLabel('Rule 1 source').fill('10.0.0.1/8');
  await page.getByText('Host bits set: will be stored as 10.0.0.0/8').waitFor();
  assert.equal(await err.count(), 0);
  await page.getByRole('button', { name: '+ Add rule' }).click();
  await page.getByLabel('Rule 2 type').selectOption('custom-tcp');
  await page.getByLabel('Rule 2 from port').fill(String(node.port));
  await page.getByLabel('Rule 2 source').fill('127.0.0.0/8');
  await page.getByLabel('Rule 2 description').fill('Wharf SSH');
  await shot(page, 'security-group-editor');
  await page.getByTestId('save-group').click();
  const warn = page.getByTestId('sg-warnings');
  await warn.waitFor();
  assert.match(await warn.textContent(), /10\.0\.0\.1\/8 has host bits set; stored as 10\.0\.0\.0\/8/);
  const card = page.locator('li[data-group="web"]');
  await card.waitFor();
  const text = await card.textContent();
  assert.match(text, /ssh tcp 22 from 10\.0\.0\.0\/8/);
  assert.match(text, new RegExp(`custom-tcp tcp ${node.port} from 127\\.0\\.0\\.0/8`));
  await shot(page, 'security-groups');
});

test('add a server through the Test connection step: every check passes, then it is healthy in the list', async () => {
  await page.goto(`${O()}/servers`);
  await page.getByTestId('add-server').click();
  await page.waitForURL(/\/servers\/new$/);
  await page.getByLabel('Name').fill('web-1');
  await page.getByLabel('Host').fill('127.0.0.1');
  await page.getByLabel('SSH port').fill(String(node.port));
  await page.getByLabel('SSH user').fill(NODE_USER);
  await page.getByLabel('web').check();
  const save = page.getByTestId('save-server');
  assert.equal(await save.getAttribute('aria-disabled'), 'true', 'Add server waits for a test');
  assert.match(await tooltipOf(save), /Test connection first/);
  await page.getByTestId('test-connection').click();
  await page.getByText('all checks passed').waitFor();
  const checks = page.getByTestId('checks').locator('li');
  assert.equal(await checks.count(), 9);
  for (const li of await checks.all()) assert.equal(await li.getAttribute('data-status'), 'passed', await li.textContent());
  assert.match(await page.getByTestId('checks').textContent(), /Signed in as wharf-node with the key 'deploy'/);
  await shot(page, 'server-add-tested');
  assert.equal(await save.getAttribute('aria-disabled'), null);
  await save.click();
  await page.waitForURL(/\/servers\/srv_/);
  await page.getByRole('heading', { name: /web-1/ }).waitFor();
  assert.equal(await page.getByTestId('server-status').first().textContent(), 'healthy');
  await page.goto(`${O()}/servers`);
  const row = page.locator('tr[data-server="web-1"]');
  await row.waitFor();
  assert.equal(await row.getByTestId('server-status').textContent(), 'healthy');
  assert.doesNotMatch(await row.locator('td[data-label="Last check"]').textContent(), /—/);
  await shot(page, 'servers');
});

test('a wrong key: the test names ssh_auth failed with its fix and layer, and Add server stays disabled', async () => {
  const other = await api(s.url, 'POST', `/api/v1/orgs/${ada.org.slug}/ssh-keys`, { token: ada.token, body: { name: 'other', generate: { type: 'ed25519' } } });
  assert.equal(other.status, 201);
  await page.goto(`${O()}/servers/new`);
  await page.getByLabel('Name').fill('wrong');
  await page.getByLabel('Host').fill('127.0.0.1');
  await page.getByLabel('SSH port').fill(String(node.port));
  await page.getByLabel('SSH user').fill(NODE_USER);
  await page.getByLabel('SSH key').selectOption(other.json.id);
  await page.getByTestId('test-connection').click();
  const auth = page.locator('li[data-check="ssh_auth"]');
  await auth.waitFor();
  assert.equal(await auth.getAttribute('data-status'), 'failed');
  const t = await auth.textContent();
  assert.match(t, /auth_failed/);
  assert.match(t, /layer ssh/);
  assert.match(t, /Fix:.*authorized_keys/);
  assert.match(t, /'other'/);
  assert.equal(await page.locator('li[data-check="sudo"]').getAttribute('data-status'), 'skipped');
  const save = page.getByTestId('save-server');
  assert.equal(await save.getAttribute('aria-disabled'), 'true');
  assert.match(await tooltipOf(save), /A check failed/);
  await shot(page, 'server-add-wrong-key');
});

test('onboard with a live log that ends in success; Check adds to the history; Diagnose and the firewall rules', async () => {
  await page.goto(`${O()}/servers`);
  await page.getByRole('link', { name: 'web-1' }).click();
  await page.getByRole('heading', { name: /web-1/ }).waitFor();
  // Records whether log text was on the page while the job still ran (the log is live, not
  // shown at the end only).
  await page.evaluate(() => {
    window.__live = false;
    new MutationObserver(() => {
      const j = document.querySelector('[data-testid="job"]');
      if (j && j.dataset.status === 'running' && /Onboarding web-1/.test(j.textContent)) window.__live = true;
    }).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
  });
  const stream = page.waitForResponse((r) => /\/jobs\/job_[a-z0-9]+\/log$/.test(r.url()));
  await page.getByTestId('onboard').click();
  const sse = await stream;
  assert.equal(sse.status(), 200);
  assert.match(sse.headers()['content-type'], /text\/event-stream/);
  const job = page.getByTestId('job');
  await page.locator('[data-testid="job"][data-status="succeeded"]').waitFor({ timeout: 60000 });
  const log = await page.getByTestId('job-log').textContent();
  assert.match(log, /Dokku 0\.38\.27 is installed/);
  for (const p of ['postgres', 'mysql', 'mariadb', 'mongo', 'redis', 'letsencrypt']) assert.match(log, new RegExp(`Installing plugin ${p}`));
  assert.match(log, /Done: every check passes/);
  assert.match(await job.textContent(), /succeeded/);
  assert.equal(await page.evaluate(() => window.__live), true, 'the log appeared while the job was running');
  await shot(page, 'server-onboarded');

  const before = await page.getByTestId('history').locator('li').count();
  await page.getByTestId('check').click();
  await page.getByRole('status').filter({ hasText: 'Every check passed' }).waitFor();
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid="history"] li').length > n, before);

  await page.getByTestId('diagnose').click();
  const d = page.getByTestId('diagnose-checks');
  await d.waitFor();
  assert.equal(await d.locator('li[data-status="failed"]').count(), 0);
  assert.equal(await d.locator('li[data-check="ssh_auth"]').getAttribute('data-status'), 'passed');

  await page.getByTestId('apply-firewall').click();
  const fw = page.getByTestId('firewall');
  await fw.waitFor();
  await page.waitForFunction(() => /tcp dport \d+ accept/.test(document.querySelector('[data-testid="firewall"]').textContent));
  assert.match(await fw.textContent(), new RegExp(`ip saddr 127\\.0\\.0\\.0/8 tcp dport ${node.port} accept`));
  await shot(page, 'server-detail');
});

test('the lock-out guard: removing the rule that keeps Wharf\'s SSH open shows the guard message', async () => {
  await page.goto(`${O()}/security-groups`);
  await page.getByRole('button', { name: 'Edit web' }).click();
  await page.getByRole('button', { name: 'Remove rule 2' }).click();
  await page.getByTestId('save-group').click();
  const guard = page.getByTestId('lockout');
  await guard.waitFor();
  const t = await guard.textContent();
  assert.match(t, /Lock-out guard: not saved/);
  assert.equal(await page.getByText('Conflict.').count(), 0, 'the guard replaces the generic error');
  assert.match(t, new RegExp(`close SSH \\(TCP ${node.port}\\) from Wharf \\(127\\.0\\.0\\.1\\)`));
  assert.match(t, /web-1/);
  await shot(page, 'security-group-lockout');
  await page.getByRole('button', { name: 'Cancel' }).click();
  // An edit that keeps Wharf's SSH is saved.
  await page.getByRole('button', { name: 'Edit web' }).click();
  await page.getByRole('button', { name: '+ Add rule' }).click();
  await page.getByLabel('Rule 3 type').selectOption('https');
  await page.getByLabel('Rule 3 source').fill('anywhere');
  await page.getByTestId('save-group').click();
  await page.getByRole('status').filter({ hasText: 'Security group web saved' }).waitFor();
  const card = page.locator('li[data-group="web"]');
  await card.filter({ hasText: 'https tcp 443 from 0.0.0.0/0' }).waitFor();
  assert.match(await card.textContent(), new RegExp(`custom-tcp tcp ${node.port} from 127`));
});

test('Troubleshooting: a pasted SSH error is placed in the ssh layer, not git', async () => {
  await page.goto(`${O()}/troubleshoot`);
  await page.getByLabel('Error text').fill('deploy@203.0.113.5: Permission denied (publickey).');
  await page.getByTestId('diagnose-text').click();
  const d = page.getByTestId('diagnosis');
  await d.waitFor();
  assert.equal(await d.getAttribute('data-layer'), 'ssh');
  assert.match(await d.textContent(), /Fixing the git token will not help/);
  await shot(page, 'troubleshoot');
  assert.deepEqual(ctx.problems, []);
});

test('a member with servers.read only: the list renders, Add and Check are disabled with tooltips, "Why?" explains', async () => {
  const bob = await memberWithRole(s.url, ada, 'bob', { servers: { read: true } });
  const bctx = await newContext(browser, s.url);
  const p = await bctx.newPage();
  await uiLogin(p, bob);
  await p.goto(`${O()}/servers`);
  await p.locator('tr[data-server="web-1"]').waitFor();
  const add = p.getByTestId('add-server');
  assert.equal(await add.getAttribute('aria-disabled'), 'true');
  assert.equal(await add.getAttribute('data-need'), 'servers.create');
  await add.hover();
  const tip = p.getByRole('tooltip').filter({ hasText: 'servers.create' });
  await tip.waitFor({ state: 'visible' });
  assert.match(await tip.textContent(), /Needs the servers\.create permission/);
  await add.click({ force: true });
  assert.match(p.url(), /\/servers$/, 'a disabled button does nothing');
  await p.getByRole('link', { name: 'web-1' }).click();
  const check = p.getByTestId('check');
  await check.waitFor();
  assert.equal(await check.getAttribute('aria-disabled'), 'true');
  await check.focus();
  await p.getByRole('tooltip').filter({ hasText: 'servers.update' }).waitFor({ state: 'visible' });
  for (const id of ['onboard', 'apply-firewall', 'repin']) assert.equal(await p.getByTestId(id).getAttribute('aria-disabled'), 'true', id);
  await shot(p, 'server-read-only');
  await p.getByRole('link', { name: 'Why? (servers.update)' }).click();
  await p.waitForURL(/\/why\?collection=servers&action=update$/);
  const ex = p.getByTestId('explain');
  await ex.waitFor();
  const et = await ex.textContent();
  assert.match(et, /not allowed/);
  assert.match(et, /role 'bob-role' does not grant servers\.update/);
  assert.match(et, /An Admin can grant it in Team → Roles → bob-role/);
  await shot(p, 'why');
  // A page bob cannot read: the access-denied panel links its explanation too.
  await p.goto(`${O()}/security-groups`);
  await p.getByRole('alert').filter({ hasText: 'securityGroups.read' }).waitFor();
  await p.getByRole('link', { name: /Why\?/ }).click();
  await p.waitForURL(/collection=securityGroups&action=read/);
  assert.match(await p.getByTestId('explain').textContent(), /does not grant securityGroups\.read/);
  assert.deepEqual(bctx.problems, []);
  await bctx.close();
});

test('usable at 390 px: servers list, a server, security groups and troubleshooting without horizontal scroll', async () => {
  const pctx = await newContext(browser, s.url, { width: 390, height: 844 });
  const p = await pctx.newPage();
  await uiLogin(p, ada);
  const list = await api(s.url, 'GET', `/api/v1/orgs/${ada.org.slug}/servers`, { token: ada.token });
  const id = list.json.items.find((x) => x.name === 'web-1').id;
  for (const path of ['/servers', `/servers/${id}`, '/servers/new', '/security-groups', '/troubleshoot']) {
    await p.goto(`${O()}${path}`);
    await p.locator('h1').first().waitFor();
    await p.waitForLoadState('networkidle');
    const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `${path} overflows by ${overflow}px at 390px`);
    await shot(p, `phone${path.replace(/srv_[a-z0-9]+/, 'detail').replaceAll('/', '-')}`);
  }
  // The rule editor too.
  await p.goto(`${O()}/security-groups`);
  await p.getByTestId('new-group').click();
  await p.getByLabel('Rule 1 type').selectOption('custom-tcp');
  await p.getByLabel('Rule 1 source').fill('10.0.0.256/8');
  await p.getByLabel('Rule 1 description').focus();
  await p.getByTestId('source-error').waitFor();
  assert.ok(await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth) <= 0, 'the rule editor overflows at 390px');
  await shot(p, 'phone-security-group-editor');
  const row = p.locator('tr[data-server="web-1"]');
  await p.goto(`${O()}/servers`);
  await row.waitFor();
  assert.ok((await row.boundingBox()).width <= 390);
  assert.deepEqual(pctx.problems, []);
  await pctx.close();
});

test('security-group outbound rules: edited in the same editor (destination checked inline), saved, and applied as daddr rules', async () => {
  await page.goto(`${O()}/security-groups`);
  await page.getByRole('button', { name: 'Edit web' }).click();
  const out = page.getByTestId('outbound-rules');
  await out.waitFor();
  // The group was created without outbound rules: the server's default (all traffic) is shown.
  assert.equal(await page.getByLabel('Outbound 1 type').inputValue(), 'all-traffic');
  assert.equal(await page.getByLabel('Outbound 2 destination').inputValue(), '::/0');
  await page.getByRole('button', { name: 'Remove outbound 2' }).click();
  await page.getByLabel('Outbound 1 type').selectOption('https');
  await page.getByLabel('Outbound 1 destination').fill('anywhere');
  await page.getByLabel('Outbound 1 description').fill('web APIs');
  await page.getByRole('button', { name: '+ Add outbound rule' }).click();
  await page.getByLabel('Outbound 2 type').selectOption('dns');
  await page.getByLabel('Outbound 2 destination').fill('10.0.0.300/8');
  await page.getByLabel('Outbound 2 description').focus();
  const err = out.getByTestId('source-error');
  await err.waitFor();
  assert.match(await err.textContent(), /Destination is not a valid IPv4 address/);
  assert.equal(await page.getByTestId('save-group').getAttribute('aria-disabled'), 'true');
  await page.getByLabel('Outbound 2 destination').fill('10.0.0.0/8');
  await page.getByLabel('Outbound 2 description').fill('resolvers');
  await shot(page, 'security-group-outbound');
  const patched = page.waitForResponse((r) => /\/security-groups\/sg_/.test(r.url()) && r.request().method() === 'PATCH');
  await page.getByTestId('save-group').click();
  const sent = JSON.parse((await patched).request().postData());
  assert.deepEqual(sent.outbound, [{ type: 'https', source: 'anywhere', description: 'web APIs' }, { type: 'dns', source: '10.0.0.0/8', description: 'resolvers' }]);
  await page.getByRole('status').filter({ hasText: 'Security group web saved' }).waitFor();
  const card = page.locator('li[data-group="web"]');
  await card.getByTestId('outbound').filter({ hasText: 'out: dns udp 53 to 10.0.0.0/8' }).waitFor();
  assert.match(await card.getByTestId('outbound').textContent(), /out: https tcp 443 to 0\.0\.0\.0\/0/);
  assert.doesNotMatch(await card.getByTestId('outbound').textContent(), /all-traffic/);
  // Applied to the node, the outbound rules are the kernel's daddr rules.
  await page.goto(`${O()}/servers`);
  await page.getByRole('link', { name: 'web-1' }).click();
  await page.getByTestId('apply-firewall').click();
  await page.waitForFunction(() => /daddr 10\.0\.0\.0\/8 udp dport 53 accept/.test(document.querySelector('[data-testid="firewall"]')?.textContent ?? ''));
  assert.deepEqual(ctx.problems, []);
});

test('edit a server: nothing to save until a change; a port change warns and tests; rename and a new host are saved, and only Re-pin host key trusts the new address', async () => {
  await page.goto(`${O()}/servers`);
  await page.getByRole('link', { name: 'web-1' }).click();
  const fp = (await page.getByTestId('host-key').textContent()).trim();
  assert.match(fp, /^SHA256:/);
  await page.getByTestId('edit-server').click();
  await page.waitForURL(/\/servers\/srv_[a-z0-9]+\/edit$/);
  const save = page.getByTestId('save-server');
  assert.equal(await save.getAttribute('aria-disabled'), 'true');
  assert.match(await tooltipOf(save), /Nothing changed yet/);
  assert.equal(await page.getByLabel('Host').inputValue(), '127.0.0.1');
  assert.equal(await page.getByLabel('web').isChecked(), true);
  await page.getByLabel('SSH port').fill('1');
  await page.getByTestId('repin-note').waitFor();
  assert.match(await page.getByTestId('repin-note').textContent(), new RegExp(`pinned host key \\(${fp.replace(/[+/]/g, '\\$&')}\\) is dropped`));
  await page.getByTestId('test-connection').click();
  const tcp = page.locator('li[data-check="tcp"]');
  await tcp.waitFor();
  assert.equal(await tcp.getAttribute('data-status'), 'failed');
  await page.getByLabel('SSH port').fill(String(node.port));
  await page.getByLabel('Name').fill('web-main');
  await page.getByLabel('Host').fill('localhost');
  await page.getByTestId('test-connection').click();
  await page.getByText('all checks passed').waitFor();
  const patched = page.waitForResponse((r) => /\/servers\/srv_[a-z0-9]+$/.test(r.url()) && r.request().method() === 'PATCH');
  await save.click();
  assert.deepEqual(JSON.parse((await patched).request().postData()), { name: 'web-main', host: 'localhost' });
  await page.waitForURL(/\/servers\/srv_[a-z0-9]+\?saved=1$/);
  await page.getByRole('status').filter({ hasText: 'Server saved' }).waitFor();
  await page.getByRole('heading', { name: /web-main/ }).waitFor();
  assert.equal(await page.getByTestId('address').textContent(), `${NODE_USER}@localhost:${node.port}`);
  // Until the host key is re-pinned, Check connects to nothing; Re-pin host key asks first, then
  // trusts the key the server presents now, and Check works again.
  page.once('dialog', (d) => d.accept());
  await page.getByTestId('repin').click();
  await page.getByRole('status').filter({ hasText: 'Host key re-pinned' }).waitFor();
  await page.waitForFunction((f) => document.querySelector('[data-testid="host-key"]')?.textContent.trim() === f, fp);
  await page.getByTestId('check').click();
  await page.getByRole('status').filter({ hasText: 'Every check passed' }).waitFor();
  await shot(page, 'server-edited');
  // Without servers.update the edit page is the access-denied panel.
  const viewer = await memberWithRole(s.url, ada, 'vera', { servers: { read: true } });
  const vctx = await newContext(browser, s.url);
  const p = await vctx.newPage();
  await uiLogin(p, viewer);
  await p.goto(page.url().replace(/\?saved=1$/, '/edit'));
  await p.getByRole('alert').filter({ hasText: 'servers.update' }).waitFor();
  assert.deepEqual(vctx.problems, []);
  await vctx.close();
  assert.deepEqual(ctx.problems, []);
});
