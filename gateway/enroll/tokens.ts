/**
 * One-time enrollment tokens. Only a SHA-256 of each token is stored (a copy of the file enrolls no
 * one); a token is marked used and persisted before the certificate is signed, so a second use is
 * refused even when two requests race.
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

  consume(token: string, now = new Date()): TokenUse {
    if (typeof token !== 'string' || token.length < 8 || token.length > 256) return { ok: false, reason: 'unknown' };
    this.reload();
    const h = digest(token);
    const r = this.#records.find((x) => x.hash === h);
    if (!r) return { ok: false, reason: 'unknown' };
    if (r.usedAt !== null) return { ok: false, reason: 'used' };
    if (Date.parse(r.expiresAt) <= now.getTime()) return { ok: false, reason: 'expired' };
    r.usedAt = now.toISOString();
    this.#save();
    return { ok: true, record: r };
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
