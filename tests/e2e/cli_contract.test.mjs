// The CLI speaks the documented contract: every request the real `wharf` client sends goes through
// a recording proxy on 127.0.0.1 that checks its body against the operation's documented request
// schema, and every answer against the documented response schema (lib/openapi_check.mjs), for a
// tour of the commands that create, edit and read.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startWharf, signup } from './lib/harness.mjs';
import { cliUser } from './lib/cli.mjs';
import { checkRequest, checkResponse } from './lib/openapi_check.mjs';

let s, ada, cli, proxy, base;
const seen = new Set();
const problems = [];

before(async () => {
  s = await startWharf();
  ada = await signup(s.url, 'ada');
  proxy = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks).toString('utf8');
      try {
        const template = await checkRequest(s.url, req.method, req.url, body || undefined);
        seen.add(`${req.method} ${template}`);
      } catch (e) { problems.push(e.message); }
      const headers = { ...req.headers };
      delete headers.host;
      const up = await fetch(s.url + req.url, { method: req.method, headers, body: body || undefined });
      const text = await up.text();
      let json;
      try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
      try { await checkResponse(s.url, req.method, req.url, up.status, up.headers, json, text); } catch (e) { problems.push(e.message); }
      const out = {};
      up.headers.forEach((v, k) => { if (!['content-encoding', 'content-length', 'transfer-encoding'].includes(k)) out[k] = v; });
      res.writeHead(up.status, out);
      res.end(text);
    });
  });
  await new Promise((r) => proxy.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${proxy.address().port}`;
  cli = cliUser('contract');
});
after(async () => { proxy?.close(); await s?.stop(); s?.cleanup(); cli?.cleanup(); });

test('the CLI\'s requests and the answers it reads match the OpenAPI document', async () => {
  const env = { WHARF_URL: base, WHARF_TOKEN: ada.token, WHARF_ORG: ada.org.slug };
  const run = async (args) => {
    const r = await cli.run([...args, '-o', 'json'], { env });
    assert.equal(r.code, 0, `wharf ${args.join(' ')}: ${r.stderr}`);
    return r.stdout ? JSON.parse(r.stdout) : null;
  };
  await run(['whoami']);
  await run(['org', 'list']);
  await run(['role', 'create', 'Developer', '--description', 'ships things', '--allow', 'services:cru', '--allow', 'servers:r']);
  await run(['role', 'edit', 'Developer', '--allow', '*:r']);
  await run(['role', 'list']);
  await run(['role', 'show', 'Developer']);
  await run(['member', 'list']);
  await run(['invite', 'grace@example.test', '--role', 'Developer', '--no-email']);
  await run(['invite', 'list']);
  await run(['ssh-key', 'add', 'deploy', '--generate', 'ed25519']);
  await run(['ssh-key', 'rename', 'deploy', 'deploy-2']);
  await run(['ssh-key', 'list']);
  await run(['ssh-key', 'show', 'deploy-2']);
  await run(['security-group', 'create', 'fw', '--inbound', 'https=0.0.0.0/0']);
  await run(['token', 'create', 'ci', '--allow', 'servers:r', '--expires-in-days', '30']);
  await run(['token', 'list']);
  await run(['audit', '--limit', '5']);
  assert.deepEqual(problems, []);
  for (const op of ['POST /api/v1/orgs/{org}/roles', 'PATCH /api/v1/orgs/{org}/roles/{id}', 'POST /api/v1/orgs/{org}/invitations',
    'POST /api/v1/orgs/{org}/ssh-keys', 'PATCH /api/v1/orgs/{org}/ssh-keys/{id}', 'POST /api/v1/orgs/{org}/security-groups',
    'POST /api/v1/me/tokens'])
    assert.ok(seen.has(op), `the tour sent ${op} (seen: ${[...seen].join(', ')})`);
});
