// The web UI for deployments and backups, in a real browser against a real wharf, the sshd test
// host with the Dokku stand-in, a real git http-backend behind a token git provider, and s3rver as
// a verified backup storage (plus one that failed its verify). Deploy from a service's page and
// watch the log stream live to "succeeded"; a failed deploy with its layer and fix; cancel a slow
// deploy; back a Postgres service up to s3rver, download it, restore it; a schedule created,
// edited and deleted; the unverified storage refused with the API's message; a read-only member's
// disabled buttons (and a deployment's badge changing under them); 390 px. No DB password, git
// token, storage secret or generated secret ever reaches the browser.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import { api, memberWithRole, signup, startWharf } from './lib/harness.mjs';
import { launchBrowser, newContext, shot, tooltipOf, uiLogin } from './lib/browser.mjs';
import { startSshd, NODE_USER } from './lib/sshd.mjs';
import { makeTestCa, startGitServer } from './lib/git_server.mjs';
import { startS3 } from './lib/s3.mjs';

const GIT_TOKEN = `gitea-ui-token-${crypto.randomBytes(6).toString('hex')}`;
const KEY_ID = 'AKIDWHARFUIDEPLOY';
const S3_SECRET = `ui-backup-secret-${crypto.randomBytes(12).toString('hex')}`;
const BUCKET = 'backups';
const SEED = 'External backups on a database Service require a verified provider from Integrations → Backup Storage.';
const DUMP = `-- PostgreSQL database dump\nCREATE TABLE orders (id int);\n-- ${crypto.randomBytes(16).toString('hex')}\n`;
const sha256 = (b) => crypto.createHash('sha256').update(b).digest('hex');

let node, ca, git, s3, s, browser, ada, O, app, db, web, storage, unverified, ctx, page;
const received = [];  // every API response body a browser received
const U = () => `/o/${ada.org.slug}`;
const svcUrl = (svc, tab) => `${U()}/applications/${app.id}/services/${svc.id}/${tab}`;

async function call(method, p, body, token = ada.token) {
  const r = await api(s.url, method, p, { token, body });
  if (r.status >= 300) throw new Error(`${method} ${p}: ${r.status} ${r.text}`);
  return r.json;
}

// Records what the browser received from the API. DevTools cannot hand over the body of a
// streamed fetch, so the page's fetch is wrapped to copy (tee) each log stream to the test as it
// arrives; the page reads the other copy as usual.
async function record(context) {
  context.on('response', (r) => {
    if (!r.url().includes('/api/')) return;
    r.text().then((t) => received.push(t), () => {});
  });
  await context.exposeBinding('__wharfRecord', (_src, t) => { received.push(t); });
  await context.addInitScript(() => {
    const orig = window.fetch;
    window.fetch = async (...args) => {
      const res = await orig(...args);
      const url = String(args[0]?.url ?? args[0]);
      if (!/\/log$/.test(url) || !res.body) return res;
      const [mine, copy] = res.body.tee();
      (async () => {
        const r = copy.pipeThrough(new TextDecoderStream()).getReader();
        for (;;) {
          const { value, done } = await r.read();
          if (value) window.__wharfRecord(value);
          if (done) break;
        }
      })().catch(() => {});
      return new Response(mine, { status: res.status, statusText: res.statusText, headers: res.headers });
    };
  });
}

before(async () => {
  node = await startSshd();
  ca = makeTestCa();
  git = await startGitServer({ ca, users: { alice: GIT_TOKEN } });
  git.addRepo('acme/shop', ['main']);
  node.trustCa(ca.caPem);
  s3 = await startS3({ region: 'us-east-1', buckets: [BUCKET], keys: { [KEY_ID]: { secret: S3_SECRET, deny: [] } } });
  s = await startWharf({ env: { WHARF_EXTRA_CA_FILE: ca.caFile }, args: ['--node-dns-probe', 'localhost', '--min-disk-free-mb', '100'] });
  ada = await signup(s.url, 'ada');
  O = `/api/v1/orgs/${ada.org.slug}`;
  const k = await call('POST', `${O}/ssh-keys`, { name: 'deploy', generate: { type: 'ed25519' } });
  node.authorize(NODE_USER, (await api(s.url, 'GET', `${O}/ssh-keys/${k.id}/public-key`, { token: ada.token })).text);
  const server = await call('POST', `${O}/servers`, { name: 'node-1', host: '127.0.0.1', port: node.port, username: NODE_USER, ssh_key_id: k.id });
  const provider = await call('POST', `${O}/git-providers`, { name: 'gitea', type: 'gitea', base_url: `${git.base}/git`, username: 'alice', token: GIT_TOKEN });
  app = await call('POST', `${O}/applications`, { name: 'shop', server_id: server.id });
  db = await call('POST', `${O}/applications/${app.id}/services`, { name: 'db', type: 'database', database: { engine: 'postgres', version: '16' } });
  web = await call('POST', `${O}/applications/${app.id}/services`, {
    name: 'web', type: 'app', git_provider_id: provider.id, repository: 'acme/shop', branch: 'main', port: 5000,
    variables: [{ key: 'DATABASE_URL', value: '{{ db.DATABASE_URL }}' }, { key: 'SESSION_SECRET', value: '{{ secret(40) }}' }],
  });
  storage = await call('POST', `${O}/backup-storage`, { name: 's3rver', endpoint: s3.endpoint, region: 'us-east-1', bucket: BUCKET,
    prefix: 'ui/', path_style: true, access_key_id: KEY_ID, secret_access_key: S3_SECRET });
  assert.equal((await call('POST', `${O}/backup-storage/${storage.id}/verify`)).ok, true);
  unverified = await call('POST', `${O}/backup-storage`, { name: 'wrong-key', endpoint: s3.endpoint, region: 'us-east-1', bucket: BUCKET,
    path_style: true, access_key_id: KEY_ID, secret_access_key: 'not-the-secret' });
  assert.equal((await call('POST', `${O}/backup-storage/${unverified.id}/verify`)).ok, false);
  browser = await launchBrowser();
  ctx = await newContext(browser, s.url);
  await record(ctx);
  page = await ctx.newPage();
  await uiLogin(page, ada);
});

after(async () => {
  await browser?.close();
  await s?.stop();
  s?.cleanup();
  await s3?.stop();
  await git?.stop();
  ca?.cleanup();
  await node?.cleanup();
});

const DEPLOYMENT_URL = /\/deployments\/[a-z]+_[a-z0-9]+$/;

// Records on the page whether log text containing `text` was shown while the deployment still ran.
async function watchLive(p, text) {
  await p.evaluate((t) => {
    window.__live = false;
    new MutationObserver(() => {
      const d = document.querySelector('[data-testid="deployment"]');
      if (d && d.dataset.status === 'running' && d.textContent.includes(t)) window.__live = true;
    }).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
  }, text);
}

test('deploy the database and the app from their pages: the log streams live to "succeeded"', async () => {
  node.dokkuSleep('postgres:create', 2);  // long enough to see the log while it runs
  try {
    await page.goto(svcUrl(db, 'deployments'));
    await page.getByRole('heading', { name: 'Deployments of db' }).waitFor();
    assert.match(await page.getByTestId('service-crumb').textContent(), /shop.*db.*postgres/);
    assert.equal(await page.getByRole('link', { name: 'Backups' }).count(), 1, 'a database has a Backups tab');
    await page.getByText('No deployments yet').waitFor();
    await watchLive(page, 'postgres:create');
    const stream = page.waitForResponse((r) => /\/deployments\/[a-z]+_[a-z0-9]+\/log$/.test(r.url()));
    await page.getByTestId('deploy').click();
    await page.waitForURL(DEPLOYMENT_URL);
    const sse = await stream;
    assert.equal(sse.status(), 200);
    assert.match(sse.headers()['content-type'], /text\/event-stream/);
    await page.locator('[data-testid="deployment"][data-status="succeeded"]').waitFor({ timeout: 60000 });
    assert.equal(await page.getByTestId('deployment-status').getAttribute('data-status'), 'succeeded');
    const log = await page.getByTestId('deployment-log').textContent();
    assert.match(log, /\$ dokku postgres:create shop-db --image-version 16 --password \[credential\]/);
    assert.equal(await page.evaluate(() => window.__live), true, 'the log appeared while the deployment was running');
    assert.equal(await page.getByTestId('cancel').count(), 0, 'no Cancel once it ended');
    assert.match(await page.getByTestId('who').textContent(), /ada \(you\)/);
    assert.notEqual((await page.getByTestId('duration').textContent()).trim(), '—');
    await shot(page, 'deployment-succeeded');
  } finally {
    node.dokkuSleep('postgres:create', null);
  }

  // The app: its log ends with the git steps.
  await page.goto(svcUrl(web, 'deployments'));
  await page.getByRole('heading', { name: 'Deployments of web' }).waitFor();
  assert.equal(await page.getByRole('link', { name: 'Backups' }).count(), 0, 'an app has no Backups tab');
  await page.getByTestId('deploy').click();
  await page.waitForURL(DEPLOYMENT_URL);
  await page.locator('[data-testid="deployment"][data-status="succeeded"]').waitFor({ timeout: 60000 });
  const log = await page.getByTestId('deployment-log').textContent();
  assert.match(log, /dokku git:auth 127\.0\.0\.1 alice \[credential\]/);
  assert.match(log, /SESSION_SECRET=\[40 bytes\]/);
  assert.match(log, /git:sync/);
  // The follow toggle: on by default, off when unticked.
  const follow = page.getByTestId('follow');
  assert.equal(await follow.isChecked(), true);
  await follow.uncheck();
  assert.equal(await follow.isChecked(), false);
  await follow.check();

  // Redeploy from the list, then the history shows both with trigger, who and duration.
  await page.getByTestId('service-link').click();
  await page.waitForURL(/\/services\/[a-z]+_[a-z0-9]+\/deployments$/);
  await page.getByTestId('action-redeploy').click();
  await page.waitForURL(DEPLOYMENT_URL);
  await page.locator('[data-testid="deployment"][data-status="succeeded"]').waitFor({ timeout: 60000 });
  await page.goto(svcUrl(web, 'deployments'));
  const rows = page.getByTestId('deployments').locator('tbody tr');
  await rows.nth(1).waitFor();
  assert.equal(await rows.count(), 2);
  assert.equal(await rows.nth(0).getAttribute('data-status'), 'succeeded');
  const first = await rows.nth(0).textContent();
  assert.match(first, /redeploy/);
  assert.match(first, /ada \(you\)/);
  assert.doesNotMatch(await rows.nth(0).locator('td[data-label="Duration"]').textContent(), /—/);
  assert.match(await rows.nth(1).textContent(), /deploy.*manual/);
  await shot(page, 'deployments-list');
  assert.deepEqual(ctx.problems, []);
});

test('a failing deploy shows the layer and the fix', async () => {
  node.dokkuFail('git:sync', "remote: HTTP Basic: Access denied\nfatal: Authentication failed for 'https://127.0.0.1/git/acme/shop.git/'");
  try {
    await page.goto(svcUrl(web, 'deployments'));
    await page.getByTestId('deploy').click();
    await page.waitForURL(DEPLOYMENT_URL);
    await page.locator('[data-testid="deployment"][data-status="failed"]').waitFor({ timeout: 60000 });
    const f = page.getByTestId('failure');
    await f.waitFor();
    assert.equal(await f.getAttribute('data-layer'), 'git_token');
    assert.equal(await page.getByTestId('failure-layer').textContent(), 'git_token');
    assert.match(await page.getByTestId('failure-error').textContent(), /git:sync[\s\S]*Authentication failed/);
    assert.match(await page.getByTestId('failure-fix').textContent(), /token/);
    assert.match(await page.getByTestId('failure-help').getAttribute('href'), /\/help\/troubleshooting\/integrations#git-tokens/);
    assert.equal(await page.getByTestId('deployment-status').textContent(), 'failed');
    assert.match(await page.getByTestId('deployment-log').textContent(), /FAILED/);
    await shot(page, 'deployment-failed');
  } finally {
    node.dokkuFail('git:sync', null);
  }
  assert.deepEqual(ctx.problems, []);
});

test('cancel a slow deploy: the badge turns "cancelled" and Cancel goes away', async () => {
  node.dokkuSleep('config:set', 5);
  try {
    await page.goto(svcUrl(web, 'deployments'));
    await page.getByTestId('deploy').click();
    await page.waitForURL(DEPLOYMENT_URL);
    await page.waitForFunction(() => document.querySelector('[data-testid="deployment-log"]')?.textContent.includes('config:set'), null, { timeout: 30000 });
    assert.equal(await page.getByTestId('deployment-status').getAttribute('data-status'), 'running');
    page.once('dialog', (d) => d.accept());
    await page.getByTestId('cancel').click();
    await page.locator('[data-testid="deployment-status"][data-status="cancelled"]').waitFor({ timeout: 30000 });
    assert.match(await page.getByTestId('deployment-log').textContent(), /interrupted the running step 'dokku config:set/, 'the log names the step the cancel interrupted');
    assert.equal(await page.getByTestId('cancel').count(), 0);
    assert.equal(await page.getByTestId('failure').count(), 0);
    await shot(page, 'deployment-cancelled');
  } finally {
    node.dokkuSleep('config:set', null);
  }
  assert.deepEqual(ctx.problems, []);
});

test('back the Postgres service up to s3rver (the unverified storage refused), download it, restore it', async () => {
  const file = node.setDokkuDatabase('postgres', 'shop-db', DUMP);
  await page.goto(svcUrl(db, 'backups'));
  await page.getByRole('heading', { name: 'Backups of db' }).waitFor();
  await page.getByText('No backups yet').waitFor();
  const target = page.getByLabel('Where', { exact: true }).first();
  assert.equal(await target.inputValue(), storage.id, 'the verified storage is the default');

  // The unverified storage: the API refuses, and its message is what the page shows.
  await target.selectOption(unverified.id);
  await page.getByTestId('unverified-hint').waitFor();
  await page.getByTestId('backup').click();
  const alert = page.getByTestId('backup-now').getByRole('alert');
  await alert.waitFor();
  assert.ok((await alert.textContent()).includes(SEED), await alert.textContent());
  assert.match(await alert.textContent(), /Layer: backup_storage/);
  assert.equal(await page.getByTestId('backups').count(), 0, 'nothing was taken');

  await target.selectOption(storage.id);
  await page.getByTestId('backup').click();
  await page.getByRole('status').filter({ hasText: 'Backup queued' }).waitFor();
  const row = page.locator('tr[data-backup]').first();
  await page.locator('tr[data-backup][data-status="succeeded"]').waitFor({ timeout: 60000 });
  const id = await row.getAttribute('data-backup');
  const b = await call('GET', `${O}/applications/${app.id}/services/${db.id}/backups/${id}`);
  assert.equal(b.sha256, sha256(DUMP));
  const text = await row.textContent();
  assert.match(text, /s3rver/);
  assert.ok(text.includes(b.object_key), text);
  assert.equal(await row.getByTestId('size').textContent(), `${DUMP.length}\u00a0B`);
  await shot(page, 'backups');

  // Download: the dump, streamed through Wharf with the session cookie.
  const [dl] = await Promise.all([page.waitForEvent('download'), row.getByTestId('download').click()]);
  assert.equal(sha256(readFileSync(await dl.path())), sha256(DUMP), 'the download is the dump, byte for byte');

  // Restore asks first, then puts the backup's data back on the node.
  node.setDokkuDatabase('postgres', 'shop-db', 'changed after the backup\n');
  let asked = '';
  page.once('dialog', (d) => { asked = d.message(); d.accept(); });
  await row.getByTestId('restore').click();
  await page.getByRole('status').filter({ hasText: 'Restore queued' }).waitFor();
  await row.locator('[data-testid="restore-state"][data-status="succeeded"]').waitFor({ timeout: 60000 });
  assert.match(asked, /REPLACES the data/);
  assert.equal(readFileSync(file, 'utf8'), DUMP, "the node's database holds the backup's data again");
  await shot(page, 'backup-restored');
  assert.deepEqual(ctx.problems, []);
});

test('a backup schedule: retention checked before sending, created (its first backup runs), edited, deleted; a backup deleted', async () => {
  await page.goto(svcUrl(db, 'backups'));
  await page.getByTestId('no-schedule').waitFor();
  let puts = 0;
  const onReq = (r) => { if (r.url().endsWith('/backup-schedule') && r.method() === 'PUT') puts++; };
  page.on('request', onReq);
  await page.getByTestId('edit-schedule').click();
  await page.getByLabel('Frequency').selectOption('daily');
  await page.getByLabel('Keep (retention)').fill('0');
  await page.getByTestId('save-schedule').click();
  await page.getByTestId('retention-error').waitFor();
  assert.equal(puts, 0, 'nothing is sent while retention is out of range');
  await page.getByLabel('Keep (retention)').fill('3');
  assert.equal(await page.locator('#sched-target').inputValue(), storage.id);
  await page.getByTestId('save-schedule').click();
  await page.getByRole('status').filter({ hasText: 'Schedule created' }).waitFor();
  assert.equal(puts, 1);
  assert.equal(await page.getByTestId('schedule-frequency').textContent(), 'daily');
  assert.match(await page.getByTestId('schedule-retention').textContent(), /^3 scheduled backups/);
  // The schedule's first backup runs at once and shows up in the list by itself.
  await page.locator('tr[data-trigger="schedule"][data-status="succeeded"]').waitFor({ timeout: 30000 });
  await page.waitForFunction(() => document.querySelector('[data-testid="schedule-last-run"]')?.textContent.trim() !== '—');
  await shot(page, 'backup-schedule');

  await page.getByTestId('edit-schedule').click();
  assert.equal(await page.getByLabel('Keep (retention)').inputValue(), '3');
  await page.getByLabel('Frequency').selectOption('weekly');
  await page.getByLabel('Keep (retention)').fill('5');
  await page.getByTestId('save-schedule').click();
  await page.getByRole('status').filter({ hasText: 'Schedule saved' }).waitFor();
  await page.getByTestId('schedule-frequency').filter({ hasText: 'weekly' }).waitFor();
  assert.match(await page.getByTestId('schedule-retention').textContent(), /^5 /);
  const sched = await call('GET', `${O}/applications/${app.id}/services/${db.id}/backup-schedule`);
  assert.equal(sched.frequency, 'weekly');
  assert.equal(sched.retention, 5);
  assert.equal(sched.backup_storage_id, storage.id);

  page.once('dialog', (d) => d.accept());
  await page.getByTestId('delete-schedule').click();
  await page.getByTestId('no-schedule').waitFor();
  page.off('request', onReq);

  // Delete the manual backup: the row and the object go.
  const manual = page.locator('tr[data-trigger="manual"]').first();
  const id = await manual.getAttribute('data-backup');
  const key = (await call('GET', `${O}/applications/${app.id}/services/${db.id}/backups/${id}`)).object_key;
  assert.ok((await s3.listStored(BUCKET, 'ui/')).includes(key), 'the object is in the bucket');
  page.once('dialog', (d) => d.accept());
  await manual.getByTestId('delete-backup').click();
  await page.getByRole('status').filter({ hasText: 'Backup deleted' }).waitFor();
  await page.locator(`tr[data-backup="${id}"]`).waitFor({ state: 'detached' });
  assert.ok(!(await s3.listStored(BUCKET, 'ui/')).includes(key), 'the object is gone from the bucket');
  assert.deepEqual(ctx.problems, []);
});

test('a read-only member: lists render, buttons are disabled with the permission named, and a deployment ends under their eyes', async () => {
  const vera = await memberWithRole(s.url, ada, 'vera', { applications: { read: true }, services: { read: true }, backups: { read: true } });
  const vctx = await newContext(browser, s.url);
  await record(vctx);
  const p = await vctx.newPage();
  await uiLogin(p, vera);
  await p.goto(svcUrl(web, 'deployments'));
  await p.getByTestId('deployments').locator('tbody tr').first().waitFor();
  const deploy = p.getByTestId('deploy');
  assert.equal(await deploy.getAttribute('aria-disabled'), 'true');
  assert.equal(await deploy.getAttribute('data-need'), 'services.update');
  await deploy.hover();
  await p.getByRole('tooltip').filter({ hasText: 'services.update' }).waitFor({ state: 'visible' });
  assert.match(await tooltipOf(p, deploy), /Needs the services\.update permission/);
  for (const a of ['redeploy', 'restart', 'stop', 'destroy']) assert.equal(await p.getByTestId(`action-${a}`).getAttribute('aria-disabled'), 'true', a);
  const before = (await call('GET', `${O}/applications/${app.id}/services/${web.id}/deployments`)).items.length;
  await deploy.click({ force: true });
  assert.equal((await call('GET', `${O}/applications/${app.id}/services/${web.id}/deployments`)).items.length, before, 'a disabled button does nothing');
  await shot(p, 'deployments-read-only');

  // A slow deployment Ada started: Vera's Cancel is disabled, and the badge changes when Ada cancels it.
  node.dokkuSleep('config:set', 5);
  try {
    const d = await call('POST', `${O}/applications/${app.id}/services/${web.id}/deployments`, {});
    await p.goto(`${U()}/deployments/${d.id}`);
    const cancel = p.getByTestId('cancel');
    await cancel.waitFor();
    assert.equal(await cancel.getAttribute('aria-disabled'), 'true');
    assert.equal(await cancel.getAttribute('data-need'), 'services.update');
    await p.waitForFunction(() => document.querySelector('[data-testid="deployment-log"]')?.textContent.includes('config:set'), null, { timeout: 30000 });
    await call('POST', `${O}/deployments/${d.id}/cancel`);
    await p.locator('[data-testid="deployment-status"][data-status="cancelled"]').waitFor({ timeout: 30000 });
    assert.equal(await p.getByTestId('cancel').count(), 0);
  } finally {
    node.dokkuSleep('config:set', null);
  }

  await p.goto(svcUrl(db, 'backups'));
  const row = p.locator('tr[data-backup][data-status="succeeded"]').first();
  await row.waitFor();
  for (const [id, need] of [['backup', 'backups.create'], ['edit-schedule', 'backups.update']]) {
    const b = p.getByTestId(id);
    assert.equal(await b.getAttribute('aria-disabled'), 'true', id);
    assert.equal(await b.getAttribute('data-need'), need, id);
    assert.match(await tooltipOf(p, b), new RegExp(need.replace('.', '\\.')));
  }
  assert.equal(await row.getByTestId('restore').getAttribute('data-need'), 'backups.update');
  assert.equal(await row.getByTestId('delete-backup').getAttribute('data-need'), 'backups.delete');
  assert.equal(await row.getByTestId('download').count(), 1, 'backups.read may download');
  assert.match(await p.getByTestId('backup-now').textContent(), /backupStorage\.read/);
  await shot(p, 'backups-read-only');
  assert.deepEqual(vctx.problems, []);
  await vctx.close();

  // Without backups.read the page is the access-denied panel naming it.
  const nobu = await memberWithRole(s.url, ada, 'nobu', { applications: { read: true }, services: { read: true } });
  const nctx = await newContext(browser, s.url);
  await record(nctx);
  const n = await nctx.newPage();
  await uiLogin(n, nobu);
  await n.goto(svcUrl(db, 'backups'));
  await n.getByRole('alert').filter({ hasText: 'backups.read' }).waitFor();
  assert.equal(await n.getByTestId('backups').count(), 0);
  assert.deepEqual(nctx.problems, []);
  await nctx.close();
});

test('usable at 390 px: the deployments list, a deployment with its log and the backups page', async () => {
  const pctx = await newContext(browser, s.url, { width: 390, height: 844 });
  await record(pctx);
  const p = await pctx.newPage();
  await uiLogin(p, ada);
  const last = (await call('GET', `${O}/applications/${app.id}/services/${web.id}/deployments`)).items
    .find((d) => d.status === 'succeeded');
  for (const [name, path] of [['deployments', svcUrl(web, 'deployments')], ['deployment', `${U()}/deployments/${last.id}`], ['backups', svcUrl(db, 'backups')]]) {
    await p.goto(path);
    await p.locator('h1').first().waitFor();
    await p.waitForLoadState('networkidle');
    if (name === 'deployment') await p.locator('[data-testid="deployment"][data-status="succeeded"]').waitFor();
    const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `${name} overflows by ${overflow}px at 390px`);
    await shot(p, `phone-${name}`);
  }
  // Buttons stay reachable: Deploy is on screen and inside the viewport's width.
  await p.goto(svcUrl(web, 'deployments'));
  const box = await p.getByTestId('deploy').boundingBox();
  assert.ok(box && box.x >= 0 && box.x + box.width <= 390, JSON.stringify(box));
  assert.deepEqual(pctx.problems, []);
  await pctx.close();
});

test('no DB password, git token, storage secret or generated secret ever reached the browser', async () => {
  const creds = await call('POST', `${O}/services/${db.id}/reveal-credentials`);
  const vars = await call('GET', `${O}/services/${web.id}/variables?reveal=true`);
  const resolved = Object.fromEntries(vars.items.map((v) => [v.key, v.resolved]));
  assert.ok(creds.password && resolved.SESSION_SECRET && resolved.DATABASE_URL);
  const secrets = { 'the database password': creds.password, 'the DATABASE_URL': resolved.DATABASE_URL,
    'the generated secret': resolved.SESSION_SECRET, 'the git token': GIT_TOKEN, 'the storage secret': S3_SECRET };
  assert.ok(received.length > 30, `responses were recorded (${received.length})`);
  assert.ok(received.some((t) => t.includes('event: end')), 'the SSE streams were recorded');
  const all = received.join('\n');
  assert.ok(all.includes('[credential]'), 'the deployment logs the browser streamed are part of what is checked');
  for (const [what, v] of Object.entries(secrets)) assert.ok(!all.includes(v), `${what} reached the browser`);
});
