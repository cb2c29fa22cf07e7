import { useEffect, useRef, useState, type FormEvent } from 'react';
import type { Execution, HistoryQuery, Instrument } from '../../../main/ipc/contract.ts';
import { useStore } from '../storeContext.ts';
import { explainError, type Explained } from '../lib/errors.ts';
import { downloadCsv, toCsv } from '../lib/csv.ts';
import { localIsoDate } from '../lib/ticket.ts';
import { formatQuantity } from '../lib/quantity.ts';
import { formatPrice } from '../lib/prices.ts';
import { VirtualTable, type Column } from './VirtualTable.tsx';
import { InlineError } from './ErrorPanel.tsx';

function columns(dealerName: (id: string) => string, tick: (symbol: string) => number): Column<Execution>[] {
  return [
  { id: 'time', label: 'Time', width: '150px', cell: (x) => <span className="mono">{x.transactTime.replace('T', ' ').slice(0, 19)}</span> },
  { id: 'side', label: 'Side', width: '46px', cell: (x) => <span className={`side-text ${x.side}`}>{x.side.toUpperCase()}</span> },
  { id: 'instrument', label: 'Instrument', width: 'minmax(110px, 1.2fr)', cell: (x) => <span className="mono">{x.instrument}</span> },
  { id: 'qty', label: 'Quantity', width: '90px', align: 'right', cell: (x) => <span className="mono">{formatQuantity(x.quantity)}</span> },
  { id: 'price', label: 'Price', width: '96px', align: 'right', cell: (x) => <span className="mono">{formatPrice(x.price, tick(x.instrument))}</span> },
  { id: 'dealer', label: 'Dealer', width: 'minmax(80px, 1fr)', cell: (x) => dealerName(x.dealer) },
  { id: 'settle', label: 'Settles', width: '96px', hideBelow: 760, cell: (x) => <span className="mono">{x.settlementDate}</span> },
  { id: 'exec', label: 'Exec id', width: 'minmax(90px, 1fr)', hideBelow: 860, cell: (x) => <span className="mono muted ellipsis" title={x.execId}>{x.execId}</span> },
  ];
}

export const CSV_HEADER = ['transact_time', 'exec_id', 'client_rfq_id', 'quote_id', 'dealer', 'instrument', 'side', 'quantity', 'price', 'settlement_date'];

export function historyCsv(rows: readonly Execution[]): string {
  return toCsv(CSV_HEADER, rows.map((x) => [x.transactTime, x.execId, x.clientRfqId, x.quoteId, x.dealer, x.instrument, x.side, x.quantity, x.price, x.settlementDate]));
}

function daysAgo(n: number): string {
  const d = new Date();
  d.setDate(d.getDate() - n);
  return localIsoDate(d);
}

export function History({ instruments, dealerName = (id) => id }: { instruments: readonly Instrument[]; dealerName?: (id: string) => string }) {
  const store = useStore();
  const [from, setFrom] = useState(() => daysAgo(30));
  const [to, setTo] = useState(() => localIsoDate(new Date()));
  const [instrument, setInstrument] = useState('');
  const [side, setSide] = useState<'' | 'buy' | 'sell'>('');
  const [rows, setRows] = useState<Execution[] | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Explained | null>(null);
  const [version, setVersion] = useState(0);

  // The latest search wins: one pressed while the opening load is still out replaces it, never waits or drops.
  const seq = useRef(0);
  async function search(e?: FormEvent) {
    e?.preventDefault();
    const mine = ++seq.current;
    if (from > to) {
      setError({ code: 'invalid-request', message: '"From" is after "To".', action: 'Pick a start date on or before the end date.' });
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const q: HistoryQuery = { from, to };
      if (instrument) q.instrument = instrument;
      if (side) q.side = side;
      const result = await store.api.queryHistory(q);
      if (mine !== seq.current) return;
      result.sort((a, b) => b.transactTime.localeCompare(a.transactTime));
      setRows(result);
      setVersion((v) => v + 1);
    } catch (err) {
      if (mine === seq.current) setError(explainError(err));
    } finally {
      if (mine === seq.current) setBusy(false);
    }
  }

  // The default range loads as soon as the tab opens: no Search press needed to see the last 30 days.
  const first = useRef(true);
  useEffect(() => {
    if (!first.current) return;
    first.current = false;
    void search();
  });

  function exportCsv() {
    if (!rows || rows.length === 0) return;
    const name = `parley-trades-${from}-to-${to}.csv`;
    downloadCsv(name, historyCsv(rows));
    store.toast('success', 'CSV exported', `${rows.length.toLocaleString('en-US')} ${rows.length === 1 ? 'trade' : 'trades'} saved as ${name}.`);
  }

  return (
    <div className="history">
      <form className="toolbar filters" onSubmit={search} aria-label="History filters">
        <label>From <input type="date" value={from} max={to} onChange={(e) => setFrom(e.target.value)} /></label>
        <label>To <input type="date" value={to} onChange={(e) => setTo(e.target.value)} /></label>
        <label>Instrument
          <select value={instrument} onChange={(e) => setInstrument(e.target.value)}>
            <option value="">All</option>
            {instruments.map((i) => <option key={i.symbol} value={i.symbol}>{i.symbol}</option>)}
          </select>
        </label>
        <label>Side
          <select value={side} onChange={(e) => setSide(e.target.value as '' | 'buy' | 'sell')}>
            <option value="">Both</option>
            <option value="buy">Buy</option>
            <option value="sell">Sell</option>
          </select>
        </label>
        <button type="submit" className="btn small">Search</button>
        {busy && <span className="muted small" role="status">Searching…</span>}
        <button
          type="button"
          className="btn small ghost"
          disabled={!rows || rows.length === 0}
          onClick={exportCsv}
        >
          Export CSV
        </button>
        {rows && <span className="muted small">{rows.length.toLocaleString('en-US')} {rows.length === 1 ? 'trade' : 'trades'}</span>}
      </form>
      <InlineError error={error} />
      <VirtualTable
        label="Trade history"
        columns={columns(dealerName, (sym) => store.tick(sym))}
        count={rows?.length ?? 0}
        rowAt={(i) => rows?.[i]}
        rowKey={(x) => x.execId}
        version={version}
        empty={rows ? 'No trades match these filters.' : busy ? 'Loading trades…' : 'Choose filters and press Search.'}
      />
    </div>
  );
}
