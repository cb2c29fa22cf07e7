import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { fakeLayout, sendRfq, typeInto } from '../testing/ui.ts';
import { App } from '../App.tsx';
import { createFakeParley } from '../testing/fakeParley.ts';

let undoLayout = (): void => {};
beforeEach(() => { undoLayout = fakeLayout(1200); });
afterEach(() => {
  cleanup();
  undoLayout();
});

/** What a trader reads off the screen: tab counts, the blotter's rows and its trades-only rows. */
async function views() {
  const tabCount = (name: RegExp) => screen.getByRole('tab', { name }).querySelector('.count')?.textContent;
  const blotter = screen.getByRole('table', { name: 'Blotter' });
  const rows = () => [...blotter.querySelectorAll('.vbody [role=row]')].map((r) => r.textContent);
  const all = rows();
  const tradesOnly = screen.getByLabelText('Trades only') as HTMLInputElement;
  fireEvent.click(tradesOnly);
  await waitFor(() => expect(tradesOnly.checked).toBe(true));
  const trades = rows();
  const empty = blotter.querySelector('.empty')?.textContent ?? null;
  fireEvent.click(tradesOnly);
  return { live: tabCount(/^Live/), done: tabCount(/^Done/), all, trades, empty };
}

describe('a reload rebuilds every view from the core', () => {
  it('shows the same blotter, trades and tabs after a reload as before it', async () => {
    const fake = createFakeParley({ signedIn: true, quoteDelayMs: 20 });
    render(<App api={fake.api} />);
    await sendRfq('5m', 'DE0001102614');
    const card = await screen.findByRole('article', { name: /RFQ buy 5m DE0001102614/ });
    await waitFor(() => expect(within(card).getAllByRole('button', { name: /^Lift/ })).toHaveLength(4), { timeout: 10_000 });
    fireEvent.click(within(card).getAllByRole('button', { name: /^Lift/ })[0]!);
    await screen.findByText('Trade done');
    await sendRfq('2m', 'GB00BMV7TC88');
    const open = await screen.findByRole('article', { name: /RFQ buy 2m GB00BMV7TC88/ });
    // Every dealer has quoted before the snapshot of the views is taken (the quote count is in the blotter).
    await waitFor(() => expect(within(open).getAllByRole('button', { name: /^Lift/ })).toHaveLength(4), { timeout: 10_000 });
    await waitFor(() => expect(screen.getByText('3 rows')).toBeTruthy());
    const before = await views();
    expect(before.trades).toHaveLength(1);
    expect(before.done).toBe('1');
    expect(before.live).toBe('1');

    // The page reloads: a fresh renderer (new store) over the same core, which sends no events for the past.
    cleanup();
    render(<App api={fake.api} />);
    await screen.findByRole('heading', { name: 'New RFQ' });
    await waitFor(() => expect(screen.getByText('3 rows')).toBeTruthy());
    const after = await views();
    expect(after.trades).toHaveLength(1);
    expect(after.empty).toBeNull();
    expect(after).toEqual(before);
    // The trade row is the gateway's execution, with its price; the row of the RFQ still open shows no price.
    expect(after.trades[0]).toContain(fake.control.executions[0]!.execId);
  });

  it('after a reconnect shows what happened at the core while the link was down', async () => {
    const fake = createFakeParley({ signedIn: true, quoteDelayMs: 20 });
    render(<App api={fake.api} />);
    await sendRfq('5m', 'DE0001102614');
    const card = await screen.findByRole('article', { name: /RFQ buy 5m/ });
    await waitFor(() => expect(within(card).getAllByRole('button', { name: /^Lift/ })).toHaveLength(4), { timeout: 10_000 });
    fake.control.setConnection('reconnecting', { retryInSec: 2 });
    // The core learns on logon that the RFQ traded (say from another session) and emits nothing the page saw.
    const rfq = [...fake.control.rfqs.values()][0]!;
    const q = rfq.quotes[0]!;
    q.status = 'hit';
    rfq.status = 'executed';
    fake.control.executions.push({
      execId: 'X-AWAY', clientRfqId: rfq.clientRfqId, quoteId: q.quoteId, dealer: q.dealer, instrument: rfq.instrument,
      side: rfq.side, quantity: rfq.quantity, price: q.price, settlementDate: rfq.settlementDate, transactTime: new Date().toISOString(),
    });
    fake.control.setConnection('connected');
    await waitFor(() => expect(screen.getByRole('tab', { name: /^Done/ }).querySelector('.count')?.textContent).toBe('1'));
    expect(screen.getByRole('tab', { name: /^Live/ }).querySelector('.count')?.textContent).toBe('0');
    await waitFor(() => expect(screen.getByText('2 rows')).toBeTruthy());
    expect(screen.getByRole('table', { name: 'Blotter' }).textContent).toContain('X-AWAY');
  });
});
