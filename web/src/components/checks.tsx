// A connection / health check report: one row per check, passed, failed or skipped, with the
// message, and for a failure its code, layer and one-line fix. Also the diagnose checklist.
import type { Check, Diagnosis } from '../api';
import { helpForLayer } from '../help';
import { helpHref } from '../markdown';

const LayerLink = (props: { layer: string }) => {
  const href = helpForLayer(props.layer);
  return href ? <a href={href} data-testid="layer-help"><code>{props.layer}</code></a> : <code>{props.layer}</code>;
};

const LABEL: Record<string, string> = { passed: 'passed', failed: 'failed', skipped: 'skipped', not_applicable: 'n/a' };

export function CheckList(props: { checks: Check[]; testId?: string }) {
  return (
    <ul class="checks" data-testid={props.testId ?? 'checks'}>
      {props.checks.map((c) => (
        <li key={c.name} class={`check ${c.status}`} data-check={c.name} data-status={c.status}>
          <span class={`pill ${c.status === 'passed' ? 'ok' : c.status === 'failed' ? 'bad' : ''}`}>{LABEL[c.status] ?? c.status}</span>{' '}
          <strong class="mono">{c.name}</strong>
          {(c.message || c.evidence) && <span class="check-msg"> {c.message ?? c.evidence}</span>}
          {c.status === 'failed' && (
            <div class="check-fail">
              {(c.code || c.layer) && (
                <p class="muted small">
                  {c.code && <code>{c.code}</code>} {c.layer && <>layer <LayerLink layer={c.layer} /></>}
                </p>
              )}
              {c.fix && <p class="fix"><strong>Fix:</strong> {c.fix}</p>}
            </div>
          )}
        </li>
      ))}
    </ul>
  );
}

export function DiagnosisView(props: { d: Diagnosis }) {
  const d = props.d;
  return (
    <div class="diagnosis" data-testid="diagnosis" data-layer={d.layer ?? ''}>
      {d.title && <h3>{d.title}</h3>}
      {d.layer ? <p>Layer: <LayerLink layer={d.layer} /></p> : d.subject === 'error_text' && <p class="muted">No known pattern matched this text. Check the troubleshooting pages, or run Diagnose on the server.</p>}
      {d.not_this && <p class="alert info">{d.not_this}</p>}
      {d.likely_causes.length > 0 && (
        <>
          <h4>Likely causes</h4>
          <ul>{d.likely_causes.map((c) => <li key={c}>{c}</li>)}</ul>
        </>
      )}
      {d.checklist.length > 0 && <CheckList checks={d.checklist.map((c) => ({ ...c, message: undefined }))} testId="diagnose-checks" />}
      {d.page && <p class="muted small">More: <a href={helpHref(d.page.replace(/^docs\//, ''), '')} data-testid="diagnosis-guide">the guide for this</a></p>}
    </div>
  );
}
