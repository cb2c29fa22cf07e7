import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { sendRfq, typeInto } from '../testing/ui.ts';
import { renderApp } from '../testing/renderApp.tsx';
import type { Execution } from '../../../main/ipc/contract.ts';

afterEach(cleanup);

const trade: Execution = {
  execId: 'X-1', clientRfqId: 'r-1', quoteId: 'q-1', dealer: 'DLR-ALPHA', instrument: 'DE0001102614', side: 'buy',
  quantity: 1_000_000, price: 99.123456, settlementDate: '2026-11-20', transactTime: new Date().toISOString(),
};

describe('feedback', () => {
  it('says when an RFQ expires or is cancelled, and "RFQ sent" goes away', async () => {
    const { control } = renderApp({ signedIn: true, quoteDelayMs: 20 });
    await sendRfq('1m');
    expect(await screen.findByText(/RFQ sent: buy 1m DE0001102614/)).toBeTruthy();
    const card = await screen.findByRole('article', { name: /RFQ buy 1m/ });
    fireEvent.click(within(card).getByRole('button', { name: 'Cancel RFQ' }));
    const cancelled = await screen.findByText('RFQ cancelled');
    expect(cancelled.closest('.toast')?.textContent).toMatch(/Buy 1m DE0001102614 was cancelled/);

    await sendRfq('2m');
    await screen.findByRole('article', { name: /RFQ buy 2m/ });
    const rfq = [...control.rfqs.values()].find((r) => r.quantity === 2_000_000)!;
    // The core expires it (the fake's dealers then stop quoting) and says so.
    rfq.status = 'expired';
    control.emit('rfq', rfq);
    const expired = await screen.findByText('RFQ expired');
    expect(expired.closest('.toast')?.textContent).toMatch(/Buy 2m DE0001102614 expired with no trade/);
    // The quote notice of an RFQ that ended is stale: it is replaced, never left beside the end.
    expect(document.body.textContent).not.toMatch(/quotes so far/);
    expect(document.body.textContent).not.toMatch(/\(\d+ in\)/);
    await waitFor(() => expect(screen.queryByText(/RFQ sent/)).toBeNull(), { timeout: 8_000 });
  });

  it('asks to confirm a large size before the RFQ goes out', async () => {
    const { control } = renderApp({ signedIn: true });
    await sendRfq('60m');
    const confirm = await screen.findByRole('alertdialog', { name: 'Confirm a large RFQ' });
    expect(confirm.textContent).toMatch(/Large size: 60,000,000/);
    expect(control.calls.some((c) => c.name === 'createRfq')).toBe(false);
    fireEvent.click(within(confirm).getByRole('button', { name: 'Confirm and send' }));
    await waitFor(() => expect(control.calls.filter((c) => c.name === 'createRfq')).toHaveLength(1));
  });

  it('loads History when it opens, confirms a CSV export, and Alt+H / Alt+B move the focus', async () => {
    const created: string[] = [];
    const original = URL.createObjectURL;
    URL.createObjectURL = () => { created.push('blob'); return 'blob:test'; };
    try {
      const { control } = renderApp({ signedIn: true, history: [trade, { ...trade, execId: 'X-2', side: 'sell' }] });
      await screen.findByRole('heading', { name: 'New RFQ' });
      fireEvent.keyDown(window, { key: 'h', code: 'KeyH', altKey: true });
      expect(await screen.findByText('2 trades')).toBeTruthy();
      expect(control.calls.filter((c) => c.name === 'queryHistory').length).toBeGreaterThanOrEqual(2);
      await waitFor(() => expect(document.activeElement?.id).toBe('bottom-tab-history'));
      fireEvent.click(screen.getByRole('button', { name: 'Export CSV' }));
      const done = await screen.findByText('CSV exported');
      expect(done.closest('.toast')?.textContent).toMatch(/2 trades saved as parley-trades-/);
      expect(created).toHaveLength(1);
      fireEvent.keyDown(window, { key: 'b', code: 'KeyB', altKey: true });
      await waitFor(() => expect(document.activeElement?.id).toBe('bottom-tab-blotter'));
    } finally {
      URL.createObjectURL = original;
    }
  });
});

describe('keyboard', () => {
  it('starts in the ticket after sign-in', async () => {
    renderApp({ signedIn: true });
    await screen.findByRole('heading', { name: 'New RFQ' });
    await waitFor(() => expect(document.activeElement?.id).toBe('ticket-symbol'));
    await waitFor(() => expect(screen.getByText(/All \(4\)/)).toBeTruthy());
    // The focus the app put there does not drop the instrument list over the ticket; typing does.
    expect(screen.queryByRole('listbox')).toBeNull();
    fireEvent.change(screen.getByLabelText('Instrument'), { target: { value: 'DE' } });
    expect(await screen.findByRole('listbox')).toBeTruthy();
  });

  it('Alt+P focuses Pass on the best quote and Alt+C the newest RFQ\'s Cancel; nothing happens without Enter', async () => {
    const { control } = renderApp({ signedIn: true, quoteDelayMs: 20 });
    await sendRfq();
    const card = await screen.findByRole('article', { name: /RFQ buy 5m/ });
    await waitFor(() => expect(within(card).getAllByRole('button', { name: /^Lift/ })).toHaveLength(4), { timeout: 3000 });
    fireEvent.keyDown(window, { key: 'p', code: 'KeyP', altKey: true });
    await waitFor(() => expect(document.activeElement).toBe(card.querySelector('tr.best button.pass')));
    fireEvent.keyDown(window, { key: 'c', code: 'KeyC', altKey: true });
    await waitFor(() => expect(document.activeElement?.textContent).toBe('Cancel RFQ'));
    expect(control.calls.some((c) => c.name === 'passQuote' || c.name === 'cancelRfq')).toBe(false);
    expect(screen.getByLabelText('Keyboard shortcuts').textContent).toMatch(/Alt\+P pass on it.*Alt\+C cancel RFQ/);
  });
});
