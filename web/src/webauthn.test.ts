import { describe, expect, it } from 'vitest';
import { b64uDecode, b64uEncode } from './webauthn';

describe('base64url', () => {
  it('round-trips every length without padding', () => {
    for (let n = 0; n < 40; n++) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 37 + n) & 0xff);
      const s = b64uEncode(bytes.buffer);
      expect(s).not.toMatch(/[+/=]/);
      expect(Array.from(b64uDecode(s))).toEqual(Array.from(bytes));
    }
  });
  it('decodes the RFC 4648 vectors in the url alphabet', () => {
    expect(new TextDecoder().decode(b64uDecode('Zm9vYmFy'))).toBe('foobar');
    expect(Array.from(b64uDecode('-_8'))).toEqual([0xfb, 0xff]);
  });
});
