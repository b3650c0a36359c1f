// Integrations → Backup storage in a real browser, against s3rver behind the SigV4-verifying
// front: the page says the keys are separate from AWS compute accounts, adds a bucket (the secret
// is write-only and never reaches the page again), verifies it step by step, and shows a failing
// step's layer and fix.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { signup, startWharf } from './lib/harness.mjs';
import { launchBrowser, newContext, shot, uiLogin } from './lib/browser.mjs';
import { startS3 } from './lib/s3.mjs';

const SECRET = 'ui-secret-wJalrXUtnFEMI-K7MDENG';
const NODEL = 'ui-nodelete-secret-bPxRfiCYEXAMPLE';
let s, s3, browser, ada;

before(async () => {
  s3 = await startS3({ region: 'eu-west-1', buckets: ['backups'], keys: {
    AKIDUI: { secret: SECRET }, AKIDUINODEL: { secret: NODEL, deny: ['s3:DeleteObject'] } } });
  s = await startWharf();
  browser = await launchBrowser();
  ada = await signup(s.url, 'ada');
});
after(async () => { await browser?.close(); await s?.stop(); s?.cleanup(); await s3?.stop(); });

async function add(page, name, key, secret) {
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByLabel('Endpoint').fill(s3.endpoint);
  await page.getByLabel('Region').fill('eu-west-1');
  await page.getByLabel('Bucket').fill('backups');
  await page.getByLabel('Prefix (optional)').fill('ui');
  await page.getByLabel('Access key id').fill(key);
  await page.getByLabel('Secret access key').fill(secret);
  await page.getByTestId('add-storage').click();
  await page.locator(`li[data-storage="${name}"]`).waitFor();
}

test('add, verify (every step shown), a failing delete step with its layer and fix; the secret never comes back', async () => {
  const ctx = await newContext(browser, s.url);
  const page = await ctx.newPage();
  await uiLogin(page, ada);
  await page.getByRole('navigation', { name: 'Organisation' }).getByRole('link', { name: 'Integrations' }).click();
  await page.getByRole('navigation', { name: 'Integrations' }).getByRole('link', { name: /Backup storage/ }).click();
  await page.getByRole('heading', { name: 'Add backup storage' }).waitFor();
  assert.match(await page.getByTestId('separate-note').textContent(), /separate from the AWS keys of cloud accounts/);

  await add(page, 'offsite', 'AKIDUI', SECRET);
  const card = page.locator('li[data-storage="offsite"]');
  assert.equal((await card.getByTestId('verified').textContent()).trim(), 'not verified');
  assert.match(await card.textContent(), /s3:\/\/backups\/ui\/ at http:\/\/127\.0\.0\.1:\d+/);
  await card.getByRole('button', { name: 'Verify offsite' }).click();
  await card.getByTestId('verify-checks').waitFor();
  const steps = await card.locator('li.check').evaluateAll((els) => els.map((e) => [e.dataset.check, e.dataset.status]));
  assert.deepEqual(steps, [['write', 'passed'], ['read', 'passed'], ['list', 'passed'], ['delete', 'passed']]);
  await page.getByRole('status').filter({ hasText: 'offsite verified' }).waitFor();
  await card.getByTestId('verified').filter({ hasText: /^verified$/ }).waitFor();

  await add(page, 'no-delete', 'AKIDUINODEL', NODEL);
  const bad = page.locator('li[data-storage="no-delete"]');
  await bad.getByRole('button', { name: 'Verify no-delete' }).click();
  const failed = bad.locator('li.check[data-check="delete"][data-status="failed"]');
  await failed.waitFor();
  assert.match(await failed.textContent(), /layer backup_storage/);
  assert.match(await failed.textContent(), /Fix: Allow s3:DeleteObject/);
  await page.reload();
  await bad.getByTestId('last-error').waitFor();
  assert.match(await bad.getByTestId('last-error').textContent(), /Last verify failed at delete/);
  const html = await page.content();
  for (const secret of [SECRET, NODEL]) assert.ok(!html.includes(secret), 'a secret is on the page');
  assert.ok(!(await page.evaluate(() => JSON.stringify(localStorage) + JSON.stringify(sessionStorage))).includes('secret'));
  await shot(page, 'backup-storage');
  assert.deepEqual(ctx.problems, []);
  await ctx.close();
});

test('usable at 390 px: no horizontal page scroll on the backup storage page', async () => {
  const ctx = await newContext(browser, s.url, { width: 390, height: 844 });
  const page = await ctx.newPage();
  await uiLogin(page, ada);
  await page.goto(`/o/${ada.org.slug}/backup-storage`);
  await page.locator('li[data-storage="no-delete"]').waitFor();
  await page.waitForLoadState('networkidle');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page overflows by ${overflow}px at 390px`);
  await shot(page, 'phone-backup-storage');
  assert.deepEqual(ctx.problems, []);
  await ctx.close();
});
