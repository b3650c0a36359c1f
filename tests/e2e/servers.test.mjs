// Worker nodes against a real sshd: add a server, see every check pass, then break it in each way
// the troubleshooting page lists and see the named failure with its layer and fix.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import net from 'node:net';
import { startWharf, api, signup, memberWithRole, sshKeygen, freePort } from './lib/harness.mjs';
import { startSshd, NODE_USER, NOSUDO_USER } from './lib/sshd.mjs';

let s, node, ada, key, keyPub;
const O = () => `/api/v1/orgs/${ada.org.slug}`;
const byName = (report) => Object.fromEntries(report.checks.map((c) => [c.name, c]));

before(async () => {
  node = await startSshd();
  s = await startWharf({ args: ['--node-dns-probe', 'localhost', '--min-disk-free-mb', '100', '--connect-timeout-ms', '1500'] });
  ada = await signup(s.url, 'ada');
  const k = await api(s.url, 'POST', `${O()}/ssh-keys`, { token: ada.token, body: { name: 'deploy', generate: { type: 'ed25519' } } });
  assert.equal(k.status, 201, k.text);
  key = k.json;
  const pub = await api(s.url, 'GET', `${O()}/ssh-keys/${key.id}/public-key`, { token: ada.token });
  assert.equal(pub.status, 200);
  keyPub = pub.text;
  node.authorize(NODE_USER, keyPub);
  node.authorize(NOSUDO_USER, keyPub);
});
after(async () => { await s?.stop(); s?.cleanup(); await node?.cleanup(); });

const body = (extra = {}) => ({ name: `node-${Math.random().toString(36).slice(2, 8)}`, host: '127.0.0.1', port: node.port, username: NODE_USER, ssh_key_id: key.id, ...extra });

test('a generated key: public half downloadable, fingerprint as ssh-keygen prints it, private half never shown', async () => {
  assert.match(keyPub, /^ssh-ed25519 [A-Za-z0-9+/=]+ wharf\n$/);
  const fp = execFileSync('ssh-keygen', ['-lf', '-'], { input: keyPub, encoding: 'utf8' }).split(' ')[1];
  assert.equal(key.fingerprint, fp);
  assert.deepEqual(key.private_key, { set: true });
  const rsa = await api(s.url, 'POST', `${O()}/ssh-keys`, { token: ada.token, body: { name: 'rsa', generate: { type: 'rsa' } } });
  assert.equal(rsa.status, 201);
  assert.equal(rsa.json.type, 'ssh-rsa');
  const bits = execFileSync('ssh-keygen', ['-lf', '-'], { input: rsa.json.public_key, encoding: 'utf8' }).split(' ')[0];
  assert.equal(bits, '3072');
  for (const r of [key, rsa.json]) assert.ok(!JSON.stringify(r).includes('PRIVATE'));
  assert.ok(!s.logs.includes('PRIVATE KEY'), 'no private key in the logs');
});

test('import checks that the private key matches the public key, and refuses encrypted keys', async () => {
  const a = sshKeygen(), b = sshKeygen();
  const mismatch = await api(s.url, 'POST', `${O()}/ssh-keys`, { token: ada.token, body: { name: 'mix', public_key: a.pub, private_key: b.priv } });
  assert.equal(mismatch.status, 400);
  assert.match(mismatch.json.error.details.fields.private_key, /does not match public_key/);
  const derived = await api(s.url, 'POST', `${O()}/ssh-keys`, { token: ada.token, body: { name: 'derived', private_key: a.priv } });
  assert.equal(derived.status, 201, derived.text);
  assert.equal(derived.json.fingerprint, a.fingerprint);
  const garbage = await api(s.url, 'POST', `${O()}/ssh-keys`, { token: ada.token, body: { name: 'g', private_key: '-----BEGIN OPENSSH PRIVATE KEY-----\nnope\n-----END OPENSSH PRIVATE KEY-----\n' } });
  assert.equal(garbage.status, 400);
  assert.ok(garbage.json.error.details.fields.private_key);
  const both = await api(s.url, 'POST', `${O()}/ssh-keys`, { token: ada.token, body: { name: 'x', generate: { type: 'ed25519' }, public_key: a.pub } });
  assert.equal(both.status, 400);
  assert.ok(both.json.error.details.fields.generate);
});

test('add a server: every check passes, the host key is pinned, the key cannot be deleted while in use', async () => {
  const t = await api(s.url, 'POST', `${O()}/servers/test-connection`, { token: ada.token, body: body() });
  assert.equal(t.status, 200, t.text);
  assert.equal(t.json.ok, true, JSON.stringify(t.json));
  const checks = byName(t.json);
  for (const n of ['dns', 'tcp', 'host_key', 'ssh_auth', 'sudo', 'os', 'disk', 'docker', 'dokku']) assert.equal(checks[n]?.status, 'passed', `${n}: ${JSON.stringify(checks[n])}`);
  assert.equal(t.json.dokku_version, '0.38.27');
  assert.match(t.json.os, /^debian /);
  const r = await api(s.url, 'POST', `${O()}/servers`, { token: ada.token, body: body({ name: 'web-1' }) });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.status, 'healthy');
  assert.equal(r.json.host_key_fingerprint, node.hostKeyFingerprint());
  assert.equal(r.json.last_check.ok, true);
  const del = await api(s.url, 'DELETE', `${O()}/ssh-keys/${key.id}`, { token: ada.token });
  assert.equal(del.status, 409);
  assert.deepEqual(del.json.error.details.servers.map((x) => x.name), ['web-1']);
  const list = await api(s.url, 'GET', `${O()}/servers`, { token: ada.token });
  const row = list.json.items.find((x) => x.id === r.json.id);
  assert.equal(row.status, 'healthy');
  assert.ok(row.last_check_at);
  const hist = await api(s.url, 'GET', `${O()}/servers/${r.json.id}/checks`, { token: ada.token });
  assert.equal(hist.json.items.length, 1);
});

test('a wrong key: ssh_auth fails with the fix naming the key and authorized_keys, and nothing is saved', async () => {
  const other = await api(s.url, 'POST', `${O()}/ssh-keys`, { token: ada.token, body: { name: 'other', generate: { type: 'ed25519' } } });
  const b = body({ ssh_key_id: other.json.id, name: 'wrong-key' });
  const t = await api(s.url, 'POST', `${O()}/servers/test-connection`, { token: ada.token, body: b });
  const c = byName(t.json).ssh_auth;
  assert.equal(c.status, 'failed');
  assert.equal(c.code, 'auth_failed');
  assert.equal(c.layer, 'ssh');
  assert.match(c.fix, /authorized_keys/);
  assert.match(c.fix, /'other'/);
  assert.equal(byName(t.json).sudo.status, 'skipped');
  const r = await api(s.url, 'POST', `${O()}/servers`, { token: ada.token, body: b });
  assert.equal(r.status, 400);
  assert.equal(r.json.error.layer, 'ssh');
  assert.equal(r.json.error.details.check, 'ssh_auth');
  const list = await api(s.url, 'GET', `${O()}/servers`, { token: ada.token });
  assert.ok(!list.json.items.some((x) => x.name === 'wrong-key'));
});

test('a closed port is connection_refused at the network layer', async () => {
  const t = await api(s.url, 'POST', `${O()}/servers/test-connection`, { token: ada.token, body: body({ port: await freePort() }) });
  const c = byName(t.json).tcp;
  assert.equal(c.status, 'failed');
  assert.equal(c.code, 'connection_refused');
  assert.equal(c.layer, 'network');
  assert.ok(c.fix);
});

test('a port that drops packets is port_unreachable, naming the security group and firewall', async () => {
  // A listener whose accept queue is full: the kernel drops further SYNs, as a firewall DROP would.
  const py = execFileSync('python3', ['-c', `
import socket, os, sys, time
s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(0)
port = s.getsockname()[1]
fill = []
for i in range(4):
    c = socket.socket(); c.setblocking(False)
    try: c.connect(('127.0.0.1', port))
    except BlockingIOError: pass
    fill.append(c)
print(port, flush=True)
if os.fork() == 0:
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2): os.dup2(devnull, fd)
    time.sleep(30); os._exit(0)
os._exit(0)
`], { encoding: 'utf8' });
  const port = Number(py.trim());
  const started = Date.now();
  // Three slow checks at once (more than the I/O threads) do not stall the rest of the API.
  const slow = [0, 1, 2].map(() => api(s.url, 'POST', `${O()}/servers/test-connection`, { token: ada.token, body: body({ port }) }));
  await new Promise((r) => setTimeout(r, 200));
  const h0 = Date.now();
  assert.equal((await api(s.url, 'GET', `${O()}/ssh-keys`, { token: ada.token })).status, 200);
  assert.ok(Date.now() - h0 < 500, `a list answered in ${Date.now() - h0} ms while SSH checks waited`);
  const t = await slow[0];
  await Promise.all(slow);
  const c = byName(t.json).tcp;
  assert.equal(c.status, 'failed', JSON.stringify(t.json));
  assert.equal(c.code, 'port_unreachable');
  assert.match(c.fix, /security group/);
  assert.ok(Date.now() - started < 15000);
});

test('a user without sudo is named no_sudo with the sudoers fix', async () => {
  const t = await api(s.url, 'POST', `${O()}/servers/test-connection`, { token: ada.token, body: body({ username: NOSUDO_USER }) });
  const c = byName(t.json).sudo;
  assert.equal(c.status, 'failed', JSON.stringify(t.json));
  assert.equal(c.code, 'no_sudo');
  assert.match(c.fix, /NOPASSWD/);
});

test('disk below the threshold, DNS that does not resolve on the node, and an unresolvable host are named', async () => {
  const w = await startWharf({ args: ['--node-dns-probe', 'wharf-probe.invalid', '--min-disk-free-mb', String(1 << 30)] });
  try {
    const u = await signup(w.url, 'dora');
    const O2 = `/api/v1/orgs/${u.org.slug}`;
    const k = await api(w.url, 'POST', `${O2}/ssh-keys`, { token: u.token, body: { name: 'k', generate: { type: 'ed25519' } } });
    const pub = (await api(w.url, 'GET', `${O2}/ssh-keys/${k.json.id}/public-key`, { token: u.token })).text;
    node.authorize(NODE_USER, `${keyPub}${pub}`);
    const t = await api(w.url, 'POST', `${O2}/servers/test-connection`, { token: u.token, body: body({ ssh_key_id: k.json.id }) });
    const c = byName(t.json);
    assert.equal(c.disk.code, 'disk_low', JSON.stringify(c.disk));
    assert.equal(c.dns.code, 'node_dns_failed');
    assert.equal(c.dns.layer, 'network');
    const bad = await api(w.url, 'POST', `${O2}/servers/test-connection`, { token: u.token, body: body({ ssh_key_id: k.json.id, host: 'no-such-node.invalid' }) });
    assert.equal(byName(bad.json).dns.code, 'host_unresolved');
    assert.equal(byName(bad.json).tcp.status, 'skipped');
  } finally {
    await w.stop();
    w.cleanup();
    node.authorize(NODE_USER, keyPub);
  }
});

// The node's PATH is its own: with Docker installed on the test machine, a node without docker
// still reports docker_missing (the host's /usr/bin/docker is never the node's).
test('Docker and Dokku: missing, engine down, too old (compared as versions)', async () => {
  const check = async () => byName((await api(s.url, 'POST', `${O()}/servers/test-connection`, { token: ada.token, body: body() })).json);
  node.dokkuVersion('0.9.10');
  assert.equal((await check()).dokku.code, 'dokku_too_old');  // "0.9.10" > "0.31.0" as strings
  // The minimum is ports:set's first version (0.31.0), derived from the command builders.
  node.dokkuVersion('0.30.9');
  assert.equal((await check()).dokku.code, 'dokku_too_old');
  node.dokkuVersion('0.31.0');
  assert.equal((await check()).dokku.status, 'passed');
  await node.dockerDown(true);
  assert.equal((await check()).docker.code, 'docker_not_running');
  await node.dockerDown(false);
  node.removeStandIn('dokku');
  node.removeStandIn('docker');
  const c = await check();
  assert.equal(c.dokku.code, 'dokku_missing');
  assert.equal(c.docker.code, 'docker_missing');
});

test('an unsupported OS is named', async () => {
  const centos = await startSshd({ osRelease: 'NAME="CentOS Linux"\nVERSION_ID="7"\nID="centos"\nPRETTY_NAME="CentOS Linux 7 (Core)"\n' });
  try {
    centos.authorize(NODE_USER, keyPub);
    const t = await api(s.url, 'POST', `${O()}/servers/test-connection`, { token: ada.token, body: body({ port: centos.port }) });
    const c = byName(t.json).os;
    assert.equal(c.code, 'unsupported_os', JSON.stringify(t.json));
    assert.match(c.message, /CentOS/);
  } finally {
    await centos.cleanup();
  }
});

test('a changed host key is refused until someone with servers.update re-pins it', async () => {
  const host2 = await startSshd();
  try {
    host2.authorize(NODE_USER, keyPub);
    const r = await api(s.url, 'POST', `${O()}/servers`, { token: ada.token, body: body({ name: 'pinned', port: host2.port }) });
    assert.equal(r.status, 201, r.text);
    const pinned = r.json.host_key_fingerprint;
    await host2.restartWithNewHostKey();
    const chk = await api(s.url, 'POST', `${O()}/servers/${r.json.id}/check`, { token: ada.token });
    const c = byName(chk.json).host_key;
    assert.equal(c.code, 'host_key_changed');
    assert.equal(c.layer, 'ssh');
    assert.match(c.fix, /repin-host-key/);
    assert.equal(byName(chk.json).ssh_auth.status, 'skipped', 'no key is offered to a host that changed');
    const after = await api(s.url, 'GET', `${O()}/servers/${r.json.id}`, { token: ada.token });
    assert.equal(after.json.status, 'unhealthy');
    assert.equal(after.json.host_key_fingerprint, pinned);
    const viewer = await memberWithRole(s.url, ada, 'vic', { servers: { read: true } });
    const denied = await api(s.url, 'POST', `${O()}/servers/${r.json.id}/repin-host-key`, { token: viewer.token });
    assert.equal(denied.status, 403);
    assert.equal(denied.json.error.details.permission, 'servers.update');
    const re = await api(s.url, 'POST', `${O()}/servers/${r.json.id}/repin-host-key`, { token: ada.token });
    assert.equal(re.status, 200, re.text);
    assert.equal(re.json.host_key_fingerprint, host2.hostKeyFingerprint());
    assert.notEqual(re.json.host_key_fingerprint, pinned);
    assert.equal(re.json.status, 'healthy');
  } finally {
    await host2.cleanup();
  }
});

test('a new host or port unpins the host key: nothing connects there until someone with servers.update re-pins', async () => {
  const host2 = await startSshd();
  // A relay in front of host2 counts every connection made to the server's new address.
  let connections = 0;
  const relay = net.createServer((c) => {
    connections++;
    const up = net.connect(host2.port, '127.0.0.1');
    c.on('error', () => {});
    up.on('error', () => {});
    c.pipe(up).pipe(c);
  });
  await new Promise((r) => relay.listen(0, '127.0.0.1', r));
  try {
    host2.authorize(NODE_USER, keyPub);
    const r = await api(s.url, 'POST', `${O()}/servers`, { token: ada.token, body: body({ name: 'moving' }) });
    assert.equal(r.status, 201, r.text);
    const id = r.json.id;
    const mover = await memberWithRole(s.url, ada, 'mover', { servers: { read: true, update: true } });
    const moved = await api(s.url, 'PATCH', `${O()}/servers/${id}`, { token: mover.token, body: { port: relay.address().port } });
    assert.equal(moved.status, 200, moved.text);
    assert.equal(moved.json.host_key_fingerprint, null, 'the old pin is dropped');
    for (const action of ['check', 'onboard']) {
      const x = await api(s.url, 'POST', `${O()}/servers/${id}/${action}`, { token: mover.token });
      assert.equal(x.status, 409, `${action}: ${x.text}`);
      assert.equal(x.json.error.layer, 'ssh');
      assert.equal(x.json.error.details.code, 'host_key_not_pinned');
      assert.match(x.json.error.details.fix, /repin-host-key/);
    }
    assert.equal(connections, 0, 'nothing connected to the new address');
    const audit = await api(s.url, 'GET', `${O()}/audit?limit=200`, { token: ada.token });
    const ev = audit.json.items.find((e) => e.action === 'servers.update' && e.resource_id === id);
    assert.match(ev.detail, /changed: port; host key unpinned, re-pin required/);
    // The explicit re-pin (servers.update) connects, pins host2's key, and the server works again.
    const re = await api(s.url, 'POST', `${O()}/servers/${id}/repin-host-key`, { token: mover.token });
    assert.equal(re.status, 200, re.text);
    assert.equal(re.json.host_key_fingerprint, host2.hostKeyFingerprint());
    assert.ok(connections > 0);
    const chk = await api(s.url, 'POST', `${O()}/servers/${id}/check`, { token: mover.token });
    assert.equal(chk.status, 200, chk.text);
    assert.equal(chk.json.ok, true, chk.text);
    await api(s.url, 'DELETE', `${O()}/servers/${id}`, { token: ada.token });
  } finally {
    relay.close();
    await host2.cleanup();
  }
});

test('private targets are refused unless the instance allows them', async () => {
  const strict = await startWharf({ strictTargets: true });
  try {
    const u = await signup(strict.url, 'sid');
    const O2 = `/api/v1/orgs/${u.org.slug}`;
    const k = await api(strict.url, 'POST', `${O2}/ssh-keys`, { token: u.token, body: { name: 'k', generate: { type: 'ed25519' } } });
    for (const host of ['127.0.0.1', '169.254.169.254', '10.0.0.1', '::1']) {
      const r = await api(strict.url, 'POST', `${O2}/servers/test-connection`, { token: u.token, body: body({ ssh_key_id: k.json.id, host }) });
      assert.equal(r.status, 400, host);
      assert.match(r.json.error.details.fields.host, /allow-private-targets/);
    }
    // A DNS name that resolves to loopback is stopped at connect time too.
    const byName2 = await api(strict.url, 'POST', `${O2}/servers/test-connection`, { token: u.token, body: body({ ssh_key_id: k.json.id, host: 'localhost' }) });
    assert.equal(byName(byName2.json).tcp.code, 'private_target');
  } finally {
    await strict.stop();
    strict.cleanup();
  }
});


test('roles: read_scope, create_limit and resource_scope apply to servers; bad input names the field', async () => {
  const a = await api(s.url, 'POST', `${O()}/servers`, { token: ada.token, body: body({ name: 'scoped-a' }) });
  const b = await api(s.url, 'POST', `${O()}/servers`, { token: ada.token, body: body({ name: 'scoped-b' }) });
  assert.equal(a.status, 201);
  const ops = await memberWithRole(s.url, ada, 'ops', { servers: { read: true, update: true } }, { resource_scope: { servers: [a.json.id] } });
  const list = await api(s.url, 'GET', `${O()}/servers`, { token: ops.token });
  assert.deepEqual(list.json.items.map((x) => x.id), [a.json.id]);
  // Outside resource_scope: 403 naming the permission (reason resource_scope), as for applications.
  const outside = await api(s.url, 'GET', `${O()}/servers/${b.json.id}`, { token: ops.token });
  assert.equal(outside.status, 403, outside.text);
  assert.equal(outside.json.error.details.permission, 'servers.read');
  assert.equal(outside.json.error.details.reason, 'resource_scope');
  const check = await api(s.url, 'POST', `${O()}/servers/${b.json.id}/check`, { token: ops.token });
  assert.equal(check.status, 403, check.text);
  assert.equal(check.json.error.details.permission, 'servers.update');
  assert.equal(check.json.error.details.reason, 'resource_scope');
  assert.equal((await api(s.url, 'POST', `${O()}/servers/${a.json.id}/check`, { token: ops.token })).status, 200);
  // create_limit and read_scope: own.
  const dev = await memberWithRole(s.url, ada, 'dev', { servers: { create: true, read: true, create_limit: 1, read_scope: 'own' }, sshKeys: { read: true } });
  const mine = await api(s.url, 'POST', `${O()}/servers`, { token: dev.token, body: body({ name: 'devs-own' }) });
  assert.equal(mine.status, 201, mine.text);
  const second = await api(s.url, 'POST', `${O()}/servers`, { token: dev.token, body: body({ name: 'devs-second' }) });
  assert.equal(second.status, 403);
  assert.equal(second.json.error.code, 'limit_reached');
  const devList = await api(s.url, 'GET', `${O()}/servers`, { token: dev.token });
  assert.deepEqual(devList.json.items.map((x) => x.name), ['devs-own']);
  assert.equal((await api(s.url, 'GET', `${O()}/servers/${a.json.id}`, { token: dev.token })).status, 404);
  for (const [field, extra] of [['port', { port: 70000 }], ['host', { host: 'bad host!' }], ['username', { username: 'Root;rm' }], ['ssh_key_id', { ssh_key_id: 'key_nope' }]]) {
    const r = await api(s.url, 'POST', `${O()}/servers`, { token: ada.token, body: body(extra) });
    assert.equal(r.status, 400, `${field}: ${r.text}`);
    assert.ok(r.json.error.details.fields[field], `${field}: ${r.text}`);
  }
  const unknown = await api(s.url, 'POST', `${O()}/servers`, { token: ada.token, body: { ...body(), password: 'x' } });
  assert.equal(unknown.status, 400);
  assert.ok(unknown.json.error.details.fields.password);
});
