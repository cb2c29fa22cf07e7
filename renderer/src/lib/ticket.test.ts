import { describe, expect, it } from 'vitest';
import { defaultSettlementDate, validateTicket, type TicketDraft } from './ticket.ts';

const symbols = new Set(['US912828XG55', 'EURUSD']);
const dealers = new Set(['DEALER1', 'DEALER2', 'DEALER3']);
// Wednesday 2026-11-18, local time.
const now = new Date(2026, 10, 18, 10, 0, 0);
const good: TicketDraft = {
  symbol: 'EURUSD',
  side: 'buy',
  quantity: '5m',
  settlementDate: '2026-11-20',
  dealers: ['DEALER1', 'DEALER2'],
  expirySeconds: '30',
};

describe('validateTicket', () => {
  it('accepts a good ticket and normalises it', () => {
    const r = validateTicket({ ...good, dealers: ['DEALER1', 'DEALER1', 'DEALER2'] }, symbols, dealers, now);
    expect(r).toEqual({
      ok: true,
      ticket: { symbol: 'EURUSD', side: 'buy', quantity: 5_000_000, settlementDate: '2026-11-20', dealers: ['DEALER1', 'DEALER2'], expirySeconds: 30 },
    });
  });

  it('names every bad field', () => {
    const r = validateTicket(
      { symbol: 'NOPE', side: '', quantity: 'lots', settlementDate: '2026-11-17', dealers: [], expirySeconds: '2' },
      symbols,
      dealers,
      now,
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(Object.keys(r.errors).sort()).toEqual(['dealers', 'expirySeconds', 'quantity', 'settlementDate', 'side', 'symbol']);
    expect(r.errors.settlementDate).toMatch(/past/);
    expect(r.errors.symbol).toMatch(/not an instrument/);
  });

  it.each([
    ['2026-11-21', /weekend/],
    ['2026-02-31', /Enter a settlement date/],
    ['not a date', /Enter a settlement date/],
    ['2028-01-03', /more than/],
  ])('rejects settlement %s', (settlementDate, message) => {
    const r = validateTicket({ ...good, settlementDate }, symbols, dealers, now);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.settlementDate).toMatch(message);
  });

  it.each(['0', '601', '1.5', '-10', '', '30s', '9'.repeat(20)])('rejects expiry %j', (expirySeconds) => {
    const r = validateTicket({ ...good, expirySeconds }, symbols, dealers, now);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.expirySeconds).toBeDefined();
  });

  it('rejects dealers the gateway does not know', () => {
    const r = validateTicket({ ...good, dealers: ['DEALER1', 'EVIL'] }, symbols, dealers, now);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.dealers).toMatch(/EVIL/);
  });

  it('accepts today as settlement', () => {
    expect(validateTicket({ ...good, settlementDate: '2026-11-18' }, symbols, dealers, now).ok).toBe(true);
  });
});

describe('defaultSettlementDate', () => {
  it('is two business days out, skipping the weekend', () => {
    expect(defaultSettlementDate(new Date(2026, 10, 18))).toBe('2026-11-20'); // Wed → Fri
    expect(defaultSettlementDate(new Date(2026, 10, 19))).toBe('2026-11-23'); // Thu → Mon
    expect(defaultSettlementDate(new Date(2026, 10, 21))).toBe('2026-11-24'); // Sat → Tue
  });
});
