/**
 * The blotter's rows, built from the RFQs and executions the client core and the gateway report. Pure: the
 * store rebuilds the whole blotter from a snapshot with `buildBlotter` (load, reload, reconnect) and updates
 * single rows with `rfqRow` / `executionRow` as events arrive.
 */
import type { Execution, Rfq } from '../../../main/ipc/contract.ts';
import { formatPrice } from './prices.ts';

/** One line of the blotter: an RFQ (kept current as quotes arrive) or an execution. */
export interface BlotterRow {
  key: string;
  kind: 'RFQ' | 'TRADE';
  time: string;
  id: string;
  instrument: string;
  side: 'buy' | 'sell';
  quantity: number;
  /** Only a done trade has a price and a dealer here: a quote in these columns would read as a fill. */
  price: number | null;
  dealer: string;
  status: string;
  quotes: number;
}

/** The one word for a done trade, on every row, card and notice. */
export const DONE_WORD = 'executed';

export function rfqRow(r: Rfq, names: ReadonlyMap<string, string> = new Map()): BlotterRow {
  const hit = r.status === 'executed' ? r.quotes.find((q) => q.status === 'hit') : undefined;
  return {
    key: `rfq:${r.clientRfqId}`,
    kind: 'RFQ',
    time: r.createdAt,
    id: r.clientRfqId,
    instrument: r.instrument,
    side: r.side,
    quantity: r.quantity,
    price: hit?.price ?? null,
    dealer: hit ? (names.get(hit.dealer) ?? hit.dealer) : '',
    status: r.status,
    quotes: r.quotes.length,
  };
}

export function executionRow(x: Execution, names: ReadonlyMap<string, string> = new Map()): BlotterRow {
  return {
    key: `exec:${x.execId}`,
    kind: 'TRADE',
    time: x.transactTime,
    id: x.execId,
    instrument: x.instrument,
    side: x.side,
    quantity: x.quantity,
    price: x.price,
    dealer: names.get(x.dealer) ?? x.dealer,
    status: DONE_WORD,
    quotes: 0,
  };
}

/** The whole blotter from a snapshot, oldest first (the table shows it newest first). */
export function buildBlotter(rfqs: Iterable<Rfq>, executions: Iterable<Execution>, names: ReadonlyMap<string, string>): BlotterRow[] {
  const rows: BlotterRow[] = [];
  for (const r of rfqs) rows.push(rfqRow(r, names));
  for (const x of executions) rows.push(executionRow(x, names));
  // An execution sorts after its RFQ even when both carry the same instant.
  return rows.sort((a, b) => a.time.localeCompare(b.time) || (a.kind === b.kind ? 0 : a.kind === 'RFQ' ? -1 : 1));
}

const TERMINAL = new Set(['executed', 'cancelled', 'expired', 'rejected']);

/**
 * Which of two reports of the same RFQ is further along. A snapshot and an event can cross on the way: the
 * older one must not win, so terminal beats open, then more quotes, then more quotes settled.
 */
export function progressOf(r: Rfq): number {
  const settled = r.quotes.filter((q) => q.status !== 'live').length;
  return (TERMINAL.has(r.status) ? 1e7 : r.status === 'executing' ? 5e6 : 0) + r.quotes.length * 1_000 + settled;
}

/** Today as the gateway's trade store dates trades (UTC). */
export function todayUtc(now = Date.now()): string {
  return new Date(now).toISOString().slice(0, 10);
}
