// /cli-login: `wharf login --web` opened this page with its loopback redirect, state and PKCE
// challenge. The signed-in user authorises the command-line client; the server answers the
// loopback URL with a single-use code, and the browser goes there (docs/authentication.md).
import { useState } from 'preact/hooks';
import { post } from '../api';
import { ErrorBox } from '../components';
import { useLocation } from '../router';
import { useSession } from '../session';

export function CliLoginPage() {
  const { query } = useLocation();
  const { me } = useSession();
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState(false);
  const redirect = query.get('redirect_uri') ?? '';
  const loopback = /^http:\/\/(127\.0\.0\.1|\[::1\]):\d{1,5}(\/|$)/.test(redirect);
  const authorise = async () => {
    setError(null);
    try {
      const r = await post<{ redirect_to: string }>('/api/v1/auth/cli/authorize', {
        redirect_uri: redirect, state: query.get('state') ?? '', code_challenge: query.get('code_challenge') ?? '',
        code_challenge_method: query.get('code_challenge_method') ?? '',
      });
      setDone(true);
      window.location.assign(r.redirect_to);
    } catch (err) {
      setError(err);
    }
  };
  return (
    <section class="card auth" data-testid="cli-login">
      <h1>Sign in the command-line client</h1>
      {!loopback ? (
        <p class="alert error" role="alert">This link does not come from <code>wharf login --web</code> on this computer. Run the command again.</p>
      ) : done ? (
        <p>Signed in. You can close this tab and go back to the terminal.</p>
      ) : (
        <>
          <p>
            <code>wharf</code> on this computer asks to sign in as <strong>{me?.user.email}</strong>. Only continue if you
            just ran <code>wharf login --web</code>.
          </p>
          <ErrorBox error={error} />
          <button class="btn primary" type="button" data-testid="cli-authorise" onClick={authorise}>Sign in wharf</button>
        </>
      )}
    </section>
  );
}
