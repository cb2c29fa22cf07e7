/**
 * Reads complete lines of the audit log from a byte offset, a bounded batch at a time, for the SIEM export.
 * It never writes the log and needs no key: the export ships each entry's hash and prev, and the SIEM checks the
 * chain (and the keyed checkpoints) itself.
 *
 * API
 *   class AuditTail
 *     static open(file): Promise<AuditTail>
 *     read(from, maxBytes): Promise<TailBatch>   complete lines starting at `from` (a line start) in at most
 *                                                maxBytes (a longer line is read whole: one line per batch then);
 *                                                an unfinished last line (being written) is left for later
 *     size(): Promise<number>; close()
 *   parseEntry(text): AuditEntry | string        one line, or why it is not an audit entry
 */
import { open, type FileHandle } from 'node:fs/promises';
import { MAX_LINE } from '../audit/chain.ts';
import type { AuditEntry } from './ecs.ts';

export type TailLine = { start: number; end: number } & ({ entry: AuditEntry } | { bad: string });
export type TailBatch = { lines: TailLine[]; next: number };

export function parseEntry(text: string): AuditEntry | string {
  if (text.length > MAX_LINE) return 'line too long';
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch {
    return 'not valid JSON';
  }
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return 'not an audit entry';
  const r = o as Record<string, unknown>;
  if (!Number.isSafeInteger(r.seq) || (r.seq as number) < 1) return 'no valid seq';
  if (typeof r.ts !== 'string' || typeof r.type !== 'string' || typeof r.prev !== 'string' || typeof r.hash !== 'string') return 'malformed entry';
  if (!/^[0-9a-f]{64}$/.test(r.hash) || !/^[0-9a-f]{64}$/.test(r.prev)) return 'malformed hash';
  return { seq: r.seq as number, ts: r.ts, type: r.type, data: r.data, prev: r.prev, hash: r.hash };
}

export class AuditTail {
  readonly file: string;
  readonly #fh: FileHandle;

  private constructor(file: string, fh: FileHandle) {
    this.file = file;
    this.#fh = fh;
  }

  static async open(file: string): Promise<AuditTail> {
    return new AuditTail(file, await open(file, 'r'));
  }

  async size(): Promise<number> {
    return (await this.#fh.stat()).size;
  }

  async read(from: number, maxBytes: number): Promise<TailBatch> {
    const size = await this.size();
    if (from >= size) return { lines: [], next: from };
    let want = Math.min(size - from, Math.max(1024, maxBytes));
    for (;;) {
      const buf = Buffer.alloc(want);
      const { bytesRead } = await this.#fh.read(buf, 0, want, from);
      const got = buf.subarray(0, bytesRead);
      const lastNl = got.lastIndexOf(0x0a);
      if (lastNl < 0) {
        // No complete line in the window: a line longer than maxBytes (read it whole, up to the longest audit
        // line), or one still being written.
        if (bytesRead < want || want >= size - from || want > MAX_LINE + 1) {
          if (want > MAX_LINE + 1) return this.#skipLongLine(from, from + bytesRead);
          return { lines: [], next: from };
        }
        want = Math.min(size - from, want * 4, MAX_LINE + 2);
        continue;
      }
      const lines: TailLine[] = [];
      let at = 0;
      while (at <= lastNl) {
        const nl = got.indexOf(0x0a, at);
        const text = got.toString('utf8', at, nl);
        const e = parseEntry(text);
        lines.push(typeof e === 'string' ? { start: from + at, end: from + nl + 1, bad: e } : { start: from + at, end: from + nl + 1, entry: e });
        at = nl + 1;
      }
      return { lines, next: from + lastNl + 1 };
    }
  }

  /** Not an audit entry (longer than any): reported once, as one bad line up to its newline. */
  async #skipLongLine(from: number, at: number): Promise<TailBatch> {
    const buf = Buffer.alloc(64 * 1024);
    for (;;) {
      const { bytesRead } = await this.#fh.read(buf, 0, buf.length, at);
      if (bytesRead === 0) return { lines: [], next: from }; // its end is not written yet
      const nl = buf.subarray(0, bytesRead).indexOf(0x0a);
      if (nl >= 0) return { lines: [{ start: from, end: at + nl + 1, bad: 'line too long' }], next: at + nl + 1 };
      at += bytesRead;
    }
  }

  async close(): Promise<void> {
    await this.#fh.close().catch(() => undefined);
  }
}
