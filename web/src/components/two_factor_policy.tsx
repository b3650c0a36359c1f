// Team → Two-factor sign-in: the org policy "require two-factor" (Admins turn it on once they
// have a factor themselves) and which members have no second factor yet.
import { useState } from 'preact/hooks';
import { get, orgPath, patch } from '../api';
import { useLoad } from '../hooks';
import { useOrg } from '../session';
import { ErrorBox } from './index';

interface Status { require_two_factor: boolean; items: { user: { id: string; email: string; name: string }; two_factor: boolean }[] }

export function TwoFactorPolicy() {
  const { org, isAdmin } = useOrg();
  const status = useLoad(() => get<Status>(orgPath(org.slug, '/two-factor')), [org.slug]);
  const [error, setError] = useState<unknown>(null);
  // What the box shows while the change is on its way (a controlled box would otherwise snap back
  // to the old value until the status reloads).
  const [pending, setPending] = useState<boolean | null>(null);
  const s = status.data;
  if (!s) return null;
  const lacking = s.items.filter((m) => !m.two_factor);
  const toggle = async (on: boolean) => {
    setError(null);
    setPending(on);
    try {
      await patch(orgPath(org.slug), { require_two_factor: on });
      status.reload();
    } catch (err) {
      setError(err);
      setPending(null);
    }
  };
  return (
    <section class="panel" data-testid="two-factor-policy">
      <h2>Two-factor sign-in</h2>
      <label>
        <input type="checkbox" checked={pending ?? s.require_two_factor} disabled={!isAdmin} onChange={(e) => toggle(e.currentTarget.checked)} />
        {' '}Require a second factor of every member (API tokens keep working)
      </label>
      <ErrorBox error={error} onDismiss={() => setError(null)} />
      {lacking.length === 0 ? <p class="muted">Every member has a second factor.</p> : (
        <>
          <p>Without a second factor{s.require_two_factor ? ' (they can only enrol until they add one)' : ''}:</p>
          <ul data-testid="lacking-two-factor">{lacking.map((m) => <li key={m.user.id}>{m.user.name} ({m.user.email})</li>)}</ul>
        </>
      )}
    </section>
  );
}
