// The audit log (Admins): allowed changes and denied attempts, newest first, paged by cursor.
import { useEffect, useState } from 'preact/hooks';
import { get, orgPath, type AuditEvent, type List } from '../api';
import { AccessDenied, ErrorBox, Loading, PageTitle, fmtTime } from '../components';
import { useOrg } from '../session';

export function AuditPage() {
  const { org, isAdmin } = useOrg();
  const [items, setItems] = useState<AuditEvent[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const load = async (after: string | null) => {
    try {
      const r = await get<List<AuditEvent>>(orgPath(org.slug, `/audit?limit=50${after ? `&cursor=${encodeURIComponent(after)}` : ''}`));
      setItems((prev) => (after && prev ? [...prev, ...r.items] : r.items));
      setCursor(r.next_cursor);
    } catch (e) {
      setError(e);
    }
  };
  useEffect(() => {
    if (isAdmin) load(null);
  }, [org.slug]);
  if (!isAdmin)
    return (
      <>
        <PageTitle>Audit log</PageTitle>
        <AccessDenied need="Admin role" what="the audit log" adminOnly />
      </>
    );
  return (
    <>
      <PageTitle>Audit log</PageTitle>
      <ErrorBox error={error} />
      <section class="panel">
        {!items ? <Loading /> : items.length === 0 ? <p class="muted">No events yet.</p> : (
          <div class="table-wrap">
            <table class="stack audit">
              <thead>
                <tr><th>When</th><th>Who</th><th>Action</th><th>Resource</th><th>Outcome</th><th>IP</th></tr>
              </thead>
              <tbody>
                {items.map((e) => (
                  <tr key={e.id}>
                    <td data-label="When">{fmtTime(e.at)}</td>
                    <td data-label="Who">{e.actor.email}</td>
                    <td data-label="Action"><code>{e.action}</code></td>
                    <td data-label="Resource" class="small">{e.collection}{e.resource_id && <span class="muted"> {e.resource_id}</span>}</td>
                    <td data-label="Outcome"><span class={`pill ${e.outcome === 'allowed' ? 'ok' : 'no'}`}>{e.outcome}</span></td>
                    <td data-label="IP" class="small">{e.ip}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {cursor && (
          <button type="button" class="btn plain" onClick={() => load(cursor)}>
            Load older events
          </button>
        )}
      </section>
    </>
  );
}
