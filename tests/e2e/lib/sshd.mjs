// A real OpenSSH sshd on 127.0.0.1 standing in for a worker node.
//
// - Users: `wharf-node` (passwordless sudo) and `wharf-nosudo` (no sudo), created on first use
//   (tests run as root, as CI does). Their password field is `*`, so sshd (without PAM) lets them
//   in with a key but not with a password.
// - Each sshd runs in its own mount namespace where /etc/resolv.conf points at 127.0.0.1 (nothing
//   answers there), so no DNS query leaves loopback, and where /etc/os-release can be swapped to
//   play another OS. `df`, `sudo`, `getent` and `cat /etc/os-release` are the real commands.
// - `dokku` on the users' PATH is a stand-in (dokku_standin.py) that records each argv and answers
//   like the Dokku version it reports. `docker` is Debian's real CLI talking to a real engine
//   (./dockerd.mjs: one dockerd per test file, 127.0.0.1 only), its argv recorded too; the users
//   are in the engine socket's group, as Dokku's user is. Tests can remove either (missing), set
//   the Dokku version, or really stop the engine (dockerDown).
// - The node's PATH is its own: bin/ comes first, and a command a test removes is replaced there
//   by one that answers "not found" (exit 127), so a tool installed on the test machine itself
//   (Docker, say) never stands in for one the node lacks.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, readdirSync, rmSync, chmodSync, existsSync, mkdirSync, unlinkSync, openSync, writeSync, closeSync } from 'node:fs';
import crypto from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { freePort } from './harness.mjs';
import { engine, DOCKER as DOCKER_CLI } from './dockerd.mjs';

export const NODE_USER = 'wharf-node';
export const NOSUDO_USER = 'wharf-nosudo';

function ensureUser(name, sudo) {
  try {
    execFileSync('id', [name], { stdio: 'ignore' });
  } catch {
    execFileSync('useradd', ['-m', '-s', '/bin/bash', name]);
  }
  execFileSync('usermod', ['-p', '*', name]);
  // The engine's socket group (Debian's docker.io creates it), as Dokku's user is on a node.
  execFileSync('usermod', ['-aG', 'docker', name]);
  const f = `/etc/sudoers.d/${name}`;
  // The stand-ins live on a per-test PATH, so sudo keeps PATH and the stand-ins' state directory.
  if (sudo) writeFileSync(f, `Defaults:${name} !secure_path, env_keep += "PATH WHARF_STANDIN_DIR"\n${name} ALL=(ALL) NOPASSWD:ALL\n`, { mode: 0o440 });
  else if (existsSync(f)) unlinkSync(f);
}

// The Dokku stand-in (dokku_standin.py): behaves like the Dokku version it reports, from the facts
// in ../shared/testdata/dokku/README.md (usage, flags and arity per version; the plugins' DSNs and
// link variables).
const DOKKU = readFileSync(new URL('./dokku_standin.py', import.meta.url), 'utf8');
// The node's docker: the real CLI on the test engine's socket, each argv recorded.
const dockerWrapper = (sock) => `#!/bin/sh
printf '%s\\0' "$#" "$@" >> "$WHARF_STANDIN_DIR/docker-argv"
DOCKER_HOST=unix://${sock} exec ${DOCKER_CLI} "$@"
`;

// The DSN a datastore plugin prints for `service` (facts: ../shared/testdata/dokku/README.md).
export function pluginDsn(kind, service, password) {
  const host = `dokku-${kind}-${service.replace(/[._]/g, '-')}`;
  const [scheme, user, port] = {
    postgres: ['postgres', 'postgres', 5432], mysql: ['mysql', 'mysql', 3306], mariadb: ['mysql', 'mariadb', 3306],
    mongo: ['mongodb', service, 27017], redis: ['redis', '', 6379],
  }[kind];
  return kind === 'redis' ? `${scheme}://:${password}@${host}:${port}` : `${scheme}://${user}:${password}@${host}:${port}/${service}`;
}

// Parses the stand-ins' records: "<argc>\0<arg>\0<arg>\0..." repeated.
function readCalls(file) {
  if (!existsSync(file)) return [];
  const parts = readFileSync(file, 'utf8').split('\0');
  const calls = [];
  for (let i = 0; i < parts.length - 1;) {
    const n = Number(parts[i++]);
    calls.push(parts.slice(i, i + n));
    i += n;
  }
  return calls;
}

export async function startSshd({ port, hostKeyType = 'ed25519', osRelease, firewall = 'nftables' } = {}) {
  const dk = await engine();
  ensureUser(NODE_USER, true);
  ensureUser(NOSUDO_USER, false);
  mkdirSync('/run/sshd', { recursive: true });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-sshd-'));
  chmodSync(dir, 0o755);
  const bin = path.join(dir, 'bin');
  mkdirSync(bin);
  chmodSync(bin, 0o755);
  writeFileSync(path.join(bin, 'dokku'), DOKKU, { mode: 0o755 });
  writeFileSync(path.join(bin, 'docker'), dockerWrapper(dk.sock), { mode: 0o755 });
  // The node's host firewall: the real nft, applied inside a network namespace of its own, so that
  // the rules are real kernel rules but the CI machine's own firewall is never touched.
  const netns = `wharf-fw-${path.basename(dir).slice(-6).toLowerCase()}`;
  execFileSync('ip', ['netns', 'add', netns]);
  // ufw also keeps state in /etc/ufw and /etc/default/ufw: a ufw node gets private copies, bound
  // over the real ones in a mount namespace. The firewall the node does not have answers 127.
  const missing = (name) => `#!/bin/sh\necho "${name}: command not found" >&2\nexit 127\n`;
  const ufwWrapper = `#!/bin/sh\nexec unshare --mount --propagation private sh -c 'mount --bind ${dir}/etc-ufw /etc/ufw && ` +
    `mount --bind ${dir}/default-ufw /etc/default/ufw && exec ip netns exec ${netns} /usr/sbin/ufw "$@"' ufw "$@"\n`;
  if (firewall === 'ufw') {
    execFileSync('cp', ['-a', '/etc/ufw', path.join(dir, 'etc-ufw')]);
    execFileSync('cp', ['/etc/default/ufw', path.join(dir, 'default-ufw')]);
    writeFileSync(path.join(bin, 'ufw'), ufwWrapper, { mode: 0o755 });
    writeFileSync(path.join(bin, 'nft'), missing('nft'), { mode: 0o755 });
  } else {
    writeFileSync(path.join(bin, 'nft'), `#!/bin/sh\nexec ip netns exec ${netns} /usr/sbin/nft "$@"\n`, { mode: 0o755 });
    writeFileSync(path.join(bin, 'ufw'), missing('ufw'), { mode: 0o755 });
  }
  const standin = path.join(dir, 'standin');
  mkdirSync(standin);
  chmodSync(standin, 0o777);
  writeFileSync(path.join(standin, 'dokku-version'), '0.38.27\n', { mode: 0o666 });  // the pinned version
  writeFileSync(path.join(standin, 'dokku.standin'), DOKKU, { mode: 0o755 });
  const keys = path.join(dir, 'authorized');
  mkdirSync(keys);
  chmodSync(keys, 0o755);
  writeFileSync(path.join(dir, 'resolv.conf'), 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n');
  const hostKey = path.join(dir, 'host_key');
  execFileSync('ssh-keygen', ['-q', '-t', hostKeyType, '-N', '', '-f', hostKey]);
  port = port || await freePort();
  const writeConfig = () => writeFileSync(path.join(dir, 'sshd_config'), [
    `Port ${port}`, 'ListenAddress 127.0.0.1', `HostKey ${hostKey}`, `PidFile ${dir}/sshd.pid`,
    `AuthorizedKeysFile ${keys}/%u`, 'StrictModes no', 'UsePAM no', 'PasswordAuthentication no',
    'KbdInteractiveAuthentication no', 'PubkeyAuthentication yes', 'PermitRootLogin no',
    `AllowUsers ${NODE_USER} ${NOSUDO_USER}`, `SetEnv PATH=${bin}:/usr/sbin:/usr/bin:/sbin:/bin WHARF_STANDIN_DIR=${standin}`,
    'LogLevel VERBOSE', 'MaxStartups 200:30:400', 'MaxSessions 50', '',
  ].join('\n'));
  writeConfig();
  if (osRelease) writeFileSync(path.join(dir, 'os-release'), osRelease);
  let proc;
  let output = '';
  const start = async () => {
    const mounts = [`mount --bind ${dir}/resolv.conf /etc/resolv.conf`];
    if (existsSync(path.join(dir, 'os-release'))) mounts.push(`mount --bind ${dir}/os-release /etc/os-release`);
    proc = spawn('unshare', ['--mount', '--propagation', 'private', 'sh', '-c',
      `${mounts.join(' && ')} && exec /usr/sbin/sshd -D -e -f ${dir}/sshd_config`], { stdio: ['ignore', 'pipe', 'pipe'] });
    proc.stdout.on('data', (d) => { output += d; });
    proc.stderr.on('data', (d) => { output += d; });
    const deadline = Date.now() + 10000;
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`sshd exited: ${output}`);
      const ok = await new Promise((resolve) => {
        const c = net.connect(port, '127.0.0.1', () => { c.destroy(); resolve(true); });
        c.on('error', () => resolve(false));
      });
      if (ok) break;
      if (Date.now() > deadline) throw new Error(`sshd did not listen on ${port}: ${output}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const stop = async () => {
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    await exited;
  };
  await start();
  return {
    port,
    dir,
    host: '127.0.0.1',
    get output() { return output; },
    hostKeyFingerprint() {
      return execFileSync('ssh-keygen', ['-lf', `${hostKey}.pub`], { encoding: 'utf8' }).split(' ')[1];
    },
    authorize(user, pub) { writeFileSync(path.join(keys, user), `${pub.trim()}\n`, { mode: 0o644 }); },
    // What onboarding downloads instead of dokku.com's bootstrap.sh: installs the stand-in.
    bootstrapScript({ sleep = 0 } = {}) {
      return `#!/bin/bash\nset -e\necho "-----> Installing dokku $DOKKU_TAG (stand-in)"\n${sleep ? `sleep ${sleep}\n` : ''}` +
        `install -m 755 ${standin}/dokku.standin ${bin}/dokku\necho "\${DOKKU_TAG#v}" > ${standin}/dokku-version\necho "-----> Done"\n`;
    },
    dokkuVersion(v) { writeFileSync(path.join(standin, 'dokku-version'), `${v}\n`); },
    // Makes `name` absent on the node: its PATH finds a command that answers as a missing one does.
    removeStandIn(name) { writeFileSync(path.join(bin, name), missing(name), { mode: 0o755 }); },
    // The node's Docker engine (./dockerd.mjs): engine.docker([...]), engine.containers().
    engine: dk,
    // Really stops (down) or starts the engine; the node's docker then answers as on a real node.
    async dockerDown(down = true) {
      if (down) await dk.stop();
      else if (!dk.running) await dk.start();
    },
    // The containers this node's Dokku runs (`docker ps -a` on the engine, by the stand-in's label).
    containers() { return dk.containers([`label=com.wharf.standin=${standin}`]); },
    dokkuCalls() { return readCalls(path.join(standin, 'dokku-argv')); },
    // What the Dokku stand-in holds for an app: its config (decoded), domains, ports, state.
    dokkuApp(app) {
      const d = path.join(standin, 'apps', app);
      if (!existsSync(d)) return null;
      const read = (f) => (existsSync(path.join(d, f)) ? readFileSync(path.join(d, f), 'utf8') : null);
      const env = {};
      for (const k of readdirSync(path.join(d, 'env'))) env[k] = readFileSync(path.join(d, 'env', k), 'utf8');
      const lines = (f) => (read(f) || '').split('\n').filter(Boolean);
      return { env, domains: lines('domains'), ports: lines('ports'), state: (read('state') || '').trim(),
        rev: (read('deployed-rev') || '').trim(), image: (read('deployed-image') || '').trim(),
        registryLogin: (read('registry-login') || '').trim(), registryPassword: read('registry-password'),
        letsencrypt: existsSync(path.join(d, 'letsencrypt')) };
    },
    dokkuDatabase(kind, name) {
      const d = path.join(standin, 'db', kind, name);
      if (!existsSync(d)) return null;
      const read = (f) => (existsSync(path.join(d, f)) ? readFileSync(path.join(d, f), 'utf8') : null);
      return { dsn: (read('dsn') || '').trim(), version: (read('version') || '').trim(), data: read('data'),
        links: (read('links') || '').split('\n').filter(Boolean) };
    },
    // Creates a database service on the stand-in (as `<kind>:create` does) holding `data`, or
    // replaces the data of an existing one, as an app writing to it would. `data` is a Buffer or
    // string, or {mib: N}: N MiB of deterministic pseudo-random bytes (an AES-CTR keystream,
    // written 1 MiB at a time), for large-dump tests and the streaming benchmark.
    setDokkuDatabase(kind, name, data) {
      const d = path.join(standin, 'db', kind, name);
      if (!existsSync(d)) {
        mkdirSync(d, { recursive: true });
        for (let p = d; p !== standin; p = path.dirname(p)) chmodSync(p, 0o777);
        writeFileSync(path.join(d, 'version'), 'latest\n', { mode: 0o666 });
        writeFileSync(path.join(d, 'dsn'), `${pluginDsn(kind, name, 'standin')}\n`, { mode: 0o666 });
      }
      const file = path.join(d, 'data');
      if (data && typeof data === 'object' && !Buffer.isBuffer(data) && data.mib) {
        const fd = openSync(file, 'w', 0o666);
        const zeros = Buffer.alloc(1 << 20);
        const ks = crypto.createCipheriv('aes-256-ctr', Buffer.alloc(32, 7), Buffer.alloc(16, 0));
        for (let i = 0; i < data.mib; i++) writeSync(fd, ks.update(zeros));
        closeSync(fd);
      } else {
        writeFileSync(file, data);
      }
      chmodSync(file, 0o666);
      return file;
    },
    // Makes `dokku <command>` fail with `message` on stderr until cleared (message null).
    // Makes the node's git trust `caPem` (a test git server's CA), as a node trusts a public CA.
    trustCa(caPem) { writeFileSync(path.join(standin, 'ca.pem'), caPem, { mode: 0o644 }); },
    dokkuFail(command, message) {
      const f = path.join(standin, `fail-${command}`);
      if (message == null) rmSync(f, { force: true });
      else writeFileSync(f, `${message}\n`, { mode: 0o666 });
    },
    // Makes `dokku <command>` take `seconds` before it runs (a slow build), until cleared (null).
    dokkuSleep(command, seconds) {
      const f = path.join(standin, `sleep-${command}`);
      if (seconds == null) rmSync(f, { force: true });
      else writeFileSync(f, `${seconds}\n`, { mode: 0o666 });
    },
    dockerCalls() { return readCalls(path.join(standin, 'docker-argv')); },
    async restartWithNewHostKey() {
      await stop();
      rmSync(hostKey, { force: true });
      rmSync(`${hostKey}.pub`, { force: true });
      execFileSync('ssh-keygen', ['-q', '-t', hostKeyType, '-N', '', '-f', hostKey]);
      await start();
    },
    netns,
    firewallRules() {
      if (firewall === 'ufw') return execFileSync(path.join(bin, 'ufw'), ['status', 'verbose'], { encoding: 'utf8' });
      return execFileSync('ip', ['netns', 'exec', netns, 'nft', 'list', 'table', 'inet', 'wharf'], { encoding: 'utf8' });
    },
    stop,
    start,  // again after stop(), on the same port and host key
    async cleanup() {
      await stop();
      // What the stand-in left running: its forwarders (Dokku's proxy) and its containers.
      if (existsSync(path.join(standin, 'apps'))) {
        for (const a of readdirSync(path.join(standin, 'apps'))) {
          const f = path.join(standin, 'apps', a, 'proxy.pid');
          if (existsSync(f)) try { process.kill(Number(readFileSync(f, 'utf8')), 'SIGTERM'); } catch {}
        }
      }
      if (dk.running) {
        const ids = this.containers().map((c) => c.id);
        if (ids.length) try { dk.docker(['rm', '-f', ...ids]); } catch {}
      }
      try { execFileSync('ip', ['netns', 'delete', netns]); } catch {}
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
