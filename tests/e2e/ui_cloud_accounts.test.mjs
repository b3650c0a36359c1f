// Integrations → AWS accounts in a real browser against a real wharf and RECORDED AWS responses
// (lib/aws_recorded.mjs: STS and EC2 on 127.0.0.1; every request's SigV4 signature is verified
// with AWS's own @aws-sdk/signature-v4 against the configured secret, so a wrong secret is
// refused as AWS refuses it). Test before saving with a wrong then the right secret; add; Verify
// showing each IAM action's check; a key missing two actions shows both with layer aws_iam and
// the fix, kept as the last error, and Diagnose; a temporary key's expiry warning; edit sending
// only what changed; delete. No secret (secret key, session token) is in any API answer the
// browser received, nor in the page after saving. A read-only member sees disabled buttons.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { api, memberWithRole, signup, startWharf } from './lib/harness.mjs';
import { launchBrowser, newContext, shot, tooltipOf, uiLogin } from './lib/browser.mjs';
import { startRecordedAws } from './lib/aws_recorded.mjs';

const secret = () => crypto.randomBytes(30).toString('base64');  // 40 characters, like AWS's
const GOOD = ['AKIAWHARFUIGOOD00001', secret()];
const LIMITED = ['AKIAWHARFUILIMITED01', secret()];
const TEMP = ['ASIAWHARFUISESSION01', secret(), `IQoJb3JpZ2luX2VjE${crypto.randomBytes(60).toString('base64')}`];
const WRONG = secret();
const SECRETS = [GOOD[1], LIMITED[1], TEMP[1], TEMP[2], WRONG];
const ACTIONS = ['sts:GetCallerIdentity', 'ec2:DescribeSecurityGroups', 'ec2:DescribeInstances', 'ec2:RunInstances',
  'ec2:CreateSecurityGroup', 'ec2:AuthorizeSecurityGroupIngress', 'ec2:RevokeSecurityGroupIngress',
  'ec2:AuthorizeSecurityGroupEgress', 'ec2:RevokeSecurityGroupEgress', 'ec2:DeleteSecurityGroup', 'ec2:CreateTags'];

let aws, s, browser, ada, ctx, page;
const O = () => `/o/${ada.org.slug}`;
const bodies = [];  // every API answer the browser received, checked for the secrets

before(async () => {
  aws = await startRecordedAws({ accounts: {
    [GOOD[0]]: { secret: GOOD[1], account: '111122223333', user: 'wharf' },
    [LIMITED[0]]: { secret: LIMITED[1], account: '111122223333', user: 'limited', deny: ['ec2:RunInstances', 'ec2:CreateTags'] },
    [TEMP[0]]: { secret: TEMP[1], sessionToken: TEMP[2], account: '111122223333', user: 'deployer' },
  } });
  s = await startWharf({ args: ['--aws-endpoint-override', aws.url] });
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
  await aws?.stop();
});

const listAccounts = async () => (await api(s.url, 'GET', `/api/v1/orgs/${ada.org.slug}/cloud-accounts`, { token: ada.token })).json.items;
const noSecretsIn = (text, where) => { for (const x of SECRETS) assert.ok(!text.includes(x), `${where} contains a secret (${x.slice(0, 6)}…)`); };
const stepsOf = (loc) => loc.locator('li').evaluateAll((ls) => ls.map((l) => [l.dataset.check, l.dataset.status]));

async function fillForm(p, { name, key, sec, region = 'eu-west-1' }) {
  await p.getByLabel('Name', { exact: true }).fill(name);
  await p.getByLabel('Region', { exact: true }).fill(region);
  await p.getByLabel('Access key id').fill(key);
  await p.getByLabel('Secret access key').fill(sec);
}

test('the AWS accounts tab opens from Integrations and says the keys are for compute, not backups', async () => {
  await page.goto(`${O()}/integrations`);
  await page.getByRole('navigation', { name: 'Integrations' }).getByRole('link', { name: 'AWS accounts' }).click();
  await page.waitForURL(/\/integrations\/cloud-accounts$/);
  await page.getByText('No AWS accounts yet').waitFor();
  assert.match(await page.getByTestId('separate-note').textContent(), /only to provision compute.*Backup storage has its own S3 keys/);
  await page.goto(`${O()}/cloud-accounts`);  // the short URL shows the same tab
  await page.getByText('No AWS accounts yet').waitFor();
});

test('recorded AWS responses: test before saving, a wrong secret fails STS in layer aws_iam with the fix, the right one passes every action; nothing saved', async () => {
  await page.getByTestId('add-cloud-account').click();
  const form = page.getByTestId('cloud-form');
  await form.waitFor();
  const testBtn = page.getByTestId('test-cloud-account');
  assert.match(await tooltipOf(page, testBtn), /Type the access key id first/);
  await fillForm(page, { name: 'prod', key: GOOD[0], sec: WRONG });
  assert.equal(await page.getByLabel('Secret access key').getAttribute('type'), 'password');
  assert.equal(await page.getByLabel('Session token').count(), 0, 'a long-term key has no session token');
  await testBtn.click();
  const rep = form.getByTestId('verify-report');
  await rep.waitFor();
  assert.equal(await rep.getAttribute('data-ok'), 'false');
  const sts = rep.locator('li[data-check="sts:GetCallerIdentity"]');
  assert.equal(await sts.getAttribute('data-status'), 'failed');
  const t = await sts.textContent();
  assert.match(t, /SignatureDoesNotMatch/);
  assert.match(t, /layer aws_iam/);
  assert.match(t, /Fix:/);
  assert.equal(await rep.locator('li[data-check="ec2:RunInstances"]').getAttribute('data-status'), 'skipped');
  await shot(page, 'aws-test-wrong-secret');
  await page.getByLabel('Secret access key').fill(GOOD[1]);
  await testBtn.click();
  await form.locator('[data-testid="verify-report"][data-ok="true"]').waitFor();
  assert.deepEqual(await stepsOf(form.getByTestId('verify-checks')), ACTIONS.map((a) => [a, 'passed']));
  assert.match(await form.getByTestId('verify-report').textContent(), /every action allowed.*Account 111122223333/);
  assert.deepEqual(await listAccounts(), [], 'Test connection saved nothing');
});

test('recorded AWS responses: add; the secret is write-only; Verify shows each IAM action and the identity it found', async () => {
  const created = page.waitForResponse((r) => r.url().endsWith('/cloud-accounts') && r.request().method() === 'POST');
  await page.getByTestId('save-cloud-account').click();
  const res = await created;
  assert.equal(res.status(), 201);
  const body = await res.json();
  assert.deepEqual([body.secret_access_key, body.session_token], [{ set: true }, { set: false }]);
  await page.getByRole('status').filter({ hasText: 'AWS account prod added' }).waitFor();
  const card = page.locator('li[data-cloud-account="prod"]');
  await card.waitFor();
  assert.match(await card.textContent(), /secret stored/);
  assert.equal(await card.getByTestId('verified-state').getAttribute('data-state'), 'unverified');
  noSecretsIn(await page.content(), 'the page');
  await card.getByTestId('verify').click();
  await card.locator('[data-testid="verify-report"][data-ok="true"]').waitFor();
  assert.deepEqual(await stepsOf(card.getByTestId('verify-checks')), ACTIONS.map((a) => [a, 'passed']));
  assert.match(await card.locator('li[data-check="ec2:RunInstances"]').textContent(), /DryRunOperation/);
  await card.locator('[data-testid="verified-state"][data-state="verified"]').waitFor();
  assert.equal(await card.getByTestId('account-id').textContent(), '111122223333');
  assert.match(await card.textContent(), /arn:aws:iam::111122223333:user\/wharf/);
  await shot(page, 'aws-account-verified');
});

test('recorded AWS responses: a key missing two IAM actions lists both with layer aws_iam and the fix; the last error stays; Diagnose leads with them', async () => {
  await page.getByTestId('add-cloud-account').click();
  await fillForm(page, { name: 'limited', key: LIMITED[0], sec: LIMITED[1] });
  await page.getByTestId('save-cloud-account').click();
  const card = page.locator('li[data-cloud-account="limited"]');
  await card.waitFor();
  await card.getByRole('button', { name: 'Verify limited' }).click();
  const rep = card.locator('[data-testid="verify-report"][data-ok="false"]');
  await rep.waitFor();
  const steps = await stepsOf(rep.getByTestId('verify-checks'));
  assert.deepEqual(steps.filter(([, st]) => st === 'failed').map(([n]) => n), ['ec2:RunInstances', 'ec2:CreateTags']);
  assert.equal(steps.filter(([, st]) => st === 'passed').length, ACTIONS.length - 2, 'a missing action fails only its own check');
  assert.match(await rep.getByTestId('missing-actions').textContent(), /ec2:RunInstances.*ec2:CreateTags/);
  const run = await rep.locator('li[data-check="ec2:RunInstances"]').textContent();
  assert.match(run, /UnauthorizedOperation/);
  assert.match(run, /layer aws_iam/);
  assert.match(run, /Fix: Allow the IAM action ec2:RunInstances/);
  await shot(page, 'aws-account-missing-actions');
  await page.reload();
  const last = page.locator('li[data-cloud-account="limited"]').locator('[data-testid="verified-state"][data-state="failed"]');
  await last.waitFor();
  const le = await last.getByTestId('last-error').textContent();
  assert.match(le, /ec2:RunInstances/);
  assert.match(le, /layer aws_iam/);
  assert.match(le, /Fix: Allow the IAM action/);
  const card2 = page.locator('li[data-cloud-account="limited"]');
  await card2.getByTestId('diagnose').click();
  const d = card2.getByTestId('diagnosis');
  await d.waitFor();
  assert.equal(await d.getAttribute('data-layer'), 'aws_iam');
  assert.deepEqual((await stepsOf(d.getByTestId('diagnose-checks'))).slice(0, 2), [['ec2:RunInstances', 'failed'], ['ec2:CreateTags', 'failed']]);
});

test('a temporary key: the session token is asked for, write-only, and its expiry is warned about', async () => {
  await page.getByTestId('add-cloud-account').click();
  await fillForm(page, { name: 'session', key: TEMP[0], sec: TEMP[1] });
  assert.match(await tooltipOf(page, page.getByTestId('test-cloud-account')), /needs its session token/);
  const tok = page.getByLabel('Session token');
  assert.equal(await tok.getAttribute('type'), 'password');
  await tok.fill(TEMP[2]);
  const ends = new Date(Date.now() + 3 * 86400000 + 3600000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  await page.getByLabel('Session expires at (optional)').fill(ends);
  await page.getByTestId('test-cloud-account').click();
  await page.getByTestId('cloud-form').locator('[data-testid="verify-report"][data-ok="true"]').waitFor();
  await page.getByTestId('save-cloud-account').click();
  const card = page.locator('li[data-cloud-account="session"]');
  await card.waitFor();
  assert.match(await card.textContent(), /session token stored/);
  assert.match(await card.getByTestId('expiry').textContent(), /Expires in 3 days/);
  const notice = page.getByTestId('expiring');
  await notice.locator('li[data-expiring="session"]').waitFor();
  assert.match(await notice.textContent(), /session expires in 3 days/);
  noSecretsIn(await page.content(), 'the page');
});

test('edit sends only what changed and never reads a secret back; delete asks first; no secret reached the browser', async () => {
  const card = page.locator('li[data-cloud-account="prod"]');
  await card.getByRole('button', { name: 'Edit prod' }).click();
  await page.getByTestId('cloud-form').waitFor();
  assert.equal(await page.getByLabel('New secret access key (optional)').inputValue(), '');
  assert.equal(await page.getByLabel('Access key id').inputValue(), GOOD[0]);
  assert.match(await tooltipOf(page, page.getByTestId('test-cloud-account')), /never read back/);
  await page.getByLabel('Region', { exact: true }).fill('us-east-1');
  // A new region is a new destination for the stored secret: the form asks for it again.
  await page.getByLabel('Secret access key (required: the region changed)').fill(GOOD[1]);
  const patched = page.waitForResponse((r) => /\/cloud-accounts\/aws_/.test(r.url()) && r.request().method() === 'PATCH');
  await page.getByTestId('save-cloud-account').click();
  assert.deepEqual(JSON.parse((await patched).request().postData()), { region: 'us-east-1', secret_access_key: GOOD[1] });
  await page.getByRole('status').filter({ hasText: 'AWS account prod saved' }).waitFor();
  await card.getByRole('button', { name: 'Verify prod' }).click();
  await card.locator('[data-testid="verify-report"][data-ok="true"]').waitFor();
  assert.match(await card.getByTestId('verify-report').textContent(), /region us-east-1/);
  assert.ok(aws.requests.some((q) => q.key === GOOD[0] && q.region === 'us-east-1'), 'the verify was signed for the new region');

  const lim = page.locator('li[data-cloud-account="limited"]');
  page.once('dialog', (dlg) => dlg.dismiss());
  await lim.getByRole('button', { name: 'Delete limited' }).click();
  assert.equal((await listAccounts()).length, 3, 'dismissing the confirmation keeps it');
  page.once('dialog', (dlg) => dlg.accept());
  await lim.getByRole('button', { name: 'Delete limited' }).click();
  await page.getByRole('status').filter({ hasText: 'AWS account limited removed' }).waitFor();
  await lim.waitFor({ state: 'detached' });
  assert.deepEqual((await listAccounts()).map((a) => a.name).sort(), ['prod', 'session']);

  for (const b of bodies) noSecretsIn(b, 'an API answer');
  noSecretsIn(await page.content(), 'the page');
  noSecretsIn(await page.evaluate(() => JSON.stringify(localStorage) + JSON.stringify(sessionStorage)), 'browser storage');
  assert.deepEqual(ctx.problems, []);
});

test('read-only and no-access members: the list renders, buttons are disabled naming the permission; the access-denied panel', async () => {
  const viewer = await memberWithRole(s.url, ada, 'rita', { cloudProviderAccounts: { read: true } });
  const vctx = await newContext(browser, s.url);
  const p = await vctx.newPage();
  await uiLogin(p, viewer);
  await p.goto(`${O()}/integrations/cloud-accounts`);
  const card = p.locator('li[data-cloud-account="prod"]');
  await card.waitFor();
  const add = p.getByTestId('add-cloud-account');
  assert.equal(await add.getAttribute('data-need'), 'cloudProviderAccounts.create');
  await add.hover();
  await p.getByRole('tooltip').filter({ hasText: 'Needs the cloudProviderAccounts.create permission' }).waitFor({ state: 'visible' });
  for (const [name, need] of [['Verify prod', 'cloudProviderAccounts.update'], ['Diagnose prod', 'cloudProviderAccounts.update'],
    ['Edit prod', 'cloudProviderAccounts.update'], ['Delete prod', 'cloudProviderAccounts.delete']]) {
    const b = card.getByRole('button', { name });
    assert.equal(await b.getAttribute('aria-disabled'), 'true', name);
    assert.equal(await b.getAttribute('data-need'), need, name);
    assert.match(await tooltipOf(p, b), new RegExp(`Needs the ${need.replace('.', '\\.')} permission`));
  }
  assert.equal(await card.getByTestId('verified-state').getAttribute('data-state'), 'verified', 'the list renders with read');
  // A click on a disabled button sends nothing.
  const before = aws.requests.length;
  await card.getByRole('button', { name: 'Verify prod' }).click({ force: true });
  await p.waitForTimeout(300);
  assert.equal(aws.requests.length, before);
  assert.equal(await card.getByTestId('verify-report').count(), 0);
  await shot(p, 'aws-accounts-read-only');
  assert.deepEqual(vctx.problems, []);
  await vctx.close();

  const none = await memberWithRole(s.url, ada, 'nils', { gitProviders: { read: true } });
  const nctx = await newContext(browser, s.url);
  const q = await nctx.newPage();
  await uiLogin(q, none);
  await q.goto(`${O()}/integrations/cloud-accounts`);
  await q.getByRole('alert').filter({ hasText: 'cloudProviderAccounts.read' }).waitFor();
  assert.equal(await q.locator('li[data-cloud-account]').count(), 0);
  // /integrations opens the first tab this member may read: Git providers.
  await q.goto(`${O()}/integrations`);
  await q.waitForURL(/\/integrations\/git-providers$/);
  assert.deepEqual(nctx.problems, []);
  await nctx.close();
});

test('usable at 390 px: the AWS accounts tab and the add form without horizontal scroll', async () => {
  const pctx = await newContext(browser, s.url, { width: 390, height: 844 });
  const p = await pctx.newPage();
  await uiLogin(p, ada);
  await p.goto(`${O()}/integrations/cloud-accounts`);
  await p.locator('li[data-cloud-account="prod"]').waitFor();
  const overflow = () => p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(await overflow() <= 0, `the list overflows by ${await overflow()}px`);
  await shot(p, 'phone-aws-accounts');
  await p.getByTestId('add-cloud-account').click();
  await p.getByTestId('cloud-form').waitFor();
  await p.getByLabel('Access key id').fill(TEMP[0]);
  await p.getByLabel('Session token').waitFor();
  assert.ok(await overflow() <= 0, `the form overflows by ${await overflow()}px`);
  await shot(p, 'phone-aws-account-form');
  assert.deepEqual(pctx.problems, []);
  await pctx.close();
});
