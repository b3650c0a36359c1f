// "Save as template" on an application's page.
import { useState } from 'preact/hooks';
import { orgPath, post } from '../api';
import type { Application } from '../apps';
import { useSubmit } from '../hooks';
import { useOrg } from '../session';
import type { Template } from '../templates';
import { ErrorBox, Field, PermButton } from './index';

// "Save as template" on an application's page: name and description, then POST /templates.
export function SaveAsTemplate(props: { app: Application; onSaved: (t: Template) => void; onCancel: () => void }) {
  const { org, can } = useOrg();
  const [f, setF] = useState({ name: props.app.name, description: '' });
  const { busy, error, run } = useSubmit(async () => {
    const body: Record<string, string> = { name: f.name.trim(), application_id: props.app.id };
    if (f.description.trim()) body.description = f.description.trim();
    props.onSaved(await post<Template>(orgPath(org.slug, '/templates'), body));
  });
  const save = (e: Event) => {
    e.preventDefault();
    run();
  };
  return (
    <section class="panel" data-testid="save-template-form">
      <h2>Save {props.app.name} as a template</h2>
      <p class="muted small">Saves its services' settings and variables as written; no generated secret, credential or password, and no domain.</p>
      <form onSubmit={save} noValidate>
        <div class="grid2">
          <Field label="Template name" id="tpl-name" error={error} field="name">
            <input id="tpl-name" value={f.name} onInput={(e) => setF({ ...f, name: e.currentTarget.value })} />
          </Field>
          <Field label="Template description (optional)" id="tpl-desc" error={error} field="description">
            <input id="tpl-desc" value={f.description} onInput={(e) => setF({ ...f, description: e.currentTarget.value })} />
          </Field>
        </div>
        <ErrorBox error={error} />
        <div class="row">
          <PermButton type="submit" kind="primary" allowed={can('templates.create')} need="templates.create" busy={busy} testId="save-template-submit">
            {busy ? 'Saving…' : 'Save template'}
          </PermButton>
          <button type="button" class="btn plain" onClick={props.onCancel}>Cancel</button>
        </div>
      </form>
    </section>
  );
}
