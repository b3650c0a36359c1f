import { describe, expect, it } from 'vitest';
import { INTEGRATION_TABS, expiringText } from '../components/integrations';
import { draftOf, gitBody, gitPatch, sampleRepo, type GitProvider } from './git_providers';
import { cloudBody, cloudDraftOf, cloudPatch, isTemporary, type CloudAccount } from './cloud_accounts';

const state = { verified: false, last_verified_at: null, last_error: null, expires_at: null, created_at: '', updated_at: '', created_by: 'usr_1' };
const hook = { url: 'http://127.0.0.1/api/v1/webhooks/git/git_1', last_delivery_at: null, last_accepted_at: null, last_event: null,
  last_outcome: null, last_message: null, deliveries: 0, rejected: 0, last_push: null };
const gl: GitProvider = { ...state, id: 'git_1', name: 'gl', type: 'gitlab', base_url: 'https://gitlab.example.com', username: 'oauth2',
  token_scope: null, repository: null, token: { set: true }, webhook_secret: { set: false }, webhook: hook };
const app: GitProvider = { ...state, id: 'git_2', name: 'app', type: 'github_app', app_id: '12345', installation_id: '100',
  api_url: 'https://api.github.com', private_key: { set: true }, webhook_secret: { set: true }, webhook: hook };
const aws: CloudAccount = { ...state, id: 'aws_1', name: 'prod', provider: 'aws', access_key_id: 'AKIAEXAMPLE000000001', region: 'eu-west-1',
  account_id: null, arn: null, secret_access_key: { set: true }, session_token: { set: false }, credential_use: 'compute' };

describe('integration tabs', () => {
  it('git providers and AWS accounts are tabs with their collections', () => {
    expect(INTEGRATION_TABS.map((t) => t.need)).toEqual(['dockerRegistries.read', 'gitProviders.read', 'cloudProviderAccounts.read', 'backupStorage.read']);
  });
  it('expiring credentials are worded by days left', () => {
    const i = { id: 'git_1', kind: 'gitProviders', name: 'gl', expires_at: '2026-01-06T00:00:00Z', expired: false, days_left: 5 };
    expect(expiringText(i)).toMatch(/^gl expires in 5 days \(/);
    expect(expiringText({ ...i, days_left: 1 })).toMatch(/in 1 day \(/);
    expect(expiringText({ ...i, days_left: 0 })).toMatch(/expires today/);
    expect(expiringText({ ...i, expired: true, days_left: -2 })).toMatch(/^gl expired on .*replace the credential/);
  });
});

describe('git provider bodies', () => {
  it('a new provider sends only its type\'s fields and the typed secrets', () => {
    const f = { ...draftOf(null), type: 'gitea' as const, name: ' g ', base_url: 'https://gitea.local ', username: 'bob', token: 'tok', app_id: '9' };
    expect(gitBody(f)).toEqual({ type: 'gitea', name: 'g', base_url: 'https://gitea.local', username: 'bob', token: 'tok' });
    const a = { ...draftOf(null), name: 'app', app_id: '1', installation_id: '2', private_key: '-----BEGIN…\n', webhook_secret: 's', token: 'x' };
    expect(gitBody(a)).toEqual({ type: 'github_app', name: 'app', app_id: '1', installation_id: '2', private_key: '-----BEGIN…\n', webhook_secret: 's' });
    const bb = { ...draftOf(null), type: 'bitbucket' as const, name: 'bb', token: 't', repository: 'https://bitbucket.org/a/b.git' };
    expect(gitBody(bb).repository).toBeUndefined();
    expect(gitBody({ ...bb, token_scope: 'repository' })).toMatchObject({ token_scope: 'repository', repository: 'https://bitbucket.org/a/b.git' });
  });
  it('an edit sends only what changed, never the type, and a secret only when typed', () => {
    expect(gitPatch(gl, draftOf(gl))).toEqual({});
    expect(gitPatch(gl, { ...draftOf(gl), token: 'new' })).toEqual({ token: 'new' });
    expect(gitPatch(gl, { ...draftOf(gl), type: 'gitea', username: 'ci' })).toEqual({ username: 'ci' });
    expect(gitPatch(app, { ...draftOf(app), installation_id: '200', webhook_secret: 'w' })).toEqual({ installation_id: '200', webhook_secret: 'w' });
    expect(draftOf(app).private_key).toBe('');
  });
  it('sample repositories follow the host\'s format', () => {
    expect(sampleRepo('github_app')).toBe('owner/repo');
    expect(sampleRepo('gitlab', 'https://git.acme.io/')).toBe('https://git.acme.io/group/project.git');
    expect(sampleRepo('azure_devops')).toBe('https://dev.azure.com/ORG/PROJECT/_git/REPO');
  });
});

describe('AWS account bodies', () => {
  it('a long-term key sends no session token; a temporary one does', () => {
    const f = { ...cloudDraftOf(null), name: 'p', access_key_id: 'AKIAX', secret_access_key: 's', session_token: 't', region: 'eu-west-1' };
    expect(cloudBody(f)).toEqual({ provider: 'aws', name: 'p', access_key_id: 'AKIAX', secret_access_key: 's', region: 'eu-west-1' });
    expect(cloudBody({ ...f, access_key_id: 'ASIAX', session_expires_at: '2026-01-31T18:00:00Z' }))
      .toMatchObject({ session_token: 't', session_expires_at: '2026-01-31T18:00:00Z' });
    expect(isTemporary(' asiax')).toBe(true);
  });
  it('an edit sends only what changed; a new long-term key clears the stored session token', () => {
    expect(cloudPatch(aws, cloudDraftOf(aws))).toEqual({});
    expect(cloudPatch(aws, { ...cloudDraftOf(aws), region: 'us-east-1', secret_access_key: 'n' })).toEqual({ region: 'us-east-1', secret_access_key: 'n' });
    const temp = { ...aws, access_key_id: 'ASIAEXAMPLE000000001', session_token: { set: true } };
    expect(cloudPatch(temp, cloudDraftOf(temp))).toEqual({});
    expect(cloudPatch(temp, { ...cloudDraftOf(temp), access_key_id: 'AKIAEXAMPLE000000009', secret_access_key: 'n' }))
      .toEqual({ access_key_id: 'AKIAEXAMPLE000000009', secret_access_key: 'n', session_token: '' });
  });
});
