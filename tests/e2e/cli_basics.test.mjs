// The command-line client against a real `wharf serve`: sign-in (prompt on a real pty, --token,
// --token-stdin, WHARF_TOKEN), contexts and their 0600 file, JSON shapes, every exit code, colour, completion,
// and admin backup/restore.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startWharf, api, signup, sshKeygen, databaseEnv, WHARF_BIN } from './lib/harness.mjs';
import { cliUser } from './lib/cli.mjs';

let s, ada, cli;
before(async () => {
  s = await startWharf();
  ada = await signup(s.url, 'ada');
  cli = cliUser('ada');
  const r = await cli.run(['login', s.url, '--email', ada.email, '--password-stdin'], { input: `${ada.password}\n` });
  assert.equal(r.code, 0, r.stderr);
});
after(async () => { await s.stop(); s.cleanup(); cli.cleanup(); });

test('login prompts for the password on a real terminal without echoing it', async () => {
  const u = cliUser('pty');
  try {
    const r = await u.pty(['login', s.url], [['Email: ', ada.email], ['Password: ', ada.password]]);
    assert.equal(r.code, 0, r.transcript);
    assert.ok(r.transcript.includes(ada.email), 'the email is echoed as typed');
    assert.ok(!r.transcript.includes(ada.password), `the password must not be echoed: ${r.transcript}`);
    assert.match(r.transcript, /Signed in to .* as /);
    const who = await u.json(['whoami']);
    assert.equal(who.user.email, ada.email);
    // A wrong password through the same prompt: exit 3, and still no echo.
    const bad = await u.pty(['login', s.url], [['Email: ', ada.email], ['Password: ', 'not-the-password-123']]);
    assert.equal(bad.code, 3, bad.transcript);
    assert.ok(!bad.transcript.includes('not-the-password-123'));
  } finally { u.cleanup(); }
});

// Regression (issue 23-10): `--token T` was the only way to sign in with a token, which puts it in
// ps and shell history. --token-stdin reads it from a pipe, or prompts without echo on a terminal.
test('login --token-stdin reads the token from stdin or a no-echo prompt; --token warns it is visible', async () => {
  const u = cliUser('tok');
  try {
    const piped = await u.run(['login', s.url, '--token-stdin', '--name', 'piped'], { input: `${ada.token}\n` });
    assert.equal(piped.code, 0, piped.stderr);
    assert.ok(!piped.stderr.includes('warning'), piped.stderr);
    assert.equal((await u.json(['whoami'])).user.email, ada.email);
    const tty = await u.pty(['login', s.url, '--token-stdin', '--name', 'tty'], [['Token: ', ada.token]]);
    assert.equal(tty.code, 0, tty.transcript);
    assert.ok(!tty.transcript.includes(ada.token), `the token must not be echoed: ${tty.transcript}`);
    assert.match(tty.transcript, /Signed in to .* as /);
    const empty = await u.run(['login', s.url, '--token-stdin'], { input: '\n' });
    assert.equal(empty.code, 2, empty.stderr);
    const both = await u.run(['login', s.url, '--token-stdin', '--token', ada.token], { input: `${ada.token}\n` });
    assert.equal(both.code, 2, both.stderr);
    // --token still works (scripts keep running) but says why not to use it.
    const argv = await u.run(['login', s.url, '--token', ada.token, '--name', 'argv']);
    assert.equal(argv.code, 0, argv.stderr);
    assert.match(argv.stderr, /warning: --token is visible to every user of this machine \(ps\).*--token-stdin/);
  } finally { u.cleanup(); }
});

test('the config file honours XDG_CONFIG_HOME, has mode 0600 in a 0700 directory, and holds named contexts', async () => {
  const st = statSync(cli.configFile);
  assert.equal(st.mode & 0o777, 0o600);
  assert.equal(statSync(path.dirname(cli.configFile)).mode & 0o777, 0o700);
  const text = readFileSync(cli.configFile, 'utf8');
  assert.match(text, /^current = /m);
  assert.ok(text.includes(s.url));
  const ctx = await cli.json(['context', 'list']);
  assert.equal(ctx.length, 1);
  assert.deepEqual(Object.keys(ctx[0]).sort(), ['current', 'email', 'name', 'org', 'signed_in', 'url']);
  assert.equal(ctx[0].current, true);
  assert.equal(ctx[0].email, ada.email);
  assert.equal(ctx[0].org, ada.org.slug);
  // A second, named context by token; `context use` switches; the table never shows a token.
  const r = await cli.run(['login', s.url, '--token', ada.token, '--context', 'second']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal((await cli.run(['context', 'current'])).stdout.trim(), 'second');
  assert.equal((await cli.run(['context', 'use', ctx[0].name])).code, 0);
  assert.equal((await cli.run(['context', 'current'])).stdout.trim(), ctx[0].name);
  const table = await cli.run(['context', 'list']);
  assert.ok(!table.stdout.includes(ada.token));
  assert.match(table.stdout, /^CURRENT\s+NAME\s+URL/);
  assert.equal(statSync(cli.configFile).mode & 0o777, 0o600);
  assert.equal((await cli.run(['context', 'use', 'nope'])).code, 2);
  assert.equal((await cli.run(['context', 'delete', 'second'])).code, 0);
});

test('WHARF_TOKEN and WHARF_URL work without any config; WHARF_ORG picks the org', async () => {
  const u = cliUser('env');
  try {
    const env = { WHARF_URL: s.url, WHARF_TOKEN: ada.token, WHARF_ORG: ada.org.slug };
    const r = await u.run(['member', 'list', '-o', 'json'], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout)[0].user.email, ada.email);
  } finally { u.cleanup(); }
});

test('JSON output is the API objects (lists print the items array)', async () => {
  const me = await cli.json(['whoami']);
  const apiMe = (await api(s.url, 'GET', '/api/v1/me', { token: ada.token })).json;
  assert.deepEqual(me, apiMe);
  const orgs = await cli.json(['org', 'list']);
  assert.deepEqual(orgs, apiMe.orgs);
  assert.deepEqual(Object.keys(orgs[0]).sort(), ['name', 'owner', 'permissions', 'role', 'slug']);

  const created = await cli.json(['role', 'create', 'Developer', '--description', 'ships things', '--allow', 'services:cru',
    '--allow', 'servers:r', '--scope', 'servers=own', '--allow', 'applications:c', '--create-limit', 'applications=3']);
  for (const k of ['id', 'name', 'description', 'builtin', 'permissions', 'resource_scope', 'member_count']) assert.ok(k in created, k);
  assert.deepEqual(created.permissions.services, { create: true, read: true, update: true, delete: false, create_limit: 0, read_scope: 'all' });
  assert.equal(created.permissions.servers.read_scope, 'own');
  assert.equal(created.permissions.applications.create_limit, 3);
  const roles = await cli.json(['role', 'list']);
  const apiRoles = (await api(s.url, 'GET', `/api/v1/orgs/${ada.org.slug}/roles`, { token: ada.token })).json.items;
  assert.deepEqual(roles, apiRoles);
  assert.deepEqual(await cli.json(['role', 'show', 'developer']), created);
  const yaml = await cli.run(['role', 'show', 'Developer', '-o', 'yaml']);
  assert.match(yaml.stdout, /^name: Developer$/m);
  assert.match(yaml.stdout, /^ {2}services:\n {4}create: true$/m);

  // --from-file, and edit replacing the matrix.
  const file = path.join(cli.home, 'viewer.json');
  writeFileSync(file, JSON.stringify({ name: 'Viewer', permissions: { servers: { read: true }, team: { read: true } } }));
  const viewer = await cli.json(['role', 'create', '--from-file', file]);
  assert.equal(viewer.permissions.team.read, true);
  const edited = await cli.json(['role', 'edit', 'Viewer', '--allow', '*:r']);
  assert.equal(edited.permissions.backupStorage.read, true);
  assert.equal(edited.permissions.backupStorage.update, false);

  const members = await cli.json(['member', 'list']);
  assert.deepEqual(Object.keys(members[0]).sort(), ['joined_at', 'owner', 'role', 'user']);
  // -o yaml on lists: a sequence of the same objects.
  const ymembers = await cli.run(['member', 'list', '-o', 'yaml']);
  assert.equal(ymembers.code, 0, ymembers.stderr);
  assert.match(ymembers.stdout, /^- joined_at: /);
  assert.match(ymembers.stdout, new RegExp(`^ {4}email: ${ada.email.replace(/[.+]/g, '\\$&')}$`, 'm'));
  const yroles = await cli.run(['role', 'list', '-o', 'yaml']);
  assert.equal((yroles.stdout.match(/^- /gm) || []).length, (await cli.json(['role', 'list'])).length);
  assert.deepEqual(Object.keys(members[0].user).sort(), ['email', 'id', 'name']);

  const inv = await cli.json(['invite', 'bob@example.test', '--role', 'Viewer']);
  for (const k of ['id', 'email', 'role', 'status', 'expires_at', 'link', 'email_status']) assert.ok(k in inv, k);
  assert.equal(inv.email_status, 'disabled');
  const invs = await cli.json(['invite', 'list']);
  assert.equal(invs.length, 1);
  assert.ok(!('link' in invs[0]) && !('token' in invs[0]));
  const link = await cli.run(['invite', 'link', 'bob@example.test']);
  assert.match(link.stdout.trim(), new RegExp(`^${s.url}/invite/\\S+$`));
  assert.equal((await cli.run(['invite', 'revoke', 'bob@example.test'])).code, 0);
  assert.deepEqual(await cli.json(['invite', 'list']), []);

  const tok = await cli.json(['token', 'create', 'ci', '--allow', 'servers:r', '--expires-in-days', '30']);
  assert.ok(tok.token && tok.id);
  assert.deepEqual(tok.permissions.servers, { create: false, read: true, update: false, delete: false, create_limit: 0, read_scope: 'all' });
  const tokens = await cli.json(['token', 'list']);
  assert.equal(tokens.length, 1);
  assert.ok(!JSON.stringify(tokens).includes(tok.token), 'a token is printed only at create');
  // Table mode prints only the token on stdout, so $(wharf token create) captures it.
  const plain = await cli.run(['token', 'create', 'ci2']);
  assert.match(plain.stdout, /^\S+\n$/);
  assert.match(plain.stderr, /shown only now/);
  assert.equal((await cli.run(['token', 'revoke', 'ci2'])).code, 0);

  const key = sshKeygen('cli@test');
  const keyFile = path.join(cli.home, 'id.pub');
  const privFile = path.join(cli.home, 'id');
  writeFileSync(keyFile, `${key.pub}\n`);
  writeFileSync(privFile, key.priv);
  const k = await cli.json(['ssh-key', 'add', 'deploy', '--public-key-file', keyFile, '--private-key-file', privFile]);
  assert.equal(k.fingerprint, key.fingerprint);
  assert.deepEqual(k.private_key, { set: true });
  assert.ok(!JSON.stringify(k).includes('PRIVATE KEY'));
  assert.deepEqual((await cli.json(['ssh-key', 'list'])).map((x) => x.id), [k.id]);
  assert.equal((await cli.json(['ssh-key', 'show', 'deploy'])).id, k.id);
  assert.equal((await cli.json(['ssh-key', 'rename', 'deploy', 'deploy-2'])).name, 'deploy-2');
  assert.equal((await cli.run(['ssh-key', 'delete', 'deploy-2'])).code, 0);

  const audit = await cli.json(['audit', '--limit', '5']);
  assert.equal(audit.length, 5);
  for (const k2 of ['id', 'at', 'actor', 'action', 'collection', 'resource_id', 'outcome', 'request_id', 'ip']) assert.ok(k2 in audit[0], k2);
  assert.equal(audit[0].action, 'sshKeys.delete');
});

test('exit codes: 0 ok, 1 failure, 2 usage, 3 not signed in, 4 forbidden (naming the permission)', async () => {
  assert.equal((await cli.run(['whoami'])).code, 0);
  // 1: the server refused (conflict: duplicate slug; not found).
  await cli.json(['org', 'create', 'Dup', '--slug', `dup-${Date.now()}`]).then(async (o) => {
    const r = await cli.run(['org', 'create', 'Dup', '--slug', o.slug]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^wharf: /);
  });
  assert.equal((await cli.run(['role', 'show', 'NoSuchRole'])).code, 1);
  // 1 with the structured error on stderr in JSON mode.
  const dup = await cli.run(['role', 'create', 'Developer', '--allow', 'servers:r', '-o', 'json']);
  assert.equal(dup.code, 1);
  assert.equal(JSON.parse(dup.stderr).error.code, 'conflict');
  // 2: usage.
  for (const args of [['role'], ['role', 'nope'], ['role', 'list', '--nope'], ['role', 'create', 'X', '--allow', 'servrs:r'],
    ['role', 'create', 'X', '--allow', 'servers:rx'], ['role', 'list', '-o', 'xml'], ['completion', 'fish'], ['invite']]) {
    const r = await cli.run(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
  }
  // 3: no sign-in at all, and a revoked/unknown token.
  const u = cliUser('nobody');
  try {
    const r = await u.run(['whoami']);
    assert.equal(r.code, 3);
    assert.match(r.stderr, /wharf login/);
    assert.equal((await u.run(['role', 'list'], { env: { WHARF_URL: s.url, WHARF_TOKEN: 'wht_bogus', WHARF_ORG: ada.org.slug } })).code, 3);
    // A server that is not there: a failure (1), not a sign-in problem.
    const down = await u.run(['login', 'http://127.0.0.1:9', '--token', 'x']);
    assert.equal(down.code, 1);
    assert.match(down.stderr, /Cannot reach 127\.0\.0\.1:9/);
  } finally { u.cleanup(); }
  // 4: a narrowed API token lacks roles.create.
  const narrow = await cli.run(['token', 'create', 'narrow', '--allow', 'servers:r']);
  const t = narrow.stdout.trim();
  const f = await cli.run(['role', 'create', 'Sneaky', '--allow', 'servers:r'], { env: { WHARF_TOKEN: t } });
  assert.equal(f.code, 4, f.stderr);
  assert.match(f.stderr, /missing permission: roles\.create/);
  const fj = await cli.run(['role', 'create', 'Sneaky', '--allow', 'servers:r', '-o', 'json'], { env: { WHARF_TOKEN: t } });
  assert.equal(fj.code, 4);
  assert.equal(JSON.parse(fj.stderr).error.details.permission, 'roles.create');
});

test('colour only on a terminal, never with NO_COLOR; errors never print a token', async () => {
  const tty = await cli.pty(['role', 'list'], [], { env: { NO_COLOR: '' } });
  assert.equal(tty.code, 0, tty.transcript);
  assert.ok(tty.transcript.includes('\x1b[1mNAME\x1b[0m'), JSON.stringify(tty.transcript));
  const noColor = await cli.pty(['role', 'list'], [], { env: { NO_COLOR: '1' } });
  assert.ok(!noColor.transcript.includes('\x1b['));
  const piped = await cli.run(['role', 'list'], { env: { NO_COLOR: '' } });
  assert.ok(!piped.stdout.includes('\x1b['));
  const bad = await cli.run(['whoami'], { env: { WHARF_TOKEN: 'wht_secret_value_123' } });
  assert.ok(!bad.stderr.includes('wht_secret_value_123') && !bad.stdout.includes('wht_secret_value_123'));
});

test('--help on every command shows an example; bash completion completes through the tree', async () => {
  const root = await cli.run(['--help']);
  assert.equal(root.code, 0);
  const groups = ['login', 'logout', 'context', 'whoami', 'org', 'role', 'member', 'invite', 'token', 'ssh-key', 'audit', 'completion',
    'git-provider, git', 'cloud-account, aws', 'backup-storage, storage'];
  for (const g of groups) assert.ok(root.stdout.includes(g), g);
  // Every command in the tree, serve and admin included (read from the completion table, which is
  // generated from the binary's own tree).
  const script = (await cli.run(['completion', 'bash'])).stdout;
  const paths = [...script.matchAll(/^ {2}\["wharf\/([^"]+)"\]=/gm)].map((m) => m[1].split('/'));
  assert.ok(paths.length >= 150, `only ${paths.length} commands`);
  for (const must of ['admin/bootstrap', 'admin/create-user', 'admin/migrate', 'admin/backup', 'admin/restore', 'admin/rotate-master-key', 'serve']) {
    assert.ok(paths.some((p) => p.join('/') === must), must);
  }
  const noExample = [];
  for (const l of paths) {
    const r = await cli.run([...l, '--help']);
    assert.equal(r.code, 0, l.join(' '));
    if (!/Example:\n {2}(wharf|source|TOKEN|printf)/.test(r.stdout)) noExample.push(l.join(' '));
  }
  assert.deepEqual(noExample, [], 'commands whose --help shows no example');
  const complete = (words) => spawnSync('bash', ['-c', `${script}\nCOMP_WORDS=(${words}); COMP_CWORD=${words.split(' ').length - 1}; _wharf; echo "\${COMPREPLY[@]}"`], { encoding: 'utf8' }).stdout.trim();
  assert.equal(complete('wharf ro'), 'role rollback');  // both top-level commands
  assert.equal(complete('wharf role cr'), 'create');
  assert.match(complete('wharf role create X --al'), /--allow/);
  assert.match(complete('wharf admin ba'), /backup/);
  // The names for three groups are aliases that complete like the groups.
  assert.equal(complete('wharf stor'), 'storage');
  assert.match(complete('wharf git ve'), /^verify$/);
  assert.match(complete('wharf aws verify x --re'), /--region/);
  // zsh, for real: compadd stands in for the completion system, printing what it is given.
  const zsh = (await cli.run(['completion', 'zsh'])).stdout;
  assert.match(zsh, /^#compdef wharf/);
  const zcomplete = (words) => {
    const w = words.split(' ');
    const r = spawnSync('zsh', ['-f', '-c', `${zsh}\ncompadd() { shift; print -r -- "$*" }\nwords=(${words}); CURRENT=${w.length}; _wharf`], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.trim().split(' ').filter((x) => x.startsWith(w[w.length - 1]));
  };
  assert.deepEqual(zcomplete('wharf stor'), ['storage']);
  assert.deepEqual(zcomplete('wharf git ve'), ['verify']);
  assert.deepEqual(zcomplete('wharf role cr'), ['create']);
  assert.ok(zcomplete('wharf aws verify x --re').includes('--region'));
});

test('git, aws and storage are the git-provider, cloud-account and backup-storage groups', async () => {
  for (const [alias, name] of [['git', 'git-provider'], ['aws', 'cloud-account'], ['storage', 'backup-storage']]) {
    const a = await cli.run([alias, 'list', '-o', 'json']);
    assert.equal(a.code, 0, `${alias}: ${a.stderr}`);
    assert.deepEqual(JSON.parse(a.stdout), await cli.json([name, 'list']));
    const missing = await cli.run([alias, 'verify', 'nope']);
    assert.equal(missing.code, 1, `${alias} verify: ${missing.stderr}`);
    assert.match(missing.stderr, /^wharf: .*nope/);
  }
  const s3 = await cli.run(['storage', 'add', 'offsite', '--endpoint', 'http://127.0.0.1:9', '--path-style', '--region', 'eu-central-1', '--bucket', 'acme-backups', '--access-key-id', 'AKIAEXAMPLE', '--secret-stdin'], { input: 'not-a-real-secret\n' });
  assert.equal(s3.code, 0, s3.stderr);
  assert.deepEqual((await cli.json(['storage', 'list'])).map((x) => x.name), ['offsite']);
  assert.equal((await cli.json(['backup-storage', 'show', 'offsite'])).name, 'offsite');
  assert.equal((await cli.run(['storage', 'remove', 'offsite'])).code, 0);
});

test('a slow request shows progress on a terminal only, plain with NO_COLOR, erased before the answer', async () => {
  // An "SSH server" that accepts and then says nothing: the check waits for its connect timeout.
  const held = [];
  const silent = net.createServer((c) => { held.push(c); });
  await new Promise((r) => silent.listen(0, '127.0.0.1', r));
  const port = String(silent.address().port);
  try {
    assert.equal((await cli.run(['ssh-key', 'add', 'progress-key', '--generate', 'ed25519'])).code, 0);
    const args = ['server', 'test-connection', '--host', '127.0.0.1', '--port', port, '--user', 'deploy', '--ssh-key', 'progress-key'];
    const tty = await cli.pty(args, [], { env: { NO_COLOR: '' } });
    assert.equal(tty.code, 1, tty.transcript);  // the checks fail (no SSH banner)
    assert.match(tty.transcript, /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] server test-connection: waiting for 127\.0\.0\.1:\d+… \d+s/);
    // Erased before the report: the table starts on a clean line.
    const erased = tty.transcript.lastIndexOf('\r\x1b[K');
    assert.ok(erased > 0 && erased < tty.transcript.indexOf('CHECK'), JSON.stringify(tty.transcript));
    const plain = await cli.pty(args, [], { env: { NO_COLOR: '1' } });
    assert.match(plain.transcript, /server test-connection: waiting for 127\.0\.0\.1:\d+… \d+s/);
    assert.ok(!plain.transcript.includes('\x1b['), JSON.stringify(plain.transcript));
    // Piped (a script, CI): no progress at all, on stdout or stderr.
    const piped = await cli.run(args, { env: { NO_COLOR: '' } });
    assert.equal(piped.code, 1, piped.stderr);
    assert.ok(!/waiting for/.test(piped.stdout + piped.stderr), piped.stderr);
    // A quick command on a terminal draws nothing.
    const quick = await cli.pty(['role', 'list'], [], { env: { NO_COLOR: '' } });
    assert.ok(!quick.transcript.includes('waiting for'), JSON.stringify(quick.transcript));
  } finally {
    for (const c of held) c.destroy();
    silent.close();
  }
});

test('logout revokes the session on the server and forgets it locally', async () => {
  const u = cliUser('bye');
  try {
    await u.run(['login', s.url, '--email', ada.email, '--password-stdin'], { input: `${ada.password}\n` });
    const token = readFileSync(u.configFile, 'utf8').match(/token = '([^']+)'/)[1];
    assert.equal((await api(s.url, 'GET', '/api/v1/me', { token })).status, 200);
    assert.equal((await u.run(['logout'])).code, 0);
    assert.equal((await api(s.url, 'GET', '/api/v1/me', { token })).status, 401);
    assert.ok(!readFileSync(u.configFile, 'utf8').includes(token));
    assert.equal((await u.run(['whoami'])).code, 3);
  } finally { u.cleanup(); }
});

test('admin migrate brings a fresh data directory to the current schema, and again is a no-op', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-migrate-'));
  const env = { ...process.env, ...(await databaseEnv(dir)) };
  const first = spawnSync(WHARF_BIN, ['admin', 'migrate', '--data-dir', dir], { encoding: 'utf8', env });
  assert.equal(first.status, 0, first.stderr);
  const v = first.stdout.match(/Schema is at version (\d+)\./);
  assert.ok(v && Number(v[1]) > 0, first.stdout);
  const again = spawnSync(WHARF_BIN, ['admin', 'migrate', '--data-dir', dir], { encoding: 'utf8', env });
  assert.equal(again.status, 0, again.stderr);
  assert.equal(again.stdout, first.stdout);
  assert.equal(spawnSync(WHARF_BIN, ['admin', 'migrate', '--nope'], { encoding: 'utf8' }).status, 2);
});

test('admin backup snapshots a serving instance; admin restore brings it back elsewhere', async () => {
  const snap = path.join(mkdtempSync(path.join(os.tmpdir(), 'wharf-snap-')), 'wharf.db');
  if (s.env.WHARF_DATABASE_URL) {
    // On PostgreSQL the database's own tools back it up: the command says so instead of copying
    // the data dir's (unused) SQLite file.
    const pg = spawnSync(WHARF_BIN, ['admin', 'backup', '--data-dir', s.dataDir, '--database', s.env.WHARF_DATABASE_URL, '--out', snap], { encoding: 'utf8' });
    assert.notEqual(pg.status, 0);
    assert.match(pg.stderr, /pg_dump/);
    return;
  }
  const b = spawnSync(WHARF_BIN, ['admin', 'backup', '--data-dir', s.dataDir, '--out', snap], { encoding: 'utf8' });
  assert.equal(b.status, 0, b.stderr);
  assert.equal(statSync(snap).mode & 0o777, 0o600);
  // Restore into a fresh data directory holding the same master key, and serve from it.
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-restored-'));
  copyFileSync(path.join(s.dataDir, 'master.key'), path.join(dir, 'master.key'));
  const r = spawnSync(WHARF_BIN, ['admin', 'restore', '--data-dir', dir, '--from', snap], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /schema version \d+/);
  const again = spawnSync(WHARF_BIN, ['admin', 'restore', '--data-dir', dir, '--from', snap], { encoding: 'utf8' });
  assert.equal(again.status, 2, 'an existing database needs --force');
  const notDb = path.join(dir, 'not-a-db');
  writeFileSync(notDb, 'hello');
  const bad = spawnSync(WHARF_BIN, ['admin', 'restore', '--data-dir', dir, '--from', notDb, '--force'], { encoding: 'utf8' });
  assert.notEqual(bad.status, 0);
  const s2 = await startWharf({ dataDir: dir });
  try {
    const u = cliUser('restored');
    const l = await u.run(['login', s2.url, '--email', ada.email, '--password-stdin'], { input: `${ada.password}\n` });
    assert.equal(l.code, 0, l.stderr);
    const roles = await u.json(['role', 'list', '--org', ada.org.slug]);
    assert.ok(roles.some((x) => x.name === 'Developer'));
    u.cleanup();
  } finally { await s2.stop(); s2.cleanup(); }
});
