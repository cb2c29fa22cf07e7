import { useCallback, useEffect, useState } from 'react';
import type { AppState, Dealer, Instrument } from '../../../main/ipc/contract.ts';
import { useStore } from '../storeContext.ts';
import { explainError, type Explained } from '../lib/errors.ts';
import { useHotkeys } from '../lib/useHotkeys.ts';
import { RfqTicket } from '../components/RfqTicket.tsx';
import { RfqBoard, BOARD_TABS, type BoardTab } from '../components/RfqBoard.tsx';
import { Blotter } from '../components/Blotter.tsx';
import { History } from '../components/History.tsx';
import { ConnectionBanner, ConnectionPill } from '../components/ConnectionStatus.tsx';
import { RiskView } from './RiskView.tsx';

export function isRiskOfficer(app: AppState): boolean {
  return /risk/i.test(app.user?.role ?? '');
}

export function Workspace({ app, openSecurity }: { app: AppState; openSecurity: () => void }) {
  const store = useStore();
  const risk = isRiskOfficer(app);
  const [instruments, setInstruments] = useState<Instrument[]>([]);
  const [dealers, setDealers] = useState<Dealer[]>([]);
  const [loadError, setLoadError] = useState<Explained | null>(null);
  const [tab, setTab] = useState<BoardTab>('live');
  const [bottom, setBottom] = useState<'blotter' | 'history'>('blotter');
  const [signingOut, setSigningOut] = useState(false);

  const [attempt, setAttempt] = useState(0);
  const load = useCallback(() => {
    setLoadError(null);
    // Dealers first: the session's RFQs are shown with dealer names.
    const dealersThenSession = store.api.listDealers().then(async (d) => {
      store.dealerNames = new Map(d.map((x) => [x.id, x.name]));
      await store.loadSession();
      return d;
    });
    Promise.all([store.api.listInstruments(), dealersThenSession]).then(
      ([i, d]) => {
        store.instruments = new Map(i.map((x) => [x.symbol, x]));
        setInstruments(i);
        setDealers(d);
        setAttempt((n) => n + 1);
      },
      (e: unknown) => setLoadError(explainError(e)),
    );
  }, [store]);

  const connected = app.connection.state === 'connected';
  const missing = instruments.length === 0 || dealers.length === 0 || loadError !== null;
  // The gateway sends reference data once the session is up: (re)load when it is, and retry a few times
  // if it came back empty, rather than leaving the trader with an empty ticket.
  useEffect(() => {
    if (risk || !connected || !missing) return;
    if (attempt === 0) {
      load();
      return;
    }
    if (attempt > 5) return;
    const id = setTimeout(load, 2_000);
    return () => clearTimeout(id);
  }, [risk, connected, missing, attempt, load]);

  const dealerName = useCallback((id: string) => dealers.find((d) => d.id === id)?.name ?? id, [dealers]);

  // Alt+B / Alt+H switch the bottom panel and put the focus on its tab, so the keyboard follows the eye.
  const showBottom = (which: 'blotter' | 'history') => {
    setBottom(which);
    setTimeout(() => document.getElementById(`bottom-tab-${which}`)?.focus(), 0);
  };
  const hotkeys: Record<string, () => void> = { 'Alt+b': () => showBottom('blotter'), 'Alt+h': () => showBottom('history') };
  for (const t of BOARD_TABS) hotkeys[`Alt+${t.key}`] = () => setTab(t.id);
  useHotkeys(hotkeys);

  async function signOut() {
    setSigningOut(true);
    try {
      await store.api.signOut();
      await store.refreshState();
    } catch (e) {
      const ex = explainError(e);
      store.toast('error', 'Sign-out failed', `${ex.message} ${ex.action}`);
    } finally {
      setSigningOut(false);
    }
  }

  return (
    <div className={`app-shell${risk ? ' risk-mode' : ''}`}>
      <header className="topbar">
        <span className="brand">Parley</span>
        <span className="muted small">{risk ? 'Risk officer' : 'Trader'}</span>
        {app.host === 'preview' && <span className="badge warn">browser preview</span>}
        <span className="spacer" />
        <ConnectionPill connection={app.connection} onClick={openSecurity} />
        <span className="user" title={app.user?.role ?? ''}>{app.user?.username}</span>
        <button type="button" className="btn small ghost" onClick={openSecurity}>Security <kbd>F2</kbd></button>
        <button type="button" className="btn small ghost" onClick={() => void signOut()} disabled={signingOut}>Sign out</button>
      </header>
      <ConnectionBanner connection={app.connection} canTrade={!risk} />
      {risk ? (
        <main className="risk-main"><RiskView connected={app.connection.state === 'connected'} /></main>
      ) : (
        <main className="workspace">
          <div className="ticket-col">
            <RfqTicket
              canTrade={connected}
              instruments={instruments}
              dealers={dealers}
              loadError={loadError ?? (connected && attempt > 5 && missing ? { code: 'not-found', message: 'The gateway sent no instruments or dealers.', action: 'Retry; if it stays empty, contact the service desk.' } : null)}
              onReload={() => { setAttempt(1); load(); }}
            />
          </div>
          <RfqBoard tab={tab} onTab={setTab} dealerName={dealerName} canTrade={connected} />
          <section className="panel bottom" aria-label="Blotter and history">
            <div className="panel-head">
              <div role="tablist" className="tabs" aria-label="Blotter and history">
                <button type="button" role="tab" id="bottom-tab-blotter" aria-selected={bottom === 'blotter'} className={bottom === 'blotter' ? 'active' : ''} onClick={() => setBottom('blotter')} title="Alt+B">Today's blotter</button>
                <button type="button" role="tab" id="bottom-tab-history" aria-selected={bottom === 'history'} className={bottom === 'history' ? 'active' : ''} onClick={() => setBottom('history')} title="Alt+H">History</button>
              </div>
            </div>
            {bottom === 'blotter' ? <Blotter /> : <History instruments={instruments} dealerName={dealerName} />}
          </section>
        </main>
      )}
      <footer className="shortcuts muted small" aria-label="Keyboard shortcuts">
        {!risk && (
          <>
            <span><kbd>Ctrl</kbd>+<kbd>K</kbd> new RFQ</span>
            <span><kbd>Ctrl</kbd>+<kbd>Enter</kbd> send</span>
            <span><kbd>Alt</kbd>+<kbd>L</kbd> best quote</span>
            <span><kbd>Alt</kbd>+<kbd>P</kbd> pass on it</span>
            <span><kbd>Alt</kbd>+<kbd>C</kbd> cancel RFQ</span>
            <span><kbd>Alt</kbd>+<kbd>1</kbd>…<kbd>4</kbd> RFQ tabs</span>
            <span><kbd>Alt</kbd>+<kbd>B</kbd>/<kbd>H</kbd> blotter/history</span>
          </>
        )}
        <span><kbd>F2</kbd> security</span>
      </footer>
    </div>
  );
}
