/**
 * The trader's own RFQ flow on the wire: QuoteRequest (R) out, Quotes (S) and QuoteRequestRejects (AG) in, a
 * hit as QuoteResponse (AJ) answered by an ExecutionReport (8), a cancel as QuoteCancel (Z) acknowledged by a
 * QuoteStatusReport (AI). The RfqBook holds the RFQs; this module moves them between the book and the wire.
 */
import type { FixMessage } from '../../fix/codec.ts';
import type { Field } from '../../fix/codec.ts';
import { MsgType, Tag } from '../../fix/dictionary/tags.ts';
import { ParleyError, type CreateRfq, type Execution, type HitResult, type Rfq } from '../ipc/contract.ts';
import {
  clientRfqIdFromResp,
  quoteCancelFields,
  quoteRequestFields,
  quoteResponseFields,
  readExecutionReport,
  readQuote,
  readQuoteRequestReject,
  readQuoteStatus,
} from './fix-mapping.ts';
import { PendingRequests } from './pending-requests.ts';
import type { RfqBook } from './rfq-book.ts';
import type { SessionLink } from './session-link.ts';

const MAX_UNANSWERED = 1_000;
const MAX_ANSWERED = 10_000;

export class RfqTrading {
  readonly #link: SessionLink;
  readonly #book: RfqBook;
  readonly #onExecution: (e: Execution) => void;
  readonly #hits = new PendingRequests<HitResult>();
  /**
   * Hits sent and not answered yet (QuoteRespID → the QuoteResponse's fields): asked again after a logon if the
   * gateway's answer has not come by then (issue 19 item 3). The gateway is idempotent on the QuoteRespID.
   */
  readonly #unanswered = new Map<string, Field[]>();
  /** QuoteRespIDs answered in this process: a repeated refusal (the answer to a retry) changes nothing. */
  readonly #answered = new Set<string>();
  /** Set by a drop: the next logon reconciles. */
  #reconcileDue = false;

  constructor(link: SessionLink, book: RfqBook, onExecution: (e: Execution) => void) {
    this.#link = link;
    this.#book = book;
    this.#onExecution = onExecution;
  }

  async create(req: CreateRfq): Promise<Rfq> {
    const s = this.#link.active();
    const { rfq, isNew } = this.#book.create(req);
    if (isNew) s.send(MsgType.QuoteRequest, quoteRequestFields(rfq));
    return rfq;
  }

  async hit(clientRfqId: string, quoteId: string): Promise<HitResult> {
    const s = this.#link.active();
    const d = this.#book.hit(clientRfqId, quoteId);
    if (!d.send) return d.result;
    const fields = quoteResponseFields({ quoteRespId: d.quoteRespId, quoteId, side: d.rfq.side, instrument: d.rfq.instrument, quantity: d.rfq.quantity, price: d.quote.price });
    if (this.#unanswered.size < MAX_UNANSWERED) this.#unanswered.set(d.quoteRespId, fields);
    s.send(MsgType.QuoteResponse, fields);
    // No answer in time is not a failure: the hit was sent and its execution arrives as an event.
    return this.#hits.open(d.quoteRespId, {
      timeoutMs: this.#link.timeoutMs(10_000),
      onTimeout: () => ({ status: 'submitted', reason: 'waiting for the dealer' }),
    });
  }

  pass(clientRfqId: string, quoteId: string): void {
    this.#book.pass(clientRfqId, quoteId);
  }

  async cancel(clientRfqId: string): Promise<void> {
    const rfq = this.#book.get(clientRfqId);
    if (!rfq) throw new ParleyError('not-found', `no RFQ ${clientRfqId}`);
    const s = this.#link.active();
    s.send(MsgType.QuoteCancel, quoteCancelFields(clientRfqId, rfq.quotes[0]?.quoteId ?? clientRfqId));
    this.#book.setStatus(clientRfqId, 'cancelled');
  }

  onQuote(m: FixMessage): void {
    const q = readQuote(m);
    if (q) this.#book.addQuote(q);
  }

  onQuoteRequestReject(m: FixMessage): void {
    const r = readQuoteRequestReject(m);
    if (r.ok) this.#book.setStatus(r.value.quoteReqId, 'rejected', r.value.text);
  }

  /** A QuoteStatusReport about the trader's own RFQ (no RfqOwner): the acknowledgement of a cancel. */
  onQuoteStatus(m: FixMessage): void {
    // The gateway answers a QuoteCancel with QuoteStatus Cancelled (docs/protocol.md); other states change nothing.
    // (The gateway also cancels this way, with its reason, an RFQ it lost in a restart: issue 19 item 5.)
    const r = readQuoteStatus(m);
    if (r.ok && r.value.state === 'cancelled') this.#book.setStatus(r.value.quoteReqId, 'cancelled', m.get(Tag.Text));
  }

  /** The gateway refused an RFQ (a BusinessMessageReject or a denied action naming it). */
  rejected(clientRfqId: string, text: string): void {
    this.#book.setStatus(clientRfqId, 'rejected', text);
  }

  onExecutionReport(m: FixMessage): void {
    const r = readExecutionReport(m);
    if (!r) return;
    if (r.kind === 'rejected' && this.#answered.has(r.quoteRespId) && !this.#unanswered.has(r.quoteRespId)) return;
    this.#settled(r.quoteRespId);
    const clientRfqId = this.#book.clientRfqIdForResp(r.quoteRespId) ?? clientRfqIdFromResp(r.quoteRespId);
    if (!clientRfqId) return;
    if (r.kind === 'rejected') {
      this.#book.hitRejected(clientRfqId, r.reason);
      this.#hits.resolve(r.quoteRespId, { status: 'rejected', reason: r.reason });
      return;
    }
    const rfq = this.#book.get(clientRfqId);
    const quoteId = this.#book.hitQuoteId(clientRfqId) ?? 'UNKNOWN';
    const { tradeDate, ...rest } = r.execution;
    // The desk's SettlDate on the fill is what was booked; the RFQ's own date (or, failing both, the trade date)
    // only stands in for a report without it.
    const execution: Execution = { ...rest, clientRfqId, quoteId, settlementDate: r.execution.settlementDate ?? rfq?.settlementDate ?? tradeDate };
    if (this.#book.addExecution(execution)) this.#onExecution(execution);
    this.#hits.resolve(r.quoteRespId, { status: 'filled', execution });
  }

  #settled(quoteRespId: string): void {
    this.#unanswered.delete(quoteRespId);
    this.#answered.add(quoteRespId);
    // Bounded: the oldest answered IDs go first (a Set keeps insertion order).
    if (this.#answered.size > MAX_ANSWERED) this.#answered.delete(this.#answered.values().next().value!);
  }

  /**
   * After a logon (the first, and every one after a drop): the trades the gateway booked are fetched and any this
   * client has not heard of is recorded (its fill was lost with a crash on either side); then every hit still
   * unanswered is sent again with the same QuoteRespID — the gateway answers with its trade, or refuses it with
   * the reason, never books it twice. The history comes first: the gateway answers in order, so a report already
   * on its way (a resend) arrives before the history and the hit is not asked twice.
   */
  async reconcile(history: () => Promise<Execution[]>): Promise<void> {
    // Nothing to reconcile without RFQs (a first sign-in): no request is sent then.
    if ((!this.#reconcileDue && this.#unanswered.size === 0) || this.#book.list().length === 0) return;
    this.#reconcileDue = false;
    let trades: Execution[] = [];
    try {
      trades = await history();
    } catch {
      // No history (refused, timed out): the hits are still asked again below.
    }
    for (const t of trades) {
      const rfq = this.#book.get(t.clientRfqId);
      if (!rfq || this.#book.executions().some((e) => e.execId === t.execId)) continue;
      const execution: Execution = { ...t, quoteId: this.#book.hitQuoteId(t.clientRfqId) ?? t.quoteId, settlementDate: t.settlementDate || rfq.settlementDate };
      if (this.#book.addExecution(execution)) this.#onExecution(execution);
      for (const [respId] of this.#unanswered) {
        if (this.#book.clientRfqIdForResp(respId) === t.clientRfqId) {
          this.#settled(respId);
          this.#hits.resolve(respId, { status: 'filled', execution });
        }
      }
    }
    try {
      const s = this.#link.active();
      for (const fields of this.#unanswered.values()) s.send(MsgType.QuoteResponse, fields);
    } catch {
      // Dropped again meanwhile: the next logon reconciles.
      this.#reconcileDue = true;
    }
  }

  /** The connection dropped: a hit in flight is not lost, its result arrives after the session resumes. */
  dropped(): void {
    this.#reconcileDue = true;
    this.#hits.settleAll(() => ({ status: 'submitted', reason: 'the connection dropped; the result arrives after reconnecting' }));
  }
}
