// "Why can't Bob deploy?": the explain endpoint answers in one line, from the same authorizer.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWharf, api, signup, memberWithRole } from './lib/harness.mjs';

let s, ada;
const O = () => `/api/v1/orgs/${ada.org.slug}`;
before(async () => { s = await startWharf(); ada = await signup(s.url, 'ada'); });
after(async () => { await s.stop(); s.cleanup(); });

test('an Admin asks why a member cannot do something; every 403 links the explanation', async () => {
  const bob = await memberWithRole(s.url, ada, 'bob', { servers: { read: true }, sshKeys: { create: true, read: true, create_limit: 1, read_scope: 'own' }, projects: { update: true } });
  const q = (params) => api(s.url, 'GET', `${O()}/access/explain?${new URLSearchParams(params)}`, { token: ada.token });
  const upd = await q({ user_id: bob.user.id, collection: 'servers', action: 'update' });
  assert.equal(upd.status, 200, upd.text);
  assert.equal(upd.json.allowed, false);
  assert.equal(upd.json.reason, 'missing_permission');
  assert.equal(upd.json.permission, 'servers.update');
  assert.match(upd.json.message, /role 'bob-role' does not grant servers\.update/);
  assert.equal(upd.json.role.name, 'bob-role');
  const legacy = await q({ user_id: bob.user.id, collection: 'applications', action: 'update' });
  assert.equal(legacy.json.allowed, false);
  assert.match(legacy.json.hint, /grants projects\.update but not applications\.update/);
  const read = await q({ user_id: bob.user.id, collection: 'sshKeys', action: 'read' });
  assert.equal(read.json.allowed, true);
  assert.match(read.json.message, /read_scope: own/);
  const adaKey = await api(s.url, 'POST', `${O()}/ssh-keys`, { token: ada.token, body: { name: 'adas', generate: { type: 'ed25519' } } });
  const own = await q({ user_id: bob.user.id, collection: 'sshKeys', action: 'read', resource_id: adaKey.json.id });
  assert.equal(own.json.reason, 'read_scope_own');
  await api(s.url, 'POST', `${O()}/ssh-keys`, { token: bob.token, body: { name: 'bobs', generate: { type: 'ed25519' } } });
  const limit = await q({ user_id: bob.user.id, collection: 'sshKeys', action: 'create' });
  assert.equal(limit.json.allowed, false);
  assert.equal(limit.json.reason, 'create_limit');
  const matrix = await q({ user_id: bob.user.id });
  assert.ok(matrix.json.matrix.length >= 40);
  assert.equal(matrix.json.matrix.find((m) => m.permission === 'servers.read').allowed, true);
  assert.equal(matrix.json.matrix.find((m) => m.permission === 'team.update').allowed, false);
  // A member may ask about themselves, not about others.
  const self = await api(s.url, 'GET', `${O()}/access/explain?collection=servers&action=update`, { token: bob.token });
  assert.equal(self.json.allowed, false);
  const other = await api(s.url, 'GET', `${O()}/access/explain?user_id=${ada.user.id}&collection=servers&action=update`, { token: bob.token });
  assert.equal(other.status, 403);
  // The 403 a member gets links the explanation.
  const denied = await api(s.url, 'POST', `${O()}/security-groups`, { token: bob.token, body: { name: 'x', inbound: [] } });
  assert.equal(denied.status, 403);
  assert.equal(denied.json.error.details.explain, `${O()}/access/explain?collection=securityGroups&action=create`);
  const followed = await api(s.url, 'GET', denied.json.error.details.explain, { token: bob.token });
  assert.equal(followed.json.reason, 'missing_permission');
  const bad = await q({ collection: 'nope', action: 'read' });
  assert.equal(bad.status, 400);
  assert.ok(bad.json.error.details.fields.collection);
});
