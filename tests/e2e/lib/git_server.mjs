// A real git server for the git-provider tests: Debian's lighttpd running `git http-backend` (CGI)
// over HTTPS on 127.0.0.1, behind Basic auth (plain user file), serving bare repositories the
// test creates with real commits. The TLS certificate is issued by a throw-away CA made here with
// openssl; Wharf trusts it only through --extra-ca-file / WHARF_EXTRA_CA_FILE.
//
//   const ca = makeTestCa();
//   const git = await startGitServer({ ca, users: { alice: 'tok-123' } });
//   git.addRepo('acme/api', ['main', 'develop']);     // https://127.0.0.1:PORT/git/acme/api.git
//   ...; await git.stop(); ca.cleanup();
//
// Everything under /git/forbidden/ answers 403 to an authenticated user (lighttpd url.access-deny
// after mod_auth), the way a host answers a token that lacks the read scope. With `apiPort`,
// /api/ is proxied to that port on 127.0.0.1 (the recorded GitLab API next to the real git).
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './harness.mjs';

const BACKEND = '/usr/lib/git-core/git-http-backend';

// A CA (CA:TRUE, keyCertSign) and a way to issue server certificates for 127.0.0.1 from it.
export function makeTestCa() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-ca-'));
  const caKey = path.join(dir, 'ca.key');
  const caFile = path.join(dir, 'ca.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', caKey, '-out', caFile, '-days', '2',
    '-subj', '/CN=Wharf e2e throw-away CA', '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], { stdio: 'ignore' });
  let serial = 1;
  return {
    dir, caFile,
    caPem: readFileSync(caFile, 'utf8'),
    // → {key, cert} paths of a certificate for 127.0.0.1/localhost signed by this CA.
    issue(name) {
      const key = path.join(dir, `${name}.key`);
      const csr = path.join(dir, `${name}.csr`);
      const cert = path.join(dir, `${name}.pem`);
      const ext = path.join(dir, `${name}.ext`);
      writeFileSync(ext, 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n' +
        'extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n');
      execFileSync('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', csr, '-subj', '/CN=127.0.0.1'], { stdio: 'ignore' });
      execFileSync('openssl', ['x509', '-req', '-in', csr, '-CA', caFile, '-CAkey', caKey, '-set_serial', String(serial++),
        '-out', cert, '-days', '2', '-extfile', ext], { stdio: 'ignore' });
      return { key, cert };
    },
    cleanup() { rmSync(dir, { recursive: true, force: true }); },
  };
}

function waitPort(port, proc, logs, ms = 10000) {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      if (proc.exitCode !== null) return reject(new Error(`lighttpd exited ${proc.exitCode}: ${logs()}`));
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => { s.destroy(); resolve(); });
      s.once('error', () => {
        s.destroy();
        if (Date.now() > deadline) reject(new Error(`lighttpd did not start: ${logs()}`));
        else setTimeout(attempt, 100);
      });
    };
    attempt();
  });
}

const GIT_ENV = { ...process.env, GIT_AUTHOR_NAME: 'Wharf Test', GIT_AUTHOR_EMAIL: 'test@wharf.test',
  GIT_COMMITTER_NAME: 'Wharf Test', GIT_COMMITTER_EMAIL: 'test@wharf.test', GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };
const git = (args, opts = {}) => execFileSync('git', args, { env: GIT_ENV, encoding: 'utf8', ...opts }).trim();

// users: {name: password-or-token}.
export async function startGitServer({ ca, users = { alice: 'git-token-1234' }, apiPort } = {}) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-git-'));
  const repos = path.join(dir, 'repos');
  mkdirSync(repos);
  mkdirSync(path.join(dir, 'www'));
  const { key, cert } = ca.issue('git-server');
  writeFileSync(path.join(dir, 'users'), Object.entries(users).map(([u, p]) => `${u}:${p}`).join('\n') + '\n');
  const port = await freePort();
  const conf = `
server.modules = ("mod_auth", "mod_authn_file", "mod_access", "mod_alias", "mod_setenv", "mod_cgi", "mod_proxy", "mod_openssl", "mod_accesslog")
server.document-root = "${dir}/www"
server.bind = "127.0.0.1"
server.port = ${port}
server.errorlog = "${dir}/error.log"
accesslog.filename = "${dir}/access.log"
ssl.engine = "enable"
ssl.pemfile = "${cert}"
ssl.privkey = "${key}"
auth.backend = "plain"
auth.backend.plain.userfile = "${dir}/users"
alias.url = ( "/git" => "${BACKEND}" )
$HTTP["url"] =~ "^/git" {
  auth.require = ( "" => ( "method" => "basic", "realm" => "wharf-test-git", "require" => "valid-user" ) )
  cgi.assign = ( "" => "" )
  setenv.add-environment = ( "GIT_PROJECT_ROOT" => "${repos}", "GIT_HTTP_EXPORT_ALL" => "1" )
}
$HTTP["url"] =~ "^/git/forbidden/" {
  url.access-deny = ( "" )
}
${apiPort ? `$HTTP["url"] =~ "^/api/" {
  proxy.server = ( "" => (( "host" => "127.0.0.1", "port" => ${apiPort} )) )
}` : ''}
`;
  writeFileSync(path.join(dir, 'lighttpd.conf'), conf);
  const proc = spawn('lighttpd', ['-D', '-f', path.join(dir, 'lighttpd.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.on('data', (d) => { out += d; });
  proc.stderr.on('data', (d) => { out += d; });
  const logs = () => {
    let e = '';
    try { e = readFileSync(path.join(dir, 'error.log'), 'utf8'); } catch {}
    return out + e;
  };
  await waitPort(port, proc, logs);
  const base = `https://127.0.0.1:${port}`;
  return {
    port, base, dir, users,
    gitBase: `${base}/git`,
    logs,
    accessLog: () => { try { return readFileSync(path.join(dir, 'access.log'), 'utf8'); } catch { return ''; } },
    // Creates repos/<name>.git (served at /git/<name>.git) with one commit per branch; returns {url, shas}.
    addRepo(name, branches = ['main']) {
      const bare = path.join(repos, `${name}.git`);
      mkdirSync(path.dirname(bare), { recursive: true });
      git(['init', '-q', '--bare', '-b', branches[0], bare]);
      const work = mkdtempSync(path.join(os.tmpdir(), 'wharf-git-work-'));
      git(['init', '-q', '-b', branches[0], work]);
      const shas = {};
      for (const [i, b] of branches.entries()) {
        if (i > 0) git(['-C', work, 'checkout', '-q', '-b', b]);
        writeFileSync(path.join(work, 'README.md'), `# ${name}\n\nbranch ${b}\n`);
        git(['-C', work, 'add', 'README.md']);
        git(['-C', work, 'commit', '-q', '-m', `on ${b}`]);
        shas[b] = git(['-C', work, 'rev-parse', 'HEAD']);
        git(['-C', work, 'push', '-q', bare, b]);
      }
      rmSync(work, { recursive: true, force: true });
      return { url: `${base}/git/${name}.git`, shas };
    },
    async stop() {
      if (proc.exitCode === null) await new Promise((resolve) => { proc.once('exit', resolve); proc.kill('SIGTERM'); });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
