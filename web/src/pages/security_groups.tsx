// Security → Security groups: groups with their inbound and outbound rules, and a rule editor with the named
// types (ssh, https, dns, icmp, all-traffic, custom-tcp, …), a source field checked inline (a
// client-side hint; the server decides and normalises), the server's warnings after saving, and
// the lock-out guard message when an edit would close Wharf's SSH to a server.
import { useState } from 'preact/hooks';
import { ApiError, del, get, orgPath, patch, post, type List, type Rule, type SecurityGroup } from '../api';
import { RULE_TYPES, SOURCE_WORDS, isCustom, normalisedIpv4, sourceProblem } from '../cidr';
import { AccessDenied, ErrorBox, Field, Loading, Notice, PageTitle, PermButton } from '../components';
import { useLoad } from '../hooks';
import { useOrg } from '../session';
import { ErrorOrLockout } from '../components/lockout';

interface DraftRule { type: string; from_port: string; to_port: string; source: string; description: string }
const blank = (): DraftRule => ({ type: 'ssh', from_port: '', to_port: '', source: '', description: '' });
const toDraft = (r: Rule): DraftRule => ({
  type: r.type, from_port: isCustom(r.type) && r.from_port ? String(r.from_port) : '', to_port: isCustom(r.type) && r.to_port ? String(r.to_port) : '',
  source: r.source, description: r.description ?? '',
});
function toRule(d: DraftRule): Rule {
  const r: Rule = { type: d.type, source: d.source.trim() };
  if (isCustom(d.type)) {
    if (d.from_port.trim()) r.from_port = Number(d.from_port);
    if (d.to_port.trim()) r.to_port = Number(d.to_port);
  }
  if (d.description.trim()) r.description = d.description.trim();
  return r;
}
export function describeRule(r: Rule): string {
  const ports = r.from_port ? (r.from_port === r.to_port || !r.to_port ? `${r.from_port}` : `${r.from_port}–${r.to_port}`) : '';
  return `${r.type} ${r.protocol ?? ''}${ports ? ` ${ports}` : ''} from ${r.source}`;
}

export function SecurityGroupsPage() {
  const { org, can } = useOrg();
  const list = useLoad(() => get<List<SecurityGroup>>(orgPath(org.slug, '/security-groups?limit=200')), [org.slug], !can('securityGroups.read'));
  const [editing, setEditing] = useState<SecurityGroup | 'new' | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const [warnings, setWarnings] = useState<string[]>([]);
  const [error, setError] = useState<unknown>(null);
  if (!can('securityGroups.read')) return (<><PageTitle>Security groups</PageTitle><AccessDenied need="securityGroups.read" what="the security groups" /></>);
  const remove = async (g: SecurityGroup) => {
    if (!confirm(`Delete the security group ${g.name}?`)) return;
    setError(null);
    try { await del(orgPath(org.slug, `/security-groups/${g.id}`)); setNote(`Security group ${g.name} deleted.`); list.reload(); } catch (e) { setError(e); }
  };
  return (
    <>
      <PageTitle actions={editing ? undefined : (
        <PermButton allowed={can('securityGroups.create')} need="securityGroups.create" kind="primary" why onClick={() => { setEditing('new'); setWarnings([]); }} testId="new-group">
          New security group
        </PermButton>
      )}>Security groups</PageTitle>
      <Notice text={note} onDone={() => setNote(null)} />
      <ErrorBox error={error} onDismiss={() => setError(null)} />
      {warnings.length > 0 && (
        <div class="alert warn" role="status" data-testid="sg-warnings">
          <p><strong>Saved with changes:</strong></p>
          <ul>{warnings.map((w) => <li key={w}>{w}</li>)}</ul>
        </div>
      )}
      {editing && (
        <GroupEditor group={editing === 'new' ? null : editing} onCancel={() => setEditing(null)}
          onSaved={(g) => { setEditing(null); setWarnings(g.warnings ?? []); setNote(`Security group ${g.name} saved.`); list.reload(); }} />
      )}
      <section class="panel">
        <h2>Groups</h2>
        {list.error ? <ErrorBox error={list.error} /> : !list.data ? <Loading /> : list.data.items.length === 0 ? (
          <p class="muted">No security groups yet. A group is a set of inbound and outbound rules; attach it to servers and Wharf applies it to their host firewall.</p>
        ) : (
          <ul class="cards">
            {list.data.items.map((g) => (
              <li class="sg-card" key={g.id} data-group={g.name}>
                <div class="key-head"><strong>{g.name}</strong> <span class="pill">{g.server_ids.length} server{g.server_ids.length === 1 ? '' : 's'}</span></div>
                {g.description && <p class="muted">{g.description}</p>}
                <ul class="plain-list small">
                  {g.inbound.length === 0 ? <li class="muted">No inbound rules (everything inbound is dropped).</li> :
                    g.inbound.map((r, i) => <li key={i} class="mono">{describeRule(r)}{r.description && <span class="muted"> · {r.description}</span>}</li>)}
                </ul>
                <ul class="plain-list small outbound" data-testid="outbound">
                  {g.outbound.length === 0 ? <li class="muted">No outbound rules (everything outbound is dropped).</li> :
                    g.outbound.map((r, i) => <li key={i} class="mono">out: {describeRule(r).replace(' from ', ' to ')}{r.description && <span class="muted"> · {r.description}</span>}</li>)}
                </ul>
                <div class="row">
                  <PermButton allowed={can('securityGroups.update')} need="securityGroups.update" onClick={() => { setEditing(g); setWarnings([]); }} label={`Edit ${g.name}`}>Edit</PermButton>
                  <PermButton allowed={can('securityGroups.delete')} need="securityGroups.delete" kind="danger" onClick={() => remove(g)} label={`Delete ${g.name}`}>Delete</PermButton>
                </div>
              </li>
            ))}
          </ul>
        )}
      </section>
    </>
  );
}

// The outbound list a new group starts with: the server's own default (all traffic out).
export const DEFAULT_OUTBOUND: Rule[] = [
  { type: 'all-traffic', source: '0.0.0.0/0', description: 'default: all outbound' },
  { type: 'all-traffic', source: '::/0', description: 'default: all outbound' },
];
const sameRules = (a: Rule[], b: Rule[]) => JSON.stringify(a) === JSON.stringify(b);

function GroupEditor(props: { group: SecurityGroup | null; onSaved: (g: SecurityGroup) => void; onCancel: () => void }) {
  const { org, can } = useOrg();
  const g = props.group;
  const [name, setName] = useState(g?.name ?? '');
  const [description, setDescription] = useState(g?.description ?? '');
  const [rules, setRules] = useState<DraftRule[]>(g ? g.inbound.map(toDraft) : [blank()]);
  const initialOut = (g ? g.outbound : DEFAULT_OUTBOUND).map(toDraft);
  const [out, setOut] = useState<DraftRule[]>(initialOut);
  const [touched, setTouched] = useState<Set<string>>(new Set());
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const need = g ? 'securityGroups.update' : 'securityGroups.create';
  const invalid = [...rules, ...out].some((r) => sourceProblem(r.source) !== null);
  const save = async (e: Event) => {
    e.preventDefault();
    setTouched(new Set([...rules.map((_, i) => `inbound${i}`), ...out.map((_, i) => `outbound${i}`)]));
    if (invalid) return;
    setBusy(true); setError(null);
    try {
      const body: Record<string, unknown> = { name: name.trim(), description, inbound: rules.map(toRule) };
      // Outbound is sent only when edited, so an untouched new group keeps the server's default.
      const outbound = out.map(toRule);
      if (!sameRules(outbound, initialOut.map(toRule))) body.outbound = outbound;
      const saved = g ? await patch<SecurityGroup>(orgPath(org.slug, `/security-groups/${g.id}`), body)
        : await post<SecurityGroup>(orgPath(org.slug, '/security-groups'), body);
      props.onSaved(saved);
    } catch (err) { setError(err); } finally { setBusy(false); }
  };
  return (
    <section class="panel" data-testid="group-editor">
      <h2>{g ? `Edit ${g.name}` : 'New security group'}</h2>
      <form onSubmit={save} noValidate>
        <div class="grid2">
          <Field label="Group name" id="sg-name" error={error} field="name"><input id="sg-name" value={name} onInput={(e) => setName(e.currentTarget.value)} /></Field>
          <Field label="Description" id="sg-desc" error={error} field="description"><input id="sg-desc" value={description} onInput={(e) => setDescription(e.currentTarget.value)} /></Field>
        </div>
        <datalist id="source-words">{SOURCE_WORDS.map((w) => <option key={w} value={w} />)}</datalist>
        <h3>Inbound rules</h3>
        <RulesTable dir="inbound" rules={rules} setRules={setRules} touched={touched} setTouched={setTouched} error={error} />
        <h3>Outbound rules</h3>
        <p class="hint">Where the servers may connect to. Traffic no rule allows is dropped; replies to allowed inbound connections always pass.</p>
        <RulesTable dir="outbound" rules={out} setRules={setOut} touched={touched} setTouched={setTouched} error={error} />
        <ErrorOrLockout error={error} />
        <div class="row">
          <PermButton type="submit" kind="primary" allowed={can(need)} need={need} busy={busy}
            reason={invalid && touched.size > 0 ? 'Fix the highlighted sources first.' : undefined} testId="save-group">
            {busy ? 'Saving…' : 'Save group'}
          </PermButton>
          <button type="button" class="btn plain" onClick={props.onCancel}>Cancel</button>
        </div>
      </form>
    </section>
  );
}

// One direction's rules. Inbound rows are labelled "Rule N …" with a Source; outbound rows
// "Outbound N …" with a Destination (the API calls both `source`).
function RulesTable(props: {
  dir: 'inbound' | 'outbound'; rules: DraftRule[]; setRules: (r: DraftRule[]) => void;
  touched: Set<string>; setTouched: (t: Set<string>) => void; error: unknown;
}) {
  const { dir, rules, setRules, touched, error } = props;
  const out = dir === 'outbound';
  const word = out ? 'Destination' : 'Source';
  const L = (n: number) => (out ? `Outbound ${n}` : `Rule ${n}`);
  const setRule = (i: number, k: keyof DraftRule, v: string) => setRules(rules.map((r, j) => (j === i ? { ...r, [k]: v } : r)));
  const serverField = (i: number, k: string) => (error instanceof ApiError ? error.fields[`${dir}[${i}].${k}`] : undefined);
  return (
    <>
      <div class="table-wrap">
        <table class={`stack rules ${dir}`} data-testid={`${dir}-rules`}>
          <thead><tr><th>Type</th><th>Protocol / ports</th><th>{word}</th><th>Description</th><th><span class="sr-only">Remove</span></th></tr></thead>
          <tbody>
            {rules.length === 0 && (
              <tr><td colSpan={5} class="muted small">No {dir} rules: all {dir} traffic is dropped{out ? '' : ' (except what Wharf needs)'}.</td></tr>
            )}
            {rules.map((r, i) => {
              const t = RULE_TYPES.find((x) => x.type === r.type);
              const problem = sourceProblem(r.source);
              const local = touched.has(`${dir}${i}`) ? problem : null;
              const srvSource = serverField(i, 'source');
              const norm = !problem ? normalisedIpv4(r.source) : null;
              const n = i + 1;
              return (
                <tr key={i} data-rule={i}>
                  <td data-label="Type"><div class="cell">
                    <select aria-label={`${L(n)} type`} value={r.type} onChange={(e) => setRule(i, 'type', e.currentTarget.value)}>
                      {RULE_TYPES.map((x) => <option key={x.type} value={x.type}>{x.label}</option>)}
                    </select>
                    {serverField(i, 'type') && <p class="field-error">{serverField(i, 'type')}</p>}
                  </div></td>
                  <td data-label="Ports"><div class="cell">
                    {isCustom(r.type) ? (
                      <span class="ports">
                        <input class="port" aria-label={`${L(n)} from port`} inputMode="numeric" placeholder="from" value={r.from_port} onInput={(e) => setRule(i, 'from_port', e.currentTarget.value)} />
                        <input class="port" aria-label={`${L(n)} to port`} inputMode="numeric" placeholder="to" value={r.to_port} onInput={(e) => setRule(i, 'to_port', e.currentTarget.value)} />
                      </span>
                    ) : <span class="mono small">{t?.protocol}{t?.ports ? ` ${t.ports}` : ''}</span>}
                    {(serverField(i, 'from_port') || serverField(i, 'to_port')) && <p class="field-error">{serverField(i, 'from_port') ?? serverField(i, 'to_port')}</p>}
                  </div></td>
                  <td data-label={word}><div class="cell">
                    <input aria-label={`${L(n)} ${word.toLowerCase()}`} list="source-words" placeholder="203.0.113.0/24 or anywhere" value={r.source}
                      aria-invalid={local || srvSource ? 'true' : undefined} aria-describedby={`${dir}-${i}-src`}
                      onInput={(e) => setRule(i, 'source', e.currentTarget.value)} onBlur={() => props.setTouched(new Set([...touched, `${dir}${i}`]))} />
                    <span id={`${dir}-${i}-src`}>
                      {local ? <p class="field-error" data-testid="source-error">{word} {local}</p>
                        : srvSource ? <p class="field-error" data-testid="source-error">{word} {srvSource}</p>
                        : norm ? <p class="hint">Host bits set: will be stored as {norm}</p> : null}
                    </span>
                  </div></td>
                  <td data-label="Description"><input aria-label={`${L(n)} description`} value={r.description} onInput={(e) => setRule(i, 'description', e.currentTarget.value)} /></td>
                  <td class="actions">
                    <button type="button" class="btn plain small" aria-label={`Remove ${L(n).toLowerCase()}`} onClick={() => setRules(rules.filter((_, j) => j !== i))}>Remove</button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <div class="row">
        <button type="button" class="btn plain small" onClick={() => setRules([...rules, { ...blank(), type: out ? 'https' : 'ssh' }])}>
          {out ? '+ Add outbound rule' : '+ Add rule'}
        </button>
      </div>
    </>
  );
}
