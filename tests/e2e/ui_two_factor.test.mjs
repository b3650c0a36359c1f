// The second factors through the web UI in Chromium: enrol the authenticator app from the QR
// page's key, keep the recovery codes, sign in with a code; add a passkey with the browser's
// virtual authenticator and sign in with it, no password. Served at http://localhost:PORT so the
// passkey's RP ID is valid.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWharf, freePort, uniqueEmail } from './lib/harness.mjs';
import { launchBrowser, newContext, uiSignup } from './lib/browser.mjs';
import { totpCodes } from './lib/totp.mjs';

let s, browser, base;
before(async () => {
  const port = await freePort();
  base = `http://localhost:${port}`;
  s = await startWharf({ listen: `127.0.0.1:${port}`, args: ['--public-url', base] });
  browser = await launchBrowser();
});
after(async () => { await browser?.close(); await s.stop(); s.cleanup(); });

async function signOut(page) {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL(/\/login/);
}

test('enrol the authenticator app on the security page, then sign in with its code', async () => {
  const ctx = await newContext(browser, base);
  const page = await ctx.newPage();
  const user = await uiSignup(page, { name: 'Uma', email: uniqueEmail('uma'), password: 'correct-horse-battery-uma' });
  await page.goto('/account/security');
  await page.getByRole('button', { name: 'Set up authenticator app' }).click();
  const qr = page.getByAltText('QR code for your authenticator app');
  await qr.waitFor();
  assert.match(await qr.getAttribute('src'), /^data:image\/svg\+xml;base64,/);
  const codes = totpCodes((await page.getByTestId('totp-secret').textContent()).trim());
  await page.getByLabel('Code from the app').fill(await codes.next());
  await page.getByRole('button', { name: 'Turn on' }).click();
  const recovery = page.getByTestId('recovery-codes');
  await recovery.waitFor();
  assert.equal(await recovery.locator('li').count(), 10);
  await page.getByRole('button', { name: 'I saved them' }).click();
  await page.getByText('On. Sign-in asks for a code from your app.').waitFor();
  await signOut(page);
  // The password, then the code.
  await page.getByLabel('Email', { exact: true }).fill(user.email);
  await page.getByLabel('Password', { exact: true }).fill(user.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Two-factor sign-in' }).waitFor();
  await page.getByLabel('Authentication code').fill('000000');
  await page.getByRole('button', { name: 'Verify' }).click();
  await page.getByRole('alert').first().waitFor();
  await page.getByLabel('Authentication code').fill(await codes.next());
  await page.getByRole('button', { name: 'Verify' }).click();
  await page.waitForURL(/\/o\//);
  // As the org's Admin with a factor, she requires one of every member on the team page.
  const slug = new URL(page.url()).pathname.split('/')[2];
  await page.goto(`/o/${slug}/team`);
  const policy = page.getByTestId('two-factor-policy');
  await policy.getByText('Every member has a second factor.').waitFor();
  await policy.getByRole('checkbox').check();
  await page.reload();
  await page.getByTestId('two-factor-policy').getByText('Every member has a second factor.').waitFor();
  assert.equal(await page.getByTestId('two-factor-policy').getByRole('checkbox').isChecked(), true);
  assert.deepEqual(ctx.problems, []);
  await ctx.close();
});

test('add a passkey on the security page, then sign in with it and no password', async () => {
  const ctx = await newContext(browser, base);
  const page = await ctx.newPage();
  const cdp = await ctx.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true,
      isUserVerified: true, automaticPresenceSimulation: true },
  });
  await uiSignup(page, { name: 'Pia', email: uniqueEmail('pia'), password: 'correct-horse-battery-pia' });
  await page.goto('/account/security');
  await page.getByLabel('Passkey name').fill('This laptop');
  await page.getByRole('button', { name: 'Add passkey' }).click();
  await page.getByRole('cell', { name: 'This laptop', exact: true }).waitFor();
  await signOut(page);
  await page.getByRole('button', { name: 'Continue with a passkey' }).click();
  await page.waitForURL(/\/o\//);
  assert.deepEqual(ctx.problems, []);
  await ctx.close();
});
