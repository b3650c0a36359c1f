// What a newcomer tripped on in the first hour (issue 24, bugs 1-8), each through the CLI binary or
// HTTP against a real wharf without SMTP: a new account's sign-in never takes another account's
// context, an invited sign-up joins only the inviting org, resend without email leaves the link
// alone, role JSON round-trips, a role offered by pending invitations is not deleted under them,
// unknown commands are named, WHARF_URL + WHARF_TOKEN find the only org, and validation lists
// every bad field at once.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { api, signup, startWharf, uniqueEmail } from './lib/harness.mjs';
import { cliUser } from './lib/cli.mjs';
import { launchBrowser, newContext } from './lib/browser.mjs';

let s, ada, adaCli;
before(async () => {
  s = await startWharf();
  ada = await signup(s.url, 'ada');
  adaCli = cliUser('ada');
  // Signed in under the default context name (host:port), as `wharf login URL` does.
  const r = await adaCli.run(['login', s.url, '--email', ada.email, '--password-stdin'], { input: `${ada.password}\n` });
  assert.equal(r.code, 0, r.stderr);
});
after(async () => { await s?.stop(); s?.cleanup(); adaCli?.cleanup(); });

const O = () => `/api/v1/orgs/${ada.org.slug}`;

async function viewerRole(name) {
  const r = await api(s.url, 'POST', `${O()}/roles`, { token: ada.token, body: { name, permissions: { team: { read: true } } } });
  assert.equal(r.status, 201, r.text);
  return r.json;
}

async function invite(email, roleId) {
  const r = await api(s.url, 'POST', `${O()}/invitations`, { token: ada.token, body: { email, role_id: roleId, send_email: false } });
  assert.equal(r.status, 201, r.text);
  return r.json;
}

test('bug 1: invite accept --new-account saves a new context named after the account, never over another account\'s', async () => {
  const role = await viewerRole('Newcomer');
  const email = uniqueEmail('grace');
  const inv = await invite(email, role.id);
  const before = await adaCli.json(['context', 'list']);
  assert.equal(before.length, 1);
  const adaContext = before[0].name;

  const r = await adaCli.run(['invite', 'accept', inv.link, '--new-account', '--name', 'Grace', '--password-stdin'],
    { input: 'correct-horse-battery-staple\n' });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`context ${email.replace(/[.+]/g, '\\$&')}`));
  const after = await adaCli.json(['context', 'list']);
  const byName = Object.fromEntries(after.map((c) => [c.name, c]));
  assert.equal(byName[adaContext]?.email, ada.email, JSON.stringify(after));
  assert.equal(byName[email]?.email, email, JSON.stringify(after));
  // Ada's context still acts as Ada: leaving from it removes Ada-in-context, not Grace.
  const who = await adaCli.json(['whoami', '--context', adaContext]);
  assert.equal(who.user.email, ada.email);
  // Naming Ada's context explicitly for another new account is refused before anything is created.
  const email2 = uniqueEmail('hal');
  const inv2 = await invite(email2, role.id);
  const clash = await adaCli.run(['invite', 'accept', inv2.link, '--new-account', '--name', 'Hal', '--password-stdin',
    '--context', adaContext], { input: 'correct-horse-battery-staple\n' });
  assert.equal(clash.code, 2, clash.stderr);
  assert.match(clash.stderr, new RegExp(`signed in as ${ada.email.replace(/[.+]/g, '\\$&')}`));
  const login = await api(s.url, 'POST', '/api/v1/auth/login', { body: { email: email2, password: 'correct-horse-battery-staple' } });
  assert.equal(login.status, 401, 'no account was created');
  // The new account's context became the current one, as after `wharf login`; back to Ada's.
  assert.equal((await adaCli.run(['context', 'use', adaContext])).code, 0);
});

test('bug 2: an invited sign-up joins the inviting org only (no personal org)', async () => {
  const role = await viewerRole('Joiner');
  const email = uniqueEmail('ivy');
  const inv = await invite(email, role.id);
  const token = inv.link.split('/invite/')[1];
  const r = await api(s.url, 'POST', '/api/v1/auth/signup', {
    body: { email, password: 'correct-horse-battery-staple', name: 'Ivy', invitation_token: token },
  });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.org.slug, ada.org.slug);
  const me = await api(s.url, 'GET', '/api/v1/me', { token: r.json.token });
  assert.deepEqual(me.json.orgs.map((o) => o.slug), [ada.org.slug]);
  // Her sign-up is in the inviting org's audit log.
  const audit = await api(s.url, 'GET', `${O()}/audit?limit=200`, { token: ada.token });
  assert.ok(audit.json.items.some((e) => e.action === 'auth.signup' && e.resource_id === r.json.user.id), audit.text);
});

test('bug 3: resend without SMTP is refused with the email layer and the link keeps working', async () => {
  const email = uniqueEmail('jo');
  const out = await adaCli.run(['invite', email, '--role', 'Newcomer', '--no-email', '--copy-link']);
  assert.equal(out.code, 0, out.stderr);
  const link = out.stdout.split('\n').find((l) => l.includes('/invite/'));
  const token = link.split('/invite/')[1];
  const r = await adaCli.run(['invite', 'resend', email, '-o', 'json']);
  assert.notEqual(r.code, 0, r.stdout);
  const err = JSON.parse(r.stderr.trim().split('\n').pop()).error;
  assert.equal(err.layer, 'email');
  assert.equal(err.code, 'conflict');
  assert.match(err.message, /still works/);
  const human = await adaCli.run(['invite', 'resend', email]);
  assert.doesNotMatch(human.stdout + human.stderr, /Sent the invitation/);
  assert.equal((await api(s.url, 'GET', `/api/v1/invitations/${token}`)).status, 200, 'the handed-over link still works');
  // Copying a fresh link stays the explicit way to replace it, email or not.
  const fresh = await adaCli.run(['invite', 'link', email]);
  assert.equal(fresh.code, 0, fresh.stderr);
  assert.match(fresh.stdout.trim(), /\/invite\/\S+$/);
  assert.equal((await api(s.url, 'GET', `/api/v1/invitations/${token}`)).status, 410, 'the copied link replaced it');
});

test('bug 4: what `role get -o json` prints, `role create --from-file` accepts back', async () => {
  await adaCli.json(['role', 'create', 'Reader', '--allow', 'servers:r']);
  const got = await adaCli.run(['role', 'get', 'Reader', '-o', 'json']);
  assert.equal(got.code, 0, got.stderr);
  assert.equal(JSON.parse(got.stdout).description, '');
  const file = path.join(adaCli.home, 'r.json');
  writeFileSync(file, got.stdout);
  const copy = await adaCli.run(['role', 'create', 'Reader copy', '--from-file', file, '-o', 'json']);
  assert.equal(copy.code, 0, copy.stderr);
  const c = JSON.parse(copy.stdout);
  assert.equal(c.name, 'Reader copy');
  assert.deepEqual(c.permissions, JSON.parse(readFileSync(file, 'utf8')).permissions);
});

test('bug 5: a role that pending invitations offer is not deleted under them; reassign_to moves them', async () => {
  const doomed = await viewerRole('Doomed');
  const other = await viewerRole('Heir');
  const email = uniqueEmail('kim');
  const inv = await invite(email, doomed.id);
  const refused = await api(s.url, 'DELETE', `${O()}/roles/${doomed.id}`, { token: ada.token });
  assert.equal(refused.status, 409, refused.text);
  assert.equal(refused.json.error.details.invitation_count, 1);
  assert.match(refused.json.error.message, /pending invitation/);
  // The CLI says the same, and the role is still there.
  const cli = await adaCli.run(['role', 'delete', 'Doomed']);
  assert.notEqual(cli.code, 0);
  assert.match(cli.stderr, /pending invitation/);
  const moved = await api(s.url, 'DELETE', `${O()}/roles/${doomed.id}?reassign_to=${other.id}`, { token: ada.token });
  assert.equal(moved.status, 204, moved.text);
  const pending = await api(s.url, 'GET', `${O()}/invitations`, { token: ada.token });
  assert.equal(pending.json.items.find((i) => i.id === inv.id).role.id, other.id);
  const token = inv.link.split('/invite/')[1];
  const joined = await api(s.url, 'POST', '/api/v1/auth/signup', {
    body: { email, password: 'correct-horse-battery-staple', name: 'Kim', invitation_token: token },
  });
  assert.equal(joined.status, 201, joined.text);
  const members = await api(s.url, 'GET', `${O()}/members`, { token: ada.token });
  assert.equal(members.json.items.find((m) => m.user.email === email).role.name, 'Heir');
});

test('bug 6: an unknown command is named, with the nearest command', async () => {
  const sub = await adaCli.run(['role', 'lst']);
  assert.equal(sub.code, 2);
  assert.match(sub.stderr, /Unknown command 'lst' for `wharf role`/);
  assert.match(sub.stderr, /Did you mean `wharf role list`\?/);
  assert.doesNotMatch(sub.stderr, /A subcommand is required/);
  const top = await adaCli.run(['rol', 'list']);
  assert.equal(top.code, 2);
  assert.match(top.stderr, /Unknown command 'rol' for `wharf`/);
  assert.match(top.stderr, /Did you mean `wharf role`\?/);
  // Deeper: `wharf invite`'s own words (an email) are left alone; a leaf's positionals too.
  const deep = await adaCli.run(['member', 'lisst']);
  assert.match(deep.stderr, /Unknown command 'lisst' for `wharf member`\. Did you mean `wharf member list`\?/);
});

test('bug 7: WHARF_URL + WHARF_TOKEN without WHARF_ORG use the only org; with several the error lists them', async () => {
  const tok = await api(s.url, 'POST', '/api/v1/me/tokens', { token: ada.token, body: { name: 'ci', org: ada.org.slug } });
  assert.equal(tok.status, 201, tok.text);
  const bare = cliUser('env');
  try {
    const env = { WHARF_URL: s.url, WHARF_TOKEN: tok.json.token };
    const roles = await bare.run(['role', 'list', '-o', 'json'], { env });
    assert.equal(roles.code, 0, roles.stderr);
    assert.ok(JSON.parse(roles.stdout).some((r) => r.name === 'Admin'));
    // A session of an account with two orgs: the error names both.
    const second = await api(s.url, 'POST', '/api/v1/orgs', { token: ada.token, body: { name: 'Second Org' } });
    assert.equal(second.status, 201, second.text);
    const many = await bare.run(['role', 'list'], { env: { WHARF_URL: s.url, WHARF_TOKEN: ada.token } });
    assert.equal(many.code, 2, many.stderr);
    assert.match(many.stderr, new RegExp(`2 organisations \\(.*${ada.org.slug}.*\\)`));
    assert.match(many.stderr, new RegExp(second.json.slug));
    assert.match(many.stderr, /WHARF_ORG/);
  } finally { bare.cleanup(); }
});

test('bug 8: validation lists every bad field of the body at once', async () => {
  const su = await api(s.url, 'POST', '/api/v1/auth/signup', { body: { email: 'not-an-email', password: 'short', name: '' } });
  assert.equal(su.status, 400, su.text);
  assert.deepEqual(Object.keys(su.json.error.details.fields).sort(), ['email', 'name', 'password']);
  assert.match(su.json.error.message, /and 2 more/);
  const role = await api(s.url, 'POST', `${O()}/roles`, { token: ada.token, body: { name: 7, permissions: 'all', colour: 'red' } });
  assert.equal(role.status, 400, role.text);
  assert.deepEqual(Object.keys(role.json.error.details.fields).sort(), ['colour', 'name', 'permissions']);
  const missing = await api(s.url, 'POST', `${O()}/roles`, { token: ada.token, body: {} });
  assert.deepEqual(Object.keys(missing.json.error.details.fields).sort(), ['name', 'permissions']);
  // Unknown fields are all named too.
  const unknown = await api(s.url, 'POST', '/api/v1/auth/login', { body: { email: ada.email, pasword: 'x', remember: true } });
  assert.equal(unknown.status, 400);
  // The declared body (api/fields.h) also names the required field the typo left out.
  assert.deepEqual(Object.keys(unknown.json.error.details.fields).sort(), ['password', 'pasword', 'remember']);
});

test('bug 8 in the browser: the sign-up form marks every field the server names', async () => {
  const browser = await launchBrowser();
  try {
    const ctx = await newContext(browser, s.url);
    const page = await ctx.newPage();
    await page.goto('/signup');
    await page.getByLabel('Email', { exact: true }).fill('not-an-email');
    await page.getByLabel('Password', { exact: true }).fill('short');
    await page.getByRole('button', { name: /Create account/ }).click();
    await page.locator('#signup-password-err').waitFor();
    for (const id of ['signup-name', 'signup-email', 'signup-password']) {
      assert.equal(await page.locator(`#${id}-err`).count(), 1, id);
      assert.equal(await page.locator(`.field.invalid:has(#${id})`).count(), 1, id);
    }
    assert.deepEqual(ctx.problems, []);
    await ctx.close();
  } finally { await browser.close(); }
});

test('POST /orgs/{org}/leave: a member leaves; the owner and last Admin are refused with 409', async () => {
  const role = await viewerRole('Leaver');
  const email = uniqueEmail('lee');
  const inv = await invite(email, role.id);
  const lee = await api(s.url, 'POST', '/api/v1/auth/signup', {
    body: { email, password: 'correct-horse-battery-staple', name: 'Lee', invitation_token: inv.link.split('/invite/')[1] },
  });
  assert.equal(lee.status, 201, lee.text);
  const owner = await api(s.url, 'POST', `${O()}/leave`, { token: ada.token });
  assert.equal(owner.status, 409, owner.text);
  assert.match(owner.json.error.message, /owner/);
  const left = await api(s.url, 'POST', `${O()}/leave`, { token: lee.json.token });
  assert.equal(left.status, 204, left.text);
  const members = await api(s.url, 'GET', `${O()}/members`, { token: ada.token });
  assert.ok(!members.json.items.some((m) => m.user.email === email));
  assert.equal((await api(s.url, 'POST', `${O()}/leave`, { token: lee.json.token })).status, 404, 'no longer a member');
});
