// The one place the UI talks to the server: the public JSON API under /api/v1, same origin.
// The session lives in the HttpOnly `wharf_session` cookie, which JavaScript never sees. The
// CSRF token from sign-in is kept in localStorage (shared by the tabs of this browser) and sent
// as X-CSRF-Token on every state-changing request. Sign-in and sign-up send cookie_only: true, so
// the session token is never in an answer that JavaScript can read: only the cookie carries it.

const CSRF_KEY = 'wharf.csrf';

export class ApiError extends Error {
  constructor(
    public status: number,
    public code: string,
    message: string,
    public layer?: string,
    public details: Record<string, any> = {},
  ) {
    super(message);
  }
  // The missing permission of a 403, e.g. "team.update".
  get permission(): string | undefined {
    return this.details?.permission;
  }
  // A field → problem map of a 400 validation_failed.
  get fields(): Record<string, string> {
    return this.details?.fields ?? {};
  }
}

export function setCsrf(token: string | null) {
  if (token) localStorage.setItem(CSRF_KEY, token);
  else localStorage.removeItem(CSRF_KEY);
}

let onUnauthenticated: () => void = () => {};
export function setUnauthenticatedHandler(fn: () => void) {
  onUnauthenticated = fn;
}

export async function request<T = any>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && method !== 'HEAD') {
    const csrf = localStorage.getItem(CSRF_KEY);
    if (csrf) headers['x-csrf-token'] = csrf;
  }
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
    });
  } catch {
    throw new ApiError(0, 'network', 'Cannot reach the Wharf server. Check that it is running and try again.', 'network');
  }
  const text = await res.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (!res.ok) {
    const e = json?.error ?? {};
    const err = new ApiError(res.status, e.code ?? 'internal', e.message ?? `The server answered ${res.status}.`, e.layer, e.details ?? {});
    if (res.status === 401 && !path.startsWith('/api/v1/auth/')) onUnauthenticated();
    // A cookie session without its CSRF token (storage cleared): only signing in again restores it.
    if (res.status === 403 && err.details?.reason === 'csrf') {
      err.message = 'This browser lost the security token of your session. Sign out and sign in again.';
    }
    throw err;
  }
  return json as T;
}

export const get = <T = any>(p: string) => request<T>('GET', p);
export const post = <T = any>(p: string, body?: unknown) => request<T>('POST', p, body ?? {});
export const patch = <T = any>(p: string, body: unknown) => request<T>('PATCH', p, body);
export const del = <T = any>(p: string) => request<T>('DELETE', p);

export const orgPath = (slug: string, rest = '') => `/api/v1/orgs/${encodeURIComponent(slug)}${rest}`;

// ---- shapes: generated from the server's OpenAPI document (src/api-types.ts, scripts/api-types.sh) ----
import type { components } from './api-types';
import type { Permissions } from './perms';

type Schemas = components['schemas'];
export type User = Schemas['User'];
export type MeOrg = { slug: string; name: string; owner: boolean; role: Schemas['RoleBrief']; permissions: Permissions };
export interface Me { user: User; orgs: MeOrg[] }
export type Org = Schemas['Org'];
export type Role = Omit<Schemas['Role'], 'permissions'> & { permissions: Permissions };
export type Member = Schemas['Member'];
export type Invitation = Schemas['Invitation'];
export type SshKey = Schemas['SshKey'];
export type AuditEvent = Schemas['AuditEvent'];
export type ApiToken = Omit<Schemas['ApiToken'], 'permissions'> & { permissions: Permissions | null };
export interface List<T> { items: T[]; next_cursor: string | null }

// ---- servers, security groups, jobs, explain, diagnose ----
export type CheckStatus = 'passed' | 'failed' | 'skipped' | 'not_applicable';
export interface Check { name: string; status: CheckStatus; message?: string; evidence?: string; code?: string; layer?: string; fix?: string }
export type ServedCertificate = Schemas['ServedCertificate'];
export interface CheckReport {
  at: number; ok: boolean; checks: Check[]; os?: string; dokku_version?: string; disk_free_mb?: number; host_key_fingerprint?: string; duration_ms?: number;
  certificates?: ServedCertificate[];
}
export type Server = Omit<Schemas['Server'], 'last_check'> & { last_check: CheckReport | null };
export interface BackupStorage {
  id: string; name: string; endpoint: string; endpoint_url: string; region: string; bucket: string; prefix: string;
  path_style: boolean; access_key_id: string; secret_access_key: { set: boolean }; verified: boolean;
  last_verified_at: string | null; last_error: { check: string; message: string; layer: string; fix: string } | null;
  note: string; created_at: string;
}
export interface Rule { type: string; protocol?: string; from_port?: number; to_port?: number; source: string; description?: string }
export type SecurityGroup = Schemas['SecurityGroup'];
export type Firewall = { backend: string; rules_in_force: string; skipped?: string[] };
export interface Explain {
  allowed: boolean; reason: string; message: string; hint?: string; permission?: string;
  role?: { id: string; name: string }; collection: string; action: string;
}
export interface Diagnosis {
  subject: string; layer: string | null; title: string; likely_causes: string[]; not_this?: string; matched?: string; page?: string;
  checklist: { name: string; status: CheckStatus; evidence: string; fix: string }[];
}

// ---- integrations (docker registries now; git providers, cloud accounts, backup storage later) ----
// Every integration row has the same verify bookkeeping; secret fields read back only as {set}.
export interface VerifyError { check: string; message: string; layer?: string; fix?: string }
export interface IntegrationState { verified: boolean; last_verified_at: string | null; last_error: VerifyError | null; expires_at: string | null }
export type DockerRegistry = Omit<Schemas['DockerRegistry'], 'last_error'> & { last_error: VerifyError | null };
// POST …/verify and …/test: the checks in order; the first failure skips the rest.
export interface VerifyReport { ok: boolean; checks: Check[]; image?: string; auth?: string; digest?: string }

// The "Why?" view for a 403: its details.explain URL ("…/access/explain?collection=&action=")
// turned into the UI route that shows the explanation.
export function whyHref(slug: string, collection: string, action: string): string {
  return `/o/${encodeURIComponent(slug)}/why?${new URLSearchParams({ collection, action })}`;
}
export function whyHrefFromError(slug: string, e: ApiError): string | null {
  const url = e.details?.explain;
  if (typeof url !== 'string') return null;
  const q = new URLSearchParams(url.split('?')[1] ?? '');
  const c = q.get('collection'), a = q.get('action');
  return c && a ? whyHref(slug, c, a) : null;
}

// Follows a job's log (Server-Sent Events: `event: log` chunks, then one `event: end` with
// {status}). Uses fetch streaming with the session cookie (a GET needs no CSRF header); resolves
// with the end event's data. `signal` stops following (leaving the page).
export async function followJobLog(path: string, onChunk: (text: string) => void, signal?: AbortSignal): Promise<{ status: string; error?: string | null }> {
  const res = await fetch(path, { headers: { accept: 'text/event-stream' }, credentials: 'same-origin', signal });
  if (!res.ok || !res.body) {
    let e: any = {};
    try { e = (await res.json())?.error ?? {}; } catch { /* not JSON */ }
    throw new ApiError(res.status, e.code ?? 'internal', e.message ?? `The server answered ${res.status}.`, e.layer, e.details ?? {});
  }
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  let end: { status: string; error?: string | null } | null = null;
  for (;;) {
    const { value, done } = await reader.read();
    if (value) buf += value;
    let i: number;
    while ((i = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, i);
      buf = buf.slice(i + 2);
      const lines = block.split('\n');
      const ev = (lines.find((l) => l.startsWith('event:')) ?? '').slice(6).trim() || 'message';
      const data = lines.filter((l) => l.startsWith('data:')).map((l) => l.slice(l.startsWith('data: ') ? 6 : 5)).join('\n');
      if (ev === 'log') onChunk(data.endsWith('\n') ? data : data + '\n');
      else if (ev === 'end') {
        try { end = JSON.parse(data); } catch { end = { status: 'unknown' }; }
      }
    }
    if (done || end) break;
  }
  reader.cancel().catch(() => {});
  if (!end) throw new ApiError(0, 'network', 'The log stream ended before the job did. Reload the page to see its status.', 'network');
  return end;
}
