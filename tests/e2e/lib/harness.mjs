// Test harness: starts real servers (wharf, maildev) on 127.0.0.1 with free ports and temp dirs.
// A component that cannot start fails the test; nothing is ever skipped.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { fileURLToPath } from 'node:url';

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

export async function startWharf({ smtpPort, args = [], env = {}, dataDir, strictTargets = false } = {}) {
  const dir = dataDir || mkdtempSync(path.join(os.tmpdir(), 'wharf-e2e-'));
  const fullArgs = ['serve', '--listen', '127.0.0.1:0', '--data-dir', dir, ...(strictTargets ? [] : ['--allow-private-targets']), ...args];
  if (smtpPort) fullArgs.push('--smtp-url', `smtp://127.0.0.1:${smtpPort}`, '--smtp-from', 'wharf@test.local');
  // Every wharf runs in its own mount namespace whose /etc/resolv.conf points at 127.0.0.1, where
  // nothing answers: no DNS query made by a test ever leaves loopback.
  const resolv = path.join(os.tmpdir(), 'wharf-e2e-resolv.conf');
  writeFileSync(resolv, 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n');
  const proc = spawn('unshare', ['--mount', '--propagation', 'private', 'sh', '-c',
    `mount --bind ${resolv} /etc/resolv.conf && exec "$0" "$@"`, WHARF_BIN, ...fullArgs],
  { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  const server = { proc, dataDir: dir, logs: '', url: null, exited: null };
  proc.stdout.on('data', (d) => { server.logs += d; });
  proc.stderr.on('data', (d) => { server.logs += d; });
  proc.on('exit', (code, sig) => { server.exited = { code, sig }; });
  await waitFor(() => {
    if (server.exited) throw new Error(`wharf exited ${JSON.stringify(server.exited)}: ${server.logs}`);
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
  return { status: r.status, headers: r.headers, json, text };
}

export function uniqueEmail(name) {
  return `${name}-${crypto.randomBytes(4).toString('hex')}@example.test`;
}

export async function signup(base, name, extra = {}) {
  const email = extra.email || uniqueEmail(name);
  const password = `correct-horse-battery-${crypto.randomBytes(4).toString('hex')}`;
  const r = await api(base, 'POST', '/api/v1/auth/signup', { body: { email, password, name, ...extra.body } });
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
