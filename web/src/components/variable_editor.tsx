// The variable editor of a service (docs/applications.md, Variables): a KEY / value table saved in
// one PUT. Values are templates: plain text, `{{ secret(LEN, "CHARSET") }}` and `{{ svc.VAR }}`.
// An insert helper writes a reference picked from the application's services and their variables
// (built-ins included) or a secret() with a length and charset at the caret. What secret()
// generated is never sent to the browser: a row shows each as masked dots with its length, and
// "Regenerate" (confirmed) asks the server for new values. The server's 400s (cycle, unknown
// service or variable, bad syntax with the position, bad key) are shown on the row they name.
import { useRef, useState } from 'preact/hooks';
import { orgPath, post, request } from '../api';
import type { Service, Variable } from '../apps';
import { ErrorBox, Notice, PermButton } from './index';
import { useOrg } from '../session';
import {
  CHARSETS, bulkBody, insertAt, isDirty, keyProblem, parseTemplate, refExpr, referenceTargets, removedKeys, rowErrors, rowsOf,
  secretExpr, secretProblem, secretsSaved, type Row,
} from '../variables';

type Sel = { start: number; end: number };

export function VariableEditor(props: { svc: Service; services: Service[]; onSaved: (vars: Variable[]) => void }) {
  const { org, can } = useOrg();
  const s = props.svc;
  const upd = can('services.update');
  const [saved, setSaved] = useState<Variable[]>(s.variables);
  const [rows, setRows] = useState<Row[]>(() => (s.variables.length ? rowsOf(s.variables) : [{ key: '', value: '' }]));
  const [error, setError] = useState<unknown>(null);
  const [note, setNote] = useState<string | null>(null);
  const [busy, setBusy] = useState('');
  const [helper, setHelper] = useState<number | null>(null);
  const sel = useRef(new Map<number, Sel>());
  const { byRow, rest } = rowErrors(error, rows);
  const dirty = isDirty(saved, rows);
  const removed = removedKeys(saved, rows);
  const V = (rest = '') => orgPath(org.slug, `/services/${s.id}/variables${rest}`);

  const setRow = (i: number, r: Partial<Row>) => setRows(rows.map((x, j) => (j === i ? { ...x, ...r } : x)));
  const remember = (i: number) => (e: Event) => {
    const t = e.currentTarget as HTMLTextAreaElement;
    sel.current.set(i, { start: t.selectionStart, end: t.selectionEnd });
  };
  const insert = (i: number, text: string) => {
    const at = sel.current.get(i);
    const r = insertAt(rows[i].value, at?.start, at?.end, text);
    setRow(i, { value: r.value });
    sel.current.set(i, { start: r.caret, end: r.caret });
  };
  const applied = (items: Variable[], msg: string) => {
    setSaved(items);
    setRows(items.length ? rowsOf(items) : [{ key: '', value: '' }]);
    setError(null);
    setNote(msg);
    props.onSaved(items);
  };
  const save = async () => {
    setBusy('save'); setError(null);
    try {
      const res = await request<{ items: Variable[] }>('PUT', V(), bulkBody(rows));
      applied(res.items, `Variables of ${s.name} saved${removed.length ? `; the next deploy unsets ${removed.join(', ')}` : ''}.`);
    } catch (e) { setError(e); } finally { setBusy(''); }
  };
  const regenerate = async (key: string) => {
    if (!confirm(`Generate new values for the secret() of ${key}? The old value stops working once the service is deployed again.`)) return;
    setBusy('regen'); setError(null);
    try {
      const res = await post<{ items: Variable[] }>(V('/regenerate'), { keys: [key] });
      applied(res.items, `New secret generated for ${key}. Deploy to apply it.`);
    } catch (e) { setError(e); } finally { setBusy(''); }
  };

  // What {{ svc.VAR }} can name; this service's own keys as currently typed.
  const targets = referenceTargets(props.services.map((x) => (x.id === s.id ? { ...x, variables: rows.filter((r) => r.key.trim()).map((r) => ({ key: r.key.trim(), value: r.value, secrets: [], references: [] })) } : x)));

  return (
    <section class="panel" data-testid="variables">
      <h2>Variables</h2>
      <p class="muted small">
        Stored encrypted and set on the server by the next deploy. A value can hold <code>{'{{ secret(32) }}'}</code> (generated
        once, kept across edits) and references to other services like <code>{'{{ db.DATABASE_URL }}'}</code>, resolved by Wharf.
        Generated values are never shown here.
      </p>
      <Notice text={note} onDone={() => setNote(null)} />
      {!upd && saved.length === 0 ? <p class="muted">No variables yet.</p> : <div class="table-wrap"><table class="stack vars">
        <thead><tr><th>Key</th><th>Value</th><th><span class="sr-only">Actions</span></th></tr></thead>
        <tbody>
          {rows.map((r, i) => {
            const err = byRow.get(i);
            const local = r.key.trim() ? keyProblem(r.key.trim()) : null;
            const errId = `var-err-${i}`;
            const label = r.key.trim() || `row ${i + 1}`;
            return (
              <tr key={i} data-var={r.key.trim()} class={err ? 'has-error' : undefined}>
                <td data-label="Key" class="var-key">
                  <input class="mono" aria-label={`Key of ${label}`} value={r.key} readOnly={!upd} spellcheck={false}
                    aria-invalid={err || local ? 'true' : undefined} aria-describedby={err ? errId : undefined}
                    onInput={(e) => setRow(i, { key: e.currentTarget.value })} data-testid="var-key" />
                  {local && !err && <p class="hint" data-testid="var-key-hint">{local}</p>}
                </td>
                <td data-label="Value" class="var-value">
                  <textarea class="mono" rows={1} aria-label={`Value of ${label}`} value={r.value} readOnly={!upd} spellcheck={false}
                    aria-invalid={err ? 'true' : undefined} aria-describedby={err ? errId : undefined}
                    onInput={(e) => { setRow(i, { value: e.currentTarget.value }); remember(i)(e); }}
                    onSelect={remember(i)} onKeyUp={remember(i)} onClick={remember(i)} data-testid="var-value" />
                  <Parts row={r} />
                  {err && <p class="field-error" id={errId} role="alert" data-testid="var-error">{err}</p>}
                  {secretsSaved(r) && (
                    <PermButton allowed={upd} need="services.update" busy={busy !== ''} label={`Regenerate the secret of ${r.key}`}
                      onClick={() => regenerate(r.key)} testId="regenerate">Regenerate</PermButton>
                  )}
                  {helper === i && upd && (
                    <InsertHelper targets={targets} onInsert={(t) => insert(i, t)} onClose={() => setHelper(null)} />
                  )}
                </td>
                <td class="actions">
                  <PermButton allowed={upd} need="services.update" label={`Insert into ${label}`} onClick={() => setHelper(helper === i ? null : i)} testId="insert">Insert…</PermButton>
                  <PermButton allowed={upd} need="services.update" kind="danger" label={`Remove ${label}`}
                    onClick={() => { setRows(rows.length > 1 ? rows.filter((_, j) => j !== i) : [{ key: '', value: '' }]); setHelper(null); }}>Remove</PermButton>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table></div>}
      {removed.length > 0 && (
        <p class="alert warn small" data-testid="removed-keys">Saving removes <code>{removed.join(', ')}</code>: the next deploy unsets them on the server.</p>
      )}
      {rest.length > 0 ? (
        <div class="alert error" role="alert">{rest.map((m) => <p key={m}>{m}</p>)}</div>
      ) : byRow.size > 0 ? (
        <p class="alert error" role="alert">Check the variables marked above: nothing was saved.</p>
      ) : <ErrorBox error={error} onDismiss={() => setError(null)} />}
      <div class="row">
        <PermButton allowed={upd} need="services.update" onClick={() => { setRows([...rows, { key: '', value: '' }]); }} testId="add-variable">Add variable</PermButton>
        <PermButton allowed={upd} need="services.update" kind="primary" busy={busy !== ''} reason={upd && !dirty ? 'No changes to save.' : undefined}
          onClick={save} testId="save-variables">{busy === 'save' ? 'Saving…' : 'Save variables'}</PermButton>
        {dirty && upd && (
          <button type="button" class="btn plain" onClick={() => { setRows(saved.length ? rowsOf(saved) : [{ key: '', value: '' }]); setError(null); }}>Discard changes</button>
        )}
      </div>
    </section>
  );
}

// Chips under a value: each secret() masked with its length (generated or "on save"), each reference.
function Parts(props: { row: Row }) {
  const parts = parseTemplate(props.row.value).filter((p) => p.kind === 'secret' || p.kind === 'ref');
  if (!parts.length) return null;
  const generated = secretsSaved(props.row);
  return (
    <ul class="chips" aria-label="Expressions">
      {parts.map((p, j) => p.kind === 'secret' ? (
        <li key={j} class="chip secret" data-testid="secret-chip">
          <span aria-hidden="true">••••••••</span> secret, {p.length} characters{p.charset ? ` of "${p.charset}"` : ''} · {generated ? 'generated, hidden' : 'generated on save'}
        </li>
      ) : p.kind === 'ref' ? (
        <li key={j} class="chip ref" data-testid="ref-chip">→ {p.service}.{p.variable}</li>
      ) : null)}
    </ul>
  );
}

// Writes a reference (service → variable picker) or a secret() (length, charset) into the row.
function InsertHelper(props: { targets: { service: string; variables: string[] }[]; onInsert: (text: string) => void; onClose: () => void }) {
  const [svc, setSvc] = useState(props.targets[0]?.service ?? '');
  const vars = props.targets.find((t) => t.service === svc)?.variables ?? [];
  const [v, setV] = useState('');
  const variable = vars.includes(v) ? v : vars[0] ?? '';
  const [len, setLen] = useState('32');
  const [cs, setCs] = useState('alnum');
  const [custom, setCustom] = useState('');
  const charset = cs === 'custom' ? custom : CHARSETS.find((c) => c.id === cs)?.chars ?? null;
  const problem = secretProblem(Number(len), charset);
  return (
    <div class="insert-helper" data-testid="insert-helper">
      <fieldset>
        <legend>Reference another service's variable</legend>
        <div class="row tight">
          <select aria-label="Service" value={svc} onChange={(e) => { setSvc(e.currentTarget.value); setV(''); }}>
            {props.targets.map((t) => <option key={t.service} value={t.service}>{t.service}</option>)}
          </select>
          <select aria-label="Variable" value={variable} onChange={(e) => setV(e.currentTarget.value)}>
            {vars.map((x) => <option key={x} value={x}>{x}</option>)}
          </select>
          <button type="button" class="btn small" disabled={!svc || !variable} onClick={() => props.onInsert(refExpr(svc, variable))} data-testid="insert-reference">
            Insert {svc && variable ? refExpr(svc, variable) : 'reference'}
          </button>
        </div>
      </fieldset>
      <fieldset>
        <legend>Generated secret</legend>
        <div class="row tight">
          <label class="inline-label">Length <input class="num" inputMode="numeric" aria-label="Secret length" value={len} onInput={(e) => setLen(e.currentTarget.value)} /></label>
          <select aria-label="Charset" value={cs} onChange={(e) => setCs(e.currentTarget.value)}>
            {CHARSETS.map((c) => <option key={c.id} value={c.id}>{c.label}</option>)}
          </select>
          {cs === 'custom' && <input class="mono custom-charset" aria-label="Custom charset" value={custom} onInput={(e) => setCustom(e.currentTarget.value)} />}
          <button type="button" class="btn small" disabled={!!problem} onClick={() => props.onInsert(secretExpr(Number(len), charset))} data-testid="insert-secret">
            Insert secret()
          </button>
        </div>
        {problem && <p class="hint">{problem}</p>}
      </fieldset>
      <button type="button" class="btn plain small" onClick={props.onClose}>Close</button>
    </div>
  );
}
