// Integrations → Backup storage: S3-compatible buckets for external backups. Add (the secret is
// write-only), verify (write, read, list and delete a probe object, each step shown with its layer
// and fix), remove. Says plainly that these keys are not the AWS compute account's.
import { useState } from 'preact/hooks';
import { del, get, orgPath, post, type BackupStorage, type Check, type List } from '../api';
import { CheckList } from '../components/checks';
import { AccessDenied, ErrorBox, Field, Loading, Notice, PageTitle, PermButton, fmtTime } from '../components';
import { useLoad } from '../hooks';
import { useOrg } from '../session';

const SEPARATE = 'Backup storage keys are used only for backups. They are separate from the AWS keys of cloud accounts used for compute, and neither is ever used for the other.';

export function BackupStoragePage() {
  const { org, can } = useOrg();
  const rows = useLoad(() => get<List<BackupStorage>>(orgPath(org.slug, '/backup-storage?limit=200')), [org.slug], !can('backupStorage.read'));
  const [error, setError] = useState<unknown>(null);
  const [note, setNote] = useState<string | null>(null);
  const [reports, setReports] = useState<Record<string, { ok: boolean; checks: Check[] }>>({});
  const [busy, setBusy] = useState<string | null>(null);
  if (!can('backupStorage.read')) return (<><PageTitle>Backup storage</PageTitle><AccessDenied need="backupStorage.read" what="the backup storage" /></>);
  const verify = async (b: BackupStorage) => {
    setError(null);
    setBusy(b.id);
    try {
      const r = await post<{ ok: boolean; checks: Check[] }>(orgPath(org.slug, `/backup-storage/${b.id}/verify`), {});
      setReports({ ...reports, [b.id]: r });
      setNote(r.ok ? `${b.name} verified: write, read, list and delete all work.` : `${b.name} failed verification.`);
      rows.reload();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(null);
    }
  };
  const remove = async (b: BackupStorage) => {
    if (!confirm(`Remove the backup storage ${b.name}? The bucket and its objects are not touched.`)) return;
    setError(null);
    try {
      await del(orgPath(org.slug, `/backup-storage/${b.id}`));
      setNote(`Backup storage ${b.name} removed.`);
      rows.reload();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <>
      <PageTitle>Backup storage</PageTitle>
      <p class="alert info" data-testid="separate-note">{SEPARATE}</p>
      <Notice text={note} onDone={() => setNote(null)} />
      <ErrorBox error={error} onDismiss={() => setError(null)} />
      <AddStorageForm onAdded={(b) => { setNote(`Backup storage ${b.name} added. Verify it before using it for backups.`); rows.reload(); }} />
      <section class="panel">
        <h2>Buckets</h2>
        {rows.error ? <ErrorBox error={rows.error} /> : !rows.data ? <Loading /> : rows.data.items.length === 0 ? (
          <p class="muted">No backup storage yet. External backups of databases need a verified one.</p>
        ) : (
          <ul class="cards">
            {rows.data.items.map((b) => (
              <li class="key-card" key={b.id} data-storage={b.name}>
                <div class="key-head">
                  <strong>{b.name}</strong>{' '}
                  <span class={`pill ${b.verified ? 'ok' : 'bad'}`} data-testid="verified">{b.verified ? 'verified' : 'not verified'}</span>
                </div>
                <p class="mono small">s3://{b.bucket}/{b.prefix} at {b.endpoint || `AWS S3 (${b.region})`}</p>
                <p class="muted small">Key <code>{b.access_key_id}</code>, secret {b.secret_access_key.set ? 'stored encrypted' : 'missing'} · region {b.region} · {b.path_style ? 'path-style' : 'virtual-host'} addressing · last verified {fmtTime(b.last_verified_at)}</p>
                {!reports[b.id] && b.last_error && (
                  <p class="alert error small" data-testid="last-error">Last verify failed at <strong>{b.last_error.check}</strong> (layer <code>{b.last_error.layer}</code>): {b.last_error.message} <br /><strong>Fix:</strong> {b.last_error.fix}</p>
                )}
                {reports[b.id] && <CheckList checks={reports[b.id].checks} testId="verify-checks" />}
                <div class="row">
                  <PermButton allowed={can('backupStorage.update')} need="backupStorage.update" busy={busy === b.id} onClick={() => verify(b)} label={`Verify ${b.name}`}>Verify</PermButton>
                  <PermButton allowed={can('backupStorage.delete')} need="backupStorage.delete" kind="danger" onClick={() => remove(b)} label={`Remove ${b.name}`}>Remove</PermButton>
                </div>
              </li>
            ))}
          </ul>
        )}
      </section>
    </>
  );
}

function AddStorageForm(props: { onAdded: (b: BackupStorage) => void }) {
  const { org, can } = useOrg();
  const [f, setF] = useState({ name: '', endpoint: '', region: '', bucket: '', prefix: '', access_key_id: '', secret_access_key: '' });
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const set = (k: keyof typeof f) => (e: Event) => setF({ ...f, [k]: (e.currentTarget as HTMLInputElement).value });
  const submit = async (e: Event) => {
    e.preventDefault();
    if (!can('backupStorage.create')) return;
    setBusy(true);
    setError(null);
    try {
      const b = await post<BackupStorage>(orgPath(org.slug, '/backup-storage'), f);
      setF({ name: '', endpoint: '', region: '', bucket: '', prefix: '', access_key_id: '', secret_access_key: '' });
      props.onAdded(b);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="panel">
      <h2>Add backup storage</h2>
      <form onSubmit={submit} noValidate>
        <div class="grid2">
          <Field label="Name" id="bs-name" error={error} field="name">
            <input id="bs-name" value={f.name} onInput={set('name')} />
          </Field>
          <Field label="Endpoint" id="bs-endpoint" error={error} field="endpoint" hint="Blank for AWS S3. Otherwise the S3 API URL: R2, B2, MinIO…">
            <input id="bs-endpoint" placeholder="https://<account>.r2.cloudflarestorage.com" value={f.endpoint} onInput={set('endpoint')} />
          </Field>
          <Field label="Region" id="bs-region" error={error} field="region" hint="The bucket's region (R2: auto).">
            <input id="bs-region" value={f.region} onInput={set('region')} />
          </Field>
          <Field label="Bucket" id="bs-bucket" error={error} field="bucket">
            <input id="bs-bucket" value={f.bucket} onInput={set('bucket')} />
          </Field>
          <Field label="Prefix (optional)" id="bs-prefix" error={error} field="prefix" hint="A folder in the bucket for Wharf's objects.">
            <input id="bs-prefix" value={f.prefix} onInput={set('prefix')} />
          </Field>
          <Field label="Access key id" id="bs-key" error={error} field="access_key_id">
            <input id="bs-key" autoComplete="off" value={f.access_key_id} onInput={set('access_key_id')} />
          </Field>
          <Field label="Secret access key" id="bs-secret" error={error} field="secret_access_key" hint="Stored encrypted and never shown again.">
            <input id="bs-secret" type="password" autoComplete="new-password" value={f.secret_access_key} onInput={set('secret_access_key')} />
          </Field>
        </div>
        <p class="hint">The key needs read, write, list and delete on the prefix (s3:PutObject, s3:GetObject, s3:ListBucket, s3:DeleteObject).</p>
        <ErrorBox error={error} />
        <PermButton type="submit" kind="primary" allowed={can('backupStorage.create')} need="backupStorage.create" busy={busy} testId="add-storage">
          Add backup storage
        </PermButton>
      </form>
    </section>
  );
}
