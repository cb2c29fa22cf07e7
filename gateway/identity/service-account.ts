/**
 * Machine identities in the user directory: a service account (an OMS/EMS/algo engine, an analytics consumer)
 * has no password and no second factor. It is identified by its workload certificate — the certificate's
 * SHA-256 fingerprint is bound to the account, and the certificate's CompID binding to the account's CompIDs —
 * and it may connect only from its configured CIDRs. And the protocol flag any account may carry: `fix44`
 * accounts are spoken to in standard FIX 4.4 only (no Parley tags or messages).
 *
 * API
 *   SERVICE_ROLES; type ServiceAccount { purpose; allowedCidrs; certFingerprints }; type WireProtocol
 *   validateService(raw, fail, field) → ServiceAccount   (fail(field, message) throws the directory's error)
 *   validateProtocol(raw, fail, field) → WireProtocol | undefined; validCidr(s)
 *   Fingerprints are X509Certificate.fingerprint256: upper-case hex bytes with colons.
 */
import { isIPv4, isIPv6 } from 'node:net';

/** The roles of machine identities: order flow from an engine, read-only analytics. */
export const SERVICE_ROLES = ['Order Flow Engine', 'Analytics Service'] as const;
export type ServiceRole = (typeof SERVICE_ROLES)[number];

export type ServiceAccount = {
  /** What the machine does: sends order flow (RFQs, hits) or reads analytics. */
  purpose: 'order-flow' | 'analytics';
  /** The source networks it may connect from; any other address is refused at logon (policy input ipAllowListed). */
  allowedCidrs: string[];
  /** SHA-256 fingerprints of the workload certificates bound to this account (a renewed certificate is added). */
  certFingerprints: string[];
};

/** `parley` (default): Parley's FIX extension; `fix44`: standard FIX 4.4 only, for engines that do not speak it. */
export type WireProtocol = 'parley' | 'fix44';

const SERVICE_KEYS = new Set(['purpose', 'allowedCidrs', 'certFingerprints']);
const FINGERPRINT = /^[0-9A-F]{2}(:[0-9A-F]{2}){31}$/;
const MAX = 64;

type Fail = (field: string, message: string) => never;

export function validCidr(s: string): boolean {
  const slash = s.indexOf('/');
  if (slash < 0 || slash !== s.lastIndexOf('/')) return false;
  const ip = s.slice(0, slash);
  const bits = s.slice(slash + 1);
  if (!/^\d{1,3}$/.test(bits)) return false;
  const n = Number(bits);
  if (isIPv4(ip)) return n <= 32;
  if (isIPv6(ip)) return n <= 128;
  return false;
}

function list(v: unknown, field: string, fail: Fail, ok: (s: string) => boolean, what: string): string[] {
  if (!Array.isArray(v)) fail(field, 'must be an array of strings');
  const arr = v as unknown[];
  if (arr.length === 0) fail(field, `must name at least one ${what}`);
  if (arr.length > MAX) fail(field, `must have at most ${MAX} entries`);
  return arr.map((s, i) => {
    if (typeof s !== 'string' || s.length > 200 || !ok(s)) fail(`${field}[${i}]`, `must be ${what}`);
    return s as string;
  });
}

export function validateService(raw: unknown, fail: Fail, field: string): ServiceAccount {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail(field, 'must be an object { purpose, allowedCidrs, certFingerprints }');
  const r = raw as Record<string, unknown>;
  for (const k of Object.keys(r)) if (!SERVICE_KEYS.has(k)) fail(`${field}.${k}`, 'unknown field');
  if (r.purpose !== 'order-flow' && r.purpose !== 'analytics') fail(`${field}.purpose`, 'must be "order-flow" or "analytics"');
  return {
    purpose: r.purpose as ServiceAccount['purpose'],
    allowedCidrs: list(r.allowedCidrs, `${field}.allowedCidrs`, fail, validCidr, 'a CIDR like "10.20.0.0/24" or "2001:db8::/64"'),
    certFingerprints: list(r.certFingerprints, `${field}.certFingerprints`, fail, (s) => FINGERPRINT.test(s), 'a SHA-256 certificate fingerprint, 32 upper-case hex bytes separated by colons'),
  };
}

export function validateProtocol(raw: unknown, fail: Fail, field: string): WireProtocol | undefined {
  if (raw === undefined) return undefined;
  if (raw !== 'parley' && raw !== 'fix44') fail(field, 'must be "parley" or "fix44"');
  return raw as WireProtocol;
}
