// Security → SSH keys: list with fingerprints, import (public key, optional private key that is
// write-only and never shown again), copy the public key, rename, delete.
import { useState } from 'preact/hooks';
import { del, get, orgPath, patch, post, type List, type SshKey } from '../api';
import { AccessDenied, ErrorBox, Field, Loading, Notice, PageTitle, PermButton, copyText, fmtTime } from '../components';
import { useLoad, useSubmit } from '../hooks';
import { useOrg } from '../session';

export function SshKeysPage() {
  const { org, can } = useOrg();
  const keys = useLoad(() => get<List<SshKey>>(orgPath(org.slug, '/ssh-keys?limit=200')), [org.slug], !can('sshKeys.read'));
  const [error, setError] = useState<unknown>(null);
  const [note, setNote] = useState<string | null>(null);
  const [renaming, setRenaming] = useState<{ id: string; name: string } | null>(null);
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
  const rename = async (e: Event) => {
    e.preventDefault();
    if (!renaming) return;
    setError(null);
    try {
      const k = await patch<SshKey>(orgPath(org.slug, `/ssh-keys/${renaming.id}`), { name: renaming.name.trim() });
      setRenaming(null);
      setNote(`SSH key renamed to ${k.name}.`);
      keys.reload();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <>
      <PageTitle>SSH keys</PageTitle>
      <Notice text={note} onDone={() => setNote(null)} />
      <ErrorBox error={error} onDismiss={() => setError(null)} />
      <GenerateKeyForm onAdded={(k) => { setNote(`SSH key ${k.name} generated. Its private key is stored encrypted and never shown.`); keys.reload(); }} />
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
                  {renaming?.id === k.id ? (
                    <form class="row" onSubmit={rename} noValidate>
                      <input aria-label={`New name for ${k.name}`} value={renaming.name} class="rename-input"
                        onInput={(e) => setRenaming({ id: k.id, name: e.currentTarget.value })} />
                      <button type="submit" class="btn primary small">Save name</button>
                      <button type="button" class="btn plain small" onClick={() => setRenaming(null)}>Cancel</button>
                    </form>
                  ) : <strong>{k.name}</strong>} <span class="pill">{k.type}</span>
                  {k.private_key.set && <span class="pill ok" title="Stored encrypted; never shown again">private key stored</span>}
                </div>
                <p class="mono small" data-testid="fingerprint">{k.fingerprint}</p>
                <pre class="pubkey" tabIndex={0} aria-label={`Public key of ${k.name}`}>{k.public_key}</pre>
                <p class="muted small">Added {fmtTime(k.created_at)}</p>
                <div class="row">
                  <PermButton allowed={true} onClick={() => copy(k)} label={`Copy public key of ${k.name}`}>Copy public key</PermButton>
                  <a class="btn plain" href={orgPath(org.slug, `/ssh-keys/${k.id}/public-key`)} download={`${k.name}.pub`} aria-label={`Download public key of ${k.name}`}>Download .pub</a>
                  <PermButton allowed={can('sshKeys.update')} need="sshKeys.update" onClick={() => setRenaming({ id: k.id, name: k.name })} label={`Rename SSH key ${k.name}`}>Rename</PermButton>
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

// Wharf generates the key pair; only the public half ever leaves the server.
function GenerateKeyForm(props: { onAdded: (k: SshKey) => void }) {
  const { org, can } = useOrg();
  const [name, setName] = useState('');
  const [type, setType] = useState<'ed25519' | 'rsa'>('ed25519');
  const { busy, error, run } = useSubmit(async () => {
    const k = await post<SshKey>(orgPath(org.slug, '/ssh-keys'), { name, generate: { type } });
    setName('');
    props.onAdded(k);
  });
  const submit = (e: Event) => {
    e.preventDefault();
    if (can('sshKeys.create')) run();
  };
  return (
    <section class="panel">
      <h2>Generate a key</h2>
      <form onSubmit={submit} noValidate>
        <div class="grid2">
          <Field label="Key name" id="gen-name" error={error} field="name">
            <input id="gen-name" value={name} onInput={(e) => setName(e.currentTarget.value)} />
          </Field>
          <Field label="Key type" id="gen-type" error={error} field="generate.type" hint="Ed25519 is short and fast; RSA (3072 bits) for old servers.">
            <select id="gen-type" value={type} onChange={(e) => setType(e.currentTarget.value as 'ed25519' | 'rsa')}>
              <option value="ed25519">Ed25519</option>
              <option value="rsa">RSA 3072</option>
            </select>
          </Field>
        </div>
        <ErrorBox error={error} />
        <PermButton type="submit" kind="primary" allowed={can('sshKeys.create')} need="sshKeys.create" busy={busy} testId="generate-key">
          Generate key
        </PermButton>
        <p class="hint">The private key is created and stored encrypted on the Wharf server; it is never shown. Copy the public key into the server's <code>~/.ssh/authorized_keys</code>.</p>
      </form>
    </section>
  );
}

function AddKeyForm(props: { onAdded: (k: SshKey) => void }) {
  const { org, can } = useOrg();
  const [name, setName] = useState('');
  const [pub, setPub] = useState('');
  const [priv, setPriv] = useState('');
  const { busy, error, run } = useSubmit(async () => {
    const body: Record<string, string> = { name, public_key: pub.trim() };
    if (priv.trim()) body.private_key = priv;
    const k = await post<SshKey>(orgPath(org.slug, '/ssh-keys'), body);
    setName('');
    setPub('');
    setPriv('');
    props.onAdded(k);
  });
  const submit = (e: Event) => {
    e.preventDefault();
    if (can('sshKeys.create')) run();
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
