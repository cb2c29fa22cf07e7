/**
 * FixSession: the coordinator of one FIX session over one connection (see ../session.ts for the API). It
 * frames and decodes the stream, hands each message to the acceptor's Logon checks or to inbound.ts, and owns
 * the public surface and teardown; the rest lives in the modules next to it, sharing a SessionContext.
 */
import { EventEmitter } from 'node:events';
import { decodeMessage, type Field, FixMessage } from '../codec.ts';
import { GarbledMessageError } from '../errors.ts';
import { FixFramer, type FrameResult } from '../framer.ts';
import type { FixConnection } from '../transport.ts';
import { firstMessage } from './acceptor-logon.ts';
import { SessionContext } from './context.ts';
import { generateLogon, generateLogout } from './generate.ts';
import { next } from './inbound.ts';
import { SessionRegistry } from './registry.ts';
import { MAX_QUEUED } from './sequence.ts';
import { tick } from './timers.ts';
import type { AcceptOptions, CloseCause, CloseKind, Role, SessionConfig, SessionState } from './types.ts';
import { SESSION_HEADER } from './writer.ts';

// The registry of acceptors given none (AcceptOptions.registry): a shared default instance, as before the
// split; callers that need isolation (tests, the gateway) pass their own.
const defaultRegistry = new SessionRegistry();

export class FixSession extends EventEmitter {
  readonly role: Role;
  readonly #ctx: SessionContext;
  #framer: FixFramer;
  #inbox: FrameResult[] = [];
  #busy = false;
  #closeWaiters: Array<() => void> = [];

  constructor(conn: FixConnection, role: Role, cfg: SessionConfig | undefined, accept?: AcceptOptions) {
    super();
    this.role = role;
    const ctx = new SessionContext(this, conn, role, cfg, accept, accept?.registry ?? defaultRegistry);
    this.#ctx = ctx;
    this.#framer = new FixFramer({ maxMessageSize: cfg?.maxMessageSize ?? accept?.maxMessageSize ?? 64 * 1024 });
    const sock = conn.socket;
    sock.on('data', (chunk: Buffer) => {
      for (const f of this.#framer.push(chunk)) this.#inbox.push(f);
      // Frames pile up only while an async Logon check runs; a peer that floods meanwhile is cut off.
      if (this.#inbox.length > MAX_QUEUED) { this.disconnect('too many messages before the Logon was answered', 'flood'); return; }
      this.#pump();
    });
    sock.on('error', (e: Error) => { ctx.event(`socket error: ${e.message}`); });
    sock.on('close', () => this.#finish('connection closed', 'connection-lost'));
    sock.on('end', () => { this.#finish('peer closed the connection', 'connection-lost'); });
    ctx.clock.start(100, () => tick(ctx));
  }

  get state(): SessionState { return this.#ctx.state; }
  /** undefined on an acceptor until the Logon named the session */
  get config(): SessionConfig | undefined { return this.#ctx.config; }
  set config(cfg: SessionConfig | undefined) { this.#ctx.config = cfg; }
  get connection(): FixConnection | undefined { return this.#ctx.connection; }
  set connection(conn: FixConnection | undefined) { this.#ctx.connection = conn; }

  send(msgType: string, body: Field[]): number {
    const ctx = this.#ctx;
    if (!ctx.config) throw new Error('send: the session is not established');
    if (ctx.state === 'connecting' || ctx.state === 'logon-sent') throw new Error('send: wait for the logon event');
    // Taken over (or resumed) by a newer connection that is logged on with the same store: the message takes
    // that session's next MsgSeqNum, so it must go out there. Stored only, it would be a gap the peer notices at
    // the next message it gets (a heartbeat later) and recovers as a late PossDup resend.
    const heir = ctx.closed ? this.#heir() : undefined;
    if (heir) return heir.send(msgType, body);
    const extra: Field[] = [];
    const rest: Field[] = [];
    for (const f of body) {
      if (SESSION_HEADER.has(f.tag)) continue;
      (ctx.dict.isHeaderField(f.tag) ? extra : rest).push(f);
    }
    return ctx.writer.sendRaw(msgType, rest, extra);
  }

  /** The active session that now holds this closed session's registry key and store, if any. */
  #heir(): FixSession | undefined {
    const ctx = this.#ctx;
    const next = ctx.registryKey ? ctx.registry.get(ctx.registryKey) : undefined;
    return next && next !== this && next.state === 'active' && next.config?.store === this.config?.store ? next : undefined;
  }

  businessReject(msg: FixMessage, reason: number, text: string): number {
    const body: Field[] = [];
    const seq = msg.get(34);
    if (seq) body.push({ tag: 45, value: seq });
    body.push({ tag: 58, value: text });
    body.push({ tag: 372, value: msg.msgType });
    body.push({ tag: 380, value: String(reason) });
    return this.#ctx.writer.sendRaw('j', body);
  }

  logout(text?: string, extraFields: Field[] = []): Promise<void> {
    const ctx = this.#ctx;
    if (ctx.closed) return Promise.resolve();
    const done = new Promise<void>((resolve) => this.#closeWaiters.push(resolve));
    if (ctx.receivedLogon && !ctx.sentLogout) generateLogout(ctx, text, extraFields);
    else if (!ctx.receivedLogon) this.disconnect('logout before logon', 'logout-before-logon');
    return done;
  }

  // ---------------------------------------------------------------- inbound
  #pump(): void {
    while (!this.#busy && this.#inbox.length && !this.#ctx.closed) {
      const frame = this.#inbox.shift()!;
      let r: void | Promise<void>;
      try {
        r = this.#onFrame(frame);
      } catch (e) {
        this.#emitError(e as Error);
        this.disconnect(`internal error: ${(e as Error).message}`, 'internal-error');
        return;
      }
      if (r instanceof Promise) {
        this.#busy = true;
        r.catch((e: unknown) => { this.#emitError(e as Error); this.disconnect('internal error', 'internal-error'); })
          .finally(() => { this.#busy = false; this.#pump(); });
      }
    }
  }

  #onFrame(frame: FrameResult): void | Promise<void> {
    const ctx = this.#ctx;
    if (!frame.ok) {
      if (frame.reason === 'too-large') {
        ctx.event(`message over the size limit: ${frame.detail}`);
        if (ctx.receivedLogon && !ctx.sentLogout) generateLogout(ctx, 'Message exceeds the size limit');
        this.disconnect('message over the size limit', 'too-large');
        return;
      }
      return this.#garbled(frame.detail);
    }
    // The framer's limit was fixed before the Logon named the session; a session may set a lower one.
    const limit = ctx.config?.maxMessageSize;
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
    if (!ctx.receivedLogon && this.role === 'acceptor' && !ctx.config) return firstMessage(ctx, msg);
    next(ctx, msg, false);
  }

  #garbled(detail: string): void {
    this.#ctx.event(`garbled message ignored: ${detail}`);
    // Before a Logon there is no session to keep: whatever this is, it is not a FIX peer speaking to us.
    if (!this.#ctx.receivedLogon) this.disconnect(`garbled input before logon: ${detail}`, 'garbled');
  }

  // ---------------------------------------------------------------- teardown
  /** Why the session closed (set with the 'closed' event, whose second argument it is). */
  get closeCause(): CloseCause | undefined { return this.#ctx.closeCause; }

  disconnect(reason: string, kind: CloseKind = 'disconnected'): void {
    if (this.#ctx.closed) return;
    this.#ctx.event(`disconnect: ${reason}`);
    const s = this.connection?.socket;
    if (s && !s.destroyed) {
      s.end();
      // Give the last message (a Logout) a moment to leave, then make sure the socket is gone.
      setTimeout(() => s.destroy(), 200).unref();
    }
    this.#finish(reason, kind);
  }

  #finish(reason: string, kind: CloseKind): void {
    const ctx = this.#ctx;
    if (ctx.closed) return;
    ctx.closed = true;
    ctx.state = 'closed';
    ctx.closeCause = { kind };
    ctx.clock.stop();
    if (ctx.registryKey) ctx.registry.release(ctx.registryKey, this);
    this.#inbox.length = 0;
    this.emit('closed', reason, ctx.closeCause);
    for (const w of this.#closeWaiters.splice(0)) w();
  }

  #emitError(e: Error): void { if (this.listenerCount('error') > 0) this.emit('error', e); }

  /** @internal used by initiateSession */
  startInitiator(logonFields: Field[]): void {
    const ctx = this.#ctx;
    const cfg = ctx.cfg;
    ctx.hbMs = cfg.heartBtInt * ctx.unit;
    if (cfg.resetOnLogon) {
      cfg.store.reset();
      ctx.sentReset = true;
    }
    ctx.state = 'logon-sent';
    generateLogon(ctx, logonFields);
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
