/**
 * The trade history (trade capture): a TradeCaptureReportRequest (AD) is answered by an ack (AQ) announcing
 * how many reports follow, then the reports (AE), the last one flagged. The request settles once every
 * announced report arrived (or the last one did), on a refusal, or at its timeout.
 */
import type { FixMessage } from '../../fix/codec.ts';
import { MsgType } from '../../fix/dictionary/tags.ts';
import { TradeRequestResult } from '../../fix/protocol/index.ts';
import { ParleyError, type Execution, type HistoryQuery } from '../ipc/contract.ts';
import { readTradeCapture, readTradeCaptureAck, tradeCaptureRequestFields } from './fix-mapping.ts';
import { PendingRequests } from './pending-requests.ts';
import type { SessionLink } from './session-link.ts';

type Collected = { rows: Execution[]; expected: number | null };

export class TradeHistory {
  readonly #link: SessionLink;
  readonly #pending = new PendingRequests<Execution[], Collected>();

  constructor(link: SessionLink) {
    this.#link = link;
  }

  async query(q: HistoryQuery): Promise<Execution[]> {
    const s = this.#link.active();
    const reqId = this.#link.nextId('TH');
    const p = this.#pending.open(reqId, {
      timeoutMs: this.#link.timeoutMs(15_000),
      onTimeout: () => new ParleyError('timeout', 'the gateway did not answer the history request'),
      state: { rows: [], expected: null },
    });
    s.send(MsgType.TradeCaptureReportRequest, tradeCaptureRequestFields(reqId, q.instrument));
    const rows = await p;
    return rows.filter((r) => {
      const d = r.transactTime.slice(0, 10);
      return d >= q.from && d <= q.to && (!q.side || r.side === q.side) && (!q.instrument || r.instrument === q.instrument);
    });
  }

  onAck(m: FixMessage): void {
    const r = readTradeCaptureAck(m);
    if (!r.ok) return;
    const { reqId, result, count, text } = r.value;
    const w = this.#pending.state(reqId);
    if (!w) return;
    // Anything but Successful (a result that is not a number included) is the gateway's refusal.
    if (result !== TradeRequestResult.Successful) {
      this.#pending.reject(reqId, new ParleyError('denied', text ?? 'the trade history request was refused'));
      return;
    }
    w.expected = count;
    if (w.rows.length >= w.expected) this.#finish(reqId);
  }

  onReport(m: FixMessage): void {
    const t = readTradeCapture(m);
    if (!t) return;
    const w = this.#pending.state(t.reqId);
    if (!w) return;
    const { last, reqId, ...execution } = t;
    if (!w.rows.some((r) => r.execId === execution.execId)) w.rows.push(execution);
    if (last || (w.expected !== null && w.rows.length >= w.expected)) this.#finish(reqId);
  }

  /** A BusinessMessageReject naming AD: every history request in flight is refused with its text. */
  refused(text: string, stepUp: boolean): void {
    this.#pending.settleAll(() => new ParleyError(stepUp ? 'denied' : 'forbidden', text));
  }

  #finish(reqId: string): void {
    const w = this.#pending.state(reqId);
    if (w) this.#pending.resolve(reqId, w.rows);
  }
}
