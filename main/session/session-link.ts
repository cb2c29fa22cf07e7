/**
 * What a concern of the client session (step-up relay, key registration, history, open RFQs, reference data,
 * trading) needs from the connection: the logged-on FIX session to send on, request ids, the request timeout
 * and a way to tell the user. GatewaySession wires one instance into each concern.
 */
import type { FixSession } from '../../fix/session.ts';
import type { Notification } from '../ipc/contract.ts';

export interface SessionLink {
  /** The logged-on FIX session; throws 'not-signed-in' / 'not-connected' when there is none. */
  active(): FixSession;
  /** A request id unique on this client: prefix, time, counter. */
  nextId(prefix: string): string;
  /** The configured request timeout (ms), or the concern's own default when none is configured. */
  timeoutMs(fallback: number): number;
  /** `topic` lets the screens fold a notice into what they already show (the session banner) and deduplicate. */
  notify(level: Notification['level'], title: string, message: string, topic?: Notification['topic']): void;
}

/** Makes notifications with ids unique per session (the counter lives in the instance, not the module). */
export class Notifier {
  #seq = 0;
  readonly #emit: (n: Notification) => void;

  constructor(emit: (n: Notification) => void) {
    this.#emit = emit;
  }

  notify(level: Notification['level'], title: string, message: string, topic?: Notification['topic']): void {
    this.#emit({
      id: `n-${Date.now().toString(36)}-${++this.#seq}`,
      level,
      title: title.slice(0, 200),
      message: message.slice(0, 2_000),
      ...(topic ? { topic } : {}),
      at: new Date().toISOString(),
    });
  }
}
