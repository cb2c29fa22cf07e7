/**
 * The SIEM export's on-disk cursor: where in the audit log to (re)start sending after a restart.
 *
 * A cursor is {"offset":n,"seq":s,"prev":"<hash>"}: the entry starting at byte `offset` is entry `seq`, whose
 * `prev` is the given hash (the audit chain links entries, so a cursor cannot silently point into another log).
 * It is written atomically (temp file + rename, 0600). It never points further than what the receiver is known
 * to hold: see syslog-export.ts for the replay window.
 *
 * API
 *   type Cursor; START (the log's first entry); loadCursor(file): Cursor | null (missing) | 'invalid' (unreadable
 *   or not a cursor: the caller starts again from the log's start and says so);
 *   saveCursor(file, c): Promise<void>
 */
import { readFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';

export type Cursor = { offset: number; seq: number; prev: string };

export const START: Cursor = Object.freeze({ offset: 0, seq: 1, prev: '0'.repeat(64) });

export function loadCursor(file: string): Cursor | null | 'invalid' {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    return 'invalid';
  }
  if (text.length > 4096) return 'invalid';
  try {
    const o = JSON.parse(text) as Record<string, unknown>;
    if (typeof o !== 'object' || o === null) return 'invalid';
    if (!Number.isSafeInteger(o.offset) || (o.offset as number) < 0) return 'invalid';
    if (!Number.isSafeInteger(o.seq) || (o.seq as number) < 1) return 'invalid';
    if (typeof o.prev !== 'string' || !/^[0-9a-f]{64}$/.test(o.prev)) return 'invalid';
    return { offset: o.offset as number, seq: o.seq as number, prev: o.prev };
  } catch {
    return 'invalid';
  }
}

export async function saveCursor(file: string, c: Cursor): Promise<void> {
  const tmp = `${file}.tmp`;
  await writeFile(tmp, `${JSON.stringify({ offset: c.offset, seq: c.seq, prev: c.prev })}\n`, { mode: 0o600 });
  await rename(tmp, file);
}
