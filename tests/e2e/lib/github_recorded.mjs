// RECORDED GitHub responses (GitHub's own API cannot be reached from the tests): a small HTTPS
// server on 127.0.0.1 (certificate from the test CA) answering the GitHub App endpoints Wharf
// calls with the shapes and error bodies GitHub returns. It checks what GitHub checks:
//   - app JWTs (Authorization: Bearer <jwt>): RS256 signature against the app's PUBLIC key,
//     exp in the future and at most 10 minutes ahead, iat not in the future; failures answer 401
//     with GitHub's real messages ("A JSON web token could not be decoded", "'Expiration time'
//     claim ('exp') …").
//   - installation tokens (ghs_…) it minted itself, unexpired and not revoked; otherwise 401
//     "Bad credentials".
// Also a recorded GitLab token API (GET /api/v4/personal_access_tokens/self with PRIVATE-TOKEN).
//
// As GitHub Enterprise (`apiPrefix: '/api/v3'`, `git: {url, user, password}`), the same host also
// answers git over HTTPS the way GitHub does for an App: https://HOST/OWNER/REPO.git with Basic auth
// `x-access-token:<installation token>`, accepted only for an unexpired, unrevoked token whose
// installation has OWNER/REPO on its allow-list (401 with a Basic challenge, or 404 "Repository
// not found." otherwise). The git itself is a REAL git http-backend (lib/git_server.mjs) that this
// front forwards to, path /git/OWNER/REPO.git, with the backend's own credentials.
// `state.gitAuth` records each git request's {user, token, repo, status}.
import crypto from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import { freePort } from './harness.mjs';

const DOCS = 'https://docs.github.com/rest';
const iso = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

// apps: {appId: publicKeyPem}. installations: {id: {appId, account, suspended?, selection?,
// repos: [{full_name, default_branch, branches: {name: sha}}]}}.
export async function startGithubRecorded({ ca, apps, installations, apiPrefix = '', git }) {
  const { key, cert } = ca.issue('github-recorded');
  const tokens = new Map();  // token → {installation, expiresAt, revoked}
  const state = { tokenTtlSeconds: 3600, exchanges: 0, requests: [], jwtFailures: [], gitAuth: [] };
  const gitBase = git ? new URL(git.url) : null;
  // GitHub's git over HTTPS for an App installation token, forwarded to the real git http-backend.
  function serveGit(req, res, owner, name, rest, search) {
    const full = `${owner}/${name}`;
    const auth = req.headers.authorization || '';
    let user = '', token = '';
    if (auth.startsWith('Basic ')) {
      const dec = Buffer.from(auth.slice(6), 'base64').toString();
      user = dec.slice(0, dec.indexOf(':'));
      token = dec.slice(dec.indexOf(':') + 1);
    }
    const t = tokens.get(token);
    const record = (status) => state.gitAuth.push({ user, token, repo: full, status });
    if (!t || t.revoked || t.expiresAt <= Date.now() || user !== 'x-access-token') {
      record(401);
      res.writeHead(401, { 'www-authenticate': 'Basic realm="GitHub"', 'content-type': 'text/plain' });
      return res.end(auth ? 'remote: Invalid username or token. Password authentication is not supported for Git operations.\n' : '');
    }
    const inst = installations[t.installation];
    if (inst.suspended || !inst.repos.some((r) => r.full_name.toLowerCase() === full.toLowerCase())) {
      record(404);
      res.writeHead(404, { 'content-type': 'text/plain' });
      return res.end('remote: Repository not found.\n');
    }
    record(200);
    const headers = { ...req.headers, host: gitBase.host,
      authorization: `Basic ${Buffer.from(`${git.user}:${git.password}`).toString('base64')}` };
    const up = https.request({ host: gitBase.hostname, port: gitBase.port, method: req.method, headers, ca: ca.caPem,
      path: `/git/${full}.git${rest}${search}` }, (r) => {
      res.writeHead(r.statusCode, r.headers);
      r.pipe(res);
    });
    up.on('error', (e) => { res.writeHead(502); res.end(String(e)); });
    req.pipe(up);
  }
  const send = (res, status, body, headers = {}) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'x-github-media-type': 'github.v3; format=json', ...headers });
    res.end(JSON.stringify(body));
  };
  const unauthorized = (res, message) => send(res, 401, { message, documentation_url: DOCS, status: '401' });

  // → appId, or null after answering 401 like GitHub.
  function checkJwt(req, res) {
    const auth = req.headers.authorization || '';
    const jwt = auth.startsWith('Bearer ') ? auth.slice(7) : '';
    const parts = jwt.split('.');
    const fail = (m) => { state.jwtFailures.push(m); unauthorized(res, m); return null; };
    if (parts.length !== 3) return fail('A JSON web token could not be decoded');
    let header, claims;
    try {
      header = JSON.parse(Buffer.from(parts[0], 'base64url'));
      claims = JSON.parse(Buffer.from(parts[1], 'base64url'));
    } catch { return fail('A JSON web token could not be decoded'); }
    const pub = apps[String(claims.iss)];
    if (header.alg !== 'RS256' || !pub) return fail('A JSON web token could not be decoded');
    const ok = crypto.verify('RSA-SHA256', Buffer.from(`${parts[0]}.${parts[1]}`), pub, Buffer.from(parts[2], 'base64url'));
    if (!ok) return fail('A JSON web token could not be decoded');
    const now = Math.floor(Date.now() / 1000);
    if (typeof claims.exp !== 'number' || claims.exp <= now)
      return fail("'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires");
    if (claims.exp - now > 600) return fail("'Expiration time' claim ('exp') is too far in the future");
    if (typeof claims.iat !== 'number' || claims.iat > now + 30)
      return fail("'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued");
    return String(claims.iss);
  }
  function checkToken(req, res) {
    const auth = req.headers.authorization || '';
    const m = auth.match(/^(?:Bearer|token) (ghs_[A-Za-z0-9]+)$/);
    const t = m && tokens.get(m[1]);
    if (!t || t.revoked || t.expiresAt <= Date.now()) { unauthorized(res, 'Bad credentials'); return null; }
    return t;
  }
  const instJson = (id, inst) => ({
    id: Number(id), client_id: `Iv1.${inst.appId}abcdef`, account: { login: inst.account, id: 4242, type: 'Organization' },
    repository_selection: inst.selection || 'selected',
    access_tokens_url: `https://api.github.com/app/installations/${id}/access_tokens`,
    repositories_url: 'https://api.github.com/installation/repositories',
    html_url: `https://github.com/organizations/${inst.account}/settings/installations/${id}`,
    app_id: Number(inst.appId), app_slug: 'wharf-deployer', target_id: 4242, target_type: 'Organization',
    permissions: { contents: 'read', metadata: 'read' }, events: ['push'],
    created_at: '2026-01-05T10:00:00.000Z', updated_at: '2026-01-05T10:00:00.000Z', single_file_name: null,
    has_multiple_single_files: false, single_file_paths: [],
    suspended_by: inst.suspended ? { login: 'octo-admin', id: 1, type: 'User' } : null,
    suspended_at: inst.suspended ? '2026-11-01T09:30:00Z' : null,
  });

  const server = https.createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (req, res) => {
    const u = new URL(req.url, 'https://x');
    let p = u.pathname;
    let m;
    if (git && !p.startsWith(`${apiPrefix}/`) && (m = p.match(/^\/([^/]+)\/([^/]+)\.git(\/.*)?$/)))
      return serveGit(req, res, m[1], m[2], m[3] || '', u.search);
    if (apiPrefix) {
      if (!p.startsWith(`${apiPrefix}/`)) { req.resume(); return send(res, 404, { message: 'Not Found', documentation_url: DOCS, status: '404' }); }
      p = p.slice(apiPrefix.length);
    }
    state.requests.push({ method: req.method, path: p, ua: req.headers['user-agent'], version: req.headers['x-github-api-version'] });
    req.resume();
    if (req.method === 'GET' && (m = p.match(/^\/app\/installations\/(\d+)$/))) {
      const appId = checkJwt(req, res);
      if (!appId) return;
      const inst = installations[m[1]];
      if (!inst || String(inst.appId) !== appId)
        return send(res, 404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest/apps/apps#get-an-installation-for-the-authenticated-app', status: '404' });
      return send(res, 200, instJson(m[1], inst));
    }
    if (req.method === 'POST' && (m = p.match(/^\/app\/installations\/(\d+)\/access_tokens$/))) {
      const appId = checkJwt(req, res);
      if (!appId) return;
      const inst = installations[m[1]];
      if (!inst || String(inst.appId) !== appId)
        return send(res, 404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest/apps/apps#create-an-installation-access-token-for-an-app', status: '404' });
      if (inst.suspended)
        return send(res, 403, { message: 'This installation has been suspended', documentation_url: 'https://docs.github.com/rest/apps/apps#create-an-installation-access-token-for-an-app', status: '403' });
      state.exchanges++;
      const token = `ghs_${crypto.randomBytes(18).toString('hex')}`;
      const expiresAt = Date.now() + state.tokenTtlSeconds * 1000;
      tokens.set(token, { installation: m[1], expiresAt, revoked: false });
      return send(res, 201, { token, expires_at: iso(expiresAt), permissions: { contents: 'read', metadata: 'read' },
        repository_selection: inst.selection || 'selected' });
    }
    if (req.method === 'GET' && p === '/installation/repositories') {
      const t = checkToken(req, res);
      if (!t) return;
      const inst = installations[t.installation];
      const per = Math.min(100, Number(u.searchParams.get('per_page') || 30));
      const page = Number(u.searchParams.get('page') || 1);
      const all = inst.repos;
      const slice = all.slice((page - 1) * per, page * per);
      const last = Math.max(1, Math.ceil(all.length / per));
      const headers = {};
      if (page < last)
        headers.link = `<https://api.github.com/installation/repositories?per_page=${per}&page=${page + 1}>; rel="next", ` +
          `<https://api.github.com/installation/repositories?per_page=${per}&page=${last}>; rel="last"`;
      return send(res, 200, { total_count: all.length, repository_selection: inst.selection || 'selected',
        repositories: slice.map((r, i) => ({ id: 1000 + i, node_id: `R_${i}`, name: r.full_name.split('/')[1], full_name: r.full_name,
          private: true, owner: { login: r.full_name.split('/')[0], type: 'Organization' },
          html_url: `https://github.com/${r.full_name}`, default_branch: r.default_branch || 'main' })) }, headers);
    }
    if (req.method === 'GET' && (m = p.match(/^\/repos\/([^/]+)\/([^/]+)\/branches\/(.+)$/))) {
      const t = checkToken(req, res);
      if (!t) return;
      const inst = installations[t.installation];
      const repo = inst.repos.find((r) => r.full_name.toLowerCase() === `${m[1]}/${m[2]}`.toLowerCase());
      const docs = 'https://docs.github.com/rest/branches/branches#get-a-branch';
      if (!repo) return send(res, 404, { message: 'Not Found', documentation_url: docs, status: '404' });
      const name = decodeURIComponent(m[3]);
      const sha = repo.branches[name];
      if (!sha) return send(res, 404, { message: 'Branch not found', documentation_url: docs, status: '404' });
      return send(res, 200, { name, commit: { sha, url: `https://api.github.com/repos/${repo.full_name}/commits/${sha}` },
        protected: false, protection_url: `https://api.github.com/repos/${repo.full_name}/branches/${name}/protection` });
    }
    send(res, 404, { message: 'Not Found', documentation_url: DOCS, status: '404' });
  });
  const port = await freePort();
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `https://127.0.0.1:${port}`,
    state,
    tokens,
    // GitHub stops accepting every token minted so far (as when one expires or is revoked).
    expireAllTokens() { for (const t of tokens.values()) t.revoked = true; },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

// RECORDED GitLab token API: tokens {value: {name, scopes, expires_at: 'YYYY-MM-DD'|null, revoked?, expired?}}.
export async function startGitlabRecorded({ tokens }) {
  const requests = [];
  const server = http.createServer((req, res) => {
    req.resume();
    const u = new URL(req.url, 'http://x');
    requests.push({ method: req.method, path: u.pathname });
    const json = (status, body, headers = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    if (u.pathname !== '/api/v4/personal_access_tokens/self') return json(404, { error: '404 Not Found' });
    const t = tokens[req.headers['private-token'] || ''];
    const www = (desc) => ({ 'www-authenticate': `Bearer realm="", error="invalid_token", error_description="${desc}"` });
    if (!t) return json(401, { message: '401 Unauthorized' });
    if (t.revoked) return json(401, { error: 'invalid_token', error_description: 'Token was revoked. You have to re-authorize from the user.' },
      www('Token was revoked. You have to re-authorize from the user.'));
    if (t.expired) return json(401, { error: 'invalid_token', error_description: 'Token has expired.' }, www('Token has expired.'));
    json(200, { id: 42, name: t.name, revoked: false, created_at: '2026-10-01T08:00:00.000Z', scopes: t.scopes, user_id: 7,
      last_used_at: null, active: true, expires_at: t.expires_at ?? null });
  });
  const port = await freePort();
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { port, requests, close: () => new Promise((resolve) => server.close(resolve)) };
}
