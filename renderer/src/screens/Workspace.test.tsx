import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { sendRfq, typeInto } from '../testing/ui.ts';
import { renderApp } from '../testing/renderApp.tsx';
import { historyCsv } from '../components/History.tsx';
import { tradeGuard } from '../components/RfqCard.tsx';
import type { Execution } from '../../../main/ipc/contract.ts';

afterEach(cleanup);

describe('RFQ ticket', () => {
  it('refuses an incomplete ticket and says what is wrong with each field', async () => {
    const { control } = renderApp({ signedIn: true });
    await screen.findByRole('heading', { name: 'New RFQ' });
    await waitFor(() => expect(screen.getByText(/All \(4\)/)).toBeTruthy());
    typeInto('Quantity', '5 lots');
    fireEvent.click(screen.getByLabelText(/All \(4\)/));
    fireEvent.click(screen.getByRole('button', { name: /Send RFQ/ }));
    expect(await screen.findByText('Choose an instrument.')).toBeTruthy();
    expect(screen.getByText('Choose Buy or Sell.')).toBeTruthy();
    expect(screen.getByText(/is not a quantity/)).toBeTruthy();
    expect(screen.getByText(/Ask at least one dealer/)).toBeTruthy();
    expect(control.calls.some((c) => c.name === 'createRfq')).toBe(false);
  });

  it('shows the shorthand expanded and sends "all" dealers', async () => {
    const { control } = renderApp({ signedIn: true, quoteDelayMs: 50 });
    await screen.findByRole('heading', { name: 'New RFQ' });
    typeInto('Quantity', '2.5m');
    expect(screen.getByText('= 2,500,000')).toBeTruthy();
    await sendRfq('2.5m');
    await waitFor(() => expect(control.calls.some((c) => c.name === 'createRfq')).toBe(true));
    const req = control.calls.find((c) => c.name === 'createRfq')?.request as { quantity: number; dealers: unknown; clientRfqId: string };
    expect(req.quantity).toBe(2_500_000);
    expect(req.dealers).toBe('all');
    expect(req.clientRfqId).toMatch(/^r-[0-9a-f-]{36}$/);
  });
});

describe('RFQ card', () => {
  it('counts down, highlights the best quote, and lifts it once however often it is clicked', async () => {
    const { control } = renderApp({ signedIn: true, quoteDelayMs: 30 });
    await sendRfq();
    const card = await screen.findByRole('article', { name: /RFQ buy 5m DE0001102614/ });
    await waitFor(() => expect(within(card).getAllByRole('button', { name: /^Lift/ })).toHaveLength(4), { timeout: 3000 });
    expect(within(card).getByRole('timer').textContent).toMatch(/^0:(2\d|30)$/);

    // Buying: the lowest offer is best.
    const priceOf = (r: Element) => Number(r.querySelector('.price')?.textContent?.replace(/[^\d.]/g, ''));
    const prices = within(card).getAllByRole('row').slice(1).map(priceOf);
    const bestRow = card.querySelector('tr.best') as HTMLElement;
    expect(priceOf(bestRow)).toBe(Math.min(...prices));
    expect(within(bestRow).getByRole('img', { name: 'best quote' })).toBeTruthy();

    control.holdHits = true;
    const lift = within(bestRow).getByRole('button', { name: /^Lift/ });
    fireEvent.click(lift);
    fireEvent.click(lift);
    fireEvent.click(within(card).getAllByRole('button', { name: /^Lift/ })[0]!);
    await waitFor(() => expect(control.calls.filter((c) => c.name === 'hitQuote')).toHaveLength(1));
    control.releaseHits();
    await screen.findByText('Trade done');
    expect(control.calls.filter((c) => c.name === 'hitQuote')).toHaveLength(1);
    expect(control.executions).toHaveLength(1);

    // The card moves to Done; the blotter has the RFQ and the trade.
    await waitFor(() => expect(screen.getByRole('tab', { name: /Done/ }).textContent).toMatch(/1/));
    fireEvent.keyDown(window, { key: '2', code: 'Digit2', altKey: true });
    await waitFor(() => expect(screen.getByRole('tab', { name: /Done/ }).getAttribute('aria-selected')).toBe('true'));
    expect(screen.getByText('2 rows')).toBeTruthy();
    // A bought offer reads as lifted on the done card, not "hit".
    const done = await screen.findByRole('article', { name: /RFQ buy 5m/ });
    await waitFor(() => expect(within(done).getByText('lifted')).toBeTruthy());
    expect(within(done).queryByText('hit')).toBeNull();
    // The other dealers' quotes are over with the trade: each reads void, none can be lifted or passed.
    expect(within(done).getAllByText('void')).toHaveLength(3);
    expect(within(done).queryByRole('button', { name: /^(Lift|Pass on)/ })).toBeNull();
    expect(done.querySelectorAll('tr.quote-cancelled.stale')).toHaveLength(3);
    expect(tradeGuard.isDone(`hit:${[...control.rfqs.keys()][0]}`)).toBe(true);
  });

  it('shows a pass and a cancel, and a cancelled RFQ lands in its tab', async () => {
    const { control } = renderApp({ signedIn: true, quoteDelayMs: 30 });
    await sendRfq('1m');
    const card = await screen.findByRole('article', { name: /RFQ buy 1m/ });
    await waitFor(() => expect(within(card).getAllByRole('button', { name: /^Pass on/ }).length).toBeGreaterThan(0), { timeout: 3000 });
    fireEvent.click(within(card).getAllByRole('button', { name: /^Pass on/ })[0]!);
    await waitFor(() => expect(control.calls.some((c) => c.name === 'passQuote')).toBe(true));
    fireEvent.click(within(card).getByRole('button', { name: 'Cancel RFQ' }));
    await waitFor(() => expect(screen.getByRole('tab', { name: /Cancelled/ }).textContent).toMatch(/1/));
  });

  it('tells the trader when the gateway is not connected', async () => {
    renderApp({ signedIn: true, failCalls: { createRfq: { code: 'not-connected', message: 'The session is not connected.' } } });
    await sendRfq();
    const alert = await screen.findByText(/The session is not connected/);
    expect(alert.closest('[role=alert]')?.textContent).toMatch(/Wait for it to reconnect/);
  });
});

describe('keyboard', () => {
  it('Alt+L focuses the best quote of the newest live RFQ, and Enter lifts it', async () => {
    const { control } = renderApp({ signedIn: true, quoteDelayMs: 30 });
    await sendRfq();
    const card = await screen.findByRole('article', { name: /RFQ buy 5m/ });
    await waitFor(() => expect(within(card).getAllByRole('button', { name: /^Lift/ })).toHaveLength(4), { timeout: 3000 });
    fireEvent.keyDown(window, { key: 'l', code: 'KeyL', altKey: true });
    const best = card.querySelector('tr.best button.trade') as HTMLButtonElement;
    await waitFor(() => expect(document.activeElement).toBe(best));
    expect(control.calls.some((c) => c.name === 'hitQuote')).toBe(false);
    fireEvent.click(document.activeElement as HTMLElement);
    await screen.findByText('Trade done');
  });
});

describe('while the session is down', () => {
  it('refuses to send or trade, and says why', async () => {
    const { control } = renderApp({ signedIn: true, quoteDelayMs: 30 });
    await sendRfq();
    const card = await screen.findByRole('article', { name: /RFQ buy 5m/ });
    await waitFor(() => expect(within(card).getAllByRole('button', { name: /^Lift/ })).toHaveLength(4), { timeout: 3000 });
    control.setConnection('reconnecting', { retryInSec: 3 });
    await waitFor(() => expect((screen.getByRole('button', { name: /Send RFQ/ }) as HTMLButtonElement).disabled).toBe(true));
    for (const b of within(card).getAllByRole('button', { name: /^Lift/ })) expect((b as HTMLButtonElement).disabled).toBe(true);
    expect(screen.getByRole('button', { name: /Send RFQ/ }).getAttribute('title')).toMatch(/Not connected/);
    control.setConnection('connected');
    await waitFor(() => expect((screen.getByRole('button', { name: /Send RFQ/ }) as HTMLButtonElement).disabled).toBe(false));
  });
});

describe('history', () => {
  const hostile: Execution = {
    execId: 'X-1',
    clientRfqId: 'r-1',
    quoteId: 'q-1',
    dealer: 'DLR-ALPHA',
    instrument: 'DE0001102614',
    side: 'sell',
    quantity: 1_000_000,
    price: -0.25,
    settlementDate: '2026-11-20',
    transactTime: new Date().toISOString(),
  };

  it('filters, lists and exports', async () => {
    const { control } = renderApp({ signedIn: true, history: [hostile, { ...hostile, execId: 'X-2', side: 'buy' }] });
    await screen.findByRole('heading', { name: 'New RFQ' });
    fireEvent.keyDown(window, { key: 'h', code: 'KeyH', altKey: true });
    await screen.findByRole('form', { name: 'History filters' });
    fireEvent.change(screen.getByLabelText('Side'), { target: { value: 'sell' } });
    fireEvent.click(screen.getByRole('button', { name: 'Search' }));
    expect(await screen.findByText('1 trade')).toBeTruthy();
    // The blotter asks for today's trades on load too: the search is the latest history request.
    expect(control.calls.filter((c) => c.name === 'queryHistory').at(-1)?.request).toMatchObject({ side: 'sell' });
  });

  it('exports CSV that a spreadsheet cannot turn into a formula', () => {
    const csv = historyCsv([{ ...hostile, dealer: '=cmd|\'/C calc\'!A0', instrument: 'A,"B"\nC' }]);
    const [header, row] = csv.split('\r\n');
    expect(header).toBe('transact_time,exec_id,client_rfq_id,quote_id,dealer,instrument,side,quantity,price,settlement_date');
    expect(row).toContain(`"'=cmd|'/C calc'!A0"`);
    expect(row).toContain('"A,""B""\nC"');
    expect(row).toContain(',-0.25,');
  });
});

describe('blotter', () => {
  it('holds 100,000 rows and renders only a window of them', async () => {
    // jsdom has no layout: give scroll containers a size so the virtualizer has a window to fill.
    Object.defineProperty(HTMLElement.prototype, 'clientHeight', { configurable: true, get() { return 400; } });
    Object.defineProperty(HTMLElement.prototype, 'clientWidth', { configurable: true, get() { return 900; } });
    const started = performance.now();
    const { container, control } = renderApp({ signedIn: true });
    await screen.findByRole('heading', { name: 'New RFQ' });
    const at = new Date().toISOString();
    for (let i = 0; i < 100_000; i++) {
      control.emit('execution', {
        execId: `X${i}`, clientRfqId: `r-${i}`, quoteId: `q-${i}`, dealer: 'DLR-ALPHA', instrument: 'DE0001102614',
        side: 'buy', quantity: 1_000_000, price: 100 + i / 1e5, settlementDate: '2026-11-20', transactTime: at,
      });
    }
    expect(await screen.findByText('100,000 rows')).toBeTruthy();
    const rendered = container.querySelectorAll('.vbody [role=row]').length;
    expect(rendered).toBeGreaterThan(0);
    expect(rendered).toBeLessThan(100);
    // Newest first.
    expect(container.querySelector('.vbody [role=row]')?.textContent).toContain('X99999');
    console.log(`100k executions through the store in ${Math.round(performance.now() - started)} ms`);
    delete (HTMLElement.prototype as { clientHeight?: number }).clientHeight;
    delete (HTMLElement.prototype as { clientWidth?: number }).clientWidth;
  });
});
