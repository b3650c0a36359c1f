// Org overview (seats, your role, the instance admin's seat limit) and creating an org.
import { useState } from 'preact/hooks';
import { get, orgPath, patch, post, type Org } from '../api';
import { ErrorBox, Field, Loading, Notice, PageTitle } from '../components';
import { useLoad } from '../hooks';
import { NAV, navAllowed } from '../app';
import { navigate } from '../router';
import { useOrg, useSession } from '../session';

export function seatText(o: Org): string {
  return o.seat_limit > 0 ? `${o.seats_used} of ${o.seat_limit} seats used` : `${o.seats_used} seats used (no limit)`;
}

export function OverviewPage() {
  const { org, can, isAdmin } = useOrg();
  const { me } = useSession();
  const o = useLoad(() => get<Org>(orgPath(org.slug)), [org.slug]);
  return (
    <>
      <PageTitle>{org.name}</PageTitle>
      <div class="grid2">
        <section class="panel">
          <h2>Your access</h2>
          <p>
            Role <strong>{org.role.name}</strong>
            {org.owner && ' · you own this organisation'}
          </p>
          <ul class="plain-list">
            {NAV.flatMap((s) => s.items)
              .filter((i) => i.path)
              .map((i) => {
                const ok = navAllowed(i, { org, can, isAdmin });
                return (
                  <li key={i.path}>
                    <a href={`/o/${org.slug}${i.path}`}>{i.label}</a>{' '}
                    <span class={ok ? 'pill ok' : 'pill no'}>{ok ? 'can view' : `needs ${i.admin ? 'Admin' : i.need ?? i.needAny?.join(' or ')}`}</span>
                  </li>
                );
              })}
          </ul>
        </section>
        <section class="panel">
          <h2>Seats</h2>
          {o.error ? <ErrorBox error={o.error} /> : !o.data ? <Loading /> : <p data-testid="seats">{seatText(o.data)}</p>}
          <p class="muted small">Members and pending invitations each take a seat. Only an instance administrator can change the limit.</p>
          {me?.user.instance_admin && o.data && <SeatLimitForm org={o.data} onSaved={(x) => o.setData(x)} />}
        </section>
      </div>
      {isAdmin && <RenameForm />}
    </>
  );
}

function RenameForm() {
  const { org } = useOrg();
  const { reload } = useSession();
  const [name, setName] = useState(org.name);
  const [error, setError] = useState<unknown>(null);
  const [note, setNote] = useState<string | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      await patch<Org>(orgPath(org.slug), { name });
      await reload();
      setNote('Organisation renamed.');
    } catch (err) {
      setError(err);
    }
  };
  return (
    <section class="panel">
      <h2>Settings</h2>
      <form onSubmit={submit} class="invite-form rename-form" noValidate>
        <Field label="Organisation name" id="org-rename" error={error} field="name" hint={`The slug ${org.slug} stays the same, so links keep working.`}>
          <input id="org-rename" required value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </Field>
        <div class="field submit">
          <button class="btn plain" type="submit">Rename</button>
        </div>
      </form>
      <ErrorBox error={error} />
      <Notice text={note} onDone={() => setNote(null)} />
    </section>
  );
}

function SeatLimitForm(props: { org: Org; onSaved: (o: Org) => void }) {
  const [value, setValue] = useState(String(props.org.seat_limit));
  const [error, setError] = useState<unknown>(null);
  const [note, setNote] = useState<string | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      const o = await patch<Org>(`/api/v1/admin/orgs/${encodeURIComponent(props.org.slug)}`, { seat_limit: Number(value) });
      props.onSaved(o);
      setNote('Seat limit saved.');
    } catch (err) {
      setError(err);
    }
  };
  return (
    <form onSubmit={submit} class="inline-form">
      <Field label="Seat limit (instance administrator; 0 = unlimited)" id="seat-limit" error={error} field="seat_limit">
        <input id="seat-limit" type="number" min={0} value={value} onInput={(e) => setValue(e.currentTarget.value)} />
      </Field>
      <button class="btn plain" type="submit">
        Save limit
      </button>
      <ErrorBox error={error} />
      <Notice text={note} onDone={() => setNote(null)} />
    </form>
  );
}

export function NewOrgPage() {
  const { reload } = useSession();
  const [name, setName] = useState('');
  const [slug, setSlug] = useState('');
  const [error, setError] = useState<unknown>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      const o = await post<Org>('/api/v1/orgs', slug ? { name, slug } : { name });
      await reload();
      navigate(`/o/${o.slug}`);
    } catch (err) {
      setError(err);
    }
  };
  return (
    <section class="card narrow">
      <PageTitle>New organisation</PageTitle>
      <form onSubmit={submit} noValidate>
        <Field label="Name" id="org-name" error={error} field="name">
          <input id="org-name" required value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </Field>
        <Field label="Slug (optional)" id="org-slug" error={error} field="slug" hint="Lowercase letters, digits and dashes; used in URLs. Derived from the name when empty.">
          <input id="org-slug" pattern="[a-z0-9][a-z0-9-]{1,38}[a-z0-9]" value={slug} onInput={(e) => setSlug(e.currentTarget.value)} />
        </Field>
        <ErrorBox error={error} />
        <button class="btn primary" type="submit">
          Create organisation
        </button>
      </form>
    </section>
  );
}
