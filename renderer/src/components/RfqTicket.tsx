import { useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import type { Dealer, Instrument } from '../../../main/ipc/contract.ts';
import { useStore } from '../storeContext.ts';
import { parseQuantity } from '../lib/quantity.ts';
import { defaultSettlementDate, localIsoDate, validateTicket, type TicketDraft, type TicketErrors, type TicketLimits } from '../lib/ticket.ts';
import { explainError, type Explained } from '../lib/errors.ts';
import { InstrumentPicker } from './InstrumentPicker.tsx';
import { InlineError } from './ErrorPanel.tsx';
import { useHotkeys } from '../lib/useHotkeys.ts';

const LIMITS: TicketLimits = { minExpirySeconds: 5, maxExpirySeconds: 3_600, maxSettlementDays: 366 };
const EXPIRY_CHOICES = ['15', '30', '60', '120', '300'];
/**
 * At or above this size the ticket asks the trader to confirm before the RFQ goes out (a fat-finger check).
 * A constant for now: it belongs in IT's managed policy (per desk and currency), delivered with the session.
 */
export const LARGE_NOTIONAL = 50_000_000;
/** How long "RFQ sent" stays: the card on the board is the lasting record. */
const SENT_MS = 5_000;

function newDraft(): TicketDraft {
  return { symbol: '', side: '', quantity: '', settlementDate: defaultSettlementDate(new Date()), dealers: [], expirySeconds: '30' };
}

/** Ids only ever leave the renderer once per RFQ: a retry after a failure reuses it, so it can't double. */
function newRfqId(): string {
  return `r-${crypto.randomUUID()}`;
}

export function RfqTicket({ instruments, dealers, loadError, onReload, canTrade = true }: {
  canTrade?: boolean;
  instruments: readonly Instrument[];
  dealers: readonly Dealer[];
  loadError: Explained | null;
  onReload: () => void;
}) {
  const store = useStore();
  const [draft, setDraft] = useState<TicketDraft>(newDraft);
  const [allDealers, setAllDealers] = useState(true);
  const [errors, setErrors] = useState<TicketErrors>({});
  const [submitError, setSubmitError] = useState<Explained | null>(null);
  const [busy, setBusy] = useState(false);
  const [sent, setSent] = useState<string | null>(null);
  /** The size the trader confirmed as intended (large-notional check); reset whenever the ticket changes. */
  const [confirming, setConfirming] = useState<number | null>(null);
  const rfqId = useRef(newRfqId());
  const symbolRef = useRef<HTMLInputElement>(null);
  const formRef = useRef<HTMLFormElement>(null);
  const [pickerKey, setPickerKey] = useState(0);

  const symbols = useMemo(() => new Set(instruments.map((i) => i.symbol)), [instruments]);
  const dealerIds = useMemo(() => new Set(dealers.map((d) => d.id)), [dealers]);

  useHotkeys({
    'Ctrl+k': () => symbolRef.current?.focus(),
    '/': () => symbolRef.current?.focus(),
    'Ctrl+Enter': () => formRef.current?.requestSubmit(),
  });

  // After sign-in the keyboard starts in the ticket.
  useEffect(() => {
    const el = symbolRef.current;
    if (!el) return;
    el.dataset.quietFocus = '1';
    el.focus();
    // If the field had the focus already there was no focus event to consume the flag.
    delete el.dataset.quietFocus;
  }, []);

  useEffect(() => {
    if (!sent) return;
    const id = setTimeout(() => setSent(null), SENT_MS);
    return () => clearTimeout(id);
  }, [sent]);

  useEffect(() => {
    if (allDealers) setDraft((d) => ({ ...d, dealers: dealers.map((x) => x.id) }));
  }, [allDealers, dealers]);

  function update<K extends keyof TicketDraft>(key: K, value: TicketDraft[K]) {
    setDraft((d) => ({ ...d, [key]: value }));
    setErrors((e) => ({ ...e, [key]: undefined }));
    setSent(null);
    setConfirming(null);
  }

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (busy) return;
    const v = validateTicket(draft, symbols, dealerIds, new Date(), LIMITS);
    if (!v.ok) {
      setErrors(v.errors);
      const first = Object.keys(v.errors)[0];
      if (first) document.getElementById(`ticket-${first}`)?.focus();
      return;
    }
    setErrors({});
    setSubmitError(null);
    if (v.ticket.quantity >= LARGE_NOTIONAL && confirming !== v.ticket.quantity) {
      setConfirming(v.ticket.quantity);
      return;
    }
    setConfirming(null);
    setBusy(true);
    try {
      const t = v.ticket;
      const rfq = await store.api.createRfq({
        clientRfqId: rfqId.current,
        instrument: t.symbol,
        side: t.side,
        quantity: t.quantity,
        settlementDate: t.settlementDate,
        dealers: allDealers && t.dealers.length === dealers.length ? 'all' : t.dealers,
        expirySeconds: t.expirySeconds,
      });
      store.upsertRfq(rfq, false);
      setSent(`RFQ sent: ${t.side === 'buy' ? 'buy' : 'sell'} ${draft.quantity.trim()} ${t.symbol}`);
      rfqId.current = newRfqId();
      // Keep instrument/side/dealers for the next ticket (traders often repeat); clear the size.
      setDraft((d) => ({ ...d, quantity: '' }));
    } catch (err) {
      setSubmitError(explainError(err));
    } finally {
      setBusy(false);
    }
  }

  function reset() {
    setDraft(newDraft());
    setAllDealers(true);
    setErrors({});
    setSubmitError(null);
    setSent(null);
    setConfirming(null);
    setPickerKey((k) => k + 1);
    rfqId.current = newRfqId();
  }

  const qty = draft.quantity.trim() === '' ? null : parseQuantity(draft.quantity);
  const err = (k: keyof TicketDraft) => (errors[k] ? <p id={`ticket-${k}-error`} className="field-error">{errors[k]}</p> : null);
  const aria = (k: keyof TicketDraft) => ({ 'aria-invalid': errors[k] ? true : undefined, 'aria-describedby': errors[k] ? `ticket-${k}-error` : undefined });

  return (
    <form ref={formRef} className="panel ticket" onSubmit={submit} aria-labelledby="ticket-title" noValidate>
      <div className="panel-head">
        <h2 id="ticket-title">New RFQ</h2>
        <span className="muted small"><kbd>Ctrl</kbd>+<kbd>K</kbd></span>
      </div>
      {loadError && (
        <div className="inline-error" role="alert">
          Could not load instruments or dealers: {loadError.message}{' '}
          <button type="button" className="link" onClick={onReload}>Retry</button>
        </div>
      )}

      <label htmlFor="ticket-symbol">Instrument</label>
      <InstrumentPicker key={pickerKey} id="ticket-symbol" inputRef={symbolRef} instruments={instruments} value={draft.symbol} onChange={(s) => update('symbol', s)} invalid={!!errors.symbol} {...(errors.symbol ? { describedBy: 'ticket-symbol-error' } : {})} />
      {err('symbol')}

      <fieldset className="side-toggle" id="ticket-side" tabIndex={-1} {...aria('side')}>
        <legend>Side</legend>
        {(['buy', 'sell'] as const).map((s) => (
          <label key={s} className={`side-${s}${draft.side === s ? ' checked' : ''}`}>
            <input type="radio" name="side" value={s} checked={draft.side === s} onChange={() => update('side', s)} />
            {s === 'buy' ? 'Buy' : 'Sell'}
          </label>
        ))}
      </fieldset>
      {err('side')}

      <div className="row2">
        <div>
          <label htmlFor="ticket-quantity">Quantity</label>
          <input id="ticket-quantity" className={`mono${errors.quantity ? ' invalid' : ''}`} inputMode="decimal" autoComplete="off" placeholder="5m or 250k" value={draft.quantity} maxLength={32} onChange={(e) => update('quantity', e.target.value)} {...aria('quantity')} />
          <p className="hint muted small" aria-live="polite">{qty?.ok ? `= ${qty.value.toLocaleString('en-US')}` : '\u00a0'}</p>
        </div>
        <div>
          <label htmlFor="ticket-settlementDate">Settlement</label>
          <input id="ticket-settlementDate" type="date" className={errors.settlementDate ? 'invalid' : ''} min={localIsoDate(new Date())} value={draft.settlementDate} onChange={(e) => update('settlementDate', e.target.value)} {...aria('settlementDate')} />
        </div>
      </div>
      {err('quantity')}
      {err('settlementDate')}

      <fieldset className="dealers" id="ticket-dealers" tabIndex={-1} {...aria('dealers')}>
        <legend>Dealers</legend>
        <label className="check all">
          <input type="checkbox" checked={allDealers} onChange={(e) => { setAllDealers(e.target.checked); if (!e.target.checked) update('dealers', []); }} />
          All ({dealers.length})
        </label>
        <div className="dealer-list">
          {dealers.map((d) => (
            <label key={d.id} className="check" title={d.name}>
              <input
                type="checkbox"
                checked={draft.dealers.includes(d.id)}
                onChange={(e) => {
                  const next = e.target.checked ? [...draft.dealers, d.id] : draft.dealers.filter((x) => x !== d.id);
                  setAllDealers(next.length === dealers.length);
                  update('dealers', next);
                }}
              />
              {d.name}
            </label>
          ))}
        </div>
      </fieldset>
      {err('dealers')}

      <label htmlFor="ticket-expirySeconds">Expiry</label>
      <select id="ticket-expirySeconds" value={draft.expirySeconds} onChange={(e) => update('expirySeconds', e.target.value)} {...aria('expirySeconds')}>
        {EXPIRY_CHOICES.map((s) => <option key={s} value={s}>{Number(s) < 60 ? `${s} seconds` : `${Number(s) / 60} minute${s === '60' ? '' : 's'}`}</option>)}
      </select>
      {err('expirySeconds')}

      <div className="ticket-actions">
        <button type="submit" className={`btn primary ${draft.side === 'sell' ? 'sell' : 'buy'}`} disabled={busy || !canTrade} title={canTrade ? undefined : 'Not connected: wait for the session to come back'}>
          {busy ? 'Sending…' : 'Send RFQ'} <kbd>Ctrl</kbd>+<kbd>Enter</kbd>
        </button>
        <button type="button" className="btn ghost" onClick={reset} disabled={busy}>Clear</button>
      </div>
      {confirming !== null && (
        <div className="notice warning confirm-large" role="alertdialog" aria-label="Confirm a large RFQ">
          <p><strong>Large size: {confirming.toLocaleString('en-US')}</strong> ({draft.side} {draft.symbol}). Is this the size you mean?</p>
          <button type="submit" className="btn small primary" autoFocus>Confirm and send</button>{' '}
          <button type="button" className="btn small ghost" onClick={() => { setConfirming(null); document.getElementById('ticket-quantity')?.focus(); }}>Change size</button>
        </div>
      )}
      {sent && <p className="notice success" role="status">{sent}</p>}
      <InlineError error={submitError} />
    </form>
  );
}
