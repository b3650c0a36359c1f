// Org overview (seats, your role, the instance admin's seat limit, rename, transfer ownership) and
// creating an org.
import { useState } from 'preact/hooks';
import { get, orgPath, patch, post, type List, type Member, type Org } from '../api';
import { ErrorBox, Field, Loading, Notice, PageTitle } from '../components';
import { useLoad } from '../hooks';
import { NAV, navAllowed } from '../nav';
import { navigate } from '../router';
import { useOrg, useSession } from '../session';
import { seatText } from '../team';

export function OverviewPage() {
  const { org, can, isAdmin } = useOrg();
  const { me } = useSession();
  const o = useLoad(() => get<Org>(orgPath(org.slug)), [org.slug]);
  const [note, setNote] = useState<string | null>(null);
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
                    <a href={i.abs ? i.path : `/o/${org.slug}${i.path}`}>{i.label}</a>{' '}
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
      {org.owner && <TransferForm onDone={setNote} />}
      <Notice text={note} onDone={() => setNote(null)} />
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

// The owner hands the org to another Admin member (POST …/transfer-ownership {user_id}).
function TransferForm(props: { onDone: (note: string) => void }) {
  const { org, can } = useOrg();
  const { me, reload } = useSession();
  const members = useLoad(() => get<List<Member>>(orgPath(org.slug, '/members?limit=200')), [org.slug], !can('team.read'));
  const [to, setTo] = useState('');
  const [error, setError] = useState<unknown>(null);
  const admins = (members.data?.items ?? []).filter((m) => m.role.name === 'Admin' && m.role.builtin !== false && m.user.id !== me?.user.id);
  const submit = async (e: Event) => {
    e.preventDefault();
    const m = admins.find((x) => x.user.id === (to || admins[0]?.user.id));
    if (!m || !confirm(`Make ${m.user.email} the owner of ${org.name}? You stay an Admin.`)) return;
    setError(null);
    try {
      await post<Org>(orgPath(org.slug, '/transfer-ownership'), { user_id: m.user.id });
      props.onDone(`${m.user.email} now owns ${org.name}.`);  // shown by the page: this form goes away with ownership
      await reload();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <section class="panel" data-testid="transfer">
      <h2>Transfer ownership</h2>
      {members.error ? <ErrorBox error={members.error} /> : !members.data ? <Loading /> : admins.length === 0 ? (
        <p class="muted">Only an Admin can become the owner. Give another member the Admin role first (Team).</p>
      ) : (
        <form onSubmit={submit} class="invite-form rename-form" noValidate>
          <Field label="New owner (an Admin member)" id="org-owner" error={error} field="user_id">
            <select id="org-owner" value={to || admins[0].user.id} onChange={(e) => setTo(e.currentTarget.value)}>
              {admins.map((m) => <option key={m.user.id} value={m.user.id}>{m.user.name} ({m.user.email})</option>)}
            </select>
          </Field>
          <div class="field submit">
            <button class="btn danger" type="submit">Transfer</button>
          </div>
        </form>
      )}
      <ErrorBox error={error} />
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
