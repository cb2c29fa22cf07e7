/**
 * The client's session with the gateway, as typed calls and events for the client core (main/core.ts). A
 * facade over one module per concern, wired here:
 *
 *   connection-loop.ts          connect, Logon with the attestation, backoff, resume/takeover, denial, revocation
 *   reattestation.ts            periodic and requested posture attestations
 *   message-dispatch.ts         the table from an inbound MsgType to the handler of its concern
 *   security-view.ts            role and risk as the gateway scored them; SecurityStatus notifications
 *   step-up-relay.ts            challenges to the user, answers to the gateway
 *   security-key-registration.ts, trade-history.ts, open-rfqs.ts, reference-data.ts, rfq-trading.ts
 *
 * Each request that waits for an answer waits in a PendingRequests (pending-requests.ts): settled once, by its
 * answer, its timeout or the dropped connection.
 */
import { EventEmitter } from 'node:events';
import type { FixMessage } from '../../fix/codec.ts';
import { MsgType } from '../../fix/dictionary/tags.ts';
import type {
  ConnectionEvent,
  CreateRfq,
  Dealer,
  Execution,
  HistoryQuery,
  HitResult,
  Instrument,
  Notification,
  OpenRfq,
  RegisterSecurityKey,
  RegisterSecurityKeyResult,
  Rfq,
  StepUpAnswer,
  StepUpChallenge,
  StepUpResult,
} from '../ipc/contract.ts';
import type { Backoff } from './backoff.ts';
import { ConnectionLoop, type Attestor, type ClientIdentity, type GatewayTarget } from './connection-loop.ts';
import { MessageDispatch } from './message-dispatch.ts';
import type { NetworkWatcher } from './network-watch.ts';
import { OpenRfqs } from './open-rfqs.ts';
import { Reattestation } from './reattestation.ts';
import { ReferenceData } from './reference-data.ts';
import { readBusinessReject, readQuoteStatus } from './fix-mapping.ts';
import { RfqBook } from './rfq-book.ts';
import { RfqTrading } from './rfq-trading.ts';
import { SecurityKeyRegistration } from './security-key-registration.ts';
import { SecurityView, type RiskState } from './security-view.ts';
import { Notifier, type SessionLink } from './session-link.ts';
import { StepUpRelay } from './step-up-relay.ts';
import { TradeHistory } from './trade-history.ts';

export type { Attestor, ClientIdentity, GatewayTarget } from './connection-loop.ts';
export { denialText, type RiskState } from './security-view.ts';

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

export class GatewaySession extends EventEmitter<SessionEvents> {
  readonly book: RfqBook;
  readonly #loop: ConnectionLoop;
  readonly #reattest: Reattestation;
  readonly #view: SecurityView;
  readonly #stepUp: StepUpRelay;
  readonly #keys: SecurityKeyRegistration;
  readonly #history: TradeHistory;
  readonly #openRfqs: OpenRfqs;
  readonly #reference: ReferenceData;
  readonly #trading: RfqTrading;
  readonly #dispatch: MessageDispatch;
  readonly #link: SessionLink;
  #sweepTimer: NodeJS.Timeout | undefined;
  #reqSeq = 0;

  constructor(o: GatewaySessionOptions) {
    super();
    this.book = new RfqBook({ onChange: (r) => this.emit('rfq', r) });
    const notifier = new Notifier((n) => this.emit('notification', n));
    const loop = (this.#loop = new ConnectionLoop(o));
    const link: SessionLink = (this.#link = {
      active: () => loop.active(),
      nextId: (prefix) => `${prefix}-${Date.now().toString(36)}-${++this.#reqSeq}`,
      timeoutMs: (fallback) => o.requestTimeoutMs ?? fallback,
      notify: (level, title, message, topic) => notifier.notify(level, title, message, topic),
    });
    this.#reattest = new Reattestation({
      attest: o.attest, intervalSec: o.reattestIntervalSec, live: () => loop.live(),
      attested: () => { loop.attested(); this.emit('security'); }, ...(o.log ? { log: o.log } : {}),
    });
    this.#view = new SecurityView(link, {
      changed: () => this.emit('security'),
      allowed: () => loop.setState('connected'),
      actionDenied: (ref, text) => this.#trading.rejected(ref, text),
      attestBy: (deadline) => this.#reattest.schedule(deadline),
    });
    this.#stepUp = new StepUpRelay(link, {
      challenge: (c) => this.emit('stepUpChallenge', c),
      resolved: (r) => this.emit('stepUpResolved', r),
      logonChallenged: (reason) => loop.setState('challenged', { reason }),
    });
    this.#keys = new SecurityKeyRegistration(link);
    this.#history = new TradeHistory(link);
    this.#openRfqs = new OpenRfqs(link, (rows) => this.emit('openRfqs', rows));
    this.#reference = new ReferenceData(link, () => ({ ready: !!loop.live() && loop.state.state === 'connected', state: loop.state.state }));
    this.#trading = new RfqTrading(link, this.book, (e) => this.emit('execution', e));
    this.#dispatch = this.#routes(new MessageDispatch(o.log));

    loop.on('state', (ev) => {
      this.emit('connection', ev);
      this.emit('security');
      // Issue 19 item 3: after a logon the hits in flight and the trades are reconciled with the gateway.
      if (ev.state === 'connected') void this.#trading.reconcile(() => this.#history.query({ from: '0000-01-01', to: '9999-12-31' }));
    });
    loop.on('logon', (m) => this.#onLogon(m));
    loop.on('message', (m) => this.#dispatch.dispatch(m));
    loop.on('refused', (d) => this.#view.onRefused(d));
    // After the gateway's own structured end (its UB ENDED was the notice) a second notice in its raw words adds nothing.
    loop.on('certificateRefused', (reason) => {
      if (loop.state.ended?.cause !== 'certificate-revoked' || !loop.state.ended.detail) link.notify('error', 'Device certificate refused', reason, 'session');
    });
    loop.on('dropped', () => {
      this.#reattest.stop();
      this.#trading.dropped();
      this.#keys.dropped();
      this.#stepUp.dropped();
    });
  }

  /** Which concern reads which inbound message type. */
  #routes(d: MessageDispatch): MessageDispatch {
    const challenged = () => this.#loop.state.state === 'challenged';
    return d
      .on(MsgType.ParleySecurityStatus, (m) => this.#view.onSecurityStatus(m, challenged()))
      .on(MsgType.ParleyStepUpChallenge, (m) => this.#stepUp.onChallenge(m))
      .on(MsgType.ParleyStepUpResult, (m) => this.#stepUp.onResult(m))
      .on(MsgType.ParleyAttestationRequest, () => void this.#reattest.now())
      .on(MsgType.ParleyDealerList, (m) => this.#reference.onDealerList(m))
      .on(MsgType.SecurityList, (m) => this.#reference.onSecurityList(m))
      .on(MsgType.ParleyKeyRegistrationResult, (m) => this.#keys.onResult(m))
      .on(MsgType.ParleyOpenRfqsAck, (m) => this.#openRfqs.onAck(m))
      .on(MsgType.Quote, (m) => this.#trading.onQuote(m))
      .on(MsgType.QuoteRequestReject, (m) => this.#trading.onQuoteRequestReject(m))
      .on(MsgType.ExecutionReport, (m) => this.#trading.onExecutionReport(m))
      .on(MsgType.QuoteStatusReport, (m) => this.#onQuoteStatus(m))
      .on(MsgType.TradeCaptureReportRequestAck, (m) => this.#history.onAck(m))
      .on(MsgType.TradeCaptureReport, (m) => this.#history.onReport(m))
      .on(MsgType.BusinessMessageReject, (m) => this.#onBusinessReject(m));
  }

  // ------------------------------------------------------------------------------------------------
  // State

  get connection(): ConnectionEvent { return this.#loop.state; }
  get role(): string | undefined { return this.#view.role; }
  get risk(): RiskState | null { return this.#view.risk; }
  get tls(): { version: string; cipher: string } | null { return this.#loop.tls; }
  get lastAttestationAt(): Date | null { return this.#loop.lastAttestationAt; }
  get pendingChallenge(): StepUpChallenge | null { return this.#stepUp.pending; }
  get username(): string | null { return this.#loop.username; }

  // ------------------------------------------------------------------------------------------------
  // Sign in / out

  /** Connects and logs on; resolves with the resulting state (connected, challenged, denied, …). */
  async signIn(username: string, password: string, timeoutMs = 30_000): Promise<ConnectionEvent> {
    const settled = this.#loop.signIn(username, password, timeoutMs);
    if (!this.#sweepTimer) {
      this.#sweepTimer = setInterval(() => this.book.sweep(), 1_000);
      this.#sweepTimer.unref();
    }
    return settled;
  }

  async signOut(): Promise<void> {
    this.#reattest.stop();
    if (this.#sweepTimer) clearInterval(this.#sweepTimer);
    this.#sweepTimer = undefined;
    await this.#loop.signOut();
    this.#stepUp.clear('expired');
    this.#loop.setState('signed-out');
  }

  /** Stops everything (app quit). */
  async close(): Promise<void> {
    await this.signOut();
    this.#loop.closeStores();
  }

  #onLogon(m: FixMessage): void {
    const decision = this.#view.onLogon(m);
    this.#reattest.schedule();
    if (decision === 'step-up') this.#loop.setState('challenged', { reason: 'the gateway asks for step-up authentication' });
    else this.#loop.setState('connected');
  }

  /** A QuoteStatusReport (AI) naming the RFQ's owner is the risk view's; one without is about the trader's own RFQ. */
  #onQuoteStatus(m: FixMessage): void {
    const r = readQuoteStatus(m);
    if (!r.ok) return;
    if (r.value.owner === undefined) this.#trading.onQuoteStatus(m);
    else this.#openRfqs.onReport(m);
  }

  /** A BusinessMessageReject (j): the refused request's concern settles it, by the MsgType it names. */
  #onBusinessReject(m: FixMessage): void {
    // fix/session validates j before it gets here (RefMsgType is required), so a reject it cannot read is dropped.
    const r = readBusinessReject(m);
    if (!r.ok) return;
    const { refMsgType, refId, text, decision } = r.value;
    if (refMsgType === MsgType.ParleyKeyRegistrationRequest) return this.#keys.refused(text);
    if (refMsgType === MsgType.ParleyOpenRfqsRequest) return this.#openRfqs.refused(text, decision === 'step-up');
    if (refMsgType === MsgType.TradeCaptureReportRequest) return this.#history.refused(text, decision === 'step-up');
    if (refMsgType === MsgType.QuoteRequest && refId) this.#trading.rejected(refId, text);
    this.#link.notify(decision === 'deny' ? 'error' : 'warning', 'Request refused', text, 'action');
  }

  // ------------------------------------------------------------------------------------------------
  // Calls

  answerStepUp(a: StepUpAnswer): Promise<StepUpResult> {
    return this.#stepUp.answer(a);
  }

  async cancelStepUp(challengeId: string): Promise<void> {
    if (this.#stepUp.pending?.challengeId !== challengeId) return;
    const logonScope = this.#stepUp.pendingScope === 'logon';
    this.#keys.stepUpCancelled(this.#stepUp.heldRequest);
    this.#stepUp.clear('expired');
    // Without the step-up the logon cannot complete: leave rather than sit half-authorized.
    if (logonScope) await this.signOut();
  }

  createRfq(req: CreateRfq): Promise<Rfq> { return this.#trading.create(req); }
  hitQuote(clientRfqId: string, quoteId: string): Promise<HitResult> { return this.#trading.hit(clientRfqId, quoteId); }
  passQuote(clientRfqId: string, quoteId: string): void { this.#trading.pass(clientRfqId, quoteId); }
  cancelRfq(clientRfqId: string): Promise<void> { return this.#trading.cancel(clientRfqId); }
  queryHistory(q: HistoryQuery): Promise<Execution[]> { return this.#history.query(q); }
  /** 'begin' may wait for a step-up the gateway asks first (its challenge arrives as a stepUpChallenge event). */
  registerSecurityKey(req: RegisterSecurityKey): Promise<RegisterSecurityKeyResult> { return this.#keys.register(req); }
  listOpenRfqs(): Promise<OpenRfq[]> { return this.#openRfqs.list(); }
  listInstruments(): Promise<Instrument[]> { return this.#reference.instruments(); }
  listDealers(): Promise<Dealer[]> { return this.#reference.dealers(); }
}
