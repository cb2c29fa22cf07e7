/**
 * The one signed CRL the gateway publishes: the FIX acceptor checks it on every handshake and GET /v1/crl
 * serves it, both from this cache (an unauthenticated GET never makes the CA sign anything). It is re-issued
 * on a timer when half its validity has passed, so it is renewed well before nextUpdate — past nextUpdate
 * OpenSSL refuses every handshake (CRL_HAS_EXPIRED). A failed re-issue is alerted and retried.
 */
import { readFileSync, statSync } from 'node:fs';
import type { GatewayCa } from './ca.ts';
import type { CertRegistry } from './registry.ts';

/** Time and timers, injectable so a test drives the schedule without waiting. */
export type Clock = {
  now(): Date;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
};

export const systemClock: Clock = {
  now: () => new Date(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export type CrlEvent = { type: 'crl.reissued' | 'crl.reissue-failed'; data: Record<string, unknown>; alert: boolean };

export type CrlPublisherOptions = {
  registry: CertRegistry;
  ca: GatewayCa;
  /** thisUpdate → nextUpdate. */
  validityMs: number;
  clock?: Clock;
  onEvent?: (e: CrlEvent) => void;
};

export class CrlPublisher {
  readonly #o: CrlPublisherOptions;
  readonly #clock: Clock;
  #pem = '';
  #nextUpdate = new Date(0);
  #file = { mtimeMs: -1, size: -1 };
  #timer: unknown = null;
  #stopped = false;
  #failures = 0;

  constructor(o: CrlPublisherOptions) {
    this.#o = o;
    this.#clock = o.clock ?? systemClock;
  }

  /** Issues the first CRL (a failure here is a startup failure) and starts the schedule. */
  async start(): Promise<void> {
    await this.reissue('start');
  }

  get nextUpdate(): Date {
    return this.#nextUpdate;
  }

  /**
   * The current CRL. When the file changed on disk (an offline `revoke` by the admin CLI signed one), that one
   * is adopted; otherwise the cached PEM, unchanged, however often it is asked for.
   */
  current(): string {
    const file = this.#o.registry.crlFile;
    if (file) {
      try {
        const st = statSync(file);
        if (st.mtimeMs !== this.#file.mtimeMs || st.size !== this.#file.size) {
          this.#pem = readFileSync(file, 'utf8');
          this.#file = { mtimeMs: st.mtimeMs, size: st.size };
        }
      } catch { /* keep the last good CRL */ }
    }
    return this.#pem;
  }

  /** Signs a new CRL from the registry (after a revocation, or on the timer) and reschedules. */
  async reissue(reason: string): Promise<string> {
    const now = this.#clock.now();
    try {
      this.#o.registry.reload();
      const pem = await this.#o.registry.writeCrl(this.#o.ca, { now, validityMs: this.#o.validityMs });
      this.#adopt(pem, new Date(now.getTime() + this.#o.validityMs));
      this.#failures = 0;
      this.#schedule(this.#o.validityMs / 2);
      this.#o.onEvent?.({ type: 'crl.reissued', data: { reason, nextUpdate: this.#nextUpdate.toISOString(), revoked: this.#o.registry.listRevoked().length }, alert: false });
      return pem;
    } catch (e) {
      this.#failures++;
      const left = this.#nextUpdate.getTime() - now.getTime();
      // Retry well inside the remaining validity; the alert says how long handshakes keep working.
      this.#schedule(Math.max(1_000, Math.min(this.#o.validityMs / 10, left / 4)));
      this.#o.onEvent?.({
        type: 'crl.reissue-failed',
        data: { reason, error: (e as Error).message, failures: this.#failures, nextUpdate: this.#nextUpdate.toISOString(), msLeft: Math.max(0, left) },
        alert: true,
      });
      throw e;
    }
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer !== null) this.#clock.clearTimeout(this.#timer);
    this.#timer = null;
  }

  #adopt(pem: string, nextUpdate: Date): void {
    this.#pem = pem;
    this.#nextUpdate = nextUpdate;
    const file = this.#o.registry.crlFile;
    if (file) {
      try {
        const st = statSync(file);
        this.#file = { mtimeMs: st.mtimeMs, size: st.size };
      } catch { /* written just now; a missing file is re-read next time */ }
    }
  }

  #schedule(ms: number): void {
    if (this.#stopped) return;
    if (this.#timer !== null) this.#clock.clearTimeout(this.#timer);
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = null;
      this.reissue('timer').catch(() => { /* alerted and rescheduled in reissue */ });
    }, ms);
  }
}
