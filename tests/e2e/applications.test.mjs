// Applications, services, variables, domains and templates, driven through the API as a new user
// would: an application on a real worker node (sshd test host), a git service and a postgres
// service, the database URI referenced from the app's variables next to a generated secret, the
// control plane resolving them. Then a Developer role scoped to another application is refused at
// each step with the missing permission named. Image services check the registry credential's host
// before any network call and pull access against Debian's real docker-registry. No secret value
// is ever in a response (unless revealed), the log or the database file.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startWharf, api, signup, memberWithRole, databaseBytes } from './lib/harness.mjs';
import { startSshd, NODE_USER } from './lib/sshd.mjs';
import { startRegistry } from './lib/registry.mjs';

const REG_PASS = 'registry-pass-apps-4321';
let s, node, reg, ada, server, app, web, db;
const O = () => `/api/v1/orgs/${ada.org.slug}`;
const seen = [];  // every response body, to check that no secret leaked into one
async function call(method, p, body, token = ada.token) {
  const r = await api(s.url, method, p, { token, body });
  seen.push({ p, text: r.text });
  return r;
}
const revealed = [];  // secret values we learned through the explicit reveal calls

before(async () => {
  node = await startSshd();
  reg = await startRegistry({ mode: 'htpasswd', users: { alice: REG_PASS } });
  await reg.pushImage('team/app', 'v1');
  s = await startWharf({ args: ['--node-dns-probe', 'localhost', '--min-disk-free-mb', '100', '--connect-timeout-ms', '1500'] });
  ada = await signup(s.url, 'ada');
  const k = await call('POST', `${O()}/ssh-keys`, { name: 'deploy', generate: { type: 'ed25519' } });
  assert.equal(k.status, 201, k.text);
  const pub = await call('GET', `${O()}/ssh-keys/${k.json.id}/public-key`);
  node.authorize(NODE_USER, pub.text);
  const srv = await call('POST', `${O()}/servers`, { name: 'node-1', host: '127.0.0.1', port: node.port, username: NODE_USER, ssh_key_id: k.json.id });
  assert.equal(srv.status, 201, srv.text);
  server = srv.json;
});
after(async () => { await s?.stop(); s?.cleanup(); await node?.cleanup(); await reg?.stop(); });

function field(r, name) {
  assert.equal(r.status, 400, r.text);
  assert.equal(r.json.error.code, 'validation_failed');
  const f = r.json.error.details.fields[name];
  assert.ok(f, `expected field ${name}: ${r.text}`);
  return f;
}

test('a new user creates an application on the node; bad input names the field and the fix', async () => {
  const r = await call('POST', `${O()}/applications`, { name: 'shop', description: 'the shop', server_id: server.id });
  assert.equal(r.status, 201, r.text);
  app = r.json;
  for (const k of ['id', 'name', 'description', 'server_id', 'created_at', 'updated_at', 'created_by']) assert.ok(k in app, k);
  assert.match(field(await call('POST', `${O()}/applications`, { name: 'x' }), 'server_id'), /required.*worker node/);
  assert.match(field(await call('POST', `${O()}/applications`, { name: 'x', server_id: 'srv_nope' }), 'server_id'), /not a server of this organisation/);
  field(await call('POST', `${O()}/applications`, { server_id: server.id }), 'name');
  field(await call('POST', `${O()}/applications`, { name: 'x', server_id: server.id, colour: 'red' }), 'colour');
  const dup = await call('POST', `${O()}/applications`, { name: 'shop', server_id: server.id });
  assert.equal(dup.status, 409);
  // /projects is the legacy view of the same rows.
  const legacy = await call('GET', `${O()}/projects`);
  assert.deepEqual(legacy.json.items.map((a) => a.id), [app.id]);
  assert.equal((await call('GET', `${O()}/projects/${app.id}`)).json.name, 'shop');
});

test('a git service and a postgres service; the database credentials are generated and never shown', async () => {
  const w = await call('POST', `${O()}/applications/${app.id}/services`, {
    name: 'web', type: 'app', repository: 'https://git.example.com/acme/web.git', branch: 'main', port: 5000 });
  assert.equal(w.status, 201, w.text);
  web = w.json;
  assert.equal(web.type, 'app');
  assert.equal(web.repository, 'https://git.example.com/acme/web.git');
  assert.equal(web.branch, 'main');
  assert.equal(web.checks.find((c) => c.name === 'git_access').status, 'skipped');
  const d = await call('POST', `${O()}/applications/${app.id}/services`, { name: 'db', type: 'database', database: { engine: 'postgres', version: '16' } });
  assert.equal(d.status, 201, d.text);
  db = d.json;
  assert.deepEqual(db.database, { engine: 'postgres', version: '16' });
  assert.deepEqual(db.credentials, { set: true });
  assert.ok(!/password/i.test(JSON.stringify(db).replace('"credentials"', '')), d.text);
  // Bad input: each names its field and the fix.
  const svc = (b) => call('POST', `${O()}/applications/${app.id}/services`, b);
  assert.match(field(await svc({ name: 'x1', type: 'app', repository: 'https://h.example.com/a/b', branch: 'a..b' }), 'branch'), /cannot contain '\.\.'/);
  assert.match(field(await svc({ name: 'x1', type: 'app', repository: 'https://u:tok@h.example.com/a/b', branch: 'main' }), 'repository'), /git_provider_id/);
  assert.match(field(await svc({ name: 'x1', type: 'app', repository: 'acme/web', branch: 'main' }), 'git_provider_id'), /required/);
  assert.match(field(await svc({ name: 'x1', type: 'app', repository: 'acme/web', branch: 'main', git_provider_id: 'gp_nope' }), 'git_provider_id'), /not a git provider/);
  assert.match(field(await svc({ name: 'x1', type: 'database', database: { engine: 'oracle' } }), 'database.engine'), /postgres, mysql, mariadb, mongo or redis/);
  assert.match(field(await svc({ name: 'x1', type: 'database', database: { engine: 'postgres', version: '9.6' } }), 'database.version'), /supported: 12/);
  assert.match(field(await svc({ name: 'Web!', type: 'database', database: { engine: 'redis' } }), 'name'), /lowercase/);
  field(await svc({ name: 'x1', type: 'ftp' }), 'type');
  field(await svc({ name: 'x1', type: 'database', database: { engine: 'redis' }, image: 'nginx' }), 'image');
  const dup = await svc({ name: 'db', type: 'database', database: { engine: 'redis' } });
  assert.equal(dup.status, 409);
  // Reveal is explicit, needs services.update, and is audited.
  const creds = await call('POST', `${O()}/services/${db.id}/reveal-credentials`);
  assert.equal(creds.status, 200, creds.text);
  // As the node has it (docs/applications.md, Deployments): Dokku app shop-db, Dokku's user and database.
  assert.equal(creds.json.host, 'dokku-postgres-shop-db');
  assert.equal(creds.json.user, 'postgres');
  assert.equal(creds.json.port, 5432);
  assert.match(creds.json.password, /^[A-Za-z0-9]{32}$/);
  // The database is named as the Dokku service, unchanged (the plugin's rule): shop-db.
  assert.equal(creds.json.database_url, `postgres://${creds.json.user}:${creds.json.password}@dokku-postgres-shop-db:5432/shop-db`);
  revealed.push(creds.json.password);
  assert.equal(field(await call('POST', `${O()}/services/${web.id}/reveal-credentials`), 'service').includes('only database'), true);
});

test('variables: the database URI and a generated secret, resolved by the control plane and kept across edits', async () => {
  const dom = await call('POST', `${O()}/services/${web.id}/domains`, { hostname: 'Shop.Example.com' });
  assert.equal(dom.status, 201, dom.text);
  assert.deepEqual(dom.json.items, [{ hostname: 'shop.example.com', letsencrypt: true, default: true }]);
  const vars = [
    { key: 'DATABASE_URL', value: '{{ db.DATABASE_URL }}' },
    { key: 'SESSION_SECRET', value: '{{ secret(48, "abcdef0123456789") }}' },
    { key: 'DB_HOST_PORT', value: '{{ db.HOST }}:{{ db.PORT }}' },
    { key: 'PUBLIC_URL', value: 'https://{{ web.DOMAIN }}/?user={{ db.USER }}&k={{ secret(8) }}' },
    { key: 'NODE_ENV', value: 'production' },
  ];
  const put = await call('PUT', `${O()}/services/${web.id}/variables`, { variables: vars });
  assert.equal(put.status, 200, put.text);
  assert.deepEqual(put.json.items.map((v) => v.value), vars.map((v) => v.value), 'templates as written');
  assert.deepEqual(put.json.items[1].secrets, [{ length: 48, set: true }]);
  assert.deepEqual(put.json.items[2].references, ['db.HOST', 'db.PORT']);
  assert.ok(put.json.items.every((v) => !('resolved' in v)));
  const plain = await call('GET', `${O()}/services/${web.id}/variables`);
  assert.ok(plain.json.items.every((v) => !('resolved' in v)));

  const rev = await call('GET', `${O()}/services/${web.id}/variables?reveal=true`);
  assert.equal(rev.status, 200, rev.text);
  const r = Object.fromEntries(rev.json.items.map((v) => [v.key, v.resolved]));
  const creds = (await call('POST', `${O()}/services/${db.id}/reveal-credentials`)).json;
  assert.equal(r.DATABASE_URL, creds.database_url);
  assert.match(r.SESSION_SECRET, /^[a-f0-9]{48}$/);
  assert.equal(r.DB_HOST_PORT, 'dokku-postgres-shop-db:5432');
  assert.match(r.PUBLIC_URL, new RegExp(`^https://shop\\.example\\.com/\\?user=${creds.user}&k=[A-Za-z0-9]{8}$`));
  assert.equal(r.NODE_ENV, 'production');
  revealed.push(r.SESSION_SECRET);

  // Editing other keys (and the text around a secret) keeps the generated value; removed keys are
  // recorded to be unset on the node.
  const edited = vars.filter((v) => v.key !== 'DB_HOST_PORT').map((v) => (v.key === 'NODE_ENV' ? { ...v, value: 'staging' } : v));
  edited[1] = { key: 'SESSION_SECRET', value: 's-{{ secret(48, "abcdef0123456789") }}' };
  assert.equal((await call('PUT', `${O()}/services/${web.id}/variables`, { variables: edited })).status, 200);
  const again = Object.fromEntries((await call('GET', `${O()}/services/${web.id}/variables?reveal=true`)).json.items.map((v) => [v.key, v.resolved]));
  assert.equal(again.SESSION_SECRET, `s-${r.SESSION_SECRET}`);
  assert.equal(again.NODE_ENV, 'staging');
  assert.deepEqual((await call('GET', `${O()}/services/${web.id}`)).json.unset_keys, ['DB_HOST_PORT']);
  const one = await call('PUT', `${O()}/services/${web.id}/variables/DB_HOST_PORT`, { value: '{{ db.HOST }}' });
  assert.equal(one.status, 200, one.text);
  assert.deepEqual((await call('GET', `${O()}/services/${web.id}`)).json.unset_keys, [], 'set again: no longer unset');
  assert.equal((await call('DELETE', `${O()}/services/${web.id}/variables/DB_HOST_PORT`)).status, 200);
  // Explicit regenerate.
  const regen = await call('POST', `${O()}/services/${web.id}/variables/regenerate`, { keys: ['SESSION_SECRET'] });
  assert.equal(regen.status, 200, regen.text);
  const after = Object.fromEntries((await call('GET', `${O()}/services/${web.id}/variables?reveal=true`)).json.items.map((v) => [v.key, v.resolved]));
  assert.notEqual(after.SESSION_SECRET, again.SESSION_SECRET);
  assert.equal(after.PUBLIC_URL.slice(0, -8), again.PUBLIC_URL.slice(0, -8));
  assert.equal(after.PUBLIC_URL, again.PUBLIC_URL, 'other keys keep their secret');
  revealed.push(after.SESSION_SECRET.slice(2));

  // Precise 400s naming the variable.
  const bad = (variables) => call('PUT', `${O()}/services/${web.id}/variables`, { variables });
  assert.match(field(await bad([{ key: 'A', value: '{{ web.B }}' }, { key: 'B', value: 'x{{ web.A }}' }]), 'variables.A'), /reference cycle: web\.A → web\.B → web\.A/);
  assert.match(field(await bad([{ key: 'X', value: '{{ cache.URL }}' }]), 'variables.X'), /service 'cache', which is not in this application \(services: web, db\)/);
  assert.match(field(await bad([{ key: 'Y', value: '{{ db.DATABASE_URI }}' }]), 'variables.Y'), /variable DATABASE_URI, which service 'db' does not have \(it has: .*DATABASE_URL/);
  assert.match(field(await bad([{ key: 'Z', value: 'pre {{ db.URL' }]), 'variables.Z'), /bad syntax at character 5: .*not closed/);
  assert.match(field(await bad([{ key: 'S', value: '{{ secret(8, "aab") }}' }]), 'variables.S'), /repeats 'a'/);
  assert.match(field(await bad([{ key: '1BAD', value: 'x' }]), 'variables[0].key'), /POSIX|start with a letter/);
  field(await bad([{ key: 'K', value: 'a' }, { key: 'K', value: 'b' }]), 'variables[1].key');
  // A cycle through another service, built one save at a time, is refused on the save that closes it.
  assert.equal((await call('PUT', `${O()}/services/${db.id}/variables/BACK`, { value: 'x' })).status, 200);
  assert.equal((await call('PUT', `${O()}/services/${web.id}/variables/LOOP`, { value: '{{ db.BACK }}' })).status, 200);
  const loop = await call('PUT', `${O()}/services/${db.id}/variables/BACK`, { value: '{{ web.LOOP }}' });
  assert.match(field(loop, 'variables.BACK'), /db\.BACK → web\.LOOP → db\.BACK/);
  // Databases have no public domain.
  assert.match(field(await call('POST', `${O()}/services/${db.id}/domains`, { hostname: 'db.example.com' }), 'hostname'), /database/);
  field(await call('POST', `${O()}/services/${web.id}/domains`, { hostname: 'localhost' }), 'hostname');
  // Domains: add, default, remove.
  assert.equal((await call('POST', `${O()}/services/${web.id}/domains`, { hostname: 'www.example.com', letsencrypt: false })).status, 201);
  const def = await call('POST', `${O()}/services/${web.id}/domains/www.example.com/default`);
  assert.deepEqual(def.json.items.map((d) => [d.hostname, d.default]), [['shop.example.com', false], ['www.example.com', true]]);
  const rm = await call('DELETE', `${O()}/services/${web.id}/domains/www.example.com`);
  assert.deepEqual(rm.json.items.map((d) => [d.hostname, d.default]), [['shop.example.com', true]]);
  // Deleting a service another variable refers to is refused.
  assert.equal((await call('DELETE', `${O()}/services/${db.id}`)).status, 409);
  // Every reveal is audited.
  const audit = await call('GET', `${O()}/audit?limit=200`);
  const actions = audit.json.items.map((e) => e.action);
  assert.ok(actions.includes('services.reveal_credentials'));
  assert.ok(actions.includes('services.reveal_variables'));
});

test('image services: the credential host is matched before any network call, then pull access is checked', async () => {
  const cred = await call('POST', `${O()}/docker-registries`, { name: 'local', host: reg.host, username: 'alice', password: REG_PASS });
  assert.equal(cred.status, 201, cred.text);
  const before = (reg.logs().match(/"(GET|HEAD) \/v2\//g) || []).length;
  const wrongHost = await call('POST', `${O()}/applications/${app.id}/services`, { name: 'api', type: 'docker', image: 'ghcr.io/acme/api:1', docker_registry_id: cred.json.id });
  assert.match(field(wrongHost, 'docker_registry_id'), /Wrong registry host.*ghcr\.io/);
  assert.equal(wrongHost.json.error.layer, 'registry');
  assert.equal((reg.logs().match(/"(GET|HEAD) \/v2\//g) || []).length, before, 'nothing was sent to the registry');
  const missing = await call('POST', `${O()}/applications/${app.id}/services`, { name: 'api', type: 'docker', image: `${reg.host}/team/nope:1`, docker_registry_id: cred.json.id });
  field(missing, 'image');
  assert.equal(missing.json.error.layer, 'registry');
  const ok = await call('POST', `${O()}/applications/${app.id}/services`, { type: 'image', name: 'api', image: `${reg.host}/team/app:v1`, docker_registry_id: cred.json.id, ports: ['http:80:8080'] });
  assert.equal(ok.status, 201, ok.text);
  assert.equal(ok.json.type, 'docker');
  assert.equal(ok.json.image, `${reg.host}/team/app:v1`);
  assert.deepEqual(ok.json.ports, ['http:80:8080']);
  assert.ok(ok.json.checks.some((c) => c.name === 'host_match' && c.status === 'passed'), ok.text);
  assert.ok(ok.json.checks.every((c) => c.status !== 'failed'), ok.text);
  field(await call('PATCH', `${O()}/services/${ok.json.id}`, { ports: ['http:80'] }), 'ports[0]');
  field(await call('PATCH', `${O()}/services/${ok.json.id}`, { type: 'database' }), 'type');
  assert.equal((await call('DELETE', `${O()}/services/${ok.json.id}`)).status, 204);
});

test('templates keep settings and references, never a secret; deploying renames services and rewrites references', async () => {
  const t = await call('POST', `${O()}/templates`, { name: 'web + postgres', application_id: app.id });
  assert.equal(t.status, 201, t.text);
  assert.deepEqual(t.json.services.map((x) => x.name), ['web', 'db']);
  const tv = Object.fromEntries(t.json.services[0].variables.map((v) => [v.key, v.value]));
  assert.equal(tv.DATABASE_URL, '{{ db.DATABASE_URL }}');
  for (const secret of revealed) assert.ok(!t.text.includes(secret), 'no secret value in a template');
  assert.ok(!t.text.includes('shop.example.com'), 'domains stay with the application');
  // Into the same application: names are taken, so web-2 and db-2, with the reference rewritten.
  const same = await call('POST', `${O()}/templates/${t.json.id}/deploy`, { application_id: app.id });
  assert.equal(same.status, 201, same.text);
  assert.deepEqual(same.json.renamed, { web: 'web-2', db: 'db-2' });
  const web2 = same.json.services.find((x) => x.name === 'web-2');
  assert.equal(web2.variables.find((v) => v.key === 'DATABASE_URL').value, '{{ db-2.DATABASE_URL }}');
  assert.match(web2.variables.find((v) => v.key === 'PUBLIC_URL').value, /^https:\/\/\{\{ web-2\.DOMAIN \}\}\/\?user=\{\{ db-2\.USER \}\}/);
  // {{ web-2.DOMAIN }} validates, but resolves only once web-2 has a domain.
  const pending = await call('GET', `${O()}/services/${web2.id}/variables?reveal=true`);
  assert.match(field(pending, 'variables.PUBLIC_URL'), /cannot be resolved yet: service 'web-2' has no domain yet/);
  assert.equal((await call('POST', `${O()}/services/${web2.id}/domains`, { hostname: 'copy.example.com' })).status, 201);
  const r2 = Object.fromEntries((await call('GET', `${O()}/services/${web2.id}/variables?reveal=true`)).json.items.map((v) => [v.key, v.resolved]));
  assert.match(r2.DATABASE_URL, /@dokku-postgres-shop-db-2:5432\/shop-db-2$/);
  assert.match(r2.PUBLIC_URL, /^https:\/\/copy\.example\.com\//);
  assert.ok(!revealed.includes(r2.SESSION_SECRET.slice(2)), 'fresh secrets');
  // Into a new application: created in the same transaction, names kept.
  const fresh = await call('POST', `${O()}/templates/${t.json.id}/deploy`, { application: { name: 'shop-staging', server_id: server.id } });
  assert.equal(fresh.status, 201, fresh.text);
  assert.equal(fresh.json.created_application, true);
  assert.deepEqual(fresh.json.services.map((x) => x.name), ['web', 'db']);
  assert.deepEqual(fresh.json.renamed, {});
  field(await call('POST', `${O()}/templates/${t.json.id}/deploy`, { application: { name: 'x' } }), 'application.server_id');
  field(await call('POST', `${O()}/templates/${t.json.id}/deploy`, {}), 'application_id');
});

test('a Developer scoped to another application is refused at each step, with the missing permission named', async () => {
  const other = await call('POST', `${O()}/applications`, { name: 'blog', server_id: server.id });
  assert.equal(other.status, 201);
  const dev = await memberWithRole(s.url, ada, 'dev', {
    applications: { read: true }, services: { create: true, read: true, update: true }, templates: { read: true },
  }, { roleName: 'Developer', resource_scope: { applications: [other.json.id] } });
  const refused = async (method, p, body, permission) => {
    const r = await call(method, `${O()}${p}`, body, dev.token);
    assert.equal(r.status, 403, `${method} ${p}: ${r.text}`);
    assert.equal(r.json.error.code, 'forbidden');
    assert.equal(r.json.error.details.permission, permission, `${method} ${p}: ${r.text}`);
    return r;
  };
  // create an application on the node
  const c = await refused('POST', '/applications', { name: 'devs', server_id: server.id }, 'applications.create');
  assert.match(c.json.error.message, /Developer/);
  // see, then add a git service and a postgres service to the other application
  const seeApp = await refused('GET', `/applications/${app.id}`, undefined, 'applications.read');
  assert.equal(seeApp.json.error.details.reason, 'resource_scope');
  await refused('GET', `/applications/${app.id}/services`, undefined, 'services.read');
  await refused('POST', `/applications/${app.id}/services`, { name: 'w2', type: 'app', repository: 'https://git.example.com/a/b', branch: 'main' }, 'services.create');
  await refused('POST', `/applications/${app.id}/services`, { name: 'd2', type: 'database', database: { engine: 'postgres' } }, 'services.create');
  // reference the database URI from the app's variables, with a generated secret
  await refused('GET', `/services/${web.id}`, undefined, 'services.read');
  await refused('PUT', `/services/${web.id}/variables`, { variables: [{ key: 'DB', value: '{{ db.DATABASE_URL }}' }] }, 'services.update');
  await refused('PUT', `/services/${web.id}/variables/S`, { value: '{{ secret(16) }}' }, 'services.update');
  await refused('GET', `/services/${web.id}/variables?reveal=true`, undefined, 'services.update');
  await refused('POST', `/services/${db.id}/reveal-credentials`, undefined, 'services.update');
  await refused('POST', `/services/${web.id}/domains`, { hostname: 'dev.example.com' }, 'services.update');
  await refused('DELETE', `/services/${web.id}`, undefined, 'services.delete');
  await refused('POST', '/templates', { name: 'steal', application_id: app.id }, 'templates.create');
  // legacy projects need the projects permission
  await refused('GET', '/projects', undefined, 'projects.read');
  // ... while the application in scope works.
  const list = await call('GET', `${O()}/applications`, undefined, dev.token);
  assert.deepEqual(list.json.items.map((a) => a.id), [other.json.id]);
  const mine = await call('POST', `${O()}/applications/${other.json.id}/services`, { name: 'web', type: 'app', repository: 'https://git.example.com/a/b', branch: 'main' }, dev.token);
  assert.equal(mine.status, 201, mine.text);
  const v = await call('PUT', `${O()}/services/${mine.json.id}/variables`, { variables: [{ key: 'K', value: '{{ secret(16) }}' }] }, dev.token);
  assert.equal(v.status, 200, v.text);
  // Denied attempts are audited.
  const audit = await call('GET', `${O()}/audit?limit=200`);
  assert.ok(audit.json.items.some((e) => e.outcome === 'denied' && e.action === 'services.update' && e.actor.email === dev.email));
});

test('legacy projects, create_limit and read_scope own', async () => {
  const legacy = await memberWithRole(s.url, ada, 'legacy', { projects: { read: true } });
  const a = await call('GET', `${O()}/applications`, undefined, legacy.token);
  assert.equal(a.status, 403);
  assert.equal(a.json.error.details.permission, 'applications.read');
  const p = await call('GET', `${O()}/projects`, undefined, legacy.token);
  assert.equal(p.status, 200);
  assert.ok(p.json.items.some((x) => x.id === app.id), 'the same rows');
  // The server_id in the body is authorised as a row: creating on a server needs servers.read.
  const lim = await memberWithRole(s.url, ada, 'lim', { applications: { create: true, read: true, create_limit: 1, read_scope: 'own' }, servers: { read: true } });
  const first = await call('POST', `${O()}/applications`, { name: 'lims', server_id: server.id }, lim.token);
  assert.equal(first.status, 201, first.text);
  const second = await call('POST', `${O()}/applications`, { name: 'lims-2', server_id: server.id }, lim.token);
  assert.equal(second.status, 403);
  assert.equal(second.json.error.code, 'limit_reached');
  assert.equal(second.json.error.details.limit, 1);
  const own = await call('GET', `${O()}/applications`, undefined, lim.token);
  assert.deepEqual(own.json.items.map((x) => x.name), ['lims']);
  assert.equal((await call('GET', `${O()}/applications/${app.id}`, undefined, lim.token)).status, 404);
  assert.equal((await call('DELETE', `${O()}/applications/${app.id}`)).status, 409, 'still has services');
});

test('no secret value in any response without reveal, in the log, or in the database file', async () => {
  assert.ok(revealed.length >= 3);
  const revealPaths = /reveal|variables\?reveal=true/;
  for (const secret of revealed) {
    for (const r of seen) if (!revealPaths.test(r.p)) assert.ok(!r.text.includes(secret), `secret in the answer to ${r.p}`);
    assert.ok(!s.logs.includes(secret), 'secret in the server output');
    assert.ok(!readFileSync(path.join(s.dataDir, 'wharf.log'), 'utf8').includes(secret), 'secret in wharf.log');
    assert.ok(!(await databaseBytes(s)).includes(secret), 'secret in the database in plaintext');
  }
  assert.ok(!s.logs.includes(REG_PASS));
});
