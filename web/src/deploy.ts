// Deployments and backups: the shapes the pages use and the small rules they share (status
// badges, durations, who started it, paging, the log's follow mode, the backup schedule form).
// Kept free of Preact so vitest checks them directly (deploy.test.ts).

export type RunStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'failed_after_start' | 'cancelled';

export interface Deployment {
  id: string; job_id: string; application_id: string; service_id: string;
  action: string; trigger: string; ref: string; commit_sha: string | null; status: RunStatus | string;
  error: string | null; error_layer: string | null; error_fix: string | null;
  created_at: string; started_at: string | null; finished_at: string | null; created_by: string | null;
  log?: string;
}

// The end event of GET …/deployments/{id}/log.
export interface DeploymentEnd { status: string; error?: string | null; layer?: string | null; fix?: string | null }

export interface Service {
  id: string; application_id: string; name: string; type: string; status: string;
  database?: { engine: string; version: string };
}

export interface Backup {
  id: string; application_id: string; service_id: string; service_name: string; engine: string;
  storage: 'internal' | 'external' | string; backup_storage_id: string | null; object_key: string | null; path: string | null;
  status: RunStatus | string; size: number | null; sha256: string | null; trigger: string; schedule_id: string | null;
  job_id: string | null; error: { message: string; layer?: string } | null;
  started_at: number | null; finished_at: number | null; created_at: number | string; created_by: string | null;
  restore: { status: string; job_id: string; error: { message: string; layer?: string } | null; started_at: number | null; finished_at: number | null } | null;
}

export interface BackupSchedule {
  id: string; frequency: string; retention: number | null; storage: string; backup_storage_id: string | null;
  next_run_at: number | null; last_run_at: number | null; last_backup_id: string | null; last_pruned: number | null;
  last_error: { message: string; layer?: string; during?: string } | null;
}

// The actions a service offers besides "Deploy", in the API's words (docs/applications.md).
export const OTHER_ACTIONS: { action: string; label: string; confirm?: (svc: string) => string; danger?: boolean }[] = [
  { action: 'redeploy', label: 'Redeploy' },
  { action: 'restart', label: 'Restart' },
  { action: 'stop', label: 'Stop', confirm: (s) => `Stop ${s}? It stays stopped until the next deploy or restart.` },
  { action: 'destroy', label: 'Destroy', danger: true,
    confirm: (s) => `Destroy ${s} on the server? Its Dokku app (or database and its data) is removed. Wharf keeps the settings, so Deploy creates it again.` },
];

export const isActive = (status: string | null | undefined) => status === 'queued' || status === 'running';

// The pill class of a status: green for success, red for failure, grey otherwise.
export function statusClass(status: string): string {
  if (status === 'succeeded') return 'ok';
  if (status === 'failed' || status === 'failed_after_start') return 'bad';
  return '';
}

// Milliseconds since the epoch from the API's two time forms (RFC 3339 text, or a number of ms).
export function toMs(t: string | number | null | undefined): number | null {
  if (t === null || t === undefined || t === '') return null;
  if (typeof t === 'number') return t;
  const n = Date.parse(t);
  return isNaN(n) ? null : n;
}

// "850 ms", "42 s", "3 min 05 s", "2 h 03 min".
export function fmtDuration(ms: number): string {
  if (ms < 0) ms = 0;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

// How long it ran: started → finished, or started → now while it runs; '—' before it starts.
export function durationOf(started: string | number | null, finished: string | number | null, now = Date.now()): string {
  const a = toMs(started);
  if (a === null) return '—';
  const b = toMs(finished) ?? now;
  return fmtDuration(b - a);
}

// Who started it: the member's name when known, "you", a git push, or the id.
export function whoLabel(createdBy: string | null, trigger: string, names: Record<string, string>, meId?: string): string {
  if (!createdBy) return trigger === 'push' ? 'git push' : trigger === 'schedule' ? 'schedule' : '—';
  if (createdBy === meId) return names[createdBy] ? `${names[createdBy]} (you)` : 'you';
  return names[createdBy] ?? createdBy;
}

// The query of a list page: `limit`, and the cursor when the API gave one.
export function pageQuery(limit: number, cursor?: string | null): string {
  const q = new URLSearchParams({ limit: String(limit) });
  if (cursor) q.set('cursor', cursor);
  return `?${q}`;
}

// Whether a list may have more rows: the API's next_cursor, or (when it pages by limit only)
// a full page below the API's maximum of 200.
export function mayHaveMore(count: number, limit: number, nextCursor: string | null | undefined): boolean {
  if (nextCursor) return true;
  return count >= limit && limit < 200;
}

// The log keeps following the newest line while the reader is at (or near) its bottom.
export function atBottom(scrollTop: number, scrollHeight: number, clientHeight: number, slack = 24): boolean {
  return scrollHeight - (scrollTop + clientHeight) <= slack;
}

// ---- backups ----

export const FREQUENCIES = ['hourly', 'daily', 'weekly', 'monthly'] as const;

export function fmtBytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return '—';
  if (n < 1024) return `${n}\u00a0B`;  // no break between the number and its unit
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024, i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)}\u00a0${units[i]}`;
}

export interface BackupTarget { storage: 'internal' | 'external'; backup_storage_id: string }

// The body of POST …/backups (and the storage part of a schedule). An external target without a
// storage is sent as is: the API names the missing field.
export function targetBody(t: BackupTarget): Record<string, string> {
  if (t.storage === 'internal') return { storage: 'internal' };
  return t.backup_storage_id ? { storage: 'external', backup_storage_id: t.backup_storage_id } : { storage: 'external' };
}

export interface ScheduleDraft extends BackupTarget { frequency: string; retention: string }

// The body of PUT …/backup-schedule, or the field problems to show before sending (the API
// checks the same: retention 1 to 1000, one of the four frequencies).
export function scheduleBody(d: ScheduleDraft): { body?: Record<string, unknown>; fields?: Record<string, string> } {
  const fields: Record<string, string> = {};
  if (!(FREQUENCIES as readonly string[]).includes(d.frequency)) fields.frequency = 'must be hourly, daily, weekly or monthly';
  const r = d.retention.trim();
  const n = Number(r);
  if (!/^\d+$/.test(r) || n < 1 || n > 1000) fields.retention = 'must be a whole number from 1 to 1000 (how many scheduled backups to keep)';
  if (Object.keys(fields).length) return { fields };
  return { body: { frequency: d.frequency, retention: n, ...targetBody(d) } };
}

// The draft a schedule form starts from: the saved schedule, or daily / keep 7 on the first
// verified storage (internal when there is none).
export function scheduleDraft(s: BackupSchedule | null, storages: { id: string; verified: boolean }[]): ScheduleDraft {
  if (s) return { frequency: s.frequency, retention: String(s.retention ?? 7), storage: s.storage === 'internal' ? 'internal' : 'external', backup_storage_id: s.backup_storage_id ?? '' };
  const v = storages.find((x) => x.verified);
  return { frequency: 'daily', retention: '7', storage: v ? 'external' : 'internal', backup_storage_id: v?.id ?? '' };
}

// Whether the backups list should be polled again: something is still queued or running.
export const backupsBusy = (items: Backup[]) => items.some((b) => isActive(b.status) || isActive(b.restore?.status));

// RFC 3339 text for fmtTime from either time form; null when there is none.
export function isoOf(t: string | number | null | undefined): string | null {
  const ms = toMs(t);
  return ms === null ? null : new Date(ms).toISOString();
}

// A failed deployment's error may end with " Fix: <fix>"; the page shows the fix on its own line.
export function errorWithoutFix(error: string | null | undefined, fix: string | null | undefined): string {
  const e = (error ?? '').trimEnd();
  const f = (fix ?? '').trim();
  if (!f) return e;
  for (const tail of [` Fix: ${f}`, `\nFix: ${f}`]) if (e.endsWith(tail)) return e.slice(0, -tail.length).trimEnd();
  return e;
}
