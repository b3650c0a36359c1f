// certificate.expiring (docs/notifications.md "TLS certificates"), end to end with real parts: a
// real sshd node whose health checks pass, a real TLS server on 127.0.0.1 (node:tls, the
// certificates made by the openssl command) standing where the node's proxy answers HTTPS, and a
// receiver that verifies Standard Webhooks signatures with npm's `standardwebhooks`.
//   - a Let's Encrypt domain whose certificate has 5 days left: one warning, however many checks;
//   - one with 2 days left: one critical message;
//   - one with 80 days left: nothing; one the server answers with another name's certificate:
//     reported in the check, not announced; a domain without Let's Encrypt: never read;
//   - the check's report (API, `wharf server show`, the server page) lists what was read;
//   - no message carries a secret.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import tls from 'node:tls';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startWharf, api, signup, freePort } from './lib/harness.mjs';
import { startSshd, NODE_USER } from './lib/sshd.mjs';
import { startReceiver } from './lib/webhook_receiver.mjs';
import { cliUser } from './lib/cli.mjs';
import { launchBrowser, newContext, uiLogin } from './lib/browser.mjs';

let s, node, rx, ada, O, hook, tlsServer, dir, srv, web;
const secrets = [];
const sni = [];

// A self-signed certificate for `name` valid for `days` days, as {key, cert} PEM.
function makeCert(name, days) {
  const key = path.join(dir, `${name}.key`);
  const crt = path.join(dir, `${name}.crt`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', key, '-out', crt, '-days', String(days), '-subj', `/CN=${name}/O=Test ACME/`,
    '-addext', `subjectAltName=DNS:${name}`], { stdio: 'pipe' });
  return { key: readFileSync(key), cert: readFileSync(crt) };
}

before(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-certs-'));
  const certs = {
    'shop.example.test': makeCert('shop.example.test', 5),
    'api.example.test': makeCert('api.example.test', 2),
    'calm.example.test': makeCert('calm.example.test', 80),
  };
  const fallback = makeCert('default.invalid', 30);
  const port = await freePort();
  tlsServer = tls.createServer({
    ...fallback,
    SNICallback: (name, cb) => {
      sni.push(name);
      cb(null, tls.createSecureContext(certs[name] ?? fallback));
    },
  }, (sock) => sock.end());
  await new Promise((r) => tlsServer.listen(port, '127.0.0.1', r));

  rx = await startReceiver();
  node = await startSshd();
  s = await startWharf({
    args: ['--health-interval-seconds', '1', '--health-max-backoff-seconds', '1', '--node-dns-probe', 'localhost',
      '--min-disk-free-mb', '100', '--connect-timeout-ms', '2000',
      '--certificate-check-port', String(port), '--certificate-check-interval-seconds', '1'],
  });
  ada = await signup(s.url, 'ada');
  secrets.push(ada.password, ada.token);
  O = `/api/v1/orgs/${ada.org.slug}`;
  const call = async (method, p, body, status) => {
    const r = await api(s.url, method, `${O}${p}`, { token: ada.token, body });
    if (status) assert.equal(r.status, status, `${method} ${p}: ${r.text}`);
    return r.json;
  };
  const h = await api(s.url, 'POST', `${O}/notification-channels`, { token: ada.token, body: { name: 'certs', type: 'webhook', url: `${rx.url}/certs` } });
  assert.equal(h.status, 201, h.text);
  rx.sign('/certs', h.json.signing_secret);
  secrets.push(h.json.signing_secret, h.json.signing_secret.slice(6));
  hook = h.json;
  assert.equal((await call('POST', `/notification-channels/${hook.id}/test`)).ok, true);
  await call('POST', '/notification-rules', { events: ['certificate.expiring'], channel_ids: [hook.id] }, 201);

  const k = await call('POST', '/ssh-keys', { name: 'node', generate: { type: 'ed25519' } }, 201);
  node.authorize(NODE_USER, (await api(s.url, 'GET', `${O}/ssh-keys/${k.id}/public-key`, { token: ada.token })).text);
  srv = await call('POST', '/servers', { name: 'edge-1', host: '127.0.0.1', port: node.port, username: NODE_USER, ssh_key_id: k.id }, 201);
  const app = await call('POST', '/applications', { name: 'shop', server_id: srv.id }, 201);
  web = await call('POST', `/applications/${app.id}/services`, { name: 'web', type: 'app', repository: 'https://git.example.com/acme/web.git', branch: 'main' }, 201);
  for (const host of ['shop.example.test', 'api.example.test', 'calm.example.test', 'new.example.test'])
    await call('POST', `/services/${web.id}/domains`, { hostname: host }, 201);
  await call('POST', `/services/${web.id}/domains`, { hostname: 'own.example.test', letsencrypt: false }, 201);
});

after(async () => {
  await s?.stop();
  s?.cleanup();
  await node?.cleanup();
  await rx?.stop();
  tlsServer?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const wait = (ms) => new Promise((r) => setTimeout(r, ms));
const of = (host) => rx.got.filter((m) => m.path === '/certs' && m.json?.type === 'certificate.expiring' && m.json.data.message.includes(host));

async function received(host) {
  const m = await rx.waitFor((x) => x.path === '/certs' && x.json?.type === 'certificate.expiring' && x.json.data.message.includes(host), 30000, host);
  assert.equal(m.verified, true, m.verifyError);
  const d = m.json.data;
  assert.equal(d.org, ada.org.slug);
  assert.equal(d.application, 'shop');
  assert.equal(d.service, 'web');
  assert.equal(d.server, 'edge-1');
  assert.equal(d.layer, 'network');
  assert.match(d.fix, /resolves to 127\.0\.0\.1 and port 80 reaches the server/);
  assert.match(d.fix, /dokku letsencrypt:enable web --force/);
  assert.ok(d.url.startsWith(`${s.url}/o/${ada.org.slug}/applications/`) && d.url.endsWith(`/services/${web.id}`), d.url);
  return d;
}

test('a served certificate close to its end is announced once per stage, read from the server with the domain as SNI', async () => {
  const soon = await received('shop.example.test');
  assert.equal(soon.severity, 'warning');
  assert.match(soon.message, /serves for shop\.example\.test \(service web of shop, issued by shop\.example\.test\) expires at \d{4}-\d\d-\d\dT/);
  assert.match(soon.message, /\(in (4|5) days\)/);
  const last = await received('api.example.test');
  assert.equal(last.severity, 'critical');
  assert.match(last.message, /\(in (47|48) hours\)/);

  // More checks read the certificates again (each second) and send nothing more.
  const checks = async () => (await api(s.url, 'GET', `${O}/servers/${srv.id}/checks?limit=100`, { token: ada.token })).json.items;
  const n = (await checks()).length;
  for (let t0 = Date.now(); (await checks()).length < n + 3;) {
    if (Date.now() - t0 > 30000) throw new Error('no more checks');
    await wait(200);
  }
  await wait(500);
  assert.equal(of('shop.example.test').length, 1, 'one warning per certificate and stage');
  assert.equal(of('api.example.test').length, 1);
  assert.equal(of('calm.example.test').length, 0, '80 days left is no news');
  assert.equal(of('new.example.test').length, 0, 'another name\'s certificate is reported, not announced');
  assert.ok(sni.includes('calm.example.test') && sni.includes('new.example.test'));
  assert.ok(!sni.includes('own.example.test'), 'a domain without Let\'s Encrypt is not read');
});

test('the check report lists each certificate read: API, wharf server show and the server page', async () => {
  const got = (await api(s.url, 'GET', `${O}/servers/${srv.id}`, { token: ada.token })).json;
  const certs = Object.fromEntries(got.last_check.certificates.map((c) => [c.hostname, c]));
  assert.deepEqual(Object.keys(certs).sort(), ['api.example.test', 'calm.example.test', 'new.example.test', 'shop.example.test']);
  assert.equal(certs['calm.example.test'].matches_hostname, true);
  assert.ok(certs['calm.example.test'].days_left >= 79 && certs['calm.example.test'].days_left <= 80, JSON.stringify(certs));
  assert.equal(certs['calm.example.test'].application, 'shop');
  assert.equal(certs['calm.example.test'].service, 'web');
  assert.match(certs['new.example.test'].error, /answers new\.example\.test with a certificate for default\.invalid/);
  assert.equal(certs['new.example.test'].matches_hostname, false);

  const cli = cliUser('certs');
  try {
    const r = await cli.run(['server', 'show', 'edge-1'], { env: { WHARF_URL: s.url, WHARF_TOKEN: ada.token, WHARF_ORG: ada.org.slug } });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /DOMAIN\s+SERVICE\s+EXPIRES\s+DAYS LEFT\s+ISSUER/);
    assert.match(r.stdout, /shop\.example\.test\s+shop\/web\s+\S+\s+[45]\s/);
    assert.match(r.stdout, /new\.example\.test .*certificate for default\.invalid/);
  } finally {
    cli.cleanup();
  }

  const browser = await launchBrowser();
  try {
    const ctx = await newContext(browser, s.url);
    const page = await ctx.newPage();
    await uiLogin(page, ada);
    await page.goto(`/o/${ada.org.slug}/servers/${srv.id}`);
    const table = page.getByTestId('certificates');
    await table.waitFor();
    assert.match(await table.locator('tr[data-hostname="api.example.test"]').textContent(), /[12] days left/);
    assert.match(await table.locator('tr[data-hostname="new.example.test"]').textContent(), /default\.invalid/);
  } finally {
    await browser.close();
  }
});

test('no certificate message carries a secret', () => {
  const sent = rx.got.filter((m) => m.path === '/certs');
  assert.ok(sent.length >= 3);
  for (const m of sent) for (const secret of secrets) assert.ok(!m.body.includes(secret), 'a secret in a message');
  for (const secret of secrets) assert.ok(!s.logs.includes(secret), 'a secret in the server log');
});
