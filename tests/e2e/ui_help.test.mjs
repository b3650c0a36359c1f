// The guides in the UI: docs/troubleshooting (and the other docs) served under /help from the
// binary, public, rendered without raw HTML, and reached in one click from an error's layer.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { signup, startWharf } from './lib/harness.mjs';
import { launchBrowser, newContext, shot, uiLogin } from './lib/browser.mjs';

let s, browser, ada;

before(async () => {
  s = await startWharf();
  browser = await launchBrowser();
  ada = await signup(s.url, 'ada');
});

after(async () => {
  await browser?.close();
  await s?.stop();
  s?.cleanup();
});

test('the guides are public: a signed-out visitor reads the worker-node page and follows its links', async () => {
  const ctx = await newContext(browser, s.url);
  const page = await ctx.newPage();
  await page.goto('/help/troubleshooting/servers');
  const doc = page.getByTestId('help-doc');
  await doc.getByRole('heading', { level: 1, name: 'Worker node (SSH) troubleshooting' }).waitFor();
  assert.equal(await doc.getAttribute('data-page'), 'troubleshooting/servers');
  assert.ok(await doc.locator('h2#git-or-ssh').count(), 'headings carry GitHub-style anchors');
  assert.equal(page.url(), `${s.url}/help/troubleshooting/servers`, 'no redirect to sign-in');
  // The index page's table links each layer to its page.
  await page.getByRole('navigation', { name: 'Guides' }).getByRole('link', { name: /which page for which error/ }).click();
  await doc.getByRole('heading', { level: 1, name: 'Troubleshooting' }).waitFor();
  await doc.getByRole('link', { name: 'Worker node (SSH) troubleshooting' }).click();
  await page.waitForURL(/\/help\/troubleshooting\/servers$/);
  await page.goto('/help/no-such-guide');
  await page.getByRole('heading', { name: 'Guide not found' }).waitFor();
  assert.deepEqual(ctx.problems, []);
  await ctx.close();
});

test('a diagnosis links its layer to the guide, and the anchor exists on that page', async () => {
  const ctx = await newContext(browser, s.url);
  const page = await ctx.newPage();
  await uiLogin(page, ada);
  await page.goto(`/o/${ada.org.slug}/troubleshoot`);
  await page.getByLabel('Error text').fill("Error response from daemon: pull access denied for acme/web, repository does not exist or may require 'docker login'");
  await page.getByTestId('diagnose-text').click();
  const d = page.getByTestId('diagnosis');
  await d.waitFor();
  assert.equal(await d.getAttribute('data-layer'), 'registry');
  const link = d.getByTestId('layer-help').first();
  assert.equal(await link.getAttribute('href'), '/help/troubleshooting/integrations#docker-registries-layer-registry');
  await link.click();
  await page.waitForURL(/\/help\/troubleshooting\/integrations#docker-registries-layer-registry$/);
  const h = page.locator('#docker-registries-layer-registry');
  await h.waitFor();
  assert.match(await h.textContent(), /Docker registries/);
  // Signed in, the guide sits inside the app's shell; the org sidebar's Help section links to it.
  await page.getByTestId('org-switcher').waitFor();
  await shot(page, 'help-registry-guide');
  await page.goto(`/o/${ada.org.slug}`);
  assert.equal(await page.getByRole('navigation', { name: 'Organisation' }).getByRole('link', { name: 'Guides' }).getAttribute('href'), '/help/troubleshooting');
  assert.equal(await page.locator('#main').getByRole('link', { name: 'Guides' }).getAttribute('href'), '/help/troubleshooting');
  assert.deepEqual(ctx.problems, []);
  await ctx.close();
});
