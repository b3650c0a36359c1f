// The invitation landing page (/invite/{token}). Opening it only reads the invitation (GET, which
// never consumes it); joining is an explicit click that POSTs accept.
import { useState } from 'preact/hooks';
import { get, post } from '../api';
import { ErrorBox, Loading, fmtTime } from '../components';
import { useLoad } from '../hooks';
import { navigate } from '../router';
import { useSession } from '../session';

interface Peek { org: { slug: string; name: string }; role: { name: string }; email: string; expires_at: string }

export function InvitePage(props: { token: string }) {
  const { me, reload, signOut } = useSession();
  const inv = useLoad(() => get<Peek>(`/api/v1/invitations/${encodeURIComponent(props.token)}`), [props.token]);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  if (inv.error)
    return (
      <section class="card auth">
        <h1>Invitation</h1>
        <ErrorBox error={inv.error} />
        <p>Ask the person who invited you for a fresh link.</p>
      </section>
    );
  if (!inv.data) return <Loading />;
  const d = inv.data;
  const join = async () => {
    setBusy(true);
    setError(null);
    try {
      const r = await post<{ org: { slug: string } }>(`/api/v1/invitations/${encodeURIComponent(props.token)}/accept`);
      await reload();
      navigate(`/o/${r.org.slug}`);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const sameUser = me && me.user.email.toLowerCase() === d.email.toLowerCase();
  const signupHref = `/signup?invitation=${encodeURIComponent(props.token)}`;
  const loginHref = `/login?next=${encodeURIComponent(`/invite/${props.token}`)}`;
  return (
    <section class="card auth invite">
      <h1>Join {d.org.name}</h1>
      <dl class="facts">
        <dt>Organisation</dt>
        <dd data-testid="invite-org">{d.org.name} <span class="muted">({d.org.slug})</span></dd>
        <dt>Role</dt>
        <dd data-testid="invite-role">{d.role.name}</dd>
        <dt>Invited email</dt>
        <dd>{d.email}</dd>
        <dt>Expires</dt>
        <dd data-testid="invite-expiry"><time dateTime={d.expires_at}>{fmtTime(d.expires_at)}</time></dd>
      </dl>
      <ErrorBox error={error} />
      {sameUser && (
        <button type="button" class="btn primary" onClick={join} disabled={busy}>
          {busy ? 'Joining…' : 'Join'}
        </button>
      )}
      {me && !sameUser && (
        <div class="alert warn">
          <p>
            This invitation is for <strong>{d.email}</strong>, but you are signed in as <strong>{me.user.email}</strong>.
          </p>
          <button type="button" class="btn plain" onClick={() => signOut().then(() => navigate(loginHref))}>
            Sign out and use the invited account
          </button>
        </div>
      )}
      {!me && (
        <div class="row">
          <a class="btn primary" href={signupHref}>
            Join: create an account
          </a>
          <a class="btn plain" href={loginHref}>
            I have an account: sign in
          </a>
        </div>
      )}
      <p class="muted small">Opening this page does not use up the invitation.</p>
    </section>
  );
}
