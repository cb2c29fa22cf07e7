import { memo, useState } from 'react';
import type { Quote, Rfq } from '../../../main/ipc/contract.ts';
import { useStore } from '../storeContext.ts';
import { bestQuoteIndex, countdownLevel, formatCountdown, remainingMs } from '../lib/quotes.ts';
import { formatQuantity } from '../lib/quantity.ts';
import { SubmitGuard } from '../lib/submitGuard.ts';
import { explainError, type Explained } from '../lib/errors.ts';
import { formatPrice } from '../lib/prices.ts';
import { InlineError } from './ErrorPanel.tsx';

// One guard for the whole renderer: a card that re-mounts (tab switch) must not forget a hit in flight.
export const tradeGuard = new SubmitGuard();

const LIVE_RFQ = new Set(['pending', 'quoted', 'executing']);

function quoteIsLive(q: Quote, now: number): boolean {
  return q.status === 'live' && Date.parse(q.validUntil) > now;
}

/**
 * A taken offer is lifted, a taken bid is hit: the card says what the trader did. Once the RFQ traded, the
 * other dealers' quotes are void (the client core marks them cancelled on the fill): not hittable, not expired.
 */
function quoteStatusLabel(status: Quote['status'], rfq: Rfq): string {
  if (status === 'hit' && rfq.side === 'buy') return 'lifted';
  if (status === 'cancelled' && rfq.status === 'executed') return 'void';
  return status;
}

export const RfqCard = memo(function RfqCard({ rfq, now, dealerName, canTrade = true }: { rfq: Rfq; now: number; dealerName: (id: string) => string; canTrade?: boolean }) {
  const store = useStore();
  const [error, setError] = useState<Explained | null>(null);
  const [, force] = useState(0);
  const expiresAt = Date.parse(rfq.expiresAt);
  const windowMs = expiresAt - Date.parse(rfq.createdAt);
  const left = remainingMs(expiresAt, now);
  const live = LIVE_RFQ.has(rfq.status) && left > 0;
  const level = live ? countdownLevel(left, windowMs) : 'expired';
  // Once the RFQ is done or over, only the hit quote matters: no "best" on a dead board.
  const best = live ? bestQuoteIndex(rfq.quotes, rfq.side, (q) => q.price, (q) => quoteIsLive(q, now)) : -1;
  const hitKey = `hit:${rfq.clientRfqId}`;
  const hitting = tradeGuard.isBusy(hitKey) || rfq.status === 'executing';
  const traded = tradeGuard.isDone(hitKey) || rfq.status === 'executed';
  const verb = rfq.side === 'buy' ? 'Lift' : 'Hit';
  // Every quote of the card to the instrument's tick, so the column lines up and compares at a glance.
  const tick = store.tick(rfq.instrument);

  // One submission per key (double clicks and key repeats are dropped); the card redraws as it starts and ends.
  async function submit(key: string, action: () => Promise<unknown>) {
    setError(null);
    const p = tradeGuard.run(key, action);
    if (!p) return;
    force((n) => n + 1);
    try {
      await p;
    } catch (err) {
      setError(explainError(err));
    } finally {
      force((n) => n + 1);
    }
  }

  const hit = (q: Quote) =>
    submit(hitKey, async () => {
      const r = await store.api.hitQuote({ clientRfqId: rfq.clientRfqId, quoteId: q.quoteId });
      if (r.status === 'rejected') throw Object.assign(new Error(r.reason ?? 'The dealer rejected the trade.'), { code: 'conflict' });
      if (r.execution) store.addExecution(r.execution, true);
      return r;
    });

  const pass = (q: Quote) =>
    submit(`pass:${q.quoteId}`, () => store.api.passQuote({ clientRfqId: rfq.clientRfqId, quoteId: q.quoteId }));

  const cancel = () => submit(`cancel:${rfq.clientRfqId}`, () => store.api.cancelRfq({ clientRfqId: rfq.clientRfqId }));

  const dealers = rfq.dealers === 'all' ? 'all dealers' : rfq.dealers.map(dealerName).join(', ');
  return (
    <article className={`rfq-card status-${rfq.status} side-${rfq.side}`} aria-label={`RFQ ${rfq.side} ${formatQuantity(rfq.quantity)} ${rfq.instrument}`} data-rfq={rfq.clientRfqId}>
      <header>
        <span className={`side-tag ${rfq.side}`}>{rfq.side === 'buy' ? 'BUY' : 'SELL'}</span>
        <span className="mono qty">{formatQuantity(rfq.quantity)}</span>
        <span className="mono instrument">{rfq.instrument}</span>
        <span className={`countdown ${level}`} role="timer" aria-label={live ? `expires in ${formatCountdown(left)}` : rfq.status}>
          {live ? formatCountdown(left) : rfq.status.toUpperCase()}
        </span>
      </header>
      <div className="rfq-meta muted small">
        settle {rfq.settlementDate} · {dealers}
        {rfq.reason && <> · <span className="warn-text">{rfq.reason}</span></>}
      </div>
      {live && <div className={`countdown-bar ${level}`}><div style={{ transform: `scaleX(${windowMs > 0 ? left / windowMs : 0})` }} /></div>}
      <table className="quotes">
        <thead>
          <tr><th scope="col">Dealer</th><th scope="col" className="num">{rfq.side === 'buy' ? 'Offer' : 'Bid'}</th><th scope="col" className="num">Valid</th><th scope="col"><span className="sr-only">Actions</span></th></tr>
        </thead>
        <tbody>
          {rfq.quotes.length === 0 && (
            <tr><td colSpan={4} className="muted">{live ? 'Waiting for quotes…' : 'No quotes received.'}</td></tr>
          )}
          {rfq.quotes.map((q, i) => {
            const qLive = quoteIsLive(q, now);
            const isBest = i === best;
            const passing = tradeGuard.isBusy(`pass:${q.quoteId}`);
            return (
              // Keyed by position: a dealer's requote replaces its row in place instead of a new DOM row.
              <tr key={`${q.dealer}:${i}`} className={`${isBest ? 'best' : ''} quote-${q.status}${qLive ? '' : ' stale'}`}>
                <td title={dealerName(q.dealer)}>{dealerName(q.dealer)}</td>
                <td className="num mono price">
                  {isBest && <span className="best-tag" role="img" aria-label="best quote" title="Best quote">★ </span>}
                  {formatPrice(q.price, tick)}
                </td>
                <td className="num mono small" title={q.status === 'cancelled' && rfq.status === 'executed' ? 'The RFQ traded with another dealer: this quote can no longer be hit.' : undefined}>
                  {q.status !== 'live' ? quoteStatusLabel(q.status, rfq) : live ? formatCountdown(remainingMs(Date.parse(q.validUntil), now)) : '—'}
                </td>
                <td className="actions">
                  {qLive && live && !traded && (
                    <>
                      <button type="button" className={`btn small trade ${rfq.side}`} disabled={hitting || !canTrade} title={canTrade ? undefined : 'Not connected: wait for the session to come back'} onClick={() => void hit(q)} aria-label={`${verb} ${dealerName(q.dealer)} at ${formatPrice(q.price, tick)}`}>
                        {hitting ? '…' : verb}
                      </button>
                      <button type="button" className="btn small ghost pass" disabled={hitting || passing} onClick={() => void pass(q)} aria-label={`Pass on ${dealerName(q.dealer)}`} title={isBest ? 'Alt+P' : undefined}>Pass</button>
                    </>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {live && !traded && (
        <footer><button type="button" className="btn small ghost cancel-rfq" disabled={hitting} onClick={() => void cancel()} title="Alt+C">Cancel RFQ</button></footer>
      )}
      <InlineError error={error} />
    </article>
  );
});
