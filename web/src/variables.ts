// The variable editor's logic (docs/applications.md, Variables), free of Preact for vitest:
// reading a template into its parts (for the chips next to a value), writing `secret()` and
// `{{ svc.VAR }}` expressions, inserting them at the caret, local key checks, the bulk PUT body,
// and placing the server's 400 problems on the row they name. The server parses and validates
// every save; this only helps to write and to show where a problem is.
import { ApiError } from './api';
import { APP_BUILTINS, DATABASE_BUILTINS, type Service, type Variable } from './apps';

export interface Row { key: string; value: string; saved?: Variable }

export type Part =
  | { kind: 'text'; text: string }
  | { kind: 'secret'; length: number; charset: string | null; text: string }
  | { kind: 'ref'; service: string; variable: string; text: string }
  | { kind: 'other'; text: string };

// Splits a template into text and expressions. Unclosed or unknown expressions are 'other':
// the server names the problem and its position on save.
export function parseTemplate(value: string): Part[] {
  const out: Part[] = [];
  let i = 0, text = '';
  const flush = () => { if (text) out.push({ kind: 'text', text }), (text = ''); };
  while (i < value.length) {
    const open = value.indexOf('{{', i);
    if (open < 0) { text += value.slice(i); break; }
    text += value.slice(i, open);
    const close = findClose(value, open + 2);
    if (close < 0) { flush(); out.push({ kind: 'other', text: value.slice(open) }); i = value.length; break; }
    const src = value.slice(open, close + 2);
    const inner = value.slice(open + 2, close).trim();
    i = close + 2;
    let m: RegExpMatchArray | null;
    if ((m = inner.match(/^"((?:[^"\\]|\\.)*)"$/))) { text += m[1].replace(/\\(["\\])/g, '$1'); continue; }
    flush();
    if ((m = inner.match(/^secret\s*\(\s*(\d+)\s*(?:,\s*"((?:[^"\\]|\\.)*)"\s*)?\)$/)))
      out.push({ kind: 'secret', length: Number(m[1]), charset: m[2] === undefined ? null : m[2].replace(/\\(["\\])/g, '$1'), text: src });
    else if ((m = inner.match(/^([a-z0-9-]+)\.([A-Za-z_][A-Za-z0-9_]*)$/)))
      out.push({ kind: 'ref', service: m[1], variable: m[2], text: src });
    else out.push({ kind: 'other', text: src });
  }
  flush();
  return out;
}

// The `}}` closing an expression that opened before `from`, skipping quoted strings.
function findClose(s: string, from: number): number {
  let q = false;
  for (let i = from; i < s.length; i++) {
    const c = s[i];
    if (q) {
      if (c === '\\') i++;
      else if (c === '"') q = false;
    } else if (c === '"') q = true;
    else if (c === '}' && s[i + 1] === '}') return i;
  }
  return -1;
}

// Charsets offered by the secret() helper; "custom" takes what the user types.
export const CHARSETS: { id: string; label: string; chars: string | null }[] = [
  { id: 'alnum', label: 'Letters and digits (A-Z a-z 0-9)', chars: null },
  { id: 'hex', label: 'Hex (0-9 a-f)', chars: '0123456789abcdef' },
  { id: 'lower', label: 'Lowercase and digits', chars: 'abcdefghijklmnopqrstuvwxyz0123456789' },
  { id: 'custom', label: 'Custom…', chars: '' },
];

const quote = (s: string) => '"' + s.replace(/["\\]/g, (c) => '\\' + c) + '"';

// `{{ secret(32) }}` (default charset) or `{{ secret(32, "abc") }}`.
export function secretExpr(length: number, charset: string | null): string {
  return charset === null || charset === '' ? `{{ secret(${length}) }}` : `{{ secret(${length}, ${quote(charset)}) }}`;
}

// A local check of the secret() helper's inputs, in the server's words (it decides on save).
export function secretProblem(length: number, charset: string | null): string | null {
  if (!Number.isInteger(length) || length < 1 || length > 4096) return 'The length must be from 1 to 4096.';
  if (charset === null) return null;
  if (charset.length < 2) return 'The charset needs at least 2 distinct characters.';
  for (const c of charset) if (c < '!' || c > '~') return 'The charset may only hold printable ASCII characters other than space.';
  const seen = new Set<string>();
  for (const c of charset) {
    if (seen.has(c)) return `The charset repeats '${c}': repeated characters would be drawn more often.`;
    seen.add(c);
  }
  return null;
}

export const refExpr = (service: string, variable: string) => `{{ ${service}.${variable} }}`;

// Inserts `text` into `value` replacing [start, end); returns the new value and the caret after it.
export function insertAt(value: string, start: number | null | undefined, end: number | null | undefined, text: string): { value: string; caret: number } {
  const a = start == null ? value.length : Math.max(0, Math.min(start, value.length));
  const b = end == null ? a : Math.max(a, Math.min(end, value.length));
  return { value: value.slice(0, a) + text + value.slice(b), caret: a + text.length };
}

// POSIX environment names, at most 128 characters (the server's rule).
export function keyProblem(key: string): string | null {
  if (!key) return 'A key is required.';
  if (key.length > 128) return 'A key has at most 128 characters.';
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) return 'Use letters, digits and _, not starting with a digit (a POSIX environment name).';
  return null;
}

// What `{{ svc.VAR }}` can point at in this application: every service with its own variables
// and its built-ins (a database's URI parts, an app's or image's DOMAIN).
export function referenceTargets(services: Service[]): { service: string; variables: string[] }[] {
  return services.map((s) => {
    const own = s.variables.map((v) => v.key);
    const builtins = s.type === 'database' ? DATABASE_BUILTINS : APP_BUILTINS;
    return { service: s.name, variables: [...own, ...builtins.filter((b) => !own.includes(b))] };
  });
}

export const rowsOf = (vars: Variable[]): Row[] => vars.map((v) => ({ key: v.key, value: v.value, saved: v }));

// The PUT …/variables body: every row with a key or a value (a fully empty row is dropped).
export function bulkBody(rows: Row[]): { variables: { key: string; value: string }[] } {
  return { variables: rows.filter((r) => r.key.trim() || r.value).map((r) => ({ key: r.key.trim(), value: r.value })) };
}

// The saved keys this edit removes (the next deploy unsets them on the node).
export function removedKeys(saved: Variable[], rows: Row[]): string[] {
  const now = new Set(rows.map((r) => r.key.trim()));
  return saved.map((v) => v.key).filter((k) => !now.has(k));
}

// Whether the rows differ from what is saved.
export function isDirty(saved: Variable[], rows: Row[]): boolean {
  const b = bulkBody(rows).variables;
  return b.length !== saved.length || b.some((r, i) => r.key !== saved[i].key || r.value !== saved[i].value);
}

// Whether a row's secret() values are the saved, generated ones (its text is unchanged), so
// "Regenerate" applies to it.
export const secretsSaved = (r: Row) => !!r.saved && r.saved.key === r.key.trim() && r.saved.value === r.value && r.saved.secrets.length > 0;

// Places a 400's field problems on rows: `variables.KEY` (validation naming the variable),
// `variables[i].key` / `variables[i].value` (index into the body sent, i.e. bulkBody(rows)).
// Returns the row index → message map and the problems that name no row.
export function rowErrors(error: unknown, rows: Row[]): { byRow: Map<number, string>; rest: string[] } {
  const byRow = new Map<number, string>();
  const rest: string[] = [];
  if (!(error instanceof ApiError)) return { byRow, rest };
  const sent = rows.map((r, i) => ({ r, i })).filter(({ r }) => r.key.trim() || r.value);
  const add = (i: number, msg: string) => byRow.set(i, byRow.has(i) ? `${byRow.get(i)} ${msg}` : msg);
  for (const [field, msg] of Object.entries(error.fields)) {
    let m: RegExpMatchArray | null;
    if ((m = field.match(/^variables\[(\d+)\](?:\.(key|value))?$/)) && sent[Number(m[1])]) {
      add(sent[Number(m[1])].i, `${m[2] ?? 'variable'} ${msg}`);
    } else if ((m = field.match(/^variables\.([A-Za-z_][A-Za-z0-9_]*)$/))) {
      const i = rows.findIndex((r) => r.key.trim() === m![1]);
      if (i >= 0) add(i, `${m[1]} ${msg}`);
      else rest.push(`${field} ${msg}`);
    } else rest.push(`${field} ${msg}`);
  }
  return { byRow, rest };
}
