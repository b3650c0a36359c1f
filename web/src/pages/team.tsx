// Team: members and their roles, invitations (invite, copy link, resend, revoke, diagnose) and seats.
import { useState } from 'preact/hooks';
import { del, get, orgPath, patch, post, type Diagnosis, type Invitation, type List, type Member, type Org, type Role } from '../api';
import { DiagnosisView } from '../components/checks';
import { AccessDenied, ErrorBox, Field, Loading, Notice, PageTitle, PermButton, copyText, fmtTime } from '../components';
import { useLoad } from '../hooks';
import { navigate } from '../router';
import { useOrg, useSession } from '../session';
import { TwoFactorPolicy } from '../components/two_factor_policy';
import { SsoOnlyPolicy } from '../components/sso_only_policy';
import { seatText } from '../team';

export function TeamPage() {
  const { org, can } = useOrg();
  const { me, reload: reloadMe } = useSession();
  const slug = org.slug;
  const canRead = can('team.read');
  const members = useLoad(() => get<List<Member>>(orgPath(slug, '/members?limit=200')), [slug], !canRead);
  const invites = useLoad(() => get<List<Invitation>>(orgPath(slug, '/invitations?limit=200')), [slug], !canRead);
  const orgInfo = useLoad(() => get<Org>(orgPath(slug)), [slug]);
  const roles = useLoad(() => get<List<Role>>(orgPath(slug, '/roles')), [slug], !can('roles.read'));
  const [error, setError] = useState<unknown>(null);
  const [note, setNote] = useState<string | null>(null);
  const [manualLink, setManualLink] = useState<string | null>(null);
  const [diag, setDiag] = useState<{ email: string; d: Diagnosis } | null>(null);

  if (!canRead) return (<><PageTitle>Team</PageTitle><AccessDenied need="team.read" what="the team" /></>);

  const refresh = () => {
    members.reload();
    invites.reload();
    orgInfo.reload();
  };
  const act = async (fn: () => Promise<unknown>, ok?: string) => {
    setError(null);
    try {
      await fn();
      if (ok) setNote(ok);
      refresh();
    } catch (e) {
      setError(e);
    }
  };
  const copyLink = (inv: Invitation) =>
    act(async () => {
      setManualLink(null);
      const r = await post<{ link: string }>(orgPath(slug, `/invitations/${inv.id}/link`));
      if (await copyText(r.link)) setNote(`Invitation link for ${inv.email} copied to the clipboard. Earlier links for it stop working.`);
      else setManualLink(r.link);
    });

  const o = orgInfo.data;
  const full = !!o && o.seat_limit > 0 && o.seats_used >= o.seat_limit;
  const seatReason = full ? 'Seat limit reached: free a seat or ask the instance administrator to raise the limit.' : undefined;

  return (
    <>
      <PageTitle>Team</PageTitle>
      <Notice text={note} onDone={() => setNote(null)} />
      <ErrorBox error={error} onDismiss={() => setError(null)} />
      {o && (
        <section class={`panel seats${full ? ' full' : ''}`} aria-label="Seats">
          <p>
            <strong data-testid="seat-counter">{seatText(o)}</strong>
          </p>
          {o.seat_limit > 0 && (
            <div class="meter" aria-hidden="true">
              <div class={`meter-fill w${Math.min(100, Math.round((o.seats_used * 10) / o.seat_limit) * 10)}`} />
            </div>
          )}
          {full && (
            <p class="alert warn" role="status" data-testid="seat-limit-reached">
              Seat limit reached. New invitations are blocked until a seat is free. Remove a member or revoke a pending invitation,
              or ask the <strong>instance administrator</strong> to raise this organisation's seat limit
              {me?.user.instance_admin ? <> (that is you: <a href={`/o/${slug}`}>change it on the overview</a>)</> : ''}.
            </p>
          )}
        </section>
      )}
      {manualLink && (
        <div class="alert info">
          <label for="manual-link">This browser cannot write to the clipboard. Copy the invitation link from here:</label>
          <input id="manual-link" readOnly value={manualLink} onFocus={(e) => e.currentTarget.select()} />
        </div>
      )}

      <InviteForm roles={roles.data?.items} canRoles={can('roles.read')} seatReason={seatReason}
        onInvited={(inv) => {
          refresh();
          setNote(inv.email_status === 'sent' ? `Invitation emailed to ${inv.email}.`
            : inv.email_status === 'failed' ? `Invitation for ${inv.email} saved, but the email failed${inv.email_error ? `: ${inv.email_error}` : ''}. Use "Copy invitation link".`
            : `Invitation for ${inv.email} saved (email is off). Use "Copy invitation link" to share it.`);
        }} />

      <section class="panel">
        <h2>Members</h2>
        {members.error ? <ErrorBox error={members.error} /> : !members.data ? <Loading /> : (
          <div class="table-wrap">
            <table class="stack">
              <thead>
                <tr><th>Name</th><th>Email</th><th>Role</th><th>Joined</th><th><span class="sr-only">Actions</span></th></tr>
              </thead>
              <tbody>
                {members.data.items.map((m) => {
                  const self = m.user.id === me?.user.id;
                  return (
                    <tr key={m.user.id}>
                      <td data-label="Name">{m.user.name}{m.owner && <span class="pill">owner</span>}{self && <span class="pill">you</span>}</td>
                      <td data-label="Email">{m.user.email}</td>
                      <td data-label="Role">
                        <RoleSelect member={m} roles={roles.data?.items} allowed={can('team.update')}
                          onChange={(role_id) => act(() => patch(orgPath(slug, `/members/${m.user.id}`), { role_id }), `Role of ${m.user.name} changed.`)} />
                      </td>
                      <td data-label="Joined">{fmtTime(m.joined_at)}</td>
                      <td class="actions">
                        {self ? (
                          <PermButton allowed={true} reason={m.owner ? 'The owner cannot leave; transfer ownership first.' : undefined} kind="danger"
                            onClick={() => confirm(`Leave ${org.name}?`) && act(async () => { await del(orgPath(slug, `/members/${m.user.id}`)); await reloadMe(); navigate('/'); })}>
                            Leave
                          </PermButton>
                        ) : (
                          <PermButton allowed={can('team.delete')} need="team.delete" kind="danger" label={`Remove ${m.user.email}`}
                            reason={m.owner ? 'The owner cannot be removed.' : undefined}
                            onClick={() => confirm(`Remove ${m.user.email} from ${org.name}?`) && act(() => del(orgPath(slug, `/members/${m.user.id}`)), `${m.user.email} removed.`)}>
                            Remove
                          </PermButton>
                        )}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <section class="panel">
        <h2>Pending invitations</h2>
        {invites.error ? <ErrorBox error={invites.error} /> : !invites.data ? <Loading /> : invites.data.items.length === 0 ? (
          <p class="muted">No pending invitations.</p>
        ) : (
          <div class="table-wrap">
            <table class="stack">
              <thead>
                <tr><th>Email</th><th>Role</th><th>Expires</th><th>Email status</th><th><span class="sr-only">Actions</span></th></tr>
              </thead>
              <tbody>
                {invites.data.items.map((inv) => (
                  <tr key={inv.id} data-invitation={inv.email}>
                    <td data-label="Email">{inv.email}</td>
                    <td data-label="Role">{inv.role.name}</td>
                    <td data-label="Expires">{fmtTime(inv.expires_at)}</td>
                    <td data-label="Email status">
                      <span class={`pill ${inv.email_status === 'sent' ? 'ok' : inv.email_status === 'failed' ? 'no' : ''}`}>{inv.email_status}</span>
                      {inv.email_error && <span class="muted small"> {inv.email_error}</span>}
                    </td>
                    <td class="actions">
                      <PermButton allowed={can('team.update')} need="team.update" onClick={() => copyLink(inv)} label={`Copy invitation link for ${inv.email}`}>
                        Copy invitation link
                      </PermButton>
                      <PermButton allowed={can('team.update')} need="team.update" onClick={() => act(async () => {
                        const r = await post<{ email_status: string; email_error?: string }>(orgPath(slug, `/invitations/${inv.id}/resend`));
                        if (r.email_status !== 'sent') throw new Error(r.email_status === 'disabled' ? 'Email is not configured on this server; use "Copy invitation link" instead.' : `The email failed: ${r.email_error ?? 'unknown error'}`);
                      }, `Invitation re-sent to ${inv.email}.`)} label={`Resend invitation to ${inv.email}`}>
                        Resend
                      </PermButton>
                      <PermButton allowed={can('team.update')} need="team.update" kind="danger" label={`Revoke invitation for ${inv.email}`}
                        onClick={() => confirm(`Revoke the invitation for ${inv.email}?`) && act(() => del(orgPath(slug, `/invitations/${inv.id}`)), `Invitation for ${inv.email} revoked.`)}>
                        Revoke
                      </PermButton>
                      <PermButton allowed={true} label={`Diagnose invitation for ${inv.email}`} onClick={() => act(async () => {
                        setDiag({ email: inv.email, d: await post<Diagnosis>(orgPath(slug, '/diagnose'), { invitation_id: inv.id }) });
                      })}>
                        Diagnose
                      </PermButton>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {diag && (
          <div class="inline-form" data-testid="invitation-diagnosis">
            <h3>Why has {diag.email} not joined?</h3>
            <DiagnosisView d={diag.d} />
          </div>
        )}
      </section>
      <TwoFactorPolicy />
      <SsoOnlyPolicy />
    </>
  );
}

function RoleSelect(props: { member: Member; roles?: Role[]; allowed: boolean; onChange: (roleId: string) => void }) {
  const m = props.member;
  if (!props.roles || !props.allowed || m.owner)
    return (
      <span title={!props.allowed ? 'Changing roles needs team.update' : m.owner ? 'The owner always holds Admin' : undefined}>{m.role.name}</span>
    );
  return (
    <select aria-label={`Role of ${m.user.email}`} value={m.role.id} onChange={(e) => props.onChange(e.currentTarget.value)}>
      {props.roles.map((r) => (
        <option value={r.id} key={r.id}>{r.name}</option>
      ))}
    </select>
  );
}

function InviteForm(props: { roles?: Role[]; canRoles: boolean; seatReason?: string; onInvited: (inv: Invitation) => void }) {
  const { org, can } = useOrg();
  const [email, setEmail] = useState('');
  const [roleId, setRoleId] = useState('');
  const [sendEmail, setSendEmail] = useState(true);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const roles = props.roles ?? [];
  const chosen = roleId || roles.find((r) => !r.builtin)?.id || roles[0]?.id || '';
  const submit = async (e: Event) => {
    e.preventDefault();
    if (!can('team.update') || props.seatReason) return;
    setBusy(true);
    setError(null);
    try {
      const inv = await post<Invitation>(orgPath(org.slug, '/invitations'), { email, role_id: chosen, send_email: sendEmail });
      setEmail('');
      props.onInvited(inv);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="panel">
      <h2>Invite someone</h2>
      <form class="invite-form" onSubmit={submit} noValidate>
        <Field label="Email" id="invite-email" error={error} field="email">
          <input id="invite-email" type="email" required value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
        </Field>
        <Field label="Role" id="invite-role" error={error} field="role_id" hint={props.canRoles ? undefined : 'Choosing a role needs roles.read.'}>
          <select id="invite-role" value={chosen} onChange={(e) => setRoleId(e.currentTarget.value)} disabled={!props.canRoles}>
            {roles.map((r) => (
              <option value={r.id} key={r.id}>{r.name}</option>
            ))}
          </select>
        </Field>
        <div class="field check">
          <input id="invite-send" type="checkbox" checked={sendEmail} onChange={(e) => setSendEmail(e.currentTarget.checked)} />
          <label for="invite-send">Send the invitation by email</label>
        </div>
        <div class="field submit">
          <PermButton type="submit" kind="primary" allowed={can('team.update')} need="team.update" busy={busy}
            reason={props.seatReason ?? (!props.canRoles ? 'Choosing a role needs roles.read.' : undefined)} testId="invite-submit">
            Invite
          </PermButton>
        </div>
      </form>
      <ErrorBox error={error} />
    </section>
  );
}
