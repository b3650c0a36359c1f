// Runs every *.test.mjs file here one after another (each starts its own servers) and prints
// one closing line "N passed, N failed". Works on Node 18 and later.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = path.dirname(fileURLToPath(import.meta.url));
const files = readdirSync(dir).filter((f) => f.endsWith('.test.mjs')).sort();
let passed = 0;
let failed = 0;
for (const f of files) {
  const r = spawnSync(process.execPath, ['--test', '--test-reporter=tap', path.join(dir, f)], { encoding: 'utf8', env: process.env, timeout: 600_000 });
  const out = (r.stdout || '') + (r.stderr || '');
  const p = Number((out.match(/^# pass (\d+)/m) || [])[1] || 0);
  const n = Number((out.match(/^# fail (\d+)/m) || [])[1] || 0);
  passed += p;
  failed += n;
  const bad = r.status !== 0 || n > 0 || p === 0;
  if (bad && n === 0) failed += 1;  // a file that crashed or ran nothing counts as a failure
  process.stdout.write(`${bad ? 'FAIL' : 'ok  '} ${f} (${p} passed, ${n} failed)\n`);
  if (bad) process.stdout.write(out.split('\n').filter((l) => !/^\s+(duration_ms|\.\.\.|---)/.test(l)).join('\n') + '\n');
}
process.stdout.write(`e2e: ${passed} passed, ${failed} failed\n`);
process.exit(failed > 0 ? 1 : 0);
