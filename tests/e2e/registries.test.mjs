// Docker registries against Debian's real docker-registry on 127.0.0.1: htpasswd (Basic) auth, and
// token (Bearer) auth with a test token server issuing real RS256 JWTs the registry verifies.
// Images are pushed through the registry HTTP API. The password never comes back.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWharf, api, signup, memberWithRole, databaseBytes } from './lib/harness.mjs';
import { startRegistry } from './lib/registry.mjs';
import { cliUser } from './lib/cli.mjs';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const PASS = 'registry-pass-1234';
const TOKEN_PASS = 'token-pass-5678';
let s, basic, bearer, ada, digest, bearerDigest;
const seen = [];  // every response body, checked for the passwords at the end
const O = () => `/api/v1/orgs/${ada.org.slug}`;
async function call(method, p, body, token = ada.token) {
  const r = await api(s.url, method, p, { token, body });
  seen.push(r.text);
  return r;
}
const v2Requests = (reg) => (reg.logs().match(/"(GET|HEAD) \/v2\//g) || []).length;

before(async () => {
  basic = await startRegistry({ mode: 'htpasswd', users: { alice: PASS } });
  bearer = await startRegistry({ mode: 'token', users: { bob: TOKEN_PASS, pusher: 'pusher-pass-9012' },
    grants: (user, repo) => (user === 'bob' && repo.startsWith('secret/') ? [] : ['pull', 'push']) });
  digest = await basic.pushImage('team/app', 'v1');
  bearerDigest = await bearer.pushImage('team/api', '2.0', 'pusher');
  await bearer.pushImage('secret/app', '1', 'pusher');
  s = await startWharf();
  ada = await signup(s.url, 'ada');
});
after(async () => { await s?.stop(); s?.cleanup(); await basic?.stop(); await bearer?.stop(); });

let reg;
test('create: the password is write-only, hosts are validated, a duplicate names the existing record', async () => {
  const r = await call('POST', `${O()}/docker-registries`, { name: 'local', host: basic.host, username: 'alice', password: PASS });
  assert.equal(r.status, 201, r.text);
  reg = r.json;
  assert.deepEqual(reg.password, { set: true });
  assert.equal(reg.host, basic.host);
  assert.equal(reg.namespace, null);
  assert.equal(reg.verified, false);
  assert.equal(reg.last_verified_at, null);
  assert.equal(reg.last_error, null);
  const dup = await call('POST', `${O()}/docker-registries`, { name: 'again', host: basic.host, username: 'alice', password: 'x' });
  assert.equal(dup.status, 409);
  assert.match(dup.json.error.message, /already connected .*'local' \(reg_/);
  assert.equal(dup.json.error.details.existing.id, reg.id);
  for (const host of ['docker.io', 'ghcr.io', 'quay.io', 'registry.digitalocean.com', 'registry.example.com:5000']) {
    const ok = await call('POST', `${O()}/docker-registries`, { name: `r-${host}`, host, username: 'u', password: 'p' });
    assert.equal(ok.status, 201, `${host}: ${ok.text}`);
    assert.equal((await call('DELETE', `${O()}/docker-registries/${ok.json.id}`)).status, 204);
  }
  const hub = await call('POST', `${O()}/docker-registries`, { name: 'hub', host: 'index.docker.io', username: 'u', password: 'p' });
  assert.equal(hub.json.host, 'docker.io', 'Docker Hub aliases are folded into docker.io');
  await call('DELETE', `${O()}/docker-registries/${hub.json.id}`);
  for (const [body, field] of [
    [{ name: 'x', host: 'https://ghcr.io', username: 'u', password: 'p' }, 'host'],
    [{ name: 'x', host: 'ghcr.io/owner', username: 'u', password: 'p' }, 'host'],
    [{ name: 'x', host: 'ghcr.io', username: 'u' }, 'password'],
    [{ name: 'x', host: 'ghcr.io', username: 'u', password: 'p', namespace: 'Bad/NS' }, 'namespace'],
    [{ name: 'x', host: 'ghcr.io', username: 'u', password: 'p', extra: 1 }, 'extra'],
  ]) {
    const bad = await call('POST', `${O()}/docker-registries`, body);
    assert.equal(bad.status, 400, JSON.stringify(body));
    assert.ok(bad.json.error.details.fields[field], `${field}: ${bad.text}`);
  }
  const list = await call('GET', `${O()}/docker-registries`);
  assert.deepEqual(list.json.items.map((x) => x.id), [reg.id]);
});

test('a good credential verifies: /v2/ challenge, Basic auth, manifest HEAD; the row records it', async () => {
  const r = await call('POST', `${O()}/docker-registries/${reg.id}/verify`, { image: `${basic.host}/team/app:v1` });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.ok, true, r.text);
  assert.deepEqual(r.json.checks.map((c) => [c.name, c.status]),
    [['host_match', 'passed'], ['challenge', 'passed'], ['auth', 'passed'], ['manifest', 'passed']]);
  assert.equal(r.json.auth, 'basic');
  assert.equal(r.json.digest, digest, 'the digest the registry holds for the pushed manifest');
  const row = (await call('GET', `${O()}/docker-registries/${reg.id}`)).json;
  assert.equal(row.verified, true);
  assert.ok(row.last_verified_at);
  assert.equal(row.last_error, null);
  const byDigest = await call('POST', `${O()}/docker-registries/${reg.id}/verify`, { image: `${basic.host}/team/app@${digest}` });
  assert.equal(byDigest.json.ok, true, byDigest.text);
});

test('a wrong password is a 401 mapped to layer registry with the hint, and stored as last_error', async () => {
  assert.equal((await call('PATCH', `${O()}/docker-registries/${reg.id}`, { password: 'wrong-password-000' })).status, 200);
  const r = await call('POST', `${O()}/docker-registries/${reg.id}/verify`, { image: `${basic.host}/team/app:v1` });
  assert.equal(r.json.ok, false);
  const auth = r.json.checks.find((c) => c.name === 'auth');
  assert.equal(auth.status, 'failed');
  assert.equal(auth.layer, 'registry');
  assert.match(auth.message, /unauthorized.*wrong username or token, or the token has expired/);
  assert.match(auth.fix, /access token with pull/);
  assert.equal(r.json.checks.find((c) => c.name === 'manifest').status, 'skipped');
  const row = (await call('GET', `${O()}/docker-registries/${reg.id}`)).json;
  assert.equal(row.verified, false);
  assert.equal(row.last_error.layer, 'registry');
  assert.equal(row.last_error.check, 'auth');
  // diagnose runs the same checks for the pasted "unauthorized on image pull" and leads with the failure.
  const d = await call('POST', `${O()}/diagnose`, { docker_registry_id: reg.id, image: `${basic.host}/team/app:v1`,
    error_text: `Error response from daemon: unauthorized: authentication required (pull ${basic.host}/team/app:v1)` });
  assert.equal(d.status, 200, d.text);
  assert.equal(d.json.layer, 'registry');
  assert.equal(d.json.subject, 'docker_registry');
  assert.equal(d.json.checklist[0].name, 'auth');
  assert.equal(d.json.checklist[0].status, 'failed');
  assert.ok(!d.text.includes('wrong-password-000'));
  // The same from the CLI: `wharf doctor --registry NAME --image IMAGE` exits 1 and shows the fix.
  const cli = cliUser('ada-cli');
  const env = { WHARF_URL: s.url, WHARF_TOKEN: ada.token, WHARF_ORG: ada.org.slug };
  const doc = await cli.run(['doctor', '--registry', reg.name, '--image', `${basic.host}/team/app:v1`], { env });
  assert.equal(doc.code, 1, doc.stdout + doc.stderr);
  assert.match(doc.stdout, /registry/);
  assert.match(doc.stdout, /auth/);
  assert.ok(!(doc.stdout + doc.stderr).includes('wrong-password-000'));
  assert.equal((await call('PATCH', `${O()}/docker-registries/${reg.id}`, { password: PASS })).status, 200);
});

test('a missing tag or repository is "not found" in layer registry', async () => {
  for (const image of [`${basic.host}/team/app:nope`, `${basic.host}/team/missing:v1`]) {
    const r = await call('POST', `${O()}/docker-registries/${reg.id}/verify`, { image });
    const m = r.json.checks.find((c) => c.name === 'manifest');
    assert.equal(m.status, 'failed', r.text);
    assert.equal(m.layer, 'registry');
    assert.match(m.message, /not found: .* does not exist \(HTTP 404\)/);
  }
});

test('a host mismatch is flagged before any request; docker.io names are normalised', async () => {
  const before = v2Requests(basic);
  assert.ok(before > 0, 'the access log counts the earlier verifies (so the count below can fail)');
  for (const [image, on] of [['ghcr.io/team/app:v1', 'ghcr.io'], ['nginx', 'docker.io']]) {
    const r = await call('POST', `${O()}/docker-registries/${reg.id}/verify`, { image });
    assert.equal(r.status, 200);
    assert.equal(r.json.ok, false);
    assert.deepEqual(r.json.checks.map((c) => c.name), ['host_match']);
    assert.equal(r.json.checks[0].layer, 'registry');
    assert.match(r.json.checks[0].message, new RegExp(`is on ${on}, but this credential is for ${basic.host.replace(/\./g, '\\.')}`));
    if (on === 'docker.io') assert.equal(r.json.image, 'docker.io/library/nginx:latest');
  }
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(v2Requests(basic), before, 'the registry saw no request');
});

test('a malformed image reference is a 400 naming the field and what is wrong', async () => {
  for (const [image, says] of [[`${basic.host}/Team/App:v1`, /must be lowercase/], ['nginx@sha256:abc', /digest/],
    ['nginx:', /no tag/], [undefined, /is required/]]) {
    const r = await call('POST', `${O()}/docker-registries/${reg.id}/verify`, image === undefined ? {} : { image });
    assert.equal(r.status, 400, r.text);
    assert.match(r.json.error.details.fields.image, says);
  }
});

test('test on an unsaved body runs the same checks and saves nothing', async () => {
  const good = await call('POST', `${O()}/docker-registries/test`,
    { host: basic.host, username: 'alice', password: PASS, image: `${basic.host}/team/app:v1` });
  assert.equal(good.json.ok, true, good.text);
  const bad = await call('POST', `${O()}/docker-registries/test`,
    { host: basic.host, username: 'mallory', password: 'nope', image: `${basic.host}/team/app:v1` });
  assert.equal(bad.json.checks.find((c) => c.name === 'auth').layer, 'registry');
  assert.equal((await call('GET', `${O()}/docker-registries`)).json.items.length, 1);
});

test('Bearer token flow: the realm issues a JWT for repository:<name>:pull that the registry accepts', async () => {
  const created = await call('POST', `${O()}/docker-registries`, { name: 'tok', host: bearer.host, username: 'bob', password: TOKEN_PASS });
  assert.equal(created.status, 201, created.text);
  const id = created.json.id;
  const before = bearer.token.requests.length;
  const r = await call('POST', `${O()}/docker-registries/${id}/verify`, { image: `${bearer.host}/team/api:2.0` });
  assert.equal(r.json.ok, true, r.text);
  assert.equal(r.json.auth, 'bearer');
  assert.equal(r.json.digest, bearerDigest);
  const asked = bearer.token.requests.slice(before);
  assert.deepEqual(asked.map((q) => [q.service, q.scope, q.user]), [['wharf-test-registry', 'repository:team/api:pull', 'bob']]);
  // A repository the token may not pull: the registry answers 401 insufficient_scope.
  const denied = await call('POST', `${O()}/docker-registries/${id}/verify`, { image: `${bearer.host}/secret/app:1` });
  const m = denied.json.checks.find((c) => c.name === 'manifest');
  assert.equal(m.layer, 'registry');
  assert.match(m.message, /may not pull secret\/app/);
  // A wrong password: the token service refuses it.
  await call('PATCH', `${O()}/docker-registries/${id}`, { password: 'wrong' });
  const wrong = await call('POST', `${O()}/docker-registries/${id}/verify`, { image: `${bearer.host}/team/api:2.0` });
  const a = wrong.json.checks.find((c) => c.name === 'auth');
  assert.equal(a.layer, 'registry');
  assert.match(a.message, /wrong username or token/);
});

test('a member who may only read registries sees password {set} and cannot verify', async () => {
  const viewer = await memberWithRole(s.url, ada, 'viewer', { dockerRegistries: { read: true } });
  const got = await call('GET', `${O()}/docker-registries/${reg.id}`, undefined, viewer.token);
  assert.equal(got.status, 200);
  assert.deepEqual(got.json.password, { set: true });
  const v = await call('POST', `${O()}/docker-registries/${reg.id}/verify`, { image: `${basic.host}/team/app:v1` }, viewer.token);
  assert.equal(v.status, 403);
  assert.equal(v.json.error.details.permission, 'dockerRegistries.update');
});

test('create_limit and read_scope own apply to registries like every collection', async () => {
  const m = await memberWithRole(s.url, ada, 'limited', { dockerRegistries: { create: true, read: true, create_limit: 1, read_scope: 'own' } });
  const one = await call('POST', `${O()}/docker-registries`, { name: 'mine', host: 'quay.io', username: 'm', password: 'p' }, m.token);
  assert.equal(one.status, 201, one.text);
  const two = await call('POST', `${O()}/docker-registries`, { name: 'mine2', host: 'quay.io', username: 'm2', password: 'p' }, m.token);
  assert.equal(two.status, 403);
  assert.equal(two.json.error.code, 'limit_reached');
  assert.equal(two.json.error.details.permission, 'dockerRegistries.create');
  const list = await call('GET', `${O()}/docker-registries`, undefined, m.token);
  assert.deepEqual(list.json.items.map((x) => x.name), ['mine']);
  assert.equal((await call('GET', `${O()}/docker-registries/${reg.id}`, undefined, m.token)).status, 404);
  await call('DELETE', `${O()}/docker-registries/${one.json.id}`);
});

test('without --allow-private-targets a loopback registry host is refused', async () => {
  const strict = await startWharf({ strictTargets: true });
  try {
    const u = await signup(strict.url, 'strict');
    for (const host of [basic.host, `localhost:${basic.host.split(':')[1]}`]) {
      const r = await api(strict.url, 'POST', `/api/v1/orgs/${u.org.slug}/docker-registries`,
        { token: u.token, body: { name: 'l', host, username: 'alice', password: PASS } });
      assert.equal(r.status, 400);
      assert.match(r.json.error.details.fields.host, /--allow-private-targets/);
    }
  } finally { await strict.stop(); strict.cleanup(); }
});

test('the passwords never appear in any response, the wharf log or the database', async () => {
  const logFile = readFileSync(path.join(s.dataDir, 'wharf.log'), 'utf8');
  // The SQLite file (and its WAL) or a PostgreSQL dump, whichever the server runs on.
  const db = Buffer.from(await databaseBytes(s), 'latin1');
  const wal = Buffer.alloc(0);
  assert.ok(logFile.includes('dockerRegistries') || logFile.includes('docker-registries'), 'the log file is the one in use');
  for (const pw of [PASS, TOKEN_PASS, 'wrong-password-000', Buffer.from(`alice:${PASS}`).toString('base64')]) {
    for (const body of seen) assert.ok(!body.includes(pw), `a response contains ${pw}`);
    assert.ok(!s.logs.includes(pw), `the wharf output contains ${pw}`);
    assert.ok(!logFile.includes(pw), `wharf.log contains ${pw}`);
    assert.ok(!db.includes(pw) && !wal.includes(pw), `the database holds ${pw} in plain text`);
  }
  assert.ok(seen.length > 20);
});
