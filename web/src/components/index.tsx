// Small building blocks: permission-aware buttons, the access-denied panel, error and status boxes.
import { StepUpForm } from './step_up';
import type { ComponentChildren, JSX } from 'preact';
import { useContext, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, whyHref, whyHrefFromError } from '../api';
import { helpForLayer } from '../help';
import { OrgContext } from '../session';

let tipSeq = 0;

// A button that needs a permission. Without it the button stays visible and focusable but is
// disabled (aria-disabled, click ignored) and a tooltip names the missing permission.
// `reason` disables it for another stated reason (e.g. "Seat limit reached").
export function PermButton(props: {
  allowed: boolean;
  need?: string;
  reason?: string;
  onClick?: () => void;
  type?: 'button' | 'submit';
  kind?: 'primary' | 'danger' | 'plain';
  children: ComponentChildren;
  busy?: boolean;
  label?: string;
  testId?: string;
  // Adds a "Why?" link next to a button blocked by a missing permission: it opens the
  // explanation from GET …/access/explain for that permission.
  why?: boolean;
}) {
  const [id] = useState(() => `tip-${++tipSeq}`);
  const org = useContext(OrgContext);
  const blocked = !props.allowed || !!props.reason;
  const tip = !props.allowed ? `Needs the ${props.need} permission. Ask an Admin of this org.` : props.reason;
  const cls = `btn ${props.kind ?? 'plain'}${blocked ? ' is-disabled' : ''}`;
  const onClick = (e: Event) => {
    if (blocked || props.busy) {
      e.preventDefault();
      return;
    }
    props.onClick?.();
  };
  return (
    <span class="tip-wrap">
      <button
        type={props.type ?? 'button'}
        class={cls}
        aria-disabled={blocked || props.busy ? 'true' : undefined}
        aria-describedby={blocked ? id : undefined}
        aria-label={props.label}
        data-need={blocked && !props.allowed ? props.need : undefined}
        data-testid={props.testId}
        onClick={onClick}
      >
        {props.children}
      </button>
      {blocked && (
        <span role="tooltip" id={id} class="tip">
          {tip}
        </span>
      )}
      {props.why && !props.allowed && props.need && org && (
        <a class="why" href={whyHref(org.org.slug, ...(props.need.split('.') as [string, string]))}
          aria-label={`Why? (${props.need})`} data-testid="why">
          Why?
        </a>
      )}
    </span>
  );
}

// A padlock drawn inline (no emoji font needed); decorative unless given a title.
export function LockIcon(props: { title?: string }) {
  return (
    <svg class="lock-icon" viewBox="0 0 16 16" width="14" height="14" aria-hidden={props.title ? undefined : 'true'} role={props.title ? 'img' : undefined}>
      {props.title && <title>{props.title}</title>}
      <path fill="currentColor" d="M4 7V5a4 4 0 1 1 8 0v2h.5A1.5 1.5 0 0 1 14 8.5v5a1.5 1.5 0 0 1-1.5 1.5h-9A1.5 1.5 0 0 1 2 13.5v-5A1.5 1.5 0 0 1 3.5 7H4Zm2 0h4V5a2 2 0 1 0-4 0v2Z" />
    </svg>
  );
}

// Shown instead of a page the user cannot read: names what is missing and who can grant it.
export function AccessDenied(props: { need: string; what: string; adminOnly?: boolean }) {
  const org = useContext(OrgContext);
  const [c, a] = props.need.split('.');
  return (
    <section class="panel denied" role="alert" aria-labelledby="denied-title">
      <h2 id="denied-title">
        <LockIcon /> You cannot see {props.what}
      </h2>
      {props.adminOnly ? (
        <p>
          Only members with the <strong>Admin role</strong> can see {props.what}. Ask an Admin of this org if you need
          it.
        </p>
      ) : (
        <p>
          Your role does not include <code>{props.need}</code>. Ask an Admin of this org to give your role that
          permission, or to move you to a role that has it.
        </p>
      )}
      {!props.adminOnly && org && c && a && (
        <p>
          <a href={whyHref(org.org.slug, c, a)}>Why? See the explanation for your role</a>
        </p>
      )}
    </section>
  );
}

export function ErrorBox(props: { error: unknown; onDismiss?: () => void }) {
  const org = useContext(OrgContext);
  if (!props.error) return null;
  const e = props.error instanceof ApiError ? props.error : new ApiError(0, 'client', String((props.error as any)?.message ?? props.error));
  const why = org ? whyHrefFromError(org.org.slug, e) : null;
  return (
    <div class="alert error" role="alert">
      <p>
        <strong>{titleFor(e)}</strong> {e.message}
      </p>
      {e.permission && (
        <p class="muted">
          Missing permission: <code>{e.permission}</code>
          {why && <> · <a href={why}>Why?</a></>}
        </p>
      )}
      {e.layer && e.layer !== 'permissions' && (
        <p class="muted">
          Layer: <code>{e.layer}</code>
          {helpForLayer(e.layer) && <> · <a href={helpForLayer(e.layer)!} data-testid="error-help">How to fix this</a></>}
        </p>
      )}
      {e.code === 'step_up_required' && <StepUpForm />}
      {e.code === 'two_factor_required' && (
        <p><a href="/account/security" data-testid="enrol-2fa">Set up two-factor sign-in</a> to continue.</p>
      )}
      {props.onDismiss && (
        <button type="button" class="btn plain small" onClick={props.onDismiss}>
          Dismiss
        </button>
      )}
    </div>
  );
}

function titleFor(e: ApiError): string {
  switch (e.code) {
    case 'validation_failed': return 'Check the form.';
    case 'forbidden': return 'Not allowed.';
    case 'limit_reached': return 'Limit reached.';
    case 'conflict': return 'Conflict.';
    case 'not_found': return 'Not found.';
    case 'invitation_expired': return 'Invitation expired.';
    case 'invitation_invalid': return 'Invitation no longer valid.';
    case 'rate_limited': return 'Too many attempts.';
    case 'step_up_required': return 'Confirm it is you.';
    case 'two_factor_required': return 'Two-factor sign-in required.';
    case 'unauthenticated': return 'Sign in required.';
    default: return 'Something went wrong.';
  }
}

// The field problem from a validation error, shown under the input.
export function FieldError(props: { error: unknown; field: string; id: string }) {
  const e = props.error instanceof ApiError ? props.error : null;
  const msg = e?.fields?.[props.field];
  if (!msg) return null;
  return (
    <p class="field-error" id={props.id}>
      {props.field} {msg}
    </p>
  );
}

// A polite live region for confirmations ("Link copied"); clears itself after a while.
export function Notice(props: { text: string | null; onDone?: () => void }) {
  useEffect(() => {
    if (!props.text) return;
    const t = setTimeout(() => props.onDone?.(), 6000);
    return () => clearTimeout(t);
  }, [props.text]);
  return (
    <div class="notice-area" role="status" aria-live="polite">
      {props.text && <div class="notice">✓ {props.text}</div>}
    </div>
  );
}

export function Loading() {
  return <p class="muted" aria-busy="true">Loading…</p>;
}

export function PageTitle(props: { children: ComponentChildren; actions?: ComponentChildren }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    // Move focus to the page heading on navigation so keyboard and screen-reader users start there.
    if (document.activeElement === document.body || document.activeElement?.closest('nav')) ref.current?.focus();
  }, []);
  return (
    <div class="page-title">
      <h1 tabIndex={-1} ref={ref}>
        {props.children}
      </h1>
      {props.actions && <div class="actions">{props.actions}</div>}
    </div>
  );
}

// Copies text to the clipboard; falls back to selecting it in a field when the Clipboard API is
// unavailable (plain-HTTP origins other than localhost).
export async function copyText(text: string): Promise<boolean> {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    /* fall through */
  }
  return false;
}

export function fmtTime(s: string | null | undefined): string {
  if (!s) return '—';
  const d = new Date(s);
  if (isNaN(d.getTime())) return s;
  return d.toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

export function Field(props: { label: string; id: string; hint?: string; children: JSX.Element; error?: unknown; field?: string }) {
  // Every field the server named in details.fields is marked at once, not only the first.
  const invalid = !!props.field && props.error instanceof ApiError && !!props.error.fields[props.field];
  return (
    <div class={invalid ? 'field invalid' : 'field'} data-invalid={invalid ? 'true' : undefined}>
      <label for={props.id}>{props.label}</label>
      {props.children}
      {props.hint && (
        <p class="hint" id={`${props.id}-hint`}>
          {props.hint}
        </p>
      )}
      {props.field && <FieldError error={props.error} field={props.field} id={`${props.id}-err`} />}
    </div>
  );
}
