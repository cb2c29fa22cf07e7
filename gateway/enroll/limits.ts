/**
 * Per-address limits for the enrollment endpoint: concurrent connections (counted from the TCP accept, before
 * any TLS, so sockets that never start a handshake count too) and a request rate (token bucket). Both maps
 * are bounded: an address with no connection and a full bucket is forgotten.
 */
import type { Socket } from 'node:net';
import { systemClock, type Clock } from './crl-publisher.ts';

export type AddressLimitsOptions = { maxConnectionsPerIp: number; requestsPerMinutePerIp: number; clock?: Clock };

const MAX_BUCKETS = 4_096;

export class AddressLimits {
  readonly #o: AddressLimitsOptions;
  readonly #clock: Clock;
  readonly #open = new Map<string, number>();
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  constructor(o: AddressLimitsOptions) {
    this.#o = o;
    this.#clock = o.clock ?? systemClock;
  }

  /** Called for every accepted TCP connection: false means it was over the address's limit and destroyed. */
  admit(sock: Socket): boolean {
    const ip = sock.remoteAddress ?? 'unknown';
    const n = this.#open.get(ip) ?? 0;
    if (n >= this.#o.maxConnectionsPerIp) {
      sock.destroy();
      return false;
    }
    this.#open.set(ip, n + 1);
    sock.once('close', () => {
      const left = (this.#open.get(ip) ?? 1) - 1;
      if (left <= 0) this.#open.delete(ip);
      else this.#open.set(ip, left);
    });
    return true;
  }

  openFrom(ip: string): number {
    return this.#open.get(ip) ?? 0;
  }

  /** One request from this address: false when its bucket is empty (answer 429). */
  allowRequest(ip: string): boolean {
    const now = this.#clock.now().getTime();
    const cap = this.#o.requestsPerMinutePerIp;
    const perMs = cap / 60_000;
    const b = this.#buckets.get(ip) ?? { tokens: cap, at: now };
    b.tokens = Math.min(cap, b.tokens + (now - b.at) * perMs);
    b.at = now;
    const ok = b.tokens >= 1;
    if (ok) b.tokens -= 1;
    this.#buckets.delete(ip);
    this.#buckets.set(ip, b);
    if (this.#buckets.size > MAX_BUCKETS) {
      // The least recently seen address goes first (Map keeps insertion order; seen ones were re-inserted).
      const oldest = this.#buckets.keys().next().value;
      if (oldest !== undefined) this.#buckets.delete(oldest);
    }
    return ok;
  }
}
