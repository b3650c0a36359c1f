// GitHub App providers against RECORDED GitHub responses (GitHub's API cannot be reached here):
// tests/e2e/lib/github_recorded.mjs serves GitHub's shapes and error bodies over HTTPS on
// 127.0.0.1, verifies every app JWT's RS256 signature with the app's PUBLIC key (and exp/iat as
// GitHub does), and accepts only installation tokens it minted. Webhook deliveries are signed
// here with HMAC-SHA256 over the raw body, as GitHub signs them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startWharf, api, signup, databaseBytes } from './lib/harness.mjs';
import { makeTestCa } from './lib/git_server.mjs';
import { startGithubRecorded } from './lib/github_recorded.mjs';
import { cliUser } from './lib/cli.mjs';

const keyPair = () => crypto.generateKeyPairSync('rsa', { modulusLength: 2048,
  publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs1', format: 'pem' } });
const app = keyPair();
const stranger = keyPair();
const HOOK_SECRET = 'gh-webhook-secret-93c1e0';
const SHA_MAIN = 'a'.repeat(40);
const SHA_REL = 'b'.repeat(40);
let ca, gh, s, ada, prov;
const seen = [];
const O = () => `/api/v1/orgs/${ada.org.slug}`;
async function call(method, p, body, token = ada.token) {
  const r = await api(s.url, method, p, { token, body });
  seen.push(r.text);
  return r;
}
const sign = (body, secret = HOOK_SECRET) => `sha256=${crypto.createHmac('sha256', secret).update(body).digest('hex')}`;
async function deliver(id, event, payload, { signature, secret } = {}) {
  const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
  const headers = { 'content-type': 'application/json', 'x-github-event': event, 'user-agent': 'GitHub-Hookshot/5f1c2a7',
    'x-github-delivery': crypto.randomUUID(), 'x-github-hook-id': '4242' };
  if (signature !== null) headers['x-hub-signature-256'] = signature ?? sign(body, secret);
  const r = await fetch(`${s.url}/api/v1/webhooks/git/${id}`, { method: 'POST', headers, body });
  const text = await r.text();
  seen.push(text);
  return { status: r.status, json: text ? JSON.parse(text) : undefined };
}

before(async () => {
  ca = makeTestCa();
  const many = Array.from({ length: 130 }, (_, i) => ({ full_name: `acme/svc-${String(i).padStart(3, '0')}`, branches: { main: SHA_MAIN } }));
  gh = await startGithubRecorded({ ca, apps: { 12345: app.publicKey },
    installations: {
      100: { appId: 12345, account: 'acme', selection: 'selected',
        repos: [{ full_name: 'acme/api', default_branch: 'main', branches: { main: SHA_MAIN, 'release/v2': SHA_REL } }, ...many] },
      200: { appId: 12345, account: 'frozen-co', suspended: true, repos: [] },
    } });
  s = await startWharf({ env: { WHARF_EXTRA_CA_FILE: ca.caFile } });
  ada = await signup(s.url, 'ada');
});
after(async () => { await s?.stop(); s?.cleanup(); await gh?.close(); ca?.cleanup(); });

test('recorded GitHub responses: create a GitHub App provider; secrets write-only, duplicates refused', async () => {
  const r = await call('POST', `${O()}/git-providers`, { name: 'acme app', type: 'github_app', app_id: '12345',
    installation_id: '100', private_key: app.privateKey, webhook_secret: HOOK_SECRET, api_url: gh.url });
  assert.equal(r.status, 201, r.text);
  prov = r.json;
  assert.deepEqual([prov.type, prov.app_id, prov.installation_id, prov.api_url], ['github_app', '12345', '100', gh.url]);
  assert.deepEqual(prov.private_key, { set: true });
  assert.deepEqual(prov.webhook_secret, { set: true });
  assert.equal(prov.token, undefined);
  const dup = await call('POST', `${O()}/git-providers`, { name: 'again', type: 'github_app', app_id: '12345',
    installation_id: '100', private_key: stranger.privateKey, webhook_secret: 'x', api_url: gh.url });
  assert.equal(dup.status, 409);
  assert.match(dup.json.error.message, /app 12345, installation 100 .*'acme app'/);
  const defaults = await call('POST', `${O()}/git-providers`, { name: 'github.com', type: 'github_app', app_id: '1',
    installation_id: '2', private_key: app.privateKey, webhook_secret: 'x' });
  assert.equal(defaults.json.api_url, 'https://api.github.com');
  await call('DELETE', `${O()}/git-providers/${defaults.json.id}`);
  for (const [body, field, says] of [
    [{ installation_id: '100', private_key: app.privateKey, webhook_secret: 'x' }, 'app_id', /App ID/],
    [{ app_id: 'abc', installation_id: '100', private_key: app.privateKey, webhook_secret: 'x' }, 'app_id', /numeric/],
    [{ app_id: '1', installation_id: '100', private_key: 'not a pem', webhook_secret: 'x' }, 'private_key', /not a PEM/],
    [{ app_id: '1', installation_id: '100', private_key: app.publicKey, webhook_secret: 'x' }, 'private_key', /could not be read/],
    [{ app_id: '1', installation_id: '100', private_key: app.privateKey }, 'webhook_secret', /X-Hub-Signature-256/],
    [{ app_id: '1', installation_id: '100', private_key: app.privateKey, webhook_secret: 'x', token: 't' }, 'token', /not github_app/],
  ]) {
    const bad = await call('POST', `${O()}/git-providers`, { name: 'bad', type: 'github_app', api_url: gh.url, ...body });
    assert.equal(bad.status, 400, bad.text);
    assert.match(bad.json.error.details.fields[field] || '', says, bad.text);
  }
});

test('recorded GitHub responses: a good app mints an installation token, reads the paginated allow-list and the branch', async () => {
  const before = gh.state.requests.length;
  const r = await call('POST', `${O()}/git-providers/${prov.id}/verify`, { repository: 'acme/api', branch: 'release/v2' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.ok, true, r.text);
  assert.deepEqual(r.json.checks.map((c) => [c.name, c.status]), [['private_key', 'passed'], ['installation', 'passed'],
    ['installation_token', 'passed'], ['repositories', 'passed'], ['repository', 'passed'], ['branch', 'passed']]);
  assert.equal(r.json.repositories, 131, 'both pages of /installation/repositories');
  assert.equal(r.json.sha, SHA_REL);
  assert.equal(r.json.account, 'acme');
  assert.equal(r.json.token_exchanges, 1);
  assert.deepEqual(gh.state.jwtFailures, [], 'the recorded server accepted the JWT signature, iat and exp');
  const asked = gh.state.requests.slice(before);
  assert.deepEqual(asked.map((q) => `${q.method} ${q.path}`), ['GET /app/installations/100', 'POST /app/installations/100/access_tokens',
    'GET /installation/repositories', 'GET /installation/repositories', 'GET /repos/acme/api/branches/release/v2']);
  assert.ok(asked.every((q) => q.ua === 'wharf' && q.version === '2022-11-28'));
  // The token is cached: the next verify mints nothing.
  const again = await call('POST', `${O()}/git-providers/${prov.id}/verify`, { repository: 'https://github.com/acme/api', branch: 'main' });
  assert.equal(again.json.ok, true, again.text);
  assert.equal(again.json.token_exchanges, 0);
  assert.match(again.json.checks[2].message, /cached installation token/);
  assert.equal(gh.state.exchanges, 1);
  const row = (await call('GET', `${O()}/git-providers/${prov.id}`)).json;
  assert.equal(row.verified, true);
  assert.equal(row.expires_at, null, 'an app key does not expire');
});

test('recorded GitHub responses: an expired or revoked installation token is minted again', async () => {
  gh.expireAllTokens();
  const r = await call('POST', `${O()}/git-providers/${prov.id}/verify`, { repository: 'acme/api', branch: 'main' });
  assert.equal(r.json.ok, true, r.text);
  assert.equal(r.json.token_exchanges, 1);
  assert.match(r.json.checks.find((c) => c.name === 'installation_token').message, /no longer accepted the cached token, so a new one was minted/);
  assert.equal(gh.state.exchanges, 2);
  // A token that expires within the 5-minute margin is not reused.
  gh.state.tokenTtlSeconds = 240;
  gh.expireAllTokens();
  await call('POST', `${O()}/git-providers/${prov.id}/verify`, {});
  const n = gh.state.exchanges;
  const r2 = await call('POST', `${O()}/git-providers/${prov.id}/verify`, {});
  assert.equal(r2.json.ok, true, r2.text);
  assert.equal(r2.json.token_exchanges, 1);
  assert.equal(gh.state.exchanges, n + 1);
  gh.state.tokenTtlSeconds = 3600;
});

test('recorded GitHub responses: a repository outside the allow-list and a missing branch are github_app failures', async () => {
  const out = await call('POST', `${O()}/git-providers/${prov.id}/verify`, { repository: 'acme/secret', branch: 'main' });
  const rc = out.json.checks.find((c) => c.name === 'repository');
  assert.equal(rc.status, 'failed', out.text);
  assert.equal(rc.layer, 'github_app');
  assert.match(rc.message, /acme\/secret is not in the installation's repository allow-list .*Only select repositories/);
  assert.match(rc.fix, /Configure → Repository access: add acme\/secret/);
  assert.equal(out.json.checks.find((c) => c.name === 'branch').status, 'skipped');
  const br = await call('POST', `${O()}/git-providers/${prov.id}/verify`, { repository: 'acme/api', branch: 'nope' });
  const b = br.json.checks.find((c) => c.name === 'branch');
  assert.equal(b.layer, 'github_app');
  assert.match(b.message, /Branch 'nope' does not exist in acme\/api \(GitHub: "Branch not found"\); the default branch is main/);
  const row = (await call('GET', `${O()}/git-providers/${prov.id}`)).json;
  assert.equal(row.last_error.check, 'branch');
  assert.equal(row.last_error.layer, 'github_app');
  const bad = await call('POST', `${O()}/git-providers/${prov.id}/verify`, { repository: 'acme', branch: 'main' });
  assert.equal(bad.status, 400);
  assert.match(bad.json.error.details.fields.repository, /OWNER\/REPO/);
});

test('recorded GitHub responses: the wrong private key is refused by GitHub\'s JWT check', async () => {
  assert.equal((await call('PATCH', `${O()}/git-providers/${prov.id}`, { private_key: stranger.privateKey })).status, 200);
  const r = await call('POST', `${O()}/git-providers/${prov.id}/verify`, { repository: 'acme/api', branch: 'main' });
  assert.equal(r.json.ok, false);
  const inst = r.json.checks.find((c) => c.name === 'installation');
  assert.equal(inst.layer, 'github_app');
  assert.match(inst.message, /HTTP 401: "A JSON web token could not be decoded".*private key does not belong to app 12345/);
  assert.match(inst.fix, /Private keys/);
  assert.deepEqual(r.json.checks.slice(2).map((c) => c.status), ['skipped', 'skipped', 'skipped', 'skipped']);
  assert.ok(gh.state.jwtFailures.includes('A JSON web token could not be decoded'));
  assert.equal((await call('PATCH', `${O()}/git-providers/${prov.id}`, { private_key: app.privateKey })).status, 200);
});

test('recorded GitHub responses: a suspended installation is detected', async () => {
  const c = await call('POST', `${O()}/git-providers/test`, { type: 'github_app', app_id: '12345', installation_id: '200',
    private_key: app.privateKey, api_url: gh.url });
  assert.equal(c.status, 200, c.text);
  const inst = c.json.checks.find((x) => x.name === 'installation');
  assert.equal(inst.status, 'failed');
  assert.equal(inst.layer, 'github_app');
  assert.match(inst.message, /installation on frozen-co is suspended \(since 2026-11-01T09:30:00Z, by octo-admin\)/);
  assert.match(inst.fix, /Unsuspend/);
  const missing = await call('POST', `${O()}/git-providers/test`, { type: 'github_app', app_id: '12345', installation_id: '999',
    private_key: app.privateKey, api_url: gh.url });
  assert.match(missing.json.checks.find((x) => x.name === 'installation').message, /Installation 999 was not found for app 12345/);
});

test('webhooks: X-Hub-Signature-256 over the raw body; deliveries, rejects and pushes are recorded', async () => {
  // Before any delivery, diagnose says so and what to configure.
  const unverified = await call('POST', `${O()}/diagnose`, { git_provider_id: prov.id });
  assert.equal(unverified.json.checklist[0].name, 'credential', 'the key was changed after the last verify');
  assert.match(unverified.json.checklist[0].evidence, /changed after its last verify/);
  assert.equal(unverified.json.layer, 'github_app');
  assert.equal((await call('POST', `${O()}/git-providers/${prov.id}/verify`, { repository: 'acme/api', branch: 'main' })).json.ok, true);
  const d0 = await call('POST', `${O()}/diagnose`, { git_provider_id: prov.id });
  assert.equal(d0.status, 200, d0.text);
  assert.equal(d0.json.subject, 'git_provider');
  assert.equal(d0.json.layer, 'webhook');
  const never = d0.json.checklist.find((c) => c.name === 'last_delivery');
  assert.equal(never.status, 'failed');
  assert.match(never.evidence, /No delivery has ever arrived/);
  assert.match(never.fix, new RegExp(`/api/v1/webhooks/git/${prov.id}`));
  assert.equal(d0.json.checklist.find((c) => c.name === 'public_url').status, 'failed', 'a loopback public URL cannot be reached by GitHub');

  assert.equal((await deliver(prov.id, 'ping', { zen: 'Keep it logically awesome.', hook_id: 4242 })).status, 202);
  // Byte-exact: the signature covers the raw body, so re-serialised JSON would not verify.
  const raw = `{"ref":"refs/heads/main","before":"${'0'.repeat(40)}","after":"${SHA_MAIN}",  "repository":{"full_name":"acme/api"}}`;
  const ok = await deliver(prov.id, 'push', raw);
  assert.equal(ok.status, 202, JSON.stringify(ok.json));
  assert.deepEqual(ok.json, { ok: true, event: 'push', outcome: 'accepted' });
  const tampered = await deliver(prov.id, 'push', raw.replace('main', 'evil'), { signature: sign(raw) });
  assert.equal(tampered.status, 401);
  assert.equal(tampered.json.error.layer, 'webhook');
  assert.match(tampered.json.error.message, /X-Hub-Signature-256 does not match/);
  const wrongSecret = await deliver(prov.id, 'push', raw, { secret: 'another-secret' });
  assert.equal(wrongSecret.status, 401);
  // Replay protection: the same signed body again, under a fresh delivery id, is answered 202
  // without effect; a push GitHub dated more than 3 days ago is not acted on either.
  const replay = await deliver(prov.id, 'push', raw);
  assert.deepEqual(replay.json, { ok: true, event: 'push', outcome: 'replay' });
  const pushedAt = Math.floor(Date.now() / 1000) - 4 * 86400;
  const stale = await deliver(prov.id, 'push', { ref: 'refs/heads/main', after: SHA_MAIN,
    repository: { full_name: 'acme/api', pushed_at: pushedAt } });
  assert.deepEqual(stale.json, { ok: true, event: 'push', outcome: 'stale' });
  const unsigned = await deliver(prov.id, 'push', raw, { signature: null });
  assert.equal(unsigned.status, 401);
  assert.equal(unsigned.json.error.details.outcome, 'missing_signature');
  assert.equal((await deliver('git_doesnotexist', 'push', raw)).status, 404);
  const row = (await call('GET', `${O()}/git-providers/${prov.id}`)).json;
  assert.equal(row.webhook.deliveries, 7);
  assert.equal(row.webhook.rejected, 3);
  assert.equal(row.webhook.replays, 2);
  assert.equal(row.webhook.last_outcome, 'missing_signature');
  assert.equal(row.webhook.last_event, 'push');
  assert.ok(row.webhook.last_accepted_at && row.webhook.last_delivery_at);
  assert.deepEqual([row.webhook.last_push.repository, row.webhook.last_push.branch, row.webhook.last_push.sha], ['acme/api', 'main', SHA_MAIN]);
  assert.ok(s.logs.includes('"event":"git.push"'), 'OnGitPush ran');
});

test('diagnose "webhook never arrives": the last rejection, the branch filter, and reach checks with repository and branch', async () => {
  const d = await call('POST', `${O()}/diagnose`, { git_provider_id: prov.id });
  assert.equal(d.json.layer, 'webhook');
  assert.equal(d.json.checklist[0].name, 'last_outcome');
  assert.match(d.json.checklist[0].evidence, /rejected \(missing_signature\)/);
  assert.match(d.json.checklist[0].fix, /same secret on both sides/);
  assert.equal((await deliver(prov.id, 'push', { ref: 'refs/heads/main', after: SHA_MAIN, repository: { full_name: 'acme/api' } })).status, 202);
  const f = await call('POST', `${O()}/diagnose`, { git_provider_id: prov.id, repository: 'acme/api', branch: 'release/v2' });
  assert.equal(f.status, 200, f.text);
  assert.equal(f.json.layer, 'webhook');
  const filt = f.json.checklist.find((c) => c.name === 'branch_filter');
  assert.equal(filt.status, 'failed');
  assert.match(filt.evidence, /last push Wharf received was to acme\/api@main, not to release\/v2/);
  assert.equal(f.json.checklist.find((c) => c.name === 'branch').status, 'passed', 'the reach checks ran');
  const reach = await call('POST', `${O()}/diagnose`, { git_provider_id: prov.id, repository: 'acme/other', branch: 'main' });
  assert.equal(reach.json.layer, 'github_app');
  assert.equal(reach.json.checklist[0].name, 'repository');
  assert.equal((await call('POST', `${O()}/diagnose`, { repository: 'acme/api' })).status, 400);
});

test('wharf git-provider: list, add, show, verify, remove', async () => {
  const cli = cliUser('ada-git');
  const env = { WHARF_URL: s.url, WHARF_TOKEN: ada.token, WHARF_ORG: ada.org.slug };
  const keyFile = path.join(cli.home, 'app.pem');
  const { writeFileSync } = await import('node:fs');
  writeFileSync(keyFile, app.privateKey, { mode: 0o600 });
  const hookFile = path.join(cli.home, 'hook.txt');
  writeFileSync(hookFile, `${HOOK_SECRET}\n`, { mode: 0o600 });
  const add = await cli.run(['git-provider', 'add', '--name', 'cli app', '--type', 'github_app', '--app-id', '12345',
    '--installation-id', '100', '--private-key-file', keyFile, '--api-url', gh.url, '--webhook-secret-file', hookFile, '-o', 'json'], { env });
  assert.equal(add.code, 1, add.stdout + add.stderr);
  assert.match(add.stderr, /already connected/);
  const list = await cli.run(['git-provider', 'list'], { env });
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, /acme app/);
  assert.match(list.stdout, /github_app/);
  const show = JSON.parse((await cli.run(['git-provider', 'show', 'acme app', '-o', 'json'], { env })).stdout);
  assert.equal(show.id, prov.id);
  const v = await cli.run(['git-provider', 'verify', 'acme app', '--repository', 'acme/api', '--branch', 'nope'], { env });
  assert.equal(v.code, 1, v.stdout + v.stderr);
  assert.match(v.stdout, /branch/);
  assert.match(v.stdout, /github_app/);
  const good = await cli.run(['git-provider', 'verify', 'acme app', '--repository', 'acme/api', '--branch', 'main'], { env });
  assert.equal(good.code, 0, good.stdout + good.stderr);
  const tok = await cli.run(['git-provider', 'add', '--name', 'gl', '--type', 'gitlab', '--base-url', 'https://gitlab.example.com',
    '--token-file', hookFile, '-o', 'json'], { env });
  assert.equal(tok.code, 0, tok.stdout + tok.stderr);
  const rm = await cli.run(['git-provider', 'remove', 'gl'], { env });
  assert.equal(rm.code, 0, rm.stdout + rm.stderr);
  for (const out of [add, list, v, good, tok, rm]) assert.ok(!(out.stdout + out.stderr).includes('PRIVATE KEY'));
});

test('the key, the webhook secret and the installation tokens never appear in responses, the log or the database', async () => {
  const logFile = readFileSync(path.join(s.dataDir, 'wharf.log'), 'utf8');
  const db = Buffer.from(await databaseBytes(s), 'latin1');
  const keyBody = app.privateKey.split('\n')[5];
  const installationTokens = [...gh.tokens.keys()];
  assert.ok(installationTokens.length >= 3);
  for (const secret of [keyBody, stranger.privateKey.split('\n')[5], HOOK_SECRET, ...installationTokens]) {
    for (const body of seen) assert.ok(!body.includes(secret), `a response contains ${secret}`);
    assert.ok(!s.logs.includes(secret), `the wharf output contains ${secret}`);
    assert.ok(!logFile.includes(secret), `wharf.log contains ${secret}`);
    assert.ok(!db.includes(secret), `the database holds ${secret} in plain text`);
  }
});
