// Applications and services (docs/applications.md): the shapes the pages use, and the pure
// helpers that turn the forms into API bodies. Kept free of Preact so vitest covers them.
import type { Check } from './api';

export interface Application {
  id: string; name: string; description: string; server_id: string;
  created_at: string; updated_at: string; created_by: string;
}
export interface Domain { hostname: string; letsencrypt: boolean; default: boolean }
export interface Variable { key: string; value: string; secrets: { length: number; set: boolean }[]; references: string[] }
export type ServiceType = 'app' | 'docker' | 'database';
export interface Service {
  id: string; application_id: string; name: string; type: ServiceType; status: string;
  domains: Domain[]; variables: Variable[]; unset_keys: string[]; checks?: Check[];
  // app (git)
  git_provider_id?: string; repository?: string; branch?: string; tag?: string; build_path?: string; port?: number;
  // docker (image)
  image?: string; docker_registry_id?: string; ports?: string[];
  // database
  database?: { engine: string; version: string }; credentials?: { set: boolean };
  created_at: string; updated_at: string; created_by: string;
}
export interface GitProvider { id: string; name: string; type: string; base_url?: string; username?: string; verified: boolean }
export interface Credentials { engine: string; user: string; password: string; host: string; port: number; name: string; database_url: string }

// The engines and versions the server accepts (src/domain/apps.cc DatabaseEngines); the server
// stays the authority and names the supported versions when one is refused.
export const ENGINES: { name: string; label: string; def: string; versions: string[] }[] = [
  { name: 'postgres', label: 'PostgreSQL', def: '16', versions: ['12', '13', '14', '15', '16', '17'] },
  { name: 'mysql', label: 'MySQL', def: '8.0', versions: ['5.7', '8.0', '8.4', '9.0', '9.1'] },
  { name: 'mariadb', label: 'MariaDB', def: '11.4', versions: ['10.5', '10.6', '10.11', '11.0', '11.1', '11.2', '11.3', '11.4'] },
  { name: 'mongo', label: 'MongoDB', def: '7.0', versions: ['4.4', '5.0', '6.0', '7.0', '8.0'] },
  { name: 'redis', label: 'Redis', def: '7.2', versions: ['6.0', '6.2', '7.0', '7.2', '7.4'] },
];
export const engineOf = (name: string) => ENGINES.find((e) => e.name === name) ?? ENGINES[0];

// The variables a service offers to `{{ svc.VAR }}` besides its own (docs/applications.md).
export const DATABASE_BUILTINS = ['DATABASE_URL', 'HOST', 'PORT', 'USER', 'PASSWORD', 'NAME'];
export const APP_BUILTINS = ['DOMAIN'];

export const KIND_LABEL: Record<ServiceType, string> = { app: 'Git', docker: 'Docker image', database: 'Database' };

// One line saying what a service runs: "acme/web @ main", "nginx:1.27", "postgres 16".
export function serviceSummary(s: Service): string {
  if (s.type === 'database') return `${s.database?.engine ?? ''} ${s.database?.version ?? ''}`.trim();
  if (s.type === 'docker') return s.image ?? '';
  const ref = s.tag ? `tag ${s.tag}` : s.branch ?? '';
  return `${s.repository ?? ''}${ref ? ` @ ${ref}` : ''}`;
}

// Service names: 2–40 of a-z0-9-, starting with a letter (the server's rule; it decides).
export function serviceNameProblem(name: string): string | null {
  if (!name) return 'is required';
  if (!/^[a-z][a-z0-9-]{1,39}$/.test(name)) return 'must be 2–40 lowercase letters, digits and -, starting with a letter';
  return null;
}

// "http:80:5000, https:443:5000" → ["http:80:5000", "https:443:5000"].
export function parsePorts(text: string): string[] {
  return text.split(/[\s,]+/).map((p) => p.trim()).filter(Boolean);
}

export interface GitDraft { git_provider_id: string; repository: string; refKind: 'branch' | 'tag'; ref: string; build_path: string; port: string }
export interface DockerDraft { image: string; docker_registry_id: string; ports: string }
export interface DatabaseDraft { engine: string; version: string }

export const emptyGit = (): GitDraft => ({ git_provider_id: '', repository: '', refKind: 'branch', ref: 'main', build_path: '', port: '5000' });
export const emptyDocker = (): DockerDraft => ({ image: '', docker_registry_id: '', ports: '' });
export const emptyDatabase = (): DatabaseDraft => ({ engine: 'postgres', version: '16' });

// The POST …/applications/{id}/services body for a new service of each kind. Empty optional
// fields are left out so the server's defaults apply; a port that is not a number is sent as
// is (NaN → the server names the field).
export function gitBody(name: string, d: GitDraft): Record<string, unknown> {
  const b: Record<string, unknown> = { name: name.trim(), type: 'app', repository: d.repository.trim() };
  if (d.git_provider_id) b.git_provider_id = d.git_provider_id;
  b[d.refKind] = d.ref.trim();
  if (d.build_path.trim()) b.build_path = d.build_path.trim();
  if (d.port.trim()) b.port = portValue(d.port);
  return b;
}
export function dockerBody(name: string, d: DockerDraft): Record<string, unknown> {
  const b: Record<string, unknown> = { name: name.trim(), type: 'docker', image: d.image.trim() };
  if (d.docker_registry_id) b.docker_registry_id = d.docker_registry_id;
  const ports = parsePorts(d.ports);
  if (ports.length) b.ports = ports;
  return b;
}
export function databaseBody(name: string, d: DatabaseDraft): Record<string, unknown> {
  const db: Record<string, string> = { engine: d.engine };
  if (d.version.trim()) db.version = d.version.trim();
  return { name: name.trim(), type: 'database', database: db };
}

function portValue(p: string): number | string {
  const n = Number(p.trim());
  return Number.isInteger(n) ? n : p.trim();
}

// The drafts an existing service starts an edit from.
export function gitDraftOf(s: Service): GitDraft {
  return {
    git_provider_id: s.git_provider_id ?? '', repository: s.repository ?? '', refKind: s.tag ? 'tag' : 'branch',
    ref: s.tag || s.branch || '', build_path: s.build_path ?? '', port: s.port ? String(s.port) : '',
  };
}
export function dockerDraftOf(s: Service): DockerDraft {
  return { image: s.image ?? '', docker_registry_id: s.docker_registry_id ?? '', ports: (s.ports ?? []).join(', ') };
}

// The PATCH …/services/{id} body: only what changed (name included).
export function servicePatch(s: Service, name: string, d: GitDraft | DockerDraft | DatabaseDraft): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (name.trim() !== s.name) out.name = name.trim();
  if (s.type === 'app') {
    const g = d as GitDraft, was = gitDraftOf(s);
    if (g.git_provider_id !== was.git_provider_id) out.git_provider_id = g.git_provider_id;
    if (g.repository.trim() !== was.repository) out.repository = g.repository.trim();
    if (g.refKind !== was.refKind || g.ref.trim() !== was.ref) out[g.refKind] = g.ref.trim();
    if (g.build_path.trim() !== was.build_path) out.build_path = g.build_path.trim();
    if (g.port.trim() !== was.port) out.port = portValue(g.port);
  } else if (s.type === 'docker') {
    const k = d as DockerDraft, was = dockerDraftOf(s);
    if (k.image.trim() !== was.image) out.image = k.image.trim();
    if (k.docker_registry_id !== was.docker_registry_id) out.docker_registry_id = k.docker_registry_id;
    const ports = parsePorts(k.ports);
    if (ports.join(',') !== (s.ports ?? []).join(',')) out.ports = ports;
  } else {
    const b = d as DatabaseDraft;
    if (b.version.trim() && b.version.trim() !== s.database?.version) out.database = { engine: s.database?.engine ?? b.engine, version: b.version.trim() };
  }
  return out;
}

// The application edit body: only what changed.
export function applicationPatch(a: Application, d: { name: string; description: string; server_id: string }): Record<string, string> {
  const out: Record<string, string> = {};
  if (d.name.trim() !== a.name) out.name = d.name.trim();
  if (d.description.trim() !== a.description) out.description = d.description.trim();
  if (d.server_id && d.server_id !== a.server_id) out.server_id = d.server_id;
  return out;
}

// The app's UI routes, in one place: the service page, and the pages another part of the UI
// owns (deployments, a deployment's live log, backups).
export const appRoutes = {
  list: (slug: string) => `/o/${slug}/applications`,
  app: (slug: string, app: string) => `/o/${slug}/applications/${app}`,
  newService: (slug: string, app: string, kind?: string) => `/o/${slug}/applications/${app}/services/new${kind ? `?kind=${kind}` : ''}`,
  service: (slug: string, app: string, svc: string) => `/o/${slug}/applications/${app}/services/${svc}`,
  deployments: (slug: string, app: string, svc: string) => `/o/${slug}/applications/${app}/services/${svc}/deployments`,
  backups: (slug: string, app: string, svc: string) => `/o/${slug}/applications/${app}/services/${svc}/backups`,
  deployment: (slug: string, id: string) => `/o/${slug}/deployments/${id}`,
};
