// Releases and runtime logs of a service (docs/releases.md): the shapes the API answers, the
// rollback preview as sentences, and the live log's SSE reading, filtering and download text.
import { ApiError } from './api';
import type { components } from './api-types';

// The shapes come from the server's OpenAPI document (src/api-types.ts, scripts/api-types.sh).
type Schemas = components['schemas'];
export type ReleaseSource = Schemas['ReleaseSource'];
export type Release = Schemas['Release'];
export type RollbackPreview = Schemas['RollbackPreview'];
export type RollbackChanges = RollbackPreview['changes'];
export type AddedRemoved = RollbackChanges['domains'];
export type LogLine = { ts: string | null; process: string | null; text: string };

// "image 127.0.0.1:5000/a/b:v1 (sha256:0123456789ab)" or "git 0123456789ab".
export function sourceLabel(s: ReleaseSource): string {
  if (s.kind === 'git') return s.commit ? `git ${s.commit.slice(0, 12)}` : 'git (commit unknown)';
  return `${s.image ?? 'image'}${s.image_digest ? ` (${s.image_digest.slice(0, 19)})` : ' (no digest)'}`;
}

// The preview as short sentences, keys only (the API never sends values).
export function describeChanges(c: RollbackChanges): string[] {
  const out: string[] = [];
  if (c.source) out.push(`Source: ${sourceLabel(c.source.from)} → ${sourceLabel(c.source.to)}`);
  const v = c.variables;
  if (v.added.length) out.push(`Variables added: ${v.added.join(', ')}`);
  if (v.removed.length) out.push(`Variables removed: ${v.removed.join(', ')}`);
  if (v.changed.length) out.push(`Variables changed: ${v.changed.join(', ')}`);
  for (const [name, d] of [['Domains', c.domains], ['Ports', c.ports]] as const) {
    if (d.added.length) out.push(`${name} added: ${d.added.join(', ')}`);
    if (d.removed.length) out.push(`${name} removed: ${d.removed.join(', ')}`);
  }
  if (!out.length) out.push('Nothing changes: the same source, variables, domains and ports.');
  return out;
}

// Splits complete SSE blocks off `buf`: the events and what is left for the next read.
export function takeEvents(buf: string): { events: { event: string; data: string }[]; rest: string } {
  const events: { event: string; data: string }[] = [];
  let i: number;
  while ((i = buf.indexOf('\n\n')) >= 0) {
    const lines = buf.slice(0, i).split('\n');
    buf = buf.slice(i + 2);
    const data = lines.filter((l) => l.startsWith('data:')).map((l) => l.slice(l.startsWith('data: ') ? 6 : 5)).join('\n');
    if (!lines.some((l) => l.startsWith('data:'))) continue;  // a keep-alive comment
    const event = (lines.find((l) => l.startsWith('event:')) ?? '').slice(6).trim() || 'message';
    events.push({ event, data });
  }
  return { events, rest: buf };
}

// Lines whose text or process contains `q` (case-insensitive); all of them for an empty query.
export function filterLines(lines: LogLine[], q: string): LogLine[] {
  const needle = q.trim().toLowerCase();
  if (!needle) return lines;
  return lines.filter((l) => l.text.toLowerCase().includes(needle) || (l.process ?? '').toLowerCase().includes(needle));
}

// What "Download" saves: one "<ts> <process> <text>" per line.
export function linesToText(lines: LogLine[]): string {
  return lines.map((l) => [l.ts, l.process, l.text].filter((x) => x).join(' ')).join('\n') + (lines.length ? '\n' : '');
}

// Streams GET …/services/{id}/logs: `onLine` per line; resolves with the end event's data.
export async function followServiceLogs(path: string, onLine: (l: LogLine) => void, signal?: AbortSignal): Promise<{ status: string; error: string | null }> {
  const res = await fetch(path, { headers: { accept: 'text/event-stream' }, credentials: 'same-origin', signal });
  if (!res.ok || !res.body) {
    let e: any = {};
    try { e = (await res.json())?.error ?? {}; } catch { /* not JSON */ }
    throw new ApiError(res.status, e.code ?? 'internal', e.message ?? `The server answered ${res.status}.`, e.layer, e.details ?? {});
  }
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (value) buf += value;
    const { events, rest } = takeEvents(buf);
    buf = rest;
    for (const e of events) {
      if (e.event === 'line') { try { onLine(JSON.parse(e.data)); } catch { /* a malformed event is skipped */ } }
      if (e.event === 'end') {
        reader.cancel().catch(() => {});
        try { return JSON.parse(e.data); } catch { return { status: 'unknown', error: null }; }
      }
    }
    if (done) return { status: 'closed', error: null };
  }
}
