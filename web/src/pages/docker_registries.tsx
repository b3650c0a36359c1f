// Integrations → Docker registries: the credentials Wharf pulls images with. List with the
// verified state (last error with layer and fix), add / edit (the token is write-only: never
// read back, an empty field on edit keeps the stored one), Test before saving
// (POST …/docker-registries/test), Verify against an image (POST …/{id}/verify), Diagnose
// (POST …/diagnose {docker_registry_id, image}: the checklist, failing item first), delete.
import { useState } from 'preact/hooks';
import { del, get, orgPath, patch, post, type Diagnosis, type DockerRegistry, type List, type VerifyReport } from '../api';
import { CheckList, DiagnosisView } from '../components/checks';
import { AccessDenied, ErrorBox, Field, Loading, Notice, PermButton } from '../components';
import { useLoad } from '../hooks';
import { IntegrationsShell, VerifiedState } from '../components/integrations';
import { useOrg } from '../session';

const TAB = 'docker-registries';
const R = (slug: string, rest = '') => orgPath(slug, `/docker-registries${rest}`);

// A sample image reference on this registry, for placeholders ("ghcr.io/acme/app:latest").
export function sampleImage(host: string, namespace?: string | null): string {
  const h = host.trim() || 'ghcr.io';
  return `${h}/${namespace?.trim() || 'owner'}/app:latest`;
}

// The PATCH body: only what changed; the token only when one was typed.
export function registryPatch(r: DockerRegistry, f: RegistryDraft): Record<string, string> {
  const out: Record<string, string> = {};
  if (f.name.trim() !== r.name) out.name = f.name.trim();
  if (f.host.trim() !== r.host) out.host = f.host.trim();
  if (f.username.trim() !== r.username) out.username = f.username.trim();
  if (f.namespace.trim() !== (r.namespace ?? '')) out.namespace = f.namespace.trim();
  if (f.password) out.password = f.password;
  return out;
}

export interface RegistryDraft { name: string; host: string; username: string; password: string; namespace: string }

export function DockerRegistriesPage() {
  const { org, can } = useOrg();
  const list = useLoad(() => get<List<DockerRegistry>>(R(org.slug, '?limit=200')), [org.slug], !can('dockerRegistries.read'));
  const [editing, setEditing] = useState<DockerRegistry | 'new' | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  if (!can('dockerRegistries.read'))
    return <IntegrationsShell current={TAB}><AccessDenied need="dockerRegistries.read" what="the Docker registries" /></IntegrationsShell>;
  const remove = async (r: DockerRegistry) => {
    if (!confirm(`Remove the registry credential ${r.name}? Apps that pull with it will fail to deploy.`)) return;
    setError(null);
    try { await del(R(org.slug, `/${r.id}`)); setNote(`Registry ${r.name} removed.`); list.reload(); } catch (e) { setError(e); }
  };
  const actions = editing ? undefined : (
    <PermButton allowed={can('dockerRegistries.create')} need="dockerRegistries.create" kind="primary" why onClick={() => setEditing('new')} testId="add-registry">
      Add registry
    </PermButton>
  );
  return (
    <IntegrationsShell current={TAB} actions={actions}>
      <Notice text={note} onDone={() => setNote(null)} />
      <ErrorBox error={error} onDismiss={() => setError(null)} />
      {editing && (
        <RegistryForm reg={editing === 'new' ? null : editing} onCancel={() => setEditing(null)}
          onSaved={(r, created) => { setEditing(null); setNote(`Registry ${r.name} ${created ? 'added' : 'saved'}.`); list.reload(); }} />
      )}
      <section class="panel">
        <h2>Docker registries</h2>
        <p class="muted small">Wharf signs in to these registries to pull private images. Tokens are stored encrypted and never shown again.</p>
        {list.error ? <ErrorBox error={list.error} /> : !list.data ? <Loading /> : list.data.items.length === 0 ? (
          <p class="muted">No registries yet. Add one with a username and an access token that can pull.</p>
        ) : (
          <ul class="cards">
            {list.data.items.map((r) => (
              <RegistryCard key={r.id} reg={r} onEdit={() => setEditing(r)} onRemove={() => remove(r)} onChanged={list.reload} />
            ))}
          </ul>
        )}
      </section>
    </IntegrationsShell>
  );
}

function RegistryCard(props: { reg: DockerRegistry; onEdit: () => void; onRemove: () => void; onChanged: () => void }) {
  const { org, can } = useOrg();
  const r = props.reg;
  const [image, setImage] = useState('');
  const [report, setReport] = useState<VerifyReport | null>(null);
  const [diag, setDiag] = useState<Diagnosis | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState<'' | 'verify' | 'diagnose'>('');
  const upd = can('dockerRegistries.update');
  const run = async (what: 'verify' | 'diagnose') => {
    setBusy(what); setError(null); setReport(null); setDiag(null);
    try {
      if (what === 'verify') setReport(await post<VerifyReport>(R(org.slug, `/${r.id}/verify`), { image: image.trim() }));
      else setDiag(await post<Diagnosis>(orgPath(org.slug, '/diagnose'), { docker_registry_id: r.id, image: image.trim() }));
      props.onChanged();  // verify (and diagnose, which runs it) records verified / last_error on the row
    } catch (e) { setError(e); } finally { setBusy(''); }
  };
  const noImage = image.trim() ? undefined : 'Type an image to check pull access to first.';
  const imgId = `img-${r.id}`;
  return (
    <li class="key-card" data-registry={r.name}>
      <div class="key-head">
        <strong>{r.name}</strong> <span class="pill">{r.host}</span>
        {r.password.set && <span class="pill ok" title="Stored encrypted; never shown again">token stored</span>}
      </div>
      <dl class="kv small">
        <dt>Username</dt><dd class="mono">{r.username}</dd>
        {r.namespace && (<><dt>Namespace</dt><dd class="mono">{r.namespace}</dd></>)}
      </dl>
      <VerifiedState item={r} />
      <div class="verify-row">
        <Field label={`Image to check (${r.name})`} id={imgId} error={error} field="image">
          <input id={imgId} class="mono" placeholder={sampleImage(r.host ?? '', r.namespace)} value={image} onInput={(e) => setImage(e.currentTarget.value)} />
        </Field>
        <div class="row">
          <PermButton allowed={upd} need="dockerRegistries.update" why kind="primary" busy={busy !== ''} reason={upd ? noImage : undefined}
            onClick={() => run('verify')} label={`Verify ${r.name}`} testId="verify">{busy === 'verify' ? 'Verifying…' : 'Verify'}</PermButton>
          <PermButton allowed={upd} need="dockerRegistries.update" busy={busy !== ''} reason={upd ? noImage : undefined}
            onClick={() => run('diagnose')} label={`Diagnose ${r.name}`} testId="diagnose">{busy === 'diagnose' ? 'Diagnosing…' : 'Diagnose'}</PermButton>
          <PermButton allowed={upd} need="dockerRegistries.update" onClick={props.onEdit} label={`Edit ${r.name}`}>Edit</PermButton>
          <PermButton allowed={can('dockerRegistries.delete')} need="dockerRegistries.delete" kind="danger" onClick={props.onRemove} label={`Delete ${r.name}`}>Delete</PermButton>
        </div>
      </div>
      <ErrorBox error={error} onDismiss={() => setError(null)} />
      {report && <ReportView report={report} />}
      {diag && <div class="inline-form"><h3>Diagnose</h3><DiagnosisView d={diag} /></div>}
    </li>
  );
}

export function ReportView(props: { report: VerifyReport; title?: string }) {
  const r = props.report;
  return (
    <div class="inline-form" data-testid="verify-report" data-ok={String(r.ok)} aria-live="polite">
      <h3>{props.title ?? 'Verify'}: {r.ok ? <span class="pill ok">pull access works</span> : <span class="pill bad">failed</span>}</h3>
      {r.image && <p class="muted small">Image <code>{r.image}</code>{r.auth && <> · auth <code>{r.auth}</code></>}</p>}
      <CheckList checks={r.checks} testId="verify-checks" />
      {r.digest && <p class="muted small" data-testid="digest">Digest <code>{r.digest}</code></p>}
    </div>
  );
}

function RegistryForm(props: { reg: DockerRegistry | null; onSaved: (r: DockerRegistry, created: boolean) => void; onCancel: () => void }) {
  const { org, can } = useOrg();
  const g = props.reg;
  const [f, setF] = useState<RegistryDraft>({ name: g?.name ?? '', host: g?.host ?? '', username: g?.username ?? '', password: '', namespace: g?.namespace ?? '' });
  const [image, setImage] = useState('');
  const [report, setReport] = useState<VerifyReport | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState<'' | 'test' | 'save'>('');
  const need = g ? 'dockerRegistries.update' : 'dockerRegistries.create';
  const set = (k: keyof RegistryDraft) => (e: Event) => setF({ ...f, [k]: (e.currentTarget as HTMLInputElement).value });
  const test = async () => {
    setBusy('test'); setError(null); setReport(null);
    try {
      const body: Record<string, string> = { host: f.host.trim(), username: f.username.trim(), password: f.password, image: image.trim() };
      if (f.namespace.trim()) body.namespace = f.namespace.trim();
      setReport(await post<VerifyReport>(R(org.slug, '/test'), body));
    } catch (e) { setError(e); } finally { setBusy(''); }
  };
  const save = async (e: Event) => {
    e.preventDefault();
    setBusy('save'); setError(null);
    try {
      let saved: DockerRegistry;
      if (g) {
        const body = registryPatch(g, f);
        saved = Object.keys(body).length ? await patch<DockerRegistry>(R(org.slug, `/${g.id}`), body) : g;
      } else {
        const body: Record<string, string> = { name: f.name.trim(), host: f.host.trim(), username: f.username.trim(), password: f.password };
        if (f.namespace.trim()) body.namespace = f.namespace.trim();
        saved = await post<DockerRegistry>(R(org.slug), body);
      }
      setF({ ...f, password: '' });
      props.onSaved(saved, !g);
    } catch (err) { setError(err); } finally { setBusy(''); }
  };
  const testReason = !f.password ? (g ? 'Type the token to test these settings (the stored one is never read back), or save and press Verify.' : 'Type the token first.')
    : !image.trim() ? 'Type an image to check pull access to first.' : undefined;
  return (
    <section class="panel" data-testid="registry-form">
      <h2>{g ? `Edit ${g.name}` : 'Add a Docker registry'}</h2>
      <form onSubmit={save} noValidate autoComplete="off">
        <div class="grid2">
          <Field label="Name" id="reg-name" error={error} field="name"><input id="reg-name" value={f.name} onInput={set('name')} /></Field>
          <Field label="Registry host" id="reg-host" error={error} field="host" hint="docker.io, ghcr.io, quay.io, registry.digitalocean.com or host[:port]; no https://">
            <input id="reg-host" class="mono" list="reg-hosts" value={f.host} onInput={set('host')} />
          </Field>
          <Field label="Username" id="reg-user" error={error} field="username" hint="The account, robot account or token name">
            <input id="reg-user" autoComplete="off" value={f.username} onInput={set('username')} />
          </Field>
          <Field label={g ? 'New token (optional)' : 'Token or password'} id="reg-token" error={error} field="password"
            hint={g ? 'Leave empty to keep the stored token. It is never shown.' : 'An access token that can pull (read). Stored encrypted and never shown again.'}>
            <input id="reg-token" type="password" autoComplete="new-password" spellcheck={false} value={f.password} onInput={set('password')} />
          </Field>
          <Field label="Namespace (optional)" id="reg-ns" error={error} field="namespace" hint="The repository prefix the credential covers, e.g. acme or acme/team">
            <input id="reg-ns" class="mono" value={f.namespace} onInput={set('namespace')} />
          </Field>
        </div>
        <datalist id="reg-hosts">{['docker.io', 'ghcr.io', 'quay.io', 'registry.digitalocean.com'].map((h) => <option key={h} value={h} />)}</datalist>
        <fieldset class="field test-box">
          <legend>Test before saving</legend>
          <Field label="Image to test" id="reg-image" error={error} field="image" hint="Wharf checks it can pull this image with these settings; nothing is saved.">
            <input id="reg-image" class="mono" placeholder={sampleImage(f.host, f.namespace)} value={image} onInput={(e) => setImage(e.currentTarget.value)} />
          </Field>
          <PermButton allowed={can('dockerRegistries.create')} need="dockerRegistries.create" busy={busy !== ''} reason={testReason} onClick={test} testId="test-registry">
            {busy === 'test' ? 'Testing…' : 'Test connection'}
          </PermButton>
        </fieldset>
        {report && <ReportView report={report} title="Test connection" />}
        <ErrorBox error={error} />
        <div class="row">
          <PermButton type="submit" kind="primary" allowed={can(need)} need={need} busy={busy !== ''} testId="save-registry">
            {busy === 'save' ? 'Saving…' : g ? 'Save registry' : 'Add registry'}
          </PermButton>
          <button type="button" class="btn plain" onClick={props.onCancel}>Cancel</button>
        </div>
      </form>
    </section>
  );
}
