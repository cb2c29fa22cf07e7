/**
 * Keyed checkpoints of the audit chain, in a file of their own (default `<log>.checkpoints`, JSON lines):
 * {"seq":n,"hash":"<hash of entry n>","ts":"ISO time","mac":"<HMAC-SHA256(key, 'parley-audit-checkpoint', seq, hash, ts)>"}.
 * A checkpoint says "the chain had at least n entries ending in this hash": cutting entries off the end of the log,
 * which leaves a valid shorter chain, shows up against it. Copies exported off the host (the SIEM issue ships them)
 * are checked the same way (`checkpointFile` of verify).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { appendFile, readFile, rename, stat, writeFile } from 'node:fs/promises';

export type Checkpoint = { seq: number; hash: string; ts: string };

export function defaultCheckpointFile(logFile: string): string {
  return `${logFile}.checkpoints`;
}

function mac(key: Buffer, c: Checkpoint): string {
  return createHmac('sha256', key).update(`parley-audit-checkpoint\n${c.seq}\n${c.hash}\n${c.ts}`, 'utf8').digest('hex');
}

export function checkpointLine(key: Buffer, c: Checkpoint): string {
  return `${JSON.stringify({ seq: c.seq, hash: c.hash, ts: c.ts, mac: mac(key, c) })}\n`;
}

export async function appendCheckpoint(file: string, key: Buffer, c: Checkpoint): Promise<void> {
  await appendFile(file, checkpointLine(key, c), { mode: 0o600 });
}

export type CheckpointRead =
  | { ok: true; last: Checkpoint | null; count: number }
  | { ok: false; line: number; reason: string };

/** The highest valid checkpoint; a complete line with a bad MAC fails (someone edited the file); a torn last line is ignored. */
export async function readCheckpoints(file: string, key: Buffer): Promise<CheckpointRead> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { ok: true, last: null, count: 0 };
    return { ok: false, line: 0, reason: `cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? String(e)})` };
  }
  const lines = text.split('\n');
  const complete = lines.slice(0, -1); // the part after the last newline is torn or empty
  let last: Checkpoint | null = null;
  for (let i = 0; i < complete.length; i++) {
    const l = complete[i]!;
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(l) as Record<string, unknown>;
    } catch {
      return { ok: false, line: i + 1, reason: `${file}: line ${i + 1} is not a checkpoint` };
    }
    if (typeof o !== 'object' || o === null || !Number.isSafeInteger(o.seq) || typeof o.hash !== 'string' || typeof o.ts !== 'string' || typeof o.mac !== 'string') {
      return { ok: false, line: i + 1, reason: `${file}: line ${i + 1} is not a checkpoint` };
    }
    const c = { seq: o.seq as number, hash: o.hash, ts: o.ts };
    const want = Buffer.from(mac(key, c), 'hex');
    const got = Buffer.from(o.mac, 'hex');
    if (got.length !== want.length || !timingSafeEqual(got, want)) return { ok: false, line: i + 1, reason: `${file}: checkpoint ${i + 1} does not verify with the key (edited or forged)` };
    if (!last || c.seq > last.seq) last = c;
  }
  return { ok: true, last, count: complete.length };
}

/** Keeps the checkpoint file small: above `maxBytes` it is rewritten with its newest valid checkpoint only. */
export async function compactCheckpoints(file: string, key: Buffer, maxBytes = 256 * 1024): Promise<void> {
  const size = await stat(file).then((s) => s.size, () => 0);
  if (size <= maxBytes) return;
  const r = await readCheckpoints(file, key);
  if (!r.ok || !r.last) return; // a damaged file is left as evidence for verify
  const tmp = `${file}.tmp`;
  await writeFile(tmp, checkpointLine(key, r.last), { mode: 0o600 });
  await rename(tmp, file);
}
