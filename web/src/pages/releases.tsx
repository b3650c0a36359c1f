// A service's Releases tab (every successful deploy, newest first; "Roll back" previews what
// changes, keys only, then queues the rollback and opens its deployment) and its Logs tab (the
// app's own output live over Server-Sent Events, with pause, search and download). Reading needs
// services.read; rolling back services.update (docs/releases.md).
import { useEffect, useRef, useState } from 'preact/hooks';
import { get, orgPath, post } from '../api';
import { AccessDenied, ErrorBox, Loading, PageTitle, PermButton, fmtTime } from '../components';
import { ServiceNav, useMemberNames, useServiceInfo } from '../components/service_nav';
import { useLoad } from '../hooks';
import {
  describeChanges, filterLines, followServiceLogs, linesToText, sourceLabel, type LogLine, type Release, type RollbackPreview,
} from '../releases';
import { navigate } from '../router';
import { useOrg } from '../session';

export function ServiceReleasesPage(props: { app: string; svc: string }) {
  const { org, can } = useOrg();
  const read = can('services.read');
  const info = useServiceInfo(props.app, props.svc);
  const names = useMemberNames();
  const base = orgPath(org.slug, `/services/${props.svc}`);
  const list = useLoad(() => get<{ items: Release[] }>(`${base}/releases`), [base], !read);
  const [preview, setPreview] = useState<RollbackPreview | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  if (!read) return (<><PageTitle>Releases</PageTitle><AccessDenied need="services.read" what="the releases of this service" /></>);
  const items = list.data?.items ?? [];
  const upd = can('services.update');
  const ask = async (version: number) => {
    setError(null); setBusy(true);
    try { setPreview(await post<RollbackPreview>(`${base}/rollback`, { version, dry_run: true })); }
    catch (e) { setError(e); } finally { setBusy(false); }
  };
  const confirmRollback = async () => {
    if (!preview) return;
    setError(null); setBusy(true);
    try {
      const r = await post<{ deployment_id: string }>(`${base}/rollback`, { version: preview.to_version });
      navigate(`/o/${org.slug}/deployments/${r.deployment_id}`);
    } catch (e) { setError(e); } finally { setBusy(false); }
  };
  return (
    <>
      <PageTitle>Releases of {info.svc?.name ?? 'this service'}</PageTitle>
      <ServiceNav appId={props.app} svcId={props.svc} current="releases" svc={info.svc} appName={info.app?.name} />
      <ErrorBox error={error} onDismiss={() => setError(null)} />
      {preview && (
        <section class="panel" data-testid="rollback-preview" role="dialog" aria-label="Roll back">
          <h2>Roll back from v{preview.from_version} to v{preview.to_version}?</h2>
          <ul data-testid="rollback-changes">
            {describeChanges(preview.changes).map((l) => <li key={l}>{l}</li>)}
          </ul>
          <p class="muted small">The release's exact source and its saved variables are deployed; values are never shown here.</p>
          <div class="row">
            <PermButton allowed={upd} need="services.update" kind="danger" busy={busy} onClick={confirmRollback} testId="rollback-confirm">
              {busy ? 'Rolling back…' : `Roll back to v${preview.to_version}`}
            </PermButton>
            <button type="button" class="btn plain" onClick={() => setPreview(null)} data-testid="rollback-cancel">Keep the current release</button>
          </div>
        </section>
      )}
      <section class="panel">
        {list.error ? <ErrorBox error={list.error} /> : !list.data ? <Loading /> : items.length === 0 ? (
          <p class="muted">No releases yet: every successful deploy records one.</p>
        ) : (
          <div class="table-wrap"><table class="stack" data-testid="releases">
            <thead><tr><th>Release</th><th>Source</th><th>Variables</th><th>Trigger</th><th>Who</th><th>When</th><th /></tr></thead>
            <tbody>
              {items.map((r) => (
                <tr key={r.version} data-version={r.version} data-current={r.current ? 'true' : 'false'}>
                  <td data-label="Release"><strong>v{r.version}</strong>{r.current && <span class="pill ok"> current</span>}{r.pinned && <span class="pill"> pinned</span>}</td>
                  <td data-label="Source" class="mono small">{sourceLabel(r.source)}</td>
                  <td data-label="Variables" class="mono small" title={r.variables_hash}>{r.variables_hash.slice(12, 24)}</td>
                  <td data-label="Trigger">{r.trigger}{r.rollback_of ? ` of v${r.rollback_of}` : ''}
                    {' '}<a class="small" href={`/o/${org.slug}/deployments/${r.deployment_id}`}>deployment</a></td>
                  <td data-label="Who">{r.created_by ? names[r.created_by] ?? r.created_by : 'push'}</td>
                  <td data-label="When">{fmtTime(r.created_at)}</td>
                  <td>{!r.current && (
                    <PermButton allowed={upd} need="services.update" kind="plain" busy={busy} onClick={() => ask(r.version)} testId={`rollback-${r.version}`}>
                      Roll back…
                    </PermButton>
                  )}</td>
                </tr>
              ))}
            </tbody>
          </table></div>
        )}
      </section>
    </>
  );
}

const MAX_LINES = 5000;

export function ServiceLogsPage(props: { app: string; svc: string }) {
  const { org, can } = useOrg();
  const read = can('services.read');
  const info = useServiceInfo(props.app, props.svc);
  const [lines, setLines] = useState<LogLine[]>([]);
  const [paused, setPaused] = useState(false);
  const [query, setQuery] = useState('');
  const [ended, setEnded] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [attempt, setAttempt] = useState(0);
  const held = useRef<LogLine[]>([]);  // lines that arrived while paused
  const pausedRef = useRef(false);
  const logRef = useRef<HTMLPreElement>(null);
  const path = orgPath(org.slug, `/services/${props.svc}/logs?tail=200&follow=true`);
  useEffect(() => {
    if (!read) return;
    const ac = new AbortController();
    setLines([]); setEnded(null); setError(null);
    followServiceLogs(path, (l) => {
      if (pausedRef.current) { held.current.push(l); return; }
      setLines((xs) => [...xs, l].slice(-MAX_LINES));
    }, ac.signal).then(
      (e) => setEnded(e.error ?? 'The log stream ended.'),
      (e) => { if (!ac.signal.aborted) setError(e); },
    );
    return () => ac.abort();
  }, [path, attempt, read]);
  useEffect(() => { const el = logRef.current; if (el && !paused) el.scrollTop = el.scrollHeight; }, [lines, paused]);
  if (!read) return (<><PageTitle>Logs</PageTitle><AccessDenied need="services.read" what="the logs of this service" /></>);
  const togglePause = () => {
    const next = !paused;
    pausedRef.current = next;
    setPaused(next);
    if (!next && held.current.length) {
      const more = held.current;
      held.current = [];
      setLines((xs) => [...xs, ...more].slice(-MAX_LINES));
    }
  };
  const shown = filterLines(lines, query);
  const download = () => {
    const url = URL.createObjectURL(new Blob([linesToText(lines)], { type: 'text/plain' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = `${info.svc?.name ?? props.svc}-logs.txt`;
    a.click();
    URL.revokeObjectURL(url);
  };
  return (
    <>
      <PageTitle>Logs of {info.svc?.name ?? 'this service'}</PageTitle>
      <ServiceNav appId={props.app} svcId={props.svc} current="logs" svc={info.svc} appName={info.app?.name} />
      <section class="panel" data-testid="service-logs" data-paused={paused ? 'true' : 'false'}>
        <div class="row wrap">
          <button type="button" class="btn plain" onClick={togglePause} data-testid="logs-pause">{paused ? 'Resume' : 'Pause'}</button>
          <label>Search <input type="search" value={query} onInput={(e) => setQuery(e.currentTarget.value)} data-testid="logs-search" /></label>
          <button type="button" class="btn plain" onClick={download} data-testid="logs-download">Download</button>
          {paused && <span class="muted small" data-testid="logs-held">{held.current.length} new lines held</span>}
        </div>
        <ErrorBox error={error} />
        <pre class="log" ref={logRef} data-testid="logs" tabIndex={0} aria-label="Runtime log" aria-live={paused ? 'off' : 'polite'}>
          {shown.map((l) => `${l.process ? `${l.process} | ` : ''}${l.text}\n`).join('')}
        </pre>
        {ended !== null && (
          <p class="muted" data-testid="logs-ended">{ended} <button type="button" class="btn plain" onClick={() => setAttempt((a) => a + 1)}>Reconnect</button></p>
        )}
      </section>
    </>
  );
}
