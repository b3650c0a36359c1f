// Integrations: the outside accounts Wharf uses on your behalf. One shell page with a tab per
// kind; each tab is its own page file and its own collection (Docker registries, git providers,
// AWS accounts, backup storage). The shared pieces every kind shows: the verified state (verified,
// last error with its layer and fix, expiry warning), the Verify report, and the org-wide list of
// credentials about to expire (GET …/integrations/expiring).
import type { ComponentChildren } from 'preact';
import { get, orgPath, type IntegrationState } from '../api';
import { LockIcon, PageTitle, fmtTime } from './index';
import { useLoad } from '../hooks';
import { helpForLayer } from '../help';
import { useOrg } from '../session';

export interface IntegrationTab { path: string; label: string; need: string }
export const INTEGRATION_TABS: IntegrationTab[] = [
  { path: 'docker-registries', label: 'Docker registries', need: 'dockerRegistries.read' },
  { path: 'git-providers', label: 'Git providers', need: 'gitProviders.read' },
  { path: 'cloud-accounts', label: 'AWS accounts', need: 'cloudProviderAccounts.read' },
  { path: 'backup-storage', label: 'Backup storage', need: 'backupStorage.read' },
];

// The permissions that open at least one tab (the nav entry is locked without any of them).
export const INTEGRATION_NEEDS = INTEGRATION_TABS.map((t) => t.need);

// The first tab the member may read (else the first tab, which shows its access-denied panel).
export function firstIntegrationTab(can: (p: string) => boolean): IntegrationTab {
  return INTEGRATION_TABS.find((t) => can(t.need)) ?? INTEGRATION_TABS[0];
}

export function IntegrationsShell(props: { current: string; actions?: ComponentChildren; children: ComponentChildren }) {
  const { org, can } = useOrg();
  return (
    <>
      <PageTitle actions={props.actions}>Integrations</PageTitle>
      <nav class="tabs" aria-label="Integrations">
        <ul>
          {INTEGRATION_TABS.map((t) => (
            <li key={t.path}>
              <a href={`/o/${org.slug}/integrations/${t.path}`} aria-current={t.path === props.current ? 'page' : undefined}>
                {t.label}
                {!can(t.need) && <span class="lock" title={`Needs ${t.need}`}> <LockIcon /><span class="sr-only"> (needs {t.need})</span></span>}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      {props.children}
    </>
  );
}

// Days until `expires_at` (negative once past), or null without an expiry.
export function daysLeft(expires: string | null, now = Date.now()): number | null {
  if (!expires) return null;
  const t = new Date(expires).getTime();
  if (isNaN(t)) return null;
  return Math.floor((t - now) / 86400000);
}

// What a row's verify bookkeeping means, for the pill: verified, failed (with last_error) or never.
export function verifiedState(i: IntegrationState): 'verified' | 'failed' | 'unverified' {
  if (i.verified) return 'verified';
  return i.last_error ? 'failed' : 'unverified';
}

export function VerifiedState(props: { item: IntegrationState }) {
  const i = props.item;
  const st = verifiedState(i);
  const days = daysLeft(i.expires_at);
  return (
    <div class="verified-state" data-testid="verified-state" data-state={st}>
      <p>
        {st === 'verified' ? <span class="pill ok">verified</span> : st === 'failed' ? <span class="pill bad">verify failed</span> : <span class="pill">not verified</span>}
        {i.last_verified_at && <span class="muted small"> last verified {fmtTime(i.last_verified_at)}</span>}
        {st === 'unverified' && !i.last_verified_at && <span class="muted small"> Press Verify to check it works.</span>}
      </p>
      {i.last_error && (
        <div class="check-fail" data-testid="last-error">
          <p class="small">
            <strong class="mono">{i.last_error.check}</strong> {i.last_error.message}
            {i.last_error.layer && (
              <span class="muted"> · layer {helpForLayer(i.last_error.layer)
                ? <a href={helpForLayer(i.last_error.layer)!} data-testid="layer-help"><code>{i.last_error.layer}</code></a>
                : <code>{i.last_error.layer}</code>}</span>
            )}
          </p>
          {i.last_error.fix && <p class="fix small"><strong>Fix:</strong> {i.last_error.fix}</p>}
        </div>
      )}
      {days !== null && days < 30 && (
        <p class={`alert ${days < 0 ? 'error' : 'warn'} small`} data-testid="expiry">
          {days < 0 ? `Expired on ${fmtTime(i.expires_at)}: replace the credential.` : `Expires in ${days} day${days === 1 ? '' : 's'} (${fmtTime(i.expires_at)}).`}
        </p>
      )}
    </div>
  );
}

// One row of GET …/integrations/expiring.
export interface ExpiringItem { id: string; kind: string; name: string; expires_at: string; expired: boolean; days_left: number }

// The sentence for one expiring credential ("gitlab expires in 5 days" / "… expired on …").
export function expiringText(i: ExpiringItem): string {
  if (i.expired) return `${i.name} expired on ${fmtTime(i.expires_at)}: replace the credential.`;
  const d = Math.max(0, i.days_left);
  return `${i.name} expires ${d === 0 ? 'today' : `in ${d} day${d === 1 ? '' : 's'}`} (${fmtTime(i.expires_at)}).`;
}

// A warning above a tab's list: the credentials of `kind` that expire within `days` (or have
// expired), soonest first, from GET …/integrations/expiring?within_days=N. Renders nothing when
// none do (or the request fails: the cards still carry their own expiry warning).
export function ExpiringNotice(props: { kind: string; days?: number; tick?: unknown }) {
  const { org } = useOrg();
  const days = props.days ?? 30;
  const rows = useLoad(() => get<{ items: ExpiringItem[] }>(orgPath(org.slug, `/integrations/expiring?within_days=${days}`)), [org.slug, days, props.tick]);
  const items = (rows.data?.items ?? []).filter((i) => i.kind === props.kind);
  if (items.length === 0) return null;
  return (
    <div class={`alert ${items.some((i) => i.expired) ? 'error' : 'warn'}`} role="status" data-testid="expiring">
      <p><strong>{items.length === 1 ? 'A credential expires soon' : `${items.length} credentials expire soon`}</strong> (within {days} days):</p>
      <ul class="small">{items.map((i) => <li key={i.id} data-expiring={i.name}>{expiringText(i)}</li>)}</ul>
    </div>
  );
}
