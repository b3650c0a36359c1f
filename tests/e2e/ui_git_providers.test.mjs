// Integrations → Git providers in a real browser against a real wharf and:
//   - a REAL git server (lib/git_server.mjs: lighttpd + git http-backend over HTTPS, Basic auth)
//     as a GitLab token host, with its token API served from RECORDED GitLab responses behind the
//     same lighttpd (scopes and expiry): Test before saving with a wrong token (git_token layer and
//     its hint) then the right one; add; Verify (the real ls-remote, the branch sha); the expiry
//     warning; edit to a wrong token, the stored last error and Diagnose; the webhook URL;
//   - RECORDED GitHub responses (lib/github_recorded.mjs, JWT signatures checked) for a GitHub App
//     whose private key is loaded from a .pem file: a wrong key fails in layer github_app, the
//     right one verifies; a signed push delivered to the webhook URL shown in the page.
// No secret (token, PEM, webhook secret) is in any API answer the browser received, nor in the
// page after saving. A read-only member sees the list with disabled buttons naming the permission.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { api, memberWithRole, signup, startWharf } from './lib/harness.mjs';
import { launchBrowser, newContext, shot, tooltipOf, uiLogin } from './lib/browser.mjs';
import { makeTestCa, startGitServer } from './lib/git_server.mjs';
import { startGithubRecorded, startGitlabRecorded } from './lib/github_recorded.mjs';

const TOKEN = 'glpat-UiGoodToken-3c9d10aa';
const WRONG = 'glpat-UiWrongToken-77e0b2c4';
const GL_HOOK = 'ui-gitlab-hook-secret-1f2e';
const GH_HOOK = 'ui-github-hook-secret-8a7b';
const SHA = 'c'.repeat(40);
const keyPair = () => crypto.generateKeyPairSync('rsa', { modulusLength: 2048,
  publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs1', format: 'pem' } });
const appKey = keyPair();
const stranger = keyPair();
// A line from the middle of each PEM: the body of the key, never the BEGIN/END markers.
const pemLine = (pem) => pem.split('\n')[5];
const SECRETS = [TOKEN, WRONG, GL_HOOK, GH_HOOK, pemLine(appKey.privateKey), pemLine(stranger.privateKey)];
const inDays = (n) => new Date(Date.now() + n * 86400000).toISOString().slice(0, 10);

let ca, gitlabApi, git, gh, s, browser, ada, ctx, page, repo;
const O = () => `/o/${ada.org.slug}`;
const bodies = [];  // every API answer the browser received, checked for the secrets

before(async () => {
  ca = makeTestCa();
  gitlabApi = await startGitlabRecorded({ tokens: { [TOKEN]: { name: 'wharf-ui', scopes: ['read_repository'], expires_at: inDays(5) } } });
  git = await startGitServer({ ca, users: { oauth2: TOKEN }, apiPort: gitlabApi.port });
  repo = git.addRepo('acme/api', ['main', 'develop']);
  gh = await startGithubRecorded({ ca, apps: { 12345: appKey.publicKey }, installations: {
    100: { appId: 12345, account: 'acme', selection: 'selected', repos: [{ full_name: 'acme/web', default_branch: 'main', branches: { main: SHA } }] },
  } });
  s = await startWharf({ env: { WHARF_EXTRA_CA_FILE: ca.caFile } });
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
  await git?.stop();
  await gitlabApi?.close();
  await gh?.close();
  ca?.cleanup();
});

const listProviders = async () => (await api(s.url, 'GET', `/api/v1/orgs/${ada.org.slug}/git-providers`, { token: ada.token })).json.items;
const noSecretsIn = (text, where) => { for (const x of SECRETS) assert.ok(!text.includes(x), `${where} contains a secret (${x.slice(0, 12)}…)`); };

test('the Git providers tab opens from Integrations, empty', async () => {
  await page.goto(`${O()}/integrations`);
  await page.getByRole('navigation', { name: 'Integrations' }).getByRole('link', { name: 'Git providers' }).click();
  await page.waitForURL(/\/integrations\/git-providers$/);
  const tab = page.getByRole('navigation', { name: 'Integrations' }).getByRole('link', { name: 'Git providers' });
  assert.equal(await tab.getAttribute('aria-current'), 'page');
  await page.getByText('No git providers yet').waitFor();
  await page.goto(`${O()}/git-providers`);  // the short URL shows the same tab
  await page.getByText('No git providers yet').waitFor();
});

test('token host, test before saving: a wrong token fails in layer git_token with the hint, the right one passes, nothing is saved', async () => {
  await page.getByTestId('add-git-provider').click();
  const form = page.getByTestId('git-form');
  await form.waitFor();
  await page.getByLabel('Type', { exact: true }).selectOption('gitlab');
  await page.getByLabel('Name', { exact: true }).fill('self-hosted');
  await page.getByLabel('Base URL (optional)').fill(git.base);
  const testBtn = page.getByTestId('test-git-provider');
  assert.match(await tooltipOf(page, testBtn), /Type the token first/);
  const tok = page.getByLabel('Token', { exact: true });
  assert.equal(await tok.getAttribute('type'), 'password');
  await tok.fill(WRONG);
  assert.match(await tooltipOf(page, testBtn), /Type a repository/);
  await page.getByLabel('Repository to test').fill(repo.url);
  await page.getByLabel('Branch to test (optional)').fill('main');
  await testBtn.click();
  const rep = form.getByTestId('verify-report');
  await rep.waitFor();
  assert.equal(await rep.getAttribute('data-ok'), 'false');
  const ls = rep.locator('li[data-check="ls_remote"]');
  assert.equal(await ls.getAttribute('data-status'), 'failed');
  const t = await ls.textContent();
  assert.match(t, /HTTP 401.*wrong, revoked or expired/);
  assert.match(t, /layer git_token/);
  assert.match(t, /Fix:.*read_repository/);
  assert.equal(await rep.locator('li[data-check="branch"]').getAttribute('data-status'), 'skipped');
  assert.ok(await ls.getByTestId('layer-help').count(), 'the layer links to its guide');
  await shot(page, 'git-test-wrong-token');
  await tok.fill(TOKEN);
  await testBtn.click();
  await form.locator('[data-testid="verify-report"][data-ok="true"]').waitFor();
  assert.equal(await form.getByTestId('sha').locator('code').textContent(), repo.shas.main, 'the commit the real repository holds');
  assert.deepEqual(await listProviders(), [], 'Test connection saved nothing');
});

test('add: the token is write-only; the webhook URL is shown; Verify runs the real ls-remote; the expiry warning', async () => {
  await page.getByLabel('Webhook secret (optional)').fill(GL_HOOK);
  const created = page.waitForResponse((r) => r.url().endsWith('/git-providers') && r.request().method() === 'POST');
  await page.getByTestId('save-git-provider').click();
  const res = await created;
  assert.equal(res.status(), 201);
  const body = await res.json();
  assert.deepEqual([body.token, body.webhook_secret], [{ set: true }, { set: true }]);
  await page.getByRole('status').filter({ hasText: 'Git provider self-hosted added' }).waitFor();
  const card = page.locator('li[data-git-provider="self-hosted"]');
  await card.waitFor();
  assert.match(await card.textContent(), /token stored/);
  assert.match(await card.textContent(), /webhook secret stored/);
  assert.equal(await card.getByTestId('webhook-url').inputValue(), `${s.url}/api/v1/webhooks/git/${body.id}`);
  assert.equal(await card.getByTestId('verified-state').getAttribute('data-state'), 'unverified');
  noSecretsIn(await page.content(), 'the page');
  const verify = card.getByTestId('verify');
  assert.equal(await verify.getAttribute('aria-disabled'), 'true', 'a token host needs a repository to check');
  await card.getByLabel('Repository to check (self-hosted)').fill(repo.url);
  await card.getByLabel('Branch (self-hosted)').fill('develop');
  await verify.click();
  await card.locator('[data-testid="verify-report"][data-ok="true"]').waitFor();
  const rep = card.getByTestId('verify-report');
  assert.deepEqual(await rep.locator('li').evaluateAll((ls) => ls.map((l) => [l.dataset.check, l.dataset.status])),
    [['token_api', 'passed'], ['ls_remote', 'passed'], ['branch', 'passed']]);
  assert.equal(await card.getByTestId('sha').locator('code').textContent(), repo.shas.develop);
  await card.locator('[data-testid="verified-state"][data-state="verified"]').waitFor();
  assert.match(await card.getByTestId('verified-state').textContent(), /last verified/);
  // GitLab's token API reported the expiry: the card and the tab warn (GET …/integrations/expiring).
  await card.getByTestId('expiry').waitFor();
  assert.match(await card.getByTestId('expiry').textContent(), /Expires in [45] days/);
  const notice = page.getByTestId('expiring');
  await notice.waitFor();
  assert.match(await notice.locator('li[data-expiring="self-hosted"]').textContent(), /self-hosted expires in [45] days/);
  // Copy the webhook URL with the keyboard.
  await card.getByRole('button', { name: 'Copy the webhook URL of self-hosted' }).focus();
  await page.keyboard.press('Enter');
  await page.getByRole('status').filter({ hasText: 'Webhook URL of self-hosted copied' }).waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), `${s.url}/api/v1/webhooks/git/${body.id}`);
  await shot(page, 'git-provider-verified');
});

test('edit: the token field starts empty; a wrong token is stored as the last error with layer git_token; Diagnose leads with it', async () => {
  const card = page.locator('li[data-git-provider="self-hosted"]');
  await card.getByRole('button', { name: 'Edit self-hosted' }).click();
  await page.getByTestId('git-form').waitFor();
  assert.equal(await page.getByLabel('Type', { exact: true }).isDisabled(), true, 'the type cannot change');
  const tok = page.getByLabel('New token (optional)');
  assert.equal(await tok.inputValue(), '', 'the stored token is never read back');
  assert.equal(await page.getByLabel('New webhook secret (optional)').inputValue(), '');
  assert.equal(await page.getByLabel('Base URL (optional)').inputValue(), git.base);
  await tok.fill(WRONG);
  const patched = page.waitForResponse((r) => /\/git-providers\/git_/.test(r.url()) && r.request().method() === 'PATCH');
  await page.getByTestId('save-git-provider').click();
  assert.deepEqual(JSON.parse((await patched).request().postData()), { token: WRONG }, 'only the changed field is sent');
  await page.getByRole('status').filter({ hasText: 'Git provider self-hosted saved' }).waitFor();
  await card.locator('[data-testid="verified-state"][data-state="unverified"]').waitFor();
  await card.getByLabel('Repository to check (self-hosted)').fill(repo.url);
  await card.getByTestId('verify').click();
  await card.locator('[data-testid="verify-report"][data-ok="false"]').waitFor();
  const st = card.locator('[data-testid="verified-state"][data-state="failed"]');
  await st.waitFor();
  const last = await st.getByTestId('last-error').textContent();
  assert.match(last, /layer git_token/);
  assert.match(last, /Fix:/);
  await card.getByTestId('diagnose').click();
  const d = card.getByTestId('diagnosis');
  await d.waitFor();
  assert.equal(await d.getAttribute('data-layer'), 'git_token');
  const first = d.getByTestId('diagnose-checks').locator('li').first();
  assert.equal(await first.getAttribute('data-status'), 'failed');
  await shot(page, 'git-provider-diagnose');
  // The right token back: verified again.
  await card.getByRole('button', { name: 'Edit self-hosted' }).click();
  await page.getByLabel('New token (optional)').fill(TOKEN);
  await page.getByTestId('save-git-provider').click();
  await page.getByRole('status').filter({ hasText: 'Git provider self-hosted saved' }).waitFor();
  await card.getByLabel('Repository to check (self-hosted)').fill(repo.url);
  await card.getByTestId('verify').click();
  await card.locator('[data-testid="verified-state"][data-state="verified"]').waitFor();
});

test('recorded GitHub responses: a GitHub App with its private key loaded from a .pem file; a wrong key fails in layer github_app', async () => {
  await page.getByTestId('add-git-provider').click();
  const form = page.getByTestId('git-form');
  await form.waitFor();
  assert.equal(await page.getByLabel('Type', { exact: true }).inputValue(), 'github_app');
  await page.getByLabel('Name', { exact: true }).fill('acme app');
  await page.getByLabel('App ID').fill('12345');
  await page.getByLabel('Installation ID').fill('100');
  await page.getByLabel('API URL (optional)').fill(gh.url);
  await page.getByLabel('Webhook secret', { exact: true }).fill(GH_HOOK);
  // The wrong key, pasted: the recorded GitHub refuses the JWT.
  await page.getByLabel('Private key (PEM)').fill(stranger.privateKey);
  await page.getByLabel('Repository to test').fill('acme/web');
  await page.getByTestId('test-git-provider').click();
  const rep = form.getByTestId('verify-report');
  await rep.waitFor();
  const inst = rep.locator('li[data-check="installation"]');
  assert.equal(await inst.getAttribute('data-status'), 'failed');
  assert.match(await inst.textContent(), /layer github_app/);
  assert.match(await inst.textContent(), /JSON web token could not be decoded/);
  // The right key, from a file: only its name and size are shown.
  await page.getByLabel('Private key (PEM)').fill('');
  await page.getByTestId('pem-file').setInputFiles({ name: 'acme-app.private-key.pem', mimeType: 'application/x-pem-file', buffer: Buffer.from(appKey.privateKey) });
  await page.getByTestId('pem-loaded').filter({ hasText: 'acme-app.private-key.pem' }).waitFor();
  noSecretsIn(await page.content(), 'the form');
  await page.getByTestId('test-git-provider').click();
  await form.locator('[data-testid="verify-report"][data-ok="true"]').waitFor();
  const steps = await form.getByTestId('verify-report').locator('li').evaluateAll((ls) => ls.map((l) => [l.dataset.check, l.dataset.status]));
  assert.deepEqual(steps.map(([n]) => n), ['private_key', 'installation', 'installation_token', 'repositories', 'repository']);
  assert.ok(steps.every(([, st]) => st === 'passed'), JSON.stringify(steps));
  const created = page.waitForResponse((r) => r.url().endsWith('/git-providers') && r.request().method() === 'POST');
  await page.getByTestId('save-git-provider').click();
  const body = await (await created).json();
  assert.deepEqual([body.private_key, body.webhook_secret, body.app_id], [{ set: true }, { set: true }, '12345']);
  const card = page.locator('li[data-git-provider="acme app"]');
  await card.waitFor();
  assert.match(await card.textContent(), /private key stored/);
  noSecretsIn(await page.content(), 'the page after saving');
  await card.getByTestId('verify').click();  // an app verifies without a repository: key and installation
  await card.locator('[data-testid="verified-state"][data-state="verified"]').waitFor();
  await card.getByLabel('Repository to check (acme app)').fill('acme/web');
  await card.getByLabel('Branch (acme app)').fill('main');
  await card.getByTestId('verify').click();
  await card.locator('[data-testid="verify-report"][data-ok="true"]').getByTestId('sha').filter({ hasText: SHA }).waitFor();
  assert.deepEqual(gh.state.jwtFailures.filter((m) => !/could not be decoded/.test(m)), [], 'every JWT of the right key was accepted');
  // GitHub delivers a signed push to the URL the page shows; the card counts it.
  const url = await card.getByTestId('webhook-url').inputValue();
  const raw = `{"ref":"refs/heads/main","before":"${'0'.repeat(40)}","after":"${SHA}","repository":{"full_name":"acme/web"}}`;
  const sig = `sha256=${crypto.createHmac('sha256', GH_HOOK).update(raw).digest('hex')}`;
  const hook = await fetch(url, { method: 'POST', body: raw, headers: { 'content-type': 'application/json', 'x-github-event': 'push',
    'x-github-delivery': crypto.randomUUID(), 'x-hub-signature-256': sig } });
  assert.equal(hook.status, 202, await hook.text());
  await page.reload();
  const deliveries = page.locator('li[data-git-provider="acme app"]').getByTestId('webhook-deliveries');
  await deliveries.filter({ hasText: '1 delivery' }).waitFor();
  assert.match(await deliveries.textContent(), /push.*accepted.*last push main/);
  await shot(page, 'git-provider-github-app');
});

test('no secret reached the browser; delete asks first', async () => {
  for (const b of bodies) noSecretsIn(b, 'an API answer');
  noSecretsIn(await page.content(), 'the page');
  assert.ok(!(await page.evaluate(() => JSON.stringify(localStorage) + JSON.stringify(sessionStorage))).includes('glpat'));
  await page.getByTestId('add-git-provider').click();
  await page.getByLabel('Type', { exact: true }).selectOption('gitea');
  await page.getByLabel('Name', { exact: true }).fill('temp');
  await page.getByLabel('Token', { exact: true }).fill('gitea-token-123');
  await page.getByTestId('save-git-provider').click();
  const err = page.locator('#git-base-url-err');  // Gitea has no default host
  await err.waitFor();
  assert.match(await err.textContent(), /base_url .*Gitea/);
  await page.getByLabel('Base URL').fill(`${git.base}/git`);
  await page.getByLabel('Username').fill('oauth2');
  await page.getByTestId('save-git-provider').click();
  const card = page.locator('li[data-git-provider="temp"]');
  await card.waitFor();
  page.once('dialog', (dlg) => dlg.dismiss());
  await card.getByRole('button', { name: 'Delete temp' }).click();
  assert.equal((await listProviders()).length, 3, 'dismissing the confirmation keeps it');
  page.once('dialog', (dlg) => dlg.accept());
  await card.getByRole('button', { name: 'Delete temp' }).click();
  await page.getByRole('status').filter({ hasText: 'Git provider temp removed' }).waitFor();
  await card.waitFor({ state: 'detached' });
  assert.deepEqual((await listProviders()).map((g) => g.name).sort(), ['acme app', 'self-hosted']);
  assert.deepEqual(ctx.problems, []);
});

test('read-only and no-access members: the list renders, buttons are disabled naming the permission; the access-denied panel', async () => {
  const viewer = await memberWithRole(s.url, ada, 'rita', { gitProviders: { read: true } });
  const vctx = await newContext(browser, s.url);
  const p = await vctx.newPage();
  await uiLogin(p, viewer);
  await p.goto(`${O()}/integrations/git-providers`);
  const card = p.locator('li[data-git-provider="self-hosted"]');
  await card.waitFor();
  const add = p.getByTestId('add-git-provider');
  assert.equal(await add.getAttribute('data-need'), 'gitProviders.create');
  await add.hover();
  await p.getByRole('tooltip').filter({ hasText: 'Needs the gitProviders.create permission' }).waitFor({ state: 'visible' });
  const verify = card.getByTestId('verify');
  assert.equal(await verify.getAttribute('aria-disabled'), 'true');
  assert.equal(await verify.getAttribute('data-need'), 'gitProviders.update');
  assert.match(await tooltipOf(p, verify), /Needs the gitProviders\.update permission/);
  assert.equal(await card.getByRole('button', { name: 'Edit self-hosted' }).getAttribute('data-need'), 'gitProviders.update');
  assert.equal(await card.getByRole('button', { name: 'Delete self-hosted' }).getAttribute('data-need'), 'gitProviders.delete');
  assert.equal(await card.getByTestId('verified-state').getAttribute('data-state'), 'verified', 'the list renders with read');
  // Diagnose of the stored state needs read only; with a repository it verifies (update).
  assert.equal(await card.getByTestId('diagnose').getAttribute('aria-disabled'), null);
  await card.getByLabel('Repository to check (self-hosted)').fill(repo.url);
  assert.equal(await card.getByTestId('diagnose').getAttribute('data-need'), 'gitProviders.update');
  await card.getByLabel('Repository to check (self-hosted)').fill('');
  await card.getByTestId('diagnose').click();
  await card.getByTestId('diagnosis').waitFor();
  await shot(p, 'git-providers-read-only');
  await card.getByRole('link', { name: 'Why? (gitProviders.update)' }).click();
  await p.waitForURL(/\/why\?collection=gitProviders&action=update$/);
  assert.deepEqual(vctx.problems, []);
  await vctx.close();

  const none = await memberWithRole(s.url, ada, 'nils', { dockerRegistries: { read: true } });
  const nctx = await newContext(browser, s.url);
  const q = await nctx.newPage();
  await uiLogin(q, none);
  await q.goto(`${O()}/integrations/git-providers`);
  await q.getByRole('alert').filter({ hasText: 'gitProviders.read' }).waitFor();
  assert.equal(await q.locator('li[data-git-provider]').count(), 0);
  const tab = q.getByRole('navigation', { name: 'Integrations' }).getByRole('link', { name: /Git providers/ });
  assert.match(await tab.textContent(), /needs gitProviders\.read/);
  assert.deepEqual(nctx.problems, []);
  await nctx.close();
});

test('usable at 390 px: the git providers tab and the add form without horizontal scroll', async () => {
  const pctx = await newContext(browser, s.url, { width: 390, height: 844 });
  const p = await pctx.newPage();
  await uiLogin(p, ada);
  await p.goto(`${O()}/integrations/git-providers`);
  await p.locator('li[data-git-provider="acme app"]').waitFor();
  const overflow = () => p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(await overflow() <= 0, `the list overflows by ${await overflow()}px`);
  await shot(p, 'phone-git-providers');
  await p.getByTestId('add-git-provider').click();
  await p.getByTestId('git-form').waitFor();
  assert.ok(await overflow() <= 0, `the form overflows by ${await overflow()}px`);
  await p.getByLabel('Type', { exact: true }).selectOption('bitbucket');
  await p.getByLabel('Token kind').selectOption('repository');
  await p.getByLabel('Token\'s repository').waitFor();
  assert.ok(await overflow() <= 0, `the Bitbucket form overflows by ${await overflow()}px`);
  await shot(p, 'phone-git-provider-form');
  assert.deepEqual(pctx.problems, []);
  await pctx.close();
});
