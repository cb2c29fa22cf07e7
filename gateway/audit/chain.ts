/**
 * The audit chain's line format and its key.
 *
 * A line is {"seq":n,"ts":"ISO time","type":"...","data":{...},"prev":"<hash of line n-1>","hash":"<hex>"}, where
 * hash is computed over the exact bytes of the line up to (not including) `,"hash":` followed by `}` — i.e. over the
 * JSON of {seq,ts,type,data,prev} as written, so verification does not depend on how JSON round-trips. The first
 * line's prev is 64 zeros.
 *   keyed line   hash = HMAC-SHA256(key, bytes): without the key nobody can re-chain a log after removing lines.
 *   legacy line  hash = SHA-256(bytes): logs written before the key existed. A keyed log may start with legacy
 *                lines only when the first keyed line is `audit.keyed` {legacyEntries: <their count>}.
 * The key is 32 random bytes, hex, in a file of its own (default `<log>.key`, 0600), created at first open.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';

export const GENESIS = '0'.repeat(64);
export const HASH_KEY = ',"hash":"';
export const MAX_LINE = 1024 * 1024;
/** The first keyed line of a log that had legacy (unkeyed) lines. */
export const KEYED_TYPE = 'audit.keyed';

export function defaultKeyFile(logFile: string): string {
  return `${logFile}.key`;
}

export function lineHash(body: string, key: Buffer | null): string {
  return key ? createHmac('sha256', key).update(body, 'utf8').digest('hex') : createHash('sha256').update(body, 'utf8').digest('hex');
}

/** The key in `file`, or null when there is none; a file that is there but not a key is an error, never "no key". */
export async function loadKey(file: string): Promise<Buffer | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new Error(`audit key ${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  const hex = text.trim();
  if (!/^[0-9a-f]{64}$/.test(hex)) throw new Error(`audit key ${file}: not an audit key (64 hex digits expected)`);
  return Buffer.from(hex, 'hex');
}

/** Creates a new key file (0600); refuses to overwrite one. */
export async function createKey(file: string): Promise<Buffer> {
  const key = randomBytes(32);
  await writeFile(file, `${key.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  return key;
}

export interface Parsed { seq: number; type: string; data: unknown; prev: string; hash: string; keyed: boolean }

/** Checks one line on its own (shape and hash, keyed when `key` is given, else legacy); the chain is the caller's. */
export function checkLine(line: string, key: Buffer | null): Parsed | string {
  if (line.length > MAX_LINE) return 'line too long';
  const at = line.lastIndexOf(HASH_KEY);
  if (at < 0 || !line.endsWith('"}')) return 'not an audit entry (no hash)';
  let obj: unknown;
  try {
    obj = JSON.parse(line);
  } catch {
    return 'not valid JSON';
  }
  if (typeof obj !== 'object' || obj === null) return 'not an audit entry';
  const o = obj as Record<string, unknown>;
  const keys = Object.keys(o).join(',');
  if (keys !== 'seq,ts,type,data,prev,hash') return `unexpected fields (${keys.slice(0, 80)})`;
  if (!Number.isSafeInteger(o.seq) || typeof o.ts !== 'string' || typeof o.type !== 'string' || typeof o.prev !== 'string' || typeof o.hash !== 'string') {
    return 'malformed entry';
  }
  if (line.slice(at) !== `${HASH_KEY}${o.hash}"}`) return 'hash does not match the content (edited)';
  const body = `${line.slice(0, at)}}`;
  const base = { seq: o.seq as number, type: o.type, data: o.data, prev: o.prev, hash: o.hash };
  if (key && lineHash(body, key) === o.hash) return { ...base, keyed: true };
  if (lineHash(body, null) === o.hash) return { ...base, keyed: false };
  return key ? 'hash does not match the content (edited, or re-chained without the key)' : 'hash does not match the content (edited, or a keyed entry: give the key file)';
}

/** One line, ready to append, and its hash. */
export function formatLine(seq: number, type: string, dataJson: string, prev: string, key: Buffer | null, now: Date): { text: string; hash: string } {
  const body = `{"seq":${seq},"ts":${JSON.stringify(now.toISOString())},"type":${JSON.stringify(type)},"data":${dataJson},"prev":"${prev}"}`;
  const hash = lineHash(body, key);
  return { text: `${body.slice(0, -1)}${HASH_KEY}${hash}"}\n`, hash };
}
