// Account → Security: the authenticator app (TOTP, enrolled with the server's QR code and
// confirmed with a first code), recovery codes (shown once), and named passkeys. Changes that
// remove or replace a factor need a fresh second factor (step-up): the error box asks for it.
import { useState } from 'preact/hooks';
import { del, get, post } from '../api';
import type { components, paths } from '../api-types';
import { ErrorBox, Field, Loading, Notice, PageTitle, copyText, fmtTime } from '../components';
import { useLoad } from '../hooks';
import { createPasskey, passkeysSupported } from '../webauthn';

// From the server's OpenAPI document (src/api-types.ts).
type Passkey = components['schemas']['Passkey'];
type TwoFactor = paths['/api/v1/me/two-factor']['get']['responses'][200]['content']['application/json'];
interface Enrolment { secret: string; otpauth_uri: string; qr_svg: string }

function RecoveryCodes(props: { codes: string[]; onDone: () => void }) {
  const [note, setNote] = useState<string | null>(null);
  return (
    <div class="alert info" role="status" data-testid="recovery-codes">
      <p><strong>Save these recovery codes now.</strong> Each signs you in once if you lose your other factors. They are shown only once.</p>
      <ul class="mono recovery-codes">{props.codes.map((c) => <li key={c}>{c}</li>)}</ul>
      <Notice text={note} onDone={() => setNote(null)} />
      <div class="row">
        <button type="button" class="btn plain" onClick={async () => { if (await copyText(props.codes.join('\n'))) setNote('Recovery codes copied.'); }}>Copy</button>
        <button type="button" class="btn plain" onClick={props.onDone}>I saved them</button>
      </div>
    </div>
  );
}

export function SecurityPage() {
  const state = useLoad(() => get<TwoFactor>('/api/v1/me/two-factor'), []);
  const [enrolment, setEnrolment] = useState<Enrolment | null>(null);
  const [code, setCode] = useState('');
  const [codes, setCodes] = useState<string[] | null>(null);
  const [passkeyName, setPasskeyName] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [note, setNote] = useState<string | null>(null);
  const act = async (fn: () => Promise<void>) => {
    setError(null);
    try {
      await fn();
      state.reload();
    } catch (err) {
      setError(err);
    }
  };
  const begin = () => act(async () => setEnrolment(await post<Enrolment>('/api/v1/me/totp')));
  const confirm = (e: Event) => {
    e.preventDefault();
    return act(async () => {
      const r = await post<{ recovery_codes: string[] }>('/api/v1/me/totp/confirm', { code: code.trim() });
      setEnrolment(null);
      setCode('');
      setCodes(r.recovery_codes);
      setNote('The authenticator app is on: sign-in now asks for its code.');
    });
  };
  const disable = () => {
    if (!window.confirm('Turn off the authenticator app? Sign-in then needs only your password, unless you keep a passkey.')) return;
    return act(async () => {
      await del('/api/v1/me/totp');
      setNote('The authenticator app was turned off.');
    });
  };
  const regenerate = () => {
    if (!window.confirm('Replace your recovery codes? The current ones stop working.')) return;
    return act(async () => setCodes((await post<{ recovery_codes: string[] }>('/api/v1/me/recovery-codes')).recovery_codes));
  };
  const addPasskey = (e: Event) => {
    e.preventDefault();
    return act(async () => {
      const options = await post('/api/v1/me/passkeys/options');
      const credential = await createPasskey(options);
      await post('/api/v1/me/passkeys', { name: passkeyName.trim(), credential });
      setNote(`Passkey ${passkeyName.trim()} added.`);
      setPasskeyName('');
    });
  };
  const removePasskey = (p: Passkey) => {
    if (!window.confirm(`Remove the passkey ${p.name}?`)) return;
    return act(async () => {
      await del(`/api/v1/me/passkeys/${p.id}`);
      setNote(`Passkey ${p.name} removed.`);
    });
  };
  const s = state.data;
  return (
    <>
      <PageTitle>Security</PageTitle>
      <p class="muted">A second factor protects your account beyond the password: sign-in and sensitive actions (revealing secrets, changing roles, creating API tokens, transferring ownership) ask for it.</p>
      <Notice text={note} onDone={() => setNote(null)} />
      <ErrorBox error={error} onDismiss={() => setError(null)} />
      {codes && <RecoveryCodes codes={codes} onDone={() => setCodes(null)} />}
      {state.error ? <ErrorBox error={state.error} /> : !s ? <Loading /> : (
        <>
          <section class="panel" data-testid="totp-panel">
            <h2>Authenticator app</h2>
            {s.totp ? (
              <>
                <p>On. Sign-in asks for a code from your app.</p>
                <button type="button" class="btn danger" onClick={disable}>Turn off</button>
              </>
            ) : enrolment ? (
              <form onSubmit={confirm} noValidate>
                <p>Scan this QR code with your authenticator app, or type the key by hand.</p>
                <img class="qr" width={200} height={200} alt="QR code for your authenticator app"
                  src={`data:image/svg+xml;base64,${btoa(enrolment.qr_svg)}`} />
                <p>Key: <code data-testid="totp-secret">{enrolment.secret}</code></p>
                <Field label="Code from the app" id="totp-code" error={error} field="code">
                  <input id="totp-code" autoComplete="one-time-code" inputMode="numeric" required value={code} onInput={(e) => setCode(e.currentTarget.value)} />
                </Field>
                <button class="btn primary" type="submit">Turn on</button>
              </form>
            ) : (
              <>
                <p>Off.</p>
                <button type="button" class="btn primary" onClick={begin}>Set up authenticator app</button>
              </>
            )}
          </section>
          <section class="panel">
            <h2>Recovery codes</h2>
            <p>{s.recovery_codes_left} unused.</p>
            {(s.totp || s.passkeys.length > 0) && <button type="button" class="btn plain" onClick={regenerate}>Generate new codes</button>}
          </section>
          <section class="panel" data-testid="passkeys-panel">
            <h2>Passkeys</h2>
            {s.passkeys.length === 0 ? <p class="muted">No passkeys.</p> : (
              <div class="table-wrap">
                <table class="stack">
                  <thead><tr><th>Name</th><th>Added</th><th>Last used</th><th><span class="sr-only">Actions</span></th></tr></thead>
                  <tbody>
                    {s.passkeys.map((p) => (
                      <tr key={p.id}>
                        <td data-label="Name">{p.name}</td><td data-label="Added">{fmtTime(p.created_at)}</td><td data-label="Last used">{fmtTime(p.last_used_at)}</td>
                        <td class="actions"><button type="button" class="btn danger" onClick={() => removePasskey(p)} aria-label={`Remove passkey ${p.name}`}>Remove</button></td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
            {passkeysSupported() ? (
              <form class="invite-form" onSubmit={addPasskey} noValidate>
                <Field label="Passkey name" id="passkey-name" error={error} field="name">
                  <input id="passkey-name" required placeholder="Laptop" value={passkeyName} onInput={(e) => setPasskeyName(e.currentTarget.value)} />
                </Field>
                <div class="field submit"><button class="btn primary" type="submit" disabled={!passkeyName.trim()}>Add passkey</button></div>
              </form>
            ) : <p class="muted">This browser does not support passkeys.</p>}
          </section>
        </>
      )}
    </>
  );
}
