// `wharf server` and `wharf security-group` against a real sshd worker node: generate a key, put its
// public half on the node, open the firewall, add the server, check it, see a broken node fail
// with exit 1 and the named check, and a role without servers.update get exit 4.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWharf, signup, memberWithRole, freePort } from './lib/harness.mjs';
import { startSshd, NODE_USER } from './lib/sshd.mjs';
import { cliUser } from './lib/cli.mjs';

let s, node, ada, cli;
before(async () => {
  node = await startSshd();
  s = await startWharf({ args: ['--node-dns-probe', 'localhost', '--min-disk-free-mb', '100', '--connect-timeout-ms', '1500'] });
  ada = await signup(s.url, 'ada');
  cli = cliUser('ops');
  const r = await cli.run(['login', s.url, '--token', ada.token]);
  assert.equal(r.code, 0, r.stderr);
});
after(async () => { await s?.stop(); s?.cleanup(); await node?.cleanup(); cli?.cleanup(); });

test('key, security group and server, done with the CLI', async () => {
  const key = await cli.json(['ssh-key', 'add', 'deploy', '--generate', 'ed25519']);
  assert.deepEqual(key.private_key, { set: true });
  const pub = await cli.run(['ssh-key', 'public-key', 'deploy']);
  assert.equal(pub.code, 0, pub.stderr);
  assert.match(pub.stdout, /^ssh-ed25519 \S+ wharf\n$/);
  node.authorize(NODE_USER, pub.stdout);

  const bad = await cli.run(['security-group', 'create', 'x', '--inbound', 'ssh']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /TYPE\[:PORT\[-PORT\]\]=SOURCE/);
  const sg = await cli.json(['security-group', 'create', 'ops', '--description', 'node access',
    '--inbound', `custom-tcp:${node.port}=127.0.0.0/8`, '--inbound', 'https=0.0.0.0/0']);
  assert.deepEqual(sg.inbound.map((r) => [r.type, r.protocol, r.from_port, r.to_port, r.source]),
    [['custom-tcp', 'tcp', node.port, node.port, '127.0.0.0/8'], ['https', 'tcp', 443, 443, '0.0.0.0/0']]);
  const sgTable = await cli.run(['security-group', 'show', 'ops']);
  assert.match(sgTable.stdout, /^DIRECTION\s+TYPE\s+PROTOCOL\s+PORTS\s+SOURCE/m);
  assert.match(sgTable.stdout, new RegExp(`^in\\s+custom-tcp\\s+tcp\\s+${node.port}\\s+127\\.0\\.0\\.0/8`, 'm'));

  const flags = ['--host', '127.0.0.1', '--port', String(node.port), '--user', NODE_USER, '--ssh-key', 'deploy'];
  const t = await cli.run(['server', 'test-connection', ...flags]);
  assert.equal(t.code, 0, t.stdout + t.stderr);
  assert.match(t.stdout, /^CHECK\s+STATUS\s+MESSAGE\s+FIX$/m);
  for (const n of ['tcp', 'ssh_auth', 'host_key', 'sudo', 'os', 'disk', 'dns', 'docker', 'dokku']) assert.match(t.stdout, new RegExp(`^${n}\\s+passed`, 'm'));

  const srv = await cli.json(['server', 'add', 'web-1', ...flags, '--security-group', 'ops']);
  assert.equal(srv.status, 'healthy');
  assert.equal(srv.host_key_fingerprint, node.hostKeyFingerprint());
  assert.deepEqual(srv.security_group_ids, [sg.id]);
  const list = await cli.json(['server', 'list']);
  assert.deepEqual(list.map((x) => x.id), [srv.id]);
  const check = await cli.json(['server', 'check', 'web-1']);
  assert.equal(check.ok, true);
  assert.equal(check.checks.length >= 9, true);
  const hist = await cli.json(['server', 'checks', 'web-1', '--limit', '5']);
  assert.ok(hist.length >= 1 && hist[0].ok === true);
  assert.equal((await cli.json(['server', 'edit', 'web-1', '--name', 'web-one'])).name, 'web-one');

  // The group cannot be edited to lock Wharf out of its own server, nor deleted while in use.
  const lockout = await cli.run(['security-group', 'edit', 'ops', '--inbound', 'https=0.0.0.0/0']);
  assert.equal(lockout.code, 1, lockout.stderr);
  assert.equal((await cli.run(['security-group', 'delete', 'ops'])).code, 1);

  // A server Wharf cannot reach: exit 1, the failing check named, a fix given.
  const closed = await cli.run(['server', 'test-connection', '--host', '127.0.0.1', '--port', String(await freePort()),
    '--user', NODE_USER, '--ssh-key', 'deploy']);
  assert.equal(closed.code, 1);
  assert.match(closed.stdout, /^tcp\s+failed/m);
  assert.match(closed.stderr, /check\(s\) failed/);
  const closedJson = await cli.run(['server', 'test-connection', '--host', '127.0.0.1', '--port', String(await freePort()),
    '--user', NODE_USER, '--ssh-key', 'deploy', '-o', 'json']);
  assert.equal(closedJson.code, 1);
  const report = JSON.parse(closedJson.stdout);
  assert.equal(report.ok, false);
  assert.equal(report.checks.find((c) => c.name === 'tcp').layer, 'network');
  const refused = await cli.run(['server', 'add', 'nowhere', '--host', '127.0.0.1', '--port', String(await freePort()),
    '--user', NODE_USER, '--ssh-key', 'deploy']);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /check: tcp/);

  // A viewer may list servers but not check them.
  const viewer = await memberWithRole(s.url, ada, 'viewer', { servers: { read: true } });
  const v = cliUser('viewer');
  try {
    assert.equal((await v.run(['login', s.url, '--token', viewer.token, '--org', ada.org.slug])).code, 0);
    assert.equal((await v.json(['server', 'list'])).length, 1);
    const denied = await v.run(['server', 'check', 'web-one']);
    assert.equal(denied.code, 4);
    assert.match(denied.stderr, /missing permission: servers\.update/);
  } finally { v.cleanup(); }

  assert.equal((await cli.run(['server', 'delete', 'web-one'])).code, 0);
  assert.equal((await cli.run(['security-group', 'delete', 'ops'])).code, 0);
  assert.deepEqual(await cli.json(['server', 'list']), []);
});
