// A whole team set up with nothing but the `wharf` command line against a real server and a real
// mail server (maildev): the operator bootstraps the first account, signs in, creates an org and
// a role, invites by email with --copy-link, the invitee (no account yet) reads and accepts the
// link with `wharf invite accept --new-account` on a real terminal, and then roles, refusals and
// the audit log, all through the CLI.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startWharf, startMaildev, api, uniqueEmail, databaseEnv, WHARF_BIN } from './lib/harness.mjs';
import { cliUser } from './lib/cli.mjs';

let s, mail, admin, grace;
const adaEmail = uniqueEmail('ada');
const adaPassword = 'ada-long-password-1';
const graceEmail = uniqueEmail('grace');
const gracePassword = 'grace-long-password-2';

before(async () => {
  mail = await startMaildev();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'wharf-journey-'));
  const pwFile = path.join(dataDir, 'pw');
  writeFileSync(pwFile, `${adaPassword}\n`);
  const b = spawnSync(WHARF_BIN, ['admin', 'bootstrap', '--data-dir', dataDir, '--email', adaEmail, '--name', 'Ada', '--password-file', pwFile], { encoding: 'utf8', env: { ...process.env, ...(await databaseEnv(dataDir)) } });
  assert.equal(b.status, 0, b.stderr);
  assert.match(b.stdout, /Created user .* \(instance administrator\) with organisation/);
  // bootstrap makes only the first account: run again (a provisioning script re-run), it changes nothing.
  const again = spawnSync(WHARF_BIN, ['admin', 'bootstrap', '--data-dir', dataDir, '--email', uniqueEmail('eve'), '--name', 'Eve', '--password-file', pwFile], { encoding: 'utf8', env: { ...process.env, ...(await databaseEnv(dataDir)) } });
  assert.equal(again.status, 1, again.stdout);
  assert.match(again.stderr, /already has 1 user; bootstrap creates only the first one/);
  s = await startWharf({ dataDir, smtpPort: mail.smtpPort });
  admin = cliUser('admin');
  grace = cliUser('grace');
});
after(async () => { await s.stop(); s.cleanup(); mail.stop(); admin.cleanup(); grace.cleanup(); });

test('a team journey done only with the CLI', async () => {
  // Sign in (through a real terminal prompt) and create the team's org.
  const login = await admin.pty(['login', s.url], [['Email: ', adaEmail], ['Password: ', adaPassword]]);
  assert.equal(login.code, 0, login.transcript);
  const slug = `acme-${Date.now().toString(36)}`;
  const org = await admin.json(['org', 'create', 'Acme', '--slug', slug, '--use']);
  assert.equal(org.slug, slug);
  assert.equal((await admin.json(['org', 'list'])).length, 2, 'the bootstrap org and Acme; no user was added by the second bootstrap');
  assert.equal((await admin.json(['org', 'show'])).seats_used, 1);

  // A Developer role from flags, and a Viewer role.
  const dev = await admin.json(['role', 'create', 'Developer', '--allow', 'services:cru', '--allow', 'servers:r',
    '--allow', 'sshKeys:cr', '--allow', 'team:r', '--scope', 'servers=own', '--create-limit', 'sshKeys=2']);
  assert.equal(dev.permissions.sshKeys.create_limit, 2);
  const viewer = await admin.json(['role', 'create', 'Viewer', '--allow', '*:r']);

  // Invite Grace by email and copy the link.
  const inv = await admin.run(['invite', graceEmail, '--role', 'Developer', '--copy-link']);
  assert.equal(inv.code, 0, inv.stderr);
  assert.match(inv.stdout, new RegExp(`Invited ${graceEmail.replace(/\./g, '\\.')} as Developer \\(email: sent`));
  const link = inv.stdout.split('\n').find((l) => l.includes('/invite/'));
  assert.ok(link && link.startsWith(`${s.url}/invite/`), inv.stdout);
  const email = await mail.waitForMessageTo(graceEmail);
  assert.match(email.subject, /Acme/);
  // The copied link and the emailed one are for the same invitation; the copy is what Grace uses.
  const listed = await admin.json(['invite', 'list']);
  assert.deepEqual(listed.map((i) => i.email), [graceEmail]);
  assert.equal(listed[0].email_status, 'sent');

  // Grace, who has no account and has never signed in, reads the invitation (without using it),
  // then accepts it with the CLI: the account is created on a real terminal (password not echoed),
  // she joins, and she is signed in with the org as her default.
  const peek = await grace.json(['invite', 'show', link]);
  assert.equal(peek.org.slug, slug);
  assert.equal(peek.email, graceEmail);
  assert.equal(peek.role.name, 'Developer');
  const notYet = await grace.run(['invite', 'accept', link]);
  assert.equal(notYet.code, 3, notYet.stderr);
  assert.match(notYet.stderr, /--new-account/);
  const joined = await grace.pty(['invite', 'accept', link, '--new-account'],
    [['Your name: ', 'Grace'], ['Choose a password', gracePassword], ['Repeat the password: ', gracePassword]]);
  assert.equal(joined.code, 0, joined.transcript);
  assert.ok(!joined.transcript.includes(gracePassword), `the password must not be echoed: ${joined.transcript}`);
  assert.match(joined.transcript, new RegExp(`joined Acme \\(${slug}\\) as Developer`));
  const gwho = await grace.json(['whoami']);
  assert.equal(gwho.user.email, graceEmail);
  assert.equal((await grace.json(['context', 'list']))[0].org, slug);
  // The link is used up; her password works for a plain login too.
  assert.equal((await grace.run(['invite', 'show', link])).code, 1);
  const gl = await grace.run(['login', s.url, '--email', graceEmail, '--password-stdin', '--org', slug], { input: `${gracePassword}\n` });
  assert.equal(gl.code, 0, gl.stderr);

  // The admin sees two members; Grace holds Developer.
  const members = await admin.json(['member', 'list']);
  assert.equal(members.length, 2);
  const g = members.find((m) => m.user.email === graceEmail);
  assert.equal(g.role.name, 'Developer');
  assert.equal((await admin.json(['invite', 'list'])).length, 0);
  const table = await admin.run(['member', 'list']);
  assert.match(table.stdout, /^EMAIL\s+NAME\s+ROLE\s+OWNER\s+JOINED\s+USER ID$/m);
  assert.match(table.stdout, new RegExp(`${graceEmail.replace(/\./g, '\\.')}\\s+Grace\\s+Developer`));

  // Grace may read the team but not change it: exit 4 naming the permission.
  assert.equal((await grace.json(['member', 'list'])).length, 2);
  const denied = await grace.run(['member', 'set-role', adaEmail, viewer.id]);
  assert.equal(denied.code, 4, denied.stderr);
  assert.match(denied.stderr, /missing permission: team\.update/);
  const byName = await grace.run(['member', 'set-role', adaEmail, 'Viewer']);  // resolving a name needs roles.read
  assert.equal(byName.code, 4);
  assert.match(byName.stderr, /pass the role's id[\s\S]*missing permission: roles\.read/);
  const remove = await grace.run(['member', 'remove', adaEmail]);
  assert.equal(remove.code, 4);
  assert.match(remove.stderr, /missing permission: team\.delete/);
  const esc = await grace.run(['role', 'create', 'Boss', '--allow', 'servers:crud']);
  assert.equal(esc.code, 4);
  assert.match(esc.stderr, /missing permission: roles\.create/);
  const auditDenied = await grace.run(['audit']);
  assert.equal(auditDenied.code, 4);

  // Her create limit shows as 4 too, with the limit.
  // (sshKeys create_limit 2: the third key is refused.)
  const keys = [];
  for (let i = 0; i < 3; i++) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-k-'));
    spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, 'id')]);
    keys.push(await grace.run(['ssh-key', 'add', `k${i}`, '--public-key-file', path.join(dir, 'id.pub')]));
  }
  assert.deepEqual(keys.map((k) => k.code), [0, 0, 4], keys[2].stderr);
  assert.match(keys[2].stderr, /limit: 2, used: 2/);

  // The admin changes Grace's role; it applies to her very next command.
  const changed = await admin.json(['member', 'set-role', graceEmail, 'Viewer']);
  assert.equal(changed.role.id, viewer.id);
  const after = await grace.run(['ssh-key', 'add', 'k9', '--public-key', 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl x']);
  assert.equal(after.code, 4);
  assert.match(after.stderr, /missing permission: sshKeys\.create/);
  assert.equal((await grace.json(['role', 'show', 'Viewer'])).id, viewer.id);

  // The audit log records the changes and Grace's refused attempts.
  const audit = await admin.json(['audit', '--all']);
  const actions = audit.map((e) => `${e.actor.email} ${e.action} ${e.outcome}`);
  assert.ok(actions.includes(`${adaEmail} team.invite allowed`), actions.join('\n'));
  assert.ok(actions.some((a) => a.startsWith(`${adaEmail} team.`) && a.endsWith('allowed') && a.includes('role')) ||
    audit.some((e) => e.actor.email === adaEmail && e.resource_id === g.user.id && e.outcome === 'allowed'), actions.join('\n'));
  assert.ok(audit.some((e) => e.actor.email === graceEmail && e.outcome === 'denied' && e.action.startsWith('team.')), actions.join('\n'));
  assert.ok(audit.some((e) => e.actor.email === graceEmail && e.outcome === 'denied' && e.action.startsWith('roles.')), actions.join('\n'));
  const human = await admin.run(['audit', '--limit', '10']);
  assert.match(human.stdout, /^AT\s+ACTOR\s+ACTION\s+COLLECTION\s+RESOURCE\s+OUTCOME$/m);

  // Resend emails a fresh link; revoke ends an invitation.
  const bobEmail = uniqueEmail('bob');
  const bob = await admin.json(['invite', bobEmail, '--role', 'Viewer', '--no-email']);
  assert.equal(bob.email_status, 'not_requested');
  const resent = await admin.json(['invite', 'resend', bobEmail]);
  assert.equal(resent.email_status, 'sent');
  const bobMail = await mail.waitForMessageTo(bobEmail);
  const bobLink = (bobMail.text || '').match(/https?:\/\/\S+\/invite\/[A-Za-z0-9_-]+/)[0];
  assert.notEqual(bobLink, bob.link, 'resending rotates the link');
  assert.equal((await api(s.url, 'GET', `/api/v1/invitations/${bob.link.split('/invite/')[1]}`)).status, 410);
  assert.equal((await admin.run(['invite', 'revoke', bobEmail])).code, 0);
  assert.equal((await api(s.url, 'GET', `/api/v1/invitations/${bobLink.split('/invite/')[1]}`)).status, 410);

  // Ownership goes to Grace once she is an Admin, and comes back.
  const adminRole = (await admin.json(['role', 'list'])).find((r) => r.builtin);
  await admin.json(['member', 'set-role', graceEmail, 'Admin']);
  const moved = await admin.json(['org', 'transfer', graceEmail]);
  assert.equal(moved.owner_id, g.user.id);
  const back = await grace.json(['org', 'transfer', adaEmail]);
  assert.notEqual(back.owner_id, g.user.id);
  assert.equal((await admin.json(['member', 'set-role', graceEmail, viewer.id])).role.id, viewer.id);
  assert.ok(adminRole.id);

  // Grace leaves; Ada deletes the now-unused Developer role.
  assert.equal((await grace.run(['member', 'leave'])).code, 0);
  assert.equal((await admin.json(['member', 'list'])).length, 1);
  assert.equal((await admin.run(['role', 'delete', 'Developer'])).code, 0);
  assert.ok(!(await admin.json(['role', 'list'])).some((r) => r.id === dev.id));
});
