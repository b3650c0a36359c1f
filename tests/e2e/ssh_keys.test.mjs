import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWharf, api, signup, memberWithRole, sshKeygen } from './lib/harness.mjs';

let s, ada;
before(async () => { s = await startWharf(); ada = await signup(s.url, 'ada'); });
after(async () => { await s.stop(); s.cleanup(); });
const O = () => `/api/v1/orgs/${ada.org.slug}`;

test('an imported key shows the fingerprint ssh-keygen prints; the private key is never returned', async () => {
  const k = sshKeygen();
  const r = await api(s.url, 'POST', `${O()}/ssh-keys`, { token: ada.token, body: { name: 'deploy', public_key: k.pub, private_key: k.priv } });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.fingerprint, k.fingerprint);
  assert.equal(r.json.type, 'ssh-ed25519');
  assert.deepEqual(r.json.private_key, { set: true });
  assert.equal(r.json.created_by, ada.user.id);
  for (const res of [r, await api(s.url, 'GET', `${O()}/ssh-keys/${r.json.id}`, { token: ada.token }), await api(s.url, 'GET', `${O()}/ssh-keys`, { token: ada.token })]) {
    assert.ok(!res.text.includes('PRIVATE KEY'), 'no private key in any response');
    assert.ok(!res.text.includes(k.priv.split('\n')[1]));
  }
  assert.equal((await api(s.url, 'POST', `${O()}/ssh-keys`, { token: ada.token, body: { name: 'deploy', public_key: k.pub } })).status, 409);
  const bad = await api(s.url, 'POST', `${O()}/ssh-keys`, { token: ada.token, body: { name: 'bad', public_key: 'ssh-ed25519 notbase64!!' } });
  assert.equal(bad.status, 400);
  assert.ok(bad.json.error.details.fields.public_key);
  const ren = await api(s.url, 'PATCH', `${O()}/ssh-keys/${r.json.id}`, { token: ada.token, body: { name: 'deploy-2' } });
  assert.equal(ren.json.name, 'deploy-2');
  assert.equal((await api(s.url, 'DELETE', `${O()}/ssh-keys/${r.json.id}`, { token: ada.token })).status, 204);
  assert.equal((await api(s.url, 'GET', `${O()}/ssh-keys/${r.json.id}`, { token: ada.token })).status, 404);
});

test('read_scope own and create_limit apply to every action', async () => {
  const adminKey = await api(s.url, 'POST', `${O()}/ssh-keys`, { token: ada.token, body: { name: 'admins', public_key: sshKeygen().pub } });
  const bob = await memberWithRole(s.url, ada, 'bob', { sshKeys: { create: true, read: true, update: true, delete: true, create_limit: 2, read_scope: 'own' } });
  const k1 = await api(s.url, 'POST', `${O()}/ssh-keys`, { token: bob.token, body: { name: 'b1', public_key: sshKeygen().pub } });
  assert.equal(k1.status, 201);
  assert.equal((await api(s.url, 'POST', `${O()}/ssh-keys`, { token: bob.token, body: { name: 'b2', public_key: sshKeygen().pub } })).status, 201);
  const third = await api(s.url, 'POST', `${O()}/ssh-keys`, { token: bob.token, body: { name: 'b3', public_key: sshKeygen().pub } });
  assert.equal(third.status, 403);
  assert.equal(third.json.error.code, 'limit_reached');
  assert.equal(third.json.error.details.limit, 2);
  assert.equal(third.json.error.details.used, 2);
  const list = await api(s.url, 'GET', `${O()}/ssh-keys`, { token: bob.token });
  assert.deepEqual(list.json.items.map((k) => k.name).sort(), ['b1', 'b2']);
  for (const [m, body] of [['GET'], ['PATCH', { name: 'x' }], ['DELETE']]) {
    const r = await api(s.url, m, `${O()}/ssh-keys/${adminKey.json.id}`, { token: bob.token, body });
    assert.equal(r.status, 404, `${m} outside own scope`);
  }
  assert.equal((await api(s.url, 'GET', `${O()}/ssh-keys`, { token: ada.token })).json.items.length >= 3, true);
});

test('Read but not Update: lists render, writes name the missing permission', async () => {
  const k = await api(s.url, 'POST', `${O()}/ssh-keys`, { token: ada.token, body: { name: 'ro-target', public_key: sshKeygen().pub } });
  const ro = await memberWithRole(s.url, ada, 'ro', { sshKeys: { read: true } });
  assert.equal((await api(s.url, 'GET', `${O()}/ssh-keys`, { token: ro.token })).status, 200);
  const up = await api(s.url, 'PATCH', `${O()}/ssh-keys/${k.json.id}`, { token: ro.token, body: { name: 'y' } });
  assert.equal(up.status, 403);
  assert.equal(up.json.error.details.permission, 'sshKeys.update');
  assert.match(up.json.error.message, /Ask an Admin/);
  const none = await memberWithRole(s.url, ada, 'none', { team: { read: true } });
  const r = await api(s.url, 'GET', `${O()}/ssh-keys`, { token: none.token });
  assert.equal(r.status, 403);
  assert.equal(r.json.error.details.permission, 'sshKeys.read');
});

test('pagination: limit, next_cursor, and bad limits', async () => {
  const o = await signup(s.url, 'pager');
  for (let i = 0; i < 5; i++) await api(s.url, 'POST', `/api/v1/orgs/${o.org.slug}/ssh-keys`, { token: o.token, body: { name: `k${i}`, public_key: sshKeygen().pub } });
  const p1 = await api(s.url, 'GET', `/api/v1/orgs/${o.org.slug}/ssh-keys?limit=2`, { token: o.token });
  assert.equal(p1.json.items.length, 2);
  assert.ok(p1.json.next_cursor);
  const p2 = await api(s.url, 'GET', `/api/v1/orgs/${o.org.slug}/ssh-keys?limit=2&cursor=${p1.json.next_cursor}`, { token: o.token });
  const p3 = await api(s.url, 'GET', `/api/v1/orgs/${o.org.slug}/ssh-keys?limit=2&cursor=${p2.json.next_cursor}`, { token: o.token });
  assert.deepEqual([...p1.json.items, ...p2.json.items, ...p3.json.items].map((k) => k.name), ['k0', 'k1', 'k2', 'k3', 'k4']);
  assert.equal(p3.json.next_cursor, null);
  for (const l of ['0', '201', 'abc', '-1']) assert.equal((await api(s.url, 'GET', `/api/v1/orgs/${o.org.slug}/ssh-keys?limit=${l}`, { token: o.token })).status, 400);
  assert.equal((await api(s.url, 'GET', `/api/v1/orgs/${o.org.slug}/ssh-keys?cursor=garbage`, { token: o.token })).status, 400);
});
