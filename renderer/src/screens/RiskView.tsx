import { useEffect, useMemo, useState } from 'react';
import type { OpenRfq } from '../../../main/ipc/contract.ts';
import { useSlice } from '../storeContext.ts';
import { explainError } from '../lib/errors.ts';
import { formatQuantity } from '../lib/quantity.ts';
import { formatCountdown, remainingMs } from '../lib/quotes.ts';
import { useNow } from '../lib/useNow.ts';
import { VirtualTable, type Column } from '../components/VirtualTable.tsx';
import { InlineError } from '../components/ErrorPanel.tsx';

/** A risk officer's view: every open RFQ across traders. Read-only by design: no action buttons. */
export function RiskView({ connected }: { connected: boolean }) {
  const store = useSlice('openRfqs');
  const now = useNow(1000);
  const [ownerFilter, setOwnerFilter] = useState('');
  const version = store.version('openRfqs');

  // Asked once the session is up (a risk officer may still be answering the step-up), and again after
  // every reconnect; in between the gateway pushes the list as events.
  useEffect(() => {
    if (!connected) return;
    store.api.listOpenRfqs().then(
      (list) => store.setOpenRfqs(list, null),
      (e: unknown) => {
        const ex = explainError(e);
        store.setOpenRfqs(null, ex.code === 'forbidden' ? { ...ex, message: 'Only risk officers can see all traders\' RFQs.' } : ex);
      },
    );
  }, [store, connected]);

  const rows = useMemo(() => {
    const f = ownerFilter.trim().toLowerCase();
    const list = f ? store.openRfqs.filter((r) => r.owner.toLowerCase().includes(f) || r.instrument.toLowerCase().includes(f)) : [...store.openRfqs];
    return list.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }, [store, version, ownerFilter]);

  const total = useMemo(() => {
    let buy = 0;
    let sell = 0;
    for (const r of rows) (r.side === 'buy' ? (buy += r.quantity) : (sell += r.quantity));
    return { buy, sell };
  }, [rows]);

  const columns: Column<OpenRfq>[] = [
    { id: 'created', label: 'Created', width: '80px', cell: (r) => <span className="mono">{new Date(r.createdAt).toLocaleTimeString('en-GB', { hour12: false })}</span> },
    { id: 'owner', label: 'Trader', width: 'minmax(100px, 1fr)', cell: (r) => r.owner },
    { id: 'side', label: 'Side', width: '50px', cell: (r) => <span className={`side-text ${r.side}`}>{r.side.toUpperCase()}</span> },
    { id: 'instrument', label: 'Instrument', width: 'minmax(110px, 1.2fr)', cell: (r) => <span className="mono">{r.instrument}</span> },
    { id: 'qty', label: 'Quantity', width: '90px', align: 'right', cell: (r) => <span className="mono">{formatQuantity(r.quantity)}</span> },
    { id: 'quotes', label: 'Quotes', width: '64px', align: 'right', cell: (r) => r.quoteCount },
    { id: 'status', label: 'Status', width: '90px', cell: (r) => <span className={`status ${r.status}`}>{r.status}</span> },
    { id: 'expires', label: 'Expires in', width: '84px', align: 'right', cell: (r) => <span className="mono">{r.expiresAt ? formatCountdown(remainingMs(Date.parse(r.expiresAt), now)) : '—'}</span> },
    { id: 'id', label: 'RFQ id', width: 'minmax(90px, 1fr)', hideBelow: 900, cell: (r) => <span className="mono muted ellipsis" title={r.rfqId}>{r.rfqId}</span> },
  ];

  return (
    <section className="panel risk" aria-labelledby="risk-title">
      <div className="panel-head">
        <h2 id="risk-title">Open RFQs — all traders</h2>
        <span className="badge">read-only</span>
        <input className="filter" aria-label="Filter by trader or instrument" placeholder="Filter trader / instrument" value={ownerFilter} maxLength={100} onChange={(e) => setOwnerFilter(e.target.value)} />
        <span className="muted small">{rows.length} open · buy {formatQuantity(total.buy)} · sell {formatQuantity(total.sell)}</span>
      </div>
      <InlineError error={store.openRfqsError} />
      <VirtualTable label="Open RFQs" columns={columns} count={rows.length} rowAt={(i) => rows[i]} rowKey={(r) => r.rfqId} version={version + now} empty="No open RFQs across the desk." />
    </section>
  );
}
