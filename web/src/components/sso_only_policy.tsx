// Team → Single sign-on only: an Admin makes members sign in only through one identity provider,
// naming a break-glass Admin who keeps password sign-in (docs/authentication.md, "SSO-only
// organisations"). Turning it on needs step-up and ends members' other sessions.
import { useState } from 'preact/hooks';
import { get, orgPath, request } from '../api';
import { useLoad } from '../hooks';
import { useOrg } from '../session';
import { ErrorBox } from './index';

interface UserBrief { id: string; email: string; name: string }
interface SsoOnly { enabled: boolean; provider: string | null; provider_display_name: string | null; start_url: string | null; break_glass: UserBrief | null }
interface Providers { items: { name: string; display_name: string }[] }
interface Members { items: { user: UserBrief }[] }

export function SsoOnlyPolicy() {
  const { org, isAdmin } = useOrg();
  const status = useLoad(() => get<SsoOnly>(orgPath(org.slug, '/sso-only')), [org.slug]);
  const providers = useLoad(() => get<Providers>('/api/v1/auth/sso/providers'), []);
  const members = useLoad(() => get<Members>(orgPath(org.slug, '/two-factor')), [org.slug]);
  const [provider, setProvider] = useState('');
  const [breakGlass, setBreakGlass] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [note, setNote] = useState<string | null>(null);
  const s = status.data;
  if (!s) return null;
  const idps = providers.data?.items ?? [];
  if (!s.enabled && idps.length === 0) return null;  // nothing to choose from
  const save = async (enabled: boolean) => {
    setError(null);
    setNote(null);
    try {
      const body = enabled ? { enabled, provider: provider || idps[0]?.name, break_glass_user_id: breakGlass } : { enabled };
      const r = await request<SsoOnly & { sessions_ended: number }>('PUT', orgPath(org.slug, '/sso-only'), body);
      if (enabled) setNote(`${r.sessions_ended} session(s) not opened through the provider were ended.`);
      status.reload();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <section class="panel" data-testid="sso-only-policy">
      <h2>Single sign-on only</h2>
      {s.enabled ? (
        <>
          <p data-testid="sso-only-state">
            Members sign in only through <strong>{s.provider_display_name}</strong>. Break-glass Admin:{' '}
            {s.break_glass ? `${s.break_glass.name} (${s.break_glass.email})` : '(account gone)'}, who may still sign in with a password.
          </p>
          {isAdmin && <button type="button" data-testid="sso-only-off" onClick={() => save(false)}>Allow other sign-in methods</button>}
        </>
      ) : (
        <>
          <p class="muted">Members sign in with any method. Turning this on refuses passwords and passkeys for everyone but the break-glass Admin, and ends their sessions not opened through the provider. API tokens keep working.</p>
          {isAdmin && (
            <form class="inline-form" onSubmit={(e) => { e.preventDefault(); save(true); }}>
              <label>Identity provider{' '}
                <select name="provider" value={provider || idps[0]?.name} onChange={(e) => setProvider(e.currentTarget.value)}>
                  {idps.map((p) => <option key={p.name} value={p.name}>{p.display_name}</option>)}
                </select>
              </label>{' '}
              <label>Break-glass Admin{' '}
                <select name="break_glass_user_id" value={breakGlass} onChange={(e) => setBreakGlass(e.currentTarget.value)}>
                  <option value="">(choose an Admin)</option>
                  {(members.data?.items ?? []).map((m) => <option key={m.user.id} value={m.user.id}>{m.user.name} ({m.user.email})</option>)}
                </select>
              </label>{' '}
              <button type="submit" data-testid="sso-only-on">Require single sign-on</button>
            </form>
          )}
        </>
      )}
      {note && <p class="muted" data-testid="sso-only-note">{note}</p>}
      <ErrorBox error={error} onDismiss={() => setError(null)} />
    </section>
  );
}
