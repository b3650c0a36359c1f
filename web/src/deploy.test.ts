import { describe, expect, it } from 'vitest';
import {
  atBottom, backupsBusy, errorWithoutFix, durationOf, fmtBytes, fmtDuration, isActive, isoOf, mayHaveMore, pageQuery, scheduleBody,
  scheduleDraft, statusClass, targetBody, toMs, whoLabel, type Backup,
} from './deploy';

describe('deployment status and time', () => {
  it('knows which statuses are still going and colours the end states', () => {
    expect(isActive('queued')).toBe(true);
    expect(isActive('running')).toBe(true);
    for (const s of ['succeeded', 'failed', 'cancelled', undefined, null]) expect(isActive(s as any)).toBe(false);
    expect(statusClass('succeeded')).toBe('ok');
    expect(statusClass('failed')).toBe('bad');
    expect(statusClass('cancelled')).toBe('');
  });
  it('reads both time forms of the API', () => {
    expect(toMs('2026-11-25T18:00:00Z')).toBe(Date.UTC(2026, 10, 25, 18));
    expect(toMs(1764093600000)).toBe(1764093600000);
    expect(toMs(null)).toBeNull();
    expect(toMs('not a time')).toBeNull();
    expect(isoOf(0)).toBe('1970-01-01T00:00:00.000Z');
    expect(isoOf(undefined)).toBeNull();
  });
  it('formats durations, running ones up to now', () => {
    expect(fmtDuration(850)).toBe('850 ms');
    expect(fmtDuration(42_000)).toBe('42 s');
    expect(fmtDuration(185_000)).toBe('3 min 05 s');
    expect(fmtDuration(7_380_000)).toBe('2 h 03 min');
    expect(fmtDuration(-5)).toBe('0 ms');
    expect(durationOf(null, null)).toBe('—');
    expect(durationOf('2026-11-25T18:00:00Z', '2026-11-25T18:00:12Z')).toBe('12 s');
    expect(durationOf(1000, null, 4000)).toBe('3 s');
  });
  it('shows a failure without the fix it also carries (the fix has its own line)', () => {
    expect(errorWithoutFix("Step 'x' failed: denied Fix: Check the token.", 'Check the token.')).toBe("Step 'x' failed: denied");
    expect(errorWithoutFix('boom', 'Do this.')).toBe('boom');
    expect(errorWithoutFix('boom', null)).toBe('boom');
    expect(errorWithoutFix(null, 'x')).toBe('');
  });
  it('names who started it', () => {
    const names = { usr_a: 'Ada', usr_b: 'Bob' };
    expect(whoLabel('usr_b', 'manual', names, 'usr_a')).toBe('Bob');
    expect(whoLabel('usr_a', 'manual', names, 'usr_a')).toBe('Ada (you)');
    expect(whoLabel('usr_a', 'manual', {}, 'usr_a')).toBe('you');
    expect(whoLabel('usr_c', 'manual', names, 'usr_a')).toBe('usr_c');
    expect(whoLabel(null, 'push', names)).toBe('git push');
    expect(whoLabel(null, 'manual', names)).toBe('—');
  });
});

describe('paging and the log', () => {
  it('asks for a page with the cursor when there is one', () => {
    expect(pageQuery(20)).toBe('?limit=20');
    expect(pageQuery(20, 'abc=')).toBe('?limit=20&cursor=abc%3D');
  });
  it('offers more rows after a full page, or when the API gives a cursor', () => {
    expect(mayHaveMore(20, 20, null)).toBe(true);
    expect(mayHaveMore(19, 20, null)).toBe(false);
    expect(mayHaveMore(200, 200, null)).toBe(false);
    expect(mayHaveMore(3, 20, 'next')).toBe(true);
  });
  it('follows while the reader is at the bottom of the log', () => {
    expect(atBottom(600, 1000, 400)).toBe(true);
    expect(atBottom(590, 1000, 400)).toBe(true);
    expect(atBottom(100, 1000, 400)).toBe(false);
    expect(atBottom(0, 300, 400)).toBe(true);
  });
});

describe('backups', () => {
  it('formats sizes', () => {
    expect(fmtBytes(null)).toBe('—');
    expect(fmtBytes(512)).toBe('512\u00a0B');
    expect(fmtBytes(1536)).toBe('1.5\u00a0KiB');
    expect(fmtBytes(12 * 1024 * 1024 + 15)).toBe('12\u00a0MiB');
  });
  it('builds the backup target body', () => {
    expect(targetBody({ storage: 'internal', backup_storage_id: 'bst_1' })).toEqual({ storage: 'internal' });
    expect(targetBody({ storage: 'external', backup_storage_id: 'bst_1' })).toEqual({ storage: 'external', backup_storage_id: 'bst_1' });
    expect(targetBody({ storage: 'external', backup_storage_id: '' })).toEqual({ storage: 'external' });
  });
  it('checks the schedule form like the API does', () => {
    const d = { frequency: 'daily', retention: '7', storage: 'external' as const, backup_storage_id: 'bst_1' };
    expect(scheduleBody(d)).toEqual({ body: { frequency: 'daily', retention: 7, storage: 'external', backup_storage_id: 'bst_1' } });
    expect(scheduleBody({ ...d, retention: '0' }).fields?.retention).toMatch(/1 to 1000/);
    expect(scheduleBody({ ...d, retention: '1001' }).fields?.retention).toBeTruthy();
    expect(scheduleBody({ ...d, retention: '2.5' }).fields?.retention).toBeTruthy();
    expect(scheduleBody({ ...d, frequency: 'yearly' }).fields?.frequency).toMatch(/hourly, daily, weekly or monthly/);
    expect(scheduleBody({ ...d, retention: ' 1000 ', storage: 'internal' }).body).toEqual({ frequency: 'daily', retention: 1000, storage: 'internal' });
  });
  it('starts the schedule form from the saved schedule, else daily on the first verified storage', () => {
    const st = [{ id: 'bst_u', verified: false }, { id: 'bst_v', verified: true }];
    expect(scheduleDraft(null, st)).toEqual({ frequency: 'daily', retention: '7', storage: 'external', backup_storage_id: 'bst_v' });
    expect(scheduleDraft(null, [st[0]])).toEqual({ frequency: 'daily', retention: '7', storage: 'internal', backup_storage_id: '' });
    const saved = { id: 's', frequency: 'weekly', retention: 4, storage: 'internal', backup_storage_id: null } as any;
    expect(scheduleDraft(saved, st)).toEqual({ frequency: 'weekly', retention: '4', storage: 'internal', backup_storage_id: '' });
  });
  it('polls while a backup or a restore runs', () => {
    const b = (status: string, restore?: string) => ({ status, restore: restore ? { status: restore } : null }) as unknown as Backup;
    expect(backupsBusy([b('succeeded'), b('failed')])).toBe(false);
    expect(backupsBusy([b('succeeded'), b('queued')])).toBe(true);
    expect(backupsBusy([b('succeeded', 'running')])).toBe(true);
  });
});
