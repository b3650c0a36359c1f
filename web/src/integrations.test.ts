import { describe, expect, it } from 'vitest';
import type { DockerRegistry, Server } from './api';
import { NAV, navAllowed } from './nav';
import { INTEGRATION_NEEDS, INTEGRATION_TABS, daysLeft, firstIntegrationTab, verifiedState } from './components/integrations';
import { registryPatch, sampleImage } from './pages/docker_registries';
import { draftOf, serverPatch } from './pages/server_edit';
import { orgCtx } from './session';
import { emptyGrant } from './perms';

const reg: DockerRegistry = {
  id: 'reg_1', name: 'ghcr', host: 'ghcr.io', username: 'octo', namespace: null, password: { set: true },
  verified: false, last_verified_at: null, last_error: null, expires_at: null, created_at: '', updated_at: '', created_by: 'usr_1',
};

describe('integrations', () => {
  it('the nav entry opens with any tab readable, and is locked with none', () => {
    const item = NAV.flatMap((s) => s.items).find((i) => i.path === '/integrations')!;
    expect(item.needAny).toEqual(INTEGRATION_NEEDS);
    const org = (perms: Record<string, boolean>) => orgCtx({
      slug: 'acme', name: 'Acme', owner: false, role: { id: 'r', name: 'Dev', builtin: false },
      permissions: Object.fromEntries(Object.entries(perms).map(([c, read]) => [c, { ...emptyGrant(), read }])),
    });
    expect(navAllowed(item, org({ dockerRegistries: true }))).toBe(true);
    expect(navAllowed(item, org({ servers: true }))).toBe(false);
    expect(firstIntegrationTab(() => false)).toBe(INTEGRATION_TABS[0]);
    expect(firstIntegrationTab((p) => p === 'dockerRegistries.read').path).toBe('docker-registries');
  });

  it('verified state and expiry', () => {
    expect(verifiedState(reg)).toBe('unverified');
    expect(verifiedState({ ...reg, verified: true })).toBe('verified');
    expect(verifiedState({ ...reg, last_error: { check: 'auth', message: 'unauthorized', layer: 'registry' } })).toBe('failed');
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(daysLeft(null, now)).toBeNull();
    expect(daysLeft('2026-01-11T00:00:00Z', now)).toBe(10);
    expect(daysLeft('2025-12-31T00:00:00Z', now)).toBe(-1);
  });

  it('a registry edit sends only what changed, and the token only when typed', () => {
    const d = { name: 'ghcr', host: 'ghcr.io', username: 'octo', password: '', namespace: '' };
    expect(registryPatch(reg, d)).toEqual({});
    expect(registryPatch(reg, { ...d, username: 'octo2 ', password: 's3cret' })).toEqual({ username: 'octo2', password: 's3cret' });
    expect(registryPatch(reg, { ...d, namespace: 'acme' })).toEqual({ namespace: 'acme' });
    expect(registryPatch({ ...reg, namespace: 'acme' }, { ...d, namespace: '' })).toEqual({ namespace: '' });
    expect(sampleImage('ghcr.io', 'acme')).toBe('ghcr.io/acme/app:latest');
    expect(sampleImage('', null)).toBe('ghcr.io/owner/app:latest');
  });

  it('a server edit sends only what changed', () => {
    const s = { id: 'srv_1', name: 'web-1', host: '10.0.0.5', port: 22, username: 'root', ssh_key_id: 'key_1', security_group_ids: ['sg_a', 'sg_b'] } as Server;
    const d = draftOf(s);
    expect(serverPatch(s, d)).toEqual({});
    expect(serverPatch(s, { ...d, security_group_ids: ['sg_b', 'sg_a'] })).toEqual({});
    expect(serverPatch(s, { ...d, name: 'web-2', port: '2222' })).toEqual({ name: 'web-2', port: 2222 });
    expect(serverPatch(s, { ...d, security_group_ids: ['sg_a'] })).toEqual({ security_group_ids: ['sg_a'] });
  });
});
