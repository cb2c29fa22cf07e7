/**
 * Verifies an audit log: every line's hash (keyed with the log's key when there is one), the chain of prev links,
 * the sequence, the legacy→keyed boundary, and the log's length against the newest keyed checkpoint.
 *
 *   verifyAuditChain(file, { keyFile?, checkpointFile? }) → a report (keyed?, legacy entries, checkpoint, gaps)
 *   verifyAuditLog(file, opts?) → { ok: true; lines; lastHash } | { ok: false; line; reason }  (the CLI's shape)
 * Without a key file (default `<log>.key`) only a legacy (unkeyed) log verifies; a keyed line then fails.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { checkLine, defaultKeyFile, GENESIS, KEYED_TYPE, loadKey } from './chain.ts';
import { defaultCheckpointFile, readCheckpoints, type Checkpoint } from './checkpoint.ts';

export type VerifyOptions = { keyFile?: string; checkpointFile?: string };
export type Gap = { line: number; lost: number; from: string; to: string };
export type ChainReport =
  | { ok: true; lines: number; lastHash: string; keyed: boolean; legacyEntries: number; checkpoint: Checkpoint | null; gaps: Gap[] }
  | { ok: false; line: number; reason: string };

export async function verifyAuditChain(file: string, opts: VerifyOptions = {}): Promise<ChainReport> {
  let key: Buffer | null;
  try {
    key = await loadKey(opts.keyFile ?? defaultKeyFile(file));
  } catch (e) {
    return { ok: false, line: 0, reason: (e as Error).message };
  }
  if (opts.keyFile && !key) return { ok: false, line: 0, reason: `audit key ${opts.keyFile}: not found` };
  let checkpoint: Checkpoint | null = null;
  if (key) {
    const cps = await readCheckpoints(opts.checkpointFile ?? defaultCheckpointFile(file), key);
    if (!cps.ok) return { ok: false, line: 0, reason: cps.reason };
    checkpoint = cps.last;
  }
  let fh: FileHandle;
  try {
    fh = await open(file, 'r');
  } catch (e) {
    return { ok: false, line: 0, reason: `cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? String(e)})` };
  }
  const size = (await fh.stat()).size;
  const lastByte = Buffer.alloc(1);
  if (size > 0) await fh.read(lastByte, 0, 1, size - 1);
  const tornEnd = size > 0 && lastByte[0] !== 0x0a;
  const rl = createInterface({ input: fh.createReadStream({ encoding: 'utf8', start: 0, autoClose: false }), crlfDelay: Infinity });
  let n = 0;
  let prev = GENESIS;
  let legacy = 0;
  let keyedSeen = false;
  const gaps: Gap[] = [];
  const fail = (line: number, reason: string) => ({ ok: false as const, line, reason });
  try {
    for await (const line of rl) {
      n++;
      const p = checkLine(line, key);
      if (typeof p === 'string') {
        // An unfinished last write is told apart from an edit: the gateway cuts it (and records that) at its next start.
        return fail(n, tornEnd && (await isLastLine(fh, size, line)) ? `incomplete last line (a torn write; the gateway cuts it and records that at its next start): ${p}` : p);
      }
      if (p.seq !== n) return fail(n, `sequence ${p.seq} where ${n} was expected (lines removed, inserted or reordered)`);
      if (p.prev !== prev) return fail(n, 'previous-hash link broken (lines removed, inserted or reordered)');
      if (key) {
        if (!p.keyed && keyedSeen) return fail(n, 'an unkeyed entry after keyed ones (lines removed or re-chained without the key)');
        if (p.keyed && !keyedSeen) {
          keyedSeen = true;
          legacy = n - 1;
          const d = p.data as { legacyEntries?: unknown } | null;
          if (legacy > 0 && (p.type !== KEYED_TYPE || d?.legacyEntries !== legacy)) {
            return fail(n, `the first keyed entry does not record the ${legacy} unkeyed entries before it (the log was re-chained)`);
          }
        }
      }
      if (checkpoint && n === checkpoint.seq && p.hash !== checkpoint.hash) return fail(n, `entry ${n} differs from the checkpoint of ${checkpoint.ts} (the log was rewritten)`);
      if (p.type === 'audit.gap') {
        const d = p.data as { lost?: unknown; from?: unknown; to?: unknown } | null;
        gaps.push({ line: n, lost: Number(d?.lost ?? 0), from: String(d?.from ?? ''), to: String(d?.to ?? '') });
      }
      prev = p.hash;
    }
  } finally {
    rl.close();
    await fh.close();
  }
  if (key && n > 0 && !keyedSeen) return fail(n, 'no keyed entry although the log has a key (rewritten or re-chained without the key)');
  if (checkpoint && n < checkpoint.seq) {
    return fail(n + 1, `truncated: the log ends at entry ${n}, the checkpoint of ${checkpoint.ts} records ${checkpoint.seq} entries`);
  }
  return { ok: true, lines: n, lastHash: prev, keyed: key !== null, legacyEntries: key ? legacy : n, checkpoint, gaps };
}

async function isLastLine(fh: FileHandle, size: number, line: string): Promise<boolean> {
  const len = Buffer.byteLength(line, 'utf8');
  if (len > size) return false;
  const buf = Buffer.alloc(len);
  await fh.read(buf, 0, len, size - len);
  return buf.toString('utf8') === line;
}

export async function verifyAuditLog(file: string, opts: VerifyOptions = {}): Promise<{ ok: true; lines: number; lastHash: string } | { ok: false; line: number; reason: string }> {
  const r = await verifyAuditChain(file, opts);
  return r.ok ? { ok: true, lines: r.lines, lastHash: r.lastHash } : r;
}
