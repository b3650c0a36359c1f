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

// ---- shapes (the fields the UI uses) ----
import type { Permissions } from './perms';

export interface User { id: string; email: string; name: string; instance_admin: boolean }
export interface MeOrg { slug: string; name: string; owner: boolean; role: { id: string; name: string; builtin: boolean }; permissions: Permissions }
export interface Me { user: User; orgs: MeOrg[] }
export interface Org { id: string; slug: string; name: string; owner_id: string; seat_limit: number; seats_used: number }
export interface Role {
  id: string; name: string; description: string; builtin: boolean; permissions: Permissions;
  resource_scope: { applications: string[]; servers: string[] } | null; member_count: number;
}
export interface Member { user: { id: string; email: string; name: string }; role: { id: string; name: string; builtin?: boolean }; owner: boolean; joined_at: string }
export interface Invitation { id: string; email: string; role: { id: string; name: string }; status: string; expires_at: string; email_status: string; email_error?: string; link?: string }
export interface SshKey { id: string; name: string; type: string; public_key: string; fingerprint: string; private_key: { set: boolean }; created_at: string }
export interface AuditEvent { id: string; at: string; actor: { id: string; email: string }; action: string; collection: string; resource_id: string; outcome: string; request_id: string; ip: string }
export interface ApiToken { id: string; name: string; org: string; permissions: Permissions | null; expires_at: string | null; created_at: string; last_used_at: string | null }
export interface List<T> { items: T[]; next_cursor: string | null }
