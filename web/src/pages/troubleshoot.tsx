// Troubleshooting: paste an error and get its layer, likely causes and what will not help
// (POST …/diagnose {error_text}); a server's full checklist is its Diagnose button.
import { useState } from 'preact/hooks';
import { orgPath, post, type Diagnosis } from '../api';
import { DiagnosisView } from '../components/checks';
import { ErrorBox, Field, PageTitle, PermButton } from '../components';
import { useSubmit } from '../hooks';
import { useOrg } from '../session';

export function TroubleshootPage() {
  const { org } = useOrg();
  const [text, setText] = useState('');
  const [d, setD] = useState<Diagnosis | null>(null);
  const { busy, error, run } = useSubmit(async () => {
    setD(null);
    setD(await post<Diagnosis>(orgPath(org.slug, '/diagnose'), { error_text: text }));
  });
  const submit = (e: Event) => {
    e.preventDefault();
    run();
  };
  return (
    <>
      <PageTitle>Troubleshooting</PageTitle>
      <section class="panel">
        <h2>Paste an error</h2>
        <form onSubmit={submit} noValidate>
          <Field label="Error text" id="diag-text" error={error} field="error_text"
            hint="A deploy, git, SSH, registry or backup error, as you saw it. Wharf says which layer it comes from and what to check.">
            <textarea id="diag-text" rows={5} class="mono" value={text} onInput={(e) => setText(e.currentTarget.value)} />
          </Field>
          <ErrorBox error={error} />
          <PermButton type="submit" kind="primary" allowed={true} busy={busy} reason={text.trim() ? undefined : 'Paste an error first.'} testId="diagnose-text">
            {busy ? 'Diagnosing…' : 'Diagnose'}
          </PermButton>
        </form>
      </section>
      {d && <section class="panel" aria-live="polite"><DiagnosisView d={d} /></section>}
      <p class="muted">A server's full checklist (network, host key, SSH, sudo, disk, Docker, Dokku, firewall) runs from its page: <strong>Diagnose</strong>.</p>
    </>
  );
}
