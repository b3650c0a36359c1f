import { expect, it } from 'vitest';
import { match } from './router';

it('matches patterns with params', () => {
  expect(match('/o/:slug/roles/:id', '/o/acme/roles/role_1')).toEqual({ slug: 'acme', id: 'role_1' });
  expect(match('/o/:slug/roles', '/o/acme/roles/')).toEqual({ slug: 'acme' });
  expect(match('/o/:slug/roles', '/o/acme/team')).toBeNull();
  expect(match('/invite/:token', '/invite/whi_a%2Bb')).toEqual({ token: 'whi_a+b' });
});
