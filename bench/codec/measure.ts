// Throughput measurement. The development machine is shared (2 cores, several engineers), so besides
// wall-clock messages/s this also reports messages per CPU-second of this process (process.cpuUsage),
// which is what the code costs regardless of how often the scheduler ran something else.

export interface Rate {
  /** messages per wall-clock second */
  wall: number;
  /** messages per CPU-second of this process (user + system) */
  cpu: number;
}

/** Runs `op` (which handles `count` messages) repeatedly for at least minMs after a warm-up. */
export function measure(count: number, op: () => void, opts: { minMs?: number; warmMs?: number } = {}): Rate {
  const minMs = opts.minMs ?? 400;
  const warmEnd = performance.now() + (opts.warmMs ?? Math.min(minMs, 200));
  while (performance.now() < warmEnd) op();
  let passes = 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  let t1 = t0;
  while (t1 - t0 < minMs) {
    op();
    passes++;
    t1 = performance.now();
  }
  const c = process.cpuUsage(c0);
  const cpuSec = (c.user + c.system) / 1e6;
  const n = passes * count;
  return { wall: n / ((t1 - t0) / 1000), cpu: cpuSec > 0 ? n / cpuSec : Number.NaN };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}
