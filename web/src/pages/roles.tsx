// Roles: the list with member counts, and the create/edit page with the permission matrix.
import { useEffect, useState } from 'preact/hooks';
import { del, get, orgPath, patch, post, type List, type Role, type Server } from '../api';
import type { Application } from '../apps';
import { AccessDenied, ErrorBox, Loading, LockIcon, Notice, PageTitle, PermButton } from '../components';
import { useLoad } from '../hooks';
import { ACTIONS, COLLECTIONS, beyondOwn, scopeBeyondOwn, compact, fullMatrix, grantOf, parseIds, setCell, toggleColumn, toggleRow, type Action, type Permissions } from '../perms';
import { navigate } from '../router';
import { useOrg, useSession } from '../session';

export function RolesPage() {
  const { org, can } = useOrg();
  const roles = useLoad(() => get<List<Role>>(orgPath(org.slug, '/roles')), [org.slug], !can('roles.read'));
  const [error, setError] = useState<unknown>(null);
  const [note, setNote] = useState<string | null>(null);
  const newButton = (
    <PermButton allowed={can('roles.create')} need="roles.create" kind="primary" onClick={() => navigate(`/o/${org.slug}/roles/new`)} testId="new-role">
      New role
    </PermButton>
  );
  if (!can('roles.read')) return (<><PageTitle>Roles</PageTitle><AccessDenied need="roles.read" what="the roles" /></>);
  const remove = async (r: Role) => {
    let q = '';
    if (r.member_count > 0) {
      const others = roles.data!.items.filter((x) => x.id !== r.id);
      const names = others.map((x) => x.name).join(', ');
      const to = prompt(`${r.name} is held by ${r.member_count} member(s). Move them to which role? (${names})`, 'Admin');
      const target = others.find((x) => x.name === to);
      if (!target) return;
      q = `?reassign_to=${encodeURIComponent(target.id)}`;
    } else if (!confirm(`Delete the role ${r.name}?`)) return;
    setError(null);
    try {
      await del(orgPath(org.slug, `/roles/${r.id}${q}`));
      setNote(`Role ${r.name} deleted.`);
      roles.reload();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <>
      <PageTitle actions={newButton}>Roles</PageTitle>
      <Notice text={note} onDone={() => setNote(null)} />
      <ErrorBox error={error} onDismiss={() => setError(null)} />
      <section class="panel">
        {roles.error ? <ErrorBox error={roles.error} /> : !roles.data ? <Loading /> : (
          <div class="table-wrap">
            <table class="stack">
              <thead>
                <tr><th>Role</th><th>Description</th><th>Members</th><th><span class="sr-only">Actions</span></th></tr>
              </thead>
              <tbody>
                {roles.data.items.map((r) => (
                  <tr key={r.id}>
                    <td data-label="Role">
                      <a href={`/o/${org.slug}/roles/${r.id}`}>{r.name}</a>
                      {r.builtin && <span class="pill" title="Built in: every permission, cannot be changed"><LockIcon /> built-in</span>}
                    </td>
                    <td data-label="Description">{r.description}</td>
                    <td data-label="Members">{r.member_count}</td>
                    <td class="actions">
                      <PermButton allowed={can('roles.delete')} need="roles.delete" kind="danger" label={`Delete role ${r.name}`}
                        reason={r.builtin ? 'The built-in Admin role cannot be deleted.' : undefined} onClick={() => remove(r)}>
                        Delete
                      </PermButton>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </>
  );
}

export function RoleEditPage(props: { id: string | null }) {
  const { org, can } = useOrg();
  const { reload: reloadMe } = useSession();
  const creating = props.id === null;
  const need = creating ? 'roles.create' : 'roles.update';
  const role = useLoad(() => get<Role>(orgPath(org.slug, `/roles/${props.id}`)), [org.slug, props.id], creating || !can('roles.read'));
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [perms, setPerms] = useState<Permissions>(() => fullMatrix({ team: { ...grantOf({}, 'team'), read: true } }));
  const [apps, setApps] = useState('');
  const [servers, setServers] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  // The editor's own role, for its resource_scope (the server refuses granting wider reach).
  const mine = useLoad(() => get<Role>(orgPath(org.slug, `/roles/${org.role.id}`)), [org.slug, org.role.id], org.role.builtin || !can('roles.read'));

  useEffect(() => {
    const r = role.data;
    if (!r) return;
    setName(r.name);
    setDescription(r.description ?? '');
    setPerms(fullMatrix(r.permissions));
    setApps((r.resource_scope?.applications ?? []).join(', '));
    setServers((r.resource_scope?.servers ?? []).join(', '));
  }, [role.data]);

  if (creating && !can('roles.create')) return (<><PageTitle>New role</PageTitle><AccessDenied need="roles.create" what="the New role form" /></>);
  if (!creating && !can('roles.read')) return (<><PageTitle>Role</PageTitle><AccessDenied need="roles.read" what="this role" /></>);
  if (!creating && role.error) return (<><PageTitle>Role</PageTitle><ErrorBox error={role.error} /></>);
  if (!creating && !role.data) return <Loading />;

  const locked = !!role.data?.builtin;
  const allowed = can(need);
  const readOnly = locked || !allowed;
  const beyondScope = readOnly ? [] : scopeBeyondOwn({ applications: parseIds(apps), servers: parseIds(servers) }, mine.data?.resource_scope);
  const beyond = readOnly ? [] : [...beyondOwn(perms, org.permissions), ...beyondScope];
  const beyondSet = new Set(beyond.map((b) => b.split(' ')[0]));

  const save = async (e: Event) => {
    e.preventDefault();
    if (readOnly || beyond.length) return;
    setBusy(true);
    setError(null);
    const a = parseIds(apps);
    const s = parseIds(servers);
    const body = {
      name,
      ...(description.trim() ? { description } : {}), // the API refuses an empty description
      permissions: compact(perms),
      resource_scope: a.length || s.length ? { applications: a, servers: s } : null,
    };
    try {
      if (creating) await post<Role>(orgPath(org.slug, '/roles'), body);
      else await patch<Role>(orgPath(org.slug, `/roles/${props.id}`), body);
      await reloadMe(); // your own role may have changed
      navigate(`/o/${org.slug}/roles`);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <PageTitle>{creating ? 'New role' : `Role: ${role.data!.name}`}</PageTitle>
      <p><a href={`/o/${org.slug}/roles`}>← All roles</a></p>
      {locked && (
        <p class="alert info" data-testid="admin-locked">
          <LockIcon /> The Admin role is built in: it holds every permission and cannot be changed or deleted.
        </p>
      )}
      {!locked && !allowed && (
        <p class="alert warn">Editing roles needs the <code>{need}</code> permission. Ask an Admin of this org.</p>
      )}
      <form onSubmit={save} noValidate class="role-form">
        <section class="panel">
          <div class="grid2">
            <div class="field">
              <label for="role-name">Name</label>
              <input id="role-name" required value={name} disabled={readOnly} onInput={(e) => setName(e.currentTarget.value)} />
            </div>
            <div class="field">
              <label for="role-description">Description</label>
              <input id="role-description" value={description} disabled={readOnly} onInput={(e) => setDescription(e.currentTarget.value)} />
            </div>
          </div>
        </section>
        <section class="panel">
          <h2>Permissions</h2>
          <p class="muted small">
            Tick what the role may do in each collection. The row and column headers toggle a whole row or column.
            Read scope <em>own</em> limits the role to rows its members created; a create limit of 0 means unlimited.
          </p>
          <Matrix perms={perms} setPerms={setPerms} readOnly={readOnly} beyond={beyondSet} own={org.permissions} />
          {!readOnly && !org.role.builtin && (
            <p class="muted small"><span class="swatch cant" aria-hidden="true" /> Shaded cells are permissions your own role does not hold: you cannot grant them.</p>
          )}
          {beyond.length > 0 && (
            <div class="alert error" role="alert" data-testid="beyond-own">
              <p><strong>Not allowed:</strong> this grants more than your own role holds, so it cannot be saved:</p>
              <ul>{beyond.map((b) => <li key={b}><code>{b}</code></li>)}</ul>
            </div>
          )}
        </section>
        <section class="panel">
          <h2>Resource scope (optional)</h2>
          <p class="muted small">Limit the role to the chosen applications (and their services, deployments and backups) and servers. Leave both empty for every row.</p>
          {mine.data?.resource_scope && (mine.data.resource_scope.applications.length > 0 || mine.data.resource_scope.servers.length > 0) && !readOnly && (
            <p class="alert info" data-testid="own-scope">Your own role is limited to some applications or servers: a role you save must be limited to (some of) them too.</p>
          )}
          {beyondScope.length > 0 && (
            <p class="alert error" role="alert" data-testid="beyond-scope"><strong>Not allowed:</strong> this reaches beyond your own role's resource_scope ({beyondScope.map((b) => <code key={b}>{b} </code>)}): choose only ones your role reaches.</p>
          )}
          <div class="grid2">
            <ScopePicker collection="applications" label="Applications" value={apps} onChange={setApps} disabled={readOnly} />
            <ScopePicker collection="servers" label="Servers" value={servers} onChange={setServers} disabled={readOnly} />
          </div>
        </section>
        <ErrorBox error={error} />
        {!locked && (
          <div class="row">
            <PermButton type="submit" kind="primary" allowed={allowed} need={need} busy={busy}
              reason={beyond.length ? `Not allowed: grants ${beyond[0]}, which your role does not hold.` : undefined} testId="save-role">
              {creating ? 'Create role' : 'Save role'}
            </PermButton>
            <a class="btn plain" href={`/o/${org.slug}/roles`}>Cancel</a>
          </div>
        )}
      </form>
    </>
  );
}

const ACTION_LABEL: Record<Action, string> = { create: 'Create', read: 'Read', update: 'Update', delete: 'Delete' };

function Matrix(props: { perms: Permissions; setPerms: (p: Permissions) => void; readOnly: boolean; beyond: Set<string>; own: Permissions }) {
  const { perms, setPerms, readOnly, beyond, own } = props;
  return (
    <div class="table-wrap">
      <table class="matrix">
        <thead>
          <tr>
            <th scope="col">Collection</th>
            {ACTIONS.map((a) => (
              <th scope="col" key={a}>
                <button type="button" class="btn link" disabled={readOnly} onClick={() => setPerms(toggleColumn(perms, a))}
                  aria-label={`Toggle ${ACTION_LABEL[a]} for every collection`}>
                  {ACTION_LABEL[a]}
                </button>
              </th>
            ))}
            <th scope="col">Create limit</th>
            <th scope="col">Read scope</th>
          </tr>
        </thead>
        <tbody>
          {COLLECTIONS.map((c) => {
            const g = grantOf(perms, c.key);
            return (
              <tr key={c.key} data-collection={c.key}>
                <th scope="row">
                  <button type="button" class="btn link" disabled={readOnly} onClick={() => setPerms(toggleRow(perms, c.key))}
                    aria-label={`Toggle every action on ${c.label}`}>
                    {c.label}
                  </button>
                  <code class="muted small key">{c.key}</code>
                </th>
                {ACTIONS.map((a) => {
                  const bad = beyond.has(`${c.key}.${a}`);
                  const cant = !readOnly && !grantOf(own, c.key)[a];
                  return (
                    <td key={a} class={bad ? 'beyond' : cant ? 'cant' : undefined}>
                      <input type="checkbox" checked={g[a]} disabled={readOnly} aria-label={`${c.key}.${a}`}
                        aria-invalid={bad ? 'true' : undefined}
                        title={bad ? `Not allowed: your role does not hold ${c.key}.${a}` : cant ? `You cannot grant ${c.key}.${a}: your role does not hold it` : `${c.key}.${a}`}
                        onChange={(e) => setPerms(setCell(perms, c.key, a, e.currentTarget.checked))} />
                    </td>
                  );
                })}
                <td>
                  <input type="number" class="num" min={0} max={1000000} value={g.create_limit} disabled={readOnly || !g.create}
                    aria-label={`Create limit for ${c.label} (0 = unlimited)`}
                    onInput={(e) => setPerms({ ...perms, [c.key]: { ...g, create_limit: Math.max(0, Number(e.currentTarget.value) || 0) } })} />
                </td>
                <td>
                  <select value={g.read_scope} disabled={readOnly} aria-label={`Read scope for ${c.label}`}
                    onChange={(e) => setPerms({ ...perms, [c.key]: { ...g, read_scope: e.currentTarget.value as 'all' | 'own' } })}>
                    <option value="all">all</option>
                    <option value="own">own</option>
                  </select>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

// The resource_scope picker for one collection: a checkbox per application or server of the org
// (by name), or, when the editor cannot list them, an id field (comma or space separated). Ids in
// the scope that no longer exist stay listed so that saving does not drop them silently.
function ScopePicker(props: { collection: 'applications' | 'servers'; label: string; value: string; onChange: (v: string) => void; disabled: boolean }) {
  const { org, can } = useOrg();
  const readable = can(`${props.collection}.read`);
  const rows = useLoad(() => get<List<Application | Server>>(orgPath(org.slug, `/${props.collection}?limit=200`)), [org.slug, props.collection], !readable);
  const id = `scope-${props.collection === 'applications' ? 'apps' : 'servers'}`;
  const chosen = parseIds(props.value);
  if (!readable || rows.error || !rows.data)
    return (
      <div class="field">
        <label for={id}>{props.label} (ids)</label>
        <textarea id={id} rows={2} value={props.value} disabled={props.disabled} onInput={(e) => props.onChange(e.currentTarget.value)} />
        <p class="hint">{readable ? (rows.error ? 'The list could not be loaded: paste ids.' : 'Loading the list…') : `You cannot list ${props.collection} (${props.collection}.read): paste their ids.`}</p>
      </div>
    );
  const known = rows.data.items;
  const unknown = chosen.filter((x) => !known.some((r) => r.id === x));
  const toggle = (rid: string, on: boolean) => props.onChange((on ? [...chosen, rid] : chosen.filter((x) => x !== rid)).join(', '));
  return (
    <fieldset class="field scope-picker" id={id} data-testid={id}>
      <legend>{props.label}</legend>
      {known.length === 0 && unknown.length === 0 && <p class="muted small">No {props.collection} in this organisation yet.</p>}
      {known.map((r) => (
        <label key={r.id} class="scope-item">
          <input type="checkbox" checked={chosen.includes(r.id)} disabled={props.disabled} onChange={(e) => toggle(r.id, e.currentTarget.checked)} />
          {' '}{r.name}
        </label>
      ))}
      {unknown.map((x) => (
        <label key={x} class="scope-item">
          <input type="checkbox" checked disabled={props.disabled} onChange={() => toggle(x, false)} /> <code class="small">{x}</code> <span class="muted small">(not found)</span>
        </label>
      ))}
      <p class="hint">{chosen.length ? `Only the ${chosen.length} chosen.` : `None chosen: every ${props.collection === 'applications' ? 'application' : 'server'}.`}</p>
    </fieldset>
  );
}
