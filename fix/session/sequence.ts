/**
 * Inbound sequence bookkeeping: messages that arrived ahead of a gap (processed once the gap is filled) and
 * the range of our outstanding ResendRequest.
 */
import type { FixMessage } from '../codec.ts';

// Bounds both the gap queue and the frames held while an async Logon check runs.
export const MAX_QUEUED = 10_000;

export class GapQueue {
  readonly #queue = new Map<number, FixMessage>();
  /** What our outstanding ResendRequest asked for, or null. */
  resendRange: [number, number] | null = null;

  get size(): number { return this.#queue.size; }
  add(seq: number, msg: FixMessage): void { this.#queue.set(seq, msg); }
  clear(): void { this.#queue.clear(); }

  /** The queued message with MsgSeqNum `expected` (removed), after dropping any below it. */
  take(expected: number): FixMessage | undefined {
    for (const k of this.#queue.keys()) if (k < expected) this.#queue.delete(k);
    const msg = this.#queue.get(expected);
    if (msg) this.#queue.delete(expected);
    return msg;
  }
}
