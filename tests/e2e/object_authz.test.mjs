// Object-level authorisation: every id a request body names (ssh_key_id, security_group_ids,
// server_id, an integration id, application_id, a {{ svc.VAR }} reference, …) is authorised as
// that row for the caller, read_scope and resource_scope applied, and a job is authorised through
// its subject. The callers are the two threats of docs/security.md: a member of the org with a
// narrow role (no permission on the collection, read_scope "own", resource_scope elsewhere) and a
// user of another org. Each refusal must leave the world as it was: no row created or changed,
// and no SSH sign-in with the named key (the sshd log shows every accepted key).
//
// The first tests are one per defence (each failed before it); the last is the table-driven sweep
// of every body field that names another row.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWharf, api, signup, memberWithRole, uniqueEmail } from './lib/harness.mjs';
import { startSshd, NODE_USER } from './lib/sshd.mjs';

let s, node, ada, eve, own, narrow, napps, scoped;
const A = {};  // ada's rows
const C = {};  // each caller's own rows: C.own, C.eve, …
const pubs = [];
const O = (who) => `/api/v1/orgs/${who.org.slug}`;
const call = (who, method, p, body) => api(s.url, method, p, { token: who.token, body });
async function ok(r, status = 201) {
  assert.equal(r.status, status, r.text);
  return r.json;
}

async function sshKey(who, name, { authorize = true } = {}) {
  const k = await ok(await call(who, 'POST', `${O(who)}/ssh-keys`, { name, generate: { type: 'ed25519' } }));
  if (authorize) {
    pubs.push((await call(who, 'GET', `${O(who)}/ssh-keys/${k.id}/public-key`)).text.trim());
    node.authorize(NODE_USER, pubs.join('\n'));
  }
  return k;
}
const serverBody = (name, keyId, extra = {}) => ({ name, host: '127.0.0.1', port: node.port, username: NODE_USER, ssh_key_id: keyId, ...extra });
const server = async (who, name, keyId) => ok(await call(who, 'POST', `${O(who)}/servers`, serverBody(name, keyId)));
const application = async (who, name, serverId) => ok(await call(who, 'POST', `${O(who)}/applications`, { name, server_id: serverId }));
const database = async (who, appId, name) =>
  ok(await call(who, 'POST', `${O(who)}/applications/${appId}/services`, { name, type: 'database', database: { engine: 'redis' } }));

// The sshd accepted `fingerprint` (SHA256:…) at least once.
const signedInWith = (fingerprint) => node.output.split('\n').some((l) => l.includes('Accepted publickey') && l.includes(fingerprint));

const RW = { create: true, read: true, update: true };
function role(collections, extra = {}) {
  return Object.fromEntries(collections.map((c) => [c, { ...RW, ...extra }]));
}
const EVERYTHING = ['sshKeys', 'securityGroups', 'servers', 'applications', 'services', 'dockerRegistries', 'gitProviders',
  'backupStorage', 'cloudProviderAccounts', 'backups', 'templates'];

before(async () => {
  node = await startSshd();
  s = await startWharf({ args: ['--node-dns-probe', 'localhost', '--min-disk-free-mb', '100', '--connect-timeout-ms', '1500'] });
  ada = await signup(s.url, 'ada');
  eve = await signup(s.url, 'eve');
  // Ada's org: the rows the others must not reach.
  A.key = await sshKey(ada, 'deploy');
  A.spareKey = await sshKey(ada, 'spare', { authorize: false });
  A.testKey = await sshKey(ada, 'only-for-tests');  // authorised on the node, used by no server
  A.group = await ok(await call(ada, 'POST', `${O(ada)}/security-groups`, { name: 'ssh', inbound: [{ type: 'ssh', source: 'anywhere' }] }));
  A.server = await server(ada, 'node-1', A.key.id);
  A.server2 = await server(ada, 'node-2', A.key.id);
  A.app = await application(ada, 'shop', A.server.id);
  A.app2 = await application(ada, 'blog', A.server2.id);  // stays without services
  A.db = await database(ada, A.app.id, 'db');
  A.registry = await ok(await call(ada, 'POST', `${O(ada)}/docker-registries`, { name: 'private', host: '127.0.0.1:5999', username: 'ada', password: 'registry-password-1234' }));
  A.git = await ok(await call(ada, 'POST', `${O(ada)}/git-providers`, { name: 'gitea', type: 'gitea', base_url: 'https://127.0.0.1:3999', username: 'ada', token: 'gitea-token-123456789' }));
  A.storage = await ok(await call(ada, 'POST', `${O(ada)}/backup-storage`, { name: 's3', endpoint: 'http://127.0.0.1:4999', region: 'us-east-1', bucket: 'wharf-backups', path_style: true, access_key_id: 'AKIAOBJECTAUTHZ00001', secret_access_key: 'ObjectAuthzStorageKey0000000000000000000' }));
  A.cloud = await ok(await call(ada, 'POST', `${O(ada)}/cloud-accounts`, { name: 'aws', provider: 'aws', access_key_id: 'AKIAOBJECTAUTHZ00002', secret_access_key: 'ObjectAuthzCloudKey111111111111111111111', region: 'eu-west-1' }));

  // A member whose every role entry has read_scope "own": Ada's rows are invisible to it.
  own = await memberWithRole(s.url, ada, 'own', role(EVERYTHING, { read_scope: 'own' }));
  // A member with no permission at all on keys, groups and integrations.
  narrow = await memberWithRole(s.url, ada, 'narrow', role(['servers', 'applications', 'services', 'backups', 'templates']));
  // A member who works on applications and services but may not read servers or services.
  napps = await memberWithRole(s.url, ada, 'napps', { applications: RW, services: { create: true, update: true }, templates: RW });
  // A member restricted to the blog application and node-2.
  scoped = await memberWithRole(s.url, ada, 'scoped', { servers: RW, applications: RW, services: RW, backups: RW, templates: RW },
    { resource_scope: { applications: [A.app2.id], servers: [A.server2.id] } });

  C.own = { key: await sshKey(own, 'mine'), group: await ok(await call(own, 'POST', `${O(own)}/security-groups`, { name: 'mine', inbound: [{ type: 'ssh', source: 'anywhere' }] })) };
  C.own.server = await server(own, 'own-node', C.own.key.id);
  C.own.app = await application(own, 'own-app', C.own.server.id);
  C.own.empty = await application(own, 'own-empty', C.own.server.id);
  C.own.svc = await database(own, C.own.app.id, 'cache');
  // Own services inside Ada's application, next to her database (references are per application).
  C.own.refApp = A.app;
  C.own.refSvc = await database(own, A.app.id, 'own-cache');
  C.eve = { key: await sshKey(eve, 'eve'), group: await ok(await call(eve, 'POST', `${O(eve)}/security-groups`, { name: 'eve', inbound: [{ type: 'ssh', source: 'anywhere' }] })) };
  C.eve.server = await server(eve, 'eve-node', C.eve.key.id);
  C.eve.app = await application(eve, 'eve-app', C.eve.server.id);
  C.eve.empty = await application(eve, 'eve-empty', C.eve.server.id);
  C.eve.svc = await database(eve, C.eve.app.id, 'cache');
  C.narrow = { server: A.server, app: A.app, svc: A.db, empty: A.app2 };
  C.napps = { app: A.app, empty: A.app2, refApp: A.app, refSvc: await ok(await call(napps, 'POST', `${O(ada)}/applications/${A.app.id}/services`, { name: 'napps-cache', type: 'database', database: { engine: 'redis' } })) };
  C.scoped = { server: A.server2, app: A.app2, empty: A.app2 };
});
after(async () => { await s?.stop(); s?.cleanup(); await node?.cleanup(); });

test('team.update cannot copy, rotate, resend or revoke an invitation for a role above its own (no path to Admin)', async () => {
  const tm = await memberWithRole(s.url, ada, 'tm', { team: { read: true, update: true } });
  const roles = (await call(ada, 'GET', `${O(ada)}/roles`)).json.items;
  const admin = roles.find((r) => r.builtin);
  const viewer = await ok(await call(ada, 'POST', `${O(ada)}/roles`, { name: 'Team viewer', permissions: { team: { read: true } } }));
  // Inviting with the Admin role was already refused.
  const direct = await call(tm, 'POST', `${O(ada)}/invitations`, { email: uniqueEmail('x'), role_id: admin.id, send_email: false });
  assert.equal(direct.status, 403, direct.text);
  // An Admin invites someone as Admin; the member tries each way to get a working link.
  const victim = uniqueEmail('new-admin');
  const inv = await ok(await call(ada, 'POST', `${O(ada)}/invitations`, { email: victim, role_id: admin.id, send_email: false }));
  for (const [method, p] of [['POST', 'link'], ['POST', 'resend'], ['DELETE', '']]) {
    const r = await call(tm, method, `${O(ada)}/invitations/${inv.id}${p ? `/${p}` : ''}`);
    assert.equal(r.status, 403, `${method} ${p}: ${r.text}`);
    assert.equal(r.json.error.details.reason, 'escalation', r.text);
    assert.ok(!r.text.includes('/invite/'), r.text);
  }
  // The Admin's own link still works (not rotated by the refused copy), and it is still pending.
  const token = inv.link.split('/invite/')[1];
  assert.equal((await api(s.url, 'GET', `/api/v1/invitations/${token}`)).status, 200);
  // A permission the member does hold: copying and revoking its link are still allowed.
  const mine = await ok(await call(ada, 'POST', `${O(ada)}/invitations`, { email: uniqueEmail('v'), role_id: viewer.id, send_email: false }));
  const link = await call(tm, 'POST', `${O(ada)}/invitations/${mine.id}/link`);
  assert.equal(link.status, 200, link.text);
  assert.equal((await call(tm, 'DELETE', `${O(ada)}/invitations/${mine.id}`)).status, 204);
  // A role wider than the member's (not Admin) is refused the same way, naming the permission.
  const wider = await ok(await call(ada, 'POST', `${O(ada)}/roles`, { name: 'Server admin', permissions: { servers: RW, team: { read: true } } }));
  const w = await ok(await call(ada, 'POST', `${O(ada)}/invitations`, { email: uniqueEmail('w'), role_id: wider.id, send_email: false }));
  const r = await call(tm, 'POST', `${O(ada)}/invitations/${w.id}/link`);
  assert.equal(r.status, 403, r.text);
  assert.match(r.json.error.details.permission, /^servers\./);
});

test('a {{ svc.VAR }} reference needs read access to that service: when saved, revealed and deployed', async () => {
  // Ada's database password, which the own-scope member may not read.
  const creds = await ok(await call(ada, 'POST', `${O(ada)}/services/${A.db.id}/reveal-credentials`), 200);
  assert.ok(creds.password);
  const unknown = await call(own, 'POST', `${O(ada)}/applications/${A.app.id}/services`, { name: 'spy0', type: 'database', database: { engine: 'redis' }, variables: [{ key: 'X', value: '{{ nope.PASSWORD }}' }] });
  // Saving: a new service, and a variable of an existing one, are refused like an unknown service.
  const created = await call(own, 'POST', `${O(ada)}/applications/${A.app.id}/services`, { name: 'spy', type: 'database', database: { engine: 'redis' }, variables: [{ key: 'X', value: '{{ db.PASSWORD }}' }] });
  assert.equal(created.status, 400, created.text);
  assert.equal(unknown.status, 400, unknown.text);
  assert.ok(created.json.error.details.fields['variables.X'], created.text);
  assert.ok(!created.text.includes(creds.password));
  const mine = await database(own, A.app.id, 'spy');
  const put = await call(own, 'PUT', `${O(ada)}/services/${mine.id}/variables`, { variables: [{ key: 'X', value: '{{ db.PASSWORD }}' }] });
  assert.equal(put.status, 400, put.text);
  const set = await call(own, 'PUT', `${O(ada)}/services/${mine.id}/variables/X`, { value: 'pw={{ db.PASSWORD }}' });
  assert.equal(set.status, 400, set.text);
  assert.ok(!(await call(own, 'GET', `${O(ada)}/services/${mine.id}/variables`)).text.includes('db.PASSWORD'));
  // Resolving: a reference saved by someone who could read it (the Admin) still does not resolve
  // for the member, neither in a reveal nor in a deployment the member starts.
  await ok(await call(ada, 'PUT', `${O(ada)}/services/${mine.id}/variables`, { variables: [{ key: 'X', value: '{{ db.PASSWORD }}' }] }), 200);
  const reveal = await call(own, 'GET', `${O(ada)}/services/${mine.id}/variables?reveal=true`);
  assert.equal(reveal.status, 400, reveal.text);
  assert.ok(!reveal.text.includes(creds.password), reveal.text);
  const deploy = await call(own, 'POST', `${O(ada)}/services/${mine.id}/deploy`);
  assert.equal(deploy.status, 400, deploy.text);
  const deployments = await call(ada, 'GET', `${O(ada)}/applications/${A.app.id}/services/${mine.id}/deployments`);
  assert.deepEqual(deployments.json.items, []);
  // The Admin, who may read the database, resolves it.
  const adminReveal = await ok(await call(ada, 'GET', `${O(ada)}/services/${mine.id}/variables?reveal=true`), 200);
  assert.equal(adminReveal.items[0].resolved, creds.password);
  await ok(await call(ada, 'DELETE', `${O(ada)}/services/${mine.id}`), 204);
});

test('a template snapshots only the services its maker may read', async () => {
  // May read the application, but only its own services in it.
  const maker = await memberWithRole(s.url, ada, 'maker', { applications: { read: true }, services: { ...RW, read_scope: 'own' }, templates: RW });
  const mine = await ok(await call(maker, 'POST', `${O(ada)}/applications/${A.app.id}/services`, { name: 'worker', type: 'database', database: { engine: 'redis' }, variables: [{ key: 'MODE', value: 'fast' }] }));
  await ok(await call(ada, 'PUT', `${O(ada)}/services/${A.db.id}/variables`, { variables: [{ key: 'ADMIN_ONLY', value: 'hidden-setting-42' }] }), 200);
  const t = await ok(await call(maker, 'POST', `${O(ada)}/templates`, { name: 'from shop', application_id: A.app.id }));
  const got = await ok(await call(maker, 'GET', `${O(ada)}/templates/${t.id}`), 200);
  const text = JSON.stringify(got);
  assert.ok(text.includes('worker'), text);
  assert.ok(!text.includes('hidden-setting-42') && !text.includes('ADMIN_ONLY') && !text.includes('napps-cache'), text);
  // An application with nothing the caller may read is refused like one without services.
  const none = await call(maker, 'POST', `${O(ada)}/templates`, { name: 'nothing', application_id: A.app2.id });
  assert.equal(none.status, 400, none.text);
  await ok(await call(ada, 'DELETE', `${O(ada)}/services/${mine.id}`), 204);
});

test('a job is authorised through its subject: a deployment job is out of reach of whoever may not read the deployment', async () => {
  const ops = await memberWithRole(s.url, ada, 'ops', { servers: { read: true, update: true } });
  const d = await ok(await call(ada, 'POST', `${O(ada)}/services/${A.db.id}/stop`), 202);
  const id = d.job_id || d.id;
  const viaDeployment = await call(ops, 'GET', `${O(ada)}/deployments/${id}`);
  assert.equal(viaDeployment.status, 403, viaDeployment.text);
  for (const [method, p] of [['GET', ''], ['GET', '/log'], ['POST', '/cancel']]) {
    const r = await call(ops, method, `${O(ada)}/jobs/${id}${p}`);
    assert.equal(r.status, 403, `${method} ${p}: ${r.text}`);
    assert.equal(r.json.error.details.permission, method === 'GET' ? 'services.read' : 'services.update');
    assert.ok(!r.text.includes('service_id') && !r.text.includes('[wharf]'), r.text);
  }
  const seen = await ok(await call(ada, 'GET', `${O(ada)}/jobs/${id}`), 200);
  assert.equal(seen.cancel_requested, false, JSON.stringify(seen));
  assert.notEqual(seen.status, 'cancelled');
  // Whoever may read the service reads its deployment's job.
  assert.equal((await call(narrow, 'GET', `${O(ada)}/jobs/${id}`)).status, 200);
  // A backup's job is the backup's: servers.read alone does not reach it.
  const b = await ok(await call(ada, 'POST', `${O(ada)}/applications/${A.app.id}/services/${A.db.id}/backups`, { storage: 'internal' }), 202);
  const bj = b.job_id || b.job?.id;
  assert.ok(bj, JSON.stringify(b));
  const r = await call(ops, 'GET', `${O(ada)}/jobs/${bj}`);
  assert.equal(r.status, 403, r.text);
  assert.equal(r.json.error.details.permission, 'backups.read');
  assert.equal((await call(narrow, 'GET', `${O(ada)}/jobs/${bj}`)).status, 200);
});

test('an SSH key of the org signs in nowhere for a member without sshKeys.read', async () => {
  const m = await memberWithRole(s.url, ada, 'builder', { servers: { create: true, read: true } });
  const r = await call(m, 'POST', `${O(ada)}/servers/test-connection`, serverBody('probe', A.testKey.id));
  assert.equal(r.status, 403, r.text);
  assert.equal(r.json.error.details.permission, 'sshKeys.read');
  const c = await call(m, 'POST', `${O(ada)}/servers`, serverBody('probe', A.testKey.id));
  assert.equal(c.status, 403, c.text);
  assert.ok(!signedInWith(A.testKey.fingerprint), 'the sshd accepted the key');
  // The log does show a key that did sign in (so the check above can see a leak).
  assert.ok(signedInWith(A.key.fingerprint));
});

// ------------------------------------------------------------------------------------ the sweep

// The world as the two Admins see it: what a refused request must not have changed.
async function world() {
  const out = {};
  for (const who of [ada, eve]) {
    const o = O(who);
    const servers = (await call(who, 'GET', `${o}/servers?limit=100`)).json.items;
    const apps = (await call(who, 'GET', `${o}/applications?limit=100`)).json.items;
    const svcs = [];
    for (const a of apps) {
      for (const x of (await call(who, 'GET', `${o}/applications/${a.id}/services`)).json.items) {
        const vars = (await call(who, 'GET', `${o}/services/${x.id}/variables`)).json.items;
        const backups = x.type === 'database' ? (await call(who, 'GET', `${o}/applications/${a.id}/services/${x.id}/backups`)).json.items.length : 0;
        const sched = x.type === 'database' ? (await call(who, 'GET', `${o}/applications/${a.id}/services/${x.id}/backup-schedule`)).json : null;
        // Only what a request could set: status and timestamps move with background jobs.
        svcs.push([x.id, x.name, x.application_id, x.image, x.docker_registry_id, x.git_provider_id, x.repository,
          vars.map((v) => [v.key, v.value]), backups, [sched?.frequency, sched?.storage, sched?.backup_storage_id]]);
      }
    }
    out[who.org.slug] = {
      servers: servers.map((x) => [x.id, x.ssh_key_id, x.security_group_ids]),
      apps: apps.map((a) => [a.id, a.server_id]),
      svcs,
      templates: (await call(who, 'GET', `${o}/templates?limit=100`)).json.items.map((t) => t.id),
    };
  }
  return out;
}

// Every body field that names another row. `run(who, id, ctx)` sends it as `who` (in `who`'s own
// org, with `ctx` = rows `who` may work on) naming `id`; `callers` lists who must be refused.
const sshKeyId = () => A.testKey.id;
const PERM_OF = { server_id: 'servers', docker_registry_id: 'dockerRegistries', git_provider_id: 'gitProviders',
  backup_storage_id: 'backupStorage', cloud_account_id: 'cloudProviderAccounts' };
const SWEEP = [
  { field: 'servers.ssh_key_id', key: 'ssh_key_id', perm: 'sshKeys.read', target: sshKeyId, callers: ['own', 'narrow', 'eve'],
    run: (who, id) => call(who, 'POST', `${O(who)}/servers`, serverBody('x-new', id)) },
  { field: 'servers/test-connection.ssh_key_id', key: 'ssh_key_id', perm: 'sshKeys.read', target: sshKeyId, callers: ['own', 'narrow', 'eve'],
    run: (who, id) => call(who, 'POST', `${O(who)}/servers/test-connection`, serverBody('x-test', id)) },
  { field: 'PATCH servers.ssh_key_id', key: 'ssh_key_id', perm: 'sshKeys.read', target: () => A.spareKey.id, callers: ['own', 'narrow', 'eve'],
    run: (who, id, c) => call(who, 'PATCH', `${O(who)}/servers/${c.server.id}`, { ssh_key_id: id }) },
  { field: 'servers.security_group_ids', key: 'security_group_ids[0]', perm: 'securityGroups.read', target: () => A.group.id, callers: ['own', 'eve'],
    run: (who, id, c) => call(who, 'POST', `${O(who)}/servers`, serverBody('x-grp', c.key.id, { security_group_ids: [id] })) },
  { field: 'servers/test-connection.security_group_ids', key: 'security_group_ids[0]', perm: 'securityGroups.read', target: () => A.group.id, callers: ['own', 'eve'],
    run: (who, id, c) => call(who, 'POST', `${O(who)}/servers/test-connection`, serverBody('x-grp', c.key.id, { security_group_ids: [id] })) },
  { field: 'PATCH servers.security_group_ids', key: 'security_group_ids[0]', perm: 'securityGroups.read', target: () => A.group.id, callers: ['own', 'narrow', 'eve'],
    run: (who, id, c) => call(who, 'PATCH', `${O(who)}/servers/${c.server.id}`, { security_group_ids: [id] }) },
  { field: 'applications.server_id', key: 'server_id', perm: 'servers.read', target: () => A.server.id, callers: ['own', 'napps', 'eve'],
    run: (who, id) => call(who, 'POST', `${O(who)}/applications`, { name: 'x-app', server_id: id }) },
  { field: 'PATCH applications.server_id', key: 'server_id', perm: 'servers.read', target: () => A.server.id, callers: ['own', 'napps', 'scoped', 'eve'],
    run: (who, id, c) => call(who, 'PATCH', `${O(who)}/applications/${c.empty.id}`, { server_id: id }) },
  { field: 'templates/{id}/deploy application.server_id', key: 'application.server_id', perm: 'servers.read', target: () => A.server.id, callers: ['own', 'napps', 'eve'],
    run: async (who, id) => {
      const t = await template(who);
      return call(who, 'POST', `${O(who)}/templates/${t}/deploy`, { application: { name: 'x-tpl', server_id: id } });
    } },
  { field: 'services.git_provider_id', key: 'git_provider_id', perm: 'gitProviders.read', target: () => A.git.id, callers: ['own', 'narrow', 'eve'],
    run: (who, id, c) => call(who, 'POST', `${O(who)}/applications/${c.app.id}/services`, { name: 'x-git', type: 'app', repository: 'acme/web', branch: 'main', git_provider_id: id }) },
  { field: 'services.docker_registry_id', key: 'docker_registry_id', perm: 'dockerRegistries.read', target: () => A.registry.id, callers: ['own', 'narrow', 'eve'],
    run: (who, id, c) => call(who, 'POST', `${O(who)}/applications/${c.app.id}/services`, { name: 'x-img', type: 'docker', image: '127.0.0.1:5999/team/app:v1', docker_registry_id: id }) },
  { field: 'PATCH services.docker_registry_id', key: 'docker_registry_id', perm: 'dockerRegistries.read', target: () => A.registry.id, callers: ['own', 'eve'],
    run: async (who, id, c) => {
      const d = await dockerService(who, c);
      return call(who, 'PATCH', `${O(who)}/services/${d}`, { docker_registry_id: id });
    } },
  { field: 'services.application_id', key: 'application_id', perm: 'services.create', target: () => A.app.id, callers: ['scoped', 'eve'],
    run: (who, id) => call(who, 'POST', `${O(who)}/services`, { application_id: id, name: 'x-svc', type: 'database', database: { engine: 'redis' } }) },
  { field: 'services.variables {{ svc.VAR }}', key: 'variables.X', perm: 'services.read', target: () => A.db.name, callers: ['own', 'napps', 'eve'],
    run: (who, name, c) => call(who, 'POST', `${O(who)}/applications/${(c.refApp ?? c.app).id}/services`, { name: 'x-ref', type: 'database', database: { engine: 'redis' }, variables: [{ key: 'X', value: `{{ ${name}.PASSWORD }}` }] }) },
  { field: 'PUT services/{id}/variables {{ svc.VAR }}', key: 'variables.X', perm: 'services.read', target: () => A.db.name, callers: ['own', 'napps', 'eve'],
    run: (who, name, c) => call(who, 'PUT', `${O(who)}/services/${(c.refSvc ?? c.svc).id}/variables`, { variables: [{ key: 'X', value: `{{ ${name}.PASSWORD }}` }] }) },
  { field: 'templates.application_id', key: 'application_id', perm: /^(applications|services)\.read$/, target: () => A.app.id, callers: ['own', 'napps', 'scoped', 'eve'],
    run: (who, id) => call(who, 'POST', `${O(who)}/templates`, { name: 'x-snap', application_id: id }) },
  { field: 'templates/{id}/deploy application_id', key: 'application_id', perm: 'services.create', target: () => A.app.id, callers: ['scoped', 'eve'],
    run: async (who, id) => call(who, 'POST', `${O(who)}/templates/${await template(who)}/deploy`, { application_id: id }) },
  { field: 'backups.backup_storage_id', key: 'backup_storage_id', perm: 'backupStorage.read', target: () => A.storage.id, callers: ['own', 'narrow', 'eve'],
    run: (who, id, c) => call(who, 'POST', `${O(who)}/applications/${c.app.id}/services/${c.svc.id}/backups`, { storage: 'external', backup_storage_id: id }) },
  { field: 'backup-schedule.backup_storage_id', key: 'backup_storage_id', perm: 'backupStorage.read', target: () => A.storage.id, callers: ['own', 'narrow', 'eve'],
    run: (who, id, c) => call(who, 'PUT', `${O(who)}/applications/${c.app.id}/services/${c.svc.id}/backup-schedule`, { frequency: 'daily', retention: 3, storage: 'external', backup_storage_id: id }) },
  { field: 'security-groups/{id}/sync.cloud_account_id', key: 'cloud_account_id', perm: /^cloudProviderAccounts\./, target: () => A.cloud.id, callers: ['own', 'eve'],
    run: (who, id, c) => call(who, 'POST', `${O(who)}/security-groups/${c.group.id}/sync`, { cloud_account_id: id, vpc_id: 'vpc-0123456789abcdef0' }) },
  ...[['server_id', () => A.server.id, ['own', 'napps', 'scoped', 'eve']],
    ['docker_registry_id', () => A.registry.id, ['own', 'narrow', 'eve'], { image: '127.0.0.1:5999/team/app:v1' }],
    ['git_provider_id', () => A.git.id, ['own', 'narrow', 'eve']],
    ['backup_storage_id', () => A.storage.id, ['own', 'narrow', 'eve']],
    ['cloud_account_id', () => A.cloud.id, ['own', 'narrow', 'eve']]].map(([f, target, callers, extra = {}]) => ({
    field: `diagnose.${f}`, key: f, perm: new RegExp(`^${PERM_OF[f]}\\.`), target, callers, run: (who, id) => call(who, 'POST', `${O(who)}/diagnose`, { [f]: id, ...extra }) })),
];

// A template `who` may read (made once): its own where it may make one, else Ada's.
const templates = new Map();
async function template(who) {
  if (!templates.has(who.email)) {
    const maker = who === own || who === eve ? who : ada;
    const app = who === own ? C.own.app : who === eve ? C.eve.app : A.app;
    templates.set(who.email, (await ok(await call(maker, 'POST', `${O(maker)}/templates`, { name: `base-${templates.size}`, application_id: app.id }))).id);
  }
  return templates.get(who.email);
}
// A docker service the caller may edit (a public image: no registry).
const dockers = new Map();
async function dockerService(who, c) {
  if (!dockers.has(who)) {
    const d = await ok(await call(who, 'POST', `${O(who)}/applications/${c.app.id}/services`, { name: `img-${dockers.size}`, type: 'docker', image: 'nginx:1' }));
    dockers.set(who, d.id);
  }
  return dockers.get(who);
}

test('sweep: every body field that names a row is refused for a caller who cannot read that row, and nothing happens', async () => {
  const callers = { own, narrow, napps, scoped, eve };
  // Fixtures the rows need, made before the first snapshot.
  for (const name of ['own', 'eve', 'napps', 'scoped']) await template(callers[name]);
  for (const name of ['own', 'eve']) await dockerService(callers[name], C[name]);
  const wantStatus = { narrow: [403], napps: [400, 403], own: [400, 404], scoped: [403], eve: [400, 404] };
  const checked = [];
  for (const row of SWEEP) {
    for (const name of row.callers) {
      const who = callers[name];
      const id = row.target();
      const beforeWorld = await world();
      const r = await row.run(who, id, C[name]);
      const label = `${row.field} as ${name}`;
      assert.ok(wantStatus[name].includes(r.status), `${label}: want ${wantStatus[name]}, got ${r.status} ${r.text}`);
      if (r.status === 403) {
        // Refused for the row named, not for something else.
        const perm = r.json.error.details.permission;
        assert.ok(row.perm instanceof RegExp ? row.perm.test(perm) : perm === row.perm, `${label}: ${r.text}`);
      } else {
        if (r.status === 400) assert.ok(r.json.error.details.fields[row.key], `${label}: ${r.text}`);
        // Hidden looks exactly like absent: the same answer as for an id that does not exist.
        const absent = await row.run(who, id.includes('_') ? `${id.split('_')[0]}_doesnotexist0000` : 'nosuchservice', C[name]);
        assert.equal(absent.status, r.status, `${label} (absent): ${absent.text}`);
        assert.equal(r.json.error.message.replaceAll(id, '?'),
          absent.json.error.message.replace(/\S+_doesnotexist0000|nosuchservice/g, '?'), label);
      }
      assert.deepEqual(await world(), beforeWorld, `${label}: something changed`);
      checked.push(label);
    }
  }
  assert.ok(!signedInWith(A.testKey.fingerprint), 'the sshd accepted a key the caller may not read');
  assert.ok(checked.length >= 60, checked.join('\n'));
});
