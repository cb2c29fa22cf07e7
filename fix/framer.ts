// Cuts FIX messages out of a byte stream that may be split at any point. It cuts the way QuickFIX's parser
// does — BodyLength(9) bytes after the header, then up to the next <SOH>10=...<SOH> — so that a message with
// a wrong BodyLength swallows exactly what a QuickFIX peer would expect it to (acceptance test 2m), and it
// resynchronises on the next "8=FIX" after anything it cannot read. The CheckSum value is decodeMessage's job.
import { SOH } from './codec.ts';

export type FrameResult =
  | { ok: true; bytes: Buffer }
  | { ok: false; reason: 'garbled' | 'too-large'; detail: string };

export interface FramerOptions {
  /** Largest message accepted, in bytes (default 64 KiB). */
  maxMessageSize?: number;
}

const START = Buffer.from('8=FIX', 'latin1');
const MAX_BEGIN_STRING = 32;

export class FixFramer {
  private readonly max: number;
  private buf: Buffer;
  private start = 0;
  private end = 0;
  /** Bytes skipped since the last frame that no result has reported yet. */
  private unreported = 0;
  private preview = '';
  /** Set after a reported failure: the bytes skipped while resynchronising belong to that report. */
  private silent = false;
  /** Where the CheckSum search for the frame starting at offset scanFor has got to (offsets move on compaction). */
  private scanFor = -1;
  private scanFrom = 0;

  constructor(opts?: FramerOptions) {
    this.max = Math.max(64, opts?.maxMessageSize ?? 64 * 1024);
    this.buf = Buffer.allocUnsafe(Math.min(this.max + 64, 16 * 1024));
  }

  /** Bytes held waiting for the rest of a message. */
  get buffered(): number {
    return this.end - this.start;
  }

  push(chunk: Uint8Array): FrameResult[] {
    const out: FrameResult[] = [];
    let off = 0;
    // Feed in slices no larger than the buffer can hold, so one huge chunk cannot grow memory unboundedly.
    while (off < chunk.length) {
      const room = this.makeRoom(chunk.length - off);
      const n = Math.min(room, chunk.length - off);
      this.buf.set(chunk.subarray(off, off + n), this.end);
      this.end += n;
      off += n;
      this.drain(out);
    }
    return out;
  }

  private makeRoom(want: number): number {
    if (this.buf.length - this.end >= want) return want;
    if (this.start > 0) {
      this.buf.copy(this.buf, 0, this.start, this.end);
      this.end -= this.start;
      if (this.scanFor === this.start) {
        this.scanFor = 0;
        this.scanFrom -= this.start;
      } else {
        this.scanFor = -1;
      }
      this.start = 0;
    }
    // Never need more than max + a little: anything longer is too large or garbage by then.
    const cap = this.max + 64;
    if (this.buf.length < cap && this.buf.length - this.end < want) {
      const nb = Buffer.allocUnsafe(Math.min(cap, Math.max(this.buf.length * 2, this.end + want)));
      this.buf.copy(nb, 0, 0, this.end);
      this.buf = nb;
    }
    return Math.max(1, this.buf.length - this.end);
  }

  private drain(out: FrameResult[]): void {
    for (;;) {
      const r = this.next();
      if (r === null) return;
      out.push(r);
    }
  }

  /** One result, or null when more bytes are needed. */
  private next(): FrameResult | null {
    const buf = this.buf;
    for (;;) {
      const pos = this.start;
      const end = this.end;
      if (end - pos < START.length && isPrefixOfStart(buf, pos, end)) return null;
      if (end - pos < START.length || !startsAt(buf, pos)) {
        // Searched within the held bytes only: the buffer beyond `end` holds stale data.
        const found = end - pos < START.length ? -1 : indexOfStart(buf, pos, end);
        if (found < 0 || found + START.length > end) {
          // Keep the longest tail that could be the beginning of "8=FIX".
          let keep = Math.min(START.length - 1, end - pos);
          while (keep > 0 && !isPrefixOfStart(buf, end - keep, end)) keep--;
          this.skip(end - pos - keep);
          if (keep === end - pos) return null;
          continue;
        }
        this.skip(found - pos);
        continue;
      }
      this.silent = false;
      if (this.unreported > 0) return this.reportGarbage();

      // 8=<BeginString><SOH>
      const lim = Math.min(end, pos + 2 + MAX_BEGIN_STRING);
      const bsEnd = indexOfSoh(buf, pos + 2, lim);
      if (bsEnd < 0) {
        if (end - pos < 2 + MAX_BEGIN_STRING) return null;
        return this.reject(pos, 'garbled', 'BeginString(8) is not terminated by SOH');
      }
      // 9=<digits><SOH>
      let p = bsEnd + 1;
      if (end - p < 2) return null;
      if (buf[p] !== 0x39 || buf[p + 1] !== 0x3d) return this.reject(pos, 'garbled', 'second field is not BodyLength(9)');
      p += 2;
      let len = 0;
      const ds = p;
      for (; p < end; p++) {
        const d = buf[p]! - 0x30;
        if (d < 0 || d > 9) break;
        len = len * 10 + d;
        if (p - ds >= 9) return this.reject(pos, 'too-large', 'BodyLength(9) has more than 9 digits');
      }
      if (p >= end) return null;
      if (p === ds || buf[p] !== SOH) return this.reject(pos, 'garbled', 'BodyLength(9) is not a number');
      const bodyStart = p + 1;
      const bodyEnd = bodyStart + len;
      if (bodyEnd + 7 - pos > this.max) {
        return this.reject(pos, 'too-large', `BodyLength(9)=${len}: message would exceed ${this.max} bytes`);
      }
      if (end < bodyEnd) return null;
      // <SOH>10=<...><SOH>, searched from the last byte of the declared body, as QuickFIX does.
      // Resume where the last look for this frame stopped, so a byte-by-byte drip stays linear.
      const from = Math.max(bodyStart, bodyEnd - 1, this.scanFor === pos ? this.scanFrom : 0);
      const ck = indexOfChecksum(buf, from, Math.min(end, pos + this.max));
      if (ck < 0) {
        this.scanFor = pos;
        this.scanFrom = Math.max(from, end - 3);
        if (end - pos >= this.max) {
          return this.reject(pos, 'too-large', `no CheckSum(10) within ${this.max} bytes`);
        }
        return null;
      }
      const ckEnd = indexOfSoh(buf, ck + 4, Math.min(end, pos + this.max + 1));
      if (ckEnd < 0) {
        if (end - pos >= this.max) return this.reject(pos, 'too-large', `no CheckSum(10) within ${this.max} bytes`);
        return null;
      }
      const frameEnd = ckEnd + 1;
      if (frameEnd - pos > this.max) {
        return this.reject(pos, 'too-large', `message exceeds ${this.max} bytes`);
      }
      this.start = frameEnd;
      if (ck !== bodyEnd - 1) {
        const actual = ck + 1 - bodyStart;
        return { ok: false, reason: 'garbled', detail: `BodyLength(9)=${len} but the body up to CheckSum(10) is ${actual} bytes` };
      }
      const bytes = Buffer.allocUnsafe(frameEnd - pos);
      buf.copy(bytes, 0, pos, frameEnd);
      return { ok: true, bytes };
    }
  }

  /** Drops the "8" of an unreadable message start and resynchronises on the next "8=FIX" (silently). */
  private reject(pos: number, reason: 'garbled' | 'too-large', detail: string): FrameResult {
    this.start = pos + 1;
    this.unreported = 0;
    this.preview = '';
    this.silent = true;
    return { ok: false, reason, detail };
  }

  private skip(n: number): void {
    if (n <= 0) return;
    if (!this.silent) {
      if (this.preview.length < 24) {
        this.preview += this.buf.toString('latin1', this.start, this.start + Math.min(n, 24 - this.preview.length));
      }
      this.unreported += n;
    }
    this.start += n;
  }

  private reportGarbage(): FrameResult {
    const detail = `skipped ${this.unreported} bytes that are not a FIX message (${JSON.stringify(this.preview)}...)`;
    this.unreported = 0;
    this.preview = '';
    return { ok: false, reason: 'garbled', detail };
  }
}

function startsAt(buf: Buffer, pos: number): boolean {
  return buf[pos] === 0x38 && buf[pos + 1] === 0x3d && buf[pos + 2] === 0x46 && buf[pos + 3] === 0x49 && buf[pos + 4] === 0x58;
}

function isPrefixOfStart(buf: Buffer, pos: number, end: number): boolean {
  for (let i = pos; i < end; i++) if (buf[i] !== START[i - pos]) return false;
  return true;
}

// Bounded scans: a slow drip of bytes must not make each push rescan the whole buffer.
function indexOfSoh(buf: Buffer, from: number, end: number): number {
  for (let i = from; i < end; i++) if (buf[i] === SOH) return i;
  return -1;
}

function indexOfChecksum(buf: Buffer, from: number, end: number): number {
  for (let i = from; i + 3 < end; i++) {
    if (buf[i] === SOH && buf[i + 1] === 0x31 && buf[i + 2] === 0x30 && buf[i + 3] === 0x3d) return i;
  }
  return -1;
}

function indexOfStart(buf: Buffer, from: number, end: number): number {
  const i = buf.subarray(from, end).indexOf(START);
  return i < 0 ? -1 : from + i;
}
