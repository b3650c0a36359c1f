// Headless Debian chromium driven by playwright-core (no browser download). Each launch gets a
// fresh user data dir from Playwright; each newContext() is an isolated browser profile.
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { ROOT } from './harness.mjs';

export const CHROMIUM = process.env.WHARF_CHROMIUM || '/usr/bin/chromium';

export async function launchBrowser() {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install the Debian package chromium (make deps-apt)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

// A new isolated context (own cookies and storage) at `width` px, that fails the test on any
// page error or CSP violation, and may read/write the clipboard.
export async function newContext(browser, base, { width = 1280, height = 860 } = {}) {
  const ctx = await browser.newContext({ baseURL: base, viewport: { width, height } });
  await ctx.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
  ctx.problems = [];
  ctx.on('page', (p) => watch(ctx, p));
  return ctx;
}

function watch(ctx, page) {
  page.on('pageerror', (e) => ctx.problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused to/.test(m.text())) ctx.problems.push(`csp: ${m.text()}`);
  });
}

// Screenshots go to build/ui-screenshots (artifacts, not committed), or WHARF_SCREENSHOTS.
export const SHOTS = process.env.WHARF_SCREENSHOTS || path.join(ROOT, 'build/ui-screenshots');
export async function shot(page, name) {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

// Signs up through the UI form; returns {email, password}.
export async function uiSignup(page, { name, email, password }) {
  await page.goto('/signup');
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: /Create account/ }).click();
  await page.waitForURL(/\/o\/[a-z0-9-]+$/);
  return { email, password };
}

export async function uiLogin(page, { email, password }) {
  await page.goto('/login');
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/o\//);
}

// The text of the tooltip a disabled button points to with aria-describedby (it names the
// permission the user lacks, e.g. "Needs the servers.update permission").
export async function tooltipOf(page, button) {
  return (await page.locator(`#${await button.getAttribute('aria-describedby')}`).textContent()).trim();
}
