/** A hand-driven Clock for tests of scheduled work (CRL re-issue, refusal windows): time moves only on advance(). */
import type { Clock } from './crl-publisher.ts';

export type FakeClock = Clock & { advance(ms: number): void; pending(): number[] };

export function fakeClock(start = new Date('2026-01-01T00:00:00Z')): FakeClock {
  let now = start.getTime();
  const timers = new Set<{ at: number; fn: () => void }>();
  return {
    now: () => new Date(now),
    setTimeout: (fn, ms) => {
      const t = { at: now + ms, fn };
      timers.add(t);
      return t;
    },
    clearTimeout: (h) => { timers.delete(h as { at: number; fn: () => void }); },
    advance(ms) {
      now += ms;
      for (const t of [...timers].sort((a, b) => a.at - b.at)) {
        if (t.at > now) continue;
        timers.delete(t);
        t.fn();
      }
    },
    pending: () => [...timers].map((t) => t.at - now).sort((a, b) => a - b),
  };
}
