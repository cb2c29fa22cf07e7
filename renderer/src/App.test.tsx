import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { typeInto } from './testing/ui.ts';
import { renderApp } from './testing/renderApp.tsx';
import { App } from './App.tsx';
import { render } from '@testing-library/react';
import { ErrorBoundary } from './components/ErrorBoundary.tsx';

afterEach(cleanup);

async function signIn(password = 'pw') {
  await screen.findByRole('heading', { name: 'Sign in to Parley' });
  typeInto('Username', 'alice');
  typeInto('Password', password);
  fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
}

describe('first run', () => {
  it('says what to do when the page has no bridge', () => {
    render(<App api={null} />);
    expect(screen.getByRole('alert').textContent).toMatch(/npm start/);
  });

  it('enrolls, explaining a refused token, then moves on to sign-in', async () => {
    const { control } = renderApp({ enrolled: false });
    await screen.findByRole('heading', { name: 'Enroll this device' });
    typeInto('Enrollment token', 'short');
    fireEvent.click(screen.getByRole('button', { name: 'Enroll' }));
    expect(await screen.findByText(/at least 8 characters/)).toBeTruthy();
    expect(control.calls.some((c) => c.name === 'enroll')).toBe(false);

    typeInto('Enrollment token', 'bad-token-123');
    fireEvent.click(screen.getByRole('button', { name: 'Enroll' }));
    const alert = await screen.findByText(/unknown or was already used/);
    expect(alert.closest('[role=alert]')?.textContent).toMatch(/Ask IT for a new enrollment token/);

    typeInto('Enrollment token', 'good-token-123');
    fireEvent.click(screen.getByRole('button', { name: 'Enroll' }));
    await screen.findByRole('heading', { name: 'Device enrolled' });
    expect(screen.getByText('CN=alice@desk-7,O=Parley Dev')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Continue to sign in' }));
    await screen.findByRole('heading', { name: 'Sign in to Parley' });
  });
});

describe('first run with a spent managed token', () => {
  it('does not claim IT is enrolling; asks for a new token', async () => {
    renderApp({ enrolled: false, silentEnrollment: true });
    await screen.findByRole('heading', { name: 'Enroll this device' });
    expect(screen.queryByText(/IT is enrolling this device/)).toBeNull();
    expect(screen.getByText(/did not enroll this device/).textContent).toMatch(/Paste a new one-time token from IT/);
    expect((screen.getByLabelText('Enrollment token') as HTMLInputElement).disabled).toBe(false);
  });
});

describe('denial', () => {
  it('names the reason and what to do', async () => {
    renderApp({ denyReason: 'Disk encryption is off on this device.' });
    await signIn();
    const denied = await screen.findByRole('heading', { name: 'Access denied' });
    const box = denied.closest('.denied') as HTMLElement;
    expect(box.textContent).toMatch(/Disk encryption is off/);
    expect(box.textContent).toMatch(/What to do: Fix the device setting/);
  });

  it('explains a wrong password', async () => {
    renderApp();
    await signIn('wrong');
    await screen.findByRole('heading', { name: 'Access denied' });
    expect(screen.getByText(/Check your username and password/)).toBeTruthy();
  });
});

describe('step-up', () => {
  it('shows why, expiry and attempts; counts a wrong code; accepts the right one', async () => {
    const { control } = renderApp({ stepUpOnSignIn: ['totp', 'webauthn'] });
    await signIn();
    const dialog = await screen.findByRole('alertdialog', { name: "Confirm it's you" });
    const d = within(dialog);
    expect(d.getByText('unusual location')).toBeTruthy();
    expect(d.getByText(/Frankfurt/)).toBeTruthy();
    expect(d.getByText('3 attempts left')).toBeTruthy();
    expect(d.getByRole('timer').textContent).toMatch(/Expires in [12]:\d\d/);
    expect(d.getByRole('button', { name: 'Use security key' })).toBeTruthy();

    typeInto('Code from your authenticator app', '000000');
    fireEvent.click(d.getByRole('button', { name: 'Verify' }));
    expect(await d.findByText('2 attempts left')).toBeTruthy();
    expect(d.getByText(/not accepted/)).toBeTruthy();

    typeInto('Code from your authenticator app', '123456');
    fireEvent.click(d.getByRole('button', { name: 'Verify' }));
    await waitFor(() => expect(screen.queryByRole('alertdialog')).toBeNull());
    await screen.findByRole('heading', { name: 'New RFQ' });
    expect(control.calls.filter((c) => c.name === 'answerStepUp')).toHaveLength(2);
  });

  it('can be cancelled', async () => {
    const { control } = renderApp({ stepUpOnSignIn: ['totp'] });
    await signIn();
    const dialog = await screen.findByRole('alertdialog');
    expect(within(dialog).queryByRole('button', { name: 'Use security key' })).toBeNull();
    fireEvent.click(within(dialog).getByRole('button', { name: /Cancel/ }));
    await waitFor(() => expect(screen.queryByRole('alertdialog')).toBeNull());
    expect(control.calls.some((c) => c.name === 'cancelStepUp')).toBe(true);
  });
});

describe('security panel', () => {
  it('opens with F2 and shows TLS, certificate, posture with evidence, risk and decision', async () => {
    renderApp({ signedIn: true });
    await screen.findByRole('heading', { name: 'New RFQ' });
    fireEvent.keyDown(window, { key: 'F2', code: 'F2' });
    const panel = await screen.findByRole('dialog', { name: 'Security' });
    const p = within(panel);
    await p.findByText(/TLSv1.3 · TLS_AES_256_GCM_SHA384/);
    expect(p.getByText('gateway.parley.test:9443')).toBeTruthy();
    expect(p.getByText('CN=alice@desk-7,O=Parley Dev')).toBeTruthy();
    expect(p.getByText('Disk encryption').closest('li')?.textContent).toMatch(/PASS/);
    expect(p.getByText('OS patch level').closest('li')?.textContent).toMatch(/FAIL.*older than 30 days/);
    expect(p.getByText('Screen lock').closest('li')?.textContent).toMatch(/UNKNOWN/);
    expect(p.getByText(/apt\/history.log/)).toBeTruthy();
    expect(p.getByTestId('risk-score').textContent).toBe('35');
    expect(p.getByText('step-up')).toBeTruthy();
    expect(p.getByText('new device')).toBeTruthy();
    expect(p.getByTestId('security-connection').textContent).toMatch(/connected/);
    fireEvent.keyDown(window, { key: 'Escape', code: 'Escape' });
    await waitFor(() => expect(screen.queryByRole('dialog', { name: 'Security' })).toBeNull());
    fireEvent.keyDown(window, { key: '.', code: 'Period', ctrlKey: true });
    await screen.findByRole('dialog', { name: 'Security' });
  });
});

describe('connection', () => {
  it('shows "reconnecting in N s" and clears when the session is back', async () => {
    const { control } = renderApp({ signedIn: true });
    await screen.findByRole('heading', { name: 'New RFQ' });
    control.setConnection('reconnecting', { retryInSec: 5 });
    await screen.findByText(/Connection lost — reconnecting in [45] s/);
    control.setConnection('connected');
    await waitFor(() => expect(screen.queryByText(/Connection lost/)).toBeNull());
    await screen.findByText('Reconnected');
  });
});

describe('risk officer', () => {
  it('sees every open RFQ read-only, with no trade buttons', async () => {
    renderApp({ signedIn: true, role: 'risk-officer' });
    await screen.findByRole('heading', { name: /Open RFQs — all traders/ });
    expect(screen.getByText('read-only')).toBeTruthy();
    expect(await screen.findByText(/5 open/)).toBeTruthy();
    expect(screen.queryByRole('button', { name: /Lift|Hit|Send RFQ/ })).toBeNull();
  });

  it("counts down each RFQ's expiry from the gateway's ExpireTime (— only where none was sent)", async () => {
    // jsdom has no layout: give scroll containers a size so the virtualizer has a window to fill.
    Object.defineProperty(HTMLElement.prototype, 'clientHeight', { configurable: true, get() { return 400; } });
    Object.defineProperty(HTMLElement.prototype, 'clientWidth', { configurable: true, get() { return 900; } });
    onTestFinished(() => {
      delete (HTMLElement.prototype as { clientHeight?: number }).clientHeight;
      delete (HTMLElement.prototype as { clientWidth?: number }).clientWidth;
    });
    const { control } = renderApp({ signedIn: true, role: 'risk-officer' });
    // Generous waits: this runs beside gateway tests on a shared 2-core machine.
    const table = await screen.findByRole('table', { name: 'Open RFQs' }, { timeout: 10_000 });
    await waitFor(() => expect(within(table).getByText('R-1000')).toBeTruthy(), { timeout: 10_000 });
    // The fake's rows expire 60 s, 53 s, 46 s … after now.
    const row = (id: string) => within(table).getByText(id).closest('[role="row"]') as HTMLElement;
    await waitFor(() => expect(within(row('R-1000')).getByText(/^(1:00|0:[45]\d)$/)).toBeTruthy(), { timeout: 10_000 });
    expect(within(row('R-1002')).getByText(/^0:[34]\d$/)).toBeTruthy();
    expect(within(table).queryByText('—')).toBeNull();
    control.emit('openRfqs', [{ rfqId: 'R-2000', owner: 'erin', instrument: 'DE0001102614', side: 'buy', quantity: 1_000_000, status: 'pending', quoteCount: 0, createdAt: new Date().toISOString() }]);
    await waitFor(() => expect(within(row('R-2000')).getByText('—')).toBeTruthy(), { timeout: 10_000 });
  }, 40_000);
});

describe('a screen that throws', () => {
  it('shows what happened and how to get back, not a blank window', () => {
    const Broken = () => {
      throw new Error('cannot read the quote');
    };
    const quiet = console.error;
    console.error = () => {};
    try {
      render(<ErrorBoundary><Broken /></ErrorBoundary>);
    } finally {
      console.error = quiet;
    }
    const alert = screen.getByRole('alert');
    expect(alert.textContent).toMatch(/This screen failed/);
    expect(alert.textContent).toMatch(/cannot read the quote/);
    expect(alert.textContent).toMatch(/Reload the window/);
  });
});

describe('hostile text from the gateway', () => {
  it('is shown as text, never markup, and long text is clipped', async () => {
    const { control, container } = renderApp({ signedIn: true });
    await screen.findByRole('heading', { name: 'New RFQ' });
    const evil = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>';
    control.emit('notification', { id: 'n-1', level: 'warning', title: evil, message: `${evil}${'x'.repeat(5_000)}`, at: new Date().toISOString() });
    const toast = await screen.findByText(evil, { selector: 'strong' });
    expect(container.ownerDocument.querySelector('.toasts img, .toasts script')).toBeNull();
    expect((window as unknown as { __pwned?: number }).__pwned).toBeUndefined();
    const message = toast.parentElement?.querySelector('span')?.textContent ?? '';
    expect(message.length).toBeLessThanOrEqual(600);
  });
});
