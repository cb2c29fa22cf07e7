/**
 * One-time enrollment tokens. Only a SHA-256 of each token is stored (a copy of the file enrolls no
 * one). The endpoint peeks at a token, validates and signs the CSR, then consumes the token (marked used and
 * persisted synchronously) before it records or returns the certificate: a bad CSR burns nothing, and of two
 * requests racing with one token exactly one gets a certificate.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export type TokenRecord = {
  id: string; hash: string; user: string; compId: string; createdAt: string; expiresAt: string;
  usedAt: string | null; createdBy: string;
};
export type TokenUse = { ok: true; record: TokenRecord } | { ok: false; reason: 'unknown' | 'used' | 'expired' };

function digest(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export class TokenStore {
  readonly file: string | null;
  #records: TokenRecord[];

  private constructor(file: string | null, records: TokenRecord[]) {
    this.file = file;
    this.#records = records;
  }

  static open(file: string | null): TokenStore {
    if (file === null || !existsSync(file)) return new TokenStore(file, []);
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    if (!Array.isArray(parsed)) throw new Error(`${file}: expected a JSON array of token records`);
    return new TokenStore(file, parsed as TokenRecord[]);
  }

  /** Re-reads the file: the admin CLI issues tokens while the gateway runs. */
  reload(): void {
    if (this.file === null || !existsSync(this.file)) return;
    this.#records = JSON.parse(readFileSync(this.file, 'utf8')) as TokenRecord[];
  }

  #save(): void {
    if (this.file === null) return;
    mkdirSync(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.#records, null, 1), { mode: 0o600 });
    renameSync(tmp, this.file);
  }

  /** Returns the token itself, once; only its hash is kept. */
  issue(o: { user: string; compId: string; ttlMs: number; createdBy?: string; now?: Date }): { token: string; record: TokenRecord } {
    const now = o.now ?? new Date();
    const token = `pet_${randomBytes(32).toString('base64url')}`;
    const record: TokenRecord = {
      id: randomBytes(6).toString('hex'), hash: digest(token), user: o.user, compId: o.compId,
      createdAt: now.toISOString(), expiresAt: new Date(now.getTime() + o.ttlMs).toISOString(), usedAt: null,
      createdBy: o.createdBy ?? 'admin',
    };
    this.reload();
    this.#records.push(record);
    this.#save();
    return { token, record };
  }

  /**
   * Whether the token would be accepted now, without using it: the endpoint checks the token before it spends
   * work on the CSR, and consumes it only once the certificate is signed (a bad CSR burns nothing).
   */
  peek(token: string, now = new Date()): TokenUse {
    const r = this.#find(token);
    if (!r) return { ok: false, reason: 'unknown' };
    if (r.usedAt !== null) return { ok: false, reason: 'used' };
    if (Date.parse(r.expiresAt) <= now.getTime()) return { ok: false, reason: 'expired' };
    return { ok: true, record: r };
  }

  /**
   * Marks the token used and persists that, synchronously (reload, check, write): of two requests racing with
   * one token, exactly one gets ok.
   */
  consume(token: string, now = new Date()): TokenUse {
    const use = this.peek(token, now);
    if (!use.ok) return use;
    use.record.usedAt = now.toISOString();
    this.#save();
    return use;
  }

  #find(token: string): TokenRecord | undefined {
    if (typeof token !== 'string' || token.length < 8 || token.length > 256) return undefined;
    this.reload();
    const h = digest(token);
    return this.#records.find((x) => x.hash === h);
  }

  list(): Omit<TokenRecord, 'hash'>[] {
    this.reload();
    return this.#records.map(({ hash: _h, ...rest }) => rest);
  }

  revoke(id: string): boolean {
    this.reload();
    const r = this.#records.find((x) => x.id === id);
    if (!r || r.usedAt !== null) return false;
    r.usedAt = `revoked:${new Date().toISOString()}`;
    this.#save();
    return true;
  }
}
