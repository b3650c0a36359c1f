// The Notifications page in a real browser (headless Chromium via playwright-core) against a real
// wharf and a local receiver that verifies Standard Webhooks signatures with npm's
// `standardwebhooks`: add a webhook channel (its signing secret shown once, then gone), send a
// test (the channel turns verified), add a rule, see the event in the delivery log, redeliver it
// (the same message id arrives again), rotate the signing secret (the new one shown once with a
// copy button, the old one still verifying until the shown expiry), and no API answer the page
// read carries a secret.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { api, signup, startWharf } from './lib/harness.mjs';
import { launchBrowser, newContext, shot, uiLogin } from './lib/browser.mjs';
import { startReceiver } from './lib/webhook_receiver.mjs';

let s, rx, browser, ada, ctx, page, secret, rotated;
const bodies = [];  // every API answer the browser received

before(async () => {
  rx = await startReceiver();
  s = await startWharf({ args: ['--notify-retry-base-ms', '500'] });
  browser = await launchBrowser();
  ada = await signup(s.url, 'ada');
  ctx = await newContext(browser, s.url);
  page = await ctx.newPage();
  page.on('response', async (r) => {
    if (!r.url().includes('/api/')) return;
    // The creation and rotation answers are the only places a secret is shown.
    const post = r.request().method() === 'POST';
    const shows = post && (r.url().endsWith('/notification-channels') || r.url().endsWith('/rotate-secret'));
    if (!shows) bodies.push(await r.text().catch(() => ''));
  });
  await uiLogin(page, ada);
});

after(async () => {
  await browser?.close();
  await s?.stop();
  s?.cleanup();
  await rx?.stop();
});

const card = () => page.locator('li[data-channel="ui-hook"]');

test('add a webhook channel: the signing secret is shown once, then a test verifies it', async () => {
  await page.goto(`/o/${ada.org.slug}`);
  await page.getByRole('navigation', { name: 'Organisation' }).getByRole('link', { name: 'Notifications' }).click();
  await page.waitForURL(/\/notifications$/);
  await page.getByText('No channels yet.').waitFor();
  await page.getByLabel('Name', { exact: true }).fill('ui-hook');
  await page.getByLabel('Type').selectOption('webhook');
  await page.getByLabel('URL').fill(`${rx.url}/ui-hook`);
  await page.getByTestId('add-channel').click();
  const shown = page.getByTestId('signing-secret');
  await shown.waitFor();
  secret = (await shown.locator('code').first().textContent()).trim();
  assert.match(secret, /^whsec_[A-Za-z0-9+/]+=*$/);
  rx.sign('/ui-hook', secret);
  await card().waitFor();
  assert.equal((await card().getByTestId('verified').textContent()).trim(), 'not verified');
  await shot(page, 'notifications-channel-added');
  await shown.getByRole('button', { name: 'I saved it' }).click();
  await shown.waitFor({ state: 'detached' });
  assert.ok(!(await page.content()).includes(secret), 'the secret leaves the page once saved');

  // The rule form offers verified channels only.
  await page.getByText('rules use verified channels only').waitFor();
  await page.getByRole('button', { name: 'Send test to ui-hook' }).click();
  await page.getByText('Test delivered: ui-hook is verified.').waitFor();
  await card().getByTestId('verified').filter({ hasText: /^verified$/ }).waitFor();
  const got = await rx.waitFor((m) => m.path === '/ui-hook' && m.json?.type === 'test');
  assert.equal(got.verified, true, got.verifyError);
});

test('a rule routes an event to the channel; the delivery log shows it; redeliver sends it again', async () => {
  await page.getByRole('checkbox', { name: 'deployment.failed', exact: true }).uncheck();
  await page.getByRole('checkbox', { name: 'security.token_created', exact: true }).check();
  await page.getByRole('checkbox', { name: 'ui-hook (webhook)' }).check();
  await page.getByLabel('Minimum severity').selectOption('info');
  await page.getByTestId('add-rule').click();
  await page.getByText('Rule added.').waitFor();
  const rules = page.getByTestId('rules');
  await rules.getByRole('cell', { name: 'security.token_created' }).waitFor();
  assert.match(await rules.textContent(), /ui-hook/);

  const tok = await api(s.url, 'POST', '/api/v1/me/tokens', { token: ada.token, body: { name: 'ui-ci', org: ada.org.slug } });
  assert.equal(tok.status, 201, tok.text);
  const first = await rx.waitFor((m) => m.path === '/ui-hook' && m.json?.type === 'security.token_created');
  assert.equal(first.verified, true, first.verifyError);
  assert.match(first.json.data.message, /ui-ci/);
  const id = first.headers['webhook-id'];

  await page.reload();
  const row = page.locator(`tr[data-delivery="${id}"]`);
  await row.waitFor();
  assert.match(await row.textContent(), /security\.token_created/);
  assert.match(await row.textContent(), /ui-hook/);
  assert.match(await row.textContent(), /succeeded/);
  await shot(page, 'notifications-delivery-log');

  await row.getByRole('button', { name: `Redeliver ${id}` }).click();
  await page.getByText(`Delivery ${id} queued again.`).waitFor();
  const again = await rx.waitFor((m) => m.path === '/ui-hook' && m.json?.type === 'security.token_created' && m !== first);
  assert.equal(again.verified, true, again.verifyError);
  assert.equal(again.headers['webhook-id'], id, 'a redelivery keeps the message id');
  // The log shows the second attempt once it is in.
  for (let t0 = Date.now(); ; await new Promise((r) => setTimeout(r, 200))) {
    await page.reload();
    const cells = await page.locator(`tr[data-delivery="${id}"] td`).allTextContents();
    if (cells[3]?.includes('succeeded') && cells[4] === '2') break;
    if (Date.now() - t0 > 10000) throw new Error(`the log never showed the second attempt: ${cells.join(' | ')}`);
  }
  assert.deepEqual(ctx.problems, []);
});

test('rotate the signing secret: confirmed, the new one shown once with a copy button; the old one still verifies', async () => {
  page.once('dialog', (d) => {
    assert.match(d.message(), /Rotate the signing secret of ui-hook\?.*24 hours/);
    d.accept();
  });
  await card().getByRole('button', { name: 'Rotate signing secret of ui-hook' }).click();
  const shown = page.getByTestId('signing-secret');
  await shown.waitFor();
  rotated = (await shown.locator('code').first().textContent()).trim();
  assert.match(rotated, /^whsec_[A-Za-z0-9+/]+=*$/);
  assert.notEqual(rotated, secret);
  assert.match(await shown.textContent(), /New signing secret of ui-hook/);
  assert.match(await shown.getByTestId('old-secret-until').textContent(), /\d/);
  await shown.getByRole('button', { name: 'Copy the signing secret of ui-hook' }).click();
  await page.getByText('Signing secret copied to the clipboard.').waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), rotated);
  await shot(page, 'notifications-secret-rotated');
  await shown.getByRole('button', { name: 'I saved it' }).click();
  await shown.waitFor({ state: 'detached' });
  assert.ok(!(await page.content()).includes(rotated), 'the new secret leaves the page once saved');
  await card().getByTestId('rotation').filter({ hasText: /the old secret also signs until/ }).waitFor();
  assert.equal((await card().getByTestId('verified').textContent()).trim(), 'verified');

  // The receiver still knows only the old secret: a test verifies, and with the new one too.
  const n = rx.got.length;
  await page.getByRole('button', { name: 'Send test to ui-hook' }).click();
  await page.getByText('Test delivered: ui-hook is verified.').waitFor();
  const got = rx.got.slice(n).find((m) => m.path === '/ui-hook' && m.json?.type === 'test');
  assert.ok(got, 'the test message arrived');
  assert.equal(got.verified, true, got.verifyError);
  assert.equal(got.headers['webhook-signature'].split(' ').length, 2);
  rx.sign('/ui-hook', rotated);
  await page.getByRole('button', { name: 'Send test to ui-hook' }).click();
  const next = await rx.waitFor((m) => m.path === '/ui-hook' && m.json?.type === 'test' && m !== got);
  assert.equal(next.verified, true, next.verifyError);
  assert.deepEqual(ctx.problems, []);
});

test('no API answer the page read, and no message sent, carries the signing secret', async () => {
  assert.ok(bodies.length > 5);
  for (const key of [secret.slice(6), rotated.slice(6)]) {
    for (const b of bodies) assert.ok(!b.includes(key), 'an API answer other than the creation or rotation carries a secret');
    for (const m of rx.got) assert.ok(!m.body.includes(key), 'a message carries a secret');
    assert.ok(!s.logs.includes(key), 'the server log carries a secret');
  }
  for (const m of rx.got) assert.ok(!m.body.includes(ada.password), 'a message carries a secret');
});
