import { useMemo } from 'react';
import { useHotkeys } from '../lib/useHotkeys.ts';
import type { Rfq } from '../../../main/ipc/contract.ts';
import { useSlice } from '../storeContext.ts';
import { useNow } from '../lib/useNow.ts';
import { RfqCard } from './RfqCard.tsx';

export type BoardTab = 'live' | 'done' | 'expired' | 'cancelled';
export const BOARD_TABS: { id: BoardTab; label: string; key: string }[] = [
  { id: 'live', label: 'Live', key: '1' },
  { id: 'done', label: 'Done', key: '2' },
  { id: 'expired', label: 'Expired', key: '3' },
  { id: 'cancelled', label: 'Cancelled', key: '4' },
];

export function tabOf(r: Rfq, now: number): BoardTab {
  switch (r.status) {
    case 'executed':
      return 'done';
    case 'expired':
      return 'expired';
    case 'cancelled':
    case 'rejected':
      return 'cancelled';
    default:
      // The gateway's expiry event may lag the clock by a moment; an RFQ past its time is not live.
      return Date.parse(r.expiresAt) <= now && r.status !== 'executing' ? 'expired' : 'live';
  }
}

// Cards beyond this are still in the blotter; a board with hundreds of cards helps no one.
const MAX_CARDS = 60;

export function RfqBoard({ tab, onTab, dealerName, canTrade }: { tab: BoardTab; onTab: (t: BoardTab) => void; dealerName: (id: string) => string; canTrade: boolean }) {
  // Cards repaint at most 10 times a second: enough to read, and it leaves the frame budget to the blotter.
  const store = useSlice('rfqs', 100);
  const now = useNow(250);
  const version = store.version('rfqs');
  const grouped = useMemo(() => {
    const g: Record<BoardTab, Rfq[]> = { live: [], done: [], expired: [], cancelled: [] };
    for (const r of store.rfqs.values()) g[tabOf(r, now)].push(r);
    for (const list of Object.values(g)) list.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    return g;
    // `now` only matters at expiry boundaries; recomputing each tick is cheap for a board of cards.
  }, [store, version, now]);
  const shown = grouped[tab].slice(0, MAX_CARDS);

  // Alt+L puts the focus on the best quote of the newest live RFQ; Enter then trades. Two keys, never one,
  // so a stray keystroke cannot trade.
  // Alt+P and Alt+C work the same way for passing on that quote and cancelling the newest live RFQ.
  const focusOnLive = (selector: string) => {
    if (tab !== 'live') onTab('live');
    setTimeout(() => document.querySelector<HTMLButtonElement>(`#board-panel .rfq-card ${selector}:not(:disabled)`)?.focus(), 0);
  };
  useHotkeys({
    'Alt+l': () => focusOnLive('tr.best button.trade'),
    'Alt+p': () => focusOnLive('tr.best button.pass'),
    'Alt+c': () => focusOnLive('button.cancel-rfq'),
  });

  return (
    <section className="panel board" aria-labelledby="board-title">
      <div className="panel-head">
        <h2 id="board-title" className="sr-only">RFQs</h2>
        <div role="tablist" aria-label="RFQs by state" className="tabs">
          {BOARD_TABS.map((t) => (
            <button key={t.id} type="button" role="tab" id={`tab-${t.id}`} aria-selected={tab === t.id} aria-controls="board-panel" className={tab === t.id ? 'active' : ''} onClick={() => onTab(t.id)} title={`Alt+${t.key}`}>
              {t.label} <span className="count">{grouped[t.id].length}</span>
            </button>
          ))}
        </div>
      </div>
      <div id="board-panel" role="tabpanel" aria-labelledby={`tab-${tab}`} className="cards">
        {shown.length === 0 && <p className="empty muted">{tab === 'live' ? 'No live RFQs. Fill in the ticket to ask dealers for a price.' : `No ${tab} RFQs today.`}</p>}
        {shown.map((r) => <RfqCard key={r.clientRfqId} rfq={r} now={now} dealerName={dealerName} canTrade={canTrade} />)}
        {grouped[tab].length > MAX_CARDS && <p className="muted small">{grouped[tab].length - MAX_CARDS} older RFQs are in the blotter.</p>}
      </div>
    </section>
  );
}
