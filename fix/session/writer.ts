/**
 * Outbound framing: the standard header, persisting before writing (so a crash after the write can still
 * resend), and the two messages written without being stored — a gap-fill SequenceReset and a PossDup resend.
 */
import { encodeMessage, type Field, type FixMessage } from '../codec.ts';
import { utcTimestamp } from '../protocol/time.ts';
import type { FixConnection } from '../transport.ts';
import type { SessionConfig } from './types.ts';

// Header fields the session writes itself; the rest of a message is body (or caller's header extras).
export const SESSION_HEADER = new Set([8, 9, 10, 34, 35, 43, 49, 52, 56, 122]);

/** A caller's extra fields, without the header and trailer fields the session writes itself. */
export function bodyOnly(extra: readonly Field[]): Field[] {
  return extra.filter((f) => !SESSION_HEADER.has(f.tag) && f.tag !== 58);
}

/** What the writer reads of its session: the (possibly late, on an acceptor) config and the connection. */
export interface WriterHost {
  readonly config: SessionConfig | undefined;
  readonly connection: FixConnection | undefined;
}

export class SessionWriter {
  /** When we last wrote anything (the heartbeat timer's clock). */
  lastSent = Date.now();
  readonly #host: WriterHost;
  constructor(host: WriterHost) { this.#host = host; }

  get #cfg(): SessionConfig { return this.#host.config!; }
  get beginString(): string { return this.#host.config?.beginString ?? 'FIX.4.4'; }

  header(msgType: string, seqNum: number, extra: Field[] = []): Field[] {
    return [
      { tag: 35, value: msgType },
      { tag: 34, value: String(seqNum) },
      { tag: 49, value: this.#cfg.senderCompId },
      { tag: 52, value: utcTimestamp() },
      { tag: 56, value: this.#cfg.targetCompId },
      ...extra,
    ];
  }

  write(bytes: Buffer): void {
    this.lastSent = Date.now();
    const s = this.#host.connection?.socket;
    if (s && !s.destroyed && s.writable) s.write(bytes);
  }

  /** Sends with the next MsgSeqNum, saving the message first so a crash after the write can still resend it. */
  sendRaw(msgType: string, body: Field[], headerExtra: Field[] = []): number {
    const store = this.#cfg.store;
    const seq = store.getNextSenderSeqNum();
    const bytes = encodeMessage(this.beginString, [...this.header(msgType, seq, headerExtra), ...body]);
    store.saveSent(seq, bytes);
    this.write(bytes);
    return seq;
  }

  /** A Logout refusing a Logon: not stored and no sequence number consumed, the session never started. */
  refusal(text: string, extra: Field[]): void {
    const bytes = encodeMessage(this.beginString, [...this.header('5', this.#cfg.store.getNextSenderSeqNum()), { tag: 58, value: text }, ...bodyOnly(extra)]);
    this.write(bytes);
  }

  sequenceReset(begin: number, newSeqNo: number): void {
    const now = utcTimestamp();
    const bytes = encodeMessage(this.beginString, [
      { tag: 35, value: '4' }, { tag: 34, value: String(begin) }, { tag: 43, value: 'Y' },
      { tag: 49, value: this.#cfg.senderCompId }, { tag: 52, value: now }, { tag: 56, value: this.#cfg.targetCompId },
      { tag: 122, value: now }, { tag: 36, value: String(newSeqNo) }, { tag: 123, value: 'Y' },
    ]);
    this.write(bytes);
  }

  /** A stored message again, as a possible duplicate: PossDupFlag=Y, OrigSendingTime = its SendingTime. */
  resend(stored: FixMessage): void {
    const orig = stored.get(52) ?? utcTimestamp();
    const fields: Field[] = [
      { tag: 35, value: stored.msgType }, { tag: 34, value: String(stored.seqNum) }, { tag: 43, value: 'Y' },
      { tag: 49, value: this.#cfg.senderCompId }, { tag: 52, value: utcTimestamp() }, { tag: 56, value: this.#cfg.targetCompId },
      { tag: 122, value: orig },
    ];
    for (const f of stored.fields) if (!SESSION_HEADER.has(f.tag)) fields.push(f);
    this.write(encodeMessage(this.beginString, fields));
  }
}
