/**
 * The risk view of open RFQs (every trader's): an OpenRfqsRequest (UI) subscribes, the gateway answers with an
 * ack (UJ) announcing how many QuoteStatusReports (AI, with the RFQ's owner) follow, then keeps sending one per
 * change. The view is the latest report per RFQ; a cancelled, traded or expired RFQ leaves it.
 *
 * A request in flight is not settled when the connection drops: the resumed FIX session resends what was
 * missed, so the answer may still arrive; its timeout bounds the wait.
 */
import type { FixMessage } from '../../fix/codec.ts';
import { MsgType } from '../../fix/dictionary/tags.ts';
import { ParleyError, type OpenRfq } from '../ipc/contract.ts';
import { openRfqsRequestFields, readOpenRfqsAck, readOpenRfqStatus, readQuoteStatus } from './fix-mapping.ts';
import { PendingRequests } from './pending-requests.ts';
import type { SessionLink } from './session-link.ts';

type Collected = { rows: OpenRfq[]; expected: number | null };

const MAX_ROWS = 10_000;

export class OpenRfqs {
  readonly #link: SessionLink;
  readonly #changed: (rows: OpenRfq[]) => void;
  readonly #pending = new PendingRequests<OpenRfq[], Collected>();
  readonly #rows = new Map<string, OpenRfq>();

  constructor(link: SessionLink, changed: (rows: OpenRfq[]) => void) {
    this.#link = link;
    this.#changed = changed;
  }

  get rows(): OpenRfq[] {
    return [...this.#rows.values()];
  }

  async list(): Promise<OpenRfq[]> {
    const s = this.#link.active();
    const reqId = this.#link.nextId('OR');
    const p = this.#pending.open(reqId, {
      timeoutMs: this.#link.timeoutMs(15_000),
      onTimeout: () => new ParleyError('timeout', 'the gateway did not answer'),
      state: { rows: [], expected: null },
    });
    // A snapshot, then every change: the risk view stays live.
    s.send(MsgType.ParleyOpenRfqsRequest, openRfqsRequestFields({ requestId: reqId, mode: 'subscribe' }));
    return p;
  }

  /** A QuoteStatusReport of the risk view (it names the RFQ's owner). */
  onReport(m: FixMessage): void {
    const read = readOpenRfqStatus(m);
    const reqId = valueOfStatus(m)?.requestId;
    const w = reqId ? this.#pending.state(reqId) : undefined;
    if (read) {
      if (read.closed) this.#rows.delete(read.row.rfqId);
      else if (this.#rows.has(read.row.rfqId) || this.#rows.size < MAX_ROWS) this.#rows.set(read.row.rfqId, read.row);
      if (w && w.rows.length < MAX_ROWS) w.rows.push(read.row);
    }
    if (reqId && w && w.expected !== null && w.rows.length >= w.expected) this.#finish(reqId);
    if (!w) this.#changed(this.rows);
  }

  onAck(m: FixMessage): void {
    const r = readOpenRfqsAck(m);
    if (!r.ok) return;
    const { requestId: reqId, count, text } = r.value;
    const w = this.#pending.state(reqId);
    if (!w) return;
    w.expected = count;
    if (w.expected === 0 && text) {
      // An empty answer with a reason is the gateway's refusal (the access policy said no).
      this.#pending.reject(reqId, new ParleyError('forbidden', text));
      return;
    }
    if (w.rows.length >= w.expected) this.#finish(reqId);
  }

  /** A BusinessMessageReject naming UI: every request in flight is refused with its text. */
  refused(text: string, stepUp: boolean): void {
    this.#pending.settleAll(() => new ParleyError(stepUp ? 'denied' : 'forbidden', text));
  }

  #finish(reqId: string): void {
    const w = this.#pending.state(reqId);
    if (!w) return;
    // Every report counts towards the announced number, but only open RFQs are the answer.
    this.#pending.resolve(reqId, w.rows.filter((r) => r.status !== 'cancelled' && r.status !== 'expired' && r.status !== 'executed'));
    this.#changed(this.rows);
  }
}

function valueOfStatus(m: FixMessage): { requestId?: string } | undefined {
  const r = readQuoteStatus(m);
  return r.ok ? r.value : undefined;
}
