/**
 * The connection loop of the client's FIX session to the gateway: mutual TLS with the keychain's credentials,
 * a Logon with username/password and a posture attestation bound to this TLS channel, and what follows when the
 * session closes (close-outcome.ts): reconnect, denied, or certificate refused.
 *
 * It keeps the user connected across a dynamic IP: on a dropped connection it reconnects with exponential
 * backoff and jitter; on a network change or a resume from sleep it starts the backoff over and reconnects at
 * once (a small jitter only). Either way it resumes — takes over on the gateway — the *same* FIX session from
 * the persistent store, so the gateway resends what was missed and nothing is duplicated.
 */
import { EventEmitter } from 'node:events';
import path from 'node:path';
import type { FixMessage } from '../../fix/codec.ts';
import { parleyDictionary, readLogoutDecision, type LogoutDecision } from '../../fix/parley-protocol.ts';
import { readLogoutSessionStatus, writeLogonCredentials, type SessionStatus } from '../../fix/protocol/index.ts';
import { initiateSession, type FixSession } from '../../fix/session.ts';
import { FileStore } from '../../fix/store.ts';
import { connectFixs, type FixsConnection } from '../../fix/transport.ts';
import { ParleyError, type ConnectionEvent, type ConnectionState, type SessionEnd } from '../ipc/contract.ts';
import type { DeviceKey } from '../keychain/device-identity.ts';
import { Backoff } from './backoff.ts';
import { closeOutcome } from './close-outcome.ts';
import { revokedPerCrl, sessionEndOf } from './session-end.ts';
import type { NetworkWatcher } from './network-watch.ts';

export interface GatewayTarget {
  host: string;
  port: number;
  /** The gateway's CompID (TargetCompID). */
  compId: string;
  caPem: string[] | null;
  spkiPins: string[];
}

export interface ClientIdentity {
  key: DeviceKey;
  certificatePem: string;
  chainPem: string[];
  compId: string;
}

/** Signs the posture facts into the attestation JWS bound to this connection's TLS exporter. */
export type Attestor = (exporter: (label: string, length: number) => Buffer) => Promise<string>;

export interface ConnectionLoopOptions {
  dataDir: string;
  target: () => GatewayTarget | null;
  identity: () => ClientIdentity | null;
  attest: Attestor;
  /** Asked when a connection fails before Logon: is our certificate revoked (e.g. from the gateway's CRL)? */
  isCertificateRevoked?: () => Promise<boolean>;
  watcher?: NetworkWatcher;
  backoff?: Backoff;
  heartBtIntSec?: number;
  heartbeatUnitMs?: number;
  log?: { info(m: string): void; warn(m: string): void };
}

export interface ConnectionLoopEvents {
  state: [ConnectionEvent];
  /** The Logon was answered (the session is live; a step-up may still be asked). */
  logon: [FixMessage];
  message: [FixMessage];
  /** The live connection is gone: whatever waits on it settles. */
  dropped: [];
  /** A Logon refused with a decision (its factors go to the security view). */
  refused: [LogoutDecision];
  certificateRefused: [string];
}

/**
 * TLS alerts that mean "this certificate is no good any more", not "the network is down", by OpenSSL's error
 * code (err.code, e.g. ERR_SSL_SSLV3_ALERT_CERTIFICATE_REVOKED): the code, never the error's message.
 */
const CERT_REFUSED_ALERT = /^ERR_SSL_(?:SSLV3|TLSV1|TLSV13)_ALERT_(?:CERTIFICATE_REVOKED|CERTIFICATE_EXPIRED|BAD_CERTIFICATE|UNKNOWN_CA)$/;

/** The persistent FIX stores, one per CompID pair: a reconnect (or a restart) resumes the same FIX session. */
class FixStores {
  readonly #dir: string;
  readonly #stores = new Map<string, FileStore>();

  constructor(dir: string) {
    this.#dir = dir;
  }

  get(compId: string, target: string): FileStore {
    const key = `${compId}-${target}`.replace(/[^A-Za-z0-9._-]/g, '_');
    let st = this.#stores.get(key);
    if (!st) {
      st = new FileStore(path.join(this.#dir, `${key}.store`));
      this.#stores.set(key, st);
    }
    return st;
  }

  close(): void {
    for (const st of this.#stores.values()) st.close();
    this.#stores.clear();
  }
}

export class ConnectionLoop extends EventEmitter<ConnectionLoopEvents> {
  readonly #o: ConnectionLoopOptions;
  readonly #backoff: Backoff;
  readonly #stores: FixStores;
  #creds: { username: string; password: string } | null = null;
  #state: ConnectionEvent = { state: 'signed-out', at: new Date().toISOString() };
  #session: FixSession | null = null;
  #conn: FixsConnection | null = null;
  #connecting = false;
  /** Bumped by every attempt and sign-out: an attempt that finds it changed gives up (a newer one runs). */
  #generation = 0;
  #loggedOn = false;
  #logout: { text: string | undefined; decision: LogoutDecision | undefined; sessionStatus: SessionStatus | undefined } | undefined;
  /** Denied or certificate refused: no retries until the user signs in again. */
  #denied = false;
  #retryTimer: NodeJS.Timeout | undefined;
  #resetNext = false;
  /** A network change or wake-up was seen: the next reconnect goes at once (small jitter), backoff started over. */
  #reconnectSoon = false;
  #tls: { version: string; cipher: string } | null = null;
  #lastAttestationAt: Date | null = null;
  /**
   * How the last session ended (who acted, why), carried on every state until the session is connected again or
   * the user signs in or out: the screens say "IT ended the session" while Parley signs in again, not "nothing
   * is lost".
   */
  #ended: SessionEnd | undefined;

  constructor(o: ConnectionLoopOptions) {
    super();
    this.#o = o;
    this.#backoff = o.backoff ?? new Backoff();
    this.#stores = new FixStores(path.join(o.dataDir, 'fix'));
    o.watcher?.on('change', () => this.#networkChanged('the network changed'));
    o.watcher?.on('resume', () => this.#networkChanged('the computer woke up'));
  }

  get state(): ConnectionEvent { return this.#state; }
  get tls(): { version: string; cipher: string } | null { return this.#tls; }
  get lastAttestationAt(): Date | null { return this.#lastAttestationAt; }
  get username(): string | null { return this.#creds?.username ?? null; }

  /** The logged-on session and its connection, or null. */
  live(): { session: FixSession; conn: FixsConnection } | null {
    return this.#session && this.#conn && this.#loggedOn ? { session: this.#session, conn: this.#conn } : null;
  }

  /** The logged-on, active session to send on. */
  active(): FixSession {
    const s = this.#session;
    if (!s || !this.#loggedOn || s.state !== 'active') {
      if (!this.#creds) throw new ParleyError('not-signed-in', 'sign in first');
      throw new ParleyError('not-connected', `not connected to the gateway (${this.#state.state})`);
    }
    return s;
  }

  attested(): void { this.#lastAttestationAt = new Date(); }

  setState(state: ConnectionState, extra: { reason?: string; retryInSec?: number } = {}): ConnectionEvent {
    const ev: ConnectionEvent = {
      state,
      at: new Date().toISOString(),
      ...(extra.reason !== undefined ? { reason: extra.reason.slice(0, 2_000) } : {}),
      ...(extra.retryInSec !== undefined ? { retryInSec: extra.retryInSec } : {}),
    };
    if (state === 'connected' || state === 'signed-out') this.#ended = undefined;
    if (this.#ended) ev.ended = this.#ended;
    this.#state = ev;
    this.emit('state', ev);
    return ev;
  }

  /** Connects and logs on; resolves with the first settled state (connected, challenged, denied, …). */
  async signIn(username: string, password: string, timeoutMs: number): Promise<ConnectionEvent> {
    if (this.#session && this.#loggedOn) throw new ParleyError('conflict', 'already signed in; sign out first');
    this.#creds = { username, password };
    this.#denied = false;
    this.#ended = undefined;
    this.#backoff.reset();
    this.#o.watcher?.start();
    this.#attempt();
    return this.#settled(timeoutMs);
  }

  async signOut(): Promise<void> {
    this.#creds = null;
    this.#ended = undefined;
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    this.#o.watcher?.stop();
    const s = this.#session;
    this.#session = null;
    this.#generation++;
    if (s && s.state !== 'closed') {
      await Promise.race([s.logout('user signed out'), new Promise((r) => setTimeout(r, 3_000).unref())]);
      s.disconnect('signed out');
    }
    this.#loggedOn = false;
  }

  closeStores(): void {
    this.#stores.close();
  }

  /**
   * Resolves on the first state after 'connecting' (or at the timeout): connected, challenged, denied, … or
   * 'reconnecting' with its retry delay when the gateway cannot be reached — sign-in never hangs on a dead network.
   */
  #settled(timeoutMs: number): Promise<ConnectionEvent> {
    if (this.#state.state !== 'connecting' && !this.#connecting) return Promise.resolve(this.#state);
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        this.off('state', on);
        resolve(this.#state);
      };
      // 'reconnecting' without a delay is the start of a retry, not its outcome.
      const on = (e: ConnectionEvent) => {
        if (e.state !== 'connecting' && !(e.state === 'reconnecting' && e.retryInSec === undefined)) done();
      };
      const t = setTimeout(done, timeoutMs);
      this.on('state', on);
    });
  }

  #attempt(): void {
    this.#connect().catch((e: unknown) => this.#scheduleReconnect(`connection failed: ${(e as Error).message}`));
  }

  async #connect(): Promise<void> {
    if (this.#connecting || !this.#creds) return;
    this.#connecting = true;
    const gen = ++this.#generation;
    const current = () => gen === this.#generation && !!this.#creds;
    try {
      const target = this.#o.target();
      if (!target) {
        this.setState('config-error', { reason: 'no gateway is configured (managed policy or settings)' });
        return;
      }
      const id = this.#o.identity();
      if (!id) {
        this.setState('enrollment-needed', { reason: 'this device has no valid certificate: enroll it first' });
        return;
      }
      this.setState(this.#backoff.attempt > 0 ? 'reconnecting' : 'connecting');
      let conn: FixsConnection;
      try {
        conn = await connectFixs({
          host: target.host, port: target.port, key: id.key.tlsKey(), cert: [id.certificatePem, ...id.chainPem].join('\n'),
          ca: target.caPem ?? [], spkiPins: target.spkiPins, timeoutMs: 15_000,
        });
      } catch (e) {
        const msg = (e as Error).message ?? String(e);
        if (CERT_REFUSED_ALERT.test((e as NodeJS.ErrnoException).code ?? '')) {
          this.#certificateRefused(`the gateway refused this device's certificate (${msg})`);
          return;
        }
        this.#scheduleReconnect(`cannot reach the gateway: ${msg}`);
        return;
      }
      if (!current()) return void conn.socket.destroy();
      this.#conn = conn;
      this.#tls = { version: conn.protocol, cipher: conn.cipher };

      let jws: string;
      try {
        jws = await this.#o.attest((label, length) => conn.exporter(label, length));
      } catch (e) {
        conn.socket.destroy();
        this.#scheduleReconnect(`the posture attestation could not be made: ${(e as Error).message}`);
        return;
      }
      if (!current()) return void conn.socket.destroy();
      this.#lastAttestationAt = new Date();
      this.#loggedOn = false;
      this.#logout = undefined;
      const resetOnLogon = this.#resetNext;
      this.#resetNext = false;
      const session = initiateSession(conn, {
        senderCompId: id.compId,
        targetCompId: target.compId,
        heartBtInt: this.#o.heartBtIntSec ?? 30,
        store: this.#stores.get(id.compId, target.compId),
        ...(resetOnLogon ? { resetOnLogon: true } : {}),
        dictionary: parleyDictionary(),
        ...(this.#o.heartbeatUnitMs ? { heartbeatUnitMs: this.#o.heartbeatUnitMs } : {}),
        logonFields: writeLogonCredentials({ username: this.#creds!.username, password: this.#creds!.password, attestation: jws }),
      });
      this.#session = session;
      this.#watch(session);
    } finally {
      this.#connecting = false;
    }
  }

  #watch(session: FixSession): void {
    session.on('logon', (m: FixMessage) => {
      if (this.#session !== session) return;
      this.#loggedOn = true;
      this.#backoff.reset();
      this.#reconnectSoon = false;
      this.emit('logon', m);
    });
    session.on('message', (m: FixMessage) => {
      if (this.#session === session) this.emit('message', m);
    });
    // A Logout answering our Logon is the gateway's refusal: fix/session reports it with its fields, uncounted.
    session.on('logout', (text: string | undefined, m: FixMessage | undefined) => {
      if (this.#session !== session) return;
      this.#logout = { text: text?.slice(0, 2_000), decision: m ? readLogoutDecision(m) : undefined, sessionStatus: m ? readLogoutSessionStatus(m) : undefined };
    });
    session.on('event', (t: string) => this.#o.log?.info(`fix: ${t}`));
    session.on('reject', (r: { direction: string; text?: string; refMsgType?: string }) => this.#o.log?.warn(`fix: reject ${r.direction} ${r.refMsgType ?? ''}: ${r.text ?? ''}`));
    session.on('error', () => {});
    session.once('closed', (reason: string) => void this.#onClosed(session, reason));
  }

  #scheduleReconnect(reason: string): void {
    if (!this.#creds || this.#denied) return;
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    // After a network change the backoff grown on the old network says nothing about the new one: start over
    // at once. Failures after that back off exponentially again from the base delay.
    const delay = this.#reconnectSoon ? this.#backoff.soon() : this.#backoff.next();
    this.#reconnectSoon = false;
    this.setState('reconnecting', { reason, retryInSec: Math.ceil(delay / 1_000) });
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      this.#attempt();
    }, delay);
  }

  #networkChanged(why: string): void {
    if (!this.#creds || this.#denied) return;
    this.#o.log?.info(`session: ${why}; reconnecting at once`);
    // Consumed by the next #scheduleReconnect: the one after this drop, after a pending retry, or after an
    // attempt already under way fails.
    this.#reconnectSoon = true;
    // The old TCP connection may be silently dead (new address); don't wait for heartbeats to notice.
    if (this.#session && this.#session.state !== 'closed') {
      this.#session.disconnect(why);
      return;
    }
    if (this.#retryTimer) this.#scheduleReconnect(why);
  }

  #certificateRefused(reason: string): void {
    this.#denied = true;
    this.setState('enrollment-needed', { reason });
    this.emit('certificateRefused', reason);
  }

  async #onClosed(session: FixSession, reason: string): Promise<void> {
    if (this.#session !== session) return;
    this.#session = null;
    this.#conn = null;
    const wasLoggedOn = this.#loggedOn;
    this.#loggedOn = false;
    const logout = this.#logout;
    this.emit('dropped');
    const cause = session.closeCause?.kind;
    const outcome = closeOutcome({ reason, wasLoggedOn, ...(cause ? { closeCause: cause } : {}), ...(logout ? { logout } : {}) });
    // Sequence numbers out of step (either side's store lost or reset): both sides start over.
    if (outcome.kind === 'resync') {
      this.#resetNext = true;
      this.#scheduleReconnect(outcome.reason);
      return;
    }
    if (!this.#creds) return;
    if (!wasLoggedOn && logout?.decision) this.emit('refused', logout.decision);
    this.#ended = sessionEndOf({ wasLoggedOn, decision: logout?.decision }) ?? this.#ended;
    switch (outcome.kind) {
      case 'certificate-refused':
        return this.#certificateRefused(outcome.reason);
      case 'denied':
        this.#denied = true;
        this.setState('denied', { reason: outcome.reason });
        return;
      case 'check-revocation':
        if (await this.#revoked()) {
          this.#ended = revokedPerCrl();
          return this.#certificateRefused('the device certificate is revoked');
        }
        return this.#scheduleReconnect(outcome.otherwise);
      case 'reconnect':
        return this.#scheduleReconnect(outcome.reason);
    }
  }

  async #revoked(): Promise<boolean> {
    try {
      return (await this.#o.isCertificateRevoked?.()) ?? false;
    } catch {
      return false;
    }
  }
}
