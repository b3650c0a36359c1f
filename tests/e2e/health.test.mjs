// Scheduled health checks reach every server of every org (not only a first page), keep a status
// history, and back off from a failing server.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWharf, api, signup } from './lib/harness.mjs';
import { startSshd, NODE_USER } from './lib/sshd.mjs';

let s, node;
before(async () => {
  node = await startSshd();
  s = await startWharf({ args: ['--node-dns-probe', 'localhost', '--min-disk-free-mb', '100', '--health-interval-seconds', '1', '--connect-timeout-ms', '3000'] });
});
after(async () => { await s?.stop(); s?.cleanup(); await node?.cleanup(); });

async function orgWithServers(name, n) {
  const u = await signup(s.url, name);
  const O = `/api/v1/orgs/${u.org.slug}`;
  const k = (await api(s.url, 'POST', `${O}/ssh-keys`, { token: u.token, body: { name: 'k', generate: { type: 'ed25519' } } })).json;
  const pub = (await api(s.url, 'GET', `${O}/ssh-keys/${k.id}/public-key`, { token: u.token })).text;
  const ids = [];
  return { u, O, pub, k, ids, async add() {
    for (let i = 0; i < n; ++i) {
      const r = await api(s.url, 'POST', `${O}/servers`, { token: u.token, body: { name: `n${i}`, host: '127.0.0.1', port: node.port, username: NODE_USER, ssh_key_id: k.id } });
      assert.equal(r.status, 201, r.text);
      ids.push(r.json.id);
    }
  } };
}

test('every server of every org is checked on schedule, with history; a dead server backs off', async () => {
  const a = await orgWithServers('ann', 55);  // more than one page of 50
  const b = await orgWithServers('ben', 2);
  node.authorize(NODE_USER, `${a.pub}${b.pub}`);
  await a.add();
  await b.add();
  const all = [...a.ids.map((id) => [a, id]), ...b.ids.map((id) => [b, id])];
  const deadline = Date.now() + 60000;
  for (;;) {
    let done = 0;
    for (const [o, id] of all) {
      const h = await api(s.url, 'GET', `${o.O}/servers/${id}/checks?limit=5`, { token: o.u.token });
      if (h.json.items.length >= 2) done++;
    }
    if (done === all.length) break;
    assert.ok(Date.now() < deadline, `only ${done}/${all.length} servers were checked again`);
    await new Promise((r) => setTimeout(r, 500));
  }
  const list = await api(s.url, 'GET', `${a.O}/servers?limit=200`, { token: a.u.token });
  assert.equal(list.json.items.length, 55);
  for (const row of list.json.items) {
    assert.equal(row.status, 'healthy', `${row.name}: ${row.last_error}`);
    assert.ok(row.last_check_at);
  }
  assert.match(s.logs, /"event":"health_checks_ran"/);

  await node.stop();
  const id = b.ids[0];
  let row;
  for (;;) {
    row = (await api(s.url, 'GET', `${b.O}/servers/${id}`, { token: b.u.token })).json;
    if (row.status === 'unhealthy') break;
    assert.ok(Date.now() < deadline + 30000, 'the stopped server never turned unhealthy');
    await new Promise((r) => setTimeout(r, 300));
  }
  assert.match(row.last_error, /^tcp: /);
  const wait = Date.parse(row.next_check_at) - Date.parse(row.last_check_at);
  assert.ok(wait >= 29000, `a failing server backs off (next check in ${wait} ms, interval is 1 s)`);
  const hist = (await api(s.url, 'GET', `${b.O}/servers/${id}/checks`, { token: b.u.token })).json.items;
  assert.equal(hist[0].ok, false);
  assert.equal(hist[0].report.checks.find((c) => c.name === 'tcp').code, 'connection_refused');
  assert.ok(hist.some((h) => h.ok), 'history keeps earlier healthy checks');
});
