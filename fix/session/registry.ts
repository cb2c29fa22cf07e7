/**
 * Which sessions are logged on (one registry per acceptor; sessions sharing one refuse duplicate logons) and
 * the bookkeeping of a takeover by a newer connection with the same certificate key.
 */
import type { FixConnection } from '../transport.ts';
import type { FixSession } from './session.ts';

/** The reason a session's connection is closed when a newer connection took the session over. */
export const TAKEN_OVER = 'taken over by a new connection from';

/** Both connections present a client certificate with the same public key (proved in each TLS handshake). */
export function sameCertificateKey(a: FixConnection | undefined, b: FixConnection | undefined): boolean {
  const x = a?.peerCertificate;
  const y = b?.peerCertificate;
  if (!x || !y) return false;
  if (x.fingerprint256 === y.fingerprint256) return true;
  try {
    return x.publicKey.export({ type: 'spki', format: 'der' }).equals(y.publicKey.export({ type: 'spki', format: 'der' }));
  } catch {
    return false;
  }
}

export class SessionRegistry {
  #active = new Map<string, FixSession>();
  claim(key: string, s: FixSession): boolean {
    const cur = this.#active.get(key);
    if (cur && cur !== s && cur.state !== 'closed') return false;
    this.#active.set(key, s);
    return true;
  }
  /** Makes `s` the session for `key` whatever holds it now (the caller has ended the previous holder). */
  takeOver(key: string, s: FixSession): void {
    this.#active.set(key, s);
  }
  release(key: string, s: FixSession): void {
    if (this.#active.get(key) === s) this.#active.delete(key);
  }
  get(key: string): FixSession | undefined { return this.#active.get(key); }
  readonly #takingOver = new Set<string>();
  /** One takeover Logon per session is authorised at a time; false while another is. */
  beginTakeover(key: string): boolean {
    if (this.#takingOver.has(key)) return false;
    this.#takingOver.add(key);
    return true;
  }
  endTakeover(key: string): void { this.#takingOver.delete(key); }
}
