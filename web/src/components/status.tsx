// Status pills shared by the application, service, deployment and backup pages.
import { isActive, statusClass } from '../deploy';

export function RunPill(props: { status: string; testId?: string }) {
  const active = isActive(props.status);
  return (
    <span class={`pill ${statusClass(props.status)}`} data-testid={props.testId} data-status={props.status} aria-busy={active ? 'true' : undefined}>
      {props.status}{active ? '…' : ''}
    </span>
  );
}

// A service's own status (running, failed, …) as the applications list and a service's page show it.
export function ServiceStatusPill(props: { status: string }) {
  const cls = props.status === 'running' ? 'ok' : props.status === 'failed' ? 'bad' : '';
  return <span class={`pill ${cls}`} data-testid="service-status">{props.status}</span>;
}
