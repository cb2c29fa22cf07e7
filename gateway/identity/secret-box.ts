/**
 * Secrets at rest in users.json (TOTP seeds): AES-256-GCM with a key kept outside the directory file
 * (identity.secretsKeyFile, default `<users>.key`, created 0600 at first use). Each sealed value is bound to the
 * user it belongs to (additional data), so a seed cannot be moved to another user's entry; an altered value or a
 * wrong key fails to open instead of yielding a different seed.
 *
 *   enc1:<base64url(iv[12] | tag[16] | ciphertext)>
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

const PREFIX = 'enc1:';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** A TOTP seed is at most 128 characters: anything much longer is not ours. */
const MAX_SEALED = 512;

export class SecretBoxError extends Error {}

export class SecretBox {
  readonly #key: Buffer;

  private constructor(key: Buffer) {
    this.#key = key;
  }

  /** Reads the key file, or creates it (0600, exclusive) when it does not exist yet. */
  static openOrCreate(file: string): SecretBox {
    if (!existsSync(file)) {
      try {
        writeFileSync(file, `${randomBytes(KEY_BYTES).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new SecretBoxError(`${file}: cannot create the secrets key (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
      }
    }
    let text: string;
    try {
      text = readFileSync(file, 'utf8').trim();
    } catch (e) {
      throw new SecretBoxError(`${file}: cannot read the secrets key (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
    if (!/^[0-9a-f]{64}$/.test(text)) throw new SecretBoxError(`${file}: not a secrets key (expected 64 hex digits)`);
    return new SecretBox(Buffer.from(text, 'hex'));
  }

  static fromKey(key: Buffer): SecretBox {
    if (key.length !== KEY_BYTES) throw new SecretBoxError(`a secrets key is ${KEY_BYTES} bytes`);
    return new SecretBox(Buffer.from(key));
  }

  static isSealed(value: unknown): value is string {
    return typeof value === 'string' && value.startsWith(PREFIX);
  }

  seal(plain: string, boundTo: string): string {
    const iv = randomBytes(IV_BYTES);
    const c = createCipheriv('aes-256-gcm', this.#key, iv);
    c.setAAD(Buffer.from(boundTo, 'utf8'));
    const ct = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
    return PREFIX + Buffer.concat([iv, c.getAuthTag(), ct]).toString('base64url');
  }

  /** Throws SecretBoxError for anything that is not a value sealed with this key for `boundTo`. */
  open(sealed: string, boundTo: string): string {
    if (!SecretBox.isSealed(sealed) || sealed.length > MAX_SEALED) throw new SecretBoxError('not a sealed value');
    const raw = Buffer.from(sealed.slice(PREFIX.length), 'base64url');
    if (raw.length <= IV_BYTES + TAG_BYTES) throw new SecretBoxError('sealed value is truncated');
    try {
      const d = createDecipheriv('aes-256-gcm', this.#key, raw.subarray(0, IV_BYTES));
      d.setAAD(Buffer.from(boundTo, 'utf8'));
      d.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      return Buffer.concat([d.update(raw.subarray(IV_BYTES + TAG_BYTES)), d.final()]).toString('utf8');
    } catch {
      throw new SecretBoxError('cannot be opened with this key (a wrong key, another user\'s value, or altered)');
    }
  }
}
