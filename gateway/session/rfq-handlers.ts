/**
 * A session's RFQ flow on typed messages: QuoteRequest, QuoteResponse (hit), QuoteCancel, the trade history, the
 * read-only open-RFQ view with its live feed, and the reference data (instruments, dealers). Each request is
 * read into data by fix/protocol/'s readers, decided through the access policy by the session (`Authorizer`), and then performed or
 * refused here by its held-action kind.
 */
import type { FixMessage } from '../../fix/codec.ts';
import { crashPoint } from '../../fix/crash-point.ts';
import { dealerListFields, MSG } from '../../fix/parley-protocol.ts';
import {
  BusinessRejectReason, MsgType, QuoteRejectReason, readDealerListRequest, rejectRefOf, Tag, TradeRequestResult, writeBusinessReject, type BusinessRejectMsg,
} from '../../fix/protocol/index.ts';
import type { Quote, RfqView } from '../desk/desk.ts';
import type { AccessAction } from '../policy/engine.ts';
import {
  executionFields, executionRejectFields, openRfqsAckFields, parseQuoteRequest, parseQuoteResponse, quoteCancelledFields,
  quoteRequestRejectFields, quoteStatusFields, readOpenRfqsRequest, readQuoteCancel, readSecurityListRequest, readTradeCaptureRequest,
  securityListFields, tradeCaptureFields, tradeRequestAckFields, type ParsedHit,
} from './fix-mapping.ts';
import type { Ports } from './ports.ts';
import type { HeldAction, SessionIo } from './session-io.ts';

type RfqAction = Exclude<HeldAction, { kind: 'register-key' }>;

export interface Authorizer {
  /** Decides `action` for the held request; performs it, refuses it, or holds it for a step-up. */
  authorize(action: AccessAction, ref: string, held: HeldAction, notional?: number): void;
  /** A scope question answered by the policy alone (no step-up, no refusal): see AccessGate.allows. */
  allows(action: AccessAction, ref: string): boolean;
}

const MAX_TRADES_PER_REQUEST = 1000;

export class RfqHandlers {
  readonly #io: SessionIo;
  readonly #ports: Pick<Ports, 'desk'>;
  readonly #auth: Authorizer;
  readonly #deliver: (q: Quote) => void;
  /** The RequestID of the open-RFQ subscription this session holds, if any. */
  #feed: string | null = null;
  readonly #onRfq = (v: RfqView) => {
    if (this.#feed && this.#io.isActive()) this.#io.send(MsgType.QuoteStatusReport, quoteStatusFields(v, this.#feed));
  };

  constructor(io: SessionIo, ports: Pick<Ports, 'desk'>, auth: Authorizer, deliverQuote: (q: Quote) => void) {
    this.#io = io;
    this.#ports = ports;
    this.#auth = auth;
    this.#deliver = deliverQuote;
  }

  /** MsgType → handler for the requests this part answers. */
  routes(): [string, (m: FixMessage) => void][] {
    return [
      [MsgType.QuoteRequest, (m) => this.quoteRequest(m)],
      [MsgType.QuoteResponse, (m) => this.quoteResponse(m)],
      [MsgType.QuoteCancel, (m) => this.quoteCancel(m)],
      [MsgType.TradeCaptureReportRequest, (m) => this.tradeHistory(m)],
      [MsgType.SecurityListRequest, (m) => this.securityList(m)],
      [MSG.DealerListRequest, (m) => this.dealerList(m)],
      [MSG.OpenRfqsRequest, (m) => this.openRfqs(m)],
    ];
  }

  reject(r: BusinessRejectMsg): void {
    this.#io.send(MsgType.BusinessMessageReject, writeBusinessReject(r));
  }

  // ------------------------------------------------------------------ requests in
  quoteRequest(m: FixMessage): void {
    const p = parseQuoteRequest(m);
    if (!p.ok) { this.#io.send(MsgType.QuoteRequestReject, quoteRequestRejectFields(m.get(Tag.QuoteReqID) ?? '', undefined, QuoteRejectReason.Other, p.reason)); return; }
    this.#auth.authorize('CreateRfq', p.value.quoteReqId, { kind: 'create-rfq', rfq: p.value }, p.value.qty);
  }

  quoteResponse(m: FixMessage): void {
    const p = parseQuoteResponse(m);
    if (!p.ok) {
      this.#io.send(MsgType.ExecutionReport, executionRejectFields({ quoteRespId: m.get(Tag.QuoteRespID) ?? 'UNKNOWN', quoteId: m.get(Tag.QuoteID) ?? '' }, p.reason, 'malformed'));
      return;
    }
    const h = p.value;
    const q = this.#ports.desk.quote(h.quoteId);
    const symbol = h.symbol ?? q?.symbol;
    // The notional the policy weighs is the quoted one when the quote is known (the hit may omit OrderQty).
    this.#auth.authorize('HitQuote', h.quoteRespId, { kind: 'hit-quote', hit: h, ...(symbol ? { symbol } : {}) }, q ? q.qty : h.qty);
  }

  quoteCancel(m: FixMessage): void {
    const c = readQuoteCancel(m);
    const ref = rejectRefOf(m);
    if (!c.ok) { this.reject({ ...ref, reason: BusinessRejectReason.ConditionallyRequiredFieldMissing, text: c.reason }); return; }
    this.#auth.authorize('CancelRfq', c.value.quoteReqId, { kind: 'cancel-rfq', ...c.value, ref });
  }

  tradeHistory(m: FixMessage): void {
    const r = readTradeCaptureRequest(m);
    if (!r.ok) { this.reject({ ...rejectRefOf(m), reason: BusinessRejectReason.ConditionallyRequiredFieldMissing, text: r.reason }); return; }
    this.#auth.authorize('ViewHistoricalTrades', r.value.reqId, { kind: 'view-trades', ...r.value });
  }

  openRfqs(m: FixMessage): void {
    const r = readOpenRfqsRequest(m);
    if (!r.ok) { this.reject({ ...rejectRefOf(m), reason: BusinessRejectReason.ConditionallyRequiredFieldMissing, text: r.reason }); return; }
    const { requestId, mode } = r.value;
    if (mode === 'unsubscribe') {
      this.#stopFeed();
      this.#io.send(MSG.OpenRfqsAck, openRfqsAckFields({ requestId, count: 0, text: 'unsubscribed' }));
      return;
    }
    this.#auth.authorize('ViewAllOpenRfqs', requestId, { kind: 'view-open-rfqs', requestId, subscribe: mode === 'subscribe' });
  }

  securityList(m: FixMessage): void {
    const r = readSecurityListRequest(m);
    this.#io.send(MsgType.SecurityList, securityListFields(r.ok ? r.value.reqId : 'REQ', [...this.#ports.desk.instruments.values()]));
  }

  dealerList(m: FixMessage): void {
    // A request without a usable RequestID still gets the list, just without one to match.
    const r = readDealerListRequest(m);
    this.#io.send(MSG.DealerList, dealerListFields(this.#ports.desk.dealers, r.ok ? r.value.requestId : undefined));
  }

  /** Instruments and dealers, sent once the logon is allowed. */
  referenceData(): void {
    this.#io.send(MsgType.SecurityList, securityListFields('LOGON', [...this.#ports.desk.instruments.values()]));
    this.#io.send(MSG.DealerList, dealerListFields(this.#ports.desk.dealers));
  }

  // ------------------------------------------------------------------ decided
  perform(a: RfqAction): void {
    const desk = this.#ports.desk;
    switch (a.kind) {
      case 'create-rfq': {
        if (this.#io.isEnded()) return;
        const { rfq } = a;
        const r = desk.submitRfq(this.#io.owner, rfq, (q) => this.#deliver(q));
        if (!r.ok) {
          this.#io.send(MsgType.QuoteRequestReject, quoteRequestRejectFields(rfq.quoteReqId, rfq.symbol, desk.instruments.has(rfq.symbol) ? QuoteRejectReason.Other : QuoteRejectReason.UnknownSymbol, r.reason));
          return;
        }
        this.#io.audit('rfq.created', { quoteReqId: rfq.quoteReqId, symbol: rfq.symbol, qty: rfq.qty, side: rfq.side ?? null });
        return;
      }
      case 'hit-quote': {
        if (this.#io.isEnded()) return;
        const h = a.hit;
        let r: ReturnType<typeof desk.hit>;
        try {
          r = desk.hit(this.#io.owner, h);
        } catch (e) {
          if (!isStorageError(e)) throw e;
          // The trade could not be written (a full disk, an I/O error): nothing was booked (the store undoes a torn
          // write), the client is told why, and the operator is alerted on stderr, which does not need the disk.
          const why = `${(e as NodeJS.ErrnoException).code}: ${(e as Error).message}`;
          process.stderr.write(`gateway: ALERT trade store write failed (${why}); hits are refused until it succeeds again\n`);
          this.#io.audit('trade.refused', { quoteRespId: h.quoteRespId, quoteId: h.quoteId, code: 'storage', reason: why });
          this.#io.send(MsgType.ExecutionReport, executionRejectFields(hitRef(h, a.symbol), STORAGE_UNAVAILABLE, 'storage'));
          return;
        }
        if (r.ok) {
          this.#io.audit('trade.executed', { tradeId: r.trade.tradeId, quoteId: r.trade.quoteId, quoteRespId: h.quoteRespId, symbol: r.trade.symbol, qty: r.trade.qty, price: r.trade.price, dealer: r.trade.dealer });
          this.#io.send(MsgType.ExecutionReport, executionFields(r.trade));
          crashPoint('after-store-save', MsgType.ExecutionReport);
        } else if (r.code === 'duplicate') {
          // A retried hit (the client resent it after a cut or a gateway crash) is answered with its trade: the same
          // ExecutionReport (same ExecID), never a refusal for a trade that exists and never a second trade.
          this.#io.audit('trade.reported-again', { tradeId: r.trade.tradeId, quoteRespId: h.quoteRespId });
          this.#io.send(MsgType.ExecutionReport, executionFields(r.trade));
        } else {
          this.#io.audit('trade.refused', { quoteRespId: h.quoteRespId, quoteId: h.quoteId, code: r.code, reason: r.reason });
          this.#io.send(MsgType.ExecutionReport, executionRejectFields(hitRef(h, a.symbol), r.reason, r.code));
        }
        return;
      }
      case 'cancel-rfq':
        if (desk.cancel(this.#io.owner, a.quoteReqId)) this.#io.send(MsgType.QuoteStatusReport, quoteCancelledFields({ quoteReqId: a.quoteReqId, ...(a.quoteId ? { quoteId: a.quoteId } : {}) }));
        else this.reject({ ...a.ref, reason: BusinessRejectReason.UnknownId, text: `no open RFQ ${a.quoteReqId}` });
        return;
      case 'view-trades': {
        // Whose trades: the policy's ViewAllTrades says (a risk officer's oversight); otherwise the user's own.
        const all = this.#auth.allows('ViewAllTrades', a.reqId);
        const trades = desk.trades.query({ ...(all ? {} : { user: this.#io.ctx.user.username }), ...(a.symbol ? { symbol: a.symbol } : {}), limit: MAX_TRADES_PER_REQUEST });
        this.#io.send(MsgType.TradeCaptureReportRequestAck, tradeRequestAckFields(a.reqId, trades.length));
        trades.forEach((t, i) => this.#io.send(MsgType.TradeCaptureReport, tradeCaptureFields(t, a.reqId, trades.length, i === trades.length - 1)));
        this.#io.audit('trades.viewed', { reqId: a.reqId, count: trades.length, scope: all ? 'all' : 'own' });
        return;
      }
      case 'view-open-rfqs': {
        const open = desk.openRfqs();
        this.#io.send(MSG.OpenRfqsAck, openRfqsAckFields({ requestId: a.requestId, count: open.length }));
        for (const r of open) this.#io.send(MsgType.QuoteStatusReport, quoteStatusFields(r, a.requestId));
        if (a.subscribe) this.#startFeed(a.requestId);
        this.#io.audit('rfqs.viewed', { reqId: a.requestId, count: open.length, subscribe: a.subscribe });
        return;
      }
    }
  }

  refuse(a: RfqAction, reason: string): void {
    switch (a.kind) {
      case 'create-rfq': this.#io.send(MsgType.QuoteRequestReject, quoteRequestRejectFields(a.rfq.quoteReqId, a.rfq.symbol, QuoteRejectReason.Other, reason)); return;
      case 'hit-quote': this.#io.send(MsgType.ExecutionReport, executionRejectFields(hitRef(a.hit, a.symbol), reason, 'policy')); return;
      case 'cancel-rfq': this.reject({ ...a.ref, reason: BusinessRejectReason.NotAuthorized, text: reason, decision: 'deny' }); return;
      case 'view-trades': this.#io.send(MsgType.TradeCaptureReportRequestAck, tradeRequestAckFields(a.reqId, 0, TradeRequestResult.NotAuthorized, reason)); return;
      case 'view-open-rfqs': this.#io.send(MSG.OpenRfqsAck, openRfqsAckFields({ requestId: a.requestId, count: 0, text: reason })); return;
    }
  }

  /** The session is over: the live feed stops. */
  close(): void {
    this.#stopFeed();
  }

  #startFeed(requestId: string): void {
    if (this.#feed === null) this.#ports.desk.on('rfq', this.#onRfq);
    this.#feed = requestId;
  }

  #stopFeed(): void {
    if (this.#feed !== null) this.#ports.desk.off('rfq', this.#onRfq);
    this.#feed = null;
  }
}

const STORAGE_UNAVAILABLE = 'gateway storage unavailable: the trade was not booked; try again shortly';
const STORAGE_ERRORS = new Set(['ENOSPC', 'EIO', 'EDQUOT', 'EROFS']);

function isStorageError(e: unknown): boolean {
  return e instanceof Error && STORAGE_ERRORS.has((e as NodeJS.ErrnoException).code ?? '');
}

function hitRef(h: ParsedHit, symbol: string | undefined): ParsedHit {
  return symbol ? { ...h, symbol } : h;
}

