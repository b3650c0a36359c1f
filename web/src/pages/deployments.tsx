// Deployments of a service: the list (status, action, trigger, who, started / finished, duration)
// with Deploy / Redeploy / Restart / Stop / Destroy, and one deployment's page with its live log
// (GET …/deployments/{id}/log, Server-Sent Events, the same reader as server onboarding), a
// "Follow" toggle, a status badge that changes when it ends, Cancel while it is queued or running,
// and the failure's layer and fix. Reading needs services.read; starting or cancelling
// services.update (docs/applications.md, "Deployments").
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, followJobLog, get, orgPath, post, type List } from '../api';
import { AccessDenied, ErrorBox, Loading, Notice, PageTitle, PermButton, fmtTime } from '../components';
import {
  OTHER_ACTIONS, atBottom, durationOf, errorWithoutFix, isActive, mayHaveMore, pageQuery, whoLabel,
  type Deployment, type DeploymentEnd,
} from '../deploy';
import { helpForLayer } from '../help';
import { useLoad } from '../hooks';
import { navigate } from '../router';
import { useOrg, useSession } from '../session';
import { ServiceNav, serviceUrl, useMemberNames, useServiceInfo } from '../components/service_nav';
import { RunPill } from '../components/status';

const PAGE = 20;

export function ServiceDeploymentsPage(props: { app: string; svc: string }) {
  const { org, can } = useOrg();
  const { me } = useSession();
  const read = can('services.read');
  const info = useServiceInfo(props.app, props.svc);
  const names = useMemberNames();
  const [limit, setLimit] = useState(PAGE);
  const [older, setOlder] = useState<Deployment[]>([]);  // pages fetched with next_cursor
  const [cursor, setCursor] = useState<string | null>(null);
  const base = orgPath(org.slug, `/applications/${props.app}/services/${props.svc}/deployments`);
  const list = useLoad(() => get<List<Deployment>>(base + pageQuery(limit)), [base, limit], !read);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState('');
  const items = [...(list.data?.items ?? []), ...older.filter((o) => !list.data?.items.some((x) => x.id === o.id))];
  const active = items.some((d) => isActive(d.status));
  // While a deployment is queued or running, refresh the list so its row moves on by itself.
  useEffect(() => {
    if (!active) return;
    const t = setInterval(list.reload, 2000);
    return () => clearInterval(t);
  }, [active]);
  useEffect(() => { setCursor(list.data?.next_cursor ?? null); }, [list.data]);
  if (!read) return (<><PageTitle>Deployments</PageTitle><AccessDenied need="services.read" what="the deployments of this service" /></>);
  const svcName = info.svc?.name ?? 'this service';
  const start = async (action: string) => {
    const a = OTHER_ACTIONS.find((x) => x.action === action);
    if (a?.confirm && !confirm(a.confirm(svcName))) return;
    setBusy(action); setError(null);
    try {
      const d = await post<Deployment>(base, { action });
      navigate(`/o/${org.slug}/deployments/${d.id}`);
    } catch (e) { setError(e); } finally { setBusy(''); }
  };
  const more = async () => {
    if (!cursor) { setLimit(Math.min(200, limit + PAGE)); return; }
    try {
      const page = await get<List<Deployment>>(base + pageQuery(PAGE, cursor));
      setOlder([...older, ...page.items]);
      setCursor(page.next_cursor);
    } catch (e) { setError(e); }
  };
  const upd = can('services.update');
  return (
    <>
      <PageTitle actions={
        <PermButton allowed={upd} need="services.update" why kind="primary" busy={busy !== ''} onClick={() => start('deploy')} testId="deploy">
          {busy === 'deploy' ? 'Deploying…' : 'Deploy'}
        </PermButton>
      }>Deployments of {svcName}</PageTitle>
      <ServiceNav appId={props.app} svcId={props.svc} current="deployments" svc={info.svc} appName={info.app?.name} />
      <ErrorBox error={error} onDismiss={() => setError(null)} />
      <section class="panel">
        <div class="row wrap" data-testid="service-actions">
          {OTHER_ACTIONS.map((a) => (
            <PermButton key={a.action} allowed={upd} need="services.update" kind={a.danger ? 'danger' : 'plain'} busy={busy !== ''}
              onClick={() => start(a.action)} testId={`action-${a.action}`}>{busy === a.action ? `${a.label}…` : a.label}</PermButton>
          ))}
        </div>
        <p class="muted small">
          Deploy applies what Wharf holds for the service (settings, variables, domains) on the application's server; Redeploy
          runs the same steps again. Deployments of one server run one at a time.
        </p>
      </section>
      <section class="panel">
        <h2>History</h2>
        {list.error ? <ErrorBox error={list.error} /> : !list.data ? <Loading /> : items.length === 0 ? (
          <p class="muted">No deployments yet. Press Deploy to bring the service up on its server.</p>
        ) : (
          <div class="table-wrap"><table class="stack" data-testid="deployments">
            <thead>
              <tr><th>Status</th><th>Action</th><th>Trigger</th><th>Who</th><th>Started</th><th>Finished</th><th>Duration</th></tr>
            </thead>
            <tbody>
              {items.map((d) => (
                <tr key={d.id} data-deployment={d.id} data-status={d.status}>
                  <td data-label="Status"><a href={`/o/${org.slug}/deployments/${d.id}`} aria-label={`Deployment ${d.id}: ${d.status}`}><RunPill status={d.status} /></a></td>
                  <td data-label="Action"><span><a href={`/o/${org.slug}/deployments/${d.id}`}>{d.action}</a>{d.ref && <span class="muted small mono"> {d.ref}</span>}</span></td>
                  <td data-label="Trigger"><span>{d.trigger}{d.commit_sha && <span class="muted small mono"> {d.commit_sha.slice(0, 8)}</span>}</span></td>
                  <td data-label="Who">{whoLabel(d.created_by, d.trigger, names, me?.user.id)}</td>
                  <td data-label="Started">{fmtTime(d.started_at)}</td>
                  <td data-label="Finished">{fmtTime(d.finished_at)}</td>
                  <td data-label="Duration">{durationOf(d.started_at, d.finished_at)}</td>
                </tr>
              ))}
            </tbody>
          </table></div>
        )}
        {list.data && mayHaveMore(items.length, limit, cursor) && (
          <div class="row"><button type="button" class="btn plain" onClick={more} data-testid="more">Show older deployments</button></div>
        )}
      </section>
    </>
  );
}

// One deployment: metadata, the live log, Cancel, and the failure's layer and fix.
export function DeploymentPage(props: { id: string }) {
  const { org, can } = useOrg();
  const { me } = useSession();
  const read = can('services.read');
  const P = orgPath(org.slug, `/deployments/${props.id}`);
  const meta = useLoad(() => get<Deployment>(P), [P], !read);
  const d = meta.data;
  const info = useServiceInfo(d?.application_id ?? '', d?.service_id ?? '');
  const names = useMemberNames();
  const [log, setLog] = useState('');
  const [end, setEnd] = useState<DeploymentEnd | null>(null);
  const [streamErr, setStreamErr] = useState<unknown>(null);
  const [follow, setFollow] = useState(true);
  const [attempt, setAttempt] = useState(0);
  const [error, setError] = useState<unknown>(null);
  const [note, setNote] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const logRef = useRef<HTMLPreElement>(null);
  const sawLog = useRef(false);

  // Follow the log from its start (the stream sends the whole log, then new lines as they come).
  useEffect(() => {
    if (!read) return;
    const ac = new AbortController();
    setLog(''); setStreamErr(null); sawLog.current = false;
    followJobLog(`${P}/log`, (t) => {
      setLog((l) => l + t);
      if (!sawLog.current) { sawLog.current = true; meta.reload(); }  // it started: refresh started_at / status
    }, ac.signal).then(
      (e) => { setEnd(e as DeploymentEnd); meta.reload(); },
      (e) => { if (!ac.signal.aborted) setStreamErr(e); },
    );
    return () => ac.abort();
  }, [P, attempt, read]);
  // Keep the newest line in view while following.
  useEffect(() => { const el = logRef.current; if (el && follow) el.scrollTop = el.scrollHeight; }, [log, follow]);
  // A queued deployment writes no log until it runs: look again now and then.
  const status = end?.status ?? d?.status ?? '';
  useEffect(() => {
    if (status !== 'queued') return;
    const t = setInterval(meta.reload, 2000);
    return () => clearInterval(t);
  }, [status]);

  if (!read) return (<><PageTitle>Deployment</PageTitle><AccessDenied need="services.read" what="this deployment" /></>);
  if (meta.error && !d) return (<><PageTitle>Deployment</PageTitle><ErrorBox error={meta.error} /></>);
  if (!d) return <Loading />;
  // The stream's end wins over an older read; a read that already shows the end wins over "running".
  const shown = end?.status ?? (isActive(d.status) && sawLog.current && d.status === 'queued' ? 'running' : d.status);
  const failure = shown === 'failed' || shown === 'failed_after_start' ? { error: end?.error ?? d.error, layer: end?.layer ?? d.error_layer, fix: end?.fix ?? d.error_fix } : null;
  const cancel = async () => {
    if (!confirm('Cancel this deployment? A running one stops before its next step; what already ran stays on the server.')) return;
    setBusy(true); setError(null);
    try {
      const r = await post<Deployment>(`${P}/cancel`);
      setNote(r.status === 'cancelled' ? 'Deployment cancelled.' : 'Cancel requested: it stops before its next step.');
      meta.reload();
    } catch (e) {
      // 409: it finished meanwhile; the stream brings its end.
      if (!(e instanceof ApiError && e.status === 409)) setError(e);
    } finally { setBusy(false); }
  };
  const onScroll = () => {
    const el = logRef.current;
    if (el) setFollow(atBottom(el.scrollTop, el.scrollHeight, el.clientHeight));
  };
  const svcName = info.svc?.name ?? d.service_id;
  return (
    <>
      <PageTitle actions={isActive(shown) ? (
        <PermButton allowed={can('services.update')} need="services.update" why kind="danger" busy={busy} onClick={cancel} testId="cancel">
          {busy ? 'Cancelling…' : 'Cancel deployment'}
        </PermButton>
      ) : undefined}>
        {d.action === 'deploy' ? 'Deployment' : d.action[0].toUpperCase() + d.action.slice(1)} of {svcName} <RunPill status={shown} testId="deployment-status" />
      </PageTitle>
      <Notice text={note} onDone={() => setNote(null)} />
      <ErrorBox error={error} onDismiss={() => setError(null)} />
      {failure && (
        <section class="alert error" role="alert" data-testid="failure" data-layer={failure.layer ?? ''}>
          <p><strong>{shown === 'failed_after_start' ? 'The app did not stay up after it started.' : 'The deployment failed.'}</strong></p>
          {failure.error && <pre class="log" data-testid="failure-error">{errorWithoutFix(failure.error, failure.fix)}</pre>}
          <p>
            Layer: <code data-testid="failure-layer">{failure.layer || 'none (the node refused)'}</code>
            {helpForLayer(failure.layer) && <> · <a href={helpForLayer(failure.layer)!} data-testid="failure-help">How to fix this layer</a></>}
            {' · '}<a href="/help/troubleshooting/deployments">Deployment troubleshooting</a>
          </p>
          {failure.fix && <p class="fix" data-testid="failure-fix"><strong>Fix:</strong> {failure.fix}</p>}
        </section>
      )}
      <section class="panel">
        <dl class="kv">
          <dt>Service</dt>
          <dd><a href={serviceUrl(org.slug, d.application_id, d.service_id, 'deployments')} data-testid="service-link">{svcName}</a>
            {info.app && <span class="muted small"> in {info.app.name}</span>}</dd>
          <dt>Action</dt><dd>{d.action}{d.ref && <span class="mono small"> {d.ref}</span>}</dd>
          <dt>Trigger</dt><dd>{d.trigger}{d.commit_sha && <span class="mono small"> {d.commit_sha}</span>}</dd>
          <dt>Started by</dt><dd data-testid="who">{whoLabel(d.created_by, d.trigger, names, me?.user.id)}</dd>
          <dt>Queued</dt><dd>{fmtTime(d.created_at)}</dd>
          <dt>Started</dt><dd>{fmtTime(d.started_at)}</dd>
          <dt>Finished</dt><dd>{fmtTime(d.finished_at)}</dd>
          <dt>Duration</dt><dd data-testid="duration">{durationOf(d.started_at, d.finished_at)}</dd>
        </dl>
      </section>
      <section class="panel" data-testid="deployment" data-status={shown}>
        <div class="row wrap">
          <h2>Log</h2>
          <label class="check-label">
            <input type="checkbox" checked={follow} data-testid="follow"
              onChange={(e) => { const on = e.currentTarget.checked; setFollow(on); }} /> Follow (keep the newest line in view)
          </label>
        </div>
        {shown === 'queued' && !log && <p class="muted" data-testid="queued-note">Queued: another job of this server runs first. The log starts when this deployment does.</p>}
        <pre class="log" ref={logRef} onScroll={onScroll} data-testid="deployment-log" tabIndex={0} aria-label="Deployment log"
          aria-live={follow ? 'polite' : 'off'}>{log}</pre>
        {streamErr !== null && (
          <div>
            <ErrorBox error={streamErr} />
            <button type="button" class="btn plain" onClick={() => setAttempt((a) => a + 1)} data-testid="reconnect">Reconnect to the log</button>
          </div>
        )}
      </section>
    </>
  );
}
