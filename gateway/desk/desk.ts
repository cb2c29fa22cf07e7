/**
 * The simulated dealer desk: an RFQ book, N dealers that quote after their delay around each
 * instrument's mid with their spread, quotes that expire (ValidUntilTime), and hits that become
 * trades exactly once. Transport-free: the FIX mapping lives in gateway/session/.
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { crashPoint } from '../../fix/crash-point.ts';
import { defaultSettlDate, settlDateProblem } from './settlement.ts';
import type { Side, Trade, TradeStore } from './trade-store.ts';

export type DealerSpec = { name: string; delayMs: number; spreadBps: number };
export type Instrument = { symbol: string; description: string; currency: string; mid: number };
export type Owner = { user: string; compId: string; sessionId: string };

/**
 * `settlDate` (YYYY-MM-DD) defaults to T+2 business days; `expireTime` is when the trader wants the RFQ closed
 * (FIX ExpireTime(126)); without it the RFQ lives until the slowest dealer's quote has lapsed.
 */
export type RfqRequest = { quoteReqId: string; symbol: string; side?: Side; qty: number; settlDate?: string; expireTime?: Date };
export type Quote = {
  quoteId: string; quoteReqId: string; dealer: string; symbol: string; currency: string;
  bidPx: number; offerPx: number; qty: number; validUntil: Date; sentAt: Date; settlDate: string;
};
export type RfqStatus = 'open' | 'done' | 'cancelled' | 'expired';
export type Rfq = {
  key: string; owner: Owner; request: RfqRequest; createdAt: Date; status: RfqStatus;
  quotes: Quote[]; pendingDealers: number; expiresAt: Date; settlDate: string;
};
/** What a risk officer sees: no handles, no timers. */
export type RfqView = {
  quoteReqId: string; user: string; compId: string; symbol: string; side: Side | null; qty: number;
  status: RfqStatus; createdAt: string; expiresAt: string; settlDate: string; quotes: { quoteId: string; dealer: string; bidPx: number; offerPx: number; validUntil: string }[];
};

export type HitRequest = { quoteRespId: string; quoteId: string; side?: Side; qty?: number; price?: number };
export type HitResult =
  | { ok: true; trade: Trade; duplicate: false }
  | { ok: false; code: 'duplicate'; reason: string; trade: Trade }
  | { ok: false; code: 'unknown' | 'expired' | 'already-traded' | 'not-yours' | 'mismatch' | 'closed'; reason: string };

export type DeskOptions = {
  dealers: DealerSpec[];
  instruments: Instrument[];
  quoteTtlMs: number;
  trades: TradeStore;
  now?: () => Date;
  /** Bounds memory under a flood: open RFQs per user. */
  maxOpenRfqsPerUser?: number;
  /** How long closed RFQs and their quotes stay known, so a late hit reads "expired", not "unknown" (default 10 min). */
  retainMs?: number;
  /**
   * At most this many closed RFQs (with their quotes) stay known, oldest closed first out (default 20,000): under a
   * flood the time bound alone lets memory grow with the RFQ rate. A hit on an evicted quote reads "unknown"; a
   * traded one still reads "already traded" from the trade store.
   */
  maxClosedRfqs?: number;
  /** The longest ExpireTime(126) an RFQ may ask for, from now (default: the ticket's hour plus a minute of clock skew). */
  maxRfqTtlMs?: number;
};

type QuoteEntry = { quote: Quote; rfq: Rfq };

export class DealerDesk extends EventEmitter {
  readonly dealers: readonly DealerSpec[];
  readonly instruments: ReadonlyMap<string, Instrument>;
  readonly #opts: Required<Omit<DeskOptions, 'dealers' | 'instruments'>>;
  readonly #rfqs = new Map<string, Rfq>();
  readonly #quotes = new Map<string, QuoteEntry>();
  readonly #openByUser = new Map<string, number>();
  /** Closed RFQs by key, in the order they closed: the count bound evicts from the front. */
  readonly #closed = new Map<string, Rfq>();
  /** Cancels of each RFQ's pending dealer quotes and expiry. */
  readonly #timers = new Map<string, Set<() => void>>();
  #seq = 0;
  readonly #prefix = randomBytes(3).toString('hex').toUpperCase();

  constructor(o: DeskOptions) {
    super();
    // Every risk officer's session follows the book: one listener each, by design.
    this.setMaxListeners(0);
    this.dealers = o.dealers;
    this.instruments = new Map(o.instruments.map((i) => [i.symbol, i]));
    this.#opts = {
      quoteTtlMs: o.quoteTtlMs, trades: o.trades, now: o.now ?? (() => new Date()),
      maxOpenRfqsPerUser: o.maxOpenRfqsPerUser ?? 200, retainMs: o.retainMs ?? 10 * 60_000, maxClosedRfqs: Math.max(0, o.maxClosedRfqs ?? 20_000),
      maxRfqTtlMs: o.maxRfqTtlMs ?? 3_660_000,
    };
  }

  get trades(): TradeStore {
    return this.#opts.trades;
  }

  #id(kind: string): string {
    this.#seq += 1;
    return `${kind}-${this.#prefix}-${this.#seq}`;
  }

  /** Opens an RFQ; `onQuote` is called once per dealer quote (after that dealer's delay). */
  submitRfq(owner: Owner, req: RfqRequest, onQuote: (q: Quote) => void): { ok: true; rfq: Rfq } | { ok: false; reason: string } {
    this.#prune();
    const inst = this.instruments.get(req.symbol);
    if (!inst) return { ok: false, reason: `unknown instrument ${req.symbol}` };
    if (!Number.isFinite(req.qty) || req.qty <= 0) return { ok: false, reason: 'OrderQty must be a positive number' };
    if (req.quoteReqId.length === 0 || req.quoteReqId.length > 64) return { ok: false, reason: 'QuoteReqID must be 1-64 characters' };
    const key = rfqKey(owner.user, req.quoteReqId);
    if (this.#rfqs.has(key)) return { ok: false, reason: `duplicate QuoteReqID ${req.quoteReqId}` };
    const open = this.#openByUser.get(owner.user) ?? 0;
    if (open >= this.#opts.maxOpenRfqsPerUser) return { ok: false, reason: `too many open RFQs (${open})` };

    const now = this.#opts.now();
    const settlDate = req.settlDate ?? defaultSettlDate(now);
    const settlProblem = settlDateProblem(settlDate, now);
    if (settlProblem) return { ok: false, reason: settlProblem };
    const maxDelay = Math.max(...this.dealers.map((d) => d.delayMs));
    let expiresAt = new Date(now.getTime() + maxDelay + this.#opts.quoteTtlMs);
    if (req.expireTime) {
      const ms = req.expireTime.getTime() - now.getTime();
      if (!Number.isFinite(ms) || ms <= 0) return { ok: false, reason: 'ExpireTime(126) is in the past' };
      if (ms > this.#opts.maxRfqTtlMs) return { ok: false, reason: `ExpireTime(126) is more than ${Math.round(this.#opts.maxRfqTtlMs / 1000)} s away` };
      expiresAt = req.expireTime;
    }
    const rfq: Rfq = {
      key, owner, request: req, createdAt: now, status: 'open', quotes: [], pendingDealers: this.dealers.length,
      expiresAt, settlDate,
    };
    this.#rfqs.set(key, rfq);
    this.#openByUser.set(owner.user, open + 1);
    const timers = new Set<() => void>();
    this.#timers.set(key, timers);
    for (const d of this.dealers) {
      const quote = () => {
        timers.delete(cancel);
        if (rfq.status !== 'open') return;
        const q = this.#quote(rfq, d, inst);
        rfq.quotes.push(q);
        rfq.pendingDealers -= 1;
        this.#quotes.set(q.quoteId, { quote: q, rfq });
        onQuote(q);
        this.#changed(rfq);
      };
      // A dealer with no delay answers on the next turn of the event loop, not after setTimeout's 1 ms floor.
      let cancel: () => void;
      if (d.delayMs === 0) {
        const h = setImmediate(quote);
        cancel = () => clearImmediate(h);
      } else {
        const h = setTimeout(quote, d.delayMs);
        cancel = () => clearTimeout(h);
      }
      timers.add(cancel);
    }
    const close = setTimeout(() => {
      timers.delete(cancelClose);
      if (rfq.status === 'open') this.#close(rfq, 'expired');
    }, expiresAt.getTime() - now.getTime());
    close.unref();
    const cancelClose = () => clearTimeout(close);
    timers.add(cancelClose);
    this.#changed(rfq);
    return { ok: true, rfq };
  }

  #quote(rfq: Rfq, d: DealerSpec, inst: Instrument): Quote {
    const now = this.#opts.now();
    // Each dealer skews its mid a little so quotes differ; the spread is the dealer's configured width.
    const skew = (hash(`${d.name}${rfq.request.quoteReqId}`) % 11 - 5) / 10_000;
    const mid = inst.mid * (1 + skew);
    const half = (mid * d.spreadBps) / 20_000;
    // A quote never outlives its RFQ: the trader's ExpireTime bounds how long it can be hit.
    const validUntil = Math.min(now.getTime() + this.#opts.quoteTtlMs, rfq.expiresAt.getTime());
    return {
      quoteId: this.#id('Q'), quoteReqId: rfq.request.quoteReqId, dealer: d.name, symbol: inst.symbol,
      currency: inst.currency, bidPx: round(mid - half), offerPx: round(mid + half), qty: rfq.request.qty,
      validUntil: new Date(validUntil), sentAt: now, settlDate: rfq.settlDate,
    };
  }

  /**
   * Hits (or lifts) a quote. Idempotent on the client's QuoteRespID: a repeat returns the first
   * trade as a `duplicate` refusal, never a second trade.
   */
  hit(owner: Owner, h: HitRequest): HitResult {
    const store = this.#opts.trades;
    const prior = store.byQuoteResp(owner.user, h.quoteRespId);
    if (prior) return { ok: false, code: 'duplicate', reason: `QuoteRespID ${h.quoteRespId} already executed as ${prior.tradeId}`, trade: prior };
    const entry = this.#quotes.get(h.quoteId);
    if (!entry) {
      const traded = store.byQuote(h.quoteId);
      if (traded) return { ok: false, code: 'already-traded', reason: `quote ${h.quoteId} was already traded (${traded.tradeId})` };
      // Quotes live in memory: one from before a restart (another ID prefix) is gone, and the client is told so.
      if (/^Q-[0-9A-F]{6}-\d+$/.test(h.quoteId) && !h.quoteId.startsWith(`Q-${this.#prefix}-`)) {
        return { ok: false, code: 'unknown', reason: `quote ${h.quoteId} is no longer valid: the gateway restarted after sending it; nothing was traded, ask for a new quote` };
      }
      return { ok: false, code: 'unknown', reason: `unknown quote ${h.quoteId}` };
    }
    const { quote, rfq } = entry;
    if (rfq.owner.user !== owner.user) return { ok: false, code: 'not-yours', reason: `quote ${h.quoteId} answers another user's RFQ` };
    const traded = store.byQuote(h.quoteId);
    if (traded) return { ok: false, code: 'already-traded', reason: `quote ${h.quoteId} was already traded (${traded.tradeId})` };
    if (rfq.status === 'done') return { ok: false, code: 'closed', reason: `RFQ ${rfq.request.quoteReqId} already traded` };
    if (rfq.status === 'cancelled') return { ok: false, code: 'closed', reason: `RFQ ${rfq.request.quoteReqId} was cancelled` };
    const now = this.#opts.now();
    if (now.getTime() > quote.validUntil.getTime()) {
      return { ok: false, code: 'expired', reason: `quote ${h.quoteId} expired at ${quote.validUntil.toISOString()}` };
    }
    const side: Side = h.side ?? rfq.request.side ?? 'buy';
    const price = side === 'buy' ? quote.offerPx : quote.bidPx;
    if (h.qty !== undefined && h.qty !== quote.qty) return { ok: false, code: 'mismatch', reason: `OrderQty ${h.qty} differs from the quoted ${quote.qty}` };
    if (h.price !== undefined && Math.abs(h.price - price) > 1e-9) {
      return { ok: false, code: 'mismatch', reason: `price ${h.price} differs from the quoted ${price}` };
    }
    const trade: Trade = {
      tradeId: this.#id('T'), execId: this.#id('E'), quoteId: quote.quoteId, quoteReqId: rfq.request.quoteReqId,
      quoteRespId: h.quoteRespId, user: owner.user, compId: owner.compId, dealer: quote.dealer, symbol: quote.symbol,
      side, qty: quote.qty, price, currency: quote.currency, time: now.toISOString(), settlDate: rfq.settlDate,
    };
    store.record(trade);
    crashPoint('after-trade-record');
    this.#close(rfq, 'done');
    this.emit('trade', trade);
    return { ok: true, trade, duplicate: false };
  }

  /** A quote still known to the desk (live or recently expired). */
  quote(quoteId: string): Quote | undefined {
    return this.#quotes.get(quoteId)?.quote;
  }

  cancel(owner: Owner, quoteReqId: string): boolean {
    const rfq = this.#rfqs.get(rfqKey(owner.user, quoteReqId));
    if (!rfq || rfq.status !== 'open') return false;
    this.#close(rfq, 'cancelled');
    return true;
  }

  /** A session ended: its pending dealer timers stop, its open RFQs are cancelled. */
  dropSession(sessionId: string): void {
    for (const rfq of this.#rfqs.values()) if (rfq.owner.sessionId === sessionId && rfq.status === 'open') this.#close(rfq, 'cancelled');
  }

  /**
   * Cancels the open RFQs of a FIX session (its CompID), whichever connection opened them: a client that lost
   * its connection and resumed the session owns the RFQs it opened before the cut, until it logs out.
   */
  endFixSession(compId: string): void {
    for (const rfq of this.#rfqs.values()) if (rfq.owner.compId === compId && rfq.status === 'open') this.#close(rfq, 'cancelled');
  }

  #close(rfq: Rfq, status: RfqStatus): void {
    if (rfq.status === 'open') {
      const n = (this.#openByUser.get(rfq.owner.user) ?? 1) - 1;
      if (n > 0) this.#openByUser.set(rfq.owner.user, n); else this.#openByUser.delete(rfq.owner.user);
    }
    rfq.status = status;
    for (const cancel of this.#timers.get(rfq.key) ?? []) cancel();
    this.#timers.delete(rfq.key);
    this.#changed(rfq);
    this.#closed.delete(rfq.key);
    this.#closed.set(rfq.key, rfq);
    while (this.#closed.size > this.#opts.maxClosedRfqs) this.#forget(this.#closed.values().next().value!);
  }

  #forget(rfq: Rfq): void {
    this.#closed.delete(rfq.key);
    // A newer RFQ may reuse the key only after this one is forgotten; never delete someone else's entry.
    if (this.#rfqs.get(rfq.key) === rfq) this.#rfqs.delete(rfq.key);
    for (const q of rfq.quotes) if (this.#quotes.get(q.quoteId)?.rfq === rfq) this.#quotes.delete(q.quoteId);
  }

  /** How much of the book is held in memory (open and closed RFQs, quotes): what the retention bounds. */
  get held(): { rfqs: number; closedRfqs: number; quotes: number } {
    return { rfqs: this.#rfqs.size, closedRfqs: this.#closed.size, quotes: this.#quotes.size };
  }

  /** Risk officers follow the book; building views costs nothing when nobody does. */
  #changed(rfq: Rfq): void {
    if (this.listenerCount('rfq') > 0) this.emit('rfq', this.view(rfq));
  }

  #lastPrune = 0;
  #prune(): void {
    // Pruning walks the whole book: at most once a second, not on every RFQ.
    const nowMs = this.#opts.now().getTime();
    if (nowMs - this.#lastPrune < 1000) return;
    this.#lastPrune = nowMs;
    const cutoff = this.#opts.now().getTime() - this.#opts.retainMs;
    for (const rfq of [...this.#closed.values()]) if (rfq.expiresAt.getTime() < cutoff) this.#forget(rfq);
  }

  openRfqs(): RfqView[] {
    return [...this.#rfqs.values()].filter((r) => r.status === 'open').map((r) => this.view(r));
  }

  view(r: Rfq): RfqView {
    return {
      quoteReqId: r.request.quoteReqId, user: r.owner.user, compId: r.owner.compId, symbol: r.request.symbol,
      side: r.request.side ?? null, qty: r.request.qty, status: r.status, createdAt: r.createdAt.toISOString(),
      expiresAt: r.expiresAt.toISOString(), settlDate: r.settlDate,
      quotes: r.quotes.map((q) => ({ quoteId: q.quoteId, dealer: q.dealer, bidPx: q.bidPx, offerPx: q.offerPx, validUntil: q.validUntil.toISOString() })),
    };
  }

  close(): void {
    for (const rfq of this.#rfqs.values()) if (rfq.status === 'open') this.#close(rfq, 'cancelled');
  }
}

function rfqKey(user: string, quoteReqId: string): string {
  return `${user}\u0000${quoteReqId}`;
}
function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619) >>> 0;
  return h;
}
