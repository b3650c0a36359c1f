// Operating safely (docs/operations.md, docs/security.md "Operating safely"): one serve per data
// directory (a lock naming the running pid), owner-only modes on the data directory and its files,
// SMTP plain text only when asked for (and warned about), and admin commands that say which data
// directory they use and never invent an empty one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startWharf, startMaildev, api, signup, uniqueEmail, databaseEnv, WHARF_BIN } from './lib/harness.mjs';

const mode = (p) => statSync(p).mode & 0o777;

// Regression (issue 23-13): a second serve on the same data directory started silently.
test('a second serve on the same data directory fails naming the running pid', async () => {
  const s = await startWharf();
  try {
    const lock = path.join(s.dataDir, 'wharf.lock');
    assert.equal(readFileSync(lock, 'utf8').trim(), String(s.proc.pid));
    const env = { ...process.env, ...(await databaseEnv(s.dataDir)) };
    const second = spawnSync(WHARF_BIN, ['serve', '--listen', '127.0.0.1:0', '--data-dir', s.dataDir, '--allow-private-targets'],
      { encoding: 'utf8', env, timeout: 15000 });
    assert.equal(second.status, 1, `second serve: ${second.status} ${second.stderr}`);
    assert.match(second.stderr, new RegExp(`another Wharf process \\(pid ${s.proc.pid}\\) is using the data directory`));
    assert.ok(!second.stdout.includes('Wharf is running'));
    // rotate-master-key and restore would pull the key or the database from under it: refused too.
    const rot = spawnSync(WHARF_BIN, ['admin', 'rotate-master-key', '--data-dir', s.dataDir], { encoding: 'utf8', env });
    assert.equal(rot.status, 1);
    assert.match(rot.stderr, new RegExp(`pid ${s.proc.pid}`));
    // The first one keeps serving.
    assert.equal((await api(s.url, 'GET', '/healthz')).status, 200);
    const dir = s.dataDir;
    await s.stop();
    const again = await startWharf({ dataDir: dir });  // the lock went with the process
    await again.stop();
  } finally { s.cleanup(); }
});

// Regression (issue 23-14): wharf.db, its WAL and SHM were created 0644.
test('the data directory is 0700 and its files 0600; looser modes are fixed with a log line', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-modes-'));
  chmodSync(dir, 0o755);
  const notes = path.join(dir, 'notes.txt');
  writeFileSync(notes, 'left here by an operator\n', { mode: 0o644 });
  chmodSync(notes, 0o644);
  const s = await startWharf({ dataDir: dir });
  try {
    const u = await signup(s.url, 'modes');  // writes: the WAL and SHM exist on SQLite
    assert.equal(u.org.slug.length > 0, true);
    assert.equal(mode(dir), 0o700);
    const files = ['master.key', 'wharf.log', 'wharf.lock', 'notes.txt'];
    if (!s.env.WHARF_DATABASE_URL) files.push('wharf.db', 'wharf.db-wal', 'wharf.db-shm');
    for (const f of files) {
      assert.ok(existsSync(path.join(dir, f)), `${f} exists`);
      assert.equal(mode(path.join(dir, f)), 0o600, `${f} is ${mode(path.join(dir, f)).toString(8)}`);
    }
    const fixed = s.logs.split('\n').filter((l) => l.includes('"event":"data_dir_mode_fixed"')).map((l) => JSON.parse(l));
    assert.ok(fixed.some((l) => l.path === notes && l.was === '0644' && l.now === '0600'), s.logs);
  } finally { await s.stop(); s.cleanup(); }
});

// Issue 23-9: plain-text SMTP is allowed to loopback or with --smtp-allow-plain, which is logged at
// start (the TLS policy for other hosts is unit-tested: http_client_test SmtpTlsPolicy.*).
test('--smtp-allow-plain is warned about at start, and mail still reaches maildev on 127.0.0.1', async () => {
  const mail = await startMaildev();
  const s = await startWharf({ smtpPort: mail.smtpPort, args: ['--smtp-allow-plain'] });
  try {
    const warn = s.logs.split('\n').find((l) => l.includes('"event":"smtp_allow_plain"'));
    assert.ok(warn, s.logs);
    assert.equal(JSON.parse(warn).level, 'warn');
    const ada = await signup(s.url, 'ada');
    const roles = await api(s.url, 'GET', `/api/v1/orgs/${ada.org.slug}/roles`, { token: ada.token });
    const role = roles.json.items.find((r) => r.name !== 'Admin') || roles.json.items[0];
    const email = uniqueEmail('bob');
    const inv = await api(s.url, 'POST', `/api/v1/orgs/${ada.org.slug}/invitations`, { token: ada.token, body: { email, role_id: role.id } });
    assert.equal(inv.status, 201, inv.text);
    assert.equal(inv.json.email_status, 'sent');
    assert.match((await mail.waitForMessageTo(email)).subject, /invited/);
  } finally { await s.stop(); s.cleanup(); mail.stop(); }
  // Without the flag (loopback needs none) nothing is warned.
  const quiet = await startWharf({ smtpPort: mail.smtpPort });
  try {
    assert.ok(!quiet.logs.includes('smtp_allow_plain'));
  } finally { await quiet.stop(); quiet.cleanup(); }
});

// Regression (issue 23-16): admin commands defaulted to ./wharf-data silently and created it.
test('admin commands print the data directory and refuse a missing one unless --create', async () => {
  const base = mkdtempSync(path.join(os.tmpdir(), 'wharf-admin-dir-'));
  const missing = path.join(base, 'typo');
  const env = { ...process.env, ...(await databaseEnv(missing)) };
  delete env.WHARF_DATA_DIR;
  const m = spawnSync(WHARF_BIN, ['admin', 'migrate', '--data-dir', missing], { encoding: 'utf8', env });
  assert.equal(m.status, 2, m.stderr);
  assert.match(m.stderr, new RegExp(`data directory ${missing} \\(--data-dir\\)`));
  assert.match(m.stderr, /no data directory at .*typo; give the right --data-dir, or add --create/);
  assert.ok(!existsSync(missing), 'nothing was created');
  for (const args of [['create-user', '--email', 'x@example.test', '--name', 'X'], ['rotate-master-key'],
    ['backup', '--out', path.join(base, 'snap.db')], ['restore', '--from', path.join(base, 'snap.db')]]) {
    const r = spawnSync(WHARF_BIN, ['admin', ...args, '--data-dir', missing], { encoding: 'utf8', env, input: 'a-long-enough-password\n' });
    assert.notEqual(r.status, 0, `${args[0]}: ${r.stderr}`);
    assert.match(r.stderr, /no data directory at/, args[0]);
    assert.ok(!existsSync(missing), `${args[0]} created the directory`);
  }
  // The default is named as such, relative to the working directory.
  const d = spawnSync(WHARF_BIN, ['admin', 'migrate'], { encoding: 'utf8', env, cwd: base });
  assert.equal(d.status, 2);
  assert.match(d.stderr, new RegExp(`data directory ${base}/(\\./)?wharf-data \\(the default; pass --data-dir or set WHARF_DATA_DIR`));
  // WHARF_DATA_DIR is the flag's twin.
  const e = spawnSync(WHARF_BIN, ['admin', 'migrate'], { encoding: 'utf8', env: { ...env, WHARF_DATA_DIR: missing }, cwd: base });
  assert.match(e.stderr, /\(WHARF_DATA_DIR\)/);
  // --create makes it, owner-only.
  const c = spawnSync(WHARF_BIN, ['admin', 'migrate', '--data-dir', missing, '--create'], { encoding: 'utf8', env });
  assert.equal(c.status, 0, c.stderr);
  assert.match(c.stderr, /created .*typo \(mode 0700\)/);
  assert.equal(mode(missing), 0o700);
  // bootstrap sets up a new instance, so it creates a missing directory (and says so).
  const fresh = path.join(base, 'fresh');
  const pw = path.join(base, 'pw');
  writeFileSync(pw, 'a-long-enough-password\n');
  const b = spawnSync(WHARF_BIN, ['admin', 'bootstrap', '--data-dir', fresh, '--email', uniqueEmail('root'), '--name', 'Root', '--password-file', pw],
    { encoding: 'utf8', env: { ...process.env, ...(await databaseEnv(fresh)) } });
  assert.equal(b.status, 0, b.stderr);
  assert.match(b.stderr, /created .*fresh \(mode 0700\)/);
  assert.equal(mode(fresh), 0o700);
  assert.equal(mode(path.join(fresh, 'master.key')), 0o600);
});
