// Deleting an organisation is refused (409) while servers or applications remain, and the answer
// names each of them; once they are gone the delete goes through. Against a real wharf and a real
// sshd standing in for the worker node (lib/sshd.mjs), on both stores; the API and `wharf org delete`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { api, signup, startWharf } from './lib/harness.mjs';
import { startSshd, NODE_USER } from './lib/sshd.mjs';
import { cliUser } from './lib/cli.mjs';

let s, node, ada;
const O = () => `/api/v1/orgs/${ada.org.slug}`;
const call = (method, p, body) => api(s.url, method, p, { token: ada.token, body });

before(async () => {
  node = await startSshd();
  s = await startWharf({ args: ['--node-dns-probe', 'localhost', '--min-disk-free-mb', '100', '--connect-timeout-ms', '1500'] });
  ada = await signup(s.url, 'ada');
});
after(async () => { await s?.stop(); s?.cleanup(); await node?.cleanup(); });

test('org delete: 409 naming the servers and applications that remain; then it goes through', async () => {
  const k = await call('POST', `${O()}/ssh-keys`, { name: 'deploy', generate: { type: 'ed25519' } });
  assert.equal(k.status, 201, k.text);
  node.authorize(NODE_USER, (await call('GET', `${O()}/ssh-keys/${k.json.id}/public-key`)).text);
  const srv = await call('POST', `${O()}/servers`, { name: 'node-1', host: '127.0.0.1', port: node.port, username: NODE_USER, ssh_key_id: k.json.id });
  assert.equal(srv.status, 201, srv.text);
  const app = await call('POST', `${O()}/applications`, { name: 'shop', server_id: srv.json.id });
  assert.equal(app.status, 201, app.text);

  const both = await call('DELETE', O(), { confirm: ada.org.slug });
  assert.equal(both.status, 409, both.text);
  assert.deepEqual(both.json.error.details.servers, ['node-1']);
  assert.deepEqual(both.json.error.details.applications, ['shop']);
  assert.match(both.json.error.message, /server node-1/);
  assert.match(both.json.error.message, /application shop/);
  assert.match(both.json.error.message, /Delete them first/);

  // The CLI says the same and exits 1 (the server refused).
  const c = cliUser('ada');
  try {
    const li = await c.run(['login', s.url, '--email', ada.email, '--password-stdin'], { input: `${ada.password}\n` });
    assert.equal(li.code, 0, li.stderr);
    const refused = await c.run(['org', 'delete', '--org', ada.org.slug, '--confirm', ada.org.slug]);
    assert.equal(refused.code, 1, refused.stderr);  // the server refused (docs/cli.md, exit codes)
    assert.match(refused.stderr, /node-1/);
    assert.match(refused.stderr, /shop/);
  } finally { c.cleanup(); }

  // Nothing was deleted by the refusals.
  assert.equal((await call('GET', `${O()}/servers/${srv.json.id}`)).status, 200);
  assert.equal((await call('GET', `${O()}/applications/${app.json.id}`)).status, 200);

  assert.equal((await call('DELETE', `${O()}/applications/${app.json.id}`)).status, 204);
  const server = await call('DELETE', O(), { confirm: ada.org.slug });
  assert.equal(server.status, 409, server.text);
  assert.deepEqual(server.json.error.details.servers, ['node-1']);
  assert.deepEqual(server.json.error.details.applications, []);
  assert.ok(!/application/.test(server.json.error.message), server.json.error.message);

  assert.equal((await call('DELETE', `${O()}/servers/${srv.json.id}`)).status, 204);
  const gone = await call('DELETE', O(), { confirm: ada.org.slug });
  assert.equal(gone.status, 204, gone.text);
  assert.equal((await call('GET', O())).status, 404);
});
