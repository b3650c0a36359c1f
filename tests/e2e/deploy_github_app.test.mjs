// Deploying from a GitHub App provider against RECORDED GitHub responses (GitHub cannot be reached
// here): tests/e2e/lib/github_recorded.mjs plays a GitHub Enterprise host on 127.0.0.1. Its API
// (/api/v3) verifies each app JWT's RS256 signature with the app's PUBLIC key and mints
// installation tokens; its git over HTTPS accepts Basic `x-access-token:<installation token>` for
// the installation's repositories only and forwards to a REAL git http-backend. The worker node is
// a real sshd with the Dokku stand-in, whose git:sync really clones with the netrc git:auth wrote.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { startWharf, api, signup, databaseBytes } from './lib/harness.mjs';
import { startSshd, NODE_USER } from './lib/sshd.mjs';
import { makeTestCa, startGitServer } from './lib/git_server.mjs';
import { startGithubRecorded } from './lib/github_recorded.mjs';
import { readLog } from './lib/sse.mjs';

const appKey = crypto.generateKeyPairSync('rsa', { modulusLength: 2048,
  publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs1', format: 'pem' } });
const GIT_PASSWORD = 'backend-only-Pass-7d1e';
const WHARF_ARGS = ['--node-dns-probe', 'localhost', '--min-disk-free-mb', '100'];
let node, ca, git, gh, s, ada, O, server, provider, application, web, repo, installations;
const seen = [];  // every API answer and SSE stream, to grep for tokens

async function call(method, p, body) {
  const r = await api(s.url, method, p, { token: ada.token, body });
  seen.push(r.text);
  return r;
}

async function follow(id) {
  const { text, log, end } = await readLog(`${s.url}${O}/deployments/${id}/log`, ada.token);
  seen.push(text);
  return { log, end };
}

async function deploy() {
  const r = await call('POST', `${O}/applications/${application.id}/services/${web.id}/deployments`);
  assert.equal(r.status, 202, r.text);
  const f = await follow(r.json.id);
  const got = await call('GET', `${O}/deployments/${r.json.id}`);
  const job = await call('GET', `${O}/jobs/${r.json.id}`);
  return { ...f, deployment: got.json, job: job.json };
}

const gitAuthCalls = () => node.dokkuCalls().filter((c) => c[0] === 'git:auth');

before(async () => {
  node = await startSshd();
  ca = makeTestCa();
  git = await startGitServer({ ca, users: { 'gh-backend': GIT_PASSWORD } });
  repo = git.addRepo('acme/api', ['main']);
  git.addRepo('acme/secret', ['main']);
  installations = {
    100: { appId: 4242, account: 'acme', selection: 'selected',
      repos: [{ full_name: 'acme/api', default_branch: 'main', branches: { main: repo.shas.main } }] },
  };
  gh = await startGithubRecorded({ ca, apps: { 4242: appKey.publicKey }, installations, apiPrefix: '/api/v3',
    git: { url: git.base, user: 'gh-backend', password: GIT_PASSWORD } });
  node.trustCa(ca.caPem);
  s = await startWharf({ env: { WHARF_EXTRA_CA_FILE: ca.caFile }, args: WHARF_ARGS });
  ada = await signup(s.url, 'ada');
  O = `/api/v1/orgs/${ada.org.slug}`;
  const k = (await call('POST', `${O}/ssh-keys`, { name: 'deploy', generate: { type: 'ed25519' } })).json;
  node.authorize(NODE_USER, (await call('GET', `${O}/ssh-keys/${k.id}/public-key`)).text);
  const srv = await call('POST', `${O}/servers`, { name: 'node-1', host: '127.0.0.1', port: node.port, username: NODE_USER, ssh_key_id: k.id });
  assert.equal(srv.status, 201, srv.text);
  server = srv.json;
  const p = await call('POST', `${O}/git-providers`, { name: 'acme app (GHE)', type: 'github_app', app_id: '4242',
    installation_id: '100', private_key: appKey.privateKey, webhook_secret: 'gh-hook-secret-1', api_url: `${gh.url}/api/v3` });
  assert.equal(p.status, 201, p.text);
  provider = p.json;
  const a = await call('POST', `${O}/applications`, { name: 'shop', server_id: server.id });
  assert.equal(a.status, 201, a.text);
  application = a.json;
  const w = await call('POST', `${O}/applications/${application.id}/services`, {
    name: 'web', type: 'app', git_provider_id: provider.id, repository: 'acme/api', branch: 'main', port: 5000 });
  assert.equal(w.status, 201, w.text);
  web = w.json;
});
after(async () => {
  await s?.stop(); s?.cleanup(); await gh?.close(); await git?.stop(); ca?.cleanup(); await node?.cleanup();
});

test('recorded GitHub: a GitHub App service deploys with a minted installation token via git:auth x-access-token', async () => {
  const before = gitAuthCalls().length;
  const d = await deploy();
  assert.equal(d.end.status, 'succeeded', d.log);
  assert.equal(node.dokkuApp('shop-web').rev, repo.shas.main, 'the node cloned the repository through the GitHub host');
  const auth = gitAuthCalls().slice(before);
  assert.equal(auth.length, 1);
  const host = new URL(gh.url).hostname;
  assert.equal(auth[0][1], host, 'git:auth names the GitHub host of the provider (netrc: no port)');
  assert.equal(auth[0][2], 'x-access-token');
  const token = auth[0][3];
  assert.match(token, /^ghs_/);
  assert.ok(gh.tokens.has(token), 'the exact token GitHub minted for the installation');
  assert.equal(gh.tokens.get(token).installation, '100');
  const sync = node.dokkuCalls().filter((c) => c[0] === 'git:sync').at(-1);
  assert.ok(sync.includes(`${gh.url}/acme/api.git`), `git:sync clones from the GitHub host: ${sync}`);
  assert.ok(gh.state.gitAuth.some((g) => g.token === token && g.status === 200), 'git authenticated with the token');
  assert.match(d.log, /git:auth 127\.0\.0\.1 x-access-token \[credential\]/);
  // A second deploy within the token's life reuses it (no new exchange).
  const exchanges = gh.state.exchanges;
  const again = await deploy();
  assert.equal(again.end.status, 'succeeded', again.log);
  assert.equal(gh.state.exchanges, exchanges, 'the cached installation token was used');
  assert.equal(gitAuthCalls().at(-1)[3], token);
});

test('recorded GitHub: a token GitHub stopped accepting is minted again; no token leaks anywhere', async () => {
  gh.expireAllTokens();
  const exchanges = gh.state.exchanges;
  const d = await deploy();
  assert.equal(d.end.status, 'succeeded', d.log);
  assert.equal(gh.state.exchanges, exchanges + 1, 'a 401 for the cached token minted a new one');
  const fresh = gitAuthCalls().at(-1)[3];
  assert.ok(gh.tokens.has(fresh) && !gh.tokens.get(fresh).revoked);
  const list = await call('GET', `${O}/applications/${application.id}/deployments?limit=200`);
  assert.equal(list.status, 200);
  const svc = await call('GET', `${O}/applications/${application.id}/services/${web.id}`);
  const prov = await call('GET', `${O}/git-providers/${provider.id}`);
  assert.equal(prov.status, 200);
  const f = path.join(s.dataDir, 'wharf.log');
  const stderr = s.logs + (existsSync(f) ? readFileSync(f, 'utf8') : '');
  const everything = seen.join('\n') + JSON.stringify([d.job, svc.json, list.json]);
  assert.ok(gh.tokens.size >= 2);
  for (const t of gh.tokens.keys()) {
    assert.ok(!everything.includes(t), 'no installation token in any API answer, log or job payload');
    assert.ok(!stderr.includes(t), "no installation token in wharf's own log");
  }
  assert.ok(!everything.includes(GIT_PASSWORD) && !stderr.includes('BEGIN RSA PRIVATE KEY'));
  assert.match(d.log, /\[credential\]/);
  const bytes = await databaseBytes(s);
  for (const t of gh.tokens.keys()) assert.ok(!bytes.includes(t), 'the token is not stored (job payload, log)');
});

test('recorded GitHub: a suspended installation fails the deployment with layer github_app and the fix', async () => {
  installations[100].suspended = true;
  try {
    const before = node.dokkuCalls().length;
    const d = await deploy();
    assert.equal(d.end.status, 'failed', d.log);
    assert.equal(d.end.layer, 'github_app');
    assert.match(d.end.error, /suspended/);
    assert.match(d.end.fix, /[Uu]nsuspend/);
    assert.equal(d.deployment.error_layer, 'github_app');
    assert.match(d.deployment.error_fix, /Unsuspend/);
    assert.equal(node.dokkuCalls().length, before, 'nothing ran on the node');
  } finally {
    installations[100].suspended = false;
  }
});

test('recorded GitHub: a repository outside the allow-list fails the deployment with layer github_app and the fix', async () => {
  const repos = installations[100].repos;
  installations[100].repos = [{ full_name: 'acme/other', default_branch: 'main', branches: { main: repo.shas.main } }];
  try {
    const d = await deploy();
    assert.equal(d.end.status, 'failed', d.log);
    assert.equal(d.end.layer, 'github_app');
    assert.match(d.end.error, /acme\/api is not in the installation's repository allow-list/);
    assert.match(d.end.fix, /Repository access: add acme\/api/);
    assert.match(d.deployment.error_fix, /Repository access/);
  } finally {
    installations[100].repos = repos;
  }
  // And back on the list, it deploys again.
  const ok = await deploy();
  assert.equal(ok.end.status, 'succeeded', ok.log);
});

test('recorded GitHub: a verified push webhook deploys the service tracking that branch; a tag, another branch or repository, or a bad signature deploys nothing', async () => {
  const hook = (payload, { event = 'push', secret = 'gh-hook-secret-1' } = {}) => {
    const body = JSON.stringify(payload);
    return fetch(`${s.url}/api/v1/webhooks/git/${provider.id}`, { method: 'POST', body, headers: {
      'content-type': 'application/json', 'x-github-event': event, 'x-github-delivery': crypto.randomUUID(),
      'user-agent': 'GitHub-Hookshot/5f1c2a7',
      'x-hub-signature-256': `sha256=${crypto.createHmac('sha256', secret).update(body).digest('hex')}` } });
  };
  const list = async () => (await call('GET', `${O}/applications/${application.id}/services/${web.id}/deployments?limit=200`)).json.items;
  const n0 = (await list()).length;
  const sha = repo.shas.main;
  const push = (ref, full_name = 'acme/api') => ({ ref, before: '0'.repeat(40), after: sha, repository: { full_name } });
  for (const [what, r] of [
    ['a tag push', await hook(push('refs/tags/main'))],
    ['a tag push (v1)', await hook(push('refs/tags/v1'))],
    ['another branch', await hook(push('refs/heads/develop'))],
    ['another repository', await hook(push('refs/heads/main', 'acme/secret'))],
    ['a ping', await hook({ zen: 'Keep it logically awesome.', hook_id: 1 }, { event: 'ping' })],
  ]) assert.ok(r.status < 300, `${what}: ${r.status}`);
  const forged = await hook(push('refs/heads/main'), { secret: 'not-the-secret' });
  assert.ok(forged.status >= 400, `a bad signature is refused (${forged.status})`);
  assert.equal((await list()).length, n0, 'a tag, another branch or repository, a ping or a forged delivery deploys nothing');

  const ok = await hook(push('refs/heads/main'));
  assert.ok(ok.status < 300, await ok.text());
  const items = await list();
  assert.equal(items.length, n0 + 1, 'exactly one deployment: the service tracking main');
  assert.equal(items[0].trigger, 'push');
  assert.equal(items[0].commit_sha, sha);
  assert.equal(items[0].created_by, null);
  const f = await follow(items[0].id);
  assert.equal(f.end.status, 'succeeded', f.log);
  assert.match(f.log, new RegExp(`trigger push, commit ${sha}`));
  assert.equal(node.dokkuApp('shop-web').rev, sha);
});
