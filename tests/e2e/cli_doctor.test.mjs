// The operations commands of `wharf` against a real `wharf serve` and a real sshd worker node:
// `server onboard --follow` streams the job log live (Server-Sent Events) and exits with the job's
// outcome, `job show|log`, `server firewall apply|show`, `doctor` (server, pasted error text),
// `explain` (one line and the matrix) and `support-bundle` (a 0600 tar).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http from 'node:http';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startWharf, signup, memberWithRole, WHARF_BIN, untar } from './lib/harness.mjs';
import { startSshd, NODE_USER } from './lib/sshd.mjs';
import { cliUser } from './lib/cli.mjs';

let s, node, web, ada, cli, pub;
let script = '';
before(async () => {
  node = await startSshd();
  // Serves the stand-in of dokku.com's bootstrap.sh on 127.0.0.1.
  web = http.createServer((req, res) => { res.writeHead(200, { 'content-type': 'text/x-shellscript' }); res.end(script); });
  await new Promise((r) => web.listen(0, '127.0.0.1', r));
  s = await startWharf({ args: ['--node-dns-probe', 'localhost', '--min-disk-free-mb', '100',
    '--dokku-bootstrap-url', `http://127.0.0.1:${web.address().port}/bootstrap.sh`] });
  ada = await signup(s.url, 'ada');
  cli = cliUser('ops');
  const r = await cli.run(['login', s.url, '--token', ada.token]);
  assert.equal(r.code, 0, r.stderr);
  await cli.json(['ssh-key', 'add', 'deploy', '--generate', 'ed25519']);
  pub = (await cli.run(['ssh-key', 'public-key', 'deploy'])).stdout;
  node.authorize(NODE_USER, pub);
  const add = await cli.run(['server', 'add', 'web-1', '--host', '127.0.0.1', '--port', String(node.port),
    '--user', NODE_USER, '--ssh-key', 'deploy']);
  assert.equal(add.code, 0, add.stdout + add.stderr);
});
after(async () => { await s?.stop(); s?.cleanup(); web?.close(); await node?.cleanup(); cli?.cleanup(); });

// Runs the CLI and notes when stdout first matched `marker` and when the process exited.
function runTimed(args, marker) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const p = spawn(WHARF_BIN, args, { env: cli.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '', markerAt = null;
    p.stdout.on('data', (d) => {
      stdout += d;
      if (markerAt === null && marker.test(stdout)) markerAt = Date.now() - started;
    });
    p.stderr.on('data', (d) => { stderr += d; });
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, stdout, stderr, markerAt, exitAt: Date.now() - started }));
  });
}

test('server onboard --follow prints the install live, exits 0, and the job can be read back', async () => {
  node.removeStandIn('dokku');
  script = node.bootstrapScript({ sleep: 2 });
  const r = await runTimed(['server', 'onboard', 'web-1', '--follow'], /Installing dokku v0\.38\.27 \(stand-in\)/);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.ok(r.markerAt !== null, r.stdout);
  assert.ok(r.exitAt - r.markerAt >= 1500, `the first lines arrived ${r.exitAt - r.markerAt} ms before the end: not streamed`);
  assert.match(r.stdout, /Installing Dokku 0\.38\.27/);
  for (const p of ['postgres', 'mysql', 'mariadb', 'mongo', 'redis', 'letsencrypt']) assert.match(r.stdout, new RegExp(`Installing plugin ${p}`));
  assert.match(r.stdout, /Done: every check passes/);
  assert.match(r.stderr, /Onboarding web-1 \(job (job_\S+)\)/);
  assert.match(r.stderr, /succeeded/);
  const jobId = r.stderr.match(/\(job (\S+)\)/)[1];

  const job = await cli.json(['job', 'show', jobId]);
  assert.equal(job.status, 'succeeded');
  assert.equal(job.kind, 'onboard');
  assert.equal(job.log, r.stdout, 'what was streamed is exactly the stored log');
  const shown = await cli.run(['job', 'show', jobId]);
  assert.match(shown.stdout, /^ID\s+KIND\s+STATUS/m);
  assert.match(shown.stdout, new RegExp(`^${jobId}\\s+onboard\\s+succeeded`, 'm'));
  const log = await cli.run(['job', 'log', jobId]);
  assert.equal(log.code, 0);
  assert.equal(log.stdout, r.stdout);
  const replay = await cli.run(['job', 'log', jobId, '--follow']);
  assert.equal(replay.code, 0, replay.stderr);
  assert.equal(replay.stdout, r.stdout, 'following a finished job replays its whole log');

  // Without --follow: the job id, for scripts; a second run does only what is missing.
  const queued = await cli.json(['server', 'onboard', 'web-1']);
  assert.match(queued.job_id, /^job_/);
  const second = await cli.run(['job', 'log', queued.job_id, '--follow', '-o', 'json']);
  assert.equal(second.code, 0, second.stderr);
  assert.equal(JSON.parse(second.stdout).status, 'succeeded');
  assert.match(second.stderr, /Plugin letsencrypt is installed: skipping/, 'with -o json the log goes to stderr');
});

test('a failed onboarding exits 1 with the job error', async () => {
  node.removeStandIn('dokku');
  script = '#!/bin/bash\necho "-----> bootstrap cannot reach the package mirror"\nexit 3\n';
  const r = await cli.run(['server', 'onboard', 'web-1', '--follow']);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /cannot reach the package mirror/);
  assert.match(r.stderr, /Job job_\S+ failed/);
  const id = r.stderr.match(/\(job (\S+)\)/)[1];
  assert.equal((await cli.run(['job', 'log', id, '--follow'])).code, 1);
  assert.equal((await cli.json(['job', 'show', id])).status, 'failed');
  const missing = await cli.run(['job', 'show', 'job_nope']);
  assert.equal(missing.code, 1);
  node.dokkuVersion('0.38.27');
  writeFileSync(path.join(node.dir, 'bin', 'dokku'), readFileSync(path.join(node.dir, 'standin', 'dokku.standin')), { mode: 0o755 });
});

test('server firewall apply and show print the rules in force on the node', async () => {
  await cli.json(['security-group', 'create', 'fw', '--inbound', `custom-tcp:${node.port}=127.0.0.1/32`, '--inbound', 'https=0.0.0.0/0']);
  await cli.json(['server', 'edit', 'web-1', '--security-group', 'fw']);
  const applied = await cli.run(['server', 'firewall', 'apply', 'web-1']);
  assert.equal(applied.code, 0, applied.stderr);
  assert.match(applied.stdout, /^Backend: nftables$/m);
  assert.match(applied.stdout, new RegExp(`tcp dport ${node.port} accept`));
  assert.ok(applied.stdout.includes(node.firewallRules().trim()), 'the rules shown are what the kernel has');
  const shown = await cli.json(['server', 'firewall', 'show', 'web-1']);
  assert.equal(shown.backend, 'nftables');
  assert.equal(shown.rules_in_force, node.firewallRules());
});

test('doctor classifies pasted errors and names the failing server check with its fix', async () => {
  const sshText = await cli.run(['doctor', '--error', 'deploy@203.0.113.5: Permission denied (publickey).']);
  assert.match(sshText.stdout, /^Layer: ssh/m, sshText.stdout + sshText.stderr);
  assert.match(sshText.stdout, /Likely causes:/);
  // The guide line is the page this Wharf serves, and it opens.
  const guide = sshText.stdout.match(/^Guide: (\S+)$/m);
  assert.ok(guide, sshText.stdout);
  assert.match(guide[1], /\/help\/troubleshooting\/servers/);
  const served = await fetch(guide[1]);
  assert.equal(served.status, 200);
  assert.match(served.headers.get('content-type'), /^text\/html/);
  const git = await cli.run(['doctor', '--error', '-', '-o', 'json'],
    { input: "remote: HTTP Basic: Access denied\nfatal: Authentication failed for 'https://gitlab.example/acme/api.git/'\n" });
  assert.equal(JSON.parse(git.stdout).layer, 'git_token', git.stderr);
  const unknown = await cli.run(['doctor', '--error', 'hello']);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stdout, /Layer: unknown/);
  assert.match(unknown.stdout, /✘ classify/);

  const healthy = await cli.run(['doctor', '--server', 'web-1']);
  assert.equal(healthy.code, 0, healthy.stdout + healthy.stderr);
  assert.match(healthy.stdout, /^ {2}✔ ssh_auth/m);
  // Someone replaced the node's authorized key: ssh_auth fails, with the fix, and exit 1.
  node.authorize(NODE_USER, 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMb1d8m+5yR1i6CqYbvS0Qh8sH2mG1c0Jf5b1cHqQ9Zs other');
  try {
    const bad = await cli.run(['doctor', '--server', 'web-1']);
    assert.equal(bad.code, 1, bad.stdout + bad.stderr);
    assert.match(bad.stdout, /^ {2}✘ ssh_auth/m);
    assert.match(bad.stdout, /^ {6}fix: .*authorized_keys/m);
    assert.match(bad.stdout, /^ {2}– sudo/m);
    assert.match(bad.stderr, /checklist item\(s\) failed \(first: ssh_auth\)/);
    const j = await cli.run(['doctor', '--server', 'web-1', '-o', 'json']);
    assert.equal(j.code, 1);
    assert.equal(JSON.parse(j.stdout).checklist.find((c) => c.name === 'ssh_auth').status, 'failed');
  } finally {
    node.authorize(NODE_USER, pub);
  }
  assert.equal((await cli.run(['doctor', '--server', 'nope'])).code, 1);
});

test('doctor --invitation runs the invitation checklist, by email or id', async () => {
  const inv = await cli.json(['invite', 'grace@example.test', '--role', 'Admin', '--no-email']);
  const ok = await cli.run(['doctor', '--invitation', 'grace@example.test']);
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  assert.match(ok.stdout, /^ {2}✔ status: Pending and unexpired\.$/m);
  assert.match(ok.stdout, /^ {2}– email: No email was sent/m);
  assert.match(ok.stdout, /^ {2}✔ seats: /m);
  assert.match(ok.stdout, /^ {2}✔ inviter: .*grants team\.update/m);
  assert.equal((await cli.run(['invite', 'revoke', 'grace@example.test'])).code, 0);
  const revoked = await cli.run(['doctor', '--invitation', inv.id]);
  assert.equal(revoked.code, 1, revoked.stdout + revoked.stderr);
  assert.match(revoked.stdout, /^ {2}✘ status: The invitation was revoked\.\n {6}fix: Invite again\.$/m);
  assert.equal(JSON.parse((await cli.run(['doctor', '--invitation', inv.id, '-o', 'json'])).stdout).subject, 'invitation');
});

test('explain names the missing permission; without one it prints the matrix', async () => {
  const bob = await memberWithRole(s.url, ada, 'bob', { servers: { read: true } });
  const one = await cli.run(['explain', '--user', bob.email, 'servers:update']);
  assert.equal(one.code, 0, one.stderr);
  assert.match(one.stdout, /^✘ denied: .*does not grant servers\.update/m);
  assert.match(one.stdout, /^ {2}missing permission: servers\.update$/m);
  const j = await cli.json(['explain', '--user', bob.user.id, 'servers.update']);
  assert.equal(j.reason, 'missing_permission');
  assert.equal(j.permission, 'servers.update');
  assert.equal(j.allowed, false);
  const yes = await cli.run(['explain', '--user', bob.email, 'servers:r']);
  assert.match(yes.stdout, /^✔ allowed/m);
  const matrix = await cli.run(['explain', '--user', bob.email]);
  assert.equal(matrix.code, 0, matrix.stderr);
  assert.match(matrix.stdout, /^PERMISSION\s+ALLOWED\s+REASON$/m);
  assert.match(matrix.stdout, /^servers\.read\s+yes\s+allowed/m);
  assert.match(matrix.stdout, /^servers\.update\s+no\s+missing_permission/m);
  // Bob asks about himself with his own sign-in.
  const bobCli = cliUser('bob');
  try {
    // Bob also owns an org of his own: he signs in to Ada's.
    assert.equal((await bobCli.run(['login', s.url, '--token', bob.token, '--org', ada.org.slug])).code, 0);
    const self = await bobCli.run(['explain', 'servers:update']);
    assert.match(self.stdout, /missing permission: servers\.update/);
    const other = await bobCli.run(['explain', '--user', ada.user.id, 'servers:update']);
    assert.equal(other.code, 4, other.stderr);
    // A member without Admin cannot download a support bundle.
    const denied = await bobCli.run(['support-bundle', '-O', path.join(bobCli.home, 'b.tar')]);
    assert.equal(denied.code, 4, denied.stderr);
  } finally {
    bobCli.cleanup();
  }
  assert.equal((await cli.run(['explain', 'servers:write'])).code, 2);
});


test('support-bundle writes a tar with mode 0600 holding the manifest', async () => {
  const file = path.join(cli.home, 'bundle.tar');
  writeFileSync(file, 'old', { mode: 0o644 });  // an existing file is tightened too
  const r = await cli.run(['support-bundle', '--since', '2h', '--request-id', 'req_123', '--error', 'Permission denied (publickey)', '-O', file]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Wrote the support bundle to .*bundle\.tar/);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  const files = untar(readFileSync(file));
  assert.ok('manifest.json' in files, Object.keys(files).join(', '));
  const manifest = JSON.parse(files['manifest.json']);
  assert.equal(manifest.org, ada.org.slug);
  assert.ok(manifest.request_ids.includes('req_123'), JSON.stringify(manifest.request_ids));
  assert.equal(manifest.error_text, 'Permission denied (publickey)');
  assert.ok(!readFileSync(file).includes(ada.token), 'no token in the bundle');
  const bad = await cli.run(['support-bundle', '--since', '9d', '-O', file]);
  assert.equal(bad.code, 2);
});
