// The document a running wharf serves passes two third-party OpenAPI tools with 0 errors:
// @apidevtools/swagger-parser (validate: the OpenAPI 3.0 schema and every $ref) and @redocly/cli
// (lint with its recommended rules). `wharf openapi` prints the same document without serving.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SwaggerParser from '@apidevtools/swagger-parser';
import { startWharf, api, ROOT, WHARF_BIN } from './lib/harness.mjs';

let s, doc, dir, file;
before(async () => {
  s = await startWharf();
  const r = await api(s.url, 'GET', '/api/v1/openapi.json');
  assert.equal(r.status, 200);
  doc = r.json;
  dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-openapi-'));
  file = path.join(dir, 'openapi.json');
  writeFileSync(file, JSON.stringify(doc));
});
after(async () => { await s.stop(); s.cleanup(); rmSync(dir, { recursive: true, force: true }); });

test('swagger-parser validates the served document with 0 errors', async () => {
  const parsed = await SwaggerParser.validate(structuredClone(doc));
  assert.match(parsed.openapi, /^3\.0\./);
  assert.ok(Object.keys(parsed.paths).length > 50);
});

test('redocly lint (recommended rules) reports 0 errors', () => {
  const cli = path.join(ROOT, 'tests/e2e/node_modules/@redocly/cli/bin/cli.js');
  const r = spawnSync(process.execPath, [cli, 'lint', '--extends=recommended', '--format=json', file],
    { encoding: 'utf8', timeout: 120_000, env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' } });
  let report;
  try { report = JSON.parse(r.stdout); } catch { assert.fail(`redocly printed no JSON (exit ${r.status}): ${r.stdout}\n${r.stderr}`); }
  const errors = report.problems.filter((p) => p.severity === 'error');
  assert.deepEqual(errors.map((p) => `${p.ruleId}: ${p.message} at ${p.location?.[0]?.pointer}`), []);
  assert.equal(r.status, 0, r.stderr);
});

// The POST actions that take no body: the path says everything (an id, a token in the path).
const NO_BODY = new RegExp('/(' + [
  'cancel', 'check', 'onboard', 'apply-firewall', 'leave', 'link', 'resend', 'restore', 'run', 'accept',
  'repin-host-key', 'restart', 'stop', 'deploy', 'redeploy', 'destroy', 'logout', 'logout-all', 'reveal-credentials',
  'default', 'disable', 'enable', 'redeliver', 'options', 'recovery-codes', 'verification',
].join('|') + ')$|^/api/v1/me/totp$|^/api/v1/auth/verify-email/\\{token\\}$|/notification-channels/\\{id\\}/test$');

test('every operation documents its request body, its 2xx body and its security', () => {
  const missing = [];
  for (const [p, item] of Object.entries(doc.paths)) {
    for (const [m, op] of Object.entries(item)) {
      if (!op.operationId) missing.push(`${m.toUpperCase()} ${p}: no operationId`);
      const ok = Object.entries(op.responses).filter(([st]) => st.startsWith('2') && st !== '204');
      for (const [st, res] of ok) if (!res.content) missing.push(`${m.toUpperCase()} ${p} ${st}: no content`);
      if (['post', 'put', 'patch'].includes(m) && !op.requestBody && !NO_BODY.test(p))
        missing.push(`${m.toUpperCase()} ${p}: no requestBody`);
      if (!Array.isArray(op.security)) missing.push(`${m.toUpperCase()} ${p}: no security`);
    }
  }
  assert.deepEqual(missing, [], 'operations without schemas');
});

test('`wharf openapi` prints the document the server serves', () => {
  const printed = JSON.parse(execFileSync(WHARF_BIN, ['openapi'], { encoding: 'utf8', maxBuffer: 64 << 20 }));
  assert.deepEqual(printed, doc);
});
