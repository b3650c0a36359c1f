// A tiny runnable image built offline: Debian's busybox-static in a rootfs, busybox `httpd`
// listening on 127.0.0.1:$PORT and serving a CGI that prints its whole environment (`env -0`:
// NUL-separated, so values with newlines come back byte for byte). No network pull anywhere:
// importImage() `docker import`s the rootfs into an engine; rootfsLayer() gives the same rootfs as
// a tar for registries that are pushed to over the HTTP API (./registry.mjs).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, copyFileSync, symlinkSync, writeFileSync, rmSync, existsSync, chmodSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const BUSYBOX = '/bin/busybox';
export const ENV_PATH = '/cgi-bin/env';
// PID 1 is sh: it ends on SIGTERM (docker stop) instead of ignoring it as a bare httpd would.
export const CMD = ['/bin/sh', '-c', 'trap "exit 0" TERM; httpd -f -p 127.0.0.1:${PORT:-5000} -h /www & wait'];

// Writes the rootfs into a new temp dir and returns it (the caller removes it). `marker`, when
// given, is served at /version.txt, so two images of one tag tell apart over HTTP.
export function envRootfs({ marker } = {}) {
  if (!existsSync(BUSYBOX)) throw new Error(`${BUSYBOX} is missing: install Debian's busybox-static (make deps)`);
  const ldd = spawnSync('ldd', [BUSYBOX], { encoding: 'utf8' });
  if (!/not a dynamic executable/.test(ldd.stdout + ldd.stderr)) throw new Error(`${BUSYBOX} is not static: install busybox-static`);
  const root = mkdtempSync(path.join(os.tmpdir(), 'wharf-rootfs-'));
  for (const d of ['bin', 'tmp', 'www/cgi-bin']) mkdirSync(path.join(root, d), { recursive: true });
  chmodSync(path.join(root, 'tmp'), 0o1777);
  copyFileSync(BUSYBOX, path.join(root, 'bin/busybox'));
  chmodSync(path.join(root, 'bin/busybox'), 0o755);
  for (const a of ['sh', 'env', 'httpd', 'cat', 'sleep']) symlinkSync('busybox', path.join(root, 'bin', a));
  writeFileSync(path.join(root, 'www/cgi-bin/env'), '#!/bin/sh\nprintf "Content-Type: application/octet-stream\\r\\n\\r\\n"\nexec env -0\n', { mode: 0o755 });
  // /cgi-bin/say?TEXT prints TEXT on the container's own output (PID 1's stdout: its log).
  writeFileSync(path.join(root, 'www/cgi-bin/say'),
    '#!/bin/sh\necho "said: $QUERY_STRING" > /proc/1/fd/1\nprintf "Content-Type: text/plain\\r\\n\\r\\nok\\n"\n', { mode: 0o755 });
  writeFileSync(path.join(root, 'www/index.html'), 'ok\n');
  if (marker) writeFileSync(path.join(root, 'www/version.txt'), `${marker}\n`);
  return root;
}

// The rootfs as an uncompressed tar (a registry layer's content).
export function rootfsTar(opts = {}) {
  const root = envRootfs(opts);
  try {
    return execFileSync('tar', ['--numeric-owner', '--owner=0', '--group=0', '-C', root, '-cf', '-', '.'], { maxBuffer: 64 << 20 });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

// `docker import`s the rootfs into `engine` (./dockerd.mjs) as `ref`, with CMD set (`cmd` replaces
// it: CRASH_CMD makes an image that prints a few lines and exits on start).
export function importImage(engine, ref, { marker, cmd } = {}) {
  const tar = rootfsTar({ marker });
  engine.docker(['import', '--change', `CMD ${JSON.stringify(cmd ?? CMD)}`, '-', ref], { input: tar });
  return ref;
}
export const CRASH_CMD = ['/bin/sh', '-c', 'echo "booting with GREETING=$GREETING"; echo "fatal: cannot open /data/app.db" >&2; exit 3'];

// Parses the CGI's `env -0` answer into {name: value} (values as UTF-8 strings, byte for byte).
export function parseEnv(buf) {
  const env = {};
  for (const rec of Buffer.from(buf).toString('utf8').split('\0')) {
    if (!rec) continue;
    const i = rec.indexOf('=');
    env[rec.slice(0, i)] = rec.slice(i + 1);
  }
  return env;
}
