import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWharf, api, signup, memberWithRole, uniqueEmail } from './lib/harness.mjs';

let s, ada;
before(async () => { s = await startWharf(); ada = await signup(s.url, 'ada'); });
after(async () => { await s.stop(); s.cleanup(); });
const O = () => `/api/v1/orgs/${ada.org.slug}`;

test('orgs: create with slug, validation, conflict, non-members see 404, Admin renames', async () => {
  const r = await api(s.url, 'POST', '/api/v1/orgs', { token: ada.token, body: { name: 'Acme', slug: 'acme-team' } });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.slug, 'acme-team');
  assert.equal((await api(s.url, 'POST', '/api/v1/orgs', { token: ada.token, body: { name: 'A', slug: 'acme-team' } })).status, 409);
  const bad = await api(s.url, 'POST', '/api/v1/orgs', { token: ada.token, body: { name: 'A', slug: 'Bad Slug' } });
  assert.equal(bad.status, 400);
  assert.ok(bad.json.error.details.fields.slug);
  const eve = await signup(s.url, 'eve');
  assert.equal((await api(s.url, 'GET', '/api/v1/orgs/acme-team', { token: eve.token })).status, 404);
  const ren = await api(s.url, 'PATCH', '/api/v1/orgs/acme-team', { token: ada.token, body: { name: 'Acme Inc' } });
  assert.equal(ren.status, 200);
  assert.equal(ren.json.name, 'Acme Inc');
});

test('roles: Admin is built in and immutable; names are unique; unknown collections are named', async () => {
  const list = await api(s.url, 'GET', `${O()}/roles`, { token: ada.token });
  assert.equal(list.status, 200);
  const admin = list.json.items.find((r) => r.builtin);
  assert.equal(admin.name, 'Admin');
  assert.equal(admin.member_count, 1);
  assert.equal(admin.members[0].id, ada.user.id);
  assert.equal((await api(s.url, 'PATCH', `${O()}/roles/${admin.id}`, { token: ada.token, body: { name: 'Boss' } })).status, 409);
  assert.equal((await api(s.url, 'DELETE', `${O()}/roles/${admin.id}`, { token: ada.token })).status, 409);
  const dev = await api(s.url, 'POST', `${O()}/roles`, { token: ada.token, body: { name: 'Developer', description: 'deploy & read logs', permissions: { services: { create: true, read: true, update: true }, servers: { read: true, create_limit: 0, read_scope: 'all' } } } });
  assert.equal(dev.status, 201, dev.text);
  assert.equal(dev.json.permissions.services.update, true);
  assert.equal(dev.json.permissions.services.delete, false);
  assert.equal(dev.json.member_count, 0);
  assert.equal((await api(s.url, 'POST', `${O()}/roles`, { token: ada.token, body: { name: 'Developer', permissions: {} } })).status, 409);
  const unknown = await api(s.url, 'POST', `${O()}/roles`, { token: ada.token, body: { name: 'X', permissions: { servrs: { read: true } } } });
  assert.equal(unknown.status, 400);
  assert.ok(unknown.json.error.details.fields['permissions.servrs']);
  const badScope = await api(s.url, 'POST', `${O()}/roles`, { token: ada.token, body: { name: 'Y', permissions: { servers: { read: true, read_scope: 'mine' } } } });
  assert.equal(badScope.status, 400);
  const upd = await api(s.url, 'PATCH', `${O()}/roles/${dev.json.id}`, { token: ada.token, body: { permissions: { services: { read: true } } } });
  assert.equal(upd.status, 200);
  assert.equal(upd.json.permissions.services.update, false);
});

test('no privilege escalation: a role editor cannot grant what they lack', async () => {
  const lead = await memberWithRole(s.url, ada, 'lead', { roles: { create: true, read: true, update: true }, team: { read: true, update: true }, servers: { read: true } });
  const esc = await api(s.url, 'POST', `${O()}/roles`, { token: lead.token, body: { name: 'Deleter', permissions: { servers: { read: true, delete: true } } } });
  assert.equal(esc.status, 403);
  assert.equal(esc.json.error.details.permission, 'servers.delete');
  const ok = await api(s.url, 'POST', `${O()}/roles`, { token: lead.token, body: { name: 'Reader', permissions: { servers: { read: true } } } });
  assert.equal(ok.status, 201, ok.text);
  const admin = (await api(s.url, 'GET', `${O()}/roles`, { token: ada.token })).json.items.find((r) => r.builtin);
  const inviteAdmin = await api(s.url, 'POST', `${O()}/invitations`, { token: lead.token, body: { email: uniqueEmail('x'), role_id: admin.id, send_email: false } });
  assert.equal(inviteAdmin.status, 403);
  const demote = await api(s.url, 'PATCH', `${O()}/members/${ada.user.id}`, { token: lead.token, body: { role_id: ok.json.id } });
  assert.equal(demote.status, 403);
  const edit = await api(s.url, 'PATCH', `${O()}/roles/${ok.json.id}`, { token: lead.token, body: { permissions: { servers: { read: true, update: true } } } });
  assert.equal(edit.status, 403);
  assert.equal(edit.json.error.details.permission, 'servers.update');
});

test('members: list, change role (effective on the next request), remove, leave; owner and last Admin protected', async () => {
  const viewer = await memberWithRole(s.url, ada, 'viewer', { sshKeys: { read: true } }, { roleName: 'Viewer' });
  const editorRole = await api(s.url, 'POST', `${O()}/roles`, { token: ada.token, body: { name: 'Editor', permissions: { sshKeys: { create: true, read: true, update: true, delete: true } } } });
  const members = await api(s.url, 'GET', `${O()}/members`, { token: ada.token });
  assert.equal(members.status, 200);
  const row = members.json.items.find((m) => m.user.id === viewer.user.id);
  assert.equal(row.role.name, 'Viewer');
  assert.equal(members.json.items.find((m) => m.user.id === ada.user.id).owner, true);
  const key = { name: 'k', public_key: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl' };
  assert.equal((await api(s.url, 'POST', `${O()}/ssh-keys`, { token: viewer.token, body: key })).status, 403);
  const ch = await api(s.url, 'PATCH', `${O()}/members/${viewer.user.id}`, { token: ada.token, body: { role_id: editorRole.json.id } });
  assert.equal(ch.status, 200, ch.text);
  assert.equal((await api(s.url, 'POST', `${O()}/ssh-keys`, { token: viewer.token, body: key })).status, 201, 'next request sees the new role');
  // owner / last Admin
  assert.equal((await api(s.url, 'DELETE', `${O()}/members/${ada.user.id}`, { token: ada.token })).status, 409);
  assert.equal((await api(s.url, 'PATCH', `${O()}/members/${ada.user.id}`, { token: ada.token, body: { role_id: editorRole.json.id } })).status, 409);
  // deleting a held role needs reassignment
  assert.equal((await api(s.url, 'DELETE', `${O()}/roles/${editorRole.json.id}`, { token: ada.token })).status, 409);
  const viewerRole = (await api(s.url, 'GET', `${O()}/roles`, { token: ada.token })).json.items.find((r) => r.name === 'Viewer');
  assert.equal((await api(s.url, 'DELETE', `${O()}/roles/${editorRole.json.id}?reassign_to=${viewerRole.id}`, { token: ada.token })).status, 204);
  // leave
  assert.equal((await api(s.url, 'DELETE', `${O()}/members/${viewer.user.id}`, { token: viewer.token })).status, 204);
  assert.equal((await api(s.url, 'GET', `${O()}`, { token: viewer.token })).status, 404);
});

test('transfer ownership needs an Admin target; team.delete removes members', async () => {
  const owner = await signup(s.url, 'own');
  const roles = (await api(s.url, 'GET', `/api/v1/orgs/${owner.org.slug}/roles`, { token: owner.token })).json.items;
  const remover = await memberWithRole(s.url, owner, 'rm', { team: { read: true, delete: true } });
  const plain = await memberWithRole(s.url, owner, 'plain', { team: { read: true } });
  const t1 = await api(s.url, 'POST', `/api/v1/orgs/${owner.org.slug}/transfer-ownership`, { token: owner.token, body: { user_id: plain.user.id } });
  assert.equal(t1.status, 409);
  assert.equal((await api(s.url, 'DELETE', `/api/v1/orgs/${owner.org.slug}/members/${plain.user.id}`, { token: remover.token })).status, 204);
  const admin = roles.find((r) => r.builtin);
  const second = await memberWithRole(s.url, owner, 'second', { team: { read: true } });
  await api(s.url, 'PATCH', `/api/v1/orgs/${owner.org.slug}/members/${second.user.id}`, { token: owner.token, body: { role_id: admin.id } });
  const t2 = await api(s.url, 'POST', `/api/v1/orgs/${owner.org.slug}/transfer-ownership`, { token: owner.token, body: { user_id: second.user.id } });
  assert.equal(t2.status, 200, t2.text);
  assert.equal(t2.json.owner_id, second.user.id);
});

test('audit records mutations and denied attempts, for Admins only', async () => {
  const viewer = await memberWithRole(s.url, ada, 'auditee', { sshKeys: { read: true } });
  await api(s.url, 'DELETE', `${O()}/roles/whatever`, { token: viewer.token });
  const audit = await api(s.url, 'GET', `${O()}/audit?limit=200`, { token: ada.token });
  assert.equal(audit.status, 200);
  const denied = audit.json.items.find((e) => e.outcome === 'denied' && e.actor.id === viewer.user.id);
  assert.ok(denied, 'denied attempt recorded');
  assert.equal(denied.action, 'roles.delete');
  assert.ok(denied.request_id);
  assert.ok(audit.json.items.some((e) => e.action === 'roles.create' && e.outcome === 'allowed'));
  assert.equal((await api(s.url, 'GET', `${O()}/audit`, { token: viewer.token })).status, 403);
  const page = await api(s.url, 'GET', `${O()}/audit?limit=2`, { token: ada.token });
  assert.equal(page.json.items.length, 2);
  const next = await api(s.url, 'GET', `${O()}/audit?limit=2&cursor=${page.json.next_cursor}`, { token: ada.token });
  assert.equal(next.status, 200);
  assert.ok(Number(next.json.items[0].id) < Number(page.json.items[1].id));
});
