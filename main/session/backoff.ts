/**
 * Reconnect delays: exponential with "equal jitter" (half fixed, half random), so a fleet of clients that
 * lost the gateway together does not come back in lockstep, yet no client waits near zero. A detected network
 * change or resume from sleep is different news — the old path is gone and a new one is likely up — so
 * `soon()` starts over with only a small jitter instead of waiting out a backoff grown on the old network.
 */
export interface BackoffOptions {
  baseMs?: number;
  maxMs?: number;
  factor?: number;
  random?: () => number;
  /** The most `soon()` waits (default 250 ms): enough to spread a fleet waking together, short for a person. */
  soonJitterMs?: number;
}

export class Backoff {
  readonly #base: number;
  readonly #max: number;
  readonly #factor: number;
  readonly #random: () => number;
  readonly #soonJitter: number;
  #attempt = 0;

  constructor(o: BackoffOptions = {}) {
    this.#base = o.baseMs ?? 1_000;
    this.#max = o.maxMs ?? 60_000;
    this.#factor = o.factor ?? 2;
    this.#random = o.random ?? Math.random;
    this.#soonJitter = o.soonJitterMs ?? 250;
  }

  get attempt(): number {
    return this.#attempt;
  }

  /** The delay before the next attempt. */
  next(): number {
    const cap = Math.min(this.#max, this.#base * this.#factor ** Math.min(this.#attempt, 30));
    this.#attempt += 1;
    const half = cap / 2;
    return Math.round(half + this.#random() * half);
  }

  /** Starts over (the next failure waits the base delay again) and returns a small jittered delay for now. */
  soon(): number {
    this.#attempt = 0;
    return Math.round(this.#random() * this.#soonJitter);
  }

  reset(): void {
    this.#attempt = 0;
  }
}
