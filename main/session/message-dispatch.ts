/**
 * The table from an inbound application message's MsgType to the handler for it. Each concern of the session
 * (trading, step-up, history, …) registers the types it reads; a type nobody registered is logged and ignored,
 * and a handler that throws on a hostile message is logged and contained, so one bad message never stops the
 * session from serving the next.
 */
import type { FixMessage } from '../../fix/codec.ts';

export type MessageHandler = (m: FixMessage) => void;
export type DispatchOutcome = 'handled' | 'unknown' | 'failed';

export class MessageDispatch {
  readonly #handlers = new Map<string, MessageHandler>();
  readonly #log: { warn(m: string): void } | undefined;

  constructor(log?: { warn(m: string): void }) {
    this.#log = log;
  }

  /** Registers the handler of a MsgType; a type has one handler (a second registration is a wiring bug). */
  on(msgType: string, handler: MessageHandler): this {
    if (this.#handlers.has(msgType)) throw new Error(`message type ${msgType} already has a handler`);
    this.#handlers.set(msgType, handler);
    return this;
  }

  handles(msgType: string): boolean {
    return this.#handlers.has(msgType);
  }

  dispatch(m: FixMessage): DispatchOutcome {
    // The type is the peer's: bounded before it goes into a log line.
    const type = String(m.msgType).slice(0, 8);
    const h = this.#handlers.get(m.msgType);
    if (!h) {
      this.#log?.warn(`session: ignored message type ${type}`);
      return 'unknown';
    }
    try {
      h(m);
      return 'handled';
    } catch (e) {
      this.#log?.warn(`session: could not handle ${type}: ${String((e as Error)?.message ?? e).slice(0, 500)}`);
      return 'failed';
    }
  }
}
