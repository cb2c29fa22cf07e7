/**
 * Per-session token bucket. `take()` says whether a message may pass; `strikes` counts refusals in a row
 * so a sustained flood can end the session instead of being answered message by message forever.
 */
export class TokenBucket {
  readonly rate: number;
  readonly burst: number;
  #tokens: number;
  #last: number;
  #strikes = 0;
  readonly #now: () => number;

  constructor(ratePerSec: number, burst: number, now: () => number = () => performance.now()) {
    this.rate = ratePerSec;
    this.burst = burst;
    this.#tokens = burst;
    this.#now = now;
    this.#last = now();
  }

  take(): boolean {
    const t = this.#now();
    this.#tokens = Math.min(this.burst, this.#tokens + ((t - this.#last) / 1000) * this.rate);
    this.#last = t;
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      this.#strikes = 0;
      return true;
    }
    this.#strikes += 1;
    return false;
  }

  /** Refusals since the last message that passed. */
  get strikes(): number {
    return this.#strikes;
  }
}
