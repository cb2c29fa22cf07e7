/**
 * CIDR sets for address classification (node's BlockList underneath).
 *
 * API
 *   normalizeIp(ip): string | undefined      — strips IPv4-mapped IPv6 (::ffff:a.b.c.d) and zone ids; undefined if not an IP
 *   class CidrSet { constructor(cidrs: string[], where?: string) (throws naming the bad entry); has(ip): boolean }
 */
import { BlockList, isIP } from 'node:net';

/** Sockets report IPv4 peers on dual-stack listeners as ::ffff:a.b.c.d; policies are written for a.b.c.d. */
export function normalizeIp(ip: string): string | undefined {
  if (typeof ip !== 'string' || ip.length > 64) return undefined;
  let s = ip.trim();
  const pct = s.indexOf('%');
  if (pct >= 0) s = s.slice(0, pct);
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(s);
  if (mapped) s = mapped[1]!;
  return isIP(s) === 0 ? undefined : s.toLowerCase();
}

export class CidrSet {
  readonly cidrs: readonly string[];
  #list = new BlockList();

  constructor(cidrs: readonly string[], where = 'cidrs') {
    this.cidrs = [...cidrs];
    cidrs.forEach((c, i) => {
      const m = typeof c === 'string' ? /^([^/]+)\/(\d{1,3})$/.exec(c.trim()) : null;
      const addr = m ? normalizeIp(m[1]!) : undefined;
      const fam = addr ? isIP(addr) : 0;
      const bits = m ? Number(m[2]) : -1;
      if (!m || !addr || bits > (fam === 4 ? 32 : 128)) throw new Error(`${where}[${i}]: "${String(c)}" is not a CIDR like 10.0.0.0/8 or fd00::/8`);
      this.#list.addSubnet(addr, bits, fam === 4 ? 'ipv4' : 'ipv6');
    });
  }

  has(ip: string): boolean {
    const a = normalizeIp(ip);
    if (!a) return false;
    return this.#list.check(a, isIP(a) === 4 ? 'ipv4' : 'ipv6');
  }
}
