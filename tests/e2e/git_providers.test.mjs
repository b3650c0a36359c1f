// Git token hosts (GitLab, Gitea, Azure DevOps, Bitbucket) against a REAL git server: lighttpd +
// `git http-backend` over HTTPS on 127.0.0.1 behind Basic auth, serving bare repositories made
// here, with a certificate from a throw-away CA that Wharf trusts through WHARF_EXTRA_CA_FILE.
// Wharf's verify runs the real `git ls-remote`. The GitLab token API (scopes, expiry) is served
// from RECORDED GitLab responses behind the same lighttpd (/api/ is proxied to it).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { startWharf, api, signup, memberWithRole, databaseBytes } from './lib/harness.mjs';
import { makeTestCa, startGitServer } from './lib/git_server.mjs';
import { startGitlabRecorded } from './lib/github_recorded.mjs';

const TOKEN = 'glpat-GoodToken-7d1e9c2a';
const EXPIRED = 'glpat-Expired-0b5f33aa';
const NO_SCOPE = 'glpat-NoScope-5e2c11d0';
const WRONG = 'glpat-Wrong-99aa01bc';
const HOOK_SECRET = 'gitlab-hook-secret-4f1a';
const inDays = (n) => new Date(Date.now() + n * 86400000).toISOString().slice(0, 10);
let ca, gitlabApi, git, s, ada, repo;
const seen = [];
const O = () => `/api/v1/orgs/${ada.org.slug}`;
async function call(method, p, body, token = ada.token) {
  const r = await api(s.url, method, p, { token, body });
  seen.push(r.text);
  return r;
}

// Every git process's command line seen while verifies run: the token must never be on argv.
const argvSeen = [];
let poller;
function scanProcs() {
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    let cmd = '';
    try { cmd = readFileSync(`/proc/${pid}/cmdline`, 'latin1').replace(/\0/g, ' '); } catch { continue; }
    if (cmd.includes('ls-remote') || cmd.includes('remote-https')) argvSeen.push(cmd);
  }
}

before(async () => {
  ca = makeTestCa();
  gitlabApi = await startGitlabRecorded({ tokens: {
    [TOKEN]: { name: 'wharf-deploy', scopes: ['read_repository', 'read_api'], expires_at: inDays(5) },
    [EXPIRED]: { name: 'old', scopes: ['read_repository'], expired: true },
    [NO_SCOPE]: { name: 'api-only', scopes: ['read_user'], expires_at: inDays(200) },
  } });
  git = await startGitServer({ ca, users: { oauth2: TOKEN, ci: NO_SCOPE }, apiPort: gitlabApi.port });
  repo = git.addRepo('acme/platform/api', ['main', 'develop']);
  git.addRepo('forbidden/api', ['main']);
  git.addRepo('acme/web', ['main']);
  git.addRepo('org/proj/_git/app', ['main']);
  git.addRepo('scm/PRJ/tool', ['main']);
  s = await startWharf({ env: { WHARF_EXTRA_CA_FILE: ca.caFile } });
  ada = await signup(s.url, 'ada');
  poller = setInterval(scanProcs, 3);
});
after(async () => {
  clearInterval(poller);
  await s?.stop(); s?.cleanup(); await git?.stop(); await gitlabApi?.close(); ca?.cleanup();
});

let gl;
test('create: secrets are write-only, the webhook URL is shown, a duplicate token names the existing record', async () => {
  const r = await call('POST', `${O()}/git-providers`, { name: 'self-hosted gitlab', type: 'gitlab', base_url: git.base,
    token: TOKEN, webhook_secret: HOOK_SECRET });
  assert.equal(r.status, 201, r.text);
  gl = r.json;
  assert.equal(gl.type, 'gitlab');
  assert.equal(gl.base_url, git.base);
  assert.deepEqual(gl.token, { set: true });
  assert.deepEqual(gl.webhook_secret, { set: true });
  assert.equal(gl.verified, false);
  assert.equal(gl.webhook.url, `${s.url}/api/v1/webhooks/git/${gl.id}`);
  assert.equal(gl.webhook.deliveries, 0);
  assert.ok(gl.id.startsWith('git_'));
  const dup = await call('POST', `${O()}/git-providers`, { name: 'again', type: 'gitlab', base_url: git.base, token: TOKEN });
  assert.equal(dup.status, 409, dup.text);
  assert.match(dup.json.error.message, /already connected .*'self-hosted gitlab' \(git_/);
  assert.equal(dup.json.error.details.existing.id, gl.id);
  // Another token for the same host and default username is another credential.
  const other = await call('POST', `${O()}/git-providers`, { name: 'second', type: 'gitlab', base_url: git.base, token: 'glpat-other-123456' });
  assert.equal(other.status, 201, other.text);
  assert.equal((await call('DELETE', `${O()}/git-providers/${other.json.id}`)).status, 204);
  for (const [body, field, says] of [
    [{ name: 'x', base_url: git.base, token: 't' }, 'type', /is required/],
    [{ name: 'x', type: 'svn', token: 't' }, 'type', /github_app, gitlab/],
    [{ name: 'x', type: 'gitlab', base_url: git.base }, 'token', /read_repository/],
    [{ name: 'x', type: 'gitlab', base_url: 'http://gitlab.example.com', token: 't' }, 'base_url', /https/],
    [{ name: 'x', type: 'gitlab', base_url: 'https://user:pw@gitlab.example.com', token: 't' }, 'base_url', /before '@'/],
    [{ name: 'x', type: 'gitlab', token: 't', app_id: '1' }, 'app_id', /only to type github_app/],
    [{ name: 'x', type: 'gitea', token: 't' }, 'base_url', /required for Gitea/],
    [{ name: 'x', type: 'bitbucket', token: 't', token_scope: 'repository' }, 'repository', /token_scope repository/],
    [{ name: 'x', type: 'gitlab', base_url: git.base, token: 'has space' }, 'token', /spaces/],
  ]) {
    const bad = await call('POST', `${O()}/git-providers`, body);
    assert.equal(bad.status, 400, JSON.stringify(body) + bad.text);
    assert.match(bad.json.error.details.fields[field] || '', says, `${field}: ${bad.text}`);
  }
});

test('a good token verifies with the real git ls-remote and the host API: scopes, expiry, branch sha', async () => {
  const r = await call('POST', `${O()}/git-providers/${gl.id}/verify`, { repository: repo.url, branch: 'main' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.ok, true, r.text);
  assert.deepEqual(r.json.checks.map((c) => [c.name, c.status]), [['token_api', 'passed'], ['ls_remote', 'passed'], ['branch', 'passed']]);
  assert.equal(r.json.sha, repo.shas.main, 'the commit the real repository holds');
  assert.deepEqual(r.json.scopes, ['read_repository', 'read_api']);
  assert.equal(r.json.expires_at, inDays(5));
  assert.match(r.json.checks[1].message, /2 branch/);
  // A path relative to base_url works too.
  const rel = await call('POST', `${O()}/git-providers/${gl.id}/verify`, { repository: 'git/acme/platform/api', branch: 'develop' });
  assert.equal(rel.json.ok, true, rel.text);
  assert.equal(rel.json.sha, repo.shas.develop);
  const row = (await call('GET', `${O()}/git-providers/${gl.id}`)).json;
  assert.equal(row.verified, true);
  assert.equal(row.expires_at.slice(0, 10), inDays(5));
  assert.ok(gitlabApi.requests.length >= 2, 'the recorded GitLab API was asked');
  // lighttpd buffers its access log (it flushes about once a second): wait for the line.
  const served = /GET \/git\/acme\/platform\/api\.git\/info\/refs\?service=git-upload-pack HTTP\/[\d.]+" 200/;
  for (let i = 0; i < 50 && !served.test(git.accessLog()); i++) await new Promise((res) => setTimeout(res, 100));
  assert.ok(served.test(git.accessLog()), 'the real git server served the ref advertisement');
});

test('credentials close to expiry are listed for every integration kind', async () => {
  const soon = await call('GET', `${O()}/integrations/expiring?within_days=7`);
  assert.equal(soon.status, 200, soon.text);
  assert.deepEqual(soon.json.items.map((i) => [i.kind, i.id, i.expired]), [['gitProviders', gl.id, false]]);
  assert.ok(soon.json.items[0].days_left >= 4 && soon.json.items[0].days_left <= 5);
  assert.equal((await call('GET', `${O()}/integrations/expiring?within_days=2`)).json.items.length, 0);
  assert.equal((await call('GET', `${O()}/integrations/expiring`)).json.within_days, 30);
  assert.equal((await call('GET', `${O()}/integrations/expiring?within_days=x`)).status, 400);
  // A member who may not read git providers does not see them.
  const m = await memberWithRole(s.url, ada, 'reg-only', { dockerRegistries: { read: true } });
  assert.equal((await call('GET', `${O()}/integrations/expiring?within_days=7`, undefined, m.token)).json.items.length, 0);
});

test('a wrong token is HTTP 401 → git_token "wrong, revoked or expired"; an expired one says so', async () => {
  assert.equal((await call('PATCH', `${O()}/git-providers/${gl.id}`, { token: WRONG })).status, 200);
  const r = await call('POST', `${O()}/git-providers/${gl.id}/verify`, { repository: repo.url, branch: 'main' });
  assert.equal(r.json.ok, false);
  const ls = r.json.checks.find((c) => c.name === 'ls_remote');
  assert.equal(ls.status, 'failed', r.text);
  assert.equal(ls.layer, 'git_token');
  assert.match(ls.message, /refused the credential \(HTTP 401\).*wrong, revoked or expired/);
  assert.match(ls.fix, /read_repository/);
  assert.equal(r.json.checks.find((c) => c.name === 'branch').status, 'skipped');
  assert.equal(r.json.checks.find((c) => c.name === 'token_api').layer, 'git_token');
  const row = (await call('GET', `${O()}/git-providers/${gl.id}`)).json;
  assert.equal(row.verified, false);
  assert.equal(row.last_error.layer, 'git_token');
  await call('PATCH', `${O()}/git-providers/${gl.id}`, { token: EXPIRED });
  const ex = await call('POST', `${O()}/git-providers/${gl.id}/verify`, { repository: repo.url });
  const t = ex.json.checks.find((c) => c.name === 'token_api');
  assert.equal(t.status, 'failed');
  assert.match(t.message, /Token has expired/);
  assert.equal((await call('GET', `${O()}/git-providers/${gl.id}`)).json.last_error.message, t.message, 'the first failure is recorded');
  await call('PATCH', `${O()}/git-providers/${gl.id}`, { token: TOKEN });
});

test('missing read_repository: the host API names the scopes, and HTTP 403 on clone maps to git_token', async () => {
  const c = await call('POST', `${O()}/git-providers`, { name: 'ci', type: 'gitlab', base_url: git.base, username: 'ci', token: NO_SCOPE });
  assert.equal(c.status, 201, c.text);
  const r = await call('POST', `${O()}/git-providers/${c.json.id}/verify`, { repository: `${git.base}/git/forbidden/api.git`, branch: 'main' });
  const t = r.json.checks.find((x) => x.name === 'token_api');
  assert.equal(t.status, 'failed');
  assert.match(t.message, /scopes \[read_user\] but not read_repository/);
  const ls = r.json.checks.find((x) => x.name === 'ls_remote');
  assert.equal(ls.layer, 'git_token');
  assert.match(ls.message, /HTTP 403.*missing read_repository/);
  await call('DELETE', `${O()}/git-providers/${c.json.id}`);
});

test('a repository that does not exist is "not found" with the URL-format hint; a missing branch lists the real ones', async () => {
  const r = await call('POST', `${O()}/git-providers/${gl.id}/verify`, { repository: `${git.base}/git/acme/nothing.git`, branch: 'main' });
  const ls = r.json.checks.find((c) => c.name === 'ls_remote');
  assert.equal(ls.status, 'failed', r.text);
  assert.equal(ls.layer, 'git_token');
  assert.match(ls.message, /Repository not found .*HTTP 404/);
  assert.match(ls.fix, /HTTPS clone URL .*GROUP/);
  const b = await call('POST', `${O()}/git-providers/${gl.id}/verify`, { repository: repo.url, branch: 'release' });
  assert.deepEqual(b.json.checks.map((c) => [c.name, c.status]), [['token_api', 'passed'], ['ls_remote', 'passed'], ['branch', 'failed']]);
  const br = b.json.checks[2];
  assert.equal(br.layer, 'git_token');
  assert.match(br.message, /'release' does not exist .*branches: develop, main/);
});

test('malformed clone URLs are a 400 naming the field and the host\'s format; a token in the URL is never echoed', async () => {
  for (const [repository, says] of [
    [`${git.base}/git/acme/api/-/tree/main`, /GitLab web page URL/],
    ['git@gitlab.com:acme/api.git', /SSH URL/],
    [`https://oauth2:${TOKEN}@127.0.0.1:${git.port}/git/acme/api.git`, /before '@'/],
    ['https://gitlab.com/acme/api.git', /is on host gitlab\.com/],
    [`${git.base}/api.git`, /group and a project/],
    [undefined, /is required/],
  ]) {
    const r = await call('POST', `${O()}/git-providers/${gl.id}/verify`, repository === undefined ? { branch: 'main' } : { repository, branch: 'main' });
    assert.equal(r.status, 400, r.text);
    assert.match(r.json.error.details.fields.repository, says);
    assert.ok(!r.text.includes(TOKEN));
  }
  const br = await call('POST', `${O()}/git-providers/${gl.id}/verify`, { repository: repo.url, branch: 'bad branch' });
  assert.equal(br.status, 400);
  assert.ok(br.json.error.details.fields.branch);
});

test('Gitea, Azure DevOps and Bitbucket Data Center URL formats clone from the same real server', async () => {
  const cases = [
    ['gitea', { base_url: `${git.base}/git`, username: 'oauth2' }, 'acme/web', `${git.base}/git/acme/web.git`],
    ['azure_devops', { base_url: `${git.base}/git`, username: 'oauth2' }, `${git.base}/git/org/proj/_git/app`, `${git.base}/git/org/proj/_git/app`],
    ['bitbucket', { base_url: `${git.base}/git`, username: 'oauth2' }, 'scm/PRJ/tool.git', `${git.base}/git/scm/PRJ/tool.git`],
  ];
  for (const [type, extra, repository, url] of cases) {
    const c = await call('POST', `${O()}/git-providers`, { name: type, type, token: TOKEN, ...extra });
    assert.equal(c.status, 201, c.text);
    const r = await call('POST', `${O()}/git-providers/${c.json.id}/verify`, { repository, branch: 'main' });
    assert.equal(r.json.ok, true, `${type}: ${r.text}`);
    assert.equal(r.json.repository, url);
    assert.deepEqual(r.json.checks.map((x) => x.name), ['ls_remote', 'branch'], 'no token API outside GitLab');
    const bad = await call('POST', `${O()}/git-providers/${c.json.id}/verify`, { repository: `${git.base}/git/a/b/c/d`, branch: 'main' });
    assert.equal(bad.status, 400, `${type}: ${bad.text}`);
    await call('DELETE', `${O()}/git-providers/${c.json.id}`);
  }
});

test('a Bitbucket repository access token is bound to its repository', async () => {
  const c = await call('POST', `${O()}/git-providers`, { name: 'bb repo token', type: 'bitbucket', base_url: `${git.base}/git`,
    username: 'oauth2', token: TOKEN, token_scope: 'repository', repository: 'scm/PRJ/tool.git' });
  assert.equal(c.status, 201, c.text);
  assert.equal(c.json.token_scope, 'repository');
  assert.equal(c.json.repository, `${git.base}/git/scm/PRJ/tool.git`);
  const own = await call('POST', `${O()}/git-providers/${c.json.id}/verify`, { branch: 'main' });
  assert.equal(own.json.ok, true, own.text);
  const other = await call('POST', `${O()}/git-providers/${c.json.id}/verify`, { repository: 'scm/PRJ/other.git' });
  const t = other.json.checks.find((x) => x.name === 'token_scope');
  assert.equal(t.layer, 'git_token');
  assert.match(t.message, /repository access token for .*tool\.git; it cannot read .*other\.git/);
  await call('DELETE', `${O()}/git-providers/${c.json.id}`);
});

test('test on an unsaved body runs the same checks and saves nothing', async () => {
  const good = await call('POST', `${O()}/git-providers/test`, { type: 'gitlab', base_url: git.base, token: TOKEN, repository: repo.url, branch: 'main' });
  assert.equal(good.status, 200, good.text);
  assert.equal(good.json.ok, true, good.text);
  const bad = await call('POST', `${O()}/git-providers/test`, { type: 'gitlab', base_url: git.base, token: WRONG, repository: repo.url });
  assert.equal(bad.json.checks.find((c) => c.name === 'ls_remote').layer, 'git_token');
  assert.equal((await call('GET', `${O()}/git-providers`)).json.items.length, 1);
});

test('GitLab webhooks: X-Gitlab-Token is checked, the delivery and the push are recorded, rejects are counted', async () => {
  const hook = (token, body, event = 'Push Hook') => fetch(`${s.url}/api/v1/webhooks/git/${gl.id}`, { method: 'POST',
    headers: { 'content-type': 'application/json', 'x-gitlab-event': event, ...(token ? { 'x-gitlab-token': token } : {}) },
    body: JSON.stringify(body) });
  const push = { object_kind: 'push', ref: 'refs/heads/main', before: '0'.repeat(40), after: repo.shas.main,
    project: { path_with_namespace: 'acme/platform/api' } };
  assert.equal((await call('POST', `${O()}/git-providers/${gl.id}/verify`, { repository: repo.url, branch: 'main' })).json.ok, true);
  const ok = await hook(HOOK_SECRET, push);
  assert.equal(ok.status, 202, await ok.clone().text());
  assert.deepEqual(await ok.json(), { ok: true, event: 'push', outcome: 'accepted' });
  const bad = await hook('not-the-secret', push);
  assert.equal(bad.status, 401);
  const bj = await bad.json();
  assert.equal(bj.error.layer, 'webhook');
  assert.equal(bj.error.details.outcome, 'bad_signature');
  const row = (await call('GET', `${O()}/git-providers/${gl.id}`)).json;
  assert.equal(row.webhook.deliveries, 2);
  assert.equal(row.webhook.rejected, 1);
  assert.equal(row.webhook.last_outcome, 'bad_signature');
  assert.deepEqual([row.webhook.last_push.repository, row.webhook.last_push.branch, row.webhook.last_push.sha],
    ['acme/platform/api', 'main', repo.shas.main]);
  const d = await call('POST', `${O()}/diagnose`, { git_provider_id: gl.id });
  assert.equal(d.status, 200, d.text);
  assert.equal(d.json.layer, 'webhook');
  assert.equal(d.json.checklist[0].name, 'last_outcome');
  assert.match(d.json.checklist[0].evidence, /rejected \(bad_signature\)/);
  assert.match(d.json.checklist.find((c) => c.name === 'expiry').evidence, /expires in [45] day/);
  assert.match(d.json.checklist.find((c) => c.name === 'push_events').evidence, /acme\/platform\/api@main/);
});

test('without --extra-ca-file the private CA is not trusted: layer network names the option', async () => {
  const plain = await startWharf();
  try {
    const u = await signup(plain.url, 'plain');
    const r = await api(plain.url, 'POST', `/api/v1/orgs/${u.org.slug}/git-providers/test`,
      { token: u.token, body: { type: 'gitlab', base_url: git.base, token: TOKEN, repository: repo.url } });
    assert.equal(r.json.ok, false, r.text);
    const ls = r.json.checks.find((c) => c.name === 'ls_remote');
    assert.equal(ls.layer, 'network');
    assert.match(ls.message, /TLS certificate/);
    assert.match(ls.fix, /--extra-ca-file/);
  } finally { await plain.stop(); plain.cleanup(); }
});

test('without --allow-private-targets a loopback git host is refused', async () => {
  const strict = await startWharf({ strictTargets: true });
  try {
    const u = await signup(strict.url, 'strict');
    const r = await api(strict.url, 'POST', `/api/v1/orgs/${u.org.slug}/git-providers`,
      { token: u.token, body: { name: 'l', type: 'gitlab', base_url: git.base, token: TOKEN } });
    assert.equal(r.status, 400);
    assert.match(r.json.error.details.fields.base_url, /--allow-private-targets/);
  } finally { await strict.stop(); strict.cleanup(); }
});

test('the tokens never appear on a command line, in a response, the wharf log or the database', async () => {
  assert.ok(argvSeen.some((c) => c.includes('ls-remote')), 'the poller saw git ls-remote running (so this check can fail)');
  const basic = Buffer.from(`oauth2:${TOKEN}`).toString('base64');
  for (const c of argvSeen) assert.ok(!c.includes(TOKEN) && !c.includes(basic), `argv holds the token: ${c}`);
  const logFile = readFileSync(path.join(s.dataDir, 'wharf.log'), 'utf8');
  assert.ok(logFile.includes('gitProviders') || logFile.includes('git-providers'), 'the log file is the one in use');
  const db = Buffer.from(await databaseBytes(s), 'latin1');
  for (const secret of [TOKEN, EXPIRED, NO_SCOPE, WRONG, HOOK_SECRET, basic]) {
    for (const body of seen) assert.ok(!body.includes(secret), `a response contains ${secret}`);
    assert.ok(!s.logs.includes(secret), `the wharf output contains ${secret}`);
    assert.ok(!logFile.includes(secret), `wharf.log contains ${secret}`);
    assert.ok(!db.includes(secret), `the database holds ${secret} in plain text`);
  }
});
