import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, screen, waitFor } from '@testing-library/react';
import { fakeLayout } from '../testing/ui.ts';
import { renderApp } from '../testing/renderApp.tsx';
import { notionalsByCurrency } from './RiskView.tsx';
import type { Instrument, OpenRfq } from '../../../main/ipc/contract.ts';

let undoLayout = (): void => {};
beforeEach(() => { undoLayout = fakeLayout(1200); });
afterEach(() => {
  cleanup();
  undoLayout();
});

describe('risk officer view', () => {
  it('sums notionals per currency, never across currencies', async () => {
    renderApp({ signedIn: true, role: 'risk-officer' });
    await screen.findByRole('heading', { name: /Open RFQs/ });
    // The fake desk: USD buy 5m, EUR sell 10m, GBP buy 15m, USD sell 20m, EUR buy 25m.
    await waitFor(() => expect(screen.getByTestId('risk-totals').textContent).toMatch(/EUR: buy 25m \/ sell 10m/));
    const totals = screen.getByTestId('risk-totals').textContent ?? '';
    expect(totals).toMatch(/GBP: buy 15m \/ sell 0/);
    expect(totals).toMatch(/USD: buy 5m \/ sell 20m/);
    expect(totals).not.toMatch(/buy 45m/);
  });

  it('says a filter matched nothing rather than that the desk has no RFQs', async () => {
    renderApp({ signedIn: true, role: 'risk-officer' });
    await screen.findByText(/5 open/);
    fireEvent.change(screen.getByLabelText('Filter by trader or instrument'), { target: { value: 'zed' } });
    expect(await screen.findByText('No open RFQ matches “zed” (5 open in all).')).toBeTruthy();
    expect(screen.queryByText('No open RFQs across the desk.')).toBeNull();
    expect(screen.getByTestId('risk-totals').textContent).toMatch(/^0 open of 5/);
  });

  it('keeps an instrument of unknown currency on its own line', () => {
    const at = new Date().toISOString();
    const r = (instrument: string, side: 'buy' | 'sell', quantity: number): OpenRfq => ({ rfqId: `R-${instrument}-${side}`, owner: 'a', instrument, side, quantity, status: 'pending', quoteCount: 0, createdAt: at });
    const instruments = new Map<string, Instrument>([['A', { symbol: 'A', description: 'a', currency: 'USD' }]]);
    expect(notionalsByCurrency([r('A', 'buy', 1), r('B', 'buy', 2), r('A', 'sell', 3)], instruments)).toEqual([
      { currency: 'USD', buy: 1, sell: 3 },
      { currency: 'currency unknown', buy: 2, sell: 0 },
    ].sort((a, b) => a.currency.localeCompare(b.currency)));
  });
});
