/**
 * Quantity entry as traders type it: "5m", "250k", "1.5m", "2,000,000", "1b".
 * Returns the quantity in units, or an error message a person can act on.
 */
export type QuantityResult = { ok: true; value: number } | { ok: false; error: string };

const MULTIPLIERS: Record<string, number> = { k: 1_000, m: 1_000_000, mm: 1_000_000, b: 1_000_000_000, bn: 1_000_000_000 };

// Far above any block anyone trades; beyond it we would lose integer precision soon anyway.
const MAX_QUANTITY = 1e13;

export function parseQuantity(input: string): QuantityResult {
  const text = input.trim().toLowerCase().replace(/[,_\s]/g, '');
  if (text === '') return { ok: false, error: 'Enter a quantity, e.g. 5m or 250k.' };
  if (text.length > 32) return { ok: false, error: 'Quantity is too long.' };
  const match = /^(\d+(?:\.\d+)?|\.\d+)(k|mm|m|bn|b)?$/.exec(text);
  if (!match) return { ok: false, error: `"${input.trim().slice(0, 32)}" is not a quantity; use digits with k, m or b (e.g. 2.5m).` };
  const base = Number(match[1]);
  const suffix = match[2];
  const value = suffix ? base * (MULTIPLIERS[suffix] ?? 1) : base;
  // Multiplying a decimal can leave float noise (1.1m → 1100000.0000000002).
  const rounded = Math.round(value * 1e6) / 1e6;
  if (!Number.isFinite(rounded) || rounded <= 0) return { ok: false, error: 'Quantity must be greater than zero.' };
  if (rounded > MAX_QUANTITY) return { ok: false, error: 'Quantity is larger than any tradable block.' };
  return { ok: true, value: rounded };
}

const PLAIN = new Intl.NumberFormat('en-US', { maximumFractionDigits: 6 });

/** Compact display: 5,000,000 → "5m", 250,000 → "250k", 1,234 → "1,234". */
export function formatQuantity(value: number): string {
  if (value >= 1_000_000_000 && value % 10_000_000 === 0) return `${value / 1_000_000_000}b`;
  if (value >= 1_000_000 && value % 10_000 === 0) return `${value / 1_000_000}m`;
  if (value >= 1_000 && value % 10 === 0) return `${value / 1_000}k`;
  return PLAIN.format(value);
}
