// Servers: the list with health status and the time of the last check; "Add server" with a
// "Test connection" step that shows every check; a server's page with Check, Diagnose, Onboard
// (live log), host key re-pin, host firewall (apply / rules in force) and the check history.
import { useEffect, useRef, useState } from 'preact/hooks';
import {
  del, followJobLog, get, orgPath, post,
  type CheckReport, type Diagnosis, type Firewall, type List, type SecurityGroup, type Server, type SshKey,
} from '../api';
import { CheckList, DiagnosisView } from '../components/checks';
import { AccessDenied, ErrorBox, Field, Loading, Notice, PageTitle, PermButton, fmtTime } from '../components';
import { useLoad } from '../hooks';
import { navigate, useLocation } from '../router';
import { useOrg } from '../session';
import { ErrorOrLockout } from '../components/lockout';

export function StatusPill(props: { status: string }) {
  const cls = props.status === 'healthy' ? 'ok' : props.status === 'unhealthy' || props.status === 'unreachable' ? 'bad' : '';
  return <span class={`pill ${cls}`} data-testid="server-status">{props.status}</span>;
}

export function ServersPage() {
  const { org, can } = useOrg();
  const list = useLoad(() => get<List<Server>>(orgPath(org.slug, '/servers?limit=200')), [org.slug], !can('servers.read'));
  if (!can('servers.read')) return (<><PageTitle>Servers</PageTitle><AccessDenied need="servers.read" what="the servers" /></>);
  return (
    <>
      <PageTitle actions={
        <PermButton allowed={can('servers.create')} need="servers.create" kind="primary" why onClick={() => navigate(`/o/${org.slug}/servers/new`)} testId="add-server">
          Add server
        </PermButton>
      }>Servers</PageTitle>
      <section class="panel">
        {list.error ? <ErrorBox error={list.error} /> : !list.data ? <Loading /> : list.data.items.length === 0 ? (
          <p class="muted">No servers yet. Add one: Wharf reaches it over SSH with one of your SSH keys.</p>
        ) : (
          <div class="table-wrap"><table class="stack servers">
            <thead>
              <tr><th>Name</th><th>Address</th><th>Status</th><th>Last check</th></tr>
            </thead>
            <tbody>
              {list.data.items.map((s) => (
                <tr key={s.id} data-server={s.name}>
                  <td data-label="Name"><a href={`/o/${org.slug}/servers/${s.id}`}><strong>{s.name}</strong></a></td>
                  <td data-label="Address" class="mono small">{s.username}@{s.host}:{s.port}</td>
                  <td data-label="Status"><StatusPill status={s.status} />{s.last_error && <span class="muted small"> {s.last_error}</span>}</td>
                  <td data-label="Last check">{fmtTime(s.last_check_at)}</td>
                </tr>
              ))}
            </tbody>
          </table></div>
        )}
      </section>
    </>
  );
}

export function AddServerPage() {
  const { org, can } = useOrg();
  const keys = useLoad(() => get<List<SshKey>>(orgPath(org.slug, '/ssh-keys?limit=200')), [org.slug], !can('sshKeys.read'));
  const groups = useLoad(() => get<List<SecurityGroup>>(orgPath(org.slug, '/security-groups?limit=200')), [org.slug], !can('securityGroups.read'));
  const [f, setF] = useState({ name: '', host: '', port: '22', username: 'root', ssh_key_id: '' });
  const [sgs, setSgs] = useState<string[]>([]);
  const [report, setReport] = useState<CheckReport | null>(null);
  const [tested, setTested] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState<'' | 'test' | 'add'>('');
  if (!can('servers.create')) return (<><PageTitle>Add a server</PageTitle><AccessDenied need="servers.create" what="the Add server form" /></>);
  const keyId = f.ssh_key_id || keys.data?.items[0]?.id || '';
  const body = () => ({ name: f.name.trim(), host: f.host.trim(), port: Number(f.port), username: f.username.trim(), ssh_key_id: keyId, security_group_ids: sgs });
  const set = (k: keyof typeof f) => (e: Event) => { setF({ ...f, [k]: (e.currentTarget as HTMLInputElement).value }); };
  const test = async () => {
    setBusy('test'); setError(null); setReport(null);
    try {
      const b = body();
      setReport(await post<CheckReport>(orgPath(org.slug, '/servers/test-connection'), b));
      setTested(JSON.stringify(b));
    } catch (e) { setError(e); } finally { setBusy(''); }
  };
  const add = async (e: Event) => {
    e.preventDefault();
    setBusy('add'); setError(null);
    try {
      const s = await post<Server>(orgPath(org.slug, '/servers'), body());
      navigate(`/o/${org.slug}/servers/${s.id}`);
    } catch (err) { setError(err); } finally { setBusy(''); }
  };
  const stale = report && tested !== JSON.stringify(body());
  return (
    <>
      <PageTitle>Add a server</PageTitle>
      <section class="panel">
        <form onSubmit={add} noValidate>
          <div class="grid2">
            <Field label="Name" id="srv-name" error={error} field="name"><input id="srv-name" value={f.name} onInput={set('name')} /></Field>
            <Field label="Host" id="srv-host" error={error} field="host" hint="IP address or DNS name"><input id="srv-host" value={f.host} onInput={set('host')} /></Field>
            <Field label="SSH port" id="srv-port" error={error} field="port"><input id="srv-port" inputMode="numeric" value={f.port} onInput={set('port')} /></Field>
            <Field label="SSH user" id="srv-user" error={error} field="username" hint="Needs passwordless sudo"><input id="srv-user" value={f.username} onInput={set('username')} /></Field>
          </div>
          <Field label="SSH key" id="srv-key" error={error} field="ssh_key_id"
            hint="Its public half must be in the user's ~/.ssh/authorized_keys on the server.">
            {keys.data ? (
              <select id="srv-key" value={keyId} onChange={set('ssh_key_id')}>
                {keys.data.items.filter((k) => k.private_key.set).map((k) => <option key={k.id} value={k.id}>{k.name} ({k.fingerprint.slice(0, 20)}…)</option>)}
              </select>
            ) : keys.error ? <ErrorBox error={keys.error} /> : <Loading />}
          </Field>
          {keys.data && keys.data.items.filter((k) => k.private_key.set).length === 0 && (
            <p class="alert info">No SSH key with a private key yet. <a href={`/o/${org.slug}/ssh-keys`}>Generate one under Security → SSH keys</a>.</p>
          )}
          {groups.data && groups.data.items.length > 0 && (
            <fieldset class="field">
              <legend>Security groups</legend>
              {groups.data.items.map((g) => (
                <label key={g.id} class="check-label">
                  <input type="checkbox" checked={sgs.includes(g.id)} onChange={(e) => setSgs(e.currentTarget.checked ? [...sgs, g.id] : sgs.filter((x) => x !== g.id))} /> {g.name}
                </label>
              ))}
            </fieldset>
          )}
          <ErrorOrLockout error={error} />
          <div class="row">
            <PermButton allowed={true} busy={busy !== ''} onClick={test} testId="test-connection">{busy === 'test' ? 'Testing…' : 'Test connection'}</PermButton>
            <PermButton type="submit" kind="primary" allowed={true} busy={busy !== ''}
              reason={!report ? 'Run Test connection first.' : stale ? 'The form changed: test the connection again.' : !report.ok ? 'A check failed: fix it and test again.' : undefined}
              testId="save-server">{busy === 'add' ? 'Adding…' : 'Add server'}</PermButton>
          </div>
        </form>
      </section>
      {report && (
        <section class="panel" aria-live="polite">
          <h2>Test connection: {report.ok ? <span class="pill ok">all checks passed</span> : <span class="pill bad">failed</span>}</h2>
          <CheckList checks={report.checks} />
        </section>
      )}
    </>
  );
}

export function ServerPage(props: { id: string }) {
  const { org, can } = useOrg();
  const srv = useLoad(() => get<Server>(orgPath(org.slug, `/servers/${props.id}`)), [org.slug, props.id], !can('servers.read'));
  const hist = useLoad(() => get<{ items: { at: string; ok: boolean; report: CheckReport }[] }>(orgPath(org.slug, `/servers/${props.id}/checks?limit=20`)),
    [org.slug, props.id], !can('servers.read'));
  const [error, setError] = useState<unknown>(null);
  const { query } = useLocation();
  const [note, setNote] = useState<string | null>(query.get('saved') ? 'Server saved.' : null);
  const [busy, setBusy] = useState('');
  const [diag, setDiag] = useState<Diagnosis | null>(null);
  const [fw, setFw] = useState<Firewall | null>(null);
  const [job, setJob] = useState<{ id: string; log: string; status: string } | null>(null);
  const abort = useRef<AbortController | null>(null);
  const logRef = useRef<HTMLPreElement>(null);
  useEffect(() => () => abort.current?.abort(), []);
  // Follow the live log: keep it scrolled to the newest line.
  useEffect(() => { const el = logRef.current; if (el) el.scrollTop = el.scrollHeight; }, [job?.log]);
  if (!can('servers.read')) return (<><PageTitle>Server</PageTitle><AccessDenied need="servers.read" what="the servers" /></>);
  if (srv.error) return (<><PageTitle>Server</PageTitle><ErrorBox error={srv.error} /></>);
  if (!srv.data) return <Loading />;
  const s = srv.data;
  const P = (rest: string) => orgPath(org.slug, `/servers/${s.id}${rest}`);
  const run = async (what: string, fn: () => Promise<void>) => {
    setBusy(what); setError(null);
    try { await fn(); } catch (e) { setError(e); } finally { setBusy(''); }
  };
  const check = () => run('check', async () => {
    const r = await post<CheckReport>(P('/check'));
    setNote(r.ok ? 'Every check passed.' : 'A check failed: see below.');
    srv.reload(); hist.reload();
  });
  const diagnose = () => run('diagnose', async () => { setDiag(await post<Diagnosis>(orgPath(org.slug, '/diagnose'), { server_id: s.id })); });
  const repin = () => run('repin', async () => {
    if (!confirm('Trust the host key the server presents now? Only do this if you know the server was reinstalled.')) return;
    await post(P('/repin-host-key'));
    setNote('Host key re-pinned.'); srv.reload();
  });
  const readFw = () => run('fw', async () => setFw(await get<Firewall>(P('/firewall'))));
  const applyFw = () => run('apply', async () => { setFw(await post<Firewall>(P('/apply-firewall'))); setNote('Security groups applied to the host firewall.'); });
  const remove = () => run('delete', async () => {
    if (!confirm(`Remove the server ${s.name} from Wharf? Nothing on the server is changed.`)) return;
    await del(P(''));
    navigate(`/o/${org.slug}/servers`);
  });
  const onboard = () => run('onboard', async () => {
    const r = await post<{ job_id: string }>(P('/onboard'));
    setJob({ id: r.job_id, log: '', status: 'running' });
    abort.current?.abort();
    const ac = new AbortController();
    abort.current = ac;
    followJobLog(orgPath(org.slug, `/jobs/${r.job_id}/log`), (t) => setJob((j) => j && { ...j, log: j.log + t }), ac.signal).then(
      (end) => { setJob((j) => j && { ...j, status: end.status }); srv.reload(); hist.reload(); },
      (e) => { if (!ac.signal.aborted) { setError(e); setJob((j) => j && { ...j, status: 'unknown' }); } },
    );
  });
  const upd = can('servers.update');
  return (
    <>
      <PageTitle>{s.name} <StatusPill status={s.status} /></PageTitle>
      <Notice text={note} onDone={() => setNote(null)} />
      <ErrorOrLockout error={error} onDismiss={() => setError(null)} />
      <section class="panel">
        <dl class="kv">
          <dt>Address</dt><dd class="mono" data-testid="address">{s.username}@{s.host}:{s.port}</dd>
          <dt>Host key</dt><dd class="mono small" data-testid="host-key">{s.host_key_fingerprint || 'not pinned yet: the next Check pins it'}</dd>
          <dt>Last check</dt><dd>{fmtTime(s.last_check_at)}{s.next_check_at && <span class="muted small"> · next {fmtTime(s.next_check_at)}</span>}</dd>
          {s.last_check?.os && (<><dt>System</dt><dd>{s.last_check.os}{s.last_check.dokku_version && `, Dokku ${s.last_check.dokku_version}`}</dd></>)}
        </dl>
        <div class="row wrap">
          <PermButton allowed={upd} need="servers.update" kind="primary" why busy={busy !== ''} onClick={check} testId="check">{busy === 'check' ? 'Checking…' : 'Check'}</PermButton>
          <PermButton allowed={true} busy={busy !== ''} onClick={diagnose} testId="diagnose">{busy === 'diagnose' ? 'Diagnosing…' : 'Diagnose'}</PermButton>
          <PermButton allowed={upd} need="servers.update" busy={busy !== '' || job?.status === 'running'} onClick={onboard} testId="onboard">Onboard</PermButton>
          <PermButton allowed={true} busy={busy !== ''} onClick={readFw} testId="read-firewall">Firewall rules in force</PermButton>
          <PermButton allowed={upd} need="servers.update" busy={busy !== ''} onClick={applyFw} testId="apply-firewall">Apply security groups</PermButton>
          <PermButton allowed={upd} need="servers.update" busy={busy !== ''} onClick={repin} testId="repin">Re-pin host key</PermButton>
          <PermButton allowed={upd} need="servers.update" busy={busy !== ''} onClick={() => navigate(`/o/${org.slug}/servers/${s.id}/edit`)} testId="edit-server">Edit</PermButton>
          <PermButton allowed={can('servers.delete')} need="servers.delete" kind="danger" busy={busy !== ''} onClick={remove}>Remove</PermButton>
        </div>
      </section>
      {job && (
        <section class="panel" data-testid="job" data-status={job.status}>
          <h2>Onboarding {job.status === 'running' ? <span class="pill" aria-busy="true">running…</span> : <span class={`pill ${job.status === 'succeeded' ? 'ok' : 'bad'}`}>{job.status}</span>}</h2>
          <pre class="log" ref={logRef} data-testid="job-log" tabIndex={0} aria-label="Onboarding log" aria-live="polite">{job.log}</pre>
        </section>
      )}
      {diag && (
        <section class="panel">
          <h2>Diagnose</h2>
          <DiagnosisView d={diag} />
        </section>
      )}
      {fw && (
        <section class="panel" data-testid="firewall">
          <h2>Host firewall ({fw.backend})</h2>
          {fw.rules_in_force ? <pre class="log">{fw.rules_in_force}</pre> : <p class="muted">No Wharf rules in force. Attach security groups and press Apply.</p>}
          {fw.skipped && fw.skipped.length > 0 && <p class="muted">Skipped: {fw.skipped.join('; ')}</p>}
        </section>
      )}
      {s.last_check && (
        <section class="panel">
          <h2>Last check {s.last_check.ok ? <span class="pill ok">ok</span> : <span class="pill bad">failed</span>}</h2>
          <CheckList checks={s.last_check.checks} testId="last-check" />
        </section>
      )}
      {s.last_check?.certificates && s.last_check.certificates.length > 0 && (
        <section class="panel">
          <h2>TLS certificates</h2>
          <p class="muted small">What this server serves for its applications' Let's Encrypt domains, read by its health checks.</p>
          <div class="table-wrap"><table class="stack" data-testid="certificates">
            <thead>
              <tr><th>Domain</th><th>Service</th><th>Expires</th><th>Issuer</th></tr>
            </thead>
            <tbody>
              {s.last_check.certificates.map((c) => (
                <tr key={c.hostname} data-hostname={c.hostname}>
                  <td data-label="Domain" class="mono">{c.hostname}</td>
                  <td data-label="Service">{c.application}/{c.service}</td>
                  <td data-label="Expires">
                    {c.error ? <span class="pill bad">{c.error}</span> : (
                      <>{fmtTime(c.not_after ?? null)} <span class={`pill ${(c.days_left ?? 0) <= 3 ? 'bad' : (c.days_left ?? 0) <= 14 ? 'warn' : 'ok'}`}>{c.days_left} days left</span></>
                    )}
                  </td>
                  <td data-label="Issuer">{c.issuer ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table></div>
        </section>
      )}
      <section class="panel">
        <h2>History</h2>
        {hist.error ? <ErrorBox error={hist.error} /> : !hist.data ? <Loading /> : hist.data.items.length === 0 ? <p class="muted">No checks yet.</p> : (
          <ul class="history" data-testid="history">
            {hist.data.items.map((h, i) => {
              const failed = h.report?.checks?.filter((c) => c.status === 'failed') ?? [];
              return (
                <li key={i}>
                  <span class={`pill ${h.ok ? 'ok' : 'bad'}`}>{h.ok ? 'ok' : 'failed'}</span> {fmtTime(h.at)}
                  {failed.length > 0 && <span class="muted small"> {failed.map((c) => `${c.name}: ${c.code ?? c.message}`).join('; ')}</span>}
                </li>
              );
            })}
          </ul>
        )}
      </section>
    </>
  );
}
