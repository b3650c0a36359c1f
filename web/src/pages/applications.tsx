// Applications (docs/applications.md): the list with the server each runs on, create (name,
// description, server picker), an application's page with its services, edit and delete. The
// legacy /projects view is the same rows under the `projects` permission: a member who holds only
// that is told so instead of seeing an empty list.
import { useState } from 'preact/hooks';
import { del, get, orgPath, patch, post, type List, type Server } from '../api';
import { KIND_LABEL, appRoutes, applicationPatch, serviceSummary, type Application, type Service } from '../apps';
import { AccessDenied, ErrorBox, Field, Loading, Notice, PageTitle, PermButton, fmtTime } from '../components';
import { useLoad } from '../hooks';
import { navigate, useLocation } from '../router';
import { useOrg } from '../session';
import { LegacyNote } from '../components/legacy_note';
import { SaveAsTemplate } from '../components/save_as_template';
import { ServiceStatusPill } from '../components/status';
import { templatesPath } from '../templates';
import '../apps.css';

// Shown when the member cannot read applications: names the permission, and when their role only
// has the legacy `projects` permission, explains that.
function AppsDenied() {
  const { can } = useOrg();
  return (
    <>
      <AccessDenied need="applications.read" what="the applications" />
      {can('projects.read') && <LegacyNote />}
    </>
  );
}

// The org's servers by id (for names), when the member may read them.
function useServers() {
  const { org, can } = useOrg();
  return useLoad(() => get<List<Server>>(orgPath(org.slug, '/servers?limit=200')), [org.slug], !can('servers.read'));
}

function ServerName(props: { id: string; servers?: Server[] }) {
  const { org } = useOrg();
  const s = props.servers?.find((x) => x.id === props.id);
  if (!s) return <code class="small">{props.id}</code>;
  return <a href={`/o/${org.slug}/servers/${s.id}`}>{s.name}</a>;
}

export function ApplicationsPage() {
  const { org, can } = useOrg();
  const list = useLoad(() => get<List<Application>>(orgPath(org.slug, '/applications?limit=200')), [org.slug], !can('applications.read'));
  const servers = useServers();
  if (!can('applications.read')) return (<><PageTitle>Applications</PageTitle><AppsDenied /></>);
  return (
    <>
      <PageTitle actions={
        <PermButton allowed={can('applications.create')} need="applications.create" kind="primary" why
          onClick={() => navigate(`/o/${org.slug}/applications/new`)} testId="new-application">New application</PermButton>
      }>Applications</PageTitle>
      <section class="panel">
        <p class="muted small">An application groups the services that run together on one server: apps from git, Docker images and databases.</p>
        {list.error ? <ErrorBox error={list.error} /> : !list.data ? <Loading /> : list.data.items.length === 0 ? (
          <p class="muted">No applications yet. Create one on one of your servers, then add its services.</p>
        ) : (
          <div class="table-wrap"><table class="stack">
            <thead><tr><th>Name</th><th>Server</th><th>Description</th><th>Created</th></tr></thead>
            <tbody>
              {list.data.items.map((a) => (
                <tr key={a.id} data-app={a.name}>
                  <td data-label="Name"><a href={appRoutes.app(org.slug, a.id)}><strong>{a.name}</strong></a></td>
                  <td data-label="Server" data-testid="app-server"><ServerName id={a.server_id} servers={servers.data?.items} /></td>
                  <td data-label="Description">{a.description || <span class="muted">—</span>}</td>
                  <td data-label="Created">{fmtTime(a.created_at)}</td>
                </tr>
              ))}
            </tbody>
          </table></div>
        )}
      </section>
    </>
  );
}

// The server picker: a select of the org's servers, or an id field when servers cannot be read.
function ServerPicker(props: { value: string; onChange: (v: string) => void; error: unknown }) {
  const { can } = useOrg();
  const servers = useServers();
  const items = servers.data?.items ?? [];
  return (
    <Field label="Server" id="app-server" error={props.error} field="server_id"
      hint={can('servers.read') ? 'The worker node the services run on. It cannot change while the application has services.' : 'You cannot list servers (servers.read): paste the server id.'}>
      {can('servers.read') ? (
        servers.data ? (
          <select id="app-server" value={props.value} onChange={(e) => props.onChange(e.currentTarget.value)}>
            <option value="">Choose a server…</option>
            {items.map((s) => <option key={s.id} value={s.id}>{s.name} ({s.host}) · {s.status}</option>)}
          </select>
        ) : servers.error ? <ErrorBox error={servers.error} /> : <Loading />
      ) : (
        <input id="app-server" class="mono" value={props.value} onInput={(e) => props.onChange(e.currentTarget.value)} />
      )}
    </Field>
  );
}

export function NewApplicationPage() {
  const { org, can } = useOrg();
  const { query } = useLocation();
  const [f, setF] = useState({ name: '', description: '', server_id: query.get('server') ?? '' });
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  if (!can('applications.create')) return (<><PageTitle>New application</PageTitle><AccessDenied need="applications.create" what="the New application form" /></>);
  const save = async (e: Event) => {
    e.preventDefault();
    setBusy(true); setError(null);
    try {
      const body: Record<string, string> = { name: f.name.trim(), server_id: f.server_id };
      if (f.description.trim()) body.description = f.description.trim();
      const a = await post<Application>(orgPath(org.slug, '/applications'), body);
      navigate(appRoutes.app(org.slug, a.id));
    } catch (err) { setError(err); } finally { setBusy(false); }
  };
  return (
    <>
      <PageTitle>New application</PageTitle>
      <section class="panel">
        <form onSubmit={save} noValidate>
          <div class="grid2">
            <Field label="Name" id="app-name" error={error} field="name" hint="Unique in the organisation, e.g. shop">
              <input id="app-name" value={f.name} onInput={(e) => setF({ ...f, name: e.currentTarget.value })} />
            </Field>
            <ServerPicker value={f.server_id} onChange={(v) => setF({ ...f, server_id: v })} error={error} />
          </div>
          <Field label="Description (optional)" id="app-desc" error={error} field="description">
            <input id="app-desc" value={f.description} onInput={(e) => setF({ ...f, description: e.currentTarget.value })} />
          </Field>
          <ErrorBox error={error} />
          <div class="row">
            <PermButton type="submit" kind="primary" allowed={can('applications.create')} need="applications.create" busy={busy} testId="create-application">
              {busy ? 'Creating…' : 'Create application'}
            </PermButton>
            <a class="btn plain" href={appRoutes.list(org.slug)}>Cancel</a>
          </div>
        </form>
      </section>
    </>
  );
}

export function ApplicationPage(props: { id: string }) {
  const { org, can } = useOrg();
  const app = useLoad(() => get<Application>(orgPath(org.slug, `/applications/${props.id}`)), [org.slug, props.id], !can('applications.read'));
  const svcs = useLoad(() => get<List<Service>>(orgPath(org.slug, `/applications/${props.id}/services`)), [org.slug, props.id], !can('services.read'));
  const servers = useServers();
  const { query } = useLocation();
  const [editing, setEditing] = useState(false);
  const [saving, setSaving] = useState(false);
  const [savedTpl, setSavedTpl] = useState<string | null>(null);
  const [note, setNote] = useState<string | null>(query.get('added') ? `Service ${query.get('added')} added.` : null);
  const [error, setError] = useState<unknown>(null);
  if (!can('applications.read')) return (<><PageTitle>Application</PageTitle><AppsDenied /></>);
  if (app.error) return (<><PageTitle>Application</PageTitle><ErrorBox error={app.error} /></>);
  if (!app.data) return <Loading />;
  const a = app.data;
  const remove = async () => {
    if (!confirm(`Delete the application ${a.name}? This cannot be undone.`)) return;
    setError(null);
    try { await del(orgPath(org.slug, `/applications/${a.id}`)); navigate(appRoutes.list(org.slug)); } catch (e) { setError(e); }
  };
  const items = svcs.data?.items ?? [];
  return (
    <>
      <p class="crumb"><a href={appRoutes.list(org.slug)}>Applications</a> ›</p>
      <PageTitle actions={
        <>
          <PermButton allowed={can('applications.update')} need="applications.update" onClick={() => { setSaving(false); setEditing(true); }} testId="edit-application">Edit</PermButton>
          <PermButton allowed={can('templates.create') && can('services.read')} need={can('templates.create') ? 'services.read' : 'templates.create'}
            onClick={() => { setEditing(false); setSaving(true); }} testId="save-as-template">Save as template</PermButton>
          <PermButton allowed={can('applications.delete')} need="applications.delete" kind="danger" onClick={remove} testId="delete-application"
            reason={can('applications.delete') && items.length ? 'Delete its services first: an application with services cannot be deleted.' : undefined}>Delete</PermButton>
        </>
      }>{a.name}</PageTitle>
      <Notice text={note} onDone={() => setNote(null)} />
      <ErrorBox error={error} onDismiss={() => setError(null)} />
      {saving && (
        <SaveAsTemplate app={a} onCancel={() => setSaving(false)}
          onSaved={(t) => { setSaving(false); setSavedTpl(t.name); }} />
      )}
      {savedTpl && (
        <p class="alert info" data-testid="template-saved">
          Template <strong>{savedTpl}</strong> saved: <a href={templatesPath(org.slug)}>deploy it from Templates</a>.
        </p>
      )}
      {editing ? (
        <EditApplication app={a} hasServices={items.length > 0} onCancel={() => setEditing(false)}
          onSaved={(x) => { app.setData(x); setEditing(false); setNote(`Application ${x.name} saved.`); }} />
      ) : (
        <section class="panel">
          <dl class="kv">
            <dt>Server</dt><dd data-testid="app-server"><ServerName id={a.server_id} servers={servers.data?.items} /></dd>
            <dt>Description</dt><dd>{a.description || <span class="muted">—</span>}</dd>
            <dt>Created</dt><dd>{fmtTime(a.created_at)}</dd>
          </dl>
        </section>
      )}
      <section class="panel" data-testid="services">
        <div class="page-title">
          <h2>Services</h2>
          <div class="actions">
            {(['app', 'docker', 'database'] as const).map((k) => (
              <PermButton key={k} allowed={can('services.create')} need="services.create" kind={k === 'app' ? 'primary' : 'plain'}
                onClick={() => navigate(appRoutes.newService(org.slug, a.id, k))} testId={`add-${k}`}>
                {k === 'app' ? 'Add Git service' : k === 'docker' ? 'Add Docker image' : 'Add database'}
              </PermButton>
            ))}
          </div>
        </div>
        {!can('services.read') ? <AccessDenied need="services.read" what="this application's services" />
          : svcs.error ? <ErrorBox error={svcs.error} /> : !svcs.data ? <Loading /> : items.length === 0 ? (
            <p class="muted">No services yet. Add an app from git, a Docker image or a database.</p>
          ) : (
            <div class="table-wrap"><table class="stack">
              <thead><tr><th>Name</th><th>Kind</th><th>Runs</th><th>Domain</th><th>Status</th></tr></thead>
              <tbody>
                {items.map((s) => (
                  <tr key={s.id} data-service={s.name}>
                    <td data-label="Name"><a href={appRoutes.service(org.slug, a.id, s.id)}><strong>{s.name}</strong></a></td>
                    <td data-label="Kind">{KIND_LABEL[s.type] ?? s.type}</td>
                    <td data-label="Runs" class="mono small">{serviceSummary(s)}</td>
                    <td data-label="Domain">{s.domains.find((d) => d.default)?.hostname ?? <span class="muted">—</span>}</td>
                    <td data-label="Status"><ServiceStatusPill status={s.status} /></td>
                  </tr>
                ))}
              </tbody>
            </table></div>
          )}
      </section>
    </>
  );
}

function EditApplication(props: { app: Application; hasServices: boolean; onSaved: (a: Application) => void; onCancel: () => void }) {
  const { org, can } = useOrg();
  const a = props.app;
  const [f, setF] = useState({ name: a.name, description: a.description, server_id: a.server_id });
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const save = async (e: Event) => {
    e.preventDefault();
    setBusy(true); setError(null);
    try {
      const body = applicationPatch(a, f);
      props.onSaved(Object.keys(body).length ? await patch<Application>(orgPath(org.slug, `/applications/${a.id}`), body) : a);
    } catch (err) { setError(err); } finally { setBusy(false); }
  };
  return (
    <section class="panel" data-testid="application-form">
      <h2>Edit {a.name}</h2>
      <form onSubmit={save} noValidate>
        <div class="grid2">
          <Field label="Name" id="app-name" error={error} field="name">
            <input id="app-name" value={f.name} onInput={(e) => setF({ ...f, name: e.currentTarget.value })} />
          </Field>
          <ServerPicker value={f.server_id} onChange={(v) => setF({ ...f, server_id: v })} error={error} />
        </div>
        {props.hasServices && f.server_id !== a.server_id && (
          <p class="alert warn">The server cannot change while the application has services.</p>
        )}
        <Field label="Description" id="app-desc" error={error} field="description">
          <input id="app-desc" value={f.description} onInput={(e) => setF({ ...f, description: e.currentTarget.value })} />
        </Field>
        <ErrorBox error={error} />
        <div class="row">
          <PermButton type="submit" kind="primary" allowed={can('applications.update')} need="applications.update" busy={busy} testId="save-application">
            {busy ? 'Saving…' : 'Save'}
          </PermButton>
          <button type="button" class="btn plain" onClick={props.onCancel}>Cancel</button>
        </div>
      </form>
    </section>
  );
}
