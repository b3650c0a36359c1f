// Security → SSH keys: list with fingerprints, import (public key, optional private key that is
// write-only and never shown again), copy the public key, delete.
import { useState } from 'preact/hooks';
import { del, get, orgPath, post, type List, type SshKey } from '../api';
import { AccessDenied, ErrorBox, Field, Loading, Notice, PageTitle, PermButton, copyText, fmtTime } from '../components';
import { useLoad } from '../hooks';
import { useOrg } from '../session';

export function SshKeysPage() {
  const { org, can } = useOrg();
  const keys = useLoad(() => get<List<SshKey>>(orgPath(org.slug, '/ssh-keys?limit=200')), [org.slug], !can('sshKeys.read'));
  const [error, setError] = useState<unknown>(null);
  const [note, setNote] = useState<string | null>(null);
  if (!can('sshKeys.read')) return (<><PageTitle>SSH keys</PageTitle><AccessDenied need="sshKeys.read" what="the SSH keys" /></>);
  const copy = async (k: SshKey) => {
    if (await copyText(k.public_key)) setNote(`Public key of ${k.name} copied to the clipboard.`);
    else setError(new Error('This browser cannot write to the clipboard here; select the key text and copy it.'));
  };
  const remove = async (k: SshKey) => {
    if (!confirm(`Delete the SSH key ${k.name}?`)) return;
    setError(null);
    try {
      await del(orgPath(org.slug, `/ssh-keys/${k.id}`));
      setNote(`SSH key ${k.name} deleted.`);
      keys.reload();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <>
      <PageTitle>SSH keys</PageTitle>
      <Notice text={note} onDone={() => setNote(null)} />
      <ErrorBox error={error} onDismiss={() => setError(null)} />
      <AddKeyForm onAdded={(k) => { setNote(`SSH key ${k.name} added.`); keys.reload(); }} />
      <section class="panel">
        <h2>Keys</h2>
        {keys.error ? <ErrorBox error={keys.error} /> : !keys.data ? <Loading /> : keys.data.items.length === 0 ? (
          <p class="muted">No SSH keys yet. Servers are reached with one of these keys.</p>
        ) : (
          <ul class="cards">
            {keys.data.items.map((k) => (
              <li class="key-card" key={k.id} data-key={k.name}>
                <div class="key-head">
                  <strong>{k.name}</strong> <span class="pill">{k.type}</span>
                  {k.private_key.set && <span class="pill ok" title="Stored encrypted; never shown again">private key stored</span>}
                </div>
                <p class="mono small" data-testid="fingerprint">{k.fingerprint}</p>
                <pre class="pubkey" tabIndex={0} aria-label={`Public key of ${k.name}`}>{k.public_key}</pre>
                <p class="muted small">Added {fmtTime(k.created_at)}</p>
                <div class="row">
                  <PermButton allowed={true} onClick={() => copy(k)} label={`Copy public key of ${k.name}`}>Copy public key</PermButton>
                  <PermButton allowed={can('sshKeys.delete')} need="sshKeys.delete" kind="danger" onClick={() => remove(k)} label={`Delete SSH key ${k.name}`}>Delete</PermButton>
                </div>
              </li>
            ))}
          </ul>
        )}
      </section>
    </>
  );
}

function AddKeyForm(props: { onAdded: (k: SshKey) => void }) {
  const { org, can } = useOrg();
  const [name, setName] = useState('');
  const [pub, setPub] = useState('');
  const [priv, setPriv] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    if (!can('sshKeys.create')) return;
    setBusy(true);
    setError(null);
    try {
      const body: Record<string, string> = { name, public_key: pub.trim() };
      if (priv.trim()) body.private_key = priv;
      const k = await post<SshKey>(orgPath(org.slug, '/ssh-keys'), body);
      setName('');
      setPub('');
      setPriv('');
      props.onAdded(k);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="panel">
      <h2>Add a key</h2>
      <form onSubmit={submit} noValidate>
        <Field label="Name" id="key-name" error={error} field="name">
          <input id="key-name" required value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </Field>
        <Field label="Public key" id="key-public" error={error} field="public_key" hint="One line, as in id_ed25519.pub (ssh-ed25519 AAAA… comment).">
          <textarea id="key-public" rows={3} required class="mono" value={pub} onInput={(e) => setPub(e.currentTarget.value)} />
        </Field>
        <Field label="Private key (optional)" id="key-private" error={error} field="private_key"
          hint="Needed for Wharf to log in to servers with this key. Stored encrypted and never shown again.">
          <textarea id="key-private" rows={3} class="mono" autoComplete="off" spellcheck={false} value={priv} onInput={(e) => setPriv(e.currentTarget.value)} />
        </Field>
        <ErrorBox error={error} />
        <PermButton type="submit" kind="primary" allowed={can('sshKeys.create')} need="sshKeys.create" busy={busy} testId="add-key">
          Add key
        </PermButton>
      </form>
    </section>
  );
}
