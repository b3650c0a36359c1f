// Tenant isolation: every org-scoped route in the OpenAPI document, sent by every kind of caller
// at another org's slug and rows, answers 401/403/404 and never leaks the other org's data.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWharf, api, signup, memberWithRole, sshKeygen, uniqueEmail } from './lib/harness.mjs';

let s, a, b, secretsOfA;
before(async () => {
  s = await startWharf();
  a = await signup(s.url, 'alice');
  b = await signup(s.url, 'bert');
  const A = `/api/v1/orgs/${a.org.slug}`;
  const role = await api(s.url, 'POST', `${A}/roles`, { token: a.token, body: { name: 'A-Secret-Role', permissions: { sshKeys: { read: true } } } });
  const key = await api(s.url, 'POST', `${A}/ssh-keys`, { token: a.token, body: { name: 'a-private-key-name', public_key: sshKeygen().pub } });
  const member = await memberWithRole(s.url, a, 'amember', { sshKeys: { read: true } });
  const inv = await api(s.url, 'POST', `${A}/invitations`, { token: a.token, body: { email: uniqueEmail('ainvitee'), role_id: role.json.id, send_email: false } });
  secretsOfA = {
    ids: { role: role.json.id, key: key.json.id, user: member.user.id, inv: inv.json.id, token: 'tok_x' },
    strings: [role.json.id, key.json.id, member.user.id, inv.json.id, 'A-Secret-Role', 'a-private-key-name', member.email, a.email, key.json.public_key.split(' ')[1]],
  };
});
after(async () => { await s.stop(); s.cleanup(); });

test('every org-scoped route refuses callers from another org without leaking data', async () => {
  const doc = (await api(s.url, 'GET', '/api/v1/openapi.json')).json;
  const bCustom = await memberWithRole(s.url, b, 'bcustom', { sshKeys: { create: true, read: true, update: true, delete: true }, roles: { read: true, create: true, update: true, delete: true }, team: { read: true, update: true, delete: true } });
  const bToken = (await api(s.url, 'POST', '/api/v1/me/tokens', { token: b.token, body: { name: 'b', org: b.org.slug } })).json.token;
  const callers = { bAdmin: b.token, bCustom: bCustom.token, bApiToken: bToken, anonymous: undefined };
  const routes = Object.entries(doc.paths).filter(([p]) => p.includes('{org}'));
  assert.ok(routes.length >= 14, `found ${routes.length} org routes`);
  let checked = 0;
  for (const [pattern, ops] of routes) {
    for (const method of Object.keys(ops)) {
      for (const [who, token] of Object.entries(callers)) {
        // 1. A's slug with A's ids.  2. B's slug with A's ids (cross-tenant ids).
        for (const slug of [a.org.slug, b.org.slug]) {
          if (slug === b.org.slug && !pattern.match(/\{(id|user_id)\}/)) continue;
          const path = pattern.replace('{org}', slug)
            .replace('/roles/{id}', `/roles/${secretsOfA.ids.role}`)
            .replace('/ssh-keys/{id}', `/ssh-keys/${secretsOfA.ids.key}`)
            .replace('/invitations/{id}', `/invitations/${secretsOfA.ids.inv}`)
            .replace('{user_id}', secretsOfA.ids.user)
            .replace('{id}', secretsOfA.ids.key);
          const body = method === 'get' || method === 'delete' ? undefined
            : { name: 'x', role_id: secretsOfA.ids.role, user_id: secretsOfA.ids.user, email: 'x@example.test', public_key: sshKeygen().pub, permissions: {} };
          const r = await api(s.url, method.toUpperCase(), path, { token, body });
          checked++;
          if (slug === b.org.slug && who !== 'anonymous' && who !== 'bApiToken' && r.status === 400) {
            // B's own org with a body B's route validates first is fine, as long as nothing leaks.
          } else if (pattern.startsWith('/api/v1/admin/') && who !== 'anonymous') {
            assert.equal(r.status, 403, `${who} ${method} ${path}: only the instance admin: ${r.text}`);
          } else if (who === 'anonymous') {
            assert.equal(r.status, 401, `${who} ${method} ${path}: ${r.status} ${r.text}`);
          } else if (slug === a.org.slug) {
            assert.equal(r.status, 404, `${who} ${method} ${path}: ${r.status} ${r.text}`);
          } else {
            assert.ok([400, 403, 404, 409].includes(r.status), `${who} ${method} ${path}: ${r.status} ${r.text}`);
            assert.ok(r.status < 200 || r.status >= 300, `${who} ${method} ${path} succeeded on A's row`);
          }
          for (const secret of secretsOfA.strings) assert.ok(!r.text.includes(secret), `${who} ${method} ${path} leaked ${secret}`);
        }
      }
    }
  }
  assert.ok(checked > 60, `checked ${checked} requests`);
  // A's rows are intact.
  const keys = await api(s.url, 'GET', `/api/v1/orgs/${a.org.slug}/ssh-keys`, { token: a.token });
  assert.ok(keys.json.items.some((k) => k.id === secretsOfA.ids.key));
  const roles = await api(s.url, 'GET', `/api/v1/orgs/${a.org.slug}/roles`, { token: a.token });
  assert.ok(roles.json.items.some((r) => r.id === secretsOfA.ids.role));
  const members = await api(s.url, 'GET', `/api/v1/orgs/${a.org.slug}/members`, { token: a.token });
  assert.ok(members.json.items.some((m) => m.user.id === secretsOfA.ids.user));
});
