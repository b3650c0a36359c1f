import { describe, expect, it } from 'vitest';
import {
  applicationPatch, appRoutes, databaseBody, dockerBody, dockerDraftOf, emptyGit, engineOf, gitBody, gitDraftOf, parsePorts,
  serviceNameProblem, servicePatch, serviceSummary, type Application, type Service,
} from './apps';

const base = { id: 'svc_1', application_id: 'app_1', status: 'created', domains: [], variables: [], unset_keys: [], created_at: '', updated_at: '', created_by: '' };

describe('service bodies', () => {
  it('git: provider, repository, branch or tag, build path, port', () => {
    expect(gitBody(' web ', { ...emptyGit(), git_provider_id: 'gp_1', repository: ' acme/web ', ref: 'main', build_path: 'app', port: '5000' }))
      .toEqual({ name: 'web', type: 'app', git_provider_id: 'gp_1', repository: 'acme/web', branch: 'main', build_path: 'app', port: 5000 });
    expect(gitBody('web', { ...emptyGit(), repository: 'https://h.example.com/a/b.git', refKind: 'tag', ref: 'v1', port: '' }))
      .toEqual({ name: 'web', type: 'app', repository: 'https://h.example.com/a/b.git', tag: 'v1' });
    expect(gitBody('web', { ...emptyGit(), port: 'abc' }).port).toBe('abc');
  });
  it('docker and database', () => {
    expect(dockerBody('api', { image: 'nginx:1.27', docker_registry_id: '', ports: 'http:80:80, https:443:80' }))
      .toEqual({ name: 'api', type: 'docker', image: 'nginx:1.27', ports: ['http:80:80', 'https:443:80'] });
    expect(dockerBody('api', { image: 'r.example.com/a:1', docker_registry_id: 'reg_1', ports: '' }))
      .toEqual({ name: 'api', type: 'docker', image: 'r.example.com/a:1', docker_registry_id: 'reg_1' });
    expect(databaseBody('db', { engine: 'postgres', version: '16' })).toEqual({ name: 'db', type: 'database', database: { engine: 'postgres', version: '16' } });
    expect(databaseBody('db', { engine: 'redis', version: '' })).toEqual({ name: 'db', type: 'database', database: { engine: 'redis' } });
    expect(parsePorts(' a  b,c ')).toEqual(['a', 'b', 'c']);
    expect(engineOf('mariadb').def).toBe('11.4');
    expect(engineOf('nope').name).toBe('postgres');
  });
  it('names', () => {
    expect(serviceNameProblem('web')).toBeNull();
    expect(serviceNameProblem('Web')).toMatch(/lowercase/);
    expect(serviceNameProblem('w')).toMatch(/2–40/);
    expect(serviceNameProblem('')).toMatch(/required/);
  });
});

describe('edits send only what changed', () => {
  it('git', () => {
    const s = { ...base, name: 'web', type: 'app', repository: 'acme/web', branch: 'main', port: 5000, git_provider_id: 'gp_1' } as Service;
    expect(servicePatch(s, 'web', gitDraftOf(s))).toEqual({});
    expect(servicePatch(s, 'site', { ...gitDraftOf(s), ref: 'dev', port: '8080' })).toEqual({ name: 'site', branch: 'dev', port: 8080 });
    expect(servicePatch(s, 'web', { ...gitDraftOf(s), refKind: 'tag', ref: 'v1' })).toEqual({ tag: 'v1' });
    expect(serviceSummary(s)).toBe('acme/web @ main');
  });
  it('docker and database', () => {
    const d = { ...base, name: 'api', type: 'docker', image: 'nginx', ports: ['http:80:80'] } as Service;
    expect(servicePatch(d, 'api', dockerDraftOf(d))).toEqual({});
    expect(servicePatch(d, 'api', { ...dockerDraftOf(d), ports: '' })).toEqual({ ports: [] });
    const db = { ...base, name: 'db', type: 'database', database: { engine: 'postgres', version: '16' } } as Service;
    expect(servicePatch(db, 'db', { engine: 'postgres', version: '17' })).toEqual({ database: { engine: 'postgres', version: '17' } });
    expect(serviceSummary(db)).toBe('postgres 16');
  });
  it('application', () => {
    const a = { id: 'app_1', name: 'shop', description: '', server_id: 'srv_1' } as Application;
    expect(applicationPatch(a, { name: 'shop', description: '', server_id: 'srv_1' })).toEqual({});
    expect(applicationPatch(a, { name: ' store ', description: 'x', server_id: 'srv_2' })).toEqual({ name: 'store', description: 'x', server_id: 'srv_2' });
  });
  it('routes', () => {
    expect(appRoutes.deployments('acme', 'app_1', 'svc_1')).toBe('/o/acme/applications/app_1/services/svc_1/deployments');
    expect(appRoutes.deployment('acme', 'dep_1')).toBe('/o/acme/deployments/dep_1');
    expect(appRoutes.newService('acme', 'app_1', 'database')).toBe('/o/acme/applications/app_1/services/new?kind=database');
  });
});
