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

/** What the flood guard says about one message. */
export type Admission = 'pass' | 'first-refusal' | 'refused' | 'drop' | 'flood';

/**
 * A session's rate limit: a message passes while the bucket has tokens; the first refusals are answered (the
 * first one also audited), later ones dropped silently, and a sustained flood ends the session.
 */
export class FloodGuard {
  readonly #bucket: TokenBucket;
  /** Refusals in a row that are still answered with a reject. */
  static readonly ANSWERED = 5;

  constructor(ratePerSec: number, burst: number, now?: () => number) {
    this.#bucket = new TokenBucket(ratePerSec, burst, now);
  }

  admit(): Admission {
    if (this.#bucket.take()) return 'pass';
    const strikes = this.#bucket.strikes;
    if (strikes > Math.max(50, this.#bucket.burst * 2)) return 'flood';
    if (strikes === 1) return 'first-refusal';
    return strikes <= FloodGuard.ANSWERED ? 'refused' : 'drop';
  }

  get strikes(): number { return this.#bucket.strikes; }
}
