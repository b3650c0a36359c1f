// Client-side hints for a security-group rule source. The server is the authority (it also
// normalises host bits and resolves "my-ip"); this only catches typos before a round trip, with
// the same strictness: a prefix length is required, no leading zeros, octets 0–255.

export const SOURCE_WORDS = ['anywhere', 'anywhere-ipv6', 'my-ip'];

function ipv4(s: string): number[] | null {
  const parts = s.split('.');
  if (parts.length !== 4) return null;
  const out: number[] = [];
  for (const p of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return null;
    const n = Number(p);
    if (n > 255) return null;
    out.push(n);
  }
  return out;
}

function ipv6(s: string): boolean {
  if (!/^[0-9a-fA-F:.]+$/.test(s) || !s.includes(':')) return false;
  try {
    new URL(`http://[${s}]/`);
    return true;
  } catch {
    return false;
  }
}

// null when fine; else the problem, phrased like the server's field errors.
export function sourceProblem(raw: string): string | null {
  const s = raw.trim();
  if (!s) return 'is required: a CIDR, "anywhere", "anywhere-ipv6" or "my-ip"';
  if (SOURCE_WORDS.includes(s)) return null;
  const slash = s.indexOf('/');
  if (slash < 0) return `needs a prefix length, e.g. ${s}/32 for one address`;
  const addr = s.slice(0, slash), len = s.slice(slash + 1);
  if (!/^(0|[1-9][0-9]{0,2})$/.test(len)) return 'has a bad prefix length (a number without leading zeros)';
  const n = Number(len);
  if (addr.includes(':')) {
    if (!ipv6(addr)) return 'is not a valid IPv6 address';
    if (n > 128) return 'has a prefix length above 128';
    return null;
  }
  if (!ipv4(addr)) return 'is not a valid IPv4 address (four numbers 0–255, no leading zeros)';
  if (n > 32) return 'has a prefix length above 32';
  return null;
}

// For an IPv4 CIDR with host bits set, what the server will store ("10.0.0.0/8"); else null.
export function normalisedIpv4(raw: string): string | null {
  const [addr, len] = raw.trim().split('/');
  const o = ipv4(addr ?? '');
  if (!o || len === undefined) return null;
  const n = Number(len);
  const v = ((o[0] << 24) >>> 0) + (o[1] << 16) + (o[2] << 8) + o[3];
  const mask = n === 0 ? 0 : (0xffffffff << (32 - n)) >>> 0;
  const net = (v & mask) >>> 0;
  if (net === v) return null;
  return `${net >>> 24}.${(net >>> 16) & 255}.${(net >>> 8) & 255}.${net & 255}/${n}`;
}

// Named rule types (the server's table): the protocol and ports they fix; custom-* take ports.
export const RULE_TYPES: { type: string; label: string; protocol: string; ports?: string }[] = [
  { type: 'ssh', label: 'SSH', protocol: 'tcp', ports: '22' },
  { type: 'http', label: 'HTTP', protocol: 'tcp', ports: '80' },
  { type: 'https', label: 'HTTPS', protocol: 'tcp', ports: '443' },
  { type: 'dns', label: 'DNS (UDP)', protocol: 'udp', ports: '53' },
  { type: 'dns-tcp', label: 'DNS (TCP)', protocol: 'tcp', ports: '53' },
  { type: 'icmp', label: 'ICMP (ping, IPv4)', protocol: 'icmp' },
  { type: 'icmpv6', label: 'ICMPv6', protocol: 'icmpv6' },
  { type: 'postgresql', label: 'PostgreSQL', protocol: 'tcp', ports: '5432' },
  { type: 'mysql', label: 'MySQL', protocol: 'tcp', ports: '3306' },
  { type: 'mariadb', label: 'MariaDB', protocol: 'tcp', ports: '3306' },
  { type: 'redis', label: 'Redis', protocol: 'tcp', ports: '6379' },
  { type: 'mongodb', label: 'MongoDB', protocol: 'tcp', ports: '27017' },
  { type: 'elasticsearch', label: 'Elasticsearch', protocol: 'tcp', ports: '9200' },
  { type: 'smtp', label: 'SMTP', protocol: 'tcp', ports: '25' },
  { type: 'smtps', label: 'SMTPS', protocol: 'tcp', ports: '465' },
  { type: 'smtp-submission', label: 'SMTP submission', protocol: 'tcp', ports: '587' },
  { type: 'imap', label: 'IMAP', protocol: 'tcp', ports: '143' },
  { type: 'imaps', label: 'IMAPS', protocol: 'tcp', ports: '993' },
  { type: 'pop3', label: 'POP3', protocol: 'tcp', ports: '110' },
  { type: 'pop3s', label: 'POP3S', protocol: 'tcp', ports: '995' },
  { type: 'ldap', label: 'LDAP', protocol: 'tcp', ports: '389' },
  { type: 'ldaps', label: 'LDAPS', protocol: 'tcp', ports: '636' },
  { type: 'rdp', label: 'RDP', protocol: 'tcp', ports: '3389' },
  { type: 'nfs', label: 'NFS', protocol: 'tcp', ports: '2049' },
  { type: 'mssql', label: 'MS SQL', protocol: 'tcp', ports: '1433' },
  { type: 'all-tcp', label: 'All TCP', protocol: 'tcp', ports: '1–65535' },
  { type: 'all-udp', label: 'All UDP', protocol: 'udp', ports: '1–65535' },
  { type: 'all-traffic', label: 'All traffic', protocol: 'all' },
  { type: 'custom-tcp', label: 'Custom TCP', protocol: 'tcp' },
  { type: 'custom-udp', label: 'Custom UDP', protocol: 'udp' },
];
export const isCustom = (t: string) => t === 'custom-tcp' || t === 'custom-udp';
