// The instance administrator's identity providers (OpenID Connect single sign-on): add, edit and
// remove them, with their mapping rules. The client secret is write-only: the page only shows
// whether one is set, and an empty secret field on edit keeps the stored one. The same as
// `wharf admin idp …` on the server (docs/authentication.md).
import { useState } from 'preact/hooks';
import { del, get, patch, post, type List } from '../api';
import { ErrorBox, Field, Loading, Notice, PageTitle } from '../components';
import { useLoad } from '../hooks';
import { useSession } from '../session';

interface Mapping { claim: string; value: string; org: string; role_id: string }
interface Provider {
  id: string; name: string; display_name: string; issuer: string; client_id: string; client_secret: { set: boolean };
  scopes: string[]; allowed_domains: string[]; mappings: Mapping[]; callback_url: string;
}

const words = (s: string) => s.split(/[\s,]+/).map((w) => w.trim()).filter(Boolean);

function ProviderForm(props: { existing?: Provider; onDone: (saved: Provider | null) => void }) {
  const p = props.existing;
  const [name, setName] = useState(p?.name ?? '');
  const [displayName, setDisplayName] = useState(p?.display_name ?? '');
  const [issuer, setIssuer] = useState(p?.issuer ?? '');
  const [clientId, setClientId] = useState(p?.client_id ?? '');
  const [secret, setSecret] = useState('');
  const [clearSecret, setClearSecret] = useState(false);
  const [scopes, setScopes] = useState((p?.scopes ?? ['openid', 'email', 'profile']).join(' '));
  const [domains, setDomains] = useState((p?.allowed_domains ?? []).join(' '));
  const [maps, setMaps] = useState<Mapping[]>(p?.mappings ?? []);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const setMap = (i: number, k: keyof Mapping, v: string) => setMaps(maps.map((m, j) => (j === i ? { ...m, [k]: v } : m)));
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const body: Record<string, unknown> = {
        name, display_name: displayName || name, issuer, client_id: clientId, scopes: words(scopes),
        allowed_domains: words(domains), mappings: maps,
      };
      if (secret) body.client_secret = secret;
      else if (clearSecret) body.client_secret = '';
      const saved = p ? await patch<Provider>(`/api/v1/admin/identity-providers/${encodeURIComponent(p.id)}`, body)
        : await post<Provider>('/api/v1/admin/identity-providers', body);
      setSecret('');
      props.onDone(saved);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="panel" onSubmit={submit} noValidate data-testid="idp-form">
      <h2>{p ? `Edit ${p.name}` : 'Add an identity provider'}</h2>
      <Field label="Name (in the callback URL)" id="idp-name" error={error} field="name">
        <input id="idp-name" required value={name} onInput={(e) => setName(e.currentTarget.value)} />
      </Field>
      <Field label="Button text" id="idp-display" error={error} field="display_name">
        <input id="idp-display" value={displayName} onInput={(e) => setDisplayName(e.currentTarget.value)} />
      </Field>
      <Field label="Issuer" id="idp-issuer" hint="exactly as the provider's tokens say it, no trailing slash" error={error} field="issuer">
        <input id="idp-issuer" required value={issuer} onInput={(e) => setIssuer(e.currentTarget.value)} />
      </Field>
      <Field label="Client id" id="idp-client-id" error={error} field="client_id">
        <input id="idp-client-id" required value={clientId} onInput={(e) => setClientId(e.currentTarget.value)} />
      </Field>
      <Field label="Client secret" id="idp-secret" hint={p?.client_secret.set ? 'set; leave empty to keep it' : 'none: a public client with PKCE'} error={error} field="client_secret">
        <input id="idp-secret" type="password" autoComplete="off" value={secret} onInput={(e) => setSecret(e.currentTarget.value)} />
      </Field>
      {p?.client_secret.set && (
        <label><input type="checkbox" checked={clearSecret} onChange={(e) => setClearSecret(e.currentTarget.checked)} /> Remove the stored secret</label>
      )}
      <Field label="Scopes" id="idp-scopes" error={error} field="scopes">
        <input id="idp-scopes" value={scopes} onInput={(e) => setScopes(e.currentTarget.value)} />
      </Field>
      <Field label="Allowed email domains" id="idp-domains" hint="empty: any domain" error={error} field="allowed_domains">
        <input id="idp-domains" value={domains} onInput={(e) => setDomains(e.currentTarget.value)} />
      </Field>
      <h3>Mapping rules</h3>
      <p class="muted">A rule matches when the ID token's claim equals the value or, for a list such as <code>groups</code>, contains it (<code>email_domain</code> matches the email's domain). The first matching rule per organisation gives the role.</p>
      <table class="stack" data-testid="idp-mappings">
        <thead><tr><th>Claim</th><th>Value</th><th>Organisation</th><th>Role id</th><th><span class="sr-only">Remove</span></th></tr></thead>
        <tbody>
          {maps.map((m, i) => (
            <tr key={i}>
              <td><input aria-label={`Rule ${i + 1} claim`} value={m.claim} onInput={(e) => setMap(i, 'claim', e.currentTarget.value)} /></td>
              <td><input aria-label={`Rule ${i + 1} value`} value={m.value} onInput={(e) => setMap(i, 'value', e.currentTarget.value)} /></td>
              <td><input aria-label={`Rule ${i + 1} organisation`} value={m.org} onInput={(e) => setMap(i, 'org', e.currentTarget.value)} /></td>
              <td><input aria-label={`Rule ${i + 1} role id`} value={m.role_id} onInput={(e) => setMap(i, 'role_id', e.currentTarget.value)} /></td>
              <td><button type="button" class="btn plain small" onClick={() => setMaps(maps.filter((_, j) => j !== i))}>Remove</button></td>
            </tr>
          ))}
        </tbody>
      </table>
      <p><button type="button" class="btn plain small" onClick={() => setMaps([...maps, { claim: 'groups', value: '', org: '', role_id: '' }])}>Add a rule</button></p>
      <ErrorBox error={error} />
      <button class="btn primary" type="submit" disabled={busy}>{busy ? 'Saving…' : 'Save'}</button>{' '}
      <button class="btn plain" type="button" onClick={() => props.onDone(null)}>Cancel</button>
    </form>
  );
}

export function IdentityProvidersPage() {
  const { me } = useSession();
  const list = useLoad(() => get<List<Provider>>('/api/v1/admin/identity-providers'), []);
  const [editing, setEditing] = useState<Provider | 'new' | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [note, setNote] = useState<string | null>(null);
  if (!me?.user.instance_admin) return <p class="alert warn">Only the instance administrator manages identity providers.</p>;
  const remove = async (p: Provider) => {
    setError(null);
    if (!confirm(`Remove the identity provider ${p.name}? Its users sign in another way from now on.`)) return;
    try {
      await del(`/api/v1/admin/identity-providers/${encodeURIComponent(p.id)}`);
      setNote(`${p.name} removed.`);
      list.reload();
    } catch (err) { setError(err); }
  };
  return (
    <>
      <PageTitle actions={!editing && <button class="btn primary" type="button" onClick={() => setEditing('new')}>Add a provider</button>}>Identity providers</PageTitle>
      <Notice text={note} onDone={() => setNote(null)} />
      <ErrorBox error={error ?? list.error} onDismiss={() => setError(null)} />
      {editing && (
        <ProviderForm existing={editing === 'new' ? undefined : editing} onDone={(saved) => {
          setEditing(null);
          if (saved) {
            setNote(`${saved.name} saved. Register ${saved.callback_url} at the provider.`);
            list.reload();
          }
        }} />
      )}
      {!list.data ? <Loading /> : list.data.items.length === 0 ? <p class="muted">No identity providers yet.</p> : (
        <div class="table-wrap">
          <table class="stack" data-testid="identity-providers">
            <thead><tr><th>Name</th><th>Issuer</th><th>Client</th><th>Rules</th><th><span class="sr-only">Actions</span></th></tr></thead>
            <tbody>
              {list.data.items.map((p) => (
                <tr key={p.id}>
                  <td data-label="Name">{p.display_name} <code>{p.name}</code></td>
                  <td data-label="Issuer">{p.issuer}<br /><small>callback: <code>{p.callback_url}</code></small></td>
                  <td data-label="Client">{p.client_id} · secret {p.client_secret.set ? 'set' : 'none'}</td>
                  <td data-label="Rules">{p.mappings.map((m, i) => <div key={i}>{m.claim} = {m.value} → {m.org}</div>)}</td>
                  <td class="actions">
                    <button type="button" class="btn plain small" onClick={() => setEditing(p)} aria-label={`Edit ${p.name}`}>Edit</button>
                    <button type="button" class="btn danger small" onClick={() => remove(p)} aria-label={`Remove ${p.name}`}>Remove</button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
