import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWharf, startMaildev, api, signup, uniqueEmail, freePort } from './lib/harness.mjs';

let s, mail, ada, viewer;
before(async () => {
  mail = await startMaildev();
  s = await startWharf({ smtpPort: mail.smtpPort });
  ada = await signup(s.url, 'ada');
  const r = await api(s.url, 'POST', `/api/v1/orgs/${ada.org.slug}/roles`, {
    token: ada.token, body: { name: 'Viewer', permissions: { sshKeys: { read: true }, team: { read: true } } },
  });
  assert.equal(r.status, 201, r.text);
  viewer = r.json;
});
after(async () => { await s.stop(); s.cleanup(); mail.stop(); });

const tokenOf = (link) => link.split('/invite/')[1];

test('an email invitation arrives over real SMTP and its link joins the invitee with the role', async () => {
  const email = uniqueEmail('bob');
  const inv = await api(s.url, 'POST', `/api/v1/orgs/${ada.org.slug}/invitations`, { token: ada.token, body: { email, role_id: viewer.id } });
  assert.equal(inv.status, 201, inv.text);
  assert.equal(inv.json.email_status, 'sent');
  assert.equal(inv.json.status, 'pending');
  assert.equal(inv.json.role.name, 'Viewer');
  assert.ok(inv.json.link.startsWith(`${s.url}/invite/whi_`));
  const msg = await mail.waitForMessageTo(email);
  assert.match(msg.subject, /invited/);
  const link = msg.text.match(/https?:\/\/\S+\/invite\/whi_[A-Za-z0-9_-]+/)[0];
  const token = tokenOf(link);
  // Opening the link (and the landing page) never consumes it: link-preview bots are harmless.
  for (let i = 0; i < 3; i++) {
    const peek = await api(s.url, 'GET', `/api/v1/invitations/${token}`);
    assert.equal(peek.status, 200);
    assert.equal(peek.json.org.slug, ada.org.slug);
    assert.equal(peek.json.role.name, 'Viewer');
    assert.equal(peek.json.email, email);
  }
  assert.equal((await fetch(link)).status, 200);
  // A wrong account is refused.
  const eve = await signup(s.url, 'eve');
  const wrong = await api(s.url, 'POST', `/api/v1/invitations/${token}/accept`, { token: eve.token });
  assert.equal(wrong.status, 403);
  // The invitee signs up and accepts (email compared ignoring case).
  const bob = await signup(s.url, 'bob', { email: email.toUpperCase() });
  const ok = await api(s.url, 'POST', `/api/v1/invitations/${token}/accept`, { token: bob.token });
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.json.org.slug, ada.org.slug);
  assert.equal(ok.json.role.name, 'Viewer');
  const used = await api(s.url, 'POST', `/api/v1/invitations/${token}/accept`, { token: bob.token });
  assert.equal(used.status, 410);
  assert.equal(used.json.error.code, 'invitation_invalid');
  // Viewer sees lists, cannot create.
  assert.equal((await api(s.url, 'GET', `/api/v1/orgs/${ada.org.slug}/ssh-keys`, { token: bob.token })).status, 200);
  const denied = await api(s.url, 'POST', `/api/v1/orgs/${ada.org.slug}/ssh-keys`, { token: bob.token, body: { name: 'x', public_key: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl' } });
  assert.equal(denied.status, 403);
  assert.equal(denied.json.error.details.permission, 'sshKeys.create');
  assert.equal(denied.json.error.layer, 'permissions');
});

test('copy invitation link rotates the token; the fresh link works like the email', async () => {
  const email = uniqueEmail('cy');
  const inv = await api(s.url, 'POST', `/api/v1/orgs/${ada.org.slug}/invitations`, { token: ada.token, body: { email, role_id: viewer.id } });
  const first = tokenOf(inv.json.link);
  const copied = await api(s.url, 'POST', `/api/v1/orgs/${ada.org.slug}/invitations/${inv.json.id}/link`, { token: ada.token });
  assert.equal(copied.status, 200);
  const second = tokenOf(copied.json.link);
  assert.notEqual(first, second);
  assert.equal((await api(s.url, 'GET', `/api/v1/invitations/${first}`)).status, 410);
  assert.equal((await api(s.url, 'GET', `/api/v1/invitations/${second}`)).status, 200);
  // Sign-up through the link joins in one step.
  const cy = await signup(s.url, 'cy', { email, body: { invitation_token: second } });
  assert.equal(cy.org.slug, ada.org.slug);
  const me = await api(s.url, 'GET', '/api/v1/me', { token: cy.token });
  assert.ok(me.json.orgs.some((o) => o.slug === ada.org.slug && o.role.name === 'Viewer'));
});

test('pending list never shows a token; resend and revoke work; revoked links are invalid', async () => {
  const email = uniqueEmail('dee');
  const inv = await api(s.url, 'POST', `/api/v1/orgs/${ada.org.slug}/invitations`, { token: ada.token, body: { email, role_id: viewer.id } });
  const list = await api(s.url, 'GET', `/api/v1/orgs/${ada.org.slug}/invitations`, { token: ada.token });
  assert.equal(list.status, 200);
  const row = list.json.items.find((i) => i.id === inv.json.id);
  assert.ok(row);
  assert.equal(row.link, undefined);
  assert.ok(!list.text.includes('whi_'));
  await mail.clear();
  const resend = await api(s.url, 'POST', `/api/v1/orgs/${ada.org.slug}/invitations/${inv.json.id}/resend`, { token: ada.token });
  assert.equal(resend.status, 200);
  assert.equal(resend.json.email_status, 'sent');
  const msg = await mail.waitForMessageTo(email);
  const fresh = tokenOf(msg.text.match(/\/invite\/whi_[A-Za-z0-9_-]+/)[0]);
  assert.equal((await api(s.url, 'GET', `/api/v1/invitations/${fresh}`)).status, 200);
  assert.equal((await api(s.url, 'DELETE', `/api/v1/orgs/${ada.org.slug}/invitations/${inv.json.id}`, { token: ada.token })).status, 204);
  const revoked = await api(s.url, 'GET', `/api/v1/invitations/${fresh}`);
  assert.equal(revoked.status, 410);
  assert.equal(revoked.json.error.code, 'invitation_invalid');
});

test('inviting an existing member is a conflict; inviting needs team.update', async () => {
  const email = uniqueEmail('gus');
  const inv = await api(s.url, 'POST', `/api/v1/orgs/${ada.org.slug}/invitations`, { token: ada.token, body: { email, role_id: viewer.id, send_email: false } });
  const gus = await signup(s.url, 'gus', { email, body: { invitation_token: tokenOf(inv.json.link) } });
  const again = await api(s.url, 'POST', `/api/v1/orgs/${ada.org.slug}/invitations`, { token: ada.token, body: { email, role_id: viewer.id } });
  assert.equal(again.status, 409);
  const denied = await api(s.url, 'POST', `/api/v1/orgs/${ada.org.slug}/invitations`, { token: gus.token, body: { email: uniqueEmail('x'), role_id: viewer.id } });
  assert.equal(denied.status, 403);
  assert.equal(denied.json.error.details.permission, 'team.update');
  const bad = await api(s.url, 'POST', `/api/v1/orgs/${ada.org.slug}/invitations`, { token: ada.token, body: { email: 'nope', role_id: viewer.id } });
  assert.equal(bad.status, 400);
  assert.ok(bad.json.error.details.fields.email);
});

test('seat limit counts pending invitations and writes nothing when reached', async () => {
  const owner = await signup(s.url, 'seats');
  const role = await api(s.url, 'POST', `/api/v1/orgs/${owner.org.slug}/roles`, { token: owner.token, body: { name: 'V', permissions: { team: { read: true } } } });
  // Only the instance admin (ada) may set seat limits.
  const notAdmin = await api(s.url, 'PATCH', `/api/v1/admin/orgs/${owner.org.slug}`, { token: owner.token, body: { seat_limit: 2 } });
  assert.equal(notAdmin.status, 403);
  const set = await api(s.url, 'PATCH', `/api/v1/admin/orgs/${owner.org.slug}`, { token: ada.token, body: { seat_limit: 2 } });
  assert.equal(set.status, 200, set.text);
  assert.equal(set.json.seat_limit, 2);
  const one = await api(s.url, 'POST', `/api/v1/orgs/${owner.org.slug}/invitations`, { token: owner.token, body: { email: uniqueEmail('s1'), role_id: role.json.id, send_email: false } });
  assert.equal(one.status, 201);
  const two = await api(s.url, 'POST', `/api/v1/orgs/${owner.org.slug}/invitations`, { token: owner.token, body: { email: uniqueEmail('s2'), role_id: role.json.id, send_email: false } });
  assert.equal(two.status, 403);
  assert.equal(two.json.error.code, 'limit_reached');
  assert.equal(two.json.error.layer, 'seat_limit');
  assert.deepEqual(two.json.error.details, { limit: 2, used: 2 });
  const pending = await api(s.url, 'GET', `/api/v1/orgs/${owner.org.slug}/invitations`, { token: owner.token });
  assert.equal(pending.json.items.length, 1);
  const org = await api(s.url, 'GET', `/api/v1/orgs/${owner.org.slug}`, { token: owner.token });
  assert.equal(org.json.seats_used, 2);
});

test('an SMTP failure keeps the invitation and its link', async () => {
  const closed = await freePort();
  const s2 = await startWharf({ smtpPort: closed });
  try {
    const o = await signup(s2.url, 'o');
    const role = await api(s2.url, 'POST', `/api/v1/orgs/${o.org.slug}/roles`, { token: o.token, body: { name: 'V', permissions: { team: { read: true } } } });
    const inv = await api(s2.url, 'POST', `/api/v1/orgs/${o.org.slug}/invitations`, { token: o.token, body: { email: uniqueEmail('f'), role_id: role.json.id } });
    assert.equal(inv.status, 201, inv.text);
    assert.equal(inv.json.email_status, 'failed');
    assert.match(inv.json.email_error, /SMTP/);
    assert.equal((await api(s2.url, 'GET', `/api/v1/invitations/${tokenOf(inv.json.link)}`)).status, 200);
    const list = await api(s2.url, 'GET', `/api/v1/orgs/${o.org.slug}/invitations`, { token: o.token });
    assert.equal(list.json.items[0].email_status, 'failed');
  } finally { await s2.stop(); s2.cleanup(); }
});

test('without SMTP the email status is disabled; expired invitations answer invitation_expired', async () => {
  const s3 = await startWharf({ args: ['--invitation-ttl-seconds', '1'] });
  try {
    const o = await signup(s3.url, 'o');
    const role = await api(s3.url, 'POST', `/api/v1/orgs/${o.org.slug}/roles`, { token: o.token, body: { name: 'V', permissions: { team: { read: true } } } });
    const email = uniqueEmail('late');
    const inv = await api(s3.url, 'POST', `/api/v1/orgs/${o.org.slug}/invitations`, { token: o.token, body: { email, role_id: role.json.id } });
    assert.equal(inv.json.email_status, 'disabled');
    await new Promise((r) => setTimeout(r, 1300));
    const peek = await api(s3.url, 'GET', `/api/v1/invitations/${tokenOf(inv.json.link)}`);
    assert.equal(peek.status, 410);
    assert.equal(peek.json.error.code, 'invitation_expired');
    const late = await signup(s3.url, 'late', { email });
    const acc = await api(s3.url, 'POST', `/api/v1/invitations/${tokenOf(inv.json.link)}/accept`, { token: late.token });
    assert.equal(acc.status, 410);
    assert.equal(acc.json.error.code, 'invitation_expired');
  } finally { await s3.stop(); s3.cleanup(); }
});

// Invitation emails are sent from the operator's domain on someone else's behalf: they are rate
// limited per organisation and per inviter, and the free-text names in them are made mail-safe.
test('invitations and resends are limited per inviter and per organisation (429 with Retry-After)', async () => {
  const t = await startWharf({ smtpPort: mail.smtpPort, args: ['--invitations-per-org-per-hour', '3', '--invitations-per-user-per-hour', '2'] });
  try {
    const owner = await signup(t.url, 'owner');
    const O = `/api/v1/orgs/${owner.org.slug}`;
    const admin = (await api(t.url, 'GET', `${O}/roles`, { token: owner.token })).json.items.find((r) => r.builtin);
    const invite = (who, email) => api(t.url, 'POST', `${O}/invitations`, { token: who.token, body: { email, role_id: admin.id } });
    const first = await invite(owner, uniqueEmail('i1'));
    assert.equal(first.status, 201, first.text);
    // A resend is an email too.
    assert.equal((await api(t.url, 'POST', `${O}/invitations/${first.json.id}/resend`, { token: owner.token })).status, 200);
    const third = await invite(owner, uniqueEmail('i2'));
    assert.equal(third.status, 429, third.text);
    assert.equal(third.json.error.code, 'rate_limited');
    assert.ok(Number(third.headers.get('retry-after')) > 0);
    assert.match(third.json.error.message, /copy the invitation link instead/);
    const resend = await api(t.url, 'POST', `${O}/invitations/${first.json.id}/resend`, { token: owner.token });
    assert.equal(resend.status, 429);
    // Copying a link sends no email and stays available.
    const copy = await invite(owner, uniqueEmail('i3'));
    assert.equal(copy.status, 429);
    const link = await api(t.url, 'POST', `${O}/invitations`, { token: owner.token, body: { email: uniqueEmail('i4'), role_id: admin.id, send_email: false } });
    assert.equal(link.status, 201, link.text);
    // A second Admin of the same org has their own allowance, but the org's is shared.
    const email = uniqueEmail('co');
    const coInv = await api(t.url, 'POST', `${O}/invitations`, { token: owner.token, body: { email, role_id: admin.id, send_email: false } });
    const co = await signup(t.url, 'co', { email, body: { invitation_token: tokenOf(coInv.json.link) } });
    co.token = co.token || (await api(t.url, 'POST', '/api/v1/auth/login', { body: { email, password: co.password } })).json.token;
    assert.equal((await invite(co, uniqueEmail('c1'))).status, 201);
    const orgFull = await invite(co, uniqueEmail('c2'));
    assert.equal(orgFull.status, 429, orgFull.text);
    assert.match(orgFull.json.error.message, /This organisation sent 3 invitation emails/);
  } finally { await t.stop(); t.cleanup(); }
});

test('the invitation email names the inviter and quotes the organisation name mail-safe (no links, no control characters, at most 60 characters)', async () => {
  const name = 'WIN A PRIZE: log in at https://evil.example/login or www.evil.example or evil.example now';
  const org = await api(s.url, 'POST', '/api/v1/orgs', { token: ada.token, body: { name } });
  assert.equal(org.status, 201, org.text);
  const roles = await api(s.url, 'GET', `/api/v1/orgs/${org.json.slug}/roles`, { token: ada.token });
  const email = uniqueEmail('phish');
  const inv = await api(s.url, 'POST', `/api/v1/orgs/${org.json.slug}/invitations`, { token: ada.token, body: { email, role_id: roles.json.items[0].id } });
  assert.equal(inv.status, 201, inv.text);
  const msg = await mail.waitForMessageTo(email);
  const all = `${msg.subject}\n${msg.text}`;
  assert.doesNotMatch(all, /evil\.example/);
  assert.match(all, /\[link removed\]/);
  const quoted = msg.text.match(/join the organisation "([^"]*)"/)[1];
  assert.ok([...quoted].length <= 61, `quoted name is ${[...quoted].length} characters: ${quoted}`);
  assert.ok(quoted.endsWith('…'));
  assert.ok(msg.text.startsWith(`ada <${ada.email}> invited you`), msg.text.slice(0, 120));
  // The only link in the email is Wharf's own invitation link.
  const links = msg.text.match(/https?:\/\/\S+/g);
  assert.equal(links.length, 1);
  assert.ok(links[0].startsWith(`${s.url}/invite/whi_`));
});

test('open sign-up with SMTP answers the same for a taken and a new address, and mails the owner instead of telling', async () => {
  const fresh = uniqueEmail('fresh');
  const body = (email) => ({ email, password: 'another-long-password', name: 'Someone' });
  const taken = await api(s.url, 'POST', '/api/v1/auth/signup', { body: body(ada.email) });
  const made = await api(s.url, 'POST', '/api/v1/auth/signup', { body: body(fresh) });
  // Before the fix: 409 for the taken address, 201 for the new one.
  assert.equal(taken.status, 202, taken.text);
  assert.equal(made.status, 202, made.text);
  assert.deepEqual(taken.json, made.json);
  assert.equal(taken.json.status, 'check_email');
  assert.equal(taken.headers.get('set-cookie'), made.headers.get('set-cookie'));
  assert.equal(taken.headers.get('set-cookie'), null);
  const tried = await mail.waitForMessageTo(ada.email);
  assert.match(tried.subject, /Someone tried to sign up/);
  assert.match(tried.text, /already has an account/);
  const welcome = await mail.waitForMessageTo(fresh);
  assert.match(welcome.subject, /account is ready/);
  // The taken account is unchanged (its password still works); the new one signs in.
  assert.equal((await api(s.url, 'POST', '/api/v1/auth/login', { body: { email: ada.email, password: ada.password } })).status, 200);
  assert.equal((await api(s.url, 'POST', '/api/v1/auth/login', { body: { email: fresh, password: 'another-long-password' } })).status, 200);
});
