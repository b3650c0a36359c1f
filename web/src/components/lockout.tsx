// The firewall lock-out guard's answer, shown by the server and security-group pages.
import { ApiError } from '../api';
import { ErrorBox, LockIcon } from './index';

// The 409 ssh_lockout answer: Wharf would lose SSH to the server. Shown instead of the plain
// error box, with the server's message and the rule that would keep access.
export const isLockout = (e: unknown) => e instanceof ApiError && e.details?.reason === 'ssh_lockout';
export function LockoutNote(props: { error: unknown }) {
  const e = props.error;
  if (!(e instanceof ApiError) || !isLockout(e)) return null;
  return (
    <div class="alert warn" role="alert" data-testid="lockout">
      <p><strong><LockIcon /> Lock-out guard: not saved.</strong> {e.message}</p>
      <p class="small">Nothing was changed on any server. Put such a rule back (or Cancel) and save again.</p>
    </div>
  );
}
export function ErrorOrLockout(props: { error: unknown; onDismiss?: () => void }) {
  return isLockout(props.error) ? <LockoutNote error={props.error} /> : <ErrorBox error={props.error} onDismiss={props.onDismiss} />;
}
