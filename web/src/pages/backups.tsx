// Backups of a database service (docs/backups.md): on-demand backups, internal (on the node) or
// external to a backup storage (the API refuses an unverified one; its message is shown as is),
// the list with status, size and where it is kept, Download (streamed through Wharf, audited),
// Restore (asks first: it replaces the data), Delete, and the schedule (hourly / daily / weekly /
// monthly with a retention count): create, edit, run now, delete. Permissions: backups.read to see,
// backups.create to back up, backups.update to restore and set the schedule, backups.delete to
// delete; backupStorage.read to list the storages.
import { useEffect, useState } from 'preact/hooks';
import { ApiError, del, get, orgPath, post, request, type BackupStorage, type List } from '../api';
import { AccessDenied, ErrorBox, Field, Loading, Notice, PageTitle, PermButton, fmtTime } from '../components';
import {
  FREQUENCIES, backupsBusy, durationOf, fmtBytes, isActive, isoOf, scheduleBody, scheduleDraft, targetBody, whoLabel,
  type Backup, type BackupSchedule, type BackupTarget, type ScheduleDraft,
} from '../deploy';
import { helpForLayer } from '../help';
import { useLoad } from '../hooks';
import { useOrg, useSession } from '../session';
import { ServiceNav, useMemberNames, useServiceInfo } from '../components/service_nav';
import { RunPill } from '../components/status';

// A long key or path that may wrap after each '/', '_' or '.' on a narrow screen.
function Breakable(props: { text: string | null }) {
  const parts = (props.text ?? '').split(/(?<=[/_.])/);
  return <>{parts.map((p, i) => <span key={i}>{i > 0 && <wbr />}{p}</span>)}</>;
}

// The "Where" picker: internal, or one of the org's backup storages with its verified state.
function TargetSelect(props: { id: string; value: BackupTarget; storages: BackupStorage[] | undefined; canList: boolean; onChange: (t: BackupTarget) => void }) {
  const v = props.value.storage === 'internal' ? 'internal' : props.value.backup_storage_id || '';
  const chosen = props.storages?.find((s) => s.id === props.value.backup_storage_id);
  return (
    <>
      <select id={props.id} value={v} onChange={(e) => {
        const x = e.currentTarget.value;
        props.onChange(x === 'internal' ? { storage: 'internal', backup_storage_id: '' } : { storage: 'external', backup_storage_id: x });
      }}>
        <option value="internal">Internal: on the server (lost with the server)</option>
        {props.storages?.map((s) => (
          <option key={s.id} value={s.id}>{s.name} ({s.bucket}) — {s.verified ? 'verified' : 'not verified'}</option>
        ))}
        {v === '' && <option value="">Choose a backup storage…</option>}
      </select>
      {!props.canList && <p class="hint">Listing backup storage needs the <code>backupStorage.read</code> permission: only internal backups can be chosen.</p>}
      {props.canList && props.storages && props.storages.length === 0 && (
        <p class="hint">No backup storage yet: add and verify one under Integrations → Backup storage to keep backups off the server.</p>
      )}
      {chosen && !chosen.verified && (
        <p class="hint" data-testid="unverified-hint">{chosen.name} is not verified: Wharf refuses external backups to it until a Verify passes.</p>
      )}
    </>
  );
}

export function ServiceBackupsPage(props: { app: string; svc: string }) {
  const { org, can } = useOrg();
  const { me } = useSession();
  const read = can('backups.read');
  const B = orgPath(org.slug, `/applications/${props.app}/services/${props.svc}`);
  const info = useServiceInfo(props.app, props.svc);
  const names = useMemberNames();
  const list = useLoad(() => get<{ items: Backup[] }>(`${B}/backups`), [B], !read);
  const storages = useLoad(() => get<List<BackupStorage>>(orgPath(org.slug, '/backup-storage?limit=200')), [org.slug], !read || !can('backupStorage.read'));
  const schedule = useLoad(async () => {
    try { return await get<BackupSchedule>(`${B}/backup-schedule`); } catch (e) {
      if (e instanceof ApiError && e.status === 404 && e.code === 'not_found' && /schedule/i.test(e.message)) return null;
      throw e;
    }
  }, [B], !read);
  const [target, setTarget] = useState<BackupTarget | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [note, setNote] = useState<string | null>(null);
  const [busy, setBusy] = useState('');
  const [watchUntil, setWatchUntil] = useState(0);
  const items = list.data?.items ?? [];
  const polling = backupsBusy(items) || watchUntil > Date.now();
  // While a backup or a restore is queued or running (or a new schedule's first backup is due),
  // look again every second and a half.
  useEffect(() => {
    if (!polling) return;
    const t = setInterval(() => { list.reload(); schedule.reload(); }, 1500);
    return () => clearInterval(t);
  }, [polling]);
  if (!read) return (<><PageTitle>Backups</PageTitle><AccessDenied need="backups.read" what="the backups of this service" /></>);
  const st = storages.data?.items;
  const storageName = (id: string | null) => st?.find((s) => s.id === id)?.name ?? id ?? '';
  const tgt: BackupTarget = target ?? (() => {
    const v = st?.find((s) => s.verified);
    return v ? { storage: 'external', backup_storage_id: v.id } : { storage: 'internal', backup_storage_id: '' };
  })();
  const run = async (what: string, fn: () => Promise<void>) => {
    setBusy(what); setError(null);
    try { await fn(); } catch (e) { setError(e); } finally { setBusy(''); }
  };
  const backUp = () => run('backup', async () => {
    await post(`${B}/backups`, targetBody(tgt));
    setNote('Backup queued.');
    list.reload();
  });
  const restore = (b: Backup) => run(`restore-${b.id}`, async () => {
    if (!confirm(`Restore ${info.svc?.name ?? 'the database'} from the backup of ${fmtTime(isoOf(b.finished_at ?? b.created_at))}? ` +
      'This REPLACES the data the database holds now.')) return;
    await post(`${B}/backups/${b.id}/restore`);
    setNote('Restore queued.');
    list.reload();
  });
  const remove = (b: Backup) => run(`delete-${b.id}`, async () => {
    if (!confirm(`Delete this backup${b.storage === 'external' ? ` from ${storageName(b.backup_storage_id)}` : ' from the server'}? It cannot be restored afterwards.`)) return;
    await del(`${B}/backups/${b.id}`);
    setNote('Backup deleted.');
    list.reload();
  });
  const svcName = info.svc?.name ?? 'this service';
  return (
    <>
      <PageTitle>Backups of {svcName}</PageTitle>
      <ServiceNav appId={props.app} svcId={props.svc} current="backups" svc={info.svc} appName={info.app?.name} />
      <Notice text={note} onDone={() => setNote(null)} />
      <section class="panel" data-testid="backup-now">
        <h2>Back up now</h2>
        <Field label="Where" id="backup-target" hint="External backups go to a verified backup storage and survive losing the server." error={error} field="backup_storage_id">
          <div><TargetSelect id="backup-target" value={tgt} storages={st} canList={can('backupStorage.read')} onChange={setTarget} /></div>
        </Field>
        <ErrorBox error={error} onDismiss={() => setError(null)} />
        <div class="row">
          <PermButton allowed={can('backups.create')} need="backups.create" why kind="primary" busy={busy !== ''} onClick={backUp} testId="backup">
            {busy === 'backup' ? 'Starting…' : 'Back up now'}
          </PermButton>
        </div>
      </section>
      <section class="panel">
        <h2>Backups</h2>
        {list.error ? <ErrorBox error={list.error} /> : !list.data ? <Loading /> : items.length === 0 ? (
          <p class="muted">No backups yet.</p>
        ) : (
          <div class="table-wrap"><table class="stack" data-testid="backups">
            <thead>
              <tr><th>Taken</th><th>Status</th><th>Where</th><th>Size</th><th>Trigger</th><th>Duration</th><th>Actions</th></tr>
            </thead>
            <tbody>
              {items.map((b) => (
                <tr key={b.id} data-backup={b.id} data-status={b.status} data-trigger={b.trigger}>
                  <td data-label="Taken">{fmtTime(isoOf(b.started_at ?? b.created_at))}</td>
                  <td data-label="Status"><div>
                    <RunPill status={b.status} />
                    {b.error && <span class="small" data-testid="backup-error"> {b.error.message}{b.error.layer && <> (layer <code>{b.error.layer}</code>{helpForLayer(b.error.layer) && <>, <a href={helpForLayer(b.error.layer)!}>how to fix</a></>})</>}</span>}
                    {b.restore && (
                      <div class="small" data-testid="restore-state" data-status={b.restore.status}>
                        Restore: <RunPill status={b.restore.status} />
                        {b.restore.error && <span> {b.restore.error.message}</span>}
                      </div>
                    )}
                  </div></td>
                  <td data-label="Where"><div>
                    {b.storage === 'external' ? <>{storageName(b.backup_storage_id)}<div class="mono small muted"><Breakable text={b.object_key} /></div></>
                      : <>on the server<div class="mono small muted"><Breakable text={b.path} /></div></>}
                  </div></td>
                  <td data-label="Size" data-testid="size">{fmtBytes(b.size)}</td>
                  <td data-label="Trigger"><div>{b.trigger}<div class="muted small">by {whoLabel(b.created_by, b.trigger, names, me?.user.id)}</div></div></td>
                  <td data-label="Duration">{b.started_at ? durationOf(b.started_at, b.finished_at) : '—'}</td>
                  <td data-label="Actions" class="actions">
                    {b.status === 'succeeded' && (
                      <a class="btn plain" href={`${B}/backups/${b.id}/download`} download aria-label={`Download backup ${b.id}`} data-testid="download">Download</a>
                    )}{' '}
                    <PermButton allowed={can('backups.update')} need="backups.update" busy={busy !== ''}
                      reason={b.status !== 'succeeded' ? 'Only a succeeded backup can be restored.' : isActive(b.restore?.status) ? 'A restore is running.' : undefined}
                      onClick={() => restore(b)} label={`Restore backup ${b.id}`} testId="restore">Restore</PermButton>{' '}
                    <PermButton allowed={can('backups.delete')} need="backups.delete" kind="danger" busy={busy !== ''}
                      reason={isActive(b.status) || isActive(b.restore?.status) ? 'Wait until it finishes.' : undefined}
                      onClick={() => remove(b)} label={`Delete backup ${b.id}`} testId="delete-backup">Delete</PermButton>
                  </td>
                </tr>
              ))}
            </tbody>
          </table></div>
        )}
      </section>
      {schedule.error ? <ErrorBox error={schedule.error} /> : schedule.data === undefined ? <Loading /> : (
        <ScheduleEditor B={B} schedule={schedule.data} storages={st} storageName={storageName}
          onChanged={(msg) => { setNote(msg); schedule.reload(); list.reload(); setWatchUntil(Date.now() + 8000); }} />
      )}
    </>
  );
}

function ScheduleEditor(props: {
  B: string; schedule: BackupSchedule | null; storages: BackupStorage[] | undefined; storageName: (id: string | null) => string;
  onChanged: (msg: string) => void;
}) {
  const { can } = useOrg();
  const s = props.schedule;
  const [draft, setDraft] = useState<ScheduleDraft | null>(null);
  const [fields, setFields] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState('');
  const upd = can('backups.update');
  const editing = draft !== null;
  const start = () => { setDraft(scheduleDraft(s, props.storages ?? [])); setFields({}); setError(null); };
  const save = async (e: Event) => {
    e.preventDefault();
    if (!draft) return;
    const r = scheduleBody(draft);
    setFields(r.fields ?? {});
    if (!r.body) return;
    setBusy('save'); setError(null);
    try {
      await request('PUT', `${props.B}/backup-schedule`, r.body);
      setDraft(null);
      props.onChanged(s ? 'Schedule saved.' : 'Schedule created: its first backup runs now.');
    } catch (err) { setError(err); } finally { setBusy(''); }
  };
  const act = async (what: string, fn: () => Promise<void>) => {
    setBusy(what); setError(null);
    try { await fn(); } catch (err) { setError(err); } finally { setBusy(''); }
  };
  const remove = () => act('delete', async () => {
    if (!confirm('Stop scheduled backups? The backups already taken stay.')) return;
    await del(`${props.B}/backup-schedule`);
    props.onChanged('Schedule deleted.');
  });
  const runNow = () => act('run', async () => { await post(`${props.B}/backup-schedule/run`); props.onChanged("The schedule's backup is queued."); });
  const err = (f: string) => fields[f] ?? (error instanceof ApiError ? error.fields[f] : undefined);
  return (
    <section class="panel" data-testid="schedule">
      <h2>Schedule</h2>
      {s ? (
        <dl class="kv" data-testid="schedule-summary">
          <dt>Every</dt><dd data-testid="schedule-frequency">{s.frequency}</dd>
          <dt>Keeps</dt><dd data-testid="schedule-retention">{s.retention} scheduled backups (older ones are deleted; manual backups are kept)</dd>
          <dt>Where</dt><dd>{s.storage === 'internal' ? 'on the server' : props.storageName(s.backup_storage_id)}</dd>
          <dt>Next run</dt><dd>{fmtTime(isoOf(s.next_run_at))}</dd>
          <dt>Last run</dt><dd data-testid="schedule-last-run">{fmtTime(isoOf(s.last_run_at))}</dd>
          {s.last_error && (<><dt>Last error</dt><dd class="small" data-testid="schedule-error">{s.last_error.message}{s.last_error.layer && <> (layer <code>{s.last_error.layer}</code>)</>}</dd></>)}
        </dl>
      ) : <p class="muted" data-testid="no-schedule">No schedule: backups are taken only when someone presses Back up now.</p>}
      {!editing && (
        <div class="row">
          <PermButton allowed={upd} need="backups.update" kind={s ? 'plain' : 'primary'} busy={busy !== ''} onClick={start} testId="edit-schedule">
            {s ? 'Edit schedule' : 'Create schedule'}
          </PermButton>
          {s && <PermButton allowed={can('backups.create')} need="backups.create" busy={busy !== ''} onClick={runNow} testId="run-schedule">Run now</PermButton>}
          {s && <PermButton allowed={upd} need="backups.update" kind="danger" busy={busy !== ''} onClick={remove} testId="delete-schedule">Delete schedule</PermButton>}
        </div>
      )}
      {editing && draft && (
        <form class="inline-form" onSubmit={save} noValidate data-testid="schedule-form">
          <div class="grid2">
            <div class="field">
              <label for="sched-frequency">Frequency</label>
              <select id="sched-frequency" value={draft.frequency} onChange={(e) => setDraft({ ...draft, frequency: e.currentTarget.value })}>
                {FREQUENCIES.map((f) => <option key={f} value={f}>{f}{f === 'monthly' ? ' (every 30 days)' : ''}</option>)}
              </select>
              {err('frequency') && <p class="field-error">frequency {err('frequency')}</p>}
            </div>
            <div class="field">
              <label for="sched-retention">Keep (retention)</label>
              <input id="sched-retention" inputMode="numeric" value={draft.retention} aria-invalid={err('retention') ? 'true' : undefined}
                aria-describedby="sched-retention-hint" onInput={(e) => setDraft({ ...draft, retention: e.currentTarget.value })} />
              <p class="hint" id="sched-retention-hint">How many scheduled backups to keep, 1 to 1000.</p>
              {err('retention') && <p class="field-error" data-testid="retention-error">retention {err('retention')}</p>}
            </div>
          </div>
          <div class="field">
            <label for="sched-target">Where</label>
            <TargetSelect id="sched-target" value={draft} storages={props.storages} canList={can('backupStorage.read')}
              onChange={(t) => setDraft({ ...draft, ...t })} />
          </div>
          <ErrorBox error={error} />
          <div class="row">
            <PermButton type="submit" kind="primary" allowed={upd} need="backups.update" busy={busy !== ''} testId="save-schedule">
              {busy === 'save' ? 'Saving…' : 'Save schedule'}
            </PermButton>
            <button type="button" class="btn plain" onClick={() => setDraft(null)}>Cancel</button>
          </div>
        </form>
      )}
      {!editing && <ErrorBox error={error} onDismiss={() => setError(null)} />}
    </section>
  );
}
