// Permission logic shared by every page: what the signed-in user may do in an org, and the role
// editor's matrix rules. Mirrors the server's model (API.md, "Permission model on the wire");
// the server stays the authority, this only decides what to disable and explain before a click.

export const ACTIONS = ['create', 'read', 'update', 'delete'] as const;
export type Action = (typeof ACTIONS)[number];

export interface Grant {
  create: boolean;
  read: boolean;
  update: boolean;
  delete: boolean;
  create_limit: number;
  read_scope: 'all' | 'own';
}
export type Permissions = Record<string, Grant>;

// Collections in the order the server lists them, with the label the UI shows.
export const COLLECTIONS: { key: string; label: string }[] = [
  { key: 'applications', label: 'Applications' },
  { key: 'projects', label: 'Projects (legacy)' },
  { key: 'services', label: 'Services' },
  { key: 'servers', label: 'Servers' },
  { key: 'templates', label: 'Templates' },
  { key: 'roles', label: 'Roles' },
  { key: 'backups', label: 'Backups' },
  { key: 'securityGroups', label: 'Security groups' },
  { key: 'sshKeys', label: 'SSH keys' },
  { key: 'cloudProviderAccounts', label: 'Cloud accounts' },
  { key: 'dockerRegistries', label: 'Docker registries' },
  { key: 'gitProviders', label: 'Git providers' },
  { key: 'backupStorage', label: 'Backup storage' },
  { key: 'team', label: 'Team' },
  { key: 'notifications', label: 'Notifications' },
];

export function emptyGrant(): Grant {
  return { create: false, read: false, update: false, delete: false, create_limit: 0, read_scope: 'all' };
}

export function grantOf(p: Permissions | undefined, collection: string): Grant {
  return { ...emptyGrant(), ...(p?.[collection] ?? {}) };
}

// True when `p` allows "collection.action", e.g. can(p, 'team.update').
export function can(p: Permissions | undefined, permission: string): boolean {
  const [collection, action] = permission.split('.');
  const g = p?.[collection];
  return !!g && !!g[action as Action];
}

// The full matrix for a role being edited: every collection present.
export function fullMatrix(p: Permissions | undefined): Permissions {
  const out: Permissions = {};
  for (const c of COLLECTIONS) out[c.key] = grantOf(p, c.key);
  return out;
}

// A row toggle: all four actions on when any is off, else all off.
export function toggleRow(p: Permissions, collection: string): Permissions {
  const g = grantOf(p, collection);
  const on = !ACTIONS.every((a) => g[a]);
  const ng = { ...g };
  for (const a of ACTIONS) ng[a] = on;
  return { ...p, [collection]: ng };
}

// A column toggle: that action on for every collection when any is off, else off for all.
export function toggleColumn(p: Permissions, action: Action): Permissions {
  const on = !COLLECTIONS.every((c) => grantOf(p, c.key)[action]);
  const out: Permissions = { ...p };
  for (const c of COLLECTIONS) out[c.key] = { ...grantOf(p, c.key), [action]: on };
  return out;
}

export function setCell(p: Permissions, collection: string, action: Action, value: boolean): Permissions {
  return { ...p, [collection]: { ...grantOf(p, collection), [action]: value } };
}

function any(g: Grant): boolean {
  return g.create || g.read || g.update || g.delete;
}

// Why `draft` grants more than `own` (the editor's own effective permissions), one entry per
// collection/field, named like the server names them ("servers.update", "sshKeys.create (create_limit)").
// Empty when the draft is within `own`. Same rules as the server's escalation check.
export function beyondOwn(draft: Permissions, own: Permissions): string[] {
  const out: string[] = [];
  for (const c of COLLECTIONS) {
    const mine = grantOf(draft, c.key);
    const theirs = grantOf(own, c.key);
    for (const a of ACTIONS) if (mine[a] && !theirs[a]) out.push(`${c.key}.${a}`);
    if (mine.create && theirs.create_limit !== 0 && (mine.create_limit === 0 || mine.create_limit > theirs.create_limit))
      out.push(`${c.key}.create (create_limit)`);
    if (any(mine) && theirs.read_scope === 'own' && mine.read_scope === 'all') out.push(`${c.key}.read (read_scope all)`);
  }
  return out;
}

// The body the API expects: collections with no action and default options are left out.
export function compact(p: Permissions): Permissions {
  const out: Permissions = {};
  for (const c of COLLECTIONS) {
    const g = grantOf(p, c.key);
    if (!any(g) && g.create_limit === 0 && g.read_scope === 'all') continue;
    out[c.key] = g;
  }
  return out;
}

// Parses "id1, id2 id3" into a sorted list of unique ids.
export function parseIds(text: string): string[] {
  return [...new Set(text.split(/[\s,]+/).map((s) => s.trim()).filter(Boolean))].sort();
}

export interface ResourceScope { applications: string[]; servers: string[] }

// Why a draft resource_scope reaches further than the editor's own (the server's escalation check:
// a role restricted to some applications or servers may only grant a subset of them). `own` null
// or empty lists mean unrestricted. One entry per collection, e.g. "resource_scope.applications".
export function scopeBeyondOwn(draft: ResourceScope, own: ResourceScope | null | undefined): string[] {
  const out: string[] = [];
  for (const k of ['applications', 'servers'] as const) {
    const mine = own?.[k] ?? [];
    if (!mine.length) continue;
    const theirs = draft[k];
    if (!theirs.length || theirs.some((id) => !mine.includes(id))) out.push(`resource_scope.${k}`);
  }
  return out;
}
