/**
 * Requests that wait for the gateway's answer, keyed by the request's id (a RequestID, a QuoteRespID, a
 * ChallengeID). Each is settled exactly once: by its answer, by its timeout, or by the connection dropping — the
 * first of these wins and the others are no-ops, so a late answer after a timeout cannot resolve a promise twice
 * or leak a timer. A request may carry state that its answer is built from (rows of a multi-message answer).
 */
import { ParleyError } from '../ipc/contract.ts';

export interface OpenOptions<T, S> {
  timeoutMs: number;
  /** What the request settles with when the gateway does not answer in time: a value, or an Error to reject with. */
  onTimeout: () => T | Error;
  state?: S;
}

interface Entry<T, S> {
  resolve: (v: T) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
  state: S | undefined;
}

export class PendingRequests<T, S = undefined> {
  readonly #entries = new Map<string, Entry<T, S>>();
  readonly #max: number;

  /** At most `max` requests of this kind in flight: a caller that floods gets 'conflict', not unbounded memory. */
  constructor(max = 100) {
    this.#max = max;
  }

  get size(): number {
    return this.#entries.size;
  }

  has(id: string): boolean {
    return this.#entries.has(id);
  }

  /** The state the request was opened with (undefined once settled). */
  state(id: string): S | undefined {
    return this.#entries.get(id)?.state;
  }

  ids(): string[] {
    return [...this.#entries.keys()];
  }

  open(id: string, o: OpenOptions<T, S>): Promise<T> {
    if (this.#entries.size >= this.#max) return Promise.reject(new ParleyError('conflict', 'too many requests in flight'));
    if (this.#entries.has(id)) return Promise.reject(new ParleyError('conflict', 'this request is already waiting for the gateway'));
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (!this.#take(id)) return;
        let v: T | Error;
        try {
          v = o.onTimeout();
        } catch (e) {
          v = e as Error;
        }
        if (v instanceof Error) reject(v);
        else resolve(v);
      }, o.timeoutMs);
      // A request in flight must not keep the app (or a test run) alive on its own.
      timer.unref();
      this.#entries.set(id, { resolve, reject, timer, state: o.state });
    });
  }

  /** Settles the request with its answer; false when there is none (already settled, timed out or unknown). */
  resolve(id: string, v: T): boolean {
    const e = this.#take(id);
    e?.resolve(v);
    return !!e;
  }

  reject(id: string, err: Error): boolean {
    const e = this.#take(id);
    e?.reject(err);
    return !!e;
  }

  /**
   * Settles every request (a dropped connection, a refusal that names the message type but no request): with
   * a value or an Error, chosen per request. Returns how many were settled.
   */
  settleAll(outcome: (id: string, state: S | undefined) => T | Error): number {
    const all = [...this.#entries.entries()];
    this.#entries.clear();
    for (const [id, e] of all) {
      clearTimeout(e.timer);
      let v: T | Error;
      try {
        v = outcome(id, e.state);
      } catch (err) {
        v = err as Error;
      }
      if (v instanceof Error) e.reject(v);
      else e.resolve(v);
    }
    return all.length;
  }

  #take(id: string): Entry<T, S> | undefined {
    const e = this.#entries.get(id);
    if (!e) return undefined;
    this.#entries.delete(id);
    clearTimeout(e.timer);
    return e;
  }
}
