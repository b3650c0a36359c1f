import { describe, expect, it } from 'vitest';
import { beyondOwn, can, compact, fullMatrix, parseIds, scopeBeyondOwn, setCell, toggleColumn, toggleRow } from './perms';

describe('permissions', () => {
  it('can() reads collection.action', () => {
    const p = { team: { create: false, read: true, update: false, delete: false, create_limit: 0, read_scope: 'all' as const } };
    expect(can(p, 'team.read')).toBe(true);
    expect(can(p, 'team.update')).toBe(false);
    expect(can(p, 'servers.read')).toBe(false);
    expect(can(undefined, 'team.read')).toBe(false);
  });

  it('row toggle turns all on, then all off', () => {
    let p = fullMatrix({});
    p = setCell(p, 'servers', 'read', true);
    p = toggleRow(p, 'servers');
    expect(p.servers).toMatchObject({ create: true, read: true, update: true, delete: true });
    p = toggleRow(p, 'servers');
    expect(p.servers).toMatchObject({ create: false, read: false, update: false, delete: false });
  });

  it('column toggle sets one action on every collection', () => {
    let p = toggleColumn(fullMatrix({}), 'read');
    expect(Object.values(p).every((g) => g.read && !g.update)).toBe(true);
    p = toggleColumn(p, 'read');
    expect(Object.values(p).some((g) => g.read)).toBe(false);
  });

  it('beyondOwn names grants the editor does not hold, like the server', () => {
    const own = fullMatrix({ team: { create: false, read: true, update: true, delete: false, create_limit: 0, read_scope: 'all' },
      sshKeys: { create: true, read: true, update: false, delete: false, create_limit: 2, read_scope: 'own' } });
    let draft = setCell(fullMatrix({}), 'team', 'read', true);
    expect(beyondOwn(draft, own)).toEqual([]);
    draft = setCell(draft, 'team', 'delete', true);
    expect(beyondOwn(draft, own)).toEqual(['team.delete']);
    draft = setCell(fullMatrix({}), 'sshKeys', 'create', true);
    expect(beyondOwn(draft, own)).toEqual(['sshKeys.create (create_limit)', 'sshKeys.read (read_scope all)']);
    draft.sshKeys = { ...draft.sshKeys, create_limit: 2, read_scope: 'own' };
    expect(beyondOwn(draft, own)).toEqual([]);
  });

  it('compact drops empty collections', () => {
    const p = setCell(fullMatrix({}), 'roles', 'read', true);
    expect(Object.keys(compact(p))).toEqual(['roles']);
  });

  it('parseIds splits, trims and dedupes', () => {
    expect(parseIds(' b, a  a,\n c ')).toEqual(['a', 'b', 'c']);
    expect(parseIds('')).toEqual([]);
  });
});

describe('scopeBeyondOwn', () => {
  it('an unrestricted editor may grant any scope', () => {
    expect(scopeBeyondOwn({ applications: [], servers: [] }, null)).toEqual([]);
    expect(scopeBeyondOwn({ applications: ['a'], servers: [] }, { applications: [], servers: [] })).toEqual([]);
  });
  it('a scoped editor may grant only a subset, never every row', () => {
    const own = { applications: ['a', 'b'], servers: [] };
    expect(scopeBeyondOwn({ applications: [], servers: [] }, own)).toEqual(['resource_scope.applications']);
    expect(scopeBeyondOwn({ applications: ['a', 'c'], servers: ['s'] }, own)).toEqual(['resource_scope.applications']);
    expect(scopeBeyondOwn({ applications: ['b'], servers: [] }, own)).toEqual([]);
    expect(scopeBeyondOwn({ applications: ['b'], servers: [] }, { applications: ['b'], servers: ['s'] })).toEqual(['resource_scope.servers']);
  });
});
