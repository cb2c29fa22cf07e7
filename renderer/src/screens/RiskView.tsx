import { useEffect, useMemo, useState } from 'react';
import type { Instrument, OpenRfq } from '../../../main/ipc/contract.ts';
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

  // Reference data gives each instrument's currency: notionals are summed per currency, never across them.
  const [instruments, setInstruments] = useState<ReadonlyMap<string, Instrument>>(new Map());
  useEffect(() => {
    if (!connected) return;
    store.api.listInstruments().then((list) => setInstruments(new Map(list.map((i) => [i.symbol, i]))), () => undefined);
  }, [store, connected]);

  const rows = useMemo(() => {
    const f = ownerFilter.trim().toLowerCase();
    const list = f ? store.openRfqs.filter((r) => r.owner.toLowerCase().includes(f) || r.instrument.toLowerCase().includes(f)) : [...store.openRfqs];
    return list.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }, [store, version, ownerFilter]);

  const totals = useMemo(() => notionalsByCurrency(rows, instruments), [rows, instruments]);
  const filtered = ownerFilter.trim() !== '';

  const columns: Column<OpenRfq>[] = [
    { id: 'created', label: 'Created', width: '80px', cell: (r) => <span className="mono">{new Date(r.createdAt).toLocaleTimeString('en-GB', { hour12: false })}</span> },
    { id: 'owner', label: 'Trader', width: 'minmax(100px, 1fr)', cell: (r) => r.owner },
    { id: 'side', label: 'Side', width: '50px', cell: (r) => <span className={`side-text ${r.side}`}>{r.side.toUpperCase()}</span> },
    { id: 'instrument', label: 'Instrument', width: 'minmax(110px, 1.2fr)', cell: (r) => <span className="mono">{r.instrument}</span> },
    { id: 'qty', label: 'Quantity', width: '110px', align: 'right', cell: (r) => <span className="mono">{formatQuantity(r.quantity)} <span className="muted">{instruments.get(r.instrument)?.currency ?? ''}</span></span> },
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
        <span className="muted small" data-testid="risk-totals">
          {rows.length} open{filtered ? ` of ${store.openRfqs.length}` : ''}
          {totals.map((t) => <span key={t.currency}> · {t.currency}: buy {formatQuantity(t.buy)} / sell {formatQuantity(t.sell)}</span>)}
        </span>
      </div>
      <InlineError error={store.openRfqsError} />
      <VirtualTable label="Open RFQs" columns={columns} count={rows.length} rowAt={(i) => rows[i]} rowKey={(r) => r.rfqId} version={version + now} empty={filtered && store.openRfqs.length > 0 ? `No open RFQ matches “${ownerFilter.trim()}” (${store.openRfqs.length} open in all).` : 'No open RFQs across the desk.'} />
    </section>
  );
}

export interface CurrencyTotal { currency: string; buy: number; sell: number }

/** Buy and sell notionals per currency; an instrument without a known currency is its own line, never merged. */
export function notionalsByCurrency(rows: readonly OpenRfq[], instruments: ReadonlyMap<string, Instrument>): CurrencyTotal[] {
  const by = new Map<string, CurrencyTotal>();
  for (const r of rows) {
    const currency = instruments.get(r.instrument)?.currency ?? 'currency unknown';
    let t = by.get(currency);
    if (!t) by.set(currency, (t = { currency, buy: 0, sell: 0 }));
    if (r.side === 'buy') t.buy += r.quantity;
    else t.sell += r.quantity;
  }
  return [...by.values()].sort((a, b) => a.currency.localeCompare(b.currency));
}
