/**
 * Prices to the instrument's tick. Every price of one instrument shows the same number of decimals, so a
 * column of quotes lines up and no quote reads as more precise than the market trades it (96.887 vs 96.877,
 * never 96.88711 vs 96.877455).
 */
import type { Instrument } from '../../../main/ipc/contract.ts';

/** The tick when the reference data gives none: by asset class, as the desk quotes them. */
const DEFAULT_TICK: Record<string, number> = {
  'Government bond': 0.001,
  'Corporate bond': 0.001,
  'FX forward': 0.00001,
};
const FALLBACK_TICK = 0.001;

export function tickOf(instrument: Pick<Instrument, 'assetClass'> & { tickSize?: number } | undefined): number {
  const t = instrument?.tickSize;
  if (typeof t === 'number' && Number.isFinite(t) && t > 0) return t;
  return DEFAULT_TICK[instrument?.assetClass ?? ''] ?? FALLBACK_TICK;
}

/** Decimals a tick needs: 0.001 → 3, 0.25 → 2, 1/32 → 5 (capped at 8). */
export function decimalsOf(tick: number): number {
  for (let d = 0; d <= 8; d++) if (Math.abs(Math.round(tick * 10 ** d) - tick * 10 ** d) < 1e-9) return d;
  return 8;
}

// Building a NumberFormat per call costs tens of microseconds; at 1,000 updates/s that matters: one per size.
const FORMATS: readonly Intl.NumberFormat[] = Array.from({ length: 9 }, (_, d) => new Intl.NumberFormat('en-US', { minimumFractionDigits: d, maximumFractionDigits: d }));

/** A price rounded to the tick and shown with the tick's decimals; '—' when there is none. */
export function formatPrice(p: number | null | undefined, tick = FALLBACK_TICK): string {
  if (p === null || p === undefined || !Number.isFinite(p)) return '—';
  const rounded = Math.round(p / tick) * tick;
  return FORMATS[decimalsOf(tick)]!.format(rounded);
}
