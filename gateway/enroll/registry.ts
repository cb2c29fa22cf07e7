/**
 * What the CA has issued (JSON lines) and revoked (a JSON list), and the CRL derived from them.
 * Renewal looks the presented certificate up here to keep its user and CompID binding.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { GatewayCa } from './ca.ts';

export type IssuedCert = { serial: string; user: string; compId: string; subject: string; notAfter: string; issuedAt: string; fingerprint256: string; via: 'enroll' | 'renew' | 'import' };
export type Revocation = { serial: string; time: string; reason: string; by: string };

export class CertRegistry {
  readonly #issuedFile: string | null;
  readonly #revokedFile: string | null;
  readonly #crlFile: string | null;
  #issued = new Map<string, IssuedCert>();
  #revoked = new Map<string, Revocation>();

  constructor(files: { issued: string | null; revoked: string | null; crl: string | null }) {
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

  /** Adds a revocation and rewrites the CRL; returns the new CRL PEM. Revoking twice is harmless. */
  async revoke(ca: GatewayCa, serial: string, reason: string, by: string): Promise<string> {
    this.reload();
    const s = normSerial(serial);
    if (!this.#revoked.has(s)) {
      this.#revoked.set(s, { serial: s, time: new Date().toISOString(), reason, by });
      if (this.#revokedFile) writeAtomic(this.#revokedFile, JSON.stringify([...this.#revoked.values()], null, 1));
    }
    return this.writeCrl(ca);
  }

  async writeCrl(ca: GatewayCa): Promise<string> {
    const pem = await ca.crl([...this.#revoked.values()].map((r) => ({ serial: r.serial, time: new Date(r.time) })));
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
