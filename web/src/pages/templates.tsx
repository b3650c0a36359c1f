// Templates (docs/applications.md, "Templates"): an application's services saved with their
// settings and variables as templates (never a generated value or a credential), deployed into a
// new or an existing application, optionally queueing a deployment of each created service
// (`deploy: true`, databases first). Save an application as a template from its page
// (components/save_as_template.tsx, used by applications.tsx).
import { Fragment } from 'preact';
import { useState } from 'preact/hooks';
import { del, get, orgPath, patch, post, type List, type Server } from '../api';
import { appRoutes, type Application } from '../apps';
import { AccessDenied, ErrorBox, Field, Loading, Notice, PageTitle, PermButton, fmtTime } from '../components';
import { useLoad } from '../hooks';
import { useOrg } from '../session';
import { type Template, type TemplateDeployment } from '../templates';

export function TemplatesPage() {
  const { org, can } = useOrg();
  const slug = org.slug;
  const list = useLoad(() => get<List<Template>>(orgPath(slug, '/templates?limit=200')), [slug], !can('templates.read'));
  const [note, setNote] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [open, setOpen] = useState<{ id: string; mode: 'deploy' | 'rename' } | null>(null);
  const [result, setResult] = useState<{ t: Template; r: TemplateDeployment } | null>(null);
  if (!can('templates.read')) return (<><PageTitle>Templates</PageTitle><AccessDenied need="templates.read" what="the templates" /></>);
  const remove = async (t: Template) => {
    if (!confirm(`Delete the template ${t.name}? Applications deployed from it are not touched.`)) return;
    setError(null);
    try { await del(orgPath(slug, `/templates/${t.id}`)); setNote(`Template ${t.name} deleted.`); list.reload(); } catch (e) { setError(e); }
  };
  return (
    <>
      <PageTitle>Templates</PageTitle>
      <Notice text={note} onDone={() => setNote(null)} />
      <ErrorBox error={error} onDismiss={() => setError(null)} />
      {result && <DeployResult t={result.t} r={result.r} onClose={() => setResult(null)} />}
      <section class="panel">
        <p class="muted small">
          A template is an application's services with their settings and variables as written (references and{' '}
          <code>secret()</code> kept; no generated value, credential or password). Save one from an application's page
          (<strong>Save as template</strong>); deploying it creates the services with fresh secrets.
        </p>
        {list.error ? <ErrorBox error={list.error} /> : !list.data ? <Loading /> : list.data.items.length === 0 ? (
          <p class="muted">No templates yet. Open an application and use <strong>Save as template</strong>.</p>
        ) : (
          <div class="table-wrap"><table class="stack">
            <thead><tr><th>Name</th><th>Services</th><th>Description</th><th>Saved</th><th><span class="sr-only">Actions</span></th></tr></thead>
            <tbody>
              {list.data.items.map((t) => (
                <Fragment key={t.id}>
                  <tr data-template={t.name}>
                    <td data-label="Name"><strong>{t.name}</strong></td>
                    <td data-label="Services" data-testid="template-services">
                      {t.services.map((s) => `${s.name} (${s.type})`).join(', ') || <span class="muted">none</span>}
                    </td>
                    <td data-label="Description">{t.description || <span class="muted">—</span>}</td>
                    <td data-label="Saved">{fmtTime(t.created_at)}</td>
                    <td class="actions">
                      <PermButton allowed={can('services.create')} need="services.create" kind="primary" label={`Deploy template ${t.name}`}
                        onClick={() => { setResult(null); setOpen({ id: t.id, mode: 'deploy' }); }}>Deploy</PermButton>
                      <PermButton allowed={can('templates.update')} need="templates.update" label={`Rename template ${t.name}`}
                        onClick={() => setOpen({ id: t.id, mode: 'rename' })}>Rename</PermButton>
                      <PermButton allowed={can('templates.delete')} need="templates.delete" kind="danger" label={`Delete template ${t.name}`}
                        onClick={() => remove(t)}>Delete</PermButton>
                    </td>
                  </tr>
                  {open?.id === t.id && (
                    <tr class="form-row">
                      <td colSpan={5}>
                        {open.mode === 'deploy' ? (
                          <DeployTemplateForm t={t} onCancel={() => setOpen(null)}
                            onDone={(r) => { setOpen(null); setResult({ t, r }); }} />
                        ) : (
                          <RenameTemplateForm t={t} onCancel={() => setOpen(null)}
                            onDone={(x) => { setOpen(null); setNote(`Template ${x.name} saved.`); list.reload(); }} />
                        )}
                      </td>
                    </tr>
                  )}
                </Fragment>
              ))}
            </tbody>
          </table></div>
        )}
      </section>
    </>
  );
}

function RenameTemplateForm(props: { t: Template; onDone: (t: Template) => void; onCancel: () => void }) {
  const { org, can } = useOrg();
  const [f, setF] = useState({ name: props.t.name, description: props.t.description ?? '' });
  const [error, setError] = useState<unknown>(null);
  const save = async (e: Event) => {
    e.preventDefault();
    setError(null);
    const body: Record<string, string> = {};
    if (f.name.trim() !== props.t.name) body.name = f.name.trim();
    if (f.description !== (props.t.description ?? '')) body.description = f.description;
    if (!Object.keys(body).length) return props.onCancel();
    try { props.onDone(await patch<Template>(orgPath(org.slug, `/templates/${props.t.id}`), body)); } catch (err) { setError(err); }
  };
  return (
    <form class="inline-form" onSubmit={save} noValidate data-testid="rename-template">
      <div class="grid2">
        <Field label="Template name" id="tpl-rename" error={error} field="name">
          <input id="tpl-rename" value={f.name} onInput={(e) => setF({ ...f, name: e.currentTarget.value })} />
        </Field>
        <Field label="Description" id="tpl-rename-desc" error={error} field="description">
          <input id="tpl-rename-desc" value={f.description} onInput={(e) => setF({ ...f, description: e.currentTarget.value })} />
        </Field>
      </div>
      <ErrorBox error={error} />
      <div class="row">
        <PermButton type="submit" kind="primary" allowed={can('templates.update')} need="templates.update">Save</PermButton>
        <button type="button" class="btn plain" onClick={props.onCancel}>Cancel</button>
      </div>
    </form>
  );
}

// What deploying needs, as the server checks it: services.create on the target, applications.create
// for a new one, services.update with "deploy now".
export function deployTemplateNeed(target: 'existing' | 'new', deploy: boolean, can: (p: string) => boolean): string | null {
  for (const p of ['services.create', ...(target === 'new' ? ['applications.create'] : []), ...(deploy ? ['services.update'] : [])])
    if (!can(p)) return p;
  return null;
}

function DeployTemplateForm(props: { t: Template; onDone: (r: TemplateDeployment) => void; onCancel: () => void }) {
  const { org, can } = useOrg();
  const slug = org.slug;
  const apps = useLoad(() => get<List<Application>>(orgPath(slug, '/applications?limit=200')), [slug], !can('applications.read'));
  const servers = useLoad(() => get<List<Server>>(orgPath(slug, '/servers?limit=200')), [slug], !can('servers.read'));
  const [target, setTarget] = useState<'existing' | 'new'>(can('applications.read') ? 'existing' : 'new');
  const [appId, setAppId] = useState('');
  const [f, setF] = useState({ name: '', server_id: '', description: '' });
  const [deploy, setDeploy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const missing = deployTemplateNeed(target, deploy, can);
  const submit = async (e: Event) => {
    e.preventDefault();
    if (missing) return;
    setBusy(true); setError(null);
    const body: Record<string, unknown> = target === 'existing' ? { application_id: appId }
      : { application: { name: f.name.trim(), server_id: f.server_id, ...(f.description.trim() ? { description: f.description.trim() } : {}) } };
    if (deploy) body.deploy = true;
    try { props.onDone(await post<TemplateDeployment>(orgPath(slug, `/templates/${props.t.id}/deploy`), body)); } catch (err) { setError(err); } finally { setBusy(false); }
  };
  return (
    <form class="inline-form" onSubmit={submit} noValidate data-testid="deploy-template">
      <h3>Deploy {props.t.name}</h3>
      <fieldset class="choice">
        <legend>Into</legend>
        <label><input type="radio" name="tpl-target" checked={target === 'existing'} onChange={() => setTarget('existing')} /> an existing application</label>
        <label><input type="radio" name="tpl-target" checked={target === 'new'} onChange={() => setTarget('new')} /> a new application</label>
      </fieldset>
      {target === 'existing' ? (
        <Field label="Application" id="tpl-app" error={error} field="application_id"
          hint="Services whose name is taken there get -2, -3, …; references to them follow.">
          {can('applications.read') ? (
            apps.data ? (
              <select id="tpl-app" value={appId} onChange={(e) => setAppId(e.currentTarget.value)}>
                <option value="">Choose an application…</option>
                {apps.data.items.map((a) => <option key={a.id} value={a.id}>{a.name}</option>)}
              </select>
            ) : apps.error ? <ErrorBox error={apps.error} /> : <Loading />
          ) : (
            <input id="tpl-app" class="mono" value={appId} onInput={(e) => setAppId(e.currentTarget.value)} />
          )}
        </Field>
      ) : (
        <div class="grid2">
          <Field label="New application name" id="tpl-new-name" error={error} field="application.name">
            <input id="tpl-new-name" value={f.name} onInput={(e) => setF({ ...f, name: e.currentTarget.value })} />
          </Field>
          <Field label="Server" id="tpl-new-server" error={error} field="application.server_id"
            hint={can('servers.read') ? undefined : 'You cannot list servers (servers.read): paste the server id.'}>
            {can('servers.read') && servers.data ? (
              <select id="tpl-new-server" value={f.server_id} onChange={(e) => setF({ ...f, server_id: e.currentTarget.value })}>
                <option value="">Choose a server…</option>
                {servers.data.items.map((s) => <option key={s.id} value={s.id}>{s.name} ({s.host}) · {s.status}</option>)}
              </select>
            ) : (
              <input id="tpl-new-server" class="mono" value={f.server_id} onInput={(e) => setF({ ...f, server_id: e.currentTarget.value })} />
            )}
          </Field>
        </div>
      )}
      <div class="field check">
        <input id="tpl-deploy" type="checkbox" checked={deploy} onChange={(e) => setDeploy(e.currentTarget.checked)} />
        <label for="tpl-deploy">Deploy the services now (one deployment each, databases first; needs <code>services.update</code>)</label>
      </div>
      <ErrorBox error={error} />
      <div class="row">
        <PermButton type="submit" kind="primary" allowed={!missing} need={missing ?? undefined} busy={busy} testId="deploy-template-submit">
          {busy ? 'Deploying…' : deploy ? 'Create and deploy' : 'Create services'}
        </PermButton>
        <button type="button" class="btn plain" onClick={props.onCancel}>Cancel</button>
      </div>
    </form>
  );
}

function DeployResult(props: { t: Template; r: TemplateDeployment; onClose: () => void }) {
  const { org } = useOrg();
  const { r } = props;
  const renamed = Object.entries(r.renamed ?? {});
  const nameOf = (id: string) => r.services.find((s) => s.id === id)?.name ?? id;
  return (
    <section class="panel" role="status" data-testid="template-result">
      <h2>{props.t.name} deployed into <a href={appRoutes.app(org.slug, r.application.id)}>{r.application.name}</a></h2>
      <p>
        {r.created_application ? 'A new application was created with ' : 'Added '}
        {r.services.length} service{r.services.length === 1 ? '' : 's'}: {r.services.map((s) => s.name).join(', ')}.
      </p>
      {renamed.length > 0 && (
        <p data-testid="template-renamed">Renamed because the names were taken: {renamed.map(([a, b]) => `${a} → ${b}`).join(', ')} (references follow).</p>
      )}
      {r.deployments.length > 0 ? (
        <>
          <p>Deployments queued, in the order the server runs them:</p>
          <ul data-testid="template-deployments">
            {r.deployments.map((d) => (
              <li key={d.id}><a href={appRoutes.deployment(org.slug, d.id)}>{nameOf(d.service_id)}: {d.action} ({d.status})</a></li>
            ))}
          </ul>
        </>
      ) : (
        <p class="muted">Nothing deployed yet: deploy each service from its page.</p>
      )}
      <button type="button" class="btn plain small" onClick={props.onClose}>Close</button>
    </section>
  );
}

