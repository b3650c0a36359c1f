// What every page about one service shares: its breadcrumb and tabs, the application and service
// it is about, and the names of the members who started its runs.
import { get, orgPath, type List, type Member } from '../api';
import type { Service } from '../apps';
import { useLoad } from '../hooks';
import { useOrg } from '../session';

// id → name of the org's members, for "who started it" (needs team.read; ids otherwise).
export function useMemberNames(): Record<string, string> {
  const { org, can } = useOrg();
  const m = useLoad(() => get<List<Member>>(orgPath(org.slug, '/members?limit=200')), [org.slug], !can('team.read'));
  const out: Record<string, string> = {};
  for (const x of m.data?.items ?? []) out[x.user.id] = x.user.name || x.user.email;
  return out;
}

// The application and service a page is about, for its title, breadcrumb and tabs.
export function useServiceInfo(appId: string, svcId: string) {
  const { org, can } = useOrg();
  const svc = useLoad(() => get<Service>(orgPath(org.slug, `/services/${svcId}`)), [org.slug, svcId], !svcId || !can('services.read'));
  const app = useLoad(() => get<{ id: string; name: string }>(orgPath(org.slug, `/applications/${appId}`)), [org.slug, appId],
    !appId || !can('applications.read'));
  return { svc: svc.data, app: app.data };
}

export type ServiceTab = 'deployments' | 'releases' | 'logs' | 'backups';
export const serviceUrl = (slug: string, app: string, svc: string, tab: ServiceTab) =>
  `/o/${slug}/applications/${app}/services/${svc}/${tab}`;

// Breadcrumb (application → service) and the service's tabs: Deployments, then Releases and Logs
// (app and image services) or Backups (databases).
export function ServiceNav(props: { appId: string; svcId: string; current: ServiceTab; svc?: Service; appName?: string }) {
  const { org } = useOrg();
  const isDb = !props.svc || props.svc.type === 'database';
  const tabs: { key: ServiceTab; label: string }[] = [{ key: 'deployments', label: 'Deployments' }];
  if (props.svc && !isDb) tabs.push({ key: 'releases', label: 'Releases' }, { key: 'logs', label: 'Logs' });
  if (isDb) tabs.push({ key: 'backups', label: 'Backups' });
  return (
    <>
      <p class="crumb" data-testid="service-crumb">
        <a href={`/o/${org.slug}/applications`}>Applications</a> ›{' '}
        <a href={`/o/${org.slug}/applications/${props.appId}`}>{props.appName ?? props.appId}</a> ›{' '}
        <strong>{props.svc?.name ?? props.svcId}</strong>
        {props.svc && <span class="pill">{props.svc.type === 'database' ? props.svc.database?.engine ?? 'database' : props.svc.type}</span>}
      </p>
      <nav class="tabs" aria-label="Service">
        <ul>
          {tabs.map((t) => (
            <li key={t.key}>
              <a href={serviceUrl(org.slug, props.appId, props.svcId, t.key)} aria-current={t.key === props.current ? 'page' : undefined}>{t.label}</a>
            </li>
          ))}
        </ul>
      </nav>
    </>
  );
}
