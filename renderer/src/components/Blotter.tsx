import { useMemo, useState } from 'react';
import { useSlice } from '../storeContext.ts';
import type { Store } from '../store.ts';
import { formatPrice } from '../lib/prices.ts';
import type { BlotterRow } from '../lib/blotterRows.ts';
import { formatQuantity } from '../lib/quantity.ts';
import { VirtualTable, type Column } from './VirtualTable.tsx';

const TIME = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });

function timeOf(iso: string): string {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? '' : TIME.format(t);
}

/** The blotter's columns; prices to each instrument's tick. */
export function blotterColumns(store: Pick<Store, 'tick'>): Column<BlotterRow>[] {
  return [
  { id: 'time', label: 'Time', width: '76px', cell: (r) => <span className="mono">{timeOf(r.time)}</span> },
  { id: 'kind', label: 'Type', width: '50px', cell: (r) => <span className={`kind ${r.kind.toLowerCase()}`}>{r.kind}</span> },
  { id: 'side', label: 'Side', width: '40px', cell: (r) => <span className={`side-text ${r.side}`}>{r.side.toUpperCase()}</span> },
  { id: 'instrument', label: 'Instrument', width: 'minmax(110px, 1.3fr)', cell: (r) => <span className="mono">{r.instrument}</span> },
  { id: 'qty', label: 'Quantity', width: '80px', align: 'right', cell: (r) => <span className="mono">{formatQuantity(r.quantity)}</span> },
  { id: 'price', label: 'Price', width: '86px', align: 'right', cell: (r) => <span className="mono">{r.price === null ? '' : formatPrice(r.price, store.tick(r.instrument))}</span> },
  { id: 'dealer', label: 'Dealer', width: 'minmax(80px, 1fr)', cell: (r) => r.dealer },
  { id: 'quotes', label: 'Quotes', width: '58px', align: 'right', hideBelow: 820, cell: (r) => (r.kind === 'RFQ' ? r.quotes : '') },
  { id: 'status', label: 'Status', width: '76px', cell: (r) => <span className={`status ${r.status}`}>{r.status}</span> },
  // Wide enough for a whole RFQ id (r- and a UUID) in the mono font: a cut id cannot be compared with the gateway's.
  { id: 'id', label: 'Id', width: 'minmax(290px, 1.5fr)', hideBelow: 1000, cell: (r) => <span className="mono muted ellipsis" title={r.id}>{r.id}</span> },
  ];
}

/** Today's RFQs and executions, newest first. */
export function Blotter() {
  const store = useSlice('blotter');
  const version = store.version('blotter');
  const [tradesOnly, setTradesOnly] = useState(false);
  const rows = store.blotter;
  const columns = useMemo(() => blotterColumns(store), [store]);
  const trades = useMemo(() => (tradesOnly ? rows.filter((r) => r.kind === 'TRADE') : null), [rows, tradesOnly, version]);
  const count = trades ? trades.length : rows.length;
  const rowAt = (i: number) => (trades ? trades[trades.length - 1 - i] : rows[rows.length - 1 - i]);

  return (
    <div className="blotter">
      <div className="toolbar">
        <label className="check small"><input type="checkbox" checked={tradesOnly} onChange={(e) => setTradesOnly(e.target.checked)} /> Trades only</label>
        <span className="muted small" aria-live="off">{count.toLocaleString('en-US')} {count === 1 ? 'row' : 'rows'}</span>
      </div>
      <VirtualTable
        label="Blotter"
        columns={columns}
        count={count}
        rowAt={rowAt}
        rowKey={(r) => r.key}
        rowClass={(r) => `kind-${r.kind.toLowerCase()}`}
        version={version}
        empty="Nothing yet today. RFQs and trades appear here as they happen."
      />
    </div>
  );
}
