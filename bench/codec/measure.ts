// Throughput measurement: run `op` over the whole mix repeatedly, several rounds, and report the median.

export interface Measurement {
  msgsPerSec: number;
  rounds: number[];
}

export function measure(count: number, op: () => void, opts: { minMs?: number; rounds?: number } = {}): Measurement {
  const minMs = opts.minMs ?? 400;
  const rounds = opts.rounds ?? 5;
  // Warm-up: let the JIT settle.
  const warmEnd = performance.now() + minMs;
  while (performance.now() < warmEnd) op();
  const rates: number[] = [];
  for (let r = 0; r < rounds; r++) {
    let passes = 0;
    const t0 = performance.now();
    let t1 = t0;
    while (t1 - t0 < minMs) {
      op();
      passes++;
      t1 = performance.now();
    }
    rates.push((passes * count) / ((t1 - t0) / 1000));
  }
  const sorted = [...rates].sort((a, b) => a - b);
  return { msgsPerSec: sorted[Math.floor(sorted.length / 2)]!, rounds: rates };
}
