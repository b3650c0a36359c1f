// Account → API tokens: create (the value is shown once, then only its name), list, revoke; and
// "Sign out everywhere" (POST /auth/logout-all: every session of the account, every browser).
import { useState } from 'preact/hooks';
import { del, get, post, type ApiToken, type List } from '../api';
import { ErrorBox, Field, Loading, Notice, PageTitle, copyText, fmtTime } from '../components';
import { useLoad } from '../hooks';
import { useSession } from '../session';

export function TokensPage() {
  const { me, signOut } = useSession();
  const tokens = useLoad(() => get<List<ApiToken>>('/api/v1/me/tokens'), []);
  const [name, setName] = useState('');
  const [org, setOrg] = useState(me?.orgs[0]?.slug ?? '');
  const [days, setDays] = useState('90');
  const [fresh, setFresh] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [note, setNote] = useState<string | null>(null);
  const create = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      const body: Record<string, unknown> = { name, org };
      if (days) body.expires_in_days = Number(days);
      const r = await post<{ token: string }>('/api/v1/me/tokens', body);
      setFresh(r.token);
      setName('');
      tokens.reload();
    } catch (err) {
      setError(err);
    }
  };
  const revoke = async (t: ApiToken) => {
    if (!confirm(`Revoke the token ${t.name}? Scripts using it stop working.`)) return;
    try {
      await del(`/api/v1/me/tokens/${t.id}`);
      setNote(`Token ${t.name} revoked.`);
      tokens.reload();
    } catch (err) {
      setError(err);
    }
  };
  const signOutEverywhere = async () => {
    if (!confirm('Sign out of Wharf in every browser and on every machine? API tokens stay valid.')) return;
    setError(null);
    try {
      await post('/api/v1/auth/logout-all');
      await signOut();  // this tab's session is gone too: clear it and go to sign-in
    } catch (err) {
      setError(err);
    }
  };
  return (
    <>
      <PageTitle actions={<button type="button" class="btn danger" onClick={signOutEverywhere} data-testid="logout-all">Sign out everywhere</button>}>API tokens</PageTitle>
      <p class="muted">A token acts as you in one organisation, never beyond your role there. Use it as <code>Authorization: Bearer …</code>.</p>
      <Notice text={note} onDone={() => setNote(null)} />
      <ErrorBox error={error} onDismiss={() => setError(null)} />
      {fresh && (
        <div class="alert info" role="status">
          <p><strong>Copy this token now.</strong> It is shown only once.</p>
          <input readOnly class="mono" aria-label="New API token" value={fresh} onFocus={(e) => e.currentTarget.select()} />
          <div class="row">
            <button type="button" class="btn plain" onClick={async () => { if (await copyText(fresh)) setNote('Token copied to the clipboard.'); }}>Copy</button>
            <button type="button" class="btn plain" onClick={() => setFresh(null)}>Done, hide it</button>
          </div>
        </div>
      )}
      <section class="panel">
        <h2>New token</h2>
        <form class="invite-form" onSubmit={create} noValidate>
          <Field label="Name" id="token-name" error={error} field="name">
            <input id="token-name" required value={name} onInput={(e) => setName(e.currentTarget.value)} />
          </Field>
          <Field label="Organisation" id="token-org" error={error} field="org">
            <select id="token-org" value={org} onChange={(e) => setOrg(e.currentTarget.value)}>
              {me?.orgs.map((o) => <option key={o.slug} value={o.slug}>{o.name}</option>)}
            </select>
          </Field>
          <Field label="Expires in (days)" id="token-days" error={error} field="expires_in_days">
            <input id="token-days" type="number" min={1} value={days} onInput={(e) => setDays(e.currentTarget.value)} />
          </Field>
          <div class="field submit"><button class="btn primary" type="submit">Create token</button></div>
        </form>
      </section>
      <section class="panel">
        <h2>Your tokens</h2>
        {tokens.error ? <ErrorBox error={tokens.error} /> : !tokens.data ? <Loading /> : tokens.data.items.length === 0 ? <p class="muted">No tokens.</p> : (
          <div class="table-wrap">
            <table class="stack">
              <thead><tr><th>Name</th><th>Organisation</th><th>Expires</th><th>Last used</th><th><span class="sr-only">Actions</span></th></tr></thead>
              <tbody>
                {tokens.data.items.map((t) => (
                  <tr key={t.id}>
                    <td data-label="Name">{t.name}</td><td data-label="Organisation">{t.org}</td><td data-label="Expires">{fmtTime(t.expires_at)}</td><td data-label="Last used">{fmtTime(t.last_used_at)}</td>
                    <td class="actions"><button type="button" class="btn danger" onClick={() => revoke(t)} aria-label={`Revoke token ${t.name}`}>Revoke</button></td>
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
