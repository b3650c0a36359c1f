import { describe, expect, it } from 'vitest';
import { ApiError } from './api';
import type { Service } from './apps';
import {
  bulkBody, insertAt, isDirty, keyProblem, parseTemplate, referenceTargets, refExpr, removedKeys, rowErrors, rowsOf,
  secretExpr, secretProblem, secretsSaved, type Row,
} from './variables';

const v = (key: string, value: string, secrets: number[] = []) => ({ key, value, secrets: secrets.map((length) => ({ length, set: true })), references: [] });

describe('parseTemplate', () => {
  it('splits text, secret() and references', () => {
    expect(parseTemplate('postgres://{{ db.USER }}:{{db.PASSWORD}}@x/?k={{ secret(16) }}')).toEqual([
      { kind: 'text', text: 'postgres://' },
      { kind: 'ref', service: 'db', variable: 'USER', text: '{{ db.USER }}' },
      { kind: 'text', text: ':' },
      { kind: 'ref', service: 'db', variable: 'PASSWORD', text: '{{db.PASSWORD}}' },
      { kind: 'text', text: '@x/?k=' },
      { kind: 'secret', length: 16, charset: null, text: '{{ secret(16) }}' },
    ]);
  });
  it('reads a charset with escapes, and the literal {{ "{{" }}', () => {
    expect(parseTemplate('{{ secret(8, "a\\"b}}") }}')).toEqual([{ kind: 'secret', length: 8, charset: 'a"b}}', text: '{{ secret(8, "a\\"b}}") }}' }]);
    expect(parseTemplate('a{{ "{{" }}b')).toEqual([{ kind: 'text', text: 'a{{b' }]);
  });
  it('leaves bad expressions to the server', () => {
    expect(parseTemplate('pre {{ db.URL')).toEqual([{ kind: 'text', text: 'pre ' }, { kind: 'other', text: '{{ db.URL' }]);
    expect(parseTemplate('{{ nope(1) }}')[0].kind).toBe('other');
    expect(parseTemplate('plain')).toEqual([{ kind: 'text', text: 'plain' }]);
  });
});

describe('writing expressions', () => {
  it('secretExpr quotes the charset the way the server reads it', () => {
    expect(secretExpr(32, null)).toBe('{{ secret(32) }}');
    expect(secretExpr(8, 'ab"\\')).toBe('{{ secret(8, "ab\\"\\\\") }}');
    const p = parseTemplate(secretExpr(8, 'ab"\\'))[0];
    expect(p).toMatchObject({ kind: 'secret', length: 8, charset: 'ab"\\' });
    expect(refExpr('db', 'DATABASE_URL')).toBe('{{ db.DATABASE_URL }}');
  });
  it('secretProblem mirrors the server rules', () => {
    expect(secretProblem(32, null)).toBeNull();
    expect(secretProblem(0, null)).toMatch(/1 to 4096/);
    expect(secretProblem(5000, 'ab')).toMatch(/1 to 4096/);
    expect(secretProblem(8, 'a')).toMatch(/at least 2/);
    expect(secretProblem(8, 'a b')).toMatch(/printable/);
    expect(secretProblem(8, 'aab')).toMatch(/repeats 'a'/);
  });
  it('insertAt replaces the selection and puts the caret after the insert', () => {
    expect(insertAt('ab', 1, 1, 'X')).toEqual({ value: 'aXb', caret: 2 });
    expect(insertAt('abcd', 1, 3, 'X')).toEqual({ value: 'aXd', caret: 2 });
    expect(insertAt('ab', null, null, 'X')).toEqual({ value: 'abX', caret: 3 });
    expect(insertAt('ab', 9, 9, 'X')).toEqual({ value: 'abX', caret: 3 });
  });
  it('keyProblem: POSIX names', () => {
    expect(keyProblem('DATABASE_URL')).toBeNull();
    expect(keyProblem('_x1')).toBeNull();
    expect(keyProblem('1BAD')).toMatch(/POSIX/);
    expect(keyProblem('A-B')).toMatch(/POSIX/);
    expect(keyProblem('')).toMatch(/required/);
    expect(keyProblem('A'.repeat(129))).toMatch(/128/);
  });
});

describe('rows', () => {
  const saved = [v('A', '1'), v('S', '{{ secret(8) }}', [8])];
  it('bulkBody drops empty rows and trims keys; removedKeys and isDirty', () => {
    const rows: Row[] = [...rowsOf(saved), { key: '', value: '' }, { key: ' NEW ', value: 'x' }];
    expect(bulkBody(rows)).toEqual({ variables: [{ key: 'A', value: '1' }, { key: 'S', value: '{{ secret(8) }}' }, { key: 'NEW', value: 'x' }] });
    expect(isDirty(saved, rowsOf(saved))).toBe(false);
    expect(isDirty(saved, [...rowsOf(saved), { key: '', value: '' }])).toBe(false);
    expect(isDirty(saved, rows)).toBe(true);
    expect(removedKeys(saved, [rows[1]])).toEqual(['A']);
  });
  it('secretsSaved only while the row is unchanged', () => {
    const rows = rowsOf(saved);
    expect(secretsSaved(rows[1])).toBe(true);
    expect(secretsSaved(rows[0])).toBe(false);
    expect(secretsSaved({ ...rows[1], value: 'x{{ secret(8) }}' })).toBe(false);
    expect(secretsSaved({ key: 'S', value: '{{ secret(8) }}' })).toBe(false);
  });
  it('rowErrors puts the API problems on the rows they name', () => {
    const rows: Row[] = [{ key: 'A', value: '{{ web.B }}' }, { key: '', value: '' }, { key: 'B', value: 'x{{ web.A }}' }, { key: '1BAD', value: 'x' }];
    const e = new ApiError(400, 'validation_failed', 'bad', undefined, {
      fields: { 'variables.A': 'has a reference cycle: web.A → web.B → web.A', 'variables[2].key': 'must be a POSIX name', 'variables.GONE': 'x', other: 'y' },
    });
    const { byRow, rest } = rowErrors(e, rows);
    expect(byRow.get(0)).toBe('A has a reference cycle: web.A → web.B → web.A');
    expect(byRow.get(3)).toBe('key must be a POSIX name');  // index 2 of the body sent (the empty row is not sent)
    expect(byRow.size).toBe(2);
    expect(rest).toEqual(['variables.GONE x', 'other y']);
    expect(rowErrors(new Error('x'), rows).byRow.size).toBe(0);
  });
  it('referenceTargets lists own variables and built-ins', () => {
    const svc = (name: string, type: Service['type'], vars: string[]) => ({ name, type, variables: vars.map((k) => v(k, '')) }) as unknown as Service;
    expect(referenceTargets([svc('web', 'app', ['A']), svc('db', 'database', ['HOST', 'EXTRA'])])).toEqual([
      { service: 'web', variables: ['A', 'DOMAIN'] },
      { service: 'db', variables: ['HOST', 'EXTRA', 'DATABASE_URL', 'PORT', 'USER', 'PASSWORD', 'NAME'] },
    ]);
  });
});
