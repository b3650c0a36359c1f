import { describe, expect, it } from 'vitest';
import { ApiError, whyHref, whyHrefFromError } from './api';

describe('the "Why?" link of a 403', () => {
  it('turns details.explain into the UI route', () => {
    const e = new ApiError(403, 'forbidden', 'no', 'permissions', { explain: '/api/v1/orgs/acme/access/explain?collection=servers&action=update' });
    expect(whyHrefFromError('acme', e)).toBe('/o/acme/why?collection=servers&action=update');
    expect(whyHref('a b', 'sshKeys', 'read')).toBe('/o/a%20b/why?collection=sshKeys&action=read');
  });
  it('is absent without an explanation', () => {
    expect(whyHrefFromError('acme', new ApiError(403, 'forbidden', 'csrf', 'auth', { reason: 'csrf' }))).toBeNull();
  });
});
