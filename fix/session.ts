/**
 * FIX 4.4 session layer (initiator and acceptor), over mutual TLS (fix/transport.ts) or a plain socket in tests.
 * Its behaviour follows the FIX 4.4 session protocol as QuickFIX implements it, which is what the acceptance
 * definitions in ../shared/fix/acceptance/fix44 encode (see docs/conformance.md).
 *
 * API
 *   interface SessionConfig   one side's view: senderCompId is *us*, targetCompId the peer.
 *   class FixSession extends EventEmitter
 *     events  'logon' (logonMsg: FixMessage)       the session is active
 *             'message' (msg: FixMessage)          application messages only, in MsgSeqNum order, exactly once
 *             'logout' (text?: string, msg)        the peer logged out (or answered ours), or refused our Logon: a
 *                                                  Logout before the Logon exchange is not answered, and not
 *                                                  counted (no session was established); msg carries its fields
 *             'reject' (info: RejectInfo)          a session-level Reject we sent or received
 *             'event' (text: string)               diagnostics worth logging (garbled input, gaps, timeouts)
 *             'error' (err: Error)                 only emitted when someone listens
 *             'closed' (reason: string)            the connection is gone; emitted once
 *     send(msgType, body) → MsgSeqNum              persisted in the store before it is written; throws before the
 *                                                  'logon' event; after 'closed' it goes out on the session that
 *                                                  took this one over (same registry key and store) if that one is
 *                                                  active; otherwise it is stored (and resent to the peer on its
 *                                                  ResendRequest next time) but not written
 *     businessReject(msg, reason, text)            BusinessMessageReject(j) for an application message
 *     logout(text?, extraFields?) → Promise<void>  resolves when the connection is closed (the peer's answer,
 *                                                  or logoutTimeoutMs); extraFields go on the Logout
 *     disconnect(reason)                           drops the connection now, without a Logout
 *     state   'connecting' | 'logon-sent' | 'active' | 'logout-sent' | 'closed'
 *     connection, config (undefined on an acceptor until the Logon named the session)
 *   acceptSession(conn, { lookup, authorizeLogon?, logonTimeoutMs?, registry?, maxMessageSize?, takeOverSameCertificate? }) → FixSession
 *     lookup(senderCompId, targetCompId) gets the *incoming Logon's* 49 and 56 (the peer, then us) and
 *     returns our SessionConfig (senderCompId = us) or undefined to refuse. Before answering the Logon the
 *     acceptor checks, in order: the certificate→CompID binding (conn.allowedCompIds must contain the Logon's
 *     SenderCompID; a refusal is a Logout with Text), that the session is not already logged on (QuickFIX
 *     disconnects the second), the dictionary, SendingTime, and then `authorizeLogon` (extra fields go on
 *     our Logon reply; { ok: false, text, extraFields? } is answered with a Logout carrying that text and those fields).
 *     takeOverSameCertificate (opt-in; off is QuickFIX's behaviour): a Logon for a session already logged on,
 *     over a connection whose client certificate has the same public key as the live one's, passes every check
 *     above and then TAKES OVER the session: the live connection is dropped (closed reason "taken over by a new
 *     connection from <addr>") and the newcomer continues the same session — same store, sequence numbers and
 *     resend, no reset. For a client whose address changed while the old TCP connection still looks alive.
 *     Another certificate is refused as before.
 *   initiateSession(conn, cfg & { logonFields? }) → FixSession   sends the Logon at once.
 *   new SessionRegistry()   which sessions are logged on; sessions sharing one refuse duplicate logons.
 */
import { EventEmitter } from 'node:events';
import { decodeMessage, encodeMessage, type Field, FixMessage } from './codec.ts';
import { fix44Dictionary, type Dictionary } from './dictionary/dictionary.ts';
import { GarbledMessageError } from './errors.ts';
import { FixFramer, type FrameResult } from './framer.ts';
import { parseUtcTimestampMs as parseUtcTimestamp, utcTimestamp } from './protocol/time.ts';
import type { MessageStore } from './store.ts';
import type { FixConnection } from './transport.ts';
import { validateMessage } from './validate.ts';

export interface SessionConfig {
  senderCompId: string;
  targetCompId: string;
  beginString?: 'FIX.4.4';
  /** seconds; an acceptor uses the peer's Logon value */
  heartBtInt: number;
  resetOnLogon?: boolean;
  logonTimeoutMs?: number;
  /** how long we wait for the answer to our Logout before closing, default 2000 */
  logoutTimeoutMs?: number;
  /** default 120 */
  sendingTimeToleranceSec?: number;
  /** reset both sequence numbers at this UTC time of day ("HH:MM" or "HH:MM:SS"), logging out a session still active */
  dailyReset?: { atUtc: string };
  /** default true; false accepts `tag=` with an empty value */
  checkFieldsHaveValues?: boolean;
  maxMessageSize?: number;
  store: MessageStore;
  dictionary?: Dictionary;
  /** milliseconds per HeartBtInt second; 1000 except in tests that compress time */
  heartbeatUnitMs?: number;
}
export type SessionState = 'connecting' | 'logon-sent' | 'active' | 'logout-sent' | 'closed';
export interface RejectInfo {
  direction: 'sent' | 'received';
  refSeqNum?: number;
  refMsgType?: string;
  reason?: number;
  refTagId?: number;
  text?: string;
}
export type LogonDecision = { ok: true; extraFields?: Field[] } | { ok: false; text: string; extraFields?: Field[] };
export interface AcceptOptions {
  lookup: (senderCompId: string, targetCompId: string) => SessionConfig | undefined;
  authorizeLogon?: (logon: FixMessage, conn: FixConnection) => Promise<LogonDecision>;
  logonTimeoutMs?: number;
  registry?: SessionRegistry;
  /** size limit of the stream before the Logon names the session (default 64 KiB); a session's own
   *  SessionConfig.maxMessageSize can only lower it */
  maxMessageSize?: number;
  /** See the API notes: a Logon with the same certificate key takes over a session already logged on. */
  takeOverSameCertificate?: boolean;
}

/** The reason a session's connection is closed when a newer connection took the session over. */
export const TAKEN_OVER = 'taken over by a new connection from';

/** Both connections present a client certificate with the same public key (proved in each TLS handshake). */
export function sameCertificateKey(a: FixConnection | undefined, b: FixConnection | undefined): boolean {
  const x = a?.peerCertificate;
  const y = b?.peerCertificate;
  if (!x || !y) return false;
  if (x.fingerprint256 === y.fingerprint256) return true;
  try {
    return x.publicKey.export({ type: 'spki', format: 'der' }).equals(y.publicKey.export({ type: 'spki', format: 'der' }));
  } catch {
    return false;
  }
}

export class SessionRegistry {
  #active = new Map<string, FixSession>();
  claim(key: string, s: FixSession): boolean {
    const cur = this.#active.get(key);
    if (cur && cur !== s && cur.state !== 'closed') return false;
    this.#active.set(key, s);
    return true;
  }
  /** Makes `s` the session for `key` whatever holds it now (the caller has ended the previous holder). */
  takeOver(key: string, s: FixSession): void {
    this.#active.set(key, s);
  }
  release(key: string, s: FixSession): void {
    if (this.#active.get(key) === s) this.#active.delete(key);
  }
  get(key: string): FixSession | undefined { return this.#active.get(key); }
  readonly #takingOver = new Set<string>();
  /** One takeover Logon per session is authorised at a time; false while another is. */
  beginTakeover(key: string): boolean {
    if (this.#takingOver.has(key)) return false;
    this.#takingOver.add(key);
    return true;
  }
  endTakeover(key: string): void { this.#takingOver.delete(key); }
}
const defaultRegistry = new SessionRegistry();

// Session-level message types (everything else is an application message).
const ADMIN = new Set(['0', '1', '2', '3', '4', '5', 'A']);
const MAX_QUEUED = 10_000;
// Header fields the session writes itself; the rest of a message is body (or caller's header extras).
const SESSION_HEADER = new Set([8, 9, 10, 34, 35, 43, 49, 52, 56, 122]);
// Routing fields swapped on a Reject: OnBehalfOf* ↔ DeliverTo*.
const ROUTE_SWAP: ReadonlyArray<[number, number]> = [[115, 128], [116, 129], [144, 145], [128, 115], [129, 116], [145, 144]];

const REJECT_TEXT: Record<number, string> = {
  0: 'Invalid tag number', 1: 'Required tag missing', 2: 'Tag not defined for this message type', 3: 'Undefined Tag',
  4: 'Tag specified without a value', 5: 'Value is incorrect (out of range) for this tag', 6: 'Incorrect data format for value',
  7: 'Decryption problem', 8: 'Signature problem', 9: 'CompID problem', 10: 'SendingTime accuracy problem',
  11: 'Invalid MsgType', 13: 'Tag appears more than once', 14: 'Tag specified out of required order',
  15: 'Repeating group fields out of order', 16: 'Incorrect NumInGroup count for repeating group',
  17: 'Non Data value includes field delimiter',
};

// The one strict UTCTimestamp parser / formatter (fix/protocol/time.ts); exported here under the names the
// session always had (parseUtcTimestamp → epoch ms).
export { parseUtcTimestamp, utcTimestamp };

type Role = 'acceptor' | 'initiator';

/** A caller's extra fields, without the header and trailer fields the session writes itself. */
function bodyOnly(extra: readonly Field[]): Field[] {
  return extra.filter((f) => !SESSION_HEADER.has(f.tag) && f.tag !== 58);
}

export class FixSession extends EventEmitter {
  connection: FixConnection | undefined;
  config: SessionConfig | undefined;
  readonly role: Role;
  #state: SessionState = 'connecting';
  #framer: FixFramer;
  #inbox: FrameResult[] = [];
  #busy = false;
  #queue = new Map<number, FixMessage>();
  #resendRange: [number, number] | null = null;
  #receivedLogon = false;
  #sentLogon = false;
  #sentLogout = false;
  #sentReset = false;
  #receivedReset = false;
  #hbMs = 0;
  #lastSent = Date.now();
  #lastRecv = Date.now();
  #testRequests = 0;
  #startedAt = Date.now();
  #logoutAt = 0;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  #closeWaiters: Array<() => void> = [];
  #accept: AcceptOptions | undefined;
  #registry: SessionRegistry;
  #registryKey: string | undefined;
  #nextDailyReset = 0;

  constructor(conn: FixConnection, role: Role, cfg: SessionConfig | undefined, accept?: AcceptOptions) {
    super();
    this.connection = conn;
    this.role = role;
    this.config = cfg;
    this.#accept = accept;
    this.#registry = accept?.registry ?? defaultRegistry;
    this.#framer = new FixFramer({ maxMessageSize: cfg?.maxMessageSize ?? accept?.maxMessageSize ?? 64 * 1024 });
    const sock = conn.socket;
    sock.on('data', (chunk: Buffer) => {
      for (const f of this.#framer.push(chunk)) this.#inbox.push(f);
      // Frames pile up only while an async Logon check runs; a peer that floods meanwhile is cut off.
      if (this.#inbox.length > MAX_QUEUED) { this.disconnect('too many messages before the Logon was answered'); return; }
      this.#pump();
    });
    sock.on('error', (e: Error) => { this.#event(`socket error: ${e.message}`); });
    sock.on('close', () => this.#finish('connection closed'));
    sock.on('end', () => { this.#finish('peer closed the connection'); });
    this.#startTimer(100);
  }

  get state(): SessionState { return this.#state; }
  get #cfg(): SessionConfig { return this.config!; }
  get #store(): MessageStore { return this.config!.store; }
  get #unit(): number { return this.config?.heartbeatUnitMs ?? 1000; }
  get #dict(): Dictionary { return this.config?.dictionary ?? fix44Dictionary(); }
  get #beginString(): string { return this.config?.beginString ?? 'FIX.4.4'; }

  // ---------------------------------------------------------------- outbound
  #header(msgType: string, seqNum: number, extra: Field[] = []): Field[] {
    return [
      { tag: 35, value: msgType },
      { tag: 34, value: String(seqNum) },
      { tag: 49, value: this.#cfg.senderCompId },
      { tag: 52, value: utcTimestamp() },
      { tag: 56, value: this.#cfg.targetCompId },
      ...extra,
    ];
  }

  #write(bytes: Buffer): void {
    this.#lastSent = Date.now();
    const s = this.connection?.socket;
    if (s && !s.destroyed && s.writable) s.write(bytes);
  }

  /** Sends with the next MsgSeqNum, saving the message first so a crash after the write can still resend it. */
  #sendRaw(msgType: string, body: Field[], headerExtra: Field[] = []): number {
    const store = this.#store;
    const seq = store.getNextSenderSeqNum();
    const bytes = encodeMessage(this.#beginString, [...this.#header(msgType, seq, headerExtra), ...body]);
    store.saveSent(seq, bytes);
    this.#write(bytes);
    return seq;
  }

  send(msgType: string, body: Field[]): number {
    if (!this.config) throw new Error('send: the session is not established');
    if (this.#state === 'connecting' || this.#state === 'logon-sent') throw new Error('send: wait for the logon event');
    // Taken over (or resumed) by a newer connection that is logged on with the same store: the message takes
    // that session's next MsgSeqNum, so it must go out there. Stored only, it would be a gap the peer notices at
    // the next message it gets (a heartbeat later) and recovers as a late PossDup resend.
    const heir = this.#closed ? this.#heir() : undefined;
    if (heir) return heir.send(msgType, body);
    const extra: Field[] = [];
    const rest: Field[] = [];
    for (const f of body) {
      if (SESSION_HEADER.has(f.tag)) continue;
      (this.#dict.isHeaderField(f.tag) ? extra : rest).push(f);
    }
    return this.#sendRaw(msgType, rest, extra);
  }

  /** The active session that now holds this closed session's registry key and store, if any. */
  #heir(): FixSession | undefined {
    const next = this.#registryKey ? this.#registry.get(this.#registryKey) : undefined;
    return next && next !== this && next.state === 'active' && next.config?.store === this.config?.store ? next : undefined;
  }

  businessReject(msg: FixMessage, reason: number, text: string): number {
    const body: Field[] = [];
    const seq = msg.get(34);
    if (seq) body.push({ tag: 45, value: seq });
    body.push({ tag: 58, value: text });
    body.push({ tag: 372, value: msg.msgType });
    body.push({ tag: 380, value: String(reason) });
    return this.#sendRaw('j', body);
  }

  logout(text?: string, extraFields: Field[] = []): Promise<void> {
    if (this.#closed) return Promise.resolve();
    const done = new Promise<void>((resolve) => this.#closeWaiters.push(resolve));
    if (this.#receivedLogon && !this.#sentLogout) this.#generateLogout(text, extraFields);
    else if (!this.#receivedLogon) this.disconnect('logout before logon');
    return done;
  }

  #generateLogout(text?: string, extra: Field[] = []): void {
    this.#sendRaw('5', [...(text ? [{ tag: 58, value: text }] : []), ...bodyOnly(extra)]);
    this.#sentLogout = true;
    this.#logoutAt = Date.now();
    if (this.#state !== 'closed') this.#state = 'logout-sent';
  }

  #generateHeartbeat(testReqId?: string): void {
    this.#sendRaw('0', testReqId !== undefined ? [{ tag: 112, value: testReqId }] : []);
  }

  #generateLogon(extra: Field[] = []): void {
    const body: Field[] = [{ tag: 98, value: '0' }, { tag: 108, value: String(this.#hbMs / this.#unit) }];
    if (this.role === 'initiator' ? this.#sentReset : this.#receivedReset) body.push({ tag: 141, value: 'Y' });
    this.#sendRaw('A', [...body, ...extra]);
    this.#sentLogon = true;
  }

  #generateReject(msg: FixMessage, reason: number, refTag?: number, text?: string): void {
    const msgType = msg.get(35) ?? '';
    const refSeq = msg.get(34);
    const body: Field[] = [];
    if (refSeq) body.push({ tag: 45, value: refSeq });
    body.push({ tag: 58, value: text ?? REJECT_TEXT[reason] ?? 'Rejected' });
    if (refTag !== undefined) body.push({ tag: 371, value: String(refTag) });
    if (msgType) body.push({ tag: 372, value: msgType });
    body.push({ tag: 373, value: String(reason) });
    const route: Field[] = [];
    for (const [from, to] of ROUTE_SWAP) {
      const v = msg.get(from);
      if (v) route.push({ tag: to, value: v });
    }
    if (msgType !== 'A' && msgType !== '4' && msg.seqNum === this.#store.getNextTargetSeqNum()) this.#store.incrNextTargetSeqNum();
    if (!this.#receivedLogon) {
      this.disconnect(`rejected before logon: ${REJECT_TEXT[reason] ?? reason}`);
      return;
    }
    this.#sendRaw('3', body, route);
    this.emit('reject', { direction: 'sent', refSeqNum: refSeq ? Number(refSeq) : undefined, refMsgType: msgType, reason, refTagId: refTag, text: body[refSeq ? 1 : 0]!.value } satisfies RejectInfo);
  }

  #generateResendRequest(seqNum: number): void {
    const begin = this.#store.getNextTargetSeqNum();
    this.#sendRaw('2', [{ tag: 7, value: String(begin) }, { tag: 16, value: '0' }]);
    this.#resendRange = [begin, seqNum - 1];
    this.#event(`sent ResendRequest ${begin}..${seqNum - 1}`);
  }

  #generateSequenceReset(begin: number, newSeqNo: number): void {
    const now = utcTimestamp();
    const bytes = encodeMessage(this.#beginString, [
      { tag: 35, value: '4' }, { tag: 34, value: String(begin) }, { tag: 43, value: 'Y' },
      { tag: 49, value: this.#cfg.senderCompId }, { tag: 52, value: now }, { tag: 56, value: this.#cfg.targetCompId },
      { tag: 122, value: now }, { tag: 36, value: String(newSeqNo) }, { tag: 123, value: 'Y' },
    ]);
    this.#write(bytes);
  }

  /** A stored message again, as a possible duplicate: PossDupFlag=Y, OrigSendingTime = its SendingTime. */
  #resend(stored: FixMessage): void {
    const orig = stored.get(52) ?? utcTimestamp();
    const fields: Field[] = [
      { tag: 35, value: stored.msgType }, { tag: 34, value: String(stored.seqNum) }, { tag: 43, value: 'Y' },
      { tag: 49, value: this.#cfg.senderCompId }, { tag: 52, value: utcTimestamp() }, { tag: 56, value: this.#cfg.targetCompId },
      { tag: 122, value: orig },
    ];
    for (const f of stored.fields) if (!SESSION_HEADER.has(f.tag)) fields.push(f);
    this.#write(encodeMessage(this.#beginString, fields));
  }

  // ---------------------------------------------------------------- inbound
  #pump(): void {
    while (!this.#busy && this.#inbox.length && !this.#closed) {
      const frame = this.#inbox.shift()!;
      let r: void | Promise<void>;
      try {
        r = this.#onFrame(frame);
      } catch (e) {
        this.#emitError(e as Error);
        this.disconnect(`internal error: ${(e as Error).message}`);
        return;
      }
      if (r instanceof Promise) {
        this.#busy = true;
        r.catch((e: unknown) => { this.#emitError(e as Error); this.disconnect('internal error'); })
          .finally(() => { this.#busy = false; this.#pump(); });
      }
    }
  }

  #onFrame(frame: FrameResult): void | Promise<void> {
    if (!frame.ok) {
      if (frame.reason === 'too-large') {
        this.#event(`message over the size limit: ${frame.detail}`);
        if (this.#receivedLogon && !this.#sentLogout) this.#generateLogout('Message exceeds the size limit');
        this.disconnect('message over the size limit');
        return;
      }
      return this.#garbled(frame.detail);
    }
    // The framer's limit was fixed before the Logon named the session; a session may set a lower one.
    const limit = this.config?.maxMessageSize;
    if (limit !== undefined && frame.bytes.length > limit) {
      return this.#onFrame({ ok: false, reason: 'too-large', detail: `${frame.bytes.length} bytes > ${limit}` });
    }
    let msg: FixMessage;
    try {
      msg = decodeMessage(frame.bytes);
    } catch (e) {
      if (e instanceof GarbledMessageError) return this.#garbled(e.message);
      throw e;
    }
    if (!this.#receivedLogon && this.role === 'acceptor' && !this.config) return this.#firstMessage(msg);
    this.#next(msg, false);
  }

  #garbled(detail: string): void {
    this.#event(`garbled message ignored: ${detail}`);
    // Before a Logon there is no session to keep: whatever this is, it is not a FIX peer speaking to us.
    if (!this.#receivedLogon) this.disconnect(`garbled input before logon: ${detail}`);
  }

  async #firstMessage(msg: FixMessage): Promise<void> {
    const acc = this.#accept!;
    if (msg.get(8) !== 'FIX.4.4') return this.disconnect(`first message has BeginString ${msg.get(8)}`);
    if (msg.msgType !== 'A') return this.disconnect('first message is not a Logon');
    const peer = msg.get(49) ?? '';
    const us = msg.get(56) ?? '';
    const cfg = acc.lookup(peer, us);
    if (!cfg || cfg.senderCompId !== us || cfg.targetCompId !== peer) return this.disconnect(`no session ${peer}->${us}`);
    this.config = cfg;
    const allowed = this.connection?.allowedCompIds;
    if (allowed && !allowed.includes(peer)) {
      return this.#refuseLogon(`certificate is not authorised for SenderCompID ${peer}`);
    }
    const key = `${cfg.senderCompId}|${cfg.targetCompId}`;
    // A takeover is only decided once this Logon has passed every check (authorizeLogon included): a Logon
    // that fails them must not cost the live connection anything.
    let takingOver = false;
    if (!this.#registry.claim(key, this)) {
      if (!acc.takeOverSameCertificate || !sameCertificateKey(this.#registry.get(key)?.connection, this.connection)) {
        this.config = undefined;
        return this.disconnect(`session ${peer}->${us} is already logged on`);
      }
      // Only a session that is logged on can be taken over, by one Logon at a time: parallel Logons with the same
      // certificate must not each run authorizeLogon (a password check each) at once.
      if (this.#registry.get(key)?.state === 'connecting' || !this.#registry.beginTakeover(key)) {
        this.config = undefined;
        return this.disconnect(`session ${peer}->${us} is already logging on`);
      }
      takingOver = true;
    } else {
      this.#registryKey = key;
    }
    try {
      await this.#authorizeFirstLogon(msg, cfg, key, peer, us, takingOver);
    } finally {
      if (takingOver) this.#registry.endTakeover(key);
    }
  }

  async #authorizeFirstLogon(msg: FixMessage, cfg: SessionConfig, key: string, peer: string, us: string, takingOver: boolean): Promise<void> {
    const acc = this.#accept!;
    const rej = validateMessage(msg, this.#dict, { checkFieldsHaveValues: cfg.checkFieldsHaveValues ?? true });
    if (rej) return this.disconnect(`invalid Logon: ${rej.text}`);
    const hb = msg.getInt(108);
    if (hb === undefined || hb < 0 || hb > 3600) return this.disconnect('invalid HeartBtInt');
    if (!this.#goodTime(msg)) return this.disconnect('Logon SendingTime accuracy problem');
    let extra: Field[] = [];
    if (acc.authorizeLogon) {
      const d = await acc.authorizeLogon(msg, this.connection!);
      if (this.#closed) return;
      if (!d.ok) return this.#refuseLogon(d.text, d.extraFields);
      extra = d.extraFields ?? [];
    }
    if (takingOver && !this.#takeOver(key, peer, us)) return;
    this.#nextLogon(msg, extra);
  }

  /** Drops the live connection of the session (if it still has one) and makes this one the session's. */
  #takeOver(key: string, peer: string, us: string): boolean {
    const live = this.#registry.get(key);
    const from = (this.connection?.remoteAddress ?? 'unknown').replace(/^::ffff:/, '');
    if (live && live !== this && live.state !== 'closed') {
      // Re-checked: while this Logon was being authorised another connection may have taken the session.
      if (!sameCertificateKey(live.connection, this.connection)) {
        this.config = undefined;
        this.disconnect(`session ${peer}->${us} is already logged on`);
        return false;
      }
      const was = (live.connection?.remoteAddress ?? 'unknown').replace(/^::ffff:/, '');
      live.disconnect(`${TAKEN_OVER} ${from}`);
      this.#event(`session ${peer}->${us} taken over from the connection from ${was}`);
    }
    this.#registry.takeOver(key, this);
    this.#registryKey = key;
    return true;
  }

  #refuseLogon(text: string, extra: Field[] = []): void {
    // Not stored and no sequence number consumed: the session never started.
    const bytes = encodeMessage(this.#beginString, [...this.#header('5', this.#store.getNextSenderSeqNum()), { tag: 58, value: text }, ...bodyOnly(extra)]);
    this.#write(bytes);
    this.disconnect(`logon refused: ${text}`);
  }

  #next(msg: FixMessage, queued: boolean): void {
    if (this.#closed) return;
    const msgType = msg.msgType;
    if (msg.get(8) !== this.#beginString) {
      if (msgType === '5') { this.#nextLogout(msg); return; }
      if (!this.#receivedLogon) { this.disconnect('wrong BeginString'); return; }
      // As QuickFIX: Logout, then wait (logoutTimeoutMs) for the peer's Logout before closing.
      this.#generateLogout('Incorrect BeginString');
      this.#store.incrNextTargetSeqNum();
      return;
    }
    const rej = validateMessage(msg, this.#dict, { checkFieldsHaveValues: this.#cfg.checkFieldsHaveValues ?? true });
    if (rej) {
      if (msgType === 'A') { this.disconnect(`invalid Logon: ${rej.text}`); return; }
      this.#generateReject(msg, rej.reason, rej.refTagId, rej.text);
    } else {
      switch (msgType) {
        case 'A': this.#nextLogon(msg, []); break;
        case '0': if (this.#verify(msg, true, true)) { this.#store.incrNextTargetSeqNum(); } break;
        case '1': this.#nextTestRequest(msg); break;
        case '2': this.#nextResendRequest(msg); break;
        case '3': this.#nextReject(msg); break;
        case '4': this.#nextSequenceReset(msg); break;
        case '5': this.#nextLogout(msg); break;
        default:
          if (this.#verify(msg, true, true)) {
            this.#store.incrNextTargetSeqNum();
            this.emit('message', msg);
          }
      }
    }
    if (!queued) this.#nextQueued();
  }

  #nextQueued(): void {
    for (let guard = 0; guard < MAX_QUEUED && !this.#closed; guard++) {
      const expected = this.#store.getNextTargetSeqNum();
      for (const k of this.#queue.keys()) if (k < expected) this.#queue.delete(k);
      const msg = this.#queue.get(expected);
      if (!msg) return;
      this.#queue.delete(expected);
      this.#event(`processing queued message ${expected}`);
      if (msg.msgType === 'A' || msg.msgType === '2') this.#store.incrNextTargetSeqNum();
      else this.#next(msg, true);
    }
  }

  #goodTime(msg: FixMessage): boolean {
    const t = parseUtcTimestamp(msg.get(52) ?? '');
    if (t === undefined) return false;
    return Math.abs(Date.now() - t) <= (this.config?.sendingTimeToleranceSec ?? 120) * 1000;
  }

  #verify(msg: FixMessage, checkTooHigh: boolean, checkTooLow: boolean): boolean {
    const msgType = msg.msgType;
    // Before the Logon exchange only a Logon, or a Logout answering ours (a refusal), is acceptable.
    if (!this.#receivedLogon && msgType !== 'A' && !(msgType === '5' && this.#sentLogon)) {
      this.disconnect('message before Logon');
      return false;
    }
    if (!this.#goodTime(msg)) {
      this.#generateReject(msg, 10);
      if (!this.#closed) this.#generateLogout();
      return false;
    }
    if (msg.get(49) !== this.#cfg.targetCompId || msg.get(56) !== this.#cfg.senderCompId) {
      this.#generateReject(msg, 9);
      if (!this.#closed) this.#generateLogout();
      return false;
    }
    const seq = msg.seqNum;
    const expected = this.#store.getNextTargetSeqNum();
    if (checkTooHigh && seq > expected) {
      this.#doTargetTooHigh(msg);
      return false;
    }
    if (checkTooLow && seq < expected) {
      this.#doTargetTooLow(msg);
      return false;
    }
    if ((checkTooHigh || checkTooLow) && this.#resendRange && seq >= this.#resendRange[1]) {
      this.#event(`ResendRequest ${this.#resendRange[0]}..${this.#resendRange[1]} satisfied`);
      this.#resendRange = null;
    }
    this.#lastRecv = Date.now();
    this.#testRequests = 0;
    return true;
  }

  #doTargetTooHigh(msg: FixMessage): void {
    const seq = msg.seqNum;
    this.#event(`MsgSeqNum too high, expecting ${this.#store.getNextTargetSeqNum()} but received ${seq}`);
    if (this.#queue.size >= MAX_QUEUED) {
      this.#generateLogout('Too many messages queued for a gap');
      this.disconnect('queue overflow');
      return;
    }
    this.#queue.set(seq, msg);
    this.#lastRecv = Date.now();
    if (this.#resendRange && seq >= this.#resendRange[0]) return;
    this.#generateResendRequest(seq);
  }

  #doTargetTooLow(msg: FixMessage): void {
    const seq = msg.seqNum;
    if (msg.get(43) !== 'Y') {
      const text = `MsgSeqNum too low, expecting ${this.#store.getNextTargetSeqNum()} but received ${seq}`;
      this.#generateLogout(text);
      this.disconnect(text);
      return;
    }
    // A possible duplicate of something already processed: check it, then drop it.
    if (msg.msgType !== '4') {
      const orig = msg.get(122);
      if (orig === undefined) { this.#generateReject(msg, 1, 122); return; }
      const o = parseUtcTimestamp(orig);
      const s = parseUtcTimestamp(msg.get(52) ?? '');
      if (o === undefined || s === undefined || o > s) {
        this.#generateReject(msg, 10);
        if (!this.#closed) this.#generateLogout();
      }
    }
    this.#lastRecv = Date.now();
  }

  #nextLogon(msg: FixMessage, extra: Field[]): void {
    const store = this.#store;
    const resetFlag = msg.get(141) === 'Y';
    this.#receivedReset = resetFlag;
    if (resetFlag && !this.#sentReset) {
      this.#event('Logon with ResetSeqNumFlag=Y: sequence numbers reset to 1');
      store.reset();
      this.#queue.clear();
      this.#resendRange = null;
    }
    if (this.role === 'acceptor' && this.#cfg.resetOnLogon && !this.#receivedLogon) {
      store.reset();
      this.#queue.clear();
    }
    if (!this.#verify(msg, false, true)) return;
    const first = !this.#receivedLogon;
    this.#receivedLogon = true;
    if (this.role === 'acceptor' || (this.#receivedReset && !this.#sentReset)) {
      if (this.role === 'acceptor') this.#hbMs = (msg.getInt(108) ?? 0) * this.#unit;
      this.#generateLogon(extra);
    }
    this.#sentReset = false;
    this.#receivedReset = false;
    this.#state = 'active';
    this.#lastRecv = Date.now();
    if (this.#hbMs > 0) this.#startTimer(Math.min(500, Math.max(10, Math.floor(this.#hbMs / 20))));
    if (first) this.#scheduleDailyReset();
    if (msg.seqNum > store.getNextTargetSeqNum() && !resetFlag) this.#doTargetTooHigh(msg);
    else { store.incrNextTargetSeqNum(); this.#nextQueued(); }
    this.emit('logon', msg);
  }

  #nextTestRequest(msg: FixMessage): void {
    if (!this.#verify(msg, true, true)) return;
    this.#generateHeartbeat(msg.get(112) ?? '');
    this.#store.incrNextTargetSeqNum();
  }

  #nextLogout(msg: FixMessage): void {
    if (!this.#verify(msg, false, false)) return;
    const text = msg.get(58);
    if (!this.#receivedLogon) {
      // A refusal of our Logon: no session was established, so it is neither answered nor counted (the
      // acceptor did not store it either), and the next Logon starts from the same sequence numbers.
      this.emit('logout', text, msg);
      this.disconnect('logged out');
      return;
    }
    if (!this.#sentLogout) this.#generateLogout();
    this.#store.incrNextTargetSeqNum();
    this.emit('logout', text, msg);
    this.disconnect('logged out');
  }

  #nextReject(msg: FixMessage): void {
    if (!this.#verify(msg, false, true)) return;
    this.#store.incrNextTargetSeqNum();
    const g = (t: number): number | undefined => msg.getInt(t);
    this.emit('reject', { direction: 'received', refSeqNum: g(45), refMsgType: msg.get(372), reason: g(373), refTagId: g(371), text: msg.get(58) } satisfies RejectInfo);
  }

  #nextSequenceReset(msg: FixMessage): void {
    const gapFill = msg.get(123) === 'Y';
    if (!this.#verify(msg, gapFill, gapFill)) return;
    const newSeqNo = msg.getInt(36);
    if (newSeqNo === undefined) return;
    this.#event(`received SequenceReset${gapFill ? '-GapFill' : ''} to ${newSeqNo}`);
    const expected = this.#store.getNextTargetSeqNum();
    if (newSeqNo > expected) this.#store.setNextTargetSeqNum(newSeqNo);
    else if (newSeqNo < expected) this.#generateReject(msg, 5);
  }

  #nextResendRequest(msg: FixMessage): void {
    if (!this.#verify(msg, false, false)) return;
    const store = this.#store;
    const begin = msg.getInt(7) ?? 1;
    let end = msg.getInt(16) ?? 0;
    const nextSender = store.getNextSenderSeqNum();
    if (end === 0 || end >= nextSender) end = nextSender - 1;
    this.#event(`received ResendRequest ${begin}..${end}`);
    let gapStart = 0;
    let current = begin;
    let last = 0;
    if (begin >= 1 && begin <= end) {
      for (const s of store.getSent(begin, end)) {
        let stored: FixMessage;
        try { stored = decodeMessage(s.bytes); } catch { continue; }
        last = s.seqNum;
        if (current !== s.seqNum && !gapStart) gapStart = current;
        if (ADMIN.has(stored.msgType)) {
          if (!gapStart) gapStart = s.seqNum;
        } else {
          if (gapStart) this.#generateSequenceReset(gapStart, s.seqNum);
          this.#resend(stored);
          gapStart = 0;
        }
        current = s.seqNum + 1;
      }
    }
    if (gapStart) this.#generateSequenceReset(gapStart, last + 1);
    if (end > last) this.#generateSequenceReset(begin, Math.min(end + 1, nextSender));
    const seq = msg.seqNum;
    if (seq === store.getNextTargetSeqNum()) store.incrNextTargetSeqNum();
  }

  // ---------------------------------------------------------------- timers and teardown
  #scheduleDailyReset(): void {
    const at = this.config?.dailyReset?.atUtc;
    if (!at) return;
    const m = /^(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(at);
    if (!m) return;
    const now = new Date();
    let t = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), +m[1]!, +m[2]!, +(m[3] ?? 0));
    if (t <= now.getTime()) t += 86_400_000;
    this.#nextDailyReset = t;
  }

  /** Ticks often enough that a heartbeat comes due well before the TestRequest threshold (1.2 × HeartBtInt). */
  #startTimer(periodMs: number): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = setInterval(() => this.#tick(), periodMs);
    this.#timer.unref();
  }

  #tick(): void {
    if (this.#closed) return;
    const now = Date.now();
    if (!this.#receivedLogon) {
      const limit = this.config?.logonTimeoutMs ?? this.#accept?.logonTimeoutMs ?? 10_000;
      if (now - this.#startedAt >= limit) this.disconnect('logon timed out');
      return;
    }
    if (this.#sentLogout) {
      if (now - this.#logoutAt >= (this.config?.logoutTimeoutMs ?? 2000)) this.disconnect('logout timed out');
      return;
    }
    if (this.#nextDailyReset && now >= this.#nextDailyReset) {
      this.#nextDailyReset = 0;
      this.#generateLogout('Daily session reset');
      this.#store.reset();
      this.disconnect('daily reset');
      return;
    }
    const hb = this.#hbMs;
    if (hb <= 0) return;
    const sinceRecv = now - this.#lastRecv;
    const sinceSent = now - this.#lastSent;
    if (sinceSent < hb && sinceRecv < hb) return;
    if (sinceRecv >= 2.4 * hb) {
      this.disconnect('timed out waiting for the peer (no answer to TestRequest)');
    } else if (sinceRecv >= 1.2 * (this.#testRequests + 1) * hb) {
      this.#sendRaw('1', [{ tag: 112, value: 'TEST' }]);
      this.#testRequests++;
    } else if (sinceSent >= hb && this.#testRequests === 0) {
      this.#generateHeartbeat();
    }
  }

  disconnect(reason: string): void {
    if (this.#closed) return;
    this.#event(`disconnect: ${reason}`);
    const s = this.connection?.socket;
    if (s && !s.destroyed) {
      s.end();
      // Give the last message (a Logout) a moment to leave, then make sure the socket is gone.
      setTimeout(() => s.destroy(), 200).unref();
    }
    this.#finish(reason);
  }

  #finish(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#state = 'closed';
    if (this.#timer) clearInterval(this.#timer);
    if (this.#registryKey) this.#registry.release(this.#registryKey, this);
    this.#inbox.length = 0;
    this.emit('closed', reason);
    for (const w of this.#closeWaiters.splice(0)) w();
  }

  #event(text: string): void { this.emit('event', text); }
  #emitError(e: Error): void { if (this.listenerCount('error') > 0) this.emit('error', e); }

  /** @internal used by initiateSession */
  startInitiator(logonFields: Field[]): void {
    const cfg = this.#cfg;
    this.#hbMs = cfg.heartBtInt * this.#unit;
    if (cfg.resetOnLogon) {
      cfg.store.reset();
      this.#sentReset = true;
    }
    this.#state = 'logon-sent';
    this.#generateLogon(logonFields);
  }
}

export function acceptSession(conn: FixConnection, opts: AcceptOptions): FixSession {
  return new FixSession(conn, 'acceptor', undefined, opts);
}

export function initiateSession(conn: FixConnection, cfg: SessionConfig & { logonFields?: Field[] }): FixSession {
  const s = new FixSession(conn, 'initiator', cfg);
  s.startInitiator(cfg.logonFields ?? []);
  return s;
}
