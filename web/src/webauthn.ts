// Passkeys in the browser: the server's WebAuthn options arrive as JSON with base64url binary
// fields; these turn them into what navigator.credentials wants, and the credential back into
// JSON for the API (PublicKeyCredential.toJSON's shape).

export function b64uDecode(s: string): Uint8Array {
  const b = atob(s.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((s.length + 3) % 4));
  return Uint8Array.from(b, (c) => c.charCodeAt(0));
}

export function b64uEncode(buf: ArrayBuffer): string {
  let s = '';
  for (const byte of new Uint8Array(buf)) s += String.fromCharCode(byte);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export const passkeysSupported = () => typeof window !== 'undefined' && !!window.PublicKeyCredential;

// navigator.credentials.create with POST /me/passkeys/options's answer.
export async function createPasskey(options: { publicKey: any }): Promise<any> {
  const pk = options.publicKey;
  const cred = (await navigator.credentials.create({
    publicKey: {
      ...pk,
      challenge: b64uDecode(pk.challenge),
      user: { ...pk.user, id: b64uDecode(pk.user.id) },
      excludeCredentials: (pk.excludeCredentials ?? []).map((c: any) => ({ ...c, id: b64uDecode(c.id) })),
    },
  })) as PublicKeyCredential;
  const r = cred.response as AuthenticatorAttestationResponse;
  return { id: cred.id, rawId: b64uEncode(cred.rawId), type: cred.type,
    response: { clientDataJSON: b64uEncode(r.clientDataJSON), attestationObject: b64uEncode(r.attestationObject) } };
}

// navigator.credentials.get with request options (sign-in, second step, step-up).
export async function getPasskey(options: { publicKey: any }): Promise<any> {
  const pk = options.publicKey;
  const cred = (await navigator.credentials.get({
    publicKey: { ...pk, challenge: b64uDecode(pk.challenge),
      allowCredentials: (pk.allowCredentials ?? []).map((c: any) => ({ ...c, id: b64uDecode(c.id) })) },
  })) as PublicKeyCredential;
  const r = cred.response as AuthenticatorAssertionResponse;
  return { id: cred.id, rawId: b64uEncode(cred.rawId), type: cred.type,
    response: { clientDataJSON: b64uEncode(r.clientDataJSON), authenticatorData: b64uEncode(r.authenticatorData),
      signature: b64uEncode(r.signature), userHandle: r.userHandle ? b64uEncode(r.userHandle) : null } };
}
