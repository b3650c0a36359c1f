// The account itself: name, email (verified or not; change through a link to the new address),
// password (other sessions end), sessions (end one, end all others), organisations it owns
// (delete, with the slug typed), and deleting the account. Also the signed-out pages a mailed link
// opens: forgotten password, reset password (opening it uses nothing; the form does) and verify
// email (the button uses the link).
import { useEffect, useState } from 'preact/hooks';
import { get, patch, post, request, type List } from '../api';
import { ErrorBox, Field, Loading, Notice, PageTitle, fmtTime } from '../components';
import { useLoad } from '../hooks';
import { navigate } from '../router';
import { useSession } from '../session';

interface SessionRow { id: string; created_at: string; last_used_at: string | null; ip: string; user_agent: string; current: boolean }

function ProfileSection(props: { onNote: (s: string) => void }) {
  const { me, reload } = useSession();
  const [name, setName] = useState(me?.user.name ?? '');
  const [error, setError] = useState<unknown>(null);
  const save = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      await patch('/api/v1/me', { name });
      await reload();
      props.onNote('Name saved.');
    } catch (err) { setError(err); }
  };
  return (
    <section class="panel">
      <h2>Profile</h2>
      <form class="invite-form" onSubmit={save} noValidate>
        <Field label="Name" id="account-name" error={error} field="name">
          <input id="account-name" required value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </Field>
        <div class="field submit"><button class="btn primary" type="submit">Save name</button></div>
      </form>
      <ErrorBox error={error} onDismiss={() => setError(null)} />
    </section>
  );
}

function EmailSection(props: { onNote: (s: string) => void }) {
  const { me } = useSession();
  const verified = (me?.user as { email_verified?: boolean } | undefined)?.email_verified !== false;
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>(null);
  const change = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      await post('/api/v1/me/email', { email, password });
      setPassword('');
      props.onNote(`Open the link sent to ${email} to finish the change. Your current address was told.`);
      setEmail('');
    } catch (err) { setError(err); }
  };
  const resend = async () => {
    setError(null);
    try {
      await post('/api/v1/me/email/verification');
      props.onNote(`A new verification link is on its way to ${me?.user.email}.`);
    } catch (err) { setError(err); }
  };
  return (
    <section class="panel">
      <h2>Email</h2>
      <p>
        <strong data-testid="account-email">{me?.user.email}</strong>{' '}
        {verified ? <span class="pill ok">verified</span> : <span class="pill warn" data-testid="email-unverified">not verified</span>}
      </p>
      {!verified && (
        <p class="alert warn">
          Until you open the link sent to this address, you cannot create organisations.{' '}
          <button type="button" class="btn plain small" onClick={resend}>Send a new link</button>
        </p>
      )}
      <form class="invite-form" onSubmit={change} noValidate>
        <Field label="New email" id="account-new-email" error={error} field="email">
          <input id="account-new-email" type="email" required value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
        </Field>
        <Field label="Your password" id="account-email-password" error={error} field="password">
          <input id="account-email-password" type="password" autoComplete="current-password" required value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        </Field>
        <div class="field submit"><button class="btn primary" type="submit">Change email</button></div>
      </form>
      <ErrorBox error={error} onDismiss={() => setError(null)} />
    </section>
  );
}

function PasswordSection(props: { onNote: (s: string) => void; onChanged: () => void }) {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [error, setError] = useState<unknown>(null);
  const change = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      await post('/api/v1/me/password', { current_password: current, new_password: next });
      setCurrent('');
      setNext('');
      props.onNote('Password changed. Every other session was signed out.');
      props.onChanged();
    } catch (err) { setError(err); }
  };
  return (
    <section class="panel">
      <h2>Password</h2>
      <form class="invite-form" onSubmit={change} noValidate>
        <Field label="Current password" id="account-current-password" error={error} field="current_password">
          <input id="account-current-password" type="password" autoComplete="current-password" required value={current} onInput={(e) => setCurrent(e.currentTarget.value)} />
        </Field>
        <Field label="New password" id="account-new-password" error={error} field="new_password" hint="At least 10 characters, without your email or name.">
          <input id="account-new-password" type="password" autoComplete="new-password" required minLength={10} value={next} onInput={(e) => setNext(e.currentTarget.value)} />
        </Field>
        <div class="field submit"><button class="btn primary" type="submit">Change password</button></div>
      </form>
      <ErrorBox error={error} onDismiss={() => setError(null)} />
    </section>
  );
}

function SessionsSection(props: { tick: number; onNote: (s: string) => void }) {
  const sessions = useLoad(() => get<List<SessionRow>>('/api/v1/me/sessions'), [props.tick]);
  const [error, setError] = useState<unknown>(null);
  const end = async (s: SessionRow) => {
    setError(null);
    try {
      await request('DELETE', `/api/v1/me/sessions/${encodeURIComponent(s.id)}`);
      props.onNote('Session ended.');
      sessions.reload();
    } catch (err) { setError(err); }
  };
  const endOthers = async () => {
    setError(null);
    try {
      const r = await request<{ ended: number }>('DELETE', '/api/v1/me/sessions');
      props.onNote(`Signed out ${r.ended} other session(s).`);
      sessions.reload();
    } catch (err) { setError(err); }
  };
  return (
    <section class="panel">
      <h2>Sessions</h2>
      <ErrorBox error={error ?? sessions.error} onDismiss={() => setError(null)} />
      {!sessions.data ? <Loading /> : (
        <>
          <div class="table-wrap">
            <table class="stack" data-testid="sessions">
              <thead><tr><th>Signed in</th><th>Last used</th><th>Address</th><th>Browser</th><th><span class="sr-only">Actions</span></th></tr></thead>
              <tbody>
                {sessions.data.items.map((s) => (
                  <tr key={s.id}>
                    <td data-label="Signed in">{fmtTime(s.created_at)}</td>
                    <td data-label="Last used">{fmtTime(s.last_used_at)}</td>
                    <td data-label="Address">{s.ip}</td>
                    <td data-label="Browser" class="mono">{s.user_agent}</td>
                    <td class="actions">
                      {s.current ? <span class="pill ok">this session</span> : (
                        <button type="button" class="btn danger small" onClick={() => end(s)} aria-label={`End session from ${s.ip} signed in ${fmtTime(s.created_at)}`}>End</button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <button type="button" class="btn plain" onClick={endOthers} disabled={sessions.data.items.length < 2}>Sign out every other session</button>
        </>
      )}
    </section>
  );
}

function OwnedOrgsSection(props: { onNote: (s: string) => void }) {
  const { me, reload } = useSession();
  const owned = me?.orgs.filter((o) => o.owner) ?? [];
  const [typed, setTyped] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>(null);
  const remove = async (slug: string) => {
    setError(null);
    try {
      await request('DELETE', `/api/v1/orgs/${encodeURIComponent(slug)}`, { confirm: typed[slug] ?? '' });
      props.onNote(`Organisation ${slug} deleted.`);
      await reload();
    } catch (err) { setError(err); }
  };
  if (!owned.length) return null;
  return (
    <section class="panel">
      <h2>Organisations you own</h2>
      <p class="muted">Deleting one removes its members, invitations, keys and integrations. It is refused while servers or applications remain.</p>
      <ErrorBox error={error} onDismiss={() => setError(null)} />
      {owned.map((o) => (
        <form key={o.slug} class="invite-form" onSubmit={(e) => { e.preventDefault(); remove(o.slug); }} noValidate>
          <Field label={`Type ${o.slug} to delete ${o.name}`} id={`delete-org-${o.slug}`} error={error} field="confirm">
            <input id={`delete-org-${o.slug}`} value={typed[o.slug] ?? ''} onInput={(e) => setTyped({ ...typed, [o.slug]: e.currentTarget.value })} />
          </Field>
          <div class="field submit">
            <button class="btn danger" type="submit" disabled={typed[o.slug] !== o.slug}>Delete organisation {o.slug}</button>
          </div>
        </form>
      ))}
    </section>
  );
}

function DeleteAccountSection() {
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>(null);
  const remove = async (e: Event) => {
    e.preventDefault();
    setError(null);
    if (!confirm('Delete your Wharf account? This cannot be undone.')) return;
    try {
      await request('DELETE', '/api/v1/me', { password });
      location.assign('/login');
    } catch (err) { setError(err); }
  };
  return (
    <section class="panel">
      <h2>Delete your account</h2>
      <p class="muted">Your memberships, sessions and API tokens go with it. Transfer or delete the organisations you own first.</p>
      <form class="invite-form" onSubmit={remove} noValidate>
        <Field label="Your password" id="account-delete-password" error={error} field="password">
          <input id="account-delete-password" type="password" autoComplete="current-password" value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        </Field>
        <div class="field submit"><button class="btn danger" type="submit">Delete my account</button></div>
      </form>
      <ErrorBox error={error} onDismiss={() => setError(null)} />
    </section>
  );
}

export function AccountPage() {
  const [note, setNote] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  return (
    <>
      <PageTitle actions={<a class="btn plain" href="/account/tokens">API tokens</a>}>Account</PageTitle>
      <Notice text={note} onDone={() => setNote(null)} />
      <ProfileSection onNote={setNote} />
      <EmailSection onNote={setNote} />
      <PasswordSection onNote={setNote} onChanged={() => setTick(tick + 1)} />
      <SessionsSection tick={tick} onNote={setNote} />
      <OwnedOrgsSection onNote={setNote} />
      <DeleteAccountSection />
    </>
  );
}

export function ForgotPasswordPage() {
  const [email, setEmail] = useState('');
  const [mode, setMode] = useState<string | null>(null);
  const [sent, setSent] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    get<{ password_reset?: string }>('/api/v1/auth/config').then((c) => setMode(c.password_reset ?? 'email'), () => setMode('email'));
  }, []);
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      const r = await post<{ message: string }>('/api/v1/auth/password-reset', { email });
      setSent(r.message);
    } catch (err) { setError(err); }
  };
  return (
    <section class="card auth">
      <h1>Forgot your password?</h1>
      {mode === 'operator' ? (
        <p class="alert warn" data-testid="reset-ask-operator">
          This Wharf sends no email. Ask its operator for a one-time reset link (<code>wharf admin reset-password EMAIL</code>).
        </p>
      ) : sent ? (
        <p class="alert info" data-testid="reset-sent">{sent}</p>
      ) : (
        <form onSubmit={submit} noValidate>
          <Field label="Email" id="forgot-email" error={error} field="email">
            <input id="forgot-email" type="email" autoComplete="username" required value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
          </Field>
          <ErrorBox error={error} />
          <button class="btn primary" type="submit">Send a reset link</button>
        </form>
      )}
      <p><a href="/login">Back to sign in</a></p>
    </section>
  );
}

export function ResetPasswordPage(props: { token: string }) {
  const [info, setInfo] = useState<{ email: string; expires_at: string } | null>(null);
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState(false);
  useEffect(() => {
    get<{ email: string; expires_at: string }>(`/api/v1/auth/password-reset/${encodeURIComponent(props.token)}`).then(setInfo, setError);
  }, [props.token]);
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      await post(`/api/v1/auth/password-reset/${encodeURIComponent(props.token)}`, { new_password: password });
      setPassword('');
      setDone(true);
    } catch (err) { setError(err); }
  };
  return (
    <section class="card auth">
      <h1>Choose a new password</h1>
      {done ? (
        <p class="alert info" data-testid="reset-done">Password set. Every session of the account was signed out. <a href="/login">Sign in</a>.</p>
      ) : !info ? (error ? <><ErrorBox error={error} /><p><a href="/forgot-password">Ask for a new link</a></p></> : <Loading />) : (
        <form onSubmit={submit} noValidate>
          <p>For <strong>{info.email}</strong>; the link works until {fmtTime(info.expires_at)}.</p>
          <Field label="New password" id="reset-password" error={error} field="new_password" hint="At least 10 characters, without your email or name.">
            <input id="reset-password" type="password" autoComplete="new-password" required minLength={10} value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
          </Field>
          <ErrorBox error={error} />
          <button class="btn primary" type="submit">Set password</button>
        </form>
      )}
    </section>
  );
}

export function VerifyEmailPage(props: { token: string }) {
  const { reload } = useSession();
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState(false);
  const verify = async () => {
    setError(null);
    try {
      await post(`/api/v1/auth/verify-email/${encodeURIComponent(props.token)}`);
      setDone(true);
      await reload();
    } catch (err) { setError(err); }
  };
  return (
    <section class="card auth">
      <h1>Confirm your address</h1>
      {done ? (
        <p class="alert info" data-testid="verify-done">Address confirmed. <a href="/" onClick={(e) => { e.preventDefault(); navigate('/'); }}>Continue</a></p>
      ) : (
        <>
          <p>Press the button to confirm this address for your Wharf account.</p>
          <ErrorBox error={error} />
          <button class="btn primary" type="button" onClick={verify}>Confirm address</button>
        </>
      )}
    </section>
  );
}

interface AdminUser { id: string; email: string; name: string; instance_admin: boolean; email_verified: boolean; disabled: boolean; created_at: string }

// The instance administrator's user list: disable (every session and API token ends at once),
// enable, delete. The same as `wharf admin users …` on the server.
export function AdminUsersPage() {
  const { me } = useSession();
  const users = useLoad(() => get<List<AdminUser>>('/api/v1/admin/users'), []);
  const [error, setError] = useState<unknown>(null);
  const [note, setNote] = useState<string | null>(null);
  const act = async (u: AdminUser, what: 'disable' | 'enable' | 'delete') => {
    setError(null);
    if (what !== 'enable' && !confirm(`${what === 'delete' ? 'Delete' : 'Disable'} the account ${u.email}?`)) return;
    try {
      if (what === 'delete') await request('DELETE', `/api/v1/admin/users/${encodeURIComponent(u.id)}`);
      else await post(`/api/v1/admin/users/${encodeURIComponent(u.id)}/${what}`);
      setNote(what === 'disable' ? `${u.email} disabled: every session and API token ended.` : what === 'enable' ? `${u.email} enabled.` : `${u.email} deleted.`);
      users.reload();
    } catch (err) { setError(err); }
  };
  if (!me?.user.instance_admin) return <p class="alert warn">Only the instance administrator manages users.</p>;
  return (
    <>
      <PageTitle>Users</PageTitle>
      <Notice text={note} onDone={() => setNote(null)} />
      <ErrorBox error={error ?? users.error} onDismiss={() => setError(null)} />
      {!users.data ? <Loading /> : (
        <div class="table-wrap">
          <table class="stack" data-testid="admin-users">
            <thead><tr><th>Email</th><th>Name</th><th>Status</th><th>Created</th><th><span class="sr-only">Actions</span></th></tr></thead>
            <tbody>
              {users.data.items.map((u) => (
                <tr key={u.id}>
                  <td data-label="Email">{u.email}{u.instance_admin ? ' (instance administrator)' : ''}</td>
                  <td data-label="Name">{u.name}</td>
                  <td data-label="Status">{u.disabled ? 'disabled' : u.email_verified ? 'active' : 'unverified'}</td>
                  <td data-label="Created">{fmtTime(u.created_at)}</td>
                  <td class="actions">
                    {u.id !== me.user.id && (
                      <>
                        {u.disabled
                          ? <button type="button" class="btn plain small" onClick={() => act(u, 'enable')} aria-label={`Enable ${u.email}`}>Enable</button>
                          : <button type="button" class="btn danger small" onClick={() => act(u, 'disable')} aria-label={`Disable ${u.email}`}>Disable</button>}
                        <button type="button" class="btn danger small" onClick={() => act(u, 'delete')} aria-label={`Delete ${u.email}`}>Delete</button>
                      </>
                    )}
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
