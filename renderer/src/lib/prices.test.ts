import { describe, expect, it } from 'vitest';
import { decimalsOf, formatPrice, tickOf } from './prices.ts';
import { rfqRow, executionRow, DONE_WORD } from './blotterRows.ts';
import type { Rfq } from '../../../main/ipc/contract.ts';

describe('prices to the tick', () => {
  it('shows every price of an instrument with its tick\'s decimals, never ragged', () => {
    const bond = tickOf({ assetClass: 'Government bond' });
    expect(formatPrice(96.88711, bond)).toBe('96.887');
    expect(formatPrice(96.877455, bond)).toBe('96.877');
    expect(formatPrice(100, bond)).toBe('100.000');
    expect(formatPrice(1.0850123, tickOf({ assetClass: 'FX forward' }))).toBe('1.08501');
    expect(formatPrice(99.26, tickOf({ assetClass: 'Government bond', tickSize: 0.25 }))).toBe('99.25');
    expect(formatPrice(null)).toBe('—');
    expect(formatPrice(Number.NaN, bond)).toBe('—');
  });

  it('counts decimals of odd ticks and ignores a nonsense tick', () => {
    expect(decimalsOf(0.001)).toBe(3);
    expect(decimalsOf(1 / 32)).toBe(5);
    expect(decimalsOf(1 / 3)).toBe(8);
    expect(tickOf({ assetClass: 'Government bond', tickSize: -1 })).toBe(0.001);
    expect(tickOf({ assetClass: 'Government bond', tickSize: Number.POSITIVE_INFINITY })).toBe(0.001);
    expect(tickOf(undefined)).toBe(0.001);
  });
});

describe('blotter rows', () => {
  const at = new Date().toISOString();
  const rfq: Rfq = {
    clientRfqId: 'r-1', instrument: 'DE0001102614', side: 'buy', quantity: 5e6, settlementDate: '2026-12-07', dealers: 'all',
    createdAt: at, expiresAt: at, status: 'quoted',
    quotes: [{ quoteId: 'q-1', dealer: 'DLR-A', price: 99.1, validUntil: at, receivedAt: at, status: 'live' }],
  };

  it('a quoted RFQ shows no price or dealer: only a done trade fills those columns', () => {
    const row = rfqRow(rfq, new Map([['DLR-A', 'Alpha']]));
    expect(row.price).toBeNull();
    expect(row.dealer).toBe('');
    expect(row.status).toBe('quoted');
    const done = rfqRow({ ...rfq, status: 'executed', quotes: [{ ...rfq.quotes[0]!, status: 'hit' }] }, new Map([['DLR-A', 'Alpha']]));
    expect(done).toMatchObject({ price: 99.1, dealer: 'Alpha', status: 'executed' });
  });

  it('uses one word for a done trade on the RFQ row and the trade row', () => {
    const x = executionRow({ execId: 'X', clientRfqId: 'r-1', quoteId: 'q-1', dealer: 'DLR-A', instrument: 'I', side: 'buy', quantity: 1, price: 1, settlementDate: '2026-12-07', transactTime: at });
    expect(x.status).toBe(DONE_WORD);
    expect(DONE_WORD).toBe('executed');
  });
});
