// Two-factor sign-in through the API: TOTP enrolment (the server's QR SVG), recovery codes, the
// sign-in's second step, replay refusal, per-user throttling, step-up on sensitive actions, the
// org policy "require two-factor", the operator's reset, and that no secret leaks into answers,
// audit entries or logs. TOTP codes are computed here with node's crypto (lib/totp.mjs).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { startWharf, startMaildev, api, signup, memberWithRole, databaseEnv, WHARF_BIN } from './lib/harness.mjs';
import { totpCodes, stepNow } from './lib/totp.mjs';
import { cliUser } from './lib/cli.mjs';

let s, mail;
const secretsSeen = [];  // every TOTP secret and recovery code handed out, checked against logs at the end
before(async () => {
  mail = await startMaildev();
  s = await startWharf({ smtpPort: mail.smtpPort });
});
after(async () => { await s.stop(); s.cleanup(); mail.stop(); });

// The first email to `to` whose subject matches `rx` (sign-up sends its own mail first).
async function mailTo(to, rx) {
  for (let i = 0; i < 100; i++) {
    const found = (await mail.messages()).find((m) => (m.to || []).some((t) => t.address.toLowerCase() === to.toLowerCase()) && rx.test(m.subject));
    if (found) return found;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no email to ${to} matching ${rx}`);
}

const login = (email, password) => api(s.url, 'POST', '/api/v1/auth/login', { body: { email, password } });

// Signs up and turns TOTP on; returns the user with {codes, recovery}.
async function withTotp(name) {
  const u = await signup(s.url, name);
  const begin = await api(s.url, 'POST', '/api/v1/me/totp', { token: u.token });
  assert.equal(begin.status, 201, begin.text);
  const codes = totpCodes(begin.json.secret);
  const confirm = await api(s.url, 'POST', '/api/v1/me/totp/confirm', { token: u.token, body: { code: await codes.next() } });
  assert.equal(confirm.status, 200, confirm.text);
  secretsSeen.push(begin.json.secret, ...confirm.json.recovery_codes);
  return { ...u, codes, recovery: confirm.json.recovery_codes, secret: begin.json.secret };
}

async function signInWithTotp(u) {
  const first = await login(u.email, u.password);
  assert.equal(first.status, 200, first.text);
  assert.equal(first.json.second_factor_required, true);
  const r = await api(s.url, 'POST', '/api/v1/auth/login/second-factor', { body: { challenge: first.json.challenge, totp_code: await u.codes.next() } });
  assert.equal(r.status, 200, r.text);
  return r.json.token;
}

test('TOTP enrolment: the QR code and manual key come from the server, a first code confirms it', async () => {
  const u = await signup(s.url, 'enrol');
  const begin = await api(s.url, 'POST', '/api/v1/me/totp', { token: u.token });
  assert.equal(begin.status, 201, begin.text);
  assert.match(begin.json.secret, /^[A-Z2-7]{32}$/);
  assert.ok(begin.json.otpauth_uri.startsWith('otpauth://totp/Wharf:'), begin.json.otpauth_uri);
  assert.ok(begin.json.otpauth_uri.includes(`secret=${begin.json.secret}`));
  assert.match(begin.json.qr_svg, /^<\?xml|^<svg/);
  assert.match(begin.json.qr_svg, /<path/);
  secretsSeen.push(begin.json.secret);
  // Not active until confirmed: a password alone still signs in.
  const before = await login(u.email, u.password);
  assert.equal(before.status, 200);
  assert.ok(before.json.token);
  assert.equal(before.json.second_factor_required, undefined);
  // A wrong code is refused, a malformed one names the field.
  const codes = totpCodes(begin.json.secret);
  const wrong = await api(s.url, 'POST', '/api/v1/me/totp/confirm', { token: u.token, body: { code: codes.at(stepNow() + 5) } });
  assert.equal(wrong.status, 401, wrong.text);
  const bad = await api(s.url, 'POST', '/api/v1/me/totp/confirm', { token: u.token, body: { code: 'abc' } });
  assert.equal(bad.status, 400);
  assert.ok(bad.json.error.details.fields.code);
  const code = await codes.next();
  const ok = await api(s.url, 'POST', '/api/v1/me/totp/confirm', { token: u.token, body: { code } });
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.json.recovery_codes.length, 10);
  for (const c of ok.json.recovery_codes) assert.match(c, /^[0-9a-hjkmnp-tv-z]{5}-[0-9a-hjkmnp-tv-z]{5}$/);
  secretsSeen.push(...ok.json.recovery_codes);
  // Enrolling again while active is a conflict; the state shows TOTP on and ten codes, never a secret.
  assert.equal((await api(s.url, 'POST', '/api/v1/me/totp', { token: u.token })).status, 409);
  const state = await api(s.url, 'GET', '/api/v1/me/two-factor', { token: u.token });
  assert.equal(state.json.totp, true);
  assert.equal(state.json.recovery_codes_left, 10);
  assert.ok(!state.text.includes(begin.json.secret));
  // The confirming code cannot be replayed at sign-in.
  const first = await login(u.email, u.password);
  const replay = await api(s.url, 'POST', '/api/v1/auth/login/second-factor', { body: { challenge: first.json.challenge, totp_code: code } });
  assert.equal(replay.status, 401);
  assert.equal(replay.json.error.details.check, 'totp_replay');
  // Audited in the user's org and emailed to the user.
  const audit = await api(s.url, 'GET', `/api/v1/orgs/${u.org.slug}/audit?limit=50`, { token: u.token });
  const ev = audit.json.items.find((e) => e.action === 'auth.totp_enabled');
  assert.ok(ev, audit.text);
  assert.ok(!audit.text.includes(begin.json.secret));
  await mailTo(u.email, /Two-factor sign-in was turned on/);
});

test('sign-in with a second factor: no session after the password, one after the code', async () => {
  const u = await withTotp('second');
  const first = await login(u.email, u.password);
  assert.equal(first.status, 200, first.text);
  assert.equal(first.json.second_factor_required, true);
  assert.deepEqual(first.json.methods, ['totp', 'recovery']);
  assert.equal(first.json.token, undefined);
  assert.equal(first.headers.get('set-cookie'), null);
  assert.match(first.json.challenge, /^whl_/);
  // The challenge is not a session.
  assert.equal((await api(s.url, 'GET', '/api/v1/me', { token: first.json.challenge })).status, 401);
  // A wrong password still answers as before (no hint that a factor exists).
  assert.equal((await login(u.email, 'wrong-password-123')).status, 401);
  const r = await api(s.url, 'POST', '/api/v1/auth/login/second-factor', { body: { challenge: first.json.challenge, totp_code: await u.codes.next() } });
  assert.equal(r.status, 200, r.text);
  assert.ok(r.json.token && r.json.csrf_token);
  assert.match(r.headers.get('set-cookie'), /wharf_session=/);
  const me = await api(s.url, 'GET', '/api/v1/me', { token: r.json.token });
  assert.equal(me.json.user.email, u.email);
  // The challenge opened one session only.
  const again = await api(s.url, 'POST', '/api/v1/auth/login/second-factor', { body: { challenge: first.json.challenge, totp_code: await u.codes.next() } });
  assert.equal(again.status, 401);
  // Exactly one proof per request, named in the error.
  const two = await login(u.email, u.password);
  const none = await api(s.url, 'POST', '/api/v1/auth/login/second-factor', { body: { challenge: two.json.challenge } });
  assert.equal(none.status, 400);
});

test('recovery codes: each signs in once, regenerating needs step-up and replaces them all', async () => {
  const u = await withTotp('recovery');
  const first = await login(u.email, u.password);
  const code = u.recovery[3].toUpperCase().replace('-', ' ');  // typed loosely
  const r = await api(s.url, 'POST', '/api/v1/auth/login/second-factor', { body: { challenge: first.json.challenge, recovery_code: code } });
  assert.equal(r.status, 200, r.text);
  const second = await login(u.email, u.password);
  const reuse = await api(s.url, 'POST', '/api/v1/auth/login/second-factor', { body: { challenge: second.json.challenge, recovery_code: u.recovery[3] } });
  assert.equal(reuse.status, 401);
  assert.equal(reuse.json.error.details.check, 'recovery_code');
  const state = await api(s.url, 'GET', '/api/v1/me/two-factor', { token: r.json.token });
  assert.equal(state.json.recovery_codes_left, 9);
  // The session that signed in with a factor may regenerate (its step-up is fresh).
  const regen = await api(s.url, 'POST', '/api/v1/me/recovery-codes', { token: r.json.token });
  assert.equal(regen.status, 200, regen.text);
  assert.equal(regen.json.recovery_codes.length, 10);
  secretsSeen.push(...regen.json.recovery_codes);
  const third = await login(u.email, u.password);
  const old = await api(s.url, 'POST', '/api/v1/auth/login/second-factor', { body: { challenge: third.json.challenge, recovery_code: u.recovery[0] } });
  assert.equal(old.status, 401);
  const fresh = await api(s.url, 'POST', '/api/v1/auth/login/second-factor', { body: { challenge: third.json.challenge, recovery_code: regen.json.recovery_codes[0] } });
  assert.equal(fresh.status, 200, fresh.text);
  const audit = await api(s.url, 'GET', `/api/v1/orgs/${u.org.slug}/audit?limit=50`, { token: fresh.json.token });
  assert.ok(audit.json.items.some((e) => e.action === 'auth.recovery_code_used'));
  assert.ok(audit.json.items.some((e) => e.action === 'auth.recovery_codes_regenerated'));
});

test('wrong codes are throttled per user', async () => {
  const u = await withTotp('throttle');
  const first = await login(u.email, u.password);
  const wrong = u.codes.at(stepNow() + 10);
  const statuses = [];
  for (let i = 0; i < 6; i++) {
    const r = await api(s.url, 'POST', '/api/v1/auth/login/second-factor', { body: { challenge: first.json.challenge, totp_code: wrong } });
    statuses.push(r.status);
  }
  assert.deepEqual(statuses, [401, 401, 401, 401, 401, 429]);
  // Even a right code waits now; so does step-up on another session of the same user.
  const right = await api(s.url, 'POST', '/api/v1/auth/login/second-factor', { body: { challenge: first.json.challenge, totp_code: u.codes.at(stepNow()) } });
  assert.equal(right.status, 429);
  assert.ok(Number(right.headers.get('retry-after')) > 0);
});

test('step-up: sensitive actions need a factor within 10 minutes, on sessions of users with one', async () => {
  const ada = await signup(s.url, 'stepper');
  // A second session opened before the factor existed has no step-up.
  const older = await login(ada.email, ada.password);
  const stale = older.json.token;
  const begin = await api(s.url, 'POST', '/api/v1/me/totp', { token: ada.token });
  const codes = totpCodes(begin.json.secret);
  secretsSeen.push(begin.json.secret);
  const conf = await api(s.url, 'POST', '/api/v1/me/totp/confirm', { token: ada.token, body: { code: await codes.next() } });
  assert.equal(conf.status, 200);
  secretsSeen.push(...conf.json.recovery_codes);
  const O = `/api/v1/orgs/${ada.org.slug}`;
  const role = await api(s.url, 'POST', `${O}/roles`, { token: ada.token, body: { name: 'Ops', permissions: { servers: { read: true } } } });
  assert.equal(role.status, 201);
  const bob = await memberWithRole(s.url, { ...ada, token: ada.token }, 'bob', { sshKeys: { read: true } });
  const checks = [
    ['POST', '/api/v1/me/tokens', { name: 'ci', org: ada.org.slug }, 'tokens.create'],
    ['PATCH', `${O}/roles/${role.json.id}`, { description: 'changed' }, 'roles.update'],
    ['PATCH', `${O}/members/${bob.user.id}`, { role_id: role.json.id }, 'team.update'],
    ['POST', `${O}/transfer-ownership`, { user_id: bob.user.id }, 'orgs.transfer_ownership'],
    ['DELETE', '/api/v1/me/totp', undefined, 'totp.delete'],
    ['POST', '/api/v1/me/recovery-codes', undefined, 'recovery_codes.create'],
    ['POST', '/api/v1/me/password', { current_password: ada.password, new_password: 'a-new-password-42' }, 'account.password'],
    ['DELETE', O, { confirm: ada.org.slug }, 'orgs.delete'],
  ];
  for (const [method, path, body, action] of checks) {
    const r = await api(s.url, method, path, { token: stale, body });
    assert.equal(r.status, 403, `${method} ${path}: ${r.text}`);
    assert.equal(r.json.error.code, 'step_up_required');
    assert.equal(r.json.error.details.action, action);
  }
  // Password step-up is for accounts without a factor.
  const pw = await api(s.url, 'POST', '/api/v1/auth/step-up', { token: stale, body: { password: ada.password } });
  assert.equal(pw.status, 400);
  const up = await api(s.url, 'POST', '/api/v1/auth/step-up', { token: stale, body: { totp_code: await codes.next() } });
  assert.equal(up.status, 200, up.text);
  const until = Date.parse(up.json.step_up_until);
  assert.ok(until > Date.now() + 9 * 60_000 && until <= Date.now() + 10 * 60_000 + 5000);
  const tok = await api(s.url, 'POST', '/api/v1/me/tokens', { token: stale, body: { name: 'ci', org: ada.org.slug } });
  assert.equal(tok.status, 201, tok.text);
  const patch = await api(s.url, 'PATCH', `${O}/members/${bob.user.id}`, { token: stale, body: { role_id: role.json.id } });
  assert.equal(patch.status, 200, patch.text);
  // An API token is not a session: it needs no step-up.
  assert.equal((await api(s.url, 'PATCH', `${O}/roles/${role.json.id}`, { token: tok.json.token, body: { description: 'x' } })).status, 200);
  // An account without a factor needs none either.
  const carl = await signup(s.url, 'carl');
  assert.equal((await api(s.url, 'POST', '/api/v1/me/tokens', { token: carl.token, body: { name: 'ci', org: carl.org.slug } })).status, 201);
});

test('turning TOTP off needs step-up, is audited and emailed, and the password alone signs in again', async () => {
  const u = await withTotp('disable');
  const token = await signInWithTotp(u);
  await mail.clear();
  const off = await api(s.url, 'DELETE', '/api/v1/me/totp', { token });
  assert.equal(off.status, 204, off.text);
  await mailTo(u.email, /Two-factor sign-in was changed/);
  const again = await login(u.email, u.password);
  assert.equal(again.status, 200);
  assert.ok(again.json.token);
  const state = await api(s.url, 'GET', '/api/v1/me/two-factor', { token });
  assert.equal(state.json.totp, false);
  assert.equal(state.json.recovery_codes_left, 0);  // codes stand in for a factor that is gone
  const audit = await api(s.url, 'GET', `/api/v1/orgs/${u.org.slug}/audit?limit=50`, { token });
  assert.ok(audit.json.items.some((e) => e.action === 'auth.totp_disabled'));
});

test('org policy require_two_factor: members without a factor can only enrol; tokens keep working', async () => {
  const ada = await signup(s.url, 'policy-admin');
  const O = `/api/v1/orgs/${ada.org.slug}`;
  // An Admin without a factor cannot lock themselves out.
  const early = await api(s.url, 'PATCH', O, { token: ada.token, body: { require_two_factor: true } });
  assert.equal(early.status, 409, early.text);
  const bob = await memberWithRole(s.url, ada, 'policy-bob', { sshKeys: { read: true }, team: { read: true } });
  const bobToken = await api(s.url, 'POST', '/api/v1/me/tokens', { token: bob.token, body: { name: 'ci', org: ada.org.slug } });
  assert.equal(bobToken.status, 201);
  const begin = await api(s.url, 'POST', '/api/v1/me/totp', { token: ada.token });
  const codes = totpCodes(begin.json.secret);
  secretsSeen.push(begin.json.secret);
  const conf = await api(s.url, 'POST', '/api/v1/me/totp/confirm', { token: ada.token, body: { code: await codes.next() } });
  secretsSeen.push(...conf.json.recovery_codes);
  const on = await api(s.url, 'PATCH', O, { token: ada.token, body: { require_two_factor: true } });
  assert.equal(on.status, 200, on.text);
  // Bob's session is refused on org routes, with the code the UI shows the enrolment for.
  const denied = await api(s.url, 'GET', `${O}/ssh-keys`, { token: bob.token });
  assert.equal(denied.status, 403, denied.text);
  assert.equal(denied.json.error.code, 'two_factor_required');
  // /me/* still works, so Bob can enrol; his API token keeps working.
  assert.equal((await api(s.url, 'GET', '/api/v1/me', { token: bob.token })).status, 200);
  assert.equal((await api(s.url, 'GET', `${O}/ssh-keys`, { token: bobToken.json.token })).status, 200);
  // The Admin sees who lacks it.
  const status = await api(s.url, 'GET', `${O}/two-factor`, { token: ada.token });
  assert.equal(status.status, 200, status.text);
  assert.equal(status.json.require_two_factor, true);
  const byEmail = Object.fromEntries(status.json.items.map((m) => [m.user.email, m.two_factor]));
  assert.equal(byEmail[ada.email], true);
  assert.equal(byEmail[bob.email], false);
  // Once Bob enrols, the org opens to him.
  const b = await api(s.url, 'POST', '/api/v1/me/totp', { token: bob.token });
  const bcodes = totpCodes(b.json.secret);
  secretsSeen.push(b.json.secret);
  const bc = await api(s.url, 'POST', '/api/v1/me/totp/confirm', { token: bob.token, body: { code: await bcodes.next() } });
  assert.equal(bc.status, 200);
  secretsSeen.push(...bc.json.recovery_codes);
  assert.equal((await api(s.url, 'GET', `${O}/ssh-keys`, { token: bob.token })).status, 200);
  const audit = await api(s.url, 'GET', `${O}/audit?limit=50`, { token: ada.token });
  assert.ok(audit.json.items.some((e) => e.action === 'orgs.require_two_factor'));
});

test('wharf admin reset-2fa removes every factor, audited and emailed', async () => {
  const u = await withTotp('reset');
  await mail.clear();
  const r = spawnSync(WHARF_BIN, ['admin', 'reset-2fa', '--data-dir', s.dataDir, u.email.toUpperCase()], {
    encoding: 'utf8', env: { ...process.env, ...s.env, WHARF_SMTP_URL: `smtp://127.0.0.1:${mail.smtpPort}`, WHARF_SMTP_FROM: 'wharf@test.local' },
  });
  assert.equal(r.status, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /Removed every second factor/);
  const after = await login(u.email, u.password);
  assert.equal(after.status, 200);
  assert.ok(after.json.token, 'the password alone signs in');
  const audit = await api(s.url, 'GET', `/api/v1/orgs/${u.org.slug}/audit?limit=50`, { token: after.json.token });
  const ev = audit.json.items.find((e) => e.action === 'auth.two_factor_reset');
  assert.ok(ev, audit.text);
  assert.equal(ev.actor.email, 'operator');
  await mailTo(u.email, /Two-factor sign-in was reset/);
  const missing = spawnSync(WHARF_BIN, ['admin', 'reset-2fa', '--data-dir', s.dataDir, 'nobody@example.test'], { encoding: 'utf8', env: { ...process.env, ...s.env } });
  assert.notEqual(missing.status, 0);
});

test('wharf login asks for the second factor (the line after the password with --password-stdin)', async () => {
  const u = await withTotp('cli');
  const cli = cliUser('cli2fa');
  try {
    const wrong = await cli.run(['login', s.url, '--email', u.email, '--password-stdin'], { input: `${u.password}\n000000\n` });
    assert.notEqual(wrong.code, 0);
    const ok = await cli.run(['login', s.url, '--email', u.email, '--password-stdin'], { input: `${u.password}\n${await u.codes.next()}\n` });
    assert.equal(ok.code, 0, ok.stderr);
    const who = await cli.json(['whoami']);
    assert.equal(who.user.email, u.email);
    const rec = await cli.run(['login', s.url, '--email', u.email, '--password-stdin', '--name', 'rec'], { input: `${u.password}\n${u.recovery[9]}\n` });
    assert.equal(rec.code, 0, rec.stderr);
  } finally {
    cli.cleanup();
  }
});

test('no TOTP secret or recovery code ever reaches a log line', async () => {
  assert.ok(secretsSeen.length > 20);
  for (const secret of secretsSeen) assert.ok(!s.logs.includes(secret), `a secret is in the server log`);
  for (const m of await mail.messages()) for (const secret of secretsSeen) assert.ok(!(m.text || '').includes(secret));
});
