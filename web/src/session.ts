// The signed-in user (GET /api/v1/me) shared by every page, with a reload after changes.
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Me, MeOrg } from './api';
import { can } from './perms';

export interface Session {
  me: Me | null;
  reload: () => Promise<Me | null>;
  signOut: () => Promise<void>;
}

export const SessionContext = createContext<Session>({ me: null, reload: async () => null, signOut: async () => {} });
export const useSession = () => useContext(SessionContext);

// The current org as /me describes it, with helpers naming what the user may do there.
export interface OrgCtx {
  org: MeOrg;
  can: (permission: string) => boolean;
  isAdmin: boolean;
}

export function orgCtx(org: MeOrg): OrgCtx {
  return {
    org,
    can: (p) => can(org.permissions, p),
    isAdmin: org.role.builtin && org.role.name === 'Admin',
  };
}

export const OrgContext = createContext<OrgCtx | null>(null);
export const useOrg = () => useContext(OrgContext)!;
