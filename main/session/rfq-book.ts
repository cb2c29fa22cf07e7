/**
 * The client's view of its RFQs, keyed by the client RFQ id the renderer chose. It is what makes retries
 * harmless: the same createRfq twice is one RFQ, the same hit twice is one QuoteResponse (with a
 * QuoteRespID derived from the RFQ, so the gateway — idempotent on QuoteRespID — sees a repeat, not a
 * second trade), and an execution that arrives again (a resend after a reconnect) is recorded once.
 */
import { ParleyError, type CreateRfq, type Execution, type HitResult, type Quote, type Rfq } from '../ipc/contract.ts';

type Change = (rfq: Rfq) => void;

export interface IncomingQuote {
  quoteReqId: string;
  quoteId: string;
  dealer: string;
  bidPx?: number;
  offerPx?: number;
  qty?: number;
  validUntil: Date;
}

const FINAL = new Set<Rfq['status']>(['executed', 'cancelled', 'expired', 'rejected']);

/** A hit's QuoteRespID is fixed by the RFQ id (and how many hits the gateway refused before). */
export function quoteRespIdFor(clientRfqId: string, attempt = 0): string {
  const suffix = attempt ? `.h${attempt}` : '.h';
  return `${clientRfqId.slice(0, 64 - suffix.length)}${suffix}`;
}

export class RfqBook {
  readonly #rfqs = new Map<string, Rfq>();
  readonly #executions = new Map<string, Execution>();
  readonly #byRespId = new Map<string, string>();
  readonly #hits = new Map<string, string>();
  readonly #refusedHits = new Map<string, number>();
  readonly #now: () => Date;
  readonly #onChange: Change;
  readonly #max: number;

  constructor(o: { onChange?: Change; now?: () => Date; maxRfqs?: number } = {}) {
    this.#onChange = o.onChange ?? (() => {});
    this.#now = o.now ?? (() => new Date());
    this.#max = o.maxRfqs ?? 5_000;
  }

  list(): Rfq[] {
    return [...this.#rfqs.values()].map(clone);
  }
  get(clientRfqId: string): Rfq | undefined {
    const r = this.#rfqs.get(clientRfqId);
    return r && clone(r);
  }
  executions(): Execution[] {
    return [...this.#executions.values()];
  }

  /** Returns the RFQ and whether it is new (only a new one is sent to the gateway). */
  create(req: CreateRfq): { rfq: Rfq; isNew: boolean } {
    const existing = this.#rfqs.get(req.clientRfqId);
    if (existing) {
      const same =
        existing.instrument === req.instrument &&
        existing.side === req.side &&
        existing.quantity === req.quantity &&
        existing.settlementDate === req.settlementDate &&
        JSON.stringify(existing.dealers) === JSON.stringify(req.dealers);
      if (!same) throw new ParleyError('conflict', `RFQ id ${req.clientRfqId} is already used for a different request`);
      return { rfq: clone(existing), isNew: false };
    }
    this.#evict();
    const now = this.#now();
    const rfq: Rfq = {
      clientRfqId: req.clientRfqId,
      instrument: req.instrument,
      side: req.side,
      quantity: req.quantity,
      settlementDate: req.settlementDate,
      dealers: req.dealers,
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + req.expirySeconds * 1_000).toISOString(),
      status: 'pending',
      quotes: [],
    };
    this.#rfqs.set(rfq.clientRfqId, rfq);
    this.#onChange(clone(rfq));
    return { rfq: clone(rfq), isNew: true };
  }

  /** A quote from the gateway; quotes from dealers the user did not ask are ignored. Repeats are merged. */
  addQuote(q: IncomingQuote): Quote | undefined {
    const rfq = this.#rfqs.get(q.quoteReqId);
    if (!rfq || FINAL.has(rfq.status)) return undefined;
    if (rfq.dealers !== 'all' && !rfq.dealers.includes(q.dealer)) return undefined;
    const price = rfq.side === 'buy' ? q.offerPx : q.bidPx;
    if (price === undefined || !Number.isFinite(price)) return undefined;
    const quote: Quote = {
      quoteId: q.quoteId,
      dealer: q.dealer,
      price,
      ...(q.qty !== undefined && q.qty > 0 ? { quantity: q.qty } : {}),
      validUntil: q.validUntil.toISOString(),
      receivedAt: this.#now().toISOString(),
      status: q.validUntil > this.#now() ? 'live' : 'expired',
    };
    const i = rfq.quotes.findIndex((x) => x.quoteId === q.quoteId);
    if (i >= 0) rfq.quotes[i] = { ...quote, receivedAt: rfq.quotes[i]!.receivedAt, status: rfq.quotes[i]!.status };
    else rfq.quotes.push(quote);
    if (rfq.status === 'pending') rfq.status = 'quoted';
    this.#onChange(clone(rfq));
    return quote;
  }

  /**
   * Decides whether a hit may go out. 'send' carries the QuoteRespID; anything else is the answer already.
   */
  hit(clientRfqId: string, quoteId: string): { send: true; quoteRespId: string; quote: Quote; rfq: Rfq } | { send: false; result: HitResult } {
    const rfq = this.#rfqs.get(clientRfqId);
    if (!rfq) throw new ParleyError('not-found', `no RFQ ${clientRfqId}`);
    const quote = rfq.quotes.find((q) => q.quoteId === quoteId);
    if (!quote) throw new ParleyError('not-found', `no quote ${quoteId} on RFQ ${clientRfqId}`);
    const prior = this.#hits.get(clientRfqId);
    if (prior !== undefined) {
      const exec = [...this.#executions.values()].find((e) => e.clientRfqId === clientRfqId);
      if (prior !== quoteId) return { send: false, result: { status: 'rejected', reason: `RFQ ${clientRfqId} was already hit on quote ${prior}` } };
      return { send: false, result: exec ? { status: 'duplicate', execution: exec } : { status: 'duplicate' } };
    }
    if (FINAL.has(rfq.status)) return { send: false, result: { status: 'rejected', reason: `the RFQ is ${rfq.status}` } };
    if (new Date(quote.validUntil) <= this.#now()) {
      quote.status = 'expired';
      this.#onChange(clone(rfq));
      return { send: false, result: { status: 'rejected', reason: 'the quote has expired' } };
    }
    const quoteRespId = quoteRespIdFor(clientRfqId, this.#refusedHits.get(clientRfqId) ?? 0);
    this.#hits.set(clientRfqId, quoteId);
    this.#byRespId.set(quoteRespId, clientRfqId);
    rfq.status = 'executing';
    this.#onChange(clone(rfq));
    return { send: true, quoteRespId, quote: { ...quote }, rfq: clone(rfq) };
  }

  /**
   * Returns the execution if it is new (a resent duplicate returns undefined). A fill ends the RFQ: one RFQ is
   * one trade (docs/protocol.md), so the other dealers' quotes on it are void ('cancelled') from this moment,
   * whatever their ValidUntilTime says; the desk refuses a hit on them.
   */
  addExecution(e: Execution): Execution | undefined {
    if (this.#executions.has(e.execId)) return undefined;
    this.#executions.set(e.execId, e);
    const rfq = this.#rfqs.get(e.clientRfqId);
    if (rfq) {
      rfq.status = 'executed';
      for (const q of rfq.quotes) {
        if (q.quoteId === e.quoteId) q.status = 'hit';
        else if (q.status === 'live') q.status = 'cancelled';
      }
      this.#hits.set(rfq.clientRfqId, e.quoteId);
      this.#onChange(clone(rfq));
    }
    return e;
  }

  /** The quote this client hit on the RFQ (if any). */
  hitQuoteId(clientRfqId: string): string | undefined {
    return this.#hits.get(clientRfqId);
  }

  clientRfqIdForResp(quoteRespId: string): string | undefined {
    return this.#byRespId.get(quoteRespId);
  }

  /** The gateway refused the hit: the quote is not hit, the RFQ may be hit again on another quote. */
  hitRejected(clientRfqId: string, reason: string): void {
    const rfq = this.#rfqs.get(clientRfqId);
    if (!rfq) return;
    const quoteId = this.#hits.get(clientRfqId);
    this.#hits.delete(clientRfqId);
    this.#refusedHits.set(clientRfqId, (this.#refusedHits.get(clientRfqId) ?? 0) + 1);
    for (const q of rfq.quotes) if (q.quoteId === quoteId) q.status = 'rejected';
    rfq.status = rfq.quotes.length ? 'quoted' : 'pending';
    rfq.reason = reason.slice(0, 2_000);
    this.#onChange(clone(rfq));
  }

  pass(clientRfqId: string, quoteId: string): void {
    const rfq = this.#rfqs.get(clientRfqId);
    const q = rfq?.quotes.find((x) => x.quoteId === quoteId);
    if (!rfq || !q) throw new ParleyError('not-found', `no quote ${quoteId} on RFQ ${clientRfqId}`);
    if (q.status === 'live') q.status = 'passed';
    this.#onChange(clone(rfq));
  }

  setStatus(clientRfqId: string, status: Rfq['status'], reason?: string): void {
    const rfq = this.#rfqs.get(clientRfqId);
    if (!rfq || FINAL.has(rfq.status)) return;
    rfq.status = status;
    if (reason) rfq.reason = reason.slice(0, 2_000);
    if (status === 'cancelled' || status === 'expired') for (const q of rfq.quotes) if (q.status === 'live') q.status = status === 'cancelled' ? 'cancelled' : 'expired';
    this.#onChange(clone(rfq));
  }

  /** Marks lapsed quotes and RFQs (called on a timer). */
  sweep(): void {
    const now = this.#now();
    for (const rfq of this.#rfqs.values()) {
      if (FINAL.has(rfq.status) || rfq.status === 'executing') continue;
      let changed = false;
      for (const q of rfq.quotes) {
        if (q.status === 'live' && new Date(q.validUntil) <= now) {
          q.status = 'expired';
          changed = true;
        }
      }
      if (new Date(rfq.expiresAt) <= now) {
        rfq.status = 'expired';
        for (const q of rfq.quotes) if (q.status === 'live') q.status = 'expired';
        changed = true;
      }
      if (changed) this.#onChange(clone(rfq));
    }
  }

  #evict(): void {
    if (this.#rfqs.size < this.#max) return;
    for (const [id, r] of this.#rfqs) {
      if (FINAL.has(r.status)) {
        this.#rfqs.delete(id);
        return;
      }
    }
    throw new ParleyError('conflict', 'too many open RFQs');
  }
}

function clone(r: Rfq): Rfq {
  return { ...r, dealers: Array.isArray(r.dealers) ? [...r.dealers] : r.dealers, quotes: r.quotes.map((q) => ({ ...q })) };
}
