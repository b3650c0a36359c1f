// A real Docker engine (Debian's docker.io: dockerd, its own containerd, runc) for the test nodes.
//
// The harness starts dockerd itself, without systemd, with everything of its own under a temp dir:
// data-root, exec-root (where its containerd keeps its socket and state), pidfile and API socket.
// Networking stays on 127.0.0.1: no bridge, no iptables/NAT rules, no IP forwarding and no
// userland proxy, so the machine's own network and firewall are never touched; containers use the
// host's network (the Dokku stand-in runs them with `--network host` and binds 127.0.0.1), and an
// image pull can reach only the registries the tests start on 127.0.0.1 (docker treats
// 127.0.0.0/8 as an insecure registry: plain HTTP). It answers in about a second.
//
// One engine serves every test node of a test file (engine()): started on first use, stopped when
// the process exits (and, through setpriv's parent-death signal, when the process is killed).
// stop()/start() really stop and start it (a node's "engine down").
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync, readFileSync, chmodSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const DOCKER = '/usr/bin/docker';   // Debian's CLI (not whatever else is first on PATH)
const DOCKERD = '/usr/sbin/dockerd';

function need(file, pkg) {
  if (!existsSync(file)) throw new Error(`${file} is missing: install Debian's ${pkg} (make deps)`);
}

// What dockerd leaves mounted under its directories once it has stopped (its netns handle).
function unmountUnder(dir) {
  const mounts = readFileSync('/proc/self/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1])
    .filter((m) => m && (m === dir || m.startsWith(`${dir}/`))).sort((a, b) => b.length - a.length);
  for (const m of mounts) try { execFileSync('umount', ['-l', m]); } catch {}
}

export async function startDockerd() {
  need(DOCKERD, 'docker.io');
  need(DOCKER, 'docker.io');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-dockerd-'));
  chmodSync(dir, 0o755);
  const sock = path.join(dir, 'docker.sock');
  const host = `unix://${sock}`;
  // The socket's group: the test nodes' users are in it, as Dokku's user is on a real node.
  const args = ['--pdeathsig', 'SIGTERM', DOCKERD,
    '--data-root', path.join(dir, 'data'), '--exec-root', path.join(dir, 'exec'),
    '--pidfile', path.join(dir, 'docker.pid'), '-H', host, '--group', 'docker',
    '--bridge=none', '--iptables=false', '--ip6tables=false', '--ip-masq=false', '--ip-forward=false',
    '--userland-proxy=false', '--shutdown-timeout', '3', '--log-level', 'warn'];
  let proc;
  let log = '';
  const version = () => {
    try {
      return execFileSync(DOCKER, ['-H', host, 'version', '--format', '{{.Server.Version}}'],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
    } catch { return null; }
  };
  const start = async () => {
    proc = spawn('setpriv', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    proc.stdout.on('data', (d) => { log += d; });
    proc.stderr.on('data', (d) => { log += d; });
    // The engine does not keep the test process alive: it is stopped on the process's exit.
    proc.unref();
    proc.stdout.unref();
    proc.stderr.unref();
    const t0 = Date.now();
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`dockerd exited ${proc.exitCode}: ${log}`);
      if (version()) break;
      if (Date.now() - t0 > 20000) throw new Error(`dockerd did not answer on ${sock} within 20 s: ${log}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return Date.now() - t0;
  };
  const stop = async () => {
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    await exited;
  };
  const readyMs = await start();
  // A synchronous stop for process exit: dockerd stops its containers and containerd, then the
  // directory (overlay mounts gone) is removed.
  const stopSync = () => {
    if (proc && proc.exitCode === null) {
      try {
        // Until it has exited: a zombie (not reaped while this waits) counts as exited.
        const p = proc.pid;
        execFileSync('sh', ['-c', `kill ${p}; i=0; while [ -e /proc/${p} ] && ! grep -q '^State:.*Z' /proc/${p}/status 2>/dev/null && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done`]);
      } catch {}
    }
    unmountUnder(dir);
    try { rmSync(dir, { recursive: true, force: true }); } catch {}
  };
  return {
    dir, sock, host, readyMs,
    get log() { return log; },
    get running() { return !!proc && proc.exitCode === null; },
    version,
    // Runs the Debian docker CLI against this engine; returns stdout.
    docker(argv, opts = {}) {
      return execFileSync(DOCKER, ['-H', host, ...argv], { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], ...opts });
    },
    // `docker ps -a` as records: {id, name, image, state, labels}.
    containers(filter = []) {
      const out = execFileSync(DOCKER, ['-H', host, 'ps', '-a', '--no-trunc', ...filter.flatMap((f) => ['--filter', f]),
        '--format', '{{json .}}'], { encoding: 'utf8' });
      return out.split('\n').filter(Boolean).map((l) => JSON.parse(l)).map((c) => ({
        id: c.ID, name: c.Names, image: c.Image, state: c.State, status: c.Status, labels: c.Labels }));
    },
    start,
    stop,
    stopSync,
  };
}

let shared = null;
// The engine of this test process (one per test file), started on first use.
export async function engine() {
  if (!shared) {
    shared = startDockerd();
    const e = await shared;
    process.once('exit', () => e.stopSync());
  }
  return shared;
}

// The pid dockerd wrote (for tests that look at the engine's processes).
export function dockerdPid(e) {
  return Number(readFileSync(path.join(e.dir, 'docker.pid'), 'utf8'));
}
