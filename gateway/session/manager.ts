/**
 * All client sessions of the gateway: accepts FIXS connections, authorises Logons, keeps the live sessions,
 * ticks their deadlines, and ends them on request (admin kill, revocation). A misbehaving session never takes
 * down another: every handler is contained.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FixMessage } from '../../fix/codec.ts';
import { logoutDecisionFields, parleyDictionary } from '../../fix/parley-protocol.ts';
import type { SessionEndSignal } from '../../fix/protocol/index.ts';
import { writeLogoutSessionStatus } from '../../fix/protocol/index.ts';
import { acceptSession, SessionRegistry, type CloseCause, type FixSession, type SessionConfig } from '../../fix/session.ts';
import { FileStore, MemoryStore, type MessageStore } from '../../fix/store.ts';
import type { FixConnection, FixsConnection } from '../../fix/transport.ts';
import { LiveSession } from './live-session.ts';
import { authorizeLogon, reportForeignCompId, type LogonContext } from './logon.ts';
import { LogonGuard } from './logon-guard.ts';
import { speakPlainFix44, speaksPlainFix44 } from './service-plain-fix.ts';
import type { Ports } from './ports.ts';

export type ManagerOptions = {
  compId: string;
  /** Only fills SessionConfig.heartBtInt: an acceptor uses the client's HeartBtInt (bounded in authorizeLogon). */
  heartBtIntSec: number;
  logonTimeoutMs: number;
  maxMessageBytes: number;
  /** Folder for per-CompID FIX stores; null keeps them in memory (tests, benchmarks). */
  storeDir: string | null;
  fsync?: 'always' | 'never';
};

const COMPID_FILE_SAFE = /^[A-Za-z0-9._-]{1,64}$/;

export class SessionManager {
  readonly ports: Ports;
  /** Lockouts, rate limits and one Logon in flight per user and certificate. */
  readonly logons: LogonGuard;
  readonly #o: ManagerOptions;
  readonly #registry = new SessionRegistry();
  readonly #stores = new Map<string, MessageStore>();
  readonly #pending = new WeakMap<FixConnection, LogonContext>();
  readonly #live = new Map<string, LiveSession>();
  /** Per CompID, the last session whose connection dropped without a Logout (it may be resumed). */
  readonly #dropped = new Map<string, LiveSession>();
  readonly #fixSessions = new Set<FixSession>();
  readonly #timer: NodeJS.Timeout;

  constructor(ports: Ports, o: ManagerOptions) {
    this.ports = ports;
    this.#o = o;
    this.logons = new LogonGuard(ports.settings.logonLimits);
    if (o.storeDir) mkdirSync(o.storeDir, { recursive: true, mode: 0o700 });
    this.#timer = setInterval(() => this.#tick(), 250);
    this.#timer.unref();
  }

  #store(peer: string): MessageStore {
    let s = this.#stores.get(peer);
    if (!s) {
      s = this.#o.storeDir ? new FileStore(join(this.#o.storeDir, `${peer}.store`), {
        fsync: this.#o.fsync ?? 'never',
        // Said on stderr (the store's default) and audited; a corrupt store refuses the session, it is never cut.
        onRepair: (r) => {
          process.stderr.write(`fix store: ${r.file}: torn tail of ${r.bytes} bytes cut at offset ${r.offset} (kept as ${r.keptAs})\n`);
          this.ports.audit.event('store.tail-repaired', { ...r });
        },
        onCorrupt: (e) => {
          process.stderr.write(`fix store: ${e.message}\n`);
          this.ports.audit.alert('store.corrupt', { file: e.file, offset: e.offset, compId: peer });
        },
      }) : new MemoryStore();
      this.#stores.set(peer, s);
    }
    return s;
  }

  #lookup(peer: string, us: string): SessionConfig | undefined {
    if (us !== this.#o.compId || !COMPID_FILE_SAFE.test(peer)) return undefined;
    // Only CompIDs that belong to a user get a session (and a store on disk).
    if (!this.ports.decisions.userByCompId(peer)) return undefined;
    return {
      senderCompId: us, targetCompId: peer, heartBtInt: this.#o.heartBtIntSec, store: this.#store(peer),
      dictionary: parleyDictionary(), maxMessageSize: this.#o.maxMessageBytes, logonTimeoutMs: this.#o.logonTimeoutMs,
      // Why the engine itself ended a session, as a field the client decides on (never the Logout's Text).
      logoutFields: writeLogoutSessionStatus,
    };
  }

  /** The FIXS acceptor's connection handler. */
  onConnection(conn: FixsConnection): void {
    const audit = this.ports.audit;
    const fix = acceptSession(conn, {
      lookup: (peer, us) => this.#lookup(peer, us),
      registry: this.#registry,
      logonTimeoutMs: this.#o.logonTimeoutMs,
      maxMessageSize: this.#o.maxMessageBytes,
      // A client whose address changed logs on again while its old connection still looks alive here (no FIN
      // reached us): with the same certificate key, and once its Logon passed every check, it takes the session
      // over at once instead of waiting out ~2.4 heartbeat intervals.
      takeOverSameCertificate: true,
      onForeignCompId: (info) => reportForeignCompId(this.ports, info.compId, info.allowed, info.connection as FixsConnection),
      authorizeLogon: async (logon: FixMessage, c: FixConnection) => {
        try {
          const r = await authorizeLogon(this.ports, this.logons, logon, c as FixsConnection);
          if (!r.ok) return r;
          this.#pending.set(c, r.ctx);
          return { ok: true, extraFields: r.extraFields };
        } catch (e) {
          audit.event('logon.error', { error: (e as Error).message, ip: c.remoteAddress });
          return { ok: false, text: 'logon refused: internal error', extraFields: logoutDecisionFields({ decision: 'deny', scope: 'logon', factors: [], reason: 'internal error' }) };
        }
      },
    });
    this.#fixSessions.add(fix);
    let live: LiveSession | undefined;
    let loggedOut = false;
    fix.on('logout', () => { loggedOut = true; });
    fix.on('logon', () => {
      const ctx = this.#pending.get(conn);
      if (!ctx) { void fix.logout('logon was not authorised'); return; }
      this.#pending.delete(conn);
      // A plain FIX 4.4 account hears standard FIX only (its decisions in Logout / reject Text); audited as any.
      if (speaksPlainFix44(ctx.user)) speakPlainFix44(fix, () => {});
      live = new LiveSession(fix, conn, ctx, this.ports);
      this.#live.set(live.id, live);
      const prev = this.#dropped.get(ctx.compId);
      if (prev) {
        this.#dropped.delete(ctx.compId);
        prev.handOver(live);
        audit.event('session.resumed', { session: live.id, previous: prev.id, compId: ctx.compId });
      }
      audit.event('session.started', { session: live.id, user: ctx.user.username, compId: ctx.compId, ip: ctx.ip, serial: ctx.serial, decision: ctx.risk.decision, score: ctx.risk.score });
      try { live.start(); } catch (e) { audit.event('session.internal-error', { error: (e as Error).message }); }
    });
    fix.on('message', (m: FixMessage) => {
      if (!live) return;
      try { live.onMessage(m); } catch (e) { audit.event('session.internal-error', { session: live.id, error: (e as Error).message }); }
    });
    fix.on('reject', (info: { direction: string; reason?: number; text?: string; refMsgType?: string }) => {
      audit.event('fix.reject', { session: live?.id ?? null, compId: fix.config?.targetCompId ?? null, ...info });
    });
    fix.on('error', () => { /* reported through 'event'/'closed'; never fatal for the gateway */ });
    fix.on('closed', (reason: string, cause?: CloseCause) => {
      this.#fixSessions.delete(fix);
      if (live) {
        if (cause?.kind === 'taken-over') {
          audit.event('session.taken-over', { session: live.id, user: live.user.username, compId: live.ctx.compId, ip: live.ctx.ip, reason });
        }
        live.closed(reason, loggedOut);
        this.#live.delete(live.id);
        if (live.dropped) this.#dropped.set(live.ctx.compId, live);
        audit.event('session.closed', { session: live.id, user: live.user.username, reason: live.endReason ?? reason });
      } else {
        audit.event('connection.closed', { ip: conn.remoteAddress, compId: fix.config?.targetCompId ?? null, reason });
      }
    });
  }

  #tick(): void {
    const now = Date.now();
    for (const s of this.#live.values()) {
      try { s.tick(now); } catch (e) { this.ports.audit.event('session.internal-error', { session: s.id, error: (e as Error).message }); }
    }
  }

  list(): ReturnType<LiveSession['view']>[] {
    return [...this.#live.values()].map((s) => s.view());
  }

  get(id: string): LiveSession | undefined {
    return this.#live.get(id);
  }

  get size(): number {
    return this.#live.size;
  }

  /**
   * Ends sessions matching the selector; returns their ids. `end` says who acted: IT by default (an admin kill,
   * a disabled user), with IT's reason quoted to the user; a revocation passes its own.
   */
  async kill(
    sel: { id?: string; user?: string; serial?: string }, reason: string, scope: 'policy' | 'revocation' = 'policy',
    end: SessionEndSignal = { by: 'it', detail: reason, next: 'sign-in' },
  ): Promise<string[]> {
    const match = (s: LiveSession) => (sel.id !== undefined && s.id === sel.id)
      || (sel.user !== undefined && s.user.username === sel.user)
      || (sel.serial !== undefined && s.ctx.serial === sel.serial.toLowerCase().replace(/^0+(?=.)/, ''));
    // A dropped session that may still be resumed ends too: its RFQs are cancelled and it cannot be resumed.
    for (const [compId, s] of this.#dropped) {
      if (!match(s)) continue;
      this.#dropped.delete(compId);
      this.ports.desk.endFixSession(compId);
      this.ports.recentAuth.forget(s.user.username, s.ctx.serial);
    }
    if (sel.user !== undefined) {
      this.ports.recentAuth.forget(sel.user);
      this.ports.decisions.forgetVerifiedPassword(sel.user);
    }
    const hit = [...this.#live.values()].filter(match);
    // A killed session's user proves the password the slow way next time.
    for (const s of hit) this.ports.decisions.forgetVerifiedPassword(s.user.username);
    await Promise.all(hit.map((s) => s.end(reason, scope, end)));
    return hit.map((s) => s.id);
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    await Promise.all([...this.#live.values()].map((s) => s.end('gateway shutting down', 'policy', { by: 'shutdown', detail: 'the gateway is shutting down', next: 'reconnect' })));
    for (const f of this.#fixSessions) f.disconnect('gateway shutting down');
    for (const s of this.#stores.values()) (s as { close?: () => void }).close?.();
  }
}
