// Edit a server (PATCH …/servers/{id}): name, host, port, user, SSH key and security groups. Only
// changed fields are sent. A new host or port is a new machine to Wharf: the pinned host key is
// dropped and pinned again at the next Check (the form says so before saving). "Test connection"
// runs every check on the edited settings first (servers.create, as for a new server). Detaching
// a group that keeps Wharf's SSH open is refused by the lock-out guard (409 ssh_lockout).
import { useState } from 'preact/hooks';
import { get, orgPath, patch, post, type CheckReport, type List, type SecurityGroup, type Server, type SshKey } from '../api';
import { CheckList } from '../components/checks';
import { AccessDenied, ErrorBox, Field, Loading, PageTitle, PermButton } from '../components';
import { useLoad } from '../hooks';
import { navigate } from '../router';
import { useOrg } from '../session';
import { ErrorOrLockout } from '../components/lockout';

export interface ServerDraft { name: string; host: string; port: string; username: string; ssh_key_id: string; security_group_ids: string[] }

export const draftOf = (s: Server): ServerDraft => ({
  name: s.name, host: s.host, port: String(s.port), username: s.username, ssh_key_id: s.ssh_key_id, security_group_ids: [...s.security_group_ids],
});

// The PATCH body: only the fields that differ from the saved server.
export function serverPatch(s: Server, d: ServerDraft): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (d.name.trim() !== s.name) out.name = d.name.trim();
  if (d.host.trim() !== s.host) out.host = d.host.trim();
  if (Number(d.port) !== s.port) out.port = Number(d.port);
  if (d.username.trim() !== s.username) out.username = d.username.trim();
  if (d.ssh_key_id !== s.ssh_key_id) out.ssh_key_id = d.ssh_key_id;
  const a = [...d.security_group_ids].sort(), b = [...s.security_group_ids].sort();
  if (a.length !== b.length || a.some((x, i) => x !== b[i])) out.security_group_ids = d.security_group_ids;
  return out;
}

export function EditServerPage(props: { id: string }) {
  const { org, can } = useOrg();
  const srv = useLoad(() => get<Server>(orgPath(org.slug, `/servers/${props.id}`)), [org.slug, props.id], !can('servers.read'));
  if (!can('servers.update')) return (<><PageTitle>Edit server</PageTitle><AccessDenied need="servers.update" what="the server edit form" /></>);
  if (srv.error) return (<><PageTitle>Edit server</PageTitle><ErrorBox error={srv.error} /></>);
  if (!srv.data) return <Loading />;
  return <EditForm server={srv.data} />;
}

function EditForm(props: { server: Server }) {
  const { org, can } = useOrg();
  const s = props.server;
  const keys = useLoad(() => get<List<SshKey>>(orgPath(org.slug, '/ssh-keys?limit=200')), [org.slug], !can('sshKeys.read'));
  const groups = useLoad(() => get<List<SecurityGroup>>(orgPath(org.slug, '/security-groups?limit=200')), [org.slug], !can('securityGroups.read'));
  const [d, setD] = useState<ServerDraft>(draftOf(s));
  const [report, setReport] = useState<CheckReport | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState<'' | 'test' | 'save'>('');
  const set = (k: keyof ServerDraft) => (e: Event) => setD({ ...d, [k]: (e.currentTarget as HTMLInputElement).value });
  const body = serverPatch(s, d);
  const moved = 'host' in body || 'port' in body;
  const back = `/o/${org.slug}/servers/${s.id}`;
  const test = async () => {
    setBusy('test'); setError(null); setReport(null);
    try {
      setReport(await post<CheckReport>(orgPath(org.slug, '/servers/test-connection'), {
        name: d.name.trim(), host: d.host.trim(), port: Number(d.port), username: d.username.trim(), ssh_key_id: d.ssh_key_id,
        security_group_ids: d.security_group_ids,
      }));
    } catch (e) { setError(e); } finally { setBusy(''); }
  };
  const save = async (e: Event) => {
    e.preventDefault();
    if (!Object.keys(body).length) return;
    setBusy('save'); setError(null);
    try {
      await patch<Server>(orgPath(org.slug, `/servers/${s.id}`), body);
      navigate(`${back}?saved=1`);
    } catch (err) { setError(err); } finally { setBusy(''); }
  };
  const usable = keys.data?.items.filter((k) => k.private_key.set || k.id === s.ssh_key_id) ?? [];
  return (
    <>
      <PageTitle>Edit {s.name}</PageTitle>
      <section class="panel">
        <form onSubmit={save} noValidate data-testid="server-edit">
          <div class="grid2">
            <Field label="Name" id="srv-name" error={error} field="name"><input id="srv-name" value={d.name} onInput={set('name')} /></Field>
            <Field label="Host" id="srv-host" error={error} field="host" hint="IP address or DNS name"><input id="srv-host" value={d.host} onInput={set('host')} /></Field>
            <Field label="SSH port" id="srv-port" error={error} field="port"><input id="srv-port" inputMode="numeric" value={d.port} onInput={set('port')} /></Field>
            <Field label="SSH user" id="srv-user" error={error} field="username" hint="Needs passwordless sudo"><input id="srv-user" value={d.username} onInput={set('username')} /></Field>
          </div>
          <Field label="SSH key" id="srv-key" error={error} field="ssh_key_id">
            {keys.data ? (
              <select id="srv-key" value={d.ssh_key_id} onChange={set('ssh_key_id')}>
                {usable.map((k) => <option key={k.id} value={k.id}>{k.name} ({k.fingerprint.slice(0, 20)}…)</option>)}
              </select>
            ) : keys.error ? <ErrorBox error={keys.error} /> : <Loading />}
          </Field>
          {groups.data && groups.data.items.length > 0 && (
            <fieldset class="field">
              <legend>Security groups</legend>
              {groups.data.items.map((g) => (
                <label key={g.id} class="check-label">
                  <input type="checkbox" checked={d.security_group_ids.includes(g.id)}
                    onChange={(e) => setD({ ...d, security_group_ids: e.currentTarget.checked ? [...d.security_group_ids, g.id] : d.security_group_ids.filter((x) => x !== g.id) })} /> {g.name}
                </label>
              ))}
            </fieldset>
          )}
          {moved && (
            <p class="alert warn" data-testid="repin-note">
              A new host or port is a new machine to Wharf: the pinned host key ({s.host_key_fingerprint ?? 'none'}) is dropped, and
              Wharf connects there for nothing (check, deploy, backup) until you Re-pin host key on the server's page. Test the
              connection first.
            </p>
          )}
          <ErrorOrLockout error={error} />
          <div class="row">
            <PermButton allowed={can('servers.create')} need="servers.create" busy={busy !== ''} onClick={test} testId="test-connection">
              {busy === 'test' ? 'Testing…' : 'Test connection'}
            </PermButton>
            <PermButton type="submit" kind="primary" allowed={true} busy={busy !== ''} reason={Object.keys(body).length ? undefined : 'Nothing changed yet.'} testId="save-server">
              {busy === 'save' ? 'Saving…' : 'Save changes'}
            </PermButton>
            <a class="btn plain" href={back}>Cancel</a>
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
