/**
 * One logged-on client session: its state (challenged, active, downgraded, ended), authentication strength,
 * device posture and deadlines, and the routing of its application messages. The concerns live in their own
 * parts, each seeing the session through SessionIo (session-io.ts):
 *   rate-limit.ts      the per-session flood guard
 *   step-up-flow.ts    the step-up state machine and the step (logon or request) it holds, as data
 *   access-gate.ts     the Cedar access policy for every request
 *   rfq-handlers.ts    the RFQ flow, trade history, open-RFQ view, reference data
 *   key-registration.ts security-key registration
 *   posture-watch.ts   re-attestation: deadlines, reminders, the posture check
 */
import { randomBytes } from 'node:crypto';
import type { Field, FixMessage } from '../../fix/codec.ts';
import { BusinessRejectReason, MsgType, rejectRefOf, Tag, type SessionEndSignal } from '../../fix/protocol/index.ts';
import {
  logoutDecisionFields, MSG, safeText, securityStatusFields, type SecurityStatus, type StatusScope, type StepUpMethod,
} from '../../fix/parley-protocol.ts';
import type { CloseKind, FixSession } from '../../fix/session.ts';
import type { FixsConnection } from '../../fix/transport.ts';
import type { Owner, Quote } from '../desk/desk.ts';
import type { AccessAction, DeviceCompliance } from '../policy/engine.ts';
import type { RiskDecision } from '../risk/score.ts';
import { AccessGate } from './access-gate.ts';
import { quoteFields } from './fix-mapping.ts';
import { KeyRegistrationHandler } from './key-registration.ts';
import { describeRisk, riskFactors, scoreSession, type LogonContext } from './logon.ts';
import type { Ports } from './ports.ts';
import { PostureWatch } from './posture-watch.ts';
import { FloodGuard } from './rate-limit.ts';
import { RfqHandlers } from './rfq-handlers.ts';
import type { HeldAction, HeldStep, SessionIo } from './session-io.ts';
import { StepUpFlow, type StepUpFailure, type StepUpNeed } from './step-up-flow.ts';

export type SessionState = 'challenged' | 'active' | 'downgraded' | 'ended';

/** fix/session's close causes for a connection that went away without a Logout (the session may resume); a
 *  takeover by the same certificate is the resume itself. */
/** Bounds the resent messages held during a logon step-up (a resend is at most what the client sent meanwhile). */
const MAX_HELD_RESENDS = 1000;

const CONNECTION_LOST: ReadonlySet<CloseKind> = new Set(['connection-lost', 'peer-timeout', 'taken-over']);

/** Who ended a session when the caller does not say: the check its scope names. */
function defaultEnd(scope: StatusScope, reason: string): SessionEndSignal {
  if (scope === 'revocation') return { by: 'revocation', detail: reason, next: 'enroll' };
  if (scope === 'posture') return { by: 'posture', detail: reason, next: 'fix-device' };
  return { by: 'policy', detail: reason, next: 'contact-it' };
}

export class LiveSession {
  readonly id = randomBytes(6).toString('hex');
  readonly fix: FixSession;
  readonly conn: FixsConnection;
  readonly ctx: LogonContext;
  readonly since = new Date();
  state: SessionState = 'active';
  risk: RiskDecision;
  strongestAuth: 'password' | 'totp' | 'webauthn' = 'password';
  mfaAt: number | null = null;
  endReason: string | null = null;
  /** The connection went without a Logout: the client may resume the FIX session on a new connection. */
  #dropped = false;
  /** The live session that resumed this one's FIX session after the drop. */
  #successor: LiveSession | null = null;
  #downgradeReason = '';
  readonly #ports: Ports;
  readonly #io: SessionIo;
  readonly #flood: FloodGuard;
  readonly #stepUp: StepUpFlow;
  readonly #gate: AccessGate;
  readonly #rfq: RfqHandlers;
  readonly #keys: KeyRegistrationHandler;
  readonly #posture: PostureWatch;
  /** Resent (PossDup) application messages that arrived while the logon step-up was pending. */
  readonly #resent: FixMessage[] = [];
  /** MsgType → handler, for an active session. */
  readonly #routes: ReadonlyMap<string, (m: FixMessage) => void>;

  constructor(fix: FixSession, conn: FixsConnection, ctx: LogonContext, ports: Ports) {
    this.fix = fix;
    this.conn = conn;
    this.ctx = ctx;
    this.#ports = ports;
    this.risk = ctx.risk;
    if (ctx.priorAuth) {
      this.strongestAuth = ctx.priorAuth.method;
      this.mfaAt = ctx.priorAuth.at;
    }
    const s = ports.settings;
    this.#flood = new FloodGuard(s.rateLimit.messagesPerSec, s.rateLimit.burst);
    this.#io = {
      id: this.id, ctx, owner: this.owner,
      send: (t, b) => this.#send(t, b), status: (st) => this.status(st), audit: (t, d) => this.#audit(t, d),
      internal: (e) => this.#internal(e), isEnded: () => this.isEnded(), isActive: () => this.state === 'active',
    };
    this.#stepUp = new StepUpFlow(this.#io, ports, {
      risk: () => ({ score: this.risk.score, factors: riskFactors(this.risk), reasons: this.risk.factors }),
      satisfied: (held, method) => this.#stepUpSatisfied(held, method),
      failed: (held, reason, cause) => this.#stepUpFailed(held, reason, cause),
    });
    this.#gate = new AccessGate(this.#io, ports, () => ({ compliance: this.compliance, mfaAt: this.mfaAt }));
    const authorizer = { authorize: (a: AccessAction, ref: string, held: HeldAction, n?: number) => this.#authorize(a, ref, held, n), allows: (a: AccessAction, ref: string) => this.#gate.allows(a, ref) };
    this.#rfq = new RfqHandlers(this.#io, ports, authorizer, (q) => this.#deliverQuote(q));
    this.#keys = new KeyRegistrationHandler(this.#io, ports, this.#gate, {
      freshSecondFactor: () => this.#freshSecondFactor(),
      stepUp: (held, need, text) => this.#stepUp.challenge(held, need, text, held.requestId),
      state: () => this.state,
    });
    this.#posture = new PostureWatch(this.#io, ports, conn, ctx.compliance, {
      lapse: (reason) => this.lapse(reason),
      recovered: (changed) => this.#recovered(changed),
      downgraded: () => this.state === 'downgraded',
    });
    this.#routes = new Map([...this.#rfq.routes(),
      [MSG.KeyRegistrationRequest, (m) => { void this.#keys.request(m).catch((e: unknown) => this.#internal(e)); }]]);
  }

  get user() { return this.ctx.user; }
  get owner(): Owner { return { user: this.ctx.user.username, compId: this.ctx.compId, sessionId: this.id }; }
  get challengeId(): string | null { return this.#stepUp.challengeId; }
  get compliance(): DeviceCompliance { return this.#posture.compliance; }
  get attestDeadline(): number { return this.#posture.deadline; }
  /** A method, not a property read, so TypeScript does not narrow it away after calls that may end the session. */
  isEnded(): boolean { return this.state === 'ended'; }
  /** True once the connection dropped without a Logout (the RFQs stay open for a resumed session). */
  get dropped(): boolean { return this.#dropped; }

  /** A new connection resumed this dropped session's FIX session: quotes still due on its RFQs go there. */
  handOver(next: LiveSession): void {
    if (next !== this) this.#successor = next;
  }

  #deliverQuote(q: Quote): void {
    let s: LiveSession = this;
    for (let i = 0; i < 1_000 && s.#successor; i++) s = s.#successor;
    if (!s.#dropped) { s.#send(MsgType.Quote, quoteFields(q)); return; }
    // Nobody is connected: store the quote in the FIX session, so the client's ResendRequest on resuming gets it.
    try { s.fix.send(MsgType.Quote, quoteFields(q)); } catch (e) { s.#audit('session.send-failed', { msgType: MsgType.Quote, error: (e as Error).message }); }
  }

  #audit(type: string, data: Record<string, unknown> = {}): void {
    this.#ports.audit.event(type, { session: this.id, user: this.user.username, compId: this.ctx.compId, ...data });
  }

  #internal(e: unknown): void {
    this.#audit('session.internal-error', { error: (e as Error).message });
  }

  #send(msgType: string, body: Field[]): void {
    if (this.state === 'ended' || this.fix.state === 'closed') return;
    try {
      this.fix.send(msgType, body);
    } catch (e) {
      this.#audit('session.send-failed', { msgType, error: (e as Error).message });
    }
  }

  status(s: Omit<SecurityStatus, 'factors'> & { factors?: SecurityStatus['factors'] }): void {
    this.#send(MSG.SecurityStatus, securityStatusFields({ factors: [], ...s }));
  }

  /** Called once the FIX Logon is answered. */
  start(): void {
    if (this.risk.decision !== 'step-up') { this.#activate('logon'); return; }
    this.state = 'challenged';
    // Offer only the second factors that bring the score under the deny threshold (risk/score.ts): when a
    // security key is the only one, the challenge asks for phishing-resistant authentication.
    const helps = this.ctx.risk.stepUpMethods;
    const acr = helps.length > 0 && !helps.includes('totp') ? 'phr' : 'mfa';
    this.#stepUp.challenge({ kind: 'logon' }, { acr }, `logon needs a second factor: ${describeRisk(this.risk)}; ${this.ctx.risk.summary}`);
  }

  #activate(scope: StatusScope): void {
    this.state = 'active';
    this.status({
      decision: 'allow', scope, score: this.risk.score, factors: riskFactors(this.risk), role: this.user.role,
      attestDeadline: new Date(this.attestDeadline), text: describeRisk(this.risk),
    });
    if (scope === 'logon') {
      this.#rfq.referenceData();
      for (const m of this.#resent.splice(0)) this.onMessage(m);
    }
  }

  // ------------------------------------------------------------------ access and step-up
  /** Runs a request through the access policy: allow performs it, step-up holds it, deny refuses it. */
  #authorize(action: AccessAction, ref: string, held: HeldAction, notional?: number): void {
    const v = this.#gate.check(action, ref, notional);
    if (v.kind === 'allow') this.#perform(held);
    else if (v.kind === 'deny') this.#refuse(held, v.reason);
    else this.#stepUp.challenge(held, v.need, v.text, ref);
  }

  #perform(held: HeldAction): void {
    if (held.kind === 'register-key') this.#keys.perform(held);
    else this.#rfq.perform(held);
  }

  #refuse(held: HeldAction, reason: string): void {
    if (held.kind === 'register-key') this.#keys.refuse(held, reason);
    else this.#rfq.refuse(held, reason);
  }

  #stepUpSatisfied(held: HeldStep, method: StepUpMethod): void {
    this.mfaAt = Date.now();
    if (method === 'webauthn' || this.strongestAuth === 'password') this.strongestAuth = method;
    this.#ports.recentAuth.remember(this.user.username, this.ctx.serial, { method, at: this.mfaAt });
    // A re-score at or above the deny threshold ends the session (rescore does it); anything below is allowed
    // now that the step-up is satisfied — the 20–39 band means exactly "allowed once a step-up is satisfied".
    this.rescore(held.kind === 'logon' ? 'logon' : 'action');
    if (this.isEnded()) return;
    if (held.kind !== 'logon') { this.#perform(held); return; }
    if (this.risk.decision === 'allow') this.#activate('logon');
    else void this.end(`${describeRisk(this.risk)} after step-up`, 'logon');
  }

  #stepUpFailed(held: HeldStep, reason: string, cause: StepUpFailure): void {
    if (held.kind !== 'logon') this.#refuse(held, reason);
    // A logon step-up that fails ends the session; a superseded one cannot happen (a challenged session sends
    // nothing that could ask for another), and a cancelled one is the session ending already.
    const ends = cause === 'locked' || (held.kind === 'logon' && cause !== 'superseded' && cause !== 'cancelled');
    if (ends) void this.end(reason, held.kind === 'logon' ? 'logon' : 'action', { by: 'step-up', detail: reason, next: cause === 'locked' ? 'contact-it' : 'sign-in' });
  }

  /** A second factor proved on this session within the max age (RFC 9470 max_age). */
  #freshSecondFactor(): boolean {
    const maxAge = this.#ports.settings.stepUp.maxAuthAgeSec;
    return this.mfaAt !== null && maxAge > 0 && Date.now() - this.mfaAt <= maxAge * 1000;
  }

  /** Recomputes the session's risk score from its current authentication and device state. */
  rescore(scope: StatusScope): RiskDecision {
    const prev = this.risk;
    this.risk = scoreSession(this.#ports.decisions, this.ctx, this.strongestAuth, this.compliance);
    this.#audit('risk.rescore', { scope, from: prev.score, score: this.risk.score, decision: this.risk.decision, factors: this.risk.factors });
    if (this.risk.decision === 'deny') {
      this.#ports.audit.alert('session.denied', { session: this.id, user: this.user.username, score: this.risk.score, factors: this.risk.factors });
      void this.end(`denied: ${describeRisk(this.risk)}`, scope);
    }
    return this.risk;
  }

  // ------------------------------------------------------------------ application messages
  onMessage(m: FixMessage): void {
    if (this.state === 'ended') return;
    const admitted = this.#flood.admit();
    if (admitted !== 'pass') {
      if (admitted === 'first-refusal') this.#audit('session.rate-limited', { msgType: m.msgType });
      if (admitted === 'flood') {
        this.#ports.audit.alert('session.flood', { session: this.id, user: this.user.username, strikes: this.#flood.strikes });
        void this.end('message flood: rate limit exceeded', 'policy');
      } else if (admitted !== 'drop') {
        this.#rfq.reject({ ...rejectRefOf(m), reason: BusinessRejectReason.Other, text: 'rate limit exceeded; message dropped' });
      }
      return;
    }
    const t = m.msgType;
    try {
      if (t === MSG.StepUpResponse) { void this.#stepUp.response(m).catch((e: unknown) => this.#internal(e)); return; }
      if (t === MSG.Attestation) { void this.#posture.attestation(m).catch((e: unknown) => this.#internal(e)); return; }
      if (this.state === 'challenged') {
        // A message the client resends for the session's recovery (PossDup, after a cut or a gateway restart; a
        // hit that was never answered) waits for the logon step-up instead of being refused: issue 19 item 4.
        if (m.get(Tag.PossDupFlag) === 'Y' && this.#resent.length < MAX_HELD_RESENDS) { this.#resent.push(m); return; }
        this.#rfq.reject({ ...rejectRefOf(m), reason: BusinessRejectReason.NotAuthorized, text: 'step-up authentication required: answer the pending challenge first', decision: 'step-up', ...(this.challengeId ? { challengeId: this.challengeId } : {}) });
        return;
      }
      // A downgraded session keeps its reference data and nothing else until it attests again.
      if (this.state === 'downgraded' && t !== MsgType.SecurityListRequest && t !== MSG.DealerListRequest) {
        this.#rfq.reject({ ...rejectRefOf(m), reason: BusinessRejectReason.NotAuthorized, text: `session downgraded (${this.#downgradeReason}); send a fresh attestation`, decision: 'downgraded' });
        return;
      }
      const route = this.#routes.get(t);
      if (route) route(m);
      else this.#rfq.reject({ ...rejectRefOf(m), reason: BusinessRejectReason.UnsupportedMessageType, text: `MsgType ${t} is not supported by the Parley gateway` });
    } catch (e) {
      this.#internal(e);
    }
  }

  // ------------------------------------------------------------------ continuous checks
  /** A fresh, compliant attestation: a downgraded session is active again, and told so. */
  #recovered(complianceChanged: boolean): void {
    if (complianceChanged || this.state === 'downgraded') this.rescore('reattest');
    if (this.isEnded()) return;
    if (this.state === 'downgraded') { this.#downgradeReason = ''; this.state = 'active'; }
    if (this.state === 'active') {
      this.status({ decision: 'allow', scope: 'reattest', score: this.risk.score, factors: riskFactors(this.risk), attestDeadline: new Date(this.attestDeadline) });
    }
  }

  /** A posture lapse takes effect at once: downgrade or end, per configuration, with the reason. */
  lapse(reason: string): void {
    if (this.state === 'ended') return;
    const s = this.#ports.settings.attestation;
    this.#ports.audit.alert('posture.lapse', { session: this.id, user: this.user.username, compId: this.ctx.compId, reason, action: s.onLapse });
    if (s.onLapse === 'downgrade' && this.state !== 'challenged') {
      this.state = 'downgraded';
      this.#downgradeReason = reason;
      this.status({ decision: 'downgraded', scope: 'posture', factors: riskFactors(this.risk), score: this.risk.score, text: `session downgraded: ${reason}` });
      return;
    }
    void this.end(reason, 'posture');
  }

  /** Called about once a second by the manager. */
  tick(now: number): void {
    if (this.state === 'ended') return;
    this.#stepUp.tick(now);
    if (this.isEnded()) return;
    this.#posture.tick(now);
  }

  /**
   * Ends the session with a reason the client sees (a UB ENDED with the factors, then Logout with Text), and who
   * ended it with the next step (`end`; by default the check the scope names: IT's own ends pass theirs).
   */
  async end(reason: string, scope: StatusScope, end: SessionEndSignal = defaultEnd(scope, reason)): Promise<void> {
    if (this.state === 'ended') return;
    this.status({ decision: 'ended', scope, score: this.risk.score, factors: riskFactors(this.risk), text: reason, end });
    this.state = 'ended';
    this.endReason = reason;
    this.#stepUp.cancel(reason);
    this.#audit('session.ended', { reason, scope, by: end.by });
    await this.fix.logout(safeText(`session ended: ${reason}`),
      logoutDecisionFields({ decision: 'ended', scope, score: this.risk.score, factors: riskFactors(this.risk), reason, end }));
  }

  /**
   * The connection is gone (however it went). A Logout (either way) or an end we decided closes the FIX session
   * and cancels its open RFQs; a dropped connection keeps them, so the client can resume the session and still
   * hit a quote (they expire on their own otherwise).
   */
  closed(reason: string, loggedOut: boolean): void {
    const endedHere = this.state === 'ended';
    if (!endedHere) this.endReason = reason;
    this.state = 'ended';
    // Only a lost connection leaves the session resumable; one the FIX layer ended (a Logout for an oversized
    // message, a sequence problem, a daily reset) is over like any other end.
    this.#dropped = !endedHere && !loggedOut && CONNECTION_LOST.has(this.fix.closeCause?.kind ?? 'disconnected');
    this.#rfq.close();
    if (!this.#dropped) {
      this.#ports.desk.endFixSession(this.ctx.compId);
      this.#ports.recentAuth.forget(this.user.username, this.ctx.serial);
    }
    this.#ports.stepUps.cancelSession(this.id);
    this.#ports.keys.cancelSession(this.id);
  }

  view() {
    return {
      id: this.id, user: this.user.username, role: this.user.role, compId: this.ctx.compId, ip: this.ctx.ip,
      country: this.ctx.country ?? null, network: this.ctx.network, state: this.state, since: this.since.toISOString(),
      score: this.risk.score, decision: this.risk.decision, auth: this.strongestAuth, compliance: this.compliance,
      certSerial: this.ctx.serial, attestDeadline: new Date(this.attestDeadline).toISOString(),
    };
  }
}
