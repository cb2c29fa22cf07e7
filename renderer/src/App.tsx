import { useEffect, useMemo, useState } from 'react';
import type { AppState, ParleyApi } from '../../main/ipc/contract.ts';
import { Store } from './store.ts';
import { StoreContext, useSlice } from './storeContext.ts';
import { explainError, type Explained } from './lib/errors.ts';
import { useHotkeys } from './lib/useHotkeys.ts';
import { EnrollDone, Enrollment, type EnrollResult } from './screens/Enrollment.tsx';
import { SignIn } from './screens/SignIn.tsx';
import { Workspace } from './screens/Workspace.tsx';
import { SecurityPanel } from './components/SecurityPanel.tsx';
import { StepUpModal } from './components/StepUpModal.tsx';
import { Toasts } from './components/Toasts.tsx';
import { ErrorPanel } from './components/ErrorPanel.tsx';

export function App({ api }: { api: ParleyApi | null }) {
  const store = useMemo(() => (api ? new Store(api) : null), [api]);
  if (!store) {
    return (
      <main className="center-screen">
        <ErrorPanel
          title="Parley cannot reach its client"
          error={{
            code: 'no-bridge',
            message: 'This page was opened outside the Parley app, so it has no connection to the client core.',
            action: 'Start Parley with "npm start", or open the browser-preview address it prints (it includes a one-time secret).',
          }}
        />
      </main>
    );
  }
  return (
    <StoreContext value={store}>
      <Root store={store} />
    </StoreContext>
  );
}

function Root({ store }: { store: Store }) {
  const [bootError, setBootError] = useState<Explained | null>(null);
  const [securityOpen, setSecurityOpen] = useState(false);
  const [enrolled, setEnrolled] = useState<EnrollResult | null>(null);
  useSlice('app');
  useSlice('stepUp');

  useEffect(() => {
    store.start();
    store.refreshState().catch((e: unknown) => setBootError(explainError(e)));
    return () => store.stop();
  }, [store]);

  useHotkeys({
    F2: () => setSecurityOpen((o) => !o),
    'Ctrl+.': () => setSecurityOpen((o) => !o),
  });

  const app = store.app;
  let screen;
  if (bootError) {
    screen = (
      <main className="center-screen">
        <ErrorPanel title="Parley could not start" error={bootError} onRetry={() => { setBootError(null); store.refreshState().catch((e: unknown) => setBootError(explainError(e))); }} />
      </main>
    );
  } else if (!app) {
    screen = <main className="center-screen"><p className="muted" role="status">Starting Parley…</p></main>;
  } else if (enrolled) {
    screen = <EnrollDone result={enrolled} onContinue={() => { setEnrolled(null); store.refreshState().catch((e: unknown) => setBootError(explainError(e))); }} />;
  } else {
    screen = pickScreen(app, () => setSecurityOpen(true), setEnrolled);
  }

  // What sits under a modal is inert: no focus, no clicks, hidden from assistive tech.
  const challenged = store.stepUp !== null;
  return (
    <>
      <div className="screen-root" inert={securityOpen || challenged}>{screen}</div>
      {securityOpen && (
        <div className="screen-root-overlay" inert={challenged}>
          <SecurityPanel onClose={() => setSecurityOpen(false)} />
        </div>
      )}
      <StepUpModal />
      <Toasts />
    </>
  );
}

function pickScreen(app: AppState, openSecurity: () => void, onEnrolled: (r: EnrollResult) => void) {
  const state = app.connection.state;
  if (state === 'config-error') {
    return (
      <main className="center-screen">
        <ErrorPanel
          title="This machine's Parley configuration is broken"
          error={{ code: 'config-error', message: app.connection.reason ?? 'The managed configuration could not be read.', action: 'Contact IT and quote the message above; Parley will not connect with a broken policy file.' }}
        />
      </main>
    );
  }
  if (!app.enrolled || state === 'enrollment-needed') return <Enrollment app={app} onEnrolled={onEnrolled} />;
  if (!app.user || state === 'signed-out' || state === 'denied' || (state === 'challenged' && !app.user)) {
    return <SignIn app={app} openSecurity={openSecurity} />;
  }
  return <Workspace app={app} openSecurity={openSecurity} />;
}
