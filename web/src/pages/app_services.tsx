// Services of an application (docs/applications.md, Services and Domains): add one of each kind
// (Git with the provider picker, Docker image with an optional registry credential, Database with
// engine and version), and a service's page: its settings (edit), Deploy (POSTs the deployment and
// opens its live log), links to its deployments and backups, domains (add, remove, default), the
// variable editor, and for a database "Reveal credentials": an explicit, confirmed, audited call
// needing services.update, shown once in this page's memory only (hidden again on Hide or leaving).
import { useState } from 'preact/hooks';
import { del, get, orgPath, patch, post, type Check, type DockerRegistry, type List } from '../api';
import {
  ENGINES, KIND_LABEL, appRoutes, databaseBody, dockerBody, dockerDraftOf, emptyDatabase, emptyDocker, emptyGit, engineOf, gitBody,
  gitDraftOf, serviceNameProblem, servicePatch, serviceSummary,
  type Application, type Credentials, type DatabaseDraft, type DockerDraft, type GitDraft, type GitProvider, type Service, type ServiceType,
} from '../apps';
import { CheckList } from '../components/checks';
import { AccessDenied, ErrorBox, Field, Loading, Notice, PageTitle, PermButton } from '../components';
import { useLoad } from '../hooks';
import { navigate, useLocation } from '../router';
import { useOrg } from '../session';
import { LegacyNote } from '../components/legacy_note';
import { ServiceStatusPill } from '../components/status';
import { VariableEditor } from '../components/variable_editor';

const S = (slug: string, rest = '') => orgPath(slug, `/services${rest}`);

// The checks a save ran (git access, pull access), handed from the Add form to the service page
// it opens, shown there once.
const savedChecks = new Map<string, Check[]>();

function useApp(id: string) {
  const { org, can } = useOrg();
  return useLoad(() => get<Application>(orgPath(org.slug, `/applications/${id}`)), [org.slug, id], !can('applications.read'));
}

// ---- add a service ----

export function NewServicePage(props: { app: string }) {
  const { org, can } = useOrg();
  const { query } = useLocation();
  const app = useApp(props.app);
  const k = query.get('kind');
  const [kind, setKind] = useState<ServiceType>(k === 'docker' || k === 'database' ? k : 'app');
  const [name, setName] = useState('');
  const [git, setGit] = useState<GitDraft>(emptyGit());
  const [docker, setDocker] = useState<DockerDraft>(emptyDocker());
  const [db, setDb] = useState<DatabaseDraft>(emptyDatabase());
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  if (!can('services.create')) return (<><PageTitle>Add a service</PageTitle><AccessDenied need="services.create" what="the Add service form" /></>);
  const save = async (e: Event) => {
    e.preventDefault();
    setBusy(true); setError(null);
    try {
      const body = kind === 'app' ? gitBody(name, git) : kind === 'docker' ? dockerBody(name, docker) : databaseBody(name, db);
      const s = await post<Service>(orgPath(org.slug, `/applications/${props.app}/services`), body);
      if (s.checks?.length) savedChecks.set(s.id, s.checks);
      navigate(`${appRoutes.service(org.slug, props.app, s.id)}?created=1`);
    } catch (err) { setError(err); } finally { setBusy(false); }
  };
  const nameHint = serviceNameProblem(name.trim());
  return (
    <>
      <p class="crumb">
        <a href={appRoutes.list(org.slug)}>Applications</a> › {app.data ? <a href={appRoutes.app(org.slug, props.app)}>{app.data.name}</a> : '…'} ›
      </p>
      <PageTitle>Add a service</PageTitle>
      {!can('applications.read') && can('projects.read') && <LegacyNote />}
      <section class="panel">
        <form onSubmit={save} noValidate>
          <fieldset class="field">
            <legend>Kind</legend>
            <div class="kind-pick" role="radiogroup">
              {(['app', 'docker', 'database'] as const).map((x) => (
                <label key={x} class={`kind-option${kind === x ? ' on' : ''}`}>
                  <input type="radio" name="kind" value={x} checked={kind === x} onChange={() => { setKind(x); setError(null); }} />
                  {KIND_LABEL[x]}
                </label>
              ))}
            </div>
          </fieldset>
          <Field label="Service name" id="svc-name" error={error} field="name"
            hint={name && nameHint ? `The name ${nameHint}.` : 'Lowercase letters, digits and -, e.g. web or db. References use it: {{ name.VAR }}.'}>
            <input id="svc-name" class="mono" value={name} onInput={(e) => setName(e.currentTarget.value)} aria-invalid={name && nameHint ? 'true' : undefined} />
          </Field>
          {kind === 'app' && <GitFields d={git} set={setGit} error={error} />}
          {kind === 'docker' && <DockerFields d={docker} set={setDocker} error={error} />}
          {kind === 'database' && <DatabaseFields d={db} set={setDb} error={error} />}
          <ErrorBox error={error} />
          <SaveReport error={error} />
          <div class="row">
            <PermButton type="submit" kind="primary" allowed={can('services.create')} need="services.create" busy={busy} testId="create-service">
              {busy ? (kind === 'app' ? 'Checking the repository…' : 'Adding…') : kind === 'app' ? 'Add Git service' : kind === 'docker' ? 'Add Docker image' : 'Add database'}
            </PermButton>
            <a class="btn plain" href={appRoutes.app(org.slug, props.app)}>Cancel</a>
          </div>
        </form>
      </section>
    </>
  );
}

function GitFields(props: { d: GitDraft; set: (d: GitDraft) => void; error: unknown; edit?: boolean }) {
  const { org, can } = useOrg();
  const providers = useLoad(() => get<List<GitProvider>>(orgPath(org.slug, '/git-providers?limit=200')), [org.slug], !can('gitProviders.read'));
  const d = props.d;
  const set = (k: keyof GitDraft) => (e: Event) => props.set({ ...d, [k]: (e.currentTarget as HTMLInputElement).value });
  const items = providers.data?.items ?? [];
  return (
    <>
      <div class="grid2">
        <Field label="Git provider" id="git-provider" error={props.error} field="git_provider_id"
          hint={can('gitProviders.read') ? 'Saving checks that the provider reaches the repository and that the branch exists.' : 'Using a provider needs gitProviders.read; without one, use a public https:// URL.'}>
          <select id="git-provider" value={d.git_provider_id} onChange={set('git_provider_id')} disabled={!can('gitProviders.read')}>
            <option value="">None: a public https:// repository</option>
            {items.map((p) => <option key={p.id} value={p.id}>{p.name} ({p.type}{p.verified ? ', verified' : ''})</option>)}
          </select>
        </Field>
        <Field label="Repository" id="git-repo" error={props.error} field="repository"
          hint={d.git_provider_id ? 'owner/name on that provider' : 'A public https:// clone URL (no credentials in it)'}>
          <input id="git-repo" class="mono" placeholder={d.git_provider_id ? 'acme/web' : 'https://github.com/acme/web.git'} value={d.repository} onInput={set('repository')} />
        </Field>
      </div>
      <div class="grid2">
        <fieldset class="field">
          <legend>Branch or tag</legend>
          <div class="row tight">
            <select aria-label="Branch or tag" value={d.refKind} onChange={set('refKind')} class="ref-kind">
              <option value="branch">Branch</option>
              <option value="tag">Tag</option>
            </select>
            <input id="git-ref" aria-label={d.refKind === 'tag' ? 'Tag' : 'Branch'} class="mono ref-input" value={d.ref} onInput={set('ref')} />
          </div>
          {(['branch', 'tag'] as const).map((f) => <FieldErrorLine key={f} error={props.error} field={f} />)}
        </fieldset>
        <Field label="Port" id="git-port" error={props.error} field="port" hint="The port the app listens on (1–65535)">
          <input id="git-port" inputMode="numeric" value={d.port} onInput={set('port')} />
        </Field>
      </div>
      <Field label="Build path (optional)" id="git-path" error={props.error} field="build_path" hint="A folder of the repository to build from, e.g. services/web">
        <input id="git-path" class="mono" value={d.build_path} onInput={set('build_path')} />
      </Field>
    </>
  );
}

// The provider's or registry's own verify report that a refused save carries (details.report).
function SaveReport(props: { error: unknown }) {
  const checks = (props.error as any)?.details?.report?.checks as Check[] | undefined;
  if (!Array.isArray(checks) || !checks.length) return null;
  return (
    <div class="inline-form" data-testid="save-report">
      <h3>What the check found</h3>
      <CheckList checks={checks} testId="save-report-checks" />
    </div>
  );
}

function FieldErrorLine(props: { error: unknown; field: string }) {
  const f = (props.error as any)?.fields?.[props.field];
  return f ? <p class="field-error" data-field={props.field}>{props.field} {f}</p> : null;
}

function DockerFields(props: { d: DockerDraft; set: (d: DockerDraft) => void; error: unknown }) {
  const { org, can } = useOrg();
  const regs = useLoad(() => get<List<DockerRegistry>>(orgPath(org.slug, '/docker-registries?limit=200')), [org.slug], !can('dockerRegistries.read'));
  const d = props.d;
  const set = (k: keyof DockerDraft) => (e: Event) => props.set({ ...d, [k]: (e.currentTarget as HTMLInputElement).value });
  return (
    <>
      <div class="grid2">
        <Field label="Image" id="img-ref" error={props.error} field="image" hint="As you would docker pull it, e.g. nginx:1.27 or ghcr.io/acme/api:v1">
          <input id="img-ref" class="mono" value={d.image} onInput={set('image')} />
        </Field>
        <Field label="Registry credential (optional)" id="img-reg" error={props.error} field="docker_registry_id"
          hint={can('dockerRegistries.read') ? 'For a private image: its host must match the image, and pull access is checked on save.' : 'Using a credential needs dockerRegistries.read.'}>
          <select id="img-reg" value={d.docker_registry_id} onChange={set('docker_registry_id')} disabled={!can('dockerRegistries.read')}>
            <option value="">None: a public image</option>
            {(regs.data?.items ?? []).map((r) => <option key={r.id} value={r.id}>{r.name} ({r.host})</option>)}
          </select>
        </Field>
      </div>
      <Field label="Ports (optional)" id="img-ports" error={props.error} field="ports" hint='Dokku port mappings, comma separated: scheme:host-port:container-port, e.g. http:80:5000'>
        <input id="img-ports" class="mono" placeholder="http:80:5000" value={d.ports} onInput={set('ports')} />
      </Field>
    </>
  );
}

function DatabaseFields(props: { d: DatabaseDraft; set: (d: DatabaseDraft) => void; error: unknown; edit?: boolean }) {
  const d = props.d;
  const e = engineOf(d.engine);
  return (
    <div class="grid2">
      <Field label="Engine" id="db-engine" error={props.error} field="database.engine">
        <select id="db-engine" value={d.engine} disabled={props.edit} onChange={(ev) => props.set({ engine: ev.currentTarget.value, version: engineOf(ev.currentTarget.value).def })}>
          {ENGINES.map((x) => <option key={x.name} value={x.name}>{x.label}</option>)}
        </select>
      </Field>
      <Field label="Version" id="db-version" error={props.error} field="database.version" hint={`Default ${e.def}. Credentials are generated and stored encrypted.`}>
        <select id="db-version" value={d.version} onChange={(ev) => props.set({ ...d, version: ev.currentTarget.value })}>
          {e.versions.map((v) => <option key={v} value={v}>{v}{v === e.def ? ' (default)' : ''}</option>)}
        </select>
      </Field>
    </div>
  );
}

// ---- a service ----

export function ServicePage(props: { app: string; id: string }) {
  const { org, can } = useOrg();
  const { query } = useLocation();
  const app = useApp(props.app);
  const svc = useLoad(() => get<Service>(S(org.slug, `/${props.id}`)), [org.slug, props.id], !can('services.read'));
  const all = useLoad(() => get<List<Service>>(orgPath(org.slug, `/applications/${props.app}/services`)), [org.slug, props.app], !can('services.read'));
  const [editing, setEditing] = useState(false);
  const [note, setNote] = useState<string | null>(query.get('created') ? 'Service added.' : null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState('');
  const [checks] = useState(() => {
    const c = savedChecks.get(props.id) ?? null;
    savedChecks.delete(props.id);
    return c;
  });
  if (!can('services.read')) return (<><PageTitle>Service</PageTitle><AccessDenied need="services.read" what="this service" /></>);
  if (svc.error) return (<><PageTitle>Service</PageTitle><ErrorBox error={svc.error} /></>);
  if (!svc.data) return <Loading />;
  const s = svc.data;
  const upd = can('services.update');
  const deploy = async () => {
    setBusy('deploy'); setError(null);
    try {
      const d = await post<{ id: string }>(orgPath(org.slug, `/applications/${props.app}/services/${s.id}/deployments`), {});
      navigate(appRoutes.deployment(org.slug, d.id));
    } catch (e) { setError(e); } finally { setBusy(''); }
  };
  const remove = async () => {
    if (!confirm(`Delete the service ${s.name}? Wharf forgets its settings, variables and domains; destroy it on the server first with a destroy deployment.`)) return;
    setError(null);
    try { await del(S(org.slug, `/${s.id}`)); navigate(appRoutes.app(org.slug, props.app)); } catch (e) { setError(e); }
  };
  const reload = () => { svc.reload(); all.reload(); };
  return (
    <>
      <p class="crumb">
        <a href={appRoutes.list(org.slug)}>Applications</a> › {app.data ? <a href={appRoutes.app(org.slug, props.app)}>{app.data.name}</a> : <a href={appRoutes.app(org.slug, props.app)}>application</a>} ›
      </p>
      <PageTitle actions={
        <>
          <PermButton allowed={upd} need="services.update" kind="primary" why busy={busy === 'deploy'} onClick={deploy} testId="deploy">
            {busy === 'deploy' ? 'Starting…' : 'Deploy'}
          </PermButton>
          <a class="btn plain" href={appRoutes.deployments(org.slug, props.app, s.id)} data-testid="deployments-link">Deployments</a>
          {s.type === 'database' && <a class="btn plain" href={appRoutes.backups(org.slug, props.app, s.id)} data-testid="backups-link">Backups</a>}
        </>
      }>
        {s.name} <span class="pill">{KIND_LABEL[s.type] ?? s.type}</span> <ServiceStatusPill status={s.status} />
      </PageTitle>
      <Notice text={note} onDone={() => setNote(null)} />
      <ErrorBox error={error} onDismiss={() => setError(null)} />
      {checks && (
        <section class="panel" data-testid="save-checks">
          <h2>Checked on save</h2>
          <CheckList checks={checks} testId="service-checks" />
        </section>
      )}
      {editing ? (
        <EditService svc={s} onCancel={() => setEditing(false)} onSaved={(x) => { svc.setData(x); all.reload(); setEditing(false); setNote(`Service ${x.name} saved.`); }} />
      ) : (
        <section class="panel" data-testid="service-settings">
          <div class="page-title">
            <h2>Settings</h2>
            <div class="actions">
              <PermButton allowed={upd} need="services.update" onClick={() => setEditing(true)} testId="edit-service">Edit</PermButton>
              <PermButton allowed={can('services.delete')} need="services.delete" kind="danger" onClick={remove} testId="delete-service">Delete</PermButton>
            </div>
          </div>
          <Settings s={s} />
          {s.unset_keys.length > 0 && (
            <p class="muted small" data-testid="unset-keys">Removed variables the next deploy unsets on the server: <code>{s.unset_keys.join(', ')}</code></p>
          )}
        </section>
      )}
      {s.type === 'database' && <RevealCredentials svc={s} />}
      {s.type !== 'database' && <Domains svc={s} onChanged={reload} />}
      <VariableEditor svc={s} services={all.data?.items ?? [s]} onSaved={(vars) => { svc.setData({ ...s, variables: vars }); reload(); }} />
    </>
  );
}

function Settings(props: { s: Service }) {
  const s = props.s;
  const { org, can } = useOrg();
  const providers = useLoad(() => get<List<GitProvider>>(orgPath(org.slug, '/git-providers?limit=200')), [org.slug], !(s.type === 'app' && s.git_provider_id && can('gitProviders.read')));
  const provider = providers.data?.items.find((p) => p.id === s.git_provider_id);
  if (s.type === 'database')
    return (
      <dl class="kv">
        <dt>Engine</dt><dd>{engineOf(s.database?.engine ?? '').label} <code>{s.database?.engine}</code></dd>
        <dt>Version</dt><dd>{s.database?.version}</dd>
        <dt>Credentials</dt><dd>{s.credentials?.set ? 'generated, stored encrypted' : 'not generated'}</dd>
      </dl>
    );
  if (s.type === 'docker')
    return (
      <dl class="kv">
        <dt>Image</dt><dd class="mono">{s.image}</dd>
        <dt>Registry credential</dt><dd>{s.docker_registry_id ? <code>{s.docker_registry_id}</code> : 'none (public image)'}</dd>
        <dt>Ports</dt><dd class="mono">{s.ports?.length ? s.ports.join(', ') : '—'}</dd>
      </dl>
    );
  return (
    <dl class="kv">
      <dt>Repository</dt><dd class="mono">{s.repository}</dd>
      <dt>Git provider</dt><dd>{s.git_provider_id ? (provider ? `${provider.name} (${provider.type})` : <code>{s.git_provider_id}</code>) : 'none (public URL)'}</dd>
      <dt>{s.tag ? 'Tag' : 'Branch'}</dt><dd class="mono">{s.tag || s.branch}</dd>
      <dt>Build path</dt><dd class="mono">{s.build_path || '/'}</dd>
      <dt>Port</dt><dd>{s.port ?? '—'}</dd>
      <dt>Runs</dt><dd class="mono small">{serviceSummary(s)}</dd>
    </dl>
  );
}

function EditService(props: { svc: Service; onSaved: (s: Service) => void; onCancel: () => void }) {
  const { org, can } = useOrg();
  const s = props.svc;
  const [name, setName] = useState(s.name);
  const [git, setGit] = useState<GitDraft>(gitDraftOf(s));
  const [docker, setDocker] = useState<DockerDraft>(dockerDraftOf(s));
  const [db, setDb] = useState<DatabaseDraft>({ engine: s.database?.engine ?? 'postgres', version: s.database?.version ?? '' });
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const save = async (e: Event) => {
    e.preventDefault();
    setBusy(true); setError(null);
    try {
      const body = servicePatch(s, name, s.type === 'app' ? git : s.type === 'docker' ? docker : db);
      props.onSaved(Object.keys(body).length ? await patch<Service>(S(org.slug, `/${s.id}`), body) : s);
    } catch (err) { setError(err); } finally { setBusy(false); }
  };
  return (
    <section class="panel" data-testid="service-form">
      <h2>Edit {s.name}</h2>
      <form onSubmit={save} noValidate>
        <Field label="Service name" id="svc-name" error={error} field="name" hint="Renaming deploys to a new Dokku app: destroy the old one first.">
          <input id="svc-name" class="mono" value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </Field>
        {s.type === 'app' && <GitFields d={git} set={setGit} error={error} edit />}
        {s.type === 'docker' && <DockerFields d={docker} set={setDocker} error={error} />}
        {s.type === 'database' && <DatabaseFields d={db} set={setDb} error={error} edit />}
        <ErrorBox error={error} />
        <SaveReport error={error} />
        <div class="row">
          <PermButton type="submit" kind="primary" allowed={can('services.update')} need="services.update" busy={busy} testId="save-service">
            {busy ? 'Saving…' : 'Save'}
          </PermButton>
          <button type="button" class="btn plain" onClick={props.onCancel}>Cancel</button>
        </div>
      </form>
    </section>
  );
}

// A database's generated credentials: nothing is fetched until the user asks and confirms; the
// answer lives only in this component's state and is dropped on Hide or when the page is left.
function RevealCredentials(props: { svc: Service }) {
  const { org, can } = useOrg();
  const [creds, setCreds] = useState<Credentials | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const reveal = async () => {
    if (!confirm(`Reveal the credentials of ${props.svc.name}? They are shown once on this page, and the reveal is recorded in the audit log.`)) return;
    setBusy(true); setError(null);
    try { setCreds(await post<Credentials>(S(org.slug, `/${props.svc.id}/reveal-credentials`))); } catch (e) { setError(e); } finally { setBusy(false); }
  };
  return (
    <section class="panel" data-testid="credentials">
      <h2>Credentials</h2>
      <p class="muted small">
        The user, a 32-character password and the database name were generated by Wharf and are stored encrypted. Other
        services reach them as references, e.g. <code>{`{{ ${props.svc.name}.DATABASE_URL }}`}</code>, without anyone seeing them.
      </p>
      {creds ? (
        <div class="reveal" data-testid="revealed">
          <p class="alert warn">Shown once: copy what you need now. Hiding or leaving this page forgets it.</p>
          <dl class="kv">
            <dt>User</dt><dd class="mono">{creds.user}</dd>
            <dt>Password</dt><dd class="mono" data-testid="db-password">{creds.password}</dd>
            <dt>Host</dt><dd class="mono">{creds.host}:{creds.port}</dd>
            <dt>Database</dt><dd class="mono">{creds.name}</dd>
            <dt>URL</dt><dd class="mono">{creds.database_url}</dd>
          </dl>
          <button type="button" class="btn plain" onClick={() => setCreds(null)} data-testid="hide-credentials">Hide</button>
        </div>
      ) : (
        <PermButton allowed={can('services.update')} need="services.update" kind="danger" why busy={busy} onClick={reveal} testId="reveal-credentials">
          {busy ? 'Revealing…' : 'Reveal credentials'}
        </PermButton>
      )}
      <ErrorBox error={error} onDismiss={() => setError(null)} />
    </section>
  );
}

function Domains(props: { svc: Service; onChanged: () => void }) {
  const { org, can } = useOrg();
  const s = props.svc;
  const [host, setHost] = useState('');
  const [le, setLe] = useState(true);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const upd = can('services.update');
  const run = async (fn: () => Promise<unknown>) => {
    setBusy(true); setError(null);
    try { await fn(); props.onChanged(); } catch (e) { setError(e); } finally { setBusy(false); }
  };
  const add = (e: Event) => {
    e.preventDefault();
    run(async () => { await post(S(org.slug, `/${s.id}/domains`), { hostname: host.trim(), letsencrypt: le }); setHost(''); });
  };
  const D = (h: string, rest = '') => S(org.slug, `/${s.id}/domains/${encodeURIComponent(h)}${rest}`);
  return (
    <section class="panel" data-testid="domains">
      <h2>Domains</h2>
      <p class="muted small">The next deployment applies them on the server. The default one is <code>{`{{ ${s.name}.DOMAIN }}`}</code>.</p>
      {s.domains.length === 0 ? <p class="muted">No domains yet.</p> : (
        <div class="table-wrap"><table class="stack">
          <thead><tr><th>Hostname</th><th>TLS</th><th><span class="sr-only">Actions</span></th></tr></thead>
          <tbody>
            {s.domains.map((d) => (
              <tr key={d.hostname} data-domain={d.hostname}>
                <td data-label="Hostname"><span class="mono">{d.hostname}</span>{d.default && <span class="pill ok">default</span>}</td>
                <td data-label="TLS">{d.letsencrypt ? "Let's Encrypt" : 'none'}</td>
                <td class="actions">
                  {!d.default && (
                    <PermButton allowed={upd} need="services.update" busy={busy} label={`Make ${d.hostname} the default`} onClick={() => run(() => post(D(d.hostname, '/default')))}>Set default</PermButton>
                  )}
                  <PermButton allowed={upd} need="services.update" kind="danger" busy={busy} label={`Remove ${d.hostname}`}
                    onClick={() => confirm(`Remove the domain ${d.hostname}?`) && run(() => del(D(d.hostname)))}>Remove</PermButton>
                </td>
              </tr>
            ))}
          </tbody>
        </table></div>
      )}
      <form class="inline-form domain-form" onSubmit={add} noValidate>
        <Field label="Add a domain" id="dom-host" error={error} field="hostname" hint="A DNS name pointing at the server, e.g. shop.example.com">
          <input id="dom-host" class="mono" value={host} onInput={(e) => setHost(e.currentTarget.value)} readOnly={!upd} />
        </Field>
        <label class="check-label"><input type="checkbox" checked={le} disabled={!upd} onChange={(e) => setLe(e.currentTarget.checked)} /> Let's Encrypt certificate</label>
        <PermButton type="submit" allowed={upd} need="services.update" busy={busy} reason={upd && !host.trim() ? 'Type a hostname first.' : undefined} testId="add-domain">Add domain</PermButton>
      </form>
      <ErrorBox error={error} onDismiss={() => setError(null)} />
    </section>
  );
}
