// A real Docker registry (Debian's docker-registry, i.e. distribution 2.8) on 127.0.0.1 for the
// integration tests, with either htpasswd (Basic) auth or token (Bearer) auth. For token auth a
// small token server written here issues real RS256 JWTs signed with a test key whose
// self-signed certificate the registry trusts (rootcertbundle); it grants only what `grants`
// allows. pushImage() pushes a small runnable image (./image.mjs: busybox httpd printing its
// environment) through the registry HTTP API (monolithic blob uploads + a schema 2 manifest), no
// Docker engine involved; a test with an engine can also `docker push` to it.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { freePort } from './harness.mjs';
import { rootfsTar, CMD } from './image.mjs';

const b64url = (b) => Buffer.from(b).toString('base64url');
const sha256 = (b) => `sha256:${crypto.createHash('sha256').update(b).digest('hex')}`;

async function waitUp(url, proc, logs, ms = 15000) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`docker-registry exited ${proc.exitCode}: ${logs()}`);
    try {
      const r = await fetch(url);
      if (r.status === 200 || r.status === 401) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`docker-registry did not start: ${logs()}`);
}

// A token server: GET /token?service=&scope=repository:NAME:ACTIONS with Basic auth.
// `grants(user, repo)` returns the actions that user may have on that repository.
function startTokenServer({ port, users, issuer, service, keyPem, certDer, grants }) {
  const requests = [];
  const server = http.createServer((req, res) => {
    const u = new URL(req.url, 'http://x');
    const auth = req.headers.authorization || '';
    const [user, pass] = auth.startsWith('Basic ') ? Buffer.from(auth.slice(6), 'base64').toString().split(/:(.*)/s) : [];
    requests.push({ path: u.pathname, service: u.searchParams.get('service'), scope: u.searchParams.get('scope'), user });
    if (u.pathname !== '/token') { res.writeHead(404).end(); return; }
    if (!user || users[user] !== pass) {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"details":"incorrect username or password"}');
      return;
    }
    const access = [];
    for (const scope of u.searchParams.getAll('scope')) {
      const [type, name, actions] = scope.split(':');
      const allowed = grants(user, name);
      const granted = actions.split(',').filter((a) => allowed.includes(a));
      access.push({ type, name, actions: granted });
    }
    const now = Math.floor(Date.now() / 1000);
    const header = { typ: 'JWT', alg: 'RS256', x5c: [certDer.toString('base64')] };
    const claims = { iss: issuer, sub: user, aud: service, exp: now + 300, nbf: now - 10, iat: now,
      jti: crypto.randomBytes(8).toString('hex'), access };
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const sig = crypto.sign('RSA-SHA256', Buffer.from(input), keyPem);
    const token = `${input}.${b64url(sig)}`;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token, access_token: token, expires_in: 300 }));
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve({ server, requests })));
}

// mode: 'htpasswd' or 'token'. users: {name: password}.
export async function startRegistry({ mode = 'htpasswd', users = { alice: 'registry-pass-1234' }, grants } = {}) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-registry-'));
  mkdirSync(path.join(dir, 'data'));
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  let auth;
  let token;
  if (mode === 'htpasswd') {
    const lines = Object.entries(users).map(([u, p]) => execFileSync('htpasswd', ['-Bbn', u, p], { encoding: 'utf8' }).trim());
    writeFileSync(path.join(dir, 'htpasswd'), lines.join('\n') + '\n');
    auth = `  htpasswd:\n    realm: wharf-test\n    path: ${path.join(dir, 'htpasswd')}\n`;
  } else {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(dir, 'key.pem'),
      '-out', path.join(dir, 'cert.pem'), '-days', '2', '-subj', '/CN=wharf-test-token-issuer'], { stdio: 'ignore' });
    const tport = await freePort();
    const certPem = readFileSync(path.join(dir, 'cert.pem'), 'utf8');
    const certDer = new crypto.X509Certificate(certPem).raw;
    token = await startTokenServer({ port: tport, users, issuer: 'wharf-test-issuer', service: 'wharf-test-registry',
      keyPem: readFileSync(path.join(dir, 'key.pem'), 'utf8'), certDer,
      grants: grants || (() => ['pull', 'push']) });
    token.realm = `http://127.0.0.1:${tport}/token`;
    auth = `  token:\n    realm: ${token.realm}\n    service: wharf-test-registry\n    issuer: wharf-test-issuer\n` +
      `    rootcertbundle: ${path.join(dir, 'cert.pem')}\n`;
  }
  writeFileSync(path.join(dir, 'config.yml'), `version: 0.1
log:
  level: info
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: ${path.join(dir, 'data')}
  delete:
    enabled: true
http:
  addr: ${host}
auth:
${auth}`);
  const proc = spawn('docker-registry', ['serve', path.join(dir, 'config.yml')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let logs = '';
  proc.stdout.on('data', (d) => { logs += d; });
  proc.stderr.on('data', (d) => { logs += d; });
  await waitUp(`http://${host}/v2/`, proc, () => logs);

  const base = `http://${host}`;
  // Authorization for a push as `user` to `repo`.
  async function authFor(user, repo) {
    const pass = users[user];
    if (mode === 'htpasswd') return `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
    const r = await fetch(`${token.realm}?service=wharf-test-registry&scope=repository:${repo}:pull,push`, {
      headers: { authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}` } });
    if (r.status !== 200) throw new Error(`token for push: ${r.status}`);
    return `Bearer ${(await r.json()).token}`;
  }
  async function uploadBlob(repo, authz, bytes) {
    const digest = sha256(bytes);
    const start = await fetch(`${base}/v2/${repo}/blobs/uploads/`, { method: 'POST', headers: { authorization: authz } });
    if (start.status !== 202) throw new Error(`blob upload start: ${start.status} ${await start.text()}`);
    const loc = new URL(start.headers.get('location'), base);
    loc.searchParams.set('digest', digest);
    const put = await fetch(loc, { method: 'PUT', body: bytes,
      headers: { authorization: authz, 'content-type': 'application/octet-stream', 'content-length': String(bytes.length) } });
    if (put.status !== 201) throw new Error(`blob upload: ${put.status} ${await put.text()}`);
    return { digest, size: bytes.length };
  }
  // Pushes a one-layer runnable image (./image.mjs) as repo:tag; returns its digest. The labels
  // make each repo:tag's image its own.
  async function pushImage(repo, tag, user = Object.keys(users)[0]) {
    const authz = await authFor(user, repo);
    const tar = rootfsTar();
    const { gzipSync } = await import('node:zlib');
    const layer = gzipSync(tar);
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux',
      config: { Cmd: CMD, Labels: { 'org.wharf.test': `${repo}:${tag}` } },
      rootfs: { type: 'layers', diff_ids: [sha256(tar)] } }));
    const l = await uploadBlob(repo, authz, layer);
    const c = await uploadBlob(repo, authz, config);
    const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2,
      mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
      config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: c.size, digest: c.digest },
      layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', size: l.size, digest: l.digest }] }));
    const put = await fetch(`${base}/v2/${repo}/manifests/${tag}`, { method: 'PUT', body: manifest,
      headers: { authorization: authz, 'content-type': 'application/vnd.docker.distribution.manifest.v2+json' } });
    if (put.status !== 201) throw new Error(`manifest put: ${put.status} ${await put.text()}`);
    return sha256(manifest);
  }
  // htpasswd mode: gives `user` a new password, as an operator rotating it would; the registry
  // reads the changed file at the next request.
  function setPassword(user, pass) {
    if (mode !== 'htpasswd') throw new Error('setPassword needs htpasswd mode');
    users[user] = pass;
    const lines = Object.entries(users).map(([u, p]) => execFileSync('htpasswd', ['-Bbn', u, p], { encoding: 'utf8' }).trim());
    writeFileSync(path.join(dir, 'htpasswd.new'), lines.join('\n') + '\n');
    renameSync(path.join(dir, 'htpasswd.new'), path.join(dir, 'htpasswd'));
  }
  return {
    host, base, users, dir, token,
    logs: () => logs,
    pushImage,
    setPassword,
    async stop() {
      if (proc.exitCode === null) {
        await new Promise((resolve) => { proc.once('exit', resolve); proc.kill('SIGTERM'); });
      }
      token?.server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
