// POST …/diagnose runs the troubleshooting checklists: pasted text → layer; a server → its SSH
// checks; an invitation → email, expiry, seats and the inviter's permission.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWharf, api, signup, freePort } from './lib/harness.mjs';
import { startSshd, NODE_USER } from './lib/sshd.mjs';

let s, node, ada;
const O = () => `/api/v1/orgs/${ada.org.slug}`;
const diag = (body) => api(s.url, 'POST', `${O()}/diagnose`, { token: ada.token, body });

before(async () => {
  node = await startSshd();
  // SMTP points at a closed port, so invitation emails fail.
  s = await startWharf({ smtpPort: await freePort(), args: ['--node-dns-probe', 'localhost', '--min-disk-free-mb', '100'] });
  ada = await signup(s.url, 'ada');
});
after(async () => { await s?.stop(); s?.cleanup(); await node?.cleanup(); });

test('pasted error text is classified with the seed table, and git is told apart from SSH', async () => {
  const rows = [
    ["fatal: Authentication failed for 'https://gitlab.example/acme/api.git/'", 'git_token'],
    ['Error response from daemon: unauthorized: authentication required (pull registry.example/acme/api)', 'registry'],
    ['External backup failed: upload denied', 'backup_storage'],
    ['AccessDenied: not authorized to perform ec2:RunInstances', 'aws_iam'],
    ['the webhook never arrives', 'webhook'],
    ['deploy@203.0.113.5: Permission denied (publickey).', 'ssh'],
  ];
  for (const [text, layer] of rows) {
    const r = await diag({ error_text: text });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.layer, layer, text);
    assert.ok(r.json.likely_causes.length > 0);
  }
  const git = await diag({ error_text: 'git@github.com: Permission denied (publickey).\nfatal: Could not read from remote repository.' });
  assert.equal(git.json.layer, 'git_token');
  assert.match(git.json.not_this, /SSH key will not help/);
  const none = await diag({ error_text: 'hello' });
  assert.equal(none.json.layer, null);
  assert.equal((await diag({})).status, 400);
});

test('a server: the SSH checklist runs for real and names the failing item with its fix', async () => {
  const k = (await api(s.url, 'POST', `${O()}/ssh-keys`, { token: ada.token, body: { name: 'k', generate: { type: 'ed25519' } } })).json;
  node.authorize(NODE_USER, (await api(s.url, 'GET', `${O()}/ssh-keys/${k.id}/public-key`, { token: ada.token })).text);
  const srv = (await api(s.url, 'POST', `${O()}/servers`, { token: ada.token, body: { name: 'n', host: '127.0.0.1', port: node.port, username: NODE_USER, ssh_key_id: k.id } })).json;
  const ok = await diag({ server_id: srv.id });
  assert.equal(ok.json.subject, 'server');
  assert.ok(ok.json.checklist.every((c) => c.status !== 'failed'), JSON.stringify(ok.json.checklist));
  node.authorize(NODE_USER, 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMb1d8m+5yR1i6CqYbvS0Qh8sH2mG1c0Jf5b1cHqQ9Zs other');
  const bad = await diag({ server_id: srv.id, error_text: 'Permission denied (publickey)' });
  assert.equal(bad.json.layer, 'ssh');
  assert.equal(bad.json.checklist[0].name, 'ssh_auth', 'the failing check comes first');
  const auth = bad.json.checklist.find((c) => c.name === 'ssh_auth');
  assert.equal(auth.status, 'failed');
  assert.match(auth.fix, /authorized_keys/);
  assert.equal(bad.json.checklist.find((c) => c.name === 'sudo').status, 'not_applicable');
});

test('an invitation: the SMTP failure, the seats and the inviter are checked', async () => {
  const roles = await api(s.url, 'GET', `${O()}/roles`, { token: ada.token });
  const admin = roles.json.items.find((r) => r.builtin) || roles.json.items[0];
  const inv = await api(s.url, 'POST', `${O()}/invitations`, { token: ada.token, body: { email: 'x@example.test', role_id: admin.id } });
  assert.equal(inv.status, 201, inv.text);
  assert.equal(inv.json.email_status, 'failed');
  const r = await diag({ invitation_id: inv.json.id });
  assert.equal(r.json.subject, 'invitation');
  assert.equal(r.json.layer, 'email');
  assert.equal(r.json.checklist[0].name, 'email', 'the failing check comes first');
  const email = r.json.checklist.find((c) => c.name === 'email');
  assert.equal(email.status, 'failed');
  assert.match(email.fix, /Copy invitation link/);
  assert.equal(r.json.checklist.find((c) => c.name === 'status').status, 'passed');
  assert.equal(r.json.checklist.find((c) => c.name === 'inviter').status, 'passed');
  assert.ok(!r.text.includes('password'), 'no SMTP credential in the answer');
});
