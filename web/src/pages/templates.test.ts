import { describe, expect, it } from 'vitest';
import { deployTemplateNeed } from './templates';

describe('deployTemplateNeed', () => {
  const only = (...ps: string[]) => (p: string) => ps.includes(p);
  it('needs services.create into an existing application', () => {
    expect(deployTemplateNeed('existing', false, only('services.create'))).toBeNull();
    expect(deployTemplateNeed('existing', false, only())).toBe('services.create');
  });
  it('needs applications.create for a new application', () => {
    expect(deployTemplateNeed('new', false, only('services.create'))).toBe('applications.create');
    expect(deployTemplateNeed('new', false, only('services.create', 'applications.create'))).toBeNull();
  });
  it('needs services.update to deploy now (deploy: true)', () => {
    expect(deployTemplateNeed('existing', true, only('services.create'))).toBe('services.update');
    expect(deployTemplateNeed('new', true, only('services.create', 'applications.create', 'services.update'))).toBeNull();
  });
});
