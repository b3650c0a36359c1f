// Notifications: channels (email, Slack, Discord, Standard Webhooks), rules that route events to
// them, and the delivery log with redelivery (docs/notifications.md). A Slack or Discord URL is
// write-only; a webhook's signing secret is shown once, right after the channel is added or its
// secret rotated (the old one keeps signing beside the new one for a day).
import { useState } from 'preact/hooks';
import { del, get, orgPath, post, type List } from '../api';
import { AccessDenied, ErrorBox, Field, Loading, Notice, PageTitle, PermButton, copyText, fmtTime } from '../components';
import { useLoad } from '../hooks';
import { useOrg } from '../session';

export interface ChannelError { message: string; layer?: string; fix?: string }
export interface NotificationChannel {
  id: string;
  name: string;
  type: 'email' | 'slack' | 'discord' | 'webhook';
  verified: boolean;
  last_error: ChannelError | null;
  addresses?: string[];
  url?: string | { set: boolean };
  // The secret itself only in the answer that creates or rotates it.
  signing_secret?: string | { set: boolean; rotated_at?: string; previous_expires_at?: string };
  previous_secret_expires_at?: string;  // rotate-secret's answer: when the old secret stops signing
}
export interface NotificationRule {
  id: string;
  events: string[];
  channel_ids: string[];
  application_ids: string[];
  server_ids: string[];
  min_severity: 'info' | 'warning' | 'critical';
}
export interface NotificationDelivery {
  id: string;
  channel_id: string;
  event: string;
  status: 'queued' | 'retrying' | 'succeeded' | 'failed';
  attempts: number;
  response_code: number | null;
  last_error: ChannelError | null;
  next_attempt_at: string | null;
  created_at: string;
}

// The events a rule can route, as the server names them (docs/notifications.md, "Events").
export const EVENTS = [
  'deployment.failed', 'deployment.succeeded', 'deployment.cancelled', 'deployment.failed_after_start',
  'backup.failed', 'backup.succeeded', 'backup.missed', 'server.unreachable', 'server.recovered', 'server.disk_low',
  'security.role_changed', 'security.member_joined', 'security.member_removed', 'security.token_created',
  'security.two_factor_disabled', 'security.new_sign_in', 'integration.verify_failed', 'integration.expiring',
  'certificate.expiring',
];

// Where a channel sends, without ever showing a write-only URL.
export function destination(c: NotificationChannel): string {
  if (c.type === 'email') return (c.addresses ?? []).join(', ');
  if (typeof c.url === 'string') return c.url;
  return c.url?.set ? `${c.type === 'slack' ? 'Slack' : 'Discord'} webhook URL (stored encrypted, write-only)` : 'no URL';
}

// A webhook channel's rotation state for its card, or '' when it was never rotated.
export function rotationText(c: NotificationChannel, fmt: (s: string) => string = fmtTime): string {
  const s = c.signing_secret;
  if (c.type !== 'webhook' || !s || typeof s === 'string' || !s.rotated_at) return '';
  const since = `Signing secret rotated ${fmt(s.rotated_at)}`;
  return s.previous_expires_at ? `${since}; the old secret also signs until ${fmt(s.previous_expires_at)}.` : `${since}.`;
}

export function NotificationsPage() {
  const { org, can } = useOrg();
  const read = can('notifications.read');
  const channels = useLoad(() => get<List<NotificationChannel>>(orgPath(org.slug, '/notification-channels?limit=200')), [org.slug], !read);
  const rules = useLoad(() => get<List<NotificationRule>>(orgPath(org.slug, '/notification-rules')), [org.slug], !read);
  const log = useLoad(() => get<List<NotificationDelivery>>(orgPath(org.slug, '/notification-deliveries?limit=100')), [org.slug], !read);
  const [error, setError] = useState<unknown>(null);
  const [note, setNote] = useState<string | null>(null);
  const [secret, setSecret] = useState<{ name: string; value: string; oldUntil?: string } | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  if (!read) return (<><PageTitle>Notifications</PageTitle><AccessDenied need="notifications.read" what="the notification channels" /></>);
  const names = new Map((channels.data?.items ?? []).map((c) => [c.id, c.name]));
  const act = async (id: string, fn: () => Promise<void>) => {
    setError(null);
    setBusy(id);
    try { await fn(); } catch (e) { setError(e); } finally { setBusy(null); }
  };
  const test = (c: NotificationChannel) => act(c.id, async () => {
    const r = await post<{ ok: boolean; checks: { message: string; layer?: string; fix?: string }[] }>(orgPath(org.slug, `/notification-channels/${c.id}/test`), {});
    setNote(r.ok ? `Test delivered: ${c.name} is verified.` : `Test to ${c.name} failed: ${r.checks[0]?.message ?? ''}`);
    channels.reload();
    log.reload();
  });
  const rotate = (c: NotificationChannel) => act(c.id, async () => {
    if (!confirm(`Rotate the signing secret of ${c.name}? You get a new secret now; the old one keeps signing beside it for 24 hours, so update your receiver before then.`)) return;
    const r = await post<NotificationChannel>(orgPath(org.slug, `/notification-channels/${c.id}/rotate-secret`), { overlap_hours: 24 });
    if (typeof r.signing_secret === 'string') setSecret({ name: c.name, value: r.signing_secret, oldUntil: r.previous_secret_expires_at });
    setNote(`Signing secret of ${c.name} rotated.`);
    channels.reload();
  });
  const copySecret = async () => {
    if (!secret) return;
    setNote(await copyText(secret.value) ? 'Signing secret copied to the clipboard.' : 'This browser cannot write to the clipboard: select the secret and copy it.');
  };
  const removeChannel = (c: NotificationChannel) => act(c.id, async () => {
    if (!confirm(`Remove the channel ${c.name}? Rules stop sending to it and its delivery log is dropped.`)) return;
    await del(orgPath(org.slug, `/notification-channels/${c.id}`));
    setNote(`Channel ${c.name} removed.`);
    channels.reload();
    rules.reload();
    log.reload();
  });
  const removeRule = (r: NotificationRule) => act(r.id, async () => {
    await del(orgPath(org.slug, `/notification-rules/${r.id}`));
    setNote('Rule removed.');
    rules.reload();
  });
  const redeliver = (d: NotificationDelivery) => act(d.id, async () => {
    await post(orgPath(org.slug, `/notification-deliveries/${d.id}/redeliver`), {});
    setNote(`Delivery ${d.id} queued again.`);
    log.reload();
  });
  return (
    <>
      <PageTitle>Notifications</PageTitle>
      <p class="muted">Channels say where messages go; rules say which events go there. A channel receives events only once a test message reached it.</p>
      <Notice text={note} onDone={() => setNote(null)} />
      <ErrorBox error={error} onDismiss={() => setError(null)} />
      {secret && (
        <p class="alert info" role="status" data-testid="signing-secret">
          {secret.oldUntil ? 'New signing secret' : 'Signing secret'} of <strong>{secret.name}</strong>, shown only now: <code>{secret.value}</code>{' '}
          <button type="button" class="link" onClick={copySecret} aria-label={`Copy the signing secret of ${secret.name}`}>Copy</button>. Your receiver verifies each
          request's <code>webhook-signature</code> with it (Standard Webhooks).
          {secret.oldUntil && <> The old secret keeps signing beside it until <strong data-testid="old-secret-until">{fmtTime(secret.oldUntil)}</strong>: give the receiver the new one before then.</>}{' '}
          <button type="button" class="link" onClick={() => setSecret(null)}>I saved it</button>
        </p>
      )}
      <AddChannelForm onAdded={(c) => {
        setNote(`Channel ${c.name} added. Send it a test to verify it.`);
        if (typeof c.signing_secret === 'string') setSecret({ name: c.name, value: c.signing_secret });
        channels.reload();
      }} />
      <section class="panel">
        <h2>Channels</h2>
        {channels.error ? <ErrorBox error={channels.error} /> : !channels.data ? <Loading /> : channels.data.items.length === 0 ? (
          <p class="muted">No channels yet.</p>
        ) : (
          <ul class="cards">
            {channels.data.items.map((c) => (
              <li class="key-card" key={c.id} data-channel={c.name}>
                <div class="key-head">
                  <strong>{c.name}</strong> <span class="pill">{c.type}</span>{' '}
                  <span class={`pill ${c.verified ? 'ok' : 'bad'}`} data-testid="verified">{c.verified ? 'verified' : 'not verified'}</span>
                </div>
                <p class="mono small">{destination(c)}</p>
                {rotationText(c) && <p class="muted small" data-testid="rotation">{rotationText(c)}</p>}
                {c.last_error && (
                  <p class="alert error small" data-testid="last-error">
                    Last test failed{c.last_error.layer ? <> (layer <code>{c.last_error.layer}</code>)</> : null}: {c.last_error.message}
                    {c.last_error.fix && <><br /><strong>Fix:</strong> {c.last_error.fix}</>}
                  </p>
                )}
                <div class="row">
                  <PermButton allowed={can('notifications.update')} need="notifications.update" busy={busy === c.id} onClick={() => test(c)} label={`Send test to ${c.name}`}>Send test</PermButton>
                  {c.type === 'webhook' && (
                    <PermButton allowed={can('notifications.update')} need="notifications.update" busy={busy === c.id} onClick={() => rotate(c)} label={`Rotate signing secret of ${c.name}`}>Rotate signing secret</PermButton>
                  )}
                  <PermButton allowed={can('notifications.delete')} need="notifications.delete" kind="danger" onClick={() => removeChannel(c)} label={`Remove ${c.name}`}>Remove</PermButton>
                </div>
              </li>
            ))}
          </ul>
        )}
      </section>
      <AddRuleForm channels={(channels.data?.items ?? []).filter((c) => c.verified)} onAdded={() => { setNote('Rule added.'); rules.reload(); }} />
      <section class="panel">
        <h2>Rules</h2>
        {rules.error ? <ErrorBox error={rules.error} /> : !rules.data ? <Loading /> : rules.data.items.length === 0 ? (
          <p class="muted">No rules: no event is sent anywhere.</p>
        ) : (
          <table class="table" data-testid="rules">
            <thead><tr><th>Events</th><th>Channels</th><th>Only for</th><th>Min. severity</th><th /></tr></thead>
            <tbody>
              {rules.data.items.map((r) => (
                <tr key={r.id}>
                  <td>{r.events.join(', ')}</td>
                  <td>{r.channel_ids.map((id) => names.get(id) ?? id).join(', ') || <span class="muted">none</span>}</td>
                  <td>{[...r.application_ids, ...r.server_ids].join(', ') || <span class="muted">everything</span>}</td>
                  <td>{r.min_severity}</td>
                  <td><PermButton allowed={can('notifications.delete')} need="notifications.delete" kind="danger" busy={busy === r.id} onClick={() => removeRule(r)} label="Remove rule">Remove</PermButton></td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section class="panel">
        <h2>Delivery log</h2>
        {log.error ? <ErrorBox error={log.error} /> : !log.data ? <Loading /> : log.data.items.length === 0 ? (
          <p class="muted">Nothing sent yet.</p>
        ) : (
          <table class="table" data-testid="deliveries">
            <thead><tr><th>When</th><th>Event</th><th>Channel</th><th>Status</th><th>Attempts</th><th>Code</th><th /></tr></thead>
            <tbody>
              {log.data.items.map((d) => (
                <tr key={d.id} data-delivery={d.id}>
                  <td>{fmtTime(d.created_at)}</td>
                  <td>{d.event}</td>
                  <td>{names.get(d.channel_id) ?? d.channel_id}</td>
                  <td>
                    <span class={`pill ${d.status === 'succeeded' ? 'ok' : d.status === 'failed' ? 'bad' : ''}`}>{d.status}</span>
                    {d.status === 'retrying' && d.next_attempt_at && <span class="muted small"> next {fmtTime(d.next_attempt_at)}</span>}
                    {d.last_error && d.status !== 'succeeded' && <div class="small">{d.last_error.message}</div>}
                  </td>
                  <td>{d.attempts}</td>
                  <td>{d.response_code ?? ''}</td>
                  <td>{(d.status === 'failed' || d.status === 'succeeded') && (
                    <PermButton allowed={can('notifications.update')} need="notifications.update" busy={busy === d.id} onClick={() => redeliver(d)} label={`Redeliver ${d.id}`}>Redeliver</PermButton>
                  )}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </>
  );
}

function AddChannelForm(props: { onAdded: (c: NotificationChannel) => void }) {
  const { org, can } = useOrg();
  const empty = { name: '', type: 'webhook' as NotificationChannel['type'], url: '', addresses: '' };
  const [f, setF] = useState(empty);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    if (!can('notifications.create')) return;
    setBusy(true);
    setError(null);
    try {
      const body = f.type === 'email'
        ? { name: f.name, type: f.type, addresses: f.addresses.split(/[\s,]+/).filter(Boolean) }
        : { name: f.name, type: f.type, url: f.url };
      const c = await post<NotificationChannel>(orgPath(org.slug, '/notification-channels'), body);
      setF(empty);
      props.onAdded(c);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const secretUrl = f.type === 'slack' || f.type === 'discord';
  return (
    <section class="panel">
      <h2>Add a channel</h2>
      <form onSubmit={submit} noValidate>
        <div class="grid2">
          <Field label="Name" id="nc-name" error={error} field="name">
            <input id="nc-name" value={f.name} onInput={(e) => setF({ ...f, name: e.currentTarget.value })} />
          </Field>
          <Field label="Type" id="nc-type" error={error} field="type">
            <select id="nc-type" value={f.type} onChange={(e) => setF({ ...f, type: e.currentTarget.value as NotificationChannel['type'] })}>
              <option value="webhook">Webhook (Standard Webhooks, signed)</option>
              <option value="slack">Slack incoming webhook</option>
              <option value="discord">Discord webhook</option>
              <option value="email">Email</option>
            </select>
          </Field>
          {f.type === 'email' ? (
            <Field label="Addresses" id="nc-addresses" error={error} field="addresses" hint="Comma- or space-separated; sent through this instance's SMTP server.">
              <input id="nc-addresses" value={f.addresses} onInput={(e) => setF({ ...f, addresses: e.currentTarget.value })} />
            </Field>
          ) : (
            <Field label="URL" id="nc-url" error={error} field="url" hint={secretUrl ? 'A credential: stored encrypted and never shown again.' : 'Your receiver. The signing secret is shown once after adding.'}>
              <input id="nc-url" type={secretUrl ? 'password' : 'url'} autoComplete="off" value={f.url} onInput={(e) => setF({ ...f, url: e.currentTarget.value })} />
            </Field>
          )}
        </div>
        <ErrorBox error={error} />
        <PermButton type="submit" kind="primary" allowed={can('notifications.create')} need="notifications.create" busy={busy} testId="add-channel">
          Add channel
        </PermButton>
      </form>
    </section>
  );
}

function AddRuleForm(props: { channels: NotificationChannel[]; onAdded: () => void }) {
  const { org, can } = useOrg();
  const [events, setEvents] = useState<string[]>(['deployment.failed']);
  const [chosen, setChosen] = useState<string[]>([]);
  const [severity, setSeverity] = useState('info');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const toggle = (list: string[], v: string) => (list.includes(v) ? list.filter((x) => x !== v) : [...list, v]);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await post(orgPath(org.slug, '/notification-rules'), { events, channel_ids: chosen, min_severity: severity });
      setChosen([]);
      props.onAdded();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="panel">
      <h2>Add a rule</h2>
      {props.channels.length === 0 ? <p class="muted">Add a channel and send it a test first: rules use verified channels only.</p> : (
        <form onSubmit={submit} noValidate>
          <fieldset>
            <legend>Events</legend>
            <div class="checks">
              {EVENTS.map((ev) => (
                <label key={ev}><input type="checkbox" checked={events.includes(ev)} onChange={() => setEvents(toggle(events, ev))} /> {ev}</label>
              ))}
            </div>
          </fieldset>
          <fieldset>
            <legend>Channels</legend>
            {props.channels.map((c) => (
              <label key={c.id}><input type="checkbox" checked={chosen.includes(c.id)} onChange={() => setChosen(toggle(chosen, c.id))} /> {c.name} ({c.type})</label>
            ))}
          </fieldset>
          <Field label="Minimum severity" id="nr-severity" error={error} field="min_severity">
            <select id="nr-severity" value={severity} onChange={(e) => setSeverity(e.currentTarget.value)}>
              <option value="info">info (everything)</option>
              <option value="warning">warning</option>
              <option value="critical">critical only</option>
            </select>
          </Field>
          <ErrorBox error={error} />
          <PermButton type="submit" kind="primary" allowed={can('notifications.create')} need="notifications.create" busy={busy} testId="add-rule">
            Add rule
          </PermButton>
        </form>
      )}
    </section>
  );
}
