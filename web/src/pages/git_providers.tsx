// Integrations → Git providers: the credentials Wharf clones with and the webhooks that start
// deploys. Two kinds: a GitHub App (app id, installation id, the app's private key PEM pasted or
// loaded from a file, webhook secret) and token hosts (GitLab, Bitbucket, Gitea, Azure DevOps:
// base URL, username, token, optional webhook secret). Every secret is write-only: never read
// back, an empty field on edit keeps the stored one. Test before saving (POST …/git-providers/test),
// Verify against a repository and branch (POST …/{id}/verify: each check with its layer and fix),
// the webhook URL to paste into the host and its last deliveries, Diagnose (POST …/diagnose
// {git_provider_id, repository?, branch?}), edit, delete.
import { useState } from 'preact/hooks';
import { del, get, orgPath, patch, post, type Check, type Diagnosis, type IntegrationState, type List } from '../api';
import { CheckList, DiagnosisView } from '../components/checks';
import { AccessDenied, ErrorBox, Field, FieldError, Loading, Notice, PermButton, copyText, fmtTime } from '../components';
import { useLoad } from '../hooks';
import { ExpiringNotice, IntegrationsShell, VerifiedState } from '../components/integrations';
import { useOrg } from '../session';

const TAB = 'git-providers';
const R = (slug: string, rest = '') => orgPath(slug, `/git-providers${rest}`);

export type GitType = 'github_app' | 'gitlab' | 'bitbucket' | 'gitea' | 'azure_devops';
export const GIT_TYPES: { value: GitType; label: string; base?: string; user?: string }[] = [
  { value: 'github_app', label: 'GitHub App' },
  { value: 'gitlab', label: 'GitLab', base: 'https://gitlab.com', user: 'oauth2' },
  { value: 'bitbucket', label: 'Bitbucket', base: 'https://bitbucket.org', user: 'x-token-auth' },
  { value: 'gitea', label: 'Gitea' },
  { value: 'azure_devops', label: 'Azure DevOps', base: 'https://dev.azure.com', user: 'pat' },
];
export const typeLabel = (t: string) => GIT_TYPES.find((x) => x.value === t)?.label ?? t;

export interface GitWebhook {
  url: string; last_delivery_at: string | null; last_accepted_at: string | null; last_event: string | null;
  last_outcome: string | null; last_message: string | null; deliveries: number; rejected: number;
  last_push: { repository?: string; branch?: string; sha?: string; at?: string } | null;
}
export interface GitProvider extends IntegrationState {
  id: string; name: string; type: GitType;
  app_id?: string | null; installation_id?: string | null; api_url?: string | null; private_key?: { set: boolean };
  base_url?: string | null; username?: string | null; token_scope?: string | null; repository?: string | null; token?: { set: boolean };
  webhook_secret: { set: boolean }; webhook: GitWebhook;
  created_at: string; updated_at: string; created_by: string;
}
// POST …/verify and …/test: the checks in order (a failure skips what depends on it), and what was found.
export interface GitReport { ok: boolean; checks: Check[]; type?: string; repository?: string; branch?: string; sha?: string; scopes?: string[]; expires_at?: string }

export interface GitDraft {
  type: GitType; name: string;
  app_id: string; installation_id: string; api_url: string; private_key: string;
  base_url: string; username: string; token: string; token_scope: string; repository: string;
  webhook_secret: string;
}

export function draftOf(g: GitProvider | null): GitDraft {
  return {
    type: g?.type ?? 'github_app', name: g?.name ?? '',
    app_id: g?.app_id ?? '', installation_id: g?.installation_id ?? '', api_url: g?.api_url ?? '', private_key: '',
    base_url: g?.base_url ?? '', username: g?.username ?? '', token: '', token_scope: g?.token_scope ?? '', repository: g?.repository ?? '',
    webhook_secret: '',
  };
}

// The fields a type uses (the server refuses the others with "only to type …").
function fieldsOf(t: GitType): (keyof GitDraft)[] {
  if (t === 'github_app') return ['app_id', 'installation_id', 'api_url'];
  return t === 'bitbucket' ? ['base_url', 'username', 'token_scope', 'repository'] : ['base_url', 'username'];
}
function secretsOf(t: GitType): (keyof GitDraft)[] {
  return t === 'github_app' ? ['private_key', 'webhook_secret'] : ['token', 'webhook_secret'];
}

// The POST body (also the test body): the type's fields that are filled in, and the typed secrets.
export function gitBody(f: GitDraft): Record<string, string> {
  const out: Record<string, string> = { type: f.type };
  if (f.name.trim()) out.name = f.name.trim();
  for (const k of fieldsOf(f.type)) {
    const v = (f[k] as string).trim();
    if (v) out[k] = v;
  }
  if (f.type === 'bitbucket' && f.token_scope !== 'repository') delete out.repository;
  for (const k of secretsOf(f.type)) if (f[k]) out[k] = f[k];
  return out;
}

// The PATCH body: only what changed (the type never: it is fixed), the secrets only when typed.
export function gitPatch(g: GitProvider, f: GitDraft): Record<string, string> {
  const out: Record<string, string> = {};
  if (f.name.trim() !== g.name) out.name = f.name.trim();
  for (const k of fieldsOf(g.type)) {
    const v = (f[k] as string).trim();
    if (v !== ((g as any)[k] ?? '')) out[k] = v;
  }
  for (const k of secretsOf(g.type)) if (f[k]) out[k] = f[k];
  return out;
}

// The example a repository field shows for a provider ("acme/api", a clone URL on its host).
export function sampleRepo(type: string, base?: string | null): string {
  if (type === 'github_app') return 'owner/repo';
  const b = (base || GIT_TYPES.find((x) => x.value === type)?.base || 'https://git.example.com').replace(/\/+$/, '');
  if (type === 'azure_devops') return `${b}/ORG/PROJECT/_git/REPO`;
  if (type === 'gitlab') return `${b}/group/project.git`;
  return `${b}/owner/repo.git`;
}

export function GitProvidersPage() {
  const { org, can } = useOrg();
  const list = useLoad(() => get<List<GitProvider>>(R(org.slug, '?limit=200')), [org.slug], !can('gitProviders.read'));
  const [editing, setEditing] = useState<GitProvider | 'new' | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  if (!can('gitProviders.read'))
    return <IntegrationsShell current={TAB}><AccessDenied need="gitProviders.read" what="the git providers" /></IntegrationsShell>;
  const remove = async (g: GitProvider) => {
    if (!confirm(`Remove the git provider ${g.name}? Services that clone with it fail to deploy, and its webhook stops working.`)) return;
    setError(null);
    try { await del(R(org.slug, `/${g.id}`)); setNote(`Git provider ${g.name} removed.`); list.reload(); } catch (e) { setError(e); }
  };
  const actions = editing ? undefined : (
    <PermButton allowed={can('gitProviders.create')} need="gitProviders.create" kind="primary" why onClick={() => setEditing('new')} testId="add-git-provider">
      Add git provider
    </PermButton>
  );
  return (
    <IntegrationsShell current={TAB} actions={actions}>
      <Notice text={note} onDone={() => setNote(null)} />
      <ErrorBox error={error} onDismiss={() => setError(null)} />
      <ExpiringNotice kind="gitProviders" tick={list.data} />
      {editing && (
        <GitForm prov={editing === 'new' ? null : editing} onCancel={() => setEditing(null)}
          onSaved={(g, created) => { setEditing(null); setNote(`Git provider ${g.name} ${created ? 'added' : 'saved'}.`); list.reload(); }} />
      )}
      <section class="panel">
        <h2>Git providers</h2>
        <p class="muted small">Wharf clones your repositories with these credentials, and their webhooks start deploys on a push. Private keys, tokens and webhook secrets are stored encrypted and never shown again.</p>
        {list.error ? <ErrorBox error={list.error} /> : !list.data ? <Loading /> : list.data.items.length === 0 ? (
          <p class="muted">No git providers yet. Add a GitHub App, or a GitLab, Bitbucket, Gitea or Azure DevOps token that can read your repositories.</p>
        ) : (
          <ul class="cards">
            {list.data.items.map((g) => (
              <GitCard key={g.id} prov={g} onEdit={() => setEditing(g)} onRemove={() => remove(g)} onChanged={list.reload} onNote={setNote} />
            ))}
          </ul>
        )}
      </section>
    </IntegrationsShell>
  );
}

function Stored(props: { set?: boolean; what: string }) {
  return props.set
    ? <span class="pill ok" title="Stored encrypted; never shown again">{props.what} stored</span>
    : <span class="pill" title={`No ${props.what} is set`}>no {props.what}</span>;
}

function WebhookView(props: { prov: GitProvider; onNote: (s: string) => void }) {
  const g = props.prov;
  const w = g.webhook;
  const [error, setError] = useState<unknown>(null);
  const id = `hook-${g.id}`;
  const copy = async () => {
    if (await copyText(w.url)) props.onNote(`Webhook URL of ${g.name} copied to the clipboard.`);
    else setError(new Error('This browser cannot write to the clipboard here; select the URL and copy it.'));
  };
  const where = g.type === 'github_app' ? 'the GitHub App settings (Webhook URL; the same secret as here)'
    : g.type === 'gitlab' ? 'the project or group: Settings → Webhooks (Secret token: the webhook secret here; trigger: Push events)'
    : g.type === 'bitbucket' ? 'the repository: Repository settings → Webhooks (Secret: the webhook secret here; trigger: Repository push)'
    : g.type === 'gitea' ? 'the repository: Settings → Webhooks → Gitea (Secret: the webhook secret here; trigger: Push events)'
    : 'the project: Project settings → Service hooks → Web Hooks (Basic authentication password: the webhook secret here; event: Code pushed)';
  return (
    <div class="webhook" data-testid="webhook">
      <div class="field">
        <label for={id}>Webhook URL ({g.name})</label>
        <div class="row">
          <input id={id} class="mono" readOnly value={w.url} onFocus={(e) => e.currentTarget.select()} data-testid="webhook-url" />
          <button type="button" class="btn plain" onClick={copy} aria-label={`Copy the webhook URL of ${g.name}`}>Copy</button>
        </div>
        <p class="hint">Paste it into {where}, content type <code>application/json</code>.{!g.webhook_secret.set && ' Set a webhook secret first: without one every delivery is rejected.'}</p>
      </div>
      <p class="muted small" data-testid="webhook-deliveries">
        {w.deliveries === 0 ? 'No deliveries yet.' : <>
          {w.deliveries} deliver{w.deliveries === 1 ? 'y' : 'ies'}{w.rejected ? `, ${w.rejected} rejected` : ''} · last {fmtTime(w.last_delivery_at)}
          {w.last_event && <> · <code>{w.last_event}</code></>}{w.last_outcome && <> · {w.last_outcome}</>}
          {w.last_outcome && w.last_outcome !== 'accepted' && w.last_message && <> ({w.last_message})</>}
        </>}
        {w.last_push?.branch && <> · last push <code>{w.last_push.branch}</code>{w.last_push.sha && <> at <code>{w.last_push.sha.slice(0, 12)}</code></>}</>}
      </p>
      <ErrorBox error={error} onDismiss={() => setError(null)} />
    </div>
  );
}

function GitCard(props: { prov: GitProvider; onEdit: () => void; onRemove: () => void; onChanged: () => void; onNote: (s: string) => void }) {
  const { org, can } = useOrg();
  const g = props.prov;
  const [repo, setRepo] = useState('');
  const [branch, setBranch] = useState('');
  const [report, setReport] = useState<GitReport | null>(null);
  const [diag, setDiag] = useState<Diagnosis | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState<'' | 'verify' | 'diagnose'>('');
  const upd = can('gitProviders.update');
  const app = g.type === 'github_app';
  const bound = g.type === 'bitbucket' && g.token_scope === 'repository' && !!g.repository;
  const target = () => {
    const b: Record<string, string> = {};
    if (repo.trim()) b.repository = repo.trim();
    if (branch.trim()) b.branch = branch.trim();
    return b;
  };
  const run = async (what: 'verify' | 'diagnose') => {
    setBusy(what); setError(null); setReport(null); setDiag(null);
    try {
      if (what === 'verify') setReport(await post<GitReport>(R(org.slug, `/${g.id}/verify`), target()));
      else setDiag(await post<Diagnosis>(orgPath(org.slug, '/diagnose'), { git_provider_id: g.id, ...target() }));
      props.onChanged();  // verify (and diagnose with a repository) records verified / last_error / expires_at
    } catch (e) { setError(e); } finally { setBusy(''); }
  };
  // A token host checks a clone: it needs the repository (unless the token is bound to one).
  const noRepo = !app && !bound && !repo.trim() ? 'Type the repository to check clone access to first.' : undefined;
  // Diagnose without a repository reads the stored state only (gitProviders.read); with one it verifies (update).
  const diagNeed = repo.trim() || branch.trim() ? 'gitProviders.update' : 'gitProviders.read';
  return (
    <li class="key-card" data-git-provider={g.name}>
      <div class="key-head">
        <strong>{g.name}</strong> <span class="pill">{typeLabel(g.type)}</span>
        {app ? <Stored set={g.private_key?.set} what="private key" /> : <Stored set={g.token?.set} what="token" />}
        <Stored set={g.webhook_secret.set} what="webhook secret" />
      </div>
      <dl class="kv small">
        {app ? (<>
          <dt>App ID</dt><dd class="mono">{g.app_id}</dd>
          <dt>Installation ID</dt><dd class="mono">{g.installation_id}</dd>
          <dt>API</dt><dd class="mono">{g.api_url}</dd>
        </>) : (<>
          <dt>Base URL</dt><dd class="mono">{g.base_url}</dd>
          {g.username && (<><dt>Username</dt><dd class="mono">{g.username}</dd></>)}
          {bound && (<><dt>Repository token for</dt><dd class="mono">{g.repository}</dd></>)}
        </>)}
      </dl>
      <VerifiedState item={g} />
      <WebhookView prov={g} onNote={props.onNote} />
      <div class="verify-row">
        <div class="grid2">
          <Field label={`Repository to check (${g.name})`} id={`repo-${g.id}`} error={error} field="repository"
            hint={app ? 'owner/repo; optional: without it Verify checks the key and the installation' : bound ? 'Optional: the token\'s own repository by default' : 'The HTTPS clone URL, or a path on the base URL'}>
            <input id={`repo-${g.id}`} class="mono" placeholder={bound ? g.repository ?? '' : sampleRepo(g.type, g.base_url)} value={repo} onInput={(e) => setRepo(e.currentTarget.value)} />
          </Field>
          <Field label={`Branch (${g.name})`} id={`branch-${g.id}`} error={error} field="branch" hint="Optional: checks the branch exists">
            <input id={`branch-${g.id}`} class="mono" placeholder="main" value={branch} onInput={(e) => setBranch(e.currentTarget.value)} />
          </Field>
        </div>
        <div class="row">
          <PermButton allowed={upd} need="gitProviders.update" why kind="primary" busy={busy !== ''} reason={upd ? noRepo : undefined}
            onClick={() => run('verify')} label={`Verify ${g.name}`} testId="verify">{busy === 'verify' ? 'Verifying…' : 'Verify'}</PermButton>
          <PermButton allowed={can(diagNeed)} need={diagNeed} busy={busy !== ''}
            onClick={() => run('diagnose')} label={`Diagnose ${g.name}`} testId="diagnose">{busy === 'diagnose' ? 'Diagnosing…' : 'Diagnose'}</PermButton>
          <PermButton allowed={upd} need="gitProviders.update" onClick={props.onEdit} label={`Edit ${g.name}`}>Edit</PermButton>
          <PermButton allowed={can('gitProviders.delete')} need="gitProviders.delete" kind="danger" onClick={props.onRemove} label={`Delete ${g.name}`}>Delete</PermButton>
        </div>
      </div>
      <ErrorBox error={error} onDismiss={() => setError(null)} />
      {report && <GitReportView report={report} />}
      {diag && <div class="inline-form"><h3>Diagnose</h3><DiagnosisView d={diag} /></div>}
    </li>
  );
}

export function GitReportView(props: { report: GitReport; title?: string }) {
  const r = props.report;
  return (
    <div class="inline-form" data-testid="verify-report" data-ok={String(r.ok)} aria-live="polite">
      <h3>{props.title ?? 'Verify'}: {r.ok ? <span class="pill ok">access works</span> : <span class="pill bad">failed</span>}</h3>
      {(r.repository || r.branch) && (
        <p class="muted small">{r.repository && <>Repository <code>{r.repository}</code></>}{r.branch && <> · branch <code>{r.branch}</code></>}</p>
      )}
      <CheckList checks={r.checks} testId="verify-checks" />
      {r.sha && <p class="muted small" data-testid="sha">Branch head <code>{r.sha}</code></p>}
      {r.scopes && <p class="muted small">Token scopes: {r.scopes.map((s, i) => <span key={s}>{i > 0 && ', '}<code>{s}</code></span>)}{r.expires_at && <> · expires {r.expires_at}</>}</p>}
    </div>
  );
}

function GitForm(props: { prov: GitProvider | null; onSaved: (g: GitProvider, created: boolean) => void; onCancel: () => void }) {
  const { org, can } = useOrg();
  const g = props.prov;
  const [f, setF] = useState<GitDraft>(() => draftOf(g));
  const [pemFile, setPemFile] = useState<string | null>(null);
  const [repo, setRepo] = useState('');
  const [branch, setBranch] = useState('');
  const [report, setReport] = useState<GitReport | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState<'' | 'test' | 'save'>('');
  const need = g ? 'gitProviders.update' : 'gitProviders.create';
  const app = f.type === 'github_app';
  const meta = GIT_TYPES.find((t) => t.value === f.type)!;
  const set = (k: keyof GitDraft) => (e: Event) => setF({ ...f, [k]: (e.currentTarget as HTMLInputElement).value });
  const loadPem = async (e: Event) => {
    const input = e.currentTarget as HTMLInputElement;
    const file = input.files?.[0];
    input.value = '';
    if (!file) return;
    if (file.size > 16384) { setError(new Error(`${file.name} is ${file.size} bytes: a GitHub App private key is a PEM file of about 1.7 kB (2048-bit) to 3.3 kB (4096-bit).`)); return; }
    setF({ ...f, private_key: await file.text() });
    setPemFile(file.name);
  };
  const test = async () => {
    setBusy('test'); setError(null); setReport(null);
    try {
      const body: Record<string, string> = gitBody(f);
      delete body.name;
      if (repo.trim()) body.repository = repo.trim();
      if (branch.trim()) body.branch = branch.trim();
      if (f.type === 'bitbucket' && f.token_scope === 'repository') body.token_scope = 'repository';
      setReport(await post<GitReport>(R(org.slug, '/test'), body));
    } catch (e) { setError(e); } finally { setBusy(''); }
  };
  const save = async (e: Event) => {
    e.preventDefault();
    setBusy('save'); setError(null);
    try {
      let saved: GitProvider;
      if (g) {
        const body = gitPatch(g, f);
        saved = Object.keys(body).length ? await patch<GitProvider>(R(org.slug, `/${g.id}`), body) : g;
      } else {
        saved = await post<GitProvider>(R(org.slug), gitBody(f));
      }
      setF({ ...f, private_key: '', token: '', webhook_secret: '' });
      setPemFile(null);
      props.onSaved(saved, !g);
    } catch (err) { setError(err); } finally { setBusy(''); }
  };
  const secret = app ? f.private_key : f.token;
  const testReason = !secret
    ? (g ? `Type the ${app ? 'private key' : 'token'} to test these settings (the stored one is never read back), or save and press Verify.` : `${app ? 'Paste or load the private key' : 'Type the token'} first.`)
    : !app && !repo.trim() && !(f.type === 'bitbucket' && f.token_scope === 'repository' && f.repository.trim()) ? 'Type a repository to check clone access to first.' : undefined;
  const keep = (what: string) => g ? `Leave empty to keep the stored ${what}. It is never shown.` : undefined;
  return (
    <section class="panel" data-testid="git-form">
      <h2>{g ? `Edit ${g.name}` : 'Add a git provider'}</h2>
      <form onSubmit={save} noValidate autoComplete="off">
        <div class="grid2">
          <Field label="Type" id="git-type" error={error} field="type" hint={g ? 'The type cannot change: add a new provider instead.' : 'A GitHub App, or a host that takes an access token.'}>
            <select id="git-type" value={f.type} disabled={!!g} onChange={(e) => { setF({ ...f, type: e.currentTarget.value as GitType }); setReport(null); }}>
              {GIT_TYPES.map((t) => <option key={t.value} value={t.value}>{t.label}</option>)}
            </select>
          </Field>
          <Field label="Name" id="git-name" error={error} field="name"><input id="git-name" value={f.name} onInput={set('name')} /></Field>
          {app ? (<>
            <Field label="App ID" id="git-app-id" error={error} field="app_id" hint="The number on the app's General page (not the client ID)">
              <input id="git-app-id" class="mono" inputMode="numeric" value={f.app_id} onInput={set('app_id')} />
            </Field>
            <Field label="Installation ID" id="git-inst-id" error={error} field="installation_id" hint="The number at the end of the installation's settings URL: …/settings/installations/ID">
              <input id="git-inst-id" class="mono" inputMode="numeric" value={f.installation_id} onInput={set('installation_id')} />
            </Field>
            <Field label="API URL (optional)" id="git-api-url" error={error} field="api_url" hint="Blank for github.com; GitHub Enterprise: https://HOST/api/v3">
              <input id="git-api-url" class="mono" placeholder="https://api.github.com" value={f.api_url} onInput={set('api_url')} />
            </Field>
          </>) : (<>
            <Field label={f.type === 'gitea' ? 'Base URL' : 'Base URL (optional)'} id="git-base-url" error={error} field="base_url"
              hint={f.type === 'gitea' ? 'Your Gitea, e.g. https://gitea.example.com' : `Blank for ${meta.base}; self-hosted: its https:// URL`}>
              <input id="git-base-url" class="mono" placeholder={meta.base ?? 'https://gitea.example.com'} value={f.base_url} onInput={set('base_url')} />
            </Field>
            <Field label={f.type === 'gitea' ? 'Username' : 'Username (optional)'} id="git-username" error={error} field="username"
              hint={f.type === 'gitea' ? 'The account the token belongs to' : `Default ${meta.user}`}>
              <input id="git-username" autoComplete="off" placeholder={meta.user ?? ''} value={f.username} onInput={set('username')} />
            </Field>
          </>)}
          {app ? (
            <div class="field">
              <label for="git-private-key">{g ? 'New private key (optional)' : 'Private key (PEM)'}</label>
              {pemFile ? (
                <p class="small" data-testid="pem-loaded">Loaded <code>{pemFile}</code> ({f.private_key.length} bytes).{' '}
                  <button type="button" class="btn plain small" onClick={() => { setF({ ...f, private_key: '' }); setPemFile(null); }}>Clear</button></p>
              ) : (
                <textarea id="git-private-key" class="mono" rows={4} spellcheck={false} autoComplete="off" placeholder="-----BEGIN RSA PRIVATE KEY-----"
                  aria-describedby="git-private-key-hint" value={f.private_key} onInput={set('private_key')} />
              )}
              <p class="hint" id="git-private-key-hint">
                {keep('private key') ?? 'Paste the app\'s private key (the .pem from "Generate a private key"), or load the file below. Stored encrypted and never shown again.'}
              </p>
              <label for="git-pem-file" class="small">Or load a .pem file</label>
              <input id="git-pem-file" type="file" accept=".pem,application/x-pem-file,text/plain" onChange={loadPem} data-testid="pem-file" />
              <FieldError error={error} field="private_key" id="git-private-key-err" />
            </div>
          ) : (
            <Field label={g ? 'New token (optional)' : 'Token'} id="git-token" error={error} field="token"
              hint={keep('token') ?? (f.type === 'gitlab' ? 'A personal, group or project access token with read_repository. Stored encrypted and never shown again.'
                : f.type === 'bitbucket' ? 'An access token with Repositories: Read. Stored encrypted and never shown again.'
                : f.type === 'gitea' ? 'An access token with read:repository. Stored encrypted and never shown again.'
                : 'A personal access token with Code (Read). Stored encrypted and never shown again.')}>
              <input id="git-token" type="password" autoComplete="new-password" spellcheck={false} value={f.token} onInput={set('token')} />
            </Field>
          )}
          <Field label={g ? 'New webhook secret (optional)' : app ? 'Webhook secret' : 'Webhook secret (optional)'} id="git-hook-secret" error={error} field="webhook_secret"
            hint={keep('webhook secret') ?? (app ? 'The same secret as in the app\'s webhook settings; Wharf checks X-Hub-Signature-256 with it.' : 'Needed for push webhooks; set the same secret on the host.')}>
            <input id="git-hook-secret" type="password" autoComplete="new-password" spellcheck={false} value={f.webhook_secret} onInput={set('webhook_secret')} />
          </Field>
          {f.type === 'bitbucket' && (<>
            <Field label="Token kind" id="git-token-scope" error={error} field="token_scope" hint="A repository access token can read one repository only.">
              <select id="git-token-scope" value={f.token_scope || 'workspace'} onChange={(e) => setF({ ...f, token_scope: e.currentTarget.value === 'repository' ? 'repository' : '' })}>
                <option value="workspace">Workspace or account token</option>
                <option value="repository">Repository access token</option>
              </select>
            </Field>
            {f.token_scope === 'repository' && (
              <Field label="Token's repository" id="git-bound-repo" error={error} field="repository" hint="The clone URL of the repository the token belongs to">
                <input id="git-bound-repo" class="mono" placeholder={sampleRepo('bitbucket', f.base_url)} value={f.repository} onInput={set('repository')} />
              </Field>
            )}
          </>)}
        </div>
        <fieldset class="field test-box">
          <legend>Test before saving</legend>
          <div class="grid2">
            <Field label="Repository to test" id="git-test-repo" error={error} field="repository"
              hint={app ? 'owner/repo, optional: Wharf checks the key, the installation and that the repository is on its list' : 'Wharf runs git ls-remote on it with these settings; nothing is saved.'}>
              <input id="git-test-repo" class="mono" placeholder={sampleRepo(f.type, f.base_url)} value={repo} onInput={(e) => setRepo(e.currentTarget.value)} />
            </Field>
            <Field label="Branch to test (optional)" id="git-test-branch" error={error} field="branch">
              <input id="git-test-branch" class="mono" placeholder="main" value={branch} onInput={(e) => setBranch(e.currentTarget.value)} />
            </Field>
          </div>
          <PermButton allowed={can('gitProviders.create')} need="gitProviders.create" busy={busy !== ''} reason={testReason} onClick={test} testId="test-git-provider">
            {busy === 'test' ? 'Testing…' : 'Test connection'}
          </PermButton>
        </fieldset>
        {report && <GitReportView report={report} title="Test connection" />}
        <ErrorBox error={error} />
        <div class="row">
          <PermButton type="submit" kind="primary" allowed={can(need)} need={need} busy={busy !== ''} testId="save-git-provider">
            {busy === 'save' ? 'Saving…' : g ? 'Save git provider' : 'Add git provider'}
          </PermButton>
          <button type="button" class="btn plain" onClick={props.onCancel}>Cancel</button>
        </div>
      </form>
    </section>
  );
}
