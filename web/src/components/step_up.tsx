// The step-up prompt: a sensitive action answered 403 step_up_required, so the user proves a
// factor again (a code from the authenticator app, a recovery code, or a passkey) and retries.
import { useState } from 'preact/hooks';
import { post } from '../api';
import { getPasskey, passkeysSupported } from '../webauthn';

export function StepUpForm(props: { onDone?: () => void }) {
  const [code, setCode] = useState('');
  const [state, setState] = useState<'idle' | 'busy' | 'done'>('idle');
  const [problem, setProblem] = useState<string | null>(null);
  const finish = () => {
    setState('done');
    props.onDone?.();
  };
  const submit = async (e: Event) => {
    e.preventDefault();
    setState('busy');
    setProblem(null);
    const trimmed = code.trim();
    // Six digits are an app code; anything else is taken for a recovery code.
    const body = /^\d{3} ?\d{3}$/.test(trimmed) ? { totp_code: trimmed } : { recovery_code: trimmed };
    try {
      await post('/api/v1/auth/step-up', body);
      finish();
    } catch (err: any) {
      setProblem(err?.message ?? String(err));
      setState('idle');
    }
  };
  const withPasskey = async () => {
    setState('busy');
    setProblem(null);
    try {
      const options = await post('/api/v1/auth/step-up/options');
      await post('/api/v1/auth/step-up', { passkey: await getPasskey(options) });
      finish();
    } catch (err: any) {
      setProblem(err?.message ?? String(err));
      setState('idle');
    }
  };
  if (state === 'done') return <p class="muted" role="status" data-testid="step-up-done">Confirmed. Try the action again.</p>;
  return (
    <form class="step-up" onSubmit={submit} data-testid="step-up">
      <p>Confirm it is you: this action needs your second factor again.</p>
      <label for="step-up-code">Authentication code</label>
      <input id="step-up-code" autoComplete="one-time-code" inputMode="text" value={code} onInput={(e) => setCode(e.currentTarget.value)} />
      <div class="row">
        <button class="btn primary small" type="submit" disabled={state === 'busy' || !code.trim()}>Confirm</button>
        {passkeysSupported() && <button class="btn plain small" type="button" onClick={withPasskey} disabled={state === 'busy'}>Use a passkey</button>}
      </div>
      {problem && <p class="muted" role="alert">{problem}</p>}
    </form>
  );
}
