// TOTP codes computed the RFC 6238 way with node's crypto (HMAC-SHA-1, 6 digits, 30 s), and a
// per-secret code source that never hands out a step twice: Wharf refuses a replayed step and any
// step at or below the last one used, so each call takes the next unused step inside the server's
// window (the current step ± 1), waiting for the clock when the window is used up.
import crypto from 'node:crypto';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export function base32Decode(s) {
  let bits = 0;
  let value = 0;
  const out = [];
  for (const ch of s.replace(/=+$/, '').toUpperCase()) {
    const i = ALPHABET.indexOf(ch);
    if (i < 0) throw new Error(`not base32: ${ch}`);
    value = (value << 5) | i;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

export function hotp(key, counter) {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(counter));
  const mac = crypto.createHmac('sha1', key).update(msg).digest();
  const off = mac[mac.length - 1] & 0x0f;
  const bin = ((mac[off] & 0x7f) << 24) | (mac[off + 1] << 16) | (mac[off + 2] << 8) | mac[off + 3];
  return String(bin % 1_000_000).padStart(6, '0');
}

export const stepNow = () => Math.floor(Date.now() / 1000 / 30);

export function totpCodes(base32Secret) {
  const key = base32Decode(base32Secret);
  let last = -Infinity;
  return {
    key,
    at: (step) => hotp(key, step),
    // The next unused code the server accepts now.
    async next() {
      for (;;) {
        // Keep 2 s away from a step boundary, so the server's step is the one computed here.
        const into = (Date.now() / 1000) % 30;
        if (into > 28 || into < 1) { await new Promise((r) => setTimeout(r, 2500)); continue; }
        const now = stepNow();
        const step = Math.max(last + 1, now - 1);
        if (step <= now + 1) {
          last = step;
          return hotp(key, step);
        }
        await new Promise((r) => setTimeout(r, 1000));
      }
    },
  };
}
