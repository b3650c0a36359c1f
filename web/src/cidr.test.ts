import { describe, expect, it } from 'vitest';
import { normalisedIpv4, sourceProblem } from './cidr';

describe('rule source hints', () => {
  it('accepts CIDRs and the named sources', () => {
    for (const s of ['10.0.0.0/8', '0.0.0.0/0', '203.0.113.5/32', '2001:db8::/32', '::/0', 'anywhere', 'anywhere-ipv6', 'my-ip']) expect(sourceProblem(s)).toBeNull();
  });
  it('names what is wrong, as strictly as the server', () => {
    expect(sourceProblem('10.0.0.256/8')).toMatch(/IPv4/);
    expect(sourceProblem('10.0.0.1')).toMatch(/prefix length/);
    expect(sourceProblem('010.0.0.1/32')).toMatch(/leading zeros/);
    expect(sourceProblem('10.0.0.0/33')).toMatch(/above 32/);
    expect(sourceProblem('10.0.0.0/08')).toMatch(/prefix length/);
    expect(sourceProblem('2001:db8::/129')).toMatch(/above 128/);
    expect(sourceProblem('2001:zz::/32')).toMatch(/IPv6/);
    expect(sourceProblem('')).toMatch(/required/);
  });
  it('says how host bits will be normalised', () => {
    expect(normalisedIpv4('192.168.1.77/24')).toBe('192.168.1.0/24');
    expect(normalisedIpv4('10.0.0.0/8')).toBeNull();
    expect(normalisedIpv4('10.1.2.3/0')).toBe('0.0.0.0/0');
  });
});
