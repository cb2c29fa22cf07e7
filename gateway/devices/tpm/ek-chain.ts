/**
 * The endorsement key's certificate chain: the EK certificate (from the TPM's NV index), the intermediates the
 * client sends with it, up to one of the manufacturer roots IT configured. Only the roots are trusted; the
 * intermediates are just candidates that must link by signature.
 */
import { X509Certificate, type KeyObject } from 'node:crypto';
import type { Parsed } from './marshal.ts';

const MAX_INTERMEDIATES = 4;

function load(der: Buffer, what: string): Parsed<X509Certificate> {
  try {
    return { ok: true, value: new X509Certificate(der) };
  } catch {
    return { ok: false, reason: `${what} is not an X.509 certificate` };
  }
}

function within(c: X509Certificate, now: Date): boolean {
  return new Date(c.validFrom) <= now && now <= new Date(c.validTo);
}

/** The EK's public key once its certificate links to one of `roots`, else why not. */
export function verifyEkChain(ekDer: Buffer, intermediatesDer: Buffer[], roots: X509Certificate[], now: Date): Parsed<{ ek: X509Certificate; key: KeyObject; root: X509Certificate }> {
  const ek = load(ekDer, 'the EK certificate');
  if (!ek.ok) return ek;
  if (intermediatesDer.length > MAX_INTERMEDIATES) return { ok: false, reason: `more than ${MAX_INTERMEDIATES} intermediate certificates` };
  const pool: X509Certificate[] = [];
  for (const [i, d] of intermediatesDer.entries()) {
    const c = load(d, `intermediate ${i + 1}`);
    if (!c.ok) return c;
    pool.push(c.value);
  }
  if (ek.value.publicKey.asymmetricKeyType !== 'rsa') return { ok: false, reason: 'the EK certificate is not for an RSA endorsement key' };
  if (!within(ek.value, now)) return { ok: false, reason: 'the EK certificate is outside its validity period' };
  let at = ek.value;
  for (let depth = 0; depth <= MAX_INTERMEDIATES; depth++) {
    const root = roots.find((r) => at.checkIssued(r) && at.verify(r.publicKey));
    if (root) {
      if (!within(root, now)) return { ok: false, reason: 'the manufacturer root is outside its validity period' };
      return { ok: true, value: { ek: ek.value, key: ek.value.publicKey, root } };
    }
    const next = pool.find((p) => p !== at && at.checkIssued(p) && at.verify(p.publicKey) && p.ca);
    if (!next) return { ok: false, reason: `the EK certificate does not chain to a configured TPM manufacturer root (issuer "${ek.value.issuer.replace(/\n/g, ', ')}")` };
    if (!within(next, now)) return { ok: false, reason: 'an intermediate certificate is outside its validity period' };
    at = next;
  }
  return { ok: false, reason: 'the EK certificate chain is too long' };
}
