// The UI's module map (docs/web-ui.md, "Code layout"): pages import shared widgets from
// components/ and models from the top level, never another page; nothing imports in a circle.
import { describe, expect, it } from 'vitest';

// Every source file's text, keyed './dir/file.tsx' (Vite's glob; tests excluded).
const files = import.meta.glob(['./**/*.ts', './**/*.tsx', '!./**/*.test.ts'], { query: '?raw', import: 'default', eager: true }) as Record<string, string>;

// The file a relative specifier names, as Vite resolves it (extension or directory index).
function resolve(from: string, spec: string): string | null {
  const parts = from.split('/').slice(0, -1);
  for (const seg of spec.split('/')) {
    if (seg === '..') parts.pop();
    else if (seg !== '.') parts.push(seg);
  }
  const base = parts.join('/');
  for (const c of [base, `${base}.ts`, `${base}.tsx`, `${base}/index.ts`, `${base}/index.tsx`]) if (c in files) return c;
  return null;
}

const graph = new Map<string, string[]>();
for (const [f, text] of Object.entries(files)) {
  const specs = [...text.matchAll(/^import\s[^;]*?from\s+'(\.[^']+)'/gms), ...text.matchAll(/^import\s+'(\.[^']+)'/gm)].map((m) => m[1]);
  graph.set(f, specs.filter((s) => !s.endsWith('.css')).map((s) => resolve(f, s)).filter((x): x is string => !!x));
}
const rel = (f: string) => f.slice(2);

describe('module map', () => {
  it('has no import circle', () => {
    const state = new Map<string, 'open' | 'done'>();
    const cycles: string[] = [];
    const visit = (f: string, trail: string[]) => {
      if (state.get(f) === 'done') return;
      if (state.get(f) === 'open') {
        cycles.push([...trail.slice(trail.indexOf(f)), f].map(rel).join(' → '));
        return;
      }
      state.set(f, 'open');
      for (const d of graph.get(f) ?? []) visit(d, [...trail, f]);
      state.set(f, 'done');
    };
    for (const f of graph.keys()) visit(f, []);
    expect(cycles).toEqual([]);
  });

  it('pages never import another page, and components never import a page', () => {
    const bad: string[] = [];
    for (const [f, deps] of graph) {
      const from = rel(f);
      if (!from.startsWith('pages/') && !from.startsWith('components/')) continue;
      for (const d of deps) if (rel(d).startsWith('pages/')) bad.push(`${from} → ${rel(d)}`);
    }
    expect(bad).toEqual([]);
  });

  it('sees the whole tree (the parser found the imports)', () => {
    expect(graph.size).toBeGreaterThan(40);
    expect(graph.get('./app.tsx')?.length).toBeGreaterThan(20);
  });
});
