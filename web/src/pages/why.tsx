// "Why?": the explanation of one permission for the signed-in member, from
// GET …/access/explain?collection=&action= (the same authorizer that answers 403s). Reached from
// the access-denied panel, from the "Why?" link next to a disabled button, and from 403 errors.
import { get, orgPath, type Explain } from '../api';
import { ErrorBox, Loading, PageTitle } from '../components';
import { useLoad } from '../hooks';
import { useLocation } from '../router';
import { useOrg } from '../session';

export function WhyPage() {
  const { org } = useOrg();
  const { query } = useLocation();
  const collection = query.get('collection') ?? '';
  const action = query.get('action') ?? '';
  const ex = useLoad(
    () => get<Explain>(orgPath(org.slug, `/access/explain?${new URLSearchParams({ collection, action })}`)),
    [org.slug, collection, action],
  );
  const perm = `${collection}.${action}`;
  return (
    <>
      <PageTitle>Why? <code>{perm}</code></PageTitle>
      {ex.error ? <ErrorBox error={ex.error} /> : !ex.data ? <Loading /> : (
        <section class={`panel ${ex.data.allowed ? '' : 'denied'}`} data-testid="explain" aria-live="polite">
          <p class="explain-verdict">
            {ex.data.allowed ? <span class="pill ok">allowed</span> : <span class="pill bad">not allowed</span>}{' '}
            <code>{ex.data.permission ?? perm}</code>
          </p>
          <p class="explain-message">{ex.data.message}</p>
          {ex.data.hint && <p class="explain-hint"><strong>What to do:</strong> {ex.data.hint}</p>}
          <dl class="kv">
            {ex.data.role && (<><dt>Your role</dt><dd>{ex.data.role.name}</dd></>)}
            <dt>Reason</dt><dd><code>{ex.data.reason}</code></dd>
          </dl>
          <p>
            <button type="button" class="btn plain small" onClick={() => history.back()}>← Back</button>
          </p>
        </section>
      )}
    </>
  );
}
