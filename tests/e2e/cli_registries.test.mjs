// `wharf registry` against a real wharf and Debian's real docker-registry (htpasswd auth) on
// 127.0.0.1: add with the token from stdin (never argv), the JSON and table shapes, test before
// saving, verify (the digest the registry holds), a wrong token's failure with layer and fix, a new
// token typed at a real terminal prompt without echo, remove, a forbidden verify (exit 4 naming
// the permission), and no token in any output or in the wharf log.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { memberWithRole, signup, startWharf } from './lib/harness.mjs';
import { startRegistry } from './lib/registry.mjs';
import { cliUser } from './lib/cli.mjs';

const PASS = 'cli-registry-pass-2468';
const WRONG = 'cli-wrong-token-1357';
let s, reg, ada, cli, env, digest, image;
const outputs = [];
async function run(args, opts = {}) {
  const r = await cli.run(args, { env, ...opts });
  outputs.push(r.stdout, r.stderr);
  return r;
}
async function json(args, opts) {
  const r = await run([...args, '-o', 'json'], opts);
  assert.equal(r.code, 0, `wharf ${args.join(' ')}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

before(async () => {
  reg = await startRegistry({ mode: 'htpasswd', users: { alice: PASS } });
  digest = await reg.pushImage('team/app', 'v1');
  image = `${reg.host}/team/app:v1`;
  s = await startWharf();
  ada = await signup(s.url, 'ada');
  cli = cliUser('ada-registry');
  env = { WHARF_URL: s.url, WHARF_TOKEN: ada.token, WHARF_ORG: ada.org.slug };
});
after(async () => { await s?.stop(); s?.cleanup(); await reg?.stop(); cli?.cleanup(); });

test('add reads the token from stdin, never from argv; list and show never print it', async () => {
  assert.deepEqual(await json(['registry', 'list']), []);
  const argv = await run(['registry', 'add', 'local', '--host', reg.host, '--username', 'alice', '--password', PASS]);
  assert.equal(argv.code, 2, 'a token in argv is refused as a usage error');
  assert.match(argv.stderr, /never taken from the command line.*--password-stdin/);
  const added = await json(['registry', 'add', 'local', '--host', reg.host, '--username', 'alice', '--password-stdin'], { input: `${PASS}\n` });
  assert.deepEqual(added.password, { set: true });
  assert.equal(added.host, reg.host);
  assert.equal(added.verified, false);
  const list = await json(['registry', 'list']);
  assert.deepEqual(list.map((r) => [r.name, r.username, r.verified, r.password.set]), [['local', 'alice', false, true]]);
  const table = await run(['registry', 'list']);
  assert.equal(table.code, 0);
  assert.match(table.stdout, /^NAME\s+HOST\s+USERNAME\s+NAMESPACE\s+VERIFIED\s+LAST ERROR\s+ID$/m);
  assert.match(table.stdout, new RegExp(`^local\\s+${reg.host.replace(/\./g, '\\.')}\\s+alice\\s+never\\s+reg_`, 'm'));
  const show = await run(['registry', 'show', 'local']);
  assert.match(show.stdout, /token\s+stored \(never shown\)/);
  const yaml = await run(['registry', 'show', 'local', '-o', 'yaml']);
  assert.match(yaml.stdout, /^password:\n {2}set: true$/m);
  // The same credential twice is a conflict naming the existing record (exit 1).
  const dup = await run(['registry', 'add', 'again', '--host', reg.host, '--username', 'alice', '--password-stdin'], { input: 'x\n' });
  assert.equal(dup.code, 1);
  assert.match(dup.stderr, /already connected .*'local'/);
});

test('test runs the checks on unsaved settings: a wrong token fails in layer registry with the fix (exit 1), the right one passes', async () => {
  const bad = await run(['registry', 'test', '--host', reg.host, '--username', 'alice', '--image', image, '--password-stdin'], { input: `${WRONG}\n` });
  assert.equal(bad.code, 1, bad.stderr);
  assert.match(bad.stdout, /^CHECK\s+STATUS\s+MESSAGE\s+LAYER\s+FIX$/m);
  assert.match(bad.stdout, /^auth\s+failed\s+unauthorized.*registry\s+Check the username/m);
  assert.match(bad.stderr, /check\(s\) failed .*\(first: auth\)/);
  const good = await json(['registry', 'test', '--host', reg.host, '--username', 'alice', '--image', image, '--password-stdin'], { input: `${PASS}\n` });
  assert.equal(good.ok, true);
  assert.equal(good.digest, digest);
  assert.equal((await json(['registry', 'list'])).length, 1, 'test saved nothing');
});

test('verify records the outcome; a new token clears it; the failure shows layer and fix; a prompt takes the token without echo', async () => {
  const ok = await run(['registry', 'verify', 'local', '--image', image]);
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  assert.match(ok.stdout, /^manifest\s+passed/m);
  assert.match(ok.stdout, new RegExp(`^Digest: ${digest}$`, 'm'));
  assert.equal((await json(['registry', 'show', 'local'])).verified, true);
  const edited = await run(['registry', 'edit', 'local', '--password-stdin'], { input: `${WRONG}\n` });
  assert.equal(edited.code, 0, edited.stderr);
  assert.match(edited.stdout, /Verify it again/);
  const failed = await run(['registry', 'verify', 'local', '--image', image, '-o', 'json']);
  assert.equal(failed.code, 1);
  const report = JSON.parse(failed.stdout);
  assert.equal(report.checks.find((c) => c.name === 'auth').layer, 'registry');
  const show = await run(['registry', 'show', 'local']);
  assert.match(show.stdout, /verified\s+failed/);
  assert.match(show.stdout, /Last error: auth: unauthorized.*\(layer registry\)/);
  assert.match(show.stdout, /fix: .*access token with pull/);
  // A real terminal: the prompt appears, the typed token is not echoed back.
  const t = await cli.pty(['registry', 'edit', 'local', '--password-prompt'], [['New token for local: ', PASS]], { env });
  assert.equal(t.code, 0, t.transcript);
  assert.match(t.transcript, /New token for local: /);
  assert.ok(!t.transcript.includes(PASS), 'the token was echoed');
  outputs.push(t.transcript);
  assert.equal((await run(['registry', 'verify', 'local', '--image', image])).code, 0);
});

test('a member who may only read registries: verify is exit 4 naming dockerRegistries.update', async () => {
  const viewer = await memberWithRole(s.url, ada, 'rita', { dockerRegistries: { read: true } });
  const r = await run(['registry', 'verify', 'local', '--image', image], { env: { ...env, WHARF_TOKEN: viewer.token } });
  assert.equal(r.code, 4, r.stderr);
  assert.match(r.stderr, /missing permission: dockerRegistries\.update/);
  const add = await run(['registry', 'add', 'x', '--host', 'quay.io', '--username', 'u', '--password-stdin'],
    { input: 'p\n', env: { ...env, WHARF_TOKEN: viewer.token } });
  assert.equal(add.code, 4);
  assert.match(add.stderr, /missing permission: dockerRegistries\.create/);
});

test('remove (or delete) forgets it; the tokens were never printed or logged', async () => {
  const r = await run(['registry', 'remove', 'local']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Removed registry local/);
  assert.deepEqual(await json(['registry', 'list']), []);
  assert.equal((await run(['registry', 'delete', 'local'])).code, 1, 'gone: not found');
  const log = readFileSync(path.join(s.dataDir, 'wharf.log'), 'utf8');
  for (const secret of [PASS, WRONG]) {
    for (const o of outputs) assert.ok(!o.includes(secret), `CLI output contains ${secret}`);
    assert.ok(!log.includes(secret) && !s.logs.includes(secret), `the wharf log contains ${secret}`);
  }
});
