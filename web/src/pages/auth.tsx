// Sign in and sign up. Sign-up from an invitation link prefills (and locks) the invited email and
// joins the org in the same request.
import { useEffect, useState } from 'preact/hooks';
import { get, post, setCsrf } from '../api';
import { ErrorBox, Field } from '../components';
import { navigate, useLocation } from '../router';
import { useSession } from '../session';

function safeNext(next: string | null): string {
  return next && next.startsWith('/') && !next.startsWith('//') ? next : '/';
}

export function LoginPage() {
  const { query } = useLocation();
  const { reload } = useSession();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const next = safeNext(query.get('next'));
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const r = await post<{ csrf_token: string }>('/api/v1/auth/login', { email, password, cookie_only: true });
      setCsrf(r.csrf_token);
      setPassword('');
      await reload();
      navigate(next);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="card auth">
      <h1>Sign in to Wharf</h1>
      <form onSubmit={submit} noValidate>
        <Field label="Email" id="login-email" error={error} field="email">
          <input id="login-email" type="email" autoComplete="username" required value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
        </Field>
        <Field label="Password" id="login-password" error={error} field="password">
          <input id="login-password" type="password" autoComplete="current-password" required value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        </Field>
        <ErrorBox error={error} />
        <button class="btn primary" type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      <p>
        <a href="/forgot-password">Forgot your password?</a>
      </p>
      <p>
        New here? <a href={`/signup${query.get('next') ? `?next=${encodeURIComponent(next)}` : ''}`}>Create an account</a>
      </p>
    </section>
  );
}

export function SignupPage() {
  const { query } = useLocation();
  const { reload } = useSession();
  const invitation = query.get('invitation');
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [invited, setInvited] = useState<{ org: { name: string }; role: { name: string }; email: string } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  // Without an invitation, the instance's sign-up policy may have closed sign-up.
  const [signupClosed, setSignupClosed] = useState(false);
  const [sent, setSent] = useState<string | null>(null);
  useEffect(() => {
    if (invitation) return;
    get<{ signup_open: boolean }>('/api/v1/auth/config').then((c) => setSignupClosed(!c.signup_open), () => {});
  }, [invitation]);
  useEffect(() => {
    if (!invitation) return;
    get(`/api/v1/invitations/${encodeURIComponent(invitation)}`).then(
      (inv) => {
        setInvited(inv);
        setEmail(inv.email);
      },
      setError,
    );
  }, [invitation]);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const body: Record<string, unknown> = { name, email, password, cookie_only: true };
      if (invitation) body.invitation_token = invitation;
      const r = await post<{ csrf_token: string; org: { slug: string }; status?: string; message?: string }>('/api/v1/auth/signup', body);
      if (r.status === 'check_email') {
        // Open sign-up with email: the same answer for new and taken addresses; sign in next.
        setPassword('');
        setSent(r.message ?? 'Check your email.');
        return;
      }
      setCsrf(r.csrf_token);
      setPassword('');
      await reload();
      // With an invitation, `org` is the org just joined; otherwise the new personal org.
      navigate(!invitation && query.get('next') ? safeNext(query.get('next')) : `/o/${r.org.slug}`);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="card auth">
      <h1>Create your Wharf account</h1>
      {sent && (
        <p class="alert info" data-testid="signup-check-email">
          {sent} Then <a href="/login">sign in</a>.
        </p>
      )}
      {signupClosed && (
        <p class="alert warn" data-testid="signup-closed">
          Sign-up on this instance is closed: new accounts join through an invitation. Ask an admin of the
          organisation you want to join for an invitation, then open its link.
        </p>
      )}
      {invited && (
        <p class="alert info">
          You are joining <strong>{invited.org.name}</strong> as <strong>{invited.role.name}</strong>.
        </p>
      )}
      <form onSubmit={submit} noValidate>
        <Field label="Name" id="signup-name" error={error} field="name">
          <input id="signup-name" autoComplete="name" required value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </Field>
        <Field label="Email" id="signup-email" error={error} field="email" hint={invited ? 'The invitation is for this address.' : undefined}>
          <input id="signup-email" type="email" autoComplete="username" required readOnly={!!invited} value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
        </Field>
        <Field label="Password" id="signup-password" error={error} field="password" hint="At least 10 characters.">
          <input id="signup-password" type="password" autoComplete="new-password" required minLength={10} value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        </Field>
        <ErrorBox error={error} />
        <button class="btn primary" type="submit" disabled={busy || signupClosed}>
          {busy ? 'Creating…' : invited ? `Create account and join ${invited.org.name}` : 'Create account'}
        </button>
      </form>
      <p>
        Already have an account? <a href={`/login${invitation ? `?next=${encodeURIComponent('/invite/' + invitation)}` : ''}`}>Sign in</a>
      </p>
    </section>
  );
}
