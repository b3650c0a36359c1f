// The API reference at /api/docs: served by the binary, Redoc (bundled from npm, embedded like the
// web UI) renders the server's own /api/v1/openapi.json in Chromium. The page's CSP allows only
// scripts from this origin and <style> elements that carry the answer's nonce: no
// 'unsafe-inline', no 'unsafe-eval', nothing from another origin, and no violation in the console.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { api, startWharf } from './lib/harness.mjs';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { launchBrowser, newContext, SHOTS } from './lib/browser.mjs';

let s, browser;

before(async () => {
  s = await startWharf();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await s?.stop();
  s?.cleanup();
});

function nonceOf(csp) {
  const m = /style-src 'self' 'nonce-([A-Za-z0-9+/=]+)'/.exec(csp || '');
  return m && m[1];
}

test('GET /api/docs answers the page with a fresh nonce, and only this page allows it', async () => {
  const a = await fetch(`${s.url}/api/docs`);
  const b = await fetch(`${s.url}/api/docs`);
  assert.equal(a.status, 200);
  assert.match(a.headers.get('content-type'), /^text\/html/);
  assert.equal(a.headers.get('cache-control'), 'no-store');
  const csp = a.headers.get('content-security-policy');
  const nonce = nonceOf(csp);
  assert.ok(nonce && nonce.length >= 22, `a nonce of 128 bits in ${csp}`);
  assert.notEqual(nonceOf(b.headers.get('content-security-policy')), nonce, 'a new nonce for every answer');
  assert.match(csp, /script-src 'self';/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https?:/);
  const html = await a.text();
  assert.ok(html.includes(`<meta name="csp-nonce" content="${nonce}"`), 'the page carries its nonce');
  assert.ok(!html.includes('__WHARF_CSP_NONCE__'));
  assert.match(html, /<script type="module" crossorigin src="\/assets\/api-docs-[^"]+\.js"><\/script>/);
  // The app's own pages keep their CSP: no nonce, no inline style.
  const ui = await fetch(`${s.url}/o/acme`);
  assert.equal(nonceOf(ui.headers.get('content-security-policy')), null);
  assert.match(ui.headers.get('content-security-policy'), /style-src 'self';/);
  // The template is not served as a plain file.
  const plain = await fetch(`${s.url}/api-docs.html`);
  assert.ok(!(await plain.text()).includes('csp-nonce'));
  // The page is an operation of the document like any other.
  const doc = (await api(s.url, 'GET', '/api/v1/openapi.json')).json;
  assert.equal(doc.paths['/api/docs'].get.operationId, 'getApiReference');
  assert.ok(doc.paths['/api/docs'].get.responses['200'].content['text/html']);
});

test('Chromium renders the operations of the document, search works, and no CSP violation occurs', async () => {
  const ctx = await newContext(browser, s.url);
  const page = await ctx.newPage();
  await page.goto('/api/docs');
  await page.locator('#redoc[data-state="rendered"]').waitFor({ timeout: 60_000 });
  await page.getByRole('heading', { name: /^Wharf API/ }).first().waitFor();
  // Every operation of the document has its section, under its operationId, headed by its summary.
  const doc = (await api(s.url, 'GET', '/api/v1/openapi.json')).json;
  const ops = Object.values(doc.paths).flatMap((item) => Object.values(item));
  assert.ok(ops.length > 200, `${ops.length} operations`);
  assert.equal(await page.locator('[data-section-id^="operation/"]').count(), ops.length, 'every operation has its section');
  for (const id of ['listSshKeys', 'listMyPasskeys', 'rollbackService', 'createNotificationRule', 'getApiReference']) {
    const op = ops.find((o) => o.operationId === id);
    assert.ok(op, id);
    const h = page.locator(`[data-section-id="operation/${id}"] h2`).first();
    assert.equal((await h.textContent()).trim(), op.summary.trim(), `${id} is headed by its summary`);
  }
  // A request body's schema is rendered from the declared Fields (the rollback's version).
  const rollback = page.locator('[data-section-id="operation/rollbackService"]');
  await rollback.getByText('dry_run', { exact: true }).first().waitFor();
  // Redoc's styles arrived through the nonce (the page is laid out, not bare HTML).
  assert.ok(await page.locator('style[nonce]').count() >= 1);
  // Search runs in Redoc's worker (worker-src blob:).
  await page.getByPlaceholder('Search...').fill('passkey');
  await page.locator('[data-role="search:results"] li').first().waitFor();
  // The viewport only: the whole page of 200+ operations is too tall for one screenshot.
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, 'api-docs.png') });
  assert.deepEqual(ctx.problems, []);
  await ctx.close();
});
