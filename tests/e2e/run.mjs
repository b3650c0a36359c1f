// Runs every *.test.mjs file here one after another (each starts its own servers) and prints
// one closing line "N passed, N failed". Works on Node 18 and later.
//
// Each file runs twice: on the embedded SQLite, then with WHARF_E2E_DATABASE=postgres (the
// harness starts a PostgreSQL per file and gives each wharf its own database). A file whose
// first lines say `// e2e-database: postgres` is about PostgreSQL itself and runs once, there.
// Arguments: file names to run (default: all); WHARF_E2E_DATABASES=sqlite or =postgres for one pass.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = path.dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2).map((f) => path.basename(f));
const files = readdirSync(dir).filter((f) => f.endsWith('.test.mjs') && (!wanted.length || wanted.includes(f))).sort();
const passes = (process.env.WHARF_E2E_DATABASES || 'sqlite,postgres').split(',').map((s) => s.trim()).filter(Boolean);
let passed = 0;
let failed = 0;
for (const database of passes) {
  for (const f of files) {
    const pgOnly = /^\/\/ e2e-database: postgres$/m.test(readFileSync(path.join(dir, f), 'utf8').slice(0, 500));
    if (pgOnly && database !== 'postgres') continue;
    const env = { ...process.env, WHARF_E2E_DATABASE: database };
    const t0 = Date.now();
    const r = spawnSync(process.execPath, ['--test', '--test-reporter=tap', path.join(dir, f)], { encoding: 'utf8', env, timeout: 600_000 });
    const out = (r.stdout || '') + (r.stderr || '');
    const p = Number((out.match(/^# pass (\d+)/m) || [])[1] || 0);
    const n = Number((out.match(/^# fail (\d+)/m) || [])[1] || 0);
    passed += p;
    failed += n;
    const bad = r.status !== 0 || n > 0 || p === 0;
    if (bad && n === 0) failed += 1;  // a file that crashed or ran nothing counts as a failure
    process.stdout.write(`${bad ? 'FAIL' : 'ok  '} ${f} [${database}] (${p} passed, ${n} failed, ${((Date.now() - t0) / 1000).toFixed(1)}s)\n`);
    if (bad) process.stdout.write(out.split('\n').filter((l) => !/^\s+(duration_ms|\.\.\.|---)/.test(l)).join('\n') + '\n');
  }
}
process.stdout.write(`e2e: ${passed} passed, ${failed} failed\n`);
process.exit(failed > 0 ? 1 : 0);
