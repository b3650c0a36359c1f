// Security groups: named types fix protocol and ports, CIDRs are strict and normalised with a
// warning, groups attach to servers, and the rule that keeps Wharf's SSH open cannot be removed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWharf, api, signup } from './lib/harness.mjs';
import { startSshd, NODE_USER } from './lib/sshd.mjs';

let s, node, ada, key;
const O = () => `/api/v1/orgs/${ada.org.slug}`;

before(async () => {
  node = await startSshd();
  s = await startWharf({ args: ['--node-dns-probe', 'localhost', '--min-disk-free-mb', '100'] });
  ada = await signup(s.url, 'ada');
  key = (await api(s.url, 'POST', `${O()}/ssh-keys`, { token: ada.token, body: { name: 'deploy', generate: { type: 'ed25519' } } })).json;
  node.authorize(NODE_USER, (await api(s.url, 'GET', `${O()}/ssh-keys/${key.id}/public-key`, { token: ada.token })).text);
});
after(async () => { await s?.stop(); s?.cleanup(); await node?.cleanup(); });

const group = (body) => api(s.url, 'POST', `${O()}/security-groups`, { token: ada.token, body });

test('named types map to the right protocol and ports, never silently to TCP', async () => {
  const r = await group({ name: 'web', inbound: [
    { type: 'ssh', source: '203.0.113.0/24' }, { type: 'https', source: 'anywhere' }, { type: 'dns', source: 'anywhere' },
    { type: 'icmp', source: '0.0.0.0/0' }, { type: 'postgresql', source: '10.0.0.0/8' }, { type: 'redis', source: '10.0.0.0/8' },
    { type: 'custom-udp', from_port: 60000, to_port: 61000, source: '2001:db8::/32', description: 'mosh' },
    { type: 'all-traffic', source: 'anywhere-ipv6' },
  ] });
  assert.equal(r.status, 201, r.text);
  const rules = r.json.inbound.map((x) => [x.type, x.protocol, x.from_port, x.to_port, x.source]);
  assert.deepEqual(rules, [
    ['ssh', 'tcp', 22, 22, '203.0.113.0/24'], ['https', 'tcp', 443, 443, '0.0.0.0/0'], ['dns', 'udp', 53, 53, '0.0.0.0/0'],
    ['icmp', 'icmp', undefined, undefined, '0.0.0.0/0'], ['postgresql', 'tcp', 5432, 5432, '10.0.0.0/8'],
    ['redis', 'tcp', 6379, 6379, '10.0.0.0/8'], ['custom-udp', 'udp', 60000, 61000, '2001:db8::/32'],
    ['all-traffic', 'all', undefined, undefined, '::/0'],
  ]);
  assert.equal(r.json.outbound.length, 2, 'default outbound: all traffic, IPv4 and IPv6');
  const contradict = await group({ name: 'x', inbound: [{ type: 'dns', protocol: 'tcp', source: 'anywhere' }] });
  assert.equal(contradict.status, 400);
  assert.match(contradict.json.error.details.fields['inbound[0].protocol'], /always udp/);
  const ports = await group({ name: 'x', inbound: [{ type: 'ssh', from_port: 2222, source: 'anywhere' }] });
  assert.ok(ports.json.error.details.fields['inbound[0].from_port']);
});

test('port ranges and CIDRs are validated strictly; host bits are normalised and said so', async () => {
  const cases = [
    [{ type: 'custom-tcp', from_port: 90, to_port: 80, source: 'anywhere' }, 'inbound[0].to_port'],
    [{ type: 'custom-tcp', from_port: 0, source: 'anywhere' }, 'inbound[0].from_port'],
    [{ type: 'custom-tcp', from_port: 1, to_port: 65536, source: 'anywhere' }, 'inbound[0].to_port'],
    [{ type: 'custom-tcp', source: 'anywhere' }, 'inbound[0].from_port'],
    [{ type: 'ssh', source: '10.0.0.256/8' }, 'inbound[0].source'],
    [{ type: 'ssh', source: '10.0.0.1' }, 'inbound[0].source'],
    [{ type: 'ssh', source: '010.0.0.1/32' }, 'inbound[0].source'],
    [{ type: 'ssh', source: '10.0.0.0/33' }, 'inbound[0].source'],
    [{ type: 'ssh', source: '2001:db8::/129' }, 'inbound[0].source'],
    [{ type: 'ssh', source: '10.0.0.0/08' }, 'inbound[0].source'],
    [{ type: 'icmp', source: '::/0' }, 'inbound[0].source'],
    [{ type: 'telnet', source: 'anywhere' }, 'inbound[0].type'],
    [{ type: 'ssh', source: 'anywhere', port: 22 }, 'inbound[0].port'],
  ];
  for (const [rule, field] of cases) {
    const r = await group({ name: 'bad', inbound: [rule] });
    assert.equal(r.status, 400, JSON.stringify(rule));
    assert.ok(r.json.error.details.fields[field], `${JSON.stringify(rule)} → ${r.text}`);
  }
  const n = await group({ name: 'normalised', inbound: [{ type: 'ssh', source: '192.168.1.77/24' }, { type: 'https', source: '2001:db8::1/32' }, { type: 'http', source: 'my-ip' }] });
  assert.equal(n.status, 201, n.text);
  assert.equal(n.json.inbound[0].source, '192.168.1.0/24');
  assert.equal(n.json.inbound[1].source, '2001:db8::/32');
  assert.equal(n.json.inbound[2].source, '127.0.0.1/32', 'my-ip is the caller\'s address');
  assert.equal(n.json.warnings.length, 2);
  assert.match(n.json.warnings[0], /inbound\[0\]\.source: 192\.168\.1\.77\/24 has host bits set; stored as 192\.168\.1\.0\/24/);
});

test('attach to a server; removing the rule that keeps Wharf\'s SSH open is refused; a used group cannot be deleted', async () => {
  // On this test host sshd listens on a high port, so a group with only "ssh" (22) would close it.
  const closed = await group({ name: 'only-22', inbound: [{ type: 'ssh', source: '127.0.0.0/8' }] });
  const refused = await api(s.url, 'POST', `${O()}/servers`, { token: ada.token, body: { name: 'fw-node', host: '127.0.0.1', port: node.port, username: NODE_USER, ssh_key_id: key.id, security_group_ids: [closed.json.id] } });
  assert.equal(refused.status, 409, refused.text);
  assert.equal(refused.json.error.details.reason, 'ssh_lockout');
  const g = await group({ name: 'node-fw', inbound: [{ type: 'custom-tcp', from_port: node.port, source: '127.0.0.1/32', description: 'wharf' }, { type: 'https', source: 'anywhere' }] });
  const srv = await api(s.url, 'POST', `${O()}/servers`, { token: ada.token, body: { name: 'fw-node', host: '127.0.0.1', port: node.port, username: NODE_USER, ssh_key_id: key.id, security_group_ids: [g.json.id] } });
  assert.equal(srv.status, 201, srv.text);
  assert.deepEqual(srv.json.security_group_ids, [g.json.id]);
  const lockout = await api(s.url, 'PATCH', `${O()}/security-groups/${g.json.id}`, { token: ada.token, body: { inbound: [{ type: 'https', source: 'anywhere' }] } });
  assert.equal(lockout.status, 409);
  assert.equal(lockout.json.error.details.reason, 'ssh_lockout');
  assert.equal(lockout.json.error.layer, 'network');
  assert.match(lockout.json.error.message, /would close SSH/);
  const narrowed = await api(s.url, 'PATCH', `${O()}/security-groups/${g.json.id}`, { token: ada.token, body: { inbound: [{ type: 'custom-tcp', from_port: node.port, source: '10.0.0.0/8' }] } });
  assert.equal(narrowed.status, 409, 'a source that no longer contains Wharf\'s address closes SSH too');
  const still = await api(s.url, 'GET', `${O()}/security-groups/${g.json.id}`, { token: ada.token });
  assert.equal(still.json.inbound[0].from_port, node.port, 'nothing was written');
  // Apply to the host firewall: real nftables on the node; the rules in force come back.
  const applied = await api(s.url, 'POST', `${O()}/servers/${srv.json.id}/apply-firewall`, { token: ada.token });
  assert.equal(applied.status, 200, applied.text);
  assert.equal(applied.json.backend, 'nftables');
  const inForce = node.firewallRules();
  assert.equal(applied.json.rules_in_force, inForce, 'the answer is what the kernel has');
  assert.match(inForce, /policy drop/);
  assert.match(inForce, new RegExp(`ip saddr 127\\.0\\.0\\.1 tcp dport ${node.port} accept comment "node-fw: wharf"`));
  assert.match(inForce, /tcp dport 443 accept/);
  assert.match(inForce, /iif "lo" accept/);
  const again = await api(s.url, 'POST', `${O()}/servers/${srv.json.id}/apply-firewall`, { token: ada.token });
  assert.equal(again.json.rules_in_force, inForce, 'applying twice is applying once');
  const read = await api(s.url, 'GET', `${O()}/servers/${srv.json.id}/firewall`, { token: ada.token });
  assert.equal(read.json.rules_in_force, inForce);
  const chk = await api(s.url, 'POST', `${O()}/servers/${srv.json.id}/check`, { token: ada.token });
  assert.equal(chk.json.firewall.backend, 'nftables');
  assert.equal(chk.json.firewall.rules_in_force, inForce, 'the check shows the rules in force');
  const del = await api(s.url, 'DELETE', `${O()}/security-groups/${g.json.id}`, { token: ada.token });
  assert.equal(del.status, 409);
  assert.deepEqual(del.json.error.details.servers.map((x) => x.name), ['fw-node']);
  const detach = await api(s.url, 'PATCH', `${O()}/servers/${srv.json.id}`, { token: ada.token, body: { security_group_ids: [] } });
  assert.equal(detach.status, 200, detach.text);
  assert.equal((await api(s.url, 'DELETE', `${O()}/security-groups/${g.json.id}`, { token: ada.token })).status, 204);
});

test('a node with only ufw gets the same groups through ufw; ICMP rules are reported as left to ufw', async () => {
  const uf = await startSshd({ firewall: 'ufw' });
  try {
    uf.authorize(NODE_USER, (await api(s.url, 'GET', `${O()}/ssh-keys/${key.id}/public-key`, { token: ada.token })).text);
    const g = await group({ name: 'ufw-fw', inbound: [{ type: 'custom-tcp', from_port: uf.port, source: '127.0.0.1/32', description: 'wharf' },
      { type: 'custom-udp', from_port: 60000, to_port: 61000, source: '2001:db8::/32' }, { type: 'icmp', source: 'anywhere' }] });
    const srv = await api(s.url, 'POST', `${O()}/servers`, { token: ada.token, body: { name: 'ufw-node', host: '127.0.0.1', port: uf.port, username: NODE_USER, ssh_key_id: key.id, security_group_ids: [g.json.id] } });
    assert.equal(srv.status, 201, srv.text);
    const applied = await api(s.url, 'POST', `${O()}/servers/${srv.json.id}/apply-firewall`, { token: ada.token });
    assert.equal(applied.status, 200, applied.text);
    assert.equal(applied.json.backend, 'ufw');
    assert.match(applied.json.rules_in_force, /Status: active/);
    assert.match(applied.json.rules_in_force, /Default: deny \(incoming\), allow \(outgoing\)/);
    assert.match(applied.json.rules_in_force, new RegExp(`${uf.port}/tcp\\s+ALLOW IN\\s+127\\.0\\.0\\.1\\s+# ufw-fw: wharf`));
    assert.match(applied.json.rules_in_force, /60000:61000\/udp\s+ALLOW IN\s+2001:db8::\/32/);
    assert.equal(applied.json.skipped.length, 1);
    assert.match(applied.json.skipped[0], /icmp/);
    assert.equal(uf.firewallRules(), applied.json.rules_in_force, 'the answer is what ufw has in force');
  } finally {
    await uf.cleanup();
  }
});
