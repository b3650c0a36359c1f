// Sign in and sign up. Sign-up from an invitation link prefills (and locks) the invited email and
// joins the org in the same request.
import { useEffect, useState } from 'preact/hooks';
import { get, post, setCsrf } from '../api';
import { ErrorBox, Field } from '../components';
import { navigate, useLocation } from '../router';
import { useSession } from '../session';
import { getPasskey, passkeysSupported } from '../webauthn';

function safeNext(next: string | null): string {
  return next && next.startsWith('/') && !next.startsWith('//') ? next : '/';
}

interface PendingSecondFactor { challenge: string; methods: string[]; passkey_options: { publicKey: any } | null }

export function LoginPage() {
  const { query } = useLocation();
  const { reload } = useSession();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  // After a right password on an account with a second factor: the second step.
  const [pending, setPending] = useState<PendingSecondFactor | null>(null);
  const [code, setCode] = useState('');
  const [useRecovery, setUseRecovery] = useState(false);
  const [providers, setProviders] = useState<{ name: string; display_name: string; start_url: string }[]>([]);
  const next = safeNext(query.get('next'));
  const ssoError = query.get('sso_error');
  useEffect(() => {
    get<{ items: { name: string; display_name: string; start_url: string }[] }>('/api/v1/auth/sso/providers').then((r) => setProviders(r.items), () => {});
  }, []);
  const signedIn = async (r: { csrf_token: string }) => {
    setCsrf(r.csrf_token);
    setPassword('');
    await reload();
    navigate(next);
  };
  const run = async (fn: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await fn();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const submit = (e: Event) => {
    e.preventDefault();
    return run(async () => {
      const r = await post<any>('/api/v1/auth/login', { email, password, cookie_only: true });
      if (r.second_factor_required) {
        setPassword('');
        setPending(r);
        setUseRecovery(!r.methods.includes('totp') && r.methods.includes('recovery'));
        return;
      }
      await signedIn(r);
    });
  };
  const submitCode = (e: Event) => {
    e.preventDefault();
    return run(async () => {
      const proof = useRecovery ? { recovery_code: code.trim() } : { totp_code: code.trim() };
      const r = await post<{ csrf_token: string }>('/api/v1/auth/login/second-factor', { challenge: pending!.challenge, ...proof, cookie_only: true });
      await signedIn(r);
    });
  };
  const secondWithPasskey = () => run(async () => {
    const passkey = await getPasskey(pending!.passkey_options!);
    const r = await post<{ csrf_token: string }>('/api/v1/auth/login/second-factor', { challenge: pending!.challenge, passkey, cookie_only: true });
    await signedIn(r);
  });
  const passwordless = () => run(async () => {
    const options = await post('/api/v1/auth/passkey/options');
    const credential = await getPasskey(options);
    await signedIn(await post<{ csrf_token: string }>('/api/v1/auth/passkey', { credential, cookie_only: true }));
  });
  if (pending) {
    const codes = pending.methods.includes('totp') || pending.methods.includes('recovery');
    return (
      <section class="card auth">
        <h1>Two-factor sign-in</h1>
        {codes && (
          <form onSubmit={submitCode} noValidate>
            <Field label={useRecovery ? 'Recovery code' : 'Authentication code'} id="login-code" error={error} field={useRecovery ? 'recovery_code' : 'totp_code'}>
              <input id="login-code" autoComplete="one-time-code" inputMode={useRecovery ? 'text' : 'numeric'} required value={code} onInput={(e) => setCode(e.currentTarget.value)} />
            </Field>
            <ErrorBox error={error} />
            <button class="btn primary" type="submit" disabled={busy}>{busy ? 'Checking…' : 'Verify'}</button>
          </form>
        )}
        {!codes && <ErrorBox error={error} />}
        {pending.passkey_options && passkeysSupported() && (
          <p><button class="btn plain" type="button" onClick={secondWithPasskey} disabled={busy}>Use a passkey</button></p>
        )}
        {pending.methods.includes('totp') && pending.methods.includes('recovery') && (
          <p>
            <button class="btn plain small" type="button" onClick={() => { setUseRecovery(!useRecovery); setCode(''); }}>
              {useRecovery ? 'Use the authenticator app' : 'Use a recovery code'}
            </button>
          </p>
        )}
        <p><a href="/login" onClick={() => setPending(null)}>Start over</a></p>
      </section>
    );
  }
  return (
    <section class="card auth">
      <h1>Sign in to Wharf</h1>
      <form onSubmit={submit} noValidate>
        <Field label="Email" id="login-email" error={error} field="email">
          <input id="login-email" type="email" autoComplete="username webauthn" required value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
        </Field>
        <Field label="Password" id="login-password" error={error} field="password">
          <input id="login-password" type="password" autoComplete="current-password" required value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        </Field>
        <ErrorBox error={error} />
        <button class="btn primary" type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      {passkeysSupported() && (
        <p><button class="btn plain" type="button" onClick={passwordless} disabled={busy}>Continue with a passkey</button></p>
      )}
      {ssoError && <div class="alert error" role="alert" data-testid="sso-error"><p><strong>Single sign-on failed.</strong> {ssoError}</p></div>}
      {providers.map((p) => (
        <p key={p.name}><a class="btn plain" href={p.start_url} data-native onClick={() => sessionStorage.setItem('wharf.sso_next', next)}>Continue with {p.display_name}</a></p>
      ))}
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
