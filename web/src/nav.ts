// The org's navigation, kept apart from the app shell so that pages (the overview lists the same
// entries) can use it without importing app.tsx, which imports every page.
import { INTEGRATION_NEEDS } from './components/integrations';
import type { OrgCtx } from './session';

// Navigation: one entry per page in an org. `need` is the permission to read the page (entries
// stay visible without it and open the access-denied panel); `needAny` for a page with tabs that
// opens when any one of them can be read (Integrations); `abs` for a path outside the org (Guides).
export interface NavItem { path: string; label: string; need?: string; needAny?: string[]; admin?: boolean; abs?: boolean }
export const NAV: { section: string; items: NavItem[] }[] = [
  {
    section: 'Workspace',
    items: [
      { path: '', label: 'Overview' },
      { path: '/team', label: 'Team', need: 'team.read' },
      { path: '/roles', label: 'Roles', need: 'roles.read' },
      { path: '/notifications', label: 'Notifications', need: 'notifications.read' },
      { path: '/audit', label: 'Audit log', admin: true },
    ],
  },
  {
    section: 'Deploy',
    items: [
      { path: '/applications', label: 'Applications', need: 'applications.read' },
      { path: '/templates', label: 'Templates', need: 'templates.read' },
    ],
  },
  { section: 'Infrastructure', items: [{ path: '/servers', label: 'Servers', need: 'servers.read' }] },
  { section: 'Integrations', items: [{ path: '/integrations', label: 'Integrations', needAny: INTEGRATION_NEEDS }] },
  {
    section: 'Security',
    items: [
      { path: '/ssh-keys', label: 'SSH keys', need: 'sshKeys.read' },
      { path: '/security-groups', label: 'Security groups', need: 'securityGroups.read' },
    ],
  },
  {
    section: 'Help',
    items: [
      { path: '/troubleshoot', label: 'Troubleshooting' },
      { path: '/help/troubleshooting', label: 'Guides', abs: true },
    ],
  },
];

// Whether the member may open a nav entry (the server still decides every request).
export function navAllowed(it: NavItem, ctx: OrgCtx): boolean {
  if (it.admin) return ctx.isAdmin;
  if (it.need) return ctx.can(it.need);
  if (it.needAny) return it.needAny.some((n) => ctx.can(n));
  return true;
}
