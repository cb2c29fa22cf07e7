/**
 * Trades as JSON lines under the data folder: appended with fsync-free appendFileSync (a trade is
 * one small line, written before the ExecutionReport goes out), reloaded at start so the
 * idempotency index (QuoteRespIDs already answered, quotes already hit) survives a restart.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
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

export class TradeStore {
  readonly file: string | null;
  readonly #trades: Trade[] = [];
  readonly #byQuoteResp = new Map<string, Trade>();
  readonly #byQuote = new Map<string, Trade>();

  private constructor(file: string | null) {
    this.file = file;
  }

  /** `null` keeps trades in memory only (unit tests). A corrupt line is skipped and reported, never fatal. */
  static open(file: string | null, onCorrupt?: (line: number, reason: string) => void): TradeStore {
    const s = new TradeStore(file);
    if (file === null) return s;
    mkdirSync(dirname(file), { recursive: true });
    if (!existsSync(file)) return s;
    const lines = readFileSync(file, 'utf8').split('\n');
    lines.forEach((line, i) => {
      if (line.trim() === '') return;
      try {
        const t = JSON.parse(line) as Trade;
        if (typeof t.tradeId !== 'string' || typeof t.quoteId !== 'string' || typeof t.quoteRespId !== 'string') {
          throw new Error('missing ids');
        }
        // A damaged settlement date is dropped rather than sent on the wire; the trade itself still counts.
        if (t.settlDate !== undefined && !isIsoDate(t.settlDate)) {
          onCorrupt?.(i + 1, 'settlDate is not a date; ignored');
          delete t.settlDate;
        }
        s.#index(t);
      } catch (e) {
        onCorrupt?.(i + 1, (e as Error).message);
      }
    });
    return s;
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

  /** Persists first, then indexes: a trade the client hears about is always on disk. */
  record(t: Trade): void {
    if (this.file !== null) appendFileSync(this.file, `${JSON.stringify(t)}\n`, { mode: 0o600 });
    this.#index(t);
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
}

function respKey(user: string, quoteRespId: string): string {
  return `${user}\u0000${quoteRespId}`;
}
