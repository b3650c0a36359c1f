// Integrations → AWS accounts: the keys Wharf provisions compute with (EC2 instances, security
// groups). Not backup storage: that has its own S3 keys. Add / edit (access key id, secret access
// key and session token write-only: never read back, an empty field on edit keeps the stored
// one), Test before saving (POST …/cloud-accounts/test), Verify (POST …/{id}/verify {region?}):
// STS GetCallerIdentity, then one check per IAM action Wharf needs (an EC2 DryRun each), every
// missing action listed with its fix; the account id and ARN found; Diagnose (POST …/diagnose
// {cloud_account_id, region?}), delete.
import { useState } from 'preact/hooks';
import { del, get, orgPath, patch, post, type Check, type Diagnosis, type IntegrationState, type List } from '../api';
import { CheckList, DiagnosisView } from '../components/checks';
import { AccessDenied, ErrorBox, Field, Loading, Notice, PermButton } from '../components';
import { useLoad } from '../hooks';
import { ExpiringNotice, IntegrationsShell, VerifiedState } from '../components/integrations';
import { useOrg } from '../session';

const TAB = 'cloud-accounts';
const R = (slug: string, rest = '') => orgPath(slug, `/cloud-accounts${rest}`);

export const SEPARATE_FROM_BACKUPS = 'These keys are used only to provision compute (EC2 instances and security groups). Backup storage has its own S3 keys; neither is ever used for the other.';
// The regions offered in the picker (any region name is accepted).
export const AWS_REGIONS = ['us-east-1', 'us-east-2', 'us-west-1', 'us-west-2', 'ca-central-1', 'eu-west-1', 'eu-west-2', 'eu-west-3',
  'eu-central-1', 'eu-north-1', 'ap-south-1', 'ap-northeast-1', 'ap-northeast-2', 'ap-southeast-1', 'ap-southeast-2', 'sa-east-1'];

export interface CloudAccount extends IntegrationState {
  id: string; name: string; provider: string; access_key_id: string; region: string;
  account_id: string | null; arn: string | null;
  secret_access_key: { set: boolean }; session_token: { set: boolean }; credential_use: string;
  created_at: string; updated_at: string; created_by: string;
}
export interface AwsReport { ok: boolean; checks: Check[]; region?: string; account_id?: string; arn?: string }

export interface CloudDraft { name: string; access_key_id: string; secret_access_key: string; session_token: string; region: string; session_expires_at: string }

export const isTemporary = (keyId: string) => keyId.trim().toUpperCase().startsWith('ASIA');

export function cloudDraftOf(a: CloudAccount | null): CloudDraft {
  return { name: a?.name ?? '', access_key_id: a?.access_key_id ?? '', secret_access_key: '', session_token: '', region: a?.region ?? '',
    session_expires_at: a?.expires_at && a.session_token.set ? a.expires_at : '' };
}

// The POST (and test) body: the typed fields; the session token and its expiry only for a temporary key.
export function cloudBody(f: CloudDraft): Record<string, string> {
  const out: Record<string, string> = { provider: 'aws', name: f.name.trim(), access_key_id: f.access_key_id.trim(), region: f.region.trim() };
  if (f.secret_access_key) out.secret_access_key = f.secret_access_key;
  if (isTemporary(f.access_key_id)) {
    if (f.session_token) out.session_token = f.session_token;
    if (f.session_expires_at.trim()) out.session_expires_at = f.session_expires_at.trim();
  }
  return out;
}

// The PATCH body: only what changed; secrets only when typed. Moving from a temporary to a
// long-term key clears the stored session token ("" clears it).
export function cloudPatch(a: CloudAccount, f: CloudDraft): Record<string, string> {
  const out: Record<string, string> = {};
  if (f.name.trim() !== a.name) out.name = f.name.trim();
  if (f.access_key_id.trim() !== a.access_key_id) out.access_key_id = f.access_key_id.trim();
  if (f.region.trim() !== a.region) out.region = f.region.trim();
  if (f.secret_access_key) out.secret_access_key = f.secret_access_key;
  if (isTemporary(f.access_key_id)) {
    if (f.session_token) out.session_token = f.session_token;
    if (f.session_expires_at.trim() && f.session_expires_at.trim() !== cloudDraftOf(a).session_expires_at) out.session_expires_at = f.session_expires_at.trim();
  } else if (a.session_token.set) out.session_token = '';
  return out;
}

export function CloudAccountsPage() {
  const { org, can } = useOrg();
  const list = useLoad(() => get<List<CloudAccount>>(R(org.slug, '?limit=200')), [org.slug], !can('cloudProviderAccounts.read'));
  const [editing, setEditing] = useState<CloudAccount | 'new' | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  if (!can('cloudProviderAccounts.read'))
    return <IntegrationsShell current={TAB}><AccessDenied need="cloudProviderAccounts.read" what="the AWS accounts" /></IntegrationsShell>;
  const remove = async (a: CloudAccount) => {
    if (!confirm(`Remove the AWS account ${a.name}? Wharf stops using its keys; nothing on AWS is changed.`)) return;
    setError(null);
    try { await del(R(org.slug, `/${a.id}`)); setNote(`AWS account ${a.name} removed.`); list.reload(); } catch (e) { setError(e); }
  };
  const actions = editing ? undefined : (
    <PermButton allowed={can('cloudProviderAccounts.create')} need="cloudProviderAccounts.create" kind="primary" why onClick={() => setEditing('new')} testId="add-cloud-account">
      Add AWS account
    </PermButton>
  );
  return (
    <IntegrationsShell current={TAB} actions={actions}>
      <Notice text={note} onDone={() => setNote(null)} />
      <ErrorBox error={error} onDismiss={() => setError(null)} />
      <ExpiringNotice kind="cloudProviderAccounts" tick={list.data} />
      {editing && (
        <CloudForm acct={editing === 'new' ? null : editing} onCancel={() => setEditing(null)}
          onSaved={(a, created) => { setEditing(null); setNote(`AWS account ${a.name} ${created ? 'added' : 'saved'}.`); list.reload(); }} />
      )}
      <section class="panel">
        <h2>AWS accounts</h2>
        <p class="alert info small" data-testid="separate-note">{SEPARATE_FROM_BACKUPS}</p>
        <p class="muted small">Secret access keys and session tokens are stored encrypted and never shown again.</p>
        {list.error ? <ErrorBox error={list.error} /> : !list.data ? <Loading /> : list.data.items.length === 0 ? (
          <p class="muted">No AWS accounts yet. Add an IAM user's access key with the EC2 permissions listed in the guide.</p>
        ) : (
          <ul class="cards">
            {list.data.items.map((a) => (
              <CloudCard key={a.id} acct={a} onEdit={() => setEditing(a)} onRemove={() => remove(a)} onChanged={list.reload} />
            ))}
          </ul>
        )}
        <datalist id="aws-regions">{AWS_REGIONS.map((r) => <option key={r} value={r} />)}</datalist>
      </section>
    </IntegrationsShell>
  );
}

function CloudCard(props: { acct: CloudAccount; onEdit: () => void; onRemove: () => void; onChanged: () => void }) {
  const { org, can } = useOrg();
  const a = props.acct;
  const [region, setRegion] = useState('');
  const [report, setReport] = useState<AwsReport | null>(null);
  const [diag, setDiag] = useState<Diagnosis | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState<'' | 'verify' | 'diagnose'>('');
  const upd = can('cloudProviderAccounts.update');
  const run = async (what: 'verify' | 'diagnose') => {
    setBusy(what); setError(null); setReport(null); setDiag(null);
    const r = region.trim() ? { region: region.trim() } : {};
    try {
      if (what === 'verify') setReport(await post<AwsReport>(R(org.slug, `/${a.id}/verify`), r));
      else setDiag(await post<Diagnosis>(orgPath(org.slug, '/diagnose'), { cloud_account_id: a.id, ...r }));
      props.onChanged();  // verify (and diagnose, which runs it) records verified / last_error / account id
    } catch (e) { setError(e); } finally { setBusy(''); }
  };
  const regionId = `region-${a.id}`;
  return (
    <li class="key-card" data-cloud-account={a.name}>
      <div class="key-head">
        <strong>{a.name}</strong> <span class="pill">AWS</span> <span class="pill" title="Used to provision compute; not for backups">compute</span>
        {a.secret_access_key.set && <span class="pill ok" title="Stored encrypted; never shown again">secret stored</span>}
        {a.session_token.set && <span class="pill ok" title="Stored encrypted; never shown again">session token stored</span>}
      </div>
      <dl class="kv small">
        <dt>Access key id</dt><dd class="mono">{a.access_key_id}</dd>
        <dt>Region</dt><dd class="mono">{a.region}</dd>
        {a.account_id && (<><dt>Account</dt><dd class="mono" data-testid="account-id">{a.account_id}</dd></>)}
        {a.arn && (<><dt>Identity</dt><dd class="mono">{a.arn}</dd></>)}
      </dl>
      <VerifiedState item={a} />
      <div class="verify-row">
        <Field label={`Region to check (${a.name})`} id={regionId} error={error} field="region" hint={`Optional: ${a.region} by default`}>
          <input id={regionId} class="mono" list="aws-regions" placeholder={a.region} value={region} onInput={(e) => setRegion(e.currentTarget.value)} />
        </Field>
        <div class="row">
          <PermButton allowed={upd} need="cloudProviderAccounts.update" why kind="primary" busy={busy !== ''}
            onClick={() => run('verify')} label={`Verify ${a.name}`} testId="verify">{busy === 'verify' ? 'Verifying…' : 'Verify'}</PermButton>
          <PermButton allowed={upd} need="cloudProviderAccounts.update" busy={busy !== ''}
            onClick={() => run('diagnose')} label={`Diagnose ${a.name}`} testId="diagnose">{busy === 'diagnose' ? 'Diagnosing…' : 'Diagnose'}</PermButton>
          <PermButton allowed={upd} need="cloudProviderAccounts.update" onClick={props.onEdit} label={`Edit ${a.name}`}>Edit</PermButton>
          <PermButton allowed={can('cloudProviderAccounts.delete')} need="cloudProviderAccounts.delete" kind="danger" onClick={props.onRemove} label={`Delete ${a.name}`}>Delete</PermButton>
        </div>
      </div>
      <ErrorBox error={error} onDismiss={() => setError(null)} />
      {report && <AwsReportView report={report} />}
      {diag && <div class="inline-form"><h3>Diagnose</h3><DiagnosisView d={diag} /></div>}
    </li>
  );
}

export function AwsReportView(props: { report: AwsReport; title?: string }) {
  const r = props.report;
  const missing = r.checks.filter((c) => c.status === 'failed' && c.name.startsWith('ec2:')).map((c) => c.name);
  return (
    <div class="inline-form" data-testid="verify-report" data-ok={String(r.ok)} aria-live="polite">
      <h3>{props.title ?? 'Verify'}: {r.ok ? <span class="pill ok">every action allowed</span> : <span class="pill bad">failed</span>}</h3>
      <p class="muted small">
        {r.account_id && <>Account <code>{r.account_id}</code> · </>}{r.arn && <><code>{r.arn}</code> · </>}region <code>{r.region}</code>
      </p>
      {missing.length > 0 && (
        <p class="small" data-testid="missing-actions">
          Missing IAM action{missing.length === 1 ? '' : 's'}: {missing.map((m, i) => <span key={m}>{i > 0 && ', '}<code>{m}</code></span>)}. Add {missing.length === 1 ? 'it' : 'them'} to the key's policy and verify again.
        </p>
      )}
      <CheckList checks={r.checks} testId="verify-checks" />
    </div>
  );
}

function CloudForm(props: { acct: CloudAccount | null; onSaved: (a: CloudAccount, created: boolean) => void; onCancel: () => void }) {
  const { org, can } = useOrg();
  const a = props.acct;
  const [f, setF] = useState<CloudDraft>(() => cloudDraftOf(a));
  const [report, setReport] = useState<AwsReport | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState<'' | 'test' | 'save'>('');
  const need = a ? 'cloudProviderAccounts.update' : 'cloudProviderAccounts.create';
  const regionMoved = !!a && f.region.trim() !== a.region;
  const temp = isTemporary(f.access_key_id);
  const set = (k: keyof CloudDraft) => (e: Event) => setF({ ...f, [k]: (e.currentTarget as HTMLInputElement).value });
  const test = async () => {
    setBusy('test'); setError(null); setReport(null);
    try { setReport(await post<AwsReport>(R(org.slug, '/test'), cloudBody(f))); } catch (e) { setError(e); } finally { setBusy(''); }
  };
  const save = async (e: Event) => {
    e.preventDefault();
    setBusy('save'); setError(null);
    try {
      let saved: CloudAccount;
      if (a) {
        const body = cloudPatch(a, f);
        saved = Object.keys(body).length ? await patch<CloudAccount>(R(org.slug, `/${a.id}`), body) : a;
      } else {
        saved = await post<CloudAccount>(R(org.slug), cloudBody(f));
      }
      setF({ ...f, secret_access_key: '', session_token: '' });
      props.onSaved(saved, !a);
    } catch (err) { setError(err); } finally { setBusy(''); }
  };
  const testReason = !f.access_key_id.trim() ? 'Type the access key id first.'
    : !f.secret_access_key ? (a ? 'Type the secret access key to test these settings (the stored one is never read back), or save and press Verify.' : 'Type the secret access key first.')
    : temp && !f.session_token ? 'A temporary (ASIA…) key needs its session token.'
    : !f.region.trim() ? 'Pick a region first.' : undefined;
  const keep = (what: string) => a ? `Leave empty to keep the stored ${what}. It is never shown.` : undefined;
  return (
    <section class="panel" data-testid="cloud-form">
      <h2>{a ? `Edit ${a.name}` : 'Add an AWS account'}</h2>
      <p class="muted small">{SEPARATE_FROM_BACKUPS}</p>
      <form onSubmit={save} noValidate autoComplete="off">
        <div class="grid2">
          <Field label="Name" id="aws-name" error={error} field="name"><input id="aws-name" value={f.name} onInput={set('name')} /></Field>
          <Field label="Region" id="aws-region" error={error} field="region" hint="The default region, e.g. eu-west-1 (the name, not “Europe (Ireland)”)">
            <input id="aws-region" class="mono" list="aws-form-regions" value={f.region} onInput={set('region')} />
          </Field>
          <Field label="Access key id" id="aws-key-id" error={error} field="access_key_id" hint="AKIA… (an IAM user's key) or ASIA… (temporary credentials)">
            <input id="aws-key-id" class="mono" autoComplete="off" spellcheck={false} value={f.access_key_id} onInput={set('access_key_id')} />
          </Field>
          <Field label={!a ? 'Secret access key' : regionMoved ? 'Secret access key (required: the region changed)' : 'New secret access key (optional)'}
            id="aws-secret" error={error} field="secret_access_key"
            hint={regionMoved ? 'A stored secret only goes where it was given for: type it again to use it in the new region (docs/integrations.md, "Changing an endpoint").'
              : keep('secret') ?? 'The 40-character secret shown once when the key was created. Stored encrypted and never shown again.'}>
            <input id="aws-secret" type="password" autoComplete="new-password" spellcheck={false} value={f.secret_access_key} onInput={set('secret_access_key')} />
          </Field>
          {temp && (<>
            <Field label={a?.session_token.set ? 'New session token (optional)' : 'Session token'} id="aws-session-token" error={error} field="session_token"
              hint={a?.session_token.set ? keep('session token') : 'The SessionToken that came with the ASIA… key. Stored encrypted and never shown again.'}>
              <input id="aws-session-token" type="password" autoComplete="new-password" spellcheck={false} value={f.session_token} onInput={set('session_token')} />
            </Field>
            <Field label="Session expires at (optional)" id="aws-session-exp" error={error} field="session_expires_at" hint="When the temporary credentials end, e.g. 2026-01-31T18:00:00Z: Wharf warns before then">
              <input id="aws-session-exp" class="mono" placeholder="2026-01-31T18:00:00Z" value={f.session_expires_at} onInput={set('session_expires_at')} />
            </Field>
          </>)}
        </div>
        <datalist id="aws-form-regions">{AWS_REGIONS.map((r) => <option key={r} value={r} />)}</datalist>
        <fieldset class="field test-box">
          <legend>Test before saving</legend>
          <p class="hint">Wharf asks STS who the key is and runs an EC2 DryRun of every action it needs, in the region above; nothing is saved and nothing changes on AWS.</p>
          <PermButton allowed={can('cloudProviderAccounts.create')} need="cloudProviderAccounts.create" busy={busy !== ''} reason={testReason} onClick={test} testId="test-cloud-account">
            {busy === 'test' ? 'Testing…' : 'Test connection'}
          </PermButton>
        </fieldset>
        {report && <AwsReportView report={report} title="Test connection" />}
        <ErrorBox error={error} />
        <div class="row">
          <PermButton type="submit" kind="primary" allowed={can(need)} need={need} busy={busy !== ''} testId="save-cloud-account">
            {busy === 'save' ? 'Saving…' : a ? 'Save AWS account' : 'Add AWS account'}
          </PermButton>
          <button type="button" class="btn plain" onClick={props.onCancel}>Cancel</button>
        </div>
      </form>
    </section>
  );
}
