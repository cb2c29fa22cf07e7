/**
 * Reconnect delays: exponential with "equal jitter" (half fixed, half random), so a fleet of clients that
 * lost the gateway together does not come back in lockstep, yet no client waits near zero.
 */
export interface BackoffOptions {
  baseMs?: number;
  maxMs?: number;
  factor?: number;
  random?: () => number;
}

export class Backoff {
  readonly #base: number;
  readonly #max: number;
  readonly #factor: number;
  readonly #random: () => number;
  #attempt = 0;

  constructor(o: BackoffOptions = {}) {
    this.#base = o.baseMs ?? 1_000;
    this.#max = o.maxMs ?? 60_000;
    this.#factor = o.factor ?? 2;
    this.#random = o.random ?? Math.random;
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

  reset(): void {
    this.#attempt = 0;
  }
}
