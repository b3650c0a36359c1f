// The CLI for API routes that had no command yet, against a real wharf: `invite show` (reads an
// invitation from its link without signing in, and without consuming it) and `invite accept`,
// `org set-seat-limit` (instance administrator only), and `logout --all` (every session revoked).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { api, signup, startWharf } from './lib/harness.mjs';
import { cliUser } from './lib/cli.mjs';

let s, ada, grace, adaCli, graceCli, anon;
before(async () => {
  s = await startWharf();
  ada = await signup(s.url, 'ada');      // the first account: the instance administrator
  grace = await signup(s.url, 'grace');  // an account of her own, not yet in ada's org
  adaCli = cliUser('ada');
  graceCli = cliUser('grace');
  anon = cliUser('anon');
  for (const [c, u] of [[adaCli, ada], [graceCli, grace]]) {
    const r = await c.run(['login', s.url, '--email', u.email, '--password-stdin', '--name', 'main'], { input: `${u.password}\n` });
    assert.equal(r.code, 0, r.stderr);
  }
});
after(async () => { await s?.stop(); s?.cleanup(); for (const c of [adaCli, graceCli, anon]) c?.cleanup(); });

test('org set-seat-limit: the instance administrator sets it; anyone else gets exit 4', async () => {
  const o = await adaCli.json(['org', 'set-seat-limit', '5', '--org', ada.org.slug]);
  assert.equal(o.seat_limit, 5);
  const t = await adaCli.run(['org', 'set-seat-limit', '0', '--org', ada.org.slug]);
  assert.equal(t.code, 0, t.stderr);
  assert.match(t.stdout, /Seat limit of .* is now unlimited \(1 used\)/);
  const g = await graceCli.run(['org', 'set-seat-limit', '50', '--org', grace.org.slug]);
  assert.equal(g.code, 4, g.stderr);
  assert.equal((await adaCli.run(['org', 'set-seat-limit', '-1', '--org', ada.org.slug])).code, 2);
});

test('invite show reads the link without signing in and without using it; invite accept joins', async () => {
  const role = await adaCli.json(['role', 'create', 'Viewer', '--allow', '*:r', '--org', ada.org.slug]);
  const inv = await adaCli.run(['invite', grace.email, '--role', role.name, '--no-email', '--copy-link', '--org', ada.org.slug]);
  assert.equal(inv.code, 0, inv.stderr);
  const link = inv.stdout.split('\n').find((l) => l.includes('/invite/'));
  assert.ok(link, inv.stdout);
  for (let i = 0; i < 2; i++) {
    const shown = await anon.json(['invite', 'show', link]);
    assert.deepEqual(shown.org, { slug: ada.org.slug, name: ada.org.name });
    assert.equal(shown.role.name, 'Viewer');
    assert.equal(shown.email, grace.email);
    assert.ok(shown.expires_at);
  }
  const table = await anon.run(['invite', 'show', link]);
  assert.match(table.stdout, /^ORG\s+ROLE\s+EMAIL\s+EXPIRES$/m);
  assert.match(table.stdout, /Join with `wharf invite accept/);
  // A bare token needs a server: the signed-in context's.
  const token = link.split('/invite/')[1];
  assert.equal((await graceCli.json(['invite', 'show', token])).email, grace.email);
  assert.equal((await anon.run(['invite', 'show', token])).code, 3, 'no server known without a sign-in');
  // Someone else cannot accept it; Grace can, once.
  const wrong = await adaCli.run(['invite', 'accept', link]);
  assert.notEqual(wrong.code, 0);
  const ok = await graceCli.run(['invite', 'accept', link]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, new RegExp(`Joined .*\\(${ada.org.slug}\\) as Viewer`));
  const members = await adaCli.json(['member', 'list', '--org', ada.org.slug]);
  assert.ok(members.some((m) => m.user.email === grace.email && m.role.name === 'Viewer'));
  assert.equal((await graceCli.run(['invite', 'accept', link])).code, 1, 'an invitation is used once');
});

test('logout --all revokes every session of the account, not only this one', async () => {
  const second = await adaCli.run(['login', s.url, '--email', ada.email, '--password-stdin', '--name', 'laptop'], { input: `${ada.password}\n` });
  assert.equal(second.code, 0, second.stderr);
  assert.equal((await adaCli.run(['whoami', '--context', 'main'])).code, 0);
  const out = await adaCli.run(['logout', '--all', '--context', 'laptop']);
  assert.equal(out.code, 0, out.stderr);
  assert.match(out.stdout, /every other session/);
  const other = await adaCli.run(['whoami', '--context', 'main']);
  assert.equal(other.code, 3, 'the other context\'s session was revoked on the server');
  assert.equal((await api(s.url, 'GET', '/api/v1/me', { token: ada.token })).status, 401, 'and so was the signup session');
  // Plain logout stays as it was: only this session.
  assert.equal((await graceCli.run(['logout'])).code, 0);
});
