// The account itself (issue 24), against a real wharf whose mail goes to a real maildev: name,
// password change (other sessions end, a notice is mailed), sessions (last used, current marked,
// end one or all others; API tokens' last use filled in), forgotten password (the same answer and
// time for unknown addresses, a single-use link that opening does not consume, voided by a
// password change, rate-limited with Retry-After), verified email for open sign-up, email change
// through the new address, deleting an org and the account (409s that name what blocks them), and
// the operator's `wharf admin users …` / `wharf admin reset-password` and the admin API.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { api, apiFrom, signup, startMaildev, startWharf, uniqueEmail, WHARF_BIN } from './lib/harness.mjs';
import { cliUser } from './lib/cli.mjs';
import { totpCodes } from './lib/totp.mjs';

let s, mail, root;
before(async () => {
  mail = await startMaildev();
  s = await startWharf({ smtpPort: mail.smtpPort });
  root = await signup(s.url, 'root');  // the first account: instance administrator, verified
});
after(async () => { await s?.stop(); s?.cleanup(); mail?.stop(); });

const seen = new Set();
// The next email to `to` whose subject matches, not returned before.
async function nextMail(to, subject) {
  const deadline = Date.now() + 10000;
  while (Date.now() < deadline) {
    const all = await mail.messages();
    const m = all.find((x) => !seen.has(x.id) && subject.test(x.subject)
      && (x.to || []).some((t) => t.address.toLowerCase() === to.toLowerCase()));
    if (m) { seen.add(m.id); return m; }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no email to ${to} matching ${subject}`);
}
const linkIn = (m, kind) => {
  const found = (m.text || '').match(new RegExp(`(https?://[^\\s]+/${kind}/(wh[rv]_[A-Za-z0-9_-]+))`));
  assert.ok(found, m.text);
  return { url: found[1], token: found[2] };
};
const login = (u, password = u.password) => api(s.url, 'POST', '/api/v1/auth/login', { body: { email: u.email, password } });
const me = (token) => api(s.url, 'GET', '/api/v1/me', { token });
const adminRun = (args) => spawnSync(WHARF_BIN, ['admin', ...args, '--data-dir', s.dataDir],
  { encoding: 'utf8', env: { ...process.env, ...s.env } });

test('PATCH /me changes the name; a bad name is a 400 naming the field', async () => {
  const u = await signup(s.url, 'nora');
  const r = await api(s.url, 'PATCH', '/api/v1/me', { token: u.token, body: { name: 'Nora Ephron' } });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.name, 'Nora Ephron');
  assert.equal((await me(u.token)).json.user.name, 'Nora Ephron');
  const bad = await api(s.url, 'PATCH', '/api/v1/me', { token: u.token, body: { name: '' } });
  assert.equal(bad.status, 400);
  assert.ok(bad.json.error.details.fields.name, bad.text);
  const unknown = await api(s.url, 'PATCH', '/api/v1/me', { token: u.token, body: { name: 'x y', email: 'a@b.c' } });
  assert.equal(unknown.status, 400);
  assert.ok(unknown.json.error.details.fields.email, unknown.text);
});

test('change password: the current one is needed, weak ones are refused, other sessions end, a notice is mailed', async () => {
  const u = await signup(s.url, 'pat');
  const other = (await login(u)).json.token;
  const wrong = await api(s.url, 'POST', '/api/v1/me/password', { token: u.token, body: { current_password: 'not-it-at-all', new_password: 'a-new-password-2026' } });
  assert.equal(wrong.status, 400);
  assert.ok(wrong.json.error.details.fields.current_password, wrong.text);
  const both = await api(s.url, 'POST', '/api/v1/me/password', { token: u.token, body: {} });
  assert.equal(both.status, 400);
  assert.deepEqual(Object.keys(both.json.error.details.fields).sort(), ['current_password', 'new_password']);
  const local = u.email.split('@')[0];
  const weak = await api(s.url, 'POST', '/api/v1/me/password', { token: u.token, body: { current_password: u.password, new_password: `${local}-2026!` } });
  assert.equal(weak.status, 400);
  assert.match(weak.json.error.details.fields.new_password, /email|name/);
  // An API token cannot change the password.
  const tok = await api(s.url, 'POST', '/api/v1/me/tokens', { token: u.token, body: { name: 'ci', org: u.org.slug } });
  const viaToken = await api(s.url, 'POST', '/api/v1/me/password', { token: tok.json.token, body: { current_password: u.password, new_password: 'another-fine-password' } });
  assert.equal(viaToken.status, 403);

  const ok = await api(s.url, 'POST', '/api/v1/me/password', { token: u.token, body: { current_password: u.password, new_password: 'another-fine-password' } });
  assert.equal(ok.status, 204, ok.text);
  assert.equal((await me(u.token)).status, 200, 'this session stays');
  assert.equal((await me(other)).status, 401, 'every other session ended');
  assert.equal((await login(u)).status, 401);
  assert.equal((await login(u, 'another-fine-password')).status, 200);
  const m = await nextMail(u.email, /password was changed/);
  assert.doesNotMatch(m.text, /another-fine-password/);
});

test('sessions: listed with last use, address and browser, the current one marked; end one, end all others', async () => {
  const u = await signup(s.url, 'sam');
  const second = (await login(u)).json.token;
  const third = (await login(u)).json.token;
  const list = await api(s.url, 'GET', '/api/v1/me/sessions', { token: u.token, headers: { 'user-agent': 'wharf-e2e/1.0' } });
  assert.equal(list.status, 200, list.text);
  assert.equal(list.json.items.length, 3);
  const cur = list.json.items.filter((x) => x.current);
  assert.equal(cur.length, 1);
  for (const x of list.json.items) {
    assert.equal(x.ip, '127.0.0.1');
    assert.ok(x.created_at && x.last_used_at, JSON.stringify(x));
    assert.equal(x.token, undefined);
  }
  // End the second one by id: found through its own listing.
  const mine2 = (await api(s.url, 'GET', '/api/v1/me/sessions', { token: second })).json.items.find((x) => x.current);
  assert.equal((await api(s.url, 'DELETE', `/api/v1/me/sessions/${mine2.id}`, { token: u.token })).status, 204);
  assert.equal((await me(second)).status, 401);
  assert.equal((await api(s.url, 'DELETE', `/api/v1/me/sessions/${mine2.id}`, { token: u.token })).status, 404);
  // Another account's session id is not found.
  const rootSession = (await api(s.url, 'GET', '/api/v1/me/sessions', { token: root.token })).json.items[0];
  assert.equal((await api(s.url, 'DELETE', `/api/v1/me/sessions/${rootSession.id}`, { token: u.token })).status, 404);
  const all = await api(s.url, 'DELETE', '/api/v1/me/sessions', { token: u.token });
  assert.equal(all.status, 200);
  assert.equal(all.json.ended, 1);
  assert.equal((await me(third)).status, 401);
  assert.equal((await me(u.token)).status, 200);
});

test('an API token\'s last use is filled in', async () => {
  const u = await signup(s.url, 'tia');
  const t = await api(s.url, 'POST', '/api/v1/me/tokens', { token: u.token, body: { name: 'ci', org: u.org.slug } });
  assert.equal(t.json.last_used_at, null);
  assert.equal((await api(s.url, 'GET', `/api/v1/orgs/${u.org.slug}`, { token: t.json.token })).status, 200);
  const list = await api(s.url, 'GET', '/api/v1/me/tokens', { token: u.token });
  const row = list.json.items.find((x) => x.id === t.json.id);
  assert.ok(row.last_used_at, JSON.stringify(row));
});

test('forgotten password: same answer for unknown addresses; the link survives opening, works once, ends every session', async () => {
  const u = await signup(s.url, 'rita');
  const other = (await login(u)).json.token;
  const unknown = await api(s.url, 'POST', '/api/v1/auth/password-reset', { body: { email: uniqueEmail('nobody') } });
  const known = await api(s.url, 'POST', '/api/v1/auth/password-reset', { body: { email: u.email.toUpperCase() } });
  assert.equal(unknown.status, 202);
  assert.equal(known.status, 202);
  assert.deepEqual(unknown.json, known.json);
  const m = await nextMail(u.email, /Reset your Wharf password/);
  const { url, token } = linkIn(m, 'reset-password');
  assert.ok(url.startsWith(s.url), url);
  // Opening the page and asking whether the link works uses nothing.
  for (let i = 0; i < 2; i++) {
    const page = await fetch(url);
    assert.equal(page.status, 200);
    const look = await api(s.url, 'GET', `/api/v1/auth/password-reset/${token}`);
    assert.equal(look.status, 200, look.text);
    assert.equal(look.json.email, u.email);
  }
  const weak = await api(s.url, 'POST', `/api/v1/auth/password-reset/${token}`, { body: { new_password: 'short' } });
  assert.equal(weak.status, 400);
  assert.ok(weak.json.error.details.fields.new_password);
  const ok = await api(s.url, 'POST', `/api/v1/auth/password-reset/${token}`, { body: { new_password: 'reset-and-sound-2026' } });
  assert.equal(ok.status, 204, ok.text);
  for (const t of [u.token, other]) assert.equal((await me(t)).status, 401, 'every session ended');
  assert.equal((await login(u, 'reset-and-sound-2026')).status, 200);
  const again = await api(s.url, 'POST', `/api/v1/auth/password-reset/${token}`, { body: { new_password: 'and-once-more-2026' } });
  assert.equal(again.status, 410);
  assert.equal(again.json.error.code, 'link_invalid');
  await nextMail(u.email, /password was reset/);
  // The token never reaches the log; only its hash prefix does.
  assert.ok(!s.logs.includes(token), 'reset token in the server log');
});

test('a reset link is voided by a password change made meanwhile', async () => {
  const u = await signup(s.url, 'vic');
  assert.equal((await api(s.url, 'POST', '/api/v1/auth/password-reset', { body: { email: u.email } })).status, 202);
  const { token } = linkIn(await nextMail(u.email, /Reset your Wharf password/), 'reset-password');
  const session = (await login(u)).json.token;
  const ch = await api(s.url, 'POST', '/api/v1/me/password', { token: session, body: { current_password: u.password, new_password: 'changed-in-between-1' } });
  assert.equal(ch.status, 204, ch.text);
  const r = await api(s.url, 'POST', `/api/v1/auth/password-reset/${token}`, { body: { new_password: 'would-take-over-2026' } });
  assert.equal(r.status, 410);
  assert.equal((await api(s.url, 'GET', `/api/v1/auth/password-reset/${token}`)).status, 410);
  assert.equal((await api(s.url, 'GET', '/api/v1/auth/password-reset/whr_not-a-real-token')).status, 410);
});

test('password reset is rate-limited per address with 429 and Retry-After, the same for unknown addresses', async () => {
  for (const email of [(await signup(s.url, 'lim')).email, uniqueEmail('ghost')]) {
    const codes = [];
    let last;
    for (let i = 0; i < 4; i++) {
      last = await apiFrom('127.0.0.5', s.url, 'POST', '/api/v1/auth/password-reset', { body: { email } });
      codes.push(last.status);
    }
    assert.deepEqual(codes, [202, 202, 202, 429], email);
    assert.equal(last.json.error.code, 'rate_limited');
    assert.ok(Number(last.headers.get('retry-after')) > 0);
  }
  const bad = await api(s.url, 'POST', '/api/v1/auth/password-reset', { body: { email: 'not an address' } });
  assert.equal(bad.status, 400);
  assert.ok(bad.json.error.details.fields.email);
});

test('password reset takes the same time whether or not the account exists', async () => {
  const known = [];
  for (let i = 0; i < 8; i++) {
    // From addresses of their own: the per-address sign-in limit is not what this test is about.
    const email = uniqueEmail(`tim${i}`);
    const r = await apiFrom(`127.0.3.${i + 1}`, s.url, 'POST', '/api/v1/auth/signup', { body: { email, password: 'timing-password-2026', name: 'Tim' } });
    assert.equal(r.status, 202, r.text);
    known.push(email);
  }
  const time = async (email, from) => {
    const t0 = process.hrtime.bigint();
    const r = await apiFrom(from, s.url, 'POST', '/api/v1/auth/password-reset', { body: { email } });
    assert.equal(r.status, 202);
    return Number(process.hrtime.bigint() - t0) / 1e6;
  };
  const a = [], b = [];
  for (let i = 0; i < known.length; i++) {
    // Interleaved, from addresses of their own (the per-address limit is not what is measured).
    a.push(await time(known[i], `127.0.1.${i + 1}`));
    b.push(await time(uniqueEmail('none'), `127.0.2.${i + 1}`));
    await new Promise((r) => setTimeout(r, 100));  // the background sender finishes in between
  }
  const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
  const spread = (xs) => { const ys = [...xs].sort((x, y) => x - y); return ys[ys.length - 2] - ys[1]; };
  const diff = Math.abs(median(a) - median(b));
  const noise = Math.max(spread(a), spread(b), 2);
  assert.ok(diff <= noise, `existing ${median(a).toFixed(2)} ms vs unknown ${median(b).toFixed(2)} ms (noise ${noise.toFixed(2)} ms)`);
});

test('open sign-up: a verification link; until it is opened, no new org; then yes', async () => {
  const email = uniqueEmail('olga');
  const password = 'open-signup-password-1';
  const r = await api(s.url, 'POST', '/api/v1/auth/signup', { body: { email, password, name: 'Olga' } });
  assert.equal(r.status, 202);
  const m = await nextMail(email, /account is ready: verify your address/);
  const { url, token } = linkIn(m, 'verify-email');
  const t = (await login({ email, password })).json.token;
  assert.equal((await me(t)).json.user.email_verified, false);
  const refused = await api(s.url, 'POST', '/api/v1/orgs', { token: t, body: { name: 'Olga Two' } });
  assert.equal(refused.status, 403);
  assert.equal(refused.json.error.details.reason, 'email_unverified');
  assert.equal((await fetch(url)).status, 200);  // the page; the button posts
  assert.equal((await api(s.url, 'POST', `/api/v1/auth/verify-email/${token}`)).status, 204);
  assert.equal((await api(s.url, 'POST', `/api/v1/auth/verify-email/${token}`)).status, 410);
  assert.equal((await me(t)).json.user.email_verified, true);
  assert.equal((await api(s.url, 'POST', '/api/v1/orgs', { token: t, body: { name: 'Olga Two' } })).status, 201);
});

test('an invited sign-up counts as verified', async () => {
  const role = await api(s.url, 'POST', `/api/v1/orgs/${root.org.slug}/roles`, { token: root.token, body: { name: 'Reader', permissions: { team: { read: true } } } });
  const email = uniqueEmail('ivy');
  const inv = await api(s.url, 'POST', `/api/v1/orgs/${root.org.slug}/invitations`, { token: root.token, body: { email, role_id: role.json.id, send_email: false } });
  const r = await api(s.url, 'POST', '/api/v1/auth/signup', { body: { email, password: 'invited-password-1', name: 'Ivy', invitation_token: inv.json.link.split('/invite/')[1] } });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.user.email_verified, true);
});

test('change email: a link to the new address and a notice to the old; the change happens when the link is opened', async () => {
  const u = await signup(s.url, 'eve');
  const t = (await login(u)).json.token;
  const next = uniqueEmail('eve-new');
  const wrongPw = await api(s.url, 'POST', '/api/v1/me/email', { token: t, body: { email: next, password: 'wrong-password-x' } });
  assert.equal(wrongPw.status, 400);
  assert.ok(wrongPw.json.error.details.fields.password);
  const r = await api(s.url, 'POST', '/api/v1/me/email', { token: t, body: { email: next, password: u.password } });
  assert.equal(r.status, 202, r.text);
  await nextMail(u.email, /about to change/);
  const { token } = linkIn(await nextMail(next, /Confirm your new Wharf address/), 'verify-email');
  assert.equal((await me(t)).json.user.email, u.email, 'nothing changes before the link is opened');
  assert.equal((await api(s.url, 'POST', `/api/v1/auth/verify-email/${token}`)).status, 204);
  const after = await me(t);
  assert.equal(after.json.user.email, next);
  assert.equal(after.json.user.email_verified, true);
  await nextMail(u.email, /address was changed/);
  assert.equal((await login({ email: next, password: u.password })).status, 200);
  assert.equal((await login(u)).status, 401);
});

test('delete: refused while owning an org (named); the org needs its owner, its slug typed, and nothing left', async () => {
  const u = await signup(s.url, 'del');
  const t = (await login(u)).json.token;
  const blocked = await api(s.url, 'DELETE', '/api/v1/me', { token: t, body: { password: u.password } });
  assert.equal(blocked.status, 409, blocked.text);
  assert.deepEqual(blocked.json.error.details.orgs.map((o) => o.slug), [u.org.slug]);
  assert.match(blocked.json.error.message, new RegExp(u.org.slug));
  const noConfirm = await api(s.url, 'DELETE', `/api/v1/orgs/${u.org.slug}`, { token: t, body: { confirm: 'nope' } });
  assert.equal(noConfirm.status, 400);
  assert.ok(noConfirm.json.error.details.fields.confirm);
  // A member who is not the owner cannot delete it.
  const role = await api(s.url, 'POST', `/api/v1/orgs/${u.org.slug}/roles`, { token: t, body: { name: 'R', permissions: { team: { read: true } } } });
  const email = uniqueEmail('mem');
  const inv = await api(s.url, 'POST', `/api/v1/orgs/${u.org.slug}/invitations`, { token: t, body: { email, role_id: role.json.id, send_email: false } });
  const mem = await api(s.url, 'POST', '/api/v1/auth/signup', { body: { email, password: 'member-password-1', name: 'Mem', invitation_token: inv.json.link.split('/invite/')[1] } });
  const notOwner = await api(s.url, 'DELETE', `/api/v1/orgs/${u.org.slug}`, { token: mem.json.token, body: { confirm: u.org.slug } });
  assert.equal(notOwner.status, 403);
  // (A server or application left in it blocks, and is named: services/account_test.cc, with a
  // fake node, since a server is only added once Wharf can sign in to it.) SSH keys go with it.
  const key = await api(s.url, 'POST', `/api/v1/orgs/${u.org.slug}/ssh-keys`, { token: t, body: { name: 'k', generate: { type: 'ed25519' } } });
  assert.equal(key.status, 201, key.text);
  const gone = await api(s.url, 'DELETE', `/api/v1/orgs/${u.org.slug}`, { token: t, body: { confirm: u.org.slug } });
  assert.equal(gone.status, 204, gone.text);
  assert.equal((await api(s.url, 'GET', `/api/v1/orgs/${u.org.slug}`, { token: t })).status, 404);
  assert.equal((await api(s.url, 'GET', `/api/v1/orgs/${u.org.slug}`, { token: mem.json.token })).status, 404);
  assert.deepEqual((await me(t)).json.orgs, []);
  // The slug is free again.
  assert.equal((await api(s.url, 'POST', '/api/v1/orgs', { token: root.token, body: { name: 'Reuse', slug: u.org.slug } })).status, 201);

  const wrong = await api(s.url, 'DELETE', '/api/v1/me', { token: t, body: { password: 'not-the-password' } });
  assert.equal(wrong.status, 400);
  const ok = await api(s.url, 'DELETE', '/api/v1/me', { token: t, body: { password: u.password } });
  assert.equal(ok.status, 204, ok.text);
  assert.equal((await me(t)).status, 401);
  assert.equal((await login(u)).status, 401);
  // The address is free for a new account.
  assert.equal((await api(s.url, 'POST', '/api/v1/auth/signup', { body: { email: u.email, password: 'a-fresh-start-2026', name: 'Del' } })).status, 202);
});

test('change password with a second factor: refused without step-up, then done after a fresh one; others end, a notice is mailed', async () => {
  const u = await signup(s.url, 'tfa');
  // Its sign-ins come from a loopback address of their own: the per-address sign-in limit is the
  // other tests' (127.0.0.1).
  const login = (who, password = who.password) =>
    apiFrom('127.0.0.13', s.url, 'POST', '/api/v1/auth/login', { body: { email: who.email, password } });
  // Two sessions opened before the factor existed: neither has a fresh second factor.
  const stale = (await login(u)).json.token;
  const other = (await login(u)).json.token;
  const begin = await api(s.url, 'POST', '/api/v1/me/totp', { token: u.token });
  assert.equal(begin.status, 201, begin.text);
  const codes = totpCodes(begin.json.secret);
  const conf = await api(s.url, 'POST', '/api/v1/me/totp/confirm', { token: u.token, body: { code: await codes.next() } });
  assert.equal(conf.status, 200, conf.text);
  const body = { current_password: u.password, new_password: 'stepped-up-password-2026' };
  const refused = await api(s.url, 'POST', '/api/v1/me/password', { token: stale, body });
  assert.equal(refused.status, 403, refused.text);
  assert.equal(refused.json.error.code, 'step_up_required');
  const up = await api(s.url, 'POST', '/api/v1/auth/step-up', { token: stale, body: { totp_code: await codes.next() } });
  assert.equal(up.status, 200, up.text);
  const ok = await api(s.url, 'POST', '/api/v1/me/password', { token: stale, body });
  assert.equal(ok.status, 204, ok.text);
  assert.equal((await me(stale)).status, 200, 'the stepped-up session stays');
  for (const t of [u.token, other]) assert.equal((await me(t)).status, 401, 'every other session ended');
  const notice = await nextMail(u.email, /Your Wharf password was changed/);
  assert.ok(!notice.text.includes('stepped-up-password-2026'), 'the email does not carry the password');
  // The new password opens the sign-in, which still asks for the second factor.
  const again = await login(u, 'stepped-up-password-2026');
  assert.equal(again.status, 200, again.text);
  assert.equal(again.json.second_factor_required, true);
  assert.equal((await login(u)).status, 401, 'the old password no longer works');
});

test('operator: admin users list | disable | enable | delete, and admin reset-password prints a one-time link', async () => {
  const u = await signup(s.url, 'opx');
  // A session and a token this server has not seen in use yet (so no cached credential; on SQLite a
  // running server re-reads a used one within a minute, the admin API below at once).
  const t = (await login(u)).json.token;
  const tok = (await api(s.url, 'POST', '/api/v1/me/tokens', { token: u.token, body: { name: 'ci', org: u.org.slug } })).json.token;
  const list = adminRun(['users', 'list', '--json']);
  assert.equal(list.status, 0, list.stderr);
  const rows = list.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.ok(rows.some((r) => r.email === u.email && r.status === 'unverified'), list.stdout);
  assert.ok(!list.stdout.includes('argon2'), 'no password hash in the listing');

  const dis = adminRun(['users', 'disable', u.email]);
  assert.equal(dis.status, 0, dis.stderr);
  const refused = await login(u);
  assert.equal(refused.status, 403);
  assert.equal(refused.json.error.details.reason, 'account_disabled');
  const listed = JSON.parse(adminRun(['users', 'list', '--json']).stdout.trim().split('\n').find((l) => l.includes(u.email)));
  assert.equal(listed.status, 'disabled');
  for (const cred of [t, tok]) assert.equal((await me(cred)).status, 401, 'sessions and tokens ended');
  assert.equal(adminRun(['users', 'enable', u.email]).status, 0);
  assert.equal((await login(u)).status, 200);
  for (const cred of [t, tok]) assert.equal((await me(cred)).status, 401, 'old credentials stay ended after enable');

  const link = adminRun(['reset-password', u.email, '--public-url', s.url]);
  assert.equal(link.status, 0, link.stderr);
  const token = link.stdout.trim().split('/reset-password/')[1];
  assert.ok(token?.startsWith('whr_'), link.stdout);
  assert.equal((await api(s.url, 'POST', `/api/v1/auth/password-reset/${token}`, { body: { new_password: 'from-the-operator-1' } })).status, 204);
  assert.equal((await login(u, 'from-the-operator-1')).status, 200);
  assert.equal(adminRun(['reset-password', uniqueEmail('nobody')]).status, 3);

  const blocked = adminRun(['users', 'delete', u.email, '--yes']);
  assert.equal(blocked.status, 5, blocked.stdout);
  assert.match(blocked.stderr, new RegExp(u.org.slug));
});

test('operator: with SMTP in the environment, admin reset-password emails the link (--print prints it instead)', async () => {
  const u = await signup(s.url, 'opmail');
  const smtp = { WHARF_SMTP_URL: `smtp://127.0.0.1:${mail.smtpPort}`, WHARF_SMTP_FROM: 'wharf@test.local' };
  const run = (args, extra = {}) => spawnSync(WHARF_BIN, ['admin', ...args, '--data-dir', s.dataDir],
    { encoding: 'utf8', env: { ...process.env, ...s.env, ...smtp, ...extra } });
  const noUrl = run(['reset-password', u.email], { WHARF_PUBLIC_URL: '' });
  assert.equal(noUrl.status, 2, noUrl.stderr);
  assert.match(noUrl.stderr, /public-url/);
  const sent = run(['reset-password', u.email], { WHARF_PUBLIC_URL: s.url });
  assert.equal(sent.status, 0, sent.stderr);
  assert.match(sent.stdout, /Emailed a one-time reset link/);
  assert.ok(!sent.stdout.includes('whr_') && !sent.stderr.includes('whr_'), 'the link is not printed');
  const { token } = linkIn(await nextMail(u.email, /Reset your Wharf password/), 'reset-password');
  assert.equal((await api(s.url, 'POST', `/api/v1/auth/password-reset/${token}`, { body: { new_password: 'mailed-by-the-operator-1' } })).status, 204);
  assert.equal((await login(u, 'mailed-by-the-operator-1')).status, 200);
  const printed = run(['reset-password', u.email, '--print', '--public-url', s.url]);
  assert.equal(printed.status, 0, printed.stderr);
  assert.match(printed.stdout.trim(), /\/reset-password\/whr_/);
});

test('instance admin API: disabling ends the sessions and tokens at once; others get 403', async () => {
  const u = await signup(s.url, 'api');
  const t = (await login(u)).json.token;
  const tok = (await api(s.url, 'POST', '/api/v1/me/tokens', { token: t, body: { name: 'ci', org: u.org.slug } })).json.token;
  for (const cred of [t, tok]) assert.equal((await api(s.url, 'GET', `/api/v1/orgs/${u.org.slug}`, { token: cred })).status, 200);
  assert.equal((await api(s.url, 'GET', '/api/v1/admin/users', { token: t })).status, 403);
  const users = await api(s.url, 'GET', '/api/v1/admin/users', { token: root.token });
  const row = users.json.items.find((x) => x.email === u.email);
  const dis = await api(s.url, 'POST', `/api/v1/admin/users/${row.id}/disable`, { token: root.token });
  assert.equal(dis.status, 200, dis.text);
  assert.equal(dis.json.disabled, true);
  for (const cred of [t, tok]) assert.equal((await api(s.url, 'GET', `/api/v1/orgs/${u.org.slug}`, { token: cred })).status, 401);
  assert.equal((await api(s.url, 'POST', `/api/v1/admin/users/${row.id}/enable`, { token: root.token })).status, 200);
  assert.equal((await api(s.url, 'DELETE', '/api/v1/admin/users/usr_nope', { token: root.token })).status, 404);
});

test('CLI: wharf account rename | password | sessions | sign-out --others | forgot-password | reset-password; org delete', async () => {
  const u = await signup(s.url, 'cli');
  const c = cliUser('cli');
  try {
    const li = await c.run(['login', s.url, '--email', u.email, '--password-stdin'], { input: `${u.password}\n` });
    assert.equal(li.code, 0, li.stderr);
    const show = await c.json(['account', 'show']);
    assert.equal(show.user.email, u.email);
    assert.equal((await c.json(['account', 'rename', 'Cleo Line'])).name, 'Cleo Line');
    const sessions = await c.json(['account', 'sessions']);
    assert.equal(sessions.filter((x) => x.current).length, 1);
    assert.ok(sessions.length >= 2, 'the sign-up session and the CLI one');
    const out = await c.json(['account', 'sign-out', '--others']);
    assert.ok(out.ended >= 1);
    assert.equal((await me(u.token)).status, 401);
    assert.equal((await c.run(['account', 'sign-out'])).code, 2, 'an id or --others');
    const pw = await c.run(['account', 'password', '--password-stdin'], { input: `${u.password}\nthe-cli-password-2026\n` });
    assert.equal(pw.code, 0, pw.stderr);
    assert.match(pw.stdout, /Every other session/);
    const bad = await c.run(['account', 'password', '--password-stdin'], { input: 'wrong-one-entirely\nyet-another-password\n' });
    assert.equal(bad.code, 1, bad.stderr);
    assert.match(bad.stderr, /current_password: is not your current password/);
    // Signed out: ask for a link, use it from the command line.
    const anon = cliUser('anon');
    try {
      const f = await anon.run(['account', 'forgot-password', u.email, '--url', s.url]);
      assert.equal(f.code, 0, f.stderr);
      const { url } = linkIn(await nextMail(u.email, /Reset your Wharf password/), 'reset-password');
      const r = await anon.run(['account', 'reset-password', url, '--password-stdin'], { input: 'set-from-the-cli-2026\n' });
      assert.equal(r.code, 0, r.stderr);
      assert.equal((await login(u, 'set-from-the-cli-2026')).status, 200);
    } finally { anon.cleanup(); }
    // org delete wants the slug typed again; the CLI's session ended with the reset, so sign in again.
    const li2 = await c.run(['login', s.url, '--email', u.email, '--password-stdin'], { input: 'set-from-the-cli-2026\n' });
    assert.equal(li2.code, 0, li2.stderr);
    assert.equal((await c.run(['org', 'delete', '--org', u.org.slug])).code, 2);
    const del = await c.run(['org', 'delete', '--org', u.org.slug, '--confirm', u.org.slug]);
    assert.equal(del.code, 0, del.stderr);
    const gone = await c.run(['account', 'delete', '--yes', '--password-stdin'], { input: 'set-from-the-cli-2026\n' });
    assert.equal(gone.code, 0, gone.stderr);
    assert.equal((await login(u, 'set-from-the-cli-2026')).status, 401);
  } finally { c.cleanup(); }
});
