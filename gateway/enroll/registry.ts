/**
 * What the CA has issued (JSON lines) and revoked (a JSON list), and the CRL derived from them.
 * Renewal looks the presented certificate up here to keep its user and CompID binding.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { GatewayCa } from './ca.ts';

export type IssuedCert = {
  serial: string; user: string; compId: string; subject: string; notAfter: string; issuedAt: string; fingerprint256: string;
  via: 'enroll' | 'renew' | 'import';
  /** When the renewal chain began (the enrollment with a token); absent in older records: issuedAt then. */
  enrolledAt?: string;
  /** The certificate this one renewed (and replaced). */
  previous?: string;
  /** The hardware-bound device (gateway/devices) whose key signs this certificate's posture; renewals keep it. */
  deviceId?: string;
};
export type Revocation = { serial: string; time: string; reason: string; by: string };

export class CertRegistry {
  readonly #issuedFile: string | null;
  readonly #revokedFile: string | null;
  readonly #crlFile: string | null;
  #issued = new Map<string, IssuedCert>();
  #revoked = new Map<string, Revocation>();

  readonly #crlValidityMs: number | undefined;

  /** crlValidityMs: the nextUpdate every CRL written here gets (default the CA's 24 h). */
  constructor(files: { issued: string | null; revoked: string | null; crl: string | null; crlValidityMs?: number }) {
    this.#crlValidityMs = files.crlValidityMs;
    this.#issuedFile = files.issued;
    this.#revokedFile = files.revoked;
    this.#crlFile = files.crl;
    this.reload();
  }

  reload(): void {
    this.#issued = new Map();
    if (this.#issuedFile && existsSync(this.#issuedFile)) {
      for (const line of readFileSync(this.#issuedFile, 'utf8').split('\n')) {
        if (!line.trim()) continue;
        try {
          const c = JSON.parse(line) as IssuedCert;
          if (typeof c.serial === 'string') this.#issued.set(normSerial(c.serial), c);
        } catch { /* a torn last line from a crash is skipped; the certificate is then simply not renewable */ }
      }
    }
    this.#revoked = new Map();
    if (this.#revokedFile && existsSync(this.#revokedFile)) {
      const list = JSON.parse(readFileSync(this.#revokedFile, 'utf8')) as Revocation[];
      for (const r of list) this.#revoked.set(normSerial(r.serial), r);
    }
  }

  recordIssued(c: IssuedCert): void {
    const rec = { ...c, serial: normSerial(c.serial) };
    if (this.#issuedFile) {
      mkdirSync(dirname(this.#issuedFile), { recursive: true });
      appendFileSync(this.#issuedFile, `${JSON.stringify(rec)}\n`, { mode: 0o600 });
    }
    this.#issued.set(rec.serial, rec);
  }

  issued(serial: string): IssuedCert | undefined {
    return this.#issued.get(normSerial(serial));
  }

  listIssued(): IssuedCert[] {
    return [...this.#issued.values()];
  }

  isRevoked(serial: string): boolean {
    return this.#revoked.has(normSerial(serial));
  }

  listRevoked(): Revocation[] {
    return [...this.#revoked.values()];
  }

  /** Where the CRL is written (null: nowhere). */
  get crlFile(): string | null {
    return this.#crlFile;
  }

  /** When a certificate's renewal chain began: its enrollment (older records: its own issue time). */
  chainStart(c: IssuedCert): Date {
    return new Date(c.enrolledAt ?? c.issuedAt);
  }

  /** Every certificate renewed, directly or not, from this one (a stolen certificate's renewals). */
  successors(serial: string): string[] {
    const children = new Map<string, string[]>();
    for (const c of this.#issued.values()) {
      if (!c.previous) continue;
      const p = normSerial(c.previous);
      children.set(p, [...(children.get(p) ?? []), c.serial]);
    }
    const out: string[] = [];
    const todo = [...(children.get(normSerial(serial)) ?? [])];
    while (todo.length) {
      const s = todo.pop()!;
      if (out.includes(s)) continue;
      out.push(s);
      todo.push(...(children.get(s) ?? []));
    }
    return out;
  }

  /**
   * Records revocations without signing a CRL (the caller re-issues it: CrlPublisher, or revoke() below).
   * Returns the serials newly revoked; revoking twice is harmless.
   */
  revokeSerials(serials: string[], reason: string, by: string, now = new Date()): string[] {
    this.reload();
    const added: string[] = [];
    for (const serial of serials) {
      const s = normSerial(serial);
      if (this.#revoked.has(s) || added.includes(s)) continue;
      this.#revoked.set(s, { serial: s, time: now.toISOString(), reason, by });
      added.push(s);
    }
    if (added.length && this.#revokedFile) writeAtomic(this.#revokedFile, JSON.stringify([...this.#revoked.values()], null, 1));
    return added;
  }

  /**
   * Revokes a certificate and every certificate renewed from it, and rewrites the CRL; returns the new CRL PEM.
   * (Revoking a stolen certificate must also kill what the thief renewed it into.)
   */
  async revoke(ca: GatewayCa, serial: string, reason: string, by: string): Promise<string> {
    this.reload();
    this.revokeSerials([serial, ...this.successors(serial)], reason, by);
    return this.writeCrl(ca);
  }

  /** The serials revoke() would revoke for this one (itself and its renewals), for ending their sessions. */
  withSuccessors(serial: string): string[] {
    this.reload();
    return [normSerial(serial), ...this.successors(serial)];
  }

  /** Every certificate ever issued to the user, revoked (already revoked ones included in `all`). */
  revokeUser(user: string, reason: string, by: string, now = new Date()): { revoked: string[]; all: string[] } {
    this.reload();
    const all = [...this.#issued.values()].filter((c) => c.user === user).map((c) => c.serial);
    return { revoked: this.revokeSerials(all, reason, by, now), all };
  }

  async writeCrl(ca: GatewayCa, o: { now?: Date; validityMs?: number } = {}): Promise<string> {
    const now = o.now ?? new Date();
    // An expired certificate fails TLS on its own, so it leaves the CRL (RFC 5280 5.1.2.6 allows it): with every
    // renewal revoking its predecessor the list would otherwise grow without end. Certificates not issued here
    // (dev PKI, imports) have no known expiry and stay listed.
    const listed = [...this.#revoked.values()].filter((r) => {
      const c = this.#issued.get(r.serial);
      return !c || !(Date.parse(c.notAfter) < now.getTime());
    });
    const pem = await ca.crl(listed.map((r) => ({ serial: r.serial, time: new Date(r.time) })), now, o.validityMs ?? this.#crlValidityMs);
    if (this.#crlFile) writeAtomic(this.#crlFile, pem);
    return pem;
  }
}

export function normSerial(s: string): string {
  const hex = s.replace(/[^0-9a-fA-F]/g, '').toLowerCase().replace(/^0+(?=.)/, '');
  return hex;
}

function writeAtomic(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  renameSync(tmp, file);
}
