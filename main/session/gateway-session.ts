/**
 * The client's FIX session to the gateway: mutual TLS with the keychain's credentials, Logon with
 * username/password and a posture attestation bound to this TLS channel, periodic re-attestation, the
 * step-up relay, and the trading flows as typed calls and events.
 *
 * It keeps the user connected across a dynamic IP: on a dropped connection it reconnects with exponential
 * backoff and jitter; on a network change or a resume from sleep it starts the backoff over and reconnects at
 * once (a small jitter only). Either way it resumes the *same* FIX session from the
 * persistent store, so the gateway resends what was missed (quotes, executions) and nothing is duplicated
 * (executions are also de-duplicated by ExecID in the RfqBook).
 */
import { EventEmitter } from 'node:events';
import path from 'node:path';
import type { FixMessage } from '../../fix/codec.ts';
import {
  MSG,
  TAG,
  decisionFromWire,
  parleyDictionary,
  readDealerList,
  readFactors,
  readLogoutDecision,
  readSecurityStatus,
  readStepUpChallenge,
  readStepUpResult,
  stepUpResponseFields,
  keyRegistrationRequestFields,
  readKeyRegistrationResult,
  type Factor,
  type LogoutDecision,
} from '../../fix/parley-protocol.ts';
import { initiateSession, type FixSession } from '../../fix/session.ts';
import { FileStore } from '../../fix/store.ts';
import { connectFixs, type FixsConnection } from '../../fix/transport.ts';
import {
  ParleyError,
  WebAuthnOptionsSchema,
  WebAuthnCreationOptionsSchema,
  type RegisterSecurityKey,
  type RegisterSecurityKeyResult,
  type ConnectionEvent,
  type ConnectionState,
  type CreateRfq,
  type Dealer,
  type Decision,
  type Execution,
  type HistoryQuery,
  type HitResult,
  type Instrument,
  type Notification,
  type OpenRfq,
  type Rfq,
  type RiskFactor,
  type StepUpAnswer,
  type StepUpChallenge,
  type StepUpResult,
} from '../ipc/contract.ts';
import type { DeviceKey } from '../keychain/device-identity.ts';
import { Backoff } from './backoff.ts';
import {
  clientRfqIdFromResp,
  quoteCancelFields,
  quoteRequestFields,
  quoteResponseFields,
  readExecutionReport,
  readOpenRfqStatus,
  readQuote,
  readSecurityList,
  readTradeCapture,
  securityListRequestFields,
  tradeCaptureRequestFields,
} from './fix-mapping.ts';
import type { NetworkWatcher } from './network-watch.ts';
import { RfqBook } from './rfq-book.ts';

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

export interface GatewaySessionOptions {
  dataDir: string;
  target: () => GatewayTarget | null;
  identity: () => ClientIdentity | null;
  attest: Attestor;
  reattestIntervalSec: () => number;
  /** Asked when a connection fails before Logon: is our certificate revoked (e.g. from the gateway's CRL)? */
  isCertificateRevoked?: () => Promise<boolean>;
  watcher?: NetworkWatcher;
  backoff?: Backoff;
  heartBtIntSec?: number;
  /** Test hook: compress heartbeat timing. */
  heartbeatUnitMs?: number;
  requestTimeoutMs?: number;
  log?: { info(m: string): void; warn(m: string): void };
}

export interface SessionEvents {
  connection: [ConnectionEvent];
  rfq: [Rfq];
  execution: [Execution];
  stepUpChallenge: [StepUpChallenge];
  stepUpResolved: [{ challengeId: string; outcome: StepUpResult['outcome'] }];
  notification: [Notification];
  openRfqs: [OpenRfq[]];
  security: [];
}

export interface RiskState {
  score: number;
  factors: RiskFactor[];
  decision: Decision;
}

type Pending<T> = { resolve: (v: T) => void; reject: (e: Error) => void; timer: NodeJS.Timeout };

const MAX_PENDING = 100;
let noteSeq = 0;

function riskFactors(f: Factor[]): RiskFactor[] {
  return f.slice(0, 50).map((x) => ({
    name: x.name.slice(0, 100) || 'factor',
    score: Number.isFinite(x.score) ? x.score : 0,
    ...(x.condition ? { detail: x.condition.slice(0, 2_000) } : {}),
  }));
}
function contractDecision(d: ReturnType<typeof decisionFromWire>): Decision {
  return d === 'step-up' ? 'step-up' : d === 'deny' || d === 'ended' ? 'deny' : 'allow';
}

/**
 * The reason a refused or ended session shows: the gateway's Text, with the factors from the Logout's decision
 * fields named when the Text does not already name them.
 */
export function denialText(text: string | undefined, d: LogoutDecision | undefined): string | undefined {
  const base = text ?? (d?.reason ? `logon denied: ${d.reason}` : undefined);
  if (!base || !d) return base;
  const missing = d.factors.filter((f) => f.score !== 0 && !base.includes(`${f.name}: `));
  if (missing.length === 0) return base.slice(0, 2_000);
  return `${base} (${missing.map((f) => `${f.name}: ${f.condition} +${f.score}`).join(', ')})`.slice(0, 2_000);
}

/** TLS failures that mean "this certificate is no good any more", not "the network is down". */
const CERT_REFUSED = /CERTIFICATE_REVOKED|CERTIFICATE_EXPIRED|certificate revoked|certificate expired|ALERT_BAD_CERTIFICATE|UNKNOWN_CA/i;

export class GatewaySession extends EventEmitter<SessionEvents> {
  readonly book: RfqBook;
  readonly #o: GatewaySessionOptions;
  readonly #backoff: Backoff;
  #creds: { username: string; password: string } | null = null;
  #state: ConnectionEvent = { state: 'signed-out', at: new Date().toISOString() };
  #session: FixSession | null = null;
  #conn: FixsConnection | null = null;
  #connecting = false;
  #generation = 0;
  #loggedOn = false;
  #logoutText: string | undefined;
  /** The decision fields of the gateway's Logout (a refused Logon: DENY with the reason, score and factors). */
  #logoutDecision: LogoutDecision | undefined;
  #denied = false;
  #retryTimer: NodeJS.Timeout | undefined;
  #reattestTimer: NodeJS.Timeout | undefined;
  #sweepTimer: NodeJS.Timeout | undefined;
  #stores = new Map<string, FileStore>();
  #resetNext = false;
  /** A network change or wake-up was seen: the next reconnect goes at once (small jitter), backoff started over. */
  #reconnectSoon = false;

  #role: string | undefined;
  #risk: RiskState | null = null;
  #lastAttestationAt: Date | null = null;
  #tls: { version: string; cipher: string } | null = null;
  #challenge: StepUpChallenge | null = null;
  #challengeScope: string | undefined;
  #instruments: Instrument[] = [];
  #dealers: Dealer[] = [];
  #openRfqs = new Map<string, OpenRfq>();

  #stepUpWaiters = new Map<string, Pending<StepUpResult>>();
  #hitWaiters = new Map<string, Pending<HitResult>>();
  #historyWaiters = new Map<string, Pending<Execution[]> & { rows: Execution[]; expected: number | null }>();
  #openRfqWaiters = new Map<string, Pending<OpenRfq[]> & { expected: number | null; rows: OpenRfq[] }>();
  #readyWaiters: Array<() => void> = [];
  #keyRegWaiters = new Map<string, Pending<RegisterSecurityKeyResult>>();
  /** Registrations whose options this connection received: only these may be finished. */
  #keyRegIds = new Set<string>();
  /** The RequestRef of the pending step-up challenge (a held key registration names itself there). */
  #challengeRef: string | undefined;
  #reqSeq = 0;

  constructor(o: GatewaySessionOptions) {
    super();
    this.#o = o;
    this.#backoff = o.backoff ?? new Backoff();
    this.book = new RfqBook({ onChange: (r) => this.emit('rfq', r) });
    o.watcher?.on('change', () => this.#networkChanged('the network changed'));
    o.watcher?.on('resume', () => this.#networkChanged('the computer woke up'));
  }

  // ------------------------------------------------------------------------------------------------
  // State

  get connection(): ConnectionEvent {
    return this.#state;
  }
  get role(): string | undefined {
    return this.#role;
  }
  get risk(): RiskState | null {
    return this.#risk;
  }
  get tls(): { version: string; cipher: string } | null {
    return this.#tls;
  }
  get lastAttestationAt(): Date | null {
    return this.#lastAttestationAt;
  }
  get pendingChallenge(): StepUpChallenge | null {
    return this.#challenge;
  }
  get username(): string | null {
    return this.#creds?.username ?? null;
  }

  #setState(state: ConnectionState, extra: { reason?: string; retryInSec?: number } = {}): ConnectionEvent {
    const ev: ConnectionEvent = {
      state,
      at: new Date().toISOString(),
      ...(extra.reason !== undefined ? { reason: extra.reason.slice(0, 2_000) } : {}),
      ...(extra.retryInSec !== undefined ? { retryInSec: extra.retryInSec } : {}),
    };
    this.#state = ev;
    this.emit('connection', ev);
    this.emit('security');
    return ev;
  }

  /**
   * Resolves on the first state after 'connecting' (or at the timeout): connected, challenged, denied, … or
   * 'reconnecting' with its retry delay when the gateway cannot be reached — sign-in never hangs on a dead network.
   */
  #settled(timeoutMs: number): Promise<ConnectionEvent> {
    const transient = new Set<ConnectionState>(['connecting']);
    if (!transient.has(this.#state.state) && !this.#connecting) return Promise.resolve(this.#state);
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        this.off('connection', on);
        resolve(this.#state);
      };
      const on = (e: ConnectionEvent) => {
        // 'reconnecting' without a delay is the start of a retry, not its outcome.
        if (!transient.has(e.state) && !(e.state === 'reconnecting' && e.retryInSec === undefined)) done();
      };
      const t = setTimeout(done, timeoutMs);
      this.on('connection', on);
    });
  }

  // ------------------------------------------------------------------------------------------------
  // Sign in / out and the connection loop

  /** Connects and logs on; resolves with the resulting state (connected, challenged, denied, …). */
  async signIn(username: string, password: string, timeoutMs = 30_000): Promise<ConnectionEvent> {
    if (this.#session && this.#loggedOn) throw new ParleyError('conflict', 'already signed in; sign out first');
    this.#creds = { username, password };
    this.#denied = false;
    this.#backoff.reset();
    this.#o.watcher?.start();
    this.#startSweeps();
    this.#connect().catch((e: unknown) => this.#scheduleReconnect(`connection failed: ${(e as Error).message}`));
    return this.#settled(timeoutMs);
  }

  async signOut(): Promise<void> {
    this.#creds = null;
    this.#clearTimers();
    this.#o.watcher?.stop();
    const s = this.#session;
    this.#session = null;
    this.#generation++;
    if (s && s.state !== 'closed') {
      await Promise.race([s.logout('user signed out'), new Promise((r) => setTimeout(r, 3_000).unref())]);
      s.disconnect('signed out');
    }
    this.#loggedOn = false;
    this.#clearChallenge('expired');
    this.#setState('signed-out');
  }

  /** Stops everything (app quit). */
  async close(): Promise<void> {
    await this.signOut();
    for (const st of this.#stores.values()) st.close();
    this.#stores.clear();
  }

  #clearTimers(): void {
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    if (this.#reattestTimer) clearTimeout(this.#reattestTimer);
    if (this.#sweepTimer) clearInterval(this.#sweepTimer);
    this.#retryTimer = this.#reattestTimer = this.#sweepTimer = undefined;
  }

  #startSweeps(): void {
    if (this.#sweepTimer) return;
    this.#sweepTimer = setInterval(() => this.book.sweep(), 1_000);
    this.#sweepTimer.unref();
  }

  #store(compId: string, target: string): FileStore {
    const key = `${compId}-${target}`.replace(/[^A-Za-z0-9._-]/g, '_');
    let st = this.#stores.get(key);
    if (!st) {
      // Persistent: a reconnect (or a restart) resumes the same FIX session with its sequence numbers.
      st = new FileStore(path.join(this.#o.dataDir, 'fix', `${key}.store`));
      this.#stores.set(key, st);
    }
    return st;
  }

  async #connect(): Promise<void> {
    if (this.#connecting || !this.#creds) return;
    this.#connecting = true;
    const gen = ++this.#generation;
    try {
      const target = this.#o.target();
      if (!target) {
        this.#setState('config-error', { reason: 'no gateway is configured (managed policy or settings)' });
        return;
      }
      const id = this.#o.identity();
      if (!id) {
        this.#setState('enrollment-needed', { reason: 'this device has no valid certificate: enroll it first' });
        return;
      }
      this.#setState(this.#backoff.attempt > 0 ? 'reconnecting' : 'connecting');
      let conn: FixsConnection;
      try {
        conn = await connectFixs({
          host: target.host,
          port: target.port,
          key: id.key.tlsKey(),
          cert: [id.certificatePem, ...id.chainPem].join('\n'),
          ca: target.caPem ?? [],
          spkiPins: target.spkiPins,
          timeoutMs: 15_000,
        });
      } catch (e) {
        const msg = (e as Error).message ?? String(e);
        if (CERT_REFUSED.test(`${(e as NodeJS.ErrnoException).code ?? ''} ${msg}`)) {
          this.#certificateRefused(`the gateway refused this device's certificate (${msg})`);
          return;
        }
        this.#scheduleReconnect(`cannot reach the gateway: ${msg}`);
        return;
      }
      if (gen !== this.#generation || !this.#creds) {
        conn.socket.destroy();
        return;
      }
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
      if (gen !== this.#generation || !this.#creds) {
        conn.socket.destroy();
        return;
      }
      this.#lastAttestationAt = new Date();
      this.#loggedOn = false;
      this.#logoutText = undefined;
      this.#logoutDecision = undefined;
      const store = this.#store(id.compId, target.compId);
      const resetOnLogon = this.#resetNext;
      this.#resetNext = false;
      const session = initiateSession(conn, {
        senderCompId: id.compId,
        targetCompId: target.compId,
        heartBtInt: this.#o.heartBtIntSec ?? 30,
        store,
        ...(resetOnLogon ? { resetOnLogon: true } : {}),
        dictionary: parleyDictionary(),
        ...(this.#o.heartbeatUnitMs ? { heartbeatUnitMs: this.#o.heartbeatUnitMs } : {}),
        logonFields: [
          { tag: TAG.Username, value: this.#creds.username },
          { tag: TAG.Password, value: this.#creds.password },
          { tag: TAG.Attestation, value: jws },
        ],
      });
      this.#session = session;
      session.on('logon', (m: FixMessage) => this.#onLogon(session, m));
      session.on('message', (m: FixMessage) => this.#onMessage(session, m));
      // A Logout answering our Logon is the gateway's refusal: fix/session reports it with its fields, uncounted.
      session.on('logout', (text: string | undefined, m: FixMessage | undefined) => {
        if (this.#session !== session) return;
        this.#logoutText = text?.slice(0, 2_000);
        this.#logoutDecision = m ? readLogoutDecision(m) : undefined;
      });
      session.on('event', (t: string) => this.#o.log?.info(`fix: ${t}`));
      session.on('reject', (r: { direction: string; text?: string; refMsgType?: string }) => this.#o.log?.warn(`fix: reject ${r.direction} ${r.refMsgType ?? ''}: ${r.text ?? ''}`));
      session.on('error', () => {});
      session.once('closed', (reason: string) => void this.#onClosed(session, reason));
    } finally {
      this.#connecting = false;
    }
  }

  #scheduleReconnect(reason: string): void {
    if (!this.#creds || this.#denied) return;
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    // After a network change the backoff grown on the old network says nothing about the new one: start over
    // at once. Failures after that back off exponentially again from the base delay.
    const delay = this.#reconnectSoon ? this.#backoff.soon() : this.#backoff.next();
    this.#reconnectSoon = false;
    this.#setState('reconnecting', { reason, retryInSec: Math.ceil(delay / 1_000) });
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      this.#connect().catch((e: unknown) => this.#scheduleReconnect(`connection failed: ${(e as Error).message}`));
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
    this.#setState('enrollment-needed', { reason });
    this.emit('notification', this.#note('error', 'Device certificate refused', reason));
  }

  async #onClosed(session: FixSession, reason: string): Promise<void> {
    if (this.#session !== session) return;
    this.#session = null;
    this.#conn = null;
    if (this.#reattestTimer) clearTimeout(this.#reattestTimer);
    const wasLoggedOn = this.#loggedOn;
    this.#loggedOn = false;
    for (const [, w] of this.#hitWaiters) w.resolve({ status: 'submitted', reason: 'the connection dropped; the result arrives after reconnecting' });
    this.#hitWaiters.clear();
    // The gateway binds a registration to its session: a new connection starts over.
    this.#settleKeyRegistrations('the connection to the gateway dropped; start the registration again');
    this.#keyRegIds.clear();
    // The gateway's numbers are behind ours (it lost or reset its session state): both sides start over.
    // (A Logout refusing our Logon moved no sequence number: fix/session does not count it.)
    if (!wasLoggedOn && /MsgSeqNum too low/.test(`${reason} ${this.#logoutText ?? ''}`)) {
      this.#resetNext = true;
      this.#scheduleReconnect('the FIX session is out of step with the gateway; starting a new one');
      return;
    }
    if (!this.#creds) return;
    const decision = this.#logoutDecision;
    const text = denialText(this.#logoutText, decision);
    if (!wasLoggedOn) {
      if (decision && decision.decision === 'deny' && (decision.score !== undefined || decision.factors.length > 0)) {
        // Show the factors that denied us in the security view, as the gateway scored them.
        this.#risk = { score: decision.score ?? 0, factors: riskFactors(decision.factors), decision: 'deny' };
      }
      if (text) {
        // A Logout in answer to our Logon: the gateway's decision (or a credential problem). Not retried.
        if (/revoked|certificate/i.test(text) && (await this.#revoked())) {
          this.#certificateRefused(`the device certificate is revoked: ${text}`);
          return;
        }
        this.#denied = true;
        this.#setState('denied', { reason: text });
        return;
      }
      if (await this.#revoked()) {
        this.#certificateRefused('the device certificate is revoked');
        return;
      }
    } else if (text && /revoked/i.test(text)) {
      this.#certificateRefused(text);
      return;
    } else if (text && /lock|denied|DENY/i.test(text)) {
      this.#denied = true;
      this.#setState('denied', { reason: text });
      return;
    }
    this.#scheduleReconnect(text ? `the gateway ended the session: ${text}` : `connection lost (${reason})`);
  }

  async #revoked(): Promise<boolean> {
    try {
      return (await this.#o.isCertificateRevoked?.()) ?? false;
    } catch {
      return false;
    }
  }

  // ------------------------------------------------------------------------------------------------
  // Inbound

  #onLogon(session: FixSession, m: FixMessage): void {
    if (this.#session !== session) return;
    this.#loggedOn = true;
    this.#backoff.reset();
    this.#reconnectSoon = false;
    const decision = decisionFromWire(m.get(TAG.Decision)) ?? 'allow';
    const role = m.get(TAG.SessionRole);
    if (role) this.#role = role.slice(0, 100);
    const score = m.getInt(TAG.RiskScore);
    this.#risk = { score: score ?? 0, factors: riskFactors(readFactors(m)), decision: contractDecision(decision) };
    this.#scheduleReattest();
    if (decision === 'step-up') this.#setState('challenged', { reason: 'the gateway asks for step-up authentication' });
    else this.#setState('connected');
    for (const w of this.#readyWaiters.splice(0)) w();
  }

  #onMessage(session: FixSession, m: FixMessage): void {
    if (this.#session !== session) return;
    try {
      switch (m.msgType) {
        case MSG.SecurityStatus:
          return this.#onSecurityStatus(m);
        case MSG.StepUpChallenge:
          return this.#onChallenge(m);
        case MSG.StepUpResult:
          return this.#onStepUpResult(m);
        case MSG.AttestationRequest:
          return void this.#reattest();
        case MSG.DealerList:
          this.#dealers = readDealerList(m)
            .filter((d) => /^[A-Za-z0-9._:\-]{1,64}$/.test(d.name))
            .map((d) => ({ id: d.name, name: d.name }));
          return;
        case MSG.OpenRfqsAck:
          return this.#onOpenRfqsAck(m);
        case MSG.KeyRegistrationResult:
          return this.#onKeyRegistrationResult(m);
        case 'y':
          this.#instruments = readSecurityList(m);
          return;
        case 'S': {
          const q = readQuote(m);
          if (q) this.book.addQuote(q);
          return;
        }
        case 'AG': {
          const id = m.get(131);
          if (id) this.book.setStatus(id, 'rejected', m.get(58) ?? 'the gateway refused the RFQ');
          return;
        }
        case '8':
          return this.#onExecutionReport(m);
        case 'AI':
          return this.#onQuoteStatus(m);
        case 'AQ':
          return this.#onTradeAck(m);
        case 'AE':
          return this.#onTradeCapture(m);
        case 'j':
          return this.#onBusinessReject(m);
        default:
          this.#o.log?.warn(`session: ignored message type ${m.msgType}`);
      }
    } catch (e) {
      this.#o.log?.warn(`session: could not handle ${m.msgType}: ${(e as Error).message}`);
    }
  }

  #onSecurityStatus(m: FixMessage): void {
    const s = readSecurityStatus(m);
    if (s.role) this.#role = s.role.slice(0, 100);
    if (s.score !== undefined || s.factors.length) {
      this.#risk = { score: s.score ?? this.#risk?.score ?? 0, factors: riskFactors(s.factors), decision: contractDecision(s.decision) };
    }
    if (s.attestDeadline) this.#scheduleReattest(s.attestDeadline);
    if (s.scope === 'logon' || s.scope === 'reattest' || s.scope === 'posture') {
      if (s.decision === 'allow' && this.#state.state === 'challenged') this.#setState('connected');
    }
    if (s.decision === 'downgraded') {
      this.emit('notification', this.#note('warning', 'Session downgraded', s.text ?? 'trading is paused until the device passes its posture check'));
    } else if (s.decision === 'deny' && s.scope === 'action') {
      this.emit('notification', this.#note('error', 'Request denied', s.text ?? s.reasons?.join('; ') ?? 'the access policy denied the request'));
      if (s.requestRef) this.book.setStatus(s.requestRef, 'rejected', s.text ?? 'denied by policy');
    } else if (s.decision === 'ended') {
      this.emit('notification', this.#note('error', 'Session ended', s.text ?? 'the gateway ended the session'));
    }
    this.emit('security');
  }

  #onChallenge(m: FixMessage): void {
    // A challenge resent from an earlier connection (PossDup) is void: the gateway binds each to its session.
    if (m.get(43) === 'Y') return;
    const c = readStepUpChallenge(m);
    if (c.expiresAt.getTime() <= Date.now()) return;
    if (!/^[A-Za-z0-9._:\-]{1,64}$/.test(c.challengeId) || !c.methods.length) return;
    let webauthnOptions: StepUpChallenge["webauthnOptions"];
    if (c.webauthnOptions) {
      try {
        const parsed = WebAuthnOptionsSchema.safeParse(JSON.parse(c.webauthnOptions));
        if (parsed.success) webauthnOptions = parsed.data;
      } catch {
        /* unusable options: WebAuthn is then not offered */
      }
    }
    const methods = c.methods.filter((x) => x === 'totp' || webauthnOptions);
    if (!methods.length) return;
    this.#challenge = {
      challengeId: c.challengeId,
      methods,
      reason: riskFactors(c.factors),
      expiresAt: c.expiresAt.toISOString(),
      attemptsLeft: Math.max(0, c.attemptsLeft),
      ...(webauthnOptions ? { webauthnOptions } : {}),
    };
    this.#challengeScope = c.scope;
    this.#challengeRef = c.requestRef;
    if (c.scope === 'logon') this.#setState('challenged', { reason: c.text ?? 'step-up authentication required' });
    this.emit('stepUpChallenge', this.#challenge);
  }

  #onStepUpResult(m: FixMessage): void {
    const r = readStepUpResult(m);
    const outcome: StepUpResult['outcome'] =
      r.result === 'success' ? 'accepted' : r.result === 'locked' ? 'locked' : r.result === 'expired' ? 'expired' : 'rejected';
    const result: StepUpResult = {
      outcome,
      ...(r.attemptsLeft !== undefined ? { attemptsLeft: Math.max(0, r.attemptsLeft) } : {}),
      ...(r.text ? { reason: r.text.slice(0, 2_000) } : {}),
    };
    const w = this.#stepUpWaiters.get(r.challengeId);
    if (w) {
      clearTimeout(w.timer);
      this.#stepUpWaiters.delete(r.challengeId);
      w.resolve(result);
    }
    if (this.#challenge?.challengeId === r.challengeId) {
      if (outcome === 'rejected' && r.attemptsLeft !== undefined) this.#challenge = { ...this.#challenge, attemptsLeft: Math.max(0, r.attemptsLeft) };
      if (outcome !== 'rejected') this.#clearChallenge(outcome);
    }
  }

  #clearChallenge(outcome: StepUpResult['outcome']): void {
    const c = this.#challenge;
    if (!c) return;
    this.#challenge = null;
    this.emit('stepUpResolved', { challengeId: c.challengeId, outcome });
  }

  #onExecutionReport(m: FixMessage): void {
    const r = readExecutionReport(m);
    if (!r) return;
    const clientRfqId = this.book.clientRfqIdForResp(r.quoteRespId) ?? clientRfqIdFromResp(r.quoteRespId);
    if (!clientRfqId) return;
    const waiter = this.#hitWaiters.get(r.quoteRespId);
    this.#hitWaiters.delete(r.quoteRespId);
    if (waiter) clearTimeout(waiter.timer);
    if (r.kind === 'rejected') {
      this.book.hitRejected(clientRfqId, r.reason);
      waiter?.resolve({ status: 'rejected', reason: r.reason });
      return;
    }
    const rfq = this.book.get(clientRfqId);
    const quoteId = this.book.hitQuoteId(clientRfqId) ?? 'UNKNOWN';
    const { tradeDate, ...rest } = r.execution;
    // The desk's SettlDate on the fill is what was booked; the RFQ's own date (or, failing both, the trade date)
    // only stands in for a report without it.
    const execution: Execution = { ...rest, clientRfqId, quoteId, settlementDate: r.execution.settlementDate ?? rfq?.settlementDate ?? tradeDate };
    const fresh = this.book.addExecution(execution);
    if (fresh) this.emit('execution', execution);
    waiter?.resolve({ status: 'filled', execution });
  }

  #onQuoteStatus(m: FixMessage): void {
    const quoteReqId = m.get(131);
    if (!quoteReqId) return;
    if (m.get(TAG.RfqOwner) === undefined) {
      // The trader's own RFQ: the gateway answers a QuoteCancel with QuoteStatus 4 (docs/protocol.md); 17 is
      // FIX 5's value for the same, which readOpenRfqStatus accepts too.
      const status = m.get(297);
      if (status === '4' || status === '17') this.book.setStatus(quoteReqId, 'cancelled');
      return;
    }
    const read = readOpenRfqStatus(m);
    const reqId = m.get(TAG.RequestID);
    const w = reqId ? this.#openRfqWaiters.get(reqId) : undefined;
    if (read) {
      // A cancelled, traded or expired RFQ leaves the risk view; any other report replaces the row.
      if (read.closed) this.#openRfqs.delete(read.row.rfqId);
      else this.#openRfqs.set(read.row.rfqId, read.row);
      if (w) w.rows.push(read.row);
    }
    if (w && w.expected !== null && w.rows.length >= w.expected) this.#finishOpenRfqs(reqId!);
    if (!w) this.emit('openRfqs', [...this.#openRfqs.values()]);
  }

  #onOpenRfqsAck(m: FixMessage): void {
    const reqId = m.get(TAG.RequestID);
    const w = reqId ? this.#openRfqWaiters.get(reqId) : undefined;
    if (!w) return;
    w.expected = Math.max(0, m.getInt(TAG.ReportCount) ?? 0);
    const text = m.get(TAG.Text);
    if (w.expected === 0 && text) {
      // An empty answer with a reason is the gateway's refusal (the access policy said no).
      clearTimeout(w.timer);
      this.#openRfqWaiters.delete(reqId!);
      w.reject(new ParleyError('forbidden', text.slice(0, 2_000)));
      return;
    }
    if (w.rows.length >= w.expected) this.#finishOpenRfqs(reqId!);
  }

  #finishOpenRfqs(reqId: string): void {
    const w = this.#openRfqWaiters.get(reqId);
    if (!w) return;
    clearTimeout(w.timer);
    this.#openRfqWaiters.delete(reqId);
    // Every report counts towards the announced number, but only open RFQs are the answer.
    w.resolve(w.rows.filter((r) => r.status !== 'cancelled' && r.status !== 'expired' && r.status !== 'executed'));
    this.emit('openRfqs', [...this.#openRfqs.values()]);
  }

  #onTradeAck(m: FixMessage): void {
    const reqId = m.get(568);
    const w = reqId ? this.#historyWaiters.get(reqId) : undefined;
    if (!w) return;
    if (m.get(749) && m.get(749) !== '0') {
      clearTimeout(w.timer);
      this.#historyWaiters.delete(reqId!);
      w.reject(new ParleyError('denied', m.get(58) ?? 'the trade history request was refused'));
      return;
    }
    w.expected = Math.max(0, m.getInt(748) ?? 0);
    if (w.rows.length >= w.expected) this.#finishHistory(reqId!);
  }

  #onTradeCapture(m: FixMessage): void {
    const t = readTradeCapture(m);
    if (!t) return;
    const w = this.#historyWaiters.get(t.reqId);
    if (!w) return;
    const { last, reqId, ...execution } = t;
    if (!w.rows.some((r) => r.execId === execution.execId)) w.rows.push(execution);
    if (last || (w.expected !== null && w.rows.length >= w.expected)) this.#finishHistory(reqId);
  }

  #finishHistory(reqId: string): void {
    const w = this.#historyWaiters.get(reqId);
    if (!w) return;
    clearTimeout(w.timer);
    this.#historyWaiters.delete(reqId);
    w.resolve(w.rows);
  }

  #onBusinessReject(m: FixMessage): void {
    const text = m.get(58) ?? 'the gateway refused the request';
    const refType = m.get(372);
    const decision = decisionFromWire(m.get(TAG.Decision));
    if (refType === MSG.KeyRegistrationRequest) {
      this.#settleKeyRegistrations(text);
      return;
    }
    if (refType === MSG.OpenRfqsRequest) {
      for (const [id, w] of this.#openRfqWaiters) {
        clearTimeout(w.timer);
        this.#openRfqWaiters.delete(id);
        w.reject(new ParleyError(decision === 'step-up' ? 'denied' : 'forbidden', text));
      }
      return;
    }
    if (refType === 'AD') {
      for (const [id, w] of this.#historyWaiters) {
        clearTimeout(w.timer);
        this.#historyWaiters.delete(id);
        w.reject(new ParleyError(decision === 'step-up' ? 'denied' : 'forbidden', text));
      }
      return;
    }
    const ref = m.get(379);
    if (refType === 'R' && ref) this.book.setStatus(ref, 'rejected', text);
    this.emit('notification', this.#note(decision === 'deny' ? 'error' : 'warning', 'Request refused', text));
  }

  // ------------------------------------------------------------------------------------------------
  // Re-attestation

  #scheduleReattest(deadline?: Date): void {
    if (this.#reattestTimer) clearTimeout(this.#reattestTimer);
    let ms = this.#o.reattestIntervalSec() * 1_000;
    // Leave a margin before the gateway's deadline for collection and the round trip.
    if (deadline) ms = Math.min(ms, Math.max(1_000, deadline.getTime() - Date.now() - 15_000));
    this.#reattestTimer = setTimeout(() => void this.#reattest(), ms);
    this.#reattestTimer.unref();
  }

  async #reattest(): Promise<void> {
    const session = this.#session;
    const conn = this.#conn;
    if (!session || !conn || !this.#loggedOn) return;
    try {
      const jws = await this.#o.attest((label, length) => conn.exporter(label, length));
      if (this.#session !== session || session.state !== 'active') return;
      session.send(MSG.Attestation, [{ tag: TAG.Attestation, value: jws }]);
      this.#lastAttestationAt = new Date();
      this.emit('security');
    } catch (e) {
      this.#o.log?.warn(`session: re-attestation failed: ${(e as Error).message}`);
    } finally {
      this.#scheduleReattest();
    }
  }

  // ------------------------------------------------------------------------------------------------
  // Outbound calls

  #active(): FixSession {
    const s = this.#session;
    if (!s || !this.#loggedOn || s.state !== 'active') {
      if (!this.#creds) throw new ParleyError('not-signed-in', 'sign in first');
      throw new ParleyError('not-connected', `not connected to the gateway (${this.#state.state})`);
    }
    return s;
  }

  #nextId(prefix: string): string {
    return `${prefix}-${Date.now().toString(36)}-${++this.#reqSeq}`;
  }

  #wait<T>(map: Map<string, Pending<T>>, id: string, ms: number, onTimeout: () => T | Error, extra: object = {}): Promise<T> {
    if (map.size >= MAX_PENDING) return Promise.reject(new ParleyError('conflict', 'too many requests in flight'));
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        map.delete(id);
        const v = onTimeout();
        if (v instanceof Error) reject(v);
        else resolve(v);
      }, ms);
      timer.unref();
      map.set(id, { resolve, reject, timer, ...extra } as Pending<T>);
    });
  }

  async answerStepUp(a: StepUpAnswer): Promise<StepUpResult> {
    const c = this.#challenge;
    if (!c || c.challengeId !== a.challengeId) throw new ParleyError('not-found', 'no such step-up challenge is pending');
    if (new Date(c.expiresAt) <= new Date()) {
      this.#clearChallenge('expired');
      return { outcome: 'expired' };
    }
    if (!c.methods.includes(a.method)) throw new ParleyError('invalid-request', `the gateway did not offer ${a.method}`);
    const s = this.#active();
    s.send(
      MSG.StepUpResponse,
      stepUpResponseFields(
        a.method === 'totp'
          ? { challengeId: a.challengeId, method: 'totp', code: a.code }
          : { challengeId: a.challengeId, method: 'webauthn', webauthnResponse: JSON.stringify(a.credential) },
      ),
    );
    return this.#wait(this.#stepUpWaiters, a.challengeId, this.#o.requestTimeoutMs ?? 30_000, () => new ParleyError('timeout', 'the gateway did not answer the step-up'));
  }

  async cancelStepUp(challengeId: string): Promise<void> {
    if (this.#challenge?.challengeId !== challengeId) return;
    const logonScope = this.#challengeScope === 'logon';
    const held = this.#challengeRef ? this.#keyRegWaiters.get(this.#challengeRef) : undefined;
    if (held && this.#challengeRef) {
      clearTimeout(held.timer);
      this.#keyRegWaiters.delete(this.#challengeRef);
      held.resolve({ status: 'rejected', reason: 'step-up cancelled: the security key was not registered' });
    }
    this.#clearChallenge('expired');
    // Without the step-up the logon cannot complete: leave rather than sit half-authorized.
    if (logonScope) await this.signOut();
  }

  async createRfq(req: CreateRfq): Promise<Rfq> {
    const s = this.#active();
    const { rfq, isNew } = this.book.create(req);
    if (isNew) s.send('R', quoteRequestFields(rfq));
    return rfq;
  }

  async hitQuote(clientRfqId: string, quoteId: string): Promise<HitResult> {
    const s = this.#active();
    const d = this.book.hit(clientRfqId, quoteId);
    if (!d.send) return d.result;
    s.send('AJ', quoteResponseFields({ quoteRespId: d.quoteRespId, quoteId, side: d.rfq.side, instrument: d.rfq.instrument, quantity: d.rfq.quantity, price: d.quote.price }));
    return this.#wait(this.#hitWaiters, d.quoteRespId, this.#o.requestTimeoutMs ?? 10_000, () => ({ status: 'submitted' as const, reason: 'waiting for the dealer' }));
  }

  passQuote(clientRfqId: string, quoteId: string): void {
    this.book.pass(clientRfqId, quoteId);
  }

  async cancelRfq(clientRfqId: string): Promise<void> {
    const rfq = this.book.get(clientRfqId);
    if (!rfq) throw new ParleyError('not-found', `no RFQ ${clientRfqId}`);
    const s = this.#active();
    s.send('Z', quoteCancelFields(clientRfqId, rfq.quotes[0]?.quoteId ?? clientRfqId));
    this.book.setStatus(clientRfqId, 'cancelled');
  }

  async queryHistory(q: HistoryQuery): Promise<Execution[]> {
    const s = this.#active();
    const reqId = this.#nextId('TH');
    const p = this.#wait(this.#historyWaiters as unknown as Map<string, Pending<Execution[]>>, reqId, this.#o.requestTimeoutMs ?? 15_000,
      () => new ParleyError('timeout', 'the gateway did not answer the history request'), { rows: [], expected: null });
    s.send('AD', tradeCaptureRequestFields(reqId, q.instrument));
    const rows = await p;
    return rows.filter((r) => {
      const d = r.transactTime.slice(0, 10);
      return d >= q.from && d <= q.to && (!q.side || r.side === q.side) && (!q.instrument || r.instrument === q.instrument);
    });
  }

  /**
   * Security-key registration (UK/UL): 'begin' may wait for a step-up the gateway asks first (its challenge
   * arrives as a stepUpChallenge event), so it waits longer than other requests.
   */
  async registerSecurityKey(req: RegisterSecurityKey): Promise<RegisterSecurityKeyResult> {
    const s = this.#active();
    if (req.stage === 'begin') {
      const id = this.#nextId('KR');
      const p = this.#wait(this.#keyRegWaiters, id, Math.max(this.#o.requestTimeoutMs ?? 0, 180_000),
        () => new ParleyError('timeout', 'the gateway did not answer the key registration'));
      s.send(MSG.KeyRegistrationRequest, keyRegistrationRequestFields({ requestId: id, stage: 'begin' }));
      return p;
    }
    if (!this.#keyRegIds.has(req.registrationId)) {
      return { status: 'rejected', reason: 'no such registration on this connection; start again' };
    }
    this.#keyRegIds.delete(req.registrationId);
    const p = this.#wait(this.#keyRegWaiters, req.registrationId, this.#o.requestTimeoutMs ?? 30_000,
      () => new ParleyError('timeout', 'the gateway did not answer the key registration'));
    s.send(MSG.KeyRegistrationRequest, keyRegistrationRequestFields({ requestId: req.registrationId, stage: 'finish', webauthnResponse: JSON.stringify(req.credential) }));
    return p;
  }

  #onKeyRegistrationResult(m: FixMessage): void {
    const r = readKeyRegistrationResult(m);
    const w = this.#keyRegWaiters.get(r.requestId);
    if (!w) return;
    clearTimeout(w.timer);
    this.#keyRegWaiters.delete(r.requestId);
    if (r.status === 'options') {
      let options: unknown;
      try { options = JSON.parse(r.webauthnOptions ?? ''); } catch { options = undefined; }
      const parsed = WebAuthnCreationOptionsSchema.safeParse(options);
      if (!parsed.success) {
        w.resolve({ status: 'rejected', reason: 'the gateway sent security-key options this app cannot use' });
        return;
      }
      if (this.#keyRegIds.size >= 16) this.#keyRegIds.delete(this.#keyRegIds.values().next().value!);
      this.#keyRegIds.add(r.requestId);
      w.resolve({ status: 'options', registrationId: r.requestId, options: parsed.data });
      return;
    }
    if (r.status === 'registered' && r.credentialId && r.credentialId.length <= 1024) {
      this.emit('notification', this.#note('info', 'Security key registered', 'You can now use this security key when Parley asks for a second factor.'));
      w.resolve({ status: 'registered', credentialId: r.credentialId });
      return;
    }
    w.resolve({ status: 'rejected', reason: (r.text ?? 'the gateway refused the security key').slice(0, 2_000) });
  }

  #settleKeyRegistrations(reason: string): void {
    for (const [id, w] of this.#keyRegWaiters) {
      clearTimeout(w.timer);
      this.#keyRegWaiters.delete(id);
      w.resolve({ status: 'rejected', reason: reason.slice(0, 2_000) });
    }
  }

  async listOpenRfqs(): Promise<OpenRfq[]> {
    const s = this.#active();
    const reqId = this.#nextId('OR');
    const p = this.#wait(this.#openRfqWaiters as unknown as Map<string, Pending<OpenRfq[]>>, reqId, this.#o.requestTimeoutMs ?? 15_000,
      () => new ParleyError('timeout', 'the gateway did not answer'), { rows: [], expected: null });
    s.send(MSG.OpenRfqsRequest, [{ tag: TAG.RequestID, value: reqId }, { tag: TAG.SubscriptionRequestType, value: '1' }]);
    return p;
  }

  // Before the logon is complete (second factor included) there is no list to give: an empty one would read as
  // "the gateway offers nothing", so say 'not-connected' and let the UI retry once connected. A list already
  // received stays served.
  async listInstruments(): Promise<Instrument[]> {
    if (!this.#instruments.length) {
      if (!this.#loggedOn || this.#state.state !== 'connected') throw this.#noReferenceData('instruments');
      this.#active().send('x', securityListRequestFields(this.#nextId('SL')));
      await this.#until(() => this.#instruments.length > 0, 5_000);
    }
    return this.#instruments;
  }

  async listDealers(): Promise<Dealer[]> {
    if (!this.#dealers.length) {
      if (!this.#loggedOn || this.#state.state !== 'connected') throw this.#noReferenceData('dealers');
      this.#active().send(MSG.DealerListRequest, [{ tag: TAG.RequestID, value: this.#nextId('DL') }]);
      await this.#until(() => this.#dealers.length > 0, 5_000);
    }
    return this.#dealers;
  }

  #noReferenceData(what: string): ParleyError {
    return new ParleyError('not-connected', `no ${what} yet: the logon to the gateway is not complete (${this.#state.state})`);
  }

  async #until(cond: () => boolean, ms: number): Promise<void> {
    const end = Date.now() + ms;
    while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  }

  #note(level: Notification['level'], title: string, message: string): Notification {
    return { id: `n-${Date.now().toString(36)}-${++noteSeq}`, level, title: title.slice(0, 200), message: message.slice(0, 2_000), at: new Date().toISOString() };
  }
}
