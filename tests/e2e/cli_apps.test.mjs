// Applications, services, variables, deployments and backups done only with the `wharf` command
// line, against real components: a real `wharf serve`, the sshd test node with its Dokku stand-in
// (tests/e2e/lib/sshd.mjs), a real HTTPS git server (git http-backend, lib/git_server.mjs) and
// s3rver behind the SigV4-checking front (lib/s3.mjs). A user creates an app, a git service and a
// postgres, sets variables with secret() and a reference, deploys with --follow (exit 0, and exit
// 1 when the node fails a step), reads deployments as JSON, backs the database up to verified
// storage, downloads and restores it. Then the exit codes (2 usage, 3 not signed in, 4 forbidden
// naming services.update), and no secret value in any CLI output except an explicit reveal.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startWharf, signup, memberWithRole } from './lib/harness.mjs';
import { startSshd, NODE_USER } from './lib/sshd.mjs';
import { makeTestCa, startGitServer } from './lib/git_server.mjs';
import { startS3 } from './lib/s3.mjs';
import { cliUser } from './lib/cli.mjs';

const TOKEN = 'gitea-Cli-Token-7a3e51';
const S3_KEY = 'AKIDWHARFCLIAPPS';
const S3_SECRET = `cli-s3-secret-${crypto.randomBytes(8).toString('hex')}`;
const WHARF_ARGS = ['--node-dns-probe', 'localhost', '--min-disk-free-mb', '100'];
const sha256 = (b) => crypto.createHash('sha256').update(b).digest('hex');

let node, ca, git, s3, s, ada, cli, tmp;
const outputs = [];   // every CLI stdout/stderr except explicit reveals, checked for secrets at the end
const secrets = [TOKEN, S3_SECRET];
const ids = {};

// Runs the CLI as `user`; records the output unless it is an explicit reveal.
async function run(user, args, opts = {}) {
  const r = await user.run(args, opts);
  if (!opts.reveal) outputs.push(r.stdout, r.stderr);
  return r;
}
async function json(user, args, opts = {}) {
  const r = await run(user, [...args, '-o', 'json'], opts);
  assert.equal(r.code, 0, `wharf ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}
const ok = async (user, args, opts) => {
  const r = await run(user, args, opts);
  assert.equal(r.code, 0, `wharf ${args.join(' ')} exited ${r.code}: ${r.stdout}${r.stderr}`);
  return r;
};

before(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'wharf-cli-apps-'));
  node = await startSshd();
  ca = makeTestCa();
  git = await startGitServer({ ca, users: { alice: TOKEN } });
  git.addRepo('acme/shop', ['main']);
  node.trustCa(ca.caPem);
  s3 = await startS3({ region: 'us-east-1', buckets: ['backups'], keys: { [S3_KEY]: { secret: S3_SECRET, deny: [] } } });
  s = await startWharf({ env: { WHARF_EXTRA_CA_FILE: ca.caFile }, args: WHARF_ARGS });
  ada = await signup(s.url, 'ada');
  cli = cliUser('ada');
  await ok(cli, ['login', s.url, '--token', ada.token, '--org', ada.org.slug]);
});
after(async () => {
  await s?.stop(); s?.cleanup(); await git?.stop(); ca?.cleanup(); await s3?.stop(); await node?.cleanup();
  cli?.cleanup();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

test('usage errors exit 2 before anything is sent; not signed in exits 3', async () => {
  const anon = cliUser('anon');
  try {
    const r = await run(anon, ['app', 'list', '--org', 'acme']);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /wharf login/);
    assert.equal((await run(anon, ['service', 'create', 'git', 'web', '--org', 'acme'])).code, 2, 'no --app, no --repository');
    assert.equal((await run(anon, ['service', 'create', 'kafka', 'q', '--app', 'shop', '--org', 'acme'])).code, 2);
    assert.equal((await run(anon, ['service', 'list', '--org', 'acme'])).code, 2, '--app is required');
    // A value typed without its key is refused without being printed back.
    const noKey = await run(anon, ['env', 'set', 'svc_1', 'Sup3rSecretValue', '--org', 'acme']);
    assert.equal(noKey.code, 2);
    assert.match(noKey.stderr, /argument #1 is not KEY=VALUE/);
    assert.ok(!noKey.stderr.includes('Sup3rSecretValue'));
    assert.equal((await run(anon, ['env', 'set', 'svc_1', '1BAD=x', '--org', 'acme'])).code, 2);
    assert.equal((await run(anon, ['env', 'set', 'svc_1', '--org', 'acme'])).code, 2, 'nothing to set');
    const name = await run(anon, ['env', 'list', 'web', '--org', 'acme']);
    assert.equal(name.code, 2, 'a service name needs --app');
    assert.match(name.stderr, /add --app APP/);
    assert.equal((await run(anon, ['env', 'regenerate', 'svc_1', '--org', 'acme'])).code, 2, 'KEYs or --all');
    assert.equal((await run(anon, ['app', 'update', 'shop', '--org', 'acme'])).code, 2, 'nothing to change');
    assert.equal((await run(anon, ['template', 'deploy', 't', '--org', 'acme'])).code, 2, '--app or --new-app');
    // Signed in with no org named anywhere: the account's only org is used (issue 24, bug 7).
    assert.equal((await run(anon, ['app', 'list'], { env: { WHARF_URL: s.url, WHARF_TOKEN: ada.token } })).code, 0);
    // Help on every new command, each with an example.
    for (const args of [['app', 'create'], ['project', 'list'], ['service', 'create', 'git'], ['service', 'create', 'database'],
      ['service', 'domains', 'add'], ['service', 'reveal-credentials'], ['env', 'set'], ['env', 'regenerate'], ['template', 'deploy']]) {
      const h = await run(anon, [...args, '--help']);
      assert.equal(h.code, 0, args.join(' '));
      assert.match(h.stdout, /Example:\n  wharf /, args.join(' '));
    }
  } finally {
    anon.cleanup();
  }
});

test('a user creates an app, a git service and a postgres, sets variables and deploys with --follow', async () => {
  // The node, the key and the git host, with the CLI.
  await json(cli, ['ssh-key', 'add', 'deploy', '--generate', 'ed25519']);
  node.authorize(NODE_USER, (await ok(cli, ['ssh-key', 'public-key', 'deploy'])).stdout);
  const srv = await json(cli, ['server', 'add', 'node-1', '--host', '127.0.0.1', '--port', String(node.port), '--user', NODE_USER, '--ssh-key', 'deploy']);
  ids.server = srv.id;
  const tokenFile = path.join(tmp, 'token');
  writeFileSync(tokenFile, `${TOKEN}\n`);
  await json(cli, ['git-provider', 'add', '--name', 'gitea', '--type', 'gitea', '--base-url', `${git.base}/git`, '--username', 'alice', '--token-file', tokenFile]);

  // The application.
  const app = await json(cli, ['app', 'create', 'shop', '--server', 'node-1', '--description', 'The shop']);
  assert.deepEqual(Object.keys(app).sort(), ['created_at', 'created_by', 'description', 'id', 'name', 'server_id', 'updated_at']);
  assert.match(app.id, /^app_/);
  assert.equal(app.server_id, srv.id);
  assert.equal(app.created_by, ada.user.id);
  ids.app = app.id;
  assert.deepEqual((await json(cli, ['app', 'list'])).map((a) => a.id), [app.id]);
  assert.deepEqual((await json(cli, ['project', 'list'])).map((a) => a.id), [app.id], 'the legacy view lists the same rows');
  assert.equal((await json(cli, ['app', 'show', 'shop'])).description, 'The shop');
  assert.equal((await json(cli, ['app', 'update', 'shop', '--description', 'The shop, v2'])).description, 'The shop, v2');
  const table = await ok(cli, ['app', 'list']);
  assert.match(table.stdout, /^NAME\s+SERVER\s+DESCRIPTION\s+CREATED\s+ID$/m);
  assert.match(table.stdout, new RegExp(`^shop\\s+${srv.id}\\s+The shop, v2`, 'm'));
  const dup = await run(cli, ['app', 'create', '--name', 'shop', '--server', srv.id]);
  assert.equal(dup.code, 1, 'the name is taken (409)');

  // The services.
  const db = await json(cli, ['service', 'create', 'database', 'db', '--app', 'shop', '--engine', 'postgres', '--version', '16']);
  assert.equal(db.type, 'database');
  assert.deepEqual(db.database, { engine: 'postgres', version: '16' });
  assert.deepEqual(db.credentials, { set: true });
  assert.equal(db.application_id, app.id);
  ids.db = db.id;
  const web = await json(cli, ['service', 'create', 'git', 'web', '--app', 'shop', '--git-provider', 'gitea',
    '--repository', 'acme/shop', '--branch', 'main', '--port', '5000', '--env', 'OLD_FLAG=on']);
  assert.equal(web.type, 'app');
  assert.equal(web.repository, 'acme/shop');
  assert.equal(web.branch, 'main');
  assert.equal(web.port, 5000);
  assert.equal(web.checks.find((c) => c.name === 'git_access').status, 'passed');
  assert.deepEqual(web.variables.map((v) => v.key), ['OLD_FLAG']);
  ids.web = web.id;
  const svcs = await json(cli, ['service', 'list', '--app', 'shop']);
  assert.deepEqual(svcs.map((x) => x.name).sort(), ['db', 'web']);
  for (const x of svcs) for (const k of ['id', 'application_id', 'name', 'type', 'status', 'domains', 'variables', 'unset_keys']) assert.ok(k in x, k);
  const st = await ok(cli, ['service', 'list', '--app', 'shop']);
  assert.match(st.stdout, /^NAME\s+TYPE\s+STATUS\s+SOURCE\s+DOMAIN\s+ID$/m);
  assert.match(st.stdout, /^db\s+database\s+\S+\s+postgres 16/m);
  assert.match(st.stdout, /^web\s+app\s+\S+\s+acme\/shop@main/m);
  assert.equal((await json(cli, ['service', 'show', web.id])).name, 'web', 'by id without --app');

  // Variables: several at once, a .env file, values passed verbatim.
  const envFile = path.join(tmp, '.env');
  writeFileSync(envFile, '# settings\nexport GREETING="hello world"\nMODE=production\nQUOTED=\'{{ "{{" }} literal\'\n\n');
  const set = await ok(cli, ['env', 'set', 'web', '--app', 'shop', 'DATABASE_URL={{ db.DATABASE_URL }}',
    'SESSION_SECRET={{ secret(40) }}', '--from-file', envFile]);
  assert.match(set.stdout, /^Set GREETING, MODE, QUOTED, DATABASE_URL, SESSION_SECRET on web; the next deploy applies them\.$/m);
  const vars = await json(cli, ['env', 'list', 'web', '--app', 'shop']);
  const byKey = Object.fromEntries(vars.map((v) => [v.key, v]));
  assert.deepEqual(Object.keys(byKey).sort(), ['DATABASE_URL', 'GREETING', 'MODE', 'OLD_FLAG', 'QUOTED', 'SESSION_SECRET']);
  assert.equal(byKey.DATABASE_URL.value, '{{ db.DATABASE_URL }}');
  assert.deepEqual(byKey.DATABASE_URL.references, ['db.DATABASE_URL']);
  assert.equal(byKey.SESSION_SECRET.value, '{{ secret(40) }}');
  assert.deepEqual(byKey.SESSION_SECRET.secrets, [{ length: 40, set: true }]);
  assert.equal(byKey.GREETING.value, 'hello world');
  assert.equal(byKey.QUOTED.value, '{{ "{{" }} literal');
  for (const v of vars) assert.ok(!('resolved' in v), 'no resolved value without --reveal');
  const vt = await ok(cli, ['env', 'list', 'web', '--app', 'shop']);
  assert.match(vt.stdout, /^KEY\s+VALUE\s+SECRETS\s+REFERENCES$/m);
  assert.match(vt.stdout, /^SESSION_SECRET\s+\{\{ secret\(40\) \}\}\s+secret\(40\) set/m);

  const unset = await json(cli, ['env', 'unset', 'web', '--app', 'shop', 'OLD_FLAG']);
  assert.ok(!unset.some((v) => v.key === 'OLD_FLAG'));
  assert.deepEqual((await json(cli, ['service', 'show', 'web', '--app', 'shop'])).unset_keys, ['OLD_FLAG']);
  const missing = await run(cli, ['env', 'unset', 'web', '--app', 'shop', 'NOPE']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /web has no variable NOPE/);
  const badRef = await run(cli, ['env', 'set', 'web', '--app', 'shop', 'X={{ cache.URL }}']);
  assert.equal(badRef.code, 1, 'the server validates the reference');
  assert.match(badRef.stderr, /variables\.X/);

  // Reveal needs --yes off a terminal; regenerate changes the secret.
  const noYes = await run(cli, ['env', 'list', 'web', '--app', 'shop', '--reveal']);
  assert.equal(noYes.code, 2);
  assert.match(noYes.stderr, /pass --yes/);
  const r1 = await json(cli, ['env', 'list', 'web', '--app', 'shop', '--reveal', '--yes'], { reveal: true });
  const first = r1.find((v) => v.key === 'SESSION_SECRET').resolved;
  assert.equal(first.length, 40);
  secrets.push(first);
  const regen = await ok(cli, ['env', 'regenerate', 'web', '--app', 'shop', 'SESSION_SECRET']);
  assert.match(regen.stdout, /Regenerated the secrets of SESSION_SECRET on web/);
  const r2 = await json(cli, ['env', 'list', 'web', '--app', 'shop', '--reveal', '--yes'], { reveal: true });
  const resolved = Object.fromEntries(r2.map((v) => [v.key, v.resolved]));
  assert.notEqual(resolved.SESSION_SECRET, first);
  secrets.push(resolved.SESSION_SECRET);

  // Domains.
  let d = await json(cli, ['service', 'domains', 'add', 'web', 'shop.example.com', '--app', 'shop']);
  assert.deepEqual(d, [{ hostname: 'shop.example.com', letsencrypt: true, default: true }]);
  d = await json(cli, ['service', 'domains', 'add', 'web', 'www.example.com', '--app', 'shop', '--no-letsencrypt']);
  assert.deepEqual(d.map((x) => [x.hostname, x.default, x.letsencrypt]), [['shop.example.com', true, true], ['www.example.com', false, false]]);
  d = await json(cli, ['service', 'domains', 'default', 'web', 'www.example.com', '--app', 'shop']);
  assert.equal(d.find((x) => x.default).hostname, 'www.example.com');
  d = await json(cli, ['service', 'domains', 'remove', 'web', 'www.example.com', '--app', 'shop']);
  assert.deepEqual(d.map((x) => [x.hostname, x.default]), [['shop.example.com', true]]);
  assert.match((await ok(cli, ['service', 'domains', 'list', 'web', '--app', 'shop'])).stdout, /^shop\.example\.com\s+yes\s+yes$/m);

  // Deploy the database, then the app, following the log.
  const dd = await ok(cli, ['deploy', 'db', '--app', 'shop', '--follow']);
  assert.match(dd.stdout, /\$ dokku postgres:create shop-db --image-version 16 --password \[credential\]/);
  assert.match(dd.stderr, /Deployment \S+ succeeded\./);
  const wd = await ok(cli, ['deploy', web.id, '--follow']);
  assert.match(wd.stdout, /dokku git:sync --build shop-web/);
  assert.match(wd.stdout, /SESSION_SECRET=\[40 bytes\]/);
  const onNode = node.dokkuApp('shop-web');
  assert.deepEqual(onNode.env, resolved, 'the node has exactly the resolved variables');
  assert.equal(onNode.env.DATABASE_URL, node.dokkuDatabase('postgres', 'shop-db').dsn);
  assert.deepEqual(onNode.domains, ['shop.example.com']);

  // The node fails a step: --follow exits 1 with the layer and the fix.
  node.dokkuFail('git:sync', "fatal: Authentication failed for 'https://127.0.0.1/git/acme/shop.git/'");
  try {
    const f = await run(cli, ['deploy', 'web', '--app', 'shop', '--follow']);
    assert.equal(f.code, 1, f.stdout + f.stderr);
    assert.match(f.stdout, /FAILED/);
    assert.match(f.stderr, /failed: .*git:sync/);
    assert.match(f.stderr, /\[layer git_token\]/);
    assert.match(f.stderr, /Fix: /);
    const fj = await run(cli, ['deploy', 'web', '--app', 'shop', '--follow', '-o', 'json']);
    assert.equal(fj.code, 1);
    const failed = JSON.parse(fj.stdout);
    assert.equal(failed.status, 'failed');
    assert.equal(failed.error_layer, 'git_token');
    assert.equal(JSON.parse(fj.stderr.trim().split('\n').pop()).error.code, 'unavailable');
  } finally {
    node.dokkuFail('git:sync', null);
  }
  const again = await json(cli, ['deploy', 'web', '--app', 'shop', '--follow']);
  assert.equal(again.status, 'succeeded');
  assert.ok(!('log' in again), 'the followed JSON is the deployment without its log (that went to stderr)');

  // Deployments as JSON.
  const list = await json(cli, ['deployment', 'list', '--app', 'shop', '--service', 'web']);
  assert.deepEqual(list.map((x) => x.status), ['succeeded', 'failed', 'failed', 'succeeded']);
  for (const x of list) {
    for (const k of ['id', 'service_id', 'action', 'status', 'trigger', 'created_at', 'created_by', 'error', 'error_layer', 'error_fix']) assert.ok(k in x, `deployment.${k}`);
    assert.equal(x.service_id, web.id);
    assert.equal(x.trigger, 'manual');
  }
  assert.equal((await json(cli, ['deployment', 'list', '--application', app.id])).length, 5, 'the app and its database');
  const shown = await json(cli, ['deployment', 'show', list[1].id]);
  assert.equal(shown.error_layer, 'git_token');
  assert.match(shown.log, /git:sync/);
  assert.match((await ok(cli, ['deployment', 'show', list[1].id])).stdout, /^Layer: git_token$/m);
  assert.equal((await ok(cli, ['deployment', 'log', list[0].id])).stdout.trimEnd(), (await json(cli, ['deployment', 'show', list[0].id])).log.trimEnd());
});

test('backups with the CLI: create to verified storage, list, download to a file, restore', async () => {
  // A database lives on the node under its Dokku name, `<application>-<service>` (the name a
  // deployment creates and a backup exports); this one is seeded there without a deploy.
  await json(cli, ['app', 'create', 'ledger', '--server', 'node-1']);
  const orders = await json(cli, ['service', 'create', 'database', 'orders', '--app', 'ledger', '--engine', 'postgres']);
  assert.equal(orders.database.engine, 'postgres');
  const data = Buffer.concat([crypto.randomBytes(256 << 10), Buffer.from('-- end of dump\n')]);
  const dataFile = node.setDokkuDatabase('postgres', 'ledger-orders', data);
  const add = await run(cli, ['backup-storage', 'add', 's3', '--endpoint', s3.endpoint, '--region', 'us-east-1', '--bucket', 'backups',
    '--prefix', 'cli/', '--access-key-id', S3_KEY, '--secret-stdin', '--path-style'], { input: `${S3_SECRET}\n` });
  assert.equal(add.code, 0, add.stderr);
  await ok(cli, ['backup-storage', 'verify', 's3']);

  const c = await ok(cli, ['backup', 'create', '--app', 'ledger', '--service', 'orders', '--backup-storage', 's3', '--follow']);
  assert.match(c.stdout, /postgres:export ledger-orders/);
  const list = await json(cli, ['backup', 'list', '--app', 'ledger', '--service', 'orders']);
  assert.equal(list.items.length, 1);
  const b = list.items[0];
  assert.equal(b.status, 'succeeded');
  assert.equal(b.storage, 'external');
  assert.equal(b.size, data.length);
  assert.equal(b.sha256, sha256(data));
  assert.match(b.id, /^bkp_/);
  const shownBackup = await json(cli, ['backup', 'show', b.id, '--app', orders.application_id, '--service', orders.id]);
  assert.deepEqual([shownBackup.id, shownBackup.sha256], [b.id, b.sha256], 'ids work as well as names');

  const out = path.join(tmp, 'db.dump');
  const dl = await json(cli, ['backup', 'download', b.id, '--app', 'ledger', '--service', 'orders', '--file', out]);
  assert.deepEqual(dl, { id: b.id, file: out, bytes: data.length });
  assert.equal(sha256(readFileSync(out)), sha256(data));

  node.setDokkuDatabase('postgres', 'ledger-orders', 'changed after the backup\n');
  const rs = await ok(cli, ['backup', 'restore', b.id, '--app', 'ledger', '--service', 'orders', '--follow']);
  assert.match(rs.stdout, /postgres:import ledger-orders/);
  assert.equal(sha256(readFileSync(dataFile)), sha256(data), "the node's data is the backup's again");
});

test('reveal-credentials asks first; templates; a member without services.update gets exit 4 naming it', async () => {
  const pipe = await run(cli, ['service', 'reveal-credentials', 'db', '--app', 'shop']);
  assert.equal(pipe.code, 2, 'no terminal, no --yes: nothing is revealed');
  assert.match(pipe.stderr, /pass --yes/);
  const creds = await json(cli, ['service', 'reveal-credentials', 'db', '--app', 'shop', '--yes'], { reveal: true });
  assert.deepEqual(Object.keys(creds).sort(), ['database_url', 'engine', 'host', 'name', 'password', 'port', 'user']);
  assert.equal(creds.password.length, 32);
  assert.equal(creds.database_url, node.dokkuDatabase('postgres', 'shop-db').dsn);
  secrets.push(creds.password);
  const no = await cli.pty(['service', 'reveal-credentials', 'db', '--app', 'shop'], [['[y/N] ', 'n']]);
  assert.equal(no.code, 1, no.transcript);
  assert.match(no.transcript, /Show the password of db\?/);
  assert.ok(!no.transcript.includes(creds.password), 'answering no reveals nothing');
  assert.match(no.transcript, /Nothing was revealed/);
  const yes = await cli.pty(['service', 'reveal-credentials', 'db', '--app', 'shop'], [['[y/N] ', 'y']]);
  assert.equal(yes.code, 0, yes.transcript);
  assert.ok(yes.transcript.includes(creds.password), 'answering yes shows the password');
  const audit = await json(cli, ['audit', '--limit', '50']);
  assert.ok(audit.some((e) => e.action === 'services.reveal_credentials'), 'each reveal is audited');

  // Templates keep the variables as templates, never a generated value.
  const t = await json(cli, ['template', 'save', 'stack', '--app', 'shop', '--description', 'web + postgres']);
  assert.deepEqual(t.services.map((x) => x.name).sort(), ['db', 'web']);
  assert.equal((await json(cli, ['template', 'list'])).length, 1);
  const dep = await json(cli, ['template', 'deploy', 'stack', '--new-app', 'shop2', '--server', 'node-1']);
  assert.equal(dep.created_application, true);
  assert.equal(dep.application.name, 'shop2');
  assert.deepEqual(dep.services.map((x) => x.name).sort(), ['db', 'web']);
  const again = await json(cli, ['template', 'deploy', 'stack', '--app', 'shop2']);
  assert.deepEqual(again.renamed, { db: 'db-2', web: 'web-2' });
  await ok(cli, ['template', 'delete', 'stack']);

  // An application with services cannot be deleted; an empty one can.
  const busy = await run(cli, ['app', 'delete', 'shop']);
  assert.equal(busy.code, 1);
  const scratch = await json(cli, ['app', 'create', 'scratch', '--server', 'node-1']);
  assert.deepEqual(await json(cli, ['app', 'delete', 'scratch']), { id: scratch.id, deleted: true });

  // A member who may read services but not update them.
  const viewer = await memberWithRole(s.url, ada, 'viewer', { applications: { read: true }, services: { read: true } });
  const vc = cliUser('viewer');
  try {
    await ok(vc, ['login', s.url, '--token', viewer.token, '--org', ada.org.slug]);
    assert.equal((await json(vc, ['env', 'list', 'web', '--app', 'shop'])).length, 5, 'reading is allowed');
    for (const args of [['env', 'set', 'web', '--app', 'shop', 'A=1'], ['env', 'unset', 'web', '--app', 'shop', 'MODE'],
      ['env', 'regenerate', 'web', '--app', 'shop', '--all'], ['deploy', 'web', '--app', 'shop'],
      ['service', 'reveal-credentials', 'db', '--app', 'shop', '--yes'], ['env', 'list', 'web', '--app', 'shop', '--reveal', '--yes'],
      ['service', 'domains', 'add', 'web', 'x.example.com', '--app', 'shop'], ['service', 'update', 'web', '--app', 'shop', '--branch', 'dev']]) {
      const r = await run(vc, args);
      assert.equal(r.code, 4, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /missing permission: services\.update/, args.join(' '));
    }
    const create = await run(vc, ['service', 'create', 'database', 'cache', '--app', 'shop', '--engine', 'redis']);
    assert.equal(create.code, 4);
    assert.match(create.stderr, /missing permission: services\.create/);
    const appCreate = await run(vc, ['app', 'create', 'mine', '--server', ids.server]);
    assert.equal(appCreate.code, 4);
    assert.match(appCreate.stderr, /missing permission: applications\.create/);
    const legacy = await run(vc, ['project', 'list']);
    assert.equal(legacy.code, 4, 'the legacy view is authorized by projects.*');
    assert.match(legacy.stderr, /missing permission: projects\.read/);
    const asJson = await run(vc, ['env', 'set', 'web', '--app', 'shop', 'A=1', '-o', 'json']);
    assert.equal(asJson.code, 4);
    assert.equal(JSON.parse(asJson.stderr).error.details.permission, 'services.update');
  } finally {
    vc.cleanup();
  }
});

test('no secret value appears in any CLI output except an explicit reveal, nor in the server log', () => {
  assert.ok(secrets.length >= 5, 'the generated secrets and the DB password were collected');
  const seen = outputs.join('\n');
  const f = path.join(s.dataDir, 'wharf.log');
  const log = s.logs + (existsSync(f) ? readFileSync(f, 'utf8') : '');
  for (const secret of secrets) {
    assert.ok(!seen.includes(secret), `a secret leaked into CLI output: ${secret.slice(0, 4)}…`);
    assert.ok(!log.includes(secret), `a secret leaked into wharf's log: ${secret.slice(0, 4)}…`);
  }
});
