// Test harness: starts real servers (wharf, maildev, PostgreSQL) on 127.0.0.1 with free ports and
// temp dirs. A component that cannot start fails the test; nothing is ever skipped.
//
// WHARF_E2E_DATABASE=postgres (run.mjs sets it on its second pass) makes every startWharf use
// PostgreSQL: one server per test file (startPostgres), one database per wharf data dir.
import { spawn, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { checkResponse } from './openapi_check.mjs';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const WHARF_BIN = process.env.WHARF_BIN || path.join(ROOT, 'build/src/server/wharf');

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function waitFor(fn, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      if (await fn()) return;
    } catch (e) {
      if (e.fatal) throw e;  // e.g. the process exited: waiting longer cannot help
      last = e;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ''}`);
}

export async function startMaildev() {
  const smtpPort = await freePort();
  const webPort = await freePort();
  const bin = path.join(ROOT, 'tests/e2e/node_modules/.bin/maildev');
  const proc = spawn(bin, ['--smtp', String(smtpPort), '--web', String(webPort), '--ip', '127.0.0.1',
    '--web-ip', '127.0.0.1', '--silent'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  proc.stdout.on('data', (d) => { output += d; });
  proc.stderr.on('data', (d) => { output += d; });
  const base = `http://127.0.0.1:${webPort}`;
  await waitFor(async () => (await fetch(`${base}/api/email`)).ok, 15000, `maildev (${output})`);
  return {
    smtpPort,
    webPort,
    async messages() {
      const r = await fetch(`${base}/api/email`);
      return r.json();
    },
    async waitForMessageTo(address) {
      let found;
      await waitFor(async () => {
        const all = await this.messages();
        found = all.find((m) => (m.to || []).some((t) => t.address.toLowerCase() === address.toLowerCase()));
        return !!found;
      }, 10000, `an email to ${address}`);
      return found;
    },
    async clear() { await fetch(`${base}/api/email/all`, { method: "DELETE" }); },
    stop() { proc.kill('SIGTERM'); },
  };
}

// The newest /usr/lib/postgresql/<version>/bin holding initdb (or $WHARF_PG_BIN).
function pgBinDir() {
  if (process.env.WHARF_PG_BIN) return process.env.WHARF_PG_BIN;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(path.join(root, v, 'bin/initdb'))) : [];
  versions.sort((a, b) => Number(b) - Number(a));
  if (!versions.length) throw new Error('PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): run `make deps`');
  return path.join(root, versions[0], 'bin');
}

// Starts a throwaway PostgreSQL: initdb in a temp dir (as the postgres OS user when running as
// root: PostgreSQL refuses root), listening on 127.0.0.1 on a free port, its unix socket in the
// temp dir, trust auth. Returns {port, url(db), createDatabase(name), psql(db, sql), dump(db), stop()}.
export async function startPostgres() {
  const bin = pgBinDir();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-pg-'));
  const asRoot = process.getuid() === 0;
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }));
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }));
    chownSync(dir, uid, gid);
  }
  const asPostgres = (cmd, args) => (asRoot
    ? execFileSync('runuser', ['-u', 'postgres', '--', path.join(bin, cmd), ...args], { encoding: 'utf8', stdio: 'pipe' })
    : execFileSync(path.join(bin, cmd), args, { encoding: 'utf8', stdio: 'pipe' }));
  const data = path.join(dir, 'data');
  asPostgres('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-locale', '--no-sync', '--no-instructions']);
  const port = await freePort();
  const opts = `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300`;
  try {
    asPostgres('pg_ctl', ['-D', data, '-l', path.join(dir, 'server.log'), '-w', '-t', '60', '-o', opts, 'start']);
  } catch (e) {
    let log = '';
    try { log = readFileSync(path.join(dir, 'server.log'), 'utf8'); } catch {}
    throw new Error(`PostgreSQL did not start: ${e.stderr || e.message}\n${log}`);
  }
  const pg = {
    port,
    dir,
    url: (db = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${db}`,
    psql: (db, sql) => execFileSync(path.join(bin, 'psql'), ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-h', '127.0.0.1',
      '-p', String(port), '-U', 'postgres', '-d', db, '-c', sql], { encoding: 'utf8' }).trim(),
    createDatabase(name) {
      if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`bad database name ${name}`);
      pg.psql('postgres', `CREATE DATABASE ${name}`);
      return pg.url(name);
    },
    // Every byte the database holds for `db`, as pg_dump writes it (for "no plaintext secret" checks).
    dump: (db) => execFileSync(path.join(bin, 'pg_dump'), ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', db], { encoding: 'latin1', maxBuffer: 1 << 28 }),
    stopped: false,
    stop() {
      if (pg.stopped) return;
      pg.stopped = true;
      try { asPostgres('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']); } catch {}
      try { rmSync(dir, { recursive: true, force: true }); } catch {}
    },
  };
  return pg;
}

export const E2E_DATABASE = process.env.WHARF_E2E_DATABASE === 'postgres' ? 'postgres' : 'sqlite';

// One PostgreSQL per test process, stopped when the process exits.
let sharedPg;
export function sharedPostgres() {
  if (!sharedPg) {
    sharedPg = startPostgres();
    sharedPg.then((pg) => {
      process.on('exit', () => pg.stop());
      for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => { pg.stop(); process.exit(1); });
    }, () => {});
  }
  return sharedPg;
}

// The environment that points wharf (serve or admin) at the database of `dataDir`: {} on SQLite
// (the data dir's own wharf.db), else WHARF_DATABASE_URL of a PostgreSQL database created for
// this data dir on first use and reused after (restarts keep their data).
const databases = new Map();
export async function databaseEnv(dataDir) {
  if (E2E_DATABASE !== 'postgres') return {};
  if (!databases.has(dataDir)) {
    const pg = await sharedPostgres();
    databases.set(dataDir, pg.createDatabase(`wharf_${crypto.randomBytes(6).toString('hex')}`));
  }
  return { WHARF_DATABASE_URL: databases.get(dataDir) };
}

// The bytes a server's database holds (SQLite file + WAL, or a pg_dump), to check for plaintext.
export async function databaseBytes(server) {
  const env = await databaseEnv(server.dataDir);
  if (env.WHARF_DATABASE_URL) {
    const pg = await sharedPostgres();
    return pg.dump(env.WHARF_DATABASE_URL.split('/').pop());
  }
  const db = readFileSync(path.join(server.dataDir, 'wharf.db'));
  let wal = Buffer.alloc(0);
  try { wal = readFileSync(path.join(server.dataDir, 'wharf.db-wal')); } catch {}
  return Buffer.concat([db, wal]).toString('latin1');
}

// listen: the address to serve on (default 127.0.0.1 on a free port); tests that need a fixed
// port (a public URL on localhost for WebAuthn) pass one.
export async function startWharf({ smtpPort, args = [], env = {}, dataDir, strictTargets = false, signup = 'open', listen = '127.0.0.1:0' } = {}) {
  const dir = dataDir || mkdtempSync(path.join(os.tmpdir(), 'wharf-e2e-'));
  env = { ...(args.includes('--database') ? {} : await databaseEnv(dir)), ...env };
  // Tests sign up many accounts: open sign-up unless the test chooses a policy itself, or passes
  // signup: null to run with the default policy (first-user; see signup_policy.test.mjs).
  const signupArgs = !signup || args.includes('--signup') || env.WHARF_SIGNUP ? [] : ['--signup', signup];
  // Deploys are watched after start for 1 s unless a test asks otherwise (the default 60 s would
  // hold every image deploy a minute).
  const watchArgs = args.includes('--watch-after-start-seconds') ? [] : ['--watch-after-start-seconds', '1'];
  const fullArgs = ['serve', '--listen', listen, '--data-dir', dir, ...(strictTargets ? [] : ['--allow-private-targets']), ...signupArgs, ...watchArgs, ...args];
  if (smtpPort) fullArgs.push('--smtp-url', `smtp://127.0.0.1:${smtpPort}`, '--smtp-from', 'wharf@test.local');
  // Every wharf runs in its own mount namespace whose /etc/resolv.conf points at 127.0.0.1, where
  // nothing answers: no DNS query made by a test ever leaves loopback.
  const resolv = path.join(os.tmpdir(), 'wharf-e2e-resolv.conf');
  writeFileSync(resolv, 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n');
  const proc = spawn('unshare', ['--mount', '--propagation', 'private', 'sh', '-c',
    `mount --bind ${resolv} /etc/resolv.conf && exec "$0" "$@"`, WHARF_BIN, ...fullArgs],
  { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  const server = { proc, dataDir: dir, env, logs: '', url: null, exited: null };
  proc.stdout.on('data', (d) => { server.logs += d; });
  proc.stderr.on('data', (d) => { server.logs += d; });
  proc.on('exit', (code, sig) => { server.exited = { code, sig }; });
  proc.on('close', () => { server.closed = true; });  // after 'exit', once stdout/stderr are read to the end
  await waitFor(() => {
    if (server.exited && server.closed) throw Object.assign(new Error(`wharf exited ${JSON.stringify(server.exited)}: ${server.logs}`), { fatal: true });
    const m = server.logs.match(/"event":"ready"[^\n]*"url":"(http:\/\/127\.0\.0\.1:\d+)"/) ||
      server.logs.match(/"url":"(http:\/\/127\.0\.0\.1:\d+)"[^\n]*"event":"ready"/);
    if (m) server.url = m[1];
    return !!server.url;
  }, 10000, `wharf to be ready (${WHARF_BIN})`);
  server.stop = () => new Promise((resolve) => {
    if (server.exited) return resolve(server.exited);
    proc.once('exit', (code, sig) => resolve({ code, sig }));
    proc.kill('SIGTERM');
  });
  server.kill9 = () => new Promise((resolve) => {
    if (server.exited) return resolve(server.exited);
    proc.once('exit', (code, sig) => resolve({ code, sig }));
    proc.kill('SIGKILL');
  });
  server.cleanup = () => { try { rmSync(dir, { recursive: true, force: true }); } catch {} };
  return server;
}

// Calls the API. Returns {status, headers, json, text}.
export async function api(base, method, p, { token, body, headers = {}, raw } = {}) {
  const h = { ...headers };
  if (token) h.authorization = `Bearer ${token}`;
  let payload;
  if (raw !== undefined) payload = raw;
  else if (body !== undefined) {
    payload = JSON.stringify(body);
    h['content-type'] = h['content-type'] || 'application/json';
  }
  const r = await fetch(base + p, { method, headers: h, body: payload, redirect: 'manual' });
  const text = await r.text();
  let json;
  try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
  await checkResponse(base, method, p, r.status, r.headers, json, text);
  return { status: r.status, headers: r.headers, json, text };
}

// Like api(), from the loopback source address `from` (127.0.0.2, 127.0.0.3, …: Linux routes all
// of 127.0.0.0/8 to lo), so the server sees another client address.
export function apiFrom(from, base, method, p, { token, body, headers = {} } = {}) {
  const h = { ...headers };
  if (token) h.authorization = `Bearer ${token}`;
  const payload = body === undefined ? undefined : JSON.stringify(body);
  if (payload !== undefined) h['content-type'] = 'application/json';
  return new Promise((resolve, reject) => {
    const req = http.request(base + p, { method, headers: h, localAddress: from, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { text += d; });
      res.on('end', () => {
        let json;
        try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
        const hs = new Headers(Object.entries(res.headers).map(([k, v]) => [k, String(v)]));
        checkResponse(base, method, p, res.statusCode, hs, json, text)
          .then(() => resolve({ status: res.statusCode, headers: hs, json, text }), reject);
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

export function uniqueEmail(name) {
  return `${name}-${crypto.randomBytes(4).toString('hex')}@example.test`;
}

export async function signup(base, name, extra = {}) {
  const email = extra.email || uniqueEmail(name);
  const password = `correct-horse-battery-${crypto.randomBytes(4).toString('hex')}`;
  const r = await api(base, 'POST', '/api/v1/auth/signup', { body: { email, password, name, ...extra.body } });
  if (r.status === 202) {
    // Open sign-up with SMTP answers "check your email" (no session): sign in, as a person would.
    const login = await api(base, 'POST', '/api/v1/auth/login', { body: { email, password } });
    if (login.status !== 200) throw new Error(`login after signup ${name} failed: ${login.status} ${login.text}`);
    const me = await api(base, 'GET', '/api/v1/me', { token: login.json.token });
    const org = await api(base, 'GET', `/api/v1/orgs/${me.json.orgs[0].slug}`, { token: login.json.token });
    return { ...login.json, org: org.json, email, password };
  }
  if (r.status !== 201) throw new Error(`signup ${name} failed: ${r.status} ${r.text}`);
  return { ...r.json, email, password };
}

// Creates a custom role in org and a member holding it (via invitation link + signup).
export async function memberWithRole(base, admin, name, permissions, extra = {}) {
  const role = await api(base, 'POST', `/api/v1/orgs/${admin.org.slug}/roles`, {
    token: admin.token, body: { name: extra.roleName || `${name}-role`, permissions, ...(extra.resource_scope ? { resource_scope: extra.resource_scope } : {}) },
  });
  if (role.status !== 201) throw new Error(`role create failed: ${role.status} ${role.text}`);
  const email = uniqueEmail(name);
  const inv = await api(base, 'POST', `/api/v1/orgs/${admin.org.slug}/invitations`, {
    token: admin.token, body: { email, role_id: role.json.id, send_email: false },
  });
  if (inv.status !== 201) throw new Error(`invite failed: ${inv.status} ${inv.text}`);
  const token = inv.json.link.split('/invite/')[1];
  const user = await signup(base, name, { email, body: { invitation_token: token } });
  return { ...user, role: role.json };
}

export function sshKeygen(comment = 'test@wharf') {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-key-'));
  const file = path.join(dir, 'id');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file]);
  const pub = readFileSync(`${file}.pub`, 'utf8').trim();
  const priv = readFileSync(file, 'utf8');
  const fp = execFileSync('ssh-keygen', ['-l', '-f', `${file}.pub`], { encoding: 'utf8' }).split(' ')[1];
  rmSync(dir, { recursive: true, force: true });
  return { pub, priv, fingerprint: fp };
}

// Reads a ustar archive into {name: text}.
export function untar(buf) {
  const files = {};
  for (let off = 0; off + 512 <= buf.length;) {
    const name = buf.subarray(off, off + 100).toString().replace(/\0.*$/s, '');
    if (!name) break;
    const size = parseInt(buf.subarray(off + 124, off + 136).toString().replace(/\0.*$/s, '').trim(), 8);
    files[name] = buf.subarray(off + 512, off + 512 + size).toString();
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return files;
}
