#!/usr/bin/python3
# Stand-in for Dokku on the test nodes (Dokku cannot be installed offline). It behaves like the
# Dokku version it reports ($WHARF_STANDIN_DIR/dokku-version), as ../../../../shared/testdata/
# dokku/README.md gives Dokku's and its plugins' usage from their own sources:
# - an unknown command, an unknown flag or a wrong number of arguments fails as on Dokku, for the
#   usage of the reported version (registry:login takes no app before 0.38.0, ports:set needs
#   0.31.0, git:sync --build-if-changes needs 0.38.0, ...);
# - core (Go) subcommands take flags only before the first argument (Go's flag package); the
#   datastore and letsencrypt plugins (bash) take them anywhere;
# - the datastore plugins make the user, password and database name themselves and print the
#   DSN with `<kind>:info <service> --dsn`; `<kind>:link` sets DATABASE_URL (REDIS_URL for redis,
#   MONGO_URL for mongo), or the first free DOKKU_<KIND>_<COLOR>_URL when the app holds it.
# State (apps, config, domains, ports, databases, links) lives under $WHARF_STANDIN_DIR so tests
# read what the node ended up with. Every call is recorded: argc then each argument, NUL-ended.
# A file "fail-<command>" makes that command fail with its contents; "sleep-<command>" holding
# seconds makes it slow. git:sync really clones over HTTPS with the netrc git:auth wrote.
#
# Images run on the node's real Docker engine (the `docker` on the node's PATH, see
# tests/e2e/lib/dockerd.mjs), as Dokku runs them:
# - registry:login really runs `docker login` (the password on stdin), into the app's own docker
#   config for a per-app login (0.38.0+), else into the dokku user's ~/.docker;
# - git:from-image really pulls with that login and runs the image as the container
#   `<app>.web.1` with the app's config as its environment, PORT set to the container port of the
#   app's first http mapping, and the host network: the engine has no bridge, everything stays on
#   127.0.0.1. Dokku's proxy (nginx) is played by a small TCP forwarder per app from
#   127.0.0.1:<host-port> to 127.0.0.1:<container-port> (ports:set http:<host>:<container>);
# - ps:stop stops the container, ps:start starts it, ps:restart, ps:rebuild and a link replace it
#   (a new container with the current config), apps:destroy removes it and the forwarder;
#   containers run with Dokku's default restart policy (on-failure:10);
# - git:from-image skips the pull when the image is already on the engine ("Image exists on host,
#   skipping pull") and, when the app's last source was from-image of the very same reference,
#   changes nothing and fails ("No changes detected, skipping git commit" / "Call 'ps:rebuild'
#   ..."), as Dokku's git-from-image and git-from-directory triggers do;
# - ps:report prints the report (`--format json`, or one info flag) with status-<proc>.<n> from
#   the engine's container state; git:report answers --git-sha and --git-source-image;
# - logs runs `docker logs [-t] --tail N [--follow]` on the app's container and, unless -q,
#   rewrites each line as Dokku's scheduler-logs sed does: "\e[36m<ts> app[web.1]:\e[0m <text>".
import errno
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

D = os.environ.get('WHARF_STANDIN_DIR', '')
os.umask(0)


def out(s=''):
    sys.stdout.write(s + '\n')
    sys.stdout.flush()


def die(msg, code=1):
    sys.stderr.write(' !     ' + msg + '\n')
    sys.exit(code)


def vtuple(v):
    parts = []
    for p in v.strip().split('-')[0].split('.'):
        parts.append(int(p) if p.isdigit() else 0)
    return tuple(parts + [0] * (3 - len(parts)))


def read(path, default=None):
    try:
        with open(path, encoding='utf-8', errors='surrogateescape') as f:
            return f.read()
    except FileNotFoundError:
        return default


def write(path, data, mode='w'):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, mode, encoding='utf-8', errors='surrogateescape') as f:
        f.write(data)


VERSION = (read(os.path.join(D, 'dokku-version'), '0.35.12') or '0.35.12').strip()
V = vtuple(VERSION)

# --------------------------------------------------------------------------- usage per version
# name -> (flags: {flag: takes_value}, min positionals, max positionals (None = any), usage line)
INF = None


def core_usage():
    u = {
        'version': ({}, 0, 0, 'version'),
        'apps:create': ({}, 1, 1, 'apps:create <app>'),
        'apps:destroy': ({}, 1, 1, 'apps:destroy <app>'),
        'apps:exists': ({}, 1, 1, 'apps:exists <app>'),
        'apps:list': ({}, 0, 0, 'apps:list'),
        'ps:restart': ({'--parallel': True, '--all': False}, 0, 2,
                       'ps:restart [--parallel count] [--all|<app>] [<process-name>]'),
        'ps:stop': ({'--parallel': True, '--all': False}, 0, 1, 'ps:stop [--parallel count] [--all|<app>]'),
        'ps:start': ({'--parallel': True, '--all': False}, 0, 1, 'ps:start [--parallel count] [--all|<app>]'),
        'git:sync': ({'--build': False}, 2, 3, 'git:sync [--build] <app> <repository> [<git-ref>]'),
        'git:from-image': ({}, 2, 4, 'git:from-image <app> <docker-image> [<git-username> <git-email>]'),
        'git:auth': ({}, 1, 3, 'git:auth <host> [<username> <password>]'),
        'registry:login': ({'--password-stdin': False}, 2, 3,
                           'registry:login [--password-stdin] <server> <username> [<password>]'),
        'config:set': ({'--encoded': False, '--no-restart': False, '--global': False}, 1, INF,
                       'config:set [--encoded] [--no-restart] (<app>|--global) KEY1=VALUE1 [KEY2=VALUE2 ...]'),
        'config:unset': ({'--no-restart': False, '--global': False}, 1, INF,
                         'config:unset [--no-restart] (<app>|--global) KEY1 [KEY2 ...]'),
        'config:get': ({'--quoted': False, '--global': False}, 1, 2, 'config:get [--quoted] (<app>|--global) KEY'),
        'config:keys': ({'--global': False, '--merged': False}, 0, 1, 'config:keys (<app>|--global) [--merged]'),
        'domains:set': ({}, 2, INF, 'domains:set <app> <domain> [<domain> ...]'),
        'domains:add': ({}, 2, INF, 'domains:add <app> <domain> [<domain> ...]'),
        'domains:remove': ({}, 2, INF, 'domains:remove <app> <domain> [<domain> ...]'),
        'domains:clear': ({}, 1, 1, 'domains:clear <app>'),
        'domains:report': ({}, 0, 2, 'domains:report [<app>|--global] [<flag>]'),
        'ports:set': ({}, 1, INF, 'ports:set <app> [<scheme>:<host-port>:<container-port>...]'),
        'logs': ({'-t': False, '--tail': False, '-n': True, '--num': True, '-q': False, '--quiet': False,
                  '-p': True, '--ps': True}, 1, 1, 'logs [-t|--tail] [-n|--num num] [-q|--quiet] [-p|--ps process] <app>'),
        'plugin:list': ({}, 0, 0, 'plugin:list'),
        'ps:rebuild': ({'--parallel': True, '--all': False}, 0, 1, 'ps:rebuild [--parallel count] [--all|<app>]'),
        'ps:inspect': ({}, 1, 1, 'ps:inspect <app>'),
    }
    if V < (0, 31, 0):
        del u['ports:set']
    if V >= (0, 38, 0):
        u['git:sync'] = ({'--build': False, '--build-if-changes': False, '--skip-deploy-branch': False}, 2, 3,
                         'git:sync [--build|--build-if-changes] [--skip-deploy-branch] <app> <repository> [<git-ref>]')
        u['registry:login'] = ({'--global': False, '--password-stdin': False}, 2, 4,
                               'registry:login [--global|--password-stdin] [<app>] <server> <username> [<password>]')
        u['plugin:list'] = ({'--format': True}, 0, 0, 'plugin:list [--format stdout|json]')
    return u


# Bash-parsed commands: flags anywhere.
def bash_usage(cmd):
    if cmd == 'plugin:install':
        f = {'--core': False, '--git-url': True, '--committish': True, '--name': True}
        if V >= (0, 38, 0):
            f['--skip-install-trigger'] = False
        return (f, 0, 1, 'plugin:install [--core|--git-url] [--committish branch|commit|tag] [--name custom-plugin-name]')
    if cmd == 'letsencrypt:enable':
        return ({'--force': False}, 1, 1, 'letsencrypt:enable <app> [--force]')
    kind, _, sub = cmd.partition(':')
    if kind not in PLUGINS:
        return None
    create_flags = {}
    for short, long in (('-c', '--config-options'), ('-C', '--custom-env'), ('-i', '--image'),
                        ('-I', '--image-version'), ('-m', '--memory'), ('-N', '--initial-network'),
                        ('-p', '--password'), ('-P', '--post-create-network'), ('-r', '--root-password'),
                        ('-S', '--post-start-network'), ('-s', '--shm-size')):
        create_flags[short] = True
        create_flags[long] = True
    info_flags = {f: False for f in ('--config-dir', '--data-dir', '--dsn', '--exposed-ports', '--id',
                                     '--internal-ip', '--initial-network', '--links', '--post-create-network',
                                     '--post-start-network', '--service-root', '--status', '--version')}
    one = ({}, 1, 1, f'{cmd} <service>')
    table = {
        'create': (create_flags, 1, 1, f'{cmd} <service> [--create-flags...]'),
        'link': ({'--alias': True, '-a': True, '--querystring': True, '-q': True}, 2, 2,
                 f'{cmd} <service> <app> [--link-flags...]'),
        'unlink': ({}, 2, 2, f'{cmd} <service> <app>'),
        'info': (info_flags, 1, 1, f'{cmd} <service> [--single-info-flag]'),
        'destroy': ({'-f': False, '--force': False}, 1, 1, f'{cmd} <service> [-f|--force]'),
        'exists': one, 'links': one, 'export': one, 'import': one, 'restart': one, 'stop': one, 'start': one,
    }
    return table.get(sub)


def parse(cmd, args, spec, go):
    flags, lo, hi, usage = spec
    seen, pos = {}, []
    i = 0
    while i < len(args):
        a = args[i]
        if a.startswith('-') and len(a) > 1 and not (go and pos):
            name, eq, val = a.partition('=')
            if name not in flags:
                if go:
                    die(f'flag provided but not defined: {name}\n !     Usage: dokku {usage}')
                die(f'Invalid flag passed, valid flags: {" ".join(sorted(flags))}')
            if flags[name]:
                if not eq:
                    i += 1
                    if i >= len(args):
                        die(f'flag needs an argument: {name}')
                    val = args[i]
                seen[name] = val
            else:
                seen[name] = True
        else:
            pos.append(a)
        i += 1
    if len(pos) < lo or (hi is not None and len(pos) > hi):
        die(f'Invalid number of arguments for {cmd}: {len(pos)}\n !     Usage: dokku {usage}')
    return seen, pos


# --------------------------------------------------------------------------- datastore plugins
# kind -> (scheme, user (None = service name, '' = none), port, default alias, image)
PLUGINS = {
    'postgres': ('postgres', 'postgres', 5432, 'DATABASE', '18.4'),
    'mysql': ('mysql', 'mysql', 3306, 'DATABASE', '9.7.0'),
    'mariadb': ('mysql', 'mariadb', 3306, 'DATABASE', '12.2.2'),
    'mongo': ('mongodb', None, 27017, 'MONGO', '8.2.9'),
    'redis': ('redis', '', 6379, 'REDIS', '8.8.0'),
}
COLORS = ['AQUA', 'BLACK', 'BLUE', 'FUCHSIA', 'GRAY', 'GREEN', 'LIME', 'MAROON', 'NAVY', 'OLIVE', 'PURPLE',
          'RED', 'SILVER', 'TEAL', 'WHITE', 'YELLOW']


def dsn(kind, service, password):
    scheme, user, port, _, _ = PLUGINS[kind]
    host = 'dokku-' + kind + '-' + service.replace('.', '-').replace('_', '-')
    if kind == 'redis':
        return f'{scheme}://:{password}@{host}:{port}'
    if user is None:
        user = service
    return f'{scheme}://{user}:{password}@{host}:{port}/{service}'


def app_dir(app):
    return os.path.join(D, 'apps', app)


def need_app(app):
    if not os.path.isdir(app_dir(app)):
        die(f'App {app} does not exist')


def app_env(app):
    env = {}
    d = os.path.join(app_dir(app), 'env')
    if os.path.isdir(d):
        for k in sorted(os.listdir(d)):
            env[k] = read(os.path.join(d, k), '')
    return env


def datastore(cmd, args, glob):
    kind, _, sub = cmd.partition(':')
    flags, pos = parse(cmd, args, bash_usage(cmd), go=False)
    svc = pos[0]
    sd = os.path.join(D, 'db', kind, svc)
    exists = os.path.isdir(sd)
    if sub != 'create' and not exists:
        die(f'{kind.capitalize()} service {svc} does not exist')
    links = [l for l in (read(os.path.join(sd, 'links'), '') or '').split('\n') if l]
    if sub == 'create':
        if exists:
            die(f'{kind.capitalize()} service {svc} already exists')
        pw = flags.get('--password') or flags.get('-p') or secrets.token_hex(16)
        version = flags.get('--image-version') or flags.get('-I') or PLUGINS[kind][4]
        write(os.path.join(sd, 'version'), version + '\n')
        write(os.path.join(sd, 'dsn'), dsn(kind, svc, pw) + '\n')
        out(f'       Waiting for container to be ready')
        out(f'=====> {kind.capitalize()} container created: {svc}')
    elif sub == 'info':
        if '--dsn' in flags:
            out(read(os.path.join(sd, 'dsn')).strip())
        elif '--version' in flags:
            out(f'{kind}:' + read(os.path.join(sd, 'version')).strip())
        elif '--links' in flags:
            out(' '.join(links))
        else:
            out(f'=====> {svc} {kind} service information')
            out(f'       Dsn:                 {read(os.path.join(sd, "dsn")).strip()}')
            out(f'       Links:               {" ".join(links)}')
    elif sub == 'link':
        app = pos[1]
        need_app(app)
        url = read(os.path.join(sd, 'dsn')).strip()
        env = app_env(app)
        for k, v in env.items():
            if v == url:
                die(f'Already linked as {k}')
        alias = flags.get('--alias') or flags.get('-a')
        default = PLUGINS[kind][3]
        if alias:
            if alias + '_URL' in env:
                die(f'Specified alias {alias} already in use')
        elif default + '_URL' in env:
            alias = next((f'DOKKU_{kind.upper()}_{c}' for c in COLORS if f'DOKKU_{kind.upper()}_{c}_URL' not in env), None)
            if not alias:
                die('Unable to use default or generated URL alias')
        else:
            alias = default
        write(os.path.join(sd, 'links'), app + '\n', 'a')
        write(os.path.join(app_dir(app), 'env', alias + '_URL'), url)
        out('-----> Setting config vars')
        out(f'       {alias}_URL:  {url}')
        if '--no-restart' not in glob and os.path.exists(os.path.join(app_dir(app), 'deployed')):
            out(f'-----> Restarting app {app}')
            release(app)
    elif sub == 'unlink':
        app = pos[1]
        need_app(app)
        if app not in links:
            die(f'Not linked to app {app}')
        url = read(os.path.join(sd, 'dsn')).strip()
        for k, v in app_env(app).items():
            if v == url:
                os.unlink(os.path.join(app_dir(app), 'env', k))
        write(os.path.join(sd, 'links'), ''.join(l + '\n' for l in links if l != app))
        out('-----> Unsetting config vars')
        if '--no-restart' not in glob and os.path.exists(os.path.join(app_dir(app), 'deployed')):
            release(app)
    elif sub == 'links':
        for l in links:
            out(l)
    elif sub == 'exists':
        out(f'-----> Service {svc} exists')
    elif sub == 'export':
        if os.path.exists(os.path.join(sd, 'data')):
            with open(os.path.join(sd, 'data'), 'rb') as f:
                shutil.copyfileobj(f, sys.stdout.buffer, 1 << 20)
    elif sub == 'import':
        with open(os.path.join(sd, 'data'), 'wb') as f:
            shutil.copyfileobj(sys.stdin.buffer, f)
    elif sub == 'destroy':
        if links:
            die('Cannot delete linked service')
        if '--force' not in glob and '-f' not in flags and '--force' not in flags:
            die('Destroy cancelled: run with --force to skip the confirmation')
        shutil.rmtree(sd)
        out(f'=====> Deleting {svc}')
    elif sub in ('restart', 'start', 'stop'):
        write(os.path.join(sd, 'state'), ('stopped' if sub == 'stop' else 'running') + '\n')
        out(f'=====> {sub.capitalize()}ing container {svc}')



# --------------------------------------------------------------------------- the real engine
def docker(args, app=None, check=True, **kw):
    env = dict(os.environ)
    cfg = os.path.join(app_dir(app), 'docker') if app else None
    if cfg and os.path.isdir(cfg):
        env['DOCKER_CONFIG'] = cfg
    else:
        env['DOCKER_CONFIG'] = os.path.join(os.environ['HOME'], '.docker')
    r = subprocess.run(['docker'] + args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)
    if check and r.returncode != 0:
        sys.stderr.write(r.stderr.decode('utf-8', 'replace'))
        die(f'docker {args[0]} failed (exit {r.returncode})')
    return r


def container(app):
    return f'{app}.web.1'


def http_mapping(app):
    for m in (read(os.path.join(app_dir(app), 'ports'), '') or '').split('\n'):
        parts = m.split(':')
        if len(parts) == 3 and parts[0] == 'http':
            return int(parts[1]), int(parts[2])
    return None


def remove_container(app):
    docker(['rm', '-f', container(app)], check=False)


def stop_proxy(app):
    pid = read(os.path.join(app_dir(app), 'proxy.pid'))
    if pid and pid.strip().isdigit():
        try:
            os.kill(int(pid), signal.SIGTERM)
        except ProcessLookupError:
            pass
    f = os.path.join(app_dir(app), 'proxy.pid')
    if os.path.exists(f):
        os.unlink(f)


def pipe(a, b):
    try:
        while True:
            data = a.recv(65536)
            if not data:
                break
            b.sendall(data)
    except OSError:
        pass
    finally:
        for s in (a, b):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def start_proxy(app, host_port, port):
    """Dokku's proxy: 127.0.0.1:<host_port> forwards to the container's 127.0.0.1:<port>."""
    stop_proxy(app)
    # 80 and 443 are nginx's, shared by every app and routed by domain: the stand-in plays only an
    # app's own unprivileged host port.
    if host_port == port or host_port < 1024:
        return
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # The old proxy was just sent SIGTERM; until it has exited its listening socket still holds the
    # port, so a restart retries for a few seconds (Dokku's nginx reload never fails this way).
    deadline = time.monotonic() + 10
    while True:
        try:
            srv.bind(('127.0.0.1', host_port))
            break
        except OSError as e:
            if e.errno != errno.EADDRINUSE or time.monotonic() > deadline:
                die(f'Unable to listen on 127.0.0.1:{host_port}: {e.strerror}')
            time.sleep(0.05)
    srv.listen(64)
    pid = os.fork()
    if pid:
        os.waitpid(pid, 0)
        srv.close()
        return
    os.setsid()
    if os.fork():
        os._exit(0)
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    write(os.path.join(app_dir(app), 'proxy.pid'), f'{os.getpid()}\n')
    while True:
        c, _ = srv.accept()
        try:
            u = socket.create_connection(('127.0.0.1', port))
        except OSError:
            c.close()
            continue
        threading.Thread(target=pipe, args=(c, u), daemon=True).start()
        threading.Thread(target=pipe, args=(u, c), daemon=True).start()


def release(app):
    """Runs the app's deployed image as a new container with the current config."""
    image = (read(os.path.join(app_dir(app), 'deployed-image'), '') or '').strip()
    if not image:
        return
    remove_container(app)
    env = app_env(app)
    mapping = http_mapping(app)
    port = mapping[1] if mapping else 5000
    args = ['run', '-d', '--restart', 'on-failure:10', '--name', container(app), '--network', 'host',
            '--label', f'com.dokku.app-name={app}',
            '--label', f'com.wharf.standin={D}', '-e', f'PORT={port}']
    for k, v in env.items():
        args += ['-e', f'{k}={v}']
    r = docker(args + [image], app)
    cid = r.stdout.decode().strip()
    write(os.path.join(app_dir(app), 'container'), cid + '\n')
    out(f'=====> Start of {app} container output ({container(app)})')
    if mapping:
        start_proxy(app, mapping[0], port)
    out(f'=====> Application deployed:')
    if mapping:
        out(f'       http://127.0.0.1:{mapping[0]}')


def has_container(app):
    r = docker(['inspect', '--format', '{{.Id}}', container(app)], check=False)
    return r.returncode == 0


# --------------------------------------------------------------------------- core commands
def core(cmd, args, glob):
    spec = core_usage().get(cmd)
    if spec is None:
        die(f'`{cmd}` is not a dokku command.\n !     See `dokku help` for a list of available commands.')
    # `logs` parses with pflag (flags anywhere); the other core subcommands with Go's flag package.
    flags, pos = parse(cmd, args, spec, go=cmd != 'logs')
    if cmd == 'version':
        out(f'dokku version {VERSION}')
    elif cmd == 'plugin:list':
        sys.stdout.write(read(os.path.join(D, 'dokku-plugins'), '') or '')
    elif cmd == 'apps:create':
        if os.path.isdir(app_dir(pos[0])):
            die('Name is already taken')
        os.makedirs(os.path.join(app_dir(pos[0]), 'env'))
        out(f'-----> Creating {pos[0]}...')
    elif cmd == 'apps:exists':
        need_app(pos[0])
    elif cmd == 'apps:list':
        out('=====> My Apps')
        for a in sorted(os.listdir(os.path.join(D, 'apps')) if os.path.isdir(os.path.join(D, 'apps')) else []):
            out(a)
    elif cmd == 'apps:destroy':
        need_app(pos[0])
        if '--force' not in glob:
            die('Destroy cancelled: run with --force to skip the confirmation')
        stop_proxy(pos[0])
        remove_container(pos[0])
        shutil.rmtree(app_dir(pos[0]))
        out(f'-----> Destroying {pos[0]} (including all add-ons)')
    elif cmd in ('config:set', 'config:unset', 'config:get', 'config:keys'):
        if '--global' in flags:
            die('the stand-in keeps no global config')
        if not pos:
            die(f'Please specify an app to run the command on\n !     Usage: dokku {spec[3]}')
        app, rest = pos[0], pos[1:]
        need_app(app)
        env_dir = os.path.join(app_dir(app), 'env')
        if cmd == 'config:set':
            if not rest:
                die('At least one env pair must be given')
            import base64
            pairs = []
            for kv in rest:
                k, eq, v = kv.partition('=')
                if not eq or not k:
                    die(f'Invalid env pair: {kv}')
                if '--encoded' in flags:
                    try:
                        v = base64.b64decode(v, validate=True).decode('utf-8', errors='surrogateescape')
                    except Exception:
                        die(f'{k}: value is not base64')
                pairs.append((k, v))
            out('-----> Setting config vars')
            for k, v in pairs:
                write(os.path.join(env_dir, k), v)
                out(f'       {k}:  (set)')
        elif cmd == 'config:unset':
            if not rest:
                die('At least one key must be given')
            out('-----> Unsetting config vars')
            for k in rest:
                if os.path.exists(os.path.join(env_dir, k)):
                    os.unlink(os.path.join(env_dir, k))
                out(f'       {k}')
        if '--no-restart' not in flags and cmd in ('config:set', 'config:unset') \
                and os.path.exists(os.path.join(app_dir(app), 'deployed')):
            release(app)
        elif cmd == 'config:get':
            if len(rest) != 1:
                die(f'Expected a key\n !     Usage: dokku {spec[3]}')
            v = read(os.path.join(env_dir, rest[0]))
            if v is None:
                sys.exit(1)
            out(v)
        else:
            for k in sorted(os.listdir(env_dir)):
                out(k)
    elif cmd == 'git:auth':
        if len(pos) == 2:
            die(f'Missing password\n !     Usage: dokku {spec[3]}')
        home = os.environ['HOME']
        if len(pos) == 3:
            write(os.path.join(home, '.netrc'), f'machine {pos[0]} login {pos[1]} password {pos[2]}\n')
            os.chmod(os.path.join(home, '.netrc'), 0o600)
        elif os.path.exists(os.path.join(home, '.netrc')):
            os.unlink(os.path.join(home, '.netrc'))
    elif cmd == 'git:sync':
        app, repo = pos[0], pos[1]
        ref = pos[2] if len(pos) > 2 else ''
        need_app(app)
        src = os.path.join(app_dir(app), 'src')
        shutil.rmtree(src, ignore_errors=True)
        out(f'-----> Syncing {repo}:{ref or "HEAD"} to {app}')
        is_sha = len(ref) == 40 and all(c in '0123456789abcdef' for c in ref)
        clone = ['git', 'clone', '-q'] + (['--depth', '1', '--branch', ref] if ref and not is_sha else []) + [repo, src]
        r = subprocess.run(clone, stdout=sys.stdout, stderr=subprocess.STDOUT)
        if r.returncode != 0:
            sys.exit(1)
        if is_sha:  # a commit: fetched, then checked out (Dokku's fn-git-fetch and rev-parse of the ref)
            r = subprocess.run(['git', '-C', src, 'checkout', '-q', ref], stdout=sys.stdout, stderr=subprocess.STDOUT)
            if r.returncode != 0:
                sys.exit(1)
        write(os.path.join(app_dir(app), 'has-code'), '')
        if os.path.exists(os.path.join(app_dir(app), 'source-image')):
            os.unlink(os.path.join(app_dir(app), 'source-image'))
        rev = subprocess.run(['git', '-C', src, 'rev-parse', 'HEAD'], capture_output=True, text=True).stdout.strip()
        write(os.path.join(app_dir(app), 'deployed-rev'), rev + '\n')
        if '--build' in flags or '--build-if-changes' in flags:
            out(f'-----> Building {app} from {rev}')
            out('=====> Application deployed')
            write(os.path.join(app_dir(app), 'deployed'), '')
    elif cmd == 'git:from-image':
        if len(pos) == 3:
            die(f'Missing git email\n !     Usage: dokku {spec[3]}')
        app, image = pos[0], pos[1]
        need_app(app)
        out('-----> Generating build context')
        if docker(['image', 'ls', '-q', image], app, check=False).stdout.strip() == b'':
            out('-----> Pulling image')
            r = docker(['image', 'pull', image], app, check=False)
            if r.returncode != 0:
                sys.stderr.write(r.stderr.decode('utf-8', 'replace'))
                die(f'Failed to pull image: {image}')
        else:
            out('-----> Image exists on host, skipping pull')
        out('-----> Updating git repository with specified build context')
        # The build context is a Dockerfile "FROM <image>": the same reference as the app's last
        # from-image source is no change, and Dokku stops before building anything.
        source = (read(os.path.join(app_dir(app), 'source-image'), '') or '').strip()
        if source == image and os.path.exists(os.path.join(app_dir(app), 'has-code')):
            sys.stderr.write(' !     No changes detected, skipping git commit\n')
            die("Call 'ps:rebuild' on app to rebuild the app from existing source")
        write(os.path.join(app_dir(app), 'source-image'), image + '\n')
        write(os.path.join(app_dir(app), 'has-code'), '')
        write(os.path.join(app_dir(app), 'deployed-image'), image + '\n')
        out(f'-----> Deploying {app} from image {image}')
        release(app)
        write(os.path.join(app_dir(app), 'deployed'), '')
    elif cmd == 'registry:login':
        stdin = '--password-stdin' in flags
        if stdin and len(pos) == spec[2]:  # the password on stdin takes the place of <password>
            die(f'Invalid number of arguments for {cmd}: {len(pos)}\n !     Usage: dokku {spec[3]}')
        if stdin and len(pos) == 4:
            die('Cannot specify both a password and --password-stdin')
        if V >= (0, 38, 0) and '--global' not in flags and (len(pos) == 4 or (stdin and len(pos) == 3)):
            app, server, user = pos[0], pos[1], pos[2]
            need_app(app)
            target = app_dir(app)
            password = sys.stdin.read() if stdin else pos[3]
        else:
            if not stdin and len(pos) == 2:
                die('Missing password: pass it as an argument or with --password-stdin')
            server, user = pos[0], pos[1]
            target = D
            password = sys.stdin.read() if stdin else pos[2]
        # Dokku runs `docker login` itself: a per-app login into the app's own docker config.
        env_dir = os.path.join(target, 'docker') if target != D else os.path.join(os.environ['HOME'], '.docker')
        os.makedirs(env_dir, exist_ok=True)
        r = subprocess.run(['docker', 'login', '--password-stdin', '-u', user, server], input=password.encode(),
                           env=dict(os.environ, DOCKER_CONFIG=env_dir), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if r.returncode != 0:
            die(r.stderr.decode('utf-8', 'replace').strip() or f'docker login failed (exit {r.returncode})')
        write(os.path.join(target, 'registry-password'), password)
        write(os.path.join(target, 'registry-login'), f'{server} {user}\n')
        out('Login Succeeded')
    elif cmd in ('domains:set', 'domains:add', 'domains:remove', 'domains:clear', 'domains:report'):
        if cmd == 'domains:report':
            if pos:
                need_app(pos[0])
                sys.stdout.write(read(os.path.join(app_dir(pos[0]), 'domains'), '') or '')
            return
        app = pos[0]
        need_app(app)
        f = os.path.join(app_dir(app), 'domains')
        cur = [l for l in (read(f, '') or '').split('\n') if l]
        if cmd == 'domains:set':
            cur = pos[1:]
        elif cmd == 'domains:add':
            cur += [d for d in pos[1:] if d not in cur]
        elif cmd == 'domains:remove':
            cur = [d for d in cur if d not in pos[1:]]
        else:
            cur = []
        write(f, ''.join(d + '\n' for d in cur))
        out(f'-----> {cmd.split(":")[1].capitalize()} domains for {app}')
    elif cmd == 'ports:set':
        app = pos[0]
        need_app(app)
        for m in pos[1:]:
            parts = m.split(':')
            if len(parts) != 3 or parts[0] not in ('http', 'https', 'tcp', 'udp') or not parts[1].isdigit() \
                    or not parts[2].isdigit():
                die(f'Invalid port mapping: {m}')
        write(os.path.join(app_dir(app), 'ports'), ''.join(m + '\n' for m in pos[1:]))
        out(f'-----> Setting ports for {app}')
    elif cmd in ('ps:restart', 'ps:start', 'ps:stop'):
        if '--all' in flags:
            return
        if not pos:
            die(f'Please specify an app to run the command on\n !     Usage: dokku {spec[3]}')
        app = pos[0]
        need_app(app)
        write(os.path.join(app_dir(app), 'state'), ('stopped' if cmd == 'ps:stop' else 'running') + '\n')
        out(f'-----> {"Stopping" if cmd == "ps:stop" else "Restarting"} {app}')
        if cmd == 'ps:stop':
            if has_container(app):
                docker(['stop', container(app)], app)
        elif cmd == 'ps:start' and has_container(app):
            docker(['start', container(app)], app)
        else:
            release(app)
    elif cmd == 'ps:rebuild':
        if '--all' in flags:
            return
        if not pos:
            die(f'Please specify an app to run the command on\n !     Usage: dokku {spec[3]}')
        app = pos[0]
        need_app(app)
        if not os.path.exists(os.path.join(app_dir(app), 'has-code')):
            die(f'App {app} has not been deployed')
        out(f'-----> Rebuilding {app} from existing source')
        release(app)
        write(os.path.join(app_dir(app), 'state'), 'running\n')
    elif cmd == 'ps:inspect':
        need_app(pos[0])
        cid = (read(os.path.join(app_dir(pos[0]), 'container'), '') or '').strip()
        if cid:
            r = docker(['container', 'inspect', cid], check=False)
            sys.stdout.write(r.stdout.decode('utf-8', 'replace'))
    elif cmd == 'logs':
        app = pos[0]
        need_app(app)
        if not os.path.exists(os.path.join(app_dir(app), 'deployed')):
            die(f'App {app} has not been deployed')
        logs(app, flags)


def ps_report(args):
    # Report commands split info flags from the rest themselves (common.ParseReportArgs).
    fmt, info, rest, i = 'stdout', [], [], 0
    while i < len(args):
        a = args[i]
        if a == '--format':
            if i + 1 >= len(args):
                die('flag needs an argument: -format')
            fmt = args[i + 1]
            i += 2
            continue
        (info if a.startswith('--') else rest).append(a)
        i += 1
    if len(info) > 1:
        die('ps:report command allows only a single flag')
    if fmt not in ('stdout', 'json'):
        die(f'Format must be "stdout" or "json": "{fmt}"')
    apps = rest[:1] or sorted(os.listdir(os.path.join(D, 'apps')) if os.path.isdir(os.path.join(D, 'apps')) else [])
    for app in apps:
        need_app(app)
        ad = app_dir(app)
        cid = (read(os.path.join(ad, 'container'), '') or '').strip()
        state = ''
        if cid:
            state = docker(['inspect', '--format', '{{ .State.Status }}', cid], check=False).stdout.decode().strip()
        deployed = os.path.exists(os.path.join(ad, 'deployed'))
        flags = {
            '--deployed': 'true' if deployed else 'false',
            '--processes': '1' if cid else '0',
            '--ps-can-scale': 'true',
            '--ps-restart-policy': 'on-failure:10',
            '--ps-computed-procfile-path': 'Procfile',
            '--ps-global-procfile-path': '',
            '--ps-procfile-path': '',
            '--restore': 'true',
            # scheduler-app-status: "true" when every container is running, "false" when none is.
            '--running': 'true' if state in ('running', 'restarting') else 'false',
        }
        if V >= (0, 38, 0):
            flags.update({'--ps-computed-restart-policy': 'on-failure:10', '--ps-global-restart-policy': '',
                          '--ps-computed-stop-timeout-seconds': '30', '--ps-stop-timeout-seconds': '',
                          '--ps-global-stop-timeout-seconds': ''})
        if cid:
            flags['--status-web.1'] = f'{state or "missing"} (CID: {cid[:11]})'
        if info:
            if fmt != 'stdout':
                die('--format flag cannot be specified when specifying an info flag')
            if info[0] not in flags:
                die('Invalid flag passed, valid flags: ' + ', '.join(sorted(flags)))
            out(flags[info[0]])
            continue
        if fmt == 'json':
            import json
            data = {}
            for k, v in flags.items():
                key = k[2:]
                if V >= (0, 38, 0) and key.startswith('ps-'):
                    data[key[3:]] = v  # TrimPrefix, and the legacy key too (EmitLegacyPrefix)
                data[key] = v
            out(json.dumps(data, sort_keys=True, separators=(',', ':')))
            continue
        width = max(31, max(len(k) for k in flags))
        out(f'=====> {app} ps information')
        for k in sorted(flags):
            label = k[2:].replace('-', ' ').replace('.', ' ')
            label = label[:1].upper() + label[1:]
            out('       ' + (label + ':').ljust(width) + flags[k])


def git_report(args):
    info = [a for a in args if a.startswith('--')]
    rest = [a for a in args if not a.startswith('--')]
    if len(info) > 1:
        die('git:report command allows only a single flag')
    app = rest[0] if rest else None
    if not app:
        die('Please specify an app to run the command on')
    need_app(app)
    flags = {
        '--git-sha': (read(os.path.join(app_dir(app), 'deployed-rev'), '') or '').strip()
        if not os.path.exists(os.path.join(app_dir(app), 'source-image')) else '',
        '--git-source-image': (read(os.path.join(app_dir(app), 'source-image'), '') or '').strip(),
        '--git-deploy-branch': 'master',
    }
    if info:
        if info[0] not in flags:
            die('Invalid flag passed, valid flags: ' + ', '.join(sorted(flags)))
        out(flags[info[0]])
        return
    out(f'=====> {app} git information')
    for k in sorted(flags):
        out('       ' + (k[2:].replace('-', ' ').capitalize() + ':').ljust(34) + flags[k])


def logs(app, flags):
    cid = (read(os.path.join(app_dir(app), 'container'), '') or '').strip()
    proc = flags.get('-p') or flags.get('--ps')
    if not cid or (proc and proc != 'web'):
        return
    num = flags.get('-n') or flags.get('--num') or '100'
    tail = '-t' in flags or '--tail' in flags
    quiet = '-q' in flags or '--quiet' in flags
    argv = ['logs'] + ([] if quiet else ['-t']) + (['--follow'] if tail else []) + ['--tail', str(num), cid]
    env = dict(os.environ, DOCKER_CONFIG=os.path.join(os.environ['HOME'], '.docker'))
    child = subprocess.Popen(['docker'] + argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

    def stop(signum, _frame):
        child.kill()
        sys.exit(128 + signum)

    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT, signal.SIGPIPE):
        signal.signal(sig, stop)
    for line in iter(child.stdout.readline, b''):
        if not quiet:
            # sed -u -r 's/^([^Z]+Z )/\x1b[36m\1app[web.1]:\x1b[0m /gm'
            sp = line.find(b'Z ')
            if sp > 0:
                line = b'\x1b[36m' + line[:sp + 2] + b'app[web.1]:\x1b[0m ' + line[sp + 2:]
        try:
            sys.stdout.buffer.write(line)
            sys.stdout.buffer.flush()
        except BrokenPipeError:
            child.kill()
            sys.exit(1)
    sys.exit(child.wait())


def plugin_install(args):
    flags, pos = parse('plugin:install', args, bash_usage('plugin:install'), go=False)
    name = flags.get('--name') or (pos[0].rstrip('/').split('/')[-1].removesuffix('.git') if pos else '')
    out(f'-----> Cloning plugin repo {pos[0] if pos else flags.get("--git-url", "")} to {name}'
        + (f' at {flags["--committish"]}' if '--committish' in flags else ''))
    write(os.path.join(D, 'dokku-plugins'), f'  {name:<20} {flags.get("--committish", "0.0.1")} enabled    stand-in\n', 'a')
    out(f'-----> Plugin {name} enabled')


def main():
    argv = sys.argv[1:]
    with open(os.path.join(D, 'dokku-argv'), 'ab') as f:
        f.write(b''.join(os.fsencode(x) + b'\0' for x in [str(len(argv))] + argv))
    os.makedirs(os.path.join(D, 'home'), exist_ok=True)
    os.environ['HOME'] = os.path.join(D, 'home')
    if os.path.exists(os.path.join(D, 'ca.pem')):
        os.environ['GIT_SSL_CAINFO'] = os.path.join(D, 'ca.pem')
    glob = set()
    while argv and argv[0] in ('--force', '--no-restart', '--quiet', '--trace'):
        glob.add(argv.pop(0))
    if not argv:
        out('Usage: dokku [--quiet|--trace|--force] COMMAND <app> [command-specific-options]')
        return
    cmd, args = argv[0], argv[1:]
    fail = read(os.path.join(D, 'fail-' + cmd))
    if fail is not None:
        sys.stderr.write(fail)
        sys.exit(1)
    sleep = read(os.path.join(D, 'sleep-' + cmd))
    if sleep is not None:
        out(f'-----> {cmd} (slow stand-in step)')
        # A real `sleep N` process, as a slow build runs one: tests find it with pgrep, and a
        # cancel (SIGTERM/SIGHUP from sshd) must leave nothing running on the node.
        child = subprocess.Popen(['sleep', sleep.strip()])

        def stop(signum, _frame):
            child.kill()
            sys.exit(128 + signum)

        for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
            signal.signal(sig, stop)
        child.wait()
    if cmd == 'plugin:install':
        plugin_install(args)
    elif cmd == 'ps:report':
        ps_report(args)
    elif cmd == 'git:report':
        git_report(args)
    elif cmd == 'letsencrypt:enable':
        _, pos = parse(cmd, args, bash_usage(cmd), go=False)
        need_app(pos[0])
        write(os.path.join(app_dir(pos[0]), 'letsencrypt'), '')
        out(f'-----> Enabling letsencrypt for {pos[0]}')
    elif cmd.partition(':')[0] in PLUGINS and bash_usage(cmd):
        datastore(cmd, args, glob)
    elif cmd.partition(':')[0] in PLUGINS:
        die(f'`{cmd}` is not a dokku command.\n !     See `dokku help` for a list of available commands.')
    else:
        core(cmd, args, glob)


if __name__ == '__main__':
    main()
