/**
 * Refused enrollments and renewals, aggregated: a flood of bad requests must not become a flood of audit lines
 * and webhook alerts (300 refusals once wrote 604 lines and 300 webhooks). The first refusal of a quiet period
 * is reported at once, in detail and alerted; the rest of that window are counted (by reason and by remote
 * address, both bounded) and reported as one summary, alerted once, when the window ends. Per window: at most
 * two audit lines and two alerts, whatever the rate.
 */
import { systemClock, type Clock } from './crl-publisher.ts';

export type RefusalEvent = { type: 'enroll.refused' | 'enroll.renew-refused' | 'enroll.refused-summary'; data: Record<string, unknown>; alert: boolean };

const MAX_KEYS = 32;

export class RefusalDigest {
  readonly #windowMs: number;
  readonly #emit: (e: RefusalEvent) => void;
  readonly #clock: Clock;
  #window: { since: Date; timer: unknown; total: number; byReason: Map<string, number>; byRemote: Map<string, number> } | null = null;

  constructor(o: { windowMs: number; emit: (e: RefusalEvent) => void; clock?: Clock }) {
    this.#windowMs = o.windowMs;
    this.#emit = o.emit;
    this.#clock = o.clock ?? systemClock;
  }

  refused(type: 'enroll.refused' | 'enroll.renew-refused', data: { reason: string; remote?: string | undefined } & Record<string, unknown>): void {
    if (this.#window === null) {
      const timer = this.#clock.setTimeout(() => this.flush(), this.#windowMs);
      this.#window = { since: this.#clock.now(), timer, total: 0, byReason: new Map(), byRemote: new Map() };
      this.#emit({ type, data, alert: true });
      return;
    }
    const w = this.#window;
    w.total++;
    bump(w.byReason, `${type}:${data.reason}`);
    bump(w.byRemote, data.remote ?? 'unknown');
  }

  /** Ends the window: one summary line (and alert) when anything was held back. */
  flush(): void {
    const w = this.#window;
    if (w === null) return;
    this.#clock.clearTimeout(w.timer);
    this.#window = null;
    if (w.total === 0) return;
    this.#emit({
      type: 'enroll.refused-summary',
      data: {
        since: w.since.toISOString(), until: this.#clock.now().toISOString(), refused: w.total,
        byReason: Object.fromEntries(w.byReason), byRemote: Object.fromEntries(w.byRemote),
      },
      alert: true,
    });
  }
}

function bump(m: Map<string, number>, key: string): void {
  // Bounded: past MAX_KEYS distinct keys (a spoofing or scanning source), the rest share one bucket.
  const k = m.has(key) || m.size < MAX_KEYS ? key : '(others)';
  m.set(k, (m.get(k) ?? 0) + 1);
}
