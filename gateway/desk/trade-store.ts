/**
 * Trades as JSON lines under the data folder, reloaded at start so the idempotency index (QuoteRespIDs already
 * answered, quotes already hit) survives a restart.
 *
 * Durability: a trade is written with one positioned write (and fsync when asked) before `record` returns, i.e.
 * before the ExecutionReport goes out. Recovery at open follows the rule of every log-structured file here:
 *   - a torn TAIL (bytes after the last valid trade that hold no valid trade: a crash or a full disk mid-write) is
 *     cut back to the end of the last complete record, the cut bytes are kept beside the file
 *     (`<file>.torn-<offset>`) and reported through `onRepair` — never silently, and never appended onto;
 *   - a bad line in the MIDDLE (valid trades after it) is corruption: open throws TradeStoreCorruptError naming
 *     the file, the line, the byte offset and how to recover; so does a file whose complete lines are all damaged
 *     (garbage is never read as an empty history; only a torn first write, with no newline yet, is cut to empty).
 * A write that fails at run time (ENOSPC, EIO) is undone before the next one: the next record never lands on a
 * torn one. Each line ends with a CRC-32 member (`"_crc"`) over the trade's JSON, so a flipped bit inside a value
 * is found too; older lines without it still load.
 */
import { closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { crc32 } from 'node:zlib';
import { isIsoDate } from './settlement.ts';

export type Side = 'buy' | 'sell';
export type Trade = {
  tradeId: string;
  execId: string;
  quoteId: string;
  quoteReqId: string;
  quoteRespId: string;
  user: string;
  compId: string;
  dealer: string;
  symbol: string;
  /** The client's side: buy means the client bought from the dealer (lifted the offer). */
  side: Side;
  qty: number;
  price: number;
  currency: string;
  time: string;
  /** YYYY-MM-DD. Trades recorded before the desk kept it have none: nothing is invented for them. */
  settlDate?: string;
};

export type TradeQuery = { user?: string; symbol?: string; from?: Date; to?: Date; tradeId?: string; limit?: number };

/** What recovery cut off the end of the file (offset = where the file now ends). */
export type TailRepair = { file: string; offset: number; bytes: number; keptAs: string };

export type TradeStoreOptions = {
  /** A line that was cut as part of a torn tail, or a damaged field that was ignored. */
  onCorrupt?: (line: number, reason: string) => void;
  /** A torn tail was cut at open: log it and audit it. */
  onRepair?: (r: TailRepair) => void;
  /** fsync after every trade (survives power loss, not only kill -9). Default false. */
  fsync?: boolean;
};

export class TradeStoreCorruptError extends Error {
  override name = 'TradeStoreCorruptError';
  readonly file: string;
  readonly offset: number;
  readonly line: number;
  constructor(file: string, line: number, offset: number, reason: string) {
    super(`${file}: corrupt trade record at line ${line} (byte offset ${offset}): ${reason}; nothing was cut. `
      + 'Stop the gateway, keep a copy of the file, then repair or remove that line (every line must be one JSON trade) and start again.');
    this.file = file;
    this.line = line;
    this.offset = offset;
  }
}

type Line = { no: number; start: number; end: number; text: string; complete: boolean };

function splitLines(buf: Buffer): Line[] {
  const out: Line[] = [];
  let start = 0;
  let no = 0;
  while (start < buf.length) {
    const nl = buf.indexOf(0x0a, start);
    const end = nl < 0 ? buf.length : nl + 1;
    no++;
    out.push({ no, start, end, text: buf.toString('utf8', start, nl < 0 ? buf.length : nl), complete: nl >= 0 });
    start = end;
  }
  return out;
}

// Each line carries a CRC-32 of the trade's JSON as its last member, so a flipped bit inside a value (a price
// digit) is caught, not read as a different trade. Lines written before the CRC have none and are read as before.
const CRC_KEY = ',"_crc":"';
/** The fields lines had before the CRC: fixed for ever. A line without a CRC and with any other key is damaged
 *  (for instance a flipped bit in its own `"_crc"` marker); lines with a CRC may carry fields added later. */
const LEGACY_KEYS = new Set(['tradeId', 'execId', 'quoteId', 'quoteReqId', 'quoteRespId', 'user', 'compId', 'dealer', 'symbol', 'side', 'qty', 'price', 'currency', 'time', 'settlDate']);

function crcHex(s: string): string {
  return crc32(Buffer.from(s, 'utf8')).toString(16).padStart(8, '0');
}

export function tradeLine(t: Trade): string {
  const json = JSON.stringify(t);
  return `${json.slice(0, -1)}${CRC_KEY}${crcHex(json)}"}\n`;
}

function parseTrade(text: string): Trade | string {
  let json = text;
  const at = text.lastIndexOf(CRC_KEY);
  const checked = at >= 0;
  if (checked) {
    const crc = text.slice(at + CRC_KEY.length, -2);
    if (!text.endsWith('"}') || !/^[0-9a-f]{8}$/.test(crc)) return 'malformed checksum';
    json = `${text.slice(0, at)}}`;
    if (crcHex(json) !== crc) return 'checksum does not match (damaged on disk)';
  }
  let t: Trade;
  try {
    t = JSON.parse(json) as Trade;
  } catch (e) {
    return (e as Error).message;
  }
  if (typeof t !== 'object' || t === null || typeof t.tradeId !== 'string' || typeof t.quoteId !== 'string' || typeof t.quoteRespId !== 'string') {
    return 'missing ids';
  }
  const unknown = checked ? undefined : Object.keys(t).find((k) => !LEGACY_KEYS.has(k));
  if (unknown !== undefined) return `unknown field ${JSON.stringify(unknown.slice(0, 40))} in a line without a checksum`;
  return t;
}

export class TradeStore {
  readonly file: string | null;
  readonly #trades: Trade[] = [];
  readonly #byQuoteResp = new Map<string, Trade>();
  readonly #byQuote = new Map<string, Trade>();
  #fd = -1;
  #size = 0;
  /** A write failed part-way: the bytes past #size are torn and go before the next write. */
  #dirty = false;
  #fsync = false;

  private constructor(file: string | null) {
    this.file = file;
  }

  /** `null` keeps trades in memory only (unit tests). The second argument may be the `onCorrupt` callback alone. */
  static open(file: string | null, opts: TradeStoreOptions | ((line: number, reason: string) => void) = {}): TradeStore {
    const o: TradeStoreOptions = typeof opts === 'function' ? { onCorrupt: opts } : opts;
    const s = new TradeStore(file);
    if (file === null) return s;
    s.#fsync = o.fsync ?? false;
    mkdirSync(dirname(file), { recursive: true });
    s.#fd = openSync(file, existsSync(file) ? 'r+' : 'w+', 0o600);
    try {
      s.#load(file, o);
    } catch (e) {
      closeSync(s.#fd);
      throw e;
    }
    return s;
  }

  #load(file: string, o: TradeStoreOptions): void {
    const buf = readFileSync(file);
    const lines = splitLines(buf);
    const parsed = lines.map((l) => (l.text.trim() === '' && l.complete ? null : l.complete ? parseTrade(l.text) : 'incomplete line (torn write)'));
    let lastGood = -1;
    parsed.forEach((p, i) => { if (p !== null && typeof p !== 'string') lastGood = i; });
    for (let i = 0; i < lines.length; i++) {
      const p = parsed[i];
      if (p === null || p === undefined) continue;
      const l = lines[i]!;
      if (typeof p === 'string') {
        if (i < lastGood) throw new TradeStoreCorruptError(file, l.no, l.start, `${p} (valid trades follow it, so it is not a torn write)`);
        continue;
      }
      // A damaged settlement date is dropped rather than sent on the wire; the trade itself still counts.
      if (p.settlDate !== undefined && !isIsoDate(p.settlDate)) {
        o.onCorrupt?.(l.no, 'settlDate is not a date; ignored');
        delete p.settlDate;
      }
      this.#index(p);
    }
    const keep = lastGood < 0 ? 0 : lines[lastGood]!.end;
    if (keep < buf.length) {
      const tail = buf.subarray(keep);
      const hasContent = tail.some((b) => b !== 0x0a && b !== 0x20 && b !== 0x0d && b !== 0x09);
      const firstBad = parsed.findIndex((p, i) => typeof p === 'string' && lines[i]!.complete);
      if (lastGood < 0 && firstBad >= 0) {
        // Several lines and not one trade: this is not a trades file (or it is wholly damaged); never read it as empty.
        throw new TradeStoreCorruptError(file, lines[firstBad]!.no, lines[firstBad]!.start, 'no valid trade in the file, only damaged lines (not a trades file?)');
      }
      if (hasContent) {
        for (let i = lastGood + 1; i < lines.length; i++) {
          const p = parsed[i];
          if (typeof p === 'string') o.onCorrupt?.(lines[i]!.no, `${p}; cut as part of a torn tail`);
        }
        const keptAs = `${file}.torn-${keep}`;
        writeFileSync(keptAs, tail, { mode: 0o600 });
        ftruncateSync(this.#fd, keep);
        fsyncSync(this.#fd);
        o.onRepair?.({ file, offset: keep, bytes: tail.length, keptAs });
      } else if (lastGood >= 0 && buf[buf.length - 1] !== 0x0a) {
        // Only blank space after the last trade but no final newline: end the line so the next record starts clean.
        ftruncateSync(this.#fd, keep);
      }
    }
    this.#size = fstatSync(this.#fd).size;
    if (this.#size > 0 && buf[this.#size - 1] !== 0x0a) {
      writeSync(this.#fd, '\n', this.#size);
      this.#size += 1;
    }
  }

  #index(t: Trade): void {
    this.#trades.push(t);
    this.#byQuoteResp.set(respKey(t.user, t.quoteRespId), t);
    this.#byQuote.set(t.quoteId, t);
  }

  byQuoteResp(user: string, quoteRespId: string): Trade | undefined {
    return this.#byQuoteResp.get(respKey(user, quoteRespId));
  }

  byQuote(quoteId: string): Trade | undefined {
    return this.#byQuote.get(quoteId);
  }

  /** Persists first, then indexes: a trade the client hears about is always on disk. Throws if it cannot write. */
  record(t: Trade): void {
    if (this.file !== null) this.#write(Buffer.from(tradeLine(t), 'utf8'));
    this.#index(t);
  }

  #write(rec: Buffer): void {
    if (this.#dirty) {
      ftruncateSync(this.#fd, this.#size);
      this.#dirty = false;
    }
    try {
      let done = 0;
      while (done < rec.length) done += writeSync(this.#fd, rec, done, rec.length - done, this.#size + done);
      if (this.#fsync) fsyncSync(this.#fd);
    } catch (e) {
      this.#dirty = true;
      throw e;
    }
    this.#size += rec.length;
  }

  query(q: TradeQuery = {}): Trade[] {
    const limit = Math.min(Math.max(q.limit ?? 1000, 1), 10_000);
    const out: Trade[] = [];
    for (let i = this.#trades.length - 1; i >= 0 && out.length < limit; i--) {
      const t = this.#trades[i]!;
      if (q.user !== undefined && t.user !== q.user) continue;
      if (q.symbol !== undefined && t.symbol !== q.symbol) continue;
      if (q.tradeId !== undefined && t.tradeId !== q.tradeId) continue;
      const at = Date.parse(t.time);
      if (q.from && at < q.from.getTime()) continue;
      if (q.to && at > q.to.getTime()) continue;
      out.push(t);
    }
    return out.reverse();
  }

  get size(): number {
    return this.#trades.length;
  }

  close(): void {
    if (this.#fd >= 0) {
      try { closeSync(this.#fd); } catch { /* already closed */ }
      this.#fd = -1;
    }
  }
}

function respKey(user: string, quoteRespId: string): string {
  return `${user}\u0000${quoteRespId}`;
}
